// SPDX-License-Identifier: GPL-2.0
/*
 * The Toeplitz hash as Microsoft's RSS specification defines it: for each
 * set bit of the input, most significant first, XOR in the 32 bits of the
 * key that start at that bit's position. The unit tests check it against
 * the specification's published verification vectors.
 */
#include <string.h>

#include <hyperv/rndis.h>

#include "rss.h"

#define ETH_HLEN_	14
#define ETHERTYPE_IPV4	0x0800
#define ETHERTYPE_IPV6	0x86dd
#define ETHERTYPE_VLAN	0x8100
#define PROTO_TCP	6
#define PROTO_UDP	17

/* Bits 8 * @byte .. 8 * @byte + 39 of @key (zeros past its end). */
static uint64_t rss_key_window(const uint8_t *key, size_t key_len,
			       size_t byte)
{
	uint64_t w = 0;
	size_t i;

	for (i = 0; i < 5; i++)
		w = w << 8 | (byte + i < key_len ? key[byte + i] : 0);
	return w;
}

uint32_t rss_toeplitz(const uint8_t *key, size_t key_len,
		      const uint8_t *data, size_t len)
{
	uint64_t win;
	uint32_t hash = 0;
	size_t i;
	int b;

	for (i = 0; i < len; i++) {
		/* Key bits 8i .. 8i + 39; input bit b of byte i uses 32 of them. */
		win = rss_key_window(key, key_len, i);
		for (b = 7; b >= 0; b--)
			if (data[i] & (1U << b))
				hash ^= (uint32_t)(win >> (b + 1));
	}
	return hash;
}

static uint16_t rss_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Ports of a TCP or UDP header at @l4, if the type is enabled. */
static void rss_add_ports(struct rss_tuple *t, const uint8_t *l4,
			  size_t room, uint32_t type, uint32_t enabled)
{
	if (!(enabled & type) || room < 4)
		return;
	memcpy(t->bytes + t->len, l4, 4);
	t->len += 4;
	t->type = type;
}

static int rss_ipv4(const uint8_t *ip, size_t room, uint32_t enabled,
		    struct rss_tuple *t)
{
	size_t ihl;

	if (room < 20 || (ip[0] >> 4) != 4 || !(enabled & NDIS_RSS_HASH_TYPE_IPV4))
		return -1;
	ihl = (ip[0] & 0xf) * 4;
	if (ihl < 20 || ihl > room)
		return -1;
	memcpy(t->bytes, ip + 12, 8);
	t->len = 8;
	t->type = NDIS_RSS_HASH_TYPE_IPV4;
	/* Fragments after the first carry no ports. */
	if (rss_be16(ip + 6) & 0x3fff)
		return 0;
	if (ip[9] == PROTO_TCP)
		rss_add_ports(t, ip + ihl, room - ihl, NDIS_RSS_HASH_TYPE_TCP_IPV4,
			      enabled);
	else if (ip[9] == PROTO_UDP)
		rss_add_ports(t, ip + ihl, room - ihl, NDIS_RSS_HASH_TYPE_UDP_IPV4,
			      enabled);
	return 0;
}

/* IPv6 without extension headers: those frames hash on addresses only. */
static int rss_ipv6(const uint8_t *ip, size_t room, uint32_t enabled,
		    struct rss_tuple *t)
{
	if (room < 40 || (ip[0] >> 4) != 6 || !(enabled & NDIS_RSS_HASH_TYPE_IPV6))
		return -1;
	memcpy(t->bytes, ip + 8, 32);
	t->len = 32;
	t->type = NDIS_RSS_HASH_TYPE_IPV6;
	if (ip[6] == PROTO_TCP)
		rss_add_ports(t, ip + 40, room - 40, NDIS_RSS_HASH_TYPE_TCP_IPV6,
			      enabled);
	else if (ip[6] == PROTO_UDP)
		rss_add_ports(t, ip + 40, room - 40, NDIS_RSS_HASH_TYPE_UDP_IPV6,
			      enabled);
	return 0;
}

/*
 * The tuple of an Ethernet frame under the enabled hash types @enabled:
 * 0, or -1 when the frame is not hashed (not IP, or its type is off).
 */
int rss_frame_tuple(const uint8_t *frame, size_t len, uint32_t enabled,
		    struct rss_tuple *t)
{
	size_t off = ETH_HLEN_;
	uint16_t type;

	memset(t, 0, sizeof(*t));
	if (len < ETH_HLEN_)
		return -1;
	type = rss_be16(frame + 12);
	if (type == ETHERTYPE_VLAN && len >= ETH_HLEN_ + 4) {
		type = rss_be16(frame + 16);
		off += 4;
	}
	if (type == ETHERTYPE_IPV4)
		return rss_ipv4(frame + off, len - off, enabled, t);
	if (type == ETHERTYPE_IPV6)
		return rss_ipv6(frame + off, len - off, enabled, t);
	return -1;
}
