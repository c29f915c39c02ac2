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

#include "blockio.h"
#include "guestmem.h"
#include "storvsp.h"
#include "synic.h"
#include "util.h"
#include "vmbus_server.h"

#define HVHOST_MAX_DEVICES	64
#define HVHOST_MAX_DISKS	64
#define HVHOST_DEFAULT_VECTORS	4
/* Monitor page polling period while a monitored channel is open. */
#define HVHOST_MONITOR_POLL_NS	1000000

struct hvhost;

/* An fd in the event loop and what to do when it is ready. */
struct hv_watch {
	int fd;
	void (*fn)(struct hvhost *h, struct hv_watch *w, uint32_t events);
};

/* A device from the command line: --echo=GUID,nomonitor and so on. */
struct hvhost_device_opt {
	const struct hv_device_class *cls;
	bool has_instance;
	guid_t instance;
	bool monitor;
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
	struct storvsp_config storvsc;
	unsigned int nr_disks;
	struct storvsp_disk_spec disks[HVHOST_MAX_DISKS];
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
	struct blockio bio;
	struct hv_watch bio_watch;
	struct storvsp stor;
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
int hvhost_parse_options(struct hvhost_options *opt, int argc, char **argv);
int hvhost_parse_device(struct hvhost_device_opt *d,
			const struct hv_device_class *cls, const char *spec);

#endif /* _HVHOST_H */
