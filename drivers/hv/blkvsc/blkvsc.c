// SPDX-License-Identifier: GPL-2.0
/*
 * hv_blkvsc: the synthetic IDE disks and DVD drives of Hyper-V ("IDE
 * accelerator" channels) as blk-mq block devices, without the SCSI
 * midlayer.
 *
 * Each IDE offer is one device: its instance GUID says at which IDE
 * channel and unit it sits (reference §7.8), which names it (hda..hdd).
 * It speaks VSTOR over one channel, through hv_vstor: the handshake, the
 * EXECUTE_SRB packets and the checks of what the host sends back are
 * those of hv_storvsc. Block requests become SCSI commands built here
 * (READ/WRITE 10/16, SYNCHRONIZE CACHE, UNMAP, WRITE SAME 16); probing
 * sends INQUIRY, VPD, READ CAPACITY and MODE SENSE as driver-private
 * requests through the same queue. See Documentation/hv/blkvsc.rst.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/blk-mq.h>
#include <linux/blkdev.h>
#include <linux/hv_compat.h>	/* also the unaligned helpers */
#include <linux/hyperv.h>
#include <linux/log2.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/sysfs.h>
#include <linux/workqueue.h>
#include <scsi/scsi_common.h>
#include <scsi/scsi_proto.h>
#include <kunit/visibility.h>

#include <linux/hv_vstor.h>

#include "blkvsc.h"

/* Minors per disk: the disk and 15 partitions. */
#define BLKVSC_MINORS		16
/* Disks per IDE channel, and names: hda hdb on channel 0, hdc hdd on 1. */
#define BLKVSC_MAX_DISKS	(VSTOR_IDE_CHANNELS * VSTOR_IDE_DEVICES)
/* Driver-private commands of probing: timeout and buffer. */
#define BLKVSC_PROBE_TIMEOUT	(10 * HZ)
#define BLKVSC_PROBE_BUF	512
/*
 * Requests in flight per device, below what the ring could hold
 * (vstor_queue_depth(), 512): each tag carries a scatterlist for the
 * host's largest transfer (16 KiB for 2 MiB), and one IDE disk or DVD
 * drive on one channel gains nothing from more.
 */
#define BLKVSC_QUEUE_DEPTH	64
/* Requests the host asks to be tried again (busy, aborted, attention). */
#define BLKVSC_RETRIES		3
/*
 * Block-layer timeouts of one send of a request after which a live host
 * is taken as gone (each is the queue's io_timeout, 30 s by default).
 */
#define BLKVSC_IO_TIMEOUTS	3
/* How long remove lets the host finish what it holds before failing it. */
#define BLKVSC_DRAIN_WAIT	(10 * HZ)
/* The UNMAP parameter list of one range: header and one descriptor. */
/* SCSI bits decoded here. */
#define BLKVSC_MODE_WP		0x80	/* device-specific parameter */
#define BLKVSC_MODE_DPOFUA	0x10
#define BLKVSC_CACHING_WCE	0x04	/* caching page byte 2 */
#define BLKVSC_VPD_LBPU		0x80	/* page 0xb2 byte 5 */
#define BLKVSC_VPD_LBPWS	0x40
#define BLKVSC_ASC_NO_MEDIUM	0x3a
#define BLKVSC_ASC_MEDIUM_CHANGED 0x28
/* GET EVENT STATUS NOTIFICATION (MMC), polled, media class. */
#define BLKVSC_GESN_LEN		8
#define BLKVSC_GESN_POLLED	0x01	/* CDB byte 1 */
#define BLKVSC_GESN_MEDIA	0x10	/* CDB byte 4: the media class */
#define BLKVSC_GESN_NEA		0x80	/* header byte 2: no event available */
#define BLKVSC_GESN_CLASS_MEDIA	4	/* header byte 2, low 3 bits */
#define BLKVSC_GESN_NEW_MEDIA	2	/* event byte 4, low 4 bits */
#define BLKVSC_GESN_REMOVAL	3
#define BLKVSC_ASC_PARAMS_CHANGED 0x2a
#define BLKVSC_ASCQ_CAPACITY_CHANGED 0x09
/* Longest serial and WWID attributes, NUL included. */
#define BLKVSC_SERIAL_LEN	64
#define BLKVSC_WWID_LEN		64

static int blkvsc_major;

/* blkvsc_cmd.flags */
#define BLKVSC_CMD_ORPHAN	0	/* handed back by the core: fail it */
#define BLKVSC_CMD_REQUEUED	1	/* queued again: keeps its retries */

/**
 * struct blkvsc_cmd - per-request data (the tag set's cmd_size)
 * @pkt: the EXECUTE_SRB as sent
 * @cdb: the command; set by the submitter for driver-private requests
 * @cdb_len: its length
 * @retries: times the host asked for this request to be sent again
 * @timeouts: block-layer timeouts since it was last sent
 * @flags: BLKVSC_CMD_*
 * @res: the decoded completion, for driver-private requests
 * @unmap: UNMAP parameter list (BLKVSC_UNMAP_LEN bytes, in one page)
 * @sg: the data, one entry per page at most
 */
struct blkvsc_cmd {
	struct vstor_packet pkt;
	u8 cdb[VSTOR_CDB_SIZE];
	u8 cdb_len;
	u8 retries;
	u8 timeouts;
	unsigned long flags;
	struct vstor_srb_result res;
	u8 *unmap;
	struct scatterlist sg[];
};

/**
 * struct blkvsc_info - what probing learnt of the device
 * @type: TYPE_DISK or TYPE_ROM
 * @block_size: logical block size
 * @phys_shift: log2 of logical blocks per physical block
 * @blocks: capacity in logical blocks
 * @medium: a DVD drive has a medium (a disk always has)
 * @read_only: write-protected (MODE SENSE WP, or a DVD)
 * @write_cache: volatile write cache (caching page WCE): send flushes
 * @fua: the device honours FUA (DPOFUA)
 * @max_unmap: UNMAP blocks per command; 0 without UNMAP
 * @unmap_granularity: in logical blocks, at least 1
 * @max_write_same: WRITE SAME 16 blocks per command; 0 without it
 * @serial: VPD 0x80, printable, "" if none
 * @wwid: VPD 0x83's NAA or EUI-64 designator as "naa.<hex>"/"eui.<hex>"
 */
struct blkvsc_info {
	u8 type;
	u32 block_size;
	u8 phys_shift;
	u64 blocks;
	bool medium;
	bool read_only;
	bool write_cache;
	bool fua;
	u32 max_unmap;
	u32 unmap_granularity;
	u64 max_write_same;
	char serial[BLKVSC_SERIAL_LEN];
	char wwid[BLKVSC_WWID_LEN];
};

/**
 * struct blkvsc_dev - one IDE device
 * @hdev: its VMBus device
 * @vc: its VSTOR channel
 * @props: what the handshake learnt
 * @addr: where its SRBs go: path = IDE channel, target = unit, LUN 0
 * @index: path * 2 + target: its name and minors
 * @info: what probing learnt
 * @tag_set: one hardware queue of blkvsc_queue_depth() tags
 * @disk: the gendisk
 * @added: @disk was added (del_gendisk() needed)
 * @close_lock: serializes closing the channel and @added
 * @closed: the channel was closed
 * @drain_work: fails what the host still holds when remove waits too long
 * @broken_work: closes a channel that failed or went silent (not
 *	rescinded), so that its requests can fail
 * @capacity_work: reads a disk's capacity again after the host said it
 *	changed
 */
struct blkvsc_dev {
	struct hv_device *hdev;
	struct vstor_chan vc;
	struct vstor_props props;
	struct vstor_srb_addr addr;
	unsigned int index;
	struct blkvsc_info info;
	struct blk_mq_tag_set tag_set;
	struct gendisk *disk;
	bool added;
	struct mutex close_lock;	/* closed, added */
	bool closed;
	struct delayed_work drain_work;
	struct work_struct broken_work;
	struct work_struct capacity_work;
};

/* --- commands -------------------------------------------------------- */

/* Requests in flight: the tag set's depth and the channel's limit. */
static u32 blkvsc_queue_depth(void)
{
	return min_t(u32, vstor_queue_depth(), BLKVSC_QUEUE_DEPTH);
}

/* Scatterlist entries: a transfer starting inside a page needs one more. */
static unsigned int blkvsc_sg_entries(const struct blkvsc_dev *bd)
{
	return bd->props.max_transfer / PAGE_SIZE + 1;
}

/* READ or WRITE (10, or 16 beyond its reach) in @cdb. Return: its length. */
VISIBLE_IF_KUNIT u8 blkvsc_cdb_rw(u8 *cdb, bool write, u64 lba, u32 blocks,
				  bool fua)
{
	u8 len;

	memset(cdb, 0, VSTOR_CDB_SIZE);
	if (lba + blocks <= 0x100000000ULL && blocks <= 0xffff) {
		cdb[0] = write ? WRITE_10 : READ_10;
		put_unaligned_be32(lba, &cdb[2]);
		put_unaligned_be16(blocks, &cdb[7]);
		len = 10;
	} else {
		cdb[0] = write ? WRITE_16 : READ_16;
		put_unaligned_be64(lba, &cdb[2]);
		put_unaligned_be32(blocks, &cdb[10]);
		len = 16;
	}
	if (fua)
		cdb[1] |= BLKVSC_CDB_FUA;
	return len;
}
EXPORT_SYMBOL_IF_KUNIT(blkvsc_cdb_rw);

/* UNMAP in @cdb, its one-range parameter list in @param. */
VISIBLE_IF_KUNIT u8 blkvsc_cdb_unmap(u8 *cdb, u8 *param, u64 lba,
				     u32 blocks)
{
	memset(cdb, 0, VSTOR_CDB_SIZE);
	cdb[0] = UNMAP;
	put_unaligned_be16(BLKVSC_UNMAP_LEN, &cdb[7]);
	memset(param, 0, BLKVSC_UNMAP_LEN);
	put_unaligned_be16(BLKVSC_UNMAP_LEN - 2, &param[0]);
	put_unaligned_be16(16, &param[2]);
	put_unaligned_be64(lba, &param[8]);
	put_unaligned_be32(blocks, &param[16]);
	return 10;
}
EXPORT_SYMBOL_IF_KUNIT(blkvsc_cdb_unmap);

VISIBLE_IF_KUNIT u8 blkvsc_cdb_write_same(u8 *cdb, u64 lba, u32 blocks)
{
	memset(cdb, 0, VSTOR_CDB_SIZE);
	cdb[0] = WRITE_SAME_16;
	put_unaligned_be64(lba, &cdb[2]);
	put_unaligned_be32(blocks, &cdb[10]);
	return 16;
}
EXPORT_SYMBOL_IF_KUNIT(blkvsc_cdb_write_same);

/*
 * The command of @rq in @cmd, and its data in @cmd->sg: *@dir and the
 * number of entries in *@nents. Return: 0, or a status to end @rq with.
 */
static blk_status_t blkvsc_build(struct blkvsc_dev *bd, struct request *rq,
				 struct blkvsc_cmd *cmd,
				 enum dma_data_direction *dir,
				 unsigned int *nents)
{
	/* The queue's block size: a DVD medium of another is refused. */
	unsigned int shift = ilog2(queue_logical_block_size(rq->q));
	u64 lba = blk_rq_pos(rq) >> (shift - SECTOR_SHIFT);
	u32 blocks = blk_rq_bytes(rq) >> shift;

	*dir = DMA_NONE;
	*nents = 0;
	switch (req_op(rq)) {
	case REQ_OP_READ:
	case REQ_OP_WRITE:
		*dir = op_is_write(req_op(rq)) ? DMA_TO_DEVICE :
						 DMA_FROM_DEVICE;
		cmd->cdb_len = blkvsc_cdb_rw(cmd->cdb, *dir == DMA_TO_DEVICE,
					     lba, blocks,
					     rq->cmd_flags & REQ_FUA);
		break;
	case REQ_OP_FLUSH:
		memset(cmd->cdb, 0, sizeof(cmd->cdb));
		cmd->cdb[0] = SYNCHRONIZE_CACHE;
		cmd->cdb_len = 10;
		return BLK_STS_OK;
	case REQ_OP_DISCARD:
		cmd->cdb_len = blkvsc_cdb_unmap(cmd->cdb, cmd->unmap, lba,
						blocks);
		sg_init_one(cmd->sg, cmd->unmap, BLKVSC_UNMAP_LEN);
		*dir = DMA_TO_DEVICE;
		*nents = 1;
		return BLK_STS_OK;
	case REQ_OP_WRITE_ZEROES:
		cmd->cdb_len = blkvsc_cdb_write_same(cmd->cdb, lba, blocks);
		sg_init_table(cmd->sg, 1);
		sg_set_page(cmd->sg, ZERO_PAGE(0),
			    queue_logical_block_size(rq->q), 0);
		*dir = DMA_TO_DEVICE;
		*nents = 1;
		return BLK_STS_OK;
	case REQ_OP_DRV_IN:
	case REQ_OP_DRV_OUT:
		*dir = req_op(rq) == REQ_OP_DRV_IN ? DMA_FROM_DEVICE :
						     DMA_TO_DEVICE;
		break;
	default:
		return BLK_STS_NOTSUPP;
	}
	if (blk_rq_bytes(rq)) {
		sg_init_table(cmd->sg, blk_rq_nr_phys_segments(rq));
		*nents = blk_rq_map_sg(rq->q, rq, cmd->sg);
	}
	return BLK_STS_OK;
}

/* The bytes an SRB of @rq describes. */
static u32 blkvsc_data_len(struct request *rq, const struct blkvsc_dev *bd)
{
	switch (req_op(rq)) {
	case REQ_OP_DISCARD:
		return BLKVSC_UNMAP_LEN;
	case REQ_OP_WRITE_ZEROES:
		return queue_logical_block_size(rq->q);
	case REQ_OP_FLUSH:
		return 0;
	default:
		return blk_rq_bytes(rq);
	}
}

static blk_status_t blkvsc_queue_rq(struct blk_mq_hw_ctx *hctx,
				    const struct blk_mq_queue_data *qd)
{
	struct blkvsc_dev *bd = hctx->queue->queuedata;
	struct request *rq = qd->rq;
	struct blkvsc_cmd *cmd = blk_mq_rq_to_pdu(rq);
	enum dma_data_direction dir;
	unsigned int nents;
	blk_status_t sts;
	int ret;

	/* Started first: that sets rq->timeout, which the SRB carries. */
	blk_mq_start_request(rq);
	clear_bit(BLKVSC_CMD_ORPHAN, &cmd->flags);
	/* A new request on this tag starts with no retries used. */
	if (!test_and_clear_bit(BLKVSC_CMD_REQUEUED, &cmd->flags))
		cmd->retries = 0;
	cmd->timeouts = 0;
	sts = blkvsc_build(bd, rq, cmd, &dir, &nents);
	if (sts)
		return sts;
	ret = vstor_srb_init(&cmd->pkt, &bd->addr, cmd->cdb, cmd->cdb_len, dir,
			     blkvsc_data_len(rq, bd), rq->timeout / HZ);
	if (ret)
		return BLK_STS_IOERR;
	/* Once sent, @rq may complete at once: not touched after this. */
	ret = vstor_send_srb(&bd->vc, &cmd->pkt, cmd->sg, nents, rq,
			     qd->last ? 0 : VMBUS_SEND_DEFER_SIGNAL);
	switch (ret) {
	case 0:
		return BLK_STS_OK;
	case -EAGAIN:
		/* A completion makes room and runs the queue again. */
		set_bit(BLKVSC_CMD_REQUEUED, &cmd->flags);
		return BLK_STS_DEV_RESOURCE;
	case -EINVAL:
		dev_warn_ratelimited(&bd->hdev->device,
				     "cmd 0x%02x: cannot describe its data\n",
				     cmd->cdb[0]);
		return BLK_STS_IOERR;
	default:
		return BLK_STS_IOERR;	/* the channel is gone */
	}
}

static void blkvsc_commit_rqs(struct blk_mq_hw_ctx *hctx)
{
	struct blkvsc_dev *bd = hctx->queue->queuedata;

	vmbus_chan_kick(bd->vc.chan);
}

/* --- completions ----------------------------------------------------- */

static blk_status_t blkvsc_bad(struct blkvsc_dev *bd,
			       const struct blkvsc_cmd *cmd, const char *why,
			       u32 val)
{
	atomic_inc(&bd->vc.bad_completions);
	dev_warn_ratelimited(&bd->hdev->device, "cmd 0x%02x: %s (0x%x)\n",
			     cmd->cdb[0], why, val);
	return BLK_STS_IOERR;
}

/*
 * Ask for the request again, a few times; BLK_STS_AGAIN means requeue it.
 * A driver-private request is never retried: its submitter decides.
 */
static blk_status_t blkvsc_retry(struct blkvsc_cmd *cmd)
{
	if (blk_rq_is_passthrough(blk_mq_rq_from_pdu(cmd)) ||
	    cmd->retries >= BLKVSC_RETRIES)
		return BLK_STS_IOERR;
	cmd->retries++;
	return BLK_STS_AGAIN;
}

/* What CHECK CONDITION with valid sense means for the request. */
static blk_status_t blkvsc_sense_status(struct blkvsc_dev *bd,
					struct blkvsc_cmd *cmd,
					const struct scsi_sense_hdr *sshdr)
{
	switch (sshdr->sense_key) {
	case RECOVERED_ERROR:
	case NO_SENSE:
		/*
		 * Done, but only SUCCESS says how many bytes moved (ERROR
		 * leaves the length requested): else it is sent again.
		 */
		if (cmd->res.srb_status == VSTOR_SRB_SUCCESS)
			return BLK_STS_OK;
		return blkvsc_retry(cmd);
	case UNIT_ATTENTION:
		if (sshdr->asc == BLKVSC_ASC_PARAMS_CHANGED &&
		    sshdr->ascq == BLKVSC_ASCQ_CAPACITY_CHANGED &&
		    bd->info.type == TYPE_DISK &&
		    !blk_rq_is_passthrough(blk_mq_rq_from_pdu(cmd)))
			schedule_work(&bd->capacity_work);
		return blkvsc_retry(cmd);
	case ABORTED_COMMAND:
		return blkvsc_retry(cmd);
	case MEDIUM_ERROR:
		return BLK_STS_MEDIUM;
	case NOT_READY:
		if (sshdr->asc == BLKVSC_ASC_NO_MEDIUM)
			return BLK_STS_OFFLINE;
		return BLK_STS_IOERR;
	case ILLEGAL_REQUEST:
		return BLK_STS_TARGET;
	default:
		return BLK_STS_IOERR;
	}
}

/* A completion whose SCSI status decides. */
static blk_status_t blkvsc_scsi_status(struct blkvsc_dev *bd,
				       struct blkvsc_cmd *cmd,
				       const struct vstor_srb_result *res)
{
	struct scsi_sense_hdr sshdr;

	if (!vstor_scsi_status_valid(res->scsi_status))
		return blkvsc_bad(bd, cmd, "invalid SCSI status",
				  res->scsi_status);
	switch (res->scsi_status) {
	case SAM_STAT_GOOD:
	case SAM_STAT_CONDITION_MET:
		/* An ERROR without a status: nothing to decide on. */
		return res->srb_status == VSTOR_SRB_ERROR ? BLK_STS_IOERR :
							     BLK_STS_OK;
	case SAM_STAT_BUSY:
	case SAM_STAT_TASK_SET_FULL:
		return blkvsc_retry(cmd);
	case SAM_STAT_CHECK_CONDITION:
		break;
	default:
		return BLK_STS_IOERR;
	}
	if (!res->sense_len)
		return BLK_STS_IOERR;
	if (!scsi_normalize_sense(res->sense, res->sense_len, &sshdr))
		return blkvsc_bad(bd, cmd, "CHECK CONDITION with invalid sense",
				  res->sense[0]);
	return blkvsc_sense_status(bd, cmd, &sshdr);
}

/* An SRB status without a SCSI status to judge. */
static blk_status_t blkvsc_srb_status(struct blkvsc_cmd *cmd, u8 srb_status)
{
	switch (srb_status) {
	case VSTOR_SRB_BUSY:
	case VSTOR_SRB_ABORTED:
	case VSTOR_SRB_TIMEOUT:
	case VSTOR_SRB_COMMAND_TIMEOUT:
	case VSTOR_SRB_BUS_RESET:
	case VSTOR_SRB_REQUEST_FLUSHED:
		return blkvsc_retry(cmd);
	case VSTOR_SRB_INVALID_LUN:
	case VSTOR_SRB_INVALID_TARGET_ID:
	case VSTOR_SRB_INVALID_PATH_ID:
	case VSTOR_SRB_NO_DEVICE:
	case VSTOR_SRB_SELECTION_TIMEOUT:
		return BLK_STS_OFFLINE;
	default:
		return BLK_STS_IOERR;
	}
}

/*
 * The outcome of a completion of @rq. Block I/O must move every byte it
 * asked for; a driver-private request may be short (INQUIRY and such).
 */
static blk_status_t blkvsc_result(struct blkvsc_dev *bd, struct request *rq,
				  const struct vmbus_pkt *pkt)
{
	struct blkvsc_cmd *cmd = blk_mq_rq_to_pdu(rq);
	struct vstor_srb_result *res = &cmd->res;
	u32 requested = cmd->pkt.srb.data_transfer_length;
	blk_status_t sts;

	if (vstor_srb_result(&bd->vc, pkt, requested, res))
		return BLK_STS_IOERR;
	if (vstor_srb_status_decides(res))
		sts = blkvsc_scsi_status(bd, cmd, res);
	else
		sts = blkvsc_srb_status(cmd, res->srb_status);
	if (sts && sts != BLK_STS_AGAIN)
		dev_info_ratelimited(&bd->hdev->device,
				     "cmd 0x%02x: SRB status 0x%x, SCSI status 0x%x, host status 0x%x\n",
				     cmd->cdb[0], res->srb_status,
				     res->scsi_status, res->host_status);
	if (!sts && !blk_rq_is_passthrough(rq) && req_op(rq) != REQ_OP_FLUSH &&
	    res->transferred != requested)
		return blkvsc_bad(bd, cmd, "short transfer", res->transferred);
	return sts;
}

static void blkvsc_complete(struct blkvsc_dev *bd, struct request *rq,
			    const struct vmbus_pkt *pkt)
{
	struct blkvsc_cmd *cmd = blk_mq_rq_to_pdu(rq);
	blk_status_t sts = blkvsc_result(bd, rq, pkt);

	if (sts == BLK_STS_AGAIN) {
		set_bit(BLKVSC_CMD_REQUEUED, &cmd->flags);
		blk_mq_requeue_request(rq, true);
	} else {
		blk_mq_end_request(rq, sts);
	}
}

static void blkvsc_on_packet(struct blkvsc_dev *bd,
			     const struct vmbus_pkt *pkt)
{
	switch (pkt->type) {
	case VMBUS_PKT_COMP:
		/* The core matched the id: a request of this channel. */
		blkvsc_complete(bd, pkt->rqst, pkt);
		break;
	case VMBUS_PKT_DATA_INBAND:
		/* One disk per channel: nothing to rescan. */
		if (vstor_host_request(&bd->vc, pkt) > 0)
			dev_info_ratelimited(&bd->hdev->device,
					     "host bus change ignored\n");
		break;
	default:
		dev_warn_ratelimited(&bd->hdev->device,
				     "unexpected packet type %u\n", pkt->type);
		break;
	}
}

/* The channel callback: softirq context, never concurrent with itself. */
static void blkvsc_on_channel(void *ctx)
{
	struct blkvsc_dev *bd = ctx;
	struct vmbus_channel *chan = bd->vc.chan;
	const struct vmbus_pkt *pkt;

	do {
		while ((pkt = vmbus_recv_pkt(chan)))
			blkvsc_on_packet(bd, pkt);
	} while (vmbus_recv_done(chan));
}

/* --- the channel going away ------------------------------------------ */

/* The core hands back a request its closed channel still had. */
static void blkvsc_on_detach(void *ctx, void *rqst)
{
	struct blkvsc_cmd *cmd = blk_mq_rq_to_pdu(rqst);

	set_bit(BLKVSC_CMD_ORPHAN, &cmd->flags);
}

static bool blkvsc_fail_orphan(struct request *rq, void *data)
{
	struct blkvsc_cmd *cmd = blk_mq_rq_to_pdu(rq);

	if (test_and_clear_bit(BLKVSC_CMD_ORPHAN, &cmd->flags))
		blk_mq_end_request(rq, BLK_STS_IOERR);
	return true;
}

/*
 * Close the channel once and fail what the host still had: after the
 * close, the host writes none of their pages. New requests fail at once.
 * Process context.
 */
static void blkvsc_close(struct blkvsc_dev *bd)
{
	mutex_lock(&bd->close_lock);
	if (!bd->closed) {
		if (bd->added)
			blk_mark_disk_dead(bd->disk);
		vstor_chan_close(&bd->vc);
		bd->closed = true;
	}
	mutex_unlock(&bd->close_lock);
	blk_mq_tagset_busy_iter(&bd->tag_set, blkvsc_fail_orphan, NULL);
}

/* The host removes the disk: nothing it holds will be completed. */
static void blkvsc_on_rescind(struct vmbus_channel *chan)
{
	struct blkvsc_dev *bd = hv_get_drvdata(vmbus_chan_device(chan));

	dev_info(&bd->hdev->device, "removed by the host\n");
	blkvsc_close(bd);
}

/* Remove waited BLKVSC_DRAIN_WAIT for the host: fail what it holds. */
static void blkvsc_drain_work(struct work_struct *work)
{
	struct blkvsc_dev *bd = container_of(to_delayed_work(work),
					     struct blkvsc_dev, drain_work);

	dev_warn(&bd->hdev->device,
		 "the host did not complete its requests in %u s: failing them\n",
		 BLKVSC_DRAIN_WAIT / HZ);
	blkvsc_close(bd);
}

/*
 * The channel failed, or the host left a private request unanswered,
 * with the host still holding it: close it first.
 */
static void blkvsc_broken_work(struct work_struct *work)
{
	struct blkvsc_dev *bd = container_of(work, struct blkvsc_dev,
					     broken_work);

	dev_warn(&bd->hdev->device,
		 "channel failed: closing it before its requests fail\n");
	blkvsc_close(bd);
}

/*
 * Hyper-V completes every request it holds, however late, and until then
 * it may write into the request's pages: the host's silence is waited out
 * for a while, then it breaks the channel. Block I/O waits
 * BLKVSC_IO_TIMEOUTS timeouts; a driver-private request (probing, TEST
 * UNIT READY) one, as its caller waits with a lock held. A rescinded
 * channel is closed by the rescind callback, a failed or silent one by
 * broken_work; closing fails every request the host had.
 */
static enum blk_eh_timer_return blkvsc_timeout(struct request *rq)
{
	struct blkvsc_dev *bd = rq->q->queuedata;
	struct blkvsc_cmd *cmd = blk_mq_rq_to_pdu(rq);

	if (vmbus_chan_is_rescinded(bd->vc.chan))
		return BLK_EH_RESET_TIMER;
	if (vstor_chan_alive(&bd->vc) && blk_rq_is_passthrough(rq)) {
		dev_warn_ratelimited(&bd->hdev->device,
				     "cmd 0x%02x: no answer in %u s\n",
				     cmd->cdb[0], rq->timeout / HZ);
	} else if (vstor_chan_alive(&bd->vc)) {
		if (++cmd->timeouts < BLKVSC_IO_TIMEOUTS)
			return BLK_EH_RESET_TIMER;
		dev_warn_ratelimited(&bd->hdev->device,
				     "cmd 0x%02x: no answer in %u timeouts of %u s\n",
				     cmd->cdb[0], BLKVSC_IO_TIMEOUTS,
				     rq->timeout / HZ);
	}
	schedule_work(&bd->broken_work);
	return BLK_EH_RESET_TIMER;
}

static int blkvsc_init_request(struct blk_mq_tag_set *set, struct request *rq,
			       unsigned int hctx_idx, unsigned int numa_node)
{
	struct blkvsc_dev *bd = container_of(set, struct blkvsc_dev, tag_set);
	struct blkvsc_cmd *cmd = blk_mq_rq_to_pdu(rq);

	sg_init_table(cmd->sg, blkvsc_sg_entries(bd));
	/* A small kmalloc object never crosses a page. */
	cmd->unmap = kzalloc_node(BLKVSC_UNMAP_LEN, GFP_KERNEL, numa_node);
	return cmd->unmap ? 0 : -ENOMEM;
}

static void blkvsc_exit_request(struct blk_mq_tag_set *set,
				struct request *rq, unsigned int hctx_idx)
{
	struct blkvsc_cmd *cmd = blk_mq_rq_to_pdu(rq);

	kfree(cmd->unmap);
}

static const struct blk_mq_ops blkvsc_mq_ops = {
	.queue_rq	= blkvsc_queue_rq,
	.commit_rqs	= blkvsc_commit_rqs,
	.timeout	= blkvsc_timeout,
	.init_request	= blkvsc_init_request,
	.exit_request	= blkvsc_exit_request,
};

/* --- probing --------------------------------------------------------- */

/*
 * Send @cdb as a driver-private request reading up to @len bytes into
 * @buf (a kmalloc buffer inside one page; none if @len is 0). It is not
 * retried: the caller sees what the host said, unit attentions included.
 * Return: bytes read, or a negative errno; *@res has the completion.
 * -EAGAIN after probe: no request could be had, nothing was sent.
 */
static int blkvsc_exec(struct blkvsc_dev *bd, const u8 *cdb, u8 cdb_len,
		       void *buf, u32 len, struct vstor_srb_result *res)
{
	/*
	 * After probe, never wait for a request: on 6.1 the queue of a dead
	 * disk stays frozen until del_gendisk(), which waits for us.
	 */
	blk_mq_req_flags_t flags = bd->added ? BLK_MQ_REQ_NOWAIT : 0;
	struct request *rq;
	struct blkvsc_cmd *cmd;
	blk_status_t sts;
	int ret;

	rq = blk_mq_alloc_request(bd->disk->queue, REQ_OP_DRV_IN, flags);
	if (IS_ERR(rq))
		return flags ? -EAGAIN : PTR_ERR(rq);
	cmd = blk_mq_rq_to_pdu(rq);
	memset(cmd->cdb, 0, sizeof(cmd->cdb));
	memcpy(cmd->cdb, cdb, cdb_len);
	cmd->cdb_len = cdb_len;
	memset(&cmd->res, 0, sizeof(cmd->res));
	rq->timeout = BLKVSC_PROBE_TIMEOUT;
	ret = len ? blk_rq_map_kern(bd->disk->queue, rq, buf, len,
				    GFP_KERNEL) : 0;
	if (ret)
		goto out;
	sts = blk_execute_rq(rq, false);
	*res = cmd->res;
	ret = sts ? blk_status_to_errno(sts) : res->transferred;
out:
	blk_mq_free_request(rq);
	return ret;
}

static int blkvsc_inquiry(struct blkvsc_dev *bd, u8 page, u8 *buf, u32 len,
			  struct vstor_srb_result *res)
{
	u8 cdb[6] = { INQUIRY, page ? 1 : 0, page };

	put_unaligned_be16(len, &cdb[3]);
	return blkvsc_exec(bd, cdb, sizeof(cdb), buf, len, res);
}

/* A VPD page: its payload length (validated against what came), or < 0. */
static int blkvsc_vpd(struct blkvsc_dev *bd, u8 page, u8 *buf)
{
	struct vstor_srb_result res;
	int n = blkvsc_inquiry(bd, page, buf, BLKVSC_PROBE_BUF, &res);

	if (n < 0)
		return n;
	if (n < 4 || buf[1] != page ||
	    get_unaligned_be16(&buf[2]) > n - 4) {
		dev_warn(&bd->hdev->device,
			 "VPD page 0x%02x: malformed (%d bytes): ignored\n",
			 page, n);
		return -EPROTO;
	}
	return get_unaligned_be16(&buf[2]);
}

/* Standard INQUIRY: a disk or a DVD drive, present at this address. */
static int blkvsc_probe_type(struct blkvsc_dev *bd, u8 *buf)
{
	struct vstor_srb_result res;
	int n = blkvsc_inquiry(bd, 0, buf, 36, &res);

	if (n < 0)
		return n;
	if (n < 36) {
		dev_err(&bd->hdev->device, "INQUIRY: %d bytes only\n", n);
		return -EPROTO;
	}
	if (buf[0] >> 5) {
		dev_err(&bd->hdev->device,
			"no device at IDE %u/%u (peripheral qualifier %u)\n",
			bd->addr.path, bd->addr.target, buf[0] >> 5);
		return -ENODEV;
	}
	bd->info.type = buf[0] & 0x1f;
	if (bd->info.type != TYPE_DISK && bd->info.type != TYPE_ROM) {
		dev_err(&bd->hdev->device, "device type 0x%x not served\n",
			bd->info.type);
		return -ENODEV;
	}
	/* The host's strings, non-printable bytes escaped (\ooo, \n). */
	dev_info(&bd->hdev->device, "%s: %*pE %*pE %*pE\n",
		 bd->info.type == TYPE_ROM ? "DVD" : "disk", 8, &buf[8], 16,
		 &buf[16], 4, &buf[32]);
	return 0;
}

/* VPD 0x80: the serial number, printable characters only, trimmed. */
static void blkvsc_probe_serial(struct blkvsc_dev *bd, u8 *buf)
{
	int n = blkvsc_vpd(bd, 0x80, buf), i, len = 0;

	for (i = 0; i < n && len < BLKVSC_SERIAL_LEN - 1; i++) {
		u8 c = buf[4 + i];

		if (c < 0x20 || c > 0x7e) {
			dev_warn(&bd->hdev->device,
				 "serial number with byte 0x%02x: ignored\n",
				 c);
			len = 0;
			break;
		}
		bd->info.serial[len++] = c;
	}
	while (len && bd->info.serial[len - 1] == ' ')
		len--;
	bd->info.serial[len] = '\0';
}

/* VPD 0x83: the first binary NAA or EUI-64 designator of the LU. */
static void blkvsc_probe_wwid(struct blkvsc_dev *bd, u8 *buf)
{
	int n = blkvsc_vpd(bd, 0x83, buf), off = 4;

	while (n > 0 && off + 4 <= n + 4) {
		u8 code_set = buf[off] & 0x0f, assoc = (buf[off + 1] >> 4) & 3;
		u8 type = buf[off + 1] & 0x0f, len = buf[off + 3];

		if (off + 4 + len > n + 4)
			break;
		if (code_set == 1 && !assoc && (type == 2 || type == 3) &&
		    len >= 8 && len <= 16) {
			snprintf(bd->info.wwid, sizeof(bd->info.wwid),
				 "%s.%*phN", type == 3 ? "naa" : "eui", len,
				 &buf[off + 4]);
			return;
		}
		off += 4 + len;
	}
}

/* VPD 0xb2 says which unmap commands work, 0xb0 their limits. */
static void blkvsc_probe_provisioning(struct blkvsc_dev *bd, u8 *buf)
{
	struct blkvsc_info *info = &bd->info;
	bool unmap, write_same;
	int n;

	n = blkvsc_vpd(bd, 0xb2, buf);
	if (n < 2)
		return;
	unmap = buf[5] & BLKVSC_VPD_LBPU;
	write_same = buf[5] & BLKVSC_VPD_LBPWS;
	n = blkvsc_vpd(bd, 0xb0, buf);
	if (n < 0x3c)
		return;
	if (unmap && get_unaligned_be32(&buf[24]))
		info->max_unmap = get_unaligned_be32(&buf[20]);
	info->unmap_granularity = max(get_unaligned_be32(&buf[28]), 1U);
	if (write_same)
		info->max_write_same = get_unaligned_be64(&buf[36]);
}

VISIBLE_IF_KUNIT bool blkvsc_block_size_ok(u32 size)
{
	return is_power_of_2(size) && size >= SECTOR_SIZE && size <= PAGE_SIZE;
}
EXPORT_SYMBOL_IF_KUNIT(blkvsc_block_size_ok);

/* A capacity the block layer can hold, in 512-byte sectors. */
static int blkvsc_set_capacity_info(struct blkvsc_dev *bd, u64 last,
				    u32 size)
{
	if (!blkvsc_block_size_ok(size) || last >= (U64_MAX >> 13)) {
		dev_err(&bd->hdev->device,
			"capacity %llu blocks of %u bytes refused\n", last + 1,
			size);
		return -EPROTO;
	}
	bd->info.blocks = last + 1;
	bd->info.block_size = size;
	return 0;
}

/* The sense of a completion, if it has a valid one. */
static bool blkvsc_sense(const struct vstor_srb_result *res,
			 struct scsi_sense_hdr *sshdr)
{
	return res->sense_len &&
	       scsi_normalize_sense(res->sense, res->sense_len, sshdr);
}

/* Whether a completion's sense has @key and @asc. */
static bool blkvsc_sense_is(const struct vstor_srb_result *res, u8 key,
			    u8 asc)
{
	struct scsi_sense_hdr sshdr;

	return blkvsc_sense(res, &sshdr) && sshdr.sense_key == key &&
	       sshdr.asc == asc;
}

static bool blkvsc_sense_is_key(const struct vstor_srb_result *res, u8 key)
{
	struct scsi_sense_hdr sshdr;

	return blkvsc_sense(res, &sshdr) && sshdr.sense_key == key;
}

/* A DVD drive without a medium: no capacity, the DVD block size. */
static int blkvsc_no_medium(struct blkvsc_dev *bd)
{
	bd->info.medium = false;
	bd->info.blocks = 0;
	if (!bd->info.block_size)
		bd->info.block_size = SECTOR_SIZE * 4;
	return 0;
}

/*
 * blkvsc_exec(), sent again while the device reports a unit attention
 * (a new medium, changed parameters), BLKVSC_RETRIES times at most.
 */
static int blkvsc_exec_ua(struct blkvsc_dev *bd, const u8 *cdb, u8 cdb_len,
			  void *buf, u32 len, struct vstor_srb_result *res)
{
	unsigned int tries = 0;
	int n;

	do
		n = blkvsc_exec(bd, cdb, cdb_len, buf, len, res);
	while (n < 0 && blkvsc_sense_is_key(res, UNIT_ATTENTION) &&
	       ++tries < BLKVSC_RETRIES);
	return n;
}

static int blkvsc_probe_capacity(struct blkvsc_dev *bd, u8 *buf)
{
	u8 cdb16[16] = { SERVICE_ACTION_IN_16, SAI_READ_CAPACITY_16 };
	u8 cdb10[10] = { READ_CAPACITY };
	struct vstor_srb_result res;
	int n;

	if (bd->info.type == TYPE_ROM) {
		n = blkvsc_exec_ua(bd, cdb10, sizeof(cdb10), buf, 8, &res);
		bd->info.medium = n >= 0;
		if (n < 0 && blkvsc_sense_is(&res, NOT_READY, BLKVSC_ASC_NO_MEDIUM))
			return blkvsc_no_medium(bd);
		if (n < 0)
			return n;
		if (n < 8)
			return -EPROTO;
		return blkvsc_set_capacity_info(bd, get_unaligned_be32(buf),
						get_unaligned_be32(&buf[4]));
	}
	put_unaligned_be32(32, &cdb16[10]);
	n = blkvsc_exec_ua(bd, cdb16, sizeof(cdb16), buf, 32, &res);
	if (n < 0)
		return n;
	if (n < 14) {
		dev_err(&bd->hdev->device, "READ CAPACITY 16: %d bytes\n", n);
		return -EPROTO;
	}
	bd->info.medium = true;
	bd->info.phys_shift = buf[13] & 0x0f;
	if (bd->info.phys_shift > 3)	/* beyond 8 blocks: ignored */
		bd->info.phys_shift = 0;
	return blkvsc_set_capacity_info(bd, get_unaligned_be64(buf),
					get_unaligned_be32(&buf[8]));
}

/*
 * MODE SENSE 10 of the caching page: write protection, write cache,
 * FUA. Without an answer the cache is assumed volatile (flushes sent).
 */
static void blkvsc_probe_caching(struct blkvsc_dev *bd, u8 *buf)
{
	u8 cdb[10] = { MODE_SENSE_10, 0, 0x08 };
	struct blkvsc_info *info = &bd->info;
	struct vstor_srb_result res;
	u32 page;
	int n;

	info->write_cache = true;
	put_unaligned_be16(64, &cdb[7]);
	n = blkvsc_exec_ua(bd, cdb, sizeof(cdb), buf, 64, &res);
	if (n < 8)
		return;
	info->read_only |= buf[3] & BLKVSC_MODE_WP;
	info->fua = buf[3] & BLKVSC_MODE_DPOFUA;
	page = 8 + get_unaligned_be16(&buf[6]);
	if (page + 3 > (u32)n || (buf[page] & 0x3f) != 0x08) {
		dev_warn(&bd->hdev->device,
			 "MODE SENSE: no caching page: write cache assumed\n");
		return;
	}
	info->write_cache = buf[page + 2] & BLKVSC_CACHING_WCE;
}

static int blkvsc_probe_device(struct blkvsc_dev *bd)
{
	u8 *buf = kzalloc(BLKVSC_PROBE_BUF, GFP_KERNEL);
	int ret;

	if (!buf)
		return -ENOMEM;
	ret = blkvsc_probe_type(bd, buf);
	if (ret)
		goto out;
	blkvsc_probe_serial(bd, buf);
	blkvsc_probe_wwid(bd, buf);
	ret = blkvsc_probe_capacity(bd, buf);
	if (ret)
		goto out;
	if (bd->info.type == TYPE_ROM) {
		bd->info.read_only = true;
		goto out;
	}
	blkvsc_probe_provisioning(bd, buf);
	blkvsc_probe_caching(bd, buf);
out:
	kfree(buf);
	return ret;
}

/* The channel or the disk is dead: no command can be sent any more. */
static bool blkvsc_gone(struct blkvsc_dev *bd)
{
	return !vstor_chan_alive(&bd->vc) ||
	       test_bit(GD_DEAD, &bd->disk->state);
}

/*
 * The queue's limits stay those of probe: a medium of another block size
 * is refused (logged) and the drive is taken as empty.
 */
static bool blkvsc_block_size_fits(struct blkvsc_dev *bd)
{
	u32 size = queue_logical_block_size(bd->disk->queue);

	if (bd->info.block_size == size)
		return true;
	dev_warn_ratelimited(&bd->hdev->device,
			     "%u-byte blocks on a queue of %u: refused\n",
			     bd->info.block_size, size);
	bd->info.block_size = size;
	return false;
}

/* The capacity of a DVD drive's medium, if @present; else no medium. */
static void blkvsc_read_medium(struct blkvsc_dev *bd, bool present)
{
	u8 *buf = present ? kzalloc(BLKVSC_PROBE_BUF, GFP_KERNEL) : NULL;

	if (!buf || blkvsc_probe_capacity(bd, buf) ||
	    !blkvsc_block_size_fits(bd))
		blkvsc_no_medium(bd);
	kfree(buf);
}

/* The capacity of what probing or a media check found, in sectors. */
static sector_t blkvsc_sectors(const struct blkvsc_dev *bd)
{
	return bd->info.blocks << (ilog2(bd->info.block_size) - SECTOR_SHIFT);
}

/*
 * The host said a disk's capacity changed (UNIT ATTENTION 2a/09): read it
 * again and tell the block layer. A new block size is refused (logged),
 * the capacity kept.
 */
static void blkvsc_capacity_work(struct work_struct *work)
{
	struct blkvsc_dev *bd = container_of(work, struct blkvsc_dev,
					     capacity_work);
	u8 *buf;

	if (blkvsc_gone(bd))
		return;
	buf = kzalloc(BLKVSC_PROBE_BUF, GFP_KERNEL);
	if (!buf)
		return;
	if (!blkvsc_probe_capacity(bd, buf) && blkvsc_block_size_fits(bd)) {
		dev_info(&bd->hdev->device,
			 "%s: capacity changed to %llu sectors\n",
			 bd->disk->disk_name, (u64)blkvsc_sectors(bd));
		set_capacity_and_notify(bd->disk, blkvsc_sectors(bd));
	}
	kfree(buf);
}

/*
 * Whether a DVD drive reports a new medium or a removal since it was last
 * asked: GET EVENT STATUS NOTIFICATION, polled, media class. Hyper-V
 * reports a medium swapped for another only there.
 */
static bool blkvsc_media_event(struct blkvsc_dev *bd)
{
	u8 cdb[10] = { GET_EVENT_STATUS_NOTIFICATION, BLKVSC_GESN_POLLED, 0, 0,
		       BLKVSC_GESN_MEDIA };
	struct vstor_srb_result res;
	bool event = false;
	u8 *buf, code;
	int n;

	buf = kzalloc(BLKVSC_PROBE_BUF, GFP_KERNEL);
	if (!buf)
		return false;
	put_unaligned_be16(BLKVSC_GESN_LEN, &cdb[7]);
	n = blkvsc_exec(bd, cdb, sizeof(cdb), buf, BLKVSC_GESN_LEN, &res);
	if (n >= 6 && !(buf[2] & BLKVSC_GESN_NEA) &&
	    (buf[2] & 0x07) == BLKVSC_GESN_CLASS_MEDIA) {
		code = buf[4] & 0x0f;
		event = code == BLKVSC_GESN_NEW_MEDIA ||
			code == BLKVSC_GESN_REMOVAL;
	}
	kfree(buf);
	return event;
}

/*
 * Ask a DVD drive whether its medium changed: a media event, or a unit
 * attention 28 to TEST UNIT READY (as a physical drive reports an
 * insert), or a medium that came or went (TEST UNIT READY: NOT READY 3a
 * without one). The new capacity (0 without a medium) is set here.
 * Process context.
 */
static unsigned int blkvsc_check_events(struct gendisk *disk,
					unsigned int clearing)
{
	struct blkvsc_dev *bd = disk->private_data;
	u8 cdb[6] = { TEST_UNIT_READY };
	struct vstor_srb_result res;
	bool changed, present, was = bd->info.medium;
	int n;

	if (blkvsc_gone(bd))
		return 0;
	changed = blkvsc_media_event(bd);
	n = blkvsc_exec(bd, cdb, sizeof(cdb), NULL, 0, &res);
	if (n < 0 && blkvsc_sense_is(&res, UNIT_ATTENTION,
				     BLKVSC_ASC_MEDIUM_CHANGED)) {
		changed = true;
		n = blkvsc_exec(bd, cdb, sizeof(cdb), NULL, 0, &res);
	}
	if (n == -EAGAIN)
		return 0;	/* asked again at the next poll or open */
	present = n >= 0;
	if (!changed && present == was)
		return 0;
	blkvsc_read_medium(bd, present);
	dev_info(&bd->hdev->device, "%s: medium %s\n", disk->disk_name,
		 bd->info.medium ? "inserted" : "removed");
	set_capacity_and_notify(disk, blkvsc_sectors(bd));
	return DISK_EVENT_MEDIA_CHANGE;
}

/*
 * Look for a media change first: a DVD drive without a medium cannot be
 * opened, but with O_NONBLOCK (as eject and udev's cdrom_id open it).
 */
static int blkvsc_open(HV_BLOCK_OPEN_T dev, HV_BLOCK_MODE_T mode)
{
	struct blkvsc_dev *bd = hv_open_disk(dev)->private_data;

	if (blkvsc_gone(bd))
		return -ENXIO;
	hv_open_check_media(dev);
	if (!bd->info.medium && !(mode & HV_BLOCK_OPEN_NDELAY))
		return -ENOMEDIUM;
	return 0;
}

static const struct block_device_operations blkvsc_fops = {
	.owner		= THIS_MODULE,
	.open		= blkvsc_open,
	.check_events	= blkvsc_check_events,
};

/* --- the disk -------------------------------------------------------- */

/* Limits that hold from the start: what one SRB can carry. */
static void blkvsc_transfer_limits(struct blkvsc_dev *bd,
				   struct queue_limits *lim)
{
	u32 max = bd->props.max_transfer;

	lim->max_hw_sectors = max >> SECTOR_SHIFT;
	lim->max_segments = blkvsc_sg_entries(bd);
	/* No holes between segments: the data is one range of pages. */
	lim->virt_boundary_mask = PAGE_SIZE - 1;
	lim->max_segment_size = UINT_MAX;
}

static void blkvsc_discard_limits(struct blkvsc_dev *bd,
				  struct queue_limits *lim)
{
	const struct blkvsc_info *info = &bd->info;
	u32 per_block = info->block_size >> SECTOR_SHIFT;
	u64 max;

	if (info->max_unmap) {
		max = min_t(u64, info->max_unmap, U32_MAX) * per_block;
		lim->max_hw_discard_sectors = min_t(u64, max, UINT_MAX >> 1);
		lim->max_discard_segments = 1;
		lim->discard_granularity = min_t(u64, info->unmap_granularity,
						 SZ_1M / info->block_size) *
					   info->block_size;
	}
	if (info->max_write_same) {
		max = min_t(u64, info->max_write_same, U32_MAX) * per_block;
		lim->max_write_zeroes_sectors = min_t(u64, max, UINT_MAX >> 1);
	}
}

static int blkvsc_set_limits(struct blkvsc_dev *bd)
{
	const struct blkvsc_info *info = &bd->info;
	struct queue_limits lim = hv_queue_limits_start(bd->disk);

	blkvsc_transfer_limits(bd, &lim);
	lim.logical_block_size = info->block_size;
	lim.physical_block_size = info->block_size << info->phys_shift;
	lim.io_min = lim.physical_block_size;
	if (!info->read_only)
		blkvsc_discard_limits(bd, &lim);
	return hv_queue_limits_commit(bd->disk, &lim,
				      info->write_cache && !info->read_only,
				      info->fua);
}

static struct blkvsc_dev *blkvsc_disk_dev(struct device *dev)
{
	return dev_to_disk(dev)->private_data;
}

static ssize_t serial_show(struct device *dev, struct device_attribute *attr,
			   char *buf)
{
	return sysfs_emit(buf, "%s\n", blkvsc_disk_dev(dev)->info.serial);
}
static DEVICE_ATTR_RO(serial);

static ssize_t wwid_show(struct device *dev, struct device_attribute *attr,
			 char *buf)
{
	return sysfs_emit(buf, "%s\n", blkvsc_disk_dev(dev)->info.wwid);
}
static DEVICE_ATTR_RO(wwid);

static ssize_t bad_completions_show(struct device *dev,
				    struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n",
			  atomic_read(&blkvsc_disk_dev(dev)->vc.bad_completions));
}
static DEVICE_ATTR_RO(bad_completions);

static ssize_t ide_location_show(struct device *dev,
				 struct device_attribute *attr, char *buf)
{
	struct blkvsc_dev *bd = blkvsc_disk_dev(dev);

	return sysfs_emit(buf, "%u:%u\n", bd->addr.path, bd->addr.target);
}
static DEVICE_ATTR_RO(ide_location);

static struct attribute *blkvsc_disk_attrs[] = {
	&dev_attr_serial.attr,
	&dev_attr_wwid.attr,
	&dev_attr_bad_completions.attr,
	&dev_attr_ide_location.attr,
	NULL,
};
ATTRIBUTE_GROUPS(blkvsc_disk);

/* The gendisk and its queue, with limits for the probing commands. */
static int blkvsc_alloc_disk(struct blkvsc_dev *bd)
{
	struct blk_mq_tag_set *set = &bd->tag_set;
	struct queue_limits lim;
	int ret;

	set->ops = &blkvsc_mq_ops;
	set->nr_hw_queues = 1;
	set->queue_depth = blkvsc_queue_depth();
	set->numa_node = NUMA_NO_NODE;
	set->cmd_size = struct_size((struct blkvsc_cmd *)NULL, sg,
				    blkvsc_sg_entries(bd));
	set->flags = BLK_MQ_F_SHOULD_MERGE;
	ret = blk_mq_alloc_tag_set(set);
	if (ret)
		return ret;
	bd->disk = hv_blk_mq_alloc_disk(set, bd);
	if (IS_ERR(bd->disk)) {
		ret = PTR_ERR(bd->disk);
		bd->disk = NULL;
		blk_mq_free_tag_set(set);
		return ret;
	}
	lim = hv_queue_limits_start(bd->disk);
	blkvsc_transfer_limits(bd, &lim);
	return hv_queue_limits_commit(bd->disk, &lim, false, false);
}

static void blkvsc_free_disk(struct blkvsc_dev *bd)
{
	put_disk(bd->disk);
	blk_mq_free_tag_set(&bd->tag_set);
}

static int blkvsc_add_disk(struct blkvsc_dev *bd)
{
	struct gendisk *disk = bd->disk;
	int ret;

	ret = blkvsc_set_limits(bd);
	if (ret)
		return ret;
	disk->major = blkvsc_major;
	disk->first_minor = bd->index * BLKVSC_MINORS;
	disk->minors = BLKVSC_MINORS;
	disk->fops = &blkvsc_fops;
	disk->private_data = bd;
	snprintf(disk->disk_name, DISK_NAME_LEN, "hd%c", 'a' + bd->index);
	if (bd->info.type == TYPE_ROM) {
		disk->flags |= GENHD_FL_REMOVABLE;
		disk->events = DISK_EVENT_MEDIA_CHANGE;
		disk->event_flags = DISK_EVENT_FLAG_UEVENT;
	}
	set_capacity(disk, blkvsc_sectors(bd));
	set_disk_ro(disk, bd->info.read_only);
	ret = device_add_disk(&bd->hdev->device, disk, blkvsc_disk_groups);
	if (ret)
		return ret;
	/*
	 * Not held across device_add_disk(): its partition scan may wait for
	 * a rescind callback that waits for the lock. A close meanwhile
	 * could not mark the disk dead: done here.
	 */
	mutex_lock(&bd->close_lock);
	bd->added = true;
	if (bd->closed)
		blk_mark_disk_dead(disk);
	mutex_unlock(&bd->close_lock);
	return 0;
}

/* --- probe and remove ------------------------------------------------ */

/* The IDE place the offer's instance GUID encodes (§7.8). */
static int blkvsc_location(struct blkvsc_dev *bd)
{
	struct vstor_ide_instance ide;

	BUILD_BUG_ON(sizeof(ide) != sizeof(bd->hdev->dev_instance));
	memcpy(&ide, &bd->hdev->dev_instance, sizeof(ide));
	if (ide.magic != VSTOR_IDE_INSTANCE_MAGIC || memchr_inv(ide.zero, 0,
								sizeof(ide.zero)) ||
	    ide.channel >= VSTOR_IDE_CHANNELS ||
	    ide.device >= VSTOR_IDE_DEVICES) {
		dev_err(&bd->hdev->device,
			"instance %pUl is not an IDE location\n",
			&bd->hdev->dev_instance);
		return -EINVAL;
	}
	bd->addr.path = ide.channel;
	bd->addr.target = ide.device;
	bd->addr.lun = 0;
	bd->index = ide.channel * VSTOR_IDE_DEVICES + ide.device;
	return 0;
}

static int blkvsc_probe(struct hv_device *hdev,
			const struct hv_vmbus_device_id *id)
{
	struct blkvsc_dev *bd;
	int ret;

	bd = kzalloc(sizeof(*bd), GFP_KERNEL);
	if (!bd)
		return -ENOMEM;
	bd->hdev = hdev;
	mutex_init(&bd->close_lock);
	INIT_DELAYED_WORK(&bd->drain_work, blkvsc_drain_work);
	INIT_WORK(&bd->broken_work, blkvsc_broken_work);
	INIT_WORK(&bd->capacity_work, blkvsc_capacity_work);
	hv_set_drvdata(hdev, bd);
	ret = blkvsc_location(bd);
	if (ret)
		goto err_free;
	ret = vstor_chan_open(&bd->vc, hdev->channel, &hdev->device,
			      blkvsc_queue_depth(), blkvsc_on_channel,
			      blkvsc_on_detach, bd);
	if (ret)
		goto err_free;
	ret = vstor_negotiate(&bd->vc, &bd->props);
	if (ret)
		goto err_close;
	ret = blkvsc_alloc_disk(bd);
	if (ret)
		goto err_close;
	vmbus_set_rescind_callback(hdev->channel, blkvsc_on_rescind);
	ret = blkvsc_probe_device(bd);
	if (!ret)
		ret = blkvsc_add_disk(bd);
	if (ret)
		goto err_disk;
	dev_info(&hdev->device,
		 "%s: IDE %u/%u, VSTOR %u.%u, %llu x %u bytes%s%s%s\n",
		 bd->disk->disk_name, bd->addr.path, bd->addr.target,
		 bd->props.version >> 8, bd->props.version & 0xff,
		 bd->info.blocks, bd->info.block_size,
		 bd->info.read_only ? ", read-only" : "",
		 bd->info.write_cache ? ", write cache" : "",
		 bd->info.max_unmap ? ", unmap" : "");
	return 0;

err_disk:
	vmbus_set_rescind_callback(hdev->channel, NULL);
	blkvsc_close(bd);
	cancel_work_sync(&bd->broken_work);
	cancel_work_sync(&bd->capacity_work);
	blkvsc_free_disk(bd);
	goto err_free;
err_close:
	vstor_chan_close(&bd->vc);
err_free:
	hv_set_drvdata(hdev, NULL);
	kfree(bd);
	return ret;
}

/*
 * Let the host complete what it holds (BLKVSC_DRAIN_WAIT at most, then
 * it is failed) while del_gendisk() flushes and waits; then close.
 */
static void blkvsc_remove(struct hv_device *hdev)
{
	struct blkvsc_dev *bd = hv_get_drvdata(hdev);

	vmbus_set_rescind_callback(hdev->channel, NULL);
	if (!vstor_chan_alive(&bd->vc))
		blkvsc_close(bd);
	else
		schedule_delayed_work(&bd->drain_work, BLKVSC_DRAIN_WAIT);
	del_gendisk(bd->disk);
	cancel_delayed_work_sync(&bd->drain_work);
	cancel_work_sync(&bd->broken_work);
	cancel_work_sync(&bd->capacity_work);
	blkvsc_close(bd);
	blkvsc_free_disk(bd);
	hv_set_drvdata(hdev, NULL);
	kfree(bd);
}

static const struct hv_vmbus_device_id blkvsc_ids[] = {
	{ .guid = VMBUS_CLASS_IDE },
	{ }
};
MODULE_DEVICE_TABLE(vmbus, blkvsc_ids);

static struct hv_driver blkvsc_driver = {
	.name		= KBUILD_MODNAME,
	.id_table	= blkvsc_ids,
	.probe		= blkvsc_probe,
	.remove		= blkvsc_remove,
};

static int __init blkvsc_init(void)
{
	int ret;

	blkvsc_major = register_blkdev(0, "hv_blkvsc");
	if (blkvsc_major < 0)
		return blkvsc_major;
	ret = vmbus_driver_register(&blkvsc_driver);
	if (ret)
		unregister_blkdev(blkvsc_major, "hv_blkvsc");
	return ret;
}
module_init(blkvsc_init);

static void __exit blkvsc_exit(void)
{
	vmbus_driver_unregister(&blkvsc_driver);
	unregister_blkdev(blkvsc_major, "hv_blkvsc");
}
module_exit(blkvsc_exit);

MODULE_DESCRIPTION("Hyper-V synthetic IDE disks and DVD drives (blkvsc)");
MODULE_LICENSE("GPL");
