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
 * "result" then tells how it went.
 *
 * Writing a test name to "selftest" exercises one part of the channel API
 * against the echo device's control requests (include/hyperv/echo.h) and
 * the device's back-pressure; reading it prints what was measured, as
 * "key=value" pairs. See Documentation/hv/vmbus.rst.
 */

#include <hyperv/echo.h>
#include <linux/bitmap.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/fs.h>
#include <linux/hyperv.h>
#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/seq_file.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
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
/* A latency run keeps every round trip: this many at most. */
#define ECHO_MAX_LAT_COUNT	1000000U
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
 * @lat_p50_ns: a latency run's median round trip (0 for other runs)
 * @lat_p99_ns: its 99th percentile
 * @lat_max_ns: its longest
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
	u64 lat_p50_ns;
	u64 lat_p99_ns;
	u64 lat_max_ns;
};

/* Self-tests: a GPADL of three pages; requests kept in flight at close. */
#define ECHO_ST_GPADL_SIZE	(3 * PAGE_SIZE)
#define ECHO_ST_DETACH		8
#define ECHO_ST_FLOW_LEN	1000
#define ECHO_ST_RESULT_SIZE	256
#define ECHO_ST_WAIT		(5 * HZ)
/* How long the host gets to do what it should not (signal, drain). */
#define ECHO_ST_QUIET_MS	300

/**
 * struct echo_selftest - state of the API self-tests
 * @active: a self-test owns the channel: the callback hands packets here
 * @callbacks: runs of the channel callback
 * @space_calls: runs of the send_space callback
 * @got: a packet arrived for the self-test
 * @pkt: its payload (the first ECHO_MAX_PKT_SIZE bytes)
 * @pkt_len: its length
 * @detached: requests the detach callback got
 * @detach_seen: which ones, by index
 * @gpadl: the GPADL of gpadl_create
 * @gpadl_buf: its buffer
 * @old_handle: the handle gpadl_teardown tore down
 * @result: what "selftest" prints
 */
struct echo_selftest {
	bool active;
	atomic_t callbacks;
	atomic_t space_calls;
	bool got;
	u8 *pkt;
	u32 pkt_len;
	u32 detached;
	DECLARE_BITMAP(detach_seen, ECHO_ST_DETACH);
	struct vmbus_gpadl gpadl;
	void *gpadl_buf;
	u32 old_handle;
	char result[ECHO_ST_RESULT_SIZE];
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
 * @cfg: how the channel is opened (the detach self-test reopens it)
 * @st: API self-tests
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
	struct vmbus_chan_config cfg;
	struct echo_selftest st;
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

static void echo_st_on_packet(struct echo_dev *e,
			      const struct vmbus_pkt *pkt);

static void echo_callback(void *ctx)
{
	struct echo_dev *e = ctx;
	const struct vmbus_pkt *pkt;

	atomic_inc(&e->st.callbacks);
	do {
		while ((pkt = vmbus_recv_pkt(e->chan))) {
			if (READ_ONCE(e->st.active))
				echo_st_on_packet(e, pkt);
			else
				echo_on_packet(e, pkt);
		}
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

	ret = echo_send_slot(e, slot, rqst, 0);
	if (ret == -EAGAIN) {
		spin_lock_bh(&e->lock);
		e->res.ring_full_waits++;
		spin_unlock_bh(&e->lock);
		ret = echo_send_slot(e, slot, rqst, VMBUS_SEND_MAY_SLEEP);
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
 * @lat: a latency run: one packet in flight, each round trip timed into
 *	@lat (@count entries)
 */
struct echo_params {
	u32 count;
	u32 min;
	u32 max;
	enum echo_mode mode;
	u32 seed;
	u64 *lat;
};

static int echo_cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

/* The median, 99th percentile and maximum of @n round trips. */
static void echo_lat_summary(struct echo_dev *e, u64 *lat, u32 n)
{
	if (!n)
		return;
	sort(lat, n, sizeof(*lat), echo_cmp_u64, NULL);
	spin_lock_bh(&e->lock);
	e->res.lat_p50_ns = lat[n / 2];
	e->res.lat_p99_ns = lat[(u64)n * 99 / 100];
	e->res.lat_max_ns = lat[n - 1];
	spin_unlock_bh(&e->lock);
}

/* A latency run: wait for the echo before the next send, and time it. */
static int echo_send_timed(struct echo_dev *e, const struct echo_params *p,
			   u32 seq, u32 len, bool gpa, bool comp, u32 offset)
{
	ktime_t t0 = ktime_get();
	int ret;

	ret = echo_send_one(e, seq, len, gpa, comp, offset);
	if (ret)
		return ret;
	if (!wait_event_timeout(e->wq, echo_drained(e), ECHO_TIMEOUT))
		return -ETIMEDOUT;
	p->lat[seq] = ktime_to_ns(ktime_sub(ktime_get(), t0));
	return 0;
}

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
		if (p->lat)
			ret = echo_send_timed(e, p, seq, len, gpa, comp,
					      (r >> 8) % PAGE_SIZE);
		else
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
	if (p->lat && !ret)
		echo_lat_summary(e, p->lat, p->count);
	if (ret)
		dev_err(&e->hdev->device, "run stopped after %u packets: %d\n",
			seq, ret);
}

/* --- API self-tests -------------------------------------------------- */

/* A packet for the self-test; a ping from the host is completed here. */
static void echo_st_on_packet(struct echo_dev *e, const struct vmbus_pkt *pkt)
{
	struct echo_selftest *st = &e->st;

	if (pkt->type == VMBUS_PKT_DATA_INBAND &&
	    (pkt->flags & VMBUS_PKT_FLAG_COMPLETION_REQUESTED)) {
		/* Softirq context: the default flags never sleep. */
		if (vmbus_send_completion(e->chan, pkt->trans_id, pkt->data,
					  min_t(u32, pkt->len,
						sizeof(struct echo_ctl)), 0))
			dev_err(&e->hdev->device, "completion not sent\n");
		return;
	}
	spin_lock(&e->lock);
	st->pkt_len = min_t(u32, pkt->len, ECHO_MAX_PKT_SIZE);
	memcpy(st->pkt, pkt->data, st->pkt_len);
	st->got = true;
	spin_unlock(&e->lock);
	wake_up(&e->wq);
}

static bool echo_st_got(struct echo_dev *e)
{
	return READ_ONCE(e->st.got) || READ_ONCE(e->stopping);
}

/* Send a control request and wait for the packet that answers it. */
static int echo_st_request(struct echo_dev *e, const struct echo_ctl *req)
{
	int ret;

	spin_lock_bh(&e->lock);
	e->st.got = false;
	spin_unlock_bh(&e->lock);
	ret = vmbus_send(e->chan, req, sizeof(*req), NULL,
			 VMBUS_SEND_MAY_SLEEP);
	if (ret)
		return ret;
	if (!wait_event_timeout(e->wq, echo_st_got(e), ECHO_ST_WAIT))
		return -ETIMEDOUT;
	return READ_ONCE(e->stopping) ? -ESHUTDOWN : 0;
}

static __printf(2, 3) void echo_st_result(struct echo_dev *e,
					   const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	vsnprintf(e->st.result, sizeof(e->st.result), fmt, args);
	va_end(args);
}

static int echo_st_gpadl_create(struct echo_dev *e)
{
	struct echo_selftest *st = &e->st;
	int ret;

	if (st->gpadl.handle)
		return -EBUSY;
	st->gpadl_buf = vmalloc(ECHO_ST_GPADL_SIZE);
	if (!st->gpadl_buf)
		return -ENOMEM;
	echo_fill(st->gpadl_buf, ECHO_MAGIC, ECHO_ST_GPADL_SIZE);
	ret = vmbus_gpadl_create(e->chan, st->gpadl_buf, ECHO_ST_GPADL_SIZE,
				 &st->gpadl);
	if (ret && !st->gpadl.buffer)
		vfree(st->gpadl_buf);
	if (ret)
		st->gpadl_buf = NULL;
	echo_st_result(e, "ret=%d handle=%#x size=%u\n", ret,
		       st->gpadl.handle, st->gpadl.size);
	return 0;
}

/* The host reads the GPADL back; after teardown it must refuse. */
static int echo_st_gpadl_read(struct echo_dev *e, u32 handle)
{
	struct echo_ctl req = {
		.magic = ECHO_CTL_MAGIC,
		.op = ECHO_CTL_GPADL_READ,
		.gpadl = handle,
		.len = ECHO_ST_GPADL_SIZE,
	};
	const struct echo_ctl *ans = (const void *)e->st.pkt;
	bool match = false, refused = false;
	int ret;

	ret = echo_st_request(e, &req);
	if (!ret && e->st.pkt_len >= ECHO_ST_GPADL_SIZE)
		match = echo_check_bytes(e->st.pkt, ECHO_MAGIC,
					 ECHO_ST_GPADL_SIZE);
	else if (!ret && e->st.pkt_len == sizeof(*ans))
		refused = ans->op == ECHO_CTL_GPADL_READ && ans->status;
	echo_st_result(e, "ret=%d handle=%#x len=%u match=%d refused=%d\n",
		       ret, handle, e->st.pkt_len, match, refused);
	return 0;
}

static int echo_st_gpadl_teardown(struct echo_dev *e)
{
	struct echo_selftest *st = &e->st;
	u32 handle = st->gpadl.handle;
	int ret;

	if (!handle)
		return -ENOENT;
	ret = vmbus_gpadl_teardown(e->chan, &st->gpadl);
	if (!ret)
		vfree(st->gpadl_buf);
	st->gpadl_buf = NULL;
	echo_st_result(e, "ret=%d handle=%#x cleared=%d\n", ret, handle,
		       !st->gpadl.handle);
	/* For gpadl_stale, which the host must now refuse. */
	st->old_handle = handle;
	return 0;
}

/* The host sends a packet asking for a completion; it checks ours. */
static int echo_st_completion(struct echo_dev *e)
{
	struct echo_ctl req = {
		.magic = ECHO_CTL_MAGIC,
		.op = ECHO_CTL_PING,
		.token = get_random_u64(),
	};
	const struct echo_ctl *ans = (const void *)e->st.pkt;
	int ret, status = -1;

	ret = echo_st_request(e, &req);
	if (!ret && e->st.pkt_len == sizeof(*ans) &&
	    ans->magic == ECHO_CTL_MAGIC && ans->op == ECHO_CTL_PING_RESULT &&
	    ans->token == req.token)
		status = ans->status;
	echo_st_result(e, "ret=%d status=%d\n", ret, status);
	return 0;
}

/* Read what the host sent, as a poll loop does; callbacks are off. */
static u32 echo_st_poll(struct echo_dev *e)
{
	const struct vmbus_pkt *pkt;
	u32 n = 0;

	local_bh_disable();
	while ((pkt = vmbus_recv_pkt(e->chan)))
		n++;
	vmbus_recv_commit(e->chan);
	local_bh_enable();
	return n;
}

/* Poll until @count packets came, with callbacks off all along. */
static u32 echo_st_poll_all(struct echo_dev *e, u32 count)
{
	unsigned long end = jiffies + ECHO_ST_WAIT;
	u32 n = 0;

	while (n < count && time_before(jiffies, end)) {
		n += echo_st_poll(e);
		if (n < count)
			msleep(20);
	}
	return n;
}

/*
 * disable_cb/enable_cb: with callbacks off, an echo arrives without a
 * callback run, enable_cb says it is there, polling takes it, and then
 * enable_cb finds nothing.
 */
static int echo_st_cb(struct echo_dev *e)
{
	int before, during, pending, polled, pending_after, ret;

	before = atomic_read(&e->st.callbacks);
	vmbus_chan_disable_cb(e->chan);
	ret = vmbus_send(e->chan, e->txbuf, 64, NULL, VMBUS_SEND_MAY_SLEEP);
	msleep(ECHO_ST_QUIET_MS);
	during = atomic_read(&e->st.callbacks) - before;
	local_bh_disable();
	pending = vmbus_chan_enable_cb(e->chan);
	vmbus_chan_disable_cb(e->chan);
	local_bh_enable();
	polled = echo_st_poll_all(e, 1);
	local_bh_disable();
	pending_after = vmbus_chan_enable_cb(e->chan);
	local_bh_enable();
	echo_st_result(e,
		       "ret=%d callbacks_while_off=%d pending_on_enable=%d polled=%u pending_after=%d\n",
		       ret, during, pending, polled, pending_after);
	return 0;
}

static void echo_st_send_space(void *ctx)
{
	struct echo_dev *e = ctx;

	atomic_inc(&e->st.space_calls);
	wake_up(&e->wq);
}

static bool echo_st_space_called(struct echo_dev *e)
{
	return atomic_read(&e->st.space_calls) || READ_ONCE(e->stopping);
}

/*
 * Send until the ring is full and stays full: the host stopped reading
 * because the inbound ring is full of echoes nobody reads.
 */
static int echo_st_fill(struct echo_dev *e, u32 limit, u32 *sent)
{
	u32 need = vmbus_inband_pkt_size(ECHO_ST_FLOW_LEN);
	int ret = 0, tries;

	for (tries = 0; tries < 20; tries++) {
		while (*sent < limit &&
		       !(ret = vmbus_send(e->chan, e->txbuf, ECHO_ST_FLOW_LEN,
					  NULL, 0)))
			(*sent)++;
		if (ret != -EAGAIN)
			break;
		msleep(100);
		if (vmbus_chan_send_space(e->chan) < need)
			break;
	}
	return ret;
}

/*
 * Flow control: with callbacks off the host's echoes fill the inbound
 * ring, then the host stops reading and the outbound ring fills. The
 * space request must not be called while nothing moves, and exactly once
 * after the guest polled and the host could drain.
 */
static int echo_st_flow(struct echo_dev *e)
{
	u32 need = vmbus_inband_pkt_size(ECHO_ST_FLOW_LEN);
	u32 ring = vmbus_chan_ring_size(e->chan, true);
	u32 empty, full, later, after, sent = 0, polled;
	int ret = 0, calls_stuck, calls, cbs;
	bool armed;

	atomic_set(&e->st.space_calls, 0);
	empty = vmbus_chan_send_space(e->chan);
	cbs = atomic_read(&e->st.callbacks);
	vmbus_chan_disable_cb(e->chan);
	ret = echo_st_fill(e, ring / need * 4, &sent);
	full = vmbus_chan_send_space(e->chan);
	armed = vmbus_chan_request_space(e->chan, need);
	msleep(ECHO_ST_QUIET_MS);
	later = vmbus_chan_send_space(e->chan);
	calls_stuck = atomic_read(&e->st.space_calls);
	cbs = atomic_read(&e->st.callbacks) - cbs;

	polled = echo_st_poll_all(e, sent);
	wait_event_timeout(e->wq, echo_st_space_called(e), ECHO_ST_WAIT);
	msleep(ECHO_ST_QUIET_MS);
	calls = atomic_read(&e->st.space_calls);
	after = vmbus_chan_send_space(e->chan);
	local_bh_disable();
	vmbus_chan_enable_cb(e->chan);
	local_bh_enable();
	echo_st_result(e,
		       "ring=%u empty=%u need=%u sent=%u ret=%d full=%u later=%u armed=%d callbacks_while_off=%d calls_stuck=%d polled=%u calls=%d after=%u\n",
		       ring, empty, need, sent, ret, full, later, armed, cbs,
		       calls_stuck, polled, calls, after);
	return 0;
}

static void echo_st_detach(void *ctx, void *rqst)
{
	struct echo_dev *e = ctx;
	long i = (u8 *)rqst - e->txbuf;

	e->st.detached++;
	if (i >= 0 && i < ECHO_ST_DETACH)
		set_bit(i, e->st.detach_seen);
}

/*
 * Requests whose completions the guest never read are handed back, each
 * once, when the channel closes; then the channel opens again.
 */
static int echo_st_close(struct echo_dev *e)
{
	int ret = 0, reopen;
	u32 i, sent = 0;

	e->st.detached = 0;
	bitmap_zero(e->st.detach_seen, ECHO_ST_DETACH);
	vmbus_chan_disable_cb(e->chan);
	/* Distinct contexts: addresses inside txbuf, never dereferenced. */
	for (i = 0; i < ECHO_ST_DETACH && !ret; i++) {
		ret = vmbus_send(e->chan, e->txbuf, 8, e->txbuf + i,
				 VMBUS_SEND_MAY_SLEEP);
		sent += !ret;
	}
	msleep(ECHO_ST_QUIET_MS);
	vmbus_chan_close(e->chan);
	reopen = vmbus_chan_open(e->chan, &e->cfg);
	echo_st_result(e, "ret=%d sent=%u detached=%u distinct=%u reopen=%d\n",
		       ret, sent, e->st.detached,
		       bitmap_weight(e->st.detach_seen, ECHO_ST_DETACH),
		       reopen);
	return 0;
}

static int echo_st_run(struct echo_dev *e, const char *name)
{
	static const char *const names[] = {
		"gpadl_create", "gpadl_read", "gpadl_teardown", "gpadl_stale",
		"completion", "cb", "flow", "close",
	};
	int n = sysfs_match_string(names, name);

	switch (n) {
	case 0:
		return echo_st_gpadl_create(e);
	case 1:
		return echo_st_gpadl_read(e, e->st.gpadl.handle);
	case 2:
		return echo_st_gpadl_teardown(e);
	case 3:
		return echo_st_gpadl_read(e, e->st.old_handle);
	case 4:
		return echo_st_completion(e);
	case 5:
		return echo_st_cb(e);
	case 6:
		return echo_st_flow(e);
	case 7:
		return echo_st_close(e);
	default:
		return -EINVAL;
	}
}

/* --- debugfs: hv_echo_test/<device>/ --------------------------------- */

static struct dentry *echo_debugfs;

static int echo_parse(struct echo_dev *e, const char *buf,
		      struct echo_params *p)
{
	char mode[16];
	int n;

	p->seed = 1;
	p->lat = NULL;
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

/* A debugfs write's argument, as a string in @buf. */
static int echo_copy_arg(char *buf, size_t size, const char __user *ubuf,
			 size_t count)
{
	if (count >= size)
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';
	return 0;
}

/* A write to "run" or "latency": one run, returning when it ended. */
static ssize_t echo_start(struct file *file, const char __user *ubuf,
			  size_t count, bool latency)
{
	struct echo_dev *e = file->private_data;
	struct echo_params p;
	char buf[64];
	int ret;

	ret = echo_copy_arg(buf, sizeof(buf), ubuf, count);
	if (!ret)
		ret = echo_parse(e, buf, &p);
	if (!ret && latency && p.count > ECHO_MAX_LAT_COUNT)
		ret = -EINVAL;
	if (ret)
		return ret;
	if (latency) {
		p.lat = kvmalloc_array(p.count, sizeof(*p.lat), GFP_KERNEL);
		if (!p.lat)
			return -ENOMEM;
	}
	if (mutex_trylock(&e->run_lock)) {
		echo_reset(e);
		echo_run(e, &p);
		mutex_unlock(&e->run_lock);
	} else {
		ret = -EBUSY;
	}
	kvfree(p.lat);
	return ret ?: count;
}

/* "run": packets kept in flight up to the window, for throughput. */
static ssize_t echo_run_write(struct file *file, const char __user *ubuf,
			      size_t count, loff_t *ppos)
{
	return echo_start(file, ubuf, count, false);
}

static const struct file_operations echo_run_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.write	= echo_run_write,
};

/* "latency": one packet in flight, every round trip timed. */
static ssize_t echo_latency_write(struct file *file, const char __user *ubuf,
				  size_t count, loff_t *ppos)
{
	return echo_start(file, ubuf, count, true);
}

static const struct file_operations echo_latency_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.write	= echo_latency_write,
};

static int echo_result_show(struct seq_file *m, void *v)
{
	struct echo_dev *e = m->private;
	struct echo_result r;

	spin_lock_bh(&e->lock);
	r = e->res;
	spin_unlock_bh(&e->lock);
	seq_printf(m,
		   "sent=%llu verified=%llu mismatches=%llu errors=%llu ring_full_waits=%llu signals=%llu elapsed_ns=%llu bytes=%llu lat_p50_ns=%llu lat_p99_ns=%llu lat_max_ns=%llu\n",
		   r.sent, r.verified, r.mismatches, r.errors,
		   r.ring_full_waits, r.signals, r.elapsed_ns, r.bytes,
		   r.lat_p50_ns, r.lat_p99_ns, r.lat_max_ns);
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

/* "selftest": a write runs one self-test, a read shows its result. */
static ssize_t echo_selftest_write(struct file *file, const char __user *ubuf,
				   size_t count, loff_t *ppos)
{
	struct echo_dev *e = ((struct seq_file *)file->private_data)->private;
	char buf[32];
	int ret;

	ret = echo_copy_arg(buf, sizeof(buf), ubuf, count);
	if (ret)
		return ret;
	if (!mutex_trylock(&e->run_lock))
		return -EBUSY;
	e->st.result[0] = 0;
	WRITE_ONCE(e->st.active, true);
	ret = echo_st_run(e, buf);
	WRITE_ONCE(e->st.active, false);
	mutex_unlock(&e->run_lock);
	return ret ?: count;
}

static int echo_selftest_show(struct seq_file *m, void *v)
{
	struct echo_dev *e = m->private;

	mutex_lock(&e->run_lock);
	seq_printf(m, "%s", e->st.result);
	mutex_unlock(&e->run_lock);
	return 0;
}

static int echo_selftest_open(struct inode *inode, struct file *file)
{
	return single_open(file, echo_selftest_show, inode->i_private);
}

static const struct file_operations echo_selftest_fops = {
	.owner		= THIS_MODULE,
	.open		= echo_selftest_open,
	.read		= seq_read,
	.write		= echo_selftest_write,
	.llseek		= seq_lseek,
	.release	= single_release,
};

static void echo_debugfs_add(struct echo_dev *e)
{
	struct dentry *dir;

	dir = debugfs_create_dir(dev_name(&e->hdev->device), echo_debugfs);
	debugfs_create_file("run", 0200, dir, e, &echo_run_fops);
	debugfs_create_file("latency", 0200, dir, e, &echo_latency_fops);
	debugfs_create_file("result", 0444, dir, e, &echo_result_fops);
	debugfs_create_file("ring_size", 0444, dir, e, &echo_ring_size_fops);
	debugfs_create_file("selftest", 0600, dir, e, &echo_selftest_fops);
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
	kvfree(e->st.pkt);
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
		.send_space = echo_st_send_space,
		.detach = echo_st_detach,
	};
	struct echo_dev *e;
	int ret;

	e = kzalloc(sizeof(*e), GFP_KERNEL);
	if (!e)
		return -ENOMEM;
	e->st.pkt = kvmalloc(ECHO_MAX_PKT_SIZE, GFP_KERNEL);
	if (!e->st.pkt) {
		kfree(e);
		return -ENOMEM;
	}
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
	e->cfg = cfg;
	ret = vmbus_chan_open(e->chan, &e->cfg);
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
	/* A GPADL the host may still hold is leaked, never freed. */
	if (e->st.gpadl.handle && !vmbus_gpadl_teardown(e->chan, &e->st.gpadl))
		vfree(e->st.gpadl_buf);
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
