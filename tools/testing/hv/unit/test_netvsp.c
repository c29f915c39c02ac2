// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the NIC's host half: the Toeplitz hash against the RSS
 * specification's verification vectors, --nic's SPEC, and NetVSP/RNDIS
 * (netvsp.c, rndis_dev.c) driven by a fake guest over real rings. The
 * TAP is a SOCK_SEQPACKET socket pair: frames keep their boundaries and
 * their virtio-net header, as on a TAP, and no interface is touched.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "netvsp.h"
#include "rss.h"
#include "unit.h"

#define REQ		VMBUS_PKT_FLAG_COMPLETION_REQUESTED
#define RECV_PAGES	64
#define SEND_PAGES	16
#define RECV_GPADL	0x7001
#define SEND_GPADL	0x7002

/* The key of the specification's verification suite. */
static const uint8_t ms_key[40] = {
	0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2,
	0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0,
	0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4,
	0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30, 0xf2, 0x0c,
	0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};

struct v4_vector {
	const char *dst, *src;
	uint16_t dport, sport;
	uint32_t with_ports, addrs_only;
};

static const struct v4_vector v4_vectors[] = {
	{ "161.142.100.80", "66.9.149.187", 1766, 2794, 0x51ccc178, 0x323e8fc2 },
	{ "65.69.140.83", "199.92.111.2", 4739, 14230, 0xc626b0ea, 0xd718262a },
	{ "12.22.207.184", "24.19.198.95", 38024, 12898, 0x5c2b394a, 0xd2d0a5de },
	{ "209.142.163.6", "38.27.205.30", 2217, 48228, 0xafc7327f, 0x82989176 },
	{ "202.188.127.2", "153.39.163.191", 1303, 44251, 0x10e828a2, 0x5d1809c5 },
};

static const struct v4_vector v6_vectors[] = {
	{ "3ffe:2501:200:3::1", "3ffe:2501:200:1fff::7", 1766, 2794,
	  0x40207d3d, 0x2cc18cd5 },
	{ "ff02::1", "3ffe:501:8::260:97ff:fe40:efab", 4739, 14230,
	  0xdde51bbf, 0x0f0c461c },
	{ "fe80::200:f8ff:fe21:67cf", "3ffe:1900:4545:3:200:f8ff:fe21:67cf",
	  38024, 44251, 0x02d1feef, 0x4b61e985 },
};

/* An Ethernet + IP + TCP frame of the vector (no payload). */
static uint32_t vector_frame(const struct v4_vector *v, bool ipv6,
			     uint8_t *f)
{
	uint32_t l3 = 14, l4 = l3 + (ipv6 ? 40 : 20);
	uint16_t sp = htons(v->sport), dp = htons(v->dport);

	memset(f, 0, l4 + 20);
	f[12] = ipv6 ? 0x86 : 0x08;
	f[13] = ipv6 ? 0xdd : 0x00;
	if (ipv6) {
		f[l3] = 0x60;
		f[l3 + 6] = 6;
		inet_pton(AF_INET6, v->src, f + l3 + 8);
		inet_pton(AF_INET6, v->dst, f + l3 + 24);
	} else {
		f[l3] = 0x45;
		f[l3 + 9] = 6;
		inet_pton(AF_INET, v->src, f + l3 + 12);
		inet_pton(AF_INET, v->dst, f + l3 + 16);
	}
	memcpy(f + l4, &sp, 2);
	memcpy(f + l4 + 2, &dp, 2);
	f[l4 + 12] = 0x50;
	return l4 + 20;
}

static uint32_t frame_hash(const uint8_t *f, uint32_t len, uint32_t types)
{
	struct rss_tuple t;

	if (rss_frame_tuple(f, len, types, &t))
		return 0;
	return rss_toeplitz(ms_key, sizeof(ms_key), t.bytes, t.len);
}

/* Each vector hashed with ports (@all types on) and without (@addr). */
static bool vectors_match(const struct v4_vector *v, size_t n, bool ipv6,
			  uint32_t all, uint32_t addr)
{
	uint8_t f[128];
	uint32_t len;
	size_t i;

	for (i = 0; i < n; i++) {
		len = vector_frame(&v[i], ipv6, f);
		if (frame_hash(f, len, all) != v[i].with_ports ||
		    frame_hash(f, len, addr) != v[i].addrs_only) {
			printf("vector %zu: %08x %08x\n", i,
			       frame_hash(f, len, all), frame_hash(f, len, addr));
			return false;
		}
	}
	return true;
}

TEST(test_rss_vectors,
     "netvsp: Toeplitz matches the published IPv4/IPv6 (TCP) vectors")
{
	CHECK(vectors_match(v4_vectors, ARRAY_SIZE(v4_vectors), false,
			    NDIS_RSS_HASH_TYPE_IPV4 | NDIS_RSS_HASH_TYPE_TCP_IPV4,
			    NDIS_RSS_HASH_TYPE_IPV4));
	CHECK(vectors_match(v6_vectors, ARRAY_SIZE(v6_vectors), true,
			    NDIS_RSS_HASH_TYPE_IPV6 | NDIS_RSS_HASH_TYPE_TCP_IPV6,
			    NDIS_RSS_HASH_TYPE_IPV6));
}

TEST(test_rss_not_hashed, "netvsp: non-IP frames and disabled types are not hashed")
{
	struct rss_tuple t;
	uint8_t f[128];
	uint32_t len = vector_frame(&v4_vectors[0], false, f);

	CHECK(rss_frame_tuple(f, len, NDIS_RSS_HASH_TYPE_IPV6, &t));
	f[12] = 0x08;
	f[13] = 0x06;			/* ARP */
	CHECK(rss_frame_tuple(f, len, NDIS_RSS_HASH_TYPE_IPV4, &t));
	CHECK(rss_frame_tuple(f, 10, NDIS_RSS_HASH_TYPE_IPV4, &t));
}

TEST(test_nic_spec, "netvsp: --nic SPEC words are checked")
{
	struct netvsp_nic_cfg c;
	const char *err;
	uint8_t mac[6];

	ASSERT_EQ(0, netvsp_parse_cfg("tap=hv0,mac=00:15:5d:01:02:03,channels=2,mtu=9000",
				      &c, &err));
	CHECK(!strcmp(c.tap, "hv0") && c.has_mac && c.mac[5] == 3);
	ASSERT_EQ(2, c.channels);
	ASSERT_EQ(9000, c.mtu);
	ASSERT_EQ(0, netvsp_parse_cfg("", &c, &err));
	ASSERT_EQ(NETVSP_DEFAULT_CHANNELS, c.channels);
	CHECK(!c.tap[0] && !c.has_mac);
	ASSERT_EQ(-1, netvsp_parse_cfg("tap=0123456789abcdef", &c, &err));
	ASSERT_EQ(-1, netvsp_parse_cfg("channels=17", &c, &err));
	ASSERT_EQ(-1, netvsp_parse_cfg("mtu=67", &c, &err));
	ASSERT_EQ(NVSP_VERSION_61, c.max_version);
	ASSERT_EQ(0, netvsp_parse_cfg("nvsp=6", &c, &err));
	ASSERT_EQ(NVSP_VERSION_6, c.max_version);
	ASSERT_EQ(-1, netvsp_parse_cfg("nvsp=3", &c, &err));
	ASSERT_EQ(-1, netvsp_parse_cfg("nvsp=6.0", &c, &err));
	ASSERT_EQ(-1, netvsp_parse_mac("01:00:00:00:00:01", mac));
	ASSERT_EQ(-1, netvsp_parse_mac("00:00:00:00:00:00", mac));
	ASSERT_EQ(-1, netvsp_parse_mac("00:15:5d:01:02", mac));
	ASSERT_EQ(-1, netvsp_parse_mac("00:15:5d:01:02:0g", mac));
	ASSERT_EQ(-1, netvsp_parse_mac("00-15-5d-01-02-03", mac));
}

/* --- a fake guest NIC driver ---------------------------------------- */

struct nic_env {
	struct fake_guest fg;
	struct vmbus_msg_offer offers[4];
	struct fake_channel fc;
	struct netvsp_nic *nic;
	int wire;		/* our end of the "TAP" */
	uint64_t recv_gpa;
	uint64_t send_gpa;
	uint64_t id;
};

static int env_init_rings(struct nic_env *e, uint32_t in_pages)
{
	struct hv_channel *ch;
	int sv[2];
	struct epoll_event ev = { .events = EPOLLIN };

	memset(e, 0, sizeof(*e));
	fake_init(&e->fg);
	e->id = 1;
	ch = vmbus_server_add_device(&e->fg.h.srv, hv_device_class_find("nic"),
				     NULL, false);
	if (!ch || hvhost_class_bind(&e->fg.h, ch, -1))
		return -1;
	e->nic = ch->device;
	/* The socket pair plays the TAP. */
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, sv))
		return -1;
	e->nic->tap.fd = sv[0];
	e->wire = sv[1];
	ev.data.ptr = e->nic;
	if (epoll_ctl(e->nic->np->epfd, EPOLL_CTL_ADD, sv[0], &ev))
		return -1;
	e->nic->tap_armed = true;
	if (fake_connect(&e->fg, VMBUS_VERSION(5, 3), true) != 1 ||
	    fake_request_offers(&e->fg, e->offers, 4) != 1)
		return -1;
	return fake_open(&e->fg, &e->offers[0], &e->fc, 16, in_pages);
}

static int env_init(struct nic_env *e)
{
	return env_init_rings(e, 16);
}

static void env_destroy(struct nic_env *e)
{
	close(e->wire);
	fake_destroy(&e->fg);
}

static void send_msg(struct nic_env *e, uint16_t flags, const void *msg,
		     uint32_t len)
{
	bool signal;

	gring_write(&e->fc.out, VMBUS_PKT_DATA_INBAND, flags, ++e->id, NULL, 0,
		    msg, len, &signal);
	fake_signal(&e->fg, &e->fc);
}

/* A request that wants a completion. */
static void nvsp(struct nic_env *e, const union nvsp_msg *m)
{
	send_msg(e, REQ, m, sizeof(*m));
}

/* One that does not (NDIS version and config, revokes, as Linux sends). */
static void nvsp_nocomp(struct nic_env *e, const union nvsp_msg *m)
{
	send_msg(e, 0, m, sizeof(*m));
}

/* The next host packet: descriptor, payload (as an NVSP message). */
static int recv_pkt(struct nic_env *e, uint8_t *buf, uint32_t cap,
		    struct vmbus_packet_desc *d, union nvsp_msg *m)
{
	int n = gring_read(&e->fc.in, buf, cap);

	if (n < (int)sizeof(*d))
		return -1;
	memcpy(d, buf, sizeof(*d));
	memset(m, 0, sizeof(*m));
	if (n > d->offset8 * 8)
		memcpy(m, buf + d->offset8 * 8,
		       n - d->offset8 * 8 < (int)sizeof(*m) ?
		       (size_t)(n - d->offset8 * 8) : sizeof(*m));
	return n;
}

/* A completion of the last request: its NVSP payload. */
static int recv_comp(struct nic_env *e, union nvsp_msg *m)
{
	uint8_t buf[512];
	struct vmbus_packet_desc d;

	if (recv_pkt(e, buf, sizeof(buf), &d, m) < 0 ||
	    d.type != VMBUS_PKT_COMP || d.trans_id != e->id)
		return -1;
	return 0;
}

static uint32_t init_version(struct nic_env *e, uint32_t v)
{
	union nvsp_msg m = { .init = { NVSP_MSG_INIT, v, v } };

	nvsp(e, &m);
	if (recv_comp(e, &m) || m.msg_type != NVSP_MSG_INIT_COMPLETE)
		return 0xdead;
	return m.init_complete.status;
}

static uint32_t give_buf(struct nic_env *e, uint32_t type, uint32_t gpadl,
			 union nvsp_msg *m)
{
	m->send_buf = (struct nvsp_send_buf){ .msg_type = type,
					      .gpadl_handle = gpadl,
					      .id = NVSP_RECV_BUF_ID };
	nvsp(e, m);
	if (recv_comp(e, m))
		return 0xdead;
	return m->recv_buf_complete.status;
}

/* INIT 6.1, NDIS config and version, both buffers. */
static int handshake(struct nic_env *e)
{
	union nvsp_msg m = { .ndis_config = {
		NVSP_MSG2_SEND_NDIS_CONFIG, 1514, 0, NVSP_CAP_IEEE8021Q } };

	if (init_version(e, NVSP_VERSION_61) != NVSP_STAT_SUCCESS)
		return -1;
	nvsp_nocomp(e, &m);
	m.ndis_ver = (struct nvsp_send_ndis_ver){ NVSP_MSG1_SEND_NDIS_VER, 6,
						  30 };
	nvsp_nocomp(e, &m);
	e->recv_gpa = fake_alloc(&e->fg, RECV_PAGES);
	e->send_gpa = fake_alloc(&e->fg, SEND_PAGES);
	if (fake_create_gpadl(&e->fg, e->fc.relid, RECV_GPADL, e->recv_gpa,
			      RECV_PAGES) ||
	    fake_create_gpadl(&e->fg, e->fc.relid, SEND_GPADL, e->send_gpa,
			      SEND_PAGES))
		return -1;
	if (give_buf(e, NVSP_MSG1_SEND_RECV_BUF, RECV_GPADL, &m) !=
	    NVSP_STAT_SUCCESS)
		return -1;
	return give_buf(e, NVSP_MSG1_SEND_SEND_BUF, SEND_GPADL, &m) ==
	       NVSP_STAT_SUCCESS ? 0 : -1;
}

/* An RNDIS message as a control SEND_RNDIS_PKT, in send section @sec. */
static void rndis_send(struct nic_env *e, uint32_t chan, uint32_t sec,
		       const void *msg, uint32_t len)
{
	union nvsp_msg m = { .rndis_pkt = {
		NVSP_MSG1_SEND_RNDIS_PKT, chan, sec, len } };

	memcpy(fake_ptr(&e->fg, e->send_gpa + sec * NETVSP_SEND_SECTION), msg,
	       len);
	nvsp(e, &m);
}

/*
 * The next transfer-page packet: the RNDIS message it names copied to
 * @msg, its slot's transaction id in @id; returns the message's bytes.
 */
static int recv_xfer(struct nic_env *e, void *msg, uint32_t cap,
		     uint64_t *id, uint32_t *chan)
{
	uint8_t buf[512];
	struct vmbus_packet_desc d;
	struct vmbus_xfer_page_header xh;
	struct vmbus_xfer_page_range r;
	union nvsp_msg m;

	if (recv_pkt(e, buf, sizeof(buf), &d, &m) < 0 ||
	    d.type != VMBUS_PKT_DATA_USING_XFER_PAGES || !(d.flags & REQ))
		return -1;
	memcpy(&xh, buf, sizeof(xh));
	memcpy(&r, buf + sizeof(xh), sizeof(r));
	if (xh.xfer_pageset_id != NVSP_RECV_BUF_ID || xh.range_cnt != 1 ||
	    m.msg_type != NVSP_MSG1_SEND_RNDIS_PKT || r.byte_count > cap ||
	    r.byte_offset + r.byte_count > RECV_PAGES * HV_WIRE_PAGE_SIZE)
		return -1;
	memcpy(msg, fake_ptr(&e->fg, e->recv_gpa + r.byte_offset),
	       r.byte_count);
	*id = d.trans_id;
	*chan = m.rndis_pkt.channel_type;
	return r.byte_count;
}

static void complete_xfer(struct nic_env *e, uint64_t id)
{
	union nvsp_msg m = { .rndis_pkt_complete = {
		NVSP_MSG1_SEND_RNDIS_PKT_COMPLETE, NVSP_STAT_SUCCESS } };
	bool signal;

	gring_write(&e->fc.out, VMBUS_PKT_COMP, 0, id, NULL, 0, &m, 8, &signal);
	fake_signal(&e->fg, &e->fc);
}

/* The guest's RNDIS_PKT is completed: its status. */
static uint32_t rndis_pkt_status(struct nic_env *e)
{
	union nvsp_msg m;

	if (recv_comp(e, &m) || m.msg_type != NVSP_MSG1_SEND_RNDIS_PKT_COMPLETE)
		return 0xdead;
	return m.rndis_pkt_complete.status;
}

/* A control request and its response (completed back to the host). */
static int control(struct nic_env *e, const void *req, uint32_t len,
		   void *resp, uint32_t cap)
{
	uint64_t id;
	uint32_t chan;
	int n;

	rndis_send(e, NVSP_RNDIS_CHANNEL_CONTROL, 0, req, len);
	n = recv_xfer(e, resp, cap, &id, &chan);
	if (n < 0 || chan != NVSP_RNDIS_CHANNEL_CONTROL ||
	    rndis_pkt_status(e) != NVSP_STAT_SUCCESS)
		return -1;
	complete_xfer(e, id);
	return n;
}

static int rndis_up(struct nic_env *e)
{
	struct rndis_initialize req = {
		{ RNDIS_MSG_INIT, sizeof(req) }, 7, 1, 0, 0x4000 };
	struct rndis_initialize_cmplt c;

	if (handshake(e) ||
	    control(e, &req, sizeof(req), &c, sizeof(c)) != sizeof(c) ||
	    c.hdr.msg_type != RNDIS_MSG_INIT_C || c.req_id != 7 || c.status)
		return -1;
	return 0;
}

/* QUERY @oid: the status, the data in @data (@len bytes). */
static uint32_t query(struct nic_env *e, uint32_t oid, void *data,
		      uint32_t *len)
{
	struct rndis_request req = {
		{ RNDIS_MSG_QUERY, sizeof(req) }, 9, oid, 0,
		RNDIS_REQ_INFO_OFFSET, 0 };
	uint8_t buf[1024];
	struct rndis_query_cmplt c;

	if (control(e, &req, sizeof(req), buf, sizeof(buf)) < (int)sizeof(c))
		return 0xdead;
	memcpy(&c, buf, sizeof(c));
	*len = c.info_buflen;
	if (c.info_buflen)
		memcpy(data, buf + 8 + c.info_buf_offset, c.info_buflen);
	return c.status;
}

static uint32_t set_oid(struct nic_env *e, uint32_t oid, const void *data,
			uint32_t len)
{
	uint8_t buf[512];
	struct rndis_request req = {
		{ RNDIS_MSG_SET, sizeof(req) + len }, 11, oid, len,
		RNDIS_REQ_INFO_OFFSET, 0 };
	struct rndis_set_cmplt c;

	memcpy(buf, &req, sizeof(req));
	memcpy(buf + sizeof(req), data, len);
	if (control(e, buf, sizeof(req) + len, &c, sizeof(c)) != sizeof(c) ||
	    c.hdr.msg_type != RNDIS_MSG_SET_C || c.req_id != 11)
		return 0xdead;
	return c.status;
}

#define NIC_TEST(fn, name)						\
	static void fn##_body(struct nic_env *e);			\
	TEST(fn, name)							\
	{								\
		static struct nic_env env;				\
									\
		CHECK(!env_init(&env));					\
		fn##_body(&env);					\
		env_destroy(&env);					\
	}								\
	static void fn##_body(struct nic_env *e)

NIC_TEST(test_nvsp_versions,
	 "netvsp: INIT: unknown versions get status NONE, then 6.1 succeeds")
{
	ASSERT_EQ(NVSP_STAT_NONE, init_version(e, NVSP_VERSION(7, 0)));
	ASSERT_EQ(NVSP_STAT_NONE, init_version(e, NVSP_VERSION(3, 0)));
	ASSERT_EQ(0, e->nic->version);
	ASSERT_EQ(NVSP_STAT_SUCCESS, init_version(e, NVSP_VERSION_61));
	ASSERT_EQ(NVSP_VERSION_61, e->nic->version);
	/* A second INIT is out of order: the NIC stops. */
	ASSERT_EQ(0xdead, init_version(e, NVSP_VERSION_5));
	CHECK(e->nic->failed);
}

TEST(test_nvsp_every_version, "netvsp: INIT accepts each version of §6.1")
{
	static const uint32_t v[] = {
		NVSP_VERSION_1, NVSP_VERSION_2, NVSP_VERSION_4,
		NVSP_VERSION_5, NVSP_VERSION_6, NVSP_VERSION_61,
	};
	static struct nic_env e;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(v); i++) {
		CHECK(!env_init(&e));
		ASSERT_EQ(NVSP_STAT_SUCCESS, init_version(&e, v[i]));
		ASSERT_EQ(v[i], e.nic->version);
		env_destroy(&e);
	}
}

NIC_TEST(test_nvsp_buffers, "netvsp: receive and send buffers are sectioned")
{
	union nvsp_msg m;

	CHECK(!handshake(e));
	ASSERT_EQ(NETVSP_RX_HEADROOM + 1514 + NETVSP_RX_FOOTER,
		  e->nic->slot_size);
	ASSERT_EQ(RECV_PAGES * HV_WIRE_PAGE_SIZE / e->nic->slot_size,
		  e->nic->nslots);
	ASSERT_EQ(SEND_PAGES * HV_WIRE_PAGE_SIZE / NETVSP_SEND_SECTION,
		  e->nic->nsections);
	/* A second receive buffer fails, the first stays. */
	ASSERT_EQ(NVSP_STAT_FAIL, give_buf(e, NVSP_MSG1_SEND_RECV_BUF,
					   RECV_GPADL, &m));
	ASSERT_EQ(RECV_GPADL, e->nic->recv_gpadl);
	CHECK(!e->nic->failed);
	/* Revoked: unpinned, so the guest may tear the GPADL down. */
	m.revoke_buf = (struct nvsp_revoke_buf){ NVSP_MSG1_REVOKE_RECV_BUF,
						 NVSP_RECV_BUF_ID };
	nvsp_nocomp(e, &m);
	ASSERT_EQ(0, e->nic->recv_gpadl);
	ASSERT_EQ(0, vmbus_gpadl_find(&e->fg.h.srv, RECV_GPADL)->pins);
}

NIC_TEST(test_nvsp_buffer_checks,
	 "netvsp: a receive buffer needs NDIS config and a GPADL of the channel")
{
	union nvsp_msg m;

	ASSERT_EQ(NVSP_STAT_SUCCESS, init_version(e, NVSP_VERSION_5));
	m.ndis_config = (struct nvsp_send_ndis_config){
		NVSP_MSG2_SEND_NDIS_CONFIG, 100000, 0, 0 };
	nvsp_nocomp(e, &m);
	/* Out of range: the default, as the vmswitch does. */
	ASSERT_EQ(NETVSP_NDIS_MTU_DEFAULT, e->nic->ndis_mtu);
	ASSERT_EQ(NVSP_STAT_FAIL, give_buf(e, NVSP_MSG1_SEND_RECV_BUF,
					   0x4242, &m));
	ASSERT_EQ(0, e->nic->recv_gpadl);
	CHECK(!e->nic->failed);
}

NIC_TEST(test_nvsp_order, "netvsp: messages out of order stop the NIC")
{
	union nvsp_msg m = { .send_buf = { .msg_type = NVSP_MSG1_SEND_RECV_BUF,
					   .gpadl_handle = 1 } };

	/* Before INIT. */
	nvsp(e, &m);
	CHECK(e->nic->failed);
	ASSERT_EQ(1, e->nic->stats.protocol_errors);
	ASSERT_EQ(1, fake_host_channel(&e->fg, e->fc.relid)->stats.bad_packets);
}

NIC_TEST(test_nvsp_unknown_type, "netvsp: an unknown NVSP type stops the NIC")
{
	union nvsp_msg m = { .msg_type = 0x7777 };

	ASSERT_EQ(NVSP_STAT_SUCCESS, init_version(e, NVSP_VERSION_61));
	nvsp(e, &m);
	CHECK(e->nic->failed);
}

NIC_TEST(test_rndis_init_and_oids, "netvsp: RNDIS INITIALIZE and the OIDs a guest queries")
{
	uint8_t d[512];
	uint32_t len, v;
	struct ndis_offload o;
	struct ndis_rss_caps rc;

	CHECK(!rndis_up(e));
	ASSERT_EQ(NETVSP_RNDIS_OPERATIONAL, e->nic->rndis);
	ASSERT_EQ(RNDIS_STATUS_SUCCESS,
		  query(e, RNDIS_OID_802_3_PERMANENT_ADDRESS, d, &len));
	ASSERT_EQ(6, len);
	CHECK(!memcmp(d, e->nic->mac, 6) && d[0] == 0x00 && d[2] == 0x5d);
	ASSERT_EQ(RNDIS_STATUS_SUCCESS,
		  query(e, RNDIS_OID_GEN_MAXIMUM_FRAME_SIZE, &v, &len));
	ASSERT_EQ(1500, v);
	ASSERT_EQ(RNDIS_STATUS_SUCCESS,
		  query(e, RNDIS_OID_GEN_LINK_SPEED, &v, &len));
	ASSERT_EQ(NETVSP_LINK_SPEED, v);
	/* A NIC without a TAP has its cable unplugged; here there is one. */
	ASSERT_EQ(RNDIS_STATUS_SUCCESS,
		  query(e, RNDIS_OID_GEN_MEDIA_CONNECT_STATUS, &v, &len));
	ASSERT_EQ(RNDIS_MEDIA_STATE_CONNECTED, v);
	ASSERT_EQ(RNDIS_STATUS_SUCCESS,
		  query(e, RNDIS_OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES, &o,
			&len));
	ASSERT_EQ(NDIS_OFFLOAD_SIZE_REVISION_3, len);
	ASSERT_EQ(NDIS_OBJECT_TYPE_OFFLOAD, o.header.type);
	CHECK(o.lsov2.ip4_encap == NDIS_OFFLOAD_ENCAP_8023);
	ASSERT_EQ(RNDIS_STATUS_SUCCESS,
		  query(e, RNDIS_OID_GEN_RECEIVE_SCALE_CAPABILITIES, &rc, &len));
	ASSERT_EQ(NDIS_RSS_CAPS_SIZE, len);
	ASSERT_EQ(NETVSP_DEFAULT_CHANNELS, rc.num_recv_que);
	ASSERT_EQ(RNDIS_STATUS_NOT_SUPPORTED, query(e, 0x00ffff01, d, &len));
	ASSERT_EQ(0, len);
	/* Every slot came back. */
	ASSERT_EQ(e->nic->nslots, e->nic->nfree);
}

/* A frame as an RNDIS PACKET with an optional u32 PPI (@v >= 0). */
static uint32_t build_packet_ppi(uint8_t *buf, const uint8_t *f,
				 uint32_t flen, uint32_t type, int64_t value)
{
	struct rndis_packet p = { .hdr.msg_type = RNDIS_MSG_PACKET };
	uint32_t ppi = value >= 0 ? RNDIS_PPI_U32_SIZE : 0;
	struct rndis_ppi e = { RNDIS_PPI_U32_SIZE, type, 12 };
	uint32_t v = value;

	p.per_pkt_info_offset = ppi ? RNDIS_PACKET_BODY_SIZE : 0;
	p.per_pkt_info_len = ppi;
	p.data_offset = RNDIS_PACKET_BODY_SIZE + ppi;
	p.data_len = flen;
	p.hdr.msg_len = sizeof(p) + ppi + flen;
	memcpy(buf, &p, sizeof(p));
	if (ppi) {
		memcpy(buf + sizeof(p), &e, sizeof(e));
		memcpy(buf + sizeof(p) + sizeof(e), &v, 4);
	}
	memcpy(buf + sizeof(p) + ppi, f, flen);
	return p.hdr.msg_len;
}

/* ... with an optional checksum PPI. */
static uint32_t build_packet(uint8_t *buf, const uint8_t *f, uint32_t flen,
			     int64_t csum)
{
	return build_packet_ppi(buf, f, flen, RNDIS_PPI_CHECKSUM, csum);
}

NIC_TEST(test_tx_to_tap, "netvsp: guest packets reach the TAP, PPIs as a vnet header")
{
	uint8_t f[128], pkt[512], got[256];
	struct virtio_net_hdr vh;
	struct iovec iov[2] = { { &vh, sizeof(vh) }, { got, sizeof(got) } };
	uint32_t flen = vector_frame(&v4_vectors[0], false, f), len;
	ssize_t n;

	CHECK(!rndis_up(e));
	len = build_packet(pkt, f, flen, -1);
	rndis_send(e, NVSP_RNDIS_CHANNEL_DATA, 3, pkt, len);
	ASSERT_EQ(NVSP_STAT_SUCCESS, rndis_pkt_status(e));
	n = readv(e->wire, iov, 2);
	ASSERT_EQ(sizeof(vh) + flen, n);
	CHECK(!memcmp(got, f, flen) && !vh.flags);
	/* TCP checksum offload: NEEDS_CSUM from the TCP header on. */
	len = build_packet(pkt, f, flen, RNDIS_TXCSUM_IS_IPV4 |
			   RNDIS_TXCSUM_TCP | 34 << RNDIS_TXCSUM_TCP_OFFSET_SHIFT);
	rndis_send(e, NVSP_RNDIS_CHANNEL_DATA, 4, pkt, len);
	ASSERT_EQ(NVSP_STAT_SUCCESS, rndis_pkt_status(e));
	n = readv(e->wire, iov, 2);
	ASSERT_EQ(sizeof(vh) + flen, n);
	ASSERT_EQ(VIRTIO_NET_HDR_F_NEEDS_CSUM, vh.flags);
	ASSERT_EQ(34, vh.csum_start);
	ASSERT_EQ(16, vh.csum_offset);
	ASSERT_EQ(1, e->nic->stats.tx_csum_ppi);
	ASSERT_EQ(2, e->nic->stats.tx_frames);
	/* An 802.1Q PPI (priority 5, VLAN 42): the tag goes into the frame. */
	len = build_packet_ppi(pkt, f, flen, RNDIS_PPI_IEEE_8021Q,
			       5 | 42 << RNDIS_VLAN_ID_SHIFT);
	rndis_send(e, NVSP_RNDIS_CHANNEL_DATA, 5, pkt, len);
	ASSERT_EQ(NVSP_STAT_SUCCESS, rndis_pkt_status(e));
	n = readv(e->wire, iov, 2);
	ASSERT_EQ(sizeof(vh) + flen + 4, n);
	CHECK(!memcmp(got, f, 12) && !memcmp(got + 16, f + 12, flen - 12));
	ASSERT_EQ(0x81, got[12]);
	ASSERT_EQ(0x00, got[13]);
	ASSERT_EQ((5 << 13 | 42) >> 8, got[14]);
	ASSERT_EQ((5 << 13 | 42) & 0xff, got[15]);
}

NIC_TEST(test_tx_malformed, "netvsp: malformed guest packets are completed with FAIL")
{
	uint8_t f[128], pkt[512];
	uint32_t flen = vector_frame(&v4_vectors[0], false, f), len;
	struct rndis_packet p;
	union nvsp_msg m = { .rndis_pkt = {
		NVSP_MSG1_SEND_RNDIS_PKT, 0, 999, 64 } };

	CHECK(!rndis_up(e));
	len = build_packet(pkt, f, flen, -1);
	memcpy(&p, pkt, sizeof(p));
	p.data_len = len;		/* past the message */
	memcpy(pkt, &p, sizeof(p));
	rndis_send(e, NVSP_RNDIS_CHANNEL_DATA, 0, pkt, len);
	ASSERT_EQ(NVSP_STAT_FAIL, rndis_pkt_status(e));
	/* A section past the send buffer. */
	nvsp(e, &m);
	ASSERT_EQ(NVSP_STAT_FAIL, rndis_pkt_status(e));
	/* A PPI longer than its area. */
	len = build_packet(pkt, f, flen, RNDIS_TXCSUM_TCP);
	pkt[sizeof(p)] = 200;
	rndis_send(e, NVSP_RNDIS_CHANNEL_DATA, 1, pkt, len);
	ASSERT_EQ(NVSP_STAT_FAIL, rndis_pkt_status(e));
	ASSERT_EQ(3, e->nic->stats.tx_bad);
	CHECK(!e->nic->failed);
}

static void wire_send_vh(struct nic_env *e, struct virtio_net_hdr *vh,
			 const uint8_t *f, uint32_t len)
{
	struct iovec iov[2] = { { vh, sizeof(*vh) }, { (void *)f, len } };

	CHECK(writev(e->wire, iov, 2) == (ssize_t)(sizeof(*vh) + len));
	netvsp_rx_pump(e->nic);
}

static void wire_send(struct nic_env *e, const uint8_t *f, uint32_t len)
{
	struct virtio_net_hdr vh = { 0 };

	wire_send_vh(e, &vh, f, len);
}

/* The one's complement sum of @len bytes (even) on top of @sum, folded. */
static uint16_t ones_sum(uint32_t sum, const uint8_t *p, uint32_t len)
{
	uint32_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += p[i] << 8 | p[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

/* The value of the PPI of @type in the RNDIS PACKET @msg, or -1. */
static int64_t ppi_value(const uint8_t *msg, uint32_t type)
{
	struct rndis_packet p;
	struct rndis_ppi e;
	uint32_t off, v;

	memcpy(&p, msg, sizeof(p));
	for (off = 0; off + sizeof(e) <= p.per_pkt_info_len; off += e.size) {
		memcpy(&e, msg + 8 + p.per_pkt_info_offset + off, sizeof(e));
		if (e.size < sizeof(e))
			return -1;
		if (e.type == type) {
			memcpy(&v, msg + 8 + p.per_pkt_info_offset + off +
			       e.ppi_offset, 4);
			return v;
		}
	}
	return -1;
}

NIC_TEST(test_rx_vlan_partial_csum,
	 "netvsp: a tagged TAP frame with a partial checksum: untagged, checksum done, VLAN and checksum PPIs")
{
	uint32_t filter = NDIS_PACKET_TYPE_PROMISCUOUS, chan, l4 = 34;
	uint8_t f[128], t[132], msg[2048];
	uint32_t flen = vector_frame(&v4_vectors[1], false, f);
	struct virtio_net_hdr vh = {
		.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
		.csum_start = l4 + 4, .csum_offset = 16,
	};
	uint16_t pseudo;
	struct rndis_packet p;
	uint64_t id;

	CHECK(!rndis_up(e));
	ASSERT_EQ(RNDIS_STATUS_SUCCESS,
		  set_oid(e, RNDIS_OID_GEN_CURRENT_PACKET_FILTER, &filter, 4));
	/* What the kernel leaves: the pseudo-header sum in the field. */
	pseudo = ones_sum(6 + flen - l4, f + 26, 8);
	f[l4 + 16] = pseudo >> 8;
	f[l4 + 17] = pseudo & 0xff;
	/* VLAN 5, priority 5, CFI 0, in line. */
	memcpy(t, f, 12);
	t[12] = 0x81, t[13] = 0x00, t[14] = 0xa0, t[15] = 0x05;
	memcpy(t + 16, f + 12, flen - 12);
	wire_send_vh(e, &vh, t, flen + 4);
	CHECK(recv_xfer(e, msg, sizeof(msg), &id, &chan) > 0);
	memcpy(&p, msg, sizeof(p));
	ASSERT_EQ(flen, p.data_len);
	CHECK(!memcmp(msg + 8 + p.data_offset, f, l4 + 16));
	/* The completed checksum verifies over pseudo-header and segment. */
	ASSERT_EQ(0xffff, ones_sum(ones_sum(6 + flen - l4, f + 26, 8),
				   msg + 8 + p.data_offset + l4, flen - l4));
	ASSERT_EQ(5 | 5 << RNDIS_VLAN_ID_SHIFT,
		  ppi_value(msg, RNDIS_PPI_IEEE_8021Q));
	ASSERT_EQ(RNDIS_RXCSUM_IP_OK | RNDIS_RXCSUM_TCP_OK,
		  ppi_value(msg, RNDIS_PPI_CHECKSUM));
	ASSERT_EQ(1, e->nic->stats.rx_vlan_ppi);
	ASSERT_EQ(1, e->nic->stats.rx_csum_ppi);
	complete_xfer(e, id);
	/* A header pointing past the frame: dropped. */
	vh.csum_start = flen + 4;
	wire_send_vh(e, &vh, t, flen + 4);
	ASSERT_EQ(1, e->nic->stats.rx_dropped);
}

NIC_TEST(test_rx_from_tap, "netvsp: TAP frames reach the guest in receive slots")
{
	uint32_t filter = NDIS_PACKET_TYPE_DIRECTED, chan;
	uint8_t f[128], msg[2048];
	uint32_t flen = vector_frame(&v4_vectors[1], false, f);
	struct rndis_packet p;
	uint64_t id;
	int n;

	CHECK(!rndis_up(e));
	/* Filter 0: nothing goes up. */
	memcpy(f, e->nic->mac, 6);
	wire_send(e, f, flen);
	ASSERT_EQ(1, e->nic->stats.rx_filtered);
	ASSERT_EQ(RNDIS_STATUS_SUCCESS,
		  set_oid(e, RNDIS_OID_GEN_CURRENT_PACKET_FILTER, &filter, 4));
	wire_send(e, f, flen);
	n = recv_xfer(e, msg, sizeof(msg), &id, &chan);
	CHECK(n > 0);
	ASSERT_EQ(NVSP_RNDIS_CHANNEL_DATA, chan);
	memcpy(&p, msg, sizeof(p));
	ASSERT_EQ(RNDIS_MSG_PACKET, p.hdr.msg_type);
	ASSERT_EQ(n, p.hdr.msg_len);
	ASSERT_EQ(flen, p.data_len);
	CHECK(!memcmp(msg + 8 + p.data_offset, f, flen));
	ASSERT_EQ(e->nic->nslots - 1, e->nic->nfree);
	complete_xfer(e, id);
	ASSERT_EQ(e->nic->nslots, e->nic->nfree);
	/* Not our MAC: filtered. */
	f[5] ^= 1;
	wire_send(e, f, flen);
	ASSERT_EQ(2, e->nic->stats.rx_filtered);
}

NIC_TEST(test_rx_backpressure,
	 "netvsp: without free slots the TAP waits; a completion resumes it")
{
	uint32_t filter = NDIS_PACKET_TYPE_PROMISCUOUS, chan, i, slots;
	uint8_t f[128], msg[2048];
	uint32_t flen = vector_frame(&v4_vectors[2], false, f);
	uint64_t first = 0, id;

	CHECK(!rndis_up(e));
	ASSERT_EQ(RNDIS_STATUS_SUCCESS,
		  set_oid(e, RNDIS_OID_GEN_CURRENT_PACKET_FILTER, &filter, 4));
	slots = e->nic->nslots - NETVSP_CTL_SLOTS;
	/* Take every data slot, not completing, reading the ring as we go. */
	for (i = 0; i < slots; i++) {
		wire_send(e, f, flen);
		CHECK(recv_xfer(e, msg, sizeof(msg), &id, &chan) > 0);
		if (!i)
			first = id;
	}
	ASSERT_EQ(NETVSP_CTL_SLOTS, e->nic->nfree);
	wire_send(e, f, flen);
	CHECK(recv_xfer(e, msg, sizeof(msg), &id, &chan) < 0);
	CHECK(!e->nic->tap_armed);
	ASSERT_EQ(slots, e->nic->stats.rx_frames);
	/* Control answers still find a slot. */
	ASSERT_EQ(RNDIS_STATUS_SUCCESS,
		  set_oid(e, RNDIS_OID_GEN_CURRENT_PACKET_FILTER, &filter, 4));
	/* A completion that answers nothing frees nothing. */
	complete_xfer(e, NETVSP_RX_ID_BASE | e->nic->nslots);
	ASSERT_EQ(1, e->nic->stats.bad_completions);
	CHECK(!e->nic->tap_armed);
	/* The first completion brings the held frame up. */
	complete_xfer(e, first);
	CHECK(recv_xfer(e, msg, sizeof(msg), &id, &chan) > 0);
	ASSERT_EQ(first, id);
	ASSERT_EQ(slots + 1, e->nic->stats.rx_frames);
	ASSERT_EQ(0, e->nic->stats.rx_dropped);
}

#define TCP_ACK	0x10
#define TCP_PSH	0x08

/* A TCP/IPv4 GSO frame of @pay payload bytes (PSH set), as a TAP gives. */
static uint32_t gso_frame(uint8_t *f, uint32_t pay)
{
	uint32_t len = vector_frame(&v4_vectors[1], false, f), i;

	for (i = 0; i < pay; i++)
		f[len + i] = i * 7 + 3;
	f[14 + 4] = 0x12, f[14 + 5] = 0x34;		/* IP id */
	f[34 + 4] = 0xff, f[34 + 7] = 0xf0;		/* seq 0xff0000f0 */
	f[34 + 13] = TCP_ACK | TCP_PSH;
	return len + pay;
}

/* The TCP checksum of the frame @f verifies (IPv4, header at 34). */
static bool tcp_csum_ok(const uint8_t *f, uint32_t len)
{
	return ones_sum(ones_sum(6 + len - 34, f + 26, 8), f + 34,
			len - 34) == 0xffff;
}

/* The next transfer-page packet: its ranges' messages, end to end. */
static int recv_frags(struct nic_env *e, uint8_t *out, uint32_t *nfrag,
		      uint8_t *flags, uint64_t *id)
{
	uint8_t buf[1024];
	struct vmbus_packet_desc d;
	struct vmbus_xfer_page_header xh;
	struct vmbus_xfer_page_range r;
	struct rndis_packet p;
	union nvsp_msg m;
	uint32_t i, len = 0;
	const uint8_t *msg;

	if (recv_pkt(e, buf, sizeof(buf), &d, &m) < 0 ||
	    d.type != VMBUS_PKT_DATA_USING_XFER_PAGES)
		return -1;
	memcpy(&xh, buf, sizeof(xh));
	for (i = 0; i < xh.range_cnt && i < 16; i++) {
		memcpy(&r, buf + sizeof(xh) + i * sizeof(r), sizeof(r));
		msg = fake_ptr(&e->fg, e->recv_gpa + r.byte_offset);
		memcpy(&p, msg, sizeof(p));
		memcpy(out + len, msg + 8 + p.data_offset, p.data_len);
		len += p.data_len;
		flags[i] = ppi_value(msg, RNDIS_PPI_INTERNAL_PKT_ID) >> 8;
	}
	*nfrag = xh.range_cnt;
	*id = d.trans_id;
	return len;
}

NIC_TEST(test_rx_gso,
	 "netvsp: a GSO frame from the TAP: RSC fragments if the guest asked for them, else segments")
{
	uint32_t filter = NDIS_PACKET_TYPE_PROMISCUOUS, flen, n, i, seq;
	struct virtio_net_hdr vh = {
		.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
		.gso_type = VIRTIO_NET_HDR_GSO_TCPV4, .gso_size = 1000,
		.hdr_len = 54, .csum_start = 34, .csum_offset = 16,
	};
	struct ndis_offload_params op = {
		.header = { NDIS_OBJECT_TYPE_DEFAULT,
			    NDIS_OFFLOAD_PARAMS_REVISION_3,
			    NDIS_OFFLOAD_PARAMS_SIZE },
		.rsc_ip_v4 = NDIS_OFFLOAD_PARAM_RSC_ENABLED,
	};
	static uint8_t f[8192], got[8192];
	uint8_t flags[16];
	uint64_t id;
	int len;

	CHECK(!rndis_up(e));
	ASSERT_EQ(RNDIS_STATUS_SUCCESS,
		  set_oid(e, RNDIS_OID_GEN_CURRENT_PACKET_FILTER, &filter, 4));
	flen = gso_frame(f, 4000);
	/* No RSC asked for: four segments, as the host kernel cuts them. */
	wire_send_vh(e, &vh, f, flen);
	for (i = 0; i < 4; i++) {
		len = recv_frags(e, got, &n, flags, &id);
		ASSERT_EQ(54 + 1000, len);
		ASSERT_EQ(1, n);
		CHECK(!memcmp(got + 54, f + 54 + i * 1000, 1000));
		ASSERT_EQ(40 + 1000, got[16] << 8 | got[17]);
		ASSERT_EQ(0x1234 + i, got[18] << 8 | got[19]);
		seq = (uint32_t)got[38] << 24 | got[39] << 16 | got[40] << 8 |
		      got[41];
		ASSERT_EQ(0xff0000f0 + i * 1000, seq);
		ASSERT_EQ(i == 3 ? TCP_ACK | TCP_PSH : TCP_ACK, got[47]);
		ASSERT_EQ(0xffff, ones_sum(0, got + 14, 20));
		CHECK(tcp_csum_ok(got, len));
		complete_xfer(e, id);
	}
	ASSERT_EQ(4, e->nic->stats.rx_segments);
	/* RSC for IPv4: one packet of fragments, PPIs on the first. */
	ASSERT_EQ(RNDIS_STATUS_SUCCESS,
		  set_oid(e, RNDIS_OID_TCP_OFFLOAD_PARAMETERS, &op, sizeof(op)));
	CHECK(e->nic->rsc_ip4 && !e->nic->rsc_ip6);
	wire_send_vh(e, &vh, f, flen);
	len = recv_frags(e, got, &n, flags, &id);
	ASSERT_EQ(flen, len);
	ASSERT_EQ(3, n);
	ASSERT_EQ(RNDIS_PKTID_FIRST_FRAG, flags[0]);
	ASSERT_EQ(0, flags[1]);
	ASSERT_EQ(RNDIS_PKTID_LAST_FRAG, flags[2]);
	CHECK(!memcmp(got + 54, f + 54, flen - 54));
	ASSERT_EQ(flen - 14, got[16] << 8 | got[17]);
	CHECK(tcp_csum_ok(got, len));
	ASSERT_EQ(e->nic->nslots - 3, e->nic->nfree);
	complete_xfer(e, id);
	ASSERT_EQ(e->nic->nslots, e->nic->nfree);
	ASSERT_EQ(1, e->nic->stats.rx_rsc);
	ASSERT_EQ(3, e->nic->stats.rx_rsc_frags);
	ASSERT_EQ(2, e->nic->stats.rx_gso);
	/* A header that the frame cannot hold: dropped. */
	f[34 + 12] = 0xf0;
	wire_send_vh(e, &vh, f, 54 + 10);
	ASSERT_EQ(1, e->nic->stats.rx_dropped);
}

NIC_TEST(test_rss_steers, "netvsp: RSS parameters give hash PPIs with the guest's key")
{
	struct {
		struct ndis_rss_params p;
		uint32_t table[4];
		uint8_t key[40];
	} __packed r = {
		.p = {
			.header = { NDIS_OBJECT_TYPE_RSS_PARAMS,
				    NDIS_RSS_PARAMS_REVISION_2,
				    NDIS_RSS_PARAMS_SIZE },
			.hashinfo = NDIS_RSS_HASH_FUNC_TOEPLITZ |
				    NDIS_RSS_HASH_TYPE_IPV4 |
				    NDIS_RSS_HASH_TYPE_TCP_IPV4,
			.indirect_tabsize = 16,
			.indirect_taboffset = sizeof(struct ndis_rss_params),
			.hashkey_size = 40,
			.hashkey_offset = sizeof(struct ndis_rss_params) + 16,
		},
	};
	uint32_t filter = NDIS_PACKET_TYPE_PROMISCUOUS, chan, v;
	uint8_t f[128], msg[2048];
	uint32_t flen = vector_frame(&v4_vectors[0], false, f);
	struct rndis_packet p;
	struct rndis_ppi e2;
	uint64_t id;

	memcpy(r.key, ms_key, sizeof(ms_key));
	CHECK(!rndis_up(e));
	ASSERT_EQ(RNDIS_STATUS_SUCCESS,
		  set_oid(e, RNDIS_OID_GEN_CURRENT_PACKET_FILTER, &filter, 4));
	ASSERT_EQ(RNDIS_STATUS_SUCCESS,
		  set_oid(e, RNDIS_OID_GEN_RECEIVE_SCALE_PARAMETERS, &r,
			  sizeof(r)));
	CHECK(e->nic->rss.enabled);
	wire_send(e, f, flen);
	CHECK(recv_xfer(e, msg, sizeof(msg), &id, &chan) > 0);
	memcpy(&p, msg, sizeof(p));
	ASSERT_EQ(RNDIS_PPI_U32_SIZE, p.per_pkt_info_len);
	memcpy(&e2, msg + 8 + p.per_pkt_info_offset, sizeof(e2));
	ASSERT_EQ(RNDIS_PPI_HASH_VALUE, e2.type);
	memcpy(&v, msg + 8 + p.per_pkt_info_offset + e2.ppi_offset, 4);
	ASSERT_EQ(v4_vectors[0].with_ports, v);
	/* A table naming a queue the NIC does not have is refused. */
	r.table[0] = NETVSP_DEFAULT_CHANNELS;
	ASSERT_EQ(RNDIS_STATUS_INVALID_DATA,
		  set_oid(e, RNDIS_OID_GEN_RECEIVE_SCALE_PARAMETERS, &r,
			  sizeof(r)));
	ASSERT_EQ(0, e->nic->rss.indir[0]);
	/* A key size other than 40, or a table past the buffer, too. */
	r.table[0] = 1;
	r.p.hashkey_size = 16;
	ASSERT_EQ(RNDIS_STATUS_INVALID_DATA,
		  set_oid(e, RNDIS_OID_GEN_RECEIVE_SCALE_PARAMETERS, &r,
			  sizeof(r)));
	r.p.hashkey_size = 40;
	r.p.indirect_taboffset = sizeof(r);
	ASSERT_EQ(RNDIS_STATUS_INVALID_DATA,
		  set_oid(e, RNDIS_OID_GEN_RECEIVE_SCALE_PARAMETERS, &r,
			  sizeof(r)));
	ASSERT_EQ(0, e->nic->rss.indir[0]);
	CHECK(e->nic->rss.enabled);
}

NIC_TEST(test_link_down_indication,
	 "netvsp: nic link down sends MEDIA_DISCONNECT and stops frames")
{
	struct rndis_indicate_status s;
	uint32_t chan;
	uint64_t id;

	CHECK(!rndis_up(e));
	netvsp_set_link(e->nic, false);
	ASSERT_EQ(sizeof(s), recv_xfer(e, &s, sizeof(s), &id, &chan));
	ASSERT_EQ(NVSP_RNDIS_CHANNEL_CONTROL, chan);
	ASSERT_EQ(RNDIS_MSG_INDICATE, s.hdr.msg_type);
	ASSERT_EQ(RNDIS_STATUS_MEDIA_DISCONNECT, s.status);
	complete_xfer(e, id);
	netvsp_set_link(e->nic, true);
	ASSERT_EQ(sizeof(s), recv_xfer(e, &s, sizeof(s), &id, &chan));
	ASSERT_EQ(RNDIS_STATUS_MEDIA_CONNECT, s.status);
}

NIC_TEST(test_subchannels_and_spread,
	 "netvsp: SUBCHANNEL offers sub-channels, then the TX spread follows")
{
	union nvsp_msg m = { .subchannel_req = {
		NVSP_MSG5_SUBCHANNEL, NVSP_SUBCHANNEL_ALLOCATE,
		NETVSP_DEFAULT_CHANNELS } };
	struct {
		struct nvsp_send_indirection_table t;
		uint32_t table[NVSP_SEND_INDIRECTION_ENTRIES];
	} __packed spread;
	struct vmbus_msg_offer offer;
	struct vmbus_packet_desc d;
	struct fake_channel sub;
	uint8_t buf[512];
	int n, i;

	CHECK(!rndis_up(e));
	/* As many sub-channels as queues: one is the primary, refused. */
	nvsp(e, &m);
	CHECK(!recv_comp(e, &m));
	ASSERT_EQ(NVSP_STAT_FAIL, m.subchannel_complete.status);
	m.subchannel_req.num_subchannels = 1;
	m.subchannel_req.msg_type = NVSP_MSG5_SUBCHANNEL;
	m.subchannel_req.op = NVSP_SUBCHANNEL_ALLOCATE;
	nvsp(e, &m);
	CHECK(!recv_comp(e, &m));
	ASSERT_EQ(NVSP_STAT_SUCCESS, m.subchannel_complete.status);
	ASSERT_EQ(1, m.subchannel_complete.num_subchannels);
	CHECK(fake_recv_type(&e->fg, VMBUS_MSG_OFFERCHANNEL, &offer,
			     sizeof(offer)) >= 0);
	ASSERT_EQ(1, offer.sub_channel_index);
	ASSERT_EQ(0, fake_open(&e->fg, &offer, &sub, 8, 8));
	n = recv_pkt(e, buf, sizeof(buf), &d, &m);
	ASSERT_EQ(VMBUS_PKT_DATA_INBAND, d.type);
	CHECK(n - d.offset8 * 8 >= (int)sizeof(spread));
	memcpy(&spread, buf + d.offset8 * 8, sizeof(spread));
	ASSERT_EQ(NVSP_MSG5_SEND_INDIRECTION_TABLE, spread.t.msg_type);
	ASSERT_EQ(NVSP_SEND_INDIRECTION_ENTRIES, spread.t.count);
	ASSERT_EQ(sizeof(spread.t), spread.t.offset);
	for (i = 0; i < NVSP_SEND_INDIRECTION_ENTRIES; i++)
		ASSERT_EQ(i % 2, spread.table[i]);
	ASSERT_EQ(2, e->nic->nchans);
}

TEST(test_rx_keeps_room_for_completions,
     "netvsp: receive packets leave room in the ring for completions")
{
	static struct nic_env env;
	struct nic_env *e = &env;
	uint32_t filter = NDIS_PACKET_TYPE_PROMISCUOUS, i, used, sent;
	uint8_t f[128], pkt[512];
	uint32_t flen, len;

	CHECK(!env_init_rings(e, 3));
	flen = vector_frame(&v4_vectors[3], false, f);
	CHECK(!rndis_up(e));
	ASSERT_EQ(RNDIS_STATUS_SUCCESS,
		  set_oid(e, RNDIS_OID_GEN_CURRENT_PACKET_FILTER, &filter, 4));
	/* The guest reads nothing: frames fill the ring up to the reserve. */
	for (i = 0; i < 200; i++)
		wire_send(e, f, flen);
	sent = e->nic->stats.rx_frames;
	CHECK(sent > 10 && sent < 200);
	used = gring_used(&e->fc.in);
	CHECK(e->fc.in.size - used >= e->fc.in.size / NETVSP_RING_KEEP_DIV);
	/* A guest send is still completed at once. */
	len = build_packet(pkt, f, flen, -1);
	rndis_send(e, NVSP_RNDIS_CHANNEL_DATA, 2, pkt, len);
	ASSERT_EQ(used + 64, gring_used(&e->fc.in));
	env_destroy(e);
}

TEST_F(fake, test_nic_control, "netvsp: nic and fault netvsc commands, list and stats")
{
	struct hv_buf out = { 0 };

	CHECK(!strncmp(fake_ctl(f, "offer nic tap=x", &out),
		       "ERR KEY=VALUE options are for the command line only\n", 52));
	CHECK(!strcmp(fake_ctl(f, "offer nic 11111111-2222-4333-8444-555555555509",
			       &out),
		      "instance=11111111-2222-4333-8444-555555555509 relid=1\nOK\n"));
	CHECK(strstr(fake_ctl(f, "list", &out),
		     "nic 11111111-2222-4333-8444-555555555509 tap=- mac=00:15:5d:55:55:09 link=up nvsp=0x0 rndis=uninitialized"));
	CHECK(!strcmp(fake_ctl(f, "nic link 11111111-2222-4333-8444-555555555509 down",
			       &out), "OK\n"));
	CHECK(strstr(fake_ctl(f, "list", &out), " link=down "));
	CHECK(!strcmp(fake_ctl(f, "nic link 11111111-2222-4333-8444-555555555509 sideways",
			       &out), "ERR usage: nic link GUID up|down\n"));
	CHECK(!strcmp(fake_ctl(f, "nic link 11111111-2222-4333-8444-555555555508 up",
			       &out), "ERR no such NIC\n"));
	CHECK(!strcmp(fake_ctl(f, "nic speed 1 2", &out),
		      "ERR usage: nic link GUID up|down\n"));
	CHECK(!strncmp(fake_ctl(f, "fault netvsc bogus", &out),
		       "ERR unknown fault", 17));
	CHECK(!strcmp(fake_ctl(f, "fault netvsc nvsp-type", &out),
		      "ERR no NIC with an initialised guest\n"));
	CHECK(!strcmp(fake_ctl(f, "fault netvsc xfer-range 3", &out), "OK\n"));
	CHECK(strstr(fake_ctl(f, "stats", &out),
		     "nic.11111111-2222-4333-8444-555555555509.rx_frames=0\n"));
	CHECK(strstr(out.s, "\nnic.sent=0\n"));
	hv_buf_free(&out);
}

/* The next transfer-page packet's one range, and the message it names. */
static int recv_range(struct nic_env *e, struct vmbus_xfer_page_range *r,
		      struct rndis_packet *p)
{
	uint8_t buf[512];
	struct vmbus_packet_desc d;
	union nvsp_msg m;

	if (recv_pkt(e, buf, sizeof(buf), &d, &m) < 0 ||
	    d.type != VMBUS_PKT_DATA_USING_XFER_PAGES)
		return -1;
	memcpy(r, buf + sizeof(struct vmbus_xfer_page_header), sizeof(*r));
	if (r->byte_offset < RECV_PAGES * HV_WIRE_PAGE_SIZE)
		memcpy(p, fake_ptr(&e->fg, e->recv_gpa + r->byte_offset),
		       sizeof(*p));
	complete_xfer(e, d.trans_id);
	return 0;
}

NIC_TEST(test_faults_spoil_packets,
	 "netvsp: fault netvsc rndis-len, ppi-offset, xfer-range reach the guest")
{
	uint32_t filter = NDIS_PACKET_TYPE_PROMISCUOUS;
	struct vmbus_xfer_page_range r;
	struct rndis_packet p;
	uint8_t f[128];
	uint32_t flen = vector_frame(&v4_vectors[4], false, f);
	struct hv_buf out = { 0 };

	CHECK(!rndis_up(e));
	ASSERT_EQ(RNDIS_STATUS_SUCCESS,
		  set_oid(e, RNDIS_OID_GEN_CURRENT_PACKET_FILTER, &filter, 4));
	CHECK(!strcmp(fake_ctl(&e->fg, "fault netvsc rndis-len", &out), "OK\n"));
	wire_send(e, f, flen);
	CHECK(!recv_range(e, &r, &p));
	ASSERT_EQ(r.byte_count + HV_WIRE_PAGE_SIZE, p.hdr.msg_len);
	CHECK(!strcmp(fake_ctl(&e->fg, "fault netvsc ppi-offset", &out), "OK\n"));
	wire_send(e, f, flen);
	CHECK(!recv_range(e, &r, &p));
	ASSERT_EQ(p.hdr.msg_len, p.per_pkt_info_offset);
	CHECK(!strcmp(fake_ctl(&e->fg, "fault netvsc xfer-range", &out), "OK\n"));
	wire_send(e, f, flen);
	CHECK(!recv_range(e, &r, &p));
	ASSERT_EQ(RECV_PAGES * HV_WIRE_PAGE_SIZE, r.byte_offset);
	ASSERT_EQ(3, e->nic->np->fault.sent);
	ASSERT_EQ(0, e->nic->stats.rx_dropped);
	hv_buf_free(&out);
}
