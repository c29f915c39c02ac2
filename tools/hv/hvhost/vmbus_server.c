// SPDX-License-Identifier: GPL-2.0
/*
 * VMBus server: version negotiation, offers, open/close, rescind, unload
 * and the dispatch of guest messages (reference §2). GPADL messages are in
 * gpadl.c, the data path of open channels in channel.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "shm.h"
#include "util.h"
#include "vmbus_server.h"

/* One guest message, copied out of the HvPostMessage input block. */
struct vmbus_rx {
	const void *msg;
	uint32_t len;
	uint32_t conn_id;
	unsigned int vp;
};

bool vmbus_version_known(uint32_t version)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(vmbus_versions_newest_first); i++)
		if (vmbus_versions_newest_first[i] == version)
			return true;
	return false;
}

void vmbus_server_init(struct vmbus_server *srv, struct synic *synic,
		       const struct guestmem *gm,
		       const struct vmbus_server_ops *ops, void *ops_ctx)
{
	memset(srv, 0, sizeof(*srv));
	srv->synic = synic;
	srv->gm = gm;
	srv->ops = ops;
	srv->ops_ctx = ops_ctx;
	srv->max_version = VMBUS_VERSION_WIN10_V5_3;
}

int vmbus_server_send(struct vmbus_server *srv, const void *msg,
		      uint32_t len)
{
	if (vmbus_fault_drop(srv, msg, len) || vmbus_fuzz_msg(srv, msg, len))
		return 0;
	srv->stats.msgs_out++;
	return synic_post_to_guest(srv->synic, srv->msg_vp, msg, len);
}

static void vmbus_send_relid_msg(struct vmbus_server *srv, uint32_t type,
				 uint32_t relid)
{
	struct vmbus_msg_relid m = {
		.header.msgtype = type,
		.child_relid = relid,
	};

	vmbus_server_send(srv, &m, sizeof(m));
}

static void vmbus_monitor_changed(struct vmbus_server *srv)
{
	if (srv->ops && srv->ops->monitor_changed)
		srv->ops->monitor_changed(srv->ops_ctx);
}

static void vmbus_monitor_release(struct vmbus_server *srv,
				  struct hv_channel *ch)
{
	if (ch->monitor_id == VMBUS_NO_MONITOR_ID)
		return;
	srv->monitor_owner[ch->monitor_id] = NULL;
	ch->monitor_id = VMBUS_NO_MONITOR_ID;
}

/* A monitor id for @ch if it wants one and the guest gave us pages. */
static void vmbus_monitor_assign(struct vmbus_server *srv,
				 struct hv_channel *ch)
{
	unsigned int id;

	if (!ch->monitor_wanted || !srv->monitor_child ||
	    ch->monitor_id != VMBUS_NO_MONITOR_ID)
		return;
	for (id = 0; id < VMBUS_MONITOR_IDS; id++) {
		if (!srv->monitor_owner[id]) {
			srv->monitor_owner[id] = ch;
			ch->monitor_id = id;
			return;
		}
	}
}

static void vmbus_send_offer(struct vmbus_server *srv, struct hv_channel *ch)
{
	struct vmbus_msg_offer offer;

	vmbus_monitor_assign(srv, ch);
	memset(&offer, 0, sizeof(offer));
	offer.header.msgtype = VMBUS_MSG_OFFERCHANNEL;
	offer.if_type = ch->cls->type;
	offer.if_instance = ch->instance;
	offer.child_relid = ch->relid;
	offer.monitorid = ch->monitor_id;
	offer.monitor_allocated = ch->monitor_id != VMBUS_NO_MONITOR_ID;
	offer.is_dedicated_interrupt = 1;
	offer.sub_channel_index = ch->sub_index;
	offer.connection_id = ch->conn_id;
	ch->offered = true;
	vmbus_server_send(srv, &offer, sizeof(offer));
}

/* Close @ch on the host side, whoever asked. */
void vmbus_server_close_channel(struct vmbus_server *srv,
				struct hv_channel *ch)
{
	if (!ch->open)
		return;
	hv_channel_close(ch);
	if (ch->monitor_id != VMBUS_NO_MONITOR_ID) {
		srv->monitored_open--;
		vmbus_monitor_changed(srv);
	}
}

static bool vmbus_is_sub_of(const struct hv_channel *ch,
			    const struct hv_channel *primary)
{
	return ch && ch->primary == primary;
}

static void vmbus_channel_free(struct vmbus_server *srv,
			       struct hv_channel *ch)
{
	unsigned int relid;

	/* Sub-channels never outlive the primary they point to. */
	for (relid = 1; relid <= VMBUS_SERVER_MAX_RELID && !ch->primary;
	     relid++)
		if (vmbus_is_sub_of(srv->chan[relid], ch))
			vmbus_channel_free(srv, srv->chan[relid]);
	vmbus_server_close_channel(srv, ch);
	vmbus_gpadl_free_all(srv, ch->relid, false);
	vmbus_monitor_release(srv, ch);
	srv->chan[ch->relid] = NULL;
	if (!ch->primary && ch->cls->ops->release)
		ch->cls->ops->release(ch);
	free(ch);
}

/*
 * The connection ends (UNLOAD, a new INITIATE_CONTACT, or shutdown):
 * close every channel, forget every GPADL, and let go of the relids of
 * rescinded channels, whose guest side is gone with the connection.
 */
static void vmbus_reset_connection(struct vmbus_server *srv)
{
	struct hv_channel *ch;
	unsigned int relid;

	/* Sub-channels exist for one open of their primary: drop them. */
	for (relid = 1; relid <= VMBUS_SERVER_MAX_RELID; relid++)
		if (srv->chan[relid] && srv->chan[relid]->primary)
			vmbus_channel_free(srv, srv->chan[relid]);
	for (relid = 1; relid <= VMBUS_SERVER_MAX_RELID; relid++) {
		ch = srv->chan[relid];
		if (!ch)
			continue;
		if (ch->rescinded) {
			vmbus_channel_free(srv, ch);
			continue;
		}
		vmbus_server_close_channel(srv, ch);
		vmbus_monitor_release(srv, ch);
		ch->offered = false;
	}
	vmbus_gpadl_free_all(srv, 0, true);
	vmbus_fault_reset(srv);
	synic_drop_queues(srv->synic);
	srv->version = 0;
	srv->offers_sent = false;
	srv->monitor_child = NULL;
	vmbus_monitor_changed(srv);
}

void vmbus_server_destroy(struct vmbus_server *srv)
{
	unsigned int relid;

	vmbus_reset_connection(srv);
	for (relid = 1; relid <= VMBUS_SERVER_MAX_RELID; relid++)
		if (srv->chan[relid])
			vmbus_channel_free(srv, srv->chan[relid]);
	free(srv->fuzz);
	srv->fuzz = NULL;
}

static struct hv_channel *vmbus_channel_get(struct vmbus_server *srv,
					    uint32_t relid)
{
	if (!relid || relid > VMBUS_SERVER_MAX_RELID)
		return NULL;
	return srv->chan[relid];
}

/* Monitor pages: both absent, or both page-aligned guest RAM. */
static bool vmbus_contact_monitor_ok(struct vmbus_server *srv,
				     const struct vmbus_msg_initiate_contact *ic)
{
	uint64_t p1 = ic->monitor_page1, p2 = ic->monitor_page2;

	if (!p1 && !p2)
		return true;
	if ((p1 | p2) % HV_WIRE_PAGE_SIZE)
		return false;
	return guestmem_ptr(srv->gm, p1, HV_WIRE_PAGE_SIZE) &&
	       guestmem_ptr(srv->gm, p2, HV_WIRE_PAGE_SIZE);
}

static bool vmbus_contact_ok(struct vmbus_server *srv,
			     const struct vmbus_rx *rx)
{
	const struct vmbus_msg_initiate_contact *ic = rx->msg;
	uint32_t v = ic->vmbus_version_requested;
	bool v5 = v >= VMBUS_VERSION_WIN10_V5;

	if (!vmbus_version_known(v) || v > srv->max_version)
		return false;
	/* >= 5.0 is negotiated on connection id 4, older ones on 1. */
	if (rx->conn_id != (v5 ? VMBUS_MESSAGE_CONNECTION_ID_4 :
				 VMBUS_MESSAGE_CONNECTION_ID)) {
		hv_warn_rl("version 0x%x requested on connection %u", v,
			   rx->conn_id);
		return false;
	}
	if (v5 && ic->msg_sint != VMBUS_MESSAGE_SINT) {
		hv_warn_rl("INITIATE_CONTACT asks for SINT %u", ic->msg_sint);
		return false;
	}
	if (ic->target_vcpu >= HVEMU_MAX_VPS) {
		hv_warn_rl("INITIATE_CONTACT target vcpu %u", ic->target_vcpu);
		return false;
	}
	if (!vmbus_contact_monitor_ok(srv, ic)) {
		hv_warn_rl("INITIATE_CONTACT with bad monitor pages");
		return false;
	}
	return true;
}

static void vmbus_on_initiate_contact(struct vmbus_server *srv,
				      const struct vmbus_rx *rx)
{
	const struct vmbus_msg_initiate_contact *ic = rx->msg;
	uint32_t v = ic->vmbus_version_requested;
	struct vmbus_msg_version_response resp = {
		.header.msgtype = VMBUS_MSG_VERSION_RESPONSE,
	};
	uint64_t monitor_pfn = ic->monitor_page2 >> HV_WIRE_PAGE_SHIFT;
	bool ok;

	/* A kernel that left without UNLOAD (OpenVMM: Reconnect). */
	if (srv->version) {
		hv_info("guest reconnects: closing the old connection");
		srv->stats.stale_contacts++;
		vmbus_reset_connection(srv);
	}
	ok = vmbus_contact_ok(srv, rx);
	srv->msg_vp = ic->target_vcpu < HVEMU_MAX_VPS ? ic->target_vcpu : 0;
	if (ok) {
		srv->version = v;
		srv->stats.contacts++;
		/* Before 3.0 the host sends everything to VP 0. */
		if (v < VMBUS_VERSION_WIN8_1)
			srv->msg_vp = 0;
		if (monitor_pfn)
			srv->monitor_child = guestmem_page(srv->gm,
							   monitor_pfn);
		hv_info("guest connected with VMBus %u.%u",
			VMBUS_VERSION_MAJOR(v), VMBUS_VERSION_MINOR(v));
	}
	resp.version_supported = ok;
	/* >= 5.0: where later messages go. Older: the version, as Windows. */
	if (ok)
		resp.msg_conn_id = v >= VMBUS_VERSION_WIN10_V5 ?
				   VMBUS_MESSAGE_CONNECTION_ID : v;
	vmbus_server_send(srv, &resp, sizeof(resp));
}

static void vmbus_on_request_offers(struct vmbus_server *srv,
				    const struct vmbus_rx *rx)
{
	struct vmbus_msg_header done = {
		.msgtype = VMBUS_MSG_ALLOFFERS_DELIVERED,
	};
	unsigned int relid;

	(void)rx;
	if (srv->offers_sent) {
		hv_warn_rl("second REQUESTOFFERS on one connection ignored");
		return;
	}
	for (relid = 1; relid <= VMBUS_SERVER_MAX_RELID; relid++)
		if (srv->chan[relid] && !srv->chan[relid]->rescinded &&
		    !srv->chan[relid]->primary)
			vmbus_send_offer(srv, srv->chan[relid]);
	srv->offers_sent = true;
	vmbus_server_send(srv, &done, sizeof(done));
}

static uint32_t vmbus_open_status(struct vmbus_server *srv,
				  const struct vmbus_msg_open_channel *m,
				  struct hv_channel *ch)
{
	struct hv_gpadl *g;

	if (!ch || !ch->offered || ch->rescinded) {
		hv_warn_rl("OPENCHANNEL for unknown relid %u", m->child_relid);
		return VMBUS_STATUS_INVALID_PARAMETER;
	}
	if (ch->open) {
		hv_warn_rl("OPENCHANNEL for open relid %u", m->child_relid);
		return VMBUS_STATUS_UNSUCCESSFUL;
	}
	g = vmbus_gpadl_find(srv, m->ringbuffer_gpadl);
	if (!g || !g->created || g->relid != ch->relid || g->in_use) {
		hv_warn_rl("relid %u: ring GPADL 0x%x unusable", ch->relid,
			   m->ringbuffer_gpadl);
		return VMBUS_STATUS_INVALID_PARAMETER;
	}
	if (m->target_vp >= HVEMU_MAX_VPS &&
	    m->target_vp != VMBUS_TARGET_VP_NONE) {
		hv_warn_rl("relid %u: target vp %u", ch->relid, m->target_vp);
		return VMBUS_STATUS_INVALID_PARAMETER;
	}
	return hv_channel_open(ch, g, m->downstream_ring_page_offset,
			       m->target_vp);
}

static void vmbus_on_open_channel(struct vmbus_server *srv,
				  const struct vmbus_rx *rx)
{
	const struct vmbus_msg_open_channel *m = rx->msg;
	struct hv_channel *ch = vmbus_channel_get(srv, m->child_relid);
	struct vmbus_msg_open_result res = {
		.header.msgtype = VMBUS_MSG_OPENCHANNEL_RESULT,
		.child_relid = m->child_relid,
		.openid = m->openid,
	};

	res.status = vmbus_open_status(srv, m, ch);
	vmbus_server_send(srv, &res, sizeof(res));
	if (res.status != VMBUS_STATUS_SUCCESS)
		return;
	if (ch->monitor_id != VMBUS_NO_MONITOR_ID) {
		srv->monitored_open++;
		vmbus_monitor_changed(srv);
	}
	/* The guest may have written before it saw the result. */
	hv_channel_process(ch);
}

static void vmbus_on_close_channel(struct vmbus_server *srv,
				   const struct vmbus_rx *rx)
{
	const struct vmbus_msg_relid *m = rx->msg;
	struct hv_channel *ch = vmbus_channel_get(srv, m->child_relid);

	/* After a rescind the host has closed it already: not an error. */
	if (ch && ch->rescinded)
		return;
	if (!ch || !ch->open) {
		hv_warn_rl("CLOSECHANNEL for relid %u, not open",
			   m->child_relid);
		return;
	}
	vmbus_server_guest_closed(srv, ch);
}

static void vmbus_on_relid_released(struct vmbus_server *srv,
				    const struct vmbus_rx *rx)
{
	const struct vmbus_msg_relid *m = rx->msg;
	struct hv_channel *ch = vmbus_channel_get(srv, m->child_relid);

	if (!ch && vmbus_fault_relid_released(srv, m->child_relid))
		return;
	if (!ch || !ch->rescinded) {
		hv_warn_rl("RELID_RELEASED for relid %u, not rescinded",
			   m->child_relid);
		return;
	}
	if (vmbus_gpadl_count(srv, ch->relid))
		hv_warn_rl("relid %u released with GPADLs left", ch->relid);
	vmbus_channel_free(srv, ch);
}

static void vmbus_on_unload(struct vmbus_server *srv,
			    const struct vmbus_rx *rx)
{
	struct vmbus_msg_header resp = {
		.msgtype = VMBUS_MSG_UNLOAD_RESPONSE,
	};

	(void)rx;
	hv_info("guest unloads VMBus (%u GPADLs released)", srv->nr_gpadls);
	srv->stats.unloads++;
	vmbus_reset_connection(srv);
	vmbus_server_send(srv, &resp, sizeof(resp));
}

static void vmbus_on_modify_channel(struct vmbus_server *srv,
				    const struct vmbus_rx *rx)
{
	const struct vmbus_msg_modify_channel *m = rx->msg;
	struct hv_channel *ch = vmbus_channel_get(srv, m->child_relid);
	struct vmbus_msg_modify_channel_response resp = {
		.header.msgtype = VMBUS_MSG_MODIFYCHANNEL_RESPONSE,
		.child_relid = m->child_relid,
		.status = VMBUS_STATUS_SUCCESS,
	};

	if (srv->version < VMBUS_VERSION_WIN10_V4_1) {
		hv_warn_rl("MODIFYCHANNEL needs VMBus 4.1");
		return;
	}
	if (!ch || !ch->open || m->target_vp >= HVEMU_MAX_VPS) {
		hv_warn_rl("MODIFYCHANNEL relid %u vp %u refused",
			   m->child_relid, m->target_vp);
		resp.status = VMBUS_STATUS_INVALID_PARAMETER;
	} else {
		ch->target_vp = m->target_vp;
	}
	if (srv->version >= VMBUS_VERSION_WIN10_V5_3)
		vmbus_server_send(srv, &resp, sizeof(resp));
}

static void vmbus_on_gpadl_header(struct vmbus_server *srv,
				  const struct vmbus_rx *rx)
{
	vmbus_gpadl_on_header(srv, rx->msg, rx->len);
}

static void vmbus_on_gpadl_body(struct vmbus_server *srv,
				const struct vmbus_rx *rx)
{
	vmbus_gpadl_on_body(srv, rx->msg, rx->len);
}

static void vmbus_on_gpadl_teardown(struct vmbus_server *srv,
				    const struct vmbus_rx *rx)
{
	vmbus_gpadl_on_teardown(srv, rx->msg, rx->len);
}

/**
 * struct vmbus_msg_handler - how to treat one guest message type
 * @min_len: shorter messages are dropped
 * @connected: only valid after a successful INITIATE_CONTACT
 * @handle: the handler; the message is a private copy of @min_len or more
 */
struct vmbus_msg_handler {
	uint32_t min_len;
	bool connected;
	void (*handle)(struct vmbus_server *srv, const struct vmbus_rx *rx);
};

static const struct vmbus_msg_handler vmbus_msg_handlers[VMBUS_MSG_COUNT] = {
	[VMBUS_MSG_REQUESTOFFERS] = {
		sizeof(struct vmbus_msg_header), true,
		vmbus_on_request_offers },
	[VMBUS_MSG_OPENCHANNEL] = {
		sizeof(struct vmbus_msg_open_channel), true,
		vmbus_on_open_channel },
	[VMBUS_MSG_CLOSECHANNEL] = {
		sizeof(struct vmbus_msg_relid), true,
		vmbus_on_close_channel },
	[VMBUS_MSG_GPADL_HEADER] = {
		sizeof(struct vmbus_msg_gpadl_header), true,
		vmbus_on_gpadl_header },
	[VMBUS_MSG_GPADL_BODY] = {
		sizeof(struct vmbus_msg_gpadl_body), true,
		vmbus_on_gpadl_body },
	[VMBUS_MSG_GPADL_TEARDOWN] = {
		sizeof(struct vmbus_msg_gpadl_teardown), true,
		vmbus_on_gpadl_teardown },
	[VMBUS_MSG_RELID_RELEASED] = {
		sizeof(struct vmbus_msg_relid), true,
		vmbus_on_relid_released },
	[VMBUS_MSG_INITIATE_CONTACT] = {
		sizeof(struct vmbus_msg_initiate_contact), false,
		vmbus_on_initiate_contact },
	[VMBUS_MSG_UNLOAD] = {
		sizeof(struct vmbus_msg_header), false,
		vmbus_on_unload },
	[VMBUS_MSG_MODIFYCHANNEL] = {
		sizeof(struct vmbus_msg_modify_channel), true,
		vmbus_on_modify_channel },
};

static void vmbus_dispatch(struct vmbus_server *srv, const struct vmbus_rx *rx)
{
	const struct vmbus_msg_handler *h;
	struct vmbus_msg_header hdr;

	srv->stats.msgs_in++;
	if (rx->len < sizeof(hdr))
		goto bad;
	memcpy(&hdr, rx->msg, sizeof(hdr));
	if (hdr.msgtype >= VMBUS_MSG_COUNT)
		goto bad;
	h = &vmbus_msg_handlers[hdr.msgtype];
	if (!h->handle || rx->len < h->min_len)
		goto bad;
	if (h->connected && !srv->version) {
		hv_warn_rl("message %u before INITIATE_CONTACT", hdr.msgtype);
		srv->stats.msgs_bad++;
		return;
	}
	h->handle(srv, rx);
	return;
bad:
	srv->stats.msgs_bad++;
	hv_warn_rl("dropping guest message: type %u, %u bytes",
		   rx->len >= sizeof(hdr) ? hdr.msgtype : 0, rx->len);
}

/*
 * HvPostMessage from the guest. The connection id is checked here, as the
 * hypervisor would: id 4 exists only on hosts that speak 5.0 or later, so
 * a capped host answers INVALID_CONNECTION_ID and the guest falls back.
 */
uint32_t vmbus_server_post(struct vmbus_server *srv, unsigned int vp,
			   uint32_t conn_id, const void *msg, uint32_t len)
{
	/* A private, aligned copy that the handlers may read past @len. */
	uint64_t buf[HV_TLFS_MESSAGE_PAYLOAD_SIZE / sizeof(uint64_t)] = { 0 };
	struct vmbus_rx rx = {
		.msg = buf, .len = len, .conn_id = conn_id, .vp = vp,
	};

	uint32_t busy;

	if (len > sizeof(buf))
		return HV_TLFS_STATUS_INVALID_PARAMETER;
	busy = vmbus_fault_post(srv);
	if (busy != HV_TLFS_STATUS_SUCCESS)
		return busy;
	if (conn_id == VMBUS_MESSAGE_CONNECTION_ID_4) {
		if (srv->max_version < VMBUS_VERSION_WIN10_V5)
			return HV_TLFS_STATUS_INVALID_CONNECTION_ID;
	} else if (conn_id != VMBUS_MESSAGE_CONNECTION_ID) {
		return HV_TLFS_STATUS_INVALID_CONNECTION_ID;
	}
	memcpy(buf, msg, len);
	vmbus_dispatch(srv, &rx);
	return HV_TLFS_STATUS_SUCCESS;
}

/* HvSignalEvent: a guest signal on a channel's connection id. */
void vmbus_server_signal(struct vmbus_server *srv, uint32_t conn_id)
{
	struct hv_channel *ch = NULL;

	if (conn_id > VMBUS_CHANNEL_CONN_BASE)
		ch = vmbus_channel_get(srv, conn_id - VMBUS_CHANNEL_CONN_BASE);
	if (!ch) {
		srv->stats.unknown_signals++;
		hv_warn_rl("signal on unknown connection id 0x%x", conn_id);
		return;
	}
	hv_channel_on_signal(ch, false);
}

/*
 * Monitored notification: the guest sets pending bits in the monitor page
 * instead of calling HvSignalEvent. Take them all and treat each as a
 * signal of the channel owning that monitor id.
 */
void vmbus_server_poll_monitor(struct vmbus_server *srv)
{
	struct vmbus_monitor_page *page = srv->monitor_child;
	struct hv_channel *ch;
	unsigned int group, bit;
	uint32_t pending;

	if (!page || !srv->monitored_open)
		return;
	srv->stats.monitor_polls++;
	for (group = 0; group < VMBUS_MONITOR_GROUPS; group++) {
		void *p = &page->trigger_group[group].pending;

		if (!shm_read32(p))
			continue;
		pending = shm_xchg32(p, 0);
		while (pending) {
			bit = __builtin_ctz(pending);
			pending &= pending - 1;
			ch = srv->monitor_owner[group *
					VMBUS_MONITOR_IDS_PER_GROUP + bit];
			if (ch)
				hv_channel_on_signal(ch, true);
			else
				srv->stats.unknown_signals++;
		}
	}
}

struct hv_channel *vmbus_server_find(struct vmbus_server *srv,
				     const guid_t *instance)
{
	unsigned int relid;

	for (relid = 1; relid <= VMBUS_SERVER_MAX_RELID; relid++)
		if (srv->chan[relid] && !srv->chan[relid]->primary &&
		    hv_guid_equal(&srv->chan[relid]->instance, instance))
			return srv->chan[relid];
	return NULL;
}

/*
 * A deterministic instance GUID: the first group of the class GUID, then
 * a sequence number, e.g. 6c1b6d0e-0000-4000-8000-000000000001.
 */
static void vmbus_default_instance(struct vmbus_server *srv,
				   const struct hv_device_class *cls,
				   guid_t *g)
{
	char text[HV_GUID_STR_LEN + 1];

	do {
		snprintf(text, sizeof(text),
			 "%02x%02x%02x%02x-0000-4000-8000-%012x",
			 cls->type.b[3], cls->type.b[2], cls->type.b[1],
			 cls->type.b[0], ++srv->instance_seq);
		hv_guid_parse(text, g);
	} while (vmbus_server_find(srv, g));
}

static uint32_t vmbus_alloc_relid(struct vmbus_server *srv)
{
	uint32_t relid;

	/* A refused offer's relid is the guest's until it releases it. */
	for (relid = 1; relid <= VMBUS_SERVER_MAX_RELID; relid++)
		if (!srv->chan[relid] && !srv->faults.reserved[relid])
			return relid;
	return 0;
}

/*
 * Add a device (command line or hot-add). The guest hears of it at once
 * if it already asked for offers.
 */
struct hv_channel *vmbus_server_add_device(struct vmbus_server *srv,
					   const struct hv_device_class *cls,
					   const guid_t *instance,
					   bool monitor)
{
	struct hv_channel *ch;
	uint32_t relid;

	if (instance && vmbus_server_find(srv, instance)) {
		errno = EEXIST;
		return NULL;
	}
	relid = vmbus_alloc_relid(srv);
	if (!relid) {
		errno = ENOSPC;
		return NULL;
	}
	ch = calloc(1, sizeof(*ch));
	if (!ch)
		return NULL;
	ch->srv = srv;
	ch->cls = cls;
	ch->relid = relid;
	ch->conn_id = VMBUS_CHANNEL_CONN_BASE + relid;
	ch->monitor_wanted = monitor;
	ch->monitor_id = VMBUS_NO_MONITOR_ID;
	if (instance)
		ch->instance = *instance;
	else
		vmbus_default_instance(srv, cls, &ch->instance);
	srv->chan[relid] = ch;
	if (srv->version && srv->offers_sent)
		vmbus_send_offer(srv, ch);
	return ch;
}

/* Lowest sub-channel index not used by a live sub-channel of @primary. */
static uint16_t vmbus_free_sub_index(struct vmbus_server *srv,
				     const struct hv_channel *primary)
{
	unsigned int relid;
	uint16_t index;
	bool used;

	for (index = 1; index < UINT16_MAX; index++) {
		used = false;
		for (relid = 1; relid <= VMBUS_SERVER_MAX_RELID && !used;
		     relid++)
			used = vmbus_is_sub_of(srv->chan[relid], primary) &&
			       !srv->chan[relid]->rescinded &&
			       srv->chan[relid]->sub_index == index;
		if (!used)
			break;
	}
	return index;
}

/*
 * A device asks for more channels (VSTOR CREATE_SUB_CHANNELS, NVSP
 * SUBCHANNEL): @count sub-channels of @primary, with the same class and
 * instance, new relids and connection ids, offered at once. Returns how
 * many were created, or a negative errno if none could be.
 */
int vmbus_server_add_subchannels(struct vmbus_server *srv,
				 struct hv_channel *primary,
				 unsigned int count)
{
	struct hv_channel *ch;
	unsigned int n;
	uint32_t relid;

	if (primary->primary || primary->rescinded || !primary->offered)
		return -EINVAL;
	for (n = 0; n < count; n++) {
		relid = vmbus_alloc_relid(srv);
		if (!relid)
			break;
		ch = calloc(1, sizeof(*ch));
		if (!ch)
			break;
		ch->srv = srv;
		ch->cls = primary->cls;
		ch->instance = primary->instance;
		ch->primary = primary;
		ch->sub_index = vmbus_free_sub_index(srv, primary);
		ch->device = primary->device;
		ch->relid = relid;
		ch->conn_id = VMBUS_CHANNEL_CONN_BASE + relid;
		ch->monitor_wanted = primary->monitor_wanted;
		ch->monitor_id = VMBUS_NO_MONITOR_ID;
		srv->chan[relid] = ch;
		vmbus_send_offer(srv, ch);
	}
	if (n < count)
		hv_warn_rl("relid %u: %u of %u sub-channels created",
			   primary->relid, n, count);
	return n ? (int)n : (count ? -ENOSPC : 0);
}

/*
 * Close @ch on the host side and take it away from the guest. The
 * RESCIND goes out now or, while @ch->rescind_pending stays set, later
 * from vmbus_flush_rescinds(). One the guest never saw goes at once.
 */
static void vmbus_rescind_one(struct vmbus_server *srv, struct hv_channel *ch,
			      bool send)
{
	if (!srv->version || !ch->offered) {
		vmbus_channel_free(srv, ch);
		return;
	}
	vmbus_server_close_channel(srv, ch);
	ch->rescinded = true;
	ch->rescind_pending = true;
	if (send) {
		ch->rescind_pending = false;
		vmbus_send_relid_msg(srv, VMBUS_MSG_RESCIND_CHANNELOFFER,
				     ch->relid);
	}
}

static void vmbus_rescind_subchannels(struct vmbus_server *srv,
				      struct hv_channel *primary, bool send)
{
	unsigned int relid;

	for (relid = 1; relid <= VMBUS_SERVER_MAX_RELID; relid++)
		if (vmbus_is_sub_of(srv->chan[relid], primary) &&
		    !srv->chan[relid]->rescinded)
			vmbus_rescind_one(srv, srv->chan[relid], send);
}

/* Tell the guest of a device's rescinds: sub-channels first. */
static void vmbus_flush_rescinds(struct vmbus_server *srv,
				 struct hv_channel *primary)
{
	struct hv_channel *ch;
	unsigned int relid;

	for (relid = 1; relid <= VMBUS_SERVER_MAX_RELID; relid++) {
		ch = srv->chan[relid];
		if (vmbus_is_sub_of(ch, primary) && ch->rescind_pending) {
			ch->rescind_pending = false;
			vmbus_send_relid_msg(srv,
					     VMBUS_MSG_RESCIND_CHANNELOFFER,
					     ch->relid);
		}
	}
	primary->rescind_deferred = false;
	if (primary->rescind_pending) {
		primary->rescind_pending = false;
		vmbus_send_relid_msg(srv, VMBUS_MSG_RESCIND_CHANNELOFFER,
				     primary->relid);
	}
}

/*
 * The guest closed @ch (CLOSECHANNEL, or it tore the ring down). The
 * sub-channels of a primary belong to that open of it: they are
 * rescinded, and a new open asks for new ones.
 */
void vmbus_server_guest_closed(struct vmbus_server *srv,
			       struct hv_channel *ch)
{
	vmbus_server_close_channel(srv, ch);
	if (!ch->primary)
		vmbus_rescind_subchannels(srv, ch, true);
}

/*
 * Hot-remove. An offered channel is rescinded and its relid stays taken
 * until the guest releases it; one the guest never saw goes at once. The
 * sub-channels go first. While the device still has work on guest memory
 * in flight the guest is told later (vmbus_server_device_idle()), so that
 * no late I/O lands in pages it has already taken back.
 */
int vmbus_server_rescind(struct vmbus_server *srv, const guid_t *instance)
{
	struct hv_channel *ch = vmbus_server_find(srv, instance);
	const struct hv_device_ops *ops;

	if (!ch)
		return -ENOENT;
	if (ch->rescinded)
		return -EALREADY;
	if (!srv->version || !ch->offered) {
		vmbus_channel_free(srv, ch);
		return 0;
	}
	ops = ch->cls->ops;
	vmbus_rescind_subchannels(srv, ch, false);
	vmbus_rescind_one(srv, ch, false);
	if (ops->busy && ops->busy(ch)) {
		hv_info("relid %u: rescind waits for I/O in flight", ch->relid);
		ch->rescind_deferred = true;
		return 0;
	}
	vmbus_flush_rescinds(srv, ch);
	return 0;
}

/* A device whose rescind was deferred has no more work in flight. */
void vmbus_server_device_idle(struct vmbus_server *srv,
			      struct hv_channel *primary)
{
	if (primary->rescind_deferred)
		vmbus_flush_rescinds(srv, primary);
}
