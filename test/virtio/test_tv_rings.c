/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * test_tv_rings.c - unit tests of net_tandem_virtio's split-ring datapath
 * (drivers/net/tandem_virtio/tv_queue.c, tv_rxtx.c) with this program
 * playing the back-end: it reads descriptors, writes packets and used
 * entries, and misbehaves on purpose.
 *
 * Checks payload bytes, lengths, counters, that every mbuf goes back to its
 * pool and that no fd leaks. Needs EAL (--no-huge); fails if EAL does not
 * start.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_eal_memconfig.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "tv_pmd.h"
#include "tvt_backend.h"

static struct rte_mempool *pool;
static unsigned int pool_full;

/* ---- The fake back-end (struct tvt_dev, tvt_backend.h) ---- */

/* Write a received packet (header + payload) into RX descriptor `id`. */
static void
fd_rx_write(struct tvt_dev *d, uint16_t id, uint16_t num_buffers,
	    unsigned int pkt, unsigned int off, unsigned int len, bool hdr)
{
	uint8_t *p = (uint8_t *)(uintptr_t)d->ring->desc[id].addr;
	unsigned int i;

	if (hdr) {
		struct tv_net_hdr_mrg h = {.num_buffers = num_buffers};

		memcpy(p, &h, sizeof(h));
		p += sizeof(h);
	}
	for (i = 0; i < len; i++)
		p[i] = tvt_pattern(pkt, off + i);
}

static const struct tv_dp_features f_inorder = {
	.mrg_rxbuf = true,
	.in_order = true,
	.event_idx = true,
	.fixed_avail = true,
	.tx_hdr_push = true,
	.bulk = true,
};
static const struct tv_dp_features f_plain = {
	.fixed_avail = true,
	.tx_hdr_push = true,
	.bulk = true,
};

/* The RX path under test: the RX tests run once per level this CPU has
 * (test_tv_rx_simd.c compares the levels packet by packet). */
static tv_rx_burst_fn rx_burst_fn = tv_rx_burst_split;

/* ---- RX ---- */

static void
test_rx_basic(void)
{
	struct tv_rxq *rxq;
	struct rte_mbuf *pkts[32];
	struct tvt_dev d;
	const uint32_t hdr = sizeof(struct tv_net_hdr_mrg);
	uint16_t n, i;

	CHECK(tv_rxq_create(&rxq, 7, 0, 16, SOCKET_ID_ANY, pool) == 0);
	CHECK(tv_rxq_reset(rxq, &f_plain, false) == 0);
	d = (struct tvt_dev){.ring = &rxq->ring};
	CHECK(tvt_avail_idx(&d) == 16);
	CHECK(rxq->ring.avail->flags == TV_AVAIL_F_NO_INTERRUPT);
	for (i = 0; i < 5; i++) {
		uint16_t id = tvt_next_avail(&d);

		CHECK(id == i); /* fixed avail layout */
		CHECK(rxq->ring.desc[id].flags == TV_DESC_F_WRITE);
		CHECK(rxq->ring.desc[id].len == rxq->buf_len);
		fd_rx_write(&d, id, 1, i, 0, 60 + i, true);
		tvt_put_used(&d, id, hdr + 60 + i);
	}
	tvt_publish(&d);
	n = rx_burst_fn(rxq, pkts, 3);
	CHECK(n == 3);
	n += rx_burst_fn(rxq, pkts + 3, 32);
	CHECK(n == 5);
	for (i = 0; i < n; i++) {
		CHECK(tvt_mbuf_matches(pkts[i], i, 60 + i));
		CHECK(pkts[i]->port == 7);
		CHECK(pkts[i]->nb_segs == 1);
		CHECK(pkts[i]->data_off == RTE_PKTMBUF_HEADROOM);
	}
	CHECK(rxq->stats.packets == 5);
	CHECK(rxq->stats.bytes == 60 + 61 + 62 + 63 + 64);
	rte_pktmbuf_free_bulk(pkts, n);
	/* Nothing new: nothing returned. */
	CHECK(rx_burst_fn(rxq, pkts, 32) == 0);
	tv_rxq_free(rxq);
	CHECK(rte_mempool_avail_count(pool) == pool_full);
}

/* PMD power management's monitor mode: the word tv_rx_monitor_addr names
 * must be used->idx, and its callback must say "do not sleep" exactly
 * while entries wait to be received. */
static int
monitor_says(const struct rte_power_monitor_cond *pmc)
{
	return pmc->fn(*(const volatile uint16_t *)pmc->addr, pmc->opaque);
}

static void
test_rx_monitor(void)
{
	struct rte_power_monitor_cond pmc;
	struct rte_mbuf *pkts[32];
	struct tv_rxq *rxq;
	struct tvt_dev d;
	const uint32_t hdr = sizeof(struct tv_net_hdr_mrg);
	unsigned int sent = 0, got = 0, r, j;
	uint16_t n;

	CHECK(tv_rxq_create(&rxq, 7, 0, 16, SOCKET_ID_ANY, pool) == 0);
	CHECK(tv_rxq_reset(rxq, &f_inorder, false) == 0);
	d = (struct tvt_dev){.ring = &rxq->ring};
	memset(&pmc, 0, sizeof(pmc));
	CHECK(tv_rx_monitor_addr(rxq, &pmc) == 0);
	CHECK(pmc.addr == &rxq->ring.used->idx && pmc.size == 2 &&
	      pmc.fn != NULL);
	CHECK(monitor_says(&pmc) == 0); /* nothing used: may sleep */
	/* 1, 2 or 3 packets a round, 30 in all over a ring of 16 (used->idx
	 * laps it). A used entry written but not yet published does not
	 * count; a published one does until it is received. */
	for (r = 0; r < 15; r++) {
		unsigned int k = 1 + r % 3;

		for (j = 0; j < k; j++) {
			uint16_t id = tvt_next_avail(&d);

			fd_rx_write(&d, id, 1, sent, 0, 60, true);
			tvt_put_used(&d, id, hdr + 60);
			CHECK(monitor_says(&pmc) == (j == 0 ? 0 : -1));
			tvt_publish(&d);
			sent++;
			CHECK(monitor_says(&pmc) == -1);
		}
		CHECK(tv_rx_monitor_addr(rxq, &pmc) == 0);
		CHECK(monitor_says(&pmc) == -1);
		if (k > 1) {
			/* All but one received: one still waits. */
			n = rx_burst_fn(rxq, pkts, (uint16_t)(k - 1));
			CHECK(n == k - 1);
			for (j = 0; j < n; j++)
				CHECK(tvt_mbuf_matches(pkts[j], got++, 60));
			rte_pktmbuf_free_bulk(pkts, n);
			CHECK(tv_rx_monitor_addr(rxq, &pmc) == 0);
			CHECK(monitor_says(&pmc) == -1);
		}
		n = rx_burst_fn(rxq, pkts, 32);
		CHECK(n == 1);
		for (j = 0; j < n; j++)
			CHECK(tvt_mbuf_matches(pkts[j], got++, 60));
		rte_pktmbuf_free_bulk(pkts, n);
		CHECK(tv_rx_monitor_addr(rxq, &pmc) == 0);
		CHECK(monitor_says(&pmc) == 0);
	}
	CHECK(sent == 30 && got == 30 && rxq->stats.packets == 30);
	tv_rxq_free(rxq);
	CHECK(rte_mempool_avail_count(pool) == pool_full);
}

/* Interrupt mode's arming (tv_rxq_intr_arm), split rings: the word it
 * writes for the back-end, with and without EVENT_IDX, and when it says
 * "do not sleep": a published buffer waits, or a refill is due that
 * the pool can now make (an arm that said "sleep" there would sleep for
 * ever: the back-end has no buffer to fill). Never for a broken queue.
 * The burst leaves an armed used_event alone. */
static void
test_rx_intr_arm(bool event_idx)
{
	struct tv_dp_features f = f_inorder;
	const uint32_t hdr = sizeof(struct tv_net_hdr_mrg);
	struct rte_mbuf *pkts[32];
	void *hold[4096];
	struct tv_rxq *rxq;
	struct tvt_dev d;
	unsigned int n_hold = 0, i;
	uint16_t n, id;

	f.event_idx = event_idx;
	CHECK(tv_rxq_create(&rxq, 7, 0, 16, SOCKET_ID_ANY, pool) == 0);
	CHECK(tv_rxq_reset(rxq, &f, false) == 0);
	d = (struct tvt_dev){.ring = &rxq->ring};
	/* Poll mode after reset: calls suppressed. */
	if (event_idx)
		CHECK(*tv_split_used_event(&rxq->ring) == UINT16_MAX);
	else
		CHECK(rxq->ring.avail->flags == TV_AVAIL_F_NO_INTERRUPT);
	CHECK(!tv_rxq_intr_arm(rxq, true)); /* full ring, nothing used */
	CHECK(rxq->intr_armed);
	if (event_idx)
		CHECK(*tv_split_used_event(&rxq->ring) == rxq->used_idx);
	else
		CHECK(rxq->ring.avail->flags == 0);
	CHECK(!tv_rxq_intr_arm(rxq, false));
	CHECK(!rxq->intr_armed);
	if (event_idx)
		CHECK(*tv_split_used_event(&rxq->ring) ==
		      (uint16_t)(rxq->used_idx - 1));
	else
		CHECK(rxq->ring.avail->flags == TV_AVAIL_F_NO_INTERRUPT);

	/* A used entry written but not published does not count; a
	 * published one does. */
	id = tvt_next_avail(&d);
	fd_rx_write(&d, id, 1, 0, 0, 60, true);
	tvt_put_used(&d, id, hdr + 60);
	CHECK(!tv_rxq_intr_arm(rxq, true));
	tvt_publish(&d);
	CHECK(tv_rxq_intr_arm(rxq, true));
	/* Polled while armed: the request stays where it was. */
	n = rx_burst_fn(rxq, pkts, 32);
	CHECK(n == 1 && tvt_mbuf_matches(pkts[0], 0, 60));
	rte_pktmbuf_free_bulk(pkts, n);
	if (event_idx)
		CHECK(*tv_split_used_event(&rxq->ring) == 0);
	CHECK(!tv_rxq_intr_arm(rxq, true)); /* received, refilled */

	/* The pool runs dry: the whole ring is received, nothing refills.
	 * Arming must not let the lcore sleep (nothing would call) until
	 * the pool has mbufs again and a burst refilled the ring. */
	while (n_hold < RTE_DIM(hold) &&
	       rte_mempool_get(pool, &hold[n_hold]) == 0)
		n_hold++;
	CHECK(rte_mempool_avail_count(pool) == 0);
	CHECK(rxq->n_posted == 15); /* 1 received, below the threshold */
	for (i = 1; i <= 15; i++) {
		id = tvt_next_avail(&d);
		fd_rx_write(&d, id, 1, i, 0, 60, true);
		tvt_put_used(&d, id, hdr + 60);
	}
	tvt_publish(&d);
	n = rx_burst_fn(rxq, pkts, 32);
	CHECK(n == 15 && rxq->n_posted == 0 && rxq->stats.nombuf > 0);
	for (i = 0; i < n; i++)
		CHECK(tvt_mbuf_matches(pkts[i], i + 1, 60));
	rte_pktmbuf_free_bulk(pkts, n); /* back in the pool, not posted */
	CHECK(tv_rxq_intr_arm(rxq, true));
	rte_mempool_put_bulk(pool, hold, n_hold);
	CHECK(rx_burst_fn(rxq, pkts, 32) == 0 && rxq->n_posted == 16);
	CHECK(!tv_rxq_intr_arm(rxq, true));

	/* Broken (used->idx beyond what is posted): the burst does not
	 * read the queue, so arming must not keep waking it. */
	d.ring->used->idx = (uint16_t)(rxq->used_idx + 17);
	CHECK(rx_burst_fn(rxq, pkts, 32) == 0 && rxq->broken);
	CHECK(!tv_rxq_intr_arm(rxq, true));
	CHECK(tv_rxq_intr_arm(rxq, false) == false);
	tv_rxq_free(rxq);
	CHECK(rte_mempool_avail_count(pool) == pool_full);
}

static void
test_rx_mergeable(bool scatter)
{
	struct tv_rxq *rxq;
	struct rte_mbuf *pkts[4];
	struct tvt_dev d;
	const uint32_t hdr = sizeof(struct tv_net_hdr_mrg);
	uint32_t room;
	uint16_t id0, id1, id2;

	CHECK(tv_rxq_create(&rxq, 0, 1, 64, SOCKET_ID_ANY, pool) == 0);
	CHECK(tv_rxq_reset(rxq, &f_inorder, scatter) == 0);
	d = (struct tvt_dev){.ring = &rxq->ring};
	room = rxq->buf_len;
	id0 = tvt_next_avail(&d);
	id1 = tvt_next_avail(&d);
	id2 = tvt_next_avail(&d);
	/* A 5000-byte packet over three buffers. */
	fd_rx_write(&d, id0, 3, 9, 0, room - hdr, true);
	fd_rx_write(&d, id1, 0, 9, room - hdr, room, false);
	fd_rx_write(&d, id2, 0, 9, 2 * room - hdr, 5000 - (2 * room - hdr),
		    false);
	tvt_put_used(&d, id0, room);
	tvt_put_used(&d, id1, room);
	tvt_publish(&d);
	/* Two of three buffers used: wait for the third. */
	CHECK(rx_burst_fn(rxq, pkts, 4) == 0);
	CHECK(!rxq->broken);
	tvt_put_used(&d, id2, 5000 - (2 * room - hdr));
	tvt_publish(&d);
	if (scatter) {
		CHECK(rx_burst_fn(rxq, pkts, 4) == 1);
		CHECK(pkts[0]->nb_segs == 3);
		CHECK(tvt_mbuf_matches(pkts[0], 9, 5000));
		rte_pktmbuf_free(pkts[0]);
	} else {
		CHECK(rx_burst_fn(rxq, pkts, 4) == 0);
		CHECK(rxq->stats.drop_scatter == 1);
	}
	CHECK(!rxq->broken);
	tv_rxq_free(rxq);
	CHECK(rte_mempool_avail_count(pool) == pool_full);
}

/* Used entries a broken back-end might write; each must stop the queue,
 * count in the right class, return nothing and leak nothing. */
enum rx_fault {
	BAD_ID,
	BAD_LEN_LONG,
	BAD_LEN_SHORT,
	BAD_ORDER,
	BAD_NUMBUF0,
	BAD_NUMBUF_BIG,
	BAD_USED_IDX
};

static void
test_rx_fault(enum rx_fault fault)
{
	struct tv_rxq *rxq;
	struct rte_mbuf *pkts[4];
	struct tvt_dev d;
	const uint32_t hdr = sizeof(struct tv_net_hdr_mrg);
	uint16_t id;

	CHECK(tv_rxq_create(&rxq, 0, 0, 16, SOCKET_ID_ANY, pool) == 0);
	CHECK(tv_rxq_reset(rxq, &f_inorder, true) == 0);
	d = (struct tvt_dev){.ring = &rxq->ring};
	id = tvt_next_avail(&d);
	fd_rx_write(&d, id,
		    fault == BAD_NUMBUF0      ? 0
		    : fault == BAD_NUMBUF_BIG ? 17
					      : 1,
		    0, 0, 64, true);
	switch (fault) {
	case BAD_ID:
		tvt_put_used(&d, 16, hdr + 64);
		break;
	case BAD_LEN_LONG:
		tvt_put_used(&d, id, rxq->buf_len + 1);
		break;
	case BAD_LEN_SHORT:
		tvt_put_used(&d, id, hdr - 1);
		break;
	case BAD_ORDER:
		tvt_put_used(&d, id + 1, hdr + 64);
		break;
	default:
		tvt_put_used(&d, id, hdr + 64);
		break;
	}
	if (fault == BAD_USED_IDX)
		d.used_idx = 17; /* more used than the 16 posted */
	tvt_publish(&d);
	CHECK(rx_burst_fn(rxq, pkts, 4) == 0);
	CHECK(rxq->broken);
	CHECK(rxq->stats.err_used_id ==
	      (fault == BAD_ID || fault == BAD_ORDER));
	CHECK(rxq->stats.err_used_len ==
	      (fault == BAD_LEN_LONG || fault == BAD_LEN_SHORT));
	CHECK(rxq->stats.err_num_buffers ==
	      (fault == BAD_NUMBUF0 || fault == BAD_NUMBUF_BIG));
	CHECK(rxq->stats.err_used_idx == (fault == BAD_USED_IDX));
	/* Broken stays broken, quietly. */
	CHECK(rx_burst_fn(rxq, pkts, 4) == 0);
	/* Until a new back-end takes over: it resumes at the buffers the
	 * queue still has posted (used->idx rewound). */
	CHECK(tv_rxq_handoff(rxq) == 0);
	d = (struct tvt_dev){.ring = &rxq->ring};
	d.used_idx = rxq->ring.used->idx;
	d.last_avail = d.used_idx;
	CHECK(d.used_idx == rxq->used_idx);
	id = tvt_next_avail(&d);
	fd_rx_write(&d, id, 1, 5, 0, 80, true);
	tvt_put_used(&d, id, hdr + 80);
	tvt_publish(&d);
	CHECK(rx_burst_fn(rxq, pkts, 4) == 1);
	CHECK(!rxq->broken && rxq->stats.recoveries == 1);
	CHECK(tvt_mbuf_matches(pkts[0], 5, 80));
	rte_pktmbuf_free(pkts[0]);
	tv_rxq_free(rxq);
	CHECK(rte_mempool_avail_count(pool) == pool_full);
}

/* Without IN_ORDER the back-end may return buffers in any order; a buffer
 * it still holds blocks refill of its own descriptor only. */
static void
test_rx_out_of_order(void)
{
	struct tv_rxq *rxq;
	struct rte_mbuf *pkts[40];
	struct tvt_dev d;
	const uint32_t hdr = sizeof(struct tv_net_hdr_mrg);
	uint16_t i, n;

	CHECK(tv_rxq_create(&rxq, 0, 0, 32, SOCKET_ID_ANY, pool) == 0);
	CHECK(tv_rxq_reset(rxq, &f_plain, false) == 0);
	d = (struct tvt_dev){.ring = &rxq->ring};
	for (i = 0; i < 32; i++)
		tvt_next_avail(&d);
	/* Return every buffer except descriptor 0, backwards. */
	for (i = 31; i >= 1; i--) {
		fd_rx_write(&d, i, 1, i, 0, 100, true);
		tvt_put_used(&d, i, hdr + 100);
	}
	tvt_publish(&d);
	n = rx_burst_fn(rxq, pkts, 40);
	CHECK(n == 31);
	for (i = 0; i < n; i++)
		CHECK(tvt_mbuf_matches(pkts[i], 31 - i, 100));
	rte_pktmbuf_free_bulk(pkts, n);
	/* Descriptor 0 is still out: refill must not reuse it. */
	CHECK(rxq->sw[0] != NULL);
	CHECK(rxq->n_posted == 1);
	CHECK(tv_rxq_refill(rxq) == 0);
	fd_rx_write(&d, 0, 1, 0, 0, 70, true);
	tvt_put_used(&d, 0, hdr + 70);
	tvt_publish(&d);
	n = rx_burst_fn(rxq, pkts, 40);
	CHECK(n == 1);
	CHECK(tvt_mbuf_matches(pkts[0], 0, 70));
	rte_pktmbuf_free(pkts[0]);
	CHECK(rxq->n_posted == 32); /* refilled after the burst */
	CHECK(tvt_avail_idx(&d) == 64);
	CHECK(!rxq->broken);
	tv_rxq_free(rxq);
	CHECK(rte_mempool_avail_count(pool) == pool_full);
}

/* RX refills once refill_at buffers are free: the default (a quarter of
 * the ring, at most TV_RX_FREE_THRESH) or an application's rx_free_thresh
 * (tv_ethdev.c sets rxq->free_thresh from it), lowered at start when
 * mergeable buffers need it (test_rx_refill_no_stall). */
static void
test_rx_free_thresh(uint16_t num, uint16_t thresh, uint16_t want)
{
	struct tv_rxq *rxq;
	struct rte_mbuf *pkts[64];
	struct tvt_dev d;
	const uint32_t hdr = sizeof(struct tv_net_hdr_mrg);
	uint16_t i, n, pkt = 0;

	CHECK(tv_rxq_create(&rxq, 0, 0, num, SOCKET_ID_ANY, pool) == 0);
	CHECK(rxq->free_thresh == tv_rx_free_thresh_default(num));
	if (thresh != 0)
		rxq->free_thresh = thresh;
	CHECK(tv_rxq_reset(rxq, &f_inorder, false) == 0);
	CHECK(rxq->refill_at == want);
	d = (struct tvt_dev){.ring = &rxq->ring};
	CHECK(tvt_avail_idx(&d) == num);
	/* Two rounds: want - 1 buffers come back (below the threshold: no
	 * refill), then one more (all want are refilled). */
	for (int round = 0; round < 2; round++) {
		uint16_t base = tvt_avail_idx(&d), id;

		if (want > 1) {
			for (i = 0; i < want - 1; i++) {
				id = tvt_next_avail(&d);
				fd_rx_write(&d, id, 1, pkt + i, 0, 64, true);
				tvt_put_used(&d, id, hdr + 64);
			}
			tvt_publish(&d);
			n = rx_burst_fn(rxq, pkts, RTE_DIM(pkts));
			CHECK(n == want - 1);
			for (i = 0; i < n; i++)
				CHECK(tvt_mbuf_matches(pkts[i], pkt + i, 64));
			rte_pktmbuf_free_bulk(pkts, n);
			CHECK(rxq->n_posted == num - (want - 1));
			CHECK(tvt_avail_idx(&d) == base);
		}
		id = tvt_next_avail(&d);
		fd_rx_write(&d, id, 1, pkt + want - 1, 0, 64, true);
		tvt_put_used(&d, id, hdr + 64);
		tvt_publish(&d);
		n = rx_burst_fn(rxq, pkts, RTE_DIM(pkts));
		CHECK(n == 1 && tvt_mbuf_matches(pkts[0], pkt + want - 1, 64));
		rte_pktmbuf_free_bulk(pkts, n);
		CHECK(rxq->n_posted == num);
		CHECK(tvt_avail_idx(&d) == (uint16_t)(base + want));
		pkt += want;
	}
	CHECK(!rxq->broken);
	tv_rxq_free(rxq);
	CHECK(rte_mempool_avail_count(pool) == pool_full);
}

/* With mergeable buffers a back-end places a packet only when all the
 * buffers it takes are posted. A threshold of the whole ring (16) would
 * stop RX for good on 5-buffer packets: 16 -> 11 -> 6 -> 1 posted, 15
 * free, no refill, nothing placed. tv_rxq_reset lowers it to 16 - 5 + 1;
 * the fake back-end then always finds 5 buffers over 20 packets. */
static void
test_rx_refill_no_stall(void)
{
	struct tv_rxq *rxq;
	struct rte_mbuf *pkts[4];
	struct tvt_dev d;
	const uint32_t hdr = sizeof(struct tv_net_hdr_mrg);
	const unsigned int nbuf = 5;
	uint32_t room, len;
	unsigned int p, b, got = 0;

	CHECK(tv_rxq_create(&rxq, 0, 0, 16, SOCKET_ID_ANY, pool) == 0);
	rxq->free_thresh = 16;
	CHECK(tv_rxq_reset(rxq, &f_inorder, true) == 0);
	room = rxq->buf_len;
	/* The most buffers a TV_MAX_RX_PKTLEN packet takes here. */
	CHECK((TV_MAX_RX_PKTLEN + hdr + room - 1) / room == nbuf);
	CHECK(rxq->refill_at == 16 - nbuf + 1);
	d = (struct tvt_dev){.ring = &rxq->ring};
	len = nbuf * room - hdr;
	for (p = 0; p < 20; p++) {
		uint16_t posted = (uint16_t)(tvt_avail_idx(&d) - d.last_avail);

		CHECK(posted >= nbuf);
		if (posted < nbuf)
			break; /* stalled: a back-end would wait forever */
		for (b = 0; b < nbuf; b++) {
			uint16_t id = tvt_next_avail(&d);
			uint32_t off = b == 0 ? 0 : b * room - hdr;
			uint32_t blen = b == 0 ? room - hdr : room;

			fd_rx_write(&d, id, b == 0 ? nbuf : 0, p, off, blen,
				    b == 0);
			tvt_put_used(&d, id, b == 0 ? room : blen);
		}
		tvt_publish(&d);
		if (rx_burst_fn(rxq, pkts, RTE_DIM(pkts)) == 1) {
			CHECK(pkts[0]->nb_segs == nbuf);
			CHECK(tvt_mbuf_matches(pkts[0], p, len));
			rte_pktmbuf_free(pkts[0]);
			got++;
		}
	}
	CHECK(got == 20);
	CHECK(!rxq->broken);
	tv_rxq_free(rxq);
	CHECK(rte_mempool_avail_count(pool) == pool_full);
}

/* ---- TX ---- */

static struct rte_mbuf *
make_pkt(unsigned int pkt, unsigned int len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	uint8_t *p;
	unsigned int i;

	if (m == NULL)
		return NULL;
	p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)len);
	for (i = 0; i < len; i++)
		p[i] = tvt_pattern(pkt, i);
	return m;
}

/* Gather the chain at avail entry `a` as the back-end would; check the
 * zero header and the payload. Returns the head id. */
static uint16_t
fd_tx_take(struct tvt_dev *d, unsigned int pkt, unsigned int len,
	   unsigned int *ndesc)
{
	uint8_t buf[4096];
	unsigned int got = 0, n = 0, i;
	uint16_t head = tvt_next_avail(d), id = head;
	const struct tv_desc *desc;
	static const uint8_t zero[sizeof(struct tv_net_hdr_mrg)];

	for (;;) {
		desc = &d->ring->desc[id];
		CHECK(!(desc->flags & TV_DESC_F_WRITE));
		CHECK(got + desc->len <= sizeof(buf));
		if (got + desc->len > sizeof(buf))
			break;
		memcpy(buf + got, (void *)(uintptr_t)desc->addr, desc->len);
		got += desc->len;
		n++;
		if (!(desc->flags & TV_DESC_F_NEXT) || n > d->ring->num)
			break;
		/* IN_ORDER chain rule: next is the following position. */
		CHECK(desc->next == ((id + 1) & (d->ring->num - 1)));
		id = desc->next;
	}
	CHECK(got == sizeof(zero) + len);
	CHECK(memcmp(buf, zero, sizeof(zero)) == 0);
	for (i = 0; i < len && i + sizeof(zero) < got; i++)
		if (buf[sizeof(zero) + i] != tvt_pattern(pkt, i)) {
			CHECK(!"tx payload mismatch");
			break;
		}
	*ndesc = n;
	return head;
}

static void
test_tx(bool in_order)
{
	const struct tv_dp_features *f = in_order ? &f_inorder : &f_plain;
	struct rte_mbuf *pkts[8];
	struct tv_txq *txq;
	struct tvt_dev d;
	uint16_t heads[8], n;
	unsigned int ndesc;

	CHECK(tv_txq_create(&txq, 0, 8, SOCKET_ID_ANY) == 0);
	tv_txq_reset(txq, f);
	d = (struct tvt_dev){.ring = &txq->ring};
	/* 0: headroom push; 1: two segments; 2: shared (refcnt 2). */
	pkts[0] = make_pkt(0, 100);
	pkts[1] = make_pkt(1, 50);
	pkts[2] = make_pkt(2, 70);
	CHECK(pkts[0] && pkts[1] && pkts[2]);
	{
		struct rte_mbuf *seg = make_pkt(0, 30);
		uint8_t *p = rte_pktmbuf_mtod(seg, uint8_t *);
		unsigned int i;

		for (i = 0; i < 30; i++)
			p[i] = tvt_pattern(1, 50 + i);
		CHECK(rte_pktmbuf_chain(pkts[1], seg) == 0);
	}
	rte_mbuf_refcnt_update(pkts[2], 1);
	n = tv_tx_burst_split(txq, pkts, 3);
	CHECK(n == 3);
	CHECK(tvt_avail_idx(&d) == 3);
	heads[0] = fd_tx_take(&d, 0, 100, &ndesc);
	CHECK(ndesc == 1 && heads[0] == 0);
	heads[1] = fd_tx_take(&d, 1, 80, &ndesc);
	CHECK(ndesc == 3 && heads[1] == 1);
	heads[2] = fd_tx_take(&d, 2, 70, &ndesc);
	CHECK(ndesc == 2 && heads[2] == 4);
	CHECK(txq->nb_free == 2);
	/* A 3-descriptor chain does not fit in the 2 left. */
	pkts[3] = make_pkt(3, 40);
	pkts[4] = make_pkt(4, 40);
	for (unsigned int i = 0; i < 40; i++)
		rte_pktmbuf_mtod(pkts[4], uint8_t *)[i] =
			tvt_pattern(3, 40 + i);
	CHECK(rte_pktmbuf_chain(pkts[3], pkts[4]) == 0);
	CHECK(tv_tx_burst_split(txq, &pkts[3], 1) == 0);

	if (in_order) {
		/* One used entry for the last chain completes all three. */
		tvt_put_used(&d, heads[2], 0);
	} else {
		/* Out of order: the middle chain first. Descriptors come back
		 * only once the oldest chain is done. */
		tvt_put_used(&d, heads[1], 0);
		tvt_publish(&d);
		CHECK(tv_tx_burst_split(txq, NULL, 0) == 0);
		CHECK(txq->nb_free == 2);
		CHECK(txq->n_inflight == 2);
		tvt_put_used(&d, heads[0], 0);
		tvt_put_used(&d, heads[2], 0);
	}
	tvt_publish(&d);
	/* The shared mbuf keeps one reference: ours. */
	CHECK(tv_tx_burst_split(txq, &pkts[3], 1) == 1);
	CHECK(txq->n_inflight == 1);
	CHECK(txq->nb_free == 8 - 3);
	CHECK(rte_mbuf_refcnt_read(pkts[2]) == 1);
	rte_pktmbuf_free(pkts[2]);
	/* The chain wrapped around the ring end: positions 6, 7, 0. */
	heads[3] = fd_tx_take(&d, 3, 80, &ndesc);
	CHECK(ndesc == 3 && heads[3] == 6);
	CHECK(txq->stats.packets == 4);
	CHECK(!txq->broken);
	tv_txq_free(txq); /* frees the one still in flight */
	CHECK(rte_mempool_avail_count(pool) == pool_full);
}

static void
test_tx_fault(bool in_order)
{
	const struct tv_dp_features *f = in_order ? &f_inorder : &f_plain;
	struct rte_mbuf *pkts[2];
	struct tv_txq *txq;
	struct tvt_dev d;
	unsigned int ndesc;

	CHECK(tv_txq_create(&txq, 0, 8, SOCKET_ID_ANY) == 0);
	tv_txq_reset(txq, f);
	d = (struct tvt_dev){.ring = &txq->ring};
	pkts[0] = make_pkt(0, 64);
	pkts[1] = make_pkt(1, 64);
	CHECK(tv_tx_burst_split(txq, pkts, 1) == 1);
	fd_tx_take(&d, 0, 64, &ndesc);
	tvt_put_used(&d, 0, 0);
	tvt_put_used(&d, 0, 0); /* the same chain twice */
	tvt_publish(&d);
	CHECK(tv_tx_burst_split(txq, &pkts[1], 1) == 0);
	CHECK(txq->broken);
	CHECK(txq->stats.err_used_idx + txq->stats.err_used_id == 1);
	/* A new back-end resumes at the first chain still in flight: the
	 * bad entries completed nothing, so packet 0 goes out again. */
	CHECK(tv_txq_handoff(txq) == 0);
	d = (struct tvt_dev){.ring = &txq->ring};
	d.used_idx = txq->ring.used->idx;
	d.last_avail = d.used_idx;
	CHECK(d.used_idx == 0);
	CHECK(tv_tx_burst_split(txq, &pkts[1], 1) == 1);
	CHECK(!txq->broken && txq->stats.recoveries == 1);
	CHECK(tvt_avail_idx(&d) == 2);
	tvt_put_used(&d, fd_tx_take(&d, 0, 64, &ndesc), 0);
	tvt_put_used(&d, fd_tx_take(&d, 1, 64, &ndesc), 0);
	tvt_publish(&d);
	CHECK(tv_tx_burst_split(txq, NULL, 0) == 0);
	CHECK(txq->n_inflight == 0 && !txq->broken);
	tv_txq_free(txq);
	CHECK(rte_mempool_avail_count(pool) == pool_full);
}

/* Kick only when the back-end asks for it. */
static void
test_kicks(void)
{
	struct tv_dp_features f = f_plain;
	struct rte_mbuf *m;
	struct tv_txq *txq;
	uint64_t v;

	CHECK(tv_txq_create(&txq, 0, 64, SOCKET_ID_ANY) == 0);
	tv_txq_reset(txq, &f);
	txq->ring.used->flags = TV_USED_F_NO_NOTIFY;
	m = make_pkt(0, 60);
	CHECK(tv_tx_burst_split(txq, &m, 1) == 1);
	CHECK(txq->stats.kicks == 0);
	CHECK(read(txq->kick_fd, &v, sizeof(v)) < 0);
	txq->ring.used->flags = 0;
	m = make_pkt(0, 60);
	CHECK(tv_tx_burst_split(txq, &m, 1) == 1);
	CHECK(txq->stats.kicks == 1);
	CHECK(read(txq->kick_fd, &v, sizeof(v)) == sizeof(v) && v == 1);
	tv_txq_free(txq);

	/* EVENT_IDX: kick when avail->idx passes avail_event. */
	f.event_idx = true;
	CHECK(tv_txq_create(&txq, 0, 64, SOCKET_ID_ANY) == 0);
	tv_txq_reset(txq, &f);
	CHECK(txq->ring.avail->flags == 0);
	*tv_split_avail_event(&txq->ring) = 5;
	for (int i = 0; i < 10; i++) {
		m = make_pkt(0, 60);
		CHECK(tv_tx_burst_split(txq, &m, 1) == 1);
	}
	CHECK(txq->stats.kicks == 1); /* avail idx 5 -> 6 only */
	tv_txq_free(txq);
	CHECK(rte_mempool_avail_count(pool) == pool_full);
}

static void
test_mem_table(void)
{
	struct tvu_memory mem;
	int fds[TVU_MAX_MEM_REGIONS];
	char err[256];
	struct tv_rxq *rxq;
	uint64_t va;
	uint32_t i;
	bool found = false;

	CHECK(tv_rxq_create(&rxq, 0, 0, 16, SOCKET_ID_ANY, pool) == 0);
	rte_mcfg_mem_read_lock(); /* the caller's duty (tv_pmd.h) */
	CHECK(tv_mem_table_build(&mem, fds, err, sizeof(err)) == 0);
	rte_mcfg_mem_read_unlock();
	CHECK(mem.nregions >= 1 && mem.nregions <= TVU_MAX_MEM_REGIONS);
	va = (uint64_t)(uintptr_t)rxq->ring_mem;
	for (i = 0; i < mem.nregions; i++) {
		const struct tvu_mem_region *r = &mem.regions[i];

		CHECK(fds[i] >= 0);
		CHECK(r->guest_phys_addr == r->userspace_addr);
		if (va >= r->userspace_addr &&
		    va + rxq->ring_bytes <= r->userspace_addr + r->memory_size)
			found = true;
	}
	CHECK(found); /* the ring is shareable */
	tv_rxq_free(rxq);
}

static void
test_devargs(void)
{
	struct tv_config c;

	CHECK(tv_parse_devargs("path=/tmp/x.sock", &c) == 0);
	CHECK(strcmp(c.path, "/tmp/x.sock") == 0 && c.queues == 1 &&
	      c.queue_size == 256 && c.mrg_rxbuf && c.in_order && c.event_idx &&
	      !c.packed_vq && !c.server && c.speed == 10000 && c.mtu == 1500);
	CHECK(tv_parse_devargs("path=/a,queues=8,queue_size=1024,server=1,"
			       "mac=02:00:00:00:00:09,mrg_rxbuf=0,in_order=0,"
			       "packed_vq=0,vectorized=0,event_idx=0,"
			       "speed=25000,mtu=9000",
			       &c) == 0);
	CHECK(c.queues == 8 && c.queue_size == 1024 && c.server && c.mac_set &&
	      c.mac.addr_bytes[5] == 9 && !c.mrg_rxbuf && !c.in_order &&
	      !c.event_idx && c.speed == 25000 && c.mtu == 9000);
	CHECK(tv_parse_devargs("path=/a,bogus=1", &c) < 0);
	CHECK(tv_parse_devargs("queues=2", &c) < 0);
	CHECK(tv_parse_devargs("path=/a,queue_size=100", &c) < 0);
	CHECK(tv_parse_devargs("path=/a,queues=0", &c) < 0);
	CHECK(tv_parse_devargs("path=/a,queues=129", &c) < 0);
	CHECK(tv_parse_devargs("path=/a,packed_vq=1", &c) == 0);
	CHECK(c.packed_vq);
	CHECK(tv_parse_devargs("path=/a,packed_vq=0", &c) == 0);
	CHECK(!c.packed_vq);
	CHECK(tv_parse_devargs("path=/a,packed_vq=2", &c) == -EINVAL);
	CHECK(tv_parse_devargs("path=/a,queues=2,queues=2", &c) == -EINVAL);
	CHECK(tv_parse_devargs("path=/a,mrg_rxbuf", &c) == -EINVAL);
	CHECK(tv_parse_devargs("path=/a,vectorized=1", &c) == 0);
	CHECK(c.simd == TV_SIMD_AUTO && c.fixed_avail && c.tx_hdr_push &&
	      c.bulk);
	CHECK(tv_parse_devargs("path=/a,vectorized=0", &c) == 0);
	CHECK(c.simd == TV_SIMD_SCALAR);
	CHECK(tv_parse_devargs("path=/a,simd=scalar,fixed_avail=0,"
			       "tx_hdr_push=0,bulk=0",
			       &c) == 0);
	CHECK(c.simd == TV_SIMD_SCALAR && !c.fixed_avail && !c.tx_hdr_push &&
	      !c.bulk);
	CHECK(tv_parse_devargs("path=/a,simd=sse", &c) ==
	      (tv_simd_cpu_has(TV_SIMD_SSE) ? 0 : -ENOTSUP));
	CHECK(tv_parse_devargs("path=/a,simd=avx512", &c) ==
	      (tv_simd_cpu_has(TV_SIMD_AVX512) ? 0 : -ENOTSUP));
	CHECK(tv_parse_devargs("path=/a,simd=avx2,vectorized=0", &c) < 0);
	CHECK(tv_parse_devargs("path=/a,simd=neon", &c) < 0);
	CHECK(tv_parse_devargs("path=/a,bulk=2", &c) < 0);
	CHECK(tv_parse_devargs("path=/a,server=2", &c) < 0);
	CHECK(tv_parse_devargs("path=/a,mac=zz", &c) < 0);
	CHECK(tv_parse_devargs("path=/a,mac=01:00:00:00:00:01", &c) < 0);
	/* Stock net_virtio_user's keys: cq accepted (no effect), iface (a
	 * vhost-kernel tap device) refused. */
	CHECK(tv_parse_devargs("path=/a", &c) == 0 && !c.cq);
	CHECK(tv_parse_devargs("path=/a,queues=2,cq=1", &c) == 0 && c.cq &&
	      c.queues == 2);
	CHECK(tv_parse_devargs("path=/a,cq=0", &c) == 0 && !c.cq);
	CHECK(tv_parse_devargs("path=/a,cq=2", &c) == -EINVAL);
	CHECK(tv_parse_devargs("path=/a,iface=tap0", &c) == -ENOTSUP);
}

int
main(int argc, char **argv)
{
	int fds_before, rc;

	RTE_SET_USED(argc);
	rc = tvt_eal_init(argv[0], "tvtest");
	if (rc != 0)
		return rc;
	pool = rte_pktmbuf_pool_create(
		"tvtest", 1023, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (pool == NULL) {
		fprintf(stderr, "cannot create mbuf pool\n");
		return 1;
	}
	pool_full = rte_mempool_avail_count(pool);
	fds_before = tt_count_fds();

	test_devargs();
	for (int l = TV_SIMD_SCALAR; l <= TV_SIMD_AVX512; l++) {
		if (!tv_simd_cpu_has((enum tv_simd)l))
			continue;
		printf("rx tests with simd=%s\n", tv_simd_name(l));
		rx_burst_fn = tv_rx_burst_for((enum tv_simd)l);
		test_rx_basic();
		test_rx_mergeable(true);
		test_rx_mergeable(false);
		for (int f = BAD_ID; f <= BAD_USED_IDX; f++)
			test_rx_fault((enum rx_fault)f);
		test_rx_out_of_order();
		test_rx_free_thresh(256, 0, 32); /* default: 32 */
		test_rx_free_thresh(16, 0, 4);	 /* default, small ring */
		test_rx_free_thresh(64, 1, 1);	 /* every buffer */
		test_rx_free_thresh(64, 5, 5);	 /* an application's value */
		test_rx_free_thresh(64, 63, 60); /* lowered: 64 - 5 + 1 */
		test_rx_refill_no_stall();
		test_rx_monitor();
		test_rx_intr_arm(true);
		test_rx_intr_arm(false);
	}
	test_tx(true);
	test_tx(false);
	test_tx_fault(true);
	test_tx_fault(false);
	test_kicks();
	test_mem_table();

	return tvt_finish("test_tv_rings", fds_before, pool, pool_full);
}
