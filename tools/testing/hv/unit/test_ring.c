// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the host side of the ring protocol (ring.c), on plain
 * memory: the fake guest's ring code plays the other end.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"

#define T_MAX_PAGES	8

/* One ring: control page + data pages, seen by the host and the guest. */
struct tring {
	uint8_t *mem;
	uint8_t *pages[T_MAX_PAGES];
	struct hvring host;
	struct gring guest;
};

static void tring_setup(struct tring *t, unsigned int data_pages,
			uint32_t start_index)
{
	unsigned int i;

	t->mem = aligned_alloc(HV_WIRE_PAGE_SIZE,
			       (data_pages + 1) * HV_WIRE_PAGE_SIZE);
	memset(t->mem, 0, (data_pages + 1) * HV_WIRE_PAGE_SIZE);
	for (i = 0; i < data_pages; i++)
		t->pages[i] = t->mem + (i + 1) * HV_WIRE_PAGE_SIZE;
	gring_init(&t->guest, t->mem, data_pages + 1);
	t->guest.ctl->write_index = start_index;
	t->guest.ctl->read_index = start_index;
}

static int tring_attach(struct tring *t, enum hvring_role role,
			unsigned int data_pages)
{
	return hvring_attach(&t->host, role, t->mem, t->pages, data_pages);
}

static void tring_free(struct tring *t)
{
	free(t->mem);
}

static int send_bytes(struct tring *t, const void *p, uint32_t len,
		      uint64_t trans_id, bool *signal)
{
	struct iovec iov = { .iov_base = (void *)p, .iov_len = len };

	return hvring_send(&t->host, VMBUS_PKT_DATA_INBAND, 0, trans_id, &iov,
			   1, signal);
}

TEST(test_ring_write_read,
     "ring: write then guest reads, trailer, signal on empty only")
{
	static const char msg[] = "hello, guest!";	/* 14 bytes */
	struct vmbus_packet_desc *d;
	struct tring t;
	uint8_t buf[64];
	uint64_t trailer;
	bool signal;
	int n;

	tring_setup(&t, 1, 0);
	ASSERT_EQ(0, tring_attach(&t, HVRING_WRITER, 1));
	CHECK(t.guest.ctl->feature_bits & VMBUS_RING_FEAT_PENDING_SEND_SZ);
	ASSERT_EQ(0, send_bytes(&t, msg, sizeof(msg), 77, &signal));
	CHECK(signal);
	ASSERT_EQ(40, t.guest.ctl->write_index);
	memcpy(&trailer, t.guest.data + 32, 8);
	ASSERT_EQ(0, trailer);
	ASSERT_EQ(0, send_bytes(&t, msg, sizeof(msg), 78, &signal));
	CHECK(!signal);		/* not empty -> non-empty */
	memcpy(&trailer, t.guest.data + 72, 8);
	CHECK(trailer == 40ULL << 32);
	n = gring_read(&t.guest, buf, sizeof(buf));
	ASSERT_EQ(32, n);
	d = (void *)buf;
	CHECK(d->type == VMBUS_PKT_DATA_INBAND && d->offset8 == 2 &&
	      d->len8 == 4 && d->flags == 0 && d->trans_id == 77);
	CHECK(!memcmp(buf + 16, msg, sizeof(msg)));
	CHECK(buf[30] == 0 && buf[31] == 0);	/* padding */
	ASSERT_EQ(32, gring_read(&t.guest, buf, sizeof(buf)));
	ASSERT_EQ(78, ((struct vmbus_packet_desc *)buf)->trans_id);
	ASSERT_EQ(0, send_bytes(&t, msg, sizeof(msg), 79, &signal));
	CHECK(signal);		/* the guest had drained the ring */
	tring_free(&t);
}

TEST(test_ring_interrupt_mask, "ring: interrupt_mask suppresses the signal")
{
	struct tring t;
	bool signal;

	tring_setup(&t, 1, 0);
	ASSERT_EQ(0, tring_attach(&t, HVRING_WRITER, 1));
	t.guest.ctl->interrupt_mask = 1;
	ASSERT_EQ(0, send_bytes(&t, "x", 1, 1, &signal));
	CHECK(!signal);
	tring_free(&t);
}

TEST(test_ring_wrap_write, "ring: host write wraps around the end")
{
	uint8_t payload[40], buf[128];
	struct tring t;
	bool signal;
	int i, n;

	for (i = 0; i < 40; i++)
		payload[i] = i + 1;
	tring_setup(&t, 1, HV_WIRE_PAGE_SIZE - 16);
	ASSERT_EQ(0, tring_attach(&t, HVRING_WRITER, 1));
	ASSERT_EQ(0, send_bytes(&t, payload, sizeof(payload), 5, &signal));
	CHECK(signal);
	ASSERT_EQ(56 + 8 - 16, t.guest.ctl->write_index);
	n = gring_read(&t.guest, buf, sizeof(buf));
	ASSERT_EQ(56, n);
	CHECK(!memcmp(buf + 16, payload, sizeof(payload)));
	tring_free(&t);
}

TEST(test_ring_wrap_read, "ring: host reads a wrapped guest packet")
{
	uint8_t payload[40], buf[128];
	struct tring t;
	uint32_t len;
	bool signal;
	int i;

	for (i = 0; i < 40; i++)
		payload[i] = 0xa0 + i;
	tring_setup(&t, 1, HV_WIRE_PAGE_SIZE - 24);
	ASSERT_EQ(0, tring_attach(&t, HVRING_READER, 1));
	CHECK(gring_write(&t.guest, VMBUS_PKT_DATA_INBAND, 0, 9, NULL, 0,
			  payload, sizeof(payload), &signal) == 0);
	ASSERT_EQ(0, hvring_peek(&t.host, buf, sizeof(buf), &len));
	ASSERT_EQ(56, len);
	CHECK(!memcmp(buf + 16, payload, sizeof(payload)));
	hvring_consume(&t.host, len);
	ASSERT_EQ(t.guest.ctl->write_index, t.guest.ctl->read_index);
	ASSERT_EQ(-ENODATA, hvring_peek(&t.host, buf, sizeof(buf), &len));
	tring_free(&t);
}

TEST(test_ring_full, "ring: full ring sets pending_send_sz, never overwrites")
{
	uint8_t payload[1000] = { 0 }, buf[1100];
	struct tring t;
	bool signal;
	int i;

	tring_setup(&t, 1, 0);
	ASSERT_EQ(0, tring_attach(&t, HVRING_WRITER, 1));
	/* 1016-byte packets + trailer = 1024: three fit, never four. */
	for (i = 0; i < 3; i++)
		CHECK(send_bytes(&t, payload, sizeof(payload), i, &signal) ==
		      0);
	CHECK(send_bytes(&t, payload, sizeof(payload), 3, &signal) ==
	      -EAGAIN);
	ASSERT_EQ(1024, t.guest.ctl->pending_send_sz);
	CHECK(t.host.waiting);
	ASSERT_EQ(3072, gring_used(&t.guest));	/* nothing overwritten */
	ASSERT_EQ(1016, gring_read(&t.guest, buf, sizeof(buf)));
	ASSERT_EQ(0, send_bytes(&t, payload, sizeof(payload), 3, &signal));
	ASSERT_EQ(0, t.guest.ctl->pending_send_sz);
	CHECK(!t.host.waiting);
	tring_free(&t);
}

/* A one-page ring read by the host, with 3 packets of 1024 bytes in it. */
static void tring_three_packets(struct tring *t)
{
	uint8_t payload[1000] = { 0 };
	bool signal;
	int i;

	tring_setup(t, 1, 0);
	ASSERT_EQ(0, tring_attach(t, HVRING_READER, 1));
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, gring_write(&t->guest, VMBUS_PKT_DATA_INBAND, 0, i,
					 NULL, 0, payload, sizeof(payload),
					 &signal));
}

/* Reader side: signal a blocked guest writer only when crossing. */
TEST(test_ring_pending_send_sz,
     "ring: pending_send_sz signalled only on crossing")
{
	uint8_t payload[1000] = { 0 }, buf[1100];
	struct tring t;
	uint32_t len;
	bool signal;

	tring_three_packets(&t);
	t.guest.ctl->pending_send_sz = 2000;
	ASSERT_EQ(0, hvring_peek(&t.host, buf, sizeof(buf), &len));
	hvring_consume(&t.host, len);
	CHECK(hvring_read_done(&t.host, len + 8));	/* 1024 -> 2048 */
	ASSERT_EQ(0, hvring_peek(&t.host, buf, sizeof(buf), &len));
	hvring_consume(&t.host, len);
	CHECK(!hvring_read_done(&t.host, len + 8));	/* already above */
	CHECK(gring_write(&t.guest, VMBUS_PKT_DATA_INBAND, 0, 4, NULL, 0,
			  payload, sizeof(payload), &signal) == 0);
	CHECK(gring_write(&t.guest, VMBUS_PKT_DATA_INBAND, 0, 5, NULL, 0,
			  payload, sizeof(payload), &signal) == 0);
	t.guest.ctl->feature_bits = 0;
	ASSERT_EQ(0, hvring_peek(&t.host, buf, sizeof(buf), &len));
	hvring_consume(&t.host, len);
	CHECK(!hvring_read_done(&t.host, len + 8));	/* no feature bit */
	t.guest.ctl->feature_bits = VMBUS_RING_FEAT_PENDING_SEND_SZ;
	t.guest.ctl->pending_send_sz = 0;
	ASSERT_EQ(0, hvring_peek(&t.host, buf, sizeof(buf), &len));
	hvring_consume(&t.host, len);
	CHECK(!hvring_read_done(&t.host, len + 8));	/* nobody waits */
	tring_free(&t);
}

/*
 * OpenVMM's rule, not Linux's: free space reaching pending_send_sz (rounded
 * down to 8) is enough, and free space that was already there is not.
 */
TEST(test_ring_pending_send_sz_openvmm,
     "ring: pending_send_sz reached exactly signals, as OpenVMM")
{
	uint8_t buf[1100];
	struct tring t;
	uint32_t len;

	tring_three_packets(&t);
	t.guest.ctl->pending_send_sz = 2048 + 7;
	ASSERT_EQ(0, hvring_peek(&t.host, buf, sizeof(buf), &len));
	hvring_consume(&t.host, len);
	ASSERT_EQ(true, hvring_read_done(&t.host, len + 8));	/* 1024 -> 2048 */
	ASSERT_EQ(0, hvring_peek(&t.host, buf, sizeof(buf), &len));
	t.guest.ctl->pending_send_sz = 2048;
	hvring_consume(&t.host, len);
	ASSERT_EQ(false, hvring_read_done(&t.host, len + 8));	/* was 2048 */
	tring_free(&t);
}

TEST(test_ring_bad_indices, "ring: bad indices rejected")
{
	uint8_t buf[64];
	struct tring t;
	uint32_t len;
	bool signal;

	tring_setup(&t, 1, 0);
	ASSERT_EQ(0, tring_attach(&t, HVRING_READER, 1));
	t.guest.ctl->write_index = 13;
	ASSERT_EQ(-EPROTO, hvring_peek(&t.host, buf, sizeof(buf), &len));
	CHECK(t.host.broken);
	tring_free(&t);

	tring_setup(&t, 1, 0);
	ASSERT_EQ(0, tring_attach(&t, HVRING_READER, 1));
	t.guest.ctl->write_index = HV_WIRE_PAGE_SIZE;
	ASSERT_EQ(-EPROTO, hvring_peek(&t.host, buf, sizeof(buf), &len));
	tring_free(&t);

	tring_setup(&t, 1, 0);
	ASSERT_EQ(0, tring_attach(&t, HVRING_WRITER, 1));
	t.guest.ctl->read_index = HV_WIRE_PAGE_SIZE + 8;
	ASSERT_EQ(-EPROTO, send_bytes(&t, "x", 1, 1, &signal));
	CHECK(t.host.broken);
	ASSERT_EQ(-EPROTO, send_bytes(&t, "x", 1, 1, &signal));
	tring_free(&t);

	tring_setup(&t, 1, 12);
	ASSERT_EQ(-EPROTO, tring_attach(&t, HVRING_WRITER, 1));
	tring_free(&t);
}

/* Put a raw descriptor at the start of an empty ring, @avail bytes used. */
static int peek_raw(uint16_t type, uint16_t offset8, uint16_t len8,
		    uint16_t flags, uint32_t avail)
{
	struct vmbus_packet_desc d = {
		.type = type, .offset8 = offset8, .len8 = len8, .flags = flags,
	};
	uint8_t buf[HV_WIRE_PAGE_SIZE];
	struct tring t;
	uint32_t len;
	int ret;

	tring_setup(&t, 1, 0);
	if (tring_attach(&t, HVRING_READER, 1)) {
		tring_free(&t);
		return -100;
	}
	memcpy(t.guest.data, &d, sizeof(d));
	t.guest.ctl->write_index = avail;
	ret = hvring_peek(&t.host, buf, sizeof(buf), &len);
	tring_free(&t);
	return ret;
}

TEST(test_ring_bad_packets, "ring: bad packet lengths, flags, types rejected")
{
	/* A good one first, so that the helper itself is trusted. */
	ASSERT_EQ(0, peek_raw(VMBUS_PKT_DATA_INBAND, 2, 4, 0, 40));
	ASSERT_EQ(-EPROTO, peek_raw(VMBUS_PKT_DATA_INBAND, 1, 4, 0, 40));
	ASSERT_EQ(-EPROTO, peek_raw(VMBUS_PKT_DATA_INBAND, 3, 2, 0, 40));
	ASSERT_EQ(-EPROTO, peek_raw(VMBUS_PKT_DATA_INBAND, 2, 5, 0, 40));
	ASSERT_EQ(-EPROTO, peek_raw(VMBUS_PKT_DATA_INBAND, 2, 4, 2, 40));
	ASSERT_EQ(-EPROTO, peek_raw(0x5, 2, 4, 0, 40));
	CHECK(peek_raw(VMBUS_PKT_DATA_USING_GPA_DIRECT, 2, 4, 0, 40) ==
	      -EPROTO);
	ASSERT_EQ(0, peek_raw(VMBUS_PKT_DATA_USING_GPA_DIRECT, 3, 4, 0, 40));
	ASSERT_EQ(-EPROTO, peek_raw(VMBUS_PKT_DATA_INBAND, 2, 2, 0, 16));
	ASSERT_EQ(-EPROTO, peek_raw(VMBUS_PKT_DATA_INBAND, 2, 0xffff, 0, 4088));
}

TEST(test_ring_peek_consume, "ring: peek does not consume")
{
	uint8_t buf[64];
	struct tring t;
	uint32_t len;
	bool signal;

	tring_setup(&t, 1, 0);
	ASSERT_EQ(0, tring_attach(&t, HVRING_READER, 1));
	CHECK(gring_write(&t.guest, VMBUS_PKT_DATA_INBAND,
			  VMBUS_PKT_FLAG_COMPLETION_REQUESTED, 42, NULL, 0,
			  "abc", 3, &signal) == 0);
	CHECK(signal);
	ASSERT_EQ(0, hvring_peek(&t.host, buf, sizeof(buf), &len));
	ASSERT_EQ(0, hvring_peek(&t.host, buf, sizeof(buf), &len));
	ASSERT_EQ(0, t.guest.ctl->read_index);	/* peek does not consume */
	ASSERT_EQ(-EMSGSIZE, hvring_peek(&t.host, buf, 8, &len));
	hvring_consume(&t.host, len);
	ASSERT_EQ(32, t.guest.ctl->read_index);
	ASSERT_EQ(-ENODATA, hvring_peek(&t.host, buf, sizeof(buf), &len));
	tring_free(&t);
}

/* Data pages in reverse order in memory: copies go page by page. */
TEST(test_ring_scattered_pages, "ring: scattered data pages")
{
	uint8_t payload[3000], buf[3100];
	struct hvring writer, reader;
	struct tring t;
	uint8_t *tmp;
	uint32_t len;
	bool signal;
	int i, round;

	tring_setup(&t, 3, 3 * HV_WIRE_PAGE_SIZE - 1000);
	tmp = t.pages[0];
	t.pages[0] = t.pages[2];
	t.pages[2] = tmp;
	ASSERT_EQ(0, hvring_attach(&writer, HVRING_WRITER, t.mem, t.pages, 3));
	ASSERT_EQ(0, hvring_attach(&reader, HVRING_READER, t.mem, t.pages, 3));
	CHECK(!writer.linear);
	for (round = 0; round < 20; round++) {
		struct iovec iov = { payload, sizeof(payload) - round * 8 };

		for (i = 0; i < (int)sizeof(payload); i++)
			payload[i] = i * 7 + round;
		CHECK(hvring_send(&writer, VMBUS_PKT_DATA_INBAND, 0, round,
				  &iov, 1, &signal) == 0);
		ASSERT_EQ(0, hvring_peek(&reader, buf, sizeof(buf), &len));
		ASSERT_EQ(16 + iov.iov_len, len);
		CHECK(!memcmp(buf + 16, payload, iov.iov_len));
		hvring_consume(&reader, len);
	}
	tring_free(&t);
}
