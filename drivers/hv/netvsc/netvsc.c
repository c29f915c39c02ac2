// SPDX-License-Identifier: GPL-2.0
/*
 * hv_netvsc: the Hyper-V synthetic NIC as a net_device.
 *
 * One TX/RX queue pair per VMBus channel (vRSS: the primary and its
 * sub-channels), NAPI per channel. Small frames are copied into sections
 * of the send buffer; large or fragmented ones go to the host as GPA
 * ranges with their RNDIS header pushed into the skb's headroom. Set-up
 * (NVSP, buffers, RNDIS, sub-channels) is one function and teardown its
 * mirror, so that an MTU or channel-count change re-initialises the
 * device the way probe and remove do. See Documentation/hv/netvsc.rst.
 */
#include <linux/etherdevice.h>
#include <linux/ethtool.h>
#include <linux/if_vlan.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/module.h>
#include <linux/netdevice.h>
#include <linux/skbuff.h>
#include <net/ip6_checksum.h>
#include <net/tcp.h>
#include "netvsc.h"

static unsigned int max_queues = 8;
module_param(max_queues, uint, 0444);
MODULE_PARM_DESC(max_queues, "Most queue pairs (channels) per NIC (default 8, at most 64)");

/* --- receive ------------------------------------------------------------ */

static void netvsc_stat_add(struct netvsc_queue_stats *s, u64 packets,
			    u64 bytes)
{
	u64_stats_update_begin(&s->syncp);
	u64_stats_add(&s->packets, packets);
	u64_stats_add(&s->bytes, bytes);
	u64_stats_update_end(&s->syncp);
}

static void netvsc_stat_inc(struct netvsc_queue_stats *s, u64_stats_t *c)
{
	u64_stats_update_begin(&s->syncp);
	u64_stats_inc(c);
	u64_stats_update_end(&s->syncp);
}

static bool netvsc_rx_csum_ok(u32 csum)
{
	return (csum & (RNDIS_RXCSUM_TCP_OK | RNDIS_RXCSUM_UDP_OK)) &&
	       !(csum & (RNDIS_RXCSUM_TCP_FAILED | RNDIS_RXCSUM_UDP_FAILED |
			 RNDIS_RXCSUM_IP_FAILED));
}

static u16 netvsc_vlan_tci(u32 vlan)
{
	u16 vid = (vlan & RNDIS_VLAN_ID_MASK) >> RNDIS_VLAN_ID_SHIFT;
	u16 prio = vlan & RNDIS_VLAN_PRIO_MASK;

	return vid | prio << VLAN_PRIO_SHIFT |
	       (vlan & RNDIS_VLAN_CFI ? VLAN_CFI_MASK : 0);
}

/* A received frame's skb, @len bytes copied in; NULL (counted) if none. */
static struct sk_buff *netvsc_rx_alloc(struct netvsc_chan *nc,
				       const void *frame, u32 len)
{
	struct net_device *ndev = nc->nd->ndev;
	struct sk_buff *skb;

	/* Not before register_netdev() nor after unregister_netdev(). */
	skb = READ_ONCE(ndev->reg_state) == NETREG_REGISTERED ?
	      napi_alloc_skb(&nc->napi, len) : NULL;
	if (!skb) {
		netvsc_stat_inc(&nc->rx, &nc->rx.dropped);
		return NULL;
	}
	skb_put_data(skb, frame, len);
	return skb;
}

/* Pass @skb up the stack with what @info says of it. */
static void netvsc_rx_up(struct netvsc_chan *nc, struct sk_buff *skb,
			 const struct netvsc_rx_info *info)
{
	struct net_device *ndev = nc->nd->ndev;
	bool vlan = info->has_vlan;
	u32 len = skb->len;

	/* With VLAN offload off, the tag goes back into the frame. */
	if (vlan && !(ndev->features & NETIF_F_HW_VLAN_CTAG_RX)) {
		skb = vlan_insert_tag(skb, htons(ETH_P_8021Q),
				      netvsc_vlan_tci(info->vlan));
		if (!skb) {
			netvsc_stat_inc(&nc->rx, &nc->rx.dropped);
			return;
		}
		vlan = false;
	}
	skb->protocol = eth_type_trans(skb, ndev);
	if ((ndev->features & NETIF_F_RXCSUM) &&
	    netvsc_rx_csum_ok(info->csum)) {
		skb->ip_summed = CHECKSUM_UNNECESSARY;
		netvsc_stat_inc(&nc->rx, &nc->rx.csum_ok);
	}
	if (info->has_hash && (ndev->features & NETIF_F_RXHASH))
		skb_set_hash(skb, info->hash, PKT_HASH_TYPE_L3);
	if (vlan)
		__vlan_hwaccel_put_tag(skb, htons(ETH_P_8021Q),
				       netvsc_vlan_tci(info->vlan));
	skb_record_rx_queue(skb, nc->index);
	netvsc_stat_add(&nc->rx, 1, len);
	napi_gro_receive(&nc->napi, skb);
}

/**
 * netvsc_rx_frame() - pass a received frame up the stack
 * @nc: the channel (its NAPI is running)
 * @frame: the frame in the receive buffer
 * @len: its bytes (at least an Ethernet header)
 * @info: its per-packet info
 */
void netvsc_rx_frame(struct netvsc_chan *nc, const void *frame, u32 len,
		     const struct netvsc_rx_info *info)
{
	struct sk_buff *skb = netvsc_rx_alloc(nc, frame, len);

	if (skb)
		netvsc_rx_up(nc, skb, info);
}

/*
 * Append @len bytes to the page fragments of @skb, filling each page
 * before taking another. Return: false if they do not fit.
 */
static bool netvsc_rsc_append(struct sk_buff *skb, const void *data, u32 len)
{
	struct skb_shared_info *si = skb_shinfo(skb);
	skb_frag_t *f;
	struct page *page;
	u32 room, n;

	while (len) {
		f = si->nr_frags ? &si->frags[si->nr_frags - 1] : NULL;
		room = f ? PAGE_SIZE - skb_frag_off(f) - skb_frag_size(f) : 0;
		if (!room) {
			if (si->nr_frags == MAX_SKB_FRAGS)
				return false;
			page = dev_alloc_page();
			if (!page)
				return false;
			skb_add_rx_frag(skb, si->nr_frags, page, 0, 0,
					PAGE_SIZE);
			continue;
		}
		n = min(len, room);
		memcpy(skb_frag_address(f) + skb_frag_size(f), data, n);
		skb_frag_size_add(f, n);
		skb->len += n;
		skb->data_len += n;
		data += n;
		len -= n;
	}
	return true;
}

/* Drop the frame being built from RSC fragments, for the reason @why. */
static void netvsc_rsc_drop(struct netvsc_chan *nc, const char *why)
{
	dev_err_ratelimited(&nc->nd->hdev->device,
			    "channel %u: RSC frame %s: dropped\n", nc->index, why);
	dev_kfree_skb_any(nc->rsc_skb);
	nc->rsc_skb = NULL;
	netvsc_stat_inc(&nc->rx, &nc->rx.dropped);
}

/**
 * netvsc_rx_end() - the end of one receive packet
 * @nc: the channel
 *
 * A series of RSC fragments the packet left unfinished is dropped: the
 * host sends every fragment of a frame in one packet.
 */
void netvsc_rx_end(struct netvsc_chan *nc)
{
	nc->rsc_lost = false;
	if (nc->rsc_skb)
		netvsc_rsc_drop(nc, "without its last fragment");
}

/**
 * netvsc_rx_frag() - one fragment of a frame the host coalesced (RSC)
 * @nc: the channel (its NAPI is running)
 * @frag: the fragment's bytes in the receive buffer
 * @len: their number
 * @info: the fragment's per-packet info (RNDIS_PKTID_* in @info->frag)
 *
 * The first fragment starts the frame and gives its per-packet info; the
 * last one passes it up. One out of order drops the frame. A frame
 * already dropped (no memory, too long) is counted once: the rest of its
 * fragments are passed over.
 */
void netvsc_rx_frag(struct netvsc_chan *nc, const void *frag, u32 len,
		    const struct netvsc_rx_info *info)
{
	bool last = info->frag & RNDIS_PKTID_LAST_FRAG;

	switch (netvsc_rsc_step(info->frag, nc->rsc_skb)) {
	case NETVSC_RSC_FIRST:
		netvsc_rx_end(nc);
		nc->rsc_skb = netvsc_rx_alloc(nc, frag, len);
		nc->rsc_lost = !nc->rsc_skb;
		nc->rsc_info = *info;
		return;
	case NETVSC_RSC_MORE:
	case NETVSC_RSC_LAST:
		if (!netvsc_rsc_append(nc->rsc_skb, frag, len)) {
			netvsc_rsc_drop(nc, "too long");
			nc->rsc_lost = !last;
			return;
		}
		if (!last)
			return;
		netvsc_stat_inc(&nc->rx, &nc->rx.rsc);
		netvsc_rx_up(nc, nc->rsc_skb, &nc->rsc_info);
		nc->rsc_skb = NULL;
		return;
	default:
		if (nc->rsc_lost) {
			nc->rsc_lost = !last;
			return;
		}
		dev_err_ratelimited(&nc->nd->hdev->device,
				    "channel %u: RSC fragment %#x out of order: dropped\n",
				    nc->index, info->frag);
		netvsc_stat_inc(&nc->rx, &nc->rx.dropped);
	}
}

/**
 * netvsc_link_change() - the host reported the media state
 * @nd: the device
 * @up: connected
 */
void netvsc_link_change(struct netvsc_dev *nd, bool up)
{
	WRITE_ONCE(nd->link_up, up);
	/* Probe sets the carrier from link_up once the device is registered. */
	if (READ_ONCE(nd->ndev->reg_state) != NETREG_REGISTERED)
		return;
	if (up)
		netif_carrier_on(nd->ndev);
	else
		netif_carrier_off(nd->ndev);
}

/* --- transmit ------------------------------------------------------------ */

/* Append a u32 PPI to the PACKET header at @p; return its bytes. */
static u32 netvsc_add_ppi(struct rndis_packet *p, u32 type, u32 value)
{
	struct rndis_ppi *ppi = (void *)(p + 1) + p->per_pkt_info_len;

	ppi->size = RNDIS_PPI_U32_SIZE;
	ppi->type = type;
	ppi->ppi_offset = sizeof(*ppi);
	memcpy(ppi + 1, &value, sizeof(value));
	p->per_pkt_info_len += RNDIS_PPI_U32_SIZE;
	return RNDIS_PPI_U32_SIZE;
}

/* The L4 protocol of a CHECKSUM_PARTIAL frame, with its IP version. */
static u8 netvsc_l4_proto(struct sk_buff *skb, bool *ipv6)
{
	switch (vlan_get_protocol(skb)) {
	case htons(ETH_P_IP):
		*ipv6 = false;
		return ip_hdr(skb)->protocol;
	case htons(ETH_P_IPV6):
		*ipv6 = true;
		return ipv6_hdr(skb)->nexthdr;
	default:
		return 0;
	}
}

/* The checksum PPI for @skb, or 0 if the stack must checksum it. */
static u32 netvsc_csum_info(struct sk_buff *skb)
{
	u32 off = skb_transport_offset(skb);
	bool ipv6;
	u32 info;

	switch (netvsc_l4_proto(skb, &ipv6)) {
	case IPPROTO_TCP:
		if (skb->csum_offset != offsetof(struct tcphdr, check))
			return 0;
		info = RNDIS_TXCSUM_TCP;
		break;
	case IPPROTO_UDP:
		if (skb->csum_offset != offsetof(struct udphdr, check))
			return 0;
		info = RNDIS_TXCSUM_UDP;
		break;
	default:
		return 0;
	}
	info |= ipv6 ? RNDIS_TXCSUM_IS_IPV6 : RNDIS_TXCSUM_IS_IPV4;
	return info | (off << RNDIS_TXCSUM_TCP_OFFSET_SHIFT &
		       RNDIS_TXCSUM_TCP_OFFSET_MASK);
}

/*
 * LSOv2 wants the IP length fields zero and the TCP checksum seeded with
 * the pseudo-header without a length; the host fills both per segment.
 */
static int netvsc_lso_info(struct sk_buff *skb, u32 *info)
{
	u32 mss = skb_shinfo(skb)->gso_size;
	u32 off = skb_transport_offset(skb);

	if (skb_cow_head(skb, NETVSC_TX_HDR_MAX))
		return -ENOMEM;
	*info = RNDIS_LSO_TYPE_V2 | (mss & RNDIS_LSO_MSS_MASK) |
		(off << RNDIS_LSO_TCP_OFFSET_SHIFT & RNDIS_LSO_TCP_OFFSET_MASK);
	if (skb_shinfo(skb)->gso_type & SKB_GSO_TCPV4) {
		struct iphdr *iph = ip_hdr(skb);

		iph->tot_len = 0;
		iph->check = 0;
		tcp_hdr(skb)->check = ~csum_tcpudp_magic(iph->saddr, iph->daddr,
							 0, IPPROTO_TCP, 0);
		return 0;
	}
	if (skb_shinfo(skb)->gso_type & SKB_GSO_TCPV6) {
		*info |= RNDIS_LSO_IPV6;
		tcp_v6_gso_csum_prep(skb);
		return 0;
	}
	return -EPROTONOSUPPORT;
}

/* Offload PPIs of @skb appended to @p; a negative error drops the frame. */
static int netvsc_tx_ppis(struct sk_buff *skb, struct rndis_packet *p)
{
	u32 info;
	int ret;

	if (skb_vlan_tag_present(skb)) {
		u16 tci = skb_vlan_tag_get(skb);

		info = (tci & VLAN_VID_MASK) << RNDIS_VLAN_ID_SHIFT |
		       (tci >> VLAN_PRIO_SHIFT & RNDIS_VLAN_PRIO_MASK) |
		       (tci & VLAN_CFI_MASK ? RNDIS_VLAN_CFI : 0);
		netvsc_add_ppi(p, RNDIS_PPI_IEEE_8021Q, info);
	}
	if (skb_is_gso(skb)) {
		ret = netvsc_lso_info(skb, &info);
		if (ret)
			return ret;
		netvsc_add_ppi(p, RNDIS_PPI_LSO, info);
	} else if (skb->ip_summed == CHECKSUM_PARTIAL) {
		info = netvsc_csum_info(skb);
		if (!info)
			return skb_checksum_help(skb);
		netvsc_add_ppi(p, RNDIS_PPI_CHECKSUM, info);
	}
	return 0;
}

/* Build the RNDIS PACKET header for @skb in @p; return its bytes. */
static int netvsc_tx_header(struct sk_buff *skb, struct rndis_packet *p)
{
	int ret;

	memset(p, 0, sizeof(*p));
	p->hdr.msg_type = RNDIS_MSG_PACKET;
	p->per_pkt_info_offset = RNDIS_PACKET_BODY_SIZE;
	ret = netvsc_tx_ppis(skb, p);
	if (ret)
		return ret;
	if (!p->per_pkt_info_len)
		p->per_pkt_info_offset = 0;
	p->data_offset = RNDIS_PACKET_BODY_SIZE + p->per_pkt_info_len;
	p->data_len = skb->len;
	p->hdr.msg_len = sizeof(*p) + p->per_pkt_info_len + skb->len;
	return sizeof(*p) + p->per_pkt_info_len;
}

/* Copy a frame into a send section; -ENOSPC: too big or none free. */
static int netvsc_xmit_copy(struct netvsc_chan *nc, struct sk_buff *skb,
			    const void *hdr, u32 hdr_len, unsigned int flags)
{
	struct netvsc_dev *nd = nc->nd;
	void *mem;
	int s, ret;

	if (hdr_len + skb->len > nd->send.slot_size)
		return -ENOSPC;
	s = netvsc_section_get(nd, NETVSC_CTL_SECTIONS);
	if (s < 0)
		return s;
	mem = netvsc_section_mem(nd, s);
	memcpy(mem, hdr, hdr_len);
	ret = skb_copy_bits(skb, 0, mem + hdr_len, skb->len);
	if (!ret)
		ret = netvsc_send_section(nc, s, hdr_len + skb->len,
					  NVSP_RNDIS_CHANNEL_DATA, flags);
	if (ret) {
		netvsc_section_put(nd, s);
		/* -ENOSPC means a section: not the case here. */
		return ret == -ENOSPC ? -EIO : ret;
	}
	netvsc_stat_inc(&nc->tx, &nc->tx.copied);
	dev_consume_skb_any(skb);
	return 0;
}

/* Send a frame where it is, its header pushed in front. */
static int netvsc_xmit_direct(struct netvsc_chan *nc, struct sk_buff *skb,
			      const void *hdr, u32 hdr_len, unsigned int flags)
{
	int ret;

	if (skb_cow_head(skb, hdr_len))
		return -ENOMEM;
	memcpy(skb_push(skb, hdr_len), hdr, hdr_len);
	ret = netvsc_send_skb_pages(nc, skb, flags);
	if (ret == -EMSGSIZE && !skb_linearize(skb))
		ret = netvsc_send_skb_pages(nc, skb, flags);
	if (!ret)
		netvsc_stat_inc(&nc->tx, &nc->tx.direct);
	else if (ret == -EAGAIN)
		skb_pull(skb, hdr_len);	/* the stack gives it back later */
	return ret;
}

static netdev_tx_t netvsc_start_xmit(struct sk_buff *skb,
				     struct net_device *ndev)
{
	struct netvsc_dev *nd = netdev_priv(ndev);
	u16 q = skb_get_queue_mapping(skb);
	struct netvsc_chan *nc = &nd->chans[q];
	struct netdev_queue *txq = netdev_get_tx_queue(ndev, q);
	u8 hdr[NETVSC_TX_HDR_MAX] __aligned(8);
	unsigned int flags = 0;
	u32 len = skb->len;
	int hdr_len, ret;
	bool more;

	if (READ_ONCE(nc->dead)) {
		ret = -ENODEV;
		goto drop;
	}
	hdr_len = netvsc_tx_header(skb, (void *)hdr);
	if (hdr_len < 0) {
		ret = hdr_len;
		goto drop;
	}
	more = netdev_xmit_more() && !netif_xmit_stopped(txq);
	if (more)
		flags = VMBUS_SEND_DEFER_SIGNAL;
	ret = netvsc_xmit_copy(nc, skb, hdr, hdr_len, flags);
	if (ret == -ENOSPC)
		ret = netvsc_xmit_direct(nc, skb, hdr, hdr_len, flags);
	if (ret == -EAGAIN) {
		/* Ring or request ids full for a moment: retried on a wake. */
		vmbus_chan_kick(nc->chan);
		netvsc_tx_stop(nc);
		return NETDEV_TX_BUSY;
	}
	if (ret)
		goto drop;
	netvsc_stat_add(&nc->tx, 1, len);
	netvsc_tx_maybe_stop(nc);
	/* The stack sends no more to a stopped queue: signal what we hold. */
	if (more && netif_xmit_stopped(txq))
		vmbus_chan_kick(nc->chan);
	return NETDEV_TX_OK;

drop:
	netdev_dbg(ndev, "queue %u: frame dropped (%d)\n", q, ret);
	netvsc_stat_inc(&nc->tx, &nc->tx.dropped);
	dev_kfree_skb_any(skb);
	vmbus_chan_kick(nc->chan);
	netvsc_tx_maybe_stop(nc);
	return NETDEV_TX_OK;
}

/* The host's send indirection table picks the queue of a flow. */
static u16 netvsc_select_queue(struct net_device *ndev, struct sk_buff *skb,
			       struct net_device *sb_dev)
{
	struct netvsc_dev *nd = netdev_priv(ndev);
	u32 q;

	if (ndev->real_num_tx_queues <= 1)
		return 0;
	q = READ_ONCE(nd->tx_table[skb_get_hash(skb) %
				   NVSP_SEND_INDIRECTION_ENTRIES]);
	if (q >= ndev->real_num_tx_queues)
		q = netdev_pick_tx(ndev, skb, sb_dev);
	/* A queue whose sub-channel the host took away: the primary's. */
	return READ_ONCE(nd->chans[q].dead) ? 0 : q;
}

/* --- set-up and teardown ---------------------------------------------------- */

/* The send buckets (by the host's table if it sent one) and RSS over the queues. */
static void netvsc_init_tables(struct netvsc_dev *nd)
{
	u32 i;

	netvsc_map_tx_table(nd);
	for (i = 0; i < NDIS_RSS_INDIRECTION_ENTRIES; i++)
		nd->rss_indir[i] = ethtool_rxfh_indir_default(i, nd->nr_chans);
}

/* Sub-channels up to the count wanted, and RSS across them. */
static void netvsc_setup_queues(struct netvsc_dev *nd)
{
	u32 want = min3(nd->want_chans, nd->rss_queues, num_online_cpus());
	int ret;

	if (want > 1 && nd->nvsp_ver >= NVSP_VERSION_5) {
		ret = netvsc_open_subchannels(nd, want - 1);
		if (ret < 0)
			dev_warn(&nd->hdev->device,
				 "no sub-channels (%d): one queue\n", ret);
		else if (ret < want - 1)
			dev_warn(&nd->hdev->device,
				 "%d of %u sub-channels opened\n", ret,
				 want - 1);
	}
	netvsc_init_tables(nd);
	if (nd->nr_chans > 1 && netvsc_rndis_set_rss(nd, true))
		dev_warn(&nd->hdev->device, "RSS parameters refused\n");
}

static void netvsc_dev_teardown(struct netvsc_dev *nd)
{
	if (nd->send_map && nd->pkt_align)
		netvsc_rndis_halt(nd);
	nd->pkt_align = 0;
	netvsc_nvsp_teardown(nd);
}

/*
 * Open the primary channel, NVSP, buffers, RNDIS, sub-channels: the
 * device as probe leaves it, with the MTU and channel count of @nd.
 */
static int netvsc_dev_setup(struct netvsc_dev *nd)
{
	struct net_device *ndev = nd->ndev;
	int ret;

	ret = netvsc_chan_open(nd, nd->hdev->channel, 0);
	if (ret)
		return ret;
	nd->nr_chans = 1;
	ret = netvsc_nvsp_setup(nd);
	if (!ret)
		ret = netvsc_rndis_setup(nd);
	/* After a re-initialisation the host learns our MAC again. */
	if (!ret && is_valid_ether_addr(ndev->dev_addr) &&
	    !ether_addr_equal(ndev->dev_addr, ndev->perm_addr))
		ret = netvsc_rndis_set_mac(nd, ndev->dev_addr);
	if (ret) {
		netvsc_dev_teardown(nd);
		return ret;
	}
	netvsc_setup_queues(nd);
	netif_set_real_num_tx_queues(ndev, nd->nr_chans);
	netif_set_real_num_rx_queues(ndev, nd->nr_chans);
	netvsc_link_change(nd, nd->link_up);
	return 0;
}

/*
 * The RNDIS packet filter of the rx mode. There is no multicast list on
 * the wire (a real guest sends no OID_802_3_MULTICAST_LIST either): any
 * multicast address asked for, or IFF_ALLMULTI, takes ALL_MULTICAST.
 */
static u32 netvsc_rx_filter(struct net_device *ndev)
{
	u32 filter = NDIS_PACKET_TYPE_DIRECTED;

	if (ndev->flags & IFF_PROMISC)
		filter |= NDIS_PACKET_TYPE_PROMISCUOUS;
	if (ndev->flags & IFF_BROADCAST)
		filter |= NDIS_PACKET_TYPE_BROADCAST;
	if ((ndev->flags & IFF_ALLMULTI) || !netdev_mc_empty(ndev))
		filter |= NDIS_PACKET_TYPE_ALL_MULTICAST;
	return filter;
}

static int netvsc_set_filter(struct netvsc_dev *nd)
{
	return netvsc_rndis_set_filter(nd, netvsc_rx_filter(nd->ndev));
}

/*
 * Re-initialise the device with another MTU or channel count, as the
 * host only takes them at set-up. With RTNL held. If the new set-up
 * fails the old one is restored; if that fails too the device stays
 * detached.
 */
static int netvsc_reconfigure(struct netvsc_dev *nd, u32 mtu, u32 chans)
{
	struct net_device *ndev = nd->ndev;
	u32 old_mtu = ndev->mtu, old_chans = nd->want_chans;
	int ret, ret2;

	mutex_lock(&nd->lock);
	if (READ_ONCE(nd->rescinded) || !nd->nvsp_ver) {
		mutex_unlock(&nd->lock);
		return -ENODEV;
	}
	netif_tx_disable(ndev);
	netif_device_detach(ndev);
	netvsc_dev_teardown(nd);
	WRITE_ONCE(ndev->mtu, mtu);
	nd->want_chans = chans;
	ret = netvsc_dev_setup(nd);
	/* The host lowered the MTU to its maximum frame size: refuse it. */
	if (!ret && ndev->mtu != mtu) {
		netdev_warn(ndev, "the host takes an MTU of %u at most\n",
			    ndev->mtu);
		netvsc_dev_teardown(nd);
		ret = -EINVAL;
	}
	if (ret) {
		WRITE_ONCE(ndev->mtu, old_mtu);
		nd->want_chans = old_chans;
		ret2 = netvsc_dev_setup(nd);
		if (ret2) {
			netdev_err(ndev, "device lost in re-initialisation (%d)\n",
				   ret2);
			goto out;
		}
	}
	if (READ_ONCE(nd->rescinded))
		goto out;
	netif_device_attach(ndev);
	if (netif_running(ndev) && netvsc_set_filter(nd))
		netdev_warn(ndev, "packet filter refused\n");
out:
	mutex_unlock(&nd->lock);
	return ret;
}

/* --- net_device_ops ---------------------------------------------------------- */

static int netvsc_open(struct net_device *ndev)
{
	struct netvsc_dev *nd = netdev_priv(ndev);
	int ret = -ENODEV;

	mutex_lock(&nd->lock);
	if (nd->nvsp_ver)
		ret = netvsc_set_filter(nd);
	mutex_unlock(&nd->lock);
	if (ret)
		return ret;
	netif_tx_start_all_queues(ndev);
	return 0;
}

static int netvsc_stop(struct net_device *ndev)
{
	struct netvsc_dev *nd = netdev_priv(ndev);

	netif_tx_disable(ndev);
	cancel_work_sync(&nd->rx_mode_work);
	mutex_lock(&nd->lock);
	if (nd->nvsp_ver && netvsc_rndis_set_filter(nd, 0))
		netdev_dbg(ndev, "packet filter not cleared\n");
	mutex_unlock(&nd->lock);
	return 0;
}

static void netvsc_rx_mode_work(struct work_struct *w)
{
	struct netvsc_dev *nd = container_of(w, struct netvsc_dev,
					     rx_mode_work);

	mutex_lock(&nd->lock);
	if (nd->nvsp_ver && netif_running(nd->ndev) && netvsc_set_filter(nd))
		netdev_warn(nd->ndev, "packet filter refused\n");
	mutex_unlock(&nd->lock);
}

/* Atomic context: the SET goes from a work item. */
static void netvsc_set_rx_mode(struct net_device *ndev)
{
	struct netvsc_dev *nd = netdev_priv(ndev);

	schedule_work(&nd->rx_mode_work);
}

static int netvsc_change_mtu(struct net_device *ndev, int mtu)
{
	struct netvsc_dev *nd = netdev_priv(ndev);

	return netvsc_reconfigure(nd, mtu, nd->want_chans);
}

static int netvsc_set_mac_address(struct net_device *ndev, void *p)
{
	struct netvsc_dev *nd = netdev_priv(ndev);
	struct sockaddr *sa = p;
	int ret;

	ret = eth_prepare_mac_addr_change(ndev, p);
	if (ret)
		return ret;
	mutex_lock(&nd->lock);
	ret = nd->nvsp_ver ? netvsc_rndis_set_mac(nd, sa->sa_data) : -ENODEV;
	mutex_unlock(&nd->lock);
	if (!ret)
		eth_commit_mac_addr_change(ndev, p);
	return ret;
}

/*
 * A coalesced frame's checksum is only the host's word: RSC goes with
 * receive checksum offload.
 */
static netdev_features_t netvsc_fix_features(struct net_device *ndev,
					     netdev_features_t features)
{
	if (!(features & NETIF_F_RXCSUM))
		features &= ~NETIF_F_LRO;
	return features;
}

/* ethtool -K lro: the host is told whether to coalesce (RSC). */
static int netvsc_set_features(struct net_device *ndev,
			       netdev_features_t features)
{
	struct netvsc_dev *nd = netdev_priv(ndev);
	int ret = 0;

	if (!((ndev->features ^ features) & NETIF_F_LRO))
		return 0;
	mutex_lock(&nd->lock);
	/* A device set up later reads ndev->features. */
	if (nd->nvsp_ver)
		ret = netvsc_rndis_set_offloads(nd, nd->hw_features & features);
	mutex_unlock(&nd->lock);
	return ret;
}

/* Sum of one counter set; @sum gets packets, bytes and drops. */
static void netvsc_read_stats(struct netvsc_queue_stats *s, u64 *sum)
{
	unsigned int start;
	u64 p, b, d;

	do {
		start = u64_stats_fetch_begin(&s->syncp);
		p = u64_stats_read(&s->packets);
		b = u64_stats_read(&s->bytes);
		d = u64_stats_read(&s->dropped);
	} while (u64_stats_fetch_retry(&s->syncp, start));
	sum[0] += p;
	sum[1] += b;
	sum[2] += d;
}

static void netvsc_get_stats64(struct net_device *ndev,
			       struct rtnl_link_stats64 *st)
{
	struct netvsc_dev *nd = netdev_priv(ndev);
	u64 rx[3] = {}, tx[3] = {};
	u32 i;

	/* Every queue ever used, so that the totals never go back. */
	for (i = 0; i < NETVSC_MAX_CHANNELS; i++) {
		netvsc_read_stats(&nd->chans[i].rx, rx);
		netvsc_read_stats(&nd->chans[i].tx, tx);
	}
	st->rx_packets = rx[0];
	st->rx_bytes = rx[1];
	st->rx_dropped = rx[2];
	st->tx_packets = tx[0];
	st->tx_bytes = tx[1];
	st->tx_dropped = tx[2];
}

static const struct net_device_ops netvsc_netdev_ops = {
	.ndo_open		= netvsc_open,
	.ndo_stop		= netvsc_stop,
	.ndo_start_xmit		= netvsc_start_xmit,
	.ndo_select_queue	= netvsc_select_queue,
	.ndo_set_rx_mode	= netvsc_set_rx_mode,
	.ndo_change_mtu		= netvsc_change_mtu,
	.ndo_set_mac_address	= netvsc_set_mac_address,
	.ndo_fix_features	= netvsc_fix_features,
	.ndo_set_features	= netvsc_set_features,
	.ndo_validate_addr	= eth_validate_addr,
	.ndo_get_stats64	= netvsc_get_stats64,
};

/* --- ethtool ------------------------------------------------------------- */

static void netvsc_get_drvinfo(struct net_device *ndev,
			       struct ethtool_drvinfo *info)
{
	struct netvsc_dev *nd = netdev_priv(ndev);

	strscpy(info->driver, KBUILD_MODNAME, sizeof(info->driver));
	snprintf(info->fw_version, sizeof(info->fw_version), "NVSP %u.%u",
		 nd->nvsp_ver >> 16, nd->nvsp_ver & 0xffff);
	strscpy(info->bus_info, dev_name(&nd->hdev->device),
		sizeof(info->bus_info));
}

static int netvsc_get_link_ksettings(struct net_device *ndev,
				     struct ethtool_link_ksettings *ks)
{
	struct netvsc_dev *nd = netdev_priv(ndev);

	ethtool_link_ksettings_zero_link_mode(ks, supported);
	ethtool_link_ksettings_zero_link_mode(ks, advertising);
	/* The host reports 100 bit/s units. */
	ks->base.speed = READ_ONCE(nd->link_speed) / 10000;
	if (!ks->base.speed)
		ks->base.speed = SPEED_UNKNOWN;
	ks->base.duplex = DUPLEX_FULL;
	ks->base.port = PORT_OTHER;
	return 0;
}

static u32 netvsc_max_chans(struct netvsc_dev *nd)
{
	return max(1U, min3(nd->rss_queues, num_online_cpus(),
			    (u32)NETVSC_MAX_CHANNELS));
}

static void netvsc_get_channels(struct net_device *ndev,
				struct ethtool_channels *ch)
{
	struct netvsc_dev *nd = netdev_priv(ndev);

	ch->max_combined = netvsc_max_chans(nd);
	ch->combined_count = nd->nr_chans;
}

static int netvsc_set_channels(struct net_device *ndev,
			       struct ethtool_channels *ch)
{
	struct netvsc_dev *nd = netdev_priv(ndev);

	if (!ch->combined_count || ch->rx_count || ch->tx_count ||
	    ch->other_count || ch->combined_count > netvsc_max_chans(nd))
		return -EINVAL;
	if (nd->nvsp_ver < NVSP_VERSION_5 && ch->combined_count > 1)
		return -EOPNOTSUPP;
	return netvsc_reconfigure(nd, ndev->mtu, ch->combined_count);
}

static void netvsc_get_ringparam(struct net_device *ndev,
				 struct ethtool_ringparam *ring,
				 struct kernel_ethtool_ringparam *kring,
				 struct netlink_ext_ack *extack)
{
	struct netvsc_dev *nd = netdev_priv(ndev);

	/* Receive slots and send sections, fixed at set-up. */
	ring->rx_max_pending = nd->recv.count;
	ring->rx_pending = nd->recv.count;
	ring->tx_max_pending = nd->send.count;
	ring->tx_pending = nd->send.count;
}

static int netvsc_get_rxnfc(struct net_device *ndev, struct ethtool_rxnfc *info,
			    u32 *rules)
{
	struct netvsc_dev *nd = netdev_priv(ndev);

	if (info->cmd != ETHTOOL_GRXRINGS)
		return -EOPNOTSUPP;
	info->data = nd->nr_chans;
	return 0;
}

static u32 netvsc_get_rxfh_key_size(struct net_device *ndev)
{
	return NDIS_RSS_HASH_KEY_SIZE;
}

static u32 netvsc_get_rxfh_indir_size(struct net_device *ndev)
{
	return NDIS_RSS_INDIRECTION_ENTRIES;
}

static int netvsc_get_rxfh(struct net_device *ndev, HV_ETHTOOL_GET_RXFH_ARGS)
{
	struct netvsc_dev *nd = netdev_priv(ndev);
	u32 i;

	HV_RXFH_SET_HFUNC(ETH_RSS_HASH_TOP);
	if (HV_RXFH_INDIR)
		for (i = 0; i < NDIS_RSS_INDIRECTION_ENTRIES; i++)
			HV_RXFH_INDIR[i] = nd->rss_indir[i];
	if (HV_RXFH_KEY)
		memcpy(HV_RXFH_KEY, nd->rss_key, NDIS_RSS_HASH_KEY_SIZE);
	return 0;
}

static int netvsc_set_rxfh(struct net_device *ndev, HV_ETHTOOL_SET_RXFH_ARGS)
{
	struct netvsc_dev *nd = netdev_priv(ndev);
	u8 hfunc = HV_RXFH_HFUNC;
	u32 i;
	int ret;

	if (hfunc != ETH_RSS_HASH_NO_CHANGE && hfunc != ETH_RSS_HASH_TOP)
		return -EOPNOTSUPP;
	if (nd->nr_chans <= 1)
		return -EOPNOTSUPP;
	if (HV_RXFH_INDIR)
		for (i = 0; i < NDIS_RSS_INDIRECTION_ENTRIES; i++)
			if (HV_RXFH_INDIR[i] >= nd->nr_chans)
				return -EINVAL;
	mutex_lock(&nd->lock);
	if (HV_RXFH_INDIR)
		for (i = 0; i < NDIS_RSS_INDIRECTION_ENTRIES; i++)
			nd->rss_indir[i] = HV_RXFH_INDIR[i];
	if (HV_RXFH_KEY)
		memcpy(nd->rss_key, HV_RXFH_KEY, NDIS_RSS_HASH_KEY_SIZE);
	ret = nd->nvsp_ver ? netvsc_rndis_set_rss(nd, true) : -ENODEV;
	mutex_unlock(&nd->lock);
	return ret;
}

/* ethtool -S: per queue, TX then RX. */
static const char * const netvsc_tx_stat_names[] = {
	"packets", "bytes", "dropped", "copied", "direct", "stops", "wakes",
	"comp_errors",
};

static const char * const netvsc_rx_stat_names[] = {
	"packets", "bytes", "dropped", "csum_ok", "rsc", "bad_section",
	"comp_deferred", "comp_dropped",
};

#define NETVSC_QUEUE_STATS	(ARRAY_SIZE(netvsc_tx_stat_names) + \
				 ARRAY_SIZE(netvsc_rx_stat_names))

static int netvsc_get_sset_count(struct net_device *ndev, int sset)
{
	struct netvsc_dev *nd = netdev_priv(ndev);

	if (sset != ETH_SS_STATS)
		return -EOPNOTSUPP;
	return nd->nr_chans * NETVSC_QUEUE_STATS;
}

static void netvsc_get_strings(struct net_device *ndev, u32 sset, u8 *data)
{
	struct netvsc_dev *nd = netdev_priv(ndev);
	u32 q, i;

	if (sset != ETH_SS_STATS)
		return;
	for (q = 0; q < nd->nr_chans; q++) {
		for (i = 0; i < ARRAY_SIZE(netvsc_tx_stat_names); i++)
			ethtool_sprintf(&data, "tx_queue_%u_%s", q,
					netvsc_tx_stat_names[i]);
		for (i = 0; i < ARRAY_SIZE(netvsc_rx_stat_names); i++)
			ethtool_sprintf(&data, "rx_queue_%u_%s", q,
					netvsc_rx_stat_names[i]);
	}
}

static void netvsc_get_ethtool_stats(struct net_device *ndev,
				     struct ethtool_stats *stats, u64 *data)
{
	struct netvsc_dev *nd = netdev_priv(ndev);
	struct netvsc_queue_stats *t, *r;
	unsigned int start;
	u32 q;

	for (q = 0; q < nd->nr_chans; q++, data += NETVSC_QUEUE_STATS) {
		t = &nd->chans[q].tx;
		r = &nd->chans[q].rx;
		do {
			start = u64_stats_fetch_begin(&t->syncp);
			data[0] = u64_stats_read(&t->packets);
			data[1] = u64_stats_read(&t->bytes);
			data[2] = u64_stats_read(&t->dropped);
			data[3] = u64_stats_read(&t->copied);
			data[4] = u64_stats_read(&t->direct);
			data[5] = u64_stats_read(&t->stops);
		} while (u64_stats_fetch_retry(&t->syncp, start));
		data[6] = atomic64_read(&nd->chans[q].wakes);
		data[7] = atomic64_read(&nd->chans[q].comp_errors);
		do {
			start = u64_stats_fetch_begin(&r->syncp);
			data[8] = u64_stats_read(&r->packets);
			data[9] = u64_stats_read(&r->bytes);
			data[10] = u64_stats_read(&r->dropped);
			data[11] = u64_stats_read(&r->csum_ok);
			data[12] = u64_stats_read(&r->rsc);
		} while (u64_stats_fetch_retry(&r->syncp, start));
		data[13] = atomic64_read(&nd->chans[q].bad_sections);
		data[14] = atomic64_read(&nd->chans[q].comps_deferred);
		data[15] = atomic64_read(&nd->chans[q].comps_dropped);
	}
}

static const struct ethtool_ops netvsc_ethtool_ops = {
	.get_drvinfo		= netvsc_get_drvinfo,
	.get_link		= ethtool_op_get_link,
	.get_link_ksettings	= netvsc_get_link_ksettings,
	.get_channels		= netvsc_get_channels,
	.set_channels		= netvsc_set_channels,
	.get_ringparam		= netvsc_get_ringparam,
	.get_rxnfc		= netvsc_get_rxnfc,
	.get_rxfh_key_size	= netvsc_get_rxfh_key_size,
	.get_rxfh_indir_size	= netvsc_get_rxfh_indir_size,
	.get_rxfh		= netvsc_get_rxfh,
	.set_rxfh		= netvsc_set_rxfh,
	.get_sset_count		= netvsc_get_sset_count,
	.get_strings		= netvsc_get_strings,
	.get_ethtool_stats	= netvsc_get_ethtool_stats,
};

/* --- probe and remove ---------------------------------------------------------- */

/* The host takes the NIC away: stop sending before the removal comes. */
static void netvsc_on_rescind(struct vmbus_channel *chan)
{
	struct netvsc_dev *nd = hv_get_drvdata(vmbus_chan_device(chan));

	WRITE_ONCE(nd->rescinded, true);
	netif_device_detach(nd->ndev);
}

static void netvsc_init_dev(struct netvsc_dev *nd, struct hv_device *hdev,
			    struct net_device *ndev)
{
	u32 i;

	nd->hdev = hdev;
	nd->ndev = ndev;
	mutex_init(&nd->lock);
	mutex_init(&nd->chan_lock);
	spin_lock_init(&nd->req_lock);
	spin_lock_init(&nd->tx_lock);
	INIT_LIST_HEAD(&nd->reqs);
	INIT_WORK(&nd->rx_mode_work, netvsc_rx_mode_work);
	nd->want_chans = clamp(max_queues, 1U, (u32)NETVSC_MAX_CHANNELS);
	netdev_rss_key_fill(nd->rss_key, sizeof(nd->rss_key));
	for (i = 0; i < NETVSC_MAX_CHANNELS; i++) {
		u64_stats_init(&nd->chans[i].rx.syncp);
		u64_stats_init(&nd->chans[i].tx.syncp);
	}
	ndev->netdev_ops = &netvsc_netdev_ops;
	ndev->ethtool_ops = &netvsc_ethtool_ops;
	ndev->priv_flags |= IFF_LIVE_ADDR_CHANGE;
	ndev->min_mtu = NETVSC_MTU_MIN;
	ndev->max_mtu = NETVSC_MTU_MAX;
	SET_NETDEV_DEV(ndev, &hdev->device);
}

static void netvsc_init_features(struct netvsc_dev *nd)
{
	struct net_device *ndev = nd->ndev;

	ndev->hw_features = nd->hw_features | NETIF_F_RXHASH;
	ndev->features = ndev->hw_features | NETIF_F_HIGHDMA;
	ndev->vlan_features = nd->hw_features & ~(NETIF_F_HW_VLAN_CTAG_TX |
						  NETIF_F_HW_VLAN_CTAG_RX |
						  NETIF_F_LRO);
	if (nd->hw_features & (NETIF_F_TSO | NETIF_F_TSO6))
		netif_set_tso_max_size(ndev, nd->lso_max_size);
	if (nd->nvsp_ver < NVSP_VERSION_2)
		ndev->max_mtu = ETH_DATA_LEN;
}

static int netvsc_probe(struct hv_device *hdev,
			const struct hv_vmbus_device_id *id)
{
	struct net_device *ndev;
	struct netvsc_dev *nd;
	int ret;

	ndev = alloc_etherdev_mq(sizeof(*nd), NETVSC_MAX_CHANNELS);
	if (!ndev)
		return -ENOMEM;
	nd = netdev_priv(ndev);
	netvsc_init_dev(nd, hdev, ndev);
	hv_set_drvdata(hdev, nd);
	netif_carrier_off(ndev);
	vmbus_set_rescind_callback(hdev->channel, netvsc_on_rescind);

	ret = netvsc_dev_setup(nd);
	if (ret)
		goto err_free;
	eth_hw_addr_set(ndev, ndev->perm_addr);
	netvsc_init_features(nd);
	ret = register_netdev(ndev);
	if (ret)
		goto err_teardown;
	netvsc_link_change(nd, READ_ONCE(nd->link_up));
	netdev_info(ndev, "%pM, NVSP %#x, %u queue(s), MTU %u, carrier %d\n",
		    ndev->dev_addr, nd->nvsp_ver, nd->nr_chans, ndev->mtu,
		    nd->link_up);
	return 0;

err_teardown:
	netvsc_dev_teardown(nd);
err_free:
	vmbus_stop_rescind_callbacks(hdev->channel);
	hv_set_drvdata(hdev, NULL);
	free_netdev(ndev);
	return ret;
}

static void netvsc_remove(struct hv_device *hdev)
{
	struct netvsc_dev *nd = hv_get_drvdata(hdev);
	struct net_device *ndev = nd->ndev;

	vmbus_set_rescind_callback(hdev->channel, NULL);
	unregister_netdev(ndev);
	cancel_work_sync(&nd->rx_mode_work);
	mutex_lock(&nd->lock);
	netvsc_dev_teardown(nd);
	mutex_unlock(&nd->lock);
	/*
	 * Until here a sub-channel the host takes away is closed by its
	 * callback, which needs @nd: none may run once @nd is freed.
	 */
	vmbus_stop_rescind_callbacks(hdev->channel);
	hv_set_drvdata(hdev, NULL);
	free_netdev(ndev);
}

static const struct hv_vmbus_device_id netvsc_ids[] = {
	{ .guid = VMBUS_CLASS_NETWORK },
	{ }
};
MODULE_DEVICE_TABLE(vmbus, netvsc_ids);

static struct hv_driver netvsc_driver = {
	.name		= KBUILD_MODNAME,
	.id_table	= netvsc_ids,
	.probe		= netvsc_probe,
	.remove		= netvsc_remove,
};
module_hv_driver(netvsc_driver);

MODULE_DESCRIPTION("Hyper-V synthetic network adapter (netvsc)");
MODULE_LICENSE("GPL");
