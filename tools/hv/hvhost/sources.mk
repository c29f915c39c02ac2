# SPDX-License-Identifier: GPL-2.0
#
# hvhost's sources but main.c: the one list the program (Makefile here)
# and its unit tests (tools/testing/hv/unit/Makefile) both build from.

HVHOST_LIB_SRCS := core.c log.c guestmem.c synic.c ring.c vmbus_server.c \
		   gpadl.c channel.c device.c echo.c util.c \
		   options.c ivshmem.c control.c scsi_disk.c blockio.c \
		   storvsp.c storvsp_class.c vmbus_fault.c \
		   tap.c rss.c netvsp.c rndis_dev.c netvsp_class.c netvsp_fault.c \
		   fuzz.c vmbus_fuzz.c
