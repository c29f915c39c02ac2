/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Asynchronous file I/O for the disk devices, on io_uring. A request is
 * read, write, flush or hole punch on one file; its data moves straight
 * between the file and the memory its iovecs name (guest RAM for the
 * storage devices). The event loop watches blockio_fd() and calls
 * blockio_reap(); it never waits on the disk. Reads and writes of files
 * in memory (tmpfs) are copied by blockio_kick() at the end of the round.
 */
#ifndef _HVHOST_BLOCKIO_H
#define _HVHOST_BLOCKIO_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include <liburing.h>

/* Requests in the kernel at once; more wait in a backlog. */
#define BLOCKIO_DEPTH		256
/* iovecs one read or write SQE carries; longer lists go in pieces. */
#define BLOCKIO_MAX_IOV		1024

enum blockio_op {
	BLOCKIO_READ,
	BLOCKIO_WRITE,
	BLOCKIO_FLUSH,		/* fdatasync */
	BLOCKIO_PUNCH,		/* deallocate, keeping the size */
};

struct blockio_req;
typedef void (*blockio_done_fn)(struct blockio_req *req);

/**
 * struct blockio_req - one file operation
 * @op: what to do
 * @fd: the file
 * @offset: where, in bytes
 * @len: bytes to punch (BLOCKIO_PUNCH only)
 * @iov: the memory of a read or write; blockio advances it in place as
 *	pieces complete, so it must stay writable until completion
 * @iovcnt: entries of @iov
 * @in_memory: @fd is a file whose I/O never waits (tmpfs): a read or
 *	write is done by the next blockio_kick() itself, with no io_uring
 *	round trip (Documentation/hv/hvhost.rst, "The I/O path")
 * @done: called from blockio_reap() or blockio_kick() once the request
 *	finished, never from blockio_submit()
 * @result: on completion: 0, or a negative errno
 * @moved: on completion: bytes read or written
 * @start_ns: when it was submitted (stats.io_ns)
 * @next: backlog or in-memory queue link (blockio's)
 */
struct blockio_req {
	enum blockio_op op;
	int fd;
	uint64_t offset;
	uint64_t len;
	struct iovec *iov;
	unsigned int iovcnt;
	bool in_memory;
	blockio_done_fn done;
	int result;
	uint64_t moved;
	uint64_t start_ns;
	struct blockio_req *next;
};

struct blockio_stats {
	uint64_t submitted;	/* SQEs given to the kernel */
	uint64_t completed;	/* requests finished */
	uint64_t pieces;	/* extra SQEs for short or long transfers */
	uint64_t errors;	/* requests finished with an error */
	uint64_t backlogged;	/* requests that waited for a free slot */
	uint64_t copied;	/* in-memory reads and writes done inline */
	uint64_t io_ns;		/* summed from submit to completion */
};

/* Requests waiting in blockio, oldest first (linked by ->next). */
struct blockio_queue {
	struct blockio_req *head;
	struct blockio_req **tail;
};

/**
 * struct blockio - the io_uring instance of the process
 * @ring: the io_uring
 * @efd: eventfd the kernel signals on each completion
 * @ready: @ring is set up
 * @inflight: SQEs the kernel owns (or that wait for blockio_kick())
 * @unsubmitted: SQEs prepared since the last io_uring_submit()
 * @backlog: requests waiting for room in the SQ
 * @copies: in-memory reads and writes for the next blockio_kick()
 * @stats: counters
 */
struct blockio {
	struct io_uring ring;
	int efd;
	bool ready;
	unsigned int inflight;
	unsigned int unsubmitted;
	struct blockio_queue backlog;
	struct blockio_queue copies;
	struct blockio_stats stats;
};

int blockio_init(struct blockio *b);
void blockio_destroy(struct blockio *b);
int blockio_fd(const struct blockio *b);
void blockio_submit(struct blockio *b, struct blockio_req *req);
void blockio_kick(struct blockio *b);
void blockio_reap(struct blockio *b);
int blockio_wait(struct blockio *b);

static inline bool blockio_idle(const struct blockio *b)
{
	return !b->inflight && !b->backlog.head && !b->copies.head;
}

#endif /* _HVHOST_BLOCKIO_H */
