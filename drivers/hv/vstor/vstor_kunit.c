// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite of what hv_vstor accepts from a host: EXECUTE_SRB
 * completions (whole packet, COMPLETE_IO, a known SRB status, no more
 * bytes moved than asked, autosense clipped to the sense buffer), which
 * statuses decide a command, SCSI status bytes, and the requests a host
 * may send on its own.
 */

#include <kunit/test.h>
#include <kunit/visibility.h>
#include <linux/hyperv.h>
#include <scsi/scsi_proto.h>

#include <linux/hv_vstor.h>

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

#define REQUESTED	4096

/* A good completion of a 4 KiB read, for a test to spoil. */
static void comp_fill(struct vstor_packet *p)
{
	memset(p, 0, sizeof(*p));
	p->operation = VSTOR_OP_COMPLETE_IO;
	p->srb.srb_status = VSTOR_SRB_SUCCESS;
	p->srb.scsi_status = SAM_STAT_GOOD;
	p->srb.data_transfer_length = REQUESTED;
}

static int comp_decode(const struct vstor_packet *p, u32 len,
		       struct vstor_srb_result *res, const char **why)
{
	struct vmbus_pkt pkt = { .type = VMBUS_PKT_COMP, .data = p, .len = len };
	u32 val;

	return vstor_srb_decode(&pkt, REQUESTED, res, why, &val);
}

static void comp_good_test(struct kunit *test)
{
	struct vstor_srb_result res;
	struct vstor_packet p;
	const char *why;

	comp_fill(&p);
	p.status = 0;
	KUNIT_ASSERT_EQ(test, comp_decode(&p, sizeof(p), &res, &why), 0);
	KUNIT_EXPECT_NULL(test, why);
	KUNIT_EXPECT_EQ(test, res.srb_status, VSTOR_SRB_SUCCESS);
	KUNIT_EXPECT_EQ(test, res.scsi_status, SAM_STAT_GOOD);
	KUNIT_EXPECT_EQ(test, res.transferred, (u32)REQUESTED);
	KUNIT_EXPECT_EQ(test, res.sense_len, 0);
	KUNIT_EXPECT_TRUE(test, vstor_srb_status_decides(&res));
}

static void comp_short_test(struct kunit *test)
{
	struct vstor_srb_result res;
	struct vstor_packet p;
	const char *why;

	comp_fill(&p);
	KUNIT_EXPECT_EQ(test, comp_decode(&p, sizeof(p) - 1, &res, &why),
			-EPROTO);
	KUNIT_EXPECT_STREQ(test, why, "short completion");
	KUNIT_EXPECT_EQ(test, comp_decode(&p, 0, &res, &why), -EPROTO);
}

static void comp_longer_test(struct kunit *test)
{
	struct vstor_packet p[2];
	struct vstor_srb_result res;
	const char *why;

	/* A host may send more than a 5.1 packet: the rest is ignored. */
	comp_fill(&p[0]);
	KUNIT_EXPECT_EQ(test, comp_decode(&p[0], sizeof(p), &res, &why), 0);
}

static void comp_wrong_operation_test(struct kunit *test)
{
	struct vstor_srb_result res;
	struct vstor_packet p;
	const char *why;

	comp_fill(&p);
	p.operation = VSTOR_OP_EXECUTE_SRB;
	KUNIT_EXPECT_EQ(test, comp_decode(&p, sizeof(p), &res, &why), -EPROTO);
	KUNIT_EXPECT_STREQ(test, why, "completion of operation");
	p.operation = 0;
	KUNIT_EXPECT_EQ(test, comp_decode(&p, sizeof(p), &res, &why), -EPROTO);
}

static void comp_unknown_srb_status_test(struct kunit *test)
{
	static const u8 bad[] = { 0x00, 0x0c, 0x17, 0x1a, 0x1f, 0x26, 0x2f,
				  0x31, 0x3f };
	struct vstor_srb_result res;
	struct vstor_packet p;
	const char *why;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		comp_fill(&p);
		p.srb.srb_status = bad[i] | VSTOR_SRB_STATUS_AUTOSENSE_VALID;
		KUNIT_EXPECT_EQ_MSG(test, comp_decode(&p, sizeof(p), &res, &why),
				    -EPROTO, "SRB status %#x", bad[i]);
		KUNIT_EXPECT_STREQ(test, why, "unknown SRB status");
	}
}

static void comp_known_srb_status_test(struct kunit *test)
{
	static const u8 good[] = { 0x01, 0x0b, 0x0d, 0x16, 0x20, 0x25, 0x30 };
	struct vstor_srb_result res;
	struct vstor_packet p;
	const char *why;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(good); i++) {
		comp_fill(&p);
		/* The flag bits do not make a status unknown. */
		p.srb.srb_status = good[i] | VSTOR_SRB_STATUS_QUEUE_FROZEN;
		KUNIT_EXPECT_EQ_MSG(test, comp_decode(&p, sizeof(p), &res, &why),
				    0, "SRB status %#x", good[i]);
		KUNIT_EXPECT_EQ(test, res.srb_status, good[i]);
	}
}

static void comp_moved_too_much_test(struct kunit *test)
{
	struct vstor_srb_result res;
	struct vstor_packet p;
	const char *why;

	comp_fill(&p);
	p.srb.data_transfer_length = REQUESTED + 1;
	KUNIT_EXPECT_EQ(test, comp_decode(&p, sizeof(p), &res, &why), -EPROTO);
	KUNIT_EXPECT_STREQ(test, why, "completion moved more than requested");
	p.srb.data_transfer_length = U32_MAX;
	KUNIT_EXPECT_EQ(test, comp_decode(&p, sizeof(p), &res, &why), -EPROTO);
}

static void comp_transferred_test(struct kunit *test)
{
	struct vstor_srb_result res;
	struct vstor_packet p;
	const char *why;

	/* A short transfer says how much moved. */
	comp_fill(&p);
	p.srb.srb_status = VSTOR_SRB_DATA_OVERRUN;
	p.srb.data_transfer_length = 512;
	KUNIT_ASSERT_EQ(test, comp_decode(&p, sizeof(p), &res, &why), 0);
	KUNIT_EXPECT_EQ(test, res.transferred, 512U);
	/* A failure moved nothing, whatever length the host left there. */
	p.srb.srb_status = VSTOR_SRB_ERROR;
	KUNIT_ASSERT_EQ(test, comp_decode(&p, sizeof(p), &res, &why), 0);
	KUNIT_EXPECT_EQ(test, res.transferred, 0U);
}

static void comp_sense_test(struct kunit *test)
{
	struct vstor_srb_result res;
	struct vstor_packet p;
	const char *why;

	comp_fill(&p);
	p.status = VSTOR_STATUS_IO_DEVICE_ERROR;
	p.srb.srb_status = VSTOR_SRB_ERROR | VSTOR_SRB_STATUS_AUTOSENSE_VALID;
	p.srb.scsi_status = SAM_STAT_CHECK_CONDITION;
	p.srb.sense_info_length = 18;
	p.srb.data.sense_data[0] = 0x70;
	p.srb.data.sense_data[2] = MEDIUM_ERROR;
	KUNIT_ASSERT_EQ(test, comp_decode(&p, sizeof(p), &res, &why), 0);
	KUNIT_EXPECT_EQ(test, res.sense_len, 18);
	KUNIT_EXPECT_EQ(test, res.sense[0], 0x70);
	KUNIT_EXPECT_EQ(test, res.sense[2], MEDIUM_ERROR);
	KUNIT_EXPECT_EQ(test, res.host_status, VSTOR_STATUS_IO_DEVICE_ERROR);
}

static void comp_sense_clipped_test(struct kunit *test)
{
	struct vstor_srb_result res;
	struct vstor_packet p;
	const char *why;

	comp_fill(&p);
	p.srb.srb_status = VSTOR_SRB_ERROR | VSTOR_SRB_STATUS_AUTOSENSE_VALID;
	p.srb.sense_info_length = 0xff;
	KUNIT_ASSERT_EQ(test, comp_decode(&p, sizeof(p), &res, &why), 0);
	KUNIT_EXPECT_EQ(test, res.sense_len, VSTOR_SRB_SENSE_SIZE);
	/* Sense bytes without the autosense flag are not sense. */
	p.srb.srb_status = VSTOR_SRB_ERROR;
	KUNIT_ASSERT_EQ(test, comp_decode(&p, sizeof(p), &res, &why), 0);
	KUNIT_EXPECT_EQ(test, res.sense_len, 0);
}

static void status_decides_test(struct kunit *test)
{
	struct vstor_srb_result res = {
		.srb_status = VSTOR_SRB_ABORTED,
		.scsi_status = SAM_STAT_CHECK_CONDITION,
	};

	/* A failure without sense: the SRB status alone says it. */
	KUNIT_EXPECT_FALSE(test, vstor_srb_status_decides(&res));
	res.sense_len = 18;
	KUNIT_EXPECT_TRUE(test, vstor_srb_status_decides(&res));
	res.scsi_status = SAM_STAT_GOOD;
	KUNIT_EXPECT_FALSE(test, vstor_srb_status_decides(&res));
	res.srb_status = VSTOR_SRB_DATA_OVERRUN;
	KUNIT_EXPECT_TRUE(test, vstor_srb_status_decides(&res));
	res.srb_status = VSTOR_SRB_ERROR;
	KUNIT_EXPECT_TRUE(test, vstor_srb_status_decides(&res));
	res.srb_status = VSTOR_SRB_INVALID_LUN;
	res.scsi_status = SAM_STAT_CHECK_CONDITION;
	KUNIT_EXPECT_FALSE(test, vstor_srb_status_decides(&res));
}

static void scsi_status_valid_test(struct kunit *test)
{
	static const u8 good[] = { SAM_STAT_GOOD, SAM_STAT_CHECK_CONDITION,
				   SAM_STAT_CONDITION_MET, SAM_STAT_BUSY,
				   SAM_STAT_RESERVATION_CONFLICT,
				   SAM_STAT_TASK_SET_FULL };
	static const u8 bad[] = { 0x01, 0x06, 0x10, 0x14, 0x22,
				  SAM_STAT_ACA_ACTIVE, SAM_STAT_TASK_ABORTED,
				  0xff };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(good); i++)
		KUNIT_EXPECT_TRUE(test, vstor_scsi_status_valid(good[i]));
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		KUNIT_EXPECT_FALSE_MSG(test, vstor_scsi_status_valid(bad[i]),
				       "status %#x", bad[i]);
}

static int host_op(u32 op, u32 len, const char **why)
{
	struct vmbus_pkt pkt = { .data = &op, .len = len };
	u32 val;

	*why = NULL;
	return vstor_host_op(&pkt, why, &val);
}

static void host_request_test(struct kunit *test)
{
	const char *why;

	KUNIT_EXPECT_EQ(test, host_op(VSTOR_OP_ENUMERATE_BUS, 4, &why),
			VSTOR_OP_ENUMERATE_BUS);
	KUNIT_EXPECT_EQ(test, host_op(VSTOR_OP_REMOVE_DEVICE, 4, &why),
			VSTOR_OP_REMOVE_DEVICE);
	KUNIT_EXPECT_NULL(test, why);
}

static void host_request_bad_test(struct kunit *test)
{
	const char *why;

	KUNIT_EXPECT_EQ(test, host_op(VSTOR_OP_ENUMERATE_BUS, 3, &why),
			-EPROTO);
	KUNIT_EXPECT_STREQ(test, why, "short host request");
	KUNIT_EXPECT_EQ(test, host_op(VSTOR_OP_COMPLETE_IO, 4, &why), -EPROTO);
	KUNIT_EXPECT_STREQ(test, why, "unexpected host request");
	KUNIT_EXPECT_EQ(test, host_op(VSTOR_OP_EXECUTE_SRB, 4, &why), -EPROTO);
	KUNIT_EXPECT_EQ(test, host_op(U32_MAX, 4, &why), -EPROTO);
}

static struct kunit_case vstor_cases[] = {
	KUNIT_CASE(comp_good_test),
	KUNIT_CASE(comp_short_test),
	KUNIT_CASE(comp_longer_test),
	KUNIT_CASE(comp_wrong_operation_test),
	KUNIT_CASE(comp_unknown_srb_status_test),
	KUNIT_CASE(comp_known_srb_status_test),
	KUNIT_CASE(comp_moved_too_much_test),
	KUNIT_CASE(comp_transferred_test),
	KUNIT_CASE(comp_sense_test),
	KUNIT_CASE(comp_sense_clipped_test),
	KUNIT_CASE(status_decides_test),
	KUNIT_CASE(scsi_status_valid_test),
	KUNIT_CASE(host_request_test),
	KUNIT_CASE(host_request_bad_test),
	{}
};

static struct kunit_suite vstor_suite = {
	.name = "hv_vstor",
	.test_cases = vstor_cases,
};

kunit_test_suite(vstor_suite);

MODULE_DESCRIPTION("KUnit tests of the Hyper-V VSTOR transport");
MODULE_LICENSE("GPL");
