// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the VMBus server (vmbus_server.c, gpadl.c, channel.c):
 * the fake guest speaks the channel-management protocol to it.
 */
#include <errno.h>
#include <string.h>

#include "unit.h"

#define V(maj, min)	VMBUS_VERSION(maj, min)

static const struct hv_device_class *echo_class(void)
{
	return hv_device_class_find("echo");
}

static struct hv_channel *add_echo(struct fake_guest *fg, bool monitor)
{
	return vmbus_server_add_device(&fg->h.srv, echo_class(), NULL,
				       monitor);
}

/* Connect at 5.3 with monitor pages and collect the offers. */
static int setup(struct fake_guest *fg, int devices,
		 struct vmbus_msg_offer *offers)
{
	int i;

	fake_init(fg);
	for (i = 0; i < devices; i++)
		if (!add_echo(fg, i == 0))
			return -1;
	if (fake_connect(fg, V(5, 3), true) != 1)
		return -1;
	return fake_request_offers(fg, offers, 8);
}

TEST_F(fake, test_version_5_3, "vmbus: 5.3 on connection 4, msg_conn_id 1")
{
	struct vmbus_msg_initiate_contact ic = {
		.header.msgtype = VMBUS_MSG_INITIATE_CONTACT,
		.vmbus_version_requested = V(5, 3),
		.msg_sint = VMBUS_MESSAGE_SINT,
	};
	struct vmbus_msg_version_response r;

	ASSERT_EQ(0, fake_post(f, 4, &ic, sizeof(ic)));
	CHECK(fake_recv_type(f, VMBUS_MSG_VERSION_RESPONSE, &r,
			     sizeof(r)) == sizeof(r));
	ASSERT_EQ(1, r.version_supported);
	ASSERT_EQ(VMBUS_MESSAGE_CONNECTION_ID, r.msg_conn_id);
	ASSERT_EQ(V(5, 3), f->h.srv.version);
}

/* Linux's list from 5.3 down: each accepted under a cap equal to it. */
TEST_F(fake, test_version_every_cap,
       "vmbus: guest walks down to each capped version")
{
	static const uint32_t list[] = {
		V(5, 3), V(5, 2), V(5, 1), V(5, 0), V(4, 1), V(4, 0), V(3, 0),
		V(2, 4),
	};
	unsigned int cap, i;
	int ok;

	for (cap = 0; cap < 8; cap++) {
		fake_init(f);
		f->h.srv.max_version = list[cap];
		for (i = 0; i < 8; i++) {
			/* -1: INVALID_CONNECTION_ID, try the next one. */
			ok = fake_connect(f, list[i], true);
			if (ok == 1)
				break;
		}
		CHECK(ok == 1 && i == cap);
		ASSERT_EQ(list[cap], f->h.srv.version);
		}
}

TEST_F(fake, test_version_conn_id_rule,
       "vmbus: version needs the right connection id")
{
	struct vmbus_msg_initiate_contact ic = {
		.header.msgtype = VMBUS_MSG_INITIATE_CONTACT,
		.msg_sint = VMBUS_MESSAGE_SINT,
	};
	struct vmbus_msg_version_response r;

	/* 5.0 belongs on connection 4, 4.1 on connection 1. */
	ic.vmbus_version_requested = V(5, 0);
	ASSERT_EQ(0, fake_post(f, 1, &ic, sizeof(ic)));
	CHECK(fake_recv_type(f, VMBUS_MSG_VERSION_RESPONSE, &r,
			     sizeof(r)) > 0 && !r.version_supported);
	ic.vmbus_version_requested = V(4, 1);
	ASSERT_EQ(0, fake_post(f, 4, &ic, sizeof(ic)));
	CHECK(fake_recv_type(f, VMBUS_MSG_VERSION_RESPONSE, &r,
			     sizeof(r)) > 0 && !r.version_supported);
	/* Below 5.0 the host puts the version in the last field. */
	ASSERT_EQ(0, fake_post(f, 1, &ic, sizeof(ic)));
	CHECK(fake_recv_type(f, VMBUS_MSG_VERSION_RESPONSE, &r,
			     sizeof(r)) > 0 && r.version_supported);
	ASSERT_EQ(V(4, 1), r.msg_conn_id);
	/* Only connection ids 1 and 4 take messages. */
	CHECK(fake_post(f, 2, &ic, sizeof(ic)) ==
	      HV_TLFS_STATUS_INVALID_CONNECTION_ID);
}

TEST_F(fake, test_version_cap,
       "vmbus: capped below 5.0, connection 4 is invalid")
{
	struct vmbus_msg_initiate_contact ic = {
		.header.msgtype = VMBUS_MSG_INITIATE_CONTACT,
		.vmbus_version_requested = V(5, 3),
		.msg_sint = VMBUS_MESSAGE_SINT,
	};

	f->h.srv.max_version = V(4, 1);
	/* An old host has no connection id 4: the hypercall fails. */
	CHECK(fake_post(f, 4, &ic, sizeof(ic)) ==
	      HV_TLFS_STATUS_INVALID_CONNECTION_ID);
	CHECK(fake_recv(f, &ic, sizeof(ic)) < 0);	/* no answer */
	ASSERT_EQ(1, fake_connect(f, V(4, 1), true));
}

TEST_F(fake, test_version_unknown, "vmbus: unknown versions refused")
{

	ASSERT_EQ(0, fake_connect(f, V(6, 0), true));
	ASSERT_EQ(0, fake_connect(f, V(1, 1), true));
	ASSERT_EQ(0, fake_connect(f, V(0, 13), true));
	ASSERT_EQ(0, fake_connect(f, V(4, 2), true));
	ASSERT_EQ(0, f->h.srv.version);
}

/* A cap set at run time applies to the next connection. */
TEST_F(fake, test_version_cap_runtime,
       "vmbus: run-time cap applies to the next connection")
{
	struct vmbus_msg_header unload = { .msgtype = VMBUS_MSG_UNLOAD };
	struct vmbus_msg_header resp;

	ASSERT_EQ(1, fake_connect(f, V(5, 3), true));
	f->h.srv.max_version = V(3, 0);
	ASSERT_EQ(V(5, 3), f->h.srv.version);
	fake_post(f, 1, &unload, sizeof(unload));
	CHECK(fake_recv_type(f, VMBUS_MSG_UNLOAD_RESPONSE, &resp,
			     sizeof(resp)) == 8);
	ASSERT_EQ(0, fake_connect(f, V(4, 0), true));
	ASSERT_EQ(1, fake_connect(f, V(3, 0), true));
}

TEST(test_offers, "vmbus: offers then ALLOFFERS_DELIVERED")
{
	struct vmbus_msg_offer offers[8];
	const guid_t echo = VMBUS_CLASS_TEST_ECHO;
	struct fake_guest fg;

	ASSERT_EQ(2, setup(&fg, 2, offers));
	CHECK(hv_guid_equal(&offers[0].if_type, &echo));
	CHECK(offers[0].child_relid == 1 && offers[1].child_relid == 2);
	ASSERT_EQ(0x2001, offers[0].connection_id);
	ASSERT_EQ(0x2002, offers[1].connection_id);
	CHECK(offers[0].monitor_allocated == 1 && offers[0].monitorid == 0);
	CHECK(offers[1].monitor_allocated == 0 &&
	      offers[1].monitorid == VMBUS_NO_MONITOR_ID);
	ASSERT_EQ(0, offers[0].sub_channel_index);
	CHECK(!hv_guid_equal(&offers[0].if_instance, &offers[1].if_instance));
	/* A second REQUESTOFFERS on one connection is not answered. */
	CHECK(fake_request_offers(&fg, offers, 8) < 0);
	fake_destroy(&fg);
}

/* Without monitor pages, nobody gets a monitor id. */
TEST_F(fake, test_offers_no_monitor_pages,
       "vmbus: no monitor ids without monitor pages")
{
	struct vmbus_msg_offer offers[2];

	CHECK(add_echo(f, true));
	ASSERT_EQ(1, fake_connect(f, V(5, 3), false));
	ASSERT_EQ(1, fake_request_offers(f, offers, 2));
	ASSERT_EQ(0, offers[0].monitor_allocated);
}

TEST(test_gpadl_bodies, "vmbus: GPADL header + bodies reassembled")
{
	struct vmbus_msg_offer offers[2];
	struct fake_guest fg;
	struct hv_gpadl *g;
	uint64_t gpa;

	ASSERT_EQ(1, setup(&fg, 1, offers));
	gpa = fake_alloc(&fg, 64);
	/* 64 pages: a header with 26 and bodies with 28 + 10. */
	ASSERT_EQ(0, fake_create_gpadl(&fg, 1, 0x100, gpa, 64));
	g = vmbus_gpadl_find(&fg.h.srv, 0x100);
	CHECK(g && g->created && g->npfns == 64 && g->whole_pages);
	CHECK(g->pfns[0] == gpa >> 12 && g->pfns[63] == (gpa >> 12) + 63);
	ASSERT_EQ(1, fg.h.srv.nr_gpadls);
	ASSERT_EQ(1, vmbus_gpadl_count(&fg.h.srv, 1));
	fake_destroy(&fg);
}

/* Hand-made GPADL_HEADER: @pfn as its only page. */
static int gpadl_one_page(struct fake_guest *fg, uint32_t relid,
			  uint32_t handle, uint64_t pfn, uint32_t extra)
{
	uint8_t buf[HV_TLFS_MESSAGE_PAYLOAD_SIZE] = { 0 };
	struct vmbus_msg_gpadl_header *h = (void *)buf;
	struct vmbus_gpa_range *range = (void *)h->ranges;
	struct vmbus_msg_gpadl_created c;

	h->header.msgtype = VMBUS_MSG_GPADL_HEADER;
	h->child_relid = relid;
	h->gpadl = handle;
	h->rangecount = 1;
	h->range_buflen = 16;
	range->byte_count = HV_WIRE_PAGE_SIZE;
	range->pfn_array[0] = pfn;
	fake_post(fg, 1, buf, sizeof(*h) + 16 + extra);
	if (fake_recv_type(fg, VMBUS_MSG_GPADL_CREATED, &c, sizeof(c)) < 0)
		return -1;
	return c.creation_status;
}

TEST(test_gpadl_bad_pfn, "vmbus: GPADL with a page outside RAM refused")
{
	struct vmbus_msg_offer offers[2];
	struct fake_guest fg;

	ASSERT_EQ(1, setup(&fg, 1, offers));
	CHECK(gpadl_one_page(&fg, 1, 1, FAKE_RAM_SIZE >> 12, 0) != 0);
	CHECK(gpadl_one_page(&fg, 1, 2, 0xb0, 0) != 0);	/* VGA hole */
	CHECK(gpadl_one_page(&fg, 1, 3, 1ULL << 52, 0) != 0);
	ASSERT_EQ(0, fg.h.srv.nr_gpadls);
	ASSERT_EQ(NULL, vmbus_gpadl_find(&fg.h.srv, 1));
	/* Unknown relid refused too. */
	CHECK(gpadl_one_page(&fg, 9, 4, 0x300, 0) != 0);
	fake_destroy(&fg);
}

TEST(test_gpadl_duplicate, "vmbus: duplicate GPADL handle refused")
{
	struct vmbus_msg_offer offers[2];
	struct fake_guest fg;

	ASSERT_EQ(1, setup(&fg, 1, offers));
	ASSERT_EQ(0, gpadl_one_page(&fg, 1, 7, 0x300, 0));
	CHECK(gpadl_one_page(&fg, 1, 7, 0x301, 0) != 0);
	ASSERT_EQ(1, fg.h.srv.nr_gpadls);
	ASSERT_EQ(0x300, vmbus_gpadl_find(&fg.h.srv, 7)->pfns[0]);
	fake_destroy(&fg);
}

/* Bytes past range_buflen (a padded message) are ignored. */
TEST(test_gpadl_padding_ignored, "vmbus: GPADL reads capped by range_buflen")
{
	struct vmbus_msg_offer offers[2];
	struct fake_guest fg;

	ASSERT_EQ(1, setup(&fg, 1, offers));
	ASSERT_EQ(0, gpadl_one_page(&fg, 1, 8, 0x300, 64));
	ASSERT_EQ(1, vmbus_gpadl_find(&fg.h.srv, 8)->npfns);
	fake_destroy(&fg);
}

TEST(test_gpadl_teardown, "vmbus: GPADL teardown")
{
	struct vmbus_msg_gpadl_teardown t = {
		.header.msgtype = VMBUS_MSG_GPADL_TEARDOWN,
		.child_relid = 1,
		.gpadl = 5,
	};
	struct vmbus_msg_gpadl_torndown r;
	struct vmbus_msg_offer offers[2];
	struct fake_guest fg;

	ASSERT_EQ(1, setup(&fg, 1, offers));
	ASSERT_EQ(0, gpadl_one_page(&fg, 1, 5, 0x300, 0));
	t.child_relid = 2;		/* wrong channel: refused */
	fake_post(&fg, 1, &t, sizeof(t));
	CHECK(fake_recv(&fg, &r, sizeof(r)) < 0);
	t.child_relid = 1;
	fake_post(&fg, 1, &t, sizeof(t));
	CHECK(fake_recv_type(&fg, VMBUS_MSG_GPADL_TORNDOWN, &r,
			     sizeof(r)) == sizeof(r));
	ASSERT_EQ(5, r.gpadl);
	ASSERT_EQ(0, fg.h.srv.nr_gpadls);
	fake_post(&fg, 1, &t, sizeof(t));	/* gone: no answer */
	CHECK(fake_recv(&fg, &r, sizeof(r)) < 0);
	fake_destroy(&fg);
}

TEST(test_open_close, "vmbus: open, close, reopen")
{
	struct vmbus_msg_relid close = {
		.header.msgtype = VMBUS_MSG_CLOSECHANNEL,
		.child_relid = 1,
	};
	struct vmbus_msg_offer offers[2];
	struct fake_channel fc;
	struct fake_guest fg;
	struct hv_channel *ch;

	ASSERT_EQ(1, setup(&fg, 1, offers));
	ASSERT_EQ(0, fake_open(&fg, &offers[0], &fc, 4, 4));
	ch = fake_host_channel(&fg, 1);
	CHECK(ch->open && ch->out.size == 3 * 4096 && ch->in.size == 3 * 4096);
	ASSERT_EQ(1, fg.h.srv.monitored_open);
	fake_post(&fg, 1, &close, sizeof(close));
	CHECK(!ch->open && fg.h.srv.monitored_open == 0);
	CHECK(fake_recv(&fg, &close, sizeof(close)) < 0);	/* no reply */
	/* The ring GPADL outlives the close and can be reopened. */
	CHECK(vmbus_gpadl_find(&fg.h.srv, fc.gpadl) &&
	      !vmbus_gpadl_find(&fg.h.srv, fc.gpadl)->in_use);
	ASSERT_EQ(0, fake_open(&fg, &offers[0], &fc, 4, 4));
	fake_destroy(&fg);
}

/* 0 opened, 1 refused, -1 no answer. */
static int open_with(struct fake_guest *fg, uint32_t relid, uint32_t gpadl,
		     uint32_t downstream, uint32_t vp)
{
	struct vmbus_msg_open_channel open = {
		.header.msgtype = VMBUS_MSG_OPENCHANNEL,
		.child_relid = relid,
		.openid = relid,
		.ringbuffer_gpadl = gpadl,
		.target_vp = vp,
		.downstream_ring_page_offset = downstream,
	};
	struct vmbus_msg_open_result res;

	fake_post(fg, 1, &open, sizeof(open));
	if (fake_recv_type(fg, VMBUS_MSG_OPENCHANNEL_RESULT, &res,
			   sizeof(res)) < 0)
		return -1;
	return res.status != 0;
}

TEST(test_open_refused, "vmbus: bad OPENCHANNEL refused with a status")
{
	struct vmbus_msg_offer offers[2];
	struct fake_guest fg;
	uint64_t gpa;

	ASSERT_EQ(2, setup(&fg, 2, offers));
	gpa = fake_alloc(&fg, 8);
	ASSERT_EQ(0, fake_create_gpadl(&fg, 1, 0x10, gpa, 8));
	CHECK(open_with(&fg, 1, 0x11, 4, 0) > 0);	/* no such GPADL */
	CHECK(open_with(&fg, 2, 0x10, 4, 0) > 0);	/* other channel's */
	CHECK(open_with(&fg, 1, 0x10, 1, 0) > 0);	/* ring too small */
	CHECK(open_with(&fg, 1, 0x10, 7, 0) > 0);
	CHECK(open_with(&fg, 1, 0x10, 4, 99) > 0);	/* bad VP */
	CHECK(open_with(&fg, 7, 0x10, 4, 0) > 0);	/* bad relid */
	ASSERT_EQ(0, open_with(&fg, 1, 0x10, 4, 0));
	CHECK(open_with(&fg, 1, 0x10, 4, 0) > 0);	/* already open */
	/* A one-page GPADL cannot hold two rings, whatever the offset. */
	ASSERT_EQ(0, fake_create_gpadl(&fg, 2, 0x12, gpa, 1));
	CHECK(open_with(&fg, 2, 0x12, 0, 0) > 0);
	CHECK(open_with(&fg, 2, 0x12, 2, 0) > 0);
	fake_destroy(&fg);
}

TEST(test_rescind_release, "vmbus: rescind holds the relid until released")
{
	struct vmbus_msg_relid rel = {
		.header.msgtype = VMBUS_MSG_RELID_RELEASED,
		.child_relid = 1,
	};
	struct vmbus_msg_offer offers[2];
	struct vmbus_msg_relid resc;
	struct vmbus_msg_offer offer;
	struct fake_channel fc;
	struct fake_guest fg;
	struct hv_channel *ch;
	guid_t id;

	ASSERT_EQ(1, setup(&fg, 1, offers));
	ASSERT_EQ(0, fake_open(&fg, &offers[0], &fc, 2, 2));
	id = offers[0].if_instance;
	ASSERT_EQ(0, vmbus_server_rescind(&fg.h.srv, &id));
	CHECK(fake_recv_type(&fg, VMBUS_MSG_RESCIND_CHANNELOFFER, &resc,
			     sizeof(resc)) == sizeof(resc));
	ASSERT_EQ(1, resc.child_relid);
	CHECK(!fake_host_channel(&fg, 1)->open);
	CHECK(vmbus_server_rescind(&fg.h.srv, &id) < 0);
	/* Hot-add before the release: relid 1 is still taken. */
	ch = add_echo(&fg, false);
	CHECK(ch && ch->relid == 2);
	CHECK(fake_recv_type(&fg, VMBUS_MSG_OFFERCHANNEL, &offer,
			     sizeof(offer)) == sizeof(offer));
	ASSERT_EQ(2, offer.child_relid);
	fake_post(&fg, 1, &rel, sizeof(rel));
	ASSERT_EQ(NULL, fake_host_channel(&fg, 1));
	ASSERT_EQ(0, fg.h.srv.nr_gpadls);	/* released with the channel */
	ch = add_echo(&fg, false);
	CHECK(ch && ch->relid == 1);
	fake_destroy(&fg);
}

TEST(test_unload, "vmbus: unload closes everything, guest reconnects")
{
	struct vmbus_msg_header unload = { .msgtype = VMBUS_MSG_UNLOAD };
	struct vmbus_msg_offer offers[2];
	struct vmbus_msg_header resp;
	struct fake_channel fc;
	struct fake_guest fg;

	ASSERT_EQ(1, setup(&fg, 1, offers));
	ASSERT_EQ(0, fake_open(&fg, &offers[0], &fc, 2, 2));
	ASSERT_EQ(1, fg.h.srv.nr_gpadls);
	fake_post(&fg, 1, &unload, sizeof(unload));
	CHECK(fake_recv_type(&fg, VMBUS_MSG_UNLOAD_RESPONSE, &resp,
			     sizeof(resp)) == sizeof(resp));
	CHECK(fg.h.srv.nr_gpadls == 0 && fg.h.srv.version == 0);
	CHECK(!fake_host_channel(&fg, 1)->open);
	CHECK(fg.h.srv.stats.unloads == 1 && fg.h.srv.stats.contacts == 1);
	/* And the guest can come back. */
	ASSERT_EQ(1, fake_connect(&fg, V(5, 3), true));
	ASSERT_EQ(1, fake_request_offers(&fg, offers, 2));
	ASSERT_EQ(0, fake_open(&fg, &offers[0], &fc, 2, 2));
	CHECK(fg.h.srv.stats.contacts == 2 && !fg.h.srv.stats.stale_contacts);
	/* A new kernel without UNLOAD: the old connection ends first. */
	ASSERT_EQ(1, fake_connect(&fg, V(5, 3), true));
	CHECK(fg.h.srv.stats.stale_contacts == 1 && fg.h.srv.nr_gpadls == 0);
	CHECK(!fake_host_channel(&fg, 1)->open);
	fake_destroy(&fg);
}

TEST(test_min_length, "vmbus: short and unknown messages dropped")
{
	struct vmbus_msg_open_channel open = {
		.header.msgtype = VMBUS_MSG_OPENCHANNEL,
		.child_relid = 1,
	};
	struct vmbus_msg_offer offers[2];
	struct fake_guest fg;
	uint8_t buf[240];
	uint64_t bad;

	ASSERT_EQ(1, setup(&fg, 1, offers));
	bad = fg.h.srv.stats.msgs_bad;
	fake_post(&fg, 1, &open, sizeof(open) - 1);
	CHECK(fake_recv(&fg, buf, sizeof(buf)) < 0);
	fake_post(&fg, 1, &open, 4);
	open.header.msgtype = 99;
	fake_post(&fg, 1, &open, sizeof(open));
	open.header.msgtype = VMBUS_MSG_VERSION_RESPONSE;	/* host's */
	fake_post(&fg, 1, &open, sizeof(open));
	ASSERT_EQ(bad + 4, fg.h.srv.stats.msgs_bad);
	CHECK(fake_recv(&fg, buf, sizeof(buf)) < 0);
	fake_destroy(&fg);
}

TEST_F(fake, test_before_contact,
       "vmbus: messages before INITIATE_CONTACT dropped")
{
	struct vmbus_msg_header req = { .msgtype = VMBUS_MSG_REQUESTOFFERS };
	uint8_t buf[240];

	CHECK(add_echo(f, true));
	fake_post(f, 1, &req, sizeof(req));
	CHECK(fake_recv(f, buf, sizeof(buf)) < 0);
	ASSERT_EQ(1, f->h.srv.stats.msgs_bad);
}

TEST(test_modify_channel, "vmbus: MODIFYCHANNEL, response only for 5.3")
{
	struct vmbus_msg_modify_channel m = {
		.header.msgtype = VMBUS_MSG_MODIFYCHANNEL,
		.child_relid = 1,
		.target_vp = 3,
	};
	struct vmbus_msg_modify_channel_response r;
	struct vmbus_msg_offer offers[2];
	struct fake_channel fc;
	struct fake_guest fg;

	ASSERT_EQ(1, setup(&fg, 1, offers));
	ASSERT_EQ(0, fake_open(&fg, &offers[0], &fc, 2, 2));
	fake_post(&fg, 1, &m, sizeof(m));
	CHECK(fake_recv_type(&fg, VMBUS_MSG_MODIFYCHANNEL_RESPONSE, &r,
			     sizeof(r)) == sizeof(r));
	CHECK(r.child_relid == 1 && r.status == 0);
	ASSERT_EQ(3, fake_host_channel(&fg, 1)->target_vp);
	m.target_vp = 1000;
	fake_post(&fg, 1, &m, sizeof(m));
	CHECK(fake_recv_type(&fg, VMBUS_MSG_MODIFYCHANNEL_RESPONSE, &r,
			     sizeof(r)) == sizeof(r));
	CHECK(r.status != 0);
	fake_destroy(&fg);

	/* 5.0: no response. */
	fake_init(&fg);
	CHECK(add_echo(&fg, false));
	ASSERT_EQ(1, fake_connect(&fg, V(5, 0), true));
	ASSERT_EQ(1, fake_request_offers(&fg, offers, 2));
	ASSERT_EQ(0, fake_open(&fg, &offers[0], &fc, 2, 2));
	m.target_vp = 2;
	fake_post(&fg, 1, &m, sizeof(m));
	CHECK(fake_recv(&fg, &r, sizeof(r)) < 0);
	ASSERT_EQ(2, fake_host_channel(&fg, 1)->target_vp);
	fake_destroy(&fg);
}

TEST(test_reconnect_resets, "vmbus: new INITIATE_CONTACT resets the connection")
{
	struct vmbus_msg_offer offers[2];
	struct fake_channel fc;
	struct fake_guest fg;

	ASSERT_EQ(1, setup(&fg, 1, offers));
	ASSERT_EQ(0, fake_open(&fg, &offers[0], &fc, 2, 2));
	/* A new INITIATE_CONTACT (kexec, crash) ends the old connection. */
	ASSERT_EQ(1, fake_connect(&fg, V(5, 2), true));
	ASSERT_EQ(0, fg.h.srv.nr_gpadls);
	CHECK(!fake_host_channel(&fg, 1)->open);
	ASSERT_EQ(1, fake_request_offers(&fg, offers, 2));
	fake_destroy(&fg);
}

/* Offers until the next non-offer message (or none); returns how many. */
static int recv_offers(struct fake_guest *fg, struct vmbus_msg_offer *offers,
		       int max)
{
	int n = 0;

	while (n < max && fake_recv_type(fg, VMBUS_MSG_OFFERCHANNEL,
					 &offers[n], sizeof(*offers)) ==
	       sizeof(*offers))
		n++;
	return n;
}

TEST(test_subchannel_offers,
     "vmbus: sub-channel offers, same GUIDs, own relids, served")
{
	struct vmbus_msg_offer offers[2], subs[4];
	struct fake_channel fc, sc;
	struct fake_guest fg;
	struct hv_channel *primary;
	uint8_t buf[64];
	bool signal;

	ASSERT_EQ(1, setup(&fg, 1, offers));
	ASSERT_EQ(0, fake_open(&fg, &offers[0], &fc, 4, 4));
	primary = fake_host_channel(&fg, 1);
	ASSERT_EQ(2, vmbus_server_add_subchannels(&fg.h.srv, primary, 2));
	ASSERT_EQ(2, recv_offers(&fg, subs, 4));
	CHECK(hv_guid_equal(&subs[0].if_type, &offers[0].if_type));
	CHECK(hv_guid_equal(&subs[1].if_instance, &offers[0].if_instance));
	CHECK(subs[0].sub_channel_index == 1 && subs[1].sub_channel_index == 2);
	CHECK(subs[0].child_relid == 2 && subs[1].child_relid == 3);
	CHECK(subs[0].connection_id == 0x2002 &&
	      subs[1].connection_id == 0x2003);
	/* Monitored like the primary, each with its own monitor id. */
	CHECK(subs[0].monitor_allocated && subs[0].monitorid == 1);
	ASSERT_EQ(primary, fake_host_channel(&fg, 2)->primary);
	/* The instance still names the primary. */
	ASSERT_EQ(primary, vmbus_server_find(&fg.h.srv, &offers[0].if_instance));
	/* A sub-channel opens with its own ring GPADL and is served. */
	ASSERT_EQ(0, fake_open(&fg, &subs[1], &sc, 4, 4));
	CHECK(gring_write(&sc.out, VMBUS_PKT_DATA_INBAND, 0, 7, NULL, 0,
			  "sub", 3, &signal) == 0);
	fake_signal(&fg, &sc);
	ASSERT_EQ(24, gring_read(&sc.in, buf, sizeof(buf)));
	CHECK(!memcmp(buf + 16, "sub", 3));
	ASSERT_EQ(1, fake_host_channel(&fg, 3)->stats.rx_packets);
	ASSERT_EQ(0, primary->stats.rx_packets);
	/* No sub-channels of sub-channels, nor of unknown devices. */
	CHECK(vmbus_server_add_subchannels(&fg.h.srv, fake_host_channel(&fg, 2),
					   1) < 0);
	ASSERT_EQ(0, vmbus_server_add_subchannels(&fg.h.srv, primary, 0));
	fake_destroy(&fg);
}

/* Closing the primary rescinds its sub-channels; a reopen starts anew. */
TEST(test_subchannel_primary_close,
     "vmbus: primary close rescinds its sub-channels")
{
	struct vmbus_msg_relid close = {
		.header.msgtype = VMBUS_MSG_CLOSECHANNEL,
		.child_relid = 1,
	};
	struct vmbus_msg_relid rel = {
		.header.msgtype = VMBUS_MSG_RELID_RELEASED,
	};
	struct vmbus_msg_offer offers[2], subs[4];
	struct vmbus_msg_relid resc;
	struct fake_channel fc;
	struct fake_guest fg;
	struct hv_channel *primary;

	ASSERT_EQ(1, setup(&fg, 1, offers));
	ASSERT_EQ(0, fake_open(&fg, &offers[0], &fc, 4, 4));
	primary = fake_host_channel(&fg, 1);
	ASSERT_EQ(2, vmbus_server_add_subchannels(&fg.h.srv, primary, 2));
	ASSERT_EQ(2, recv_offers(&fg, subs, 4));
	fake_post(&fg, 1, &close, sizeof(close));
	CHECK(fake_recv_type(&fg, VMBUS_MSG_RESCIND_CHANNELOFFER, &resc,
			     sizeof(resc)) == sizeof(resc) &&
	      resc.child_relid == 2);
	CHECK(fake_recv_type(&fg, VMBUS_MSG_RESCIND_CHANNELOFFER, &resc,
			     sizeof(resc)) == sizeof(resc) &&
	      resc.child_relid == 3);
	CHECK(fake_recv(&fg, &resc, sizeof(resc)) < 0);
	CHECK(!primary->rescinded && !primary->open);
	rel.child_relid = 2;
	fake_post(&fg, 1, &rel, sizeof(rel));
	rel.child_relid = 3;
	fake_post(&fg, 1, &rel, sizeof(rel));
	CHECK(!fake_host_channel(&fg, 2) && !fake_host_channel(&fg, 3));
	/* Reopened, the primary gets sub-channels numbered from 1 again. */
	ASSERT_EQ(0, fake_open(&fg, &offers[0], &fc, 4, 4));
	ASSERT_EQ(1, vmbus_server_add_subchannels(&fg.h.srv, primary, 1));
	CHECK(recv_offers(&fg, subs, 4) == 1 && subs[0].sub_channel_index == 1);
	fake_destroy(&fg);
}

/* Host rescind: the sub-channels first, then the primary. */
TEST(test_subchannel_rescind_order,
     "vmbus: rescind sends sub-channels before the primary")
{
	struct vmbus_msg_offer offers[2], subs[4];
	struct vmbus_msg_relid resc;
	struct fake_channel fc, sc;
	struct fake_guest fg;
	uint32_t order[3];
	int i;

	ASSERT_EQ(1, setup(&fg, 1, offers));
	ASSERT_EQ(0, fake_open(&fg, &offers[0], &fc, 4, 4));
	CHECK(vmbus_server_add_subchannels(&fg.h.srv, fake_host_channel(&fg, 1),
					   2) == 2);
	ASSERT_EQ(2, recv_offers(&fg, subs, 4));
	ASSERT_EQ(0, fake_open(&fg, &subs[0], &sc, 4, 4));
	ASSERT_EQ(0, vmbus_server_rescind(&fg.h.srv, &offers[0].if_instance));
	for (i = 0; i < 3; i++) {
		CHECK(fake_recv_type(&fg, VMBUS_MSG_RESCIND_CHANNELOFFER,
				     &resc, sizeof(resc)) == sizeof(resc));
		order[i] = resc.child_relid;
	}
	CHECK(order[0] == 2 && order[1] == 3 && order[2] == 1);
	CHECK(!fake_host_channel(&fg, 2)->open);
	CHECK(vmbus_server_rescind(&fg.h.srv, &offers[0].if_instance) ==
	      -EALREADY);
	fake_destroy(&fg);
}

/* UNLOAD drops sub-channels; the next connection offers the primary only. */
TEST(test_subchannel_reset, "vmbus: unload drops sub-channels")
{
	struct vmbus_msg_header unload = { .msgtype = VMBUS_MSG_UNLOAD };
	struct vmbus_msg_offer offers[4], subs[4];
	struct vmbus_msg_header resp;
	struct fake_channel fc;
	struct fake_guest fg;

	ASSERT_EQ(1, setup(&fg, 1, offers));
	ASSERT_EQ(0, fake_open(&fg, &offers[0], &fc, 4, 4));
	CHECK(vmbus_server_add_subchannels(&fg.h.srv, fake_host_channel(&fg, 1),
					   3) == 3);
	ASSERT_EQ(3, recv_offers(&fg, subs, 4));
	fake_post(&fg, 1, &unload, sizeof(unload));
	CHECK(fake_recv_type(&fg, VMBUS_MSG_UNLOAD_RESPONSE, &resp,
			     sizeof(resp)) == sizeof(resp));
	CHECK(!fake_host_channel(&fg, 2) && !fake_host_channel(&fg, 4));
	ASSERT_EQ(1, fake_connect(&fg, V(5, 3), true));
	ASSERT_EQ(1, fake_request_offers(&fg, offers, 4));
	ASSERT_EQ(0, offers[0].sub_channel_index);
	fake_destroy(&fg);
}

/* A device that says it is busy: its rescind waits until it is idle. */
static bool busy_device;
static unsigned int busy_released;

static int busy_packet(struct hv_channel *ch, const struct hv_packet *pkt)
{
	(void)ch;
	(void)pkt;
	return 0;
}

static bool busy_busy(struct hv_channel *ch)
{
	(void)ch;
	return busy_device;
}

static void busy_release(struct hv_channel *ch)
{
	(void)ch;
	busy_released++;
}

static const struct hv_device_ops busy_ops = {
	.packet = busy_packet,
	.busy = busy_busy,
	.release = busy_release,
};

static const struct hv_device_class busy_class = {
	.name = "busy",
	.type = VMBUS_CLASS_SCSI,
	.ops = &busy_ops,
};

TEST_F(fake, test_rescind_deferred,
       "vmbus: rescind of a busy device waits until it is idle")
{
	struct vmbus_msg_relid rel = {
		.header.msgtype = VMBUS_MSG_RELID_RELEASED,
	};
	struct vmbus_msg_offer offers[2], subs[2];
	struct vmbus_msg_relid resc;
	struct hv_channel *primary;
	struct fake_channel fc;

	primary = vmbus_server_add_device(&f->h.srv, &busy_class, NULL, false);
	CHECK(primary);
	ASSERT_EQ(1, fake_connect(f, V(5, 3), true));
	ASSERT_EQ(1, fake_request_offers(f, offers, 2));
	ASSERT_EQ(0, fake_open(f, &offers[0], &fc, 4, 4));
	ASSERT_EQ(1, vmbus_server_add_subchannels(&f->h.srv, primary, 1));
	ASSERT_EQ(1, recv_offers(f, subs, 2));
	busy_device = true;
	busy_released = 0;
	ASSERT_EQ(0, vmbus_server_rescind(&f->h.srv, &offers[0].if_instance));
	/* Closed on the host side at once, but the guest is not told yet. */
	CHECK(!primary->open && primary->rescinded);
	CHECK(fake_recv(f, &resc, sizeof(resc)) < 0);
	busy_device = false;
	vmbus_server_device_idle(&f->h.srv, primary);
	CHECK(fake_recv_type(f, VMBUS_MSG_RESCIND_CHANNELOFFER, &resc,
			     sizeof(resc)) > 0 && resc.child_relid == 2);
	CHECK(fake_recv_type(f, VMBUS_MSG_RESCIND_CHANNELOFFER, &resc,
			     sizeof(resc)) > 0 && resc.child_relid == 1);
	vmbus_server_device_idle(&f->h.srv, primary);	/* only once */
	CHECK(fake_recv(f, &resc, sizeof(resc)) < 0);
	rel.child_relid = 2;
	fake_post(f, 1, &rel, sizeof(rel));
	ASSERT_EQ(0, busy_released);
	rel.child_relid = 1;
	fake_post(f, 1, &rel, sizeof(rel));
	CHECK(busy_released == 1 && !fake_host_channel(f, 1));
}
