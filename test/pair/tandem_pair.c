/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * tandem_pair - payload-exact traffic between a virtio guest port and a
 * vhost host port, either driver Tandem's or stock DPDK's.
 *
 *   tandem_pair <EAL args> -- --role both|host|guest [options]
 *
 * both:  one process; creates the host vdev, starts it, then hot-attaches
 *        the guest vdev, and checks guest->host then host->guest traffic.
 * host:  echo server on the host vdev (until --count frames, SIGINT/TERM);
 *        SIGUSR1 prints a SNAP line (fds, mappings, mempool fill: see
 *        tp_snap.c) for the storm tests.
 * guest: sends to the echo server and checks what comes back; --loop K
 *        repeats (wait link up, traffic, wait link down) for reconnect
 *        tests, --hold keeps traffic going after the check until killed.
 *
 * After the traffic the ports are stopped and closed, then every mempool
 * must be full again and /proc/self/fd must be as before the vdevs existed.
 * The last line is PASS or FAIL with the numbers; exit status 0 or 1.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "tp.h"

enum role { ROLE_BOTH, ROLE_HOST, ROLE_GUEST };

static struct {
	enum role role;
	const char *host_vdev, *guest_vdev;
	uint16_t queues, nb_desc;
	bool jumbo, hold, until_down;
	char allow_kind[32];
	unsigned int allow_n;
	uint32_t window, packets, loop;
	unsigned int settle_ms;
	uint64_t count;
	unsigned int timeout_s;
	double stall_s, link_s;
} opt = {
	.role = ROLE_BOTH,
	.queues = 1,
	.nb_desc = 256,
	.window = 32,
	.timeout_s = 120,
	.stall_s = 5,
	.link_s = 15,
};

static void
usage(const char *prog)
{
	printf("usage: %s <EAL args> -- --role both|host|guest\n"
	       "  --host-vdev NAME,ARGS   vhost side, e.g. net_vhost0,iface=S\n"
	       "  --guest-vdev NAME,ARGS  virtio side, e.g. "
	       "net_virtio_user0,path=S\n"
	       "  --queues N      queue pairs (1)\n"
	       "  --desc N        descriptors per queue (256)\n"
	       "  --jumbo         add frames up to 9000 B (mergeable buffers)\n"
	       "  --window N      frames in flight per queue (32)\n"
	       "  --packets N     frames per queue and direction (one sweep)\n"
	       "  --count N       host: stop after echoing N frames\n"
	       "  --loop K        guest: K rounds of link up, traffic, link "
	       "down\n"
	       "  --hold          guest: keep traffic running after the check\n"
	       "  --until-down    guest with --loop: after each round's check "
	       "keep\n"
	       "                  traffic running until the link goes down "
	       "(the host\n"
	       "                  is killed mid-traffic)\n"
	       "  --expect-feature NAME=0|1  check the negotiated virtio "
	       "features\n"
	       "                  where a driver exposes them (mrg_rxbuf, "
	       "in_order,\n"
	       "                  event_idx, mq, packed, version_1)\n"
	       "  --timeout S     overall limit (120)\n"
	       "  --stall S       fail when a queue gets nothing for S (5)\n"
	       "  --link-timeout S  wait for a link change this long (15)\n"
	       "  --allow-fds KIND:N  tolerate N new fds whose target starts "
	       "with KIND\n"
	       "                  (a driver's known once-per-process fds)\n"
	       "  --settle-ms N   wait N ms after the traffic before closing "
	       "the ports\n"
	       "                  (lets a driver's deferred link handling "
	       "finish)\n",
	       prog);
}

static int
parse_args(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"role", required_argument, NULL, 'r'},
		{"host-vdev", required_argument, NULL, 'H'},
		{"guest-vdev", required_argument, NULL, 'G'},
		{"queues", required_argument, NULL, 'q'},
		{"desc", required_argument, NULL, 'd'},
		{"jumbo", no_argument, NULL, 'j'},
		{"window", required_argument, NULL, 'w'},
		{"packets", required_argument, NULL, 'p'},
		{"count", required_argument, NULL, 'c'},
		{"loop", required_argument, NULL, 'l'},
		{"hold", no_argument, NULL, 'o'},
		{"until-down", no_argument, NULL, 'u'},
		{"expect-feature", required_argument, NULL, 'F'},
		{"timeout", required_argument, NULL, 't'},
		{"stall", required_argument, NULL, 's'},
		{"link-timeout", required_argument, NULL, 'L'},
		{"allow-fds", required_argument, NULL, 'A'},
		{"settle-ms", required_argument, NULL, 'S'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			if (strcmp(optarg, "both") == 0)
				opt.role = ROLE_BOTH;
			else if (strcmp(optarg, "host") == 0)
				opt.role = ROLE_HOST;
			else if (strcmp(optarg, "guest") == 0)
				opt.role = ROLE_GUEST;
			else
				return -EINVAL;
			break;
		case 'H':
			opt.host_vdev = optarg;
			break;
		case 'G':
			opt.guest_vdev = optarg;
			break;
		case 'q':
			opt.queues = (uint16_t)atoi(optarg);
			break;
		case 'd':
			opt.nb_desc = (uint16_t)atoi(optarg);
			break;
		case 'j':
			opt.jumbo = true;
			break;
		case 'w':
			opt.window = (uint32_t)atoi(optarg);
			break;
		case 'p':
			opt.packets = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 'c':
			opt.count = strtoull(optarg, NULL, 0);
			break;
		case 'l':
			opt.loop = (uint32_t)atoi(optarg);
			break;
		case 'o':
			opt.hold = true;
			break;
		case 'u':
			opt.until_down = true;
			break;
		case 'F':
			if (tp_features_expect(optarg) != 0) {
				fprintf(stderr,
					"--expect-feature %s: want "
					"NAME=0|1\n",
					optarg);
				return -EINVAL;
			}
			break;
		case 't':
			opt.timeout_s = (unsigned int)atoi(optarg);
			break;
		case 's':
			opt.stall_s = atof(optarg);
			break;
		case 'L':
			opt.link_s = atof(optarg);
			break;
		case 'S':
			opt.settle_ms = (unsigned int)atoi(optarg);
			break;
		case 'A': {
			const char *colon = strrchr(optarg, ':');

			if (colon == NULL || colon == optarg ||
			    (size_t)(colon - optarg) >= sizeof(opt.allow_kind))
				return -EINVAL;
			/* keep the colon: "pipe:" matches "pipe:[123]" */
			memcpy(opt.allow_kind, optarg, colon - optarg + 1);
			opt.allow_n = (unsigned int)atoi(colon + 1);
			break;
		}
		default:
			return -EINVAL;
		}
	}
	if (opt.queues == 0 || opt.queues > TP_MAX_QUEUES || opt.window == 0 ||
	    opt.nb_desc == 0) {
		fprintf(stderr, "queues 1..%u, window and desc > 0\n",
			TP_MAX_QUEUES);
		return -EINVAL;
	}
	if (opt.until_down && (opt.loop == 0 || opt.hold)) {
		fprintf(stderr, "--until-down needs --loop and no --hold\n");
		return -EINVAL;
	}
	if ((opt.role != ROLE_GUEST && opt.host_vdev == NULL) ||
	    (opt.role != ROLE_HOST && opt.guest_vdev == NULL)) {
		fprintf(stderr, "role needs --host-vdev and/or --guest-vdev\n");
		return -EINVAL;
	}
	return 0;
}

static void
on_signal(int sig)
{
	(void)sig;
	tp_stop_requested = 1;
}

static void
on_alarm(int sig)
{
	static const char msg[] = "FAIL: overall time limit reached\n";
	ssize_t n;

	(void)sig;
	n = write(STDOUT_FILENO, msg, sizeof(msg) - 1);
	(void)n;
	_exit(1);
}

static struct tp_sched sched;
static bool host_features_bad;
static struct tp_stats g2h, h2g;
static struct tp_stream streams[TP_MAX_QUEUES];

static void
streams_init(uint16_t tx_port, uint16_t rx_port, enum tp_dir dir,
	     uint32_t session, uint32_t count)
{
	uint16_t q;

	memset(streams, 0, sizeof(streams));
	for (q = 0; q < opt.queues; q++) {
		streams[q].tx_port = tx_port;
		streams[q].rx_port = rx_port;
		streams[q].queue = q;
		streams[q].dir = dir;
		streams[q].session = session;
		streams[q].count = count;
	}
}

static void
streams_drop_pending(void)
{
	uint16_t q;

	for (q = 0; q < opt.queues; q++)
		tp_stream_drop_pending(&streams[q]);
}

static int
run_both(struct tp_port *host, struct tp_port *guest, struct tp_port_cfg *hc,
	 struct tp_port_cfg *gc, struct rte_mempool *tx_pool)
{
	struct tp_run_cfg rc = {
		.sched = &sched,
		.tx_pool = tx_pool,
		.window = opt.window,
		.stall_s = opt.stall_s,
	};
	uint32_t count = opt.packets ? opt.packets : sched.n;
	int ret;

	ret = tp_port_create(host, opt.host_vdev);
	if (ret == 0)
		ret = tp_port_setup(host, hc);
	/* The guest arrives while the host port is already running. */
	if (ret == 0)
		ret = tp_port_create(guest, opt.guest_vdev);
	if (ret == 0)
		ret = tp_port_setup(guest, gc);
	if (ret == 0)
		ret = tp_port_wait_link(guest, true, opt.link_s);
	if (ret == 0)
		ret = tp_port_wait_link(host, true, opt.link_s);
	if (ret == 0)
		ret = tp_features_check(guest->port_id);
	if (ret == 0)
		ret = tp_features_check(host->port_id);
	if (ret != 0)
		return ret;

	printf("guest->host: %u frames per queue, %u queue(s)\n", count,
	       opt.queues);
	streams_init(guest->port_id, host->port_id, TP_DIR_G2H, 1, count);
	ret = tp_run_streams(streams, opt.queues, &rc, &g2h);
	streams_drop_pending();
	if (ret != 0)
		return ret;
	printf("host->guest: %u frames per queue, %u queue(s)\n", count,
	       opt.queues);
	streams_init(host->port_id, guest->port_id, TP_DIR_H2G, 2, count);
	ret = tp_run_streams(streams, opt.queues, &rc, &h2g);
	streams_drop_pending();
	return ret;
}

/* Wait for the link to go down, receiving (and checking) late frames. */
static int
wait_down_draining(struct tp_port *p, const struct tp_run_cfg *rc)
{
	double end = tp_now() + opt.link_s;

	while (tp_port_link_up(p)) {
		if (tp_stop_requested)
			return -EINTR;
		if (tp_now() > end) {
			printf("%s: link still up after %.1f s\n", p->name,
			       opt.link_s);
			return -ETIMEDOUT;
		}
		tp_drain(streams, opt.queues, rc, &g2h);
		usleep(200);
	}
	return 0;
}

/* After round r's check: keep every queue sending until the host goes
 * away under the traffic. Frames in flight then are lost with the host;
 * the next round starts a new session, so late ones are recognised. */
static int
run_until_down(uint32_t r, struct tp_run_cfg *rc)
{
	uint64_t rx0 = g2h.rx, in_flight = 0;
	uint16_t q;
	int ret;

	for (q = 0; q < opt.queues; q++)
		streams[q].count = UINT32_MAX;
	rc->until_link_down = true;
	ret = tp_run_streams(streams, opt.queues, rc, &g2h);
	rc->until_link_down = false;
	for (q = 0; q < opt.queues; q++)
		in_flight += streams[q].next_tx - streams[q].next_rx;
	streams_drop_pending();
	if (ret != -ENOTCONN) {
		printf("ROUND %u FAIL while waiting for the host to go away\n",
		       r);
		return ret == 0 ? -EIO : ret;
	}
	printf("ROUND %u link down mid-traffic: %" PRIu64
	       " frames echoed after the check, %" PRIu64 " in flight\n",
	       r, g2h.rx - rx0, in_flight);
	if (g2h.rx == rx0) {
		printf("ROUND %u FAIL: no traffic between the check and the "
		       "link going down\n",
		       r);
		return -EIO;
	}
	return 0;
}

static int
run_guest(struct tp_port *guest, struct tp_port_cfg *gc,
	  struct rte_mempool *tx_pool)
{
	struct tp_run_cfg rc = {
		.sched = &sched,
		.tx_pool = tx_pool,
		.window = opt.window,
		.stall_s = opt.stall_s,
		.allow_stale = opt.loop > 0,
	};
	uint32_t count = opt.packets ? opt.packets : sched.n;
	uint32_t rounds = opt.loop ? opt.loop : 1, r;
	/* Distinct per process and round, so the echo host sees each new
	 * guest (or round) as a new session. */
	uint32_t base = ((uint32_t)getpid() & 0xffffffu) << 8;
	int ret;

	ret = tp_port_create(guest, opt.guest_vdev);
	if (ret == 0)
		ret = tp_port_setup(guest, gc);
	if (ret != 0)
		return ret;
	for (r = 0; r < rounds; r++) {
		ret = tp_port_wait_link(guest, true, opt.link_s);
		if (ret == 0)
			ret = tp_features_check(guest->port_id);
		if (ret != 0)
			return ret;
		streams_init(guest->port_id, guest->port_id, TP_DIR_G2H,
			     base + r, count);
		ret = tp_run_streams(streams, opt.queues, &rc, &g2h);
		if (ret != 0) {
			streams_drop_pending();
			printf("ROUND %u FAIL\n", r);
			return ret;
		}
		printf("ROUND %u PASS echoed %u frames per queue\n", r, count);
		if (opt.hold) {
			uint16_t q;

			for (q = 0; q < opt.queues; q++)
				streams[q].count = UINT32_MAX;
			ret = tp_run_streams(streams, opt.queues, &rc, &g2h);
			streams_drop_pending();
			/* only a stop request ends a hold cleanly */
			return ret == -EINTR ? 0 : ret;
		}
		if (opt.until_down) {
			ret = run_until_down(r, &rc);
			if (ret != 0)
				return ret;
			continue;
		}
		streams_drop_pending();
		if (opt.loop == 0)
			break;
		ret = wait_down_draining(guest, &rc);
		if (ret != 0)
			return ret;
		printf("ROUND %u link down\n", r);
	}
	return 0;
}

static void
host_on_session(uint16_t port)
{
	if (tp_features_check(port) != 0)
		host_features_bad = true;
}

static struct rte_mempool *host_snap_pool;

static void
host_on_snap(const struct tp_echo_cfg *cfg, const struct tp_stats *st,
	     unsigned int pending)
{
	tp_snap_report(cfg->port, host_snap_pool, st, pending);
}

static void
on_snap_signal(int sig)
{
	(void)sig;
	tp_snap_requested = 1;
}

static int
run_host(struct tp_port *host, struct tp_port_cfg *hc)
{
	struct tp_echo_cfg ec = {
		.queues = opt.queues,
		.sched = &sched,
		.count = opt.count,
		.on_snap = host_on_snap,
	};
	int ret;

	ret = tp_port_create(host, opt.host_vdev);
	if (ret == 0)
		ret = tp_port_setup(host, hc);
	if (ret != 0)
		return ret;
	/* The storm tests ask for resource reports while the host runs. */
	host_snap_pool = hc->rx_pool;
	signal(SIGUSR1, on_snap_signal);
	printf("READY echo server on %s\n", host->name);
	ec.port = host->port_id;
	ec.on_session = host_on_session;
	ret = tp_echo(&ec, &g2h);
	if (ret == 0 && (g2h.bad || g2h.order))
		ret = -EIO;
	if (ret == 0 && host_features_bad)
		ret = -EPROTO;
	return ret;
}

int
main(int argc, char **argv)
{
	struct rte_mempool *host_pool = NULL, *guest_pool = NULL,
			   *tx_pool = NULL;
	struct tp_port host = {0}, guest = {0};
	struct tp_port_cfg hc, gc;
	struct tp_fds *fds_before, *fds_after;
	unsigned int pool_n, fd_diff = 0;
	int ret, pools_bad = 0, close_bad = 0;
	const char *role_name;

	setvbuf(stdout, NULL, _IOLBF, 0);
	ret = rte_eal_init(argc, argv);
	if (ret < 0) {
		fprintf(stderr, "EAL init failed: %s\n",
			rte_strerror(rte_errno));
		return 1;
	}
	argc -= ret;
	argv += ret;
	if (parse_args(argc, argv) != 0) {
		usage(argv[0]);
		rte_eal_cleanup();
		return 1;
	}
	role_name = opt.role == ROLE_BOTH   ? "both"
		    : opt.role == ROLE_HOST ? "host"
					    : "guest";
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGALRM, on_alarm);
	alarm(opt.timeout_s);

	fds_before = calloc(1, sizeof(*fds_before));
	fds_after = calloc(1, sizeof(*fds_after));
	if (fds_before == NULL || fds_after == NULL ||
	    tp_sched_init(&sched, opt.jumbo) != 0) {
		fprintf(stderr, "out of memory\n");
		return 1;
	}
	/* Enough for full RX rings on every queue plus the frames in flight
	 * (a 9000 B frame is up to 6 mbufs). */
	pool_n = 2048 + (unsigned int)opt.queues *
				(opt.nb_desc * 2u + opt.window * 8u);
	if (opt.role != ROLE_GUEST)
		host_pool = tp_pool_create("tp_host_rx", pool_n);
	if (opt.role != ROLE_HOST) {
		guest_pool = tp_pool_create("tp_guest_rx", pool_n);
		tx_pool = tp_pool_create("tp_tx", pool_n);
	}
	if ((opt.role != ROLE_GUEST && host_pool == NULL) ||
	    (opt.role != ROLE_HOST && (guest_pool == NULL || tx_pool == NULL)))
		return 1;
	hc = (struct tp_port_cfg){.vdev = opt.host_vdev,
				  .queues = opt.queues,
				  .nb_desc = opt.nb_desc,
				  .jumbo = opt.jumbo,
				  .rx_pool = host_pool};
	gc = hc;
	gc.vdev = opt.guest_vdev;
	gc.rx_pool = guest_pool;

	/* The reference point: EAL and the pools exist, no vdev yet. */
	tp_fds_snapshot(fds_before);

	if (opt.role == ROLE_BOTH)
		ret = run_both(&host, &guest, &hc, &gc, tx_pool);
	else if (opt.role == ROLE_GUEST)
		ret = run_guest(&guest, &gc, tx_pool);
	else
		ret = run_host(&host, &hc);
	if (ret != 0)
		printf("traffic failed: %s\n", strerror(-ret));

	/* DPDK 22.11's net_virtio_user (server mode) handles a back-end's
	 * disconnect in a deferred interrupt-thread handler that races with
	 * closing the port (a use-after-free of its interrupt instance, or an
	 * EAL panic on a closed fd): the runner asks stock guests to wait. */
	if (opt.settle_ms > 0)
		usleep(opt.settle_ms * 1000u);
	/* Guest first: a host going away under a live guest is what the
	 * reconnect tests are for, not this teardown. */
	if (tp_port_destroy(&guest) != 0)
		close_bad = 1;
	if (tp_port_destroy(&host) != 0)
		close_bad = 1;
	if (tx_pool != NULL && tp_pool_check_full(tx_pool) != 0)
		pools_bad++;
	if (guest_pool != NULL && tp_pool_check_full(guest_pool) != 0)
		pools_bad++;
	if (host_pool != NULL && tp_pool_check_full(host_pool) != 0)
		pools_bad++;
	tp_fds_snapshot(fds_after);
	fd_diff = tp_fds_diff(fds_before, fds_after,
			      opt.allow_n ? opt.allow_kind : NULL, opt.allow_n);

	printf("%s role=%s queues=%u jumbo=%d g2h tx=%" PRIu64 " rx=%" PRIu64
	       " h2g tx=%" PRIu64 " rx=%" PRIu64 " bad=%" PRIu64
	       " order=%" PRIu64 " stale=%" PRIu64 " sessions=%" PRIu64
	       " echo_dropped=%" PRIu64 " alloc_fail=%" PRIu64
	       " pools_not_full=%d fd_diff=%u close_err=%d"
	       " features_checked=%u features_bad=%u features_hidden=%u\n",
	       (ret == 0 && pools_bad == 0 && fd_diff == 0 && !close_bad)
		       ? "PASS"
		       : "FAIL",
	       role_name, opt.queues, opt.jumbo, g2h.tx, g2h.rx, h2g.tx, h2g.rx,
	       g2h.bad + h2g.bad, g2h.order + h2g.order, g2h.stale + h2g.stale,
	       g2h.sessions, g2h.echo_dropped, g2h.alloc_fail + h2g.alloc_fail,
	       pools_bad, fd_diff, close_bad, tp_features_checked,
	       tp_features_bad, tp_features_hidden);
	if (ret == 0 && (pools_bad || fd_diff || close_bad))
		ret = -EIO;

	rte_mempool_free(tx_pool);
	rte_mempool_free(guest_pool);
	rte_mempool_free(host_pool);
	tp_sched_free(&sched);
	tp_snap_fini();
	free(fds_before);
	free(fds_after);
	rte_eal_cleanup();
	return ret == 0 ? 0 : 1;
}
