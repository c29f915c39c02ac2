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
	free(ch->spans);
	ch->pkt = NULL;
	ch->pages = NULL;
	ch->spans = NULL;
	ch->max_spans = 0;
}

/* Room for a copy of any packet of the outbound ring, and its ranges. */
static int hv_channel_alloc_rx(struct hv_channel *ch)
{
	ch->pkt = malloc(ch->out.size);
	/* A range takes 24 bytes of the packet at least. */
	ch->max_spans = ch->out.size / sizeof(struct vmbus_gpa_range) + 1;
	ch->spans = calloc(ch->max_spans, sizeof(*ch->spans));
	return ch->pkt && ch->spans ? 0 : -ENOMEM;
}

/* OPENCHANNEL: returns the status for OPENCHANNEL_RESULT. */
uint32_t hv_channel_open(struct hv_channel *ch, struct hv_gpadl *g,
			 uint32_t downstream, uint32_t target_vp)
{
	const struct hv_device_ops *ops = ch->cls->ops;

	if (hv_channel_map_rings(ch, g, downstream))
		goto fail;
	if (hv_channel_alloc_rx(ch))
		goto fail;
	ch->sendq = NULL;
	ch->sendq_tail = &ch->sendq;
	ch->target_vp = target_vp;
	ch->ring_gpadl = g->handle;
	ch->blocked = false;
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
	hv_send_msg_free_all(&ch->sendq);
	hv_channel_unmap(ch);
	ch->open = false;
	ch->woken_ns = 0;
	ch->blocked = false;
}

/* Set our event flag in the guest and interrupt it if newly set. */
void hv_channel_signal_guest(struct hv_channel *ch)
{
	if (ch->target_vp == VMBUS_TARGET_VP_NONE)
		return;
	ch->stats.host_signals++;
	if (ch->woken_ns) {
		ch->stats.turnarounds++;
		ch->stats.turnaround_ns += hv_now_ns() - ch->woken_ns;
		ch->woken_ns = 0;
	}
	if (synic_signal_event(ch->srv->synic, ch->target_vp, ch->relid))
		ch->stats.host_irqs++;
}

/*
 * For devices: send one packet to the guest, with @ext_len bytes of
 * extended header after its descriptor (hvring_send_ext()), leaving @keep
 * bytes of the ring free (room kept for what must never wait, such as
 * completions). -EAGAIN means there is not that much room; the guest
 * signals us once it has made it.
 */
int hv_channel_send_ext(struct hv_channel *ch, uint16_t type, uint16_t flags,
			uint64_t trans_id, const void *ext, uint32_t ext_len,
			uint32_t keep, const struct iovec *iov, unsigned int n)
{
	uint32_t payload = ext_len;
	unsigned int i;
	bool signal;
	int ret;

	ret = vmbus_fuzz_packet(ch, type, flags, trans_id, ext, ext_len, keep,
				iov, n);
	if (ret <= 0)
		return ret;
	ret = hvring_send_ext(&ch->in, type, flags, trans_id, ext, ext_len,
			      keep, iov, n, &signal);
	if (ret)
		return ret;
	for (i = 0; i < n; i++)
		payload += iov[i].iov_len;
	hv_channel_sent(ch, type, trans_id, hvring_packet_bytes(payload),
			signal);
	return 0;
}

/* Count a packet of @bytes written to the inbound ring, and signal. */
void hv_channel_sent(struct hv_channel *ch, uint16_t type, uint64_t trans_id,
		     uint32_t bytes, bool signal)
{
	if (type == VMBUS_PKT_COMP)
		ch->last_comp_id = trans_id;
	ch->stats.tx_packets++;
	ch->stats.tx_bytes += bytes;
	if (signal)
		hv_channel_signal_guest(ch);
}

/* The same with a plain descriptor. */
int hv_channel_send(struct hv_channel *ch, uint16_t type, uint16_t flags,
		    uint64_t trans_id, const struct iovec *iov,
		    unsigned int n)
{
	return hv_channel_send_ext(ch, type, flags, trans_id, NULL, 0, 0, iov,
				   n);
}

/* --- the send queue -------------------------------------------------- */

/* A copy of a packet for the guest; NULL without memory. */
struct hv_send_msg *hv_send_msg_new(uint16_t type, uint16_t flags,
				    uint64_t trans_id, const void *data,
				    uint32_t len)
{
	struct hv_send_msg *msg = malloc(sizeof(*msg) + len);

	if (!msg)
		return NULL;
	msg->next = NULL;
	msg->type = type;
	msg->flags = flags;
	msg->trans_id = trans_id;
	msg->len = len;
	memcpy(msg->data, data, len);
	return msg;
}

void hv_send_msg_free_all(struct hv_send_msg **list)
{
	struct hv_send_msg *msg;

	while ((msg = *list)) {
		*list = msg->next;
		free(msg);
	}
}

static int hv_channel_send_msg(struct hv_channel *ch,
			       const struct hv_send_msg *msg)
{
	struct iovec iov = { .iov_base = (void *)msg->data,
			     .iov_len = msg->len };

	return hv_channel_send(ch, msg->type, msg->flags, msg->trans_id, &iov,
			       1);
}

/*
 * Send what waited for inbound room, oldest first; true once nothing
 * waits. A packet the ring can never take is dropped (logged), so that
 * it cannot stop the queue for good.
 */
bool hv_channel_flush(struct hv_channel *ch)
{
	struct hv_send_msg *msg;
	int ret;

	while ((msg = ch->sendq)) {
		ret = hv_channel_send_msg(ch, msg);
		if (ret == -EAGAIN)
			return false;
		if (ret)
			hv_warn_rl("relid %u: packet for the guest lost: %s",
				   ch->relid, strerror(-ret));
		ch->sendq = msg->next;
		if (!ch->sendq)
			ch->sendq_tail = &ch->sendq;
		free(msg);
	}
	return true;
}

/**
 * hv_channel_send_queued() - send a packet, or queue it while the ring is full
 * @ch: an open channel
 * @type: VMBUS_PKT_*
 * @flags: VMBUS_PKT_FLAG_*
 * @trans_id: its transaction id
 * @data: the payload
 * @len: its bytes
 *
 * In order after the packets still queued; a queued one goes out when
 * the guest signals (inbound room may be free) or hv_channel_flush().
 * While any wait, the channel hands the device no new packets: that is
 * the back-pressure on the guest.
 *
 * Return: 0 (sent or queued), -ENOTCONN if @ch is not open, -ENOMEM, or
 * hv_channel_send()'s error other than -EAGAIN.
 */
int hv_channel_send_queued(struct hv_channel *ch, uint16_t type,
			   uint16_t flags, uint64_t trans_id,
			   const void *data, uint32_t len)
{
	struct iovec iov = { .iov_base = (void *)data, .iov_len = len };
	struct hv_send_msg *msg;
	int ret;

	if (!ch->open)
		return -ENOTCONN;
	if (!ch->sendq) {
		ret = hv_channel_send(ch, type, flags, trans_id, &iov, 1);
		if (ret != -EAGAIN)
			return ret;
	}
	msg = hv_send_msg_new(type, flags, trans_id, data, len);
	if (!msg)
		return -ENOMEM;
	*ch->sendq_tail = msg;
	ch->sendq_tail = &msg->next;
	return 0;
}

/* --- guest packets --------------------------------------------------- */

/*
 * The ranges of a GPA-direct packet: each must have its header and all
 * its PFNs before offset8 * 8, at least one byte, and start in its
 * first page.
 */
static const char *hv_packet_ranges(struct hv_channel *ch,
				    struct hv_packet *p)
{
	const struct vmbus_gpa_direct_header *gh = (const void *)p->raw;
	uint32_t hdr_end = p->data - p->raw, off = sizeof(*gh), i;
	struct vmbus_gpa_range r;
	struct hv_gpa_span *sp;

	if (hdr_end < sizeof(*gh))
		return "no room for the range header";
	if (!gh->range_cnt)
		return "no ranges";
	if (gh->range_cnt > ch->max_spans)
		return "more ranges than the packet can hold";
	for (i = 0; i < gh->range_cnt; i++) {
		if (hdr_end - off < sizeof(r))
			return "no room for the range";
		memcpy(&r, p->raw + off, sizeof(r));
		off += sizeof(r);
		if (!r.byte_count)
			return "empty range";
		if (r.byte_offset >= HV_WIRE_PAGE_SIZE)
			return "byte_offset past the first page";
		sp = &ch->spans[i];
		sp->byte_count = r.byte_count;
		sp->byte_offset = r.byte_offset;
		sp->npfns = hv_gpa_pages(r.byte_offset, r.byte_count);
		if ((hdr_end - off) / sizeof(uint64_t) < sp->npfns)
			return "PFNs past the range header";
		/* Our private copy: 8-byte aligned at every range. */
		sp->pfns = (const uint64_t *)(p->raw + off);
		off += sp->npfns * sizeof(uint64_t);
	}
	p->nranges = gh->range_cnt;
	return NULL;
}

/* The ring layer checked offset8 and len8 against the packet's length. */
static void hv_packet_parse(struct hv_channel *ch, uint32_t len,
			    struct hv_packet *p)
{
	const struct vmbus_packet_desc *desc = (const void *)ch->pkt;
	uint32_t hdr_end = desc->offset8 * 8;

	memset(p, 0, sizeof(*p));
	p->type = desc->type;
	p->flags = desc->flags;
	p->trans_id = desc->trans_id;
	p->raw = ch->pkt;
	p->raw_len = len;
	p->data = ch->pkt + hdr_end;
	p->data_len = len - hdr_end;
	p->ranges = ch->spans;
	if (p->type == VMBUS_PKT_DATA_USING_GPA_DIRECT)
		p->range_err = hv_packet_ranges(ch, p);
}

/* Hand packets to the device until the ring is empty or it must wait. */
static uint32_t hv_channel_drain(struct hv_channel *ch)
{
	uint32_t len, bytes = 0;
	struct hv_packet p;
	int ret;

	while (!ch->blocked) {
		/* Back-pressure: nothing new while answers wait for room. */
		if (ch->sendq && !hv_channel_flush(ch)) {
			ch->blocked = true;
			ch->stats.ring_full_waits++;
			break;
		}
		ret = hvring_peek(&ch->out, ch->pkt, ch->out.size, &len);
		if (ret == -ENODATA)
			break;
		if (ret) {
			ch->stats.bad_packets++;
			break;
		}
		hv_packet_parse(ch, len, &p);
		ret = ch->cls->ops->packet(ch, &p);
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
	if (!hvring_bytes_to_read(&ch->out, &avail) && avail) {
		ch->stats.wake_nonempty++;
		if (!ch->woken_ns)
			ch->woken_ns = hv_now_ns();
	} else {
		ch->stats.wake_empty++;
	}
	/* A waiting device retries: the signal may mean inbound space. */
	hv_channel_flush(ch);
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

/* --- guest memory of a GPA range ------------------------------------- */

/* Page @i of @r: where its bytes are in guest RAM, and how many. */
static uint8_t *hv_gpa_page(const struct guestmem *gm,
			    const struct hv_gpa_span *r, uint32_t i,
			    uint32_t *done, uint32_t *chunk)
{
	uint32_t off = i ? 0 : r->byte_offset;
	uint8_t *page = guestmem_page(gm, r->pfns[i]);

	*chunk = HV_WIRE_PAGE_SIZE - off;
	if (*chunk > r->byte_count - *done)
		*chunk = r->byte_count - *done;
	*done += *chunk;
	return page ? page + off : NULL;
}

/**
 * hv_gpa_map() - map a GPA range as iovecs into guest RAM
 * @gm: guest RAM
 * @r: the range (checked by the server: offset, count, PFNs in the packet)
 * @iov: the iovecs; pages adjacent in our mapping share one
 * @max: entries of @iov
 * @niov: in: entries already used; out: entries used
 *
 * Return: 0, -EFAULT if a page is not guest RAM, -ENOSPC if @max is short.
 */
int hv_gpa_map(const struct guestmem *gm, const struct hv_gpa_span *r,
	       struct iovec *iov, unsigned int max, unsigned int *niov)
{
	uint32_t i, done = 0, chunk;
	struct iovec *last;
	uint8_t *p;

	for (i = 0; i < r->npfns && done < r->byte_count; i++) {
		p = hv_gpa_page(gm, r, i, &done, &chunk);
		if (!p)
			return -EFAULT;
		last = *niov ? &iov[*niov - 1] : NULL;
		if (last && (uint8_t *)last->iov_base + last->iov_len == p) {
			last->iov_len += chunk;
			continue;
		}
		if (*niov == max)
			return -ENOSPC;
		iov[*niov].iov_base = p;
		iov[(*niov)++].iov_len = chunk;
	}
	return 0;
}

/* Copy the @r->byte_count bytes of @r to @dst; -EFAULT if not RAM. */
int hv_gpa_read(const struct guestmem *gm, const struct hv_gpa_span *r,
		void *dst)
{
	uint32_t i, done = 0, chunk;
	uint8_t *d = dst, *p;

	for (i = 0; i < r->npfns && done < r->byte_count; i++) {
		p = hv_gpa_page(gm, r, i, &done, &chunk);
		if (!p)
			return -EFAULT;
		memcpy(d, p, chunk);
		d += chunk;
	}
	return 0;
}
