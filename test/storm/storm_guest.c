/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * storm_guest - fault storms against a vhost-user echo host (tandem_pair
 * --role host on net_tandem_vhost), from one process without EAL, so that
 * a thousand connections cost a thousand connections, not a thousand EAL
 * start-ups.
 *
 *   storm_guest --path SOCK --mode MODE [--rounds N] [--queues Q]
 *               [--window W] [--frames N] [--seed S] [--timeout S]
 *
 * check:      connect, N frames per queue pair echoed and checked, every
 *             descriptor back, rings stopped (GET_VRING_BASE checked),
 *             close.
 * disconnect: N connections, each closed abruptly: right after a burst was
 *             published, after part of it was echoed, in the middle of a
 *             message, or after SET_MEM_TABLE before any ring started;
 *             every 100th (and the last) first passes a checked round.
 * memtable:   one connection; SET_MEM_TABLE N times (one region, three
 *             regions cut inside buffers, one region plus an unused extra
 *             file) while frames are in flight; no frame may be lost.
 * enable:     one connection (2 queue pairs); N times SET_VRING_ENABLE 0
 *             then 1 on a TX ring, an RX ring, both rings of queue pair 1,
 *             or both of queue pair 0 (the link goes down), with frames in
 *             flight and more sent while disabled; every session that
 *             starts after a re-enable must be lossless.
 * Each mode ends with a checked round. Last line: PASS or FAIL, exit 0/1.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sg.h"

#define STALL_S 5.0

static struct {
	const char *path, *mode;
	uint32_t rounds, frames, window, seed;
	uint16_t queues;
	unsigned int timeout_s;
} opt = {
	.rounds = 100,
	.frames = 300,
	.window = 64,
	.queues = 2,
	.seed = 1,
	.timeout_s = 240,
};

static uint32_t rng_state;

static uint32_t
rnd(uint32_t n)
{
	/* xorshift32: reproducible from --seed */
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return n ? rng_state % n : 0;
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

static void
poll_all(struct sg *g, unsigned int iterations)
{
	for (unsigned int i = 0; i < iterations; i++)
		for (uint16_t q = 0; q < g->n_qp; q++)
			sg_poll(g, q);
}

/* Poll until queue pair 0 got k echoes of its session, at most 1 s. True
 * when they came and frames were still in flight: the close that follows
 * hits the host in the middle of the traffic. */
static bool
poll_echoes(struct sg *g, uint32_t k)
{
	double end = sg_now() + 1.0;
	struct sg_stream *st = &g->st[0];

	while (st->next_rx < k && sg_now() < end)
		poll_all(g, 1);
	return st->next_rx >= k && st->next_tx > st->next_rx;
}

/* Traffic checked, everything back, rings stopped with the right bases. */
static int
checked_round(struct sg *g, uint32_t frames)
{
	int ret = sg_run(g, frames, STALL_S);

	if (ret == 0)
		ret = sg_drain(g, STALL_S);
	if (ret != 0)
		printf("checked round failed: %s\n", strerror(-ret));
	return ret;
}

/* Stop every ring as a well-behaved guest does before it leaves. */
static int
stop_rings(struct sg *g)
{
	for (uint32_t i = 0; i < 2u * g->n_qp; i++) {
		uint32_t base = 0;
		int ret = tvu_fe_get_vring_base(g->sock, i, &base);

		if (ret != 0) {
			printf("FAIL: GET_VRING_BASE %u: %s\n", i,
			       strerror(-ret));
			return ret;
		}
		/* Everything was drained: the host consumed exactly what it
		 * returned. */
		if (base != g->vq[i].used_seen) {
			SG_FAIL(g,
				"vq %u: GET_VRING_BASE says %u, host used "
				"%u\n",
				i, base, g->vq[i].used_seen);
			return -EIO;
		}
	}
	return 0;
}

static int
mode_check(struct sg *g)
{
	int ret = sg_connect(g, false);

	if (ret != 0) {
		printf("FAIL: connect: %s\n", strerror(-ret));
		return ret;
	}
	ret = checked_round(g, opt.frames);
	if (ret == 0)
		ret = stop_rings(g);
	sg_close(g);
	return ret;
}

static int
mode_disconnect(struct sg *g)
{
	unsigned int kinds[5] = {0}, mid_traffic = 0;
	uint32_t r;
	int ret;

	for (r = 0; r < opt.rounds; r++) {
		bool checked = r % 100 == 0 || r + 1 == opt.rounds;
		unsigned int kind = checked ? 4 : r % 4;

		ret = sg_connect(g, kind == 3);
		if (ret < 0) {
			printf("FAIL: round %u: connect: %s\n", r,
			       strerror(-ret));
			return ret;
		}
		kinds[kind]++;
		switch (kind) {
		case 0: /* right after the first burst went out */
			for (uint16_t q = 0; q < g->n_qp; q++)
				sg_poll(g, q);
			break;
		case 1: /* part of the burst echoed, the rest in flight */
			if (poll_echoes(g, 1 + rnd(opt.window)))
				mid_traffic++;
			break;
		case 2: /* half a message on the wire */
			poll_all(g, rnd(50));
			sg_close_mid_message(g, 1 + rnd(11));
			break;
		case 3: /* memory mapped, no ring started */
			break;
		default: /* traffic proven, then cut mid-burst */
			ret = checked_round(g, opt.frames);
			if (ret != 0) {
				printf("FAIL: round %u: checked traffic\n", r);
				return ret;
			}
			poll_all(g, 1 + rnd(100));
			break;
		}
		sg_close(g);
		if (g->bad)
			return -EIO;
		if ((r + 1) % 200 == 0)
			printf("round %u: retries %" PRIu64 "\n", r + 1,
			       g->retries);
	}
	printf("disconnects: %u after the first burst, %u mid-traffic (%u "
	       "with echoes back and frames in flight), %u mid-message, %u "
	       "before the rings, %u after a checked round\n",
	       kinds[0], kinds[1], mid_traffic, kinds[2], kinds[3], kinds[4]);
	/* The storm must really have hit the traffic. */
	if (mid_traffic < kinds[1] / 2) {
		printf("FAIL: only %u of %u mid-traffic disconnects found "
		       "traffic running\n",
		       mid_traffic, kinds[1]);
		return -EIO;
	}
	return 0;
}

static int
mode_memtable(struct sg *g)
{
	unsigned int layouts[SG_MEM_LAYOUTS] = {0};
	uint32_t r;
	int ret = sg_connect(g, false);

	if (ret != 0) {
		printf("FAIL: connect: %s\n", strerror(-ret));
		return ret;
	}
	for (r = 0; r < opt.rounds; r++) {
		enum sg_mem_layout l = (enum sg_mem_layout)(r % SG_MEM_LAYOUTS);

		ret = sg_run(g, 8 + rnd(56), STALL_S);
		if (ret != 0) {
			printf("FAIL: round %u: traffic: %s\n", r,
			       strerror(-ret));
			return ret;
		}
		/* frames in flight both ways while the table changes */
		ret = sg_send_mem_table(g, l);
		if (ret != 0) {
			printf("FAIL: round %u: SET_MEM_TABLE (layout %d): "
			       "%s\n",
			       r, l, strerror(-ret));
			return ret;
		}
		layouts[l]++;
	}
	printf("memory tables: %u one region, %u three regions, %u with an "
	       "extra file\n",
	       layouts[0], layouts[1], layouts[2]);
	ret = checked_round(g, opt.frames);
	if (ret == 0)
		ret = stop_rings(g);
	sg_close(g);
	return ret;
}

static int
toggle(struct sg *g, const uint32_t *vqs, unsigned int n, bool on)
{
	for (unsigned int i = 0; i < n; i++) {
		int ret = sg_vring_enable(g, vqs[i], on);

		if (ret != 0) {
			printf("FAIL: SET_VRING_ENABLE %u %d: %s\n", vqs[i], on,
			       strerror(-ret));
			return ret;
		}
	}
	return 0;
}

static void
new_sessions(struct sg *g, uint16_t first_qp, uint16_t n_qp)
{
	for (uint16_t q = first_qp; q < first_qp + n_qp; q++)
		sg_stream_new(g, q);
}

static int
mode_enable(struct sg *g)
{
	static const struct {
		uint32_t vqs[2];
		unsigned int n;
		const char *what;
	} targets[] = {
		{{3}, 1, "qp1 TX"},
		{{2}, 1, "qp1 RX"},
		{{2, 3}, 2, "qp1 RX+TX"},
		{{0, 1}, 2, "qp0 RX+TX (link down)"},
	};
	unsigned int done[4] = {0};
	uint32_t r;
	int ret;

	if (g->n_qp < 2) {
		printf("FAIL: mode enable needs --queues 2\n");
		return -EINVAL;
	}
	ret = sg_connect(g, false);
	if (ret != 0) {
		printf("FAIL: connect: %s\n", strerror(-ret));
		return ret;
	}
	for (r = 0; r < opt.rounds; r++) {
		unsigned int t = r % 4;
		/* Queue pair 0 takes the link (and so every queue's frames
		 * the host holds) with it. */
		uint16_t first = t == 3 ? 0 : 1, n_qp = t == 3 ? 2 : 1;

		/* Traffic resumed after the previous toggle, losslessly. */
		ret = sg_run(g, 16 + rnd(48), STALL_S);
		if (ret != 0) {
			printf("FAIL: round %u (after %s): traffic: %s\n", r,
			       targets[(r + 3) % 4].what, strerror(-ret));
			return ret;
		}
		ret = toggle(g, targets[t].vqs, targets[t].n, false);
		if (ret != 0)
			return ret;
		/* The host drops what a disabled TX ring holds and what it
		 * held for a link that went down: that session ends here. */
		new_sessions(g, first, n_qp);
		/* more frames while disabled (a TX ring discards them) */
		poll_all(g, rnd(100));
		ret = toggle(g, targets[t].vqs, targets[t].n, true);
		if (ret != 0)
			return ret;
		new_sessions(g, first, n_qp);
		done[t]++;
	}
	printf("toggles: %u %s, %u %s, %u %s, %u %s\n", done[0],
	       targets[0].what, done[1], targets[1].what, done[2],
	       targets[2].what, done[3], targets[3].what);
	ret = checked_round(g, opt.frames);
	if (ret == 0)
		ret = stop_rings(g);
	sg_close(g);
	return ret;
}

static void
usage(const char *prog)
{
	printf("usage: %s --path SOCK --mode check|disconnect|memtable|enable\n"
	       "  [--rounds N (100)] [--queues 1|2 (2)] [--window W (64)]\n"
	       "  [--frames N (300)] [--seed S (1)] [--timeout S (240)]\n",
	       prog);
}

static int
parse_args(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"path", required_argument, NULL, 'p'},
		{"mode", required_argument, NULL, 'm'},
		{"rounds", required_argument, NULL, 'r'},
		{"queues", required_argument, NULL, 'q'},
		{"window", required_argument, NULL, 'w'},
		{"frames", required_argument, NULL, 'f'},
		{"seed", required_argument, NULL, 's'},
		{"timeout", required_argument, NULL, 't'},
		{NULL, 0, NULL, 0},
	};
	int c;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			opt.path = optarg;
			break;
		case 'm':
			opt.mode = optarg;
			break;
		case 'r':
			opt.rounds = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 'q':
			opt.queues = (uint16_t)atoi(optarg);
			break;
		case 'w':
			opt.window = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 'f':
			opt.frames = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 's':
			opt.seed = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 't':
			opt.timeout_s = (unsigned int)atoi(optarg);
			break;
		default:
			return -EINVAL;
		}
	}
	if (opt.path == NULL || opt.mode == NULL || opt.rounds == 0)
		return -EINVAL;
	return 0;
}

int
main(int argc, char **argv)
{
	struct sg g;
	double t0;
	int ret;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (parse_args(argc, argv) != 0) {
		usage(argv[0]);
		return 2;
	}
	rng_state = opt.seed ? opt.seed : 1;
	signal(SIGALRM, on_alarm);
	alarm(opt.timeout_s);
	ret = sg_init(&g, opt.path, opt.queues, opt.window);
	if (ret != 0) {
		printf("FAIL: setup: %s\n", strerror(-ret));
		sg_fini(&g);
		return 1;
	}
	t0 = sg_now();
	if (strcmp(opt.mode, "check") == 0) {
		ret = mode_check(&g);
	} else if (strcmp(opt.mode, "disconnect") == 0) {
		ret = mode_disconnect(&g);
		/* and traffic resumes */
		if (ret == 0)
			ret = mode_check(&g);
	} else if (strcmp(opt.mode, "memtable") == 0) {
		ret = mode_memtable(&g);
	} else if (strcmp(opt.mode, "enable") == 0) {
		ret = mode_enable(&g);
	} else {
		usage(argv[0]);
		sg_fini(&g);
		return 2;
	}
	if (ret == 0 && g.bad)
		ret = -EIO;
	printf("%s mode=%s rounds=%u queues=%u tx=%" PRIu64 " rx=%" PRIu64
	       " stale=%" PRIu64 " bad=%" PRIu64 " retries=%" PRIu64
	       " time=%.2fs\n",
	       ret == 0 ? "PASS" : "FAIL", opt.mode, opt.rounds, opt.queues,
	       g.st[0].tx + g.st[1].tx, g.st[0].rx + g.st[1].rx,
	       g.st[0].stale + g.st[1].stale, g.bad, g.retries, sg_now() - t0);
	sg_fini(&g);
	return ret == 0 ? 0 : 1;
}
