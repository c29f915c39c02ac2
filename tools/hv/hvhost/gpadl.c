// SPDX-License-Identifier: GPL-2.0
/*
 * GPADLs (reference §4): a header message and body messages carry the
 * range description; once range_buflen bytes arrived it is checked page by
 * page against guest RAM and answered with GPADL_CREATED.
 */
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

void vmbus_gpadl_on_teardown(struct vmbus_server *srv, const void *msg,
			     uint32_t len)
{
	const struct vmbus_msg_gpadl_teardown *t = msg;
	struct hv_gpadl *g = vmbus_gpadl_find(srv, t->gpadl);
	struct vmbus_msg_gpadl_torndown resp = {
		.header.msgtype = VMBUS_MSG_GPADL_TORNDOWN,
		.gpadl = t->gpadl,
	};

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
	vmbus_gpadl_unlink(srv, g);
	srv->stats.gpadls_torndown++;
	vmbus_server_send(srv, &resp, sizeof(resp));
}
