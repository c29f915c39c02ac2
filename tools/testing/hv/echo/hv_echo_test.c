// SPDX-License-Identifier: GPL-2.0
/*
 * Test-only VMBus client for the echo device of tools/hv/hvhost.
 *
 * The host sends every packet back: an inband packet with the same payload
 * and transaction id, a GPA-direct packet as an inband packet holding the
 * inline payload followed by the bytes of its GPA ranges, and, when the
 * packet asked for a completion, the echo comes as that completion.
 *
 * Writing "COUNT MINSIZE MAXSIZE MODE [SEED]" to the device's "run" file
 * (debugfs hv_echo_test/<device>/run) sends COUNT packets of
 * pseudo-random sizes (MODE: inband, gpadirect or mixed), keeps several
 * in flight, checks every echoed byte and returns when all came back;
 * "result" then tells how it went. See Documentation/hv/vmbus.rst.
 */

#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/hyperv.h>
#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/seq_file.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/wait.h>

#define ECHO_RING_SIZE		(64 * 1024)
/* Data of one packet: at most half the ring's data area. */
#define ECHO_MAX_DATA		((ECHO_RING_SIZE - PAGE_SIZE) / 2)
/*
 * The longest echo: a GPA-direct packet's inline header and its data,
 * inband. A longer packet from the host breaks the channel; keeping this
 * below the ring's data size lets a test host send one.
 */
#define ECHO_MAX_PKT_SIZE	(32 * 1024)
/* Enough small GPA-direct packets in flight to fill the ring. */
#define ECHO_WINDOW		1024
#define ECHO_TIMEOUT		(30 * HZ)
#define ECHO_MAX_COUNT		1000000000U
#define ECHO_MAGIC		0x4f484345	/* "ECHO" */
#define ECHO_PATTERN_STEP	0x9e3779b97f4a7c15ULL

enum echo_mode { ECHO_INBAND, ECHO_GPADIRECT, ECHO_MIXED };

static const char *const echo_mode_names[] = {
	[ECHO_INBAND]		= "inband",
	[ECHO_GPADIRECT]	= "gpadirect",
	[ECHO_MIXED]		= "mixed",
};

/*
 * Inline payload of a GPA-direct packet, 64 bytes like a storvsc request;
 * the data is in the pages.
 */
struct echo_gpa_hdr {
	__le32 magic;
	__le32 seq;
	u8 request[56];
} __packed;

/* The request bytes get a pattern of their own. */
#define ECHO_REQUEST_SEQ(seq)	(~(seq))

/**
 * struct echo_slot - one packet in flight
 * @busy: sent, echo not checked yet
 * @gpa: the data went in pages, behind a struct echo_gpa_hdr
 * @seq: sequence number (selects the payload pattern)
 * @len: data bytes
 * @offset: GPA-direct: offset of the data in the first page
 * @pages: GPA-direct: the pages the data is in
 */
struct echo_slot {
	bool busy;
	bool gpa;
	u32 seq;
	u32 len;
	u32 offset;
	struct page **pages;
};

/**
 * struct echo_result - what "result" prints
 * @sent: packets sent
 * @verified: echoes that matched byte for byte
 * @mismatches: echoes that did not
 * @errors: sends that failed, unexpected packets, echoes that never came
 * @ring_full_waits: sends that found the ring full and had to wait
 * @signals: times the guest signalled the host during the run
 * @elapsed_ns: run time
 * @bytes: data bytes sent
 */
struct echo_result {
	u64 sent;
	u64 verified;
	u64 mismatches;
	u64 errors;
	u64 ring_full_waits;
	u64 signals;
	u64 elapsed_ns;
	u64 bytes;
};

/**
 * struct echo_dev - one echo device
 * @hdev: the VMBus device
 * @chan: its channel
 * @run_lock: one run at a time
 * @lock: @slots, @fifo, @inflight and @res, shared with the callback
 * @wq: the run waits here for echoes
 * @stopping: the device is going away: end any run
 * @slots: packets in flight
 * @fifo: slots sent without completion, in send order; their echoes
 *	come back in that order
 * @fifo_head: next to be echoed
 * @fifo_len: entries in @fifo
 * @free: stack of free slots
 * @nr_free: entries in @free
 * @inflight: busy slots
 * @pages_per_slot: pages a slot may need for GPA-direct data (allocated
 *	when first needed)
 * @max_size: largest data size a run may ask for
 * @txbuf: the payload of the packet being built
 * @res: counters of the current or last run
 */
struct echo_dev {
	struct hv_device *hdev;
	struct vmbus_channel *chan;
	struct mutex run_lock;	/* one run at a time */
	spinlock_t lock;	/* slots, fifo, counters (callback too) */
	wait_queue_head_t wq;
	bool stopping;
	struct echo_slot slots[ECHO_WINDOW];
	u16 fifo[ECHO_WINDOW];
	u32 fifo_head;
	u32 fifo_len;
	u16 free[ECHO_WINDOW];
	u32 nr_free;
	u32 inflight;
	u32 pages_per_slot;
	u32 max_size;
	u8 *txbuf;
	struct echo_result res;
};

/* --- payload pattern ------------------------------------------------- */

static u64 echo_word(u32 seq, u32 index)
{
	return ((u64)seq << 32 | seq) ^ ((u64)(index + 1) * ECHO_PATTERN_STEP);
}

/* Byte i of packet seq is byte i % 8 of the little-endian word i / 8. */
static void echo_fill(u8 *buf, u32 seq, u32 len)
{
	__le64 w;
	u32 i;

	for (i = 0; i < len; i += 8) {
		w = cpu_to_le64(echo_word(seq, i / 8));
		memcpy(buf + i, &w, min_t(u32, 8, len - i));
	}
}

static bool echo_check_bytes(const u8 *buf, u32 seq, u32 len)
{
	__le64 w;
	u32 i;

	for (i = 0; i < len; i += 8) {
		w = cpu_to_le64(echo_word(seq, i / 8));
		if (memcmp(buf + i, &w, min_t(u32, 8, len - i)))
			return false;
	}
	return true;
}

/* --- the channel callback -------------------------------------------- */

static bool echo_matches(struct echo_slot *slot, const struct vmbus_pkt *pkt)
{
	u32 want = slot->len;
	const u8 *data = pkt->data;

	if (slot->gpa) {
		const struct echo_gpa_hdr *hdr = pkt->data;

		want += sizeof(*hdr);
		if (pkt->len < sizeof(*hdr) ||
		    le32_to_cpu(hdr->magic) != ECHO_MAGIC ||
		    le32_to_cpu(hdr->seq) != slot->seq ||
		    !echo_check_bytes(hdr->request,
				      ECHO_REQUEST_SEQ(slot->seq),
				      sizeof(hdr->request)))
			return false;
		data += sizeof(*hdr);
	}
	/* The host pads the payload to 8 bytes. */
	if (pkt->len < want || pkt->len - want >= 8)
		return false;
	return echo_check_bytes(data, slot->seq, slot->len);
}

/* With e->lock held: the slot an echo belongs to. */
static struct echo_slot *echo_find_slot(struct echo_dev *e,
					const struct vmbus_pkt *pkt)
{
	struct echo_slot *slot;

	if (pkt->type == VMBUS_PKT_COMP) {
		slot = pkt->rqst;
		return slot->busy ? slot : NULL;
	}
	if (pkt->type != VMBUS_PKT_DATA_INBAND || !e->fifo_len)
		return NULL;
	slot = &e->slots[e->fifo[e->fifo_head]];
	e->fifo_head = (e->fifo_head + 1) % ECHO_WINDOW;
	e->fifo_len--;
	return slot;
}

static void echo_on_packet(struct echo_dev *e, const struct vmbus_pkt *pkt)
{
	struct echo_slot *slot;

	spin_lock(&e->lock);
	slot = echo_find_slot(e, pkt);
	if (!slot) {
		e->res.errors++;
		spin_unlock(&e->lock);
		dev_err_ratelimited(&e->hdev->device,
				    "unexpected packet type %u, %u bytes\n",
				    pkt->type, pkt->len);
		return;
	}
	if (echo_matches(slot, pkt))
		e->res.verified++;
	else
		e->res.mismatches++;
	slot->busy = false;
	e->free[e->nr_free++] = slot - e->slots;
	e->inflight--;
	spin_unlock(&e->lock);
	wake_up(&e->wq);
}

static void echo_callback(void *ctx)
{
	struct echo_dev *e = ctx;
	const struct vmbus_pkt *pkt;

	do {
		while ((pkt = vmbus_recv_pkt(e->chan)))
			echo_on_packet(e, pkt);
	} while (vmbus_recv_done(e->chan));
}

/* --- sending --------------------------------------------------------- */

static u32 echo_rand(u32 *state)
{
	/* xorshift32: deterministic for a given seed. */
	*state ^= *state << 13;
	*state ^= *state >> 17;
	*state ^= *state << 5;
	return *state;
}

/* Copy the data into the slot's pages, from slot->offset on. */
static void echo_fill_pages(struct echo_dev *e, struct echo_slot *slot)
{
	u32 done = 0, page = 0, off = slot->offset;

	echo_fill(e->txbuf, slot->seq, slot->len);
	while (done < slot->len) {
		u32 n = min_t(u32, PAGE_SIZE - off, slot->len - done);

		memcpy(page_address(slot->pages[page]) + off,
		       e->txbuf + done, n);
		done += n;
		off = 0;
		page++;
	}
}

/* Odd packets: one piece per page. */
static int echo_send_pieces(struct echo_dev *e, struct echo_slot *slot,
			    const struct echo_gpa_hdr *hdr, void *rqst,
			    unsigned int flags)
{
	struct vmbus_page_buf pb[VMBUS_MAX_PAGE_BUFS];
	u32 done = 0, n = 0, off = slot->offset;

	while (done < slot->len) {
		pb[n].pfn = page_to_pfn(slot->pages[n]);
		pb[n].offset = off;
		pb[n].len = min_t(u32, PAGE_SIZE - off, slot->len - done);
		done += pb[n].len;
		off = 0;
		n++;
	}
	return vmbus_send_pages(e->chan, pb, n, hdr, sizeof(*hdr), rqst,
				flags);
}

/* Even packets: one range over all pages. */
static int echo_send_range(struct echo_dev *e, struct echo_slot *slot,
			   const struct echo_gpa_hdr *hdr, void *rqst,
			   unsigned int flags)
{
	u64 buf[1 + DIV_ROUND_UP(PAGE_SIZE - 1 + ECHO_MAX_DATA, PAGE_SIZE)];
	struct vmbus_gpa_range *r = (void *)buf;
	u32 n = DIV_ROUND_UP(slot->offset + slot->len, PAGE_SIZE), i;

	r->byte_count = slot->len;
	r->byte_offset = slot->offset;
	for (i = 0; i < n; i++)
		r->pfn_array[i] = page_to_pfn(slot->pages[i]);
	return vmbus_send_gpa_direct(e->chan, r, 1, sizeof(*r) + n * 8, hdr,
				     sizeof(*hdr), rqst, flags);
}

static int echo_send_slot(struct echo_dev *e, struct echo_slot *slot,
			  void *rqst, unsigned int flags)
{
	struct echo_gpa_hdr hdr = {
		.magic = cpu_to_le32(ECHO_MAGIC),
		.seq = cpu_to_le32(slot->seq),
	};

	if (!slot->gpa)
		return vmbus_send(e->chan, e->txbuf, slot->len, rqst, flags);
	echo_fill(hdr.request, ECHO_REQUEST_SEQ(slot->seq),
		  sizeof(hdr.request));
	if (slot->seq & 1)
		return echo_send_pieces(e, slot, &hdr, rqst, flags);
	return echo_send_range(e, slot, &hdr, rqst, flags);
}

/* Send, counting a full ring before sleeping for room. */
static int echo_send(struct echo_dev *e, struct echo_slot *slot, bool comp)
{
	void *rqst = comp ? slot : NULL;
	int ret;

	ret = echo_send_slot(e, slot, rqst, VMBUS_SEND_NOWAIT);
	if (ret == -EAGAIN) {
		spin_lock_bh(&e->lock);
		e->res.ring_full_waits++;
		spin_unlock_bh(&e->lock);
		ret = echo_send_slot(e, slot, rqst, 0);
	}
	return ret;
}

static bool echo_has_room(struct echo_dev *e)
{
	return READ_ONCE(e->inflight) < ECHO_WINDOW ||
	       READ_ONCE(e->stopping) || vmbus_chan_is_rescinded(e->chan);
}

static bool echo_drained(struct echo_dev *e)
{
	return !READ_ONCE(e->inflight) || READ_ONCE(e->stopping) ||
	       vmbus_chan_is_rescinded(e->chan);
}

/* Claim a free slot and, for an echo without completion, queue it. */
static struct echo_slot *echo_claim(struct echo_dev *e, bool comp)
{
	struct echo_slot *slot = NULL;
	u16 i;

	spin_lock_bh(&e->lock);
	if (e->nr_free) {
		i = e->free[--e->nr_free];
		slot = &e->slots[i];
		slot->busy = true;
		e->inflight++;
		if (!comp) {
			e->fifo[(e->fifo_head + e->fifo_len) % ECHO_WINDOW] = i;
			e->fifo_len++;
		}
	}
	spin_unlock_bh(&e->lock);
	return slot;
}

/* A send failed: take the slot back (it is the newest fifo entry). */
static void echo_unclaim(struct echo_dev *e, struct echo_slot *slot,
			 bool comp)
{
	spin_lock_bh(&e->lock);
	slot->busy = false;
	e->free[e->nr_free++] = slot - e->slots;
	e->inflight--;
	if (!comp)
		e->fifo_len--;
	e->res.errors++;
	spin_unlock_bh(&e->lock);
}

/* Make sure a slot has the pages for @len bytes at @offset. */
static int echo_slot_pages(struct echo_dev *e, struct echo_slot *slot,
			   u32 offset, u32 len)
{
	u32 n = DIV_ROUND_UP(offset + len, PAGE_SIZE), i;

	if (!slot->pages) {
		slot->pages = kcalloc(e->pages_per_slot, sizeof(*slot->pages),
				      GFP_KERNEL);
		if (!slot->pages)
			return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		if (slot->pages[i])
			continue;
		slot->pages[i] = alloc_page(GFP_KERNEL);
		if (!slot->pages[i])
			return -ENOMEM;
	}
	return 0;
}

static int echo_send_one(struct echo_dev *e, u32 seq, u32 len, bool gpa,
			 bool comp, u32 offset)
{
	struct echo_slot *slot;
	int ret;

	if (!wait_event_timeout(e->wq, echo_has_room(e), ECHO_TIMEOUT))
		return -ETIMEDOUT;
	if (READ_ONCE(e->stopping))
		return -ESHUTDOWN;
	slot = echo_claim(e, comp);
	if (!slot)
		return -EBUSY;
	slot->seq = seq;
	slot->len = len;
	slot->gpa = gpa;
	slot->offset = offset;
	if (gpa) {
		ret = echo_slot_pages(e, slot, offset, len);
		if (ret) {
			echo_unclaim(e, slot, comp);
			return ret;
		}
		echo_fill_pages(e, slot);
	} else {
		echo_fill(e->txbuf, seq, len);
	}
	ret = echo_send(e, slot, comp);
	if (ret)
		echo_unclaim(e, slot, comp);
	return ret;
}

/* With e->lock held, or before the channel is open. */
static void echo_free_all(struct echo_dev *e)
{
	u32 i;

	for (i = 0; i < ECHO_WINDOW; i++) {
		e->slots[i].busy = false;
		e->free[i] = ECHO_WINDOW - 1 - i;
	}
	e->nr_free = ECHO_WINDOW;
	e->inflight = 0;
	e->fifo_head = 0;
	e->fifo_len = 0;
}

/*
 * Echoes still missing are errors. Their completions, should they come
 * late, must not be taken for packets of the next run.
 */
static void echo_abandon(struct echo_dev *e)
{
	u32 i;

	for (i = 0; i < ECHO_WINDOW; i++)
		vmbus_rqst_forget(e->chan, &e->slots[i]);
	spin_lock_bh(&e->lock);
	e->res.errors += e->inflight;
	echo_free_all(e);
	spin_unlock_bh(&e->lock);
}

/**
 * struct echo_params - one run
 * @count: packets
 * @min: smallest data size
 * @max: largest data size
 * @mode: enum echo_mode
 * @seed: pseudo-random seed
 */
struct echo_params {
	u32 count;
	u32 min;
	u32 max;
	enum echo_mode mode;
	u32 seed;
};

static void echo_run(struct echo_dev *e, const struct echo_params *p)
{
	struct vmbus_chan_stats before, after;
	u32 rnd = p->seed ?: 1, seq, r, len;
	ktime_t start = ktime_get();
	bool gpa, comp;
	int ret = 0;

	vmbus_chan_get_stats(e->chan, &before);
	for (seq = 0; seq < p->count && !ret; seq++) {
		r = echo_rand(&rnd);
		len = p->min + r % (p->max - p->min + 1);
		r = echo_rand(&rnd);
		gpa = p->mode == ECHO_GPADIRECT ||
		      (p->mode == ECHO_MIXED && (r & 1));
		comp = r & 2;
		ret = echo_send_one(e, seq, len, gpa, comp,
				    (r >> 8) % PAGE_SIZE);
		if (!ret) {
			spin_lock_bh(&e->lock);
			e->res.sent++;
			e->res.bytes += len;
			spin_unlock_bh(&e->lock);
		}
	}
	if (!wait_event_timeout(e->wq, echo_drained(e), ECHO_TIMEOUT) ||
	    READ_ONCE(e->inflight))
		dev_err(&e->hdev->device, "%u echoes never came back\n",
			READ_ONCE(e->inflight));
	vmbus_chan_get_stats(e->chan, &after);

	spin_lock_bh(&e->lock);
	e->res.signals = after.signals - before.signals;
	e->res.elapsed_ns = ktime_to_ns(ktime_sub(ktime_get(), start));
	spin_unlock_bh(&e->lock);
	echo_abandon(e);
	if (ret)
		dev_err(&e->hdev->device, "run stopped after %u packets: %d\n",
			seq, ret);
}

/* --- debugfs: hv_echo_test/<device>/ --------------------------------- */

static struct dentry *echo_debugfs;

static int echo_parse(struct echo_dev *e, const char *buf,
		      struct echo_params *p)
{
	char mode[16];
	int n;

	p->seed = 1;
	n = sscanf(buf, "%u %u %u %15s %u", &p->count, &p->min, &p->max, mode,
		   &p->seed);
	if (n < 4 || !p->count || p->count > ECHO_MAX_COUNT || !p->min ||
	    p->min > p->max || p->max > e->max_size)
		return -EINVAL;
	n = sysfs_match_string(echo_mode_names, mode);
	if (n < 0)
		return n;
	p->mode = n;
	return 0;
}

static void echo_reset(struct echo_dev *e)
{
	spin_lock_bh(&e->lock);
	memset(&e->res, 0, sizeof(e->res));
	spin_unlock_bh(&e->lock);
}

/* "run": a write is one run, and returns when the run ended. */
static ssize_t echo_run_write(struct file *file, const char __user *ubuf,
			      size_t count, loff_t *ppos)
{
	struct echo_dev *e = file->private_data;
	struct echo_params p;
	char buf[64];
	int ret;

	if (count >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';
	ret = echo_parse(e, buf, &p);
	if (ret)
		return ret;
	if (!mutex_trylock(&e->run_lock))
		return -EBUSY;
	echo_reset(e);
	echo_run(e, &p);
	mutex_unlock(&e->run_lock);
	return count;
}

static const struct file_operations echo_run_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.write	= echo_run_write,
};

static int echo_result_show(struct seq_file *m, void *v)
{
	struct echo_dev *e = m->private;
	struct echo_result r;

	spin_lock_bh(&e->lock);
	r = e->res;
	spin_unlock_bh(&e->lock);
	seq_printf(m,
		   "sent=%llu verified=%llu mismatches=%llu errors=%llu ring_full_waits=%llu signals=%llu elapsed_ns=%llu bytes=%llu\n",
		   r.sent, r.verified, r.mismatches, r.errors,
		   r.ring_full_waits, r.signals, r.elapsed_ns, r.bytes);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(echo_result);

static int echo_ring_size_show(struct seq_file *m, void *v)
{
	struct echo_dev *e = m->private;

	seq_printf(m, "%u\n", vmbus_chan_ring_size(e->chan, true));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(echo_ring_size);

static void echo_debugfs_add(struct echo_dev *e)
{
	struct dentry *dir;

	dir = debugfs_create_dir(dev_name(&e->hdev->device), echo_debugfs);
	debugfs_create_file("run", 0200, dir, e, &echo_run_fops);
	debugfs_create_file("result", 0444, dir, e, &echo_result_fops);
	debugfs_create_file("ring_size", 0444, dir, e, &echo_ring_size_fops);
}

/* Waits for a write to "run" in progress. */
static void echo_debugfs_del(struct echo_dev *e)
{
	debugfs_lookup_and_remove(dev_name(&e->hdev->device), echo_debugfs);
}

/* --- probe and remove ------------------------------------------------ */

static void echo_free_pages(struct echo_dev *e)
{
	u32 i, j;

	for (i = 0; i < ECHO_WINDOW; i++) {
		if (!e->slots[i].pages)
			continue;
		for (j = 0; j < e->pages_per_slot; j++)
			if (e->slots[i].pages[j])
				__free_page(e->slots[i].pages[j]);
		kfree(e->slots[i].pages);
	}
	kvfree(e->txbuf);
}

static int echo_alloc_pages(struct echo_dev *e)
{
	e->txbuf = kvmalloc(e->max_size, GFP_KERNEL);
	if (!e->txbuf)
		return -ENOMEM;
	/* Data of max_size bytes at any offset in the first page. */
	e->pages_per_slot = DIV_ROUND_UP(PAGE_SIZE - 1 + e->max_size,
					 PAGE_SIZE);
	echo_free_all(e);
	return 0;
}

static int echo_probe(struct hv_device *hdev,
		      const struct hv_vmbus_device_id *id)
{
	struct vmbus_chan_config cfg = {
		.send_ring_size = ECHO_RING_SIZE,
		.recv_ring_size = ECHO_RING_SIZE,
		.max_pkt_size = ECHO_MAX_PKT_SIZE,
		.max_requests = 2 * ECHO_WINDOW,
		.callback = echo_callback,
	};
	struct echo_dev *e;
	int ret;

	e = kzalloc(sizeof(*e), GFP_KERNEL);
	if (!e)
		return -ENOMEM;
	e->hdev = hdev;
	e->chan = hdev->channel;
	mutex_init(&e->run_lock);
	spin_lock_init(&e->lock);
	init_waitqueue_head(&e->wq);
	/* Half the ring's data area, as the brief of this test asks. */
	e->max_size = ECHO_MAX_DATA;
	BUILD_BUG_ON(sizeof(struct vmbus_packet_desc) +
		     sizeof(struct echo_gpa_hdr) + ECHO_MAX_DATA >
		     ECHO_MAX_PKT_SIZE);
	ret = echo_alloc_pages(e);
	if (ret)
		goto free;
	hv_set_drvdata(hdev, e);

	cfg.ctx = e;
	ret = vmbus_chan_open(e->chan, &cfg);
	if (ret)
		goto free;
	echo_debugfs_add(e);
	return 0;

free:
	echo_free_pages(e);
	kfree(e);
	return ret;
}

static void echo_remove(struct hv_device *hdev)
{
	struct echo_dev *e = hv_get_drvdata(hdev);

	/* End a run in progress; removing the files waits for it. */
	WRITE_ONCE(e->stopping, true);
	wake_up_all(&e->wq);
	echo_debugfs_del(e);
	vmbus_chan_close(e->chan);
	echo_free_pages(e);
	kfree(e);
}

static const struct hv_vmbus_device_id echo_ids[] = {
	{ .guid = VMBUS_CLASS_TEST_ECHO },
	{ }
};
MODULE_DEVICE_TABLE(vmbus, echo_ids);

static struct hv_driver echo_driver = {
	.name		= "hv_echo_test",
	.id_table	= echo_ids,
	.probe		= echo_probe,
	.remove		= echo_remove,
};

static int __init echo_init(void)
{
	int ret;

	echo_debugfs = debugfs_create_dir("hv_echo_test", NULL);
	ret = vmbus_driver_register(&echo_driver);
	if (ret)
		debugfs_remove(echo_debugfs);
	return ret;
}

static void __exit echo_exit(void)
{
	vmbus_driver_unregister(&echo_driver);
	debugfs_remove(echo_debugfs);
}

module_init(echo_init);
module_exit(echo_exit);

MODULE_DESCRIPTION("VMBus echo test client (for the emulated host only)");
MODULE_LICENSE("GPL");
