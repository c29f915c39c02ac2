// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the VMBus server layer's shared mechanics: the parsed
 * packet a device gets, the GPA-range mapper, the send queue with its
 * back-pressure, and GPADLs a device maps and pins by handle.
 */
#include <errno.h>
#include <string.h>

#include "unit.h"

#define V53	VMBUS_VERSION(5, 3)

/* What the recording device saw, and what it answers with. */
static struct {
	unsigned int calls;
	struct hv_packet last;
	struct hv_gpa_span ranges[4];
	uint32_t reply_len;	/* 0: no reply; else queued replies */
} rec;

static int rec_packet(struct hv_channel *ch, const struct hv_packet *pkt)
{
	static const uint8_t reply[512];
	uint32_t i;

	rec.calls++;
	rec.last = *pkt;
	for (i = 0; i < pkt->nranges && i < ARRAY_SIZE(rec.ranges); i++)
		rec.ranges[i] = pkt->ranges[i];
	if (!rec.reply_len)
		return 0;
	return hv_channel_send_queued(ch, VMBUS_PKT_COMP, 0, pkt->trans_id,
				      reply, rec.reply_len);
}

static const struct hv_device_ops rec_ops = {
	.packet = rec_packet,
};

static const struct hv_device_class rec_class = {
	.name = "rec",
	.type = VMBUS_CLASS_TEST_ECHO,
	.ops = &rec_ops,
};

struct srv_env {
	struct fake_guest fg;
	struct vmbus_msg_offer offer;
	struct fake_channel fc;
};

static void srv_setup(void *ctx)
{
	struct srv_env *e = ctx;

	fake_init(&e->fg);
	memset(&rec, 0, sizeof(rec));
}

static void srv_teardown(void *ctx)
{
	fake_destroy(&((struct srv_env *)ctx)->fg);
}

UNIT_FIXTURE(srv, struct srv_env, srv_setup, srv_teardown);

/* The recording device, offered, connected and opened. */
static int srv_open(struct srv_env *e, uint32_t out_pages, uint32_t in_pages)
{
	if (!vmbus_server_add_device(&e->fg.h.srv, &rec_class, NULL, false) ||
	    fake_connect(&e->fg, V53, true) != 1 ||
	    fake_request_offers(&e->fg, &e->offer, 1) != 1)
		return -1;
	return fake_open(&e->fg, &e->offer, &e->fc, out_pages, in_pages);
}

static int srv_send_gpa(struct srv_env *e, const struct gpa_ext2 *ext,
			uint32_t ext_len)
{
	bool signal;

	if (gring_write(&e->fc.out, VMBUS_PKT_DATA_USING_GPA_DIRECT,
			VMBUS_PKT_FLAG_COMPLETION_REQUESTED, 9, ext, ext_len,
			"INLINE!!", 8, &signal))
		return -1;
	fake_signal(&e->fg, &e->fc);
	return 0;
}

TEST_F(srv, test_server_packet_parsed,
       "server: the device gets type, flags, id, payload and checked ranges")
{
	uint64_t data = fake_alloc(&f->fg, 3);
	struct gpa_ext2 ext = {
		.range_cnt = 2,
		.r1_count = 5000, .r1_offset = 100,
		.r1_pfn = { data >> 12, (data >> 12) + 1 },
		.r2_count = 10, .r2_offset = 8,
		.r2_pfn = { (data >> 12) + 2 },
	};
	bool signal;

	ASSERT_EQ(0, srv_open(f, 4, 4));
	ASSERT_EQ(0, gring_write(&f->fc.out, VMBUS_PKT_DATA_INBAND, 0, 5, NULL,
				 0, "abc", 3, &signal));
	fake_signal(&f->fg, &f->fc);
	ASSERT_EQ(1, rec.calls);
	ASSERT_EQ(VMBUS_PKT_DATA_INBAND, rec.last.type);
	ASSERT_EQ(5, rec.last.trans_id);
	ASSERT_EQ(8, rec.last.data_len);	/* the sender's padding too */
	CHECK(!memcmp(rec.last.data, "abc", 3));
	CHECK(!rec.last.nranges && !rec.last.range_err);
	ASSERT_EQ(0, srv_send_gpa(f, &ext, sizeof(ext)));
	ASSERT_EQ(2, rec.calls);
	ASSERT_EQ(VMBUS_PKT_DATA_USING_GPA_DIRECT, rec.last.type);
	ASSERT_EQ(VMBUS_PKT_FLAG_COMPLETION_REQUESTED, rec.last.flags);
	ASSERT_EQ(NULL, rec.last.range_err);
	ASSERT_EQ(2, rec.last.nranges);
	ASSERT_EQ(5000, rec.ranges[0].byte_count);
	ASSERT_EQ(100, rec.ranges[0].byte_offset);
	ASSERT_EQ(2, rec.ranges[0].npfns);
	ASSERT_EQ(data >> 12, rec.ranges[0].pfns[0]);
	ASSERT_EQ(1, rec.ranges[1].npfns);
	ASSERT_EQ((data >> 12) + 2, rec.ranges[1].pfns[0]);
	ASSERT_EQ(8, rec.last.data_len);
	CHECK(!memcmp(rec.last.data, "INLINE!!", 8));
}

TEST_F(srv, test_server_packet_bad_ranges,
       "server: bad GPA ranges are named to the device, never used")
{
	struct gpa_ext2 ext = {
		.range_cnt = 1, .r1_count = 5000, .r1_offset = 100,
	};

	ASSERT_EQ(0, srv_open(f, 4, 4));
	/* 5000 bytes from 100 need two PFNs; the header ends after one. */
	ASSERT_EQ(0, srv_send_gpa(f, &ext, 16 + 8));
	CHECK(rec.last.range_err &&
	      !strcmp(rec.last.range_err, "PFNs past the range header"));
	ext.range_cnt = 0;
	ASSERT_EQ(0, srv_send_gpa(f, &ext, sizeof(ext)));
	CHECK(!strcmp(rec.last.range_err, "no ranges"));
	ext.range_cnt = 1;
	ext.r1_offset = 4096;
	ASSERT_EQ(0, srv_send_gpa(f, &ext, sizeof(ext)));
	CHECK(!strcmp(rec.last.range_err, "byte_offset past the first page"));
	ext.r1_offset = 0;
	ext.r1_count = 0;
	ASSERT_EQ(0, srv_send_gpa(f, &ext, sizeof(ext)));
	CHECK(!strcmp(rec.last.range_err, "empty range"));
	ext.r1_count = 1;
	ext.range_cnt = 1;	/* and not even its header */
	ASSERT_EQ(0, srv_send_gpa(f, &ext, 8));
	CHECK(!strcmp(rec.last.range_err, "no room for the range"));
	ext.range_cnt = 3;	/* the second is r1_pfn[1]: empty */
	ASSERT_EQ(0, srv_send_gpa(f, &ext, sizeof(ext)));
	CHECK(!strcmp(rec.last.range_err, "empty range"));
	ASSERT_EQ(6, rec.calls);
}

TEST_F(fake, test_server_gpa_map,
       "server: GPA mapper merges adjacent pages, checks RAM and room")
{
	uint64_t gpa = fake_alloc(f, 4), pfn = gpa >> 12;
	uint64_t pfns[3] = { pfn, pfn + 1, pfn + 3 };
	struct hv_gpa_span r = {
		.byte_count = 2 * 4096 + 50, .byte_offset = 4000,
		.npfns = 3, .pfns = pfns,
	};
	uint8_t *ram = fake_ptr(f, gpa), out[8242];
	struct iovec iov[3];
	unsigned int n = 0, i;

	for (i = 0; i < 4 * 4096; i++)
		ram[i] = i * 7 + 3;
	ASSERT_EQ(0, hv_gpa_map(&f->h.gm, &r, iov, 3, &n));
	ASSERT_EQ(2, n);
	CHECK(iov[0].iov_base == ram + 4000);
	ASSERT_EQ(96 + 4096, iov[0].iov_len);
	CHECK(iov[1].iov_base == ram + 3 * 4096);
	ASSERT_EQ(2 * 4096 + 50 - 96 - 4096, iov[1].iov_len);
	ASSERT_EQ(0, hv_gpa_read(&f->h.gm, &r, out));
	CHECK(!memcmp(out, ram + 4000, 96 + 4096));
	CHECK(!memcmp(out + 96 + 4096, ram + 3 * 4096, 4050 - 4096 + 4096));
	n = 0;
	ASSERT_EQ(-ENOSPC, hv_gpa_map(&f->h.gm, &r, iov, 1, &n));
	pfns[1] = FAKE_RAM_SIZE >> 12;	/* just past guest RAM */
	n = 0;
	ASSERT_EQ(-EFAULT, hv_gpa_map(&f->h.gm, &r, iov, 3, &n));
	ASSERT_EQ(-EFAULT, hv_gpa_read(&f->h.gm, &r, out));
}

TEST_F(srv, test_server_send_queue,
       "server: send queue keeps order while the ring is full; device waits")
{
	uint8_t buf[512], payload[64];
	struct vmbus_packet_desc *d;
	unsigned int sent, got = 0;
	struct hv_channel *ch;
	bool signal;
	int n;

	ASSERT_EQ(0, srv_open(f, 8, 2));
	ch = fake_host_channel(&f->fg, f->fc.relid);
	rec.reply_len = 200;
	for (sent = 0; sent < 40; sent++) {
		memset(payload, sent, sizeof(payload));
		ASSERT_EQ(0, gring_write(&f->fc.out, VMBUS_PKT_DATA_INBAND, 0,
					 sent, NULL, 0, payload,
					 sizeof(payload), &signal));
		if (signal)
			fake_signal(&f->fg, &f->fc);
	}
	/* One reply waits in the queue; the rest of the requests in the ring. */
	CHECK(ch->sendq && !ch->sendq->next && ch->blocked);
	CHECK(rec.calls < 40 && gring_used(&f->fc.out) > 0);
	ASSERT_EQ(rec.calls, ch->stats.rx_packets);
	while (got < 40) {
		n = gring_read(&f->fc.in, buf, sizeof(buf));
		if (n < 0) {
			fake_signal(&f->fg, &f->fc);
			n = gring_read(&f->fc.in, buf, sizeof(buf));
		}
		d = (void *)buf;
		ASSERT_EQ(216, n);
		ASSERT_EQ(got, d->trans_id);
		got++;
	}
	ASSERT_EQ(40, rec.calls);
	CHECK(!ch->sendq && !ch->blocked);
	/* A closed channel takes nothing. */
	hv_channel_close(ch);
	ASSERT_EQ(-ENOTCONN, hv_channel_send_queued(ch, VMBUS_PKT_COMP, 0, 1,
						    buf, 8));
}

TEST_F(srv, test_server_gpadl_map,
       "server: a device maps a GPADL by handle, within its bounds")
{
	uint64_t gpa = fake_alloc(&f->fg, 3);
	struct vmbus_server *srv = &f->fg.h.srv;
	uint32_t relid;
	struct iovec iov[2];
	unsigned int n;

	ASSERT_EQ(0, srv_open(f, 2, 2));
	relid = f->fc.relid;
	ASSERT_EQ(0, fake_create_gpadl(&f->fg, relid, 0x77, gpa, 3));
	ASSERT_EQ(0, vmbus_gpadl_map(srv, relid, 0x77, 100, 5000, iov, 2, &n));
	ASSERT_EQ(1, n);	/* contiguous guest pages: one iovec */
	CHECK(iov[0].iov_base == (uint8_t *)fake_ptr(&f->fg, gpa) + 100);
	ASSERT_EQ(5000, iov[0].iov_len);
	CHECK(vmbus_gpadl_view(srv, relid, 0x77, 0, 3 * 4096) ==
	      fake_ptr(&f->fg, gpa));
	ASSERT_EQ(-ERANGE, vmbus_gpadl_map(srv, relid, 0x77, 3 * 4096, 1, iov,
					   2, &n));
	ASSERT_EQ(-ERANGE, vmbus_gpadl_map(srv, relid, 0x77, 1, 3 * 4096, iov,
					   2, &n));
	ASSERT_EQ(-ERANGE, vmbus_gpadl_map(srv, relid, 0x77, 0, 0, iov, 2,
					   &n));
	ASSERT_EQ(-ENOENT, vmbus_gpadl_map(srv, relid + 1, 0x77, 0, 1, iov, 2,
					   &n));
	ASSERT_EQ(-ENOENT, vmbus_gpadl_map(srv, relid, 0x78, 0, 1, iov, 2,
					   &n));
	CHECK(vmbus_gpadl_view(srv, relid, 0x77, 4095, 4097 + 4096) ==
	      (uint8_t *)fake_ptr(&f->fg, gpa) + 4095);
	CHECK(!vmbus_gpadl_view(srv, relid, 0x77, 4095, 4097 + 4097));
}

TEST_F(srv, test_server_gpadl_pin,
       "server: GPADL_TORNDOWN of a pinned GPADL waits for the last unpin")
{
	struct vmbus_msg_gpadl_teardown t = {
		.header.msgtype = VMBUS_MSG_GPADL_TEARDOWN,
		.gpadl = 0x77,
	};
	uint64_t gpa = fake_alloc(&f->fg, 2);
	struct vmbus_server *srv = &f->fg.h.srv;
	struct vmbus_msg_gpadl_torndown td;
	struct iovec iov;
	unsigned int n;

	ASSERT_EQ(0, srv_open(f, 2, 2));
	t.child_relid = f->fc.relid;
	ASSERT_EQ(0, fake_create_gpadl(&f->fg, f->fc.relid, 0x77, gpa, 2));
	ASSERT_EQ(-ENOENT, vmbus_gpadl_pin(srv, f->fc.relid + 1, 0x77));
	ASSERT_EQ(0, vmbus_gpadl_pin(srv, f->fc.relid, 0x77));
	ASSERT_EQ(0, vmbus_gpadl_pin(srv, f->fc.relid, 0x77));
	fake_post(&f->fg, 1, &t, sizeof(t));
	CHECK(fake_recv(&f->fg, &td, sizeof(td)) < 0);	/* not yet */
	/* Being torn down: no new mappings or pins. */
	ASSERT_EQ(-ENOENT, vmbus_gpadl_map(srv, f->fc.relid, 0x77, 0, 1, &iov,
					   1, &n));
	ASSERT_EQ(-ENOENT, vmbus_gpadl_pin(srv, f->fc.relid, 0x77));
	vmbus_gpadl_unpin(srv, 0x77);
	CHECK(fake_recv(&f->fg, &td, sizeof(td)) < 0);
	vmbus_gpadl_unpin(srv, 0x77);
	ASSERT_EQ((int)sizeof(td), fake_recv_type(&f->fg,
						  VMBUS_MSG_GPADL_TORNDOWN,
						  &td, sizeof(td)));
	ASSERT_EQ(0x77, td.gpadl);
	CHECK(!vmbus_gpadl_find(srv, 0x77));
	vmbus_gpadl_unpin(srv, 0x77);	/* gone: nothing happens */
	CHECK(fake_recv(&f->fg, &td, sizeof(td)) < 0);
}
