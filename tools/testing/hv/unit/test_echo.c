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

TEST(test_echo_inband, "echo: inband round trip")
{
	struct vmbus_packet_desc *d;
	struct echo_env e;
	uint8_t buf[512];
	unsigned int irqs;

	ASSERT_EQ(0, echo_env_init(&e, "echo", false, 2, 2));
	irqs = e.fg.nr_irqs;
	ASSERT_EQ(0, send_inband(&e, 0, 0x1234, "0123456789abc", 13));
	ASSERT_EQ(32, gring_read(&e.fc.in, buf, sizeof(buf)));
	d = (void *)buf;
	CHECK(d->type == VMBUS_PKT_DATA_INBAND && d->trans_id == 0x1234);
	CHECK(d->offset8 == 2 && d->flags == 0);
	CHECK(!memcmp(buf + 16, "0123456789abc\0\0", 16));
	ASSERT_EQ(irqs + 1, e.fg.nr_irqs);	/* event flag + MSI-X */
	ASSERT_EQ(1, host_ch(&e)->stats.rx_packets);
	ASSERT_EQ(1, host_ch(&e)->stats.tx_packets);
	ASSERT_EQ(1, host_ch(&e)->stats.event_signals);
	ASSERT_EQ(1, host_ch(&e)->stats.wake_nonempty);
	ASSERT_EQ(1, host_ch(&e)->stats.host_irqs);
	/* The wake that found the packet was answered: one turnaround. */
	ASSERT_EQ(1, host_ch(&e)->stats.turnarounds);
	CHECK(host_ch(&e)->stats.turnaround_ns > 0);
	CHECK(!host_ch(&e)->woken_ns);
	/* A wake with nothing to read starts none. */
	fake_signal(&e.fg, &e.fc);
	ASSERT_EQ(1, host_ch(&e)->stats.wake_empty);
	CHECK(!host_ch(&e)->woken_ns);
	ASSERT_EQ(1, host_ch(&e)->stats.turnarounds);
	fake_destroy(&e.fg);
}

TEST(test_echo_completion, "echo: COMPLETION_REQUESTED answered with COMP")
{
	struct vmbus_packet_desc *d;
	struct echo_env e;
	uint8_t buf[512];

	ASSERT_EQ(0, echo_env_init(&e, "echo", false, 2, 2));
	CHECK(send_inband(&e, VMBUS_PKT_FLAG_COMPLETION_REQUESTED, 99,
			  "ping", 4) == 0);
	ASSERT_EQ(24, gring_read(&e.fc.in, buf, sizeof(buf)));
	d = (void *)buf;
	CHECK(d->type == VMBUS_PKT_COMP && d->trans_id == 99 && !d->flags);
	CHECK(!memcmp(buf + 16, "ping", 4));
	fake_destroy(&e.fg);
}

/* A GPA-direct packet: two ranges, the first across a page boundary. */
static int send_gpa_direct(struct echo_env *e, uint64_t data_gpa,
			   uint64_t bad_pfn)
{
	struct gpa_ext2 ext = {
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

TEST(test_echo_gpa_direct,
     "echo: GPA-direct data appended after the inline payload")
{
	static uint8_t buf[8192];
	struct vmbus_packet_desc *d;
	struct echo_env e;
	uint64_t data;
	uint8_t *p;
	int i;

	ASSERT_EQ(0, echo_env_init(&e, "echo", false, 4, 4));
	data = fake_alloc(&e.fg, 3);
	p = fake_ptr(&e.fg, data);
	for (i = 0; i < 3 * 4096; i++)
		p[i] = i * 13 + 1;
	ASSERT_EQ(0, send_gpa_direct(&e, data, 0));
	ASSERT_EQ(16 + 5024, gring_read(&e.fc.in, buf, sizeof(buf)));
	d = (void *)buf;
	CHECK(d->type == VMBUS_PKT_DATA_INBAND && d->trans_id == 7);
	CHECK(!memcmp(buf + 16, "INLINE!!", 8));
	CHECK(!memcmp(buf + 24, p + 100, 5000));
	CHECK(!memcmp(buf + 5024, p + 8192, 10));
	CHECK(buf[5034] == 0 && buf[5039] == 0);
	fake_destroy(&e.fg);
}

TEST(test_echo_gpa_direct_bad_pfn,
     "echo: GPA-direct page outside RAM not answered")
{
	struct echo_env e;
	uint8_t buf[512];
	uint64_t data;

	ASSERT_EQ(0, echo_env_init(&e, "echo", false, 4, 4));
	data = fake_alloc(&e.fg, 3);
	ASSERT_EQ(0, send_gpa_direct(&e, data, FAKE_RAM_SIZE >> 12));
	ASSERT_EQ(-1, gring_read(&e.fc.in, buf, sizeof(buf)));	/* no reply */
	ASSERT_EQ(1, host_ch(&e)->stats.bad_packets);
	ASSERT_EQ(1, host_ch(&e)->stats.rx_packets);	/* consumed */
	/* The channel still works. */
	ASSERT_EQ(0, send_inband(&e, 0, 1, "ok", 2));
	ASSERT_EQ(24, gring_read(&e.fc.in, buf, sizeof(buf)));
	fake_destroy(&e.fg);
}

/*
 * 40 requests into an inbound ring that holds 18 replies: the host stops
 * reading, waits for the guest to make room, and loses nothing.
 */
TEST(test_echo_backpressure,
     "echo: full inbound ring blocks reading, nothing lost")
{
	uint8_t payload[200], buf[512];
	struct vmbus_packet_desc *d;
	unsigned int sent = 0, got = 0;
	struct echo_env e;
	bool signal;
	int n;

	ASSERT_EQ(0, echo_env_init(&e, "echo", false, 8, 2));
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
	ASSERT_EQ(224, e.fc.in.ctl->pending_send_sz);
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
	ASSERT_EQ(40, host_ch(&e)->stats.rx_packets);
	ASSERT_EQ(40, host_ch(&e)->stats.tx_packets);
	CHECK(!host_ch(&e)->blocked);
	fake_destroy(&e.fg);
}

/* Monitored notification: the pending bit is the signal. */
TEST(test_echo_monitor, "echo: monitor page pending bit is a signal")
{
	struct vmbus_monitor_page *mp;
	struct echo_env e;
	uint8_t buf[64];

	ASSERT_EQ(0, echo_env_init(&e, "echo", true, 2, 2));
	CHECK(e.fc.monitor_id != VMBUS_NO_MONITOR_ID);
	ASSERT_EQ(0, send_inband(&e, 0, 5, "mnf", 3));
	mp = fake_ptr(&e.fg, e.fg.monitor[1]);
	ASSERT_EQ(0, mp->trigger_group[0].pending);	/* taken */
	ASSERT_EQ(24, gring_read(&e.fc.in, buf, sizeof(buf)));
	ASSERT_EQ(1, host_ch(&e)->stats.monitor_signals);
	ASSERT_EQ(0, host_ch(&e)->stats.event_signals);
	/* A poll with nothing pending does nothing. */
	vmbus_server_poll_monitor(&e.fg.h.srv);
	ASSERT_EQ(1, host_ch(&e)->stats.monitor_signals);
	fake_destroy(&e.fg);
}

/* The batched read: packets written while masked are not left behind. */
TEST(test_echo_batch, "echo: many packets, one signal each, mask cleared")
{
	struct echo_env e;
	uint8_t buf[64];
	int i;

	ASSERT_EQ(0, echo_env_init(&e, "echo", false, 4, 4));
	for (i = 0; i < 10; i++)
		ASSERT_EQ(0, send_inband(&e, 0, i, "batch", 5));
	for (i = 0; i < 10; i++)
		ASSERT_EQ(24, gring_read(&e.fc.in, buf, sizeof(buf)));
	ASSERT_EQ(10, host_ch(&e)->stats.rx_packets);
	ASSERT_EQ(10, host_ch(&e)->stats.event_signals);
	ASSERT_EQ(0, e.fc.out.ctl->interrupt_mask);
	fake_destroy(&e.fg);
}

TEST(test_echo_broken_ring, "echo: broken ring stops the channel")
{
	struct echo_env e;
	uint8_t buf[64];

	ASSERT_EQ(0, echo_env_init(&e, "echo", false, 2, 2));
	e.fc.out.ctl->write_index = 12;
	fake_signal(&e.fg, &e.fc);
	CHECK(host_ch(&e)->out.broken);
	ASSERT_EQ(0, host_ch(&e)->stats.rx_packets);
	e.fc.out.ctl->write_index = 0;		/* too late */
	ASSERT_EQ(0, send_inband(&e, 0, 1, "x", 1));
	fake_signal(&e.fg, &e.fc);
	ASSERT_EQ(-1, gring_read(&e.fc.in, buf, sizeof(buf)));
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

TEST(test_echo_gpadl_read,
     "echo: GPADL_READ reads this channel's GPADL, refuses others")
{
	static uint8_t buf[8192];
	const struct echo_ctl *c = (const void *)(buf + 16);
	struct echo_env e;
	uint64_t gpa;
	uint8_t *p;
	uint32_t i;

	ASSERT_EQ(0, echo_env_init(&e, "echo", false, 4, 4));
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
TEST(test_echo_ping, "echo: PING's completion checked by id and payload")
{
	const struct echo_ctl *c;
	struct vmbus_packet_desc *d;
	struct echo_env e;
	uint8_t buf[128];
	struct echo_ctl ans;
	bool signal;
	uint64_t id;

	ASSERT_EQ(0, echo_env_init(&e, "echo", false, 2, 2));
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
