/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * tv_rx_select.c - which RX path a queue runs: scalar, SSE4.2, AVX2 or
 * AVX-512, from the CPU's flags, EAL's max SIMD bitwidth
 * (--force-max-simd-bitwidth) and the devargs (simd=, vectorized=).
 *
 * The vector files are compiled with their ISA's flags, so the plugin
 * loads on any x86-64 CPU; they are only ever called after the checks
 * here. Control path only.
 */
#include <rte_cpuflags.h>
#include <rte_vect.h>

#include "tv_pmd.h"

static const char *const simd_names[] = {
	[TV_SIMD_AUTO] = "auto",     [TV_SIMD_SCALAR] = "scalar",
	[TV_SIMD_SSE] = "sse",	     [TV_SIMD_AVX2] = "avx2",
	[TV_SIMD_AVX512] = "avx512",
};

const char *
tv_simd_name(enum tv_simd simd)
{
	if ((unsigned int)simd >= RTE_DIM(simd_names))
		return "?";
	return simd_names[simd];
}

bool
tv_simd_cpu_has(enum tv_simd simd)
{
	switch (simd) {
	case TV_SIMD_AUTO:
	case TV_SIMD_SCALAR:
		return true;
	case TV_SIMD_SSE:
		return rte_cpu_get_flag_enabled(RTE_CPUFLAG_SSE4_2) > 0;
	case TV_SIMD_AVX2:
		return rte_cpu_get_flag_enabled(RTE_CPUFLAG_AVX2) > 0;
	case TV_SIMD_AVX512:
		return rte_cpu_get_flag_enabled(RTE_CPUFLAG_AVX512F) > 0 &&
		       rte_cpu_get_flag_enabled(RTE_CPUFLAG_AVX512BW) > 0 &&
		       rte_cpu_get_flag_enabled(RTE_CPUFLAG_AVX512VL) > 0;
	}
	return false;
}

enum tv_simd
tv_simd_resolve(enum tv_simd want)
{
	uint16_t max_bits = rte_vect_get_max_simd_bitwidth();

	if (want != TV_SIMD_AUTO)
		return want;
	if (max_bits >= RTE_VECT_SIMD_512 && tv_simd_cpu_has(TV_SIMD_AVX512))
		return TV_SIMD_AVX512;
	if (max_bits >= RTE_VECT_SIMD_256 && tv_simd_cpu_has(TV_SIMD_AVX2))
		return TV_SIMD_AVX2;
	if (max_bits >= RTE_VECT_SIMD_128 && tv_simd_cpu_has(TV_SIMD_SSE))
		return TV_SIMD_SSE;
	return TV_SIMD_SCALAR;
}

tv_rx_burst_fn
tv_rx_burst_for(enum tv_simd simd)
{
	switch (simd) {
	case TV_SIMD_SSE:
		return tv_rx_burst_split_sse;
	case TV_SIMD_AVX2:
		return tv_rx_burst_split_avx2;
	case TV_SIMD_AVX512:
		return tv_rx_burst_split_avx512;
	case TV_SIMD_AUTO:
	case TV_SIMD_SCALAR:
		break;
	}
	return tv_rx_burst_split;
}
