/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * test_vhost_copy.c - lib/vhost's long copies (tvh_copy.c) at every level
 * this CPU has: every byte of the destination equals the source, nothing
 * within 64 bytes before or after it is written, for every length from
 * just above the inline limit to a jumbo frame (each at several source
 * and destination offsets in a 64-byte line, every offset pair recurring
 * across the lengths) and every offset pair at the lengths around block
 * and frame sizes. The program opens no fds (no EAL), so there is no
 * fd-leak check. Also what `auto` resolves to under each EAL bitwidth, and
 * the inline path (tvh_copy) on both sides of its limit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_vect.h>

#include "tvh_internal.h"

#define GUARD  64u
#define MAXLEN 9216u
#define MINLEN 257u /* just above TVH_COPY_INLINE_MAX */
#define LINE   64u  /* offsets 0..LINE-1 from a line's start */
/* Rotating offset pairs per length in the every-length sweep. */
#define ROT 16u

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

/* Room for the longest copy at the largest offset, GUARD on each side. */
static uint8_t src_buf[GUARD + LINE + MAXLEN + GUARD];
static uint8_t dst_buf[GUARD + LINE + MAXLEN + GUARD];
static uint8_t guard_pat[GUARD];

/* Wrong bytes among n at p, against `want` (or 0xA5 if NULL). */
static unsigned int
count_bad(const uint8_t *p, const uint8_t *want, size_t n)
{
	unsigned int bad = 0;

	for (size_t i = 0; i < n; i++)
		bad += p[i] != (want != NULL ? want[i] : 0xA5);
	return bad;
}

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

	memset(lo, 0xA5, (size_t)(hi - lo));
	if (fn != NULL)
		fn(d, s, n);
	else
		tvh_copy(vq, d, s, n);
	/* memcmp first (fast), byte counts only for a mismatch: the
	 * every-length sweep must stay within a few seconds. */
	if (memcmp(lo, guard_pat, GUARD) != 0)
		bad += count_bad(lo, NULL, GUARD);
	if (memcmp(d, s, n) != 0)
		bad += count_bad(d, s, n);
	if (memcmp(d + n, guard_pat, GUARD) != 0)
		bad += count_bad(d + n, NULL, GUARD);
	return bad;
}

struct level_run {
	tvh_copy_fn fn;
	enum tvh_copy_level level;
	unsigned int cases, bad_cases;
};

static void
run_case(struct level_run *r, size_t n, size_t so, size_t d_o)
{
	unsigned int bad = one_copy(r->fn, NULL, n, so, d_o);

	r->cases++;
	if (bad != 0 && r->bad_cases++ < 5)
		printf("  %s: len %zu src+%zu dst+%zu: %u wrong bytes\n",
		       tvh_copy_name(r->level), n, so, d_o, bad);
}

static void
test_level(enum tvh_copy_level level)
{
	/* Every source and destination offset pair in a line, at the
	 * lengths around the copies' block sizes and the frame sizes. */
	static const size_t lens[] = {MINLEN, 258,  287,   288,	 300,  319,
				      320,    383,  384,   511,	 512,  1000,
				      1514,   1518, 2048,  4095, 4096, 8192,
				      9000,   9215, MAXLEN};
	struct level_run r = {.fn = tvh_copy_fn_for(level), .level = level};
	unsigned int pair_hits[LINE][LINE] = {{0}};
	unsigned int min_hits = UINT32_MAX, max_hits = 0;
	size_t n, so, d_o, p = 0;

	for (size_t li = 0; li < RTE_DIM(lens); li++)
		for (so = 0; so < LINE; so++)
			for (d_o = 0; d_o < LINE; d_o++)
				run_case(&r, lens[li], so, d_o);
	/* Every length, aligned and at ROT offset pairs. The pairs come
	 * from a walk that meets all LINE * LINE of them once per
	 * LINE * LINE steps: `pair` (p times an odd number, modulo
	 * LINE * LINE) is a permutation of p; its low part is the source
	 * offset, its high part the destination offset's distance from it.
	 * A step moves the source offset by 7 and the distance by 16 or 17,
	 * so one length's pairs differ in both. */
	for (n = MINLEN; n <= MAXLEN; n++) {
		run_case(&r, n, 0, 0);
		for (unsigned int k = 0; k < ROT; k++, p++) {
			size_t pair = p * (16 * LINE + 7) % (LINE * LINE);

			so = pair % LINE;
			d_o = (pair / LINE + so) % LINE;
			pair_hits[so][d_o]++;
			run_case(&r, n, so, d_o);
		}
	}
	for (so = 0; so < LINE; so++)
		for (d_o = 0; d_o < LINE; d_o++) {
			if (pair_hits[so][d_o] < min_hits)
				min_hits = pair_hits[so][d_o];
			if (pair_hits[so][d_o] > max_hits)
				max_hits = pair_hits[so][d_o];
		}
	/* The walk is what the output line claims: even over the pairs. */
	CHECK(min_hits >= (MAXLEN - MINLEN + 1) * ROT / (LINE * LINE),
	      "copy %s: an offset pair met only %u times", tvh_copy_name(level),
	      min_hits);
	CHECK(r.bad_cases == 0, "copy %s: %u of %u cases wrong",
	      tvh_copy_name(level), r.bad_cases, r.cases);
	printf("%s copy %s: %u cases, %u bytes guarded each side: all %ux%u "
	       "src/dst offsets at %zu lengths %u..%u; every length %u..%u "
	       "at offsets 0/0 and %u more pairs (each of the %u pairs "
	       "%u to %u times)\n",
	       r.bad_cases == 0 ? "ok" : "FAIL", tvh_copy_name(level), r.cases,
	       GUARD, LINE, LINE, RTE_DIM(lens), MINLEN, MAXLEN, MINLEN, MAXLEN,
	       ROT, LINE * LINE, min_hits, max_hits);
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

	memset(guard_pat, 0xA5, sizeof(guard_pat));
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
