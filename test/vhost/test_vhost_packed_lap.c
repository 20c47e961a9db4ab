/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * test_vhost_packed_lap.c - a burst takes at most one lap of a packed ring
 * from the first descriptor it has not returned yet.
 *
 * lib/vhost writes used descriptors back in batches (up to 64), so on a
 * ring smaller than that one burst comes round to positions it took and
 * has not returned. A front-end (on another CPU, in a real VM) may mark
 * them available for the next lap meanwhile: they must not be taken
 * again, and no list may be walked over them (virtio 1.2, 2.8: the device
 * owns at most the ring's size past its used position). Here the pool's
 * dequeue op plays that front-end: lib/vhost's transmit burst calls it for
 * its mbufs after judging a batch's flags, at the moment a racing vCPU
 * could rewrite them. Found by review (session 14): the burst returned 48
 * packets from 32 buffers, then walked one list over 65520 descriptors.
 */
#include <stdio.h>
#include <string.h>

#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "test_vhost_packed.h"

#define LAP_NUM 32 /* smaller than lib/vhost's shadow (64) */

static struct mg *lap_g;
static unsigned int lap_gets;
static rte_mempool_dequeue_t ring_dequeue;
static struct rte_mempool_ops lap_ops;

/* Every descriptor of TX ring 1 made available for the next lap (wrap
 * counter 0: AVAIL clear, USED set), the second half linked by NEXT into
 * one list; addresses and lengths stay (the buffers already judged are
 * read as they were offered). */
static void
offer_next_lap(void)
{
	for (uint16_t p = 0; p < LAP_NUM; p++) {
		struct tv_packed_desc *d = mg_pk_desc(lap_g, 1, p);
		uint16_t f = TV_PACKED_F_USED;

		if (p >= LAP_NUM / 2)
			f |= TV_DESC_F_NEXT;
		__atomic_store_n(&d->flags, f, __ATOMIC_RELEASE);
	}
}

static int
lap_dequeue(struct rte_mempool *m, void **obj, unsigned int n)
{
	/* The first get is the fast path's, for the buffers it judged. */
	if (lap_g != NULL && ++lap_gets == 1)
		offer_next_lap();
	return ring_dequeue(m, obj, n);
}

/* A pool without a cache (every get reaches the op) on ring_mp_mc's ops
 * with lap_dequeue in front. */
static struct rte_mempool *
lap_pool(void)
{
	const struct rte_mempool_ops *ring = NULL;

	for (unsigned int i = 0; i < rte_mempool_ops_table.num_ops; i++)
		if (strcmp(rte_mempool_ops_table.ops[i].name, "ring_mp_mc") ==
		    0)
			ring = &rte_mempool_ops_table.ops[i];
	CHECK(ring != NULL, "no ring_mp_mc mempool ops");
	lap_ops = *ring;
	snprintf(lap_ops.name, sizeof(lap_ops.name), "tandem_lap");
	ring_dequeue = ring->dequeue;
	lap_ops.dequeue = lap_dequeue;
	CHECK(rte_mempool_register_ops(&lap_ops) >= 0, "register ops");
	return rte_pktmbuf_pool_create_by_ops("h2lap", 511, 0, 0,
					      RTE_MBUF_DEFAULT_BUF_SIZE,
					      SOCKET_ID_ANY, "tandem_lap");
}

void
lap_session(struct mg *g)
{
	const char *what = "one lap per burst";
	static uint8_t pkt[LAP_NUM][1024];
	struct rte_mbuf *out[64];
	struct rte_mempool *pool = lap_pool();
	uint64_t errs = all_errors(1);
	uint16_t got;

	CHECK(pool != NULL, "pool");
	CHECK(g->vq[1].num == LAP_NUM, "ring of %u", g->vq[1].num);
	for (uint32_t i = 0; i < LAP_NUM; i++) {
		mg_fill(pkt[i], 100, 77 + i);
		mg_pk_tx_post(g, 1, MG_TX_HDR_SAME, pkt[i], 100, HDR, 0);
	}
	lap_g = g;
	got = tvh_dequeue_burst(dev, 1, pool, out, RTE_DIM(out));
	lap_g = NULL;
	CHECK(lap_gets >= 1, "%s: the pool's op was not called", what);
	CHECK(got == LAP_NUM, "%s: %u packets from %u buffers", what, got,
	      LAP_NUM);
	for (uint16_t i = 0; i < got && i < LAP_NUM; i++)
		CHECK(mg_mbuf_cmp(out[i], pkt[i], 100) == 0,
		      "%s: packet %u's bytes", what, i);
	rte_pktmbuf_free_bulk(out, got);
	CHECK(all_errors(1) == errs, "%s: error counters moved", what);
	/* The device stands one lap on, where the driver posted up to. */
	stop_expect(g, 1, what);
	CHECK(rte_mempool_avail_count(pool) == 511, "%s: mbufs leaked", what);
	rte_mempool_free(pool);
	printf("ok %s: %u buffers on a %u-descriptor ring, marked available "
	       "again mid-burst, taken once\n",
	       what, LAP_NUM, LAP_NUM);
}
