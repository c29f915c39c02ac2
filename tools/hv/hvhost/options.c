// SPDX-License-Identifier: GPL-2.0
/*
 * Command line of hvhost. Bad values end the program with a message
 * naming the option, before anything is created.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hvhost.h"
#include "log.h"

static const char hvhost_usage[] =
"usage: hvhost --socket PATH --mem PATH --mem-size SIZE [options]\n"
"       hvhost ctl PATH COMMAND [ARGS...]\n"
"\n"
"Emulated Hyper-V host for one QEMU guest with an ivshmem-doorbell device.\n"
"\n"
"  --socket PATH       ivshmem server socket QEMU's chardev connects to\n"
"  --mem PATH          guest RAM file; created if missing, sized to SIZE,\n"
"                      removed on exit if hvhost created it\n"
"  --mem-size SIZE     guest RAM size (bytes, or with K/M/G/T), the same as\n"
"                      QEMU's -m and memory-backend-file size\n"
"  --vectors N         MSI-X vectors, equal to ivshmem-doorbell vectors=N\n"
"                      (3..32, default 4)\n"
"  --control PATH      control socket (see `hvhost ctl PATH help`)\n"
"  --max-version X.Y   highest VMBus version accepted (default 5.3; one of\n"
"                      5.3 5.2 5.1 5.0 4.1 4.0 3.0 2.4)\n"
"  --echo[=SPEC]       offer an echo test device (repeatable)\n"
"  --scsi[=SPEC]       offer a SCSI controller (K = 0, 1... in order)\n"
"  --ide[=SPEC]        offer an IDE controller (protocol not yet served)\n"
"  --nic[=SPEC]        offer a network adapter (protocol not yet served)\n"
"                      SPEC is [GUID][,monitor|,nomonitor]: the instance\n"
"                      GUID (default: generated) and whether the channel\n"
"                      uses monitored notification (default: on for echo,\n"
"                      off for the others)\n"
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
"                      default 1M)\n"
"  --log FILE          log to FILE instead of standard error\n"
"  -v, --verbose       debug logging\n"
"  -q, --quiet         warnings and errors only\n"
"  -h, --help          this text\n"
"\n"
"hvhost ctl sends one control command and prints the reply; it exits 0 on\n"
"OK, 1 on ERR and 2 if it cannot talk to hvhost. Commands: list, stats,\n"
"gpadls, offer CLASS [GUID] [monitor|nomonitor], rescind GUID,\n"
"disk add FILE[,ro][,lun=N] GUID, disk remove GUID LUN,\n"
"fault storvsc KIND [COUNT], fault vmbus KIND [COUNT] [GUID],\n"
"max-version X.Y, "
"quit, help.\n";

enum {
	OPT_SOCKET = 256,
	OPT_MEM,
	OPT_MEM_SIZE,
	OPT_VECTORS,
	OPT_CONTROL,
	OPT_MAX_VERSION,
	OPT_LOG,
	OPT_ECHO,
	OPT_SCSI,
	OPT_IDE,
	OPT_NIC,
	OPT_DISK,
	OPT_STORVSC_MAX_VERSION,
	OPT_STORVSC_CHANNELS,
	OPT_STORVSC_MAX_TRANSFER,
};

static const struct option hvhost_long_options[] = {
	{ "socket", required_argument, NULL, OPT_SOCKET },
	{ "mem", required_argument, NULL, OPT_MEM },
	{ "mem-size", required_argument, NULL, OPT_MEM_SIZE },
	{ "vectors", required_argument, NULL, OPT_VECTORS },
	{ "control", required_argument, NULL, OPT_CONTROL },
	{ "max-version", required_argument, NULL, OPT_MAX_VERSION },
	{ "log", required_argument, NULL, OPT_LOG },
	{ "echo", optional_argument, NULL, OPT_ECHO },
	{ "scsi", optional_argument, NULL, OPT_SCSI },
	{ "ide", optional_argument, NULL, OPT_IDE },
	{ "nic", optional_argument, NULL, OPT_NIC },
	{ "disk", required_argument, NULL, OPT_DISK },
	{ "storvsc-max-version", required_argument, NULL,
	  OPT_STORVSC_MAX_VERSION },
	{ "storvsc-channels", required_argument, NULL, OPT_STORVSC_CHANNELS },
	{ "storvsc-max-transfer", required_argument, NULL,
	  OPT_STORVSC_MAX_TRANSFER },
	{ "verbose", no_argument, NULL, 'v' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static const char *const hvhost_device_opts[] = {
	[OPT_ECHO - OPT_ECHO] = "echo",
	[OPT_SCSI - OPT_ECHO] = "scsi",
	[OPT_IDE - OPT_ECHO] = "ide",
	[OPT_NIC - OPT_ECHO] = "nic",
};

/* SPEC: [GUID][,monitor|,nomonitor], or the words alone. */
int hvhost_parse_device(struct hvhost_device_opt *d,
			const struct hv_device_class *cls, const char *spec)
{
	char buf[128], *save, *tok;

	memset(d, 0, sizeof(*d));
	d->cls = cls;
	d->monitor = cls->monitor_default;
	if (!spec)
		return 0;
	if (snprintf(buf, sizeof(buf), "%s", spec) >= (int)sizeof(buf))
		return -1;
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (!strcmp(tok, "monitor"))
			d->monitor = true;
		else if (!strcmp(tok, "nomonitor"))
			d->monitor = false;
		else if (!d->has_instance && !hv_guid_parse(tok, &d->instance))
			d->has_instance = true;
		else
			return -1;
	}
	return 0;
}

static int hvhost_add_device_opt(struct hvhost_options *opt, int code,
				 const char *spec)
{
	const char *name = hvhost_device_opts[code - OPT_ECHO];
	const struct hv_device_class *cls = hv_device_class_find(name);
	struct hvhost_device_opt *d;
	unsigned int i;

	if (opt->nr_devices == HVHOST_MAX_DEVICES) {
		hv_err("more than %u devices", HVHOST_MAX_DEVICES);
		return -1;
	}
	d = &opt->devices[opt->nr_devices];
	if (hvhost_parse_device(d, cls, spec)) {
		hv_err("--%s=%s: expected [GUID][,monitor|,nomonitor]", name,
		       spec);
		return -1;
	}
	for (i = 0; i < opt->nr_devices && d->has_instance; i++) {
		if (opt->devices[i].has_instance &&
		    hv_guid_equal(&opt->devices[i].instance, &d->instance)) {
			hv_err("--%s=%s: instance GUID used twice", name, spec);
			return -1;
		}
	}
	opt->nr_devices++;
	return 0;
}

static int hvhost_add_disk_opt(struct hvhost_options *opt, const char *spec)
{
	const char *err;

	if (opt->nr_disks == HVHOST_MAX_DISKS) {
		hv_err("more than %u disks", HVHOST_MAX_DISKS);
		return -1;
	}
	err = storvsp_parse_disk(spec, true, &opt->disks[opt->nr_disks]);
	if (err) {
		hv_err("--disk %s: %s (FILE[,ro][,lun=N][,ctrl=K])", spec, err);
		return -1;
	}
	opt->nr_disks++;
	return 0;
}

static int hvhost_parse_storvsc(struct hvhost_options *opt, int c,
				const char *arg)
{
	struct storvsp_config *cfg = &opt->storvsc;
	unsigned int n;
	uint64_t size;

	switch (c) {
	case OPT_STORVSC_MAX_VERSION:
		if (!storvsp_parse_version(arg, &cfg->max_version))
			return 0;
		hv_err("--storvsc-max-version %s: expected 5.1, 6.0 or 6.2",
		       arg);
		return -1;
	case OPT_STORVSC_CHANNELS:
		if (!hv_parse_uint(arg, 0, STORVSP_MAX_CHANNELS, &n)) {
			cfg->max_channels = n;
			return 0;
		}
		hv_err("--storvsc-channels %s: expected 0..%u", arg,
		       STORVSP_MAX_CHANNELS);
		return -1;
	default:
		if (!hv_parse_size(arg, &size) &&
		    size <= STORVSP_MAX_TRANSFER) {
			cfg->max_transfer = size;
			return 0;
		}
		hv_err("--storvsc-max-transfer %s: expected a multiple of 4 KiB up to 8M",
		       arg);
		return -1;
	}
}

static int hvhost_parse_one(struct hvhost_options *opt, int c,
			    const char *arg)
{
	switch (c) {
	case OPT_SOCKET:
		opt->socket_path = arg;
		return 0;
	case OPT_MEM:
		opt->mem_path = arg;
		return 0;
	case OPT_MEM_SIZE:
		if (!hv_parse_size(arg, &opt->mem_size))
			return 0;
		hv_err("--mem-size %s: expected a multiple of 4 KiB, e.g. 512M",
		       arg);
		return -1;
	case OPT_VECTORS:
		if (!hv_parse_uint(arg, HVEMU_DOORBELL_COUNT, HVEMU_MAX_VECTORS,
				   &opt->vectors))
			return 0;
		hv_err("--vectors %s: expected %u..%u", arg,
		       HVEMU_DOORBELL_COUNT, HVEMU_MAX_VECTORS);
		return -1;
	case OPT_CONTROL:
		opt->control_path = arg;
		return 0;
	case OPT_MAX_VERSION:
		if (!hv_parse_version(arg, &opt->max_version) &&
		    vmbus_version_known(opt->max_version))
			return 0;
		hv_err("--max-version %s: expected one of 5.3 5.2 5.1 5.0 4.1 4.0 3.0 2.4",
		       arg);
		return -1;
	case OPT_LOG:
		opt->log_path = arg;
		return 0;
	case OPT_ECHO:
	case OPT_SCSI:
	case OPT_IDE:
	case OPT_NIC:
		return hvhost_add_device_opt(opt, c, arg);
	case OPT_DISK:
		return hvhost_add_disk_opt(opt, arg);
	case OPT_STORVSC_MAX_VERSION:
	case OPT_STORVSC_CHANNELS:
	case OPT_STORVSC_MAX_TRANSFER:
		return hvhost_parse_storvsc(opt, c, arg);
	case 'v':
		opt->log_level = HV_LOG_DEBUG;
		return 0;
	case 'q':
		opt->log_level = HV_LOG_WARN;
		return 0;
	default:
		return -1;
	}
}

static unsigned int hvhost_scsi_controllers(const struct hvhost_options *opt)
{
	unsigned int i, n = 0;

	for (i = 0; i < opt->nr_devices; i++)
		n += opt->devices[i].cls->ops == &hv_storvsp_ops;
	return n;
}

/* Disks without --scsi: controller 0, with a generated GUID, last. */
static int hvhost_implicit_controller(struct hvhost_options *opt)
{
	const struct hv_device_class *cls = hv_device_class_find("scsi");

	if (!opt->nr_disks || hvhost_scsi_controllers(opt))
		return 0;
	if (opt->nr_devices == HVHOST_MAX_DEVICES) {
		hv_err("more than %u devices", HVHOST_MAX_DEVICES);
		return -1;
	}
	return hvhost_parse_device(&opt->devices[opt->nr_devices++], cls,
				   NULL);
}

/* Is LUN @lun of controller @ctrl given to one of the first @n disks? */
static bool hvhost_lun_taken(const struct hvhost_options *opt, unsigned int n,
			     unsigned int ctrl, int lun)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (opt->disks[i].ctrl == ctrl && opt->disks[i].lun == lun)
			return true;
	return false;
}

/*
 * Controllers must exist and explicit LUNs be unique; then the others
 * get the lowest LUN still free on their controller, in order.
 */
static int hvhost_check_disks(struct hvhost_options *opt)
{
	unsigned int ctrls = hvhost_scsi_controllers(opt), i;
	struct storvsp_disk_spec *d;
	int lun;

	for (i = 0; i < opt->nr_disks; i++) {
		d = &opt->disks[i];
		if (d->ctrl >= ctrls) {
			hv_err("--disk %s: ctrl=%u, but there %s %u SCSI controller%s",
			       d->path, d->ctrl, ctrls == 1 ? "is" : "are",
			       ctrls, ctrls == 1 ? "" : "s");
			return -1;
		}
		if (d->lun >= 0 && hvhost_lun_taken(opt, i, d->ctrl, d->lun)) {
			hv_err("--disk %s: LUN %d of controller %u is given twice",
			       d->path, d->lun, d->ctrl);
			return -1;
		}
	}
	for (i = 0; i < opt->nr_disks; i++) {
		d = &opt->disks[i];
		for (lun = 0; d->lun < 0 && lun < STORVSP_MAX_LUNS; lun++)
			if (!hvhost_lun_taken(opt, opt->nr_disks, d->ctrl, lun))
				d->lun = lun;
		if (d->lun < 0) {
			hv_err("--disk %s: no LUN left on controller %u",
			       d->path, d->ctrl);
			return -1;
		}
	}
	return 0;
}

static int hvhost_check_required(const struct hvhost_options *opt)
{
	if (!opt->socket_path || !opt->mem_path || !opt->mem_size) {
		hv_err("--socket, --mem and --mem-size are required (see --help)");
		return -1;
	}
	return 0;
}

/*
 * Returns 0 to run, 1 when --help was printed, -1 on a bad command line
 * (after a message).
 */
int hvhost_parse_options(struct hvhost_options *opt, int argc, char **argv)
{
	int c;

	memset(opt, 0, sizeof(*opt));
	opt->vectors = HVHOST_DEFAULT_VECTORS;
	opt->max_version = VMBUS_VERSION_WIN10_V5_3;
	opt->log_level = HV_LOG_INFO;
	storvsp_config_default(&opt->storvsc);
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":vqh", hvhost_long_options,
				NULL)) != -1) {
		if (c == 'h') {
			fputs(hvhost_usage, stdout);
			return 1;
		}
		if (c == '?' || c == ':') {
			hv_err("%s option %s (see --help)",
			       c == '?' ? "unknown" : "missing value for",
			       argv[optind - 1]);
			return -1;
		}
		if (hvhost_parse_one(opt, c, optarg))
			return -1;
	}
	if (optind < argc) {
		hv_err("unexpected argument %s (see --help)", argv[optind]);
		return -1;
	}
	if (hvhost_implicit_controller(opt) || hvhost_check_disks(opt))
		return -1;
	return hvhost_check_required(opt);
}
