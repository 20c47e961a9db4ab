/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * tvh_pchain.h - walking one packed-ring buffer (virtio 1.2, section 2.8):
 * a list of descriptors at consecutive ring positions linked by NEXT, or
 * one descriptor naming an indirect table, for the datapath.
 *
 * The rules are the split walker's (tvh_chain.h): each descriptor is read
 * from shared memory once into a local copy and only the copy is used;
 * every walk is bounded (a list by the ring size, an indirect table by its
 * length); no nested tables, INDIRECT and NEXT never together. The head's
 * flags are loaded with acquire first (tvh_pchain_start): the front-end
 * writes them last, after the rest of the list (section 2.8.21), so the
 * loads after it see the list it published. The flags of the other
 * descriptors in the list are not judged (the device only looks at the
 * head's, as the spec's device does): their NEXT, WRITE and INDIRECT bits
 * are used, their AVAIL/USED bits are the front-end's business.
 */
#ifndef TVH_PCHAIN_H
#define TVH_PCHAIN_H

#include <inttypes.h>
#include <string.h>

#include <rte_atomic.h>

#include "tvh_internal.h"

struct tvh_pchain {
	const struct tv_packed_desc *itable; /* indirect table, or NULL */
	uint32_t ilen;			     /* entries in itable */
	uint32_t ipos;			     /* next entry of itable */
	uint32_t reads;			     /* descriptors read in all */
	uint16_t head;			     /* free-running ring index */
	uint16_t nd;	/* ring descriptors taken (the used index moves by) */
	uint16_t id;	/* buffer id, once the ring part ended */
	uint16_t flags; /* the head's flags, loaded with acquire */
	uint16_t max_nd; /* ring descriptors the list may take */
	bool more;	 /* another ring descriptor follows */
};

/* The one read of a packed descriptor (a byte copy: an indirect table may
 * sit at any address); the compiler barrier keeps the compiler from
 * reading guest memory again in place of the copy. */
static inline void
tvh_pdesc_read(const struct tv_packed_desc *table, uint32_t i,
	       struct tv_packed_desc *out)
{
	memcpy(out, (const char *)table + (size_t)i * sizeof(*out),
	       sizeof(*out));
	rte_compiler_barrier();
}

/* Descriptors the front-end owns from free-running index idx on, while
 * `ret` is the first descriptor the burst has not yet returned (written
 * used): at most num from ret (virtio 1.2, 2.8: the driver offers at most
 * the ring's size past the device's used position). A burst never takes
 * more: the positions after those are ones it took and has not returned,
 * whatever their flags say now. */
static inline uint16_t
tvh_pring_left(const struct tvh_vq *vq, uint16_t ret, uint16_t idx)
{
	uint16_t taken = (uint16_t)(idx - ret);

	return taken >= vq->num ? 0 : (uint16_t)(vq->num - taken);
}

/* Is the descriptor at free-running index `head` available? If so, start
 * a walk there. `ret`: see tvh_pring_left; a list may not run past ret +
 * num either. The flags of a list's later descriptors are not judged, so
 * without this bound a list could run on into descriptors this burst
 * already took (read them again, and move the indexes more than a lap). */
static inline bool
tvh_pchain_start(const struct tvh_vq *vq, uint16_t head, uint16_t ret,
		 struct tvh_pchain *c)
{
	const uint16_t left = tvh_pring_left(vq, ret, head);
	uint16_t flags;

	if (left == 0)
		return false;
	/* Acquire: pairs with the front-end's release (write barrier, then
	 * flags) when it makes the head available; the descriptors read
	 * after this are the ones it published. */
	flags = __atomic_load_n(&vq->pring.desc[head & (vq->num - 1)].flags,
				__ATOMIC_ACQUIRE);
	if (!tv_packed_desc_is_avail(flags, tv_packed_wrap(head, vq->num)))
		return false;
	c->itable = NULL;
	c->ilen = 0;
	c->ipos = 0;
	c->reads = 0;
	c->head = head;
	c->nd = 0;
	c->id = 0;
	c->flags = flags;
	c->max_nd = left;
	c->more = true;
	return true;
}

static __rte_noinline int
tvh_pchain_enter_indirect(struct tvh_vq *vq, struct tvh_pchain *c,
			  const struct tv_packed_desc *pd, uint16_t flags)
{
	uint64_t contig = 0;
	const struct tv_packed_desc *table;

	if (!vq->indirect_ok) {
		tvh_vq_error(vq, TVH_DP_ERR_INDIRECT,
			     "front-end used an indirect table without "
			     "negotiating RING_INDIRECT_DESC");
		return -EINVAL;
	}
	if (flags & TV_DESC_F_NEXT) {
		tvh_vq_error(vq, TVH_DP_ERR_INDIRECT,
			     "front-end set INDIRECT and NEXT together");
		return -EINVAL;
	}
	if (pd->len == 0 || pd->len % sizeof(struct tv_packed_desc) != 0 ||
	    pd->len / sizeof(struct tv_packed_desc) > vq->num) {
		tvh_vq_error(vq, TVH_DP_ERR_INDIRECT,
			     "front-end gave an indirect table of %u bytes "
			     "(ring size %u)",
			     pd->len, vq->num);
		return -EINVAL;
	}
	table = (const struct tv_packed_desc *)tvh_gpa_to_host(
		vq->mem, pd->addr, pd->len, &contig);
	if (table == NULL || contig < pd->len) {
		tvh_vq_error(vq, TVH_DP_ERR_DESC_ADDR,
			     "front-end put an indirect table at 0x%" PRIx64
			     " (%u bytes) outside its memory table",
			     pd->addr, pd->len);
		return -EINVAL;
	}
	c->itable = table;
	c->ilen = pd->len / sizeof(struct tv_packed_desc);
	c->ipos = 0;
	return 0;
}

/* Next descriptor of the buffer into *d (addr, len, and of the flags
 * WRITE, and INDIRECT for an entry of an indirect table: see tvh_tx_desc).
 * Returns 1, 0 at the end, or -EINVAL (counted, queue broken). */
static inline int
tvh_pchain_next(struct tvh_vq *vq, struct tvh_pchain *c, struct tv_desc *d)
{
	struct tv_packed_desc pd;
	uint16_t flags;

	if (c->itable == NULL) {
		if (!c->more)
			return 0;
		if (unlikely(c->nd == c->max_nd)) {
			tvh_vq_error(vq, TVH_DP_ERR_CHAIN_LOOP,
				     "front-end's buffer at %u runs over %u "
				     "descriptors into ones not returned to it "
				     "yet (ring size %u)",
				     c->head & (vq->num - 1), c->max_nd,
				     vq->num);
			return -EINVAL;
		}
		tvh_pdesc_read(vq->pring.desc,
			       (uint16_t)(c->head + c->nd) & (vq->num - 1),
			       &pd);
		/* The head's flags are the value that was found available,
		 * not the copy's (the front-end may have changed them). */
		flags = c->nd == 0 ? c->flags : pd.flags;
		c->nd++;
		c->reads++;
		c->more = (flags & TV_DESC_F_NEXT) != 0;
		if (!c->more)
			c->id = pd.id; /* the list's last carries the id */
		if (unlikely(flags & TV_DESC_F_INDIRECT)) {
			if (tvh_pchain_enter_indirect(vq, c, &pd, flags) < 0)
				return -EINVAL;
			/* The table's entries follow. */
		} else {
			d->addr = pd.addr;
			d->len = pd.len;
			d->flags = flags & TV_DESC_F_WRITE;
			d->next = 0;
			goto check;
		}
	}
	/* In an indirect table: consecutive entries, WRITE the only flag
	 * that means anything (section 2.8.19: the others, and the id, are
	 * reserved and ignored). */
	if (c->ipos == c->ilen)
		return 0;
	tvh_pdesc_read(c->itable, c->ipos++, &pd);
	c->reads++;
	d->addr = pd.addr;
	d->len = pd.len;
	d->flags = (pd.flags & TV_DESC_F_WRITE) | TV_DESC_F_INDIRECT;
	d->next = 0;
check:
	/* addr + len must not wrap: later code adds offsets to addr. */
	if (unlikely(d->len != 0 && d->addr + d->len - 1 < d->addr)) {
		tvh_vq_error(vq, TVH_DP_ERR_DESC_ADDR,
			     "front-end's buffer 0x%" PRIx64 " + %u wraps around",
			     d->addr, d->len);
		return -EINVAL;
	}
	return 1;
}

#endif /* TVH_PCHAIN_H */
