// SPDX-License-Identifier: GPL-2.0
/*
 * SCSI direct-access device on a raw image file. See scsi_disk.h.
 *
 * The image is addressed in 512-byte blocks and must be a whole number of
 * them. Medium access is described, not performed, so the caller can run
 * it asynchronously; everything else is answered from memory.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "log.h"
#include "scsi_disk.h"

/* Operation codes. */
#define TEST_UNIT_READY		0x00
#define REQUEST_SENSE		0x03
#define READ_6			0x08
#define WRITE_6			0x0a
#define INQUIRY			0x12
#define MODE_SENSE_6		0x1a
#define START_STOP_UNIT		0x1b
#define READ_CAPACITY_10	0x25
#define READ_10			0x28
#define WRITE_10		0x2a
#define SYNCHRONIZE_CACHE_10	0x35
#define UNMAP			0x42
#define GET_EVENT_STATUS	0x4a
#define MODE_SENSE_10		0x5a
#define READ_16			0x88
#define WRITE_16		0x8a
#define SYNCHRONIZE_CACHE_16	0x91
#define WRITE_SAME_16		0x93
#define SERVICE_ACTION_IN_16	0x9e
#define REPORT_LUNS		0xa0
#define READ_12			0xa8

#define SAI_READ_CAPACITY_16	0x10

/* Additional sense codes (ASC << 8 | ASCQ). */
#define ASC_INVALID_OPCODE	0x2000
#define ASC_LBA_OUT_OF_RANGE	0x2100
#define ASC_INVALID_FIELD_CDB	0x2400
#define ASC_INVALID_PARAM_LIST	0x2600
#define ASC_WRITE_PROTECTED	0x2700
#define ASC_PARAM_LIST_LENGTH	0x1a00
#define ASC_NO_MEDIUM		0x3a00
#define ASCQ_TRAY_CLOSED	0x01
#define ASCQ_TRAY_OPEN		0x02
#define ASC_CAPACITY_CHANGED	0x2a09

/* GET EVENT STATUS NOTIFICATION: the media class, polled operation. */
#define GESN_POLLED		0x01
#define GESN_CLASS_MEDIA	0x04
#define GESN_MEDIA_CLASS_BIT	(1 << GESN_CLASS_MEDIA)
#define GESN_NO_EVENT		0x80
#define GESN_MEDIA_PRESENT	0x02
/* START STOP UNIT byte 4: load/eject and start. */
#define SSU_LOEJ		0x02
#define SSU_START		0x01

#define MODE_PAGE_CACHING	0x08
#define MODE_PAGE_ALL		0x3f
#define MODE_PC_SAVED		0x3	/* page control: saved values */
#define MODE_DEVICE_WP		0x80

static uint16_t get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static uint64_t get_be64(const uint8_t *p)
{
	return (uint64_t)get_be32(p) << 32 | get_be32(p + 4);
}

static void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	put_be16(p, v >> 16);
	put_be16(p + 2, v);
}

static void put_be64(uint8_t *p, uint64_t v)
{
	put_be32(p, v >> 32);
	put_be32(p + 4, v);
}

/**
 * scsi_cmd_fail() - complete a command with CHECK CONDITION
 * @cmd: the command
 * @key: sense key
 * @asc: additional sense code
 * @ascq: its qualifier
 */
void scsi_cmd_fail(struct scsi_cmd *cmd, uint8_t key, uint8_t asc,
		   uint8_t ascq)
{
	memset(cmd->sense, 0, sizeof(cmd->sense));
	cmd->sense[0] = 0x70;		/* current error, fixed format */
	cmd->sense[2] = key;
	cmd->sense[7] = SCSI_SENSE_SIZE - 8;
	cmd->sense[12] = asc;
	cmd->sense[13] = ascq;
	cmd->status = SCSI_STATUS_CHECK_CONDITION;
	cmd->data_len = 0;
	cmd->io.kind = SCSI_IO_NONE;
}

/**
 * scsi_disk_fail() - fail a command of @disk, keeping the sense
 * @disk: the device
 * @cmd: the command
 * @key: sense key
 * @asc: additional sense code
 * @ascq: its qualifier
 *
 * As scsi_cmd_fail(); the sense is also what REQUEST SENSE returns next.
 */
void scsi_disk_fail(struct scsi_disk *disk, struct scsi_cmd *cmd,
		    uint8_t key, uint8_t asc, uint8_t ascq)
{
	scsi_cmd_fail(cmd, key, asc, ascq);
	memcpy(disk->sense, cmd->sense, sizeof(disk->sense));
}

static void fail(struct scsi_disk *disk, struct scsi_cmd *cmd, uint8_t key,
		 uint16_t asc)
{
	scsi_disk_fail(disk, cmd, key, asc >> 8, asc & 0xff);
}

/**
 * scsi_disk_unit_attention() - report a unit attention condition
 * @disk: the device
 * @cmd: the command it is reported to (decoded later if not failed)
 * @asc: additional sense code
 * @ascq: its qualifier
 *
 * REQUEST SENSE reports it as its data (scsi_disk_execute() still has to
 * run it); any other command fails with CHECK CONDITION, UNIT ATTENTION.
 *
 * Return: true when @cmd failed.
 */
bool scsi_disk_unit_attention(struct scsi_disk *disk, struct scsi_cmd *cmd,
			      uint8_t asc, uint8_t ascq)
{
	scsi_disk_fail(disk, cmd, SCSI_SENSE_UNIT_ATTENTION, asc, ascq);
	if (cmd->cdb[0] != REQUEST_SENSE)
		return true;
	cmd->status = SCSI_STATUS_GOOD;
	return false;
}

static void invalid_field(struct scsi_disk *disk, struct scsi_cmd *cmd)
{
	fail(disk, cmd, SCSI_SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD_CDB);
}

/* Copy a reply into the initiator's buffer, cut to its allocation. */
static void reply(struct scsi_cmd *cmd, const void *data, uint32_t len,
		  uint32_t alloc)
{
	if (len > alloc)
		len = alloc;
	if (len > cmd->buf_len)
		len = cmd->buf_len;
	memcpy(cmd->buf, data, len);
	cmd->data_len = len;
}

static void inquiry_standard(struct scsi_disk *disk, struct scsi_cmd *cmd,
			     uint32_t alloc)
{
	uint8_t d[36] = { 0 };

	d[0] = disk->dvd ? 0x05 : 0x00;	/* CD/DVD, or direct-access */
	d[1] = disk->dvd ? 0x80 : 0x00;	/* RMB: removable medium */
	d[2] = 0x06;			/* SPC-4 */
	d[3] = 0x02;			/* response data format 2 */
	d[4] = sizeof(d) - SCSI_INQUIRY_HEADER_SIZE;
	d[7] = 0x02;			/* CmdQue */
	memcpy(d + 8, "Msft    ", 8);
	memcpy(d + 16, disk->dvd ? "Virtual DVD-ROM " : "Virtual Disk    ",
	       16);
	memcpy(d + 32, "1.0 ", 4);
	reply(cmd, d, sizeof(d), alloc);
}

static const uint8_t vpd_pages[] = { 0x00, 0x80, 0x83, 0xb0, 0xb1, 0xb2 };

static uint32_t vpd_supported(uint8_t *d)
{
	memcpy(d + 4, vpd_pages, sizeof(vpd_pages));
	return 4 + sizeof(vpd_pages);
}

static uint32_t vpd_serial(struct scsi_disk *disk, uint8_t *d)
{
	size_t len = strlen(disk->serial);

	memcpy(d + 4, disk->serial, len);
	return 4 + len;
}

static uint32_t vpd_device_id(struct scsi_disk *disk, uint8_t *d)
{
	d[4] = 0x01;			/* binary code set */
	d[5] = 0x03;			/* LU association, NAA designator */
	d[7] = sizeof(disk->naa);
	memcpy(d + 8, disk->naa, sizeof(disk->naa));
	return 8 + sizeof(disk->naa);
}

static uint32_t vpd_block_limits(uint8_t *d)
{
	put_be32(d + 20, 0xffffffff);	/* maximum unmap LBA count */
	put_be32(d + 24, SCSI_MAX_UNMAP_RANGES);
	put_be32(d + 28, 4096 / SCSI_BLOCK_SIZE); /* unmap granularity */
	put_be64(d + 36, SCSI_MAX_WRITE_SAME / SCSI_BLOCK_SIZE);
	return 64;
}

static uint32_t vpd_characteristics(uint8_t *d)
{
	put_be16(d + 4, 0x0001);	/* non-rotating medium */
	return 64;
}

static uint32_t vpd_provisioning(uint8_t *d)
{
	d[5] = 0xe0;			/* LBPU, LBPWS, LBPWS10 */
	d[6] = 0x02;			/* thin provisioned */
	return 8;
}

static void inquiry_vpd(struct scsi_disk *disk, struct scsi_cmd *cmd,
			uint8_t page, uint32_t alloc)
{
	uint8_t d[64] = { 0 };
	uint32_t len;

	switch (page) {
	case 0x00:
		len = vpd_supported(d);
		break;
	case 0x80:
		len = vpd_serial(disk, d);
		break;
	case 0x83:
		len = vpd_device_id(disk, d);
		break;
	case 0xb0:
		len = vpd_block_limits(d);
		break;
	case 0xb1:
		len = vpd_characteristics(d);
		break;
	case 0xb2:
		len = vpd_provisioning(d);
		break;
	default:
		invalid_field(disk, cmd);
		return;
	}
	d[1] = page;
	put_be16(d + 2, len - 4);
	reply(cmd, d, len, alloc);
}

static void inquiry(struct scsi_disk *disk, struct scsi_cmd *cmd)
{
	const uint8_t *cdb = cmd->cdb;
	uint32_t alloc = get_be16(cdb + 3);

	if (cdb[1] & 0x01)
		inquiry_vpd(disk, cmd, cdb[2], alloc);
	else if (cdb[2])
		invalid_field(disk, cmd);
	else
		inquiry_standard(disk, cmd, alloc);
}

static void read_capacity_10(struct scsi_disk *disk, struct scsi_cmd *cmd)
{
	uint64_t last = disk->blocks - 1;
	uint8_t d[8];

	put_be32(d, last > 0xffffffff ? 0xffffffff : (uint32_t)last);
	put_be32(d + 4, disk->block_size);
	reply(cmd, d, sizeof(d), sizeof(d));
}

static void read_capacity_16(struct scsi_disk *disk, struct scsi_cmd *cmd)
{
	uint8_t d[32] = { 0 };

	if ((cmd->cdb[1] & 0x1f) != SAI_READ_CAPACITY_16) {
		invalid_field(disk, cmd);	/* unsupported service action */
		return;
	}
	put_be64(d, disk->blocks - 1);
	put_be32(d + 8, disk->block_size);
	if (!disk->dvd)
		d[14] = 0xc0;		/* LBPME; unmapped blocks read zero */
	reply(cmd, d, sizeof(d), get_be32(cmd->cdb + 10));
}

static uint32_t caching_page(uint8_t *p)
{
	p[0] = MODE_PAGE_CACHING;
	p[1] = 0x12;
	p[2] = 0x04;			/* WCE: flushes are needed */
	return 20;
}

static void mode_sense(struct scsi_disk *disk, struct scsi_cmd *cmd)
{
	bool ten = cmd->cdb[0] == MODE_SENSE_10;
	uint32_t hdr = ten ? 8 : 4, len;
	uint8_t page = cmd->cdb[2] & 0x3f;
	uint8_t d[64] = { 0 };

	if ((cmd->cdb[2] >> 6) == MODE_PC_SAVED ||
	    (page != MODE_PAGE_CACHING && page != MODE_PAGE_ALL)) {
		invalid_field(disk, cmd);
		return;
	}
	len = hdr + caching_page(d + hdr);
	if (ten) {
		put_be16(d, len - 2);
		d[3] = disk->read_only ? MODE_DEVICE_WP : 0;
	} else {
		d[0] = len - 1;
		d[2] = disk->read_only ? MODE_DEVICE_WP : 0;
	}
	reply(cmd, d, len, ten ? get_be16(cmd->cdb + 7) : cmd->cdb[4]);
}

static void request_sense(struct scsi_disk *disk, struct scsi_cmd *cmd)
{
	uint8_t d[SCSI_SENSE_SIZE];

	memcpy(d, disk->sense, sizeof(d));
	if (!d[0]) {
		d[0] = 0x70;
		d[7] = SCSI_SENSE_SIZE - 8;
	}
	memset(disk->sense, 0, sizeof(disk->sense));
	reply(cmd, d, sizeof(d), cmd->cdb[4]);
}

/* Decode LBA and block count of READ/WRITE (6), (10) and (16). */
static void rw_extent(const uint8_t *cdb, uint64_t *lba, uint32_t *count)
{
	switch (cdb[0]) {
	case READ_6:
	case WRITE_6:
		*lba = (uint32_t)(cdb[1] & 0x1f) << 16 | get_be16(cdb + 2);
		*count = cdb[4] ? cdb[4] : 256;
		break;
	case READ_10:
	case WRITE_10:
		*lba = get_be32(cdb + 2);
		*count = get_be16(cdb + 7);
		break;
	case READ_12:
		*lba = get_be32(cdb + 2);
		*count = get_be32(cdb + 6);
		break;
	default:
		*lba = get_be64(cdb + 2);
		*count = get_be32(cdb + 10);
		break;
	}
}

static bool extent_ok(struct scsi_disk *disk, uint64_t lba, uint64_t count)
{
	return lba <= disk->blocks && count <= disk->blocks - lba;
}

static bool writable(struct scsi_disk *disk, struct scsi_cmd *cmd)
{
	if (!disk->read_only)
		return true;
	fail(disk, cmd, SCSI_SENSE_DATA_PROTECT, ASC_WRITE_PROTECTED);
	return false;
}

static void read_write(struct scsi_disk *disk, struct scsi_cmd *cmd,
		       bool write)
{
	uint64_t lba, bytes;
	uint32_t count;

	rw_extent(cmd->cdb, &lba, &count);
	if (!extent_ok(disk, lba, count)) {
		fail(disk, cmd, SCSI_SENSE_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE);
		return;
	}
	if (write && !writable(disk, cmd))
		return;
	bytes = (uint64_t)count * disk->block_size;
	if (!count || bytes > cmd->buf_len) {
		/*
		 * Nothing to move, or less memory than the CDB asks for:
		 * Hyper-V reports both as a bad block address.
		 */
		fail(disk, cmd, SCSI_SENSE_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE);
		return;
	}
	cmd->io.kind = write ? SCSI_IO_WRITE : SCSI_IO_READ;
	cmd->io.offset = lba * disk->block_size;
	cmd->io.len = bytes;
	cmd->data_len = bytes;
}

static bool add_range(struct scsi_disk *disk, struct scsi_cmd *cmd,
		      uint64_t lba, uint64_t count)
{
	struct scsi_io *io = &cmd->io;

	if (!extent_ok(disk, lba, count)) {
		fail(disk, cmd, SCSI_SENSE_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE);
		return false;
	}
	if (!count)
		return true;
	io->ranges[io->nr_ranges].offset = lba * disk->block_size;
	io->ranges[io->nr_ranges].len = count * disk->block_size;
	io->nr_ranges++;
	return true;
}

/* UNMAP: an 8-byte header, then 16-byte block descriptors. */
static void unmap(struct scsi_disk *disk, struct scsi_cmd *cmd)
{
	uint32_t plen = get_be16(cmd->cdb + 7), dlen, i;
	const uint8_t *p = cmd->buf;

	if (!writable(disk, cmd))
		return;
	if (plen < 8 || plen > cmd->buf_len) {
		fail(disk, cmd, SCSI_SENSE_ILLEGAL_REQUEST, ASC_PARAM_LIST_LENGTH);
		return;
	}
	dlen = get_be16(p + 2);
	if (dlen % 16 || dlen > plen - 8 ||
	    dlen / 16 > SCSI_MAX_UNMAP_RANGES) {
		fail(disk, cmd, SCSI_SENSE_ILLEGAL_REQUEST,
		     ASC_INVALID_PARAM_LIST);
		return;
	}
	cmd->io.kind = SCSI_IO_DISCARD;
	cmd->io.nr_ranges = 0;
	for (i = 0; i < dlen / 16; i++)
		if (!add_range(disk, cmd, get_be64(p + 8 + 16 * i),
			       get_be32(p + 16 + 16 * i)))
			return;
}

/* WRITE SAME (16): with UNMAP set the blocks are deallocated instead. */
static void write_same(struct scsi_disk *disk, struct scsi_cmd *cmd)
{
	uint64_t lba = get_be64(cmd->cdb + 2);
	uint32_t count = get_be32(cmd->cdb + 10);

	if (!writable(disk, cmd))
		return;
	if (!count ||
	    (uint64_t)count * disk->block_size > SCSI_MAX_WRITE_SAME) {
		invalid_field(disk, cmd);
		return;
	}
	cmd->io.nr_ranges = 0;
	if (!add_range(disk, cmd, lba, count))
		return;
	if (cmd->cdb[1] & 0x08) {
		cmd->io.kind = SCSI_IO_DISCARD;
		return;
	}
	if (cmd->buf_len < disk->block_size) {
		invalid_field(disk, cmd);
		return;
	}
	cmd->io.kind = SCSI_IO_WRITE_SAME;
	cmd->io.offset = lba * disk->block_size;
	cmd->io.len = (uint64_t)count * disk->block_size;
}

/*
 * GET EVENT STATUS NOTIFICATION, polled, media class only (MMC): the
 * last media event, reported once, and whether a medium is present.
 */
static void get_event_status(struct scsi_disk *disk, struct scsi_cmd *cmd)
{
	uint8_t d[8] = { 0 };
	uint32_t len = 4;

	if (!disk->dvd || !(cmd->cdb[1] & GESN_POLLED)) {
		invalid_field(disk, cmd);
		return;
	}
	d[3] = GESN_MEDIA_CLASS_BIT;	/* supported classes */
	if (cmd->cdb[4] & GESN_MEDIA_CLASS_BIT) {
		d[2] = GESN_CLASS_MEDIA;
		d[4] = disk->media_event;
		d[5] = disk->medium ? GESN_MEDIA_PRESENT : 0;
		disk->media_event = SCSI_MEDIA_NO_CHANGE;
		len = 8;
	} else {
		d[2] = GESN_NO_EVENT;
	}
	put_be16(d, len - 2);
	reply(cmd, d, len, get_be16(cmd->cdb + 7));
}

/* START STOP UNIT: a DVD ejects its medium on LoEj without Start. */
static void start_stop(struct scsi_disk *disk, struct scsi_cmd *cmd)
{
	uint8_t flags = cmd->cdb[4];

	if (!disk->dvd || (flags & (SSU_LOEJ | SSU_START)) != SSU_LOEJ)
		return;
	if (disk->medium)
		disk->media_event = SCSI_MEDIA_REMOVAL;
	disk->medium = false;
	disk->tray_open = true;
}

/* Commands a DVD drive answers whatever the state of its medium. */
static bool dvd_always(uint8_t opcode)
{
	switch (opcode) {
	case INQUIRY:
	case REQUEST_SENSE:
	case GET_EVENT_STATUS:
	case START_STOP_UNIT:
	case MODE_SENSE_6:
	case MODE_SENSE_10:
		return true;
	default:
		return false;
	}
}

/*
 * A DVD drive without a medium: the commands that need one get NOT READY
 * 3a/01 (tray closed) or 3a/02 (tray open, after an eject). A new medium
 * is no unit attention: as on Hyper-V (OpenVMM scsidvd), only GET EVENT
 * STATUS NOTIFICATION tells of it. True when @cmd failed.
 */
static bool dvd_medium_check(struct scsi_disk *disk, struct scsi_cmd *cmd)
{
	if (!disk->dvd || dvd_always(cmd->cdb[0]) || disk->medium)
		return false;
	fail(disk, cmd, SCSI_SENSE_NOT_READY, ASC_NO_MEDIUM |
	     (disk->tray_open ? ASCQ_TRAY_OPEN : ASCQ_TRAY_CLOSED));
	return true;
}

/*
 * A disk whose image was resized reports it to the next command but
 * INQUIRY as UNIT ATTENTION 2a/09, once (REQUEST SENSE gets it as its
 * data), as Hyper-V's SCSI disk does (OpenVMM scsidisk). True when @cmd
 * failed.
 */
static bool capacity_check(struct scsi_disk *disk, struct scsi_cmd *cmd)
{
	if (!disk->capacity_changed || cmd->cdb[0] == INQUIRY)
		return false;
	disk->capacity_changed = false;
	return scsi_disk_unit_attention(disk, cmd, ASC_CAPACITY_CHANGED >> 8,
					ASC_CAPACITY_CHANGED & 0xff);
}

/* The CDB length each operation group needs. */
static unsigned int cdb_size(uint8_t opcode)
{
	switch (opcode >> 5) {
	case 0: return 6;
	case 1: case 2: return 10;
	case 4: return 16;
	case 5: return 12;
	default: return 16;
	}
}

/**
 * scsi_disk_execute() - decode and run one CDB
 * @disk: the device
 * @cmd: the command; on return @cmd->status, @cmd->data_len and @cmd->io
 *	say what happened and what medium access remains
 */
void scsi_disk_execute(struct scsi_disk *disk, struct scsi_cmd *cmd)
{
	const uint8_t *cdb = cmd->cdb;

	memset(&cmd->io, 0, sizeof(cmd->io));
	cmd->status = SCSI_STATUS_GOOD;
	cmd->data_len = 0;
	/* The sense REQUEST SENSE returns is that of the last command. */
	if (cdb[0] != REQUEST_SENSE)
		memset(disk->sense, 0, sizeof(disk->sense));
	if (!cmd->cdb_len || cmd->cdb_len < cdb_size(cdb[0])) {
		fail(disk, cmd, SCSI_SENSE_ILLEGAL_REQUEST, ASC_INVALID_OPCODE);
		return;
	}
	if (dvd_medium_check(disk, cmd) || capacity_check(disk, cmd))
		return;

	switch (cdb[0]) {
	case TEST_UNIT_READY:
		break;
	case START_STOP_UNIT:
		start_stop(disk, cmd);
		break;
	case GET_EVENT_STATUS:
		get_event_status(disk, cmd);
		break;
	case REQUEST_SENSE:
		request_sense(disk, cmd);
		break;
	case INQUIRY:
		inquiry(disk, cmd);
		break;
	case READ_CAPACITY_10:
		read_capacity_10(disk, cmd);
		break;
	case SERVICE_ACTION_IN_16:
		read_capacity_16(disk, cmd);
		break;
	case MODE_SENSE_6:
	case MODE_SENSE_10:
		mode_sense(disk, cmd);
		break;
	case READ_6:
	case READ_10:
	case READ_12:
	case READ_16:
		read_write(disk, cmd, false);
		break;
	case WRITE_6:
	case WRITE_10:
	case WRITE_16:
		read_write(disk, cmd, true);
		break;
	case SYNCHRONIZE_CACHE_10:
	case SYNCHRONIZE_CACHE_16:
		cmd->io.kind = SCSI_IO_FLUSH;
		break;
	case UNMAP:
		unmap(disk, cmd);
		break;
	case WRITE_SAME_16:
		write_same(disk, cmd);
		break;
	default:
		fail(disk, cmd, SCSI_SENSE_ILLEGAL_REQUEST, ASC_INVALID_OPCODE);
		break;
	}
}

/**
 * scsi_inquiry_no_lun() - standard INQUIRY data of a LUN that is absent
 * @cdb: the INQUIRY CDB (at least 6 bytes, EVPD clear)
 * @lun: the LUN it was sent to
 * @buf: where the reply goes
 * @buf_len: bytes the initiator transfers
 *
 * Peripheral qualifier 3, device type 0x1f: the target exists but offers
 * no device at this LUN (SPC). A scanner that finds LUN 0 missing this
 * way goes on to REPORT LUNS instead of giving up on the target. Vendor,
 * product and revision are filled in at LUN 0 only, as Hyper-V does.
 *
 * Return: bytes of @buf filled.
 */
uint32_t scsi_inquiry_no_lun(const uint8_t *cdb, uint8_t lun, uint8_t *buf,
			     uint32_t buf_len)
{
	struct scsi_cmd cmd = { .buf = buf, .buf_len = buf_len };
	uint8_t d[36] = { 0 };

	d[0] = 0x7f;			/* PQ 3, type 0x1f */
	d[2] = 0x06;			/* SPC-4 */
	d[3] = 0x02;			/* response data format 2 */
	d[4] = sizeof(d) - SCSI_INQUIRY_HEADER_SIZE;
	if (!lun) {
		memcpy(d + 8, "Msft    ", 8);
		memcpy(d + 16, "Virtual Disk    ", 16);
		memcpy(d + 32, "1.0 ", 4);
	}
	reply(&cmd, d, sizeof(d), get_be16(cdb + 3));
	return cmd.data_len;
}

/**
 * scsi_cdb_direction() - which way a command moves data
 * @opcode: its operation code
 *
 * Return: SCSI_DIR_IN or SCSI_DIR_OUT for the commands scsi_disk and
 * REPORT LUNS know that move data, SCSI_DIR_NONE for those that never do,
 * SCSI_DIR_UNKNOWN for the others (which fail as unsupported).
 */
enum scsi_data_dir scsi_cdb_direction(uint8_t opcode)
{
	switch (opcode) {
	case TEST_UNIT_READY:
	case START_STOP_UNIT:
	case SYNCHRONIZE_CACHE_10:
	case SYNCHRONIZE_CACHE_16:
		return SCSI_DIR_NONE;
	case REQUEST_SENSE:
	case INQUIRY:
	case MODE_SENSE_6:
	case MODE_SENSE_10:
	case READ_CAPACITY_10:
	case SERVICE_ACTION_IN_16:
	case READ_6:
	case READ_10:
	case READ_12:
	case READ_16:
	case REPORT_LUNS:
	case GET_EVENT_STATUS:
		return SCSI_DIR_IN;
	case WRITE_6:
	case WRITE_10:
	case WRITE_16:
	case UNMAP:
	case WRITE_SAME_16:
		return SCSI_DIR_OUT;
	default:
		return SCSI_DIR_UNKNOWN;
	}
}

/**
 * scsi_cdb_medium_rw() - does a command move its data to or from the medium
 * @opcode: its operation code
 *
 * READ and WRITE never touch scsi_cmd.buf: their data goes between the
 * medium and the initiator's memory (scsi_io), so scsi_cmd.buf_len may
 * be larger than the buffer behind scsi_cmd.buf.
 *
 * Return: true for READ (6), (10), (12), (16) and WRITE (6), (10), (16).
 */
bool scsi_cdb_medium_rw(uint8_t opcode)
{
	switch (opcode) {
	case READ_6:
	case READ_10:
	case READ_12:
	case READ_16:
	case WRITE_6:
	case WRITE_10:
	case WRITE_16:
		return true;
	default:
		return false;
	}
}

/**
 * scsi_report_luns() - the REPORT LUNS reply of a target
 * @luns: the LUNs present
 * @count: how many
 * @buf: where the reply goes
 * @buf_len: the initiator's allocation length
 *
 * Return: bytes of @buf filled.
 */
uint32_t scsi_report_luns(const uint8_t *luns, unsigned int count,
			  uint8_t *buf, uint32_t buf_len)
{
	uint32_t len = 8 + 8 * count, i;
	uint8_t d[8 + 8 * 256] = { 0 };

	if (count > 256)
		return 0;
	put_be32(d, 8 * count);
	for (i = 0; i < count; i++)
		d[8 + 8 * i + 1] = luns[i];	/* peripheral addressing */
	if (len > buf_len)
		len = buf_len;
	memcpy(buf, d, len);
	return len;
}

/*
 * A file on tmpfs or ramfs: its reads and writes are memory copies that
 * never wait for a device (with swap, a swapped-out page might).
 */
static bool image_in_memory(int fd)
{
	struct statfs sfs;

	return !fstatfs(fd, &sfs) &&
	       (sfs.f_type == TMPFS_MAGIC || sfs.f_type == RAMFS_MAGIC);
}

/* Open @path as the medium: a regular file of whole @block_size blocks. */
static int image_open(struct scsi_disk *disk, const char *path,
		      bool read_only, uint32_t block_size)
{
	struct stat st;
	int fd, err;

	fd = open(path, (read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		hv_err("disk %s: %s", path, strerror(errno));
		return err;
	}
	err = -EINVAL;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		hv_err("disk %s: not a regular file", path);
		goto fail;
	}
	if (!st.st_size || st.st_size % block_size) {
		hv_err("disk %s: size %lld is not a positive multiple of %u bytes",
		       path, (long long)st.st_size, block_size);
		goto fail;
	}
	disk->fd = fd;
	disk->in_memory = image_in_memory(fd);
	disk->blocks = st.st_size / block_size;
	return 0;
fail:
	close(fd);
	return err;
}

/* Identifiers: @index distinguishes the devices of one host. */
static void disk_identify(struct scsi_disk *disk, unsigned int index)
{
	/* NAA 6 (IEEE registered extended), an arbitrary company id. */
	disk->naa[0] = 0x60;
	disk->naa[1] = 0x02;
	disk->naa[2] = 0x24;
	disk->naa[3] = 0x80;
	disk->naa[6] = index >> 8;
	disk->naa[7] = index;
	snprintf(disk->serial, sizeof(disk->serial), "HVHOST%010u", index);
}

/**
 * scsi_disk_open() - attach an image file
 * @disk: the device to set up
 * @path: the raw image
 * @read_only: refuse writes
 * @index: distinguishes the disks of one host in their identifiers
 *
 * Return: 0, or a negative errno with a message logged when the file is
 * missing or unreadable, and -EINVAL when it is not a regular file, is
 * empty or is not a whole number of 512-byte blocks.
 */
int scsi_disk_open(struct scsi_disk *disk, const char *path, bool read_only,
		   unsigned int index)
{
	int err;

	memset(disk, 0, sizeof(*disk));
	disk->fd = -1;
	disk->block_size = SCSI_BLOCK_SIZE;
	err = image_open(disk, path, read_only, SCSI_BLOCK_SIZE);
	if (err)
		return err;
	disk->read_only = read_only;
	disk->medium = true;
	disk_identify(disk, index);
	return 0;
}

/**
 * scsi_dvd_open() - a DVD-ROM drive, with an ISO image or empty
 * @disk: the device to set up
 * @path: the image (whole 2048-byte blocks, opened read-only), or NULL
 *	for a drive without a medium
 * @index: distinguishes the devices of one host in their identifiers
 *
 * A drive opened with a medium reports it as just inserted: a new-media
 * event (GET EVENT STATUS NOTIFICATION), no unit attention.
 *
 * Return: 0, or an error as scsi_disk_open().
 */
int scsi_dvd_open(struct scsi_disk *disk, const char *path,
		  unsigned int index)
{
	int err = 0;

	memset(disk, 0, sizeof(*disk));
	disk->fd = -1;
	disk->block_size = SCSI_DVD_BLOCK_SIZE;
	disk->dvd = true;
	disk->read_only = true;
	if (path)
		err = image_open(disk, path, true, SCSI_DVD_BLOCK_SIZE);
	if (err)
		return err;
	disk->medium = path;
	disk->media_event = path ? SCSI_MEDIA_NEW : SCSI_MEDIA_NO_CHANGE;
	disk_identify(disk, index);
	return 0;
}

/**
 * scsi_disk_resize() - grow a disk's image file
 * @disk: the disk (not a DVD drive), writable
 * @bytes: its new size: a multiple of 512 bytes, not below the current
 *
 * The new blocks read as zeros. The next command but INQUIRY gets UNIT
 * ATTENTION 2a/09 (capacity data has changed); READ CAPACITY then
 * reports the new size.
 *
 * Return: 0, -ENOTTY for a DVD drive, -EROFS for a read-only disk,
 * -EINVAL for a size that is not whole blocks or shrinks the disk, or
 * the error of growing the file.
 */
int scsi_disk_resize(struct scsi_disk *disk, uint64_t bytes)
{
	if (disk->dvd)
		return -ENOTTY;
	if (disk->read_only)
		return -EROFS;
	if (bytes % disk->block_size || bytes / disk->block_size < disk->blocks ||
	    bytes > (uint64_t)INT64_MAX)
		return -EINVAL;
	if (ftruncate(disk->fd, (off_t)bytes))
		return -errno;
	if (bytes / disk->block_size != disk->blocks)
		disk->capacity_changed = true;
	disk->blocks = bytes / disk->block_size;
	return 0;
}

/**
 * scsi_disk_close() - detach the image file
 * @disk: the device
 */
void scsi_disk_close(struct scsi_disk *disk)
{
	if (disk->fd >= 0)
		close(disk->fd);
	disk->fd = -1;
}
