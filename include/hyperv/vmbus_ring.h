/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * VMBus ring buffers: the control page, the packet descriptor and the
 * extended headers of transfer-page and GPA-direct packets.
 */
#ifndef _HYPERV_VMBUS_RING_H
#define _HYPERV_VMBUS_RING_H

#include "vmbus_msg.h"

/* feature_bits: the writer of this ring honours pending_send_sz. */
#define VMBUS_RING_FEAT_PENDING_SEND_SZ	0x1

/**
 * struct vmbus_ring_control - the 4 KiB page in front of each ring's data
 * @write_index: where the writer puts its next packet (byte offset)
 * @read_index: the next byte the reader has not consumed
 * @interrupt_mask: set by the reader: do not signal me
 * @pending_send_sz: set by a blocked writer: signal me once this many
 *	bytes are free
 * @reserved1: zero
 * @feature_bits: VMBUS_RING_FEAT_*
 * @reserved2: pads the control area to one page
 */
struct vmbus_ring_control {
	__u32 write_index;
	__u32 read_index;
	__u32 interrupt_mask;
	__u32 pending_send_sz;
	__u32 reserved1[12];
	__u32 feature_bits;
	__u8 reserved2[4028];
} __packed;

static_assert(sizeof(struct vmbus_ring_control) == HV_WIRE_PAGE_SIZE);
static_assert(offsetof(struct vmbus_ring_control, interrupt_mask) == 8);
static_assert(offsetof(struct vmbus_ring_control, pending_send_sz) == 12);
static_assert(offsetof(struct vmbus_ring_control, feature_bits) == 64);

/* Packet types. */
enum vmbus_packet_type {
	VMBUS_PKT_INVALID		= 0x0,
	VMBUS_PKT_DATA_INBAND		= 0x6,
	VMBUS_PKT_DATA_USING_XFER_PAGES	= 0x7,
	VMBUS_PKT_DATA_USING_GPA_DIRECT	= 0x9,
	VMBUS_PKT_COMP			= 0xb,
};

#define VMBUS_PKT_FLAG_COMPLETION_REQUESTED	0x1

/**
 * struct vmbus_packet_desc - the first 16 bytes of every ring packet
 * @type: enum vmbus_packet_type
 * @offset8: bytes before the payload (descriptor + extended header) / 8
 * @len8: packet length without the trailer / 8
 * @flags: VMBUS_PKT_FLAG_*
 * @trans_id: transaction id, copied into the completion
 */
struct vmbus_packet_desc {
	__u16 type;
	__u16 offset8;
	__u16 len8;
	__u16 flags;
	__u64 trans_id;
} __packed;

static_assert(sizeof(struct vmbus_packet_desc) == 16);

/* Each packet is followed by this: the write index it started at << 32. */
#define VMBUS_PKT_TRAILER_SIZE		sizeof(__u64)
#define VMBUS_PKT_ALIGN			8

/* A transfer-page range. */
struct vmbus_xfer_page_range {
	__u32 byte_count;
	__u32 byte_offset;
} __packed;

/* DATA_USING_XFER_PAGES (7) header. */
struct vmbus_xfer_page_header {
	struct vmbus_packet_desc desc;
	__u16 xfer_pageset_id;
	__u8 sender_owns_set;
	__u8 reserved;
	__u32 range_cnt;
	struct vmbus_xfer_page_range ranges[];
} __packed;

static_assert(sizeof(struct vmbus_xfer_page_header) == 24);

/* DATA_USING_GPA_DIRECT (9) header; the GPA ranges follow. */
struct vmbus_gpa_direct_header {
	struct vmbus_packet_desc desc;
	__u32 reserved;
	__u32 range_cnt;
	/* The ranges follow, each a struct vmbus_gpa_range and its PFNs. */
	__u8 ranges[];
} __packed;

static_assert(sizeof(struct vmbus_gpa_direct_header) == 24);

#endif /* _HYPERV_VMBUS_RING_H */
