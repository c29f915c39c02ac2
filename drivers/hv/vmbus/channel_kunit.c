// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suites of the channel layer's pure logic: request ids (what a
 * completion's id must be to be accepted), the range lists of GPA-direct
 * packets, the parsing of inbound packets, and the cutting of a GPADL
 * into its header and body messages. Channels here are plain memory:
 * never opened, never known to the connection.
 */

#include <kunit/test.h>
#include <kunit/visibility.h>
#include <linux/slab.h>

#include "vmbus_private.h"

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

#define NR_RQST		4
#define RX_BUF_SIZE	256

static int chan_init(struct kunit *test)
{
	struct vmbus_channel *chan;

	chan = kunit_kzalloc(test, sizeof(*chan), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, chan);
	spin_lock_init(&chan->rqst_lock);
	spin_lock_init(&chan->out.lock);
	init_waitqueue_head(&chan->wq);
	chan->relid = 7;
	chan->rx_buf = kunit_kzalloc(test, RX_BUF_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, chan->rx_buf);
	chan->rx_buf_size = RX_BUF_SIZE;
	KUNIT_ASSERT_EQ(test, vmbus_rqst_table_init(chan, NR_RQST), 0);
	test->priv = chan;
	return 0;
}

static void chan_exit(struct kunit *test)
{
	struct vmbus_channel *chan = test->priv;

	if (chan)
		kvfree(chan->rqst);
}

/* Reserve an id and publish it with @ctx, as a send that went out. */
static u64 rqst_send(struct kunit *test, void *ctx)
{
	struct vmbus_channel *chan = test->priv;
	u64 id = 0;

	KUNIT_EXPECT_EQ(test, vmbus_rqst_try_reserve(chan, false, &id), 0);
	spin_lock(&chan->out.lock);
	vmbus_rqst_publish(chan, id, ctx);
	spin_unlock(&chan->out.lock);
	return id;
}

static bool rqst_known(struct kunit *test, u64 id)
{
	struct vmbus_channel *chan = test->priv;
	bool known;

	spin_lock(&chan->rqst_lock);
	known = vmbus_rqst_find(chan, id);
	spin_unlock(&chan->rqst_lock);
	return known;
}

static void rqst_ids_test(struct kunit *test)
{
	int a, b;
	u64 id1 = rqst_send(test, &a), id2 = rqst_send(test, &b);

	/* Small integers with a generation, never pointers; never 0. */
	KUNIT_EXPECT_EQ(test, lower_32_bits(id1), 1U);
	KUNIT_EXPECT_EQ(test, lower_32_bits(id2), 2U);
	KUNIT_EXPECT_EQ(test, upper_32_bits(id1), 1U);
	KUNIT_EXPECT_TRUE(test, rqst_known(test, id1));
	KUNIT_EXPECT_TRUE(test, rqst_known(test, id2));
}

static void rqst_unpublished_test(struct kunit *test)
{
	struct vmbus_channel *chan = test->priv;
	u64 id;

	/* Reserved, but its send has not gone out: a guess must miss. */
	KUNIT_ASSERT_EQ(test, vmbus_rqst_try_reserve(chan, false, &id), 0);
	KUNIT_EXPECT_FALSE(test, rqst_known(test, id));
	vmbus_rqst_unreserve(chan, id);
	KUNIT_EXPECT_FALSE(test, rqst_known(test, id));
}

static void rqst_bad_index_test(struct kunit *test)
{
	int a;
	u64 id = rqst_send(test, &a);

	KUNIT_EXPECT_FALSE(test, rqst_known(test, 0));
	KUNIT_EXPECT_FALSE(test, rqst_known(test, id & ~0xffffffffULL));
	KUNIT_EXPECT_FALSE(test, rqst_known(test, id + NR_RQST));
	KUNIT_EXPECT_FALSE(test, rqst_known(test, id | 0xffffffffULL));
	KUNIT_EXPECT_FALSE(test, rqst_known(test, U64_MAX));
	KUNIT_EXPECT_TRUE(test, rqst_known(test, id));
}

static void rqst_stale_generation_test(struct kunit *test)
{
	struct vmbus_channel *chan = test->priv;
	int a, b;
	u64 old = rqst_send(test, &a), id;

	/* Completed, then the slot is used again by the next request. */
	spin_lock(&chan->rqst_lock);
	KUNIT_EXPECT_NOT_NULL(test, vmbus_rqst_find(chan, old));
	spin_unlock(&chan->rqst_lock);
	KUNIT_ASSERT_TRUE(test, vmbus_rqst_forget(chan, &a));
	KUNIT_EXPECT_FALSE(test, rqst_known(test, old));
	id = rqst_send(test, &b);
	KUNIT_EXPECT_EQ(test, lower_32_bits(id), lower_32_bits(old));
	KUNIT_EXPECT_EQ(test, upper_32_bits(id), upper_32_bits(old) + 1);
	KUNIT_EXPECT_FALSE(test, rqst_known(test, old));
	KUNIT_EXPECT_TRUE(test, rqst_known(test, id));
}

static void rqst_exhausted_test(struct kunit *test)
{
	struct vmbus_channel *chan = test->priv;
	int ctx[NR_RQST];
	u64 id;
	int i;

	for (i = 0; i < NR_RQST; i++)
		rqst_send(test, &ctx[i]);
	KUNIT_EXPECT_EQ(test, vmbus_rqst_try_reserve(chan, false, &id),
			-EAGAIN);
	KUNIT_EXPECT_TRUE(test, vmbus_rqst_forget(chan, &ctx[2]));
	KUNIT_EXPECT_FALSE(test, vmbus_rqst_forget(chan, &ctx[2]));
	KUNIT_EXPECT_EQ(test, vmbus_rqst_try_reserve(chan, false, &id), 0);
	KUNIT_EXPECT_EQ(test, lower_32_bits(id), 3U);
}

static struct kunit_case rqst_cases[] = {
	KUNIT_CASE(rqst_ids_test),
	KUNIT_CASE(rqst_unpublished_test),
	KUNIT_CASE(rqst_bad_index_test),
	KUNIT_CASE(rqst_stale_generation_test),
	KUNIT_CASE(rqst_exhausted_test),
	{}
};

static struct kunit_suite rqst_suite = {
	.name = "hv_vmbus_rqst",
	.init = chan_init,
	.exit = chan_exit,
	.test_cases = rqst_cases,
};

/* --- GPA-direct range lists ------------------------------------------ */

/* A range list of up to 4 ranges in 64 u64s. */
struct ranges {
	u64 w[64];
	u32 len;
};

static void range_add(struct ranges *r, u32 offset, u32 count, u32 pfns)
{
	struct vmbus_gpa_range *g = (void *)((u8 *)r->w + r->len);

	g->byte_offset = offset;
	g->byte_count = count;
	r->len += sizeof(*g) + pfns * 8;
}

static int ranges_check(struct ranges *r, u32 cnt)
{
	return vmbus_check_ranges((void *)r->w, cnt, r->len);
}

static void ranges_ok_test(struct kunit *test)
{
	struct ranges r = {};

	range_add(&r, 0, HV_WIRE_PAGE_SIZE, 1);
	KUNIT_EXPECT_EQ(test, ranges_check(&r, 1), 0);
	range_add(&r, 100, 2 * HV_WIRE_PAGE_SIZE - 100, 2);
	range_add(&r, 4000, 200, 2);	/* crosses a page boundary */
	KUNIT_EXPECT_EQ(test, ranges_check(&r, 3), 0);
}

static void ranges_too_few_pfns_test(struct kunit *test)
{
	struct ranges r = {};

	range_add(&r, 4000, 200, 1);
	KUNIT_EXPECT_EQ(test, ranges_check(&r, 1), -EINVAL);
}

static void ranges_bad_offset_test(struct kunit *test)
{
	struct ranges r = {};

	range_add(&r, HV_WIRE_PAGE_SIZE, 8, 2);
	KUNIT_EXPECT_EQ(test, ranges_check(&r, 1), -EINVAL);
}

static void ranges_empty_range_test(struct kunit *test)
{
	struct ranges r = {};

	range_add(&r, 0, 0, 1);
	KUNIT_EXPECT_EQ(test, ranges_check(&r, 1), -EINVAL);
}

static void ranges_count_mismatch_test(struct kunit *test)
{
	struct ranges r = {};

	range_add(&r, 0, 8, 1);
	range_add(&r, 0, 8, 1);
	KUNIT_EXPECT_EQ(test, ranges_check(&r, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, ranges_check(&r, 1), -EINVAL);	/* left over */
	KUNIT_EXPECT_EQ(test, ranges_check(&r, 3), -EINVAL);	/* too many */
	KUNIT_EXPECT_EQ(test, ranges_check(&r, 2), 0);
}

static void ranges_huge_count_test(struct kunit *test)
{
	struct ranges r = {};

	/* Would need a million PFNs: no overflow lets it pass. */
	range_add(&r, HV_WIRE_PAGE_SIZE - 1, U32_MAX, 4);
	KUNIT_EXPECT_EQ(test, ranges_check(&r, 1), -EINVAL);
	r.len = 4;	/* not even a whole range header */
	KUNIT_EXPECT_EQ(test, ranges_check(&r, 1), -EINVAL);
}

/* --- inbound packets ------------------------------------------------- */

/* A packet of @len8 in the channel's rx_buf, as hv_ring_read() left it. */
static struct vmbus_packet_desc *rx_packet(struct kunit *test, u16 type,
					   u16 offset8, u16 len8)
{
	struct vmbus_channel *chan = test->priv;
	struct vmbus_packet_desc *d = chan->rx_buf;

	memset(chan->rx_buf, 0, RX_BUF_SIZE);
	d->type = type;
	d->offset8 = offset8;
	d->len8 = len8;
	return d;
}

static u64 dropped(struct kunit *test)
{
	struct vmbus_channel *chan = test->priv;

	return atomic64_read(&chan->stats.dropped);
}

static void parse_inband_test(struct kunit *test)
{
	struct vmbus_channel *chan = test->priv;
	const struct vmbus_pkt *pkt = &chan->rx_pkt;

	rx_packet(test, VMBUS_PKT_DATA_INBAND, 3, 8)->trans_id = 99;
	KUNIT_ASSERT_TRUE(test, vmbus_parse_pkt(chan, 64));
	KUNIT_EXPECT_EQ(test, pkt->trans_id, 99ULL);
	KUNIT_EXPECT_EQ(test, pkt->hdr_len, 8U);
	KUNIT_EXPECT_PTR_EQ(test, pkt->data, chan->rx_buf + 24);
	KUNIT_EXPECT_EQ(test, pkt->len, 40U);
	KUNIT_EXPECT_EQ(test, dropped(test), 0ULL);
}

static void parse_unknown_type_test(struct kunit *test)
{
	struct vmbus_channel *chan = test->priv;

	rx_packet(test, VMBUS_PKT_DATA_USING_GPA_DIRECT, 2, 4);
	KUNIT_EXPECT_FALSE(test, vmbus_parse_pkt(chan, 32));
	rx_packet(test, 0x1234, 2, 4);
	KUNIT_EXPECT_FALSE(test, vmbus_parse_pkt(chan, 32));
	KUNIT_EXPECT_EQ(test, dropped(test), 2ULL);
}

static void parse_completion_test(struct kunit *test)
{
	struct vmbus_channel *chan = test->priv;
	int ctx;
	u64 id = rqst_send(test, &ctx);

	rx_packet(test, VMBUS_PKT_COMP, 2, 4)->trans_id = id;
	KUNIT_ASSERT_TRUE(test, vmbus_parse_pkt(chan, 32));
	KUNIT_EXPECT_PTR_EQ(test, chan->rx_pkt.rqst, (void *)&ctx);
	/* The same id again: it was given back with the first one. */
	rx_packet(test, VMBUS_PKT_COMP, 2, 4)->trans_id = id;
	KUNIT_EXPECT_FALSE(test, vmbus_parse_pkt(chan, 32));
	KUNIT_EXPECT_EQ(test, dropped(test), 1ULL);
}

static void parse_completion_unknown_id_test(struct kunit *test)
{
	struct vmbus_channel *chan = test->priv;
	int ctx;
	u64 id = rqst_send(test, &ctx);

	rx_packet(test, VMBUS_PKT_COMP, 2, 4)->trans_id = id + (1ULL << 32);
	KUNIT_EXPECT_FALSE(test, vmbus_parse_pkt(chan, 32));
	rx_packet(test, VMBUS_PKT_COMP, 2, 4)->trans_id = (uintptr_t)&ctx;
	KUNIT_EXPECT_FALSE(test, vmbus_parse_pkt(chan, 32));
	KUNIT_EXPECT_EQ(test, dropped(test), 2ULL);
	KUNIT_EXPECT_TRUE(test, rqst_known(test, id));
}

/* A transfer-page packet claiming @cnt ranges, its payload at @offset8. */
static bool xfer_parse(struct kunit *test, u32 cnt, u16 offset8)
{
	struct vmbus_channel *chan = test->priv;
	struct vmbus_xfer_page_header *xp;

	xp = (void *)rx_packet(test, VMBUS_PKT_DATA_USING_XFER_PAGES,
			       offset8, 16);
	xp->range_cnt = cnt;
	return vmbus_parse_pkt(chan, 128);
}

static void parse_xfer_pages_test(struct kunit *test)
{
	/* 24 bytes of header and 2 ranges of 8: offset8 5. */
	KUNIT_EXPECT_TRUE(test, xfer_parse(test, 1, 5));
	KUNIT_EXPECT_TRUE(test, xfer_parse(test, 2, 5));
	KUNIT_EXPECT_FALSE(test, xfer_parse(test, 3, 5));
	KUNIT_EXPECT_FALSE(test, xfer_parse(test, 0, 5));
	KUNIT_EXPECT_FALSE(test, xfer_parse(test, U32_MAX, 5));
	KUNIT_EXPECT_EQ(test, dropped(test), 3ULL);
}

static void parse_xfer_pages_short_header_test(struct kunit *test)
{
	/* offset8 2: no room for the transfer-page header at all. */
	KUNIT_EXPECT_FALSE(test, xfer_parse(test, 1, 2));
	KUNIT_EXPECT_EQ(test, dropped(test), 1ULL);
}

static struct kunit_case pkt_cases[] = {
	KUNIT_CASE(ranges_ok_test),
	KUNIT_CASE(ranges_too_few_pfns_test),
	KUNIT_CASE(ranges_bad_offset_test),
	KUNIT_CASE(ranges_empty_range_test),
	KUNIT_CASE(ranges_count_mismatch_test),
	KUNIT_CASE(ranges_huge_count_test),
	KUNIT_CASE(parse_inband_test),
	KUNIT_CASE(parse_unknown_type_test),
	KUNIT_CASE(parse_completion_test),
	KUNIT_CASE(parse_completion_unknown_id_test),
	KUNIT_CASE(parse_xfer_pages_test),
	KUNIT_CASE(parse_xfer_pages_short_header_test),
	{}
};

static struct kunit_suite pkt_suite = {
	.name = "hv_vmbus_packet",
	.init = chan_init,
	.exit = chan_exit,
	.test_cases = pkt_cases,
};

/* --- GPADL messages -------------------------------------------------- */

#define GPADL_MAX_TEST_PFNS	200

/*
 * Cut a GPADL of @nr pages (PFN i is 1000 + i) into messages, checking
 * each as the host would. Return: the number of messages.
 */
static u32 gpadl_cut(struct kunit *test, u32 nr)
{
	u64 *pfns = kunit_kcalloc(test, nr, sizeof(u64), GFP_KERNEL);
	u8 msg[HV_TLFS_MESSAGE_PAYLOAD_SIZE] __aligned(8);
	const struct vmbus_msg_gpadl_header *hdr = (void *)msg;
	const struct vmbus_msg_gpadl_body *body = (void *)msg;
	const struct vmbus_gpa_range *range = (void *)hdr->ranges;
	struct vmbus_gpadl_msgs g = {
		.relid = 7, .handle = 0xe1e10, .pfns = pfns, .nr_pfns = nr,
	};
	u32 i, len, n, seen = 0, msgs = 0;

	KUNIT_ASSERT_NOT_NULL(test, pfns);
	for (i = 0; i < nr; i++)
		pfns[i] = 1000 + i;
	do {
		len = vmbus_gpadl_next_msg(&g, msg);
		KUNIT_ASSERT_LE(test, len, (u32)HV_TLFS_MESSAGE_PAYLOAD_SIZE);
		if (!msgs) {
			KUNIT_EXPECT_EQ(test, hdr->header.msgtype,
					(u32)VMBUS_MSG_GPADL_HEADER);
			KUNIT_EXPECT_EQ(test, hdr->child_relid, 7U);
			KUNIT_EXPECT_EQ(test, hdr->gpadl, 0xe1e10U);
			KUNIT_EXPECT_EQ(test, hdr->rangecount, 1);
			KUNIT_EXPECT_EQ(test, hdr->range_buflen, 8 + nr * 8);
			KUNIT_EXPECT_EQ(test, range->byte_offset, 0U);
			KUNIT_EXPECT_EQ(test, range->byte_count,
					nr * HV_WIRE_PAGE_SIZE);
			n = (len - 28) / 8;
			for (i = 0; i < n; i++)
				KUNIT_EXPECT_EQ(test, range->pfn_array[i],
						1000ULL + i);
		} else {
			KUNIT_EXPECT_EQ(test, body->header.msgtype,
					(u32)VMBUS_MSG_GPADL_BODY);
			KUNIT_EXPECT_EQ(test, body->gpadl, 0xe1e10U);
			n = (len - 16) / 8;
			for (i = 0; i < n; i++)
				KUNIT_EXPECT_EQ(test, body->pfn[i],
						1000ULL + seen + i);
		}
		KUNIT_ASSERT_GT(test, n, 0U);
		seen += n;
		msgs++;
		KUNIT_EXPECT_EQ(test, g.done, seen);
	} while (g.done < nr);
	KUNIT_EXPECT_EQ(test, seen, nr);
	return msgs;
}

static void gpadl_limits_test(struct kunit *test)
{
	/* What fits into a 240-byte message after each header. */
	KUNIT_EXPECT_EQ(test, VMBUS_GPADL_HEADER_MAX_PFNS, 26UL);
	KUNIT_EXPECT_EQ(test, VMBUS_GPADL_BODY_MAX_PFNS, 28UL);
}

static void gpadl_one_page_test(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, gpadl_cut(test, 1), 1U);
}

static void gpadl_header_full_test(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, gpadl_cut(test, 26), 1U);
	KUNIT_EXPECT_EQ(test, gpadl_cut(test, 27), 2U);
}

static void gpadl_bodies_test(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, gpadl_cut(test, 26 + 28), 2U);
	KUNIT_EXPECT_EQ(test, gpadl_cut(test, 26 + 28 + 1), 3U);
	/* 200 pages: the header's 26, then 6 full bodies and one of 6. */
	KUNIT_EXPECT_EQ(test, gpadl_cut(test, GPADL_MAX_TEST_PFNS), 8U);
}

static void gpadl_message_lengths_test(struct kunit *test)
{
	u64 pfns[30] = {};
	u8 msg[HV_TLFS_MESSAGE_PAYLOAD_SIZE] __aligned(8);
	struct vmbus_gpadl_msgs g = { .pfns = pfns, .nr_pfns = 30 };

	KUNIT_EXPECT_EQ(test, vmbus_gpadl_next_msg(&g, msg), 28U + 26 * 8);
	KUNIT_EXPECT_EQ(test, vmbus_gpadl_next_msg(&g, msg), 16U + 4 * 8);
	KUNIT_EXPECT_EQ(test, g.done, 30U);
}

static struct kunit_case gpadl_cases[] = {
	KUNIT_CASE(gpadl_limits_test),
	KUNIT_CASE(gpadl_one_page_test),
	KUNIT_CASE(gpadl_header_full_test),
	KUNIT_CASE(gpadl_bodies_test),
	KUNIT_CASE(gpadl_message_lengths_test),
	{}
};

static struct kunit_suite gpadl_suite = {
	.name = "hv_vmbus_gpadl",
	.test_cases = gpadl_cases,
};

kunit_test_suites(&rqst_suite, &pkt_suite, &gpadl_suite);
