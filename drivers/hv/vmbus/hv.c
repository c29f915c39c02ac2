// SPDX-License-Identifier: GPL-2.0
/*
 * Hypervisor access: the attached backend, the per-CPU SynIC message and
 * event-flags pages, and the interrupt path from a backend into the VMBus
 * message and event handlers. Nothing above this file knows whether the
 * backend is Hyper-V or the emulated host.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpu.h>
#include <linux/cpumask.h>
#include <linux/gfp.h>
#include <linux/interrupt.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/slab.h>

#include "vmbus_private.h"

/**
 * struct hv_synic_cpu - SynIC state of one VP
 * @msg_page: the SIMP page
 * @event_page: the SIEFP page
 * @tasklet: runs the message and event handlers for this VP
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

static void hv_synic_tasklet(struct tasklet_struct *t)
{
	struct hv_synic_cpu *sc = from_tasklet(sc, t, tasklet);

	vmbus_on_event_page(sc->event_page);
	vmbus_on_message_page(sc->msg_page, sc->cpu);
}

/**
 * hv_synic_isr() - a backend's interrupt for SINT2 of VP @cpu
 * @cpu: the VP whose message and event pages may hold something new
 *
 * Called in hard interrupt context; the pages are looked at in a tasklet.
 */
void hv_synic_isr(unsigned int cpu)
{
	struct hv_synic_cpu *synic = READ_ONCE(hv_synic);

	if (!synic || cpu >= nr_cpu_ids || !READ_ONCE(synic[cpu].enabled))
		return;
	tasklet_schedule(&synic[cpu].tasklet);
}

bool hv_synic_cpu_enabled(unsigned int cpu)
{
	return cpu < nr_cpu_ids && cpumask_test_cpu(cpu, &hv_synic_cpus);
}

u16 hv_post_message(u32 conn_id, const void *msg, u32 len)
{
	struct hv_backend *be = hv_backend;

	if (len > HV_TLFS_MESSAGE_PAYLOAD_SIZE)
		return HV_TLFS_STATUS_INVALID_PARAMETER;
	return be->ops->post_message(be, conn_id, msg, len);
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

static void hv_synic_disable_all(struct hv_backend *be)
{
	unsigned int cpu;

	for_each_cpu(cpu, &hv_synic_cpus) {
		WRITE_ONCE(hv_synic[cpu].enabled, false);
		be->ops->synic_disable(be, cpu);
	}
	cpumask_clear(&hv_synic_cpus);
}

/*
 * CPUs that are online now get a SynIC; channels only ever target those.
 * CPU hotplug is not handled: a CPU that comes online later simply never
 * becomes a channel target.
 */
static int hv_synic_enable_all(struct hv_backend *be)
{
	unsigned int cpu;
	int ret = 0;

	cpus_read_lock();
	for_each_cpu_and(cpu, cpu_online_mask, be->cpus) {
		struct hv_synic_cpu *sc = &hv_synic[cpu];

		ret = be->ops->synic_enable(be, cpu,
					    virt_to_phys(sc->msg_page),
					    virt_to_phys(sc->event_page));
		if (ret)
			break;
		cpumask_set_cpu(cpu, &hv_synic_cpus);
		WRITE_ONCE(sc->enabled, true);
	}
	cpus_read_unlock();
	if (!ret && cpumask_empty(&hv_synic_cpus))
		ret = -ENODEV;
	if (ret)
		hv_synic_disable_all(be);
	return ret;
}

/**
 * hv_backend_attach() - bring VMBus up on a hypervisor backend
 * @be: the backend, ready to post messages and raise interrupts
 *
 * Enables the SynIC of every online CPU the backend serves, connects to
 * the host and returns once the host's offers were turned into devices.
 * Only one backend can be attached at a time.
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
	ret = be->ops->irq_setup(be);
	if (ret)
		goto free;
	ret = hv_synic_enable_all(be);
	if (ret)
		goto irq;
	pr_info("using the %s backend on %u CPUs\n", be->ops->name,
		cpumask_weight(&hv_synic_cpus));
	ret = vmbus_connect();
	if (ret)
		goto disable;
	mutex_unlock(&hv_backend_mutex);
	return 0;

disable:
	hv_synic_disable_all(be);
irq:
	be->ops->irq_teardown(be);
free:
	hv_synic_free();
	hv_backend = NULL;
unlock:
	mutex_unlock(&hv_backend_mutex);
	return ret;
}

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
		vmbus_disconnect();
		hv_synic_disable_all(be);
		be->ops->irq_teardown(be);
		hv_synic_free();
		hv_backend = NULL;
	}
	mutex_unlock(&hv_backend_mutex);
}
