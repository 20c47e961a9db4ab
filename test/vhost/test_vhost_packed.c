/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * lib/vhost on packed virtqueues (virtio 1.2, section 2.8), against the
 * mock front-end's packed driver (mock_guest_packed.c):
 *  - transmit: header and packet in one descriptor, header descriptor then
 *    data descriptor, a list with the header split across two, indirect
 *    tables (their entries also flagged WRITE, as DPDK 22.11's
 *    virtio-user does), a descriptor across the two memory regions, for
 *    60..9000 bytes; one burst of 200 buffers; then bursts of mixed
 *    buffers on a 16-descriptor ring across its wrap thousands of times
 *    and past the 16-bit index wrap.
 *    Payloads, used ids (the last descriptor's), used positions (the
 *    buffer's first), AVAIL/USED bits (the device's wrap counter), no
 *    WRITE, length 0, and the rest of each list left alone;
 *  - receive, with and without MRG_RXBUF: one buffer, a list of writable
 *    descriptors with the header across three, an indirect buffer; a
 *    packet over several mergeable buffers (num_buffers, each used
 *    length), 100 such packets in one burst; too big without
 *    MRG_RXBUF (dropped, the buffer serves the next packet); no buffer
 *    (no_room, nothing written); used descriptors carry WRITE;
 *  - a hostile front-end, one case per counter: the counter moves by one
 *    (and no other), guest memory is not written at all, the queue stays
 *    broken until set up again, GET_VRING_BASE names the bad buffer, and
 *    the restarted ring carries traffic; a base naming a position >= num
 *    does not start the ring (err_ring);
 *  - GET/SET_VRING_BASE: both halves after traffic across the wrap, the
 *    lower half only (DPDK), both halves (QEMU), a fresh ring, and a used
 *    half behind the avail half (buffers taken again);
 *  - notifications: the driver's event suppression structure (ENABLE,
 *    DISABLE, DESC with EVENT_IDX around and across the wrap) against the
 *    call eventfd's counter; the device's structure DISABLE while
 *    polling, ENABLE while armed (tvh_vq_notify_arm), pending reported.
 * Every mbuf is back in its pool and no fd is left open at the end.
 *
 * The hostile cases are in test_vhost_packed_bad.c, the notifications in
 * test_vhost_packed_notify.c. Each group runs in a session of its own (a
 * new device and front-end); arguments name the sessions to run (all by
 * default), e.g. `test_vhost_packed hostile`.
 */
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_mbuf.h>

#include "test_vhost_packed.h"

#define POOL_N 4095

struct rte_mempool *mp;
struct tvh_dev *dev;
static uint8_t *snap; /* a copy of guest memory */

#define F_PACKED                                                               \
	(TV_BIT(TV_F_VERSION_1) | TV_BIT(TV_F_RING_PACKED) |                   \
	 TV_BIT(TV_F_VHOST_USER_PROTOCOL_FEATURES))
#define F_IND (F_PACKED | TV_BIT(TV_F_RING_INDIRECT_DESC))
#define F_MRG (F_IND | TV_BIT(TV_NET_F_MRG_RXBUF))
#define F_EV  (F_MRG | TV_BIT(TV_F_RING_EVENT_IDX))

struct tvh_vq_stats
vq_stats(uint32_t vq)
{
	struct tvh_vq_stats st;

	CHECK(tvh_vq_stats_get(dev, vq, &st) == 0, "stats of vring %u", vq);
	return st;
}

uint64_t
counter(uint32_t vq, size_t off)
{
	struct tvh_vq_stats st = vq_stats(vq);

	return *(const uint64_t *)((const uint8_t *)&st + off);
}

uint64_t
all_errors(uint32_t vq)
{
	struct tvh_vq_stats st = vq_stats(vq);

	return st.err_avail_idx + st.err_desc_index + st.err_desc_addr +
	       st.err_chain_loop + st.err_indirect + st.err_desc_flags +
	       st.err_hdr + st.err_pkt_len;
}

/* The next used descriptor of vq must be buffer `id` with length `len`,
 * AVAIL = USED = the wrap counter of its position, WRITE for a receive
 * buffer (section 2.8.4), nothing else. */
void
expect_used(struct mg *g, uint32_t vq, uint16_t id, uint32_t len,
	    const char *what)
{
	const uint16_t at = g->vq[vq].used_seen;
	const uint32_t num = g->vq[vq].num;
	uint16_t want =
		mg_pk_wrap(at, num) ? TV_PACKED_F_AVAIL | TV_PACKED_F_USED : 0;
	uint16_t got_id, flags;
	uint32_t got_len;

	if (!tv_net_vq_is_guest_tx(vq))
		want |= TV_DESC_F_WRITE;
	CHECK(mg_pk_used_next(g, vq, &got_id, &got_len, &flags),
	      "%s: no used descriptor at %u (wrap %d) of vring %u, flags 0x%x",
	      what, at % num, mg_pk_wrap(at, num), vq,
	      mg_pk_desc(g, vq, at)->flags);
	CHECK(got_id == id, "%s: used id %u, expected %u", what, got_id, id);
	CHECK(got_len == len, "%s: used length %u, expected %u", what, got_len,
	      len);
	CHECK(flags == want, "%s: used flags 0x%x, expected 0x%x", what, flags,
	      want);
}

void
expect_no_used(struct mg *g, uint32_t vq, const char *what)
{
	uint16_t id, flags;
	uint32_t len;

	CHECK(!mg_pk_used_next(g, vq, &id, &len, &flags),
	      "%s: unexpected used descriptor (id %u)", what, id);
}

void
snap_take(struct mg *g)
{
	memcpy(snap, g->mem, MG_MEM_SIZE);
}

void
snap_same(struct mg *g, const char *what)
{
	if (memcmp(snap, g->mem, MG_MEM_SIZE) == 0)
		return;
	for (size_t i = 0; i < MG_MEM_SIZE; i++)
		CHECK(snap[i] == g->mem[i],
		      "%s: guest memory at 0x%zx written (0x%02x -> 0x%02x)",
		      what, i, snap[i], g->mem[i]);
}

/* One device and front-end, both vrings set up with `num` descriptors;
 * fn runs the tests; the mbufs and fds must all be back afterwards. */
static void
session(const char *name, uint64_t features, uint32_t num,
	void (*fn)(struct mg *g))
{
	const char *path = mg_sock_path(name);
	struct tvh_config cfg = {.path = path, .n_queue_pairs = 1};
	unsigned int pool0 = rte_mempool_avail_count(mp);
	/* Before the device: the library closes its control thread's fds
	 * when the last device goes. */
	int fds0 = mg_count_fds();
	struct mg g;

	CHECK(tvh_dev_create(&cfg, NULL, NULL, &dev) == 0, "create");
	mg_init(&g);
	g.no_base = strcmp(name, "nobase") == 0;
	mg_setup(&g, path, features, 2, num);
	CHECK(tvh_dev_is_ready(dev), "%s: not ready", name);
	CHECK(tvh_dev_features(dev) == features, "%s: features", name);
	fn(&g);
	mg_fini(&g);
	tvh_dev_destroy(dev);
	dev = NULL;
	CHECK(rte_mempool_avail_count(mp) == pool0,
	      "%s: mbufs leaked: %u of %u back", name,
	      rte_mempool_avail_count(mp), pool0);
	CHECK(mg_count_fds() == fds0, "%s: fds leaked: %d -> %d", name, fds0,
	      mg_count_fds());
	CHECK(access(path, F_OK) != 0, "%s: socket file left", name);
	printf("ok session %s\n", name);
}

/* ---- Transmit ---- */

struct tx_kind {
	enum mg_tx_layout layout;
	uint16_t ind_flags;
	const char *name;
};

static const struct tx_kind tx_kinds[] = {
	{MG_TX_HDR_SAME, 0, "header and packet in one"},
	{MG_TX_HDR_OWN, 0, "header, then packet"},
	{MG_TX_CHAIN, 0, "list, header split 5 + 7"},
	{MG_TX_INDIRECT, 0, "indirect"},
	{MG_TX_INDIRECT, TV_DESC_F_WRITE, "indirect, entries WRITE"},
	{MG_TX_STRADDLE, 0, "across the regions"},
};
#define N_TX_KINDS RTE_DIM(tx_kinds)

static void
test_tx_layouts(struct mg *g)
{
	static const uint32_t sizes[] = {60,   61,   64,   100,	 101,
					 1000, 1514, 1518, 2100, 9000};
	static uint8_t pkt[N_TX_KINDS][9000];
	uint64_t pkts = 0, bytes = 0;
	struct rte_mbuf *out[64];
	struct tvh_vq_stats st;

	for (uint32_t s = 0; s < RTE_DIM(sizes); s++) {
		uint32_t len = sizes[s];
		uint16_t ids[N_TX_KINDS];
		uint16_t n;

		for (uint32_t k = 0; k < N_TX_KINDS; k++) {
			mg_fill(pkt[k], len, s * 16 + k);
			ids[k] = mg_pk_tx_post(g, 1, tx_kinds[k].layout, pkt[k],
					       len, HDR, tx_kinds[k].ind_flags);
		}
		n = tvh_dequeue_burst(dev, 1, mp, out, RTE_DIM(out));
		CHECK(n == N_TX_KINDS, "size %u: dequeued %u of %zu", len, n,
		      N_TX_KINDS);
		for (uint32_t k = 0; k < N_TX_KINDS; k++) {
			char what[96];

			snprintf(what, sizeof(what), "tx %u bytes, %s", len,
				 tx_kinds[k].name);
			CHECK(mg_mbuf_cmp(out[k], pkt[k], len) == 0,
			      "%s: payload differs (pkt_len %u)", what,
			      out[k]->pkt_len);
			if (len > 2048)
				CHECK(out[k]->nb_segs > 1, "%s: not chained",
				      what);
			expect_used(g, 1, ids[k], 0, what);
			rte_pktmbuf_free(out[k]);
			pkts++;
			bytes += len;
		}
		expect_no_used(g, 1, "tx layouts");
		CHECK(tvh_dequeue_burst(dev, 1, mp, out, 64) == 0,
		      "ring should be empty");
		mg_round_reset(g);
	}
	st = vq_stats(1);
	CHECK(st.packets == pkts && st.bytes == bytes,
	      "tx stats %lu/%lu, expected %lu/%lu", st.packets, st.bytes, pkts,
	      bytes);
	CHECK(all_errors(1) == 0 && st.no_mbufs == 0, "unexpected tx errors");
	printf("ok tx: %zu layouts x %zu sizes, byte-exact, used ids, "
	       "positions and flags\n",
	       N_TX_KINDS, RTE_DIM(sizes));
}

/* Post up to k transmit buffers of mixed layouts (1, 2, 3 descriptors or
 * indirect) while the ring has room; returns how many. */
static uint32_t
tx_post_mixed(struct mg *g, uint32_t k, uint32_t seed, uint8_t pkt[][1024],
	      uint32_t *lens, uint16_t *ids)
{
	const struct mg_vq *q = &g->vq[1];
	uint32_t i;

	for (i = 0; i < k; i++) {
		uint32_t r = (seed + i) * 2654435761u >> 7;
		enum mg_tx_layout l = (enum mg_tx_layout)(r % 4);
		/* MG_TX_CHAIN of more than 100 bytes: 3 descriptors. */
		uint32_t len = l == MG_TX_CHAIN && (r & 16) ? 150 + r % 600
							    : 60 + r % 41;

		if ((uint32_t)(uint16_t)(q->avail_idx - q->used_seen) + 3 >
		    q->num)
			break;
		mg_fill(pkt[i], len, seed + i);
		lens[i] = len;
		ids[i] = mg_pk_tx_post(g, 1, l, pkt[i], len, HDR,
				       (r & 32) ? TV_DESC_F_WRITE : 0);
	}
	return i;
}

/* Take what was posted in one or two bursts; check all of it. */
void
tx_take(struct mg *g, uint32_t k, uint8_t pkt[][1024], const uint32_t *lens,
	const uint16_t *ids, uint32_t first_burst, const char *what)
{
	struct rte_mbuf *out[256];
	uint32_t got = 0;

	while (got < k) {
		uint32_t want =
			got == 0 && first_burst < k ? first_burst : k - got;
		uint16_t n = tvh_dequeue_burst(dev, 1, mp, out + got,
					       (uint16_t)want);

		CHECK(n == want, "%s: dequeued %u of %u", what, n, want);
		for (uint32_t i = got; i < got + n; i++)
			expect_used(g, 1, ids[i], 0, what);
		expect_no_used(g, 1, what);
		got += n;
	}
	for (uint32_t i = 0; i < k; i++) {
		CHECK(mg_mbuf_cmp(out[i], pkt[i], lens[i]) == 0,
		      "%s: packet %u of %u differs", what, i, k);
		rte_pktmbuf_free(out[i]);
	}
	CHECK(tvh_dequeue_burst(dev, 1, mp, out, 1) == 0, "%s: more", what);
}

/* One burst of 200 buffers (250 descriptors): the used descriptors go
 * out in several batches of the back-end's shadow. */
static void
test_tx_big_burst(struct mg *g)
{
	static uint8_t pkt[200][1024];
	uint32_t lens[200];
	uint16_t ids[200];

	for (uint32_t i = 0; i < 200; i++) {
		lens[i] = 60 + i * 4;
		mg_fill(pkt[i], lens[i], 3000 + i);
		ids[i] = mg_pk_tx_post(
			g, 1, i % 4 == 3 ? MG_TX_HDR_OWN : MG_TX_HDR_SAME,
			pkt[i], lens[i], HDR, 0);
	}
	tx_take(g, 200, pkt, lens, ids, 200, "burst of 200");
	mg_round_reset(g);
	CHECK(all_errors(1) == 0, "tx errors");
	printf("ok tx: one burst of 200 buffers\n");
}

/* A 16-descriptor ring, round after round, until the driver's index has
 * passed 2^16 (4096 laps, each a flip of the wrap counter). */
static void
test_tx_wrap(struct mg *g)
{
	static uint8_t pkt[32][1024];
	uint32_t lens[32], rounds = 0, laps = 0;
	uint16_t ids[32];
	uint64_t descs = 0, pkts = 0;
	bool wrap = mg_pk_wrap(g->vq[1].used_seen, SMALL);

	while (descs < 70000) {
		uint16_t before = g->vq[1].avail_idx;
		uint32_t k = 1 + rounds % 9;
		char what[64];

		snprintf(what, sizeof(what), "tx round %u at %u", rounds,
			 before % SMALL);
		k = tx_post_mixed(g, k, rounds * 31, pkt, lens, ids);
		tx_take(g, k, pkt, lens, ids, rounds % 3 == 0 ? k / 2 + 1 : k,
			what);
		descs += (uint16_t)(g->vq[1].avail_idx - before);
		pkts += k;
		if (mg_pk_wrap(g->vq[1].used_seen, SMALL) != wrap) {
			wrap = !wrap;
			laps++;
		}
		mg_round_reset(g);
		rounds++;
	}
	CHECK(laps >= 4096 && vq_stats(1).packets == pkts,
	      "laps %u, packets %lu of %lu", laps, vq_stats(1).packets, pkts);
	CHECK(all_errors(1) == 0, "tx errors across the wrap");
	printf("ok tx across the wrap: %lu packets in %lu descriptors, %u "
	       "wrap counter flips\n",
	       pkts, descs, laps);
}

/* ---- Receive ---- */

enum rx_layout {
	RX_ONE,	     /* one writable descriptor */
	RX_LIST,     /* 4 + 4 + 4 + rest: the header across three */
	RX_INDIRECT, /* a table of three equal entries */
	RX_LAYOUTS
};

static const char *const rx_names[] = {"one descriptor", "list of 4",
				       "indirect"};

/* A receive buffer of `cap` bytes in layout l; returns its id. */
static uint16_t
rx_post(struct mg *g, enum rx_layout l, uint32_t cap)
{
	struct mg_pdesc d[4];

	switch (l) {
	case RX_ONE:
		return mg_pk_rx_post(g, 0, 1, cap, false);
	case RX_INDIRECT:
		CHECK(cap % 3 == 0, "cap");
		return mg_pk_rx_post(g, 0, 3, cap / 3, true);
	default:
		for (int i = 0; i < 4; i++) {
			uint32_t len = i < 3 ? 4 : cap - 12;
			uint8_t *b = mg_alloc(g, len, 4);

			memset(b, 0xee, len);
			d[i].addr = mg_gpa(g, b);
			d[i].len = len;
			d[i].flags = TV_DESC_F_WRITE;
		}
		return mg_pk_post(g, 0, d, 4);
	}
}

/* The packet in buffers ids[0..nb): each used with the length it holds
 * (cap each but the last), the header zero but num_buffers = nb, then
 * the payload. */
void
rx_expect(struct mg *g, const uint16_t *ids, uint32_t nb, uint32_t cap,
	  const uint8_t *pkt, uint32_t len, const char *what)
{
	static uint8_t back[HDR + 9000 + 2048];
	uint32_t total = HDR + len, off = 0;

	for (uint32_t b = 0; b < nb; b++) {
		uint32_t ul = total - off < cap ? total - off : cap;

		expect_used(g, 0, ids[b], ul, what);
		mg_pk_buf_read(g, 0, ids[b], back + off, ul);
		off += ul;
	}
	CHECK(off == total, "%s: %u bytes in %u buffers, expected %u", what,
	      off, nb, total);
	for (int i = 0; i < 10; i++)
		CHECK(back[i] == 0, "%s: header byte %d is %u", what, i,
		      back[i]);
	CHECK((back[10] | back[11] << 8) == (int)nb,
	      "%s: num_buffers %u, expected %u", what, back[10] | back[11] << 8,
	      nb);
	CHECK(memcmp(back + HDR, pkt, len) == 0, "%s: payload differs", what);
}

void
enqueue_one(const uint8_t *pkt, uint32_t len, uint16_t want, const char *what)
{
	struct rte_mbuf *m = mg_mbuf_from(mp, pkt, len);
	uint16_t n = tvh_enqueue_burst(dev, 0, &m, 1);

	rte_pktmbuf_free(m);
	CHECK(n == want, "%s: enqueued %u, expected %u", what, n, want);
}

static const uint32_t rx_sizes[] = {60, 64, 100, 1000, 1500, 1518, 3000, 9000};

/* No buffer: nothing consumed, no_room counted, nothing written. */
static void
rx_no_room(struct mg *g)
{
	static uint8_t pkt[100];
	uint64_t before = vq_stats(0).no_room;

	snap_take(g);
	enqueue_one(pkt, sizeof(pkt), 0, "no buffer");
	snap_same(g, "no buffer");
	expect_no_used(g, 0, "no buffer");
	CHECK(vq_stats(0).no_room == before + 1, "no_room not counted");
}

static void
test_rx_mrg(struct mg *g)
{
	static uint8_t pkt[9000];
	const uint32_t cap = 1536;
	uint64_t pkts = 0;
	uint16_t ids[16];

	rx_no_room(g);
	for (uint32_t s = 0; s < RTE_DIM(rx_sizes); s++) {
		uint32_t len = rx_sizes[s];
		uint32_t nb = (HDR + len + cap - 1) / cap;

		mg_fill(pkt, len, 500 + s);
		for (int l = 0; l < RX_LAYOUTS; l++) {
			char what[80];

			snprintf(what, sizeof(what), "rx mrg %u bytes, %s", len,
				 rx_names[l]);
			for (uint32_t b = 0; b < nb; b++)
				ids[b] = rx_post(g, (enum rx_layout)l, cap);
			enqueue_one(pkt, len, 1, what);
			rx_expect(g, ids, nb, cap, pkt, len, what);
			expect_no_used(g, 0, what);
			mg_round_reset(g);
			pkts++;
		}
	}
	/* Buffers left by one packet serve the next: 8 buffers, 9000
	 * bytes take 6, 2000 the other 2. */
	{
		static uint8_t pkt2[2000];
		struct rte_mbuf *m[2];

		for (int b = 0; b < 8; b++)
			ids[b] = rx_post(g, RX_ONE, cap);
		mg_fill(pkt, 9000, 77);
		mg_fill(pkt2, 2000, 78);
		m[0] = mg_mbuf_from(mp, pkt, 9000);
		m[1] = mg_mbuf_from(mp, pkt2, 2000);
		CHECK(tvh_enqueue_burst(dev, 0, m, 2) == 2, "two packets");
		rte_pktmbuf_free_bulk(m, 2);
		rx_expect(g, ids, 6, cap, pkt, 9000, "mrg first of two");
		rx_expect(g, ids + 6, 2, cap, pkt2, 2000, "mrg second of two");
		expect_no_used(g, 0, "mrg two");
		mg_round_reset(g);
		pkts += 2;
	}
	/* 100 packets of two buffers each in one burst: the used
	 * descriptors go out in several batches of the back-end's shadow. */
	{
		static uint8_t big[100][1600];
		static uint16_t bids[200];
		struct rte_mbuf *m[100];

		for (int b = 0; b < 200; b++)
			bids[b] = rx_post(g, RX_ONE, cap);
		for (int i = 0; i < 100; i++) {
			mg_fill(big[i], 1600, 4000 + i);
			m[i] = mg_mbuf_from(mp, big[i], 1600);
		}
		CHECK(tvh_enqueue_burst(dev, 0, m, 100) == 100, "burst of 100");
		rte_pktmbuf_free_bulk(m, 100);
		for (int i = 0; i < 100; i++)
			rx_expect(g, bids + 2 * i, 2, cap, big[i], 1600,
				  "mrg burst of 100");
		expect_no_used(g, 0, "mrg burst of 100");
		mg_round_reset(g);
		pkts += 100;
	}
	/* Many one-buffer packets, then one of six buffers in the same
	 * burst: the six do not fit what is left of the shadow. */
	for (uint32_t small = 60; small < 64; small += 3) {
		static uint8_t sp[64][100];
		static uint16_t sids[70];
		struct rte_mbuf *m[64];

		for (uint32_t b = 0; b < small + 6; b++)
			sids[b] = rx_post(g, RX_ONE, cap);
		for (uint32_t i = 0; i < small; i++) {
			mg_fill(sp[i], 100, 5000 + i);
			m[i] = mg_mbuf_from(mp, sp[i], 100);
		}
		mg_fill(pkt, 9000, 6000 + small);
		m[small] = mg_mbuf_from(mp, pkt, 9000);
		CHECK(tvh_enqueue_burst(dev, 0, m, (uint16_t)(small + 1)) ==
			      small + 1,
		      "burst of %u + 1", small);
		rte_pktmbuf_free_bulk(m, small + 1);
		for (uint32_t i = 0; i < small; i++)
			rx_expect(g, sids + i, 1, cap, sp[i], 100,
				  "small before a big one");
		rx_expect(g, sids + small, 6, cap, pkt, 9000,
			  "big after small ones");
		expect_no_used(g, 0, "small and big");
		mg_round_reset(g);
		pkts += small + 1;
	}
	rx_no_room(g);
	CHECK(vq_stats(0).packets == pkts && vq_stats(0).too_big == 0,
	      "rx packets %lu of %lu", vq_stats(0).packets, pkts);
	CHECK(all_errors(0) == 0, "rx errors");
	printf("ok rx with MRG_RXBUF: num_buffers, per-buffer lengths, "
	       "layouts, leftovers, no room\n");
}

static void
test_rx_nomrg(struct mg *g)
{
	static uint8_t pkt[9000], pkt2[2000], bpkt[8][2048];
	const uint32_t cap = 9102; /* 3 x 3034 */
	uint64_t pkts = 0;
	struct rte_mbuf *m[8];
	uint16_t ids[8];

	rx_no_room(g);
	for (uint32_t s = 0; s < RTE_DIM(rx_sizes); s++) {
		uint32_t len = rx_sizes[s];

		mg_fill(pkt, len, 900 + s);
		for (int l = 0; l < RX_LAYOUTS; l++) {
			char what[80];

			snprintf(what, sizeof(what), "rx %u bytes, %s", len,
				 rx_names[l]);
			ids[0] = rx_post(g, (enum rx_layout)l, cap);
			enqueue_one(pkt, len, 1, what);
			rx_expect(g, ids, 1, cap, pkt, len, what);
			expect_no_used(g, 0, what);
			mg_round_reset(g);
			pkts++;
		}
	}
	/* Several packets in one burst, one buffer each. */
	for (int i = 0; i < 8; i++) {
		ids[i] = rx_post(g, (enum rx_layout)(i % RX_LAYOUTS), 2049);
		mg_fill(bpkt[i], 60 + i * 200, 40 + i);
		m[i] = mg_mbuf_from(mp, bpkt[i], 60 + i * 200);
	}
	CHECK(tvh_enqueue_burst(dev, 0, m, 8) == 8, "burst of 8");
	rte_pktmbuf_free_bulk(m, 8);
	for (int i = 0; i < 8; i++)
		rx_expect(g, ids + i, 1, 2049, bpkt[i], 60 + i * 200,
			  "burst of 8");
	pkts += 8;
	mg_round_reset(g);
	/* Too big for the one buffer: dropped and counted, the buffer
	 * stays available and takes the next packet. */
	ids[0] = rx_post(g, RX_ONE, 1000);
	mg_fill(pkt2, sizeof(pkt2), 7);
	m[0] = mg_mbuf_from(mp, pkt2, 2000);
	m[1] = mg_mbuf_from(mp, pkt2, 500);
	CHECK(tvh_enqueue_burst(dev, 0, m, 2) == 2, "both consumed");
	rte_pktmbuf_free_bulk(m, 2);
	CHECK(vq_stats(0).too_big == 1, "too_big %lu", vq_stats(0).too_big);
	rx_expect(g, ids, 1, 1000, pkt2, 500, "after a packet too big");
	expect_no_used(g, 0, "too big");
	pkts++;
	mg_round_reset(g);
	rx_no_room(g);
	CHECK(vq_stats(0).packets == pkts, "rx packets %lu of %lu",
	      vq_stats(0).packets, pkts);
	CHECK(all_errors(0) == 0, "rx errors");
	printf("ok rx without MRG_RXBUF: layouts, num_buffers 1, too big, "
	       "no room\n");
}

/* Receive round on the small ring: k packets in buffers of 1 or 2
 * descriptors or indirect, across the ring's end. */
static void
test_rx_wrap(struct mg *g)
{
	static uint8_t pkt[8][200];
	uint64_t descs = 0;

	for (uint32_t round = 0; descs < 5000; round++) {
		uint16_t before = g->vq[0].avail_idx;
		uint32_t k = 1 + round % 7;
		struct rte_mbuf *m[8];
		uint16_t ids[8];
		char what[64];

		snprintf(what, sizeof(what), "rx round %u at %u", round,
			 before % SMALL);
		for (uint32_t i = 0; i < k; i++) {
			/* Fits a buffer of 128 (no merging). */
			uint32_t len = 60 + (round * 7 + i * 13) % 50;

			ids[i] = mg_pk_rx_post(g, 0, 1 + (round + i) % 2, 128,
					       (round + i) % 3 == 0);
			mg_fill(pkt[i], len, round * 8 + i);
			m[i] = mg_mbuf_from(mp, pkt[i], len);
		}
		CHECK(tvh_enqueue_burst(dev, 0, m, (uint16_t)k) == k, "%s",
		      what);
		for (uint32_t i = 0; i < k; i++) {
			uint32_t cap = 128 * (1 + (round + i) % 2);

			rx_expect(g, ids + i, 1, cap, pkt[i], m[i]->pkt_len,
				  what);
		}
		rte_pktmbuf_free_bulk(m, k);
		expect_no_used(g, 0, what);
		descs += (uint16_t)(g->vq[0].avail_idx - before);
		mg_round_reset(g);
	}
	CHECK(all_errors(0) == 0, "rx errors across the wrap");
	printf("ok rx across the wrap: %lu descriptors\n", descs);
}

/* ---- Vring base ---- */

/* A few single-descriptor packets through transmit ring 1, checked. */
static void
tx_round(struct mg *g, uint32_t k, uint32_t seed, const char *what)
{
	static uint8_t pkt[32][1024];
	uint32_t lens[32];
	uint16_t ids[32];

	CHECK(k <= 32, "round");
	for (uint32_t i = 0; i < k; i++) {
		lens[i] = 60 + i;
		mg_fill(pkt[i], lens[i], seed + i);
		ids[i] = mg_pk_tx_post(g, 1, MG_TX_HDR_SAME, pkt[i], lens[i],
				       HDR, 0);
	}
	tx_take(g, k, pkt, lens, ids, k, what);
	mg_round_reset(g);
}

static void
rx_round(struct mg *g, uint32_t k, uint32_t seed, const char *what)
{
	static uint8_t pkt[100];

	for (uint32_t i = 0; i < k; i++) {
		uint16_t id = mg_pk_rx_post(g, 0, 1, 256, false);

		mg_fill(pkt, sizeof(pkt), seed + i);
		enqueue_one(pkt, sizeof(pkt), 1, what);
		rx_expect(g, &id, 1, 256, pkt, sizeof(pkt), what);
	}
	mg_round_reset(g);
}

/* GET_VRING_BASE must name the driver's next descriptor in both halves. */
uint32_t
stop_expect(struct mg *g, uint32_t vq, const char *what)
{
	const uint16_t idx = g->vq[vq].avail_idx;
	const uint32_t num = g->vq[vq].num;
	const uint32_t half =
		(idx % num) | (mg_pk_wrap(idx, num) ? 1u << 15 : 0);
	uint32_t base = mg_vq_stop(g, vq);

	CHECK(base == (half | half << 16),
	      "%s: vring %u base 0x%08x, expected 0x%08x (position %u wrap "
	      "%d)",
	      what, vq, base, half | half << 16, idx % num,
	      mg_pk_wrap(idx, num));
	return base;
}

static void
test_vring_base(struct mg *g)
{
	static uint8_t pkt[3][1024];
	uint32_t lens[3];
	uint16_t ids[3];
	uint32_t base, lower;
	uint16_t used;

	/* Lower half only (DPDK's virtio-user), on both rings. */
	for (uint32_t vq = 0; vq < 2; vq++) {
		stop_expect(g, vq, "after the wrap");
		CHECK(mg_vq_setup(g, vq, SMALL) == 0, "restart %u", vq);
	}
	tx_round(g, 11, 1, "restart, lower half");
	rx_round(g, 11, 2, "restart, lower half");
	/* Both halves, as GET_VRING_BASE gave them (QEMU). */
	for (uint32_t vq = 0; vq < 2; vq++) {
		base = stop_expect(g, vq, "after a restart");
		CHECK(mg_vq_setup_base(g, vq, SMALL, base) == 0, "restart");
	}
	tx_round(g, 13, 3, "restart, both halves");
	rx_round(g, 13, 4, "restart, both halves");
	/* A fresh ring (zeroed, elsewhere) that continues at the base. */
	for (uint32_t vq = 0; vq < 2; vq++) {
		stop_expect(g, vq, "before a fresh ring");
		mg_pk_ring_forget(g, vq);
		CHECK(mg_vq_setup(g, vq, SMALL) == 0, "fresh ring");
		/* Zeroed (ENABLE) by the front-end: the back-end polls. */
		CHECK(g->vq[vq].pring.device->flags ==
			      TV_PACKED_EVENT_FLAG_DISABLE,
		      "vring %u: fresh ring's device area 0x%x", vq,
		      g->vq[vq].pring.device->flags);
	}
	tx_round(g, 15, 5, "fresh ring");
	rx_round(g, 17, 6, "fresh ring");
	/* The used half behind the avail half: buffers a previous back-end
	 * took but never returned are taken again, from the used one on.
	 * Three buffers (1 + 2 + 3 descriptors) across the ring's end. */
	while (g->vq[1].avail_idx % SMALL != 13)
		tx_round(g, 1, 7, "to position 13");
	base = stop_expect(g, 1, "before used < avail");
	used = (uint16_t)base;
	for (uint32_t i = 0; i < 3; i++) {
		lens[i] = i == 2 ? 700 : 60 + i;
		mg_fill(pkt[i], lens[i], 40 + i);
		ids[i] = mg_pk_tx_post(g, 1,
				       i == 0	? MG_TX_HDR_SAME
				       : i == 1 ? MG_TX_HDR_OWN
						: MG_TX_CHAIN,
				       pkt[i], lens[i], HDR, 0);
	}
	CHECK((uint16_t)(g->vq[1].avail_idx - g->vq[1].used_seen) == 6,
	      "three buffers of 1 + 2 + 3");
	lower = mg_pk_base(g, 1);
	CHECK(lower != used, "halves equal");
	CHECK(mg_vq_setup_base(g, 1, SMALL, lower | (uint32_t)used << 16) == 0,
	      "set-up with used behind avail");
	tx_take(g, 3, pkt, lens, ids, 3, "used half behind avail half");
	mg_round_reset(g);
	stop_expect(g, 1, "after used < avail");
	CHECK(mg_vq_setup(g, 1, SMALL) == 0, "restart");
	tx_round(g, 5, 8, "after used < avail");
	CHECK(all_errors(0) == 0 && all_errors(1) == 0, "errors");
	printf("ok vring base: both halves after the wrap; lower half, both "
	       "halves, fresh ring, used half behind\n");
}

/* A packed ring that never ran nor was given a base: GET_VRING_BASE
 * names where it would start, descriptor 0 on wrap 1, in both halves
 * (review, session 14: it said wrap 0). */
static void
test_base_unset(uint64_t features)
{
	const char *path = mg_sock_path("nobase-get");
	struct tvh_config cfg = {.path = path, .n_queue_pairs = 1};
	struct tvh_dev *d;
	struct mg g;
	uint32_t base;

	CHECK(tvh_dev_create(&cfg, NULL, NULL, &d) == 0, "create");
	mg_init(&g);
	mg_connect(&g, path);
	mg_negotiate(&g, features, tvh_default_protocol_features());
	base = mg_vq_stop(&g, 0);
	CHECK(base == 0x80008000u,
	      "GET_VRING_BASE of a ring never set up: 0x%08x, expected "
	      "0x80008000",
	      base);
	mg_fini(&g);
	tvh_dev_destroy(d);
	printf("ok GET_VRING_BASE of a ring never set up: 0x80008000\n");
}

/* Rings set up without SET_VRING_BASE start at descriptor 0 with the
 * wrap counter 1 (virtio 1.2, 2.8.1), across a few laps. */
static void
nobase_session(struct mg *g)
{
	test_base_unset(g->features);
	for (uint32_t r = 0; r < 4; r++) {
		tx_round(g, 11, 20 + r, "no SET_VRING_BASE");
		rx_round(g, 11, 30 + r, "no SET_VRING_BASE");
	}
	CHECK(all_errors(0) == 0 && all_errors(1) == 0, "errors");
	printf("ok rings without SET_VRING_BASE\n");
}

static void
tx_session(struct mg *g)
{
	test_tx_layouts(g);
	test_tx_big_burst(g);
}

static void
wrap_session(struct mg *g)
{
	test_tx_wrap(g);
	test_rx_wrap(g);
	test_vring_base(g);
}

static const struct {
	const char *name;
	uint64_t features;
	uint32_t num;
	void (*fn)(struct mg *g);
} sessions[] = {
	{"tx", F_MRG, RING, tx_session},
	{"wrap", F_MRG, SMALL, wrap_session},
	{"rx-mrg", F_MRG, RING, test_rx_mrg},
	{"rx", F_IND, RING, test_rx_nomrg},
	{"hostile", F_MRG, RING, hostile_session},
	{"noind", F_PACKED | TV_BIT(TV_NET_F_MRG_RXBUF), RING, noind_session},
	{"notify", F_EV, SMALL, notify_session},
	{"nobase", F_MRG, SMALL, nobase_session},
	{"lap", F_MRG, 32, lap_session},
};

/* Arguments: session names to run (all by default). */
int
main(int argc, char **argv)
{
	mg_eal_init(argv[0], "packed");
	mp = rte_pktmbuf_pool_create("h2packed", POOL_N, 64, 0,
				     RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	CHECK(mp != NULL, "mempool");
	snap = malloc(MG_MEM_SIZE);
	CHECK(snap != NULL, "malloc");

	for (uint32_t i = 0; i < RTE_DIM(sessions); i++) {
		bool run = argc < 2;

		for (int a = 1; a < argc; a++)
			run |= strcmp(argv[a], sessions[i].name) == 0;
		if (run)
			session(sessions[i].name, sessions[i].features,
				sessions[i].num, sessions[i].fn);
	}

	CHECK(rte_mempool_avail_count(mp) == POOL_N, "mbufs leaked: %u",
	      rte_mempool_avail_count(mp));
	free(snap);
	rte_mempool_free(mp);
	rte_eal_cleanup();
	printf("PASS\n");
	return 0;
}
