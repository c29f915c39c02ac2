// SPDX-License-Identifier: GPL-2.0
/*
 * VMBus ring buffers: one producer, one consumer, shared with the host.
 *
 * A ring is a 4 KiB control page followed by the data pages. The data
 * pages are mapped twice, back to back, so that a packet that wraps
 * around the end can be written and read with one memcpy().
 *
 * The host is not trusted: every index it writes is checked, and every
 * packet is checked against what is really available and copied out
 * before anyone parses it. A ring whose host side makes no sense is
 * marked broken and never touched again; the channel then fails.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uio.h>
#include <linux/vmalloc.h>
#include <kunit/visibility.h>

#include "vmbus_private.h"

#define HV_RING_DESC_SIZE	sizeof(struct vmbus_packet_desc)

static void hv_ring_break(struct hv_ring *ring, const char *why, u32 val)
{
	if (!ring->broken)
		pr_err_ratelimited("broken ring: %s (%u)\n", why, val);
	WRITE_ONCE(ring->broken, true);
}

VISIBLE_IF_KUNIT bool hv_ring_index_ok(const struct hv_ring *ring, u32 index)
{
	return index < ring->size && IS_ALIGNED(index, VMBUS_PKT_ALIGN);
}
EXPORT_SYMBOL_IF_KUNIT(hv_ring_index_ok);

/* Bytes between a read index and a write index. */
VISIBLE_IF_KUNIT u32 hv_ring_used(const struct hv_ring *ring, u32 read,
				  u32 write)
{
	return write >= read ? write - read : ring->size - read + write;
}
EXPORT_SYMBOL_IF_KUNIT(hv_ring_used);

/**
 * hv_ring_init() - map a ring
 * @ring: the ring to set up
 * @pages: the control page followed by the data pages
 * @nr_pages: 2 or more
 *
 * Return: 0 or -ENOMEM.
 */
int hv_ring_init(struct hv_ring *ring, struct page **pages, u32 nr_pages)
{
	u32 nr_data = nr_pages - 1;
	struct page **map;
	void *va;
	u32 i;

	map = kcalloc(1 + 2 * nr_data, sizeof(*map), GFP_KERNEL);
	if (!map)
		return -ENOMEM;
	map[0] = pages[0];
	for (i = 0; i < nr_data; i++) {
		map[1 + i] = pages[1 + i];
		map[1 + nr_data + i] = pages[1 + i];
	}
	va = vmap(map, 1 + 2 * nr_data, VM_MAP, PAGE_KERNEL);
	kfree(map);
	if (!va)
		return -ENOMEM;

	memset(ring, 0, sizeof(*ring));
	spin_lock_init(&ring->lock);
	ring->ctl = va;
	ring->data = va + PAGE_SIZE;
	ring->size = nr_data * PAGE_SIZE;
	memset(ring->ctl, 0, sizeof(*ring->ctl));
	/* We honour pending_send_sz and use it when our writes block. */
	ring->ctl->feature_bits = VMBUS_RING_FEAT_PENDING_SEND_SZ;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(hv_ring_init);

void hv_ring_cleanup(struct hv_ring *ring)
{
	if (ring->ctl)
		vunmap(ring->ctl);
	ring->ctl = NULL;
	ring->data = NULL;
}
EXPORT_SYMBOL_IF_KUNIT(hv_ring_cleanup);

/* Free bytes as the writer sees them; the ring never becomes full. */
static int hv_ring_free_bytes(struct hv_ring *ring, u32 *free)
{
	u32 read = READ_ONCE(ring->ctl->read_index);

	if (!hv_ring_index_ok(ring, read)) {
		hv_ring_break(ring, "host read index", read);
		return -EIO;
	}
	*free = ring->size - hv_ring_used(ring, read, ring->index);
	return 0;
}

/**
 * hv_ring_copy() - copy one packet into an outbound ring, unpublished
 * @ring: the outbound ring, with @ring->lock held
 * @kv: the packet's pieces (descriptor, headers, payload)
 * @nkv: number of pieces
 * @len: sum of their lengths
 *
 * The packet is padded with zeros to 8 bytes and followed by the trailer,
 * but the host cannot see it until hv_ring_publish(); once this returned
 * 0, that can no longer fail, whatever the host does to its indices.
 *
 * Return: 0, -EAGAIN when the ring has no room, -EMSGSIZE when the packet
 * can never fit, -EIO when the ring is broken.
 */
int hv_ring_copy(struct hv_ring *ring, const struct kvec *kv,
		 unsigned int nkv, u32 len)
{
	u32 padded = ALIGN(len, VMBUS_PKT_ALIGN);
	u32 total = padded + VMBUS_PKT_TRAILER_SIZE;
	u32 start = ring->index;
	u64 trailer = (u64)start << 32;
	u32 free, off, i;

	lockdep_assert_held(&ring->lock);
	if (READ_ONCE(ring->broken))
		return -EIO;
	if (total >= ring->size)
		return -EMSGSIZE;
	if (hv_ring_free_bytes(ring, &free))
		return -EIO;
	/* Never fill the ring: equal indices must keep meaning "empty". */
	if (free <= total)
		return -EAGAIN;

	/* The data area is mapped twice, so no piece needs to be split. */
	off = start;
	for (i = 0; i < nkv; i++) {
		memcpy(ring->data + off, kv[i].iov_base, kv[i].iov_len);
		off += kv[i].iov_len;
	}
	memset(ring->data + off, 0, padded - len);
	memcpy(ring->data + start + padded, &trailer, sizeof(trailer));
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(hv_ring_copy);

/**
 * hv_ring_publish() - let the host see the packet hv_ring_copy() wrote
 * @ring: the outbound ring, with @ring->lock held since the copy
 * @len: the length given to hv_ring_copy()
 *
 * Return: whether the host must be signalled (empty -> non-empty while
 * it was not masking interrupts).
 */
bool hv_ring_publish(struct hv_ring *ring, u32 len)
{
	u32 start = ring->index;

	lockdep_assert_held(&ring->lock);
	ring->index = (start + ALIGN(len, VMBUS_PKT_ALIGN) +
		       VMBUS_PKT_TRAILER_SIZE) % ring->size;
	/* The packet must be in memory before the index that publishes it. */
	virt_mb();
	WRITE_ONCE(ring->ctl->write_index, ring->index);
	/*
	 * Publish write_index before sampling the host's mask and read
	 * index, or we could miss that it just went idle on an empty ring.
	 */
	virt_mb();
	if (READ_ONCE(ring->ctl->interrupt_mask))
		return false;
	/* The mask was read before the read index. */
	virt_rmb();
	return READ_ONCE(ring->ctl->read_index) == start;
}
EXPORT_SYMBOL_IF_KUNIT(hv_ring_publish);

/**
 * hv_ring_has_space() - whether a packet of @bytes could be written now
 * @ring: an outbound ring
 * @bytes: packet bytes including the trailer
 *
 * Return: true if it fits, or if the ring is broken (so that waiters wake
 * up and see the error).
 */
bool hv_ring_has_space(struct hv_ring *ring, u32 bytes)
{
	u32 free;

	if (READ_ONCE(ring->broken) || hv_ring_free_bytes(ring, &free))
		return true;
	return free > bytes;
}
EXPORT_SYMBOL_IF_KUNIT(hv_ring_has_space);

/**
 * hv_ring_writable() - the longest packet hv_ring_copy() would take now
 * @ring: an outbound ring, with @ring->lock held
 *
 * Return: packet bytes (descriptor included, before padding): the packet
 * padded to 8 bytes plus its trailer must leave at least 8 bytes free,
 * since a full ring would look empty. 0 when the ring is broken.
 */
u32 hv_ring_writable(struct hv_ring *ring)
{
	u32 free;

	lockdep_assert_held(&ring->lock);
	if (READ_ONCE(ring->broken) || hv_ring_free_bytes(ring, &free))
		return 0;
	if (free <= VMBUS_PKT_TRAILER_SIZE + VMBUS_PKT_ALIGN)
		return 0;
	return free - VMBUS_PKT_TRAILER_SIZE - VMBUS_PKT_ALIGN;
}
EXPORT_SYMBOL_IF_KUNIT(hv_ring_writable);

/**
 * hv_ring_set_pending() - ask the host to signal once @bytes would fit
 * @ring: an outbound ring, with @ring->lock held
 * @bytes: packet bytes including the trailer, as for hv_ring_has_space();
 *	0 to withdraw the request
 *
 * A packet of @bytes fits once more than @bytes are free, and free space
 * only moves in steps of 8. Hosts differ in when they signal: Linux's rule
 * (and Microsoft's header) is free space becoming larger than
 * pending_send_sz, openvmm's is free space becoming at least
 * pending_send_sz. Asking for @bytes + 8 makes the signal come only once
 * the packet fits under either rule; asking for @bytes would let an
 * openvmm host signal at exactly @bytes free, too early, and never again.
 * @ring->pending keeps what was asked, in @bytes.
 */
void hv_ring_set_pending(struct hv_ring *ring, u32 bytes)
{
	lockdep_assert_held(&ring->lock);
	ring->pending = bytes;
	WRITE_ONCE(ring->ctl->pending_send_sz,
		   bytes ? bytes + VMBUS_PKT_ALIGN : 0);
	/*
	 * The request must be visible before the caller re-checks the free
	 * space, or the host could free it in between and never signal.
	 */
	virt_mb();
}
EXPORT_SYMBOL_IF_KUNIT(hv_ring_set_pending);

/**
 * hv_ring_read() - copy the next packet out of an inbound ring
 * @ring: the inbound ring (one reader at a time)
 * @buf: where to copy the packet, descriptor included
 * @buf_size: size of @buf
 * @len: set to the packet length (len8 * 8)
 *
 * The descriptor in @buf is the one that was validated, whatever the host
 * changed in the ring meanwhile. The read index only advances locally;
 * hv_ring_commit() gives the space back to the host.
 *
 * Return: 0, -ENODATA when empty, -EMSGSIZE when the packet is larger than
 * @buf (the ring is then broken), -EIO when the ring is broken.
 */
int hv_ring_read(struct hv_ring *ring, void *buf, u32 buf_size, u32 *len)
{
	struct vmbus_packet_desc desc;
	u32 write, avail, pkt_len;

	if (READ_ONCE(ring->broken))
		return -EIO;
	write = READ_ONCE(ring->ctl->write_index);
	/* Read the index before the packet bytes it covers. */
	virt_rmb();
	if (!hv_ring_index_ok(ring, write)) {
		hv_ring_break(ring, "host write index", write);
		return -EIO;
	}
	avail = hv_ring_used(ring, ring->index, write);
	if (!avail)
		return -ENODATA;
	if (avail < HV_RING_DESC_SIZE + VMBUS_PKT_TRAILER_SIZE) {
		hv_ring_break(ring, "short packet", avail);
		return -EIO;
	}

	memcpy(&desc, ring->data + ring->index, sizeof(desc));
	pkt_len = (u32)desc.len8 * 8;
	if (desc.offset8 < HV_RING_DESC_SIZE / 8 ||
	    desc.len8 < desc.offset8 ||
	    pkt_len + VMBUS_PKT_TRAILER_SIZE > avail) {
		hv_ring_break(ring, "bad packet descriptor", desc.len8);
		return -EIO;
	}
	if (pkt_len > buf_size) {
		hv_ring_break(ring, "packet larger than max_pkt_size", pkt_len);
		return -EMSGSIZE;
	}

	memcpy(buf, ring->data + ring->index, pkt_len);
	/* Parse what was checked, not what the host wrote since. */
	memcpy(buf, &desc, sizeof(desc));
	ring->index = (ring->index + pkt_len + VMBUS_PKT_TRAILER_SIZE) %
		      ring->size;
	*len = pkt_len;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(hv_ring_read);

/*
 * Signal a blocked host writer only when this commit moved the free space
 * across its pending_send_sz. Linux signals when free space becomes larger
 * than pending, openvmm when it becomes at least pending: cover both.
 */
static bool hv_ring_host_waits(struct hv_ring *ring, u32 old_read)
{
	u32 pending, write, free_before, free_after;

	if (!(READ_ONCE(ring->ctl->feature_bits) &
	      VMBUS_RING_FEAT_PENDING_SEND_SZ))
		return false;
	pending = READ_ONCE(ring->ctl->pending_send_sz);
	if (!pending)
		return false;
	/* pending_send_sz was read before the write index. */
	virt_rmb();
	write = READ_ONCE(ring->ctl->write_index);
	if (!hv_ring_index_ok(ring, write))
		return false;
	free_before = ring->size - hv_ring_used(ring, old_read, write);
	free_after = ring->size - hv_ring_used(ring, ring->index, write);
	return free_before <= pending && free_after >= pending;
}

/**
 * hv_ring_commit() - give the packets read so far back to the host
 * @ring: the inbound ring
 *
 * Return: true if the host is waiting for this space and must be
 * signalled.
 */
bool hv_ring_commit(struct hv_ring *ring)
{
	u32 old_read = ring->committed;

	if (ring->index == old_read || READ_ONCE(ring->broken))
		return false;
	/* Finish reading the packets before the host may overwrite them. */
	virt_mb();
	WRITE_ONCE(ring->ctl->read_index, ring->index);
	ring->committed = ring->index;
	/* Publish read_index before looking at the host's pending_send_sz. */
	virt_mb();
	return hv_ring_host_waits(ring, old_read);
}
EXPORT_SYMBOL_IF_KUNIT(hv_ring_commit);

/**
 * hv_ring_mask() - tell the host not to signal while we drain the ring
 * @ring: the inbound ring
 */
void hv_ring_mask(struct hv_ring *ring)
{
	WRITE_ONCE(ring->ctl->interrupt_mask, 1);
	/* The mask must be visible before we look for packets. */
	virt_mb();
}
EXPORT_SYMBOL_IF_KUNIT(hv_ring_mask);

/**
 * hv_ring_unmask() - let the host signal again
 * @ring: the inbound ring
 *
 * Return: true if packets arrived while masked; the caller must read them,
 * since the host saw the mask and did not signal.
 */
bool hv_ring_unmask(struct hv_ring *ring)
{
	WRITE_ONCE(ring->ctl->interrupt_mask, 0);
	/* Unmask before the final look, or a packet could slip between. */
	virt_mb();
	return hv_ring_bytes_to_read(ring) != 0;
}
EXPORT_SYMBOL_IF_KUNIT(hv_ring_unmask);

/**
 * hv_ring_bytes_to_read() - bytes the host wrote that we did not read
 * @ring: the inbound ring
 *
 * Return: the byte count; 0 when the ring is broken.
 */
u32 hv_ring_bytes_to_read(struct hv_ring *ring)
{
	u32 write = READ_ONCE(ring->ctl->write_index);

	if (READ_ONCE(ring->broken) || !hv_ring_index_ok(ring, write))
		return 0;
	return hv_ring_used(ring, ring->index, write);
}
EXPORT_SYMBOL_IF_KUNIT(hv_ring_bytes_to_read);
