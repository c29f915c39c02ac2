// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the echo device and the channel data path over a fake
 * guest's rings: inband, completions, GPA-direct, back-pressure, both
 * signal paths, and the placeholder devices.
 */
#include <string.h>

#include <hyperv/echo.h>

#include "unit.h"

#define V53	VMBUS_VERSION(5, 3)

struct echo_env {
	struct fake_guest fg;
	struct vmbus_msg_offer offers[4];
	struct fake_channel fc;
};

/* One device of @cls, connected and opened with the given ring sizes. */
static int echo_env_init(struct echo_env *e, const char *cls, bool monitor,
			 uint32_t out_pages, uint32_t in_pages)
{
	fake_init(&e->fg);
	if (!vmbus_server_add_device(&e->fg.h.srv, hv_device_class_find(cls),
				     NULL, monitor))
		return -1;
	if (fake_connect(&e->fg, V53, true) != 1 ||
	    fake_request_offers(&e->fg, e->offers, 4) != 1)
		return -1;
	return fake_open(&e->fg, &e->offers[0], &e->fc, out_pages, in_pages);
}

static struct hv_channel *host_ch(struct echo_env *e)
{
	return fake_host_channel(&e->fg, e->fc.relid);
}

static int send_inband(struct echo_env *e, uint16_t flags, uint64_t id,
		       const void *p, uint32_t len)
{
	bool signal;

	if (gring_write(&e->fc.out, VMBUS_PKT_DATA_INBAND, flags, id, NULL, 0,
			p, len, &signal))
		return -1;
	if (signal)
		fake_signal(&e->fg, &e->fc);
	return 0;
}

static void test_echo_inband(void)
{
	struct vmbus_packet_desc *d;
	struct echo_env e;
	uint8_t buf[512];
	unsigned int irqs;

	CHECK(echo_env_init(&e, "echo", false, 2, 2) == 0);
	irqs = e.fg.nr_irqs;
	CHECK(send_inband(&e, 0, 0x1234, "0123456789abc", 13) == 0);
	CHECK(gring_read(&e.fc.in, buf, sizeof(buf)) == 32);
	d = (void *)buf;
	CHECK(d->type == VMBUS_PKT_DATA_INBAND && d->trans_id == 0x1234);
	CHECK(d->offset8 == 2 && d->flags == 0);
	CHECK(!memcmp(buf + 16, "0123456789abc\0\0", 16));
	CHECK(e.fg.nr_irqs == irqs + 1);	/* event flag + MSI-X */
	CHECK(host_ch(&e)->stats.rx_packets == 1);
	CHECK(host_ch(&e)->stats.tx_packets == 1);
	CHECK(host_ch(&e)->stats.event_signals == 1);
	CHECK(host_ch(&e)->stats.wake_nonempty == 1);
	CHECK(host_ch(&e)->stats.host_irqs == 1);
	fake_destroy(&e.fg);
}

static void test_echo_completion(void)
{
	struct vmbus_packet_desc *d;
	struct echo_env e;
	uint8_t buf[512];

	CHECK(echo_env_init(&e, "echo", false, 2, 2) == 0);
	CHECK(send_inband(&e, VMBUS_PKT_FLAG_COMPLETION_REQUESTED, 99,
			  "ping", 4) == 0);
	CHECK(gring_read(&e.fc.in, buf, sizeof(buf)) == 24);
	d = (void *)buf;
	CHECK(d->type == VMBUS_PKT_COMP && d->trans_id == 99 && !d->flags);
	CHECK(!memcmp(buf + 16, "ping", 4));
	fake_destroy(&e.fg);
}

/* A GPA-direct packet: two ranges, the first across a page boundary. */
static int send_gpa_direct(struct echo_env *e, uint64_t data_gpa,
			   uint64_t bad_pfn)
{
	struct {
		uint32_t reserved;
		uint32_t range_cnt;
		uint32_t r1_count, r1_offset;
		uint64_t r1_pfn[2];
		uint32_t r2_count, r2_offset;
		uint64_t r2_pfn[1];
	} __packed ext = {
		.range_cnt = 2,
		.r1_count = 5000, .r1_offset = 100,
		.r1_pfn = { data_gpa >> 12, (data_gpa >> 12) + 1 },
		.r2_count = 10, .r2_offset = 0,
		.r2_pfn = { bad_pfn ? bad_pfn : (data_gpa >> 12) + 2 },
	};
	bool signal;

	if (gring_write(&e->fc.out, VMBUS_PKT_DATA_USING_GPA_DIRECT, 0, 7,
			&ext, sizeof(ext), "INLINE!!", 8, &signal))
		return -1;
	fake_signal(&e->fg, &e->fc);
	return 0;
}

static void test_echo_gpa_direct(void)
{
	static uint8_t buf[8192];
	struct vmbus_packet_desc *d;
	struct echo_env e;
	uint64_t data;
	uint8_t *p;
	int i;

	CHECK(echo_env_init(&e, "echo", false, 4, 4) == 0);
	data = fake_alloc(&e.fg, 3);
	p = fake_ptr(&e.fg, data);
	for (i = 0; i < 3 * 4096; i++)
		p[i] = i * 13 + 1;
	CHECK(send_gpa_direct(&e, data, 0) == 0);
	CHECK(gring_read(&e.fc.in, buf, sizeof(buf)) == 16 + 5024);
	d = (void *)buf;
	CHECK(d->type == VMBUS_PKT_DATA_INBAND && d->trans_id == 7);
	CHECK(!memcmp(buf + 16, "INLINE!!", 8));
	CHECK(!memcmp(buf + 24, p + 100, 5000));
	CHECK(!memcmp(buf + 5024, p + 8192, 10));
	CHECK(buf[5034] == 0 && buf[5039] == 0);
	fake_destroy(&e.fg);
}

static void test_echo_gpa_direct_bad_pfn(void)
{
	struct echo_env e;
	uint8_t buf[512];
	uint64_t data;

	CHECK(echo_env_init(&e, "echo", false, 4, 4) == 0);
	data = fake_alloc(&e.fg, 3);
	CHECK(send_gpa_direct(&e, data, FAKE_RAM_SIZE >> 12) == 0);
	CHECK(gring_read(&e.fc.in, buf, sizeof(buf)) == -1);	/* no reply */
	CHECK(host_ch(&e)->stats.bad_packets == 1);
	CHECK(host_ch(&e)->stats.rx_packets == 1);	/* consumed */
	/* The channel still works. */
	CHECK(send_inband(&e, 0, 1, "ok", 2) == 0);
	CHECK(gring_read(&e.fc.in, buf, sizeof(buf)) == 24);
	fake_destroy(&e.fg);
}

/*
 * 40 requests into an inbound ring that holds 18 replies: the host stops
 * reading, waits for the guest to make room, and loses nothing.
 */
static void test_echo_backpressure(void)
{
	uint8_t payload[200], buf[512];
	struct vmbus_packet_desc *d;
	unsigned int sent = 0, got = 0;
	struct echo_env e;
	bool signal;
	int n;

	CHECK(echo_env_init(&e, "echo", false, 8, 2) == 0);
	for (sent = 0; sent < 40; sent++) {
		memset(payload, sent, sizeof(payload));
		CHECK(gring_write(&e.fc.out, VMBUS_PKT_DATA_INBAND, 0, sent,
				  NULL, 0, payload, sizeof(payload),
				  &signal) == 0);
		if (signal)
			fake_signal(&e.fg, &e.fc);
	}
	CHECK(host_ch(&e)->stats.ring_full_waits >= 1);
	CHECK(host_ch(&e)->blocked);
	CHECK(e.fc.in.ctl->pending_send_sz == 224);
	CHECK(gring_used(&e.fc.out) > 0);	/* requests left unread */
	while (got < 40) {
		n = gring_read(&e.fc.in, buf, sizeof(buf));
		if (n < 0) {
			CHECK(e.fc.in.ctl->pending_send_sz);
			fake_signal(&e.fg, &e.fc);
			n = gring_read(&e.fc.in, buf, sizeof(buf));
			CHECK(n > 0);
		}
		d = (void *)buf;
		CHECK(n == 216 && d->trans_id == got);
		CHECK(buf[16] == got && buf[215] == got);
		got++;
	}
	CHECK(host_ch(&e)->stats.rx_packets == 40);
	CHECK(host_ch(&e)->stats.tx_packets == 40);
	CHECK(!host_ch(&e)->blocked);
	fake_destroy(&e.fg);
}

/* Monitored notification: the pending bit is the signal. */
static void test_echo_monitor(void)
{
	struct vmbus_monitor_page *mp;
	struct echo_env e;
	uint8_t buf[64];

	CHECK(echo_env_init(&e, "echo", true, 2, 2) == 0);
	CHECK(e.fc.monitor_id != VMBUS_NO_MONITOR_ID);
	CHECK(send_inband(&e, 0, 5, "mnf", 3) == 0);
	mp = fake_ptr(&e.fg, e.fg.monitor[1]);
	CHECK(mp->trigger_group[0].pending == 0);	/* taken */
	CHECK(gring_read(&e.fc.in, buf, sizeof(buf)) == 24);
	CHECK(host_ch(&e)->stats.monitor_signals == 1);
	CHECK(host_ch(&e)->stats.event_signals == 0);
	/* A poll with nothing pending does nothing. */
	vmbus_server_poll_monitor(&e.fg.h.srv);
	CHECK(host_ch(&e)->stats.monitor_signals == 1);
	fake_destroy(&e.fg);
}

/* The batched read: packets written while masked are not left behind. */
static void test_echo_batch(void)
{
	struct echo_env e;
	uint8_t buf[64];
	int i;

	CHECK(echo_env_init(&e, "echo", false, 4, 4) == 0);
	for (i = 0; i < 10; i++)
		CHECK(send_inband(&e, 0, i, "batch", 5) == 0);
	for (i = 0; i < 10; i++)
		CHECK(gring_read(&e.fc.in, buf, sizeof(buf)) == 24);
	CHECK(host_ch(&e)->stats.rx_packets == 10);
	CHECK(host_ch(&e)->stats.event_signals == 10);
	CHECK(e.fc.out.ctl->interrupt_mask == 0);
	fake_destroy(&e.fg);
}

static void test_echo_broken_ring(void)
{
	struct echo_env e;
	uint8_t buf[64];

	CHECK(echo_env_init(&e, "echo", false, 2, 2) == 0);
	e.fc.out.ctl->write_index = 12;
	fake_signal(&e.fg, &e.fc);
	CHECK(host_ch(&e)->out.broken);
	CHECK(host_ch(&e)->stats.rx_packets == 0);
	e.fc.out.ctl->write_index = 0;		/* too late */
	CHECK(send_inband(&e, 0, 1, "x", 1) == 0);
	fake_signal(&e.fg, &e.fc);
	CHECK(gring_read(&e.fc.in, buf, sizeof(buf)) == -1);
	fake_destroy(&e.fg);
}

static void test_stub_device(void)
{
	struct echo_env e;
	uint8_t buf[64];

	CHECK(echo_env_init(&e, "ide", false, 2, 2) == 0);
	CHECK(send_inband(&e, VMBUS_PKT_FLAG_COMPLETION_REQUESTED, 1, "cdb",
			  3) == 0);
	CHECK(send_inband(&e, 0, 2, "cdb", 3) == 0);
	CHECK(gring_read(&e.fc.in, buf, sizeof(buf)) == -1);
	CHECK(host_ch(&e)->stats.rx_packets == 2);
	CHECK(gring_used(&e.fc.out) == 0);
	fake_destroy(&e.fg);
}

/* Control requests (include/hyperv/echo.h). */
static int send_ctl(struct echo_env *e, uint32_t op, uint32_t gpadl,
		    uint32_t len, uint64_t token)
{
	struct echo_ctl c = {
		.magic = ECHO_CTL_MAGIC, .op = op, .gpadl = gpadl, .len = len,
		.token = token,
	};

	return send_inband(e, 0, 0, &c, sizeof(c));
}

static void test_echo_gpadl_read(void)
{
	static uint8_t buf[8192];
	const struct echo_ctl *c = (const void *)(buf + 16);
	struct echo_env e;
	uint64_t gpa;
	uint8_t *p;
	uint32_t i;

	CHECK(echo_env_init(&e, "echo", false, 4, 4) == 0);
	gpa = fake_alloc(&e.fg, 2);
	p = fake_ptr(&e.fg, gpa);
	for (i = 0; i < 2 * HV_WIRE_PAGE_SIZE; i++)
		p[i] = (uint8_t)(i * 7 + 3);
	CHECK(fake_create_gpadl(&e.fg, e.fc.relid, 0x777, gpa, 2) == 0);
	CHECK(send_ctl(&e, ECHO_CTL_GPADL_READ, 0x777, 5000, 0) == 0);
	CHECK(gring_read(&e.fc.in, buf, sizeof(buf)) == 16 + 5000);
	CHECK(!memcmp(buf + 16, p, 5000));
	/* Unknown handle, and longer than the GPADL: refused. */
	CHECK(send_ctl(&e, ECHO_CTL_GPADL_READ, 0x778, 16, 0) == 0);
	CHECK(gring_read(&e.fc.in, buf, sizeof(buf)) == 48);
	CHECK(c->op == ECHO_CTL_GPADL_READ && c->status == 1);
	CHECK(send_ctl(&e, ECHO_CTL_GPADL_READ, 0x777, 8193, 0) == 0);
	CHECK(gring_read(&e.fc.in, buf, sizeof(buf)) == 48);
	CHECK(c->status == 1);
	fake_destroy(&e.fg);
}

/* The host's ping: answered by a completion of the right id only. */
static void test_echo_ping(void)
{
	const struct echo_ctl *c;
	struct vmbus_packet_desc *d;
	struct echo_env e;
	uint8_t buf[128];
	struct echo_ctl ans;
	bool signal;
	uint64_t id;

	CHECK(echo_env_init(&e, "echo", false, 2, 2) == 0);
	d = (void *)buf;
	c = (const void *)(buf + 16);
	CHECK(send_ctl(&e, ECHO_CTL_PING, 0, 0, 0x1122) == 0);
	CHECK(gring_read(&e.fc.in, buf, sizeof(buf)) == 48);
	CHECK(d->type == VMBUS_PKT_DATA_INBAND &&
	      d->flags == VMBUS_PKT_FLAG_COMPLETION_REQUESTED);
	CHECK(c->op == ECHO_CTL_PING && c->token == 0x1122);
	id = d->trans_id;
	ans = *c;
	CHECK(gring_write(&e.fc.out, VMBUS_PKT_COMP, 0, id, NULL, 0, &ans,
			  sizeof(ans), &signal) == 0);
	fake_signal(&e.fg, &e.fc);
	CHECK(gring_read(&e.fc.in, buf, sizeof(buf)) == 48);
	CHECK(c->op == ECHO_CTL_PING_RESULT && c->status == 0 &&
	      c->token == 0x1122);
	/* A completion with another id fails the ping. */
	CHECK(send_ctl(&e, ECHO_CTL_PING, 0, 0, 0x3344) == 0);
	CHECK(gring_read(&e.fc.in, buf, sizeof(buf)) == 48);
	CHECK(d->trans_id == id + 1);
	ans = *c;
	CHECK(gring_write(&e.fc.out, VMBUS_PKT_COMP, 0, id, NULL, 0, &ans,
			  sizeof(ans), &signal) == 0);
	fake_signal(&e.fg, &e.fc);
	CHECK(gring_read(&e.fc.in, buf, sizeof(buf)) == 48);
	CHECK(c->op == ECHO_CTL_PING_RESULT && c->status == 1);
	/* With no ping out, a completion answers nothing. */
	CHECK(gring_write(&e.fc.out, VMBUS_PKT_COMP, 0, id, NULL, 0, &ans,
			  sizeof(ans), &signal) == 0);
	fake_signal(&e.fg, &e.fc);
	CHECK(gring_read(&e.fc.in, buf, sizeof(buf)) == -1);
	CHECK(host_ch(&e)->stats.bad_packets == 1);
	fake_destroy(&e.fg);
}

UNIT_SUITE(echo_tests) = {
	{ "echo: inband round trip", test_echo_inband },
	{ "echo: COMPLETION_REQUESTED answered with COMP",
	  test_echo_completion },
	{ "echo: GPA-direct data appended after the inline payload",
	  test_echo_gpa_direct },
	{ "echo: GPA-direct page outside RAM not answered",
	  test_echo_gpa_direct_bad_pfn },
	{ "echo: full inbound ring blocks reading, nothing lost",
	  test_echo_backpressure },
	{ "echo: monitor page pending bit is a signal", test_echo_monitor },
	{ "echo: many packets, one signal each, mask cleared",
	  test_echo_batch },
	{ "echo: broken ring stops the channel", test_echo_broken_ring },
	{ "echo: GPADL_READ reads this channel's GPADL, refuses others",
	  test_echo_gpadl_read },
	{ "echo: PING's completion checked by id and payload",
	  test_echo_ping },
	{ "stub: ide channel opens and ignores packets", test_stub_device },
	{ NULL, NULL },
};
