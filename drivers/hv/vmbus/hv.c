// SPDX-License-Identifier: GPL-2.0
/*
 * Hypervisor access: the attached backend, the per-CPU SynIC message and
 * event-flags pages, and the interrupt path from a backend into the VMBus
 * message and event handlers. Nothing above this file knows whether the
 * backend is Hyper-V or the emulated host.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/export.h>
#include <linux/gfp.h>
#include <linux/interrupt.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/notifier.h>
#include <linux/panic_notifier.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>

#include "vmbus_private.h"

/*
 * How long a host gets to answer UNLOAD before the kernel goes on
 * without it. Upstream Linux waits as long: an Azure host writes back its
 * disk caches before it answers, which was seen to take 50 seconds.
 */
#define HV_UNLOAD_WAIT_MS	(100 * MSEC_PER_SEC)
#define HV_UNLOAD_POLL_MS	1

/**
 * struct hv_synic_cpu - SynIC state of one VP
 * @msg_page: the SIMP page
 * @event_page: the SIEFP page
 * @tasklet: runs the message handler for this VP
 * @cpu: the CPU (the VP) these pages belong to
 * @enabled: the backend accepted the pages; interrupts may come
 */
struct hv_synic_cpu {
	struct hv_tlfs_message_page *msg_page;
	struct hv_tlfs_event_flags_page *event_page;
	struct tasklet_struct tasklet;
	unsigned int cpu;
	bool enabled;
};

static DEFINE_MUTEX(hv_backend_mutex);
static struct hv_backend *hv_backend;
static struct hv_synic_cpu *hv_synic;
static struct cpumask hv_synic_cpus;
static int hv_cpuhp_state;
/* The host was left (UNLOAD) for a kexec, a shutdown or a panic. */
static atomic_t hv_quiesced;

static void hv_synic_tasklet(struct tasklet_struct *t)
{
	struct hv_synic_cpu *sc = from_tasklet(sc, t, tasklet);

	vmbus_on_message_page(sc->msg_page, sc->cpu);
}

/**
 * hv_synic_isr() - a backend's interrupt for SINT2 of VP @cpu
 * @cpu: the VP whose message and event pages may hold something new
 *
 * Called in hard interrupt context. The event flags are taken here: each
 * only schedules its channel's tasklet, so a completion costs one tasklet
 * rather than two. A message in the slot is handled in the VP's tasklet.
 */
void hv_synic_isr(unsigned int cpu)
{
	struct hv_synic_cpu *synic = READ_ONCE(hv_synic);
	struct hv_synic_cpu *sc;

	if (!synic || cpu >= nr_cpu_ids || !READ_ONCE(synic[cpu].enabled))
		return;
	sc = &synic[cpu];
	vmbus_on_event_page(sc->event_page);
	if (READ_ONCE(sc->msg_page->slot[VMBUS_MESSAGE_SINT].type) !=
	    HV_TLFS_MSG_NONE)
		tasklet_schedule(&sc->tasklet);
}
EXPORT_SYMBOL_GPL(hv_synic_isr);

/* A CPU that may become a channel's target. */
bool hv_synic_cpu_enabled(unsigned int cpu)
{
	/*
	 * Orders what the caller stored before (a channel's OPENING state)
	 * before the test; pairs with hv_synic_cpu_offline().
	 */
	smp_mb();
	return cpu < nr_cpu_ids && cpumask_test_cpu(cpu, &hv_synic_cpus);
}

u16 hv_post_message(u32 conn_id, const void *msg, u32 len)
{
	struct hv_backend *be = hv_backend;

	if (len > HV_TLFS_MESSAGE_PAYLOAD_SIZE)
		return HV_TLFS_STATUS_INVALID_PARAMETER;
	return be->ops->post_message(be, conn_id, msg, len, false);
}

void hv_signal_event(u32 conn_id)
{
	struct hv_backend *be = hv_backend;
	u16 status = be->ops->signal_event(be, conn_id);

	if (status != HV_TLFS_STATUS_SUCCESS)
		pr_err_ratelimited("signal of connection %u failed: %u\n",
				   conn_id, status);
}

u32 hv_vp_index_of(unsigned int cpu)
{
	return hv_backend->ops->vp_index(hv_backend, cpu);
}

/* Called once a message slot was freed while the host had more queued. */
void hv_eom(unsigned int cpu)
{
	hv_backend->ops->eom(hv_backend, cpu);
}

static void hv_synic_free(void)
{
	unsigned int cpu;

	if (!hv_synic)
		return;
	for_each_possible_cpu(cpu) {
		struct hv_synic_cpu *sc = &hv_synic[cpu];

		tasklet_kill(&sc->tasklet);
		free_page((unsigned long)sc->msg_page);
		free_page((unsigned long)sc->event_page);
	}
	kfree(hv_synic);
	hv_synic = NULL;
}

static int hv_synic_alloc(void)
{
	unsigned int cpu;

	hv_synic = kcalloc(nr_cpu_ids, sizeof(*hv_synic), GFP_KERNEL);
	if (!hv_synic)
		return -ENOMEM;
	for_each_possible_cpu(cpu) {
		struct hv_synic_cpu *sc = &hv_synic[cpu];

		sc->cpu = cpu;
		tasklet_setup(&sc->tasklet, hv_synic_tasklet);
		sc->msg_page = (void *)get_zeroed_page(GFP_KERNEL);
		sc->event_page = (void *)get_zeroed_page(GFP_KERNEL);
		if (!sc->msg_page || !sc->event_page) {
			hv_synic_free();
			return -ENOMEM;
		}
	}
	return 0;
}

/* CPU hotplug: a CPU coming online gets its SynIC (at attach: each CPU). */
static int hv_synic_cpu_online(unsigned int cpu)
{
	struct hv_backend *be = hv_backend;
	struct hv_synic_cpu *sc = &hv_synic[cpu];
	int ret;

	/* Without a VP area the CPU is never a channel target. */
	if (!cpumask_test_cpu(cpu, be->cpus))
		return 0;
	ret = be->ops->synic_enable(be, cpu, virt_to_phys(sc->msg_page),
				    virt_to_phys(sc->event_page));
	if (ret)
		return ret;
	WRITE_ONCE(sc->enabled, true);
	/* Channels may pick the CPU only once its SynIC is on. */
	smp_mb__before_atomic();
	cpumask_set_cpu(cpu, &hv_synic_cpus);
	return 0;
}

/*
 * A channel that interrupts @cpu, or one being opened (its target may be
 * chosen right now). Channels are freed only a grace period after they
 * left the relid table.
 */
static bool hv_cpu_serves_channels(unsigned int cpu)
{
	struct vmbus_channel *chan;
	bool busy = false;
	u32 relid;

	rcu_read_lock();
	for (relid = 1; relid <= VMBUS_MAX_RELID && !busy; relid++) {
		chan = rcu_dereference(vmbus_conn.relids[relid]);
		if (!chan)
			continue;
		switch (READ_ONCE(chan->state)) {
		case VMBUS_CHAN_OFFERED:
			break;
		case VMBUS_CHAN_OPENING:
			busy = true;
			break;
		default:
			busy = READ_ONCE(chan->target_cpu) == cpu;
		}
	}
	rcu_read_unlock();
	return busy;
}

/*
 * CPU hotplug: a CPU may go offline only once no channel interrupts it
 * (move them first through channels/<relid>/cpu), and the CPU that
 * receives the host's messages never while connected. Upstream Linux
 * refuses in the same cases.
 */
static int hv_synic_cpu_offline(unsigned int cpu)
{
	struct hv_backend *be = hv_backend;

	if (!cpumask_test_cpu(cpu, &hv_synic_cpus))
		return 0;
	if (READ_ONCE(vmbus_conn.state) != VMBUS_DISCONNECTED) {
		if (cpu == VMBUS_CONNECT_CPU)
			return -EBUSY;
		cpumask_clear_cpu(cpu, &hv_synic_cpus);
		/*
		 * No channel picks the CPU from here on, and one that did
		 * before is seen OPENING below: pairs with
		 * hv_synic_cpu_enabled().
		 */
		smp_mb__after_atomic();
		if (hv_cpu_serves_channels(cpu)) {
			cpumask_set_cpu(cpu, &hv_synic_cpus);
			pr_info_ratelimited("CPU %u still serves channels: it stays online\n",
					    cpu);
			return -EBUSY;
		}
	}
	cpumask_clear_cpu(cpu, &hv_synic_cpus);
	WRITE_ONCE(hv_synic[cpu].enabled, false);
	be->ops->synic_disable(be, cpu);
	return 0;
}

/* Take and free VP @cpu's message slot; true if it held UNLOAD_RESPONSE. */
static bool hv_synic_take_unload_response(unsigned int cpu)
{
	struct hv_tlfs_message *slot =
		&hv_synic[cpu].msg_page->slot[VMBUS_MESSAGE_SINT];
	const struct vmbus_msg_header *hdr = (const void *)slot->payload;
	u32 type = READ_ONCE(slot->type);
	bool unloaded;

	if (type == HV_TLFS_MSG_NONE)
		return false;
	/* The host filled the slot before it set the type. */
	virt_rmb();
	unloaded = type == HV_TLFS_MSG_VMBUS &&
		   READ_ONCE(slot->payload_size) >= sizeof(*hdr) &&
		   READ_ONCE(hdr->msgtype) == VMBUS_MSG_UNLOAD_RESPONSE;
	/* Anything else is of no use to a kernel that is going away. */
	WRITE_ONCE(slot->type, HV_TLFS_MSG_NONE);
	/* Free the slot before reading the pending flag the host sets. */
	virt_mb();
	if (READ_ONCE(slot->flags) & HV_TLFS_MSG_FLAG_PENDING)
		hv_eom(cpu);
	return unloaded;
}

static bool hv_synic_poll_unload_response(void)
{
	bool unloaded = false;
	unsigned int cpu;

	for_each_cpu(cpu, &hv_synic_cpus)
		unloaded |= hv_synic_take_unload_response(cpu);
	return unloaded;
}

/*
 * Send UNLOAD and poll every message page for the answer: the message
 * handlers are stopped, and in a panic no interrupt may come. Hosts
 * before VMBus 3.0 cannot take a new connection after UNLOAD, so they are
 * not asked.
 */
static void hv_unload(struct hv_backend *be, bool crash)
{
	struct vmbus_msg_header msg = { .msgtype = VMBUS_MSG_UNLOAD };
	unsigned int ms;
	u16 status;

	if (READ_ONCE(vmbus_conn.state) != VMBUS_CONNECTED ||
	    vmbus_conn.version < VMBUS_VERSION_WIN8_1)
		return;
	hv_synic_poll_unload_response();
	status = be->ops->post_message(be, vmbus_conn.msg_conn_id, &msg,
				       sizeof(msg), crash);
	if (status != HV_TLFS_STATUS_SUCCESS) {
		pr_err("UNLOAD not posted: %u\n", status);
		return;
	}
	for (ms = 0; ms < HV_UNLOAD_WAIT_MS; ms += HV_UNLOAD_POLL_MS) {
		if (hv_synic_poll_unload_response()) {
			pr_info("the host unloaded VMBus\n");
			return;
		}
		mdelay(HV_UNLOAD_POLL_MS);
	}
	pr_err("no UNLOAD_RESPONSE: going on without it\n");
}

/**
 * hv_backend_quiesce() - leave the host before another kernel takes over
 * @be: the attached backend
 * @crash: the kernel panics: any context, other CPUs may be stopped, so
 *	nothing sleeps, waits for another CPU or takes a lock
 *
 * Stops the message and event handlers, sends UNLOAD (the host releases
 * every channel and GPADL) and waits a bounded time for its answer, then
 * disables the SynICs (in a panic only those the backend can reach). The
 * connection is dead afterwards. For kexec, shutdown and panic; runs once.
 */
void hv_backend_quiesce(struct hv_backend *be, bool crash)
{
	unsigned int cpu;

	if (READ_ONCE(hv_backend) != be || atomic_xchg(&hv_quiesced, 1))
		return;
	if (!crash)
		cpus_read_lock();
	for_each_cpu(cpu, &hv_synic_cpus) {
		WRITE_ONCE(hv_synic[cpu].enabled, false);
		/* A running handler must not take the answer away. */
		if (!crash)
			tasklet_disable(&hv_synic[cpu].tasklet);
	}
	hv_unload(be, crash);
	WRITE_ONCE(vmbus_conn.quiesced, true);
	for_each_cpu(cpu, &hv_synic_cpus) {
		if (crash) {
			be->ops->crash_synic_disable(be, cpu);
			continue;
		}
		be->ops->synic_disable(be, cpu);
		tasklet_enable(&hv_synic[cpu].tasklet);
	}
	if (crash)
		return;
	cpus_read_unlock();
	/* Whoever still waits for the host gives up now. */
	vmbus_waiters_fail(0);
}
EXPORT_SYMBOL_GPL(hv_backend_quiesce);

static int hv_panic_notify(struct notifier_block *nb, unsigned long event,
			   void *data)
{
	struct hv_backend *be = READ_ONCE(hv_backend);

	if (be)
		hv_backend_quiesce(be, true);
	return NOTIFY_DONE;
}

/* Late: the notifiers that still log or dump run before the UNLOAD. */
static struct notifier_block hv_panic_nb = {
	.notifier_call	= hv_panic_notify,
	.priority	= INT_MIN + 1,
};

/**
 * hv_backend_attach() - bring VMBus up on a hypervisor backend
 * @be: the backend, ready to post messages and raise interrupts
 *
 * Enables the SynIC of every online CPU the backend serves (and of every
 * CPU that comes online later), connects to the host and returns once the
 * host's offers were turned into devices. Only one backend can be
 * attached at a time.
 *
 * Return: 0 or a negative errno.
 */
int hv_backend_attach(struct hv_backend *be)
{
	int ret;

	mutex_lock(&hv_backend_mutex);
	if (hv_backend) {
		ret = -EBUSY;
		goto unlock;
	}
	ret = hv_synic_alloc();
	if (ret)
		goto unlock;
	hv_backend = be;
	atomic_set(&hv_quiesced, 0);
	ret = be->ops->irq_setup(be);
	if (ret)
		goto free;
	ret = cpuhp_setup_state(CPUHP_AP_ONLINE_DYN, "hv/vmbus:online",
				hv_synic_cpu_online, hv_synic_cpu_offline);
	if (ret < 0)
		goto irq;
	hv_cpuhp_state = ret;
	ret = -ENODEV;
	if (cpumask_empty(&hv_synic_cpus))
		goto disable;
	pr_info("using the %s backend on %u CPUs\n", be->ops->name,
		cpumask_weight(&hv_synic_cpus));
	ret = vmbus_connect();
	if (ret)
		goto disable;
	atomic_notifier_chain_register(&panic_notifier_list, &hv_panic_nb);
	mutex_unlock(&hv_backend_mutex);
	return 0;

disable:
	cpuhp_remove_state(hv_cpuhp_state);
irq:
	be->ops->irq_teardown(be);
free:
	hv_synic_free();
	hv_backend = NULL;
unlock:
	mutex_unlock(&hv_backend_mutex);
	return ret;
}
EXPORT_SYMBOL_GPL(hv_backend_attach);

/**
 * hv_backend_detach() - take VMBus down before a backend goes away
 * @be: the attached backend
 *
 * Removes every device, unloads the connection, disables the SynICs and
 * stops the interrupts. Does nothing if @be is not the attached backend.
 */
void hv_backend_detach(struct hv_backend *be)
{
	mutex_lock(&hv_backend_mutex);
	if (hv_backend == be) {
		atomic_notifier_chain_unregister(&panic_notifier_list,
						 &hv_panic_nb);
		vmbus_disconnect();
		cpuhp_remove_state(hv_cpuhp_state);
		be->ops->irq_teardown(be);
		hv_synic_free();
		hv_backend = NULL;
	}
	mutex_unlock(&hv_backend_mutex);
}
EXPORT_SYMBOL_GPL(hv_backend_detach);
