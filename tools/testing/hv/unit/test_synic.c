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

TEST_F(fake, test_synic_delivery,
       "synic: message delivered to SINT2 slot with IRQ")
{
	uint8_t buf[240];

	ASSERT_EQ(0, synic_post_to_guest(&f->h.synic, 0, "abcdef", 6));
	ASSERT_EQ(HV_TLFS_MSG_VMBUS, slot(f)->type);
	ASSERT_EQ(6, slot(f)->payload_size);
	ASSERT_EQ(0, slot(f)->flags);
	ASSERT_EQ(1, f->irqs[0]);
	ASSERT_EQ(6, fake_recv(f, buf, sizeof(buf)));
	CHECK(!memcmp(buf, "abcdef", 6));
	ASSERT_EQ(0, slot(f)->type);
	CHECK(synic_post_to_guest(&f->h.synic, 0, buf, 241) < 0);
}

TEST_F(fake, test_synic_pending_eom,
       "synic: busy slot queues, sets PENDING, EOM delivers the next")
{
	uint8_t buf[240];

	ASSERT_EQ(0, synic_post_to_guest(&f->h.synic, 0, "1", 1));
	ASSERT_EQ(0, synic_post_to_guest(&f->h.synic, 0, "2", 1));
	ASSERT_EQ(0, synic_post_to_guest(&f->h.synic, 0, "3", 1));
	/* Slot busy: the later ones wait, the guest is told. */
	ASSERT_EQ('1', slot(f)->payload[0]);
	CHECK(slot(f)->flags & HV_TLFS_MSG_FLAG_PENDING);
	ASSERT_EQ(2, f->h.synic.vp[0].queued);
	ASSERT_EQ(1, fake_recv(f, buf, sizeof(buf)));	/* frees, EOMs */
	ASSERT_EQ(1, f->h.synic.stats.eoms);
	ASSERT_EQ('2', slot(f)->payload[0]);
	CHECK(slot(f)->flags & HV_TLFS_MSG_FLAG_PENDING); /* '3' waits */
	CHECK(fake_recv(f, buf, sizeof(buf)) == 1 && buf[0] == '2');
	ASSERT_EQ('3', slot(f)->payload[0]);
	CHECK(!(slot(f)->flags & HV_TLFS_MSG_FLAG_PENDING));
	CHECK(fake_recv(f, buf, sizeof(buf)) == 1 && buf[0] == '3');
	CHECK(fake_recv(f, buf, sizeof(buf)) < 0);
	ASSERT_EQ(3, f->irqs[0]);
}

/*
 * The race the re-check closes: the guest freed the slot and looked at
 * the flag before we set it, so no EOM comes. The next doorbell delivers.
 */
TEST_F(fake, test_synic_free_without_eom,
       "synic: slot freed without EOM is refilled on the next doorbell")
{

	ASSERT_EQ(0, synic_post_to_guest(&f->h.synic, 0, "1", 1));
	ASSERT_EQ(0, synic_post_to_guest(&f->h.synic, 0, "2", 1));
	slot(f)->type = 0;		/* freed, no EOM */
	hvhost_doorbell(&f->h, HVEMU_DOORBELL_POST);
	ASSERT_EQ(HV_TLFS_MSG_VMBUS, slot(f)->type);
	ASSERT_EQ('2', slot(f)->payload[0]);
}

TEST_F(fake, test_synic_masked,
       "synic: masked SINT2 gets messages and flags but no IRQ")
{
	uint8_t buf[240];

	fake_vp(f, 0)->sint2 |= HV_TLFS_SINT_MASKED;
	ASSERT_EQ(0, synic_post_to_guest(&f->h.synic, 0, "m", 1));
	ASSERT_EQ(HV_TLFS_MSG_VMBUS, slot(f)->type);	/* delivered */
	ASSERT_EQ(0, f->nr_irqs);				/* but no IRQ */
	CHECK(!synic_signal_event(&f->h.synic, 0, 5));
	CHECK(event_area(f)[0] == 1 << 5);
	ASSERT_EQ(0, f->nr_irqs);
	ASSERT_EQ(1, fake_recv(f, buf, sizeof(buf)));
}

TEST_F(fake, test_synic_disabled, "synic: disabled SynIC queues until enabled")
{

	fake_vp(f, 0)->scontrol = 0;
	ASSERT_EQ(0, synic_post_to_guest(&f->h.synic, 0, "d", 1));
	ASSERT_EQ(0, slot(f)->type);
	ASSERT_EQ(1, f->h.synic.vp[0].queued);
	fake_vp(f, 0)->scontrol = HV_TLFS_SCONTROL_ENABLE;
	hvhost_doorbell(&f->h, HVEMU_DOORBELL_POST);
	ASSERT_EQ(HV_TLFS_MSG_VMBUS, slot(f)->type);
	ASSERT_EQ(1, f->nr_irqs);
}

TEST_F(fake, test_synic_event_newly_set,
       "synic: event flag raises IRQ only when newly set")
{
	uint64_t *word;

	word = (uint64_t *)(event_area(f) + 8);	/* bits 64..127 */
	CHECK(synic_signal_event(&f->h.synic, 0, 70));
	CHECK(*word == 1ULL << 6);
	ASSERT_EQ(1, f->irqs[0]);
	CHECK(!synic_signal_event(&f->h.synic, 0, 70));	/* still set */
	ASSERT_EQ(1, f->irqs[0]);
	CHECK(synic_signal_event(&f->h.synic, 0, 71));	/* another bit */
	ASSERT_EQ(2, f->irqs[0]);
	*word = 0;					/* guest took them */
	CHECK(synic_signal_event(&f->h.synic, 0, 70));
	ASSERT_EQ(3, f->irqs[0]);
	CHECK(!synic_signal_event(&f->h.synic, 0, HV_TLFS_EVENT_FLAGS_BITS));
}

TEST_F(fake, test_synic_vectors, "synic: VP n uses MSI-X vector n % vectors")
{

	fake_enable_synic(f, 5);
	CHECK(synic_signal_event(&f->h.synic, 5, 1));
	ASSERT_EQ(1, f->irqs[5 % 4]);
}

TEST_F(fake, test_synic_post_checks,
       "synic: HvPostMessage input checked, status returned")
{
	struct hvemu_vp *regs;

	regs = fake_vp(f, 0);
	regs->post.message_type = 2;
	regs->post.payload_size = 8;
	regs->post_seq = 1;
	hvhost_doorbell(&f->h, HVEMU_DOORBELL_POST);
	ASSERT_EQ(1, regs->post_done);
	ASSERT_EQ(HV_TLFS_STATUS_INVALID_PARAMETER, regs->post_status);
	regs->post.message_type = 1;
	regs->post.payload_size = 241;
	regs->post_seq = 2;
	hvhost_doorbell(&f->h, HVEMU_DOORBELL_POST);
	ASSERT_EQ(2, regs->post_done);
	ASSERT_EQ(HV_TLFS_STATUS_INVALID_PARAMETER, regs->post_status);
	regs->post.payload_size = 8;
	regs->post.connection_id = 77;
	regs->post_seq = 3;
	hvhost_doorbell(&f->h, HVEMU_DOORBELL_POST);
	ASSERT_EQ(HV_TLFS_STATUS_INVALID_CONNECTION_ID, regs->post_status);
	/* Nothing new posted: nothing handled again. */
	regs->post_status = 12345;
	hvhost_doorbell(&f->h, HVEMU_DOORBELL_POST);
	ASSERT_EQ(12345, regs->post_status);
	ASSERT_EQ(3, f->h.synic.stats.posts);
}

TEST_F(fake, test_synic_signal_bitmap,
       "synic: signal bitmap taken atomically, bit = connection id")
{
	uint64_t *bitmap;

	bitmap = (uint64_t *)(f->bar2 + HVEMU_SIGNAL_OFFSET);
	bitmap[0x2001 / 64] |= 1ULL << (0x2001 % 64);
	bitmap[0x2005 / 64] |= 1ULL << (0x2005 % 64);
	bitmap[3] |= 1ULL << 1;			/* conn 193: nobody's */
	hvhost_doorbell(&f->h, HVEMU_DOORBELL_SIGNAL);
	ASSERT_EQ(3, f->h.synic.stats.signals);
	ASSERT_EQ(3, f->h.srv.stats.unknown_signals); /* no channels yet */
	CHECK(bitmap[0x2001 / 64] == 0 && bitmap[3] == 0);
}
