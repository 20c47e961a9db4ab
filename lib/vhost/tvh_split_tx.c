/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * Split ring, front-end transmit queues (odd virtqueues): guest buffers ->
 * new mbufs. The virtio-net header is skipped (no offloads are offered, so
 * it carries nothing we use) but its descriptors are checked like any
 * other.
 */
#include <errno.h>

#include <rte_mbuf.h>
#include <rte_memcpy.h>

#include "tvh_chain.h"

/* Append len bytes at host pointer src to the packet, growing it by new
 * segments from pool. Returns 0 or -ENOMEM. */
static inline int
tx_append(struct rte_mbuf *m, struct rte_mbuf **last, struct rte_mempool *pool,
	  const uint8_t *src, uint32_t len)
{
	struct rte_mbuf *seg = *last;

	while (len > 0) {
		uint32_t room = rte_pktmbuf_tailroom(seg);
		uint32_t n;

		if (room == 0) {
			struct rte_mbuf *next = rte_pktmbuf_alloc(pool);

			if (next == NULL)
				return -ENOMEM;
			room = rte_pktmbuf_tailroom(next);
			if (room == 0 || m->nb_segs == UINT16_MAX) {
				rte_pktmbuf_free(next);
				return -ENOMEM;
			}
			seg->next = next;
			seg = next;
			m->nb_segs++;
		}
		n = len < room ? len : room;
		rte_memcpy(
			rte_pktmbuf_mtod_offset(seg, uint8_t *, seg->data_len),
			src, n);
		seg->data_len += n;
		m->pkt_len += n;
		src += n;
		len -= n;
	}
	*last = seg;
	return 0;
}

/* One packet from the chain at `head` into a new mbuf chain. Returns 0,
 * -ENOMEM (nothing consumed, try again later), -ERANGE (head is not a
 * descriptor: cannot even be returned) or -EINVAL (bad chain, counted;
 * return it with length 0). */
static int
tx_one(struct tvh_vq *vq, uint16_t head, struct rte_mempool *pool,
       struct rte_mbuf **out)
{
	uint32_t hdr_left = vq->hdr_len;
	uint64_t chain_bytes = 0;
	struct rte_mbuf *m, *last;
	struct tvh_chain c;
	struct tv_desc d;
	int rc;

	if (tvh_chain_start(vq, head, &c) < 0)
		return -ERANGE;
	m = rte_pktmbuf_alloc(pool);
	if (m == NULL)
		return -ENOMEM;
	last = m;
	while ((rc = tvh_chain_next(vq, &c, &d)) > 0) {
		uint64_t addr = d.addr;
		uint32_t len = d.len;

		if (unlikely(d.flags & TV_DESC_F_WRITE)) {
			tvh_vq_error(vq, TVH_DP_ERR_DESC_FLAGS,
				     "front-end put a device-writable buffer "
				     "in transmitted chain %u",
				     head);
			goto bad;
		}
		/* Checked before copying: a front-end must not make us copy
		 * gigabytes for one packet. */
		chain_bytes += len;
		if (unlikely(chain_bytes > TVH_MAX_PKT_LEN + vq->hdr_len)) {
			tvh_vq_error(vq, TVH_DP_ERR_PKT_LEN,
				     "front-end transmitted more than %u bytes "
				     "in chain %u",
				     TVH_MAX_PKT_LEN, head);
			goto bad;
		}
		while (len > 0) {
			uint64_t contig;
			const uint8_t *p =
				tvh_gpa_to_host(vq->mem, addr, len, &contig);
			uint32_t skip;

			if (unlikely(p == NULL)) {
				tvh_vq_error(vq, TVH_DP_ERR_DESC_ADDR,
					     "front-end's buffer 0x%" PRIx64
					     " (%u bytes) of chain %u is "
					     "outside its memory table",
					     d.addr, d.len, head);
				goto bad;
			}
			/* The header may end anywhere, even in a later
			 * descriptor: skip it byte-exactly. */
			skip = hdr_left < contig ? hdr_left : (uint32_t)contig;
			hdr_left -= skip;
			rc = tx_append(m, &last, pool, p + skip,
				       (uint32_t)contig - skip);
			if (unlikely(rc < 0)) {
				rte_pktmbuf_free(m);
				return rc;
			}
			addr += contig;
			len -= (uint32_t)contig;
		}
	}
	if (rc < 0)
		goto bad;
	if (unlikely(hdr_left > 0)) {
		tvh_vq_error(vq, TVH_DP_ERR_HDR,
			     "front-end's chain %u is shorter than the %u-byte "
			     "virtio-net header",
			     head, vq->hdr_len);
		goto bad;
	}
	if (unlikely(m->pkt_len == 0)) {
		tvh_vq_error(
			vq, TVH_DP_ERR_PKT_LEN,
			"front-end transmitted an empty packet in chain %u",
			head);
		goto bad;
	}
	*out = m;
	return 0;
bad:
	rte_pktmbuf_free(m);
	return -EINVAL;
}

uint16_t
tvh_dequeue_burst(struct tvh_dev *dev, uint16_t vq_idx,
		  struct rte_mempool *pool, struct rte_mbuf **pkts, uint16_t n)
{
	struct tvh_vq *vq;
	uint16_t avail_idx, n_avail, used_idx, old_used, mask, got = 0;

	if (unlikely(dev == NULL || vq_idx >= dev->n_vqs ||
		     !tv_net_vq_is_guest_tx(vq_idx) || n == 0))
		return 0;
	vq = &dev->vqs[vq_idx];
	if (!tvh_burst_enter(vq))
		return 0;

	/* Acquire: pairs with the front-end's write barrier between filling
	 * avail->ring[] (and the descriptors) and publishing avail->idx. */
	avail_idx = __atomic_load_n(&vq->ring.avail->idx, __ATOMIC_ACQUIRE);
	n_avail = (uint16_t)(avail_idx - vq->last_avail_idx);
	if (unlikely(n_avail > vq->num)) {
		tvh_vq_error(vq, TVH_DP_ERR_AVAIL_IDX,
			     "front-end moved avail idx from %u to %u, more "
			     "than the ring size %u",
			     vq->last_avail_idx, avail_idx, vq->num);
		goto out;
	}
	if (n_avail < n)
		n = n_avail;
	mask = (uint16_t)(vq->num - 1);
	old_used = vq->last_used_idx;
	used_idx = old_used;
	while (got < n) {
		uint16_t head = *(volatile uint16_t *)&vq->ring.avail
					 ->ring[vq->last_avail_idx & mask];
		struct tv_used_elem *ue;
		struct rte_mbuf *m = NULL;
		int rc = tx_one(vq, head, pool, &m);

		if (rc == -ENOMEM) {
			vq->stats.no_mbufs++;
			break;
		}
		if (rc == -ERANGE)
			break;
		/* Consumed: a bad chain goes back with length 0 so the
		 * front-end can reclaim its buffers. */
		vq->last_avail_idx++;
		ue = &vq->ring.used->ring[used_idx & mask];
		ue->id = head;
		ue->len = 0;
		used_idx++;
		if (rc < 0)
			break;
		vq->stats.packets++;
		vq->stats.bytes += m->pkt_len;
		pkts[got++] = m;
	}
	if (used_idx != old_used) {
		/* Release: the used entries above become visible before the
		 * index; pairs with the front-end's read barrier after it
		 * reads used->idx. */
		__atomic_store_n(&vq->ring.used->idx, used_idx,
				 __ATOMIC_RELEASE);
		vq->last_used_idx = used_idx;
		tvh_vq_notify(vq, old_used, used_idx);
	}
out:
	tvh_burst_leave(vq);
	return got;
}
