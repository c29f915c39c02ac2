// SPDX-License-Identifier: GPL-2.0
/*
 * Front-end helpers: parsing, a text buffer, UNIX sockets.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <hyperv/vmbus_msg.h>

#include "log.h"
#include "util.h"

/* /proc/net/unix flag of a listening socket. */
#define HV_SO_ACCEPTCON	0x10000

/* Guest RAM sizes: bytes, or with a K, M, G or T suffix (powers of 1024). */
int hv_parse_size(const char *s, uint64_t *size)
{
	unsigned long long v;
	unsigned int shift = 0;
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -1;
	switch (*end) {
	case 'T': case 't':
		shift += 10;
		fallthrough;
	case 'G': case 'g':
		shift += 10;
		fallthrough;
	case 'M': case 'm':
		shift += 10;
		fallthrough;
	case 'K': case 'k':
		shift += 10;
		end++;
		break;
	}
	if (*end || !v || v > (UINT64_MAX >> shift))
		return -1;
	*size = (uint64_t)v << shift;
	return *size % HV_WIRE_PAGE_SIZE ? -1 : 0;
}

/* "X.Y" naming a VMBus version hvhost knows. */
int hv_parse_version(const char *s, uint32_t *version)
{
	unsigned int major, minor;
	char tail;

	if (sscanf(s, "%u.%u%c", &major, &minor, &tail) != 2 ||
	    major > 0xffff || minor > 0xffff)
		return -1;
	*version = VMBUS_VERSION(major, minor);
	return 0;
}

int hv_parse_uint(const char *s, unsigned int min, unsigned int max,
		  unsigned int *val)
{
	unsigned long v;
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*val = v;
	return 0;
}

static bool hv_buf_reserve(struct hv_buf *b, size_t more)
{
	size_t cap = b->cap ? b->cap : 256;
	char *s;

	if (b->failed)
		return false;
	while (cap - b->len < more + 1)
		cap *= 2;
	if (cap == b->cap)
		return true;
	s = realloc(b->s, cap);
	if (!s) {
		b->failed = true;
		return false;
	}
	b->s = s;
	b->cap = cap;
	return true;
}

void hv_buf_printf(struct hv_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !hv_buf_reserve(b, n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->s + b->len, n + 1, fmt, ap);
	va_end(ap);
	b->len += n;
}

/* Drop the first @n bytes (they were sent). */
void hv_buf_consume(struct hv_buf *b, size_t n)
{
	memmove(b->s, b->s + n, b->len - n);
	b->len -= n;
}

void hv_buf_free(struct hv_buf *b)
{
	free(b->s);
	memset(b, 0, sizeof(*b));
}

static int hv_unix_addr(const char *path, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sa->sun_path, path, strlen(path) + 1);
	return 0;
}

int hv_unix_connect(const char *path)
{
	struct sockaddr_un sa;
	int fd;

	if (hv_unix_addr(path, &sa))
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int err = errno;

		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

/*
 * Is a socket listening on @path? Asked of /proc/net/unix rather than by
 * connecting: a connection to an ivshmem server would look like QEMU.
 */
static bool hv_unix_listening(const char *path, const char *abs)
{
	unsigned long flags;
	char line[4096], *p;
	int off;
	bool found = false;
	FILE *f;

	f = fopen("/proc/net/unix", "re");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		/* Num RefCount Protocol Flags Type St Inode Path */
		off = -1;
		if (sscanf(line, "%*s %*s %*s %lx %*s %*s %*s %n", &flags,
			   &off) != 1 || off < 0)
			continue;
		p = line + off;
		found = (flags & HV_SO_ACCEPTCON) &&
			(!strcmp(p, path) || !strcmp(p, abs));
	}
	fclose(f);
	return found;
}

/*
 * An existing path may only be replaced if it is a socket nobody listens
 * on any more (left behind by a process that died).
 */
static int hv_unix_remove_stale(const char *path, const char *abs,
				const char *what)
{
	struct stat st;

	if (lstat(path, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		hv_err("%s %s: %s", what, path, strerror(errno));
		return -1;
	}
	if (!S_ISSOCK(st.st_mode)) {
		hv_err("%s %s exists and is not a socket", what, path);
		return -1;
	}
	if (hv_unix_listening(path, abs)) {
		hv_err("%s %s is in use by another process", what, path);
		return -1;
	}
	if (unlink(path) < 0) {
		hv_err("cannot remove stale %s %s: %s", what, path,
		       strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * The absolute form of @path, so that every hvhost names its sockets the
 * same way in /proc/net/unix; @path itself if that does not work out.
 */
static void hv_unix_abs_path(const char *path, char *abs, size_t size)
{
	char dir[PATH_MAX], real[PATH_MAX];
	const char *base = strrchr(path, '/');
	size_t len;

	snprintf(abs, size, "%s", path);
	if (!base) {
		snprintf(dir, sizeof(dir), ".");
		base = path;
	} else {
		snprintf(dir, sizeof(dir), "%.*s", (int)(base - path), path);
		base++;
		if (!dir[0])
			snprintf(dir, sizeof(dir), "/");
	}
	if (!realpath(dir, real))
		return;
	if (!strcmp(real, "/"))
		real[0] = '\0';
	if (strlen(real) + strlen(base) + 2 > size)
		return;
	len = strlen(real);
	memcpy(abs, real, len);
	abs[len] = '/';
	memcpy(abs + len + 1, base, strlen(base) + 1);
}

/* A non-blocking listening socket at @path; @what names it in errors. */
int hv_unix_listen(const char *path, const char *what)
{
	struct sockaddr_un sa;
	char abs[sizeof(sa.sun_path)];
	int fd;

	if (hv_unix_addr(path, &sa)) {
		hv_err("%s path %s is too long", what, path);
		return -1;
	}
	hv_unix_abs_path(path, abs, sizeof(abs));
	if (hv_unix_remove_stale(path, abs, what))
		return -1;
	hv_unix_addr(abs, &sa);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		hv_err("socket: %s", strerror(errno));
		return -1;
	}
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		hv_err("cannot create %s %s: %s", what, path,
		       errno == ENOENT ? "directory does not exist" :
		       strerror(errno));
		close(fd);
		return -1;
	}
	if (listen(fd, 8) < 0) {
		hv_err("listen on %s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		return -1;
	}
	return fd;
}
