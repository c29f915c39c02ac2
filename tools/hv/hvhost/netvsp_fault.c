// SPDX-License-Identifier: GPL-2.0
/*
 * `fault netvsc KIND [COUNT]`: malformed host input for the guest's NIC
 * driver to reject. The packet kinds spoil the next COUNT receive packets
 * (of any NIC); the message kinds send COUNT bad packets at once, on the
 * primary channel of the first NIC whose guest is past RNDIS INITIALIZE.
 *
 *   rndis-len        an RNDIS PACKET whose msg_len runs past its range
 *   ppi-offset       per-packet info that starts past the message
 *   xfer-range       a transfer-page range starting at the receive
 *                    buffer's end
 *   too-many-ranges  a transfer-page packet of NVSP_RSC_MAX + 1 ranges
 *   section          a receive packet naming send-buffer section 0
 *   ring-fill        receive packets may fill the whole inbound ring:
 *                    no room is kept back for completions (a host
 *                    that keeps none); not malformed, a guest must
 *                    never need that room to go on reading
 *   nvsp-type        an inband NVSP message of an unknown type
 *   unsolicited      a SEND_RNDIS_PKT_COMPLETE answering no request
 *   tx-table-v6      a SEND_INDIRECTION_TABLE laid out the way Hyper-V
 *                    hosts before NVSP 6.1 send it: the table at byte
 *                    NVSP_MSG_SIZE, the offset field naming byte 12 (the
 *                    padding); every entry names the last channel. Not
 *                    malformed for a guest that knows those hosts.
 */
#include <errno.h>
#include <string.h>

#include "log.h"
#include "netvsp.h"

#define NETVSP_FAULT_UNKNOWN_TYPE	0x7f7f
#define NETVSP_FAULT_BOGUS_ID		0xbad0c0de

static const char *const netvsp_fault_names[] = {
	[NETVSP_FAULT_RNDIS_LEN] = "rndis-len",
	[NETVSP_FAULT_PPI_OFFSET] = "ppi-offset",
	[NETVSP_FAULT_XFER_RANGE] = "xfer-range",
	[NETVSP_FAULT_TOO_MANY_RANGES] = "too-many-ranges",
	[NETVSP_FAULT_SECTION] = "section",
	[NETVSP_FAULT_RING_FILL] = "ring-fill",
	[NETVSP_FAULT_NVSP_TYPE] = "nvsp-type",
	[NETVSP_FAULT_UNSOLICITED] = "unsolicited",
	[NETVSP_FAULT_TX_TABLE_V6] = "tx-table-v6",
};

/* Does the packet being built get fault @kind? One fewer left if so. */
bool netvsp_fault_take(struct netvsp *np, unsigned int kind)
{
	if (np->fault.kind != kind || !np->fault.count)
		return false;
	if (!--np->fault.count)
		np->fault.kind = NETVSP_FAULT_NONE;
	np->fault.sent++;
	return true;
}

static struct netvsp_nic *netvsp_fault_target(struct netvsp *np)
{
	unsigned int i;

	for (i = 0; i < NETVSP_MAX_NICS; i++)
		if (np->nics[i] && np->nics[i]->primary &&
		    np->nics[i]->primary->open &&
		    np->nics[i]->rndis == NETVSP_RNDIS_OPERATIONAL)
			return np->nics[i];
	return NULL;
}

/* tx-table-v6: the send indirection table of a host before NVSP 6.1. */
static int netvsp_fault_tx_table(struct netvsp_nic *nic)
{
	struct {
		struct nvsp_send_indirection_table t;
		uint8_t pad[NVSP_MSG_SIZE - sizeof(struct nvsp_send_indirection_table)];
		uint32_t table[NVSP_SEND_INDIRECTION_ENTRIES];
	} __attribute__((packed)) m = { .t = {
		.msg_type = NVSP_MSG5_SEND_INDIRECTION_TABLE,
		.count = NVSP_SEND_INDIRECTION_ENTRIES,
		.offset = sizeof(m.t),
	} };
	struct iovec iov = { .iov_base = &m, .iov_len = sizeof(m) };
	unsigned int i;

	for (i = 0; i < NVSP_SEND_INDIRECTION_ENTRIES; i++)
		m.table[i] = nic->nchans - 1;
	return hv_channel_send(nic->primary, VMBUS_PKT_DATA_INBAND, 0, 0,
			       &iov, 1);
}

/* The message kinds: COUNT packets now. */
static const char *netvsp_fault_send(struct netvsp *np, unsigned int kind,
				     unsigned int count)
{
	struct netvsp_nic *nic = netvsp_fault_target(np);
	union nvsp_msg m = { 0 };
	struct iovec iov = { .iov_base = &m, .iov_len = sizeof(m) };
	uint16_t type = VMBUS_PKT_DATA_INBAND;

	if (!nic)
		return "no NIC with an initialised guest";
	if (kind == NETVSP_FAULT_NVSP_TYPE) {
		m.msg_type = NETVSP_FAULT_UNKNOWN_TYPE;
	} else {
		m.rndis_pkt_complete.msg_type = NVSP_MSG1_SEND_RNDIS_PKT_COMPLETE;
		m.rndis_pkt_complete.status = NVSP_STAT_SUCCESS;
		type = VMBUS_PKT_COMP;
	}
	while (count--) {
		if (kind == NETVSP_FAULT_TX_TABLE_V6 ?
		    netvsp_fault_tx_table(nic) :
		    hv_channel_send(nic->primary, type, 0,
				    NETVSP_FAULT_BOGUS_ID, &iov, 1))
			return "the guest's ring is full";
		np->fault.sent++;
	}
	return NULL;
}

const char *netvsp_fault(void *inst, const char *kind, unsigned int count)
{
	struct netvsp *np = inst;
	unsigned int k;

	for (k = NETVSP_FAULT_RNDIS_LEN; k <= NETVSP_FAULT_TX_TABLE_V6; k++) {
		if (strcmp(kind, netvsp_fault_names[k]))
			continue;
		if (k >= NETVSP_FAULT_NVSP_TYPE)
			return netvsp_fault_send(np, k, count);
		np->fault.kind = k;
		np->fault.count = count;
		hv_info("fault netvsc %s x%u armed", kind, count);
		return NULL;
	}
	return "unknown fault (rndis-len ppi-offset xfer-range too-many-ranges section ring-fill nvsp-type unsolicited tx-table-v6)";
}
