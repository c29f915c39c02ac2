/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Receive-side scaling for the synthetic NIC: the Toeplitz hash over a
 * frame's IPv4/IPv6 and TCP/UDP tuple, with the guest's key, and the
 * queue its indirection table picks (reference §6.8, §6.9).
 */
#ifndef _HVHOST_RSS_H
#define _HVHOST_RSS_H

#include <stddef.h>
#include <stdint.h>

/**
 * struct rss_tuple - what a frame is hashed over
 * @bytes: addresses then ports, in wire order (source first)
 * @len: bytes used: 8 or 12 (IPv4), 32 or 36 (IPv6)
 * @type: the NDIS_RSS_HASH_TYPE_* the tuple stands for
 */
struct rss_tuple {
	uint8_t bytes[36];
	size_t len;
	uint32_t type;
};

uint32_t rss_toeplitz(const uint8_t *key, size_t key_len,
		      const uint8_t *data, size_t len);
int rss_frame_tuple(const uint8_t *frame, size_t len, uint32_t enabled,
		    struct rss_tuple *t);

#endif /* _HVHOST_RSS_H */
