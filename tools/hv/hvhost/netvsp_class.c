// SPDX-License-Identifier: GPL-2.0
/*
 * NetVSP as a device class of the host program: the NIC words of --nic's
 * SPEC (tap=, mac=, channels=, mtu=), the TAPs in the event loop, the
 * `nic` and `fault netvsc` control commands, `list` and `stats` lines.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "hvhost.h"
#include "log.h"
#include "netvsp.h"

static const char *const netvsp_spec_keys[] = {
	"tap", "mac", "channels", "mtu", "nvsp", NULL
};

static const char netvsp_usage[] =
"                      --nic's SPEC also takes ,tap=IFNAME (an existing TAP\n"
"                      interface as the wire; without one the cable is\n"
"                      unplugged), ,mac=MAC (default 00:15:5d and the\n"
"                      instance GUID's last bytes), ,channels=N (queues\n"
"                      granted, 1..16, default 4), ,mtu=N (largest MTU,\n"
"                      68..9000, default 1500), ,nvsp=VER (newest NVSP\n"
"                      version taken: 6.1 6 5 4 2 1, default 6.1)\n";

/* The command line's NICs, in order. */
struct netvsp_options {
	unsigned int nr;
	struct netvsp_nic_cfg nics[NETVSP_MAX_NICS];
};

static void *netvsp_config_new(const struct hv_device_class *cls)
{
	(void)cls;
	return calloc(1, sizeof(struct netvsp_options));
}

static void netvsp_config_free(void *cfg)
{
	free(cfg);
}

static void netvsp_cfg_default(struct netvsp_nic_cfg *c)
{
	memset(c, 0, sizeof(*c));
	c->channels = NETVSP_DEFAULT_CHANNELS;
	c->mtu = NETVSP_DEFAULT_MTU;
	c->max_version = NVSP_VERSION_61;
}

/* nvsp=VER: the protocol names of the NVSP versions. */
static int netvsp_parse_version(const char *s, uint32_t *v)
{
	static const struct {
		const char *name;
		uint32_t version;
	} names[] = {
		{ "6.1", NVSP_VERSION_61 }, { "6", NVSP_VERSION_6 },
		{ "5", NVSP_VERSION_5 }, { "4", NVSP_VERSION_4 },
		{ "2", NVSP_VERSION_2 }, { "1", NVSP_VERSION_1 },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(names); i++)
		if (!strcmp(s, names[i].name)) {
			*v = names[i].version;
			return 0;
		}
	return -1;
}

int netvsp_parse_mac(const char *s, uint8_t mac[ETH_ALEN_])
{
	unsigned int b[ETH_ALEN_];
	char end;
	int i;

	if (strlen(s) != 17 ||
	    sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3],
		   &b[4], &b[5], &end) != ETH_ALEN_)
		return -1;
	for (i = 0; i < ETH_ALEN_; i++) {
		if (s[3 * i + 2] != (i == ETH_ALEN_ - 1 ? '\0' : ':'))
			return -1;
		mac[i] = b[i];
	}
	/* A station address: unicast and not zero. */
	if ((mac[0] & 1) || !(mac[0] | mac[1] | mac[2] | mac[3] | mac[4] |
			      mac[5]))
		return -1;
	return 0;
}

/* One KEY=VALUE of a --nic; NULL or what is wrong with it. */
static const char *netvsp_cfg_word(struct netvsp_nic_cfg *c, char *word)
{
	char *v = strchr(word, '=') + 1;

	if (!strncmp(word, "tap=", 4)) {
		if (!*v || strlen(v) >= IFNAMSIZ || strchr(v, '/'))
			return "tap=IFNAME: a name of 1..15 characters";
		snprintf(c->tap, sizeof(c->tap), "%s", v);
		return NULL;
	}
	if (!strncmp(word, "mac=", 4)) {
		if (netvsp_parse_mac(v, c->mac))
			return "mac=MAC: six hex bytes with colons, unicast, not zero";
		c->has_mac = true;
		return NULL;
	}
	if (!strncmp(word, "channels=", 9))
		return hv_parse_uint(v, 1, NETVSP_MAX_CHANNELS, &c->channels) ?
		       "channels=N: 1..16" : NULL;
	if (!strncmp(word, "nvsp=", 5))
		return netvsp_parse_version(v, &c->max_version) ?
		       "nvsp=VER: one of 6.1 6 5 4 2 1" : NULL;
	return hv_parse_uint(v, NETVSP_MIN_MTU, NETVSP_MAX_MTU, &c->mtu) ?
	       "mtu=N: 68..9000" : NULL;
}

int netvsp_parse_cfg(const char *args, struct netvsp_nic_cfg *c,
		     const char **err)
{
	char buf[HVHOST_DEVICE_ARGS], *save, *tok;

	netvsp_cfg_default(c);
	*err = NULL;
	snprintf(buf, sizeof(buf), "%s", args);
	for (tok = strtok_r(buf, ",", &save); tok && !*err;
	     tok = strtok_r(NULL, ",", &save))
		*err = netvsp_cfg_word(c, tok);
	return *err ? -1 : 0;
}

static int netvsp_check_taps(const struct netvsp_options *o)
{
	unsigned int i, j;

	for (i = 0; i < o->nr; i++)
		for (j = 0; j < i; j++)
			if (o->nics[i].tap[0] &&
			    !strcmp(o->nics[i].tap, o->nics[j].tap)) {
				hv_err("--nic: tap=%s given to two NICs",
				       o->nics[i].tap);
				return -1;
			}
	return 0;
}

static int netvsp_check(void *cfg, const struct hv_device_class *cls,
			struct hvhost_options *opt)
{
	struct netvsp_options *o = cfg;
	const struct hvhost_device_opt *d;
	const char *err;
	unsigned int i;

	o->nr = 0;
	for (i = 0; i < opt->nr_devices; i++) {
		d = &opt->devices[i];
		if (d->cls != cls)
			continue;
		if (o->nr == NETVSP_MAX_NICS) {
			hv_err("more than %u NICs", NETVSP_MAX_NICS);
			return -1;
		}
		if (netvsp_parse_cfg(d->args, &o->nics[o->nr], &err)) {
			hv_err("--nic %s: %s", d->args, err);
			return -1;
		}
		o->nr++;
	}
	return netvsp_check_taps(o);
}

/* --- the instance ---------------------------------------------------- */

static void *netvsp_start(const struct hv_device_class *cls, const void *cfg)
{
	const struct netvsp_options *o = cfg;
	struct netvsp *np = calloc(1, sizeof(*np));

	(void)cls;
	if (!np)
		return NULL;
	np->cfgs = o->nics;
	np->ncfgs = o->nr;
	netvsp_cfg_default(&np->spare_cfg);
	np->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (np->epfd < 0) {
		hv_err("nic: epoll_create1: %s", strerror(errno));
		free(np);
		return NULL;
	}
	return np;
}

static void netvsp_stop(void *inst)
{
	struct netvsp *np = inst;
	unsigned int i;

	for (i = 0; i < NETVSP_MAX_NICS; i++)
		netvsp_nic_free(np->nics[i]);
	close(np->epfd);
	free(np);
}

/* A NIC without a primary channel that was offered with @g before. */
static struct netvsp_nic *netvsp_unbound(struct netvsp *np, const guid_t *g)
{
	unsigned int i;

	for (i = 0; i < NETVSP_MAX_NICS; i++)
		if (np->nics[i] && !np->nics[i]->primary &&
		    hv_guid_equal(&np->nics[i]->instance, g))
			return np->nics[i];
	return NULL;
}

static int netvsp_free_index(struct netvsp *np, int nth)
{
	int i;

	if (nth >= 0)
		return nth < NETVSP_MAX_NICS && !np->nics[nth] ? nth : -1;
	for (i = np->ncfgs; i < NETVSP_MAX_NICS; i++)
		if (!np->nics[i])
			return i;
	return -1;
}

/*
 * The command line's NIC @nth, or for `offer nic` (-1) the NIC that had
 * this instance GUID before its rescind (its TAP kept), else a new NIC
 * with the defaults and no TAP.
 */
static int netvsp_bind(void *inst, struct hv_channel *ch, int nth)
{
	struct netvsp *np = inst;
	struct netvsp_nic *nic = nth < 0 ? netvsp_unbound(np, &ch->instance) :
					   NULL;
	int i;

	if (!nic) {
		i = netvsp_free_index(np, nth);
		if (i < 0)
			return -ENOSPC;
		nic = netvsp_nic_new(np, nth >= 0 && (unsigned int)nth <
				     np->ncfgs ? &np->cfgs[nth] :
				     &np->spare_cfg, &ch->instance);
		if (!nic)
			return -EIO;
		np->nics[i] = nic;
	}
	nic->primary = ch;
	ch->device = nic;
	return 0;
}

static unsigned int netvsp_fds(void *inst, int *fds, unsigned int max)
{
	struct netvsp *np = inst;

	if (!max)
		return 0;
	fds[0] = np->epfd;
	return 1;
}

static void netvsp_on_fd(void *inst, int fd, uint32_t events)
{
	struct netvsp *np = inst;
	struct epoll_event ev[NETVSP_MAX_NICS];
	int i, n;

	(void)fd;
	(void)events;
	n = epoll_wait(np->epfd, ev, NETVSP_MAX_NICS, 0);
	for (i = 0; i < n; i++)
		netvsp_rx_pump(ev[i].data.ptr);
}

/* --- control --------------------------------------------------------- */

static struct netvsp_nic *netvsp_find(struct netvsp *np, const char *guid)
{
	unsigned int i;
	guid_t g;

	if (hv_guid_parse(guid, &g))
		return NULL;
	for (i = 0; i < NETVSP_MAX_NICS; i++)
		if (np->nics[i] && hv_guid_equal(&np->nics[i]->instance, &g))
			return np->nics[i];
	return NULL;
}

/* nic link GUID up|down */
static const char *netvsp_cmd_nic(void *inst, int argc, char **argv,
				  struct hv_buf *out)
{
	struct netvsp_nic *nic;

	(void)argc;
	(void)out;
	if (strcmp(argv[1], "link"))
		return "usage: nic link GUID up|down";
	nic = netvsp_find(inst, argv[2]);
	if (!nic)
		return "no such NIC";
	if (strcmp(argv[3], "up") && strcmp(argv[3], "down"))
		return "usage: nic link GUID up|down";
	netvsp_set_link(nic, !strcmp(argv[3], "up"));
	return NULL;
}

static const struct hvhost_class_cmd netvsp_cmds[] = {
	{ "nic", 3, 3, "nic link GUID up|down", netvsp_cmd_nic },
	{ NULL, 0, 0, NULL, NULL },
};

static const char *const netvsp_rndis_names[] = {
	[NETVSP_RNDIS_UNINIT] = "uninitialized",
	[NETVSP_RNDIS_OPERATIONAL] = "operational",
	[NETVSP_RNDIS_HALTED] = "halted",
};

static void netvsp_list(void *inst, struct hv_buf *out)
{
	struct netvsp *np = inst;
	char guid[HV_GUID_STR_LEN + 1];
	struct netvsp_nic *nic;
	const uint8_t *m;
	unsigned int i;

	for (i = 0; i < NETVSP_MAX_NICS; i++) {
		nic = np->nics[i];
		if (!nic)
			continue;
		m = nic->mac;
		hv_guid_format(&nic->instance, guid);
		hv_buf_printf(out,
			      "nic %s tap=%s mac=%02x:%02x:%02x:%02x:%02x:%02x link=%s nvsp=0x%x rndis=%s channels=%u mtu=%u filter=0x%x rss=%s\n",
			      guid, nic->tap.fd >= 0 ? nic->tap.name : "-",
			      m[0], m[1], m[2], m[3], m[4], m[5],
			      nic->link_up ? "up" : "down", nic->version,
			      netvsp_rndis_names[nic->rndis], nic->nchans,
			      nic->cfg->mtu, nic->filter,
			      nic->rss.enabled ? "on" : "off");
	}
}

static void netvsp_nic_stats(const struct netvsp_nic *nic, struct hv_buf *out)
{
	const struct netvsp_nic_stats *s = &nic->stats;
	const struct netvsp_queue_stats *q;
	char guid[HV_GUID_STR_LEN + 1], p[HV_GUID_STR_LEN + 32];
	unsigned int i;

	hv_guid_format(&nic->instance, guid);
	snprintf(p, sizeof(p), "nic.%s.", guid);
	HV_BUF_STAT(out, p, s, tx_frames);
	HV_BUF_STAT(out, p, s, tx_bytes);
	HV_BUF_STAT(out, p, s, tx_dropped);
	HV_BUF_STAT(out, p, s, tx_bad);
	HV_BUF_STAT(out, p, s, tx_csum_ppi);
	HV_BUF_STAT(out, p, s, tx_lso_ppi);
	HV_BUF_STAT(out, p, s, rx_frames);
	HV_BUF_STAT(out, p, s, rx_bytes);
	HV_BUF_STAT(out, p, s, rx_filtered);
	HV_BUF_STAT(out, p, s, rx_dropped);
	HV_BUF_STAT(out, p, s, rx_hash_ppi);
	HV_BUF_STAT(out, p, s, rx_csum_ppi);
	HV_BUF_STAT(out, p, s, rx_vlan_ppi);
	HV_BUF_STAT(out, p, s, rx_no_slot);
	HV_BUF_STAT(out, p, s, rx_gso);
	HV_BUF_STAT(out, p, s, rx_rsc);
	HV_BUF_STAT(out, p, s, rx_rsc_frags);
	HV_BUF_STAT(out, p, s, rx_segments);
	HV_BUF_STAT(out, p, s, rndis_ctl);
	HV_BUF_STAT(out, p, s, bad_completions);
	HV_BUF_STAT(out, p, s, protocol_errors);
	hv_buf_printf(out, "%sslots_free=%u\n", p, nic->nfree);
	for (i = 0; i < NETVSP_MAX_CHANNELS; i++) {
		if (!nic->chans[i] || !nic->chans[i]->priv)
			continue;
		q = nic->chans[i]->priv;
		snprintf(p, sizeof(p), "nic.%s.chan.%u.", guid, i);
		HV_BUF_STAT(out, p, q, rx_frames);
		HV_BUF_STAT(out, p, q, rx_bytes);
		HV_BUF_STAT(out, p, q, tx_frames);
		HV_BUF_STAT(out, p, q, tx_bytes);
	}
}

static void netvsp_stats(void *inst, struct hv_buf *out)
{
	struct netvsp *np = inst;
	unsigned int i;

	for (i = 0; i < NETVSP_MAX_NICS; i++)
		if (np->nics[i])
			netvsp_nic_stats(np->nics[i], out);
	HV_BUF_STAT(out, "nic.", &np->fault, sent);
}

const struct hvhost_class_ops netvsp_class_ops = {
	.spec_keys = netvsp_spec_keys,
	.usage = netvsp_usage,
	.config_new = netvsp_config_new,
	.config_free = netvsp_config_free,
	.check = netvsp_check,
	.start = netvsp_start,
	.stop = netvsp_stop,
	.bind = netvsp_bind,
	.cmds = netvsp_cmds,
	.fault = netvsp_fault,
	.list = netvsp_list,
	.stats = netvsp_stats,
	.fds = netvsp_fds,
	.on_fd = netvsp_on_fd,
};
