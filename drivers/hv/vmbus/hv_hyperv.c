// SPDX-License-Identifier: GPL-2.0
/*
 * Hyper-V backend (x86-64): real hypercalls through the kernel's platform
 * code (hypercall page, per-CPU input page, VP index table, callback
 * vector), and the SynIC MSRs, which this module owns.
 *
 * The kernel's own hv_vmbus hooks the same callback vector: only one of
 * the two can be loaded.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/irqflags.h>
#include <linux/percpu.h>
#include <linux/smp.h>
#include <asm/hypervisor.h>
#include <asm/irq_vectors.h>
#include <asm/msr.h>
#include <asm/mshyperv.h>

#include "vmbus_private.h"

/* SIMP/SIEFP bits 1..11 are reserved and must be preserved. */
#define HV_HYPERV_PAGE_RESERVED		0xffeULL

static bool hv_hyperv_auto_eoi;

static void hv_hyperv_isr(void)
{
	hv_synic_isr(smp_processor_id());
}

static int hv_hyperv_irq_setup(struct hv_backend *be)
{
	hv_setup_vmbus_handler(hv_hyperv_isr);
	return 0;
}

static void hv_hyperv_irq_teardown(struct hv_backend *be)
{
	hv_remove_vmbus_handler();
}

struct hv_hyperv_pages {
	phys_addr_t simp;
	phys_addr_t siefp;
};

static u64 hv_hyperv_page_msr(u32 msr, phys_addr_t page)
{
	u64 val;

	rdmsrl(msr, val);
	return (val & HV_HYPERV_PAGE_RESERVED) | page | HV_TLFS_PAGE_ENABLE;
}

/* Runs on the CPU being set up: the SynIC MSRs are per VP. */
static void hv_hyperv_synic_enable_local(void *arg)
{
	struct hv_hyperv_pages *pages = arg;
	u32 sint2 = HV_TLFS_MSR_SINT0 + VMBUS_MESSAGE_SINT;
	u64 val;

	wrmsrl(HV_TLFS_MSR_SIMP,
	       hv_hyperv_page_msr(HV_TLFS_MSR_SIMP, pages->simp));
	wrmsrl(HV_TLFS_MSR_SIEFP,
	       hv_hyperv_page_msr(HV_TLFS_MSR_SIEFP, pages->siefp));

	rdmsrl(sint2, val);
	val &= ~(HV_TLFS_SINT_VECTOR_MASK | HV_TLFS_SINT_MASKED |
		 HV_TLFS_SINT_AUTO_EOI);
	val |= HYPERVISOR_CALLBACK_VECTOR;
	/* The platform's vector handler EOIs the APIC only without AEOI. */
	if (hv_hyperv_auto_eoi)
		val |= HV_TLFS_SINT_AUTO_EOI;
	wrmsrl(sint2, val);

	rdmsrl(HV_TLFS_MSR_SCONTROL, val);
	wrmsrl(HV_TLFS_MSR_SCONTROL, val | HV_TLFS_SCONTROL_ENABLE);
}

static void hv_hyperv_synic_disable_local(void *arg)
{
	u32 sint2 = HV_TLFS_MSR_SINT0 + VMBUS_MESSAGE_SINT;
	u64 val;

	rdmsrl(sint2, val);
	wrmsrl(sint2, val | HV_TLFS_SINT_MASKED);
	rdmsrl(HV_TLFS_MSR_SIMP, val);
	wrmsrl(HV_TLFS_MSR_SIMP, val & HV_HYPERV_PAGE_RESERVED);
	rdmsrl(HV_TLFS_MSR_SIEFP, val);
	wrmsrl(HV_TLFS_MSR_SIEFP, val & HV_HYPERV_PAGE_RESERVED);
	rdmsrl(HV_TLFS_MSR_SCONTROL, val);
	wrmsrl(HV_TLFS_MSR_SCONTROL, val & ~HV_TLFS_SCONTROL_ENABLE);
}

static int hv_hyperv_synic_enable(struct hv_backend *be, unsigned int cpu,
				  phys_addr_t simp, phys_addr_t siefp)
{
	struct hv_hyperv_pages pages = { .simp = simp, .siefp = siefp };

	return smp_call_function_single(cpu, hv_hyperv_synic_enable_local,
					&pages, 1);
}

static void hv_hyperv_synic_disable(struct hv_backend *be, unsigned int cpu)
{
	smp_call_function_single(cpu, hv_hyperv_synic_disable_local, NULL, 1);
}

/* From a panicking CPU only its own VP's MSRs can be written. */
static void hv_hyperv_crash_synic_disable(struct hv_backend *be,
					  unsigned int cpu)
{
	if (cpu == smp_processor_id())
		hv_hyperv_synic_disable_local(NULL);
}

/* Never sleeps: @atomic needs nothing different. */
static u16 hv_hyperv_post_message(struct hv_backend *be, u32 conn_id,
				  const void *msg, u32 len, bool atomic)
{
	struct hv_tlfs_post_message_input *in;
	unsigned long flags;
	u64 status;

	/* The per-CPU input page is ours until interrupts are back on. */
	local_irq_save(flags);
	in = *this_cpu_ptr(hyperv_pcpu_input_arg);
	if (!in) {
		local_irq_restore(flags);
		return HV_TLFS_STATUS_INSUFFICIENT_MEMORY;
	}
	in->connection_id = conn_id;
	in->reserved = 0;
	in->message_type = HV_TLFS_MSG_VMBUS;
	in->payload_size = len;
	memcpy(in->payload, msg, len);
	status = hv_do_hypercall(HV_TLFS_CALL_POST_MESSAGE, in, NULL);
	local_irq_restore(flags);
	return status & HV_TLFS_STATUS_MASK;
}

static u16 hv_hyperv_signal_event(struct hv_backend *be, u32 conn_id)
{
	return hv_do_fast_hypercall8(HV_TLFS_CALL_SIGNAL_EVENT, conn_id) &
	       HV_TLFS_STATUS_MASK;
}

static void hv_hyperv_eom(struct hv_backend *be, unsigned int cpu)
{
	wrmsrl(HV_TLFS_MSR_EOM, 0);
}

static u32 hv_hyperv_vp_index(struct hv_backend *be, unsigned int cpu)
{
	return hv_vp_index ? hv_vp_index[cpu] : cpu;
}

static const struct hv_backend_ops hv_hyperv_ops = {
	.name		= "Hyper-V",
	.irq_setup	= hv_hyperv_irq_setup,
	.irq_teardown	= hv_hyperv_irq_teardown,
	.synic_enable	= hv_hyperv_synic_enable,
	.synic_disable	= hv_hyperv_synic_disable,
	.crash_synic_disable = hv_hyperv_crash_synic_disable,
	.post_message	= hv_hyperv_post_message,
	.signal_event	= hv_hyperv_signal_event,
	.eom		= hv_hyperv_eom,
	.vp_index	= hv_hyperv_vp_index,
};

static struct hv_backend hv_hyperv_backend = {
	.ops	= &hv_hyperv_ops,
};

static bool hv_hyperv_usable(void)
{
	if (x86_hyper_type != X86_HYPER_MS_HYPERV ||
	    !hv_is_hyperv_initialized())
		return false;
	if (!(ms_hyperv.features & HV_MSR_SYNIC_AVAILABLE) ||
	    !(ms_hyperv.priv_high & HV_POST_MESSAGES) ||
	    !(ms_hyperv.priv_high & HV_SIGNAL_EVENTS)) {
		pr_err("Hyper-V without SynIC, PostMessage or SignalEvent\n");
		return false;
	}
	if (ms_hyperv.priv_high & HV_ISOLATION) {
		pr_err("isolated (confidential) VMs are not supported\n");
		return false;
	}
	return true;
}

/*
 * The platform calls these from machine_shutdown() on kexec (process
 * context, every CPU still running) and from machine_crash_shutdown()
 * before a kdump kernel starts (panic context). A panic without kdump
 * reaches hv_backend_quiesce() through hv.c's panic notifier.
 */
static void hv_hyperv_kexec(void)
{
	hv_backend_quiesce(&hv_hyperv_backend, false);
}

static void hv_hyperv_crash(struct pt_regs *regs)
{
	hv_backend_quiesce(&hv_hyperv_backend, true);
}

/**
 * hv_hyperv_init() - attach the Hyper-V backend if running on Hyper-V
 *
 * Return: -ENODEV when not on a usable Hyper-V, else as
 * hv_backend_attach().
 */
int hv_hyperv_init(void)
{
	int ret;

	if (!hv_hyperv_usable())
		return -ENODEV;
	hv_hyperv_auto_eoi =
		!(ms_hyperv.hints & HV_TLFS_HINT_DEPRECATING_AEOI);
	hv_hyperv_backend.cpus = cpu_possible_mask;
	ret = hv_backend_attach(&hv_hyperv_backend);
	if (ret)
		return ret;
	hv_setup_kexec_handler(hv_hyperv_kexec);
	hv_setup_crash_handler(hv_hyperv_crash);
	return 0;
}

void hv_hyperv_exit(void)
{
	hv_remove_crash_handler();
	hv_remove_kexec_handler();
	hv_backend_detach(&hv_hyperv_backend);
}
