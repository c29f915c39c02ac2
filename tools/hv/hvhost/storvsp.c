// SPDX-License-Identifier: GPL-2.0
/*
 * StorVSP: the synthetic SCSI controller (class VMBUS_CLASS_SCSI). See
 * storvsp.h and Documentation/hv/hvhost.rst.
 *
 * Every guest request is a vstor_packet, inband or (EXECUTE_SRB with
 * data) after one GPA range; every answer is a COMP packet with the same
 * trans_id and a COMPLETE_IO vstor_packet. The primary channel carries
 * the initialisation handshake; SRBs may come on any channel of the
 * controller and are answered on the channel they came on.
 *
 * Lifetimes: a request holds its channel state, which holds the
 * controller, and the LUN it addresses. A channel that closes (or a
 * controller that is rescinded) with requests in flight lets them finish
 * into nothing: their completions are dropped, the memory goes with the
 * last reference.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "storvsp.h"

/* Bytes one WRITE SAME (or zero-fill) write covers at most. */
#define STORVSP_FILL_CHUNK	(64U * 1024)
/* A vstor_packet without its body: operation, flags, status. */
#define STORVSP_HEADER_SIZE	offsetof(struct vstor_packet, body)
/* An impossible SRB status code, for the bad-status fault. */
#define STORVSP_BAD_SRB_STATUS	0x3f
/* What a guest asks for a LUN that queues with tags (counted). */
#define STORVSP_SRB_NO_FREEZE	(VSTOR_SRB_FLAG_QUEUE_ACTION_ENABLE | \
				 VSTOR_SRB_FLAG_NO_QUEUE_FREEZE)
/* An impossible SCSI status byte, for the bad-scsi-status fault. */
#define STORVSP_BAD_SCSI_STATUS	0x7e
/* What bad-sense fills its sense bytes with after response code 0. */
#define STORVSP_BAD_SENSE_BYTE	0xa5
/* Medium errors of the medium-error fault: unrecovered read, write error. */
#define STORVSP_ASC_UNRECOVERED_READ	0x11
#define STORVSP_ASC_WRITE_ERROR		0x0c
/* recovered-error: RECOVERED DATA WITH RETRIES. */
#define STORVSP_ASC_RECOVERED_RETRIES	0x17
#define STORVSP_ASCQ_RECOVERED_RETRIES	0x01
/* inquiry-control: vendor and product with an escape and a newline. */
#define STORVSP_INQUIRY_CONTROL		"Msft\x1b[2JVirt\nFORGED LINE"

#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))

/**
 * struct storvsp_chan - an open channel of a controller (hv_channel.priv)
 * @ch: the channel; NULL once it closed
 * @ctrl: the controller
 * @refs: one while open, one per request
 * @inflight: requests taken from the ring and not finished
 * @held: completions the no-completion fault keeps back, until the
 *	channel closes
 */
struct storvsp_chan {
	struct hv_channel *ch;
	struct storvsp_ctrl *ctrl;
	unsigned int refs;
	unsigned int inflight;
	struct hv_send_msg *held;
};

/**
 * struct storvsp_rx - a guest packet, checked and copied
 * @pkt: the packet, as the VMBus server parsed it
 * @type: the VMBus packet type
 * @trans_id: its transaction id
 * @reply: the guest asked for a completion
 * @vp: the vstor_packet, zero-padded if the guest sent less
 * @vp_len: bytes of it the guest sent
 */
struct storvsp_rx {
	const struct hv_packet *pkt;
	uint16_t type;
	uint64_t trans_id;
	bool reply;
	struct vstor_packet vp;
	uint32_t vp_len;
};

/**
 * struct storvsp_req - one EXECUTE_SRB
 * @io: the file operation in flight
 * @sc: the channel it came on (and is answered on)
 * @lun: the LUN it addresses, once found
 * @trans_id: the guest's id
 * @reply: the guest asked for a completion
 * @srb: the guest's SRB
 * @srb_status: a transport-level outcome (INVALID_LUN...), or 0 when the
 *	SCSI command ran and @cmd says how
 * @requested: data_transfer_length of the request
 * @moved: bytes moved, for data_transfer_length of the completion
 * @cmd: the SCSI command
 * @cdb: its CDB
 * @range: WRITE SAME / UNMAP: the range of @cmd.io being worked on
 * @range_done: bytes of it done
 * @zero_fill: the file cannot punch holes: unmap by writing zeros
 * @fill: WRITE SAME / zero-fill data, STORVSP_FILL_CHUNK bytes
 * @fill_iov: the iovec of one fill write
 * @bounce: data that does not go to the medium
 * @niov: entries of @iov
 * @iov: the guest's data pages, mapped
 */
struct storvsp_req {
	struct blockio_req io;
	struct storvsp_chan *sc;
	struct storvsp_lun *lun;
	uint64_t trans_id;
	bool reply;
	struct vstor_srb srb;
	uint8_t srb_status;
	uint32_t requested;
	uint64_t moved;
	struct scsi_cmd cmd;
	uint8_t cdb[VSTOR_CDB_SIZE];
	unsigned int range;
	uint64_t range_done;
	bool zero_fill;
	uint8_t *fill;
	struct iovec fill_iov;
	uint8_t bounce[STORVSP_BOUNCE_SIZE];
	unsigned int niov;
	struct iovec iov[];
};

static const char *const storvsp_fault_names[STORVSP_FAULT_KINDS] = {
	[STORVSP_FAULT_BAD_LENGTH] = "bad-length",
	[STORVSP_FAULT_BAD_ID] = "bad-id",
	[STORVSP_FAULT_BAD_STATUS] = "bad-status",
	[STORVSP_FAULT_MEDIUM_ERROR] = "medium-error",
	[STORVSP_FAULT_UA_LUNS_CHANGED] = "ua-luns-changed",
	[STORVSP_FAULT_UA_CAPACITY_CHANGED] = "ua-capacity-changed",
	[STORVSP_FAULT_UA_PARAMS_CHANGED] = "ua-params-changed",
	[STORVSP_FAULT_BAD_SCSI_STATUS] = "bad-scsi-status",
	[STORVSP_FAULT_BAD_SENSE] = "bad-sense",
	[STORVSP_FAULT_NO_COMPLETION] = "no-completion",
	[STORVSP_FAULT_SUBCHANNEL_LATE] = "subchannel-late",
	[STORVSP_FAULT_RECOVERED_ERROR] = "recovered-error",
	[STORVSP_FAULT_INQUIRY_CONTROL] = "inquiry-control",
};

/* ASC and ASCQ of the unit attention each ua-* fault reports. */
static const struct {
	uint8_t asc;
	uint8_t ascq;
} storvsp_ua_codes[STORVSP_FAULT_KINDS] = {
	/* REPORTED LUNS DATA HAS CHANGED */
	[STORVSP_FAULT_UA_LUNS_CHANGED] = { 0x3f, 0x0e },
	/* CAPACITY DATA HAS CHANGED */
	[STORVSP_FAULT_UA_CAPACITY_CHANGED] = { 0x2a, 0x09 },
	/* MODE PARAMETERS CHANGED */
	[STORVSP_FAULT_UA_PARAMS_CHANGED] = { 0x2a, 0x01 },
};

static const uint16_t storvsp_versions[] = {
	VSTOR_VERSION_WIN10,
	VSTOR_VERSION_WIN8_1,
	VSTOR_VERSION_WIN8,
};

/* --- configuration --------------------------------------------------- */

void storvsp_config_default(struct storvsp_config *cfg)
{
	cfg->max_version = VSTOR_VERSION_WIN10;
	cfg->max_channels = STORVSP_DEFAULT_CHANNELS;
	cfg->max_transfer = STORVSP_DEFAULT_MAX_TRANSFER;
}

void storvsp_init(struct storvsp *sp, struct blockio *bio,
		  const struct storvsp_config *cfg,
		  const struct storvsp_profile *profile)
{
	memset(sp, 0, sizeof(*sp));
	sp->bio = bio;
	sp->profile = profile;
	sp->cfg = *cfg;
	if (!profile->multi_channel)
		sp->cfg.max_channels = 0;
}

/* The synthetic SCSI controller: one target of 256 LUNs, multi-channel. */
const struct storvsp_profile storvsp_scsi_profile = {
	.name = "scsi",
	.disk_option = "disk",
	.max_luns = STORVSP_MAX_LUNS,
	.max_targets = 1,
	.multi_channel = true,
	.stats_prefix = "",
};

/*
 * The IDE accelerator: one disk (LUN 0 of the target its GUID names) per
 * offer, no sub-channels.
 */
const struct storvsp_profile storvsp_ide_profile = {
	.name = "ide",
	.disk_option = "ide-disk",
	.max_luns = 1,
	.max_targets = 1,
	.multi_channel = false,
	.ide = true,
	.stats_prefix = "ide.",
};

bool storvsp_lun_valid(const struct storvsp *sp, unsigned int lun)
{
	return lun < sp->profile->max_luns;
}

/* "5.1", "6.0" or "6.2". */
int storvsp_parse_version(const char *s, uint16_t *version)
{
	unsigned int major, minor, i;
	char tail;

	if (sscanf(s, "%u.%u%c", &major, &minor, &tail) != 2 ||
	    major > 0xff || minor > 0xff)
		return -1;
	for (i = 0; i < ARRAY_SIZE(storvsp_versions); i++) {
		if (storvsp_versions[i] == VSTOR_VERSION(major, minor)) {
			*version = storvsp_versions[i];
			return 0;
		}
	}
	return -1;
}

static bool storvsp_version_ok(const struct storvsp *sp, uint16_t version)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(storvsp_versions); i++)
		if (storvsp_versions[i] == version)
			return version <= sp->cfg.max_version;
	return false;
}

static const char *storvsp_parse_subopt(char *tok, bool with_ctrl,
					struct storvsp_disk_spec *d)
{
	unsigned int v;

	if (!strcmp(tok, "ro")) {
		d->read_only = true;
		return NULL;
	}
	if (!strncmp(tok, "lun=", 4)) {
		if (hv_parse_uint(tok + 4, 0, STORVSP_MAX_LUNS - 1, &v))
			return "lun must be 0..255";
		d->lun = v;
		return NULL;
	}
	if (with_ctrl && !strncmp(tok, "ctrl=", 5)) {
		if (hv_parse_uint(tok + 5, 0, 255, &v))
			return "bad ctrl=K";
		d->ctrl = v;
		return NULL;
	}
	return with_ctrl ? "expected ro, lun=N or ctrl=K" :
			   "expected ro or lun=N";
}

typedef const char *storvsp_subopt_fn(char *tok, bool with_ctrl,
				     struct storvsp_disk_spec *d);

/* FILE, then options separated by commas, each parsed by @subopt. */
static const char *storvsp_parse_spec(const char *spec, bool with_ctrl,
				      storvsp_subopt_fn *subopt,
				      struct storvsp_disk_spec *d)
{
	char buf[STORVSP_PATH_MAX + 64], *save, *tok;
	const char *err;

	memset(d, 0, sizeof(*d));
	d->lun = -1;
	d->ide_chan = -1;
	d->ide_unit = -1;
	if (snprintf(buf, sizeof(buf), "%s", spec) >= (int)sizeof(buf))
		return "too long";
	tok = strtok_r(buf, ",", &save);
	if (!tok || spec[0] == ',')
		return "no file name";
	if (snprintf(d->path, sizeof(d->path), "%s", tok) >=
	    (int)sizeof(d->path))
		return "file name too long";
	while ((tok = strtok_r(NULL, ",", &save))) {
		err = subopt(tok, with_ctrl, d);
		if (err)
			return err;
	}
	return NULL;
}

/**
 * storvsp_parse_disk() - parse FILE[,ro][,lun=N][,ctrl=K]
 * @spec: the text
 * @with_ctrl: accept ctrl=K (the command line; not `disk add`)
 * @d: the result
 *
 * Return: NULL, or what is wrong with @spec.
 */
const char *storvsp_parse_disk(const char *spec, bool with_ctrl,
			       struct storvsp_disk_spec *d)
{
	return storvsp_parse_spec(spec, with_ctrl, storvsp_parse_subopt, d);
}

static const char *storvsp_parse_ide_subopt(char *tok, bool with_ctrl,
					    struct storvsp_disk_spec *d)
{
	unsigned int v;

	(void)with_ctrl;
	if (!strcmp(tok, "ro")) {
		d->read_only = true;
		return NULL;
	}
	if (!strncmp(tok, "ctrl=", 5)) {
		if (hv_parse_uint(tok + 5, 0, VSTOR_IDE_CHANNELS - 1, &v))
			return "ctrl must be 0 or 1";
		d->ide_chan = v;
		return NULL;
	}
	if (!strncmp(tok, "unit=", 5)) {
		if (hv_parse_uint(tok + 5, 0, VSTOR_IDE_DEVICES - 1, &v))
			return "unit must be 0 or 1";
		d->ide_unit = v;
		return NULL;
	}
	return "expected ro, ctrl=0|1 or unit=0|1";
}

/**
 * storvsp_parse_ide_disk() - parse FILE[,ro][,ctrl=0|1][,unit=0|1]
 * @spec: the text of --ide-disk
 * @d: the result; LUN 0, the IDE place -1 where not given
 *
 * Return: NULL, or what is wrong with @spec.
 */
const char *storvsp_parse_ide_disk(const char *spec,
				   struct storvsp_disk_spec *d)
{
	const char *err;

	err = storvsp_parse_spec(spec, false, storvsp_parse_ide_subopt, d);
	d->lun = 0;
	return err;
}

/**
 * storvsp_parse_dvd() - parse [FILE][,ctrl=0|1][,unit=0|1] of --dvd
 * @spec: the text; without FILE (empty, or starting with an option) the
 *	drive has no medium
 * @d: the result, read-only, LUN 0
 *
 * Return: NULL, or what is wrong with @spec.
 */
const char *storvsp_parse_dvd(const char *spec, struct storvsp_disk_spec *d)
{
	size_t flen = strcspn(spec, ",");
	bool no_file = !flen || memchr(spec, '=', flen);
	char buf[STORVSP_PATH_MAX + 64];
	const char *err;

	if (snprintf(buf, sizeof(buf), no_file ? "-,%s" : "%s", spec) >=
	    (int)sizeof(buf))
		return "too long";
	err = storvsp_parse_ide_disk(buf, d);
	if (no_file)
		d->path[0] = '\0';
	d->dvd = true;
	d->read_only = true;
	return err;
}

/**
 * storvsp_ide_instance() - the instance GUID of an IDE place (§7.8)
 * @chan: IDE channel, 0 or 1
 * @unit: device on it, 0 or 1
 * @g: the GUID
 */
void storvsp_ide_instance(unsigned int chan, unsigned int unit, guid_t *g)
{
	struct vstor_ide_instance ide = {
		.channel = chan,
		.device = unit,
		.magic = VSTOR_IDE_INSTANCE_MAGIC,
	};

	static_assert(sizeof(ide) == sizeof(*g), "IDE instance size");
	memcpy(g, &ide, sizeof(*g));
}

/**
 * storvsp_ide_location() - the IDE place an instance GUID encodes
 * @g: the GUID
 * @chan: its channel
 * @unit: its device
 *
 * Return: false (and 0, 0) if @g does not follow §7.8's encoding.
 */
bool storvsp_ide_location(const guid_t *g, uint8_t *chan, uint8_t *unit)
{
	static const uint8_t zero[sizeof(((struct vstor_ide_instance *)0)->zero)];
	struct vstor_ide_instance ide;

	memcpy(&ide, g, sizeof(ide));
	*chan = 0;
	*unit = 0;
	if (ide.magic != VSTOR_IDE_INSTANCE_MAGIC || memcmp(ide.zero, zero,
							  sizeof(zero)) ||
	    ide.channel >= VSTOR_IDE_CHANNELS || ide.device >= VSTOR_IDE_DEVICES)
		return false;
	*chan = ide.channel;
	*unit = ide.device;
	return true;
}

/* --- lifetimes ------------------------------------------------------- */

static void storvsp_lun_put(struct storvsp_lun *lun)
{
	if (--lun->refs)
		return;
	scsi_disk_close(&lun->disk);
	free(lun->path);
	free(lun);
}

static void storvsp_ctrl_unlink(struct storvsp_ctrl *ctrl)
{
	struct storvsp_ctrl **pp;

	for (pp = &ctrl->sp->ctrls; *pp; pp = &(*pp)->next) {
		if (*pp == ctrl) {
			*pp = ctrl->next;
			return;
		}
	}
}

static void storvsp_ctrl_put(struct storvsp_ctrl *ctrl)
{
	unsigned int i;

	if (--ctrl->refs)
		return;
	for (i = 0; i < STORVSP_MAX_LUNS; i++)
		if (ctrl->luns[i])
			storvsp_lun_put(ctrl->luns[i]);
	storvsp_ctrl_unlink(ctrl);
	free(ctrl);
}

/* Completions held back by no-completion are freed, never sent. */
static void storvsp_held_drop(struct storvsp_chan *sc)
{
	struct storvsp *sp = sc->ctrl->sp;
	struct hv_send_msg *msg;

	for (msg = sc->held; msg; msg = msg->next)
		sp->held--;
	hv_send_msg_free_all(&sc->held);
}

static void storvsp_chan_put(struct storvsp_chan *sc)
{
	if (--sc->refs)
		return;
	storvsp_held_drop(sc);
	storvsp_ctrl_put(sc->ctrl);
	free(sc);
}

/**
 * storvsp_ctrl_bind() - make a new SCSI channel a controller
 * @sp: the StorVSP
 * @primary: the primary channel, just added to the VMBus server
 *
 * Return: the controller (without LUNs), or NULL without memory.
 */
struct storvsp_ctrl *storvsp_ctrl_bind(struct storvsp *sp,
				       struct hv_channel *primary)
{
	struct storvsp_ctrl *ctrl = calloc(1, sizeof(*ctrl)), **pp;

	if (!ctrl)
		return NULL;
	ctrl->sp = sp;
	ctrl->primary = primary;
	ctrl->instance = primary->instance;
	/* An IDE GUID of another form: the disk is at channel 0, device 0. */
	if (sp->profile->ide)
		storvsp_ide_location(&ctrl->instance, &ctrl->path,
				     &ctrl->target);
	ctrl->refs = 1;
	for (pp = &sp->ctrls; *pp; pp = &(*pp)->next)
		;
	*pp = ctrl;
	primary->device = ctrl;
	return ctrl;
}

struct storvsp_ctrl *storvsp_ctrl_find(struct storvsp *sp,
				       const guid_t *instance)
{
	struct storvsp_ctrl *ctrl;

	for (ctrl = sp->ctrls; ctrl; ctrl = ctrl->next)
		if (ctrl->primary && !ctrl->primary->rescinded &&
		    hv_guid_equal(&ctrl->instance, instance))
			return ctrl;
	return NULL;
}

/* Controllers never bound to a channel (a failed start-up). */
void storvsp_destroy(struct storvsp *sp)
{
	while (sp->ctrls) {
		sp->ctrls->refs = 1;
		storvsp_ctrl_put(sp->ctrls);
	}
}

/* --- sending --------------------------------------------------------- */

/*
 * Send a packet to the guest, in order after those still waiting; if the
 * ring is full it waits in the channel's send queue (never dropped). A
 * closed channel takes nothing.
 */
static void storvsp_send(struct storvsp_chan *sc, uint16_t type,
			 uint64_t trans_id, const void *data, uint32_t len)
{
	int ret;

	if (!sc->ch)
		return;
	ret = hv_channel_send_queued(sc->ch, type, 0, trans_id, data, len);
	if (ret)
		hv_warn_rl("scsi relid %u: packet for the guest lost: %s",
			   sc->ch->relid, strerror(-ret));
}

/* Answer a request with @resp (operation and flags are set here). */
static void storvsp_answer(struct storvsp_chan *sc,
			   const struct storvsp_rx *rx,
			   struct vstor_packet *resp)
{
	if (!rx->reply)
		return;
	resp->operation = VSTOR_OP_COMPLETE_IO;
	resp->flags = 0;
	storvsp_send(sc, VMBUS_PKT_COMP, rx->trans_id, resp, sizeof(*resp));
}

static void storvsp_answer_status(struct storvsp_chan *sc,
				  const struct storvsp_rx *rx, uint32_t status)
{
	struct vstor_packet resp = { .status = status };

	storvsp_answer(sc, rx, &resp);
}

/* ENUMERATE_BUS: the LUNs changed, the guest rescans. */
static void storvsp_notify(struct storvsp_ctrl *ctrl)
{
	struct vstor_packet pkt = { .operation = VSTOR_OP_ENUMERATE_BUS };
	struct hv_channel *ch = ctrl->primary;

	if (!ch || !ch->open || !ch->priv || ctrl->state != STORVSP_READY)
		return;
	storvsp_send(ch->priv, VMBUS_PKT_DATA_INBAND, 0, &pkt, sizeof(pkt));
}

/* --- completions ----------------------------------------------------- */

/*
 * The NTSTATUS of an SRB completion, from its SRB status as Hyper-V's
 * storvsp derives it (OpenVMM storvsp, convert_srb_status_to_nt_status):
 * 0 only for SUCCESS.
 */
static uint32_t storvsp_nt_status(uint8_t srb_status)
{
	switch (VSTOR_SRB_STATUS_CODE(srb_status)) {
	case VSTOR_SRB_SUCCESS:
		return VSTOR_STATUS_SUCCESS;
	case VSTOR_SRB_BUSY:
		return VSTOR_STATUS_DEVICE_BUSY;
	case VSTOR_SRB_INVALID_LUN:
	case VSTOR_SRB_INVALID_TARGET_ID:
	case VSTOR_SRB_NO_DEVICE:
	case VSTOR_SRB_NO_HBA:
		return VSTOR_STATUS_DEVICE_DOES_NOT_EXIST;
	case VSTOR_SRB_COMMAND_TIMEOUT:
	case VSTOR_SRB_TIMEOUT:
		return VSTOR_STATUS_IO_TIMEOUT;
	case VSTOR_SRB_SELECTION_TIMEOUT:
		return VSTOR_STATUS_DEVICE_NOT_CONNECTED;
	case VSTOR_SRB_BAD_FUNCTION:
	case VSTOR_SRB_BAD_SRB_BLOCK_LENGTH:
		return VSTOR_STATUS_INVALID_DEVICE_REQUEST;
	case VSTOR_SRB_DATA_OVERRUN:
		return VSTOR_STATUS_BUFFER_OVERFLOW;
	case VSTOR_SRB_REQUEST_FLUSHED:
		return VSTOR_STATUS_UNSUCCESSFUL;
	case VSTOR_SRB_ABORTED:
		return VSTOR_STATUS_CANCELLED;
	default:
		return VSTOR_STATUS_IO_DEVICE_ERROR;
	}
}

/*
 * The SRB status of a command that ended in CHECK CONDITION, as Hyper-V's
 * SCSI disk sets it (OpenVMM scsidisk, process_result): INVALID_REQUEST
 * for an illegal request (unsupported opcode, page, service action, bad
 * field or LBA), ERROR for the others (medium, write protect, unit
 * attention); the sense is always valid.
 */
static uint8_t storvsp_check_condition_status(const struct scsi_cmd *cmd)
{
	uint8_t key = cmd->sense[2] & 0x0f;

	if (key == SCSI_SENSE_ILLEGAL_REQUEST)
		return VSTOR_SRB_INVALID_REQUEST |
		       VSTOR_SRB_STATUS_AUTOSENSE_VALID;
	return VSTOR_SRB_ERROR | VSTOR_SRB_STATUS_AUTOSENSE_VALID;
}

static void storvsp_srb_completion(const struct storvsp_req *req,
				   struct vstor_packet *pkt)
{
	struct vstor_srb *srb = &pkt->srb;
	uint8_t sense_len = SCSI_SENSE_SIZE;

	memset(pkt, 0, sizeof(*pkt));
	pkt->operation = VSTOR_OP_COMPLETE_IO;
	*srb = req->srb;	/* the guest's own addressing, echoed */
	memset(&srb->data, 0, sizeof(srb->data));
	srb->scsi_status = SCSI_STATUS_GOOD;
	srb->sense_info_length = 0;
	srb->data_transfer_length = 0;
	if (req->srb_status) {
		srb->srb_status = req->srb_status;
		srb->scsi_status = req->cmd.status;
		return;
	}
	if (req->cmd.status == SCSI_STATUS_GOOD) {
		srb->srb_status = VSTOR_SRB_SUCCESS;
		srb->data_transfer_length = req->moved;
		return;
	}
	if (req->srb.sense_info_length < sense_len)
		sense_len = req->srb.sense_info_length;
	srb->srb_status = storvsp_check_condition_status(&req->cmd);
	srb->scsi_status = req->cmd.status;
	srb->sense_info_length = sense_len;
	memcpy(srb->data.sense_data, req->cmd.sense, sense_len);
}

/* Take one injection of @kind, if that is the fault armed. */
static bool storvsp_fault_take(struct storvsp *sp, enum storvsp_fault kind)
{
	if (sp->fault != kind || !sp->fault_count)
		return false;
	if (!--sp->fault_count)
		sp->fault = STORVSP_FAULT_NONE;
	sp->faults_sent++;
	sp->faults[kind]++;
	return true;
}

/* bad-sense: CHECK CONDITION whose sense has response code 0. */
static void storvsp_bad_sense(const struct storvsp_req *req,
			      struct vstor_srb *srb)
{
	uint8_t len = req->srb.sense_info_length;

	if (len > VSTOR_SRB_SENSE_SIZE)
		len = VSTOR_SRB_SENSE_SIZE;
	srb->srb_status = VSTOR_SRB_ERROR | VSTOR_SRB_STATUS_AUTOSENSE_VALID;
	srb->scsi_status = SCSI_STATUS_CHECK_CONDITION;
	srb->data_transfer_length = 0;
	srb->sense_info_length = len;
	memset(srb->data.sense_data, STORVSP_BAD_SENSE_BYTE, len);
	srb->data.sense_data[0] = 0;
}

/*
 * The faults of `fault storvsc` that act on a completion: malform it,
 * send a malformed one before it, or keep it back.
 *
 * Return: false when @pkt is to be held, not sent.
 */
static bool storvsp_completion_fault(struct storvsp_chan *sc,
				     const struct storvsp_req *req,
				     struct vstor_packet *pkt)
{
	struct storvsp *sp = sc->ctrl->sp;
	enum storvsp_fault fault = sp->fault;

	switch (fault) {
	case STORVSP_FAULT_BAD_LENGTH:
	case STORVSP_FAULT_BAD_ID:
	case STORVSP_FAULT_BAD_STATUS:
	case STORVSP_FAULT_BAD_SCSI_STATUS:
	case STORVSP_FAULT_BAD_SENSE:
	case STORVSP_FAULT_NO_COMPLETION:
		if (storvsp_fault_take(sp, fault))
			break;
		return true;
	default:
		return true;
	}
	switch (fault) {
	case STORVSP_FAULT_BAD_LENGTH:
		storvsp_send(sc, VMBUS_PKT_COMP, req->trans_id, pkt,
			     sizeof(*pkt) / 2);
		break;
	case STORVSP_FAULT_BAD_ID:
		storvsp_send(sc, VMBUS_PKT_COMP, ~req->trans_id, pkt,
			     sizeof(*pkt));
		break;
	case STORVSP_FAULT_BAD_STATUS:
		/* Alternately an impossible status and an overlong transfer. */
		if (sp->faults[fault] % 2) {
			pkt->srb.srb_status = STORVSP_BAD_SRB_STATUS;
		} else {
			pkt->srb.srb_status = VSTOR_SRB_SUCCESS;
			pkt->srb.data_transfer_length = req->requested +
							HV_WIRE_PAGE_SIZE;
		}
		break;
	case STORVSP_FAULT_BAD_SCSI_STATUS:
		pkt->srb.srb_status = VSTOR_SRB_SUCCESS;
		pkt->srb.scsi_status = STORVSP_BAD_SCSI_STATUS;
		pkt->srb.sense_info_length = 0;
		memset(&pkt->srb.data, 0, sizeof(pkt->srb.data));
		break;
	case STORVSP_FAULT_BAD_SENSE:
		storvsp_bad_sense(req, &pkt->srb);
		break;
	default:
		return false;	/* no-completion */
	}
	return true;
}

/*
 * recovered-error: a READ or WRITE that moved all its data ends as a
 * pass-through disk's recovered error reaches the guest through Windows:
 * CHECK CONDITION, RECOVERED ERROR 17/01, SRB ERROR with autosense, the
 * requested length left in place.
 */
static void storvsp_fault_recovered(struct storvsp_chan *sc,
				    const struct storvsp_req *req,
				    struct vstor_packet *pkt)
{
	struct vstor_srb *srb = &pkt->srb;
	struct scsi_cmd cmd;

	if ((req->cmd.io.kind != SCSI_IO_READ &&
	     req->cmd.io.kind != SCSI_IO_WRITE) ||
	    srb->srb_status != VSTOR_SRB_SUCCESS ||
	    !storvsp_fault_take(sc->ctrl->sp, STORVSP_FAULT_RECOVERED_ERROR))
		return;
	scsi_cmd_fail(&cmd, SCSI_SENSE_RECOVERED_ERROR,
		      STORVSP_ASC_RECOVERED_RETRIES,
		      STORVSP_ASCQ_RECOVERED_RETRIES);
	srb->srb_status = VSTOR_SRB_ERROR | VSTOR_SRB_STATUS_AUTOSENSE_VALID;
	srb->scsi_status = SCSI_STATUS_CHECK_CONDITION;
	srb->data_transfer_length = req->requested;
	srb->sense_info_length = req->srb.sense_info_length < SCSI_SENSE_SIZE ?
				 req->srb.sense_info_length : SCSI_SENSE_SIZE;
	memcpy(srb->data.sense_data, cmd.sense, srb->sense_info_length);
}

/* no-completion: the finished request's answer waits until the close. */
static void storvsp_hold(struct storvsp_chan *sc, uint64_t trans_id,
			 const struct vstor_packet *pkt)
{
	struct hv_send_msg *msg;

	msg = hv_send_msg_new(VMBUS_PKT_COMP, 0, trans_id, pkt, sizeof(*pkt));
	if (!msg) {
		hv_err("scsi relid %u: out of memory, completion lost",
		       sc->ch->relid);
		return;
	}
	msg->next = sc->held;
	sc->held = msg;
	sc->ctrl->sp->held++;
}

static void storvsp_req_free(struct storvsp_req *req)
{
	struct storvsp_chan *sc = req->sc;
	struct storvsp_ctrl *ctrl = sc->ctrl;

	if (req->lun)
		storvsp_lun_put(req->lun);
	free(req->fill);
	free(req);
	sc->inflight--;
	ctrl->inflight--;
	/* A rescind may wait for the last I/O on guest memory. */
	if (!ctrl->inflight && ctrl->primary)
		vmbus_server_device_idle(ctrl->primary->srv, ctrl->primary);
	/* The channel may have stopped reading for us. */
	if (sc->ch && !sc->ch->sendq)
		hv_channel_unblock(sc->ch);
	storvsp_chan_put(sc);
}

static void storvsp_count(struct storvsp_req *req)
{
	struct storvsp_stats *st = &req->sc->ctrl->stats;

	if (req->srb_status || req->cmd.status != SCSI_STATUS_GOOD)
		st->errors++;
}

/* The request is done: answer it (unless its channel closed), free it. */
static void storvsp_finish(struct storvsp_req *req)
{
	struct storvsp_chan *sc = req->sc;
	struct vstor_packet pkt;
	bool send;

	storvsp_count(req);
	if (req->reply && sc->ch) {
		storvsp_srb_completion(req, &pkt);
		storvsp_fault_recovered(sc, req, &pkt);
		send = storvsp_completion_fault(sc, req, &pkt);
		pkt.status = storvsp_nt_status(pkt.srb.srb_status);
		if (send)
			storvsp_send(sc, VMBUS_PKT_COMP, req->trans_id, &pkt,
				     sizeof(pkt));
		else
			storvsp_hold(sc, req->trans_id, &pkt);
	}
	storvsp_req_free(req);
}

static void storvsp_finish_status(struct storvsp_req *req, uint8_t status)
{
	req->srb_status = status;
	storvsp_finish(req);
}

/* --- guest data ------------------------------------------------------ */

static void storvsp_copy_to_guest(struct storvsp_req *req, const void *src,
				  uint32_t len)
{
	const uint8_t *p = src;
	uint32_t chunk;
	unsigned int i;

	for (i = 0; i < req->niov && len; i++, p += chunk, len -= chunk) {
		chunk = req->iov[i].iov_len < len ? req->iov[i].iov_len : len;
		memcpy(req->iov[i].iov_base, p, chunk);
	}
}

static uint32_t storvsp_copy_from_guest(struct storvsp_req *req, void *dst,
					uint32_t len)
{
	uint32_t chunk, done = 0;
	uint8_t *p = dst;
	unsigned int i;

	for (i = 0; i < req->niov && done < len; i++, done += chunk) {
		chunk = req->iov[i].iov_len < len - done ?
			req->iov[i].iov_len : len - done;
		memcpy(p + done, req->iov[i].iov_base, chunk);
	}
	return done;
}

/* Keep the first @len bytes of the data pages (a shorter READ/WRITE). */
static void storvsp_trim_iov(struct storvsp_req *req, uint64_t len)
{
	unsigned int i;

	for (i = 0; i < req->niov && len; i++) {
		if (req->iov[i].iov_len > len)
			req->iov[i].iov_len = len;
		len -= req->iov[i].iov_len;
	}
	req->niov = i;
}

/* --- the medium ------------------------------------------------------ */

static void storvsp_range_step(struct storvsp_req *req);

static void storvsp_medium_error(struct storvsp_req *req, int err)
{
	hv_warn_rl("disk %s: %s at byte %llu: %s", req->lun->path,
		   req->io.op == BLOCKIO_READ ? "read" : "write",
		   (unsigned long long)req->io.offset, strerror(-err));
	/* A backend I/O error: MEDIUM ERROR without an ASC, as Hyper-V. */
	scsi_disk_fail(&req->lun->disk, &req->cmd, SCSI_SENSE_MEDIUM_ERROR,
		       0x00, 0x00);
	req->moved = 0;
}

static void storvsp_io_done(struct blockio_req *io)
{
	struct storvsp_req *req = container_of(io, struct storvsp_req, io);
	struct storvsp_stats *st = &req->sc->ctrl->stats;
	enum scsi_io_kind kind = req->cmd.io.kind;

	if (io->result == -EOPNOTSUPP && io->op == BLOCKIO_PUNCH &&
	    !req->zero_fill) {
		/* Unmapped blocks must read zero: write them instead. */
		req->zero_fill = true;
		storvsp_range_step(req);
		return;
	}
	if (io->result) {
		storvsp_medium_error(req, io->result);
		storvsp_finish(req);
		return;
	}
	if (io->op == BLOCKIO_READ)
		st->bytes_read += io->moved;
	else if (io->op == BLOCKIO_WRITE)
		st->bytes_written += io->moved;
	if (kind == SCSI_IO_DISCARD || kind == SCSI_IO_WRITE_SAME) {
		req->range_done += io->op == BLOCKIO_PUNCH ? io->len :
						io->moved;
		storvsp_range_step(req);
		return;
	}
	storvsp_finish(req);
}

static void storvsp_submit(struct storvsp_req *req, enum blockio_op op,
			   uint64_t offset)
{
	req->io.op = op;
	req->io.fd = req->lun->disk.fd;
	req->io.in_memory = req->lun->disk.in_memory;
	req->io.offset = offset;
	req->io.done = storvsp_io_done;
	blockio_submit(req->sc->ctrl->sp->bio, &req->io);
}

/* WRITE SAME and zero-fill: a chunk of copies of one block. */
static int storvsp_fill_prepare(struct storvsp_req *req)
{
	unsigned int off;

	if (req->fill)
		return 0;
	req->fill = calloc(1, STORVSP_FILL_CHUNK);
	if (!req->fill)
		return -ENOMEM;
	if (req->cmd.io.kind != SCSI_IO_WRITE_SAME)
		return 0;
	for (off = 0; off < STORVSP_FILL_CHUNK; off += SCSI_BLOCK_SIZE)
		memcpy(req->fill + off, req->bounce, SCSI_BLOCK_SIZE);
	return 0;
}

/*
 * UNMAP and WRITE SAME walk their ranges one file operation at a time:
 * a hole punch per range, or fill writes of up to STORVSP_FILL_CHUNK.
 */
static void storvsp_range_step(struct storvsp_req *req)
{
	struct scsi_io *io = &req->cmd.io;
	const struct scsi_range *r;
	uint64_t left;

	while (req->range < io->nr_ranges &&
	       req->range_done >= io->ranges[req->range].len) {
		req->range++;
		req->range_done = 0;
	}
	if (req->range == io->nr_ranges) {
		storvsp_finish(req);
		return;
	}
	r = &io->ranges[req->range];
	if (io->kind == SCSI_IO_DISCARD && !req->zero_fill) {
		req->io.len = r->len;
		storvsp_submit(req, BLOCKIO_PUNCH, r->offset);
		return;
	}
	if (storvsp_fill_prepare(req)) {
		storvsp_medium_error(req, -ENOMEM);
		storvsp_finish(req);
		return;
	}
	left = r->len - req->range_done;
	req->fill_iov.iov_base = req->fill;
	req->fill_iov.iov_len = left < STORVSP_FILL_CHUNK ? left :
				STORVSP_FILL_CHUNK;
	req->io.iov = &req->fill_iov;
	req->io.iovcnt = 1;
	storvsp_submit(req, BLOCKIO_WRITE, r->offset + req->range_done);
}

/*
 * medium-error: fail a READ or WRITE as a disk does that cannot read or
 * write the blocks; nothing is moved. True when it did.
 */
static bool storvsp_fault_medium_error(struct storvsp_req *req)
{
	bool read = req->cmd.io.kind == SCSI_IO_READ;

	if (!storvsp_fault_take(req->sc->ctrl->sp, STORVSP_FAULT_MEDIUM_ERROR))
		return false;
	scsi_disk_fail(&req->lun->disk, &req->cmd, SCSI_SENSE_MEDIUM_ERROR,
		       read ? STORVSP_ASC_UNRECOVERED_READ :
			      STORVSP_ASC_WRITE_ERROR, 0);
	storvsp_finish(req);
	return true;
}

/* Start the medium access scsi_disk asked for. */
static void storvsp_start_io(struct storvsp_req *req)
{
	struct storvsp_stats *st = &req->sc->ctrl->stats;
	struct scsi_io *io = &req->cmd.io;

	switch (io->kind) {
	case SCSI_IO_READ:
	case SCSI_IO_WRITE:
		if (storvsp_fault_medium_error(req))
			break;
		if (io->kind == SCSI_IO_READ)
			st->reads++;
		else
			st->writes++;
		storvsp_trim_iov(req, io->len);
		req->moved = io->len;
		req->io.iov = req->iov;
		req->io.iovcnt = req->niov;
		storvsp_submit(req, io->kind == SCSI_IO_READ ? BLOCKIO_READ :
			       BLOCKIO_WRITE, io->offset);
		break;
	case SCSI_IO_FLUSH:
		st->flushes++;
		storvsp_submit(req, BLOCKIO_FLUSH, 0);
		break;
	case SCSI_IO_DISCARD:
	case SCSI_IO_WRITE_SAME:
		if (io->kind == SCSI_IO_DISCARD)
			st->unmaps++;
		else
			st->writes++;
		req->moved = req->requested;
		storvsp_range_step(req);
		break;
	case SCSI_IO_NONE:
		storvsp_finish(req);
		break;
	}
}

/* --- SRBs ------------------------------------------------------------ */

static uint16_t get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)get_be16(p) << 16 | get_be16(p + 2);
}

/*
 * Whether the SRB addresses the controller's target. On IDE the host
 * replaces path_id with the offer's channel, as OpenVMM's storvsp does,
 * and takes target_id as sent.
 */
static bool storvsp_at_target(const struct storvsp_req *req)
{
	const struct storvsp_ctrl *ctrl = req->sc->ctrl;

	return (ctrl->sp->profile->ide || req->srb.path_id == ctrl->path) &&
	       req->srb.target_id == ctrl->target;
}

/*
 * REPORT LUNS is the target's: answered whatever LUN it was sent to. The
 * LUNs are all at the controller's path and target (SCSI: 0, 0); other
 * targets have none.
 */
static void storvsp_report_luns(struct storvsp_req *req)
{
	struct storvsp_ctrl *ctrl = req->sc->ctrl;
	uint8_t luns[STORVSP_MAX_LUNS];
	unsigned int i, n = 0;
	uint32_t len = req->requested;

	req->cmd.status = SCSI_STATUS_GOOD;
	if (req->srb.cdb_length < 12) {
		scsi_cmd_fail(&req->cmd, SCSI_SENSE_ILLEGAL_REQUEST, 0x20, 0);
		return;
	}
	for (i = 0; i < STORVSP_MAX_LUNS && storvsp_at_target(req); i++)
		if (ctrl->luns[i])
			luns[n++] = i;
	if (len > get_be32(req->cdb + 6))
		len = get_be32(req->cdb + 6);
	if (len > sizeof(req->bounce))
		len = sizeof(req->bounce);
	req->moved = scsi_report_luns(luns, n, req->bounce, len);
	storvsp_copy_to_guest(req, req->bounce, req->moved);
}

/*
 * No disk at this path, target and LUN; as Hyper-V's storvsp answers
 * (OpenVMM storvsp, execute_scsi): a standard INQUIRY gets "no device
 * here" (peripheral qualifier 3), so that a scan without LUN 0 still goes
 * on to REPORT LUNS; an INQUIRY for a VPD page or with a buffer smaller
 * than it asks for is an illegal request (24/00); anything else gets
 * INVALID_LUN with CHECK CONDITION and no sense.
 */
static void storvsp_absent_lun(struct storvsp_req *req)
{
	uint32_t alloc = get_be16(req->cdb + 3), len = req->requested;

	if (req->cdb[0] != SCSI_INQUIRY) {
		req->cmd.status = SCSI_STATUS_CHECK_CONDITION;
		storvsp_finish_status(req, VSTOR_SRB_INVALID_LUN);
		return;
	}
	if (req->srb.cdb_length < 6 || (req->cdb[1] & 0x01) || req->cdb[2] ||
	    alloc < SCSI_INQUIRY_HEADER_SIZE || len < alloc ||
	    req->srb.data_in != VSTOR_SRB_READ) {
		scsi_cmd_fail(&req->cmd, SCSI_SENSE_ILLEGAL_REQUEST, 0x24, 0);
		storvsp_finish(req);
		return;
	}
	if (len > sizeof(req->bounce))
		len = sizeof(req->bounce);
	req->cmd.status = SCSI_STATUS_GOOD;
	req->moved = scsi_inquiry_no_lun(req->cdb, req->srb.lun, req->bounce,
					 len);
	storvsp_copy_to_guest(req, req->bounce, req->moved);
	storvsp_finish(req);
}

/*
 * ua-*: the first command to each LUN after the fault was armed, but
 * INQUIRY (and REPORT LUNS, which is the controller's), reports the unit
 * attention; REQUEST SENSE gets it as its data. True when the command
 * failed with it.
 */
static bool storvsp_fault_unit_attention(struct storvsp_req *req)
{
	struct storvsp *sp = req->sc->ctrl->sp;
	struct storvsp_lun *lun = req->lun;
	enum storvsp_fault fault = sp->fault;

	if (lun->ua_gen == sp->ua_gen || req->cdb[0] == SCSI_INQUIRY)
		return false;
	switch (fault) {
	case STORVSP_FAULT_UA_LUNS_CHANGED:
	case STORVSP_FAULT_UA_CAPACITY_CHANGED:
	case STORVSP_FAULT_UA_PARAMS_CHANGED:
		if (storvsp_fault_take(sp, fault))
			break;
		return false;
	default:
		return false;
	}
	lun->ua_gen = sp->ua_gen;
	return scsi_disk_unit_attention(&lun->disk, &req->cmd,
					storvsp_ua_codes[fault].asc,
					storvsp_ua_codes[fault].ascq);
}

/*
 * inquiry-control: a standard INQUIRY's vendor and product identification
 * carry an escape sequence and a newline, as a hostile host could send.
 */
static void storvsp_fault_inquiry(struct storvsp_req *req)
{
	static const char ids[] = STORVSP_INQUIRY_CONTROL;

	if (req->cdb[0] != SCSI_INQUIRY || (req->cdb[1] & 0x01) ||
	    req->cmd.status != SCSI_STATUS_GOOD || req->cmd.data_len < 32 ||
	    !storvsp_fault_take(req->sc->ctrl->sp,
				STORVSP_FAULT_INQUIRY_CONTROL))
		return;
	_Static_assert(sizeof(ids) - 1 == 24, "vendor and product: 24 bytes");
	memcpy(req->bounce + 8, ids, sizeof(ids) - 1);
}

/* Run the CDB on its LUN; finish now or when the medium is done. */
static void storvsp_execute(struct storvsp_req *req)
{
	struct storvsp_ctrl *ctrl = req->sc->ctrl;
	struct scsi_cmd *cmd = &req->cmd;
	uint8_t op = req->cdb[0];
	enum scsi_data_dir dir = scsi_cdb_direction(op);
	uint32_t len = req->requested;

	if (op == SCSI_REPORT_LUNS) {
		storvsp_report_luns(req);
		storvsp_finish(req);
		return;
	}
	req->lun = storvsp_at_target(req) ? ctrl->luns[req->srb.lun] : NULL;
	if (!req->lun) {
		storvsp_absent_lun(req);
		return;
	}
	req->lun->refs++;
	cmd->cdb = req->cdb;
	cmd->cdb_len = req->srb.cdb_length;
	cmd->buf = req->bounce;
	/* READ and WRITE move data past the bounce buffer, never into it. */
	if (!scsi_cdb_medium_rw(op) && len > sizeof(req->bounce))
		len = sizeof(req->bounce);
	cmd->buf_len = len;
	if (dir == SCSI_DIR_OUT && !scsi_cdb_medium_rw(op))
		cmd->buf_len = storvsp_copy_from_guest(req, req->bounce, len);
	if (storvsp_fault_unit_attention(req)) {
		storvsp_finish(req);
		return;
	}
	scsi_disk_execute(&req->lun->disk, cmd);
	if (cmd->status != SCSI_STATUS_GOOD || cmd->io.kind == SCSI_IO_NONE) {
		storvsp_fault_inquiry(req);
		if (cmd->status == SCSI_STATUS_GOOD && dir == SCSI_DIR_IN)
			storvsp_copy_to_guest(req, req->bounce, cmd->data_len);
		req->moved = dir == SCSI_DIR_OUT ? req->requested :
			     cmd->data_len;
		storvsp_finish(req);
		return;
	}
	storvsp_start_io(req);
}

/*
 * Map the one GPA range of an SRB with data: every page guest RAM,
 * pages that are adjacent in our mapping merged into one iovec.
 */
static const char *storvsp_map_range(struct hv_channel *ch,
				     const struct storvsp_rx *rx,
				     struct storvsp_req *req)
{
	const struct hv_packet *p = rx->pkt;
	const struct hv_gpa_span *r = p->ranges;
	unsigned int max = req->requested / HV_WIRE_PAGE_SIZE + 2;

	if (p->range_err)
		return p->range_err;
	if (p->nranges != 1)
		return "range count is not 1";
	if (r->byte_count != req->requested)
		return "byte_count differs from data_transfer_length";
	if (hv_gpa_map(ch->srv->gm, r, req->iov, max, &req->niov))
		return "PFN outside guest RAM";
	return NULL;
}

/* Direction, length and CDB checks that need no guest memory. */
static const char *storvsp_check_srb(const struct storvsp *sp,
				     const struct storvsp_rx *rx)
{
	const struct vstor_srb *srb = &rx->vp.srb;
	enum scsi_data_dir dir;
	bool gpa = rx->type == VMBUS_PKT_DATA_USING_GPA_DIRECT;

	if (rx->vp_len < STORVSP_HEADER_SIZE + sizeof(*srb) ||
	    srb->length != sizeof(*srb))
		return "SRB length";
	if (!srb->cdb_length || srb->cdb_length > VSTOR_CDB_SIZE)
		return "CDB length";
	if (srb->data_in > VSTOR_SRB_UNKNOWN)
		return "data_in";
	if (srb->data_transfer_length > sp->cfg.max_transfer)
		return "longer than max_transfer_bytes";
	if (!srb->data_transfer_length)
		return gpa ? "GPA range without data" : NULL;
	if (!gpa)
		return "data without a GPA range";
	dir = scsi_cdb_direction(srb->data.cdb[0]);
	if (srb->data_in == VSTOR_SRB_UNKNOWN || dir == SCSI_DIR_NONE ||
	    (dir == SCSI_DIR_IN && srb->data_in != VSTOR_SRB_READ) ||
	    (dir == SCSI_DIR_OUT && srb->data_in != VSTOR_SRB_WRITE))
		return "data direction does not match the CDB";
	return NULL;
}

static struct storvsp_req *storvsp_req_alloc(struct storvsp_chan *sc,
					     const struct storvsp_rx *rx)
{
	uint32_t pages = rx->vp.srb.data_transfer_length /
			 HV_WIRE_PAGE_SIZE + 2;
	struct storvsp_req *req;

	req = calloc(1, sizeof(*req) + pages * sizeof(struct iovec));
	if (!req)
		return NULL;
	req->sc = sc;
	req->trans_id = rx->trans_id;
	req->reply = rx->reply;
	req->srb = rx->vp.srb;
	req->requested = rx->vp.srb.data_transfer_length;
	memcpy(req->cdb, rx->vp.srb.data.cdb, VSTOR_CDB_SIZE);
	sc->refs++;
	sc->inflight++;
	sc->ctrl->inflight++;
	return req;
}

static int storvsp_on_srb(struct storvsp_chan *sc,
			  const struct storvsp_rx *rx)
{
	struct storvsp_ctrl *ctrl = sc->ctrl;
	struct storvsp_req *req;
	const char *bad;

	if (ctrl->state != STORVSP_READY) {
		storvsp_answer_status(sc, rx, VSTOR_STATUS_INVALID_DEVICE_STATE);
		return -EINVAL;
	}
	ctrl->stats.srbs++;
	if ((rx->vp.srb.srb_flags & STORVSP_SRB_NO_FREEZE) ==
	    STORVSP_SRB_NO_FREEZE)
		ctrl->stats.srbs_no_freeze++;
	bad = storvsp_check_srb(ctrl->sp, rx);
	req = storvsp_req_alloc(sc, rx);
	if (!req) {
		hv_err("scsi relid %u: out of memory", sc->ch->relid);
		return -EAGAIN;
	}
	if (!bad && req->requested)
		bad = storvsp_map_range(sc->ch, rx, req);
	if (bad) {
		hv_warn_rl("scsi relid %u: bad SRB (CDB 0x%02x): %s",
			   sc->ch->relid, req->cdb[0], bad);
		storvsp_finish_status(req, VSTOR_SRB_INVALID_REQUEST);
		return -EINVAL;
	}
	storvsp_execute(req);
	return 0;
}

/* --- the handshake --------------------------------------------------- */

static bool storvsp_step(struct storvsp_chan *sc, enum storvsp_state from)
{
	return !sc->ch->primary && sc->ctrl->state == from;
}

/* BEGIN_INITIALIZATION, END_INITIALIZATION: a step without a body. */
static void storvsp_on_plain_step(struct storvsp_chan *sc,
				  const struct storvsp_rx *rx,
				  enum storvsp_state from,
				  enum storvsp_state to)
{
	if (!storvsp_step(sc, from)) {
		storvsp_answer_status(sc, rx, VSTOR_STATUS_INVALID_DEVICE_STATE);
		return;
	}
	sc->ctrl->state = to;
	storvsp_answer_status(sc, rx, VSTOR_STATUS_SUCCESS);
}

static void storvsp_on_version(struct storvsp_chan *sc,
			       const struct storvsp_rx *rx)
{
	struct vstor_packet resp = { .version = rx->vp.version };
	uint16_t v = rx->vp.version.major_minor;

	if (!storvsp_step(sc, STORVSP_WAIT_VERSION)) {
		storvsp_answer_status(sc, rx, VSTOR_STATUS_INVALID_DEVICE_STATE);
		return;
	}
	if (storvsp_version_ok(sc->ctrl->sp, v)) {
		sc->ctrl->version = v;
		sc->ctrl->state = STORVSP_WAIT_PROPERTIES;
	} else {
		resp.status = VSTOR_STATUS_REVISION_MISMATCH;
	}
	storvsp_answer(sc, rx, &resp);
}

static void storvsp_on_properties(struct storvsp_chan *sc,
				  const struct storvsp_rx *rx)
{
	const struct storvsp_config *cfg = &sc->ctrl->sp->cfg;
	struct vstor_packet resp = { 0 };

	if (!storvsp_step(sc, STORVSP_WAIT_PROPERTIES)) {
		storvsp_answer_status(sc, rx, VSTOR_STATUS_INVALID_DEVICE_STATE);
		return;
	}
	sc->ctrl->state = STORVSP_WAIT_END;
	resp.properties.max_channel_cnt = cfg->max_channels;
	if (cfg->max_channels)
		resp.properties.flags = VSTOR_PROPERTY_MULTI_CHANNEL;
	resp.properties.max_transfer_bytes = cfg->max_transfer;
	storvsp_answer(sc, rx, &resp);
}

/* The answer first, then the offers. */
static void storvsp_create_sub_channels(struct storvsp_chan *sc,
					const struct storvsp_rx *rx,
					uint16_t n)
{
	storvsp_answer_status(sc, rx, VSTOR_STATUS_SUCCESS);
	if (n && vmbus_server_add_subchannels(sc->ch->srv, sc->ch, n) < 0)
		hv_warn_rl("scsi relid %u: no sub-channels created",
			   sc->ch->relid);
}

/* Accepted once per open, after QUERY_PROPERTIES, on the primary. */
static void storvsp_on_sub_channels(struct storvsp_chan *sc,
				    const struct storvsp_rx *rx)
{
	struct storvsp_ctrl *ctrl = sc->ctrl;
	uint16_t n = rx->vp.sub_channel_count;

	if (sc->ch->primary || ctrl->subchannels ||
	    (ctrl->state != STORVSP_WAIT_END &&
	     ctrl->state != STORVSP_READY)) {
		storvsp_answer_status(sc, rx, VSTOR_STATUS_INVALID_DEVICE_STATE);
		return;
	}
	if (n > ctrl->sp->cfg.max_channels) {
		hv_warn_rl("scsi relid %u: %u sub-channels asked, %u allowed",
			   sc->ch->relid, n, ctrl->sp->cfg.max_channels);
		storvsp_answer_status(sc, rx, VSTOR_STATUS_INVALID_PARAMETER);
		return;
	}
	ctrl->subchannels = true;
	if (storvsp_fault_take(ctrl->sp, STORVSP_FAULT_SUBCHANNEL_LATE)) {
		ctrl->late = true;
		ctrl->late_id = rx->trans_id;
		ctrl->late_reply = rx->reply;
		ctrl->late_count = n;
		return;
	}
	storvsp_create_sub_channels(sc, rx, n);
}

/* subchannel-late: the held request is answered now, before @rx. */
static void storvsp_late_sub_channels(struct storvsp_chan *sc)
{
	struct storvsp_ctrl *ctrl = sc->ctrl;
	struct storvsp_rx rx = {
		.trans_id = ctrl->late_id,
		.reply = ctrl->late_reply,
	};

	if (!ctrl->late || sc->ch->primary)
		return;
	ctrl->late = false;
	hv_info("scsi relid %u: late answer to CREATE_SUB_CHANNELS",
		sc->ch->relid);
	storvsp_create_sub_channels(sc, &rx, ctrl->late_count);
}

/* --- the device ------------------------------------------------------ */

/* Copy the vstor_packet out of a parsed VMBus packet. */
static int storvsp_parse(const struct hv_packet *pkt, struct storvsp_rx *rx)
{
	memset(rx, 0, sizeof(*rx));
	rx->pkt = pkt;
	rx->type = pkt->type;
	rx->trans_id = pkt->trans_id;
	rx->reply = pkt->flags & VMBUS_PKT_FLAG_COMPLETION_REQUESTED;
	if (rx->type != VMBUS_PKT_DATA_INBAND &&
	    rx->type != VMBUS_PKT_DATA_USING_GPA_DIRECT)
		return -EINVAL;
	rx->vp_len = pkt->data_len;
	memcpy(&rx->vp, pkt->data,
	       rx->vp_len < sizeof(rx->vp) ? rx->vp_len : sizeof(rx->vp));
	return 0;
}

static int storvsp_packet(struct hv_channel *ch, const struct hv_packet *pkt)
{
	struct storvsp_chan *sc = ch->priv;
	struct storvsp_rx rx;

	if (sc->inflight >= STORVSP_MAX_INFLIGHT)
		return -EAGAIN;
	if (storvsp_parse(pkt, &rx)) {
		hv_warn_rl("scsi relid %u: packet type %u ignored", ch->relid,
			   rx.type);
		return -EINVAL;
	}
	if (rx.vp_len < STORVSP_HEADER_SIZE) {
		hv_warn_rl("scsi relid %u: %u-byte request", ch->relid,
			   rx.vp_len);
		storvsp_answer_status(sc, &rx, VSTOR_STATUS_INVALID_PARAMETER);
		return -EINVAL;
	}
	storvsp_late_sub_channels(sc);
	switch (rx.vp.operation) {
	case VSTOR_OP_EXECUTE_SRB:
		return storvsp_on_srb(sc, &rx);
	case VSTOR_OP_BEGIN_INITIALIZATION:
		storvsp_on_plain_step(sc, &rx, STORVSP_WAIT_BEGIN,
				      STORVSP_WAIT_VERSION);
		return 0;
	case VSTOR_OP_QUERY_PROTOCOL_VERSION:
		storvsp_on_version(sc, &rx);
		return 0;
	case VSTOR_OP_QUERY_PROPERTIES:
		storvsp_on_properties(sc, &rx);
		return 0;
	case VSTOR_OP_END_INITIALIZATION:
		storvsp_on_plain_step(sc, &rx, STORVSP_WAIT_END,
				      STORVSP_READY);
		return 0;
	case VSTOR_OP_CREATE_SUB_CHANNELS:
		storvsp_on_sub_channels(sc, &rx);
		return 0;
	case VSTOR_OP_RESET_LUN:
	case VSTOR_OP_RESET_ADAPTER:
	case VSTOR_OP_RESET_BUS:
		/* Nothing is ever stuck here: every request completes. */
		storvsp_answer_status(sc, &rx, VSTOR_STATUS_SUCCESS);
		return 0;
	default:
		hv_warn_rl("scsi relid %u: operation %u refused", ch->relid,
			   rx.vp.operation);
		storvsp_answer_status(sc, &rx,
				      VSTOR_STATUS_INVALID_DEVICE_REQUEST);
		return -EINVAL;
	}
}

static int storvsp_open(struct hv_channel *ch)
{
	struct storvsp_ctrl *ctrl = ch->device;
	struct storvsp_chan *sc;

	if (!ctrl)
		return -ENODEV;
	sc = calloc(1, sizeof(*sc));
	if (!sc)
		return -ENOMEM;
	sc->ch = ch;
	sc->ctrl = ctrl;
	sc->refs = 1;
	ctrl->refs++;
	if (!ch->primary) {
		ctrl->state = STORVSP_WAIT_BEGIN;
		ctrl->version = 0;
		ctrl->subchannels = false;
		ctrl->late = false;
	}
	ch->priv = sc;
	return 0;
}

/* Requests in flight finish into nothing; the channel drops queued answers. */
static void storvsp_close(struct hv_channel *ch)
{
	struct storvsp_chan *sc = ch->priv;

	if (!sc)
		return;
	if (!ch->primary)
		sc->ctrl->state = STORVSP_WAIT_BEGIN;
	storvsp_held_drop(sc);
	sc->ch = NULL;
	ch->priv = NULL;
	storvsp_chan_put(sc);
}

static bool storvsp_busy(struct hv_channel *ch)
{
	struct storvsp_ctrl *ctrl = ch->device;

	return ctrl && ctrl->inflight;
}

static void storvsp_release(struct hv_channel *ch)
{
	struct storvsp_ctrl *ctrl = ch->device;

	if (!ctrl)
		return;
	ctrl->primary = NULL;
	ch->device = NULL;
	storvsp_ctrl_put(ctrl);
}

const struct hv_device_ops hv_storvsp_ops = {
	.open = storvsp_open,
	.close = storvsp_close,
	.packet = storvsp_packet,
	.busy = storvsp_busy,
	.release = storvsp_release,
};

/* --- control --------------------------------------------------------- */

static int storvsp_free_lun(const struct storvsp_ctrl *ctrl)
{
	unsigned int i;

	for (i = 0; storvsp_lun_valid(ctrl->sp, i); i++)
		if (!ctrl->luns[i])
			return i;
	return -1;
}

/**
 * storvsp_disk_add() - attach an image as a LUN
 * @ctrl: the controller
 * @d: the image, read-only or not, and the LUN (-1: lowest free)
 * @lun: set to the LUN used
 *
 * A guest using the controller hears of it (ENUMERATE_BUS).
 *
 * Return: 0, -EEXIST (LUN taken), -ENOSPC (no LUN free), or the error of
 * opening the image (logged).
 */
int storvsp_disk_add(struct storvsp_ctrl *ctrl,
		     const struct storvsp_disk_spec *d, unsigned int *lun)
{
	int n = d->lun >= 0 ? d->lun : storvsp_free_lun(ctrl);
	struct storvsp_lun *l;
	int ret;

	if (n < 0)
		return -ENOSPC;
	if (!storvsp_lun_valid(ctrl->sp, n) || ctrl->luns[n])
		return -EEXIST;
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->path = strdup(d->path);
	if (!l->path)
		ret = -ENOMEM;
	else if (d->dvd)
		ret = scsi_dvd_open(&l->disk, d->path[0] ? d->path : NULL,
				    ctrl->sp->next_disk++);
	else
		ret = scsi_disk_open(&l->disk, d->path, d->read_only,
				     ctrl->sp->next_disk++);
	if (ret) {
		free(l->path);
		free(l);
		return ret;
	}
	l->lun = n;
	l->refs = 1;
	l->ua_gen = ctrl->sp->ua_gen;	/* armed before it came: not its */
	ctrl->luns[n] = l;
	*lun = n;
	storvsp_notify(ctrl);
	return 0;
}

/**
 * storvsp_disk_remove() - detach a LUN
 * @ctrl: the controller
 * @lun: the LUN
 *
 * Requests in flight to it finish with INVALID_LUN, later ones get it at
 * once; the image is closed after the last one. The guest hears of it.
 *
 * Return: 0 or -ENOENT.
 */
int storvsp_disk_remove(struct storvsp_ctrl *ctrl, unsigned int lun)
{
	struct storvsp_lun *l;

	if (!storvsp_lun_valid(ctrl->sp, lun) || !ctrl->luns[lun])
		return -ENOENT;
	l = ctrl->luns[lun];
	ctrl->luns[lun] = NULL;
	storvsp_lun_put(l);
	storvsp_notify(ctrl);
	return 0;
}

/**
 * storvsp_dvd_change() - eject the medium of a DVD drive, or insert one
 * @ctrl: the IDE device, a DVD drive
 * @path: the ISO image to insert, or NULL to eject
 *
 * The drive gets a new medium (or none) with the same identifiers:
 * requests in flight finish on the old one, whose image is closed after
 * them. An insert is reported to the guest as a new-media event (no unit
 * attention, as on Hyper-V), an eject as a media-removal event and NOT
 * READY 3a/02 (tray open).
 *
 * Return: 0, -ENOTTY (not a DVD drive), or the error of opening @path.
 */
int storvsp_dvd_change(struct storvsp_ctrl *ctrl, const char *path)
{
	struct storvsp_lun *old = ctrl->luns[0], *l;
	int ret;

	if (!old || !old->disk.dvd)
		return -ENOTTY;
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->path = strdup(path ? path : "");
	ret = l->path ? scsi_dvd_open(&l->disk, path, 0) : -ENOMEM;
	if (ret) {
		free(l->path);
		free(l);
		return ret;
	}
	memcpy(l->disk.naa, old->disk.naa, sizeof(l->disk.naa));
	memcpy(l->disk.serial, old->disk.serial, sizeof(l->disk.serial));
	if (!path && old->disk.medium)
		l->disk.media_event = SCSI_MEDIA_REMOVAL;
	l->disk.tray_open = !path;
	l->refs = 1;
	l->ua_gen = old->ua_gen;
	ctrl->luns[0] = l;
	storvsp_lun_put(old);
	return 0;
}

/**
 * storvsp_disk_resize() - grow the image of a disk
 * @ctrl: the controller
 * @lun: the disk's LUN (0 on IDE)
 * @bytes: the new size, as scsi_disk_resize()
 *
 * As Hyper-V does, nothing is sent on the channel: the disk reports
 * UNIT ATTENTION 2a/09 to the next command.
 *
 * Return: 0, -ENOENT (no such LUN), or the error of scsi_disk_resize().
 */
int storvsp_disk_resize(struct storvsp_ctrl *ctrl, unsigned int lun,
			uint64_t bytes)
{
	if (!storvsp_lun_valid(ctrl->sp, lun) || !ctrl->luns[lun])
		return -ENOENT;
	return scsi_disk_resize(&ctrl->luns[lun]->disk, bytes);
}

/**
 * storvsp_set_fault() - arm `fault storvsc KIND COUNT`
 * @sp: the StorVSP
 * @kind: one of STORVSP_FAULT_NAMES; "none" disarms
 * @count: how many SRBs get it (one per LUN for the ua-* kinds)
 *
 * Replaces the fault armed before, if any.
 *
 * Return: 0, or -EINVAL for an unknown @kind.
 */
int storvsp_set_fault(struct storvsp *sp, const char *kind,
		      unsigned int count)
{
	unsigned int i;

	if (!strcmp(kind, "none")) {
		sp->fault = STORVSP_FAULT_NONE;
		sp->fault_count = 0;
		return 0;
	}
	for (i = STORVSP_FAULT_BAD_LENGTH; i < STORVSP_FAULT_KINDS; i++) {
		if (!strcmp(kind, storvsp_fault_names[i])) {
			sp->fault = i;
			sp->fault_count = count;
			if (i >= STORVSP_FAULT_UA_LUNS_CHANGED &&
			    i <= STORVSP_FAULT_UA_PARAMS_CHANGED)
				sp->ua_gen++;
			return 0;
		}
	}
	return -EINVAL;
}

void storvsp_list(struct storvsp *sp, struct hv_buf *out)
{
	char guid[HV_GUID_STR_LEN + 1];
	struct storvsp_ctrl *ctrl;
	unsigned int i;

	for (ctrl = sp->ctrls; ctrl; ctrl = ctrl->next) {
		if (!ctrl->primary)
			continue;
		hv_guid_format(&ctrl->instance, guid);
		for (i = 0; i < STORVSP_MAX_LUNS; i++)
			if (ctrl->luns[i])
				hv_buf_printf(out, "%s %s lun=%u file=%s ro=%d\n",
					      sp->profile->name, guid, i,
					      ctrl->luns[i]->path,
					      ctrl->luns[i]->disk.read_only);
	}
}

/*
 * The class-wide counters: storvsp.* and blockio.* for SCSI, as they
 * always were, after the profile's stats_prefix for the others.
 */
static void storvsp_class_stats_lines(struct storvsp *sp, struct hv_buf *out)
{
	const struct blockio_stats *bs = &sp->bio->stats;
	const char *c = sp->profile->stats_prefix;
	char p[32];
	unsigned int i;

	hv_buf_printf(out, "%sstorvsp.faults_sent=%llu\n", c,
		      (unsigned long long)sp->faults_sent);
	for (i = STORVSP_FAULT_BAD_LENGTH; i < STORVSP_FAULT_KINDS; i++)
		hv_buf_printf(out, "%sstorvsp.fault.%s=%llu\n", c,
			      storvsp_fault_names[i],
			      (unsigned long long)sp->faults[i]);
	hv_buf_printf(out, "%sstorvsp.held=%llu\n", c,
		      (unsigned long long)sp->held);
	hv_buf_printf(out, "%sstorvsp.armed=%s:%u\n", c,
		      sp->fault_count ? storvsp_fault_names[sp->fault] : "none",
		      sp->fault_count);
	hv_buf_printf(out, "%sblockio.inflight=%u\n", c, sp->bio->inflight);
	snprintf(p, sizeof(p), "%sblockio.", c);
	HV_BUF_STAT(out, p, bs, submitted);
	HV_BUF_STAT(out, p, bs, completed);
	HV_BUF_STAT(out, p, bs, pieces);
	HV_BUF_STAT(out, p, bs, errors);
	HV_BUF_STAT(out, p, bs, backlogged);
	HV_BUF_STAT(out, p, bs, copied);
	HV_BUF_STAT(out, p, bs, io_ns);
}

void storvsp_stats(struct storvsp *sp, struct hv_buf *out)
{
	char guid[HV_GUID_STR_LEN + 1], p[64];
	struct storvsp_ctrl *ctrl;

	storvsp_class_stats_lines(sp, out);
	for (ctrl = sp->ctrls; ctrl; ctrl = ctrl->next) {
		hv_guid_format(&ctrl->instance, guid);
		snprintf(p, sizeof(p), "%s.%s.", sp->profile->name, guid);
		hv_buf_printf(out, "%sinflight=%u\n", p, ctrl->inflight);
		HV_BUF_STAT(out, p, &ctrl->stats, srbs);
		HV_BUF_STAT(out, p, &ctrl->stats, srbs_no_freeze);
		HV_BUF_STAT(out, p, &ctrl->stats, reads);
		HV_BUF_STAT(out, p, &ctrl->stats, writes);
		HV_BUF_STAT(out, p, &ctrl->stats, flushes);
		HV_BUF_STAT(out, p, &ctrl->stats, unmaps);
		HV_BUF_STAT(out, p, &ctrl->stats, bytes_read);
		HV_BUF_STAT(out, p, &ctrl->stats, bytes_written);
		HV_BUF_STAT(out, p, &ctrl->stats, errors);
	}
}
