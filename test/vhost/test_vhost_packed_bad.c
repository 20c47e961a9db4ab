/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * test_vhost_packed's hostile front-end: one malformed buffer per case on
 * a packed ring (see test_vhost_packed.c for the whole test). Each case
 * must move its counter by one and no other, write nothing at all into
 * guest memory, leave the queue broken (a good buffer after it is not
 * taken) until the front-end sets the ring up again at the bad buffer
 * (GET_VRING_BASE names it), and then the ring carries traffic again.
 */
#include <stdlib.h>
#include <string.h>

#include <rte_mbuf.h>

#include "test_vhost_packed.h"

typedef void (*bad_fn)(struct mg *g, uint32_t vq);

/* A good packet into ring vq, delivered or (broken) not. */
static void
good_tx(struct mg *g, bool expect, const char *what)
{
	static uint8_t pkt[200];
	struct rte_mbuf *m;
	uint16_t id, n;

	mg_fill(pkt, sizeof(pkt), 3);
	id = mg_pk_tx_post(g, 1, MG_TX_HDR_OWN, pkt, sizeof(pkt), HDR, 0);
	n = tvh_dequeue_burst(dev, 1, mp, &m, 1);
	if (!expect) {
		CHECK(n == 0, "%s: broken queue served a packet", what);
		expect_no_used(g, 1, what);
		return;
	}
	CHECK(n == 1 && mg_mbuf_cmp(m, pkt, sizeof(pkt)) == 0,
	      "%s: good packet not served", what);
	rte_pktmbuf_free(m);
	expect_used(g, 1, id, 0, what);
}

static void
good_rx(struct mg *g, bool expect, const char *what)
{
	static uint8_t pkt[200];
	uint16_t id = mg_pk_rx_post(g, 0, 2, 150, false);

	mg_fill(pkt, sizeof(pkt), 4);
	enqueue_one(pkt, sizeof(pkt), expect ? 1 : 0, what);
	if (expect)
		rx_expect(g, &id, 1, 300, pkt, sizeof(pkt), what);
	else
		expect_no_used(g, 0, what);
}

static void
run_case(struct mg *g, const char *name, uint32_t vq, size_t cnt, bad_fn fn)
{
	const uint32_t num = g->vq[vq].num;
	uint64_t before = counter(vq, cnt), errs = all_errors(vq);
	uint16_t bad_at = g->vq[vq].avail_idx;
	uint32_t half = mg_pk_base_of(bad_at, num), base, in_flight;
	struct rte_mbuf *m[4];

	mg_round_reset(g);
	fn(g, vq);
	snap_take(g);
	if (tv_net_vq_is_guest_tx(vq)) {
		CHECK(tvh_dequeue_burst(dev, 1, mp, m, 4) == 0,
		      "%s: bad buffer delivered", name);
	} else {
		static uint8_t pkt[100];

		enqueue_one(pkt, sizeof(pkt), 0, name);
	}
	snap_same(g, name);
	CHECK(counter(vq, cnt) == before + 1, "%s: counter %lu -> %lu", name,
	      before, counter(vq, cnt));
	CHECK(all_errors(vq) == errs + 1, "%s: other counters moved", name);
	expect_no_used(g, vq, name);
	/* Still broken: a good buffer (if the bad one left room) is not
	 * taken, and nothing more is counted. */
	in_flight = (uint16_t)(g->vq[vq].avail_idx - g->vq[vq].used_seen);
	if (in_flight + 2 > num) {
		static uint8_t pkt[100];

		if (tv_net_vq_is_guest_tx(vq))
			CHECK(tvh_dequeue_burst(dev, 1, mp, m, 4) == 0,
			      "%s: served again", name);
		else
			enqueue_one(pkt, sizeof(pkt), 0, name);
	} else if (tv_net_vq_is_guest_tx(vq))
		good_tx(g, false, name);
	else
		good_rx(g, false, name);
	CHECK(all_errors(vq) == errs + 1, "%s: counted again", name);
	/* The device stopped at the bad buffer; the front-end forgets it
	 * and what came after, and sets the ring up there again. */
	base = mg_vq_stop(g, vq);
	CHECK(base == (half | half << 16), "%s: base 0x%x, expected 0x%x", name,
	      base, half | half << 16);
	mg_pk_rewind(g, vq, base);
	mg_round_reset(g);
	CHECK(mg_vq_setup(g, vq, num) == 0, "%s: restart", name);
	if (tv_net_vq_is_guest_tx(vq))
		good_tx(g, true, name);
	else
		good_rx(g, true, name);
	mg_round_reset(g);
	printf("ok %s\n", name);
}

static uint8_t *
zbuf(struct mg *g, uint32_t len)
{
	uint8_t *b = mg_alloc(g, len, 16);

	memset(b, 0, len);
	return b;
}

static uint16_t
rw(uint32_t vq)
{
	return tv_net_vq_is_guest_tx(vq) ? 0 : TV_DESC_F_WRITE;
}

/* Header descriptor, then a packet descriptor with the wrong WRITE. */
static void
bad_flags(struct mg *g, uint32_t vq)
{
	struct mg_pdesc d[2] = {
		{mg_gpa(g, zbuf(g, HDR)), HDR, rw(vq)},
		{mg_gpa(g, zbuf(g, 200)), 200, rw(vq) ^ TV_DESC_F_WRITE},
	};

	mg_pk_post(g, vq, d, 2);
}

/* A good indirect buffer (the header and 100 bytes). */
static struct tv_packed_desc *
ind_good(struct mg *g, uint32_t vq, uint32_t n)
{
	struct mg_pdesc d[8];
	struct tv_packed_desc *t;

	for (uint32_t i = 0; i < n; i++) {
		d[i].addr = mg_gpa(g, zbuf(g, 64));
		d[i].len = 64;
		d[i].flags = rw(vq);
	}
	mg_pk_post_indirect(g, vq, d, n, &t);
	return t;
}

static void
bad_ind_next(struct mg *g, uint32_t vq)
{
	/* A good buffer follows, which NEXT would pull in. */
	struct mg_pdesc d = {mg_gpa(g, zbuf(g, 200)), 200, rw(vq)};

	ind_good(g, vq, 3);
	mg_pk_head_flags_or(g, vq, TV_DESC_F_NEXT);
	mg_pk_post(g, vq, &d, 1);
}

static void
bad_ind_len0(struct mg *g, uint32_t vq)
{
	ind_good(g, vq, 3);
	mg_pk_head(g, vq)->len = 0;
}

static void
bad_ind_len20(struct mg *g, uint32_t vq)
{
	ind_good(g, vq, 3);
	mg_pk_head(g, vq)->len = 20;
}

/* num + 1 entries (all good) */
static void
bad_ind_long(struct mg *g, uint32_t vq)
{
	const uint32_t n = g->vq[vq].num + 1;
	struct mg_pdesc *d = calloc(n, sizeof(*d));
	uint64_t b = mg_gpa(g, zbuf(g, 64));

	CHECK(d != NULL, "calloc");
	for (uint32_t i = 0; i < n; i++) {
		d[i].addr = b;
		d[i].len = i == 0 ? HDR + 50 : 1;
		d[i].flags = rw(vq);
	}
	mg_pk_post_indirect(g, vq, d, n, NULL);
	free(d);
}

static void
bad_ind_outside(struct mg *g, uint32_t vq)
{
	ind_good(g, vq, 3);
	mg_pk_head(g, vq)->addr = 0x1000; /* below guest memory */
}

/* An indirect buffer, good but for a front-end that did not negotiate
 * RING_INDIRECT_DESC. */
static void
bad_no_indirect(struct mg *g, uint32_t vq)
{
	ind_good(g, vq, 3);
}

/* Every descriptor of the ring in one list, each with NEXT. 256 bytes
 * each: the ring's 256 hold 64 KiB, within the longest packet plus its
 * header; one descriptor more (a walk bounded any later) would exceed it
 * and be counted in err_pkt_len instead. */
static void
bad_all_next(struct mg *g, uint32_t vq)
{
	const uint32_t n = g->vq[vq].num;
	struct mg_pdesc *d = calloc(n, sizeof(*d));
	uint64_t b = mg_gpa(g, zbuf(g, 256));

	CHECK(d != NULL, "calloc");
	CHECK(n * 256 <= TVH_MAX_PKT_LEN + HDR &&
		      (n + 1) * 256 > TVH_MAX_PKT_LEN + HDR,
	      "ring size for this case");
	for (uint32_t i = 0; i < n; i++) {
		d[i].addr = b;
		d[i].len = 256;
		d[i].flags = rw(vq) | TV_DESC_F_NEXT;
	}
	mg_pk_post_raw(g, vq, d, n);
	free(d);
}

static void
bad_addr_outside(struct mg *g, uint32_t vq)
{
	struct mg_pdesc d = {0x1000, 200, rw(vq)};

	mg_pk_post(g, vq, &d, 1);
}

/* Starts inside guest memory, ends past it. */
static void
bad_addr_past_end(struct mg *g, uint32_t vq)
{
	struct mg_pdesc d = {MG_GPA_BASE + MG_MEM_SIZE - 64, 4096, rw(vq)};

	mg_pk_post(g, vq, &d, 1);
}

/* 128 KiB from 50 bytes below 2^64: refused for the wrap itself, before
 * the length is judged (a transmitted packet that long would otherwise be
 * counted in err_pkt_len). */
static void
bad_addr_wrap(struct mg *g, uint32_t vq)
{
	struct mg_pdesc d = {UINT64_MAX - 50, 128u << 10, rw(vq)};

	mg_pk_post(g, vq, &d, 1);
}

static void
bad_short_hdr(struct mg *g, uint32_t vq)
{
	struct mg_pdesc d[2] = {
		{mg_gpa(g, zbuf(g, 6)), 6, 0},
		{mg_gpa(g, zbuf(g, 5)), 5, 0},
	};

	mg_pk_post(g, vq, d, 2);
}

/* The header and nothing else: in one descriptor, or as header and an
 * empty descriptor (covered by the next call of the case). */
static void
bad_empty(struct mg *g, uint32_t vq)
{
	struct mg_pdesc d[2] = {
		{mg_gpa(g, zbuf(g, HDR)), HDR, 0},
		{mg_gpa(g, zbuf(g, 16)), 0, 0},
	};

	mg_pk_post(g, vq, d, 2);
}

static void
bad_empty_one(struct mg *g, uint32_t vq)
{
	struct mg_pdesc d = {mg_gpa(g, zbuf(g, HDR)), HDR, 0};

	mg_pk_post(g, vq, &d, 1);
}

/* Receive buffers that add no room: a first buffer of just the header,
 * then indirect tables of num zero-length entries; the packet never fits
 * them, and the third buffer makes 1 + 2 (num + 1) descriptors read for
 * it, more than 2 num. */
static void
bad_rx_no_room_loop(struct mg *g, uint32_t vq)
{
	const uint32_t n = g->vq[vq].num;
	struct mg_pdesc *d = calloc(n, sizeof(*d));
	uint64_t b = mg_gpa(g, zbuf(g, 64));

	CHECK(d != NULL, "calloc");
	d[0].addr = b;
	d[0].len = HDR;
	d[0].flags = TV_DESC_F_WRITE;
	mg_pk_post(g, vq, d, 1);
	for (uint32_t i = 0; i < n; i++) {
		d[i].addr = b;
		d[i].len = 0;
		d[i].flags = TV_DESC_F_WRITE;
	}
	for (int k = 0; k < 3; k++)
		mg_pk_post_indirect(g, vq, d, n, NULL);
	free(d);
}

/* With MRG_RXBUF, a first buffer of 4 bytes (a good one follows): the
 * header must fit the first buffer (virtio 1.2, 5.1.6.3.1), as on split
 * rings; not a byte is written. */
static void
bad_rx_tiny(struct mg *g, uint32_t vq)
{
	struct mg_pdesc d = {mg_gpa(g, zbuf(g, 64)), 4, TV_DESC_F_WRITE};

	mg_pk_post(g, vq, &d, 1);
	mg_pk_rx_post(g, vq, 1, 2048, false);
}

/* A good one-descriptor buffer, then a list of the num - 1 descriptors
 * after it, all with NEXT: the list's next descriptor would be the good
 * buffer's, taken in the same burst and not returned yet (the flags of a
 * list's later descriptors are not judged). The good packet is served,
 * the list is refused (err_chain_loop), nothing is read twice. */
static void
test_list_into_taken(struct mg *g)
{
	const char *what = "tx list running into a buffer of the same burst";
	const uint32_t num = g->vq[1].num;
	static uint8_t pkt[200];
	struct mg_pdesc *d = calloc(num - 1, sizeof(*d));
	uint64_t before = counter(1, CNT(err_chain_loop));
	uint64_t errs = all_errors(1);
	struct rte_mbuf *m[4];
	uint32_t half, base;
	uint16_t id, bad_at;
	uint64_t b;

	CHECK(d != NULL, "calloc");
	mg_round_reset(g);
	b = mg_gpa(g, zbuf(g, 64));
	mg_fill(pkt, sizeof(pkt), 9);
	id = mg_pk_tx_post(g, 1, MG_TX_HDR_SAME, pkt, sizeof(pkt), HDR, 0);
	bad_at = g->vq[1].avail_idx;
	for (uint32_t i = 0; i < num - 1; i++) {
		d[i].addr = b;
		d[i].len = 64;
		d[i].flags = TV_DESC_F_NEXT;
	}
	mg_pk_post_raw(g, 1, d, num - 1);
	free(d);
	CHECK(tvh_dequeue_burst(dev, 1, mp, m, 4) == 1 &&
		      mg_mbuf_cmp(m[0], pkt, sizeof(pkt)) == 0,
	      "%s: not exactly the good packet served", what);
	rte_pktmbuf_free(m[0]);
	expect_used(g, 1, id, 0, what);
	expect_no_used(g, 1, what);
	CHECK(counter(1, CNT(err_chain_loop)) == before + 1,
	      "%s: err_chain_loop %lu -> %lu", what, before,
	      counter(1, CNT(err_chain_loop)));
	CHECK(all_errors(1) == errs + 1, "%s: other counters moved", what);
	/* Set up again at the bad list, as run_case does. */
	half = mg_pk_base_of(bad_at, num);
	base = mg_vq_stop(g, 1);
	CHECK(base == (half | half << 16), "%s: base 0x%x, expected 0x%x",
	      what, base, half | half << 16);
	mg_pk_rewind(g, 1, base);
	mg_round_reset(g);
	CHECK(mg_vq_setup(g, 1, num) == 0, "%s: restart", what);
	good_tx(g, true, what);
	mg_round_reset(g);
	printf("ok %s\n", what);
}

/* A base naming a position >= num: the ring does not start. */
static void
test_bad_base(struct mg *g)
{
	const uint32_t bad[] = {
		RING | 0x8000u,
		RING,
		0x7fffu,
		/* avail half fine, used half (which wins) beyond */
		0x8000u | (uint32_t)(0x8000u | (RING + 3)) << 16,
	};
	struct mg_vq *q = &g->vq[1];
	struct tvh_dev_stats ds0 = mg_dev_stats(dev);
	uint32_t base = stop_expect(g, 1, "before bad bases");

	mg_pk_rewind(g, 1, base);
	for (uint32_t i = 0; i < RTE_DIM(bad); i++) {
		uint16_t at = q->avail_idx;
		struct tvh_dev_stats ds;

		(void)mg_vq_setup_base(g, 1, RING, bad[i]);
		ds = mg_dev_stats(dev);
		CHECK(ds.err_ring == ds0.err_ring + i + 1,
		      "base 0x%x: err_ring %lu, expected %lu", bad[i],
		      ds.err_ring, ds0.err_ring + i + 1);
		CHECK(!tvh_vq_is_enabled(dev, 1), "base 0x%x: ring started",
		      bad[i]);
		good_tx(g, false, "bad base");
		mg_pk_rewind(g, 1, mg_pk_base_of(at, RING));
		mg_round_reset(g);
	}
	CHECK(mg_vq_setup(g, 1, RING) == 0, "good base");
	CHECK(tvh_vq_is_enabled(dev, 1), "ring not started");
	good_tx(g, true, "after bad bases");
	mg_round_reset(g);
	printf("ok SET_VRING_BASE beyond the ring: not started, err_ring\n");
}

void
hostile_session(struct mg *g)
{
	good_tx(g, true, "start");
	good_rx(g, true, "start");
	mg_round_reset(g);

	run_case(g, "tx WRITE descriptor in a list", 1, CNT(err_desc_flags),
		 bad_flags);
	run_case(g, "tx indirect with NEXT", 1, CNT(err_indirect),
		 bad_ind_next);
	run_case(g, "tx indirect table of 0 bytes", 1, CNT(err_indirect),
		 bad_ind_len0);
	run_case(g, "tx indirect table of 20 bytes", 1, CNT(err_indirect),
		 bad_ind_len20);
	run_case(g, "tx indirect table of num + 1", 1, CNT(err_indirect),
		 bad_ind_long);
	run_case(g, "tx indirect table outside memory", 1, CNT(err_desc_addr),
		 bad_ind_outside);
	run_case(g, "tx list longer than the ring", 1, CNT(err_chain_loop),
		 bad_all_next);
	run_case(g, "tx address outside memory", 1, CNT(err_desc_addr),
		 bad_addr_outside);
	run_case(g, "tx buffer past the end of memory", 1, CNT(err_desc_addr),
		 bad_addr_past_end);
	run_case(g, "tx addr + len wraps", 1, CNT(err_desc_addr),
		 bad_addr_wrap);
	run_case(g, "tx list shorter than the header", 1, CNT(err_hdr),
		 bad_short_hdr);
	run_case(g, "tx empty packet (header + 0 bytes)", 1, CNT(err_pkt_len),
		 bad_empty);
	run_case(g, "tx empty packet (header only)", 1, CNT(err_pkt_len),
		 bad_empty_one);

	run_case(g, "rx read-only descriptor in a buffer", 0,
		 CNT(err_desc_flags), bad_flags);
	run_case(g, "rx indirect with NEXT", 0, CNT(err_indirect),
		 bad_ind_next);
	run_case(g, "rx indirect table of 0 bytes", 0, CNT(err_indirect),
		 bad_ind_len0);
	run_case(g, "rx indirect table of 20 bytes", 0, CNT(err_indirect),
		 bad_ind_len20);
	run_case(g, "rx indirect table of num + 1", 0, CNT(err_indirect),
		 bad_ind_long);
	run_case(g, "rx indirect table outside memory", 0, CNT(err_desc_addr),
		 bad_ind_outside);
	run_case(g, "rx list longer than the ring", 0, CNT(err_chain_loop),
		 bad_all_next);
	run_case(g, "rx address outside memory", 0, CNT(err_desc_addr),
		 bad_addr_outside);
	run_case(g, "rx buffer past the end of memory", 0, CNT(err_desc_addr),
		 bad_addr_past_end);
	run_case(g, "rx addr + len wraps", 0, CNT(err_desc_addr),
		 bad_addr_wrap);
	run_case(g, "rx buffers adding no room", 0, CNT(err_chain_loop),
		 bad_rx_no_room_loop);
	run_case(g, "rx first buffer shorter than the header", 0, CNT(err_hdr),
		 bad_rx_tiny);
	test_list_into_taken(g);
	test_bad_base(g);
}

void
noind_session(struct mg *g)
{
	run_case(g, "tx indirect without RING_INDIRECT_DESC", 1,
		 CNT(err_indirect), bad_no_indirect);
	run_case(g, "rx indirect without RING_INDIRECT_DESC", 0,
		 CNT(err_indirect), bad_no_indirect);
}
