// SPDX-License-Identifier: GPL-2.0
/*
 * Emulated SynIC: message slots, event flags, MSI-X injection and the
 * hypercall emulation of include/hyperv/hvemu.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "shm.h"
#include "synic.h"

#define SYNIC_SIGNAL_WORDS	(HVEMU_SIGNAL_BITS / 64)

void synic_init(struct synic *sy, void *bar2, const struct guestmem *gm,
		unsigned int nr_vectors, const struct synic_ops *ops,
		void *ctx)
{
	struct hvemu_header *hdr;
	unsigned int vp;

	memset(sy, 0, sizeof(*sy));
	sy->bar2 = bar2;
	sy->gm = gm;
	sy->nr_vectors = nr_vectors;
	sy->ops = ops;
	sy->ctx = ctx;
	for (vp = 0; vp < HVEMU_MAX_VPS; vp++)
		sy->vp[vp].tail = &sy->vp[vp].head;

	memset(bar2, 0, HVEMU_BAR2_SIZE);
	hdr = (struct hvemu_header *)(sy->bar2 + HVEMU_HEADER_OFFSET);
	hdr->layout_version = HVEMU_LAYOUT_VERSION;
	hdr->max_vps = HVEMU_MAX_VPS;
	hdr->nr_vectors = nr_vectors;
	/* The magic goes last: it tells the guest the rest is valid. */
	shm_wmb();
	hdr->magic = HVEMU_MAGIC;
}

static void synic_drop_vp_queue(struct synic_vp_state *st)
{
	struct synic_msg *msg, *next;

	for (msg = st->head; msg; msg = next) {
		next = msg->next;
		free(msg);
	}
	st->head = NULL;
	st->tail = &st->head;
	st->queued = 0;
}

/* Forget every queued message, e.g. when the guest reconnects. */
void synic_drop_queues(struct synic *sy)
{
	unsigned int vp;

	for (vp = 0; vp < HVEMU_MAX_VPS; vp++)
		synic_drop_vp_queue(&sy->vp[vp]);
}

void synic_destroy(struct synic *sy)
{
	synic_drop_queues(sy);
}

static bool synic_enabled(const struct hvemu_vp *regs)
{
	return shm_read64(&regs->scontrol) & HV_TLFS_SCONTROL_ENABLE;
}

/* Raise SINT2 of @vp unless the guest masked it or disabled its SynIC. */
static bool synic_raise_sint(struct synic *sy, unsigned int vp)
{
	const struct hvemu_vp *regs = synic_vp_regs(sy, vp);

	if (!synic_enabled(regs) ||
	    (shm_read64(&regs->sint2) & HV_TLFS_SINT_MASKED))
		return false;
	sy->stats.irqs++;
	sy->ops->raise_irq(sy->ctx, vp % sy->nr_vectors);
	return true;
}

/* The area of SIMP or SIEFP that belongs to SINT2, or NULL if unusable. */
static uint8_t *synic_sint2_area(struct synic *sy, unsigned int vp,
				 uint64_t msr)
{
	uint8_t *page;

	if (!(msr & HV_TLFS_PAGE_ENABLE))
		return NULL;
	if (!synic_enabled(synic_vp_regs(sy, vp)))
		return NULL;
	page = guestmem_page(sy->gm, msr >> HV_WIRE_PAGE_SHIFT);
	if (!page) {
		hv_warn_rl("vp %u: SynIC page 0x%llx is not guest RAM", vp,
			   (unsigned long long)msr);
		return NULL;
	}
	return page + VMBUS_MESSAGE_SINT * HV_TLFS_MESSAGE_SIZE;
}

static struct hv_tlfs_message *synic_msg_slot(struct synic *sy,
					      unsigned int vp)
{
	uint64_t simp = shm_read64(&synic_vp_regs(sy, vp)->simp);

	return (struct hv_tlfs_message *)synic_sint2_area(sy, vp, simp);
}

/*
 * Claim the slot: free means type == 0. If it is busy, tell the guest we
 * have more (PENDING), then look again: the guest may have freed the slot
 * and checked the flag just before we set it, in which case it sends no
 * EOM and we must deliver now.
 */
static bool synic_slot_claim(struct hv_tlfs_message *slot)
{
	if (shm_load_acquire32(&slot->type) == HV_TLFS_MSG_NONE)
		return true;
	shm_fetch_or8(&slot->flags, HV_TLFS_MSG_FLAG_PENDING);
	shm_mb();
	return shm_load_acquire32(&slot->type) == HV_TLFS_MSG_NONE;
}

static bool synic_try_deliver(struct synic *sy, unsigned int vp,
			      const struct synic_msg *msg, bool more)
{
	struct hv_tlfs_message *slot = synic_msg_slot(sy, vp);

	if (!slot || !synic_slot_claim(slot))
		return false;
	slot->payload_size = msg->claimed;
	slot->flags = more ? HV_TLFS_MSG_FLAG_PENDING : 0;
	slot->reserved = 0;
	shm_write64(&slot->sender, 0);
	memcpy(slot->payload, msg->payload, msg->size);
	/* The type publishes the slot: everything above must land first. */
	shm_store_release32(&slot->type, HV_TLFS_MSG_VMBUS);
	sy->stats.msgs_delivered++;
	synic_raise_sint(sy, vp);
	return true;
}

static void synic_flush_vp(struct synic *sy, unsigned int vp)
{
	struct synic_vp_state *st = &sy->vp[vp];
	struct synic_msg *msg;

	while ((msg = st->head)) {
		if (!synic_try_deliver(sy, vp, msg, !!msg->next))
			return;
		st->head = msg->next;
		if (!st->head)
			st->tail = &st->head;
		st->queued--;
		free(msg);
	}
}

/* Retry every queued message (EOM, or the guest enabled its SynIC). */
void synic_flush_queues(struct synic *sy)
{
	unsigned int vp;

	for (vp = 0; vp < HVEMU_MAX_VPS; vp++)
		if (sy->vp[vp].head)
			synic_flush_vp(sy, vp);
}

void synic_handle_eom(struct synic *sy)
{
	sy->stats.eoms++;
	synic_flush_queues(sy);
}

/*
 * Send a VMBus message to SINT2 of @vp. It is delivered now if the slot is
 * free and nothing is queued ahead of it, queued otherwise.
 */
int synic_post_to_guest(struct synic *sy, unsigned int vp, const void *msg,
			uint32_t size)
{
	return synic_post_to_guest_as(sy, vp, msg, size, size);
}

/*
 * The same, but the slot's payload_size says @claimed (at most 255): for
 * fault injection, a size that does not match the @size bytes copied.
 */
int synic_post_to_guest_as(struct synic *sy, unsigned int vp,
			   const void *msg, uint32_t size, uint32_t claimed)
{
	struct synic_vp_state *st;
	struct synic_msg *m;

	if (vp >= HVEMU_MAX_VPS || size > HV_TLFS_MESSAGE_PAYLOAD_SIZE ||
	    claimed > UINT8_MAX)
		return -EINVAL;
	st = &sy->vp[vp];
	if (st->queued >= SYNIC_MAX_QUEUED) {
		sy->stats.msgs_dropped++;
		hv_warn_rl("vp %u: message queue full, dropping a message",
			   vp);
		return -ENOSPC;
	}
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->size = size;
	m->claimed = claimed;
	memcpy(m->payload, msg, size);
	*st->tail = m;
	st->tail = &m->next;
	st->queued++;
	sy->stats.msgs_queued++;
	synic_flush_vp(sy, vp);
	return 0;
}

/*
 * Set event flag @bit in SIEFP area 2 of @vp and raise the SINT if the bit
 * was newly set. Returns true if an interrupt was raised.
 */
bool synic_signal_event(struct synic *sy, unsigned int vp, unsigned int bit)
{
	uint64_t siefp, mask, old;
	uint8_t *area;

	if (vp >= HVEMU_MAX_VPS || bit >= HV_TLFS_EVENT_FLAGS_BITS)
		return false;
	siefp = shm_read64(&synic_vp_regs(sy, vp)->siefp);
	area = synic_sint2_area(sy, vp, siefp);
	if (!area) {
		hv_warn_rl("vp %u: event flag %u lost, SIEFP not enabled",
			   vp, bit);
		return false;
	}
	mask = 1ULL << (bit % 64);
	old = shm_fetch_or64(area + bit / 64 * sizeof(uint64_t), mask);
	if (old & mask)
		return false;
	return synic_raise_sint(sy, vp);
}

static uint32_t synic_check_post(const struct hv_tlfs_post_message_input *in)
{
	if (in->message_type != HV_TLFS_MSG_VMBUS ||
	    in->payload_size > HV_TLFS_MESSAGE_PAYLOAD_SIZE || in->reserved)
		return HV_TLFS_STATUS_INVALID_PARAMETER;
	return HV_TLFS_STATUS_SUCCESS;
}

static void synic_handle_post(struct synic *sy, unsigned int vp,
			      uint32_t seq)
{
	struct hvemu_vp *regs = synic_vp_regs(sy, vp);
	struct hv_tlfs_post_message_input in;
	uint32_t status;

	/* Copy first: the guest may change the block while we parse it. */
	memcpy(&in, &regs->post, sizeof(in));
	sy->stats.posts++;
	status = synic_check_post(&in);
	if (status == HV_TLFS_STATUS_SUCCESS)
		status = sy->ops->post_message(sy->ctx, vp,
			in.connection_id & HV_TLFS_CONNECTION_ID_MASK,
			in.payload, in.payload_size);
	if (status != HV_TLFS_STATUS_SUCCESS)
		sy->stats.posts_failed++;
	shm_write32(&regs->post_status, status);
	/* post_done tells the guest post_status is valid. */
	shm_store_release32(&regs->post_done, seq);
	sy->vp[vp].post_done = seq;
}

/* The POST doorbell rang: answer every VP whose post_seq moved. */
void synic_handle_posts(struct synic *sy)
{
	unsigned int vp;
	uint32_t seq;

	for (vp = 0; vp < HVEMU_MAX_VPS; vp++) {
		seq = shm_load_acquire32(&synic_vp_regs(sy, vp)->post_seq);
		if (seq != sy->vp[vp].post_done)
			synic_handle_post(sy, vp, seq);
	}
}

/* The SIGNAL doorbell rang: take every set bit and report it. */
void synic_handle_signals(struct synic *sy)
{
	uint8_t *bitmap = sy->bar2 + HVEMU_SIGNAL_OFFSET;
	unsigned int word, bit;
	uint64_t bits;

	for (word = 0; word < SYNIC_SIGNAL_WORDS; word++) {
		void *p = bitmap + word * sizeof(uint64_t);

		if (!shm_read64(p))
			continue;
		bits = shm_xchg64(p, 0);
		while (bits) {
			bit = __builtin_ctzll(bits);
			bits &= bits - 1;
			sy->stats.signals++;
			sy->ops->signal_event(sy->ctx, word * 64 + bit);
		}
	}
}
