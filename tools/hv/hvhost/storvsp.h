/* SPDX-License-Identifier: GPL-2.0 */
/*
 * StorVSP: the host side of the synthetic SCSI controller (VSTOR,
 * reference §7). A controller is one VMBus device (a primary channel and
 * the sub-channels the guest asks for) with LUNs on raw image files at
 * path 0, target 0. VSTOR packets are decoded here, SCSI commands by
 * scsi_disk.c, and the medium is read and written by blockio.c, straight
 * to and from guest RAM.
 */
#ifndef _HVHOST_STORVSP_H
#define _HVHOST_STORVSP_H

#include <stdbool.h>
#include <stdint.h>

#include <hyperv/vstor.h>

#include "blockio.h"
#include "scsi_disk.h"
#include "util.h"
#include "vmbus_server.h"

#define STORVSP_MAX_LUNS		256	/* a LUN is one byte */
#define STORVSP_DEFAULT_CHANNELS	4
#define STORVSP_MAX_CHANNELS		64
#define STORVSP_DEFAULT_MAX_TRANSFER	(1024U * 1024)
#define STORVSP_MAX_TRANSFER		(8U << 20)
/* Requests one channel may have in flight; more wait in its ring. */
#define STORVSP_MAX_INFLIGHT		1024
/* Host copy of data that does not go to the medium (INQUIRY, UNMAP...). */
#define STORVSP_BOUNCE_SIZE		4096
#define STORVSP_PATH_MAX		1024

/**
 * struct storvsp_config - the host's limits, from the command line
 * @max_version: newest VSTOR version accepted (VSTOR_VERSION_*)
 * @max_channels: max_channel_cnt in QUERY_PROPERTIES (sub-channels)
 * @max_transfer: max_transfer_bytes in QUERY_PROPERTIES; longer SRBs
 *	are refused
 */
struct storvsp_config {
	uint16_t max_version;
	uint16_t max_channels;
	uint32_t max_transfer;
};

/**
 * struct storvsp_profile - what makes a class of StorVSP controllers
 * @name: the class name, in log lines, `list` and `stats` ("scsi")
 * @disk_option: the long option of its disks ("disk": --disk FILE...)
 * @max_luns: LUNs a controller has (LUN numbers 0..@max_luns - 1)
 * @max_targets: targets a controller answers for (target 0 .. this - 1)
 * @multi_channel: it may offer sub-channels (--storvsc-channels)
 * @ide: one disk per offer, at the IDE location its instance GUID
 *	encodes (reference §7.8); the host puts that channel in path_id
 * @stats_prefix: before the class-wide storvsp.* and blockio.* counters
 *	of `stats` ("" for SCSI, "ide." for IDE), so the classes' keys differ
 *
 * The synthetic SCSI controller is one profile, the IDE accelerator
 * (its own offer GUID, one LUN at one target, no sub-channels) another,
 * served by the same code.
 */
struct storvsp_profile {
	const char *name;
	const char *disk_option;
	unsigned int max_luns;
	unsigned int max_targets;
	bool multi_channel;
	bool ide;
	const char *stats_prefix;
};

/**
 * struct storvsp_disk_spec - FILE[,ro][,lun=N][,ctrl=K]
 * @path: the image
 * @read_only: writes fail with DATA PROTECT
 * @lun: the LUN, or -1 for the lowest free one
 * @ctrl: the controller, in --scsi order (IDE: in the order of the offers)
 * @ide_chan: IDE: ctrl=0|1 of --ide-disk, or -1 for the first free place
 * @ide_unit: IDE: unit=0|1, or -1
 * @dvd: a DVD-ROM drive (--dvd); @path "" for one without a medium
 */
struct storvsp_disk_spec {
	char path[STORVSP_PATH_MAX];
	bool dvd;
	bool read_only;
	int lun;
	unsigned int ctrl;
	int ide_chan;
	int ide_unit;
};

/**
 * struct storvsp_lun - one disk of a controller
 * @disk: the SCSI target logic and the open image
 * @path: the image's path, for `list`
 * @lun: its LUN
 * @refs: the controller's, plus one per request using it
 * @ua_gen: the storvsp.ua_gen whose unit attention it reported
 */
struct storvsp_lun {
	struct scsi_disk disk;
	char *path;
	uint8_t lun;
	unsigned int refs;
	unsigned int ua_gen;
};

/* Per-controller counters, printed by `stats`. */
struct storvsp_stats {
	uint64_t srbs;
	uint64_t srbs_no_freeze;	/* QUEUE_ACTION_ENABLE | NO_QUEUE_FREEZE */
	uint64_t reads;
	uint64_t writes;
	uint64_t flushes;
	uint64_t unmaps;
	uint64_t bytes_read;
	uint64_t bytes_written;
	uint64_t errors;	/* SRBs not completed with SUCCESS */
};

/* The initialisation handshake, in the order the guest must follow. */
enum storvsp_state {
	STORVSP_WAIT_BEGIN,
	STORVSP_WAIT_VERSION,
	STORVSP_WAIT_PROPERTIES,
	STORVSP_WAIT_END,
	STORVSP_READY,
};

struct storvsp;

/**
 * struct storvsp_ctrl - one synthetic SCSI controller
 * @sp: the StorVSP it belongs to
 * @next: list link in @sp
 * @primary: its primary channel; NULL once that is freed
 * @instance: the instance GUID (kept for `list` after a rescind)
 * @path: the SRB path_id its LUNs are at (IDE: the channel)
 * @target: the SRB target_id its LUNs are at (IDE: the device)
 * @luns: the disks, by LUN
 * @state: where the handshake on the primary channel is
 * @version: the VSTOR version agreed on
 * @subchannels: CREATE_SUB_CHANNELS was answered (or held) for this open
 * @late: subchannel-late holds the answer to CREATE_SUB_CHANNELS and its
 *	offers until the next request on the primary: @late_id, @late_reply
 *	and @late_count are that request's
 * @inflight: requests not yet finished, on all its channels
 * @refs: one while bound to @primary, one per open channel
 * @stats: counters
 */
struct storvsp_ctrl {
	struct storvsp *sp;
	struct storvsp_ctrl *next;
	struct hv_channel *primary;
	guid_t instance;
	uint8_t path;
	uint8_t target;
	struct storvsp_lun *luns[STORVSP_MAX_LUNS];
	enum storvsp_state state;
	uint16_t version;
	bool subchannels;
	bool late;
	uint64_t late_id;
	bool late_reply;
	uint16_t late_count;
	unsigned int inflight;
	unsigned int refs;
	struct storvsp_stats stats;
};

/*
 * `fault storvsc KIND [COUNT]`, see Documentation/hv/hvhost.rst. The
 * first three malform completions, the next four are errors a real host
 * reports, the next three break the SCSI contract itself, and the last
 * one is a host that answers the sub-channel request too late.
 */
enum storvsp_fault {
	STORVSP_FAULT_NONE,
	STORVSP_FAULT_BAD_LENGTH,	/* a short COMP first */
	STORVSP_FAULT_BAD_ID,		/* a COMP with an unknown id first */
	STORVSP_FAULT_BAD_STATUS,	/* an impossible status or length */
	STORVSP_FAULT_MEDIUM_ERROR,	/* READ/WRITE: unrecovered error */
	STORVSP_FAULT_UA_LUNS_CHANGED,	/* UNIT ATTENTION 3f/0e */
	STORVSP_FAULT_UA_CAPACITY_CHANGED, /* UNIT ATTENTION 2a/09 */
	STORVSP_FAULT_UA_PARAMS_CHANGED, /* UNIT ATTENTION 2a/01 */
	STORVSP_FAULT_BAD_SCSI_STATUS,	/* SUCCESS with scsi_status 0x7e */
	STORVSP_FAULT_BAD_SENSE,	/* sense with response code 0 */
	STORVSP_FAULT_NO_COMPLETION,	/* the completion is held back */
	STORVSP_FAULT_SUBCHANNEL_LATE,	/* CREATE_SUB_CHANNELS answered late */
	STORVSP_FAULT_RECOVERED_ERROR,	/* READ/WRITE done, RECOVERED ERROR */
	STORVSP_FAULT_INQUIRY_CONTROL,	/* control bytes in INQUIRY strings */
	STORVSP_FAULT_KINDS
};

#define STORVSP_FAULT_NAMES						\
	"bad-length|bad-id|bad-status|medium-error|ua-luns-changed|"	\
	"ua-capacity-changed|ua-params-changed|bad-scsi-status|"	\
	"bad-sense|no-completion|subchannel-late|recovered-error|"	\
	"inquiry-control|none"

/**
 * struct storvsp - every controller of one class
 * @bio: the I/O engine
 * @profile: the class
 * @cfg: limits
 * @ctrls: the controllers, oldest first
 * @next_disk: numbers disks for their serial numbers and identifiers
 * @fault: the fault the next @fault_count SRBs get
 * @fault_count: how many are left
 * @ua_gen: bumped by every ua-* fault; a LUN whose @ua_gen differs still
 *	has that unit attention to report
 * @faults_sent: faults injected so far, all kinds
 * @faults: the same, by kind
 * @held: completions kept back by no-completion, not yet dropped
 */
struct storvsp {
	struct blockio *bio;
	const struct storvsp_profile *profile;
	struct storvsp_config cfg;
	struct storvsp_ctrl *ctrls;
	unsigned int next_disk;
	enum storvsp_fault fault;
	unsigned int fault_count;
	unsigned int ua_gen;
	uint64_t faults_sent;
	uint64_t faults[STORVSP_FAULT_KINDS];
	uint64_t held;
};

void storvsp_config_default(struct storvsp_config *cfg);
void storvsp_init(struct storvsp *sp, struct blockio *bio,
		  const struct storvsp_config *cfg,
		  const struct storvsp_profile *profile);
void storvsp_destroy(struct storvsp *sp);
int storvsp_parse_version(const char *s, uint16_t *version);
const char *storvsp_parse_disk(const char *spec, bool with_ctrl,
			       struct storvsp_disk_spec *d);
const char *storvsp_parse_ide_disk(const char *spec,
				   struct storvsp_disk_spec *d);
const char *storvsp_parse_dvd(const char *spec, struct storvsp_disk_spec *d);
void storvsp_ide_instance(unsigned int chan, unsigned int unit, guid_t *g);
bool storvsp_ide_location(const guid_t *g, uint8_t *chan, uint8_t *unit);
bool storvsp_lun_valid(const struct storvsp *sp, unsigned int lun);

struct storvsp_ctrl *storvsp_ctrl_bind(struct storvsp *sp,
				       struct hv_channel *primary);
struct storvsp_ctrl *storvsp_ctrl_find(struct storvsp *sp,
				       const guid_t *instance);
int storvsp_disk_add(struct storvsp_ctrl *ctrl,
		     const struct storvsp_disk_spec *d, unsigned int *lun);
int storvsp_disk_remove(struct storvsp_ctrl *ctrl, unsigned int lun);
int storvsp_dvd_change(struct storvsp_ctrl *ctrl, const char *path);
int storvsp_disk_resize(struct storvsp_ctrl *ctrl, unsigned int lun,
			uint64_t bytes);
int storvsp_set_fault(struct storvsp *sp, const char *kind,
		      unsigned int count);
void storvsp_list(struct storvsp *sp, struct hv_buf *out);
void storvsp_stats(struct storvsp *sp, struct hv_buf *out);

/* storvsp_class.c: StorVSP as a device class of the host program. */
#define STORVSP_MAX_DISKS	64

/**
 * struct storvsp_options - a StorVSP class's part of the command line
 * @cfg: --storvsc-* limits
 * @nr_disks: entries of @disks
 * @disks: --disk FILE[,ro][,lun=N][,ctrl=K], in order
 */
struct storvsp_options {
	struct storvsp_config cfg;
	unsigned int nr_disks;
	struct storvsp_disk_spec disks[STORVSP_MAX_DISKS];
};

/**
 * struct storvsp_host - the instance of a StorVSP class
 * @sp: its controllers
 * @bio: their I/O engine
 * @opt: the command line's part, for the disks of the first controllers
 */
struct storvsp_host {
	struct storvsp sp;
	struct blockio bio;
	const struct storvsp_options *opt;
};

struct hvhost_options;
struct storvsp_options *storvsp_options_of(const struct hvhost_options *opt,
					   const char *cls);

#endif /* _HVHOST_STORVSP_H */
