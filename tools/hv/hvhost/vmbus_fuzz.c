// SPDX-License-Identifier: GPL-2.0
/*
 * The hostile-host fuzzer in the VMBus server: the two places the host
 * sends from (vmbus_server_send() for channel messages,
 * hv_channel_send_ext() for ring packets) hand each send to
 * vmbus_fuzz_msg() / vmbus_fuzz_packet() while a run is on. A picked send
 * is copied, mutated by the engine (fuzz.c) and sent through the same
 * bounds-checked paths as any other: the synic's message slots and
 * hvring_write_keep() into the channel's inbound ring. The only other
 * write is a ring-index mutation, to the ring's own control page. So the
 * fuzzer never writes outside the guest memory the guest shared with us.
 * See Documentation/hv/hvhost.rst, "Fuzzing the guest".
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "log.h"
#include "shm.h"
#include "util.h"
#include "vmbus_server.h"

/* A channel message's relid, after its 8-byte header. */
#define FUZZ_MSG_ID_OFF		8

/*
 * @held: a reordered input, sent at the end of the event loop round
 * @prev: the last input picked, before mutation (out-of-seq replays it)
 */
struct vmbus_fuzz_buf {
	bool packet;
	uint32_t relid;
	uint32_t keep;
	uint32_t len;
	uint8_t data[HVFUZZ_MAX_INPUT];
};

/**
 * struct vmbus_fuzz - a fuzz run of one server
 * @eng: the engine
 * @in: the input being mutated
 * @held: a reordered input waiting for the end of the round
 * @prev_msg: the last channel message picked, unmutated
 * @pkt: two buffers, the last ring packet picked (unmutated) and the one
 *	being picked now
 * @prev_pkt: the index in @pkt of the last one
 * @index_relid: a channel whose published write index is bogus until the
 *	end of the round, or 0
 * @failed: mutated inputs that could not be sent (ring full, ...)
 */
struct vmbus_fuzz {
	struct hvfuzz eng;
	struct vmbus_fuzz_buf in;
	struct vmbus_fuzz_buf held;
	struct vmbus_fuzz_buf prev_msg;
	struct vmbus_fuzz_buf pkt[2];
	unsigned int prev_pkt;
	uint32_t index_relid;
	uint64_t failed;
};

static void fuzz_log_mutation(const struct vmbus_fuzz *fz,
			      const struct hvfuzz_mutation *m)
{
	hv_info("fuzz seed=%" PRIu64 " index=%" PRIu64
		" target=%u relid=%u kind=%s offset=%u width=%u value=0x%"
		PRIx64, fz->eng.seed, m->index, m->target, m->relid,
		hvfuzz_kind_name(m->kind), m->offset, m->width, m->value);
}

/* --- channel messages ------------------------------------------------ */

static int fuzz_post(struct vmbus_server *srv, const void *msg,
		     uint32_t len, uint32_t claimed)
{
	srv->stats.msgs_out++;
	return synic_post_to_guest_as(srv->synic, srv->msg_vp, msg, len,
				      claimed);
}

static void fuzz_copy(struct vmbus_fuzz_buf *dst,
		      const struct vmbus_fuzz_buf *src)
{
	dst->packet = src->packet;
	dst->relid = src->relid;
	dst->keep = src->keep;
	dst->len = src->len;
	memcpy(dst->data, src->data, src->len);
}

static void fuzz_input(struct vmbus_fuzz *fz, struct hvfuzz_input *in,
		       bool packet, uint64_t id, uint32_t ring_size)
{
	in->buf = fz->in.data;
	in->len = fz->in.len;
	in->cap = sizeof(fz->in.data);
	in->packet = packet;
	in->id_off = packet ? offsetof(struct vmbus_packet_desc, trans_id) :
		     FUZZ_MSG_ID_OFF;
	in->id = id;
	in->ring_size = ring_size;
}

/* Send @b as it is, with @claimed as a message's payload size. */
typedef int (*fuzz_emit_fn)(void *dst, const struct vmbus_fuzz_buf *b,
			    uint32_t claimed);

/* The sends a mutation makes: none now, twice, after an old one, ... */
static int fuzz_send(struct vmbus_fuzz *fz, const struct hvfuzz_mutation *m,
		     const struct vmbus_fuzz_buf *prev, fuzz_emit_fn emit,
		     void *dst)
{
	const struct vmbus_fuzz_buf *b = &fz->in;
	uint32_t claimed = b->len;
	int ret = 0;

	switch (m->kind) {
	case HVFUZZ_REORDER:
		fuzz_copy(&fz->held, b);
		return 0;
	case HVFUZZ_OUT_OF_SEQ:
		if (prev->len)
			ret = emit(dst, prev, prev->len);
		break;
	case HVFUZZ_DUPLICATE:
		ret = emit(dst, b, b->len);
		break;
	case HVFUZZ_SIZE_FIELD:
		claimed = m->value;
		break;
	default:
		break;
	}
	return ret ? ret : emit(dst, b, claimed);
}

static int fuzz_emit_msg(void *dst, const struct vmbus_fuzz_buf *b,
			 uint32_t claimed)
{
	return fuzz_post(dst, b->data, b->len, claimed);
}

/**
 * vmbus_fuzz_msg() - let the fuzzer have a channel message
 * @srv: the server
 * @msg: the message the server built
 * @len: its bytes
 *
 * Return: true when the fuzzer took it (sent a mutation of it, or holds
 * it back), false when the caller sends it as it is.
 */
bool vmbus_fuzz_msg(struct vmbus_server *srv, const void *msg, uint32_t len)
{
	struct vmbus_fuzz *fz = srv->fuzz;
	struct hvfuzz_mutation m;
	struct hvfuzz_input in;
	uint32_t id = 0;

	if (!fz || len > HV_TLFS_MESSAGE_PAYLOAD_SIZE)
		return false;
	if (len >= FUZZ_MSG_ID_OFF + sizeof(id))
		memcpy(&id, (const uint8_t *)msg + FUZZ_MSG_ID_OFF,
		       sizeof(id));
	if (!hvfuzz_pick(&fz->eng, HVFUZZ_TARGET_VMBUS, id))
		return false;
	fz->in.packet = false;
	fz->in.relid = 0;
	fz->in.len = len;
	memcpy(fz->in.data, msg, len);
	fuzz_input(fz, &in, false, id, 0);
	in.relid = 0;
	hvfuzz_mutate(&fz->eng, HVFUZZ_TARGET_VMBUS, &in, &m);
	fz->in.len = in.len;
	fuzz_log_mutation(fz, &m);
	if (fuzz_send(fz, &m, &fz->prev_msg, fuzz_emit_msg, srv))
		fz->failed++;
	fz->prev_msg.len = len;
	memcpy(fz->prev_msg.data, msg, len);
	return true;
}

/* --- ring packets ---------------------------------------------------- */

/* Descriptor, extended header, payload and padding in one buffer. */
static bool fuzz_build_packet(struct vmbus_fuzz_buf *b, uint16_t type,
			      uint16_t flags, uint64_t trans_id,
			      const void *ext, uint32_t ext_len,
			      const struct iovec *iov, unsigned int n)
{
	struct vmbus_packet_desc desc = {
		.type = type,
		.offset8 = HVRING_INBAND_OFFSET8 + ext_len / 8,
		.flags = flags,
		.trans_id = trans_id,
	};
	uint64_t total = sizeof(desc) + ext_len;
	uint32_t off;
	unsigned int i;

	for (i = 0; i < n; i++)
		total += iov[i].iov_len;
	total = (total + VMBUS_PKT_ALIGN - 1) & ~(uint64_t)(VMBUS_PKT_ALIGN - 1);
	if (total > sizeof(b->data) || total / 8 > UINT16_MAX ||
	    ext_len % VMBUS_PKT_ALIGN)
		return false;
	desc.len8 = total / 8;
	memset(b->data, 0, total);
	memcpy(b->data, &desc, sizeof(desc));
	off = sizeof(desc);
	if (ext_len)
		memcpy(b->data + off, ext, ext_len);
	off += ext_len;
	for (i = 0; i < n; i++) {
		memcpy(b->data + off, iov[i].iov_base, iov[i].iov_len);
		off += iov[i].iov_len;
	}
	b->len = total;
	return true;
}

/* Write @len bytes (whole packets) into @ch's inbound ring. */
static int fuzz_ring_write(struct hv_channel *ch, const uint8_t *data,
			   uint32_t len, uint32_t keep)
{
	struct iovec iov = { .iov_base = (void *)data, .iov_len = len };
	const struct vmbus_packet_desc *desc = (const void *)data;
	bool signal;
	int ret;

	ret = hvring_write_keep(&ch->in, &iov, 1, keep, &signal);
	if (!ret)
		hv_channel_sent(ch, desc->type, desc->trans_id, len, signal);
	return ret;
}

static int fuzz_emit_packet(void *dst, const struct vmbus_fuzz_buf *b,
			    uint32_t claimed)
{
	(void)claimed;
	return fuzz_ring_write(dst, b->data, b->len, b->keep);
}

/* A write index that lies, until the end of the round. */
static void fuzz_bad_index(struct hv_channel *ch, struct vmbus_fuzz *fz,
			   uint32_t index)
{
	shm_mb();
	shm_write32(&ch->in.ctl->write_index, index);
	fz->index_relid = ch->relid;
	hv_channel_signal_guest(ch);
}

/**
 * vmbus_fuzz_packet() - let the fuzzer have a ring packet
 * @ch: the open channel it is for
 * @type: hv_channel_send_ext()'s arguments
 * @flags: ...
 * @trans_id: ...
 * @ext: ...
 * @ext_len: ...
 * @keep: ...
 * @iov: ...
 * @n: ...
 *
 * Return: 1 when the caller sends it as it is, else what sending the
 * mutation gave (0, or the ring's error such as -EAGAIN).
 */
int vmbus_fuzz_packet(struct hv_channel *ch, uint16_t type, uint16_t flags,
		      uint64_t trans_id, const void *ext, uint32_t ext_len,
		      uint32_t keep, const struct iovec *iov, unsigned int n)
{
	struct vmbus_fuzz *fz = ch->srv->fuzz;
	unsigned int target = 1 + hv_device_class_id(ch->cls);
	struct hvfuzz_mutation m;
	struct hvfuzz_input in;
	int ret;

	if (!fz || !hvfuzz_pick(&fz->eng, target, trans_id))
		return 1;
	if (!fuzz_build_packet(&fz->in, type, flags, trans_id, ext, ext_len,
			       iov, n)) {
		fz->eng.skipped++;
		return 1;
	}
	fz->in.packet = true;
	fz->in.relid = ch->relid;
	fz->in.keep = keep;
	fuzz_copy(&fz->pkt[!fz->prev_pkt], &fz->in);
	fuzz_input(fz, &in, true, trans_id, ch->in.size);
	in.relid = ch->relid;
	hvfuzz_mutate(&fz->eng, target, &in, &m);
	fz->in.len = in.len;
	fuzz_log_mutation(fz, &m);
	ret = fuzz_send(fz, &m, &fz->pkt[fz->prev_pkt], fuzz_emit_packet, ch);
	if (!ret && m.kind == HVFUZZ_RING_INDEX)
		fuzz_bad_index(ch, fz, m.value);
	if (ret)
		fz->failed++;
	fz->prev_pkt = !fz->prev_pkt;
	return ret;
}

/* --- the run --------------------------------------------------------- */

static struct hv_channel *fuzz_channel(struct vmbus_server *srv,
				       uint32_t relid)
{
	struct hv_channel *ch;

	if (!relid || relid > VMBUS_SERVER_MAX_RELID)
		return NULL;
	ch = srv->chan[relid];
	return ch && ch->open && !ch->in.broken ? ch : NULL;
}

/*
 * End of an event loop round: send what was held back, and publish the
 * true write index again where a ring-index mutation lied about it.
 */
void vmbus_fuzz_round_end(struct vmbus_server *srv)
{
	struct vmbus_fuzz *fz = srv->fuzz;
	struct vmbus_fuzz_buf *b;
	struct hv_channel *ch;

	if (!fz)
		return;
	ch = fuzz_channel(srv, fz->index_relid);
	if (ch) {
		shm_mb();
		shm_write32(&ch->in.ctl->write_index, ch->in.index);
		hv_channel_signal_guest(ch);
	}
	fz->index_relid = 0;
	b = &fz->held;
	if (!b->len)
		return;
	if (!b->packet) {
		fuzz_post(srv, b->data, b->len, b->len);
	} else {
		ch = fuzz_channel(srv, b->relid);
		if (!ch || fuzz_ring_write(ch, b->data, b->len, b->keep))
			fz->failed++;
	}
	b->len = 0;
}

void vmbus_fuzz_stop(struct vmbus_server *srv)
{
	if (!srv->fuzz)
		return;
	vmbus_fuzz_round_end(srv);
	free(srv->fuzz);
	srv->fuzz = NULL;
}

/*
 * The next word of a comma-separated list at *@s, into @word (@cap bytes):
 * 1 when there is one, 0 at the end, -EINVAL for an empty or long word.
 */
static int fuzz_next_word(const char **s, char *word, size_t cap)
{
	size_t len = strcspn(*s, ",");

	if (!**s)
		return 0;
	if (!len || len >= cap)
		return -EINVAL;
	memcpy(word, *s, len);
	word[len] = '\0';
	*s += len;
	if (**s == ',' && !*++*s)
		return -EINVAL;
	return 1;
}

/* The class of @word, by name or its driver's name: its target bit. */
static uint32_t fuzz_class_target(const char *word)
{
	const struct hv_device_class *cls;
	unsigned int id;

	hv_for_each_device_class(id, cls)
		if (!strcmp(word, cls->name) ||
		    (cls->fault_name && !strcmp(word, cls->fault_name)))
			return 1U << (1 + id);
	return 0;
}

/* vmbus, all, a class (echo, scsi, ...) or its driver's name, as a list. */
static int fuzz_parse_targets(const char *s, uint32_t *mask)
{
	uint32_t bit;
	char word[32];
	int ret;

	*mask = 0;
	while ((ret = fuzz_next_word(&s, word, sizeof(word))) > 0) {
		if (!strcmp(word, "all"))
			bit = HVFUZZ_TARGET_ALL;
		else if (!strcmp(word, "vmbus"))
			bit = 1U << HVFUZZ_TARGET_VMBUS;
		else
			bit = fuzz_class_target(word);
		if (!bit)
			return -EINVAL;
		*mask |= bit;
	}
	return ret || !*mask ? -EINVAL : 0;
}

static const char *fuzz_target_name(unsigned int target)
{
	const struct hv_device_class *cls;

	if (target == HVFUZZ_TARGET_VMBUS)
		return "vmbus";
	cls = hv_device_class_at(target - 1);
	return cls ? cls->name : "?";
}

static int fuzz_parse_u64(const char *s, uint64_t *v)
{
	char *end;

	if (!*s || *s == '-')
		return -EINVAL;
	errno = 0;
	*v = strtoull(s, &end, 0);
	return errno || *end ? -EINVAL : 0;
}

/* all, or kind names (bitflip, ...), as a list. */
static int fuzz_parse_kinds(const char *s, uint32_t *mask)
{
	char word[32];
	int ret, kind;

	*mask = 0;
	if (!strcmp(s, "all")) {
		*mask = HVFUZZ_KINDS_ALL;
		return 0;
	}
	while ((ret = fuzz_next_word(&s, word, sizeof(word))) > 0) {
		kind = hvfuzz_kind_parse(word);
		if (kind < 0)
			return -EINVAL;
		*mask |= 1U << kind;
	}
	return ret || !*mask ? -EINVAL : 0;
}

/* `fuzz SEED [COUNT] [TARGET] [EVERY] [KINDS]` */
static const char *fuzz_cmd_start(struct vmbus_server *srv, int argc,
				  char **argv)
{
	uint32_t targets = HVFUZZ_TARGET_ALL, kinds = HVFUZZ_KINDS_ALL;
	unsigned int count = 1000, every = 1;
	uint64_t seed;

	if (fuzz_parse_u64(argv[1], &seed))
		return "bad seed: SEED is a 64-bit number";
	if (argc > 2 && hv_parse_uint(argv[2], 1, 100000000, &count))
		return "bad count: COUNT is 1..100000000";
	if (argc > 3 && fuzz_parse_targets(argv[3], &targets))
		return "bad target: vmbus, all, a class or its driver's name";
	if (argc > 4 && hv_parse_uint(argv[4], 1, 1000000, &every))
		return "bad rate: EVERY is 1..1000000";
	if (argc > 5 && fuzz_parse_kinds(argv[5], &kinds))
		return "bad kinds: all, or strategy names (bitflip, ...)";
	vmbus_fuzz_stop(srv);
	srv->fuzz = calloc(1, sizeof(*srv->fuzz));
	if (!srv->fuzz)
		return "out of memory";
	hvfuzz_start(&srv->fuzz->eng, seed, count, targets, every, kinds);
	hv_info("fuzz seed=%" PRIu64 " count=%u targets=0x%x every=%u kinds=0x%x",
		seed, count, targets, every, kinds);
	return NULL;
}

static void fuzz_status(const struct vmbus_fuzz *fz, struct hv_buf *out)
{
	const struct hvfuzz *f = &fz->eng;
	unsigned int i;

	hv_buf_printf(out, "fuzz.seed=%" PRIu64 "\nfuzz.count=%" PRIu64
		      "\nfuzz.every=%u\nfuzz.targets=0x%x\nfuzz.kinds=0x%x"
		      "\nfuzz.active=%d\n", f->seed, f->count, f->every,
		      f->targets, f->kinds, hvfuzz_active(f));
	hv_buf_printf(out, "fuzz.done=%" PRIu64 "\nfuzz.failed=%" PRIu64
		      "\nfuzz.skipped=%" PRIu64 "\n", f->done, fz->failed,
		      f->skipped);
	for (i = 0; i < HVFUZZ_KINDS; i++)
		hv_buf_printf(out, "fuzz.kind.%s=%" PRIu64 "\n",
			      hvfuzz_kind_name(i), f->by_kind[i]);
	for (i = 0; i < HVFUZZ_TARGETS; i++)
		if (f->targets & (1U << i) &&
		    (i == HVFUZZ_TARGET_VMBUS || hv_device_class_at(i - 1)))
			hv_buf_printf(out, "fuzz.target.%s=%" PRIu64 "\n",
				      fuzz_target_name(i), f->by_target[i]);
}

/* The last @n mutations, oldest first. */
static void fuzz_log(const struct vmbus_fuzz *fz, unsigned int n,
		     struct hv_buf *out)
{
	const struct hvfuzz *f = &fz->eng;
	const struct hvfuzz_mutation *m;
	uint64_t i = f->done > n ? f->done - n : 0;

	for (; (m = hvfuzz_log_at(f, i)); i++)
		hv_buf_printf(out, "seed=%" PRIu64 " index=%" PRIu64
			      " target=%s relid=%u kind=%s offset=%u width=%u"
			      " value=0x%" PRIx64 "\n", f->seed, m->index,
			      fuzz_target_name(m->target), m->relid,
			      hvfuzz_kind_name(m->kind), m->offset, m->width,
			      m->value);
}

/**
 * vmbus_fuzz_command() - the control socket's `fuzz` command
 * @srv: the server
 * @argc: words, "fuzz" included
 * @argv: them
 * @out: the answer's lines
 *
 * Return: NULL (OK) or the ERR reason.
 */
const char *vmbus_fuzz_command(struct vmbus_server *srv, int argc,
			       char **argv, struct hv_buf *out)
{
	unsigned int n = 16;

	if (!strcmp(argv[1], "stop") || !strcmp(argv[1], "status")) {
		if (argc != 2)
			return "usage: fuzz stop|status";
		if (!strcmp(argv[1], "stop"))
			vmbus_fuzz_stop(srv);
		else if (srv->fuzz)
			fuzz_status(srv->fuzz, out);
		else
			return "no fuzz run";
		return NULL;
	}
	if (!strcmp(argv[1], "log")) {
		if (!srv->fuzz)
			return "no fuzz run";
		if (argc > 3 ||
		    (argc == 3 && hv_parse_uint(argv[2], 1, HVFUZZ_LOG_LEN,
						&n)))
			return "usage: fuzz log [1..64]";
		fuzz_log(srv->fuzz, n, out);
		return NULL;
	}
	return fuzz_cmd_start(srv, argc, argv);
}
