/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * tv_packed.c - packed-ring datapath of net_tandem_virtio (virtio 1.2,
 * section 2.8): RX and TX bursts, refill, completion, and the rewrite of a
 * started queue for a new back-end.
 *
 * Indexes: avail_idx/used_idx (RX) and desc_head/desc_tail (TX) are
 * free-running 16-bit descriptor indexes; the position is idx & mask and
 * the ring wrap counter follows from idx (tv_packed_wrap), so one counter
 * per side replaces the spec's position + wrap pair.
 *
 * Buffer ids: with IN_ORDER a buffer's id is the position of its first
 * descriptor, so a used descriptor names how far the device got (it may
 * write one for a whole batch: section 2.8.9). Without IN_ORDER ids come
 * from a stack of free ones (free_ids) and each used descriptor completes
 * the one buffer it names.
 *
 * Publishing: descriptors of a burst are written with their flags, except
 * the first one's, which a release store writes last: the device, which
 * reads the ring in order, sees the whole burst at once (and the stock
 * back-end's 4-descriptor batches find all four).
 *
 * Rules as in tv_rxtx.c: no locks, no atomic read-modify-write, no
 * allocation but mbufs in bulk, no syscall but a kick the back-end asked
 * for; every used descriptor is copied once and validated (id, length,
 * mergeable count) before use, and a violation stops the queue (counted,
 * logged once). Every burst runs inside the queue's gate (struct
 * tv_dp_gate): a handoff rewrites the ring from the driver's records
 * (tv_rxq_resync_packed), which needs the queue to itself.
 *
 * Threading: one lcore per queue (ethdev rule); the resync functions run
 * on the control path with the gate closed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_mempool.h>

#include "tv_rxtx.h"

/* ---- Ring access shared by RX and TX ---- */

static __rte_always_inline uint16_t
desc_flags(const struct tv_packed_desc *d)
{
	/* Acquire: the id and len the device wrote, and the buffer bytes it
	 * wrote, before marking the descriptor used are visible once we see
	 * the flags. Pairs with the device's release store of the flags. */
	return __atomic_load_n(&d->flags, __ATOMIC_ACQUIRE);
}

static __rte_always_inline void
publish_flags(struct tv_packed_desc *d, uint16_t flags)
{
	/* Release: this descriptor's other fields, and every descriptor of
	 * the batch after it, are written before the device can see this
	 * one available. Pairs with the device's acquire load of the flags
	 * (it reads the ring in order, so the batch's other flags need no
	 * barrier of their own). */
	__atomic_store_n(&d->flags, flags, __ATOMIC_RELEASE);
}

/* Should we notify the device after making old_idx .. new_idx - 1
 * available? */
static __rte_always_inline bool
need_kick_packed(const struct tv_packed *ring, bool event_idx, uint16_t old_idx,
		 uint16_t new_idx)
{
	uint16_t flags;

	/* Full barrier: the flags we published are visible before we read
	 * the device's event suppression structure, or we could read
	 * "disabled" while the device, about to sleep, reads our old
	 * flags. Pairs with the device's full barrier between enabling
	 * notifications and re-reading the ring (virtio 1.2, 2.8, "Sending
	 * Available Buffer Notifications": the driver's barrier). */
	rte_atomic_thread_fence(__ATOMIC_SEQ_CST);
	flags = __atomic_load_n(&ring->device->flags, __ATOMIC_RELAXED);
	if (flags == TV_PACKED_EVENT_FLAG_DISABLE)
		return false;
	if (flags == TV_PACKED_EVENT_FLAG_DESC && event_idx)
		return tv_packed_need_event(
			__atomic_load_n(&ring->device->off_wrap,
					__ATOMIC_RELAXED),
			new_idx, old_idx, ring->num);
	/* Enabled, or a value we do not know: notify. */
	return true;
}

/* Zero the ring; poll mode: ask the device never to notify us. */
static void
packed_ring_init(struct tv_packed *ring, void *mem, size_t bytes, uint32_t num)
{
	memset(mem, 0, bytes);
	tv_packed_init(ring, mem, num);
	ring->driver->flags = TV_PACKED_EVENT_FLAG_DISABLE;
}

/* Without IN_ORDER: every id free, popped 0, 1, 2, ... */
static void
ids_init(uint16_t *ids, uint16_t *n_free, uint32_t num)
{
	uint32_t i;

	for (i = 0; i < num; i++)
		ids[i] = (uint16_t)(num - 1 - i);
	*n_free = (uint16_t)num;
}

/* Handoff, gate closed: make the descriptors from free-running index
 * `from` up to `to` (the ring's free ones) say what an honest device
 * leaves there, "used on the lap before", whatever the old back-end wrote:
 * the new one reads on from the oldest outstanding descriptor and must
 * stop where the outstanding ones end. The device's event suppression
 * structure gets a fresh ring's value (notifications enabled) until the
 * new back-end writes its own. */
static void
packed_ring_settle(struct tv_packed *ring, uint16_t from, uint16_t to)
{
	const uint32_t num = ring->num;
	uint16_t idx;

	for (idx = from; idx != to; idx++)
		ring->desc[idx & (num - 1)].flags =
			tv_packed_used_flags((uint16_t)(idx - num), num);
	ring->device->off_wrap = 0;
	ring->device->flags = TV_PACKED_EVENT_FLAG_ENABLE;
}

/* ---- RX ---- */

void
tv_rxq_reset_packed(struct tv_rxq *rxq)
{
	packed_ring_init(&rxq->pring, rxq->ring_mem, rxq->ring_bytes,
			 rxq->pring.num);
	ids_init(rxq->free_ids, &rxq->n_free_ids, rxq->pring.num);
}

uint16_t
tv_rxq_refill_packed(struct tv_rxq *rxq)
{
	/* Locals: the descriptor and sw[] stores may alias rxq's fields as
	 * far as the compiler knows. */
	struct tv_packed_desc *const desc = rxq->pring.desc;
	struct rte_mbuf **const sw = rxq->sw;
	uint16_t *const free_ids = rxq->free_ids;
	const uint32_t num = rxq->pring.num;
	const uint16_t mask = rxq->mask;
	const uint32_t buf_len = rxq->buf_len;
	const uint32_t buf_off = rxq->buf_off;
	const uint32_t addr_off = RTE_PKTMBUF_HEADROOM - rxq->hdr_len;
	const bool in_order = rxq->in_order;
	const uint16_t old_idx = rxq->avail_idx;
	uint16_t want = (uint16_t)(num - rxq->n_posted);
	uint16_t n_free_ids = rxq->n_free_ids;
	uint16_t idx = old_idx, first_flags = 0;

	while (want > 0) {
		struct rte_mbuf *bufs[TV_RX_BULK];
		uint16_t n = RTE_MIN(want, (uint16_t)TV_RX_BULK);
		uint16_t i;

		if (unlikely(rx_get_mbufs(rxq, bufs, n) != 0))
			break;
		want -= n;
		for (i = 0; i < n; i++, idx++) {
			const uint16_t pos = idx & mask;
			/* Without IN_ORDER, n_posted + n_free_ids = num: an id
			 * for every free descriptor. */
			const uint16_t id =
				in_order ? pos : free_ids[--n_free_ids];
			const uint16_t flags =
				(uint16_t)(TV_DESC_F_WRITE |
					   tv_packed_avail_flags(idx, num));
			const char *va = likely(buf_off != 0)
						 ? (char *)bufs[i] + buf_off
						 : (char *)bufs[i]->buf_addr;

			sw[id] = bufs[i];
			if (idx == old_idx) {
				/* The batch's first: flags last (below). */
				desc[pos].addr =
					(uint64_t)(uintptr_t)va + addr_off;
				desc[pos].len = buf_len;
				desc[pos].id = id;
				first_flags = flags;
				continue;
			}
			desc[pos] = (struct tv_packed_desc){
				.addr = (uint64_t)(uintptr_t)va + addr_off,
				.len = buf_len,
				.id = id,
				.flags = flags,
			};
		}
	}
	if (idx == old_idx)
		return 0;
	rxq->n_free_ids = n_free_ids;
	publish_flags(&desc[old_idx & mask], first_flags);
	rxq->avail_idx = idx;
	rxq->n_posted += (uint16_t)(idx - old_idx);
	if (need_kick_packed(&rxq->pring, rxq->event_idx, old_idx, idx))
		kick(rxq->kick_fd, &rxq->stats.kicks);
	return (uint16_t)(idx - old_idx);
}

#define PK_WIDTH 4u

/* IN_ORDER: take 4 packets at used_idx if each is one buffer and every
 * check passes (used descriptors already seen by the scan). */
static __rte_always_inline unsigned int
rx_group_packed(struct tv_rxq *rxq, struct rte_mbuf **pkts, uint64_t *bytes)
{
	const uint16_t base = rxq->used_idx & rxq->mask;
	const struct tv_packed_desc *d = &rxq->pring.desc[base];
	const uint32_t hdr = rxq->hdr_len;
	const uint32_t room = rxq->buf_len - hdr;
	struct tv_used_elem e[PK_WIDTH];
	struct rte_mbuf *m[PK_WIDTH];
	uint32_t bad = 0, i;

	for (i = 0; i < PK_WIDTH; i++) {
		e[i].id = __atomic_load_n(&d[i].id, __ATOMIC_RELAXED);
		e[i].len = __atomic_load_n(&d[i].len, __ATOMIC_RELAXED);
		bad |= (e[i].id != base + i) | (e[i].len - hdr > room);
	}
	if (bad)
		return 0;
	if (!rx_vec_take(rxq, e, m, PK_WIDTH))
		return 0;
	for (i = 0; i < PK_WIDTH; i++) {
		rx_init_mbuf(m[i], rxq->mbuf_initializer, e[i].len - hdr,
			     (uint16_t)(e[i].len - hdr));
		*bytes += e[i].len - hdr;
		pkts[i] = m[i];
	}
	return PK_WIDTH;
}

uint16_t
tv_rx_burst_packed(void *queue, struct rte_mbuf **pkts, uint16_t nb_pkts)
{
	return rx_burst(queue, pkts, nb_pkts, PK_WIDTH, rx_group_packed, true);
}

/* Gate closed, the old back-end gone: every buffer still posted is made
 * available again in [used_idx, avail_idx), written from sw[]. Packets
 * the old back-end completed but we had not received are lost (their
 * buffers are offered again, as on a split ring without IN_ORDER). */
void
tv_rxq_resync_packed(struct tv_rxq *rxq)
{
	struct tv_packed_desc *const desc = rxq->pring.desc;
	const uint32_t num = rxq->pring.num;
	const uint32_t addr_off = RTE_PKTMBUF_HEADROOM - rxq->hdr_len;
	uint16_t idx = rxq->used_idx, first_flags = 0;
	uint32_t id;

	for (id = 0; id < num; id++) {
		/* IN_ORDER: the buffers at [used_idx, avail_idx) are sw[pos]
		 * at their own position; else any posted id, in id order. */
		uint16_t bid =
			rxq->in_order
				? (uint16_t)((rxq->used_idx + id) & rxq->mask)
				: (uint16_t)id;
		uint16_t pos = idx & rxq->mask;
		uint16_t flags;

		if (rxq->in_order && idx == rxq->avail_idx)
			break;
		if (rxq->sw[bid] == NULL)
			continue;
		flags = (uint16_t)(TV_DESC_F_WRITE |
				   tv_packed_avail_flags(idx, num));
		desc[pos].addr =
			(uint64_t)(uintptr_t)rx_buf_va(rxq, rxq->sw[bid]) +
			addr_off;
		desc[pos].len = rxq->buf_len;
		desc[pos].id = bid;
		if (idx == rxq->used_idx)
			first_flags = flags;
		else
			desc[pos].flags = flags;
		idx++;
	}
	/* idx - used_idx is the number of posted buffers: n_posted, unless
	 * the records disagree, which only our own bug could make. */
	rxq->avail_idx = idx;
	rxq->n_posted = (uint16_t)(idx - rxq->used_idx);
	packed_ring_settle(&rxq->pring, idx, (uint16_t)(rxq->used_idx + num));
	if (idx != rxq->used_idx)
		publish_flags(&desc[rxq->used_idx & rxq->mask], first_flags);
}

/* ---- TX ---- */

void
tv_txq_reset_packed(struct tv_txq *txq)
{
	packed_ring_init(&txq->pring, txq->ring_mem, txq->ring_bytes,
			 txq->pring.num);
	ids_init(txq->free_ids, &txq->n_free_ids, txq->pring.num);
}

/* Write the ndesc descriptors of m at free-running idx as buffer `id`,
 * and its zero virtio-net header: pushed into m's headroom (ndesc 1),
 * else the separate hdrs[id], then one descriptor per segment. The first
 * descriptor's flags go to *head_flags when `hold_head` (the caller
 * publishes them), else into the ring last. */
static void
tx_write_chain(struct tv_txq *txq, struct rte_mbuf *m, uint16_t idx,
	       uint16_t id, uint16_t ndesc, bool hold_head,
	       uint16_t *head_flags)
{
	struct tv_packed_desc *const desc = txq->pring.desc;
	const uint32_t num = txq->pring.num;
	const uint32_t hdr_len = sizeof(struct tv_net_hdr_mrg);
	const uint16_t head = idx & txq->mask;
	const struct rte_mbuf *seg = m;
	uint16_t k, flags0;

	if (ndesc == 1) {
		uint32_t off = m->data_off - hdr_len;

		memset((char *)m->buf_addr + off, 0, hdr_len);
		desc[head].addr = mbuf_va(m, off);
		desc[head].len = m->data_len + hdr_len;
		desc[head].id = id;
		flags0 = tv_packed_avail_flags(idx, num);
	} else {
		memset(&txq->hdrs[id], 0, hdr_len);
		desc[head].addr = (uint64_t)(uintptr_t)&txq->hdrs[id];
		desc[head].len = hdr_len;
		desc[head].id = id;
		flags0 = (uint16_t)(TV_DESC_F_NEXT |
				    tv_packed_avail_flags(idx, num));
		/* Consecutive positions, each with the flags of its own lap
		 * (a list may wrap); the id in every one, the spec needs it
		 * in the last. Bounded by ndesc, which nb_segs sized. */
		for (k = 1; k < ndesc && seg != NULL; k++, seg = seg->next) {
			uint16_t i = (uint16_t)(idx + k);
			uint16_t pos = i & txq->mask;

			desc[pos] = (struct tv_packed_desc){
				.addr = mbuf_va(seg, seg->data_off),
				.len = seg->data_len,
				.id = id,
				.flags = (uint16_t)((k + 1 < ndesc
							     ? TV_DESC_F_NEXT
							     : 0) |
						    tv_packed_avail_flags(i,
									  num)),
			};
		}
	}
	if (hold_head)
		*head_flags = flags0;
	else
		publish_flags(&desc[head], flags0);
}

/* Put one id back (without IN_ORDER). */
static __rte_always_inline void
tx_id_put(struct tv_txq *txq, uint16_t id)
{
	if (!txq->in_order)
		txq->free_ids[txq->n_free_ids++] = id;
}

/* IN_ORDER: the used descriptor at desc_tail names the last buffer of a
 * batch the device completed; every chain from desc_tail up to and
 * including that buffer's is done. Returns the new tail, or desc_tail
 * with the queue broken if the id names no chain in flight. The walk
 * goes over positions, not from chain to chain (see tx_reclaim_in_order
 * in tv_rxtx.c for why). */
static __rte_always_inline uint16_t
tx_complete_in_order(struct tv_txq *txq, uint16_t tail, uint16_t id,
		     struct tx_free_batch *fb, uint16_t *chains)
{
	struct tv_tx_slot *const sw = txq->sw;
	const uint16_t mask = txq->mask;
	uint16_t off, end;

	off = (uint16_t)((id - tail) & mask);
	if (unlikely(id >= txq->pring.num || sw[id].ndesc == 0 ||
		     (uint16_t)(off + sw[id].ndesc) >
			     (uint16_t)(txq->desc_head - tail))) {
		tv_txq_broken(txq, &txq->stats.err_used_id,
			      "back-end returned buffer id %u, which is not a "
			      "chain in flight",
			      id);
		return tail;
	}
	end = (uint16_t)(tail + off + sw[id].ndesc);
	*chains += tx_free_in_order(sw, mask, tail, end, fb);
	return end;
}

/* Without IN_ORDER: the used descriptor completes the one buffer it
 * names, and the device skipped that buffer's descriptors. */
static uint16_t
tx_complete_any_order(struct tv_txq *txq, uint16_t tail, uint16_t id,
		      struct tx_free_batch *fb, uint16_t *chains)
{
	struct tv_tx_slot *s;

	if (unlikely(id >= txq->pring.num || txq->sw[id].ndesc == 0 ||
		     txq->sw[id].ndesc > (uint16_t)(txq->desc_head - tail))) {
		tv_txq_broken(txq, &txq->stats.err_used_id,
			      "back-end returned buffer id %u, which is not a "
			      "chain in flight",
			      id);
		return tail;
	}
	s = &txq->sw[id];
	tail = (uint16_t)(tail + s->ndesc);
	tx_free_add(fb, s);
	s->m = NULL;
	s->ndesc = 0;
	tx_id_put(txq, id);
	(*chains)++;
	return tail;
}

void
tv_txq_reclaim_packed(struct tv_txq *txq)
{
	const struct tv_packed_desc *const desc = txq->pring.desc;
	const uint32_t num = txq->pring.num;
	const uint16_t mask = txq->mask;
	struct tx_free_batch fb;
	uint16_t tail = txq->desc_tail, chains = 0;

	fb.n = 0;
	fb.nc = 0;
	fb.pool = NULL;
	/* Each used descriptor completes at least one chain: at most
	 * n_inflight rounds. */
	while (chains < txq->n_inflight) {
		const struct tv_packed_desc *d = &desc[tail & mask];
		uint16_t id, next;

		if (!tv_packed_is_used_at(desc_flags(d), tail, num))
			break;
		id = __atomic_load_n(&d->id, __ATOMIC_RELAXED);
		if (txq->in_order)
			next = tx_complete_in_order(txq, tail, id, &fb,
						    &chains);
		else
			next = tx_complete_any_order(txq, tail, id, &fb,
						     &chains);
		if (next == tail)
			break; /* broken */
		tail = next;
	}
	txq->n_inflight -= chains;
	txq->nb_free += (uint16_t)(tail - txq->desc_tail);
	txq->desc_tail = tail;
	tx_free_flush(&fb);
}

/* Queue a packet the fast loop does not take (a chain, a shared or
 * indirect mbuf, no headroom, tx_hdr_push=0), or one that needs more
 * descriptors than are free now. *head_flags: as tx_write_chain, for the
 * burst's first descriptor, when m is the burst's first packet (`first`:
 * nothing written yet, its flags are held back). Returns 1 if queued, 0 if
 * dropped (can never fit), -1 if the burst must stop (no room). */
static __rte_noinline int
tx_queue_general_packed(struct tv_txq *txq, struct rte_mbuf *m, bool first,
			uint16_t *head_flags, uint64_t *bytes)
{
	bool simple, push;
	uint32_t ndesc = tx_ndesc(txq, m, &simple, &push);
	uint16_t idx = txq->desc_head, id;

	if (unlikely(ndesc == 0))
		return 0;
	/* Reclaim only while the burst holds nothing back (first: it has
	 * written no descriptor yet). Once it has, the descriptors from its
	 * first on are not published: the device cannot have used them, and
	 * the first one's flags are whatever the ring held there before,
	 * which a broken back-end (or the one before a handoff) may have
	 * left saying "used on this lap". A reclaim reaching it would free
	 * chains never published, and the burst would then publish the
	 * held flags over whatever it wrote there next. So stop: the next
	 * burst reclaims first. */
	if (ndesc > txq->nb_free) {
		if (!first)
			return -1;
		tv_txq_reclaim_packed(txq);
		if (ndesc > txq->nb_free || txq_is_broken(txq))
			return -1;
	}
	id = txq->in_order ? (uint16_t)(idx & txq->mask)
			   : txq->free_ids[--txq->n_free_ids];
	txq->sw[id].m = m;
	txq->sw[id].ndesc = (uint16_t)ndesc;
	txq->sw[id].pool = simple && txq->bulk ? m->pool : NULL;
	txq->sw[id].seq = txq->next_seq++;
	tx_write_chain(txq, m, idx, id, (uint16_t)ndesc, first, head_flags);
	txq->desc_head += (uint16_t)ndesc;
	txq->nb_free -= (uint16_t)ndesc;
	txq->n_inflight++;
	*bytes += m->pkt_len;
	return 1;
}

static __rte_always_inline uint16_t
tx_burst_packed_body(struct tv_txq *txq, struct rte_mbuf **pkts,
		     uint16_t nb_pkts)
{
	struct tv_packed_desc *const desc = txq->pring.desc;
	struct tv_tx_slot *const sw = txq->sw;
	const uint32_t num = txq->pring.num;
	const uint32_t hdr_len = sizeof(struct tv_net_hdr_mrg);
	const uint16_t mask = txq->mask;
	const bool push_ok = txq->hdr_push;
	const bool bulk = txq->bulk;
	const bool in_order = txq->in_order;
	const uint16_t first = txq->desc_head;
	uint16_t head, nb_free, first_flags = 0;
	uint16_t nb_tx, n_queued = 0, n_sent = 0;
	uint64_t bytes = 0;

	if (unlikely(txq_is_broken(txq)))
		return 0;
	tv_txq_reclaim_packed(txq);
	if (unlikely(txq_is_broken(txq)))
		return 0;

	head = first;
	nb_free = txq->nb_free;
	for (nb_tx = 0; nb_tx < nb_pkts; nb_tx++) {
		struct rte_mbuf *m = pkts[nb_tx];
		uint16_t pos, id, flags;
		uint32_t off;
		int r;

		if (unlikely(!push_ok || nb_free == 0 || !tx_is_fast(m))) {
			txq->desc_head = head;
			txq->nb_free = nb_free;
			txq->n_inflight += n_queued;
			n_queued = 0;
			r = tx_queue_general_packed(txq, m, head == first,
						    &first_flags, &bytes);
			head = txq->desc_head;
			nb_free = txq->nb_free;
			if (r < 0)
				break;
			n_sent += (uint16_t)r;
			continue;
		}
		pos = head & mask;
		if (in_order) {
			id = pos;
		} else {
			id = txq->free_ids[--txq->n_free_ids];
			sw[id].seq = txq->next_seq++;
		}
		off = m->data_off - hdr_len;
		bytes += m->pkt_len;
		sw[id].m = m;
		sw[id].ndesc = 1;
		sw[id].pool = bulk ? m->pool : NULL;
		flags = tv_packed_avail_flags(head, num);
		if (head == first) {
			desc[pos].addr = mbuf_va(m, off);
			desc[pos].len = m->data_len + hdr_len;
			desc[pos].id = id;
			first_flags = flags;
		} else {
			desc[pos] = (struct tv_packed_desc){
				.addr = mbuf_va(m, off),
				.len = m->data_len + hdr_len,
				.id = id,
				.flags = flags,
			};
		}
		/* Constant size: inline stores, no memset call. */
		memset((char *)m->buf_addr + off, 0, hdr_len);
		head++;
		nb_free--;
		n_queued++;
		n_sent++;
	}
	txq->desc_head = head;
	txq->nb_free = nb_free;
	txq->n_inflight += n_queued;
	if (head != first) {
		publish_flags(&desc[first & mask], first_flags);
		if (need_kick_packed(&txq->pring, txq->event_idx, first, head))
			kick(txq->kick_fd, &txq->stats.kicks);
		/* Chains queued (a dropped packet is not one). */
		txq->stats.packets += n_sent;
		txq->stats.bytes += bytes;
	}
	return nb_tx;
}

uint16_t
tv_tx_burst_packed(void *queue, struct rte_mbuf **pkts, uint16_t nb_pkts)
{
	struct tv_txq *txq = queue;
	uint16_t nb_tx;

	if (unlikely(!dp_gate_enter(&txq->gate)))
		return 0;
	nb_tx = tx_burst_packed_body(txq, pkts, nb_pkts);
	dp_gate_leave(&txq->gate);
	return nb_tx;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The ids of the chains in flight (without IN_ORDER), oldest first: keys
 * seq - next_seq (modulo 2^32) grow with a chain's age. Returns how many
 * (order[] has room for num). Control path. */
static uint16_t
tx_inflight_by_age(const struct tv_txq *txq, uint64_t *order)
{
	uint16_t n = 0;
	uint32_t id;

	for (id = 0; id < txq->pring.num; id++)
		if (txq->sw[id].ndesc != 0)
			order[n++] = (uint64_t)(txq->sw[id].seq - txq->next_seq)
					     << 16 |
				     id;
	qsort(order, n, sizeof(order[0]), cmp_u64);
	return n;
}

/* Gate closed, the old back-end gone: take its completions (unless it
 * broke the queue: then none after the bad one is trusted, and those
 * chains go out again), then make every chain still in flight available
 * again in [desc_tail, desc_head), in the order they were submitted,
 * written from sw[]. A chain the old back-end sent but had not reported
 * is sent twice. */
int
tv_txq_resync_packed(struct tv_txq *txq)
{
	struct tv_packed_desc *const desc = txq->pring.desc;
	const uint32_t num = txq->pring.num;
	uint64_t *order = NULL;
	uint16_t idx, first_flags = 0, chains = 0, n = 0, k;

	if (!txq->in_order) {
		/* Chains complete in any order: sort the ones in flight by
		 * submission (oldest first; seq counts modulo 2^32). */
		order = malloc(num * sizeof(*order));
		if (order == NULL)
			return -ENOMEM;
	}
	if (!txq->broken)
		tv_txq_reclaim_packed(txq);
	if (!txq->in_order)
		n = tx_inflight_by_age(txq, order);
	idx = txq->desc_tail;
	for (k = 0; txq->in_order ? idx != txq->desc_head : k < n; k++) {
		/* IN_ORDER: the chains in flight sit at their own positions
		 * from desc_tail on, ids = positions. */
		const uint16_t bid = txq->in_order
					     ? (uint16_t)(idx & txq->mask)
					     : (uint16_t)(order[k] & 0xffff);
		const struct tv_tx_slot *s = &txq->sw[bid];

		if (s->ndesc == 0)
			break; /* cannot happen: the records are our own */
		tx_write_chain(txq, s->m, idx, bid, s->ndesc,
			       idx == txq->desc_tail, &first_flags);
		idx += s->ndesc;
		chains++;
	}
	free(order);
	/* idx is desc_head again: the chains in flight fill exactly the
	 * descriptors not yet completed. */
	txq->desc_head = idx;
	txq->nb_free = (uint16_t)(num - (uint16_t)(idx - txq->desc_tail));
	txq->n_inflight = chains;
	packed_ring_settle(&txq->pring, idx, (uint16_t)(txq->desc_tail + num));
	if (idx != txq->desc_tail)
		publish_flags(&desc[txq->desc_tail & txq->mask], first_flags);
	return 0;
}
