/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The hypervisor backend interface of hv_vmbus: how a backend module
 * moves messages, signals and interrupts between the VMBus core and the
 * host. hv_vmbus carries the Hyper-V backend itself (hv_hyperv.c); the
 * emulated-host backend for QEMU + tools/hv/hvhost is the separate module
 * hv_vmbus_emu (hv_emu.c), which registers through hv_backend_attach().
 * Shared by hv_vmbus and its backend modules only.
 */
#ifndef _HV_BACKEND_H
#define _HV_BACKEND_H

#include <linux/cpumask.h>
#include <linux/device.h>
#include <linux/types.h>

struct hv_backend;

/**
 * struct hv_backend_ops - how messages and signals physically move
 * @name: for logs
 * @irq_setup: start delivering SINT2 interrupts to hv_synic_isr()
 * @irq_teardown: stop it; no hv_synic_isr() call runs after return
 * @synic_enable: point VP @cpu's SIMP/SIEFP at these pages, unmask SINT2
 *	and enable the SynIC; may sleep
 * @synic_disable: undo @synic_enable for VP @cpu; may sleep
 * @crash_synic_disable: undo @synic_enable for VP @cpu from a panicking
 *	CPU, in any context, while the other CPUs may be stopped; does
 *	nothing for a VP it cannot reach from there
 * @post_message: HvPostMessage; returns an HV_TLFS_STATUS_* value; may
 *	sleep unless @atomic, which polls and takes no lock another CPU may
 *	hold (for a panicking kernel)
 * @signal_event: HvSignalEvent(@conn_id); any context; HV status
 * @eom: end of message for VP @cpu, called on the CPU that handled it
 * @vp_index: the hypervisor's VP index of @cpu
 */
struct hv_backend_ops {
	const char *name;
	int (*irq_setup)(struct hv_backend *be);
	void (*irq_teardown)(struct hv_backend *be);
	int (*synic_enable)(struct hv_backend *be, unsigned int cpu,
			    phys_addr_t simp, phys_addr_t siefp);
	void (*synic_disable)(struct hv_backend *be, unsigned int cpu);
	void (*crash_synic_disable)(struct hv_backend *be, unsigned int cpu);
	u16 (*post_message)(struct hv_backend *be, u32 conn_id,
			    const void *msg, u32 len, bool atomic);
	u16 (*signal_event)(struct hv_backend *be, u32 conn_id);
	void (*eom)(struct hv_backend *be, unsigned int cpu);
	u32 (*vp_index)(struct hv_backend *be, unsigned int cpu);
};

/**
 * struct hv_backend - one attached hypervisor backend
 * @ops: its operations
 * @dev: device for logging (the PCI device, or NULL)
 * @cpus: CPUs whose SynIC the backend can serve (VP areas, MSRs)
 */
struct hv_backend {
	const struct hv_backend_ops *ops;
	struct device *dev;
	const struct cpumask *cpus;
};

int hv_backend_attach(struct hv_backend *be);
void hv_backend_detach(struct hv_backend *be);
void hv_backend_quiesce(struct hv_backend *be, bool crash);
void hv_synic_isr(unsigned int cpu);

#endif /* _HV_BACKEND_H */
