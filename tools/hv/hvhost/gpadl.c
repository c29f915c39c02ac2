// SPDX-License-Identifier: GPL-2.0
/*
 * GPADLs (reference §4): a header message and body messages carry the
 * range description; once range_buflen bytes arrived it is checked page by
 * page against guest RAM and answered with GPADL_CREATED.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "vmbus_server.h"

#define GPADL_RANGE_HDR		sizeof(struct vmbus_gpa_range)
#define GPADL_PFN_SIZE		sizeof(uint64_t)

struct hv_gpadl *vmbus_gpadl_find(struct vmbus_server *srv, uint32_t handle)
{
	struct hv_gpadl *g;

	for (g = srv->gpadls; g; g = g->next)
		if (g->handle == handle)
			return g;
	return NULL;
}

static void vmbus_gpadl_unlink(struct vmbus_server *srv, struct hv_gpadl *g)
{
	struct hv_gpadl **pp;

	for (pp = &srv->gpadls; *pp; pp = &(*pp)->next) {
		if (*pp == g) {
			*pp = g->next;
			break;
		}
	}
	if (g->created)
		srv->nr_gpadls--;
	else
		srv->nr_gpadls_building--;
	free(g->ranges);
	free(g->pfns);
	free(g);
}

/* Free the GPADLs of @relid, or every GPADL if @all. */
void vmbus_gpadl_free_all(struct vmbus_server *srv, uint32_t relid, bool all)
{
	struct hv_gpadl *g, *next;

	for (g = srv->gpadls; g; g = next) {
		next = g->next;
		if (all || g->relid == relid)
			vmbus_gpadl_unlink(srv, g);
	}
}

unsigned int vmbus_gpadl_count(const struct vmbus_server *srv, uint32_t relid)
{
	const struct hv_gpadl *g;
	unsigned int n = 0;

	for (g = srv->gpadls; g; g = g->next)
		if (g->created && g->relid == relid)
			n++;
	return n;
}

static void vmbus_gpadl_reply(struct vmbus_server *srv, uint32_t relid,
			      uint32_t handle, uint32_t status)
{
	struct vmbus_msg_gpadl_created m = {
		.header.msgtype = VMBUS_MSG_GPADL_CREATED,
		.child_relid = relid,
		.gpadl = handle,
		.creation_status = status,
	};

	if (status == VMBUS_STATUS_SUCCESS)
		srv->stats.gpadls_created++;
	else
		srv->stats.gpadls_failed++;
	vmbus_server_send(srv, &m, sizeof(m));
}

/* Pages a range covers: ceil((byte_offset + byte_count) / 4096). */
static uint32_t vmbus_range_pages(const struct vmbus_gpa_range *r)
{
	uint64_t end = (uint64_t)r->byte_offset + r->byte_count;

	return (end + HV_WIRE_PAGE_SIZE - 1) / HV_WIRE_PAGE_SIZE;
}

/*
 * Walk the ranges of a complete GPADL: every range must be well formed,
 * every page guest RAM, and the ranges must use exactly range_buflen
 * bytes. Fills g->pfns.
 */
static int vmbus_gpadl_parse(struct vmbus_server *srv, struct hv_gpadl *g)
{
	uint32_t off = 0, npfn, i, k = 0;
	struct vmbus_gpa_range r;
	unsigned int n;

	g->pfns = malloc(g->range_buflen / GPADL_PFN_SIZE * GPADL_PFN_SIZE);
	if (!g->pfns)
		return -1;
	g->whole_pages = true;
	for (n = 0; n < g->rangecount; n++) {
		if (g->range_buflen - off < GPADL_RANGE_HDR)
			return -1;
		memcpy(&r, g->ranges + off, GPADL_RANGE_HDR);
		off += GPADL_RANGE_HDR;
		if (!r.byte_count || r.byte_offset >= HV_WIRE_PAGE_SIZE)
			return -1;
		npfn = vmbus_range_pages(&r);
		if ((g->range_buflen - off) / GPADL_PFN_SIZE < npfn)
			return -1;
		if (r.byte_offset || r.byte_count % HV_WIRE_PAGE_SIZE)
			g->whole_pages = false;
		for (i = 0; i < npfn; i++, off += GPADL_PFN_SIZE) {
			memcpy(&g->pfns[k], g->ranges + off, GPADL_PFN_SIZE);
			if (!guestmem_pfn_valid(srv->gm, g->pfns[k])) {
				hv_warn_rl("GPADL 0x%x: pfn 0x%llx not RAM",
					   g->handle,
					   (unsigned long long)g->pfns[k]);
				return -1;
			}
			k++;
		}
	}
	g->npfns = k;
	return off == g->range_buflen ? 0 : -1;
}

static void vmbus_gpadl_complete(struct vmbus_server *srv, struct hv_gpadl *g)
{
	uint32_t relid = g->relid, handle = g->handle;

	if (vmbus_gpadl_parse(srv, g)) {
		hv_warn_rl("GPADL 0x%x for relid %u is malformed", handle,
			   relid);
		vmbus_gpadl_unlink(srv, g);
		vmbus_gpadl_reply(srv, relid, handle, VMBUS_STATUS_UNSUCCESSFUL);
		return;
	}
	free(g->ranges);
	g->ranges = NULL;
	g->created = true;
	srv->nr_gpadls_building--;
	srv->nr_gpadls++;
	vmbus_gpadl_reply(srv, relid, handle, VMBUS_STATUS_SUCCESS);
}

/* Append range data; never more than the header announced. */
static void vmbus_gpadl_append(struct vmbus_server *srv, struct hv_gpadl *g,
			       const uint8_t *data, uint32_t len)
{
	uint32_t room = g->range_buflen - g->received;

	if (len > room)
		len = room;
	memcpy(g->ranges + g->received, data, len);
	g->received += len;
	if (g->received == g->range_buflen)
		vmbus_gpadl_complete(srv, g);
}

static bool vmbus_gpadl_header_ok(struct vmbus_server *srv,
				  const struct vmbus_msg_gpadl_header *h)
{
	struct hv_channel *ch = NULL;

	if (h->child_relid && h->child_relid <= VMBUS_SERVER_MAX_RELID)
		ch = srv->chan[h->child_relid];
	if (!ch || !ch->offered || ch->rescinded) {
		hv_warn_rl("GPADL 0x%x for unknown relid %u", h->gpadl,
			   h->child_relid);
		return false;
	}
	if (vmbus_gpadl_find(srv, h->gpadl)) {
		hv_warn_rl("GPADL handle 0x%x already in use", h->gpadl);
		return false;
	}
	/* Each range is at least a header and one page number. */
	if (!h->rangecount || h->range_buflen % GPADL_PFN_SIZE ||
	    h->range_buflen / (GPADL_RANGE_HDR + GPADL_PFN_SIZE) <
	    h->rangecount) {
		hv_warn_rl("GPADL 0x%x: %u ranges in %u bytes", h->gpadl,
			   h->rangecount, h->range_buflen);
		return false;
	}
	if (srv->nr_gpadls + srv->nr_gpadls_building >=
	    VMBUS_SERVER_MAX_GPADLS) {
		hv_warn_rl("too many GPADLs");
		return false;
	}
	return true;
}

void vmbus_gpadl_on_header(struct vmbus_server *srv, const void *msg,
			   uint32_t len)
{
	const struct vmbus_msg_gpadl_header *h = msg;
	struct hv_gpadl *g;

	if (!vmbus_gpadl_header_ok(srv, h))
		goto fail;
	g = calloc(1, sizeof(*g));
	if (!g)
		goto fail;
	g->ranges = malloc(h->range_buflen);
	if (!g->ranges) {
		free(g);
		goto fail;
	}
	g->handle = h->gpadl;
	g->relid = h->child_relid;
	g->rangecount = h->rangecount;
	g->range_buflen = h->range_buflen;
	g->next = srv->gpadls;
	srv->gpadls = g;
	srv->nr_gpadls_building++;
	vmbus_gpadl_append(srv, g, (const uint8_t *)msg + sizeof(*h),
			   len - sizeof(*h));
	return;
fail:
	vmbus_gpadl_reply(srv, h->child_relid, h->gpadl,
			  VMBUS_STATUS_UNSUCCESSFUL);
}

void vmbus_gpadl_on_body(struct vmbus_server *srv, const void *msg,
			 uint32_t len)
{
	const struct vmbus_msg_gpadl_body *b = msg;
	struct hv_gpadl *g = vmbus_gpadl_find(srv, b->gpadl);

	/* A body carries no relid: with no GPADL being built, drop it. */
	if (!g || g->created) {
		hv_warn_rl("GPADL_BODY for handle 0x%x, none being built",
			   b->gpadl);
		return;
	}
	vmbus_gpadl_append(srv, g, (const uint8_t *)msg + sizeof(*b),
			   len - sizeof(*b));
}

/* GPADL_TORNDOWN for @g, which is freed. */
static void vmbus_gpadl_torn_down(struct vmbus_server *srv, struct hv_gpadl *g)
{
	struct vmbus_msg_gpadl_torndown resp = {
		.header.msgtype = VMBUS_MSG_GPADL_TORNDOWN,
		.gpadl = g->handle,
	};

	vmbus_gpadl_unlink(srv, g);
	srv->stats.gpadls_torndown++;
	vmbus_server_send(srv, &resp, sizeof(resp));
}

void vmbus_gpadl_on_teardown(struct vmbus_server *srv, const void *msg,
			     uint32_t len)
{
	const struct vmbus_msg_gpadl_teardown *t = msg;
	struct hv_gpadl *g = vmbus_gpadl_find(srv, t->gpadl);

	(void)len;
	if (!g || !g->created || g->relid != t->child_relid) {
		hv_warn_rl("GPADL_TEARDOWN of handle 0x%x relid %u refused",
			   t->gpadl, t->child_relid);
		return;
	}
	if (g->in_use) {
		/* The guest must close first; close for it, never use freed pages. */
		hv_warn_rl("GPADL 0x%x torn down while its channel is open",
			   t->gpadl);
		vmbus_server_guest_closed(srv, srv->chan[g->relid]);
	}
	/* The host stops using the memory first (reference §4.4). */
	if (g->pins) {
		g->teardown_pending = true;
		return;
	}
	vmbus_gpadl_torn_down(srv, g);
}

/* --- GPADLs a device maps ------------------------------------------- */

/* A created GPADL of channel @relid that is not being torn down. */
static struct hv_gpadl *vmbus_gpadl_usable(struct vmbus_server *srv,
					   uint32_t relid, uint32_t handle)
{
	struct hv_gpadl *g = vmbus_gpadl_find(srv, handle);

	if (!g || !g->created || g->relid != relid || g->teardown_pending)
		return NULL;
	return g;
}

/**
 * vmbus_gpadl_pin() - keep a GPADL's pages for a device
 * @srv: the server
 * @relid: the device's channel, which the GPADL must belong to
 * @handle: the guest's handle (e.g. from a NetVSP SEND_RECV_BUF message)
 *
 * Until the device unpins it, a GPADL_TEARDOWN of it is answered only
 * once the last pin is gone, as a real host answers when it stopped
 * using the memory. Devices unpin in their close callback at the latest.
 *
 * Return: 0, or -ENOENT if there is no such usable GPADL.
 */
int vmbus_gpadl_pin(struct vmbus_server *srv, uint32_t relid,
		    uint32_t handle)
{
	struct hv_gpadl *g = vmbus_gpadl_usable(srv, relid, handle);

	if (!g)
		return -ENOENT;
	g->pins++;
	return 0;
}

/* Drop a pin; a teardown that waited for it is answered now. */
void vmbus_gpadl_unpin(struct vmbus_server *srv, uint32_t handle)
{
	struct hv_gpadl *g = vmbus_gpadl_find(srv, handle);

	if (!g || !g->pins || --g->pins || !g->teardown_pending)
		return;
	vmbus_gpadl_torn_down(srv, g);
}

/**
 * vmbus_gpadl_span() - bytes @offset .. @offset + @len of a GPADL as a range
 * @srv: the server
 * @relid: the channel the GPADL must belong to
 * @handle: its handle
 * @offset: first byte, from the start of its first page
 * @len: bytes, at least one
 * @span: the result, for hv_gpa_map() or hv_gpa_read()
 *
 * Only GPADLs of whole pages (what rings and NetVSP buffers are) can be
 * addressed this way: their bytes are their pages, in order.
 *
 * Return: 0, -ENOENT (no such usable GPADL), -EINVAL (not whole pages) or
 * -ERANGE (outside the GPADL).
 */
int vmbus_gpadl_span(struct vmbus_server *srv, uint32_t relid,
		     uint32_t handle, uint64_t offset, uint64_t len,
		     struct hv_gpa_span *span)
{
	struct hv_gpadl *g = vmbus_gpadl_usable(srv, relid, handle);
	uint64_t size;

	if (!g)
		return -ENOENT;
	if (!g->whole_pages)
		return -EINVAL;
	size = (uint64_t)g->npfns * HV_WIRE_PAGE_SIZE;
	if (!len || len > UINT32_MAX || offset > size || len > size - offset)
		return -ERANGE;
	span->byte_offset = offset % HV_WIRE_PAGE_SIZE;
	span->byte_count = len;
	span->pfns = g->pfns + offset / HV_WIRE_PAGE_SIZE;
	span->npfns = hv_gpa_pages(span->byte_offset, span->byte_count);
	return 0;
}

/**
 * vmbus_gpadl_map() - map bytes of a GPADL as iovecs into guest RAM
 * @srv: the server
 * @relid: the channel the GPADL must belong to
 * @handle: its handle
 * @offset: first byte
 * @len: bytes
 * @iov: the iovecs; pages adjacent in our mapping share one
 * @max: entries of @iov
 * @niov: set to the entries used
 *
 * Return: 0, vmbus_gpadl_span()'s errors, or hv_gpa_map()'s (-EFAULT,
 * -ENOSPC).
 */
int vmbus_gpadl_map(struct vmbus_server *srv, uint32_t relid,
		    uint32_t handle, uint64_t offset, uint64_t len,
		    struct iovec *iov, unsigned int max, unsigned int *niov)
{
	struct hv_gpa_span span;
	int ret;

	*niov = 0;
	ret = vmbus_gpadl_span(srv, relid, handle, offset, len, &span);
	return ret ? ret : hv_gpa_map(srv->gm, &span, iov, max, niov);
}

/*
 * The same bytes as one pointer, when they are contiguous in our mapping
 * of guest RAM (they are unless the guest scattered the pages); NULL if
 * not, or on any error of vmbus_gpadl_map().
 */
void *vmbus_gpadl_view(struct vmbus_server *srv, uint32_t relid,
		       uint32_t handle, uint64_t offset, uint64_t len)
{
	struct iovec iov;
	unsigned int n;

	if (vmbus_gpadl_map(srv, relid, handle, offset, len, &iov, 1, &n))
		return NULL;
	return iov.iov_base;
}
