/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * test_tv_mem_event.c - memory EAL allocates after the port started is
 * shared with the back-end (net_tandem_virtio's memory event callback).
 *
 * Two processes, run by mem_event.py (which reserves hugepages):
 *   host  <sock> <n>: stock net_vhost (server) in --no-huge memory;
 *         receives n packets and checks every payload byte;
 *   guest <sock> <n> <plugin> <hugedir>: net_tandem_virtio on hugepages in
 *         dynamic mode (no -m); sends n/2 packets from a pool made before
 *         start, then creates a second pool, which makes EAL map new
 *         hugepages (checked), and sends n/2 packets from it. The host
 *         can only read those if it got the new memory table.
 * Exit 0 on success, 1 on failure, 77 to skip.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_bus_vdev.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_memory.h>

#define PKT_LEN 300u

static uint8_t
pattern(uint32_t seq, uint32_t i)
{
	return (uint8_t)(seq * 17 + i * 5 + 1);
}

static int
port_up(uint16_t port, struct rte_mempool *mp)
{
	struct rte_eth_conf conf;

	memset(&conf, 0, sizeof(conf));
	if (rte_eth_dev_configure(port, 1, 1, &conf) != 0 ||
	    rte_eth_rx_queue_setup(port, 0, 256, SOCKET_ID_ANY, NULL, mp) !=
		    0 ||
	    rte_eth_tx_queue_setup(port, 0, 256, SOCKET_ID_ANY, NULL) != 0 ||
	    rte_eth_dev_start(port) != 0)
		return -1;
	return 0;
}

static int
run_host(const char *sock, uint32_t n)
{
	char vdev[300];
	struct rte_mempool *mp;
	uint32_t got = 0, bad = 0;
	uint64_t deadline;
	uint16_t port;

	snprintf(vdev, sizeof(vdev), "net_vhost0,iface=%s", sock);
	if (rte_vdev_init("net_vhost0", vdev + strlen("net_vhost0,")) != 0 ||
	    rte_eth_dev_get_port_by_name("net_vhost0", &port) != 0) {
		fprintf(stderr, "host: cannot create net_vhost0\n");
		return 77;
	}
	mp = rte_pktmbuf_pool_create("host", 4095, 256, 0,
				     RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (mp == NULL || port_up(port, mp) != 0) {
		fprintf(stderr, "host: port setup failed\n");
		return 1;
	}
	deadline = rte_get_timer_cycles() + 30 * rte_get_timer_hz();
	while (got < n && rte_get_timer_cycles() < deadline) {
		struct rte_mbuf *pkts[32];
		uint16_t nb = rte_eth_rx_burst(port, 0, pkts, 32), i;

		for (i = 0; i < nb; i++) {
			const uint8_t *p =
				rte_pktmbuf_mtod(pkts[i], const uint8_t *);
			uint32_t seq, k;

			memcpy(&seq, p, sizeof(seq));
			if (pkts[i]->pkt_len != PKT_LEN ||
			    pkts[i]->nb_segs != 1) {
				bad++;
				continue;
			}
			for (k = 4; k < PKT_LEN; k++)
				if (p[k] != pattern(seq, k))
					break;
			bad += k != PKT_LEN;
		}
		got += nb;
		rte_pktmbuf_free_bulk(pkts, nb);
		if (nb == 0)
			usleep(1000);
	}
	printf("host: received %u of %u packets, %u with wrong bytes\n", got, n,
	       bad);
	rte_eth_dev_stop(port);
	rte_eth_dev_close(port);
	return got == n && bad == 0 ? 0 : 1;
}

static int
count_seg(const struct rte_memseg_list *msl, const struct rte_memseg *ms,
	  void *arg)
{
	RTE_SET_USED(msl);
	RTE_SET_USED(ms);
	(*(unsigned int *)arg)++;
	return 0;
}

static unsigned int
n_memsegs(void)
{
	unsigned int n = 0;

	rte_memseg_walk(count_seg, &n);
	return n;
}

/* Send n packets with sequence numbers from *seq, built in mp. */
static int
send_from(uint16_t port, struct rte_mempool *mp, uint32_t *seq, uint32_t n)
{
	uint64_t deadline = rte_get_timer_cycles() + 20 * rte_get_timer_hz();
	uint32_t sent = 0;

	while (sent < n && rte_get_timer_cycles() < deadline) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
		uint8_t *p;
		uint32_t k;

		if (m == NULL) {
			usleep(1000);
			continue;
		}
		p = (uint8_t *)rte_pktmbuf_append(m, PKT_LEN);
		memcpy(p, seq, sizeof(*seq));
		for (k = 4; k < PKT_LEN; k++)
			p[k] = pattern(*seq, k);
		while (rte_eth_tx_burst(port, 0, &m, 1) == 0) {
			if (rte_get_timer_cycles() > deadline) {
				rte_pktmbuf_free(m);
				return -1;
			}
			usleep(100);
		}
		(*seq)++;
		sent++;
	}
	return sent == n ? 0 : -1;
}

static int
run_guest(const char *sock, uint32_t n)
{
	char args[300];
	struct rte_mempool *a, *b;
	struct rte_eth_link link;
	unsigned int segs_before, segs_after;
	uint32_t seq = 0;
	uint16_t port;
	int i, ret = 0;

	snprintf(args, sizeof(args), "path=%s", sock);
	if (rte_vdev_init("net_tandem_virtio0", args) != 0 ||
	    rte_eth_dev_get_port_by_name("net_tandem_virtio0", &port) != 0) {
		fprintf(stderr, "guest: cannot create net_tandem_virtio0\n");
		return 1;
	}
	a = rte_pktmbuf_pool_create("before", 1023, 0, 0,
				    RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (a == NULL || port_up(port, a) != 0) {
		fprintf(stderr, "guest: port setup failed\n");
		return 1;
	}
	for (i = 0; i < 100; i++) {
		rte_eth_link_get_nowait(port, &link);
		if (link.link_status)
			break;
		usleep(50000);
	}
	if (send_from(port, a, &seq, n / 2) != 0) {
		fprintf(stderr, "guest: sending from the first pool failed\n");
		ret = 1;
	}
	segs_before = n_memsegs();
	b = rte_pktmbuf_pool_create("after", 8191, 0, 0,
				    RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	segs_after = n_memsegs();
	printf("guest: memsegs %u before the second pool, %u after\n",
	       segs_before, segs_after);
	if (b == NULL || segs_after <= segs_before) {
		fprintf(stderr, "guest: the second pool did not make EAL map "
				"new memory (dynamic memory mode needed)\n");
		ret = 1;
	} else if (send_from(port, b, &seq, n - n / 2) != 0) {
		fprintf(stderr, "guest: sending from the second pool failed\n");
		ret = 1;
	}
	/* Let the host finish before the rings go away. */
	sleep(1);
	rte_eth_dev_stop(port);
	rte_eth_dev_close(port);
	rte_mempool_free(b);
	rte_mempool_free(a);
	return ret;
}

int
main(int argc, char **argv)
{
	char prefix[64], plugin[300], hugedir[300];
	char *eal[16];
	int n_eal = 0, ret;
	bool host;

	if (argc < 4 || (strcmp(argv[1], "host") != 0 &&
			 (strcmp(argv[1], "guest") != 0 || argc < 6))) {
		fprintf(stderr,
			"usage: %s host <sock> <n> | guest <sock> <n> "
			"<plugin> <hugedir>\n",
			argv[0]);
		return 1;
	}
	host = strcmp(argv[1], "host") == 0;
	snprintf(prefix, sizeof(prefix), "--file-prefix=tvmem%s%d", argv[1],
		 getpid());
	eal[n_eal++] = argv[0];
	eal[n_eal++] = prefix;
	eal[n_eal++] = (char *)(uintptr_t) "--no-pci";
	eal[n_eal++] = (char *)(uintptr_t) "-l";
	eal[n_eal++] = (char *)(uintptr_t) "0";
	eal[n_eal++] = (char *)(uintptr_t) "--log-level=lib.*:error";
	if (host) {
		eal[n_eal++] = (char *)(uintptr_t) "--no-huge";
		eal[n_eal++] = (char *)(uintptr_t) "-m";
		eal[n_eal++] = (char *)(uintptr_t) "256";
	} else {
		snprintf(plugin, sizeof(plugin), "-d%s", argv[4]);
		snprintf(hugedir, sizeof(hugedir), "--huge-dir=%s", argv[5]);
		eal[n_eal++] = plugin;
		eal[n_eal++] = hugedir;
		eal[n_eal++] = (char *)(uintptr_t) "--single-file-segments";
	}
	eal[n_eal] = NULL;
	if (rte_eal_init(n_eal, eal) < 0) {
		fprintf(stderr, "%s: EAL cannot start here\n", argv[1]);
		return 77;
	}
	if (host)
		ret = run_host(argv[2], (uint32_t)atoi(argv[3]));
	else
		ret = run_guest(argv[2], (uint32_t)atoi(argv[3]));
	rte_eal_cleanup();
	return ret;
}
