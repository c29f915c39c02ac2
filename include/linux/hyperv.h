/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The VMBus API for VSC (virtual service client) drivers.
 *
 * A VSC binds a &struct hv_device by class GUID, opens its channel and
 * exchanges packets with the host over the channel's two rings. It never
 * sees how the hypervisor is reached (SynIC pages, MSRs, hypercalls or the
 * emulated host): only channels, packets, request contexts and callbacks.
 *
 * The model is virtio's: send (inband or with a list of guest pages),
 * an iterator that reads what the host sent, completion by request
 * context, and callbacks for channel events. See Documentation/hv/vmbus.rst.
 */
#ifndef _LINUX_HYPERV_H
#define _LINUX_HYPERV_H

#include <linux/device.h>
#include <linux/mod_devicetable.h>
#include <linux/module.h>
#include <linux/types.h>
#include <linux/uio.h>
#include <linux/hv_compat.h>
#include <hyperv/vmbus_msg.h>
#include <hyperv/vmbus_ring.h>

/* A channel: one pair of rings to the host. Opaque to VSC drivers. */
struct vmbus_channel;

/**
 * struct hv_device - a VMBus device: one primary channel offered by the host
 * @dev_type: class GUID of the offer (selects the driver)
 * @dev_instance: instance GUID of the offer (also the device's name)
 * @channel: the primary channel
 * @device: the driver-model device
 * @channels_kobj: core-private: the channels/ directory in sysfs
 */
struct hv_device {
	guid_t dev_type;
	guid_t dev_instance;
	struct vmbus_channel *channel;
	struct device device;
	struct kobject *channels_kobj;
};

#define to_hv_device(d)	container_of(d, struct hv_device, device)

static inline void *hv_get_drvdata(struct hv_device *hdev)
{
	return dev_get_drvdata(&hdev->device);
}

static inline void hv_set_drvdata(struct hv_device *hdev, void *data)
{
	dev_set_drvdata(&hdev->device, data);
}

/**
 * struct hv_driver - a VSC driver
 * @name: driver name
 * @id_table: class GUIDs handled, ending with an all-zero entry; use it
 *	with MODULE_DEVICE_TABLE(vmbus, ...) for module autoloading
 * @probe: bind to a device; may sleep, may open channels
 * @remove: unbind; must close every channel it opened
 * @shutdown: optional, called at system shutdown
 * @driver: the driver-model driver
 */
struct hv_driver {
	const char *name;
	const struct hv_vmbus_device_id *id_table;
	int (*probe)(struct hv_device *hdev,
		     const struct hv_vmbus_device_id *id);
	void (*remove)(struct hv_device *hdev);
	void (*shutdown)(struct hv_device *hdev);
	struct device_driver driver;
};

#define to_hv_driver(d)	container_of_const(d, struct hv_driver, driver)

int __vmbus_driver_register(struct hv_driver *drv, struct module *owner,
			    const char *mod_name);
void vmbus_driver_unregister(struct hv_driver *drv);

#define vmbus_driver_register(drv)	\
	__vmbus_driver_register(drv, THIS_MODULE, KBUILD_MODNAME)

/* module_hv_driver() - register an hv_driver from module init/exit. */
#define module_hv_driver(__drv)	\
	module_driver(__drv, vmbus_driver_register, vmbus_driver_unregister)

/* Ring sizes include the 4 KiB control page; both must be page multiples. */
#define VMBUS_RING_MIN_SIZE		(2 * PAGE_SIZE)
#define VMBUS_RING_MAX_SIZE		(16 * 1024 * 1024)
#define VMBUS_DEFAULT_MAX_PKT_SIZE	4096
#define VMBUS_DEFAULT_MAX_REQUESTS	256

/**
 * struct vmbus_chan_config - how to open a channel
 * @send_ring_size: guest-to-host ring bytes, control page included
 * @recv_ring_size: host-to-guest ring bytes, control page included
 * @max_pkt_size: largest host packet accepted, descriptor included
 *	(0: VMBUS_DEFAULT_MAX_PKT_SIZE); a longer one breaks the channel
 * @max_requests: request contexts that may be outstanding at once
 *	(0: VMBUS_DEFAULT_MAX_REQUESTS)
 * @user_data: OPENCHANNEL user data for the host device, or NULL
 * @user_data_len: bytes of @user_data (at most VMBUS_OPEN_USER_DATA_SIZE)
 * @callback: called when the host signals the channel; runs in softirq
 *	context, never concurrently with itself, and either drains the
 *	inbound ring with vmbus_recv_pkt() / vmbus_recv_done(), or calls
 *	vmbus_chan_disable_cb() and leaves the ring to the driver's poll
 *	loop (NAPI)
 * @send_space: optional: called once after vmbus_chan_request_space()
 *	asked for it, when the outbound ring has that room; softirq
 *	context, never concurrently with @callback
 * @detach: optional: called by vmbus_chan_close() for each request still
 *	waiting for its completion, with the @rqst given to the send, once
 *	the host was told to close; process context, and it must not call
 *	back into the channel. Without it those requests are forgotten.
 * @ctx: passed to @callback, @send_space and @detach
 */
struct vmbus_chan_config {
	u32 send_ring_size;
	u32 recv_ring_size;
	u32 max_pkt_size;
	u32 max_requests;
	const void *user_data;
	u32 user_data_len;
	void (*callback)(void *ctx);
	void (*send_space)(void *ctx);
	void (*detach)(void *ctx, void *rqst);
	void *ctx;
};

int vmbus_chan_open(struct vmbus_channel *chan,
		    const struct vmbus_chan_config *cfg);
void vmbus_chan_close(struct vmbus_channel *chan);

/*
 * Flags for the send functions. Without VMBUS_SEND_MAY_SLEEP a send never
 * sleeps: a full ring or request table is -EAGAIN, so that callers in
 * atomic context cannot reach a sleeping path by default. A signal
 * deferred by VMBUS_SEND_DEFER_SIGNAL is sent by vmbus_chan_kick(), by
 * the next send without that flag, or by the first send that finds the
 * ring full, whichever comes first.
 */
#define VMBUS_SEND_MAY_SLEEP	BIT(0)	/* ring or ids full: sleep for room */
#define VMBUS_SEND_DEFER_SIGNAL	BIT(1)	/* signal later (see above) */

/**
 * struct vmbus_page_buf - one piece of a page-buffer send
 * @pfn: 4 KiB guest page frame number
 * @offset: first byte inside that page
 * @len: bytes; @offset + @len must not pass the end of the page
 */
struct vmbus_page_buf {
	u64 pfn;
	u32 offset;
	u32 len;
};

#define VMBUS_MAX_PAGE_BUFS	32

int vmbus_send_inband(struct vmbus_channel *chan, const struct kvec *kv,
		      unsigned int nkv, void *rqst, unsigned int flags);
int vmbus_send_gpa_direct(struct vmbus_channel *chan,
			  const struct vmbus_gpa_range *ranges,
			  u32 range_cnt, u32 ranges_len,
			  const void *data, u32 len, void *rqst,
			  unsigned int flags);
int vmbus_send_pages(struct vmbus_channel *chan,
		     const struct vmbus_page_buf *pb, unsigned int count,
		     const void *data, u32 len, void *rqst,
		     unsigned int flags);
int vmbus_send_completion(struct vmbus_channel *chan, u64 trans_id,
			  const void *data, u32 len, unsigned int flags);
void vmbus_chan_kick(struct vmbus_channel *chan);
bool vmbus_rqst_forget(struct vmbus_channel *chan, void *rqst);
u32 vmbus_chan_send_space(struct vmbus_channel *chan);
bool vmbus_chan_request_space(struct vmbus_channel *chan, u32 bytes);

/**
 * vmbus_inband_pkt_size() - ring bytes of an inband packet, for flow control
 * @len: payload bytes
 *
 * Return: what vmbus_chan_send_space() must be at least for
 * vmbus_send_inband() of @len payload bytes to find room.
 */
static inline u32 vmbus_inband_pkt_size(u32 len)
{
	return sizeof(struct vmbus_packet_desc) + len;
}

/**
 * vmbus_pages_pkt_size() - ring bytes of a vmbus_send_pages() packet
 * @count: page pieces
 * @len: inline payload bytes
 *
 * Return: as vmbus_inband_pkt_size(), for vmbus_send_pages().
 */
static inline u32 vmbus_pages_pkt_size(unsigned int count, u32 len)
{
	return sizeof(struct vmbus_gpa_direct_header) +
	       count * (sizeof(struct vmbus_gpa_range) + sizeof(u64)) + len;
}

/**
 * vmbus_send() - send one buffer as an inband packet
 * @chan: an open channel
 * @data: payload
 * @len: payload bytes
 * @rqst: non-NULL: request a completion and get @rqst back with it
 * @flags: VMBUS_SEND_*
 *
 * Return: as vmbus_send_inband().
 */
static inline int vmbus_send(struct vmbus_channel *chan, const void *data,
			     u32 len, void *rqst, unsigned int flags)
{
	struct kvec kv = { .iov_base = (void *)data, .iov_len = len };

	return vmbus_send_inband(chan, &kv, 1, rqst, flags);
}

/*
 * Transactions: a request and its one reply, which comes either as the
 * request's completion (vmbus_xact_send()) or as a packet the driver's
 * receive path matches and hands in (vmbus_xact_complete()).
 */
struct vmbus_xact;

struct vmbus_xact *vmbus_xact_alloc(struct vmbus_channel *chan, u32 resp_size,
				    gfp_t gfp);
void vmbus_xact_get(struct vmbus_xact *x);
void vmbus_xact_put(struct vmbus_xact *x);
int vmbus_xact_send(struct vmbus_xact *x, const void *req, u32 len);
bool vmbus_xact_complete(struct vmbus_xact *x, const void *data, u32 len);
int vmbus_xact_wait(struct vmbus_xact *x, unsigned int timeout_ms);
const void *vmbus_xact_reply(const struct vmbus_xact *x, u32 *len);

/**
 * struct vmbus_pkt - a packet from the host, copied out of the ring
 * @type: VMBUS_PKT_*
 * @flags: VMBUS_PKT_FLAG_*; COMPLETION_REQUESTED asks for
 *	vmbus_send_completion() with @trans_id
 * @trans_id: the host's transaction id
 * @rqst: for VMBUS_PKT_COMP: the context given to the send that asked
 *	for this completion (never NULL: unknown ids are dropped)
 * @hdr: extended header after the 16-byte descriptor (transfer-page
 *	packets), @hdr_len bytes
 * @hdr_len: may be 0
 * @data: the payload, @len bytes, 8-byte aligned
 * @len: payload bytes, including the host's padding to 8 bytes
 *
 * The packet lives in the channel's receive buffer and stays valid until
 * the next vmbus_recv_pkt() or vmbus_recv_done() on the channel.
 */
struct vmbus_pkt {
	u16 type;
	u16 flags;
	u64 trans_id;
	void *rqst;
	const void *hdr;
	u32 hdr_len;
	const void *data;
	u32 len;
};

const struct vmbus_pkt *vmbus_recv_pkt(struct vmbus_channel *chan);
bool vmbus_recv_done(struct vmbus_channel *chan);
void vmbus_recv_commit(struct vmbus_channel *chan);
void vmbus_chan_disable_cb(struct vmbus_channel *chan);
bool vmbus_chan_enable_cb(struct vmbus_channel *chan);

/**
 * struct vmbus_subchannel_req - a sub-channel bring-up
 * @count: sub-channels wanted
 * @timeout_ms: how long to wait for the host's offers once it was asked
 * @request: asks the host for @count sub-channels in the device's own
 *	protocol, waiting for its answer if there is one; 0 if it agreed
 * @open: opens one offered sub-channel (vmbus_chan_open() with the
 *	driver's config, and its rescind callback); 0 if it took it
 * @ctx: passed to @request and @open
 */
struct vmbus_subchannel_req {
	unsigned int count;
	unsigned int timeout_ms;
	int (*request)(void *ctx, unsigned int count);
	int (*open)(void *ctx, struct vmbus_channel *sub);
	void *ctx;
};

int vmbus_subchannels_open(struct vmbus_channel *primary,
			   const struct vmbus_subchannel_req *req);
void vmbus_set_rescind_callback(struct vmbus_channel *chan,
				void (*cb)(struct vmbus_channel *chan));
void vmbus_stop_rescind_callbacks(struct vmbus_channel *primary);

struct hv_device *vmbus_chan_device(const struct vmbus_channel *chan);
bool vmbus_chan_is_primary(const struct vmbus_channel *chan);
u16 vmbus_chan_subchannel_index(const struct vmbus_channel *chan);
u32 vmbus_chan_relid(const struct vmbus_channel *chan);
unsigned int vmbus_chan_cpu(const struct vmbus_channel *chan);
bool vmbus_chan_is_rescinded(const struct vmbus_channel *chan);
bool vmbus_chan_is_dead(struct vmbus_channel *chan);
u32 vmbus_chan_ring_size(const struct vmbus_channel *chan, bool send);
u32 vmbus_proto_version(void);

/**
 * struct vmbus_chan_stats - counters of one channel, since it was offered
 * @signals: times the guest signalled the host for this channel
 * @ring_full: sends that found the outbound ring (or request ids) full
 * @events: host signals received for this channel
 * @dropped: host packets dropped as invalid (unknown completion id...)
 */
struct vmbus_chan_stats {
	u64 signals;
	u64 ring_full;
	u64 events;
	u64 dropped;
};

void vmbus_chan_get_stats(struct vmbus_channel *chan,
			  struct vmbus_chan_stats *stats);

/**
 * struct vmbus_gpadl - a guest buffer the host may address by handle
 * @handle: the GPADL handle to give the host device (0: none)
 * @buffer: the buffer
 * @size: its size in bytes
 */
struct vmbus_gpadl {
	u32 handle;
	void *buffer;
	u32 size;
};

int vmbus_gpadl_create(struct vmbus_channel *chan, void *buffer, u32 size,
		       struct vmbus_gpadl *gpadl);
int vmbus_gpadl_teardown(struct vmbus_channel *chan,
			 struct vmbus_gpadl *gpadl);

#endif /* _LINUX_HYPERV_H */
