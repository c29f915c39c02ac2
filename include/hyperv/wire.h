/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Common definitions for the Hyper-V wire-format headers in this folder.
 *
 * Every header in include/hyperv/ describes bytes that cross the boundary
 * between a guest and its host. They are shared by the kernel drivers and by
 * the userspace emulated host (tools/hv/hvhost), so they use only fixed-width
 * types from <linux/types.h> and nothing that exists on one side alone.
 * All multi-byte fields are little-endian; Hyper-V runs only little-endian
 * guests, so the fields are plain __u16/__u32/__u64.
 */
#ifndef _HYPERV_WIRE_H
#define _HYPERV_WIRE_H

#include <linux/const.h>
#include <linux/types.h>

#ifdef __KERNEL__
#include <linux/build_bug.h>
#include <linux/compiler.h>
#include <linux/uuid.h>
#else
#include <assert.h>
#include <stddef.h>

#ifndef __packed
#define __packed __attribute__((__packed__))
#endif

/* The kernel's guid_t, for the userspace users of these headers. */
typedef struct {
	__u8 b[16];
} guid_t;
#endif

/* Size of a Hyper-V page, whatever the guest's own page size is. */
#define HV_WIRE_PAGE_SHIFT	12
#define HV_WIRE_PAGE_SIZE	_BITUL(HV_WIRE_PAGE_SHIFT)

/*
 * HV_WIRE_GUID - a GUID in Microsoft's mixed-endian wire order, from the
 * textual form a-w1-w2-d-d: the first three groups little-endian, the
 * last two in byte order. (No parameter may be called b: it would replace
 * the member name.)
 */
#define HV_WIRE_GUID(a, w1, w2, d0, d1, d2, d3, d4, d5, d6, d7)		\
	{ .b = { (a) & 0xff, ((a) >> 8) & 0xff, ((a) >> 16) & 0xff,	\
		 ((a) >> 24) & 0xff, (w1) & 0xff, ((w1) >> 8) & 0xff,	\
		 (w2) & 0xff, ((w2) >> 8) & 0xff,			\
		 d0, d1, d2, d3, d4, d5, d6, d7 } }

#endif /* _HYPERV_WIRE_H */
