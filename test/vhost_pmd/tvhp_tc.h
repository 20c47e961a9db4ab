/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * tvhp_tc.h - what the one-process net_tandem_vhost tests share: the check
 * macro, EAL start with the plugin, the two mempools, the socket
 * directory, fd counting, xstats, link waits and the closing checks.
 */
#ifndef TVHP_TC_H
#define TVHP_TC_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <rte_mempool.h>

#include "../common/tt_fds.h"

#define TC_NB_MBUF 4096

extern int tc_failures;
extern char tc_sock_path[108];
extern char tc_sock_dir[64];
/* Host and guest pools, cache size 0: every free mbuf is visible in
 * rte_mempool_avail_count. */
extern struct rte_mempool *tc_pool_h, *tc_pool_g;

#define CHECK(cond, ...)                                                       \
	do {                                                                   \
		if (!(cond)) {                                                 \
			tc_failures++;                                         \
			printf("FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
			printf(__VA_ARGS__);                                   \
			printf("\n");                                          \
		}                                                              \
	} while (0)

/* EAL on lcore 0 with the plugin loaded (file prefix and socket directory
 * /tmp/<tag>-<pid> unique to the process), then the pools. 0 or -1. */
int tc_init(const char *argv0, const char *plugin, const char *tag);
/* An xstat by name (a missing one is a failure; UINT64_MAX). */
uint64_t tc_xstat(uint16_t port, const char *name);
/* Poll the link (which also drives the stock guest's reconnection) until
 * it is `up`, at most `seconds`. */
bool tc_wait_link(uint16_t port, int up, unsigned int seconds);
/* Closing checks: both pools full, fds as `fds_before`; removes the socket
 * directory, stops EAL, prints PASSED/FAILED. The exit status. */
int tc_finish(int fds_before);

#endif
