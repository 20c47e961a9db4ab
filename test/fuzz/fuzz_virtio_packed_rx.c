/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * fuzz_virtio_packed_rx.c - fuzz_virtio_packed's RX run: the driver's
 * packed RX queue against the device of fuzz_virtio_packed.c writing
 * packets into the buffers it posted (the input layout and the checks:
 * fuzz_virtio_packed.c's top comment).
 */
#include <stdio.h>
#include <string.h>

#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "fuzz_common.h"
#include "fuzz_tv.h"
#include "fuzz_virtio_packed.h"
#include "tv_pmd.h"

/* ---- RX ---- */

struct rx_pkt {
	uint16_t start, end; /* its used descriptors: [start, end) */
	uint32_t len;
	uint16_t nsegs;
	uint8_t tag;
	bool drop; /* several buffers without scatter: dropped */
};

struct rx_state {
	struct tv_rxq *rxq;
	struct dev d;
	bool owned[256]; /* ids the device read and has not returned */
	struct rx_pkt fifo[FIFO_N]; /* written, not yet delivered */
	uint32_t fh, ft;
	struct rte_mbuf *held[MAX_HELD];
	uint32_t n_held;
	uint64_t kicks; /* expected so far */
	uint8_t tag;
	void *ptrs[2 * MAX_HELD * 4 + 256];
};

static uint64_t
rx_buf_addr(const struct rte_mbuf *m)
{
	return (uint64_t)(uintptr_t)m->buf_addr + RTE_PKTMBUF_HEADROOM -
	       HDR_LEN;
}

static void
rx_accounting(struct rx_state *s)
{
	const struct tv_rxq *rxq = s->rxq;
	uint32_t num = rxq->pring.num, n = 0;

	for (uint32_t i = 0; i < num; i++)
		if (rxq->sw[i] != NULL)
			s->ptrs[n++] = rxq->sw[i];
	FUZZ_CHECK(n == rxq->n_posted, "%u buffers in sw[], n_posted %u", n,
		   rxq->n_posted);
	FUZZ_CHECK((uint16_t)(rxq->avail_idx - rxq->used_idx) == n,
		   "avail_idx %u - used_idx %u != %u posted", rxq->avail_idx,
		   rxq->used_idx, n);
	if (!rxq->in_order) {
		bool seen[256] = {false};

		FUZZ_CHECK(rxq->n_free_ids + n == num,
			   "%u free ids + %u posted != %u", rxq->n_free_ids, n,
			   num);
		for (uint32_t i = 0; i < rxq->n_free_ids; i++) {
			uint16_t id = rxq->free_ids[i];

			FUZZ_CHECK(id < num && !seen[id] && rxq->sw[id] == NULL,
				   "free id %u: out of range, twice or posted",
				   id);
			seen[id] = true;
		}
	}
	for (uint32_t i = 0; i < s->n_held; i++)
		for (struct rte_mbuf *m = s->held[i]; m != NULL; m = m->next)
			s->ptrs[n++] = m;
	sort_unique(s->ptrs, n, "posted and held RX buffers");
	FUZZ_CHECK(rte_mempool_avail_count(pool) + n == POOL_N,
		   "mbufs: %u in the pool + %u posted or held != %u",
		   rte_mempool_avail_count(pool), n, POOL_N);
	FUZZ_CHECK(rxq->pring.driver->flags == EV_DISABLE,
		   "driver event flags %u", rxq->pring.driver->flags);
}

/* The device takes the next available RX buffer. Returns false if there
 * is none. *buf: where to write (NULL: nowhere, hostile and the
 * descriptor names no posted buffer). */
static bool
rx_dev_read(struct rx_state *s, uint16_t *id, uint8_t **buf)
{
	const struct tv_rxq *rxq = s->rxq;
	const uint32_t num = rxq->pring.num;
	const uint16_t idx = s->d.avail;
	const struct tv_packed_desc *d = &rxq->pring.desc[idx & (num - 1)];
	uint16_t flags;
	struct rte_mbuf *m;

	if (idx == rxq->avail_idx) {
		/* Nothing posted past here: nothing may look available (a
		 * handoff cleans up whatever an old device left). */
		FUZZ_CHECK(s->d.hostile || !m_is_avail(d->flags, idx, num),
			   "descriptor %u looks available past what the guest "
			   "posted",
			   idx);
		return false;
	}
	flags = load_flags(d);
	if (!m_is_avail(flags, idx, num)) {
		FUZZ_CHECK(s->d.hostile,
			   "guest counts %u buffers posted from %u, "
			   "descriptor %u is not available (flags 0x%x)",
			   rxq->n_posted, rxq->used_idx, idx, flags);
		return false;
	}
	*id = d->id;
	m = *id < num ? rxq->sw[*id] : NULL;
	if (!s->d.hostile) {
		FUZZ_CHECK(flags == (F_WRITE | m_avail_bits(idx, num)) &&
				   d->len == rxq->buf_len,
			   "descriptor %u: flags 0x%x len %u", idx, flags,
			   d->len);
		FUZZ_CHECK(*id < num && (!rxq->in_order || *id == idx % num),
			   "descriptor %u: buffer id %u", idx, *id);
		FUZZ_CHECK(!s->owned[*id],
			   "buffer id %u posted again while the device has it",
			   *id);
		FUZZ_CHECK(m != NULL && d->addr == rx_buf_addr(m),
			   "descriptor %u (id %u) points at 0x%llx, not at the "
			   "buffer of its mbuf",
			   idx, *id, (unsigned long long)d->addr);
		s->owned[*id] = true;
	}
	*buf = m != NULL && d->addr == rx_buf_addr(m) && d->len == rxq->buf_len
		       ? (uint8_t *)(uintptr_t)d->addr
		       : NULL;
	s->d.avail++;
	return true;
}

static void
rx_packet(struct fuzz_in *in, struct rx_state *s)
{
	struct tv_rxq *rxq = s->rxq;
	uint8_t a = fuzz_u8(in);
	uint32_t left = fuzz_u16(in), nbufs = 1 + a % 4u, k, off = 0;
	uint16_t nb = (uint16_t)nbufs, hid = 0, ids[4];
	uint32_t hlen = 0, lens[4], total = 0;
	uint16_t start = s->d.used;
	uint8_t tag = s->tag++;
	bool lie = (a & 0x70) != 0 || ((a & 0x80) && nbufs > 1) ||
		   (!rxq->mrg_rxbuf && nbufs > 1);

	if (a & 0x10)
		nb = fuzz_u16(in);
	if (a & 0x20)
		hid = fuzz_u16(in);
	if (a & 0x40)
		hlen = fuzz_u32(in);
	if (s->d.n_ent + nbufs > MAX_ENT)
		return;
	/* A lie is decided before the device reads: what it reads while
	 * honest is checked. (Several buffers without mergeable buffers: the
	 * packet does not fit the one buffer virtio-net allows.) */
	if (lie)
		dev_lie(&s->d);
	for (k = 0; k < nbufs; k++) {
		uint32_t hdr = k == 0 ? HDR_LEN : 0, n = 0;
		uint8_t *p;

		if (!rx_dev_read(s, &ids[k], &p))
			break;
		if (p != NULL) {
			n = RTE_MIN(left, rxq->buf_len - hdr);
			if (hdr > 0) {
				struct tv_net_hdr_mrg h = {.num_buffers = nb};

				memcpy(p, &h, hdr);
			}
			fuzz_tv_fill(p + hdr, n, tag, off);
		}
		left -= n;
		off += n;
		lens[k] = hdr + n;
		total += hdr + n;
		if (verbose)
			fprintf(stderr,
				"dev: rx buffer id %u: %u+%u bytes, "
				"num_buffers %u%s\n",
				ids[k], hdr, n, nb, p == NULL ? " (not)" : "");
	}
	if (k == 0)
		return;
	/* Cut short for want of posted buffers: its header promised
	 * nbufs, so the next packet's first buffer would be read as this
	 * one's continuation. An honest device waits for buffers. */
	if (k < nbufs)
		dev_lie(&s->d);
	if (a & 0x80) {
		s->d.ent[s->d.n_ent++] = (struct used_ent){
			.idx = s->d.used,
			.id = ids[k - 1],
			.len = total,
			.skip = (uint16_t)k,
		};
		s->d.used += (uint16_t)k;
	} else {
		for (uint32_t j = 0; j < k; j++)
			s->d.ent[s->d.n_ent++] = (struct used_ent){
				.idx = s->d.used++,
				.id = ids[j],
				.len = lens[j],
				.skip = 1,
			};
	}
	if (a & 0x20)
		s->d.ent[s->d.n_ent - (a & 0x80 ? 1 : k)].id = hid;
	if (a & 0x40)
		s->d.ent[s->d.n_ent - (a & 0x80 ? 1 : k)].len = hlen;
	if (!s->d.hostile && s->ft - s->fh < FIFO_N) {
		s->fifo[s->ft++ % FIFO_N] = (struct rx_pkt){
			.start = start,
			.end = s->d.used,
			.len = off,
			.nsegs = (uint16_t)k,
			.tag = tag,
			.drop = k > 1 && !rxq->scatter,
		};
	} else if (!s->d.hostile) {
		dev_lie(&s->d); /* cannot follow that many */
	}
	if (!(a & 0x08))
		dev_mark(&s->d, &rxq->pring, MAX_ENT, 0, 0, true, s->owned,
			 NULL, NULL);
}

/* A delivered mbuf; `want`: the packet the honest device wrote, or
 * NULL. */
static void
rx_check_mbuf(const struct tv_rxq *rxq, const struct rte_mbuf *m,
	      const struct rx_pkt *want)
{
	const char *why = NULL;
	uint32_t sum = 0, segs = 0;

	FUZZ_CHECK(rte_mbuf_check(m, 1, &why) == 0, "bad mbuf: %s", why);
	FUZZ_CHECK(m->port == rxq->port_id && m->ol_flags == 0,
		   "port %u ol_flags 0x%llx", m->port,
		   (unsigned long long)m->ol_flags);
	for (const struct rte_mbuf *g = m; g != NULL; g = g->next) {
		const uint8_t *p = rte_pktmbuf_mtod(g, const uint8_t *);

		FUZZ_CHECK(g->pool == pool && ++segs <= m->nb_segs,
			   "segment %u: wrong pool or too many", segs);
		FUZZ_CHECK(g->data_off == (g == m ? RTE_PKTMBUF_HEADROOM
						  : RTE_PKTMBUF_HEADROOM -
							    HDR_LEN) &&
				   g->data_off + g->data_len <= g->buf_len,
			   "segment %u: data_off %u data_len %u buf_len %u",
			   segs, g->data_off, g->data_len, g->buf_len);
		FUZZ_CHECK(want == NULL ||
				   filled(p, g->data_len, want->tag, sum),
			   "segment %u: %u bytes at packet offset %u are not "
			   "what the device wrote",
			   segs, g->data_len, sum);
		sum += g->data_len;
	}
	FUZZ_CHECK(sum == m->pkt_len && segs == m->nb_segs,
		   "segments sum to %u bytes in %u, mbuf says %u in %u", sum,
		   segs, m->pkt_len, m->nb_segs);
	FUZZ_CHECK(want == NULL || (m->pkt_len == want->len &&
				    m->nb_segs == want->nsegs),
		   "delivered %u bytes in %u segments, the device wrote %u "
		   "in %u",
		   m->pkt_len, m->nb_segs, want->len, want->nsegs);
}

static void
rx_free_held(struct rx_state *s)
{
	for (uint32_t i = 0; i < s->n_held; i++)
		rte_pktmbuf_free(s->held[i]);
	s->n_held = 0;
}

static void
rx_burst(struct fuzz_in *in, struct rx_state *s)
{
	struct tv_rxq *rxq = s->rxq;
	uint8_t b = fuzz_u8(in);
	uint16_t n = 1 + b % 64u, got, old_avail = rxq->avail_idx;
	uint64_t drops = rxq->stats.drop_scatter;
	uint32_t dropped = 0;
	struct rte_mbuf *pkts[64];
	bool honest = !s->d.hostile;

	if (b & 0x80)
		rx_free_held(s);
	got = tv_rx_burst_packed(rxq, pkts, n);
	if (verbose)
		fprintf(stderr,
			"rx: burst %u: got %u (used_idx %u avail_idx %u "
			"posted %u broken %d)\n",
			n, got, rxq->used_idx, rxq->avail_idx, rxq->n_posted,
			rxq->broken);
	FUZZ_CHECK(got <= n, "rx burst returned %u of %u", got, n);
	counts.kicks += rxq->avail_idx != old_avail;
	if (rxq->avail_idx != old_avail &&
	    m_kick(rxq->pring.device, rxq->event_idx, old_avail, rxq->avail_idx,
		   rxq->pring.num))
		s->kicks++;
	FUZZ_CHECK(rxq->stats.kicks == s->kicks,
		   "%llu kicks, expected %llu (refill %u -> %u, device "
		   "flags %u off_wrap 0x%x)",
		   (unsigned long long)rxq->stats.kicks,
		   (unsigned long long)s->kicks, old_avail, rxq->avail_idx,
		   s->d.ev_flags, s->d.ev_off_wrap);
	FUZZ_CHECK(!honest || !rxq->broken, "queue broken by an honest device");
	for (uint16_t i = 0; i < got; i++) {
		const struct rx_pkt *want = NULL;

		if (honest) {
			while (s->fh != s->ft && s->fifo[s->fh % FIFO_N].drop) {
				FUZZ_CHECK(
					not_behind(rxq->used_idx,
						   s->fifo[s->fh % FIFO_N].end),
					"a later packet delivered before a "
					"dropped one was consumed");
				s->fh++;
				dropped++;
			}
			FUZZ_CHECK(s->fh != s->ft,
				   "packet %u delivered, none was written", i);
			want = &s->fifo[s->fh++ % FIFO_N];
		}
		rx_check_mbuf(rxq, pkts[i], want);
		counts.rx_pkts++;
		counts.rx_exact += want != NULL;
		if ((b & 0x40) && s->n_held < MAX_HELD)
			s->held[s->n_held++] = pkts[i];
		else
			rte_pktmbuf_free(pkts[i]);
	}
	if (honest) {
		const uint16_t marked = dev_marked(&s->d);

		while (s->fh != s->ft && s->fifo[s->fh % FIFO_N].drop &&
		       not_behind(rxq->used_idx, s->fifo[s->fh % FIFO_N].end)) {
			s->fh++;
			dropped++;
		}
		FUZZ_CHECK(
			rxq->stats.drop_scatter - drops == dropped,
			"%llu packets dropped for scatter, %u expected",
			(unsigned long long)(rxq->stats.drop_scatter - drops),
			dropped);
		FUZZ_CHECK(not_behind(marked, rxq->used_idx),
			   "guest consumed up to %u, the device marked up to "
			   "%u",
			   rxq->used_idx, marked);
		FUZZ_CHECK(rxq->used_idx ==
				   (s->fh == s->ft
					    ? s->d.used
					    : s->fifo[s->fh % FIFO_N].start),
			   "guest consumed up to %u, not a packet boundary",
			   rxq->used_idx);
		/* A complete packet was waiting: the burst takes it (unless
		 * it dropped one first: the buffers it scanned for it count
		 * against the burst, which may end there). */
		FUZZ_CHECK(got > 0 || dropped > 0 || s->fh == s->ft ||
				   s->fifo[s->fh % FIFO_N].drop ||
				   !not_behind(marked,
					       s->fifo[s->fh % FIFO_N].end),
			   "a complete packet at %u was not delivered",
			   rxq->used_idx);
	}
	rx_accounting(s);
}

/* A new device takes the ring over at base (the oldest posted buffer)
 * and, knowing nothing of the driver's records, takes descriptors while
 * they are available: each must be a buffer the driver posted (its id
 * in sw[], its address that mbuf's buffer), once; it must take exactly
 * the n_posted ones and then find the next not available, and the rest
 * of the ring must say "used on the lap before". It only looks (the
 * device reads them again, checked, from base). */
static void
rx_new_device_walk(const struct rx_state *s)
{
	const struct tv_rxq *rxq = s->rxq;
	const uint32_t num = rxq->pring.num;
	bool seen[256] = {false};
	uint32_t k;

	for (k = 0; k < num; k++) {
		uint16_t idx = (uint16_t)(rxq->used_idx + k);
		const struct tv_packed_desc *d = &rxq->pring.desc[idx % num];
		uint16_t fl = load_flags(d);
		struct rte_mbuf *m;

		if (!m_is_avail(fl, idx, num))
			break;
		m = d->id < num ? rxq->sw[d->id] : NULL;
		FUZZ_CHECK(fl == (F_WRITE | m_avail_bits(idx, num)) &&
				   d->len == rxq->buf_len,
			   "after handoff, descriptor %u: flags 0x%x len %u",
			   idx, fl, d->len);
		FUZZ_CHECK(m != NULL && !seen[d->id] &&
				   (!rxq->in_order || d->id == idx % num) &&
				   d->addr == rx_buf_addr(m),
			   "after handoff, descriptor %u (%u from base, %u "
			   "posted): id %u is not a posted buffer, is taken "
			   "twice, or the address 0x%llx is not its buffer's",
			   idx, k, rxq->n_posted, d->id,
			   (unsigned long long)d->addr);
		seen[d->id] = true;
		counts.walked++;
	}
	FUZZ_CHECK(k == rxq->n_posted &&
			   (uint16_t)(rxq->used_idx + k) == rxq->avail_idx,
		   "after handoff: a new device takes %u buffers from %u, "
		   "%u are posted (up to %u)",
		   k, rxq->used_idx, rxq->n_posted, rxq->avail_idx);
	check_free_range(&rxq->pring, (uint16_t)(rxq->used_idx + k), num - k,
			 "rx");
}

static void
rx_handoff(struct rx_state *s)
{
	struct tv_rxq *rxq = s->rxq;
	struct tv_vring_info vi;

	FUZZ_CHECK(tv_rxq_handoff(rxq) == 0, "rx handoff");
	counts.handoffs++;
	check_event_reset(rxq->pring.device, "rx");
	tv_rxq_vring_info(rxq, &vi);
	check_vring_info(&vi, &rxq->pring, rxq->used_idx, "rx");
	FUZZ_CHECK(!rxq->broken, "still broken after a handoff");
	if (verbose)
		fprintf(stderr, "rx: handoff: base 0x%x, %u posted from %u\n",
			vi.base, rxq->n_posted, rxq->used_idx);
	rx_accounting(s);
	rx_new_device_walk(s);
	dev_reset(&s->d, rxq->used_idx);
	memset(s->owned, 0, sizeof(s->owned));
	/* Packets completed and not received are lost. */
	s->fh = s->ft;
}

void
rx_run(const uint8_t *data, size_t size, const struct tv_dp_features *f,
       bool scatter, uint16_t num)
{
	struct fuzz_in in = {.data = data, .size = size, .pos = 2};
	static struct rx_state s;
	struct tv_rxq *rxq;

	memset(&s, 0, sizeof(s));
	FUZZ_CHECK(tv_rxq_create(&s.rxq, 0, 0, num, SOCKET_ID_ANY, pool) == 0,
		   "rxq create");
	rxq = s.rxq;
	FUZZ_CHECK(tv_rxq_reset(rxq, f, scatter) == 0, "rxq reset");
	/* The reset's refill, with notifications enabled (zeroed ring). */
	s.kicks = 1;
	FUZZ_CHECK(rxq->stats.kicks == 1 && rxq->n_posted == num,
		   "reset: %llu kicks, %u posted",
		   (unsigned long long)rxq->stats.kicks, rxq->n_posted);
	rx_accounting(&s);
	for (uint32_t op = 0; op < MAX_OPS && fuzz_left(&in) > 0; op++) {
		switch (fuzz_u8(&in) % 8) {
		case 0:
		case 7:
			rx_packet(&in, &s);
			break;
		case 1: {
			uint8_t m = fuzz_u8(&in);
			uint8_t mode = (m >> 3) % 4;
			uint16_t raw = mode == 3 ? fuzz_u16(&in) : 0;

			dev_mark(&s.d, &rxq->pring, m % 8 ? m % 8u : MAX_ENT,
				 mode, raw, true, s.owned, NULL, NULL);
			break;
		}
		case 2:
			dev_hostile_write(&in, &s.d, &rxq->pring);
			break;
		case 3:
		case 4:
			rx_burst(&in, &s);
			break;
		case 5:
			dev_event(&in, &s.d, rxq->pring.device);
			break;
		default:
			rx_handoff(&s);
			break;
		}
		rx_accounting(&s);
	}
	counts.lied += s.d.ever_hostile;
	counts.broken += rxq->broken || rxq->stats.recoveries > 0;
	FUZZ_CHECK(read_eventfd(rxq->kick_fd) == rxq->stats.kicks,
		   "kick eventfd disagrees with %llu kicks",
		   (unsigned long long)rxq->stats.kicks);
	tv_rxq_free(rxq);
	rx_free_held(&s);
	FUZZ_CHECK(rte_mempool_avail_count(pool) == POOL_N,
		   "after rxq free: %u of %u mbufs in the pool",
		   rte_mempool_avail_count(pool), POOL_N);
}
