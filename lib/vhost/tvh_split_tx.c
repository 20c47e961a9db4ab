/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * Split ring, front-end transmit queues (odd virtqueues): guest buffers ->
 * new mbufs. The virtio-net header is skipped (no offloads are offered, so
 * it carries nothing we use) but its descriptors are checked like any
 * other.
 *
 * Two paths share one burst:
 *  - the fast path takes the common layouts (header and packet in one
 *    descriptor, or header descriptor + packet descriptor, the packet
 *    fitting one mbuf) in batches of up to TVH_BATCH: the avail entries
 *    are read in one go and the mbufs taken from the pool in bulk, then
 *    each descriptor is copied once, checked, and its packet copied; the
 *    used entries go to a shadow ring written out once per batch;
 *  - the general walker (tx_chain) takes anything else, one packet at a
 *    time, and is the only place that reports front-end errors. The fast
 *    path never judges a descriptor: whatever it does not recognise, it
 *    leaves to the walker, which reads the chain again and checks its own
 *    copy (each path reads each descriptor once and uses only its copy).
 * used->idx is stored once per burst.
 */
#include <errno.h>

#include <rte_mbuf.h>
#include <rte_memcpy.h>

#include "tvh_chain.h"
#include "tvh_tx.h"

/* One packet from the chain at `head` into m (a fresh mbuf from pool,
 * grown by more segments when needed). Returns 0, -ENOMEM (nothing
 * consumed, try again later), -ERANGE (head is not a descriptor: cannot
 * even be returned) or -EINVAL (bad chain, counted; return it with length
 * 0). On failure the caller frees m (with any segments added). */
static int
tx_chain(struct tvh_vq *vq, uint16_t head, struct rte_mempool *pool,
	 struct rte_mbuf *m)
{
	struct tvh_tx_walk w;
	struct tvh_chain c;
	struct tv_desc d;
	int rc;

	if (tvh_chain_start(vq, head, &c) < 0)
		return -ERANGE;
	tvh_tx_walk_init(vq, &w, m);
	while ((rc = tvh_chain_next(vq, &c, &d)) > 0) {
		rc = tvh_tx_desc(vq, head, &d, pool, &w);
		if (unlikely(rc < 0))
			return rc;
	}
	if (rc < 0)
		return -EINVAL;
	return tvh_tx_walk_end(vq, head, &w);
}

/* The fast path's look at chain `head`: if it is header+packet in one
 * read-only descriptor, or a header-only descriptor chained to one
 * read-only packet descriptor, with the packet (1..room bytes) in
 * translatable memory, point *src and *len at the packet and return true.
 * Anything else (including anything wrong) returns false. */
static __rte_always_inline bool
tx_fast_check(const struct tvh_vq *vq, uint16_t head, uint32_t room,
	      const uint8_t **src, uint32_t *len)
{
	const uint32_t hdr_len = vq->hdr_len;
	struct tv_desc d, d2;
	const uint8_t *p;

	if (unlikely(head >= vq->num))
		return false;
	tvh_desc_read(vq->ring.desc, head, &d);
	if (d.flags == 0) {
		/* One descriptor: header, then packet. */
		if (unlikely(d.len <= hdr_len || d.len - hdr_len > room))
			return false;
		p = tvh_tx_fast_ptr(vq, d.addr, d.len);
		if (unlikely(p == NULL))
			return false;
		*src = p + hdr_len;
		*len = d.len - hdr_len;
		return true;
	}
	if (d.flags != TV_DESC_F_NEXT || d.len != hdr_len || d.next >= vq->num)
		return false;
	/* The packet descriptor's shape first: a longer chain (a jumbo
	 * frame in segments) leaves before any translation. */
	tvh_desc_read(vq->ring.desc, d.next, &d2);
	if (d2.flags != 0 || d2.len == 0 || d2.len > room)
		return false;
	/* The header descriptor is checked like any other, though its
	 * bytes are not used. */
	if (unlikely(tvh_tx_fast_ptr(vq, d.addr, d.len) == NULL))
		return false;
	p = tvh_tx_fast_ptr(vq, d2.addr, d2.len);
	if (unlikely(p == NULL))
		return false;
	*src = p;
	*len = d2.len;
	return true;
}

/* Working state of one dequeue burst. */
struct tx_burst {
	uint16_t used_idx; /* next used entry to write */
	uint16_t got;	   /* packets stored in pkts[] */
	uint64_t bytes;
	bool stop; /* no mbufs, or the queue broke */
};

/* Fast path: up to k packets whose chains tx_fast_check accepts, starting
 * at last_avail_idx. Returns how many were consumed (a prefix: it stops at
 * the first chain it does not take, or when the pool runs dry).
 *
 * The mbufs come from the pool in bulk, raw, and each is initialised just
 * before its packet is copied into it; one pass per packet. Measured with
 * bench_vhost_dp on 4 KiB pages (--no-huge), 64 B: 24 cycles a packet,
 * against 48 with rte_pktmbuf_alloc_bulk() (which resets all 32 mbufs
 * first: their lines and TLB entries are gone again by the time they are
 * filled) and 40 for the walker with one rte_pktmbuf_alloc() per packet. */
static uint32_t
tx_fast_batch(struct tvh_vq *vq, struct tx_burst *b, struct rte_mempool *pool,
	      struct rte_mbuf **pkts, uint32_t k)
{
	const uint16_t mask = (uint16_t)(vq->num - 1);
	const uint16_t last_avail = vq->last_avail_idx;
	const volatile uint16_t *avail_ring = vq->ring.avail->ring;
	struct tv_used_elem sh[TVH_BATCH];
	const uint32_t room = tvh_tx_pool_room(pool);
	const uint8_t *src0;
	uint64_t bytes = 0;
	uint32_t i, n, len0;

	/* The avail entries, each read once: the first, then (if the
	 * fast path takes it) the others. */
	sh[0].id = avail_ring[last_avail & mask];
	/* A first chain the fast path will not take (a jumbo frame, a
	 * chain of many descriptors) would cost a bulk get and put of k
	 * mbufs for nothing, once per such packet: look first. The loop
	 * copies this packet from what this check read. Room is the
	 * pool's, as every mbuf of a pktmbuf pool has the same buffer (the
	 * loop checks each mbuf's own as well).
	 * Callgrind, one-core loop at 9000 B: tx_fast_batch 507 -> 71
	 * instructions a packet. */
	if (!tx_fast_check(vq, (uint16_t)sh[0].id, room, &src0, &len0))
		return 0;
	for (i = 1; i < k; i++)
		sh[i].id = avail_ring[(uint16_t)(last_avail + i) & mask];
	if (unlikely(rte_mempool_get_bulk(pool, (void **)pkts, k) != 0))
		return 0; /* the walker tries one mbuf at a time */
	/* Packet n+1 is checked (and its first lines prefetched) before
	 * packet n is copied, so its descriptor and source are on their way
	 * while the copy runs. One-core loop at 1518 B, medians of 3 in one
	 * run: 7.84 -> 8.29 Mpps with rx_fast_batch's prefetch (which alone
	 * gave 7.14 -> 7.47 in another run); no change at 64 B. */
	for (n = 0; n < k;) {
		struct rte_mbuf *m = pkts[n];
		/* rte_pktmbuf_reset's headroom. */
		uint16_t headroom =
			RTE_MIN((uint16_t)RTE_PKTMBUF_HEADROOM, m->buf_len);
		const uint8_t *src = src0;
		uint32_t len = len0;
		bool more;

		/* Checked against the pool's room; each mbuf has its own. */
		if (unlikely(len > (uint32_t)(m->buf_len - headroom)))
			break;
		more = n + 1 < k && tx_fast_check(vq, (uint16_t)sh[n + 1].id,
						  room, &src0, &len0);
		if (more)
			tvh_prefetch_run(src0, len0);
		tvh_tx_mbuf_init(m, headroom, len);
		tvh_copy(vq, rte_pktmbuf_mtod(m, void *), src, len);
		bytes += len;
		sh[n].len = 0;
		n++;
		if (!more)
			break;
	}
	/* Unused mbufs go back as they came: still valid raw mbufs. */
	if (n < k)
		rte_mempool_put_bulk(pool, (void **)(pkts + n), k - n);
	if (n > 0) {
		tvh_used_flush(vq, b->used_idx, sh, n);
		b->used_idx = (uint16_t)(b->used_idx + n);
		vq->last_avail_idx = (uint16_t)(last_avail + n);
		b->got = (uint16_t)(b->got + n);
		b->bytes += bytes;
	}
	return n;
}

/* General walker for the chain at last_avail_idx: one packet into *slot.
 * Returns 1 if the chain was consumed (delivered or, if bad, returned
 * with length 0), 0 if not; sets b->stop when the burst must end. */
static uint32_t
tx_slow_one(struct tvh_vq *vq, struct tx_burst *b, struct rte_mempool *pool,
	    struct rte_mbuf **slot)
{
	const uint16_t mask = (uint16_t)(vq->num - 1);
	uint16_t head = *(volatile uint16_t *)&vq->ring.avail
				 ->ring[vq->last_avail_idx & mask];
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	struct tv_used_elem *ue;
	int rc;

	if (m == NULL) {
		vq->stats.no_mbufs++;
		b->stop = true;
		return 0;
	}
	rc = tx_chain(vq, head, pool, m);
	if (rc == -ENOMEM)
		vq->stats.no_mbufs++;
	if (rc == -ENOMEM || rc == -ERANGE) {
		rte_pktmbuf_free(m);
		b->stop = true;
		return 0;
	}
	/* Consumed: a bad chain goes back with length 0 so the front-end
	 * can reclaim its buffers. */
	vq->last_avail_idx++;
	ue = &vq->ring.used->ring[b->used_idx & mask];
	ue->id = head;
	ue->len = 0;
	b->used_idx++;
	if (rc < 0) {
		rte_pktmbuf_free(m);
		b->stop = true;
		return 1;
	}
	b->bytes += m->pkt_len;
	*slot = m;
	b->got++;
	return 1;
}

/* A started but disabled transmit ring: consume and drop what the
 * front-end made available (checked like any chain). */
static void
tx_discard(struct tvh_vq *vq, struct tx_burst *b, struct rte_mempool *pool,
	   uint16_t n)
{
	struct rte_mbuf *m;

	while (n-- > 0 && !b->stop) {
		b->got = 0;
		if (tx_slow_one(vq, b, pool, &m) == 1 && b->got == 1) {
			rte_pktmbuf_free(m);
			vq->discarded++;
		}
	}
	b->got = 0;
	b->bytes = 0;
}

uint16_t
tvh_dequeue_burst(struct tvh_dev *dev, uint16_t vq_idx,
		  struct rte_mempool *pool, struct rte_mbuf **pkts, uint16_t n)
{
	struct tvh_vq *vq;
	struct tx_burst b = {.got = 0, .bytes = 0, .stop = false};
	uint16_t avail_idx, n_avail, old_used;
	enum tvh_vq_state state;

	if (unlikely(dev == NULL || vq_idx >= dev->n_vqs ||
		     !tv_net_vq_is_guest_tx(vq_idx) || n == 0))
		return 0;
	vq = &dev->vqs[vq_idx];
	state = tvh_burst_enter(vq);
	if (state == TVH_VQ_STOPPED)
		return 0;
	if (vq->packed) { /* published with ready: read after the gate */
		b.got = tvh_packed_dequeue(vq, state, pool, pkts, n);
		goto out;
	}

	/* Acquire: pairs with the front-end's write barrier between filling
	 * avail->ring[] (and the descriptors) and publishing avail->idx. */
	avail_idx = __atomic_load_n(&vq->ring.avail->idx, __ATOMIC_ACQUIRE);
	n_avail = (uint16_t)(avail_idx - vq->last_avail_idx);
	if (unlikely(n_avail > vq->num)) {
		tvh_vq_error(vq, TVH_DP_ERR_AVAIL_IDX,
			     "front-end moved avail idx from %u to %u, more "
			     "than the ring size %u",
			     vq->last_avail_idx, avail_idx, vq->num);
		goto out;
	}
	if (n_avail < n)
		n = n_avail;
	old_used = vq->last_used_idx;
	b.used_idx = old_used;
	/* The state tvh_burst_enter loaded, not a second read of ready. */
	if (unlikely(state == TVH_VQ_DISCARD)) {
		tx_discard(vq, &b, pool, n);
		n = 0;
	}
	while (b.got < n && !b.stop) {
		uint32_t k = RTE_MIN((uint32_t)(n - b.got), TVH_BATCH);

		/* The walker takes the chain the fast path stopped at. */
		if (tx_fast_batch(vq, &b, pool, pkts + b.got, k) < k)
			tx_slow_one(vq, &b, pool, pkts + b.got);
	}
	if (b.used_idx != old_used) {
		/* Release: the used entries above become visible before the
		 * index; pairs with the front-end's read barrier after it
		 * reads used->idx. */
		__atomic_store_n(&vq->ring.used->idx, b.used_idx,
				 __ATOMIC_RELEASE);
		vq->last_used_idx = b.used_idx;
		tvh_vq_notify(vq, old_used, b.used_idx);
	}
	vq->stats.packets += b.got;
	vq->stats.bytes += b.bytes;
	tvh_avail_event_update(vq);
out:
	tvh_burst_leave(vq);
	return b.got;
}
