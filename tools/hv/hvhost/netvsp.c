// SPDX-License-Identifier: GPL-2.0
/*
 * NetVSP on the NIC's channels (reference §6): the NVSP handshake, the
 * receive and send buffers, and the data path between the guest and the
 * TAP. What it does with each guest message, and when (as OpenVMM's
 * netvsp, where not said otherwise; Documentation/hv/hvhost.rst):
 *
 * - INIT is taken once, before anything else: a version of §6.1 gets
 *   status SUCCESS, any other status NONE (the guest tries the next one).
 * - SEND_NDIS_VER and SEND_NDIS_CONFIG are taken once each after INIT
 *   (NDIS_CONFIG from NVSP 2); the MTU is clamped to 1514..9216.
 * - SEND_RECV_BUF needs the NDIS config first (NVSP >= 2); the GPADL must
 *   be this channel's and whole pages; it is cut into slots of
 *   256 + MTU + 36 bytes, one section. SEND_SEND_BUF: 6144-byte sections.
 *   A second buffer of a kind, or a buffer it cannot use, fails (hvhost
 *   answers status FAIL where OpenVMM stops the channel).
 * - SEND_RNDIS_PKT needs a receive buffer. Its messages come from a
 *   send-buffer section or the packet's GPA ranges; a malformed one is
 *   completed with status FAIL.
 * - Any other message, or one out of order, is a protocol error: it is
 *   logged, counted, and the NIC serves that guest no more.
 *
 * Received frames go into receive-buffer slots, one RNDIS PACKET per slot
 * and transfer-page packet; a slot is used again only after the guest
 * completed its packet. Without a free slot, or room in the ring, the TAP
 * is left unread (the kernel queues, then drops, frames for us): the
 * guest's completions are never dropped.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "log.h"
#include "netvsp.h"
#include "rss.h"

#define ETH_HLEN_	14
#define ETH_P_IPV4_	0x0800
#define ETH_P_IPV6_	0x86dd
#define ETH_P_VLAN_	0x8100
#define IPPROTO_TCP_	6
#define IPPROTO_UDP_	17

static struct netvsp_nic *netvsp_nic_of(struct hv_channel *ch)
{
	return ch->primary ? ch->primary->device : ch->device;
}

/* NVSP messages we send are as long as OpenVMM's for the version. */
static uint32_t netvsp_msg_size(const struct netvsp_nic *nic)
{
	return nic->version >= NVSP_VERSION_61 ? NVSP_MSG_SIZE :
						 NVSP_MSG_SIZE_V1;
}

static int netvsp_fail(struct netvsp_nic *nic, struct hv_channel *ch,
		       const char *why, uint32_t what)
{
	hv_warn_rl("nic relid %u: %s (%u); the NIC stops serving this guest",
		   ch->relid, why, what);
	nic->stats.protocol_errors++;
	nic->failed = true;
	return -EPROTO;
}

/* A completion carrying @msg, if the guest asked for one. */
static int netvsp_complete(struct netvsp_nic *nic, struct hv_channel *ch,
			   const struct hv_packet *pkt, const union nvsp_msg *msg)
{
	if (!(pkt->flags & VMBUS_PKT_FLAG_COMPLETION_REQUESTED))
		return 0;
	return hv_channel_send_queued(ch, VMBUS_PKT_COMP, 0, pkt->trans_id,
				      msg, msg ? netvsp_msg_size(nic) : 0);
}

/* --- receive slots --------------------------------------------------- */

static void netvsp_slots_free(struct netvsp_nic *nic)
{
	free(nic->slot_busy);
	free(nic->free_slots);
	free(nic->slot_next);
	nic->slot_busy = NULL;
	nic->free_slots = NULL;
	nic->slot_next = NULL;
	nic->nslots = 0;
	nic->nfree = 0;
}

static int netvsp_slots_init(struct netvsp_nic *nic, uint32_t n)
{
	uint32_t i;

	nic->slot_busy = calloc(n, 1);
	nic->free_slots = calloc(n, sizeof(*nic->free_slots));
	nic->slot_next = calloc(n, sizeof(*nic->slot_next));
	if (!nic->slot_busy || !nic->free_slots || !nic->slot_next) {
		netvsp_slots_free(nic);
		return -ENOMEM;
	}
	/* Lowest first out of the stack. */
	for (i = 0; i < n; i++)
		nic->free_slots[i] = n - 1 - i;
	nic->nslots = n;
	nic->nfree = n;
	return 0;
}

/*
 * A free slot, the first of a packet's (NETVSP_SLOT_HEAD: its index is
 * the packet's transaction id) or one more of a coalesced frame's, in
 * the list that starts at the head (slot_next).
 */
static uint32_t netvsp_slot_get(struct netvsp_nic *nic, uint8_t use)
{
	uint32_t slot = nic->free_slots[--nic->nfree];

	nic->slot_busy[slot] = use;
	nic->slot_next[slot] = NETVSP_NO_SLOT;
	return slot;
}

/* Free @slot and the slots listed after it. */
static void netvsp_slot_put(struct netvsp_nic *nic, uint32_t slot)
{
	uint32_t next;

	for (; slot != NETVSP_NO_SLOT; slot = next) {
		next = nic->slot_next[slot];
		nic->slot_busy[slot] = 0;
		nic->free_slots[nic->nfree++] = slot;
	}
}

/* Copy @src (@len bytes in all) into slot @slot of the receive buffer. */
static int netvsp_slot_write(struct netvsp_nic *nic, uint32_t slot,
			     const struct iovec *src, unsigned int nsrc,
			     uint32_t len)
{
	struct iovec dst[8];
	unsigned int n, d = 0, s = 0;
	size_t doff = 0, soff = 0, k;
	int ret;

	ret = vmbus_gpadl_map(nic->primary->srv, nic->primary->relid,
			      nic->recv_gpadl, (uint64_t)slot * nic->slot_size,
			      len, dst, 8, &n);
	while (!ret && d < n && s < nsrc) {
		k = dst[d].iov_len - doff;
		if (k > src[s].iov_len - soff)
			k = src[s].iov_len - soff;
		memcpy((uint8_t *)dst[d].iov_base + doff,
		       (const uint8_t *)src[s].iov_base + soff, k);
		doff += k;
		soff += k;
		if (doff == dst[d].iov_len) {
			d++;
			doff = 0;
		}
		if (soff == src[s].iov_len) {
			s++;
			soff = 0;
		}
	}
	return ret;
}

/*
 * Receive packets leave this much of the inbound ring free, so that the
 * completions of the guest's sends usually find room at once. hvhost's
 * own choice (the reference does not say what Hyper-V keeps); a guest
 * must not need it, and `fault netvsc ring-fill` takes it away.
 */
static uint32_t netvsp_keep(struct netvsp_nic *nic,
			    const struct hv_channel *ch, uint32_t chan_type)
{
	/* Control answers are few and may use the room kept. */
	if (chan_type == NVSP_RNDIS_CHANNEL_CONTROL ||
	    netvsp_fault_take(nic->np, NETVSP_FAULT_RING_FILL))
		return 0;
	return ch->in.size / NETVSP_RING_KEEP_DIV;
}

/* `fault netvsc too-many-ranges`: NVSP_RSC_MAX + 1 copies of the range. */
static int netvsp_send_many(struct hv_channel *ch, const uint8_t *ext,
			    uint64_t trans_id, const struct iovec *iov,
			    uint32_t keep)
{
	uint32_t n = NVSP_RSC_MAX + 1, i;
	struct vmbus_xfer_page_range r;
	uint8_t *big = malloc(8 + n * sizeof(r));
	int ret;

	if (!big)
		return -ENOMEM;
	memcpy(big, ext, 8 + sizeof(r));
	memcpy(&r, ext + 8, sizeof(r));
	memcpy(big + 4, &n, sizeof(n));
	for (i = 1; i < n; i++)
		memcpy(big + 8 + i * sizeof(r), &r, sizeof(r));
	ret = hv_channel_send_ext(ch, VMBUS_PKT_DATA_USING_XFER_PAGES,
				  VMBUS_PKT_FLAG_COMPLETION_REQUESTED, trans_id,
				  big, 8 + n * sizeof(r), keep, iov, 1);
	free(big);
	return ret;
}

/*
 * A transfer-page packet naming the first @len[i] bytes of each of the
 * @n slots listed from @slot, on @ch; the payload says whether they are
 * data or a control message.
 */
static int netvsp_send_slots(struct netvsp_nic *nic, struct hv_channel *ch,
			     uint32_t slot, const uint32_t *len, uint32_t n,
			     uint32_t chan_type)
{
	struct {
		struct vmbus_xfer_page_header h;
		struct vmbus_xfer_page_range r[NETVSP_RSC_FRAGS];
	} __attribute__((packed)) x = {
		.h.xfer_pageset_id = nic->recv_id,
		.h.range_cnt = n,
	};
	uint32_t i, s = slot;
	union nvsp_msg m = { .rndis_pkt = {
		.msg_type = NVSP_MSG1_SEND_RNDIS_PKT,
		.channel_type = chan_type,
		.send_buf_section_index = NVSP_NO_SECTION,
	} };
	struct iovec iov = { .iov_base = &m, .iov_len = netvsp_msg_size(nic) };
	const uint8_t *ext = (uint8_t *)&x + sizeof(x.h.desc);
	uint64_t trans_id = NETVSP_RX_ID_BASE | slot;

	for (i = 0; i < n; i++, s = nic->slot_next[s]) {
		x.r[i].byte_count = len[i];
		x.r[i].byte_offset = s * nic->slot_size;
	}
	if (netvsp_fault_take(nic->np, NETVSP_FAULT_XFER_RANGE))
		x.r[0].byte_offset = nic->recv_size;
	if (netvsp_fault_take(nic->np, NETVSP_FAULT_SECTION))
		m.rndis_pkt.send_buf_section_index = 0;
	if (netvsp_fault_take(nic->np, NETVSP_FAULT_TOO_MANY_RANGES))
		return netvsp_send_many(ch, ext, trans_id, &iov,
					netvsp_keep(nic, ch, chan_type));
	return hv_channel_send_ext(ch, VMBUS_PKT_DATA_USING_XFER_PAGES,
				   VMBUS_PKT_FLAG_COMPLETION_REQUESTED,
				   trans_id, ext, sizeof(x.h) - sizeof(x.h.desc) +
				   n * sizeof(x.r[0]),
				   netvsp_keep(nic, ch, chan_type), &iov, 1);
}

/*
 * @msg (an RNDIS message) into a free slot and to the guest on @ch. Data
 * leaves the last NETVSP_CTL_SLOTS slots to control answers: a control
 * message that waited for a slot would hold up, in the primary channel's
 * ring, the very completions that free slots.
 * Return: 0, -ENOBUFS (no free slot) or -EAGAIN (ring full): nothing was
 * sent and the slot is free again; or another negative errno.
 */
static int netvsp_deliver(struct netvsp_nic *nic, struct hv_channel *ch,
			  const struct iovec *iov, unsigned int n,
			  uint32_t len, uint32_t chan_type)
{
	uint32_t slot;
	int ret;

	if (nic->nfree <= (chan_type == NVSP_RNDIS_CHANNEL_DATA ?
			   NETVSP_CTL_SLOTS : 0))
		return -ENOBUFS;
	if (len > nic->slot_size)
		return -EMSGSIZE;
	slot = netvsp_slot_get(nic, NETVSP_SLOT_HEAD);
	ret = netvsp_slot_write(nic, slot, iov, n, len);
	if (!ret)
		ret = netvsp_send_slots(nic, ch, slot, &len, 1, chan_type);
	if (ret)
		netvsp_slot_put(nic, slot);
	return ret;
}

/* An RNDIS control message (a response or an indication) to the guest. */
int netvsp_send_control(struct netvsp_nic *nic, const void *msg, uint32_t len)
{
	struct iovec iov = { .iov_base = (void *)msg, .iov_len = len };

	return netvsp_deliver(nic, nic->primary, &iov, 1, len,
			      NVSP_RNDIS_CHANNEL_CONTROL);
}

/* Slots came free: what waited for one goes on. */
static void netvsp_slots_freed(struct netvsp_nic *nic)
{
	struct hv_channel *ch = nic->ctl_waiting;

	if (ch) {
		nic->ctl_waiting = NULL;
		hv_channel_unblock(ch);
	}
	if (nic->status_pending)
		netvsp_set_link(nic, nic->link_up);
	netvsp_rx_pump(nic);
}

/* The guest completed one of our transfer-page packets. */
static int netvsp_on_completion(struct netvsp_nic *nic, struct hv_channel *ch,
				const struct hv_packet *pkt)
{
	uint64_t slot = pkt->trans_id & NETVSP_RX_ID_MASK;

	if ((pkt->trans_id & ~NETVSP_RX_ID_MASK) != NETVSP_RX_ID_BASE ||
	    slot >= nic->nslots || nic->slot_busy[slot] != NETVSP_SLOT_HEAD) {
		nic->stats.bad_completions++;
		hv_warn_rl("nic relid %u: completion 0x%llx answers nothing",
			   ch->relid, (unsigned long long)pkt->trans_id);
		return -EINVAL;
	}
	netvsp_slot_put(nic, slot);
	netvsp_slots_freed(nic);
	return 0;
}

/* --- the handshake --------------------------------------------------- */

static bool netvsp_version_known(uint32_t v)
{
	return v == NVSP_VERSION_1 || v == NVSP_VERSION_2 ||
	       v == NVSP_VERSION_4 || v == NVSP_VERSION_5 ||
	       v == NVSP_VERSION_6 || v == NVSP_VERSION_61;
}

/* OpenVMM reads the first version field only. */
static int netvsp_on_init(struct netvsp_nic *nic, struct hv_channel *ch,
			  const struct hv_packet *pkt, const union nvsp_msg *req)
{
	uint32_t v = req->init.min_protocol_ver;
	union nvsp_msg m = { .init_complete = {
		.msg_type = NVSP_MSG_INIT_COMPLETE,
		.negotiated_protocol_ver = NVSP_VERSION_INVALID,
		.max_mdl_chain_len = NETVSP_MAX_MDL_CHAIN,
		.status = NVSP_STAT_NONE,
	} };

	if (nic->version)
		return netvsp_fail(nic, ch, "INIT after negotiation", v);
	if (netvsp_version_known(v) && v <= nic->cfg->max_version) {
		m.init_complete.status = NVSP_STAT_SUCCESS;
		if (v == NVSP_VERSION_1)
			m.init_complete.negotiated_protocol_ver = v;
		nic->version = v;
		hv_info("nic relid %u: NVSP version 0x%x", ch->relid, v);
	}
	return netvsp_complete(nic, ch, pkt, &m);
}

static int netvsp_on_ndis_ver(struct netvsp_nic *nic, struct hv_channel *ch,
			      const struct hv_packet *pkt,
			      const union nvsp_msg *req)
{
	if (nic->ndis_major)
		return netvsp_fail(nic, ch, "second SEND_NDIS_VER",
				   req->ndis_ver.ndis_major_ver);
	nic->ndis_major = req->ndis_ver.ndis_major_ver;
	nic->ndis_minor = req->ndis_ver.ndis_minor_ver;
	return netvsp_complete(nic, ch, pkt, NULL);
}

/* An MTU out of range means the default, as in the vmswitch. */
static int netvsp_on_ndis_config(struct netvsp_nic *nic,
				 struct hv_channel *ch,
				 const struct hv_packet *pkt,
				 const union nvsp_msg *req)
{
	uint32_t mtu = req->ndis_config.mtu;

	if (nic->ndis_mtu)
		return netvsp_fail(nic, ch, "second SEND_NDIS_CONFIG", mtu);
	if (mtu < NETVSP_NDIS_MTU_DEFAULT || mtu > NETVSP_NDIS_MTU_MAX)
		mtu = NETVSP_NDIS_MTU_DEFAULT;
	nic->ndis_mtu = mtu;
	return netvsp_complete(nic, ch, pkt, NULL);
}

/* The buffer's bytes, if it is this channel's and whole pages. */
static uint64_t netvsp_buf_size(struct hv_channel *ch, uint32_t gpadl)
{
	struct hv_gpadl *g = vmbus_gpadl_find(ch->srv, gpadl);
	struct hv_gpa_span span;
	uint64_t size;

	if (!g || g->relid != ch->relid)
		return 0;
	size = (uint64_t)g->npfns * HV_WIRE_PAGE_SIZE;
	if (vmbus_gpadl_span(ch->srv, ch->relid, gpadl, 0, size, &span))
		return 0;
	return size;
}

static int netvsp_take_recv_buf(struct netvsp_nic *nic, struct hv_channel *ch,
				const union nvsp_msg *req)
{
	uint32_t gpadl = req->send_buf.gpadl_handle;
	uint32_t mtu = nic->ndis_mtu ? nic->ndis_mtu :
				       NETVSP_NDIS_MTU_DEFAULT;
	uint64_t size = netvsp_buf_size(ch, gpadl);
	uint32_t slot_size = NETVSP_RX_HEADROOM + mtu + NETVSP_RX_FOOTER;

	if (!size || size / slot_size == 0 || size / slot_size > UINT32_MAX)
		return -EINVAL;
	if (netvsp_slots_init(nic, size / slot_size))
		return -ENOMEM;
	if (vmbus_gpadl_pin(ch->srv, ch->relid, gpadl)) {
		netvsp_slots_free(nic);
		return -ENOENT;
	}
	nic->recv_gpadl = gpadl;
	nic->recv_id = req->send_buf.id;
	nic->recv_size = size;
	nic->slot_size = slot_size;
	return 0;
}

static int netvsp_on_recv_buf(struct netvsp_nic *nic, struct hv_channel *ch,
			      const struct hv_packet *pkt,
			      const union nvsp_msg *req)
{
	union nvsp_msg m = { .recv_buf_complete = {
		.msg_type = NVSP_MSG1_SEND_RECV_BUF_COMPLETE,
		.status = NVSP_STAT_FAIL,
	} };
	struct nvsp_recv_buf_section *s = &m.recv_buf_complete.section;

	if (!nic->ndis_mtu && nic->version >= NVSP_VERSION_2)
		return netvsp_fail(nic, ch, "receive buffer before NDIS config",
				   req->send_buf.gpadl_handle);
	if (nic->recv_gpadl || netvsp_take_recv_buf(nic, ch, req)) {
		hv_warn_rl("nic relid %u: receive buffer GPADL 0x%x refused",
			   ch->relid, req->send_buf.gpadl_handle);
		return netvsp_complete(nic, ch, pkt, &m);
	}
	m.recv_buf_complete.status = NVSP_STAT_SUCCESS;
	m.recv_buf_complete.num_sections = 1;
	s->sub_alloc_size = nic->slot_size;
	s->num_sub_allocs = nic->nslots;
	s->end_offset = nic->slot_size * nic->nslots;
	hv_info("nic relid %u: receive buffer %u slots of %u bytes", ch->relid,
		nic->nslots, nic->slot_size);
	return netvsp_complete(nic, ch, pkt, &m);
}

static int netvsp_on_send_buf(struct netvsp_nic *nic, struct hv_channel *ch,
			      const struct hv_packet *pkt,
			      const union nvsp_msg *req)
{
	uint32_t gpadl = req->send_buf.gpadl_handle;
	uint64_t size = netvsp_buf_size(ch, gpadl);
	union nvsp_msg m = { .send_buf_complete = {
		.msg_type = NVSP_MSG1_SEND_SEND_BUF_COMPLETE,
		.status = NVSP_STAT_FAIL,
	} };

	if (nic->send_gpadl || size < NETVSP_SEND_SECTION ||
	    vmbus_gpadl_pin(ch->srv, ch->relid, gpadl)) {
		hv_warn_rl("nic relid %u: send buffer GPADL 0x%x refused",
			   ch->relid, gpadl);
		return netvsp_complete(nic, ch, pkt, &m);
	}
	nic->send_gpadl = gpadl;
	nic->nsections = size / NETVSP_SEND_SECTION;
	m.send_buf_complete.status = NVSP_STAT_SUCCESS;
	m.send_buf_complete.section_size = NETVSP_SEND_SECTION;
	return netvsp_complete(nic, ch, pkt, &m);
}

static void netvsp_drop_recv_buf(struct netvsp_nic *nic)
{
	if (!nic->recv_gpadl)
		return;
	vmbus_gpadl_unpin(nic->primary->srv, nic->recv_gpadl);
	nic->recv_gpadl = 0;
	netvsp_slots_free(nic);
}

static void netvsp_drop_send_buf(struct netvsp_nic *nic)
{
	if (!nic->send_gpadl)
		return;
	vmbus_gpadl_unpin(nic->primary->srv, nic->send_gpadl);
	nic->send_gpadl = 0;
	nic->nsections = 0;
}

/* The data path stops with the buffer; the GPADL may go now. */
static int netvsp_on_revoke(struct netvsp_nic *nic, const union nvsp_msg *req)
{
	if (req->msg_type == NVSP_MSG1_REVOKE_RECV_BUF)
		netvsp_drop_recv_buf(nic);
	else
		netvsp_drop_send_buf(nic);
	return 0;
}

/* --- sub-channels ---------------------------------------------------- */

static int netvsp_on_subchannel(struct netvsp_nic *nic, struct hv_channel *ch,
				const struct hv_packet *pkt,
				const union nvsp_msg *req)
{
	uint32_t n = req->subchannel_req.num_subchannels;
	union nvsp_msg m = { .subchannel_complete = {
		.msg_type = NVSP_MSG5_SUBCHANNEL,
		.status = NVSP_STAT_FAIL,
	} };
	int ret;

	/* One channel is the primary: n must stay below the queues. */
	if (req->subchannel_req.op == NVSP_SUBCHANNEL_ALLOCATE &&
	    n < nic->cfg->channels && nic->nchans == 1 &&
	    nic->nslots >= n + 1) {
		m.subchannel_complete.status = NVSP_STAT_SUCCESS;
		m.subchannel_complete.num_subchannels = n;
	} else {
		hv_warn_rl("nic relid %u: %u sub-channels refused", ch->relid,
			   n);
		n = 0;
	}
	ret = netvsp_complete(nic, ch, pkt, &m);
	if (ret || !n)
		return ret;
	ret = vmbus_server_add_subchannels(ch->srv, ch, n);
	if (ret < 0)
		return ret;
	nic->nchans = ret + 1;
	return 0;
}

/* --- transmit: guest -> TAP ------------------------------------------ */

static uint16_t netvsp_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void netvsp_put_be16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static uint32_t netvsp_be32(const uint8_t *p)
{
	return (uint32_t)netvsp_be16(p) << 16 | netvsp_be16(p + 2);
}

static void netvsp_put_be32(uint8_t *p, uint32_t v)
{
	netvsp_put_be16(p, v >> 16);
	netvsp_put_be16(p + 2, v & 0xffff);
}

static uint32_t netvsp_sum(uint32_t sum, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += netvsp_be16(p + i);
	if (len & 1)
		sum += p[len - 1] << 8;
	return sum;
}

static uint16_t netvsp_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

/**
 * struct netvsp_l3 - where a frame's IP and transport headers are
 * @l3: IP header offset
 * @l4: transport header offset
 * @ipv6: an IPv6 frame
 * @proto: the transport protocol
 */
struct netvsp_l3 {
	uint32_t l3;
	uint32_t l4;
	bool ipv6;
	uint8_t proto;
};

static int netvsp_parse_l3(const uint8_t *f, uint32_t len, struct netvsp_l3 *h)
{
	uint16_t type;

	if (len < ETH_HLEN_)
		return -EINVAL;
	h->l3 = ETH_HLEN_;
	type = netvsp_be16(f + 12);
	if (type == ETH_P_VLAN_ && len >= ETH_HLEN_ + 4) {
		h->l3 += 4;
		type = netvsp_be16(f + 16);
	}
	if (type == ETH_P_IPV4_ && len >= h->l3 + 20 && (f[h->l3] & 0xf) >= 5) {
		h->ipv6 = false;
		h->l4 = h->l3 + (f[h->l3] & 0xf) * 4;
		h->proto = f[h->l3 + 9];
	} else if (type == ETH_P_IPV6_ && len >= h->l3 + 40) {
		h->ipv6 = true;
		h->l4 = h->l3 + 40;
		h->proto = f[h->l3 + 6];
	} else {
		return -EINVAL;
	}
	return h->l4 + 8 <= len ? 0 : -EINVAL;
}

/*
 * Lengths and checksums the guest left for the offload (NDIS has it write
 * zero lengths and a pseudo-header sum without the length for LSO) are
 * made what the host kernel expects of a partial checksum: the real IP
 * lengths and the pseudo-header sum over the real transport length.
 */
static void netvsp_fix_headers(uint8_t *f, uint32_t len,
			       const struct netvsp_l3 *h, uint32_t csum_off)
{
	uint32_t l4len = len - h->l4, sum;
	uint8_t *ip = f + h->l3;

	if (h->ipv6) {
		netvsp_put_be16(ip + 4, len - h->l3 - 40);
		sum = netvsp_sum(0, ip + 8, 32);
	} else {
		netvsp_put_be16(ip + 2, len - h->l3);
		netvsp_put_be16(ip + 10, 0);
		netvsp_put_be16(ip + 10, ~netvsp_fold(netvsp_sum(0, ip,
							   h->l4 - h->l3)));
		sum = netvsp_sum(0, ip + 12, 8);
	}
	sum += h->proto + l4len;
	netvsp_put_be16(f + h->l4 + csum_off, netvsp_fold(sum));
}

/* The virtio-net header of a guest frame from its checksum/LSO PPIs. */
static int netvsp_tx_vnet(struct netvsp_nic *nic, uint8_t *f, uint32_t len,
			  int64_t csum, int64_t lso, struct virtio_net_hdr *vh)
{
	struct netvsp_l3 h;

	memset(vh, 0, sizeof(*vh));
	if (csum < 0 && lso < 0)
		return 0;
	if (netvsp_parse_l3(f, len, &h))
		return -EINVAL;
	if (lso >= 0) {
		if (h.proto != IPPROTO_TCP_ || h.l4 + 20 > len)
			return -EINVAL;
		vh->gso_type = h.ipv6 ? VIRTIO_NET_HDR_GSO_TCPV6 :
					VIRTIO_NET_HDR_GSO_TCPV4;
		vh->gso_size = lso & RNDIS_LSO_MSS_MASK;
		vh->hdr_len = h.l4 + (f[h.l4 + 12] >> 4) * 4;
		nic->stats.tx_lso_ppi++;
	} else if (!(csum & (RNDIS_TXCSUM_TCP | RNDIS_TXCSUM_UDP))) {
		nic->stats.tx_csum_ppi++;
		return 0;
	} else {
		nic->stats.tx_csum_ppi++;
	}
	if (h.proto != IPPROTO_TCP_ && h.proto != IPPROTO_UDP_)
		return -EINVAL;
	vh->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	vh->csum_start = h.l4;
	vh->csum_offset = h.proto == IPPROTO_TCP_ ? 16 : 6;
	netvsp_fix_headers(f, len, &h, vh->csum_offset);
	return 0;
}

/* The u32 value of each PPI the host reads; -1 where absent. */
struct netvsp_ppis {
	int64_t csum;
	int64_t lso;
	int64_t vlan;
};

static int netvsp_parse_ppis(const uint8_t *msg, uint32_t len,
			     const struct rndis_packet *p,
			     struct netvsp_ppis *ppi)
{
	uint64_t off = RNDIS_BODY_OFFSET + (uint64_t)p->per_pkt_info_offset;
	uint64_t end = off + p->per_pkt_info_len;
	struct rndis_ppi e;
	uint32_t v;

	ppi->csum = ppi->lso = ppi->vlan = -1;
	if (!p->per_pkt_info_len)
		return 0;
	if (end > len)
		return -EINVAL;
	while (off + sizeof(e) <= end) {
		memcpy(&e, msg + off, sizeof(e));
		if (e.size < sizeof(e) || e.size > end - off ||
		    e.ppi_offset < sizeof(e) ||
		    e.ppi_offset + sizeof(v) > e.size)
			return -EINVAL;
		memcpy(&v, msg + off + e.ppi_offset, sizeof(v));
		if (e.type == RNDIS_PPI_CHECKSUM)
			ppi->csum = v;
		else if (e.type == RNDIS_PPI_LSO)
			ppi->lso = v;
		else if (e.type == RNDIS_PPI_IEEE_8021Q)
			ppi->vlan = v;
		off += e.size;
	}
	return 0;
}

/*
 * A frame to the TAP; with an 802.1Q PPI (@vlan >= 0) the tag goes into
 * the frame after the MAC addresses, and the header's offsets move by it.
 */
static int netvsp_tap_send(struct netvsp_nic *nic, uint8_t *f, uint32_t len,
			   struct virtio_net_hdr *vh, int64_t vlan)
{
	uint16_t tci = (vlan & RNDIS_VLAN_PRIO_MASK) << 13 |
		       !!(vlan & RNDIS_VLAN_CFI) << 12 |
		       (vlan & RNDIS_VLAN_ID_MASK) >> RNDIS_VLAN_ID_SHIFT;
	uint8_t tag[4] = { ETH_P_VLAN_ >> 8, ETH_P_VLAN_ & 0xff, tci >> 8,
			   tci & 0xff };
	struct iovec iov[3] = {
		{ .iov_base = f, .iov_len = len },
		{ .iov_base = tag, .iov_len = sizeof(tag) },
		{ .iov_base = f + 12, .iov_len = len - 12 },
	};

	if (vlan < 0)
		return tap_write(&nic->tap, vh, iov, 1);
	iov[0].iov_len = 12;
	if (vh->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM)
		vh->csum_start += sizeof(tag);
	if (vh->hdr_len)
		vh->hdr_len += sizeof(tag);
	return tap_write(&nic->tap, vh, iov, 3);
}

/* One RNDIS PACKET of the guest onto the TAP. */
static int netvsp_tx_packet(struct netvsp_nic *nic, struct hv_channel *ch,
			    uint8_t *msg, uint32_t len)
{
	struct netvsp_queue_stats *qs = ch->priv;
	struct virtio_net_hdr vh;
	struct netvsp_ppis ppi;
	struct rndis_packet p;
	uint64_t off;
	uint8_t *f;

	if (len < sizeof(p))
		return -EINVAL;
	memcpy(&p, msg, sizeof(p));
	off = RNDIS_BODY_OFFSET + (uint64_t)p.data_offset;
	if (p.data_offset < RNDIS_PACKET_BODY_SIZE || off > len ||
	    p.data_len > len - off || p.data_len < ETH_HLEN_ ||
	    netvsp_parse_ppis(msg, len, &p, &ppi))
		return -EINVAL;
	f = msg + off;
	if (netvsp_tx_vnet(nic, f, p.data_len, ppi.csum, ppi.lso, &vh))
		return -EINVAL;
	if (vh.gso_type == VIRTIO_NET_HDR_GSO_NONE &&
	    p.data_len > nic->cfg->mtu + ETH_HLEN_ + 4)
		return -EINVAL;
	qs->tx_frames++;
	qs->tx_bytes += p.data_len;
	if (nic->tap.fd < 0 || !nic->link_up) {
		nic->stats.tx_dropped++;
		return 0;
	}
	if (netvsp_tap_send(nic, f, p.data_len, &vh, ppi.vlan)) {
		nic->stats.tx_dropped++;
		return 0;
	}
	nic->stats.tx_frames++;
	nic->stats.tx_bytes += p.data_len;
	return 0;
}

/* The RNDIS messages of one SEND_RNDIS_PKT into the scratch buffer. */
static int netvsp_tx_gather(struct netvsp_nic *nic, struct hv_channel *ch,
			    const struct hv_packet *pkt,
			    const struct nvsp_rndis_pkt *req, uint32_t *len)
{
	struct hv_gpa_span span;
	uint32_t i;

	*len = 0;
	if (req->send_buf_section_index != NVSP_NO_SECTION) {
		if (!nic->send_gpadl ||
		    req->send_buf_section_index >= nic->nsections ||
		    !req->send_buf_section_size ||
		    req->send_buf_section_size > NETVSP_SEND_SECTION)
			return -EINVAL;
		*len = req->send_buf_section_size;
		if (vmbus_gpadl_span(ch->srv, nic->primary->relid,
				     nic->send_gpadl,
				     (uint64_t)req->send_buf_section_index *
				     NETVSP_SEND_SECTION, *len, &span))
			return -EINVAL;
		return hv_gpa_read(ch->srv->gm, &span, nic->txbuf);
	}
	if (pkt->type != VMBUS_PKT_DATA_USING_GPA_DIRECT || pkt->range_err)
		return -EINVAL;
	for (i = 0; i < pkt->nranges; i++) {
		if (pkt->ranges[i].byte_count > NETVSP_TX_MAX - *len ||
		    hv_gpa_read(ch->srv->gm, &pkt->ranges[i],
				nic->txbuf + *len))
			return -EINVAL;
		*len += pkt->ranges[i].byte_count;
	}
	return 0;
}

/*
 * Walk the messages by msg_len. A control message answers from a slot:
 * with none free, -EAGAIN leaves the whole packet in the ring (control
 * messages come alone, so nothing was done yet).
 */
static int netvsp_tx_walk(struct netvsp_nic *nic, struct hv_channel *ch,
			  uint32_t len)
{
	struct rndis_msg_hdr hdr;
	uint32_t off = 0;
	int ret;

	if (len < sizeof(hdr))
		return -EINVAL;
	while (len - off >= sizeof(hdr)) {
		memcpy(&hdr, nic->txbuf + off, sizeof(hdr));
		if (hdr.msg_len < sizeof(hdr) || hdr.msg_len > len - off)
			return -EINVAL;
		if (hdr.msg_type == RNDIS_MSG_PACKET)
			ret = netvsp_tx_packet(nic, ch, nic->txbuf + off,
					       hdr.msg_len);
		else if (ch->primary)
			ret = -EINVAL;
		else
			ret = rndis_dev_control(nic, nic->txbuf + off,
						hdr.msg_len);
		if (ret)
			return ret;
		off += hdr.msg_len;
	}
	return 0;
}

static int netvsp_on_rndis_pkt(struct netvsp_nic *nic, struct hv_channel *ch,
			       const struct hv_packet *pkt,
			       const union nvsp_msg *req)
{
	union nvsp_msg m = { .rndis_pkt_complete = {
		.msg_type = NVSP_MSG1_SEND_RNDIS_PKT_COMPLETE,
		.status = NVSP_STAT_SUCCESS,
	} };
	uint32_t len;
	int ret;

	if (!nic->recv_gpadl)
		return netvsp_fail(nic, ch, "RNDIS packet before the receive buffer",
				   req->rndis_pkt.channel_type);
	ret = netvsp_tx_gather(nic, ch, pkt, &req->rndis_pkt, &len);
	if (!ret)
		ret = netvsp_tx_walk(nic, ch, len);
	if (ret == -EAGAIN) {
		nic->ctl_waiting = ch;
		return ret;
	}
	if (ret) {
		nic->stats.tx_bad++;
		hv_warn_rl("nic relid %u: malformed RNDIS packet", ch->relid);
		m.rndis_pkt_complete.status = NVSP_STAT_FAIL;
	}
	return netvsp_complete(nic, ch, pkt, &m);
}

/* --- receive: TAP -> guest ------------------------------------------- */

static void netvsp_put_ppi(uint8_t *at, uint32_t type, uint32_t value)
{
	struct rndis_ppi e = {
		.size = RNDIS_PPI_U32_SIZE,
		.type = type,
		.ppi_offset = sizeof(e),
	};

	memcpy(at, &e, sizeof(e));
	memcpy(at + sizeof(e), &value, sizeof(value));
}

/* The channel the guest's indirection table picks, and the hash. */
static struct hv_channel *netvsp_rx_channel(struct netvsp_nic *nic,
					    const uint8_t *f, uint32_t len,
					    bool *hashed, uint32_t *hash)
{
	struct rss_tuple t;
	struct hv_channel *ch;

	*hashed = false;
	if (!nic->rss.enabled || !nic->rss.nindir ||
	    rss_frame_tuple(f, len, nic->rss.hashinfo, &t))
		return nic->primary;
	*hashed = true;
	*hash = rss_toeplitz(nic->rss.key, sizeof(nic->rss.key), t.bytes,
			     t.len);
	ch = nic->chans[nic->rss.indir[*hash % nic->rss.nindir] %
			NETVSP_MAX_CHANNELS];
	return ch && ch->open ? ch : nic->primary;
}

/* What the TAP's header says the kernel checked. */
static uint32_t netvsp_rx_csum(const struct virtio_net_hdr *vh,
			       const uint8_t *f, uint32_t len)
{
	struct netvsp_l3 h;
	uint32_t v = RNDIS_RXCSUM_IP_OK;

	if (!(vh->flags & (VIRTIO_NET_HDR_F_DATA_VALID |
			   VIRTIO_NET_HDR_F_NEEDS_CSUM)) ||
	    netvsp_parse_l3(f, len, &h))
		return 0;
	if (h.proto == IPPROTO_TCP_)
		v |= RNDIS_RXCSUM_TCP_OK;
	else if (h.proto == IPPROTO_UDP_)
		v |= RNDIS_RXCSUM_UDP_OK;
	return v;
}

/* `fault netvsc rndis-len|ppi-offset`: spoil the header being built. */
static void netvsp_fault_packet(struct netvsp_nic *nic, struct rndis_packet *p)
{
	if (netvsp_fault_take(nic->np, NETVSP_FAULT_RNDIS_LEN))
		p->hdr.msg_len += HV_WIRE_PAGE_SIZE;
	if (netvsp_fault_take(nic->np, NETVSP_FAULT_PPI_OFFSET)) {
		p->per_pkt_info_offset = p->hdr.msg_len;
		p->per_pkt_info_len = RNDIS_PPI_U32_SIZE;
	}
}

/*
 * A frame the host kernel left a partial checksum in (TUN_F_CSUM): the
 * sum from csum_start to the end, over the pseudo-header sum the field
 * holds, goes into the field; the guest is then told it is valid. A
 * header that points outside the frame: -EINVAL, the frame is dropped.
 */
static int netvsp_rx_complete_csum(uint8_t *f, uint32_t len,
				   const struct virtio_net_hdr *vh)
{
	uint32_t start = vh->csum_start, field = start + vh->csum_offset;
	uint16_t sum;

	if (!(vh->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM))
		return 0;
	if (start >= len || field + 2 > len || vh->csum_offset & 1)
		return -EINVAL;
	sum = ~netvsp_fold(netvsp_sum(0, f + start, len - start));
	/* In UDP (the field at 6) a zero sum is sent as all ones. */
	if (!sum && vh->csum_offset == 6)
		sum = 0xffff;
	netvsp_put_be16(f + field, sum);
	return 0;
}

/*
 * An 802.1Q tag in a frame from the TAP leaves the frame for a VLAN PPI,
 * as a real host delivers it (OpenVMM: the tag as metadata, a PPI_VLAN).
 * Return: the PPI's value, or -1 for an untagged frame.
 */
static int64_t netvsp_rx_untag(uint8_t *f, uint32_t *len)
{
	uint16_t tci;

	if (*len < ETH_HLEN_ + 4 || netvsp_be16(f + 12) != ETH_P_VLAN_)
		return -1;
	tci = netvsp_be16(f + 14);
	memmove(f + 12, f + 16, *len - 16);
	*len -= 4;
	return (tci >> 13) | !!(tci & 0x1000) * RNDIS_VLAN_CFI |
	       (uint32_t)(tci & 0xfff) << RNDIS_VLAN_ID_SHIFT;
}

/* The PPIs a frame to the guest may carry: hash, checksum, VLAN, id. */
#define NETVSP_RX_PPI_MAX	(4 * RNDIS_PPI_U32_SIZE)
#define NETVSP_RX_HDR_MAX	(sizeof(struct rndis_packet) + NETVSP_RX_PPI_MAX)

/* What goes before a frame's bytes: -1 and NULL leave a PPI out. */
struct netvsp_rx_meta {
	const uint32_t *hash;
	uint32_t csum;
	int64_t vlan;
	int frag;	/* RNDIS_PKTID_* of a fragment (RSC) */
};

static void netvsp_add_ppi(uint8_t *msg, uint32_t *ppi, uint32_t type,
			   uint32_t value)
{
	netvsp_put_ppi(msg + sizeof(struct rndis_packet) + *ppi, type, value);
	*ppi += RNDIS_PPI_U32_SIZE;
}

/* The RNDIS PACKET header of @len frame bytes into @msg; its bytes. */
static uint32_t netvsp_rx_header(struct netvsp_nic *nic, uint8_t *msg,
				 uint32_t len, const struct netvsp_rx_meta *m)
{
	struct rndis_packet p = { .hdr.msg_type = RNDIS_MSG_PACKET };
	struct rndis_pktid id = { .ver = 1 };
	uint32_t ppi = 0, v;

	if (m->hash)
		netvsp_add_ppi(msg, &ppi, RNDIS_PPI_HASH_VALUE, *m->hash);
	if (m->csum)
		netvsp_add_ppi(msg, &ppi, RNDIS_PPI_CHECKSUM, m->csum);
	if (m->vlan >= 0)
		netvsp_add_ppi(msg, &ppi, RNDIS_PPI_IEEE_8021Q, m->vlan);
	if (m->frag >= 0) {
		id.flags = m->frag;
		memcpy(&v, &id, sizeof(v));
		netvsp_add_ppi(msg, &ppi, RNDIS_PPI_INTERNAL_PKT_ID, v);
	}
	p.per_pkt_info_offset = ppi ? RNDIS_PACKET_BODY_SIZE : 0;
	p.per_pkt_info_len = ppi;
	p.data_offset = RNDIS_PACKET_BODY_SIZE + ppi;
	p.data_len = len;
	p.hdr.msg_len = sizeof(p) + ppi + len;
	if (m->frag < 0)
		netvsp_fault_packet(nic, &p);
	memcpy(msg, &p, sizeof(p));
	return sizeof(p) + ppi;
}

static void netvsp_count_rx(struct netvsp_nic *nic, struct hv_channel *ch,
			    uint32_t len, const struct netvsp_rx_meta *m)
{
	struct netvsp_queue_stats *qs = ch->priv;

	qs->rx_frames++;
	qs->rx_bytes += len;
	nic->stats.rx_frames++;
	nic->stats.rx_bytes += len;
	nic->stats.rx_hash_ppi += !!m->hash;
	nic->stats.rx_csum_ppi += !!m->csum;
	nic->stats.rx_vlan_ppi += m->vlan >= 0;
}

/* The RNDIS PACKET of a frame from the TAP, to the guest. */
static int netvsp_rx_frame(struct netvsp_nic *nic, const uint8_t *f,
			   uint32_t len, const struct virtio_net_hdr *vh,
			   int64_t vlan)
{
	uint8_t msg[NETVSP_RX_HDR_MAX];
	struct netvsp_rx_meta m = { .csum = netvsp_rx_csum(vh, f, len),
				    .vlan = vlan, .frag = -1 };
	struct hv_channel *ch;
	struct iovec iov[2];
	uint32_t hash;
	bool hashed;
	int ret;

	ch = netvsp_rx_channel(nic, f, len, &hashed, &hash);
	m.hash = hashed ? &hash : NULL;
	iov[0].iov_base = msg;
	iov[0].iov_len = netvsp_rx_header(nic, msg, len, &m);
	iov[1].iov_base = (void *)f;
	iov[1].iov_len = len;
	/* The range covers the message as built, whatever a fault says. */
	ret = netvsp_deliver(nic, ch, iov, 2, iov[0].iov_len + len,
			     NVSP_RNDIS_CHANNEL_DATA);
	if (!ret)
		netvsp_count_rx(nic, ch, len, &m);
	return ret;
}

/* The largest frame the guest takes whole: SEND_NDIS_CONFIG's MTU. */
static uint32_t netvsp_frame_max(const struct netvsp_nic *nic)
{
	return nic->ndis_mtu ? nic->ndis_mtu : NETVSP_NDIS_MTU_DEFAULT;
}

/*
 * The fragments of a coalesced frame into slots listed from the returned
 * head; *@lens gets each message's bytes. Return: the head, or
 * NETVSP_NO_SLOT with no slot taken.
 */
static uint32_t netvsp_rsc_fill(struct netvsp_nic *nic, const uint8_t *f,
				uint32_t len, uint32_t chunk, uint32_t n,
				const struct netvsp_rx_meta *first,
				uint32_t *lens)
{
	struct netvsp_rx_meta m = { .vlan = -1 };
	uint32_t i, off, k, slot, head = NETVSP_NO_SLOT, prev = 0;
	uint8_t msg[NETVSP_RX_HDR_MAX];
	struct iovec iov[2];

	for (i = 0, off = 0; i < n; i++, off += k) {
		k = len - off < chunk ? len - off : chunk;
		if (!i)
			m = *first;
		else
			m = (struct netvsp_rx_meta){ .vlan = -1 };
		m.frag = (i ? 0 : RNDIS_PKTID_FIRST_FRAG) |
			 (i + 1 < n ? 0 : RNDIS_PKTID_LAST_FRAG);
		iov[0].iov_base = msg;
		iov[0].iov_len = netvsp_rx_header(nic, msg, k, &m);
		iov[1].iov_base = (void *)(f + off);
		iov[1].iov_len = k;
		slot = netvsp_slot_get(nic, i ? NETVSP_SLOT_MORE :
					     NETVSP_SLOT_HEAD);
		if (i)
			nic->slot_next[prev] = slot;
		else
			head = slot;
		prev = slot;
		lens[i] = iov[0].iov_len + k;
		if (netvsp_slot_write(nic, slot, iov, 2, lens[i])) {
			netvsp_slot_put(nic, head);
			return NETVSP_NO_SLOT;
		}
	}
	return head;
}

/*
 * A TCP frame the host kernel built from several segments (GSO), to a
 * guest that asked for RSC: its bytes in fragments of at most the
 * largest frame it takes, each an RNDIS PACKET in a slot of its own
 * with the packet-id PPI, all in one transfer-page packet; the first
 * carries the frame's other PPIs. A frame that fits one frame goes
 * whole. Return: as netvsp_deliver(); -E2BIG for a frame that needs
 * more fragments than a packet may have.
 */
static int netvsp_rx_rsc(struct netvsp_nic *nic, const uint8_t *f,
			 uint32_t len, const struct virtio_net_hdr *vh)
{
	uint32_t chunk = nic->slot_size - NETVSP_RX_HDR_MAX, n, head, hash;
	struct netvsp_rx_meta m = { .csum = netvsp_rx_csum(vh, f, len),
				    .vlan = nic->held_vlan };
	uint32_t lens[NETVSP_RSC_FRAGS];
	struct hv_channel *ch;
	bool hashed;
	int ret;

	if (chunk > netvsp_frame_max(nic))
		chunk = netvsp_frame_max(nic);
	if (len <= chunk)
		return netvsp_rx_frame(nic, f, len, vh, nic->held_vlan);
	n = (len + chunk - 1) / chunk;
	if (n > NETVSP_RSC_FRAGS || n + NETVSP_CTL_SLOTS > nic->nslots)
		return -E2BIG;
	if (nic->nfree < n + NETVSP_CTL_SLOTS)
		return -ENOBUFS;
	ch = netvsp_rx_channel(nic, f, len, &hashed, &hash);
	m.hash = hashed ? &hash : NULL;
	head = netvsp_rsc_fill(nic, f, len, chunk, n, &m, lens);
	if (head == NETVSP_NO_SLOT)
		return -EFAULT;
	ret = netvsp_send_slots(nic, ch, head, lens, n,
				NVSP_RNDIS_CHANNEL_DATA);
	if (ret) {
		netvsp_slot_put(nic, head);
		return ret;
	}
	netvsp_count_rx(nic, ch, len, &m);
	nic->stats.rx_rsc++;
	nic->stats.rx_rsc_frags += n;
	return 0;
}

/* The TCP checksum of @len bytes of frame @f, over its pseudo-header. */
static void netvsp_tcp_csum(uint8_t *f, uint32_t len,
			    const struct netvsp_l3 *h)
{
	netvsp_fix_headers(f, len, h, 16);
	netvsp_put_be16(f + h->l4 + 16,
			~netvsp_fold(netvsp_sum(0, f + h->l4, len - h->l4)));
}

#define TCP_FIN_	0x01
#define TCP_PSH_	0x08
#define TCP_CWR_	0x80

/*
 * A GSO frame cut into segments of @mss payload bytes behind its @hdr
 * bytes of headers, each sent as a frame of its own, as the host kernel
 * would have sent them. A segment that waits for a slot or ring room is
 * where the next try starts (held_seg).
 */
static int netvsp_rx_segments(struct netvsp_nic *nic,
			      const struct netvsp_l3 *h, uint32_t hdr,
			      uint32_t mss, const struct virtio_net_hdr *vh)
{
	const uint8_t *f = nic->frame;
	uint32_t len = nic->held_len, seq = netvsp_be32(f + h->l4 + 4);
	uint16_t id = netvsp_be16(f + h->l3 + 4);
	uint32_t off, k;
	uint8_t *s = nic->seg;
	int ret;

	for (off = nic->held_seg ? nic->held_seg : hdr; off < len; off += k) {
		k = len - off < mss ? len - off : mss;
		memcpy(s, f, hdr);
		memcpy(s + hdr, f + off, k);
		netvsp_put_be32(s + h->l4 + 4, seq + (off - hdr));
		if (!h->ipv6)
			netvsp_put_be16(s + h->l3 + 4, id + (off - hdr) / mss);
		if (off + k < len)
			s[h->l4 + 13] &= ~(TCP_FIN_ | TCP_PSH_);
		if (off > hdr)
			s[h->l4 + 13] &= ~TCP_CWR_;
		netvsp_tcp_csum(s, hdr + k, h);
		ret = netvsp_rx_frame(nic, s, hdr + k, vh, nic->held_vlan);
		if (ret == -ENOBUFS || ret == -EAGAIN)
			nic->held_seg = off;
		if (ret)
			return ret;
		nic->stats.rx_segments++;
	}
	nic->held_seg = 0;
	return 0;
}

/*
 * A GSO frame from the TAP (TUN_F_TSO4/6): coalesced for a guest that
 * asked for RSC of its IP version, else cut into segments. A header the
 * frame cannot hold: -EINVAL, dropped.
 */
static int netvsp_rx_gso(struct netvsp_nic *nic,
			 const struct virtio_net_hdr *vh)
{
	uint8_t *f = nic->frame;
	uint32_t len = nic->held_len, hdr;
	struct netvsp_l3 h;
	int ret;

	if (netvsp_parse_l3(f, len, &h) || h.proto != IPPROTO_TCP_ ||
	    h.l4 + 20 > len || !vh->gso_size)
		return -EINVAL;
	hdr = h.l4 + (f[h.l4 + 12] >> 4) * 4;
	if (hdr < h.l4 + 20 || hdr >= len)
		return -EINVAL;
	if (!nic->held_seg && (h.ipv6 ? nic->rsc_ip6 : nic->rsc_ip4)) {
		netvsp_tcp_csum(f, len, &h);
		ret = netvsp_rx_rsc(nic, f, len, vh);
		if (ret != -E2BIG)
			return ret;
	}
	return netvsp_rx_segments(nic, &h, hdr, vh->gso_size, vh);
}

/* Stop or start watching the TAP for frames. */
void netvsp_tap_arm(struct netvsp_nic *nic, bool on)
{
	struct epoll_event ev = { .events = on ? EPOLLIN : 0,
				  .data.ptr = nic };

	if (nic->tap.fd < 0 || nic->tap_armed == on)
		return;
	if (!epoll_ctl(nic->np->epfd, EPOLL_CTL_MOD, nic->tap.fd, &ev))
		nic->tap_armed = on;
}

static bool netvsp_rx_ready(const struct netvsp_nic *nic)
{
	return nic->primary && nic->primary->open && nic->recv_gpadl &&
	       nic->rndis == NETVSP_RNDIS_OPERATIONAL && nic->link_up &&
	       !nic->failed;
}

/*
 * The held frame to the guest: its checksum completed, its tag taken out
 * (done once: a frame that waits for a slot is held as it now is).
 */
static int netvsp_rx_deliver(struct netvsp_nic *nic,
			     struct virtio_net_hdr *vh)
{
	bool gso = vh->gso_type != VIRTIO_NET_HDR_GSO_NONE;

	if (!nic->held_ready) {
		/* A GSO frame's checksums are made with its segments. */
		if (!gso &&
		    netvsp_rx_complete_csum(nic->frame, nic->held_len, vh))
			return -EINVAL;
		if (vh->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
			vh->flags &= ~VIRTIO_NET_HDR_F_NEEDS_CSUM;
			vh->flags |= VIRTIO_NET_HDR_F_DATA_VALID;
		}
		nic->held_vlan = netvsp_rx_untag(nic->frame, &nic->held_len);
		nic->held_vh = *vh;
		nic->held_ready = true;
		nic->held_seg = 0;
		nic->stats.rx_gso += gso;
	}
	if (gso)
		return netvsp_rx_gso(nic, vh);
	return netvsp_rx_frame(nic, nic->frame, nic->held_len, vh,
			       nic->held_vlan);
}

/*
 * Frames from the TAP to the guest, up to a budget. A frame that finds
 * no free slot or no ring room stays in nic->frame (held_len) and the
 * TAP is no longer watched until a completion or the guest's signal.
 */
void netvsp_rx_pump(struct netvsp_nic *nic)
{
	struct virtio_net_hdr vh;
	unsigned int budget = NETVSP_RX_BUDGET;
	ssize_t n;
	int ret;

	while (nic->tap.fd >= 0 && budget--) {
		if (!nic->held_len) {
			n = tap_read(&nic->tap, &nic->held_vh, nic->frame,
				     TAP_MAX_FRAME);
			if (n <= 0)
				break;
			nic->held_len = n;
			nic->held_ready = false;
		}
		vh = nic->held_vh;
		if (!netvsp_rx_ready(nic) ||
		    !rndis_dev_accepts(nic, nic->frame, nic->held_len)) {
			nic->stats.rx_filtered++;
			nic->held_len = 0;
			continue;
		}
		ret = netvsp_rx_deliver(nic, &vh);
		if (ret == -ENOBUFS || ret == -EAGAIN) {
			nic->stats.rx_no_slot += ret == -ENOBUFS;
			netvsp_tap_arm(nic, false);
			return;
		}
		if (ret)
			nic->stats.rx_dropped++;
		nic->held_len = 0;
	}
	netvsp_tap_arm(nic, true);
}

/* --- link state ------------------------------------------------------ */

/*
 * `nic link GUID up|down`: a media status indication tells the guest.
 * Sent when RNDIS is up; until a slot is free it waits (status_pending).
 */
void netvsp_set_link(struct netvsp_nic *nic, bool up)
{
	bool changed = nic->link_up != up;

	nic->link_up = up;
	if (!changed && !nic->status_pending)
		return;
	nic->status_pending = false;
	if (!nic->primary || !nic->primary->open || !nic->recv_gpadl ||
	    nic->rndis != NETVSP_RNDIS_OPERATIONAL)
		return;
	if (rndis_dev_status(nic, up ? RNDIS_STATUS_MEDIA_CONNECT :
				  RNDIS_STATUS_MEDIA_DISCONNECT))
		nic->status_pending = true;
}

/* --- the channel ----------------------------------------------------- */

/* Which messages each version takes, after INIT. */
static uint32_t netvsp_min_version(uint32_t type)
{
	switch (type) {
	case NVSP_MSG1_SEND_NDIS_VER:
	case NVSP_MSG1_SEND_RECV_BUF:
	case NVSP_MSG1_REVOKE_RECV_BUF:
	case NVSP_MSG1_SEND_SEND_BUF:
	case NVSP_MSG1_REVOKE_SEND_BUF:
	case NVSP_MSG1_SEND_RNDIS_PKT:
		return NVSP_VERSION_1;
	case NVSP_MSG2_SEND_NDIS_CONFIG:
		return NVSP_VERSION_2;
	case NVSP_MSG5_SUBCHANNEL:
		return NVSP_VERSION_5;
	default:
		return 0;
	}
}

/* The bytes of each message we read; a shorter one is malformed. */
static uint32_t netvsp_msg_min_len(uint32_t type)
{
	switch (type) {
	case NVSP_MSG_INIT:
		return sizeof(struct nvsp_init);
	case NVSP_MSG1_SEND_NDIS_VER:
		return sizeof(struct nvsp_send_ndis_ver);
	case NVSP_MSG1_SEND_RECV_BUF:
	case NVSP_MSG1_SEND_SEND_BUF:
		return sizeof(struct nvsp_send_buf);
	case NVSP_MSG1_REVOKE_RECV_BUF:
	case NVSP_MSG1_REVOKE_SEND_BUF:
		return sizeof(struct nvsp_revoke_buf);
	case NVSP_MSG1_SEND_RNDIS_PKT:
		return sizeof(struct nvsp_rndis_pkt);
	case NVSP_MSG2_SEND_NDIS_CONFIG:
		return sizeof(struct nvsp_send_ndis_config);
	default:
		return sizeof(struct nvsp_subchannel_req);
	}
}

static int netvsp_dispatch(struct netvsp_nic *nic, struct hv_channel *ch,
			   const struct hv_packet *pkt, const union nvsp_msg *m)
{
	switch (m->msg_type) {
	case NVSP_MSG_INIT:
		return netvsp_on_init(nic, ch, pkt, m);
	case NVSP_MSG1_SEND_NDIS_VER:
		return netvsp_on_ndis_ver(nic, ch, pkt, m);
	case NVSP_MSG2_SEND_NDIS_CONFIG:
		return netvsp_on_ndis_config(nic, ch, pkt, m);
	case NVSP_MSG1_SEND_RECV_BUF:
		return netvsp_on_recv_buf(nic, ch, pkt, m);
	case NVSP_MSG1_SEND_SEND_BUF:
		return netvsp_on_send_buf(nic, ch, pkt, m);
	case NVSP_MSG1_REVOKE_RECV_BUF:
	case NVSP_MSG1_REVOKE_SEND_BUF:
		return netvsp_on_revoke(nic, m);
	case NVSP_MSG1_SEND_RNDIS_PKT:
		return netvsp_on_rndis_pkt(nic, ch, pkt, m);
	default:
		return netvsp_on_subchannel(nic, ch, pkt, m);
	}
}

static int netvsp_message(struct netvsp_nic *nic, struct hv_channel *ch,
			  const struct hv_packet *pkt)
{
	union nvsp_msg m = { 0 };
	uint32_t type, min;

	if (pkt->data_len < sizeof(type))
		return netvsp_fail(nic, ch, "short NVSP message", pkt->data_len);
	memcpy(&type, pkt->data, sizeof(type));
	min = netvsp_min_version(type);
	if (type != NVSP_MSG_INIT && (!min || !nic->version ||
				      nic->version < min))
		return netvsp_fail(nic, ch, "unexpected NVSP message", type);
	/* Sub-channels carry data only. */
	if (ch->primary && type != NVSP_MSG1_SEND_RNDIS_PKT)
		return netvsp_fail(nic, ch, "NVSP message on a sub-channel",
				   type);
	if (pkt->data_len < netvsp_msg_min_len(type))
		return netvsp_fail(nic, ch, "short NVSP message", type);
	memcpy(&m, pkt->data, pkt->data_len < sizeof(m) ? pkt->data_len :
							   sizeof(m));
	return netvsp_dispatch(nic, ch, pkt, &m);
}

static int netvsp_packet(struct hv_channel *ch, const struct hv_packet *pkt)
{
	struct netvsp_nic *nic = netvsp_nic_of(ch);

	if (!nic || nic->failed)
		return -EPROTO;
	switch (pkt->type) {
	case VMBUS_PKT_COMP:
		return netvsp_on_completion(nic, ch, pkt);
	case VMBUS_PKT_DATA_INBAND:
	case VMBUS_PKT_DATA_USING_GPA_DIRECT:
		return netvsp_message(nic, ch, pkt);
	default:
		return netvsp_fail(nic, ch, "unexpected packet type", pkt->type);
	}
}

/*
 * Once every sub-channel granted is open, the TX spread: entry i names
 * channel i % channels, the table right after the message (OpenVMM).
 */
static void netvsp_send_tx_spread(struct netvsp_nic *nic)
{
	struct {
		struct nvsp_send_indirection_table t;
		uint32_t table[NVSP_SEND_INDIRECTION_ENTRIES];
	} __attribute__((packed)) m = { .t = {
		.msg_type = NVSP_MSG5_SEND_INDIRECTION_TABLE,
		.count = NVSP_SEND_INDIRECTION_ENTRIES,
		.offset = sizeof(m.t),
	} };
	unsigned int i, open = 0;

	/* The channel being opened is in chans[] already. */
	for (i = 0; i < nic->nchans; i++)
		open += nic->chans[i] != NULL;
	if (nic->tx_spread_sent || nic->nchans < 2 || open < nic->nchans)
		return;
	for (i = 0; i < NVSP_SEND_INDIRECTION_ENTRIES; i++)
		m.table[i] = i % nic->nchans;
	if (!hv_channel_send_queued(nic->primary, VMBUS_PKT_DATA_INBAND, 0, 0,
				    &m, sizeof(m)))
		nic->tx_spread_sent = true;
}

static int netvsp_open(struct hv_channel *ch)
{
	struct netvsp_nic *nic = netvsp_nic_of(ch);

	if (!nic || ch->sub_index >= NETVSP_MAX_CHANNELS)
		return -EINVAL;
	ch->priv = calloc(1, sizeof(struct netvsp_queue_stats));
	if (!ch->priv)
		return -ENOMEM;
	nic->chans[ch->sub_index] = ch;
	if (ch->primary && nic->version >= NVSP_VERSION_5)
		netvsp_send_tx_spread(nic);
	return 0;
}

/* The guest's session of the NIC ends with its primary channel. */
static void netvsp_reset(struct netvsp_nic *nic)
{
	netvsp_drop_recv_buf(nic);
	netvsp_drop_send_buf(nic);
	nic->version = 0;
	nic->ndis_major = nic->ndis_minor = nic->ndis_mtu = 0;
	nic->rndis = NETVSP_RNDIS_UNINIT;
	nic->filter = 0;
	memset(&nic->rss, 0, sizeof(nic->rss));
	nic->rsc_ip4 = nic->rsc_ip6 = false;
	memcpy(nic->mac, nic->perm_mac, sizeof(nic->mac));
	nic->nchans = 1;
	nic->status_pending = false;
	nic->tx_spread_sent = false;
	nic->ctl_waiting = NULL;
	nic->failed = false;
	nic->held_len = 0;
}

static void netvsp_close(struct hv_channel *ch)
{
	struct netvsp_nic *nic = netvsp_nic_of(ch);

	if (nic->ctl_waiting == ch)
		nic->ctl_waiting = NULL;
	nic->chans[ch->sub_index] = NULL;
	if (!ch->primary)
		netvsp_reset(nic);
	free(ch->priv);
	ch->priv = NULL;
}

/* Inbound room may be free: frames held for it go on. */
static void netvsp_resume(struct hv_channel *ch)
{
	struct netvsp_nic *nic = netvsp_nic_of(ch);

	if (nic && nic->held_len)
		netvsp_rx_pump(nic);
	if (nic && nic->status_pending)
		netvsp_set_link(nic, nic->link_up);
}

/* The channel is freed (rescinded and released): the NIC waits unbound. */
static void netvsp_release(struct hv_channel *ch)
{
	struct netvsp_nic *nic = ch->device;

	if (nic && nic->primary == ch)
		nic->primary = NULL;
	ch->device = NULL;
}

const struct hv_device_ops hv_netvsp_ops = {
	.open = netvsp_open,
	.close = netvsp_close,
	.packet = netvsp_packet,
	.resume = netvsp_resume,
	.release = netvsp_release,
};

/* --- the NIC --------------------------------------------------------- */

/* Microsoft's OUI and three bytes of the instance GUID. */
static void netvsp_default_mac(uint8_t mac[ETH_ALEN_], const guid_t *g)
{
	mac[0] = 0x00;
	mac[1] = 0x15;
	mac[2] = 0x5d;
	mac[3] = g->b[13];
	mac[4] = g->b[14];
	mac[5] = g->b[15];
}

static int netvsp_nic_attach_tap(struct netvsp_nic *nic)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = nic };

	if (tap_open(&nic->tap, nic->cfg->tap))
		return -1;
	if (epoll_ctl(nic->np->epfd, EPOLL_CTL_ADD, nic->tap.fd, &ev)) {
		hv_err("tap %s: epoll: %s", nic->tap.name, strerror(errno));
		tap_close(&nic->tap);
		return -1;
	}
	nic->tap_armed = true;
	return 0;
}

struct netvsp_nic *netvsp_nic_new(struct netvsp *np,
				  const struct netvsp_nic_cfg *cfg,
				  const guid_t *instance)
{
	struct netvsp_nic *nic = calloc(1, sizeof(*nic));

	if (!nic)
		return NULL;
	nic->np = np;
	nic->cfg = cfg;
	nic->instance = *instance;
	nic->tap.fd = -1;
	nic->link_up = true;
	nic->nchans = 1;
	nic->frame = malloc(TAP_MAX_FRAME);
	nic->seg = malloc(TAP_MAX_FRAME);
	nic->txbuf = malloc(NETVSP_TX_MAX);
	if (!nic->frame || !nic->seg || !nic->txbuf)
		goto fail;
	if (cfg->has_mac)
		memcpy(nic->mac, cfg->mac, sizeof(nic->mac));
	else
		netvsp_default_mac(nic->mac, instance);
	memcpy(nic->perm_mac, nic->mac, sizeof(nic->mac));
	if (cfg->tap[0] && netvsp_nic_attach_tap(nic))
		goto fail;
	return nic;
fail:
	netvsp_nic_free(nic);
	return NULL;
}

void netvsp_nic_free(struct netvsp_nic *nic)
{
	if (!nic)
		return;
	if (nic->tap.fd >= 0)
		epoll_ctl(nic->np->epfd, EPOLL_CTL_DEL, nic->tap.fd, NULL);
	tap_close(&nic->tap);
	free(nic->frame);
	free(nic->seg);
	free(nic->txbuf);
	free(nic);
}
