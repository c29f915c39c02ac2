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

