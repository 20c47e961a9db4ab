/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * tvh_tx.h - front-end transmit buffers into mbufs, one descriptor at a
 * time: what the general walkers of both ring layouts (tvh_split_tx.c,
 * tvh_packed.c) do with each descriptor copy their chain walk hands them.
 */
#ifndef TVH_TX_H
#define TVH_TX_H

#include <errno.h>
#include <inttypes.h>

#include <rte_mbuf.h>

#include "tvh_internal.h"

/* Append len bytes at host pointer src to the packet, growing it by new
 * segments from pool. Returns 0 or -ENOMEM. */
static inline int
tvh_tx_append(const struct tvh_vq *vq, struct rte_mbuf *m,
	      struct rte_mbuf **last, struct rte_mempool *pool,
	      const uint8_t *src, uint32_t len)
{
	struct rte_mbuf *seg = *last;

	while (len > 0) {
		uint32_t room = rte_pktmbuf_tailroom(seg);
		uint32_t n;

		if (room == 0) {
			struct rte_mbuf *next = rte_pktmbuf_alloc(pool);

			if (next == NULL)
				return -ENOMEM;
			room = rte_pktmbuf_tailroom(next);
			if (room == 0 || m->nb_segs == UINT16_MAX) {
				rte_pktmbuf_free(next);
				return -ENOMEM;
			}
			seg->next = next;
			seg = next;
			m->nb_segs++;
		}
		n = len < room ? len : room;
		tvh_copy(vq,
			 rte_pktmbuf_mtod_offset(seg, uint8_t *, seg->data_len),
			 src, n);
		seg->data_len += n;
		m->pkt_len += n;
		src += n;
		len -= n;
	}
	*last = seg;
	return 0;
}

/* Where one packet's walk stands. */
struct tvh_tx_walk {
	struct rte_mbuf *m;    /* the packet */
	struct rte_mbuf *last; /* its last segment */
	uint32_t hdr_left;     /* virtio-net header bytes still to skip */
	uint64_t bytes;	       /* descriptor bytes so far */
};

static inline void
tvh_tx_walk_init(const struct tvh_vq *vq, struct tvh_tx_walk *w,
		 struct rte_mbuf *m)
{
	w->m = m;
	w->last = m;
	w->hdr_left = vq->hdr_len;
	w->bytes = 0;
}

/* The bytes of descriptor copy d (of the buffer at `head`: a ring index
 * for the logs) into the packet, the header skipped byte-exactly (it may
 * end anywhere, even in a later descriptor). Returns 0, -ENOMEM (out of
 * mbufs) or -EINVAL (counted, queue broken). */
static inline int
tvh_tx_desc(struct tvh_vq *vq, uint32_t head, const struct tv_desc *d,
	    struct rte_mempool *pool, struct tvh_tx_walk *w)
{
	uint64_t addr = d->addr;
	uint32_t len = d->len;

	/* A device-writable buffer has no place in a transmitted packet,
	 * except in a packed ring's indirect table (INDIRECT set by
	 * tvh_pchain_next): DPDK 22.11's virtio-user marks every entry of
	 * its packed indirect tables WRITE, its header's included, and
	 * DPDK's back-end does not look. Reading it harms nobody. */
	if (unlikely((d->flags & (TV_DESC_F_WRITE | TV_DESC_F_INDIRECT)) ==
		     TV_DESC_F_WRITE)) {
		tvh_vq_error(vq, TVH_DP_ERR_DESC_FLAGS,
			     "front-end put a device-writable buffer in "
			     "transmitted chain %u",
			     head);
		return -EINVAL;
	}
	/* Checked before copying: a front-end must not make us copy
	 * gigabytes for one packet. */
	w->bytes += len;
	if (unlikely(w->bytes > TVH_MAX_PKT_LEN + vq->hdr_len)) {
		tvh_vq_error(vq, TVH_DP_ERR_PKT_LEN,
			     "front-end transmitted more than %u bytes in "
			     "chain %u",
			     TVH_MAX_PKT_LEN, head);
		return -EINVAL;
	}
	while (len > 0) {
		uint64_t contig;
		const uint8_t *p = tvh_gpa_to_host(vq->mem, addr, len, &contig);
		uint32_t skip;
		int rc;

		if (unlikely(p == NULL)) {
			tvh_vq_error(vq, TVH_DP_ERR_DESC_ADDR,
				     "front-end's buffer 0x%" PRIx64
				     " (%u bytes) of chain %u is outside its "
				     "memory table",
				     d->addr, d->len, head);
			return -EINVAL;
		}
		skip = w->hdr_left < contig ? w->hdr_left : (uint32_t)contig;
		w->hdr_left -= skip;
		rc = tvh_tx_append(vq, w->m, &w->last, pool, p + skip,
				   (uint32_t)contig - skip);
		if (unlikely(rc < 0))
			return rc;
		addr += contig;
		len -= (uint32_t)contig;
	}
	return 0;
}

/* After the last descriptor: a whole header and at least one byte of
 * packet. 0 or -EINVAL (counted, queue broken). */
static inline int
tvh_tx_walk_end(struct tvh_vq *vq, uint32_t head, const struct tvh_tx_walk *w)
{
	if (unlikely(w->hdr_left > 0)) {
		tvh_vq_error(vq, TVH_DP_ERR_HDR,
			     "front-end's chain %u is shorter than the %u-byte "
			     "virtio-net header",
			     head, vq->hdr_len);
		return -EINVAL;
	}
	if (unlikely(w->m->pkt_len == 0)) {
		tvh_vq_error(
			vq, TVH_DP_ERR_PKT_LEN,
			"front-end transmitted an empty packet in chain %u",
			head);
		return -EINVAL;
	}
	return 0;
}

/* ---- The fast paths' helpers (tvh_split_tx.c, tvh_packed.c) ---- */

/* Host pointer to all of [addr, addr + len) if it lies in one region and
 * does not wrap; NULL otherwise (the walker will say why). len > 0. */
static inline const uint8_t *
tvh_tx_fast_ptr(const struct tvh_vq *vq, uint64_t addr, uint32_t len)
{
	uint64_t contig;
	const uint8_t *p;

	if (unlikely(addr + len - 1 < addr))
		return NULL;
	p = tvh_gpa_to_host(vq->mem, addr, len, &contig);
	return p != NULL && contig == len ? p : NULL;
}

/* Turn a raw mbuf from the pool (refcnt 1, nb_segs 1, next NULL: the
 * pool's invariant) into a one-segment packet of len bytes at the default
 * headroom: what rte_pktmbuf_reset and the length stores did, in the
 * mbuf's first line only. The second line (next, tx_offload) is not
 * written: next is NULL already, and tx_offload means nothing without
 * the ol_flags that ask for an offload (as in DPDK's own RX paths). */
static __rte_always_inline void
tvh_tx_mbuf_init(struct rte_mbuf *m, uint16_t headroom, uint32_t len)
{
	uint64_t rearm = (uint64_t)headroom | 1ull << 16 | 1ull << 32 |
			 (uint64_t)RTE_MBUF_PORT_INVALID << 48;

	/* rearm_data: data_off, refcnt, nb_segs, port. */
	RTE_BUILD_BUG_ON(offsetof(struct rte_mbuf, refcnt) !=
			 offsetof(struct rte_mbuf, data_off) + 2);
	RTE_BUILD_BUG_ON(offsetof(struct rte_mbuf, nb_segs) !=
			 offsetof(struct rte_mbuf, data_off) + 4);
	RTE_BUILD_BUG_ON(offsetof(struct rte_mbuf, port) !=
			 offsetof(struct rte_mbuf, data_off) + 6);
	memcpy((char *)m + offsetof(struct rte_mbuf, data_off), &rearm,
	       sizeof(rearm));
	m->ol_flags &= RTE_MBUF_F_EXTERNAL;
	m->packet_type = 0;
	m->pkt_len = len;
	m->data_len = (uint16_t)len;
	m->vlan_tci = 0;
	m->vlan_tci_outer = 0;
}

/* Data room after the default headroom of the pool's mbufs (what
 * tx_fast_batch computes per mbuf). */
static inline uint32_t
tvh_tx_pool_room(struct rte_mempool *pool)
{
	uint16_t room = rte_pktmbuf_data_room_size(pool);

	return room - RTE_MIN((uint16_t)RTE_PKTMBUF_HEADROOM, room);
}

#endif /* TVH_TX_H */
