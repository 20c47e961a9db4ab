/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * test_tv_rx_simd.c - every vector RX path of net_tandem_virtio this CPU
 * can run (SSE4.2, AVX2, AVX-512) against the scalar path, packet by
 * packet.
 *
 * Two RX queues, one per path, each with its own pool, are fed the same
 * random used-ring contents by a fake back-end (same random sequence for
 * both): single-buffer packets, mergeable chains (published in pieces, so
 * the driver sees incomplete chains), packets with and without room for
 * their header, out-of-order completions where IN_ORDER is off, and now
 * and then a bad entry (unknown id, repeated id, id out of order, length
 * out of bounds, num_buffers 0 or too large, used->idx too far). After
 * every burst the two paths must have returned the same number of mbufs,
 * identical mbufs (every field of the first cache line, the segment
 * chain, the payload bytes) and left their queues in the same state
 * (indices, broken flag, every counter). Fails if EAL does not start;
 * exits 77 (skip) if the CPU has no vector level.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_log.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "tv_pmd.h"
/* Its own CHECK, below: it names the case (tvt_backend.h). */
#define TVT_OWN_CHECK
#include "tvt_backend.h"

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond)) {                                                 \
			if (failures < 20)                                     \
				fprintf(stderr, "FAIL %s:%d: %s (%s)\n",       \
					__func__, __LINE__, #cond, ctx);       \
			failures++;                                            \
		}                                                              \
	} while (0)

static char ctx[160]; /* what is being compared, for failure messages */

/* xorshift64*: one generator state per scenario, copied for each path so
 * both see the same sequence. */
static uint32_t
rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return (uint32_t)((*s * 0x2545f4914f6cdd1dull) >> 32);
}

static bool
chance(uint64_t *s, uint32_t one_in)
{
	return rnd(s) % one_in == 0;
}

/* ---- The fake back-end: one per queue ---- */

struct backend {
	struct tv_rxq *q;
	uint16_t last_avail;
	uint16_t used_idx;
	uint16_t held[TV_QUEUE_SIZE_MAX]; /* taken, not yet used (any order) */
	uint16_t n_held;
	uint32_t pkt_no; /* payload pattern seed */
};

static uint8_t
pattern(uint32_t pkt, uint32_t off)
{
	return (uint8_t)(pkt * 131 + off * 7 + 3);
}

static void
be_put_used(struct backend *b, uint32_t id, uint32_t len)
{
	struct tv_used_elem *u =
		&b->q->ring.used->ring[b->used_idx & (b->q->ring.num - 1)];

	u->id = id;
	u->len = len;
	b->used_idx++;
}

static void
be_publish(struct backend *b)
{
	__atomic_store_n(&b->q->ring.used->idx, b->used_idx, __ATOMIC_RELEASE);
}

/* Take the next buffer: in order the oldest; otherwise any of those the
 * driver made available. Returns -1 if none is available. */
static int
be_take(struct backend *b, uint64_t *s, bool in_order)
{
	uint16_t avail =
		__atomic_load_n(&b->q->ring.avail->idx, __ATOMIC_ACQUIRE);
	uint16_t mask = b->q->ring.num - 1;
	uint16_t k, id;

	while (b->last_avail != avail && b->n_held < 64)
		b->held[b->n_held++] =
			b->q->ring.avail->ring[b->last_avail++ & mask];
	if (b->n_held == 0)
		return -1;
	k = in_order ? 0 : (uint16_t)(rnd(s) % b->n_held);
	id = b->held[k];
	memmove(&b->held[k], &b->held[k + 1],
		(b->n_held - k - 1) * sizeof(b->held[0]));
	b->n_held--;
	return id;
}

enum fault {
	F_NONE,
	F_ID_RANGE,
	F_ID_NOT_POSTED,
	F_LEN_BIG,
	F_LEN_SHORT,
	F_NUM_BUFFERS_0,
	F_NUM_BUFFERS_BIG,
	F_USED_IDX,
	F_MAX,
};

/* One round of the back-end: up to 12 packets, maybe one fault. */
static void
be_round(struct backend *b, uint64_t *s, bool in_order, bool fault_ok)
{
	struct tv_rxq *q = b->q;
	uint32_t hdr = q->hdr_len, room = q->buf_len;
	unsigned int n_pkts = rnd(s) % 13, p;
	enum fault f = F_NONE;

	if (fault_ok && chance(s, 40))
		f = (enum fault)(1 + rnd(s) % (F_MAX - 1));
	for (p = 0; p < n_pkts; p++) {
		uint16_t nbufs = 1, k;
		uint32_t pkt = b->pkt_no++, off = 0;

		if (q->mrg_rxbuf && chance(s, 5))
			nbufs = (uint16_t)(2 + rnd(s) % 3);
		for (k = 0; k < nbufs; k++) {
			int id = be_take(b, s, in_order);
			uint8_t *buf;
			uint32_t len, i, data_at;

			if (id < 0)
				goto out; /* stays incomplete: fine */
			buf = (uint8_t *)(uintptr_t)q->ring.desc[id].addr;
			if (k == 0) {
				struct tv_net_hdr_mrg h = {.num_buffers =
								   nbufs};

				len = hdr + rnd(s) % (room - hdr + 1);
				if (chance(s, 4))
					len = hdr + rnd(s) % 61;
				memcpy(buf, &h, sizeof(h));
				data_at = hdr;
			} else {
				len = 1 + rnd(s) % room;
				data_at = 0;
			}
			for (i = data_at; i < len; i++)
				buf[i] = pattern(pkt, off++);
			if (f != F_NONE && p == n_pkts - 1 && k == 0) {
				struct tv_net_hdr_mrg *h = (void *)buf;

				switch (f) {
				case F_ID_RANGE:
					id = q->ring.num + rnd(s) % 3;
					break;
				case F_ID_NOT_POSTED:
					/* a buffer already used: repeated */
					id = q->ring.used
						     ->ring[(b->used_idx - 1) &
							    (q->ring.num - 1)]
						     .id;
					break;
				case F_LEN_BIG:
					len = room + 1 + rnd(s) % 100;
					break;
				case F_LEN_SHORT:
					len = rnd(s) % hdr;
					break;
				case F_NUM_BUFFERS_0:
					h->num_buffers = 0;
					break;
				case F_NUM_BUFFERS_BIG:
					h->num_buffers =
						(uint16_t)(q->ring.num + 1);
					break;
				case F_USED_IDX:
					b->used_idx += q->ring.num;
					break;
				default:
					break;
				}
			}
			be_put_used(b, (uint32_t)id, len);
			if (chance(s, 16))
				be_publish(b); /* maybe mid-chain */
		}
	}
out:
	be_publish(b);
}

/* ---- Comparison ---- */

static void
compare_mbuf(const struct rte_mbuf *a, const struct rte_mbuf *b)
{
	unsigned int seg = 0;

	for (; a != NULL && b != NULL; a = a->next, b = b->next, seg++) {
		/* Everything RX sets in the first cache line. */
		CHECK(a->data_off == b->data_off);
		CHECK(rte_mbuf_refcnt_read(a) == rte_mbuf_refcnt_read(b));
		CHECK(a->nb_segs == b->nb_segs);
		CHECK(a->port == b->port);
		CHECK(a->ol_flags == b->ol_flags);
		CHECK(a->packet_type == b->packet_type);
		CHECK(a->pkt_len == b->pkt_len);
		CHECK(a->data_len == b->data_len);
		CHECK(a->vlan_tci == b->vlan_tci);
		CHECK(a->hash.rss == b->hash.rss);
		CHECK(a->data_len == 0 ||
		      memcmp(rte_pktmbuf_mtod(a, const void *),
			     rte_pktmbuf_mtod(b, const void *),
			     a->data_len) == 0);
	}
	CHECK(a == NULL && b == NULL);
}

static void
check_pkt(const struct rte_mbuf *m, uint16_t port)
{
	uint32_t total = 0;
	const struct rte_mbuf *s;

	CHECK(m->port == port && m->ol_flags == 0 && m->packet_type == 0);
	for (s = m; s != NULL; s = s->next)
		total += s->data_len;
	CHECK(total == m->pkt_len);
	CHECK(rte_mbuf_check(m, 1, NULL) == 0);
}

static void
compare_queues(const struct tv_rxq *a, const struct tv_rxq *b)
{
	CHECK(a->used_idx == b->used_idx);
	CHECK(a->avail_idx == b->avail_idx);
	CHECK(a->n_posted == b->n_posted);
	CHECK(a->broken == b->broken);
	CHECK(memcmp(&a->stats, &b->stats, sizeof(a->stats)) == 0);
}

struct scenario {
	uint16_t num;
	bool mrg, in_order, scatter;
};

static void
run_scenario(const struct scenario *sc, tv_rx_burst_fn vec, const char *name,
	     struct rte_mempool *pa, struct rte_mempool *pb, uint64_t seed,
	     unsigned int rounds)
{
	const struct tv_dp_features f = {
		.mrg_rxbuf = sc->mrg,
		.in_order = sc->in_order,
		.event_idx = true,
		.fixed_avail = true,
		.tx_hdr_push = true,
		.bulk = true,
	};
	struct tv_rxq *qa, *qb;
	struct backend *ba, *bb;
	uint64_t s = seed;
	unsigned int r, vec_pkts = 0;

	if (tv_rxq_create(&qa, 3, 0, sc->num, SOCKET_ID_ANY, pa) != 0 ||
	    tv_rxq_create(&qb, 3, 0, sc->num, SOCKET_ID_ANY, pb) != 0) {
		snprintf(ctx, sizeof(ctx), "create");
		CHECK(!"queue create");
		return;
	}
	ba = calloc(1, sizeof(*ba));
	bb = calloc(1, sizeof(*bb));
	for (r = 0; r < rounds; r++) {
		struct rte_mbuf *ma[64], *mb[64];
		uint16_t na, nb, want = (uint16_t)(1 + rnd(&s) % 64), i;
		uint64_t sa, sb;

		snprintf(ctx, sizeof(ctx),
			 "%s num=%u mrg=%d in_order=%d scatter=%d seed=%llu "
			 "round %u",
			 name, sc->num, sc->mrg, sc->in_order, sc->scatter,
			 (unsigned long long)seed, r);
		if (r == 0 || qa->broken || qb->broken || chance(&s, 500)) {
			/* (Re)start both queues: a port restart. */
			CHECK(tv_rxq_reset(qa, &f, sc->scatter) == 0);
			CHECK(tv_rxq_reset(qb, &f, sc->scatter) == 0);
			*ba = (struct backend){.q = qa};
			*bb = (struct backend){.q = qb};
		}
		sa = rnd(&s) | 1;
		sb = sa;
		be_round(ba, &sa, sc->in_order, true);
		be_round(bb, &sb, sc->in_order, true);
		na = tv_rx_burst_split(qa, ma, want);
		nb = vec(qb, mb, want);
		CHECK(na == nb);
		for (i = 0; i < RTE_MIN(na, nb); i++) {
			compare_mbuf(ma[i], mb[i]);
			check_pkt(mb[i], 3);
		}
		compare_queues(qa, qb);
		vec_pkts += nb;
		rte_pktmbuf_free_bulk(ma, na);
		rte_pktmbuf_free_bulk(mb, nb);
	}
	tv_rxq_free(qa);
	tv_rxq_free(qb);
	free(ba);
	free(bb);
	snprintf(ctx, sizeof(ctx), "%s num=%u: pools after free", name,
		 sc->num);
	CHECK(rte_mempool_full(pa) && rte_mempool_full(pb));
	CHECK(vec_pkts > 0);
}

int
main(int argc, char **argv)
{
	static const struct scenario scs[] = {
		{256, true, true, true},     {256, true, false, true},
		{256, false, true, false},   {256, false, false, false},
		{64, true, true, false},     {32, true, false, true},
		{16, true, true, true},	     {1024, true, true, true},
		{1024, false, false, false},
	};
	static const enum tv_simd levels[] = {TV_SIMD_SSE, TV_SIMD_AVX2,
					      TV_SIMD_AVX512};
	int fds_before, tested = 0, rc;
	unsigned int rounds = argc > 1 ? (unsigned int)atoi(argv[1]) : 3000;
	struct rte_mempool *pa, *pb;

	rc = tvt_eal_init(argv[0], "tvsimd");
	if (rc != 0)
		return rc;
	pa = rte_pktmbuf_pool_create("simd_a", 4095, 0, 0,
				     RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	pb = rte_pktmbuf_pool_create("simd_b", 4095, 0, 0,
				     RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (pa == NULL || pb == NULL) {
		fprintf(stderr, "cannot create mbuf pools\n");
		return 1;
	}
	fds_before = tt_count_fds();
	for (unsigned int l = 0; l < RTE_DIM(levels); l++) {
		const char *name = tv_simd_name(levels[l]);

		if (!tv_simd_cpu_has(levels[l])) {
			printf("%s: not on this CPU, skipped\n", name);
			continue;
		}
		for (unsigned int i = 0; i < RTE_DIM(scs); i++)
			run_scenario(&scs[i], tv_rx_burst_for(levels[l]), name,
				     pa, pb,
				     0x9e3779b97f4a7c15ull * (i + 1) + l,
				     rounds);
		printf("%s: %zu scenarios x %u rounds compared with scalar\n",
		       name, RTE_DIM(scs), rounds);
		tested++;
	}
	snprintf(ctx, sizeof(ctx), "end");
	CHECK(tt_count_fds() == fds_before);
	rte_mempool_free(pa);
	rte_mempool_free(pb);
	rte_eal_cleanup();
	if (failures) {
		fprintf(stderr, "%d check(s) failed\n", failures);
		return 1;
	}
	if (tested == 0) {
		fprintf(stderr, "SKIP: no vector level on this CPU\n");
		return 77;
	}
	printf("test_tv_rx_simd: all checks passed\n");
	return 0;
}
