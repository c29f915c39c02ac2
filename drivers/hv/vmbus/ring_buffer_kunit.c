// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite of the ring buffer: index arithmetic, the checks of every
 * packet the host writes, and the writer's padding, trailer, room and
 * signalling rules. The test plays the host on a real ring (a control
 * page and one data page, mapped twice as in a channel) in plain memory.
 */

#include <kunit/test.h>
#include <kunit/visibility.h>
#include <linux/mm.h>
#include <linux/uio.h>

#include "vmbus_private.h"

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

#define RING_PAGES	2	/* the control page and one data page */
#define RING_SIZE	PAGE_SIZE
#define DESC		sizeof(struct vmbus_packet_desc)
#define TRAILER		VMBUS_PKT_TRAILER_SIZE

struct ring_fixture {
	struct hv_ring ring;
	struct page *pages[RING_PAGES];
	u8 buf[RING_SIZE];
};

static int ring_init(struct kunit *test)
{
	struct ring_fixture *f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);
	int i;

	KUNIT_ASSERT_NOT_NULL(test, f);
	for (i = 0; i < RING_PAGES; i++) {
		f->pages[i] = alloc_page(GFP_KERNEL | __GFP_ZERO);
		KUNIT_ASSERT_NOT_NULL(test, f->pages[i]);
	}
	KUNIT_ASSERT_EQ(test, hv_ring_init(&f->ring, f->pages, RING_PAGES), 0);
	test->priv = f;
	return 0;
}

static void ring_exit(struct kunit *test)
{
	struct ring_fixture *f = test->priv;
	int i;

	if (!f)
		return;
	hv_ring_cleanup(&f->ring);
	for (i = 0; i < RING_PAGES; i++)
		if (f->pages[i])
			__free_page(f->pages[i]);
}

static struct hv_ring *ring_of(struct kunit *test)
{
	return &((struct ring_fixture *)test->priv)->ring;
}

static u8 *buf_of(struct kunit *test)
{
	return ((struct ring_fixture *)test->priv)->buf;
}

/*
 * The host writes a packet at @at: descriptor, @fill in the payload, its
 * trailer. Return: the write index after it (not yet published).
 */
static u32 host_packet(struct hv_ring *ring, u32 at, u16 offset8, u16 len8,
		       u8 fill)
{
	struct vmbus_packet_desc d = {
		.type = VMBUS_PKT_DATA_INBAND, .offset8 = offset8,
		.len8 = len8, .trans_id = 0x1234,
	};
	u64 trailer = (u64)at << 32;

	/* The data page is mapped twice: a packet may run past the end. */
	memset(ring->data + at, fill, len8 * 8);
	memcpy(ring->data + at, &d, sizeof(d));
	memcpy(ring->data + at + len8 * 8, &trailer, TRAILER);
	return (at + len8 * 8 + TRAILER) % ring->size;
}

/* A whole inband packet of @len8 * 8 bytes at the ring's read index. */
static void host_send(struct hv_ring *ring, u16 len8, u8 fill)
{
	ring->ctl->write_index = host_packet(ring, ring->ctl->write_index, 2,
					     len8, fill);
}

/* Host read and write index and our own index all at @at: an empty ring. */
static void ring_start_at(struct hv_ring *ring, u32 at)
{
	ring->index = at;
	ring->committed = at;
	ring->ctl->read_index = at;
	ring->ctl->write_index = at;
}

static void ring_index_ok_test(struct kunit *test)
{
	struct hv_ring *ring = ring_of(test);

	KUNIT_EXPECT_TRUE(test, hv_ring_index_ok(ring, 0));
	KUNIT_EXPECT_TRUE(test, hv_ring_index_ok(ring, RING_SIZE - 8));
	KUNIT_EXPECT_FALSE(test, hv_ring_index_ok(ring, RING_SIZE));
	KUNIT_EXPECT_FALSE(test, hv_ring_index_ok(ring, 4));
	KUNIT_EXPECT_FALSE(test, hv_ring_index_ok(ring, RING_SIZE - 1));
	KUNIT_EXPECT_FALSE(test, hv_ring_index_ok(ring, 0xfffffff8));
}

static void ring_used_test(struct kunit *test)
{
	struct hv_ring *ring = ring_of(test);

	KUNIT_EXPECT_EQ(test, hv_ring_used(ring, 64, 64), 0U);
	KUNIT_EXPECT_EQ(test, hv_ring_used(ring, 16, 64), 48U);
	/* Wrapped: the writer is behind the reader in memory. */
	KUNIT_EXPECT_EQ(test, hv_ring_used(ring, RING_SIZE - 8, 16), 24U);
	KUNIT_EXPECT_EQ(test, hv_ring_used(ring, 8, 0), (u32)RING_SIZE - 8);
}

static void ring_read_empty_test(struct kunit *test)
{
	struct hv_ring *ring = ring_of(test);
	u32 len = 0;

	KUNIT_EXPECT_EQ(test, hv_ring_read(ring, buf_of(test), RING_SIZE, &len),
			-ENODATA);
	KUNIT_EXPECT_FALSE(test, ring->broken);
	KUNIT_EXPECT_EQ(test, hv_ring_bytes_to_read(ring), 0U);
}

static void ring_read_one_test(struct kunit *test)
{
	struct hv_ring *ring = ring_of(test);
	const struct vmbus_packet_desc *d = (void *)buf_of(test);
	u32 len = 0;

	host_send(ring, 6, 0xab);
	KUNIT_EXPECT_EQ(test, hv_ring_bytes_to_read(ring), 6 * 8 + TRAILER);
	KUNIT_ASSERT_EQ(test, hv_ring_read(ring, buf_of(test), RING_SIZE, &len),
			0);
	KUNIT_EXPECT_EQ(test, len, 48U);
	KUNIT_EXPECT_EQ(test, d->len8, 6);
	KUNIT_EXPECT_EQ(test, d->trans_id, 0x1234ULL);
	KUNIT_EXPECT_EQ(test, buf_of(test)[DESC], 0xab);
	KUNIT_EXPECT_EQ(test, buf_of(test)[47], 0xab);
	KUNIT_EXPECT_EQ(test, ring->index, 48U + TRAILER);
	/* Read locally only: the host sees nothing until the commit. */
	KUNIT_EXPECT_EQ(test, ring->ctl->read_index, 0U);
	KUNIT_EXPECT_EQ(test, hv_ring_read(ring, buf_of(test), RING_SIZE, &len),
			-ENODATA);
}

static void ring_read_wraps_test(struct kunit *test)
{
	struct hv_ring *ring = ring_of(test);
	u32 start = RING_SIZE - 24, len = 0;
	u8 *buf = buf_of(test);

	ring_start_at(ring, start);
	host_send(ring, 8, 0x5a);	/* 64 bytes from 24 before the end */
	KUNIT_EXPECT_EQ(test, ring->ctl->write_index, 64U + TRAILER - 24);
	KUNIT_ASSERT_EQ(test, hv_ring_read(ring, buf, RING_SIZE, &len), 0);
	KUNIT_EXPECT_EQ(test, len, 64U);
	KUNIT_EXPECT_EQ(test, buf[23], 0x5a);	/* the last byte before the end */
	KUNIT_EXPECT_EQ(test, buf[24], 0x5a);	/* the first one after it */
	KUNIT_EXPECT_EQ(test, buf[63], 0x5a);
	KUNIT_EXPECT_EQ(test, ring->index, ring->ctl->write_index);
}

static void ring_read_two_test(struct kunit *test)
{
	struct hv_ring *ring = ring_of(test);
	u32 len = 0;

	host_send(ring, 3, 1);
	host_send(ring, 5, 2);
	KUNIT_ASSERT_EQ(test, hv_ring_read(ring, buf_of(test), RING_SIZE, &len),
			0);
	KUNIT_EXPECT_EQ(test, len, 24U);
	KUNIT_EXPECT_EQ(test, buf_of(test)[DESC], 1);
	KUNIT_ASSERT_EQ(test, hv_ring_read(ring, buf_of(test), RING_SIZE, &len),
			0);
	KUNIT_EXPECT_EQ(test, len, 40U);
	KUNIT_EXPECT_EQ(test, buf_of(test)[DESC], 2);
}

/* A read that must fail with @err and leave the ring broken for good. */
static void expect_broken_read(struct kunit *test, u32 buf_size, int err)
{
	struct hv_ring *ring = ring_of(test);
	u32 len = 0;

	KUNIT_EXPECT_EQ(test, hv_ring_read(ring, buf_of(test), buf_size, &len),
			err);
	KUNIT_EXPECT_TRUE(test, ring->broken);
	KUNIT_EXPECT_EQ(test, ring->index, 0U);
	KUNIT_EXPECT_EQ(test, hv_ring_read(ring, buf_of(test), RING_SIZE, &len),
			-EIO);
	KUNIT_EXPECT_EQ(test, hv_ring_bytes_to_read(ring), 0U);
}

static void ring_read_unaligned_write_index_test(struct kunit *test)
{
	host_send(ring_of(test), 4, 0);
	ring_of(test)->ctl->write_index += 4;
	expect_broken_read(test, RING_SIZE, -EIO);
}

static void ring_read_write_index_past_end_test(struct kunit *test)
{
	ring_of(test)->ctl->write_index = RING_SIZE;
	expect_broken_read(test, RING_SIZE, -EIO);
}

static void ring_read_short_test(struct kunit *test)
{
	/* 16 bytes: a descriptor without its trailer. */
	ring_of(test)->ctl->write_index = DESC;
	expect_broken_read(test, RING_SIZE, -EIO);
}

static void ring_read_offset8_short_test(struct kunit *test)
{
	struct hv_ring *ring = ring_of(test);

	/* offset8 1: the payload would start inside the descriptor. */
	ring->ctl->write_index = host_packet(ring, 0, 1, 4, 0);
	expect_broken_read(test, RING_SIZE, -EIO);
}

static void ring_read_offset8_past_len8_test(struct kunit *test)
{
	struct hv_ring *ring = ring_of(test);

	ring->ctl->write_index = host_packet(ring, 0, 5, 4, 0);
	expect_broken_read(test, RING_SIZE, -EIO);
}

static void ring_read_len8_past_write_test(struct kunit *test)
{
	struct hv_ring *ring = ring_of(test);
	struct vmbus_packet_desc *d = (void *)ring->data;

	host_send(ring, 4, 0);
	d->len8 = 5;	/* 8 bytes more than the host published */
	expect_broken_read(test, RING_SIZE, -EIO);
}

static void ring_read_len8_huge_test(struct kunit *test)
{
	struct hv_ring *ring = ring_of(test);
	struct vmbus_packet_desc *d = (void *)ring->data;

	host_send(ring, 4, 0);
	d->len8 = 0xffff;
	expect_broken_read(test, RING_SIZE, -EIO);
}

static void ring_read_len8_zero_test(struct kunit *test)
{
	struct hv_ring *ring = ring_of(test);
	struct vmbus_packet_desc *d = (void *)ring->data;

	host_send(ring, 4, 0);
	d->len8 = 0;
	d->offset8 = 0;
	expect_broken_read(test, RING_SIZE, -EIO);
}

static void ring_read_oversized_test(struct kunit *test)
{
	host_send(ring_of(test), 8, 0);
	/* A packet larger than the channel's max_pkt_size. */
	expect_broken_read(test, 56, -EMSGSIZE);
}

static void ring_read_exact_buffer_test(struct kunit *test)
{
	u32 len = 0;

	host_send(ring_of(test), 8, 0);
	KUNIT_EXPECT_EQ(test, hv_ring_read(ring_of(test), buf_of(test), 64,
					   &len), 0);
	KUNIT_EXPECT_EQ(test, len, 64U);
}

static void ring_commit_test(struct kunit *test)
{
	struct hv_ring *ring = ring_of(test);
	u32 len;

	KUNIT_EXPECT_FALSE(test, hv_ring_commit(ring));	/* nothing read */
	host_send(ring, 4, 0);
	KUNIT_ASSERT_EQ(test, hv_ring_read(ring, buf_of(test), RING_SIZE, &len),
			0);
	/* No pending_send_sz: the host is not waiting. */
	KUNIT_EXPECT_FALSE(test, hv_ring_commit(ring));
	KUNIT_EXPECT_EQ(test, ring->ctl->read_index, 32U + TRAILER);
	KUNIT_EXPECT_EQ(test, ring->committed, 32U + TRAILER);
}

static void ring_commit_signals_waiting_host_test(struct kunit *test)
{
	struct hv_ring *ring = ring_of(test);
	u32 len, used;

	/* The host wrote 3 packets and waits for room for 2 more bytes. */
	host_send(ring, 100, 0);
	host_send(ring, 100, 0);
	host_send(ring, 100, 0);
	used = 3 * (800 + TRAILER);
	ring->ctl->feature_bits = VMBUS_RING_FEAT_PENDING_SEND_SZ;
	ring->ctl->pending_send_sz = RING_SIZE - used + 808 + 8;
	KUNIT_ASSERT_EQ(test, hv_ring_read(ring, buf_of(test), RING_SIZE, &len),
			0);
	/* One packet given back: not yet enough room. */
	KUNIT_EXPECT_FALSE(test, hv_ring_commit(ring));
	KUNIT_ASSERT_EQ(test, hv_ring_read(ring, buf_of(test), RING_SIZE, &len),
			0);
	/* Two: free space crossed pending_send_sz, signal once. */
	KUNIT_EXPECT_TRUE(test, hv_ring_commit(ring));
	KUNIT_ASSERT_EQ(test, hv_ring_read(ring, buf_of(test), RING_SIZE, &len),
			0);
	KUNIT_EXPECT_FALSE(test, hv_ring_commit(ring));
}

static void ring_commit_host_without_feature_test(struct kunit *test)
{
	struct hv_ring *ring = ring_of(test);
	u32 len;

	host_send(ring, 4, 0);
	ring->ctl->feature_bits = 0;
	ring->ctl->pending_send_sz = 8;
	KUNIT_ASSERT_EQ(test, hv_ring_read(ring, buf_of(test), RING_SIZE, &len),
			0);
	KUNIT_EXPECT_FALSE(test, hv_ring_commit(ring));
}

static void ring_unmask_test(struct kunit *test)
{
	struct hv_ring *ring = ring_of(test);

	hv_ring_mask(ring);
	KUNIT_EXPECT_EQ(test, ring->ctl->interrupt_mask, 1U);
	KUNIT_EXPECT_FALSE(test, hv_ring_unmask(ring));
	KUNIT_EXPECT_EQ(test, ring->ctl->interrupt_mask, 0U);
	host_send(ring, 4, 0);
	KUNIT_EXPECT_TRUE(test, hv_ring_unmask(ring));
}

/* Our side of an outbound ring: copy and publish @len bytes of @fill. */
static int guest_send(struct kunit *test, u32 len, u8 fill, bool *signal)
{
	struct hv_ring *ring = ring_of(test);
	struct kvec kv = { .iov_base = buf_of(test), .iov_len = len };
	int ret;

	memset(buf_of(test), fill, len);
	spin_lock(&ring->lock);
	ret = hv_ring_copy(ring, &kv, 1, len);
	if (!ret)
		*signal = hv_ring_publish(ring, len);
	spin_unlock(&ring->lock);
	return ret;
}

static void ring_copy_pads_and_trails_test(struct kunit *test)
{
	struct hv_ring *ring = ring_of(test);
	bool signal = false;
	u64 trailer;

	memset(ring->data, 0xee, 64);
	KUNIT_ASSERT_EQ(test, guest_send(test, 20, 0x11, &signal), 0);
	KUNIT_EXPECT_TRUE(test, signal);	/* empty -> non-empty */
	KUNIT_EXPECT_EQ(test, ring->ctl->write_index, 24U + TRAILER);
	KUNIT_EXPECT_EQ(test, ring->data[19], 0x11);
	KUNIT_EXPECT_EQ(test, ring->data[20], 0);	/* padding */
	KUNIT_EXPECT_EQ(test, ring->data[23], 0);
	memcpy(&trailer, ring->data + 24, sizeof(trailer));
	KUNIT_EXPECT_EQ(test, trailer, 0ULL);	/* started at index 0 */

	KUNIT_ASSERT_EQ(test, guest_send(test, 8, 0x22, &signal), 0);
	KUNIT_EXPECT_FALSE(test, signal);	/* the host has not read yet */
	memcpy(&trailer, ring->data + 32 + 8, sizeof(trailer));
	KUNIT_EXPECT_EQ(test, trailer, 32ULL << 32);
}

static void ring_copy_wraps_test(struct kunit *test)
{
	struct hv_ring *ring = ring_of(test);
	bool signal = false;

	ring_start_at(ring, RING_SIZE - 16);
	KUNIT_ASSERT_EQ(test, guest_send(test, 40, 0x33, &signal), 0);
	KUNIT_EXPECT_EQ(test, ring->data[RING_SIZE - 16], 0x33);
	KUNIT_EXPECT_EQ(test, ring->data[23], 0x33);	/* wrapped to the start */
	KUNIT_EXPECT_EQ(test, ring->ctl->write_index, 40U + TRAILER - 16);
}

static void ring_copy_masked_no_signal_test(struct kunit *test)
{
	bool signal = true;

	ring_of(test)->ctl->interrupt_mask = 1;
	KUNIT_ASSERT_EQ(test, guest_send(test, 8, 0, &signal), 0);
	KUNIT_EXPECT_FALSE(test, signal);
}

static void ring_copy_too_large_test(struct kunit *test)
{
	bool signal;

	KUNIT_EXPECT_EQ(test, guest_send(test, RING_SIZE - TRAILER, 0, &signal),
			-EMSGSIZE);
	KUNIT_EXPECT_FALSE(test, ring_of(test)->broken);
}

static void ring_copy_full_test(struct kunit *test)
{
	struct hv_ring *ring = ring_of(test);
	bool signal;

	/* 2040 + 8 twice leaves 0 bytes: the ring must never fill up. */
	KUNIT_ASSERT_EQ(test, guest_send(test, 2040, 0, &signal), 0);
	KUNIT_EXPECT_EQ(test, guest_send(test, 2040, 0, &signal), -EAGAIN);
	KUNIT_EXPECT_EQ(test, guest_send(test, 2032, 0, &signal), 0);
	KUNIT_EXPECT_EQ(test, guest_send(test, 0, 0, &signal), -EAGAIN);
	KUNIT_EXPECT_FALSE(test, ring->broken);
}

static void ring_copy_bad_read_index_test(struct kunit *test)
{
	struct hv_ring *ring = ring_of(test);
	bool signal;

	ring->ctl->read_index = 12;
	KUNIT_EXPECT_EQ(test, guest_send(test, 8, 0, &signal), -EIO);
	KUNIT_EXPECT_TRUE(test, ring->broken);
	ring->ctl->read_index = 0;
	KUNIT_EXPECT_EQ(test, guest_send(test, 8, 0, &signal), -EIO);
}

static void ring_writable_test(struct kunit *test)
{
	struct hv_ring *ring = ring_of(test);
	bool signal;

	spin_lock(&ring->lock);
	KUNIT_EXPECT_EQ(test, hv_ring_writable(ring), (u32)RING_SIZE - 16);
	spin_unlock(&ring->lock);
	KUNIT_EXPECT_TRUE(test, hv_ring_has_space(ring, RING_SIZE - 8 - 1));
	KUNIT_EXPECT_FALSE(test, hv_ring_has_space(ring, RING_SIZE));
	KUNIT_ASSERT_EQ(test, guest_send(test, RING_SIZE - 32, 0, &signal), 0);
	spin_lock(&ring->lock);
	KUNIT_EXPECT_EQ(test, hv_ring_writable(ring), 8U);
	spin_unlock(&ring->lock);
	KUNIT_EXPECT_FALSE(test, hv_ring_has_space(ring, 24));
	KUNIT_EXPECT_TRUE(test, hv_ring_has_space(ring, 23));
}

static void ring_writable_broken_test(struct kunit *test)
{
	struct hv_ring *ring = ring_of(test);

	ring->ctl->read_index = RING_SIZE + 8;
	spin_lock(&ring->lock);
	KUNIT_EXPECT_EQ(test, hv_ring_writable(ring), 0U);
	spin_unlock(&ring->lock);
	KUNIT_EXPECT_TRUE(test, ring->broken);
	/* Waiters must wake up and see the error. */
	KUNIT_EXPECT_TRUE(test, hv_ring_has_space(ring, RING_SIZE * 2));
}

static void ring_set_pending_test(struct kunit *test)
{
	struct hv_ring *ring = ring_of(test);

	spin_lock(&ring->lock);
	hv_ring_set_pending(ring, 200);
	KUNIT_EXPECT_EQ(test, ring->ctl->pending_send_sz, 208U);
	KUNIT_EXPECT_EQ(test, ring->pending, 200U);
	hv_ring_set_pending(ring, 0);
	KUNIT_EXPECT_EQ(test, ring->ctl->pending_send_sz, 0U);
	spin_unlock(&ring->lock);
	KUNIT_EXPECT_EQ(test, ring->ctl->feature_bits,
			(u32)VMBUS_RING_FEAT_PENDING_SEND_SZ);
}

static struct kunit_case ring_cases[] = {
	KUNIT_CASE(ring_index_ok_test),
	KUNIT_CASE(ring_used_test),
	KUNIT_CASE(ring_read_empty_test),
	KUNIT_CASE(ring_read_one_test),
	KUNIT_CASE(ring_read_wraps_test),
	KUNIT_CASE(ring_read_two_test),
	KUNIT_CASE(ring_read_unaligned_write_index_test),
	KUNIT_CASE(ring_read_write_index_past_end_test),
	KUNIT_CASE(ring_read_short_test),
	KUNIT_CASE(ring_read_offset8_short_test),
	KUNIT_CASE(ring_read_offset8_past_len8_test),
	KUNIT_CASE(ring_read_len8_past_write_test),
	KUNIT_CASE(ring_read_len8_huge_test),
	KUNIT_CASE(ring_read_len8_zero_test),
	KUNIT_CASE(ring_read_oversized_test),
	KUNIT_CASE(ring_read_exact_buffer_test),
	KUNIT_CASE(ring_commit_test),
	KUNIT_CASE(ring_commit_signals_waiting_host_test),
	KUNIT_CASE(ring_commit_host_without_feature_test),
	KUNIT_CASE(ring_unmask_test),
	KUNIT_CASE(ring_copy_pads_and_trails_test),
	KUNIT_CASE(ring_copy_wraps_test),
	KUNIT_CASE(ring_copy_masked_no_signal_test),
	KUNIT_CASE(ring_copy_too_large_test),
	KUNIT_CASE(ring_copy_full_test),
	KUNIT_CASE(ring_copy_bad_read_index_test),
	KUNIT_CASE(ring_writable_test),
	KUNIT_CASE(ring_writable_broken_test),
	KUNIT_CASE(ring_set_pending_test),
	{}
};

static struct kunit_suite ring_suite = {
	.name = "hv_vmbus_ring",
	.init = ring_init,
	.exit = ring_exit,
	.test_cases = ring_cases,
};

kunit_test_suite(ring_suite);

MODULE_DESCRIPTION("KUnit tests of the Hyper-V VMBus core");
MODULE_LICENSE("GPL");
