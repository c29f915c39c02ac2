/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Common definitions for the Hyper-V wire-format headers in this folder.
 *
 * Every header in include/hyperv/ describes bytes that cross the boundary
 * between a guest and its host. They are shared by the kernel drivers and by
 * the userspace emulated host (tools/hv/hvhost), so they use only fixed-width
 * types from <linux/types.h>, guid_t and GUID_INIT() from <linux/uuid.h>,
 * static_assert() and __packed. Userspace gets the last two from the small
 * stand-ins in tools/include/linux/.
 * All multi-byte fields are little-endian; Hyper-V runs only little-endian
 * guests, so the fields are plain __u16/__u32/__u64.
 */
#ifndef _HYPERV_WIRE_H
#define _HYPERV_WIRE_H

#include <linux/build_bug.h>
#include <linux/compiler.h>
#include <linux/const.h>
#include <linux/types.h>
#include <linux/uuid.h>

/* Size of a Hyper-V page, whatever the guest's own page size is. */
#define HV_WIRE_PAGE_SHIFT	12
#define HV_WIRE_PAGE_SIZE	_BITUL(HV_WIRE_PAGE_SHIFT)

#endif /* _HYPERV_WIRE_H */
