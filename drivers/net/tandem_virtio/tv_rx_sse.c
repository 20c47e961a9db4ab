/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * tv_rx_sse.c - split-ring RX, SSE4.2 (built with -msse4.2; called only
 * on CPUs that have it, see tv_rx_select.c).
 *
 * A step takes 4 used entries with two 16-byte loads and checks ids and
 * lengths with one subtract and one unsigned min per load: after
 * subtracting (expected id, header length) from each (id, len) pair, every
 * lane must be <= (0 or num - 1, buffer room). The same registers are then
 * shuffled into the 16 bytes of each mbuf from packet_type on (packet_type
 * 0, pkt_len, data_len, vlan_tci 0, hash.rss 0) and stored with the 16
 * constant bytes before them (rearm_data, ol_flags 0): the 32 bytes
 * rx_init_mbuf writes in the scalar path. The rest of the loop is shared
 * (tv_rxtx.h).
 */
#include <rte_vect.h>

#include "tv_rxtx.h"

#define SSE_WIDTH 4u

/* Per 16-byte lane: bytes 0-7 hold (id, len - hdr) of packet A, 8-15 of
 * packet B. The masks build the fields of A (len at bytes 4-7) or B (len
 * at bytes 12-15); 0xff bytes come out zero. */
#define SSE_FIELDS_MASK(o)                                                     \
	_mm_setr_epi8(-1, -1, -1, -1, (o) + 4, (o) + 5, (o) + 6, (o) + 7,      \
		      (o) + 4, (o) + 5, -1, -1, -1, -1, -1, -1)

static __rte_always_inline unsigned int
rx_group_sse(struct tv_rxq *rxq, struct rte_mbuf **pkts, uint64_t *bytes)
{
	const uint16_t base = rxq->used_idx & rxq->mask;
	const struct tv_used_elem *u = &rxq->ring.used->ring[base];
	const int hdr = (int)rxq->hdr_len;
	const int room = (int)(rxq->buf_len - rxq->hdr_len);
	struct tv_used_elem e[SSE_WIDTH];
	struct rte_mbuf *m[SSE_WIDTH];
	__m128i v0, v1, t0, t1, sub0, sub1, lim, ok, rearm;
	unsigned int i;

	if (rxq->in_order) {
		sub0 = _mm_setr_epi32(base, hdr, base + 1, hdr);
		sub1 = _mm_setr_epi32(base + 2, hdr, base + 3, hdr);
		lim = _mm_setr_epi32(0, room, 0, room);
	} else {
		sub0 = _mm_setr_epi32(0, hdr, 0, hdr);
		sub1 = sub0;
		lim = _mm_setr_epi32((int)rxq->mask, room, (int)rxq->mask,
				     room);
	}
	/* One read of the shared entries; only these copies are used. */
	v0 = _mm_loadu_si128((const __m128i *)(const void *)&u[0]);
	v1 = _mm_loadu_si128((const __m128i *)(const void *)&u[2]);
	rte_compiler_barrier();
	t0 = _mm_sub_epi32(v0, sub0);
	t1 = _mm_sub_epi32(v1, sub1);
	ok = _mm_and_si128(_mm_cmpeq_epi32(_mm_min_epu32(t0, lim), t0),
			   _mm_cmpeq_epi32(_mm_min_epu32(t1, lim), t1));
	if (_mm_movemask_epi8(ok) != 0xffff)
		return 0;
	_mm_storeu_si128((__m128i *)(void *)&e[0], v0);
	_mm_storeu_si128((__m128i *)(void *)&e[2], v1);
	if (!rx_vec_take(rxq, e, m, SSE_WIDTH))
		return 0;

	rearm = _mm_set_epi64x(0, (long long)rxq->mbuf_initializer);
	store_mbuf(m[0], rearm, _mm_shuffle_epi8(t0, SSE_FIELDS_MASK(0)));
	store_mbuf(m[1], rearm, _mm_shuffle_epi8(t0, SSE_FIELDS_MASK(8)));
	store_mbuf(m[2], rearm, _mm_shuffle_epi8(t1, SSE_FIELDS_MASK(0)));
	store_mbuf(m[3], rearm, _mm_shuffle_epi8(t1, SSE_FIELDS_MASK(8)));
	for (i = 0; i < SSE_WIDTH; i++)
		pkts[i] = m[i];
	*bytes += (uint32_t)_mm_extract_epi32(t0, 1) +
		  (uint32_t)_mm_extract_epi32(t0, 3) +
		  (uint32_t)_mm_extract_epi32(t1, 1) +
		  (uint32_t)_mm_extract_epi32(t1, 3);
	return SSE_WIDTH;
}

uint16_t
tv_rx_burst_split_sse(void *rxq, struct rte_mbuf **pkts, uint16_t nb_pkts)
{
	return rx_burst(rxq, pkts, nb_pkts, SSE_WIDTH, rx_group_sse, false);
}
