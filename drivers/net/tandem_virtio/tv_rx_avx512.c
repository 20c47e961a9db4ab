/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * tv_rx_avx512.c - split-ring RX, AVX-512 F+BW (built with -mavx512f
 * -mavx512bw -mavx512vl; called only on CPUs that have them, see
 * tv_rx_select.c).
 *
 * The SSE step (tv_rx_sse.c explains it) on 64-byte registers: 16 used
 * entries per step, 8 per load; the range check yields a lane mask
 * directly (unsigned compare into a k register). Byte shuffles (BW) work
 * within 16-byte lanes: one shuffle gives the fields of the even packets,
 * a second those of the odd ones.
 */
#include <rte_vect.h>

#include "tv_rxtx.h"

#define AVX512_WIDTH 16u

static __rte_always_inline __m512i
fields_mask(int o)
{
	return _mm512_broadcast_i32x4(
		_mm_setr_epi8(-1, -1, -1, -1, o + 4, o + 5, o + 6, o + 7, o + 4,
			      o + 5, -1, -1, -1, -1, -1, -1));
}

/* The 8 mbufs whose (id, len - hdr) pairs are in t. */
static __rte_always_inline void
store_mbufs8(struct rte_mbuf **m, __m128i rearm, __m512i t)
{
	__m512i a = _mm512_shuffle_epi8(t, fields_mask(0));
	__m512i b = _mm512_shuffle_epi8(t, fields_mask(8));

	store_mbuf(m[0], rearm, _mm512_castsi512_si128(a));
	store_mbuf(m[1], rearm, _mm512_castsi512_si128(b));
	store_mbuf(m[2], rearm, _mm512_extracti32x4_epi32(a, 1));
	store_mbuf(m[3], rearm, _mm512_extracti32x4_epi32(b, 1));
	store_mbuf(m[4], rearm, _mm512_extracti32x4_epi32(a, 2));
	store_mbuf(m[5], rearm, _mm512_extracti32x4_epi32(b, 2));
	store_mbuf(m[6], rearm, _mm512_extracti32x4_epi32(a, 3));
	store_mbuf(m[7], rearm, _mm512_extracti32x4_epi32(b, 3));
}

static __rte_always_inline unsigned int
rx_group_avx512(struct tv_rxq *rxq, struct rte_mbuf **pkts, uint64_t *bytes)
{
	const uint16_t base = rxq->used_idx & rxq->mask;
	const struct tv_used_elem *u = &rxq->ring.used->ring[base];
	const int hdr = (int)rxq->hdr_len;
	const int room = (int)(rxq->buf_len - rxq->hdr_len);
	/* Odd 32-bit lanes hold lengths, even ones ids. */
	const __mmask16 len_lanes = 0xaaaa;
	struct tv_used_elem e[AVX512_WIDTH];
	struct rte_mbuf *m[AVX512_WIDTH];
	__m128i rearm;
	__m512i v0, v1, t0, t1, sub0, sub1, lim, lens;

	if (rxq->in_order) {
		/* (base + k, hdr) for k = 0..7 */
		sub0 = _mm512_mask_set1_epi32(
			_mm512_add_epi32(_mm512_set1_epi32(base),
					 _mm512_setr_epi32(0, 0, 1, 0, 2, 0, 3,
							   0, 4, 0, 5, 0, 6, 0,
							   7, 0)),
			len_lanes, hdr);
		sub1 = _mm512_mask_add_epi32(sub0, (__mmask16)~len_lanes, sub0,
					     _mm512_set1_epi32(8));
		lim = _mm512_maskz_set1_epi32(len_lanes, room);
	} else {
		sub0 = _mm512_maskz_set1_epi32(len_lanes, hdr);
		sub1 = sub0;
		lim = _mm512_mask_set1_epi32(_mm512_set1_epi32((int)rxq->mask),
					     len_lanes, room);
	}
	/* One read of the shared entries; only these copies are used. */
	v0 = _mm512_loadu_si512((const void *)&u[0]);
	v1 = _mm512_loadu_si512((const void *)&u[8]);
	rte_compiler_barrier();
	t0 = _mm512_sub_epi32(v0, sub0);
	t1 = _mm512_sub_epi32(v1, sub1);
	if ((_mm512_cmple_epu32_mask(t0, lim) &
	     _mm512_cmple_epu32_mask(t1, lim)) != 0xffff)
		return 0;
	_mm512_storeu_si512((void *)&e[0], v0);
	_mm512_storeu_si512((void *)&e[8], v1);
	if (!rx_vec_take(rxq, e, m, AVX512_WIDTH))
		return 0;

	rearm = _mm_set_epi64x(0, (long long)rxq->mbuf_initializer);
	store_mbufs8(&m[0], rearm, t0);
	store_mbufs8(&m[8], rearm, t1);
	_mm512_storeu_si512((void *)&pkts[0],
			    _mm512_loadu_si512((const void *)&m[0]));
	_mm512_storeu_si512((void *)&pkts[8],
			    _mm512_loadu_si512((const void *)&m[8]));
	lens = _mm512_srli_epi64(_mm512_add_epi32(t0, t1), 32);
	*bytes += (uint64_t)_mm512_reduce_add_epi64(lens);
	return AVX512_WIDTH;
}

uint16_t
tv_rx_burst_split_avx512(void *rxq, struct rte_mbuf **pkts, uint16_t nb_pkts)
{
	return rx_burst(rxq, pkts, nb_pkts, AVX512_WIDTH, rx_group_avx512,
			false);
}
