// SPDX-License-Identifier: GPL-2.0
/*
 * Emulated hypervisor backend: tools/hv/hvhost reached through QEMU's
 * ivshmem-doorbell device, following include/hyperv/hvemu.h. The SynIC
 * "MSRs" and the HvPostMessage mailbox are fields in BAR2, HvSignalEvent
 * is a bit in BAR2's signal bitmap, and doorbells tell the host to look.
 * Interrupts arrive as MSI-X vectors: vector v stands for SINT2 of every
 * VP with vp % nr_vectors == v. The VP index is the CPU number.
 *
 * This is the module hv_vmbus_emu, for QEMU + hvhost only: it registers
 * with hv_vmbus as its backend, and it claims an ivshmem device only when
 * BAR2 carries the hvhost magic, leaving any other ivshmem user alone.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitops.h>
#include <linux/delay.h>
#include <linux/interrupt.h>
#include <linux/io.h>
#include <linux/jiffies.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/hv_compat.h>
#include <hyperv/hvemu.h>
#include <hyperv/tlfs.h>

#include "hv_backend.h"

/* How long the host gets to handle one posted message. */
#define HV_EMU_POST_TIMEOUT	(5 * HZ)
#define HV_EMU_POST_TIMEOUT_US	(5 * USEC_PER_SEC)
/* Polling step of a post from a panicking kernel. */
#define HV_EMU_POST_POLL_US	10
/* Busy-wait this long before sleeping between mailbox polls. */
#define HV_EMU_POST_SPIN_NS	(50 * NSEC_PER_USEC)
/* SINT2 vector value written for realism; the host ignores it. */
#define HV_EMU_SINT_VECTOR	0xf3

struct hv_emu;

/**
 * struct hv_emu_vector - one MSI-X vector
 * @emu: the device
 * @index: vector number
 * @cpus: the CPUs whose SINT2 it stands for, where it is steered
 */
struct hv_emu_vector {
	struct hv_emu *emu;
	unsigned int index;
	struct cpumask cpus;
};

/**
 * struct hv_emu - one hvhost ivshmem device
 * @be: the backend handed to hv.c
 * @pdev: the PCI device
 * @regs: BAR0 (the ivshmem registers)
 * @shm: BAR2
 * @signal_bits: HvSignalEvent bitmap in BAR2
 * @max_vps: per-VP areas in BAR2
 * @nr_vectors: MSI-X vectors the host raises
 * @nr_irqs: vectors with a handler installed
 * @cpus: CPUs that have a VP area
 * @post_lock: one per VP mailbox
 * @post_seq: last sequence number posted through each mailbox
 * @vec: per-vector handler data
 */
struct hv_emu {
	struct hv_backend be;
	struct pci_dev *pdev;
	void __iomem *regs;
	void *shm;
	unsigned long *signal_bits;
	u32 max_vps;
	u32 nr_vectors;
	u32 nr_irqs;
	struct cpumask cpus;
	struct mutex post_lock[HVEMU_MAX_VPS];	/* one poster per mailbox */
	u32 post_seq[HVEMU_MAX_VPS];
	struct hv_emu_vector vec[HVEMU_MAX_VECTORS];
};

static struct hv_emu *to_emu(struct hv_backend *be)
{
	return container_of(be, struct hv_emu, be);
}

static struct hvemu_header *hv_emu_header(struct hv_emu *emu)
{
	return emu->shm + HVEMU_HEADER_OFFSET;
}

static struct hvemu_vp *hv_emu_vp(struct hv_emu *emu, unsigned int vp)
{
	return emu->shm + HVEMU_VP_OFFSET + vp * HVEMU_VP_STRIDE;
}

static void hv_emu_doorbell(struct hv_emu *emu, u32 doorbell)
{
	/* writel() orders the shared-memory stores before it. */
	writel((HVEMU_HOST_PEER << 16) | doorbell,
	       emu->regs + HVEMU_REG_DOORBELL);
}

static irqreturn_t hv_emu_irq(int irq, void *data)
{
	struct hv_emu_vector *vec = data;
	unsigned int cpu;

	for_each_cpu(cpu, &vec->cpus)
		hv_synic_isr(cpu);
	return IRQ_HANDLED;
}

static void hv_emu_irq_teardown(struct hv_backend *be)
{
	struct hv_emu *emu = to_emu(be);

	while (emu->nr_irqs) {
		int irq = pci_irq_vector(emu->pdev, --emu->nr_irqs);

		irq_update_affinity_hint(irq, NULL);
		free_irq(irq, &emu->vec[emu->nr_irqs]);
	}
}

/* Vector @vec stands for SINT2 of the VPs with vp % nr_vectors == index. */
static void hv_emu_vector_init(struct hv_emu *emu, struct hv_emu_vector *vec,
			       unsigned int index)
{
	unsigned int cpu;

	vec->emu = emu;
	vec->index = index;
	cpumask_clear(&vec->cpus);
	for_each_cpu(cpu, &emu->cpus)
		if (cpu % emu->nr_vectors == index)
			cpumask_set_cpu(cpu, &vec->cpus);
}

/*
 * Hyper-V interrupts the VP a channel targets, so that its callback runs
 * on the CPU the guest chose (a queue's own CPU): steer vector @vec to
 * the CPUs it stands for. Only a preference: if none of them is online,
 * the vector stays where the kernel put it.
 */
static void hv_emu_irq_steer(struct hv_emu_vector *vec, int irq)
{
	if (!cpumask_intersects(&vec->cpus, cpu_online_mask) ||
	    irq_set_affinity_and_hint(irq, &vec->cpus))
		dev_dbg(&vec->emu->pdev->dev, "vector %u not steered\n",
			vec->index);
}

static int hv_emu_irq_setup(struct hv_backend *be)
{
	struct hv_emu *emu = to_emu(be);
	int ret;

	for (emu->nr_irqs = 0; emu->nr_irqs < emu->nr_vectors;
	     emu->nr_irqs++) {
		struct hv_emu_vector *vec = &emu->vec[emu->nr_irqs];
		int irq = pci_irq_vector(emu->pdev, emu->nr_irqs);

		hv_emu_vector_init(emu, vec, emu->nr_irqs);
		ret = request_irq(irq, hv_emu_irq, 0, "hv_vmbus_emu", vec);
		if (ret) {
			hv_emu_irq_teardown(be);
			return ret;
		}
		hv_emu_irq_steer(vec, irq);
	}
	return 0;
}

static int hv_emu_synic_enable(struct hv_backend *be, unsigned int cpu,
			       phys_addr_t simp, phys_addr_t siefp)
{
	struct hv_emu *emu = to_emu(be);
	struct hvemu_vp *vp;

	if (cpu >= emu->max_vps)
		return -EINVAL;
	vp = hv_emu_vp(emu, cpu);
	WRITE_ONCE(vp->simp, simp | HV_TLFS_PAGE_ENABLE);
	WRITE_ONCE(vp->siefp, siefp | HV_TLFS_PAGE_ENABLE);
	WRITE_ONCE(vp->sint2, HV_EMU_SINT_VECTOR);
	/* The pages must be in place before the host sees SCONTROL on. */
	virt_wmb();
	WRITE_ONCE(vp->scontrol, HV_TLFS_SCONTROL_ENABLE);
	return 0;
}

static void hv_emu_synic_disable(struct hv_backend *be, unsigned int cpu)
{
	struct hvemu_vp *vp = hv_emu_vp(to_emu(be), cpu);

	WRITE_ONCE(vp->sint2, HV_EMU_SINT_VECTOR | HV_TLFS_SINT_MASKED);
	WRITE_ONCE(vp->scontrol, 0);
	/* Interrupts are off before the pages are taken away. */
	virt_wmb();
	WRITE_ONCE(vp->simp, 0);
	WRITE_ONCE(vp->siefp, 0);
}

static bool hv_emu_post_done(struct hvemu_vp *vp, u32 seq)
{
	return READ_ONCE(vp->post_done) == seq;
}

/* Sleeps between polls; the host usually answers within microseconds. */
static bool hv_emu_post_wait(struct hvemu_vp *vp, u32 seq)
{
	unsigned long deadline = jiffies + HV_EMU_POST_TIMEOUT;
	u64 spin_end = ktime_get_ns() + HV_EMU_POST_SPIN_NS;

	while (!hv_emu_post_done(vp, seq) && ktime_get_ns() < spin_end)
		cpu_relax();
	while (!hv_emu_post_done(vp, seq)) {
		if (time_after(jiffies, deadline))
			return false;
		usleep_range(20, 100);
	}
	return true;
}

/* Busy-waits on the delay loop alone: jiffies may stand still in a panic. */
static bool hv_emu_post_poll(struct hvemu_vp *vp, u32 seq)
{
	unsigned int us;

	for (us = 0; us < HV_EMU_POST_TIMEOUT_US; us += HV_EMU_POST_POLL_US) {
		if (hv_emu_post_done(vp, seq))
			return true;
		udelay(HV_EMU_POST_POLL_US);
	}
	return hv_emu_post_done(vp, seq);
}

/* Post through mailbox @idx, which the caller owns. */
static u16 hv_emu_post_in(struct hv_emu *emu, unsigned int idx, u32 conn_id,
			  const void *msg, u32 len, bool atomic)
{
	struct hvemu_vp *vp = hv_emu_vp(emu, idx);
	bool done;
	u32 seq;

	WRITE_ONCE(vp->post.connection_id, conn_id);
	WRITE_ONCE(vp->post.reserved, 0);
	WRITE_ONCE(vp->post.message_type, HV_TLFS_MSG_VMBUS);
	WRITE_ONCE(vp->post.payload_size, len);
	memcpy(vp->post.payload, msg, len);
	seq = ++emu->post_seq[idx];
	/* The message must be complete before the host sees the new seq. */
	virt_wmb();
	WRITE_ONCE(vp->post_seq, seq);
	hv_emu_doorbell(emu, HVEMU_DOORBELL_POST);
	done = atomic ? hv_emu_post_poll(vp, seq) : hv_emu_post_wait(vp, seq);
	if (!done) {
		dev_err_ratelimited(&emu->pdev->dev,
				    "host did not take message %u on VP %u\n",
				    seq, idx);
		return HV_TLFS_STATUS_TIME_OUT;
	}
	/* Read the status only after seeing post_done. */
	virt_rmb();
	return READ_ONCE(vp->post_status) & HV_TLFS_STATUS_MASK;
}

/*
 * A panicking kernel takes a mailbox nobody holds: the other CPUs are
 * stopped, and one of them may have stopped in the middle of a post.
 */
static u16 hv_emu_post_atomic(struct hv_emu *emu, u32 conn_id,
			      const void *msg, u32 len)
{
	unsigned int idx;

	for (idx = 0; idx < emu->max_vps; idx++)
		if (!mutex_is_locked(&emu->post_lock[idx]))
			return hv_emu_post_in(emu, idx, conn_id, msg, len, true);
	return HV_TLFS_STATUS_INSUFFICIENT_BUFFERS;
}

static u16 hv_emu_post_message(struct hv_backend *be, u32 conn_id,
			       const void *msg, u32 len, bool atomic)
{
	struct hv_emu *emu = to_emu(be);
	unsigned int idx = raw_smp_processor_id();
	u16 status;

	if (atomic)
		return hv_emu_post_atomic(emu, conn_id, msg, len);
	/* Any mailbox will do; the current CPU's avoids contention. */
	if (idx >= emu->max_vps)
		idx = 0;
	mutex_lock(&emu->post_lock[idx]);
	status = hv_emu_post_in(emu, idx, conn_id, msg, len, false);
	mutex_unlock(&emu->post_lock[idx]);
	return status;
}

static u16 hv_emu_signal_event(struct hv_backend *be, u32 conn_id)
{
	struct hv_emu *emu = to_emu(be);

	if (conn_id >= HVEMU_SIGNAL_BITS)
		return HV_TLFS_STATUS_INVALID_CONNECTION_ID;
	/* A bit that was already set has a doorbell on its way. */
	if (!test_and_set_bit(conn_id, emu->signal_bits))
		hv_emu_doorbell(emu, HVEMU_DOORBELL_SIGNAL);
	return HV_TLFS_STATUS_SUCCESS;
}

static void hv_emu_eom(struct hv_backend *be, unsigned int cpu)
{
	hv_emu_doorbell(to_emu(be), HVEMU_DOORBELL_EOM);
}

static u32 hv_emu_vp_index(struct hv_backend *be, unsigned int cpu)
{
	return cpu;
}

static const struct hv_backend_ops hv_emu_ops = {
	.name		= "emulated (hvhost)",
	.irq_setup	= hv_emu_irq_setup,
	.irq_teardown	= hv_emu_irq_teardown,
	.synic_enable	= hv_emu_synic_enable,
	.synic_disable	= hv_emu_synic_disable,
	/* Only shared-memory stores: safe from any CPU, in any context. */
	.crash_synic_disable = hv_emu_synic_disable,
	.post_message	= hv_emu_post_message,
	.signal_event	= hv_emu_signal_event,
	.eom		= hv_emu_eom,
	.vp_index	= hv_emu_vp_index,
};

/*
 * Is this ivshmem device hvhost's? Only the header page is mapped, and
 * only for the look: a device of another user is left as it was found.
 */
static bool hv_emu_is_hvhost(struct pci_dev *pdev)
{
	struct hvemu_header *hdr;
	u32 magic;

	if (pci_resource_len(pdev, HVEMU_BAR_SHMEM) < HVEMU_BAR2_SIZE ||
	    !(pci_resource_flags(pdev, HVEMU_BAR_SHMEM) & IORESOURCE_MEM))
		return false;
	hdr = memremap(pci_resource_start(pdev, HVEMU_BAR_SHMEM) +
		       HVEMU_HEADER_OFFSET, sizeof(*hdr), MEMREMAP_WB);
	if (!hdr)
		return false;
	magic = READ_ONCE(hdr->magic);
	memunmap(hdr);
	return magic == HVEMU_MAGIC;
}

static int hv_emu_map(struct hv_emu *emu)
{
	struct pci_dev *pdev = emu->pdev;

	emu->regs = pcim_iomap(pdev, HVEMU_BAR_REGS, 0);
	if (!emu->regs)
		return -ENOMEM;
	emu->shm = devm_memremap(&pdev->dev,
				 pci_resource_start(pdev, HVEMU_BAR_SHMEM),
				 HVEMU_BAR2_SIZE, MEMREMAP_WB);
	if (IS_ERR(emu->shm))
		return PTR_ERR(emu->shm);
	emu->signal_bits = emu->shm + HVEMU_SIGNAL_OFFSET;
	return 0;
}

/* BAR2 is written by the host: check it before believing any of it. */
static int hv_emu_check_header(struct hv_emu *emu)
{
	struct hvemu_header *hdr = hv_emu_header(emu);
	struct device *dev = &emu->pdev->dev;
	int msix = pci_msix_vec_count(emu->pdev);

	if (READ_ONCE(hdr->layout_version) != HVEMU_LAYOUT_VERSION) {
		dev_err(dev, "hvhost layout version %u, expected %u\n",
			READ_ONCE(hdr->layout_version), HVEMU_LAYOUT_VERSION);
		return -ENODEV;
	}
	emu->max_vps = READ_ONCE(hdr->max_vps);
	emu->nr_vectors = READ_ONCE(hdr->nr_vectors);
	if (!emu->max_vps || emu->max_vps > HVEMU_MAX_VPS ||
	    !emu->nr_vectors || emu->nr_vectors > HVEMU_MAX_VECTORS ||
	    msix < 0 || emu->nr_vectors > msix) {
		dev_err(dev, "bad hvhost header: %u VPs, %u vectors (%d MSI-X)\n",
			emu->max_vps, emu->nr_vectors, msix);
		return -ENODEV;
	}
	return 0;
}

static void hv_emu_init_vps(struct hv_emu *emu)
{
	unsigned int i, cpu;

	for (i = 0; i < emu->max_vps; i++) {
		mutex_init(&emu->post_lock[i]);
		/* Continue the sequence a previous driver instance left. */
		emu->post_seq[i] = READ_ONCE(hv_emu_vp(emu, i)->post_seq);
	}
	cpumask_clear(&emu->cpus);
	for_each_possible_cpu(cpu)
		if (cpu < emu->max_vps)
			cpumask_set_cpu(cpu, &emu->cpus);
}

static int hv_emu_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct hv_emu *emu;
	int ret;

	ret = pcim_enable_device(pdev);
	if (ret)
		return ret;
	if (!hv_emu_is_hvhost(pdev)) {
		dev_info(&pdev->dev,
			 "ivshmem device without the hvhost magic: left to other drivers\n");
		return -ENODEV;
	}
	emu = devm_kzalloc(&pdev->dev, sizeof(*emu), GFP_KERNEL);
	if (!emu)
		return -ENOMEM;
	emu->pdev = pdev;
	ret = hv_emu_map(emu);
	if (ret)
		return ret;
	ret = hv_emu_check_header(emu);
	if (ret)
		return ret;
	hv_emu_init_vps(emu);

	/* MSI-X messages are memory writes by the device. */
	pci_set_master(pdev);
	ret = pci_alloc_irq_vectors(pdev, emu->nr_vectors, emu->nr_vectors,
				    PCI_IRQ_MSIX);
	if (ret < 0)
		return ret;

	emu->be.ops = &hv_emu_ops;
	emu->be.dev = &pdev->dev;
	emu->be.cpus = &emu->cpus;
	pci_set_drvdata(pdev, emu);
	WRITE_ONCE(hv_emu_header(emu)->guest_os_id, HV_COMPAT_GUEST_OS_ID);
	WRITE_ONCE(hv_emu_header(emu)->guest_attached, 1);

	ret = hv_backend_attach(&emu->be);
	if (ret) {
		WRITE_ONCE(hv_emu_header(emu)->guest_attached, 0);
		pci_free_irq_vectors(pdev);
		return ret;
	}
	return 0;
}

static void hv_emu_remove(struct pci_dev *pdev)
{
	struct hv_emu *emu = pci_get_drvdata(pdev);

	hv_backend_detach(&emu->be);
	WRITE_ONCE(hv_emu_header(emu)->guest_attached, 0);
	pci_free_irq_vectors(pdev);
}

/*
 * Reboot, power-off and kexec: leave the host (UNLOAD, SynICs off), then
 * stop the device's interrupts, so that the next kernel finds a host
 * waiting for a new INITIATE_CONTACT and a device without MSI-X enabled.
 * A panic takes the same UNLOAD path through hv.c's panic notifier; the
 * MSI-X state then stays as it is, but the masked SINTs keep the host
 * from raising any vector.
 */
static void hv_emu_shutdown(struct pci_dev *pdev)
{
	struct hv_emu *emu = pci_get_drvdata(pdev);

	if (!emu)
		return;
	hv_backend_quiesce(&emu->be, false);
	hv_emu_irq_teardown(&emu->be);
	pci_free_irq_vectors(pdev);
	pci_clear_master(pdev);
	WRITE_ONCE(hv_emu_header(emu)->guest_attached, 0);
}

static const struct pci_device_id hv_emu_ids[] = {
	{ PCI_DEVICE(HVEMU_PCI_VENDOR_ID, HVEMU_PCI_DEVICE_ID) },
	{ }
};
MODULE_DEVICE_TABLE(pci, hv_emu_ids);

static struct pci_driver hv_emu_driver = {
	.name		= "hv_vmbus_emu",
	.id_table	= hv_emu_ids,
	.probe		= hv_emu_probe,
	.remove		= hv_emu_remove,
	.shutdown	= hv_emu_shutdown,
};
module_pci_driver(hv_emu_driver);

MODULE_DESCRIPTION("Hyper-V VMBus: emulated-host backend (QEMU + hvhost)");
MODULE_LICENSE("GPL");
