/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * fuzz_vhost_pmodel.h - an independent model of what lib/vhost's packed
 * ring datapath (virtio 1.2, section 2.8) must do with one ring, for
 * fuzz_vhost_packed: which buffers a burst takes, the packet a transmit
 * buffer carries, the bytes and used descriptors a receive burst writes,
 * and whether the front-end asked for a notification.
 *
 * Written from the spec and lib/vhost's documented contract (tvh.h, the
 * top comments of tvh_packed.c and tvh_pchain.h), not from its code:
 *  - a buffer is available at (position, wrap counter) iff its first
 *    descriptor's AVAIL bit equals the device's wrap counter and USED does
 *    not; the flags of the list's other descriptors are not looked at
 *    (lib/vhost's leniency, as the spec's device does);
 *  - the list is consecutive positions linked by NEXT; the front-end owns
 *    at most num descriptors from the first one not returned to it, so a
 *    list after k descriptors taken in the same burst has at most num - k
 *    (a list running past that is an error, err_chain_loop); its last
 *    descriptor carries the buffer id; one descriptor of it
 *    may name an indirect table (never with NEXT, RING_INDIRECT_DESC
 *    negotiated, 1..num 16-byte entries inside one memory region), whose
 *    entries are all taken in order, WRITE their only meaningful flag;
 *  - addr + len must not wrap; transmit: no direct descriptor is WRITE
 *    (indirect entries may be: DPDK 22.11's virtio-user marks them so), at
 *    most TVH_MAX_PKT_LEN bytes after the header, at least one byte and a
 *    whole header; receive: every descriptor is WRITE and lies in guest
 *    memory entirely, a packet takes one buffer (MRG_RXBUF: at most 64), at
 *    most 64 contiguous pieces of guest memory, and at most 2 num
 *    descriptors read; its first buffer holds the whole header (5.1.6.3.1);
 *    a packet that cannot fit even if the whole ring were its is too big
 *    (dropped), otherwise it waits (no room);
 *  - a used descriptor goes over the buffer's first descriptor: its id,
 *    len (receive: bytes written; transmit: 0), flags AVAIL = USED = the
 *    wrap counter of that position's lap, plus WRITE for receive buffers;
 *    nothing is written for a buffer not consumed, nor for a packet that
 *    is dropped or fails;
 *  - receive buffers get a zero virtio-net header whose num_buffers (12-byte
 *    header only) is the number of buffers, then the packet.
 *
 * lib/vhost writes used descriptors (returns buffers) in batches whose
 * boundaries are its own business; the model returns them at the end of
 * the burst. When the model finds a read (a table entry, a transmitted
 * byte) landing on the id, length or flags of a used descriptor written
 * earlier in the same burst, or a list running into what the burst took
 * (returned by then or not), the outcome depends on those boundaries: the
 * burst is flagged `ambiguous` and only the invariants that hold either
 * way are checked. A received packet written over such a used descriptor
 * only leaves one of two values in those bytes (`either`).
 *
 * Threading: single-threaded, like the fuzz targets.
 */
#ifndef FUZZ_VHOST_PMODEL_H
#define FUZZ_VHOST_PMODEL_H

#include <stdbool.h>
#include <stdint.h>

#include "fuzz_vhost_model.h"

#define PM_MAX_RING	 256u
#define PM_MAX_BURST	 128u
#define PM_MAX_PKT_LEN	 65535u /* TVH_MAX_PKT_LEN (tvh.h) */
#define PM_PKT_SLOT	 65536u /* bytes per packet in pm_tx_out.bytes */
#define PM_RX_MAX_BUFS	 64u	/* buffers one packet may fill */
#define PM_RX_MAX_PIECES 64u	/* contiguous pieces one packet may fill */
#define PM_DESC_SIZE	 16u
#define PM_F_NEXT	 0x1u
#define PM_F_WRITE	 0x2u
#define PM_F_INDIRECT	 0x4u
#define PM_F_AVAIL	 0x80u
#define PM_F_USED	 0x8000u

struct pm_ring {
	uint32_t num; /* power of two, <= PM_MAX_RING */
	uint64_t desc_gpa;
	bool indirect_ok;
	bool mrg_rxbuf;
	uint32_t hdr_len;
};

/* A place in the ring: a position and the wrap counter of its lap (1 on
 * the first lap, section 2.8.1). */
struct pm_idx {
	uint32_t pos;
	bool wrap;
};

void pm_idx_advance(const struct pm_ring *q, struct pm_idx *i, uint32_t n);
/* AVAIL/USED bits of a descriptor made available / used at a lap. */
uint16_t pm_avail_bits(bool wrap);
uint16_t pm_used_bits(bool wrap);
bool pm_is_avail(uint16_t flags, bool wrap);

/* One descriptor as the spec lays it out (struct pvirtq_desc). */
struct pm_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t id;
	uint16_t flags;
};

void pm_desc_get(const uint8_t *p, struct pm_desc *d);
void pm_desc_put(uint8_t *p, const struct pm_desc *d);

enum pm_err {
	PM_OK = 0,
	PM_E_LOOP,     /* err_chain_loop */
	PM_E_INDIRECT, /* err_indirect */
	PM_E_ADDR,     /* err_desc_addr */
	PM_E_FLAGS,    /* err_desc_flags */
	PM_E_HDR,      /* err_hdr */
	PM_E_PKT_LEN,  /* err_pkt_len */
};

const char *pm_err_name(enum pm_err e);

/* When the model returns a burst's buffers (writes their used
 * descriptors). At the end is the reading checked exactly; lib/vhost may
 * return earlier, in batches of its choosing, and at once is the other
 * extreme; returning at the end but letting lists run on to the ring
 * size is what a back-end does that reads descriptors it took and has not
 * returned. */
enum pm_return {
	PM_RETURN_AT_END,
	PM_RETURN_AT_ONCE, /* written into m as each buffer is taken */
	PM_RETURN_AT_END_UNBOUNDED,
};

struct pm_used {
	struct pm_idx at; /* the buffer's first descriptor */
	uint16_t id;
	uint32_t len;
};

/* One buffer transmitted: its packet in bytes[k * PM_PKT_SLOT ..). */
struct pm_tx_pkt {
	uint32_t len;
	bool bytes_unsure; /* read over a used descriptor of this burst */
};

struct pm_tx_out {
	uint16_t n_used; /* buffers consumed (delivered or discarded) */
	struct pm_used used[PM_MAX_BURST];
	struct pm_tx_pkt pkt[PM_MAX_BURST];
	uint32_t no_mbufs;   /* 0 or 1: the burst ended for want of mbufs */
	uint32_t mbufs_held; /* by the packets delivered */
	enum pm_err err;     /* PM_OK, or why the queue broke */
	uint32_t n_desc;     /* how far the index moved */
	struct pm_idx next;
	const char *ambiguous; /* NULL, or why the model cannot tell */
};

/* A transmit burst of at most n buffers from `start`, reading memory m;
 * mbufs of `room` data bytes, `free_mbufs` of them in the pool; discard:
 * the packets are dropped (their mbufs freed) as they are taken. bytes has
 * PM_MAX_BURST * PM_PKT_SLOT bytes. */
void pm_tx_burst(const struct pm_ring *q, const struct fm_mem *m,
		 enum pm_return ret, struct pm_idx start, uint16_t n,
		 uint32_t room, uint32_t free_mbufs, bool discard,
		 uint8_t *bytes, struct pm_tx_out *out);

struct pm_rx_pkt {
	const uint8_t *data;
	uint32_t len;
};

#define PM_RX_MAX_USED (PM_MAX_BURST * PM_RX_MAX_BUFS)
#define PM_MAX_EITHER  1024u

struct pm_rx_out {
	uint16_t done;	    /* packets consumed (delivered or too big) */
	uint16_t delivered; /* of which delivered */
	uint64_t bytes;
	uint32_t too_big;
	uint32_t no_room; /* 0 or 1 */
	enum pm_err err;
	uint32_t n_desc;
	struct pm_idx next;
	const char *ambiguous; /* NULL, or why the model cannot tell */
	/* Bytes (file offsets) where a packet was written over a used
	 * descriptor of the same burst: either value may be there. */
	uint32_t n_either;
	struct fm_piece either[PM_MAX_EITHER];
	uint32_t n_used;
	struct pm_used used[PM_RX_MAX_USED]; /* last: not cleared */
};

/* A receive burst of pkts[0..n) from `start`: writes headers and packets
 * into m as lib/vhost must (used descriptors: pm_write_used). */
void pm_rx_burst(const struct pm_ring *q, const struct fm_mem *m,
		 enum pm_return ret, struct pm_idx start,
		 const struct pm_rx_pkt *pkts, uint16_t n,
		 struct pm_rx_out *out);

/* Write used descriptors into m (the ring part of guest memory). */
void pm_write_used(const struct pm_ring *q, const struct fm_mem *m,
		   const struct pm_used *u, uint32_t n, bool write);

/* Does a front-end whose driver event suppression structure holds
 * (flags, off_wrap) want a notification after the device used the n
 * descriptors from `from` on? (section 2.8.10; with EVENT_IDX, DESC names
 * one descriptor, its offset taken modulo num; without, DESC is treated
 * as ENABLE.) */
bool pm_want_call(const struct pm_ring *q, struct pm_idx from, uint32_t n,
		  uint16_t ev_flags, uint16_t ev_off_wrap, bool event_idx);

/* Everything a receive burst could write into, whatever the descriptors'
 * AVAIL/USED bits say: every WRITE descriptor of the ring and every WRITE
 * entry of a table a ring descriptor names (for ambiguous bursts). */
void pm_rx_writable(const struct pm_ring *q, const struct fm_mem *m,
		    struct fm_ranges *out);

#endif /* FUZZ_VHOST_PMODEL_H */
