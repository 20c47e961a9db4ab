/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * tvhp_tc.c - shared helpers of the one-process net_tandem_vhost tests
 * (see tvhp_tc.h).
 */
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "tvhp_tc.h"

int tc_failures;
char tc_sock_path[108];
char tc_sock_dir[64];
struct rte_mempool *tc_pool_h, *tc_pool_g;

int
tc_init(const char *argv0, const char *plugin, const char *tag)
{
	char prefix[64], *eal[16];
	int n = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	/* The stock virtio_user sends without MSG_NOSIGNAL: closing the
	 * guest after the host is gone would kill the test with SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	snprintf(prefix, sizeof(prefix), "--file-prefix=%s-%d", tag, getpid());
	eal[n++] = (char *)(uintptr_t)argv0;
	eal[n++] = (char *)(uintptr_t) "-l";
	eal[n++] = (char *)(uintptr_t) "0";
	eal[n++] = (char *)(uintptr_t) "--no-huge";
	eal[n++] = (char *)(uintptr_t) "-m";
	eal[n++] = (char *)(uintptr_t) "512";
	eal[n++] = (char *)(uintptr_t) "--no-pci";
	eal[n++] = prefix;
	eal[n++] = (char *)(uintptr_t) "-d";
	eal[n++] = (char *)(uintptr_t)plugin;
	eal[n++] =
		(char *)(uintptr_t) "--log-level=pmd.net.tandem_vhost.*:info";
	if (rte_eal_init(n, eal) < 0) {
		fprintf(stderr, "EAL init failed\n");
		return -1;
	}
	snprintf(tc_sock_dir, sizeof(tc_sock_dir), "/tmp/%s-%d", tag, getpid());
	mkdir(tc_sock_dir, 0700);
	snprintf(tc_sock_path, sizeof(tc_sock_path), "%s/s.sock", tc_sock_dir);
	tc_pool_h = rte_pktmbuf_pool_create("pool_h", TC_NB_MBUF, 0, 0,
					    RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	tc_pool_g = rte_pktmbuf_pool_create("pool_g", TC_NB_MBUF, 0, 0,
					    RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	if (tc_pool_h == NULL || tc_pool_g == NULL) {
		fprintf(stderr, "mempool: %s\n", rte_strerror(rte_errno));
		return -1;
	}
	return 0;
}

uint64_t
tc_xstat(uint16_t port, const char *name)
{
	uint64_t id, v;

	if (rte_eth_xstats_get_id_by_name(port, name, &id) != 0 ||
	    rte_eth_xstats_get_by_id(port, &id, &v, 1) != 1) {
		CHECK(0, "no xstat %s", name);
		return UINT64_MAX;
	}
	return v;
}

bool
tc_wait_link(uint16_t port, int up, unsigned int seconds)
{
	uint64_t end = rte_get_timer_cycles() + seconds * rte_get_timer_hz();
	struct rte_eth_link link;

	do {
		if (rte_eth_link_get_nowait(port, &link) == 0 &&
		    link.link_status == up)
			return true;
		rte_delay_ms(10);
	} while (rte_get_timer_cycles() < end);
	return false;
}

int
tc_finish(int fds_before)
{
	int fds_after;

	CHECK(rte_mempool_avail_count(tc_pool_h) == TC_NB_MBUF,
	      "host pool: %u of %u back", rte_mempool_avail_count(tc_pool_h),
	      TC_NB_MBUF);
	CHECK(rte_mempool_avail_count(tc_pool_g) == TC_NB_MBUF,
	      "guest pool: %u of %u back", rte_mempool_avail_count(tc_pool_g),
	      TC_NB_MBUF);
	fds_after = tt_count_fds();
	CHECK(fds_after == fds_before, "fds %d before, %d after", fds_before,
	      fds_after);
	unlink(tc_sock_path);
	rmdir(tc_sock_dir);
	rte_eal_cleanup();
	printf("%s: %d failures\n", tc_failures ? "FAILED" : "PASSED",
	       tc_failures);
	return tc_failures ? 1 : 0;
}
