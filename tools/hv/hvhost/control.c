// SPDX-License-Identifier: GPL-2.0
/*
 * The control socket: one command per line, answered by zero or more
 * lines and then "OK" or "ERR <reason>". See Documentation/hv/hvhost.rst.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hvhost.h"
#include "log.h"

#define CONTROL_MAX_ARGS	8

struct control_cmd {
	const char *name;
	unsigned int min_args;
	unsigned int max_args;
	const char *usage;
	const char *(*run)(struct hvhost *h, int argc, char **argv,
			   struct hv_buf *out);
};

static const char *control_state(const struct hv_channel *ch)
{
	if (ch->rescinded)
		return "rescinded";
	if (ch->open)
		return "open";
	return ch->offered ? "offered" : "waiting";
}

/* The lines of `list` (or `stats`) of every device class. */
static void control_classes(struct hvhost *h, struct hv_buf *out, bool stats)
{
	const struct hv_device_class *cls;
	void *inst;
	unsigned int id;

	hv_for_each_device_class(id, cls) {
		inst = hvhost_class_inst(h, cls);
		if (!inst)
			continue;
		if (stats && cls->host->stats)
			cls->host->stats(inst, out);
		else if (!stats && cls->host->list)
			cls->host->list(inst, out);
	}
}

static const char *cmd_list(struct hvhost *h, int argc, char **argv,
			    struct hv_buf *out)
{
	char guid[HV_GUID_STR_LEN + 1];
	struct hv_channel *ch;
	unsigned int relid;

	(void)argc;
	(void)argv;
	for (relid = 1; relid <= VMBUS_SERVER_MAX_RELID; relid++) {
		ch = h->srv.chan[relid];
		if (!ch)
			continue;
		hv_guid_format(&ch->instance, guid);
		hv_buf_printf(out, "relid=%u class=%s instance=%s state=%s conn_id=0x%x monitor=",
			      relid, ch->cls->name, guid, control_state(ch),
			      ch->conn_id);
		if (ch->monitor_id == VMBUS_NO_MONITOR_ID)
			hv_buf_printf(out, "%s",
				      ch->monitor_wanted ? "wanted" : "off");
		else
			hv_buf_printf(out, "%u", ch->monitor_id);
		if (ch->primary)
			hv_buf_printf(out, " sub=%u", ch->sub_index);
		hv_buf_printf(out, "\n");
	}
	control_classes(h, out, false);
	return NULL;
}

/*
 * The live state of one ring as both sides see it: what a hang's evidence
 * needs (scripts/hv-boot.sh dumps it when a guest times out).
 */
static void control_ring_state(const char *p, const char *name,
			       const struct hvring *r, struct hv_buf *out)
{
	const volatile struct vmbus_ring_control *ctl = r->ctl;

	if (!ctl)
		return;
	hv_buf_printf(out, "%s%s=write:%u read:%u mask:%u pending:%u host_index:%u waiting:%d\n",
		      p, name, ctl->write_index, ctl->read_index,
		      ctl->interrupt_mask, ctl->pending_send_sz, r->index,
		      r->waiting);
}

static unsigned int control_sendq_len(const struct hv_channel *ch)
{
	const struct hv_send_msg *msg;
	unsigned int n = 0;

	for (msg = ch->sendq; msg; msg = msg->next)
		n++;
	return n;
}

static void control_channel_stats(const struct hv_channel *ch,
				  struct hv_buf *out)
{
	const struct hv_channel_stats *s = &ch->stats;
	char p[32];

	snprintf(p, sizeof(p), "chan.%u.", ch->relid);
	hv_buf_printf(out, "%sclass=%s\n%sstate=%s\n%sbroken=%d\n", p,
		      ch->cls->name, p, control_state(ch), p,
		      ch->out.broken || ch->in.broken);
	HV_BUF_STAT(out, p, s, rx_packets);
	HV_BUF_STAT(out, p, s, tx_packets);
	HV_BUF_STAT(out, p, s, rx_bytes);
	HV_BUF_STAT(out, p, s, tx_bytes);
	hv_buf_printf(out, "%sguest_signals=%llu\n", p,
		      (unsigned long long)(s->event_signals +
					   s->monitor_signals));
	HV_BUF_STAT(out, p, s, event_signals);
	HV_BUF_STAT(out, p, s, monitor_signals);
	HV_BUF_STAT(out, p, s, host_signals);
	HV_BUF_STAT(out, p, s, host_irqs);
	HV_BUF_STAT(out, p, s, wake_nonempty);
	HV_BUF_STAT(out, p, s, wake_empty);
	HV_BUF_STAT(out, p, s, ring_full_waits);
	HV_BUF_STAT(out, p, s, bad_packets);
	HV_BUF_STAT(out, p, s, opens);
	HV_BUF_STAT(out, p, s, turnarounds);
	HV_BUF_STAT(out, p, s, turnaround_ns);
	hv_buf_printf(out, "%sgpadls=%u\n", p,
		      vmbus_gpadl_count(ch->srv, ch->relid));
	if (!ch->open)
		return;
	control_ring_state(p, "outbound", &ch->out, out);
	control_ring_state(p, "inbound", &ch->in, out);
	hv_buf_printf(out, "%ssend_queue=%u\n", p, control_sendq_len(ch));
}

static const char *cmd_stats(struct hvhost *h, int argc, char **argv,
			     struct hv_buf *out)
{
	const struct vmbus_server_stats *vs = &h->srv.stats;
	const struct synic_stats *ss = &h->synic.stats;
	unsigned int relid;

	(void)argc;
	(void)argv;
	hv_buf_printf(out, "version=%u.%u\nmax_version=%u.%u\ngpadls=%u\n",
		      VMBUS_VERSION_MAJOR(h->srv.version),
		      VMBUS_VERSION_MINOR(h->srv.version),
		      VMBUS_VERSION_MAJOR(h->srv.max_version),
		      VMBUS_VERSION_MINOR(h->srv.max_version),
		      h->srv.nr_gpadls);
	HV_BUF_STAT(out, "", vs, msgs_in);
	HV_BUF_STAT(out, "", vs, msgs_out);
	HV_BUF_STAT(out, "", vs, msgs_bad);
	HV_BUF_STAT(out, "", vs, unknown_signals);
	HV_BUF_STAT(out, "", vs, monitor_polls);
	HV_BUF_STAT(out, "", vs, gpadls_created);
	HV_BUF_STAT(out, "", vs, gpadls_failed);
	HV_BUF_STAT(out, "", vs, gpadls_torndown);
	HV_BUF_STAT(out, "", vs, contacts);
	HV_BUF_STAT(out, "", vs, unloads);
	HV_BUF_STAT(out, "", vs, stale_contacts);
	hv_buf_printf(out, "vmbus.faults_sent=%llu\n",
		      (unsigned long long)h->srv.faults.sent);
	hv_buf_printf(out, "vmbus.fault_relids_held=%u\n",
		      vmbus_fault_relids_held(&h->srv));
	hv_buf_printf(out, "vmbus.fault_relids_released=%llu\n",
		      (unsigned long long)h->srv.faults.relids_released);
	hv_buf_printf(out, "vmbus.fault_posts_refused=%llu\n",
		      (unsigned long long)h->srv.faults.posts_refused);
	HV_BUF_STAT(out, "synic.", ss, msgs_delivered);
	HV_BUF_STAT(out, "synic.", ss, msgs_queued);
	HV_BUF_STAT(out, "synic.", ss, msgs_dropped);
	HV_BUF_STAT(out, "synic.", ss, irqs);
	HV_BUF_STAT(out, "synic.", ss, eoms);
	HV_BUF_STAT(out, "synic.", ss, posts);
	HV_BUF_STAT(out, "synic.", ss, posts_failed);
	HV_BUF_STAT(out, "synic.", ss, signals);
	for (relid = 1; relid <= VMBUS_SERVER_MAX_RELID; relid++)
		if (h->srv.chan[relid])
			control_channel_stats(h->srv.chan[relid], out);
	control_classes(h, out, true);
	return NULL;
}

static const char *cmd_gpadls(struct hvhost *h, int argc, char **argv,
			      struct hv_buf *out)
{
	unsigned int relid;

	(void)argc;
	(void)argv;
	for (relid = 1; relid <= VMBUS_SERVER_MAX_RELID; relid++)
		if (h->srv.chan[relid])
			hv_buf_printf(out, "chan.%u.gpadls=%u\n", relid,
				      vmbus_gpadl_count(&h->srv, relid));
	hv_buf_printf(out, "total=%u\n", h->srv.nr_gpadls);
	return NULL;
}

static const char *cmd_offer(struct hvhost *h, int argc, char **argv,
			     struct hv_buf *out)
{
	const struct hv_device_class *cls = hv_device_class_find(argv[1]);
	char guid[HV_GUID_STR_LEN + 1];
	struct hvhost_device_opt d;
	struct hv_channel *ch;
	char spec[128] = "";
	int i;

	if (!cls)
		return "unknown device class";
	for (i = 2; i < argc; i++) {
		if (strlen(spec) + strlen(argv[i]) + 2 > sizeof(spec))
			return "bad device options";
		if (i > 2)
			strcat(spec, ",");
		strcat(spec, argv[i]);
	}
	if (hvhost_parse_device(&d, cls, spec))
		return "bad device options";
	/* A class's KEY=VALUE words configure command-line devices only. */
	if (d.args[0])
		return "KEY=VALUE options are for the command line only";
	ch = vmbus_server_add_device(&h->srv, cls,
				     d.has_instance ? &d.instance : NULL,
				     d.monitor);
	if (!ch)
		return errno == EEXIST ? "instance exists" : "no free relid";
	/* Its class binds it, without what the command line gives. */
	if (hvhost_class_bind(h, ch, -1)) {
		vmbus_server_rescind(&h->srv, &ch->instance);
		return "out of memory";
	}
	hv_guid_format(&ch->instance, guid);
	hv_buf_printf(out, "instance=%s relid=%u\n", guid, ch->relid);
	return NULL;
}

static const char *cmd_rescind(struct hvhost *h, int argc, char **argv,
			       struct hv_buf *out)
{
	guid_t g;

	(void)argc;
	(void)out;
	if (hv_guid_parse(argv[1], &g))
		return "bad GUID";
	switch (vmbus_server_rescind(&h->srv, &g)) {
	case 0:
		return NULL;
	case -EALREADY:
		return "already rescinded";
	default:
		return "no such device";
	}
}

/* `fault NAME KIND [COUNT]` for the device class NAME. */
static const char *control_class_fault(struct hvhost *h, int argc,
				       char **argv, unsigned int count)
{
	static char usage[64];
	const struct hv_device_class *cls;
	unsigned int id;

	hv_for_each_device_class(id, cls) {
		if (!cls->fault_name || strcmp(cls->fault_name, argv[1]) ||
		    !hvhost_class_inst(h, cls))
			continue;
		if (argc == 5) {
			snprintf(usage, sizeof(usage),
				 "usage: fault %s KIND [COUNT]", cls->fault_name);
			return usage;
		}
		return cls->host->fault(hvhost_class_inst(h, cls), argv[2],
					count);
	}
	return "unknown fault target";
}

static const char *cmd_fault(struct hvhost *h, int argc, char **argv,
			     struct hv_buf *out)
{
	unsigned int count = 1;
	guid_t target;

	if (argc >= 4 && hv_parse_uint(argv[3], 1, 1000000, &count))
		return "bad count: COUNT is 1..1000000";
	if (!strcmp(argv[1], "vmbus")) {
		if (argc == 5 && hv_guid_parse(argv[4], &target))
			return "bad GUID";
		return vmbus_fault_inject(&h->srv, argv[2], count,
					  argc == 5 ? &target : NULL, out);
	}
	return control_class_fault(h, argc, argv, count);
}

static const char *cmd_fuzz(struct hvhost *h, int argc, char **argv,
			    struct hv_buf *out)
{
	return vmbus_fuzz_command(&h->srv, argc, argv, out);
}

static const char *cmd_max_version(struct hvhost *h, int argc, char **argv,
				   struct hv_buf *out)
{
	uint32_t v;

	(void)argc;
	(void)out;
	if (hv_parse_version(argv[1], &v) || !vmbus_version_known(v))
		return "unsupported version";
	h->srv.max_version = v;
	return NULL;
}

static const char *cmd_quit(struct hvhost *h, int argc, char **argv,
			    struct hv_buf *out)
{
	(void)argc;
	(void)argv;
	(void)out;
	h->quit = true;
	return NULL;
}

static const char *cmd_help(struct hvhost *h, int argc, char **argv,
			    struct hv_buf *out);

/* The core's commands; those of the device classes come after rescind. */
static const struct control_cmd control_cmds[] = {
	{ "list", 0, 0, "list", cmd_list },
	{ "stats", 0, 0, "stats", cmd_stats },
	{ "gpadls", 0, 0, "gpadls", cmd_gpadls },
	{ "offer", 1, 3, "offer echo|scsi|ide|nic [GUID] [monitor|nomonitor]",
	  cmd_offer },
	{ "rescind", 1, 1, "rescind GUID", cmd_rescind },
	{ "fault", 2, 4, NULL, cmd_fault },
	{ "fuzz", 1, 5,
	  "fuzz SEED [COUNT] [TARGET] [EVERY] [KINDS] | fuzz status|stop|log [N]",
	  cmd_fuzz },
	{ "max-version", 1, 1, "max-version X.Y", cmd_max_version },
	{ "quit", 0, 0, "quit", cmd_quit },
	{ "help", 0, 0, "help", cmd_help },
};

#define CONTROL_CLASS_CMDS_AFTER	"rescind"

/* "fault NAME KIND [COUNT] | ... | fault vmbus KIND [COUNT] [GUID]" */
static const char *control_fault_usage(void)
{
	static char usage[256];
	const struct hv_device_class *cls;
	size_t len = 0;
	unsigned int id;

	if (usage[0])
		return usage;
	hv_for_each_device_class(id, cls) {
		if (cls->fault_name && len < sizeof(usage))
			len += snprintf(usage + len, sizeof(usage) - len,
					"fault %s KIND [COUNT] | ",
					cls->fault_name);
	}
	if (len < sizeof(usage))
		snprintf(usage + len, sizeof(usage) - len,
			 "fault vmbus KIND [COUNT] [GUID]");
	return usage;
}

static const char *control_usage(const struct control_cmd *cmd)
{
	return cmd->usage ? cmd->usage : control_fault_usage();
}

static void control_class_help(struct hvhost *h, struct hv_buf *out)
{
	const struct hvhost_class_cmd *cc;
	const struct hv_device_class *cls;
	unsigned int id;

	hv_for_each_device_class(id, cls) {
		if (!hvhost_class_inst(h, cls) || !cls->host->cmds)
			continue;
		for (cc = cls->host->cmds; cc->name; cc++)
			hv_buf_printf(out, "%s\n", cc->usage);
	}
}

static const char *cmd_help(struct hvhost *h, int argc, char **argv,
			    struct hv_buf *out)
{
	size_t i;

	(void)argc;
	(void)argv;
	for (i = 0; i < ARRAY_SIZE(control_cmds); i++) {
		hv_buf_printf(out, "%s\n", control_usage(&control_cmds[i]));
		if (!strcmp(control_cmds[i].name, CONTROL_CLASS_CMDS_AFTER))
			control_class_help(h, out);
	}
	return NULL;
}

/* A command of a device class, and the instance it runs on. */
static const struct hvhost_class_cmd *
control_find_class_cmd(struct hvhost *h, const char *name, void **inst)
{
	const struct hvhost_class_cmd *cc;
	const struct hv_device_class *cls;
	unsigned int id;

	hv_for_each_device_class(id, cls) {
		*inst = hvhost_class_inst(h, cls);
		if (!*inst || !cls->host->cmds)
			continue;
		for (cc = cls->host->cmds; cc->name; cc++)
			if (!strcmp(cc->name, name))
				return cc;
	}
	return NULL;
}

static bool control_argc_ok(int argc, unsigned int min, unsigned int max)
{
	return (unsigned int)argc - 1 >= min && (unsigned int)argc - 1 <= max;
}

static void control_reply(struct hv_buf *out, const char *err)
{
	if (err)
		hv_buf_printf(out, "ERR %s\n", err);
	else
		hv_buf_printf(out, "OK\n");
}

static void control_exec_class(struct hvhost *h, int argc, char **argv,
			       struct hv_buf *out)
{
	const struct hvhost_class_cmd *cc;
	void *inst;

	cc = control_find_class_cmd(h, argv[0], &inst);
	if (!cc)
		hv_buf_printf(out, "ERR unknown command %.64s\n", argv[0]);
	else if (!control_argc_ok(argc, cc->min_args, cc->max_args))
		hv_buf_printf(out, "ERR usage: %s\n", cc->usage);
	else
		control_reply(out, cc->run(inst, argc, argv, out));
}

static int control_split(char *line, char **argv)
{
	int argc = 0;
	char *save, *tok;

	for (tok = strtok_r(line, " \t\r", &save); tok;
	     tok = strtok_r(NULL, " \t\r", &save)) {
		if (argc == CONTROL_MAX_ARGS)
			return -1;
		argv[argc++] = tok;
	}
	return argc;
}

/* Run one command line; the reply, ending in OK or ERR, goes to @out. */
void control_exec(struct hvhost *h, char *line, struct hv_buf *out)
{
	const struct control_cmd *cmd = NULL;
	char *argv[CONTROL_MAX_ARGS];
	int argc;
	size_t i;

	argc = control_split(line, argv);
	if (argc <= 0) {
		hv_buf_printf(out, "ERR %s\n", argc ? "too many arguments" :
			      "empty command");
		return;
	}
	for (i = 0; i < ARRAY_SIZE(control_cmds); i++)
		if (!strcmp(control_cmds[i].name, argv[0]))
			cmd = &control_cmds[i];
	if (!cmd)
		control_exec_class(h, argc, argv, out);
	else if (!control_argc_ok(argc, cmd->min_args, cmd->max_args))
		hv_buf_printf(out, "ERR usage: %s\n", control_usage(cmd));
	else
		control_reply(out, cmd->run(h, argc, argv, out));
}

static void control_client_free(struct hvhost *h, struct control_client *c)
{
	struct control_client **pp;

	for (pp = &h->ctl.clients; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	hvhost_unwatch(h, &c->watch);
	close(c->watch.fd);
	hv_buf_free(&c->out);
	free(c);
}

/* Send what we can; wait for EPOLLOUT for the rest. */
static void control_flush(struct hvhost *h, struct control_client *c)
{
	ssize_t n;

	while (c->out.len) {
		n = send(c->watch.fd, c->out.s, c->out.len,
			 MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {
			c->closing = true;
			c->out.len = 0;
			break;
		}
		hv_buf_consume(&c->out, n);
	}
	if (!c->out.len && c->closing) {
		control_client_free(h, c);
		return;
	}
	epoll_ctl(h->epfd, EPOLL_CTL_MOD, c->watch.fd, &(struct epoll_event){
		.events = EPOLLIN | (c->out.len ? EPOLLOUT : 0),
		.data.ptr = &c->watch,
	});
}

static void control_run_lines(struct hvhost *h, struct control_client *c)
{
	char *nl;
	size_t used;

	while ((nl = memchr(c->in, '\n', c->in_len))) {
		*nl = '\0';
		control_exec(h, c->in, &c->out);
		used = nl + 1 - c->in;
		memmove(c->in, nl + 1, c->in_len - used);
		c->in_len -= used;
	}
	if (c->in_len == sizeof(c->in)) {
		hv_buf_printf(&c->out, "ERR line too long\n");
		c->closing = true;
	}
}

static void control_on_client(struct hvhost *h, struct hv_watch *w,
			      uint32_t events)
{
	struct control_client *c = (struct control_client *)w;
	ssize_t n;

	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
		n = recv(w->fd, c->in + c->in_len, sizeof(c->in) - c->in_len,
			 MSG_DONTWAIT);
		if (n > 0) {
			c->in_len += n;
			control_run_lines(h, c);
		} else if (n == 0 || errno != EAGAIN) {
			c->closing = true;
		}
	}
	control_flush(h, c);
}

static void control_on_listen(struct hvhost *h, struct hv_watch *w,
			      uint32_t events)
{
	struct control_client *c;
	int fd;

	(void)events;
	fd = accept4(w->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0)
		return;
	c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return;
	}
	c->watch.fd = fd;
	c->watch.fn = control_on_client;
	if (hvhost_watch(h, &c->watch, EPOLLIN)) {
		close(fd);
		free(c);
		return;
	}
	c->next = h->ctl.clients;
	h->ctl.clients = c;
}

int control_init(struct hvhost *h)
{
	h->ctl.listen.fd = -1;
	if (!h->opt.control_path)
		return 0;
	h->ctl.listen.fd = hv_unix_listen(h->opt.control_path,
					  "control socket");
	if (h->ctl.listen.fd < 0)
		return -1;
	h->ctl.path = strdup(h->opt.control_path);
	h->ctl.listen.fn = control_on_listen;
	return hvhost_watch(h, &h->ctl.listen, EPOLLIN);
}

void control_destroy(struct hvhost *h)
{
	while (h->ctl.clients) {
		control_flush(h, h->ctl.clients);
		if (h->ctl.clients)
			control_client_free(h, h->ctl.clients);
	}
	if (h->ctl.listen.fd >= 0)
		close(h->ctl.listen.fd);
	h->ctl.listen.fd = -1;
	if (h->ctl.path)
		unlink(h->ctl.path);
	free(h->ctl.path);
	h->ctl.path = NULL;
}

/* `hvhost ctl PATH CMD...`: 0 on OK, 1 on ERR, 2 if hvhost is unreachable. */
int hvhost_ctl_main(int argc, char **argv)
{
	char buf[4096], *last;
	struct hv_buf req = { 0 };
	struct hv_buf reply = { 0 };
	int fd, i, ret = 2;
	ssize_t n;

	if (argc < 2) {
		fprintf(stderr, "usage: hvhost ctl PATH COMMAND [ARGS...]\n");
		return 2;
	}
	fd = hv_unix_connect(argv[0]);
	if (fd < 0) {
		fprintf(stderr, "hvhost ctl: %s: %s\n", argv[0],
			strerror(errno));
		return 2;
	}
	for (i = 1; i < argc; i++)
		hv_buf_printf(&req, "%s%s", i > 1 ? " " : "", argv[i]);
	hv_buf_printf(&req, "\n");
	if (req.failed || send(fd, req.s, req.len, MSG_NOSIGNAL) !=
	    (ssize_t)req.len)
		goto out;
	while ((n = recv(fd, buf, sizeof(buf), 0)) > 0) {
		hv_buf_printf(&reply, "%.*s", (int)n, buf);
		if (reply.len && reply.s[reply.len - 1] != '\n')
			continue;
		reply.s[reply.len - 1] = '\0';
		last = strrchr(reply.s, '\n');
		last = last ? last + 1 : reply.s;
		if (!strcmp(last, "OK") || !strncmp(last, "ERR", 3)) {
			ret = strcmp(last, "OK") ? 1 : 0;
			printf("%s\n", reply.s);
			break;
		}
		reply.s[reply.len - 1] = '\n';
	}
	if (ret == 2)
		fprintf(stderr, "hvhost ctl: connection closed early\n");
out:
	hv_buf_free(&req);
	hv_buf_free(&reply);
	close(fd);
	return ret;
}
