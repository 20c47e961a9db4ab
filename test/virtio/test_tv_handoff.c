/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * test_tv_handoff.c - a started queue goes from one back-end to the next
 * (tv_rxq_handoff / tv_txq_handoff, drivers/net/tandem_virtio/tv_queue.c),
 * with this program playing every back-end. The old one completes buffers
 * out of order (no IN_ORDER), disconnects at any point (even after it broke
 * the queue), and the new one resumes at SET_VRING_BASE = used->idx,
 * taking every avail entry from there on. Checked:
 *  - RX: the new back-end is offered only buffers the driver still has
 *    posted, each once; a packet the application holds is never written
 *    again (its bytes are checked when it is freed); each packet is
 *    delivered at most once, in used order, with its bytes; the only
 *    packets lost are those completed but not yet received at the handoff
 *    (what tv_queue.c documents);
 *  - TX: no chain the driver took back (completed) is ever offered again,
 *    every chain read carries the bytes of a packet still in flight, and
 *    every packet the driver accepted is read at least once; a second
 *    read happens only for a chain a back-end read and then left without
 *    completing it (documented);
 *  - both: every mbuf back in its pool, none twice, no fd leak;
 *  - the gate: the same with the datapath running on another thread while
 *    back-ends come and go.
 *
 * Needs EAL (--no-huge); fails if EAL does not start.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_log.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "tv_pmd.h"
#include "tvt_backend.h"

#define HDR	  ((uint32_t)sizeof(struct tv_net_hdr_mrg))
#define MAX_PKTS  200000u
#define MAX_TAKEN 1024u

static struct rte_mempool *pool;
static unsigned int pool_full;
static tv_rx_burst_fn rx_burst_fn = tv_rx_burst_split;

static uint32_t rng_state = 12345;

static uint32_t
rnd(uint32_t n)
{
	rng_state = rng_state * 1103515245u + 12345u;
	return (rng_state >> 8) % n;
}

/* Packet bytes: the packet number (4 bytes), then a pattern of it. */
static uint8_t
pattern(uint32_t pkt, uint32_t i)
{
	return (uint8_t)(pkt * 31u + i * 7u + 1u);
}

static uint32_t
pkt_len_of(uint32_t pkt)
{
	return 16 + pkt % 200;
}

static void
pkt_write(uint8_t *p, uint32_t pkt, uint32_t len)
{
	memcpy(p, &pkt, sizeof(pkt));
	for (uint32_t i = sizeof(pkt); i < len; i++)
		p[i] = pattern(pkt, i);
}

/* The packet number of bytes p[0..len), or UINT32_MAX if they are not a
 * whole packet of this program. */
static uint32_t
pkt_read(const uint8_t *p, uint32_t len)
{
	uint32_t pkt;

	if (len < sizeof(pkt))
		return UINT32_MAX;
	memcpy(&pkt, p, sizeof(pkt));
	if (pkt >= MAX_PKTS || len != pkt_len_of(pkt))
		return UINT32_MAX;
	for (uint32_t i = sizeof(pkt); i < len; i++)
		if (p[i] != pattern(pkt, i))
			return UINT32_MAX;
	return pkt;
}

static const struct tv_dp_features f_plain = {
	.fixed_avail = true,
	.tx_hdr_push = true,
	.bulk = true,
};
static const struct tv_dp_features f_mrg = {
	.mrg_rxbuf = true,
	.event_idx = true,
	.fixed_avail = true,
	.tx_hdr_push = false,
	.bulk = false,
};

/* ---- A back-end (one per connection) ---- */

struct backend {
	struct tvt_dev d; /* ring, last_avail, used_idx */
	uint16_t n_taken;
	uint16_t taken[MAX_TAKEN]; /* heads read, not completed */
	uint32_t taken_pkt[MAX_TAKEN];
};

/* A new back-end after the handoff: SET_VRING_BASE = used->idx. */
static void
be_attach(struct backend *b, struct tv_split *ring)
{
	uint16_t base = __atomic_load_n(&ring->used->idx, __ATOMIC_ACQUIRE);

	memset(b, 0, sizeof(*b));
	tvt_attach(&b->d, ring, base);
}

static bool
be_taken_has(const struct backend *b, uint16_t head)
{
	for (uint16_t i = 0; i < b->n_taken; i++)
		if (b->taken[i] == head)
			return true;
	return false;
}

/* Remove and return taken entry i (order of the rest does not matter). */
static uint16_t
be_untake(struct backend *b, uint16_t i, uint32_t *pkt)
{
	uint16_t head = b->taken[i];

	*pkt = b->taken_pkt[i];
	b->n_taken--;
	b->taken[i] = b->taken[b->n_taken];
	b->taken_pkt[i] = b->taken_pkt[b->n_taken];
	return head;
}

/* ---- RX ---- */

#define RX_HELD 16u

struct rx_world {
	struct tv_rxq *rxq;
	struct backend be;
	uint32_t next_pkt;
	/* Packet number the used entry at each used index carries
	 * (UINT32_MAX: an entry that breaks the queue). */
	uint32_t expect[65536];
	struct rte_mbuf *held[RX_HELD]; /* delivered, still the app's */
	uint32_t held_pkt[RX_HELD];
	uint32_t n_held;
	uint32_t delivered, lost, completed, handoffs, bad;
	uint32_t last_delivered; /* packet numbers only grow */
	bool any_delivered;
};

static bool
rx_is_held(const struct rx_world *w, const struct rte_mbuf *m)
{
	for (uint32_t i = 0; i < w->n_held; i++)
		if (w->held[i] == m)
			return true;
	return false;
}

/* The new back-end reads avail entries: each must be a buffer the driver
 * has posted (its descriptor points at that mbuf), not one the
 * application holds, and not one this back-end holds already. */
static void
rx_take(struct rx_world *w, uint32_t max)
{
	struct tv_rxq *rxq = w->rxq;

	while (max-- > 0 && tvt_has_avail(&w->be.d) &&
	       w->be.n_taken < MAX_TAKEN) {
		uint16_t head = tvt_next_avail(&w->be.d);
		const struct rte_mbuf *m;

		CHECK(head < rxq->ring.num);
		if (head >= rxq->ring.num)
			return;
		m = rxq->sw[head];
		CHECK(m != NULL);
		CHECK(!be_taken_has(&w->be, head));
		CHECK(m == NULL || !rx_is_held(w, m));
		CHECK(m == NULL || rxq->ring.desc[head].addr ==
					   (uint64_t)(uintptr_t)m->buf_addr +
						   RTE_PKTMBUF_HEADROOM -
						   rxq->hdr_len);
		CHECK(rxq->ring.desc[head].flags == TV_DESC_F_WRITE);
		w->be.taken_pkt[w->be.n_taken] = 0;
		w->be.taken[w->be.n_taken++] = head;
	}
}

/* Complete up to n taken buffers, picked at random. */
static void
rx_complete(struct rx_world *w, uint32_t n)
{
	struct tv_rxq *rxq = w->rxq;

	while (n-- > 0 && w->be.n_taken > 0) {
		uint32_t dummy, pkt = w->next_pkt++;
		uint16_t head = be_untake(&w->be, rnd(w->be.n_taken), &dummy);
		uint8_t *p = (uint8_t *)(uintptr_t)rxq->ring.desc[head].addr;
		struct tv_net_hdr_mrg h = {.num_buffers = 1};

		memcpy(p, &h, HDR);
		pkt_write(p + HDR, pkt, pkt_len_of(pkt));
		w->expect[w->be.d.used_idx] = pkt;
		tvt_put_used(&w->be.d, head, HDR + pkt_len_of(pkt));
		w->completed++;
	}
	tvt_publish(&w->be.d);
}

static void
rx_release(struct rx_world *w, uint32_t i)
{
	struct rte_mbuf *m = w->held[i];

	/* Nothing wrote into it while the application had it. */
	CHECK(pkt_read(rte_pktmbuf_mtod(m, const uint8_t *), m->data_len) ==
	      w->held_pkt[i]);
	rte_pktmbuf_free(m);
	w->n_held--;
	w->held[i] = w->held[w->n_held];
	w->held_pkt[i] = w->held_pkt[w->n_held];
}

static void
rx_poll(struct rx_world *w, uint16_t want)
{
	struct rte_mbuf *pkts[64];
	uint16_t from = w->rxq->used_idx, n;

	n = rx_burst_fn(w->rxq, pkts, want);
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		uint32_t pkt = pkt_read(rte_pktmbuf_mtod(m, const uint8_t *),
					m->data_len);

		CHECK(m->nb_segs == 1 && m->pkt_len == m->data_len);
		CHECK(pkt != UINT32_MAX);
		CHECK(pkt == w->expect[(uint16_t)(from + i)]);
		CHECK(!w->any_delivered || pkt > w->last_delivered);
		w->last_delivered = pkt;
		w->any_delivered = true;
		w->delivered++;
		if (w->n_held == RX_HELD)
			rx_release(w, rnd(w->n_held));
		w->held[w->n_held] = m;
		w->held_pkt[w->n_held++] = pkt;
	}
}

/* The back-end goes away; the next one gets the ring. */
static void
rx_reconnect(struct rx_world *w)
{
	struct tv_rxq *rxq = w->rxq;
	uint16_t unreceived = (uint16_t)(w->be.d.used_idx - rxq->used_idx);
	uint16_t base, avail, i;

	CHECK(tv_rxq_handoff(rxq) == 0);
	/* Documented loss: completed but not received yet. */
	w->lost += unreceived;
	be_attach(&w->be, &rxq->ring);
	base = w->be.d.used_idx;
	CHECK(base == rxq->used_idx);
	CHECK(!rxq->broken);
	/* Exactly the posted buffers, each once. */
	avail = __atomic_load_n(&rxq->ring.avail->idx, __ATOMIC_ACQUIRE);
	CHECK((uint16_t)(avail - base) == rxq->n_posted);
	for (i = 0; i < rxq->ring.num; i++) {
		uint32_t seen = 0;

		for (uint16_t a = base; a != avail; a++)
			seen += rxq->ring.avail->ring[a & rxq->mask] == i;
		CHECK(seen == (rxq->sw[i] != NULL));
	}
	w->handoffs++;
}

/* The reviewer's case: 4 buffers, the old back-end completes descriptor 1
 * first, the application keeps that packet, the back-end goes away. */
static void
test_rx_example(void)
{
	static struct rx_world w;
	const struct rte_mbuf *m1;

	memset(&w, 0, sizeof(w));
	CHECK(tv_rxq_create(&w.rxq, 0, 0, 4, SOCKET_ID_ANY, pool) == 0);
	CHECK(tv_rxq_reset(w.rxq, &f_plain, false) == 0);
	be_attach(&w.be, &w.rxq->ring);
	rx_take(&w, 4);
	CHECK(w.be.n_taken == 4);
	/* Complete descriptor 1 only (taken[1]). */
	{
		uint32_t pkt = w.next_pkt++, dummy;
		uint16_t head = be_untake(&w.be, 1, &dummy);
		uint8_t *p = (uint8_t *)(uintptr_t)w.rxq->ring.desc[head].addr;
		struct tv_net_hdr_mrg h = {.num_buffers = 1};

		CHECK(head == 1);
		memcpy(p, &h, HDR);
		pkt_write(p + HDR, pkt, pkt_len_of(pkt));
		w.expect[w.be.d.used_idx] = pkt;
		tvt_put_used(&w.be.d, head, HDR + pkt_len_of(pkt));
		tvt_publish(&w.be.d);
	}
	rx_poll(&w, 4);
	CHECK(w.delivered == 1 && w.n_held == 1);
	m1 = w.held[0];
	/* Refill stops at slot 0, which is still out. */
	CHECK(tv_rxq_refill(w.rxq) == 0);
	CHECK(w.rxq->ring.avail->idx == 4 && w.rxq->n_posted == 3);
	CHECK(w.rxq->ring.desc[1].addr ==
	      (uint64_t)(uintptr_t)m1->buf_addr + RTE_PKTMBUF_HEADROOM - HDR);
	rx_reconnect(&w);
	/* The new back-end is offered 0, 2 and 3; not 1 (the app's). */
	rx_take(&w, 8);
	CHECK(w.be.n_taken == 3);
	CHECK(!be_taken_has(&w.be, 1));
	rx_complete(&w, 3);
	rx_poll(&w, 8);
	CHECK(w.delivered == 4 && !w.rxq->broken);
	while (w.n_held > 0)
		rx_release(&w, 0);
	/* Everything comes back: the ring is whole again. */
	rx_poll(&w, 8);
	CHECK(w.rxq->n_posted == 4);
	rx_take(&w, 8);
	CHECK(w.be.n_taken == 4);
	tv_rxq_free(w.rxq);
	CHECK(rte_mempool_avail_count(pool) == pool_full);
}

/* Random schedules: take, complete in any order, receive, hold, break,
 * disconnect. */
static void
test_rx_random(const struct tv_dp_features *f, uint16_t num, uint32_t rounds)
{
	static struct rx_world w;

	memset(&w, 0, sizeof(w));
	CHECK(tv_rxq_create(&w.rxq, 0, 0, num, SOCKET_ID_ANY, pool) == 0);
	CHECK(tv_rxq_reset(w.rxq, f, false) == 0);
	be_attach(&w.be, &w.rxq->ring);
	for (uint32_t r = 0; r < rounds && failures == 0; r++) {
		switch (rnd(16)) {
		case 0:
		case 1:
		case 2:
		case 3:
			rx_take(&w, 1 + rnd(num));
			break;
		case 4:
		case 5:
		case 6:
			rx_complete(&w, 1 + rnd(8));
			break;
		case 7:
		case 8:
		case 9:
		case 10:
			rx_poll(&w, (uint16_t)(1 + rnd(40)));
			break;
		case 11:
			if (w.n_held > 0)
				rx_release(&w, rnd(w.n_held));
			break;
		case 12:
			/* The old back-end breaks the queue: an id that was
			 * never posted, after what the guest has received. */
			if (rnd(4) == 0 && !w.rxq->broken) {
				for (int i = 0; i < 64 && w.rxq->used_idx !=
							      w.be.d.used_idx;
				     i++)
					rx_poll(&w, 64);
				w.expect[w.be.d.used_idx] = UINT32_MAX;
				tvt_put_used(&w.be.d, num + rnd(100), HDR + 20);
				tvt_publish(&w.be.d);
				rx_poll(&w, 32);
				CHECK(w.rxq->broken);
				w.bad++;
			}
			break;
		default:
			if (rnd(4) == 0)
				rx_reconnect(&w);
			break;
		}
	}
	/* Last back-end: complete everything, receive everything. */
	rx_reconnect(&w);
	for (int i = 0; i < 8; i++) {
		rx_take(&w, num);
		rx_complete(&w, num);
		for (int k = 0;
		     k < 64 && w.rxq->used_idx != w.be.d.used_idx; k++)
			rx_poll(&w, 64);
		while (w.n_held > 0)
			rx_release(&w, 0);
	}
	CHECK(w.be.d.used_idx == w.rxq->used_idx);
	/* Lost: only what was completed but not received at a handoff
	 * (the entries that broke the queue count there too). */
	CHECK(w.delivered + w.lost == w.completed + w.bad);
	CHECK(!w.rxq->broken);
	CHECK(w.rxq->stats.recoveries ==
	      w.rxq->stats.err_used_id + w.rxq->stats.err_used_idx);
	printf("  rx ring %u: %u delivered, %u lost at %u handoffs, %llu "
	       "recoveries\n",
	       num, w.delivered, w.lost, w.handoffs,
	       (unsigned long long)w.rxq->stats.recoveries);
	tv_rxq_free(w.rxq);
	CHECK(rte_mempool_avail_count(pool) == pool_full);
}

/* ---- TX ---- */

struct tx_world {
	struct tv_txq *txq;
	struct backend be;
	uint32_t gen; /* back-end number */
	uint32_t next_pkt;
	uint8_t accepted[MAX_PKTS];
	uint8_t completed[MAX_PKTS];
	uint32_t read_gen[MAX_PKTS]; /* 0: never read */
	uint32_t reads, rereads, sent;
	bool be_broke; /* this back-end broke the queue: it completes no more */
};

static struct rte_mbuf *
tx_make(uint32_t pkt, uint32_t kind)
{
	uint32_t len = pkt_len_of(pkt), nseg = 1 + kind % 3, off = 0;
	uint8_t buf[256];
	struct rte_mbuf *m = NULL, *last = NULL;

	pkt_write(buf, pkt, len);
	for (uint32_t s = 0; s < nseg; s++) {
		uint32_t k = s + 1 == nseg ? len - off : len / nseg;
		struct rte_mbuf *seg = rte_pktmbuf_alloc(pool);

		if (seg == NULL) {
			rte_pktmbuf_free(m);
			return NULL;
		}
		if (s == 0 && (kind & 4))
			seg->data_off = 0; /* no headroom: separate header */
		memcpy(rte_pktmbuf_append(seg, (uint16_t)k), buf + off, k);
		off += k;
		if (m == NULL) {
			m = seg;
		} else {
			last->next = seg;
			m->nb_segs++;
			m->pkt_len += k;
		}
		last = seg;
	}
	return m;
}

/* Read the chain at `head` as a back-end does; returns the packet. */
static uint32_t
tx_read_chain(const struct tv_txq *txq, uint16_t head)
{
	uint8_t buf[512];
	uint32_t got = 0, n = 0;
	uint16_t id = head;
	static const uint8_t zero[sizeof(struct tv_net_hdr_mrg)];

	for (;;) {
		const struct tv_desc *d = &txq->ring.desc[id];

		if (d->flags & TV_DESC_F_WRITE || got + d->len > sizeof(buf) ||
		    ++n > txq->ring.num)
			return UINT32_MAX;
		memcpy(buf + got, (const void *)(uintptr_t)d->addr, d->len);
		got += d->len;
		if (!(d->flags & TV_DESC_F_NEXT))
			break;
		id = d->next;
		if (id >= txq->ring.num)
			return UINT32_MAX;
	}
	if (got < HDR || memcmp(buf, zero, HDR) != 0)
		return UINT32_MAX;
	return pkt_read(buf + HDR, got - HDR);
}

/* kind < 0: segments and headroom at random. */
static void
tx_send(struct tx_world *w, uint32_t n, int kind)
{
	struct rte_mbuf *pkts[16];
	uint32_t first = w->next_pkt, k = 0;
	uint16_t sent;

	while (k < n && w->next_pkt < MAX_PKTS) {
		pkts[k] = tx_make(w->next_pkt,
				  kind < 0 ? rnd(8) : (uint32_t)kind);
		if (pkts[k] == NULL)
			break;
		k++;
		w->next_pkt++;
	}
	sent = tv_tx_burst_split(w->txq, pkts, (uint16_t)k);
	for (uint32_t i = 0; i < sent; i++)
		w->accepted[first + i] = 1;
	w->sent += sent;
	for (uint32_t i = sent; i < k; i++)
		rte_pktmbuf_free(pkts[i]);
	/* Packets the driver did not take are never sent: renumber. */
	w->next_pkt = first + sent;
}

static void
tx_take(struct tx_world *w, uint32_t max)
{
	while (max-- > 0 && tvt_has_avail(&w->be.d) &&
	       w->be.n_taken < MAX_TAKEN) {
		uint16_t head = tvt_next_avail(&w->be.d);
		uint32_t pkt;

		CHECK(head < w->txq->ring.num);
		if (head >= w->txq->ring.num)
			return;
		pkt = tx_read_chain(w->txq, head);
		CHECK(pkt != UINT32_MAX);
		if (pkt == UINT32_MAX)
			return;
		/* Only packets in flight: accepted, never completed. */
		CHECK(w->accepted[pkt]);
		CHECK(!w->completed[pkt]);
		/* Read again only if an earlier back-end left it. */
		CHECK(w->read_gen[pkt] < w->gen);
		if (w->read_gen[pkt] != 0)
			w->rereads++;
		w->read_gen[pkt] = w->gen;
		w->reads++;
		w->be.taken_pkt[w->be.n_taken] = pkt;
		w->be.taken[w->be.n_taken++] = head;
	}
}

static void
tx_complete(struct tx_world *w, uint32_t n)
{
	/* A back-end that broke the queue is not listened to any more:
	 * what it completes now is sent again (documented), so it is not
	 * recorded as completed here. */
	if (w->be_broke)
		return;
	while (n-- > 0 && w->be.n_taken > 0) {
		uint32_t pkt;
		uint16_t head = be_untake(&w->be, rnd(w->be.n_taken), &pkt);

		tvt_put_used(&w->be.d, head, 0);
		w->completed[pkt] = 1;
	}
	tvt_publish(&w->be.d);
}

static void
tx_reconnect(struct tx_world *w)
{
	struct tv_txq *txq = w->txq;
	uint16_t base, avail;

	CHECK(tv_txq_handoff(txq) == 0);
	w->gen++;
	w->be_broke = false;
	be_attach(&w->be, &txq->ring);
	base = w->be.d.used_idx;
	CHECK(!txq->broken);
	CHECK(base == txq->used_idx);
	avail = __atomic_load_n(&txq->ring.avail->idx, __ATOMIC_ACQUIRE);
	CHECK((uint16_t)(avail - base) == txq->n_inflight);
}

/* The reviewer's TX case: 4 chains, the old back-end completes the second
 * one (the driver frees it), and goes away. */
static void
test_tx_example(void)
{
	static struct tx_world w;

	memset(&w, 0, sizeof(w));
	w.gen = 1;
	CHECK(tv_txq_create(&w.txq, 0, 4, SOCKET_ID_ANY) == 0);
	tv_txq_reset(w.txq, &f_plain);
	be_attach(&w.be, &w.txq->ring);
	tx_send(&w, 4, 0); /* one descriptor each */
	tx_take(&w, 4);
	CHECK(w.be.n_taken == 4);
	{
		uint32_t pkt;
		uint16_t head = be_untake(&w.be, 1, &pkt);

		CHECK(pkt == 1);
		tvt_put_used(&w.be.d, head, 0);
		w.completed[pkt] = 1;
		tvt_publish(&w.be.d);
	}
	CHECK(tv_tx_burst_split(w.txq, NULL, 0) == 0);
	CHECK(w.txq->n_inflight == 3);
	tx_reconnect(&w);
	/* Chains 0, 2, 3 again; not 1 (freed). */
	tx_take(&w, 8);
	CHECK(w.be.n_taken == 3);
	CHECK(w.rereads == 3);
	tx_complete(&w, 3);
	CHECK(tv_tx_burst_split(w.txq, NULL, 0) == 0);
	CHECK(w.txq->n_inflight == 0 && w.txq->nb_free == 4);
	CHECK(!w.txq->broken && w.txq->stats.err_used_id == 0);
	tv_txq_free(w.txq);
	CHECK(rte_mempool_avail_count(pool) == pool_full);
}

static void
test_tx_random(const struct tv_dp_features *f, uint16_t num, uint32_t rounds)
{
	static struct tx_world w;
	uint32_t breaks = 0;

	memset(&w, 0, sizeof(w));
	w.gen = 1;
	CHECK(tv_txq_create(&w.txq, 0, num, SOCKET_ID_ANY) == 0);
	tv_txq_reset(w.txq, f);
	be_attach(&w.be, &w.txq->ring);
	for (uint32_t r = 0; r < rounds && failures == 0; r++) {
		switch (rnd(16)) {
		case 0:
		case 1:
		case 2:
		case 3:
			tx_send(&w, 1 + rnd(12), -1);
			break;
		case 4:
		case 5:
		case 6:
		case 7:
			tx_take(&w, 1 + rnd(num));
			break;
		case 8:
		case 9:
		case 10:
			tx_complete(&w, 1 + rnd(8));
			break;
		case 11:
			CHECK(tv_tx_burst_split(w.txq, NULL, 0) == 0);
			break;
		case 12:
			/* The old back-end breaks the queue. Its earlier
			 * completions are taken first, so none is left for
			 * the handoff to distrust. */
			if (rnd(4) == 0 && w.txq->n_inflight > 0 &&
			    !w.txq->broken) {
				CHECK(tv_tx_burst_split(w.txq, NULL, 0) == 0);
				tvt_put_used(&w.be.d, num + rnd(100), 0);
				tvt_publish(&w.be.d);
				CHECK(tv_tx_burst_split(w.txq, NULL, 0) == 0);
				CHECK(w.txq->broken);
				w.be_broke = true;
				breaks++;
			}
			break;
		default:
			if (rnd(4) == 0)
				tx_reconnect(&w);
			break;
		}
	}
	tx_reconnect(&w);
	for (int i = 0; i < 16 && w.txq->n_inflight > 0; i++) {
		tx_take(&w, num);
		tx_complete(&w, num);
		CHECK(tv_tx_burst_split(w.txq, NULL, 0) == 0);
	}
	CHECK(w.txq->n_inflight == 0 && w.txq->nb_free == num);
	CHECK(!w.txq->broken && w.txq->stats.recoveries == breaks);
	/* Nothing lost: every accepted packet was read and completed. */
	for (uint32_t p = 0; p < w.next_pkt; p++)
		if (w.accepted[p] && (!w.completed[p] || !w.read_gen[p])) {
			CHECK(!"accepted packet never sent");
			break;
		}
	printf("  tx ring %u: %u packets, %u reads (%u again after a "
	       "handoff), %u back-ends, %u broke\n",
	       num, w.sent, w.reads, w.rereads, w.gen, breaks);
	tv_txq_free(w.txq);
	CHECK(rte_mempool_avail_count(pool) == pool_full);
}

/* ---- The gate: the datapath on another thread ---- */

struct gate_world {
	struct rx_world rx; /* rx.expect etc. used by this thread only */
	struct tx_world tx;
	bool stop;
	/* datapath thread's results */
	uint32_t dp_tx_next, dp_rx_delivered, dp_rx_bad;
};

static void *
datapath_thread(void *arg)
{
	struct gate_world *g = arg;
	struct rte_mbuf *pkts[32];
	uint32_t next = 0, last = 0;
	bool any = false;

	while (!__atomic_load_n(&g->stop, __ATOMIC_ACQUIRE)) {
		uint32_t k = 0, first = next;
		uint16_t n;

		while (k < 8 && next < MAX_PKTS) {
			pkts[k] = tx_make(next, next % 8);
			if (pkts[k] == NULL)
				break;
			k++;
			next++;
		}
		n = tv_tx_burst_split(g->tx.txq, pkts, (uint16_t)k);
		for (uint32_t i = n; i < k; i++)
			rte_pktmbuf_free(pkts[i]);
		next = first + n;
		/* Published before the burst made them visible. */
		__atomic_store_n(&g->dp_tx_next, next, __ATOMIC_RELEASE);

		n = rx_burst_fn(g->rx.rxq, pkts, 32);
		for (uint16_t i = 0; i < n; i++) {
			uint32_t pkt = pkt_read(
				rte_pktmbuf_mtod(pkts[i], const uint8_t *),
				pkts[i]->data_len);

			if (pkt == UINT32_MAX || (any && pkt <= last))
				g->dp_rx_bad++;
			last = pkt;
			any = true;
			g->dp_rx_delivered++;
		}
		rte_pktmbuf_free_bulk(pkts, n);
	}
	return NULL;
}

/* tx_take; which packets the datapath thread had accepted is only known
 * at the end (a chain may be read before the thread records it). */
static void
gate_tx_take(struct gate_world *g)
{
	tx_take(&g->tx, MAX_TAKEN);
}

/* The RX back-end without reading the datapath's sw[] (it is another
 * thread's): only what a back-end sees. */
static void
gate_rx_take(struct gate_world *g)
{
	struct backend *b = &g->rx.be;

	while (tvt_has_avail(&b->d) && b->n_taken < MAX_TAKEN) {
		uint16_t head = tvt_next_avail(&b->d);

		CHECK(head < b->d.ring->num && !be_taken_has(b, head));
		if (head >= b->d.ring->num)
			return;
		b->taken_pkt[b->n_taken] = 0;
		b->taken[b->n_taken++] = head;
	}
}

static void
test_gate_threads(const struct tv_dp_features *f, uint32_t rounds)
{
	static struct gate_world g;
	pthread_t th;
	uint32_t handoffs = 0;

	memset(&g, 0, sizeof(g));
	memset(g.tx.accepted, 1, sizeof(g.tx.accepted));
	g.tx.gen = 1;
	CHECK(tv_txq_create(&g.tx.txq, 0, 64, SOCKET_ID_ANY) == 0);
	tv_txq_reset(g.tx.txq, f);
	CHECK(tv_rxq_create(&g.rx.rxq, 0, 0, 64, SOCKET_ID_ANY, pool) == 0);
	CHECK(tv_rxq_reset(g.rx.rxq, f, false) == 0);
	be_attach(&g.tx.be, &g.tx.txq->ring);
	be_attach(&g.rx.be, &g.rx.rxq->ring);
	CHECK(pthread_create(&th, NULL, datapath_thread, &g) == 0);
	for (uint32_t r = 0; r < rounds && failures == 0; r++) {
		gate_tx_take(&g);
		tx_complete(&g.tx, rnd(g.tx.be.n_taken + 1));
		gate_rx_take(&g);
		rx_complete(&g.rx, rnd(g.rx.be.n_taken + 1));
		if (rnd(8) == 0) {
			/* Both back-ends go away and new ones attach while
			 * the datapath runs. */
			CHECK(tv_txq_handoff(g.tx.txq) == 0);
			CHECK(tv_rxq_handoff(g.rx.rxq) == 0);
			g.tx.gen++;
			be_attach(&g.tx.be, &g.tx.txq->ring);
			be_attach(&g.rx.be, &g.rx.rxq->ring);
			handoffs++;
		}
		if (rnd(64) == 0)
			usleep(100);
	}
	__atomic_store_n(&g.stop, true, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	/* The datapath is stopped: drain TX with a last back-end. */
	tx_reconnect(&g.tx);
	for (int i = 0; i < 16 && g.tx.txq->n_inflight > 0; i++) {
		gate_tx_take(&g);
		tx_complete(&g.tx, MAX_TAKEN);
		CHECK(tv_tx_burst_split(g.tx.txq, NULL, 0) == 0);
	}
	CHECK(g.tx.txq->n_inflight == 0 && !g.tx.txq->broken);
	for (uint32_t p = 0; p < g.dp_tx_next; p++)
		if (!g.tx.completed[p] || !g.tx.read_gen[p]) {
			CHECK(!"accepted packet never sent");
			break;
		}
	CHECK(g.dp_rx_bad == 0);
	CHECK(g.dp_rx_delivered <= g.rx.completed);
	CHECK(!g.rx.rxq->broken);
	printf("  threads: %u handoffs, tx %u packets (%u read again), rx "
	       "%u of %u delivered\n",
	       handoffs, g.dp_tx_next, g.tx.rereads, g.dp_rx_delivered,
	       g.rx.completed);
	tv_txq_free(g.tx.txq);
	tv_rxq_free(g.rx.rxq);
	CHECK(rte_mempool_avail_count(pool) == pool_full);
}

/* A datapath that never leaves its burst: the handoff gives up after a
 * second, changes nothing and leaves the gate open. */
static void
test_gate_timeout(void)
{
	struct tv_rxq *rxq;
	struct rte_mbuf *pkts[4];
	uint16_t used;

	CHECK(tv_rxq_create(&rxq, 0, 0, 8, SOCKET_ID_ANY, pool) == 0);
	CHECK(tv_rxq_reset(rxq, &f_plain, false) == 0);
	rxq->ring.used->idx = 3; /* an old back-end's completions */
	__atomic_store_n(&rxq->gate.busy, 1, __ATOMIC_RELEASE);
	CHECK(tv_rxq_handoff(rxq) == -ETIMEDOUT);
	CHECK(rxq->gate.closed == 0);
	used = rxq->ring.used->idx;
	CHECK(used == 3 && rxq->used_idx == 0);
	__atomic_store_n(&rxq->gate.busy, 0, __ATOMIC_RELEASE);
	/* The gate is open: the next burst runs (and finds the zeroed used
	 * entries this test left, which break the queue). */
	CHECK(rx_burst_fn(rxq, pkts, 4) == 0);
	CHECK(rxq->broken && rxq->stats.err_used_len == 1);
	tv_rxq_free(rxq);
	CHECK(rte_mempool_avail_count(pool) == pool_full);
}

int
main(int argc, char **argv)
{
	int fds_before, rc;

	RTE_SET_USED(argc);
	rc = tvt_eal_init(argv[0], "tvhandoff");
	if (rc != 0)
		return rc;
	pool = rte_pktmbuf_pool_create("tvhandoff", 2047, 0, 0,
				       RTE_MBUF_DEFAULT_BUF_SIZE,
				       SOCKET_ID_ANY);
	if (pool == NULL) {
		fprintf(stderr, "cannot create mbuf pool\n");
		return 1;
	}
	pool_full = rte_mempool_avail_count(pool);
	fds_before = tt_count_fds();

	for (int l = TV_SIMD_SCALAR; l <= TV_SIMD_AVX512; l++) {
		if (!tv_simd_cpu_has((enum tv_simd)l))
			continue;
		printf("rx with simd=%s\n", tv_simd_name(l));
		rx_burst_fn = tv_rx_burst_for((enum tv_simd)l);
		test_rx_example();
		test_rx_random(&f_plain, 8, 20000);
		test_rx_random(&f_mrg, 32, 20000);
		test_rx_random(&f_plain, 256, 20000);
	}
	rx_burst_fn = tv_rx_burst_split;
	printf("tx\n");
	test_tx_example();
	test_tx_random(&f_plain, 8, 20000);
	test_tx_random(&f_mrg, 64, 20000);
	printf("datapath on another thread\n");
	test_gate_threads(&f_plain, 20000);
	rx_burst_fn = tv_rx_burst_for(tv_simd_resolve(TV_SIMD_AUTO));
	test_gate_threads(&f_mrg, 20000);
	test_gate_timeout();

	return tvt_finish("test_tv_handoff", fds_before, pool, pool_full);
}
