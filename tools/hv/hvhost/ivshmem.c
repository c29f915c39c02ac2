// SPDX-License-Identifier: GPL-2.0
/*
 * The ivshmem server protocol, as QEMU's ivshmem-doorbell device expects
 * it from its chardev socket (reference: ivshmem-notes.md). Each message
 * is a little-endian int64, some with one fd attached:
 *
 *   0                 protocol version
 *   1                 the guest's peer id
 *   -1 + memfd        BAR2 (must come before any eventfd: QEMU sets up its
 *                     MSI-X state only after it has BAR2)
 *   0 + eventfd       x vectors: doorbells to peer 0 (hvhost) signal these
 *   1 + eventfd       x vectors: writing these raises the guest's MSI-X
 *                     vectors
 *
 * QEMU never sends anything back; the socket closing means QEMU is gone.
 */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hvhost.h"
#include "log.h"

#define IVSHMEM_PROTOCOL_VERSION	0
#define IVSHMEM_GUEST_PEER		1
#define IVSHMEM_SHM_MSG			(-1)

static int ivshmem_send(int sock, int64_t value, int fd)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} cbuf;
	int64_t le = (int64_t)htole64((uint64_t)value);
	struct iovec iov = { .iov_base = &le, .iov_len = sizeof(le) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cmsg;

	if (fd >= 0) {
		memset(&cbuf, 0, sizeof(cbuf));
		msg.msg_control = cbuf.buf;
		msg.msg_controllen = sizeof(cbuf.buf);
		cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cmsg), &fd, sizeof(fd));
	}
	if (sendmsg(sock, &msg, MSG_NOSIGNAL) != sizeof(le))
		return -1;
	return 0;
}

/* The whole setup sequence; the order is what QEMU needs. */
static int ivshmem_greet(struct ivshmem_server *ivs, int sock)
{
	unsigned int v;

	if (ivshmem_send(sock, IVSHMEM_PROTOCOL_VERSION, -1) ||
	    ivshmem_send(sock, IVSHMEM_GUEST_PEER, -1) ||
	    ivshmem_send(sock, IVSHMEM_SHM_MSG, ivs->bar2_fd))
		return -1;
	for (v = 0; v < ivs->nr_vectors; v++)
		if (ivshmem_send(sock, HVEMU_HOST_PEER, ivs->doorbell[v].fd))
			return -1;
	for (v = 0; v < ivs->nr_vectors; v++)
		if (ivshmem_send(sock, IVSHMEM_GUEST_PEER, ivs->irq_fd[v]))
			return -1;
	return 0;
}

static void ivshmem_on_conn(struct hvhost *h, struct hv_watch *w,
			    uint32_t events)
{
	char buf[64];
	ssize_t n;

	(void)events;
	n = recv(w->fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n > 0 || (n < 0 && errno == EAGAIN))
		return;
	hv_info("QEMU disconnected%s%s", n < 0 ? ": " : "",
		n < 0 ? strerror(errno) : "");
	h->quit = true;
}

static void ivshmem_on_listen(struct hvhost *h, struct hv_watch *w,
			      uint32_t events)
{
	struct ivshmem_server *ivs = &h->ivs;
	int sock;

	(void)events;
	sock = accept4(w->fd, NULL, NULL, SOCK_CLOEXEC);
	if (sock < 0)
		return;
	if (ivshmem_greet(ivs, sock)) {
		hv_err("QEMU connection failed during setup: %s",
		       strerror(errno));
		close(sock);
		return;
	}
	/* One guest per hvhost: stop listening. */
	hvhost_unwatch(h, &ivs->listen);
	close(ivs->listen.fd);
	ivs->listen.fd = -1;
	ivs->conn.fd = sock;
	ivs->conn.fn = ivshmem_on_conn;
	if (hvhost_watch(h, &ivs->conn, EPOLLIN | EPOLLRDHUP)) {
		h->quit = true;
		return;
	}
	hv_info("QEMU connected");
}

static void ivshmem_on_doorbell(struct hvhost *h, struct hv_watch *w,
				uint32_t events)
{
	uint64_t count;

	(void)events;
	if (read(w->fd, &count, sizeof(count)) != sizeof(count))
		return;
	hvhost_doorbell(h, w - h->ivs.doorbell);
}

static int ivshmem_create_bar2(struct ivshmem_server *ivs)
{
	void *p;

	ivs->bar2_fd = memfd_create("hvemu-bar2", MFD_CLOEXEC);
	if (ivs->bar2_fd < 0 || ftruncate(ivs->bar2_fd, HVEMU_BAR2_SIZE)) {
		hv_err("cannot create BAR2 memory: %s", strerror(errno));
		return -1;
	}
	p = mmap(NULL, HVEMU_BAR2_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		 ivs->bar2_fd, 0);
	if (p == MAP_FAILED) {
		hv_err("cannot map BAR2 memory: %s", strerror(errno));
		return -1;
	}
	ivs->bar2 = p;
	return 0;
}

static int ivshmem_create_eventfds(struct hvhost *h)
{
	struct ivshmem_server *ivs = &h->ivs;
	unsigned int v;

	for (v = 0; v < ivs->nr_vectors; v++) {
		ivs->doorbell[v].fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		ivs->doorbell[v].fn = ivshmem_on_doorbell;
		ivs->irq_fd[v] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (ivs->doorbell[v].fd < 0 || ivs->irq_fd[v] < 0) {
			hv_err("eventfd: %s", strerror(errno));
			return -1;
		}
		if (hvhost_watch(h, &ivs->doorbell[v], EPOLLIN))
			return -1;
	}
	return 0;
}

/* Nothing open yet: what ivshmem_destroy() may safely be called on. */
void ivshmem_reset(struct ivshmem_server *ivs)
{
	unsigned int v;

	memset(ivs, 0, sizeof(*ivs));
	ivs->listen.fd = -1;
	ivs->conn.fd = -1;
	ivs->bar2_fd = -1;
	for (v = 0; v < HVEMU_MAX_VECTORS; v++) {
		ivs->doorbell[v].fd = -1;
		ivs->irq_fd[v] = -1;
	}
}

/* BAR2 and the eventfds; the caller writes BAR2 before ivshmem_listen(). */
int ivshmem_init(struct hvhost *h)
{
	struct ivshmem_server *ivs = &h->ivs;

	ivs->nr_vectors = h->opt.vectors;
	if (ivshmem_create_bar2(ivs) || ivshmem_create_eventfds(h))
		return -1;
	return 0;
}

/* Last step of start-up: once the socket exists, QEMU may connect. */
int ivshmem_listen(struct hvhost *h)
{
	struct ivshmem_server *ivs = &h->ivs;

	ivs->listen.fd = hv_unix_listen(h->opt.socket_path, "ivshmem socket");
	if (ivs->listen.fd < 0)
		return -1;
	ivs->path = strdup(h->opt.socket_path);
	ivs->listen.fn = ivshmem_on_listen;
	return hvhost_watch(h, &ivs->listen, EPOLLIN);
}

static void ivshmem_close(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

void ivshmem_destroy(struct ivshmem_server *ivs)
{
	unsigned int v;

	ivshmem_close(&ivs->listen.fd);
	ivshmem_close(&ivs->conn.fd);
	for (v = 0; v < HVEMU_MAX_VECTORS; v++) {
		ivshmem_close(&ivs->doorbell[v].fd);
		ivshmem_close(&ivs->irq_fd[v]);
	}
	if (ivs->bar2)
		munmap(ivs->bar2, HVEMU_BAR2_SIZE);
	ivs->bar2 = NULL;
	ivshmem_close(&ivs->bar2_fd);
	if (ivs->path)
		unlink(ivs->path);
	free(ivs->path);
	ivs->path = NULL;
}

/* Raise MSI-X @vector in the guest (QEMU polls the eventfd). */
void ivshmem_raise(struct ivshmem_server *ivs, unsigned int vector)
{
	uint64_t one = 1;

	if (vector >= ivs->nr_vectors || ivs->irq_fd[vector] < 0)
		return;
	if (write(ivs->irq_fd[vector], &one, sizeof(one)) != sizeof(one))
		hv_warn_rl("raising vector %u: %s", vector, strerror(errno));
}
