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
	struct tvh_pused one;

	if (n == 0)
		return;
	/* IN_ORDER transmit: one used descriptor for the batch, the last
	 * buffer's id at the first buffer's position (section 2.8.9: the
	 * front-end completes every buffer up to it, and knows how far to
	 * skip). Receive buffers each need their length. */
	if (!write && vq->in_order && n > 1) {
		one = sh[n - 1];
		one.idx = sh[0].idx;
		sh = &one;
		n = 1;
	}
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

/* The end of a burst: the last shadow entries out, both indexes at idx
 * (every buffer taken was returned), the front-end notified if it asks,
 * the counters. */
static void
burst_end(struct tvh_vq *vq, const struct tvh_pused *sh, uint32_t n_sh,
	  bool write, uint16_t old_used, uint16_t idx, uint64_t packets,
	  uint64_t bytes)
{
	tvh_packed_flush(vq, sh, n_sh, write);
	vq->last_avail_idx = idx;
	vq->last_used_idx = idx;
	if (idx != old_used)
		tvh_vq_notify(vq, old_used, idx);
	vq->stats.packets += packets;
	vq->stats.bytes += bytes;
}

/* ---- Transmit ---- */

/* Fast path: up to k buffers from free-running index idx on that are one
 * read-only descriptor holding header and packet, the packet fitting one
 * mbuf, in translatable memory. Returns how many were consumed (a prefix;
 * the walker takes the buffer it stopped at), their used entries in sh.
 * The flags of the k positions are looked at first, so that the mbufs
 * come from the pool in one bulk get of as many as there are buffers. */
static uint32_t
tx_fast(struct tvh_vq *vq, uint16_t idx, struct rte_mempool *pool,
	struct rte_mbuf **pkts, uint32_t k, struct tvh_pused *sh,
	uint64_t *bytes)
{
	struct tv_packed_desc *ring = vq->pring.desc;
	const uint32_t num = vq->num, mask = num - 1;
	const uint32_t hdr_len = vq->hdr_len;
	const uint32_t room = tvh_tx_pool_room(pool);
	uint32_t n, avail;

	for (avail = 0; avail < k; avail++) {
		uint16_t i = (uint16_t)(idx + avail);
		/* Acquire: as in tvh_pchain_start, pairs with the
		 * front-end's release of the buffer's flags. */
		uint16_t f = __atomic_load_n(&ring[i & mask].flags,
					     __ATOMIC_ACQUIRE);

		if (!tv_packed_desc_is_avail(f, tv_packed_wrap(i, num)) ||
		    (f & (TV_DESC_F_NEXT | TV_DESC_F_WRITE |
			  TV_DESC_F_INDIRECT)) != 0)
			break;
	}
	if (avail == 0 ||
	    unlikely(rte_mempool_get_bulk(pool, (void **)pkts, avail) != 0))
		return 0; /* the walker tries one mbuf at a time */
	for (n = 0; n < avail; n++) {
		uint16_t i = (uint16_t)(idx + n);
		struct rte_mbuf *m = pkts[n];
		/* rte_pktmbuf_reset's headroom. */
		uint16_t headroom =
			RTE_MIN((uint16_t)RTE_PKTMBUF_HEADROOM, m->buf_len);
		struct tv_packed_desc d;
		const uint8_t *p;
		uint32_t len;

		/* The one read of the descriptor (its flags were judged
		 * above); only the copy is used. */
		tvh_pdesc_read(ring, i & mask, &d);
		if (unlikely(d.len <= hdr_len || d.len - hdr_len > room ||
			     d.len - hdr_len > (uint32_t)(m->buf_len -
							  headroom)))
			break;
		p = tvh_tx_fast_ptr(vq, d.addr, d.len);
		if (unlikely(p == NULL))
			break;
		len = d.len - hdr_len;
		tvh_tx_mbuf_init(m, headroom, len);
		tvh_copy(vq, rte_pktmbuf_mtod(m, void *), p + hdr_len, len);
		sh[n].idx = i;
		sh[n].id = d.id;
		sh[n].len = 0;
		*bytes += len;
	}
	/* Unused mbufs go back as they came: still valid raw mbufs. */
	if (n < avail)
		rte_mempool_put_bulk(pool, (void **)(pkts + n), avail - n);
	return n;
}

/* The walker: the buffer at idx into a new mbuf (ret: see
 * tvh_pchain_start). Returns its used entry's
 * descriptor count (> 0) with *out set, or 0 if the buffer is not there,
 * no mbuf could be had (nothing consumed), or it is bad (the queue broke;
 * nothing is returned for it). */
static uint16_t
tx_slow(struct tvh_vq *vq, uint16_t idx, uint16_t ret,
	struct rte_mempool *pool, struct rte_mbuf **out, struct tvh_pused *sh)
{
	struct tvh_pchain c;
	struct tvh_tx_walk w;
	struct rte_mbuf *m;
	struct tv_desc d;
	int rc;

	if (!tvh_pchain_start(vq, idx, ret, &c))
		return 0;
	m = rte_pktmbuf_alloc(pool);
	if (m == NULL) {
		vq->stats.no_mbufs++;
		return 0;
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
		/* -ENOMEM: nothing consumed, the buffer waits for the next
		 * burst. -EINVAL: the queue is broken and stops. */
		if (rc == -ENOMEM)
			vq->stats.no_mbufs++;
		rte_pktmbuf_free(m);
		return 0;
	}
	sh->idx = idx;
	sh->id = c.id;
	sh->len = 0;
	*out = m;
	return c.nd;
}

uint16_t
tvh_packed_dequeue(struct tvh_vq *vq, enum tvh_vq_state state,
		   struct rte_mempool *pool, struct rte_mbuf **pkts, uint16_t n)
{
	struct tvh_pused sh[TVH_PACKED_SHADOW];
	const uint16_t old_used = vq->last_used_idx;
	uint16_t idx = vq->last_avail_idx;
	uint16_t ret = idx; /* the first descriptor not yet returned */
	uint32_t n_sh = 0, got = 0;
	uint64_t bytes = 0;

	/* A disabled ring's packets are dropped (see tvh_dequeue_burst): one
	 * at a time through the walker, into a local slot. */
	if (unlikely(state == TVH_VQ_DISCARD)) {
		struct rte_mbuf *m;
		uint16_t nd;

		while (got < n &&
		       (nd = tx_slow(vq, idx, ret, pool, &m, &sh[n_sh])) > 0) {
			rte_pktmbuf_free(m);
			vq->discarded++;
			idx = (uint16_t)(idx + nd);
			got++;
			if (++n_sh == TVH_PACKED_SHADOW) {
				tvh_packed_flush(vq, sh, n_sh, false);
				n_sh = 0;
				ret = idx;
			}
		}
		got = 0;
		goto flush;
	}
	while (got < n) {
		uint32_t k = RTE_MIN((uint32_t)(n - got), TVH_BATCH);
		uint32_t f;
		uint16_t nd;

		if (n_sh + k > TVH_PACKED_SHADOW) {
			tvh_packed_flush(vq, sh, n_sh, false);
			n_sh = 0;
			ret = idx;
		}
		/* Not past ret + num (tvh_pring_left): on a ring smaller than
		 * the shadow, positions the burst took and has not returned
		 * come round again, and a front-end may have marked them
		 * available for the next lap meanwhile. */
		k = RTE_MIN(k, (uint32_t)tvh_pring_left(vq, ret, idx));
		if (k == 0)
			break;
		f = tx_fast(vq, idx, pool, pkts + got, k, sh + n_sh, &bytes);
		idx = (uint16_t)(idx + f); /* one descriptor each */
		n_sh += f;
		got += f;
		if (f == k)
			continue;
		nd = tx_slow(vq, idx, ret, pool, &pkts[got], &sh[n_sh]);
		if (nd == 0)
			break;
		bytes += pkts[got]->pkt_len;
		idx = (uint16_t)(idx + nd);
		n_sh++;
		got++;
	}
flush:
	burst_end(vq, sh, n_sh, false, old_used, idx, got, bytes);
	return (uint16_t)got;
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
 * bytes (ret: see tvh_pchain_start). Reads descriptors, writes nothing. */
static enum rx_result
rx_gather(struct tvh_vq *vq, struct rx_gather *g, uint16_t start,
	  uint16_t ret, uint64_t need)
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
		if (!tvh_pchain_start(vq, idx, ret, &c))
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

/* Fast path: up to k packets, each a one-segment mbuf going into a buffer
 * of one writable descriptor (no NEXT, no INDIRECT) that holds header and
 * packet, in translatable memory. Returns how many were delivered (a
 * prefix: the general writer takes the packet it stopped at), their used
 * entries in sh. */
static uint32_t
rx_fast(struct tvh_vq *vq, uint16_t idx, struct rte_mbuf *const *pkts,
	uint32_t k, struct tvh_pused *sh, uint64_t *bytes)
{
	struct tv_packed_desc *ring = vq->pring.desc;
	const uint32_t num = vq->num, mask = num - 1;
	const uint32_t hdr_len = vq->hdr_len;
	uint32_t n;

	for (n = 0; n < k; n++) {
		const struct rte_mbuf *m = pkts[n];
		uint16_t i = (uint16_t)(idx + n);
		uint32_t need = hdr_len + m->pkt_len;
		struct tv_packed_desc d;
		uint64_t contig;
		uint8_t *dst;
		uint16_t f;

		if (unlikely(m->nb_segs != 1 || m->data_len != m->pkt_len))
			break;
		/* Acquire: as in tvh_pchain_start. */
		f = __atomic_load_n(&ring[i & mask].flags, __ATOMIC_ACQUIRE);
		if (!tv_packed_desc_is_avail(f, tv_packed_wrap(i, num)) ||
		    (f & (TV_DESC_F_NEXT | TV_DESC_F_WRITE |
			  TV_DESC_F_INDIRECT)) != TV_DESC_F_WRITE)
			break;
		/* The next mbuf's packet, while this one is copied. */
		if (n + 1 < k)
			tvh_prefetch_run(rte_pktmbuf_mtod(pkts[n + 1], char *),
					 pkts[n + 1]->pkt_len);
		tvh_pdesc_read(ring, i & mask, &d);
		/* The whole buffer, as the walker checks it. */
		if (unlikely(d.len < need || d.addr + d.len - 1 < d.addr))
			break;
		dst = tvh_gpa_to_host(vq->mem, d.addr, d.len, &contig);
		if (unlikely(dst == NULL || contig != d.len))
			break;
		tvh_rx_put_one(vq, dst, m);
		sh[n].idx = i;
		sh[n].id = d.id;
		sh[n].len = need;
		*bytes += m->pkt_len;
	}
	return n;
}

uint16_t
tvh_packed_enqueue(struct tvh_vq *vq, struct rte_mbuf *const *pkts,
		   uint16_t n)
{
	struct tvh_pused sh[TVH_PACKED_SHADOW];
	struct rx_gather g;
	const uint16_t old_used = vq->last_used_idx;
	uint16_t idx = vq->last_avail_idx;
	uint16_t ret = idx; /* the first descriptor not yet returned */
	uint64_t bytes = 0, delivered = 0;
	uint32_t n_sh = 0;
	uint16_t done = 0;

	while (done < n) {
		const struct rte_mbuf *m;
		enum rx_result r;
		uint32_t k = RTE_MIN((uint32_t)(n - done), TVH_BATCH), f;

		if (n_sh + k > TVH_PACKED_SHADOW) {
			tvh_packed_flush(vq, sh, n_sh, true);
			n_sh = 0;
			ret = idx;
		}
		/* Not past ret + num, as in tvh_packed_dequeue: the ring's
		 * buffers are all taken, no room for this packet. */
		k = RTE_MIN(k, (uint32_t)tvh_pring_left(vq, ret, idx));
		if (k == 0) {
			vq->stats.no_room++;
			break;
		}
		f = rx_fast(vq, idx, pkts + done, k, sh + n_sh, &bytes);
		idx = (uint16_t)(idx + f); /* one descriptor each */
		n_sh += f;
		delivered += f;
		done = (uint16_t)(done + f);
		if (f == k)
			continue;
		/* The general writer: a packet the fast path did not take,
		 * or no buffer left (it tells no room from too big). */
		m = pkts[done];
		r = rx_gather(vq, &g, idx, ret,
			      (uint64_t)vq->hdr_len + m->pkt_len);
		if (r == RX_NO_ROOM) {
			vq->stats.no_room++;
			break;
		}
		if (r == RX_BROKEN)
			break;
		done++;
		if (r == RX_TOO_BIG) {
			vq->stats.too_big++;
			continue;
		}
		rx_write(vq, &g, m);
		if (n_sh + g.n_buf > TVH_PACKED_SHADOW) {
			tvh_packed_flush(vq, sh, n_sh, true);
			n_sh = 0;
			ret = idx;
		}
		memcpy(&sh[n_sh], g.buf, g.n_buf * sizeof(g.buf[0]));
		n_sh += g.n_buf;
		idx = g.next;
		delivered++;
		bytes += m->pkt_len;
	}
	burst_end(vq, sh, n_sh, true, old_used, idx, delivered, bytes);
	return done;
}
