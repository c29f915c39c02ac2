/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The hostile-host fuzzer's engine: a seeded generator that decides which
 * of the host's sends to mutate and how, and applies the byte-level part
 * of a mutation to a copy of the message or packet. It only ever writes
 * inside the buffer it is given; the VMBus server (vmbus_fuzz.c) sends
 * the result through its normal, bounds-checked paths.
 * See Documentation/hv/hvhost.rst, "Fuzzing the guest".
 */
#ifndef _HVHOST_FUZZ_H
#define _HVHOST_FUZZ_H

#include <stdbool.h>
#include <stdint.h>

/* What a mutation does. */
enum hvfuzz_kind {
	HVFUZZ_BITFLIP,		/* 1..4 random bits flipped */
	HVFUZZ_BOUNDARY,	/* a length/offset/count field: edge value */
	HVFUZZ_TRUNCATE,	/* sent shorter than built */
	HVFUZZ_DUPLICATE,	/* sent twice */
	HVFUZZ_REORDER,		/* held back to the end of the loop round */
	HVFUZZ_STALE_ID,	/* id of an earlier send of the same target */
	HVFUZZ_FOREIGN_ID,	/* id of another target, or a random one */
	HVFUZZ_OUT_OF_SEQ,	/* an earlier send replayed before this one */
	HVFUZZ_RING_INDEX,	/* packets: a bogus write index published */
	HVFUZZ_SIZE_FIELD,	/* messages: the slot's payload size lies */
	HVFUZZ_KINDS,
};

/* What is mutated: channel messages, or the packets of a device class. */
#define HVFUZZ_TARGET_VMBUS	0
#define HVFUZZ_TARGETS		9	/* vmbus + HV_DEVICE_CLASSES_MAX */
#define HVFUZZ_TARGET_ALL	((1U << HVFUZZ_TARGETS) - 1)
#define HVFUZZ_KINDS_ALL	((1U << HVFUZZ_KINDS) - 1)

/* Mutations the control socket can list after the fact. */
#define HVFUZZ_LOG_LEN		64
/* Largest input copied for mutation; longer ones go out unchanged. */
#define HVFUZZ_MAX_INPUT	(64 * 1024)

/**
 * struct hvfuzz_input - one send, as the engine sees it
 * @buf: a private copy of the message or packet, @cap bytes of room
 * @len: its bytes; a mutation may shrink it (never grow it)
 * @cap: room at @buf
 * @packet: a ring packet (descriptor first) rather than a channel message
 * @id_off: offset of the id field the id mutations replace (the packet's
 *	trans_id, a message's relid), 8 bytes for a packet, 4 for a message
 * @id: the value of that field before mutation
 * @ring_size: packets: data bytes of the ring, an edge value for indices
 * @relid: packets: the channel (for the log)
 */
struct hvfuzz_input {
	uint8_t *buf;
	uint32_t len;
	uint32_t cap;
	bool packet;
	uint32_t id_off;
	uint64_t id;
	uint32_t ring_size;
	uint32_t relid;
};

/**
 * struct hvfuzz_mutation - what was done to one input, for the log
 * @index: 0 for the first mutation after `fuzz SEED ...`
 * @target: HVFUZZ_TARGET_VMBUS or 1 + the device class id
 * @relid: packets: the channel; messages: 0
 * @kind: enum hvfuzz_kind
 * @offset: first byte changed (bit flips: of the last bit), or the new
 *	length (truncate), or 0
 * @width: bytes changed at @offset (0 when no byte changed)
 * @value: the value written (boundary, ids, index, size), or the bit
 *	flipped
 */
struct hvfuzz_mutation {
	uint64_t index;
	uint8_t target;
	uint32_t relid;
	uint8_t kind;
	uint32_t offset;
	uint8_t width;
	uint64_t value;
};

/**
 * struct hvfuzz - one fuzz run
 * @seed: what `fuzz SEED` started it with
 * @state: the generator (splitmix64)
 * @targets: bit mask of HVFUZZ_TARGET_* being mutated
 * @every: mutate every @every-th send of a target (1: all of them)
 * @kinds: bit mask of the enum hvfuzz_kind strategies drawn from
 * @count: mutations asked for
 * @done: mutations made
 * @seen: sends of each target since the start
 * @last_id: id of the last send of each target (stale/foreign ids)
 * @stale_id: for the input being mutated, the id of the send before it
 * @by_kind: mutations of each kind
 * @by_target: mutations of each target
 * @skipped: sends picked but too large to copy
 * @log: the last HVFUZZ_LOG_LEN mutations, @log[@done % HVFUZZ_LOG_LEN]
 *	next
 */
struct hvfuzz {
	uint64_t seed;
	uint64_t state;
	uint32_t targets;
	uint32_t every;
	uint32_t kinds;
	uint64_t count;
	uint64_t done;
	uint64_t seen[HVFUZZ_TARGETS];
	uint64_t last_id[HVFUZZ_TARGETS];
	uint64_t stale_id;
	uint64_t by_kind[HVFUZZ_KINDS];
	uint64_t by_target[HVFUZZ_TARGETS];
	uint64_t skipped;
	struct hvfuzz_mutation log[HVFUZZ_LOG_LEN];
};

void hvfuzz_start(struct hvfuzz *f, uint64_t seed, uint64_t count,
		  uint32_t targets, uint32_t every, uint32_t kinds);
uint64_t hvfuzz_next(struct hvfuzz *f);
bool hvfuzz_active(const struct hvfuzz *f);
bool hvfuzz_pick(struct hvfuzz *f, unsigned int target, uint64_t id);
void hvfuzz_mutate(struct hvfuzz *f, unsigned int target,
		   struct hvfuzz_input *in, struct hvfuzz_mutation *m);
const char *hvfuzz_kind_name(unsigned int kind);
int hvfuzz_kind_parse(const char *name);
const struct hvfuzz_mutation *hvfuzz_log_at(const struct hvfuzz *f,
					    uint64_t index);

#endif /* _HVHOST_FUZZ_H */
