// SPDX-License-Identifier: GPL-2.0
/*
 * Asynchronous file I/O on io_uring. See blockio.h.
 *
 * At most BLOCKIO_DEPTH SQEs are in the kernel, so the completion queue
 * (twice as deep) never overflows; requests beyond that wait in a FIFO
 * backlog. A read or write that moved less than asked for, or that has
 * more iovecs than one SQE takes, continues where it stopped until it is
 * complete or fails: its caller sees one completion for the whole.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "blockio.h"
#include "log.h"

int blockio_init(struct blockio *b)
{
	int ret;

	memset(b, 0, sizeof(*b));
	b->efd = -1;
	b->backlog.tail = &b->backlog.head;
	b->copies.tail = &b->copies.head;
	ret = io_uring_queue_init(BLOCKIO_DEPTH, &b->ring, 0);
	if (ret < 0) {
		hv_err("io_uring: %s", strerror(-ret));
		return -1;
	}
	b->ready = true;
	b->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (b->efd < 0) {
		hv_err("eventfd: %s", strerror(errno));
		blockio_destroy(b);
		return -1;
	}
	ret = io_uring_register_eventfd(&b->ring, b->efd);
	if (ret < 0) {
		hv_err("io_uring eventfd: %s", strerror(-ret));
		blockio_destroy(b);
		return -1;
	}
	return 0;
}

/* Shutdown: let what is in flight finish (callbacks run), then close. */
void blockio_destroy(struct blockio *b)
{
	if (b->ready) {
		while (!blockio_idle(b))
			if (blockio_wait(b))
				break;
		io_uring_queue_exit(&b->ring);
		b->ready = false;
	}
	if (b->efd >= 0)
		close(b->efd);
	b->efd = -1;
}

int blockio_fd(const struct blockio *b)
{
	return b->efd;
}

static unsigned int blockio_piece_iovs(const struct blockio_req *req)
{
	return req->iovcnt < BLOCKIO_MAX_IOV ? req->iovcnt : BLOCKIO_MAX_IOV;
}

/* Put @req (or its next piece) in an SQE; false if the SQ is full. */
static bool blockio_prep(struct blockio *b, struct blockio_req *req)
{
	uint64_t pos = req->offset + req->moved;
	struct io_uring_sqe *sqe;

	if (b->inflight >= BLOCKIO_DEPTH)
		return false;
	sqe = io_uring_get_sqe(&b->ring);
	if (!sqe)
		return false;
	switch (req->op) {
	case BLOCKIO_READ:
		io_uring_prep_readv(sqe, req->fd, req->iov,
				    blockio_piece_iovs(req), pos);
		break;
	case BLOCKIO_WRITE:
		io_uring_prep_writev(sqe, req->fd, req->iov,
				     blockio_piece_iovs(req), pos);
		break;
	case BLOCKIO_FLUSH:
		io_uring_prep_fsync(sqe, req->fd, IORING_FSYNC_DATASYNC);
		break;
	case BLOCKIO_PUNCH:
		io_uring_prep_fallocate(sqe, req->fd,
					FALLOC_FL_PUNCH_HOLE |
					FALLOC_FL_KEEP_SIZE,
					(off_t)req->offset, (off_t)req->len);
		break;
	}
	io_uring_sqe_set_data(sqe, req);
	b->inflight++;
	b->unsubmitted++;
	b->stats.submitted++;
	return true;
}

static void blockio_queue_add(struct blockio_queue *q,
			      struct blockio_req *req)
{
	req->next = NULL;
	*q->tail = req;
	q->tail = &req->next;
}

/* Take the oldest request off @q, which is not empty. */
static struct blockio_req *blockio_queue_take(struct blockio_queue *q)
{
	struct blockio_req *req = q->head;

	q->head = req->next;
	if (!q->head)
		q->tail = &q->head;
	return req;
}

static void blockio_backlog_add(struct blockio *b, struct blockio_req *req)
{
	blockio_queue_add(&b->backlog, req);
	b->stats.backlogged++;
}

/* Move waiting requests into free slots, oldest first. */
static void blockio_refill(struct blockio *b)
{
	while (b->backlog.head && blockio_prep(b, b->backlog.head))
		blockio_queue_take(&b->backlog);
}

/**
 * blockio_submit() - start a request
 * @b: the I/O engine
 * @req: the request, filled in; it belongs to blockio until @req->done
 *
 * The kernel sees it at the next blockio_kick(), which does an in-memory
 * read or write itself. Never fails: a request the SQ has no room for
 * waits for one.
 */
void blockio_submit(struct blockio *b, struct blockio_req *req)
{
	bool rw = req->op == BLOCKIO_READ || req->op == BLOCKIO_WRITE;

	req->result = 0;
	req->moved = 0;
	req->start_ns = hv_now_ns();
	if (rw) {
		/* Nothing to move: done, but still from blockio_reap(). */
		while (req->iovcnt && !req->iov->iov_len) {
			req->iov++;
			req->iovcnt--;
		}
	}
	if (rw && req->in_memory) {
		blockio_queue_add(&b->copies, req);
		return;
	}
	if (b->backlog.head || !blockio_prep(b, req))
		blockio_backlog_add(b, req);
}

/* Skip the @n bytes a read or write moved. */
static void blockio_advance(struct blockio_req *req, uint64_t n)
{
	while (req->iovcnt && n >= req->iov->iov_len) {
		n -= req->iov->iov_len;
		req->iov++;
		req->iovcnt--;
	}
	if (req->iovcnt) {
		req->iov->iov_base = (uint8_t *)req->iov->iov_base + n;
		req->iov->iov_len -= n;
	}
}

static void blockio_done(struct blockio *b, struct blockio_req *req,
			 int result)
{
	req->result = result;
	b->stats.completed++;
	b->stats.io_ns += hv_now_ns() - req->start_ns;
	if (result)
		b->stats.errors++;
	req->done(req);
}

/*
 * A read or write of a file on tmpfs, here and now: a memory copy, which
 * would cost a trip through one of io_uring's worker threads on kernels
 * whose tmpfs cannot do non-blocking I/O.
 */
static void blockio_copy(struct blockio *b, struct blockio_req *req)
{
	uint64_t pos;
	ssize_t n;

	while (req->iovcnt) {
		pos = req->offset + req->moved;
		if (req->op == BLOCKIO_READ)
			n = preadv(req->fd, req->iov, blockio_piece_iovs(req),
				   (off_t)pos);
		else
			n = pwritev(req->fd, req->iov, blockio_piece_iovs(req),
				    (off_t)pos);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			blockio_done(b, req, -errno);
			return;
		}
		if (!n) {
			/* End of file, as blockio_complete() sees it. */
			blockio_done(b, req, -EIO);
			return;
		}
		req->moved += n;
		blockio_advance(req, n);
	}
	b->stats.copied++;
	blockio_done(b, req, 0);
}

/* The in-memory requests; their callbacks may queue more. */
static void blockio_copy_all(struct blockio *b)
{
	while (b->copies.head)
		blockio_copy(b, blockio_queue_take(&b->copies));
}

/* Do the in-memory requests, and hand the prepared SQEs to the kernel. */
void blockio_kick(struct blockio *b)
{
	int ret;

	blockio_copy_all(b);
	if (!b->unsubmitted)
		return;
	ret = io_uring_submit(&b->ring);
	if (ret < 0) {
		/* They stay in the SQ; the next kick tries again. */
		hv_warn_rl("io_uring submit: %s", strerror(-ret));
		return;
	}
	b->unsubmitted = (unsigned int)ret >= b->unsubmitted ? 0 :
			 b->unsubmitted - ret;
}

/* One CQE: a request (or piece of one) finished with @res. */
static void blockio_complete(struct blockio *b, struct blockio_req *req,
			     int res)
{
	bool rw = req->op == BLOCKIO_READ || req->op == BLOCKIO_WRITE;

	if (res < 0) {
		blockio_done(b, req, res);
		return;
	}
	if (!rw) {
		blockio_done(b, req, 0);
		return;
	}
	if (!res && req->iovcnt) {
		/* End of file, or a write that made no progress. */
		blockio_done(b, req, -EIO);
		return;
	}
	req->moved += res;
	blockio_advance(req, res);
	if (!req->iovcnt) {
		blockio_done(b, req, 0);
		return;
	}
	b->stats.pieces++;
	if (!blockio_prep(b, req))
		blockio_backlog_add(b, req);
}

/**
 * blockio_reap() - finish what the kernel completed
 * @b: the I/O engine
 *
 * Called when blockio_fd() is readable. Completion callbacks run here and
 * may submit more; everything prepared is then handed to the kernel.
 */
void blockio_reap(struct blockio *b)
{
	struct io_uring_cqe *cqe;
	struct blockio_req *req;
	uint64_t events;
	int res;

	if (read(b->efd, &events, sizeof(events)) < 0 && errno != EAGAIN)
		hv_warn_rl("io_uring eventfd: %s", strerror(errno));
	while (io_uring_peek_cqe(&b->ring, &cqe) == 0) {
		req = io_uring_cqe_get_data(cqe);
		res = cqe->res;
		io_uring_cqe_seen(&b->ring, cqe);
		b->inflight--;
		blockio_complete(b, req, res);
	}
	blockio_refill(b);
	blockio_kick(b);
}

/**
 * blockio_wait() - block until something completes, and reap it
 * @b: the I/O engine
 *
 * For shutdown and the unit tests only: the event loop never waits.
 *
 * Return: 0, -ENOENT when nothing is in flight, or io_uring's error.
 */
int blockio_wait(struct blockio *b)
{
	struct io_uring_cqe *cqe;
	int ret;

	blockio_refill(b);
	blockio_kick(b);
	if (!b->inflight)
		return -ENOENT;
	do {
		ret = io_uring_wait_cqe(&b->ring, &cqe);
	} while (ret == -EINTR);
	if (ret)
		return ret;
	blockio_reap(b);
	return 0;
}
