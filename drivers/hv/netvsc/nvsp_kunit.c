// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite of the checks hv_netvsc makes of NVSP values from the
 * host: receive ranges inside the receive buffer's slots, the send
 * indirection table, and the host's channel indexes in it.
 */

#include <kunit/test.h>
#include <kunit/visibility.h>

#include "netvsc.h"

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

#define SLOT	1728
#define SLOTS	100

static struct netvsc_dev *dev_of(struct kunit *test)
{
	struct netvsc_dev *nd = kunit_kzalloc(test, sizeof(*nd), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, nd);
	nd->recv.slot_size = SLOT;
	nd->recv.count = SLOTS;
	return nd;
}

static bool range_ok(struct netvsc_dev *nd, u32 offset, u32 count)
{
	struct vmbus_xfer_page_range r = {
		.byte_offset = offset, .byte_count = count,
	};

	return netvsc_range_ok(nd, &r);
}

static void range_test(struct kunit *test)
{
	struct netvsc_dev *nd = dev_of(test);

	KUNIT_EXPECT_TRUE(test, range_ok(nd, 0, 60));
	KUNIT_EXPECT_TRUE(test, range_ok(nd, SLOT * (SLOTS - 1), SLOT));
	KUNIT_EXPECT_FALSE(test, range_ok(nd, 0, 0));
	KUNIT_EXPECT_FALSE(test, range_ok(nd, 0, SLOT + 1));
	KUNIT_EXPECT_FALSE(test, range_ok(nd, SLOT * SLOTS - 59, 60));
	KUNIT_EXPECT_FALSE(test, range_ok(nd, SLOT * SLOTS, 1));
	/* Offset + count wraps around 32 bits. */
	KUNIT_EXPECT_FALSE(test, range_ok(nd, U32_MAX - 10, 60));
	KUNIT_EXPECT_FALSE(test, range_ok(nd, 0, U32_MAX));
}

/* A table message of @len bytes, @count entries at @offset. */
static bool table_ok(struct kunit *test, u32 len, u32 count, u32 offset)
{
	u32 *msg = kunit_kzalloc(test, 256, GFP_KERNEL);
	struct nvsp_send_indirection_table *t = (void *)msg;

	KUNIT_ASSERT_NOT_NULL(test, msg);
	t->msg_type = NVSP_MSG5_SEND_INDIRECTION_TABLE;
	t->count = count;
	t->offset = offset;
	return netvsc_indirection_ok(msg, len, offset);
}

static void table_test(struct kunit *test)
{
	u32 whole = 12 + NVSP_SEND_INDIRECTION_ENTRIES * 4;

	KUNIT_EXPECT_EQ(test, NVSP_SEND_INDIRECTION_ENTRIES, 16);
	KUNIT_EXPECT_TRUE(test, table_ok(test, whole, 16, 12));
	KUNIT_EXPECT_TRUE(test, table_ok(test, whole + 4, 16, 16));
}

static void table_bad_test(struct kunit *test)
{
	u32 whole = 12 + NVSP_SEND_INDIRECTION_ENTRIES * 4;

	KUNIT_EXPECT_FALSE(test, table_ok(test, 11, 16, 12));
	KUNIT_EXPECT_FALSE(test, table_ok(test, whole - 1, 16, 12));
	KUNIT_EXPECT_FALSE(test, table_ok(test, whole, 15, 12));
	KUNIT_EXPECT_FALSE(test, table_ok(test, whole, 17, 12));
	KUNIT_EXPECT_FALSE(test, table_ok(test, whole, 16, 8));
	KUNIT_EXPECT_FALSE(test, table_ok(test, whole, 16, 16));
	KUNIT_EXPECT_FALSE(test, table_ok(test, whole, 16, whole + 1));
	KUNIT_EXPECT_FALSE(test, table_ok(test, whole, 16, U32_MAX));
}

static void queue_of_test(struct kunit *test)
{
	struct netvsc_dev *nd = dev_of(test);

	/* Channels in offer order: the host's indexes 0, 2, 1. */
	nd->nr_chans = 3;
	nd->chans[0].sub_index = 0;
	nd->chans[1].sub_index = 2;
	nd->chans[2].sub_index = 1;
	nd->chans[3].sub_index = 3;	/* not open */
	KUNIT_EXPECT_EQ(test, netvsc_queue_of(nd, 0), 0U);
	KUNIT_EXPECT_EQ(test, netvsc_queue_of(nd, 2), 1U);
	KUNIT_EXPECT_EQ(test, netvsc_queue_of(nd, 1), 2U);
	/* One we do not have goes to the primary. */
	KUNIT_EXPECT_EQ(test, netvsc_queue_of(nd, 3), 0U);
	KUNIT_EXPECT_EQ(test, netvsc_queue_of(nd, U32_MAX), 0U);
}

static void map_tx_table_test(struct kunit *test)
{
	struct netvsc_dev *nd = dev_of(test);
	u32 i;

	spin_lock_init(&nd->tx_lock);
	nd->nr_chans = 3;
	netvsc_map_tx_table(nd);
	for (i = 0; i < NVSP_SEND_INDIRECTION_ENTRIES; i++)
		KUNIT_EXPECT_EQ(test, nd->tx_table[i], i % 3);

	/* The host's table, all on its channel 1, while only the primary is open. */
	nd->nr_chans = 1;
	nd->has_host_tx_table = true;
	for (i = 0; i < NVSP_SEND_INDIRECTION_ENTRIES; i++)
		nd->host_tx_table[i] = 1;
	netvsc_map_tx_table(nd);
	for (i = 0; i < NVSP_SEND_INDIRECTION_ENTRIES; i++)
		KUNIT_EXPECT_EQ(test, nd->tx_table[i], 0U);

	/* Its channel 1 opens as queue 2: mapped again, the table follows. */
	nd->nr_chans = 3;
	nd->chans[1].sub_index = 2;
	nd->chans[2].sub_index = 1;
	netvsc_map_tx_table(nd);
	for (i = 0; i < NVSP_SEND_INDIRECTION_ENTRIES; i++)
		KUNIT_EXPECT_EQ(test, nd->tx_table[i], 2U);
}

static struct kunit_case nvsp_cases[] = {
	KUNIT_CASE(range_test),
	KUNIT_CASE(table_test),
	KUNIT_CASE(table_bad_test),
	KUNIT_CASE(queue_of_test),
	KUNIT_CASE(map_tx_table_test),
	{}
};

static struct kunit_suite nvsp_suite = {
	.name = "hv_netvsc_nvsp",
	.test_cases = nvsp_cases,
};

kunit_test_suite(nvsp_suite);
