/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The host side of one VMBus ring buffer (reference §3): hvhost reads the
 * guest's outbound ring and writes the guest's inbound ring. A ring is a
 * control page plus data pages anywhere in host memory, so the same code
 * runs on guest RAM and on the plain buffers of the unit tests.
 */
#ifndef _HVHOST_RING_H
#define _HVHOST_RING_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include <hyperv/vmbus_ring.h>

/* Payload pieces hvring_send() accepts. */
#define HVRING_MAX_IOV		6

/* Offset of the payload in the packets hvhost writes: descriptor only. */
#define HVRING_INBAND_OFFSET8	(sizeof(struct vmbus_packet_desc) / 8)

enum hvring_role {
	HVRING_READER,		/* the guest's outbound ring */
	HVRING_WRITER,		/* the guest's inbound ring */
};

/**
 * struct hvring - host view of one ring
 * @ctl: the control page (shared with the guest)
 * @page: host pointers of the data pages, in ring order
 * @linear: the data pages when they are contiguous in host memory
 * @size: data bytes
 * @index: our index (read index for a reader, write index for a writer);
 *	we never trust the copy in the control page, the guest can change it
 * @role: reader or writer
 * @waiting: a writer that set pending_send_sz and waits for space
 * @broken: the guest broke the protocol; the ring is not touched again
 */
struct hvring {
	struct vmbus_ring_control *ctl;
	uint8_t **page;
	uint8_t *linear;
	uint32_t size;
	uint32_t index;
	enum hvring_role role;
	bool waiting;
	bool broken;
};

int hvring_attach(struct hvring *r, enum hvring_role role, void *ctl,
		  uint8_t **pages, uint32_t npages);

/* Reader side. */
int hvring_bytes_to_read(struct hvring *r, uint32_t *avail);
int hvring_peek(struct hvring *r, void *buf, uint32_t cap, uint32_t *len);
void hvring_consume(struct hvring *r, uint32_t len);
bool hvring_read_done(struct hvring *r, uint32_t bytes_read);
void hvring_set_interrupt_mask(struct hvring *r, bool masked);

/* Writer side. */
int hvring_write(struct hvring *r, const struct iovec *iov, unsigned int n,
		 bool *signal);
int hvring_send(struct hvring *r, uint16_t type, uint16_t flags,
		uint64_t trans_id, const struct iovec *iov, unsigned int n,
		bool *signal);
int hvring_write_keep(struct hvring *r, const struct iovec *iov,
		      unsigned int n, uint32_t keep, bool *signal);
int hvring_send_ext(struct hvring *r, uint16_t type, uint16_t flags,
		    uint64_t trans_id, const void *ext, uint32_t ext_len,
		    uint32_t keep, const struct iovec *iov, unsigned int n,
		    bool *signal);

static inline uint32_t hvring_packet_bytes(uint32_t payload)
{
	return sizeof(struct vmbus_packet_desc) +
	       ((payload + VMBUS_PKT_ALIGN - 1) & ~(VMBUS_PKT_ALIGN - 1));
}

#endif /* _HVHOST_RING_H */
