/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Differences between the kernels this tree builds against (Debian's 6.1
 * and 6.12). This is the only file that tests LINUX_VERSION_CODE: drivers
 * use the names below and never compare versions themselves.
 */
#ifndef _LINUX_HV_COMPAT_H
#define _LINUX_HV_COMPAT_H

#include <linux/container_of.h>
#include <linux/version.h>

/* 6.3 made the device passed to bus_type.uevent const. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
#define HV_UEVENT_CONST	const
#else
#define HV_UEVENT_CONST
#endif

/* 6.4 made the bus passed to bus_attribute.show const. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 4, 0)
#define HV_BUS_ATTR_CONST	const
#else
#define HV_BUS_ATTR_CONST
#endif

/* 6.11 made the driver passed to bus_type.match const. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 11, 0)
#define HV_MATCH_CONST	const
#else
#define HV_MATCH_CONST
#endif

/* container_of_const() appeared in 6.2; before it nothing was const. */
#ifndef container_of_const
#define container_of_const(ptr, type, member)	\
	container_of(ptr, type, member)
#endif

/*
 * GUEST_OS_ID of this kernel (needs <hyperv/tlfs.h>). It carries the
 * version, so it is built here rather than next to its user.
 */
#define HV_COMPAT_GUEST_OS_ID	HV_TLFS_GUEST_OS_ID_LINUX(LINUX_VERSION_CODE)

#endif /* _LINUX_HV_COMPAT_H */
