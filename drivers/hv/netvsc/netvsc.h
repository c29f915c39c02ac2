/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hv_netvsc: the Hyper-V synthetic NIC. Shared by the NVSP/channel part
 * (nvsp.c), the RNDIS part (rndis.c) and the net_device part (netvsc.c).
 */
#ifndef _HV_NETVSC_H
#define _HV_NETVSC_H

#include <linux/hyperv.h>
#include <linux/netdevice.h>
#include <linux/u64_stats_sync.h>
#include <linux/spinlock.h>
#include <linux/mutex.h>
#include <linux/kfifo.h>
#include <hyperv/nvsp.h>
#include <hyperv/rndis.h>

#define NETVSC_MAX_CHANNELS	64
#define NETVSC_MAX_REQUESTS	512
/* Request ids kept for control messages: TX never takes them. */
#define NETVSC_CTL_REQUESTS	16
#define NETVSC_TX_MAX_INFLIGHT	(NETVSC_MAX_REQUESTS - NETVSC_CTL_REQUESTS)
/* Largest host packet: a transfer-page header with NVSP_RSC_MAX ranges. */
#define NETVSC_MAX_PKT_SIZE	8192
#define NETVSC_MIN_SLOT_SIZE	68
#define NETVSC_CTL_TIMEOUT_MS	5000
/* Room for the RNDIS PACKET header and the PPIs a frame may carry. */
#define NETVSC_TX_HDR_MAX	(sizeof(struct rndis_packet) + \
				 4 * RNDIS_PPI_U32_SIZE)
/* A TX packet's worst case in the ring: the queue stops below it. */
#define NETVSC_TX_MIN_SPACE	vmbus_pages_pkt_size(VMBUS_MAX_PAGE_BUFS, \
						     NVSP_MSG_SIZE)
/* Send sections only control messages take, so TX cannot starve them. */
#define NETVSC_CTL_SECTIONS	2
/* Largest receive slot taken from the host: a jumbo frame and its PPIs. */
#define NETVSC_MAX_SLOT_SIZE	(64 * 1024)
#define NETVSC_MTU_MIN		68
#define NETVSC_MTU_MAX		9000

/**
 * struct netvsc_queue_stats - per-queue counters (ethtool -S)
 * @syncp: u64_stats
 * @packets: frames
 * @bytes: bytes
 * @dropped: frames dropped (bad host input, no memory, ...)
 * @csum_ok: received frames whose checksum the host verified
 * @rsc: received frames the host coalesced from several (RSC)
 * @copied: sent frames copied into a send-buffer section
 * @direct: sent frames sent as GPA ranges
 * @stops: times the queue stopped
 */
struct netvsc_queue_stats {
	struct u64_stats_sync syncp;
	u64_stats_t packets;
	u64_stats_t bytes;
	u64_stats_t dropped;
	u64_stats_t csum_ok;
	u64_stats_t rsc;
	u64_stats_t copied;
	u64_stats_t direct;
	u64_stats_t stops;
};

/**
 * struct netvsc_recv_comp - a receive completion waiting for ring room
 * @trans_id: the host's transaction id of the transfer-page packet
 * @status: NVSP_STAT_*
 */
struct netvsc_recv_comp {
	u64 trans_id;
	u32 status;
} __packed;

/**
 * struct netvsc_rx_info - the per-packet info a receiver uses
 * @csum: the checksum info (NDIS_TCP_IP_CHECKSUM_PACKET_INFO)
 * @hash: the RSS hash value, if @has_hash
 * @vlan: the IEEE 802.1Q info, if @has_vlan
 * @frag: RNDIS_PKTID_* flags of the packet-id PPI (RSC), if @has_pktid
 * @has_hash: the packet carried a hash value
 * @has_vlan: the packet carried a VLAN tag
 * @has_pktid: the packet carried a packet-id PPI
 */
struct netvsc_rx_info {
	u32 csum;
	u32 hash;
	u32 vlan;
	u8 frag;
	bool has_hash;
	bool has_vlan;
	bool has_pktid;
};

/**
 * struct netvsc_chan - one VMBus channel: one TX and one RX queue
 * @nd: the device
 * @chan: the VMBus channel
 * @index: queue index (0: the primary channel)
 * @sub_index: the host's index of the channel (its sub-channel index),
 *	which the RSS and send indirection tables name
 * @napi: the RX poll, which reads the whole inbound ring
 * @tx_inflight: TX requests waiting for their completion
 * @dead: the host rescinded this sub-channel: its queue stays stopped
 * @wakes: times the queue was woken (completions and the space callback)
 * @comp_errors: TX completions with a failure status
 * @bad_sections: receive packets naming a send section (refused)
 * @comps: receive completions the outbound ring had no room for, in
 *	order; room for one per receive slot (netvsc_comps_alloc())
 * @comps_deferred: completions that waited in @comps
 * @comps_dropped: completions beyond that (a host with more packets
 *	out than slots)
 * @rx: RX counters
 * @tx: TX counters
 * @rsc_skb: the frame being put together from the fragments of one
 *	receive packet (RSC), or NULL
 * @rsc_info: the per-packet info of its first fragment
 * @rsc_lost: the frame of the fragments coming was dropped (and counted)
 *	before its last one
 */
struct netvsc_chan {
	struct netvsc_dev *nd;
	struct vmbus_channel *chan;
	u16 index;
	u16 sub_index;
	struct napi_struct napi;
	atomic_t tx_inflight;
	bool dead;
	atomic64_t wakes;
	atomic64_t comp_errors;
	atomic64_t bad_sections;
	DECLARE_KFIFO_PTR(comps, struct netvsc_recv_comp);
	atomic64_t comps_deferred;
	atomic64_t comps_dropped;
	struct netvsc_queue_stats rx;
	struct netvsc_queue_stats tx;
	struct sk_buff *rsc_skb;
	struct netvsc_rx_info rsc_info;
	bool rsc_lost;
};

/**
 * struct netvsc_buf - a receive or send buffer shared with the host
 * @mem: the buffer (vmalloc)
 * @size: its bytes
 * @gpadl: its GPADL
 * @slot_size: receive: bytes of a slot; send: bytes of a section
 * @count: receive: slots; send: sections
 */
struct netvsc_buf {
	void *mem;
	u32 size;
	struct vmbus_gpadl gpadl;
	u32 slot_size;
	u32 count;
};

/**
 * struct netvsc_dev - one synthetic NIC
 * @hdev: the VMBus device
 * @ndev: the net_device
 * @lock: serializes open/stop, reconfiguration and removal
 * @chan_lock: guards opening and closing one channel against a
 *	sub-channel's rescind; never held while waiting for the host's
 *	offers (the rescind callback runs where the offers are handled)
 * @nvsp_ver: negotiated NVSP version (0: not set up)
 * @recv: the receive buffer
 * @send: the send buffer
 * @send_map: bitmap of busy send sections
 * @req_lock: guards @reqs
 * @reqs: RNDIS control requests waiting for their reply
 * @next_req_id: RNDIS request id generator
 * @pkt_align: RNDIS alignment of a batch (1 << pkt_alignment_factor)
 * @hw_features: offloads the host offers
 * @lso_max_size: LSOv2 maximum size the host offers
 * @link_speed: in 100 bit/s units
 * @link_up: the host's media state
 * @rescinded: the host took the NIC away; it is not re-attached
 * @rss_queues: receive queues the host offers (1 without RSS)
 * @nr_chans: open channels
 * @want_chans: channels to ask for at the next set-up
 * @rss_key: Toeplitz key
 * @rss_indir: RX indirection table (queue per entry)
 * @tx_lock: @host_tx_table, @has_host_tx_table and @tx_table
 * @has_host_tx_table: the host sent a send indirection table this set-up
 * @host_tx_table: that table, as the host's channel indexes
 * @tx_table: the TX queue of each send bucket (netvsc_map_tx_table())
 * @filter: NDIS packet filter in effect
 * @rx_mode_work: applies rx-mode changes in process context
 * @chans: the channels, @nr_chans of them
 */
struct netvsc_dev {
	struct hv_device *hdev;
	struct net_device *ndev;
	struct mutex lock;	/* set-up, teardown, open/stop */
	struct mutex chan_lock;	/* a channel's open and close */
	u32 nvsp_ver;
	struct netvsc_buf recv;
	struct netvsc_buf send;
	unsigned long *send_map;
	spinlock_t req_lock;	/* reqs */
	struct list_head reqs;
	atomic_t next_req_id;
	u32 pkt_align;
	netdev_features_t hw_features;
	u32 lso_max_size;
	u32 link_speed;
	bool link_up;
	bool rescinded;
	u32 rss_queues;
	u32 nr_chans;
	u32 want_chans;
	u8 rss_key[NDIS_RSS_HASH_KEY_SIZE];
	u32 rss_indir[NDIS_RSS_INDIRECTION_ENTRIES];
	spinlock_t tx_lock;	/* the send tables */
	bool has_host_tx_table;
	u32 host_tx_table[NVSP_SEND_INDIRECTION_ENTRIES];
	u32 tx_table[NVSP_SEND_INDIRECTION_ENTRIES];
	u32 filter;
	struct work_struct rx_mode_work;
	struct netvsc_chan chans[NETVSC_MAX_CHANNELS];
};

/* nvsp.c */
u32 netvsc_queue_of(struct netvsc_dev *nd, u32 sub_index);
void netvsc_map_tx_table(struct netvsc_dev *nd);
int netvsc_chan_open(struct netvsc_dev *nd, struct vmbus_channel *chan,
		     u16 index);
void netvsc_chan_close(struct netvsc_chan *nc);
int netvsc_nvsp_setup(struct netvsc_dev *nd);
void netvsc_nvsp_teardown(struct netvsc_dev *nd);
int netvsc_open_subchannels(struct netvsc_dev *nd, u32 count);
int netvsc_send_section(struct netvsc_chan *nc, u32 section, u32 len,
			u32 channel_type, unsigned int flags);
int netvsc_send_skb_pages(struct netvsc_chan *nc, struct sk_buff *skb,
			  unsigned int flags);
int netvsc_poll(struct napi_struct *napi, int budget);
void netvsc_tx_maybe_stop(struct netvsc_chan *nc);
void netvsc_tx_stop(struct netvsc_chan *nc);
void netvsc_tx_maybe_wake(struct netvsc_chan *nc);
int netvsc_section_get(struct netvsc_dev *nd, u32 first);
void netvsc_section_put(struct netvsc_dev *nd, u32 section);

static inline void *netvsc_section_mem(struct netvsc_dev *nd, u32 section)
{
	return nd->send.mem + section * nd->send.slot_size;
}

/* rndis.c */
int netvsc_rndis_setup(struct netvsc_dev *nd);
void netvsc_rndis_halt(struct netvsc_dev *nd);
int netvsc_rndis_set_filter(struct netvsc_dev *nd, u32 filter);
int netvsc_rndis_set_rss(struct netvsc_dev *nd, bool enable);
int netvsc_rndis_set_mac(struct netvsc_dev *nd, const u8 *mac);
bool netvsc_rndis_recv(struct netvsc_chan *nc, const void *msg, u32 len);
int netvsc_rndis_set_offloads(struct netvsc_dev *nd, netdev_features_t f);

/**
 * enum netvsc_rsc_step - what an RSC fragment does to the frame being built
 * @NETVSC_RSC_FIRST: starts a frame (one left unfinished is dropped)
 * @NETVSC_RSC_MORE: adds to the frame
 * @NETVSC_RSC_LAST: adds to the frame and finishes it
 * @NETVSC_RSC_BAD: out of order, no frame to add to
 */
enum netvsc_rsc_step {
	NETVSC_RSC_FIRST,
	NETVSC_RSC_MORE,
	NETVSC_RSC_LAST,
	NETVSC_RSC_BAD,
};

enum netvsc_rsc_step netvsc_rsc_step(u8 frag, bool building);

/* netvsc.c */
void netvsc_rx_frame(struct netvsc_chan *nc, const void *frame, u32 len,
		     const struct netvsc_rx_info *info);
void netvsc_rx_frag(struct netvsc_chan *nc, const void *frag, u32 len,
		    const struct netvsc_rx_info *info);
void netvsc_rx_end(struct netvsc_chan *nc);
void netvsc_link_change(struct netvsc_dev *nd, bool up);

#if IS_ENABLED(CONFIG_KUNIT)
/* Checks of what the host sends, for hv_netvsc's KUnit suites only. */
bool netvsc_rx_ppis(const void *ppi, u32 len, struct netvsc_rx_info *info);
bool netvsc_rx_check(const void *msg, u32 len, u32 mtu,
		     struct netvsc_rx_info *info, u32 *data, u32 *frame_len);
bool netvsc_range_ok(struct netvsc_dev *nd,
		     const struct vmbus_xfer_page_range *r);
bool netvsc_indirection_ok(const void *data, u32 len, u32 offset);
#endif

#endif /* _HV_NETVSC_H */
