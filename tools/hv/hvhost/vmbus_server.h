/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The VMBus server: the host half of the channel-management protocol
 * (reference §2, §4), the channels it offers and the device classes behind
 * them. It talks to the guest only through struct synic and guest RAM, so
 * the unit tests drive it with plain buffers.
 */
#ifndef _HVHOST_VMBUS_SERVER_H
#define _HVHOST_VMBUS_SERVER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include <hyperv/vmbus_msg.h>
#include <hyperv/vmbus_ring.h>

#include "guestmem.h"
#include "ring.h"
#include "synic.h"

/* Connection ids of channels: relid + this (openvmm's VTL0/SINT2 rule). */
#define VMBUS_CHANNEL_CONN_BASE		0x2000
#define VMBUS_SERVER_MAX_RELID		VMBUS_MAX_RELID
#define VMBUS_MONITOR_IDS						\
	(VMBUS_MONITOR_GROUPS * VMBUS_MONITOR_IDS_PER_GROUP)
/* Bounds on what one guest may make us allocate. */
#define VMBUS_SERVER_MAX_GPADLS		4096

static_assert(VMBUS_CHANNEL_CONN_BASE + VMBUS_SERVER_MAX_RELID <
	      HVEMU_SIGNAL_BITS, "channel connection ids must fit BAR2");

/* Status values hvhost returns to the guest in channel messages. */
#define VMBUS_STATUS_SUCCESS		0
#define VMBUS_STATUS_UNSUCCESSFUL	0xc0000001U
#define VMBUS_STATUS_INVALID_PARAMETER	0xc000000dU

/* Interrupts disabled for a channel (OPENCHANNEL.target_vp). */
#define VMBUS_TARGET_VP_NONE		0xffffffffU

struct hv_channel;
struct vmbus_fuzz;

/**
 * struct hv_gpa_span - one GPA range of a guest packet or GPADL, checked
 * @byte_count: bytes, at least one
 * @byte_offset: where they start in the first page, below the page size
 * @npfns: pages they cover
 * @pfns: those pages' numbers (inside the channel's copy of the packet,
 *	or the GPADL's page list); not yet checked to be guest RAM
 */
struct hv_gpa_span {
	uint32_t byte_count;
	uint32_t byte_offset;
	uint32_t npfns;
	const uint64_t *pfns;
};

/**
 * struct hv_packet - a guest packet as the server hands it to a device
 * @type: VMBUS_PKT_*
 * @flags: VMBUS_PKT_FLAG_*
 * @trans_id: the guest's transaction id
 * @raw: the whole packet, descriptor included (the channel's private copy,
 *	valid during the call)
 * @raw_len: its bytes, without the trailer
 * @data: the payload, from offset8 * 8 to the end
 * @data_len: its bytes
 * @nranges: GPA-direct: the ranges at @ranges, all checked against the
 *	packet (room, counts, offsets), when @range_err is NULL
 * @ranges: those ranges
 * @range_err: GPA-direct: why its ranges are unusable, or NULL
 *
 * The ring layer checked offset8 and len8; the server checks the ranges.
 * Nothing here is trusted beyond that: the payload is the guest's.
 */
struct hv_packet {
	uint16_t type;
	uint16_t flags;
	uint64_t trans_id;
	const uint8_t *raw;
	uint32_t raw_len;
	const uint8_t *data;
	uint32_t data_len;
	uint32_t nranges;
	const struct hv_gpa_span *ranges;
	const char *range_err;
};

/**
 * struct hv_send_msg - a packet for the guest, copied to be sent later
 * @next: queue link
 * @type: VMBUS_PKT_*
 * @flags: VMBUS_PKT_FLAG_*
 * @trans_id: its transaction id
 * @len: payload bytes at @data
 * @data: the payload
 */
struct hv_send_msg {
	struct hv_send_msg *next;
	uint16_t type;
	uint16_t flags;
	uint64_t trans_id;
	uint32_t len;
	uint8_t data[];
};

/**
 * struct hv_device_ops - what a device class does with its channel
 * @open: the guest opened the channel; return 0 or a negative errno
 * @close: the channel is closing; the rings are still mapped
 * @packet: one packet from the guest, parsed (struct hv_packet). Return
 *	0 when done with it (also for a packet the device rejects: it is
 *	counted in bad_packets if the return is another negative errno), or
 *	-EAGAIN to leave it in the ring until the guest frees inbound space
 *	(hv_channel_send() returned -EAGAIN) or the device can take more
 *	work (then it calls hv_channel_unblock()). While packets wait in the
 *	channel's send queue (hv_channel_send_queued()), the device gets no
 *	new ones
 * @resume: optional; the guest signalled an open channel, so inbound space
 *	may have been freed (the send queue was flushed before this)
 * @busy: optional, on a primary channel; work that reads or writes guest
 *	memory is still in flight, so a host-initiated rescind must wait (the
 *	device then calls vmbus_server_device_idle())
 * @release: optional, on a primary channel that is being freed; let go of
 *	@device (shared with its sub-channels, which are gone by then)
 */
struct hv_device_ops {
	int (*open)(struct hv_channel *ch);
	void (*close)(struct hv_channel *ch);
	int (*packet)(struct hv_channel *ch, const struct hv_packet *pkt);
	void (*resume)(struct hv_channel *ch);
	bool (*busy)(struct hv_channel *ch);
	void (*release)(struct hv_channel *ch);
};

struct hvhost_class_ops;

/**
 * struct hv_device_class - a kind of device hvhost can offer
 * @name: its name on the command line (--NAME) and in `offer NAME`
 * @type: the class GUID of its offers
 * @monitor_default: offer it with a monitor id unless told otherwise
 * @ops: what it does with its channels (the VMBus server's side)
 * @host: optional; what it adds to the host program: options, control
 *	commands, counters, fds (struct hvhost_class_ops, hvhost.h)
 * @profile: configuration @host is instantiated with, so that one
 *	implementation serves several classes (StorVSP: SCSI and IDE,
 *	each a struct storvsp_profile)
 * @fault_name: the target of `fault NAME KIND [COUNT]`, with @host->fault
 */
struct hv_device_class {
	const char *name;
	guid_t type;
	bool monitor_default;
	const struct hv_device_ops *ops;
	const struct hvhost_class_ops *host;
	const void *profile;
	const char *fault_name;
};

/* Room for this many entries in the class table (device.c). */
#define HV_DEVICE_CLASSES_MAX	8

extern const struct hv_device_ops hv_echo_ops;
extern const struct hv_device_ops hv_storvsp_ops;
extern const struct hvhost_class_ops storvsp_class_ops;
extern const struct hv_device_ops hv_netvsp_ops;
extern const struct hvhost_class_ops netvsp_class_ops;
struct storvsp_profile;
extern const struct storvsp_profile storvsp_scsi_profile;
extern const struct hvhost_class_ops storvsp_ide_class_ops;
extern const struct storvsp_profile storvsp_ide_profile;

const struct hv_device_class *hv_device_class_find(const char *name);
unsigned int hv_device_class_count(void);
const struct hv_device_class *hv_device_class_at(unsigned int id);
unsigned int hv_device_class_id(const struct hv_device_class *cls);

/* Every entry of the class table, with its id. */
#define hv_for_each_device_class(id, cls)				\
	for ((id) = 0; ((cls) = hv_device_class_at(id)); (id)++)

/* Per-channel counters, printed by the control socket's `stats`. */
struct hv_channel_stats {
	uint64_t rx_packets;	/* packets read from the outbound ring */
	uint64_t tx_packets;	/* packets written to the inbound ring */
	uint64_t rx_bytes;	/* their bytes, without trailers */
	uint64_t tx_bytes;
	uint64_t event_signals;	/* HvSignalEvent from the guest */
	uint64_t monitor_signals; /* monitor page (MNF) signals */
	uint64_t host_signals;	/* event flags we set for the guest */
	uint64_t host_irqs;	/* ... of which raised an interrupt */
	uint64_t wake_nonempty;	/* woken with packets in the ring */
	uint64_t wake_empty;	/* woken with nothing to read */
	uint64_t ring_full_waits; /* times we waited for inbound space */
	uint64_t bad_packets;	/* packets the device rejected */
	uint64_t opens;
	/*
	 * From a guest signal that found packets to our next signal back:
	 * how long the host held the guest waiting, summed (one request in
	 * flight: hvhost's share of its round trip).
	 */
	uint64_t turnarounds;
	uint64_t turnaround_ns;
};

/**
 * struct hv_channel - one offered channel and, while open, its rings
 * @srv: the server that offers it
 * @cls: device class
 * @instance: instance GUID
 * @primary: for a sub-channel, the primary channel of its device; NULL
 *	for a primary channel
 * @sub_index: 0 for a primary channel, 1..n for its sub-channels
 * @device: the device instance behind the channel (e.g. a SCSI
 *	controller), shared by a primary channel and its sub-channels
 * @relid: channel id; never reused before the guest releases it
 * @conn_id: what the guest passes to HvSignalEvent
 * @monitor_wanted: offer it with a monitor id if the guest has pages
 * @monitor_id: monitor id of the current offer, or VMBUS_NO_MONITOR_ID
 * @offered: the guest got the OFFERCHANNEL of this connection
 * @rescinded: removed by the host; waiting for RELID_RELEASED
 * @rescind_pending: rescinded, but RESCIND not sent yet
 * @rescind_deferred: primary: the RESCINDs of the device wait until the
 *	device has no work in flight (hv_device_ops.busy)
 * @open: the guest opened it
 * @blocked: a packet waits for space in the inbound ring
 * @broken: the guest broke a ring; stop reading it
 * @last_comp_id: trans_id of the last completion sent (comp-stale fault)
 * @target_vp: VP whose event flags we set, or VMBUS_TARGET_VP_NONE
 * @woken_ns: when a guest signal found packets we have not yet answered
 *	with a signal of ours; 0 when none waits (stats.turnaround_ns)
 * @ring_gpadl: handle of the ring GPADL while open
 * @out: the guest's outbound ring (we read)
 * @in: the guest's inbound ring (we write)
 * @pages: host pointers of the ring GPADL's pages
 * @pkt: room for the largest packet the outbound ring can hold
 * @spans: room for the most GPA ranges such a packet can describe
 * @max_spans: entries of @spans
 * @sendq: packets for the guest waiting for inbound room, oldest first;
 *	@sendq_tail
 * @priv: device data
 * @stats: counters
 */
struct hv_channel {
	struct vmbus_server *srv;
	const struct hv_device_class *cls;
	guid_t instance;
	struct hv_channel *primary;
	uint16_t sub_index;
	void *device;
	uint32_t relid;
	uint32_t conn_id;
	bool monitor_wanted;
	uint8_t monitor_id;
	bool offered;
	bool rescinded;
	bool rescind_pending;
	bool rescind_deferred;
	bool open;
	bool blocked;
	uint64_t last_comp_id;
	uint32_t target_vp;
	uint64_t woken_ns;
	uint32_t ring_gpadl;
	struct hvring out;
	struct hvring in;
	uint8_t **pages;
	uint8_t *pkt;
	struct hv_gpa_span *spans;
	uint32_t max_spans;
	struct hv_send_msg *sendq;
	struct hv_send_msg **sendq_tail;
	void *priv;
	struct hv_channel_stats stats;
};

/**
 * struct hv_gpadl - a guest buffer description
 * @next: list link
 * @handle: guest-chosen handle, unique on the connection
 * @relid: channel it was created for
 * @rangecount: ranges in @ranges
 * @range_buflen: bytes of range data the guest announced
 * @received: range data bytes received so far
 * @created: all data arrived and checked out
 * @whole_pages: every range is whole pages (usable for rings)
 * @in_use: holds the rings of an open channel
 * @pins: devices using its pages (vmbus_gpadl_pin())
 * @teardown_pending: the guest tore it down while pinned; GPADL_TORNDOWN
 *	is sent when the last pin goes
 * @ranges: the raw range data
 * @pfns: all page numbers, in order, once created
 * @npfns: entries in @pfns
 */
struct hv_gpadl {
	struct hv_gpadl *next;
	uint32_t handle;
	uint32_t relid;
	uint16_t rangecount;
	uint16_t range_buflen;
	uint32_t received;
	bool created;
	bool whole_pages;
	bool in_use;
	unsigned int pins;
	bool teardown_pending;
	uint8_t *ranges;
	uint64_t *pfns;
	uint32_t npfns;
};

/**
 * struct vmbus_server_ops - callbacks into the event loop
 * @monitor_changed: the set of open monitored channels changed; start or
 *	stop polling the monitor page
 */
struct vmbus_server_ops {
	void (*monitor_changed)(void *ctx);
};

struct vmbus_server_stats {
	uint64_t msgs_in;
	uint64_t msgs_out;
	uint64_t msgs_bad;
	uint64_t unknown_signals;
	uint64_t monitor_polls;
	uint64_t gpadls_created;
	uint64_t gpadls_failed;
	uint64_t gpadls_torndown;
	uint64_t contacts;	/* accepted INITIATE_CONTACTs */
	uint64_t unloads;	/* UNLOADs answered */
	uint64_t stale_contacts; /* INITIATE_CONTACT on a live connection */
};

/**
 * struct vmbus_faults - VMBus faults injected for tests (vmbus_fault.c)
 * @drop_type: message type whose next @drop_count answers are not sent
 * @drop_count: how many are left to drop
 * @sent: faults injected so far: messages, ring writes, dropped answers
 * @reserved: relids of refused offers; kept from real devices until the
 *	guest releases them
 * @rescinded: of those, the ones the guest got a RESCIND for
 * @relids_released: RELID_RELEASED received for such relids
 * @secs: seconds a timed fault (ring-replay, post-busy) lasts
 * @post_busy_until: CLOCK_MONOTONIC seconds until which posts are refused
 * @posts_refused: posts refused by post-busy
 */
struct vmbus_faults {
	uint32_t drop_type;
	unsigned int drop_count;
	uint64_t sent;
	bool reserved[VMBUS_SERVER_MAX_RELID + 1];
	bool rescinded[VMBUS_SERVER_MAX_RELID + 1];
	uint64_t relids_released;
	unsigned int secs;
	double post_busy_until;
	uint64_t posts_refused;
};

/**
 * struct vmbus_server - the host side of one guest's VMBus connection
 * @synic: where messages and event flags go
 * @gm: guest RAM
 * @ops: event loop callbacks, with @ops_ctx
 * @max_version: highest version accepted by the next INITIATE_CONTACT
 * @version: negotiated version, 0 while not connected
 * @msg_vp: VP that receives our messages
 * @offers_sent: REQUESTOFFERS was answered on this connection
 * @monitor_child: the guest's child->parent monitor page (page 2)
 * @chan: channels by relid
 * @monitor_owner: channels by monitor id
 * @monitored_open: open channels with a monitor id
 * @gpadls: GPADLs of this connection, being built or created
 * @nr_gpadls: created GPADLs
 * @nr_gpadls_building: GPADLs waiting for body messages
 * @instance_seq: makes default instance GUIDs unique
 * @faults: fault injection state
 * @fuzz: the fuzz run, or NULL (vmbus_fuzz.c)
 * @stats: counters
 */
struct vmbus_server {
	struct synic *synic;
	const struct guestmem *gm;
	const struct vmbus_server_ops *ops;
	void *ops_ctx;
	uint32_t max_version;
	uint32_t version;
	unsigned int msg_vp;
	bool offers_sent;
	struct vmbus_monitor_page *monitor_child;
	struct hv_channel *chan[VMBUS_SERVER_MAX_RELID + 1];
	struct hv_channel *monitor_owner[VMBUS_MONITOR_IDS];
	unsigned int monitored_open;
	struct hv_gpadl *gpadls;
	unsigned int nr_gpadls;
	unsigned int nr_gpadls_building;
	unsigned int instance_seq;
	struct vmbus_faults faults;
	struct vmbus_fuzz *fuzz;
	struct vmbus_server_stats stats;
};

/* vmbus_server.c: connection and channel-management messages. */
void vmbus_server_init(struct vmbus_server *srv, struct synic *synic,
		       const struct guestmem *gm,
		       const struct vmbus_server_ops *ops, void *ops_ctx);
void vmbus_server_destroy(struct vmbus_server *srv);
bool vmbus_version_known(uint32_t version);
uint32_t vmbus_server_post(struct vmbus_server *srv, unsigned int vp,
			   uint32_t conn_id, const void *msg, uint32_t len);
void vmbus_server_signal(struct vmbus_server *srv, uint32_t conn_id);
void vmbus_server_poll_monitor(struct vmbus_server *srv);
struct hv_channel *vmbus_server_add_device(struct vmbus_server *srv,
					   const struct hv_device_class *cls,
					   const guid_t *instance,
					   bool monitor);
void vmbus_server_close_channel(struct vmbus_server *srv,
				struct hv_channel *ch);
void vmbus_server_guest_closed(struct vmbus_server *srv,
			       struct hv_channel *ch);
int vmbus_server_add_subchannels(struct vmbus_server *srv,
				 struct hv_channel *primary,
				 unsigned int count);
int vmbus_server_rescind(struct vmbus_server *srv, const guid_t *instance);
void vmbus_server_device_idle(struct vmbus_server *srv,
			      struct hv_channel *primary);
struct hv_channel *vmbus_server_find(struct vmbus_server *srv,
				     const guid_t *instance);
int vmbus_server_send(struct vmbus_server *srv, const void *msg,
		      uint32_t len);

/* gpadl.c */
void vmbus_gpadl_on_header(struct vmbus_server *srv, const void *msg,
			   uint32_t len);
void vmbus_gpadl_on_body(struct vmbus_server *srv, const void *msg,
			 uint32_t len);
void vmbus_gpadl_on_teardown(struct vmbus_server *srv, const void *msg,
			     uint32_t len);
struct hv_gpadl *vmbus_gpadl_find(struct vmbus_server *srv, uint32_t handle);
void vmbus_gpadl_free_all(struct vmbus_server *srv, uint32_t relid,
			  bool all);
unsigned int vmbus_gpadl_count(const struct vmbus_server *srv,
			       uint32_t relid);
int vmbus_gpadl_pin(struct vmbus_server *srv, uint32_t relid,
		    uint32_t handle);
void vmbus_gpadl_unpin(struct vmbus_server *srv, uint32_t handle);
int vmbus_gpadl_span(struct vmbus_server *srv, uint32_t relid,
		     uint32_t handle, uint64_t offset, uint64_t len,
		     struct hv_gpa_span *span);
int vmbus_gpadl_map(struct vmbus_server *srv, uint32_t relid,
		    uint32_t handle, uint64_t offset, uint64_t len,
		    struct iovec *iov, unsigned int max, unsigned int *niov);
void *vmbus_gpadl_view(struct vmbus_server *srv, uint32_t relid,
		       uint32_t handle, uint64_t offset, uint64_t len);

/* The pages a range of @byte_count bytes from @byte_offset covers. */
static inline uint32_t hv_gpa_pages(uint32_t byte_offset, uint32_t byte_count)
{
	return ((uint64_t)byte_offset + byte_count + HV_WIRE_PAGE_SIZE - 1) /
	       HV_WIRE_PAGE_SIZE;
}

/* channel.c: guest memory a GPA range names. */
int hv_gpa_map(const struct guestmem *gm, const struct hv_gpa_span *r,
	       struct iovec *iov, unsigned int max, unsigned int *niov);
int hv_gpa_read(const struct guestmem *gm, const struct hv_gpa_span *r,
		void *dst);

/* vmbus_fault.c: fault injection for tests. */
struct hv_buf;
const char *vmbus_fault_inject(struct vmbus_server *srv, const char *kind,
			       unsigned int count, const guid_t *target,
			       struct hv_buf *out);
bool vmbus_fault_drop(struct vmbus_server *srv, const void *msg,
		      uint32_t len);
bool vmbus_fault_relid_released(struct vmbus_server *srv, uint32_t relid);
unsigned int vmbus_fault_relids_held(const struct vmbus_server *srv);
void vmbus_fault_reset(struct vmbus_server *srv);
uint32_t vmbus_fault_post(struct vmbus_server *srv);

/* vmbus_fuzz.c: the hostile-host fuzzer's hooks and its command. */
bool vmbus_fuzz_msg(struct vmbus_server *srv, const void *msg, uint32_t len);
int vmbus_fuzz_packet(struct hv_channel *ch, uint16_t type, uint16_t flags,
		      uint64_t trans_id, const void *ext, uint32_t ext_len,
		      uint32_t keep, const struct iovec *iov, unsigned int n);
void vmbus_fuzz_round_end(struct vmbus_server *srv);
void vmbus_fuzz_stop(struct vmbus_server *srv);
const char *vmbus_fuzz_command(struct vmbus_server *srv, int argc,
			       char **argv, struct hv_buf *out);

/* channel.c: the data path of an open channel. */
uint32_t hv_channel_open(struct hv_channel *ch, struct hv_gpadl *gpadl,
			 uint32_t downstream_pages, uint32_t target_vp);
void hv_channel_close(struct hv_channel *ch);
void hv_channel_on_signal(struct hv_channel *ch, bool monitor);
void hv_channel_process(struct hv_channel *ch);
int hv_channel_send(struct hv_channel *ch, uint16_t type, uint16_t flags,
		    uint64_t trans_id, const struct iovec *iov,
		    unsigned int n);
int hv_channel_send_ext(struct hv_channel *ch, uint16_t type, uint16_t flags,
			uint64_t trans_id, const void *ext, uint32_t ext_len,
			uint32_t keep, const struct iovec *iov, unsigned int n);
int hv_channel_send_queued(struct hv_channel *ch, uint16_t type,
			   uint16_t flags, uint64_t trans_id,
			   const void *data, uint32_t len);
bool hv_channel_flush(struct hv_channel *ch);
struct hv_send_msg *hv_send_msg_new(uint16_t type, uint16_t flags,
				    uint64_t trans_id, const void *data,
				    uint32_t len);
void hv_send_msg_free_all(struct hv_send_msg **list);
void hv_channel_signal_guest(struct hv_channel *ch);
void hv_channel_sent(struct hv_channel *ch, uint16_t type, uint64_t trans_id,
		     uint32_t bytes, bool signal);
void hv_channel_unblock(struct hv_channel *ch);

/* GUID text form, as in "6c1b6d0e-4e1a-4c8f-9a51-6876686f7374". */
#define HV_GUID_STR_LEN		36
int hv_guid_parse(const char *s, guid_t *g);
void hv_guid_format(const guid_t *g, char buf[HV_GUID_STR_LEN + 1]);
bool hv_guid_equal(const guid_t *a, const guid_t *b);

#endif /* _HVHOST_VMBUS_SERVER_H */
