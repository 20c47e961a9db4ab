/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * tvh_copy.c - the packet copy of long runs (frames of hundreds of bytes
 * and more, jumbo segments), chosen per device at run time.
 *
 * DPDK's pkg-config flags build this library for the baseline ISA
 * (-march=corei7 in Debian's DPDK 22.11), so rte_memcpy moves 16 bytes an
 * instruction even on a CPU with AVX2 or AVX-512. The copies here are
 * compiled for their ISA with target attributes and only ever called after
 * tvh_copy_resolve() checked the CPU and EAL's max SIMD bitwidth, so the
 * library still runs on any x86-64 CPU. Short copies (64 B frames) stay
 * inline in the fast paths (tvh_copy() in tvh_internal.h): a call costs
 * more than it saves there.
 *
 * The loops store to aligned addresses: after one unaligned vector at the
 * start, the destination is rounded up to the vector size, so no store in
 * the loop splits a cache line (loads may; they are cheaper). Source and
 * destination never overlap (guest memory and an mbuf).
 */
#include <stdint.h>
#include <string.h>

#include <rte_common.h>
#include <rte_cpuflags.h>
#include <rte_memcpy.h>
#include <rte_vect.h>

#include "tvh_internal.h"

static const char *const copy_names[] = {
	[TVH_COPY_AUTO] = "auto",
	[TVH_COPY_SSE] = "sse",
	[TVH_COPY_AVX2] = "avx2",
	[TVH_COPY_AVX512] = "avx512",
};

const char *
tvh_copy_name(enum tvh_copy_level level)
{
	if ((unsigned int)level >= RTE_DIM(copy_names))
		return "?";
	return copy_names[level];
}

bool
tvh_copy_cpu_has(enum tvh_copy_level level)
{
	switch (level) {
	case TVH_COPY_AUTO:
	case TVH_COPY_SSE:
		return true; /* rte_memcpy as DPDK was built */
	case TVH_COPY_AVX2:
		return rte_cpu_get_flag_enabled(RTE_CPUFLAG_AVX2) > 0;
	case TVH_COPY_AVX512:
		return rte_cpu_get_flag_enabled(RTE_CPUFLAG_AVX512F) > 0;
	}
	return false;
}

/* auto is AVX2 even where EAL allows 512-bit vectors: measured on this
 * project's benchmark machine (one-core loop, 1518 B, EAL at 512 bits,
 * medians of 3), the AVX-512 copy gave 7.05 Mpps against 7.48 for the
 * AVX2 one and 7.11 for rte_memcpy. copy=avx512 still selects it. */
enum tvh_copy_level
tvh_copy_resolve(enum tvh_copy_level want)
{
	uint16_t max_bits = rte_vect_get_max_simd_bitwidth();

	if (want != TVH_COPY_AUTO)
		return want;
	if (max_bits >= RTE_VECT_SIMD_256 && tvh_copy_cpu_has(TVH_COPY_AVX2))
		return TVH_COPY_AVX2;
	return TVH_COPY_SSE;
}

static void
copy_sse(void *dst, const void *src, size_t n)
{
	rte_memcpy(dst, src, n);
}

#if defined(RTE_ARCH_X86_64) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

/* n >= 64. */
__attribute__((target("avx2"))) static void
copy_avx2(void *dst, const void *src, size_t n)
{
	uint8_t *d = dst;
	const uint8_t *s = src;
	uint8_t *const d_end = d + n;
	const uint8_t *const s_end = s + n;
	size_t step;

	/* Head: one unaligned vector, then continue from the next 32-byte
	 * boundary of the destination (1 to 32 bytes further). */
	_mm256_storeu_si256((__m256i *)d,
			    _mm256_loadu_si256((const __m256i *)s));
	step = 32 - ((uintptr_t)d & 31);
	d += step;
	s += step;
	while ((size_t)(d_end - d) > 128) {
		__m256i a = _mm256_loadu_si256((const __m256i *)s);
		__m256i b = _mm256_loadu_si256((const __m256i *)(s + 32));
		__m256i c = _mm256_loadu_si256((const __m256i *)(s + 64));
		__m256i e = _mm256_loadu_si256((const __m256i *)(s + 96));

		_mm256_store_si256((__m256i *)d, a);
		_mm256_store_si256((__m256i *)(d + 32), b);
		_mm256_store_si256((__m256i *)(d + 64), c);
		_mm256_store_si256((__m256i *)(d + 96), e);
		d += 128;
		s += 128;
	}
	while ((size_t)(d_end - d) > 32) {
		_mm256_store_si256((__m256i *)d,
				   _mm256_loadu_si256((const __m256i *)s));
		d += 32;
		s += 32;
	}
	/* Tail: the last 32 bytes, overlapping what was stored already. */
	_mm256_storeu_si256((__m256i *)(d_end - 32),
			    _mm256_loadu_si256((const __m256i *)(s_end - 32)));
}

/* n >= 64. */
__attribute__((target("avx512f"))) static void
copy_avx512(void *dst, const void *src, size_t n)
{
	uint8_t *d = dst;
	const uint8_t *s = src;
	uint8_t *const d_end = d + n;
	const uint8_t *const s_end = s + n;
	size_t step;

	_mm512_storeu_si512((void *)d, _mm512_loadu_si512((const void *)s));
	step = 64 - ((uintptr_t)d & 63);
	d += step;
	s += step;
	while ((size_t)(d_end - d) > 128) {
		__m512i a = _mm512_loadu_si512((const void *)s);
		__m512i b = _mm512_loadu_si512((const void *)(s + 64));

		_mm512_store_si512((void *)d, a);
		_mm512_store_si512((void *)(d + 64), b);
		d += 128;
		s += 128;
	}
	if ((size_t)(d_end - d) > 64) {
		_mm512_store_si512((void *)d,
				   _mm512_loadu_si512((const void *)s));
		d += 64;
		s += 64;
	}
	_mm512_storeu_si512((void *)(d_end - 64),
			    _mm512_loadu_si512((const void *)(s_end - 64)));
}
#define TVH_HAVE_WIDE_COPY 1
#endif

tvh_copy_fn
tvh_copy_fn_for(enum tvh_copy_level level)
{
	RTE_BUILD_BUG_ON(TVH_COPY_INLINE_MAX < 64);
	switch (level) {
#ifdef TVH_HAVE_WIDE_COPY
	case TVH_COPY_AVX2:
		return copy_avx2;
	case TVH_COPY_AVX512:
		return copy_avx512;
#endif
	default:
		return copy_sse;
	}
}
