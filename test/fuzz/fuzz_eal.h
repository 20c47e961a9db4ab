/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * fuzz_eal.h - the EAL start of every fuzz target that runs DPDK code.
 *
 * Threading: call once, from the target's only thread.
 */
#ifndef FUZZ_EAL_H
#define FUZZ_EAL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_eal.h>

#include "fuzz_common.h"

/* Start EAL for target `name`: no hugepages, 256 MB, file prefix
 * h1-<prefix>-<pid>, libraries' logs at error and the logs of `driver` (a
 * log type pattern, e.g. "pmd.net.tandem_vhost.*") at critical, or debug
 * when FUZZ_VERBOSE is set. Returns whether it is set. Aborts on
 * failure. */
static inline bool
fuzz_eal_start(const char *name, const char *prefix, const char *driver)
{
	char fp[64], drv[96];
	char *argv[] = {(char *)(uintptr_t)name,
			"--no-huge",
			"-m",
			"256",
			"--no-pci",
			"--no-telemetry",
			fp,
			"--lcores=0@(0-1)",
			"--log-level=lib.*:error",
			drv,
			NULL};
	bool verbose = getenv("FUZZ_VERBOSE") != NULL;

	snprintf(drv, sizeof(drv), "--log-level=%s:%s", driver,
		 verbose ? "debug" : "critical");
	snprintf(fp, sizeof(fp), "--file-prefix=h1-%s-%d", prefix,
		 (int)getpid());
	FUZZ_CHECK(rte_eal_init((int)RTE_DIM(argv) - 1, argv) >= 0, "EAL init");
	return verbose;
}

#endif /* FUZZ_EAL_H */
