// SPDX-License-Identifier: GPL-2.0
/*
 * hv_netvsc: the NVSP side. Channels and their NAPI poll, the NVSP
 * handshake, the receive and send buffers, sub-channels, and the packets
 * that carry RNDIS messages both ways.
 *
 * Every request that asks the host for a completion carries a context the
 * core gives back with it: a send-buffer section (tagged, see
 * netvsc_rqst_section()) or the skb whose pages the host reads.
 */
#include <linux/etherdevice.h>
#include <linux/skbuff.h>
#include <linux/vmalloc.h>
#include <kunit/visibility.h>

#include "netvsc.h"

static unsigned int ring_size = 512 * 1024;
module_param(ring_size, uint, 0444);
MODULE_PARM_DESC(ring_size, "Bytes of each channel ring, each way (default 512 KiB)");

static unsigned int recv_buf_size = 16 * 1024 * 1024;
module_param(recv_buf_size, uint, 0444);
MODULE_PARM_DESC(recv_buf_size, "Bytes of the receive buffer (default 16 MiB)");

static unsigned int send_buf_size = 1024 * 1024;
module_param(send_buf_size, uint, 0444);
MODULE_PARM_DESC(send_buf_size, "Bytes of the send buffer (default 1 MiB)");

/* What a Linux guest allows for each buffer. */
#define NETVSC_RECV_BUF_MAX	(31 * 1024 * 1024)
#define NETVSC_RECV_BUF_MAX_V2	(15 * 1024 * 1024)
#define NETVSC_SEND_BUF_MAX	(15 * 1024 * 1024)
#define NETVSC_SUBCHAN_WAIT_MS	5000

static const u32 netvsc_versions[] = {
	NVSP_VERSION_61, NVSP_VERSION_6, NVSP_VERSION_5,
	NVSP_VERSION_4, NVSP_VERSION_2, NVSP_VERSION_1,
};

#define NETVSC_RQST_SECTION	0x1UL

static void *netvsc_rqst_section(u32 section)
{
	return (void *)(((unsigned long)section << 1) | NETVSC_RQST_SECTION);
}

static struct device *netvsc_dev_of(struct netvsc_dev *nd)
{
	return &nd->hdev->device;
}

/* --- send sections ---------------------------------------------------- */

/**
 * netvsc_section_get() - take a free send-buffer section
 * @nd: the device
 * @first: the lowest index to take (TX leaves the first
 *	NETVSC_CTL_SECTIONS to control messages)
 *
 * Any context; lock-free, so every queue may call it.
 *
 * Return: the section index, or -ENOSPC if all are busy.
 */
int netvsc_section_get(struct netvsc_dev *nd, u32 first)
{
	unsigned long i;

	do {
		i = find_next_zero_bit(nd->send_map, nd->send.count, first);
		if (i >= nd->send.count)
			return -ENOSPC;
	} while (test_and_set_bit(i, nd->send_map));
	return i;
}

void netvsc_section_put(struct netvsc_dev *nd, u32 section)
{
	clear_bit(section, nd->send_map);
}

/* --- sending ------------------------------------------------------------ */

/* Send one SEND_RNDIS_PKT; @rqst comes back with its completion. */
static int netvsc_send_rndis_pkt(struct netvsc_chan *nc, u32 channel_type,
				 u32 section, u32 len,
				 const struct vmbus_page_buf *pb,
				 unsigned int count, void *rqst,
				 unsigned int flags)
{
	union nvsp_msg msg = {
		.rndis_pkt = {
			.msg_type = NVSP_MSG1_SEND_RNDIS_PKT,
			.channel_type = channel_type,
			.send_buf_section_index = section,
			.send_buf_section_size = len,
		},
	};
	int ret;

	atomic_inc(&nc->tx_inflight);
	if (count)
		ret = vmbus_send_pages(nc->chan, pb, count, &msg, sizeof(msg),
				       rqst, flags);
	else
		ret = vmbus_send(nc->chan, &msg, sizeof(msg), rqst, flags);
	if (ret)
		atomic_dec(&nc->tx_inflight);
	return ret;
}

/**
 * netvsc_send_section() - send the RNDIS messages in a send section
 * @nc: the channel
 * @section: a section taken with netvsc_section_get()
 * @len: bytes used in it
 * @channel_type: NVSP_RNDIS_CHANNEL_DATA or _CONTROL
 * @flags: VMBUS_SEND_*
 *
 * The section is given back when the host completes the packet (or the
 * channel closes); on an error the caller still owns it.
 *
 * Return: as vmbus_send_inband().
 */
int netvsc_send_section(struct netvsc_chan *nc, u32 section, u32 len,
			u32 channel_type, unsigned int flags)
{
	return netvsc_send_rndis_pkt(nc, channel_type, section, len, NULL, 0,
				     netvsc_rqst_section(section), flags);
}

/* Cut [@phys, @phys + @len) at page boundaries into @pb; false: too many. */
static bool netvsc_add_pages(struct vmbus_page_buf *pb, unsigned int *n,
			     phys_addr_t phys, u32 len)
{
	while (len) {
		u32 off = offset_in_page(phys);
		u32 chunk = min_t(u32, len, PAGE_SIZE - off);

		if (*n == VMBUS_MAX_PAGE_BUFS)
			return false;
		pb[*n].pfn = PHYS_PFN(phys);
		pb[*n].offset = off;
		pb[*n].len = chunk;
		(*n)++;
		phys += chunk;
		len -= chunk;
	}
	return true;
}

/**
 * netvsc_send_skb_pages() - send a frame as GPA ranges
 * @nc: the channel
 * @skb: the frame, its RNDIS PACKET header pushed in front of it
 * @flags: VMBUS_SEND_*
 *
 * The host reads the skb's head and fragments where they are; the skb is
 * freed when it completes the packet.
 *
 * Return: as vmbus_send_pages(); -EMSGSIZE if the skb has more pieces
 * than one packet takes (linearize it and try again).
 */
int netvsc_send_skb_pages(struct netvsc_chan *nc, struct sk_buff *skb,
			  unsigned int flags)
{
	struct vmbus_page_buf pb[VMBUS_MAX_PAGE_BUFS];
	unsigned int i, n = 0;

	if (!netvsc_add_pages(pb, &n, virt_to_phys(skb->data),
			      skb_headlen(skb)))
		return -EMSGSIZE;
	for (i = 0; i < skb_shinfo(skb)->nr_frags; i++) {
		const skb_frag_t *f = &skb_shinfo(skb)->frags[i];

		if (!netvsc_add_pages(pb, &n, page_to_phys(skb_frag_page(f)) +
				      skb_frag_off(f), skb_frag_size(f)))
			return -EMSGSIZE;
	}
	return netvsc_send_rndis_pkt(nc, NVSP_RNDIS_CHANNEL_DATA,
				     NVSP_NO_SECTION, 0, pb, n, skb, flags);
}

/* --- TX flow control ------------------------------------------------------ */

static bool netvsc_tx_room(struct netvsc_chan *nc)
{
	return atomic_read(&nc->tx_inflight) < NETVSC_TX_MAX_INFLIGHT &&
	       vmbus_chan_send_space(nc->chan) >= NETVSC_TX_MIN_SPACE;
}

static void netvsc_count(struct netvsc_queue_stats *s, u64_stats_t *c)
{
	u64_stats_update_begin(&s->syncp);
	u64_stats_inc(c);
	u64_stats_update_end(&s->syncp);
}

/**
 * netvsc_tx_maybe_stop() - stop a TX queue that has no room for a packet
 * @nc: the channel, from its queue's xmit
 *
 * Room is a request id and ring space for the largest packet. After a
 * stop (netvsc_tx_stop()) the room is looked at again, so that a
 * completion that came in between is not missed; a full ring asks the
 * core to call back once the host made space.
 */
void netvsc_tx_maybe_stop(struct netvsc_chan *nc)
{
	if (!netvsc_tx_room(nc))
		netvsc_tx_stop(nc);
}

/**
 * netvsc_tx_stop() - stop a TX queue until it has room again
 * @nc: the channel, from its queue's xmit
 */
void netvsc_tx_stop(struct netvsc_chan *nc)
{
	struct netdev_queue *txq = netdev_get_tx_queue(nc->nd->ndev, nc->index);

	netif_tx_stop_queue(txq);
	netvsc_count(&nc->tx, &nc->tx.stops);
	/* Pairs with the barrier in netvsc_tx_maybe_wake(). */
	smp_mb();
	if (vmbus_chan_send_space(nc->chan) < NETVSC_TX_MIN_SPACE &&
	    vmbus_chan_request_space(nc->chan, NETVSC_TX_MIN_SPACE))
		return;
	/* Ring room is there: the completions will wake us, or we do now. */
	if (netvsc_tx_room(nc))
		netvsc_tx_maybe_wake(nc);
}

/**
 * netvsc_tx_maybe_wake() - wake a stopped TX queue that has room again
 * @nc: the channel, after a completion or the core's space callback
 */
void netvsc_tx_maybe_wake(struct netvsc_chan *nc)
{
	struct net_device *ndev = nc->nd->ndev;
	struct netdev_queue *txq = netdev_get_tx_queue(ndev, nc->index);

	/* The completion's decrement before the stopped test. */
	smp_mb();
	if (!netif_tx_queue_stopped(txq) || !netif_device_present(ndev) ||
	    READ_ONCE(nc->dead))
		return;
	if (!netvsc_tx_room(nc))
		return;
	netif_tx_wake_queue(txq);
	atomic64_inc(&nc->wakes);
}

/* --- receiving -------------------------------------------------------- */

/* A request is done (completed or detached): give back what it held. */
static void netvsc_rqst_done(struct netvsc_chan *nc, void *rqst, int budget)
{
	unsigned long v = (unsigned long)rqst;

	if (v & NETVSC_RQST_SECTION)
		netvsc_section_put(nc->nd, v >> 1);
	else
		napi_consume_skb(rqst, budget);
	atomic_dec(&nc->tx_inflight);
}

static void netvsc_on_comp(struct netvsc_chan *nc, const struct vmbus_pkt *pkt,
			   int budget)
{
	const struct nvsp_rndis_pkt_complete *c = pkt->data;

	if (pkt->len < sizeof(*c) ||
	    c->msg_type != NVSP_MSG1_SEND_RNDIS_PKT_COMPLETE)
		dev_err_ratelimited(&nc->nd->hdev->device,
				    "channel %u: bad send completion (len %u)\n",
				    nc->index, pkt->len);
	else if (c->status != NVSP_STAT_SUCCESS)
		atomic64_inc(&nc->comp_errors);
	netvsc_rqst_done(nc, pkt->rqst, budget);
	netvsc_tx_maybe_wake(nc);
}

static int netvsc_send_comp(struct netvsc_chan *nc,
			    const struct netvsc_recv_comp *rc)
{
	struct nvsp_rndis_pkt_complete c = {
		.msg_type = NVSP_MSG1_SEND_RNDIS_PKT_COMPLETE,
		.status = rc->status,
	};

	return vmbus_send_completion(nc->chan, rc->trans_id, &c, sizeof(c), 0);
}

static void netvsc_comps_free(struct netvsc_chan *nc)
{
	kvfree(nc->comps.kfifo.data);
	memset(&nc->comps, 0, sizeof(nc->comps));
}

/*
 * The completion that returns receive slots: sent now if none waits
 * before it and the ring has room, else queued behind those that wait.
 * The poll reads on either way: reading the inbound ring never waits for
 * room in the outbound one (the host may be waiting for us to read).
 */
static void netvsc_send_recv_comp(struct netvsc_chan *nc, u64 trans_id,
				  u32 status)
{
	struct netvsc_recv_comp c = { .trans_id = trans_id, .status = status };

	if (kfifo_is_empty(&nc->comps) && netvsc_send_comp(nc, &c) != -EAGAIN)
		return;
	if (kfifo_initialized(&nc->comps) && kfifo_put(&nc->comps, c)) {
		atomic64_inc(&nc->comps_deferred);
		return;
	}
	/* More transfer-page packets out than the host has slots. */
	dev_err_ratelimited(&nc->nd->hdev->device,
			    "channel %u: more receive packets in flight than slots; completion 0x%llx dropped\n",
			    nc->index, trans_id);
	atomic64_inc(&nc->comps_dropped);
}

/* The queued completions, oldest first; true once none is left. */
static bool netvsc_flush_comps(struct netvsc_chan *nc)
{
	struct netvsc_recv_comp c;

	while (kfifo_peek(&nc->comps, &c)) {
		if (netvsc_send_comp(nc, &c) == -EAGAIN)
			return false;
		kfifo_skip(&nc->comps);
	}
	return true;
}

/*
 * netvsc_comps_alloc() - room for a channel's queued receive completions
 * @nc: a channel of a device whose receive slots are known
 *
 * A host has at most one transfer-page packet out per receive slot, so a
 * completion per slot is all that can ever wait. The primary channel's
 * queue comes once the host carved the receive buffer, with the poll off
 * meanwhile; a sub-channel's at its open.
 *
 * Return: 0 or -ENOMEM.
 */
static int netvsc_comps_alloc(struct netvsc_chan *nc)
{
	u32 n = roundup_pow_of_two(max(nc->nd->recv.count, 2U));
	void *buf = kvmalloc_array(n, sizeof(struct netvsc_recv_comp),
				   GFP_KERNEL);

	if (!buf)
		return -ENOMEM;
	netvsc_comps_free(nc);
	return kfifo_init(&nc->comps, buf, n * sizeof(struct netvsc_recv_comp));
}

/* A range must lie in the slots the host carved, and in one slot's size. */
VISIBLE_IF_KUNIT bool netvsc_range_ok(struct netvsc_dev *nd,
				      const struct vmbus_xfer_page_range *r)
{
	return r->byte_count && r->byte_count <= nd->recv.slot_size &&
	       (u64)r->byte_offset + r->byte_count <=
	       (u64)nd->recv.slot_size * nd->recv.count;
}
EXPORT_SYMBOL_IF_KUNIT(netvsc_range_ok);

/*
 * A transfer-page packet: RNDIS messages in receive-buffer slots. Return:
 * the messages handled, for the NAPI budget.
 */
static u32 netvsc_on_recv(struct netvsc_chan *nc, const struct vmbus_pkt *pkt)
{
	const struct vmbus_xfer_page_header *xp = pkt->hdr - sizeof(xp->desc);
	const struct nvsp_rndis_pkt *msg = pkt->data;
	struct netvsc_dev *nd = nc->nd;
	u32 status = NVSP_STAT_SUCCESS;
	u32 i, cnt = xp->range_cnt;

	if (pkt->len < sizeof(*msg) ||
	    msg->msg_type != NVSP_MSG1_SEND_RNDIS_PKT ||
	    xp->xfer_pageset_id != NVSP_RECV_BUF_ID || cnt > NVSP_RSC_MAX) {
		dev_err_ratelimited(&nd->hdev->device,
				    "channel %u: bad receive packet (type %u, set %#x, %u ranges)\n",
				    nc->index, pkt->len >= 4 ? msg->msg_type : 0,
				    xp->xfer_pageset_id, cnt);
		status = NVSP_STAT_FAIL;
		cnt = 0;
	} else if (msg->send_buf_section_index != NVSP_NO_SECTION) {
		/* The send buffer is ours: the host has nothing in it. */
		dev_err_ratelimited(&nd->hdev->device,
				    "channel %u: receive packet names send section %u\n",
				    nc->index, msg->send_buf_section_index);
		atomic64_inc(&nc->bad_sections);
		status = NVSP_STAT_FAIL;
		cnt = 0;
	}
	for (i = 0; i < cnt; i++) {
		struct vmbus_xfer_page_range r = xp->ranges[i];

		if (!netvsc_range_ok(nd, &r)) {
			dev_err_ratelimited(&nd->hdev->device,
					    "channel %u: receive range %u+%u outside the buffer\n",
					    nc->index, r.byte_offset,
					    r.byte_count);
			netvsc_count(&nc->rx, &nc->rx.dropped);
			netvsc_rx_end(nc);
			status = NVSP_STAT_FAIL;
			continue;
		}
		if (!netvsc_rndis_recv(nc, nd->recv.mem + r.byte_offset,
				       r.byte_count))
			status = NVSP_STAT_FAIL;
	}
	netvsc_rx_end(nc);
	if (pkt->flags & VMBUS_PKT_FLAG_COMPLETION_REQUESTED)
		netvsc_send_recv_comp(nc, pkt->trans_id, status);
	return cnt;
}

/**
 * netvsc_queue_of() - the queue of the channel the host calls @sub_index
 * @nd: the device
 * @sub_index: a channel index from the host (0: the primary)
 *
 * Return: the queue index; 0 for a channel we do not have.
 */
u32 netvsc_queue_of(struct netvsc_dev *nd, u32 sub_index)
{
	u32 q;

	for (q = 0; q < nd->nr_chans; q++)
		if (nd->chans[q].sub_index == sub_index)
			return q;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(netvsc_queue_of);

static void netvsc_map_tx_table_locked(struct netvsc_dev *nd)
{
	u32 i, chans = max(nd->nr_chans, 1U);

	lockdep_assert_held(&nd->tx_lock);
	for (i = 0; i < NVSP_SEND_INDIRECTION_ENTRIES; i++)
		WRITE_ONCE(nd->tx_table[i], nd->has_host_tx_table ?
			   netvsc_queue_of(nd, nd->host_tx_table[i]) :
			   i % chans);
}

/**
 * netvsc_map_tx_table() - the TX queue of each send bucket
 * @nd: the device
 *
 * The host's send indirection table names its channels; each maps to the
 * queue open on it (a channel not open: the primary's). Without a table
 * from the host the buckets go round the queues. The host may send its
 * table while sub-channels still open, before their queues count: the
 * set-up maps it again once they all do, and @nd->tx_lock keeps a late
 * mapping of the old count from landing after that.
 */
void netvsc_map_tx_table(struct netvsc_dev *nd)
{
	spin_lock_bh(&nd->tx_lock);
	netvsc_map_tx_table_locked(nd);
	spin_unlock_bh(&nd->tx_lock);
}
EXPORT_SYMBOL_IF_KUNIT(netvsc_map_tx_table);

/*
 * Whether a SEND_INDIRECTION_TABLE of @len bytes holds a whole table at
 * @offset (netvsc_indirection_offset()).
 */
VISIBLE_IF_KUNIT bool netvsc_indirection_ok(const void *data, u32 len,
					    u32 offset)
{
	const struct nvsp_send_indirection_table *t = data;

	return len >= sizeof(*t) &&
	       t->count == NVSP_SEND_INDIRECTION_ENTRIES &&
	       offset >= sizeof(*t) && offset <= len &&
	       (len - offset) / sizeof(u32) >= t->count;
}
EXPORT_SYMBOL_IF_KUNIT(netvsc_indirection_ok);

/*
 * Where the send indirection table starts. Hyper-V hosts before NVSP 6.1
 * put it right after the padded message (NVSP_MSG_SIZE) but a smaller,
 * wrong offset in the message; a message long enough for that layout is
 * read so. Shorter ones (OpenVMM's, at every version) and NVSP 6.1 hosts
 * give the right offset.
 */
static u32 netvsc_indirection_offset(struct netvsc_dev *nd,
				     const struct nvsp_send_indirection_table *t,
				     u32 len)
{
	if (nd->nvsp_ver < NVSP_VERSION_61 &&
	    len >= NVSP_MSG_SIZE + NVSP_SEND_INDIRECTION_ENTRIES * sizeof(u32))
		return NVSP_MSG_SIZE;
	return t->offset;
}

/* SEND_INDIRECTION_TABLE: the host's choice of channel per TX bucket. */
static void netvsc_on_indirection(struct netvsc_dev *nd, const void *data,
				  u32 len)
{
	const struct nvsp_send_indirection_table *t = data;
	const u32 *table;
	u32 offset;

	offset = len < sizeof(*t) ? 0 : netvsc_indirection_offset(nd, t, len);
	if (!netvsc_indirection_ok(data, len, offset)) {
		dev_err_ratelimited(&nd->hdev->device,
				    "bad send indirection table (len %u)\n",
				    len);
		return;
	}
	table = data + offset;
	spin_lock_bh(&nd->tx_lock);
	memcpy(nd->host_tx_table, table, sizeof(nd->host_tx_table));
	nd->has_host_tx_table = true;
	netvsc_map_tx_table_locked(nd);
	spin_unlock_bh(&nd->tx_lock);
}

static void netvsc_on_inband(struct netvsc_chan *nc,
			     const struct vmbus_pkt *pkt)
{
	struct netvsc_dev *nd = nc->nd;
	u32 type = pkt->len >= sizeof(u32) ? *(const u32 *)pkt->data : 0;

	if (type == NVSP_MSG5_SEND_INDIRECTION_TABLE &&
	    nd->nvsp_ver >= NVSP_VERSION_5)
		netvsc_on_indirection(nd, pkt->data, pkt->len);
	else if (type != NVSP_MSG4_SEND_VF_ASSOCIATION ||
		 nd->nvsp_ver < NVSP_VERSION_4)
		dev_err_ratelimited(&nd->hdev->device,
				    "channel %u: unexpected NVSP message %u\n",
				    nc->index, type);
}

/* One host packet; return its weight for the NAPI budget (at least 1). */
static u32 netvsc_handle_pkt(struct netvsc_chan *nc,
			     const struct vmbus_pkt *pkt, int budget)
{
	switch (pkt->type) {
	case VMBUS_PKT_COMP:
		netvsc_on_comp(nc, pkt, budget);
		return 1;
	case VMBUS_PKT_DATA_USING_XFER_PAGES:
		return max(1U, netvsc_on_recv(nc, pkt));
	default:
		netvsc_on_inband(nc, pkt);
		return 1;
	}
}

/*
 * Receive completions wait for ring room: ask the core to call back once
 * the host made some (the space callback reschedules the poll). Return:
 * true if the call will come, false if the room is there now.
 */
static bool netvsc_comp_wait(struct netvsc_chan *nc)
{
	return vmbus_chan_request_space(nc->chan,
		vmbus_inband_pkt_size(sizeof(struct nvsp_rndis_pkt_complete)));
}

/**
 * netvsc_poll() - NAPI poll: read the channel's inbound ring
 * @napi: the channel's NAPI
 * @budget: most packets to handle
 *
 * Each RNDIS message received counts as one unit of work, each other
 * host packet as one. Receive completions the outbound ring has no room
 * for wait in order in the channel's queue and go first on the next poll;
 * the ring is read on meanwhile, so that a host that waits for us to read
 * before it reads what we wrote never deadlocks with us. With completions
 * still queued, the poll ends once the inbound ring is empty and comes
 * back on the host's next packet or on the core's space callback.
 *
 * Return: work done.
 */
int netvsc_poll(struct napi_struct *napi, int budget)
{
	struct netvsc_chan *nc = container_of(napi, struct netvsc_chan, napi);
	const struct vmbus_pkt *pkt;
	int work = 0;

	netvsc_flush_comps(nc);
	while (work < budget) {
		pkt = vmbus_recv_pkt(nc->chan);
		if (!pkt)
			break;
		work += netvsc_handle_pkt(nc, pkt, budget);
	}
	if (work >= budget ||
	    (!netvsc_flush_comps(nc) && !netvsc_comp_wait(nc))) {
		/* More to read, or ring room for the completions now. */
		vmbus_recv_commit(nc->chan);
		return budget;
	}
	if (napi_complete_done(napi, work) && vmbus_chan_enable_cb(nc->chan)) {
		vmbus_chan_disable_cb(nc->chan);
		napi_schedule(napi);
	}
	return work;
}

/* --- channels ------------------------------------------------------- */

static void netvsc_chan_callback(void *ctx)
{
	struct netvsc_chan *nc = ctx;

	if (napi_schedule_prep(&nc->napi)) {
		vmbus_chan_disable_cb(nc->chan);
		__napi_schedule(&nc->napi);
	}
}

static void netvsc_chan_send_space(void *ctx)
{
	struct netvsc_chan *nc = ctx;

	/* Receive completions waited for this room: poll again. */
	if (!kfifo_is_empty(&nc->comps))
		napi_schedule(&nc->napi);
	netvsc_tx_maybe_wake(nc);
}

static void netvsc_chan_detach(void *ctx, void *rqst)
{
	netvsc_rqst_done(ctx, rqst, 0);
}

/**
 * netvsc_chan_open() - open a channel as queue @index, its NAPI running
 * @nd: the device
 * @chan: the primary channel or a sub-channel
 * @index: queue index
 *
 * Return: 0 or an error of vmbus_chan_open().
 */
int netvsc_chan_open(struct netvsc_dev *nd, struct vmbus_channel *chan,
		     u16 index)
{
	struct netvsc_chan *nc = &nd->chans[index];
	struct vmbus_chan_config cfg = {
		.send_ring_size = PAGE_ALIGN(ring_size),
		.recv_ring_size = PAGE_ALIGN(ring_size),
		.max_pkt_size = NETVSC_MAX_PKT_SIZE,
		.max_requests = NETVSC_MAX_REQUESTS,
		.callback = netvsc_chan_callback,
		.send_space = netvsc_chan_send_space,
		.detach = netvsc_chan_detach,
		.ctx = nc,
	};
	int ret;

	nc->nd = nd;
	nc->chan = chan;
	nc->index = index;
	nc->sub_index = vmbus_chan_subchannel_index(chan);
	nc->dead = false;
	atomic_set(&nc->tx_inflight, 0);
	/* The primary's comes with the receive buffer (netvsc_primary_comps()). */
	if (nd->recv.count) {
		ret = netvsc_comps_alloc(nc);
		if (ret)
			return ret;
	}
	netif_napi_add(nd->ndev, &nc->napi, netvsc_poll);
	napi_enable(&nc->napi);
	ret = vmbus_chan_open(chan, &cfg);
	if (ret) {
		napi_disable(&nc->napi);
		netif_napi_del(&nc->napi);
		netvsc_comps_free(nc);
		nc->chan = NULL;
	}
	return ret;
}

/**
 * netvsc_chan_close() - stop a queue's NAPI and close its channel
 * @nc: an open channel
 *
 * Requests still out go back through the detach callback.
 */
void netvsc_chan_close(struct netvsc_chan *nc)
{
	napi_disable(&nc->napi);
	vmbus_chan_close(nc->chan);
	netif_napi_del(&nc->napi);
	netvsc_comps_free(nc);
	nc->chan = NULL;
}

/* --- the NVSP handshake --------------------------------------------------- */

/* Send @req and wait for its completion, a @type message of @min bytes. */
static int netvsc_nvsp_xact(struct netvsc_dev *nd, const union nvsp_msg *req,
			    u32 type, u32 min, union nvsp_msg *resp)
{
	struct vmbus_xact *x;
	const void *reply;
	u32 len;
	int ret;

	x = vmbus_xact_alloc(nd->hdev->channel, sizeof(*resp), GFP_KERNEL);
	if (!x)
		return -ENOMEM;
	ret = vmbus_xact_send(x, req, sizeof(*req));
	if (!ret)
		ret = vmbus_xact_wait(x, NETVSC_CTL_TIMEOUT_MS);
	if (!ret) {
		reply = vmbus_xact_reply(x, &len);
		memset(resp, 0, sizeof(*resp));
		memcpy(resp, reply, min_t(u32, len, sizeof(*resp)));
		if (len < min || resp->msg_type != type) {
			dev_err(netvsc_dev_of(nd),
				"NVSP: bad answer to message %u (type %u, %u bytes)\n",
				req->msg_type, len >= 4 ? resp->msg_type : 0,
				len);
			ret = -EPROTO;
		}
	}
	vmbus_xact_put(x);
	return ret;
}

static int netvsc_nvsp_send(struct netvsc_dev *nd, const union nvsp_msg *msg)
{
	return vmbus_send(nd->hdev->channel, msg, sizeof(*msg), NULL,
			  VMBUS_SEND_MAY_SLEEP);
}

static int netvsc_nvsp_init(struct netvsc_dev *nd)
{
	union nvsp_msg req = { .msg_type = NVSP_MSG_INIT }, resp;
	unsigned int i;
	int ret;

	for (i = 0; i < ARRAY_SIZE(netvsc_versions); i++) {
		req.init.min_protocol_ver = netvsc_versions[i];
		req.init.max_protocol_ver = netvsc_versions[i];
		ret = netvsc_nvsp_xact(nd, &req, NVSP_MSG_INIT_COMPLETE,
				       sizeof(resp.init_complete), &resp);
		if (ret)
			return ret;
		if (resp.init_complete.status == NVSP_STAT_SUCCESS) {
			nd->nvsp_ver = netvsc_versions[i];
			return 0;
		}
	}
	dev_err(netvsc_dev_of(nd), "NVSP: the host takes none of our versions\n");
	return -EPROTONOSUPPORT;
}

static int netvsc_nvsp_config(struct netvsc_dev *nd)
{
	union nvsp_msg msg = { .msg_type = NVSP_MSG2_SEND_NDIS_CONFIG };
	int ret;

	if (nd->nvsp_ver >= NVSP_VERSION_2) {
		msg.ndis_config.mtu = nd->ndev->mtu + ETH_HLEN;
		msg.ndis_config.capability = NVSP_CAP_IEEE8021Q;
		if (nd->nvsp_ver >= NVSP_VERSION_5)
			msg.ndis_config.capability |= NVSP_CAP_TEAMING;
		if (nd->nvsp_ver >= NVSP_VERSION_61)
			msg.ndis_config.capability |= NVSP_CAP_RSC;
		ret = netvsc_nvsp_send(nd, &msg);
		if (ret)
			return ret;
	}
	memset(&msg, 0, sizeof(msg));
	msg.ndis_ver.msg_type = NVSP_MSG1_SEND_NDIS_VER;
	msg.ndis_ver.ndis_major_ver = 6;
	msg.ndis_ver.ndis_minor_ver = nd->nvsp_ver <= NVSP_VERSION_4 ? 1 : 30;
	return netvsc_nvsp_send(nd, &msg);
}

static int netvsc_buf_alloc(struct netvsc_dev *nd, struct netvsc_buf *b,
			    u32 size)
{
	b->size = PAGE_ALIGN(size);
	b->mem = vzalloc(b->size);
	if (!b->mem)
		return -ENOMEM;
	return vmbus_gpadl_create(nd->hdev->channel, b->mem, b->size,
				  &b->gpadl);
}

static void netvsc_buf_free(struct netvsc_dev *nd, struct netvsc_buf *b)
{
	/* Without a confirmed teardown the host may still write: leak it. */
	if (b->gpadl.handle &&
	    vmbus_gpadl_teardown(nd->hdev->channel, &b->gpadl))
		b->gpadl.buffer = b->mem;
	if (!b->gpadl.buffer)
		vfree(b->mem);
	memset(b, 0, sizeof(*b));
}

/* Check the host's carving of the receive buffer (one section, at 0). */
static int netvsc_recv_sections(struct netvsc_dev *nd,
				const struct nvsp_send_recv_buf_complete *c)
{
	const struct nvsp_recv_buf_section *s = &c->section;

	if (c->status != NVSP_STAT_SUCCESS || c->num_sections != 1 ||
	    s->offset || s->sub_alloc_size < NETVSC_MIN_SLOT_SIZE ||
	    s->sub_alloc_size > NETVSC_MAX_SLOT_SIZE ||
	    !s->num_sub_allocs ||
	    (u64)s->sub_alloc_size * s->num_sub_allocs > nd->recv.size) {
		dev_err(netvsc_dev_of(nd),
			"NVSP: receive buffer refused or badly cut (status %u, %u sections, slot %u x %u)\n",
			c->status, c->num_sections, s->sub_alloc_size,
			s->num_sub_allocs);
		return -EPROTO;
	}
	nd->recv.slot_size = s->sub_alloc_size;
	nd->recv.count = s->num_sub_allocs;
	return 0;
}

/*
 * Allocate buffer @b, GPADL it and offer it to the host with @type and
 * @id; the answer (a @min-byte message of type @type + 1) is in @resp.
 */
static int netvsc_buf_offer(struct netvsc_dev *nd, struct netvsc_buf *b,
			    u32 size, u32 type, u16 id, u32 min,
			    union nvsp_msg *resp)
{
	union nvsp_msg req = { .msg_type = type };
	int ret;

	BUILD_BUG_ON(NVSP_MSG1_SEND_RECV_BUF + 1 !=
		     NVSP_MSG1_SEND_RECV_BUF_COMPLETE);
	BUILD_BUG_ON(NVSP_MSG1_SEND_SEND_BUF + 1 !=
		     NVSP_MSG1_SEND_SEND_BUF_COMPLETE);
	ret = netvsc_buf_alloc(nd, b, max_t(u32, size, PAGE_SIZE));
	if (ret)
		return ret;
	req.send_buf.gpadl_handle = b->gpadl.handle;
	req.send_buf.id = id;
	return netvsc_nvsp_xact(nd, &req, type + 1, min, resp);
}

/*
 * The primary channel's completion queue, now that the slots are known;
 * its poll is off meanwhile (a host may send before it was told to).
 */
static int netvsc_primary_comps(struct netvsc_dev *nd)
{
	struct netvsc_chan *nc = &nd->chans[0];
	int ret;

	napi_disable(&nc->napi);
	ret = netvsc_comps_alloc(nc);
	napi_enable(&nc->napi);
	/* A signal while the poll was off scheduled nothing: look now. */
	netvsc_chan_callback(nc);
	return ret;
}

static int netvsc_recv_buf_setup(struct netvsc_dev *nd)
{
	u32 size = min_t(u32, recv_buf_size, nd->nvsp_ver <= NVSP_VERSION_2 ?
			 NETVSC_RECV_BUF_MAX_V2 : NETVSC_RECV_BUF_MAX);
	union nvsp_msg resp;
	int ret;

	ret = netvsc_buf_offer(nd, &nd->recv, size, NVSP_MSG1_SEND_RECV_BUF,
			       NVSP_RECV_BUF_ID,
			       sizeof(resp.recv_buf_complete), &resp);
	if (!ret)
		ret = netvsc_recv_sections(nd, &resp.recv_buf_complete);
	return ret ? ret : netvsc_primary_comps(nd);
}

static int netvsc_send_buf_setup(struct netvsc_dev *nd)
{
	u32 size = min_t(u32, send_buf_size, NETVSC_SEND_BUF_MAX);
	union nvsp_msg resp;
	u32 section;
	int ret;

	ret = netvsc_buf_offer(nd, &nd->send, size, NVSP_MSG1_SEND_SEND_BUF,
			       NVSP_SEND_BUF_ID,
			       sizeof(resp.send_buf_complete), &resp);
	if (ret)
		return ret;
	section = resp.send_buf_complete.section_size;
	if (resp.send_buf_complete.status != NVSP_STAT_SUCCESS ||
	    section < NETVSC_MIN_SLOT_SIZE ||
	    nd->send.size / max(section, 1U) <= NETVSC_CTL_SECTIONS) {
		dev_err(netvsc_dev_of(nd),
			"NVSP: send buffer refused (status %u, section %u)\n",
			resp.send_buf_complete.status, section);
		return -EPROTO;
	}
	nd->send.slot_size = section;
	nd->send.count = nd->send.size / section;
	nd->send_map = bitmap_zalloc(nd->send.count, GFP_KERNEL);
	return nd->send_map ? 0 : -ENOMEM;
}

static void netvsc_revoke(struct netvsc_dev *nd, u32 type, u16 id)
{
	union nvsp_msg msg = { .revoke_buf = { .msg_type = type, .id = id } };

	/* Without an answer: a dead channel just skips it. */
	netvsc_nvsp_send(nd, &msg);
}

/**
 * netvsc_nvsp_setup() - NVSP handshake on the open primary channel
 * @nd: the device
 *
 * INIT down the version list, NDIS config and version, then the receive
 * and the send buffer. On an error, netvsc_nvsp_teardown() undoes what
 * was done.
 *
 * Return: 0, or a negative error.
 */
int netvsc_nvsp_setup(struct netvsc_dev *nd)
{
	int ret;

	ret = netvsc_nvsp_init(nd);
	if (!ret)
		ret = netvsc_nvsp_config(nd);
	if (!ret)
		ret = netvsc_recv_buf_setup(nd);
	if (!ret)
		ret = netvsc_send_buf_setup(nd);
	return ret;
}

/**
 * netvsc_nvsp_teardown() - revoke the buffers, close every channel, free
 * @nd: the device, NAPI of every channel still enabled
 */
void netvsc_nvsp_teardown(struct netvsc_dev *nd)
{
	u32 i;

	if (nd->recv.gpadl.handle)
		netvsc_revoke(nd, NVSP_MSG1_REVOKE_RECV_BUF, NVSP_RECV_BUF_ID);
	if (nd->send.gpadl.handle)
		netvsc_revoke(nd, NVSP_MSG1_REVOKE_SEND_BUF, NVSP_SEND_BUF_ID);
	mutex_lock(&nd->chan_lock);
	for (i = nd->nr_chans; i-- > 0;)
		if (nd->chans[i].chan)
			netvsc_chan_close(&nd->chans[i]);
	nd->nr_chans = 0;
	mutex_unlock(&nd->chan_lock);
	/* The next set-up's channels get a table of their own. */
	spin_lock_bh(&nd->tx_lock);
	nd->has_host_tx_table = false;
	spin_unlock_bh(&nd->tx_lock);
	netvsc_buf_free(nd, &nd->recv);
	netvsc_buf_free(nd, &nd->send);
	bitmap_free(nd->send_map);
	nd->send_map = NULL;
	nd->nvsp_ver = 0;
}

/* --- sub-channels ----------------------------------------------------- */

static int netvsc_subchan_request(void *ctx, unsigned int count)
{
	union nvsp_msg req = { .msg_type = NVSP_MSG5_SUBCHANNEL }, resp;
	struct netvsc_dev *nd = ctx;
	int ret;

	req.subchannel_req.op = NVSP_SUBCHANNEL_ALLOCATE;
	req.subchannel_req.num_subchannels = count;
	ret = netvsc_nvsp_xact(nd, &req, NVSP_MSG5_SUBCHANNEL,
			       sizeof(resp.subchannel_complete), &resp);
	if (ret)
		return ret;
	if (resp.subchannel_complete.status != NVSP_STAT_SUCCESS ||
	    resp.subchannel_complete.num_subchannels > count) {
		dev_err(netvsc_dev_of(nd),
			"NVSP: sub-channel request refused (status %u, %u granted)\n",
			resp.subchannel_complete.status,
			resp.subchannel_complete.num_subchannels);
		return -EPROTO;
	}
	if (resp.subchannel_complete.num_subchannels < count)
		dev_info(netvsc_dev_of(nd), "the host grants %u of %u sub-channels\n",
			 resp.subchannel_complete.num_subchannels, count);
	return 0;
}

/*
 * The host takes one sub-channel away: its queue stops for good (until
 * the next set-up), and the channel is closed here, so that what it held
 * comes back through the detach callback before the core frees it.
 */
static void netvsc_subchan_rescind(struct vmbus_channel *sub)
{
	struct netvsc_dev *nd = hv_get_drvdata(vmbus_chan_device(sub));
	struct netdev_queue *txq;
	struct netvsc_chan *nc;
	u32 i;

	mutex_lock(&nd->chan_lock);
	for (i = 1; i < nd->nr_chans; i++) {
		nc = &nd->chans[i];
		if (nc->chan != sub)
			continue;
		WRITE_ONCE(nc->dead, true);
		txq = netdev_get_tx_queue(nd->ndev, i);
		/* With the queue's lock: no xmit is still in it afterwards. */
		__netif_tx_lock_bh(txq);
		netif_tx_stop_queue(txq);
		__netif_tx_unlock_bh(txq);
		netvsc_chan_close(nc);
		dev_warn(&nd->hdev->device, "the host removed queue %u\n", i);
	}
	mutex_unlock(&nd->chan_lock);
}

static int netvsc_subchan_open(void *ctx, struct vmbus_channel *sub)
{
	struct netvsc_dev *nd = ctx;
	u32 index = nd->nr_chans;
	int ret;

	/*
	 * Queues in the order the offers came: the host's indexes may have
	 * gaps (one still held from an earlier set-up) or come in any order.
	 */
	if (index >= NETVSC_MAX_CHANNELS)
		return -ENOSPC;
	mutex_lock(&nd->chan_lock);
	ret = netvsc_chan_open(nd, sub, index);
	if (!ret)
		nd->nr_chans++;
	mutex_unlock(&nd->chan_lock);
	if (!ret)
		vmbus_set_rescind_callback(sub, netvsc_subchan_rescind);
	return ret;
}

/**
 * netvsc_open_subchannels() - ask for @count sub-channels and open them
 * @nd: the device, after the RNDIS set-up
 * @count: sub-channels wanted
 *
 * Return: sub-channels opened, or a negative error.
 */
int netvsc_open_subchannels(struct netvsc_dev *nd, u32 count)
{
	struct vmbus_subchannel_req req = {
		.count = count,
		.timeout_ms = NETVSC_SUBCHAN_WAIT_MS,
		.request = netvsc_subchan_request,
		.open = netvsc_subchan_open,
		.ctx = nd,
	};

	return vmbus_subchannels_open(nd->hdev->channel, &req);
}
