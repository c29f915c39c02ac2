// SPDX-License-Identifier: GPL-2.0
/*
 * The echo test device (class VMBUS_CLASS_TEST_ECHO). What it answers,
 * byte for byte, so that the guest's echo VSC can check every reply:
 *
 * Every reply starts with a 16-byte descriptor: offset8 = 2, flags = 0,
 * trans_id = the request's trans_id, type = VMBUS_PKT_COMP (0xb) if the
 * request had VMBUS_PKT_FLAG_COMPLETION_REQUESTED set, else
 * VMBUS_PKT_DATA_INBAND (6). The payload follows, zero-padded to a
 * multiple of 8; len8 covers descriptor + padded payload.
 *
 * DATA_INBAND request: the reply payload is the request's payload bytes,
 * i.e. bytes offset8 * 8 .. len8 * 8 of the request packet, which include
 * the sender's own padding.
 *
 * DATA_USING_GPA_DIRECT request: the reply payload is the request's
 * inline payload (bytes offset8 * 8 .. len8 * 8, as above) followed by the
 * bytes each GPA range describes, range after range: byte_count bytes
 * starting at byte_offset in pfn_array[0], continuing at the start of
 * pfn_array[1], and so on. The ranges must lie between byte 24 and
 * offset8 * 8 of the request.
 *
 * Requests that are not answered (counted in the channel's bad_packets):
 * any other packet type; a GPA-direct request with range_cnt 0, a range
 * with byte_count 0 or byte_offset >= 4096, ranges that overrun offset8,
 * or a page that is not guest RAM; a reply that could never fit in the
 * inbound ring (descriptor + padded payload + 8 >= ring data size).
 *
 * An inband packet whose payload is exactly a struct echo_ctl with
 * ECHO_CTL_MAGIC is a control request (include/hyperv/echo.h): read a
 * GPADL of this channel back to the guest, or send a packet that asks for
 * a completion and check the guest's completion. A completion from the
 * guest that answers no such packet is counted in bad_packets.
 *
 * When the inbound ring is full the request stays in the outbound ring
 * until the guest makes room: nothing is dropped.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <hyperv/echo.h>

#include "log.h"
#include "vmbus_server.h"

/* The first transaction id of the host's own packets (ECHO_CTL_PING). */
#define ECHO_PING_ID_BASE	0xec400000000ULL

/*
 * Room to assemble GPA-direct data: as big as the inbound ring; and the
 * ping whose completion is awaited (@ping_id 0: none).
 */
struct echo_state {
	uint8_t *buf;
	uint32_t cap;
	uint64_t next_ping_id;
	uint64_t ping_id;
	uint64_t ping_token;
};

static int echo_open(struct hv_channel *ch)
{
	struct echo_state *st = calloc(1, sizeof(*st));

	if (!st)
		return -ENOMEM;
	st->cap = ch->in.size;
	st->buf = malloc(st->cap);
	if (!st->buf) {
		free(st);
		return -ENOMEM;
	}
	st->next_ping_id = ECHO_PING_ID_BASE;
	ch->priv = st;
	return 0;
}

static void echo_close(struct hv_channel *ch)
{
	struct echo_state *st = ch->priv;

	free(st->buf);
	free(st);
	ch->priv = NULL;
}

static int echo_reply(struct hv_channel *ch, const struct hv_packet *req,
		      const struct iovec *iov, unsigned int n)
{
	uint16_t type = VMBUS_PKT_DATA_INBAND;
	int ret;

	if (req->flags & VMBUS_PKT_FLAG_COMPLETION_REQUESTED)
		type = VMBUS_PKT_COMP;
	ret = hv_channel_send(ch, type, 0, req->trans_id, iov, n);
	if (ret == -EMSGSIZE)
		hv_warn_rl("echo relid %u: reply too large for the ring",
			   ch->relid);
	return ret;
}

/*
 * Gather the data of every range of a GPA-direct packet (checked by the
 * server) into the scratch buffer.
 */
static int echo_gather(struct hv_channel *ch, const struct hv_packet *pkt,
		       uint32_t *gathered)
{
	struct echo_state *st = ch->priv;
	const struct hv_gpa_span *r;
	uint32_t i;

	*gathered = 0;
	if (pkt->range_err)
		return -EINVAL;
	for (i = 0; i < pkt->nranges; i++) {
		r = &pkt->ranges[i];
		if (r->byte_count > st->cap - *gathered)
			return -EINVAL;
		if (hv_gpa_read(ch->srv->gm, r, st->buf + *gathered))
			return -EFAULT;
		*gathered += r->byte_count;
	}
	return 0;
}

static int echo_gpa_direct(struct hv_channel *ch, const struct hv_packet *pkt)
{
	struct echo_state *st = ch->priv;
	struct iovec iov[2];
	uint32_t gathered;
	int ret;

	ret = echo_gather(ch, pkt, &gathered);
	if (ret) {
		hv_warn_rl("echo relid %u: bad GPA-direct packet (%s)",
			   ch->relid, pkt->range_err ? pkt->range_err :
			   ret == -EFAULT ? "not guest RAM" : "too large");
		return ret;
	}
	iov[0].iov_base = (void *)pkt->data;
	iov[0].iov_len = pkt->data_len;
	iov[1].iov_base = st->buf;
	iov[1].iov_len = gathered;
	return echo_reply(ch, pkt, iov, 2);
}

static int echo_send_ctl(struct hv_channel *ch, uint16_t flags,
			 uint64_t trans_id, const struct echo_ctl *ctl)
{
	struct iovec iov = { .iov_base = (void *)ctl, .iov_len = sizeof(*ctl) };

	return hv_channel_send(ch, VMBUS_PKT_DATA_INBAND, flags, trans_id,
			       &iov, 1);
}

/* ECHO_CTL_GPADL_READ: the first @len bytes of a GPADL of this channel. */
static int echo_gpadl_read(struct hv_channel *ch, const struct echo_ctl *req)
{
	struct echo_state *st = ch->priv;
	struct echo_ctl fail = *req;
	struct hv_gpa_span span;
	struct iovec iov;

	fail.status = 1;
	if (req->len > st->cap ||
	    vmbus_gpadl_span(ch->srv, ch->relid, req->gpadl, 0, req->len,
			     &span) ||
	    hv_gpa_read(ch->srv->gm, &span, st->buf)) {
		hv_warn_rl("echo relid %u: cannot read GPADL 0x%x (%u bytes)",
			   ch->relid, req->gpadl, req->len);
		return echo_send_ctl(ch, 0, 0, &fail);
	}
	iov.iov_base = st->buf;
	iov.iov_len = req->len;
	return hv_channel_send(ch, VMBUS_PKT_DATA_INBAND, 0, 0, &iov, 1);
}

/* ECHO_CTL_PING: a packet of ours that the guest must complete. */
static int echo_ping(struct hv_channel *ch, const struct echo_ctl *req)
{
	struct echo_state *st = ch->priv;
	int ret;

	ret = echo_send_ctl(ch, VMBUS_PKT_FLAG_COMPLETION_REQUESTED,
			    st->next_ping_id, req);
	if (ret)
		return ret;
	st->ping_id = st->next_ping_id++;
	st->ping_token = req->token;
	return 0;
}

/* A completion from the guest: it must answer our ping, id and payload. */
static int echo_completion(struct hv_channel *ch, const struct hv_packet *pkt)
{
	struct echo_state *st = ch->priv;
	struct echo_ctl ctl, res = {
		.magic = ECHO_CTL_MAGIC,
		.op = ECHO_CTL_PING_RESULT,
		.status = 1,
	};
	int ret;

	if (!st->ping_id) {
		hv_warn_rl("echo relid %u: completion 0x%llx answers nothing",
			   ch->relid, (unsigned long long)pkt->trans_id);
		return -EINVAL;
	}
	if (pkt->trans_id == st->ping_id && pkt->data_len >= sizeof(ctl)) {
		memcpy(&ctl, pkt->data, sizeof(ctl));
		if (ctl.magic == ECHO_CTL_MAGIC && ctl.op == ECHO_CTL_PING &&
		    ctl.token == st->ping_token)
			res.status = 0;
	}
	res.token = st->ping_token;
	ret = echo_send_ctl(ch, 0, 0, &res);
	if (!ret)
		st->ping_id = 0;
	return ret;
}

/* Return: 1 if @data is no control request (echo it), else as a reply. */
static int echo_control(struct hv_channel *ch, const uint8_t *data,
			uint32_t len)
{
	struct echo_ctl req;

	if (len != sizeof(req))
		return 1;
	memcpy(&req, data, sizeof(req));
	if (req.magic != ECHO_CTL_MAGIC)
		return 1;
	switch (req.op) {
	case ECHO_CTL_GPADL_READ:
		return echo_gpadl_read(ch, &req);
	case ECHO_CTL_PING:
		return echo_ping(ch, &req);
	default:
		hv_warn_rl("echo relid %u: control op %u ignored", ch->relid,
			   req.op);
		return -EINVAL;
	}
}

static int echo_packet(struct hv_channel *ch, const struct hv_packet *pkt)
{
	struct iovec iov;
	int ret;

	switch (pkt->type) {
	case VMBUS_PKT_DATA_INBAND:
		ret = echo_control(ch, pkt->data, pkt->data_len);
		if (ret != 1)
			return ret;
		iov.iov_base = (void *)pkt->data;
		iov.iov_len = pkt->data_len;
		return echo_reply(ch, pkt, &iov, 1);
	case VMBUS_PKT_COMP:
		return echo_completion(ch, pkt);
	case VMBUS_PKT_DATA_USING_GPA_DIRECT:
		return echo_gpa_direct(ch, pkt);
	default:
		hv_warn_rl("echo relid %u: packet type %u ignored", ch->relid,
			   pkt->type);
		return -EINVAL;
	}
}

const struct hv_device_ops hv_echo_ops = {
	.open = echo_open,
	.close = echo_close,
	.packet = echo_packet,
};
