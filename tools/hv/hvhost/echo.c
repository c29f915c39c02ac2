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
 * When the inbound ring is full the request stays in the outbound ring
 * until the guest makes room: nothing is dropped.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "vmbus_server.h"

/* Room to assemble GPA-direct data: as big as the inbound ring. */
struct echo_state {
	uint8_t *buf;
	uint32_t cap;
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

static int echo_packet(struct hv_channel *ch, const struct hv_packet *pkt)
{
	struct iovec iov;

	switch (pkt->type) {
	case VMBUS_PKT_DATA_INBAND:
		iov.iov_base = (void *)pkt->data;
		iov.iov_len = pkt->data_len;
		return echo_reply(ch, pkt, &iov, 1);
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
