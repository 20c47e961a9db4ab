/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * tu_check.h - the unit tests' tiny assertion kit. A failed check prints
 * file:line, the expression and both values, and the test exits 1 at the
 * end (checks keep going so one run shows every failure).
 */
#ifndef TU_CHECK_H
#define TU_CHECK_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "../common/tt_fds.h"

static int tu_failures;

#define TU_CHECK(cond)                                                         \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "%s:%d: FAIL: %s\n", __FILE__,         \
				__LINE__, #cond);                              \
			tu_failures++;                                         \
		}                                                              \
	} while (0)

/* Integer equality, printing both sides. */
#define TU_EQ(a, b)                                                            \
	do {                                                                   \
		long long tu_a_ = (long long)(a), tu_b_ = (long long)(b);      \
		if (tu_a_ != tu_b_) {                                          \
			fprintf(stderr,                                        \
				"%s:%d: FAIL: %s == %s (%lld != %lld, "        \
				"0x%llx != 0x%llx)\n",                         \
				__FILE__, __LINE__, #a, #b, tu_a_, tu_b_,      \
				(unsigned long long)tu_a_,                     \
				(unsigned long long)tu_b_);                    \
			tu_failures++;                                         \
		}                                                              \
	} while (0)

/* Fatal: the rest of the test cannot run. */
#define TU_REQUIRE(cond)                                                       \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "%s:%d: FATAL: %s\n", __FILE__,        \
				__LINE__, #cond);                              \
			exit(1);                                               \
		}                                                              \
	} while (0)

/* Open fds of this process (tt_fds.h); /proc must be readable. */
static inline int
tu_count_fds(void)
{
	int n = tt_count_fds();

	TU_REQUIRE(n >= 0);
	return n;
}

static inline int
tu_finish(const char *name)
{
	if (tu_failures) {
		fprintf(stderr, "%s: %d check(s) failed\n", name, tu_failures);
		return 1;
	}
	printf("%s: all checks passed\n", name);
	return 0;
}

#endif /* TU_CHECK_H */
