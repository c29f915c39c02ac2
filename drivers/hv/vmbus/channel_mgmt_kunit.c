// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite of the offer checks: the relid range, a relid in use, a
 * second offer of a device, and sub-channels without a live primary or
 * with an index already taken; and the clearing of a device's rescind
 * callbacks (vmbus_stop_rescind_callbacks()). The suite runs without a host: the
 * channels it needs are put into the connection's tables under its lock
 * and taken out again before the lock is dropped.
 */

#include <kunit/test.h>
#include <kunit/visibility.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/sched/task.h>
#include <linux/slab.h>

#include "vmbus_private.h"

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

#define OFFER_RELID	2000

static const guid_t offer_type =
	GUID_INIT(0x11111111, 0x2222, 0x4333, 0x84, 0x44, 0x55, 0x55, 0x55,
		  0x55, 0x55, 0x01);
static const guid_t offer_instance =
	GUID_INIT(0x11111111, 0x2222, 0x4333, 0x84, 0x44, 0x55, 0x55, 0x55,
		  0x55, 0x55, 0x02);

static void offer_fill(struct vmbus_msg_offer *o, u32 relid, u16 sub_index)
{
	memset(o, 0, sizeof(*o));
	o->header.msgtype = VMBUS_MSG_OFFERCHANNEL;
	guid_copy(&o->if_type, &offer_type);
	guid_copy(&o->if_instance, &offer_instance);
	o->child_relid = relid;
	o->sub_channel_index = sub_index;
}

static bool offer_ok(u32 relid, u16 sub_index)
{
	struct vmbus_msg_offer o;
	bool ok;

	offer_fill(&o, relid, sub_index);
	mutex_lock(&vmbus_conn.lock);
	ok = vmbus_offer_ok(&o);
	mutex_unlock(&vmbus_conn.lock);
	return ok;
}

static void offer_relid_test(struct kunit *test)
{
	KUNIT_EXPECT_FALSE(test, offer_ok(0, 0));
	KUNIT_EXPECT_TRUE(test, offer_ok(1, 0));
	KUNIT_EXPECT_TRUE(test, offer_ok(VMBUS_MAX_RELID, 0));
	KUNIT_EXPECT_FALSE(test, offer_ok(VMBUS_MAX_RELID + 1, 0));
	KUNIT_EXPECT_FALSE(test, offer_ok(U32_MAX, 0));
}

static void offer_orphan_subchannel_test(struct kunit *test)
{
	/* No primary of that device: nothing to join. */
	KUNIT_EXPECT_FALSE(test, offer_ok(OFFER_RELID, 1));
}

/*
 * With a primary of the device at OFFER_RELID (rescinded if asked) and
 * a sub-channel of index 1, check an offer of @relid and @sub_index.
 */
static bool offer_ok_beside(struct kunit *test, u32 relid, u16 sub_index,
			    bool rescinded, bool sc_host_rescinded)
{
	struct vmbus_channel *primary, *sc;
	struct vmbus_msg_offer o;
	bool ok;

	primary = kunit_kzalloc(test, sizeof(*primary), GFP_KERNEL);
	sc = kunit_kzalloc(test, sizeof(*sc), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, primary);
	KUNIT_ASSERT_NOT_NULL(test, sc);
	offer_fill(&primary->offer, OFFER_RELID, 0);
	INIT_LIST_HEAD(&primary->subchannels);
	primary->rescinded = rescinded;
	sc->sub_index = 1;
	sc->host_rescinded = sc_host_rescinded;
	sc->primary = primary;
	list_add(&sc->sc_node, &primary->subchannels);

	offer_fill(&o, relid, sub_index);
	mutex_lock(&vmbus_conn.lock);
	list_add(&primary->node, &vmbus_conn.channels);
	vmbus_set_relid(OFFER_RELID, primary);
	ok = vmbus_offer_ok(&o);
	vmbus_set_relid(OFFER_RELID, NULL);
	list_del(&primary->node);
	mutex_unlock(&vmbus_conn.lock);
	synchronize_rcu();
	return ok;
}

static void offer_relid_in_use_test(struct kunit *test)
{
	KUNIT_EXPECT_FALSE(test, offer_ok_beside(test, OFFER_RELID, 2, false,
						 false));
}

static void offer_second_primary_test(struct kunit *test)
{
	KUNIT_EXPECT_FALSE(test, offer_ok_beside(test, OFFER_RELID + 1, 0,
						 false, false));
}

static void offer_subchannel_test(struct kunit *test)
{
	KUNIT_EXPECT_TRUE(test, offer_ok_beside(test, OFFER_RELID + 1, 2,
						false, false));
	/* Index 1 is taken, unless the host rescinded that sub-channel. */
	KUNIT_EXPECT_FALSE(test, offer_ok_beside(test, OFFER_RELID + 1, 1,
						 false, false));
	KUNIT_EXPECT_TRUE(test, offer_ok_beside(test, OFFER_RELID + 1, 1,
						false, true));
}

static void offer_subchannel_of_rescinded_test(struct kunit *test)
{
	KUNIT_EXPECT_FALSE(test, offer_ok_beside(test, OFFER_RELID + 1, 2,
						 true, false));
}

/* --- vmbus_stop_rescind_callbacks() ------------------------------------ */

static DECLARE_COMPLETION(cb_started);
static bool cb_done;

static void cb_noop(struct vmbus_channel *chan)
{
}

/* A callback that is still running when the driver stops them. */
static void cb_slow(struct vmbus_channel *chan)
{
	complete(&cb_started);
	msleep(200);
	WRITE_ONCE(cb_done, true);
}

static struct vmbus_channel *cb_chan(struct kunit *test,
				     struct vmbus_channel *primary)
{
	struct vmbus_channel *chan = kunit_kzalloc(test, sizeof(*chan),
						   GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, chan);
	spin_lock_init(&chan->rescind_lock);
	init_waitqueue_head(&chan->wq);
	INIT_LIST_HEAD(&chan->subchannels);
	chan->rescind_callback = cb_noop;
	chan->primary = primary;
	if (primary)
		list_add_tail(&chan->sc_node, &primary->subchannels);
	return chan;
}

static void stop_callbacks_test(struct kunit *test)
{
	struct vmbus_channel *primary = cb_chan(test, NULL);
	struct vmbus_channel *sc1 = cb_chan(test, primary);
	struct vmbus_channel *sc2 = cb_chan(test, primary);

	vmbus_stop_rescind_callbacks(primary);
	KUNIT_EXPECT_NULL(test, primary->rescind_callback);
	KUNIT_EXPECT_NULL(test, sc1->rescind_callback);
	KUNIT_EXPECT_NULL(test, sc2->rescind_callback);
	/* A rescind from now on calls nothing. */
	vmbus_chan_notify_rescind(sc2);
	KUNIT_EXPECT_NULL(test, sc2->rescind_task);
}

static int cb_rescind_thread(void *chan)
{
	vmbus_chan_notify_rescind(chan);
	return 0;
}

static void stop_callbacks_waits_test(struct kunit *test)
{
	struct vmbus_channel *primary = cb_chan(test, NULL);
	struct vmbus_channel *sc = cb_chan(test, primary);
	struct task_struct *t;

	reinit_completion(&cb_started);
	WRITE_ONCE(cb_done, false);
	sc->rescind_callback = cb_slow;
	t = kthread_run(cb_rescind_thread, sc, "hv_kunit_rescind");
	KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	get_task_struct(t);
	wait_for_completion(&cb_started);
	vmbus_stop_rescind_callbacks(primary);
	/* Returned only once the sub-channel's callback had. */
	KUNIT_EXPECT_TRUE(test, READ_ONCE(cb_done));
	KUNIT_EXPECT_NULL(test, sc->rescind_callback);
	/* Until the thread is gone, it may still use @sc. */
	kthread_stop(t);
	put_task_struct(t);
}

static struct kunit_case offer_cases[] = {
	KUNIT_CASE(offer_relid_test),
	KUNIT_CASE(offer_orphan_subchannel_test),
	KUNIT_CASE(offer_relid_in_use_test),
	KUNIT_CASE(offer_second_primary_test),
	KUNIT_CASE(offer_subchannel_test),
	KUNIT_CASE(offer_subchannel_of_rescinded_test),
	KUNIT_CASE(stop_callbacks_test),
	KUNIT_CASE(stop_callbacks_waits_test),
	{}
};

static struct kunit_suite offer_suite = {
	.name = "hv_vmbus_offer",
	.test_cases = offer_cases,
};

kunit_test_suite(offer_suite);
