/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * tvh_chain.h - walking one split-ring descriptor chain (direct or through
 * an indirect table), for the datapath.
 *
 * The front-end may rewrite descriptors while we walk them, so each one is
 * read from shared memory exactly once into a local copy; only the copy is
 * checked and used. Every walk has a budget (the ring size, or the
 * indirect table's length) so a loop in the chain ends in an error instead
 * of a spin (virtio 1.2, 2.7.5.3.1: a chain is never longer than the
 * queue size; 2.7.5.3.1: no nested indirect tables, INDIRECT and NEXT
 * never together).
 */
#ifndef TVH_CHAIN_H
#define TVH_CHAIN_H

#include <inttypes.h>
#include <string.h>

#include <rte_atomic.h>

#include "tvh_internal.h"

struct tvh_chain {
	const struct tv_desc *table; /* ring table or indirect table */
	uint32_t table_len;	     /* entries in `table` */
	uint32_t budget;	     /* descriptors still allowed */
	uint32_t idx;		     /* next entry of `table` to read */
	uint32_t reads;		     /* descriptors read, ring and indirect */
	bool in_indirect;
	bool more;
};

/* Begin the chain at `head` (an avail ring entry). Returns 0, or -EINVAL
 * (counted, queue broken) if head is not a descriptor index. */
static inline int
tvh_chain_start(struct tvh_vq *vq, uint16_t head, struct tvh_chain *c)
{
	if (unlikely(head >= vq->num)) {
		tvh_vq_error(vq, TVH_DP_ERR_DESC_INDEX,
			     "front-end made head %u available, ring size %u",
			     head, vq->num);
		return -EINVAL;
	}
	c->table = vq->ring.desc;
	c->table_len = vq->num;
	c->budget = vq->num;
	c->idx = head;
	c->reads = 0;
	c->in_indirect = false;
	c->more = true;
	return 0;
}

/* The single read of a descriptor out of shared memory. A guest may place
 * an indirect table at any address, so the copy is a byte copy (no
 * alignment assumed; it compiles to one unaligned 16-byte load). The
 * compiler barrier after it keeps the compiler from re-reading guest
 * memory in place of the copy: only `out` is used afterwards. */
static inline void
tvh_desc_read(const struct tv_desc *table, uint32_t i, struct tv_desc *out)
{
	memcpy(out, (const char *)table + (size_t)i * sizeof(*out),
	       sizeof(*out));
	rte_compiler_barrier();
}

static __rte_noinline int
tvh_chain_enter_indirect(struct tvh_vq *vq, struct tvh_chain *c,
			 struct tv_desc *d)
{
	uint64_t contig = 0;
	const struct tv_desc *table;

	if (c->in_indirect) {
		tvh_vq_error(vq, TVH_DP_ERR_INDIRECT,
			     "front-end nested an indirect table");
		return -EINVAL;
	}
	if (!vq->indirect_ok) {
		tvh_vq_error(vq, TVH_DP_ERR_INDIRECT,
			     "front-end used an indirect table without "
			     "negotiating RING_INDIRECT_DESC");
		return -EINVAL;
	}
	if (d->flags & TV_DESC_F_NEXT) {
		tvh_vq_error(vq, TVH_DP_ERR_INDIRECT,
			     "front-end set INDIRECT and NEXT together");
		return -EINVAL;
	}
	if (d->len == 0 || d->len % sizeof(struct tv_desc) != 0 ||
	    d->len / sizeof(struct tv_desc) > vq->num) {
		tvh_vq_error(vq, TVH_DP_ERR_INDIRECT,
			     "front-end gave an indirect table of %u bytes "
			     "(ring size %u)",
			     d->len, vq->num);
		return -EINVAL;
	}
	table = (const struct tv_desc *)tvh_gpa_to_host(vq->mem, d->addr,
							d->len, &contig);
	if (table == NULL || contig < d->len) {
		tvh_vq_error(vq, TVH_DP_ERR_DESC_ADDR,
			     "front-end put an indirect table at 0x%" PRIx64
			     " (%u bytes) outside its memory table",
			     d->addr, d->len);
		return -EINVAL;
	}
	c->table = table;
	c->table_len = d->len / sizeof(struct tv_desc);
	c->budget = c->table_len - 1;
	c->in_indirect = true;
	c->reads++;
	tvh_desc_read(table, 0, d);
	if (d->flags & TV_DESC_F_INDIRECT) {
		tvh_vq_error(vq, TVH_DP_ERR_INDIRECT,
			     "front-end nested an indirect table");
		return -EINVAL;
	}
	return 0;
}

/* Next descriptor of the chain into *d. Returns 1, 0 at the end of the
 * chain, or -EINVAL (counted, queue broken). */
static inline int
tvh_chain_next(struct tvh_vq *vq, struct tvh_chain *c, struct tv_desc *d)
{
	if (!c->more)
		return 0;
	if (unlikely(c->budget == 0)) {
		tvh_vq_error(vq, TVH_DP_ERR_CHAIN_LOOP,
			     "front-end's chain is longer than %u descriptors "
			     "(a loop?)",
			     c->table_len);
		return -EINVAL;
	}
	c->budget--;
	c->reads++;
	tvh_desc_read(c->table, c->idx, d);
	if (unlikely(d->flags & TV_DESC_F_INDIRECT) &&
	    tvh_chain_enter_indirect(vq, c, d) < 0)
		return -EINVAL;
	if (d->flags & TV_DESC_F_NEXT) {
		if (unlikely(d->next >= c->table_len)) {
			tvh_vq_error(vq, TVH_DP_ERR_DESC_INDEX,
				     "front-end chained to descriptor %u of a "
				     "%s of %u",
				     d->next,
				     c->in_indirect ? "indirect table" : "ring",
				     c->table_len);
			return -EINVAL;
		}
		c->idx = d->next;
	} else {
		c->more = false;
	}
	/* addr + len must not wrap: later code adds offsets to addr. */
	if (unlikely(d->len != 0 && d->addr + d->len - 1 < d->addr)) {
		tvh_vq_error(vq, TVH_DP_ERR_DESC_ADDR,
			     "front-end's buffer 0x%" PRIx64
			     " + %u wraps around",
			     d->addr, d->len);
		return -EINVAL;
	}
	return 1;
}

#endif /* TVH_CHAIN_H */
