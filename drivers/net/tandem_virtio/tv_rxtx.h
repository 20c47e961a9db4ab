/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * tv_rxtx.h - inline pieces of the datapath shared by the split-ring
 * bursts (tv_rxtx.c scalar, tv_rx_sse.c, tv_rx_avx2.c, tv_rx_avx512.c)
 * and the packed-ring ones (tv_packed.c): the RX loop and per-packet code,
 * the TX completion walk and mbuf batching, kicks and the queue gate.
 *
 * All RX paths run the same loop (rx_burst below), for either ring layout
 * (`packed`, a constant): a vector path only adds a "group" step that
 * takes `width` packets at once when each of them fits one buffer and
 * passes the checks; everything else (mergeable chains, errors, ring wrap,
 * a short tail) goes through rx_one, the scalar code. So the paths cannot
 * drift apart: they share the checks, the error handling and the mbuf
 * layout (rx_init_mbuf).
 *
 * The mbuf contract of every RX path (what the comparison test checks):
 * - refill takes raw mbufs from the pool (rte_mempool_get_bulk: refcnt 1,
 *   next NULL and nb_segs 1 by the pool's invariant) and does not touch
 *   them: the buffer address follows from the mbuf's (buf_off);
 * - receive writes the 32 bytes from rearm_data in one go: data_off,
 *   refcnt 1, nb_segs 1, port, ol_flags 0, packet_type 0, pkt_len,
 *   data_len, vlan_tci 0, hash.rss 0 - one cache line, which the
 *   application reads next anyway; the second line is never touched;
 * - continuation buffers of a mergeable packet: data_off at the
 *   descriptor address, pkt_len 0, chained by next; the head's nb_segs and
 *   pkt_len cover the chain.
 *
 * Threading: one lcore per queue (ethdev rule).
 */
#ifndef TV_RXTX_H
#define TV_RXTX_H

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include <rte_atomic.h>
#include <rte_branch_prediction.h>
#include <rte_common.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>
#ifdef RTE_ARCH_X86
#include <rte_vect.h>
#endif

#include "tmb.h"
#include "tv_pmd.h"

#define TV_RX_BULK	64u /* mbufs taken from the pool at once */
#define TV_TX_FREE_BULK 64u /* mbufs returned to the pool at once */

/* Where rx_init_mbuf writes, checked against this DPDK there. */
#define TV_MBUF_OFF_REARM  offsetof(struct rte_mbuf, data_off)
#define TV_MBUF_OFF_FIELDS offsetof(struct rte_mbuf, packet_type)

/* ---- Ring access shared by RX and TX ---- */

static __rte_always_inline uint16_t
load_used_idx(const struct tv_split *ring)
{
	/* Acquire: once we see the index, the used entries and the buffer
	 * contents the back-end wrote before publishing it are visible.
	 * Pairs with the back-end's release store of used->idx. */
	return __atomic_load_n(&ring->used->idx, __ATOMIC_ACQUIRE);
}

static __rte_always_inline void
publish_avail_idx(struct tv_split *ring, uint16_t idx)
{
	/* Release: descriptors and avail->ring entries written before this
	 * store are visible to the back-end once it sees idx. Pairs with
	 * the back-end's acquire load of avail->idx. */
	__atomic_store_n(&ring->avail->idx, idx, __ATOMIC_RELEASE);
}

/* Copy one used entry out of shared memory, each field read once. */
static __rte_always_inline void
read_used(const struct tv_split *ring, uint16_t used_idx, uint16_t mask,
	  struct tv_used_elem *e)
{
	const struct tv_used_elem *u = &ring->used->ring[used_idx & mask];

	e->id = __atomic_load_n(&u->id, __ATOMIC_RELAXED);
	e->len = __atomic_load_n(&u->len, __ATOMIC_RELAXED);
}

/* Should we notify the back-end after moving avail->idx old -> new? */
static __rte_always_inline bool
need_kick(const struct tv_split *ring, bool event_idx, uint16_t old_idx,
	  uint16_t new_idx)
{
	/* Full barrier: our avail->idx store must be visible before we read
	 * the back-end's suppression state, or we could read "no notify"
	 * while the back-end reads the old index and stops polling. Pairs
	 * with the back-end's full barrier between re-enabling notifications
	 * (used->flags / avail_event) and re-reading avail->idx. */
	rte_atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (event_idx)
		return tv_need_event(__atomic_load_n(tv_split_avail_event(ring),
						     __ATOMIC_RELAXED),
				     new_idx, old_idx);
	return (__atomic_load_n(&ring->used->flags, __ATOMIC_RELAXED) &
		TV_USED_F_NO_NOTIFY) == 0;
}

static __rte_always_inline void
kick(int fd, uint64_t *kicks)
{
	const uint64_t one = 1;
	ssize_t r;

	/* The one syscall of the datapath, only because the back-end asked
	 * for it. EAGAIN (counter saturated) still means "notified". */
	r = write(fd, &one, sizeof(one));
	RTE_SET_USED(r);
	(*kicks)++;
}

/* Poll mode wants no used-buffer notifications. With EVENT_IDX we keep
 * used_event just behind our consumer index: the back-end would have to
 * run almost 2^16 entries ahead to hit it. Moving it costs a store to the
 * avail ring's cache line, so only every `step` entries (a notification
 * the back-end sends anyway is harmless: in poll mode there is no call
 * eventfd, in interrupt mode it is one spurious wake-up). `armed` (NULL
 * for TX) is read only then: while the application has armed the queue
 * for interrupts (tv_rxq_intr_arm), used_event is its request and stays. */
static __rte_always_inline void
park_used_event(struct tv_split *ring, uint16_t used_idx, uint16_t *at,
		uint16_t num, const bool *armed)
{
	uint16_t step = num <= 8192 ? 0x4000 : 1;

	if ((uint16_t)(used_idx - *at) >= step) {
		if (armed != NULL && *armed)
			return;
		__atomic_store_n(tv_split_used_event(ring),
				 (uint16_t)(used_idx - 1), __ATOMIC_RELAXED);
		*at = used_idx;
	}
}

static __rte_always_inline uint64_t
mbuf_va(const struct rte_mbuf *m, uint32_t offset)
{
	/* virtio-user: descriptors carry our virtual addresses. */
	return (uint64_t)(uintptr_t)m->buf_addr + offset;
}

/* ---- The gate of a queue without IN_ORDER (see struct tv_dp_gate) ---- */

/* Start a burst, unless a handoff has the queue (then: do nothing). */
static __rte_always_inline bool
dp_gate_enter(struct tv_dp_gate *g)
{
	__atomic_store_n(&g->busy, 1, __ATOMIC_RELAXED);
	/* Our busy store is visible before we read closed: the light side
	 * of lib/membar's asymmetric barrier (a compiler barrier where the
	 * kernel has membarrier, else a full fence). Pairs with gate_close's
	 * tmb_heavy (tv_queue.c) between its store of closed and its read
	 * of busy: one of us sees the other. */
	tmb_light();
	/* Acquire: what a handoff wrote before opening the gate (its release
	 * store of closed, gate_open) is visible to this burst. */
	if (likely(__atomic_load_n(&g->closed, __ATOMIC_ACQUIRE) == 0))
		return true;
	__atomic_store_n(&g->busy, 0, __ATOMIC_RELAXED);
	return false;
}

static __rte_always_inline void
dp_gate_leave(struct tv_dp_gate *g)
{
	/* Release: the queue and ring writes of the burst are visible to a
	 * handoff once it reads busy 0 (gate_close's acquire load). */
	__atomic_store_n(&g->busy, 0, __ATOMIC_RELEASE);
}

/* ---- RX ---- */

#ifdef RTE_ARCH_X86
/* Vector RX (tv_rx_*.c): write a received mbuf's 32 bytes from
 * rearm_data, as rx_init_mbuf does: rearm_data and ol_flags (rearm), then
 * packet_type, pkt_len, data_len, vlan_tci and hash.rss (fields). SSE2
 * only, which every x86-64 has, so each vector file can use it whatever
 * its own ISA flags. */
static __rte_always_inline void
store_mbuf(struct rte_mbuf *m, __m128i rearm, __m128i fields)
{
	_mm_storeu_si128((__m128i *)(void *)((char *)m + TV_MBUF_OFF_REARM),
			 rearm);
	_mm_storeu_si128((__m128i *)(void *)((char *)m + TV_MBUF_OFF_FIELDS),
			 fields);
}
#endif

/* Count, mark the queue broken, log once (cold, tv_rxtx.c). */
void tv_rxq_broken(struct tv_rxq *rxq, uint64_t *counter, const char *fmt,
		   ...) __rte_cold __rte_format_printf(3, 4);
/* A broken queue: resume if a new back-end took it over (tv_rxtx.c). */
bool tv_rxq_try_recover(struct tv_rxq *rxq) __rte_cold;
/* A packet of several buffers while the application did not enable the
 * scatter offload: drop it, count it, say so once (tv_rxtx.c). */
void tv_rxq_drop_scatter(struct tv_rxq *rxq, struct rte_mbuf *m,
			 uint16_t nbufs) __rte_noinline __rte_cold;

static __rte_always_inline bool
rxq_is_broken(const struct tv_rxq *rxq)
{
	/* Only the datapath writes it; the control path reads it. */
	return __atomic_load_n(&rxq->broken, __ATOMIC_RELAXED);
}

/* Address of the buffer of a posted mbuf. */
static __rte_always_inline char *
rx_buf_va(const struct tv_rxq *rxq, const struct rte_mbuf *m)
{
	if (likely(rxq->buf_off != 0))
		return (char *)(uintptr_t)m + rxq->buf_off;
	return m->buf_addr;
}

/* The per-packet mbuf fields: 32 bytes from rearm_data, one line. Built
 * in registers: an array on the stack written as 8-byte pieces and read
 * back as 16-byte ones stalls on every packet (store forwarding fails;
 * perf, packed RX with a stock host: a third of the burst's samples). */
static __rte_always_inline void
rx_init_mbuf(struct rte_mbuf *m, uint64_t rearm, uint32_t pkt_len,
	     uint16_t data_len)
{
	RTE_BUILD_BUG_ON(offsetof(struct rte_mbuf, ol_flags) !=
			 TV_MBUF_OFF_REARM + 8);
	RTE_BUILD_BUG_ON(TV_MBUF_OFF_FIELDS != TV_MBUF_OFF_REARM + 16);
	RTE_BUILD_BUG_ON(offsetof(struct rte_mbuf, pkt_len) !=
			 TV_MBUF_OFF_FIELDS + 4);
	RTE_BUILD_BUG_ON(offsetof(struct rte_mbuf, data_len) !=
			 TV_MBUF_OFF_FIELDS + 8);
	RTE_BUILD_BUG_ON(offsetof(struct rte_mbuf, vlan_tci) !=
			 TV_MBUF_OFF_FIELDS + 10);
	RTE_BUILD_BUG_ON(offsetof(struct rte_mbuf, hash) !=
			 TV_MBUF_OFF_FIELDS + 12);
#ifdef RTE_ARCH_X86
	store_mbuf(m, _mm_set_epi64x(0, (long long)rearm),
		   _mm_set_epi64x((long long)data_len,
				  (long long)((uint64_t)pkt_len << 32)));
#else
	{
		const uint64_t v[4] = {rearm, 0, (uint64_t)pkt_len << 32,
				       data_len};
		unsigned int i;

		for (i = 0; i < 4; i++)
			memcpy((char *)m + TV_MBUF_OFF_REARM + 8 * i, &v[i],
			       sizeof(v[i]));
	}
#endif
}

/* num_buffers of the virtio-net header the back-end wrote in front of
 * the packet of buffer m (read once). */
static __rte_always_inline uint16_t
rx_num_buffers(const struct tv_rxq *rxq, const struct rte_mbuf *m)
{
	const struct tv_net_hdr_mrg *hdr =
		(const void *)(rx_buf_va(rxq, m) + RTE_PKTMBUF_HEADROOM -
			       rxq->hdr_len);

	return __atomic_load_n(&hdr->num_buffers, __ATOMIC_RELAXED);
}

/* Packed ring: scan the used descriptors after the `have` already known
 * ones, up to `want` in all (want <= n_posted: nothing beyond what we
 * posted is looked at). Returns how many are known now. */
static __rte_always_inline uint16_t
rx_scan_used_packed(const struct tv_rxq *rxq, uint16_t have, uint16_t want)
{
	const struct tv_packed_desc *const desc = rxq->pring.desc;
	const uint32_t num = rxq->pring.num;
	const uint16_t mask = rxq->mask;
	uint16_t idx = (uint16_t)(rxq->used_idx + have);

	for (; have < want; have++, idx++)
		if (!tv_packed_is_used_at(
			    __atomic_load_n(&desc[idx & mask].flags,
					    __ATOMIC_RELAXED),
			    idx, num))
			break;
	/* Acquire (one fence for the scan, not one per descriptor): the id
	 * and len the device wrote, and the buffer bytes, before marking a
	 * descriptor used are visible once we saw its flags. Pairs with the
	 * device's release store of the flags. */
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	return have;
}

/* Copy and validate the used entry at used_idx (packed: the descriptor
 * there, seen used by rx_scan_used_packed). `first`: the buffer starts a
 * packet and must hold at least the virtio-net header. */
static __rte_always_inline int
rx_read_used(struct tv_rxq *rxq, struct tv_used_elem *e, bool first,
	     const bool packed)
{
	if (packed) {
		const struct tv_packed_desc *d =
			&rxq->pring.desc[rxq->used_idx & rxq->mask];

		e->id = __atomic_load_n(&d->id, __ATOMIC_RELAXED);
		e->len = __atomic_load_n(&d->len, __ATOMIC_RELAXED);
	} else {
		read_used(&rxq->ring, rxq->used_idx, rxq->mask, e);
	}
	if (unlikely(e->id >= rxq->ring.num || rxq->sw[e->id] == NULL)) {
		tv_rxq_broken(rxq, &rxq->stats.err_used_id,
			      "back-end returned descriptor %u, which is not a "
			      "posted buffer",
			      e->id);
		return -1;
	}
	/* IN_ORDER with the fixed layout: the buffer of used entry k is
	 * descriptor k % num. Packed: buffer id = position, and one used
	 * descriptor per RX buffer (the lengths of skipped ones would be
	 * lost). */
	if (rxq->in_order && unlikely(e->id != (rxq->used_idx & rxq->mask))) {
		tv_rxq_broken(rxq, &rxq->stats.err_used_id,
			      "back-end returned descriptor %u out of order "
			      "(IN_ORDER negotiated, expected %u)",
			      e->id, rxq->used_idx & rxq->mask);
		return -1;
	}
	if (unlikely(e->len > rxq->buf_len ||
		     (first && e->len < rxq->hdr_len))) {
		tv_rxq_broken(rxq, &rxq->stats.err_used_len,
			      "back-end wrote %u bytes into descriptor %u, "
			      "which holds %u%s",
			      e->len, e->id, rxq->buf_len,
			      first ? " and must hold the virtio-net header"
				    : "");
		return -1;
	}
	return 0;
}

/* Take the buffer of a validated used entry away from the back-end. */
static __rte_always_inline struct rte_mbuf *
rx_consume(struct tv_rxq *rxq, uint32_t id, const bool packed)
{
	struct rte_mbuf *m = rxq->sw[id];

	rxq->sw[id] = NULL;
	rxq->n_posted--;
	rxq->used_idx++;
	/* Packed without IN_ORDER: the id is free again. */
	if (packed && !rxq->in_order)
		rxq->free_ids[rxq->n_free_ids++] = (uint16_t)id;
	return m;
}

/* Receive the packet at used_idx with scalar code, on either layout
 * (`packed`, a constant). Returns 1 if a packet went to *out, 0 if one was
 * consumed and dropped, -1 if nothing can be taken now (queue broken, or a
 * mergeable packet not complete yet). *n_used used entries are known from
 * used_idx on; on a packed ring a mergeable packet that needs more scans
 * on for them. */
static __rte_always_inline int
rx_one(struct tv_rxq *rxq, uint16_t *n_used, struct rte_mbuf **out,
       uint64_t *bytes, const bool packed)
{
	uint32_t hdr_len = rxq->hdr_len;
	struct tv_used_elem e;
	struct rte_mbuf *m, *prev;
	uint32_t pkt_len;
	uint16_t nbufs = 1, k;

	if (rx_read_used(rxq, &e, true, packed) < 0)
		return -1;
	m = rxq->sw[e.id];
	if (rxq->mrg_rxbuf) {
		nbufs = rx_num_buffers(rxq, m);
		if (unlikely(nbufs == 0 || nbufs > rxq->n_posted)) {
			tv_rxq_broken(rxq, &rxq->stats.err_num_buffers,
				      "back-end says a packet spans %u "
				      "buffers, %u are posted",
				      nbufs, rxq->n_posted);
			return -1;
		}
		if (packed && nbufs > *n_used)
			*n_used = rx_scan_used_packed(rxq, *n_used, nbufs);
		if (nbufs > *n_used)
			return -1; /* the rest is not used yet: wait */
	}
	rx_consume(rxq, e.id, packed);
	(*n_used)--;
	pkt_len = e.len - hdr_len;
	rx_init_mbuf(m, rxq->mbuf_initializer, pkt_len, (uint16_t)pkt_len);
	if (likely(nbufs == 1)) {
		*bytes += pkt_len;
		*out = m;
		return 1;
	}
	prev = m;
	for (k = 1; k < nbufs; k++) {
		struct rte_mbuf *seg;

		if (rx_read_used(rxq, &e, false, packed) < 0) {
			/* Frees the segments linked so far (next-walk), the
			 * head saying how many (mbuf sanity checks). */
			m->nb_segs = k;
			m->pkt_len = pkt_len;
			rte_pktmbuf_free(m);
			return -1;
		}
		seg = rx_consume(rxq, e.id, packed);
		(*n_used)--;
		/* No header in continuation buffers: data starts at the
		 * descriptor address (seg_initializer's data_off). */
		rx_init_mbuf(seg, rxq->seg_initializer, 0, (uint16_t)e.len);
		prev->next = seg;
		prev = seg;
		pkt_len += e.len;
	}
	m->pkt_len = pkt_len;
	m->nb_segs = nbufs;
	if (unlikely(!rxq->scatter)) {
		tv_rxq_drop_scatter(rxq, m, nbufs);
		return 0;
	}
	*bytes += pkt_len;
	*out = m;
	return 1;
}

/* IN_ORDER: the next n buffers are known without reading the used ring.
 * Start loading the lines the burst reads (the header's num_buffers) and
 * writes (the mbuf's first line) before it gets to them.
 *
 * The header's line is loaded without mergeable buffers too, though RX
 * then reads nothing there: a packet sent back out of a virtio port gets
 * its TX header written on that line, which the back-end, on another
 * core, wrote last. Unloaded, those header stores each wait for the line
 * to come over and fill the store buffer. Two-process loop, 64 B,
 * mrg_rxbuf=0: 20.31 -> 23.40 Mpps (A/B, medians of 3), where mergeable
 * buffers give 23.64. */
static __rte_always_inline void
rx_prefetch(const struct tv_rxq *rxq, uint16_t n)
{
	/* Locals, and the common case (buffer at a fixed offset from its
	 * mbuf) in its own loop: callgrind, loop with a stock host at 64 B:
	 * 13 -> 8 instructions a packet. */
	struct rte_mbuf *const *const sw = rxq->sw;
	const uint16_t mask = rxq->mask;
	const uint16_t used_idx = rxq->used_idx;
	const uint32_t hdr_off = RTE_PKTMBUF_HEADROOM - rxq->hdr_len;
	const uint32_t buf_off = rxq->buf_off;
	uint16_t i;

	if (likely(buf_off != 0)) {
		for (i = 0; i < n; i++) {
			const char *m = (const char *)
				sw[(uint16_t)(used_idx + i) & mask];

			rte_prefetch0(m);
			rte_prefetch0(m + buf_off + hdr_off);
		}
		return;
	}
	for (i = 0; i < n; i++) {
		const struct rte_mbuf *m = sw[(uint16_t)(used_idx + i) & mask];

		rte_prefetch0(m);
		rte_prefetch0(rx_buf_va(rxq, m) + hdr_off);
	}
}

/* A vector step: take exactly `width` packets at used_idx into pkts[] if
 * each fits one buffer and every check passes, and return width; else
 * change nothing and return 0 (rx_one then goes packet by packet). The
 * caller guarantees width used entries and room for width packets, and
 * that used ring positions used_idx .. used_idx + width - 1 do not wrap. */
typedef unsigned int (*tv_rx_group_fn)(struct tv_rxq *rxq,
				       struct rte_mbuf **pkts, uint64_t *bytes);

/* The scalar half of a vector step, shared by the ISAs. e[0..width) are
 * the used entries at used_idx, copied once and already checked: ids
 * (IN_ORDER: id k is descriptor used_idx + k; else id < num) and lengths.
 * Gets their mbufs, checks that each packet is one buffer and takes the
 * buffers from the back-end. Returns false, changing nothing, if a packet
 * needs the scalar path (several buffers, a buffer not posted, an id
 * repeated in the group). */
static __rte_always_inline bool
rx_vec_take(struct tv_rxq *rxq, const struct tv_used_elem *e,
	    struct rte_mbuf **m, unsigned int width)
{
	struct rte_mbuf **sw = rxq->sw;
	unsigned int i;

	if (rxq->in_order) {
		/* Posted (n_used <= n_posted) and contiguous (no wrap). */
		memcpy(m, &sw[rxq->used_idx & rxq->mask], width * sizeof(*m));
	} else {
		for (i = 0; i < width; i++) {
			m[i] = sw[e[i].id];
			if (m[i] == NULL)
				return false;
		}
	}
	if (rxq->mrg_rxbuf) {
		const uint32_t buf_off = rxq->buf_off;
		const uint32_t hdr_off = RTE_PKTMBUF_HEADROOM - rxq->hdr_len;
		uint16_t not_one = 0;

		/* rx_num_buffers with the offsets in locals (not reloaded
		 * from rxq for each packet) and the buf_off test once. */
		if (likely(buf_off != 0)) {
			const uint32_t off = buf_off + hdr_off;

			for (i = 0; i < width; i++) {
				const struct tv_net_hdr_mrg *h =
					(const void *)((const char *)m[i] +
						       off);

				not_one |= __atomic_load_n(&h->num_buffers,
							   __ATOMIC_RELAXED) ^
					   1;
			}
		} else {
			for (i = 0; i < width; i++) {
				const struct tv_net_hdr_mrg *h =
					(const void *)((const char *)m[i]
							       ->buf_addr +
						       hdr_off);

				not_one |= __atomic_load_n(&h->num_buffers,
							   __ATOMIC_RELAXED) ^
					   1;
			}
		}
		if (not_one != 0)
			return false;
	}
	if (rxq->in_order) {
		memset(&sw[rxq->used_idx & rxq->mask], 0, width * sizeof(*m));
	} else {
		for (i = 0; i < width; i++) {
			if (unlikely(sw[e[i].id] == NULL)) {
				/* The same id twice: undo, the scalar path
				 * reports it. */
				while (i > 0) {
					i--;
					sw[e[i].id] = m[i];
				}
				return false;
			}
			sw[e[i].id] = NULL;
		}
	}
	rxq->used_idx += width;
	rxq->n_posted -= width;
	return true;
}

static __rte_always_inline uint16_t
rx_burst_body(struct tv_rxq *rxq, struct rte_mbuf **pkts, uint16_t nb_pkts,
	      unsigned int width, tv_rx_group_fn group, const bool packed)
{
	uint64_t bytes = 0;
	uint16_t n_used, nb_rx = 0;

	/* Packed queues come back through the handoff's resync (gate
	 * closed), never through an offer: try_recover finds none. */
	if (unlikely(rxq_is_broken(rxq)) && !tv_rxq_try_recover(rxq))
		return 0;
	if (packed) {
		/* Only what we posted is looked at. */
		n_used = rx_scan_used_packed(rxq, 0,
					     RTE_MIN(nb_pkts, rxq->n_posted));
	} else {
		n_used = load_used_idx(&rxq->ring) - rxq->used_idx;
		if (unlikely(n_used > rxq->n_posted)) {
			tv_rxq_broken(rxq, &rxq->stats.err_used_idx,
				      "back-end says %u buffers were used, "
				      "only %u are posted",
				      n_used, rxq->n_posted);
			return 0;
		}
	}
	if (rxq->in_order)
		rx_prefetch(rxq, RTE_MIN(n_used, nb_pkts));
	while (nb_rx < nb_pkts && n_used > 0) {
		int r;

		/* A packed ring's group step needs IN_ORDER (ids are the
		 * positions). */
		if (group != NULL && (!packed || rxq->in_order) &&
		    n_used >= width &&
		    (unsigned int)(nb_pkts - nb_rx) >= width &&
		    (rxq->used_idx & rxq->mask) + width <= rxq->ring.num &&
		    group(rxq, pkts + nb_rx, &bytes) == width) {
			nb_rx += width;
			n_used -= width;
			continue;
		}
		r = rx_one(rxq, &n_used, pkts + nb_rx, &bytes, packed);
		if (r < 0)
			break;
		nb_rx += r;
	}
	rxq->stats.packets += nb_rx;
	rxq->stats.bytes += bytes;
	if (!packed && rxq->event_idx)
		park_used_event(&rxq->ring, rxq->used_idx, &rxq->used_event_at,
				(uint16_t)rxq->ring.num, &rxq->intr_armed);
	if (!rxq_is_broken(rxq) &&
	    rxq->ring.num - rxq->n_posted >= rxq->refill_at) {
		if (packed)
			tv_rxq_refill_packed(rxq);
		else
			tv_rxq_refill_split(rxq);
	}
	return nb_rx;
}

/* The RX burst of every path; `group` is NULL for the scalar one; `packed`
 * (a constant) picks the ring layout. Split queues without IN_ORDER and
 * every packed queue run inside the queue's gate (struct tv_dp_gate). */
static __rte_always_inline uint16_t
rx_burst(struct tv_rxq *rxq, struct rte_mbuf **pkts, uint16_t nb_pkts,
	 unsigned int width, tv_rx_group_fn group, const bool packed)
{
	const bool gated = packed || !rxq->in_order;
	uint16_t nb_rx;

	if (gated && unlikely(!dp_gate_enter(&rxq->gate)))
		return 0;
	nb_rx = rx_burst_body(rxq, pkts, nb_pkts, width, group, packed);
	if (gated)
		dp_gate_leave(&rxq->gate);
	return nb_rx;
}

/* ---- Shared by the split and packed datapaths ---- */

/* Get n mbufs for RX buffers (raw: see tv_rxtx.h). A failure is counted
 * (nombuf); the refill tries again on a later burst. */
static __rte_always_inline int
rx_get_mbufs(struct tv_rxq *rxq, struct rte_mbuf **bufs, unsigned int n)
{
	unsigned int i;

	if (likely(rxq->bulk)) {
		if (likely(rte_mempool_get_bulk(rxq->mp, (void **)bufs, n) ==
			   0))
			return 0;
		rxq->stats.nombuf++;
		return -ENOMEM;
	}
	/* Ablation: per-mbuf allocation with a full reset. */
	for (i = 0; i < n; i++) {
		bufs[i] = rte_pktmbuf_alloc(rxq->mp);
		if (unlikely(bufs[i] == NULL)) {
			while (i > 0)
				rte_pktmbuf_free(bufs[--i]);
			rxq->stats.nombuf++;
			return -ENOMEM;
		}
	}
	return 0;
}

/* Count, mark the queue broken, log once (cold, tv_rxtx.c). */
void tv_txq_broken(struct tv_txq *txq, uint64_t *counter, const char *fmt,
		   ...) __rte_noinline __rte_cold __rte_format_printf(3, 4);
/* A broken queue: resume if a new back-end took it over (tv_rxtx.c). */
bool tv_txq_try_recover(struct tv_txq *txq) __rte_noinline __rte_cold;

static __rte_always_inline bool
txq_is_broken(const struct tv_txq *txq)
{
	return __atomic_load_n(&txq->broken, __ATOMIC_RELAXED);
}

/* Completed mbufs on their way back to the pool: simple ones (see
 * tv_tx_slot) go back with one rte_mempool_put_bulk per pool run, skipping
 * rte_pktmbuf_free's per-mbuf checks and its reads of the mbuf (likely
 * out of cache by the time the back-end completed it). */
struct tx_free_batch {
	struct rte_mempool *pool;
	unsigned int n;
	unsigned int nc; /* in c[] */
	void *m[TV_TX_FREE_BULK];
	/* The others (segment chains, indirect or shared mbufs) go to one
	 * rte_pktmbuf_free_bulk instead of one rte_pktmbuf_free each:
	 * callgrind, one-core loop at 9000 B (five segments a packet):
	 * tx_reclaim 323 -> 200 instructions a packet. */
	struct rte_mbuf *c[TV_TX_FREE_BULK];
};

static __rte_always_inline void
tx_free_flush(struct tx_free_batch *fb)
{
	if (fb->n > 0)
		rte_mempool_put_bulk(fb->pool, fb->m, fb->n);
	fb->n = 0;
	if (unlikely(fb->nc > 0))
		rte_pktmbuf_free_bulk(fb->c, fb->nc);
	fb->nc = 0;
}

static __rte_always_inline void
tx_free_add(struct tx_free_batch *fb, struct tv_tx_slot *s)
{
	if (s->pool == NULL) {
		if (fb->nc == TV_TX_FREE_BULK) {
			rte_pktmbuf_free_bulk(fb->c, fb->nc);
			fb->nc = 0;
		}
		fb->c[fb->nc++] = s->m;
		return;
	}
	if (fb->n == TV_TX_FREE_BULK || (fb->n > 0 && s->pool != fb->pool))
		tx_free_flush(fb);
	fb->pool = s->pool;
	fb->m[fb->n++] = s->m;
}

/* IN_ORDER completion, either layout: every chain whose head lies in
 * [pos, end) is done (sw[] indexed by head position); their mbufs go to
 * fb. Returns how many chains. The walk goes over positions rather than
 * from head to head (pos += ndesc), so that no iteration waits for the
 * previous one's load: a position whose ndesc is 0 is inside a chain.
 * perf, one-core loop with the stock host at 64 B: the head-to-head walk
 * spent most of tx_reclaim's samples on that load. Runs of simple chains
 * from one pool go straight into fb (tx_free_add's checks only when the
 * pool changes or fb is full), with fb's pool and count in locals: the
 * sw[] stores may alias fb as far as the compiler knows (its address
 * escapes), which would make it reload them for every chain. Callgrind,
 * one-core loop at 64 B: tx_reclaim 45 -> 34 instructions a packet. */
static __rte_always_inline uint16_t
tx_free_in_order(struct tv_tx_slot *sw, uint16_t mask, uint16_t pos,
		 uint16_t end, struct tx_free_batch *fb)
{
	struct rte_mempool *pool = fb->pool;
	unsigned int n = fb->n;
	uint16_t chains = 0;

	for (; pos != end; pos++) {
		struct tv_tx_slot *s = &sw[pos & mask];
		struct rte_mempool *sp = s->pool;

		if (s->ndesc == 0)
			continue;
		/* pool is NULL only while fb is empty; a NULL s->pool
		 * (not simple) goes to tx_free_add. */
		if (likely(sp == pool && sp != NULL && n < TV_TX_FREE_BULK)) {
			fb->m[n++] = s->m;
		} else {
			fb->n = n;
			tx_free_add(fb, s);
			n = fb->n;
			pool = fb->pool;
		}
		s->m = NULL;
		s->ndesc = 0;
		chains++;
	}
	fb->n = n;
	return chains;
}

/* Can the virtio-net header go into the mbuf's own headroom? Only if we
 * may write there: one segment, direct, not shared. (VERSION_1 is always
 * negotiated, so header and data may share a descriptor.) The same test
 * makes the mbuf "simple" for the completion (tx_free_add). */
static __rte_always_inline bool
tx_is_simple(const struct rte_mbuf *m)
{
	return m->nb_segs == 1 && RTE_MBUF_DIRECT(m) &&
	       rte_mbuf_refcnt_read(m) == 1;
}

/* Descriptors the packet takes on a ring of txq's size: 1 with the
 * virtio-net header pushed into its headroom (*push), else the header's
 * own plus one per segment. *simple: tx_is_simple. 0 if it can never fit:
 * then it is dropped (counted, said once) and freed. Either layout. */
static __rte_always_inline uint32_t
tx_ndesc(struct tv_txq *txq, struct rte_mbuf *m, bool *simple, bool *push)
{
	const uint32_t hdr_len = sizeof(struct tv_net_hdr_mrg);
	uint32_t ndesc;

	*simple = tx_is_simple(m);
	*push = *simple && txq->hdr_push && rte_pktmbuf_headroom(m) >= hdr_len;
	ndesc = *push ? 1 : 1 + (uint32_t)m->nb_segs;
	if (likely(ndesc <= txq->ring.num))
		return ndesc;
	txq->stats.drop_too_many_segs++;
	if (!txq->drop_logged) {
		txq->drop_logged = true;
		TV_DP_LOG(WARNING,
			  "tx queue %u: dropping a packet of %u segments: the "
			  "ring has only %u descriptors",
			  txq->queue_id, m->nb_segs, txq->ring.num);
	}
	rte_pktmbuf_free(m);
	return 0;
}

/* The common packet: one direct segment, refcnt 1, headroom for the
 * header (tx_is_simple and the push test of tx_queue_general in one
 * compare of rearm_data, which holds data_off, refcnt, nb_segs and port,
 * and one of ol_flags). */
static __rte_always_inline bool
tx_is_fast(const struct rte_mbuf *m)
{
	const uint64_t mask = 0xffffffffull << 16;
	const uint64_t simple = (1ull << 16) | (1ull << 32);
	uint64_t rearm;

	RTE_BUILD_BUG_ON(offsetof(struct rte_mbuf, refcnt) !=
			 TV_MBUF_OFF_REARM + 2);
	RTE_BUILD_BUG_ON(offsetof(struct rte_mbuf, nb_segs) !=
			 TV_MBUF_OFF_REARM + 4);
	memcpy(&rearm, (const char *)m + TV_MBUF_OFF_REARM, sizeof(rearm));
	return (rearm & mask) == simple && RTE_MBUF_DIRECT(m) &&
	       m->data_off >= sizeof(struct tv_net_hdr_mrg);
}

#endif /* TV_RXTX_H */
