// SPDX-License-Identifier: GPL-2.0
/*
 * The glue between hvhost's layers: where SynIC events go, how the VMBus
 * server reaches the event loop, and what each guest doorbell does.
 */
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>

#include "hvhost.h"
#include "log.h"

int hvhost_watch(struct hvhost *h, struct hv_watch *w, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };

	if (epoll_ctl(h->epfd, EPOLL_CTL_ADD, w->fd, &ev) < 0) {
		hv_err("epoll_ctl: %s", strerror(errno));
		return -1;
	}
	return 0;
}

void hvhost_unwatch(struct hvhost *h, struct hv_watch *w)
{
	epoll_ctl(h->epfd, EPOLL_CTL_DEL, w->fd, NULL);
}

static void hvhost_raise_irq(void *ctx, unsigned int vector)
{
	struct hvhost *h = ctx;

	ivshmem_raise(&h->ivs, vector);
}

static uint32_t hvhost_post_message(void *ctx, unsigned int vp,
				    uint32_t conn_id, const void *payload,
				    uint32_t size)
{
	struct hvhost *h = ctx;

	return vmbus_server_post(&h->srv, vp, conn_id, payload, size);
}

static void hvhost_signal_event(void *ctx, uint32_t conn_id)
{
	struct hvhost *h = ctx;

	vmbus_server_signal(&h->srv, conn_id);
}

const struct synic_ops hvhost_synic_ops = {
	.raise_irq = hvhost_raise_irq,
	.post_message = hvhost_post_message,
	.signal_event = hvhost_signal_event,
};

/* Poll the monitor page only while a monitored channel is open. */
static void hvhost_monitor_changed(void *ctx)
{
	struct hvhost *h = ctx;
	bool want = h->srv.monitored_open > 0;
	struct itimerspec its = { 0 };

	if (want == h->timer_armed || h->timer.fd < 0)
		return;
	if (want) {
		its.it_value.tv_nsec = HVHOST_MONITOR_POLL_NS;
		its.it_interval.tv_nsec = HVHOST_MONITOR_POLL_NS;
	}
	if (timerfd_settime(h->timer.fd, 0, &its, NULL) == 0)
		h->timer_armed = want;
}

const struct vmbus_server_ops hvhost_server_ops = {
	.monitor_changed = hvhost_monitor_changed,
};

/* Guest doorbell @doorbell (HVEMU_DOORBELL_*) rang. */
void hvhost_doorbell(struct hvhost *h, unsigned int doorbell)
{
	switch (doorbell) {
	case HVEMU_DOORBELL_POST:
		synic_handle_posts(&h->synic);
		break;
	case HVEMU_DOORBELL_SIGNAL:
		synic_handle_signals(&h->synic);
		break;
	case HVEMU_DOORBELL_EOM:
		synic_handle_eom(&h->synic);
		break;
	default:
		hv_warn_rl("doorbell %u is not defined", doorbell);
		synic_handle_posts(&h->synic);
		synic_handle_signals(&h->synic);
		break;
	}
	/* Messages queued while the guest's SynIC was not yet enabled. */
	synic_flush_queues(&h->synic);
	vmbus_server_poll_monitor(&h->srv);
}


/* --- the device classes' host side ----------------------------------- */

void *hvhost_class_inst(struct hvhost *h, const struct hv_device_class *cls)
{
	return h->cls_inst[hv_device_class_id(cls)];
}

/* An instance of every class that has one, on its configuration. */
int hvhost_classes_start(struct hvhost *h)
{
	const struct hv_device_class *cls;
	unsigned int id;

	hv_for_each_device_class(id, cls) {
		if (!cls->host || !cls->host->start)
			continue;
		h->cls_inst[id] = cls->host->start(cls, h->opt.class_cfg[id]);
		if (!h->cls_inst[id]) {
			hv_err("cannot start the %s devices", cls->name);
			return -1;
		}
	}
	return 0;
}

static void hvhost_on_class_fd(struct hvhost *h, struct hv_watch *w,
			       uint32_t events)
{
	struct hvhost_class_watch *cw = (struct hvhost_class_watch *)w;

	cw->cls->host->on_fd(hvhost_class_inst(h, cw->cls), w->fd, events);
}

static int hvhost_class_watch(struct hvhost *h,
			      const struct hv_device_class *cls)
{
	int fds[HVHOST_MAX_CLASS_FDS];
	struct hvhost_class_watch *cw;
	unsigned int n, i;

	n = cls->host->fds(hvhost_class_inst(h, cls), fds,
			   HVHOST_MAX_CLASS_FDS - h->nr_cls_watches);
	for (i = 0; i < n; i++) {
		cw = &h->cls_watches[h->nr_cls_watches++];
		cw->watch.fd = fds[i];
		cw->watch.fn = hvhost_on_class_fd;
		cw->cls = cls;
		if (hvhost_watch(h, &cw->watch, EPOLLIN))
			return -1;
	}
	return 0;
}

/* The event loop watches the fds of every started class. */
int hvhost_classes_watch(struct hvhost *h)
{
	const struct hv_device_class *cls;
	unsigned int id;

	hv_for_each_device_class(id, cls) {
		if (h->cls_inst[id] && cls->host->fds && cls->host->on_fd &&
		    hvhost_class_watch(h, cls))
			return -1;
	}
	return 0;
}

void hvhost_classes_round_end(struct hvhost *h)
{
	const struct hv_device_class *cls;
	unsigned int id;

	hv_for_each_device_class(id, cls) {
		if (h->cls_inst[id] && cls->host->round_end)
			cls->host->round_end(h->cls_inst[id]);
	}
}

/* After the VMBus server let go of every channel. */
void hvhost_classes_stop(struct hvhost *h)
{
	const struct hv_device_class *cls;
	unsigned int id;

	hv_for_each_device_class(id, cls) {
		if (h->cls_inst[id] && cls->host->stop)
			cls->host->stop(h->cls_inst[id]);
		h->cls_inst[id] = NULL;
	}
	h->nr_cls_watches = 0;
}

/* A primary channel of @ch's class was just offered: the class binds it. */
int hvhost_class_bind(struct hvhost *h, struct hv_channel *ch, int nth)
{
	const struct hv_device_class *cls = ch->cls;
	void *inst = hvhost_class_inst(h, cls);

	if (!inst || !cls->host->bind)
		return 0;
	return cls->host->bind(inst, ch, nth);
}
