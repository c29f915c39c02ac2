// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the io_uring I/O engine (blockio.c) on a temporary file:
 * reads and writes through iovecs, transfers in pieces, the backlog,
 * hole punching, flushes and errors, and in-memory copies.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blockio.h"
#include "unit.h"

struct bio_env {
	struct blockio b;
	char path[32];
	int fd;
};

static unsigned int done_calls;

static void count_done(struct blockio_req *req)
{
	(void)req;
	done_calls++;
}

static int bio_env_init(struct bio_env *e, off_t size)
{
	snprintf(e->path, sizeof(e->path), "/tmp/hvhost-bio-XXXXXX");
	e->fd = mkstemp(e->path);
	done_calls = 0;
	if (e->fd < 0 || ftruncate(e->fd, size))
		return -1;
	return blockio_init(&e->b);
}

static void bio_env_destroy(struct bio_env *e)
{
	blockio_destroy(&e->b);
	close(e->fd);
	unlink(e->path);
}

static void drain(struct blockio *b)
{
	while (!blockio_idle(b))
		if (blockio_wait(b))
			return;
}

static void prep(struct blockio_req *req, enum blockio_op op, int fd,
		 uint64_t offset, struct iovec *iov, unsigned int n)
{
	memset(req, 0, sizeof(*req));
	req->op = op;
	req->fd = fd;
	req->offset = offset;
	req->iov = iov;
	req->iovcnt = n;
	req->done = count_done;
}

TEST(test_blockio_write_read, "blockio: write and read back through iovecs")
{
	static uint8_t a[3000], b[5192], back[8192];
	struct blockio_req w, r;
	struct iovec wv[2], rv[1];
	struct bio_env e;

	ASSERT_EQ(0, bio_env_init(&e, 1 << 20));
	memset(a, 0xa5, sizeof(a));
	memset(b, 0x5a, sizeof(b));
	wv[0] = (struct iovec){ a, sizeof(a) };
	wv[1] = (struct iovec){ b, sizeof(b) };
	prep(&w, BLOCKIO_WRITE, e.fd, 4096, wv, 2);
	blockio_submit(&e.b, &w);
	/* Nothing happens before the kick (the loop's, here drain's). */
	ASSERT_EQ(0, done_calls);
	drain(&e.b);
	CHECK(done_calls == 1 && w.result == 0 && w.moved == 8192);
	rv[0] = (struct iovec){ back, sizeof(back) };
	prep(&r, BLOCKIO_READ, e.fd, 4096, rv, 1);
	blockio_submit(&e.b, &r);
	drain(&e.b);
	CHECK(r.result == 0 && r.moved == 8192);
	CHECK(!memcmp(back, a, sizeof(a)));
	CHECK(!memcmp(back + sizeof(a), b, sizeof(b)));
	CHECK(e.b.stats.completed == 2 && e.b.stats.errors == 0);
	CHECK(e.b.stats.io_ns > 0);	/* summed from submit to completion */
	bio_env_destroy(&e);
}

/*
 * In memory: no SQE, done by the kick (never by the submit), a callback
 * that submits again is served in the same kick, and the end of the file
 * is an error as through io_uring.
 */
static struct blockio *chain_b;
static struct blockio_req *chain_next;

static void chain_done(struct blockio_req *req)
{
	done_calls++;
	if (req != chain_next && chain_next)
		blockio_submit(chain_b, chain_next);
}

TEST(test_blockio_in_memory, "blockio: in-memory reads and writes are copied by the kick")
{
	static uint8_t a[6000], back[6000], tail[4096];
	struct blockio_req w, r, eof;
	struct iovec wv[2], rv[1], ev[1];
	struct bio_env e;

	ASSERT_EQ(0, bio_env_init(&e, 1 << 20));
	memset(a, 0x3c, sizeof(a));
	wv[0] = (struct iovec){ a, 1000 };
	wv[1] = (struct iovec){ a + 1000, sizeof(a) - 1000 };
	prep(&w, BLOCKIO_WRITE, e.fd, 512, wv, 2);
	w.in_memory = true;
	w.done = chain_done;
	rv[0] = (struct iovec){ back, sizeof(back) };
	prep(&r, BLOCKIO_READ, e.fd, 512, rv, 1);
	r.in_memory = true;
	r.done = chain_done;
	chain_b = &e.b;
	chain_next = &r;
	blockio_submit(&e.b, &w);
	CHECK(!done_calls && !blockio_idle(&e.b));
	blockio_kick(&e.b);
	/* The write's callback submitted the read: both done in the kick. */
	ASSERT_EQ(2, done_calls);
	CHECK(w.result == 0 && w.moved == sizeof(a));
	CHECK(r.result == 0 && r.moved == sizeof(back));
	CHECK(!memcmp(back, a, sizeof(a)));
	CHECK(blockio_idle(&e.b));
	CHECK(e.b.stats.copied == 2 && e.b.stats.submitted == 0);
	/* Past the end of the file: -EIO, the bytes before it moved. */
	ev[0] = (struct iovec){ tail, sizeof(tail) };
	prep(&eof, BLOCKIO_READ, e.fd, (1 << 20) - 1024, ev, 1);
	eof.in_memory = true;
	chain_next = NULL;
	blockio_submit(&e.b, &eof);
	blockio_kick(&e.b);
	CHECK(eof.result == -EIO && eof.moved == 1024);
	CHECK(e.b.stats.errors == 1 && e.b.stats.copied == 2);
	bio_env_destroy(&e);
}

/* More iovecs than one SQE carries: one request, several pieces. */
TEST(test_blockio_many_iovecs, "blockio: more iovecs than one SQE, in pieces")
{
	enum { N = BLOCKIO_MAX_IOV + 476, SZ = 512 };
	struct iovec *iov = calloc(N, sizeof(*iov));
	uint8_t *buf = malloc(N * SZ), *back = malloc(N * SZ);
	struct blockio_req w, r;
	struct bio_env e;
	unsigned int i;

	CHECK(iov && buf && back);
	ASSERT_EQ(0, bio_env_init(&e, N * SZ));
	for (i = 0; i < N * SZ; i++)
		buf[i] = i * 7 + i / 4096;
	for (i = 0; i < N; i++)
		iov[i] = (struct iovec){ buf + i * SZ, SZ };
	prep(&w, BLOCKIO_WRITE, e.fd, 0, iov, N);
	blockio_submit(&e.b, &w);
	drain(&e.b);
	CHECK(done_calls == 1 && w.result == 0 && w.moved == N * SZ);
	CHECK(e.b.stats.pieces >= 1);
	ASSERT_EQ(N * SZ, pread(e.fd, back, N * SZ, 0));
	CHECK(!memcmp(back, buf, N * SZ));
	memset(back, 0, N * SZ);
	for (i = 0; i < N; i++)
		iov[i] = (struct iovec){ back + i * SZ, SZ };
	prep(&r, BLOCKIO_READ, e.fd, 0, iov, N);
	blockio_submit(&e.b, &r);
	drain(&e.b);
	CHECK(r.result == 0 && r.moved == N * SZ);
	CHECK(!memcmp(back, buf, N * SZ));
	bio_env_destroy(&e);
	free(iov);
	free(buf);
	free(back);
}

/* More requests than the ring holds wait, in order, and all finish. */
TEST(test_blockio_backlog,
     "blockio: requests beyond the ring depth wait and finish")
{
	enum { N = BLOCKIO_DEPTH + 60 };
	struct blockio_req *reqs = calloc(N, sizeof(*reqs));
	struct iovec *iov = calloc(N, sizeof(*iov));
	uint32_t *vals = calloc(N, sizeof(*vals)), v;
	struct bio_env e;
	unsigned int i;

	CHECK(reqs && iov && vals);
	ASSERT_EQ(0, bio_env_init(&e, N * 4));
	for (i = 0; i < N; i++) {
		vals[i] = 0x1000 + i;
		iov[i] = (struct iovec){ &vals[i], 4 };
		prep(&reqs[i], BLOCKIO_WRITE, e.fd, i * 4, &iov[i], 1);
		blockio_submit(&e.b, &reqs[i]);
	}
	CHECK(e.b.inflight == BLOCKIO_DEPTH && e.b.backlog.head);
	drain(&e.b);
	CHECK(done_calls == N && e.b.stats.backlogged == 60);
	for (i = 0; i < N; i++)
		CHECK(pread(e.fd, &v, 4, i * 4) == 4 && v == 0x1000 + i);
	bio_env_destroy(&e);
	free(reqs);
	free(iov);
	free(vals);
}

TEST(test_blockio_punch_flush, "blockio: hole punch keeps the size; flush")
{
	static uint8_t data[65536], back[65536], zero[32768];
	struct blockio_req p, f;
	struct bio_env e;

	ASSERT_EQ(0, bio_env_init(&e, 1 << 20));
	memset(data, 0x77, sizeof(data));
	ASSERT_EQ(sizeof(data), pwrite(e.fd, data, sizeof(data), 0));
	prep(&p, BLOCKIO_PUNCH, e.fd, 16384, NULL, 0);
	p.len = 32768;
	blockio_submit(&e.b, &p);
	prep(&f, BLOCKIO_FLUSH, e.fd, 0, NULL, 0);
	blockio_submit(&e.b, &f);
	drain(&e.b);
	ASSERT_EQ(0, f.result);
	/* Some file systems cannot punch holes; then there is no more. */
	CHECK(p.result == 0 || p.result == -EOPNOTSUPP);
	if (p.result) {
		bio_env_destroy(&e);
		return;
	}
	ASSERT_EQ(sizeof(back), pread(e.fd, back, sizeof(back), 0));
	CHECK(!memcmp(back, data, 16384));
	CHECK(!memcmp(back + 16384, zero, 32768));
	CHECK(!memcmp(back + 49152, data, 16384));
	CHECK(lseek(e.fd, 0, SEEK_END) == 1 << 20);	/* size kept */
	bio_env_destroy(&e);
}

TEST(test_blockio_errors, "blockio: short read at EOF and a bad fd fail")
{
	static uint8_t buf[8192];
	struct blockio_req r, bad;
	struct iovec iov = { buf, sizeof(buf) }, iov2 = iov;
	struct bio_env e;

	ASSERT_EQ(0, bio_env_init(&e, 4096));
	/* Past the end of the file: short, then nothing: EIO. */
	prep(&r, BLOCKIO_READ, e.fd, 0, &iov, 1);
	blockio_submit(&e.b, &r);
	prep(&bad, BLOCKIO_READ, -1, 0, &iov2, 1);
	blockio_submit(&e.b, &bad);
	drain(&e.b);
	CHECK(r.result == -EIO && r.moved == 4096);
	ASSERT_EQ(-EBADF, bad.result);
	CHECK(e.b.stats.errors == 2 && done_calls == 2);
	ASSERT_EQ(-ENOENT, blockio_wait(&e.b));
	bio_env_destroy(&e);
}
