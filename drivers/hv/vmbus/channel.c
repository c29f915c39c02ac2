// SPDX-License-Identifier: GPL-2.0
/*
 * Channels: GPADLs, open and close, sending (inband, GPA-direct, page
 * buffers, completions), the receive iterator, request ids, and the
 * request ids of transactions (xact.c) whose reply is their completion.
 *
 * Request ids are small integers from a per-channel table, with a
 * generation in the upper 32 bits: the host never sees a guest pointer,
 * and a completion with an unknown, stale or reused id is dropped.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/mm.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/uio.h>
#include <linux/vmalloc.h>
#include <kunit/visibility.h>

#include "vmbus_private.h"

/* The first GPADL handle; any unique value would do. */
#define VMBUS_GPADL_FIRST	0xe1e10
/* range_buflen is 16 bits: one range of 8 + 8 * n bytes. */
#define VMBUS_GPADL_MAX_PFNS	((U16_MAX - sizeof(struct vmbus_gpa_range)) / 8)
/* How long a rescinded channel's host gets to confirm a teardown. */
#define VMBUS_RESCINDED_TIMEOUT	(2 * HZ)
#define VMBUS_MAX_SEND_KVECS	8
#define VMBUS_PKT_DESC_LEN8	(sizeof(struct vmbus_packet_desc) / 8)

/* Packets one run of a channel callback may take, dropped ones included. */
#define VMBUS_RECV_BUDGET	128
/* Outside the callback (a VSC's own poll loop) nothing is counted. */
#define VMBUS_RECV_UNLIMITED	U32_MAX

static atomic_t vmbus_gpadl_next = ATOMIC_INIT(VMBUS_GPADL_FIRST);

static void vmbus_chan_tasklet(struct tasklet_struct *t);

/**
 * struct vmbus_rqst_slot - one request id
 * @ctx: the sender's context; NULL when free
 * @gen: generation, in the upper half of the id
 * @next: free-list link
 * @xact: @ctx is a &struct vmbus_xact whose reply is the completion
 */
struct vmbus_rqst_slot {
	void *ctx;
	u32 gen;
	u32 next;
	bool xact;
};

static const char *const vmbus_chan_state_names[] = {
	[VMBUS_CHAN_OFFERED]	= "offered",
	[VMBUS_CHAN_OPENING]	= "opening",
	[VMBUS_CHAN_OPEN]	= "open",
	[VMBUS_CHAN_CLOSING]	= "closing",
};

const char *vmbus_chan_state_name(const struct vmbus_channel *chan)
{
	if (READ_ONCE(chan->rescinded))
		return "rescinded";
	return vmbus_chan_state_names[READ_ONCE(chan->state)];
}

/* The device a channel's log lines name: its hv_device (NULL before one). */
static struct device *vmbus_chan_dev(const struct vmbus_channel *chan)
{
	struct hv_device *hdev = vmbus_chan_device(chan);

	return hdev ? &hdev->device : NULL;
}

/* --- lifetime -------------------------------------------------------- */

struct vmbus_channel *vmbus_chan_alloc(const struct vmbus_msg_offer *offer)
{
	struct vmbus_channel *chan = kzalloc(sizeof(*chan), GFP_KERNEL);

	if (!chan)
		return NULL;
	chan->offer = *offer;
	chan->relid = offer->child_relid;
	chan->sub_index = offer->sub_channel_index;
	chan->sig_conn_id = offer->connection_id;
	chan->monitor_id = offer->monitorid;
	chan->monitored = (offer->monitor_allocated & 1) &&
			  offer->monitorid <= VMBUS_MAX_MONITOR_ID;
	chan->dedicated_int = offer->is_dedicated_interrupt & 1;
	INIT_LIST_HEAD(&chan->subchannels);
	INIT_LIST_HEAD(&chan->sc_node);
	INIT_LIST_HEAD(&chan->node);
	mutex_init(&chan->lock);
	spin_lock_init(&chan->rqst_lock);
	tasklet_setup(&chan->tasklet, vmbus_chan_tasklet);
	chan->rx_budget = VMBUS_RECV_UNLIMITED;
	spin_lock_init(&chan->rescind_lock);
	init_waitqueue_head(&chan->wq);
	kobject_init(&chan->kobj, &vmbus_chan_ktype);
	atomic_inc(&vmbus_conn.nr_channels);
	return chan;
}

void vmbus_chan_put(struct vmbus_channel *chan)
{
	kobject_put(&chan->kobj);
}

/* The kobject release: the last reference is gone. */
void vmbus_chan_free(struct vmbus_channel *chan)
{
	struct vmbus_channel *sc, *tmp;

	/* A primary owns its sub-channels. */
	list_for_each_entry_safe(sc, tmp, &chan->subchannels, sc_node) {
		list_del_init(&sc->sc_node);
		vmbus_chan_put(sc);
	}
	WARN_ON(chan->state != VMBUS_CHAN_OFFERED);
	if (chan->primary)
		vmbus_chan_put(chan->primary);
	atomic_dec(&vmbus_conn.nr_channels);
	kfree(chan);
}

/* --- state checks ---------------------------------------------------- */

static bool vmbus_chan_dead(struct vmbus_channel *chan)
{
	return READ_ONCE(chan->state) != VMBUS_CHAN_OPEN ||
	       READ_ONCE(chan->rescinded) || READ_ONCE(chan->out.broken) ||
	       READ_ONCE(chan->in.broken);
}

static void vmbus_chan_leave(struct vmbus_channel *chan)
{
	/* Fully ordered: pairs with the barrier in vmbus_chan_shutdown(). */
	if (atomic_dec_and_test(&chan->users) &&
	    READ_ONCE(chan->state) != VMBUS_CHAN_OPEN)
		wake_up_all(&chan->wq);
}

/*
 * Every sender and waiter is counted, so that close can wait until none
 * is left before it frees the rings and the request table.
 */
static int vmbus_chan_enter(struct vmbus_channel *chan)
{
	atomic_inc(&chan->users);
	/* Count ourselves before looking at the state close changes. */
	smp_mb__after_atomic();
	if (READ_ONCE(chan->state) != VMBUS_CHAN_OPEN ||
	    READ_ONCE(chan->rescinded)) {
		vmbus_chan_leave(chan);
		return -ENODEV;
	}
	if (READ_ONCE(chan->out.broken) || READ_ONCE(chan->in.broken)) {
		vmbus_chan_leave(chan);
		return -EIO;
	}
	return 0;
}

/**
 * vmbus_chan_kill() - fail a channel whose host broke the protocol
 * @chan: the channel
 *
 * Any context. Senders and waiters wake up and fail; the VSC notices the
 * errors and gives up the device.
 */
void vmbus_chan_kill(struct vmbus_channel *chan)
{
	if (!READ_ONCE(chan->in.broken) || !READ_ONCE(chan->out.broken))
		dev_err_ratelimited(vmbus_chan_dev(chan), "channel %u failed\n",
				    chan->relid);
	WRITE_ONCE(chan->in.broken, true);
	WRITE_ONCE(chan->out.broken, true);
	wake_up_all(&chan->wq);
}

/* --- request ids ----------------------------------------------------- */

static u64 vmbus_rqst_id(struct vmbus_channel *chan,
			 struct vmbus_rqst_slot *slot)
{
	return ((u64)slot->gen << 32) | (u32)(slot - chan->rqst + 1);
}

/* Look an id from the host up; with rqst_lock held. */
VISIBLE_IF_KUNIT struct vmbus_rqst_slot *
vmbus_rqst_find(struct vmbus_channel *chan, u64 id)
{
	u32 idx = lower_32_bits(id) - 1;
	struct vmbus_rqst_slot *slot;

	lockdep_assert_held(&chan->rqst_lock);
	if (idx >= chan->nr_rqst)
		return NULL;
	slot = &chan->rqst[idx];
	if (!slot->ctx || slot->gen != upper_32_bits(id))
		return NULL;
	return slot;
}
EXPORT_SYMBOL_IF_KUNIT(vmbus_rqst_find);

/* With rqst_lock held. */
static void vmbus_rqst_release(struct vmbus_channel *chan,
			       struct vmbus_rqst_slot *slot)
{
	lockdep_assert_held(&chan->rqst_lock);
	slot->ctx = NULL;
	slot->next = chan->rqst_free;
	chan->rqst_free = slot - chan->rqst;
}

/*
 * Take a slot off the free list for a request about to be sent. It stays
 * invisible to completions (no context) until vmbus_rqst_publish(): a
 * host that guesses the id cannot complete a request whose send fails.
 */
VISIBLE_IF_KUNIT int vmbus_rqst_try_reserve(struct vmbus_channel *chan,
					    bool xact, u64 *id)
{
	struct vmbus_rqst_slot *slot;
	unsigned long flags;
	int ret = -EAGAIN;

	spin_lock_irqsave(&chan->rqst_lock, flags);
	if (chan->rqst_free < chan->nr_rqst) {
		slot = &chan->rqst[chan->rqst_free];
		chan->rqst_free = slot->next;
		slot->ctx = NULL;
		slot->xact = xact;
		slot->gen = slot->gen + 1 ? slot->gen + 1 : 1;
		*id = vmbus_rqst_id(chan, slot);
		ret = 0;
	}
	spin_unlock_irqrestore(&chan->rqst_lock, flags);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(vmbus_rqst_try_reserve);

static bool vmbus_rqst_available(struct vmbus_channel *chan)
{
	return READ_ONCE(chan->rqst_free) < chan->nr_rqst;
}

/* Jiffies left until @deadline, 0 once it passed. */
static unsigned long vmbus_time_left(unsigned long deadline)
{
	return time_before(jiffies, deadline) ? deadline - jiffies : 0;
}

static int vmbus_rqst_reserve(struct vmbus_channel *chan, bool xact,
			      unsigned int flags, unsigned long deadline,
			      u64 *id)
{
	while (vmbus_rqst_try_reserve(chan, xact, id)) {
		atomic64_inc(&chan->stats.ring_full);
		if (!(flags & VMBUS_SEND_MAY_SLEEP))
			return -EAGAIN;
		if (!wait_event_timeout(chan->wq, vmbus_rqst_available(chan) ||
					vmbus_chan_dead(chan),
					vmbus_time_left(deadline)))
			return -ETIMEDOUT;
		if (vmbus_chan_dead(chan))
			return -ENODEV;
	}
	return 0;
}

/* Make a reserved id findable; with out->lock held, once the send is sure. */
VISIBLE_IF_KUNIT void vmbus_rqst_publish(struct vmbus_channel *chan, u64 id,
					 void *ctx)
{
	lockdep_assert_held(&chan->out.lock);
	spin_lock(&chan->rqst_lock);
	chan->rqst[lower_32_bits(id) - 1].ctx = ctx;
	spin_unlock(&chan->rqst_lock);
}
EXPORT_SYMBOL_IF_KUNIT(vmbus_rqst_publish);

/* Give back a reserved id whose send failed: nobody can have seen it. */
VISIBLE_IF_KUNIT void vmbus_rqst_unreserve(struct vmbus_channel *chan, u64 id)
{
	unsigned long flags;

	spin_lock_irqsave(&chan->rqst_lock, flags);
	vmbus_rqst_release(chan, &chan->rqst[lower_32_bits(id) - 1]);
	spin_unlock_irqrestore(&chan->rqst_lock, flags);
}
EXPORT_SYMBOL_IF_KUNIT(vmbus_rqst_unreserve);

VISIBLE_IF_KUNIT int vmbus_rqst_table_init(struct vmbus_channel *chan,
					   u32 count)
{
	u32 i;

	chan->rqst = kvcalloc(count, sizeof(*chan->rqst), GFP_KERNEL);
	if (!chan->rqst)
		return -ENOMEM;
	for (i = 0; i < count; i++)
		chan->rqst[i].next = i + 1;
	chan->nr_rqst = count;
	chan->rqst_free = 0;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(vmbus_rqst_table_init);

/*
 * Release the id that carries @ctx (a transaction's if @xact), if the
 * host still has it. Return: whether it did.
 */
static bool vmbus_rqst_take_back(struct vmbus_channel *chan, void *ctx,
				 bool xact)
{
	unsigned long flags;
	bool found = false;
	u32 i;

	spin_lock_irqsave(&chan->rqst_lock, flags);
	for (i = 0; i < chan->nr_rqst && !found; i++) {
		if (chan->rqst[i].ctx == ctx && chan->rqst[i].xact == xact) {
			vmbus_rqst_release(chan, &chan->rqst[i]);
			found = true;
		}
	}
	spin_unlock_irqrestore(&chan->rqst_lock, flags);
	return found;
}

/**
 * vmbus_rqst_forget() - give up waiting for a request's completion
 * @chan: the channel the request was sent on
 * @rqst: the context it was sent with
 *
 * For a VSC that times a request out: its completion, if the host still
 * sends one, is dropped as stale and @rqst is never returned.
 *
 * Return: true if @rqst was still waiting.
 */
bool vmbus_rqst_forget(struct vmbus_channel *chan, void *rqst)
{
	return vmbus_rqst_take_back(chan, rqst, false);
}
EXPORT_SYMBOL_GPL(vmbus_rqst_forget);

/* --- GPADL ----------------------------------------------------------- */

/*
 * Pages the host may still address are never given back to the
 * allocator: count them, for debugfs (hv_vmbus/leaked_pages).
 */
static void vmbus_count_leak(struct vmbus_channel *chan, u32 pages)
{
	atomic_inc(&vmbus_conn.leaked_gpadls);
	atomic_add(pages, &vmbus_conn.leaked_pages);
	dev_warn_ratelimited(vmbus_chan_dev(chan),
			     "channel %u: %u pages leaked, the host may still hold them\n",
			     chan->relid, pages);
}

static u32 vmbus_gpadl_new_handle(void)
{
	u32 handle;

	do {
		handle = atomic_inc_return(&vmbus_gpadl_next);
	} while (!handle);
	return handle;
}

/*
 * The next message of a GPADL in @buf (a message payload): the header
 * with the first pages that fit, then bodies with the rest, in order.
 * Return: the message's length.
 */
VISIBLE_IF_KUNIT u32 vmbus_gpadl_next_msg(struct vmbus_gpadl_msgs *g,
					  void *buf)
{
	struct vmbus_msg_gpadl_header *hdr = buf;
	struct vmbus_msg_gpadl_body *body = buf;
	struct vmbus_gpa_range *range = (void *)hdr->ranges;
	u32 left = g->nr_pfns - g->done;
	u32 n;

	memset(buf, 0, HV_TLFS_MESSAGE_PAYLOAD_SIZE);
	if (g->done) {
		n = min_t(u32, left, VMBUS_GPADL_BODY_MAX_PFNS);
		body->header.msgtype = VMBUS_MSG_GPADL_BODY;
		body->gpadl = g->handle;
		memcpy(body->pfn, g->pfns + g->done, n * 8);
		g->done += n;
		return sizeof(*body) + n * 8;
	}
	n = min_t(u32, left, VMBUS_GPADL_HEADER_MAX_PFNS);
	hdr->header.msgtype = VMBUS_MSG_GPADL_HEADER;
	hdr->child_relid = g->relid;
	hdr->gpadl = g->handle;
	hdr->range_buflen = sizeof(struct vmbus_gpa_range) + g->nr_pfns * 8;
	hdr->rangecount = 1;
	range->byte_count = g->nr_pfns * HV_WIRE_PAGE_SIZE;
	range->byte_offset = 0;
	memcpy(range->pfn_array, g->pfns, n * 8);
	g->done = n;
	return sizeof(*hdr) + sizeof(*range) + n * 8;
}
EXPORT_SYMBOL_IF_KUNIT(vmbus_gpadl_next_msg);

/* @sent: set once the header went out, so the host may hold the pages. */
static int vmbus_gpadl_post(struct vmbus_channel *chan, u32 handle,
			    const u64 *pfns, u32 nr_pfns, bool *sent)
{
	u8 buf[HV_TLFS_MESSAGE_PAYLOAD_SIZE] __aligned(8);
	struct vmbus_gpadl_msgs g = {
		.relid = chan->relid, .handle = handle,
		.pfns = pfns, .nr_pfns = nr_pfns,
	};
	int ret;

	*sent = false;
	/* The bodies go out back to back; the host answers after the last. */
	do {
		ret = vmbus_post_msg(buf, vmbus_gpadl_next_msg(&g, buf));
		if (!ret)
			*sent = true;
	} while (!ret && g.done < nr_pfns);
	return ret;
}

/*
 * Return: 0 with the handle in @handle, or an error; then @held says
 * whether the host may still hold the pages (part of the GPADL went out
 * and the host never refused it): they must leak.
 */
static int vmbus_gpadl_establish(struct vmbus_channel *chan, const u64 *pfns,
				 u32 nr_pfns, u32 *handle, bool *held)
{
	struct vmbus_waiter w;
	u32 h = vmbus_gpadl_new_handle();
	int ret;

	*held = false;
	if (!nr_pfns || nr_pfns > VMBUS_GPADL_MAX_PFNS)
		return -EINVAL;
	vmbus_waiter_init(&w, VMBUS_MSG_GPADL_CREATED, chan->relid, h);
	vmbus_waiter_add(&w);
	/* Checked once the waiter is added: a later rescind fails it. */
	if (READ_ONCE(chan->rescinded))
		ret = -ENODEV;
	else
		ret = vmbus_gpadl_post(chan, h, pfns, nr_pfns, held);
	ret = vmbus_waiter_await(&w, ret, VMBUS_RESPONSE_TIMEOUT);
	if (ret) {
		if (*held)
			dev_err_ratelimited(vmbus_chan_dev(chan),
					    "GPADL %#x of channel %u failed half-way (%d): leaking it\n",
					    h, chan->relid, ret);
		return ret;
	}
	*held = false;
	if (w.resp.gpadl_created.creation_status) {
		dev_err_ratelimited(vmbus_chan_dev(chan),
				    "host refused GPADL %#x of channel %u: %#x\n",
				    h, chan->relid,
				    w.resp.gpadl_created.creation_status);
		return -EIO;
	}
	*handle = h;
	return 0;
}

/*
 * Return: 0 once the host confirmed with GPADL_TORNDOWN that it let go of
 * the memory, else an error: the memory must then leak. A rescinded
 * channel's host gets VMBUS_RESCINDED_TIMEOUT only.
 */
static int vmbus_gpadl_remove(struct vmbus_channel *chan, u32 handle)
{
	struct vmbus_msg_gpadl_teardown msg = {
		.header.msgtype = VMBUS_MSG_GPADL_TEARDOWN,
		.child_relid = chan->relid,
		.gpadl = handle,
	};
	bool rescinded = READ_ONCE(chan->rescinded);
	struct vmbus_waiter w;
	int ret;

	/* GPADL_TORNDOWN names only the handle. */
	vmbus_waiter_init(&w, VMBUS_MSG_GPADL_TORNDOWN, 0, handle);
	vmbus_waiter_add(&w);
	ret = vmbus_post_msg(&msg, sizeof(msg));
	ret = vmbus_waiter_await(&w, ret, rescinded ? VMBUS_RESCINDED_TIMEOUT :
						      VMBUS_RESPONSE_TIMEOUT);
	if (ret)
		dev_err_ratelimited(vmbus_chan_dev(chan),
				    "GPADL %#x of channel %u not torn down (%d): leaking it\n",
				    handle, chan->relid, ret);
	return ret;
}

static u64 vmbus_buffer_pfn(void *addr)
{
	if (is_vmalloc_addr(addr))
		return vmalloc_to_pfn(addr);
	return page_to_pfn(virt_to_page(addr));
}

/**
 * vmbus_gpadl_create() - let the host address a guest buffer by handle
 * @chan: the channel the buffer belongs to (not rescinded)
 * @buffer: page-aligned, from the page allocator, kmalloc or vmalloc
 * @size: bytes, a multiple of PAGE_SIZE
 * @gpadl: filled with the handle on success
 *
 * Sleeps until the host confirms. The buffer must stay allocated until
 * vmbus_gpadl_teardown() succeeded. If creation fails after part of the
 * GPADL reached the host (a later post failed, no answer came, or the
 * channel was rescinded meanwhile), the host may still hold the buffer:
 * @gpadl->buffer is then set, and the caller must leak the buffer (the
 * core counts and logs it).
 *
 * Return: 0, -EINVAL for a bad buffer, -ENODEV when the channel is gone,
 * -EIO when the host refused or a post failed, -EBUSY when the host's
 * queue stayed full, -ETIMEDOUT when it did not answer.
 */
int vmbus_gpadl_create(struct vmbus_channel *chan, void *buffer, u32 size,
		       struct vmbus_gpadl *gpadl)
{
	u32 nr_pfns = size >> HV_WIRE_PAGE_SHIFT;
	bool held;
	u64 *pfns;
	u32 i;
	int ret;

	BUILD_BUG_ON(PAGE_SIZE != HV_WIRE_PAGE_SIZE);
	memset(gpadl, 0, sizeof(*gpadl));
	if (!size || !PAGE_ALIGNED(size) || !PAGE_ALIGNED(buffer))
		return -EINVAL;
	pfns = kvmalloc_array(nr_pfns, sizeof(*pfns), GFP_KERNEL);
	if (!pfns)
		return -ENOMEM;
	for (i = 0; i < nr_pfns; i++)
		pfns[i] = vmbus_buffer_pfn(buffer + i * PAGE_SIZE);
	ret = vmbus_gpadl_establish(chan, pfns, nr_pfns, &gpadl->handle, &held);
	kvfree(pfns);
	if (ret) {
		gpadl->handle = 0;
		if (held) {
			vmbus_count_leak(chan, nr_pfns);
			gpadl->buffer = buffer;
		}
		return ret;
	}
	gpadl->buffer = buffer;
	gpadl->size = size;
	return 0;
}
EXPORT_SYMBOL_GPL(vmbus_gpadl_create);

/**
 * vmbus_gpadl_teardown() - take a buffer back from the host
 * @chan: the channel vmbus_gpadl_create() was called for
 * @gpadl: the GPADL; cleared on success
 *
 * Sleeps until the host confirms with GPADL_TORNDOWN (a rescinded
 * channel's host is not waited for long).
 *
 * Return: 0 when the buffer may be freed. Otherwise the host may still use
 * it and the caller must leak it (the core counts and logs it).
 */
int vmbus_gpadl_teardown(struct vmbus_channel *chan,
			 struct vmbus_gpadl *gpadl)
{
	int ret;

	if (!gpadl->handle)
		return 0;
	ret = vmbus_gpadl_remove(chan, gpadl->handle);
	if (ret)
		vmbus_count_leak(chan, gpadl->size >> HV_WIRE_PAGE_SHIFT);
	else
		memset(gpadl, 0, sizeof(*gpadl));
	return ret;
}
EXPORT_SYMBOL_GPL(vmbus_gpadl_teardown);

/* --- open and close -------------------------------------------------- */

static void vmbus_chan_free_rings(struct vmbus_channel *chan, bool leak)
{
	u32 i;

	hv_ring_cleanup(&chan->out);
	hv_ring_cleanup(&chan->in);
	if (chan->ring_pages && !leak)
		for (i = 0; i < chan->nr_ring_pages; i++)
			__free_page(chan->ring_pages[i]);
	kvfree(chan->ring_pages);
	chan->ring_pages = NULL;
	chan->nr_ring_pages = 0;
}

static int vmbus_chan_alloc_rings(struct vmbus_channel *chan, u32 send_pages,
				  u32 recv_pages)
{
	u32 i;
	int ret;

	chan->ring_pages = kvcalloc(send_pages + recv_pages,
				    sizeof(*chan->ring_pages), GFP_KERNEL);
	if (!chan->ring_pages)
		return -ENOMEM;
	for (i = 0; i < send_pages + recv_pages; i++) {
		chan->ring_pages[i] = alloc_page(GFP_KERNEL | __GFP_ZERO);
		if (!chan->ring_pages[i])
			goto nomem;
		chan->nr_ring_pages++;
	}
	ret = hv_ring_init(&chan->out, chan->ring_pages, send_pages);
	if (ret)
		goto fail;
	ret = hv_ring_init(&chan->in, chan->ring_pages + send_pages,
			   recv_pages);
	if (ret)
		goto fail;
	return 0;

nomem:
	ret = -ENOMEM;
fail:
	vmbus_chan_free_rings(chan, false);
	return ret;
}

/* Return: as vmbus_gpadl_establish(). */
static int vmbus_chan_ring_gpadl(struct vmbus_channel *chan, bool *held)
{
	u64 *pfns;
	u32 i;
	int ret;

	pfns = kvmalloc_array(chan->nr_ring_pages, sizeof(*pfns), GFP_KERNEL);
	if (!pfns)
		return -ENOMEM;
	for (i = 0; i < chan->nr_ring_pages; i++)
		pfns[i] = page_to_pfn(chan->ring_pages[i]);
	ret = vmbus_gpadl_establish(chan, pfns, chan->nr_ring_pages,
				    &chan->ring_gpadl.handle, held);
	kvfree(pfns);
	return ret;
}

static int vmbus_chan_request_open(struct vmbus_channel *chan,
				   const struct vmbus_chan_config *cfg,
				   u32 send_pages)
{
	struct vmbus_msg_open_channel msg = {
		.header.msgtype = VMBUS_MSG_OPENCHANNEL,
		.child_relid = chan->relid,
		.openid = chan->relid,
		.ringbuffer_gpadl = chan->ring_gpadl.handle,
		.target_vp = chan->target_vp,
		.downstream_ring_page_offset = send_pages,
	};
	struct vmbus_waiter w;
	int ret;

	if (cfg->user_data_len)
		memcpy(msg.user_data, cfg->user_data, cfg->user_data_len);
	vmbus_waiter_init(&w, VMBUS_MSG_OPENCHANNEL_RESULT, chan->relid,
			  chan->relid);
	vmbus_waiter_add(&w);
	/* Checked once the waiter is added: a later rescind fails it. */
	if (READ_ONCE(chan->rescinded))
		ret = -ENODEV;
	else
		ret = vmbus_post_msg(&msg, sizeof(msg));
	ret = vmbus_waiter_await(&w, ret, VMBUS_RESPONSE_TIMEOUT);
	if (!ret && w.resp.open.status) {
		dev_err_ratelimited(vmbus_chan_dev(chan),
				    "host refused to open channel %u: %#x\n",
				    chan->relid, w.resp.open.status);
		ret = -EIO;
	}
	return ret;
}

/* CLOSECHANNEL has no answer; the ring GPADL teardown after it has. */
static void vmbus_chan_post_close(struct vmbus_channel *chan)
{
	struct vmbus_msg_relid msg = {
		.header.msgtype = VMBUS_MSG_CLOSECHANNEL,
		.child_relid = chan->relid,
	};

	vmbus_post_msg(&msg, sizeof(msg));
}

static int vmbus_chan_check_config(const struct vmbus_chan_config *cfg)
{
	if (cfg->send_ring_size < VMBUS_RING_MIN_SIZE ||
	    cfg->recv_ring_size < VMBUS_RING_MIN_SIZE ||
	    cfg->send_ring_size > VMBUS_RING_MAX_SIZE ||
	    cfg->recv_ring_size > VMBUS_RING_MAX_SIZE ||
	    !PAGE_ALIGNED(cfg->send_ring_size) ||
	    !PAGE_ALIGNED(cfg->recv_ring_size) ||
	    cfg->user_data_len > VMBUS_OPEN_USER_DATA_SIZE ||
	    !cfg->callback)
		return -EINVAL;
	if (cfg->max_pkt_size &&
	    cfg->max_pkt_size < sizeof(struct vmbus_packet_desc))
		return -EINVAL;
	return 0;
}

static void vmbus_chan_free_open_state(struct vmbus_channel *chan, bool leak)
{
	struct vmbus_rqst_slot *rqst;
	unsigned long flags;

	if (leak)
		vmbus_count_leak(chan, chan->nr_ring_pages);
	vmbus_chan_free_rings(chan, leak);
	kvfree(chan->rx_buf);
	chan->rx_buf = NULL;
	/* vmbus_rqst_forget() may look at the table until it is gone. */
	spin_lock_irqsave(&chan->rqst_lock, flags);
	rqst = chan->rqst;
	chan->rqst = NULL;
	chan->nr_rqst = 0;
	chan->rqst_free = 0;
	spin_unlock_irqrestore(&chan->rqst_lock, flags);
	kvfree(rqst);
	memset(&chan->ring_gpadl, 0, sizeof(chan->ring_gpadl));
}

static int vmbus_chan_setup(struct vmbus_channel *chan,
			    const struct vmbus_chan_config *cfg)
{
	u32 send_pages = cfg->send_ring_size >> PAGE_SHIFT;
	u32 recv_pages = cfg->recv_ring_size >> PAGE_SHIFT;
	bool held;
	int ret;

	ret = vmbus_chan_alloc_rings(chan, send_pages, recv_pages);
	if (ret)
		return ret;
	chan->rx_buf_size = cfg->max_pkt_size ?: VMBUS_DEFAULT_MAX_PKT_SIZE;
	chan->rx_buf = kvmalloc(chan->rx_buf_size, GFP_KERNEL);
	ret = vmbus_rqst_table_init(chan, cfg->max_requests ?:
					  VMBUS_DEFAULT_MAX_REQUESTS);
	if (ret || !chan->rx_buf) {
		vmbus_chan_free_open_state(chan, false);
		return -ENOMEM;
	}
	ret = vmbus_chan_ring_gpadl(chan, &held);
	if (ret) {
		vmbus_chan_free_open_state(chan, held);
		return ret;
	}
	return 0;
}

/*
 * Events schedule the tasklet under RCU, and the tasklet schedules itself
 * only while the callback is enabled: once this returns, the callback
 * neither runs nor will.
 */
static void vmbus_chan_stop_callback(struct vmbus_channel *chan)
{
	WRITE_ONCE(chan->cb_enabled, false);
	synchronize_rcu();
	tasklet_kill(&chan->tasklet);
}

/**
 * vmbus_chan_open() - open a channel
 * @chan: an offered, closed channel
 * @cfg: ring sizes, limits, open data and callback
 *
 * Allocates both rings, gives them to the host as one GPADL and asks the
 * host to open the channel. @cfg->callback may run as soon as the host
 * has opened its side, possibly before this returns. Process context.
 *
 * Return: 0, -EINVAL for a bad @cfg, -EBUSY if already open, -ENODEV if
 * rescinded, -ENOMEM, -EIO if the host refused, -ETIMEDOUT.
 */
int vmbus_chan_open(struct vmbus_channel *chan,
		    const struct vmbus_chan_config *cfg)
{
	u32 send_pages = cfg->send_ring_size >> PAGE_SHIFT;
	int ret;

	ret = vmbus_chan_check_config(cfg);
	if (ret)
		return ret;
	mutex_lock(&chan->lock);
	if (chan->state != VMBUS_CHAN_OFFERED) {
		ret = -EBUSY;
		goto unlock;
	}
	if (READ_ONCE(chan->rescinded)) {
		ret = -ENODEV;
		goto unlock;
	}
	WRITE_ONCE(chan->state, VMBUS_CHAN_OPENING);
	ret = vmbus_chan_setup(chan, cfg);
	if (ret)
		goto closed;

	chan->callback = cfg->callback;
	chan->space_callback = cfg->send_space;
	chan->detach = cfg->detach;
	chan->cb_ctx = cfg->ctx;
	chan->cb_off = false;
	chan->space_want = 0;
	chan->in_masked = false;
	chan->signal_deferred = false;
	chan->target_cpu = vmbus_pick_cpu();
	chan->target_vp = hv_vp_index_of(chan->target_cpu);
	/* Publish the callback before an event can look for it. */
	smp_store_release(&chan->cb_enabled, true);

	ret = vmbus_chan_request_open(chan, cfg, send_pages);
	if (ret) {
		bool leak;

		vmbus_chan_stop_callback(chan);
		/* After a timeout the host may have opened after all. */
		if (ret == -ETIMEDOUT)
			vmbus_chan_post_close(chan);
		leak = vmbus_gpadl_remove(chan, chan->ring_gpadl.handle) != 0;
		vmbus_chan_free_open_state(chan, leak);
		goto closed;
	}
	WRITE_ONCE(chan->state, VMBUS_CHAN_OPEN);
	/* The driver holds an open sub-channel until it closes it. */
	if (chan->primary && !chan->driver_hold) {
		kobject_get(&chan->kobj);
		chan->driver_hold = true;
	}
	mutex_unlock(&chan->lock);
	return 0;

closed:
	WRITE_ONCE(chan->state, VMBUS_CHAN_OFFERED);
unlock:
	mutex_unlock(&chan->lock);
	return ret;
}
EXPORT_SYMBOL_GPL(vmbus_chan_open);

/*
 * Hand each request still waiting for its completion back to the driver
 * (vmbus_chan_config.detach), or forget it. No completion can come any
 * more; vmbus_rqst_forget() may still run, and exactly one of the two
 * gets a request.
 */
static void vmbus_chan_detach_rqsts(struct vmbus_channel *chan, bool to_driver)
{
	unsigned long flags;
	u32 i, forgotten = 0;
	void *ctx;

	for (i = 0; i < chan->nr_rqst; i++) {
		spin_lock_irqsave(&chan->rqst_lock, flags);
		ctx = chan->rqst[i].xact ? NULL : chan->rqst[i].ctx;
		if (ctx)
			vmbus_rqst_release(chan, &chan->rqst[i]);
		spin_unlock_irqrestore(&chan->rqst_lock, flags);
		if (ctx && to_driver && chan->detach)
			chan->detach(chan->cb_ctx, ctx);
		else if (ctx)
			forgotten++;
	}
	if (forgotten)
		dev_warn(vmbus_chan_dev(chan),
			 "channel %u: %u request(s) left at close, forgotten\n",
			 chan->relid, forgotten);
}

/*
 * With chan->lock held and the channel open. @detach: the driver closes,
 * so its detach callback gets what is left (the core closing behind a
 * driver that is gone, or after the rescind callback, forgets it).
 */
static void vmbus_chan_shutdown(struct vmbus_channel *chan, bool detach)
{
	bool leak;

	lockdep_assert_held(&chan->lock);
	WRITE_ONCE(chan->state, VMBUS_CHAN_CLOSING);
	/* Pairs with vmbus_chan_enter(): new users see the state change. */
	smp_mb();
	wake_up_all(&chan->wq);
	wait_event(chan->wq, !atomic_read(&chan->users));

	vmbus_chan_stop_callback(chan);
	/* Also after a rescind, as upstream does and OpenVMM accepts. */
	vmbus_chan_post_close(chan);
	leak = vmbus_gpadl_remove(chan, chan->ring_gpadl.handle) != 0;
	/* A host that broke the ring rules is not believed that it let go. */
	if (READ_ONCE(chan->in.broken) || READ_ONCE(chan->out.broken))
		leak = true;
	vmbus_chan_detach_rqsts(chan, detach);
	vmbus_chan_free_open_state(chan, leak);
	WRITE_ONCE(chan->state, VMBUS_CHAN_OFFERED);
}

/**
 * vmbus_chan_close() - close a channel opened with vmbus_chan_open()
 * @chan: the channel
 *
 * Blocked senders and waiters fail with -ENODEV; once they are gone the
 * callback is stopped, the host is told and the ring GPADL is torn down.
 * Then each request still waiting for its completion goes to
 * vmbus_chan_config.detach (forgotten without one), and the rings are
 * freed. Process context, never from the channel's own callbacks. Closing a closed channel
 * does nothing, except for a sub-channel that the core closed after a
 * rescind: a driver that opened a sub-channel holds it until it calls
 * this (or its device is removed), and must not use it afterwards, since
 * a rescinded one is freed then.
 */
void vmbus_chan_close(struct vmbus_channel *chan)
{
	bool put;

	might_sleep();
	mutex_lock(&chan->lock);
	if (chan->state == VMBUS_CHAN_OPEN)
		vmbus_chan_shutdown(chan, true);
	put = chan->driver_hold;
	chan->driver_hold = false;
	mutex_unlock(&chan->lock);
	if (put)
		vmbus_chan_put(chan);
}

/* The driver of @sc's device is gone: its hold on @sc goes too. */
void vmbus_chan_drop_driver_hold(struct vmbus_channel *sc)
{
	bool put;

	mutex_lock(&sc->lock);
	put = sc->driver_hold;
	sc->driver_hold = false;
	mutex_unlock(&sc->lock);
	if (put)
		vmbus_chan_put(sc);
}
EXPORT_SYMBOL_GPL(vmbus_chan_close);

void vmbus_chan_force_close(struct vmbus_channel *chan)
{
	mutex_lock(&chan->lock);
	if (chan->state == VMBUS_CHAN_OPEN) {
		if (!READ_ONCE(chan->rescinded))
			dev_warn(vmbus_chan_dev(chan),
				 "channel %u left open, closing it\n",
				 chan->relid);
		vmbus_chan_shutdown(chan, false);
	}
	mutex_unlock(&chan->lock);
}

/* --- sending --------------------------------------------------------- */

/*
 * Whether a send must signal the host now; with out->lock held. A send
 * with VMBUS_SEND_DEFER_SIGNAL keeps its signal for later. The signal owed
 * for such packets goes out with the next send that does not defer, or
 * with any send that finds the ring full: the host must read what is in
 * the ring before there can be room.
 */
static bool vmbus_chan_take_signal(struct vmbus_channel *chan, int ret,
				   bool signal, unsigned int flags)
{
	bool defer = flags & VMBUS_SEND_DEFER_SIGNAL;

	lockdep_assert_held(&chan->out.lock);
	if (ret == -EIO)
		return false;
	if (defer && !ret) {
		chan->signal_deferred |= signal;
		return false;
	}
	if (!defer || ret == -EAGAIN) {
		signal |= chan->signal_deferred;
		chan->signal_deferred = false;
	}
	return signal;
}

/**
 * struct vmbus_send_req - one packet on its way into the outbound ring
 * @kv: its pieces, the descriptor first
 * @nkv: their number
 * @len: their total length
 * @flags: VMBUS_SEND_*
 * @rqst: the context a completion hands back, or NULL
 * @id: the request id reserved for @rqst
 * @deadline: in jiffies: a blocking send gives up then, for all its waits
 */
struct vmbus_send_req {
	struct kvec *kv;
	unsigned int nkv;
	u32 len;
	unsigned int flags;
	void *rqst;
	u64 id;
	unsigned long deadline;
};

/*
 * One try, with out->lock held: the packet is copied, then its id is
 * published, then the host may see the packet. From the publication on
 * the send can no longer fail.
 */
static int vmbus_chan_try_write(struct vmbus_channel *chan,
				const struct vmbus_send_req *req, bool *signal)
{
	int ret;

	lockdep_assert_held(&chan->out.lock);
	ret = hv_ring_copy(&chan->out, req->kv, req->nkv, req->len);
	*signal = false;
	if (ret)
		return ret;
	if (req->rqst)
		vmbus_rqst_publish(chan, req->id, req->rqst);
	*signal = hv_ring_publish(&chan->out, req->len);
	return 0;
}

/*
 * Ask the host for a signal once @need ring bytes are free, or once the
 * room vmbus_chan_request_space() waits for is: pending_send_sz covers
 * both. With out->lock held. When the request's room is there already
 * (the host crossed a lower value without a signal for it), the tasklet
 * makes the call.
 */
static void vmbus_space_pending(struct vmbus_channel *chan, u32 need)
{
	struct hv_ring *out = &chan->out;
	u32 want = max(need, chan->space_want);

	lockdep_assert_held(&out->lock);
	if (out->pending != want)
		hv_ring_set_pending(out, want);
	if (chan->space_want && hv_ring_has_space(out, chan->space_want))
		tasklet_schedule(&chan->tasklet);
}

/*
 * Count the senders sleeping for ring space, with out->lock held, and
 * withdraw their pending_send_sz once none is left and this send did not
 * just find the ring full (a non-sleeping sender keeps it set, so that
 * the host signals when room appears). A sender counts itself before it
 * unlocks to sleep, so another one never withdraws the request under it.
 */
static void vmbus_space_waiters(struct vmbus_channel *chan, bool *waiting,
				bool wait, int ret)
{
	lockdep_assert_held(&chan->out.lock);
	if (wait != *waiting) {
		if (wait)
			chan->space_waiters++;
		else
			chan->space_waiters--;
		*waiting = wait;
	}
	if (ret != -EAGAIN && !chan->space_waiters &&
	    chan->out.pending != chan->space_want)
		vmbus_space_pending(chan, 0);
}

/* Put a packet in the ring, sleeping for room with MAY_SLEEP. */
static int vmbus_chan_write(struct vmbus_channel *chan,
			    const struct vmbus_send_req *req)
{
	u32 need = ALIGN(req->len, VMBUS_PKT_ALIGN) + VMBUS_PKT_TRAILER_SIZE;
	bool nowait = !(req->flags & VMBUS_SEND_MAY_SLEEP);
	struct hv_ring *out = &chan->out;
	bool waiting = false, signal;
	unsigned long irqflags;
	int ret;

	for (;;) {
		spin_lock_irqsave(&out->lock, irqflags);
		ret = vmbus_chan_try_write(chan, req, &signal);
		if (ret == -EAGAIN) {
			atomic64_inc(&chan->stats.ring_full);
			vmbus_space_pending(chan, need);
			/* The host may have made room before it saw the ask. */
			if (hv_ring_has_space(out, need))
				ret = vmbus_chan_try_write(chan, req, &signal);
		}
		vmbus_space_waiters(chan, &waiting, ret == -EAGAIN && !nowait,
				    ret);
		signal = vmbus_chan_take_signal(chan, ret, signal, req->flags);
		spin_unlock_irqrestore(&out->lock, irqflags);

		if (signal)
			vmbus_signal_host(chan);
		if (ret != -EAGAIN || nowait)
			break;
		if (!wait_event_timeout(chan->wq, hv_ring_has_space(out, need) ||
					vmbus_chan_dead(chan),
					vmbus_time_left(req->deadline)))
			ret = -ETIMEDOUT;
		else if (vmbus_chan_dead(chan))
			ret = -ENODEV;
		if (ret != -EAGAIN)
			break;
	}
	if (waiting) {
		spin_lock_irqsave(&out->lock, irqflags);
		vmbus_space_waiters(chan, &waiting, false, ret);
		spin_unlock_irqrestore(&out->lock, irqflags);
	}
	if (ret == -EIO)
		vmbus_chan_kill(chan);
	return ret;
}

/*
 * Send one packet whose pieces are in kv[1..nkv-1]; kv[0] must point at
 * the descriptor (plus extended header), which gets its lengths, flags and
 * transaction id here. The caller has entered the channel. A send with
 * VMBUS_SEND_MAY_SLEEP waits VMBUS_RESPONSE_TIMEOUT at most, for a
 * request id and for ring space together.
 */
static int vmbus_chan_send(struct vmbus_channel *chan,
			   struct vmbus_packet_desc *desc, struct kvec *kv,
			   unsigned int nkv, void *rqst, bool xact,
			   unsigned int flags)
{
	struct vmbus_send_req req = {
		.kv = kv,
		.nkv = nkv,
		.flags = flags,
		.rqst = rqst,
		.deadline = jiffies + VMBUS_RESPONSE_TIMEOUT,
	};
	u64 len = 0;
	unsigned int i;
	int ret;

	if (flags & VMBUS_SEND_MAY_SLEEP)
		might_sleep();
	for (i = 0; i < nkv; i++)
		len += kv[i].iov_len;
	/* More than a descriptor can state is refused before any rounding. */
	if (len > (u64)U16_MAX * 8)
		return -EMSGSIZE;
	req.len = len;
	desc->len8 = ALIGN(req.len, VMBUS_PKT_ALIGN) / 8;
	if (rqst) {
		ret = vmbus_rqst_reserve(chan, xact, flags, req.deadline,
					 &req.id);
		if (ret)
			return ret;
		desc->trans_id = req.id;
		desc->flags |= VMBUS_PKT_FLAG_COMPLETION_REQUESTED;
	}
	ret = vmbus_chan_write(chan, &req);
	if (ret && rqst)
		vmbus_rqst_unreserve(chan, req.id);
	return ret;
}

static int vmbus_send_desc(struct vmbus_channel *chan,
			   struct vmbus_packet_desc *desc, struct kvec *kv,
			   unsigned int nkv, void *rqst, unsigned int flags)
{
	int ret = vmbus_chan_enter(chan);

	if (ret)
		return ret;
	ret = vmbus_chan_send(chan, desc, kv, nkv, rqst, false, flags);
	vmbus_chan_leave(chan);
	return ret;
}

/**
 * vmbus_send_inband() - send a packet whose payload is in the ring
 * @chan: an open channel
 * @kv: the payload's pieces, gathered into one packet
 * @nkv: number of pieces (at most 7)
 * @rqst: NULL for no completion; otherwise the host is asked for one and
 *	vmbus_recv_pkt() returns @rqst with it. The host sees only a small
 *	request id, never this pointer.
 * @flags: VMBUS_SEND_MAY_SLEEP: sleep (20 s at most) while the ring or
 *	the request ids are full, instead of failing with -EAGAIN;
 *	VMBUS_SEND_DEFER_SIGNAL: do not signal the host now;
 *	vmbus_chan_kick(), the next send without this flag, or a send that
 *	finds the ring full will.
 *
 * Without VMBUS_SEND_MAY_SLEEP, any context: it never sleeps (a driver
 * that stops its queue learns of room from a completion, or asks with
 * vmbus_chan_request_space()). With it, process context only
 * (might_sleep() checks it on every call).
 *
 * Return: 0, -EAGAIN (full, without MAY_SLEEP), -EMSGSIZE if the packet
 * can never fit, -ENODEV if the channel is closed or rescinded, -EIO if it
 * failed, -ETIMEDOUT if the host made no room for a long time.
 */
int vmbus_send_inband(struct vmbus_channel *chan, const struct kvec *kv,
		      unsigned int nkv, void *rqst, unsigned int flags)
{
	struct vmbus_packet_desc desc = {
		.type = VMBUS_PKT_DATA_INBAND,
		.offset8 = VMBUS_PKT_DESC_LEN8,
	};
	struct kvec vec[VMBUS_MAX_SEND_KVECS];

	if (nkv >= VMBUS_MAX_SEND_KVECS)
		return -EINVAL;
	vec[0].iov_base = &desc;
	vec[0].iov_len = sizeof(desc);
	memcpy(&vec[1], kv, nkv * sizeof(*kv));
	return vmbus_send_desc(chan, &desc, vec, nkv + 1, rqst, flags);
}
EXPORT_SYMBOL_GPL(vmbus_send_inband);

/* Check a caller's range list: every range complete, nothing left over. */
VISIBLE_IF_KUNIT int vmbus_check_ranges(const struct vmbus_gpa_range *ranges,
					u32 range_cnt, u32 ranges_len)
{
	const u8 *p = (const u8 *)ranges;
	u32 off = 0, i;

	for (i = 0; i < range_cnt; i++) {
		const struct vmbus_gpa_range *r = (const void *)(p + off);
		u32 pfns;

		if (ranges_len - off < sizeof(*r) ||
		    r->byte_offset >= HV_WIRE_PAGE_SIZE || !r->byte_count)
			return -EINVAL;
		pfns = DIV_ROUND_UP((u64)r->byte_offset + r->byte_count,
				    HV_WIRE_PAGE_SIZE);
		if ((ranges_len - off - sizeof(*r)) / 8 < pfns)
			return -EINVAL;
		off += sizeof(*r) + pfns * 8;
	}
	return range_cnt && off == ranges_len ? 0 : -EINVAL;
}
EXPORT_SYMBOL_IF_KUNIT(vmbus_check_ranges);

/**
 * vmbus_send_gpa_direct() - send a packet that points at guest pages
 * @chan: an open channel
 * @ranges: @range_cnt GPA ranges back to back, each a &struct
 *	vmbus_gpa_range followed by its page frame numbers
 * @range_cnt: number of ranges (at least one)
 * @ranges_len: total bytes of @ranges
 * @data: the inline payload that follows the ranges
 * @len: its length
 * @rqst: as for vmbus_send_inband()
 * @flags: as for vmbus_send_inband()
 *
 * The pages must stay valid until the host completed the request.
 *
 * Return: as vmbus_send_inband(); -EINVAL for malformed ranges.
 */
int vmbus_send_gpa_direct(struct vmbus_channel *chan,
			  const struct vmbus_gpa_range *ranges,
			  u32 range_cnt, u32 ranges_len,
			  const void *data, u32 len, void *rqst,
			  unsigned int flags)
{
	struct vmbus_gpa_direct_header hdr = {
		.desc.type = VMBUS_PKT_DATA_USING_GPA_DIRECT,
		.range_cnt = range_cnt,
	};
	struct kvec kv[3] = {
		{ .iov_base = &hdr, .iov_len = sizeof(hdr) },
		{ .iov_base = (void *)ranges, .iov_len = ranges_len },
		{ .iov_base = (void *)data, .iov_len = len },
	};

	if (vmbus_check_ranges(ranges, range_cnt, ranges_len))
		return -EINVAL;
	if ((sizeof(hdr) + ranges_len) / 8 > U16_MAX)
		return -EMSGSIZE;
	hdr.desc.offset8 = (sizeof(hdr) + ranges_len) / 8;
	return vmbus_send_desc(chan, &hdr.desc, kv, 3, rqst, flags);
}
EXPORT_SYMBOL_GPL(vmbus_send_gpa_direct);

/* One page-buffer element as a GPA range of one page. */
struct vmbus_page_range {
	u32 byte_count;
	u32 byte_offset;
	u64 pfn;
} __packed;

/**
 * vmbus_send_pages() - send a packet that points at pieces of pages
 * @chan: an open channel
 * @pb: the pieces, each inside one 4 KiB page
 * @count: number of pieces, 1 to VMBUS_MAX_PAGE_BUFS
 * @data: the inline payload
 * @len: its length
 * @rqst: as for vmbus_send_inband()
 * @flags: as for vmbus_send_inband()
 *
 * Each piece becomes one GPA range.
 *
 * Return: as vmbus_send_gpa_direct().
 */
int vmbus_send_pages(struct vmbus_channel *chan,
		     const struct vmbus_page_buf *pb, unsigned int count,
		     const void *data, u32 len, void *rqst,
		     unsigned int flags)
{
	struct vmbus_page_range ranges[VMBUS_MAX_PAGE_BUFS];
	unsigned int i;

	if (!count || count > VMBUS_MAX_PAGE_BUFS)
		return -EINVAL;
	for (i = 0; i < count; i++) {
		if (!pb[i].len || pb[i].offset >= HV_WIRE_PAGE_SIZE ||
		    pb[i].len > HV_WIRE_PAGE_SIZE - pb[i].offset)
			return -EINVAL;
		ranges[i].byte_count = pb[i].len;
		ranges[i].byte_offset = pb[i].offset;
		ranges[i].pfn = pb[i].pfn;
	}
	return vmbus_send_gpa_direct(chan, (void *)ranges, count,
				     count * sizeof(ranges[0]), data, len,
				     rqst, flags);
}
EXPORT_SYMBOL_GPL(vmbus_send_pages);

/**
 * vmbus_send_completion() - answer a host packet that asked for it
 * @chan: an open channel
 * @trans_id: the host packet's transaction id
 * @data: the completion payload
 * @len: its length (may be 0)
 * @flags: as for vmbus_send_inband()
 *
 * Any context without VMBUS_SEND_MAY_SLEEP (typically the channel
 * callback that received the host's packet).
 *
 * Return: as vmbus_send_inband().
 */
int vmbus_send_completion(struct vmbus_channel *chan, u64 trans_id,
			  const void *data, u32 len, unsigned int flags)
{
	struct vmbus_packet_desc desc = {
		.type = VMBUS_PKT_COMP,
		.offset8 = VMBUS_PKT_DESC_LEN8,
		.trans_id = trans_id,
	};
	struct kvec kv[2] = {
		{ .iov_base = &desc, .iov_len = sizeof(desc) },
		{ .iov_base = (void *)data, .iov_len = len },
	};

	return vmbus_send_desc(chan, &desc, kv, 2, NULL, flags);
}
EXPORT_SYMBOL_GPL(vmbus_send_completion);

/**
 * vmbus_chan_kick() - signal the host if a deferred send needs it
 * @chan: an open channel
 *
 * Sends with VMBUS_SEND_DEFER_SIGNAL skip the signal; one kick after a
 * batch of them signals at most once. A send without that flag flushes
 * the pending signal too, and so does a send that finds the ring full.
 * Any context.
 */
void vmbus_chan_kick(struct vmbus_channel *chan)
{
	unsigned long flags;
	bool signal;

	if (vmbus_chan_enter(chan))
		return;
	spin_lock_irqsave(&chan->out.lock, flags);
	signal = chan->signal_deferred;
	chan->signal_deferred = false;
	spin_unlock_irqrestore(&chan->out.lock, flags);
	if (signal)
		vmbus_signal_host(chan);
	vmbus_chan_leave(chan);
}
EXPORT_SYMBOL_GPL(vmbus_chan_kick);

/* --- receiving ------------------------------------------------------- */

static void vmbus_drop_pkt(struct vmbus_channel *chan, const char *why,
			   u64 val)
{
	atomic64_inc(&chan->stats.dropped);
	dev_err_ratelimited(vmbus_chan_dev(chan),
			    "channel %u: dropped host packet: %s (%#llx)\n",
			    chan->relid, why, val);
}

/* A completion: hand its context back, or finish a transaction. */
static bool vmbus_on_completion(struct vmbus_channel *chan,
				struct vmbus_pkt *pkt)
{
	struct vmbus_rqst_slot *slot;
	struct vmbus_xact *x;
	unsigned long flags;

	spin_lock_irqsave(&chan->rqst_lock, flags);
	slot = vmbus_rqst_find(chan, pkt->trans_id);
	if (!slot) {
		spin_unlock_irqrestore(&chan->rqst_lock, flags);
		vmbus_drop_pkt(chan, "unknown completion id", pkt->trans_id);
		return false;
	}
	if (!slot->xact) {
		pkt->rqst = slot->ctx;
		vmbus_rqst_release(chan, slot);
		spin_unlock_irqrestore(&chan->rqst_lock, flags);
		if (wq_has_sleeper(&chan->wq))
			wake_up(&chan->wq);
		return true;
	}
	/* The id's reference on the transaction is ours now. */
	x = slot->ctx;
	vmbus_rqst_release(chan, slot);
	spin_unlock_irqrestore(&chan->rqst_lock, flags);
	vmbus_xact_on_completion(x, pkt);
	return false;
}

/* Check a transfer-page header's range count against its size. */
VISIBLE_IF_KUNIT bool vmbus_xfer_pages_ok(const struct vmbus_pkt *pkt)
{
	const struct vmbus_xfer_page_header *xp;
	u32 room;

	if (pkt->hdr_len < sizeof(*xp) - sizeof(xp->desc))
		return false;
	xp = pkt->hdr - sizeof(xp->desc);
	room = pkt->hdr_len - (sizeof(*xp) - sizeof(xp->desc));
	return xp->range_cnt && xp->range_cnt <= room / sizeof(xp->ranges[0]);
}
EXPORT_SYMBOL_IF_KUNIT(vmbus_xfer_pages_ok);

/* Fill chan->rx_pkt from the copy in rx_buf; false: drop the packet. */
VISIBLE_IF_KUNIT bool vmbus_parse_pkt(struct vmbus_channel *chan, u32 len)
{
	const struct vmbus_packet_desc *desc = chan->rx_buf;
	struct vmbus_pkt *pkt = &chan->rx_pkt;
	u32 off = desc->offset8 * 8;

	pkt->type = desc->type;
	pkt->flags = desc->flags;
	pkt->trans_id = desc->trans_id;
	pkt->rqst = NULL;
	pkt->hdr = chan->rx_buf + sizeof(*desc);
	pkt->hdr_len = off - sizeof(*desc);
	pkt->data = chan->rx_buf + off;
	pkt->len = len - off;

	switch (pkt->type) {
	case VMBUS_PKT_DATA_INBAND:
		return true;
	case VMBUS_PKT_DATA_USING_XFER_PAGES:
		if (vmbus_xfer_pages_ok(pkt))
			return true;
		vmbus_drop_pkt(chan, "bad transfer-page header", pkt->hdr_len);
		return false;
	case VMBUS_PKT_COMP:
		return vmbus_on_completion(chan, pkt);
	default:
		vmbus_drop_pkt(chan, "unexpected packet type", pkt->type);
		return false;
	}
}
EXPORT_SYMBOL_IF_KUNIT(vmbus_parse_pkt);

/* Ask the host not to signal new packets, once per batch of reads. */
static void vmbus_chan_mask_in(struct vmbus_channel *chan)
{
	if (!chan->in_masked) {
		hv_ring_mask(&chan->in);
		chan->in_masked = true;
	}
}

/**
 * vmbus_recv_pkt() - take the next packet the host sent
 * @chan: an open channel, from its callback, or from the driver's poll
 *	loop after vmbus_chan_disable_cb() (one reader at a time)
 *
 * The packet is copied out of the ring and checked before it is
 * returned. Completions of vmbus_xact_send() are handled here and not
 * returned; completions with unknown ids and packets of unknown types are
 * dropped. A packet that breaks the ring rules fails the channel.
 *
 * One run of the channel callback takes at most VMBUS_RECV_BUDGET (128)
 * packets, dropped ones included; after that this returns NULL,
 * vmbus_recv_done() returns false and the core runs the callback again
 * later, so a host that keeps the ring busy cannot keep a CPU.
 *
 * In the callback, the first call masks the host's interrupts for the
 * batch; vmbus_recv_done() unmasks them. A poll loop has masked them with
 * vmbus_chan_disable_cb() and unmasks with vmbus_chan_enable_cb(); its
 * reads are not counted against the callback's budget.
 *
 * Return: the packet, valid until the next call, or NULL when none is left
 * (or the budget is used up, or the channel failed). Call
 * vmbus_recv_done() (or, in a poll loop, vmbus_chan_enable_cb()) after
 * the last one.
 */
const struct vmbus_pkt *vmbus_recv_pkt(struct vmbus_channel *chan)
{
	struct hv_ring *in = &chan->in;
	u32 len;
	int ret;

	vmbus_chan_mask_in(chan);
	while (chan->rx_budget) {
		/* Give space back early when a batch is long. */
		if ((in->index + in->size - in->committed) % in->size >
		    in->size / 2)
			vmbus_recv_commit(chan);
		ret = hv_ring_read(in, chan->rx_buf, chan->rx_buf_size, &len);
		if (ret == -ENODATA)
			return NULL;
		if (ret) {
			vmbus_chan_kill(chan);
			return NULL;
		}
		if (chan->rx_budget != VMBUS_RECV_UNLIMITED)
			chan->rx_budget--;
		if (vmbus_parse_pkt(chan, len))
			return &chan->rx_pkt;
	}
	return NULL;
}
EXPORT_SYMBOL_GPL(vmbus_recv_pkt);

/**
 * vmbus_recv_commit() - give the ring space of read packets back
 * @chan: an open channel
 *
 * Signals the host if it was waiting for that space. Interrupts stay
 * masked: for a poll loop (NAPI) that will read again.
 */
void vmbus_recv_commit(struct vmbus_channel *chan)
{
	if (hv_ring_commit(&chan->in))
		vmbus_signal_host(chan);
}
EXPORT_SYMBOL_GPL(vmbus_recv_commit);

/**
 * vmbus_recv_done() - end a batch of vmbus_recv_pkt() calls
 * @chan: an open channel
 *
 * Commits what was read and lets the host interrupt again; when the
 * callback's budget is used up, interrupts stay masked and the core runs
 * the callback again itself. After vmbus_chan_disable_cb() it only
 * commits: interrupts stay masked until vmbus_chan_enable_cb().
 *
 * Return: true if more packets arrived meanwhile: read again, since the
 * host will not signal for them.
 */
bool vmbus_recv_done(struct vmbus_channel *chan)
{
	vmbus_recv_commit(chan);
	if (!chan->rx_budget || READ_ONCE(chan->cb_off))
		return false;
	chan->in_masked = false;
	return hv_ring_unmask(&chan->in);
}
EXPORT_SYMBOL_GPL(vmbus_recv_done);

/**
 * vmbus_chan_disable_cb() - mask the host's interrupts and take the ring over
 * @chan: an open channel
 *
 * For a poll loop (NAPI): typically the callback calls this and schedules
 * the poll, which reads with vmbus_recv_pkt() and vmbus_recv_commit().
 * From then on the host is asked not to signal for new packets
 * (interrupt_mask in the inbound ring's control page), the callback is
 * not scheduled any more, and the reads are the driver's, outside the
 * callback's budget. A signal of the host still wakes senders and
 * vmbus_chan_request_space(). Undone by vmbus_chan_enable_cb(). Any
 * context; from the callback or while it cannot run if the callback
 * itself reads the ring.
 */
void vmbus_chan_disable_cb(struct vmbus_channel *chan)
{
	WRITE_ONCE(chan->cb_off, true);
	/* Reads from now on are the poll loop's, not the callback's. */
	chan->rx_budget = VMBUS_RECV_UNLIMITED;
	vmbus_chan_mask_in(chan);
}
EXPORT_SYMBOL_GPL(vmbus_chan_disable_cb);

/**
 * vmbus_chan_enable_cb() - unmask the host's interrupts, give the callback back
 * @chan: an open channel, after vmbus_chan_disable_cb()
 *
 * Gives the space of the packets read back to the host (signalling it if
 * it waits for that room), lets the callback be scheduled again and clears
 * interrupt_mask, with a full barrier before it looks at the ring again.
 * Packets that arrived while masked brought no signal: if this returns
 * true, the caller must poll again (vmbus_chan_disable_cb() first, as a
 * NAPI driver does by rescheduling its poll). Called by the poll loop,
 * which reads the ring; any context.
 *
 * Return: true if packets are waiting to be read.
 */
bool vmbus_chan_enable_cb(struct vmbus_channel *chan)
{
	vmbus_recv_commit(chan);
	chan->in_masked = false;
	WRITE_ONCE(chan->cb_off, false);
	/* Callback on before the unmask: a signal after it must find it on. */
	smp_mb();
	return hv_ring_unmask(&chan->in);
}
EXPORT_SYMBOL_GPL(vmbus_chan_enable_cb);

/**
 * vmbus_chan_send_space() - the longest packet the outbound ring takes now
 * @chan: an open channel
 *
 * For flow control: a send of a packet of at most this many bytes
 * (descriptor and headers included, see vmbus_inband_pkt_size() and
 * vmbus_pages_pkt_size()) finds room right now, unless another sender
 * takes it first. The 8-byte alignment, the 8-byte trailer and the rule
 * that the ring is never filled completely are accounted for. Request ids
 * are not: they have their own limit (vmbus_chan_config.max_requests).
 * Any context.
 *
 * Return: bytes; 0 if the channel is not open or failed.
 */
u32 vmbus_chan_send_space(struct vmbus_channel *chan)
{
	unsigned long flags;
	u32 bytes;

	if (vmbus_chan_enter(chan))
		return 0;
	spin_lock_irqsave(&chan->out.lock, flags);
	bytes = min_t(u32, hv_ring_writable(&chan->out), (u32)U16_MAX * 8);
	spin_unlock_irqrestore(&chan->out.lock, flags);
	vmbus_chan_leave(chan);
	return bytes;
}
EXPORT_SYMBOL_GPL(vmbus_chan_send_space);

/* Withdraw a satisfied space request; with out->lock held. */
static void vmbus_space_withdraw(struct vmbus_channel *chan)
{
	lockdep_assert_held(&chan->out.lock);
	chan->space_want = 0;
	if (!chan->space_waiters && chan->out.pending)
		hv_ring_set_pending(&chan->out, 0);
}

/*
 * Add a request for @need bytes to those not yet called back; with
 * out->lock held. Return: true if @need bytes are not free yet.
 */
static bool vmbus_space_combine(struct vmbus_channel *chan, u32 need)
{
	struct hv_ring *out = &chan->out;
	u32 earlier = chan->space_want;
	u32 want = max(need, earlier);

	chan->space_want = want;
	/* Sets pending_send_sz, with the barrier the re-check needs. */
	hv_ring_set_pending(out, max(want, chan->space_waiters ?
				     out->pending : 0));
	if (hv_ring_has_space(out, want)) {
		/* The earlier requests' call is due: the tasklet makes it. */
		if (earlier)
			tasklet_schedule(&chan->tasklet);
		else
			vmbus_space_withdraw(chan);
	}
	return !hv_ring_has_space(out, need);
}

/**
 * vmbus_chan_request_space() - ask for a call once a packet would fit
 * @chan: an open channel whose config has a send_space callback
 * @bytes: packet bytes, as for vmbus_chan_send_space(); 0 cancels
 *
 * For a driver that stops its transmit queue when vmbus_chan_send_space()
 * gets low: this sets pending_send_sz in the outbound ring so the host
 * signals once it has read enough, and looks at the ring again after
 * that (so a host that made room meanwhile is not missed). If the room
 * is not there, vmbus_chan_config.send_space runs once when it is, from
 * the channel's tasklet when the host signals. Requests made before that
 * call combine: it comes once the largest room asked for is free, so
 * that two waiters of one driver (a stopped queue, a completion that
 * waits for room) never cancel each other; a request whose own room is
 * there already still leaves the call due to the earlier ones (it may
 * then come at once). Once the channel is closed or rescinded, no call
 * comes (the driver learns of that otherwise). Any context.
 *
 * Return: true if the callback will run for this request; false if its
 * room is there already (send now), @bytes is 0 (which cancels every
 * request) or can never fit, or the channel is not open.
 */
bool vmbus_chan_request_space(struct vmbus_channel *chan, u32 bytes)
{
	u32 need = ALIGN(bytes, VMBUS_PKT_ALIGN) + VMBUS_PKT_TRAILER_SIZE;
	struct hv_ring *out = &chan->out;
	unsigned long flags;
	bool armed = false;

	if (vmbus_chan_enter(chan))
		return false;
	if (WARN_ON_ONCE(!chan->space_callback))
		goto leave;
	spin_lock_irqsave(&out->lock, flags);
	if (!bytes)
		vmbus_space_withdraw(chan);
	else if (need < out->size)
		armed = vmbus_space_combine(chan, need);
	spin_unlock_irqrestore(&out->lock, flags);
leave:
	vmbus_chan_leave(chan);
	return armed;
}
EXPORT_SYMBOL_GPL(vmbus_chan_request_space);

/* From the tasklet: make the vmbus_chan_request_space() call, if due. */
static void vmbus_chan_space_check(struct vmbus_channel *chan)
{
	struct hv_ring *out = &chan->out;
	unsigned long flags;
	bool due;

	if (!READ_ONCE(chan->space_want))
		return;
	spin_lock_irqsave(&out->lock, flags);
	due = chan->space_want && hv_ring_has_space(out, chan->space_want);
	if (due)
		vmbus_space_withdraw(chan);
	spin_unlock_irqrestore(&out->lock, flags);
	if (due)
		chan->space_callback(chan->cb_ctx);
}

/**
 * vmbus_chan_send_xact() - send the request of a transaction
 * @chan: an open channel
 * @x: the transaction; its request id holds a reference the caller took
 * @req: the inband payload
 * @len: its length
 *
 * On success the caller stays counted as a user of @chan, so that the
 * request table outlives the wait, until vmbus_chan_cancel_xact().
 *
 * Return: 0, or an error of vmbus_send_inband().
 */
int vmbus_chan_send_xact(struct vmbus_channel *chan, struct vmbus_xact *x,
			 const void *req, u32 len)
{
	struct vmbus_packet_desc desc = {
		.type = VMBUS_PKT_DATA_INBAND,
		.offset8 = VMBUS_PKT_DESC_LEN8,
	};
	struct kvec kv[2] = {
		{ .iov_base = &desc, .iov_len = sizeof(desc) },
		{ .iov_base = (void *)req, .iov_len = len },
	};
	int ret;

	might_sleep();
	ret = vmbus_chan_enter(chan);
	if (ret)
		return ret;
	ret = vmbus_chan_send(chan, &desc, kv, 2, x, true,
			      VMBUS_SEND_MAY_SLEEP);
	if (ret)
		vmbus_chan_leave(chan);
	return ret;
}

/**
 * vmbus_chan_cancel_xact() - the end of a transaction's wait
 * @chan: the channel of vmbus_chan_send_xact()
 * @x: the transaction
 *
 * A request id still out with the host is given up (a completion with it
 * is dropped as unknown from now on) and its reference on @x dropped;
 * then the caller stops being a user of @chan.
 */
void vmbus_chan_cancel_xact(struct vmbus_channel *chan, struct vmbus_xact *x)
{
	if (vmbus_rqst_take_back(chan, x, true))
		vmbus_xact_put(x);
	vmbus_chan_leave(chan);
}

/* --- events, callbacks and accessors --------------------------------- */

/*
 * The channel's tasklet: the send_space call if it is due, then one run
 * of the callback (unless the driver turned it off), which reads at most
 * VMBUS_RECV_BUDGET packets. A tasklet never runs on two CPUs at once,
 * so the callbacks are serialized wherever the host's events arrive; a
 * host that keeps the ring busy gets the tasklet scheduled again rather
 * than a CPU for ever (softirq then hands over to ksoftirqd).
 */
static void vmbus_chan_tasklet(struct tasklet_struct *t)
{
	struct vmbus_channel *chan = from_tasklet(chan, t, tasklet);
	bool more;

	/* Pairs with smp_store_release() in open: callback set up first. */
	if (!smp_load_acquire(&chan->cb_enabled))
		return;
	vmbus_chan_space_check(chan);
	if (READ_ONCE(chan->cb_off))
		return;
	chan->rx_budget = VMBUS_RECV_BUDGET;
	chan->callback(chan->cb_ctx);
	/* Turned off: the ring and the budget now belong to the poll loop. */
	if (READ_ONCE(chan->cb_off))
		return;
	more = !chan->rx_budget;
	chan->rx_budget = VMBUS_RECV_UNLIMITED;
	if (more && READ_ONCE(chan->cb_enabled))
		tasklet_schedule(&chan->tasklet);
}

/*
 * From the SynIC interrupt, under rcu_read_lock(): only wakes senders
 * and schedules the channel's own tasklet, so that no host-driven work
 * runs in hard interrupt context or under RCU.
 */
void vmbus_chan_on_event(struct vmbus_channel *chan)
{
	atomic64_inc(&chan->stats.events);
	/*
	 * Blocked senders wait for room the host just made. wq_has_sleeper()
	 * has the barrier that pairs with the sleeper's check of the ring.
	 */
	if (wq_has_sleeper(&chan->wq))
		wake_up(&chan->wq);
	/* Pairs with smp_store_release() in open: callback set up first. */
	if (smp_load_acquire(&chan->cb_enabled) &&
	    (!READ_ONCE(chan->cb_off) || READ_ONCE(chan->space_want)))
		tasklet_schedule(&chan->tasklet);
}

/**
 * vmbus_chan_set_cpu() - move an open channel's interrupts to another CPU
 * @chan: the channel
 * @cpu: a CPU with a SynIC
 *
 * Sends MODIFYCHANNEL (VMBus 4.1 and later) and, from 5.3 on, waits for
 * the host's answer. Process context.
 *
 * Return: 0, -EOPNOTSUPP before 4.1, -EINVAL for an unusable CPU, -ENODEV
 * if the channel is not open, -EIO if the host refused, -ETIMEDOUT.
 */
int vmbus_chan_set_cpu(struct vmbus_channel *chan, unsigned int cpu)
{
	struct vmbus_msg_modify_channel msg = {
		.header.msgtype = VMBUS_MSG_MODIFYCHANNEL,
		.child_relid = chan->relid,
	};
	bool answered = vmbus_proto_version() >= VMBUS_VERSION_WIN10_V5_3;
	struct vmbus_waiter w;
	int ret = 0;

	if (vmbus_proto_version() < VMBUS_VERSION_WIN10_V4_1)
		return -EOPNOTSUPP;
	if (!hv_synic_cpu_enabled(cpu))
		return -EINVAL;
	mutex_lock(&chan->lock);
	if (chan->state != VMBUS_CHAN_OPEN || READ_ONCE(chan->rescinded)) {
		ret = -ENODEV;
		goto unlock;
	}
	if (cpu == chan->target_cpu)
		goto unlock;
	msg.target_vp = hv_vp_index_of(cpu);
	vmbus_waiter_init(&w, VMBUS_MSG_MODIFYCHANNEL_RESPONSE, chan->relid, 0);
	if (answered) {
		vmbus_waiter_add(&w);
		ret = vmbus_post_msg(&msg, sizeof(msg));
		ret = vmbus_waiter_await(&w, ret, VMBUS_RESPONSE_TIMEOUT);
	} else {
		ret = vmbus_post_msg(&msg, sizeof(msg));
	}
	if (!ret && answered && w.resp.modify.status) {
		dev_err_ratelimited(vmbus_chan_dev(chan),
				    "host refused to move channel %u: %#x\n",
				    chan->relid, w.resp.modify.status);
		ret = -EIO;
	}
	if (!ret) {
		WRITE_ONCE(chan->target_cpu, cpu);
		chan->target_vp = msg.target_vp;
	}
unlock:
	mutex_unlock(&chan->lock);
	return ret;
}

/**
 * vmbus_set_rescind_callback() - learn early that the host removes a channel
 * @chan: the channel
 * @cb: called in process context when the host rescinds @chan, after its
 *	senders and waiters were failed. A rescinded sub-channel is closed
 *	by the core afterwards and freed once the driver no longer holds
 *	it (see vmbus_chan_close()). A rescinded primary's device is
 *	removed.
 *	It must not wait for anything that clears it (the driver's remove).
 *
 * Process context. Once this returns, the previous callback is no longer
 * running (unless called from that callback itself), so a driver may free
 * what it uses right after clearing it with a NULL @cb. The core clears
 * the callbacks of a device's channels when its driver is removed.
 */
void vmbus_set_rescind_callback(struct vmbus_channel *chan,
				void (*cb)(struct vmbus_channel *chan))
{
	struct task_struct *running;

	spin_lock(&chan->rescind_lock);
	chan->rescind_callback = cb;
	running = chan->rescind_task;
	spin_unlock(&chan->rescind_lock);
	/* Called from the callback, it is over as soon as it returns. */
	if (running && running != current)
		wait_event(chan->wq, !READ_ONCE(chan->rescind_task));
}
EXPORT_SYMBOL_GPL(vmbus_set_rescind_callback);

/**
 * vmbus_chan_notify_rescind() - run a rescinded channel's rescind callback
 * @chan: the channel; the host rescinded it (this runs once for it)
 *
 * No lock is held while the driver's callback runs, so it may call into
 * the core freely; vmbus_set_rescind_callback() waits for it instead.
 */
void vmbus_chan_notify_rescind(struct vmbus_channel *chan)
{
	void (*cb)(struct vmbus_channel *chan);

	spin_lock(&chan->rescind_lock);
	cb = chan->rescind_callback;
	if (cb)
		WRITE_ONCE(chan->rescind_task, current);
	spin_unlock(&chan->rescind_lock);
	if (!cb)
		return;
	cb(chan);
	spin_lock(&chan->rescind_lock);
	WRITE_ONCE(chan->rescind_task, NULL);
	spin_unlock(&chan->rescind_lock);
	/* A driver clearing the callback waits for this on the channel. */
	wake_up_all(&chan->wq);
}
EXPORT_SYMBOL_IF_KUNIT(vmbus_chan_notify_rescind);

/**
 * vmbus_chan_device() - the device a channel belongs to
 * @chan: a primary channel or a sub-channel
 *
 * Return: the device of the primary channel.
 */
struct hv_device *vmbus_chan_device(const struct vmbus_channel *chan)
{
	return chan->primary ? chan->primary->device : chan->device;
}
EXPORT_SYMBOL_GPL(vmbus_chan_device);

/**
 * vmbus_chan_is_primary() - whether a channel is its device's primary
 * @chan: the channel
 *
 * Return: true for a primary channel, false for a sub-channel.
 */
bool vmbus_chan_is_primary(const struct vmbus_channel *chan)
{
	return !chan->primary;
}
EXPORT_SYMBOL_GPL(vmbus_chan_is_primary);

/**
 * vmbus_chan_subchannel_index() - a channel's index among its siblings
 * @chan: the channel
 *
 * Return: 0 for the primary, 1..n for sub-channels.
 */
u16 vmbus_chan_subchannel_index(const struct vmbus_channel *chan)
{
	return chan->sub_index;
}
EXPORT_SYMBOL_GPL(vmbus_chan_subchannel_index);

/**
 * vmbus_chan_relid() - the host's id of a channel
 * @chan: the channel
 *
 * Return: the relid, for logs.
 */
u32 vmbus_chan_relid(const struct vmbus_channel *chan)
{
	return chan->relid;
}
EXPORT_SYMBOL_GPL(vmbus_chan_relid);

/**
 * vmbus_chan_cpu() - the CPU that receives a channel's interrupts
 * @chan: an open channel
 *
 * Return: the CPU its callback is meant for (for queue mapping).
 */
unsigned int vmbus_chan_cpu(const struct vmbus_channel *chan)
{
	return READ_ONCE(chan->target_cpu);
}
EXPORT_SYMBOL_GPL(vmbus_chan_cpu);

/**
 * vmbus_chan_is_rescinded() - whether the host took the channel away
 * @chan: the channel
 *
 * Return: true once rescinded.
 */
bool vmbus_chan_is_rescinded(const struct vmbus_channel *chan)
{
	return READ_ONCE(chan->rescinded);
}
EXPORT_SYMBOL_GPL(vmbus_chan_is_rescinded);

/**
 * vmbus_chan_is_dead() - whether the host will answer on a channel no more
 * @chan: the channel
 *
 * For a VSC that decides whether to keep waiting for completions: none
 * will come once the channel is closed, rescinded or failed (a ring broke
 * the rules). A failed channel is still open on the host side until it is
 * closed: pages the host was given may still be written until then.
 *
 * Return: true in those cases.
 */
bool vmbus_chan_is_dead(struct vmbus_channel *chan)
{
	return vmbus_chan_dead(chan);
}
EXPORT_SYMBOL_GPL(vmbus_chan_is_dead);

/**
 * vmbus_chan_ring_size() - data bytes of an open channel's ring
 * @chan: an open channel
 * @send: true for the guest-to-host ring, false for the other
 *
 * Return: bytes in the data area (the control page excluded); a packet
 * plus its 8-byte trailer must be smaller than this.
 */
u32 vmbus_chan_ring_size(const struct vmbus_channel *chan, bool send)
{
	return send ? chan->out.size : chan->in.size;
}
EXPORT_SYMBOL_GPL(vmbus_chan_ring_size);

/**
 * vmbus_chan_get_stats() - read a channel's counters
 * @chan: the channel
 * @stats: filled in
 */
void vmbus_chan_get_stats(struct vmbus_channel *chan,
			  struct vmbus_chan_stats *stats)
{
	stats->signals = atomic64_read(&chan->stats.signals);
	stats->ring_full = atomic64_read(&chan->stats.ring_full);
	stats->events = atomic64_read(&chan->stats.events);
	stats->dropped = atomic64_read(&chan->stats.dropped);
}
EXPORT_SYMBOL_GPL(vmbus_chan_get_stats);

/* For sysfs: one field of an open channel's ring. */
ssize_t vmbus_chan_ring_show(struct vmbus_channel *chan, bool out,
			     unsigned int field, char *buf)
{
	struct hv_ring *ring = out ? &chan->out : &chan->in;
	ssize_t ret = -EINVAL;
	u32 val;

	mutex_lock(&chan->lock);
	if (chan->state != VMBUS_CHAN_OPEN)
		goto unlock;
	switch (field) {
	case VMBUS_RING_READ_INDEX:
		val = READ_ONCE(ring->ctl->read_index);
		break;
	case VMBUS_RING_WRITE_INDEX:
		val = READ_ONCE(ring->ctl->write_index);
		break;
	case VMBUS_RING_INTR_MASK:
		val = READ_ONCE(ring->ctl->interrupt_mask);
		break;
	case VMBUS_RING_PENDING_SEND_SZ:
		val = READ_ONCE(ring->ctl->pending_send_sz);
		break;
	default:
		/* Bytes written and not yet consumed by the other side. */
		val = out ? (ring->index + ring->size -
			     READ_ONCE(ring->ctl->read_index)) % ring->size :
			    hv_ring_bytes_to_read(ring);
		break;
	}
	ret = sysfs_emit(buf, "%u\n", val);
unlock:
	mutex_unlock(&chan->lock);
	return ret;
}
