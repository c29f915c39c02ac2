// SPDX-License-Identifier: GPL-2.0
/*
 * Transactions: one request, one reply, a bounded wait.
 *
 * A VSC handshake is "send a request, wait for the matching answer". The
 * answer comes either as the completion of the request (VSTOR: the core
 * routes it here by request id, vmbus_xact_send()) or as a packet of its
 * own that only the driver can match (RNDIS QUERY/SET answers in
 * transfer-page packets: the driver's receive path hands the bytes in
 * with vmbus_xact_complete()).
 *
 * A transaction is refcounted: the waiter, a request id still out with
 * the host, and a driver table that lets the receive path find it each
 * hold a reference. The state moves once, under its lock, from WAITING to
 * DONE (a reply was copied in) or to CANCELLED (the waiter gave up); a
 * reply that finds it anything but WAITING is ignored, so a late answer
 * after a timeout lands in memory that is still ours and changes nothing.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/refcount.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/wait.h>

#include "vmbus_private.h"

enum vmbus_xact_state {
	VMBUS_XACT_WAITING,
	VMBUS_XACT_DONE,
	VMBUS_XACT_CANCELLED,
};

/**
 * struct vmbus_xact - one request waiting for its reply
 * @ref: references (waiter, request id, driver lookup)
 * @chan: the channel it is on (a reference is held)
 * @lock: guards @state, @resp_len and @resp
 * @state: enum vmbus_xact_state
 * @in_chan: vmbus_xact_send() counted us as a user of @chan until the wait
 * @resp_len: the reply's full length (may exceed @resp_size)
 * @resp_size: room at @resp
 * @resp: the reply, its first @resp_size bytes at most
 */
struct vmbus_xact {
	refcount_t ref;
	struct vmbus_channel *chan;
	spinlock_t lock;	/* state and reply */
	enum vmbus_xact_state state;
	bool in_chan;
	u32 resp_len;
	u32 resp_size;
	u8 resp[];
};

/**
 * vmbus_xact_alloc() - prepare a transaction on a channel
 * @chan: the channel the request goes out on and the reply comes in on
 * @resp_size: room for the reply (bytes beyond it are not kept)
 * @gfp: allocation flags
 *
 * The transaction waits for one reply from the start. Drop it with
 * vmbus_xact_put().
 *
 * Return: the transaction, or NULL without memory.
 */
struct vmbus_xact *vmbus_xact_alloc(struct vmbus_channel *chan, u32 resp_size,
				    gfp_t gfp)
{
	struct vmbus_xact *x = kzalloc(struct_size(x, resp, resp_size), gfp);

	if (!x)
		return NULL;
	refcount_set(&x->ref, 1);
	spin_lock_init(&x->lock);
	x->state = VMBUS_XACT_WAITING;
	x->resp_size = resp_size;
	kobject_get(&chan->kobj);
	x->chan = chan;
	return x;
}
EXPORT_SYMBOL_GPL(vmbus_xact_alloc);

/**
 * vmbus_xact_get() - take a reference on a transaction
 * @x: the transaction
 *
 * For a driver that publishes @x where its receive path finds it: that
 * path may then call vmbus_xact_complete() whenever it likes, however
 * late, until it drops its reference. Any context.
 */
void vmbus_xact_get(struct vmbus_xact *x)
{
	refcount_inc(&x->ref);
}
EXPORT_SYMBOL_GPL(vmbus_xact_get);

/**
 * vmbus_xact_put() - drop a reference on a transaction
 * @x: the transaction, or NULL
 *
 * The last one frees it. Any context but hard interrupts.
 */
void vmbus_xact_put(struct vmbus_xact *x)
{
	if (!x || !refcount_dec_and_test(&x->ref))
		return;
	/* A send never waited for still counts as a user of the channel. */
	if (WARN_ON_ONCE(x->in_chan))
		vmbus_chan_cancel_xact(x->chan, x);
	vmbus_chan_put(x->chan);
	kfree(x);
}
EXPORT_SYMBOL_GPL(vmbus_xact_put);

/**
 * vmbus_xact_complete() - hand a transaction its reply
 * @x: the transaction (the caller holds a reference)
 * @data: the reply as the host sent it
 * @len: its length; only the first bytes that fit are copied, the full
 *	length is kept for the waiter to check
 *
 * From the channel's receive path (the callback, or a context serialized
 * with it). A second reply, or one after the waiter gave up, is ignored.
 *
 * Return: true if the reply was taken, false if it was ignored.
 */
bool vmbus_xact_complete(struct vmbus_xact *x, const void *data, u32 len)
{
	unsigned long flags;
	bool taken;

	spin_lock_irqsave(&x->lock, flags);
	taken = x->state == VMBUS_XACT_WAITING;
	if (taken) {
		memcpy(x->resp, data, min(len, x->resp_size));
		x->resp_len = len;
		x->state = VMBUS_XACT_DONE;
	}
	spin_unlock_irqrestore(&x->lock, flags);
	if (taken)
		wake_up_all(&x->chan->wq);
	return taken;
}
EXPORT_SYMBOL_GPL(vmbus_xact_complete);

/* Called by the core with the reference its request id held. */
void vmbus_xact_on_completion(struct vmbus_xact *x, const struct vmbus_pkt *pkt)
{
	vmbus_xact_complete(x, pkt->data, pkt->len);
	vmbus_xact_put(x);
}

/**
 * vmbus_xact_send() - send a request whose completion is the reply
 * @x: a transaction, not sent or waited for yet
 * @req: the inband payload
 * @len: its length
 *
 * The host's completion of this packet goes to @x and never reaches the
 * driver's callback. Follow a successful send with vmbus_xact_wait(): the
 * channel cannot close before it. Process context; may sleep for ring
 * space.
 *
 * Return: 0, or an error of vmbus_send_inband().
 */
int vmbus_xact_send(struct vmbus_xact *x, const void *req, u32 len)
{
	int ret;

	might_sleep();
	/* One request per transaction: a used one takes no reply. */
	if (WARN_ON_ONCE(x->in_chan || x->state != VMBUS_XACT_WAITING))
		return -EBUSY;
	vmbus_xact_get(x);
	ret = vmbus_chan_send_xact(x->chan, x, req, len);
	if (ret)
		vmbus_xact_put(x);
	else
		x->in_chan = true;
	return ret;
}
EXPORT_SYMBOL_GPL(vmbus_xact_send);

static bool vmbus_xact_waited(struct vmbus_xact *x)
{
	return READ_ONCE(x->state) != VMBUS_XACT_WAITING ||
	       vmbus_chan_is_dead(x->chan);
}

/**
 * vmbus_xact_wait() - wait for a transaction's reply
 * @x: the transaction
 * @timeout_ms: how long to wait
 *
 * Returns when the reply arrived, the channel was closed, rescinded or
 * failed, or the time is up. Afterwards the transaction takes no reply
 * any more. Process context.
 *
 * Return: 0 with the reply in place (vmbus_xact_reply()), -ETIMEDOUT, or
 * -ENODEV if the channel went away meanwhile.
 */
int vmbus_xact_wait(struct vmbus_xact *x, unsigned int timeout_ms)
{
	unsigned long flags;
	bool done;

	might_sleep();
	wait_event_timeout(x->chan->wq, vmbus_xact_waited(x),
			   msecs_to_jiffies(timeout_ms));
	spin_lock_irqsave(&x->lock, flags);
	done = x->state == VMBUS_XACT_DONE;
	if (!done)
		x->state = VMBUS_XACT_CANCELLED;
	spin_unlock_irqrestore(&x->lock, flags);
	if (x->in_chan) {
		vmbus_chan_cancel_xact(x->chan, x);
		x->in_chan = false;
	}
	if (done)
		return 0;
	return vmbus_chan_is_dead(x->chan) ? -ENODEV : -ETIMEDOUT;
}
EXPORT_SYMBOL_GPL(vmbus_xact_wait);

/**
 * vmbus_xact_reply() - the reply of a finished transaction
 * @x: the transaction; vmbus_xact_wait() returned 0
 * @len: set to the reply's full length, which may exceed what was kept
 *	(the resp_size given to vmbus_xact_alloc()): check it
 *
 * Return: the reply, valid until @x is freed.
 */
const void *vmbus_xact_reply(const struct vmbus_xact *x, u32 *len)
{
	*len = x->resp_len;
	return x->resp;
}
EXPORT_SYMBOL_GPL(vmbus_xact_reply);
