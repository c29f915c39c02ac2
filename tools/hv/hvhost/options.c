// SPDX-License-Identifier: GPL-2.0
/*
 * Command line of hvhost. Bad values end the program with a message
 * naming the option, before anything is created.
 */
#include <assert.h>
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
"  --ide[=SPEC]        offer an IDE accelerator channel (a disk place)\n"
"  --nic[=SPEC]        offer a network adapter (see below for its SPEC)\n"
"                      SPEC is [GUID][,monitor|,nomonitor]: the instance\n"
"                      GUID (default: generated) and whether the channel\n"
"                      uses monitored notification (default: on for echo,\n"
"                      off for the others)\n";

/* After the options of the device classes. */
static const char hvhost_usage_tail[] =
"  --log FILE          log to FILE instead of standard error\n"
"  -v, --verbose       debug logging\n"
"  -q, --quiet         warnings and errors only\n"
"  -h, --help          this text\n"
"\n"
"hvhost ctl sends one control command and prints the reply; it exits 0 on\n"
"OK, 1 on ERR and 2 if it cannot talk to hvhost. Commands: list, stats,\n"
"gpadls, offer CLASS [GUID] [monitor|nomonitor], rescind GUID,\n"
"fault vmbus KIND [COUNT] [GUID], fuzz SEED [COUNT] [TARGET] [EVERY]\n"
"[KINDS], fuzz status|stop|log [N], max-version X.Y, quit, help, and those\n"
"of the device classes (disk ..., fault storvsc ...): `hvhost ctl PATH\n"
"help` lists them all.\n";

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
	/* Class k's option j is OPT_CLASS + k * OPT_CLASS_SPAN + j. */
	OPT_CLASS = 512,
};

#define OPT_CLASS_SPAN		32

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
	{ "verbose", no_argument, NULL, 'v' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
};

static const char *const hvhost_device_opts[] = {
	[OPT_ECHO - OPT_ECHO] = "echo",
	[OPT_SCSI - OPT_ECHO] = "scsi",
	[OPT_IDE - OPT_ECHO] = "ide",
	[OPT_NIC - OPT_ECHO] = "nic",
};

/* Is @tok KEY=VALUE with a KEY of the class's SPEC? */
static bool hvhost_class_key(const struct hv_device_class *cls,
			     const char *tok)
{
	const char *eq = strchr(tok, '=');
	const char *const *k;

	if (!eq || !cls->host || !cls->host->spec_keys)
		return false;
	for (k = cls->host->spec_keys; *k; k++)
		if (strlen(*k) == (size_t)(eq - tok) &&
		    !strncmp(*k, tok, eq - tok))
			return true;
	return false;
}

static int hvhost_add_arg(struct hvhost_device_opt *d, const char *tok)
{
	size_t len = strlen(d->args);

	if (len + strlen(tok) + 2 > sizeof(d->args))
		return -1;
	if (len)
		d->args[len++] = ',';
	strcpy(d->args + len, tok);
	return 0;
}

/* SPEC: [GUID][,monitor|,nomonitor][,KEY=VALUE...], or the words alone. */
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
		else if (!hvhost_class_key(cls, tok) || hvhost_add_arg(d, tok))
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
		hv_err("--%s=%s: expected [GUID][,monitor|,nomonitor]%s", name,
		       spec, cls->host && cls->host->spec_keys ?
		       "[,KEY=VALUE...] (see --help)" : "");
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

/* An option of a device class: the class parses it. */
static int hvhost_parse_class_option(struct hvhost_options *opt, int c,
				     const char *arg)
{
	unsigned int id = (c - OPT_CLASS) / OPT_CLASS_SPAN;
	const struct hv_device_class *cls = hv_device_class_at(id);

	if (c < OPT_CLASS || !cls)
		return -1;
	return cls->host->parse_option(opt->class_cfg[id],
		cls->host->options[(c - OPT_CLASS) % OPT_CLASS_SPAN].name,
		arg);
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
	case 'v':
		opt->log_level = HV_LOG_DEBUG;
		return 0;
	case 'q':
		opt->log_level = HV_LOG_WARN;
		return 0;
	default:
		return hvhost_parse_class_option(opt, c, arg);
	}
}

static int hvhost_check_required(const struct hvhost_options *opt)
{
	if (!opt->socket_path || !opt->mem_path || !opt->mem_size) {
		hv_err("--socket, --mem and --mem-size are required (see --help)");
		return -1;
	}
	return 0;
}

/* The core's options, then those of every device class. */
static struct option *hvhost_all_options(void)
{
	static struct option all[ARRAY_SIZE(hvhost_long_options) +
				 HV_DEVICE_CLASSES_MAX * OPT_CLASS_SPAN + 1];
	const struct hv_device_class *cls;
	unsigned int n = 0, id, j;

	memcpy(all, hvhost_long_options, sizeof(hvhost_long_options));
	n = ARRAY_SIZE(hvhost_long_options);
	hv_for_each_device_class(id, cls) {
		for (j = 0; cls->host && cls->host->options &&
		     cls->host->options[j].name; j++) {
			assert(j < OPT_CLASS_SPAN);
			all[n] = cls->host->options[j];
			all[n].flag = NULL;
			all[n++].val = OPT_CLASS + id * OPT_CLASS_SPAN + j;
		}
	}
	memset(&all[n], 0, sizeof(all[n]));
	return all;
}

static void hvhost_print_usage(void)
{
	const struct hv_device_class *cls;
	unsigned int id;

	fputs(hvhost_usage, stdout);
	hv_for_each_device_class(id, cls) {
		if (cls->host && cls->host->usage)
			fputs(cls->host->usage, stdout);
	}
	fputs(hvhost_usage_tail, stdout);
}

/* The defaults, and a default configuration of every device class. */
int hvhost_options_init(struct hvhost_options *opt)
{
	const struct hv_device_class *cls;
	unsigned int id;

	memset(opt, 0, sizeof(*opt));
	opt->vectors = HVHOST_DEFAULT_VECTORS;
	opt->max_version = VMBUS_VERSION_WIN10_V5_3;
	opt->log_level = HV_LOG_INFO;
	hv_for_each_device_class(id, cls) {
		if (!cls->host || !cls->host->config_new)
			continue;
		opt->class_cfg[id] = cls->host->config_new(cls);
		if (!opt->class_cfg[id]) {
			hv_err("out of memory");
			return -1;
		}
	}
	return 0;
}

void hvhost_options_free(struct hvhost_options *opt)
{
	const struct hv_device_class *cls;
	unsigned int id;

	hv_for_each_device_class(id, cls) {
		if (opt->class_cfg[id])
			cls->host->config_free(opt->class_cfg[id]);
		opt->class_cfg[id] = NULL;
	}
}

/* Each class has the last word on its configuration. */
static int hvhost_check_classes(struct hvhost_options *opt)
{
	const struct hv_device_class *cls;
	unsigned int id;

	hv_for_each_device_class(id, cls) {
		if (cls->host && cls->host->check &&
		    cls->host->check(opt->class_cfg[id], cls, opt))
			return -1;
	}
	return 0;
}

/*
 * Returns 0 to run, 1 when --help was printed, -1 on a bad command line
 * (after a message). @opt is the caller's to free
 * (hvhost_options_free()) in every case.
 */
int hvhost_parse_options(struct hvhost_options *opt, int argc, char **argv)
{
	const struct option *options;
	int c;

	if (hvhost_options_init(opt))
		return -1;
	options = hvhost_all_options();
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":vqh", options, NULL)) != -1) {
		if (c == 'h') {
			hvhost_print_usage();
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
	if (hvhost_check_classes(opt))
		return -1;
	return hvhost_check_required(opt);
}
