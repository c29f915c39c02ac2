/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * VSTOR: the storage protocol of the synthetic SCSI and IDE controllers.
 * Requests and completions are vstor_packets carried in VMBus packets;
 * EXECUTE_SRB wraps a SCSI request block.
 */
#ifndef _HYPERV_VSTOR_H
#define _HYPERV_VSTOR_H

#include "wire.h"

/* Protocol versions: major << 8 | minor. */
#define VSTOR_VERSION(major, minor)	(((major) << 8) | (minor))
#define VSTOR_VERSION_WIN8		VSTOR_VERSION(5, 1)
#define VSTOR_VERSION_WIN8_1		VSTOR_VERSION(6, 0)
#define VSTOR_VERSION_WIN10		VSTOR_VERSION(6, 2)

enum vstor_operation {
	VSTOR_OP_COMPLETE_IO		= 1,
	VSTOR_OP_REMOVE_DEVICE		= 2,
	VSTOR_OP_EXECUTE_SRB		= 3,
	VSTOR_OP_RESET_LUN		= 4,
	VSTOR_OP_RESET_ADAPTER		= 5,
	VSTOR_OP_RESET_BUS		= 6,
	VSTOR_OP_BEGIN_INITIALIZATION	= 7,
	VSTOR_OP_END_INITIALIZATION	= 8,
	VSTOR_OP_QUERY_PROTOCOL_VERSION	= 9,
	VSTOR_OP_QUERY_PROPERTIES	= 10,
	VSTOR_OP_ENUMERATE_BUS		= 11,
	VSTOR_OP_FCHBA_DATA		= 12,
	VSTOR_OP_CREATE_SUB_CHANNELS	= 13,
};

/* vstor_packet.flags */
#define VSTOR_FLAG_REQUEST_COMPLETION	0x1

/*
 * NTSTATUS values in vstor_packet.status. Every completion carries one:
 * of the handshake and control operations, and of every SRB, where the
 * host derives it from the SRB status (0 only for SRB SUCCESS). The
 * 0x8... values are warnings, the 0xC... values errors.
 */
#define VSTOR_STATUS_SUCCESS		0x00000000
#define VSTOR_STATUS_BUFFER_OVERFLOW	0x80000005
#define VSTOR_STATUS_DEVICE_BUSY	0x80000011
#define VSTOR_STATUS_UNSUCCESSFUL	0xc0000001
#define VSTOR_STATUS_INVALID_PARAMETER	0xc000000d
#define VSTOR_STATUS_INVALID_DEVICE_REQUEST 0xc0000010
#define VSTOR_STATUS_REVISION_MISMATCH	0xc0000059
#define VSTOR_STATUS_DEVICE_NOT_CONNECTED 0xc000009d
#define VSTOR_STATUS_IO_TIMEOUT		0xc00000b5
#define VSTOR_STATUS_DEVICE_DOES_NOT_EXIST 0xc00000c0
#define VSTOR_STATUS_CANCELLED		0xc0000120
#define VSTOR_STATUS_INVALID_DEVICE_STATE 0xc0000184
#define VSTOR_STATUS_IO_DEVICE_ERROR	0xc0000185

#define VSTOR_CDB_SIZE			16
#define VSTOR_SRB_SENSE_SIZE		20	/* 0x14, >= 5.1 */
#define VSTOR_SRB_DATA_SIZE		20	/* the CDB / sense union */

/* vmscsi_request.data_in */
#define VSTOR_SRB_WRITE			0
#define VSTOR_SRB_READ			1
#define VSTOR_SRB_UNKNOWN		2

/* vmscsi_request.srb_status: a code in bits 0..5 and two flags. */
#define VSTOR_SRB_STATUS_CODE(s)	((s) & 0x3f)
#define VSTOR_SRB_STATUS_QUEUE_FROZEN	0x40
#define VSTOR_SRB_STATUS_AUTOSENSE_VALID 0x80
#define VSTOR_SRB_SUCCESS		0x01
#define VSTOR_SRB_ABORTED		0x02
#define VSTOR_SRB_ERROR			0x04
#define VSTOR_SRB_BUSY			0x05
#define VSTOR_SRB_INVALID_REQUEST	0x06
#define VSTOR_SRB_INVALID_PATH_ID	0x07
#define VSTOR_SRB_NO_DEVICE		0x08
#define VSTOR_SRB_TIMEOUT		0x09
#define VSTOR_SRB_SELECTION_TIMEOUT	0x0a
#define VSTOR_SRB_COMMAND_TIMEOUT	0x0b
#define VSTOR_SRB_BUS_RESET		0x0e
#define VSTOR_SRB_NO_HBA		0x11
#define VSTOR_SRB_DATA_OVERRUN		0x12
#define VSTOR_SRB_BAD_SRB_BLOCK_LENGTH	0x15
#define VSTOR_SRB_REQUEST_FLUSHED	0x16
#define VSTOR_SRB_INVALID_LUN		0x20
#define VSTOR_SRB_INVALID_TARGET_ID	0x21
#define VSTOR_SRB_BAD_FUNCTION		0x22
#define VSTOR_SRB_INTERNAL_ERROR	0x30

/* vmscsi_request.queue_tag and queue_action: untagged, simple queueing. */
#define VSTOR_SRB_NO_QUEUE_TAG		0xff
#define VSTOR_SRB_SIMPLE_TAG_REQUEST	0x20

/* vmscsi_request.srb_flags */
#define VSTOR_SRB_FLAG_QUEUE_ACTION_ENABLE	0x00000002
#define VSTOR_SRB_FLAG_DISABLE_SYNCH_TRANSFER	0x00000008
#define VSTOR_SRB_FLAG_DATA_IN			0x00000040
#define VSTOR_SRB_FLAG_DATA_OUT			0x00000080
/* With QUEUE_ACTION_ENABLE: an error does not freeze the LUN's queue. */
#define VSTOR_SRB_FLAG_NO_QUEUE_FREEZE		0x00000100
#define VSTOR_SRB_FLAG_NO_DATA_TRANSFER		0x00000000

/**
 * struct vstor_srb - vmscsi_request, the body of EXECUTE_SRB (5.1 layout)
 * @length: sizeof(struct vstor_srb)
 * @srb_status: host: VSTOR_SRB_* code and flags
 * @scsi_status: host: the SCSI status byte
 * @port_number: the guest's SCSI host number (reserved to the host)
 * @path_id: SCSI channel
 * @target_id: SCSI target
 * @lun: SCSI LUN
 * @cdb_length: valid bytes of @data.cdb
 * @sense_info_length: guest: sense buffer size; host: valid sense bytes
 * @data_in: VSTOR_SRB_WRITE, _READ or _UNKNOWN (no data)
 * @reserved: zero
 * @data_transfer_length: guest: bytes described; host: bytes moved
 * @data: the CDB in a request, sense data in a completion
 * @reserve: zero
 * @queue_tag: 0xff
 * @queue_action: 0x20, simple tag (used with QUEUE_ACTION_ENABLE)
 * @srb_flags: VSTOR_SRB_FLAG_*
 * @time_out_value: seconds
 * @queue_sort_key: zero
 */
struct vstor_srb {
	__u16 length;
	__u8 srb_status;
	__u8 scsi_status;
	__u8 port_number;
	__u8 path_id;
	__u8 target_id;
	__u8 lun;
	__u8 cdb_length;
	__u8 sense_info_length;
	__u8 data_in;
	__u8 reserved;
	__u32 data_transfer_length;
	union {
		__u8 cdb[VSTOR_SRB_DATA_SIZE];
		__u8 sense_data[VSTOR_SRB_SENSE_SIZE];
	} data;
	__u16 reserve;
	__u8 queue_tag;
	__u8 queue_action;
	__u32 srb_flags;
	__u32 time_out_value;
	__u32 queue_sort_key;
} __packed;

static_assert(sizeof(struct vstor_srb) == 0x34);
static_assert(offsetof(struct vstor_srb, data_transfer_length) == 12);
static_assert(offsetof(struct vstor_srb, data) == 16);
static_assert(offsetof(struct vstor_srb, queue_tag) == 38);
static_assert(offsetof(struct vstor_srb, srb_flags) == 40);

/* QUERY_PROTOCOL_VERSION body. */
struct vstor_protocol_version {
	__u16 major_minor;
	__u16 revision;
} __packed;

/* QUERY_PROPERTIES reply body. */
#define VSTOR_PROPERTY_MULTI_CHANNEL	0x1

struct vstor_channel_properties {
	__u32 reserved;
	__u16 max_channel_cnt;
	__u16 reserved1;
	__u32 flags;
	__u32 max_transfer_bytes;
	__u64 reserved2;
} __packed;

static_assert(sizeof(struct vstor_channel_properties) == 24);

#define VSTOR_PACKET_BODY_SIZE		0x34

/**
 * struct vstor_packet - every VSTOR request and completion
 * @operation: enum vstor_operation
 * @flags: VSTOR_FLAG_*
 * @status: host: VSTOR_STATUS_*; in an SRB completion, an NT status the
 *	host derives from the SRB status (informational only)
 * @srb: EXECUTE_SRB / COMPLETE_IO of an SRB
 * @version: QUERY_PROTOCOL_VERSION
 * @properties: QUERY_PROPERTIES reply
 * @sub_channel_count: CREATE_SUB_CHANNELS
 * @body: the union as bytes
 */
struct vstor_packet {
	__u32 operation;
	__u32 flags;
	__u32 status;
	union {
		struct vstor_srb srb;
		struct vstor_protocol_version version;
		struct vstor_channel_properties properties;
		__u16 sub_channel_count;
		__u8 body[VSTOR_PACKET_BODY_SIZE];
	};
} __packed;

static_assert(sizeof(struct vstor_packet) == 0x40);
static_assert(offsetof(struct vstor_packet, srb) == 12);
static_assert(offsetof(struct vstor_packet, properties.max_channel_cnt) == 16);
static_assert(offsetof(struct vstor_packet, properties.flags) == 20);
static_assert(offsetof(struct vstor_packet, properties.max_transfer_bytes) == 24);

/*
 * The instance GUID of an IDE ("IDE accelerator") offer says where the
 * disk sits (reference §7.8): Data1 the IDE channel, Data2 the device on
 * it, Data3 0x8899, Data4 zero. Compare the offer's GUID with this layout
 * before trusting the location.
 */
#define VSTOR_IDE_INSTANCE_MAGIC	0x8899
#define VSTOR_IDE_CHANNELS		2
#define VSTOR_IDE_DEVICES		2

/**
 * struct vstor_ide_instance - the instance GUID of an IDE offer, decoded
 * @channel: IDE channel (controller) 0 or 1; the SRB path_id
 * @device: device 0 or 1 on it; the SRB target_id
 * @magic: VSTOR_IDE_INSTANCE_MAGIC
 * @zero: all zero
 */
struct vstor_ide_instance {
	__u32 channel;
	__u16 device;
	__u16 magic;
	__u8 zero[8];
} __packed;

static_assert(sizeof(struct vstor_ide_instance) == 16);
static_assert(offsetof(struct vstor_ide_instance, device) == 4);
static_assert(offsetof(struct vstor_ide_instance, magic) == 6);

#endif /* _HYPERV_VSTOR_H */
