// SPDX-License-Identifier: GPL-2.0
/*
 * The data path of an open channel: map the ring GPADL, drain the guest's
 * outbound ring into the device, write the device's packets into the
 * inbound ring, and signal in both directions as the ring protocol says.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "vmbus_server.h"

/* Each ring needs its control page and at least one data page. */
#define HV_RING_MIN_PAGES	2

static int hv_channel_map_rings(struct hv_channel *ch, struct hv_gpadl *g,
				uint32_t downstream)
{
	uint32_t i, in_pages;
	int ret;

	if (!g->whole_pages || g->npfns < 2 * HV_RING_MIN_PAGES ||
	    downstream < HV_RING_MIN_PAGES ||
	    downstream > g->npfns - HV_RING_MIN_PAGES) {
		hv_warn_rl("relid %u: GPADL 0x%x of %u pages cannot hold rings split at page %u",
			   ch->relid, g->handle, g->npfns, downstream);
		return -EINVAL;
	}
	ch->pages = calloc(g->npfns, sizeof(*ch->pages));
	if (!ch->pages)
		return -ENOMEM;
	for (i = 0; i < g->npfns; i++)
		ch->pages[i] = guestmem_page(ch->srv->gm, g->pfns[i]);
	in_pages = g->npfns - downstream;
	ret = hvring_attach(&ch->out, HVRING_READER, ch->pages[0],
			    ch->pages + 1, downstream - 1);
	if (!ret)
		ret = hvring_attach(&ch->in, HVRING_WRITER,
				    ch->pages[downstream],
				    ch->pages + downstream + 1, in_pages - 1);
	if (ret)
		hv_warn_rl("relid %u: bad initial ring indices", ch->relid);
	return ret;
}

static void hv_channel_unmap(struct hv_channel *ch)
{
	free(ch->pkt);
	free(ch->pages);
	ch->pkt = NULL;
	ch->pages = NULL;
}

/* OPENCHANNEL: returns the status for OPENCHANNEL_RESULT. */
uint32_t hv_channel_open(struct hv_channel *ch, struct hv_gpadl *g,
			 uint32_t downstream, uint32_t target_vp)
{
	const struct hv_device_ops *ops = ch->cls->ops;

	if (hv_channel_map_rings(ch, g, downstream))
		goto fail;
	ch->pkt = malloc(ch->out.size);
	if (!ch->pkt)
		goto fail;
	ch->target_vp = target_vp;
	ch->ring_gpadl = g->handle;
	ch->blocked = false;
	ch->warned = false;
	if (ops->open && ops->open(ch))
		goto fail;
	g->in_use = true;
	ch->open = true;
	ch->stats.opens++;
	return VMBUS_STATUS_SUCCESS;
fail:
	hv_channel_unmap(ch);
	return VMBUS_STATUS_UNSUCCESSFUL;
}

void hv_channel_close(struct hv_channel *ch)
{
	struct hv_gpadl *g;

	if (!ch->open)
		return;
	if (ch->cls->ops->close)
		ch->cls->ops->close(ch);
	g = vmbus_gpadl_find(ch->srv, ch->ring_gpadl);
	if (g)
		g->in_use = false;
	hv_channel_unmap(ch);
	ch->open = false;
	ch->blocked = false;
}

/* Set our event flag in the guest and interrupt it if newly set. */
void hv_channel_signal_guest(struct hv_channel *ch)
{
	if (ch->target_vp == VMBUS_TARGET_VP_NONE)
		return;
	ch->stats.host_signals++;
	if (synic_signal_event(ch->srv->synic, ch->target_vp, ch->relid))
		ch->stats.host_irqs++;
}

/*
 * For devices: send one packet to the guest. -EAGAIN means the inbound
 * ring is full; the guest signals us once it has made room.
 */
int hv_channel_send(struct hv_channel *ch, uint16_t type, uint16_t flags,
		    uint64_t trans_id, const struct iovec *iov,
		    unsigned int n)
{
	uint32_t payload = 0;
	unsigned int i;
	bool signal;
	int ret;

	ret = hvring_send(&ch->in, type, flags, trans_id, iov, n, &signal);
	if (ret)
		return ret;
	if (type == VMBUS_PKT_COMP)
		ch->last_comp_id = trans_id;
	for (i = 0; i < n; i++)
		payload += iov[i].iov_len;
	ch->stats.tx_packets++;
	ch->stats.tx_bytes += hvring_packet_bytes(payload);
	if (signal)
		hv_channel_signal_guest(ch);
	return 0;
}

/* Hand packets to the device until the ring is empty or it must wait. */
static uint32_t hv_channel_drain(struct hv_channel *ch)
{
	uint32_t len, bytes = 0;
	int ret;

	while (!ch->blocked) {
		ret = hvring_peek(&ch->out, ch->pkt, ch->out.size, &len);
		if (ret == -ENODATA)
			break;
		if (ret) {
			ch->stats.bad_packets++;
			break;
		}
		ret = ch->cls->ops->packet(ch, ch->pkt, len);
		if (ret == -EAGAIN) {
			ch->blocked = true;
			ch->stats.ring_full_waits++;
			break;
		}
		if (ret)
			ch->stats.bad_packets++;
		hvring_consume(&ch->out, len);
		ch->stats.rx_packets++;
		ch->stats.rx_bytes += len;
		bytes += len + VMBUS_PKT_TRAILER_SIZE;
	}
	return bytes;
}

/*
 * Batched read (reference §3.8): mask the guest's signals while draining,
 * unmask, and look once more so that a packet written just before the
 * unmask is not left behind without a signal.
 */
void hv_channel_process(struct hv_channel *ch)
{
	uint32_t bytes = 0, avail;

	if (!ch->open || ch->out.broken)
		return;
	for (;;) {
		hvring_set_interrupt_mask(&ch->out, true);
		bytes += hv_channel_drain(ch);
		hvring_set_interrupt_mask(&ch->out, false);
		if (ch->blocked || hvring_bytes_to_read(&ch->out, &avail) ||
		    !avail)
			break;
	}
	if (hvring_read_done(&ch->out, bytes))
		hv_channel_signal_guest(ch);
}

/* The guest signalled the channel (HvSignalEvent or monitor page). */
void hv_channel_on_signal(struct hv_channel *ch, bool monitor)
{
	uint32_t avail = 0;

	if (monitor)
		ch->stats.monitor_signals++;
	else
		ch->stats.event_signals++;
	if (!ch->open)
		return;
	if (!hvring_bytes_to_read(&ch->out, &avail) && avail)
		ch->stats.wake_nonempty++;
	else
		ch->stats.wake_empty++;
	/* A waiting device retries: the signal may mean inbound space. */
	if (ch->cls->ops->resume)
		ch->cls->ops->resume(ch);
	ch->blocked = false;
	hv_channel_process(ch);
}

/*
 * For devices that returned -EAGAIN for a reason of their own (too much
 * work in flight, completions still queued): they can take more now.
 */
void hv_channel_unblock(struct hv_channel *ch)
{
	if (!ch->open || !ch->blocked)
		return;
	ch->blocked = false;
	hv_channel_process(ch);
}
