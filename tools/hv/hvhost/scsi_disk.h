/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A SCSI direct-access device on a raw image file: the command set the
 * synthetic SCSI and IDE controllers need. scsi_disk_execute() decodes one
 * CDB. Commands that only describe the device complete at once into the
 * caller's buffer; commands that touch the medium are handed back as a
 * struct scsi_io for the caller to run asynchronously, so that decoding
 * never waits on the disk.
 */
#ifndef _HVHOST_SCSI_DISK_H
#define _HVHOST_SCSI_DISK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SCSI_BLOCK_SIZE		512
#define SCSI_DVD_BLOCK_SIZE	2048
#define SCSI_SENSE_SIZE		18
#define SCSI_INQUIRY_HEADER_SIZE 5	/* up to the additional length */
#define SCSI_MAX_UNMAP_RANGES	64
#define SCSI_MAX_WRITE_SAME	(8U << 20)	/* bytes, one WRITE SAME */

/* SCSI status bytes. */
#define SCSI_STATUS_GOOD		0x00
#define SCSI_STATUS_CHECK_CONDITION	0x02

/* Sense keys. */
#define SCSI_SENSE_NO_SENSE		0x0
#define SCSI_SENSE_RECOVERED_ERROR	0x1
#define SCSI_SENSE_NOT_READY		0x2
#define SCSI_SENSE_MEDIUM_ERROR		0x3
#define SCSI_SENSE_ILLEGAL_REQUEST	0x5
#define SCSI_SENSE_UNIT_ATTENTION	0x6
#define SCSI_SENSE_DATA_PROTECT		0x7

/* MMC media events (GET EVENT STATUS NOTIFICATION, media class). */
enum scsi_media_event {
	SCSI_MEDIA_NO_CHANGE = 0,
	SCSI_MEDIA_NEW = 2,
	SCSI_MEDIA_REMOVAL = 3,
};

/*
 * A disk, or (@dvd) an MMC DVD-ROM drive: read-only, 2048-byte blocks,
 * with a medium that may be absent (@fd -1 or @medium false).
 */
struct scsi_disk {
	int fd;
	bool in_memory;		/* @fd is on tmpfs or ramfs: never waits */
	uint64_t blocks;	/* capacity in @block_size blocks */
	uint32_t block_size;
	bool read_only;
	bool dvd;
	bool medium;		/* DVD: a medium is in the drive */
	bool tray_open;		/* DVD: ejected (NOT READY 3a/02, not 3a/01) */
	bool capacity_changed;	/* disk: UNIT ATTENTION 2a/09 to report */
	enum scsi_media_event media_event; /* DVD: for GET EVENT STATUS */
	uint8_t naa[8];		/* identifier in VPD page 0x83 */
	char serial[17];	/* VPD page 0x80 */
	uint8_t sense[SCSI_SENSE_SIZE];	/* for REQUEST SENSE */
};

enum scsi_io_kind {
	SCSI_IO_NONE,		/* done: the reply is in the buffer */
	SCSI_IO_READ,		/* read io.len bytes at io.offset */
	SCSI_IO_WRITE,		/* write io.len bytes at io.offset */
	SCSI_IO_FLUSH,		/* fdatasync the image */
	SCSI_IO_DISCARD,	/* punch io.ranges */
	SCSI_IO_WRITE_SAME,	/* one block from the buffer, io.len bytes */
};

struct scsi_range {
	uint64_t offset;
	uint64_t len;
};

struct scsi_io {
	enum scsi_io_kind kind;
	uint64_t offset;
	uint64_t len;
	unsigned int nr_ranges;
	struct scsi_range ranges[SCSI_MAX_UNMAP_RANGES];
};

/**
 * struct scsi_cmd - one command and its outcome
 * @cdb: the command descriptor block
 * @cdb_len: its valid bytes
 * @buf: data-out bytes on entry (UNMAP parameters, WRITE SAME block);
 *	data-in bytes on return for commands that complete at once
 * @buf_len: bytes the initiator transfers (its allocation length)
 * @status: SCSI status on return
 * @sense: fixed-format sense data when @status is CHECK CONDITION
 * @data_len: bytes of @buf that hold the reply
 * @io: what the caller still has to do on the medium
 */
struct scsi_cmd {
	const uint8_t *cdb;
	unsigned int cdb_len;
	uint8_t *buf;
	uint32_t buf_len;
	uint8_t status;
	uint8_t sense[SCSI_SENSE_SIZE];
	uint32_t data_len;
	struct scsi_io io;
};

enum scsi_data_dir {
	SCSI_DIR_NONE,
	SCSI_DIR_IN,		/* device to initiator */
	SCSI_DIR_OUT,		/* initiator to device */
	SCSI_DIR_UNKNOWN,	/* not a command we know */
};

/* Answered by the target rather than a disk (for absent LUNs too). */
#define SCSI_INQUIRY		0x12
#define SCSI_REPORT_LUNS	0xa0

int scsi_disk_open(struct scsi_disk *disk, const char *path, bool read_only,
		   unsigned int index);
int scsi_dvd_open(struct scsi_disk *disk, const char *path,
		  unsigned int index);
void scsi_disk_close(struct scsi_disk *disk);
int scsi_disk_resize(struct scsi_disk *disk, uint64_t bytes);
void scsi_disk_execute(struct scsi_disk *disk, struct scsi_cmd *cmd);
void scsi_cmd_fail(struct scsi_cmd *cmd, uint8_t key, uint8_t asc,
		   uint8_t ascq);
void scsi_disk_fail(struct scsi_disk *disk, struct scsi_cmd *cmd,
		    uint8_t key, uint8_t asc, uint8_t ascq);
bool scsi_disk_unit_attention(struct scsi_disk *disk, struct scsi_cmd *cmd,
			      uint8_t asc, uint8_t ascq);
uint32_t scsi_inquiry_no_lun(const uint8_t *cdb, uint8_t lun, uint8_t *buf,
			     uint32_t buf_len);
enum scsi_data_dir scsi_cdb_direction(uint8_t opcode);
bool scsi_cdb_medium_rw(uint8_t opcode);
uint32_t scsi_report_luns(const uint8_t *luns, unsigned int count,
			  uint8_t *buf, uint32_t buf_len);

#endif /* _HVHOST_SCSI_DISK_H */
