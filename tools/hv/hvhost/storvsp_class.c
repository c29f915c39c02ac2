// SPDX-License-Identifier: GPL-2.0
/*
 * StorVSP as a device class of the host program (struct hvhost_class_ops):
 * its options (--disk, --storvsc-*), the disks of the command line's
 * controllers, the `disk` and `fault storvsc` control commands, its
 * counters and the I/O engine's fd. The class's profile (struct
 * storvsp_profile) says which controller it is; see storvsp.h. The IDE
 * class has options of its own (--ide-disk) and shares the rest.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "hvhost.h"
#include "log.h"
#include "storvsp.h"

static const struct option storvsp_class_options[] = {
	{ "disk", required_argument, NULL, 0 },
	{ "storvsc-max-version", required_argument, NULL, 0 },
	{ "storvsc-channels", required_argument, NULL, 0 },
	{ "storvsc-max-transfer", required_argument, NULL, 0 },
	{ NULL, 0, NULL, 0 },
};

static const char storvsp_class_usage[] =
"  --disk FILE[,ro][,lun=N][,ctrl=K]\n"
"                      a raw image (a multiple of 512 bytes) as LUN N\n"
"                      (default: the lowest free) of SCSI controller K\n"
"                      (default 0; created if there is no --scsi);\n"
"                      repeatable\n"
"  --storvsc-max-version X.Y  newest VSTOR version accepted: 5.1, 6.0 or\n"
"                      6.2 (default)\n"
"  --storvsc-channels N       sub-channels a controller offers (0..64,\n"
"                      default 4)\n"
"  --storvsc-max-transfer BYTES  largest SRB (4K..8M, a multiple of 4K,\n"
"                      default 1M)\n";

/* --- the command line ------------------------------------------------ */

static void *storvsp_config_new(const struct hv_device_class *cls)
{
	struct storvsp_options *o = calloc(1, sizeof(*o));

	(void)cls;
	if (o)
		storvsp_config_default(&o->cfg);
	return o;
}

static int storvsp_add_disk_opt(struct storvsp_options *o, const char *spec)
{
	const char *err;

	if (o->nr_disks == STORVSP_MAX_DISKS) {
		hv_err("more than %u disks", STORVSP_MAX_DISKS);
		return -1;
	}
	err = storvsp_parse_disk(spec, true, &o->disks[o->nr_disks]);
	if (err) {
		hv_err("--disk %s: %s (FILE[,ro][,lun=N][,ctrl=K])", spec, err);
		return -1;
	}
	o->nr_disks++;
	return 0;
}

static int storvsp_parse_option(void *cfg, const char *name,
				const char *arg)
{
	struct storvsp_options *o = cfg;
	unsigned int n;
	uint64_t size;

	if (!strcmp(name, "disk"))
		return storvsp_add_disk_opt(o, arg);
	if (!strcmp(name, "storvsc-max-version")) {
		if (!storvsp_parse_version(arg, &o->cfg.max_version))
			return 0;
		hv_err("--storvsc-max-version %s: expected 5.1, 6.0 or 6.2",
		       arg);
		return -1;
	}
	if (!strcmp(name, "storvsc-channels")) {
		if (!hv_parse_uint(arg, 0, STORVSP_MAX_CHANNELS, &n)) {
			o->cfg.max_channels = n;
			return 0;
		}
		hv_err("--storvsc-channels %s: expected 0..%u", arg,
		       STORVSP_MAX_CHANNELS);
		return -1;
	}
	if (!hv_parse_size(arg, &size) && size <= STORVSP_MAX_TRANSFER) {
		o->cfg.max_transfer = size;
		return 0;
	}
	hv_err("--storvsc-max-transfer %s: expected a multiple of 4 KiB up to 8M",
	       arg);
	return -1;
}

static unsigned int storvsp_controllers(const struct hv_device_class *cls,
					const struct hvhost_options *opt)
{
	unsigned int i, n = 0;

	for (i = 0; i < opt->nr_devices; i++)
		n += opt->devices[i].cls == cls;
	return n;
}

/* Disks without --scsi: controller 0, with a generated GUID, last. */
static int storvsp_implicit_controller(const struct storvsp_options *o,
				       const struct hv_device_class *cls,
				       struct hvhost_options *opt)
{
	if (!o->nr_disks || storvsp_controllers(cls, opt))
		return 0;
	if (opt->nr_devices == HVHOST_MAX_DEVICES) {
		hv_err("more than %u devices", HVHOST_MAX_DEVICES);
		return -1;
	}
	return hvhost_parse_device(&opt->devices[opt->nr_devices++], cls,
				   NULL);
}

/* Is LUN @lun of controller @ctrl given to one of the first @n disks? */
static bool storvsp_lun_taken(const struct storvsp_options *o, unsigned int n,
			      unsigned int ctrl, int lun)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (o->disks[i].ctrl == ctrl && o->disks[i].lun == lun)
			return true;
	return false;
}

/* Controllers must exist and explicit LUNs be unique. */
static int storvsp_check_explicit(const struct storvsp_options *o,
				  unsigned int ctrls)
{
	const struct storvsp_disk_spec *d;
	unsigned int i;

	for (i = 0; i < o->nr_disks; i++) {
		d = &o->disks[i];
		if (d->ctrl >= ctrls) {
			hv_err("--disk %s: ctrl=%u, but there %s %u SCSI controller%s",
			       d->path, d->ctrl, ctrls == 1 ? "is" : "are",
			       ctrls, ctrls == 1 ? "" : "s");
			return -1;
		}
		if (d->lun >= 0 && storvsp_lun_taken(o, i, d->ctrl, d->lun)) {
			hv_err("--disk %s: LUN %d of controller %u is given twice",
			       d->path, d->lun, d->ctrl);
			return -1;
		}
	}
	return 0;
}

/* The others get the lowest LUN still free on their controller, in order. */
static int storvsp_check(void *cfg, const struct hv_device_class *cls,
			 struct hvhost_options *opt)
{
	const struct storvsp_profile *profile = cls->profile;
	struct storvsp_options *o = cfg;
	struct storvsp_disk_spec *d;
	unsigned int i;
	int lun;

	if (storvsp_implicit_controller(o, cls, opt) ||
	    storvsp_check_explicit(o, storvsp_controllers(cls, opt)))
		return -1;
	for (i = 0; i < o->nr_disks; i++) {
		d = &o->disks[i];
		for (lun = 0; d->lun < 0 && lun < (int)profile->max_luns; lun++)
			if (!storvsp_lun_taken(o, o->nr_disks, d->ctrl, lun))
				d->lun = lun;
		if (d->lun < 0) {
			hv_err("--disk %s: no LUN left on controller %u",
			       d->path, d->ctrl);
			return -1;
		}
	}
	return 0;
}

struct storvsp_options *storvsp_options_of(const struct hvhost_options *opt,
					   const char *cls)
{
	return opt->class_cfg[hv_device_class_id(hv_device_class_find(cls))];
}

/* --- the IDE class's command line ------------------------------------ */

static const struct option storvsp_ide_options[] = {
	{ "ide-disk", required_argument, NULL, 0 },
	{ "dvd", required_argument, NULL, 0 },
	{ NULL, 0, NULL, 0 },
};

static const char storvsp_ide_usage[] =
"  --ide-disk FILE[,ro][,ctrl=0|1][,unit=0|1]\n"
"                      a raw image as the IDE disk at channel ctrl, device\n"
"                      unit (default: the first free place, 0/0, 0/1, 1/0,\n"
"                      1/1), offered as an IDE accelerator channel whose\n"
"                      instance GUID encodes the place; repeatable\n"
"  --dvd [FILE.iso][,ctrl=0|1][,unit=0|1]\n"
"                      a DVD-ROM drive at an IDE place (as --ide-disk) with\n"
"                      the ISO image (whole 2048-byte blocks) as its medium,\n"
"                      or empty (--dvd= or --dvd=ctrl=1...); repeatable\n";

static int storvsp_ide_parse_option(void *cfg, const char *name,
				    const char *arg)
{
	struct storvsp_options *o = cfg;
	bool dvd = !strcmp(name, "dvd");
	const char *err;

	if (o->nr_disks == STORVSP_MAX_DISKS) {
		hv_err("more than %u disks", STORVSP_MAX_DISKS);
		return -1;
	}
	if (dvd)
		err = storvsp_parse_dvd(arg, &o->disks[o->nr_disks]);
	else
		err = storvsp_parse_ide_disk(arg, &o->disks[o->nr_disks]);
	if (err) {
		hv_err("--%s %s: %s (%s[,ctrl=0|1][,unit=0|1])", name, arg,
		       err, dvd ? "[FILE]" : "FILE[,ro]");
		return -1;
	}
	o->nr_disks++;
	return 0;
}

/* The IDE place given to one of the first @n disks, or to an --ide GUID. */
static bool storvsp_ide_taken(const struct storvsp_options *o, unsigned int n,
			      const struct hvhost_options *opt, int chan,
			      int unit)
{
	unsigned int i;
	guid_t g;

	for (i = 0; i < n; i++)
		if (o->disks[i].ide_chan == chan && o->disks[i].ide_unit == unit)
			return true;
	storvsp_ide_instance(chan, unit, &g);
	for (i = 0; i < opt->nr_devices; i++)
		if (opt->devices[i].has_instance &&
		    hv_guid_equal(&opt->devices[i].instance, &g))
			return true;
	return false;
}

/* Explicit places must be unique; the others take the first free one. */
static int storvsp_ide_place(struct storvsp_options *o,
			     const struct hvhost_options *opt,
			     struct storvsp_disk_spec *d, unsigned int i)
{
	unsigned int place;
	int chan, unit;

	if (d->ide_chan >= 0 && d->ide_unit >= 0) {
		if (!storvsp_ide_taken(o, i, opt, d->ide_chan, d->ide_unit))
			return 0;
		hv_err("--ide-disk %s: IDE %d/%d is given twice", d->path,
		       d->ide_chan, d->ide_unit);
		return -1;
	}
	for (place = 0; place < VSTOR_IDE_CHANNELS * VSTOR_IDE_DEVICES;
	     place++) {
		chan = place / VSTOR_IDE_DEVICES;
		unit = place % VSTOR_IDE_DEVICES;
		if ((d->ide_chan >= 0 && chan != d->ide_chan) ||
		    (d->ide_unit >= 0 && unit != d->ide_unit) ||
		    storvsp_ide_taken(o, o->nr_disks, opt, chan, unit))
			continue;
		d->ide_chan = chan;
		d->ide_unit = unit;
		return 0;
	}
	hv_err("--ide-disk %s: no free IDE place", d->path);
	return -1;
}

/* One offer per disk, after the --ide devices, its GUID its place. */
static int storvsp_ide_check(void *cfg, const struct hv_device_class *cls,
			     struct hvhost_options *opt)
{
	struct storvsp_options *o = cfg;
	unsigned int i, nth = storvsp_controllers(cls, opt);
	struct hvhost_device_opt *dev;

	for (i = 0; i < o->nr_disks; i++)
		if (o->disks[i].ide_chan >= 0 && o->disks[i].ide_unit >= 0 &&
		    storvsp_ide_place(o, opt, &o->disks[i], i))
			return -1;
	for (i = 0; i < o->nr_disks; i++) {
		if ((o->disks[i].ide_chan < 0 || o->disks[i].ide_unit < 0) &&
		    storvsp_ide_place(o, opt, &o->disks[i], i))
			return -1;
	}
	for (i = 0; i < o->nr_disks; i++) {
		if (opt->nr_devices == HVHOST_MAX_DEVICES) {
			hv_err("more than %u devices", HVHOST_MAX_DEVICES);
			return -1;
		}
		dev = &opt->devices[opt->nr_devices++];
		if (hvhost_parse_device(dev, cls, NULL))
			return -1;
		dev->has_instance = true;
		storvsp_ide_instance(o->disks[i].ide_chan, o->disks[i].ide_unit,
				     &dev->instance);
		o->disks[i].ctrl = nth++;
	}
	return 0;
}

/* --- the instance ---------------------------------------------------- */

static void *storvsp_start(const struct hv_device_class *cls,
			   const void *cfg)
{
	struct storvsp_host *sh = calloc(1, sizeof(*sh));

	if (!sh)
		return NULL;
	sh->opt = cfg;
	/* Disk completions arrive through the event loop (storvsp_on_fd). */
	if (blockio_init(&sh->bio)) {
		free(sh);
		return NULL;
	}
	storvsp_init(&sh->sp, &sh->bio, &sh->opt->cfg, cls->profile);
	return sh;
}

/* I/O still in flight completes into closed channels. */
static void storvsp_stop(void *inst)
{
	struct storvsp_host *sh = inst;

	blockio_destroy(&sh->bio);
	storvsp_destroy(&sh->sp);
	free(sh);
}

/*
 * `offer ide GUID` of an IDE place the command line gave a disk: that
 * controller's place among the command line's, so that its disk comes
 * back with the new offer (the IDE class has no `disk add`); else -1.
 */
static int storvsp_ide_ctrl_of(const struct storvsp_host *sh,
			       const guid_t *instance)
{
	const struct storvsp_disk_spec *d;
	unsigned int i;
	guid_t g;

	if (sh->sp.profile != &storvsp_ide_profile)
		return -1;
	for (i = 0; i < sh->opt->nr_disks; i++) {
		d = &sh->opt->disks[i];
		if (d->ide_chan < 0 || d->ide_unit < 0)
			continue;
		storvsp_ide_instance(d->ide_chan, d->ide_unit, &g);
		if (hv_guid_equal(&g, instance))
			return d->ctrl;
	}
	return -1;
}

/* The disks of the command line's controller @nth, on its new channel. */
static int storvsp_bind(void *inst, struct hv_channel *ch, int nth)
{
	struct storvsp_host *sh = inst;
	const struct storvsp_disk_spec *d;
	char guid[HV_GUID_STR_LEN + 1];
	struct storvsp_ctrl *ctrl;
	unsigned int i, lun;

	ctrl = storvsp_ctrl_bind(&sh->sp, ch);
	if (!ctrl)
		return -ENOMEM;
	if (nth < 0)
		nth = storvsp_ide_ctrl_of(sh, &ch->instance);
	hv_guid_format(&ch->instance, guid);
	for (i = 0; nth >= 0 && i < sh->opt->nr_disks; i++) {
		d = &sh->opt->disks[i];
		if (d->ctrl != (unsigned int)nth)
			continue;
		/* scsi_disk_open() said why it failed. */
		if (storvsp_disk_add(ctrl, d, &lun)) {
			hv_err("--%s %s: cannot attach it",
			       d->dvd ? "dvd" : sh->sp.profile->disk_option,
			       d->path);
			return -EIO;
		}
		hv_info("%s %s lun %u: %s%s", sh->sp.profile->name, guid, lun,
			d->path, d->read_only ? " (read-only)" : "");
	}
	return 0;
}

static unsigned int storvsp_fds(void *inst, int *fds, unsigned int max)
{
	struct storvsp_host *sh = inst;

	if (!max)
		return 0;
	fds[0] = blockio_fd(&sh->bio);
	return 1;
}

static void storvsp_on_fd(void *inst, int fd, uint32_t events)
{
	struct storvsp_host *sh = inst;

	(void)fd;
	(void)events;
	blockio_reap(&sh->bio);
}

/* The disk requests of this round, in one system call. */
static void storvsp_round_end(void *inst)
{
	struct storvsp_host *sh = inst;

	blockio_kick(&sh->bio);
}

/* --- control --------------------------------------------------------- */

static struct storvsp_ctrl *storvsp_cmd_ctrl(struct storvsp_host *sh,
					     const char *guid,
					     const char **err)
{
	struct storvsp_ctrl *ctrl;
	guid_t g;

	if (hv_guid_parse(guid, &g)) {
		*err = "bad GUID";
		return NULL;
	}
	ctrl = storvsp_ctrl_find(&sh->sp, &g);
	if (!ctrl)
		*err = sh->sp.profile->ide ? "no such IDE device" :
					     "no such SCSI controller";
	return ctrl;
}

static const char *storvsp_disk_add_err(int ret, const char *path,
					struct hv_buf *out)
{
	switch (ret) {
	case -EEXIST:
		return "LUN in use";
	case -ENOSPC:
		return "no free LUN";
	case -EINVAL:
		return "not a regular file of a positive multiple of 512 bytes";
	default:
		hv_buf_printf(out, "%s: %s\n", path, strerror(-ret));
		return "cannot open the image";
	}
}

static const char *storvsp_cmd_disk_add(struct storvsp_host *sh,
					const char *spec, const char *guid,
					struct hv_buf *out)
{
	struct storvsp_disk_spec d;
	struct storvsp_ctrl *ctrl;
	const char *err;
	unsigned int lun;
	int ret;

	ctrl = storvsp_cmd_ctrl(sh, guid, &err);
	if (!ctrl)
		return err;
	err = storvsp_parse_disk(spec, false, &d);
	if (err)
		return err;
	ret = storvsp_disk_add(ctrl, &d, &lun);
	if (ret)
		return storvsp_disk_add_err(ret, d.path, out);
	hv_info("%s %s lun %u: %s added%s", sh->sp.profile->name, guid, lun,
		d.path, d.read_only ? " (read-only)" : "");
	hv_buf_printf(out, "lun=%u\n", lun);
	return NULL;
}

static const char *storvsp_cmd_disk_remove(struct storvsp_host *sh,
					   const char *guid, const char *lun)
{
	struct storvsp_ctrl *ctrl;
	const char *err;
	unsigned int n;

	ctrl = storvsp_cmd_ctrl(sh, guid, &err);
	if (!ctrl)
		return err;
	if (hv_parse_uint(lun, 0, sh->sp.profile->max_luns - 1, &n))
		return "bad LUN";
	if (storvsp_disk_remove(ctrl, n))
		return "no such LUN";
	hv_info("%s %s lun %u removed", sh->sp.profile->name, guid, n);
	return NULL;
}

#define STORVSP_DISK_USAGE \
	"disk add FILE[,ro][,lun=N] GUID | disk remove GUID LUN"

static const char *storvsp_cmd_disk(void *inst, int argc, char **argv,
				    struct hv_buf *out)
{
	(void)argc;
	if (!strcmp(argv[1], "add"))
		return storvsp_cmd_disk_add(inst, argv[2], argv[3], out);
	if (!strcmp(argv[1], "remove"))
		return storvsp_cmd_disk_remove(inst, argv[2], argv[3]);
	return "usage: " STORVSP_DISK_USAGE;
}

static const struct hvhost_class_cmd storvsp_cmds[] = {
	{ "disk", 3, 3, STORVSP_DISK_USAGE, storvsp_cmd_disk },
	{ NULL, 0, 0, NULL, NULL },
};

#define STORVSP_DVD_USAGE "dvd eject GUID | dvd insert FILE GUID"

/* `dvd eject GUID`, `dvd insert FILE GUID`: the medium of a DVD drive. */
static const char *storvsp_cmd_dvd(void *inst, int argc, char **argv,
				   struct hv_buf *out)
{
	struct storvsp_host *sh = inst;
	bool insert = argc == 4 && !strcmp(argv[1], "insert");
	struct storvsp_ctrl *ctrl;
	const char *err;
	int ret;

	if (!insert && (argc != 3 || strcmp(argv[1], "eject")))
		return "usage: " STORVSP_DVD_USAGE;
	ctrl = storvsp_cmd_ctrl(sh, argv[argc - 1], &err);
	if (!ctrl)
		return err;
	ret = storvsp_dvd_change(ctrl, insert ? argv[2] : NULL);
	if (ret == -ENOTTY)
		return "not a DVD drive";
	if (ret == -EINVAL)
		return "not a regular file of a positive multiple of 2048 bytes";
	if (ret) {
		hv_buf_printf(out, "%s: %s\n", argv[2], strerror(-ret));
		return "cannot open the image";
	}
	hv_info("ide %s: %s%s", argv[argc - 1], insert ? "inserted " : "ejected",
		insert ? argv[2] : "");
	return NULL;
}

#define STORVSP_RESIZE_USAGE "resize SIZE GUID"

/* `resize SIZE GUID`: grow the image of an IDE disk. */
static const char *storvsp_cmd_resize(void *inst, int argc, char **argv,
				      struct hv_buf *out)
{
	struct storvsp_host *sh = inst;
	struct storvsp_ctrl *ctrl;
	const char *err;
	uint64_t bytes;
	int ret;

	(void)argc;
	if (hv_parse_size(argv[1], &bytes))
		return "bad size, expected bytes or a K, M, G or T suffix";
	ctrl = storvsp_cmd_ctrl(sh, argv[2], &err);
	if (!ctrl)
		return err;
	ret = storvsp_disk_resize(ctrl, 0, bytes);
	switch (ret) {
	case 0:
		break;
	case -ENOTTY:
		return "not a disk (a DVD drive)";
	case -EROFS:
		return "a read-only disk";
	case -EINVAL:
		return "not a multiple of 512 bytes at least the current size";
	default:
		hv_buf_printf(out, "%s\n", strerror(-ret));
		return "cannot grow the image";
	}
	hv_info("ide %s: resized to %llu bytes", argv[2],
		(unsigned long long)bytes);
	return NULL;
}

static const struct hvhost_class_cmd storvsp_ide_cmds[] = {
	{ "dvd", 2, 3, STORVSP_DVD_USAGE, storvsp_cmd_dvd },
	{ "resize", 2, 2, STORVSP_RESIZE_USAGE, storvsp_cmd_resize },
	{ NULL, 0, 0, NULL, NULL },
};

static const char *storvsp_fault(void *inst, const char *kind,
				 unsigned int count)
{
	struct storvsp_host *sh = inst;

	if (storvsp_set_fault(&sh->sp, kind, count))
		return "unknown storvsc fault, expected " STORVSP_FAULT_NAMES;
	return NULL;
}

/* `fault blkvsc KIND`: the same kinds, on the IDE disks. */
static const char *storvsp_ide_fault(void *inst, const char *kind,
				     unsigned int count)
{
	struct storvsp_host *sh = inst;

	if (storvsp_set_fault(&sh->sp, kind, count))
		return "unknown blkvsc fault, expected " STORVSP_FAULT_NAMES;
	return NULL;
}

static void storvsp_class_list(void *inst, struct hv_buf *out)
{
	storvsp_list(&((struct storvsp_host *)inst)->sp, out);
}

static void storvsp_class_stats(void *inst, struct hv_buf *out)
{
	storvsp_stats(&((struct storvsp_host *)inst)->sp, out);
}

const struct hvhost_class_ops storvsp_class_ops = {
	.options = storvsp_class_options,
	.usage = storvsp_class_usage,
	.config_new = storvsp_config_new,
	.config_free = free,
	.parse_option = storvsp_parse_option,
	.check = storvsp_check,
	.start = storvsp_start,
	.stop = storvsp_stop,
	.bind = storvsp_bind,
	.cmds = storvsp_cmds,
	.fault = storvsp_fault,
	.list = storvsp_class_list,
	.stats = storvsp_class_stats,
	.fds = storvsp_fds,
	.on_fd = storvsp_on_fd,
	.round_end = storvsp_round_end,
};

/*
 * The IDE accelerator: its own options and faults, the rest shared with
 * SCSI; an IDE offer is one disk, so there is no `disk` command for it,
 * but `dvd` for the medium of a DVD drive.
 */
const struct hvhost_class_ops storvsp_ide_class_ops = {
	.options = storvsp_ide_options,
	.usage = storvsp_ide_usage,
	.config_new = storvsp_config_new,
	.config_free = free,
	.parse_option = storvsp_ide_parse_option,
	.check = storvsp_ide_check,
	.start = storvsp_start,
	.stop = storvsp_stop,
	.bind = storvsp_bind,
	.cmds = storvsp_ide_cmds,
	.fault = storvsp_ide_fault,
	.list = storvsp_class_list,
	.stats = storvsp_class_stats,
	.fds = storvsp_fds,
	.on_fd = storvsp_on_fd,
	.round_end = storvsp_round_end,
};
