/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hvhost: the emulated Hyper-V host process. This header ties the layers
 * together: the ivshmem server that QEMU connects to, the control socket,
 * and struct hvhost, the one context passed around the event loop.
 */
#ifndef _HVHOST_H
#define _HVHOST_H

#include <stdbool.h>
#include <stdint.h>

#include <hyperv/hvemu.h>

#include "guestmem.h"
#include "synic.h"
#include "util.h"
#include "vmbus_server.h"

#define HVHOST_MAX_DEVICES	64
/* fds all device classes together may have the event loop watch. */
#define HVHOST_MAX_CLASS_FDS	16
#define HVHOST_DEFAULT_VECTORS	4
/* Monitor page polling period while a monitored channel is open. */
#define HVHOST_MONITOR_POLL_NS	1000000

struct hvhost;

/* An fd in the event loop and what to do when it is ready. */
struct hv_watch {
	int fd;
	void (*fn)(struct hvhost *h, struct hv_watch *w, uint32_t events);
};

/* Room for a device's class-specific SPEC words (hvhost_class_ops). */
#define HVHOST_DEVICE_ARGS	128

/*
 * A device from the command line: --echo=GUID,nomonitor and so on; @args
 * keeps the KEY=VALUE words of its class (spec_keys), comma-separated.
 */
struct hvhost_device_opt {
	const struct hv_device_class *cls;
	bool has_instance;
	guid_t instance;
	bool monitor;
	char args[HVHOST_DEVICE_ARGS];
};

struct hvhost_options {
	const char *socket_path;
	const char *mem_path;
	uint64_t mem_size;
	unsigned int vectors;
	const char *control_path;
	uint32_t max_version;
	const char *log_path;
	int log_level;
	unsigned int nr_devices;
	struct hvhost_device_opt devices[HVHOST_MAX_DEVICES];
	void *class_cfg[HV_DEVICE_CLASSES_MAX];
};

struct option;

/**
 * struct hvhost_class_cmd - a control command a device class adds
 * @name: the first word
 * @min_args: words after it, at least
 * @max_args: ... and at most
 * @usage: for `help` and for ERR usage
 * @run: runs it on the class instance; NULL (OK) or the ERR reason
 */
struct hvhost_class_cmd {
	const char *name;
	unsigned int min_args;
	unsigned int max_args;
	const char *usage;
	const char *(*run)(void *inst, int argc, char **argv,
			   struct hv_buf *out);
};

/**
 * struct hvhost_class_ops - what a device class adds to the host program
 *
 * Every member is optional. A class has a configuration (@config_new,
 * filled by @parse_option, checked by @check) from the command line, and
 * an instance (@start ... @stop) while hvhost runs; both are the class's
 * own types, hvhost keeps them as void pointers, one per class.
 *
 * @options: long options it adds, getopt_long style ({ NULL } ends it;
 *	.flag and .val are not used)
 * @spec_keys: KEY of the KEY=VALUE words its devices' SPEC may have
 *	(NULL ends it); kept in hvhost_device_opt.args for @check
 * @usage: their lines of --help
 * @config_new: the default configuration of class @cls (NULL: no memory)
 * @config_free: frees it
 * @parse_option: one of @options (by @name) with its value; 0 or -1 after
 *	a message naming the option
 * @check: after the command line, with every device of it in @opt: the
 *	last word on the configuration; may add devices to @opt
 * @start: the instance, on the configuration (NULL: failed, logged)
 * @stop: ends it, after the VMBus server let go of every channel
 * @bind: a primary channel of the class was just offered: @nth is its
 *	place among the command line's devices of the class, or -1 when
 *	offered by `offer`; 0 or a negative errno
 * @cmds: its control commands, { NULL } ending the list
 * @fault: `fault NAME KIND COUNT` (hv_device_class.fault_name); NULL or
 *	the ERR reason
 * @list: its lines of `list`
 * @stats: its lines of `stats`
 * @fds: up to @max fds the event loop watches for it (EPOLLIN)
 * @on_fd: one of them is ready
 * @round_end: the event loop finished a round of events (batch work)
 */
struct hvhost_class_ops {
	const struct option *options;
	const char *const *spec_keys;
	const char *usage;
	void *(*config_new)(const struct hv_device_class *cls);
	void (*config_free)(void *cfg);
	int (*parse_option)(void *cfg, const char *name, const char *value);
	int (*check)(void *cfg, const struct hv_device_class *cls,
		     struct hvhost_options *opt);
	void *(*start)(const struct hv_device_class *cls, const void *cfg);
	void (*stop)(void *inst);
	int (*bind)(void *inst, struct hv_channel *primary, int nth);
	const struct hvhost_class_cmd *cmds;
	const char *(*fault)(void *inst, const char *kind, unsigned int count);
	void (*list)(void *inst, struct hv_buf *out);
	void (*stats)(void *inst, struct hv_buf *out);
	unsigned int (*fds)(void *inst, int *fds, unsigned int max);
	void (*on_fd)(void *inst, int fd, uint32_t events);
	void (*round_end)(void *inst);
};

/* An fd a device class asked the event loop to watch. */
struct hvhost_class_watch {
	struct hv_watch watch;
	const struct hv_device_class *cls;
};

/**
 * struct ivshmem_server - our half of QEMU's ivshmem-doorbell device
 * @listen: the server socket, until QEMU connected
 * @conn: the connection to QEMU; its hang-up ends hvhost
 * @path: socket path to remove on exit
 * @bar2_fd: memfd that becomes BAR2
 * @bar2: BAR2, mapped
 * @nr_vectors: eventfds per peer
 * @doorbell: host eventfds (peer 0) the guest rings, by doorbell number
 * @irq_fd: guest eventfds (peer 1): writing one raises that MSI-X vector
 */
struct ivshmem_server {
	struct hv_watch listen;
	struct hv_watch conn;
	char *path;
	int bar2_fd;
	uint8_t *bar2;
	unsigned int nr_vectors;
	struct hv_watch doorbell[HVEMU_MAX_VECTORS];
	int irq_fd[HVEMU_MAX_VECTORS];
};

struct control_client {
	struct hv_watch watch;
	struct control_client *next;
	char in[1024];
	size_t in_len;
	struct hv_buf out;
	bool closing;
};

struct control_server {
	struct hv_watch listen;
	char *path;
	struct control_client *clients;
};

struct hvhost {
	struct hvhost_options opt;
	int epfd;
	bool quit;
	struct guestmem gm;
	struct ivshmem_server ivs;
	struct synic synic;
	struct vmbus_server srv;
	void *cls_inst[HV_DEVICE_CLASSES_MAX];
	unsigned int nr_cls_watches;
	struct hvhost_class_watch cls_watches[HVHOST_MAX_CLASS_FDS];
	struct control_server ctl;
	struct hv_watch signals;
	struct hv_watch timer;
	bool timer_armed;
};

/* core.c */
int hvhost_watch(struct hvhost *h, struct hv_watch *w, uint32_t events);
void hvhost_unwatch(struct hvhost *h, struct hv_watch *w);
extern const struct synic_ops hvhost_synic_ops;
extern const struct vmbus_server_ops hvhost_server_ops;
void hvhost_doorbell(struct hvhost *h, unsigned int doorbell);
void *hvhost_class_inst(struct hvhost *h, const struct hv_device_class *cls);
int hvhost_classes_start(struct hvhost *h);
int hvhost_classes_watch(struct hvhost *h);
void hvhost_classes_round_end(struct hvhost *h);
void hvhost_classes_stop(struct hvhost *h);
int hvhost_class_bind(struct hvhost *h, struct hv_channel *ch, int nth);

/* ivshmem.c */
void ivshmem_reset(struct ivshmem_server *ivs);
int ivshmem_init(struct hvhost *h);
int ivshmem_listen(struct hvhost *h);
void ivshmem_destroy(struct ivshmem_server *ivs);
void ivshmem_raise(struct ivshmem_server *ivs, unsigned int vector);

/* control.c */
int control_init(struct hvhost *h);
void control_destroy(struct hvhost *h);
void control_exec(struct hvhost *h, char *line, struct hv_buf *out);
int hvhost_ctl_main(int argc, char **argv);

/* options.c */
int hvhost_options_init(struct hvhost_options *opt);
void hvhost_options_free(struct hvhost_options *opt);
int hvhost_parse_options(struct hvhost_options *opt, int argc, char **argv);
int hvhost_parse_device(struct hvhost_device_opt *d,
			const struct hv_device_class *cls, const char *spec);

#endif /* _HVHOST_H */
