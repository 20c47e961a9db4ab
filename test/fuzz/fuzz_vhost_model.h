/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * fuzz_vhost_model.h - an independent model of what lib/vhost's split-ring
 * datapath must do with one ring, for fuzz_vhost_split: guest memory (a
 * few regions of one file), a descriptor-chain walker, the packet a
 * transmit chain carries, the writes and used entries a receive burst
 * makes, and the set of bytes the back-end may write at all.
 *
 * The walker applies the rules the back-end documents (tvh_chain.h,
 * tvh.h): a chain is at most `num` descriptors of the ring, an indirect
 * table is one per chain, is 16-byte entries (1..num of them) inside one
 * memory region, is never nested nor combined with NEXT, and is walked at
 * most its length; a NEXT index must be inside its table; addr + len must
 * not wrap; a transmit chain has no writable descriptor, carries at least
 * the virtio-net header plus one byte and at most TVH_MAX_PKT_LEN after
 * it; a receive chain has only writable descriptors, as far as it is
 * used, and starts with room for the header. Receive chains are walked
 * lazily: a descriptor is looked at only when bytes are to be written into
 * it, and its NEXT index is checked when it is looked at.
 *
 * Memory here is a copy (or the live view) of the guest's file, indexed by
 * file offset; the model never touches the back-end.
 *
 * Threading: single-threaded, like the fuzz targets.
 */
#ifndef FUZZ_VHOST_MODEL_H
#define FUZZ_VHOST_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tv_vring.h"

#define FM_MAX_REGIONS 4
#define FM_MAX_PKT_LEN 65535u /* TVH_MAX_PKT_LEN, documented in tvh.h */

struct fm_region {
	uint64_t gpa;
	uint64_t size;
	uint64_t file_off;
};

/* Guest memory: regions of one file, `base` points at file offset 0. */
struct fm_mem {
	const struct fm_region *r;
	unsigned int n;
	uint8_t *base;
};

/* Host pointer of gpa (NULL if in no region); *contig = bytes from there
 * to the region's end, capped at len. */
uint8_t *fm_xlate(const struct fm_mem *m, uint64_t gpa, uint64_t len,
		  uint64_t *contig);

struct fm_ring {
	uint32_t num;
	uint64_t desc_gpa, avail_gpa, used_gpa;
	bool indirect_ok;
	bool mrg_rxbuf;
	uint32_t hdr_len;
};

/* Why the model refused a chain (for the failure messages). */
enum fm_err {
	FM_OK = 0,
	FM_E_AVAIL_IDX,
	FM_E_HEAD,
	FM_E_NEXT,
	FM_E_LOOP,
	FM_E_INDIRECT,
	FM_E_WRAP,
	FM_E_ADDR,
	FM_E_FLAGS,
	FM_E_HDR,
	FM_E_PKT_LEN,
};

const char *fm_err_name(enum fm_err e);

uint16_t fm_avail_entry(const struct fm_ring *q, const struct fm_mem *m,
			uint16_t idx);
uint16_t fm_avail_idx(const struct fm_ring *q, const struct fm_mem *m);

/* A transmit chain: returns FM_OK and the packet (after the header) in
 * out[0..*len), or the reason it is refused. out has FM_MAX_PKT_LEN bytes.
 * *touches_used: one of its buffers overlaps the used ring (whose bytes
 * the back-end changes while it copies, so the packet's bytes are not
 * predictable). */
enum fm_err fm_tx_chain(const struct fm_ring *q, const struct fm_mem *m,
			uint16_t head, uint8_t *out, uint32_t *len,
			bool *touches_used);

/* One packet for a receive burst. */
struct fm_pkt {
	const uint8_t *data;
	uint32_t len;
};

struct fm_used {
	uint32_t id, len;
};

/* A piece of guest memory (in file offsets) the model wrote as part of a
 * chain it published: the back-end must have written the same bytes. */
struct fm_piece {
	uint64_t file_off;
	uint32_t len;
};

#define FM_MAX_USED   512u
#define FM_MAX_PIECES 8192u

struct fm_rx_out {
	uint16_t done;	    /* packets consumed (delivered or too big) */
	uint16_t delivered; /* of which delivered */
	uint64_t bytes;
	uint32_t too_big;
	uint32_t no_room; /* 0 or 1: the burst ended for want of buffers */
	enum fm_err err;  /* FM_OK, or why the queue broke */
	uint16_t n_used;  /* used entries published */
	struct fm_used used[FM_MAX_USED];
	uint32_t n_pieces;
	bool pieces_overflow;
	struct fm_piece pieces[FM_MAX_PIECES];
};

/* A receive burst of pkts[0..n) starting at avail entry *next, with the
 * front-end's avail index avail_idx (already checked to be at most num
 * ahead): writes what the back-end writes into m (headers, data,
 * num_buffers), advances *next past the published chains and fills *out. */
void fm_rx_burst(const struct fm_ring *q, struct fm_mem *m, uint16_t avail_idx,
		 uint16_t *next, const struct fm_pkt *pkts, uint16_t n,
		 struct fm_rx_out *out);

/* Byte ranges of guest memory in file offsets, merged and sorted. */
struct fm_ranges {
	uint32_t n, cap;
	struct fm_piece *r; /* len 0 never stored */
};

void fm_ranges_add_gpa(struct fm_ranges *rs, const struct fm_mem *m,
		       uint64_t gpa, uint64_t len);
void fm_ranges_sort(struct fm_ranges *rs);
bool fm_ranges_contain(const struct fm_ranges *rs, uint64_t off);
/* Do any two added ranges overlap? (Call before fm_ranges_sort merges.) */
bool fm_ranges_any_overlap(struct fm_ranges *rs);

/* Everything the back-end could ever write into for the chains at avail
 * entries [first, first + count): every writable descriptor reachable
 * from those heads, following NEXT and indirect tables with the walker's
 * budgets but ignoring every other error. Indirect tables and buffers
 * that are read (for the meta-overlap test) go to *tables. */
void fm_rx_writable(const struct fm_ring *q, const struct fm_mem *m,
		    uint16_t first, uint32_t count, struct fm_ranges *writable,
		    struct fm_ranges *tables);

#endif /* FUZZ_VHOST_MODEL_H */
