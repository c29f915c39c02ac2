// SPDX-License-Identifier: GPL-2.0
/*
 * The hostile-host fuzzer (fuzz.c, vmbus_fuzz.c): the engine is
 * deterministic by seed, never writes outside the buffer it is given,
 * produces every strategy; in the server, a fuzzed channel's writes stay
 * in its ring and the SynIC pages, the same seed and guest activity give
 * the same bytes, and the control command checks its arguments.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "unit.h"

#define V53		VMBUS_VERSION(5, 3)
#define GUARD		64
#define GUARD_BYTE	0xa5

/* An input of @len bytes, deterministic in @i, between guard bytes. */
static void hf_input(uint8_t *area, uint32_t len, unsigned int i,
		     struct hvfuzz_input *in, bool packet)
{
	uint32_t j;

	memset(area, GUARD_BYTE, len + 2 * GUARD);
	for (j = 0; j < len; j++)
		area[GUARD + j] = (uint8_t)(i * 31 + j);
	memset(in, 0, sizeof(*in));
	in->buf = area + GUARD;
	in->len = len;
	in->cap = len;
	in->packet = packet;
	in->id_off = 8;	/* trans_id, or a message's relid */
	in->ring_size = 4096;
}

/* Packets: 16..4096 bytes in 8s; messages: 0..240 bytes. */
static uint32_t hf_len(unsigned int i, bool packet)
{
	return packet ? 16 + 8 * ((i * 7919) % 511) : (i * 13) % 241;
}

TEST(test_hostfuzz_same_seed, "hostfuzz: same seed, same mutations")
{
	static uint8_t a[4096 + 2 * GUARD], b[4096 + 2 * GUARD];
	struct hvfuzz_mutation ma, mb;
	struct hvfuzz_input ia, ib;
	struct hvfuzz fa, fb, fc;
	unsigned int i, differ = 0;
	bool packet;

	hvfuzz_start(&fa, 42, 10000, HVFUZZ_TARGET_ALL, 3,
		     HVFUZZ_KINDS_ALL);
	hvfuzz_start(&fb, 42, 10000, HVFUZZ_TARGET_ALL, 3,
		     HVFUZZ_KINDS_ALL);
	hvfuzz_start(&fc, 43, 10000, HVFUZZ_TARGET_ALL, 3,
		     HVFUZZ_KINDS_ALL);
	for (i = 0; i < 30000; i++) {
		packet = i % 4;
		CHECK(hvfuzz_pick(&fa, i % 5, i) == hvfuzz_pick(&fb, i % 5, i));
		hvfuzz_pick(&fc, i % 5, i);
		if (i % 3 != 2)
			continue;
		hf_input(a, hf_len(i, packet), i, &ia, packet);
		hf_input(b, hf_len(i, packet), i, &ib, packet);
		hvfuzz_mutate(&fa, i % 5, &ia, &ma);
		hvfuzz_mutate(&fb, i % 5, &ib, &mb);
		CHECK(!memcmp(&ma, &mb, sizeof(ma)));
		ASSERT_EQ(ia.len, ib.len);
		CHECK(!memcmp(a, b, hf_len(i, packet) + 2 * GUARD));
		hf_input(b, hf_len(i, packet), i, &ib, packet);
		hvfuzz_mutate(&fc, i % 5, &ib, &mb);
		differ += ma.kind != mb.kind || ma.offset != mb.offset ||
			  ma.value != mb.value;
	}
	ASSERT_EQ(10000, fa.done);
	CHECK(!hvfuzz_active(&fa));
	CHECK(differ > 5000);	/* another seed, other mutations */
}

TEST(test_hostfuzz_in_bounds, "hostfuzz: every mutation stays in its buffer")
{
	static uint8_t area[4096 + 2 * GUARD];
	struct hvfuzz_mutation m;
	struct hvfuzz_input in;
	struct hvfuzz f;
	unsigned int i, j;
	uint32_t len;
	bool packet;

	hvfuzz_start(&f, 7, 200000, HVFUZZ_TARGET_ALL, 1,
		     HVFUZZ_KINDS_ALL);
	for (i = 0; i < 200000; i++) {
		packet = i % 2;
		len = hf_len(i, packet);
		hf_input(area, len, i, &in, packet);
		CHECK(hvfuzz_pick(&f, 1, i));
		hvfuzz_mutate(&f, 1, &in, &m);
		for (j = 0; j < GUARD; j++) {
			CHECK(area[j] == GUARD_BYTE);
			CHECK(area[GUARD + len + j] == GUARD_BYTE);
		}
		CHECK(in.len <= len);
		CHECK(m.width <= 8 && m.offset + m.width <= len);
		if (packet)
			CHECK(in.len >= 16 && in.len % 8 == 0);
		if (!packet)
			CHECK(m.kind != HVFUZZ_RING_INDEX);
		else
			CHECK(m.kind != HVFUZZ_SIZE_FIELD);
	}
}

TEST(test_hostfuzz_kinds, "hostfuzz: every strategy is produced")
{
	static uint8_t area[512 + 2 * GUARD];
	struct hvfuzz_mutation m;
	struct hvfuzz_input in;
	struct hvfuzz f;
	unsigned int i;

	hvfuzz_start(&f, 1, 2000, 1U << HVFUZZ_TARGET_VMBUS, 1,
		     HVFUZZ_KINDS_ALL);
	for (i = 0; i < 2000; i++) {
		hf_input(area, i % 2 ? 64 : 200, i, &in, i % 2);
		CHECK(hvfuzz_pick(&f, HVFUZZ_TARGET_VMBUS, i));
		hvfuzz_mutate(&f, HVFUZZ_TARGET_VMBUS, &in, &m);
	}
	for (i = 0; i < HVFUZZ_KINDS; i++)
		CHECK(f.by_kind[i] > 50);
	CHECK(!hvfuzz_pick(&f, HVFUZZ_TARGET_VMBUS, 0));	/* done */
	CHECK(!hvfuzz_pick(&f, HVFUZZ_TARGETS, 0));
}

TEST(test_hostfuzz_kinds_mask, "hostfuzz: KINDS limits the strategies")
{
	static uint8_t area[64 + 2 * GUARD];
	struct hvfuzz_mutation m;
	struct hvfuzz_input in;
	struct hvfuzz f;
	unsigned int i;
	uint32_t mask = 1U << HVFUZZ_STALE_ID | 1U << HVFUZZ_RING_INDEX;

	hvfuzz_start(&f, 3, 1000, HVFUZZ_TARGET_ALL, 1, mask);
	for (i = 0; i < 1000; i++) {
		hf_input(area, 64, i, &in, true);
		CHECK(hvfuzz_pick(&f, 1, i));
		hvfuzz_mutate(&f, 1, &in, &m);
		CHECK(mask & (1U << m.kind));
	}
	CHECK(f.by_kind[HVFUZZ_STALE_ID] > 400);
	CHECK(f.by_kind[HVFUZZ_RING_INDEX] > 400);
	/* Messages have no ring index: a message-only run has nothing. */
	hvfuzz_start(&f, 3, 10, HVFUZZ_TARGET_ALL, 1, 1U << HVFUZZ_RING_INDEX);
	CHECK(!hvfuzz_pick(&f, HVFUZZ_TARGET_VMBUS, 0));
	CHECK(hvfuzz_pick(&f, 1, 0));
}

TEST(test_hostfuzz_rate, "hostfuzz: EVERY and TARGET pick the sends")
{
	struct hvfuzz f;
	unsigned int i, picked = 0;

	hvfuzz_start(&f, 9, 1000, 1U << 2, 4,
		     HVFUZZ_KINDS_ALL);
	for (i = 0; i < 400; i++) {
		CHECK(!hvfuzz_pick(&f, 1, i));
		picked += hvfuzz_pick(&f, 2, i);
	}
	ASSERT_EQ(100, picked);
}

struct hf_env {
	struct fake_guest fg;
	struct vmbus_msg_offer offers[4];
	struct fake_channel fc;
};

static int hf_env_init(struct hf_env *e)
{
	fake_init(&e->fg);
	if (!vmbus_server_add_device(&e->fg.h.srv, hv_device_class_find("echo"),
				     NULL, false))
		return -1;
	if (fake_connect(&e->fg, V53, true) != 1 ||
	    fake_request_offers(&e->fg, e->offers, 4) != 1)
		return -1;
	return fake_open(&e->fg, &e->offers[0], &e->fc, 2, 2);
}

/* Guest RAM the host may write for this channel: rings, SynIC pages. */
static bool hf_host_may_write(struct hf_env *e, uint64_t off)
{
	uint64_t ring0 = (uint8_t *)e->fc.out.ctl - e->fg.ram;
	uint64_t ring1 = (uint8_t *)e->fc.in.data + e->fc.in.size - e->fg.ram;

	if (off >= ring0 && off < ring1)
		return true;
	off &= ~(uint64_t)(HV_WIRE_PAGE_SIZE - 1);
	return off == e->fg.simp || off == e->fg.siefp ||
	       off == e->fg.monitor[0] || off == e->fg.monitor[1];
}

/* @n echo requests through a fuzzed channel; the guest drains as it goes. */
static void hf_traffic(struct hf_env *e, unsigned int n)
{
	struct hv_channel *ch = fake_host_channel(&e->fg, e->fc.relid);
	uint8_t msg[200];
	unsigned int i;
	bool signal;

	for (i = 0; i < n; i++) {
		memset(msg, i, sizeof(msg));
		if (!gring_write(&e->fc.out, VMBUS_PKT_DATA_INBAND,
				 VMBUS_PKT_FLAG_COMPLETION_REQUESTED, i, NULL,
				 0, msg, 8 + i % (sizeof(msg) - 8), &signal))
			fake_signal(&e->fg, &e->fc);
		vmbus_fuzz_round_end(&e->fg.h.srv);
		if (ch->open)
			e->fc.in.ctl->read_index = ch->in.index;
	}
}

TEST(test_hostfuzz_server_bounds,
     "hostfuzz: a fuzzed channel writes only its ring and SynIC pages")
{
	struct hv_buf out = { 0 };
	struct hf_env e;
	uint8_t *before;
	uint64_t off;

	ASSERT_EQ(0, hf_env_init(&e));
	before = malloc(FAKE_RAM_SIZE);
	CHECK(before);
	memcpy(before, e.fg.ram, FAKE_RAM_SIZE);
	CHECK(!strcmp(fake_ctl(&e.fg, "fuzz 11 3000 echo 1", &out), "OK\n"));
	hf_traffic(&e, 4000);
	fake_ctl(&e.fg, "fuzz status", &out);
	CHECK(strstr(out.s, "fuzz.done=3000\n"));
	CHECK(strstr(out.s, "fuzz.target.echo=3000\n"));
	for (off = 0; off < FAKE_RAM_SIZE; off++)
		if (e.fg.ram[off] != before[off] && !hf_host_may_write(&e, off))
			break;
	ASSERT_EQ(FAKE_RAM_SIZE, off);
	fake_ctl(&e.fg, "fuzz log 2", &out);
	CHECK(strstr(out.s, "seed=11 index=2998 target=echo relid="));
	CHECK(strstr(out.s, "seed=11 index=2999 target=echo relid="));
	free(before);
	hv_buf_free(&out);
	fake_destroy(&e.fg);
}

TEST(test_hostfuzz_replay, "hostfuzz: same seed and traffic, same ring bytes")
{
	static struct hf_env a, b;
	struct hv_buf out = { 0 };
	uint32_t size;

	ASSERT_EQ(0, hf_env_init(&a));
	ASSERT_EQ(0, hf_env_init(&b));
	fake_ctl(&a.fg, "fuzz 5 500 all 2", &out);
	fake_ctl(&b.fg, "fuzz 5 500 all 2", &out);
	hf_traffic(&a, 1000);
	hf_traffic(&b, 1000);
	size = a.fc.in.size;
	ASSERT_EQ(size, b.fc.in.size);
	CHECK(!memcmp(a.fc.in.data, b.fc.in.data, size));
	ASSERT_EQ(a.fc.in.ctl->write_index, b.fc.in.ctl->write_index);
	ASSERT_EQ(a.fg.h.srv.fuzz == NULL, false);
	hv_buf_free(&out);
	fake_destroy(&a.fg);
	fake_destroy(&b.fg);
}

TEST(test_hostfuzz_command, "hostfuzz: the fuzz command checks its words")
{
	static const char *const bad[] = {
		"fuzz", "fuzz x", "fuzz -1", "fuzz 1 0", "fuzz 1 10 bogus",
		"fuzz 1 10 echo,", "fuzz 1 10 echo 0", "fuzz status",
		"fuzz log", "fuzz stop now", "fuzz 1 2 3 4 5 6",
		"fuzz 1 2 echo 1 bogus", "fuzz 1 2 echo 1 bitflip,",
	};
	struct hv_buf out = { 0 };
	struct fake_guest *fg;
	unsigned int i;

	fg = calloc(1, sizeof(*fg));
	CHECK(fg);
	fake_init(fg);
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		if (strncmp(fake_ctl(fg, bad[i], &out), "ERR ", 4))
			break;
	ASSERT_EQ(ARRAY_SIZE(bad), i);
	CHECK(!strcmp(fake_ctl(fg, "fuzz 0x10 10 echo,vmbus,storvsc 2", &out),
		      "OK\n"));
	fake_ctl(fg, "fuzz status", &out);
	CHECK(strstr(out.s, "fuzz.seed=16\nfuzz.count=10\nfuzz.every=2\n"));
	CHECK(strstr(out.s, "fuzz.targets=0x7\nfuzz.kinds=0x3ff\n"));
	CHECK(!strcmp(fake_ctl(fg, "fuzz 1 10 echo 1 stale-id,reorder", &out),
		      "OK\n"));
	fake_ctl(fg, "fuzz status", &out);
	CHECK(strstr(out.s, "fuzz.kinds=0x30\n"));
	CHECK(!strcmp(fake_ctl(fg, "fuzz log 64", &out), "OK\n"));
	CHECK(!strncmp(fake_ctl(fg, "fuzz log 65", &out), "ERR ", 4));
	CHECK(!strcmp(fake_ctl(fg, "fuzz stop", &out), "OK\n"));
	CHECK(!fg->h.srv.fuzz);
	hv_buf_free(&out);
	fake_destroy(fg);
	free(fg);
}
