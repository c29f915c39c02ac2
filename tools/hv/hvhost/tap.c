// SPDX-License-Identifier: GPL-2.0
/*
 * The TAP side of a synthetic NIC. The interface must already exist (made
 * by `ip tuntap add ... mode tap vnet_hdr`, or by whoever runs hvhost):
 * hvhost attaches to it, it never creates interfaces of its own, so a test
 * decides in which network namespace the wire lives.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/if_tun.h>

#include "log.h"
#include "tap.h"

#define TAP_DEV		"/dev/net/tun"

static const char *tap_open_hint(int err)
{
	switch (err) {
	case EBUSY:
		return " (another process has it open)";
	case EPERM:
		return " (owned by another user)";
	case EINVAL:
		return " (a tun interface, not a tap)";
	default:
		return "";
	}
}

/*
 * TUNSETIFF with a name that does not exist would create the interface:
 * check first that it is there, so that a typo is an error, not a new,
 * unconnected interface.
 */
static int tap_exists(const char *name)
{
	char path[64 + IFNAMSIZ];

	snprintf(path, sizeof(path), "/sys/class/net/%s", name);
	return access(path, F_OK) ? -1 : 0;
}

int tap_open(struct tap *t, const char *name)
{
	struct ifreq ifr = { 0 };
	int sz = sizeof(struct virtio_net_hdr);

	t->fd = -1;
	t->offloads = 0;
	if (strlen(name) >= IFNAMSIZ) {
		hv_err("tap %s: name too long", name);
		return -1;
	}
	snprintf(t->name, sizeof(t->name), "%s", name);
	if (tap_exists(name)) {
		hv_err("tap %s: no such interface (create it with `ip tuntap add %s mode tap vnet_hdr`)",
		       name, name);
		return -1;
	}
	t->fd = open(TAP_DEV, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (t->fd < 0) {
		hv_err("tap %s: %s: %s", name, TAP_DEV, strerror(errno));
		return -1;
	}
	memcpy(ifr.ifr_name, t->name, sizeof(t->name));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	if (ioctl(t->fd, TUNSETIFF, &ifr) ||
	    ioctl(t->fd, TUNSETVNETHDRSZ, &sz) ||
	    tap_set_offloads(t, TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6)) {
		hv_err("tap %s: %s%s", name, strerror(errno),
		       tap_open_hint(errno));
		tap_close(t);
		return -1;
	}
	return 0;
}

void tap_close(struct tap *t)
{
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
}

/* What the kernel may hand us: TUN_F_CSUM, TUN_F_TSO4, ... (0: none). */
int tap_set_offloads(struct tap *t, unsigned int tun_f)
{
	if (ioctl(t->fd, TUNSETOFFLOAD, (unsigned long)tun_f))
		return -1;
	t->offloads = tun_f;
	return 0;
}

/*
 * One frame and its virtio-net header. Returns the frame's bytes, 0 when
 * none is waiting, or a negative errno. A frame without a whole header
 * (which the kernel never sends) counts as an error.
 */
ssize_t tap_read(struct tap *t, struct virtio_net_hdr *vh, void *frame,
		 size_t cap)
{
	struct iovec iov[2] = {
		{ .iov_base = vh, .iov_len = sizeof(*vh) },
		{ .iov_base = frame, .iov_len = cap },
	};
	ssize_t n = readv(t->fd, iov, 2);

	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -errno;
	if ((size_t)n < sizeof(*vh))
		return -EPROTO;
	return n - sizeof(*vh);
}

/*
 * One frame, gathered from @iov, behind @vh. A full queue (EAGAIN) drops
 * the frame, as a wire would; the caller counts it.
 */
int tap_write(struct tap *t, const struct virtio_net_hdr *vh,
	      const struct iovec *iov, unsigned int n)
{
	struct iovec v[1 + 64];
	unsigned int i;

	if (n > 64)
		return -EMSGSIZE;
	v[0].iov_base = (void *)vh;
	v[0].iov_len = sizeof(*vh);
	for (i = 0; i < n; i++)
		v[i + 1] = iov[i];
	if (writev(t->fd, v, n + 1) < 0)
		return -errno;
	return 0;
}
