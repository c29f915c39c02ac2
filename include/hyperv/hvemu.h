/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The emulated hypervisor interface: how a guest reaches tools/hv/hvhost
 * through QEMU's ivshmem-doorbell device (PCI 1af4:1110) instead of through
 * hypercalls and synthetic MSRs. This is this project's own contract, not
 * part of Hyper-V. Everything above the backend (message and event-flag
 * pages, ring buffers, VMBus messages) is exactly as on Hyper-V.
 *
 * BAR2 (shared memory, HVEMU_BAR2_SIZE bytes) holds:
 *   0x0000  struct hvemu_header, written by the host before the guest
 *           starts; the guest checks the magic and layout version.
 *   0x1000  the signal bitmap: HvSignalEvent(connection id c) sets bit c
 *           and rings HVEMU_DOORBELL_SIGNAL if the bit was clear.
 *   0x2000  one struct hvemu_vp per virtual processor (VP index = the
 *           guest's CPU number): the SynIC "MSRs" and the HvPostMessage
 *           mailbox.
 *
 * Doorbells (guest -> host): write (HVEMU_HOST_PEER << 16 | vector) to the
 * ivshmem Doorbell register (BAR0 + 12). Interrupts (host -> guest): MSI-X
 * vector (vp % nr_vectors) stands for SINT2 of that VP.
 *
 * HvPostMessage: the guest fills vp->post, then stores post_seq + 1 into
 * post_seq and rings HVEMU_DOORBELL_POST. The host copies the input, acts
 * on it, writes post_status and finally stores the sequence number it
 * handled into post_done. The guest waits for post_done == post_seq.
 *
 * EOM: the guest rings HVEMU_DOORBELL_EOM; the host then retries the
 * messages it queued for every VP.
 */
#ifndef _HYPERV_HVEMU_H
#define _HYPERV_HVEMU_H

#include "tlfs.h"

#define HVEMU_PCI_VENDOR_ID		0x1af4
#define HVEMU_PCI_DEVICE_ID		0x1110	/* ivshmem */
#define HVEMU_BAR_REGS			0
#define HVEMU_BAR_SHMEM			2
#define HVEMU_REG_DOORBELL		12	/* in BAR0 */

#define HVEMU_MAGIC			0x554d4548	/* "HEMU" */
#define HVEMU_LAYOUT_VERSION		1
#define HVEMU_BAR2_SIZE			0x10000
#define HVEMU_MAX_VPS			32
#define HVEMU_MAX_VECTORS		HVEMU_MAX_VPS
#define HVEMU_SIGNAL_BITS		16384

#define HVEMU_HOST_PEER			0
#define HVEMU_DOORBELL_POST		0
#define HVEMU_DOORBELL_SIGNAL		1
#define HVEMU_DOORBELL_EOM		2
#define HVEMU_DOORBELL_COUNT		3

#define HVEMU_HEADER_OFFSET		0x0000
#define HVEMU_SIGNAL_OFFSET		0x1000
#define HVEMU_VP_OFFSET			0x2000
#define HVEMU_VP_STRIDE			0x400

/**
 * struct hvemu_header - identification, written by the host
 * @magic: HVEMU_MAGIC
 * @layout_version: HVEMU_LAYOUT_VERSION
 * @max_vps: per-VP areas present (at most HVEMU_MAX_VPS)
 * @nr_vectors: MSI-X vectors the host raises (QEMU's vectors=)
 * @features: zero for now
 * @guest_attached: guest: 1 while its driver is bound, 0 after
 * @guest_os_id: guest: the GUEST_OS_ID value (HV_TLFS_GUEST_OS_ID_LINUX)
 */
struct hvemu_header {
	__u32 magic;
	__u32 layout_version;
	__u32 max_vps;
	__u32 nr_vectors;
	__u32 features;
	__u32 guest_attached;
	__u64 guest_os_id;
} __packed;

static_assert(sizeof(struct hvemu_header) == 32);

/**
 * struct hvemu_vp - one virtual processor's SynIC registers and mailbox
 * @simp: as HV_TLFS_MSR_SIMP: message page GPA | HV_TLFS_PAGE_ENABLE
 * @siefp: as HV_TLFS_MSR_SIEFP: event-flags page GPA | enable
 * @sint2: as HV_TLFS_MSR_SINT0 + 2; HV_TLFS_SINT_MASKED stops interrupts
 * @scontrol: as HV_TLFS_MSR_SCONTROL
 * @post_seq: guest: sequence number of the last posted message
 * @post_done: host: sequence number of the last message it handled
 * @post_status: host: HV_TLFS_STATUS_* of that message
 * @reserved: zero
 * @post: guest: the HvPostMessage input block
 */
struct hvemu_vp {
	__u64 simp;
	__u64 siefp;
	__u64 sint2;
	__u64 scontrol;
	__u32 post_seq;
	__u32 post_done;
	__u32 post_status;
	__u32 reserved;
	struct hv_tlfs_post_message_input post;
} __packed;

static_assert(sizeof(struct hvemu_vp) <= HVEMU_VP_STRIDE);
static_assert(offsetof(struct hvemu_vp, post_seq) == 32);
static_assert(offsetof(struct hvemu_vp, post) == 48);
static_assert(HVEMU_SIGNAL_OFFSET + HVEMU_SIGNAL_BITS / 8 <= HVEMU_VP_OFFSET);
static_assert(HVEMU_VP_OFFSET + HVEMU_MAX_VPS * HVEMU_VP_STRIDE <=
	      HVEMU_BAR2_SIZE);

#endif /* _HYPERV_HVEMU_H */
