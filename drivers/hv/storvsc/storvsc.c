// SPDX-License-Identifier: GPL-2.0
/*
 * hv_storvsc: the synthetic SCSI controller of Hyper-V, as a SCSI host.
 *
 * Each controller the host offers becomes one SCSI host with one bus, one
 * target and up to 255 LUNs. Its primary channel and the sub-channels the
 * host creates on request are the host's blk-mq hardware queues, one each.
 * Commands go to the host as EXECUTE_SRB requests whose data is one range
 * of guest pages; completions come back on the channel that carried the
 * request and finish the command there. The VSTOR protocol itself (the
 * handshake, building and checking packets) is in vstor.c, shared with
 * hv_blkvsc. See Documentation/hv/storvsc.rst.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/blk-mq.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/hyperv.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/sysfs.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <scsi/scsi.h>
#include <scsi/scsi_cmnd.h>
#include <scsi/scsi_device.h>
#include <scsi/scsi_eh.h>
#include <scsi/scsi_host.h>

#include <linux/hv_vstor.h>

/* What a synthetic SCSI controller addresses: one bus, one target. */
#define STORVSC_MAX_CHANNEL	0
#define STORVSC_MAX_TARGETS	1
#define STORVSC_MAX_LUN		255
/* How long probe waits for the sub-channels the host agreed to create. */
#define STORVSC_SUB_CHANNELS_WAIT_MS	10000
/* A rescan asks each LUN with TEST UNIT READY whether it is still there. */
#define STORVSC_TUR_TIMEOUT	(10 * HZ)
#define STORVSC_TUR_RETRIES	3
/* How long remove lets the host finish what it holds before failing it. */
#define STORVSC_DRAIN_WAIT	(10 * HZ)
#define STORVSC_DRAIN_POLL_MS	20
/* The unit attentions acted on: additional sense code and qualifier. */
#define STORVSC_ASC_PARAMS_CHANGED	0x2a
#define STORVSC_ASCQ_MODE_CHANGED	0x01
#define STORVSC_ASCQ_CAPACITY_CHANGED	0x09
#define STORVSC_ASC_TARGET_CHANGED	0x3f
#define STORVSC_ASCQ_LUNS_CHANGED	0x0e

static int sub_channels = -1;
module_param(sub_channels, int, 0644);
MODULE_PARM_DESC(sub_channels,
		 "Sub-channels (extra hardware queues) to ask each controller for: -1 = one channel per two online CPUs, at least two (default), 0 = none");

struct storvsc_host;

/**
 * struct storvsc_chan - one channel, and the hardware queue it serves
 * @vc: the VSTOR channel
 * @host: the controller it belongs to
 * @cb_lock: held by the channel callback while it delivers completions
 * @closed: vstor_chan_close() was called (under the host's @close_lock)
 */
struct storvsc_chan {
	struct vstor_chan vc;
	struct storvsc_host *host;
	spinlock_t cb_lock;	/* the callback vs the abort handler */
	bool closed;
};

/**
 * struct storvsc_host - one synthetic SCSI controller (the SCSI host's
 *	private data)
 * @hdev: its VMBus device
 * @shost: its SCSI host
 * @props: what the VSTOR handshake learnt
 * @chans: @max_chans entries, the first @nr_chans open, primary first;
 *	hardware queue i is served by @chans[i]
 * @nr_chans: channels open
 * @max_chans: entries of @chans
 * @close_lock: serializes closing channels
 * @rescan_lock: guards @rescan_on
 * @rescan_on: rescans may be queued (the host is added, not going away)
 * @rescan_work: drop the LUNs that are gone, rescan those that changed,
 *	then scan for new ones
 */
struct storvsc_host {
	struct hv_device *hdev;
	struct Scsi_Host *shost;
	struct vstor_props props;
	struct storvsc_chan *chans;
	unsigned int nr_chans;
	unsigned int max_chans;
	struct mutex close_lock;	/* storvsc_chan.closed */
	spinlock_t rescan_lock;	/* rescan_on vs queueing the work */
	bool rescan_on;
	struct work_struct rescan_work;
};

/**
 * struct storvsc_lun - per-LUN data (scsi_device.hostdata)
 * @gone: the host answered INVALID_LUN: remove the LUN at the next rescan
 * @changed: a unit attention said its capacity or parameters changed:
 *	rescan it at the next rescan
 */
struct storvsc_lun {
	bool gone;
	bool changed;
};

/* storvsc_cmd.flags */
#define STORVSC_CMD_ORPHAN	0	/* taken back from the host, to fail */

/**
 * struct storvsc_cmd - per-command data, allocated with the tag set
 * @pkt: the EXECUTE_SRB as sent
 * @sc: the channel it was sent on
 * @flags: STORVSC_CMD_*
 */
struct storvsc_cmd {
	struct vstor_packet pkt;
	struct storvsc_chan *sc;
	unsigned long flags;
};

/* --- rescans --------------------------------------------------------- */

static void storvsc_queue_rescan(struct storvsc_host *host)
{
	unsigned long flags;

	spin_lock_irqsave(&host->rescan_lock, flags);
	if (host->rescan_on)
		queue_work(system_long_wq, &host->rescan_work);
	spin_unlock_irqrestore(&host->rescan_lock, flags);
}

static void storvsc_allow_rescans(struct storvsc_host *host, bool on)
{
	spin_lock_irq(&host->rescan_lock);
	host->rescan_on = on;
	spin_unlock_irq(&host->rescan_lock);
}

/* The host answered INVALID_LUN for @sdev. Any context. */
static void storvsc_lun_gone(struct storvsc_host *host,
			     struct scsi_device *sdev)
{
	struct storvsc_lun *lun = sdev->hostdata;

	if (lun)
		WRITE_ONCE(lun->gone, true);
	/* A LUN being probed by a scan is simply not added. */
	if (sdev->sdev_state == SDEV_RUNNING)
		storvsc_queue_rescan(host);
}

/* A unit attention said @sdev changed. Any context. */
static void storvsc_lun_changed(struct storvsc_host *host,
				struct scsi_device *sdev)
{
	struct storvsc_lun *lun = sdev->hostdata;

	if (lun && sdev->sdev_state == SDEV_RUNNING) {
		WRITE_ONCE(lun->changed, true);
		storvsc_queue_rescan(host);
	}
}

/*
 * Ask every LUN that seems present whether the host still has it: the
 * completion of a TEST UNIT READY marks the missing ones gone.
 */
static void storvsc_check_luns(struct Scsi_Host *shost)
{
	struct scsi_sense_hdr sshdr;
	struct scsi_device *sdev;

	shost_for_each_device(sdev, shost) {
		struct storvsc_lun *lun = sdev->hostdata;

		if (lun && !READ_ONCE(lun->gone) &&
		    sdev->sdev_state == SDEV_RUNNING)
			scsi_test_unit_ready(sdev, STORVSC_TUR_TIMEOUT,
					     STORVSC_TUR_RETRIES, &sshdr);
	}
}

static void storvsc_remove_gone_luns(struct Scsi_Host *shost)
{
	struct scsi_device *sdev;

	shost_for_each_device(sdev, shost) {
		struct storvsc_lun *lun = sdev->hostdata;

		if (lun && READ_ONCE(lun->gone)) {
			sdev_printk(KERN_INFO, sdev, "removed by the host\n");
			scsi_remove_device(sdev);
		}
	}
}

/* Read capacity, VPD and mode pages again: sd picks up the changes. */
static void storvsc_rescan_changed_luns(struct Scsi_Host *shost)
{
	struct scsi_device *sdev;

	shost_for_each_device(sdev, shost) {
		struct storvsc_lun *lun = sdev->hostdata;

		if (!lun || !READ_ONCE(lun->changed))
			continue;
		WRITE_ONCE(lun->changed, false);
		sdev_printk(KERN_INFO, sdev, "changed by the host: rescanning\n");
		scsi_rescan_device(sdev);
	}
}

static void storvsc_rescan_work(struct work_struct *work)
{
	struct storvsc_host *host = container_of(work, struct storvsc_host,
						 rescan_work);

	storvsc_check_luns(host->shost);
	storvsc_remove_gone_luns(host->shost);
	storvsc_rescan_changed_luns(host->shost);
	scsi_scan_host(host->shost);
}

/* --- completions ----------------------------------------------------- */

/* The host byte for an SRB status that brings no SCSI status to judge. */
static u8 storvsc_host_byte(u8 srb_status)
{
	switch (srb_status) {
	case VSTOR_SRB_INVALID_LUN:
	case VSTOR_SRB_INVALID_TARGET_ID:
	case VSTOR_SRB_INVALID_PATH_ID:
	case VSTOR_SRB_NO_DEVICE:
	case VSTOR_SRB_SELECTION_TIMEOUT:
		return DID_NO_CONNECT;
	case VSTOR_SRB_BUSY:
		return DID_BUS_BUSY;
	/* Transient: the midlayer retries a few times. */
	case VSTOR_SRB_ABORTED:
	case VSTOR_SRB_TIMEOUT:
	case VSTOR_SRB_COMMAND_TIMEOUT:
	case VSTOR_SRB_BUS_RESET:
	case VSTOR_SRB_REQUEST_FLUSHED:
		return DID_SOFT_ERROR;
	default:
		return DID_ERROR;
	}
}

static int storvsc_bad_result(struct storvsc_chan *sc, struct scsi_cmnd *scmd,
			      const char *why, u8 val)
{
	atomic_inc(&sc->vc.bad_completions);
	dev_warn_ratelimited(&scmd->device->sdev_gendev,
			     "cmd 0x%02x: %s (0x%x)\n", scmd->cmnd[0], why, val);
	return DID_ERROR << 16;
}

/*
 * Unit attentions that change what the guest knows: new or removed LUNs
 * rescan the controller; a new capacity, new mode parameters or changed
 * operating conditions (3f/xx, as when the host changes a disk's block
 * size) rescan the LUN. The midlayer then retries the command.
 */
static void storvsc_sense_event(struct storvsc_host *host,
				struct scsi_device *sdev,
				const struct scsi_sense_hdr *sshdr)
{
	if (sshdr->sense_key != UNIT_ATTENTION)
		return;
	if (sshdr->asc == STORVSC_ASC_TARGET_CHANGED &&
	    sshdr->ascq == STORVSC_ASCQ_LUNS_CHANGED)
		storvsc_queue_rescan(host);
	else if (sshdr->asc == STORVSC_ASC_TARGET_CHANGED ||
		 (sshdr->asc == STORVSC_ASC_PARAMS_CHANGED &&
		  (sshdr->ascq == STORVSC_ASCQ_MODE_CHANGED ||
		   sshdr->ascq == STORVSC_ASCQ_CAPACITY_CHANGED)))
		storvsc_lun_changed(host, sdev);
}

/* The result of a completion whose SCSI status decides. */
static int storvsc_status_result(struct storvsc_chan *sc,
				 struct scsi_cmnd *scmd,
				 const struct vstor_srb_result *res)
{
	u8 status = res->scsi_status;
	struct scsi_sense_hdr sshdr;

	BUILD_BUG_ON(VSTOR_SRB_SENSE_SIZE > SCSI_SENSE_BUFFERSIZE);
	if (!vstor_scsi_status_valid(status))
		return storvsc_bad_result(sc, scmd, "invalid SCSI status",
					  status);
	if (status != SAM_STAT_CHECK_CONDITION) {
		/* An ERROR without a status: nothing to decide on. */
		if (res->srb_status == VSTOR_SRB_ERROR &&
		    status == SAM_STAT_GOOD)
			return DID_ERROR << 16;
		return status;
	}
	if (!res->sense_len)
		return DID_ERROR << 16;
	memcpy(scmd->sense_buffer, res->sense, res->sense_len);
	if (!scsi_normalize_sense(scmd->sense_buffer, res->sense_len, &sshdr)) {
		memset(scmd->sense_buffer, 0, res->sense_len);
		return storvsc_bad_result(sc, scmd,
					  "CHECK CONDITION with invalid sense",
					  res->sense[0]);
	}
	storvsc_sense_event(sc->host, scmd->device, &sshdr);
	return status;
}

static int storvsc_result(struct storvsc_chan *sc, struct scsi_cmnd *scmd,
			  const struct vstor_srb_result *res)
{
	if (res->srb_status == VSTOR_SRB_INVALID_LUN) {
		storvsc_lun_gone(sc->host, scmd->device);
		return DID_NO_CONNECT << 16;
	}
	if (vstor_srb_status_decides(res))
		return storvsc_status_result(sc, scmd, res);
	return storvsc_host_byte(res->srb_status) << 16;
}

/* The host's packet status is an NT status derived from the SRB status. */
static void storvsc_log_failure(struct scsi_cmnd *scmd,
				const struct vstor_srb_result *res)
{
	if (res->srb_status == VSTOR_SRB_SUCCESS &&
	    res->scsi_status == SAM_STAT_GOOD)
		return;
	dev_info_ratelimited(&scmd->device->sdev_gendev,
			     "cmd 0x%02x: SRB status 0x%x, SCSI status 0x%x, host status 0x%x\n",
			     scmd->cmnd[0], res->srb_status, res->scsi_status,
			     res->host_status);
}

static void storvsc_complete(struct storvsc_chan *sc, struct scsi_cmnd *scmd,
			     const struct vmbus_pkt *pkt)
{
	struct storvsc_cmd *cmd = scsi_cmd_priv(scmd);
	u32 requested = cmd->pkt.srb.data_transfer_length;
	struct vstor_srb_result res;

	if (vstor_srb_result(&sc->vc, pkt, requested, &res)) {
		scmd->result = DID_ERROR << 16;
		res.transferred = 0;
	} else {
		storvsc_log_failure(scmd, &res);
		scmd->result = storvsc_result(sc, scmd, &res);
	}
	scsi_set_resid(scmd, requested - res.transferred);
	scsi_done(scmd);
}

static void storvsc_on_packet(struct storvsc_chan *sc,
			      const struct vmbus_pkt *pkt)
{
	switch (pkt->type) {
	case VMBUS_PKT_COMP:
		/* The core matched the id: an SRB of this channel. */
		storvsc_complete(sc, pkt->rqst, pkt);
		break;
	case VMBUS_PKT_DATA_INBAND:
		/* ENUMERATE_BUS or REMOVE_DEVICE: the LUNs changed. */
		if (vstor_host_request(&sc->vc, pkt) > 0)
			storvsc_queue_rescan(sc->host);
		break;
	default:
		dev_warn_ratelimited(&sc->host->hdev->device,
				     "channel %u: unexpected packet type %u\n",
				     vmbus_chan_relid(sc->vc.chan), pkt->type);
		break;
	}
}

/* The channel callback: softirq context, never concurrent with itself. */
static void storvsc_on_channel(void *ctx)
{
	struct storvsc_chan *sc = ctx;
	struct vmbus_channel *chan = sc->vc.chan;
	const struct vmbus_pkt *pkt;

	spin_lock(&sc->cb_lock);
	do {
		while ((pkt = vmbus_recv_pkt(chan)))
			storvsc_on_packet(sc, pkt);
	} while (vmbus_recv_done(chan));
	spin_unlock(&sc->cb_lock);
}

/* --- channels going away --------------------------------------------- */

/* Close @sc once: after that the host writes none of its pages. */
static void storvsc_close_chan(struct storvsc_chan *sc)
{
	mutex_lock(&sc->host->close_lock);
	if (!sc->closed) {
		vstor_chan_close(&sc->vc);
		sc->closed = true;
	}
	mutex_unlock(&sc->host->close_lock);
}

/**
 * struct storvsc_fail - which commands storvsc_reclaim() takes back
 * @sc: only commands sent on this channel; NULL for all
 * @result: the result they get
 */
struct storvsc_fail {
	struct storvsc_chan *sc;
	int result;
};

/* The channel @scmd went out on, if @fail is about it; or NULL. */
static struct storvsc_chan *storvsc_fail_chan(struct scsi_cmnd *scmd,
					      const struct storvsc_fail *fail)
{
	struct storvsc_cmd *cmd = scsi_cmd_priv(scmd);
	struct storvsc_chan *sc = READ_ONCE(cmd->sc);

	return sc && (!fail->sc || sc == fail->sc) ? sc : NULL;
}

static bool storvsc_take_back_cmd(struct scsi_cmnd *scmd, void *data)
{
	struct storvsc_chan *sc = storvsc_fail_chan(scmd, data);
	struct storvsc_cmd *cmd = scsi_cmd_priv(scmd);

	/* Exactly one of this and the command's completion finishes it. */
	if (sc && vstor_chan_forget(&sc->vc, scmd))
		set_bit(STORVSC_CMD_ORPHAN, &cmd->flags);
	return true;
}

static bool storvsc_fail_orphan(struct scsi_cmnd *scmd, void *data)
{
	struct storvsc_cmd *cmd = scsi_cmd_priv(scmd);
	const struct storvsc_fail *fail = data;

	if (storvsc_fail_chan(scmd, fail) &&
	    test_and_clear_bit(STORVSC_CMD_ORPHAN, &cmd->flags)) {
		scmd->result = fail->result;
		scsi_done(scmd);
	}
	return true;
}

/* The core hands back a command its closed channel still had. */
static void storvsc_on_detach(void *ctx, void *rqst)
{
	struct storvsc_cmd *cmd = scsi_cmd_priv(rqst);

	set_bit(STORVSC_CMD_ORPHAN, &cmd->flags);
}

/*
 * Stop sending on @sc (NULL: every channel), take back what the host
 * holds there and fail it with @result. With @close (process context),
 * the channels are closed before the commands are failed: a host that
 * still has a channel open may write into their pages until then. Closing
 * hands the commands back itself (storvsc_on_detach()).
 */
static void storvsc_reclaim(struct storvsc_host *host, struct storvsc_chan *sc,
			    bool close, int result)
{
	struct storvsc_fail fail = { .sc = sc, .result = result };
	unsigned int i;

	for (i = 0; i < host->nr_chans; i++)
		if (!sc || sc == &host->chans[i])
			vstor_chan_stop(&host->chans[i].vc);
	if (!close)
		scsi_host_busy_iter(host->shost, storvsc_take_back_cmd, &fail);
	/* Sub-channels first, as the host expects. */
	for (i = host->nr_chans; close && i--; )
		if (!sc || sc == &host->chans[i])
			storvsc_close_chan(&host->chans[i]);
	scsi_host_busy_iter(host->shost, storvsc_fail_orphan, &fail);
}

/* The result of a command whose channel is lost. */
static int storvsc_lost_result(struct storvsc_host *host,
			       struct storvsc_chan *sc)
{
	/* Its queue moves to the primary, if the primary still works. */
	if (sc != &host->chans[0] && vstor_chan_alive(&host->chans[0].vc))
		return DID_REQUEUE << 16;
	return DID_NO_CONNECT << 16;
}

static struct storvsc_host *storvsc_chan_host(struct vmbus_channel *chan)
{
	return hv_get_drvdata(vmbus_chan_device(chan));
}

/*
 * The host removes the controller: nothing sent will be completed, and
 * the host closed the channels on its side.
 */
static void storvsc_on_rescind(struct vmbus_channel *chan)
{
	storvsc_reclaim(storvsc_chan_host(chan), NULL, false,
			DID_NO_CONNECT << 16);
}

/* The host removes one sub-channel: its queue moves to the primary. */
static void storvsc_on_subchannel_rescind(struct vmbus_channel *chan)
{
	struct storvsc_host *host = storvsc_chan_host(chan);
	unsigned int i;

	for (i = 1; i < READ_ONCE(host->nr_chans); i++)
		if (host->chans[i].vc.chan == chan)
			storvsc_reclaim(host, &host->chans[i], false,
					storvsc_lost_result(host,
							    &host->chans[i]));
}

/* --- the SCSI host --------------------------------------------------- */

/* The channel that serves hardware queue @hwq. */
static struct storvsc_chan *storvsc_chan_for(struct storvsc_host *host,
					     u16 hwq)
{
	struct storvsc_chan *sc = &host->chans[hwq];

	/* A sub-channel the host took away leaves its queue to the primary. */
	if (hwq && !vstor_chan_alive(&sc->vc))
		return &host->chans[0];
	return sc;
}

/*
 * Send @scmd on *@scp. A sub-channel the host takes away (or whose ring
 * breaks) after it was chosen leaves the command to the primary; *@scp
 * is then the primary.
 */
static int storvsc_send(struct storvsc_host *host, struct storvsc_chan **scp,
			struct scsi_cmnd *scmd)
{
	struct storvsc_cmd *cmd = scsi_cmd_priv(scmd);
	struct storvsc_chan *sc = *scp;
	int ret;

	for (;;) {
		WRITE_ONCE(cmd->sc, sc);
		ret = vstor_send_srb(&sc->vc, &cmd->pkt, scsi_sglist(scmd),
				     scsi_sg_count(scmd), scmd,
				     VMBUS_SEND_DEFER_SIGNAL);
		if ((ret != -ENODEV && ret != -EIO) || sc == &host->chans[0])
			break;
		sc = &host->chans[0];
	}
	*scp = sc;
	return ret;
}

static struct vstor_chan *storvsc_queue_chan(void *ctx, unsigned int hwq)
{
	struct storvsc_host *host = ctx;

	return &host->chans[hwq].vc;
}

/* Hardware queue i runs on the CPU that channel i interrupts. */
static void storvsc_map_queues(struct Scsi_Host *shost)
{
	vstor_map_queues(&shost->tag_set.map[HCTX_TYPE_DEFAULT],
			 storvsc_queue_chan, shost_priv(shost));
}

static int storvsc_queuecommand(struct Scsi_Host *shost,
				struct scsi_cmnd *scmd)
{
	struct storvsc_host *host = shost_priv(shost);
	struct storvsc_cmd *cmd = scsi_cmd_priv(scmd);
	struct request *rq = scsi_cmd_to_rq(scmd);
	struct scsi_device *sdev = scmd->device;
	struct vstor_srb_addr addr = {
		.port = shost->host_no,
		.path = sdev->channel,
		.target = sdev->id,
		.lun = sdev->lun,
		.tagged = sdev->tagged_supported,
	};
	/* Read now: once completed, the command may be someone else's. */
	bool last = scmd->flags & SCMD_LAST;
	struct storvsc_chan *sc;
	int ret;

	sc = storvsc_chan_for(host,
			      blk_mq_unique_tag_to_hwq(blk_mq_unique_tag(rq)));
	WRITE_ONCE(cmd->sc, sc);
	/* The SRB has a byte for each: never let an address wrap. */
	if (sdev->lun > STORVSC_MAX_LUN || sdev->id >= STORVSC_MAX_TARGETS ||
	    sdev->channel > STORVSC_MAX_CHANNEL) {
		ret = -ENODEV;
		goto fail;
	}
	ret = vstor_srb_init(&cmd->pkt, &addr, scmd->cmnd, scmd->cmd_len,
			     scmd->sc_data_direction, scsi_bufflen(scmd),
			     rq->timeout / HZ);
	if (ret)
		goto fail;
	/* The last command of a batch signals the host, for all of them. */
	ret = storvsc_send(host, &sc, scmd);
	/*
	 * A completion makes room and restarts the queue (commit_rqs kicks);
	 * only this LUN waits, as the ring may be full of others' commands.
	 */
	if (ret == -EAGAIN)
		return SCSI_MLQUEUE_DEVICE_BUSY;
fail:
	if (ret == -EINVAL || ret == -EMSGSIZE) {
		scmd_printk(KERN_WARNING, scmd, "cannot send this command\n");
		scmd->result = DID_ERROR << 16;
	} else if (ret) {
		scmd->result = DID_NO_CONNECT << 16;
	}
	if (ret)
		scsi_done(scmd);
	if (last)
		vmbus_chan_kick(sc->vc.chan);
	return 0;
}

static void storvsc_commit_rqs(struct Scsi_Host *shost, u16 hwq)
{
	struct storvsc_host *host = shost_priv(shost);

	vmbus_chan_kick(storvsc_chan_for(host, hwq)->vc.chan);
}

/*
 * Hyper-V completes every command it holds, however late, and until then
 * it may still write into the command's pages: while the channel lives,
 * keep waiting. Only on a dead channel (rescinded, or its ring broke) does
 * the error handler take the command back, through storvsc_eh_abort().
 */
static HV_SCSI_TIMEOUT_ACTION storvsc_eh_timed_out(struct scsi_cmnd *scmd)
{
	struct storvsc_cmd *cmd = scsi_cmd_priv(scmd);
	struct storvsc_chan *sc = READ_ONCE(cmd->sc);

	if (sc && vstor_chan_alive(&sc->vc))
		return HV_SCSI_EH_RESET_TIMER;
	return HV_SCSI_EH_NOT_HANDLED;
}

/*
 * A command timed out on a dead channel, or a command of the error
 * handler did: make the
 * core forget it, so that no late completion can finish the request that
 * reuses its tag. If the completion got there first, wait until it has
 * been delivered: then too the host is done with the command.
 */
static int storvsc_eh_abort(struct scsi_cmnd *scmd)
{
	struct storvsc_cmd *cmd = scsi_cmd_priv(scmd);
	struct storvsc_chan *sc = READ_ONCE(cmd->sc);
	struct storvsc_host *host;

	if (!sc)
		return SUCCESS;
	if (!vstor_chan_forget(&sc->vc, scmd)) {
		spin_lock_bh(&sc->cb_lock);
		spin_unlock_bh(&sc->cb_lock);
		return SUCCESS;
	}
	host = sc->host;
	dev_warn_ratelimited(&scmd->device->sdev_gendev,
			     "cmd 0x%02x: no completion from the host: aborted\n",
			     scmd->cmnd[0]);
	/* A broken channel the host still has open: close it first. */
	if (!vstor_chan_alive(&sc->vc) &&
	    !vmbus_chan_is_rescinded(sc->vc.chan)) {
		dev_warn(&host->hdev->device,
			 "channel %u failed: closing it before its commands fail\n",
			 vmbus_chan_relid(sc->vc.chan));
		storvsc_reclaim(host, sc, true, storvsc_lost_result(host, sc));
	}
	return SUCCESS;
}

static int storvsc_slave_alloc(struct scsi_device *sdev)
{
	struct storvsc_lun *lun = kzalloc(sizeof(*lun), GFP_KERNEL);

	if (!lun)
		return -ENOMEM;
	sdev->hostdata = lun;
	return 0;
}

static void storvsc_slave_destroy(struct scsi_device *sdev)
{
	kfree(sdev->hostdata);
	sdev->hostdata = NULL;
}

static struct storvsc_host *storvsc_dev_host(struct device *dev)
{
	return shost_priv(class_to_shost(dev));
}

static ssize_t vstor_version_show(struct device *dev,
				  struct device_attribute *attr, char *buf)
{
	u16 version = storvsc_dev_host(dev)->props.version;

	return sysfs_emit(buf, "%u.%u\n", version >> 8, version & 0xff);
}
static DEVICE_ATTR_RO(vstor_version);

static ssize_t channels_show(struct device *dev,
			     struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", storvsc_dev_host(dev)->nr_chans);
}
static DEVICE_ATTR_RO(channels);

static ssize_t bad_completions_show(struct device *dev,
				    struct device_attribute *attr, char *buf)
{
	struct storvsc_host *host = storvsc_dev_host(dev);
	unsigned int i, sum = 0;

	for (i = 0; i < host->nr_chans; i++)
		sum += atomic_read(&host->chans[i].vc.bad_completions);
	return sysfs_emit(buf, "%u\n", sum);
}
static DEVICE_ATTR_RO(bad_completions);

static struct attribute *storvsc_host_attrs[] = {
	&dev_attr_vstor_version.attr,
	&dev_attr_channels.attr,
	&dev_attr_bad_completions.attr,
	NULL,
};
ATTRIBUTE_GROUPS(storvsc_host);

static HV_CONST_SCSI_HOST_TEMPLATE storvsc_template = {
	.module			= THIS_MODULE,
	.name			= "hv_storvsc",
	.proc_name		= "hv_storvsc",
	.queuecommand		= storvsc_queuecommand,
	.commit_rqs		= storvsc_commit_rqs,
	.map_queues		= storvsc_map_queues,
	.eh_timed_out		= storvsc_eh_timed_out,
	.eh_abort_handler	= storvsc_eh_abort,
	.slave_alloc		= storvsc_slave_alloc,
	.slave_destroy		= storvsc_slave_destroy,
	.change_queue_depth	= scsi_change_queue_depth,
	.shost_groups		= storvsc_host_groups,
	.cmd_size		= sizeof(struct storvsc_cmd),
	.this_id		= -1,
	/* Real limits are the host's; set per controller in probe. */
	.can_queue		= 1,
	.sg_tablesize		= 1,
};

/* --- probe and remove ------------------------------------------------ */

/* Open @chan as the next channel (and hardware queue) of @host. */
static int storvsc_open_chan(struct storvsc_host *host,
			     struct vmbus_channel *chan)
{
	struct storvsc_chan *sc = &host->chans[host->nr_chans];
	int ret;

	sc->host = host;
	spin_lock_init(&sc->cb_lock);
	sc->closed = false;
	ret = vstor_chan_open(&sc->vc, chan, &host->hdev->device,
			      vstor_queue_depth(), storvsc_on_channel,
			      storvsc_on_detach, sc);
	if (!ret)
		WRITE_ONCE(host->nr_chans, host->nr_chans + 1);
	return ret;
}

/* With the rescind callbacks stopped (vmbus_stop_rescind_callbacks()). */
static void storvsc_close_chans(struct storvsc_host *host)
{
	struct storvsc_chan *sc;

	/* Sub-channels first, as the host expects. */
	while (host->nr_chans) {
		sc = &host->chans[--host->nr_chans];
		/* Once closed, a rescinded sub-channel may be freed. */
		if (!sc->closed)
			storvsc_close_chan(sc);
	}
}

/* vmbus_subchannels_open()'s callbacks: ask the host, open one. */
static int storvsc_request_subchannels(void *ctx, unsigned int count)
{
	struct storvsc_host *host = ctx;

	return vstor_create_sub_channels(&host->chans[0].vc, count);
}

static int storvsc_open_subchannel(void *ctx, struct vmbus_channel *sub)
{
	struct storvsc_host *host = ctx;
	int ret;

	ret = storvsc_open_chan(host, sub);
	if (!ret)
		vmbus_set_rescind_callback(sub, storvsc_on_subchannel_rescind);
	return ret;
}

/*
 * By default one channel per two online CPUs, but two channels as soon as
 * there are two CPUs: each channel interrupts a CPU of its own.
 */
static unsigned int storvsc_subchannels_wanted(struct storvsc_host *host)
{
	unsigned int cpus = num_online_cpus();
	int want = READ_ONCE(sub_channels);

	if (want < 0)
		want = max(DIV_ROUND_UP(cpus, 2), min(cpus, 2U)) - 1;
	return min3((unsigned int)want,
		    (unsigned int)host->props.max_sub_channels,
		    host->max_chans - 1);
}

/* Ask for sub-channels and open those that come: one channel will do. */
static void storvsc_add_subchannels(struct storvsc_host *host)
{
	struct vmbus_subchannel_req req = {
		.count = storvsc_subchannels_wanted(host),
		.timeout_ms = STORVSC_SUB_CHANNELS_WAIT_MS,
		.request = storvsc_request_subchannels,
		.open = storvsc_open_subchannel,
		.ctx = host,
	};
	int ret;

	if (!req.count)
		return;
	ret = vmbus_subchannels_open(host->hdev->channel, &req);
	if (ret != req.count)
		dev_warn(&host->hdev->device,
			 "%u of %u sub-channels opened\n",
			 host->nr_chans - 1, req.count);
}

static void storvsc_set_limits(struct storvsc_host *host)
{
	struct Scsi_Host *shost = host->shost;
	u32 max = host->props.max_transfer;

	shost->max_channel = STORVSC_MAX_CHANNEL;
	shost->max_id = STORVSC_MAX_TARGETS;
	shost->max_lun = STORVSC_MAX_LUN;
	shost->max_cmd_len = VSTOR_CDB_SIZE;
	shost->nr_hw_queues = host->nr_chans;
	shost->can_queue = vstor_queue_depth();
	shost->cmd_per_lun = shost->can_queue;
	shost->max_sectors = max >> SECTOR_SHIFT;
	/* A transfer that starts inside a page touches one page more. */
	shost->sg_tablesize = max / PAGE_SIZE + 1;
	/* No holes between segments: the data is one range of pages. */
	shost->virt_boundary_mask = PAGE_SIZE - 1;
}

static int storvsc_probe(struct hv_device *hdev,
			 const struct hv_vmbus_device_id *id)
{
	struct storvsc_host *host;
	struct Scsi_Host *shost;
	int ret;

	shost = scsi_host_alloc(&storvsc_template, sizeof(*host));
	if (!shost)
		return -ENOMEM;
	host = shost_priv(shost);
	host->hdev = hdev;
	host->shost = shost;
	mutex_init(&host->close_lock);
	spin_lock_init(&host->rescan_lock);
	INIT_WORK(&host->rescan_work, storvsc_rescan_work);
	hv_set_drvdata(hdev, host);

	/* At most one channel per CPU: more queues would have no CPU. */
	host->max_chans = nr_cpu_ids;
	host->chans = kcalloc(host->max_chans, sizeof(*host->chans),
			      GFP_KERNEL);
	if (!host->chans) {
		ret = -ENOMEM;
		goto err_put;
	}

	ret = storvsc_open_chan(host, hdev->channel);
	if (ret)
		goto err_free;

	ret = vstor_negotiate(&host->chans[0].vc, &host->props);
	if (ret)
		goto err_close;

	storvsc_add_subchannels(host);
	storvsc_set_limits(host);

	ret = scsi_add_host(shost, &hdev->device);
	if (ret)
		goto err_close;

	vmbus_set_rescind_callback(hdev->channel, storvsc_on_rescind);
	storvsc_allow_rescans(host, true);
	dev_info(&hdev->device,
		 "SCSI host %u: VSTOR %u.%u, %u channel(s), max transfer %u KiB, queue depth %u\n",
		 shost->host_no, host->props.version >> 8,
		 host->props.version & 0xff, host->nr_chans,
		 host->props.max_transfer / 1024, shost->can_queue);
	scsi_scan_host(shost);
	return 0;

err_close:
	vmbus_stop_rescind_callbacks(hdev->channel);
	storvsc_close_chans(host);
err_free:
	kfree(host->chans);
err_put:
	hv_set_drvdata(hdev, NULL);
	scsi_host_put(shost);
	return ret;
}

/*
 * Let the host complete what it holds, for STORVSC_DRAIN_WAIT at most,
 * with no new command sent meanwhile. Then take back what is left, on
 * closed channels: a host that never answers must not hold up removal.
 */
static void storvsc_drain(struct storvsc_host *host)
{
	struct Scsi_Host *shost = host->shost;
	unsigned long end = jiffies + STORVSC_DRAIN_WAIT;
	int busy;

	scsi_block_requests(shost);
	while ((busy = scsi_host_busy(shost)) && time_before(jiffies, end))
		msleep(STORVSC_DRAIN_POLL_MS);
	if (busy) {
		dev_warn(&host->hdev->device,
			 "the host did not complete %d command(s) in %u s: failing them\n",
			 busy, STORVSC_DRAIN_WAIT / HZ);
		storvsc_reclaim(host, NULL, true, DID_NO_CONNECT << 16);
	}
	scsi_unblock_requests(shost);
}

static void storvsc_remove(struct hv_device *hdev)
{
	struct storvsc_host *host = hv_get_drvdata(hdev);
	struct Scsi_Host *shost = host->shost;

	vmbus_stop_rescind_callbacks(hdev->channel);
	storvsc_allow_rescans(host, false);
	/* A host that took the controller away completes nothing more. */
	if (!vstor_chan_alive(&host->chans[0].vc))
		storvsc_reclaim(host, NULL, true, DID_NO_CONNECT << 16);
	else
		storvsc_drain(host);
	cancel_work_sync(&host->rescan_work);
	scsi_remove_host(shost);
	storvsc_close_chans(host);
	kfree(host->chans);
	hv_set_drvdata(hdev, NULL);
	scsi_host_put(shost);
}

static const struct hv_vmbus_device_id storvsc_ids[] = {
	{ .guid = VMBUS_CLASS_SCSI },
	{ }
};
MODULE_DEVICE_TABLE(vmbus, storvsc_ids);

static struct hv_driver storvsc_driver = {
	.name		= KBUILD_MODNAME,
	.id_table	= storvsc_ids,
	.probe		= storvsc_probe,
	.remove		= storvsc_remove,
};
module_hv_driver(storvsc_driver);

MODULE_DESCRIPTION("Hyper-V synthetic SCSI controller (storvsc)");
MODULE_LICENSE("GPL");
