// SPDX-License-Identifier: GPL-2.0
/*
 * Robustness: a guest that sends garbage. Deterministic pseudo-random
 * channel messages and ring contents; the host must neither crash (run
 * under -fsanitize=address,undefined to see more) nor stop serving a
 * well-behaved guest afterwards.
 */
#include <string.h>

#include "unit.h"

static uint64_t fuzz_state;

static uint32_t fuzz_next(void)
{
	/* xorshift64* */
	fuzz_state ^= fuzz_state >> 12;
	fuzz_state ^= fuzz_state << 25;
	fuzz_state ^= fuzz_state >> 27;
	return (fuzz_state * 0x2545f4914f6cdd1dULL) >> 32;
}

/* Small values often: relids, handles and counts that hit real objects. */
static uint32_t fuzz_value(void)
{
	switch (fuzz_next() % 4) {
	case 0:
		return fuzz_next() % 4;
	case 1:
		return 0xe1e10 + fuzz_next() % 4;
	case 2:
		return fuzz_next() % 64;
	default:
		return fuzz_next();
	}
}

/* Guest-to-host message types, and the lengths the host expects. */
static const struct {
	uint32_t type;
	uint32_t len;
} fuzz_types[] = {
	{ VMBUS_MSG_REQUESTOFFERS, 8 },
	{ VMBUS_MSG_OPENCHANNEL, 148 },
	{ VMBUS_MSG_CLOSECHANNEL, 12 },
	{ VMBUS_MSG_GPADL_HEADER, 20 },
	{ VMBUS_MSG_GPADL_BODY, 16 },
	{ VMBUS_MSG_GPADL_TEARDOWN, 16 },
	{ VMBUS_MSG_RELID_RELEASED, 12 },
	{ VMBUS_MSG_INITIATE_CONTACT, 40 },
	{ VMBUS_MSG_UNLOAD, 8 },
	{ VMBUS_MSG_MODIFYCHANNEL, 16 },
};

/* A page near the fake guest's allocations, or anywhere. */
static uint64_t fuzz_pfn(void)
{
	if (fuzz_next() % 16)
		return (FAKE_FIRST_PAGE >> 12) + fuzz_next() % 64;
	return fuzz_value();
}

/* Make a GPADL_HEADER or BODY plausible enough to get far. */
static void fuzz_gpadl(uint8_t *buf, uint32_t type, uint32_t *len)
{
	struct vmbus_msg_gpadl_header *h = (void *)buf;
	struct vmbus_msg_gpadl_body *b = (void *)buf;
	uint32_t i, n = 1 + fuzz_next() % 26;
	uint64_t value;
	uint8_t *pfn;

	if (type == VMBUS_MSG_GPADL_BODY) {
		b->gpadl = 0xe1e10 + fuzz_next() % 4;
		pfn = buf + sizeof(*b);
		*len = sizeof(*b) + 8 * (fuzz_next() % 29);
	} else {
		struct vmbus_gpa_range *r = (void *)h->ranges;

		h->child_relid = 1 + fuzz_next() % 3;
		h->gpadl = 0xe1e10 + fuzz_next() % 4;
		h->rangecount = 1 + (fuzz_next() % 8 == 0);
		h->range_buflen = 8 + 8 * (n + (fuzz_next() % 4 ? 0 :
						 fuzz_next() % 40));
		r->byte_offset = fuzz_next() % 8 ? 0 : fuzz_next() % 5000;
		r->byte_count = fuzz_next() % 8 ? n * HV_WIRE_PAGE_SIZE :
				fuzz_value();
		pfn = h->ranges + sizeof(*r);
		*len = sizeof(*h) + 8 + 8 * n;
	}
	for (i = 0; i < n && pfn + 8 * i < buf + 232; i++) {
		value = fuzz_pfn();
		memcpy(pfn + 8 * i, &value, 8);
	}
}

static void fuzz_message(uint8_t *buf, uint32_t *len)
{
	uint32_t i, k, *w = (uint32_t *)buf;

	for (i = 0; i < HV_TLFS_MESSAGE_PAYLOAD_SIZE / 4; i++)
		w[i] = fuzz_value();
	w[1] = 0;
	k = fuzz_next() % ARRAY_SIZE(fuzz_types);
	w[0] = fuzz_types[k].type;
	*len = fuzz_types[k].len + fuzz_next() % 16;
	if (w[0] == VMBUS_MSG_GPADL_HEADER || w[0] == VMBUS_MSG_GPADL_BODY)
		fuzz_gpadl(buf, w[0], len);
	if (w[0] == VMBUS_MSG_OPENCHANNEL) {
		w[2] = 1 + fuzz_next() % 3;		/* relid */
		w[4] = 0xe1e10 + fuzz_next() % 4;	/* gpadl */
		w[5] = fuzz_next() % 4;			/* vp */
		w[6] = fuzz_next() % 10;		/* downstream */
	}
	/* Now and then, anything at all. */
	if (fuzz_next() % 16 == 0) {
		w[0] = fuzz_next() % 30;
		*len = fuzz_next() % (HV_TLFS_MESSAGE_PAYLOAD_SIZE + 1);
	}
	if (*len > HV_TLFS_MESSAGE_PAYLOAD_SIZE)
		*len = HV_TLFS_MESSAGE_PAYLOAD_SIZE;
}

static void drain_messages(struct fake_guest *fg)
{
	uint8_t buf[HV_TLFS_MESSAGE_PAYLOAD_SIZE];

	while (fake_recv(fg, buf, sizeof(buf)) >= 0)
		;
}

TEST_F(fake, test_fuzz_messages, "fuzz: 50000 random channel messages")
{
	struct vmbus_msg_header unload = { .msgtype = VMBUS_MSG_UNLOAD };
	uint8_t buf[HV_TLFS_MESSAGE_PAYLOAD_SIZE];
	struct vmbus_msg_offer offers[4];
	struct fake_channel fc;
	uint32_t len, type;
	int i;

	fuzz_state = 0x1234567;
	CHECK(vmbus_server_add_device(&f->h.srv, hv_device_class_find("echo"),
				      NULL, true));
	CHECK(vmbus_server_add_device(&f->h.srv, hv_device_class_find("nic"),
				      NULL, false));
	ASSERT_EQ(1, fake_connect(f, VMBUS_VERSION(5, 3), true));
	ASSERT_EQ(2, fake_request_offers(f, offers, 4));
	for (i = 0; i < 50000; i++) {
		fuzz_message(buf, &len);
		/* Keep the connection alive most of the time. */
		type = ((uint32_t *)buf)[0];
		if ((type == VMBUS_MSG_INITIATE_CONTACT ||
		     type == VMBUS_MSG_UNLOAD) && fuzz_next() % 32)
			continue;
		fake_post(f, fuzz_next() % 8 ? 1 : 4, buf, len);
		drain_messages(f);
		if (!f->h.srv.version) {
			ASSERT_EQ(1, fake_connect(f, VMBUS_VERSION(5, 3), true));
			ASSERT_EQ(2, fake_request_offers(f, offers, 4));
		}
	}
	CHECK(f->h.srv.stats.gpadls_created > 100);
	CHECK(f->h.srv.stats.gpadls_failed > 1000);
	CHECK(f->h.srv.stats.gpadls_torndown > 10);
	CHECK(f->h.srv.stats.msgs_bad > 100);
	/* A real guest still gets served. */
	fake_post(f, 1, &unload, sizeof(unload));
	drain_messages(f);
	ASSERT_EQ(0, f->h.srv.nr_gpadls);
	ASSERT_EQ(1, fake_connect(f, VMBUS_VERSION(5, 3), true));
	ASSERT_EQ(2, fake_request_offers(f, offers, 4));
	ASSERT_EQ(0, fake_open(f, &offers[0], &fc, 2, 2));
}

/* A GPA-direct extension header with ranges of plausible pages. */
static uint32_t fuzz_gpa_ext(uint8_t *ext)
{
	uint32_t *w = (uint32_t *)ext, n = 1 + fuzz_next() % 3, i;
	uint64_t pfn;

	w[0] = 0;
	w[1] = fuzz_next() % 8 ? 1 : fuzz_next() % 4;	/* range_cnt */
	w[2] = 1 + fuzz_next() % (fuzz_next() % 8 ? 8192 : 100000);
	w[3] = fuzz_next() % 8 ? 0 : fuzz_next() % 5000;
	for (i = 0; i < n; i++) {
		pfn = fuzz_pfn();
		memcpy(ext + 16 + 8 * i, &pfn, 8);
	}
	return 16 + 8 * n;
}

static void fuzz_ring_step(struct fake_guest *fg, struct fake_channel *fc)
{
	static const uint16_t types[] = { 6, 6, 6, 9, 9, 11, 7 };
	uint8_t ext[64], payload[600];
	uint32_t ext_len = 0, i, v;
	uint16_t type, flags;
	bool signal;

	switch (fuzz_next() % 256) {
	case 0:
		fc->out.ctl->write_index = fuzz_value();
		break;
	case 3:
		type = fuzz_next() % 16;	/* mostly invalid */
		gring_write(&fc->out, type, 0, 0, NULL, 0, payload, 8,
			    &signal);
		break;
	case 1:
		fc->in.ctl->read_index = fuzz_value() & ~7U;
		break;
	case 2:
		fc->in.ctl->pending_send_sz = fuzz_value();
		break;
	default:
		type = types[fuzz_next() % ARRAY_SIZE(types)];
		flags = fuzz_next() % 16 ? fuzz_next() % 2 : fuzz_value();
		if (type == 9)
			ext_len = fuzz_gpa_ext(ext);
		else if (type == 7)
			ext_len = 8 * (fuzz_next() % 3);
		for (i = 0; i < sizeof(payload); i += 4) {
			v = fuzz_value();
			memcpy(payload + i, &v, 4);
		}
		gring_write(&fc->out, type, flags, fuzz_next(), ext, ext_len,
			    payload, fuzz_next() % sizeof(payload), &signal);
		break;
	}
	fake_signal(fg, fc);
	/* The guest reads some replies; its own garbage may stop it. */
	for (i = 0; i < 64; i++)
		if (gring_read(&fc->in, fg->ram, 0x10000) < 0)
			break;
	if (fuzz_next() % 4 == 0)
		fc->in.ctl->read_index = fc->in.ctl->write_index;
	fake_signal(fg, fc);
}

TEST_F(fake, test_fuzz_rings, "fuzz: random ring contents and indices")
{
	struct vmbus_msg_relid close = {
		.header.msgtype = VMBUS_MSG_CLOSECHANNEL,
	};
	struct vmbus_msg_offer offers[4];
	uint64_t rx = 0, tx = 0, bad = 0;
	struct fake_channel fc;
	struct hv_channel *ch;
	int round, i;

	fuzz_state = 0xabcdef;
	CHECK(vmbus_server_add_device(&f->h.srv, hv_device_class_find("echo"),
				      NULL, false));
	ASSERT_EQ(1, fake_connect(f, VMBUS_VERSION(5, 3), true));
	ASSERT_EQ(1, fake_request_offers(f, offers, 4));
	close.child_relid = offers[0].child_relid;
	for (round = 0; round < 200; round++) {
		ASSERT_EQ(0, fake_open(f, &offers[0], &fc, 3, 3));
		ch = fake_host_channel(f, fc.relid);
		for (i = 0; i < 200; i++)
			fuzz_ring_step(f, &fc);
		rx += ch->stats.rx_packets;
		tx += ch->stats.tx_packets;
		bad += ch->stats.bad_packets;
		memset(&ch->stats, 0, sizeof(ch->stats));
		fake_post(f, 1, &close, sizeof(close));
	}
	CHECK(rx > 1000 && tx > 500 && bad > 200);
	/* Clean rings work after all that. */
	ASSERT_EQ(0, fake_open(f, &offers[0], &fc, 2, 2));
	CHECK(!fake_host_channel(f, fc.relid)->out.broken);
}
