/* SPDX-License-Identifier: GPL-2.0 */
/*
 * NetVSP: the host half of the synthetic NIC (reference §6). netvsp.c
 * serves NVSP on the NIC's channels (handshake, buffers, data path),
 * rndis_dev.c is the RNDIS device behind it (control messages, OIDs) and
 * netvsp_class.c ties a NIC to the command line, a TAP interface, the
 * event loop and the control socket.
 */
#ifndef _HVHOST_NETVSP_H
#define _HVHOST_NETVSP_H

#include <stdbool.h>
#include <stdint.h>

#include <hyperv/nvsp.h>
#include <hyperv/rndis.h>

#include "tap.h"
#include "vmbus_server.h"

#define NETVSP_MAX_NICS		16
#define NETVSP_MAX_CHANNELS	16
#define NETVSP_DEFAULT_CHANNELS	4
#define NETVSP_DEFAULT_MTU	1500
#define NETVSP_MIN_MTU		68
#define NETVSP_MAX_MTU		9000
/* NDIS "MTU" (frame without FCS) bounds, as OpenVMM clamps them. */
#define NETVSP_NDIS_MTU_DEFAULT	1514
#define NETVSP_NDIS_MTU_MAX	9216
/* Receive slot: room for the RNDIS header and PPIs, the frame, a footer. */
#define NETVSP_RX_HEADROOM	256
#define NETVSP_RX_FOOTER	36
#define NETVSP_SEND_SECTION	6144
#define NETVSP_MAX_MDL_CHAIN	34
/* 10 Gbit/s in the 100 bit/s units of OID_GEN_LINK_SPEED. */
#define NETVSP_LINK_SPEED	100000000U
/* Transaction ids of our receive packets: this | slot index. */
#define NETVSP_RX_ID_BASE	0x4e56530000000000ULL
#define NETVSP_RX_ID_MASK	0x00000000ffffffffULL
/* Largest batch of RNDIS messages one SEND_RNDIS_PKT may carry. */
#define NETVSP_TX_MAX		(128 * 1024)
/* slot_busy: the slot a packet's transaction id names, or a later one. */
#define NETVSP_SLOT_HEAD	1
#define NETVSP_SLOT_MORE	2
#define NETVSP_NO_SLOT		UINT32_MAX
/*
 * Most fragments of one coalesced frame (RSC), each in a slot of its own
 * and a range of one packet: 64 KiB in fragments of at least 1 KiB.
 */
#define NETVSP_RSC_FRAGS	64
/* Receive slots only control answers and indications may take. */
#define NETVSP_CTL_SLOTS	8
/* Receive packets leave 1/this of the inbound ring for completions. */
#define NETVSP_RING_KEEP_DIV	8
/* Frames read from a TAP per event before other work gets a turn. */
#define NETVSP_RX_BUDGET	64
#define ETH_ALEN_		6

/**
 * struct netvsp_nic_cfg - one --nic of the command line
 * @tap: the TAP interface, "" for none (the cable is unplugged)
 * @mac: its MAC address
 * @has_mac: @mac was given (else derived from the instance GUID)
 * @channels: most channels (primary + sub-channels) the NIC grants
 * @mtu: largest MTU the NIC allows the guest
 * @max_version: newest NVSP version the NIC takes (nvsp=)
 */
struct netvsp_nic_cfg {
	char tap[IFNAMSIZ];
	uint8_t mac[ETH_ALEN_];
	bool has_mac;
	unsigned int channels;
	unsigned int mtu;
	uint32_t max_version;
};

/* What a channel of the NIC counts (`stats`). */
struct netvsp_queue_stats {
	uint64_t rx_frames;	/* frames to the guest on this channel */
	uint64_t rx_bytes;
	uint64_t tx_frames;	/* frames from the guest on this channel */
	uint64_t tx_bytes;
};

/* The NIC's own counters. */
struct netvsp_nic_stats {
	uint64_t tx_frames;
	uint64_t tx_bytes;
	uint64_t tx_dropped;	/* no TAP, link down, or the TAP refused */
	uint64_t tx_bad;	/* malformed RNDIS packets: status FAIL */
	uint64_t tx_csum_ppi;	/* frames with a checksum PPI */
	uint64_t tx_lso_ppi;	/* ... with an LSO PPI */
	uint64_t rx_frames;
	uint64_t rx_bytes;
	uint64_t rx_filtered;	/* not for us under the packet filter */
	uint64_t rx_dropped;	/* too big for a slot, or not initialised */
	uint64_t rx_hash_ppi;	/* frames given a hash PPI */
	uint64_t rx_csum_ppi;	/* frames given a checksum PPI */
	uint64_t rx_vlan_ppi;	/* frames given a VLAN PPI (tag taken out) */
	uint64_t rx_no_slot;	/* times the TAP waited for a free slot */
	uint64_t rx_gso;	/* GSO frames from the TAP */
	uint64_t rx_rsc;	/* ... sent as one coalesced frame (RSC) */
	uint64_t rx_rsc_frags;	/* ... in this many fragments */
	uint64_t rx_segments;	/* segments cut from the others */
	uint64_t rndis_ctl;	/* RNDIS control messages */
	uint64_t bad_completions; /* completions that answer nothing */
	uint64_t protocol_errors;
};

enum netvsp_rndis_state {
	NETVSP_RNDIS_UNINIT,
	NETVSP_RNDIS_OPERATIONAL,
	NETVSP_RNDIS_HALTED,
};

/**
 * struct netvsp_rss - the guest's RSS parameters
 * @enabled: hash and spread received frames
 * @hashinfo: NDIS_RSS_HASH_* the guest enabled
 * @key: the Toeplitz key
 * @indir: channel index per hash bucket
 * @nindir: entries of @indir
 */
struct netvsp_rss {
	bool enabled;
	uint32_t hashinfo;
	uint8_t key[NDIS_RSS_HASH_KEY_SIZE];
	uint32_t indir[NDIS_RSS_INDIRECTION_ENTRIES];
	unsigned int nindir;
};

struct netvsp;

/**
 * struct netvsp_nic - one synthetic NIC: its channels, buffers and TAP
 * @np: the class instance
 * @cfg: its command-line configuration
 * @primary: its primary channel
 * @chans: its open channels by sub-channel index (0 = primary)
 * @nchans: channels the NIC may use (1 + sub-channels granted)
 * @tap: the wire; fd -1 when unplugged
 * @tap_armed: the class's epoll watches @tap for input
 * @instance: the instance GUID it is offered with
 * @mac: the current MAC address
 * @perm_mac: the permanent one
 * @link_up: the `nic link` state
 * @version: negotiated NVSP version, 0 before INIT succeeded
 * @ndis_major: SEND_NDIS_VER, major (0: not received)
 * @ndis_minor: ... minor
 * @ndis_mtu: SEND_NDIS_CONFIG's MTU, clamped (frame bytes, 0: none yet)
 * @recv_gpadl: receive buffer GPADL (0: none)
 * @recv_id: its id, echoed as the transfer page set id
 * @recv_size: its bytes
 * @slot_size: bytes of a receive slot
 * @nslots: slots in the receive buffer
 * @slot_busy: per slot: in a packet the guest has not completed yet,
 *	as its first slot (NETVSP_SLOT_HEAD) or a later one (NETVSP_SLOT_MORE)
 * @slot_next: per busy slot: the packet's next slot, or NETVSP_NO_SLOT
 * @free_slots: stack of free slot indexes, @nfree of them
 * @send_gpadl: send buffer GPADL (0: none)
 * @nsections: send-buffer sections
 * @rndis: RNDIS device state
 * @filter: the packet filter (NDIS_PACKET_TYPE_*)
 * @rss: RSS parameters
 * @rsc_ip4: the guest asked for IPv4 TCP frames coalesced (RSC)
 * @rsc_ip6: ... IPv6
 * @tx_spread_sent: SEND_INDIRECTION_TABLE went out for this open
 * @status_pending: a media status indication waits for a free slot
 * @ctl_waiting: a channel holding a control message until a slot frees
 * @failed: the guest broke the protocol; its packets are ignored
 * @frame: one frame from the TAP, held there (@held_len bytes, with
 *	@held_vh) while it waits for a slot or ring room
 * @held_len: 0 when nothing is held
 * @held_vh: the frame's virtio-net header
 * @held_ready: the held frame's checksum is complete and its tag out
 * @held_vlan: its VLAN PPI value, -1 for none
 * @held_seg: a GSO frame being cut into segments: the payload offset of
 *	the next one (0: not started)
 * @seg: scratch: one segment of a GSO frame
 * @txbuf: scratch: the RNDIS messages of one guest send
 * @stats: counters
 */
struct netvsp_nic {
	struct netvsp *np;
	const struct netvsp_nic_cfg *cfg;
	struct hv_channel *primary;
	struct hv_channel *chans[NETVSP_MAX_CHANNELS];
	unsigned int nchans;
	struct tap tap;
	bool tap_armed;
	guid_t instance;
	uint8_t mac[ETH_ALEN_];
	uint8_t perm_mac[ETH_ALEN_];
	bool link_up;
	uint32_t version;
	uint32_t ndis_major;
	uint32_t ndis_minor;
	uint32_t ndis_mtu;
	uint32_t recv_gpadl;
	uint16_t recv_id;
	uint32_t recv_size;
	uint32_t slot_size;
	uint32_t nslots;
	uint8_t *slot_busy;
	uint32_t *slot_next;
	uint32_t *free_slots;
	uint32_t nfree;
	uint32_t send_gpadl;
	uint32_t nsections;
	enum netvsp_rndis_state rndis;
	uint32_t filter;
	struct netvsp_rss rss;
	bool rsc_ip4;
	bool rsc_ip6;
	bool tx_spread_sent;
	bool status_pending;
	struct hv_channel *ctl_waiting;
	bool failed;
	uint8_t *frame;
	uint32_t held_len;
	struct virtio_net_hdr held_vh;
	bool held_ready;
	int64_t held_vlan;
	uint32_t held_seg;
	uint8_t *seg;
	uint8_t *txbuf;
	struct netvsp_nic_stats stats;
};

/**
 * struct netvsp_fault - `fault netvsc KIND [COUNT]` state
 * @kind: what the next @count receive packets get wrong (NETVSP_FAULT_*)
 * @count: how many are left
 * @sent: faults injected so far
 */
struct netvsp_fault {
	unsigned int kind;
	unsigned int count;
	uint64_t sent;
};

enum netvsp_fault_kind {
	NETVSP_FAULT_NONE,
	NETVSP_FAULT_RNDIS_LEN,		/* msg_len past the range */
	NETVSP_FAULT_PPI_OFFSET,	/* PPI offset past the message */
	NETVSP_FAULT_XFER_RANGE,	/* range outside the receive buffer */
	NETVSP_FAULT_TOO_MANY_RANGES,	/* range count above NVSP_RSC_MAX */
	NETVSP_FAULT_SECTION,		/* bad section index in a completion */
	NETVSP_FAULT_RING_FILL,		/* no inbound room kept back */
	NETVSP_FAULT_NVSP_TYPE,		/* unknown NVSP message type */
	NETVSP_FAULT_UNSOLICITED,	/* completion answering nothing */
	NETVSP_FAULT_TX_TABLE_V6,	/* send table as hosts < 6.1 lay it */
};

/**
 * struct netvsp - the NIC class instance
 * @cfgs: the command line's NICs, @ncfgs of them
 * @nics: the NICs bound to channels: the command line's by their order,
 *	then those of `offer nic`; kept after a rescind for a new offer
 * @epfd: epoll set of the TAP fds, which the event loop watches
 * @spare_cfg: the configuration of NICs offered by `offer nic`
 * @fault: fault injection
 */
struct netvsp {
	const struct netvsp_nic_cfg *cfgs;
	unsigned int ncfgs;
	struct netvsp_nic_cfg spare_cfg;
	struct netvsp_nic *nics[NETVSP_MAX_NICS];
	int epfd;
	struct netvsp_fault fault;
};

/* netvsp.c */
struct netvsp_nic *netvsp_nic_new(struct netvsp *np,
				  const struct netvsp_nic_cfg *cfg,
				  const guid_t *instance);
void netvsp_nic_free(struct netvsp_nic *nic);
void netvsp_rx_pump(struct netvsp_nic *nic);
void netvsp_tap_arm(struct netvsp_nic *nic, bool on);
int netvsp_send_control(struct netvsp_nic *nic, const void *msg,
			uint32_t len);
void netvsp_set_link(struct netvsp_nic *nic, bool up);
extern const struct hv_device_ops hv_netvsp_ops;

/* netvsp_class.c */
int netvsp_parse_mac(const char *s, uint8_t mac[ETH_ALEN_]);
int netvsp_parse_cfg(const char *args, struct netvsp_nic_cfg *c,
		     const char **err);

/* netvsp_fault.c */
const char *netvsp_fault(void *inst, const char *kind, unsigned int count);
bool netvsp_fault_take(struct netvsp *np, unsigned int kind);

/* rndis_dev.c */
int rndis_dev_control(struct netvsp_nic *nic, const uint8_t *msg,
		      uint32_t len);
int rndis_dev_status(struct netvsp_nic *nic, uint32_t status);
bool rndis_dev_accepts(const struct netvsp_nic *nic, const uint8_t *frame,
		       uint32_t len);

#endif /* _HVHOST_NETVSP_H */
