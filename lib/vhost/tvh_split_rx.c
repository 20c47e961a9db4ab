/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * Split ring, front-end receive queues (even virtqueues): mbufs -> guest
 * buffers. Each packet gets a virtio-net header of zeros (no offloads are
 * offered) except num_buffers, the number of chains it used (always 1
 * without MRG_RXBUF). Only device-writable descriptors are written.
 *
 * As on the transmit side, a fast path takes the common case in batches
 * of up to TVH_BATCH (one-segment mbuf, one writable descriptor that
 * holds header and packet: the avail entries are read in one go, each
 * descriptor is copied once and checked, then the packet is copied; the
 * used entries go to a shadow ring written out once per batch) and stops
 * at the first packet it does not take; the general writer (rx_one) takes
 * that one, with all the checks and error reports. used->idx is stored
 * once per burst.
 */
#include <errno.h>
#include <string.h>

#include <rte_mbuf.h>
#include <rte_memcpy.h>

#include "tvh_chain.h"

/* Write cursor over one chain's buffers. */
struct rx_dst {
	struct tvh_chain c;
	uint16_t head;
	uint64_t addr;	  /* next guest address to write */
	uint8_t *host;	  /* addr's host address if the descriptor lies in
			   * one region, else NULL (translate per piece) */
	uint32_t left;	  /* bytes left in the current descriptor */
	uint32_t written; /* bytes written into this chain: the used len */
};

/* Make room in the cursor: move to the next non-empty descriptor if the
 * current one is full. Returns 1 (room), 0 (chain full) or -EINVAL. */
static inline int
rx_dst_room(struct tvh_vq *vq, struct rx_dst *dst)
{
	struct tv_desc d;
	uint64_t contig;
	uint8_t *p;
	int rc;

	while (dst->left == 0) {
		rc = tvh_chain_next(vq, &dst->c, &d);
		if (rc <= 0)
			return rc;
		if (unlikely(!(d.flags & TV_DESC_F_WRITE))) {
			tvh_vq_error(vq, TVH_DP_ERR_DESC_FLAGS,
				     "front-end put a read-only buffer in "
				     "receive chain %u",
				     dst->head);
			return -EINVAL;
		}
		/* The whole buffer must be guest memory (and not wrap), not
		 * only the bytes this packet will write: a buffer running
		 * past the table is the front-end's error, refused as the
		 * transmit side refuses it (tvh_chain_next refused a buffer
		 * whose end wraps). */
		/* The common case, one region, is translated once here
		 * and not again per copy (callgrind, one-core loop at
		 * 9000 B, five 2 KiB buffers a packet: tvh_enqueue_burst
		 * 2914 -> 2775 instructions a packet). */
		p = d.len > 0 ? tvh_gpa_to_host(vq->mem, d.addr, d.len, &contig)
			      : NULL;
		dst->host = p != NULL && contig == d.len ? p : NULL;
		if (unlikely(d.len > 0 && dst->host == NULL &&
			     !tvh_gpa_range_ok(vq->mem, d.addr, d.len))) {
			tvh_vq_error(vq, TVH_DP_ERR_DESC_ADDR,
				     "front-end's receive buffer 0x%" PRIx64
				     " (%u bytes) of chain %u is outside its "
				     "memory table",
				     d.addr, d.len, dst->head);
			return -EINVAL;
		}
		dst->addr = d.addr;
		dst->left = d.len;
	}
	return 1;
}

/* Host pointer for the next up to `want` bytes of the cursor; *n gets how
 * many are contiguous. NULL (counted) if outside the memory table. */
static inline uint8_t *
rx_dst_ptr(struct tvh_vq *vq, struct rx_dst *dst, uint32_t want, uint32_t *n)
{
	uint64_t contig;
	uint8_t *p;

	if (want > dst->left)
		want = dst->left;
	if (likely(dst->host != NULL)) {
		*n = want;
		return dst->host;
	}
	p = tvh_gpa_to_host(vq->mem, dst->addr, want, &contig);
	if (unlikely(p == NULL)) {
		tvh_vq_error(vq, TVH_DP_ERR_DESC_ADDR,
			     "front-end's receive buffer at 0x%" PRIx64
			     " (%u bytes left) of chain %u is outside its "
			     "memory table",
			     dst->addr, dst->left, dst->head);
		return NULL;
	}
	*n = (uint32_t)contig;
	return p;
}

static inline void
rx_dst_advance(struct rx_dst *dst, uint32_t n)
{
	dst->addr += n;
	if (dst->host != NULL)
		dst->host += n;
	dst->left -= n;
	dst->written += n;
}

/* Write a zero header of hdr_len bytes, remembering where the two bytes of
 * num_buffers landed (the header may be split anywhere). Returns 0,
 * -ENOSPC (chain shorter than the header: counted) or -EINVAL. */
static int
rx_write_hdr(struct tvh_vq *vq, struct rx_dst *dst, uint8_t *nb[2])
{
	const uint32_t nb_off = offsetof(struct tv_net_hdr_mrg, num_buffers);
	uint32_t off = 0;

	nb[0] = NULL;
	nb[1] = NULL;
	while (off < vq->hdr_len) {
		uint32_t n;
		uint8_t *p;
		int rc = rx_dst_room(vq, dst);

		if (rc < 0)
			return rc;
		if (rc == 0) {
			tvh_vq_error(vq, TVH_DP_ERR_HDR,
				     "front-end's receive chain %u is shorter "
				     "than the %u-byte virtio-net header",
				     dst->head, vq->hdr_len);
			return -EINVAL;
		}
		p = rx_dst_ptr(vq, dst, vq->hdr_len - off, &n);
		if (p == NULL)
			return -EINVAL;
		memset(p, 0, n);
		for (uint32_t i = 0; i < 2; i++)
			if (nb_off + i >= off && nb_off + i < off + n)
				nb[i] = p + (nb_off + i - off);
		rx_dst_advance(dst, n);
		off += n;
	}
	return 0;
}

/* Source cursor over an mbuf chain. */
struct rx_src {
	const struct rte_mbuf *seg;
	uint32_t off;  /* in seg */
	uint32_t left; /* packet bytes not yet copied */
};

/* Copy from src into the chain until one of them is exhausted. Returns 0
 * or -EINVAL. */
static int
rx_copy(struct tvh_vq *vq, struct rx_dst *dst, struct rx_src *src)
{
	while (src->left > 0) {
		uint32_t seg_left, want, n;
		uint8_t *p;
		int rc = rx_dst_room(vq, dst);

		if (rc <= 0)
			return rc;
		while (src->off == src->seg->data_len) {
			/* pkt_len promised more than the segments hold (an
			 * application bug): send what there is. */
			if (src->seg->next == NULL) {
				src->left = 0;
				return 0;
			}
			src->seg = src->seg->next;
			src->off = 0;
		}
		seg_left = src->seg->data_len - src->off;
		want = seg_left < src->left ? seg_left : src->left;
		p = rx_dst_ptr(vq, dst, want, &n);
		if (p == NULL)
			return -EINVAL;
		tvh_copy(vq, p,
			 rte_pktmbuf_mtod_offset(src->seg, const uint8_t *,
						 src->off),
			 n);
		rx_dst_advance(dst, n);
		src->off += n;
		src->left -= n;
	}
	return 0;
}

enum rx_result {
	RX_DONE,    /* packet delivered */
	RX_TOO_BIG, /* dropped: can never fit */
	RX_NO_ROOM, /* not now: stop the burst */
	RX_BROKEN,  /* front-end error: stop the burst */
};

/* Working state of one burst. */
struct rx_burst {
	uint16_t avail_idx; /* front-end's, read once per burst */
	uint16_t next_avail;
	uint16_t used_idx;
	uint16_t mask;
};

/* Add the descriptors chain c read (the packet's chain number heads + 1)
 * to *reads, what the packet has read in all its chains; true, with the
 * error reported, once that is more than twice the ring size. Each chain
 * has its own budget (tvh_chain_start), but with mergeable buffers a
 * packet walks chain after chain, and chains that add no bytes
 * (zero-length buffers, the same head offered again and again) would make
 * one packet read up to num * num descriptors: seconds of the polling
 * lcore at num 32768, again for every retry. An honest front-end's
 * buffers for one packet are distinct descriptors: at most the ring's
 * num, plus the entries of an indirect table. */
static __rte_always_inline bool
rx_over_budget(struct tvh_vq *vq, const struct tvh_chain *c, uint32_t *reads,
	       uint16_t heads)
{
	*reads += c->reads;
	if (likely(*reads <= 2 * vq->num))
		return false;
	tvh_vq_error(vq, TVH_DP_ERR_CHAIN_LOOP,
		     "front-end's receive buffers for one packet took %u "
		     "descriptors in %u chains (more than twice the ring size "
		     "%u)",
		     *reads, heads + 1u, vq->num);
	return true;
}

static enum rx_result
rx_one(struct tvh_vq *vq, struct rx_burst *b, const struct rte_mbuf *m)
{
	const uint16_t start_avail = b->next_avail;
	const uint16_t start_used = b->used_idx;
	struct rx_src src = {.seg = m, .off = 0, .left = m->pkt_len};
	uint8_t *nb[2] = {NULL, NULL};
	uint32_t reads = 0; /* descriptors read in all chains so far */
	uint16_t heads = 0;

	for (;;) {
		struct rx_dst dst = {.left = 0, .written = 0};
		struct tv_used_elem *ue;

		if (b->next_avail == b->avail_idx) {
			/* Out of buffers. If every buffer of the ring was
			 * offered and the packet still does not fit, it
			 * never will. */
			b->next_avail = start_avail;
			b->used_idx = start_used;
			if ((uint16_t)(b->avail_idx - start_avail) == vq->num)
				return RX_TOO_BIG;
			return RX_NO_ROOM;
		}
		dst.head = *(volatile uint16_t *)&vq->ring.avail
				    ->ring[b->next_avail & b->mask];
		if (tvh_chain_start(vq, dst.head, &dst.c) < 0 ||
		    (heads == 0 && rx_write_hdr(vq, &dst, nb) < 0) ||
		    rx_copy(vq, &dst, &src) < 0 ||
		    rx_over_budget(vq, &dst.c, &reads, heads)) {
			/* Earlier chains of this packet are not published
			 * either: the packet is not delivered. */
			b->next_avail = start_avail;
			b->used_idx = start_used;
			return RX_BROKEN;
		}
		b->next_avail++;
		heads++;
		ue = &vq->ring.used->ring[b->used_idx & b->mask];
		ue->id = dst.head;
		ue->len = dst.written;
		b->used_idx++;
		if (src.left == 0)
			break;
		if (!vq->mrg_rxbuf) {
			/* One chain per packet: this one is too small. It
			 * stays available for the next packet. */
			b->next_avail = start_avail;
			b->used_idx = start_used;
			return RX_TOO_BIG;
		}
	}
	/* num_buffers: little-endian, possibly split across buffers. A
	 * 10-byte legacy header has no such field. */
	if (nb[0] != NULL)
		*nb[0] = (uint8_t)heads;
	if (nb[1] != NULL)
		*nb[1] = (uint8_t)(heads >> 8);
	return RX_DONE;
}

/* Fast path: up to k packets, each a one-segment mbuf going into one
 * writable descriptor (no NEXT, no INDIRECT) that holds header and
 * packet, in translatable memory. Returns how many were delivered (a
 * prefix: it stops at the first packet or chain it does not take, which
 * the general writer then handles).
 *
 * One pass per packet (check, then copy at once) rather than a pass of
 * checks and prefetches followed by a pass of copies: measured with
 * bench_vhost_dp on 4 KiB pages (--no-huge), the second pass found the
 * first pass's lines and TLB entries evicted and cost ~5 cycles a packet
 * more at 64 B. */
static uint32_t
rx_fast_batch(struct tvh_vq *vq, struct rx_burst *b,
	      struct rte_mbuf *const *pkts, uint32_t k, uint64_t *bytes)
{
	const uint32_t hdr_len = vq->hdr_len;
	struct tv_used_elem sh[TVH_BATCH];
	uint32_t n;

	for (n = 0; n < k; n++) {
		const struct rte_mbuf *m = pkts[n];
		uint32_t need = hdr_len + m->pkt_len;
		struct tv_desc d;
		uint64_t contig;
		uint8_t *dst;

		/* The mbuf first: a chained mbuf (a jumbo frame) stops the
		 * batch before any avail entry is read, instead of after
		 * reading k of them for nothing (callgrind, one-core loop at
		 * 9000 B: rx_fast_batch 195 -> 36 instructions a packet). */
		if (unlikely(m->nb_segs != 1 || m->data_len != m->pkt_len))
			break;
		/* The next mbuf's first line, and the packet after it,
		 * while this one is copied (measured: tx_fast_batch). */
		if (n + 2 < k)
			rte_prefetch0(pkts[n + 2]);
		if (n + 1 < k)
			tvh_prefetch_run(rte_pktmbuf_mtod(pkts[n + 1], char *),
					 pkts[n + 1]->pkt_len);
		/* The avail entry, read once. */
		sh[n].id = *(volatile uint16_t *)&vq->ring.avail
				    ->ring[(uint16_t)(b->next_avail + n) &
					   b->mask];
		if (unlikely(sh[n].id >= vq->num))
			break;
		/* The one read of the descriptor; only the copy is used. */
		tvh_desc_read(vq->ring.desc, sh[n].id, &d);
		/* Same rule as the walker (tvh_chain_next): the whole
		 * buffer, not only the bytes written, must not wrap. */
		if (unlikely(d.flags != TV_DESC_F_WRITE || d.len < need ||
			     d.addr + d.len - 1 < d.addr))
			break;
		/* The whole buffer in one region (the walker takes the
		 * rest, and refuses a buffer outside the table). */
		dst = tvh_gpa_to_host(vq->mem, d.addr, d.len, &contig);
		if (unlikely(dst == NULL || contig != d.len))
			break;
		tvh_rx_put_one(vq, dst, m);
		sh[n].len = need;
		*bytes += m->pkt_len;
	}
	if (n > 0) {
		tvh_used_flush(vq, b->used_idx, sh, n);
		b->used_idx = (uint16_t)(b->used_idx + n);
		b->next_avail = (uint16_t)(b->next_avail + n);
	}
	return n;
}

uint16_t
tvh_enqueue_burst(struct tvh_dev *dev, uint16_t vq_idx,
		  struct rte_mbuf *const *pkts, uint16_t n)
{
	struct tvh_vq *vq;
	struct rx_burst b;
	uint64_t bytes = 0, delivered = 0;
	uint16_t old_used, done = 0;
	enum tvh_vq_state state;

	if (unlikely(dev == NULL || vq_idx >= dev->n_vqs ||
		     tv_net_vq_is_guest_tx(vq_idx) || n == 0))
		return 0;
	vq = &dev->vqs[vq_idx];
	state = tvh_burst_enter(vq);
	if (state == TVH_VQ_STOPPED)
		return 0;
	/* A receive ring is never started disabled (tvh_vq_try_start);
	 * checked anyway: a disabled ring must not get packets. The state
	 * is the one tvh_burst_enter loaded (ready may change under us). */
	if (unlikely(state != TVH_VQ_RUN))
		goto out;
	if (vq->packed) { /* published with ready: read after the gate */
		done = tvh_packed_enqueue(vq, pkts, n);
		goto out;
	}

	/* Acquire: pairs with the front-end's write barrier between filling
	 * avail->ring[] (and the descriptors) and publishing avail->idx. */
	b.avail_idx = __atomic_load_n(&vq->ring.avail->idx, __ATOMIC_ACQUIRE);
	b.next_avail = vq->last_avail_idx;
	if (unlikely((uint16_t)(b.avail_idx - b.next_avail) > vq->num)) {
		tvh_vq_error(vq, TVH_DP_ERR_AVAIL_IDX,
			     "front-end moved avail idx from %u to %u, more "
			     "than the ring size %u",
			     b.next_avail, b.avail_idx, vq->num);
		goto out;
	}
	b.mask = (uint16_t)(vq->num - 1);
	old_used = vq->last_used_idx;
	b.used_idx = old_used;
	while (done < n) {
		uint32_t k = RTE_MIN((uint32_t)(n - done), TVH_BATCH);
		uint32_t left = (uint16_t)(b.avail_idx - b.next_avail);
		enum rx_result r;

		k = RTE_MIN(k, left);
		if (k > 0) {
			uint32_t f =
				rx_fast_batch(vq, &b, pkts + done, k, &bytes);

			done = (uint16_t)(done + f);
			delivered += f;
			if (f == k)
				continue;
		}
		/* The general writer: a packet the fast path did not take,
		 * or no buffer left (it tells no room from too big). */
		r = rx_one(vq, &b, pkts[done]);
		if (r == RX_NO_ROOM) {
			vq->stats.no_room++;
			break;
		}
		if (r == RX_BROKEN)
			break;
		if (r == RX_TOO_BIG) {
			vq->stats.too_big++;
		} else {
			delivered++;
			bytes += pkts[done]->pkt_len;
		}
		done++;
	}
	vq->last_avail_idx = b.next_avail;
	if (b.used_idx != old_used) {
		/* Release: the buffers' contents and used entries become
		 * visible before the index; pairs with the front-end's read
		 * barrier after it reads used->idx. */
		__atomic_store_n(&vq->ring.used->idx, b.used_idx,
				 __ATOMIC_RELEASE);
		vq->last_used_idx = b.used_idx;
		tvh_vq_notify(vq, old_used, b.used_idx);
	}
	vq->stats.packets += delivered;
	vq->stats.bytes += bytes;
	tvh_avail_event_update(vq);
out:
	tvh_burst_leave(vq);
	return done;
}
