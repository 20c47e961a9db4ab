/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * tt_cpu.h - the CPU time this process used, all threads: what a test
 * compares over a window to tell a thread that waits from one that spins.
 * Header only, no dependencies.
 */
#ifndef TT_CPU_H
#define TT_CPU_H

#include <time.h>

/* CPU seconds of the whole process so far. */
static inline double
tt_cpu_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

#endif /* TT_CPU_H */
