/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * test_tv_packed.c - unit tests of net_tandem_virtio's packed-ring datapath
 * (drivers/net/tandem_virtio/tv_packed.c, tv_queue.c) with this program
 * playing the device: a small packed-ring device written here from virtio
 * 1.2 section 2.8 (its own position and wrap counter per side, not the
 * driver's free-running indexes) that takes available descriptors in ring
 * order, writes packets and used descriptors, and misbehaves on purpose.
 *
 * Checks payload bytes, descriptor fields and flags, ids, lengths, counters,
 * kicks, that every mbuf goes back to its pool and that no fd leaks. A
 * mempool with its own ops (spy_ops) looks at the ring while the driver is
 * in the middle of a refill or a TX burst: the burst's first descriptor must
 * not be available yet. Needs EAL (--no-huge); exits 77 (skip) if EAL
 * cannot start here.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "tv_pmd.h"
#include "tvt_backend.h"

static int failures;

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "FAIL %s:%d: %s\n", __func__,          \
				__LINE__, #cond);                              \
			failures++;                                            \
		}                                                              \
	} while (0)

/* A test that cannot go on (allocation failed): stop here. */
#define REQUIRE(cond)                                                          \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "FATAL %s:%d: %s\n", __func__,         \
				__LINE__, #cond);                              \
			exit(1);                                               \
		}                                                              \
	} while (0)

/* Spec values (section 2.8), written out rather than taken from tv_vring.h. */
#define HDR	   12u
#define P_NEXT	   0x1u
#define P_WRITE	   0x2u
#define P_AVAIL	   0x80u
#define P_USED	   0x8000u
#define EV_ENABLE  0u
#define EV_DISABLE 1u
#define EV_DESC	   2u
#define MAXN	   256
#define MAXSEG	   16
#define PORT	   5
#define BASE0	   0x8000u /* a fresh ring: position 0, wrap counter 1 */

static struct rte_mempool *pool, *spy_pool;
static unsigned int pool_full, spy_full;
static uint32_t rnd_state = 0x2545f491;

static uint32_t
rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 17;
	rnd_state ^= rnd_state << 5;
	return rnd_state;
}

static uint8_t
pattern(unsigned int pkt, unsigned int i)
{
	return (uint8_t)(pkt * 31 + i * 7 + 1);
}

static struct tv_dp_features
feat(bool in_order, bool mrg)
{
	return (struct tv_dp_features){
		.mrg_rxbuf = mrg,
		.in_order = in_order,
		.event_idx = true,
		.packed = true,
		.fixed_avail = true,
		.tx_hdr_push = true,
		.bulk = true,
	};
}

/* off_wrap of free-running descriptor index idx: position, and the wrap
 * counter, which starts at 1 and flips every lap. */
static uint16_t
ow(uint16_t idx, uint16_t num)
{
	return (uint16_t)((idx % num) | ((((idx / num) & 1) == 0) << 15));
}

/* ---- The fake packed device ---- */

struct pdev {
	struct tv_packed_desc *desc;
	uint16_t num;
	uint16_t apos, upos; /* next descriptor to read, to write used */
	bool awrap, uwrap;   /* the device's ring wrap counters */
	bool held[MAXN];     /* buffer id taken and not returned yet */
	uint64_t addr[MAXN]; /* RX: buffer address of id, as taken */
	uint32_t len[MAXN];
};

struct pchain {
	uint16_t id, ndesc, pos;
	bool wrapped; /* the list crossed the end of the ring */
	struct tv_packed_desc d[MAXSEG];
};

/* Start at `base`: what SET_VRING_BASE would say (position | wrap << 15). */
static void
pd_attach(struct pdev *d, struct tv_packed *ring, uint16_t base)
{
	memset(d, 0, sizeof(*d));
	d->desc = ring->desc;
	d->num = (uint16_t)ring->num;
	d->apos = d->upos = base & 0x7fff;
	d->awrap = d->uwrap = (base >> 15) != 0;
}

static void
pd_step(uint16_t *pos, bool *wrap, uint16_t n, uint16_t num)
{
	*pos = (uint16_t)(*pos + n);
	if (*pos >= num) {
		*pos = (uint16_t)(*pos - num);
		*wrap = !*wrap;
	}
}

static bool
pd_is_avail(uint16_t flags, bool wrap)
{
	return ((flags & P_AVAIL) != 0) == wrap &&
	       ((flags & P_USED) != 0) != wrap;
}

/* Take the next available buffer (a descriptor list) in ring order. */
static bool
pd_take(struct pdev *d, struct pchain *c)
{
	uint16_t pos = d->apos;
	bool wrap = d->awrap;

	c->ndesc = 0;
	c->pos = pos;
	c->wrapped = false;
	for (;;) {
		const struct tv_packed_desc *x = &d->desc[pos];
		uint16_t flags = __atomic_load_n(&x->flags, __ATOMIC_ACQUIRE);

		if (!pd_is_avail(flags, wrap)) {
			CHECK(c->ndesc ==
			      0); /* a list is made available whole */
			return false;
		}
		if (c->ndesc == MAXSEG) {
			CHECK(!"descriptor list too long");
			return false;
		}
		c->d[c->ndesc] = *x;
		c->d[c->ndesc].flags = flags;
		/* Tandem writes the id into every descriptor of a list. */
		CHECK(x->id == c->d[0].id);
		c->ndesc++;
		pd_step(&pos, &wrap, 1, d->num);
		if (!(flags & P_NEXT))
			break;
		if (pos == 0)
			c->wrapped = true;
	}
	c->id = c->d[c->ndesc - 1].id;
	CHECK(c->id < d->num);
	if (c->id < d->num) {
		CHECK(!d->held[c->id]); /* an id is never out twice */
		d->held[c->id] = true;
	}
	d->apos = pos;
	d->awrap = wrap;
	return true;
}

/* Mark buffer `id` used: id and len, then the flags (release), at the next
 * used position; the next one is ndesc descriptors further on. */
static void
pd_used(struct pdev *d, uint16_t id, uint32_t len, uint16_t ndesc,
	uint16_t extra)
{
	struct tv_packed_desc *x = &d->desc[d->upos];

	if (id < d->num)
		d->held[id] = false;
	x->id = id;
	x->len = len;
	__atomic_store_n(&x->flags,
			 (uint16_t)(extra | (d->uwrap ? P_AVAIL | P_USED : 0)),
			 __ATOMIC_RELEASE);
	pd_step(&d->upos, &d->uwrap, ndesc, d->num);
}

/* RX: take every buffer made available, append the ids to tk[]. */
static unsigned int
pd_rx_take_all(struct pdev *d, uint16_t *tk, unsigned int ntk, uint32_t buf_len,
	       bool in_order)
{
	struct pchain c;

	while (pd_take(d, &c)) {
		CHECK(c.ndesc == 1);
		CHECK(c.d[0].flags & P_WRITE);
		CHECK(c.d[0].len == buf_len);
		if (in_order)
			CHECK(c.id == c.pos);
		d->addr[c.id % MAXN] = c.d[0].addr;
		d->len[c.id % MAXN] = c.d[0].len;
		tk[ntk++] = c.id;
	}
	return ntk;
}

static uint16_t
tk_remove(uint16_t *tk, unsigned int *ntk, unsigned int at)
{
	uint16_t id = tk[at];

	memmove(&tk[at], &tk[at + 1], (*ntk - at - 1) * sizeof(tk[0]));
	(*ntk)--;
	return id;
}

/* Write packet bytes [off, off + len) into buffer `id`, after a virtio-net
 * header with num_buffers = nbuf if hdr. */
static void
pd_rx_write(struct pdev *d, uint16_t id, unsigned int pkt, unsigned int off,
	    unsigned int len, uint16_t nbuf, bool hdr)
{
	uint8_t *p = (uint8_t *)(uintptr_t)d->addr[id];
	unsigned int i;

	REQUIRE(len + (hdr ? HDR : 0) <= d->len[id]);
	if (hdr) {
		struct tv_net_hdr_mrg h = {.num_buffers = nbuf};

		memcpy(p, &h, HDR);
		p += HDR;
	}
	for (i = 0; i < len; i++)
		p[i] = pattern(pkt, off + i);
}

/* The device returns buffer tk[at] holding packet `pkt`: len bytes after a
 * header saying nbuf buffers. Returns the buffer's id. */
static uint16_t
pd_rx_pkt(struct pdev *d, uint16_t *tk, unsigned int *ntk, unsigned int at,
	  unsigned int pkt, unsigned int len, uint16_t nbuf)
{
	uint16_t id = tk_remove(tk, ntk, at);

	pd_rx_write(d, id, pkt, 0, len, nbuf, true);
	pd_used(d, id, HDR + len, 1, P_WRITE);
	return id;
}

static bool
mbuf_matches(const struct rte_mbuf *m, unsigned int pkt, unsigned int len)
{
	unsigned int off = 0, i;

	if (m->pkt_len != len)
		return false;
	for (; m != NULL; m = m->next) {
		const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);

		for (i = 0; i < m->data_len; i++)
			if (p[i] != pattern(pkt, off + i))
				return false;
		off += m->data_len;
	}
	return off == len;
}

/* A received one-buffer packet: fields, where it lies, and its bytes. */
static void
rx_check_one(const struct rte_mbuf *m, unsigned int pkt, unsigned int len,
	     uint64_t addr)
{
	CHECK(mbuf_matches(m, pkt, len));
	CHECK(m->data_len == len && m->nb_segs == 1 && m->next == NULL);
	CHECK(m->data_off == RTE_PKTMBUF_HEADROOM && m->port == PORT);
	CHECK(m->ol_flags == 0 && m->packet_type == 0);
	CHECK(rte_mbuf_refcnt_read(m) == 1);
	CHECK(rte_pktmbuf_mtod(m, uintptr_t) == addr + HDR);
}

static struct tv_rxq *
rx_setup(uint16_t num, const struct tv_dp_features *f, bool scatter,
	 struct pdev *d, struct rte_mempool *mp)
{
	struct tv_rxq *rxq = NULL;

	REQUIRE(tv_rxq_create(&rxq, PORT, 1, num, SOCKET_ID_ANY, mp) == 0);
	CHECK(tv_rxq_reset(rxq, f, scatter) == 0);
	pd_attach(d, &rxq->pring, BASE0);
	return rxq;
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
		CHECK(mbuf_matches(pkts[i], i, 40 + i));
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
		CHECK(pkts[0]->nb_segs == 3 && mbuf_matches(pkts[0], 6, total));
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
		CHECK(mbuf_matches(pkts[1], 7, 50));
		rte_pktmbuf_free_bulk(pkts, 2);
		CHECK(rxq->stats.packets == 8 && rxq->stats.drop_scatter == 0);
	} else {
		CHECK(tv_rx_burst_packed(rxq, pkts, 32) == 1);
		CHECK(mbuf_matches(pkts[0], 7, 50));
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
		CHECK(mbuf_matches(pkts[i], 100 + i, 20));
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
	CHECK(mbuf_matches(pkts[0], 0, 64) && mbuf_matches(pkts[1], 1, 64));
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
		CHECK(mbuf_matches(pkts[i], 200 + i, 70));
		rte_pktmbuf_free(pkts[i]);
	}
	CHECK(!rxq->broken && rxq->stats.packets == 34 - gone);
	tv_rxq_free(rxq);
	CHECK(rte_mempool_avail_count(pool) == pool_full);
}

/* ---- TX ---- */

enum pkind { K_SIMPLE, K_CHAIN, K_SHARED, K_NOROOM, K_CLONE, K_END };

/* A packet the test sent: what the device must find. */
struct txp {
	unsigned int pkt, len;
	enum pkind kind;
	struct rte_mbuf *m;    /* as sent; valid until completed */
	struct rte_mbuf *keep; /* our reference (shared, clone's parent) */
	uint16_t nsegs, ndesc, id;
	bool done;
};

#define TPN 512
static struct txp tp[TPN];

static struct rte_mbuf *
mk_seg(struct rte_mempool *mp, unsigned int pkt, unsigned int off,
       unsigned int len, uint16_t data_off)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	uint8_t *p;
	unsigned int i;

	REQUIRE(m != NULL);
	m->data_off = data_off;
	/* What a header pushed into the headroom would overwrite. */
	memset((char *)m->buf_addr + data_off - RTE_MIN(data_off, HDR), 0xa5,
	       RTE_MIN(data_off, HDR));
	p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)len);
	REQUIRE(p != NULL);
	for (i = 0; i < len; i++)
		p[i] = pattern(pkt, off + i);
	return m;
}

static struct rte_mbuf *
mk_tx(struct rte_mempool *mp, struct txp *p, unsigned int pkt, enum pkind kind,
      unsigned int len, unsigned int nsegs, bool push)
{
	struct rte_mbuf *m;
	unsigned int s, a;

	memset(p, 0, sizeof(*p));
	p->pkt = pkt;
	p->len = len;
	p->kind = kind;
	p->nsegs = 1;
	if (kind == K_CHAIN) {
		a = len / nsegs;
		m = mk_seg(mp, pkt, 0, a, RTE_PKTMBUF_HEADROOM);
		for (s = 1; s < nsegs; s++)
			REQUIRE(rte_pktmbuf_chain(
					m,
					mk_seg(mp, pkt, a * s,
					       s + 1 < nsegs ? a : len - a * s,
					       RTE_PKTMBUF_HEADROOM)) == 0);
		p->nsegs = (uint16_t)nsegs;
	} else if (kind == K_NOROOM) {
		m = mk_seg(mp, pkt, 0, len, (uint16_t)(rnd() % HDR));
	} else {
		m = mk_seg(mp, pkt, 0, len, RTE_PKTMBUF_HEADROOM);
		if (kind == K_SHARED) {
			rte_mbuf_refcnt_update(m, 1);
			p->keep = m;
		} else if (kind == K_CLONE) {
			p->keep = m;
			m = rte_pktmbuf_clone(m, mp);
			REQUIRE(m != NULL);
		}
	}
	p->m = m;
	p->ndesc = (uint16_t)(push && kind == K_SIMPLE ? 1 : 1 + p->nsegs);
	return m;
}

/* The device's check of a list it took against the packet sent. */
static void
tx_check_chain(const struct tv_txq *txq, const struct pchain *c,
	       const struct txp *p, bool in_order)
{
	static const uint8_t zero[HDR];
	uint8_t buf[2048];
	const struct rte_mbuf *seg = p->m;
	unsigned int got = 0, k, i;

	CHECK(c->ndesc == p->ndesc);
	if (in_order)
		CHECK(c->id == c->pos);
	for (k = 0; k < c->ndesc; k++) {
		const struct tv_packed_desc *x = &c->d[k];

		CHECK(!(x->flags & P_WRITE));
		CHECK(!!(x->flags & P_NEXT) == (k + 1 < c->ndesc));
		REQUIRE(got + x->len <= sizeof(buf));
		memcpy(buf + got, (void *)(uintptr_t)x->addr, x->len);
		got += x->len;
	}
	if (p->ndesc == 1) {
		CHECK(c->d[0].addr == rte_pktmbuf_mtod(p->m, uintptr_t) - HDR);
		CHECK(c->d[0].len == p->len + HDR);
	} else {
		CHECK(c->d[0].addr == (uintptr_t)&txq->hdrs[c->id]);
		CHECK(c->d[0].len == HDR);
		for (k = 1; k < c->ndesc && seg != NULL; k++, seg = seg->next) {
			CHECK(c->d[k].addr == rte_pktmbuf_mtod(seg, uintptr_t));
			CHECK(c->d[k].len == seg->data_len);
		}
		/* A separate header: the mbuf's headroom is left alone. */
		for (i = 1; i <= RTE_MIN(p->m->data_off, HDR); i++)
			CHECK(rte_pktmbuf_mtod(p->m, uint8_t *)[-(int)i] ==
			      0xa5);
	}
	CHECK(got == HDR + p->len);
	CHECK(memcmp(buf, zero, HDR) == 0);
	for (i = 0; i < p->len && HDR + i < got; i++)
		if (buf[HDR + i] != pattern(p->pkt, i)) {
			CHECK(!"tx payload mismatch");
			break;
		}
}

/* Take every list the driver made available; they must be the packets
 * sent, in order. Appends their numbers to out[]. */
static unsigned int
pd_tx_take_all(struct pdev *d, const struct tv_txq *txq, unsigned int *taken,
	       unsigned int sent, unsigned int *out, unsigned int nout,
	       unsigned int *wraps)
{
	struct pchain c;

	while (pd_take(d, &c)) {
		struct txp *p = &tp[*taken % TPN];

		CHECK(*taken < sent);
		if (*taken >= sent)
			break;
		tx_check_chain(txq, &c, p, txq->in_order);
		p->id = c.id;
		*wraps += c.wrapped;
		out[nout++] = (*taken)++;
	}
	return nout;
}

enum tx_mode {
	TM_BATCH,   /* IN_ORDER: one used descriptor for a batch */
	TM_EACH,    /* IN_ORDER: one per chain */
	TM_REVERSE, /* no IN_ORDER: newest first */
};

/* Complete c of the nout lists the device holds (out[]); returns the
 * number of descriptors they had. */
static unsigned int
pd_tx_complete(struct pdev *d, unsigned int *out, unsigned int *nout,
	       unsigned int c, enum tx_mode mode)
{
	unsigned int j, nd = 0;

	if (c == 0)
		return 0;
	for (j = 0; j < c; j++) {
		struct txp *p =
			&tp[out[mode == TM_REVERSE ? *nout - 1 - j : j] % TPN];

		nd += p->ndesc;
		p->done = true;
		if (mode != TM_BATCH)
			pd_used(d, p->id, 0, p->ndesc, 0);
	}
	if (mode == TM_BATCH) {
		pd_used(d, tp[out[c - 1] % TPN].id, 0, (uint16_t)nd, 0);
		for (j = 0; j < c; j++)
			d->held[tp[out[j] % TPN].id] = false;
	}
	if (mode == TM_REVERSE)
		*nout -= c;
	else
		memmove(out, out + c, (*nout -= c) * sizeof(out[0]));
	return nd;
}

/* Our own references on mbufs the driver completed: back to 1, release. */
static void
release_keeps(unsigned int *keeps, unsigned int *nkeeps)
{
	unsigned int j = 0;

	while (j < *nkeeps) {
		struct txp *p = &tp[keeps[j] % TPN];

		if (!p->done) {
			j++;
			continue;
		}
		CHECK(rte_mbuf_refcnt_read(p->keep) == 1);
		rte_pktmbuf_free(p->keep);
		p->keep = NULL;
		keeps[j] = keeps[--*nkeeps];
	}
}

static struct tv_txq *
tx_setup(uint16_t num, const struct tv_dp_features *f, struct pdev *d)
{
	struct tv_txq *txq = NULL;

	REQUIRE(tv_txq_create(&txq, 0, num, SOCKET_ID_ANY) == 0);
	tv_txq_reset(txq, f);
	pd_attach(d, &txq->pring, BASE0);
	return txq;
}

/* Simple packets fill an empty ring exactly (num of them, or num / 2
 * with a separate header each); one more does not fit. The device takes
 * and completes them. */
static void
tx_fill_exactly(struct tv_txq *txq, struct pdev *d, unsigned int *pkt,
		unsigned int *taken, enum tx_mode mode)
{
	const uint16_t num = (uint16_t)txq->pring.num;
	const uint16_t n = txq->hdr_push ? num : num / 2;
	struct rte_mbuf *pkts[MAXN + 1];
	unsigned int out[MAXN], nout = 0, wraps = 0, i;

	CHECK(txq->n_inflight == 0 && txq->nb_free == num);
	for (i = 0; i <= n; i++)
		pkts[i] = mk_tx(pool, &tp[(*pkt + i) % TPN], *pkt + i, K_SIMPLE,
				60 + i % 30, 1, txq->hdr_push);
	CHECK(tv_tx_burst_packed(txq, pkts, (uint16_t)(n + 1)) == n);
	CHECK(txq->nb_free == 0 && txq->n_inflight == n);
	CHECK(tv_tx_burst_packed(txq, &pkts[n], 1) == 0);
	rte_pktmbuf_free(pkts[n]);
	nout = pd_tx_take_all(d, txq, taken, *pkt + n, out, 0, &wraps);
	CHECK(nout == n);
	pd_tx_complete(d, out, &nout, nout, mode);
	CHECK(tv_tx_burst_packed(txq, NULL, 0) == 0);
	CHECK(txq->n_inflight == 0 && txq->nb_free == num);
	*pkt += n;
}

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

/* ---- Kicks ---- */

static uint64_t
kick_read(int fd)
{
	uint64_t v;

	if (read(fd, &v, sizeof(v)) != sizeof(v))
		return 0;
	return v;
}

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
	while (pkt < 11) {
		unsigned int b = RTE_MIN(4u, 11 - pkt);

		for (i = 0; i < b; i++)
			pkts[i] = mk_tx(pool, &tp[pkt + i], pkt + i, K_SIMPLE,
					64, 1, true);
		CHECK(tv_tx_burst_packed(txq, pkts, (uint16_t)b) == b);
		pkt += b;
		nout = pd_tx_take_all(&d, txq, &taken, pkt, out, 0, &wraps);
		pd_tx_complete(&d, out, &nout, nout, mode);
	}
	CHECK(tv_tx_burst_packed(txq, NULL, 0) == 0);
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
	rc = tvt_eal_init(argv[0], "tvpacked");
	if (rc != 0)
		return rc;
	pool = rte_pktmbuf_pool_create("tvpacked", 1023, 0, 0,
				       RTE_MBUF_DEFAULT_BUF_SIZE,
				       SOCKET_ID_ANY);
	spy_pool = rte_pktmbuf_pool_create_by_ops("tvpspy", 700, 0, 0,
						  RTE_MBUF_DEFAULT_BUF_SIZE,
						  SOCKET_ID_ANY, "tvt_spy");
	if (pool == NULL || spy_pool == NULL) {
		fprintf(stderr, "cannot create mbuf pools\n");
		return 1;
	}
	pool_full = rte_mempool_avail_count(pool);
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
		for (int fault = 0; fault < TF_END; fault++)
			if (fault != TF_MID_CHAIN || in_order)
				test_tx_fault((enum tx_fault)fault, in_order);
		test_tx_handoff(in_order);
	}
	for (int mode = TM_BATCH; mode <= TM_REVERSE; mode++) {
		test_tx_laps(8, (enum tx_mode)mode, true, true);
		test_tx_laps(64, (enum tx_mode)mode, true, false);
		test_tx_laps(8, (enum tx_mode)mode, false, true);
	}
	test_kicks();
	test_publish_order();

	CHECK(tt_count_fds() == fds_before);
	CHECK(rte_mempool_avail_count(pool) == pool_full);
	rte_mempool_free(spy_pool);
	rte_mempool_free(pool);
	rte_eal_cleanup();
	if (failures) {
		fprintf(stderr, "%d check(s) failed\n", failures);
		return 1;
	}
	printf("test_tv_packed: all checks passed\n");
	return 0;
}
