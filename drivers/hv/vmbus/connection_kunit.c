// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite of the host message dispatch table: which message types
 * the guest takes from the host, and the minimum length of each. A
 * message that fails a check is logged and dropped before its handler.
 */

#include <kunit/test.h>
#include <kunit/visibility.h>

#include "vmbus_private.h"

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

/* A host message of @type, @len bytes long. */
static const struct vmbus_msg_handler *msg_of(u32 type, u32 len)
{
	u8 payload[HV_TLFS_MESSAGE_PAYLOAD_SIZE] __aligned(8) = {};
	struct vmbus_msg_header *h = (void *)payload;

	h->msgtype = type;
	return vmbus_msg_handler_of(payload, len);
}

/* What the host may send, and the wire size each must at least have. */
static const struct {
	u32 type;
	u32 min_len;
	bool deferred;
} host_msgs[] = {
	{ VMBUS_MSG_OFFERCHANNEL, 196, true },
	{ VMBUS_MSG_RESCIND_CHANNELOFFER, 12, true },
	{ VMBUS_MSG_ALLOFFERS_DELIVERED, 8, true },
	{ VMBUS_MSG_OPENCHANNEL_RESULT, 20, false },
	{ VMBUS_MSG_GPADL_CREATED, 20, false },
	{ VMBUS_MSG_GPADL_TORNDOWN, 12, false },
	{ VMBUS_MSG_VERSION_RESPONSE, 16, false },
	{ VMBUS_MSG_UNLOAD_RESPONSE, 8, false },
	{ VMBUS_MSG_MODIFYCHANNEL_RESPONSE, 16, false },
};

static void msg_min_len_test(struct kunit *test)
{
	const struct vmbus_msg_handler *h;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(host_msgs); i++) {
		h = msg_of(host_msgs[i].type, host_msgs[i].min_len);
		KUNIT_ASSERT_NOT_NULL_MSG(test, h, "type %u", host_msgs[i].type);
		KUNIT_EXPECT_EQ_MSG(test, h->min_len, host_msgs[i].min_len,
				    "type %u", host_msgs[i].type);
		KUNIT_EXPECT_EQ_MSG(test, h->deferred, host_msgs[i].deferred,
				    "type %u", host_msgs[i].type);
	}
}

static void msg_too_short_test(struct kunit *test)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(host_msgs); i++)
		if (host_msgs[i].min_len > 8)
			KUNIT_EXPECT_NULL_MSG(test,
					      msg_of(host_msgs[i].type,
						     host_msgs[i].min_len - 4),
					      "type %u", host_msgs[i].type);
}

static void msg_longest_test(struct kunit *test)
{
	unsigned int i;

	/* A full payload is fine for each: newer hosts send more. */
	for (i = 0; i < ARRAY_SIZE(host_msgs); i++)
		KUNIT_EXPECT_NOT_NULL(test, msg_of(host_msgs[i].type,
						   HV_TLFS_MESSAGE_PAYLOAD_SIZE));
}

static void msg_bad_size_test(struct kunit *test)
{
	KUNIT_EXPECT_NULL(test, msg_of(VMBUS_MSG_UNLOAD_RESPONSE, 0));
	KUNIT_EXPECT_NULL(test, msg_of(VMBUS_MSG_UNLOAD_RESPONSE, 7));
	KUNIT_EXPECT_NULL(test, msg_of(VMBUS_MSG_UNLOAD_RESPONSE,
				       HV_TLFS_MESSAGE_PAYLOAD_SIZE + 1));
	KUNIT_EXPECT_NULL(test, msg_of(VMBUS_MSG_UNLOAD_RESPONSE, U32_MAX));
}

static void msg_guest_types_test(struct kunit *test)
{
	/* Messages only the guest sends: a host sending one is wrong. */
	static const u32 guest_only[] = {
		VMBUS_MSG_INVALID, VMBUS_MSG_REQUESTOFFERS,
		VMBUS_MSG_OPENCHANNEL, VMBUS_MSG_CLOSECHANNEL,
		VMBUS_MSG_GPADL_HEADER, VMBUS_MSG_GPADL_BODY,
		VMBUS_MSG_GPADL_TEARDOWN, VMBUS_MSG_RELID_RELEASED,
		VMBUS_MSG_INITIATE_CONTACT, VMBUS_MSG_UNLOAD,
		VMBUS_MSG_MODIFYCHANNEL,
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(guest_only); i++)
		KUNIT_EXPECT_NULL_MSG(test, msg_of(guest_only[i], 200),
				      "type %u", guest_only[i]);
}

static void msg_unknown_types_test(struct kunit *test)
{
	KUNIT_EXPECT_NULL(test, msg_of(18, 200));	/* unused numbers */
	KUNIT_EXPECT_NULL(test, msg_of(23, 200));
	KUNIT_EXPECT_NULL(test, msg_of(VMBUS_MSG_COUNT, 200));
	KUNIT_EXPECT_NULL(test, msg_of(0x80000001, 200));
	KUNIT_EXPECT_NULL(test, msg_of(U32_MAX, 200));
}

static struct kunit_case msg_cases[] = {
	KUNIT_CASE(msg_min_len_test),
	KUNIT_CASE(msg_too_short_test),
	KUNIT_CASE(msg_longest_test),
	KUNIT_CASE(msg_bad_size_test),
	KUNIT_CASE(msg_guest_types_test),
	KUNIT_CASE(msg_unknown_types_test),
	{}
};

static struct kunit_suite msg_suite = {
	.name = "hv_vmbus_msg",
	.test_cases = msg_cases,
};

kunit_test_suite(msg_suite);
