/* SPDX-License-Identifier: GPL-2.0 */
/*
 * In-process unit tests of hvhost: a tiny test runner and a fake guest.
 *
 * The fake guest is a RAM buffer plus a BAR2 buffer wired to the real
 * SynIC and VMBus server code; its helpers play the guest's part of the
 * protocols (post a message, read the SynIC slot, write a ring) so that
 * every test runs the host code exactly as QEMU would drive it.
 */
#ifndef _HV_UNIT_H
#define _HV_UNIT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "hvhost.h"

/*
 * The test runner (runner.c). Every test is registered where it is
 * defined, by TEST() or TEST_F(), in the "unit_tests" linker section;
 * the runner finds them all there and runs each in a child process of
 * its own, with a timeout, so that a crash or a hang fails that test by
 * name and the others still run.
 */
struct unit_fixture {
	size_t size;
	void (*setup)(void *ctx);
	void (*teardown)(void *ctx);
};

struct unit_test {
	const char *name;
	void (*fn)(void *ctx);
	const struct unit_fixture *fixture;
	const char *file;
	int line;
};

void unit_fail(const char *file, int line, const char *what);
void unit_fail_eq(const char *file, int line, const char *expected_expr,
		  const char *actual_expr, long long expected,
		  long long actual);
bool unit_failed(void);

#define UNIT_REGISTER(fn_, name_, fix)					\
	static const struct unit_test unit_test_##fn_			\
	__attribute__((used, section("unit_tests"),			\
		       aligned(__alignof__(struct unit_test)))) = {	\
		.name = name_, .fn = fn_##_ctx, .fixture = fix,		\
		.file = __FILE__, .line = __LINE__,			\
	}

/* TEST(fn, "suite: what it shows") { body }: a test without a fixture. */
#define TEST(fn, name_)							\
	static void fn(void);						\
	static void fn##_ctx(void *ctx) { (void)ctx; fn(); }		\
	UNIT_REGISTER(fn, name_, NULL);					\
	static void fn(void)

/*
 * UNIT_FIXTURE(fix, type, setup, teardown) declares a fixture: each test
 * gets a zeroed @type, @setup(ctx) runs before it and @teardown(ctx)
 * after it, even when a CHECK failed. TEST_F(fix, fn, "name") { body }
 * is a test that uses it through its argument `f`.
 */
#define UNIT_FIXTURE(fix, type, setup_, teardown_)			\
	typedef type fix##_fixture_t;					\
	static const struct unit_fixture fix##_fixture = {		\
		.size = sizeof(type), .setup = setup_,			\
		.teardown = teardown_,					\
	}

#define TEST_F(fix, fn, name_)						\
	static void fn(fix##_fixture_t *f);				\
	static void fn##_ctx(void *ctx) { fn(ctx); }			\
	UNIT_REGISTER(fn, name_, &fix##_fixture);			\
	static void fn(fix##_fixture_t *f)

#define CHECK(cond)							\
	do {								\
		if (!(cond)) {						\
			unit_fail(__FILE__, __LINE__, #cond);		\
			return;						\
		}							\
	} while (0)

/*
 * ASSERT_EQ(expected, actual): each evaluated once; a failure prints
 * both values (as integers, also in hex) with file:line.
 */
#define ASSERT_EQ(expected, actual)					\
	do {								\
		_Pragma("GCC diagnostic push")				\
		_Pragma("GCC diagnostic ignored \"-Wsign-compare\"")	\
		__auto_type unit_e = (expected);			\
		__auto_type unit_a = (actual);				\
		if (!(unit_e == unit_a)) {				\
			unit_fail_eq(__FILE__, __LINE__, #expected,	\
				     #actual, (long long)unit_e,	\
				     (long long)unit_a);		\
			return;						\
		}							\
		_Pragma("GCC diagnostic pop")				\
	} while (0)

/* The fake guest. */
#define FAKE_RAM_SIZE		(32U << 20)
#define FAKE_FIRST_PAGE		(2U << 20)	/* above the legacy hole */

struct fake_guest {
	struct hvhost h;
	struct storvsp *stor;	/* the SCSI class's instance */
	struct blockio *bio;
	uint8_t *ram;
	uint8_t *bar2;
	uint64_t next_gpa;
	uint64_t simp;		/* SynIC pages of VP 0 */
	uint64_t siefp;
	uint64_t monitor[2];	/* monitor pages 1 and 2 */
	unsigned int irqs[HVEMU_MAX_VECTORS];
	unsigned int nr_irqs;
	uint32_t post_seq;
};

/* A guest's view of one ring, contiguous in fake RAM. */
struct gring {
	struct vmbus_ring_control *ctl;
	uint8_t *data;
	uint32_t size;
};

/* A channel the fake guest opened. */
struct fake_channel {
	uint32_t relid;
	uint32_t conn_id;
	uint8_t monitor_id;
	uint32_t gpadl;
	struct gring out;	/* guest -> host */
	struct gring in;	/* host -> guest */
};

void fake_init(struct fake_guest *fg);
void fake_destroy(struct fake_guest *fg);
void fake_setup(void *ctx);
void fake_teardown(void *ctx);
/* TEST_F(fake, ...): a fresh fake guest `f`, destroyed after the test. */
UNIT_FIXTURE(fake, struct fake_guest, fake_setup, fake_teardown);
uint64_t fake_alloc(struct fake_guest *fg, unsigned int pages);
void *fake_ptr(struct fake_guest *fg, uint64_t gpa);
const char *fake_ctl(struct fake_guest *fg, const char *cmd,
		     struct hv_buf *out);
struct hvemu_vp *fake_vp(struct fake_guest *fg, unsigned int vp);
void fake_enable_synic(struct fake_guest *fg, unsigned int vp);
uint32_t fake_post(struct fake_guest *fg, uint32_t conn_id, const void *msg,
		   uint32_t len);
int fake_recv(struct fake_guest *fg, void *msg, uint32_t cap);
int fake_recv_type(struct fake_guest *fg, uint32_t type, void *msg,
		   uint32_t cap);
int fake_connect(struct fake_guest *fg, uint32_t version, bool monitor);
int fake_request_offers(struct fake_guest *fg, struct vmbus_msg_offer *offers,
			int max);
int fake_create_gpadl(struct fake_guest *fg, uint32_t relid, uint32_t handle,
		      uint64_t gpa, uint32_t pages);
int fake_open(struct fake_guest *fg, const struct vmbus_msg_offer *offer,
	      struct fake_channel *fc, uint32_t out_pages, uint32_t in_pages);
void fake_signal(struct fake_guest *fg, const struct fake_channel *fc);
struct hv_channel *fake_host_channel(struct fake_guest *fg, uint32_t relid);

/*
 * What follows the descriptor of a GPA-direct packet with two ranges: the
 * first of up to two pages, the second of one.
 */
struct gpa_ext2 {
	uint32_t reserved;
	uint32_t range_cnt;
	uint32_t r1_count, r1_offset;
	uint64_t r1_pfn[2];
	uint32_t r2_count, r2_offset;
	uint64_t r2_pfn[1];
} __packed;

void gring_init(struct gring *r, void *base, uint32_t pages);
int gring_write(struct gring *r, uint16_t type, uint16_t flags,
		uint64_t trans_id, const void *ext, uint32_t ext_len,
		const void *payload, uint32_t len, bool *signal);
int gring_read(struct gring *r, void *buf, uint32_t cap);
uint32_t gring_used(const struct gring *r);

#endif /* _HV_UNIT_H */
