// SPDX-License-Identifier: GPL-2.0
/*
 * Sub-channel bring-up: ask the host for sub-channels, wait for its
 * offers, open them.
 *
 * The request is a device-protocol message (VSTOR's CREATE_SUB_CHANNELS,
 * NVSP's subchannel request), so the driver sends it from a callback.
 * The offers arrive on the message workqueue, which only puts them on
 * their primary's list and wakes the waiter: nothing there waits for the
 * host or calls a driver. The waiter, in the driver's own context (its
 * probe) and with no channel-message lock held, then opens each new
 * sub-channel with the driver's callback. Offers that come after the
 * wait are left offered and unopened; the host takes them back when the
 * primary closes.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/jiffies.h>
#include <linux/slab.h>
#include <linux/wait.h>

#include "vmbus_private.h"

/**
 * vmbus_subchannel_offered() - a sub-channel joined its primary
 * @sc: the new sub-channel, on its primary's list
 *
 * From the offer path, with vmbus_conn.lock held.
 */
void vmbus_subchannel_offered(struct vmbus_channel *sc)
{
	struct vmbus_channel *primary = sc->primary;

	lockdep_assert_held(&vmbus_conn.lock);
	sc->offer_seq = primary->sc_seq + 1;
	/* Pairs with the READ_ONCE() of the waiter. */
	WRITE_ONCE(primary->sc_seq, sc->offer_seq);
	wake_up_all(&primary->wq);
}

/* Offers since @seq, or the primary cannot wait any more. */
static bool vmbus_subchannels_in(struct vmbus_channel *primary, u32 seq,
				 unsigned int count)
{
	return READ_ONCE(primary->sc_seq) - seq >= count ||
	       vmbus_chan_is_dead(primary);
}

/*
 * Take up to @count sub-channels offered after @seq that can be opened,
 * each with a reference, into @subs. Return: how many.
 */
static unsigned int vmbus_subchannels_take(struct vmbus_channel *primary,
					   u32 seq, struct vmbus_channel **subs,
					   unsigned int count)
{
	struct vmbus_channel *sc;
	unsigned int n = 0;

	mutex_lock(&vmbus_conn.lock);
	list_for_each_entry(sc, &primary->subchannels, sc_node) {
		if (n == count)
			break;
		if ((s32)(sc->offer_seq - seq) <= 0 ||
		    READ_ONCE(sc->rescinded) ||
		    READ_ONCE(sc->state) != VMBUS_CHAN_OFFERED)
			continue;
		kobject_get(&sc->kobj);
		subs[n++] = sc;
	}
	mutex_unlock(&vmbus_conn.lock);
	return n;
}

/**
 * vmbus_subchannels_open() - ask for sub-channels and open those offered
 * @primary: an open primary channel
 * @req: how many, how long to wait, and the driver's callbacks
 *
 * Calls @req->request to ask the host for @req->count sub-channels, waits
 * up to @req->timeout_ms for that many offers (or for the primary to go
 * away), then calls @req->open for each sub-channel offered since, one
 * at a time, in the caller's context. The core gives each channel it
 * opens a target CPU of its own, round robin over the CPUs, so
 * vmbus_chan_cpu() tells where the interrupts of each one go.
 *
 * Process context, with no lock the offer path needs; one call at a time
 * per primary (typically from probe). A sub-channel offered later stays
 * unopened.
 *
 * Return: the number of sub-channels @req->open took (0 to
 * @req->count), or the error of @req->request.
 */
int vmbus_subchannels_open(struct vmbus_channel *primary,
			   const struct vmbus_subchannel_req *req)
{
	struct vmbus_channel **subs;
	unsigned int i, n, opened = 0;
	u32 seq;
	int ret;

	might_sleep();
	if (!req->count)
		return 0;
	subs = kcalloc(req->count, sizeof(*subs), GFP_KERNEL);
	if (!subs)
		return -ENOMEM;
	seq = READ_ONCE(primary->sc_seq);
	ret = req->request(req->ctx, req->count);
	if (ret)
		goto out;
	wait_event_timeout(primary->wq,
			   vmbus_subchannels_in(primary, seq, req->count),
			   msecs_to_jiffies(req->timeout_ms));
	n = vmbus_subchannels_take(primary, seq, subs, req->count);
	for (i = 0; i < n; i++) {
		if (!vmbus_chan_is_dead(primary) && !req->open(req->ctx, subs[i]))
			opened++;
		vmbus_chan_put(subs[i]);
	}
	ret = opened;
out:
	kfree(subs);
	return ret;
}
EXPORT_SYMBOL_GPL(vmbus_subchannels_open);
