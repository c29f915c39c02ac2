// SPDX-License-Identifier: GPL-2.0
/*
 * hvhost: an emulated Hyper-V host for one QEMU guest. Start-up, the
 * event loop and the glue between the layers. See
 * Documentation/hv/hvhost.rst.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "hvhost.h"
#include "log.h"

#define HVHOST_EXIT_USAGE	2

static void hvhost_on_timer(struct hvhost *h, struct hv_watch *w,
			    uint32_t events)
{
	uint64_t ticks;

	(void)events;
	if (read(w->fd, &ticks, sizeof(ticks)) == sizeof(ticks))
		vmbus_server_poll_monitor(&h->srv);
}

static void hvhost_on_signal(struct hvhost *h, struct hv_watch *w,
			     uint32_t events)
{
	struct signalfd_siginfo si;

	(void)events;
	if (read(w->fd, &si, sizeof(si)) != sizeof(si))
		return;
	hv_info("signal %u, shutting down", si.ssi_signo);
	h->quit = true;
}

static int hvhost_init_loop(struct hvhost *h)
{
	sigset_t mask;

	h->signals.fd = -1;
	h->timer.fd = -1;
	h->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (h->epfd < 0) {
		hv_err("epoll_create1: %s", strerror(errno));
		return -1;
	}
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	h->signals.fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	h->signals.fn = hvhost_on_signal;
	h->timer.fd = timerfd_create(CLOCK_MONOTONIC,
				     TFD_CLOEXEC | TFD_NONBLOCK);
	h->timer.fn = hvhost_on_timer;
	if (h->signals.fd < 0 || h->timer.fd < 0) {
		hv_err("signalfd/timerfd: %s", strerror(errno));
		return -1;
	}
	return hvhost_watch(h, &h->signals, EPOLLIN) ||
	       hvhost_watch(h, &h->timer, EPOLLIN) ? -1 : 0;
}

static int hvhost_add_devices(struct hvhost *h)
{
	unsigned int nth[HV_DEVICE_CLASSES_MAX] = { 0 }, i;
	const struct hvhost_device_opt *d;
	char guid[HV_GUID_STR_LEN + 1];
	struct hv_channel *ch;

	for (i = 0; i < h->opt.nr_devices; i++) {
		d = &h->opt.devices[i];
		ch = vmbus_server_add_device(&h->srv, d->cls,
					     d->has_instance ? &d->instance :
					     NULL, d->monitor);
		if (!ch) {
			hv_err("cannot add %s device: %s", d->cls->name,
			       strerror(errno));
			return -1;
		}
		hv_guid_format(&ch->instance, guid);
		hv_info("offering %s %s as relid %u", d->cls->name, guid,
			ch->relid);
		/* The class said why it failed. */
		if (hvhost_class_bind(h, ch, nth[hv_device_class_id(d->cls)]++))
			return -1;
	}
	return 0;
}

/*
 * Order matters: the RAM file and BAR2 must be ready before QEMU can
 * connect, so the ivshmem socket is created last.
 */
static int hvhost_start(struct hvhost *h)
{
	if (hvhost_init_loop(h))
		return -1;
	if (guestmem_open(&h->gm, h->opt.mem_path, h->opt.mem_size))
		return -1;
	if (ivshmem_init(h))
		return -1;
	synic_init(&h->synic, h->ivs.bar2, &h->gm, h->opt.vectors,
		   &hvhost_synic_ops, h);
	vmbus_server_init(&h->srv, &h->synic, &h->gm, &hvhost_server_ops, h);
	h->srv.max_version = h->opt.max_version;
	if (hvhost_classes_start(h) || hvhost_classes_watch(h) ||
	    hvhost_add_devices(h) || control_init(h))
		return -1;
	return ivshmem_listen(h);
}

static void hvhost_stop(struct hvhost *h)
{
	if (h->srv.synic)
		vmbus_server_destroy(&h->srv);
	hvhost_classes_stop(h);
	synic_destroy(&h->synic);
	control_destroy(h);
	ivshmem_destroy(&h->ivs);
	guestmem_close(&h->gm);
	if (h->timer.fd >= 0)
		close(h->timer.fd);
	if (h->signals.fd >= 0)
		close(h->signals.fd);
	if (h->epfd >= 0)
		close(h->epfd);
}

static void hvhost_run(struct hvhost *h)
{
	struct epoll_event ev[16];
	struct hv_watch *w;
	int i, n;

	while (!h->quit) {
		n = epoll_wait(h->epfd, ev, ARRAY_SIZE(ev), -1);
		if (n < 0 && errno != EINTR) {
			hv_err("epoll_wait: %s", strerror(errno));
			return;
		}
		for (i = 0; i < n && !h->quit; i++) {
			w = ev[i].data.ptr;
			w->fn(h, w, ev[i].events);
		}
		hvhost_classes_round_end(h);
		vmbus_fuzz_round_end(&h->srv);
	}
}

int main(int argc, char **argv)
{
	struct hvhost *h;
	int ret;

	if (argc > 1 && !strcmp(argv[1], "ctl"))
		return hvhost_ctl_main(argc - 2, argv + 2);
	h = calloc(1, sizeof(*h));
	if (!h)
		return 1;
	h->epfd = -1;
	h->gm.fd = -1;
	h->ctl.listen.fd = -1;
	h->signals.fd = -1;
	h->timer.fd = -1;
	ivshmem_reset(&h->ivs);
	ret = hvhost_parse_options(&h->opt, argc, argv);
	if (ret) {
		ret = ret > 0 ? 0 : HVHOST_EXIT_USAGE;
	} else if (hv_log_open(h->opt.log_path, h->opt.log_level)) {
		hv_err("cannot open log file %s: %s", h->opt.log_path,
		       strerror(errno));
		ret = 1;
	} else {
		ret = hvhost_start(h) ? 1 : 0;
		if (!ret)
			hvhost_run(h);
		hvhost_stop(h);
		hv_log_close();
	}
	hvhost_options_free(&h->opt);
	free(h);
	return ret;
}
