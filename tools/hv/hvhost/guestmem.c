// SPDX-License-Identifier: GPL-2.0
/*
 * Guest RAM mapping and guest-physical address validation.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guestmem.h"
#include "log.h"

void guestmem_attach(struct guestmem *gm, void *base, uint64_t size)
{
	gm->base = base;
	gm->size = size;
	gm->low_size = size < GUESTMEM_LOW_LIMIT ? size : GUESTMEM_LOW_SPLIT;
	gm->fd = -1;
	gm->path = NULL;
}

static int guestmem_create_file(const char *path, uint64_t size, bool *created)
{
	int fd;

	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	*created = fd >= 0;
	if (fd < 0 && errno == EEXIST)
		fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		hv_err("cannot create guest RAM file %s: %s", path,
		       strerror(errno));
		return -1;
	}
	if (ftruncate(fd, (off_t)size) < 0) {
		hv_err("cannot size guest RAM file %s to %llu bytes: %s", path,
		       (unsigned long long)size, strerror(errno));
		close(fd);
		if (*created)
			unlink(path);
		return -1;
	}
	return fd;
}

/*
 * Create (or reuse) and size the RAM file before QEMU opens it. A file
 * hvhost created is removed again by guestmem_close().
 */
int guestmem_open(struct guestmem *gm, const char *path, uint64_t size)
{
	bool created;
	void *base;
	int fd;

	fd = guestmem_create_file(path, size, &created);
	if (fd < 0)
		return -1;
	base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (base == MAP_FAILED) {
		hv_err("cannot map guest RAM file %s: %s", path,
		       strerror(errno));
		close(fd);
		if (created)
			unlink(path);
		return -1;
	}
	guestmem_attach(gm, base, size);
	gm->fd = fd;
	gm->path = created ? strdup(path) : NULL;
	return 0;
}

void guestmem_close(struct guestmem *gm)
{
	if (gm->fd < 0)
		return;
	munmap(gm->base, gm->size);
	close(gm->fd);
	if (gm->path)
		unlink(gm->path);
	free(gm->path);
	gm->fd = -1;
	gm->path = NULL;
	gm->base = NULL;
}

static bool guestmem_overlaps_legacy(uint64_t gpa, uint64_t len)
{
	return gpa < GUESTMEM_LEGACY_END && gpa + len > GUESTMEM_LEGACY_START;
}

/*
 * Translate [gpa, gpa + len) to a host pointer. The whole range must be
 * RAM in one piece: below the PCI hole, or above 4 GiB. len 0 is refused.
 */
void *guestmem_ptr(const struct guestmem *gm, uint64_t gpa, uint64_t len)
{
	uint64_t high_size = gm->size - gm->low_size;
	uint64_t off;

	if (!len || gpa + len < gpa)
		return NULL;
	if (gpa < gm->low_size) {
		if (len > gm->low_size - gpa ||
		    guestmem_overlaps_legacy(gpa, len))
			return NULL;
		return gm->base + gpa;
	}
	if (gpa < GUESTMEM_HIGH_BASE)
		return NULL;
	off = gpa - GUESTMEM_HIGH_BASE;
	if (off >= high_size || len > high_size - off)
		return NULL;
	return gm->base + gm->low_size + off;
}

bool guestmem_pfn_valid(const struct guestmem *gm, uint64_t pfn)
{
	return !!guestmem_page(gm, pfn);
}

/* Copy guest bytes out; the range may span pages but must be RAM. */
int guestmem_read(const struct guestmem *gm, uint64_t gpa, void *dst,
		  size_t len)
{
	const void *src = guestmem_ptr(gm, gpa, len);

	if (!src)
		return -EFAULT;
	memcpy(dst, src, len);
	return 0;
}
