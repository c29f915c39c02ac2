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

/* The kernel being built against; the only use of LINUX_VERSION_CODE. */
#define HV_KERNEL_VERSION	LINUX_VERSION_CODE

/* 6.3 made the device passed to bus_type.uevent const. */
#if KERNEL_VERSION(6, 3, 0) <= HV_KERNEL_VERSION
#define HV_UEVENT_CONST	const
#else
#define HV_UEVENT_CONST
#endif

/*
 * The driver core made struct bus_type const in steps (6.3 to 6.6): by 6.8
 * every interface the bus uses takes it const (bus_register(), the bus
 * attribute callbacks, device and driver). Earlier, bus_register() writes
 * to it, so it must not be const there.
 */
#if KERNEL_VERSION(6, 8, 0) <= HV_KERNEL_VERSION
#define HV_CONST_BUS_TYPE	const struct bus_type
#else
#define HV_CONST_BUS_TYPE	struct bus_type	/* not const before 6.8 */
#endif

/* 6.11 made the driver passed to bus_type.match const. */
#if KERNEL_VERSION(6, 11, 0) <= HV_KERNEL_VERSION
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
 * SCSI midlayer (hv_storvsc). 6.2 gave eh_timed_out() its own return type;
 * before, it returned enum blk_eh_timer_return, whose BLK_EH_DONE meant
 * what SCSI_EH_NOT_HANDLED means now: "start error handling, unless the
 * command was completed meanwhile".
 */
#if KERNEL_VERSION(6, 2, 0) <= HV_KERNEL_VERSION
#define HV_SCSI_TIMEOUT_ACTION	enum scsi_timeout_action
#define HV_SCSI_EH_RESET_TIMER	SCSI_EH_RESET_TIMER
#define HV_SCSI_EH_NOT_HANDLED	SCSI_EH_NOT_HANDLED
#else
#define HV_SCSI_TIMEOUT_ACTION	enum blk_eh_timer_return
#define HV_SCSI_EH_RESET_TIMER	BLK_EH_RESET_TIMER
#define HV_SCSI_EH_NOT_HANDLED	BLK_EH_DONE
#endif

/* 6.4 made scsi_host_alloc() take a const template; before, it writes it. */
#if KERNEL_VERSION(6, 4, 0) <= HV_KERNEL_VERSION
#define HV_CONST_SCSI_HOST_TEMPLATE	const struct scsi_host_template
#else
#define HV_CONST_SCSI_HOST_TEMPLATE	struct scsi_host_template
#endif

/*
 * ethtool get_rxfh()/set_rxfh() (hv_netvsc). 6.8 passed their arguments
 * in struct ethtool_rxfh_param; before, indir, key and hfunc came one by
 * one. A driver declares the arguments with HV_ETHTOOL_*_RXFH_ARGS and
 * reaches them with HV_RXFH_*.
 */
#if KERNEL_VERSION(6, 8, 0) <= HV_KERNEL_VERSION
#define HV_ETHTOOL_GET_RXFH_ARGS	struct ethtool_rxfh_param *hv_rxfh
#define HV_ETHTOOL_SET_RXFH_ARGS	struct ethtool_rxfh_param *hv_rxfh, \
					struct netlink_ext_ack *hv_extack
#define HV_RXFH_INDIR			(hv_rxfh->indir)
#define HV_RXFH_KEY			(hv_rxfh->key)
#define HV_RXFH_HFUNC			(hv_rxfh->hfunc)
#define HV_RXFH_SET_HFUNC(v)		(hv_rxfh->hfunc = (v))
#else
#define HV_ETHTOOL_GET_RXFH_ARGS	u32 *hv_indir, u8 *hv_key, u8 *hv_hfunc
#define HV_ETHTOOL_SET_RXFH_ARGS	const u32 *hv_indir, const u8 *hv_key, \
					const u8 hv_hfunc
#define HV_RXFH_INDIR			(hv_indir)
#define HV_RXFH_KEY			(hv_key)
#define HV_RXFH_HFUNC			(hv_hfunc)
#define HV_RXFH_SET_HFUNC(v)		do { if (hv_hfunc) *hv_hfunc = (v); } while (0)
#endif

/*
 * GUEST_OS_ID of this kernel (needs <hyperv/tlfs.h>). It carries the
 * version, so it is built here rather than next to its user.
 */
#define HV_COMPAT_GUEST_OS_ID	HV_TLFS_GUEST_OS_ID_LINUX(HV_KERNEL_VERSION)

#endif /* _LINUX_HV_COMPAT_H */
