/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest RAM as seen by hvhost: the file QEMU uses as the guest's memory
 * backend, mapped shared. Every guest physical address that hvhost uses
 * goes through guestmem_ptr(), which is the one place that decides what
 * is RAM.
 */
#ifndef _HVHOST_GUESTMEM_H
#define _HVHOST_GUESTMEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <hyperv/wire.h>

/*
 * QEMU's "pc" machine: RAM below 4 GiB stops at 3.5 GiB for small guests
 * (all of it) or at 3 GiB for larger ones; the rest sits at 4 GiB.
 */
#define GUESTMEM_LOW_LIMIT	0xe0000000ULL
#define GUESTMEM_LOW_SPLIT	0xc0000000ULL
#define GUESTMEM_HIGH_BASE	0x100000000ULL
/* The guest sees VGA memory and ROMs here, not the file's bytes. */
#define GUESTMEM_LEGACY_START	0xa0000ULL
#define GUESTMEM_LEGACY_END	0x100000ULL

struct guestmem {
	uint8_t *base;		/* the RAM file, mapped shared */
	uint64_t size;		/* bytes of RAM */
	uint64_t low_size;	/* bytes of RAM at GPA 0 */
	int fd;			/* -1 when attached to a plain buffer */
	char *path;		/* set when hvhost created the file */
};

void guestmem_attach(struct guestmem *gm, void *base, uint64_t size);
int guestmem_open(struct guestmem *gm, const char *path, uint64_t size);
void guestmem_close(struct guestmem *gm);

void *guestmem_ptr(const struct guestmem *gm, uint64_t gpa, uint64_t len);
bool guestmem_pfn_valid(const struct guestmem *gm, uint64_t pfn);
int guestmem_read(const struct guestmem *gm, uint64_t gpa, void *dst,
		  size_t len);

static inline void *guestmem_page(const struct guestmem *gm, uint64_t pfn)
{
	if (pfn >> (64 - HV_WIRE_PAGE_SHIFT))
		return NULL;
	return guestmem_ptr(gm, pfn << HV_WIRE_PAGE_SHIFT, HV_WIRE_PAGE_SIZE);
}

#endif /* _HVHOST_GUESTMEM_H */
