// SPDX-License-Identifier: GPL-2.0
/*
 * Placeholder devices (SCSI, IDE, network): their channels open and close
 * like real ones, but their device protocols are not implemented yet, so
 * every packet is consumed and ignored. One notice per open channel.
 */
#include "log.h"
#include "vmbus_server.h"

static int stub_packet(struct hv_channel *ch, const struct hv_packet *pkt)
{
	(void)pkt;
	if (!ch->warned) {
		hv_info("%s relid %u: device protocol not implemented, ignoring packets",
			ch->cls->name, ch->relid);
		ch->warned = true;
	}
	return 0;
}

const struct hv_device_ops hv_stub_ops = {
	.packet = stub_packet,
};
