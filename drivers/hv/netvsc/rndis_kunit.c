// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite of the checks hv_netvsc makes of an RNDIS PACKET message
 * from the host: the frame and the per-packet info must lie inside the
 * message, the frame must be an Ethernet frame no longer than the MTU
 * allows (a fragment of a coalesced frame, RSC, no longer than its
 * range), and each PPI must fit inside the info area; and the order RSC
 * fragments must come in.
 */

#include <kunit/test.h>
#include <kunit/visibility.h>
#include <linux/if_vlan.h>

#include "netvsc.h"

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

#define MTU		1500
#define MSG_SIZE	2048
#define HDR		sizeof(struct rndis_packet)

/* A PACKET message: a frame of @frame bytes, PPIs of @ppi bytes first. */
static struct rndis_packet *packet(struct kunit *test, u32 ppi, u32 frame)
{
	struct rndis_packet *p = kunit_kzalloc(test, MSG_SIZE, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, p);
	p->hdr.msg_type = RNDIS_MSG_PACKET;
	p->hdr.msg_len = HDR + ppi + frame;
	p->per_pkt_info_offset = ppi ? HDR - RNDIS_BODY_OFFSET : 0;
	p->per_pkt_info_len = ppi;
	p->data_offset = HDR + ppi - RNDIS_BODY_OFFSET;
	p->data_len = frame;
	return p;
}

/* Add a PPI of @size bytes, value at @offset, at byte @at of the message. */
static void ppi_put(struct rndis_packet *p, u32 at, u32 size, u32 type,
		    u32 offset, u32 val)
{
	struct rndis_ppi ppi = { .size = size, .type = type,
				 .ppi_offset = offset };

	memcpy((u8 *)p + at, &ppi, sizeof(ppi));
	if (offset + sizeof(val) <= size)
		memcpy((u8 *)p + at + offset, &val, sizeof(val));
}

static bool check(struct rndis_packet *p, u32 len, struct netvsc_rx_info *info,
		  u32 *data, u32 *frame_len)
{
	memset(info, 0, sizeof(*info));
	return netvsc_rx_check(p, len, MTU, info, data, frame_len);
}

static void rx_plain_frame_test(struct kunit *test)
{
	struct rndis_packet *p = packet(test, 0, 60);
	struct netvsc_rx_info info;
	u32 data = 0, len = 0;

	KUNIT_ASSERT_TRUE(test, check(p, p->hdr.msg_len, &info, &data, &len));
	KUNIT_EXPECT_EQ(test, data, (u32)HDR);
	KUNIT_EXPECT_EQ(test, len, 60U);
	KUNIT_EXPECT_FALSE(test, info.has_hash);
	KUNIT_EXPECT_FALSE(test, info.has_vlan);
}

static void rx_short_message_test(struct kunit *test)
{
	struct rndis_packet *p = packet(test, 0, 60);
	struct netvsc_rx_info info;
	u32 data, len;

	KUNIT_EXPECT_FALSE(test, check(p, HDR - 1, &info, &data, &len));
	/* The frame runs past the end of the message. */
	KUNIT_EXPECT_FALSE(test, check(p, HDR + 59, &info, &data, &len));
}

static void rx_data_offset_test(struct kunit *test)
{
	struct rndis_packet *p = packet(test, 0, 60);
	struct netvsc_rx_info info;
	u32 data, len;

	/* The frame would start inside the packet header. */
	p->data_offset = HDR - RNDIS_BODY_OFFSET - 4;
	KUNIT_EXPECT_FALSE(test, check(p, MSG_SIZE, &info, &data, &len));
	/* Offset and length that wrap around 32 bits. */
	p->data_offset = U32_MAX - 8;
	KUNIT_EXPECT_FALSE(test, check(p, MSG_SIZE, &info, &data, &len));
	p->data_offset = HDR - RNDIS_BODY_OFFSET;
	p->data_len = U32_MAX;
	KUNIT_EXPECT_FALSE(test, check(p, MSG_SIZE, &info, &data, &len));
}

static void rx_frame_length_test(struct kunit *test)
{
	struct netvsc_rx_info info;
	u32 data, len;
	struct rndis_packet *p = packet(test, 0, ETH_HLEN - 1);

	KUNIT_EXPECT_FALSE(test, check(p, MSG_SIZE, &info, &data, &len));
	p->data_len = ETH_HLEN;
	KUNIT_EXPECT_TRUE(test, check(p, MSG_SIZE, &info, &data, &len));
	p->data_len = MTU + VLAN_ETH_HLEN;
	KUNIT_EXPECT_TRUE(test, check(p, MSG_SIZE, &info, &data, &len));
	p->data_len = MTU + VLAN_ETH_HLEN + 1;
	KUNIT_EXPECT_FALSE(test, check(p, MSG_SIZE, &info, &data, &len));
}

static void rx_ppis_test(struct kunit *test)
{
	struct rndis_packet *p = packet(test, 48, 60);
	struct netvsc_rx_info info;
	u32 data, len;

	ppi_put(p, HDR, 16, RNDIS_PPI_HASH_VALUE, 12, 0xabcd);
	ppi_put(p, HDR + 16, 16, RNDIS_PPI_IEEE_8021Q, 12, 0x0123);
	ppi_put(p, HDR + 32, 16, RNDIS_PPI_CHECKSUM, 12, 0x5);
	KUNIT_ASSERT_TRUE(test, check(p, p->hdr.msg_len, &info, &data, &len));
	KUNIT_EXPECT_EQ(test, data, (u32)HDR + 48);
	KUNIT_EXPECT_TRUE(test, info.has_hash);
	KUNIT_EXPECT_EQ(test, info.hash, 0xabcdU);
	KUNIT_EXPECT_TRUE(test, info.has_vlan);
	KUNIT_EXPECT_EQ(test, info.vlan, 0x0123U);
	KUNIT_EXPECT_EQ(test, info.csum, 0x5U);
}

static void rx_ppis_skipped_test(struct kunit *test)
{
	struct rndis_packet *p = packet(test, 32, 60);
	struct netvsc_rx_info info;
	u32 data, len;

	/* An internal PPI and one too small for a value are skipped. */
	ppi_put(p, HDR, 16, RNDIS_PPI_INTERNAL | RNDIS_PPI_HASH_VALUE, 12, 1);
	ppi_put(p, HDR + 16, 16, RNDIS_PPI_IEEE_8021Q, 14, 0);
	KUNIT_ASSERT_TRUE(test, check(p, p->hdr.msg_len, &info, &data, &len));
	KUNIT_EXPECT_FALSE(test, info.has_hash);
	KUNIT_EXPECT_FALSE(test, info.has_vlan);
}

/* A message with one PPI of @size, value at @offset, in 16 bytes of info. */
static bool one_ppi(struct kunit *test, u32 size, u32 offset)
{
	struct rndis_packet *p = packet(test, 16, 60);
	struct netvsc_rx_info info;
	u32 data, len;

	ppi_put(p, HDR, size, RNDIS_PPI_HASH_VALUE, offset, 7);
	return check(p, p->hdr.msg_len, &info, &data, &len);
}

static void rx_ppi_bad_size_test(struct kunit *test)
{
	KUNIT_EXPECT_TRUE(test, one_ppi(test, 16, 12));
	KUNIT_EXPECT_FALSE(test, one_ppi(test, 0, 12));	/* would loop */
	KUNIT_EXPECT_FALSE(test, one_ppi(test, 11, 11));
	KUNIT_EXPECT_FALSE(test, one_ppi(test, 17, 12));	/* past the area */
	KUNIT_EXPECT_FALSE(test, one_ppi(test, U32_MAX, 12));
}

static void rx_ppi_bad_offset_test(struct kunit *test)
{
	KUNIT_EXPECT_FALSE(test, one_ppi(test, 16, 8));	/* inside its header */
	KUNIT_EXPECT_FALSE(test, one_ppi(test, 16, 17));	/* past its size */
	KUNIT_EXPECT_TRUE(test, one_ppi(test, 16, 16));	/* empty: skipped */
}

static void rx_ppi_area_test(struct kunit *test)
{
	struct rndis_packet *p = packet(test, 16, 60);
	struct netvsc_rx_info info;
	u32 data, len;

	ppi_put(p, HDR, 16, RNDIS_PPI_HASH_VALUE, 12, 7);
	/* The info area starts inside the header, or ends past the message. */
	p->per_pkt_info_offset = 0;
	KUNIT_EXPECT_FALSE(test, check(p, p->hdr.msg_len, &info, &data, &len));
	p->per_pkt_info_offset = HDR - RNDIS_BODY_OFFSET;
	p->per_pkt_info_len = p->hdr.msg_len;
	KUNIT_EXPECT_FALSE(test, check(p, p->hdr.msg_len, &info, &data, &len));
	/* A remainder too short for a PPI header. */
	p->per_pkt_info_len = 16 + 8;
	KUNIT_EXPECT_FALSE(test, check(p, p->hdr.msg_len, &info, &data, &len));
}

static void rx_ppis_walk_test(struct kunit *test)
{
	u8 buf[32] = {};
	struct netvsc_rx_info info = {};

	KUNIT_EXPECT_TRUE(test, netvsc_rx_ppis(buf, 0, &info));
	KUNIT_EXPECT_FALSE(test, netvsc_rx_ppis(buf, 11, &info));
}

/* The packet-id PPI's value: version 1, @flags, id 7. */
static u32 pktid(u8 flags)
{
	return 1 | flags << 8 | 7 << 16;
}

/* A fragment of @frame bytes with the packet-id flags @flags. */
static bool fragment(struct kunit *test, u8 flags, u32 frame,
		     struct netvsc_rx_info *info)
{
	struct rndis_packet *p = packet(test, 16, frame);
	u32 data, len;

	ppi_put(p, HDR, 16, RNDIS_PPI_INTERNAL_PKT_ID, 12, pktid(flags));
	return check(p, p->hdr.msg_len, info, &data, &len) &&
	       len == frame && data == HDR + 16;
}

static void rx_rsc_fragment_test(struct kunit *test)
{
	struct netvsc_rx_info info;
	u32 big = MTU + VLAN_ETH_HLEN + 200;

	/* A fragment may be longer than the MTU: its range bounds it. */
	KUNIT_EXPECT_TRUE(test, fragment(test, RNDIS_PKTID_FIRST_FRAG, big,
					 &info));
	KUNIT_EXPECT_TRUE(test, info.has_pktid);
	KUNIT_EXPECT_EQ(test, info.frag, RNDIS_PKTID_FIRST_FRAG);
	KUNIT_EXPECT_TRUE(test, fragment(test, 0, 1, &info));
	KUNIT_EXPECT_EQ(test, info.frag, 0);
	KUNIT_EXPECT_TRUE(test, fragment(test, RNDIS_PKTID_LAST_FRAG |
					 RNDIS_PKTID_SUBALLOC, big, &info));
	KUNIT_EXPECT_EQ(test, info.frag, RNDIS_PKTID_LAST_FRAG);
	/* Empty fragments, a first one without an Ethernet header. */
	KUNIT_EXPECT_FALSE(test, fragment(test, 0, 0, &info));
	KUNIT_EXPECT_FALSE(test, fragment(test, RNDIS_PKTID_LAST_FRAG, 0,
					  &info));
	KUNIT_EXPECT_FALSE(test, fragment(test, RNDIS_PKTID_FIRST_FRAG,
					  ETH_HLEN - 1, &info));
	/* First and last at once: a whole frame, which the MTU bounds. */
	KUNIT_EXPECT_FALSE(test, fragment(test, RNDIS_PKTID_FIRST_FRAG |
					  RNDIS_PKTID_LAST_FRAG, big, &info));
	KUNIT_EXPECT_TRUE(test, fragment(test, RNDIS_PKTID_FIRST_FRAG |
					 RNDIS_PKTID_LAST_FRAG, 60, &info));
}

static void rx_rsc_order_test(struct kunit *test)
{
	const u8 first = RNDIS_PKTID_FIRST_FRAG, last = RNDIS_PKTID_LAST_FRAG;

	KUNIT_EXPECT_EQ(test, netvsc_rsc_step(first, false), NETVSC_RSC_FIRST);
	/* A new first fragment replaces an unfinished frame. */
	KUNIT_EXPECT_EQ(test, netvsc_rsc_step(first, true), NETVSC_RSC_FIRST);
	KUNIT_EXPECT_EQ(test, netvsc_rsc_step(0, true), NETVSC_RSC_MORE);
	KUNIT_EXPECT_EQ(test, netvsc_rsc_step(last, true), NETVSC_RSC_LAST);
	/* Nothing to add to. */
	KUNIT_EXPECT_EQ(test, netvsc_rsc_step(0, false), NETVSC_RSC_BAD);
	KUNIT_EXPECT_EQ(test, netvsc_rsc_step(last, false), NETVSC_RSC_BAD);
}

static struct kunit_case rndis_cases[] = {
	KUNIT_CASE(rx_plain_frame_test),
	KUNIT_CASE(rx_short_message_test),
	KUNIT_CASE(rx_data_offset_test),
	KUNIT_CASE(rx_frame_length_test),
	KUNIT_CASE(rx_ppis_test),
	KUNIT_CASE(rx_ppis_skipped_test),
	KUNIT_CASE(rx_ppi_bad_size_test),
	KUNIT_CASE(rx_ppi_bad_offset_test),
	KUNIT_CASE(rx_ppi_area_test),
	KUNIT_CASE(rx_ppis_walk_test),
	KUNIT_CASE(rx_rsc_fragment_test),
	KUNIT_CASE(rx_rsc_order_test),
	{}
};

static struct kunit_suite rndis_suite = {
	.name = "hv_netvsc_rndis",
	.test_cases = rndis_cases,
};

kunit_test_suite(rndis_suite);

MODULE_DESCRIPTION("KUnit tests of the Hyper-V network adapter driver");
MODULE_LICENSE("GPL");
