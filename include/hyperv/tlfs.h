/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Hyper-V Top Level Functional Specification: the parts VMBus uses.
 * Hypercall codes and status values, the SynIC message and event-flags
 * pages, and the HvPostMessage / HvSignalEvent inputs.
 *
 * The names carry an HV_TLFS_ prefix so that they never collide with the
 * kernel's own asm/hyperv-tlfs.h, which the Hyper-V backend also includes.
 */
#ifndef _HYPERV_TLFS_H
#define _HYPERV_TLFS_H

#include "wire.h"

/* Synthetic MSRs (x86). */
#define HV_TLFS_MSR_GUEST_OS_ID		0x40000000
#define HV_TLFS_MSR_HYPERCALL		0x40000001
#define HV_TLFS_MSR_VP_INDEX		0x40000002
#define HV_TLFS_MSR_SCONTROL		0x40000080
#define HV_TLFS_MSR_SVERSION		0x40000081
#define HV_TLFS_MSR_SIEFP		0x40000082
#define HV_TLFS_MSR_SIMP		0x40000083
#define HV_TLFS_MSR_EOM			0x40000084
#define HV_TLFS_MSR_SINT0		0x40000090

/* SIMP / SIEFP: bit 0 enables, bits 12..63 hold the page frame number. */
#define HV_TLFS_PAGE_ENABLE		_BITULL(0)
#define HV_TLFS_SCONTROL_ENABLE		_BITULL(0)

/* SINTx register. */
#define HV_TLFS_SINT_VECTOR_MASK	0xffULL
#define HV_TLFS_SINT_MASKED		_BITULL(16)
#define HV_TLFS_SINT_AUTO_EOI		_BITULL(17)

/* CPUID 0x40000004 EAX: the guest should EOI the APIC itself. */
#define HV_TLFS_HINT_DEPRECATING_AEOI	_BITUL(9)

/* Hypercall call codes and the input value's fast bit. */
#define HV_TLFS_CALL_POST_MESSAGE	0x005c
#define HV_TLFS_CALL_SIGNAL_EVENT	0x005d
#define HV_TLFS_CALL_FAST		_BITULL(16)

/* Hypercall status, bits 0..15 of the result value. */
#define HV_TLFS_STATUS_MASK			0xffff
#define HV_TLFS_STATUS_SUCCESS			0
#define HV_TLFS_STATUS_INVALID_HYPERCALL_CODE	2
#define HV_TLFS_STATUS_INVALID_HYPERCALL_INPUT	3
#define HV_TLFS_STATUS_INVALID_ALIGNMENT	4
#define HV_TLFS_STATUS_INVALID_PARAMETER	5
#define HV_TLFS_STATUS_ACCESS_DENIED		6
#define HV_TLFS_STATUS_INSUFFICIENT_MEMORY	11
#define HV_TLFS_STATUS_INVALID_PORT_ID		17
#define HV_TLFS_STATUS_INVALID_CONNECTION_ID	18
#define HV_TLFS_STATUS_INSUFFICIENT_BUFFERS	19
#define HV_TLFS_STATUS_TIME_OUT			120

/* Synthetic interrupt sources. */
#define HV_TLFS_SINT_COUNT		16
#define HV_TLFS_MESSAGE_SIZE		256
#define HV_TLFS_MESSAGE_PAYLOAD_SIZE	240

/* Message types in a SynIC slot. */
#define HV_TLFS_MSG_NONE		0x00000000
#define HV_TLFS_MSG_VMBUS		0x00000001
#define HV_TLFS_MSG_TIMER_EXPIRED	0x80000010

/* hv_tlfs_message.flags */
#define HV_TLFS_MSG_FLAG_PENDING	0x01

/**
 * struct hv_tlfs_message - one 256-byte slot of the SynIC message page
 * @type: HV_TLFS_MSG_*; 0 means the slot is free
 * @payload_size: valid bytes in @payload (at most 240)
 * @flags: HV_TLFS_MSG_FLAG_PENDING when the host has more queued
 * @reserved: zero
 * @sender: partition or port id; unused by VMBus
 * @payload: the message itself
 */
struct hv_tlfs_message {
	__u32 type;
	__u8 payload_size;
	__u8 flags;
	__u16 reserved;
	__u64 sender;
	__u8 payload[HV_TLFS_MESSAGE_PAYLOAD_SIZE];
} __packed;

static_assert(sizeof(struct hv_tlfs_message) == HV_TLFS_MESSAGE_SIZE);
static_assert(offsetof(struct hv_tlfs_message, payload_size) == 4);
static_assert(offsetof(struct hv_tlfs_message, flags) == 5);
static_assert(offsetof(struct hv_tlfs_message, sender) == 8);
static_assert(offsetof(struct hv_tlfs_message, payload) == 16);

/* The SynIC message page: one slot per SINT. */
struct hv_tlfs_message_page {
	struct hv_tlfs_message slot[HV_TLFS_SINT_COUNT];
} __packed;

static_assert(sizeof(struct hv_tlfs_message_page) == HV_WIRE_PAGE_SIZE);

/* The SynIC event-flags page: 2048 flag bits per SINT. */
#define HV_TLFS_EVENT_FLAGS_BYTES	256
#define HV_TLFS_EVENT_FLAGS_BITS	(HV_TLFS_EVENT_FLAGS_BYTES * 8)

struct hv_tlfs_event_flags_page {
	__u8 sint[HV_TLFS_SINT_COUNT][HV_TLFS_EVENT_FLAGS_BYTES];
} __packed;

static_assert(sizeof(struct hv_tlfs_event_flags_page) == HV_WIRE_PAGE_SIZE);

/**
 * struct hv_tlfs_post_message_input - input block of HvPostMessage
 * @connection_id: bits 0..23 name the connection
 * @reserved: zero
 * @message_type: non-zero with bit 31 clear; VMBus uses 1
 * @payload_size: 0..240
 * @payload: the message
 */
struct hv_tlfs_post_message_input {
	__u32 connection_id;
	__u32 reserved;
	__u32 message_type;
	__u32 payload_size;
	__u8 payload[HV_TLFS_MESSAGE_PAYLOAD_SIZE];
} __packed;

static_assert(sizeof(struct hv_tlfs_post_message_input) == 256);
static_assert(offsetof(struct hv_tlfs_post_message_input, message_type) == 8);
static_assert(offsetof(struct hv_tlfs_post_message_input, payload_size) == 12);
static_assert(offsetof(struct hv_tlfs_post_message_input, payload) == 16);

#define HV_TLFS_CONNECTION_ID_MASK	0x00ffffffU

/* HvSignalEvent fast input: connection id in bits 0..31, flag in 32..47. */
#define HV_TLFS_SIGNAL_FLAG_SHIFT	32

/*
 * GUEST_OS_ID, open-source form: bit 63 set, OS type 1 (Linux) in bits
 * 56..62, the kernel version in bits 16..47.
 */
#define HV_TLFS_GUEST_OS_ID_LINUX(version_code)				\
	((0x81ULL << 56) | ((__u64)(version_code) << 16))

#endif /* _HYPERV_TLFS_H */
