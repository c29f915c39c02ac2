/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The emulated SynIC: per-VP message slots (SINT2 of the guest's SIMP
 * page) with the pending/EOM protocol, event flags (SIEFP area 2), the
 * HvPostMessage mailbox and the HvSignalEvent bitmap of BAR2
 * (include/hyperv/hvemu.h). It works on plain memory: BAR2 and guest RAM
 * are whatever buffers the caller hands in.
 */
#ifndef _HVHOST_SYNIC_H
#define _HVHOST_SYNIC_H

#include <stdbool.h>
#include <stdint.h>

#include <hyperv/hvemu.h>
#include <hyperv/vmbus_msg.h>

#include "guestmem.h"

/* Messages queued per VP before hvhost refuses to queue more. */
#define SYNIC_MAX_QUEUED	4096

struct synic_msg {
	struct synic_msg *next;
	uint32_t size;
	uint32_t claimed;	/* payload_size written to the slot */
	uint8_t payload[HV_TLFS_MESSAGE_PAYLOAD_SIZE];
};

struct synic_vp_state {
	struct synic_msg *head;
	struct synic_msg **tail;
	unsigned int queued;
	uint32_t post_done;	/* our copy; the guest can scribble on BAR2 */
};

/**
 * struct synic_ops - what the SynIC needs from the rest of hvhost
 * @raise_irq: inject MSI-X @vector into the guest
 * @post_message: an HvPostMessage arrived; returns an HV_TLFS_STATUS_*
 * @signal_event: an HvSignalEvent of @conn_id arrived
 */
struct synic_ops {
	void (*raise_irq)(void *ctx, unsigned int vector);
	uint32_t (*post_message)(void *ctx, unsigned int vp, uint32_t conn_id,
				 const void *payload, uint32_t size);
	void (*signal_event)(void *ctx, uint32_t conn_id);
};

struct synic_stats {
	uint64_t msgs_delivered;
	uint64_t msgs_queued;
	uint64_t msgs_dropped;
	uint64_t irqs;
	uint64_t eoms;
	uint64_t posts;
	uint64_t posts_failed;
	uint64_t signals;
};

struct synic {
	uint8_t *bar2;
	const struct guestmem *gm;
	unsigned int nr_vectors;
	const struct synic_ops *ops;
	void *ctx;
	struct synic_vp_state vp[HVEMU_MAX_VPS];
	struct synic_stats stats;
};

void synic_init(struct synic *sy, void *bar2, const struct guestmem *gm,
		unsigned int nr_vectors, const struct synic_ops *ops,
		void *ctx);
void synic_destroy(struct synic *sy);

int synic_post_to_guest(struct synic *sy, unsigned int vp, const void *msg,
			uint32_t size);
int synic_post_to_guest_as(struct synic *sy, unsigned int vp,
			   const void *msg, uint32_t size, uint32_t claimed);
void synic_flush_queues(struct synic *sy);
void synic_drop_queues(struct synic *sy);
void synic_handle_eom(struct synic *sy);
bool synic_signal_event(struct synic *sy, unsigned int vp, unsigned int bit);
void synic_handle_posts(struct synic *sy);
void synic_handle_signals(struct synic *sy);

static inline struct hvemu_vp *synic_vp_regs(const struct synic *sy,
					     unsigned int vp)
{
	return (struct hvemu_vp *)(sy->bar2 + HVEMU_VP_OFFSET +
				   vp * HVEMU_VP_STRIDE);
}

#endif /* _HVHOST_SYNIC_H */
