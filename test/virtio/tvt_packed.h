/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * tvt_packed.h - what the packed-ring tests (test_tv_packed_rx.c,
 * test_tv_packed_tx.c) share: checks, the packets they send and expect,
 * and a small packed-ring device written here from virtio 1.2 section 2.8
 * (its own position and wrap counter per side, not the driver's
 * free-running indexes) that takes available descriptors in ring order,
 * writes packets and used descriptors, and misbehaves on purpose. Spec
 * values are written out rather than taken from tv_vring.h.
 *
 * Each program is one file that includes this header once: the state
 * below (check count, mbuf pool, random state, sent packets) is the
 * program's. Single-threaded, like the tests.
 */
#ifndef TVT_PACKED_H
#define TVT_PACKED_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "tv_pmd.h"
#include "tvt_backend.h"

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

static struct rte_mempool *pool; /* every test's mbufs */
static unsigned int pool_full;
static uint32_t rnd_state = 0x2545f491;

static inline uint32_t
rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 17;
	rnd_state ^= rnd_state << 5;
	return rnd_state;
}

static inline struct tv_dp_features
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

/* The ring wrap counter on the lap of free-running descriptor index idx:
 * 1 on the first lap, flipped every lap (section 2.8.1). */
static inline bool
lap_wrap(uint16_t idx, uint16_t num)
{
	return ((idx / num) & 1) == 0;
}

/* off_wrap of free-running descriptor index idx: position and wrap
 * counter. */
static inline uint16_t
ow(uint16_t idx, uint16_t num)
{
	return (uint16_t)((idx % num) | (lap_wrap(idx, num) << 15));
}

/* AVAIL/USED of a descriptor the driver made available at idx: AVAIL the
 * lap's wrap counter, USED its inverse (section 2.8.1). */
static inline uint16_t
avail_flags_at(uint16_t idx, uint16_t num)
{
	return lap_wrap(idx, num) ? P_AVAIL : P_USED;
}

/* AVAIL/USED of a descriptor the device used at idx: both the lap's wrap
 * counter (section 2.8.2). */
static inline uint16_t
used_flags_at(uint16_t idx, uint16_t num)
{
	return lap_wrap(idx, num) ? P_AVAIL | P_USED : 0;
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
static inline void
pd_attach(struct pdev *d, struct tv_packed *ring, uint16_t base)
{
	memset(d, 0, sizeof(*d));
	d->desc = ring->desc;
	d->num = (uint16_t)ring->num;
	d->apos = d->upos = base & 0x7fff;
	d->awrap = d->uwrap = (base >> 15) != 0;
}

static inline void
pd_step(uint16_t *pos, bool *wrap, uint16_t n, uint16_t num)
{
	*pos = (uint16_t)(*pos + n);
	if (*pos >= num) {
		*pos = (uint16_t)(*pos - num);
		*wrap = !*wrap;
	}
}

static inline bool
pd_is_avail(uint16_t flags, bool wrap)
{
	return ((flags & P_AVAIL) != 0) == wrap &&
	       ((flags & P_USED) != 0) != wrap;
}

/* Take the next available buffer (a descriptor list) in ring order. */
static inline bool
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
static inline void
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
static inline unsigned int
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

static inline uint16_t
tk_remove(uint16_t *tk, unsigned int *ntk, unsigned int at)
{
	uint16_t id = tk[at];

	memmove(&tk[at], &tk[at + 1], (*ntk - at - 1) * sizeof(tk[0]));
	(*ntk)--;
	return id;
}

/* Write packet bytes [off, off + len) into buffer `id`, after a virtio-net
 * header with num_buffers = nbuf if hdr. */
static inline void
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
		p[i] = tvt_pattern(pkt, off + i);
}

/* The device returns buffer tk[at] holding packet `pkt`: len bytes after a
 * header saying nbuf buffers. Returns the buffer's id. */
static inline uint16_t
pd_rx_pkt(struct pdev *d, uint16_t *tk, unsigned int *ntk, unsigned int at,
	  unsigned int pkt, unsigned int len, uint16_t nbuf)
{
	uint16_t id = tk_remove(tk, ntk, at);

	pd_rx_write(d, id, pkt, 0, len, nbuf, true);
	pd_used(d, id, HDR + len, 1, P_WRITE);
	return id;
}

static inline struct tv_rxq *
rx_setup(uint16_t num, const struct tv_dp_features *f, bool scatter,
	 struct pdev *d, struct rte_mempool *mp)
{
	struct tv_rxq *rxq = NULL;

	REQUIRE(tv_rxq_create(&rxq, PORT, 1, num, SOCKET_ID_ANY, mp) == 0);
	CHECK(tv_rxq_reset(rxq, f, scatter) == 0);
	pd_attach(d, &rxq->pring, BASE0);
	return rxq;
}

/* ---- TX: the packets sent, the device's side ---- */

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

static inline struct rte_mbuf *
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
		p[i] = tvt_pattern(pkt, off + i);
	return m;
}

static inline struct rte_mbuf *
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
static inline void
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
		if (buf[HDR + i] != tvt_pattern(p->pkt, i)) {
			CHECK(!"tx payload mismatch");
			break;
		}
}

/* The device takes the next list the driver made available, which must
 * be packet p; records its id. */
static inline bool
pd_tx_take_one(struct pdev *d, const struct tv_txq *txq, struct txp *p)
{
	struct pchain c;

	if (!pd_take(d, &c))
		return false;
	tx_check_chain(txq, &c, p, txq->in_order);
	p->id = c.id;
	return true;
}

/* Take every list the driver made available; they must be the packets
 * sent, in order. Appends their numbers to out[]. */
static inline unsigned int
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
static inline unsigned int
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
static inline void
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

static inline struct tv_txq *
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
static inline void
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

/* n simple packets through, in bursts of up to 4 that the device takes
 * and completes at once (mode), then a reclaim. *pkt and *taken (as in
 * pd_tx_take_all) count on. */
static inline void
tx_pass(struct tv_txq *txq, struct pdev *d, unsigned int *pkt,
	unsigned int *taken, unsigned int n, enum tx_mode mode)
{
	const unsigned int end = *pkt + n;
	struct rte_mbuf *pkts[4];
	unsigned int out[4], nout, wraps = 0, i;

	while (*pkt < end) {
		unsigned int b = RTE_MIN(4u, end - *pkt);

		for (i = 0; i < b; i++)
			pkts[i] = mk_tx(pool, &tp[(*pkt + i) % TPN], *pkt + i,
					K_SIMPLE, 64, 1, txq->hdr_push);
		CHECK(tv_tx_burst_packed(txq, pkts, (uint16_t)b) == b);
		*pkt += b;
		nout = pd_tx_take_all(d, txq, taken, *pkt, out, 0, &wraps);
		CHECK(nout == b);
		pd_tx_complete(d, out, &nout, nout, mode);
	}
	CHECK(tv_tx_burst_packed(txq, NULL, 0) == 0);
	CHECK(txq->n_inflight == 0);
}

/* ---- What an old device leaves behind at a handoff ---- */

static uint8_t pd_junk[8192]; /* what planted descriptors point to */

/* The old device makes descriptors [from, to) (free-running) look like
 * buffers made available for the lap on which the next device reaches
 * each one: a fake address, len and id, the flags `extra` (RX: P_WRITE)
 * and the lap's AVAIL/USED. And its event suppression structure asks for
 * `flags` at off_wrap `at`. */
static inline void
pd_leave_dirty(struct tv_packed *ring, uint16_t from, uint16_t to,
	       uint16_t extra, uint32_t len, uint16_t flags, uint16_t at)
{
	const uint16_t num = (uint16_t)ring->num;
	uint16_t idx;

	REQUIRE(len <= sizeof(pd_junk));
	for (idx = from; idx != to; idx++)
		ring->desc[idx % num] = (struct tv_packed_desc){
			.addr = (uintptr_t)pd_junk,
			.len = len,
			.id = (uint16_t)(idx % num),
			.flags = (uint16_t)(extra | avail_flags_at(idx, num)),
		};
	ring->device->off_wrap = at;
	ring->device->flags = flags;
}

/* After a handoff the descriptors [from, to) the driver has not made
 * available say what an honest device leaves there, "used on the lap
 * before", whatever the old one wrote: the new device, reading on from
 * the oldest outstanding descriptor, stops where those end. */
static inline void
check_ring_settled(const struct tv_packed *ring, uint16_t from, uint16_t to)
{
	const uint16_t num = (uint16_t)ring->num;
	unsigned int bad = 0;
	uint16_t idx;

	for (idx = from; idx != to; idx++)
		bad += ring->desc[idx % num].flags !=
		       used_flags_at((uint16_t)(idx - num), num);
	CHECK(bad == 0);
}

/* ... and the device's event suppression structure is a fresh ring's
 * (notifications enabled) until the new device writes its own. */
static inline void
check_event_fresh(const struct tv_packed *ring)
{
	CHECK(ring->device->flags == EV_ENABLE);
	CHECK(ring->device->off_wrap == 0);
}

/* ---- Kicks, program start and end ---- */

static inline uint64_t
kick_read(int fd)
{
	uint64_t v;

	if (read(fd, &v, sizeof(v)) != sizeof(v))
		return 0;
	return v;
}

/* EAL and the mbuf pool of a test program (`name`: file prefix and pool).
 * Returns 0, or the program's exit code 1. */
static inline int
tvt_packed_start(const char *argv0, const char *name)
{
	int rc = tvt_eal_init(argv0, name);

	if (rc != 0)
		return rc;
	pool = rte_pktmbuf_pool_create(
		name, 1023, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (pool == NULL) {
		fprintf(stderr, "cannot create the mbuf pool\n");
		return 1;
	}
	pool_full = rte_mempool_avail_count(pool);
	return 0;
}

#endif /* TVT_PACKED_H */
