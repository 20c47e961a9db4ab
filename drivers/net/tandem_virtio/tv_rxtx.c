/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * tv_rxtx.c - scalar split-ring datapath of net_tandem_virtio (guest side).
 *
 * The reference datapath: a vector RX path goes in its own file beside
 * this one and must produce identical mbufs.
 *
 * Rules here: no locks, no atomic read-modify-write, no allocation except
 * mbufs from their pool in bulk, no syscall except the kick eventfd write
 * when the back-end asked to be notified. The back-end is not trusted:
 * every used entry is copied once, validated (id, length, mergeable count)
 * and only the copy is used; on a violation the queue is marked broken
 * (counted, logged once) and stops until the port is restarted.
 *
 * Threading: one lcore per queue (ethdev rule).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_atomic.h>
#include <rte_branch_prediction.h>
#include <rte_mbuf.h>

#include "tv_pmd.h"

#define TV_RX_BULK	 64u /* mbufs allocated per rte_pktmbuf_alloc_bulk */
#define TV_TX_FREE_BULK	 64u /* mbufs freed per rte_pktmbuf_free_bulk */
#define TV_RX_REFILL_MIN 32u /* refill once this many buffers are free */

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
 * the back-end sends anyway is harmless: nobody reads the call eventfd). */
static __rte_always_inline void
park_used_event(struct tv_split *ring, uint16_t used_idx, uint16_t *at,
		uint16_t num)
{
	uint16_t step = num <= 8192 ? 0x4000 : 1;

	if ((uint16_t)(used_idx - *at) >= step) {
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

/* ---- RX ---- */

static __rte_noinline __rte_cold void
rxq_broken(struct tv_rxq *rxq, uint64_t *counter, const char *fmt, ...)
{
	char msg[160];
	va_list ap;

	(*counter)++;
	rxq->broken = true;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	TV_DP_LOG(ERR,
		  "port %u rx queue %u: %s; queue stopped until the port is "
		  "restarted",
		  rxq->port_id, rxq->queue_id, msg);
}

uint16_t
tv_rxq_refill(struct tv_rxq *rxq)
{
	struct tv_desc *desc = rxq->ring.desc;
	uint16_t want = (uint16_t)(rxq->ring.num - rxq->n_posted);
	uint16_t old_idx = rxq->avail_idx;
	uint16_t idx = old_idx;
	uint32_t addr_off = RTE_PKTMBUF_HEADROOM - rxq->hdr_len;
	uint16_t k;

	if (!rxq->in_order) {
		/* The back-end may still hold a buffer out of order: the fixed
		 * layout posts descriptor idx % num only once it came back. */
		for (k = 0; k < want; k++)
			if (rxq->sw[(uint16_t)(idx + k) & rxq->mask] != NULL)
				break;
		want = k;
	}
	while (want > 0) {
		struct rte_mbuf *bufs[TV_RX_BULK];
		uint16_t n = RTE_MIN(want, (uint16_t)TV_RX_BULK);
		uint16_t i;

		if (unlikely(rte_pktmbuf_alloc_bulk(rxq->mp, bufs, n) != 0)) {
			rxq->stats.nombuf++;
			break;
		}
		for (i = 0; i < n; i++) {
			uint16_t slot = idx++ & rxq->mask;

			/* The header lands in the headroom, the packet at the
			 * normal data offset. */
			desc[slot].addr = mbuf_va(bufs[i], addr_off);
			desc[slot].len = rxq->buf_len;
			desc[slot].flags = TV_DESC_F_WRITE;
			rxq->sw[slot] = bufs[i];
		}
		want -= n;
	}
	if (idx == old_idx)
		return 0;
	rxq->avail_idx = idx;
	rxq->n_posted += (uint16_t)(idx - old_idx);
	publish_avail_idx(&rxq->ring, idx);
	if (need_kick(&rxq->ring, rxq->event_idx, old_idx, idx))
		kick(rxq->kick_fd, &rxq->stats.kicks);
	return (uint16_t)(idx - old_idx);
}

/* Copy and validate the used entry at used_idx. `first`: the buffer starts
 * a packet and must hold at least the virtio-net header. */
static __rte_always_inline int
rx_read_used(struct tv_rxq *rxq, struct tv_used_elem *e, bool first)
{
	read_used(&rxq->ring, rxq->used_idx, rxq->mask, e);
	if (unlikely(e->id >= rxq->ring.num || rxq->sw[e->id] == NULL)) {
		rxq_broken(rxq, &rxq->stats.err_used_id,
			   "back-end returned descriptor %u, which is not a "
			   "posted buffer",
			   e->id);
		return -1;
	}
	if (rxq->in_order) {
		uint16_t oldest = (rxq->avail_idx - rxq->n_posted) & rxq->mask;

		if (unlikely(e->id != oldest)) {
			rxq_broken(rxq, &rxq->stats.err_used_id,
				   "back-end returned descriptor %u out of "
				   "order (IN_ORDER negotiated, expected %u)",
				   e->id, oldest);
			return -1;
		}
	}
	if (unlikely(e->len > rxq->buf_len ||
		     (first && e->len < rxq->hdr_len))) {
		rxq_broken(rxq, &rxq->stats.err_used_len,
			   "back-end wrote %u bytes into descriptor %u, which "
			   "holds %u%s",
			   e->len, e->id, rxq->buf_len,
			   first ? " and must hold the virtio-net header" : "");
		return -1;
	}
	return 0;
}

/* Take the buffer of a validated used entry away from the back-end. */
static __rte_always_inline struct rte_mbuf *
rx_consume(struct tv_rxq *rxq, uint32_t id)
{
	struct rte_mbuf *m = rxq->sw[id];

	rxq->sw[id] = NULL;
	rxq->n_posted--;
	rxq->used_idx++;
	return m;
}

uint16_t
tv_rx_burst_split(void *queue, struct rte_mbuf **pkts, uint16_t nb_pkts)
{
	struct tv_rxq *rxq = queue;
	uint32_t hdr_len = rxq->hdr_len;
	uint64_t bytes = 0;
	uint16_t n_used, nb_rx = 0;

	if (unlikely(rxq->broken))
		return 0;
	n_used = load_used_idx(&rxq->ring) - rxq->used_idx;
	if (unlikely(n_used > rxq->n_posted)) {
		rxq_broken(rxq, &rxq->stats.err_used_idx,
			   "back-end says %u buffers were used, only %u are "
			   "posted",
			   n_used, rxq->n_posted);
		return 0;
	}

	while (nb_rx < nb_pkts && n_used > 0) {
		struct tv_used_elem e;
		struct rte_mbuf *m, *prev;
		uint16_t nbufs = 1, k;

		if (rx_read_used(rxq, &e, true) < 0)
			break;
		m = rxq->sw[e.id];
		if (rxq->mrg_rxbuf) {
			const struct tv_net_hdr_mrg *hdr =
				(const void *)((const char *)m->buf_addr +
					       RTE_PKTMBUF_HEADROOM - hdr_len);

			/* Read once; the back-end wrote it into our buffer. */
			nbufs = __atomic_load_n(&hdr->num_buffers,
						__ATOMIC_RELAXED);
			if (unlikely(nbufs == 0 || nbufs > rxq->n_posted)) {
				rxq_broken(rxq, &rxq->stats.err_num_buffers,
					   "back-end says a packet spans %u "
					   "buffers, %u are posted",
					   nbufs, rxq->n_posted);
				break;
			}
			if (nbufs > n_used)
				break; /* the rest is not used yet: wait */
		}
		rx_consume(rxq, e.id);
		n_used--;
		m->data_off = RTE_PKTMBUF_HEADROOM;
		m->data_len = (uint16_t)(e.len - hdr_len);
		m->pkt_len = e.len - hdr_len;
		m->port = rxq->port_id;
		prev = m;
		for (k = 1; k < nbufs; k++) {
			struct rte_mbuf *seg;

			if (rx_read_used(rxq, &e, false) < 0) {
				rte_pktmbuf_free(m);
				goto out;
			}
			seg = rx_consume(rxq, e.id);
			n_used--;
			/* No header in continuation buffers: data starts at the
			 * descriptor address. */
			seg->data_off = RTE_PKTMBUF_HEADROOM - hdr_len;
			seg->data_len = (uint16_t)e.len;
			prev->next = seg;
			prev = seg;
			m->pkt_len += e.len;
		}
		m->nb_segs = nbufs;
		if (unlikely(nbufs > 1 && !rxq->scatter)) {
			rxq->stats.drop_scatter++;
			if (!rxq->drop_logged) {
				rxq->drop_logged = true;
				TV_DP_LOG(WARNING,
					  "port %u rx queue %u: dropping "
					  "%u-byte packet in %u buffers: "
					  "scatter offload is off",
					  rxq->port_id, rxq->queue_id,
					  m->pkt_len, nbufs);
			}
			rte_pktmbuf_free(m);
			continue;
		}
		bytes += m->pkt_len;
		pkts[nb_rx++] = m;
	}
out:
	rxq->stats.packets += nb_rx;
	rxq->stats.bytes += bytes;
	if (rxq->event_idx)
		park_used_event(&rxq->ring, rxq->used_idx, &rxq->used_event_at,
				(uint16_t)rxq->ring.num);
	if (!rxq->broken && rxq->ring.num - rxq->n_posted >=
				    RTE_MIN(TV_RX_REFILL_MIN, rxq->ring.num))
		tv_rxq_refill(rxq);
	return nb_rx;
}

/* ---- TX ---- */

static __rte_noinline __rte_cold void
txq_broken(struct tv_txq *txq, uint64_t *counter, const char *fmt, ...)
{
	char msg[160];
	va_list ap;

	(*counter)++;
	txq->broken = true;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	TV_DP_LOG(ERR,
		  "tx queue %u: %s; queue stopped until the port is restarted",
		  txq->queue_id, msg);
}

/* Return completed chains' mbufs to their pools and their descriptors to
 * the free range. */
static void
tx_reclaim(struct tv_txq *txq)
{
	struct rte_mbuf *done[TV_TX_FREE_BULK];
	unsigned int n_done = 0;
	uint16_t n_used = load_used_idx(&txq->ring) - txq->used_idx;

	if (n_used == 0)
		return;
	/* IN_ORDER lets one entry complete several chains, so entries never
	 * outnumber the chains in flight. */
	if (unlikely(n_used > txq->n_inflight)) {
		txq_broken(txq, &txq->stats.err_used_idx,
			   "back-end says %u buffers were used, only %u are "
			   "in flight",
			   n_used, txq->n_inflight);
		return;
	}
	while (n_used-- > 0) {
		struct tv_used_elem e;
		uint16_t pos;

		read_used(&txq->ring, txq->used_idx, txq->mask, &e);
		if (unlikely(e.id >= txq->ring.num ||
			     txq->sw[e.id].ndesc == 0 ||
			     txq->sw[e.id].m == NULL)) {
			txq_broken(txq, &txq->stats.err_used_id,
				   "back-end returned descriptor %u, which is "
				   "not the head of a chain in flight",
				   e.id);
			break;
		}
		/* With IN_ORDER an entry completes every chain up to its own;
		 * otherwise only its own. e.id is a live head, and all live
		 * heads lie in [desc_tail, desc_head), so the walk ends. */
		pos = txq->in_order ? txq->desc_tail : (uint16_t)e.id;
		for (;;) {
			struct tv_tx_slot *s = &txq->sw[pos & txq->mask];

			if (s->m != NULL) {
				done[n_done++] = s->m;
				s->m = NULL;
				txq->n_inflight--;
				if (n_done == TV_TX_FREE_BULK) {
					rte_pktmbuf_free_bulk(done, n_done);
					n_done = 0;
				}
			}
			if ((pos & txq->mask) == e.id)
				break;
			if (unlikely(s->ndesc == 0)) {
				/* Cannot happen while the bookkeeping holds;
				 * stop rather than walk forever. */
				txq_broken(txq, &txq->stats.err_used_id,
					   "descriptor %u is not a chain head",
					   pos & txq->mask);
				goto out;
			}
			pos += s->ndesc;
		}
		txq->used_idx++;
	}
out:
	/* Completed chains at the tail give their descriptors back. */
	while (txq->desc_tail != txq->desc_head) {
		struct tv_tx_slot *s = &txq->sw[txq->desc_tail & txq->mask];

		if (s->m != NULL || s->ndesc == 0)
			break;
		txq->desc_tail += s->ndesc;
		txq->nb_free += s->ndesc;
		s->ndesc = 0;
	}
	if (n_done > 0)
		rte_pktmbuf_free_bulk(done, n_done);
	if (txq->event_idx)
		park_used_event(&txq->ring, txq->used_idx, &txq->used_event_at,
				(uint16_t)txq->ring.num);
}

/* Can the virtio-net header go into the mbuf's own headroom? Only if we
 * may write there: one segment, direct, not shared. (VERSION_1 is always
 * negotiated, so header and data may share a descriptor.) */
static __rte_always_inline bool
tx_can_push(const struct rte_mbuf *m, uint32_t hdr_len)
{
	return m->nb_segs == 1 && RTE_MBUF_DIRECT(m) &&
	       rte_mbuf_refcnt_read(m) == 1 &&
	       rte_pktmbuf_headroom(m) >= hdr_len;
}

uint16_t
tv_tx_burst_split(void *queue, struct rte_mbuf **pkts, uint16_t nb_pkts)
{
	struct tv_txq *txq = queue;
	struct tv_desc *desc = txq->ring.desc;
	uint16_t *avail_ring = txq->ring.avail->ring;
	uint32_t hdr_len = txq->hdr_len;
	uint16_t old_idx = txq->avail_idx;
	uint16_t nb_tx, n_queued = 0;
	uint64_t bytes = 0;

	if (unlikely(txq->broken))
		return 0;
	tx_reclaim(txq);
	if (unlikely(txq->broken))
		return 0;

	for (nb_tx = 0; nb_tx < nb_pkts; nb_tx++) {
		struct rte_mbuf *m = pkts[nb_tx];
		bool push = tx_can_push(m, hdr_len);
		uint32_t ndesc = push ? 1 : 1 + (uint32_t)m->nb_segs;
		uint16_t head = txq->desc_head & txq->mask;
		uint16_t slot;

		if (unlikely(ndesc > txq->ring.num)) {
			txq->stats.drop_too_many_segs++;
			if (!txq->drop_logged) {
				txq->drop_logged = true;
				TV_DP_LOG(WARNING,
					  "tx queue %u: dropping a packet of "
					  "%u segments: the ring has only %u "
					  "descriptors",
					  txq->queue_id, m->nb_segs,
					  txq->ring.num);
			}
			rte_pktmbuf_free(m);
			continue;
		}
		if (ndesc > txq->nb_free) {
			tx_reclaim(txq);
			if (ndesc > txq->nb_free || txq->broken)
				break;
		}
		if (push) {
			uint32_t off = m->data_off - hdr_len;

			memset((char *)m->buf_addr + off, 0, hdr_len);
			desc[head].addr = mbuf_va(m, off);
			desc[head].len = m->data_len + hdr_len;
			desc[head].flags = 0;
		} else {
			const struct rte_mbuf *seg = m;
			uint16_t pos = head;
			uint32_t k;

			memset(&txq->hdrs[head], 0, hdr_len);
			desc[head].addr = (uint64_t)(uintptr_t)&txq->hdrs[head];
			desc[head].len = hdr_len;
			/* Consecutive positions, wrapping to 0: what
			 * IN_ORDER requires of chained descriptors. The walk
			 * is bounded by nb_segs, which sized the chain. */
			for (k = 1; k < ndesc && seg != NULL;
			     k++, seg = seg->next) {
				desc[pos].flags = TV_DESC_F_NEXT;
				desc[pos].next = (pos + 1) & txq->mask;
				pos = (pos + 1) & txq->mask;
				desc[pos].addr = mbuf_va(seg, seg->data_off);
				desc[pos].len = seg->data_len;
			}
			desc[pos].flags = 0;
		}
		txq->sw[head].m = m;
		txq->sw[head].ndesc = (uint16_t)ndesc;
		/* Fixed layout: the avail entry keeps its value as long as
		 * packets take one descriptor each; rewrite it only when a
		 * chain shifted the positions (keeps the line clean). */
		slot = txq->avail_idx & txq->mask;
		if (avail_ring[slot] != head)
			avail_ring[slot] = head;
		txq->avail_idx++;
		txq->desc_head += (uint16_t)ndesc;
		txq->nb_free -= (uint16_t)ndesc;
		txq->n_inflight++;
		n_queued++;
		bytes += m->pkt_len;
	}
	if (n_queued > 0) {
		publish_avail_idx(&txq->ring, txq->avail_idx);
		if (need_kick(&txq->ring, txq->event_idx, old_idx,
			      txq->avail_idx))
			kick(txq->kick_fd, &txq->stats.kicks);
		txq->stats.packets += n_queued;
		txq->stats.bytes += bytes;
	}
	return nb_tx;
}
