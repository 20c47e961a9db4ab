/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * Cycles per packet of lib/vhost's datapath alone, on one thread: the mock
 * front-end keeps its rings the way DPDK's virtio-user does in its default
 * mode (split, IN_ORDER, mergeable, header pushed in front of the packet:
 * one descriptor per packet on both rings, fixed avail ring), and the
 * loop is dequeue 32 -> enqueue the same 32 -> free, then the front-end
 * takes the used entries back and makes the buffers available again.
 *
 * The machine is shared, so each figure is the minimum over many short
 * samples (a sample hit by preemption is slower, never faster).
 *
 *   bench_vhost_dp [size ...]      (default: 64 1518)
 *
 * TVH_BENCH_SAMPLES=<n> takes n samples instead of 400: under
 * `valgrind --tool=callgrind` (instructions per packet, deterministic even
 * on a shared machine) a few samples are enough.
 *
 * A benchmark, not a test: it reports numbers and checks only that
 * packets flow and arrive intact (exit 1 otherwise).
 */
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_mbuf.h>

#include "mock_guest.h"

#define RING	256
#define BURST	32
#define SAMPLES 400 /* at most; see TVH_BENCH_SAMPLES */
#define ITERS	200
#define HDR_LEN 12
#define RX_BUF	2048

struct fixed_ring {
	uint16_t avail; /* published avail idx */
	uint16_t used_seen;
};

/* Fixed layouts: desc i is slot i forever, avail[i] = i. */
static void
setup_rings(struct mg *g, uint32_t size, uint8_t *pkt)
{
	for (uint32_t i = 0; i < RING; i++) {
		uint8_t *tx = mg_alloc(g, HDR_LEN + size, 64);
		uint8_t *rx = mg_alloc(g, RX_BUF, 64);
		struct tv_desc *d;

		memset(tx, 0, HDR_LEN);
		memcpy(tx + HDR_LEN, pkt, size);
		d = &g->vq[1].ring.desc[i];
		d->addr = mg_gpa(g, tx);
		d->len = HDR_LEN + size;
		d->flags = 0;
		d->next = 0;
		g->vq[1].ring.avail->ring[i] = (uint16_t)i;
		d = &g->vq[0].ring.desc[i];
		d->addr = mg_gpa(g, rx);
		d->len = RX_BUF;
		d->flags = TV_DESC_F_WRITE;
		d->next = 0;
		g->vq[0].ring.avail->ring[i] = (uint16_t)i;
	}
	/* A polling front-end, as virtio-user in poll mode: no calls. */
	g->vq[0].ring.avail->flags = TV_AVAIL_F_NO_INTERRUPT;
	g->vq[1].ring.avail->flags = TV_AVAIL_F_NO_INTERRUPT;
}

/* The front-end's side of one round: take used entries back (in order,
 * so only the index matters) and make the buffers available again. */
static void
guest_round(struct mg *g, uint32_t vq, struct fixed_ring *r)
{
	struct tv_split *ring = &g->vq[vq].ring;
	uint16_t used = __atomic_load_n(&ring->used->idx, __ATOMIC_ACQUIRE);

	r->used_seen = used;
	r->avail = (uint16_t)(used + RING);
	__atomic_store_n(&ring->avail->idx, r->avail, __ATOMIC_RELEASE);
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void
run(struct rte_mempool *mp, struct tvh_dev *dev, struct mg *g, uint32_t size)
{
	static uint64_t deq[SAMPLES], enq[SAMPLES], fre[SAMPLES];
	const char *env = getenv("TVH_BENCH_SAMPLES");
	int samples = env != NULL ? atoi(env) : SAMPLES;
	struct fixed_ring tx = {0}, rx = {0};
	struct rte_mbuf *pkts[BURST];
	uint8_t pkt[RX_BUF];
	uint64_t n_pkts = 0;

	mg_fill(pkt, size, size);
	setup_rings(g, size, pkt);
	guest_round(g, 1, &tx);
	guest_round(g, 0, &rx);
	if (samples < 1 || samples > SAMPLES)
		samples = SAMPLES;
	for (int s = 0; s < samples; s++) {
		uint64_t c_deq = 0, c_enq = 0, c_free = 0, pk = 0;

		for (int it = 0; it < ITERS; it++) {
			uint64_t t0, t1, t2, t3;
			uint16_t n, m;

			t0 = rte_rdtsc_precise();
			n = tvh_dequeue_burst(dev, 1, mp, pkts, BURST);
			t1 = rte_rdtsc_precise();
			m = tvh_enqueue_burst(dev, 0, pkts, n);
			t2 = rte_rdtsc_precise();
			rte_pktmbuf_free_bulk(pkts, n);
			t3 = rte_rdtsc_precise();
			CHECK(n == BURST && m == n, "size %u: %u/%u of %u",
			      size, n, m, BURST);
			if (s == 0 && it == 0) {
				uint8_t back[RX_BUF];
				uint32_t id = g->vq[0].ring.used->ring[0].id;

				mg_chain_read(g, 0, (uint16_t)id, back,
					      HDR_LEN + size);
				CHECK(memcmp(back + HDR_LEN, pkt, size) == 0 &&
					      back[10] == 1,
				      "payload");
			}
			c_deq += t1 - t0;
			c_enq += t2 - t1;
			c_free += t3 - t2;
			pk += n;
			guest_round(g, 1, &tx);
			guest_round(g, 0, &rx);
		}
		deq[s] = c_deq * 100 / pk;
		enq[s] = c_enq * 100 / pk;
		fre[s] = c_free * 100 / pk;
		n_pkts += pk;
	}
	qsort(deq, samples, sizeof(deq[0]), cmp_u64);
	qsort(enq, samples, sizeof(enq[0]), cmp_u64);
	qsort(fre, samples, sizeof(fre[0]), cmp_u64);
	printf("size %4u: cycles/packet (min, median): dequeue %.1f %.1f  "
	       "enqueue %.1f %.1f  free %.1f %.1f  (%" PRIu64 " packets)\n",
	       size, deq[0] / 100.0, deq[samples / 2] / 100.0, enq[0] / 100.0,
	       enq[samples / 2] / 100.0, fre[0] / 100.0,
	       fre[samples / 2] / 100.0, n_pkts);
}

int
main(int argc, char **argv)
{
	struct tvh_config cfg = {.n_queue_pairs = 1};
	struct rte_mempool *mp;
	struct tvh_dev *dev;
	struct tvh_vq_stats st;
	struct mg g;
	uint64_t feat = TV_BIT(TV_F_VERSION_1) | TV_BIT(TV_NET_F_MRG_RXBUF) |
			TV_BIT(TV_F_IN_ORDER) |
			TV_BIT(TV_F_VHOST_USER_PROTOCOL_FEATURES);

	mg_eal_init(argv[0], "bench");
	mp = rte_pktmbuf_pool_create("h2bench", 4095, 256, 0,
				     RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	CHECK(mp != NULL, "mempool");
	cfg.path = mg_sock_path("bench");
	CHECK(tvh_dev_create(&cfg, NULL, NULL, &dev) == 0, "create");
	mg_init(&g);
	mg_setup(&g, cfg.path, feat, 2, RING);
	if (argc > 1) {
		for (int i = 1; i < argc; i++)
			run(mp, dev, &g, (uint32_t)atoi(argv[i]));
	} else {
		run(mp, dev, &g, 64);
		run(mp, dev, &g, 1518);
	}
	tvh_vq_stats_get(dev, 1, &st);
	CHECK(st.err_desc_addr + st.err_desc_index + st.err_hdr == 0, "errors");
	mg_fini(&g);
	tvh_dev_destroy(dev);
	rte_mempool_free(mp);
	rte_eal_cleanup();
	return 0;
}
