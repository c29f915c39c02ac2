// SPDX-License-Identifier: GPL-2.0
/*
 * Channel management: offers become channels and devices, sub-channels
 * join their primary, rescinds take them away again, and on disconnect
 * everything is removed before the host is told to unload.
 *
 * Offers and rescinds run in order on the message workqueue. Device
 * registration and removal run in order on the device workqueue, so a
 * driver's probe never blocks the messages it is waiting for.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/rcupdate.h>
#include <kunit/visibility.h>

#include "vmbus_private.h"

static struct vmbus_channel *vmbus_relid_chan(u32 relid)
{
	return rcu_dereference_protected(vmbus_conn.relids[relid],
					 lockdep_is_held(&vmbus_conn.lock));
}

/*
 * The primary channel of device @instance; of class @type too, unless
 * @type is NULL (device names are instance GUIDs, whatever the class).
 * With vmbus_conn.lock held.
 */
static struct vmbus_channel *vmbus_find_primary(const guid_t *type,
						const guid_t *instance)
{
	struct vmbus_channel *chan;

	lockdep_assert_held(&vmbus_conn.lock);
	list_for_each_entry(chan, &vmbus_conn.channels, node)
		if (!chan->primary &&
		    (!type || guid_equal(&chan->offer.if_type, type)) &&
		    guid_equal(&chan->offer.if_instance, instance))
			return chan;
	return NULL;
}

/*
 * Whether a live sub-channel of @primary has @index. A rescinded one stays
 * on the list until its removal is over, but gave its index back: the
 * host offers it again after the primary was closed and reopened.
 * With vmbus_conn.lock held.
 */
static bool vmbus_has_subchannel(struct vmbus_channel *primary, u16 index)
{
	struct vmbus_channel *sc;

	lockdep_assert_held(&vmbus_conn.lock);
	list_for_each_entry(sc, &primary->subchannels, sc_node)
		if (sc->sub_index == index && !sc->host_rescinded)
			return true;
	return false;
}

/**
 * vmbus_close_all() - close a primary channel and its sub-channels
 * @primary: the primary channel
 *
 * For what a driver left open. Sub-channels are closed first, as the
 * host expects.
 */
void vmbus_close_all(struct vmbus_channel *primary)
{
	struct vmbus_channel *sc;

	/* Under the lock: a sub-channel's removal takes it off the list. */
	mutex_lock(&vmbus_conn.lock);
	list_for_each_entry(sc, &primary->subchannels, sc_node)
		vmbus_chan_force_close(sc);
	mutex_unlock(&vmbus_conn.lock);
	vmbus_chan_force_close(primary);
}

/**
 * vmbus_stop_rescind_callbacks() - clear the rescind callbacks of a device
 * @primary: the device's primary channel
 *
 * Clears the rescind callback of @primary and of each of its sub-channels
 * and waits for one that is still running. For a driver's remove, before
 * it frees what its callbacks use: a sub-channel the host rescinds from
 * here on is closed by the core alone. Safe while a running callback
 * closes its sub-channel (the core keeps it listed, and so alive, until
 * this returns). The core calls it after the driver's remove or a failed
 * probe, so that a later rescind never calls into an unloaded module.
 * Process context; not from a rescind callback.
 */
void vmbus_stop_rescind_callbacks(struct vmbus_channel *primary)
{
	struct vmbus_channel *sc;

	mutex_lock(&vmbus_conn.lock);
	list_for_each_entry(sc, &primary->subchannels, sc_node)
		vmbus_set_rescind_callback(sc, NULL);
	mutex_unlock(&vmbus_conn.lock);
	vmbus_set_rescind_callback(primary, NULL);
}
EXPORT_SYMBOL_GPL(vmbus_stop_rescind_callbacks);

static void vmbus_post_relid_released(u32 relid)
{
	struct vmbus_msg_relid msg = {
		.header.msgtype = VMBUS_MSG_RELID_RELEASED,
		.child_relid = relid,
	};

	if (READ_ONCE(vmbus_conn.state) == VMBUS_CONNECTED)
		vmbus_post_msg(&msg, sizeof(msg));
}

/* Once per channel, whichever of primary and sub-channel removal is first. */
static void vmbus_send_relid_released(struct vmbus_channel *chan)
{
	bool send;

	mutex_lock(&vmbus_conn.lock);
	send = !chan->relid_released && chan->host_rescinded;
	chan->relid_released = true;
	mutex_unlock(&vmbus_conn.lock);
	if (send)
		vmbus_post_relid_released(chan->relid);
}

/* Stop events for @chans; with vmbus_conn.lock held. */
static void vmbus_unlink_channel(struct vmbus_channel *chan)
{
	lockdep_assert_held(&vmbus_conn.lock);
	if (!chan->relid_released &&
	    vmbus_relid_chan(chan->relid) == chan)
		vmbus_set_relid(chan->relid, NULL);
	list_del_init(&chan->node);
}

/*
 * Take the first sub-channel off @primary's list, with the list's
 * reference, or NULL. A rescinded sub-channel's removal may take it off
 * first (vmbus_remove_subchannel()).
 */
static struct vmbus_channel *vmbus_take_subchannel(struct vmbus_channel *primary)
{
	struct vmbus_channel *sc;

	mutex_lock(&vmbus_conn.lock);
	sc = list_first_entry_or_null(&primary->subchannels,
				      struct vmbus_channel, sc_node);
	if (sc)
		list_del_init(&sc->sc_node);
	mutex_unlock(&vmbus_conn.lock);
	return sc;
}

/*
 * Remove a primary channel's device and everything hanging off it, then
 * release the relids. Runs on the device workqueue (after a rescind) or
 * from vmbus_remove_all_channels() (disconnect).
 */
static void vmbus_remove_primary(struct vmbus_channel *chan)
{
	struct vmbus_channel *sc;

	vmbus_device_remove(chan->device);
	/* Whatever the driver left open must not stay with the host. */
	vmbus_close_all(chan);

	mutex_lock(&vmbus_conn.lock);
	list_for_each_entry(sc, &chan->subchannels, sc_node)
		vmbus_unlink_channel(sc);
	vmbus_unlink_channel(chan);
	mutex_unlock(&vmbus_conn.lock);
	/* No event handler can still see the channels after this. */
	synchronize_rcu();

	while ((sc = vmbus_take_subchannel(chan))) {
		vmbus_send_relid_released(sc);
		vmbus_chan_drop_driver_hold(sc);
		vmbus_chan_put(sc);
	}
	vmbus_send_relid_released(chan);

	/* The list's reference, then the device's (which frees the rest). */
	vmbus_chan_put(chan);
	put_device(&chan->device->device);
}

static void vmbus_remove_work(struct work_struct *work)
{
	vmbus_remove_primary(container_of(work, struct vmbus_channel,
					  remove_work));
}

static void vmbus_add_work(struct work_struct *work)
{
	struct vmbus_channel *chan = container_of(work, struct vmbus_channel,
						  add_work);
	int ret;

	ret = vmbus_device_add(chan->device);
	if (ret)
		pr_err_ratelimited("cannot add device for channel %u: %d\n",
				   chan->relid, ret);
}

VISIBLE_IF_KUNIT bool vmbus_offer_ok(const struct vmbus_msg_offer *offer)
{
	u32 relid = offer->child_relid;
	struct vmbus_channel *primary;

	if (!relid || relid > VMBUS_MAX_RELID) {
		pr_err_ratelimited("offer with bad relid %u\n", relid);
		return false;
	}
	if (vmbus_relid_chan(relid)) {
		pr_err_ratelimited("offer of relid %u, which is in use\n",
				   relid);
		return false;
	}
	primary = vmbus_find_primary(offer->sub_channel_index ?
				     &offer->if_type : NULL,
				     &offer->if_instance);
	if (!offer->sub_channel_index && primary) {
		pr_err_ratelimited("second offer of device %pUl (relid %u)\n",
				   &offer->if_instance, relid);
		return false;
	}
	if (offer->sub_channel_index &&
	    (!primary || READ_ONCE(primary->rescinded) ||
	     vmbus_has_subchannel(primary, offer->sub_channel_index))) {
		pr_err_ratelimited("bad sub-channel %u of %pUl (relid %u)\n",
				   offer->sub_channel_index,
				   &offer->if_instance, relid);
		return false;
	}
	return true;
}
EXPORT_SYMBOL_IF_KUNIT(vmbus_offer_ok);

/*
 * A refused offer leaves no channel behind, but its relid stays the host's
 * until the guest releases it: remember it, so that the host's rescind of
 * it is answered with RELID_RELEASED. A bad relid cannot be released, and
 * one in use belongs to its channel. With vmbus_conn.lock held.
 */
static void vmbus_offer_rejected(u32 relid)
{
	lockdep_assert_held(&vmbus_conn.lock);
	if (relid && relid <= VMBUS_MAX_RELID && !vmbus_relid_chan(relid))
		set_bit(relid, vmbus_conn.rejected_relids);
}

/**
 * vmbus_on_offer() - OFFERCHANNEL: a new channel
 * @msg: the copied message
 * @len: its length (at least the offer's size)
 *
 * A primary channel becomes a device; a sub-channel joins its primary.
 * Offers with bad relids, duplicates and orphan sub-channels are logged
 * and ignored; the relid of a refused offer is released when the host
 * rescinds it.
 */
void vmbus_on_offer(const void *msg, u32 len)
{
	const struct vmbus_msg_offer *offer = msg;
	struct vmbus_channel *chan, *primary = NULL;

	if (READ_ONCE(vmbus_conn.state) != VMBUS_CONNECTED)
		return;
	mutex_lock(&vmbus_conn.lock);
	if (!vmbus_offer_ok(offer))
		goto reject;
	chan = vmbus_chan_alloc(offer);
	if (!chan)
		goto reject;
	if (offer->sub_channel_index) {
		primary = vmbus_find_primary(&offer->if_type,
					     &offer->if_instance);
		/* Dropped when the sub-channel is freed. */
		kobject_get(&primary->kobj);
		chan->primary = primary;
		list_add_tail(&chan->sc_node, &primary->subchannels);
	} else if (!vmbus_device_alloc(chan)) {
		vmbus_chan_put(chan);
		goto reject;
	}
	INIT_WORK(&chan->add_work, vmbus_add_work);
	INIT_WORK(&chan->remove_work, vmbus_remove_work);
	list_add_tail(&chan->node, &vmbus_conn.channels);
	/* A host that reuses a refused offer's relid is done with that one. */
	clear_bit(chan->relid, vmbus_conn.rejected_relids);
	vmbus_set_relid(chan->relid, chan);
	/* A sub-channel waits for vmbus_subchannels_open() to open it. */
	if (primary) {
		vmbus_chan_sysfs_add(chan);
		vmbus_subchannel_offered(chan);
	}
	mutex_unlock(&vmbus_conn.lock);

	if (!primary)
		queue_work(vmbus_conn.dev_wq, &chan->add_work);
	return;

reject:
	vmbus_offer_rejected(offer->child_relid);
	mutex_unlock(&vmbus_conn.lock);
}

/* Fail everything that waits on @chan; it will never be answered. */
static void vmbus_chan_rescind(struct vmbus_channel *chan)
{
	WRITE_ONCE(chan->rescinded, true);
	vmbus_waiters_fail(chan->relid);
	wake_up_all(&chan->wq);
}

/*
 * A rescinded sub-channel: close it, give the relid back now and free it.
 * The caller holds a reference, so a primary's removal running meanwhile
 * cannot free it under us; whichever takes it off the primary's list
 * drops the list's reference. Its driver may use it until its rescind
 * callback returns, no longer.
 */
static void vmbus_remove_subchannel(struct vmbus_channel *sc)
{
	bool listed;

	vmbus_chan_notify_rescind(sc);
	vmbus_chan_force_close(sc);

	mutex_lock(&vmbus_conn.lock);
	vmbus_chan_sysfs_del(sc);
	vmbus_unlink_channel(sc);
	listed = !list_empty(&sc->sc_node);
	list_del_init(&sc->sc_node);
	mutex_unlock(&vmbus_conn.lock);
	synchronize_rcu();
	vmbus_send_relid_released(sc);
	if (listed)
		vmbus_chan_put(sc);
	vmbus_chan_put(sc);
}

/**
 * vmbus_on_rescind() - RESCIND_CHANNELOFFER: the host removes a channel
 * @msg: the copied message
 * @len: its length
 *
 * Waiters and senders on the channel fail at once. A sub-channel is
 * closed and released here; a primary's device is removed on the device
 * workqueue, after any registration still queued there. The relid of an
 * offer the guest refused is released at once.
 */
void vmbus_on_rescind(const void *msg, u32 len)
{
	const struct vmbus_msg_relid *m = msg;
	struct vmbus_channel *chan, *sc;

	if (!m->child_relid || m->child_relid > VMBUS_MAX_RELID) {
		pr_err_ratelimited("rescind of bad relid %u\n", m->child_relid);
		return;
	}
	mutex_lock(&vmbus_conn.lock);
	chan = vmbus_relid_chan(m->child_relid);
	if (!chan && test_and_clear_bit(m->child_relid,
					vmbus_conn.rejected_relids)) {
		mutex_unlock(&vmbus_conn.lock);
		pr_info_ratelimited("rescind of refused offer %u: relid released\n",
				    m->child_relid);
		vmbus_post_relid_released(m->child_relid);
		return;
	}
	if (!chan || chan->host_rescinded) {
		mutex_unlock(&vmbus_conn.lock);
		pr_err_ratelimited("rescind of unknown relid %u\n",
				   m->child_relid);
		return;
	}
	chan->host_rescinded = true;
	vmbus_chan_rescind(chan);
	/* A primary's sub-channels go with it. */
	list_for_each_entry(sc, &chan->subchannels, sc_node)
		vmbus_chan_rescind(sc);
	/* For vmbus_remove_subchannel(). */
	if (chan->primary)
		kobject_get(&chan->kobj);
	mutex_unlock(&vmbus_conn.lock);

	if (chan->primary) {
		vmbus_remove_subchannel(chan);
		return;
	}
	vmbus_chan_notify_rescind(chan);
	/* On disconnect, vmbus_remove_all_channels() takes care of it. */
	if (READ_ONCE(vmbus_conn.state) == VMBUS_CONNECTED)
		queue_work(vmbus_conn.dev_wq, &chan->remove_work);
}

/**
 * vmbus_on_alloffers() - ALLOFFERS_DELIVERED: the initial offers are in
 * @msg: the copied message
 * @len: its length
 */
void vmbus_on_alloffers(const void *msg, u32 len)
{
	complete(&vmbus_conn.offers_done);
}

static struct vmbus_channel *vmbus_first_primary(void)
{
	struct vmbus_channel *chan, *found = NULL;

	mutex_lock(&vmbus_conn.lock);
	list_for_each_entry(chan, &vmbus_conn.channels, node) {
		if (!chan->primary) {
			found = chan;
			break;
		}
	}
	mutex_unlock(&vmbus_conn.lock);
	return found;
}

/**
 * vmbus_remove_all_channels() - remove every device (disconnect)
 *
 * The connection state is no longer CONNECTED, so no new offer is taken
 * and no new removal is queued while this runs.
 */
void vmbus_remove_all_channels(void)
{
	struct vmbus_channel *chan;

	flush_workqueue(vmbus_conn.msg_wq);
	flush_workqueue(vmbus_conn.dev_wq);
	while ((chan = vmbus_first_primary()))
		vmbus_remove_primary(chan);
}
