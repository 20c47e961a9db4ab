/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * fuzz_virtio_used.c - net_tandem_virtio's split-ring datapath (tv_queue.c,
 * tv_rxtx.c and the vector RX paths) against a hostile back-end: this
 * program plays the back-end, as test/virtio/test_tv_rings.c does, and
 * the input decides what it writes into used entries (ids, lengths),
 * virtio-net headers (num_buffers) and used->idx.
 *
 * Input layout (little-endian; missing bytes read as 0):
 *   u8 cfg: bit 0 direction (0 RX, 1 TX), then the datapath features
 *      mrg_rxbuf (bit 1), in_order (2), event_idx (3), fixed_avail (4),
 *      bulk (5), scatter (6, RX) / tx_hdr_push (6, TX)
 *   u8 log2 ring size (mod 9: 1..256)
 *   u8 RX path to compare with the scalar one (mod 4: none, SSE, AVX2,
 *      AVX-512; skipped where the CPU lacks it)
 *   then up to 48 operations, u8 op (mod 4):
 *   RX 0: a packet: u8 a (buffers 1 + a % 4; a & 0x10: num_buffers lies,
 *         u16 follows; 0x20: first id hostile, u16 follows; 0x40: first
 *         len hostile, u32 follows; 0x80: the buffers are taken without
 *         moving on in the avail ring), u16 packet length
 *      1: publish used->idx: u8 b (>= 0xf0: plus a u16 jump)
 *      2, 3: rx burst of 1 + u8 % 64
 *   TX 0: tx burst: u8 (1 + % 32 packets), per packet u16 length (1 +
 *         % 3000) and u8 kind (segments 1 + % 3; 0x10: no headroom;
 *         0x20: a second reference held by this program)
 *      1: consume: u8 a (1 + a % 8 chains; 0x10: id hostile, u16
 *         follows; 0x20: len hostile, u32; 0x40: one used entry for the
 *         whole batch, as IN_ORDER allows)
 *      2: publish used->idx as in RX
 *      3: tx burst of 0 packets (reclaim only)
 *
 * Checked besides "no crash, no sanitizer report":
 *  - RX: every delivered mbuf passes rte_mbuf_check, its segments' lengths
 *    add up to pkt_len and each segment's bytes are the pattern this
 *    back-end wrote at that buffer's data start (so the data offset is
 *    right); after every burst the mbufs the queue holds plus the pool's
 *    equal the pool's size (none lost, none freed twice); the vector path
 *    delivers exactly what the scalar path delivers for the same input
 *    (lengths, segments, bytes, counters, broken state);
 *  - TX: while the back-end is honest, every chain it reads is a zero
 *    virtio-net header then exactly the next accepted packet's bytes;
 *    after the queue is freed every mbuf is back in the pool (completed,
 *    drained, or never accepted), none twice.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "fuzz_common.h"
#include "fuzz_tv.h"
#include "tv_pmd.h"

#define POOL_N	 4096u
#define MAX_OPS	 48u
#define MAX_RX	 2048u /* delivered packets recorded per run */
#define MAX_HELD 512u

static struct rte_mempool *pool;
static bool verbose; /* FUZZ_VERBOSE: trace the operations */

static void
setup(void)
{
	verbose = fuzz_tv_setup("fuzz_virtio_used", "fuzz-virtio", "fz_virtio",
				POOL_N, &pool);
}

/* Bytes the back-end writes: byte j of a buffer's data is tag + 7 j
 * (fuzz_tv_fill from 0), so a segment is self-checking from its first
 * byte. */
static bool
filled(const uint8_t *p, uint32_t n)
{
	for (uint32_t j = 1; j < n; j++)
		if (p[j] != (uint8_t)(p[0] + 7u * j))
			return false;
	return true;
}

static uint16_t
publish(struct fuzz_in *in, struct tv_split *ring, uint16_t used_write)
{
	uint8_t b = fuzz_u8(in);
	uint16_t v = used_write;

	if (b >= 0xf0)
		v = (uint16_t)(v + fuzz_u16(in));
	__atomic_store_n(&ring->used->idx, v, __ATOMIC_RELEASE);
	return v;
}

/* ---- RX ---- */

struct rx_result {
	uint32_t n;
	struct {
		uint32_t pkt_len;
		uint16_t nb_segs;
		uint32_t hash;
		bool hostile; /* delivered after the back-end lied */
	} pkt[MAX_RX];
	struct tv_rxq_stats stats;
	bool broken;
	uint16_t n_posted;
};

static struct rx_result res_scalar, res_vec;

/* `honest`: the back-end wrote every buffer it returned, once, with the
 * length it says, so the bytes must be its pattern. */
static uint32_t
mbuf_check_rx(const struct tv_rxq *rxq, const struct rte_mbuf *m, bool honest)
{
	const char *why = NULL;
	uint32_t sum = 0, segs = 0, hash = 2166136261u;

	FUZZ_CHECK(rte_mbuf_check(m, 1, &why) == 0, "bad mbuf: %s", why);
	for (const struct rte_mbuf *s = m; s != NULL; s = s->next) {
		const uint8_t *p = rte_pktmbuf_mtod(s, const uint8_t *);

		FUZZ_CHECK(s->pool == pool && ++segs <= m->nb_segs,
			   "segment %u: wrong pool or too many", segs);
		FUZZ_CHECK(s->data_len <= rxq->buf_len,
			   "segment of %u bytes from a %u-byte buffer",
			   s->data_len, rxq->buf_len);
		FUZZ_CHECK(!honest || filled(p, s->data_len),
			   "segment %u: %u bytes not what the back-end wrote "
			   "(data offset %u)",
			   segs, s->data_len, s->data_off);
		for (uint32_t j = 0; j < s->data_len; j++)
			hash = (hash ^ p[j]) * 16777619u;
		sum += s->data_len;
	}
	FUZZ_CHECK(sum == m->pkt_len && segs == m->nb_segs,
		   "segments sum to %u bytes in %u, mbuf says %u in %u", sum,
		   segs, m->pkt_len, m->nb_segs);
	return hash;
}

/* Mbufs the queue holds (sw[]) plus the pool's must be all of them. */
static void
rx_accounting(const struct tv_rxq *rxq)
{
	uint32_t held = 0;

	for (uint32_t i = 0; i < rxq->ring.num; i++)
		held += rxq->sw[i] != NULL;
	FUZZ_CHECK(held == rxq->n_posted, "%u buffers in sw[], n_posted %u",
		   held, rxq->n_posted);
	FUZZ_CHECK(rte_mempool_avail_count(pool) + held == POOL_N,
		   "mbufs: %u in the pool + %u posted != %u",
		   rte_mempool_avail_count(pool), held, POOL_N);
}

static void
rx_run(const uint8_t *data, size_t size, const struct tv_dp_features *f,
       bool scatter, uint16_t num, tv_rx_burst_fn burst, struct rx_result *res)
{
	struct fuzz_in in = {.data = data, .size = size, .pos = 3};
	struct rte_mbuf *pkts[64];
	struct tv_rxq *rxq;
	struct tv_split *ring;
	uint16_t back_avail = 0, used_write = 0, washed = 0;
	uint8_t tag = 1;
	bool hostile = false;

	res->n = 0;
	FUZZ_CHECK(tv_rxq_create(&rxq, 0, 0, num, SOCKET_ID_ANY, pool) == 0,
		   "rxq create");
	FUZZ_CHECK(tv_rxq_reset(rxq, f, scatter) == 0, "rxq reset");
	ring = &rxq->ring;
	for (uint32_t op = 0; op < MAX_OPS && fuzz_left(&in) > 0; op++) {
		uint8_t code = fuzz_u8(&in) % 4;

		/* Give each newly posted buffer known bytes: what a hostile
		 * back-end makes the guest read from a buffer it did not
		 * write must not depend on the mbuf's history (the scalar
		 * and vector runs must see the same). */
		while (washed != ring->avail->idx) {
			const struct tv_desc *d =
				&ring->desc[ring->avail->ring[washed++ &
							      (num - 1)]];

			fuzz_tv_fill((uint8_t *)(uintptr_t)d->addr, d->len, 0, 0);
		}
		if (code == 0) {
			uint8_t a = fuzz_u8(&in);
			uint32_t left = fuzz_u16(&in), nbufs = 1 + a % 4u;
			uint16_t nb = (uint16_t)nbufs, hid = 0;
			uint32_t hlen = 0, k;

			if (a & 0x10)
				nb = fuzz_u16(&in);
			if (a & 0x20)
				hid = fuzz_u16(&in);
			if (a & 0x40)
				hlen = fuzz_u32(&in);
			/* A buffer returned twice, under another id, with a
			 * length it was not written to, or read as part of
			 * another packet (num_buffers lies) holds other
			 * bytes than the pattern at its data start. */
			if (a & 0xf0)
				hostile = true;
			for (k = 0; k < nbufs; k++) {
				uint16_t avail = __atomic_load_n(
					&ring->avail->idx, __ATOMIC_ACQUIRE);
				uint16_t head;
				struct tv_desc *d;
				struct tv_used_elem *u;
				uint8_t *p;
				uint32_t cap, n,
					hdr = k == 0 ? rxq->hdr_len : 0;

				if (back_avail == avail)
					break; /* nothing posted */
				head = ring->avail
					       ->ring[back_avail & (num - 1)];
				FUZZ_CHECK(head < num, "guest posted head %u",
					   head);
				if (!(a & 0x80))
					back_avail++;
				d = &ring->desc[head];
				FUZZ_CHECK(d->flags == TV_DESC_F_WRITE &&
						   d->len == rxq->buf_len,
					   "guest posted flags %u len %u",
					   d->flags, d->len);
				p = (uint8_t *)(uintptr_t)d->addr;
				cap = d->len - hdr;
				n = left < cap ? left : cap;
				if (hdr > 0) {
					struct tv_net_hdr_mrg h = {
						.num_buffers = nb};

					memcpy(p, &h, hdr);
				}
				fuzz_tv_fill(p + hdr, n, tag++, 0);
				if (verbose)
					fprintf(stderr,
						"rx: buffer %u (%p): %u+%u "
						"bytes, num_buffers %u\n",
						head, (void *)p, hdr, n, nb);
				left -= n;
				u = &ring->used->ring[used_write++ & (num - 1)];
				u->id = (k == 0 && (a & 0x20)) ? hid : head;
				u->len =
					(k == 0 && (a & 0x40)) ? hlen : hdr + n;
			}
			/* Cut short for want of posted buffers: its header
			 * promised nbufs, so the next packet's first buffer
			 * is read as this one's continuation. An honest
			 * back-end waits for the buffers instead. */
			if (k > 0 && k < nbufs)
				hostile = true;
		} else if (code == 1) {
			/* A jump returns old entries: stale buffers. */
			if (publish(&in, ring, used_write) != used_write)
				hostile = true;
		} else {
			uint16_t n = 1 + fuzz_u8(&in) % 64u;
			uint16_t got = burst(rxq, pkts, n);

			if (verbose)
				fprintf(stderr, "rx: burst %u: got %u\n", n,
					got);

			FUZZ_CHECK(got <= n, "rx burst returned %u of %u", got,
				   n);
			for (uint16_t i = 0; i < got; i++) {
				uint32_t h =
					mbuf_check_rx(rxq, pkts[i], !hostile);

				if (res->n < MAX_RX) {
					res->pkt[res->n].pkt_len =
						pkts[i]->pkt_len;
					res->pkt[res->n].nb_segs =
						pkts[i]->nb_segs;
					res->pkt[res->n].hash = h;
					res->pkt[res->n].hostile = hostile;
					res->n++;
				}
				rte_pktmbuf_free(pkts[i]);
			}
			rx_accounting(rxq);
		}
	}
	res->stats = rxq->stats;
	res->broken = rxq->broken;
	res->n_posted = rxq->n_posted;
	tv_rxq_free(rxq);
	FUZZ_CHECK(rte_mempool_avail_count(pool) == POOL_N,
		   "after rxq free: %u of %u mbufs in the pool",
		   rte_mempool_avail_count(pool), POOL_N);
}

static void
rx_compare(const struct rx_result *a, const struct rx_result *b,
	   const char *name)
{
	FUZZ_CHECK(a->n == b->n, "scalar delivered %u packets, %s %u", a->n,
		   name, b->n);
	for (uint32_t i = 0; i < a->n; i++)
		FUZZ_CHECK(a->pkt[i].pkt_len == b->pkt[i].pkt_len &&
				   a->pkt[i].nb_segs == b->pkt[i].nb_segs &&
				   a->pkt[i].hash == b->pkt[i].hash,
			   "packet %u: scalar %u bytes in %u segs, %s %u in %u "
			   "(or other bytes)",
			   i, a->pkt[i].pkt_len, a->pkt[i].nb_segs, name,
			   b->pkt[i].pkt_len, b->pkt[i].nb_segs);
	FUZZ_CHECK(memcmp(&a->stats, &b->stats, sizeof(a->stats)) == 0 &&
			   a->broken == b->broken && a->n_posted == b->n_posted,
		   "counters or state differ between scalar and %s (broken "
		   "%d/%d, posted %u/%u, packets %llu/%llu)",
		   name, a->broken, b->broken, a->n_posted, b->n_posted,
		   (unsigned long long)a->stats.packets,
		   (unsigned long long)b->stats.packets);
}

/* ---- TX ---- */

struct tx_state {
	struct tv_txq *txq;
	struct rte_mbuf *held[MAX_HELD]; /* our second references */
	uint32_t n_held;
	/* Accepted packets not yet read by the back-end, in avail order:
	 * length and first data byte. */
	uint32_t fifo_len[1024];
	uint8_t fifo_tag[1024];
	uint32_t fifo_head, fifo_tail;
	bool hostile; /* the back-end lied: chains may be reused */
	uint16_t back_avail, used_write;
	uint8_t tag;
};

static struct rte_mbuf *
tx_packet(struct tx_state *s, uint32_t len, uint8_t kind)
{
	uint8_t tag = s->tag++;
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);

	if (m == NULL)
		return NULL;
	return fuzz_tv_tx_packet(pool, m, len, kind, tag, s->held, &s->n_held,
				 MAX_HELD);
}

/* Read the chain at `head` as a back-end would and check it is the next
 * accepted packet. */
static void
tx_read_chain(struct tx_state *s, uint16_t head)
{
	const struct tv_split *ring = &s->txq->ring;
	uint32_t num = ring->num, total = 0, hdr = s->txq->hdr_len;
	uint8_t first = 0;
	uint16_t i = head;

	FUZZ_CHECK(head < num, "guest made head %u available (ring %u)", head,
		   num);
	/* After a lie (a completion of chains not read) the guest may have
	 * reused the descriptors of the chains we still read: their bytes
	 * say nothing. */
	if (s->hostile)
		return;
	for (uint32_t n = 0;; n++) {
		const struct tv_desc *d = &ring->desc[i];
		const uint8_t *p = (const uint8_t *)(uintptr_t)d->addr;

		if (verbose)
			fprintf(stderr,
				"tx: chain %u: desc %u addr %p len %u flags "
				"0x%x next %u\n",
				head, i, (const void *)p, d->len, d->flags,
				d->next);

		FUZZ_CHECK(n < num && !(d->flags & ~TV_DESC_F_NEXT),
			   "guest chain %u: flags 0x%x at length %u", head,
			   d->flags, n);
		for (uint32_t j = 0; j < d->len; j++, total++) {
			if (total < hdr) {
				FUZZ_CHECK(p[j] == 0, "header byte %u is 0x%x",
					   total, p[j]);
				continue;
			}
			if (total == hdr)
				first = p[j];
			FUZZ_CHECK(
				p[j] == (uint8_t)(first + 7u * (total - hdr)),
				"chain %u: byte %u differs", head, total - hdr);
		}
		if (!(d->flags & TV_DESC_F_NEXT))
			break;
		i = d->next;
		FUZZ_CHECK(i < num, "guest chained to %u", i);
	}
	FUZZ_CHECK(s->fifo_head != s->fifo_tail, "chain %u was never sent",
		   head);
	FUZZ_CHECK(
		total - hdr == s->fifo_len[s->fifo_head % 1024] &&
			first == s->fifo_tag[s->fifo_head % 1024],
		"chain %u: %u bytes (tag %u), packet sent: %u bytes (tag %u)",
		head, total - hdr, first, s->fifo_len[s->fifo_head % 1024],
		s->fifo_tag[s->fifo_head % 1024]);
	s->fifo_head++;
}

static void
tx_run(const uint8_t *data, size_t size, const struct tv_dp_features *f,
       uint16_t num)
{
	struct fuzz_in in = {.data = data, .size = size, .pos = 3};
	static struct tx_state s;
	struct rte_mbuf *pkts[32];
	struct tv_split *ring;

	memset(&s, 0, sizeof(s));
	FUZZ_CHECK(tv_txq_create(&s.txq, 0, num, SOCKET_ID_ANY) == 0,
		   "txq create");
	tv_txq_reset(s.txq, f);
	ring = &s.txq->ring;
	for (uint32_t op = 0; op < MAX_OPS && fuzz_left(&in) > 0; op++) {
		uint8_t code = fuzz_u8(&in) % 4;

		if (code == 0 || code == 3) {
			uint16_t n = 0, sent;

			if (code == 0) {
				uint16_t want = 1 + fuzz_u8(&in) % 32u;

				for (; n < want; n++) {
					uint32_t len =
						1 + fuzz_u16(&in) % 3000u;
					uint8_t kind = fuzz_u8(&in);

					pkts[n] = tx_packet(&s, len, kind);
					if (pkts[n] == NULL)
						break;
					s.fifo_tag[(s.fifo_tail + n) % 1024] =
						*rte_pktmbuf_mtod(pkts[n],
								  uint8_t *);
					s.fifo_len[(s.fifo_tail + n) % 1024] =
						len;
				}
			}
			sent = tv_tx_burst_split(s.txq, pkts, n);
			if (verbose) {
				fprintf(stderr,
					"tx: burst %u: sent %u (head %u tail "
					"%u "
					"free %u inflight %u avail %u)\n",
					n, sent, s.txq->desc_head,
					s.txq->desc_tail, s.txq->nb_free,
					s.txq->n_inflight, s.txq->avail_idx);
				for (uint16_t i = 0; i < n; i++)
					fprintf(stderr,
						"tx:   pkt %u: %u bytes %u "
						"segs "
						"headroom %u refcnt %u\n",
						i, pkts[i]->pkt_len,
						pkts[i]->nb_segs,
						rte_pktmbuf_headroom(pkts[i]),
						rte_mbuf_refcnt_read(pkts[i]));
				for (uint32_t i = 0; i < num; i++)
					fprintf(stderr,
						"tx:   desc %u: len %u flags "
						"%u "
						"next %u; avail[%u] = %u\n",
						i, ring->desc[i].len,
						ring->desc[i].flags,
						ring->desc[i].next, i,
						ring->avail->ring[i]);
			}
			FUZZ_CHECK(sent <= n, "tx burst took %u of %u", sent,
				   n);
			/* Dropped packets (too many segments) count as
			 * sent but are not in the ring. */
			if (s.txq->stats.drop_too_many_segs != 0)
				s.hostile = true;
			s.fifo_tail += sent;
			for (uint16_t i = sent; i < n; i++)
				rte_pktmbuf_free(pkts[i]);
		} else if (code == 1) {
			uint8_t a = fuzz_u8(&in);
			uint32_t k = 1 + a % 8u;
			uint16_t hid = (a & 0x10) ? fuzz_u16(&in) : 0;
			uint32_t hlen = (a & 0x20) ? fuzz_u32(&in) : 0;
			uint16_t last = 0;
			uint32_t done = 0;

			for (; done < k; done++) {
				uint16_t avail = __atomic_load_n(
					&ring->avail->idx, __ATOMIC_ACQUIRE);

				if (s.back_avail == avail)
					break;
				last = ring->avail->ring[s.back_avail++ &
							 (num - 1)];
				tx_read_chain(&s, last);
				if (!(a & 0x40))
					ring->used->ring[s.used_write++ &
							 (num - 1)] =
						(struct tv_used_elem){
							.id = last, .len = 0};
			}
			if ((a & 0x40) && done > 0)
				ring->used->ring[s.used_write++ & (num - 1)] =
					(struct tv_used_elem){.id = last,
							      .len = 0};
			if (done > 0 && (a & 0x30)) {
				struct tv_used_elem *u =
					&ring->used->ring
						 [(uint16_t)(s.used_write - 1) &
						  (num - 1)];

				if (a & 0x10)
					u->id = hid;
				if (a & 0x20)
					u->len = hlen;
			}
			/* A batch entry without IN_ORDER, or a hostile
			 * id, lets the guest reuse chains we did not read. */
			if ((a & 0x10) || ((a & 0x40) && !f->in_order))
				s.hostile = true;
		} else {
			/* A jump completes chains nobody read. */
			if (publish(&in, ring, s.used_write) != s.used_write)
				s.hostile = true;
		}
	}
	tv_txq_free(s.txq);
	fuzz_tv_release_held(pool, POOL_N, s.held, s.n_held);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	static const enum tv_simd vec[] = {TV_SIMD_SCALAR, TV_SIMD_SSE,
					   TV_SIMD_AVX2, TV_SIMD_AVX512};
	struct fuzz_in in = {.data = data, .size = size, .pos = 0};
	struct tv_dp_features f;
	uint8_t cfg, simd;
	uint16_t num;
	int probe;

	if (!ready) {
		setup();
		ready = true;
	}
	cfg = fuzz_u8(&in);
	num = (uint16_t)(1u << (fuzz_u8(&in) % 9));
	simd = fuzz_u8(&in) % 4;
	f = (struct tv_dp_features){
		.mrg_rxbuf = (cfg & 2) != 0,
		.in_order = (cfg & 4) != 0,
		.event_idx = (cfg & 8) != 0,
		.fixed_avail = (cfg & 16) != 0,
		.bulk = (cfg & 32) != 0,
		.tx_hdr_push = (cfg & 64) != 0,
	};
	if (cfg & 1) {
		tx_run(data, size, &f, num);
	} else {
		rx_run(data, size, &f, (cfg & 64) != 0, num, tv_rx_burst_split,
		       &res_scalar);
		if (simd != 0 && tv_simd_cpu_has(vec[simd])) {
			rx_run(data, size, &f, (cfg & 64) != 0, num,
			       tv_rx_burst_for(vec[simd]), &res_vec);
			rx_compare(&res_scalar, &res_vec,
				   tv_simd_name(vec[simd]));
		}
	}
	probe = dup(2);
	FUZZ_CHECK(probe >= 0, "dup");
	fuzz_fd_watch(probe, 64);
	close(probe);
	return 0;
}
