/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * Packed ring datapath (virtio 1.2, section 2.8), both directions.
 *
 * Buffers are taken in ring order and every one is returned in that order
 * before the burst ends, so the used index always meets the avail index
 * at the end of a burst: a buffer of n descriptors at free-running index i
 * gets its used descriptor at i, and both indexes move to i + n (section
 * 2.8.7: the used descriptor is written over the buffer's first
 * descriptor, and the device skips the rest of the list).
 *
 * Used descriptors go to a shadow array first and are written out in
 * batches (tvh_packed_flush): ids and lengths, then a release fence, then
 * the flags, the batch's first descriptor last, so the front-end (which
 * reads used descriptors in ring order and stops at the first it does not
 * own) takes the whole batch at once. Nothing is written to the ring for
 * a buffer that was not consumed: a receive buffer the packet did not
 * fit, a transmit buffer waiting for mbufs.
 *
 * Receive (front-end receive queues, even virtqueues): each packet first
 * gathers the buffers it needs (walked and checked, nothing written), then
 * is copied into them. Without MRG_RXBUF a packet takes one buffer; with
 * it, as many as it needs, and num_buffers says how many.
 *
 * Transmit (odd virtqueues): each buffer's descriptors are copied into a
 * new mbuf (tvh_tx.h, shared with the split walker).
 */
#include <errno.h>
#include <string.h>

#include <rte_mbuf.h>
#include <rte_memcpy.h>

#include "tvh_pchain.h"
#include "tvh_tx.h"

/* One used descriptor to write. */
struct tvh_pused {
	uint16_t idx; /* free-running index of the buffer's first descriptor */
	uint16_t id;
	uint32_t len;
};

/* Shadow entries a burst collects before writing them out. */
#define TVH_PACKED_SHADOW 64u

/* Guest buffer pieces, and buffers, one received packet may fill. A
 * 9000-byte frame in 2 KiB mbuf buffers takes 5; more than this many is a
 * packet the front-end's buffers cannot take (counted too_big). */
#define TVH_PACKED_RX_SEGS 64u
#define TVH_PACKED_RX_BUFS 64u

/* Write n shadow entries to the ring. `write`: receive buffers, whose
 * used descriptors carry WRITE (their length means something, section
 * 2.8.4). */
static void
tvh_packed_flush(struct tvh_vq *vq, const struct tvh_pused *sh, uint32_t n,
		 bool write)
{
	struct tv_packed_desc *ring = vq->pring.desc;
	const uint32_t mask = vq->num - 1;
	const uint16_t wflag = write ? TV_DESC_F_WRITE : 0;

	if (n == 0)
		return;
	for (uint32_t i = 0; i < n; i++) {
		struct tv_packed_desc *d = &ring[sh[i].idx & mask];

		d->id = sh[i].id;
		d->len = sh[i].len;
	}
	/* Release: the ids and lengths (and the receive buffers' contents)
	 * are visible before any flags below; pairs with the front-end's
	 * read barrier between seeing a used descriptor's flags and reading
	 * its id and length. */
	rte_atomic_thread_fence(__ATOMIC_RELEASE);
	for (uint32_t i = 1; i < n; i++)
		__atomic_store_n(
			&ring[sh[i].idx & mask].flags,
			(uint16_t)(tv_packed_used_flags(sh[i].idx, vq->num) |
				   wflag),
			__ATOMIC_RELAXED);
	/* Release: the batch's other flags are visible before its first
	 * descriptor's, where the front-end looks first. */
	__atomic_store_n(&ring[sh[0].idx & mask].flags,
			 (uint16_t)(tv_packed_used_flags(sh[0].idx, vq->num) |
				    wflag),
			 __ATOMIC_RELEASE);
}

/* ---- Transmit ---- */

uint16_t
tvh_packed_dequeue(struct tvh_vq *vq, enum tvh_vq_state state,
		   struct rte_mempool *pool, struct rte_mbuf **pkts, uint16_t n)
{
	struct tvh_pused sh[TVH_PACKED_SHADOW];
	const uint16_t old_used = vq->last_used_idx;
	uint16_t idx = vq->last_avail_idx;
	uint32_t n_sh = 0, taken = 0;
	uint16_t got = 0;
	uint64_t bytes = 0;

	while (taken < n) {
		struct tvh_pchain c;
		struct tvh_tx_walk w;
		struct rte_mbuf *m;
		struct tv_desc d;
		int rc;

		if (!tvh_pchain_start(vq, idx, &c))
			break;
		m = rte_pktmbuf_alloc(pool);
		if (m == NULL) {
			vq->stats.no_mbufs++;
			break;
		}
		tvh_tx_walk_init(vq, &w, m);
		while ((rc = tvh_pchain_next(vq, &c, &d)) > 0) {
			rc = tvh_tx_desc(vq, idx & (vq->num - 1), &d, pool, &w);
			if (rc < 0)
				break;
		}
		if (rc == 0)
			rc = tvh_tx_walk_end(vq, idx & (vq->num - 1), &w);
		if (rc < 0) {
			/* -ENOMEM: nothing consumed, the buffer waits for
			 * the next burst. -EINVAL: the queue is broken and
			 * stops; nothing is returned for the bad buffer. */
			if (rc == -ENOMEM)
				vq->stats.no_mbufs++;
			rte_pktmbuf_free(m);
			break;
		}
		sh[n_sh].idx = idx;
		sh[n_sh].id = c.id;
		sh[n_sh].len = 0;
		n_sh++;
		idx = (uint16_t)(idx + c.nd);
		taken++;
		/* The state tvh_burst_enter loaded (see tvh_dequeue_burst). */
		if (unlikely(state == TVH_VQ_DISCARD)) {
			rte_pktmbuf_free(m);
			vq->discarded++;
		} else {
			bytes += m->pkt_len;
			pkts[got++] = m;
		}
		if (n_sh == TVH_PACKED_SHADOW) {
			tvh_packed_flush(vq, sh, n_sh, false);
			n_sh = 0;
		}
	}
	tvh_packed_flush(vq, sh, n_sh, false);
	vq->last_avail_idx = idx;
	vq->last_used_idx = idx;
	if (idx != old_used)
		tvh_vq_notify(vq, old_used, idx);
	vq->stats.packets += got;
	vq->stats.bytes += bytes;
	return got;
}

/* ---- Receive ---- */

/* A piece of guest memory a packet is written to. */
struct rx_seg {
	uint8_t *host;
	uint32_t len;
	uint16_t buf; /* which of the packet's buffers */
};

/* The buffers one packet fills. */
struct rx_gather {
	struct rx_seg seg[TVH_PACKED_RX_SEGS];
	struct tvh_pused buf[TVH_PACKED_RX_BUFS];
	uint32_t n_seg, n_buf;
	uint64_t room; /* bytes the gathered pieces hold */
	uint32_t reads; /* descriptors read for this packet */
	uint16_t next;	/* free-running index after the last buffer */
};

enum rx_result {
	RX_DONE,    /* packet delivered */
	RX_TOO_BIG, /* dropped: the front-end's buffers cannot take it */
	RX_NO_ROOM, /* not now: stop the burst */
	RX_BROKEN,  /* front-end error: stop the burst */
};

/* Add the writable descriptor copy d of buffer g->n_buf (whose walk is c)
 * to g's pieces, as far as the packet still needs room (need bytes in
 * all); the rest of the buffer is checked, not kept. Returns RX_DONE,
 * RX_TOO_BIG (more pieces than TVH_PACKED_RX_SEGS) or RX_BROKEN. */
static enum rx_result
rx_gather_desc(struct tvh_vq *vq, struct rx_gather *g, uint64_t need,
	       const struct tvh_pchain *c, const struct tv_desc *d)
{
	uint64_t addr = d->addr;
	uint32_t len = d->len;

	if (unlikely(!(d->flags & TV_DESC_F_WRITE))) {
		tvh_vq_error(vq, TVH_DP_ERR_DESC_FLAGS,
			     "front-end put a read-only buffer in receive "
			     "buffer %u",
			     c->head & (vq->num - 1));
		return RX_BROKEN;
	}
	while (len > 0) {
		uint64_t contig;
		uint8_t *p = tvh_gpa_to_host(vq->mem, addr, len, &contig);

		/* The whole buffer must be guest memory, not only the bytes
		 * this packet writes (as on split rings, tvh_split_rx.c). */
		if (unlikely(p == NULL)) {
			tvh_vq_error(vq, TVH_DP_ERR_DESC_ADDR,
				     "front-end's receive buffer 0x%" PRIx64
				     " (%u bytes) at %u is outside its memory "
				     "table",
				     d->addr, d->len, c->head & (vq->num - 1));
			return RX_BROKEN;
		}
		if (g->room < need) {
			struct rx_seg *s;

			if (g->n_seg == TVH_PACKED_RX_SEGS)
				return RX_TOO_BIG;
			s = &g->seg[g->n_seg++];
			s->host = p;
			s->len = (uint32_t)contig;
			s->buf = (uint16_t)g->n_buf;
			g->room += contig;
		}
		addr += contig;
		len -= (uint32_t)contig;
	}
	return RX_DONE;
}

/* Gather buffers from free-running index `start` on until they hold need
 * bytes. Reads descriptors, writes nothing. */
static enum rx_result
rx_gather(struct tvh_vq *vq, struct rx_gather *g, uint16_t start,
	  uint64_t need)
{
	uint16_t idx = start;

	g->n_seg = 0;
	g->n_buf = 0;
	g->room = 0;
	g->reads = 0;
	while (g->room < need) {
		struct tvh_pchain c;
		struct tv_desc d;
		enum rx_result r;
		int rc;

		/* Without mergeable buffers, one buffer per packet. */
		if (g->n_buf > 0 && !vq->mrg_rxbuf)
			return RX_TOO_BIG;
		if (g->n_buf == TVH_PACKED_RX_BUFS)
			return RX_TOO_BIG;
		if (!tvh_pchain_start(vq, idx, &c))
			/* Every descriptor of the ring offered, and the
			 * packet does not fit in them: it never will. */
			return (uint16_t)(idx - start) >= vq->num ? RX_TOO_BIG
								  : RX_NO_ROOM;
		while ((rc = tvh_pchain_next(vq, &c, &d)) > 0) {
			r = rx_gather_desc(vq, g, need, &c, &d);
			if (r != RX_DONE)
				return r;
		}
		if (rc < 0)
			return RX_BROKEN;
		/* The header in the first buffer (section 5.1.6.3.1: every
		 * receive buffer holds at least a header), as on split
		 * rings. */
		if (unlikely(g->n_buf == 0 && g->room < vq->hdr_len)) {
			tvh_vq_error(vq, TVH_DP_ERR_HDR,
				     "front-end's receive buffer at %u is "
				     "shorter than the %u-byte virtio-net "
				     "header",
				     idx & (vq->num - 1), vq->hdr_len);
			return RX_BROKEN;
		}
		/* As on split rings (rx_over_budget in tvh_split_rx.c): a
		 * packet's buffers are distinct descriptors, at most the
		 * ring plus its indirect tables; buffers that add no room
		 * must not make one packet read num * num of them. */
		g->reads += c.reads;
		if (unlikely(g->reads > 2 * vq->num)) {
			tvh_vq_error(vq, TVH_DP_ERR_CHAIN_LOOP,
				     "front-end's receive buffers for one "
				     "packet took %u descriptors in %u buffers "
				     "(more than twice the ring size %u)",
				     g->reads, g->n_buf + 1u, vq->num);
			return RX_BROKEN;
		}
		g->buf[g->n_buf].idx = idx;
		g->buf[g->n_buf].id = c.id;
		g->buf[g->n_buf].len = 0;
		g->n_buf++;
		idx = (uint16_t)(idx + c.nd);
	}
	g->next = idx;
	return RX_DONE;
}

/* Write cursor over the gathered pieces. */
struct rx_put {
	struct rx_gather *g;
	uint32_t seg;
	uint32_t off;
};

/* Copy len bytes from src to the cursor (the pieces hold them). */
static inline void
rx_put(const struct tvh_vq *vq, struct rx_put *w, const uint8_t *src,
       uint32_t len)
{
	while (len > 0) {
		struct rx_seg *s = &w->g->seg[w->seg];
		uint32_t n = s->len - w->off;

		if (n > len)
			n = len;
		tvh_copy(vq, s->host + w->off, src, n);
		w->g->buf[s->buf].len += n;
		w->off += n;
		src += n;
		len -= n;
		if (w->off == s->len) {
			w->seg++;
			w->off = 0;
		}
	}
}

/* Header and packet into the gathered pieces. */
static void
rx_write(const struct tvh_vq *vq, struct rx_gather *g, const struct rte_mbuf *m)
{
	struct tv_net_hdr_mrg hdr;
	struct rx_put w = {.g = g, .seg = 0, .off = 0};
	uint32_t left = m->pkt_len;

	/* No offloads are offered: zeros, and num_buffers (little-endian,
	 * only in the 12-byte header) the number of buffers. */
	memset(&hdr, 0, sizeof(hdr));
	hdr.num_buffers = rte_cpu_to_le_16((uint16_t)g->n_buf);
	rx_put(vq, &w, (const uint8_t *)&hdr, vq->hdr_len);
	for (const struct rte_mbuf *s = m; s != NULL && left > 0; s = s->next) {
		uint32_t n = RTE_MIN((uint32_t)s->data_len, left);

		rx_put(vq, &w, rte_pktmbuf_mtod(s, const uint8_t *), n);
		left -= n;
	}
	/* pkt_len promised more than the segments hold (an application
	 * bug): what there is was sent, the lengths say so. */
}

uint16_t
tvh_packed_enqueue(struct tvh_vq *vq, struct rte_mbuf *const *pkts,
		   uint16_t n)
{
	struct tvh_pused sh[TVH_PACKED_SHADOW];
	struct rx_gather g;
	const uint16_t old_used = vq->last_used_idx;
	uint16_t idx = vq->last_avail_idx;
	uint64_t bytes = 0, delivered = 0;
	uint32_t n_sh = 0;
	uint16_t done;

	for (done = 0; done < n; done++) {
		const struct rte_mbuf *m = pkts[done];
		enum rx_result r;

		r = rx_gather(vq, &g, idx, (uint64_t)vq->hdr_len + m->pkt_len);
		if (r == RX_NO_ROOM) {
			vq->stats.no_room++;
			break;
		}
		if (r == RX_BROKEN)
			break;
		if (r == RX_TOO_BIG) {
			vq->stats.too_big++;
			continue;
		}
		rx_write(vq, &g, m);
		if (n_sh + g.n_buf > TVH_PACKED_SHADOW) {
			tvh_packed_flush(vq, sh, n_sh, true);
			n_sh = 0;
		}
		memcpy(&sh[n_sh], g.buf, g.n_buf * sizeof(g.buf[0]));
		n_sh += g.n_buf;
		idx = g.next;
		delivered++;
		bytes += m->pkt_len;
	}
	tvh_packed_flush(vq, sh, n_sh, true);
	vq->last_avail_idx = idx;
	vq->last_used_idx = idx;
	if (idx != old_used)
		tvh_vq_notify(vq, old_used, idx);
	vq->stats.packets += delivered;
	vq->stats.bytes += bytes;
	return done;
}
