/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * NVSP: the protocol of the synthetic NIC's VMBus channel. Every message
 * starts with a u32 message type; the guest sends them as inband packets,
 * the host answers in the payload of completion packets, and received
 * frames come as transfer-page packets that point into the receive buffer.
 * The RNDIS messages they carry are in rndis.h.
 */
#ifndef _HYPERV_NVSP_H
#define _HYPERV_NVSP_H

#include "wire.h"

/* Protocol versions: major << 16 | minor. */
#define NVSP_VERSION(major, minor)	(((major) << 16) | (minor))
#define NVSP_VERSION_1			NVSP_VERSION(0, 2)
#define NVSP_VERSION_2			NVSP_VERSION(3, 2)
#define NVSP_VERSION_4			NVSP_VERSION(4, 0)
#define NVSP_VERSION_5			NVSP_VERSION(5, 0)
#define NVSP_VERSION_6			NVSP_VERSION(6, 0)
#define NVSP_VERSION_61			NVSP_VERSION(6, 1)
#define NVSP_VERSION_INVALID		0xffffffff

enum nvsp_msg_type {
	NVSP_MSG_INIT				= 1,
	NVSP_MSG_INIT_COMPLETE			= 2,
	NVSP_MSG1_SEND_NDIS_VER			= 100,
	NVSP_MSG1_SEND_RECV_BUF			= 101,
	NVSP_MSG1_SEND_RECV_BUF_COMPLETE	= 102,
	NVSP_MSG1_REVOKE_RECV_BUF		= 103,
	NVSP_MSG1_SEND_SEND_BUF			= 104,
	NVSP_MSG1_SEND_SEND_BUF_COMPLETE	= 105,
	NVSP_MSG1_REVOKE_SEND_BUF		= 106,
	NVSP_MSG1_SEND_RNDIS_PKT		= 107,
	NVSP_MSG1_SEND_RNDIS_PKT_COMPLETE	= 108,
	NVSP_MSG2_SEND_NDIS_CONFIG		= 125,
	NVSP_MSG4_SEND_VF_ASSOCIATION		= 128,
	NVSP_MSG4_SWITCH_DATA_PATH		= 129,
	NVSP_MSG5_OID_QUERY_EX			= 131,
	NVSP_MSG5_OID_QUERY_EX_COMPLETE		= 132,
	NVSP_MSG5_SUBCHANNEL			= 133,
	NVSP_MSG5_SEND_INDIRECTION_TABLE	= 134,
};

enum nvsp_status {
	NVSP_STAT_NONE			= 0,
	NVSP_STAT_SUCCESS		= 1,
	NVSP_STAT_FAIL			= 2,
	NVSP_STAT_PROTOCOL_TOO_NEW	= 3,
	NVSP_STAT_PROTOCOL_TOO_OLD	= 4,
	NVSP_STAT_INVALID_RNDIS_PKT	= 5,
	NVSP_STAT_BUSY			= 6,
	NVSP_STAT_PROTOCOL_UNSUPPORTED	= 7,
};

/*
 * Message sizes. A Linux guest sends every message as NVSP_MSG_SIZE bytes;
 * OpenVMM answers with 28-byte messages before 6.1 and 40-byte ones from
 * 6.1, so a receiver must accept anything that covers the fields it reads.
 */
#define NVSP_MSG_SIZE_V1		28
#define NVSP_MSG_SIZE			40

/* Buffer ids a Linux guest uses; the host echoes the receive one. */
#define NVSP_RECV_BUF_ID		0xcafe
#define NVSP_SEND_BUF_ID		0

/* SEND_RNDIS_PKT.channel_type */
#define NVSP_RNDIS_CHANNEL_DATA		0
#define NVSP_RNDIS_CHANNEL_CONTROL	1

/* SEND_RNDIS_PKT.send_buf_section_index when the message is not there. */
#define NVSP_NO_SECTION			0xffffffff

/* Most transfer-page ranges one receive packet may carry (RSC). */
#define NVSP_RSC_MAX			562

/* SEND_NDIS_CONFIG.capability */
#define NVSP_CAP_VMQ			_BITULL(0)
#define NVSP_CAP_CHIMNEY		_BITULL(1)
#define NVSP_CAP_SRIOV			_BITULL(2)
#define NVSP_CAP_IEEE8021Q		_BITULL(3)
#define NVSP_CAP_CORRELATION_ID		_BITULL(4)
#define NVSP_CAP_TEAMING		_BITULL(5)
#define NVSP_CAP_VSUBNET_ID		_BITULL(6)
#define NVSP_CAP_RSC			_BITULL(7)

/* SUBCHANNEL.op */
#define NVSP_SUBCHANNEL_ALLOCATE	1

/* Entries of the host's send indirection table. */
#define NVSP_SEND_INDIRECTION_ENTRIES	16

/* INIT: the guest proposes one version (the same in both fields). */
struct nvsp_init {
	__u32 msg_type;
	__u32 min_protocol_ver;
	__u32 max_protocol_ver;
} __packed;

static_assert(sizeof(struct nvsp_init) == 12);

/* INIT_COMPLETE: @status NVSP_STAT_SUCCESS if the version is supported. */
struct nvsp_init_complete {
	__u32 msg_type;
	__u32 negotiated_protocol_ver;
	__u32 max_mdl_chain_len;
	__u32 status;
} __packed;

static_assert(sizeof(struct nvsp_init_complete) == 16);
static_assert(offsetof(struct nvsp_init_complete, max_mdl_chain_len) == 8);
static_assert(offsetof(struct nvsp_init_complete, status) == 12);

struct nvsp_send_ndis_ver {
	__u32 msg_type;
	__u32 ndis_major_ver;
	__u32 ndis_minor_ver;
} __packed;

static_assert(sizeof(struct nvsp_send_ndis_ver) == 12);

/* SEND_RECV_BUF and SEND_SEND_BUF: hand a GPADL to the host. */
struct nvsp_send_buf {
	__u32 msg_type;
	__u32 gpadl_handle;
	__u16 id;
	__u16 pad;
} __packed;

static_assert(sizeof(struct nvsp_send_buf) == 12);
static_assert(offsetof(struct nvsp_send_buf, id) == 8);

/**
 * struct nvsp_recv_buf_section - how the host carves the receive buffer
 * @offset: byte offset of the section in the buffer
 * @sub_alloc_size: bytes of each receive slot
 * @num_sub_allocs: slots in the section
 * @end_offset: @offset + @sub_alloc_size * @num_sub_allocs
 */
struct nvsp_recv_buf_section {
	__u32 offset;
	__u32 sub_alloc_size;
	__u32 num_sub_allocs;
	__u32 end_offset;
} __packed;

static_assert(sizeof(struct nvsp_recv_buf_section) == 16);

/* SEND_RECV_BUF_COMPLETE: a Linux guest requires exactly one section. */
struct nvsp_send_recv_buf_complete {
	__u32 msg_type;
	__u32 status;
	__u32 num_sections;
	struct nvsp_recv_buf_section section;
} __packed;

static_assert(sizeof(struct nvsp_send_recv_buf_complete) == 28);
static_assert(offsetof(struct nvsp_send_recv_buf_complete, num_sections) == 8);
static_assert(offsetof(struct nvsp_send_recv_buf_complete, section) == 12);
static_assert(offsetof(struct nvsp_send_recv_buf_complete,
		       section.end_offset) == 24);

/* SEND_SEND_BUF_COMPLETE: the send buffer is cut into @section_size bytes. */
struct nvsp_send_send_buf_complete {
	__u32 msg_type;
	__u32 status;
	__u32 section_size;
} __packed;

static_assert(sizeof(struct nvsp_send_send_buf_complete) == 12);

/* REVOKE_RECV_BUF and REVOKE_SEND_BUF */
struct nvsp_revoke_buf {
	__u32 msg_type;
	__u16 id;
} __packed;

static_assert(sizeof(struct nvsp_revoke_buf) == 6);

/**
 * struct nvsp_rndis_pkt - SEND_RNDIS_PKT, one or more RNDIS messages
 * @msg_type: NVSP_MSG1_SEND_RNDIS_PKT
 * @channel_type: NVSP_RNDIS_CHANNEL_DATA or _CONTROL
 * @send_buf_section_index: the send-buffer section holding the messages,
 *	or NVSP_NO_SECTION when they travel as GPA ranges or transfer pages
 * @send_buf_section_size: bytes used in that section, 0 without one
 */
struct nvsp_rndis_pkt {
	__u32 msg_type;
	__u32 channel_type;
	__u32 send_buf_section_index;
	__u32 send_buf_section_size;
} __packed;

static_assert(sizeof(struct nvsp_rndis_pkt) == 16);
static_assert(offsetof(struct nvsp_rndis_pkt, send_buf_section_index) == 8);

/* SEND_RNDIS_PKT_COMPLETE: @status NVSP_STAT_SUCCESS or _FAIL. */
struct nvsp_rndis_pkt_complete {
	__u32 msg_type;
	__u32 status;
} __packed;

static_assert(sizeof(struct nvsp_rndis_pkt_complete) == 8);

/* SEND_NDIS_CONFIG (v2): @mtu includes the 14-byte Ethernet header. */
struct nvsp_send_ndis_config {
	__u32 msg_type;
	__u32 mtu;
	__u32 reserved;
	__u64 capability;
} __packed;

static_assert(sizeof(struct nvsp_send_ndis_config) == 20);
static_assert(offsetof(struct nvsp_send_ndis_config, capability) == 12);

/* SUBCHANNEL request (v5): allocate @num_subchannels more channels. */
struct nvsp_subchannel_req {
	__u32 msg_type;
	__u32 op;
	__u32 num_subchannels;
} __packed;

static_assert(sizeof(struct nvsp_subchannel_req) == 12);

/* SUBCHANNEL completion: @num_subchannels is what the host allocated. */
struct nvsp_subchannel_complete {
	__u32 msg_type;
	__u32 status;
	__u32 num_subchannels;
} __packed;

static_assert(sizeof(struct nvsp_subchannel_complete) == 12);

/**
 * struct nvsp_send_indirection_table - SEND_INDIRECTION_TABLE (v5)
 * @msg_type: NVSP_MSG5_SEND_INDIRECTION_TABLE
 * @count: entries, NVSP_SEND_INDIRECTION_ENTRIES
 * @offset: byte offset of the u32[@count] table from the start of this
 *	message (OpenVMM: 12, right after this header); each entry is the
 *	channel index for one TX hash bucket
 */
struct nvsp_send_indirection_table {
	__u32 msg_type;
	__u32 count;
	__u32 offset;
} __packed;

static_assert(sizeof(struct nvsp_send_indirection_table) == 12);

/**
 * union nvsp_msg - any NVSP message, as a guest sends it
 * @msg_type: enum nvsp_msg_type
 * @init: INIT
 * @init_complete: INIT_COMPLETE
 * @ndis_ver: SEND_NDIS_VER
 * @send_buf: SEND_RECV_BUF, SEND_SEND_BUF
 * @recv_buf_complete: SEND_RECV_BUF_COMPLETE
 * @send_buf_complete: SEND_SEND_BUF_COMPLETE
 * @revoke_buf: REVOKE_RECV_BUF, REVOKE_SEND_BUF
 * @rndis_pkt: SEND_RNDIS_PKT
 * @rndis_pkt_complete: SEND_RNDIS_PKT_COMPLETE
 * @ndis_config: SEND_NDIS_CONFIG
 * @subchannel_req: SUBCHANNEL request
 * @subchannel_complete: SUBCHANNEL completion
 * @indirection_table: SEND_INDIRECTION_TABLE
 * @bytes: the message as NVSP_MSG_SIZE bytes
 */
union nvsp_msg {
	__u32 msg_type;
	struct nvsp_init init;
	struct nvsp_init_complete init_complete;
	struct nvsp_send_ndis_ver ndis_ver;
	struct nvsp_send_buf send_buf;
	struct nvsp_send_recv_buf_complete recv_buf_complete;
	struct nvsp_send_send_buf_complete send_buf_complete;
	struct nvsp_revoke_buf revoke_buf;
	struct nvsp_rndis_pkt rndis_pkt;
	struct nvsp_rndis_pkt_complete rndis_pkt_complete;
	struct nvsp_send_ndis_config ndis_config;
	struct nvsp_subchannel_req subchannel_req;
	struct nvsp_subchannel_complete subchannel_complete;
	struct nvsp_send_indirection_table indirection_table;
	__u8 bytes[NVSP_MSG_SIZE];
} __packed;

static_assert(sizeof(union nvsp_msg) == NVSP_MSG_SIZE);

#endif /* _HYPERV_NVSP_H */
