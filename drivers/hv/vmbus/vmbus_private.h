/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hv_vmbus internals, shared by the files of the module and by nothing
 * else. Layers, bottom up: hypervisor access (hv.c and one file per
 * backend), ring buffer, channel, connection, channel management, bus.
 */
#ifndef _VMBUS_PRIVATE_H
#define _VMBUS_PRIVATE_H

#include <linux/completion.h>
#include <linux/hyperv.h>
#include <linux/interrupt.h>
#include <linux/kobject.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include "hv_backend.h"
#include <hyperv/tlfs.h>
#include <hyperv/vmbus_msg.h>
#include <hyperv/vmbus_ring.h>

/* ------------------------------------------------------------------ */
/* Layer 1: hypervisor access (hv.c, hv_hyperv.c; see hv_backend.h)   */
/* ------------------------------------------------------------------ */

bool hv_synic_cpu_enabled(unsigned int cpu);
u16 hv_post_message(u32 conn_id, const void *msg, u32 len);
void hv_signal_event(u32 conn_id);
void hv_eom(unsigned int cpu);
u32 hv_vp_index_of(unsigned int cpu);

#if IS_ENABLED(CONFIG_HYPERV) && IS_ENABLED(CONFIG_X86_64)
int hv_hyperv_init(void);
void hv_hyperv_exit(void);
#else
static inline int hv_hyperv_init(void) { return -ENODEV; }
static inline void hv_hyperv_exit(void) { }
#endif

/* ------------------------------------------------------------------ */
/* Layer 2: ring buffer (ring_buffer.c)                               */
/* ------------------------------------------------------------------ */

/**
 * struct hv_ring - one direction of a channel
 * @ctl: the shared control page
 * @data: the data area, mapped twice back to back
 * @size: bytes in the data area
 * @index: our own index: write index (outbound) or uncommitted read
 *	index (inbound); the copy in @ctl is never read back as truth
 * @committed: inbound: read index last published to the host
 * @lock: outbound: serializes writers
 * @broken: the host put nonsense in this ring; it is never used again
 */
struct hv_ring {
	struct vmbus_ring_control *ctl;
	u8 *data;
	u32 size;
	u32 index;
	u32 committed;
	u32 pending;		/* outbound: room asked of the host, 0 none */
	spinlock_t lock;	/* outbound: one writer at a time */
	bool broken;
};

int hv_ring_init(struct hv_ring *ring, struct page **pages, u32 nr_pages);
void hv_ring_cleanup(struct hv_ring *ring);
int hv_ring_copy(struct hv_ring *ring, const struct kvec *kv,
		 unsigned int nkv, u32 len);
bool hv_ring_publish(struct hv_ring *ring, u32 len);
bool hv_ring_has_space(struct hv_ring *ring, u32 bytes);
u32 hv_ring_writable(struct hv_ring *ring);
void hv_ring_set_pending(struct hv_ring *ring, u32 bytes);
int hv_ring_read(struct hv_ring *ring, void *buf, u32 buf_size, u32 *len);
bool hv_ring_commit(struct hv_ring *ring);
void hv_ring_mask(struct hv_ring *ring);
bool hv_ring_unmask(struct hv_ring *ring);
u32 hv_ring_bytes_to_read(struct hv_ring *ring);

/* ------------------------------------------------------------------ */
/* Layer 3: channel (channel.c)                                       */
/* ------------------------------------------------------------------ */

enum vmbus_chan_state {
	VMBUS_CHAN_OFFERED,
	VMBUS_CHAN_OPENING,
	VMBUS_CHAN_OPEN,
	VMBUS_CHAN_CLOSING,
};

struct vmbus_rqst_slot;

/**
 * struct vmbus_channel - one offered channel
 * @offer: the host's offer, as received
 * @relid: the channel id
 * @sub_index: 0 for a primary channel
 * @sig_conn_id: connection id for HvSignalEvent
 * @monitor_id: monitor id, valid when @monitored
 * @monitored: signal through the monitor page
 * @dedicated_int: the host gave this channel its own interrupt
 * @primary: the primary channel of a sub-channel, NULL for a primary
 * @subchannels: a primary's sub-channels (under vmbus_conn.lock)
 * @sc_node: link in the primary's @subchannels
 * @node: link in vmbus_conn.channels
 * @device: a primary's device
 * @kobj: channels/<relid> in sysfs; its refcount owns this struct
 * @kobj_added: @kobj is in sysfs
 * @add_work: device registration, on vmbus_conn.dev_wq
 * @remove_work: device removal after a rescind, on vmbus_conn.dev_wq
 * @lock: open/close and everything only they change
 * @state: enum vmbus_chan_state
 * @rescinded: the channel is going away; nothing new may start
 * @host_rescinded: the host sent RESCIND_CHANNELOFFER for it
 * @relid_released: RELID_RELEASED was sent (or is not needed); under
 *	vmbus_conn.lock
 * @driver_hold: a sub-channel the driver opened holds a reference until
 *	the driver closes it (under @lock)
 * @target_cpu: CPU that receives the channel's interrupts
 * @target_vp: its VP index
 * @ring_pages: pages of both rings, send ring first
 * @nr_ring_pages: their count
 * @ring_gpadl: the GPADL that covers them
 * @out: guest-to-host ring
 * @in: host-to-guest ring
 * @tasklet: runs @callback; a tasklet never runs on two CPUs at once, so
 *	one callback at a time, also after the channel moved to another CPU
 * @rx_budget: packets the running callback may still read
 * @callback: VSC callback
 * @space_callback: VSC callback for vmbus_chan_request_space()
 * @detach: VSC callback for requests left at close
 * @cb_ctx: their argument
 * @cb_enabled: events may call @callback (read under RCU)
 * @cb_off: the VSC turned @callback off (vmbus_chan_disable_cb())
 * @rx_buf: where inbound packets are copied before parsing
 * @rx_buf_size: its size
 * @rx_pkt: the packet vmbus_recv_pkt() returns
 * @in_masked: we set the inbound interrupt_mask for a batch of reads
 * @rqst_lock: protects the request table
 * @rqst: the request table
 * @nr_rqst: its size
 * @rqst_free: head of its free list (index, or @nr_rqst when empty)
 * @users: senders and waiters inside the channel; close waits for 0
 * @wq: ring space, request ids, close and rescind wake-ups
 * @signal_deferred: a send with VMBUS_SEND_DEFER_SIGNAL needs a signal
 * @space_waiters: senders sleeping for ring space (under @out.lock)
 * @space_want: ring bytes (trailer included) vmbus_chan_request_space()
 *	waits for, 0 when none (under @out.lock)
 * @sc_seq: a primary: sub-channel offers so far (under vmbus_conn.lock,
 *	read without it to wait for a change)
 * @offer_seq: a sub-channel: its primary's @sc_seq when it was offered
 * @rescind_lock: protects @rescind_callback and @rescind_task
 * @rescind_callback: called when the host rescinds this channel
 * @rescind_task: the task running @rescind_callback right now, or NULL
 * @stats: counters
 */
struct vmbus_channel {
	struct vmbus_msg_offer offer;
	u32 relid;
	u16 sub_index;
	u32 sig_conn_id;
	u8 monitor_id;
	bool monitored;
	bool dedicated_int;
	struct vmbus_channel *primary;
	struct list_head subchannels;
	struct list_head sc_node;
	struct list_head node;
	struct hv_device *device;
	struct kobject kobj;
	bool kobj_added;
	struct work_struct add_work;
	struct work_struct remove_work;

	struct mutex lock;	/* open, close */
	enum vmbus_chan_state state;
	bool rescinded;
	bool host_rescinded;
	bool relid_released;
	bool driver_hold;
	unsigned int target_cpu;
	u32 target_vp;

	struct page **ring_pages;
	u32 nr_ring_pages;
	struct vmbus_gpadl ring_gpadl;
	struct hv_ring out;
	struct hv_ring in;

	struct tasklet_struct tasklet;
	u32 rx_budget;
	void (*callback)(void *ctx);
	void (*space_callback)(void *ctx);
	void (*detach)(void *ctx, void *rqst);
	void *cb_ctx;
	bool cb_enabled;
	bool cb_off;
	void *rx_buf;
	u32 rx_buf_size;
	struct vmbus_pkt rx_pkt;
	bool in_masked;

	spinlock_t rqst_lock;	/* the request table */
	struct vmbus_rqst_slot *rqst;
	u32 nr_rqst;
	u32 rqst_free;
	atomic_t users;
	wait_queue_head_t wq;
	bool signal_deferred;
	u32 space_waiters;
	u32 space_want;

	u32 sc_seq;
	u32 offer_seq;
	spinlock_t rescind_lock;	/* the rescind callback and its runner */
	void (*rescind_callback)(struct vmbus_channel *chan);
	struct task_struct *rescind_task;
	struct {
		atomic64_t signals;
		atomic64_t ring_full;
		atomic64_t events;
		atomic64_t dropped;
	} stats;
};

struct vmbus_channel *vmbus_chan_alloc(const struct vmbus_msg_offer *offer);
void vmbus_chan_put(struct vmbus_channel *chan);
void vmbus_chan_on_event(struct vmbus_channel *chan);
void vmbus_chan_kill(struct vmbus_channel *chan);
void vmbus_chan_force_close(struct vmbus_channel *chan);
void vmbus_chan_drop_driver_hold(struct vmbus_channel *sc);
void vmbus_chan_notify_rescind(struct vmbus_channel *chan);
void vmbus_chan_free(struct vmbus_channel *chan);
int vmbus_chan_set_cpu(struct vmbus_channel *chan, unsigned int cpu);
const char *vmbus_chan_state_name(const struct vmbus_channel *chan);
ssize_t vmbus_chan_ring_show(struct vmbus_channel *chan, bool out,
			     unsigned int field, char *buf);
extern const struct kobj_type vmbus_chan_ktype;
int vmbus_chan_send_xact(struct vmbus_channel *chan, struct vmbus_xact *x,
			 const void *req, u32 len);
void vmbus_chan_cancel_xact(struct vmbus_channel *chan, struct vmbus_xact *x);

/* Transactions (xact.c). */
void vmbus_xact_on_completion(struct vmbus_xact *x,
			      const struct vmbus_pkt *pkt);

/* Fields vmbus_chan_ring_show() can print. */
enum {
	VMBUS_RING_READ_INDEX,
	VMBUS_RING_WRITE_INDEX,
	VMBUS_RING_INTR_MASK,
	VMBUS_RING_PENDING_SEND_SZ,
	VMBUS_RING_BYTES_AVAIL,
};

/**
 * struct vmbus_gpadl_msgs - a GPADL being cut into messages
 * @relid: the channel it belongs to
 * @handle: its handle
 * @pfns: its pages
 * @nr_pfns: their number
 * @done: pages already put into a message
 */
struct vmbus_gpadl_msgs {
	u32 relid;
	u32 handle;
	const u64 *pfns;
	u32 nr_pfns;
	u32 done;
};

/* ------------------------------------------------------------------ */
/* Layer 4: connection (connection.c)                                 */
/* ------------------------------------------------------------------ */

enum vmbus_conn_state {
	VMBUS_DISCONNECTED,
	VMBUS_CONNECTING,
	VMBUS_CONNECTED,
	VMBUS_DISCONNECTING,
};

/**
 * struct vmbus_waiter - a guest request waiting for the host's answer
 * @node: link in vmbus_conn.waiters
 * @msgtype: the answer's message type
 * @relid: channel of the answer, or 0 when the answer names none
 * @key: GPADL handle or open id the answer must carry, if relevant
 * @done: completed by the answer, a rescind or a disconnect
 * @failed: completed without an answer
 * @resp: the answer, copied
 */
struct vmbus_waiter {
	struct list_head node;
	u32 msgtype;
	u32 relid;
	u32 key;
	struct completion done;
	bool failed;
	union {
		struct vmbus_msg_version_response version;
		struct vmbus_msg_open_result open;
		struct vmbus_msg_gpadl_created gpadl_created;
		struct vmbus_msg_gpadl_torndown gpadl_torndown;
		struct vmbus_msg_modify_channel_response modify;
	} resp;
};

/**
 * struct vmbus_connection - the guest's one VMBus connection
 * @state: enum vmbus_conn_state
 * @quiesced: UNLOAD was sent for another kernel (kexec, shutdown, panic):
 *	no message may be posted any more
 * @version: negotiated protocol version
 * @msg_conn_id: connection id for guest messages
 * @int_page: interrupt page (send half used for signalling)
 * @monitor_pages: parent-to-child and child-to-parent monitor pages
 * @lock: protects @channels, @relids updates and sub-channel lists
 * @channels: every offered channel
 * @relids: relid -> channel, read under RCU from interrupts
 * @rejected_relids: relids of offers the guest refused, kept (under @lock)
 *	until the host rescinds them; one bit per relid, so a host cannot
 *	make it grow
 * @waiter_lock: protects @waiters
 * @waiters: guest requests waiting for an answer
 * @offers_done: ALLOFFERS_DELIVERED arrived
 * @msg_wq: ordered queue for offers, rescinds and other slow messages
 * @dev_wq: ordered queue for device registration and removal
 * @msg_backlog: host messages queued on @msg_wq and not handled yet
 * @next_cpu: round-robin cursor for channel target CPUs
 * @nr_channels: channel structs allocated (for debugfs)
 * @leaked_gpadls: GPADLs given up on, memory kept from the allocator
 * @leaked_pages: the pages of those
 */
struct vmbus_connection {
	enum vmbus_conn_state state;
	bool quiesced;
	u32 version;
	u32 msg_conn_id;
	void *int_page;
	struct vmbus_monitor_page *monitor_pages[2];
	struct mutex lock;	/* channel lists, relid updates, sysfs */
	struct list_head channels;
	struct vmbus_channel __rcu *relids[VMBUS_MAX_RELID + 1];
	DECLARE_BITMAP(rejected_relids, VMBUS_MAX_RELID + 1);
	spinlock_t waiter_lock;	/* the waiters list */
	struct list_head waiters;
	struct completion offers_done;
	struct workqueue_struct *msg_wq;
	struct workqueue_struct *dev_wq;
	atomic_t msg_backlog;
	unsigned int next_cpu;
	atomic_t nr_channels;
	atomic_t leaked_gpadls;
	atomic_t leaked_pages;
};

extern struct vmbus_connection vmbus_conn;
/* debugfs hv_vmbus/channel/, for the bus's per-channel folders */
extern struct dentry *vmbus_debugfs_chan;

/*
 * INITIATE_CONTACT names this CPU's VP as the receiver of messages; the
 * CPU can therefore never go offline while connected (hv.c).
 */
#define VMBUS_CONNECT_CPU	0

/*
 * Time the host gets to answer a channel message; also all the tries to
 * post one message, and a blocking send's waits, get this much together.
 */
#define VMBUS_RESPONSE_TIMEOUT	(20 * HZ)

int vmbus_conn_init(void);
void vmbus_conn_exit(void);
int vmbus_connect(void);
void vmbus_disconnect(void);
int vmbus_post_msg(const void *msg, u32 len);
void vmbus_waiter_init(struct vmbus_waiter *w, u32 msgtype, u32 relid,
		       u32 key);
void vmbus_waiter_add(struct vmbus_waiter *w);
int vmbus_waiter_await(struct vmbus_waiter *w, int posted,
		       unsigned long timeout);
void vmbus_waiters_fail(u32 relid);
void vmbus_on_message_page(struct hv_tlfs_message_page *page,
			   unsigned int cpu);
void vmbus_on_event_page(struct hv_tlfs_event_flags_page *page);

/**
 * struct vmbus_msg_handler - how to handle one host message type
 * @min_len: shorter messages are dropped
 * @deferred: runs on the ordered message workqueue and may sleep;
 *	otherwise it runs in the SynIC tasklet (answers to waiters)
 * @handle: the handler, given the copied message and its length
 */
struct vmbus_msg_handler {
	u32 min_len;
	bool deferred;
	void (*handle)(const void *msg, u32 len);
};

void vmbus_signal_host(struct vmbus_channel *chan);
void vmbus_set_relid(u32 relid, struct vmbus_channel *chan);
unsigned int vmbus_pick_cpu(void);

/* ------------------------------------------------------------------ */
/* Layer 5: channel management (channel_mgmt.c)                       */
/* ------------------------------------------------------------------ */

void vmbus_on_offer(const void *msg, u32 len);
void vmbus_on_rescind(const void *msg, u32 len);
void vmbus_on_alloffers(const void *msg, u32 len);
void vmbus_remove_all_channels(void);
void vmbus_close_all(struct vmbus_channel *primary);

/* Sub-channel bring-up (subchannel.c). */
void vmbus_subchannel_offered(struct vmbus_channel *sc);

/* ------------------------------------------------------------------ */
/* Layer 6: bus (vmbus_drv.c)                                         */
/* ------------------------------------------------------------------ */

struct hv_device *vmbus_device_alloc(struct vmbus_channel *chan);
int vmbus_device_add(struct hv_device *hdev);
void vmbus_device_remove(struct hv_device *hdev);
int vmbus_chan_sysfs_add(struct vmbus_channel *chan);
void vmbus_chan_sysfs_del(struct vmbus_channel *chan);

/* ------------------------------------------------------------------ */
/* Internals the KUnit suites (hv_vmbus_kunit) call                   */
/* ------------------------------------------------------------------ */

#if IS_ENABLED(CONFIG_KUNIT)
bool hv_ring_index_ok(const struct hv_ring *ring, u32 index);
u32 hv_ring_used(const struct hv_ring *ring, u32 read, u32 write);
struct vmbus_rqst_slot *vmbus_rqst_find(struct vmbus_channel *chan, u64 id);
int vmbus_rqst_try_reserve(struct vmbus_channel *chan, bool xact, u64 *id);
void vmbus_rqst_publish(struct vmbus_channel *chan, u64 id, void *ctx);
void vmbus_rqst_unreserve(struct vmbus_channel *chan, u64 id);
int vmbus_rqst_table_init(struct vmbus_channel *chan, u32 count);
u32 vmbus_gpadl_next_msg(struct vmbus_gpadl_msgs *g, void *buf);
int vmbus_check_ranges(const struct vmbus_gpa_range *ranges, u32 range_cnt,
		       u32 ranges_len);
bool vmbus_xfer_pages_ok(const struct vmbus_pkt *pkt);
bool vmbus_parse_pkt(struct vmbus_channel *chan, u32 len);
const struct vmbus_msg_handler *vmbus_msg_handler_of(const void *payload,
						     u32 len);
bool vmbus_offer_ok(const struct vmbus_msg_offer *offer);
#endif

#endif /* _VMBUS_PRIVATE_H */
