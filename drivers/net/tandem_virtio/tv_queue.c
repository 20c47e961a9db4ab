/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * tv_queue.c - allocation and (re)initialisation of the guest's rings
 * (split here, packed in tv_packed.c). Rings live in DPDK memory (rte_zmalloc)
 * so that they are inside the memory table shared with the back-end, and they
 * never move for the lifetime of the queue: a back-end reconnect only hands the
 * same addresses to the new back-end.
 *
 * Called from the control path only: while the queue is not polled, except
 * the handoff to a new back-end at the end.
 */
#include <assert.h>
#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "tv_rxtx.h"

/* The queue's kick eventfd. In poll mode there is no call eventfd, and
 * SET_VRING_CALL says so (no fd, the vhost-user "invalid FD" flag), which
 * spares a back-end that honours it the full barrier and the used_event
 * read it would otherwise pay after every burst to decide on a call. RX
 * queues get one in interrupt mode (intr_conf.rxq, tv_ethdev.c). */
static int
queue_kick_fd(int *kick_fd)
{
	/* Non-blocking: a kick must never stall the datapath. */
	*kick_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (*kick_fd < 0)
		return -errno;
	return 0;
}

static void
close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Ring memory of a queue: either layout fits, the format is known only
 * once a back-end negotiated it. */
static size_t
ring_bytes(uint16_t nb_desc)
{
	return RTE_MAX(tv_split_size(nb_desc, TV_SPLIT_USED_ALIGN),
		       tv_packed_size(nb_desc));
}

/* Zero the ring and write the parts that never change afterwards: the
 * fixed avail layout (avail->ring[i] = i) and interrupt suppression. */
static void
ring_init(struct tv_split *ring, void *mem, size_t bytes, uint32_t num,
	  bool event_idx)
{
	uint32_t i;

	memset(mem, 0, bytes);
	tv_split_init(ring, mem, num, TV_SPLIT_USED_ALIGN);
	for (i = 0; i < num; i++)
		ring->avail->ring[i] = (uint16_t)i;
	/* Poll mode: ask the back-end never to call us. Without EVENT_IDX
	 * that is the flag; with it, used_event parked just behind our
	 * consumer index (the datapath keeps it there, see tv_rxtx.c). */
	if (event_idx)
		*tv_split_used_event(ring) = UINT16_MAX;
	else
		ring->avail->flags = TV_AVAIL_F_NO_INTERRUPT;
}

/* Offset of the buffer from the mbuf if every mbuf of the pool has
 * rte_pktmbuf_init's layout (checked on one, which is the layout of the
 * whole pool in every pool DPDK creates), else 0: read buf_addr. */
static uint32_t
rx_buf_off(struct rte_mempool *mp)
{
	uint32_t off = sizeof(struct rte_mbuf) + rte_pktmbuf_priv_size(mp);
	struct rte_mbuf *m;
	void *obj;

	if (rte_mempool_get(mp, &obj) != 0)
		return 0;
	m = obj;
	if ((char *)m->buf_addr != (char *)m + off)
		off = 0;
	rte_mempool_put(mp, obj);
	return off;
}

int
tv_rxq_create(struct tv_rxq **out, uint16_t port_id, uint16_t queue_id,
	      uint16_t nb_desc, int socket_id, struct rte_mempool *mp)
{
	struct tv_rxq *rxq;
	uint16_t room = rte_pktmbuf_data_room_size(mp);
	int ret;

	if (!tv_split_num_valid(nb_desc)) {
		TV_LOG(ERR,
		       "rx queue %u: %u descriptors: must be a power of "
		       "two <= %u",
		       queue_id, nb_desc, TV_QUEUE_SIZE_MAX);
		return -EINVAL;
	}
	if (room < RTE_PKTMBUF_HEADROOM + TV_MIN_RX_ROOM) {
		TV_LOG(ERR,
		       "rx queue %u: mbuf data room %u is too small (need "
		       "headroom %u + %u)",
		       queue_id, room, RTE_PKTMBUF_HEADROOM, TV_MIN_RX_ROOM);
		return -EINVAL;
	}
	/* The virtio-net header is received into the headroom. */
	RTE_BUILD_BUG_ON(RTE_PKTMBUF_HEADROOM < sizeof(struct tv_net_hdr_mrg));
	/* RX initialises mbufs itself (tv_rxtx.h); pinned external buffers
	 * carry flags and shared info it would overwrite. */
	if (rte_pktmbuf_priv_flags(mp) & RTE_PKTMBUF_POOL_F_PINNED_EXT_BUF) {
		TV_LOG(ERR,
		       "rx queue %u: pool %s has pinned external buffers, "
		       "which net_tandem_virtio does not support",
		       queue_id, mp->name);
		return -ENOTSUP;
	}

	rxq = rte_zmalloc_socket("tv_rxq", sizeof(*rxq), RTE_CACHE_LINE_SIZE,
				 socket_id);
	if (rxq == NULL)
		return -ENOMEM;
	rxq->kick_fd = -1;
	rxq->call_fd = -1;
	rxq->port_id = port_id;
	rxq->queue_id = queue_id;
	rxq->mp = mp;
	rxq->buf_off = rx_buf_off(mp);
	rxq->mask = nb_desc - 1;
	rxq->ring.num = nb_desc;
	rxq->free_thresh = tv_rx_free_thresh_default(nb_desc);
	rxq->ring_bytes = ring_bytes(nb_desc);
	rxq->ring_mem = rte_zmalloc_socket("tv_rxring", rxq->ring_bytes,
					   TV_SPLIT_USED_ALIGN, socket_id);
	rxq->sw = rte_zmalloc_socket("tv_rxsw", nb_desc * sizeof(rxq->sw[0]),
				     RTE_CACHE_LINE_SIZE, socket_id);
	rxq->free_ids = rte_zmalloc_socket("tv_rxids",
					   nb_desc * sizeof(rxq->free_ids[0]),
					   RTE_CACHE_LINE_SIZE, socket_id);
	if (rxq->ring_mem == NULL || rxq->sw == NULL || rxq->free_ids == NULL) {
		ret = -ENOMEM;
		goto fail;
	}
	ret = queue_kick_fd(&rxq->kick_fd);
	if (ret < 0)
		goto fail;
	tv_split_init(&rxq->ring, rxq->ring_mem, nb_desc, TV_SPLIT_USED_ALIGN);
	*out = rxq;
	return 0;
fail:
	tv_rxq_free(rxq);
	return ret;
}

void
tv_rxq_drain(struct tv_rxq *rxq)
{
	uint32_t i;

	for (i = 0; i < rxq->ring.num; i++) {
		if (rxq->sw[i] != NULL) {
			/* Posted buffers are raw pool objects (tv_rxtx.h). */
			rte_mempool_put(rxq->mp, rxq->sw[i]);
			rxq->sw[i] = NULL;
		}
	}
	rxq->n_posted = 0;
}

void
tv_rxq_free(struct tv_rxq *rxq)
{
	if (rxq == NULL)
		return;
	if (rxq->sw != NULL)
		tv_rxq_drain(rxq);
	close_fd(&rxq->kick_fd);
	rte_free(rxq->free_ids);
	rte_free(rxq->sw);
	rte_free(rxq->ring_mem);
	rte_free(rxq);
}

/* rearm_data of a received RX mbuf (see tv_rxtx.h). */
static uint64_t
rx_mbuf_initializer(uint16_t port_id, uint16_t data_off)
{
	struct rte_mbuf mb;
	uint64_t v;

	memset(&mb, 0, sizeof(mb));
	mb.data_off = data_off;
	mb.nb_segs = 1;
	mb.port = port_id;
	rte_mbuf_refcnt_set(&mb, 1);
	RTE_BUILD_BUG_ON(offsetof(struct rte_mbuf, port) + sizeof(mb.port) -
				 TV_MBUF_OFF_REARM !=
			 sizeof(v));
	memcpy(&v, (char *)&mb + TV_MBUF_OFF_REARM, sizeof(v));
	return v;
}

/* The refill threshold in effect: free_thresh, unless that could stall RX.
 * A back-end places a packet only when all the buffers it needs are
 * posted; with mergeable buffers that is up to k of them (a
 * TV_MAX_RX_PKTLEN frame in buf_len-byte buffers). Waiting for more than
 * num - k + 1 free buffers could leave fewer than k posted and nothing to
 * refill for: RX would stop for good. */
static uint16_t
rx_refill_at(const struct tv_rxq *rxq)
{
	uint32_t num = rxq->ring.num;
	uint32_t k = rxq->mrg_rxbuf
			     ? (TV_MAX_RX_PKTLEN + rxq->hdr_len + rxq->buf_len -
				1) / rxq->buf_len
			     : 1;
	uint32_t most = num >= k ? num - k + 1 : 1;

	return (uint16_t)RTE_MIN(rxq->free_thresh, most);
}

int
tv_rxq_reset(struct tv_rxq *rxq, const struct tv_dp_features *f, bool scatter)
{
	uint32_t num = rxq->ring.num;

	tv_rxq_drain(rxq);
	rxq->packed = f->packed;
	if (f->packed)
		tv_rxq_reset_packed(rxq);
	else
		ring_init(&rxq->ring, rxq->ring_mem, rxq->ring_bytes, num,
			  f->event_idx);
	rxq->avail_idx = 0;
	rxq->used_idx = 0;
	rxq->used_event_at = 0;
	rxq->mrg_rxbuf = f->mrg_rxbuf;
	rxq->in_order = f->in_order;
	rxq->event_idx = f->event_idx;
	rxq->scatter = scatter;
	rxq->fixed_avail = f->fixed_avail;
	rxq->bulk = f->bulk;
	rxq->broken = false;
	rxq->recover_seen = rxq->recover_gen;
	rxq->drop_logged = false;
	rxq->intr_armed = false; /* the ring was laid out suppressed */
	/* Tandem always negotiates VERSION_1: the header is 12 bytes. */
	rxq->hdr_len = tv_net_hdr_len(TV_BIT(TV_F_VERSION_1));
	rxq->buf_len = rte_pktmbuf_data_room_size(rxq->mp) -
		       RTE_PKTMBUF_HEADROOM + rxq->hdr_len;
	rxq->refill_at = rx_refill_at(rxq); /* after mrg_rxbuf, buf_len */
	rxq->mbuf_initializer =
		rx_mbuf_initializer(rxq->port_id, RTE_PKTMBUF_HEADROOM);
	rxq->seg_initializer = rx_mbuf_initializer(
		rxq->port_id, RTE_PKTMBUF_HEADROOM - rxq->hdr_len);
	if (tv_rxq_refill(rxq) == 0) {
		TV_LOG(ERR, "rx queue %u: no mbuf for the ring (pool %s empty)",
		       rxq->queue_id, rxq->mp->name);
		return -ENOMEM;
	}
	return 0;
}

int
tv_txq_create(struct tv_txq **out, uint16_t queue_id, uint16_t nb_desc,
	      int socket_id)
{
	struct tv_txq *txq;
	int ret;

	if (!tv_split_num_valid(nb_desc)) {
		TV_LOG(ERR,
		       "tx queue %u: %u descriptors: must be a power of "
		       "two <= %u",
		       queue_id, nb_desc, TV_QUEUE_SIZE_MAX);
		return -EINVAL;
	}
	txq = rte_zmalloc_socket("tv_txq", sizeof(*txq), RTE_CACHE_LINE_SIZE,
				 socket_id);
	if (txq == NULL)
		return -ENOMEM;
	txq->kick_fd = -1;
	txq->queue_id = queue_id;
	txq->mask = nb_desc - 1;
	txq->ring.num = nb_desc;
	txq->ring_bytes = ring_bytes(nb_desc);
	txq->ring_mem = rte_zmalloc_socket("tv_txring", txq->ring_bytes,
					   TV_SPLIT_USED_ALIGN, socket_id);
	txq->sw = rte_zmalloc_socket("tv_txsw", nb_desc * sizeof(txq->sw[0]),
				     RTE_CACHE_LINE_SIZE, socket_id);
	/* Separate headers (for mbufs whose headroom we may not write) must
	 * be in shared memory too. */
	txq->hdrs =
		rte_zmalloc_socket("tv_txhdr", nb_desc * sizeof(txq->hdrs[0]),
				   RTE_CACHE_LINE_SIZE, socket_id);
	txq->free_ids = rte_zmalloc_socket("tv_txids",
					   nb_desc * sizeof(txq->free_ids[0]),
					   RTE_CACHE_LINE_SIZE, socket_id);
	if (txq->ring_mem == NULL || txq->sw == NULL || txq->hdrs == NULL ||
	    txq->free_ids == NULL) {
		ret = -ENOMEM;
		goto fail;
	}
	ret = queue_kick_fd(&txq->kick_fd);
	if (ret < 0)
		goto fail;
	tv_split_init(&txq->ring, txq->ring_mem, nb_desc, TV_SPLIT_USED_ALIGN);
	txq->nb_free = nb_desc;
	*out = txq;
	return 0;
fail:
	tv_txq_free(txq);
	return ret;
}

void
tv_txq_drain(struct tv_txq *txq)
{
	uint32_t i;

	for (i = 0; i < txq->ring.num; i++) {
		if (txq->sw[i].m != NULL)
			rte_pktmbuf_free(txq->sw[i].m);
		txq->sw[i].m = NULL;
		txq->sw[i].ndesc = 0;
	}
	txq->n_inflight = 0;
	txq->desc_tail = txq->desc_head;
	txq->nb_free = txq->ring.num;
}

void
tv_txq_free(struct tv_txq *txq)
{
	if (txq == NULL)
		return;
	if (txq->sw != NULL)
		tv_txq_drain(txq);
	close_fd(&txq->kick_fd);
	rte_free(txq->free_ids);
	rte_free(txq->hdrs);
	rte_free(txq->sw);
	rte_free(txq->ring_mem);
	rte_free(txq);
}

void
tv_txq_reset(struct tv_txq *txq, const struct tv_dp_features *f)
{
	tv_txq_drain(txq);
	txq->packed = f->packed;
	if (f->packed)
		tv_txq_reset_packed(txq);
	else
		ring_init(&txq->ring, txq->ring_mem, txq->ring_bytes,
			  txq->ring.num, f->event_idx);
	memset(txq->hdrs, 0, txq->ring.num * sizeof(txq->hdrs[0]));
	txq->avail_idx = 0;
	txq->used_idx = 0;
	txq->desc_head = 0;
	txq->desc_tail = 0;
	txq->nb_free = txq->ring.num;
	txq->n_inflight = 0;
	txq->used_event_at = 0;
	txq->in_order = f->in_order;
	txq->event_idx = f->event_idx;
	txq->fixed_avail = f->fixed_avail;
	txq->hdr_push = f->tx_hdr_push;
	txq->bulk = f->bulk;
	txq->broken = false;
	txq->recover_seen = txq->recover_gen;
	txq->drop_logged = false;
	txq->hdr_len = tv_net_hdr_len(TV_BIT(TV_F_VERSION_1));
}

/* ---- Handing a started queue to a new back-end ----
 *
 * The old back-end is gone (hang-up) and touches the rings no more; the new
 * one is told SET_VRING_BASE = used->idx and takes avail entries from
 * there. So [used->idx, avail->idx) must list exactly the buffers (RX) or
 * chains (TX) the driver still has outstanding, nothing it has taken back.
 *
 * With IN_ORDER that holds by itself: the back-end completed a prefix of
 * the avail ring, so the entries from used->idx on are the ones it did
 * not complete. Only a queue the old back-end broke needs its used index
 * rewound to what the datapath consumed; the stopped datapath takes that
 * up itself (recover_gen), so the datapath pays nothing for handoffs.
 *
 * Without IN_ORDER it does not hold: entries complete in any order, so
 * the avail entries from used->idx on may name buffers the driver already
 * delivered (and refilled elsewhere) or chains it freed, while older
 * entries name buffers still out. The handoff then closes the queue's
 * gate (struct tv_dp_gate), rewrites the rings, and opens it:
 *  - RX: used->idx is rewound to the datapath's used index, and the avail
 *    entries from there on are rewritten to name every buffer still
 *    posted (sw[] != NULL): the driver owns them all and none has been
 *    delivered. Packets the old back-end completed but the application
 *    had not received yet are lost (their buffers are offered again).
 *  - TX: the old back-end's completions are taken first (their chains
 *    must not go out twice), then the avail entries from used->idx on are
 *    rewritten to name every chain not completed, which the new back-end
 *    sends. A chain the old back-end sent but had not reported is sent
 *    twice, as with IN_ORDER. If the old back-end broke the queue, its
 *    completions after the bad entry are not trusted: those chains are
 *    sent again too.
 * Descriptors are not touched: they still describe what sw[] holds. The
 * RX refill restores the fixed layout entry by entry (tv_rxtx.c).
 *
 * A packed ring always goes through the gate: the device writes its used
 * descriptors over the ones we made available, so what is outstanding can
 * only be written anew from the driver's records (tv_packed.c, resync),
 * and the new back-end starts at the oldest descriptor still outstanding,
 * wrap counter included (tv_rxq_vring_info). */

#define TV_GATE_WAIT_MS 1000u /* a burst lasts microseconds */
#define TV_GATE_POLL_US 10u

/* A queue the old back-end broke runs again once the resync (gate
 * closed) handed it over. */
static void
queue_revive(bool *broken, uint64_t *recoveries, const char *dir,
	     uint16_t port_id, uint16_t queue_id)
{
	if (!*broken)
		return;
	*broken = false;
	(*recoveries)++;
	TV_LOG(NOTICE, "port %u %s queue %u: resumes with a new back-end",
	       port_id, dir, queue_id);
}

static void
gate_open(struct tv_dp_gate *g)
{
	/* Release: the rewritten rings and queue state are visible to the
	 * next burst (dp_gate_enter's acquire load of closed). */
	__atomic_store_n(&g->closed, 0, __ATOMIC_RELEASE);
}

/* Have the queue to ourselves: no burst runs now and none starts until
 * gate_open. */
static int
gate_close(struct tv_dp_gate *g)
{
	uint64_t deadline = rte_get_timer_cycles() +
			    rte_get_timer_hz() / 1000 * TV_GATE_WAIT_MS;
	int ret;

	__atomic_store_n(&g->closed, 1, __ATOMIC_RELAXED);
	/* closed is visible before we read busy, and every thread of the
	 * process has executed a full barrier (membarrier) or we did (a
	 * fence). Pairs with dp_gate_enter's tmb_light between its store of
	 * busy and its read of closed (tv_rxtx.h): a burst either sees
	 * closed or is seen busy here. */
	ret = tmb_heavy();
	if (ret < 0) {
		TV_LOG(ERR, "membarrier failed (%s): cannot stop the datapath",
		       strerror(-ret));
		gate_open(g);
		return ret;
	}
	/* Acquire: pairs with dp_gate_leave's release store: the last
	 * burst's writes are visible. */
	while (__atomic_load_n(&g->busy, __ATOMIC_ACQUIRE) != 0) {
		if (rte_get_timer_cycles() > deadline) {
			gate_open(g);
			return -ETIMEDOUT;
		}
		rte_delay_us_sleep(TV_GATE_POLL_US);
	}
	return 0;
}

/* RX without IN_ORDER, gate closed: see the comment above. */
static void
rx_resync(struct tv_rxq *rxq)
{
	uint16_t *avail_ring = rxq->ring.avail->ring;
	uint16_t base, n = 0;
	uint32_t k;

	/* Every buffer still posted; normally n_posted of them, which is
	 * avail_idx - used_idx. Trust the count found. */
	for (k = 0; k < rxq->ring.num; k++)
		n += rxq->sw[k] != NULL;
	base = (uint16_t)(rxq->avail_idx - n);
	/* Scanning from the base slot keeps avail[i] = i where the buffers
	 * still out are the ones the fixed layout has there. */
	n = 0;
	for (k = 0; k < rxq->ring.num; k++) {
		uint16_t slot = (uint16_t)(base + k) & rxq->mask;
		uint16_t pos = (uint16_t)(base + n) & rxq->mask;

		if (rxq->sw[slot] == NULL)
			continue;
		if (avail_ring[pos] != slot)
			avail_ring[pos] = slot;
		n++;
	}
	rxq->used_idx = base;
	rxq->n_posted = n;
	/* Nobody writes the used ring now: the old back-end is gone and the
	 * new one is not told about the ring before we return. */
	__atomic_store_n(&rxq->ring.used->idx, base, __ATOMIC_RELAXED);
}

/* TX without IN_ORDER, gate closed: see the comment above. */
static void
tx_resync(struct tv_txq *txq)
{
	uint16_t *avail_ring = txq->ring.avail->ring;
	uint16_t pos, base, n = 0;

	if (!txq->broken)
		tv_txq_reclaim(txq);
	/* Chains occupy [desc_tail, desc_head) in ring order; completed ones
	 * (m NULL) stay there until the older ones complete too. */
	for (pos = txq->desc_tail; pos != txq->desc_head;) {
		const struct tv_tx_slot *s = &txq->sw[pos & txq->mask];

		if (s->ndesc == 0)
			break; /* cannot happen: the walk is our own */
		n += s->m != NULL;
		pos += s->ndesc;
	}
	base = (uint16_t)(txq->avail_idx - n);
	n = 0;
	for (pos = txq->desc_tail; pos != txq->desc_head;) {
		const struct tv_tx_slot *s = &txq->sw[pos & txq->mask];
		uint16_t head = pos & txq->mask;

		if (s->ndesc == 0)
			break;
		if (s->m != NULL) {
			uint16_t slot = (uint16_t)(base + n++) & txq->mask;

			if (avail_ring[slot] != head)
				avail_ring[slot] = head;
		}
		pos += s->ndesc;
	}
	txq->used_idx = base;
	txq->n_inflight = n;
	__atomic_store_n(&txq->ring.used->idx, base, __ATOMIC_RELAXED);
}

int
tv_rxq_handoff(struct tv_rxq *rxq)
{
	uint16_t idx;
	int ret;

	if (rxq->packed || !rxq->in_order) {
		ret = gate_close(&rxq->gate);
		if (ret < 0)
			return ret;
		if (rxq->packed)
			tv_rxq_resync_packed(rxq);
		else
			rx_resync(rxq);
		queue_revive(&rxq->broken, &rxq->stats.recoveries, "rx",
			     rxq->port_id, rxq->queue_id);
		gate_open(&rxq->gate);
		return 0;
	}
	/* IN_ORDER: only a broken queue needs anything. The datapath no
	 * longer moves its indices once broken (release store of broken,
	 * acquire here). The datapath resumes on its next burst (recover_gen,
	 * release). */
	if (!__atomic_load_n(&rxq->broken, __ATOMIC_ACQUIRE))
		return 0;
	idx = rxq->used_idx;
	__atomic_store_n(&rxq->ring.used->idx, idx, __ATOMIC_RELAXED);
	rxq->recover_used_idx = idx;
	__atomic_store_n(&rxq->recover_gen, rxq->recover_gen + 1,
			 __ATOMIC_RELEASE);
	return 0;
}

int
tv_txq_handoff(struct tv_txq *txq)
{
	uint16_t idx;
	int ret;

	if (txq->packed || !txq->in_order) {
		ret = gate_close(&txq->gate);
		if (ret < 0)
			return ret;
		if (txq->packed) {
			ret = tv_txq_resync_packed(txq);
		} else {
			tx_resync(txq);
			ret = 0;
		}
		if (ret == 0)
			queue_revive(&txq->broken, &txq->stats.recoveries, "tx",
				     txq->port_id, txq->queue_id);
		gate_open(&txq->gate);
		return ret;
	}
	if (!__atomic_load_n(&txq->broken, __ATOMIC_ACQUIRE))
		return 0;
	/* In order, the chains in flight are the newest n_inflight (one used
	 * entry may complete several, so used_idx says nothing). */
	idx = (uint16_t)(txq->avail_idx - txq->n_inflight);
	__atomic_store_n(&txq->ring.used->idx, idx, __ATOMIC_RELAXED);
	txq->recover_used_idx = idx;
	__atomic_store_n(&txq->recover_gen, txq->recover_gen + 1,
			 __ATOMIC_RELEASE);
	return 0;
}

/* ---- What SET_VRING_ADDR / SET_VRING_BASE say (after the handoff) ---- */

/* Packed code reads the ring size through either member of the union. */
static_assert(offsetof(struct tv_split, num) == offsetof(struct tv_packed, num),
	      "num at the same place in both ring layouts");

/* Either queue: its ring's three areas and where the back-end starts,
 * `pos` (packed: the oldest outstanding descriptor, which the resync made
 * the start of both sides). */
static void
vring_info(const struct tv_split *ring, const struct tv_packed *pring,
	   bool packed, uint16_t pos, struct tv_vring_info *vi)
{
	vi->num = ring->num;
	if (packed) {
		uint16_t ow = tv_packed_off_wrap(pos, vi->num);

		vi->desc = (uint64_t)(uintptr_t)pring->desc;
		vi->avail = (uint64_t)(uintptr_t)pring->driver;
		vi->used = (uint64_t)(uintptr_t)pring->device;
		/* Bits 0-15: next avail descriptor and wrap counter; 16-31:
		 * the same for the used side (vhost-user, packed rings). */
		vi->base = (uint32_t)ow | (uint32_t)ow << 16;
		return;
	}
	vi->desc = (uint64_t)(uintptr_t)ring->desc;
	vi->avail = (uint64_t)(uintptr_t)ring->avail;
	vi->used = (uint64_t)(uintptr_t)ring->used;
	/* The back-end is stopped or gone: nobody writes used->idx now, and
	 * the handoff made it the start of what is outstanding. */
	vi->base = __atomic_load_n(&ring->used->idx, __ATOMIC_ACQUIRE);
}

void
tv_rxq_vring_info(const struct tv_rxq *rxq, struct tv_vring_info *vi)
{
	vring_info(&rxq->ring, &rxq->pring, rxq->packed, rxq->used_idx, vi);
}

void
tv_txq_vring_info(const struct tv_txq *txq, struct tv_vring_info *vi)
{
	vring_info(&txq->ring, &txq->pring, txq->packed, txq->desc_tail, vi);
}
