// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite of the SCSI commands hv_blkvsc builds for the host:
 * READ/WRITE (10) while the LBA and length fit, (16) beyond, FUA, the
 * UNMAP parameter list and WRITE SAME (16), and the block sizes it
 * accepts from READ CAPACITY.
 */

#include <kunit/test.h>
#include <kunit/visibility.h>
#include <linux/hv_compat.h>
#include <linux/hyperv.h>
#include <scsi/scsi_proto.h>

#include <linux/hv_vstor.h>

#include "blkvsc.h"

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

static void cdb_rw10_test(struct kunit *test)
{
	u8 cdb[VSTOR_CDB_SIZE];

	memset(cdb, 0xcc, sizeof(cdb));
	KUNIT_ASSERT_EQ(test, blkvsc_cdb_rw(cdb, false, 0x12345678, 8, false),
			10);
	KUNIT_EXPECT_EQ(test, cdb[0], READ_10);
	KUNIT_EXPECT_EQ(test, cdb[1], 0);
	KUNIT_EXPECT_EQ(test, get_unaligned_be32(&cdb[2]), 0x12345678U);
	KUNIT_EXPECT_EQ(test, cdb[6], 0);
	KUNIT_EXPECT_EQ(test, get_unaligned_be16(&cdb[7]), 8);
	KUNIT_EXPECT_EQ(test, cdb[9], 0);
	KUNIT_EXPECT_EQ(test, cdb[15], 0);	/* the rest cleared */
	KUNIT_ASSERT_EQ(test, blkvsc_cdb_rw(cdb, true, 0, 1, false), 10);
	KUNIT_EXPECT_EQ(test, cdb[0], WRITE_10);
}

static void cdb_rw10_edges_test(struct kunit *test)
{
	u8 cdb[VSTOR_CDB_SIZE];

	/* The last block (10) can address, and the longest length. */
	KUNIT_EXPECT_EQ(test, blkvsc_cdb_rw(cdb, false, 0xffffffffULL, 1,
					    false), 10);
	KUNIT_EXPECT_EQ(test, get_unaligned_be32(&cdb[2]), 0xffffffffU);
	KUNIT_EXPECT_EQ(test, blkvsc_cdb_rw(cdb, false, 0, 0xffff, false), 10);
	KUNIT_EXPECT_EQ(test, get_unaligned_be16(&cdb[7]), 0xffff);
}

static void cdb_rw16_test(struct kunit *test)
{
	u8 cdb[VSTOR_CDB_SIZE];

	/* Ends past 2^32 blocks: (10) cannot say it. */
	KUNIT_ASSERT_EQ(test, blkvsc_cdb_rw(cdb, false, 0xffffffffULL, 2,
					    false), 16);
	KUNIT_EXPECT_EQ(test, cdb[0], READ_16);
	KUNIT_EXPECT_EQ(test, get_unaligned_be64(&cdb[2]), 0xffffffffULL);
	KUNIT_EXPECT_EQ(test, get_unaligned_be32(&cdb[10]), 2U);
	KUNIT_EXPECT_EQ(test, cdb[14], 0);
	KUNIT_EXPECT_EQ(test, cdb[15], 0);
	KUNIT_ASSERT_EQ(test, blkvsc_cdb_rw(cdb, true, 0x123456789aULL, 16,
					    false), 16);
	KUNIT_EXPECT_EQ(test, cdb[0], WRITE_16);
	KUNIT_EXPECT_EQ(test, get_unaligned_be64(&cdb[2]), 0x123456789aULL);
}

static void cdb_rw16_long_test(struct kunit *test)
{
	u8 cdb[VSTOR_CDB_SIZE];

	/* More blocks than (10)'s 16-bit length. */
	KUNIT_ASSERT_EQ(test, blkvsc_cdb_rw(cdb, true, 0, 0x10000, false), 16);
	KUNIT_EXPECT_EQ(test, cdb[0], WRITE_16);
	KUNIT_EXPECT_EQ(test, get_unaligned_be32(&cdb[10]), 0x10000U);
}

static void cdb_fua_test(struct kunit *test)
{
	u8 cdb[VSTOR_CDB_SIZE];

	blkvsc_cdb_rw(cdb, true, 100, 8, true);
	KUNIT_EXPECT_EQ(test, cdb[1], BLKVSC_CDB_FUA);
	blkvsc_cdb_rw(cdb, true, 1ULL << 40, 8, true);
	KUNIT_EXPECT_EQ(test, cdb[1], BLKVSC_CDB_FUA);
	blkvsc_cdb_rw(cdb, true, 100, 8, false);
	KUNIT_EXPECT_EQ(test, cdb[1], 0);
}

static void cdb_unmap_test(struct kunit *test)
{
	u8 cdb[VSTOR_CDB_SIZE], param[BLKVSC_UNMAP_LEN];

	memset(param, 0xcc, sizeof(param));
	KUNIT_ASSERT_EQ(test, blkvsc_cdb_unmap(cdb, param, 0x1122334455ULL,
					       0x8000), 10);
	KUNIT_EXPECT_EQ(test, cdb[0], UNMAP);
	KUNIT_EXPECT_EQ(test, get_unaligned_be16(&cdb[7]), 24);
	/* Data length, block descriptor data length, one descriptor. */
	KUNIT_EXPECT_EQ(test, get_unaligned_be16(&param[0]), 22);
	KUNIT_EXPECT_EQ(test, get_unaligned_be16(&param[2]), 16);
	KUNIT_EXPECT_EQ(test, get_unaligned_be32(&param[4]), 0U);
	KUNIT_EXPECT_EQ(test, get_unaligned_be64(&param[8]), 0x1122334455ULL);
	KUNIT_EXPECT_EQ(test, get_unaligned_be32(&param[16]), 0x8000U);
	KUNIT_EXPECT_EQ(test, get_unaligned_be32(&param[20]), 0U);
}

static void cdb_write_same_test(struct kunit *test)
{
	u8 cdb[VSTOR_CDB_SIZE];

	memset(cdb, 0xcc, sizeof(cdb));
	KUNIT_ASSERT_EQ(test, blkvsc_cdb_write_same(cdb, 0xabcdef0123ULL, 77),
			16);
	KUNIT_EXPECT_EQ(test, cdb[0], WRITE_SAME_16);
	KUNIT_EXPECT_EQ(test, cdb[1], 0);	/* no UNMAP bit: write zeros */
	KUNIT_EXPECT_EQ(test, get_unaligned_be64(&cdb[2]), 0xabcdef0123ULL);
	KUNIT_EXPECT_EQ(test, get_unaligned_be32(&cdb[10]), 77U);
	KUNIT_EXPECT_EQ(test, cdb[15], 0);
}

static void block_size_test(struct kunit *test)
{
	KUNIT_EXPECT_TRUE(test, blkvsc_block_size_ok(512));
	KUNIT_EXPECT_TRUE(test, blkvsc_block_size_ok(2048));
	KUNIT_EXPECT_TRUE(test, blkvsc_block_size_ok(PAGE_SIZE));
	KUNIT_EXPECT_FALSE(test, blkvsc_block_size_ok(0));
	KUNIT_EXPECT_FALSE(test, blkvsc_block_size_ok(256));
	KUNIT_EXPECT_FALSE(test, blkvsc_block_size_ok(520));
	KUNIT_EXPECT_FALSE(test, blkvsc_block_size_ok(PAGE_SIZE * 2));
	KUNIT_EXPECT_FALSE(test, blkvsc_block_size_ok(U32_MAX));
}

static struct kunit_case blkvsc_cases[] = {
	KUNIT_CASE(cdb_rw10_test),
	KUNIT_CASE(cdb_rw10_edges_test),
	KUNIT_CASE(cdb_rw16_test),
	KUNIT_CASE(cdb_rw16_long_test),
	KUNIT_CASE(cdb_fua_test),
	KUNIT_CASE(cdb_unmap_test),
	KUNIT_CASE(cdb_write_same_test),
	KUNIT_CASE(block_size_test),
	{}
};

static struct kunit_suite blkvsc_suite = {
	.name = "hv_blkvsc",
	.test_cases = blkvsc_cases,
};

kunit_test_suite(blkvsc_suite);

MODULE_DESCRIPTION("KUnit tests of the Hyper-V IDE disk driver");
MODULE_LICENSE("GPL");
