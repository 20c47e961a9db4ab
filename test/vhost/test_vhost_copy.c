/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * test_vhost_copy.c - lib/vhost's long copies (tvh_copy.c) at every level
 * this CPU has: every byte of the destination equals the source, nothing
 * before or after it is written, for lengths from just above the inline
 * limit to a jumbo frame and every source and destination alignment in a
 * 64-byte line. Also what `auto` resolves to under each EAL bitwidth, and
 * the inline path (tvh_copy) on both sides of its limit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_vect.h>

#include "tvh_internal.h"

#define GUARD 64u
#define MAXLEN 9216u

static unsigned int failures, checks;

#define CHECK(cond, ...)                                                       \
	do {                                                                   \
		checks++;                                                      \
		if (!(cond)) {                                                 \
			failures++;                                            \
			printf("FAIL %s:%d: ", __FILE__, __LINE__);            \
			printf(__VA_ARGS__);                                   \
			printf("\n");                                          \
		}                                                              \
	} while (0)

static uint8_t src_buf[MAXLEN + 2 * GUARD];
static uint8_t dst_buf[MAXLEN + 2 * GUARD];

/* One copy of n bytes from src_buf + GUARD + so to dst_buf + GUARD + d_o;
 * returns the number of wrong bytes (inside or outside the range). */
static unsigned int
one_copy(tvh_copy_fn fn, const struct tvh_vq *vq, size_t n, size_t so,
	 size_t d_o)
{
	const uint8_t *s = src_buf + GUARD + so;
	uint8_t *d = dst_buf + GUARD + d_o;
	/* The range and GUARD bytes on each side (a vector's worth more
	 * than any store of the copies could stray). */
	uint8_t *lo = d - GUARD, *hi = d + n + GUARD;
	unsigned int bad = 0;
	const uint8_t *p;

	memset(lo, 0xA5, (size_t)(hi - lo));
	if (fn != NULL)
		fn(d, s, n);
	else
		tvh_copy(vq, d, s, n);
	for (p = lo; p < hi; p++) {
		uint8_t want = p >= d && p < d + n ? s[p - d] : 0xA5;

		bad += *p != want;
	}
	return bad;
}

static void
test_level(enum tvh_copy_level level)
{
	static const size_t lens[] = {257, 258, 287, 288, 300, 319, 320,
				      383, 384, 511, 512, 1000, 1514, 1518,
				      2048, 4095, 4096, 8192, 9000, MAXLEN};
	tvh_copy_fn fn = tvh_copy_fn_for(level);
	unsigned int cases = 0, bad_cases = 0;
	size_t li, so, d_o;

	for (li = 0; li < RTE_DIM(lens); li++)
		for (so = 0; so < 64; so += (lens[li] > 2048 ? 13 : 1))
			for (d_o = 0; d_o < 64;
			     d_o += (lens[li] > 2048 ? 11 : 1)) {
				unsigned int bad;

				if (lens[li] + (so > d_o ? so : d_o) > MAXLEN)
					continue;
				bad = one_copy(fn, NULL, lens[li], so, d_o);
				cases++;
				if (bad != 0 && bad_cases++ < 5)
					printf("  %s: len %zu src+%zu dst+%zu: "
					       "%u wrong bytes\n",
					       tvh_copy_name(level), lens[li], so,
					       d_o, bad);
			}
	CHECK(bad_cases == 0, "copy %s: %u of %u cases wrong",
	      tvh_copy_name(level), bad_cases, cases);
	printf("ok copy %s: %u cases (lengths 257..%u, every alignment)\n",
	       tvh_copy_name(level), cases, MAXLEN);
}

/* tvh_copy: inline at and below TVH_COPY_INLINE_MAX, the vq's function
 * above; a vq whose function records its calls tells which ran. */
static size_t fn_calls;

static void
counting_copy(void *dst, const void *src, size_t n)
{
	fn_calls++;
	memcpy(dst, src, n);
}

static void
test_inline_limit(void)
{
	struct tvh_vq vq;
	static const size_t lens[] = {1, 12, 60, 64, 76, 128, 255,
				      TVH_COPY_INLINE_MAX,
				      TVH_COPY_INLINE_MAX + 1, 1518};
	size_t i;

	memset(&vq, 0, sizeof(vq));
	vq.copy = counting_copy;
	for (i = 0; i < RTE_DIM(lens); i++) {
		size_t before = fn_calls;
		unsigned int bad = one_copy(NULL, &vq, lens[i], 3, 7);
		bool called = fn_calls != before;

		CHECK(bad == 0, "tvh_copy len %zu: %u wrong bytes", lens[i],
		      bad);
		CHECK(called == (lens[i] > TVH_COPY_INLINE_MAX),
		      "tvh_copy len %zu: %s the vq's function", lens[i],
		      called ? "called" : "did not call");
	}
	printf("ok tvh_copy: inline up to %u bytes, the vq's copy above\n",
	       TVH_COPY_INLINE_MAX);
}

static void
test_resolve(void)
{
	static const struct {
		uint16_t bits;
		enum tvh_copy_level widest;
	} cases[] = {
		{RTE_VECT_SIMD_128, TVH_COPY_SSE},
		{RTE_VECT_SIMD_256, TVH_COPY_AVX2},
		/* AVX-512 copies only on request (slower, tvh_copy.c) */
		{RTE_VECT_SIMD_512, TVH_COPY_AVX2},
	};
	size_t i;

	for (i = 0; i < RTE_DIM(cases); i++) {
		enum tvh_copy_level want = cases[i].widest, got;

		/* The widest level the CPU has, at most the table's. */
		while (want != TVH_COPY_SSE && !tvh_copy_cpu_has(want))
			want--;
		CHECK(rte_vect_set_max_simd_bitwidth(cases[i].bits) == 0,
		      "set max SIMD bitwidth %u", cases[i].bits);
		got = tvh_copy_resolve(TVH_COPY_AUTO);
		CHECK(got == want, "auto at %u bits: %s, want %s",
		      cases[i].bits, tvh_copy_name(got), tvh_copy_name(want));
		/* A named level is kept whatever the bitwidth. */
		CHECK(tvh_copy_resolve(TVH_COPY_SSE) == TVH_COPY_SSE,
		      "sse stays sse at %u bits", cases[i].bits);
		printf("ok auto at %u bits: %s\n", cases[i].bits,
		       tvh_copy_name(got));
	}
	CHECK(tvh_copy_cpu_has(TVH_COPY_AUTO) && tvh_copy_cpu_has(TVH_COPY_SSE),
	      "auto and sse always available");
	CHECK(strcmp(tvh_copy_name((enum tvh_copy_level)9), "?") == 0,
	      "name of an unknown level");
}

int
main(void)
{
	enum tvh_copy_level level;
	size_t i;

	for (i = 0; i < sizeof(src_buf); i++)
		src_buf[i] = (uint8_t)(i * 131u + (i >> 8) * 7u + 1u);
	for (level = TVH_COPY_SSE; level <= TVH_COPY_AVX512; level++) {
		if (!tvh_copy_cpu_has(level)) {
			printf("skip copy %s: this CPU does not have it\n",
			       tvh_copy_name(level));
			continue;
		}
		test_level(level);
	}
	test_inline_limit();
	test_resolve();
	printf("%s: %u checks, %u failures\n", failures ? "FAIL" : "PASS",
	       checks, failures);
	return failures ? 1 : 0;
}
