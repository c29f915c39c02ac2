/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The VSTOR transport shared by the synthetic storage drivers: hv_storvsc
 * (SCSI class, on the SCSI midlayer) and hv_blkvsc (IDE class, a blk-mq
 * disk). It knows VSTOR packets, channels and guest pages; it knows
 * nothing of SCSI hosts or gendisks. The code lives in hv_vstor.ko
 * (drivers/hv/vstor/); both drivers include this header.
 */
#ifndef _LINUX_HV_VSTOR_H
#define _LINUX_HV_VSTOR_H

#include <linux/dma-direction.h>
#include <linux/hyperv.h>
#include <linux/scatterlist.h>
#include <linux/spinlock.h>
#include <hyperv/vstor.h>

struct blk_mq_queue_map;

/* Largest transfer we ever ask for, whatever the host allows. */
#define VSTOR_MAX_TRANSFER	(2 * 1024 * 1024)
/* Each direction's ring, control page included. */
#define VSTOR_RING_SIZE		(128 * 1024)

/**
 * struct vstor_props - what the initialisation handshake learnt
 * @version: the protocol version both sides speak (VSTOR_VERSION_*)
 * @max_sub_channels: sub-channels the host may create (0 without
 *	multi-channel support)
 * @max_transfer: bytes one SRB may move: the host's limit, rounded down
 *	to a page and capped at VSTOR_MAX_TRANSFER
 */
struct vstor_props {
	u16 version;
	u16 max_sub_channels;
	u32 max_transfer;
};

/**
 * struct vstor_chan - one open VSTOR channel
 * @chan: the VMBus channel
 * @dev: the device, for log lines
 * @lock: serializes senders with vstor_chan_stop(); also guards @range
 * @stopped: no request may be sent any more
 * @range: where a request's GPA range is built, under @lock
 * @bad_completions: completions and host messages that failed validation
 */
struct vstor_chan {
	struct vmbus_channel *chan;
	struct device *dev;
	spinlock_t lock;	/* senders vs stop; @range */
	bool stopped;
	struct vmbus_gpa_range *range;
	atomic_t bad_completions;
};

/**
 * struct vstor_srb_result - a validated SRB completion
 * @srb_status: the status code (VSTOR_SRB_*), flag bits removed
 * @scsi_status: the SCSI status byte, as the host sent it
 * @host_status: vstor_packet.status (an NT status; for log lines only)
 * @transferred: bytes moved, at most what the request described; 0 for
 *	a failed request, unless DATA_OVERRUN (a short transfer) says how
 *	many
 * @sense_len: valid bytes at @sense (0 unless the host sent autosense)
 * @sense: sense data, copied out of the packet
 */
struct vstor_srb_result {
	u8 srb_status;
	u8 scsi_status;
	u32 host_status;
	u32 transferred;
	u8 sense_len;
	u8 sense[VSTOR_SRB_SENSE_SIZE];
};

/**
 * struct vstor_srb_addr - where an SRB goes
 * @port: the guest's controller number (reserved to the host)
 * @path: SCSI channel
 * @target: SCSI target
 * @lun: SCSI LUN
 * @tagged: the LUN queues commands (tagged queuing): ask for simple-tag
 *	queueing, and that an error not freeze its queue
 */
struct vstor_srb_addr {
	u8 port;
	u8 path;
	u8 target;
	u8 lun;
	bool tagged;
};

int vstor_chan_open(struct vstor_chan *vc, struct vmbus_channel *chan,
		    struct device *dev, u32 max_requests,
		    void (*callback)(void *ctx),
		    void (*detach)(void *ctx, void *rqst), void *ctx);
void vstor_chan_close(struct vstor_chan *vc);
void vstor_chan_stop(struct vstor_chan *vc);
bool vstor_chan_alive(struct vstor_chan *vc);
bool vstor_chan_forget(struct vstor_chan *vc, void *rqst);
u32 vstor_queue_depth(void);
void vstor_map_queues(struct blk_mq_queue_map *qmap,
		      struct vstor_chan *(*queue_chan)(void *ctx,
						       unsigned int hwq),
		      void *ctx);

int vstor_negotiate(struct vstor_chan *vc, struct vstor_props *props);
int vstor_create_sub_channels(struct vstor_chan *vc, u16 count);

int vstor_srb_init(struct vstor_packet *pkt, const struct vstor_srb_addr *addr,
		   const u8 *cdb, unsigned int cdb_len,
		   enum dma_data_direction dir, u32 len, unsigned int timeout_s);
int vstor_send_srb(struct vstor_chan *vc, const struct vstor_packet *pkt,
		   struct scatterlist *sgl, unsigned int nents, void *rqst,
		   unsigned int flags);
int vstor_srb_result(struct vstor_chan *vc, const struct vmbus_pkt *pkt,
		     u32 requested, struct vstor_srb_result *res);
bool vstor_srb_status_decides(const struct vstor_srb_result *res);
bool vstor_scsi_status_valid(u8 status);
int vstor_host_request(struct vstor_chan *vc, const struct vmbus_pkt *pkt);

#if IS_ENABLED(CONFIG_KUNIT)
/* hv_vstor's checks without their log lines, for its KUnit suite only. */
int vstor_srb_decode(const struct vmbus_pkt *pkt, u32 requested,
		     struct vstor_srb_result *res, const char **why, u32 *val);
int vstor_host_op(const struct vmbus_pkt *pkt, const char **why, u32 *val);
#endif

#endif /* _LINUX_HV_VSTOR_H */
