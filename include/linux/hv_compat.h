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

/* 6.12 moved <asm/unaligned.h> to <linux/unaligned.h>. */
#if KERNEL_VERSION(6, 12, 0) <= HV_KERNEL_VERSION
#include <linux/unaligned.h>
#else
#include <asm/unaligned.h>
#endif

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

/* --- block devices (hv_blkvsc): only with CONFIG_BLOCK ----------------- */
#ifdef CONFIG_BLOCK
#include <linux/blk-mq.h>

/*
 * blk-mq disks. 6.9 gave blk_mq_alloc_disk() a queue_limits argument and
 * added queue_limits_start_update()/_commit_update(); 6.11 moved the
 * write cache and FUA flags into queue_limits.features (6.9 and 6.10 set
 * them with blk_queue_write_cache()). Before 6.9, each limit has its
 * blk_queue_*() setter. A driver fills a struct queue_limits between
 * hv_queue_limits_start() and hv_queue_limits_commit() and never touches
 * the queue's limits itself.
 */
#if KERNEL_VERSION(6, 9, 0) <= HV_KERNEL_VERSION
#define hv_blk_mq_alloc_disk(set, data)	blk_mq_alloc_disk(set, NULL, data)

static inline struct queue_limits hv_queue_limits_start(struct gendisk *disk)
{
	return queue_limits_start_update(disk->queue);
}
#endif

#if KERNEL_VERSION(6, 11, 0) <= HV_KERNEL_VERSION
static inline int hv_queue_limits_commit(struct gendisk *disk,
					 struct queue_limits *lim,
					 bool write_cache, bool fua)
{
	lim->features &= ~(BLK_FEAT_WRITE_CACHE | BLK_FEAT_FUA);
	if (write_cache)
		lim->features |= BLK_FEAT_WRITE_CACHE;
	if (write_cache && fua)
		lim->features |= BLK_FEAT_FUA;
	return queue_limits_commit_update(disk->queue, lim);
}
#elif KERNEL_VERSION(6, 9, 0) <= HV_KERNEL_VERSION
static inline int hv_queue_limits_commit(struct gendisk *disk,
					 struct queue_limits *lim,
					 bool write_cache, bool fua)
{
	int ret = queue_limits_commit_update(disk->queue, lim);

	blk_queue_write_cache(disk->queue, write_cache, write_cache && fua);
	return ret;
}
#else
#define hv_blk_mq_alloc_disk(set, data)	blk_mq_alloc_disk(set, data)

static inline struct queue_limits hv_queue_limits_start(struct gendisk *disk)
{
	return disk->queue->limits;
}

static inline int hv_queue_limits_commit(struct gendisk *disk,
					 struct queue_limits *lim,
					 bool write_cache, bool fua)
{
	struct request_queue *q = disk->queue;

	blk_queue_logical_block_size(q, lim->logical_block_size);
	blk_queue_physical_block_size(q, lim->physical_block_size);
	blk_queue_io_min(q, lim->io_min);
	blk_queue_max_hw_sectors(q, lim->max_hw_sectors);
	blk_queue_max_segments(q, lim->max_segments);
	/* A virt boundary sets it (unlimited); setting it again warns. */
	if (!lim->virt_boundary_mask)
		blk_queue_max_segment_size(q, lim->max_segment_size);
	blk_queue_virt_boundary(q, lim->virt_boundary_mask);
	blk_queue_max_discard_sectors(q, lim->max_hw_discard_sectors);
	blk_queue_max_discard_segments(q, lim->max_discard_segments);
	q->limits.discard_granularity = lim->discard_granularity;
	blk_queue_max_write_zeroes_sectors(q, lim->max_write_zeroes_sectors);
	blk_queue_write_cache(q, write_cache, write_cache && fua);
	return 0;
}
#endif

/*
 * 6.5 gave block_device_operations.open the gendisk and a blk_mode_t
 * instead of the block_device and an fmode_t, and bdev_check_media_change()
 * became disk_check_media_change(). An open method is declared
 * int name(HV_BLOCK_OPEN_T dev, HV_BLOCK_MODE_T mode); hv_open_disk(dev)
 * is its gendisk and hv_open_check_media(dev) looks for a media change;
 * HV_BLOCK_OPEN_NDELAY is the mode bit of an O_NONBLOCK open.
 */
#if KERNEL_VERSION(6, 5, 0) <= HV_KERNEL_VERSION
#define HV_BLOCK_OPEN_T			struct gendisk *
#define HV_BLOCK_MODE_T			blk_mode_t
#define HV_BLOCK_OPEN_NDELAY		BLK_OPEN_NDELAY
#define hv_open_disk(dev)		(dev)
#define hv_open_check_media(dev)	disk_check_media_change(dev)
#else
#define HV_BLOCK_OPEN_T			struct block_device *
#define HV_BLOCK_MODE_T			fmode_t
#define HV_BLOCK_OPEN_NDELAY		FMODE_NDELAY
#define hv_open_disk(dev)		((dev)->bd_disk)
#define hv_open_check_media(dev)	bdev_check_media_change(dev)
#endif
#endif /* CONFIG_BLOCK */

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
