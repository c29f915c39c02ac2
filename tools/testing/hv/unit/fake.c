// SPDX-License-Identifier: GPL-2.0
/*
 * The fake guest of the unit tests: plays the guest's side of the
 * hvemu.h contract, the channel messages and the ring protocol.
 */
#include <stdlib.h>
#include <string.h>

#include "shm.h"
#include "storvsp.h"
#include "unit.h"

static void fake_raise_irq(void *ctx, unsigned int vector)
{
	struct fake_guest *fg = ctx;

	fg->irqs[vector]++;
	fg->nr_irqs++;
}

static uint32_t fake_post_message(void *ctx, unsigned int vp,
				  uint32_t conn_id, const void *payload,
				  uint32_t size)
{
	struct fake_guest *fg = ctx;

	return vmbus_server_post(&fg->h.srv, vp, conn_id, payload, size);
}

static void fake_signal_event(void *ctx, uint32_t conn_id)
{
	struct fake_guest *fg = ctx;

	vmbus_server_signal(&fg->h.srv, conn_id);
}

static const struct synic_ops fake_synic_ops = {
	.raise_irq = fake_raise_irq,
	.post_message = fake_post_message,
	.signal_event = fake_signal_event,
};

void fake_init(struct fake_guest *fg)
{
	struct storvsp_host *sh;

	memset(fg, 0, sizeof(*fg));
	fg->ram = aligned_alloc(HV_WIRE_PAGE_SIZE, FAKE_RAM_SIZE);
	fg->bar2 = aligned_alloc(HV_WIRE_PAGE_SIZE, HVEMU_BAR2_SIZE);
	memset(fg->ram, 0, FAKE_RAM_SIZE);
	fg->next_gpa = FAKE_FIRST_PAGE;
	guestmem_attach(&fg->h.gm, fg->ram, FAKE_RAM_SIZE);
	synic_init(&fg->h.synic, fg->bar2, &fg->h.gm, 4, &fake_synic_ops, fg);
	vmbus_server_init(&fg->h.srv, &fg->h.synic, &fg->h.gm, NULL, NULL);
	if (hvhost_options_init(&fg->h.opt) || hvhost_classes_start(&fg->h))
		abort();
	sh = hvhost_class_inst(&fg->h, hv_device_class_find("scsi"));
	fg->stor = &sh->sp;
	fg->bio = &sh->bio;
	fg->simp = fake_alloc(fg, 1);
	fg->siefp = fake_alloc(fg, 1);
	fg->monitor[0] = fake_alloc(fg, 1);
	fg->monitor[1] = fake_alloc(fg, 1);
	fake_enable_synic(fg, 0);
}

void fake_destroy(struct fake_guest *fg)
{
	vmbus_server_destroy(&fg->h.srv);
	hvhost_classes_stop(&fg->h);
	synic_destroy(&fg->h.synic);
	hvhost_options_free(&fg->h.opt);
	free(fg->ram);
	free(fg->bar2);
}

void fake_setup(void *ctx)
{
	fake_init(ctx);
}

void fake_teardown(void *ctx)
{
	fake_destroy(ctx);
}

uint64_t fake_alloc(struct fake_guest *fg, unsigned int pages)
{
	uint64_t gpa = fg->next_gpa;

	fg->next_gpa += (uint64_t)pages * HV_WIRE_PAGE_SIZE;
	return gpa;
}

/* Run one control command line; the reply stays in *out (caller frees). */
const char *fake_ctl(struct fake_guest *fg, const char *cmd,
		     struct hv_buf *out)
{
	char line[256];

	hv_buf_free(out);
	snprintf(line, sizeof(line), "%s", cmd);
	control_exec(&fg->h, line, out);
	return out->s ? out->s : "";
}

void *fake_ptr(struct fake_guest *fg, uint64_t gpa)
{
	return fg->ram + gpa;
}

struct hvemu_vp *fake_vp(struct fake_guest *fg, unsigned int vp)
{
	return synic_vp_regs(&fg->h.synic, vp);
}

/* What Linux does per CPU: SIMP, SIEFP, SINT2 unmasked, SCONTROL. */
void fake_enable_synic(struct fake_guest *fg, unsigned int vp)
{
	struct hvemu_vp *regs = fake_vp(fg, vp);

	regs->simp = fg->simp | HV_TLFS_PAGE_ENABLE;
	regs->siefp = fg->siefp | HV_TLFS_PAGE_ENABLE;
	regs->sint2 = 0xf3;
	regs->scontrol = HV_TLFS_SCONTROL_ENABLE;
}

/* HvPostMessage from VP 0: fill the mailbox, ring the POST doorbell. */
uint32_t fake_post(struct fake_guest *fg, uint32_t conn_id, const void *msg,
		   uint32_t len)
{
	struct hvemu_vp *regs = fake_vp(fg, 0);

	memset(&regs->post, 0, sizeof(regs->post));
	regs->post.connection_id = conn_id;
	regs->post.message_type = HV_TLFS_MSG_VMBUS;
	regs->post.payload_size = len;
	memcpy(regs->post.payload, msg, len);
	regs->post_seq = ++fg->post_seq;
	hvhost_doorbell(&fg->h, HVEMU_DOORBELL_POST);
	if (regs->post_done != fg->post_seq)
		return 0xffff;
	return regs->post_status;
}

/*
 * Take the message in SINT2's slot of VP 0, as Linux does: copy, free the
 * slot, and send EOM if the host said more are pending.
 */
int fake_recv(struct fake_guest *fg, void *msg, uint32_t cap)
{
	struct hv_tlfs_message *slot = fake_ptr(fg, fg->simp +
			VMBUS_MESSAGE_SINT * HV_TLFS_MESSAGE_SIZE);
	uint32_t size;

	if (!slot->type)
		return -1;
	size = slot->payload_size;
	memcpy(msg, slot->payload, size < cap ? size : cap);
	shm_store_release32(&slot->type, HV_TLFS_MSG_NONE);
	shm_mb();
	if (slot->flags & HV_TLFS_MSG_FLAG_PENDING)
		hvhost_doorbell(&fg->h, HVEMU_DOORBELL_EOM);
	return size;
}

/* The next message, which must be of @type. */
int fake_recv_type(struct fake_guest *fg, uint32_t type, void *msg,
		   uint32_t cap)
{
	int n = fake_recv(fg, msg, cap);

	if (n < (int)sizeof(struct vmbus_msg_header) ||
	    ((struct vmbus_msg_header *)msg)->msgtype != type)
		return -1;
	return n;
}

/* INITIATE_CONTACT as Linux sends it; 1 = accepted, 0 = refused. */
int fake_connect(struct fake_guest *fg, uint32_t version, bool monitor)
{
	struct vmbus_msg_initiate_contact ic = {
		.header.msgtype = VMBUS_MSG_INITIATE_CONTACT,
		.vmbus_version_requested = version,
	};
	struct vmbus_msg_version_response resp;
	uint32_t conn = VMBUS_MESSAGE_CONNECTION_ID;

	if (version >= VMBUS_VERSION_WIN10_V5) {
		conn = VMBUS_MESSAGE_CONNECTION_ID_4;
		ic.msg_sint = VMBUS_MESSAGE_SINT;
	}
	if (monitor) {
		ic.monitor_page1 = fg->monitor[0];
		ic.monitor_page2 = fg->monitor[1];
	}
	if (fake_post(fg, conn, &ic, sizeof(ic)) != HV_TLFS_STATUS_SUCCESS)
		return -1;
	if (fake_recv_type(fg, VMBUS_MSG_VERSION_RESPONSE, &resp,
			   sizeof(resp)) != sizeof(resp))
		return -1;
	return resp.version_supported;
}

/* REQUESTOFFERS; returns the number of offers before ALLOFFERS. */
int fake_request_offers(struct fake_guest *fg, struct vmbus_msg_offer *offers,
			int max)
{
	struct vmbus_msg_header req = { .msgtype = VMBUS_MSG_REQUESTOFFERS };
	uint8_t buf[HV_TLFS_MESSAGE_PAYLOAD_SIZE];
	int n = 0, len;

	fake_post(fg, VMBUS_MESSAGE_CONNECTION_ID, &req, sizeof(req));
	while ((len = fake_recv(fg, buf, sizeof(buf))) > 0) {
		uint32_t type = ((struct vmbus_msg_header *)buf)->msgtype;

		if (type == VMBUS_MSG_ALLOFFERS_DELIVERED)
			return n;
		if (type != VMBUS_MSG_OFFERCHANNEL || n == max ||
		    len != sizeof(*offers))
			return -1;
		memcpy(&offers[n++], buf, sizeof(*offers));
	}
	return -1;
}

/*
 * Describe @pages pages at @gpa as one range, header plus bodies, as
 * Linux does; returns GPADL_CREATED's status, or -1 without an answer.
 */
int fake_create_gpadl(struct fake_guest *fg, uint32_t relid, uint32_t handle,
		      uint64_t gpa, uint32_t pages)
{
	uint8_t buf[HV_TLFS_MESSAGE_PAYLOAD_SIZE];
	struct vmbus_msg_gpadl_header *h = (void *)buf;
	struct vmbus_gpa_range *range = (void *)h->ranges;
	struct vmbus_msg_gpadl_body *b = (void *)buf;
	struct vmbus_msg_gpadl_created created;
	uint32_t i = 0, n, k;

	memset(buf, 0, sizeof(buf));
	h->header.msgtype = VMBUS_MSG_GPADL_HEADER;
	h->child_relid = relid;
	h->gpadl = handle;
	h->rangecount = 1;
	h->range_buflen = sizeof(*range) + 8 * pages;
	range->byte_count = pages * HV_WIRE_PAGE_SIZE;
	n = pages < VMBUS_GPADL_HEADER_MAX_PFNS ? pages :
	    VMBUS_GPADL_HEADER_MAX_PFNS;
	for (; i < n; i++)
		range->pfn_array[i] = gpa / HV_WIRE_PAGE_SIZE + i;
	fake_post(fg, 1, buf, sizeof(*h) + sizeof(*range) + 8 * n);
	while (i < pages) {
		memset(buf, 0, sizeof(buf));
		b->header.msgtype = VMBUS_MSG_GPADL_BODY;
		b->gpadl = handle;
		n = pages - i < VMBUS_GPADL_BODY_MAX_PFNS ? pages - i :
		    VMBUS_GPADL_BODY_MAX_PFNS;
		for (k = 0; k < n; k++, i++)
			b->pfn[k] = gpa / HV_WIRE_PAGE_SIZE + i;
		fake_post(fg, 1, buf, sizeof(*b) + 8 * n);
	}
	if (fake_recv_type(fg, VMBUS_MSG_GPADL_CREATED, &created,
			   sizeof(created)) < 0)
		return -1;
	return created.creation_status;
}

/* GPADL over both rings, then OPENCHANNEL; returns the open status. */
int fake_open(struct fake_guest *fg, const struct vmbus_msg_offer *offer,
	      struct fake_channel *fc, uint32_t out_pages, uint32_t in_pages)
{
	static uint32_t next_handle = 0xe1e10;
	uint64_t gpa = fake_alloc(fg, out_pages + in_pages);
	struct vmbus_msg_open_channel open = {
		.header.msgtype = VMBUS_MSG_OPENCHANNEL,
	};
	struct vmbus_msg_open_result res;

	memset(fc, 0, sizeof(*fc));
	fc->relid = offer->child_relid;
	fc->conn_id = offer->connection_id;
	fc->monitor_id = offer->monitor_allocated ? offer->monitorid :
			 VMBUS_NO_MONITOR_ID;
	fc->gpadl = next_handle++;
	gring_init(&fc->out, fake_ptr(fg, gpa), out_pages);
	gring_init(&fc->in, fake_ptr(fg, gpa + out_pages * HV_WIRE_PAGE_SIZE),
		   in_pages);
	if (fake_create_gpadl(fg, fc->relid, fc->gpadl, gpa,
			      out_pages + in_pages))
		return -1;
	open.child_relid = fc->relid;
	open.openid = fc->relid;
	open.ringbuffer_gpadl = fc->gpadl;
	open.downstream_ring_page_offset = out_pages;
	fake_post(fg, 1, &open, sizeof(open));
	if (fake_recv_type(fg, VMBUS_MSG_OPENCHANNEL_RESULT, &res,
			   sizeof(res)) < 0 || res.openid != fc->relid)
		return -1;
	return res.status;
}

/* Signal the host the way the offer asked for. */
void fake_signal(struct fake_guest *fg, const struct fake_channel *fc)
{
	uint8_t *bitmap = fg->bar2 + HVEMU_SIGNAL_OFFSET;
	struct vmbus_monitor_page *mp;
	unsigned int id = fc->monitor_id;

	if (id != VMBUS_NO_MONITOR_ID) {
		mp = fake_ptr(fg, fg->monitor[1]);
		__atomic_fetch_or(&mp->trigger_group[id / 32].pending,
				  1U << (id % 32), __ATOMIC_SEQ_CST);
		vmbus_server_poll_monitor(&fg->h.srv);
		return;
	}
	__atomic_fetch_or(&bitmap[fc->conn_id / 8], 1U << (fc->conn_id % 8),
			  __ATOMIC_SEQ_CST);
	hvhost_doorbell(&fg->h, HVEMU_DOORBELL_SIGNAL);
}

struct hv_channel *fake_host_channel(struct fake_guest *fg, uint32_t relid)
{
	return fg->h.srv.chan[relid];
}

/* The guest's ring code, the simplest correct one: byte-wise, wrapping. */
void gring_init(struct gring *r, void *base, uint32_t pages)
{
	r->ctl = base;
	r->data = (uint8_t *)base + HV_WIRE_PAGE_SIZE;
	r->size = (pages - 1) * HV_WIRE_PAGE_SIZE;
	memset(r->ctl, 0, sizeof(*r->ctl));
	r->ctl->feature_bits = VMBUS_RING_FEAT_PENDING_SEND_SZ;
}

uint32_t gring_used(const struct gring *r)
{
	uint32_t w = r->ctl->write_index, rd = r->ctl->read_index;

	return w >= rd ? w - rd : r->size - rd + w;
}

static uint32_t gring_put(struct gring *r, uint32_t off, const void *src,
			  uint32_t len)
{
	const uint8_t *s = src;
	uint32_t i;

	for (i = 0; i < len; i++)
		r->data[(off + i) % r->size] = s ? s[i] : 0;
	return (off + len) % r->size;
}

int gring_write(struct gring *r, uint16_t type, uint16_t flags,
		uint64_t trans_id, const void *ext, uint32_t ext_len,
		const void *payload, uint32_t len, bool *signal)
{
	uint32_t hdr = sizeof(struct vmbus_packet_desc) + ext_len;
	uint32_t total = hdr + ((len + 7) & ~7U);
	uint32_t start = r->ctl->write_index, off = start;
	struct vmbus_packet_desc d = {
		.type = type, .offset8 = hdr / 8, .len8 = total / 8,
		.flags = flags, .trans_id = trans_id,
	};
	uint64_t trailer = (uint64_t)start << 32;

	if (r->size - gring_used(r) <= total + 8)
		return -1;
	off = gring_put(r, off, &d, sizeof(d));
	off = gring_put(r, off, ext, ext_len);
	off = gring_put(r, off, payload, len);
	off = gring_put(r, off, NULL, total - hdr - len);
	off = gring_put(r, off, &trailer, 8);
	shm_mb();
	r->ctl->write_index = off;
	shm_mb();
	*signal = !r->ctl->interrupt_mask && r->ctl->read_index == start;
	return 0;
}

/* Read one packet (without its trailer); -1 when empty. */
int gring_read(struct gring *r, void *buf, uint32_t cap)
{
	struct vmbus_packet_desc d;
	uint32_t rd = r->ctl->read_index, len, i;
	uint8_t *b = buf;

	if (!gring_used(r))
		return -1;
	for (i = 0; i < sizeof(d); i++)
		((uint8_t *)&d)[i] = r->data[(rd + i) % r->size];
	len = d.len8 * 8;
	if (len > cap)
		return -2;
	for (i = 0; i < len; i++)
		b[i] = r->data[(rd + i) % r->size];
	shm_mb();
	r->ctl->read_index = (rd + len + 8) % r->size;
	return len;
}
