/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Control requests of the echo test device (VMBUS_CLASS_TEST_ECHO), this
 * project's own: no Hyper-V host offers it. The device echoes every inband
 * packet, except one whose payload is exactly a struct echo_ctl with
 * ECHO_CTL_MAGIC: that one is a request, answered as below.
 *
 * ECHO_CTL_GPADL_READ: the host reads @len bytes from the start of GPADL
 *	@gpadl (created for this channel) and sends them as an inband
 *	packet; if it cannot (unknown handle, another channel's, too long),
 *	it answers with an echo_ctl of the same op and @status 1.
 * ECHO_CTL_PING: the host sends an inband packet that asks for a
 *	completion (its own transaction id), holding an echo_ctl with op
 *	ECHO_CTL_PING and the same @token. The guest answers it with a
 *	completion that carries that echo_ctl back. The host then sends an
 *	echo_ctl ECHO_CTL_PING_RESULT: @status 0 if the completion had its
 *	transaction id and the echo_ctl, 1 otherwise.
 */
#ifndef _HYPERV_ECHO_H
#define _HYPERV_ECHO_H

#include "wire.h"

#define ECHO_CTL_MAGIC		0x4c54434f48434500ULL	/* "\0ECHOCTL" */

enum echo_ctl_op {
	ECHO_CTL_GPADL_READ	= 1,
	ECHO_CTL_PING		= 2,
	ECHO_CTL_PING_RESULT	= 3,
};

/**
 * struct echo_ctl - a control request or answer of the echo device
 * @magic: ECHO_CTL_MAGIC
 * @op: enum echo_ctl_op
 * @gpadl: ECHO_CTL_GPADL_READ: the GPADL handle
 * @len: ECHO_CTL_GPADL_READ: bytes to read
 * @status: in answers: 0 success, 1 failure
 * @token: ECHO_CTL_PING: what the completion must bring back
 */
struct echo_ctl {
	__u64 magic;
	__u32 op;
	__u32 gpadl;
	__u32 len;
	__u32 status;
	__u64 token;
} __packed;

static_assert(sizeof(struct echo_ctl) == 32);

#endif /* _HYPERV_ECHO_H */
