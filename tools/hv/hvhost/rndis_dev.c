// SPDX-License-Identifier: GPL-2.0
/*
 * The RNDIS device behind NetVSP (reference §6.9): INITIALIZE, QUERY and
 * SET of the OIDs a guest uses, HALT, RESET, KEEPALIVE, media status
 * indications, and the packet filter received frames must pass. Answers
 * are OpenVMM's: INITIALIZE_CMPLT 1.0, connectionless 802.3, 8 packets per
 * message, 8-byte alignment; an OID it does not know is NOT_SUPPORTED.
 */
#include <errno.h>
#include <string.h>

#include "log.h"
#include "netvsp.h"
#include "rss.h"

#define RNDIS_MAX_PKT_PER_MSG	8
#define RNDIS_MAX_XFER		0xefffffffU
#define RNDIS_ALIGN_SHIFT	3
/* LSOv2: largest send and fewest segments, as OpenVMM offers. */
#define RNDIS_LSO_MAX_SIZE	62780
#define RNDIS_LSO_MIN_SEGS	2
/* Room for the longest answer: the offload structure. */
#define RNDIS_QUERY_MAX		512

static const uint32_t rndis_supported_oids[] = {
	RNDIS_OID_GEN_SUPPORTED_LIST,
	RNDIS_OID_GEN_MAXIMUM_FRAME_SIZE,
	RNDIS_OID_GEN_LINK_SPEED,
	RNDIS_OID_GEN_CURRENT_PACKET_FILTER,
	RNDIS_OID_GEN_MAXIMUM_TOTAL_SIZE,
	RNDIS_OID_GEN_MEDIA_CONNECT_STATUS,
	RNDIS_OID_GEN_RECEIVE_SCALE_CAPABILITIES,
	RNDIS_OID_GEN_RECEIVE_SCALE_PARAMETERS,
	RNDIS_OID_GEN_RNDIS_CONFIG_PARAMETER,
	RNDIS_OID_GEN_FRIENDLY_NAME,
	RNDIS_OID_802_3_PERMANENT_ADDRESS,
	RNDIS_OID_802_3_CURRENT_ADDRESS,
	RNDIS_OID_802_3_MULTICAST_LIST,
	RNDIS_OID_802_3_MAXIMUM_LIST_SIZE,
	RNDIS_OID_TCP_OFFLOAD_CURRENT_CONFIG,
	RNDIS_OID_TCP_OFFLOAD_PARAMETERS,
	RNDIS_OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES,
};

/* Payload MTU: the guest's NDIS MTU within what the NIC allows. */
static uint32_t rndis_mtu(const struct netvsp_nic *nic)
{
	uint32_t frame = nic->ndis_mtu ? nic->ndis_mtu :
					 NETVSP_NDIS_MTU_DEFAULT;

	if (frame > nic->cfg->mtu + 14)
		frame = nic->cfg->mtu + 14;
	return frame - 14;
}

static bool rndis_connected(const struct netvsp_nic *nic)
{
	return nic->link_up && nic->tap.fd >= 0;
}

/* Checksum and LSOv2 for IPv4 and IPv6 (TCP and UDP), 802.3 framing. */
static uint32_t rndis_offload(const struct netvsp_nic *nic,
			      struct ndis_offload *o)
{
	uint32_t v4 = NDIS_TXCSUM_CAP_IP4_OPTIONS | NDIS_TXCSUM_CAP_TCP4_OPTIONS |
		      NDIS_TXCSUM_CAP_TCP4 | NDIS_TXCSUM_CAP_UDP4 |
		      NDIS_TXCSUM_CAP_IP4;
	uint32_t v6 = NDIS_TXCSUM_CAP_IP6_EXT_HDR | NDIS_TXCSUM_CAP_TCP6_OPTIONS |
		      NDIS_TXCSUM_CAP_TCP6 | NDIS_TXCSUM_CAP_UDP6;

	memset(o, 0, sizeof(*o));
	o->header.type = NDIS_OBJECT_TYPE_OFFLOAD;
	o->header.revision = NDIS_OFFLOAD_REVISION_1;
	o->header.size = NDIS_OFFLOAD_SIZE_REVISION_1;
	if (nic->version >= NVSP_VERSION_5) {
		o->header.revision = NDIS_OFFLOAD_REVISION_3;
		o->header.size = NDIS_OFFLOAD_SIZE_REVISION_3;
	} else if (nic->version >= NVSP_VERSION_4) {
		o->header.revision = NDIS_OFFLOAD_REVISION_2;
		o->header.size = NDIS_OFFLOAD_SIZE_REVISION_2;
	}
	o->csum.ip4_tx_encap = o->csum.ip4_rx_encap = NDIS_OFFLOAD_ENCAP_8023;
	o->csum.ip6_tx_encap = o->csum.ip6_rx_encap = NDIS_OFFLOAD_ENCAP_8023;
	o->csum.ip4_tx_csum = o->csum.ip4_rx_csum = v4;
	o->csum.ip6_tx_csum = o->csum.ip6_rx_csum = v6;
	o->lsov2.ip4_encap = o->lsov2.ip6_encap = NDIS_OFFLOAD_ENCAP_8023;
	o->lsov2.ip4_max_size = o->lsov2.ip6_max_size = RNDIS_LSO_MAX_SIZE;
	o->lsov2.ip4_min_segs = o->lsov2.ip6_min_segs = RNDIS_LSO_MIN_SEGS;
	o->lsov2.ip6_opts = NDIS_LSOV2_CAP_IP6_EXT_HDR |
			    NDIS_LSOV2_CAP_TCP6_OPTIONS;
	/* RSC from NVSP 6.1, where guests announce it (ref §6.4). */
	if (nic->version >= NVSP_VERSION_61)
		o->rsc_ip4 = o->rsc_ip6 = 1;
	return o->header.size;
}

static uint32_t rndis_rss_caps(const struct netvsp_nic *nic, void *out)
{
	struct ndis_rss_caps c = {
		.header = { NDIS_OBJECT_TYPE_RSS_CAPS,
			    NDIS_RSS_CAPS_REVISION_2, NDIS_RSS_CAPS_SIZE },
		.cap_flag = NDIS_RSS_CAPS_HASH_TYPE_TCP_IPV4 |
			    NDIS_RSS_CAPS_HASH_TYPE_TCP_IPV6 |
			    NDIS_RSS_CAPS_HASH_TYPE_UDP_IPV4 |
			    NDIS_RSS_CAPS_HASH_TYPE_UDP_IPV6 |
			    NDIS_RSS_HASH_FUNC_TOEPLITZ,
		.num_int_msg = 1,
		.num_recv_que = nic->cfg->channels,
		.num_indirect_tabent = NDIS_RSS_INDIRECTION_ENTRIES,
	};

	memcpy(out, &c, NDIS_RSS_CAPS_SIZE);
	return NDIS_RSS_CAPS_SIZE;
}

static uint32_t rndis_u32(void *out, uint32_t v)
{
	memcpy(out, &v, sizeof(v));
	return sizeof(v);
}

/* UTF-16 "Network Device", as OpenVMM names it. */
static uint32_t rndis_friendly_name(void *out)
{
	static const char name[] = "Network Device";
	uint16_t *w = out;
	size_t i;

	for (i = 0; i < sizeof(name); i++)
		w[i] = (uint8_t)name[i];
	return sizeof(name) * 2;
}

/* The answer to a QUERY of @oid in @out; -1: NOT_SUPPORTED. */
static int64_t rndis_query_oid(const struct netvsp_nic *nic, uint32_t oid,
			       uint8_t *out)
{
	switch (oid) {
	case RNDIS_OID_GEN_SUPPORTED_LIST:
		memcpy(out, rndis_supported_oids, sizeof(rndis_supported_oids));
		return sizeof(rndis_supported_oids);
	case RNDIS_OID_GEN_MAXIMUM_FRAME_SIZE:
		return rndis_u32(out, rndis_mtu(nic));
	case RNDIS_OID_GEN_MAXIMUM_TOTAL_SIZE:
		return rndis_u32(out, rndis_mtu(nic) + 14);
	case RNDIS_OID_GEN_LINK_SPEED:
		return rndis_u32(out, NETVSP_LINK_SPEED);
	case RNDIS_OID_GEN_MEDIA_CONNECT_STATUS:
		return rndis_u32(out, rndis_connected(nic) ?
				 RNDIS_MEDIA_STATE_CONNECTED :
				 RNDIS_MEDIA_STATE_DISCONNECTED);
	case RNDIS_OID_GEN_CURRENT_PACKET_FILTER:
		return rndis_u32(out, nic->filter);
	case RNDIS_OID_802_3_MAXIMUM_LIST_SIZE:
		return rndis_u32(out, 0);
	case RNDIS_OID_802_3_PERMANENT_ADDRESS:
		memcpy(out, nic->perm_mac, ETH_ALEN_);
		return ETH_ALEN_;
	case RNDIS_OID_802_3_CURRENT_ADDRESS:
		memcpy(out, nic->mac, ETH_ALEN_);
		return ETH_ALEN_;
	case RNDIS_OID_GEN_FRIENDLY_NAME:
		return rndis_friendly_name(out);
	case RNDIS_OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES:
	case RNDIS_OID_TCP_OFFLOAD_CURRENT_CONFIG:
		return rndis_offload(nic, (struct ndis_offload *)out);
	case RNDIS_OID_GEN_RECEIVE_SCALE_CAPABILITIES:
		return rndis_rss_caps(nic, out);
	default:
		return -1;
	}
}

static int rndis_query(struct netvsp_nic *nic, const struct rndis_request *r)
{
	uint8_t buf[sizeof(struct rndis_query_cmplt) + RNDIS_QUERY_MAX] = { 0 };
	struct rndis_query_cmplt c = {
		.hdr = { RNDIS_MSG_QUERY_C, sizeof(c) },
		.req_id = r->req_id,
	};
	int64_t n = rndis_query_oid(nic, r->oid, buf + sizeof(c));

	if (n < 0) {
		hv_dbg("nic: query of OID 0x%08x not supported", r->oid);
		c.status = RNDIS_STATUS_NOT_SUPPORTED;
	} else {
		c.info_buflen = n;
		c.info_buf_offset = RNDIS_QUERY_CMPLT_INFO_OFFSET;
		c.hdr.msg_len += n;
	}
	memcpy(buf, &c, sizeof(c));
	return netvsp_send_control(nic, buf, c.hdr.msg_len);
}

/* "NetworkAddress" = 12 hex digits, in UTF-16, sets the current MAC. */
static uint32_t rndis_set_config_param(struct netvsp_nic *nic,
				       const uint8_t *b, uint32_t len)
{
	static const char key[] = "NetworkAddress";
	struct rndis_config_param p;
	uint8_t mac[ETH_ALEN_] = { 0 };
	uint16_t w;
	uint32_t i;
	int d;

	if (len < sizeof(p))
		return RNDIS_STATUS_INVALID_LENGTH;
	memcpy(&p, b, sizeof(p));
	if ((uint64_t)p.name_offset + p.name_length > len ||
	    (uint64_t)p.value_offset + p.value_length > len)
		return RNDIS_STATUS_INVALID_DATA;
	if (p.name_length != 2 * (sizeof(key) - 1))
		return RNDIS_STATUS_SUCCESS;
	for (i = 0; i < sizeof(key) - 1; i++) {
		memcpy(&w, b + p.name_offset + 2 * i, 2);
		if (w != (uint8_t)key[i])
			return RNDIS_STATUS_SUCCESS;
	}
	if (p.value_length < 2 * 2 * ETH_ALEN_)
		return RNDIS_STATUS_INVALID_DATA;
	for (i = 0; i < 2 * ETH_ALEN_; i++) {
		memcpy(&w, b + p.value_offset + 2 * i, 2);
		d = w >= '0' && w <= '9' ? w - '0' :
		    w >= 'a' && w <= 'f' ? w - 'a' + 10 :
		    w >= 'A' && w <= 'F' ? w - 'A' + 10 : -1;
		if (d < 0)
			return RNDIS_STATUS_INVALID_DATA;
		mac[i / 2] |= d << (i % 2 ? 0 : 4);
	}
	memcpy(nic->mac, mac, sizeof(mac));
	hv_info("nic: MAC set to %02x:%02x:%02x:%02x:%02x:%02x", mac[0],
		mac[1], mac[2], mac[3], mac[4], mac[5]);
	return RNDIS_STATUS_SUCCESS;
}

/* As OpenVMM: disable, or a 40-byte key and a table of open queues. */
static uint32_t rndis_set_rss(struct netvsp_nic *nic, const uint8_t *b,
			      uint32_t len)
{
	uint32_t indir[NDIS_RSS_INDIRECTION_ENTRIES];
	struct ndis_rss_params p = { 0 };
	struct netvsp_rss *rss = &nic->rss;
	uint32_t i, n;

	memcpy(&p, b, len < sizeof(p) ? len : sizeof(p));
	if ((p.flag & NDIS_RSS_PARAM_FLAG_DISABLE_RSS) ||
	    !(p.hashinfo & NDIS_RSS_HASH_FUNC_TOEPLITZ)) {
		rss->enabled = false;
		return RNDIS_STATUS_SUCCESS;
	}
	n = p.indirect_tabsize / 4;
	if (p.hashkey_size != NDIS_RSS_HASH_KEY_SIZE ||
	    (uint64_t)p.hashkey_offset + p.hashkey_size > len ||
	    !n || p.indirect_tabsize % 4 ||
	    (uint64_t)p.indirect_taboffset + p.indirect_tabsize > len)
		return RNDIS_STATUS_INVALID_DATA;
	if (n > NDIS_RSS_INDIRECTION_ENTRIES)
		n = NDIS_RSS_INDIRECTION_ENTRIES;
	/* Checked in a copy: a refused table leaves the old one. */
	memcpy(indir, b + p.indirect_taboffset, n * 4);
	for (i = 0; i < n; i++)
		if (indir[i] >= nic->cfg->channels)
			return RNDIS_STATUS_INVALID_DATA;
	memcpy(rss->indir, indir, n * 4);
	memcpy(rss->key, b + p.hashkey_offset, sizeof(rss->key));
	rss->nindir = n;
	rss->hashinfo = p.hashinfo;
	rss->enabled = true;
	return RNDIS_STATUS_SUCCESS;
}

/* RSC on (2) or off (1) for one IP version; 0 and others: unchanged. */
static void rndis_set_rsc(bool *on, uint8_t param)
{
	if (param == NDIS_OFFLOAD_PARAM_RSC_ENABLED)
		*on = true;
	else if (param == NDIS_OFFLOAD_PARAM_RSC_DISABLED)
		*on = false;
}

/*
 * OID_TCP_OFFLOAD_PARAMETERS. Checksum and LSO need nothing of the host
 * (it honours the PPIs of each frame); RSC is taken where the version
 * and the structure's size have it.
 */
static uint32_t rndis_set_offloads(struct netvsp_nic *nic, const uint8_t *b,
				   uint32_t len)
{
	struct ndis_offload_params p;

	if (len < sizeof(struct ndis_object_header))
		return RNDIS_STATUS_INVALID_LENGTH;
	if (nic->version < NVSP_VERSION_61 ||
	    len < offsetof(struct ndis_offload_params, rsc_ip_v6) + 1)
		return RNDIS_STATUS_SUCCESS;
	memcpy(&p, b, offsetof(struct ndis_offload_params, rsc_ip_v6) + 1);
	rndis_set_rsc(&nic->rsc_ip4, p.rsc_ip_v4);
	rndis_set_rsc(&nic->rsc_ip6, p.rsc_ip_v6);
	return RNDIS_STATUS_SUCCESS;
}

static uint32_t rndis_set_oid(struct netvsp_nic *nic, uint32_t oid,
			      const uint8_t *b, uint32_t len)
{
	switch (oid) {
	case RNDIS_OID_GEN_CURRENT_PACKET_FILTER:
		if (len < sizeof(nic->filter))
			return RNDIS_STATUS_INVALID_LENGTH;
		memcpy(&nic->filter, b, sizeof(nic->filter));
		return RNDIS_STATUS_SUCCESS;
	case RNDIS_OID_TCP_OFFLOAD_PARAMETERS:
		return rndis_set_offloads(nic, b, len);
	case RNDIS_OID_OFFLOAD_ENCAPSULATION:
	case RNDIS_OID_802_3_MULTICAST_LIST:
		return RNDIS_STATUS_SUCCESS;
	case RNDIS_OID_GEN_RNDIS_CONFIG_PARAMETER:
		return rndis_set_config_param(nic, b, len);
	case RNDIS_OID_GEN_RECEIVE_SCALE_PARAMETERS:
		return rndis_set_rss(nic, b, len);
	default:
		return RNDIS_STATUS_NOT_SUPPORTED;
	}
}

static int rndis_set(struct netvsp_nic *nic, const struct rndis_request *r,
		     const uint8_t *msg, uint32_t len)
{
	uint64_t off = RNDIS_BODY_OFFSET + (uint64_t)r->info_buf_offset;
	struct rndis_set_cmplt c = {
		.hdr = { RNDIS_MSG_SET_C, sizeof(c) },
		.req_id = r->req_id,
		.status = RNDIS_STATUS_INVALID_LENGTH,
	};

	if (off <= len && r->info_buflen <= len - off)
		c.status = rndis_set_oid(nic, r->oid, msg + off,
					 r->info_buflen);
	if (c.status != RNDIS_STATUS_SUCCESS)
		hv_warn_rl("nic: set of OID 0x%08x: status 0x%08x", r->oid,
			   c.status);
	return netvsp_send_control(nic, &c, sizeof(c));
}

static int rndis_init(struct netvsp_nic *nic, const struct rndis_initialize *r)
{
	struct rndis_initialize_cmplt c = {
		.hdr = { RNDIS_MSG_INIT_C, sizeof(c) },
		.req_id = r->req_id,
		.status = RNDIS_STATUS_SUCCESS,
		.major_ver = RNDIS_MAJOR_VERSION,
		.minor_ver = RNDIS_MINOR_VERSION,
		.dev_flags = RNDIS_DF_CONNECTIONLESS,
		.medium = RNDIS_MEDIUM_802_3,
		.max_pkt_per_msg = RNDIS_MAX_PKT_PER_MSG,
		.max_xfer_size = RNDIS_MAX_XFER,
		.pkt_alignment_factor = RNDIS_ALIGN_SHIFT,
	};
	int ret;

	if (nic->rndis != NETVSP_RNDIS_UNINIT)
		return -EINVAL;
	ret = netvsp_send_control(nic, &c, sizeof(c));
	if (!ret)
		nic->rndis = NETVSP_RNDIS_OPERATIONAL;
	return ret;
}

static int rndis_keepalive(struct netvsp_nic *nic,
			   const struct rndis_keepalive *r)
{
	struct rndis_keepalive_cmplt c = {
		.hdr = { RNDIS_MSG_KEEPALIVE_C, sizeof(c) },
		.req_id = r->req_id,
		.status = RNDIS_STATUS_SUCCESS,
	};

	return netvsp_send_control(nic, &c, sizeof(c));
}

static int rndis_reset(struct netvsp_nic *nic)
{
	struct rndis_reset_cmplt c = {
		.hdr = { RNDIS_MSG_RESET_C, sizeof(c) },
		.status = RNDIS_STATUS_SUCCESS,
	};

	return netvsp_send_control(nic, &c, sizeof(c));
}

static int rndis_dispatch(struct netvsp_nic *nic, const uint8_t *msg,
			  uint32_t len)
{
	union {
		struct rndis_msg_hdr hdr;
		struct rndis_initialize init;
		struct rndis_request req;
		struct rndis_keepalive ka;
	} m = { 0 };

	memcpy(&m, msg, len < sizeof(m) ? len : sizeof(m));
	switch (m.hdr.msg_type) {
	case RNDIS_MSG_INIT:
		return len < sizeof(m.init) ? -EINVAL : rndis_init(nic, &m.init);
	case RNDIS_MSG_QUERY:
		return len < sizeof(m.req) ? -EINVAL : rndis_query(nic, &m.req);
	case RNDIS_MSG_SET:
		return len < sizeof(m.req) ? -EINVAL :
		       rndis_set(nic, &m.req, msg, len);
	case RNDIS_MSG_HALT:
		nic->rndis = NETVSP_RNDIS_HALTED;
		return 0;
	case RNDIS_MSG_RESET:
		return rndis_reset(nic);
	case RNDIS_MSG_KEEPALIVE:
		return len < sizeof(m.ka) ? -EINVAL : rndis_keepalive(nic, &m.ka);
	default:
		hv_warn_rl("nic: RNDIS message type 0x%x not supported",
			   m.hdr.msg_type);
		return -EINVAL;
	}
}

/*
 * One control message of the guest. Return: 0, -EAGAIN when its answer
 * must wait for a free receive slot or ring room (nothing was done), or
 * -EINVAL for a malformed or unexpected message.
 */
int rndis_dev_control(struct netvsp_nic *nic, const uint8_t *msg, uint32_t len)
{
	int ret;

	nic->stats.rndis_ctl++;
	if (!nic->nfree)
		return -EAGAIN;
	ret = rndis_dispatch(nic, msg, len);
	if (ret == -ENOBUFS)
		ret = -EAGAIN;
	if (ret == -EAGAIN)
		nic->stats.rndis_ctl--;
	return ret;
}

/* An INDICATE_STATUS without a buffer: media connect or disconnect. */
int rndis_dev_status(struct netvsp_nic *nic, uint32_t status)
{
	struct rndis_indicate_status s = {
		.hdr = { RNDIS_MSG_INDICATE, sizeof(s) },
		.status = status,
	};

	return netvsp_send_control(nic, &s, sizeof(s));
}

/* Does the packet filter let this frame through to the guest? */
bool rndis_dev_accepts(const struct netvsp_nic *nic, const uint8_t *frame,
		       uint32_t len)
{
	static const uint8_t bcast[ETH_ALEN_] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff
	};
	uint32_t f = nic->filter;

	if (len < 14 || !f)
		return false;
	if (f & NDIS_PACKET_TYPE_PROMISCUOUS)
		return true;
	if (!memcmp(frame, bcast, ETH_ALEN_))
		return f & NDIS_PACKET_TYPE_BROADCAST;
	if (frame[0] & 1)
		return f & (NDIS_PACKET_TYPE_MULTICAST |
			    NDIS_PACKET_TYPE_ALL_MULTICAST);
	return (f & NDIS_PACKET_TYPE_DIRECTED) &&
	       !memcmp(frame, nic->mac, ETH_ALEN_);
}
