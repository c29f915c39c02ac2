// SPDX-License-Identifier: GPL-2.0
/*
 * VMBus-level fault injection for tests (`fault vmbus KIND [COUNT] [GUID]`):
 * the protocol violations a hostile host can commit, in channel messages
 * and in a channel's inbound ring, so that a test can check how the guest
 * takes them. Every fault is deterministic: fixed relids, GUIDs, handles
 * and ids. Message and ring faults are injected at once, COUNT times; the
 * drop-* faults swallow the next COUNT answers of one type.
 *
 * A bad offer the guest must refuse, but whose relid is valid, keeps its
 * relid from real devices until the guest releases it (reference 2.6):
 * the guest does that when the host rescinds the offer (rescind-refused).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "shm.h"
#include "util.h"
#include "vmbus_server.h"

/* Values no guest request can carry: Linux's GPADL handles start higher. */
#define FAULT_GPADL		0xfa17U
#define FAULT_TRANS_ID		0xfa17fa17fa17fa17ULL
#define FAULT_MSGTYPE		30
#define FAULT_INSTANCE		"fa17fa17-0000-4000-8000-000000000001"
#define FAULT_SHORT_OFFER	100
#define FAULT_MAX_COUNT		256
/* ring-replay: the packet tiled over the ring, and how often to look. */
#define FAULT_REPLAY_PKT	32U
#define FAULT_REPLAY_POLL_US	100
#define FAULT_REPLAY_DRAIN_S	10
/* comp-early: generations tried, and how long the ring stays "full". */
#define FAULT_EARLY_GENS	4
#define FAULT_EARLY_HOLD_US	1000000
#define FAULT_EARLY_START_US	200000
/* post-busy: how long each refused post takes. */
#define FAULT_POST_BUSY_US	500000

enum fault_class {
	FAULT_MSG,	/* channel messages, sent now */
	FAULT_DROP,	/* the next answers of a type are not sent */
	FAULT_RING,	/* bad packets or indices in an open channel's ring */
};

/*
 * @timed: COUNT is seconds, and @inject runs once (ring-replay,
 * post-busy).
 */
struct vmbus_fault_kind {
	const char *name;
	enum fault_class cls;
	bool timed;
	uint32_t drop_type;
	const char *(*inject)(struct vmbus_server *srv, struct hv_channel *ch,
			      struct hv_buf *out);
};

/* --- channel messages ------------------------------------------------ */

/* Post a message as the host, with @claimed as its payload size. */
static const char *fault_post(struct vmbus_server *srv, const void *msg,
			      uint32_t len, uint32_t claimed)
{
	if (synic_post_to_guest_as(srv->synic, srv->msg_vp, msg, len, claimed))
		return "cannot queue the message";
	srv->stats.msgs_out++;
	return NULL;
}

static const char *fault_send(struct vmbus_server *srv, const void *msg,
			      uint32_t len)
{
	return fault_post(srv, msg, len, len);
}

static void fault_offer(struct vmbus_msg_offer *o, const guid_t *instance,
			uint32_t relid, uint16_t sub_index)
{
	memset(o, 0, sizeof(*o));
	o->header.msgtype = VMBUS_MSG_OFFERCHANNEL;
	o->if_type = VMBUS_CLASS_TEST_ECHO;
	o->if_instance = *instance;
	o->child_relid = relid;
	o->sub_channel_index = sub_index;
	o->monitorid = VMBUS_NO_MONITOR_ID;
	o->is_dedicated_interrupt = 1;
	o->connection_id = VMBUS_CHANNEL_CONN_BASE + relid;
}

static guid_t fault_instance(void)
{
	guid_t g;

	hv_guid_parse(FAULT_INSTANCE, &g);
	return g;
}

/* The offered primary channel with the lowest relid. */
static struct hv_channel *fault_offered(struct vmbus_server *srv)
{
	struct hv_channel *ch;
	uint32_t relid;

	for (relid = 1; relid <= VMBUS_SERVER_MAX_RELID; relid++) {
		ch = srv->chan[relid];
		if (ch && ch->offered && !ch->rescinded && !ch->primary)
			return ch;
	}
	return NULL;
}

/* The highest relid that no channel and no earlier fault holds. */
static uint32_t fault_free_relid(struct vmbus_server *srv)
{
	uint32_t relid;

	for (relid = VMBUS_SERVER_MAX_RELID; relid; relid--)
		if (!srv->chan[relid] && !srv->faults.reserved[relid])
			return relid;
	return 0;
}

/* A valid relid for an offer the guest must refuse: keep it for now. */
static uint32_t fault_reserve_relid(struct vmbus_server *srv)
{
	uint32_t relid = fault_free_relid(srv);

	if (relid)
		srv->faults.reserved[relid] = true;
	return relid;
}

static const char *fault_msg_too_big(struct vmbus_server *srv,
				     struct hv_channel *ch, struct hv_buf *out)
{
	struct vmbus_msg_header m = { .msgtype = VMBUS_MSG_ALLOFFERS_DELIVERED };

	(void)ch;
	(void)out;
	return fault_post(srv, &m, sizeof(m), HV_TLFS_MESSAGE_PAYLOAD_SIZE + 1);
}

static const char *fault_short_offer(struct vmbus_server *srv,
				     struct hv_channel *ch, struct hv_buf *out)
{
	struct vmbus_msg_offer o;
	guid_t g = fault_instance();

	(void)ch;
	(void)out;
	/* Cut before sub_channel_index and child_relid. */
	fault_offer(&o, &g, fault_free_relid(srv), 0);
	return fault_send(srv, &o, FAULT_SHORT_OFFER);
}

static const char *fault_short_rescind(struct vmbus_server *srv,
				       struct hv_channel *ch,
				       struct hv_buf *out)
{
	struct vmbus_msg_relid m = {
		.header.msgtype = VMBUS_MSG_RESCIND_CHANNELOFFER,
		.child_relid = fault_free_relid(srv),
	};

	(void)ch;
	(void)out;
	return fault_send(srv, &m, sizeof(m.header));
}

static const char *fault_unknown_msg(struct vmbus_server *srv,
				     struct hv_channel *ch, struct hv_buf *out)
{
	struct vmbus_msg_relid m = { .header.msgtype = FAULT_MSGTYPE };

	(void)ch;
	(void)out;
	return fault_send(srv, &m, sizeof(m));
}

static const char *fault_offer_relid(struct vmbus_server *srv, uint32_t relid,
				     struct hv_buf *out)
{
	struct vmbus_msg_offer o;
	guid_t g = fault_instance();

	fault_offer(&o, &g, relid, 0);
	hv_buf_printf(out, "relid=%u\n", relid);
	return fault_send(srv, &o, sizeof(o));
}

static const char *fault_offer_relid0(struct vmbus_server *srv,
				      struct hv_channel *ch,
				      struct hv_buf *out)
{
	(void)ch;
	return fault_offer_relid(srv, 0, out);
}

static const char *fault_offer_relid_high(struct vmbus_server *srv,
					  struct hv_channel *ch,
					  struct hv_buf *out)
{
	(void)ch;
	return fault_offer_relid(srv, VMBUS_SERVER_MAX_RELID + 1, out);
}

/* A new instance on the relid of a channel the guest already has. */
static const char *fault_offer_relid_used(struct vmbus_server *srv,
					  struct hv_channel *ch,
					  struct hv_buf *out)
{
	struct hv_channel *used = fault_offered(srv);

	(void)ch;
	if (!used)
		return "no offered device";
	return fault_offer_relid(srv, used->relid, out);
}

/* A primary offer of class @type for the instance of an offered device. */
static const char *fault_offer_instance(struct vmbus_server *srv,
					const guid_t *type, struct hv_buf *out)
{
	struct hv_channel *dev = fault_offered(srv);
	struct vmbus_msg_offer o;
	uint32_t relid;

	if (!dev)
		return "no offered device";
	relid = fault_reserve_relid(srv);
	if (!relid)
		return "no free relid";
	fault_offer(&o, &dev->instance, relid, 0);
	o.if_type = type ? *type : dev->cls->type;
	hv_buf_printf(out, "relid=%u\n", relid);
	return fault_send(srv, &o, sizeof(o));
}

/* A second primary offer of a device the guest has, on a fresh relid. */
static const char *fault_offer_dup(struct vmbus_server *srv,
				   struct hv_channel *ch, struct hv_buf *out)
{
	(void)ch;
	return fault_offer_instance(srv, NULL, out);
}

/*
 * A primary offer of another class for the instance of a device the
 * guest has: device names are instance GUIDs, so it must be refused.
 */
static const char *fault_offer_dup_class(struct vmbus_server *srv,
					 struct hv_channel *ch,
					 struct hv_buf *out)
{
	static const guid_t ide = VMBUS_CLASS_IDE;

	(void)ch;
	return fault_offer_instance(srv, &ide, out);
}

/* A sub-channel of a device that does not exist. */
static const char *fault_offer_orphan(struct vmbus_server *srv,
				      struct hv_channel *ch,
				      struct hv_buf *out)
{
	struct vmbus_msg_offer o;
	guid_t g = fault_instance();
	uint32_t relid;

	(void)ch;
	relid = fault_reserve_relid(srv);
	if (!relid)
		return "no free relid";
	fault_offer(&o, &g, relid, 1);
	hv_buf_printf(out, "relid=%u\n", relid);
	return fault_send(srv, &o, sizeof(o));
}

static const char *fault_rescind(struct vmbus_server *srv, uint32_t relid,
				 struct hv_buf *out)
{
	struct vmbus_msg_relid m = {
		.header.msgtype = VMBUS_MSG_RESCIND_CHANNELOFFER,
		.child_relid = relid,
	};

	hv_buf_printf(out, "relid=%u\n", relid);
	return fault_send(srv, &m, sizeof(m));
}

static const char *fault_rescind_unknown(struct vmbus_server *srv,
					 struct hv_channel *ch,
					 struct hv_buf *out)
{
	uint32_t relid = fault_free_relid(srv);

	(void)ch;
	if (!relid)
		return "no free relid";
	return fault_rescind(srv, relid, out);
}

/*
 * Sub-channel 1 of the offered device with the lowest relid, offered on
 * a free relid and rescinded at once: no driver asked for it, and the
 * guest must give the relid back and keep nothing of it.
 */
static const char *fault_subchannel_cycle(struct vmbus_server *srv,
					  struct hv_channel *ch,
					  struct hv_buf *out)
{
	struct hv_channel *dev = fault_offered(srv);
	struct vmbus_msg_offer o;
	const char *err;
	uint32_t relid;

	(void)ch;
	if (!dev)
		return "no offered device";
	relid = fault_reserve_relid(srv);
	if (!relid)
		return "no free relid";
	fault_offer(&o, &dev->instance, relid, 1);
	o.if_type = dev->cls->type;
	err = fault_send(srv, &o, sizeof(o));
	if (err)
		return err;
	srv->faults.rescinded[relid] = true;
	return fault_rescind(srv, relid, out);
}

/* The rescind of a refused offer, which the guest must release. */
static const char *fault_rescind_refused(struct vmbus_server *srv,
					 struct hv_channel *ch,
					 struct hv_buf *out)
{
	struct vmbus_faults *f = &srv->faults;
	uint32_t relid;

	(void)ch;
	for (relid = 1; relid <= VMBUS_SERVER_MAX_RELID; relid++) {
		if (f->reserved[relid] && !f->rescinded[relid]) {
			f->rescinded[relid] = true;
			return fault_rescind(srv, relid, out);
		}
	}
	return "no refused offer left to rescind";
}

/* Answers to requests the guest never made. */
static uint32_t fault_any_relid(struct vmbus_server *srv)
{
	struct hv_channel *ch = fault_offered(srv);

	return ch ? ch->relid : 1;
}

static const char *fault_gpadl_created(struct vmbus_server *srv,
				       struct hv_channel *ch,
				       struct hv_buf *out)
{
	struct vmbus_msg_gpadl_created m = {
		.header.msgtype = VMBUS_MSG_GPADL_CREATED,
		.child_relid = fault_any_relid(srv),
		.gpadl = FAULT_GPADL,
	};

	(void)ch;
	(void)out;
	return fault_send(srv, &m, sizeof(m));
}

static const char *fault_gpadl_torndown(struct vmbus_server *srv,
					struct hv_channel *ch,
					struct hv_buf *out)
{
	struct vmbus_msg_gpadl_torndown m = {
		.header.msgtype = VMBUS_MSG_GPADL_TORNDOWN,
		.gpadl = FAULT_GPADL,
	};

	(void)ch;
	(void)out;
	return fault_send(srv, &m, sizeof(m));
}

static const char *fault_open_result(struct vmbus_server *srv,
				     struct hv_channel *ch, struct hv_buf *out)
{
	struct vmbus_msg_open_result m = {
		.header.msgtype = VMBUS_MSG_OPENCHANNEL_RESULT,
		.child_relid = fault_any_relid(srv),
	};

	(void)ch;
	(void)out;
	m.openid = m.child_relid;
	return fault_send(srv, &m, sizeof(m));
}

static const char *fault_version_response(struct vmbus_server *srv,
					  struct hv_channel *ch,
					  struct hv_buf *out)
{
	struct vmbus_msg_version_response m = {
		.header.msgtype = VMBUS_MSG_VERSION_RESPONSE,
		.version_supported = 1,
		.msg_conn_id = VMBUS_MESSAGE_CONNECTION_ID,
	};

	(void)ch;
	(void)out;
	return fault_send(srv, &m, sizeof(m));
}

/* --- the inbound ring of an open channel ----------------------------- */

/* Write @len bytes (a multiple of 8) into the ring as one packet. */
static const char *fault_ring_write(struct hv_channel *ch, const void *pkt,
				    uint32_t len)
{
	struct iovec iov = { .iov_base = (void *)pkt, .iov_len = len };
	bool signal;

	switch (hvring_write(&ch->in, &iov, 1, &signal)) {
	case 0:
		return NULL;
	case -EAGAIN:
		return "inbound ring full";
	default:
		return "inbound ring unusable";
	}
}

/* A descriptor and one 8-byte payload word, or an extended header. */
struct fault_pkt {
	struct vmbus_packet_desc desc;
	uint64_t word;
};

static const char *fault_ring_desc(struct hv_channel *ch, uint16_t type,
				   uint16_t offset8, uint16_t len8,
				   uint64_t trans_id)
{
	struct fault_pkt p = {
		.desc = {
			.type = type,
			.offset8 = offset8,
			.len8 = len8,
			.trans_id = trans_id,
		},
	};

	return fault_ring_write(ch, &p, sizeof(p));
}

/* write_index set to the ring's size: beyond its last byte. */
static const char *fault_write_index(struct vmbus_server *srv,
				     struct hv_channel *ch, struct hv_buf *out)
{
	(void)srv;
	(void)out;
	shm_store_release32(&ch->in.ctl->write_index, ch->in.size);
	return NULL;
}

/* write_index 4 bytes past ours: not a multiple of 8. */
static const char *fault_write_unaligned(struct vmbus_server *srv,
					 struct hv_channel *ch,
					 struct hv_buf *out)
{
	(void)srv;
	(void)out;
	shm_store_release32(&ch->in.ctl->write_index, ch->in.index + 4);
	return NULL;
}

/* offset8 1: the payload would start inside the descriptor. */
static const char *fault_pkt_offset(struct vmbus_server *srv,
				    struct hv_channel *ch, struct hv_buf *out)
{
	(void)srv;
	(void)out;
	return fault_ring_desc(ch, VMBUS_PKT_DATA_INBAND, 1, 3, 0);
}

/* len8 smaller than offset8. */
static const char *fault_pkt_len(struct vmbus_server *srv,
				 struct hv_channel *ch, struct hv_buf *out)
{
	(void)srv;
	(void)out;
	return fault_ring_desc(ch, VMBUS_PKT_DATA_INBAND, 3, 2, 0);
}

/* len8 says 128 bytes; 24 were written. */
static const char *fault_pkt_overrun(struct vmbus_server *srv,
				     struct hv_channel *ch, struct hv_buf *out)
{
	(void)srv;
	(void)out;
	return fault_ring_desc(ch, VMBUS_PKT_DATA_INBAND, 2, 16, 0);
}

/* A well-formed inband packet as long as the ring can take. */
static const char *fault_pkt_oversize(struct vmbus_server *srv,
				      struct hv_channel *ch,
				      struct hv_buf *out)
{
	uint32_t len = ch->in.size - 2 * VMBUS_PKT_TRAILER_SIZE;
	struct vmbus_packet_desc *d;
	const char *err;
	uint8_t *pkt;

	(void)srv;
	if (len / 8 > UINT16_MAX)
		len = UINT16_MAX * 8;
	pkt = calloc(1, len);
	if (!pkt)
		return "out of memory";
	d = (struct vmbus_packet_desc *)pkt;
	d->type = VMBUS_PKT_DATA_INBAND;
	d->offset8 = sizeof(*d) / 8;
	d->len8 = len / 8;
	err = fault_ring_write(ch, pkt, len);
	free(pkt);
	if (!err)
		hv_buf_printf(out, "bytes=%u\n", len);
	return err;
}

static const char *fault_comp_unknown(struct vmbus_server *srv,
				      struct hv_channel *ch,
				      struct hv_buf *out)
{
	(void)srv;
	(void)out;
	return fault_ring_desc(ch, VMBUS_PKT_COMP, 2, 3, FAULT_TRANS_ID);
}

/* The id of the last completion sent on the channel, once more. */
static const char *fault_comp_stale(struct vmbus_server *srv,
				    struct hv_channel *ch, struct hv_buf *out)
{
	(void)srv;
	hv_buf_printf(out, "trans_id=0x%llx\n",
		      (unsigned long long)ch->last_comp_id);
	return fault_ring_desc(ch, VMBUS_PKT_COMP, 2, 3, ch->last_comp_id);
}

/* Type 8, DATA_USING_GPADL: no guest takes it. */
static const char *fault_pkt_type(struct vmbus_server *srv,
				  struct hv_channel *ch, struct hv_buf *out)
{
	(void)srv;
	(void)out;
	return fault_ring_desc(ch, 8, 2, 3, 0);
}

/* A transfer-page packet claiming 4 ranges, with room for none. */
static const char *fault_xfer_range(struct vmbus_server *srv,
				    struct hv_channel *ch, struct hv_buf *out)
{
	struct vmbus_xfer_page_header xp = {
		.desc = {
			.type = VMBUS_PKT_DATA_USING_XFER_PAGES,
			.offset8 = sizeof(xp) / 8,
			.len8 = sizeof(xp) / 8 + 1,
		},
		.range_cnt = 4,
	};
	uint64_t pkt[sizeof(xp) / 8 + 1] = { 0 };

	(void)srv;
	(void)out;
	memcpy(pkt, &xp, sizeof(xp));
	return fault_ring_write(ch, pkt, sizeof(pkt));
}

static double fault_now(void)
{
	return hv_now_ns() / 1e9;
}

/* Wait until the guest has read everything in @ch's inbound ring. */
static bool fault_ring_drained(struct hv_channel *ch)
{
	double end = fault_now() + FAULT_REPLAY_DRAIN_S;

	hv_channel_signal_guest(ch);
	while (shm_load_acquire32(&ch->in.ctl->read_index) != ch->in.index) {
		if (fault_now() > end)
			return false;
		usleep(FAULT_REPLAY_POLL_US);
	}
	return true;
}

/*
 * Fill every 32-byte slot of the inbound ring with a completion of an
 * unknown id: fill the ring, let the guest drain it, then write the one
 * slot a full ring leaves out.
 */
static const char *fault_replay_tile(struct hv_channel *ch)
{
	const char *err;

	if (ch->in.size % FAULT_REPLAY_PKT)
		return "ring size not a multiple of the replayed packet";
	while (!(err = fault_comp_unknown(NULL, ch, NULL)))
		;
	if (strcmp(err, "inbound ring full"))
		return err;
	if (!fault_ring_drained(ch))
		return "the guest did not drain the ring";
	return fault_comp_unknown(NULL, ch, NULL);
}

/*
 * For @secs seconds, whenever the guest gives ring space back, move
 * write_index to just behind its read index: the packets it already read
 * appear again, so the ring never becomes empty. hvhost spins meanwhile:
 * a guest that reads half a ring before it gives space back must find
 * more packets before it has read the other half.
 */
static const char *fault_ring_replay(struct vmbus_server *srv,
				     struct hv_channel *ch, struct hv_buf *out)
{
	double end = fault_now() + srv->faults.secs;
	uint32_t rd, w = ch->in.index, moves = 0;
	const char *err = fault_replay_tile(ch);

	if (err)
		return err;
	while (fault_now() < end) {
		rd = shm_load_acquire32(&ch->in.ctl->read_index);
		if (rd < ch->in.size && rd % VMBUS_PKT_ALIGN == 0 &&
		    (rd + ch->in.size - FAULT_REPLAY_PKT) % ch->in.size != w) {
			w = (rd + ch->in.size - FAULT_REPLAY_PKT) % ch->in.size;
			shm_store_release32(&ch->in.ctl->write_index, w);
			hv_channel_signal_guest(ch);
			moves++;
		}
		/* No sleep: the guest must never reach write_index. */
	}
	/* Our own writer goes on from where the ring now ends. */
	ch->in.index = shm_load_acquire32(&ch->in.ctl->write_index);
	hv_buf_printf(out, "moves=%u\n", moves);
	return NULL;
}

/* Wait up to @secs for the guest to ask for space in @ch's outbound ring. */
static bool fault_guest_waits(struct hv_channel *ch, unsigned int secs)
{
	double end = fault_now() + secs;

	while (!shm_load_acquire32(&ch->out.ctl->pending_send_sz)) {
		if (fault_now() > end)
			return false;
		usleep(1000);
	}
	return true;
}

/*
 * comp-early: make the guest's outbound ring look full (read_index just
 * past its write_index), wait until a sender blocks on it, then send
 * completions for the ids it is about to use: the id of the completion
 * the channel sent last, with the next FAULT_EARLY_GENS generations (the
 * guest's request ids are LIFO table slots with a generation). After a
 * second, the real read_index goes back and the guest may send. A guest
 * that published the id before its packet was in the ring takes one of
 * these for the request it has not sent yet.
 */
static const char *fault_comp_early(struct vmbus_server *srv,
				    struct hv_channel *ch, struct hv_buf *out)
{
	uint32_t w = shm_load_acquire32(&ch->out.ctl->write_index);
	const char *err = NULL;
	unsigned int i;
	uint64_t id;

	shm_store_release32(&ch->out.ctl->read_index,
			    (w + VMBUS_PKT_ALIGN) % ch->out.size);
	if (!fault_guest_waits(ch, srv->faults.secs))
		err = "no guest sender blocked on the ring";
	/* A NOWAIT try sets pending_send_sz too: let the blocking one start. */
	usleep(FAULT_EARLY_START_US);
	for (i = 1; i <= FAULT_EARLY_GENS && !err; i++) {
		id = ch->last_comp_id + ((uint64_t)i << 32);
		err = fault_ring_desc(ch, VMBUS_PKT_COMP, 2, 3, id);
		hv_buf_printf(out, "trans_id=0x%llx\n", (unsigned long long)id);
	}
	hv_channel_signal_guest(ch);
	usleep(FAULT_EARLY_HOLD_US);
	shm_store_release32(&ch->out.ctl->read_index, ch->out.index);
	hv_channel_signal_guest(ch);
	return err;
}

/*
 * post-busy: for the next @secs seconds, every post the guest makes takes
 * half a second and is refused with HV_STATUS_INSUFFICIENT_BUFFERS, as
 * from a host whose message queue stays full.
 */
static const char *fault_post_busy(struct vmbus_server *srv,
				   struct hv_channel *ch, struct hv_buf *out)
{
	(void)ch;
	(void)out;
	srv->faults.post_busy_until = fault_now() + srv->faults.secs;
	return NULL;
}

/**
 * vmbus_fault_post() - whether a guest post is refused by post-busy
 * @srv: the server
 *
 * Return: HV_TLFS_STATUS_INSUFFICIENT_BUFFERS (after a delay) while a
 * post-busy fault lasts, else HV_TLFS_STATUS_SUCCESS.
 */
uint32_t vmbus_fault_post(struct vmbus_server *srv)
{
	if (fault_now() >= srv->faults.post_busy_until)
		return HV_TLFS_STATUS_SUCCESS;
	usleep(FAULT_POST_BUSY_US);
	srv->faults.posts_refused++;
	return HV_TLFS_STATUS_INSUFFICIENT_BUFFERS;
}

static const struct vmbus_fault_kind vmbus_fault_kinds[] = {
	{ "msg-too-big", FAULT_MSG, false, 0, fault_msg_too_big },
	{ "short-offer", FAULT_MSG, false, 0, fault_short_offer },
	{ "short-rescind", FAULT_MSG, false, 0, fault_short_rescind },
	{ "unknown-msg", FAULT_MSG, false, 0, fault_unknown_msg },
	{ "offer-relid-0", FAULT_MSG, false, 0, fault_offer_relid0 },
	{ "offer-relid-high", FAULT_MSG, false, 0, fault_offer_relid_high },
	{ "offer-relid-used", FAULT_MSG, false, 0, fault_offer_relid_used },
	{ "offer-dup", FAULT_MSG, false, 0, fault_offer_dup },
	{ "offer-dup-class", FAULT_MSG, false, 0, fault_offer_dup_class },
	{ "offer-orphan", FAULT_MSG, false, 0, fault_offer_orphan },
	{ "subchannel-cycle", FAULT_MSG, false, 0, fault_subchannel_cycle },
	{ "rescind-unknown", FAULT_MSG, false, 0, fault_rescind_unknown },
	{ "rescind-refused", FAULT_MSG, false, 0, fault_rescind_refused },
	{ "gpadl-created", FAULT_MSG, false, 0, fault_gpadl_created },
	{ "gpadl-torndown", FAULT_MSG, false, 0, fault_gpadl_torndown },
	{ "open-result", FAULT_MSG, false, 0, fault_open_result },
	{ "version-response", FAULT_MSG, false, 0, fault_version_response },
	{ "drop-gpadl-created", FAULT_DROP, false, VMBUS_MSG_GPADL_CREATED, NULL },
	{ "drop-gpadl-torndown", FAULT_DROP, false, VMBUS_MSG_GPADL_TORNDOWN, NULL },
	{ "drop-open-result", FAULT_DROP, false, VMBUS_MSG_OPENCHANNEL_RESULT, NULL },
	{ "ring-write-index", FAULT_RING, false, 0, fault_write_index },
	{ "ring-write-unaligned", FAULT_RING, false, 0, fault_write_unaligned },
	{ "pkt-offset", FAULT_RING, false, 0, fault_pkt_offset },
	{ "pkt-len", FAULT_RING, false, 0, fault_pkt_len },
	{ "pkt-overrun", FAULT_RING, false, 0, fault_pkt_overrun },
	{ "pkt-oversize", FAULT_RING, false, 0, fault_pkt_oversize },
	{ "pkt-type", FAULT_RING, false, 0, fault_pkt_type },
	{ "xfer-range", FAULT_RING, false, 0, fault_xfer_range },
	{ "comp-unknown", FAULT_RING, false, 0, fault_comp_unknown },
	{ "comp-stale", FAULT_RING, false, 0, fault_comp_stale },
	{ "ring-replay", FAULT_RING, true, 0, fault_ring_replay },
	{ "comp-early", FAULT_RING, true, 0, fault_comp_early },
	{ "post-busy", FAULT_MSG, true, 0, fault_post_busy },
};

/*
 * The channel ring faults go to: the primary channel of the device with
 * instance @target, or else the open echo channel with the highest relid
 * (the one hot-added last).
 */
static struct hv_channel *fault_ring_target(struct vmbus_server *srv,
					    const guid_t *target)
{
	struct hv_channel *ch;
	uint32_t relid;

	if (target) {
		ch = vmbus_server_find(srv, target);
		return ch && ch->open ? ch : NULL;
	}
	for (relid = VMBUS_SERVER_MAX_RELID; relid; relid--) {
		ch = srv->chan[relid];
		if (ch && ch->open && !ch->primary &&
		    ch->cls->ops == &hv_echo_ops)
			return ch;
	}
	return NULL;
}

static const struct vmbus_fault_kind *fault_find(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(vmbus_fault_kinds); i++)
		if (!strcmp(vmbus_fault_kinds[i].name, name))
			return &vmbus_fault_kinds[i];
	return NULL;
}

/**
 * vmbus_fault_inject() - `fault vmbus KIND [COUNT] [GUID]`
 * @srv: the server
 * @kind: the fault's name
 * @count: how many times (1..256); for ring-replay, comp-early and
 *	post-busy, how many seconds
 * @target: ring faults: the device whose primary channel gets them, or
 *	NULL for the open echo channel with the highest relid
 * @out: reply lines (relids and ids used)
 *
 * Return: NULL, or why nothing (or not everything) was injected.
 */
const char *vmbus_fault_inject(struct vmbus_server *srv, const char *kind,
			       unsigned int count, const guid_t *target,
			       struct hv_buf *out)
{
	const struct vmbus_fault_kind *k = fault_find(kind);
	struct hv_channel *ch = NULL;
	const char *err = NULL;
	unsigned int i;

	if (!k)
		return "unknown fault";
	if (!count || count > FAULT_MAX_COUNT)
		return "bad count";
	if (k->timed) {
		srv->faults.secs = count;
		count = 1;
	}
	if (k->cls == FAULT_DROP) {
		srv->faults.drop_type = k->drop_type;
		srv->faults.drop_count = count;
		return NULL;
	}
	if (!srv->version)
		return "guest not connected";
	if (k->cls == FAULT_RING) {
		ch = fault_ring_target(srv, target);
		if (!ch)
			return "no open channel for a ring fault";
	}
	for (i = 0; i < count && !err; i++) {
		err = k->inject(srv, ch, out);
		if (!err)
			srv->faults.sent++;
	}
	/* Make the guest look at its ring now. */
	if (ch && i)
		hv_channel_signal_guest(ch);
	hv_info("fault vmbus %s: %u injected%s%s", kind,
		err ? i - 1 : i, err ? ", then: " : "", err ? err : "");
	return err;
}

/**
 * vmbus_fault_drop() - whether an answer to the guest is swallowed
 * @srv: the server
 * @msg: the message about to be sent
 * @len: its length
 *
 * Return: true if a drop-* fault takes it (it is then counted as sent).
 */
bool vmbus_fault_drop(struct vmbus_server *srv, const void *msg, uint32_t len)
{
	struct vmbus_faults *f = &srv->faults;
	struct vmbus_msg_header hdr;

	if (!f->drop_count || len < sizeof(hdr))
		return false;
	memcpy(&hdr, msg, sizeof(hdr));
	if (hdr.msgtype != f->drop_type)
		return false;
	if (!--f->drop_count)
		f->drop_type = 0;
	f->sent++;
	hv_info("fault vmbus: message type %u not sent", hdr.msgtype);
	return true;
}

/**
 * vmbus_fault_relid_released() - RELID_RELEASED for a relid of a fault
 * @srv: the server
 * @relid: the relid the guest released
 *
 * Return: true if a refused offer held @relid: it is free again.
 */
bool vmbus_fault_relid_released(struct vmbus_server *srv, uint32_t relid)
{
	struct vmbus_faults *f = &srv->faults;

	if (!relid || relid > VMBUS_SERVER_MAX_RELID || !f->reserved[relid])
		return false;
	if (!f->rescinded[relid]) {
		hv_warn_rl("relid %u of a refused offer released before its rescind",
			   relid);
		return true;
	}
	f->reserved[relid] = false;
	f->rescinded[relid] = false;
	f->relids_released++;
	return true;
}

/* Relids of refused offers the guest has not released yet. */
unsigned int vmbus_fault_relids_held(const struct vmbus_server *srv)
{
	unsigned int relid, n = 0;

	for (relid = 1; relid <= VMBUS_SERVER_MAX_RELID; relid++)
		n += srv->faults.reserved[relid];
	return n;
}

/* The connection ends: the guest's record of refused offers goes too. */
void vmbus_fault_reset(struct vmbus_server *srv)
{
	memset(srv->faults.reserved, 0, sizeof(srv->faults.reserved));
	memset(srv->faults.rescinded, 0, sizeof(srv->faults.rescinded));
}
