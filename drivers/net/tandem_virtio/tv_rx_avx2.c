/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * tv_rx_avx2.c - split-ring RX, AVX2 (built with -mavx2; called only on
 * CPUs that have it, see tv_rx_select.c).
 *
 * The SSE step (tv_rx_sse.c explains it) on 32-byte registers: 8 used
 * entries per step, 4 per load. Byte shuffles work within 16-byte lanes,
 * so one shuffle yields the fields of the first packet of each lane, a
 * second those of the other one.
 */
#include <rte_vect.h>

#include "tv_rxtx.h"

#define AVX2_WIDTH 8u

#define AVX2_FIELDS_MASK(o)                                                    \
	_mm256_setr_epi8(-1, -1, -1, -1, (o) + 4, (o) + 5, (o) + 6, (o) + 7,   \
			 (o) + 4, (o) + 5, -1, -1, -1, -1, -1, -1, -1, -1, -1, \
			 -1, (o) + 4, (o) + 5, (o) + 6, (o) + 7, (o) + 4,      \
			 (o) + 5, -1, -1, -1, -1, -1, -1)

/* The 4 mbufs whose (id, len - hdr) pairs are in t. */
static __rte_always_inline void
store_mbufs4(struct rte_mbuf **m, __m128i rearm, __m256i t)
{
	__m256i a = _mm256_shuffle_epi8(t, AVX2_FIELDS_MASK(0));
	__m256i b = _mm256_shuffle_epi8(t, AVX2_FIELDS_MASK(8));

	store_mbuf(m[0], rearm, _mm256_castsi256_si128(a));
	store_mbuf(m[1], rearm, _mm256_castsi256_si128(b));
	store_mbuf(m[2], rearm, _mm256_extracti128_si256(a, 1));
	store_mbuf(m[3], rearm, _mm256_extracti128_si256(b, 1));
}

static __rte_always_inline unsigned int
rx_group_avx2(struct tv_rxq *rxq, struct rte_mbuf **pkts, uint64_t *bytes)
{
	const uint16_t base = rxq->used_idx & rxq->mask;
	const struct tv_used_elem *u = &rxq->ring.used->ring[base];
	const int hdr = (int)rxq->hdr_len;
	const int room = (int)(rxq->buf_len - rxq->hdr_len);
	struct tv_used_elem e[AVX2_WIDTH];
	struct rte_mbuf *m[AVX2_WIDTH];
	__m128i rearm;
	__m256i v0, v1, t0, t1, sub0, sub1, lim, ok, lens;
	__m128i sum;

	if (rxq->in_order) {
		sub0 = _mm256_setr_epi32(base, hdr, base + 1, hdr, base + 2,
					 hdr, base + 3, hdr);
		sub1 = _mm256_add_epi32(
			sub0, _mm256_setr_epi32(4, 0, 4, 0, 4, 0, 4, 0));
		lim = _mm256_setr_epi32(0, room, 0, room, 0, room, 0, room);
	} else {
		const int mask = (int)rxq->mask;

		sub0 = _mm256_setr_epi32(0, hdr, 0, hdr, 0, hdr, 0, hdr);
		sub1 = sub0;
		lim = _mm256_setr_epi32(mask, room, mask, room, mask, room,
					mask, room);
	}
	/* One read of the shared entries; only these copies are used. */
	v0 = _mm256_loadu_si256((const __m256i *)(const void *)&u[0]);
	v1 = _mm256_loadu_si256((const __m256i *)(const void *)&u[4]);
	rte_compiler_barrier();
	t0 = _mm256_sub_epi32(v0, sub0);
	t1 = _mm256_sub_epi32(v1, sub1);
	ok = _mm256_and_si256(
		_mm256_cmpeq_epi32(_mm256_min_epu32(t0, lim), t0),
		_mm256_cmpeq_epi32(_mm256_min_epu32(t1, lim), t1));
	if (_mm256_movemask_epi8(ok) != -1)
		return 0;
	_mm256_storeu_si256((__m256i *)(void *)&e[0], v0);
	_mm256_storeu_si256((__m256i *)(void *)&e[4], v1);
	if (!rx_vec_take(rxq, e, m, AVX2_WIDTH))
		return 0;

	rearm = _mm_set_epi64x(0, (long long)rxq->mbuf_initializer);
	store_mbufs4(&m[0], rearm, t0);
	store_mbufs4(&m[4], rearm, t1);
	_mm256_storeu_si256((__m256i *)(void *)&pkts[0],
			    _mm256_loadu_si256((const __m256i *)(void *)&m[0]));
	_mm256_storeu_si256((__m256i *)(void *)&pkts[4],
			    _mm256_loadu_si256((const __m256i *)(void *)&m[4]));
	/* Sum of the 8 lengths: odd 32-bit lanes of t0 + t1. */
	lens = _mm256_srli_epi64(_mm256_add_epi32(t0, t1), 32);
	sum = _mm_add_epi64(_mm256_castsi256_si128(lens),
			    _mm256_extracti128_si256(lens, 1));
	*bytes += (uint64_t)_mm_cvtsi128_si64(sum) +
		  (uint64_t)_mm_extract_epi64(sum, 1);
	return AVX2_WIDTH;
}

uint16_t
tv_rx_burst_split_avx2(void *rxq, struct rte_mbuf **pkts, uint16_t nb_pkts)
{
	return rx_burst(rxq, pkts, nb_pkts, AVX2_WIDTH, rx_group_avx2, false);
}
