// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of StorVSP (storvsp.c): the fake guest plays hv_storvsc over
 * real rings, on a temporary image, and drains the io_uring itself.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "storvsp.h"
#include "unit.h"

#define IMG_SIZE	(1024U * 1024)
#define REQ		VMBUS_PKT_FLAG_COMPLETION_REQUESTED

struct stor_env {
	struct fake_guest fg;
	struct vmbus_msg_offer offers[8];
	struct fake_channel fc;
	struct hv_channel *primary;
	struct storvsp_ctrl *ctrl;
	char img[32];
	char img2[32];
	uint64_t id;
	struct blockio *bio;
};

static int make_image(char *path, bool pattern)
{
	static uint8_t block[4096];
	unsigned int i, off;
	int fd;

	snprintf(path, 32, "/tmp/hvhost-stor-XXXXXX");
	fd = mkstemp(path);
	if (fd < 0 || ftruncate(fd, IMG_SIZE))
		return -1;
	for (off = 0; pattern && off < IMG_SIZE; off += sizeof(block)) {
		for (i = 0; i < sizeof(block); i++)
			block[i] = (off + i) * 13 + (off + i) / 511;
		if (pwrite(fd, block, sizeof(block), off) != sizeof(block))
			return -1;
	}
	close(fd);
	return 0;
}

static int add_disk(struct stor_env *e, const char *path, int lun, bool ro)
{
	struct storvsp_disk_spec d;
	unsigned int got;

	memset(&d, 0, sizeof(d));
	snprintf(d.path, sizeof(d.path), "%s", path);
	d.lun = lun;
	d.read_only = ro;
	return storvsp_disk_add(e->ctrl, &d, &got);
}

/*
 * A controller of class @cls (instance @instance, or a generated one)
 * with the image as LUN 0, connected and opened.
 */
static int env_init_class(struct stor_env *e, const char *cls,
			  const guid_t *instance, uint32_t out_pages,
			  uint32_t in_pages)
{
	const struct hv_device_class *c = hv_device_class_find(cls);
	struct storvsp_host *sh;

	memset(e, 0, sizeof(*e));
	fake_init(&e->fg);
	e->id = 100;
	sh = hvhost_class_inst(&e->fg.h, c);
	e->bio = &sh->bio;
	e->primary = vmbus_server_add_device(&e->fg.h.srv, c, instance, false);
	if (!e->primary)
		return -1;
	e->ctrl = storvsp_ctrl_bind(&sh->sp, e->primary);
	if (!e->ctrl || make_image(e->img, true) || add_disk(e, e->img, 0, false))
		return -1;
	if (fake_connect(&e->fg, VMBUS_VERSION(5, 3), true) != 1 ||
	    fake_request_offers(&e->fg, e->offers, 8) != 1)
		return -1;
	return fake_open(&e->fg, &e->offers[0], &e->fc, out_pages, in_pages);
}

static int env_init_rings(struct stor_env *e, uint32_t out_pages,
			  uint32_t in_pages)
{
	return env_init_class(e, "scsi", NULL, out_pages, in_pages);
}

static int env_init(struct stor_env *e)
{
	return env_init_rings(e, 8, 8);
}

static void env_destroy(struct stor_env *e)
{
	fake_destroy(&e->fg);
	unlink(e->img);
	if (e->img2[0])
		unlink(e->img2);
}

static void drain_io(struct stor_env *e)
{
	while (!blockio_idle(e->bio))
		if (blockio_wait(e->bio))
			return;
}

static void send_vp(struct stor_env *e, struct fake_channel *fc,
		    uint64_t id, const struct vstor_packet *vp, uint32_t len)
{
	bool signal;

	gring_write(&fc->out, VMBUS_PKT_DATA_INBAND, REQ, id, NULL, 0, vp, len,
		    &signal);
	fake_signal(&e->fg, fc);
}

/* EXECUTE_SRB with @len bytes at @gpa as one range (inband if none). */
static void send_srb(struct stor_env *e, struct fake_channel *fc,
		     uint64_t id, const struct vstor_packet *vp, uint64_t gpa,
		     uint32_t len)
{
	uint8_t ext[16 + 8 * 300] = { 0 };
	uint32_t off = gpa % 4096, npfn = (off + len + 4095) / 4096, i;
	uint64_t pfn;
	bool signal;

	if (!len) {
		send_vp(e, fc, id, vp, sizeof(*vp));
		return;
	}
	ext[4] = 1;			/* range_cnt */
	memcpy(ext + 8, &len, 4);
	memcpy(ext + 12, &off, 4);
	for (i = 0; i < npfn; i++) {
		pfn = gpa / 4096 + i;
		memcpy(ext + 16 + 8 * i, &pfn, 8);
	}
	gring_write(&fc->out, VMBUS_PKT_DATA_USING_GPA_DIRECT, REQ, id, ext,
		    16 + 8 * npfn, vp, sizeof(*vp), &signal);
	fake_signal(&e->fg, fc);
}

/* The next packet from the host; returns its payload bytes or -1. */
static int recv_vp(struct fake_channel *fc, struct vmbus_packet_desc *d,
		   struct vstor_packet *vp)
{
	uint8_t buf[512];
	int n = gring_read(&fc->in, buf, sizeof(buf));
	uint32_t off, len;

	if (n < (int)sizeof(*d))
		return -1;
	memcpy(d, buf, sizeof(*d));
	off = d->offset8 * 8;
	len = n - off;
	memset(vp, 0, sizeof(*vp));
	memcpy(vp, buf + off, len < sizeof(*vp) ? len : sizeof(*vp));
	return len;
}

/* A whole COMPLETE_IO for @id; its status, or -1. */
static long long recv_comp(struct fake_channel *fc, uint64_t id,
			   struct vstor_packet *vp)
{
	struct vmbus_packet_desc d;

	if (recv_vp(fc, &d, vp) != sizeof(*vp) || d.type != VMBUS_PKT_COMP ||
	    d.trans_id != id || vp->operation != VSTOR_OP_COMPLETE_IO)
		return -1;
	return vp->status;
}

static long long request(struct stor_env *e, uint32_t op,
			 struct vstor_packet *vp)
{
	uint64_t id = ++e->id;

	vp->operation = op;
	vp->flags = VSTOR_FLAG_REQUEST_COMPLETION;
	send_vp(e, &e->fc, id, vp, sizeof(*vp));
	return recv_comp(&e->fc, id, vp);
}

static long long simple(struct stor_env *e, uint32_t op)
{
	struct vstor_packet vp = { 0 };

	return request(e, op, &vp);
}

static long long version(struct stor_env *e, uint16_t v)
{
	struct vstor_packet vp = { .version.major_minor = v };

	return request(e, VSTOR_OP_QUERY_PROTOCOL_VERSION, &vp);
}

static int handshake(struct stor_env *e)
{
	struct vstor_packet vp = { 0 };

	if (simple(e, VSTOR_OP_BEGIN_INITIALIZATION) ||
	    version(e, VSTOR_VERSION_WIN10) ||
	    request(e, VSTOR_OP_QUERY_PROPERTIES, &vp) ||
	    simple(e, VSTOR_OP_END_INITIALIZATION))
		return -1;
	return 0;
}

/* TEST_F(stor, ...): a controller with one LUN, its handshake done. */
static void stor_setup(void *ctx)
{
	if (env_init(ctx) || handshake(ctx))
		unit_fail(__FILE__, __LINE__, "controller set-up failed");
}

static void stor_teardown(void *ctx)
{
	env_destroy(ctx);
}

UNIT_FIXTURE(stor, struct stor_env, stor_setup, stor_teardown);

/* The same, with a second image at @lun, past the handshake. */
static int env_init_lun(struct stor_env *e, int lun, bool ro)
{
	if (env_init(e) || make_image(e->img2, false) ||
	    add_disk(e, e->img2, lun, ro) || handshake(e))
		return -1;
	return 0;
}

/* A controller past the handshake and a page for data: its address. */
static uint8_t *env_ready(struct stor_env *e, uint64_t *buf)
{
	if (env_init(e) || handshake(e))
		return NULL;
	*buf = fake_alloc(&e->fg, 1);
	return fake_ptr(&e->fg, *buf);
}

static void mk_srb(struct vstor_packet *vp, uint8_t lun, const uint8_t *cdb,
		   uint8_t cdb_len, uint8_t data_in, uint32_t len)
{
	memset(vp, 0, sizeof(*vp));
	vp->operation = VSTOR_OP_EXECUTE_SRB;
	vp->flags = VSTOR_FLAG_REQUEST_COMPLETION;
	vp->srb.length = sizeof(vp->srb);
	vp->srb.lun = lun;
	vp->srb.cdb_length = cdb_len;
	vp->srb.sense_info_length = VSTOR_SRB_SENSE_SIZE;
	vp->srb.data_in = data_in;
	vp->srb.data_transfer_length = len;
	memcpy(vp->srb.data.cdb, cdb, cdb_len);
}

/* One SRB, I/O drained, its completion in *vp; the status or -1. */
static long long srb(struct stor_env *e, struct fake_channel *fc,
		     struct vstor_packet *vp, uint64_t gpa)
{
	uint64_t id = ++e->id;

	send_srb(e, fc, id, vp, gpa, vp->srb.data_transfer_length);
	drain_io(e);
	return recv_comp(fc, id, vp);
}

static bool all_zero(const uint8_t *p, size_t n)
{
	while (n--)
		if (*p++)
			return false;
	return true;
}

/* The completion of a failed SRB, byte by byte: statuses, sense, length. */
static bool failed_with(const struct vstor_packet *vp, uint8_t srb_status,
			uint8_t key, uint8_t asc, uint8_t ascq)
{
	const uint8_t *sense = vp->srb.data.sense_data;

	return vp->operation == VSTOR_OP_COMPLETE_IO && !vp->flags &&
	       vp->status == VSTOR_STATUS_IO_DEVICE_ERROR &&
	       vp->srb.srb_status == (srb_status |
				      VSTOR_SRB_STATUS_AUTOSENSE_VALID) &&
	       vp->srb.scsi_status == SCSI_STATUS_CHECK_CONDITION &&
	       vp->srb.sense_info_length == SCSI_SENSE_SIZE &&
	       !vp->srb.data_transfer_length && sense[0] == 0x70 &&
	       sense[2] == key && sense[7] == SCSI_SENSE_SIZE - 8 &&
	       sense[12] == asc && sense[13] == ascq &&
	       all_zero(sense + SCSI_SENSE_SIZE,
			VSTOR_SRB_SENSE_SIZE - SCSI_SENSE_SIZE);
}

static const uint8_t cdb_tur[6];
static const uint8_t cdb_inquiry[6] = { 0x12, 0, 0, 0, 96, 0 };
static const uint8_t cdb_vpd0[6] = { 0x12, 1, 0, 0, 64, 0 };
static const uint8_t cdb_report_luns[12] = { 0xa0, [9] = 64 };

TEST(test_storvsp_init_order, "storvsp: handshake order, versions, properties")
{
	struct vstor_packet vp = { 0 };
	struct stor_env e;

	ASSERT_EQ(0, env_init(&e));
	/* Out of order: refused, nothing changes. */
	CHECK(request(&e, VSTOR_OP_QUERY_PROPERTIES, &vp) ==
	      VSTOR_STATUS_INVALID_DEVICE_STATE);
	CHECK(version(&e, VSTOR_VERSION_WIN10) ==
	      VSTOR_STATUS_INVALID_DEVICE_STATE);
	mk_srb(&vp, 0, cdb_tur, 6, VSTOR_SRB_UNKNOWN, 0);
	ASSERT_EQ(VSTOR_STATUS_INVALID_DEVICE_STATE, srb(&e, &e.fc, &vp, 0));
	ASSERT_EQ(0, simple(&e, VSTOR_OP_BEGIN_INITIALIZATION));
	CHECK(simple(&e, VSTOR_OP_BEGIN_INITIALIZATION) ==
	      VSTOR_STATUS_INVALID_DEVICE_STATE);
	CHECK(simple(&e, VSTOR_OP_END_INITIALIZATION) ==
	      VSTOR_STATUS_INVALID_DEVICE_STATE);
	/* Versions: unknown ones and 4.2 refused, the version echoed. */
	ASSERT_EQ(VSTOR_STATUS_REVISION_MISMATCH, version(&e, 0x0700));
	ASSERT_EQ(VSTOR_STATUS_REVISION_MISMATCH, version(&e, 0x0402));
	memset(&vp, 0, sizeof(vp));
	vp.version.major_minor = VSTOR_VERSION_WIN10;
	ASSERT_EQ(0, request(&e, VSTOR_OP_QUERY_PROTOCOL_VERSION, &vp));
	ASSERT_EQ(VSTOR_VERSION_WIN10, vp.version.major_minor);
	ASSERT_EQ(VSTOR_VERSION_WIN10, e.ctrl->version);
	memset(&vp, 0, sizeof(vp));
	ASSERT_EQ(0, request(&e, VSTOR_OP_QUERY_PROPERTIES, &vp));
	ASSERT_EQ(4, vp.properties.max_channel_cnt);
	ASSERT_EQ(VSTOR_PROPERTY_MULTI_CHANNEL, vp.properties.flags);
	CHECK(vp.properties.max_transfer_bytes == 1U << 20);
	mk_srb(&vp, 0, cdb_tur, 6, VSTOR_SRB_UNKNOWN, 0);
	ASSERT_EQ(VSTOR_STATUS_INVALID_DEVICE_STATE, srb(&e, &e.fc, &vp, 0));
	ASSERT_EQ(0, simple(&e, VSTOR_OP_END_INITIALIZATION));
	ASSERT_EQ(STORVSP_READY, e.ctrl->state);
	CHECK(simple(&e, VSTOR_OP_BEGIN_INITIALIZATION) ==
	      VSTOR_STATUS_INVALID_DEVICE_STATE);
	/* Resets are no-ops; host-to-guest operations are refused. */
	ASSERT_EQ(0, simple(&e, VSTOR_OP_RESET_BUS));
	ASSERT_EQ(0, simple(&e, VSTOR_OP_RESET_LUN));
	CHECK(simple(&e, VSTOR_OP_ENUMERATE_BUS) ==
	      VSTOR_STATUS_INVALID_DEVICE_REQUEST);
	ASSERT_EQ(VSTOR_STATUS_INVALID_DEVICE_REQUEST, simple(&e, 99));
	env_destroy(&e);
}

TEST(test_storvsp_version_cap,
     "storvsp: --storvsc-max-version caps the version")
{
	struct stor_env e;

	ASSERT_EQ(0, env_init(&e));
	e.fg.stor->cfg.max_version = VSTOR_VERSION_WIN8;
	ASSERT_EQ(0, simple(&e, VSTOR_OP_BEGIN_INITIALIZATION));
	CHECK(version(&e, VSTOR_VERSION_WIN10) ==
	      VSTOR_STATUS_REVISION_MISMATCH);
	CHECK(version(&e, VSTOR_VERSION_WIN8_1) ==
	      VSTOR_STATUS_REVISION_MISMATCH);
	ASSERT_EQ(0, version(&e, VSTOR_VERSION_WIN8));
	env_destroy(&e);
}

/* A reopened primary starts the handshake again. */
TEST_F(stor, test_storvsp_reopen, "storvsp: a reopened primary starts over")
{
	struct vmbus_msg_relid close = {
		.header.msgtype = VMBUS_MSG_CLOSECHANNEL,
	};

	close.child_relid = f->fc.relid;
	fake_post(&f->fg, 1, &close, sizeof(close));
	ASSERT_EQ(0, fake_open(&f->fg, &f->offers[0], &f->fc, 8, 8));
	ASSERT_EQ(STORVSP_WAIT_BEGIN, f->ctrl->state);
	ASSERT_EQ(0, handshake(f));
}

TEST_F(stor, test_storvsp_inquiry_tur,
       "storvsp: TUR inband, INQUIRY across pages")
{
	struct vstor_packet vp;
	uint64_t buf;
	uint8_t *p;

	mk_srb(&vp, 0, cdb_tur, 6, VSTOR_SRB_UNKNOWN, 0);
	ASSERT_EQ(0, srb(f, &f->fc, &vp, 0));
	CHECK(vp.srb.srb_status == VSTOR_SRB_SUCCESS && !vp.srb.scsi_status);
	buf = fake_alloc(&f->fg, 1) + 4000;	/* across a page boundary */
	fake_alloc(&f->fg, 1);
	mk_srb(&vp, 0, cdb_inquiry, 6, VSTOR_SRB_READ, 96);
	ASSERT_EQ(0, srb(f, &f->fc, &vp, buf));
	ASSERT_EQ(VSTOR_SRB_SUCCESS, vp.srb.srb_status);
	ASSERT_EQ(36, vp.srb.data_transfer_length);
	p = fake_ptr(&f->fg, buf);
	CHECK(!memcmp(p + 8, "Msft    Virtual Disk", 20));
	CHECK(f->ctrl->stats.srbs == 2 && f->ctrl->stats.errors == 0);
}

TEST(test_storvsp_report_luns,
     "storvsp: REPORT LUNS by the controller; INVALID_LUN, PQ 3")
{
	struct vstor_packet vp;
	struct stor_env e;
	uint64_t buf;
	uint8_t *p;

	ASSERT_EQ(0, env_init_lun(&e, 3, true));
	buf = fake_alloc(&e.fg, 1);
	p = fake_ptr(&e.fg, buf);
	/* Answered by the controller, even at a LUN that is absent. */
	mk_srb(&vp, 7, cdb_report_luns, 12, VSTOR_SRB_READ, 64);
	ASSERT_EQ(0, srb(&e, &e.fc, &vp, buf));
	ASSERT_EQ(VSTOR_SRB_SUCCESS, vp.srb.srb_status);
	ASSERT_EQ(24, vp.srb.data_transfer_length);
	CHECK(p[3] == 16 && p[8 + 1] == 0 && p[16 + 1] == 3);
	/* Standard INQUIRY at an absent LUN: "no device here" (PQ 3). */
	mk_srb(&vp, 5, cdb_inquiry, 6, VSTOR_SRB_READ, 96);
	ASSERT_EQ(0, srb(&e, &e.fc, &vp, buf));
	CHECK(vp.srb.srb_status == VSTOR_SRB_SUCCESS &&
	      vp.srb.data_transfer_length == 36 && p[0] == 0x7f);
	/* Vendor and product only at LUN 0. */
	CHECK(!p[8] && !p[16]);
	/* Anything else there: INVALID_LUN, CHECK CONDITION, no sense. */
	mk_srb(&vp, 5, cdb_tur, 6, VSTOR_SRB_UNKNOWN, 0);
	ASSERT_EQ(VSTOR_STATUS_DEVICE_DOES_NOT_EXIST, srb(&e, &e.fc, &vp, 0));
	CHECK(vp.srb.srb_status == VSTOR_SRB_INVALID_LUN &&
	      vp.srb.scsi_status == SCSI_STATUS_CHECK_CONDITION &&
	      !vp.srb.sense_info_length && !vp.srb.data_transfer_length);
	/* A VPD page there: an illegal request, not INVALID_LUN. */
	mk_srb(&vp, 5, cdb_vpd0, 6, VSTOR_SRB_READ, 64);
	ASSERT_EQ(VSTOR_STATUS_IO_DEVICE_ERROR, srb(&e, &e.fc, &vp, buf));
	CHECK(failed_with(&vp, VSTOR_SRB_INVALID_REQUEST,
			  SCSI_SENSE_ILLEGAL_REQUEST, 0x24, 0));
	/* So is a buffer smaller than the allocation length. */
	mk_srb(&vp, 5, cdb_inquiry, 6, VSTOR_SRB_READ, 36);
	ASSERT_EQ(VSTOR_STATUS_IO_DEVICE_ERROR, srb(&e, &e.fc, &vp, buf));
	CHECK(failed_with(&vp, VSTOR_SRB_INVALID_REQUEST,
			  SCSI_SENSE_ILLEGAL_REQUEST, 0x24, 0));
	/* Other targets and paths have no LUNs: the same answers. */
	mk_srb(&vp, 0, cdb_inquiry, 6, VSTOR_SRB_READ, 96);
	vp.srb.target_id = 1;
	ASSERT_EQ(0, srb(&e, &e.fc, &vp, buf));
	CHECK(vp.srb.srb_status == VSTOR_SRB_SUCCESS && p[0] == 0x7f &&
	      !memcmp(p + 8, "Msft", 4));
	mk_srb(&vp, 0, cdb_report_luns, 12, VSTOR_SRB_READ, 64);
	vp.srb.target_id = 1;
	ASSERT_EQ(0, srb(&e, &e.fc, &vp, buf));
	CHECK(vp.srb.srb_status == VSTOR_SRB_SUCCESS &&
	      vp.srb.data_transfer_length == 8 && !p[3]);
	mk_srb(&vp, 0, cdb_tur, 6, VSTOR_SRB_UNKNOWN, 0);
	vp.srb.path_id = 1;
	ASSERT_EQ(VSTOR_STATUS_DEVICE_DOES_NOT_EXIST, srb(&e, &e.fc, &vp, 0));
	CHECK(vp.srb.srb_status == VSTOR_SRB_INVALID_LUN &&
	      vp.srb.scsi_status == SCSI_STATUS_CHECK_CONDITION);
	ASSERT_EQ(4, e.ctrl->stats.errors);
	env_destroy(&e);
}

/* A malformed SRB: INVALID_REQUEST, counted, the image untouched. */
static bool refused(struct stor_env *e, struct vstor_packet *vp,
		    uint64_t gpa, uint32_t range_len)
{
	uint64_t id = ++e->id;

	send_srb(e, &e->fc, id, vp, gpa, range_len);
	drain_io(e);
	return recv_comp(&e->fc, id, vp) == VSTOR_STATUS_IO_DEVICE_ERROR &&
	       vp->srb.srb_status == VSTOR_SRB_INVALID_REQUEST &&
	       !vp->srb.data_transfer_length;
}

TEST_F(stor, test_storvsp_srb_validation,
       "storvsp: malformed SRBs get INVALID_REQUEST")
{
	static const uint8_t w10[10] = { 0x2a, [8] = 8 };
	static const uint8_t r10[10] = { 0x28, [8] = 8 };
	struct hv_channel *ch;
	struct vstor_packet vp;
	uint64_t buf, bad;
	bool signal;
	uint8_t ext[40] = { 0 };

	ch = fake_host_channel(&f->fg, f->fc.relid);
	buf = fake_alloc(&f->fg, 2);
	/* byte_count differs from data_transfer_length. */
	mk_srb(&vp, 0, w10, 10, VSTOR_SRB_WRITE, 4096);
	CHECK(refused(f, &vp, buf, 2048));
	/* A page outside guest RAM. */
	mk_srb(&vp, 0, w10, 10, VSTOR_SRB_WRITE, 4096);
	bad = (uint64_t)FAKE_RAM_SIZE;
	CHECK(refused(f, &vp, bad, 4096));
	mk_srb(&vp, 0, r10, 10, VSTOR_SRB_READ, 4096);
	CHECK(refused(f, &vp, 0xa0000, 4096));	/* VGA hole */
	/* Direction against the CDB, and data without a direction. */
	mk_srb(&vp, 0, r10, 10, VSTOR_SRB_WRITE, 4096);
	CHECK(refused(f, &vp, buf, 4096));
	mk_srb(&vp, 0, w10, 10, VSTOR_SRB_UNKNOWN, 4096);
	CHECK(refused(f, &vp, buf, 4096));
	mk_srb(&vp, 0, cdb_tur, 6, VSTOR_SRB_READ, 4096);
	CHECK(refused(f, &vp, buf, 4096));
	/* Data announced but sent inband. */
	mk_srb(&vp, 0, r10, 10, VSTOR_SRB_READ, 4096);
	f->id++;
	send_vp(f, &f->fc, f->id, &vp, sizeof(vp));
	CHECK(recv_comp(&f->fc, f->id, &vp) == VSTOR_STATUS_IO_DEVICE_ERROR &&
	      vp.srb.srb_status == VSTOR_SRB_INVALID_REQUEST);
	/* Two ranges. */
	mk_srb(&vp, 0, r10, 10, VSTOR_SRB_READ, 4096);
	ext[4] = 2;
	memcpy(ext + 8, &(uint32_t){ 4096 }, 4);
	memcpy(ext + 16, &(uint64_t){ buf / 4096 }, 8);
	memcpy(ext + 24, &(uint32_t){ 4096 }, 4);
	memcpy(ext + 32, &(uint64_t){ buf / 4096 + 1 }, 8);
	gring_write(&f->fc.out, VMBUS_PKT_DATA_USING_GPA_DIRECT, REQ, ++f->id,
		    ext, 40, &vp, sizeof(vp), &signal);
	fake_signal(&f->fg, &f->fc);
	CHECK(recv_comp(&f->fc, f->id, &vp) == VSTOR_STATUS_IO_DEVICE_ERROR &&
	      vp.srb.srb_status == VSTOR_SRB_INVALID_REQUEST);
	/* Bad SRB length, CDB length, data_in; longer than allowed. */
	mk_srb(&vp, 0, cdb_tur, 6, VSTOR_SRB_UNKNOWN, 0);
	vp.srb.length = 0x24;
	CHECK(refused(f, &vp, 0, 0));
	mk_srb(&vp, 0, cdb_tur, 6, VSTOR_SRB_UNKNOWN, 0);
	vp.srb.cdb_length = 17;
	CHECK(refused(f, &vp, 0, 0));
	mk_srb(&vp, 0, cdb_tur, 6, 7, 0);
	CHECK(refused(f, &vp, 0, 0));
	f->fg.stor->cfg.max_transfer = 4096;
	mk_srb(&vp, 0, r10, 10, VSTOR_SRB_READ, 8192);
	CHECK(refused(f, &vp, buf, 8192));
	ASSERT_EQ(12, ch->stats.bad_packets);
	CHECK(f->ctrl->stats.writes == 0 && f->ctrl->stats.reads == 0);
	/* A short vstor_packet: INVALID_PARAMETER. */
	send_vp(f, &f->fc, ++f->id, &vp, 8);
	ASSERT_EQ(VSTOR_STATUS_INVALID_PARAMETER, recv_comp(&f->fc, f->id, &vp));
	/* And the channel still works. */
	mk_srb(&vp, 0, cdb_tur, 6, VSTOR_SRB_UNKNOWN, 0);
	CHECK(srb(f, &f->fc, &vp, 0) == 0 &&
	      vp.srb.srb_status == VSTOR_SRB_SUCCESS);
}

static int image_read(const char *path, void *buf, uint32_t len,
		      uint32_t off)
{
	int fd = open(path, O_RDONLY), ret;

	ret = pread(fd, buf, len, off) == (ssize_t)len ? 0 : -1;
	close(fd);
	return ret;
}

TEST_F(stor, test_storvsp_read_write,
       "storvsp: read and write through io_uring, flush")
{
	static const uint8_t r10[10] = { 0x28, 0, 0, 0, 0, 16, 0, 0, 24, 0 };
	static const uint8_t w16[16] = { 0x8a, [9] = 64, [13] = 16 };
	static const uint8_t sync10[10] = { 0x35 };
	static uint8_t file[24 * 512];
	struct vstor_packet vp;
	uint64_t buf;
	unsigned int i;
	uint8_t *p;

	/* Read 24 blocks at LBA 16 into pages starting mid-page. */
	buf = fake_alloc(&f->fg, 5) + 100;
	p = fake_ptr(&f->fg, buf);
	mk_srb(&vp, 0, r10, 10, VSTOR_SRB_READ, sizeof(file));
	ASSERT_EQ(0, srb(f, &f->fc, &vp, buf));
	ASSERT_EQ(VSTOR_SRB_SUCCESS, vp.srb.srb_status);
	ASSERT_EQ(sizeof(file), vp.srb.data_transfer_length);
	ASSERT_EQ(0, image_read(f->img, file, sizeof(file), 16 * 512));
	CHECK(!memcmp(p, file, sizeof(file)));
	CHECK(f->ctrl->stats.reads == 1 &&
	      f->ctrl->stats.bytes_read == sizeof(file));
	/* Write 16 blocks at LBA 64 from the guest, then flush. */
	for (i = 0; i < 16 * 512; i++)
		p[i] = i ^ 0x5c;
	mk_srb(&vp, 0, w16, 16, VSTOR_SRB_WRITE, 16 * 512);
	ASSERT_EQ(0, srb(f, &f->fc, &vp, buf));
	CHECK(vp.srb.srb_status == VSTOR_SRB_SUCCESS &&
	      vp.srb.data_transfer_length == 16 * 512);
	ASSERT_EQ(0, image_read(f->img, file, 16 * 512, 64 * 512));
	CHECK(!memcmp(p, file, 16 * 512));
	mk_srb(&vp, 0, sync10, 10, VSTOR_SRB_UNKNOWN, 0);
	CHECK(srb(f, &f->fc, &vp, 0) == 0 &&
	      vp.srb.srb_status == VSTOR_SRB_SUCCESS);
	CHECK(f->ctrl->stats.writes == 1 && f->ctrl->stats.flushes == 1 &&
	      f->ctrl->stats.bytes_written == 16 * 512);
	/* A buffer larger than the command: only the command's bytes. */
	mk_srb(&vp, 0, r10, 10, VSTOR_SRB_READ, sizeof(file) + 4096);
	ASSERT_EQ(0, srb(f, &f->fc, &vp, buf));
	ASSERT_EQ(sizeof(file), vp.srb.data_transfer_length);
}

/* Many requests in flight at once, completed out of the loop. */
TEST_F(stor, test_storvsp_queue_depth,
       "storvsp: 32 requests in flight on one channel")
{
	enum { N = 32 };
	struct vstor_packet vp;
	uint8_t cdb[10] = { 0x28, [8] = 8 }, seen[N] = { 0 };
	uint64_t buf;
	unsigned int i;

	buf = fake_alloc(&f->fg, N);
	for (i = 0; i < N; i++) {
		cdb[5] = i * 8;
		mk_srb(&vp, 0, cdb, 10, VSTOR_SRB_READ, 4096);
		send_srb(f, &f->fc, 1000 + i, &vp, buf + i * 4096, 4096);
	}
	ASSERT_EQ(N, f->ctrl->inflight);
	drain_io(f);
	ASSERT_EQ(0, f->ctrl->inflight);
	for (i = 0; i < N; i++) {
		struct vmbus_packet_desc d;

		ASSERT_EQ(sizeof(vp), recv_vp(&f->fc, &d, &vp));
		CHECK(d.trans_id >= 1000 && d.trans_id < 1000 + N);
		ASSERT_EQ(VSTOR_SRB_SUCCESS, vp.srb.srb_status);
		seen[d.trans_id - 1000]++;
	}
	for (i = 0; i < N; i++)
		ASSERT_EQ(1, seen[i]);
}

TEST(test_storvsp_sense, "storvsp: CHECK CONDITION with autosense; read-only")
{
	static const uint8_t r10_oob[10] = { 0x28, 0, 0, 0, 0x07, 0xff, 0, 0, 2 };
	static const uint8_t w10[10] = { 0x2a, [8] = 1 };
	struct vstor_packet vp;
	struct stor_env e;
	uint64_t buf;

	ASSERT_EQ(0, env_init_lun(&e, 1, true));
	buf = fake_alloc(&e.fg, 1);
	/* An LBA past the end: an illegal request, 21/00. */
	mk_srb(&vp, 0, r10_oob, 10, VSTOR_SRB_READ, 1024);
	ASSERT_EQ(VSTOR_STATUS_IO_DEVICE_ERROR, srb(&e, &e.fc, &vp, buf));
	CHECK(failed_with(&vp, VSTOR_SRB_INVALID_REQUEST,
			  SCSI_SENSE_ILLEGAL_REQUEST, 0x21, 0));
	/* The read-only LUN: DATA PROTECT 27/00 is an ERROR. */
	mk_srb(&vp, 1, w10, 10, VSTOR_SRB_WRITE, 512);
	ASSERT_EQ(VSTOR_STATUS_IO_DEVICE_ERROR, srb(&e, &e.fc, &vp, buf));
	CHECK(failed_with(&vp, VSTOR_SRB_ERROR, SCSI_SENSE_DATA_PROTECT,
			  0x27, 0));
	env_destroy(&e);
}

TEST(test_storvsp_unmap_write_same, "storvsp: WRITE SAME, its UNMAP bit, UNMAP")
{
	static const uint8_t ws[16] = { 0x93, [9] = 128, [13] = 64 };
	static const uint8_t ws_unmap[16] = { 0x93, 0x08, [9] = 128, [13] = 8 };
	static const uint8_t unmap[10] = { 0x42, [8] = 24 };
	static uint8_t back[64 * 512];
	struct vstor_packet vp;
	struct stor_env e;
	unsigned int i;
	uint64_t buf;
	uint8_t *p;

	p = env_ready(&e, &buf);
	CHECK(p);
	/* WRITE SAME: 64 copies of one block at LBA 128. */
	for (i = 0; i < 512; i++)
		p[i] = 0xc0 | (i & 0xf);
	mk_srb(&vp, 0, ws, 16, VSTOR_SRB_WRITE, 512);
	ASSERT_EQ(0, srb(&e, &e.fc, &vp, buf));
	ASSERT_EQ(VSTOR_SRB_SUCCESS, vp.srb.srb_status);
	ASSERT_EQ(0, image_read(e.img, back, sizeof(back), 128 * 512));
	for (i = 0; i < 64; i++)
		CHECK(!memcmp(back + i * 512, p, 512));
	/* WRITE SAME with UNMAP: the blocks read zero. */
	mk_srb(&vp, 0, ws_unmap, 16, VSTOR_SRB_WRITE, 512);
	ASSERT_EQ(0, srb(&e, &e.fc, &vp, buf));
	ASSERT_EQ(VSTOR_SRB_SUCCESS, vp.srb.srb_status);
	ASSERT_EQ(0, image_read(e.img, back, 8 * 512, 128 * 512));
	CHECK(all_zero(back, 8 * 512));
	ASSERT_EQ(0, image_read(e.img, back, 512, 136 * 512));
	CHECK(!memcmp(back, p, 512));
	/* UNMAP of two ranges. */
	memset(p, 0, 40);
	p[1] = 38;
	p[3] = 32;
	p[8 + 7] = 200;			/* LBA 200, 16 blocks */
	p[8 + 11] = 16;
	p[24 + 6] = 1;			/* LBA 256, 8 blocks */
	p[24 + 11] = 8;
	mk_srb(&vp, 0, unmap, 10, VSTOR_SRB_WRITE, 40);
	vp.srb.data.cdb[8] = 40;
	ASSERT_EQ(0, srb(&e, &e.fc, &vp, buf));
	ASSERT_EQ(VSTOR_SRB_SUCCESS, vp.srb.srb_status);
	ASSERT_EQ(0, image_read(e.img, back, 16 * 512, 200 * 512));
	CHECK(all_zero(back, 16 * 512));
	ASSERT_EQ(0, image_read(e.img, back, 9 * 512, 256 * 512));
	CHECK(all_zero(back, 8 * 512) && !all_zero(back + 8 * 512, 512));
	CHECK(e.ctrl->stats.unmaps == 2 && e.ctrl->stats.writes == 1);
	env_destroy(&e);
}

/* Sub-channels: asked on the primary, served like it. */
TEST(test_storvsp_sub_channels,
     "storvsp: CREATE_SUB_CHANNELS offers, SRBs on a sub-channel")
{
	static const uint8_t r10[10] = { 0x28, [8] = 1 };
	struct vmbus_msg_offer subs[4];
	struct vstor_packet vp = { 0 };
	struct fake_channel sc;
	struct stor_env e;
	uint64_t buf;
	int n = 0;

	ASSERT_EQ(0, env_init(&e));
	ASSERT_EQ(0, simple(&e, VSTOR_OP_BEGIN_INITIALIZATION));
	vp.sub_channel_count = 2;
	CHECK(request(&e, VSTOR_OP_CREATE_SUB_CHANNELS, &vp) ==
	      VSTOR_STATUS_INVALID_DEVICE_STATE);
	ASSERT_EQ(0, version(&e, VSTOR_VERSION_WIN10));
	ASSERT_EQ(0, request(&e, VSTOR_OP_QUERY_PROPERTIES, &vp));
	ASSERT_EQ(0, simple(&e, VSTOR_OP_END_INITIALIZATION));
	memset(&vp, 0, sizeof(vp));
	vp.sub_channel_count = 5;
	CHECK(request(&e, VSTOR_OP_CREATE_SUB_CHANNELS, &vp) ==
	      VSTOR_STATUS_INVALID_PARAMETER);
	vp.sub_channel_count = 2;
	ASSERT_EQ(0, request(&e, VSTOR_OP_CREATE_SUB_CHANNELS, &vp));
	while (n < 4 && fake_recv_type(&e.fg, VMBUS_MSG_OFFERCHANNEL, &subs[n],
				       sizeof(subs[n])) == sizeof(subs[n]))
		n++;
	ASSERT_EQ(2, n);
	CHECK(subs[0].sub_channel_index == 1 && subs[1].sub_channel_index == 2);
	CHECK(hv_guid_equal(&subs[0].if_instance, &e.offers[0].if_instance));
	vp.sub_channel_count = 1;
	CHECK(request(&e, VSTOR_OP_CREATE_SUB_CHANNELS, &vp) ==
	      VSTOR_STATUS_INVALID_DEVICE_STATE);
	ASSERT_EQ(0, fake_open(&e.fg, &subs[1], &sc, 8, 8));
	/* The handshake belongs to the primary. */
	e.id++;
	memset(&vp, 0, sizeof(vp));
	vp.operation = VSTOR_OP_BEGIN_INITIALIZATION;
	send_vp(&e, &sc, e.id, &vp, sizeof(vp));
	ASSERT_EQ(VSTOR_STATUS_INVALID_DEVICE_STATE, recv_comp(&sc, e.id, &vp));
	buf = fake_alloc(&e.fg, 1);
	mk_srb(&vp, 0, r10, 10, VSTOR_SRB_READ, 512);
	CHECK(srb(&e, &sc, &vp, buf) == 0 &&
	      vp.srb.srb_status == VSTOR_SRB_SUCCESS);
	ASSERT_EQ(0, gring_used(&e.fc.in));	/* answered where asked */
	ASSERT_EQ(2, fake_host_channel(&e.fg, sc.relid)->stats.rx_packets);
	env_destroy(&e);
}

/*
 * A full inbound ring: answers wait, the channel stops taking requests,
 * and once the guest reads and signals everything is answered, in order.
 */
TEST(test_storvsp_back_pressure,
     "storvsp: full inbound ring: answers wait, none dropped")
{
	enum { N = 60, READS = 4 };
	static const uint8_t r10[10] = { 0x28, [8] = 1 };
	struct vmbus_packet_desc d;
	struct hv_channel *ch;
	struct vstor_packet vp;
	struct stor_env e;
	unsigned int got = 0, reads = 0, i;
	uint64_t buf, next = 1;

	/* 4 KiB inbound: 46 answers of 88 bytes fit. */
	ASSERT_EQ(0, env_init_rings(&e, 8, 2));
	ASSERT_EQ(0, handshake(&e));
	ch = fake_host_channel(&e.fg, e.fc.relid);
	buf = fake_alloc(&e.fg, 1);
	for (i = 0; i < READS; i++) {
		mk_srb(&vp, 0, r10, 10, VSTOR_SRB_READ, 512);
		send_srb(&e, &e.fc, 5000 + i, &vp, buf, 512);
	}
	for (i = 1; i <= N; i++) {
		mk_srb(&vp, 0, cdb_tur, 6, VSTOR_SRB_UNKNOWN, 0);
		send_srb(&e, &e.fc, i, &vp, 0, 0);
	}
	/* The reads complete into a full ring: queued, not dropped. */
	drain_io(&e);
	CHECK(ch->blocked && gring_used(&e.fc.out) > 0);
	CHECK(gring_used(&e.fc.in) >= 46 * 88);
	while (got + reads < N + READS) {
		if (recv_vp(&e.fc, &d, &vp) < 0) {
			fake_signal(&e.fg, &e.fc);	/* room made */
			if (recv_vp(&e.fc, &d, &vp) < 0)
				break;
		}
		ASSERT_EQ(VSTOR_SRB_SUCCESS, vp.srb.srb_status);
		if (d.trans_id >= 5000) {
			reads++;
			continue;
		}
		ASSERT_EQ(next, d.trans_id);
		next++;
		got++;
	}
	CHECK(got == N && reads == READS);
	CHECK(!ch->blocked && gring_used(&e.fc.out) == 0);
	CHECK(ch->stats.ring_full_waits >= 1);
	env_destroy(&e);
}

TEST_F(stor, test_storvsp_faults,
     "storvsp: fault injection bad-length, bad-id, bad-status")
{
	struct vmbus_packet_desc d;
	struct vstor_packet vp;
	struct hv_buf out = { 0 };
	uint64_t id;

	fake_ctl(&f->fg, "fault storvsc bad-length", &out);
	CHECK(out.s && !strcmp(out.s, "OK\n"));
	mk_srb(&vp, 0, cdb_tur, 6, VSTOR_SRB_UNKNOWN, 0);
	id = ++f->id;
	send_srb(f, &f->fc, id, &vp, 0, 0);
	/* A short COMP for the request, then the real one. */
	CHECK(recv_vp(&f->fc, &d, &vp) == 32 && d.trans_id == id &&
	      d.type == VMBUS_PKT_COMP);
	ASSERT_EQ(0, recv_comp(&f->fc, id, &vp));
	fake_ctl(&f->fg, "fault storvsc bad-id 1", &out);
	mk_srb(&vp, 0, cdb_tur, 6, VSTOR_SRB_UNKNOWN, 0);
	id = ++f->id;
	send_srb(f, &f->fc, id, &vp, 0, 0);
	CHECK(recv_vp(&f->fc, &d, &vp) == sizeof(vp) && d.trans_id == ~id);
	ASSERT_EQ(0, recv_comp(&f->fc, id, &vp));
	fake_ctl(&f->fg, "fault storvsc bad-status 2", &out);
	mk_srb(&vp, 0, cdb_tur, 6, VSTOR_SRB_UNKNOWN, 0);
	CHECK(srb(f, &f->fc, &vp, 0) == VSTOR_STATUS_IO_DEVICE_ERROR &&
	      vp.srb.srb_status == 0x3f);
	mk_srb(&vp, 0, cdb_tur, 6, VSTOR_SRB_UNKNOWN, 0);
	CHECK(srb(f, &f->fc, &vp, 0) == 0 &&
	      vp.srb.data_transfer_length > 0);
	/* Used up: back to normal. */
	mk_srb(&vp, 0, cdb_tur, 6, VSTOR_SRB_UNKNOWN, 0);
	CHECK(srb(f, &f->fc, &vp, 0) == 0 &&
	      vp.srb.srb_status == VSTOR_SRB_SUCCESS);
	ASSERT_EQ(0, gring_used(&f->fc.in));
	ASSERT_EQ(4, f->fg.stor->faults_sent);
	fake_ctl(&f->fg, "fault storvsc bad-luck", &out);
	CHECK(!strncmp(out.s, "ERR", 3));
	hv_buf_free(&out);
}

static bool stat_is(struct stor_env *e, const char *line)
{
	struct hv_buf out = { 0 };
	bool ok = strstr(fake_ctl(&e->fg, "stats", &out), line);

	hv_buf_free(&out);
	return ok;
}

static const uint8_t cdb_r10[10] = { 0x28, 0, 0, 0, 0, 8, 0, 0, 8, 0 };
static const uint8_t cdb_w10[10] = { 0x2a, 0, 0, 0, 0, 8, 0, 0, 8, 0 };
static const uint8_t cdb_sense[6] = { 0x03, 0, 0, 0, 18, 0 };

TEST(test_storvsp_fault_medium_error,
     "storvsp: fault medium-error: READ 03/11/00, WRITE 03/0c/00")
{
	static uint8_t file[4096];
	struct hv_buf out = { 0 };
	struct vstor_packet vp;
	struct stor_env e;
	uint64_t buf;
	uint8_t *p;

	p = env_ready(&e, &buf);
	CHECK(p);
	CHECK(!strcmp(fake_ctl(&e.fg, "fault storvsc medium-error 2", &out),
		      "OK\n"));
	/* Not a READ or WRITE: not taken. */
	mk_srb(&vp, 0, cdb_tur, 6, VSTOR_SRB_UNKNOWN, 0);
	CHECK(srb(&e, &e.fc, &vp, 0) == 0 &&
	      vp.srb.srb_status == VSTOR_SRB_SUCCESS);
	/* READ: MEDIUM ERROR 11/00, no data in the guest's buffer. */
	memset(p, 0xee, 4096);
	mk_srb(&vp, 0, cdb_r10, 10, VSTOR_SRB_READ, 4096);
	ASSERT_EQ(VSTOR_STATUS_IO_DEVICE_ERROR, srb(&e, &e.fc, &vp, buf));
	CHECK(failed_with(&vp, VSTOR_SRB_ERROR, SCSI_SENSE_MEDIUM_ERROR,
			  0x11, 0x00));
	CHECK(p[0] == 0xee && p[4095] == 0xee);
	/* WRITE: MEDIUM ERROR 0c/00, the image unchanged. */
	mk_srb(&vp, 0, cdb_w10, 10, VSTOR_SRB_WRITE, 4096);
	ASSERT_EQ(VSTOR_STATUS_IO_DEVICE_ERROR, srb(&e, &e.fc, &vp, buf));
	CHECK(failed_with(&vp, VSTOR_SRB_ERROR, SCSI_SENSE_MEDIUM_ERROR,
			  0x0c, 0x00));
	CHECK(image_read(e.img, file, sizeof(file), 8 * 512) == 0 &&
	      file[0] != 0xee);
	/* REQUEST SENSE returns the last error. */
	mk_srb(&vp, 0, cdb_sense, 6, VSTOR_SRB_READ, 18);
	CHECK(srb(&e, &e.fc, &vp, buf) == 0 &&
	      vp.srb.data_transfer_length == 18 && p[2] == 3 && p[12] == 0x0c);
	/* Used up. */
	mk_srb(&vp, 0, cdb_r10, 10, VSTOR_SRB_READ, 4096);
	CHECK(srb(&e, &e.fc, &vp, buf) == 0 &&
	      vp.srb.srb_status == VSTOR_SRB_SUCCESS &&
	      vp.srb.data_transfer_length == 4096 && !memcmp(p, file, 4096));
	CHECK(stat_is(&e, "storvsp.fault.medium-error=2\n"));
	CHECK(e.ctrl->stats.errors == 2 && e.ctrl->stats.bytes_written == 0);
	hv_buf_free(&out);
	env_destroy(&e);
}

TEST(test_storvsp_fault_recovered_inquiry,
     "storvsp: fault recovered-error (data moved, 01/17/01) and inquiry-control")
{
	struct hv_buf out = { 0 };
	struct vstor_packet vp;
	struct stor_env e;
	uint64_t buf;
	uint8_t *p;

	p = env_ready(&e, &buf);
	ASSERT_EQ(true, p != NULL);
	CHECK(!strcmp(fake_ctl(&e.fg, "fault storvsc recovered-error 1", &out),
		      "OK\n"));
	/* Not a READ or WRITE: not taken. */
	mk_srb(&vp, 0, cdb_tur, 6, VSTOR_SRB_UNKNOWN, 0);
	CHECK(srb(&e, &e.fc, &vp, 0) == 0);
	memset(p, 0xee, 4096);
	mk_srb(&vp, 0, cdb_r10, 10, VSTOR_SRB_READ, 4096);
	ASSERT_EQ(VSTOR_STATUS_IO_DEVICE_ERROR, srb(&e, &e.fc, &vp, buf));
	/* The length requested stays: failed_with() wants 0. */
	CHECK(vp.srb.data_transfer_length == 4096 && p[0] != 0xee);
	vp.srb.data_transfer_length = 0;
	CHECK(failed_with(&vp, VSTOR_SRB_ERROR, SCSI_SENSE_RECOVERED_ERROR,
			  0x17, 0x01));
	mk_srb(&vp, 0, cdb_r10, 10, VSTOR_SRB_READ, 4096);
	CHECK(srb(&e, &e.fc, &vp, buf) == 0 &&
	      vp.srb.srb_status == VSTOR_SRB_SUCCESS);
	CHECK(!strcmp(fake_ctl(&e.fg, "fault storvsc inquiry-control 1", &out),
		      "OK\n"));
	mk_srb(&vp, 0, cdb_vpd0, 6, VSTOR_SRB_READ, 64);
	CHECK(srb(&e, &e.fc, &vp, buf) == 0 && p[1] == 0);
	mk_srb(&vp, 0, cdb_inquiry, 6, VSTOR_SRB_READ, 96);
	CHECK(srb(&e, &e.fc, &vp, buf) == 0 && p[12] == 0x1b && p[20] == '\n');
	mk_srb(&vp, 0, cdb_inquiry, 6, VSTOR_SRB_READ, 96);
	CHECK(srb(&e, &e.fc, &vp, buf) == 0 && !memcmp(p + 8, "Msft    ", 8));
	CHECK(stat_is(&e, "storvsp.fault.recovered-error=1\n"));
	CHECK(stat_is(&e, "storvsp.fault.inquiry-control=1\n"));
	hv_buf_free(&out);
	env_destroy(&e);
}

TEST(test_storvsp_fault_none,
     "storvsp: fault none disarms a fault no SRB took, stats show it")
{
	struct hv_buf out = { 0 };
	struct vstor_packet vp;
	struct stor_env e;
	uint64_t buf;

	ASSERT_EQ(true, env_ready(&e, &buf) != NULL);
	CHECK(stat_is(&e, "storvsp.armed=none:0\n"));
	CHECK(!strcmp(fake_ctl(&e.fg, "fault storvsc medium-error 2", &out),
		      "OK\n"));
	CHECK(stat_is(&e, "storvsp.armed=medium-error:2\n"));
	CHECK(!strcmp(fake_ctl(&e.fg, "fault storvsc none", &out), "OK\n"));
	CHECK(stat_is(&e, "storvsp.armed=none:0\n"));
	mk_srb(&vp, 0, cdb_r10, 10, VSTOR_SRB_READ, 4096);
	CHECK(srb(&e, &e.fc, &vp, buf) == 0 &&
	      vp.srb.srb_status == VSTOR_SRB_SUCCESS);
	CHECK(stat_is(&e, "storvsp.fault.medium-error=0\n"));
	hv_buf_free(&out);
	env_destroy(&e);
}

/* A TUR to @lun fails with UNIT ATTENTION @asc/@ascq. */
static bool tur_ua(struct stor_env *e, uint8_t lun, uint8_t asc,
		   uint8_t ascq)
{
	struct vstor_packet vp;

	mk_srb(&vp, lun, cdb_tur, 6, VSTOR_SRB_UNKNOWN, 0);
	return srb(e, &e->fc, &vp, 0) == VSTOR_STATUS_IO_DEVICE_ERROR &&
	       failed_with(&vp, VSTOR_SRB_ERROR, SCSI_SENSE_UNIT_ATTENTION,
			   asc, ascq);
}

static bool tur_ok(struct stor_env *e, uint8_t lun)
{
	struct vstor_packet vp;

	mk_srb(&vp, lun, cdb_tur, 6, VSTOR_SRB_UNKNOWN, 0);
	return srb(e, &e->fc, &vp, 0) == 0 &&
	       vp.srb.srb_status == VSTOR_SRB_SUCCESS && !vp.srb.scsi_status;
}

TEST(test_storvsp_fault_unit_attention,
     "storvsp: fault ua-*: one UNIT ATTENTION per LUN, COUNT in all")
{
	struct hv_buf out = { 0 };
	struct vstor_packet vp;
	struct stor_env e;
	uint64_t buf;
	uint8_t *p;

	ASSERT_EQ(0, env_init_lun(&e, 3, false));
	buf = fake_alloc(&e.fg, 1);
	p = fake_ptr(&e.fg, buf);
	CHECK(!strcmp(fake_ctl(&e.fg, "fault storvsc ua-luns-changed 5",
			       &out), "OK\n"));
	/* INQUIRY and REPORT LUNS do not report it. */
	mk_srb(&vp, 0, cdb_inquiry, 6, VSTOR_SRB_READ, 96);
	CHECK(srb(&e, &e.fc, &vp, buf) == 0 &&
	      vp.srb.srb_status == VSTOR_SRB_SUCCESS);
	mk_srb(&vp, 0, cdb_report_luns, 12, VSTOR_SRB_READ, 64);
	CHECK(srb(&e, &e.fc, &vp, buf) == 0 &&
	      vp.srb.srb_status == VSTOR_SRB_SUCCESS);
	/* Once per LUN. */
	CHECK(tur_ua(&e, 0, 0x3f, 0x0e));
	CHECK(tur_ok(&e, 0));
	/* REQUEST SENSE gets it as its data. */
	mk_srb(&vp, 3, cdb_sense, 6, VSTOR_SRB_READ, 18);
	CHECK(srb(&e, &e.fc, &vp, buf) == 0 &&
	      vp.srb.srb_status == VSTOR_SRB_SUCCESS &&
	      vp.srb.data_transfer_length == 18 && p[0] == 0x70 &&
	      p[2] == SCSI_SENSE_UNIT_ATTENTION && p[12] == 0x3f &&
	      p[13] == 0x0e);
	CHECK(tur_ok(&e, 3));
	ASSERT_EQ(3, e.fg.stor->fault_count);
	/* COUNT commands in all. */
	fake_ctl(&e.fg, "fault storvsc ua-capacity-changed", &out);
	CHECK(tur_ua(&e, 3, 0x2a, 0x09));
	CHECK(tur_ok(&e, 0));
	fake_ctl(&e.fg, "fault storvsc ua-params-changed 2", &out);
	CHECK(tur_ua(&e, 0, 0x2a, 0x01));
	CHECK(tur_ua(&e, 3, 0x2a, 0x01));
	CHECK(tur_ok(&e, 0) && tur_ok(&e, 3));
	CHECK(stat_is(&e, "storvsp.fault.ua-luns-changed=2\n"));
	CHECK(stat_is(&e, "storvsp.fault.ua-capacity-changed=1\n"));
	CHECK(stat_is(&e, "storvsp.fault.ua-params-changed=2\n"));
	hv_buf_free(&out);
	env_destroy(&e);
}

TEST_F(stor, test_storvsp_fault_bad_scsi_status_sense,
     "storvsp: fault bad-scsi-status, bad-sense")
{
	struct hv_buf out = { 0 };
	struct vstor_packet vp;
	unsigned int i;

	fake_ctl(&f->fg, "fault storvsc bad-scsi-status", &out);
	mk_srb(&vp, 0, cdb_tur, 6, VSTOR_SRB_UNKNOWN, 0);
	CHECK(srb(f, &f->fc, &vp, 0) == VSTOR_STATUS_SUCCESS &&
	      vp.srb.srb_status == VSTOR_SRB_SUCCESS &&
	      vp.srb.scsi_status == 0x7e && !vp.srb.sense_info_length &&
	      !vp.srb.data_transfer_length);
	CHECK(tur_ok(f, 0));
	fake_ctl(&f->fg, "fault storvsc bad-sense 2", &out);
	mk_srb(&vp, 0, cdb_tur, 6, VSTOR_SRB_UNKNOWN, 0);
	ASSERT_EQ(VSTOR_STATUS_IO_DEVICE_ERROR, srb(f, &f->fc, &vp, 0));
	CHECK(vp.srb.srb_status ==
	      (VSTOR_SRB_ERROR | VSTOR_SRB_STATUS_AUTOSENSE_VALID) &&
	      vp.srb.scsi_status == SCSI_STATUS_CHECK_CONDITION &&
	      vp.srb.sense_info_length == VSTOR_SRB_SENSE_SIZE &&
	      !vp.srb.data_transfer_length && !vp.srb.data.sense_data[0]);
	for (i = 1; i < VSTOR_SRB_SENSE_SIZE; i++)
		ASSERT_EQ(0xa5, vp.srb.data.sense_data[i]);
	/* No more sense than the guest offered room for. */
	mk_srb(&vp, 0, cdb_tur, 6, VSTOR_SRB_UNKNOWN, 0);
	vp.srb.sense_info_length = 8;
	CHECK(srb(f, &f->fc, &vp, 0) == VSTOR_STATUS_IO_DEVICE_ERROR &&
	      vp.srb.sense_info_length == 8 && !vp.srb.data.sense_data[0] &&
	      vp.srb.data.sense_data[7] == 0xa5 &&
	      all_zero(vp.srb.data.sense_data + 8, VSTOR_SRB_SENSE_SIZE - 8));
	CHECK(tur_ok(f, 0));
	CHECK(stat_is(f, "storvsp.fault.bad-scsi-status=1\n"));
	CHECK(stat_is(f, "storvsp.fault.bad-sense=2\n"));
	hv_buf_free(&out);
}

/* An illegal request of @len bytes in: INVALID_REQUEST, 05/@asc/00. */
static bool illegal(struct stor_env *e, const uint8_t *cdb, uint8_t cdb_len,
		    uint32_t len, uint8_t asc)
{
	struct vstor_packet vp;
	uint64_t buf = fake_alloc(&e->fg, 1);

	mk_srb(&vp, 0, cdb, cdb_len, len ? VSTOR_SRB_READ : VSTOR_SRB_UNKNOWN,
	       len);
	return srb(e, &e->fc, &vp, buf) == VSTOR_STATUS_IO_DEVICE_ERROR &&
	       failed_with(&vp, VSTOR_SRB_INVALID_REQUEST,
			   SCSI_SENSE_ILLEGAL_REQUEST, asc, 0);
}

/* What Hyper-V does not support it answers as an illegal request. */
TEST_F(stor, test_storvsp_illegal_requests,
     "storvsp: unsupported opcode, page, service action: 05/20, 05/24")
{
	static const uint8_t opcode[6] = { 0xc7 };
	static const uint8_t vpd99[6] = { 0x12, 1, 0x99, 0, 64, 0 };
	static const uint8_t page1c[6] = { 0x1a, 0, 0x1c, 0, 64, 0 };
	static const uint8_t saved[10] = { 0x5a, 0, 0xc8, [8] = 64 };
	static const uint8_t sa12[16] = { 0x9e, 0x12, [13] = 32 };
	static const uint8_t r10_0[10] = { 0x28 };
	static const uint8_t r16_big[16] = { 0x88, [13] = 16 };
	struct vstor_packet vp;
	uint64_t buf;
	uint8_t *p;

	CHECK(illegal(f, opcode, 6, 0, 0x20));	/* invalid opcode */
	CHECK(illegal(f, vpd99, 6, 64, 0x24));	/* invalid field in CDB */
	CHECK(illegal(f, page1c, 6, 64, 0x24));
	CHECK(illegal(f, saved, 10, 64, 0x24));
	CHECK(illegal(f, sa12, 16, 32, 0x24));
	CHECK(illegal(f, r10_0, 10, 0, 0x21));	/* no blocks */
	CHECK(illegal(f, r16_big, 16, 4096, 0x21)); /* buffer too small */
	/* REQUEST SENSE: the last error, cleared by a command that works. */
	buf = fake_alloc(&f->fg, 1);
	p = fake_ptr(&f->fg, buf);
	mk_srb(&vp, 0, cdb_sense, 6, VSTOR_SRB_READ, 18);
	ASSERT_EQ(0, srb(f, &f->fc, &vp, buf));
	CHECK(p[0] == 0x70 && p[2] == SCSI_SENSE_ILLEGAL_REQUEST &&
	      p[12] == 0x21);
	CHECK(tur_ok(f, 0));
	mk_srb(&vp, 0, cdb_sense, 6, VSTOR_SRB_READ, 18);
	ASSERT_EQ(0, srb(f, &f->fc, &vp, buf));
	CHECK(p[0] == 0x70 && !p[2] && !p[12]);
	ASSERT_EQ(7, f->ctrl->stats.errors);
}

/* An error of the image file: MEDIUM ERROR 00/00, as Hyper-V's disk. */
TEST_F(stor, test_storvsp_io_error,
     "storvsp: an I/O error of the image: MEDIUM ERROR 00/00")
{
	struct vstor_packet vp;
	uint64_t buf;
	int fd;

	buf = fake_alloc(&f->fg, 1);
	/* Writes to a read-only descriptor fail with EBADF. */
	fd = open(f->img, O_RDONLY);
	CHECK(fd >= 0 && dup2(fd, f->ctrl->luns[0]->disk.fd) >= 0);
	close(fd);
	mk_srb(&vp, 0, cdb_w10, 10, VSTOR_SRB_WRITE, 4096);
	ASSERT_EQ(VSTOR_STATUS_IO_DEVICE_ERROR, srb(f, &f->fc, &vp, buf));
	CHECK(failed_with(&vp, VSTOR_SRB_ERROR, SCSI_SENSE_MEDIUM_ERROR, 0, 0));
	mk_srb(&vp, 0, cdb_r10, 10, VSTOR_SRB_READ, 4096);
	CHECK(srb(f, &f->fc, &vp, buf) == 0 &&
	      vp.srb.srb_status == VSTOR_SRB_SUCCESS);
}

/*
 * Hot-plug as Hyper-V signals it: ENUMERATE_BUS (status 0, no completion
 * asked) once the handshake is done, never before; no unit attention.
 */
TEST(test_storvsp_hotplug_signal,
     "storvsp: hot-plug: ENUMERATE_BUS once ready, no unit attention")
{
	struct vmbus_packet_desc d;
	struct vstor_packet vp;
	struct stor_env e;

	ASSERT_EQ(0, env_init(&e));
	ASSERT_EQ(0, make_image(e.img2, false));
	ASSERT_EQ(0, add_disk(&e, e.img2, 1, false));	/* before the handshake */
	ASSERT_EQ(0, gring_used(&e.fc.in));
	ASSERT_EQ(0, handshake(&e));
	ASSERT_EQ(0, gring_used(&e.fc.in));
	ASSERT_EQ(0, storvsp_disk_remove(e.ctrl, 1));
	CHECK(recv_vp(&e.fc, &d, &vp) == sizeof(vp) &&
	      d.type == VMBUS_PKT_DATA_INBAND && !d.trans_id && !d.flags &&
	      vp.operation == VSTOR_OP_ENUMERATE_BUS && !vp.flags &&
	      vp.status == VSTOR_STATUS_SUCCESS && all_zero(vp.body,
							    sizeof(vp.body)));
	ASSERT_EQ(0, add_disk(&e, e.img2, 2, false));
	CHECK(recv_vp(&e.fc, &d, &vp) == sizeof(vp) &&
	      vp.operation == VSTOR_OP_ENUMERATE_BUS);
	ASSERT_EQ(0, gring_used(&e.fc.in));
	/* The LUNs that stayed and the new one: no UNIT ATTENTION. */
	CHECK(tur_ok(&e, 0) && tur_ok(&e, 2));
	env_destroy(&e);
}

/* no-completion: the I/O is done, the answer never comes; close frees it. */
TEST_F(stor, test_storvsp_fault_no_completion,
     "storvsp: fault no-completion: held, freed by close or rescind")
{
	struct vmbus_msg_relid close = {
		.header.msgtype = VMBUS_MSG_CLOSECHANNEL,
	};
	static uint8_t file[4096];
	struct hv_buf out = { 0 };
	struct vmbus_msg_relid resc;
	struct vstor_packet vp;
	uint64_t buf;

	buf = fake_alloc(&f->fg, 1);
	fake_ctl(&f->fg, "fault storvsc no-completion 2", &out);
	memset(fake_ptr(&f->fg, buf), 0xee, 4096);
	mk_srb(&vp, 0, cdb_r10, 10, VSTOR_SRB_READ, 4096);
	send_srb(f, &f->fc, 500, &vp, buf, 4096);
	mk_srb(&vp, 0, cdb_tur, 6, VSTOR_SRB_UNKNOWN, 0);
	send_srb(f, &f->fc, 501, &vp, 0, 0);
	drain_io(f);
	ASSERT_EQ(0, gring_used(&f->fc.in));
	CHECK(f->ctrl->inflight == 0 && f->fg.stor->held == 2);
	CHECK(image_read(f->img, file, sizeof(file), 8 * 512) == 0 &&
	      !memcmp(fake_ptr(&f->fg, buf), file, sizeof(file)));
	CHECK(stat_is(f, "storvsp.held=2\n"));
	CHECK(tur_ok(f, 0));
	/* Resets do not release them, a close does. */
	ASSERT_EQ(0, simple(f, VSTOR_OP_RESET_BUS));
	CHECK(gring_used(&f->fc.in) == 0 && f->fg.stor->held == 2);
	close.child_relid = f->fc.relid;
	fake_post(&f->fg, 1, &close, sizeof(close));
	CHECK(f->fg.stor->held == 0 && f->ctrl->refs == 1);
	/* A rescind is not held up by them either. */
	ASSERT_EQ(0, fake_open(&f->fg, &f->offers[0], &f->fc, 8, 8));
	ASSERT_EQ(0, handshake(f));
	fake_ctl(&f->fg, "fault storvsc no-completion", &out);
	mk_srb(&vp, 0, cdb_tur, 6, VSTOR_SRB_UNKNOWN, 0);
	send_srb(f, &f->fc, 502, &vp, 0, 0);
	ASSERT_EQ(1, f->fg.stor->held);
	CHECK(vmbus_server_rescind(&f->fg.h.srv, &f->offers[0].if_instance) ==
	      0);
	CHECK(fake_recv_type(&f->fg, VMBUS_MSG_RESCIND_CHANNELOFFER, &resc,
			     sizeof(resc)) == sizeof(resc));
	ASSERT_EQ(0, f->fg.stor->held);
	CHECK(stat_is(f, "storvsp.fault.no-completion=3\n"));
	hv_buf_free(&out);
}

/*
 * subchannel-late: CREATE_SUB_CHANNELS gets no answer and no offers until
 * the next request on the primary, which first gets the late answer (with
 * the old id) and the offers, then its own answer.
 */
TEST_F(stor, test_storvsp_fault_subchannel_late,
       "storvsp: fault subchannel-late: answer and offers come late")
{
	struct vmbus_msg_offer sub;
	struct hv_buf out = { 0 };
	struct vstor_packet vp = { 0 };
	uint64_t late_id;

	fake_ctl(&f->fg, "fault storvsc subchannel-late", &out);
	late_id = ++f->id;
	vp.operation = VSTOR_OP_CREATE_SUB_CHANNELS;
	vp.flags = VSTOR_FLAG_REQUEST_COMPLETION;
	vp.sub_channel_count = 1;
	send_vp(f, &f->fc, late_id, &vp, sizeof(vp));
	ASSERT_EQ(0, gring_used(&f->fc.in));
	CHECK(fake_recv_type(&f->fg, VMBUS_MSG_OFFERCHANNEL, &sub,
			     sizeof(sub)) < 0);
	mk_srb(&vp, 0, cdb_tur, 6, VSTOR_SRB_UNKNOWN, 0);
	send_srb(f, &f->fc, ++f->id, &vp, 0, 0);
	drain_io(f);
	CHECK(recv_comp(&f->fc, late_id, &vp) == VSTOR_STATUS_SUCCESS);
	CHECK(fake_recv_type(&f->fg, VMBUS_MSG_OFFERCHANNEL, &sub,
			     sizeof(sub)) == sizeof(sub) &&
	      sub.sub_channel_index == 1);
	CHECK(recv_comp(&f->fc, f->id, &vp) == 0 &&
	      vp.srb.srb_status == VSTOR_SRB_SUCCESS);
	/* Held once per fault: the next request is answered at once. */
	CHECK(tur_ok(f, 0));
	CHECK(stat_is(f, "storvsp.fault.subchannel-late=1\n"));
	hv_buf_free(&out);
}

/* Bad arguments: a clear error, nothing armed. */
TEST(test_storvsp_fault_args, "storvsp: fault storvsc: bad arguments refused")
{
	struct hv_buf out = { 0 };
	struct stor_env e;

	ASSERT_EQ(0, env_init(&e));
	CHECK(strstr(fake_ctl(&e.fg, "fault storvsc medium-errors", &out),
		     "ERR unknown storvsc fault, expected bad-length|"));
	CHECK(strstr(fake_ctl(&e.fg, "fault storvsc no-completion 0", &out),
		     "ERR bad count"));
	CHECK(strstr(fake_ctl(&e.fg, "fault storvsc bad-sense x", &out),
		     "ERR bad count"));
	CHECK(!strncmp(fake_ctl(&e.fg, "fault storvsc ua-luns-changed 1 2",
				&out), "ERR", 3));
	CHECK(e.fg.stor->fault == STORVSP_FAULT_NONE &&
	      !e.fg.stor->fault_count);
	hv_buf_free(&out);
	env_destroy(&e);
}

static const char *ctl(struct stor_env *e, const char *fmt, const char *a,
		       const char *b, struct hv_buf *out)
{
	char line[256];

	snprintf(line, sizeof(line), fmt, a, b);
	return fake_ctl(&e->fg, line, out);
}

static bool got_enumerate(struct stor_env *e)
{
	struct vmbus_packet_desc d;
	struct vstor_packet vp;

	return recv_vp(&e->fc, &d, &vp) == sizeof(vp) &&
	       d.type == VMBUS_PKT_DATA_INBAND && !d.trans_id && !d.flags &&
	       vp.operation == VSTOR_OP_ENUMERATE_BUS;
}

TEST_F(stor, test_storvsp_disk_add_remove,
     "storvsp: disk add/remove, ENUMERATE_BUS, list, stats")
{
	static const uint8_t r10[10] = { 0x28, [8] = 8 };
	char guid[HV_GUID_STR_LEN + 1], spec[64];
	struct hv_buf out = { 0 };
	struct vstor_packet vp;
	uint64_t buf, id;

	ASSERT_EQ(0, make_image(f->img2, false));
	hv_guid_format(&f->offers[0].if_instance, guid);
	snprintf(spec, sizeof(spec), "%s,ro,lun=2", f->img2);
	CHECK(!strcmp(ctl(f, "disk add %s %s", spec, guid, &out),
		      "lun=2\nOK\n"));
	CHECK(got_enumerate(f));
	CHECK(!strncmp(ctl(f, "disk add %s %s", spec, guid, &out), "ERR", 3));
	CHECK(!strncmp(ctl(f, "disk add %s %s", "/nonexistent", guid, &out),
		       "/nonexistent: No such file", 26));
	CHECK(!strncmp(ctl(f, "disk add %s %s", f->img2,
			   "11111111-2222-4333-8444-555555555555", &out),
		       "ERR", 3));
	CHECK(strstr(ctl(f, "list%s%s", "", "", &out), "lun=2 file="));
	CHECK(strstr(out.s, " ro=1\n") && strstr(out.s, "lun=0 file="));
	buf = fake_alloc(&f->fg, 1);
	mk_srb(&vp, 2, r10, 10, VSTOR_SRB_READ, 4096);
	CHECK(srb(f, &f->fc, &vp, buf) == 0 &&
	      vp.srb.srb_status == VSTOR_SRB_SUCCESS);
	CHECK(!strcmp(ctl(f, "disk remove %s %s", guid, "2", &out), "OK\n"));
	CHECK(got_enumerate(f));
	CHECK(!strncmp(ctl(f, "disk remove %s %s", guid, "2", &out), "ERR",
		       3));
	mk_srb(&vp, 2, r10, 10, VSTOR_SRB_READ, 4096);
	CHECK(srb(f, &f->fc, &vp, buf) == VSTOR_STATUS_DEVICE_DOES_NOT_EXIST &&
	      vp.srb.srb_status == VSTOR_SRB_INVALID_LUN);
	/* In flight while removed: completes as it ran, as on Hyper-V. */
	mk_srb(&vp, 0, r10, 10, VSTOR_SRB_READ, 4096);
	id = ++f->id;
	send_srb(f, &f->fc, id, &vp, buf, 4096);
	CHECK(!strcmp(ctl(f, "disk remove %s %s", guid, "0", &out), "OK\n"));
	CHECK(got_enumerate(f));
	drain_io(f);
	CHECK(recv_comp(&f->fc, id, &vp) == 0 &&
	      vp.srb.srb_status == VSTOR_SRB_SUCCESS &&
	      vp.srb.data_transfer_length == 4096);
	/* Then it is gone. */
	mk_srb(&vp, 0, r10, 10, VSTOR_SRB_READ, 4096);
	CHECK(srb(f, &f->fc, &vp, buf) == VSTOR_STATUS_DEVICE_DOES_NOT_EXIST &&
	      vp.srb.srb_status == VSTOR_SRB_INVALID_LUN);
	/* The lowest free LUN by default. */
	CHECK(!strcmp(ctl(f, "disk add %s %s", f->img2, guid, &out),
		      "lun=0\nOK\n"));
	CHECK(strstr(ctl(f, "stats%s%s", "", "", &out), ".srbs=4\n"));
	hv_buf_free(&out);
}

/* `offer scsi` makes an empty controller that `disk add` fills. */
TEST(test_storvsp_offer_scsi,
     "storvsp: offer scsi, disk add, rescind before the guest")
{
	const char *guid = "88888888-2222-4333-8444-555555555500";
	struct vmbus_msg_offer offers[2];
	struct hv_buf out = { 0 };
	struct stor_env e;

	memset(&e, 0, sizeof(e));
	fake_init(&e.fg);
	ASSERT_EQ(0, make_image(e.img, false));
	CHECK(!strcmp(ctl(&e, "offer scsi %s%s", guid, "", &out),
		      "instance=88888888-2222-4333-8444-555555555500 relid=1\nOK\n"));
	CHECK(e.fg.stor->ctrls && !e.fg.stor->ctrls->luns[0]);
	CHECK(!strcmp(ctl(&e, "disk add %s,lun=4 %s", e.img, guid, &out),
		      "lun=4\nOK\n"));
	CHECK(strstr(ctl(&e, "list%s%s", "", "", &out),
		     "scsi 88888888-2222-4333-8444-555555555500 lun=4 file="));
	/* Never offered to a guest: a rescind frees it at once. */
	CHECK(!strcmp(ctl(&e, "rescind %s%s", guid, "", &out), "OK\n"));
	CHECK(!e.fg.stor->ctrls);
	CHECK(!strncmp(ctl(&e, "disk add %s %s", e.img, guid, &out), "ERR", 3));
	ASSERT_EQ(1, fake_connect(&e.fg, VMBUS_VERSION(5, 3), true));
	ASSERT_EQ(0, fake_request_offers(&e.fg, offers, 2));
	hv_buf_free(&out);
	env_destroy(&e);
}

/* Rescind with I/O in flight: the guest is told once it is done. */
TEST_F(stor, test_storvsp_rescind_inflight,
     "storvsp: rescind with I/O in flight waits, then completes")
{
	static const uint8_t r10[10] = { 0x28, [8] = 8 };
	struct vmbus_msg_relid rel = {
		.header.msgtype = VMBUS_MSG_RELID_RELEASED,
	};
	struct vmbus_msg_relid resc;
	struct vstor_packet vp;
	uint64_t buf;

	buf = fake_alloc(&f->fg, 1);
	mk_srb(&vp, 0, r10, 10, VSTOR_SRB_READ, 4096);
	send_srb(f, &f->fc, 77, &vp, buf, 4096);
	ASSERT_EQ(1, f->ctrl->inflight);
	CHECK(vmbus_server_rescind(&f->fg.h.srv, &f->offers[0].if_instance) ==
	      0);
	CHECK(!f->primary->open);
	CHECK(fake_recv(&f->fg, &resc, sizeof(resc)) < 0);
	drain_io(f);
	CHECK(fake_recv_type(&f->fg, VMBUS_MSG_RESCIND_CHANNELOFFER, &resc,
			     sizeof(resc)) == sizeof(resc));
	ASSERT_EQ(0, gring_used(&f->fc.in));	/* into nothing */
	rel.child_relid = f->fc.relid;
	fake_post(&f->fg, 1, &rel, sizeof(rel));
	CHECK(!f->fg.stor->ctrls);
}

/* The guest closes with I/O in flight: it finishes into nothing. */
TEST_F(stor, test_storvsp_close_inflight,
       "storvsp: guest close with I/O in flight")
{
	static const uint8_t r10[10] = { 0x28, [8] = 8 };
	struct vmbus_msg_relid close = {
		.header.msgtype = VMBUS_MSG_CLOSECHANNEL,
	};
	struct vstor_packet vp;
	uint64_t buf;
	int i;

	buf = fake_alloc(&f->fg, 1);
	for (i = 0; i < 8; i++) {
		mk_srb(&vp, 0, r10, 10, VSTOR_SRB_READ, 4096);
		send_srb(f, &f->fc, 50 + i, &vp, buf, 4096);
	}
	close.child_relid = f->fc.relid;
	fake_post(&f->fg, 1, &close, sizeof(close));
	ASSERT_EQ(8, f->ctrl->inflight);
	drain_io(f);
	CHECK(f->ctrl->inflight == 0 && f->ctrl->refs == 1);
	ASSERT_EQ(0, fake_open(&f->fg, &f->offers[0], &f->fc, 8, 8));
	ASSERT_EQ(0, handshake(f));
}

static int parse(struct hvhost_options *opt, const char *args)
{
	char buf[512], *argv[16], *save, *tok;
	int argc = 0;

	snprintf(buf, sizeof(buf), "hvhost --socket s --mem m --mem-size 64M %s",
		 args);
	for (tok = strtok_r(buf, " ", &save); tok && argc < 15;
	     tok = strtok_r(NULL, " ", &save))
		argv[argc++] = tok;
	argv[argc] = NULL;
	optind = 1;
	hvhost_options_free(opt);
	return hvhost_parse_options(opt, argc, argv);
}

/* The SCSI class's part of the command line. */
#define SO(opt)		storvsp_options_of(opt, "scsi")

TEST(test_storvsp_options, "storvsp: --disk and --storvsc-* options")
{
	struct hvhost_options *opt = calloc(1, sizeof(*opt));
	const char *args;

	CHECK(opt);
	ASSERT_EQ(0, parse(opt, "--disk=a --disk=b,lun=0 --disk=c,ro"));
	CHECK(opt->nr_devices == 1 && SO(opt)->nr_disks == 3);
	CHECK(!strcmp(opt->devices[0].cls->name, "scsi"));
	/* Explicit LUNs first, then the lowest free ones in order. */
	CHECK(SO(opt)->disks[0].lun == 1 && SO(opt)->disks[1].lun == 0 &&
	      SO(opt)->disks[2].lun == 2 && SO(opt)->disks[2].read_only);
	args = "--echo --scsi --scsi --disk=a,ctrl=1,lun=5 --disk=b,ctrl=1";
	ASSERT_EQ(0, parse(opt, args));
	CHECK(opt->nr_devices == 3 && SO(opt)->disks[0].ctrl == 1 &&
	      SO(opt)->disks[1].lun == 0);
	CHECK(parse(opt, "--scsi --disk=a,ctrl=1") < 0);
	CHECK(parse(opt, "--disk=a,lun=3 --disk=b,lun=3") < 0);
	CHECK(parse(opt, "--disk=a,lun=3 --disk=b,lun=3,ctrl=0") < 0);
	CHECK(parse(opt, "--disk=a,rw") < 0);
	CHECK(parse(opt, "--disk=a,lun=256") < 0);
	args = "--storvsc-max-version 6.0 --storvsc-channels 0 --storvsc-max-transfer 256K";
	ASSERT_EQ(0, parse(opt, args));
	CHECK(SO(opt)->cfg.max_version == VSTOR_VERSION_WIN8_1 &&
	      SO(opt)->cfg.max_channels == 0 &&
	      SO(opt)->cfg.max_transfer == 256 * 1024);
	CHECK(parse(opt, "--storvsc-max-version 4.2") < 0);
	CHECK(parse(opt, "--storvsc-max-transfer 16M") < 0);
	hvhost_options_free(opt);
	free(opt);
}

#define IO(opt)		storvsp_options_of(opt, "ide")

/* The instance GUID an IDE place is offered with, as text. */
static bool ide_guid_is(unsigned int chan, unsigned int unit, const char *s)
{
	char buf[HV_GUID_STR_LEN + 1];
	guid_t g;

	storvsp_ide_instance(chan, unit, &g);
	hv_guid_format(&g, buf);
	return !strcmp(buf, s);
}

TEST(test_storvsp_ide_guid, "storvsp: IDE instance GUIDs encode channel and unit")
{
	uint8_t chan = 9, unit = 9;
	guid_t g;

	CHECK(ide_guid_is(0, 0, "00000000-0000-8899-0000-000000000000"));
	CHECK(ide_guid_is(0, 1, "00000000-0001-8899-0000-000000000000"));
	CHECK(ide_guid_is(1, 0, "00000001-0000-8899-0000-000000000000"));
	CHECK(ide_guid_is(1, 1, "00000001-0001-8899-0000-000000000000"));
	storvsp_ide_instance(1, 1, &g);
	CHECK(g.b[0] == 1 && g.b[4] == 1 && g.b[6] == 0x99 && g.b[7] == 0x88);
	CHECK(storvsp_ide_location(&g, &chan, &unit) && chan == 1 && unit == 1);
	/* Another form, or a place that does not exist: not an IDE place. */
	ASSERT_EQ(0, hv_guid_parse("00000002-0000-8899-0000-000000000000", &g));
	CHECK(!storvsp_ide_location(&g, &chan, &unit) && !chan && !unit);
	ASSERT_EQ(0, hv_guid_parse("00000000-0000-8899-0000-000000000001", &g));
	CHECK(!storvsp_ide_location(&g, &chan, &unit));
	ASSERT_EQ(0, hv_guid_parse("00000001-0001-8898-0000-000000000000", &g));
	CHECK(!storvsp_ide_location(&g, &chan, &unit));
}

TEST(test_storvsp_ide_options, "storvsp: --ide-disk places and offers")
{
	struct hvhost_options *opt = calloc(1, sizeof(*opt));
	char buf[HV_GUID_STR_LEN + 1];
	const char *args;
	guid_t g;

	CHECK(opt);
	/* Explicit places first, then the first free ones in order. */
	args = "--ide-disk=a --ide-disk=b,ctrl=1,ro --ide-disk=c,ctrl=0,unit=0";
	ASSERT_EQ(0, parse(opt, args));
	ASSERT_EQ(3, opt->nr_devices);
	CHECK(IO(opt)->disks[0].ide_chan == 0 && IO(opt)->disks[0].ide_unit == 1);
	CHECK(IO(opt)->disks[1].ide_chan == 1 && IO(opt)->disks[1].ide_unit == 0 &&
	      IO(opt)->disks[1].read_only);
	CHECK(IO(opt)->disks[2].ide_chan == 0 && IO(opt)->disks[2].ide_unit == 0);
	CHECK(!strcmp(opt->devices[0].cls->name, "ide") &&
	      opt->devices[0].has_instance && !opt->devices[0].monitor);
	hv_guid_format(&opt->devices[1].instance, buf);
	CHECK(!strcmp(buf, "00000001-0000-8899-0000-000000000000"));
	CHECK(IO(opt)->disks[0].ctrl == 0 && IO(opt)->disks[2].ctrl == 2 &&
	      IO(opt)->disks[0].lun == 0);
	/* After the --ide devices, which keep their own GUIDs. */
	ASSERT_EQ(0, parse(opt, "--ide --ide-disk=a,unit=1"));
	CHECK(opt->nr_devices == 2 && IO(opt)->disks[0].ctrl == 1);
	storvsp_ide_instance(0, 1, &g);
	CHECK(hv_guid_equal(&opt->devices[1].instance, &g));
	CHECK(parse(opt, "--ide-disk=a,ctrl=1,unit=1 --ide-disk=b,ctrl=1,unit=1") < 0);
	CHECK(parse(opt, "--ide=00000000-0000-8899-0000-000000000000 --ide-disk=a,ctrl=0,unit=0") < 0);
	CHECK(parse(opt, "--ide-disk=a,ctrl=2") < 0);
	CHECK(parse(opt, "--ide-disk=a,unit=2") < 0);
	CHECK(parse(opt, "--ide-disk=a,lun=1") < 0);
	CHECK(parse(opt, "--ide-disk=,ro") < 0);
	CHECK(parse(opt, "--ide-disk=a,ctrl=1 --ide-disk=b,ctrl=1 --ide-disk=c,ctrl=1") < 0);
	args = "--ide-disk=a --ide-disk=b --ide-disk=c --ide-disk=d --ide-disk=e";
	CHECK(parse(opt, args) < 0);
	hvhost_options_free(opt);
	free(opt);
}

/* INQUIRY of path @path, target @target, LUN @lun: byte 0 of its data. */
static int ide_inquiry(struct stor_env *e, uint8_t path, uint8_t target,
		       uint8_t lun, uint64_t buf)
{
	struct vstor_packet vp;
	uint8_t *p = fake_ptr(&e->fg, buf);

	memset(p, 0xee, 96);
	mk_srb(&vp, lun, cdb_inquiry, 6, VSTOR_SRB_READ, 96);
	vp.srb.path_id = path;
	vp.srb.target_id = target;
	if (srb(e, &e->fc, &vp, buf) || vp.srb.srb_status != VSTOR_SRB_SUCCESS)
		return -1;
	return p[0];
}

/* Every key of a `stats` reply appears once. */
static bool keys_unique(const char *text)
{
	const char *line, *other, *eq;
	size_t len;

	for (line = text; (eq = strchr(line, '=')); line = strchr(eq, '\n') + 1) {
		len = eq - line + 1;
		for (other = strchr(eq, '\n') + 1; *other;
		     other = strchr(other, '\n') + 1)
			if (!strncmp(other, line, len))
				return false;
		if (!strchr(eq, '\n'))
			break;
	}
	return true;
}

TEST(test_storvsp_ide_channel,
     "storvsp: IDE offer: handshake without sub-channels, the disk at its target")
{
	static const uint8_t r10[10] = { 0x28, 0, 0, 0, 0, 8, 0, 0, 8, 0 };
	const guid_t ide = VMBUS_CLASS_IDE;
	static uint8_t file[8 * 512];
	struct vstor_packet vp = { 0 };
	struct hv_buf out = { 0 };
	const char *stats;
	struct stor_env e;
	uint64_t buf;
	guid_t g;

	storvsp_ide_instance(1, 1, &g);
	ASSERT_EQ(0, env_init_class(&e, "ide", &g, 8, 8));
	CHECK(hv_guid_equal(&e.offers[0].if_type, &ide) &&
	      hv_guid_equal(&e.offers[0].if_instance, &g));
	CHECK(e.ctrl->path == 1 && e.ctrl->target == 1);
	ASSERT_EQ(0, simple(&e, VSTOR_OP_BEGIN_INITIALIZATION));
	ASSERT_EQ(0, version(&e, VSTOR_VERSION_WIN10));
	ASSERT_EQ(0, request(&e, VSTOR_OP_QUERY_PROPERTIES, &vp));
	CHECK(!vp.properties.max_channel_cnt && !vp.properties.flags &&
	      vp.properties.max_transfer_bytes == 1U << 20);
	ASSERT_EQ(0, simple(&e, VSTOR_OP_END_INITIALIZATION));
	buf = fake_alloc(&e.fg, 2);
	/* Any path_id (the host puts the offer's channel there), its target. */
	ASSERT_EQ(0, ide_inquiry(&e, 0, 1, 0, buf));
	ASSERT_EQ(0, ide_inquiry(&e, 1, 1, 0, buf));
	/* No disk at the other target, nor past LUN 0. */
	ASSERT_EQ(0x7f, ide_inquiry(&e, 1, 0, 0, buf));
	ASSERT_EQ(0x7f, ide_inquiry(&e, 0, 1, 1, buf));
	mk_srb(&vp, 0, r10, 10, VSTOR_SRB_READ, sizeof(file));
	vp.srb.target_id = 1;
	ASSERT_EQ(0, srb(&e, &e.fc, &vp, buf));
	ASSERT_EQ(sizeof(file), vp.srb.data_transfer_length);
	ASSERT_EQ(0, image_read(e.img, file, sizeof(file), 8 * 512));
	CHECK(!memcmp(fake_ptr(&e.fg, buf), file, sizeof(file)));
	/* Its own counters and faults: `fault blkvsc`, not storvsc's. */
	CHECK(e.ctrl->stats.reads == 1 && !e.fg.stor->ctrls);
	stats = ctl(&e, "stats%s%s", "", "", &out);
	CHECK(keys_unique(stats));
	CHECK(strstr(stats, "\nide.storvsp.held=0\n") &&
	      strstr(stats, "\nstorvsp.held=0\n") &&
	      strstr(stats, "\nide.00000001-0001-8899-0000-000000000000.reads=1\n"));
	CHECK(!strcmp(ctl(&e, "fault blkvsc bad-id %s%s", "1", "", &out),
		      "OK\n") && e.ctrl->sp->fault == STORVSP_FAULT_BAD_ID &&
	      e.fg.stor->fault == STORVSP_FAULT_NONE);
	hv_buf_free(&out);
	env_destroy(&e);
}

TEST(test_storvsp_dvd, "storvsp: --dvd, dvd eject and insert on an IDE DVD drive")
{
	struct hvhost_options *opt = calloc(1, sizeof(*opt));
	char guid[HV_GUID_STR_LEN + 1];
	struct storvsp_disk_spec d;
	struct hv_buf out = { 0 };
	char serial[sizeof(((struct scsi_disk *)0)->serial)];
	struct storvsp_lun *first;
	struct vstor_packet vp;
	struct stor_env e;
	unsigned int lun;
	guid_t g;

	CHECK(opt);
	ASSERT_EQ(0, parse(opt, "--dvd=a.iso,ctrl=1 --dvd= --dvd=unit=1"));
	CHECK(IO(opt)->disks[0].dvd && IO(opt)->disks[0].read_only &&
	      !strcmp(IO(opt)->disks[0].path, "a.iso") &&
	      IO(opt)->disks[0].ide_chan == 1 && IO(opt)->disks[0].ide_unit == 0);
	CHECK(!IO(opt)->disks[1].path[0] && IO(opt)->disks[1].ide_chan == 0 &&
	      IO(opt)->disks[1].ide_unit == 0);
	CHECK(!IO(opt)->disks[2].path[0] && IO(opt)->disks[2].ide_unit == 1);
	CHECK(parse(opt, "--dvd=a.iso,lun=2") < 0);
	hvhost_options_free(opt);
	free(opt);

	storvsp_ide_instance(1, 0, &g);
	hv_guid_format(&g, guid);
	ASSERT_EQ(0, env_init_class(&e, "ide", &g, 8, 8));
	CHECK(!strcmp(ctl(&e, "dvd eject %s%s", guid, "", &out),
		      "ERR not a DVD drive\n"));
	ASSERT_EQ(0, storvsp_disk_remove(e.ctrl, 0));
	CHECK(!storvsp_parse_dvd("", &d));
	ASSERT_EQ(0, storvsp_disk_add(e.ctrl, &d, &lun));
	first = e.ctrl->luns[0];
	CHECK(first->disk.dvd && !first->disk.medium);
	/* The insert replaces (and frees) the empty drive's LUN. */
	memcpy(serial, first->disk.serial, sizeof(serial));
	ASSERT_EQ(0, make_image(e.img2, false));
	CHECK(!strcmp(ctl(&e, "dvd insert %s %s", e.img2, guid, &out), "OK\n"));
	CHECK(e.ctrl->luns[0]->disk.medium &&
	      e.ctrl->luns[0]->disk.media_event == SCSI_MEDIA_NEW &&
	      !strcmp(e.ctrl->luns[0]->disk.serial, serial));
	ASSERT_EQ(IMG_SIZE / 2048, e.ctrl->luns[0]->disk.blocks);
	CHECK(!strcmp(ctl(&e, "dvd eject %s%s", guid, "", &out), "OK\n"));
	CHECK(!e.ctrl->luns[0]->disk.medium &&
	      e.ctrl->luns[0]->disk.media_event == SCSI_MEDIA_REMOVAL);
	CHECK(!strncmp(ctl(&e, "dvd insert /nonexistent %s%s", guid, "", &out),
		       "/nonexistent: No such file", 26));
	CHECK(!strcmp(ctl(&e, "dvd eject %s%s", "00000001-0001-8899-0000-000000000000",
			  "", &out), "ERR no such IDE device\n"));
	CHECK(!strcmp(ctl(&e, "dvd open %s%s", guid, "", &out),
		      "ERR usage: dvd eject GUID | dvd insert FILE GUID\n"));
	/* Through the channel: TEST UNIT READY without a medium, 02/3a. */
	ASSERT_EQ(0, handshake(&e));
	mk_srb(&vp, 0, cdb_tur, 6, VSTOR_SRB_UNKNOWN, 0);
	ASSERT_EQ(VSTOR_STATUS_IO_DEVICE_ERROR, srb(&e, &e.fc, &vp, 0));
	CHECK(vp.srb.scsi_status == SCSI_STATUS_CHECK_CONDITION &&
	      vp.srb.data.sense_data[2] == SCSI_SENSE_NOT_READY &&
	      vp.srb.data.sense_data[12] == 0x3a);
	hv_buf_free(&out);
	env_destroy(&e);
}

TEST(test_storvsp_ide_reoffer,
     "storvsp: offer ide GUID of a command-line place brings its disk back")
{
	struct fake_guest *fg = calloc(1, sizeof(*fg));
	struct hv_buf out = { 0 };
	char img[32], cmd[128];
	const char *guid = "00000000-0001-8899-0000-000000000000";

	CHECK(fg);
	ASSERT_EQ(0, make_image(img, false));
	fake_init(fg);
	hvhost_classes_stop(&fg->h);
	snprintf(cmd, sizeof(cmd), "--ide-disk=%s,ctrl=0,unit=1", img);
	ASSERT_EQ(0, parse(&fg->h.opt, cmd));
	ASSERT_EQ(0, hvhost_classes_start(&fg->h));
	snprintf(cmd, sizeof(cmd), "offer ide %s", guid);
	CHECK(!strncmp(fake_ctl(fg, cmd, &out), "instance=", 9));
	fake_ctl(fg, "list", &out);
	CHECK(strstr(out.s, img));
	/* Another place has no disk of the command line. */
	CHECK(!strncmp(fake_ctl(fg, "offer ide 00000001-0000-8899-0000-000000000000",
				&out), "instance=", 9));
	fake_ctl(fg, "list", &out);
	CHECK(strstr(out.s, img) && !strstr(strstr(out.s, img) + 1, img));
	hv_buf_free(&out);
	fake_destroy(fg);
	free(fg);
	unlink(img);
}
