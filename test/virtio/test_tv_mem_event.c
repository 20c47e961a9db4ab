/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * test_tv_mem_event.c - memory EAL allocates after the port started is
 * shared with the back-end (net_tandem_virtio's memory event callback).
 *
 * Two processes, run by mem_event.py (which reserves hugepages):
 *   host  <sock> <n>: stock net_vhost (server) in --no-huge memory;
 *         receives n packets and checks that they come in the order sent,
 *         none missing or twice, every payload byte;
 *   guest <sock> <n> <plugin> <hugedir>: net_tandem_virtio on hugepages in
 *         dynamic mode (no -m); sends n/2 packets from a pool made before
 *         start, then creates a second pool, which makes EAL map new
 *         hugepages (checked), and sends n/2 packets from it. The host
 *         can only read those if it got the new memory table.
 * Each process also checks that its pools are full and no fd leaked once
 * its port is gone.
 * Exit 0 on success, 1 on failure. The processes never skip: mem_event.py
 * decides whether the machine can run the test before it starts them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_bus_vdev.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_memory.h>

#include "../common/tt_fds.h"

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

/* Wait up to 2 s for the fd count to come back to `before`: stock
 * rte_vhost closes a connection's fds from its own event thread, a little
 * after rte_vdev_uninit returned. Fewer is fine (EAL's interrupt thread
 * may be between two epoll fds); more is a leak. */
static bool
fds_back(const char *who, int before)
{
	int now = tt_count_fds();

	for (int w = 0; w < 200 && now > before; w++) {
		usleep(10000);
		now = tt_count_fds();
	}
	if (now >= 0 && now <= before)
		return true;
	fprintf(stderr, "%s: fds leaked: %d open before, %d at the end\n", who,
		before, now);
	return false;
}

/* Every mbuf of mp back in it (the count includes the lcore cache). */
static bool
pool_full(const char *who, struct rte_mempool *mp)
{
	if (rte_mempool_avail_count(mp) == mp->size)
		return true;
	fprintf(stderr, "%s: mbufs missing: %u of %u in pool %s\n", who,
		rte_mempool_avail_count(mp), mp->size, mp->name);
	return false;
}

/* A stock net_vhost port on `sock`, started with rx queue 0 in mp. */
static int
host_port(const char *name, const char *sock, struct rte_mempool *mp,
	  uint16_t *port)
{
	char args[300];

	snprintf(args, sizeof(args), "iface=%s", sock);
	if (rte_vdev_init(name, args) != 0 ||
	    rte_eth_dev_get_port_by_name(name, port) != 0) {
		fprintf(stderr, "host: cannot create %s,%s\n", name, args);
		return -1;
	}
	if (port_up(*port, mp) != 0) {
		fprintf(stderr, "host: %s setup failed\n", name);
		return -1;
	}
	return 0;
}

static void
host_port_down(const char *name, uint16_t port)
{
	rte_eth_dev_stop(port);
	rte_eth_dev_close(port);
	rte_vdev_uninit(name);
}

/* Is packet m the one sent with sequence number `want`? Says why not if
 * `say`. */
static bool
host_pkt_ok(const struct rte_mbuf *m, uint32_t want, bool say)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	char why[120] = "";
	uint32_t seq, k;

	if (m->pkt_len != PKT_LEN || m->nb_segs != 1) {
		snprintf(why, sizeof(why), "%u bytes in %u segments",
			 m->pkt_len, m->nb_segs);
	} else {
		memcpy(&seq, p, sizeof(seq));
		/* In order, none lost or repeated: the guest sends 0, 1, ... */
		if (seq != want)
			snprintf(why, sizeof(why), "sequence number %u", seq);
		for (k = 4; k < PKT_LEN && why[0] == '\0'; k++)
			if (p[k] != pattern(want, k))
				snprintf(why, sizeof(why),
					 "byte %u is 0x%02x, want 0x%02x", k,
					 p[k], pattern(want, k));
	}
	if (why[0] == '\0')
		return true;
	if (say)
		fprintf(stderr, "host: packet %u: %s\n", want, why);
	return false;
}

static int
run_host(const char *sock, uint32_t n)
{
	char warm[300];
	struct rte_mempool *mp;
	uint32_t got = 0, bad = 0, extra = 0;
	uint64_t deadline;
	uint16_t port;
	int fds_before;
	bool ok;

	mp = rte_pktmbuf_pool_create("host", 4095, 256, 0,
				     RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (mp == NULL) {
		fprintf(stderr, "host: no mempool\n");
		return 1;
	}
	/* First a port no front-end connects to: rte_vhost starts its event
	 * thread (and the thread's pipe) with the first port and keeps them
	 * for the rest of the process. The fd count once that port is gone
	 * is what must be left once the real one is gone too. */
	snprintf(warm, sizeof(warm), "%s.warm", sock);
	if (host_port("net_vhost_warm", warm, mp, &port) != 0)
		return 1;
	host_port_down("net_vhost_warm", port);
	unlink(warm);
	fds_before = tt_count_fds();
	if (host_port("net_vhost0", sock, mp, &port) != 0)
		return 1;
	deadline = rte_get_timer_cycles() + 30 * rte_get_timer_hz();
	while (got < n && rte_get_timer_cycles() < deadline) {
		struct rte_mbuf *pkts[32];
		uint16_t nb = rte_eth_rx_burst(port, 0, pkts, 32), i;

		/* The first few wrong ones are told, all counted. */
		for (i = 0; i < nb; i++, got++)
			if (!host_pkt_ok(pkts[i], got, bad < 5))
				bad++;
		rte_pktmbuf_free_bulk(pkts, nb);
		if (nb == 0)
			usleep(1000);
	}
	/* The guest keeps its port for a second after the last packet:
	 * anything arriving meanwhile was sent twice. */
	deadline = rte_get_timer_cycles() + rte_get_timer_hz() / 5;
	while (got >= n && rte_get_timer_cycles() < deadline) {
		struct rte_mbuf *pkts[32];
		uint16_t nb = rte_eth_rx_burst(port, 0, pkts, 32);

		extra += nb;
		rte_pktmbuf_free_bulk(pkts, nb);
		usleep(1000);
	}
	printf("host: received %u of %u packets, %u wrong, %u more after "
	       "the last\n",
	       got, n, bad, extra);
	host_port_down("net_vhost0", port);
	ok = got == n && bad == 0 && extra == 0;
	ok &= pool_full("host", mp);
	ok &= fds_back("host", fds_before);
	rte_mempool_free(mp);
	return ok ? 0 : 1;
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
	int i, fds_before, ret = 0;

	/* The first pool before the fd count: EAL opens the file of a
	 * memseg list (--single-file-segments) when the list gets its
	 * first page and keeps it while the list has one. */
	a = rte_pktmbuf_pool_create("before", 1023, 0, 0,
				    RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (a == NULL) {
		fprintf(stderr, "guest: no mempool\n");
		return 1;
	}
	fds_before = tt_count_fds();
	snprintf(args, sizeof(args), "path=%s", sock);
	if (rte_vdev_init("net_tandem_virtio0", args) != 0 ||
	    rte_eth_dev_get_port_by_name("net_tandem_virtio0", &port) != 0) {
		fprintf(stderr, "guest: cannot create net_tandem_virtio0\n");
		return 1;
	}
	if (port_up(port, a) != 0) {
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
	rte_vdev_uninit("net_tandem_virtio0");
	/* The port is gone: it holds no mbuf of either pool, and the
	 * socket, kick and call fds are closed. Counted with the second
	 * pool freed and the first still there, as when counted before. */
	if (!pool_full("guest", a) || (b != NULL && !pool_full("guest", b)))
		ret = 1;
	rte_mempool_free(b);
	if (!fds_back("guest", fds_before))
		ret = 1;
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
	/* mem_event.py made sure hugepages are there before it started
	 * the guest, and the host needs none: EAL not starting (also: the
	 * plugin not loading) is a failure, not a reason to skip. */
	if (rte_eal_init(n_eal, eal) < 0) {
		fprintf(stderr, "%s: FAIL: EAL does not start (%s)\n", argv[1],
			rte_strerror(rte_errno));
		return 1;
	}
	if (host)
		ret = run_host(argv[2], (uint32_t)atoi(argv[3]));
	else
		ret = run_guest(argv[2], (uint32_t)atoi(argv[3]));
	rte_eal_cleanup();
	return ret;
}
