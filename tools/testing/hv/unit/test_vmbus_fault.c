// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of VMBus fault injection (`fault vmbus`, vmbus_fault.c): each
 * fault reaches the fake guest exactly as documented, relids of refused
 * offers stay reserved until released, and drop-* faults swallow answers.
 */
#include <stdlib.h>
#include <string.h>

#include "unit.h"

#define ECHO_GUID	"11111111-2222-4333-8444-5555555555fa"

static bool is_ok(const char *reply)
{
	size_t n = strlen(reply);

	return n >= 3 && !strcmp(reply + n - 3, "OK\n");
}

static bool is_err(const char *reply)
{
	return !strncmp(reply, "ERR ", 4);
}

/* A guest connected at 5.3 that has the offer of one echo device. */
static int connect_with_echo(struct fake_guest *fg,
			     struct vmbus_msg_offer *offer)
{
	struct hv_buf out = { 0 };
	int ret;

	fake_init(fg);
	ret = is_ok(fake_ctl(fg, "offer echo " ECHO_GUID, &out)) ? 0 : -1;
	hv_buf_free(&out);
	if (ret || fake_connect(fg, VMBUS_VERSION(5, 3), true) != 1 ||
	    fake_request_offers(fg, offer, 1) != 1)
		return -1;
	return 0;
}

/* The next message: its type and length. */
static int recv_msg(struct fake_guest *fg, void *buf, uint32_t *type)
{
	int n = fake_recv(fg, buf, HV_TLFS_MESSAGE_PAYLOAD_SIZE);

	*type = n >= 4 ? ((struct vmbus_msg_header *)buf)->msgtype : 0;
	return n;
}

static uint64_t stat_of(struct fake_guest *fg, const char *key)
{
	struct hv_buf out = { 0 };
	char pat[64];
	const char *p;
	uint64_t v = ~0ULL;

	snprintf(pat, sizeof(pat), "\n%s=", key);
	p = strstr(fake_ctl(fg, "stats", &out), pat);
	if (p)
		v = strtoull(p + strlen(pat), NULL, 10);
	hv_buf_free(&out);
	return v;
}

TEST(test_fault_messages,
     "vmbus fault: bad, short, unknown and unsolicited messages")
{
	uint8_t buf[HV_TLFS_MESSAGE_PAYLOAD_SIZE];
	struct vmbus_msg_offer offer, *o = (void *)buf;
	struct vmbus_msg_relid *r = (void *)buf;
	struct hv_buf out = { 0 };
	struct fake_guest fg;
	uint32_t type;

	fake_init(&fg);
	CHECK(is_err(fake_ctl(&fg, "fault vmbus unknown-msg", &out)));
	fake_destroy(&fg);
	ASSERT_EQ(0, connect_with_echo(&fg, &offer));

	CHECK(is_ok(fake_ctl(&fg, "fault vmbus unknown-msg 2", &out)));
	CHECK(recv_msg(&fg, buf, &type) == 12 && type == 30);
	CHECK(recv_msg(&fg, buf, &type) == 12 && type == 30);
	CHECK(is_ok(fake_ctl(&fg, "fault vmbus msg-too-big", &out)));
	CHECK(recv_msg(&fg, buf, &type) == 241 &&
	      type == VMBUS_MSG_ALLOFFERS_DELIVERED);
	CHECK(is_ok(fake_ctl(&fg, "fault vmbus short-offer", &out)));
	CHECK(recv_msg(&fg, buf, &type) == 100 &&
	      type == VMBUS_MSG_OFFERCHANNEL);
	CHECK(is_ok(fake_ctl(&fg, "fault vmbus short-rescind", &out)));
	CHECK(recv_msg(&fg, buf, &type) == 8 &&
	      type == VMBUS_MSG_RESCIND_CHANNELOFFER);

	CHECK(!strcmp(fake_ctl(&fg, "fault vmbus offer-relid-0", &out),
		      "relid=0\nOK\n"));
	CHECK(recv_msg(&fg, buf, &type) == sizeof(*o) && !o->child_relid);
	CHECK(!strcmp(fake_ctl(&fg, "fault vmbus offer-relid-high", &out),
		      "relid=2048\nOK\n"));
	CHECK(recv_msg(&fg, buf, &type) == sizeof(*o) &&
	      o->child_relid == 2048);
	CHECK(!strcmp(fake_ctl(&fg, "fault vmbus offer-relid-used", &out),
		      "relid=1\nOK\n"));
	CHECK(recv_msg(&fg, buf, &type) == sizeof(*o) &&
	      o->child_relid == 1 &&
	      !hv_guid_equal(&o->if_instance, &offer.if_instance));

	/* Refused offers keep their relids from real devices. */
	CHECK(!strcmp(fake_ctl(&fg, "fault vmbus offer-dup", &out),
		      "relid=2047\nOK\n"));
	CHECK(recv_msg(&fg, buf, &type) == sizeof(*o) &&
	      o->child_relid == 2047 && !o->sub_channel_index &&
	      hv_guid_equal(&o->if_instance, &offer.if_instance) &&
	      hv_guid_equal(&o->if_type, &offer.if_type));
	CHECK(!strcmp(fake_ctl(&fg, "fault vmbus offer-orphan", &out),
		      "relid=2046\nOK\n"));
	CHECK(recv_msg(&fg, buf, &type) == sizeof(*o) &&
	      o->child_relid == 2046 && o->sub_channel_index == 1);
	ASSERT_EQ(2, stat_of(&fg, "vmbus.fault_relids_held"));
	CHECK(!strcmp(fake_ctl(&fg, "fault vmbus rescind-unknown", &out),
		      "relid=2045\nOK\n"));
	CHECK(recv_msg(&fg, buf, &type) == sizeof(*r) &&
	      type == VMBUS_MSG_RESCIND_CHANNELOFFER && r->child_relid == 2045);
	CHECK(fake_recv(&fg, buf, sizeof(buf)) < 0);

	/* Released before its rescind: a guest bug, the relid stays held. */
	r->header.msgtype = VMBUS_MSG_RELID_RELEASED;
	r->child_relid = 2046;
	fake_post(&fg, VMBUS_MESSAGE_CONNECTION_ID, r, sizeof(*r));
	ASSERT_EQ(2, stat_of(&fg, "vmbus.fault_relids_held"));
	CHECK(!strcmp(fake_ctl(&fg, "fault vmbus rescind-refused 2", &out),
		      "relid=2046\nrelid=2047\nOK\n"));
	CHECK(recv_msg(&fg, buf, &type) == sizeof(*r) &&
	      r->child_relid == 2046);
	CHECK(recv_msg(&fg, buf, &type) == sizeof(*r) &&
	      r->child_relid == 2047);
	CHECK(is_err(fake_ctl(&fg, "fault vmbus rescind-refused", &out)));
	r->header.msgtype = VMBUS_MSG_RELID_RELEASED;
	r->child_relid = 2047;
	fake_post(&fg, VMBUS_MESSAGE_CONNECTION_ID, r, sizeof(*r));
	ASSERT_EQ(1, stat_of(&fg, "vmbus.fault_relids_held"));
	ASSERT_EQ(1, stat_of(&fg, "vmbus.fault_relids_released"));

	CHECK(is_ok(fake_ctl(&fg, "fault vmbus gpadl-created", &out)));
	CHECK(recv_msg(&fg, buf, &type) == 20 &&
	      type == VMBUS_MSG_GPADL_CREATED);
	CHECK(is_ok(fake_ctl(&fg, "fault vmbus gpadl-torndown", &out)));
	CHECK(recv_msg(&fg, buf, &type) == 12 &&
	      type == VMBUS_MSG_GPADL_TORNDOWN);
	CHECK(is_ok(fake_ctl(&fg, "fault vmbus open-result", &out)));
	CHECK(recv_msg(&fg, buf, &type) == 20 &&
	      type == VMBUS_MSG_OPENCHANNEL_RESULT);
	CHECK(is_ok(fake_ctl(&fg, "fault vmbus version-response", &out)));
	CHECK(recv_msg(&fg, buf, &type) == 16 &&
	      type == VMBUS_MSG_VERSION_RESPONSE);
	CHECK(fake_recv(&fg, buf, sizeof(buf)) < 0);
	ASSERT_EQ(17, stat_of(&fg, "vmbus.faults_sent"));

	/* A disconnect forgets the relids the guest never released. */
	r->header.msgtype = VMBUS_MSG_UNLOAD;
	fake_post(&fg, VMBUS_MESSAGE_CONNECTION_ID, r, sizeof(r->header));
	ASSERT_EQ(0, stat_of(&fg, "vmbus.fault_relids_held"));
	hv_buf_free(&out);
	fake_destroy(&fg);
}

static bool ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), t = strlen(tail);

	return n >= t && !strcmp(s + n - t, tail);
}

TEST(test_fault_relid_reserved,
     "vmbus fault: refused offers keep their relids from devices")
{
	uint8_t buf[HV_TLFS_MESSAGE_PAYLOAD_SIZE];
	struct vmbus_msg_offer offer;
	struct hv_buf out = { 0 };
	struct fake_guest fg;
	unsigned int i;

	ASSERT_EQ(0, connect_with_echo(&fg, &offer));
	/* Reserve every relid but 2..4, then hot-add: they get 2..4. */
	for (i = 0; i < VMBUS_SERVER_MAX_RELID - 4; i++) {
		CHECK(is_ok(fake_ctl(&fg, "fault vmbus offer-orphan", &out)));
		while (fake_recv(&fg, buf, sizeof(buf)) >= 0)
			;
	}
	CHECK(ends_with(fake_ctl(&fg, "offer echo", &out), "relid=2\nOK\n"));
	CHECK(is_ok(fake_ctl(&fg, "offer echo", &out)));
	CHECK(is_ok(fake_ctl(&fg, "offer echo", &out)));
	CHECK(is_err(fake_ctl(&fg, "offer echo", &out)));
	CHECK(is_err(fake_ctl(&fg, "fault vmbus offer-orphan", &out)));
	hv_buf_free(&out);
	fake_destroy(&fg);
}

TEST(test_fault_drop,
     "vmbus fault: dropped GPADL_CREATED, GPADL_TORNDOWN, OPEN_RESULT")
{
	struct vmbus_msg_gpadl_teardown td = {
		.header.msgtype = VMBUS_MSG_GPADL_TEARDOWN,
		.child_relid = 1,
	};
	uint8_t buf[HV_TLFS_MESSAGE_PAYLOAD_SIZE];
	struct vmbus_msg_offer offer;
	struct fake_channel fc;
	struct hv_buf out = { 0 };
	struct fake_guest fg;
	uint64_t gpa;
	uint32_t type;

	ASSERT_EQ(0, connect_with_echo(&fg, &offer));
	gpa = fake_alloc(&fg, 4);
	CHECK(is_ok(fake_ctl(&fg, "fault vmbus drop-gpadl-created", &out)));
	ASSERT_EQ(-1, fake_create_gpadl(&fg, 1, 0x100, gpa, 4));
	ASSERT_EQ(0, fake_create_gpadl(&fg, 1, 0x101, gpa, 4));
	CHECK(is_ok(fake_ctl(&fg, "fault vmbus drop-gpadl-torndown 1", &out)));
	td.gpadl = 0x100;
	fake_post(&fg, VMBUS_MESSAGE_CONNECTION_ID, &td, sizeof(td));
	CHECK(fake_recv(&fg, buf, sizeof(buf)) < 0);
	td.gpadl = 0x101;
	fake_post(&fg, VMBUS_MESSAGE_CONNECTION_ID, &td, sizeof(td));
	CHECK(recv_msg(&fg, buf, &type) == 12 &&
	      type == VMBUS_MSG_GPADL_TORNDOWN);
	/* The host opens; only the answer is lost. */
	CHECK(is_ok(fake_ctl(&fg, "fault vmbus drop-open-result", &out)));
	ASSERT_EQ(-1, fake_open(&fg, &offer, &fc, 4, 4));
	CHECK(fake_host_channel(&fg, 1)->open);
	ASSERT_EQ(3, stat_of(&fg, "vmbus.faults_sent"));
	hv_buf_free(&out);
	fake_destroy(&fg);
}

/*
 * What the host wrote to the guest's inbound ring since the guest last
 * read: the first descriptor and the byte count. Consumes it all, without
 * trusting the descriptor.
 */
static uint32_t ring_take(struct gring *r, struct vmbus_packet_desc *d)
{
	uint32_t rd = r->ctl->read_index, n = gring_used(r), i;

	for (i = 0; i < sizeof(*d); i++)
		((uint8_t *)d)[i] = r->data[(rd + i) % r->size];
	r->ctl->read_index = r->ctl->write_index;
	return n;
}

TEST(test_fault_ring,
     "vmbus fault: bad indices, descriptors, types and completions")
{
	struct vmbus_msg_offer offer;
	struct vmbus_packet_desc d;
	struct fake_channel fc;
	struct hv_buf out = { 0 };
	struct fake_guest fg;
	struct hv_channel *ch;
	uint64_t signals, word = 0;
	uint8_t pkt[64];
	uint32_t w;
	bool sig;

	ASSERT_EQ(0, connect_with_echo(&fg, &offer));
	CHECK(is_err(fake_ctl(&fg, "fault vmbus pkt-type", &out)));
	ASSERT_EQ(0, fake_open(&fg, &offer, &fc, 4, 4));
	ch = fake_host_channel(&fg, 1);
	signals = ch->stats.host_signals;

	CHECK(is_ok(fake_ctl(&fg, "fault vmbus comp-unknown", &out)));
	CHECK(ring_take(&fc.in, &d) == 32 && d.type == VMBUS_PKT_COMP &&
	      d.offset8 == 2 && d.len8 == 3 &&
	      d.trans_id == 0xfa17fa17fa17fa17ULL);
	ASSERT_EQ(signals + 1, ch->stats.host_signals);
	CHECK(is_ok(fake_ctl(&fg, "fault vmbus pkt-type 2 " ECHO_GUID, &out)));
	CHECK(ring_take(&fc.in, &d) == 64 && d.type == 8 && d.len8 == 3);
	CHECK(is_ok(fake_ctl(&fg, "fault vmbus xfer-range", &out)));
	CHECK(ring_take(&fc.in, &d) == 40 &&
	      d.type == VMBUS_PKT_DATA_USING_XFER_PAGES && d.offset8 == 3 &&
	      d.len8 == 4);
	CHECK(is_ok(fake_ctl(&fg, "fault vmbus pkt-offset", &out)));
	CHECK(ring_take(&fc.in, &d) == 32 && d.offset8 == 1 && d.len8 == 3);
	CHECK(is_ok(fake_ctl(&fg, "fault vmbus pkt-len", &out)));
	CHECK(ring_take(&fc.in, &d) == 32 && d.offset8 == 3 && d.len8 == 2);
	CHECK(is_ok(fake_ctl(&fg, "fault vmbus pkt-overrun", &out)));
	CHECK(ring_take(&fc.in, &d) == 32 && d.offset8 == 2 && d.len8 == 16);
	CHECK(!strcmp(fake_ctl(&fg, "fault vmbus pkt-oversize", &out),
		      "bytes=12272\nOK\n"));
	CHECK(ring_take(&fc.in, &d) == 12280 && d.len8 * 8 == 12272 &&
	      d.type == VMBUS_PKT_DATA_INBAND);
	/* Twice without the guest reading: no room for the second. */
	CHECK(!strcmp(fake_ctl(&fg, "fault vmbus pkt-oversize 2", &out),
		      "bytes=12272\nERR inbound ring full\n"));
	ring_take(&fc.in, &d);

	/* An echo with a completion, then that completion's id again. */
	CHECK(gring_write(&fc.out, VMBUS_PKT_DATA_INBAND,
			  VMBUS_PKT_FLAG_COMPLETION_REQUESTED, 77, NULL, 0,
			  &word, sizeof(word), &sig) == 0);
	fake_signal(&fg, &fc);
	ASSERT_EQ(24, gring_read(&fc.in, pkt, sizeof(pkt)));
	CHECK(!strcmp(fake_ctl(&fg, "fault vmbus comp-stale", &out),
		      "trans_id=0x4d\nOK\n"));
	CHECK(ring_take(&fc.in, &d) == 32 && d.type == VMBUS_PKT_COMP &&
	      d.trans_id == 77);

	/*
	 * comp-early: with a sender waiting for room (pending_send_sz), the
	 * next generations of that id come early; read_index comes back.
	 */
	w = fc.out.ctl->read_index;
	CHECK(is_err(fake_ctl(&fg, "fault vmbus comp-early 1", &out)));
	ASSERT_EQ(w, fc.out.ctl->read_index);
	fc.out.ctl->pending_send_sz = 64;
	CHECK(!strcmp(fake_ctl(&fg, "fault vmbus comp-early 1", &out),
		      "trans_id=0x10000004d\ntrans_id=0x20000004d\n"
		      "trans_id=0x30000004d\ntrans_id=0x40000004d\nOK\n"));
	ASSERT_EQ(w, fc.out.ctl->read_index);
	CHECK(ring_take(&fc.in, &d) == 4 * 32 && d.type == VMBUS_PKT_COMP &&
	      d.trans_id == 0x10000004dULL);
	fc.out.ctl->pending_send_sz = 0;

	w = fc.in.ctl->write_index;
	CHECK(is_ok(fake_ctl(&fg, "fault vmbus ring-write-unaligned", &out)));
	ASSERT_EQ(w + 4, fc.in.ctl->write_index);
	CHECK(is_ok(fake_ctl(&fg, "fault vmbus ring-write-index", &out)));
	ASSERT_EQ(fc.in.size, fc.in.ctl->write_index);
	ASSERT_EQ(13, stat_of(&fg, "vmbus.faults_sent"));

	CHECK(is_err(fake_ctl(&fg, "fault vmbus pkt-type 1 "
			 "11111111-2222-4333-8444-000000000000", &out)));
	CHECK(is_err(fake_ctl(&fg, "fault vmbus pkt-type 1 nonsense", &out)));
	CHECK(is_err(fake_ctl(&fg, "fault vmbus pkt-type 0", &out)));
	CHECK(is_err(fake_ctl(&fg, "fault vmbus pkt-type 257", &out)));
	CHECK(is_err(fake_ctl(&fg, "fault vmbus bad-luck", &out)));
	CHECK(is_err(fake_ctl(&fg, "fault storvsc bad-id 1 " ECHO_GUID, &out)));
	CHECK(is_err(fake_ctl(&fg, "fault floppy pkt-type", &out)));
	ASSERT_EQ(13, stat_of(&fg, "vmbus.faults_sent"));
	hv_buf_free(&out);
	fake_destroy(&fg);
}

/*
 * offer-dup-class, subchannel-cycle and post-busy (ring-replay needs a
 * guest that reads).
 */
TEST(test_fault_dup_class_and_busy,
     "vmbus fault: another class on a device's instance; a full queue")
{
	uint8_t buf[HV_TLFS_MESSAGE_PAYLOAD_SIZE];
	struct vmbus_msg_offer offer, *o = (void *)buf;
	struct vmbus_msg_header req = { .msgtype = VMBUS_MSG_REQUESTOFFERS };
	const guid_t ide = VMBUS_CLASS_IDE;
	struct hv_buf out = { 0 };
	struct fake_guest fg;
	uint32_t type;

	ASSERT_EQ(0, connect_with_echo(&fg, &offer));
	CHECK(!strcmp(fake_ctl(&fg, "fault vmbus offer-dup-class", &out),
		      "relid=2047\nOK\n"));
	CHECK(recv_msg(&fg, buf, &type) == sizeof(*o) &&
	      type == VMBUS_MSG_OFFERCHANNEL && o->child_relid == 2047 &&
	      !o->sub_channel_index &&
	      hv_guid_equal(&o->if_instance, &offer.if_instance) &&
	      hv_guid_equal(&o->if_type, &ide));
	ASSERT_EQ(1, stat_of(&fg, "vmbus.fault_relids_held"));

	CHECK(!strcmp(fake_ctl(&fg, "fault vmbus subchannel-cycle", &out),
		      "relid=2046\nOK\n"));
	CHECK(recv_msg(&fg, buf, &type) == sizeof(*o) &&
	      type == VMBUS_MSG_OFFERCHANNEL && o->child_relid == 2046 &&
	      o->sub_channel_index == 1 &&
	      hv_guid_equal(&o->if_instance, &offer.if_instance) &&
	      hv_guid_equal(&o->if_type, &offer.if_type));
	CHECK(recv_msg(&fg, buf, &type) == sizeof(struct vmbus_msg_relid) &&
	      type == VMBUS_MSG_RESCIND_CHANNELOFFER &&
	      ((struct vmbus_msg_relid *)buf)->child_relid == 2046);
	((struct vmbus_msg_relid *)buf)->header.msgtype =
		VMBUS_MSG_RELID_RELEASED;
	fake_post(&fg, VMBUS_MESSAGE_CONNECTION_ID, buf,
		  sizeof(struct vmbus_msg_relid));
	ASSERT_EQ(1, stat_of(&fg, "vmbus.fault_relids_released"));
	ASSERT_EQ(1, stat_of(&fg, "vmbus.fault_relids_held"));

	CHECK(is_err(fake_ctl(&fg, "fault vmbus post-busy 0", &out)));
	CHECK(is_ok(fake_ctl(&fg, "fault vmbus post-busy 1", &out)));
	CHECK(fake_post(&fg, VMBUS_MESSAGE_CONNECTION_ID, &req, sizeof(req)) ==
	      HV_TLFS_STATUS_INSUFFICIENT_BUFFERS);
	CHECK(fake_post(&fg, VMBUS_MESSAGE_CONNECTION_ID, &req, sizeof(req)) ==
	      HV_TLFS_STATUS_INSUFFICIENT_BUFFERS);
	/* The second refused post took the window's end with it. */
	CHECK(fake_post(&fg, VMBUS_MESSAGE_CONNECTION_ID, &req, sizeof(req)) ==
	      HV_TLFS_STATUS_SUCCESS);
	ASSERT_EQ(2, stat_of(&fg, "vmbus.fault_posts_refused"));
	ASSERT_EQ(3, stat_of(&fg, "vmbus.faults_sent"));
	hv_buf_free(&out);
	fake_destroy(&fg);
}
