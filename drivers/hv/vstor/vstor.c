// SPDX-License-Identifier: GPL-2.0
/*
 * hv_vstor: the VSTOR transport of the synthetic storage drivers.
 *
 * One copy of what hv_storvsc (SCSI class) and hv_blkvsc (IDE class) both
 * need: opening a VSTOR channel, the initialisation handshake, asking for
 * sub-channels, building an EXECUTE_SRB with its data as one GPA range,
 * and checking what the host sends back before anyone uses it.
 *
 * Requests are matched to completions by the VMBus core's request ids
 * (per channel, with a generation), so the host never sees a guest
 * pointer and a completion can only finish a request of its own channel.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/blk-mq.h>
#include <linux/device.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <scsi/scsi_proto.h>
#include <kunit/visibility.h>

#include <linux/hv_vstor.h>

/* Each handshake step waits this long for its completion. */
#define VSTOR_INIT_TIMEOUT_MS		5000
/* The host creates the sub-channels before it answers. */
#define VSTOR_SUB_CHANNELS_TIMEOUT_MS	10000
/* Pages one range may need: a transfer that starts inside a page. */
#define VSTOR_MAX_PFNS			(VSTOR_MAX_TRANSFER / PAGE_SIZE + 1)
/* Host packets are completions and requests, one vstor_packet each. */
#define VSTOR_MAX_PKT_SIZE		256
/* Bound on requests in flight per channel, whatever the ring allows. */
#define VSTOR_MAX_QUEUE_DEPTH		512

/* The versions we speak, newest first. */
static const u16 vstor_versions[] = {
	VSTOR_VERSION_WIN10,
	VSTOR_VERSION_WIN8_1,
	VSTOR_VERSION_WIN8,
};

/* --- channels -------------------------------------------------------- */

/**
 * vstor_queue_depth() - requests one VSTOR channel may keep in flight
 *
 * As many completions as the host-to-guest ring holds, so that a host
 * completing everything at once still finds room, up to a fixed bound.
 *
 * Return: the depth, for a blk-mq tag set and vstor_chan_open().
 */
u32 vstor_queue_depth(void)
{
	u32 comp = ALIGN(sizeof(struct vmbus_packet_desc) +
			 sizeof(struct vstor_packet), VMBUS_PKT_ALIGN) +
		   VMBUS_PKT_TRAILER_SIZE;

	return min_t(u32, (VSTOR_RING_SIZE - PAGE_SIZE) / comp,
		     VSTOR_MAX_QUEUE_DEPTH);
}
EXPORT_SYMBOL_GPL(vstor_queue_depth);

/**
 * vstor_chan_open() - open a channel for VSTOR
 * @vc: the VSTOR channel to set up
 * @chan: the VMBus channel (primary or sub-channel), closed
 * @dev: the device, for log lines
 * @max_requests: requests that may be in flight at once
 * @callback: the channel callback (softirq context)
 * @detach: gets each request still in flight when the channel is closed
 *	(vmbus_chan_config.detach)
 * @ctx: their argument
 *
 * Process context.
 *
 * Return: 0, -ENOMEM, or an error of vmbus_chan_open().
 */
int vstor_chan_open(struct vstor_chan *vc, struct vmbus_channel *chan,
		    struct device *dev, u32 max_requests,
		    void (*callback)(void *ctx),
		    void (*detach)(void *ctx, void *rqst), void *ctx)
{
	struct vmbus_chan_config cfg = {
		.send_ring_size = VSTOR_RING_SIZE,
		.recv_ring_size = VSTOR_RING_SIZE,
		.max_pkt_size = VSTOR_MAX_PKT_SIZE,
		.max_requests = max_requests,
		.callback = callback,
		.detach = detach,
		.ctx = ctx,
	};
	int ret;

	vc->chan = chan;
	vc->dev = dev;
	spin_lock_init(&vc->lock);
	vc->stopped = false;
	atomic_set(&vc->bad_completions, 0);
	vc->range = kmalloc(struct_size(vc->range, pfn_array, VSTOR_MAX_PFNS),
			    GFP_KERNEL);
	if (!vc->range)
		return -ENOMEM;
	ret = vmbus_chan_open(chan, &cfg);
	if (ret) {
		dev_err(dev, "cannot open channel %u: %d\n",
			vmbus_chan_relid(chan), ret);
		kfree(vc->range);
		vc->range = NULL;
	}
	return ret;
}
EXPORT_SYMBOL_GPL(vstor_chan_open);

/**
 * vstor_chan_close() - close a channel opened with vstor_chan_open()
 * @vc: the VSTOR channel
 *
 * Requests still in flight go to the detach callback of vstor_chan_open()
 * once the host was told to close. Process context, not from the
 * channel's callback.
 */
void vstor_chan_close(struct vstor_chan *vc)
{
	vstor_chan_stop(vc);
	vmbus_chan_close(vc->chan);
	kfree(vc->range);
	vc->range = NULL;
}
EXPORT_SYMBOL_GPL(vstor_chan_close);

/**
 * vstor_chan_stop() - send nothing more on a channel
 * @vc: the VSTOR channel
 *
 * Once this returns, no vstor_send_srb() is running on @vc and every later
 * one fails with -ENODEV: the requests in flight are exactly those the
 * host has. Any context but hard interrupts.
 */
void vstor_chan_stop(struct vstor_chan *vc)
{
	unsigned long flags;

	spin_lock_irqsave(&vc->lock, flags);
	vc->stopped = true;
	spin_unlock_irqrestore(&vc->lock, flags);
}
EXPORT_SYMBOL_GPL(vstor_chan_stop);

/**
 * vstor_chan_alive() - whether the host will still complete requests
 * @vc: the VSTOR channel
 *
 * Return: false once the channel was stopped, rescinded or failed.
 */
bool vstor_chan_alive(struct vstor_chan *vc)
{
	return !READ_ONCE(vc->stopped) && !vmbus_chan_is_dead(vc->chan);
}
EXPORT_SYMBOL_GPL(vstor_chan_alive);

/**
 * vstor_chan_forget() - take a request back from the host
 * @vc: the VSTOR channel the request was sent on
 * @rqst: the context it was sent with
 *
 * For a request that is aborted or whose channel is gone: exactly one of
 * this and the request's completion wins, and a completion the host
 * sends later is dropped by the core. Any context but hard interrupts.
 *
 * Return: true if the caller now owns @rqst (its completion will never
 * be delivered), false if the completion was or is being delivered.
 */
bool vstor_chan_forget(struct vstor_chan *vc, void *rqst)
{
	return vmbus_rqst_forget(vc->chan, rqst);
}
EXPORT_SYMBOL_GPL(vstor_chan_forget);

/**
 * vstor_map_queues() - map each hardware queue to its channel's CPU
 * @qmap: the blk-mq queue map to fill (its nr_queues hardware queues)
 * @queue_chan: the open VSTOR channel that serves hardware queue i
 * @ctx: passed to @queue_chan
 *
 * Each channel's target CPU submits to the channel that interrupts it,
 * so a request is sent and completed on one CPU. The other CPUs keep the
 * default spread of blk_mq_map_queues(). For a tag set's map_queues; the
 * map is not redone when a channel is moved to another CPU later.
 */
void vstor_map_queues(struct blk_mq_queue_map *qmap,
		      struct vstor_chan *(*queue_chan)(void *ctx,
						       unsigned int hwq),
		      void *ctx)
{
	unsigned int hwq, cpu;

	blk_mq_map_queues(qmap);
	for (hwq = 0; hwq < qmap->nr_queues; hwq++) {
		cpu = vmbus_chan_cpu(queue_chan(ctx, hwq)->chan);
		if (cpu < nr_cpu_ids)
			qmap->mq_map[cpu] = qmap->queue_offset + hwq;
	}
}
EXPORT_SYMBOL_GPL(vstor_map_queues);

/* --- initialisation -------------------------------------------------- */

static const char *vstor_op_name(u32 op)
{
	switch (op) {
	case VSTOR_OP_BEGIN_INITIALIZATION:
		return "BEGIN_INITIALIZATION";
	case VSTOR_OP_END_INITIALIZATION:
		return "END_INITIALIZATION";
	case VSTOR_OP_QUERY_PROTOCOL_VERSION:
		return "QUERY_PROTOCOL_VERSION";
	case VSTOR_OP_QUERY_PROPERTIES:
		return "QUERY_PROPERTIES";
	case VSTOR_OP_CREATE_SUB_CHANNELS:
		return "CREATE_SUB_CHANNELS";
	default:
		return "request";
	}
}

/*
 * Send one handshake request and wait for its completion, which replaces
 * *pkt. Only a whole COMPLETE_IO packet is an answer; its status is for
 * the caller to judge. A completion after the timeout finds the
 * transaction cancelled and is dropped.
 */
static int vstor_request(struct vstor_chan *vc, struct vstor_packet *pkt,
			 unsigned int timeout_ms)
{
	const char *what = vstor_op_name(pkt->operation);
	const struct vstor_packet *resp;
	struct vmbus_xact *x;
	u32 len;
	int ret;

	x = vmbus_xact_alloc(vc->chan, sizeof(*resp), GFP_KERNEL);
	if (!x)
		return -ENOMEM;
	pkt->flags = VSTOR_FLAG_REQUEST_COMPLETION;
	ret = vmbus_xact_send(x, pkt, sizeof(*pkt));
	if (!ret)
		ret = vmbus_xact_wait(x, timeout_ms);
	if (ret) {
		dev_err(vc->dev, "VSTOR %s: no answer from the host: %d\n",
			what, ret);
		goto out;
	}
	resp = vmbus_xact_reply(x, &len);
	if (len < sizeof(*resp) || resp->operation != VSTOR_OP_COMPLETE_IO) {
		dev_err(vc->dev,
			"VSTOR %s: malformed answer (%u bytes, operation %u)\n",
			what, len, resp->operation);
		ret = -EPROTO;
		goto out;
	}
	*pkt = *resp;
out:
	vmbus_xact_put(x);
	return ret;
}

/* A request whose answer only carries a status. */
static int vstor_request_ok(struct vstor_chan *vc, struct vstor_packet *pkt,
			    unsigned int timeout_ms)
{
	u32 op = pkt->operation;
	int ret;

	ret = vstor_request(vc, pkt, timeout_ms);
	if (ret)
		return ret;
	if (pkt->status != VSTOR_STATUS_SUCCESS) {
		dev_err(vc->dev, "VSTOR %s: host refused it: status %#x\n",
			vstor_op_name(op), pkt->status);
		return -EIO;
	}
	return 0;
}

static int vstor_simple_request(struct vstor_chan *vc, u32 op)
{
	struct vstor_packet pkt = { .operation = op };

	return vstor_request_ok(vc, &pkt, VSTOR_INIT_TIMEOUT_MS);
}

static int vstor_query_version(struct vstor_chan *vc, u16 *version)
{
	struct vstor_packet pkt;
	unsigned int i;
	u32 status = 0;
	int ret;

	for (i = 0; i < ARRAY_SIZE(vstor_versions); i++) {
		memset(&pkt, 0, sizeof(pkt));
		pkt.operation = VSTOR_OP_QUERY_PROTOCOL_VERSION;
		pkt.version.major_minor = vstor_versions[i];
		ret = vstor_request(vc, &pkt, VSTOR_INIT_TIMEOUT_MS);
		if (ret)
			return ret;
		if (pkt.status == VSTOR_STATUS_SUCCESS) {
			*version = vstor_versions[i];
			return 0;
		}
		status = pkt.status;
	}
	dev_err(vc->dev,
		"host refused every VSTOR version we speak (6.2, 6.0, 5.1; last status %#x)\n",
		status);
	return -EPROTONOSUPPORT;
}

static int vstor_query_properties(struct vstor_chan *vc,
				  struct vstor_props *props)
{
	struct vstor_packet pkt = { .operation = VSTOR_OP_QUERY_PROPERTIES };
	const struct vstor_channel_properties *p = &pkt.properties;
	u32 max;
	int ret;

	ret = vstor_request_ok(vc, &pkt, VSTOR_INIT_TIMEOUT_MS);
	if (ret)
		return ret;
	max = round_down(p->max_transfer_bytes, PAGE_SIZE);
	if (!max) {
		dev_err(vc->dev, "host allows transfers of %u bytes only\n",
			p->max_transfer_bytes);
		return -EPROTO;
	}
	props->max_transfer = min_t(u32, max, VSTOR_MAX_TRANSFER);
	props->max_sub_channels = 0;
	if (p->flags & VSTOR_PROPERTY_MULTI_CHANNEL)
		props->max_sub_channels = p->max_channel_cnt;
	return 0;
}

/**
 * vstor_negotiate() - the VSTOR initialisation handshake
 * @vc: the primary channel, just opened
 * @props: filled with the version and the host's limits
 *
 * BEGIN_INITIALIZATION, QUERY_PROTOCOL_VERSION down our version list,
 * QUERY_PROPERTIES, END_INITIALIZATION; each step waits 5 s at most.
 * Process context.
 *
 * Return: 0, -EPROTONOSUPPORT if the host accepts none of our versions,
 * -EIO if it refused a step, -EPROTO for a malformed answer, or the
 * channel's error (-ETIMEDOUT, -ENODEV...).
 */
int vstor_negotiate(struct vstor_chan *vc, struct vstor_props *props)
{
	int ret;

	memset(props, 0, sizeof(*props));
	ret = vstor_simple_request(vc, VSTOR_OP_BEGIN_INITIALIZATION);
	if (ret)
		return ret;
	ret = vstor_query_version(vc, &props->version);
	if (ret)
		return ret;
	ret = vstor_query_properties(vc, props);
	if (ret)
		return ret;
	return vstor_simple_request(vc, VSTOR_OP_END_INITIALIZATION);
}
EXPORT_SYMBOL_GPL(vstor_negotiate);

/**
 * vstor_create_sub_channels() - ask the host for sub-channels
 * @vc: the primary channel, initialised
 * @count: how many, at most the host's max_sub_channels
 *
 * The host answers, then offers them; this is the request step of
 * vmbus_subchannels_open(), which waits for the offers. A completion
 * that comes after the 10 s wait is dropped. Process context.
 *
 * Return: 0 when the host agreed, or an error as vstor_negotiate().
 */
int vstor_create_sub_channels(struct vstor_chan *vc, u16 count)
{
	struct vstor_packet pkt = {
		.operation = VSTOR_OP_CREATE_SUB_CHANNELS,
		.sub_channel_count = count,
	};

	return vstor_request_ok(vc, &pkt, VSTOR_SUB_CHANNELS_TIMEOUT_MS);
}
EXPORT_SYMBOL_GPL(vstor_create_sub_channels);

/* --- requests -------------------------------------------------------- */

/**
 * vstor_srb_init() - build an EXECUTE_SRB request
 * @pkt: the packet to fill
 * @addr: the LUN it is for, and whether it queues with tags
 * @cdb: the command
 * @cdb_len: its length, 1 to VSTOR_CDB_SIZE
 * @dir: DMA_TO_DEVICE, DMA_FROM_DEVICE or DMA_NONE
 * @len: data bytes (0 with DMA_NONE)
 * @timeout_s: the command's timeout, for the host
 *
 * Return: 0, or -EINVAL for a CDB or direction VSTOR cannot carry.
 */
int vstor_srb_init(struct vstor_packet *pkt, const struct vstor_srb_addr *addr,
		   const u8 *cdb, unsigned int cdb_len,
		   enum dma_data_direction dir, u32 len, unsigned int timeout_s)
{
	struct vstor_srb *srb = &pkt->srb;

	if (!cdb_len || cdb_len > VSTOR_CDB_SIZE)
		return -EINVAL;
	memset(pkt, 0, sizeof(*pkt));
	pkt->operation = VSTOR_OP_EXECUTE_SRB;
	pkt->flags = VSTOR_FLAG_REQUEST_COMPLETION;
	srb->length = sizeof(*srb);
	srb->port_number = addr->port;
	srb->path_id = addr->path;
	srb->target_id = addr->target;
	srb->lun = addr->lun;
	srb->cdb_length = cdb_len;
	memcpy(srb->data.cdb, cdb, cdb_len);
	srb->sense_info_length = VSTOR_SRB_SENSE_SIZE;
	srb->queue_tag = VSTOR_SRB_NO_QUEUE_TAG;
	srb->queue_action = VSTOR_SRB_SIMPLE_TAG_REQUEST;
	srb->srb_flags = VSTOR_SRB_FLAG_DISABLE_SYNCH_TRANSFER;
	/* As Windows guests do: the tag fields count, the queue never stalls. */
	if (addr->tagged)
		srb->srb_flags |= VSTOR_SRB_FLAG_QUEUE_ACTION_ENABLE |
				  VSTOR_SRB_FLAG_NO_QUEUE_FREEZE;
	srb->time_out_value = timeout_s;
	srb->data_transfer_length = len;

	if (!len)
		dir = DMA_NONE;
	switch (dir) {
	case DMA_TO_DEVICE:
		srb->data_in = VSTOR_SRB_WRITE;
		srb->srb_flags |= VSTOR_SRB_FLAG_DATA_OUT;
		return 0;
	case DMA_FROM_DEVICE:
		srb->data_in = VSTOR_SRB_READ;
		srb->srb_flags |= VSTOR_SRB_FLAG_DATA_IN;
		return 0;
	case DMA_NONE:
		srb->data_in = VSTOR_SRB_UNKNOWN;
		srb->srb_flags |= VSTOR_SRB_FLAG_NO_DATA_TRANSFER;
		srb->data_transfer_length = 0;
		return 0;
	default:
		return -EINVAL;
	}
}
EXPORT_SYMBOL_GPL(vstor_srb_init);

/*
 * Describe a scatterlist as one GPA range. The queue limits
 * (virt_boundary_mask = page size - 1) promise what makes that possible:
 * only the first element may start inside a page and only the last may
 * end inside one. A list that breaks the promise is refused, not sent.
 *
 * Return: bytes of the range (header and PFNs), or -EINVAL.
 */
static int vstor_build_range(struct vmbus_gpa_range *range,
			     struct scatterlist *sgl, unsigned int nents,
			     u32 len)
{
	struct scatterlist *sg;
	u32 nr_pfns = 0;
	u64 total = 0;
	unsigned int i;

	BUILD_BUG_ON(PAGE_SIZE != HV_WIRE_PAGE_SIZE);
	for_each_sg(sgl, sg, nents, i) {
		u32 off = offset_in_page(sg->offset);
		u64 end = (u64)off + sg->length;
		u64 pfn = page_to_pfn(sg_page(sg)) + (sg->offset >> PAGE_SHIFT);
		u64 pages = DIV_ROUND_UP(end, PAGE_SIZE);

		if (!sg->length || (i && off) ||
		    (i + 1 < nents && !PAGE_ALIGNED(end)) ||
		    pages > VSTOR_MAX_PFNS - nr_pfns)
			return -EINVAL;
		if (!i)
			range->byte_offset = off;
		while (pages--)
			range->pfn_array[nr_pfns++] = pfn++;
		total += sg->length;
	}
	if (!nr_pfns || total != len)
		return -EINVAL;
	range->byte_count = len;
	return struct_size(range, pfn_array, nr_pfns);
}

/**
 * vstor_send_srb() - send an EXECUTE_SRB
 * @vc: an open VSTOR channel
 * @pkt: the request, from vstor_srb_init()
 * @sgl: its data (ignored when the request moves none)
 * @nents: entries of @sgl
 * @rqst: the context its completion brings back (vmbus_pkt.rqst)
 * @flags: VMBUS_SEND_DEFER_SIGNAL or 0
 *
 * Data goes as one GPA range of the pages of @sgl, which must stay valid
 * until the completion; a request without data goes inband. Never
 * sleeps: a full ring or request table is -EAGAIN.
 *
 * Return: 0, -EAGAIN (try again after a completion), -ENODEV (channel
 * stopped or gone), -EIO (channel failed), -EINVAL (@sgl unfit for one
 * range, or longer than VSTOR_MAX_TRANSFER).
 */
int vstor_send_srb(struct vstor_chan *vc, const struct vstor_packet *pkt,
		   struct scatterlist *sgl, unsigned int nents, void *rqst,
		   unsigned int flags)
{
	u32 len = pkt->srb.data_transfer_length;
	unsigned long irqflags;
	int ret;

	/* Without VMBUS_SEND_MAY_SLEEP a send never sleeps. */
	spin_lock_irqsave(&vc->lock, irqflags);
	if (vc->stopped) {
		ret = -ENODEV;
	} else if (!len) {
		ret = vmbus_send(vc->chan, pkt, sizeof(*pkt), rqst, flags);
	} else {
		ret = vstor_build_range(vc->range, sgl, nents, len);
		if (ret > 0)
			ret = vmbus_send_gpa_direct(vc->chan, vc->range, 1, ret,
						    pkt, sizeof(*pkt), rqst,
						    flags);
	}
	spin_unlock_irqrestore(&vc->lock, irqflags);
	return ret;
}
EXPORT_SYMBOL_GPL(vstor_send_srb);

/* --- what the host sends --------------------------------------------- */

static int vstor_bad(struct vstor_chan *vc, const char *why, u32 val)
{
	atomic_inc(&vc->bad_completions);
	dev_warn_ratelimited(vc->dev, "channel %u: %s (%#x)\n",
			     vmbus_chan_relid(vc->chan), why, val);
	return -EPROTO;
}

/* The SRB status codes a host may complete a request with. */
static bool vstor_srb_status_known(u8 code)
{
	return (code >= 0x01 && code <= 0x0b) ||
	       (code >= 0x0d && code <= 0x16) ||
	       (code >= 0x20 && code <= 0x25) ||
	       code == VSTOR_SRB_INTERNAL_ERROR;
}

/*
 * Only a successful SRB, or a short one (DATA_OVERRUN), says how much it
 * moved: a Windows host leaves the requested length in place otherwise.
 */
static u32 vstor_srb_transferred(const struct vstor_srb *srb, u8 code)
{
	if (code == VSTOR_SRB_SUCCESS || code == VSTOR_SRB_DATA_OVERRUN)
		return srb->data_transfer_length;
	return 0;
}

/*
 * The checks of vstor_srb_result(), without the log line: on -EPROTO,
 * *@why and *@val say what was wrong.
 */
VISIBLE_IF_KUNIT int vstor_srb_decode(const struct vmbus_pkt *pkt,
				      u32 requested,
				      struct vstor_srb_result *res,
				      const char **why, u32 *val)
{
	struct vstor_packet resp;
	const struct vstor_srb *srb = &resp.srb;

	*why = NULL;
	if (pkt->len < sizeof(resp)) {
		*why = "short completion";
		*val = pkt->len;
		return -EPROTO;
	}
	memcpy(&resp, pkt->data, sizeof(resp));
	res->srb_status = VSTOR_SRB_STATUS_CODE(srb->srb_status);
	if (resp.operation != VSTOR_OP_COMPLETE_IO) {
		*why = "completion of operation";
		*val = resp.operation;
	} else if (!vstor_srb_status_known(res->srb_status)) {
		*why = "unknown SRB status";
		*val = srb->srb_status;
	} else if (srb->data_transfer_length > requested) {
		*why = "completion moved more than requested";
		*val = srb->data_transfer_length;
	}
	if (*why)
		return -EPROTO;
	res->scsi_status = srb->scsi_status;
	res->host_status = resp.status;
	res->transferred = vstor_srb_transferred(srb, res->srb_status);
	res->sense_len = 0;
	if (srb->srb_status & VSTOR_SRB_STATUS_AUTOSENSE_VALID) {
		res->sense_len = min_t(u8, srb->sense_info_length,
				       VSTOR_SRB_SENSE_SIZE);
		memcpy(res->sense, srb->data.sense_data, res->sense_len);
	}
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(vstor_srb_decode);

/**
 * vstor_srb_result() - check and decode an EXECUTE_SRB completion
 * @vc: the channel it came on
 * @pkt: the completion (VMBUS_PKT_COMP of one of our SRBs)
 * @requested: bytes the request described
 * @res: the decoded result, with the sense data copied out
 *
 * The payload must be a whole COMPLETE_IO vstor_packet with a known SRB
 * status and no more bytes moved than requested. Anything else is logged
 * (rate-limited) and counted; the caller fails the request. The packet's
 * status is the host's NT status for a failed SRB: it is reported in
 * @res for log lines, the SRB and SCSI statuses decide. Any context.
 *
 * Return: 0, or -EPROTO for a malformed completion.
 */
int vstor_srb_result(struct vstor_chan *vc, const struct vmbus_pkt *pkt,
		     u32 requested, struct vstor_srb_result *res)
{
	const char *why;
	u32 val;

	if (vstor_srb_decode(pkt, requested, res, &why, &val))
		return vstor_bad(vc, why, val);
	return 0;
}
EXPORT_SYMBOL_GPL(vstor_srb_result);

/**
 * vstor_srb_status_decides() - whether the SCSI status judges a completion
 * @res: a completion checked by vstor_srb_result()
 *
 * Always for SUCCESS, ERROR and DATA_OVERRUN (a short transfer); for the
 * other failures a disk can report, when the host passes its CHECK
 * CONDITION and sense on. Otherwise the SRB status alone says what
 * happened. Any context.
 *
 * Return: true if @res->scsi_status (and the sense) decide.
 */
bool vstor_srb_status_decides(const struct vstor_srb_result *res)
{
	switch (res->srb_status) {
	case VSTOR_SRB_SUCCESS:
	case VSTOR_SRB_ERROR:
	case VSTOR_SRB_DATA_OVERRUN:
		return true;
	case VSTOR_SRB_ABORTED:
	case VSTOR_SRB_INVALID_REQUEST:
	case VSTOR_SRB_INTERNAL_ERROR:
	case VSTOR_SRB_TIMEOUT:
	case VSTOR_SRB_SELECTION_TIMEOUT:
	case VSTOR_SRB_BUS_RESET:
		return res->sense_len &&
		       res->scsi_status == SAM_STAT_CHECK_CONDITION;
	default:
		return false;
	}
}
EXPORT_SYMBOL_GPL(vstor_srb_status_decides);

/**
 * vstor_scsi_status_valid() - whether a SCSI status byte is one a disk returns
 * @status: the status byte of a completion
 *
 * Any other value (a host that makes them up) must not reach error
 * handling, which a host must not be able to start at will.
 *
 * Return: true for GOOD, CHECK CONDITION, CONDITION MET, BUSY,
 * RESERVATION CONFLICT and TASK SET FULL.
 */
bool vstor_scsi_status_valid(u8 status)
{
	switch (status) {
	case SAM_STAT_GOOD:
	case SAM_STAT_CHECK_CONDITION:
	case SAM_STAT_CONDITION_MET:
	case SAM_STAT_BUSY:
	case SAM_STAT_RESERVATION_CONFLICT:
	case SAM_STAT_TASK_SET_FULL:
		return true;
	default:
		return false;
	}
}
EXPORT_SYMBOL_GPL(vstor_scsi_status_valid);

/*
 * The operation of a packet the host sent on its own, or -EPROTO with
 * *@why and *@val saying what was wrong.
 */
VISIBLE_IF_KUNIT int vstor_host_op(const struct vmbus_pkt *pkt,
				   const char **why, u32 *val)
{
	u32 op;

	if (pkt->len < sizeof(op)) {
		*why = "short host request";
		*val = pkt->len;
		return -EPROTO;
	}
	memcpy(&op, pkt->data, sizeof(op));
	switch (op) {
	case VSTOR_OP_ENUMERATE_BUS:
	case VSTOR_OP_REMOVE_DEVICE:
		return op;
	default:
		*why = "unexpected host request";
		*val = op;
		return -EPROTO;
	}
}
EXPORT_SYMBOL_IF_KUNIT(vstor_host_op);

/**
 * vstor_host_request() - check a packet the host sent on its own
 * @vc: the channel it came on
 * @pkt: an inband packet that is not a completion
 *
 * Any context.
 *
 * Return: VSTOR_OP_ENUMERATE_BUS or VSTOR_OP_REMOVE_DEVICE (the LUNs
 * changed: rescan), or -EPROTO for anything else (logged and counted).
 */
int vstor_host_request(struct vstor_chan *vc, const struct vmbus_pkt *pkt)
{
	const char *why;
	int op;
	u32 val;

	op = vstor_host_op(pkt, &why, &val);
	if (op < 0)
		return vstor_bad(vc, why, val);
	return op;
}
EXPORT_SYMBOL_GPL(vstor_host_request);

MODULE_DESCRIPTION("Hyper-V VSTOR transport for the synthetic storage drivers");
MODULE_LICENSE("GPL");
