// SPDX-License-Identifier: GPL-2.0
/*
 * The fuzzer's engine (fuzz.h): a splitmix64 generator seeded by the
 * user, so that a run is the same sequence of decisions for the same
 * sequence of sends, and the byte-level mutations. Every write goes
 * through fuzz_put(), which refuses one that would leave the buffer.
 */
#include <string.h>

#include <hyperv/vmbus_ring.h>

#include "fuzz.h"
#include "util.h"

static const char *const fuzz_kind_names[HVFUZZ_KINDS] = {
	[HVFUZZ_BITFLIP] = "bitflip",
	[HVFUZZ_BOUNDARY] = "boundary",
	[HVFUZZ_TRUNCATE] = "truncate",
	[HVFUZZ_DUPLICATE] = "duplicate",
	[HVFUZZ_REORDER] = "reorder",
	[HVFUZZ_STALE_ID] = "stale-id",
	[HVFUZZ_FOREIGN_ID] = "foreign-id",
	[HVFUZZ_OUT_OF_SEQ] = "out-of-seq",
	[HVFUZZ_RING_INDEX] = "ring-index",
	[HVFUZZ_SIZE_FIELD] = "size-field",
};

/* Values that sit on the edges of lengths, offsets, counts and indices. */
static const uint32_t fuzz_edges[] = {
	0, 1, 2, 7, 8, 9, 0x7f, 0x80, 0xff, 0x100, 0xfff, 0x1000, 0x1001,
	0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffffe,
	0xffffffff,
};

/* The descriptor's offset8 and len8 (reference §3). */
#define FUZZ_DESC_OFFSET8	2
#define FUZZ_DESC_LEN8		4

const char *hvfuzz_kind_name(unsigned int kind)
{
	return kind < HVFUZZ_KINDS ? fuzz_kind_names[kind] : "?";
}

/* The kind called @name, or -1. */
int hvfuzz_kind_parse(const char *name)
{
	unsigned int i;

	for (i = 0; i < HVFUZZ_KINDS; i++)
		if (!strcmp(name, fuzz_kind_names[i]))
			return i;
	return -1;
}

void hvfuzz_start(struct hvfuzz *f, uint64_t seed, uint64_t count,
		  uint32_t targets, uint32_t every, uint32_t kinds)
{
	memset(f, 0, sizeof(*f));
	f->seed = seed;
	f->state = seed;
	f->count = count;
	f->targets = targets & HVFUZZ_TARGET_ALL;
	f->every = every ? every : 1;
	f->kinds = kinds & HVFUZZ_KINDS_ALL;
}

/* A strategy for a packet or a message, and one the run draws from. */
static bool fuzz_kind_ok(const struct hvfuzz *f, unsigned int kind,
			 bool packet)
{
	if (kind == (packet ? HVFUZZ_SIZE_FIELD : HVFUZZ_RING_INDEX))
		return false;
	return f->kinds & (1U << kind);
}

static unsigned int fuzz_kinds_for(const struct hvfuzz *f, bool packet)
{
	unsigned int kind, n = 0;

	for (kind = 0; kind < HVFUZZ_KINDS; kind++)
		n += fuzz_kind_ok(f, kind, packet);
	return n;
}

/* splitmix64: every seed, 0 included, gives a full-period sequence. */
uint64_t hvfuzz_next(struct hvfuzz *f)
{
	uint64_t z = (f->state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint32_t fuzz_below(struct hvfuzz *f, uint32_t n)
{
	return n ? hvfuzz_next(f) % n : 0;
}

bool hvfuzz_active(const struct hvfuzz *f)
{
	return f->done < f->count;
}

/*
 * Called for every send of @target with its id: true when this one is
 * to be mutated. The ids are kept for the stale and foreign id mutations.
 */
bool hvfuzz_pick(struct hvfuzz *f, unsigned int target, uint64_t id)
{
	uint64_t stale;

	if (target >= HVFUZZ_TARGETS)
		return false;
	stale = f->last_id[target];
	f->last_id[target] = id;
	if (!hvfuzz_active(f) || !(f->targets & (1U << target)) ||
	    !fuzz_kinds_for(f, target != HVFUZZ_TARGET_VMBUS))
		return false;
	if (++f->seen[target] % f->every)
		return false;
	f->stale_id = stale;
	return true;
}

/* Store @width bytes of @v little-endian at @off, if they fit. */
static bool fuzz_put(struct hvfuzz_input *in, struct hvfuzz_mutation *m,
		     uint32_t off, unsigned int width, uint64_t v)
{
	unsigned int i;

	if (width > in->len || off > in->len - width)
		return false;
	for (i = 0; i < width; i++)
		in->buf[off + i] = v >> (8 * i);
	m->offset = off;
	m->width = width;
	m->value = v;
	return true;
}

static void fuzz_bitflip(struct hvfuzz *f, struct hvfuzz_input *in,
			 struct hvfuzz_mutation *m)
{
	unsigned int n = 1 + fuzz_below(f, 4), i;
	uint32_t bit;

	if (!in->len)
		return;
	for (i = 0; i < n; i++) {
		bit = fuzz_below(f, in->len * 8);
		in->buf[bit / 8] ^= 1U << (bit % 8);
		m->offset = bit / 8;
		m->width = 1;
		m->value = bit;
	}
}

static uint32_t fuzz_edge(struct hvfuzz *f, const struct hvfuzz_input *in)
{
	uint32_t pick = fuzz_below(f, ARRAY_SIZE(fuzz_edges) + 5);

	switch ((int)pick - (int)ARRAY_SIZE(fuzz_edges)) {
	case 0:
		return in->len;
	case 1:
		return in->len - 1;
	case 2:
		return in->len + 1;
	case 3:
		return in->ring_size;
	case 4:
		return in->len / 8;
	default:
		return fuzz_edges[pick];
	}
}

/*
 * A packet: offset8 or len8 of the descriptor (a quarter of the time),
 * or an aligned 32-bit field after it (lengths, offsets and counts of
 * transfer ranges, VSTOR and NVSP); a message: any aligned field.
 */
static void fuzz_boundary(struct hvfuzz *f, struct hvfuzz_input *in,
			  struct hvfuzz_mutation *m)
{
	uint32_t v = fuzz_edge(f, in);
	uint32_t first = in->packet ? sizeof(struct vmbus_packet_desc) : 0;
	uint32_t fields;

	if (in->packet && (in->len < first + 4 || !fuzz_below(f, 4))) {
		fuzz_put(in, m, fuzz_below(f, 2) ? FUZZ_DESC_OFFSET8 :
			 FUZZ_DESC_LEN8, 2, v & 0xffff);
		return;
	}
	if (in->len < first + 4)
		return;
	fields = (in->len - first) / 4;
	fuzz_put(in, m, first + 4 * fuzz_below(f, fields), 4, v);
}

/* A packet keeps its descriptor and says its new length in len8. */
static void fuzz_truncate(struct hvfuzz *f, struct hvfuzz_input *in,
			  struct hvfuzz_mutation *m)
{
	uint32_t desc = sizeof(struct vmbus_packet_desc);
	uint32_t len;

	if (!in->packet) {
		if (in->len)
			in->len = fuzz_below(f, in->len);
		m->offset = in->len;
		return;
	}
	if (in->len <= desc)
		return;
	len = desc + VMBUS_PKT_ALIGN *
	      fuzz_below(f, (in->len - desc) / VMBUS_PKT_ALIGN);
	in->len = len;
	fuzz_put(in, m, FUZZ_DESC_LEN8, 2, len / 8);
	m->offset = len;
	m->width = 0;
}

static void fuzz_id(struct hvfuzz *f, struct hvfuzz_input *in,
		    struct hvfuzz_mutation *m)
{
	unsigned int width = in->packet ? 8 : 4;
	uint64_t v;

	if (m->kind == HVFUZZ_STALE_ID) {
		v = f->stale_id;
	} else {
		switch (fuzz_below(f, 3)) {
		case 0:
			v = f->last_id[fuzz_below(f, HVFUZZ_TARGETS)];
			break;
		case 1:
			v = fuzz_below(f, 4);
			break;
		default:
			v = hvfuzz_next(f);
			break;
		}
	}
	if (width == 4)
		v &= 0xffffffff;
	fuzz_put(in, m, in->id_off, width, v);
}

/* Values the server publishes itself (ring index, slot size). */
static void fuzz_value(struct hvfuzz *f, struct hvfuzz_input *in,
		       struct hvfuzz_mutation *m)
{
	uint32_t v;

	if (m->kind == HVFUZZ_RING_INDEX) {
		switch (fuzz_below(f, 4)) {
		case 0:
			v = in->ring_size + VMBUS_PKT_ALIGN *
			    fuzz_below(f, 4);
			break;
		case 1:
			v = fuzz_below(f, in->ring_size) | 1;
			break;
		case 2:
			v = VMBUS_PKT_ALIGN *
			    fuzz_below(f, in->ring_size / VMBUS_PKT_ALIGN);
			break;
		default:
			v = fuzz_edge(f, in);
			break;
		}
	} else {
		v = fuzz_below(f, 256);
	}
	m->value = v;
}

/* One of the strategies allowed for this input, evenly. */
static unsigned int fuzz_pick_kind(struct hvfuzz *f, bool packet)
{
	unsigned int pick = fuzz_below(f, fuzz_kinds_for(f, packet)), kind;

	for (kind = 0; kind < HVFUZZ_KINDS; kind++)
		if (fuzz_kind_ok(f, kind, packet) && !pick--)
			return kind;
	return HVFUZZ_DUPLICATE;	/* none allowed: hvfuzz_pick() said no */
}

/**
 * hvfuzz_mutate() - mutate one input hvfuzz_pick() chose
 * @f: the run
 * @target: what it is (HVFUZZ_TARGET_*)
 * @in: the input; its bytes and length change in place, within @in->len
 * @m: filled with what was done (also kept in @f's log)
 *
 * Kinds that change what is sent rather than its bytes (duplicate,
 * reorder, out-of-seq, ring-index, size-field) are left to the caller,
 * with the value to use in @m->value.
 */
void hvfuzz_mutate(struct hvfuzz *f, unsigned int target,
		   struct hvfuzz_input *in, struct hvfuzz_mutation *m)
{
	memset(m, 0, sizeof(*m));
	m->index = f->done;
	m->target = target;
	m->relid = in->relid;
	m->kind = fuzz_pick_kind(f, in->packet);
	if (in->len > in->cap)
		in->len = in->cap;
	switch (m->kind) {
	case HVFUZZ_BITFLIP:
		fuzz_bitflip(f, in, m);
		break;
	case HVFUZZ_BOUNDARY:
		fuzz_boundary(f, in, m);
		break;
	case HVFUZZ_TRUNCATE:
		fuzz_truncate(f, in, m);
		break;
	case HVFUZZ_STALE_ID:
	case HVFUZZ_FOREIGN_ID:
		fuzz_id(f, in, m);
		break;
	case HVFUZZ_RING_INDEX:
	case HVFUZZ_SIZE_FIELD:
		fuzz_value(f, in, m);
		break;
	default:
		break;
	}
	f->log[f->done % HVFUZZ_LOG_LEN] = *m;
	f->by_kind[m->kind]++;
	f->by_target[target]++;
	f->done++;
}

/* The logged mutation @index, if it is still in the log. */
const struct hvfuzz_mutation *hvfuzz_log_at(const struct hvfuzz *f,
					    uint64_t index)
{
	if (index >= f->done || f->done - index > HVFUZZ_LOG_LEN)
		return NULL;
	return &f->log[index % HVFUZZ_LOG_LEN];
}
