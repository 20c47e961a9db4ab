/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * tvhp_reconnect.c - net_tandem_vhost in client mode, restarted under a
 * running stock net_virtio_user in server mode, in one process.
 *
 * Usage: tvhp_reconnect <plugin.so> [rounds]
 *
 * The stock guest keeps its rings across the host's restarts and, when
 * the new host connects, sets every ring's base to 0 although its avail
 * and used indexes are far past 0. Each round moves more packets than a
 * ring holds both ways (so the indexes pass the ring size), destroys the
 * host and creates a new one: traffic must resume, payload intact, with
 * no front-end error counted. After the last round every mbuf is back in
 * its pool and no fd leaked. Exit 77 (skip) without the stock virtio_user.
 */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_bus_vdev.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "tvhp_tc.h"

#define BURST  32
#define RING   256
#define N_PKTS (RING + 44) /* more than a ring: indexes pass RING */
#define HOST   "net_tandem_vhost0"
#define GUEST  "net_virtio_user7"

static uint8_t
pattern(uint32_t seed, uint32_t off)
{
	return (uint8_t)(seed * 13 + off * 5 + (off >> 7));
}

static uint32_t
len_of(uint32_t seed)
{
	return 60 + (seed * 41) % 1400;
}

static struct rte_mbuf *
make_pkt(struct rte_mempool *mp, uint32_t seed)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	uint32_t len = len_of(seed), i;
	uint8_t *p;

	if (m == NULL)
		return NULL;
	p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)len);
	if (p == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	for (i = 0; i < len; i++)
		p[i] = pattern(seed, i);
	return m;
}

static bool
pkt_ok(const struct rte_mbuf *m, uint32_t seed)
{
	uint32_t off = 0, i;

	if (m->pkt_len != len_of(seed))
		return false;
	for (; m != NULL; m = m->next) {
		for (i = 0; i < m->data_len; i++)
			if (rte_pktmbuf_mtod(m, const uint8_t *)[i] !=
			    pattern(seed, off + i))
				return false;
		off += m->data_len;
	}
	return off == len_of(seed);
}

/* n packets from tx to rx (seeds seed..seed+n-1), in bursts, received as
 * they go (the receiving ring holds fewer than n). Returns how many
 * arrived intact and in order. */
static uint32_t
flow(uint16_t tx, struct rte_mempool *mp, uint16_t rx, uint32_t seed,
     uint32_t n)
{
	uint64_t end = rte_get_timer_cycles() + 3 * rte_get_timer_hz();
	struct rte_mbuf *pkts[BURST], *got[BURST];
	uint32_t sent = 0, recvd = 0, good = 0, i;
	uint16_t k, nb, nr;

	while (recvd < n && rte_get_timer_cycles() < end) {
		if (sent < n) {
			k = (uint16_t)RTE_MIN((uint32_t)BURST, n - sent);
			for (i = 0; i < k; i++) {
				pkts[i] = make_pkt(mp, seed + sent + i);
				if (pkts[i] == NULL)
					break;
			}
			k = (uint16_t)i;
			nb = rte_eth_tx_burst(tx, 0, pkts, k);
			rte_pktmbuf_free_bulk(pkts + nb, k - nb);
			sent += nb;
		}
		nr = rte_eth_rx_burst(rx, 0, got, BURST);
		for (i = 0; i < nr; i++)
			if (pkt_ok(got[i], seed + recvd + i))
				good++;
		rte_pktmbuf_free_bulk(got, nr);
		recvd += nr;
	}
	CHECK(sent == n && recvd == n && good == n,
	      "port %u -> %u: sent %u, received %u (%u intact) of %u", tx, rx,
	      sent, recvd, good, n);
	return good;
}

static int
port_setup(uint16_t port, struct rte_mempool *mp)
{
	struct rte_eth_dev_info info;
	struct rte_eth_conf conf;
	int ret;

	memset(&conf, 0, sizeof(conf));
	/* The stock virtio-user in server mode accepts a new back-end from
	 * its link-state interrupt handling; without LSC interrupts, 22.11
	 * also panics in EAL's interrupt thread when the guest is closed
	 * after a reconnection (epoll_ctl on a closed fd). */
	if (rte_eth_dev_info_get(port, &info) == 0 &&
	    (*info.dev_flags & RTE_ETH_DEV_INTR_LSC))
		conf.intr_conf.lsc = 1;
	ret = rte_eth_dev_configure(port, 1, 1, &conf);
	if (ret == 0)
		ret = rte_eth_rx_queue_setup(port, 0, RING, 0, NULL, mp);
	if (ret == 0)
		ret = rte_eth_tx_queue_setup(port, 0, RING, 0, NULL);
	if (ret == 0)
		ret = rte_eth_dev_start(port);
	return ret;
}

/* Polling the link also drives the stock guest's reconnection. */
static int
host_create(uint16_t *h)
{
	char args[256];

	snprintf(args, sizeof(args), "iface=%s,client=1,queues=1",
		 tc_sock_path);
	if (rte_vdev_init(HOST, args) != 0 ||
	    rte_eth_dev_get_port_by_name(HOST, h) != 0)
		return -1;
	return port_setup(*h, tc_pool_h);
}

static void
host_errors_none(uint16_t h, int round)
{
	static const char *const names[] = {
		"rx_q0_err_avail_idx",	"tx_q0_err_avail_idx",
		"rx_q0_err_desc_index", "tx_q0_err_desc_index",
		"dev_err_msg",
	};

	for (unsigned int i = 0; i < RTE_DIM(names); i++)
		CHECK(tc_xstat(h, names[i]) == 0, "round %d: %s = %" PRIu64,
		      round, names[i], tc_xstat(h, names[i]));
}

static void
test_host_restarts(int rounds)
{
	char args[256];
	uint16_t h, g;
	int r;

	/* The host connects (retrying) from lib/vhost's control thread;
	 * the stock guest's probe waits in accept() for it. */
	if (host_create(&h) != 0) {
		CHECK(0, "host create");
		return;
	}
	snprintf(args, sizeof(args), "path=%s,server=1,queues=1,queue_size=%u",
		 tc_sock_path, RING);
	if (rte_vdev_init(GUEST, args) != 0 ||
	    rte_eth_dev_get_port_by_name(GUEST, &g) != 0 ||
	    port_setup(g, tc_pool_g) != 0) {
		CHECK(0, "guest attach");
		return;
	}
	for (r = 0; r < rounds; r++) {
		CHECK(tc_wait_link(g, RTE_ETH_LINK_UP, 10),
		      "round %d: guest link", r);
		CHECK(tc_wait_link(h, RTE_ETH_LINK_UP, 10),
		      "round %d: host link", r);
		flow(g, tc_pool_g, h, 1000u * r, N_PKTS);
		flow(h, tc_pool_h, g, 1000u * r + 500, N_PKTS);
		host_errors_none(h, r);
		printf("round %d: %u packets each way, %d failures so far\n", r,
		       N_PKTS, tc_failures);
		if (tc_failures || r + 1 == rounds)
			break;
		/* A new host process would start from nothing: destroy this
		 * one (the guest sees the connection close) and create a
		 * fresh one on the same socket. */
		CHECK(rte_vdev_uninit(HOST) == 0, "host uninit");
		CHECK(tc_wait_link(g, RTE_ETH_LINK_DOWN, 10),
		      "round %d: guest link "
		      "stays up without a host",
		      r);
		if (host_create(&h) != 0) {
			CHECK(0, "host re-create");
			return;
		}
	}
	CHECK(rte_eth_dev_stop(g) == 0, "guest stop");
	CHECK(rte_eth_dev_close(g) == 0, "guest close");
	CHECK(rte_vdev_uninit(GUEST) == 0, "guest uninit");
	CHECK(rte_vdev_uninit(HOST) == 0, "host uninit");
}

int
main(int argc, char **argv)
{
	int rounds = 3, fds_before;

	if (argc < 2) {
		fprintf(stderr, "usage: %s <plugin.so> [rounds]\n", argv[0]);
		return 2;
	}
	if (argc > 2)
		rounds = atoi(argv[2]);
	if (tc_init(argv[0], argv[1], "h5rc") < 0)
		return 1;
	/* rte_vdev_init() returns > 0 when no driver has the name. */
	if (rte_vdev_init(GUEST, "path=/nonexistent/h5") > 0) {
		printf("SKIP: stock net_virtio_user not loaded\n");
		return 77;
	}
	/* lib/vhost keeps a process-wide control thread (and its fds) from
	 * the first device on: count after one came and went. */
	{
		char args[256];

		snprintf(args, sizeof(args), "iface=%s,client=1", tc_sock_path);
		CHECK(rte_vdev_init(HOST, args) == 0, "first host");
		CHECK(rte_vdev_uninit(HOST) == 0, "first host uninit");
	}
	fds_before = tt_count_fds();
	test_host_restarts(rounds);
	return tc_finish(fds_before);
}
