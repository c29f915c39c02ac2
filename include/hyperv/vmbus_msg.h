/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * VMBus channel-management messages: versions, connection ids, message
 * types and layouts, the monitor page and the device class GUIDs.
 * Offsets in the static_asserts are those of the protocol reference and
 * include the 8-byte channel message header.
 */
#ifndef _HYPERV_VMBUS_MSG_H
#define _HYPERV_VMBUS_MSG_H

#include "tlfs.h"

/* Protocol versions: major << 16 | minor. */
#define VMBUS_VERSION(major, minor)	(((major) << 16) | (minor))
#define VMBUS_VERSION_WIN8		VMBUS_VERSION(2, 4)
#define VMBUS_VERSION_WIN8_1		VMBUS_VERSION(3, 0)
#define VMBUS_VERSION_WIN10		VMBUS_VERSION(4, 0)
#define VMBUS_VERSION_WIN10_V4_1	VMBUS_VERSION(4, 1)
#define VMBUS_VERSION_WIN10_V5		VMBUS_VERSION(5, 0)
#define VMBUS_VERSION_WIN10_V5_1	VMBUS_VERSION(5, 1)
#define VMBUS_VERSION_WIN10_V5_2	VMBUS_VERSION(5, 2)
#define VMBUS_VERSION_WIN10_V5_3	VMBUS_VERSION(5, 3)
/* What Linux 6.x proposes, newest first; a host accepts the same set. */
static const __u32 vmbus_versions_newest_first[] __maybe_unused = {
	VMBUS_VERSION_WIN10_V5_3, VMBUS_VERSION_WIN10_V5_2,
	VMBUS_VERSION_WIN10_V5_1, VMBUS_VERSION_WIN10_V5,
	VMBUS_VERSION_WIN10_V4_1, VMBUS_VERSION_WIN10,
	VMBUS_VERSION_WIN8_1, VMBUS_VERSION_WIN8,
};

#define VMBUS_VERSION_MAJOR(v)		((v) >> 16)
#define VMBUS_VERSION_MINOR(v)		((v) & 0xffff)

/* Connection ids. */
#define VMBUS_MESSAGE_CONNECTION_ID	1
#define VMBUS_EVENT_CONNECTION_ID	2
#define VMBUS_MONITOR_CONNECTION_ID	3
#define VMBUS_MESSAGE_CONNECTION_ID_4	4	/* INITIATE_CONTACT, >= 5.0 */
#define VMBUS_MESSAGE_SINT		2

/* Channel ids the guest accepts; 0 is reserved. */
#define VMBUS_MAX_RELID			2047
#define VMBUS_MAX_MONITOR_ID		127
#define VMBUS_NO_MONITOR_ID		0xff

/* Message types. */
enum vmbus_msg_type {
	VMBUS_MSG_INVALID			= 0,
	VMBUS_MSG_OFFERCHANNEL			= 1,
	VMBUS_MSG_RESCIND_CHANNELOFFER		= 2,
	VMBUS_MSG_REQUESTOFFERS			= 3,
	VMBUS_MSG_ALLOFFERS_DELIVERED		= 4,
	VMBUS_MSG_OPENCHANNEL			= 5,
	VMBUS_MSG_OPENCHANNEL_RESULT		= 6,
	VMBUS_MSG_CLOSECHANNEL			= 7,
	VMBUS_MSG_GPADL_HEADER			= 8,
	VMBUS_MSG_GPADL_BODY			= 9,
	VMBUS_MSG_GPADL_CREATED			= 10,
	VMBUS_MSG_GPADL_TEARDOWN		= 11,
	VMBUS_MSG_GPADL_TORNDOWN		= 12,
	VMBUS_MSG_RELID_RELEASED		= 13,
	VMBUS_MSG_INITIATE_CONTACT		= 14,
	VMBUS_MSG_VERSION_RESPONSE		= 15,
	VMBUS_MSG_UNLOAD			= 16,
	VMBUS_MSG_UNLOAD_RESPONSE		= 17,
	VMBUS_MSG_MODIFYCHANNEL			= 22,
	VMBUS_MSG_MODIFYCHANNEL_RESPONSE	= 24,
	VMBUS_MSG_COUNT				= 25,
};

/* Every channel message starts with this header. */
struct vmbus_msg_header {
	__u32 msgtype;
	__u32 padding;
} __packed;

static_assert(sizeof(struct vmbus_msg_header) == 8);

/* Offer flags the guest looks at. */
#define VMBUS_OFFER_FLAG_ENUMERATE_DEVICE_INTERFACE	0x0001
#define VMBUS_OFFER_FLAG_NAMED_PIPE_MODE		0x0010

#define VMBUS_OFFER_USER_DEFINED_SIZE	120

/* OFFERCHANNEL (1) */
struct vmbus_msg_offer {
	struct vmbus_msg_header header;
	guid_t if_type;
	guid_t if_instance;
	__u64 reserved1;
	__u64 reserved2;
	__u16 chn_flags;
	__u16 mmio_megabytes;
	__u8 user_defined[VMBUS_OFFER_USER_DEFINED_SIZE];
	__u16 sub_channel_index;
	__u16 reserved3;
	__u32 child_relid;
	__u8 monitorid;
	__u8 monitor_allocated;
	__u16 is_dedicated_interrupt;
	__u32 connection_id;
} __packed;

static_assert(sizeof(struct vmbus_msg_offer) == 196);
static_assert(offsetof(struct vmbus_msg_offer, if_type) == 8);
static_assert(offsetof(struct vmbus_msg_offer, if_instance) == 24);
static_assert(offsetof(struct vmbus_msg_offer, chn_flags) == 56);
static_assert(offsetof(struct vmbus_msg_offer, user_defined) == 60);
static_assert(offsetof(struct vmbus_msg_offer, sub_channel_index) == 180);
static_assert(offsetof(struct vmbus_msg_offer, child_relid) == 184);
static_assert(offsetof(struct vmbus_msg_offer, monitorid) == 188);
static_assert(offsetof(struct vmbus_msg_offer, monitor_allocated) == 189);
static_assert(offsetof(struct vmbus_msg_offer, is_dedicated_interrupt) == 190);
static_assert(offsetof(struct vmbus_msg_offer, connection_id) == 192);

/* RESCIND_CHANNELOFFER (2), CLOSECHANNEL (7), RELID_RELEASED (13) */
struct vmbus_msg_relid {
	struct vmbus_msg_header header;
	__u32 child_relid;
} __packed;

static_assert(sizeof(struct vmbus_msg_relid) == 12);

#define VMBUS_OPEN_USER_DATA_SIZE	120

/* OPENCHANNEL (5) */
struct vmbus_msg_open_channel {
	struct vmbus_msg_header header;
	__u32 child_relid;
	__u32 openid;
	__u32 ringbuffer_gpadl;
	__u32 target_vp;
	__u32 downstream_ring_page_offset;
	__u8 user_data[VMBUS_OPEN_USER_DATA_SIZE];
} __packed;

static_assert(sizeof(struct vmbus_msg_open_channel) == 148);
static_assert(offsetof(struct vmbus_msg_open_channel, ringbuffer_gpadl) == 16);
static_assert(offsetof(struct vmbus_msg_open_channel, target_vp) == 20);
static_assert(offsetof(struct vmbus_msg_open_channel,
		       downstream_ring_page_offset) == 24);
static_assert(offsetof(struct vmbus_msg_open_channel, user_data) == 28);

/* OPENCHANNEL_RESULT (6) */
struct vmbus_msg_open_result {
	struct vmbus_msg_header header;
	__u32 child_relid;
	__u32 openid;
	__u32 status;
} __packed;

static_assert(sizeof(struct vmbus_msg_open_result) == 20);

/* A GPA range: byte count, offset into the first page, then the PFNs. */
struct vmbus_gpa_range {
	__u32 byte_count;
	__u32 byte_offset;
	__u64 pfn_array[];
} __packed;

static_assert(sizeof(struct vmbus_gpa_range) == 8);

/* GPADL_HEADER (8): the range description starts in this message. */
struct vmbus_msg_gpadl_header {
	struct vmbus_msg_header header;
	__u32 child_relid;
	__u32 gpadl;
	__u16 range_buflen;
	__u16 rangecount;
	/*
	 * The ranges follow, each a struct vmbus_gpa_range and its PFNs. Not
	 * an array of that struct: it has a flexible array of its own.
	 */
	__u8 ranges[];
} __packed;

static_assert(sizeof(struct vmbus_msg_gpadl_header) == 20);

/* GPADL_BODY (9): the rest of the PFNs, in order. */
struct vmbus_msg_gpadl_body {
	struct vmbus_msg_header header;
	__u32 msgnumber;
	__u32 gpadl;
	__u64 pfn[];
} __packed;

static_assert(sizeof(struct vmbus_msg_gpadl_body) == 16);

#define VMBUS_GPADL_HEADER_MAX_PFNS					\
	((HV_TLFS_MESSAGE_PAYLOAD_SIZE -				\
	  sizeof(struct vmbus_msg_gpadl_header) -			\
	  sizeof(struct vmbus_gpa_range)) / sizeof(__u64))
#define VMBUS_GPADL_BODY_MAX_PFNS					\
	((HV_TLFS_MESSAGE_PAYLOAD_SIZE -				\
	  sizeof(struct vmbus_msg_gpadl_body)) / sizeof(__u64))

/* GPADL_CREATED (10) */
struct vmbus_msg_gpadl_created {
	struct vmbus_msg_header header;
	__u32 child_relid;
	__u32 gpadl;
	__u32 creation_status;
} __packed;

static_assert(sizeof(struct vmbus_msg_gpadl_created) == 20);

/* GPADL_TEARDOWN (11) */
struct vmbus_msg_gpadl_teardown {
	struct vmbus_msg_header header;
	__u32 child_relid;
	__u32 gpadl;
} __packed;

static_assert(sizeof(struct vmbus_msg_gpadl_teardown) == 16);

/* GPADL_TORNDOWN (12) */
struct vmbus_msg_gpadl_torndown {
	struct vmbus_msg_header header;
	__u32 gpadl;
} __packed;

static_assert(sizeof(struct vmbus_msg_gpadl_torndown) == 12);

/* INITIATE_CONTACT (14) */
struct vmbus_msg_initiate_contact {
	struct vmbus_msg_header header;
	__u32 vmbus_version_requested;
	__u32 target_vcpu;
	union {
		__u64 interrupt_page;	/* < 5.0 */
		struct {
			__u8 msg_sint;	/* >= 5.0 */
			__u8 msg_vtl;	/* >= 5.1 */
			__u8 reserved[6];
		} __packed;
	};
	__u64 monitor_page1;
	__u64 monitor_page2;
} __packed;

static_assert(sizeof(struct vmbus_msg_initiate_contact) == 40);
static_assert(offsetof(struct vmbus_msg_initiate_contact, interrupt_page) == 16);
static_assert(offsetof(struct vmbus_msg_initiate_contact, msg_sint) == 16);
static_assert(offsetof(struct vmbus_msg_initiate_contact, monitor_page1) == 24);
static_assert(offsetof(struct vmbus_msg_initiate_contact, monitor_page2) == 32);

/* VERSION_RESPONSE (15) */
struct vmbus_msg_version_response {
	struct vmbus_msg_header header;
	__u8 version_supported;
	__u8 connection_state;
	__u16 padding;
	__u32 msg_conn_id;
} __packed;

static_assert(sizeof(struct vmbus_msg_version_response) == 16);
static_assert(offsetof(struct vmbus_msg_version_response, msg_conn_id) == 12);

/* MODIFYCHANNEL (22) */
struct vmbus_msg_modify_channel {
	struct vmbus_msg_header header;
	__u32 child_relid;
	__u32 target_vp;
} __packed;

static_assert(sizeof(struct vmbus_msg_modify_channel) == 16);

/* MODIFYCHANNEL_RESPONSE (24) */
struct vmbus_msg_modify_channel_response {
	struct vmbus_msg_header header;
	__u32 child_relid;
	__u32 status;
} __packed;

static_assert(sizeof(struct vmbus_msg_modify_channel_response) == 16);

/* The monitor page: 4 groups of 32 monitor ids. */
#define VMBUS_MONITOR_GROUPS		4
#define VMBUS_MONITOR_IDS_PER_GROUP	32

struct vmbus_monitor_trigger_group {
	__u32 pending;
	__u32 armed;
} __packed;

struct vmbus_monitor_parameter {
	__u32 connection_id;
	__u16 flag_number;
	__u16 reserved;
} __packed;

struct vmbus_monitor_page {
	__u32 trigger_state;
	__u32 reserved1;
	struct vmbus_monitor_trigger_group trigger_group[VMBUS_MONITOR_GROUPS];
	__u8 reserved2[24];
	__s32 next_check_time[VMBUS_MONITOR_GROUPS][VMBUS_MONITOR_IDS_PER_GROUP];
	__u16 latency[VMBUS_MONITOR_GROUPS][VMBUS_MONITOR_IDS_PER_GROUP];
	__u8 reserved3[256];
	struct vmbus_monitor_parameter
		parameter[VMBUS_MONITOR_GROUPS][VMBUS_MONITOR_IDS_PER_GROUP];
	__u8 reserved4[1984];
} __packed;

static_assert(sizeof(struct vmbus_monitor_page) == HV_WIRE_PAGE_SIZE);
static_assert(offsetof(struct vmbus_monitor_page, trigger_group) == 8);
static_assert(offsetof(struct vmbus_monitor_page, next_check_time) == 64);
static_assert(offsetof(struct vmbus_monitor_page, latency) == 576);
static_assert(offsetof(struct vmbus_monitor_page, parameter) == 1088);

/* Device classes (offer if_type). */
#define VMBUS_CLASS_NETWORK						\
	GUID_INIT(0xf8615163, 0xdf3e, 0x46c5,		\
		  0x91, 0x3f, 0xf2, 0xd2, 0xf9, 0x65, 0xed, 0x0e)
#define VMBUS_CLASS_SCSI						\
	GUID_INIT(0xba6163d9, 0x04a1, 0x4d29,		\
		  0xb6, 0x05, 0x72, 0xe2, 0xff, 0xb1, 0xdc, 0x7f)
#define VMBUS_CLASS_IDE							\
	GUID_INIT(0x32412632, 0x86cb, 0x44a2,		\
		  0x9b, 0x5c, 0x50, 0xd1, 0x41, 0x73, 0x54, 0xf5)
/*
 * The echo class is this project's own, for testing only: a host device
 * that sends every packet it receives straight back. No Hyper-V host offers
 * it.
 */
#define VMBUS_CLASS_TEST_ECHO						\
	GUID_INIT(0x6c1b6d0e, 0x4e1a, 0x4c8f,		\
		  0x9a, 0x51, 0x68, 0x76, 0x68, 0x6f, 0x73, 0x74)

#endif /* _HYPERV_VMBUS_MSG_H */
