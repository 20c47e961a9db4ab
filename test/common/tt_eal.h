/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * tt_eal.h - EAL for the one-process DPDK test programs that load Tandem's
 * plugins: one lcore, no hugepages, no PCI, a file prefix of their own,
 * DPDK's and the PMDs' logs at error level. Header only.
 */
#ifndef TT_EAL_H
#define TT_EAL_H

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_mempool.h>

#include "tt_fds.h"

/* The program's failed checks; tt_end turns them into the exit code. */
static unsigned int failures;

#define CHECK(cond, ...)                                                       \
	do {                                                                   \
		if (!(cond)) {                                                 \
			failures++;                                            \
			fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);   \
			fprintf(stderr, __VA_ARGS__);                          \
			fputc('\n', stderr);                                   \
		}                                                              \
	} while (0)

/* rte_eal_init with the plugins (-d) loaded; prefix names the program
 * (the pid is added). Returns what rte_eal_init returned. A plugin that
 * does not load fails it: no reason to skip a test. */
static inline int
tt_eal_init(const char *prog, const char *prefix, const char *const *plugins,
	    unsigned int n_plugins)
{
	char pfx[64], dl[4][300];
	char *eal[16];
	int n = 0;
	unsigned int i;

	if (n_plugins > 4)
		return -1;
	snprintf(pfx, sizeof(pfx), "--file-prefix=%s%d", prefix, getpid());
	eal[n++] = (char *)(uintptr_t)prog;
	eal[n++] = pfx;
	for (i = 0; i < n_plugins; i++) {
		snprintf(dl[i], sizeof(dl[i]), "-d%s", plugins[i]);
		eal[n++] = dl[i];
	}
	eal[n++] = (char *)(uintptr_t) "--no-pci";
	eal[n++] = (char *)(uintptr_t) "--no-huge";
	eal[n++] = (char *)(uintptr_t) "-m";
	eal[n++] = (char *)(uintptr_t) "512";
	eal[n++] = (char *)(uintptr_t) "-l";
	eal[n++] = (char *)(uintptr_t) "0";
	eal[n++] = (char *)(uintptr_t) "--log-level=lib.*:error";
	eal[n++] = (char *)(uintptr_t) "--log-level=pmd.*:error";
	eal[n] = NULL;
	return rte_eal_init(n, eal);
}

/* The start of such a program: argv[1..n_plugins] must be the plugins
 * (`usage` names them), dir (a mkdtemp template) becomes a fresh
 * directory, EAL starts with the plugins loaded. Returns 0, or the exit
 * code (1) after saying why. */
static inline int
tt_start(int argc, char **argv, unsigned int n_plugins, const char *usage,
	 const char *prefix, char *dir)
{
	if (argc != (int)n_plugins + 1) {
		fprintf(stderr, "usage: %s %s\n", argv[0], usage);
		return 1;
	}
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	if (tt_eal_init(argv[0], prefix, (const char *const *)&argv[1],
			n_plugins) < 0) {
		fprintf(stderr, "FAIL: EAL does not start with the plugin(s)");
		for (unsigned int i = 1; i <= n_plugins; i++)
			fprintf(stderr, " %s", argv[i]);
		fprintf(stderr, " (%s)\n", rte_strerror(rte_errno));
		rmdir(dir);
		return 1;
	}
	return 0;
}

/* The open-fd count once it is at most `limit`, waiting up to 2 s: stock
 * rte_vhost closes a connection's fd from its own event thread a little
 * after rte_vdev_uninit returned (seen in CI: one fd more, for a moment).
 * A leak stays and is still seen. */
static inline int
tt_fds_settle(int limit)
{
	int n = tt_count_fds();

	for (int w = 0; w < 200 && n > limit; w++) {
		usleep(10000);
		n = tt_count_fds();
	}
	return n;
}

/* The end of such a program, every port closed: no more fds open than
 * fds_before (tt_fds_settle), every mbuf back in mp (then freed; NULL if
 * it was never made), EAL cleaned up, dir removed, the verdict printed.
 * Returns the exit code: 0 only without failed checks (`failures`, which
 * these two checks add to). */
static inline int
tt_end(const char *dir, struct rte_mempool *mp, int fds_before, size_t n_cases)
{
	if (mp != NULL) {
		int fds = tt_fds_settle(fds_before);

		if (fds < 0 || fds > fds_before) {
			fprintf(stderr,
				"FAIL: fds leaked: %d open after the first "
				"case, %d at the end\n",
				fds_before, fds);
			failures++;
		}
		if (rte_mempool_avail_count(mp) != mp->size) {
			fprintf(stderr,
				"FAIL: mbufs missing at the end: %u of %u in "
				"the pool\n",
				rte_mempool_avail_count(mp), mp->size);
			failures++;
		}
		rte_mempool_free(mp);
	}
	rte_eal_cleanup();
	rmdir(dir);
	if (failures != 0) {
		printf("FAILED: %u checks\n", failures);
		return 1;
	}
	printf("OK: %zu cases\n", n_cases);
	return 0;
}

#endif /* TT_EAL_H */
