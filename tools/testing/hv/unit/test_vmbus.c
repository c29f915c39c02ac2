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

static void test_version_5_3(void)
{
	struct vmbus_msg_initiate_contact ic = {
		.header.msgtype = VMBUS_MSG_INITIATE_CONTACT,
		.vmbus_version_requested = V(5, 3),
		.msg_sint = VMBUS_MESSAGE_SINT,
	};
	struct vmbus_msg_version_response r;
	struct fake_guest fg;

	fake_init(&fg);
	CHECK(fake_post(&fg, 4, &ic, sizeof(ic)) == 0);
	CHECK(fake_recv_type(&fg, VMBUS_MSG_VERSION_RESPONSE, &r,
			     sizeof(r)) == sizeof(r));
	CHECK(r.version_supported == 1);
	CHECK(r.msg_conn_id == VMBUS_MESSAGE_CONNECTION_ID);
	CHECK(fg.h.srv.version == V(5, 3));
	fake_destroy(&fg);
}

/* Linux's list from 5.3 down: each accepted under a cap equal to it. */
static void test_version_every_cap(void)
{
	static const uint32_t list[] = {
		V(5, 3), V(5, 2), V(5, 1), V(5, 0), V(4, 1), V(4, 0), V(3, 0),
		V(2, 4),
	};
	struct fake_guest fg;
	unsigned int cap, i;
	int ok;

	for (cap = 0; cap < 8; cap++) {
		fake_init(&fg);
		fg.h.srv.max_version = list[cap];
		for (i = 0; i < 8; i++) {
			/* -1: INVALID_CONNECTION_ID, try the next one. */
			ok = fake_connect(&fg, list[i], true);
			if (ok == 1)
				break;
		}
		CHECK(ok == 1 && i == cap);
		CHECK(fg.h.srv.version == list[cap]);
		fake_destroy(&fg);
	}
}

static void test_version_conn_id_rule(void)
{
	struct vmbus_msg_initiate_contact ic = {
		.header.msgtype = VMBUS_MSG_INITIATE_CONTACT,
		.msg_sint = VMBUS_MESSAGE_SINT,
	};
	struct vmbus_msg_version_response r;
	struct fake_guest fg;

	fake_init(&fg);
	/* 5.0 belongs on connection 4, 4.1 on connection 1. */
	ic.vmbus_version_requested = V(5, 0);
	CHECK(fake_post(&fg, 1, &ic, sizeof(ic)) == 0);
	CHECK(fake_recv_type(&fg, VMBUS_MSG_VERSION_RESPONSE, &r,
			     sizeof(r)) > 0 && !r.version_supported);
	ic.vmbus_version_requested = V(4, 1);
	CHECK(fake_post(&fg, 4, &ic, sizeof(ic)) == 0);
	CHECK(fake_recv_type(&fg, VMBUS_MSG_VERSION_RESPONSE, &r,
			     sizeof(r)) > 0 && !r.version_supported);
	/* Below 5.0 the host puts the version in the last field. */
	CHECK(fake_post(&fg, 1, &ic, sizeof(ic)) == 0);
	CHECK(fake_recv_type(&fg, VMBUS_MSG_VERSION_RESPONSE, &r,
			     sizeof(r)) > 0 && r.version_supported);
	CHECK(r.msg_conn_id == V(4, 1));
	/* Only connection ids 1 and 4 take messages. */
	CHECK(fake_post(&fg, 2, &ic, sizeof(ic)) ==
	      HV_TLFS_STATUS_INVALID_CONNECTION_ID);
	fake_destroy(&fg);
}

static void test_version_cap(void)
{
	struct vmbus_msg_initiate_contact ic = {
		.header.msgtype = VMBUS_MSG_INITIATE_CONTACT,
		.vmbus_version_requested = V(5, 3),
		.msg_sint = VMBUS_MESSAGE_SINT,
	};
	struct fake_guest fg;

	fake_init(&fg);
	fg.h.srv.max_version = V(4, 1);
	/* An old host has no connection id 4: the hypercall fails. */
	CHECK(fake_post(&fg, 4, &ic, sizeof(ic)) ==
	      HV_TLFS_STATUS_INVALID_CONNECTION_ID);
	CHECK(fake_recv(&fg, &ic, sizeof(ic)) < 0);	/* no answer */
	CHECK(fake_connect(&fg, V(4, 1), true) == 1);
	fake_destroy(&fg);
}

static void test_version_unknown(void)
{
	struct fake_guest fg;

	fake_init(&fg);
	CHECK(fake_connect(&fg, V(6, 0), true) == 0);
	CHECK(fake_connect(&fg, V(1, 1), true) == 0);
	CHECK(fake_connect(&fg, V(0, 13), true) == 0);
	CHECK(fake_connect(&fg, V(4, 2), true) == 0);
	CHECK(fg.h.srv.version == 0);
	fake_destroy(&fg);
}

/* A cap set at run time applies to the next connection. */
static void test_version_cap_runtime(void)
{
	struct vmbus_msg_header unload = { .msgtype = VMBUS_MSG_UNLOAD };
	struct vmbus_msg_header resp;
	struct fake_guest fg;

	fake_init(&fg);
	CHECK(fake_connect(&fg, V(5, 3), true) == 1);
	fg.h.srv.max_version = V(3, 0);
	CHECK(fg.h.srv.version == V(5, 3));
	fake_post(&fg, 1, &unload, sizeof(unload));
	CHECK(fake_recv_type(&fg, VMBUS_MSG_UNLOAD_RESPONSE, &resp,
			     sizeof(resp)) == 8);
	CHECK(fake_connect(&fg, V(4, 0), true) == 0);
	CHECK(fake_connect(&fg, V(3, 0), true) == 1);
	fake_destroy(&fg);
}

static void test_offers(void)
{
	struct vmbus_msg_offer offers[8];
	const guid_t echo = VMBUS_CLASS_TEST_ECHO;
	struct fake_guest fg;

	CHECK(setup(&fg, 2, offers) == 2);
	CHECK(hv_guid_equal(&offers[0].if_type, &echo));
	CHECK(offers[0].child_relid == 1 && offers[1].child_relid == 2);
	CHECK(offers[0].connection_id == 0x2001);
	CHECK(offers[1].connection_id == 0x2002);
	CHECK(offers[0].monitor_allocated == 1 && offers[0].monitorid == 0);
	CHECK(offers[1].monitor_allocated == 0 &&
	      offers[1].monitorid == VMBUS_NO_MONITOR_ID);
	CHECK(offers[0].sub_channel_index == 0);
	CHECK(!hv_guid_equal(&offers[0].if_instance, &offers[1].if_instance));
	/* A second REQUESTOFFERS on one connection is not answered. */
	CHECK(fake_request_offers(&fg, offers, 8) < 0);
	fake_destroy(&fg);
}

/* Without monitor pages, nobody gets a monitor id. */
static void test_offers_no_monitor_pages(void)
{
	struct vmbus_msg_offer offers[2];
	struct fake_guest fg;

	fake_init(&fg);
	CHECK(add_echo(&fg, true));
	CHECK(fake_connect(&fg, V(5, 3), false) == 1);
	CHECK(fake_request_offers(&fg, offers, 2) == 1);
	CHECK(offers[0].monitor_allocated == 0);
	fake_destroy(&fg);
}

static void test_gpadl_bodies(void)
{
	struct vmbus_msg_offer offers[2];
	struct fake_guest fg;
	struct hv_gpadl *g;
	uint64_t gpa;

	CHECK(setup(&fg, 1, offers) == 1);
	gpa = fake_alloc(&fg, 64);
	/* 64 pages: a header with 26 and bodies with 28 + 10. */
	CHECK(fake_create_gpadl(&fg, 1, 0x100, gpa, 64) == 0);
	g = vmbus_gpadl_find(&fg.h.srv, 0x100);
	CHECK(g && g->created && g->npfns == 64 && g->whole_pages);
	CHECK(g->pfns[0] == gpa >> 12 && g->pfns[63] == (gpa >> 12) + 63);
	CHECK(fg.h.srv.nr_gpadls == 1);
	CHECK(vmbus_gpadl_count(&fg.h.srv, 1) == 1);
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

static void test_gpadl_bad_pfn(void)
{
	struct vmbus_msg_offer offers[2];
	struct fake_guest fg;

	CHECK(setup(&fg, 1, offers) == 1);
	CHECK(gpadl_one_page(&fg, 1, 1, FAKE_RAM_SIZE >> 12, 0) != 0);
	CHECK(gpadl_one_page(&fg, 1, 2, 0xb0, 0) != 0);	/* VGA hole */
	CHECK(gpadl_one_page(&fg, 1, 3, 1ULL << 52, 0) != 0);
	CHECK(fg.h.srv.nr_gpadls == 0);
	CHECK(vmbus_gpadl_find(&fg.h.srv, 1) == NULL);
	/* Unknown relid refused too. */
	CHECK(gpadl_one_page(&fg, 9, 4, 0x300, 0) != 0);
	fake_destroy(&fg);
}

static void test_gpadl_duplicate(void)
{
	struct vmbus_msg_offer offers[2];
	struct fake_guest fg;

	CHECK(setup(&fg, 1, offers) == 1);
	CHECK(gpadl_one_page(&fg, 1, 7, 0x300, 0) == 0);
	CHECK(gpadl_one_page(&fg, 1, 7, 0x301, 0) != 0);
	CHECK(fg.h.srv.nr_gpadls == 1);
	CHECK(vmbus_gpadl_find(&fg.h.srv, 7)->pfns[0] == 0x300);
	fake_destroy(&fg);
}

/* Bytes past range_buflen (a padded message) are ignored. */
static void test_gpadl_padding_ignored(void)
{
	struct vmbus_msg_offer offers[2];
	struct fake_guest fg;

	CHECK(setup(&fg, 1, offers) == 1);
	CHECK(gpadl_one_page(&fg, 1, 8, 0x300, 64) == 0);
	CHECK(vmbus_gpadl_find(&fg.h.srv, 8)->npfns == 1);
	fake_destroy(&fg);
}

static void test_gpadl_teardown(void)
{
	struct vmbus_msg_gpadl_teardown t = {
		.header.msgtype = VMBUS_MSG_GPADL_TEARDOWN,
		.child_relid = 1,
		.gpadl = 5,
	};
	struct vmbus_msg_gpadl_torndown r;
	struct vmbus_msg_offer offers[2];
	struct fake_guest fg;

	CHECK(setup(&fg, 1, offers) == 1);
	CHECK(gpadl_one_page(&fg, 1, 5, 0x300, 0) == 0);
	t.child_relid = 2;		/* wrong channel: refused */
	fake_post(&fg, 1, &t, sizeof(t));
	CHECK(fake_recv(&fg, &r, sizeof(r)) < 0);
	t.child_relid = 1;
	fake_post(&fg, 1, &t, sizeof(t));
	CHECK(fake_recv_type(&fg, VMBUS_MSG_GPADL_TORNDOWN, &r,
			     sizeof(r)) == sizeof(r));
	CHECK(r.gpadl == 5);
	CHECK(fg.h.srv.nr_gpadls == 0);
	fake_post(&fg, 1, &t, sizeof(t));	/* gone: no answer */
	CHECK(fake_recv(&fg, &r, sizeof(r)) < 0);
	fake_destroy(&fg);
}

static void test_open_close(void)
{
	struct vmbus_msg_relid close = {
		.header.msgtype = VMBUS_MSG_CLOSECHANNEL,
		.child_relid = 1,
	};
	struct vmbus_msg_offer offers[2];
	struct fake_channel fc;
	struct fake_guest fg;
	struct hv_channel *ch;

	CHECK(setup(&fg, 1, offers) == 1);
	CHECK(fake_open(&fg, &offers[0], &fc, 4, 4) == 0);
	ch = fake_host_channel(&fg, 1);
	CHECK(ch->open && ch->out.size == 3 * 4096 && ch->in.size == 3 * 4096);
	CHECK(fg.h.srv.monitored_open == 1);
	fake_post(&fg, 1, &close, sizeof(close));
	CHECK(!ch->open && fg.h.srv.monitored_open == 0);
	CHECK(fake_recv(&fg, &close, sizeof(close)) < 0);	/* no reply */
	/* The ring GPADL outlives the close and can be reopened. */
	CHECK(vmbus_gpadl_find(&fg.h.srv, fc.gpadl) &&
	      !vmbus_gpadl_find(&fg.h.srv, fc.gpadl)->in_use);
	CHECK(fake_open(&fg, &offers[0], &fc, 4, 4) == 0);
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

static void test_open_refused(void)
{
	struct vmbus_msg_offer offers[2];
	struct fake_guest fg;
	uint64_t gpa;

	CHECK(setup(&fg, 2, offers) == 2);
	gpa = fake_alloc(&fg, 8);
	CHECK(fake_create_gpadl(&fg, 1, 0x10, gpa, 8) == 0);
	CHECK(open_with(&fg, 1, 0x11, 4, 0) > 0);	/* no such GPADL */
	CHECK(open_with(&fg, 2, 0x10, 4, 0) > 0);	/* other channel's */
	CHECK(open_with(&fg, 1, 0x10, 1, 0) > 0);	/* ring too small */
	CHECK(open_with(&fg, 1, 0x10, 7, 0) > 0);
	CHECK(open_with(&fg, 1, 0x10, 4, 99) > 0);	/* bad VP */
	CHECK(open_with(&fg, 7, 0x10, 4, 0) > 0);	/* bad relid */
	CHECK(open_with(&fg, 1, 0x10, 4, 0) == 0);
	CHECK(open_with(&fg, 1, 0x10, 4, 0) > 0);	/* already open */
	/* A one-page GPADL cannot hold two rings, whatever the offset. */
	CHECK(fake_create_gpadl(&fg, 2, 0x12, gpa, 1) == 0);
	CHECK(open_with(&fg, 2, 0x12, 0, 0) > 0);
	CHECK(open_with(&fg, 2, 0x12, 2, 0) > 0);
	fake_destroy(&fg);
}

static void test_rescind_release(void)
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

	CHECK(setup(&fg, 1, offers) == 1);
	CHECK(fake_open(&fg, &offers[0], &fc, 2, 2) == 0);
	id = offers[0].if_instance;
	CHECK(vmbus_server_rescind(&fg.h.srv, &id) == 0);
	CHECK(fake_recv_type(&fg, VMBUS_MSG_RESCIND_CHANNELOFFER, &resc,
			     sizeof(resc)) == sizeof(resc));
	CHECK(resc.child_relid == 1);
	CHECK(!fake_host_channel(&fg, 1)->open);
	CHECK(vmbus_server_rescind(&fg.h.srv, &id) < 0);
	/* Hot-add before the release: relid 1 is still taken. */
	ch = add_echo(&fg, false);
	CHECK(ch && ch->relid == 2);
	CHECK(fake_recv_type(&fg, VMBUS_MSG_OFFERCHANNEL, &offer,
			     sizeof(offer)) == sizeof(offer));
	CHECK(offer.child_relid == 2);
	fake_post(&fg, 1, &rel, sizeof(rel));
	CHECK(fake_host_channel(&fg, 1) == NULL);
	CHECK(fg.h.srv.nr_gpadls == 0);	/* released with the channel */
	ch = add_echo(&fg, false);
	CHECK(ch && ch->relid == 1);
	fake_destroy(&fg);
}

static void test_unload(void)
{
	struct vmbus_msg_header unload = { .msgtype = VMBUS_MSG_UNLOAD };
	struct vmbus_msg_offer offers[2];
	struct vmbus_msg_header resp;
	struct fake_channel fc;
	struct fake_guest fg;

	CHECK(setup(&fg, 1, offers) == 1);
	CHECK(fake_open(&fg, &offers[0], &fc, 2, 2) == 0);
	CHECK(fg.h.srv.nr_gpadls == 1);
	fake_post(&fg, 1, &unload, sizeof(unload));
	CHECK(fake_recv_type(&fg, VMBUS_MSG_UNLOAD_RESPONSE, &resp,
			     sizeof(resp)) == sizeof(resp));
	CHECK(fg.h.srv.nr_gpadls == 0 && fg.h.srv.version == 0);
	CHECK(!fake_host_channel(&fg, 1)->open);
	CHECK(fg.h.srv.stats.unloads == 1 && fg.h.srv.stats.contacts == 1);
	/* And the guest can come back. */
	CHECK(fake_connect(&fg, V(5, 3), true) == 1);
	CHECK(fake_request_offers(&fg, offers, 2) == 1);
	CHECK(fake_open(&fg, &offers[0], &fc, 2, 2) == 0);
	CHECK(fg.h.srv.stats.contacts == 2 && !fg.h.srv.stats.stale_contacts);
	/* A new kernel without UNLOAD: the old connection ends first. */
	CHECK(fake_connect(&fg, V(5, 3), true) == 1);
	CHECK(fg.h.srv.stats.stale_contacts == 1 && fg.h.srv.nr_gpadls == 0);
	CHECK(!fake_host_channel(&fg, 1)->open);
	fake_destroy(&fg);
}

static void test_min_length(void)
{
	struct vmbus_msg_open_channel open = {
		.header.msgtype = VMBUS_MSG_OPENCHANNEL,
		.child_relid = 1,
	};
	struct vmbus_msg_offer offers[2];
	struct fake_guest fg;
	uint8_t buf[240];
	uint64_t bad;

	CHECK(setup(&fg, 1, offers) == 1);
	bad = fg.h.srv.stats.msgs_bad;
	fake_post(&fg, 1, &open, sizeof(open) - 1);
	CHECK(fake_recv(&fg, buf, sizeof(buf)) < 0);
	fake_post(&fg, 1, &open, 4);
	open.header.msgtype = 99;
	fake_post(&fg, 1, &open, sizeof(open));
	open.header.msgtype = VMBUS_MSG_VERSION_RESPONSE;	/* host's */
	fake_post(&fg, 1, &open, sizeof(open));
	CHECK(fg.h.srv.stats.msgs_bad == bad + 4);
	CHECK(fake_recv(&fg, buf, sizeof(buf)) < 0);
	fake_destroy(&fg);
}

static void test_before_contact(void)
{
	struct vmbus_msg_header req = { .msgtype = VMBUS_MSG_REQUESTOFFERS };
	struct fake_guest fg;
	uint8_t buf[240];

	fake_init(&fg);
	CHECK(add_echo(&fg, true));
	fake_post(&fg, 1, &req, sizeof(req));
	CHECK(fake_recv(&fg, buf, sizeof(buf)) < 0);
	CHECK(fg.h.srv.stats.msgs_bad == 1);
	fake_destroy(&fg);
}

static void test_modify_channel(void)
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

	CHECK(setup(&fg, 1, offers) == 1);
	CHECK(fake_open(&fg, &offers[0], &fc, 2, 2) == 0);
	fake_post(&fg, 1, &m, sizeof(m));
	CHECK(fake_recv_type(&fg, VMBUS_MSG_MODIFYCHANNEL_RESPONSE, &r,
			     sizeof(r)) == sizeof(r));
	CHECK(r.child_relid == 1 && r.status == 0);
	CHECK(fake_host_channel(&fg, 1)->target_vp == 3);
	m.target_vp = 1000;
	fake_post(&fg, 1, &m, sizeof(m));
	CHECK(fake_recv_type(&fg, VMBUS_MSG_MODIFYCHANNEL_RESPONSE, &r,
			     sizeof(r)) == sizeof(r));
	CHECK(r.status != 0);
	fake_destroy(&fg);

	/* 5.0: no response. */
	fake_init(&fg);
	CHECK(add_echo(&fg, false));
	CHECK(fake_connect(&fg, V(5, 0), true) == 1);
	CHECK(fake_request_offers(&fg, offers, 2) == 1);
	CHECK(fake_open(&fg, &offers[0], &fc, 2, 2) == 0);
	m.target_vp = 2;
	fake_post(&fg, 1, &m, sizeof(m));
	CHECK(fake_recv(&fg, &r, sizeof(r)) < 0);
	CHECK(fake_host_channel(&fg, 1)->target_vp == 2);
	fake_destroy(&fg);
}

static void test_reconnect_resets(void)
{
	struct vmbus_msg_offer offers[2];
	struct fake_channel fc;
	struct fake_guest fg;

	CHECK(setup(&fg, 1, offers) == 1);
	CHECK(fake_open(&fg, &offers[0], &fc, 2, 2) == 0);
	/* A new INITIATE_CONTACT (kexec, crash) ends the old connection. */
	CHECK(fake_connect(&fg, V(5, 2), true) == 1);
	CHECK(fg.h.srv.nr_gpadls == 0);
	CHECK(!fake_host_channel(&fg, 1)->open);
	CHECK(fake_request_offers(&fg, offers, 2) == 1);
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

static void test_subchannel_offers(void)
{
	struct vmbus_msg_offer offers[2], subs[4];
	struct fake_channel fc, sc;
	struct fake_guest fg;
	struct hv_channel *primary;
	uint8_t buf[64];
	bool signal;

	CHECK(setup(&fg, 1, offers) == 1);
	CHECK(fake_open(&fg, &offers[0], &fc, 4, 4) == 0);
	primary = fake_host_channel(&fg, 1);
	CHECK(vmbus_server_add_subchannels(&fg.h.srv, primary, 2) == 2);
	CHECK(recv_offers(&fg, subs, 4) == 2);
	CHECK(hv_guid_equal(&subs[0].if_type, &offers[0].if_type));
	CHECK(hv_guid_equal(&subs[1].if_instance, &offers[0].if_instance));
	CHECK(subs[0].sub_channel_index == 1 && subs[1].sub_channel_index == 2);
	CHECK(subs[0].child_relid == 2 && subs[1].child_relid == 3);
	CHECK(subs[0].connection_id == 0x2002 &&
	      subs[1].connection_id == 0x2003);
	/* Monitored like the primary, each with its own monitor id. */
	CHECK(subs[0].monitor_allocated && subs[0].monitorid == 1);
	CHECK(fake_host_channel(&fg, 2)->primary == primary);
	/* The instance still names the primary. */
	CHECK(vmbus_server_find(&fg.h.srv, &offers[0].if_instance) == primary);
	/* A sub-channel opens with its own ring GPADL and is served. */
	CHECK(fake_open(&fg, &subs[1], &sc, 4, 4) == 0);
	CHECK(gring_write(&sc.out, VMBUS_PKT_DATA_INBAND, 0, 7, NULL, 0,
			  "sub", 3, &signal) == 0);
	fake_signal(&fg, &sc);
	CHECK(gring_read(&sc.in, buf, sizeof(buf)) == 24);
	CHECK(!memcmp(buf + 16, "sub", 3));
	CHECK(fake_host_channel(&fg, 3)->stats.rx_packets == 1);
	CHECK(primary->stats.rx_packets == 0);
	/* No sub-channels of sub-channels, nor of unknown devices. */
	CHECK(vmbus_server_add_subchannels(&fg.h.srv, fake_host_channel(&fg, 2),
					   1) < 0);
	CHECK(vmbus_server_add_subchannels(&fg.h.srv, primary, 0) == 0);
	fake_destroy(&fg);
}

/* Closing the primary rescinds its sub-channels; a reopen starts anew. */
static void test_subchannel_primary_close(void)
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

	CHECK(setup(&fg, 1, offers) == 1);
	CHECK(fake_open(&fg, &offers[0], &fc, 4, 4) == 0);
	primary = fake_host_channel(&fg, 1);
	CHECK(vmbus_server_add_subchannels(&fg.h.srv, primary, 2) == 2);
	CHECK(recv_offers(&fg, subs, 4) == 2);
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
	CHECK(fake_open(&fg, &offers[0], &fc, 4, 4) == 0);
	CHECK(vmbus_server_add_subchannels(&fg.h.srv, primary, 1) == 1);
	CHECK(recv_offers(&fg, subs, 4) == 1 && subs[0].sub_channel_index == 1);
	fake_destroy(&fg);
}

/* Host rescind: the sub-channels first, then the primary. */
static void test_subchannel_rescind_order(void)
{
	struct vmbus_msg_offer offers[2], subs[4];
	struct vmbus_msg_relid resc;
	struct fake_channel fc, sc;
	struct fake_guest fg;
	uint32_t order[3];
	int i;

	CHECK(setup(&fg, 1, offers) == 1);
	CHECK(fake_open(&fg, &offers[0], &fc, 4, 4) == 0);
	CHECK(vmbus_server_add_subchannels(&fg.h.srv, fake_host_channel(&fg, 1),
					   2) == 2);
	CHECK(recv_offers(&fg, subs, 4) == 2);
	CHECK(fake_open(&fg, &subs[0], &sc, 4, 4) == 0);
	CHECK(vmbus_server_rescind(&fg.h.srv, &offers[0].if_instance) == 0);
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
static void test_subchannel_reset(void)
{
	struct vmbus_msg_header unload = { .msgtype = VMBUS_MSG_UNLOAD };
	struct vmbus_msg_offer offers[4], subs[4];
	struct vmbus_msg_header resp;
	struct fake_channel fc;
	struct fake_guest fg;

	CHECK(setup(&fg, 1, offers) == 1);
	CHECK(fake_open(&fg, &offers[0], &fc, 4, 4) == 0);
	CHECK(vmbus_server_add_subchannels(&fg.h.srv, fake_host_channel(&fg, 1),
					   3) == 3);
	CHECK(recv_offers(&fg, subs, 4) == 3);
	fake_post(&fg, 1, &unload, sizeof(unload));
	CHECK(fake_recv_type(&fg, VMBUS_MSG_UNLOAD_RESPONSE, &resp,
			     sizeof(resp)) == sizeof(resp));
	CHECK(!fake_host_channel(&fg, 2) && !fake_host_channel(&fg, 4));
	CHECK(fake_connect(&fg, V(5, 3), true) == 1);
	CHECK(fake_request_offers(&fg, offers, 4) == 1);
	CHECK(offers[0].sub_channel_index == 0);
	fake_destroy(&fg);
}

/* A device that says it is busy: its rescind waits until it is idle. */
static bool busy_device;
static unsigned int busy_released;

static int busy_packet(struct hv_channel *ch, const uint8_t *pkt,
		       uint32_t len)
{
	(void)ch;
	(void)pkt;
	(void)len;
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

static void test_rescind_deferred(void)
{
	struct vmbus_msg_relid rel = {
		.header.msgtype = VMBUS_MSG_RELID_RELEASED,
	};
	struct vmbus_msg_offer offers[2], subs[2];
	struct vmbus_msg_relid resc;
	struct hv_channel *primary;
	struct fake_channel fc;
	struct fake_guest fg;

	fake_init(&fg);
	primary = vmbus_server_add_device(&fg.h.srv, &busy_class, NULL, false);
	CHECK(primary);
	CHECK(fake_connect(&fg, V(5, 3), true) == 1);
	CHECK(fake_request_offers(&fg, offers, 2) == 1);
	CHECK(fake_open(&fg, &offers[0], &fc, 4, 4) == 0);
	CHECK(vmbus_server_add_subchannels(&fg.h.srv, primary, 1) == 1);
	CHECK(recv_offers(&fg, subs, 2) == 1);
	busy_device = true;
	busy_released = 0;
	CHECK(vmbus_server_rescind(&fg.h.srv, &offers[0].if_instance) == 0);
	/* Closed on the host side at once, but the guest is not told yet. */
	CHECK(!primary->open && primary->rescinded);
	CHECK(fake_recv(&fg, &resc, sizeof(resc)) < 0);
	busy_device = false;
	vmbus_server_device_idle(&fg.h.srv, primary);
	CHECK(fake_recv_type(&fg, VMBUS_MSG_RESCIND_CHANNELOFFER, &resc,
			     sizeof(resc)) > 0 && resc.child_relid == 2);
	CHECK(fake_recv_type(&fg, VMBUS_MSG_RESCIND_CHANNELOFFER, &resc,
			     sizeof(resc)) > 0 && resc.child_relid == 1);
	vmbus_server_device_idle(&fg.h.srv, primary);	/* only once */
	CHECK(fake_recv(&fg, &resc, sizeof(resc)) < 0);
	rel.child_relid = 2;
	fake_post(&fg, 1, &rel, sizeof(rel));
	CHECK(busy_released == 0);
	rel.child_relid = 1;
	fake_post(&fg, 1, &rel, sizeof(rel));
	CHECK(busy_released == 1 && !fake_host_channel(&fg, 1));
	fake_destroy(&fg);
}

UNIT_SUITE(vmbus_tests) = {
	{ "vmbus: 5.3 on connection 4, msg_conn_id 1", test_version_5_3 },
	{ "vmbus: guest walks down to each capped version",
	  test_version_every_cap },
	{ "vmbus: version needs the right connection id",
	  test_version_conn_id_rule },
	{ "vmbus: capped below 5.0, connection 4 is invalid",
	  test_version_cap },
	{ "vmbus: unknown versions refused", test_version_unknown },
	{ "vmbus: run-time cap applies to the next connection",
	  test_version_cap_runtime },
	{ "vmbus: offers then ALLOFFERS_DELIVERED", test_offers },
	{ "vmbus: no monitor ids without monitor pages",
	  test_offers_no_monitor_pages },
	{ "vmbus: GPADL header + bodies reassembled", test_gpadl_bodies },
	{ "vmbus: GPADL with a page outside RAM refused",
	  test_gpadl_bad_pfn },
	{ "vmbus: duplicate GPADL handle refused", test_gpadl_duplicate },
	{ "vmbus: GPADL reads capped by range_buflen",
	  test_gpadl_padding_ignored },
	{ "vmbus: GPADL teardown", test_gpadl_teardown },
	{ "vmbus: open, close, reopen", test_open_close },
	{ "vmbus: bad OPENCHANNEL refused with a status", test_open_refused },
	{ "vmbus: rescind holds the relid until released",
	  test_rescind_release },
	{ "vmbus: unload closes everything, guest reconnects", test_unload },
	{ "vmbus: short and unknown messages dropped", test_min_length },
	{ "vmbus: messages before INITIATE_CONTACT dropped",
	  test_before_contact },
	{ "vmbus: MODIFYCHANNEL, response only for 5.3",
	  test_modify_channel },
	{ "vmbus: new INITIATE_CONTACT resets the connection",
	  test_reconnect_resets },
	{ "vmbus: sub-channel offers, same GUIDs, own relids, served",
	  test_subchannel_offers },
	{ "vmbus: primary close rescinds its sub-channels",
	  test_subchannel_primary_close },
	{ "vmbus: rescind sends sub-channels before the primary",
	  test_subchannel_rescind_order },
	{ "vmbus: unload drops sub-channels", test_subchannel_reset },
	{ "vmbus: rescind of a busy device waits until it is idle",
	  test_rescind_deferred },
	{ NULL, NULL },
};
