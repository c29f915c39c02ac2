// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of hvhost's SCSI disk target: CDB decoding, replies, sense
 * data and the medium access it hands back, on a temporary image file.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scsi_disk.h"

static int failures;

#define EXPECT(name, cond)						\
	do {								\
		if (cond)						\
			printf("PASS: scsi_disk: %s\n", name);		\
		else {							\
			printf("FAIL: scsi_disk: %s: %s (line %d)\n",	\
			       name, #cond, __LINE__);			\
			failures++;					\
		}							\
	} while (0)

static uint8_t buf[8192];

static void run(struct scsi_disk *d, struct scsi_cmd *c, const uint8_t *cdb,
		unsigned int len, uint32_t buf_len)
{
	memset(c, 0, sizeof(*c));
	c->cdb = cdb;
	c->cdb_len = len;
	c->buf = buf;
	c->buf_len = buf_len;
	scsi_disk_execute(d, c);
}

static int sense_is(struct scsi_cmd *c, uint8_t key, uint8_t asc)
{
	return c->status == SCSI_STATUS_CHECK_CONDITION &&
	       c->sense[0] == 0x70 && c->sense[2] == key && c->sense[12] == asc;
}

static char *make_image(long long size)
{
	static char path[32];
	int fd;

	strcpy(path, "/tmp/hvhost-scsi-XXXXXX");
	fd = mkstemp(path);

	if (fd < 0 || ftruncate(fd, size))
		exit(2);
	close(fd);
	return strdup(path);
}

static void test_open(void)
{
	struct scsi_disk d;
	char *odd = make_image(1000);

	EXPECT("odd-sized image refused", scsi_disk_open(&d, odd, false, 0) < 0);
	unlink(odd);
	free(odd);
	EXPECT("missing image refused",
	       scsi_disk_open(&d, "/nonexistent/img", false, 0) < 0);
}

static void test_inquiry(struct scsi_disk *d)
{
	static const uint8_t std[6] = { 0x12, 0, 0, 0, 96, 0 };
	static const uint8_t vpd0[6] = { 0x12, 1, 0x00, 0, 64, 0 };
	static const uint8_t vpd_bad[6] = { 0x12, 1, 0x42, 0, 64, 0 };
	static const uint8_t short_alloc[6] = { 0x12, 0, 0, 0, 5, 0 };
	struct scsi_cmd c;

	run(d, &c, std, 6, sizeof(buf));
	EXPECT("INQUIRY standard", c.status == 0 && c.data_len == 36 &&
	       buf[0] == 0 && !memcmp(buf + 8, "Msft", 4));
	run(d, &c, short_alloc, 6, sizeof(buf));
	EXPECT("INQUIRY cut to allocation length", c.data_len == 5);
	run(d, &c, vpd0, 6, sizeof(buf));
	EXPECT("INQUIRY VPD 0x00 lists 6 pages", c.status == 0 &&
	       buf[3] == 6 && buf[4] == 0x00 && buf[9] == 0xb2);
	run(d, &c, vpd_bad, 6, sizeof(buf));
	EXPECT("INQUIRY unknown VPD page: invalid field",
	       sense_is(&c, SCSI_SENSE_ILLEGAL_REQUEST, 0x24));
}

static void test_capacity(struct scsi_disk *d)
{
	static const uint8_t rc10[10] = { 0x25 };
	static const uint8_t rc16[16] = { 0x9e, 0x10, [13] = 32 };
	struct scsi_cmd c;

	run(d, &c, rc10, 10, sizeof(buf));
	EXPECT("READ CAPACITY(10)", c.status == 0 && buf[3] == 0xff &&
	       buf[2] == 0x07 && buf[6] == 0x02);	/* 2048 blocks */
	run(d, &c, rc16, 16, sizeof(buf));
	EXPECT("READ CAPACITY(16) with LBPME", c.status == 0 &&
	       buf[7] == 0xff && buf[6] == 0x07 && (buf[14] & 0x80));
}

/* Grow the image: 2a/09 once (not to INQUIRY), then the new capacity. */
static void test_resize(struct scsi_disk *d)
{
	static const uint8_t rc10[10] = { 0x25 };
	static const uint8_t std[6] = { 0x12, 0, 0, 0, 36, 0 };
	static const uint8_t sense[6] = { 0x03, 0, 0, 0, 18, 0 };
	struct scsi_cmd c;

	EXPECT("resize: shrinking refused", scsi_disk_resize(d, 1 << 19) ==
	       -EINVAL);
	EXPECT("resize: not whole blocks refused",
	       scsi_disk_resize(d, (2 << 20) + 1) == -EINVAL);
	EXPECT("resize: to 2 MiB", !scsi_disk_resize(d, 2 << 20) &&
	       d->blocks == 4096);
	run(d, &c, std, 6, sizeof(buf));
	EXPECT("resize: INQUIRY does not see the unit attention",
	       c.status == 0);
	run(d, &c, rc10, 10, sizeof(buf));
	EXPECT("resize: the next command gets UNIT ATTENTION 2a/09",
	       sense_is(&c, 0x06, 0x2a) && c.sense[13] == 0x09);
	run(d, &c, rc10, 10, sizeof(buf));
	EXPECT("resize: once; then READ CAPACITY has the new size",
	       c.status == 0 && buf[2] == 0x0f && buf[3] == 0xff);
	EXPECT("resize: the same size again is no change",
	       !scsi_disk_resize(d, 2 << 20) && !d->capacity_changed);
	EXPECT("resize: to 3 MiB", !scsi_disk_resize(d, 3 << 20));
	run(d, &c, sense, 6, sizeof(buf));
	EXPECT("resize: REQUEST SENSE returns the unit attention as data",
	       c.status == 0 && (buf[2] & 0x0f) == 0x06 && buf[12] == 0x2a &&
	       buf[13] == 0x09 && !d->capacity_changed);
}

static void test_rw(struct scsi_disk *d)
{
	static const uint8_t r10[10] = { 0x28, 0, 0, 0, 0, 8, 0, 0, 4, 0 };
	static const uint8_t w16[16] = { 0x8a, [9] = 0x10, [13] = 2 };
	static const uint8_t r6_zero[6] = { 0x08, 0, 0, 0, 0, 0 };
	static const uint8_t r10_oob[10] = { 0x28, 0, 0, 0, 0x07, 0xff, 0, 0, 2 };
	struct scsi_cmd c;

	run(d, &c, r10, 10, 4 * 512);
	EXPECT("READ(10) becomes a read at LBA 8", c.status == 0 &&
	       c.io.kind == SCSI_IO_READ && c.io.offset == 8 * 512 &&
	       c.io.len == 4 * 512);
	run(d, &c, w16, 16, 2 * 512);
	EXPECT("WRITE(16) becomes a write", c.io.kind == SCSI_IO_WRITE &&
	       c.io.offset == 16 * 512 && c.io.len == 1024);
	run(d, &c, r6_zero, 6, 256 * 512);
	EXPECT("READ(6) length 0 means 256 blocks", c.io.len == 256 * 512);
	run(d, &c, r10_oob, 10, 1024);
	EXPECT("READ past the end: LBA out of range",
	       sense_is(&c, SCSI_SENSE_ILLEGAL_REQUEST, 0x21));
	run(d, &c, r10, 10, 512);
	EXPECT("READ larger than the buffer refused",
	       c.status == SCSI_STATUS_CHECK_CONDITION &&
	       c.io.kind == SCSI_IO_NONE);
}

static void test_unmap(struct scsi_disk *d)
{
	static const uint8_t cdb[10] = { 0x42, [8] = 24 };
	struct scsi_cmd c;

	memset(buf, 0, 24);
	buf[1] = 22;			/* data length */
	buf[3] = 16;			/* one descriptor */
	buf[8 + 7] = 64;		/* LBA 64 */
	buf[8 + 11] = 128;		/* 128 blocks */
	run(d, &c, cdb, 10, 24);
	EXPECT("UNMAP one range", c.status == 0 &&
	       c.io.kind == SCSI_IO_DISCARD && c.io.nr_ranges == 1 &&
	       c.io.ranges[0].offset == 64 * 512 &&
	       c.io.ranges[0].len == 128 * 512);
	buf[3] = 17;
	run(d, &c, cdb, 10, 24);
	EXPECT("UNMAP with a ragged descriptor list refused",
	       sense_is(&c, SCSI_SENSE_ILLEGAL_REQUEST, 0x26));
}

static void test_misc(struct scsi_disk *d)
{
	static const uint8_t ms6[6] = { 0x1a, 0, 0x08, 0, 64, 0 };
	static const uint8_t bad_op[10] = { 0xc7 };
	static const uint8_t sense6[6] = { 0x03, 0, 0, 0, 18, 0 };
	static const uint8_t sync10[10] = { 0x35 };
	struct scsi_cmd c;

	run(d, &c, ms6, 6, sizeof(buf));
	EXPECT("MODE SENSE(6) caching page, WCE", c.status == 0 &&
	       buf[4] == 0x08 && (buf[6] & 0x04) && !(buf[2] & 0x80));
	run(d, &c, sync10, 10, 0);
	EXPECT("SYNCHRONIZE CACHE becomes a flush", c.io.kind == SCSI_IO_FLUSH);
	run(d, &c, bad_op, 10, sizeof(buf));
	EXPECT("unknown opcode: invalid command operation code",
	       sense_is(&c, SCSI_SENSE_ILLEGAL_REQUEST, 0x20));
	run(d, &c, sense6, 6, sizeof(buf));
	EXPECT("REQUEST SENSE returns the last error", c.status == 0 &&
	       buf[2] == SCSI_SENSE_ILLEGAL_REQUEST && buf[12] == 0x20);
	run(d, &c, sense6, 6, sizeof(buf));
	EXPECT("REQUEST SENSE then reports no sense", buf[2] == 0);
	run(d, &c, bad_op, 3, sizeof(buf));
	EXPECT("short CDB refused", c.status == SCSI_STATUS_CHECK_CONDITION);
}

static void test_read_only(const char *path)
{
	static const uint8_t w10[10] = { 0x2a, [8] = 1 };
	static const uint8_t ms10[10] = { 0x5a, 0, 0x3f, [8] = 64 };
	struct scsi_disk d;
	struct scsi_cmd c;

	if (scsi_disk_open(&d, path, true, 1)) {
		EXPECT("read-only open", 0);
		return;
	}
	run(&d, &c, w10, 10, 512);
	EXPECT("WRITE to a read-only disk: write protected",
	       sense_is(&c, SCSI_SENSE_DATA_PROTECT, 0x27));
	run(&d, &c, ms10, 10, sizeof(buf));
	EXPECT("MODE SENSE(10) shows write protect", c.status == 0 &&
	       (buf[3] & 0x80));
	scsi_disk_close(&d);
}

static void test_report_luns(void)
{
	static const uint8_t luns[] = { 0, 3 };
	uint32_t n = scsi_report_luns(luns, 2, buf, sizeof(buf));

	EXPECT("REPORT LUNS lists two LUNs", n == 24 && buf[3] == 16 &&
	       buf[8 + 1] == 0 && buf[16 + 1] == 3);
}

static void test_inquiry_no_lun(void)
{
	static const uint8_t std[6] = { 0x12, 0, 0, 0, 96, 0 };
	static const uint8_t small[6] = { 0x12, 0, 0, 0, 8, 0 };

	EXPECT("INQUIRY of an absent LUN 0: PQ 3, type 0x1f, Msft",
	       scsi_inquiry_no_lun(std, 0, buf, sizeof(buf)) == 36 &&
	       buf[0] == 0x7f && buf[4] == 31 && !memcmp(buf + 8, "Msft", 4));
	EXPECT("INQUIRY of an absent LUN 5: PQ 3, no vendor or product",
	       scsi_inquiry_no_lun(std, 5, buf, sizeof(buf)) == 36 &&
	       buf[0] == 0x7f && buf[4] == 31 && !buf[8] && !buf[16] &&
	       !buf[32]);
	EXPECT("INQUIRY of an absent LUN cut to allocation length",
	       scsi_inquiry_no_lun(small, 0, buf, sizeof(buf)) == 8 &&
	       scsi_inquiry_no_lun(std, 0, buf, 4) == 4);
}

static void test_direction(void)
{
	EXPECT("direction: READ(10), INQUIRY, REPORT LUNS read",
	       scsi_cdb_direction(0x28) == SCSI_DIR_IN &&
	       scsi_cdb_direction(0x12) == SCSI_DIR_IN &&
	       scsi_cdb_direction(SCSI_REPORT_LUNS) == SCSI_DIR_IN);
	EXPECT("direction: WRITE(16), UNMAP, WRITE SAME write",
	       scsi_cdb_direction(0x8a) == SCSI_DIR_OUT &&
	       scsi_cdb_direction(0x42) == SCSI_DIR_OUT &&
	       scsi_cdb_direction(0x93) == SCSI_DIR_OUT);
	EXPECT("direction: TEST UNIT READY, SYNC CACHE move nothing",
	       scsi_cdb_direction(0x00) == SCSI_DIR_NONE &&
	       scsi_cdb_direction(0x35) == SCSI_DIR_NONE);
	EXPECT("direction: unknown opcode", scsi_cdb_direction(0xc7) ==
	       SCSI_DIR_UNKNOWN);
	EXPECT("medium: READ/WRITE only", scsi_cdb_medium_rw(0x08) &&
	       scsi_cdb_medium_rw(0x8a) && !scsi_cdb_medium_rw(0x42) &&
	       !scsi_cdb_medium_rw(0x12));
}

/* A DVD-ROM drive: MMC answers with and without a medium. */
static void test_dvd(void)
{
	static const uint8_t std[6] = { 0x12, 0, 0, 0, 96, 0 };
	static const uint8_t tur[6] = { 0x00 };
	static const uint8_t cap10[10] = { 0x25 };
	static const uint8_t read12[12] = { 0xa8, 0, 0, 0, 0, 3, 0, 0, 0, 2 };
	static const uint8_t write10[10] = { 0x2a, 0, 0, 0, 0, 0, 0, 0, 1 };
	static const uint8_t gesn[10] = { 0x4a, 1, 0, 0, 0x10, 0, 0, 0, 8 };
	static const uint8_t gesn_unpolled[10] = { 0x4a, 0, 0, 0, 0x10, 0, 0, 0, 8 };
	static const uint8_t eject[6] = { 0x1b, 0, 0, 0, 0x02 };
	char *iso = make_image(100 * 2048), *odd = make_image(3 * 512);
	struct scsi_disk d;
	struct scsi_cmd c;

	EXPECT("DVD: an image not of 2048-byte blocks refused",
	       scsi_dvd_open(&d, odd, 0) < 0);
	EXPECT("DVD: open with an ISO", !scsi_dvd_open(&d, iso, 7));
	run(&d, &c, std, 6, sizeof(buf));
	EXPECT("DVD: INQUIRY type 5, removable", c.status == 0 &&
	       buf[0] == 0x05 && buf[1] == 0x80 &&
	       !memcmp(buf + 16, "Virtual DVD-ROM ", 16));
	run(&d, &c, gesn, 10, sizeof(buf));
	EXPECT("DVD: GET EVENT STATUS: new media, present", c.status == 0 &&
	       c.data_len == 8 && buf[1] == 6 && buf[2] == 4 &&
	       buf[3] == 0x10 && buf[4] == 2 && buf[5] == 2);
	run(&d, &c, gesn, 10, sizeof(buf));
	EXPECT("DVD: ... reported once", c.status == 0 && buf[4] == 0);
	run(&d, &c, gesn_unpolled, 10, sizeof(buf));
	EXPECT("DVD: GET EVENT STATUS without Polled: 05/24",
	       sense_is(&c, 0x05, 0x24));
	run(&d, &c, tur, 6, sizeof(buf));
	EXPECT("DVD: a new medium is no unit attention: ready (as Hyper-V)",
	       c.status == 0);
	run(&d, &c, cap10, 10, sizeof(buf));
	EXPECT("DVD: READ CAPACITY 10: 2048-byte blocks", c.status == 0 &&
	       buf[3] == 99 && buf[6] == 0x08 && buf[7] == 0);
	run(&d, &c, read12, 12, 2 * 2048);
	EXPECT("DVD: READ 12 of two blocks at 3", c.io.kind == SCSI_IO_READ &&
	       c.io.offset == 3 * 2048 && c.io.len == 2 * 2048);
	run(&d, &c, write10, 10, 2048);
	EXPECT("DVD: WRITE is write protected: 07/27",
	       sense_is(&c, 0x07, 0x27));
	run(&d, &c, eject, 6, 0);
	EXPECT("DVD: START STOP UNIT LoEj ejects", c.status == 0 && !d.medium);
	run(&d, &c, tur, 6, sizeof(buf));
	EXPECT("DVD: ejected: NOT READY 3a/02 (tray open)",
	       sense_is(&c, 0x02, 0x3a) && c.sense[13] == 0x02);
	run(&d, &c, read12, 12, 2 * 2048);
	EXPECT("DVD: READ without a medium: 02/3a", sense_is(&c, 0x02, 0x3a));
	run(&d, &c, gesn, 10, sizeof(buf));
	EXPECT("DVD: GET EVENT STATUS: removal, no medium", c.status == 0 &&
	       buf[4] == 3 && buf[5] == 0);
	scsi_disk_close(&d);
	EXPECT("DVD: an empty drive", !scsi_dvd_open(&d, NULL, 8) && !d.medium);
	run(&d, &c, std, 6, sizeof(buf));
	EXPECT("DVD: empty: INQUIRY answers", c.status == 0 && buf[0] == 5);
	run(&d, &c, cap10, 10, sizeof(buf));
	EXPECT("DVD: empty: READ CAPACITY 02/3a/01 (tray closed)",
	       sense_is(&c, 0x02, 0x3a) && c.sense[13] == 0x01);
	scsi_disk_close(&d);
	unlink(iso);
	unlink(odd);
	free(iso);
	free(odd);
}

int main(void)
{
	char *path = make_image(1 << 20);	/* 2048 blocks */
	struct scsi_disk d;

	test_open();
	if (scsi_disk_open(&d, path, false, 0)) {
		printf("FAIL: scsi_disk: open a 1 MiB image\n");
		return 1;
	}
	test_inquiry(&d);
	test_capacity(&d);
	test_rw(&d);
	test_unmap(&d);
	test_misc(&d);
	test_resize(&d);
	scsi_disk_close(&d);
	test_read_only(path);
	test_report_luns();
	test_direction();
	test_inquiry_no_lun();
	test_dvd();
	unlink(path);
	free(path);
	return failures ? 1 : 0;
}
