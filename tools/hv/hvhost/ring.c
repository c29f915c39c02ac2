// SPDX-License-Identifier: GPL-2.0
/*
 * Host side of the VMBus ring buffer protocol (reference §3).
 *
 * The guest owns the memory and can change any byte at any time, so every
 * index read from the control page is validated before use, our own index
 * is kept privately, and packets are copied out before they are parsed.
 */
#include <errno.h>
#include <string.h>

#include "log.h"
#include "ring.h"
#include "shm.h"

#define HVRING_PAGE		HV_WIRE_PAGE_SIZE
#define HVRING_TRAILER		VMBUS_PKT_TRAILER_SIZE

static bool hvring_index_valid(const struct hvring *r, uint32_t index)
{
	return index < r->size && !(index % VMBUS_PKT_ALIGN);
}

static void hvring_mark_broken(struct hvring *r, const char *why,
			       uint32_t value)
{
	if (!r->broken)
		hv_warn_rl("%s ring: %s (0x%x), ring stopped",
			   r->role == HVRING_READER ? "outbound" : "inbound",
			   why, value);
	r->broken = true;
}

static bool hvring_pages_linear(uint8_t **pages, uint32_t npages)
{
	uint32_t i;

	for (i = 1; i < npages; i++)
		if (pages[i] != pages[0] + (size_t)i * HVRING_PAGE)
			return false;
	return true;
}

/*
 * Take over a ring the guest initialised. The index we own starts where
 * the guest left it (normally 0); after that we never read it back.
 */
int hvring_attach(struct hvring *r, enum hvring_role role, void *ctl,
		  uint8_t **pages, uint32_t npages)
{
	uint32_t start;

	memset(r, 0, sizeof(*r));
	if (!npages || npages > UINT32_MAX / HVRING_PAGE / 2)
		return -EINVAL;
	r->ctl = ctl;
	r->page = pages;
	r->linear = hvring_pages_linear(pages, npages) ? pages[0] : NULL;
	r->size = npages * HVRING_PAGE;
	r->role = role;
	if (role == HVRING_READER)
		start = shm_read32(&r->ctl->read_index);
	else
		start = shm_read32(&r->ctl->write_index);
	if (!hvring_index_valid(r, start))
		return -EPROTO;
	r->index = start;
	if (role == HVRING_WRITER) {
		/* We honour pending_send_sz on the ring we read. */
		shm_write32(&r->ctl->feature_bits,
			    shm_read32(&r->ctl->feature_bits) |
			    VMBUS_RING_FEAT_PENDING_SEND_SZ);
		shm_write32(&r->ctl->pending_send_sz, 0);
	}
	return 0;
}

/* Copy within one pass of the ring: [off, off + len) does not wrap. */
static void hvring_copy_out_flat(const struct hvring *r, uint32_t off,
				 uint8_t *dst, uint32_t len)
{
	uint32_t chunk;

	if (r->linear) {
		memcpy(dst, r->linear + off, len);
		return;
	}
	while (len) {
		chunk = HVRING_PAGE - off % HVRING_PAGE;
		if (chunk > len)
			chunk = len;
		memcpy(dst, r->page[off / HVRING_PAGE] + off % HVRING_PAGE,
		       chunk);
		dst += chunk;
		off += chunk;
		len -= chunk;
	}
}

static void hvring_copy_in_flat(const struct hvring *r, uint32_t off,
				const uint8_t *src, uint32_t len)
{
	uint32_t chunk;

	if (r->linear) {
		if (len)	/* a packet part may be empty (src NULL) */
			memcpy(r->linear + off, src, len);
		return;
	}
	while (len) {
		chunk = HVRING_PAGE - off % HVRING_PAGE;
		if (chunk > len)
			chunk = len;
		memcpy(r->page[off / HVRING_PAGE] + off % HVRING_PAGE, src,
		       chunk);
		src += chunk;
		off += chunk;
		len -= chunk;
	}
}

/* Copy @len bytes starting at @off out of the ring, across the wrap. */
static void hvring_copy_out(const struct hvring *r, uint32_t off, void *dst,
			    uint32_t len)
{
	uint32_t first = r->size - off;

	if (first >= len) {
		hvring_copy_out_flat(r, off, dst, len);
		return;
	}
	hvring_copy_out_flat(r, off, dst, first);
	hvring_copy_out_flat(r, 0, (uint8_t *)dst + first, len - first);
}

/* Copy into the ring at @off; returns the offset after the data. */
static uint32_t hvring_copy_in(const struct hvring *r, uint32_t off,
			       const void *src, uint32_t len)
{
	uint32_t first = r->size - off;

	if (first >= len) {
		hvring_copy_in_flat(r, off, src, len);
	} else {
		hvring_copy_in_flat(r, off, src, first);
		hvring_copy_in_flat(r, 0, (const uint8_t *)src + first,
				    len - first);
	}
	return (off + len) % r->size;
}

static uint32_t hvring_used(const struct hvring *r, uint32_t w, uint32_t rd)
{
	return w >= rd ? w - rd : r->size - rd + w;
}

/* The guest's write index, validated. */
static int hvring_load_write_index(struct hvring *r, uint32_t *w)
{
	*w = shm_load_acquire32(&r->ctl->write_index);
	if (!hvring_index_valid(r, *w)) {
		hvring_mark_broken(r, "bad write index", *w);
		return -EPROTO;
	}
	return 0;
}

int hvring_bytes_to_read(struct hvring *r, uint32_t *avail)
{
	uint32_t w;

	if (r->broken)
		return -EPROTO;
	if (hvring_load_write_index(r, &w))
		return -EPROTO;
	*avail = hvring_used(r, w, r->index);
	return 0;
}

static bool hvring_type_valid(const struct vmbus_packet_desc *desc)
{
	switch (desc->type) {
	case VMBUS_PKT_DATA_INBAND:
	case VMBUS_PKT_COMP:
		return true;
	case VMBUS_PKT_DATA_USING_XFER_PAGES:
	case VMBUS_PKT_DATA_USING_GPA_DIRECT:
		/* These carry an extended header after the descriptor. */
		return desc->offset8 >= 3;
	default:
		return false;
	}
}

/* Reference §3.10: what a packet descriptor must look like. */
static int hvring_check_desc(struct hvring *r,
			     const struct vmbus_packet_desc *desc,
			     uint32_t avail)
{
	uint32_t len = (uint32_t)desc->len8 * 8;

	if (desc->offset8 < HVRING_INBAND_OFFSET8 ||
	    desc->len8 < desc->offset8) {
		hvring_mark_broken(r, "bad packet offset/length",
				   desc->offset8 << 16 | desc->len8);
		return -EPROTO;
	}
	if (desc->flags & ~VMBUS_PKT_FLAG_COMPLETION_REQUESTED) {
		hvring_mark_broken(r, "bad packet flags", desc->flags);
		return -EPROTO;
	}
	if (!hvring_type_valid(desc)) {
		hvring_mark_broken(r, "bad packet type", desc->type);
		return -EPROTO;
	}
	if (len + HVRING_TRAILER > avail) {
		hvring_mark_broken(r, "packet longer than the ring data", len);
		return -EPROTO;
	}
	return 0;
}

/*
 * Copy the next packet (descriptor included, trailer excluded) into @buf
 * without consuming it. Returns 0 and the packet length, -ENODATA if the
 * ring is empty, -EMSGSIZE if @cap is too small, -EPROTO if the guest
 * broke the ring.
 */
int hvring_peek(struct hvring *r, void *buf, uint32_t cap, uint32_t *len)
{
	struct vmbus_packet_desc desc;
	uint32_t avail;

	if (hvring_bytes_to_read(r, &avail))
		return -EPROTO;
	if (!avail)
		return -ENODATA;
	if (avail < sizeof(desc) + HVRING_TRAILER) {
		hvring_mark_broken(r, "partial packet", avail);
		return -EPROTO;
	}
	hvring_copy_out(r, r->index, &desc, sizeof(desc));
	if (hvring_check_desc(r, &desc, avail))
		return -EPROTO;
	*len = (uint32_t)desc.len8 * 8;
	if (*len > cap)
		return -EMSGSIZE;
	hvring_copy_out(r, r->index, buf, *len);
	/* The guest may have rewritten the descriptor: keep the one checked. */
	memcpy(buf, &desc, sizeof(desc));
	return 0;
}

/* Drop the packet of @len bytes that hvring_peek() returned. */
void hvring_consume(struct hvring *r, uint32_t len)
{
	r->index = (r->index + len + HVRING_TRAILER) % r->size;
	/* Our reads of the packet happen before the guest may reuse it. */
	shm_store_release32(&r->ctl->read_index, r->index);
}

/*
 * After reading @bytes_read bytes: should the guest, a writer blocked on
 * pending_send_sz, be signalled? As OpenVMM does (reference §3.8): only on
 * the transition from "free < pending" to "free >= pending", with pending
 * rounded down to a multiple of 8. Linux's host-side rule ("free >
 * pending") signals 8 bytes later; a guest must work with both.
 */
bool hvring_read_done(struct hvring *r, uint32_t bytes_read)
{
	uint32_t pending, w, free_now, free_before;

	if (r->broken || !bytes_read)
		return false;
	/* Our read_index store must be visible before we look at pending. */
	shm_mb();
	if (!(shm_read32(&r->ctl->feature_bits) &
	      VMBUS_RING_FEAT_PENDING_SEND_SZ))
		return false;
	pending = shm_read32(&r->ctl->pending_send_sz) & ~7u;
	if (!pending)
		return false;
	shm_rmb();
	if (hvring_load_write_index(r, &w))
		return false;
	free_now = r->size - hvring_used(r, w, r->index);
	if (free_now < pending)
		return false;
	free_before = bytes_read < free_now ? free_now - bytes_read : 0;
	return free_before < pending;
}

void hvring_set_interrupt_mask(struct hvring *r, bool masked)
{
	shm_write32(&r->ctl->interrupt_mask, masked);
	/* The mask store is ordered before our next look at write_index. */
	shm_mb();
}

static int hvring_load_read_index(struct hvring *r, uint32_t *rd)
{
	*rd = shm_load_acquire32(&r->ctl->read_index);
	if (!hvring_index_valid(r, *rd)) {
		hvring_mark_broken(r, "bad read index", *rd);
		return -EPROTO;
	}
	return 0;
}

/*
 * Is there room for @need bytes? If not, ask the guest to signal us once
 * there is (pending_send_sz) and look again: it may have freed the space
 * before it could see our request.
 */
static int hvring_reserve(struct hvring *r, uint32_t need)
{
	uint32_t rd;

	if (hvring_load_read_index(r, &rd))
		return -EPROTO;
	if (r->size - hvring_used(r, r->index, rd) > need)
		goto room;
	shm_write32(&r->ctl->pending_send_sz, need);
	r->waiting = true;
	shm_mb();
	if (hvring_load_read_index(r, &rd))
		return -EPROTO;
	if (r->size - hvring_used(r, r->index, rd) <= need)
		return -EAGAIN;
room:
	if (r->waiting) {
		shm_write32(&r->ctl->pending_send_sz, 0);
		r->waiting = false;
	}
	return 0;
}

static uint32_t hvring_iov_bytes(const struct iovec *iov, unsigned int n)
{
	uint64_t total = 0;
	unsigned int i;

	for (i = 0; i < n; i++)
		total += iov[i].iov_len;
	return total > UINT32_MAX ? UINT32_MAX : (uint32_t)total;
}

/*
 * Write one packet (descriptor, payload and padding, already a multiple
 * of 8 bytes, in @iov) plus its trailer. Returns -EAGAIN when the ring is
 * full; *signal tells whether the guest must be interrupted (the ring went
 * from empty to non-empty and the guest did not mask interrupts).
 */
int hvring_write(struct hvring *r, const struct iovec *iov, unsigned int n,
		 bool *signal)
{
	return hvring_write_keep(r, iov, n, 0, signal);
}

/*
 * hvring_write(), leaving at least @keep bytes free after the packet:
 * -EAGAIN (and pending_send_sz for all of it) when that is not so.
 */
int hvring_write_keep(struct hvring *r, const struct iovec *iov,
		      unsigned int n, uint32_t keep, bool *signal)
{
	uint32_t len = hvring_iov_bytes(iov, n);
	uint32_t start = r->index, off = r->index, rd, mask;
	uint64_t trailer;
	unsigned int i;
	int ret;

	*signal = false;
	if (r->broken)
		return -EPROTO;
	if (len % VMBUS_PKT_ALIGN ||
	    (uint64_t)len + HVRING_TRAILER + keep >= r->size)
		return -EMSGSIZE;
	ret = hvring_reserve(r, len + HVRING_TRAILER + keep);
	if (ret)
		return ret;
	for (i = 0; i < n; i++)
		off = hvring_copy_in(r, off, iov[i].iov_base, iov[i].iov_len);
	trailer = (uint64_t)start << 32;
	off = hvring_copy_in(r, off, &trailer, sizeof(trailer));
	/* The packet must be visible before the index that publishes it. */
	shm_mb();
	r->index = off;
	shm_write32(&r->ctl->write_index, off);
	shm_mb();
	mask = shm_read32(&r->ctl->interrupt_mask);
	shm_rmb();
	if (hvring_load_read_index(r, &rd))
		return 0;
	*signal = !mask && rd == start;
	return 0;
}

/*
 * Build a packet with a descriptor and @ext_len bytes of extended header
 * (a multiple of 8: a transfer-page header's fields after the descriptor)
 * in front of @iov, and write it, leaving @keep bytes free.
 */
int hvring_send_ext(struct hvring *r, uint16_t type, uint16_t flags,
		    uint64_t trans_id, const void *ext, uint32_t ext_len,
		    uint32_t keep, const struct iovec *iov, unsigned int n,
		    bool *signal)
{
	static const uint8_t zeros[VMBUS_PKT_ALIGN];
	uint32_t payload = hvring_iov_bytes(iov, n);
	uint32_t total = hvring_packet_bytes(ext_len + payload);
	struct vmbus_packet_desc desc = {
		.type = type,
		.offset8 = HVRING_INBAND_OFFSET8 + ext_len / 8,
		.flags = flags,
		.trans_id = trans_id,
	};
	struct iovec v[HVRING_MAX_IOV + 3];
	unsigned int i;

	if (n > HVRING_MAX_IOV || total / 8 > UINT16_MAX ||
	    ext_len % VMBUS_PKT_ALIGN)
		return -EMSGSIZE;
	desc.len8 = total / 8;
	v[0].iov_base = &desc;
	v[0].iov_len = sizeof(desc);
	v[1].iov_base = (void *)ext;
	v[1].iov_len = ext_len;
	for (i = 0; i < n; i++)
		v[i + 2] = iov[i];
	v[n + 2].iov_base = (void *)zeros;
	v[n + 2].iov_len = total - sizeof(desc) - ext_len - payload;
	return hvring_write_keep(r, v, n + 3, keep, signal);
}

/* Build a packet with a plain descriptor in front of @iov and write it. */
int hvring_send(struct hvring *r, uint16_t type, uint16_t flags,
		uint64_t trans_id, const struct iovec *iov, unsigned int n,
		bool *signal)
{
	return hvring_send_ext(r, type, flags, trans_id, NULL, 0, 0, iov, n,
			       signal);
}
