// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the emulated SynIC (synic.c): message slots, pending and
 * EOM, masking, event flags, the HvPostMessage mailbox and the signal
 * bitmap.
 */
#include <string.h>

#include "shm.h"
#include "unit.h"

static struct hv_tlfs_message *slot(struct fake_guest *fg)
{
	return fake_ptr(fg, fg->simp + 2 * HV_TLFS_MESSAGE_SIZE);
}

static uint8_t *event_area(struct fake_guest *fg)
{
	return fake_ptr(fg, fg->siefp + 2 * HV_TLFS_EVENT_FLAGS_BYTES);
}

static void test_synic_delivery(void)
{
	struct fake_guest fg;
	uint8_t buf[240];

	fake_init(&fg);
	CHECK(synic_post_to_guest(&fg.h.synic, 0, "abcdef", 6) == 0);
	CHECK(slot(&fg)->type == HV_TLFS_MSG_VMBUS);
	CHECK(slot(&fg)->payload_size == 6);
	CHECK(slot(&fg)->flags == 0);
	CHECK(fg.irqs[0] == 1);
	CHECK(fake_recv(&fg, buf, sizeof(buf)) == 6);
	CHECK(!memcmp(buf, "abcdef", 6));
	CHECK(slot(&fg)->type == 0);
	CHECK(synic_post_to_guest(&fg.h.synic, 0, buf, 241) < 0);
	fake_destroy(&fg);
}

static void test_synic_pending_eom(void)
{
	struct fake_guest fg;
	uint8_t buf[240];

	fake_init(&fg);
	CHECK(synic_post_to_guest(&fg.h.synic, 0, "1", 1) == 0);
	CHECK(synic_post_to_guest(&fg.h.synic, 0, "2", 1) == 0);
	CHECK(synic_post_to_guest(&fg.h.synic, 0, "3", 1) == 0);
	/* Slot busy: the later ones wait, the guest is told. */
	CHECK(slot(&fg)->payload[0] == '1');
	CHECK(slot(&fg)->flags & HV_TLFS_MSG_FLAG_PENDING);
	CHECK(fg.h.synic.vp[0].queued == 2);
	CHECK(fake_recv(&fg, buf, sizeof(buf)) == 1);	/* frees, EOMs */
	CHECK(fg.h.synic.stats.eoms == 1);
	CHECK(slot(&fg)->payload[0] == '2');
	CHECK(slot(&fg)->flags & HV_TLFS_MSG_FLAG_PENDING); /* '3' waits */
	CHECK(fake_recv(&fg, buf, sizeof(buf)) == 1 && buf[0] == '2');
	CHECK(slot(&fg)->payload[0] == '3');
	CHECK(!(slot(&fg)->flags & HV_TLFS_MSG_FLAG_PENDING));
	CHECK(fake_recv(&fg, buf, sizeof(buf)) == 1 && buf[0] == '3');
	CHECK(fake_recv(&fg, buf, sizeof(buf)) < 0);
	CHECK(fg.irqs[0] == 3);
	fake_destroy(&fg);
}

/*
 * The race the re-check closes: the guest freed the slot and looked at
 * the flag before we set it, so no EOM comes. The next doorbell delivers.
 */
static void test_synic_free_without_eom(void)
{
	struct fake_guest fg;

	fake_init(&fg);
	CHECK(synic_post_to_guest(&fg.h.synic, 0, "1", 1) == 0);
	CHECK(synic_post_to_guest(&fg.h.synic, 0, "2", 1) == 0);
	slot(&fg)->type = 0;		/* freed, no EOM */
	hvhost_doorbell(&fg.h, HVEMU_DOORBELL_POST);
	CHECK(slot(&fg)->type == HV_TLFS_MSG_VMBUS);
	CHECK(slot(&fg)->payload[0] == '2');
	fake_destroy(&fg);
}

static void test_synic_masked(void)
{
	struct fake_guest fg;
	uint8_t buf[240];

	fake_init(&fg);
	fake_vp(&fg, 0)->sint2 |= HV_TLFS_SINT_MASKED;
	CHECK(synic_post_to_guest(&fg.h.synic, 0, "m", 1) == 0);
	CHECK(slot(&fg)->type == HV_TLFS_MSG_VMBUS);	/* delivered */
	CHECK(fg.nr_irqs == 0);				/* but no IRQ */
	CHECK(!synic_signal_event(&fg.h.synic, 0, 5));
	CHECK(event_area(&fg)[0] == 1 << 5);
	CHECK(fg.nr_irqs == 0);
	CHECK(fake_recv(&fg, buf, sizeof(buf)) == 1);
	fake_destroy(&fg);
}

static void test_synic_disabled(void)
{
	struct fake_guest fg;

	fake_init(&fg);
	fake_vp(&fg, 0)->scontrol = 0;
	CHECK(synic_post_to_guest(&fg.h.synic, 0, "d", 1) == 0);
	CHECK(slot(&fg)->type == 0);
	CHECK(fg.h.synic.vp[0].queued == 1);
	fake_vp(&fg, 0)->scontrol = HV_TLFS_SCONTROL_ENABLE;
	hvhost_doorbell(&fg.h, HVEMU_DOORBELL_POST);
	CHECK(slot(&fg)->type == HV_TLFS_MSG_VMBUS);
	CHECK(fg.nr_irqs == 1);
	fake_destroy(&fg);
}

static void test_synic_event_newly_set(void)
{
	struct fake_guest fg;
	uint64_t *word;

	fake_init(&fg);
	word = (uint64_t *)(event_area(&fg) + 8);	/* bits 64..127 */
	CHECK(synic_signal_event(&fg.h.synic, 0, 70));
	CHECK(*word == 1ULL << 6);
	CHECK(fg.irqs[0] == 1);
	CHECK(!synic_signal_event(&fg.h.synic, 0, 70));	/* still set */
	CHECK(fg.irqs[0] == 1);
	CHECK(synic_signal_event(&fg.h.synic, 0, 71));	/* another bit */
	CHECK(fg.irqs[0] == 2);
	*word = 0;					/* guest took them */
	CHECK(synic_signal_event(&fg.h.synic, 0, 70));
	CHECK(fg.irqs[0] == 3);
	CHECK(!synic_signal_event(&fg.h.synic, 0, HV_TLFS_EVENT_FLAGS_BITS));
	fake_destroy(&fg);
}

static void test_synic_vectors(void)
{
	struct fake_guest fg;

	fake_init(&fg);
	fake_enable_synic(&fg, 5);
	CHECK(synic_signal_event(&fg.h.synic, 5, 1));
	CHECK(fg.irqs[5 % 4] == 1);
	fake_destroy(&fg);
}

static void test_synic_post_checks(void)
{
	struct hvemu_vp *regs;
	struct fake_guest fg;

	fake_init(&fg);
	regs = fake_vp(&fg, 0);
	regs->post.message_type = 2;
	regs->post.payload_size = 8;
	regs->post_seq = 1;
	hvhost_doorbell(&fg.h, HVEMU_DOORBELL_POST);
	CHECK(regs->post_done == 1);
	CHECK(regs->post_status == HV_TLFS_STATUS_INVALID_PARAMETER);
	regs->post.message_type = 1;
	regs->post.payload_size = 241;
	regs->post_seq = 2;
	hvhost_doorbell(&fg.h, HVEMU_DOORBELL_POST);
	CHECK(regs->post_done == 2);
	CHECK(regs->post_status == HV_TLFS_STATUS_INVALID_PARAMETER);
	regs->post.payload_size = 8;
	regs->post.connection_id = 77;
	regs->post_seq = 3;
	hvhost_doorbell(&fg.h, HVEMU_DOORBELL_POST);
	CHECK(regs->post_status == HV_TLFS_STATUS_INVALID_CONNECTION_ID);
	/* Nothing new posted: nothing handled again. */
	regs->post_status = 12345;
	hvhost_doorbell(&fg.h, HVEMU_DOORBELL_POST);
	CHECK(regs->post_status == 12345);
	CHECK(fg.h.synic.stats.posts == 3);
	fake_destroy(&fg);
}

static void test_synic_signal_bitmap(void)
{
	uint64_t *bitmap;
	struct fake_guest fg;

	fake_init(&fg);
	bitmap = (uint64_t *)(fg.bar2 + HVEMU_SIGNAL_OFFSET);
	bitmap[0x2001 / 64] |= 1ULL << (0x2001 % 64);
	bitmap[0x2005 / 64] |= 1ULL << (0x2005 % 64);
	bitmap[3] |= 1ULL << 1;			/* conn 193: nobody's */
	hvhost_doorbell(&fg.h, HVEMU_DOORBELL_SIGNAL);
	CHECK(fg.h.synic.stats.signals == 3);
	CHECK(fg.h.srv.stats.unknown_signals == 3); /* no channels yet */
	CHECK(bitmap[0x2001 / 64] == 0 && bitmap[3] == 0);
	fake_destroy(&fg);
}

UNIT_SUITE(synic_tests) = {
	{ "synic: message delivered to SINT2 slot with IRQ",
	  test_synic_delivery },
	{ "synic: busy slot queues, sets PENDING, EOM delivers the next",
	  test_synic_pending_eom },
	{ "synic: slot freed without EOM is refilled on the next doorbell",
	  test_synic_free_without_eom },
	{ "synic: masked SINT2 gets messages and flags but no IRQ",
	  test_synic_masked },
	{ "synic: disabled SynIC queues until enabled",
	  test_synic_disabled },
	{ "synic: event flag raises IRQ only when newly set",
	  test_synic_event_newly_set },
	{ "synic: VP n uses MSI-X vector n % vectors", test_synic_vectors },
	{ "synic: HvPostMessage input checked, status returned",
	  test_synic_post_checks },
	{ "synic: signal bitmap taken atomically, bit = connection id",
	  test_synic_signal_bitmap },
	{ NULL, NULL },
};
