/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * test_tv_packed_tx.c - unit tests of net_tandem_virtio's packed-ring TX
 * (drivers/net/tandem_virtio/tv_packed.c, tv_queue.c) with this program
 * playing the device (tvt_packed.h): many laps of every kind of packet,
 * hostile used descriptors, and the handoff to a new device, also over a
 * ring the old one left dirty and without memory.
 *
 * Checks payload bytes, headers, descriptor fields and flags, ids, the
 * order chains go out in, counters, kicks, that every mbuf goes back to
 * its pool and that no fd leaks. Linked with --wrap=malloc (meson.build)
 * so that the handoff's one allocation can fail. Needs EAL (--no-huge);
 * fails if EAL does not start.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_mbuf.h>

#include "tvt_packed.h"

/* ---- TX ---- */

/* Random mixes of every kind of packet over many laps; the device takes
 * all and completes a random number each round. */
static void
test_tx_laps(uint16_t num, enum tx_mode mode, bool push, bool bulk)
{
	struct tv_dp_features f = feat(mode != TM_REVERSE, true);
	struct rte_mbuf *pkts[8];
	unsigned int out[MAXN], keeps[TPN], nout = 0, nkeeps = 0;
	unsigned int next = 0, sent = 0, taken = 0, done = 0, wraps = 0;
	unsigned int descs_out = 0, rounds = 0, i, j;
	const unsigned int target = 5u * num + 8;
	uint64_t bytes = 0;
	struct tv_txq *txq;
	struct pdev d;

	f.tx_hdr_push = push;
	f.bulk = bulk;
	txq = tx_setup(num, &f, &d);
	CHECK(txq->packed && txq->pring.driver->flags == EV_DISABLE);
	while (sent < target && rounds++ < 10 * target) {
		unsigned int b = 1 + rnd() % 8, off = 0;

		for (i = 0; i < b; i++) {
			struct txp *p = &tp[(next + i) % TPN];

			pkts[i] = mk_tx(pool, p, next + i, rnd() % K_END,
					rnd() % 300, 2 + rnd() % 2, push);
			if (p->keep != NULL)
				keeps[nkeeps++] = next + i;
		}
		next += b;
		while (off < b) {
			uint16_t n = tv_tx_burst_packed(txq, pkts + off,
							(uint16_t)(b - off));

			for (j = sent; j < sent + n; j++) {
				descs_out += tp[j % TPN].ndesc;
				bytes += tp[j % TPN].len;
			}
			sent += n;
			off += n;
			CHECK(txq->n_inflight == sent - done);
			CHECK(txq->nb_free == num - descs_out);
			release_keeps(keeps, &nkeeps);
			nout = pd_tx_take_all(&d, txq, &taken, sent, out, nout,
					      &wraps);
			CHECK(taken == sent);
			i = rnd() % (nout + 1);
			if (off < b && i == 0)
				i = 1; /* ring full: make room */
			if (i > nout) {
				CHECK(!"tx stalled");
				rte_pktmbuf_free_bulk(pkts + off, b - off);
				break;
			}
			descs_out -= pd_tx_complete(&d, out, &nout, i, mode);
			done += i;
		}
	}
	CHECK(sent >= target);
	descs_out -= pd_tx_complete(&d, out, &nout, nout, mode);
	CHECK(tv_tx_burst_packed(txq, NULL, 0) == 0);
	release_keeps(keeps, &nkeeps);
	CHECK(nkeeps == 0 && descs_out == 0);
	CHECK(txq->stats.packets == sent && txq->stats.bytes == bytes);
	tx_fill_exactly(txq, &d, &next, &taken, mode);
	if (num <= 8)
		CHECK(wraps > 0); /* some list crossed the ring end */
	CHECK(!txq->broken && txq->stats.err_used_id == 0);
	CHECK(txq->stats.packets == next);
	tv_txq_free(txq);
	CHECK(rte_mempool_avail_count(pool) == pool_full);
}

enum tx_fault { TF_RANGE, TF_NOT_INFLIGHT, TF_TWICE, TF_MID_CHAIN, TF_END };

/* A chain of 3 descriptors and two simple packets; the device names a
 * wrong id. The queue stops; a handoff sends what is outstanding again. */
static void
test_tx_fault(enum tx_fault fault, bool in_order)
{
	struct tv_dp_features f = feat(in_order, true);
	struct rte_mbuf *pkts[3], *extra;
	unsigned int out[MAXN], nout, taken = 0, wraps = 0, i, tail;
	struct tv_vring_info vi;
	struct tv_txq *txq;
	struct pdev d;

	txq = tx_setup(8, &f, &d);
	pkts[0] = mk_tx(pool, &tp[0], 0, K_CHAIN, 90, 2, true);
	pkts[1] = mk_tx(pool, &tp[1], 1, K_SIMPLE, 60, 1, true);
	pkts[2] = mk_tx(pool, &tp[2], 2, K_SIMPLE, 70, 1, true);
	CHECK(tv_tx_burst_packed(txq, pkts, 3) == 3);
	nout = pd_tx_take_all(&d, txq, &taken, 3, out, 0, &wraps);
	CHECK(nout == 3);
	switch (fault) {
	case TF_RANGE:
		pd_used(&d, 8, 0, 1, 0);
		break;
	case TF_NOT_INFLIGHT:
		pd_used(&d, 5, 0, 1, 0); /* no chain has id 5 */
		break;
	case TF_TWICE:
		pd_used(&d, tp[0].id, 0, 3, 0);
		pd_used(&d, tp[0].id, 0, 3, 0);
		break;
	default:
		pd_used(&d, 1, 0, 3, 0); /* inside chain 0 (positions 0-2) */
		break;
	}
	extra = mk_tx(pool, &tp[3], 3, K_SIMPLE, 50, 1, true);
	CHECK(tv_tx_burst_packed(txq, &extra, 1) == 0);
	CHECK(txq->broken && txq->stats.err_used_id == 1);
	CHECK(txq->n_inflight == (fault == TF_TWICE ? 2 : 3));
	CHECK(tv_tx_burst_packed(txq, &extra, 1) == 0);

	CHECK(tv_txq_handoff(txq) == 0);
	CHECK(!txq->broken && txq->stats.recoveries == 1);
	tail = fault == TF_TWICE ? 3 : 0;
	tv_txq_vring_info(txq, &vi);
	CHECK(vi.base == ((uint32_t)ow((uint16_t)tail, 8) * 0x10001u));
	pd_attach(&d, &txq->pring, (uint16_t)vi.base);
	taken = fault == TF_TWICE ? 1 : 0;
	nout = pd_tx_take_all(&d, txq, &taken, 3, out, 0, &wraps);
	CHECK(taken == 3); /* exactly the chains still outstanding */
	CHECK(tv_tx_burst_packed(txq, &extra, 1) == 1);
	nout = pd_tx_take_all(&d, txq, &taken, 4, out, nout, &wraps);
	CHECK(taken == 4);
	pd_tx_complete(&d, out, &nout, nout, in_order ? TM_EACH : TM_REVERSE);
	CHECK(tv_tx_burst_packed(txq, NULL, 0) == 0);
	CHECK(txq->n_inflight == 0 && txq->nb_free == 8 && !txq->broken);
	i = 4;
	tx_fill_exactly(txq, &d, &i, &taken, in_order ? TM_BATCH : TM_REVERSE);
	tv_txq_free(txq);
	CHECK(rte_mempool_avail_count(pool) == pool_full);
}

/* ---- Handoff ---- */

/* Outstanding chains, one of them completed by the old device but not
 * taken yet: the handoff takes the completion, then lists exactly the
 * others from the base it reports, ids kept. */
static void
test_tx_handoff(bool in_order)
{
	struct tv_dp_features f = feat(in_order, true);
	const enum tx_mode mode = in_order ? TM_EACH : TM_REVERSE;
	unsigned int out[MAXN], nout, taken = 0, wraps = 0, pkt = 0, i;
	unsigned int found = 0, tail;
	struct rte_mbuf *pkts[4];
	struct tv_vring_info vi;
	struct tv_txq *txq;
	struct pchain c;
	struct pdev d;

	txq = tx_setup(8, &f, &d);
	/* Eleven packets through: the next lap, position 3. */
	tx_pass(txq, &d, &pkt, &taken, 11, mode);
	CHECK(txq->n_inflight == 0 && txq->desc_tail == 11);
	pkts[0] = mk_tx(pool, &tp[11], 11, K_CHAIN, 100, 2, true);
	pkts[1] = mk_tx(pool, &tp[12], 12, K_SIMPLE, 61, 1, true);
	pkts[2] = mk_tx(pool, &tp[13], 13, K_SIMPLE, 62, 1, true);
	pkts[3] = mk_tx(pool, &tp[14], 14, K_SHARED, 63, 1, true);
	CHECK(tv_tx_burst_packed(txq, pkts, 4) == 4);
	nout = pd_tx_take_all(&d, txq, &taken, 15, out, 0, &wraps);
	CHECK(nout == 4);
	/* In order: the oldest completes; else the second one. */
	pd_used(&d, tp[in_order ? 11 : 12].id, 0, tp[in_order ? 11 : 12].ndesc,
		0);
	tp[in_order ? 11 : 12].done = true;

	CHECK(tv_txq_handoff(txq) == 0);
	tail = 11 + tp[in_order ? 11 : 12].ndesc;
	CHECK(txq->desc_tail == tail && txq->n_inflight == 3);
	CHECK(txq->nb_free == 8 - (in_order ? 4 : 6));
	CHECK(txq->stats.recoveries == 0);
	tv_txq_vring_info(txq, &vi);
	CHECK(vi.num == 8 && vi.desc == (uintptr_t)txq->pring.desc);
	CHECK(vi.avail == (uintptr_t)txq->pring.driver &&
	      vi.used == (uintptr_t)txq->pring.device);
	CHECK(vi.base == ((uint32_t)ow((uint16_t)tail, 8) * 0x10001u));
	pd_attach(&d, &txq->pring, (uint16_t)vi.base);
	nout = 0;
	while (pd_take(&d, &c)) {
		for (i = 11; i < 15; i++)
			if (!tp[i].done && tp[i].id == c.id)
				break;
		CHECK(i < 15 && !(found & (1u << i)));
		if (i == 15)
			break;
		found |= 1u << i;
		tx_check_chain(txq, &c, &tp[i], in_order);
		if (in_order)
			CHECK(i == 12 + nout); /* still in ring order */
		out[nout++] = i;
	}
	CHECK(nout == 3);
	pd_tx_complete(&d, out, &nout, nout, in_order ? TM_BATCH : mode);
	CHECK(tv_tx_burst_packed(txq, NULL, 0) == 0);
	CHECK(txq->n_inflight == 0 && txq->nb_free == 8);
	CHECK(rte_mbuf_refcnt_read(tp[14].keep) == 1);
	rte_pktmbuf_free(tp[14].keep);
	pkt = 15;
	taken = 15;
	tx_fill_exactly(txq, &d, &pkt, &taken, mode);
	tv_txq_free(txq);
	CHECK(rte_mempool_avail_count(pool) == pool_full);
}

/* ---- Handoff over a ring the old device left dirty ---- */

/* The chains P0-P7 of test_tx_handoff_dirty: kind, segments. */
static const struct {
	enum pkind kind;
	uint16_t nsegs;
} dirty_pkts[8] = {
	{K_CHAIN, 2},  {K_SIMPLE, 1}, {K_NOROOM, 1}, {K_SIMPLE, 1},
	{K_SIMPLE, 1}, {K_SIMPLE, 1}, {K_CHAIN, 3},  {K_SIMPLE, 1},
};

/* The old device completes packets first + which[k], k < n, in that
 * order: one used descriptor each. */
static void
pd_tx_done(struct pdev *d, unsigned int first, const unsigned int *which,
	   unsigned int n)
{
	unsigned int k;

	for (k = 0; k < n; k++) {
		struct txp *p = &tp[first + which[k]];

		pd_used(d, p->id, 0, p->ndesc, 0);
		p->done = true;
	}
}

/* Thirteen packets through, so that what follows crosses the ring's end;
 * then P0-P4, which the old device takes and of which it completes two
 * (without IN_ORDER P3, then P0: their ids come back first, LIFO); P5-P7
 * (P5 and P6 then carry P0's and P3's ids); the old device takes P5 and
 * P6 only and completes one more, which the handoff's reclaim finds (in
 * order P2, else P5). Without IN_ORDER the chains in flight, P1 P2 P4 P6
 * P7 in the order they were submitted, have ids 1 2 4 3 5. Before the
 * handoff the old device scribbles on the header of every chain in
 * flight, makes every descriptor beyond them look available for the lap
 * the next device reaches there, and leaves its event structure asking
 * for a notification at a descriptor nobody makes available soon. After
 * it:
 * (a) the descriptors beyond the chains say "used on the lap before", and
 *     a new device from the base the driver reports takes exactly the
 *     chains in flight, then finds nothing;
 * (b) it gets them in the order they were submitted, ids kept;
 * (c) each with a zero virtio-net header;
 * (d) the device's event structure is a fresh ring's (ENABLE, off_wrap
 *     0), so the next burst notifies.
 * seq_wrap: the chains' sequence numbers pass 2^32 among P0-P7. */
static void
test_tx_handoff_dirty(bool in_order, bool seq_wrap)
{
	static const unsigned int early[2][2] = {{3, 0}, {0, 1}};
	const unsigned int late = in_order ? 2 : 5;
	const uint16_t num = 16;
	const struct tv_dp_features f = feat(in_order, true);
	const enum tx_mode mode = in_order ? TM_EACH : TM_REVERSE;
	unsigned int out[MAXN], nout = 0, taken = 0, wraps = 0, pkt = 0, i;
	struct rte_mbuf *pkts[9];
	uint16_t old_id[8], tail, head = 13;
	struct tv_vring_info vi;
	struct tv_txq *txq;
	struct pchain c;
	struct pdev d;
	uint64_t kicks;

	txq = tx_setup(num, &f, &d);
	tx_pass(txq, &d, &pkt, &taken, 13, mode);
	CHECK(txq->desc_tail == 13);
	if (seq_wrap)
		txq->next_seq = UINT32_MAX - 1;
	for (i = 0; i < 8; i++) {
		pkts[i] = mk_tx(pool, &tp[pkt + i], pkt + i, dirty_pkts[i].kind,
				50 + 10 * i, dirty_pkts[i].nsegs, true);
		head += tp[pkt + i].ndesc;
	}
	CHECK(tv_tx_burst_packed(txq, pkts, 5) == 5);
	CHECK(pd_tx_take_all(&d, txq, &taken, pkt + 5, out, 0, &wraps) == 5);
	pd_tx_done(&d, pkt, early[in_order], 2);
	CHECK(tv_tx_burst_packed(txq, pkts + 5, 3) == 3);
	CHECK(txq->desc_head == head && txq->n_inflight == 6);
	for (i = 5; i < 7; i++)
		CHECK(pd_tx_take_one(&d, txq, &tp[pkt + i]));
	if (!in_order)
		CHECK(tp[pkt + 5].id == tp[pkt].id &&
		      tp[pkt + 6].id == tp[pkt + 3].id);
	pd_tx_done(&d, pkt, &late, 1);
	for (i = 0; i < 8; i++) {
		struct txp *p = &tp[pkt + i];

		old_id[i] = p->id;
		if (!p->done && p->ndesc == 1)
			memset(rte_pktmbuf_mtod(p->m, char *) - HDR, 0x5a, HDR);
	}
	memset(txq->hdrs, 0x5a, num * sizeof(txq->hdrs[0]));
	pd_leave_dirty(&txq->pring, head, (uint16_t)(txq->desc_tail + num), 0,
		       64, EV_DESC, ow((uint16_t)(head + 5), num));

	CHECK(tv_txq_handoff(txq) == 0);
	tail = 13;
	for (i = 0; i < 8; i++)
		if (tp[pkt + i].done)
			tail += tp[pkt + i].ndesc;
	CHECK(tail == (in_order ? 19 : 18));
	CHECK(txq->desc_tail == tail && txq->desc_head == head);
	CHECK(txq->n_inflight == 5 && txq->nb_free == num - (head - tail));
	CHECK(!txq->broken && txq->stats.recoveries == 0);
	/* (d), (a) */
	check_event_fresh(&txq->pring);
	check_ring_settled(&txq->pring, head, (uint16_t)(tail + num));
	tv_txq_vring_info(txq, &vi);
	CHECK(vi.base == ((uint32_t)ow(tail, num) * 0x10001u));
	pd_attach(&d, &txq->pring, (uint16_t)vi.base);
	for (i = 0; i < 8; i++) {
		struct txp *p = &tp[pkt + i];

		if (p->done)
			continue;
		/* (b), (c): tx_check_chain checks payload and header. */
		CHECK(pd_tx_take_one(&d, txq, p));
		if (i != 7) /* the old device never took P7 */
			CHECK(p->id == old_id[i]);
		out[nout++] = pkt + i;
	}
	CHECK(nout == 5);
	CHECK(!pd_take(&d, &c)); /* (a) */

	/* (d): the next burst notifies the new device. */
	kick_read(txq->kick_fd);
	kicks = txq->stats.kicks;
	pkts[8] = mk_tx(pool, &tp[pkt + 8], pkt + 8, K_SIMPLE, 90, 1, true);
	CHECK(tv_tx_burst_packed(txq, &pkts[8], 1) == 1);
	CHECK(txq->stats.kicks == kicks + 1 && kick_read(txq->kick_fd) == 1);
	CHECK(pd_tx_take_one(&d, txq, &tp[pkt + 8]));
	CHECK(!pd_take(&d, &c));
	out[nout++] = pkt + 8;
	pd_tx_complete(&d, out, &nout, nout, mode);
	CHECK(tv_tx_burst_packed(txq, NULL, 0) == 0);
	CHECK(txq->n_inflight == 0 && txq->nb_free == num && !txq->broken);
	pkt += 9;
	taken = pkt;
	tx_fill_exactly(txq, &d, &pkt, &taken, mode);
	CHECK(txq->stats.err_used_id == 0);
	tv_txq_free(txq);
	CHECK(rte_mempool_avail_count(pool) == pool_full);
}

/* ---- Handoff without memory ----
 *
 * Without IN_ORDER the handoff sorts the chains in flight in memory it
 * allocates: the program is linked with --wrap=malloc, and malloc fails
 * while malloc_fails is set. */

void *__real_malloc(size_t size);
void *__wrap_malloc(size_t size);

static bool malloc_fails;

void *
__wrap_malloc(size_t size)
{
	if (malloc_fails)
		return NULL;
	return __real_malloc(size);
}

/* Three chains in flight, one of them completed by the old device (not
 * reclaimed yet), and the queue broken by it or not. Without memory the
 * handoff of a queue without IN_ORDER returns -ENOMEM and leaves the
 * queue as it was: ring, records, broken or not; the queue runs on (or
 * stays stopped). With IN_ORDER it needs none. Then a handoff with memory
 * hands the chains still in flight over. */
static void
test_tx_handoff_nomem(bool in_order, bool broken)
{
	const struct tv_dp_features f = feat(in_order, true);
	const uint16_t num = 8;
	unsigned int out[MAXN], nout, taken = 0, wraps = 0, i;
	uint8_t *ring;
	struct tv_tx_slot sw[8];
	uint16_t ids[8];
	struct rte_mbuf *pkts[3];
	struct tv_txq *txq, q;
	struct pchain c;
	struct pdev d;
	int ret;

	txq = tx_setup(num, &f, &d);
	ring = malloc(txq->ring_bytes);
	REQUIRE(ring != NULL);
	pkts[0] = mk_tx(pool, &tp[0], 0, K_CHAIN, 90, 2, true);
	pkts[1] = mk_tx(pool, &tp[1], 1, K_SIMPLE, 60, 1, true);
	pkts[2] = mk_tx(pool, &tp[2], 2, K_SIMPLE, 70, 1, true);
	CHECK(tv_tx_burst_packed(txq, pkts, 3) == 3);
	nout = pd_tx_take_all(&d, txq, &taken, 3, out, 0, &wraps);
	CHECK(nout == 3);
	pd_used(&d, tp[0].id, 0, tp[0].ndesc, 0);
	tp[0].done = true;
	if (broken) {
		pd_used(&d, num, 0, 1, 0); /* no such id */
		CHECK(tv_tx_burst_packed(txq, NULL, 0) == 0);
		CHECK(txq->broken && txq->n_inflight == 2);
	}
	memcpy(&q, txq, sizeof(q));
	memcpy(ring, txq->ring_mem, txq->ring_bytes);
	memcpy(sw, txq->sw, sizeof(sw));
	memcpy(ids, txq->free_ids, sizeof(ids));

	malloc_fails = true;
	ret = tv_txq_handoff(txq);
	malloc_fails = false;
	if (!in_order) {
		CHECK(ret == -ENOMEM);
		CHECK(memcmp(&q, txq, sizeof(q)) == 0);
		CHECK(memcmp(ring, txq->ring_mem, txq->ring_bytes) == 0);
		CHECK(memcmp(sw, txq->sw, sizeof(sw)) == 0);
		CHECK(memcmp(ids, txq->free_ids, sizeof(ids)) == 0);
		CHECK(txq->broken == broken && txq->stats.recoveries == 0);
		/* The gate is open again: a burst runs (a healthy queue
		 * reclaims the completed chain, a broken one stays put). */
		CHECK(tv_tx_burst_packed(txq, NULL, 0) == 0);
		CHECK(txq->n_inflight == 2);
		ret = tv_txq_handoff(txq);
	}
	CHECK(ret == 0);
	CHECK(!txq->broken && txq->stats.recoveries == broken);
	CHECK(txq->n_inflight == 2 && txq->desc_tail == tp[0].ndesc);
	pd_attach(&d, &txq->pring, ow(tp[0].ndesc, num));
	for (i = 1; i < 3; i++)
		CHECK(pd_tx_take_one(&d, txq, &tp[i]));
	CHECK(!pd_take(&d, &c));
	out[0] = 1;
	out[1] = 2;
	nout = 2;
	pd_tx_complete(&d, out, &nout, nout, in_order ? TM_BATCH : TM_REVERSE);
	CHECK(tv_tx_burst_packed(txq, NULL, 0) == 0);
	CHECK(txq->n_inflight == 0 && txq->nb_free == num);
	free(ring);
	tv_txq_free(txq);
	CHECK(rte_mempool_avail_count(pool) == pool_full);
}

int
main(int argc, char **argv)
{
	int fds_before, rc;

	RTE_SET_USED(argc);
	rc = tvt_packed_start(argv[0], "tvpacked_tx");
	if (rc != 0)
		return rc;
	fds_before = tt_count_fds();

	for (int in_order = 0; in_order < 2; in_order++) {
		for (int fault = 0; fault < TF_END; fault++)
			if (fault != TF_MID_CHAIN || in_order)
				test_tx_fault((enum tx_fault)fault, in_order);
		test_tx_handoff(in_order);
		test_tx_handoff_dirty(in_order, false);
		test_tx_handoff_nomem(in_order, false);
		test_tx_handoff_nomem(in_order, true);
	}
	test_tx_handoff_dirty(false, true);
	for (int mode = TM_BATCH; mode <= TM_REVERSE; mode++) {
		test_tx_laps(8, (enum tx_mode)mode, true, true);
		test_tx_laps(64, (enum tx_mode)mode, true, false);
		test_tx_laps(8, (enum tx_mode)mode, false, true);
	}
	return tvt_finish("test_tv_packed_tx", fds_before, pool, pool_full);
}
