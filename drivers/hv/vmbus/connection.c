// SPDX-License-Identifier: GPL-2.0
/*
 * The VMBus connection: version negotiation, monitor pages, posting
 * messages to the host, the table that dispatches host messages (and
 * states each type's minimum length), guest requests waiting for their
 * answers, and the dispatch of channel events from the event-flags page.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitmap.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/kernel.h>
#include <linux/moduleparam.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <kunit/visibility.h>

#include "vmbus_private.h"

#define VMBUS_POST_MAX_DELAY_MS	256
/* Host messages waiting on msg_wq; more stay in their SIMP slot. */
#define VMBUS_MSG_BACKLOG_MAX	256
#define VMBUS_MSG_RETRY_DELAY	msecs_to_jiffies(10)
#define VMBUS_OFFERS_TIMEOUT	(30 * HZ)
#define VMBUS_UNLOAD_TIMEOUT	(10 * HZ)
/* The send half of the interrupt page starts in its middle. */
#define VMBUS_INT_PAGE_SEND	(HV_WIRE_PAGE_SIZE / 2)

struct vmbus_connection vmbus_conn = {
	.lock		= __MUTEX_INITIALIZER(vmbus_conn.lock),
	.channels	= LIST_HEAD_INIT(vmbus_conn.channels),
	.waiter_lock	= __SPIN_LOCK_UNLOCKED(vmbus_conn.waiter_lock),
	.waiters	= LIST_HEAD_INIT(vmbus_conn.waiters),
};
EXPORT_SYMBOL_IF_KUNIT(vmbus_conn);

static u32 vmbus_max_version = VMBUS_VERSION_WIN10_V5_3;

static int vmbus_max_version_set(const char *val,
				 const struct kernel_param *kp)
{
	unsigned int major, minor;
	char dot;
	u32 v;

	if (sscanf(val, "%u.%u%c", &major, &minor, &dot) == 2) {
		if (major > U16_MAX || minor > U16_MAX)
			return -EINVAL;
		v = VMBUS_VERSION(major, minor);
	} else if (kstrtou32(val, 0, &v)) {
		return -EINVAL;
	}
	if (v < VMBUS_VERSION_WIN8)
		return -EINVAL;
	*(u32 *)kp->arg = v;
	return 0;
}

static int vmbus_max_version_get(char *buf, const struct kernel_param *kp)
{
	u32 v = *(u32 *)kp->arg;

	return sysfs_emit(buf, "%u.%u\n", VMBUS_VERSION_MAJOR(v),
			  VMBUS_VERSION_MINOR(v));
}

static const struct kernel_param_ops vmbus_max_version_ops = {
	.set = vmbus_max_version_set,
	.get = vmbus_max_version_get,
};

module_param_cb(max_version, &vmbus_max_version_ops, &vmbus_max_version,
		0444);
MODULE_PARM_DESC(max_version,
		 "Newest VMBus version to offer: MAJOR.MINOR (e.g. 4.0) or major<<16|minor (e.g. 0x40000); default 5.3, lowest 2.4");

/* --- posting messages ------------------------------------------------ */

/*
 * Post one message, retrying while the host's queue is full, for
 * VMBUS_RESPONSE_TIMEOUT at most in all (each try may itself take a while
 * on the emulated backend). Any failure fails this message only.
 */
static int vmbus_post(u32 conn_id, const void *msg, u32 len, bool contact)
{
	unsigned long deadline = jiffies + VMBUS_RESPONSE_TIMEOUT;
	unsigned int delay = 1;
	u16 status;

	/* The host has let go of this connection: it answers nothing more. */
	if (READ_ONCE(vmbus_conn.quiesced))
		return -ENODEV;
	do {
		status = hv_post_message(conn_id, msg, len);
		switch (status) {
		case HV_TLFS_STATUS_SUCCESS:
			return 0;
		case HV_TLFS_STATUS_INVALID_CONNECTION_ID:
			/* An old host without connection id 4. */
			if (contact)
				return -EPROTONOSUPPORT;
			fallthrough;
		case HV_TLFS_STATUS_INSUFFICIENT_BUFFERS:
		case HV_TLFS_STATUS_INSUFFICIENT_MEMORY:
			/* The host's queue is full: back off and retry. */
			msleep(delay);
			delay = min(delay * 2, VMBUS_POST_MAX_DELAY_MS);
			continue;
		case HV_TLFS_STATUS_TIME_OUT:
			pr_err_ratelimited("host did not take message type %u\n",
					   *(const u32 *)msg);
			return -ETIMEDOUT;
		default:
			pr_err_ratelimited("post of message type %u failed: %u\n",
					   *(const u32 *)msg, status);
			return -EIO;
		}
	} while (time_before(jiffies, deadline));
	pr_err_ratelimited("host queue stayed full for message type %u\n",
			   *(const u32 *)msg);
	return -EBUSY;
}

/**
 * vmbus_post_msg() - send a channel message to the host
 * @msg: the message, starting with &struct vmbus_msg_header
 * @len: its length, at most 240
 *
 * Retries while the host's queue is full, 20 s at most. Process context.
 *
 * Return: 0 or a negative errno.
 */
int vmbus_post_msg(const void *msg, u32 len)
{
	return vmbus_post(vmbus_conn.msg_conn_id, msg, len, false);
}

/* --- waiting for answers --------------------------------------------- */

void vmbus_waiter_init(struct vmbus_waiter *w, u32 msgtype, u32 relid,
		       u32 key)
{
	memset(w, 0, sizeof(*w));
	INIT_LIST_HEAD(&w->node);
	w->msgtype = msgtype;
	w->relid = relid;
	w->key = key;
	init_completion(&w->done);
}

/* Register before posting the request, so the answer cannot be missed. */
void vmbus_waiter_add(struct vmbus_waiter *w)
{
	unsigned long flags;

	spin_lock_irqsave(&vmbus_conn.waiter_lock, flags);
	list_add_tail(&w->node, &vmbus_conn.waiters);
	spin_unlock_irqrestore(&vmbus_conn.waiter_lock, flags);
}

static void vmbus_waiter_cancel(struct vmbus_waiter *w)
{
	unsigned long flags;

	spin_lock_irqsave(&vmbus_conn.waiter_lock, flags);
	list_del_init(&w->node);
	spin_unlock_irqrestore(&vmbus_conn.waiter_lock, flags);
}

/*
 * Sleep until @w is answered or failed, at most @timeout. Return: 0 with
 * the answer in @w->resp, -ENODEV when failed by a rescind or a
 * disconnect, -ETIMEDOUT.
 */
static int vmbus_waiter_wait(struct vmbus_waiter *w, unsigned long timeout)
{
	unsigned long flags;
	bool waiting;

	if (!wait_for_completion_timeout(&w->done, timeout)) {
		spin_lock_irqsave(&vmbus_conn.waiter_lock, flags);
		waiting = !list_empty(&w->node);
		list_del_init(&w->node);
		spin_unlock_irqrestore(&vmbus_conn.waiter_lock, flags);
		/* Off the list means answered (under the lock) just now. */
		if (waiting) {
			pr_err("no answer (message type %u, channel %u)\n",
			       w->msgtype, w->relid);
			return -ETIMEDOUT;
		}
	}
	return w->failed ? -ENODEV : 0;
}

/**
 * vmbus_waiter_await() - wait for the answer to a request
 * @w: the waiter, added before the request was posted
 * @posted: what posting the request returned (0 when it went out)
 * @timeout: in jiffies
 *
 * A request that did not go out gets no answer: its waiter is removed.
 *
 * Return: @posted when not 0; else 0 with the answer in @w->resp, -ENODEV
 * when failed by a rescind or a disconnect, -ETIMEDOUT.
 */
int vmbus_waiter_await(struct vmbus_waiter *w, int posted,
		       unsigned long timeout)
{
	if (posted) {
		vmbus_waiter_cancel(w);
		return posted;
	}
	return vmbus_waiter_wait(w, timeout);
}

/**
 * vmbus_waiters_fail() - wake waiters that will never get an answer
 * @relid: the rescinded channel, or 0 for all waiters
 */
void vmbus_waiters_fail(u32 relid)
{
	struct vmbus_waiter *w, *tmp;
	unsigned long flags;

	spin_lock_irqsave(&vmbus_conn.waiter_lock, flags);
	list_for_each_entry_safe(w, tmp, &vmbus_conn.waiters, node) {
		if (relid && w->relid != relid)
			continue;
		w->failed = true;
		list_del_init(&w->node);
		complete(&w->done);
	}
	spin_unlock_irqrestore(&vmbus_conn.waiter_lock, flags);
}

/*
 * Hand an answer to the waiter for it. A zero @relid or @key in the
 * waiter means the answer does not carry that field.
 */
static void vmbus_answer(u32 msgtype, u32 relid, u32 key, const void *msg,
			 size_t len)
{
	struct vmbus_waiter *w;
	unsigned long flags;
	bool found = false;

	spin_lock_irqsave(&vmbus_conn.waiter_lock, flags);
	list_for_each_entry(w, &vmbus_conn.waiters, node) {
		if (w->msgtype != msgtype || (w->relid && w->relid != relid) ||
		    (w->key && w->key != key))
			continue;
		memcpy(&w->resp, msg, min(len, sizeof(w->resp)));
		list_del_init(&w->node);
		complete(&w->done);
		found = true;
		break;
	}
	spin_unlock_irqrestore(&vmbus_conn.waiter_lock, flags);
	if (!found)
		pr_err_ratelimited("unexpected message type %u (channel %u, %#x)\n",
				   msgtype, relid, key);
}

static void vmbus_on_version_response(const void *msg, u32 len)
{
	vmbus_answer(VMBUS_MSG_VERSION_RESPONSE, 0, 0, msg,
		     sizeof(struct vmbus_msg_version_response));
}

static void vmbus_on_open_result(const void *msg, u32 len)
{
	const struct vmbus_msg_open_result *m = msg;

	vmbus_answer(VMBUS_MSG_OPENCHANNEL_RESULT, m->child_relid, m->openid,
		     msg, sizeof(*m));
}

static void vmbus_on_gpadl_created(const void *msg, u32 len)
{
	const struct vmbus_msg_gpadl_created *m = msg;

	vmbus_answer(VMBUS_MSG_GPADL_CREATED, m->child_relid, m->gpadl, msg,
		     sizeof(*m));
}

static void vmbus_on_gpadl_torndown(const void *msg, u32 len)
{
	const struct vmbus_msg_gpadl_torndown *m = msg;

	vmbus_answer(VMBUS_MSG_GPADL_TORNDOWN, 0, m->gpadl, msg, sizeof(*m));
}

static void vmbus_on_unload_response(const void *msg, u32 len)
{
	vmbus_answer(VMBUS_MSG_UNLOAD_RESPONSE, 0, 0, msg,
		     sizeof(struct vmbus_msg_header));
}

static void vmbus_on_modify_response(const void *msg, u32 len)
{
	const struct vmbus_msg_modify_channel_response *m = msg;

	vmbus_answer(VMBUS_MSG_MODIFYCHANNEL_RESPONSE, m->child_relid, 0, msg,
		     sizeof(*m));
}

/* --- message dispatch ------------------------------------------------ */

static const struct vmbus_msg_handler vmbus_msg_handlers[VMBUS_MSG_COUNT] = {
	[VMBUS_MSG_OFFERCHANNEL] = {
		sizeof(struct vmbus_msg_offer), true, vmbus_on_offer },
	[VMBUS_MSG_RESCIND_CHANNELOFFER] = {
		sizeof(struct vmbus_msg_relid), true, vmbus_on_rescind },
	[VMBUS_MSG_ALLOFFERS_DELIVERED] = {
		sizeof(struct vmbus_msg_header), true, vmbus_on_alloffers },
	[VMBUS_MSG_OPENCHANNEL_RESULT] = {
		sizeof(struct vmbus_msg_open_result), false,
		vmbus_on_open_result },
	[VMBUS_MSG_GPADL_CREATED] = {
		sizeof(struct vmbus_msg_gpadl_created), false,
		vmbus_on_gpadl_created },
	[VMBUS_MSG_GPADL_TORNDOWN] = {
		sizeof(struct vmbus_msg_gpadl_torndown), false,
		vmbus_on_gpadl_torndown },
	[VMBUS_MSG_VERSION_RESPONSE] = {
		sizeof(struct vmbus_msg_version_response), false,
		vmbus_on_version_response },
	[VMBUS_MSG_UNLOAD_RESPONSE] = {
		sizeof(struct vmbus_msg_header), false,
		vmbus_on_unload_response },
	[VMBUS_MSG_MODIFYCHANNEL_RESPONSE] = {
		sizeof(struct vmbus_msg_modify_channel_response), false,
		vmbus_on_modify_response },
};

/**
 * struct vmbus_msg_work - a copied host message for the workqueue
 * @work: on vmbus_conn.msg_wq
 * @handler: its handler
 * @len: message length
 * @msg: the message
 */
struct vmbus_msg_work {
	struct work_struct work;
	const struct vmbus_msg_handler *handler;
	u32 len;
	u8 msg[] __aligned(8);
};

static void vmbus_msg_work_fn(struct work_struct *work)
{
	struct vmbus_msg_work *mw = container_of(work, struct vmbus_msg_work,
						 work);

	mw->handler->handle(mw->msg, mw->len);
	kfree(mw);
	atomic_dec(&vmbus_conn.msg_backlog);
}

/*
 * Dispatch one copied message. Return: false if it must stay in the slot
 * and be retried (no memory to queue it).
 */
/*
 * The handler of a host message of @len bytes at @payload, or NULL for a
 * message that is logged and dropped: a bad size, a type the guest does
 * not expect from the host, or shorter than its type's minimum.
 */
VISIBLE_IF_KUNIT const struct vmbus_msg_handler *
vmbus_msg_handler_of(const void *payload, u32 len)
{
	const struct vmbus_msg_handler *h;
	u32 type;

	if (len < sizeof(struct vmbus_msg_header) ||
	    len > HV_TLFS_MESSAGE_PAYLOAD_SIZE) {
		pr_err_ratelimited("host message with bad size %u\n", len);
		return NULL;
	}
	type = ((const struct vmbus_msg_header *)payload)->msgtype;
	h = type < VMBUS_MSG_COUNT ? &vmbus_msg_handlers[type] : NULL;
	if (!h || !h->handle) {
		pr_err_ratelimited("unexpected host message type %u\n", type);
		return NULL;
	}
	if (len < h->min_len) {
		pr_err_ratelimited("host message type %u too short: %u < %u\n",
				   type, len, h->min_len);
		return NULL;
	}
	return h;
}
EXPORT_SYMBOL_IF_KUNIT(vmbus_msg_handler_of);

static bool vmbus_dispatch(const struct hv_tlfs_message *m)
{
	const struct vmbus_msg_handler *h;
	struct vmbus_msg_work *mw;
	u32 len = m->payload_size;

	h = vmbus_msg_handler_of(m->payload, len);
	if (!h)
		return true;
	if (!h->deferred) {
		h->handle(m->payload, len);
		return true;
	}
	/* A full queue leaves the message with the host until it drains. */
	if (atomic_read(&vmbus_conn.msg_backlog) >= VMBUS_MSG_BACKLOG_MAX)
		return false;
	mw = kmalloc(struct_size(mw, msg, len), GFP_ATOMIC);
	if (!mw)
		return false;
	atomic_inc(&vmbus_conn.msg_backlog);
	INIT_WORK(&mw->work, vmbus_msg_work_fn);
	mw->handler = h;
	mw->len = len;
	memcpy(mw->msg, m->payload, len);
	queue_work(vmbus_conn.msg_wq, &mw->work);
	return true;
}

/*
 * A message that could not be queued (no memory, or the backlog is full)
 * stays in its VP's slot, without EOM. The retry runs that VP's message
 * handling again on that very CPU, since EOM is a per-VP register written
 * by the CPU itself. Disconnecting stops the retry for good: under
 * vmbus_msg_retry_lock no message handler can arm it again afterwards.
 */
static DEFINE_SPINLOCK(vmbus_msg_retry_lock);
static bool vmbus_msg_retry_on;
static struct cpumask vmbus_msg_retry_cpus;

static void vmbus_msg_retry_here(void *unused)
{
	hv_synic_isr(smp_processor_id());
}

static void vmbus_msg_retry_fn(struct work_struct *work)
{
	unsigned int cpu;

	for_each_cpu(cpu, &vmbus_msg_retry_cpus) {
		cpumask_clear_cpu(cpu, &vmbus_msg_retry_cpus);
		smp_call_function_single(cpu, vmbus_msg_retry_here, NULL, 1);
	}
}

static DECLARE_DELAYED_WORK(vmbus_msg_retry, vmbus_msg_retry_fn);

static void vmbus_msg_retry_arm(unsigned int cpu)
{
	unsigned long flags;

	spin_lock_irqsave(&vmbus_msg_retry_lock, flags);
	if (vmbus_msg_retry_on) {
		cpumask_set_cpu(cpu, &vmbus_msg_retry_cpus);
		schedule_delayed_work(&vmbus_msg_retry, VMBUS_MSG_RETRY_DELAY);
	}
	spin_unlock_irqrestore(&vmbus_msg_retry_lock, flags);
}

static void vmbus_msg_retry_enable(bool on)
{
	spin_lock_irq(&vmbus_msg_retry_lock);
	vmbus_msg_retry_on = on;
	spin_unlock_irq(&vmbus_msg_retry_lock);
	if (!on)
		cancel_delayed_work_sync(&vmbus_msg_retry);
}

/**
 * vmbus_on_message_page() - handle the message in SINT2's slot, if any
 * @page: VP @cpu's SIMP page
 * @cpu: the VP, for the end-of-message
 *
 * The message is copied out of the slot before it is looked at; then the
 * slot is freed and, if the host has more queued, EOM makes it deliver
 * the next one.
 */
void vmbus_on_message_page(struct hv_tlfs_message_page *page,
			   unsigned int cpu)
{
	struct hv_tlfs_message *slot = &page->slot[VMBUS_MESSAGE_SINT];
	struct hv_tlfs_message m;
	u32 type = READ_ONCE(slot->type);

	if (type == HV_TLFS_MSG_NONE)
		return;
	/* The host filled the slot before it set the type. */
	virt_rmb();
	memcpy(&m, slot, sizeof(m));
	if (type == HV_TLFS_MSG_VMBUS && !vmbus_dispatch(&m)) {
		/* Leave the message there and retry later, on this CPU. */
		vmbus_msg_retry_arm(smp_processor_id());
		return;
	}

	if (cmpxchg(&slot->type, type, HV_TLFS_MSG_NONE) != type)
		pr_err_ratelimited("host changed a busy message slot\n");
	/* Free the slot before reading the pending flag the host sets. */
	virt_mb();
	if (READ_ONCE(slot->flags) & HV_TLFS_MSG_FLAG_PENDING)
		hv_eom(cpu);
}

/* --- events ---------------------------------------------------------- */

/**
 * vmbus_on_event_page() - run the channels whose event flag is set
 * @page: a SIEFP page
 *
 * Bit n of SINT2's area is channel relid n. Each word is taken with one
 * atomic exchange, so a flag the host sets meanwhile is never lost.
 */
void vmbus_on_event_page(struct hv_tlfs_event_flags_page *page)
{
	unsigned long *flags = (unsigned long *)page->sint[VMBUS_MESSAGE_SINT];
	unsigned int word, bit;

	BUILD_BUG_ON(VMBUS_MAX_RELID + 1 != HV_TLFS_EVENT_FLAGS_BITS);
	rcu_read_lock();
	for (word = 0; word < HV_TLFS_EVENT_FLAGS_BITS / BITS_PER_LONG;
	     word++) {
		unsigned long pending;

		if (!READ_ONCE(flags[word]))
			continue;
		pending = xchg(&flags[word], 0);
		for_each_set_bit(bit, &pending, BITS_PER_LONG) {
			u32 relid = word * BITS_PER_LONG + bit;
			struct vmbus_channel *chan;

			chan = rcu_dereference(vmbus_conn.relids[relid]);
			if (chan)
				vmbus_chan_on_event(chan);
		}
	}
	rcu_read_unlock();
}

/**
 * vmbus_signal_host() - tell the host a channel's ring needs attention
 * @chan: the channel
 *
 * Through the monitor page if the host asked for that, else with
 * HvSignalEvent on the channel's connection id. Any context.
 */
void vmbus_signal_host(struct vmbus_channel *chan)
{
	unsigned long *send_bits = vmbus_conn.int_page + VMBUS_INT_PAGE_SEND;

	atomic64_inc(&chan->stats.signals);
	if (chan->monitored) {
		u8 group = chan->monitor_id / VMBUS_MONITOR_IDS_PER_GROUP;
		struct vmbus_monitor_trigger_group *tg =
			&vmbus_conn.monitor_pages[1]->trigger_group[group];

		set_bit(chan->relid, send_bits);
		/* pending is the low half of an 8-byte aligned pair. */
		set_bit(chan->monitor_id % VMBUS_MONITOR_IDS_PER_GROUP,
			(unsigned long *)&tg->pending);
		return;
	}
	if (!chan->dedicated_int)
		set_bit(chan->relid, send_bits);
	hv_signal_event(chan->sig_conn_id);
}

/* With vmbus_conn.lock held; NULL removes. */
void vmbus_set_relid(u32 relid, struct vmbus_channel *chan)
{
	lockdep_assert_held(&vmbus_conn.lock);
	rcu_assign_pointer(vmbus_conn.relids[relid], chan);
}
EXPORT_SYMBOL_IF_KUNIT(vmbus_set_relid);

/**
 * vmbus_pick_cpu() - a target CPU for a channel being opened
 *
 * Return: the next CPU with a SynIC, round robin.
 */
unsigned int vmbus_pick_cpu(void)
{
	unsigned int i, cpu;

	for (i = 0; i < nr_cpu_ids; i++) {
		cpu = READ_ONCE(vmbus_conn.next_cpu) % nr_cpu_ids;
		WRITE_ONCE(vmbus_conn.next_cpu, cpu + 1);
		if (hv_synic_cpu_enabled(cpu))
			return cpu;
	}
	return VMBUS_CONNECT_CPU;
}

/**
 * vmbus_proto_version() - the negotiated VMBus protocol version
 *
 * Return: major << 16 | minor, or 0 while not connected.
 */
u32 vmbus_proto_version(void)
{
	return READ_ONCE(vmbus_conn.version);
}
EXPORT_SYMBOL_GPL(vmbus_proto_version);

/* --- connect and disconnect ------------------------------------------ */

static int vmbus_initiate_contact(u32 version)
{
	struct vmbus_msg_initiate_contact msg = {
		.header.msgtype = VMBUS_MSG_INITIATE_CONTACT,
		.vmbus_version_requested = version,
		.target_vcpu = hv_vp_index_of(VMBUS_CONNECT_CPU),
		.monitor_page1 = virt_to_phys(vmbus_conn.monitor_pages[0]),
		.monitor_page2 = virt_to_phys(vmbus_conn.monitor_pages[1]),
	};
	bool v5 = version >= VMBUS_VERSION_WIN10_V5;
	struct vmbus_waiter w;
	int ret;

	if (v5)
		msg.msg_sint = VMBUS_MESSAGE_SINT;
	else
		msg.interrupt_page = virt_to_phys(vmbus_conn.int_page);

	vmbus_waiter_init(&w, VMBUS_MSG_VERSION_RESPONSE, 0, 0);
	vmbus_waiter_add(&w);
	ret = vmbus_post(v5 ? VMBUS_MESSAGE_CONNECTION_ID_4 :
			      VMBUS_MESSAGE_CONNECTION_ID,
			 &msg, sizeof(msg), true);
	ret = vmbus_waiter_await(&w, ret, VMBUS_RESPONSE_TIMEOUT);
	if (ret)
		return ret;
	if (!w.resp.version.version_supported)
		return -EPROTONOSUPPORT;

	vmbus_conn.msg_conn_id = VMBUS_MESSAGE_CONNECTION_ID;
	if (v5) {
		u32 id = w.resp.version.msg_conn_id;

		if (!id || id > HV_TLFS_CONNECTION_ID_MASK) {
			pr_err("host gave bad message connection id %#x\n", id);
			return -EPROTO;
		}
		vmbus_conn.msg_conn_id = id;
	}
	vmbus_conn.version = version;
	return 0;
}

static int vmbus_negotiate(void)
{
	unsigned int i;
	int ret = -EPROTONOSUPPORT;

	for (i = 0; i < ARRAY_SIZE(vmbus_versions_newest_first); i++) {
		if (vmbus_versions_newest_first[i] > vmbus_max_version)
			continue;
		ret = vmbus_initiate_contact(vmbus_versions_newest_first[i]);
		if (ret != -EPROTONOSUPPORT)
			break;
	}
	if (ret)
		pr_err("no VMBus version agreed with the host (%d)\n", ret);
	return ret;
}

static void vmbus_free_pages(void)
{
	free_page((unsigned long)vmbus_conn.int_page);
	free_page((unsigned long)vmbus_conn.monitor_pages[0]);
	free_page((unsigned long)vmbus_conn.monitor_pages[1]);
	vmbus_conn.int_page = NULL;
	vmbus_conn.monitor_pages[0] = NULL;
	vmbus_conn.monitor_pages[1] = NULL;
}

static int vmbus_alloc_pages(void)
{
	vmbus_conn.int_page = (void *)get_zeroed_page(GFP_KERNEL);
	vmbus_conn.monitor_pages[0] = (void *)get_zeroed_page(GFP_KERNEL);
	vmbus_conn.monitor_pages[1] = (void *)get_zeroed_page(GFP_KERNEL);
	if (!vmbus_conn.int_page || !vmbus_conn.monitor_pages[0] ||
	    !vmbus_conn.monitor_pages[1]) {
		vmbus_free_pages();
		return -ENOMEM;
	}
	return 0;
}

static int vmbus_request_offers(void)
{
	struct vmbus_msg_header msg = {
		.msgtype = VMBUS_MSG_REQUESTOFFERS,
	};
	int ret;

	ret = vmbus_post_msg(&msg, sizeof(msg));
	if (ret)
		return ret;
	if (!wait_for_completion_timeout(&vmbus_conn.offers_done,
					 VMBUS_OFFERS_TIMEOUT))
		pr_warn("host did not finish its offers; going on\n");
	/* Devices exist, and drivers already loaded have probed them. */
	flush_workqueue(vmbus_conn.msg_wq);
	flush_workqueue(vmbus_conn.dev_wq);
	return 0;
}

/**
 * vmbus_connect() - connect to the host and create its devices
 *
 * Called by hv.c once a backend is ready.
 *
 * Return: 0 or a negative errno.
 */
int vmbus_connect(void)
{
	int ret;

	ret = vmbus_alloc_pages();
	if (ret)
		return ret;
	reinit_completion(&vmbus_conn.offers_done);
	/* Relids belong to one connection; no offer is taken before it. */
	bitmap_zero(vmbus_conn.rejected_relids, VMBUS_MAX_RELID + 1);
	WRITE_ONCE(vmbus_conn.state, VMBUS_CONNECTING);
	vmbus_msg_retry_enable(true);
	ret = vmbus_negotiate();
	if (ret)
		goto fail;
	pr_info("VMBus version %u.%u, message connection id %u\n",
		VMBUS_VERSION_MAJOR(vmbus_conn.version),
		VMBUS_VERSION_MINOR(vmbus_conn.version),
		vmbus_conn.msg_conn_id);
	WRITE_ONCE(vmbus_conn.state, VMBUS_CONNECTED);
	ret = vmbus_request_offers();
	if (ret) {
		vmbus_disconnect();
		return ret;
	}
	return 0;

fail:
	WRITE_ONCE(vmbus_conn.state, VMBUS_DISCONNECTED);
	vmbus_waiters_fail(0);
	vmbus_msg_retry_enable(false);
	/* A host that never answered may still hold the pages. */
	if (ret != -ETIMEDOUT)
		vmbus_free_pages();
	return ret;
}

static int vmbus_unload(void)
{
	struct vmbus_msg_header msg = { .msgtype = VMBUS_MSG_UNLOAD };
	struct vmbus_waiter w;
	int ret;

	vmbus_waiter_init(&w, VMBUS_MSG_UNLOAD_RESPONSE, 0, 0);
	vmbus_waiter_add(&w);
	ret = vmbus_post_msg(&msg, sizeof(msg));
	return vmbus_waiter_await(&w, ret, VMBUS_UNLOAD_TIMEOUT);
}

/**
 * vmbus_disconnect() - remove every device and unload the connection
 *
 * Called by hv.c before a backend goes away; process context.
 */
void vmbus_disconnect(void)
{
	int ret;

	if (READ_ONCE(vmbus_conn.state) == VMBUS_DISCONNECTED)
		return;
	WRITE_ONCE(vmbus_conn.state, VMBUS_DISCONNECTING);
	vmbus_remove_all_channels();
	ret = vmbus_unload();
	WRITE_ONCE(vmbus_conn.state, VMBUS_DISCONNECTED);
	vmbus_waiters_fail(0);
	vmbus_msg_retry_enable(false);
	if (ret)
		pr_warn("no UNLOAD_RESPONSE (%d): leaking the monitor pages\n",
			ret);
	else
		vmbus_free_pages();
	vmbus_conn.version = 0;
}

static struct dentry *vmbus_debugfs;
/* hv_vmbus/channel/: one folder of counters per channel in sysfs. */
struct dentry *vmbus_debugfs_chan;

/* What a test (and an administrator) may want to see of the core. */
static void vmbus_debugfs_init(void)
{
	vmbus_debugfs = debugfs_create_dir("hv_vmbus", NULL);
	debugfs_create_atomic_t("channels", 0444, vmbus_debugfs,
				&vmbus_conn.nr_channels);
	debugfs_create_atomic_t("leaked_gpadls", 0444, vmbus_debugfs,
				&vmbus_conn.leaked_gpadls);
	debugfs_create_atomic_t("leaked_pages", 0444, vmbus_debugfs,
				&vmbus_conn.leaked_pages);
	debugfs_create_atomic_t("msg_backlog", 0444, vmbus_debugfs,
				&vmbus_conn.msg_backlog);
	vmbus_debugfs_chan = debugfs_create_dir("channel", vmbus_debugfs);
}

int vmbus_conn_init(void)
{
	init_completion(&vmbus_conn.offers_done);
	vmbus_conn.msg_wq = alloc_ordered_workqueue("hv_vmbus_msg", 0);
	vmbus_conn.dev_wq = alloc_ordered_workqueue("hv_vmbus_dev", 0);
	if (!vmbus_conn.msg_wq || !vmbus_conn.dev_wq) {
		vmbus_conn_exit();
		return -ENOMEM;
	}
	vmbus_debugfs_init();
	return 0;
}

void vmbus_conn_exit(void)
{
	debugfs_remove_recursive(vmbus_debugfs);
	vmbus_debugfs = NULL;
	vmbus_debugfs_chan = NULL;
	if (vmbus_conn.msg_wq)
		destroy_workqueue(vmbus_conn.msg_wq);
	if (vmbus_conn.dev_wq)
		destroy_workqueue(vmbus_conn.dev_wq);
	vmbus_conn.msg_wq = NULL;
	vmbus_conn.dev_wq = NULL;
}
