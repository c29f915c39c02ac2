/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * RNDIS as the synthetic NIC speaks it over NVSP: control messages
 * (INITIALIZE, QUERY, SET, ...), data messages (PACKET with per-packet
 * info), the OIDs a guest uses and the NDIS 6 structures some OIDs carry.
 * Every message starts with struct rndis_msg_hdr; offsets inside a message
 * body count from its byte 8, the end of that header.
 */
#ifndef _HYPERV_RNDIS_H
#define _HYPERV_RNDIS_H

#include "wire.h"

/* Message types; a completion is its request's type | RNDIS_MSG_CMPLT. */
#define RNDIS_MSG_PACKET		0x00000001
#define RNDIS_MSG_INIT			0x00000002
#define RNDIS_MSG_HALT			0x00000003
#define RNDIS_MSG_QUERY			0x00000004
#define RNDIS_MSG_SET			0x00000005
#define RNDIS_MSG_RESET			0x00000006
#define RNDIS_MSG_INDICATE		0x00000007
#define RNDIS_MSG_KEEPALIVE		0x00000008
#define RNDIS_MSG_SET_EX		0x00000009
#define RNDIS_MSG_CMPLT			0x80000000
#define RNDIS_MSG_INIT_C		(RNDIS_MSG_INIT | RNDIS_MSG_CMPLT)
#define RNDIS_MSG_QUERY_C		(RNDIS_MSG_QUERY | RNDIS_MSG_CMPLT)
#define RNDIS_MSG_SET_C			(RNDIS_MSG_SET | RNDIS_MSG_CMPLT)
#define RNDIS_MSG_RESET_C		(RNDIS_MSG_RESET | RNDIS_MSG_CMPLT)
#define RNDIS_MSG_KEEPALIVE_C		(RNDIS_MSG_KEEPALIVE | RNDIS_MSG_CMPLT)
#define RNDIS_MSG_SET_EX_C		(RNDIS_MSG_SET_EX | RNDIS_MSG_CMPLT)

#define RNDIS_MAJOR_VERSION		1
#define RNDIS_MINOR_VERSION		0
#define RNDIS_MEDIUM_802_3		0
#define RNDIS_DF_CONNECTIONLESS		0x1
/* INITIALIZE.max_xfer_size a Linux guest asks for. */
#define RNDIS_GUEST_MAX_XFER_SIZE	0x4000

/* RNDIS / NDIS status codes */
#define RNDIS_STATUS_SUCCESS		0x00000000
#define RNDIS_STATUS_PENDING		0x00000103
#define RNDIS_STATUS_NOT_RECOGNIZED	0x00010001
#define RNDIS_STATUS_MEDIA_CONNECT	0x4001000b
#define RNDIS_STATUS_MEDIA_DISCONNECT	0x4001000c
#define RNDIS_STATUS_LINK_SPEED_CHANGE	0x40010013
#define RNDIS_STATUS_NETWORK_CHANGE	0x40010018
#define RNDIS_STATUS_TASK_OFFLOAD_CURRENT_CONFIG 0x40020006
#define RNDIS_STATUS_BUFFER_OVERFLOW	0x80000005
#define RNDIS_STATUS_FAILURE		0xc0000001
#define RNDIS_STATUS_RESOURCES		0xc000009a
#define RNDIS_STATUS_NOT_SUPPORTED	0xc00000bb
#define RNDIS_STATUS_BAD_VERSION	0xc0010004
#define RNDIS_STATUS_INVALID_LENGTH	0xc0010014
#define RNDIS_STATUS_INVALID_DATA	0xc0010015
#define RNDIS_STATUS_INVALID_OID	0xc0010017

/* OIDs */
#define RNDIS_OID_GEN_SUPPORTED_LIST		0x00010101
#define RNDIS_OID_GEN_MAXIMUM_FRAME_SIZE	0x00010106
#define RNDIS_OID_GEN_LINK_SPEED		0x00010107
#define RNDIS_OID_GEN_CURRENT_PACKET_FILTER	0x0001010e
#define RNDIS_OID_GEN_MAXIMUM_TOTAL_SIZE	0x00010111
#define RNDIS_OID_GEN_MEDIA_CONNECT_STATUS	0x00010114
#define RNDIS_OID_GEN_RECEIVE_SCALE_CAPABILITIES 0x00010203
#define RNDIS_OID_GEN_RECEIVE_SCALE_PARAMETERS	0x00010204
#define RNDIS_OID_GEN_RNDIS_CONFIG_PARAMETER	0x0001021b
#define RNDIS_OID_GEN_FRIENDLY_NAME		0x00020216
#define RNDIS_OID_802_3_PERMANENT_ADDRESS	0x01010101
#define RNDIS_OID_802_3_CURRENT_ADDRESS		0x01010102
#define RNDIS_OID_802_3_MULTICAST_LIST		0x01010103
#define RNDIS_OID_802_3_MAXIMUM_LIST_SIZE	0x01010104
#define RNDIS_OID_OFFLOAD_ENCAPSULATION		0x0101010a
#define RNDIS_OID_TCP_OFFLOAD_CURRENT_CONFIG	0xfc01020b
#define RNDIS_OID_TCP_OFFLOAD_PARAMETERS	0xfc01020c
#define RNDIS_OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES 0xfc01020d

/* OID_GEN_MEDIA_CONNECT_STATUS values */
#define RNDIS_MEDIA_STATE_CONNECTED	0
#define RNDIS_MEDIA_STATE_DISCONNECTED	1

/* OID_GEN_CURRENT_PACKET_FILTER bits */
#define NDIS_PACKET_TYPE_DIRECTED	0x00000001
#define NDIS_PACKET_TYPE_MULTICAST	0x00000002
#define NDIS_PACKET_TYPE_ALL_MULTICAST	0x00000004
#define NDIS_PACKET_TYPE_BROADCAST	0x00000008
#define NDIS_PACKET_TYPE_SOURCE_ROUTING	0x00000010
#define NDIS_PACKET_TYPE_PROMISCUOUS	0x00000020
#define NDIS_PACKET_TYPE_SMT		0x00000040
#define NDIS_PACKET_TYPE_ALL_LOCAL	0x00000080
#define NDIS_PACKET_TYPE_GROUP		0x00000100
#define NDIS_PACKET_TYPE_ALL_FUNCTIONAL	0x00000200
#define NDIS_PACKET_TYPE_FUNCTIONAL	0x00000400
#define NDIS_PACKET_TYPE_MAC_FRAME	0x00000800

/* Common header of every RNDIS message; @msg_len counts it too. */
struct rndis_msg_hdr {
	__u32 msg_type;
	__u32 msg_len;
} __packed;

static_assert(sizeof(struct rndis_msg_hdr) == 8);

struct rndis_initialize {
	struct rndis_msg_hdr hdr;
	__u32 req_id;
	__u32 major_ver;
	__u32 minor_ver;
	__u32 max_xfer_size;
} __packed;

static_assert(sizeof(struct rndis_initialize) == 24);

/**
 * struct rndis_initialize_cmplt - the device's answer to INITIALIZE
 * @hdr: RNDIS_MSG_INIT_C
 * @req_id: the request's
 * @status: RNDIS_STATUS_*
 * @major_ver: RNDIS major version
 * @minor_ver: RNDIS minor version
 * @dev_flags: RNDIS_DF_CONNECTIONLESS
 * @medium: RNDIS_MEDIUM_802_3
 * @max_pkt_per_msg: most PACKET messages the device takes in one transfer
 * @max_xfer_size: most bytes the device takes in one transfer
 * @pkt_alignment_factor: messages of a batch start on 1 << this bytes
 * @af_list_offset: unused, 0
 * @af_list_size: unused, 0
 */
struct rndis_initialize_cmplt {
	struct rndis_msg_hdr hdr;
	__u32 req_id;
	__u32 status;
	__u32 major_ver;
	__u32 minor_ver;
	__u32 dev_flags;
	__u32 medium;
	__u32 max_pkt_per_msg;
	__u32 max_xfer_size;
	__u32 pkt_alignment_factor;
	__u32 af_list_offset;
	__u32 af_list_size;
} __packed;

static_assert(sizeof(struct rndis_initialize_cmplt) == 52);
static_assert(offsetof(struct rndis_initialize_cmplt, max_pkt_per_msg) == 32);
static_assert(offsetof(struct rndis_initialize_cmplt,
		       pkt_alignment_factor) == 40);

struct rndis_halt {
	struct rndis_msg_hdr hdr;
	__u32 req_id;
} __packed;

static_assert(sizeof(struct rndis_halt) == 12);

/*
 * QUERY and SET: the information buffer follows the request, at
 * info_buf_offset bytes from byte 8 (RNDIS_REQ_INFO_OFFSET: byte 28).
 */
#define RNDIS_REQ_INFO_OFFSET		20

struct rndis_request {
	struct rndis_msg_hdr hdr;
	__u32 req_id;
	__u32 oid;
	__u32 info_buflen;
	__u32 info_buf_offset;
	__u32 dev_vc_handle;
} __packed;

static_assert(sizeof(struct rndis_request) == 28);
static_assert(offsetof(struct rndis_request, info_buf_offset) ==
	      RNDIS_REQ_INFO_OFFSET);

/* QUERY_CMPLT: the data sits at info_buf_offset from byte 8 (hosts: 16). */
#define RNDIS_QUERY_CMPLT_INFO_OFFSET	16

struct rndis_query_cmplt {
	struct rndis_msg_hdr hdr;
	__u32 req_id;
	__u32 status;
	__u32 info_buflen;
	__u32 info_buf_offset;
} __packed;

static_assert(sizeof(struct rndis_query_cmplt) == 24);

struct rndis_set_cmplt {
	struct rndis_msg_hdr hdr;
	__u32 req_id;
	__u32 status;
} __packed;

static_assert(sizeof(struct rndis_set_cmplt) == 16);

struct rndis_reset {
	struct rndis_msg_hdr hdr;
	__u32 reserved;
} __packed;

static_assert(sizeof(struct rndis_reset) == 12);

struct rndis_reset_cmplt {
	struct rndis_msg_hdr hdr;
	__u32 status;
	__u32 addressing_reset;
} __packed;

static_assert(sizeof(struct rndis_reset_cmplt) == 16);

/* INDICATE_STATUS: a status buffer (if any) at @status_buf_offset from 8. */
struct rndis_indicate_status {
	struct rndis_msg_hdr hdr;
	__u32 status;
	__u32 status_buflen;
	__u32 status_buf_offset;
} __packed;

static_assert(sizeof(struct rndis_indicate_status) == 20);

struct rndis_keepalive {
	struct rndis_msg_hdr hdr;
	__u32 req_id;
} __packed;

static_assert(sizeof(struct rndis_keepalive) == 12);

struct rndis_keepalive_cmplt {
	struct rndis_msg_hdr hdr;
	__u32 req_id;
	__u32 status;
} __packed;

static_assert(sizeof(struct rndis_keepalive_cmplt) == 16);

/**
 * struct rndis_packet - PACKET, one Ethernet frame with its per-packet info
 * @hdr: RNDIS_MSG_PACKET; msg_len covers the frame and the PPIs
 * @data_offset: frame offset from byte 8
 * @data_len: frame bytes
 * @oob_data_offset: unused, 0
 * @oob_data_len: unused, 0
 * @num_oob_data_elements: unused, 0
 * @per_pkt_info_offset: first PPI's offset from byte 8
 * @per_pkt_info_len: bytes of all PPIs
 * @vc_handle: 0
 * @reserved: 0
 */
struct rndis_packet {
	struct rndis_msg_hdr hdr;
	__u32 data_offset;
	__u32 data_len;
	__u32 oob_data_offset;
	__u32 oob_data_len;
	__u32 num_oob_data_elements;
	__u32 per_pkt_info_offset;
	__u32 per_pkt_info_len;
	__u32 vc_handle;
	__u32 reserved;
} __packed;

static_assert(sizeof(struct rndis_packet) == 44);
static_assert(offsetof(struct rndis_packet, per_pkt_info_offset) == 28);
static_assert(offsetof(struct rndis_packet, vc_handle) == 36);

/* Offsets in a message body count from here. */
#define RNDIS_BODY_OFFSET		sizeof(struct rndis_msg_hdr)
/* A PACKET's body header: the frame or the first PPI follows it. */
#define RNDIS_PACKET_BODY_SIZE		(sizeof(struct rndis_packet) - \
					 RNDIS_BODY_OFFSET)

/* Per-packet info types (in bits 0..30 of rndis_ppi.type). */
#define RNDIS_PPI_CHECKSUM		0
#define RNDIS_PPI_IPSEC			1
#define RNDIS_PPI_LSO			2
#define RNDIS_PPI_CLASSIFICATION	3
#define RNDIS_PPI_SG_LIST		5
#define RNDIS_PPI_IEEE_8021Q		6
#define RNDIS_PPI_ORIGINAL_PKTINFO	7
#define RNDIS_PPI_HASH_VALUE		8
#define RNDIS_PPI_ORIGINAL_NBL		9
#define RNDIS_PPI_CACHED_NBL		10
#define RNDIS_PPI_SHORT_PAD		11
/* rndis_ppi.type bit 31: an internal type; internal 1 is the packet id. */
#define RNDIS_PPI_INTERNAL		0x80000000
#define RNDIS_PPI_TYPE_MASK		0x7fffffff
#define RNDIS_PPI_INTERNAL_PKT_ID	(RNDIS_PPI_INTERNAL | 1)

/**
 * struct rndis_ppi - per-packet info element header
 * @size: bytes of the element including this header
 * @type: RNDIS_PPI_*
 * @ppi_offset: offset of the value from the element start (12)
 */
struct rndis_ppi {
	__u32 size;
	__u32 type;
	__u32 ppi_offset;
} __packed;

static_assert(sizeof(struct rndis_ppi) == 12);

/* The u32-valued PPIs a guest writes: header + value. */
#define RNDIS_PPI_U32_SIZE		(sizeof(struct rndis_ppi) + sizeof(__u32))

/* Internal packet-id PPI (RSC): flags */
#define RNDIS_PKTID_SUBALLOC		0x1
#define RNDIS_PKTID_FIRST_FRAG		0x2
#define RNDIS_PKTID_LAST_FRAG		0x4

struct rndis_pktid {
	__u8 ver;
	__u8 flags;
	__u16 pkt_id;
} __packed;

static_assert(sizeof(struct rndis_pktid) == 4);

/* TX checksum PPI value */
#define RNDIS_TXCSUM_IS_IPV4		_BITUL(0)
#define RNDIS_TXCSUM_IS_IPV6		_BITUL(1)
#define RNDIS_TXCSUM_TCP		_BITUL(2)
#define RNDIS_TXCSUM_UDP		_BITUL(3)
#define RNDIS_TXCSUM_IP_HEADER		_BITUL(4)
#define RNDIS_TXCSUM_TCP_OFFSET_SHIFT	16
#define RNDIS_TXCSUM_TCP_OFFSET_MASK	0x03ff0000

/* RX checksum PPI value */
#define RNDIS_RXCSUM_TCP_FAILED		_BITUL(0)
#define RNDIS_RXCSUM_UDP_FAILED		_BITUL(1)
#define RNDIS_RXCSUM_IP_FAILED		_BITUL(2)
#define RNDIS_RXCSUM_TCP_OK		_BITUL(3)
#define RNDIS_RXCSUM_UDP_OK		_BITUL(4)
#define RNDIS_RXCSUM_IP_OK		_BITUL(5)
#define RNDIS_RXCSUM_LOOPBACK		_BITUL(6)
#define RNDIS_RXCSUM_TCP_INVALID	_BITUL(7)
#define RNDIS_RXCSUM_IP_INVALID		_BITUL(8)

/* LSOv2 TX PPI value */
#define RNDIS_LSO_MSS_MASK		0x000fffff
#define RNDIS_LSO_TCP_OFFSET_SHIFT	20
#define RNDIS_LSO_TCP_OFFSET_MASK	0x3ff00000
#define RNDIS_LSO_TYPE_V2		_BITUL(30)
#define RNDIS_LSO_IPV6			_BITUL(31)
#define RNDIS_LSO_MSS_MAX		RNDIS_LSO_MSS_MASK

/* IEEE 802.1Q PPI value */
#define RNDIS_VLAN_PRIO_MASK		0x00000007
#define RNDIS_VLAN_CFI			_BITUL(3)
#define RNDIS_VLAN_ID_SHIFT		4
#define RNDIS_VLAN_ID_MASK		0x0000fff0

/* OID_GEN_RNDIS_CONFIG_PARAMETER: offsets from the structure's start. */
#define RNDIS_CONFIG_PARAM_INTEGER	0
#define RNDIS_CONFIG_PARAM_HEX_INTEGER	1
#define RNDIS_CONFIG_PARAM_STRING	2

struct rndis_config_param {
	__u32 name_offset;
	__u32 name_length;
	__u32 type;
	__u32 value_offset;
	__u32 value_length;
} __packed;

static_assert(sizeof(struct rndis_config_param) == 20);

/* NDIS 6 object header, first in each of the structures below. */
#define NDIS_OBJECT_TYPE_DEFAULT	0x80
#define NDIS_OBJECT_TYPE_RSS_CAPS	0x88
#define NDIS_OBJECT_TYPE_RSS_PARAMS	0x89
#define NDIS_OBJECT_TYPE_OFFLOAD	0xa7

struct ndis_object_header {
	__u8 type;
	__u8 revision;
	__u16 size;
} __packed;

static_assert(sizeof(struct ndis_object_header) == 4);

/* NDIS_OFFLOAD checksum words */
#define NDIS_TXCSUM_CAP_IP4_OPTIONS	0x001
#define NDIS_TXCSUM_CAP_TCP4_OPTIONS	0x004
#define NDIS_TXCSUM_CAP_TCP4		0x010
#define NDIS_TXCSUM_CAP_UDP4		0x040
#define NDIS_TXCSUM_CAP_IP4		0x100
#define NDIS_TXCSUM_CAP_IP6_EXT_HDR	0x001
#define NDIS_TXCSUM_CAP_TCP6_OPTIONS	0x004
#define NDIS_TXCSUM_CAP_TCP6		0x010
#define NDIS_TXCSUM_CAP_UDP6		0x040
#define NDIS_OFFLOAD_ENCAP_8023		0x002
/* NDIS_OFFLOAD lsov2.ip6_opts */
#define NDIS_LSOV2_CAP_IP6_EXT_HDR	0x001
#define NDIS_LSOV2_CAP_TCP6_OPTIONS	0x004

#define NDIS_OFFLOAD_REVISION_1		1
#define NDIS_OFFLOAD_REVISION_2		2
#define NDIS_OFFLOAD_REVISION_3		3
#define NDIS_OFFLOAD_SIZE_REVISION_1	112
#define NDIS_OFFLOAD_SIZE_REVISION_2	144
#define NDIS_OFFLOAD_SIZE_REVISION_3	156

struct ndis_csum_offload {
	__u32 ip4_tx_encap;
	__u32 ip4_tx_csum;
	__u32 ip4_rx_encap;
	__u32 ip4_rx_csum;
	__u32 ip6_tx_encap;
	__u32 ip6_tx_csum;
	__u32 ip6_rx_encap;
	__u32 ip6_rx_csum;
} __packed;

struct ndis_lsov1_offload {
	__u32 encap;
	__u32 max_size;
	__u32 min_segs;
	__u32 opts;
} __packed;

struct ndis_lsov2_offload {
	__u32 ip4_encap;
	__u32 ip4_max_size;
	__u32 ip4_min_segs;
	__u32 ip6_encap;
	__u32 ip6_max_size;
	__u32 ip6_min_segs;
	__u32 ip6_opts;
} __packed;

/**
 * struct ndis_offload - OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES answer
 * @header: {NDIS_OBJECT_TYPE_OFFLOAD, revision, size}
 * @csum: checksum offload capabilities
 * @lsov1: large send v1
 * @ipsecv1: IPsec v1 (unused)
 * @lsov2: large send v2
 * @flags: flags
 * @ipsecv2: IPsec v2 (revision 2, unused)
 * @rsc_ip4: receive segment coalescing, IPv4 (revision 3)
 * @rsc_ip6: receive segment coalescing, IPv6 (revision 3)
 * @rsc_pad: padding
 * @gre_flags: encapsulated GRE flags (revision 3)
 * @gre_max_header: encapsulated GRE maximum header size (revision 3)
 */
struct ndis_offload {
	struct ndis_object_header header;
	struct ndis_csum_offload csum;
	struct ndis_lsov1_offload lsov1;
	__u32 ipsecv1[7];
	struct ndis_lsov2_offload lsov2;
	__u32 flags;
	__u32 ipsecv2[8];
	__u8 rsc_ip4;
	__u8 rsc_ip6;
	__u16 rsc_pad;
	__u32 gre_flags;
	__u32 gre_max_header;
} __packed;

static_assert(sizeof(struct ndis_offload) == NDIS_OFFLOAD_SIZE_REVISION_3);
static_assert(offsetof(struct ndis_offload, csum) == 4);
static_assert(offsetof(struct ndis_offload, lsov1) == 36);
static_assert(offsetof(struct ndis_offload, ipsecv1) == 52);
static_assert(offsetof(struct ndis_offload, lsov2) == 80);
static_assert(offsetof(struct ndis_offload, flags) == 108);
static_assert(offsetof(struct ndis_offload, ipsecv2) ==
	      NDIS_OFFLOAD_SIZE_REVISION_1);
static_assert(offsetof(struct ndis_offload, rsc_ip4) ==
	      NDIS_OFFLOAD_SIZE_REVISION_2);
static_assert(offsetof(struct ndis_offload, gre_flags) == 148);

/* NDIS_OFFLOAD_PARAMETERS values */
#define NDIS_OFFLOAD_PARAM_NO_CHANGE	0
#define NDIS_OFFLOAD_PARAM_TXRX_DISABLED 1
#define NDIS_OFFLOAD_PARAM_TX_ENABLED_RX_DISABLED 2
#define NDIS_OFFLOAD_PARAM_RX_ENABLED_TX_DISABLED 3
#define NDIS_OFFLOAD_PARAM_TXRX_ENABLED	4
#define NDIS_OFFLOAD_PARAM_LSO_DISABLED	1
#define NDIS_OFFLOAD_PARAM_LSO_ENABLED	2
#define NDIS_OFFLOAD_PARAM_RSC_DISABLED	1
#define NDIS_OFFLOAD_PARAM_RSC_ENABLED	2

#define NDIS_OFFLOAD_PARAMS_REVISION_3	3
#define NDIS_OFFLOAD_PARAMS_SIZE	28
/* What a Linux guest sends for NVSP <= 4 (OpenVMM's revision 1 is 20). */
#define NDIS_OFFLOAD_PARAMS_SIZE_V4	22

/**
 * struct ndis_offload_params - OID_TCP_OFFLOAD_PARAMETERS (guest sets)
 * @header: {NDIS_OBJECT_TYPE_DEFAULT, 3, size}
 * @ip_v4_csum: NDIS_OFFLOAD_PARAM_* checksum value
 * @tcp_ip_v4_csum: same
 * @udp_ip_v4_csum: same
 * @tcp_ip_v6_csum: same
 * @udp_ip_v6_csum: same
 * @lso_v1: NDIS_OFFLOAD_PARAM_LSO_*
 * @ip_sec_v1: unused
 * @lso_v2_ipv4: NDIS_OFFLOAD_PARAM_LSO_*
 * @lso_v2_ipv6: NDIS_OFFLOAD_PARAM_LSO_*
 * @tcp_connection_ip_v4: unused
 * @tcp_connection_ip_v6: unused
 * @reserved: 0
 * @flags: 0
 * @ip_sec_v2: unused
 * @ip_sec_v2_ip_v4: unused
 * @rsc_ip_v4: NDIS_OFFLOAD_PARAM_RSC_*
 * @rsc_ip_v6: NDIS_OFFLOAD_PARAM_RSC_*
 * @encapsulated_packet_task_offload: unused
 * @encapsulation_types: unused
 * @pad: 0
 */
struct ndis_offload_params {
	struct ndis_object_header header;
	__u8 ip_v4_csum;
	__u8 tcp_ip_v4_csum;
	__u8 udp_ip_v4_csum;
	__u8 tcp_ip_v6_csum;
	__u8 udp_ip_v6_csum;
	__u8 lso_v1;
	__u8 ip_sec_v1;
	__u8 lso_v2_ipv4;
	__u8 lso_v2_ipv6;
	__u8 tcp_connection_ip_v4;
	__u8 tcp_connection_ip_v6;
	__u8 reserved;
	__u32 flags;
	__u8 ip_sec_v2;
	__u8 ip_sec_v2_ip_v4;
	__u8 rsc_ip_v4;
	__u8 rsc_ip_v6;
	__u8 encapsulated_packet_task_offload;
	__u8 encapsulation_types;
	__u16 pad;
} __packed;

static_assert(sizeof(struct ndis_offload_params) == NDIS_OFFLOAD_PARAMS_SIZE);
static_assert(offsetof(struct ndis_offload_params, lso_v1) == 9);
static_assert(offsetof(struct ndis_offload_params, lso_v2_ipv6) == 12);
static_assert(offsetof(struct ndis_offload_params, flags) == 16);
static_assert(offsetof(struct ndis_offload_params, rsc_ip_v4) == 22);
static_assert(offsetof(struct ndis_offload_params, encapsulation_types) == 25);

/* RSS */
#define NDIS_RSS_CAPS_REVISION_2	2
#define NDIS_RSS_CAPS_SIZE		18
#define NDIS_RSS_PARAMS_REVISION_2	2
#define NDIS_RSS_PARAMS_SIZE		40
#define NDIS_RSS_PARAM_FLAG_DISABLE_RSS	0x0010
#define NDIS_RSS_HASH_FUNC_TOEPLITZ	0x00000001
#define NDIS_RSS_HASH_TYPE_IPV4		0x00000100
#define NDIS_RSS_HASH_TYPE_TCP_IPV4	0x00000200
#define NDIS_RSS_HASH_TYPE_IPV6		0x00000400
#define NDIS_RSS_HASH_TYPE_IPV6_EX	0x00000800
#define NDIS_RSS_HASH_TYPE_TCP_IPV6	0x00001000
#define NDIS_RSS_HASH_TYPE_TCP_IPV6_EX	0x00002000
#define NDIS_RSS_HASH_TYPE_UDP_IPV4	0x00004000
#define NDIS_RSS_HASH_TYPE_UDP_IPV6	0x00008000
/* ndis_rss_caps.cap_flag: hash types the host can compute */
#define NDIS_RSS_CAPS_HASH_TYPE_TCP_IPV4	0x00000100
#define NDIS_RSS_CAPS_HASH_TYPE_TCP_IPV6	0x00000200
#define NDIS_RSS_CAPS_HASH_TYPE_TCP_IPV6_EX	0x00000400
#define NDIS_RSS_CAPS_HASH_TYPE_UDP_IPV4	0x00000800
#define NDIS_RSS_CAPS_HASH_TYPE_UDP_IPV6	0x00001000
#define NDIS_RSS_HASH_KEY_SIZE		40
#define NDIS_RSS_INDIRECTION_ENTRIES	128

/**
 * struct ndis_rss_caps - OID_GEN_RECEIVE_SCALE_CAPABILITIES answer
 * @header: {NDIS_OBJECT_TYPE_RSS_CAPS, 2, NDIS_RSS_CAPS_SIZE}
 * @cap_flag: capability flags
 * @num_int_msg: interrupt messages
 * @num_recv_que: receive queues the host offers
 * @num_indirect_tabent: indirection table entries
 */
struct ndis_rss_caps {
	struct ndis_object_header header;
	__u32 cap_flag;
	__u32 num_int_msg;
	__u32 num_recv_que;
	__u16 num_indirect_tabent;
} __packed;

static_assert(sizeof(struct ndis_rss_caps) == NDIS_RSS_CAPS_SIZE);
static_assert(offsetof(struct ndis_rss_caps, num_recv_que) == 12);

/**
 * struct ndis_rss_params - OID_GEN_RECEIVE_SCALE_PARAMETERS (guest sets)
 * @header: {NDIS_OBJECT_TYPE_RSS_PARAMS, 2, NDIS_RSS_PARAMS_SIZE}
 * @flag: NDIS_RSS_PARAM_FLAG_*
 * @base_cpu_number: 0
 * @hashinfo: NDIS_RSS_HASH_FUNC_* | NDIS_RSS_HASH_TYPE_*
 * @indirect_tabsize: bytes of the u32 indirection table
 * @pad: 0
 * @indirect_taboffset: table offset from this structure's start
 * @hashkey_size: bytes of the Toeplitz key
 * @pad2: 0
 * @hashkey_offset: key offset from this structure's start
 * @processor_masks_offset: 0
 * @num_processor_masks: 0
 * @processor_masks_entry_size: 0
 */
struct ndis_rss_params {
	struct ndis_object_header header;
	__u16 flag;
	__u16 base_cpu_number;
	__u32 hashinfo;
	__u16 indirect_tabsize;
	__u16 pad;
	__u32 indirect_taboffset;
	__u16 hashkey_size;
	__u16 pad2;
	__u32 hashkey_offset;
	__u32 processor_masks_offset;
	__u32 num_processor_masks;
	__u32 processor_masks_entry_size;
} __packed;

static_assert(sizeof(struct ndis_rss_params) == NDIS_RSS_PARAMS_SIZE);
static_assert(offsetof(struct ndis_rss_params, hashinfo) == 8);
static_assert(offsetof(struct ndis_rss_params, indirect_tabsize) == 12);
static_assert(offsetof(struct ndis_rss_params, indirect_taboffset) == 16);
static_assert(offsetof(struct ndis_rss_params, hashkey_size) == 20);
static_assert(offsetof(struct ndis_rss_params, hashkey_offset) == 24);

#endif /* _HYPERV_RNDIS_H */
