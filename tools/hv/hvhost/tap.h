/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A TAP interface as the wire of a synthetic NIC: opened with a virtio-net
 * header in front of every frame (IFF_VNET_HDR), so that checksum and
 * segmentation offloads are the host kernel's work, and non-blocking, so
 * that the event loop never waits on it.
 */
#ifndef _HVHOST_TAP_H
#define _HVHOST_TAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include <linux/if.h>
#include <linux/virtio_net.h>

/* Largest frame through the TAP: a 64 KiB GSO frame and its header. */
#define TAP_MAX_FRAME		(65536 + 14 + 4)

/**
 * struct tap - one open TAP interface
 * @fd: the queue's fd, non-blocking; -1 when closed
 * @name: the interface name
 * @offloads: TUN_F_* currently asked of the kernel
 */
struct tap {
	int fd;
	char name[IFNAMSIZ];
	unsigned int offloads;
};

int tap_open(struct tap *t, const char *name);
void tap_close(struct tap *t);
int tap_set_offloads(struct tap *t, unsigned int tun_f);
ssize_t tap_read(struct tap *t, struct virtio_net_hdr *vh, void *frame,
		 size_t cap);
int tap_write(struct tap *t, const struct virtio_net_hdr *vh,
	      const struct iovec *iov, unsigned int n);

#endif /* _HVHOST_TAP_H */
