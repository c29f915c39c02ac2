// SPDX-License-Identifier: GPL-2.0
/*
 * hv_netvsc: the RNDIS side. Control requests (INITIALIZE, QUERY, SET,
 * HALT) travel in send-buffer sections on the primary channel; their
 * replies arrive as receive-buffer messages like frames do, and are
 * matched to the waiting transaction by request id. Received PACKET
 * messages and their per-packet info are checked here before a frame
 * reaches the stack.
 */
#include <linux/delay.h>
#include <linux/etherdevice.h>
#include <linux/ethtool.h>
#include <linux/if_vlan.h>
#include <linux/netdevice.h>
#include <kunit/visibility.h>

#include "netvsc.h"

/* Room for a reply: the largest answer we take (NDIS_OFFLOAD) and more. */
#define NETVSC_RNDIS_RESP_SIZE	512
/* Most bytes of a request's information buffer. */
#define NETVSC_RNDIS_REQ_MAX	1024
#define NETVSC_SECTION_WAIT_MS	1000

/* hashinfo of the RSS parameters: Toeplitz over IPv4/IPv6, TCP or not. */
#define NETVSC_RSS_HASHINFO	(NDIS_RSS_HASH_FUNC_TOEPLITZ |		\
				 NDIS_RSS_HASH_TYPE_IPV4 |		\
				 NDIS_RSS_HASH_TYPE_TCP_IPV4 |		\
				 NDIS_RSS_HASH_TYPE_IPV6 |		\
				 NDIS_RSS_HASH_TYPE_TCP_IPV6)

/**
 * struct netvsc_rndis_req - a control request waiting for its reply
 * @node: on netvsc_dev.reqs
 * @req_id: the request id the reply carries
 * @x: the transaction the receive path completes
 */
struct netvsc_rndis_req {
	struct list_head node;
	u32 req_id;
	struct vmbus_xact *x;
};

static struct device *netvsc_dev_of(struct netvsc_dev *nd)
{
	return &nd->hdev->device;
}

/* A u32 of a message in the receive buffer, read once. */
static u32 netvsc_read_u32(const void *p)
{
	u32 v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* A section for a control message; process context, waits a little. */
static int netvsc_ctl_section(struct netvsc_dev *nd)
{
	unsigned int waited;
	int s;

	for (waited = 0; waited < NETVSC_SECTION_WAIT_MS; waited++) {
		s = netvsc_section_get(nd, 0);
		if (s >= 0)
			return s;
		usleep_range(1000, 2000);
	}
	return -EBUSY;
}

/* Put an RNDIS control message in a section and send it on the primary. */
static int netvsc_ctl_send(struct netvsc_dev *nd, const void *msg, u32 len)
{
	int s, ret;

	if (len > nd->send.slot_size)
		return -EMSGSIZE;
	s = netvsc_ctl_section(nd);
	if (s < 0)
		return s;
	memcpy(netvsc_section_mem(nd, s), msg, len);
	ret = netvsc_send_section(&nd->chans[0], s, len,
				  NVSP_RNDIS_CHANNEL_CONTROL,
				  VMBUS_SEND_MAY_SLEEP);
	if (ret)
		netvsc_section_put(nd, s);
	return ret;
}

static u32 netvsc_req_id(struct netvsc_dev *nd)
{
	return atomic_inc_return(&nd->next_req_id);
}

/*
 * Send request @msg (its req_id already set to @req_id) and wait for the
 * reply of @type. The reply is copied to @resp (NETVSC_RNDIS_RESP_SIZE
 * bytes); return its length, or a negative error.
 */
static int netvsc_rndis_xact(struct netvsc_dev *nd, const void *msg, u32 len,
			     u32 req_id, u32 type, void *resp)
{
	struct netvsc_rndis_req r = { .req_id = req_id };
	const struct rndis_msg_hdr *h;
	const void *reply;
	u32 rlen;
	int ret;

	r.x = vmbus_xact_alloc(nd->hdev->channel, NETVSC_RNDIS_RESP_SIZE,
			       GFP_KERNEL);
	if (!r.x)
		return -ENOMEM;
	spin_lock_bh(&nd->req_lock);
	list_add_tail(&r.node, &nd->reqs);
	spin_unlock_bh(&nd->req_lock);

	ret = netvsc_ctl_send(nd, msg, len);
	if (!ret)
		ret = vmbus_xact_wait(r.x, NETVSC_CTL_TIMEOUT_MS);

	spin_lock_bh(&nd->req_lock);
	list_del(&r.node);
	spin_unlock_bh(&nd->req_lock);
	if (!ret) {
		reply = vmbus_xact_reply(r.x, &rlen);
		h = reply;
		rlen = min_t(u32, rlen, NETVSC_RNDIS_RESP_SIZE);
		if (h->msg_type != type) {
			dev_err(netvsc_dev_of(nd), "RNDIS: reply %#x to request %#x\n",
				h->msg_type, type & ~RNDIS_MSG_CMPLT);
			ret = -EPROTO;
		} else {
			memcpy(resp, reply, rlen);
			ret = rlen;
		}
	}
	vmbus_xact_put(r.x);
	return ret;
}

static int netvsc_rndis_init(struct netvsc_dev *nd)
{
	struct rndis_initialize_cmplt *c;
	struct rndis_initialize req = {
		.hdr = { RNDIS_MSG_INIT, sizeof(req) },
		.req_id = netvsc_req_id(nd),
		.major_ver = RNDIS_MAJOR_VERSION,
		.minor_ver = RNDIS_MINOR_VERSION,
		.max_xfer_size = RNDIS_GUEST_MAX_XFER_SIZE,
	};
	int ret;

	c = kzalloc(NETVSC_RNDIS_RESP_SIZE, GFP_KERNEL);
	if (!c)
		return -ENOMEM;
	ret = netvsc_rndis_xact(nd, &req, sizeof(req), req.req_id,
				RNDIS_MSG_INIT_C, c);
	if (ret >= 0 && (ret < sizeof(*c) || c->status != RNDIS_STATUS_SUCCESS ||
			 c->pkt_alignment_factor > PAGE_SHIFT)) {
		dev_err(netvsc_dev_of(nd), "RNDIS: INITIALIZE failed (%d bytes, status %#x)\n",
			ret, ret >= 16 ? c->status : 0);
		ret = -EPROTO;
	}
	if (ret >= 0) {
		nd->pkt_align = 1U << c->pkt_alignment_factor;
		ret = 0;
	}
	kfree(c);
	return ret;
}

/* QUERY or SET @oid with @buf as the information buffer. */
static int netvsc_rndis_request(struct netvsc_dev *nd, u32 type, u32 oid,
				const void *buf, u32 len, void *resp)
{
	struct rndis_request *req;
	u32 size = sizeof(*req) + len;
	int ret;

	if (len > NETVSC_RNDIS_REQ_MAX)
		return -EINVAL;
	req = kzalloc(size, GFP_KERNEL);
	if (!req)
		return -ENOMEM;
	req->hdr.msg_type = type;
	req->hdr.msg_len = size;
	req->req_id = netvsc_req_id(nd);
	req->oid = oid;
	req->info_buflen = len;
	req->info_buf_offset = RNDIS_REQ_INFO_OFFSET;
	memcpy(req + 1, buf, len);
	ret = netvsc_rndis_xact(nd, req, size, req->req_id,
				type | RNDIS_MSG_CMPLT, resp);
	kfree(req);
	return ret;
}

/**
 * netvsc_rndis_query() - QUERY an OID
 * @nd: the device
 * @oid: RNDIS_OID_*
 * @in: request information buffer (some OIDs want a header), or NULL
 * @in_len: its bytes
 * @out: the answer
 * @out_len: room at @out
 *
 * Return: bytes of the answer copied to @out (the host's data must lie
 * inside its reply), or a negative error.
 */
static int netvsc_rndis_query(struct netvsc_dev *nd, u32 oid, const void *in,
			      u32 in_len, void *out, u32 out_len)
{
	struct rndis_query_cmplt *c;
	int ret;
	u64 off;

	c = kzalloc(NETVSC_RNDIS_RESP_SIZE, GFP_KERNEL);
	if (!c)
		return -ENOMEM;
	ret = netvsc_rndis_request(nd, RNDIS_MSG_QUERY, oid, in, in_len, c);
	if (ret < 0)
		goto out;
	off = RNDIS_BODY_OFFSET + (u64)c->info_buf_offset;
	if (ret < sizeof(*c) || c->status != RNDIS_STATUS_SUCCESS ||
	    c->info_buf_offset < RNDIS_QUERY_CMPLT_INFO_OFFSET ||
	    off + c->info_buflen > min_t(u32, ret, c->hdr.msg_len)) {
		dev_dbg(netvsc_dev_of(nd), "RNDIS: QUERY %#x failed (status %#x)\n",
			oid, ret >= sizeof(*c) ? c->status : 0);
		ret = ret >= sizeof(*c) && c->status != RNDIS_STATUS_SUCCESS ?
		      -EOPNOTSUPP : -EPROTO;
		goto out;
	}
	ret = min(c->info_buflen, out_len);
	memcpy(out, (u8 *)c + off, ret);
out:
	kfree(c);
	return ret;
}

static int netvsc_rndis_query_u32(struct netvsc_dev *nd, u32 oid, u32 *val)
{
	int ret = netvsc_rndis_query(nd, oid, NULL, 0, val, sizeof(*val));

	return ret < 0 ? ret : ret == sizeof(*val) ? 0 : -EPROTO;
}

static int netvsc_rndis_set(struct netvsc_dev *nd, u32 oid, const void *buf,
			    u32 len)
{
	struct rndis_set_cmplt *c;
	int ret;

	c = kzalloc(NETVSC_RNDIS_RESP_SIZE, GFP_KERNEL);
	if (!c)
		return -ENOMEM;
	ret = netvsc_rndis_request(nd, RNDIS_MSG_SET, oid, buf, len, c);
	if (ret >= 0 && (ret < sizeof(*c) || c->status != RNDIS_STATUS_SUCCESS)) {
		dev_err(netvsc_dev_of(nd), "RNDIS: SET %#x failed (status %#x)\n",
			oid, ret >= sizeof(*c) ? c->status : 0);
		ret = -EIO;
	}
	kfree(c);
	return ret < 0 ? ret : 0;
}

/**
 * netvsc_rndis_set_filter() - SET the NDIS packet filter
 * @nd: the device
 * @filter: NDIS_PACKET_TYPE_* bits
 *
 * Return: 0 or a negative error.
 */
int netvsc_rndis_set_filter(struct netvsc_dev *nd, u32 filter)
{
	int ret = netvsc_rndis_set(nd, RNDIS_OID_GEN_CURRENT_PACKET_FILTER,
				   &filter, sizeof(filter));

	if (!ret)
		nd->filter = filter;
	return ret;
}

/**
 * netvsc_rndis_set_mac() - ask the host to use another MAC address
 * @nd: the device
 * @mac: the address
 *
 * The "NetworkAddress" configuration parameter: a UTF-16 name and the
 * address as 12 UTF-16 hex digits.
 *
 * Return: 0 or a negative error.
 */
int netvsc_rndis_set_mac(struct netvsc_dev *nd, const u8 *mac)
{
	static const char name[] = "NetworkAddress";
	struct {
		struct rndis_config_param p;
		__le16 name[sizeof(name) - 1];
		__le16 value[2 * ETH_ALEN];
	} __packed buf = {
		.p = {
			.name_offset = offsetof(typeof(buf), name),
			.name_length = sizeof(buf.name),
			.type = RNDIS_CONFIG_PARAM_STRING,
			.value_offset = offsetof(typeof(buf), value),
			.value_length = sizeof(buf.value),
		},
	};
	unsigned int i;

	for (i = 0; i < sizeof(name) - 1; i++)
		buf.name[i] = cpu_to_le16(name[i]);
	for (i = 0; i < ETH_ALEN; i++) {
		buf.value[2 * i] = cpu_to_le16(hex_asc_hi(mac[i]));
		buf.value[2 * i + 1] = cpu_to_le16(hex_asc_lo(mac[i]));
	}
	return netvsc_rndis_set(nd, RNDIS_OID_GEN_RNDIS_CONFIG_PARAMETER, &buf,
				sizeof(buf));
}

/* OID_GEN_RECEIVE_SCALE_PARAMETERS: the parameters, the table, the key. */
struct netvsc_rss_buf {
	struct ndis_rss_params p;
	u32 table[NDIS_RSS_INDIRECTION_ENTRIES];
	u8 key[NDIS_RSS_HASH_KEY_SIZE];
} __packed;

/**
 * netvsc_rndis_set_rss() - SET the RSS parameters (key and table)
 * @nd: the device, its key and indirection table filled
 * @enable: false: RSS off
 *
 * Return: 0 or a negative error.
 */
int netvsc_rndis_set_rss(struct netvsc_dev *nd, bool enable)
{
	struct netvsc_rss_buf *buf;
	u32 i;
	int ret;

	buf = kzalloc(sizeof(*buf), GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	buf->p.header.type = NDIS_OBJECT_TYPE_RSS_PARAMS;
	buf->p.header.revision = NDIS_RSS_PARAMS_REVISION_2;
	buf->p.header.size = NDIS_RSS_PARAMS_SIZE;
	buf->p.flag = enable ? 0 : NDIS_RSS_PARAM_FLAG_DISABLE_RSS;
	buf->p.hashinfo = NETVSC_RSS_HASHINFO;
	buf->p.indirect_tabsize = sizeof(buf->table);
	buf->p.indirect_taboffset = offsetof(struct netvsc_rss_buf, table);
	buf->p.hashkey_size = sizeof(buf->key);
	buf->p.hashkey_offset = offsetof(struct netvsc_rss_buf, key);
	/* The host's table names channels by their index, not our queues. */
	for (i = 0; i < NDIS_RSS_INDIRECTION_ENTRIES; i++)
		buf->table[i] = nd->chans[nd->rss_indir[i]].sub_index;
	memcpy(buf->key, nd->rss_key, sizeof(buf->key));
	ret = netvsc_rndis_set(nd, RNDIS_OID_GEN_RECEIVE_SCALE_PARAMETERS, buf,
			       sizeof(*buf));
	kfree(buf);
	return ret;
}

/**
 * netvsc_rndis_halt() - tell the device to stop (no reply comes)
 * @nd: the device
 */
void netvsc_rndis_halt(struct netvsc_dev *nd)
{
	struct rndis_halt req = {
		.hdr = { RNDIS_MSG_HALT, sizeof(req) },
		.req_id = netvsc_req_id(nd),
	};

	netvsc_ctl_send(nd, &req, sizeof(req));
}

/* --- offloads --------------------------------------------------------- */

static bool netvsc_has(u32 word, u32 bits)
{
	return (word & bits) == bits;
}

/* The offloads of the host's NDIS_OFFLOAD, as net_device features. */
static void netvsc_offload_features(struct netvsc_dev *nd,
				    const struct ndis_offload *o)
{
	netdev_features_t f = NETIF_F_RXCSUM | NETIF_F_SG |
			      NETIF_F_HW_VLAN_CTAG_TX | NETIF_F_HW_VLAN_CTAG_RX;
	u32 tcp4 = NDIS_TXCSUM_CAP_TCP4 | NDIS_TXCSUM_CAP_TCP4_OPTIONS;
	u32 tcp6 = NDIS_TXCSUM_CAP_TCP6 | NDIS_TXCSUM_CAP_TCP6_OPTIONS;

	if (netvsc_has(o->csum.ip4_tx_csum, tcp4 | NDIS_TXCSUM_CAP_UDP4))
		f |= NETIF_F_IP_CSUM;
	if (netvsc_has(o->csum.ip6_tx_csum, tcp6 | NDIS_TXCSUM_CAP_UDP6))
		f |= NETIF_F_IPV6_CSUM;
	if ((f & NETIF_F_IP_CSUM) &&
	    (o->lsov2.ip4_encap & NDIS_OFFLOAD_ENCAP_8023))
		f |= NETIF_F_TSO;
	if ((f & NETIF_F_IPV6_CSUM) &&
	    (o->lsov2.ip6_encap & NDIS_OFFLOAD_ENCAP_8023) &&
	    netvsc_has(o->lsov2.ip6_opts, NDIS_LSOV2_CAP_IP6_EXT_HDR |
		       NDIS_LSOV2_CAP_TCP6_OPTIONS))
		f |= NETIF_F_TSO6;
	/* RSC: NVSP 6.1 and a host that coalesces both IP versions. */
	if (nd->nvsp_ver >= NVSP_VERSION_61 && o->rsc_ip4 && o->rsc_ip6)
		f |= NETIF_F_LRO;
	nd->lso_max_size = min_t(u32, o->lsov2.ip4_max_size, GSO_LEGACY_MAX_SIZE);
	if (f & NETIF_F_TSO6)
		nd->lso_max_size = min(nd->lso_max_size, o->lsov2.ip6_max_size);
	if (!nd->lso_max_size)
		f &= ~(NETIF_F_TSO | NETIF_F_TSO6);
	nd->hw_features = f;
}

static u8 netvsc_csum_param(netdev_features_t f, netdev_features_t need)
{
	return f & need ? NDIS_OFFLOAD_PARAM_TXRX_ENABLED :
			  NDIS_OFFLOAD_PARAM_RX_ENABLED_TX_DISABLED;
}

static u8 netvsc_lso_param(netdev_features_t f, netdev_features_t need)
{
	return f & need ? NDIS_OFFLOAD_PARAM_LSO_ENABLED :
			  NDIS_OFFLOAD_PARAM_LSO_DISABLED;
}

static u8 netvsc_rsc_param(netdev_features_t f)
{
	return f & NETIF_F_LRO ? NDIS_OFFLOAD_PARAM_RSC_ENABLED :
				 NDIS_OFFLOAD_PARAM_RSC_DISABLED;
}

/**
 * netvsc_rndis_set_offloads() - tell the host which offloads to use
 * @nd: the device, with RNDIS initialized
 * @f: the features wanted (of those the host offers)
 *
 * Return: 0 or a negative errno.
 */
int netvsc_rndis_set_offloads(struct netvsc_dev *nd, netdev_features_t f)
{
	struct ndis_offload_params p = {
		.header = {
			.type = NDIS_OBJECT_TYPE_DEFAULT,
			.revision = NDIS_OFFLOAD_PARAMS_REVISION_3,
			.size = NDIS_OFFLOAD_PARAMS_SIZE,
		},
		/* The stack computes IPv4 header checksums itself. */
		.ip_v4_csum = NDIS_OFFLOAD_PARAM_TXRX_DISABLED,
		.tcp_ip_v4_csum = netvsc_csum_param(f, NETIF_F_IP_CSUM),
		.udp_ip_v4_csum = netvsc_csum_param(f, NETIF_F_IP_CSUM),
		.tcp_ip_v6_csum = netvsc_csum_param(f, NETIF_F_IPV6_CSUM),
		.udp_ip_v6_csum = netvsc_csum_param(f, NETIF_F_IPV6_CSUM),
		.lso_v2_ipv4 = netvsc_lso_param(f, NETIF_F_TSO),
		.lso_v2_ipv6 = netvsc_lso_param(f, NETIF_F_TSO6),
		.rsc_ip_v4 = netvsc_rsc_param(f),
		.rsc_ip_v6 = netvsc_rsc_param(f),
	};
	u32 len = sizeof(p);

	if (nd->nvsp_ver <= NVSP_VERSION_4) {
		p.header.revision = NDIS_OFFLOAD_REVISION_2;
		len = NDIS_OFFLOAD_PARAMS_SIZE_V4;
	}
	p.header.size = len;
	return netvsc_rndis_set(nd, RNDIS_OID_TCP_OFFLOAD_PARAMETERS, &p, len);
}

static int netvsc_query_offloads(struct netvsc_dev *nd)
{
	struct ndis_offload o = { .header.type = NDIS_OBJECT_TYPE_OFFLOAD };
	int ret;

	if (nd->nvsp_ver >= NVSP_VERSION_5) {
		o.header.revision = NDIS_OFFLOAD_REVISION_3;
		o.header.size = NDIS_OFFLOAD_SIZE_REVISION_3;
	} else if (nd->nvsp_ver >= NVSP_VERSION_4) {
		o.header.revision = NDIS_OFFLOAD_REVISION_2;
		o.header.size = NDIS_OFFLOAD_SIZE_REVISION_2;
	} else {
		o.header.revision = NDIS_OFFLOAD_REVISION_1;
		o.header.size = NDIS_OFFLOAD_SIZE_REVISION_1;
	}
	ret = netvsc_rndis_query(nd, RNDIS_OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES,
				 &o, o.header.size, &o, sizeof(o));
	if (ret < 0)
		return ret;
	if (ret < NDIS_OFFLOAD_SIZE_REVISION_1 ||
	    o.header.type != NDIS_OBJECT_TYPE_OFFLOAD || !o.header.revision ||
	    o.header.size < NDIS_OFFLOAD_SIZE_REVISION_1) {
		dev_err(netvsc_dev_of(nd), "RNDIS: bad offload capabilities (%d bytes)\n",
			ret);
		return -EPROTO;
	}
	/* Bytes the host did not send stay zero: nothing offered. */
	if (ret < sizeof(o))
		memset((u8 *)&o + ret, 0, sizeof(o) - ret);
	netvsc_offload_features(nd, &o);
	/* A device set up again keeps what the user switched off. */
	if (READ_ONCE(nd->ndev->reg_state) == NETREG_REGISTERED)
		return netvsc_rndis_set_offloads(nd, nd->hw_features &
						 nd->ndev->features);
	return netvsc_rndis_set_offloads(nd, nd->hw_features);
}

/* How many receive queues the host offers (1 without RSS). */
static void netvsc_query_rss(struct netvsc_dev *nd)
{
	struct ndis_rss_caps caps = {
		.header = {
			.type = NDIS_OBJECT_TYPE_RSS_CAPS,
			.revision = NDIS_RSS_CAPS_REVISION_2,
			.size = NDIS_RSS_CAPS_SIZE,
		},
	};
	int ret;

	nd->rss_queues = 1;
	if (nd->nvsp_ver < NVSP_VERSION_5)
		return;
	ret = netvsc_rndis_query(nd, RNDIS_OID_GEN_RECEIVE_SCALE_CAPABILITIES,
				 &caps, sizeof(caps), &caps, sizeof(caps));
	if (ret == sizeof(caps) && caps.num_recv_que)
		nd->rss_queues = min_t(u32, caps.num_recv_que,
				       NETVSC_MAX_CHANNELS);
}

static void netvsc_query_link(struct netvsc_dev *nd)
{
	u32 state, speed;

	if (netvsc_rndis_query_u32(nd, RNDIS_OID_GEN_MEDIA_CONNECT_STATUS,
				   &state))
		state = RNDIS_MEDIA_STATE_CONNECTED;
	nd->link_up = state == RNDIS_MEDIA_STATE_CONNECTED;
	if (nd->nvsp_ver >= NVSP_VERSION_5 &&
	    !netvsc_rndis_query_u32(nd, RNDIS_OID_GEN_LINK_SPEED, &speed))
		nd->link_speed = speed;
}

static int netvsc_query_mac(struct netvsc_dev *nd)
{
	u8 mac[ETH_ALEN];
	int ret;

	ret = netvsc_rndis_query(nd, RNDIS_OID_802_3_PERMANENT_ADDRESS, NULL,
				 0, mac, sizeof(mac));
	if (ret != ETH_ALEN || !is_valid_ether_addr(mac)) {
		dev_err(netvsc_dev_of(nd), "RNDIS: no valid MAC address (%d)\n",
			ret);
		return ret < 0 ? ret : -EPROTO;
	}
	memcpy(nd->ndev->perm_addr, mac, ETH_ALEN);
	return 0;
}

/* The host's payload MTU; the device's MTU never exceeds it. */
static void netvsc_query_mtu(struct netvsc_dev *nd)
{
	struct net_device *ndev = nd->ndev;
	u32 frame;

	if (netvsc_rndis_query_u32(nd, RNDIS_OID_GEN_MAXIMUM_FRAME_SIZE, &frame))
		return;
	if (frame >= NETVSC_MTU_MIN && frame < ndev->mtu)
		ndev->mtu = frame;
}

/**
 * netvsc_rndis_setup() - bring the RNDIS device up
 * @nd: the device, NVSP set up
 *
 * INITIALIZE, the MTU and MAC, the offloads (capabilities queried, our
 * parameters set), the media state and link speed, and the RSS
 * capabilities, as a Linux guest does.
 *
 * Return: 0 or a negative error.
 */
int netvsc_rndis_setup(struct netvsc_dev *nd)
{
	int ret;

	ret = netvsc_rndis_init(nd);
	if (ret)
		return ret;
	netvsc_query_mtu(nd);
	ret = netvsc_query_mac(nd);
	if (ret)
		return ret;
	ret = netvsc_query_offloads(nd);
	if (ret)
		return ret;
	netvsc_query_link(nd);
	netvsc_query_rss(nd);
	return 0;
}

/* --- receiving ---------------------------------------------------------- */

/* A reply to a control request: hand it to the waiter. */
static void netvsc_rndis_reply(struct netvsc_dev *nd, const void *msg, u32 len)
{
	struct netvsc_rndis_req *r;
	u32 req_id;
	bool taken = false;

	if (len < sizeof(struct rndis_msg_hdr) + sizeof(req_id))
		goto bad;
	req_id = netvsc_read_u32(msg + RNDIS_BODY_OFFSET);
	spin_lock_bh(&nd->req_lock);
	list_for_each_entry(r, &nd->reqs, node) {
		if (r->req_id == req_id) {
			taken = vmbus_xact_complete(r->x, msg, len);
			break;
		}
	}
	spin_unlock_bh(&nd->req_lock);
	if (taken)
		return;
bad:
	dev_err_ratelimited(&nd->hdev->device, "RNDIS: unsolicited reply (%u bytes)\n",
			    len);
}

static void netvsc_rndis_indicate(struct netvsc_dev *nd, const void *msg,
				  u32 len)
{
	struct rndis_indicate_status s;
	u64 off;

	if (len < sizeof(s))
		goto bad;
	memcpy(&s, msg, sizeof(s));
	switch (s.status) {
	case RNDIS_STATUS_MEDIA_CONNECT:
		netvsc_link_change(nd, true);
		return;
	case RNDIS_STATUS_MEDIA_DISCONNECT:
		netvsc_link_change(nd, false);
		return;
	case RNDIS_STATUS_NETWORK_CHANGE:
		/* The network behind the link changed: a link bounce. */
		netvsc_link_change(nd, false);
		netvsc_link_change(nd, true);
		return;
	case RNDIS_STATUS_LINK_SPEED_CHANGE:
		off = RNDIS_BODY_OFFSET + (u64)s.status_buf_offset;
		if (s.status_buflen < sizeof(u32) || off + sizeof(u32) > len)
			goto bad;
		WRITE_ONCE(nd->link_speed, netvsc_read_u32(msg + off));
		return;
	default:
		return;
	}
bad:
	dev_err_ratelimited(&nd->hdev->device, "RNDIS: bad status indication (%u bytes)\n",
			    len);
}

static void netvsc_rx_ppi(struct netvsc_rx_info *info, u32 type, u32 val)
{
	switch (type) {
	case RNDIS_PPI_CHECKSUM:
		info->csum = val;
		break;
	case RNDIS_PPI_HASH_VALUE:
		info->hash = val;
		info->has_hash = true;
		break;
	case RNDIS_PPI_IEEE_8021Q:
		info->vlan = val;
		info->has_vlan = true;
		break;
	}
}

/* The packet-id PPI of an RSC fragment: its flags are what we use. */
static void netvsc_rx_pktid(struct netvsc_rx_info *info, const void *val)
{
	struct rndis_pktid id;

	memcpy(&id, val, sizeof(id));
	info->frag = id.flags & (RNDIS_PKTID_FIRST_FRAG | RNDIS_PKTID_LAST_FRAG);
	info->has_pktid = true;
}

/* Walk the PPIs at @ppi, @len bytes; false if one breaks the rules. */
VISIBLE_IF_KUNIT bool netvsc_rx_ppis(const void *ppi, u32 len,
				     struct netvsc_rx_info *info)
{
	struct rndis_ppi p;

	while (len) {
		if (len < sizeof(p))
			return false;
		memcpy(&p, ppi, sizeof(p));
		if (p.size < sizeof(p) || p.size > len ||
		    p.ppi_offset < sizeof(p) || p.ppi_offset > p.size)
			return false;
		/* Every PPI we use is 4 bytes long; others are skipped. */
		if (p.size - p.ppi_offset < sizeof(u32))
			;
		else if (p.type == RNDIS_PPI_INTERNAL_PKT_ID)
			netvsc_rx_pktid(info, ppi + p.ppi_offset);
		else if (!(p.type & RNDIS_PPI_INTERNAL))
			netvsc_rx_ppi(info, p.type,
				      netvsc_read_u32(ppi + p.ppi_offset));
		ppi += p.size;
		len -= p.size;
	}
	return true;
}
EXPORT_SYMBOL_IF_KUNIT(netvsc_rx_ppis);

/* Whether @info makes its packet a fragment of a coalesced frame (RSC). */
static bool netvsc_rx_is_frag(const struct netvsc_rx_info *info)
{
	return info->has_pktid &&
	       info->frag != (RNDIS_PKTID_FIRST_FRAG | RNDIS_PKTID_LAST_FRAG);
}

/**
 * netvsc_rsc_step() - what an RSC fragment does
 * @frag: its RNDIS_PKTID_FIRST_FRAG and RNDIS_PKTID_LAST_FRAG flags (not
 *	both)
 * @building: a frame is being put together
 *
 * Return: the step; NETVSC_RSC_BAD for a later fragment with no frame.
 */
enum netvsc_rsc_step netvsc_rsc_step(u8 frag, bool building)
{
	if (frag & RNDIS_PKTID_FIRST_FRAG)
		return NETVSC_RSC_FIRST;
	if (!building)
		return NETVSC_RSC_BAD;
	return frag & RNDIS_PKTID_LAST_FRAG ? NETVSC_RSC_LAST :
					      NETVSC_RSC_MORE;
}
EXPORT_SYMBOL_IF_KUNIT(netvsc_rsc_step);

/*
 * Check a PACKET message of @len bytes for an interface of @mtu: its frame
 * and per-packet info must lie inside it. A whole frame holds at least an
 * Ethernet header and at most @mtu and a VLAN header; a fragment of a
 * coalesced one (RSC) is bounded by its range, and the first holds at
 * least the Ethernet header. Return: false if it breaks the rules; else
 * the frame is at @msg + *@data, *@frame_len bytes long.
 */
VISIBLE_IF_KUNIT bool netvsc_rx_check(const void *msg, u32 len, u32 mtu,
				      struct netvsc_rx_info *info, u32 *data,
				      u32 *frame_len)
{
	struct rndis_packet p;
	u64 start, ppi;

	if (len < sizeof(p))
		return false;
	memcpy(&p, msg, sizeof(p));
	start = RNDIS_BODY_OFFSET + (u64)p.data_offset;
	ppi = RNDIS_BODY_OFFSET + (u64)p.per_pkt_info_offset;
	if (start < sizeof(p) || start + p.data_len > len)
		return false;
	if (p.per_pkt_info_len &&
	    (ppi < sizeof(p) || ppi + p.per_pkt_info_len > len ||
	     !netvsc_rx_ppis(msg + ppi, p.per_pkt_info_len, info)))
		return false;
	if (!netvsc_rx_is_frag(info) || info->frag & RNDIS_PKTID_FIRST_FRAG) {
		if (p.data_len < ETH_HLEN)
			return false;
	} else if (!p.data_len) {
		return false;
	}
	if (!netvsc_rx_is_frag(info) && p.data_len > mtu + VLAN_ETH_HLEN)
		return false;
	*data = start;
	*frame_len = p.data_len;
	return true;
}
EXPORT_SYMBOL_IF_KUNIT(netvsc_rx_check);

/* A PACKET message: check it, then pass the frame up. */
static bool netvsc_rx_packet(struct netvsc_chan *nc, const void *msg, u32 len)
{
	struct netvsc_rx_info info = {};
	u32 data, frame_len;

	if (!netvsc_rx_check(msg, len, READ_ONCE(nc->nd->ndev->mtu), &info,
			     &data, &frame_len))
		goto bad;
	if (netvsc_rx_is_frag(&info)) {
		netvsc_rx_frag(nc, msg + data, frame_len, &info);
		return true;
	}
	/* A whole frame between fragments ends the frame being built. */
	netvsc_rx_end(nc);
	netvsc_rx_frame(nc, msg + data, frame_len, &info);
	return true;
bad:
	/* A frame being built has lost a piece. */
	netvsc_rx_end(nc);
	dev_err_ratelimited(&nc->nd->hdev->device,
			    "channel %u: malformed RNDIS packet (%u bytes): dropped\n",
			    nc->index, len);
	u64_stats_update_begin(&nc->rx.syncp);
	u64_stats_inc(&nc->rx.dropped);
	u64_stats_update_end(&nc->rx.syncp);
	return false;
}

/**
 * netvsc_rndis_recv() - one RNDIS message from the receive buffer
 * @nc: the channel it came on
 * @msg: the message, in the receive buffer
 * @len: bytes of its transfer-page range
 *
 * The host may change the buffer while we read it: each header is copied
 * before it is checked, and only the copies are used.
 *
 * Return: false if the message was malformed (and dropped).
 */
bool netvsc_rndis_recv(struct netvsc_chan *nc, const void *msg, u32 len)
{
	struct netvsc_dev *nd = nc->nd;
	struct rndis_msg_hdr h;

	if (len < sizeof(h))
		goto bad;
	memcpy(&h, msg, sizeof(h));
	if (h.msg_len < sizeof(h) || h.msg_len > len)
		goto bad;
	switch (h.msg_type) {
	case RNDIS_MSG_PACKET:
		return netvsc_rx_packet(nc, msg, h.msg_len);
	case RNDIS_MSG_INIT_C:
	case RNDIS_MSG_QUERY_C:
	case RNDIS_MSG_SET_C:
	case RNDIS_MSG_KEEPALIVE_C:
		netvsc_rndis_reply(nd, msg, h.msg_len);
		return true;
	case RNDIS_MSG_INDICATE:
		netvsc_rndis_indicate(nd, msg, h.msg_len);
		return true;
	}
bad:
	netvsc_rx_end(nc);
	dev_err_ratelimited(&nd->hdev->device,
			    "channel %u: bad RNDIS message (%u bytes, type %#x)\n",
			    nc->index, len,
			    len >= sizeof(h) ? h.msg_type : 0);
	return false;
}
