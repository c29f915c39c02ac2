// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the control commands (control.c) and of option and GUID
 * parsing.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "blockio.h"
#include "storvsp.h"
#include "unit.h"

static bool ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), t = strlen(tail);

	return n >= t && !strcmp(s + n - t, tail);
}

TEST_F(fake, test_control_commands, "control: commands, replies, OK and ERR")
{
	struct hv_buf out = { 0 };

	CHECK(!strcmp(fake_ctl(f, "offer echo 11111111-2222-4333-8444-555555555501", &out),
		      "instance=11111111-2222-4333-8444-555555555501 relid=1\nOK\n"));
	CHECK(!strncmp(fake_ctl(f, "offer echo 11111111-2222-4333-8444-555555555501", &out),
		       "ERR ", 4));
	CHECK(ends_with(fake_ctl(f, "offer nic nomonitor", &out), "relid=2\nOK\n"));
	CHECK(strstr(fake_ctl(f, "list", &out), "relid=1 class=echo instance=11111111-2222-4333-8444-555555555501 state=waiting"));
	CHECK(strstr(out.s, "relid=2 class=nic") && ends_with(out.s, "OK\n"));
	CHECK(strstr(fake_ctl(f, "stats", &out), "\nchan.1.rx_packets=0\n"));
	CHECK(strstr(out.s, "\ngpadls=0\n") && ends_with(out.s, "OK\n"));
	CHECK(!strcmp(fake_ctl(f, "gpadls", &out),
		      "chan.1.gpadls=0\nchan.2.gpadls=0\ntotal=0\nOK\n"));
	CHECK(!strcmp(fake_ctl(f, "rescind 11111111-2222-4333-8444-555555555501", &out), "OK\n"));
	ASSERT_EQ(NULL, f->h.srv.chan[1]);	/* never offered: gone */
	CHECK(!strncmp(fake_ctl(f, "rescind 11111111-2222-4333-8444-555555555501", &out), "ERR ", 4));
	CHECK(!strncmp(fake_ctl(f, "rescind nonsense", &out), "ERR ", 4));
	CHECK(!strcmp(fake_ctl(f, "max-version 4.0", &out), "OK\n"));
	ASSERT_EQ(VMBUS_VERSION(4, 0), f->h.srv.max_version);
	CHECK(!strncmp(fake_ctl(f, "max-version 4.5", &out), "ERR ", 4));
	CHECK(!strncmp(fake_ctl(f, "offer floppy", &out), "ERR ", 4));
	CHECK(!strncmp(fake_ctl(f, "bogus", &out), "ERR ", 4));
	CHECK(!strncmp(fake_ctl(f, "", &out), "ERR ", 4));
	CHECK(!strncmp(fake_ctl(f, "list extra", &out), "ERR usage", 9));
	CHECK(!f->h.quit);
	CHECK(!strcmp(fake_ctl(f, "quit", &out), "OK\n") && f->h.quit);
	hv_buf_free(&out);
}

TEST_F(fake, test_control_hot_add_offers,
       "control: hot-added device offered at once")
{
	struct vmbus_msg_offer offers[2], offer;
	struct hv_buf out = { 0 };

	ASSERT_EQ(1, fake_connect(f, VMBUS_VERSION(5, 3), true));
	ASSERT_EQ(0, fake_request_offers(f, offers, 2));
	CHECK(ends_with(fake_ctl(f, "offer echo", &out), "OK\n"));
	CHECK(fake_recv_type(f, VMBUS_MSG_OFFERCHANNEL, &offer,
			     sizeof(offer)) == sizeof(offer));
	ASSERT_EQ(1, offer.monitor_allocated);	/* echo default */
	hv_buf_free(&out);
}

TEST(test_options, "options: sizes, versions, GUIDs, device specs")
{
	const struct hv_device_class *echo = hv_device_class_find("echo");
	struct hvhost_device_opt d;
	char text[HV_GUID_STR_LEN + 1];
	uint64_t size;
	uint32_t v;
	guid_t g;

	CHECK(hv_parse_size("512M", &size) == 0 && size == 512ULL << 20);
	CHECK(hv_parse_size("1G", &size) == 0 && size == 1ULL << 30);
	CHECK(hv_parse_size("8192", &size) == 0 && size == 8192);
	CHECK(hv_parse_size("1000", &size) < 0);	/* not pages */
	CHECK(hv_parse_size("12X", &size) < 0);
	CHECK(hv_parse_size("0", &size) < 0);
	CHECK(hv_parse_size("-1", &size) < 0);
	CHECK(hv_parse_version("5.3", &v) == 0 && v == 0x50003);
	CHECK(hv_parse_version("5.3x", &v) < 0);
	ASSERT_EQ(0, hv_guid_parse("6c1b6d0e-4e1a-4c8f-9a51-6876686f7374", &g));
	CHECK(g.b[0] == 0x0e && g.b[3] == 0x6c && g.b[4] == 0x1a &&
	      g.b[7] == 0x4c && g.b[8] == 0x9a && g.b[15] == 0x74);
	hv_guid_format(&g, text);
	CHECK(!strcmp(text, "6c1b6d0e-4e1a-4c8f-9a51-6876686f7374"));
	CHECK(hv_guid_parse("6c1b6d0e-4e1a-4c8f-9a51-6876686f737", &g) < 0);
	CHECK(hv_guid_parse("6c1b6d0e-4e1a-4c8f-9a51+6876686f7374", &g) < 0);
	CHECK(hv_guid_parse("6c1b6d0g-4e1a-4c8f-9a51-6876686f7374", &g) < 0);
	CHECK(hvhost_parse_device(&d, echo, NULL) == 0 && d.monitor &&
	      !d.has_instance);
	CHECK(hvhost_parse_device(&d, echo,
		"11111111-2222-4333-8444-555555555501,nomonitor") == 0);
	CHECK(d.has_instance && !d.monitor);
	CHECK(hvhost_parse_device(&d, echo, "nomonitor,monitor") == 0 &&
	      d.monitor);
	CHECK(hvhost_parse_device(&d, echo, "bogus") < 0);
}

TEST(test_guestmem_layout, "guestmem: GPA to file offset, holes refused")
{
	static uint8_t small[1 << 20];
	struct guestmem gm;

	guestmem_attach(&gm, small, sizeof(small));
	ASSERT_EQ(small, guestmem_ptr(&gm, 0, 4096));
	ASSERT_EQ(small + 0x9f000, guestmem_ptr(&gm, 0x9f000, 4096));
	CHECK(!guestmem_ptr(&gm, 0x9f000, 8192));	/* into VGA */
	CHECK(!guestmem_ptr(&gm, 0xa0000, 1));
	CHECK(!guestmem_ptr(&gm, sizeof(small) - 4096, 4097));
	CHECK(!guestmem_ptr(&gm, 0, 0));
	CHECK(!guestmem_ptr(&gm, UINT64_MAX - 10, 20));
	/* A 4 GiB guest: 3 GiB low, the rest at 4 GiB (not mapped here). */
	guestmem_attach(&gm, NULL, 4ULL << 30);
	CHECK(gm.low_size == 3ULL << 30);
	CHECK(guestmem_ptr(&gm, 0x100000000ULL, 4096) ==
	      (void *)(uintptr_t)(3ULL << 30));
	CHECK(!guestmem_ptr(&gm, 0xc0000000ULL, 4096));	/* PCI hole */
	CHECK(!guestmem_ptr(&gm, 0x140000000ULL, 4096));	/* past RAM */
	CHECK(guestmem_ptr(&gm, 0x13ffff000ULL, 4096) != NULL);
}

TEST_F(fake, test_control_class_commands,
       "control: the device classes' commands, in help and dispatch")
{
	struct hv_buf out = { 0 };

	CHECK(!strcmp(fake_ctl(f, "help", &out),
		      "list\nstats\ngpadls\n"
		      "offer echo|scsi|ide|nic [GUID] [monitor|nomonitor]\n"
		      "rescind GUID\n"
		      "disk add FILE[,ro][,lun=N] GUID | disk remove GUID LUN\n"
		      "dvd eject GUID | dvd insert FILE GUID\n"
		      "resize SIZE GUID\n"
		      "nic link GUID up|down\n"
		      "fault storvsc KIND [COUNT] | fault blkvsc KIND [COUNT] | "
		      "fault netvsc KIND [COUNT] | fault vmbus KIND [COUNT] [GUID]\n"
		      "fuzz SEED [COUNT] [TARGET] [EVERY] [KINDS] | "
		      "fuzz status|stop|log [N]\n"
		      "max-version X.Y\nquit\nhelp\nOK\n"));
	CHECK(!strcmp(fake_ctl(f, "disk add x", &out),
		      "ERR usage: disk add FILE[,ro][,lun=N] GUID | disk remove GUID LUN\n"));
	CHECK(!strcmp(fake_ctl(f, "disk eject a b", &out),
		      "ERR usage: disk add FILE[,ro][,lun=N] GUID | disk remove GUID LUN\n"));
	CHECK(!strcmp(fake_ctl(f, "disk remove 11111111-2222-4333-8444-555555555501 0",
			       &out), "ERR no such SCSI controller\n"));
	CHECK(!strcmp(fake_ctl(f, "fault", &out),
		      "ERR usage: fault storvsc KIND [COUNT] | fault blkvsc KIND [COUNT] | "
		      "fault netvsc KIND [COUNT] | fault vmbus KIND [COUNT] [GUID]\n"));
	CHECK(!strcmp(fake_ctl(f, "fault storvsc bad-id 2 11111111-2222-4333-8444-555555555501",
			       &out), "ERR usage: fault storvsc KIND [COUNT]\n"));
	CHECK(!strcmp(fake_ctl(f, "fault floppy bad-id", &out),
		      "ERR unknown fault target\n"));
	CHECK(!strcmp(fake_ctl(f, "fault storvsc bad-id 2", &out), "OK\n"));
	ASSERT_EQ(2, f->stor->fault_count);
	CHECK(!strncmp(fake_ctl(f, "fault storvsc nonsense", &out),
		       "ERR unknown storvsc fault, expected bad-length|", 47));
	CHECK(!strcmp(fake_ctl(f, "floppy", &out),
		      "ERR unknown command floppy\n"));
	hv_buf_free(&out);
}

TEST_F(fake, test_core_class_fds,
       "core: the event loop watches the fds the device classes ask for")
{
	struct epoll_event ev;

	f->h.epfd = epoll_create1(EPOLL_CLOEXEC);
	CHECK(f->h.epfd >= 0);
	ASSERT_EQ(0, hvhost_classes_watch(&f->h));
	/* Each StorVSP class's io_uring eventfd and NetVSP's set of TAPs. */
	ASSERT_EQ(3, f->h.nr_cls_watches);
	ASSERT_EQ(blockio_fd(f->bio), f->h.cls_watches[0].watch.fd);
	CHECK(f->h.cls_watches[0].cls == hv_device_class_find("scsi"));
	CHECK(f->h.cls_watches[1].cls == hv_device_class_find("ide"));
	CHECK(f->h.cls_watches[2].cls == hv_device_class_find("nic"));
	/* Not ready while no disk I/O completed. */
	ASSERT_EQ(0, epoll_wait(f->h.epfd, &ev, 1, 0));
	hvhost_classes_round_end(&f->h);	/* nothing queued: harmless */
	close(f->h.epfd);
}

TEST_F(fake, test_control_ring_state,
       "control: stats show an open channel's ring state as both sides see it")
{
	struct vmbus_msg_offer offers[2];
	struct fake_channel fc;
	struct hv_buf out = { 0 };

	ASSERT_EQ(true, !!vmbus_server_add_device(&f->h.srv,
						  hv_device_class_find("echo"),
						  NULL, true));
	ASSERT_EQ(1, fake_connect(f, VMBUS_VERSION(5, 3), true));
	ASSERT_EQ(1, fake_request_offers(f, offers, 2));
	CHECK(!strstr(fake_ctl(f, "stats", &out), "chan.1.outbound="));
	ASSERT_EQ(0, fake_open(f, &offers[0], &fc, 4, 4));
	fc.out.ctl->pending_send_sz = 72;
	fc.in.ctl->interrupt_mask = 1;
	fake_ctl(f, "stats", &out);
	CHECK(strstr(out.s, "\nchan.1.outbound=write:0 read:0 mask:0 pending:72 host_index:0 waiting:0\n"));
	CHECK(strstr(out.s, "\nchan.1.inbound=write:0 read:0 mask:1 pending:0 host_index:0 waiting:0\n"));
	CHECK(strstr(out.s, "\nchan.1.send_queue=0\n"));
	hv_buf_free(&out);
}
