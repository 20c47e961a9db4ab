/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * lib/vhost against a real front-end: the stock DPDK net_virtio_user in
 * dpdk-testpmd, io-forwarding its one port onto itself. Packets this
 * program enqueues (guest RX) come back on guest TX and are compared byte
 * for byte, in order. Runs with mergeable buffers + in-order (including
 * 9000-byte frames) and without mergeable buffers. Exit 77 (skip) without
 * dpdk-testpmd.
 *
 * With the path of net_tandem_virtio's plugin as argument, the same runs
 * with Tandem's guest in testpmd too, which must hand over no call
 * eventfd (it polls: SET_VRING_CALL with the invalid-FD flag), neither
 * before nor after the traffic, so that the library never calls it
 * (every notification is suppressed), where the stock guest hands one
 * over. Every run leaves as many fds open as there were before it.
 *
 * usage: test_vhost_virtio_user [librte_net_tandem_virtio.so]
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_mbuf.h>

#include "mock_guest.h"
#include "tvh_internal.h"

#define TESTPMD "/usr/bin/dpdk-testpmd"

static struct rte_mempool *mp;
static int stdin_pipe = -1; /* testpmd's stdin: it exits at EOF */

/* Tandem's guest plugin (argv[1]), or NULL: stock guest only. */
static const char *tandem_guest;
/* Open fds before the runs: each run must leave this many. */
static int fds0;

static pid_t
start_testpmd(const char *path, bool mrg, const char *plugin,
	      const char *prefix)
{
	char vdev[256], fp[64], dpath[4096];
	int p[2];
	pid_t pid;

	snprintf(dpath, sizeof(dpath), "%s", plugin ? plugin : "");
	snprintf(vdev, sizeof(vdev),
		 "%s,path=%s,queues=1,queue_size=256,mrg_rxbuf=%"
		 "d,in_order=%d",
		 plugin ? "net_tandem_virtio0" : "net_virtio_user0", path, mrg,
		 mrg);
	snprintf(fp, sizeof(fp), "--file-prefix=%s-%d", prefix, (int)getpid());
	CHECK(pipe(p) == 0, "pipe");
	pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		char *argv[32];
		int n = 0;

		argv[n++] = "dpdk-testpmd";
		argv[n++] = "--no-huge";
		argv[n++] = "-m";
		argv[n++] = "1024";
		argv[n++] = "--no-pci";
		argv[n++] = fp;
		argv[n++] = "-l";
		argv[n++] = "0,1";
		if (plugin != NULL) {
			argv[n++] = "-d";
			argv[n++] = dpath;
		}
		argv[n++] = "--vdev";
		argv[n++] = vdev;
		argv[n++] = "--log-level=*:error";
		argv[n++] = "--";
		argv[n++] = "--forward-mode=io";
		argv[n++] = "--auto-start";
		argv[n++] = mrg ? "--max-pkt-len=9600" : "--mbuf-size=2176";
		argv[n++] = mrg ? "--enable-scatter" : "--mbuf-size=2176";
		argv[n++] = "--mbuf-size=2176";
		argv[n++] = "--total-num-mbufs=8192";
		argv[n++] = "--rxq=1";
		argv[n++] = "--txq=1";
		argv[n++] = "--no-lsc-interrupt";
		argv[n] = NULL;
		int null = open("/dev/null", O_RDWR);
		const char *asan = getenv("TANDEM_PRELOAD");

		/* A sanitizer build's plugin in the uninstrumented testpmd
		 * needs the sanitizer runtime first in its library list
		 * (devtools/sanitize.sh sets TANDEM_PRELOAD to it). */
		if (plugin != NULL && asan != NULL && asan[0] != '\0') {
			const char *old = getenv("LD_PRELOAD");
			char pre[4096];

			snprintf(pre, sizeof(pre), "%s%s%s", asan,
				 old ? ":" : "", old ? old : "");
			setenv("LD_PRELOAD", pre, 1);
		}

		/* testpmd waits for a key press on stdin: give it a pipe
		 * that delivers none until we close it. */
		dup2(p[0], 0);
		close(p[1]);
		if (getenv("H2_TESTPMD_LOG") == NULL) {
			dup2(null, 1);
			dup2(null, 2);
		}
		execv(TESTPMD, argv);
		_exit(127);
	}
	close(p[0]);
	stdin_pipe = p[1];
	return pid;
}

static void
stop_testpmd(pid_t pid)
{
	int status;

	close(stdin_pipe);
	stdin_pipe = -1;
	kill(pid, SIGINT);
	for (int i = 0; i < 500; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return;
		usleep(10000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
}

static void
run(bool mrg, const char *plugin)
{
	static const uint32_t sizes[] = {60, 64, 128, 333, 1000, 1514, 9000};
	static uint8_t data[64][9000];
	const char *path = mg_sock_path(mrg ? "vu-mrg" : "vu-nomrg");
	struct tvh_config cfg = {.path = path, .n_queue_pairs = 1};
	struct rte_mbuf *pkts[64], *back[64];
	struct tvh_dev *dev;
	struct tvh_vq_stats rx, tx;
	uint64_t deadline;
	unsigned int pool_before = rte_mempool_avail_count(mp);
	uint32_t sent = 0, recvd = 0, rounds = 0;
	pid_t pid;

	CHECK(tvh_dev_create(&cfg, NULL, NULL, &dev) == 0, "create");
	pid = start_testpmd(path, mrg, plugin, mrg ? "h2vu1" : "h2vu0");
	deadline = rte_get_timer_cycles() + 20 * rte_get_timer_hz();
	while (!tvh_dev_is_ready(dev) && rte_get_timer_cycles() < deadline)
		usleep(10000);
	CHECK(tvh_dev_is_ready(dev), "virtio_user never made the device ready");
	/* Call eventfds: the stock guest hands one over per ring, Tandem's
	 * none (it polls). Set by SET_VRING_CALL before the ring started,
	 * read here after the device is ready. */
	for (uint16_t q = 0; q < 2; q++) {
		int fd =
			__atomic_load_n(&dev->vqs[q].call_fd, __ATOMIC_ACQUIRE);

		CHECK(plugin ? fd == -1 : fd >= 0,
		      "vq %u: call fd %d from the %s guest", q, fd,
		      plugin ? "Tandem" : "stock");
	}
	/* testpmd starts forwarding a while after the rings are up, and
	 * virtio's start flushes what arrived before: probe until a packet
	 * comes back, then drain. */
	deadline = rte_get_timer_cycles() + 30 * rte_get_timer_hz();
	for (bool echoed = false; !echoed;) {
		static const uint8_t probe[60] = {0x02};
		struct rte_mbuf *m = mg_mbuf_from(mp, probe, sizeof(probe));

		CHECK(rte_get_timer_cycles() < deadline,
		      "testpmd never forwarded a probe");
		tvh_enqueue_burst(dev, 0, &m, 1);
		rte_pktmbuf_free(m);
		usleep(100000);
		while (tvh_dequeue_burst(dev, 1, mp, back, 1) == 1) {
			CHECK(mg_mbuf_cmp(back[0], probe, 60) == 0, "probe");
			rte_pktmbuf_free(back[0]);
			echoed = true;
		}
	}

	for (rounds = 0; rounds < 40; rounds++) {
		uint32_t n = 32, got = 0;
		uint16_t k;

		for (uint32_t i = 0; i < n; i++) {
			uint32_t len = sizes[(rounds + i) % RTE_DIM(sizes)];

			if (!mrg && len > 1514)
				len = 1514;
			mg_fill(data[i], len, rounds * 64 + i);
			/* Ethernet: a unicast destination, so nothing on
			 * the way treats it as special. */
			data[i][0] = 0x02;
			pkts[i] = mg_mbuf_from(mp, data[i], len);
		}
		k = 0;
		deadline = rte_get_timer_cycles() + 5 * rte_get_timer_hz();
		while (k < n && rte_get_timer_cycles() < deadline)
			k += tvh_enqueue_burst(dev, 0, pkts + k, n - k);
		for (uint32_t i = 0; i < n; i++)
			rte_pktmbuf_free(pkts[i]);
		tvh_vq_stats_get(dev, 0, &rx);
		CHECK(k == n,
		      "round %u: enqueued %u of %u (vq0 enabled %d, no_room "
		      "%lu, too_big %lu, errors %lu/%lu/%lu/%lu)",
		      rounds, k, n, tvh_vq_is_enabled(dev, 0), rx.no_room,
		      rx.too_big, rx.err_desc_flags, rx.err_desc_addr,
		      rx.err_hdr, rx.err_avail_idx);
		sent += n;
		while (got < n && rte_get_timer_cycles() < deadline) {
			uint16_t r =
				tvh_dequeue_burst(dev, 1, mp, back, n - got);

			for (uint16_t j = 0; j < r; j++) {
				uint32_t i = got + j;
				uint32_t len =
					sizes[(rounds + i) % RTE_DIM(sizes)];

				if (!mrg && len > 1514)
					len = 1514;
				CHECK(mg_mbuf_cmp(back[j], data[i], len) == 0,
				      "round %u packet %u (%u bytes, got %u): "
				      "payload differs",
				      rounds, i, len, back[j]->pkt_len);
				rte_pktmbuf_free(back[j]);
			}
			got += r;
		}
		CHECK(got == n, "round %u: %u of %u came back", rounds, got, n);
		recvd += got;
	}
	tvh_vq_stats_get(dev, 0, &rx);
	tvh_vq_stats_get(dev, 1, &tx);
	/* The call fds again, the guest still attached: a call fd handed
	 * over late (a SET_VRING_CALL during the traffic) shows here, and
	 * the zero call counts below mean nothing unless it is still -1. */
	for (uint16_t q = 0; q < 2; q++) {
		int fd =
			__atomic_load_n(&dev->vqs[q].call_fd, __ATOMIC_ACQUIRE);

		CHECK(plugin ? fd == -1 : fd >= 0,
		      "vq %u after the traffic: call fd %d from the %s guest",
		      q, fd, plugin ? "Tandem" : "stock");
	}
	CHECK(tx.err_desc_addr + tx.err_desc_index + tx.err_hdr +
			      tx.err_indirect + tx.err_chain_loop +
			      rx.err_desc_flags + rx.err_hdr ==
		      0,
	      "descriptor errors from a well-behaved front-end");
	stop_testpmd(pid);
	tvh_dev_destroy(dev);
	CHECK(rte_mempool_avail_count(mp) == pool_before, "mbufs leaked");
	/* Without a call fd, every notification of both rings is counted
	 * as suppressed: none counted means the notify path never ran and
	 * the zero calls prove nothing. */
	if (plugin != NULL)
		CHECK(rx.calls + tx.calls == 0 && rx.calls_suppressed > 0 &&
			      tx.calls_suppressed > 0,
		      "calls to a guest that gave no call fd: %lu + %lu, "
		      "suppressed %lu + %lu",
		      rx.calls, tx.calls, rx.calls_suppressed,
		      tx.calls_suppressed);
	/* testpmd's pipe, the connection, the kick fds and the guest's
	 * memory fds are all closed by now. */
	CHECK(mg_count_fds() == fds0, "fds %d before the run, %d after", fds0,
	      mg_count_fds());
	printf("ok %s guest mrg=%d: %u sent, %u back byte-exact; rx calls "
	       "%lu suppressed %lu, tx calls %lu suppressed %lu\n",
	       plugin ? "tandem" : "stock", mrg, sent, recvd, rx.calls,
	       rx.calls_suppressed, tx.calls, tx.calls_suppressed);
}

int
main(int argc, char **argv)
{
	if (access(TESTPMD, X_OK) != 0) {
		printf("SKIP: %s not found\n", TESTPMD);
		return 77;
	}
	mg_eal_init(argv[0], "vu");
	mp = rte_pktmbuf_pool_create("h2vu", 8191, 64, 0,
				     RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	CHECK(mp != NULL, "mempool");
	if (argc > 1)
		tandem_guest = argv[1];
	/* After EAL and the pool: what stays for the whole process. lib/vhost
	 * needs no warm-up device: its control thread, epoll, eventfds and
	 * SIGBUS guard go with the last device (the count before and after
	 * one is the same). */
	fds0 = mg_count_fds();
	printf("%d fds open before the runs\n", fds0);
	run(true, NULL);
	run(false, NULL);
	if (tandem_guest != NULL) {
		run(true, tandem_guest);
		run(false, tandem_guest);
	}
	rte_mempool_free(mp);
	rte_eal_cleanup();
	printf("PASS\n");
	return 0;
}
