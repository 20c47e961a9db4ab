/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * tv_rxtx.c - scalar split-ring datapath of net_tandem_virtio (guest side).
 *
 * The reference datapath. The vector RX paths (tv_rx_*.c) share its loop
 * and per-packet code through tv_rxtx.h and produce identical mbufs.
 *
 * Rules here: no locks, no atomic read-modify-write, no allocation except
 * mbufs from their pool in bulk, no syscall except the kick eventfd write
 * when the back-end asked to be notified. The back-end is not trusted:
 * every used entry is copied once, validated (id, length, mergeable count)
 * and only the copy is used; on a violation the queue is marked broken
 * (counted, logged once) and stops until the port is restarted or a new
 * back-end takes the rings over (tv_queue.c, handoff).
 *
 * Without IN_ORDER each burst runs inside the queue's gate (struct
 * tv_dp_gate), so that a handoff can rewrite the rings: a full barrier per
 * burst, paid only by queues without IN_ORDER.
 *
 * Threading: one lcore per queue (ethdev rule).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <rte_mempool.h>

#include "tv_rxtx.h"

/* ---- Shared by RX and TX: a queue stops, and resumes ---- */

/* The back-end broke the protocol: count it, stop the queue, log once (a
 * stopped queue polls nothing, so it reports nothing more). */
static void queue_broken(bool *broken, uint64_t *counter, const char *dir,
			 uint16_t port_id, uint16_t queue_id, const char *fmt,
			 va_list ap) __rte_cold __rte_format_printf(6, 0);

static void
queue_broken(bool *broken, uint64_t *counter, const char *dir, uint16_t port_id,
	     uint16_t queue_id, const char *fmt, va_list ap)
{
	char msg[160];

	(*counter)++;
	/* Release: with IN_ORDER a handoff reads the datapath's indices
	 * once it sees broken (tv_queue.c); they no longer move. */
	__atomic_store_n(broken, true, __ATOMIC_RELEASE);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	TV_DP_LOG(ERR,
		  "port %u %s queue %u: %s; queue stopped until the port is "
		  "restarted or a new back-end attaches",
		  port_id, dir, queue_id, msg);
}

/* IN_ORDER queues: has a handoff offered the stopped queue to a new
 * back-end since we last looked? Then *used_idx = its rewound used index
 * and the queue runs again. */
static __rte_cold bool
queue_take_offer(const uint32_t *gen, uint32_t *seen,
		 const uint16_t *offer_used_idx, uint16_t *used_idx,
		 bool *broken, uint64_t *recoveries)
{
	/* Acquire: pairs with the handoff's release store of gen, made after
	 * it rewound used->idx and wrote *offer_used_idx (tv_queue.c). */
	uint32_t g = __atomic_load_n(gen, __ATOMIC_ACQUIRE);

	if (g == *seen)
		return false;
	*seen = g;
	*used_idx = *offer_used_idx;
	(*recoveries)++;
	__atomic_store_n(broken, false, __ATOMIC_RELAXED);
	return true;
}

/* ---- RX ---- */

void
tv_rxq_broken(struct tv_rxq *rxq, uint64_t *counter, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	queue_broken(&rxq->broken, counter, "rx", rxq->port_id, rxq->queue_id,
		     fmt, ap);
	va_end(ap);
}

bool
tv_rxq_try_recover(struct tv_rxq *rxq)
{
	if (!queue_take_offer(&rxq->recover_gen, &rxq->recover_seen,
			      &rxq->recover_used_idx, &rxq->used_idx,
			      &rxq->broken, &rxq->stats.recoveries))
		return false;
	TV_DP_LOG(NOTICE, "port %u rx queue %u: resumed with a new back-end",
		  rxq->port_id, rxq->queue_id);
	return true;
}

void
tv_rxq_drop_scatter(struct tv_rxq *rxq, struct rte_mbuf *m, uint16_t nbufs)
{
	rxq->stats.drop_scatter++;
	if (!rxq->drop_logged) {
		rxq->drop_logged = true;
		TV_DP_LOG(WARNING,
			  "port %u rx queue %u: dropping %u-byte packet in %u "
			  "buffers: scatter offload is off",
			  rxq->port_id, rxq->queue_id, m->pkt_len, nbufs);
	}
	rte_pktmbuf_free(m);
}

uint16_t
tv_rxq_refill(struct tv_rxq *rxq)
{
	return rxq->packed ? tv_rxq_refill_packed(rxq)
			   : tv_rxq_refill_split(rxq);
}

uint16_t
tv_rxq_refill_split(struct tv_rxq *rxq)
{
	/* Locals: the descriptor and sw[] stores below may alias rxq's
	 * fields as far as the compiler knows, which would make it reload
	 * them for every buffer. */
	struct tv_desc *const desc = rxq->ring.desc;
	uint16_t *const avail_ring = rxq->ring.avail->ring;
	struct rte_mbuf **const sw = rxq->sw;
	const uint16_t mask = rxq->mask;
	const uint32_t buf_len = rxq->buf_len;
	const uint32_t buf_off = rxq->buf_off;
	const bool rewrite_avail = !rxq->fixed_avail || !rxq->in_order;
	const bool fixed_avail = rxq->fixed_avail;
	uint16_t want = (uint16_t)(rxq->ring.num - rxq->n_posted);
	uint16_t old_idx = rxq->avail_idx;
	uint16_t idx = old_idx;
	uint32_t addr_off = RTE_PKTMBUF_HEADROOM - rxq->hdr_len;
	uint16_t k;

	if (!rxq->in_order) {
		/* The back-end may still hold a buffer out of order: the fixed
		 * layout posts descriptor idx % num only once it came back. */
		for (k = 0; k < want; k++)
			if (sw[(uint16_t)(idx + k) & mask] != NULL)
				break;
		want = k;
	}
	while (want > 0) {
		struct rte_mbuf *bufs[TV_RX_BULK];
		uint16_t n = RTE_MIN(want, (uint16_t)TV_RX_BULK);
		uint16_t i;

		if (unlikely(rx_get_mbufs(rxq, bufs, n) != 0))
			break;
		want -= n;
		if (likely(buf_off != 0 && !rewrite_avail)) {
			/* The common case in one loop without per-buffer
			 * branches: the address is the mbuf's plus a constant,
			 * the descriptor one struct store (len, flags and next
			 * are constants; next is unused without NEXT).
			 * Callgrind, loop with a stock host at 64 B:
			 * tv_rxq_refill 34 -> 27 instructions a packet (mempool
			 * get included). */
			const uint64_t off = (uint64_t)buf_off + addr_off;

			for (i = 0; i < n; i++) {
				uint16_t slot = idx++ & mask;

				desc[slot] = (struct tv_desc){
					.addr = (uint64_t)(uintptr_t)bufs[i] +
						off,
					.len = buf_len,
					.flags = TV_DESC_F_WRITE,
					.next = 0,
				};
				sw[slot] = bufs[i];
			}
			continue;
		}
		for (i = 0; i < n; i++) {
			uint16_t slot = idx++ & mask;
			/* rx_buf_va with buf_off in a local. */
			char *va = likely(buf_off != 0)
					   ? (char *)bufs[i] + buf_off
					   : (char *)bufs[i]->buf_addr;

			/* The header lands in the headroom, the packet at the
			 * normal data offset. flags never change (WRITE), but
			 * the line is written anyway for addr/len. */
			desc[slot].addr = (uint64_t)(uintptr_t)va + addr_off;
			desc[slot].len = buf_len;
			desc[slot].flags = TV_DESC_F_WRITE;
			/* The fixed layout wrote this at queue setup; only a
			 * handoff without IN_ORDER moves entries (tv_queue.c),
			 * and this puts them back. fixed_avail=0 (ablation)
			 * writes it every time. */
			if (unlikely(rewrite_avail) &&
			    (!fixed_avail || avail_ring[slot] != slot))
				avail_ring[slot] = slot;
			sw[slot] = bufs[i];
		}
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

uint16_t
tv_rx_burst_split(void *queue, struct rte_mbuf **pkts, uint16_t nb_pkts)
{
	return rx_burst(queue, pkts, nb_pkts, 0, NULL, false);
}

/* rte_power_monitor's callbacks: -1 (do not sleep) once the monitored
 * word says a buffer is waiting. They only compare a value the caller
 * read; the RX burst that follows reads the ring as always (acquire). */
static int
monitor_split(const uint64_t val,
	      const uint64_t opaque[RTE_POWER_MONITOR_OPAQUE_SZ])
{
	/* used->idx has moved past the entries we consumed. */
	return (uint16_t)val != (uint16_t)opaque[0] ? -1 : 0;
}

static int
monitor_packed(const uint64_t val,
	       const uint64_t opaque[RTE_POWER_MONITOR_OPAQUE_SZ])
{
	/* The descriptor at used_idx carries this lap's used flags. */
	return ((uint16_t)val & (TV_PACKED_F_AVAIL | TV_PACKED_F_USED)) ==
			       (uint16_t)opaque[0]
		       ? -1
		       : 0;
}

/* Split: used->idx, which the back-end writes for every batch it
 * completes. Packed: the flags of the descriptor at used_idx, the next
 * one it marks used. Both lie in the queue's ring memory, which lives
 * as long as the queue (allocated at set-up, the layout fixed at start),
 * and are 16-bit words. */
int
tv_rx_monitor_addr(void *queue, struct rte_power_monitor_cond *pmc)
{
	const struct tv_rxq *rxq = queue;

	if (rxq->packed) {
		pmc->addr = &rxq->pring.desc[rxq->used_idx & rxq->mask].flags;
		pmc->opaque[0] =
			tv_packed_used_flags(rxq->used_idx, rxq->pring.num);
		pmc->fn = monitor_packed;
	} else {
		pmc->addr = &rxq->ring.used->idx;
		pmc->opaque[0] = rxq->used_idx;
		pmc->fn = monitor_split;
	}
	pmc->size = sizeof(uint16_t);
	return 0;
}

/* Interrupt mode (virtio 1.2, 2.7.10 and 2.8.21: the driver's side of
 * used buffer notification suppression). Arming asks for a call on the
 * next used buffer: used_event = used_idx with EVENT_IDX (the back-end
 * calls once used->idx moves past it), else avail->flags cleared; packed
 * rings enable the driver event structure (ENABLE is valid with or
 * without EVENT_IDX). Disarming restores poll mode's suppression.
 *
 * Arming answers "do not sleep" (true) where a sleep could last for
 * ever: a received buffer already waits (the back-end called for it, or
 * will not), or a refill is due that the RX burst can make now (the pool
 * ran dry on an earlier burst: the back-end may have no buffer to fill,
 * so no call would come). Not for a queue the back-end broke, which the
 * burst does not read: it sleeps until a new back-end takes the ring
 * over and completes buffers past used_event, unless that hand-over
 * happened already (a recovery on offer).
 *
 * Not inside the queue's gate: a hand-over running meanwhile may make
 * the answer wrong once, either way, which costs one spurious wake-up or
 * one missed one for buffers the hand-over sends again to the new
 * back-end (whose completions then call). */
bool
tv_rxq_intr_arm(struct tv_rxq *rxq, bool on)
{
	struct rte_power_monitor_cond pmc;
	uint16_t now;

	rxq->intr_armed = on;
	if (rxq->packed) {
		__atomic_store_n(&rxq->pring.driver->flags,
				 on ? TV_PACKED_EVENT_FLAG_ENABLE
				    : TV_PACKED_EVENT_FLAG_DISABLE,
				 __ATOMIC_RELAXED);
	} else if (rxq->event_idx) {
		__atomic_store_n(
			tv_split_used_event(&rxq->ring),
			(uint16_t)(on ? rxq->used_idx : rxq->used_idx - 1),
			__ATOMIC_RELAXED);
		rxq->used_event_at = rxq->used_idx;
	} else {
		__atomic_store_n(&rxq->ring.avail->flags,
				 on ? 0 : TV_AVAIL_F_NO_INTERRUPT,
				 __ATOMIC_RELAXED);
	}
	if (!on)
		return false; /* a call already on its way: one spurious wake */
	if (rxq_is_broken(rxq) &&
	    __atomic_load_n(&rxq->recover_gen, __ATOMIC_ACQUIRE) ==
		    rxq->recover_seen)
		return false;
	/* Full barrier: our request is visible before we look at the ring
	 * again. Pairs with the back-end's full barrier between publishing
	 * used entries and reading used_event, the flags or the driver
	 * event structure (virtio 1.2, 2.7.10 / 2.8.21): either it sees
	 * the request and calls, or we see its buffer here. */
	rte_atomic_thread_fence(__ATOMIC_SEQ_CST);
	tv_rx_monitor_addr(rxq, &pmc);
	now = *(const volatile uint16_t *)pmc.addr;
	if (pmc.fn(now, pmc.opaque) != 0)
		return true;
	/* Refill due: split rings without IN_ORDER post in ring order and
	 * stop at a buffer the back-end still holds out of order (whose
	 * completion will call); packed rings never wait like that. */
	return rxq->ring.num - rxq->n_posted >= rxq->refill_at &&
	       (rxq->packed || rxq->sw[rxq->avail_idx & rxq->mask] == NULL);
}

/* ---- TX ---- */

void
tv_txq_broken(struct tv_txq *txq, uint64_t *counter, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	queue_broken(&txq->broken, counter, "tx", txq->port_id, txq->queue_id,
		     fmt, ap);
	va_end(ap);
}

bool
tv_txq_try_recover(struct tv_txq *txq)
{
	if (!queue_take_offer(&txq->recover_gen, &txq->recover_seen,
			      &txq->recover_used_idx, &txq->used_idx,
			      &txq->broken, &txq->stats.recoveries))
		return false;
	TV_DP_LOG(NOTICE, "port %u tx queue %u: resumed with a new back-end",
		  txq->port_id, txq->queue_id);
	return true;
}

/* IN_ORDER: the device may write one used entry for a whole batch of
 * chains (virtio 1.2, 2.7.9), so only the newest entry matters: it
 * completes every chain up to and including its own (the walk:
 * tx_free_in_order, tv_rxtx.h). */
static __rte_always_inline void
tx_reclaim_in_order(struct tv_txq *txq, uint16_t n_used,
		    struct tx_free_batch *fb)
{
	struct tv_tx_slot *const sw = txq->sw;
	const uint16_t mask = txq->mask;
	struct tv_used_elem e;
	uint16_t chains, freed, pos, end;

	read_used(&txq->ring, (uint16_t)(txq->used_idx + n_used - 1), mask, &e);
	/* In order, completed chains leave sw[] at once: every ndesc != 0
	 * is a live head, all of them in [desc_tail, desc_head). */
	if (unlikely(e.id >= txq->ring.num || sw[e.id].ndesc == 0)) {
		tv_txq_broken(
			txq, &txq->stats.err_used_id,
			"back-end returned descriptor %u, which is not the "
			"head of a chain in flight",
			e.id);
		return;
	}
	/* The completed descriptors are [desc_tail, end): up to e.id's
	 * chain and all of it. */
	pos = txq->desc_tail;
	end = (uint16_t)(pos + ((e.id - pos) & mask) + sw[e.id].ndesc);
	chains = tx_free_in_order(sw, mask, pos, end, fb);
	freed = (uint16_t)(end - txq->desc_tail);
	txq->n_inflight -= chains;
	txq->nb_free += freed;
	txq->desc_tail += freed;
	txq->used_idx += n_used;
	if (unlikely(chains < n_used)) /* each entry completes >= 1 chain */
		tv_txq_broken(txq, &txq->stats.err_used_idx,
			      "back-end wrote %u used entries for %u chains",
			      n_used, chains);
}

/* Without IN_ORDER each entry completes its own chain; descriptors go back
 * once the chains before them completed too. */
static void
tx_reclaim_any_order(struct tv_txq *txq, uint16_t n_used,
		     struct tx_free_batch *fb)
{
	while (n_used-- > 0) {
		struct tv_used_elem e;
		struct tv_tx_slot *s;

		read_used(&txq->ring, txq->used_idx, txq->mask, &e);
		if (unlikely(e.id >= txq->ring.num ||
			     txq->sw[e.id].ndesc == 0 ||
			     txq->sw[e.id].m == NULL)) {
			tv_txq_broken(
				txq, &txq->stats.err_used_id,
				"back-end returned descriptor %u, which is "
				"not the head of a chain in flight",
				e.id);
			break;
		}
		s = &txq->sw[e.id];
		tx_free_add(fb, s);
		s->m = NULL;
		txq->n_inflight--;
		txq->used_idx++;
	}
	while (txq->desc_tail != txq->desc_head) {
		struct tv_tx_slot *s = &txq->sw[txq->desc_tail & txq->mask];

		if (s->m != NULL || s->ndesc == 0)
			break;
		txq->desc_tail += s->ndesc;
		txq->nb_free += s->ndesc;
		s->ndesc = 0;
	}
}

/* Return completed chains' mbufs to their pools and their descriptors to
 * the free range. */
static void
tx_reclaim(struct tv_txq *txq)
{
	struct tx_free_batch fb;
	uint16_t n_used = load_used_idx(&txq->ring) - txq->used_idx;

	if (n_used == 0)
		return;
	/* IN_ORDER lets one entry complete several chains, so entries never
	 * outnumber the chains in flight. */
	if (unlikely(n_used > txq->n_inflight)) {
		tv_txq_broken(txq, &txq->stats.err_used_idx,
			      "back-end says %u buffers were used, only %u are "
			      "in flight",
			      n_used, txq->n_inflight);
		return;
	}
	fb.n = 0;
	fb.nc = 0;
	fb.pool = NULL;
	if (txq->in_order)
		tx_reclaim_in_order(txq, n_used, &fb);
	else
		tx_reclaim_any_order(txq, n_used, &fb);
	tx_free_flush(&fb);
	if (txq->event_idx)
		park_used_event(&txq->ring, txq->used_idx, &txq->used_event_at,
				(uint16_t)txq->ring.num, NULL);
}

void
tv_txq_reclaim(struct tv_txq *txq)
{
	if (txq->packed)
		tv_txq_reclaim_packed(txq);
	else
		tx_reclaim(txq);
}

/* Queue one packet the fast loop of tx_burst_body does not take (a chain,
 * a shared or indirect mbuf, no headroom, tx_hdr_push=0), or one that
 * needs more descriptors than are free now. Returns 1 if queued, 0 if
 * dropped (can never fit), -1 if the burst must stop (no room). */
static __rte_noinline int
tx_queue_general(struct tv_txq *txq, struct rte_mbuf *m, uint64_t *bytes)
{
	struct tv_desc *desc = txq->ring.desc;
	uint16_t *avail_ring = txq->ring.avail->ring;
	const uint32_t hdr_len = sizeof(struct tv_net_hdr_mrg);
	bool simple, push;
	uint32_t ndesc = tx_ndesc(txq, m, &simple, &push);
	uint16_t head, slot;

	if (unlikely(ndesc == 0))
		return 0;
	if (ndesc > txq->nb_free) {
		tx_reclaim(txq);
		if (ndesc > txq->nb_free || txq_is_broken(txq))
			return -1;
	}
	head = txq->desc_head & txq->mask;
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
		/* Consecutive positions, wrapping to 0: what IN_ORDER
		 * requires of chained descriptors. The walk is bounded by
		 * nb_segs, which sized the chain. */
		for (k = 1; k < ndesc && seg != NULL; k++, seg = seg->next) {
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
	txq->sw[head].pool = simple && txq->bulk ? m->pool : NULL;
	/* Fixed layout: the avail entry keeps its value as long as packets
	 * take one descriptor each; rewrite it only when a chain shifted the
	 * positions (keeps the line clean). fixed_avail=0 (ablation) writes
	 * it every time. */
	slot = txq->avail_idx & txq->mask;
	if (!txq->fixed_avail || avail_ring[slot] != head)
		avail_ring[slot] = head;
	txq->avail_idx++;
	txq->desc_head += (uint16_t)ndesc;
	txq->nb_free -= (uint16_t)ndesc;
	txq->n_inflight++;
	*bytes += m->pkt_len;
	return 1;
}

/* One burst. The fast loop keeps the queue's indices in locals (the
 * header and descriptor stores would otherwise make the compiler reload
 * them from txq after each one: they may alias) and takes packets that
 * need one descriptor with the header pushed into their headroom; any
 * other packet goes through tx_queue_general with the indices written
 * back. Callgrind, one-core loop at 64 B: 91 -> 64 instructions a packet
 * for this function without tx_reclaim. */
static __rte_always_inline uint16_t
tx_burst_body(struct tv_txq *txq, struct rte_mbuf **pkts, uint16_t nb_pkts)
{
	struct tv_desc *const desc = txq->ring.desc;
	uint16_t *const avail_ring = txq->ring.avail->ring;
	struct tv_tx_slot *const sw = txq->sw;
	const uint32_t hdr_len = sizeof(struct tv_net_hdr_mrg);
	const uint16_t mask = txq->mask;
	const bool push_ok = txq->hdr_push;
	const bool bulk = txq->bulk;
	const bool fixed_avail = txq->fixed_avail;
	const uint16_t old_idx = txq->avail_idx;
	uint16_t avail_idx, desc_head, nb_free, synced;
	uint16_t nb_tx;
	uint64_t bytes = 0;

	if (unlikely(txq_is_broken(txq)) && !tv_txq_try_recover(txq))
		return 0;
	tx_reclaim(txq);
	if (unlikely(txq_is_broken(txq)))
		return 0;

	/* txq's indices and n_inflight account for the packets up to
	 * `synced`; the locals run ahead of them. */
	avail_idx = synced = old_idx;
	desc_head = txq->desc_head;
	nb_free = txq->nb_free;
	for (nb_tx = 0; nb_tx < nb_pkts; nb_tx++) {
		struct rte_mbuf *m = pkts[nb_tx];
		uint16_t head, slot;
		uint32_t off, len;
		int r;

		if (unlikely(!push_ok || nb_free == 0 || !tx_is_fast(m))) {
			txq->avail_idx = avail_idx;
			txq->desc_head = desc_head;
			txq->nb_free = nb_free;
			txq->n_inflight += (uint16_t)(avail_idx - synced);
			/* Its reclaim may stop the queue (release store of
			 * broken), after which an IN_ORDER handoff reads
			 * avail_idx and n_inflight on the control thread: they
			 * are whole now and no store below changes them. */
			r = tx_queue_general(txq, m, &bytes);
			avail_idx = synced = txq->avail_idx;
			desc_head = txq->desc_head;
			nb_free = txq->nb_free;
			if (r < 0)
				break;
			continue;
		}
		off = m->data_off - hdr_len;
		len = m->data_len;
		bytes += m->pkt_len;
		head = desc_head & mask;
		sw[head].m = m;
		sw[head].ndesc = 1;
		sw[head].pool = bulk ? m->pool : NULL;
		/* One struct store (next is unused without NEXT). */
		desc[head] = (struct tv_desc){
			.addr = mbuf_va(m, off),
			.len = len + hdr_len,
			.flags = 0,
			.next = 0,
		};
		/* Constant size: inline stores, no memset call. */
		memset((char *)m->buf_addr + off, 0, hdr_len);
		/* Fixed layout (see tx_queue_general). */
		slot = avail_idx & mask;
		if (!fixed_avail || avail_ring[slot] != head)
			avail_ring[slot] = head;
		avail_idx++;
		desc_head++;
		nb_free--;
	}
	if (avail_idx != synced) {
		txq->desc_head = desc_head;
		txq->nb_free = nb_free;
		txq->avail_idx = avail_idx;
		txq->n_inflight += (uint16_t)(avail_idx - synced);
	}
	if (avail_idx != old_idx) {
		publish_avail_idx(&txq->ring, avail_idx);
		if (need_kick(&txq->ring, txq->event_idx, old_idx, avail_idx))
			kick(txq->kick_fd, &txq->stats.kicks);
		txq->stats.packets += (uint16_t)(avail_idx - old_idx);
		txq->stats.bytes += bytes;
	}
	return nb_tx;
}

uint16_t
tv_tx_burst_split(void *queue, struct rte_mbuf **pkts, uint16_t nb_pkts)
{
	struct tv_txq *txq = queue;
	const bool gated = !txq->in_order;
	uint16_t nb_tx;

	/* Without IN_ORDER, inside the gate (struct tv_dp_gate). */
	if (gated && unlikely(!dp_gate_enter(&txq->gate)))
		return 0;
	nb_tx = tx_burst_body(txq, pkts, nb_pkts);
	if (gated)
		dp_gate_leave(&txq->gate);
	return nb_tx;
}
