/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * test_tv_packed_rx.c - unit tests of net_tandem_virtio's packed-ring RX
 * (drivers/net/tandem_virtio/tv_packed.c, tv_queue.c) with this program
 * playing the device (tvt_packed.h): many laps, mergeable packets,
 * hostile used descriptors, the handoff to a new device (also over a ring
 * the old one left dirty), and for both directions kicks and the publish
 * order of a batch.
 *
 * Checks payload bytes, descriptor fields and flags, ids, lengths,
 * counters, kicks, that every mbuf goes back to its pool and that no fd
 * leaks. A mempool with its own ops (spy_ops) looks at the ring while the
 * driver is in the middle of a refill or a TX burst: the burst's first
 * descriptor must not be available yet. Needs EAL (--no-huge); fails if
 * EAL does not start.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "tvt_packed.h"

static struct rte_mempool *spy_pool;
static unsigned int spy_full;

/* A received one-buffer packet: fields, where it lies, and its bytes. */
static void
rx_check_one(const struct rte_mbuf *m, unsigned int pkt, unsigned int len,
	     uint64_t addr)
{
	CHECK(tvt_mbuf_matches(m, pkt, len));
	CHECK(m->data_len == len && m->nb_segs == 1 && m->next == NULL);
	CHECK(m->data_off == RTE_PKTMBUF_HEADROOM && m->port == PORT);
	CHECK(m->ol_flags == 0 && m->packet_type == 0);
	CHECK(rte_mbuf_refcnt_read(m) == 1);
	CHECK(rte_pktmbuf_mtod(m, uintptr_t) == addr + HDR);
}

/* ---- RX ---- */

/* Random traffic over many laps: the device returns a random number of
 * the buffers it holds (in order, or in any order), the driver receives
 * in random burst sizes. */
static void
test_rx_laps(uint16_t num, bool in_order, bool mrg)
{
	const struct tv_dp_features f = feat(in_order, mrg);
	struct {
		unsigned int len;
		uint64_t addr;
	} exp[1024];
	struct rte_mbuf *pkts[32];
	uint16_t tk[MAXN];
	unsigned int ntk = 0, sent = 0, got = 0, rounds = 0, i;
	const unsigned int target = 4u * num + 20;
	uint64_t bytes = 0;
	struct tv_vring_info vi;
	struct rte_power_monitor_cond pmc;
	struct pdev d;
	struct tv_rxq *rxq = rx_setup(num, &f, true, &d, pool);

	CHECK(rxq->packed && rxq->pring.num == num);
	tv_rxq_vring_info(rxq, &vi);
	CHECK(vi.base == BASE0 * 0x10001u);
	CHECK(rxq->pring.driver->flags == EV_DISABLE);
	CHECK(rxq->n_posted == num && rxq->avail_idx == num);
	for (i = 0; i < num; i++) {
		const struct tv_packed_desc *x = &rxq->pring.desc[i];

		CHECK(x->flags == (P_WRITE | P_AVAIL)); /* lap 0: wrap 1 */
		CHECK(x->id == i);
		CHECK(x->len == rxq->buf_len);
		CHECK(rxq->sw[i] != NULL &&
		      x->addr == (uintptr_t)rxq->sw[i]->buf_addr +
					 RTE_PKTMBUF_HEADROOM - HDR);
	}
	while (got < target && rounds++ < 100000) {
		unsigned int k, j;
		uint16_t n;

		ntk = pd_rx_take_all(&d, tk, ntk, rxq->buf_len, in_order);
		k = ntk > 0 ? rnd() % (ntk + 1) : 0;
		for (j = 0; j < k; j++) {
			unsigned int len = rnd() % 4 == 0 ? rxq->buf_len - HDR
							  : rnd() % 200;
			uint16_t id = pd_rx_pkt(&d, tk, &ntk,
						in_order ? 0 : rnd() % ntk,
						sent, len, mrg);

			exp[sent % 1024].len = len;
			exp[sent++ % 1024].addr = d.addr[id];
		}
		/* PMD power management's monitor mode: the flags of the
		 * descriptor at used_idx, "do not sleep" exactly while a
		 * packet waits (every packet here is one buffer). */
		memset(&pmc, 0, sizeof(pmc));
		CHECK(tv_rx_monitor_addr(rxq, &pmc) == 0);
		CHECK(pmc.size == 2 &&
		      pmc.addr == &rxq->pring.desc[rxq->used_idx & (num - 1)]
					   .flags);
		CHECK(pmc.fn(*(const volatile uint16_t *)pmc.addr,
			     pmc.opaque) == (got < sent ? -1 : 0));
		n = tv_rx_burst_packed(rxq, pkts, (uint16_t)(1 + rnd() % 32));
		CHECK(got + n <= sent);
		for (j = 0; j < n && got < sent; j++, got++) {
			rx_check_one(pkts[j], got, exp[got % 1024].len,
				     exp[got % 1024].addr);
			bytes += exp[got % 1024].len;
		}
		rte_pktmbuf_free_bulk(pkts, n);
	}
	CHECK(got >= target);
	CHECK(rxq->used_idx == (uint16_t)got); /* > 4 laps: wraps flipped */
	CHECK(rxq->stats.packets == got && rxq->stats.bytes == bytes);
	CHECK(!rxq->broken && rxq->stats.err_used_id == 0 &&
	      rxq->stats.err_used_len == 0 && rxq->stats.err_num_buffers == 0);
	tv_rxq_free(rxq);
	CHECK(rte_mempool_avail_count(pool) == pool_full);
}

/* A packet over three buffers, at used positions 6, 7, 0 (the used side
 * wraps too). Two of them used: nothing delivered; the third: all. */
static void
test_rx_mergeable(bool in_order, bool scatter)
{
	const struct tv_dp_features f = feat(in_order, true);
	struct rte_mbuf *pkts[32], *s;
	uint16_t tk[MAXN], b[4];
	unsigned int ntk, i, total;
	uint32_t room;
	struct pdev d;
	struct tv_rxq *rxq = rx_setup(8, &f, scatter, &d, pool);

	room = rxq->buf_len;
	ntk = pd_rx_take_all(&d, tk, 0, room, in_order);
	CHECK(ntk == 8);
	for (i = 0; i < 6; i++)
		pd_rx_pkt(&d, tk, &ntk, in_order ? 0 : (i * 5) % ntk, i, 40 + i,
			  1);
	CHECK(tv_rx_burst_packed(rxq, pkts, 32) == 6);
	for (i = 0; i < 6; i++)
		CHECK(tvt_mbuf_matches(pkts[i], i, 40 + i));
	rte_pktmbuf_free_bulk(pkts, 6);
	CHECK(rxq->n_posted == 8 && rxq->avail_idx == 14); /* refilled */
	ntk = pd_rx_take_all(&d, tk, ntk, room, in_order);
	CHECK(ntk == 8);
	for (i = 0; i < 4; i++)
		b[i] = tk_remove(tk, &ntk,
				 in_order ? 0 : (unsigned int)(5 - i) % ntk);
	if (in_order)
		CHECK(b[0] == 6 && b[1] == 7 && b[2] == 0);
	total = (room - HDR) + room + 100;
	pd_rx_write(&d, b[0], 6, 0, room - HDR, 3, true);
	pd_rx_write(&d, b[1], 6, room - HDR, room, 0, false);
	pd_rx_write(&d, b[2], 6, 2 * room - HDR, 100, 0, false);
	pd_rx_write(&d, b[3], 7, 0, 50, 1, true);
	pd_used(&d, b[0], room, 1, P_WRITE);
	pd_used(&d, b[1], room, 1, P_WRITE);
	/* Two of three buffers used: wait for the third. */
	CHECK(tv_rx_burst_packed(rxq, pkts, 32) == 0);
	CHECK(!rxq->broken && rxq->n_posted == 8);
	pd_used(&d, b[2], 100, 1, P_WRITE);
	pd_used(&d, b[3], HDR + 50, 1, P_WRITE);
	if (scatter) {
		CHECK(tv_rx_burst_packed(rxq, pkts, 32) == 2);
		CHECK(pkts[0]->nb_segs == 3 &&
		      tvt_mbuf_matches(pkts[0], 6, total));
		CHECK(rte_pktmbuf_mtod(pkts[0], uintptr_t) ==
		      d.addr[b[0]] + HDR);
		CHECK(pkts[0]->data_len == room - HDR);
		for (s = pkts[0]->next, i = 1; s != NULL && i < 3;
		     s = s->next, i++) {
			CHECK(rte_pktmbuf_mtod(s, uintptr_t) == d.addr[b[i]]);
			CHECK(s->data_off == RTE_PKTMBUF_HEADROOM - HDR);
			CHECK(s->data_len == (i == 1 ? room : 100));
			CHECK(s->port == PORT && s->nb_segs == 1);
		}
		CHECK(i == 3 && s == NULL);
		CHECK(tvt_mbuf_matches(pkts[1], 7, 50));
		rte_pktmbuf_free_bulk(pkts, 2);
		CHECK(rxq->stats.packets == 8 && rxq->stats.drop_scatter == 0);
	} else {
		CHECK(tv_rx_burst_packed(rxq, pkts, 32) == 1);
		CHECK(tvt_mbuf_matches(pkts[0], 7, 50));
		rte_pktmbuf_free(pkts[0]);
		CHECK(rxq->stats.drop_scatter == 1 && rxq->stats.packets == 7);
	}
	CHECK(!rxq->broken);
	tv_rxq_free(rxq);
	CHECK(rte_mempool_avail_count(pool) == pool_full);
}

/* Used descriptors a broken device might write, and the counter each must
 * raise: 0 err_used_id, 1 err_used_len, 2 err_num_buffers. */
enum rx_fault {
	RF_ID_RANGE,
	RF_ID_ORDER, /* a posted buffer at the wrong place (in_order only) */
	RF_ID_STALE, /* the id of a buffer just delivered */
	RF_LEN_LONG,
	RF_LEN_SHORT,
	RF_NB0,
	RF_NB_BIG,
	RF_CONT_LEN, /* a mergeable packet's second buffer too long */
	RF_END
};
static const uint8_t rf_class[RF_END] = {0, 0, 0, 1, 1, 2, 2, 1};

/* A lap of good packets first (the handoff's base then carries wrap
 * counter 0). Then two good packets, the bad one, a good one: exactly two
 * delivered, the queue stops with the right counter and leaks nothing.
 * The handoff revives it: a new device at the base the driver reports
 * finds every buffer still posted (the bad and the last good one offered
 * again) and nothing else, fills them all, and the driver receives them. */
static void
test_rx_fault(enum rx_fault fault, bool in_order)
{
	const struct tv_dp_features f = feat(in_order, true);
	struct rte_mbuf *pkts[16];
	struct tv_vring_info vi;
	uint64_t want[16];
	uint16_t tk[MAXN], good[2], id, bad_id;
	unsigned int ntk, i, j, gone;
	uint32_t buf_len, bad_len;
	struct pdev d;
	struct tv_rxq *rxq = rx_setup(16, &f, true, &d, pool);

	buf_len = rxq->buf_len;
	ntk = pd_rx_take_all(&d, tk, 0, buf_len, in_order);
	/* Without IN_ORDER, scrambled: ids no longer match positions. */
	for (i = 0; i < 16; i++)
		pd_rx_pkt(&d, tk, &ntk, in_order ? 0 : (i * 7) % ntk, 100 + i,
			  20, 1);
	CHECK(tv_rx_burst_packed(rxq, pkts, 16) == 16);
	for (i = 0; i < 16; i++)
		CHECK(tvt_mbuf_matches(pkts[i], 100 + i, 20));
	rte_pktmbuf_free_bulk(pkts, 16);
	ntk = pd_rx_take_all(&d, tk, 0, buf_len, in_order);
	CHECK(ntk == 16);
	for (i = 0; i < 16; i++)
		want[i] = d.addr[tk[i]];
	for (i = 0; i < 2; i++)
		good[i] = pd_rx_pkt(&d, tk, &ntk, 0, i, 64, 1);
	id = tk_remove(tk, &ntk, 0);
	pd_rx_write(&d, id, 2, 0, 64,
		    fault == RF_NB0	   ? 0
		    : fault == RF_NB_BIG   ? 15 /* 14 posted then */
		    : fault == RF_CONT_LEN ? 2
					   : 1,
		    true);
	bad_id = fault == RF_ID_RANGE	? 16
		 : fault == RF_ID_ORDER ? tk[0]
		 : fault == RF_ID_STALE ? good[0]
					: id;
	bad_len = fault == RF_LEN_LONG	  ? buf_len + 1
		  : fault == RF_LEN_SHORT ? HDR - 1
		  : fault == RF_CONT_LEN  ? buf_len
					  : HDR + 64;
	pd_used(&d, bad_id, bad_len, 1, 0);
	if (fault == RF_CONT_LEN)
		pd_used(&d, tk_remove(tk, &ntk, 0), buf_len + 1, 1, 0);
	pd_rx_pkt(&d, tk, &ntk, 0, 3, 64, 1);

	CHECK(tv_rx_burst_packed(rxq, pkts, 8) == 2);
	CHECK(tvt_mbuf_matches(pkts[0], 0, 64) &&
	      tvt_mbuf_matches(pkts[1], 1, 64));
	rte_pktmbuf_free_bulk(pkts, 2);
	CHECK(rxq->broken);
	CHECK(rxq->stats.err_used_id == (rf_class[fault] == 0));
	CHECK(rxq->stats.err_used_len == (rf_class[fault] == 1));
	CHECK(rxq->stats.err_num_buffers == (rf_class[fault] == 2));
	CHECK(rxq->stats.packets == 18);
	CHECK(tv_rx_burst_packed(rxq, pkts, 8) == 0); /* stays stopped */
	CHECK(rxq->stats.packets == 18);

	CHECK(tv_rxq_handoff(rxq) == 0);
	CHECK(!rxq->broken && rxq->stats.recoveries == 1);
	tv_rxq_vring_info(rxq, &vi);
	gone = fault == RF_CONT_LEN ? 3 : 2; /* buffers consumed */
	CHECK(vi.base == ((uint32_t)ow((uint16_t)(16 + gone), 16) * 0x10001u));
	CHECK(rxq->n_posted == 16 - gone &&
	      (uint16_t)(rxq->avail_idx - rxq->used_idx) == 16 - gone);
	for (j = 0; j < 16; j++)
		if (want[j] == d.addr[good[0]] || want[j] == d.addr[good[1]] ||
		    (fault == RF_CONT_LEN && want[j] == d.addr[id]))
			want[j] = 0;
	pd_attach(&d, &rxq->pring, (uint16_t)vi.base);
	ntk = pd_rx_take_all(&d, tk, 0, buf_len, in_order);
	CHECK(ntk == 16 - gone);
	for (i = 0; i < ntk; i++) {
		for (j = 0; j < 16 && want[j] != d.addr[tk[i]]; j++)
			;
		CHECK(j < 16); /* a buffer still posted, once */
		if (j < 16)
			want[j] = 0;
	}
	for (i = 0; i < 16 - gone; i++)
		pd_rx_pkt(&d, tk, &ntk, 0, 200 + i, 70, 1);
	CHECK(tv_rx_burst_packed(rxq, pkts, 16) == 16 - gone);
	for (i = 0; i < 16 - gone; i++) {
		CHECK(tvt_mbuf_matches(pkts[i], 200 + i, 70));
		rte_pktmbuf_free(pkts[i]);
	}
	CHECK(!rxq->broken && rxq->stats.packets == 34 - gone);
	tv_rxq_free(rxq);
	CHECK(rte_mempool_avail_count(pool) == pool_full);
}

/* ---- Handoff over a ring the old device left dirty ---- */

/* With the application's rx_free_thresh at 12: a lap of packets, then
 * five more the driver receives (no refill yet) and one it does not
 * (lost in the handoff): buffers [21, 32) are posted, [32, 37) not. The
 * old device makes every descriptor of [32, 37) look like a buffer made
 * available for the lap the next device reaches there, and leaves its
 * event structure saying DISABLE. After the handoff:
 * (a) [32, 37) say "used on the lap before", and a new device from the
 *     base the driver reports takes exactly the buffers still posted,
 *     then finds nothing;
 * (d) the device's event structure is a fresh ring's (ENABLE, off_wrap
 *     0), so the next refill notifies.
 * Then the queue runs on: the new device fills the buffers, the driver
 * receives them and posts a whole ring again. */
static void
test_rx_handoff_dirty(bool in_order)
{
	const uint16_t num = 16;
	const struct tv_dp_features f = feat(in_order, true);
	struct rte_mbuf *pkts[MAXN];
	struct tv_rxq *rxq = NULL;
	struct tv_vring_info vi;
	uint16_t tk[MAXN], n;
	unsigned int ntk, i;
	uint64_t kicks;
	struct pdev d;

	REQUIRE(tv_rxq_create(&rxq, PORT, 1, num, SOCKET_ID_ANY, pool) == 0);
	rxq->free_thresh = 12;
	CHECK(tv_rxq_reset(rxq, &f, true) == 0);
	CHECK(rxq->refill_at == 12);
	pd_attach(&d, &rxq->pring, BASE0);
	/* Without IN_ORDER, scrambled: ids no longer match positions. */
	ntk = pd_rx_take_all(&d, tk, 0, rxq->buf_len, in_order);
	for (i = 0; i < num; i++)
		pd_rx_pkt(&d, tk, &ntk, in_order ? 0 : (i * 7) % ntk, i, 30, 1);
	CHECK(tv_rx_burst_packed(rxq, pkts, MAXN) == num);
	rte_pktmbuf_free_bulk(pkts, num);
	ntk = pd_rx_take_all(&d, tk, 0, rxq->buf_len, in_order);
	CHECK(ntk == num);
	for (i = 0; i < 6; i++)
		pd_rx_pkt(&d, tk, &ntk, in_order ? 0 : (i * 5) % ntk, num + i,
			  30, 1);
	CHECK(tv_rx_burst_packed(rxq, pkts, 5) == 5);
	for (i = 0; i < 5; i++)
		CHECK(tvt_mbuf_matches(pkts[i], num + i, 30));
	rte_pktmbuf_free_bulk(pkts, 5);
	CHECK(rxq->used_idx == 21 && rxq->avail_idx == 32);
	CHECK(rxq->n_posted == 11);
	pd_leave_dirty(&rxq->pring, 32, 21 + num, P_WRITE, rxq->buf_len,
		       EV_DISABLE, ow(40, num));

	CHECK(tv_rxq_handoff(rxq) == 0);
	CHECK(rxq->used_idx == 21 && rxq->avail_idx == 32);
	CHECK(rxq->n_posted == 11 && !rxq->broken);
	/* (d), (a) */
	check_event_fresh(&rxq->pring);
	check_ring_settled(&rxq->pring, 32, 21 + num);
	tv_rxq_vring_info(rxq, &vi);
	CHECK(vi.base == ((uint32_t)ow(21, num) * 0x10001u));
	pd_attach(&d, &rxq->pring, (uint16_t)vi.base);
	ntk = pd_rx_take_all(&d, tk, 0, rxq->buf_len, in_order);
	CHECK(ntk == 11); /* (a): and nothing beyond */
	for (i = 0; i < ntk && i < 11; i++) {
		const struct rte_mbuf *m = rxq->sw[tk[i]];

		/* A buffer still posted (ids are distinct: pd_take). */
		CHECK(m != NULL &&
		      d.addr[tk[i]] == (uintptr_t)m->buf_addr +
					       RTE_PKTMBUF_HEADROOM - HDR);
	}

	/* (d): the refill after the next burst notifies the new device. */
	for (i = 0; i < 11 && ntk > 0; i++)
		pd_rx_pkt(&d, tk, &ntk, 0, 100 + i, 40, 1);
	kick_read(rxq->kick_fd);
	kicks = rxq->stats.kicks;
	n = tv_rx_burst_packed(rxq, pkts, MAXN);
	CHECK(n == 11);
	CHECK(rxq->stats.kicks == kicks + 1 && kick_read(rxq->kick_fd) == 1);
	for (i = 0; i < n; i++)
		CHECK(tvt_mbuf_matches(pkts[i], 100 + i, 40));
	rte_pktmbuf_free_bulk(pkts, n);
	CHECK(rxq->n_posted == num && rxq->avail_idx == 32 + num);
	ntk = pd_rx_take_all(&d, tk, 0, rxq->buf_len, in_order);
	CHECK(ntk == num);
	for (i = 0; i < num && ntk > 0; i++)
		pd_rx_pkt(&d, tk, &ntk, 0, 200 + i, 50, 1);
	n = tv_rx_burst_packed(rxq, pkts, MAXN);
	CHECK(n == num);
	for (i = 0; i < n; i++)
		CHECK(tvt_mbuf_matches(pkts[i], 200 + i, 50));
	rte_pktmbuf_free_bulk(pkts, n);
	CHECK(!rxq->broken && rxq->stats.packets == 2u * num + 16);
	CHECK(rxq->stats.err_used_id == 0 && rxq->stats.err_used_len == 0);
	tv_rxq_free(rxq);
	CHECK(rte_mempool_avail_count(pool) == pool_full);
}

/* ---- Kicks ---- */

static void
test_kicks(void)
{
	/* Device event flags, off_wrap (as a free-running index), kick? for
	 * bursts of 3 covering descriptors [3k, 3k + 3) of a ring of 8. */
	static const struct {
		uint16_t flags, at;
		bool kick;
	} cases[] = {
		{EV_ENABLE, 0, true}, {EV_DISABLE, 0, false},
		{EV_DESC, 8, true},   {EV_DESC, 8, false},
		{EV_DESC, 20, false}, {EV_DESC, 17, true},
		{EV_DESC, 15, false}, {EV_DESC, 21, true},
		{EV_DESC, 26, true},  {EV_DESC, 32, false},
	};
	struct tv_dp_features f = feat(true, true);
	unsigned int out[MAXN], nout, taken = 0, wraps = 0, pkt = 0, k, i;
	struct rte_mbuf *pkts[3];
	struct tv_rxq *rxq;
	struct tv_txq *txq;
	uint64_t kicks;
	struct pdev d;

	/* RX: reset zeroes the ring (device flags: enable); the refill
	 * kicks once. */
	rxq = rx_setup(8, &f, true, &d, pool);
	CHECK(rxq->stats.kicks == 1 && kick_read(rxq->kick_fd) == 1);
	tv_rxq_free(rxq);

	for (int event_idx = 1; event_idx >= 0; event_idx--) {
		f.event_idx = event_idx;
		txq = tx_setup(8, &f, &d);
		taken = pkt = 0;
		for (k = 0; k < RTE_DIM(cases); k++) {
			bool want = cases[k].kick ||
				    (!event_idx && cases[k].flags == EV_DESC);

			txq->pring.device->flags = cases[k].flags;
			txq->pring.device->off_wrap = ow(cases[k].at, 8);
			for (i = 0; i < 3; i++, pkt++)
				pkts[i] = mk_tx(pool, &tp[pkt % TPN], pkt,
						K_SIMPLE, 64, 1, true);
			kicks = txq->stats.kicks;
			CHECK(tv_tx_burst_packed(txq, pkts, 3) == 3);
			CHECK(txq->stats.kicks == kicks + want);
			CHECK(kick_read(txq->kick_fd) == want);
			nout = pd_tx_take_all(&d, txq, &taken, pkt, out, 0,
					      &wraps);
			CHECK(nout == 3);
			pd_tx_complete(&d, out, &nout, 3, TM_BATCH);
		}
		CHECK(txq->stats.kicks == (event_idx ? 5u : 9u));
		tv_txq_free(txq);
	}
	CHECK(rte_mempool_avail_count(pool) == pool_full);
}

/* ---- The first descriptor of a batch is published last ----
 *
 * spy_ops: a plain stack of objects that calls spy_check on every get and
 * put. With no mempool cache, the driver's refill gets mbufs 64 at a time
 * between writing descriptors, and a TX burst frees a packet it drops in
 * its middle: at those moments the batch's later descriptors are
 * available and its first one must not be. */

static const struct tv_packed *spy_ring;
static uint16_t spy_first;
static unsigned int spy_mid, spy_bad;

static void
spy_check(void)
{
	uint16_t num, second;

	if (spy_ring == NULL)
		return;
	num = (uint16_t)spy_ring->num;
	second = (uint16_t)(spy_first + 1);
	if (pd_is_avail(spy_ring->desc[second % num].flags,
			((second / num) & 1) == 0))
		spy_mid++;
	if (pd_is_avail(spy_ring->desc[spy_first % num].flags,
			((spy_first / num) & 1) == 0))
		spy_bad++;
}

static void *spy_obj[1024];
static unsigned int spy_n;

static int
spy_alloc(struct rte_mempool *mp)
{
	return mp->size <= RTE_DIM(spy_obj) ? 0 : -ENOMEM;
}

static int
spy_enqueue(struct rte_mempool *mp, void *const *obj, unsigned int n)
{
	RTE_SET_USED(mp);
	spy_check();
	memcpy(&spy_obj[spy_n], obj, n * sizeof(void *));
	spy_n += n;
	return 0;
}

static int
spy_dequeue(struct rte_mempool *mp, void **obj, unsigned int n)
{
	RTE_SET_USED(mp);
	spy_check();
	if (n > spy_n)
		return -ENOBUFS;
	spy_n -= n;
	memcpy(obj, &spy_obj[spy_n], n * sizeof(void *));
	return 0;
}

static unsigned int
spy_count(const struct rte_mempool *mp)
{
	RTE_SET_USED(mp);
	return spy_n;
}

static struct rte_mempool_ops spy_ops = {
	.name = "tvt_spy",
	.alloc = spy_alloc,
	.enqueue = spy_enqueue,
	.dequeue = spy_dequeue,
	.get_count = spy_count,
};
RTE_MEMPOOL_REGISTER_OPS(spy_ops);

static void
spy_arm(const struct tv_packed *ring, uint16_t first)
{
	spy_ring = ring;
	spy_first = first;
	spy_mid = spy_bad = 0;
}

static void
test_publish_order(void)
{
	const struct tv_dp_features f = feat(true, true);
	struct rte_mbuf *pkts[256], *m;
	unsigned int out[MAXN], nout, taken = 0, wraps = 0, i, k;
	uint16_t tk[MAXN];
	unsigned int ntk;
	struct tv_rxq *rxq;
	struct tv_txq *txq;
	struct pdev d;

	/* RX: the refill at reset (256 buffers), then one of 200 from
	 * position 40 of lap 1. */
	REQUIRE(tv_rxq_create(&rxq, PORT, 0, 256, SOCKET_ID_ANY, spy_pool) ==
		0);
	spy_arm(&rxq->pring, 0);
	CHECK(tv_rxq_reset(rxq, &f, true) == 0);
	CHECK(spy_mid > 0 && spy_bad == 0);
	pd_attach(&d, &rxq->pring, BASE0);
	spy_ring = NULL;
	ntk = 0;
	for (k = 0; k < 2; k++) {
		ntk = pd_rx_take_all(&d, tk, ntk, rxq->buf_len, true);
		for (i = 0; i < (k == 0 ? 40u : 200u); i++)
			pd_rx_pkt(&d, tk, &ntk, 0, i, 20, 1);
		spy_arm(&rxq->pring, rxq->avail_idx);
		CHECK(tv_rx_burst_packed(rxq, pkts, 256) == i);
		spy_ring = NULL;
		rte_pktmbuf_free_bulk(pkts, i);
		CHECK(rxq->avail_idx == 256 + 40 + (k ? 200 : 0));
	}
	CHECK(spy_mid > 0 && spy_bad == 0);
	tv_rxq_free(rxq);
	CHECK(rte_mempool_avail_count(spy_pool) == spy_full);

	/* TX: a packet of 9 segments never fits a ring of 8 and is dropped
	 * (freed) in the middle of the burst. First a simple packet leads
	 * the burst, then a chain. */
	txq = tx_setup(8, &f, &d);
	for (k = 0; k < 2; k++) {
		unsigned int b = 3 * k;

		pkts[0] = mk_tx(spy_pool, &tp[b], b,
				k == 0 ? K_SIMPLE : K_CHAIN, 60, 2, true);
		pkts[1] = mk_tx(spy_pool, &tp[b + 1], b + 1, K_SIMPLE, 61, 1,
				true);
		m = mk_seg(spy_pool, 99, 0, 10, RTE_PKTMBUF_HEADROOM);
		for (i = 1; i < 9; i++)
			REQUIRE(rte_pktmbuf_chain(
					m, mk_seg(spy_pool, 99, 10 * i, 10,
						  RTE_PKTMBUF_HEADROOM)) == 0);
		pkts[2] = m;
		pkts[3] = mk_tx(spy_pool, &tp[b + 2], b + 2, K_SIMPLE, 62, 1,
				true);
		spy_arm(&txq->pring, txq->desc_head);
		CHECK(tv_tx_burst_packed(txq, pkts, 4) == 4);
		spy_ring = NULL;
		CHECK(spy_mid > 0 && spy_bad == 0);
		CHECK(txq->stats.drop_too_many_segs == k + 1);
		/* The dropped packet was not sent. */
		CHECK(txq->stats.packets == 3 * (k + 1));
		CHECK(txq->stats.bytes == 183 * (k + 1));
		nout = pd_tx_take_all(&d, txq, &taken, b + 3, out, 0, &wraps);
		CHECK(nout == 3);
		pd_tx_complete(&d, out, &nout, nout, TM_BATCH);
	}
	tv_txq_free(txq);
	CHECK(rte_mempool_avail_count(spy_pool) == spy_full);
}

int
main(int argc, char **argv)
{
	static const uint16_t rx_nums[] = {1, 2, 8, 256};
	int fds_before, rc;

	RTE_SET_USED(argc);
	rc = tvt_packed_start(argv[0], "tvpacked_rx");
	if (rc != 0)
		return rc;
	spy_pool = rte_pktmbuf_pool_create_by_ops("tvpspy", 700, 0, 0,
						  RTE_MBUF_DEFAULT_BUF_SIZE,
						  SOCKET_ID_ANY, "tvt_spy");
	if (spy_pool == NULL) {
		fprintf(stderr, "cannot create the spy mbuf pool\n");
		return 1;
	}
	spy_full = rte_mempool_avail_count(spy_pool);
	fds_before = tt_count_fds();

	for (unsigned int i = 0; i < RTE_DIM(rx_nums); i++)
		for (int in_order = 0; in_order < 2; in_order++)
			for (int mrg = 0; mrg < 2; mrg++)
				test_rx_laps(rx_nums[i], in_order, mrg);
	for (int in_order = 0; in_order < 2; in_order++) {
		test_rx_mergeable(in_order, true);
		test_rx_mergeable(in_order, false);
		for (int fault = 0; fault < RF_END; fault++)
			if ((fault != RF_ID_ORDER || in_order) &&
			    (fault != RF_ID_STALE || !in_order))
				test_rx_fault((enum rx_fault)fault, in_order);
		test_rx_handoff_dirty(in_order);
	}
	test_kicks();
	test_publish_order();

	rte_mempool_free(spy_pool);
	return tvt_finish("test_tv_packed_rx", fds_before, pool, pool_full);
}
