/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * The batched fast paths of tvh_dequeue_burst / tvh_enqueue_burst:
 *  - bursts of 1..100 packets mixing the fast layouts (header + packet in
 *    one descriptor, header descriptor + packet descriptor, one writable
 *    buffer) with layouts only the general walker takes (split header,
 *    indirect, across regions, larger than an mbuf, chained RX buffers),
 *    across the end of the used ring: every payload, length, used id and
 *    their order checked;
 *  - hostile input inside a batch: the 5th chain of 8 is bad in one of
 *    many ways; the 4 before it are delivered intact, the bad one is
 *    counted in its counter (only), returned or not as the walker
 *    decides, nothing after it is touched, the queue stops; after a
 *    restart the ring works again;
 *  - a pool too small for a batch (bulk get fails): packets still flow
 *    one mbuf at a time, and the shortage is counted.
 * Every mbuf is back in its pool at the end, and no fd is left open.
 */
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_mbuf.h>

#include "mock_guest.h"

#define RING	128
#define HDR_LEN 12
#define POOL_N	2047

static struct rte_mempool *mp;
static struct tvh_dev *dev;

#define CNT(f) offsetof(struct tvh_vq_stats, f)

static uint64_t
counter(uint32_t vq, size_t off)
{
	struct tvh_vq_stats st;

	tvh_vq_stats_get(dev, vq, &st);
	return *(const uint64_t *)((const uint8_t *)&st + off);
}

static uint64_t
all_errors(uint32_t vq)
{
	struct tvh_vq_stats st;

	tvh_vq_stats_get(dev, vq, &st);
	return st.err_avail_idx + st.err_desc_index + st.err_desc_addr +
	       st.err_chain_loop + st.err_indirect + st.err_desc_flags +
	       st.err_hdr + st.err_pkt_len;
}

static void
restart(struct mg *g, uint32_t vq)
{
	uint32_t base = mg_vq_stop(g, vq);
	uint32_t id, len;

	while (mg_used_next(g, vq, &id, &len))
		;
	g->vq[vq].avail_idx = (uint16_t)base;
	CHECK(g->vq[vq].used_seen == (uint16_t)base, "used %u != base %u",
	      g->vq[vq].used_seen, base);
	mg_round_reset(g);
	CHECK(mg_vq_setup(g, vq, RING) == 0, "restart vring %u", vq);
}

/* Layout of packet i of a mixed burst (fast ones dominate). */
static enum mg_tx_layout
tx_layout(uint32_t i, uint32_t salt)
{
	static const enum mg_tx_layout pattern[] = {
		MG_TX_HDR_SAME, MG_TX_HDR_SAME, MG_TX_HDR_OWN,	MG_TX_HDR_SAME,
		MG_TX_CHAIN,	MG_TX_HDR_OWN,	MG_TX_HDR_SAME, MG_TX_INDIRECT,
		MG_TX_HDR_SAME, MG_TX_STRADDLE, MG_TX_HDR_OWN,	MG_TX_HDR_SAME,
	};

	enum mg_tx_layout l = pattern[(i + salt) % RTE_DIM(pattern)];

	/* The mock places every straddling buffer at the same spot: one
	 * per burst. */
	if (l == MG_TX_STRADDLE && i >= RTE_DIM(pattern))
		l = MG_TX_HDR_SAME;
	return l;
}

static uint32_t
pkt_len(uint32_t i, uint32_t salt)
{
	static const uint32_t lens[] = {60, 64, 1518, 128, 1, 2048, 3000, 511};

	return lens[(i * 3 + salt) % RTE_DIM(lens)];
}

/* A burst of n through both rings, byte-exact. The TX descriptors of a
 * burst of n use about 2n + 8 entries at most for these layouts, so n is
 * kept within the 64-entry ring by the caller. */
static void
mixed_burst(struct mg *g, uint32_t n, uint32_t salt)
{
	static uint8_t pkt[RING][3000];
	static uint8_t back[HDR_LEN + 3000];
	struct rte_mbuf *m[RING];
	uint16_t heads[RING], got, put;
	uint32_t i, id, len;

	mg_round_reset(g);
	for (i = 0; i < n; i++) {
		uint32_t l = pkt_len(i, salt);

		mg_fill(pkt[i], l, salt * 1000 + i);
		heads[i] = mg_tx_post(g, 1, tx_layout(i, salt), pkt[i], l,
				      HDR_LEN);
	}
	mg_avail_publish(g, 1);
	got = tvh_dequeue_burst(dev, 1, mp, m, (uint16_t)n);
	CHECK(got == n, "salt %u: dequeued %u of %u", salt, got, n);
	for (i = 0; i < n; i++) {
		CHECK(mg_mbuf_cmp(m[i], pkt[i], pkt_len(i, salt)) == 0,
		      "salt %u pkt %u (layout %d, %u B): payload", salt, i,
		      tx_layout(i, salt), pkt_len(i, salt));
		CHECK(mg_used_next(g, 1, &id, &len), "tx used %u", i);
		CHECK(id == heads[i] && len == 0, "tx used %u: %u/%u want %u/0",
		      i, id, len, heads[i]);
	}
	CHECK(!mg_used_next(g, 1, &id, &len), "extra tx used entry");

	/* Back through the receive ring, one 3100-byte buffer each: the
	 * fast path takes the one-segment mbufs, the walker the chained
	 * ones (packets larger than an mbuf). */
	mg_round_reset(g);
	for (i = 0; i < n; i++)
		heads[i] = mg_rx_post(g, 0, 1, 3100);
	mg_avail_publish(g, 0);
	put = tvh_enqueue_burst(dev, 0, m, got);
	CHECK(put == got, "salt %u: enqueued %u of %u", salt, put, got);
	rte_pktmbuf_free_bulk(m, got);
	for (i = 0; i < n; i++) {
		uint32_t l = pkt_len(i, salt);

		CHECK(mg_used_next(g, 0, &id, &len), "rx used %u", i);
		CHECK(id == heads[i] && len == HDR_LEN + l,
		      "salt %u rx used %u: %u/%u want %u/%u", salt, i, id, len,
		      heads[i], HDR_LEN + l);
		mg_chain_read(g, 0, (uint16_t)id, back, len);
		CHECK(back[10] == 1 && back[11] == 0, "num_buffers");
		CHECK(memcmp(back + HDR_LEN, pkt[i], l) == 0,
		      "salt %u pkt %u (%u B) received: payload", salt, i, l);
	}
	CHECK(!mg_used_next(g, 0, &id, &len), "extra rx used entry");
}

/* Packets into one big buffer each: byte-exact receive check. */
static void
rx_exact(struct mg *g, uint32_t n, uint32_t salt)
{
	static uint8_t pkt[RING][3000];
	static uint8_t back[HDR_LEN + 3000];
	struct rte_mbuf *m[RING];
	uint16_t heads[RING];
	uint32_t i, id, len;

	mg_round_reset(g);
	for (i = 0; i < n; i++) {
		uint32_t l = pkt_len(i, salt);

		mg_fill(pkt[i], l, salt * 7 + i);
		m[i] = mg_mbuf_from(mp, pkt[i], l);
		/* one writable buffer of 3100 (fast unless the packet is
		 * multi-segment), every 7th split 12 + rest (walker) */
		if ((i + salt) % 7 == 3) {
			uint16_t h = mg_rx_post(g, 0, 1, HDR_LEN);
			uint8_t *b = mg_alloc(g, 3100, 64);
			uint16_t d = mg_desc(g, 0, mg_gpa(g, b), 3100,
					     TV_DESC_F_WRITE);

			mg_desc_link(g, 0, h, d);
			heads[i] = h;
		} else {
			heads[i] = mg_rx_post(g, 0, 1, 3100);
		}
	}
	mg_avail_publish(g, 0);
	CHECK(tvh_enqueue_burst(dev, 0, m, (uint16_t)n) == n, "rx exact");
	for (i = 0; i < n; i++) {
		uint32_t l = pkt_len(i, salt);

		CHECK(mg_used_next(g, 0, &id, &len), "rx used %u", i);
		CHECK(id == heads[i] && len == HDR_LEN + l,
		      "rx used %u: %u/%u want %u/%u", i, id, len, heads[i],
		      HDR_LEN + l);
		mg_chain_read(g, 0, (uint16_t)id, back, len);
		for (int b = 0; b < 10; b++)
			CHECK(back[b] == 0, "hdr byte %d", b);
		CHECK(back[10] == 1 && back[11] == 0, "num_buffers");
		CHECK(memcmp(back + HDR_LEN, pkt[i], l) == 0,
		      "salt %u rx pkt %u (%u B): payload", salt, i, l);
	}
	rte_pktmbuf_free_bulk(m, n);
}

static void
test_mixed(struct mg *g)
{
	static const uint32_t bursts[] = {1, 2, 5, 31, 32, 33, 20, 17, 3, 24};
	uint64_t errs1 = all_errors(1), errs0 = all_errors(0);

	/* 64-entry ring, bursts of varying size: the used ring wraps in
	 * the middle of batches many times. */
	for (uint32_t r = 0; r < 40; r++)
		mixed_burst(g, bursts[r % RTE_DIM(bursts)], r);
	for (uint32_t r = 0; r < 40; r++)
		rx_exact(g, bursts[r % RTE_DIM(bursts)], r);
	CHECK(all_errors(1) == errs1 && all_errors(0) == errs0,
	      "errors on good traffic");
	printf("ok mixed fast/general layouts, bursts 1..33, used ring "
	       "wrapping mid-batch\n");
}

/* Hostile 5th chain of a batch of 8. */
typedef uint16_t (*bad_tx_fn)(struct mg *g, const uint8_t *pkt, uint32_t l);

static uint16_t
bad_tx_outside(struct mg *g, const uint8_t *pkt, uint32_t l)
{
	uint16_t h = mg_tx_post(g, 1, MG_TX_HDR_SAME, pkt, l, HDR_LEN);

	g->vq[1].ring.desc[h].addr = MG_GPA_BASE + MG_MEM_SIZE + 4096;
	return h;
}

static uint16_t
bad_tx_past_end(struct mg *g, const uint8_t *pkt, uint32_t l)
{
	uint16_t h = mg_tx_post(g, 1, MG_TX_HDR_SAME, pkt, l, HDR_LEN);

	g->vq[1].ring.desc[h].addr = MG_GPA_BASE + MG_MEM_SIZE - 20;
	return h;
}

static uint16_t
bad_tx_wrap(struct mg *g, const uint8_t *pkt, uint32_t l)
{
	uint16_t h = mg_tx_post(g, 1, MG_TX_HDR_SAME, pkt, l, HDR_LEN);

	g->vq[1].ring.desc[h].addr = UINT64_MAX - 30;
	return h;
}

static uint16_t
bad_tx_writable(struct mg *g, const uint8_t *pkt, uint32_t l)
{
	uint16_t h = mg_tx_post(g, 1, MG_TX_HDR_SAME, pkt, l, HDR_LEN);

	g->vq[1].ring.desc[h].flags = TV_DESC_F_WRITE;
	return h;
}

static uint16_t
bad_tx_empty(struct mg *g, const uint8_t *pkt, uint32_t l)
{
	uint16_t h = mg_tx_post(g, 1, MG_TX_HDR_SAME, pkt, l, HDR_LEN);

	g->vq[1].ring.desc[h].len = HDR_LEN;
	return h;
}

static uint16_t
bad_tx_next_oob(struct mg *g, const uint8_t *pkt, uint32_t l)
{
	uint16_t h = mg_tx_post(g, 1, MG_TX_HDR_OWN, pkt, l, HDR_LEN);

	g->vq[1].ring.desc[h].next = RING + 3;
	return h;
}

static uint16_t
bad_tx_hdr_outside(struct mg *g, const uint8_t *pkt, uint32_t l)
{
	uint16_t h = mg_tx_post(g, 1, MG_TX_HDR_OWN, pkt, l, HDR_LEN);

	/* The header's bytes are never used, but its address is checked
	 * like any other. */
	g->vq[1].ring.desc[h].addr = 0x1000;
	return h;
}

static uint16_t
bad_tx_data_writable(struct mg *g, const uint8_t *pkt, uint32_t l)
{
	uint16_t h = mg_tx_post(g, 1, MG_TX_HDR_OWN, pkt, l, HDR_LEN);

	g->vq[1].ring.desc[g->vq[1].ring.desc[h].next].flags = TV_DESC_F_WRITE;
	return h;
}

static uint16_t
bad_tx_loop(struct mg *g, const uint8_t *pkt, uint32_t l)
{
	uint16_t h = mg_tx_post(g, 1, MG_TX_HDR_OWN, pkt, l, HDR_LEN);
	uint16_t d = g->vq[1].ring.desc[h].next;

	g->vq[1].ring.desc[d].flags = TV_DESC_F_NEXT;
	g->vq[1].ring.desc[d].next = h;
	return h;
}

static uint16_t
bad_tx_head(struct mg *g, const uint8_t *pkt, uint32_t l)
{
	mg_avail_add(g, 1, RING + 7);
	return RING + 7;
}

struct tx_case {
	const char *name;
	bad_tx_fn fn;
	size_t cnt;
	bool returned; /* the bad chain comes back with length 0 */
};

static void
tx_hostile(struct mg *g, const struct tx_case *c)
{
	static uint8_t pkt[8][200];
	struct rte_mbuf *m[8];
	uint16_t heads[8];
	uint64_t before = counter(1, c->cnt), errs = all_errors(1);
	uint32_t i, id, len;
	uint16_t got;

	mg_round_reset(g);
	for (i = 0; i < 8; i++) {
		mg_fill(pkt[i], 200, 555 + i);
		if (i == 4)
			heads[i] = c->fn(g, pkt[i], 200);
		else
			heads[i] = mg_tx_post(
				g, 1, i & 1 ? MG_TX_HDR_OWN : MG_TX_HDR_SAME,
				pkt[i], 200, HDR_LEN);
	}
	mg_avail_publish(g, 1);
	got = tvh_dequeue_burst(dev, 1, mp, m, 8);
	CHECK(got == 4, "%s: delivered %u, want the 4 before it", c->name, got);
	for (i = 0; i < 4; i++) {
		CHECK(mg_mbuf_cmp(m[i], pkt[i], 200) == 0, "%s: payload %u",
		      c->name, i);
		CHECK(mg_used_next(g, 1, &id, &len) && id == heads[i] &&
			      len == 0,
		      "%s: used %u", c->name, i);
	}
	rte_pktmbuf_free_bulk(m, got);
	if (c->returned)
		CHECK(mg_used_next(g, 1, &id, &len) && id == heads[4] &&
			      len == 0,
		      "%s: bad chain not returned", c->name);
	CHECK(!mg_used_next(g, 1, &id, &len), "%s: chains after it used",
	      c->name);
	CHECK(counter(1, c->cnt) == before + 1 && all_errors(1) == errs + 1,
	      "%s: counted %lu (all %lu)", c->name, counter(1, c->cnt) - before,
	      all_errors(1) - errs);
	CHECK(tvh_dequeue_burst(dev, 1, mp, m, 8) == 0, "%s: not stopped",
	      c->name);
	restart(g, 1);
	printf("ok tx batch, 5th chain: %s\n", c->name);
}

typedef uint16_t (*bad_rx_fn)(struct mg *g);

static uint8_t *guard;

static uint16_t
bad_rx_readonly(struct mg *g)
{
	uint16_t h = mg_rx_post(g, 0, 1, 2048);

	g->vq[0].ring.desc[h].flags = 0;
	return h;
}

static uint16_t
bad_rx_outside(struct mg *g)
{
	uint16_t h = mg_rx_post(g, 0, 1, 2048);

	g->vq[0].ring.desc[h].addr = MG_GPA_BASE - 8192;
	return h;
}

static uint16_t
bad_rx_past_end(struct mg *g)
{
	uint16_t h = mg_rx_post(g, 0, 1, 2048);

	g->vq[0].ring.desc[h].addr = MG_GPA_BASE + MG_MEM_SIZE - 100;
	return h;
}

static uint16_t
bad_rx_tiny(struct mg *g)
{
	/* 6 bytes for a 12-byte header, outside the recycled heap. */
	guard = g->mem + MG_MEM_SIZE - 256;
	memset(guard, 0xee, 64);
	return mg_desc(g, 0, mg_gpa(g, guard), 6, TV_DESC_F_WRITE);
}

static uint16_t
bad_rx_head(struct mg *g)
{
	return RING + 9;
}

static uint16_t
bad_rx_next_oob(struct mg *g)
{
	uint16_t h = mg_rx_post(g, 0, 2, 16);

	g->vq[0].ring.desc[h].next = 0xffff;
	return h;
}

struct rx_case {
	const char *name;
	bad_rx_fn fn;
	size_t cnt;
};

static void
rx_hostile(struct mg *g, const struct rx_case *c)
{
	static uint8_t pkt[8][200];
	struct rte_mbuf *m[8];
	uint16_t heads[8];
	uint64_t before = counter(0, c->cnt), errs = all_errors(0);
	uint32_t i, id, len;
	uint16_t put;

	mg_round_reset(g);
	for (i = 0; i < 8; i++) {
		mg_fill(pkt[i], 200, 999 + i);
		m[i] = mg_mbuf_from(mp, pkt[i], 200);
		if (i == 4) {
			heads[i] = c->fn(g);
			mg_avail_add(g, 0, heads[i]);
		} else {
			heads[i] = mg_rx_post(g, 0, 1, 2048);
		}
	}
	mg_avail_publish(g, 0);
	put = tvh_enqueue_burst(dev, 0, m, 8);
	rte_pktmbuf_free_bulk(m, 8);
	CHECK(put == 4, "%s: took %u, want the 4 before it", c->name, put);
	for (i = 0; i < 4; i++) {
		uint8_t back[HDR_LEN + 200];

		CHECK(mg_used_next(g, 0, &id, &len) && id == heads[i] &&
			      len == sizeof(back),
		      "%s: used %u", c->name, i);
		mg_chain_read(g, 0, (uint16_t)id, back, sizeof(back));
		CHECK(memcmp(back + HDR_LEN, pkt[i], 200) == 0 && back[10] == 1,
		      "%s: payload %u", c->name, i);
	}
	CHECK(!mg_used_next(g, 0, &id, &len), "%s: bad or later buffer used",
	      c->name);
	CHECK(counter(0, c->cnt) == before + 1 && all_errors(0) == errs + 1,
	      "%s: counted %lu (all %lu)", c->name, counter(0, c->cnt) - before,
	      all_errors(0) - errs);
	if (c->fn == bad_rx_tiny)
		for (int b = 6; b < 64; b++)
			CHECK(guard[b] == 0xee, "%s: wrote past 6 bytes",
			      c->name);
	restart(g, 0);
	printf("ok rx batch, 5th buffer: %s\n", c->name);
}

/* A pool that cannot fill a batch: per-mbuf fallback, counted. */
static void
test_small_pool(struct mg *g)
{
	struct rte_mempool *small = rte_pktmbuf_pool_create(
		"h2batch_small", 20, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
		SOCKET_ID_ANY);
	static uint8_t pkt[32][100];
	struct rte_mbuf *m[32];
	uint64_t no_mbufs = counter(1, CNT(no_mbufs));
	uint32_t i, id, len;
	uint16_t got;

	CHECK(small != NULL, "small pool");
	mg_round_reset(g);
	for (i = 0; i < 32; i++) {
		mg_fill(pkt[i], 100, 31 * i);
		mg_tx_post(g, 1, MG_TX_HDR_SAME, pkt[i], 100, HDR_LEN);
	}
	mg_avail_publish(g, 1);
	got = tvh_dequeue_burst(dev, 1, small, m, 32);
	CHECK(got == 20, "small pool: %u of 20", got);
	CHECK(counter(1, CNT(no_mbufs)) > no_mbufs, "no_mbufs not counted");
	for (i = 0; i < got; i++)
		CHECK(mg_mbuf_cmp(m[i], pkt[i], 100) == 0, "small %u", i);
	rte_pktmbuf_free_bulk(m, got);
	got = tvh_dequeue_burst(dev, 1, small, m, 32);
	CHECK(got == 12, "small pool, rest: %u of 12", got);
	for (i = 0; i < got; i++)
		CHECK(mg_mbuf_cmp(m[i], pkt[20 + i], 100) == 0, "rest %u", i);
	rte_pktmbuf_free_bulk(m, got);
	for (i = 0; i < 32; i++)
		CHECK(mg_used_next(g, 1, &id, &len) && len == 0, "used %u", i);
	CHECK(rte_mempool_avail_count(small) == 20, "small pool leaked");
	rte_mempool_free(small);
	printf("ok pool smaller than a batch: 20 + 12, no_mbufs counted\n");
}

int
main(int argc, char **argv)
{
	static const struct tx_case tx_cases[] = {
		{"address outside memory", bad_tx_outside, CNT(err_desc_addr),
		 true},
		{"buffer runs past memory", bad_tx_past_end, CNT(err_desc_addr),
		 true},
		{"addr + len wraps", bad_tx_wrap, CNT(err_desc_addr), true},
		{"device-writable", bad_tx_writable, CNT(err_desc_flags), true},
		{"empty packet", bad_tx_empty, CNT(err_pkt_len), true},
		{"next >= ring size", bad_tx_next_oob, CNT(err_desc_index),
		 true},
		{"header descriptor outside memory", bad_tx_hdr_outside,
		 CNT(err_desc_addr), true},
		{"data descriptor writable", bad_tx_data_writable,
		 CNT(err_desc_flags), true},
		{"chain loop", bad_tx_loop, CNT(err_chain_loop), true},
		{"head >= ring size", bad_tx_head, CNT(err_desc_index), false},
	};
	static const struct rx_case rx_cases[] = {
		{"read-only", bad_rx_readonly, CNT(err_desc_flags)},
		{"address outside memory", bad_rx_outside, CNT(err_desc_addr)},
		{"buffer runs past memory", bad_rx_past_end,
		 CNT(err_desc_addr)},
		{"6 bytes for the header", bad_rx_tiny, CNT(err_hdr)},
		{"head >= ring size", bad_rx_head, CNT(err_desc_index)},
		{"next >= ring size", bad_rx_next_oob, CNT(err_desc_index)},
	};
	struct tvh_config cfg = {.n_queue_pairs = 1};
	uint64_t feat = TV_BIT(TV_F_VERSION_1) | TV_BIT(TV_NET_F_MRG_RXBUF) |
			TV_BIT(TV_F_IN_ORDER) |
			TV_BIT(TV_F_RING_INDIRECT_DESC) |
			TV_BIT(TV_F_VHOST_USER_PROTOCOL_FEATURES);
	struct mg g;
	int fds0;

	mg_eal_init(argv[0], "batch");
	mp = rte_pktmbuf_pool_create("h2batch", POOL_N, 0, 0,
				     RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	CHECK(mp != NULL, "mempool");
	cfg.path = mg_sock_path("batch");
	/* Before the device: lib/vhost closes its control thread's fds
	 * (epoll, wake, sweep, SIGBUS guard) when the last device goes, so
	 * the count must come back to what it was before the first one. */
	fds0 = mg_count_fds();
	CHECK(tvh_dev_create(&cfg, NULL, NULL, &dev) == 0, "create");
	mg_init(&g);
	mg_setup(&g, cfg.path, feat, 2, RING);

	test_mixed(&g);
	for (uint32_t i = 0; i < RTE_DIM(tx_cases); i++)
		tx_hostile(&g, &tx_cases[i]);
	for (uint32_t i = 0; i < RTE_DIM(rx_cases); i++)
		rx_hostile(&g, &rx_cases[i]);
	test_small_pool(&g);
	test_mixed(&g);

	mg_fini(&g);
	tvh_dev_destroy(dev);
	CHECK(rte_mempool_avail_count(mp) == POOL_N, "mbufs leaked: %u",
	      rte_mempool_avail_count(mp));
	CHECK(mg_count_fds() == fds0, "fds leaked: %d -> %d", fds0,
	      mg_count_fds());
	rte_mempool_free(mp);
	rte_eal_cleanup();
	printf("PASS\n");
	return 0;
}
