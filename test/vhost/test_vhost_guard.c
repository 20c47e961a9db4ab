/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * A hostile front-end's notification fds and ring bases:
 *  - kick/call/err fds that are not eventfds (pipe, memfd, socket) are
 *    refused (err_msg), the ring keeps its old fds; accepted eventfds are
 *    made non-blocking;
 *  - a saturated call eventfd that stays non-blocking costs an EAGAIN
 *    (counted), not a blocked burst;
 *  - a saturated call eventfd made blocking again by the front-end blocks
 *    the datapath thread, but neither GET_VRING_BASE nor tvh_dev_destroy
 *    hangs (bounded, and the whole program runs under alarm()): the
 *    device is disconnected, refuses new front-ends until the burst
 *    leaves, then serves again; a device destroyed meanwhile is freed
 *    once the burst leaves; no fd, mapping or mbuf leaks;
 *  - kicks are counted without reading the kick eventfd (the front-end
 *    may empty it itself; a blocking read would hang the control thread);
 *  - a front-end's base within [used, avail] is honoured, another one
 *    continues from used->idx.
 */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_mbuf.h>

#include "mock_guest.h"

#define RING 256
#define HDR  12
/* A stop gives up after 200 ms; allow for a loaded machine. */
#define BOUND_MS 3000

static struct rte_mempool *mp;
/* No EVENT_IDX: the back-end notifies after every burst (avail flags 0). */
static const uint64_t feat =
	(1ull << TV_F_VERSION_1) | (1ull << TV_F_VHOST_USER_PROTOCOL_FEATURES);

static uint64_t
err_msg(struct tvh_dev *dev)
{
	struct tvh_dev_stats st;

	tvh_dev_stats_get(dev, &st);
	return st.err_msg;
}

/* SET_VRING_KICK/CALL/ERR of vring idx with fd, NEED_REPLY; returns the
 * back-end's status (0: accepted). */
static uint64_t
send_vring_fd(struct mg *g, uint32_t req, uint32_t idx, int fd)
{
	struct tvu_msg m, r;

	tvu_msg_init(&m, req, 8);
	m.payload.u64 = idx;
	m.n_fds = 1;
	m.fds[0] = fd;
	m.flags |= TVU_FLAG_NEED_REPLY;
	CHECK(tvu_send(g->sock, &m) == 0, "send %s", tvu_request_name(req));
	CHECK(tvu_recv(g->sock, &r) == 0, "no reply to %s",
	      tvu_request_name(req));
	CHECK(r.request == req && r.size == 8, "reply shape");
	return r.payload.u64;
}

static void
tx_one(struct mg *g, struct tvh_dev *dev, uint32_t seed)
{
	uint8_t pkt[128];
	struct rte_mbuf *m;

	mg_fill(pkt, sizeof(pkt), seed);
	mg_tx_post(g, 1, MG_TX_HDR_SAME, pkt, sizeof(pkt), HDR);
	mg_avail_publish(g, 1);
	CHECK(tvh_dequeue_burst(dev, 1, mp, &m, 1) == 1, "tx");
	CHECK(mg_mbuf_cmp(m, pkt, sizeof(pkt)) == 0, "payload");
	rte_pktmbuf_free(m);
}

static uint64_t
eventfd_take(int fd)
{
	uint64_t v = 0;

	if (read(fd, &v, sizeof(v)) != sizeof(v))
		return 0;
	return v;
}

static void
test_fd_types(void)
{
	const char *path = mg_sock_path("types");
	struct tvh_config cfg = {.path = path, .n_queue_pairs = 1};
	static const uint32_t reqs[] = {TVU_SET_VRING_KICK, TVU_SET_VRING_CALL,
					TVU_SET_VRING_ERR};
	struct tvh_dev *dev;
	int p[2], sp[2], mfd, fds0, e;
	struct mg g;

	CHECK(tvh_dev_create(&cfg, NULL, NULL, &dev) == 0, "create");
	mg_init(&g);
	mg_setup(&g, path, feat, 2, RING);
	tx_one(&g, dev, 1);
	eventfd_take(g.vq[1].call_fd);
	fds0 = mg_count_fds();
	CHECK(pipe(p) == 0 && socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0,
	      "pipe");
	mfd = memfd_create("not-an-eventfd", MFD_CLOEXEC);
	CHECK(mfd >= 0, "memfd");
	for (unsigned int i = 0; i < RTE_DIM(reqs); i++) {
		const int bad[] = {p[1], mfd, sp[0]};
		const char *names[] = {"pipe", "memfd", "socket"};

		for (unsigned int j = 0; j < RTE_DIM(bad); j++) {
			uint64_t before = err_msg(dev);

			CHECK(send_vring_fd(&g, reqs[i], 1, bad[j]) != 0,
			      "%s with a %s accepted",
			      tvu_request_name(reqs[i]), names[j]);
			CHECK(err_msg(dev) == before + 1,
			      "err_msg not counted");
			printf("ok %s with a %s refused\n",
			       tvu_request_name(reqs[i]), names[j]);
		}
	}
	close(p[0]);
	close(p[1]);
	close(sp[0]);
	close(sp[1]);
	close(mfd);
	/* The back-end kept none of them. */
	CHECK(mg_count_fds() == fds0, "refused fds kept: %d -> %d", fds0,
	      mg_count_fds());
	/* The ring still runs, and calls still go to the old call fd. */
	tx_one(&g, dev, 2);
	CHECK(eventfd_take(g.vq[1].call_fd) == 1, "old call fd not used");
	/* An accepted eventfd is made non-blocking (the flag is on the
	 * shared file description, so the front-end sees it too). */
	e = eventfd(0, EFD_CLOEXEC);
	CHECK(e >= 0, "eventfd");
	CHECK(send_vring_fd(&g, TVU_SET_VRING_CALL, 1, e) == 0, "eventfd");
	CHECK(fcntl(e, F_GETFL) & O_NONBLOCK, "call eventfd left blocking");
	tx_one(&g, dev, 3);
	CHECK(eventfd_take(e) == 1, "new call fd not used");
	close(e);
	printf("ok accepted call eventfd made non-blocking and used\n");
	tvh_dev_destroy(dev);
	mg_fini(&g);
}

/* B2: kicks are counted from fdinfo; the kick eventfd is never read. */
static void
test_kicks_not_read(void)
{
	const char *path = mg_sock_path("kicks");
	struct tvh_config cfg = {.path = path, .n_queue_pairs = 1};
	struct tvh_vq_extra_stats x0, x1;
	static const uint64_t one = 1;
	struct tvh_dev *dev;
	struct mg g;
	int k;

	CHECK(tvh_dev_create(&cfg, NULL, NULL, &dev) == 0, "create");
	mg_init(&g);
	mg_setup(&g, path, feat, 2, RING);
	k = eventfd(0, EFD_CLOEXEC); /* blocking, like a hostile front-end */
	CHECK(k >= 0, "eventfd");
	CHECK(send_vring_fd(&g, TVU_SET_VRING_KICK, 1, k) == 0, "kick fd");
	CHECK(fcntl(k, F_GETFL) & O_NONBLOCK, "kick eventfd left blocking");
	/* The front-end clears the flag again: reading an empty kick fd
	 * would now block whoever reads it. */
	CHECK(fcntl(k, F_SETFL, fcntl(k, F_GETFL) & ~O_NONBLOCK) == 0, "flags");
	CHECK(tvh_vq_extra_stats_get(dev, 1, &x0) == 0, "extra stats");
	for (int i = 0; i < 3; i++)
		CHECK(write(k, &one, sizeof(one)) == sizeof(one), "kick");
	CHECK(tvh_vq_extra_stats_get(dev, 1, &x1) == 0, "extra stats");
	CHECK(x1.kicks == x0.kicks + 3, "kicks %lu -> %lu", x0.kicks, x1.kicks);
	/* Not consumed: the front-end reads its own 3 back, leaving the
	 * fd empty and blocking; counting must neither block nor lose. */
	CHECK(eventfd_take(k) == 3, "kick eventfd was read by the back-end");
	CHECK(tvh_vq_extra_stats_get(dev, 1, &x1) == 0, "extra stats");
	CHECK(x1.kicks == x0.kicks + 3, "kicks after drain %lu", x1.kicks);
	for (int i = 0; i < 2; i++)
		CHECK(write(k, &one, sizeof(one)) == sizeof(one), "kick");
	CHECK(tvh_vq_extra_stats_get(dev, 1, &x1) == 0, "extra stats");
	CHECK(x1.kicks == x0.kicks + 5, "kicks %lu, want +5", x1.kicks);
	/* Replacing the kick fd counts the old one's rest, then starts
	 * from the new one's count. */
	CHECK(send_vring_fd(&g, TVU_SET_VRING_KICK, 1, g.vq[1].kick_fd) == 0,
	      "kick fd back");
	CHECK(write(k, &one, sizeof(one)) == sizeof(one), "stale kick");
	CHECK(tvh_vq_extra_stats_get(dev, 1, &x1) == 0, "extra stats");
	CHECK(x1.kicks == x0.kicks + 5, "old fd still counted: %lu", x1.kicks);
	close(k);
	tx_one(&g, dev, 4);
	tvh_dev_destroy(dev);
	mg_fini(&g);
	printf("ok kicks counted without reading the kick eventfd (blocking, "
	       "emptied by the front-end)\n");
}

/* A saturated call eventfd that stays non-blocking: EAGAIN, counted. */
static void
test_call_eagain(void)
{
	const char *path = mg_sock_path("eagain");
	struct tvh_config cfg = {.path = path, .n_queue_pairs = 1};
	const uint64_t full = UINT64_MAX - 1;
	struct tvh_vq_extra_stats xs;
	struct tvh_vq_stats st0, st;
	struct tvh_dev *dev;
	struct mg g;
	uint64_t t0;

	CHECK(tvh_dev_create(&cfg, NULL, NULL, &dev) == 0, "create");
	mg_init(&g);
	mg_setup(&g, path, feat, 2, RING);
	CHECK(write(g.vq[1].call_fd, &full, sizeof(full)) == sizeof(full),
	      "saturate");
	tvh_vq_stats_get(dev, 1, &st0);
	t0 = mg_now_ms();
	tx_one(&g, dev, 5);
	CHECK(mg_now_ms() - t0 < BOUND_MS, "burst took %lu ms",
	      mg_now_ms() - t0);
	tvh_vq_stats_get(dev, 1, &st);
	CHECK(tvh_vq_extra_stats_get(dev, 1, &xs) == 0, "extra stats");
	CHECK(xs.calls_eagain == 1, "calls_eagain %lu", xs.calls_eagain);
	CHECK(st.calls == st0.calls &&
		      st.calls_suppressed == st0.calls_suppressed + 1,
	      "calls %lu suppressed %lu", st.calls, st.calls_suppressed);
	CHECK(tvh_vq_extra_stats_get(dev, 7, &xs) == -EINVAL, "bad vq");
	tvh_dev_destroy(dev);
	mg_fini(&g);
	printf("ok saturated non-blocking call eventfd: EAGAIN counted\n");
}

struct dp_arg {
	struct tvh_dev *dev;
	uint16_t got;
	bool done;
};

static void *
dp_thread(void *arg)
{
	struct dp_arg *a = arg;
	struct rte_mbuf *m[8];

	a->got = tvh_dequeue_burst(a->dev, 1, mp, m, RTE_DIM(m));
	for (uint16_t i = 0; i < a->got; i++)
		rte_pktmbuf_free(m[i]);
	__atomic_store_n(&a->done, true, __ATOMIC_RELEASE);
	return NULL;
}

static bool
used_moved(void *arg)
{
	struct mg *g = arg;

	return __atomic_load_n(&g->vq[1].ring.used->idx, __ATOMIC_ACQUIRE) !=
	       g->vq[1].used_seen;
}

/* Connect a new front-end; true if the back-end answers it. */
static bool
answers(const char *path)
{
	uint64_t v;
	int s = tvu_connect(path);
	bool ok;

	if (s < 0)
		return false;
	ok = tvu_fe_get_u64(s, TVU_GET_FEATURES, &v) == 0;
	close(s);
	return ok;
}

static bool
answers_cb(void *arg)
{
	return answers(arg);
}

/* B1: the datapath thread blocks in the call eventfd write (the front-end
 * saturated it and cleared O_NONBLOCK); a stop (GET_VRING_BASE) or a
 * destroy must return anyway. */
static void
test_stuck_call(bool destroy_while_stuck)
{
	char path[108];
	struct tvh_config cfg = {.path = path, .n_queue_pairs = 1};
	const uint64_t full = UINT64_MAX - 1;
	struct dp_arg a = {0};
	struct tvh_vq_extra_stats xs;
	struct tvh_dev_stats ds;
	struct tvh_dev *dev;
	uint8_t pkt[64];
	uint32_t base = 0;
	pthread_t t;
	uint64_t t0;
	struct mg g;
	int e, rc;

	snprintf(path, sizeof(path), "%s",
		 mg_sock_path(destroy_while_stuck ? "stuck-d" : "stuck-s"));
	CHECK(tvh_dev_create(&cfg, NULL, NULL, &dev) == 0, "create");
	mg_init(&g);
	mg_setup(&g, path, feat, 2, RING);
	e = eventfd(0, EFD_CLOEXEC);
	CHECK(e >= 0, "eventfd");
	CHECK(send_vring_fd(&g, TVU_SET_VRING_CALL, 1, e) == 0, "call fd");
	CHECK(fcntl(e, F_SETFL, fcntl(e, F_GETFL) & ~O_NONBLOCK) == 0, "flags");
	CHECK(write(e, &full, sizeof(full)) == sizeof(full), "saturate");
	mg_fill(pkt, sizeof(pkt), 9);
	mg_tx_post(&g, 1, MG_TX_HDR_SAME, pkt, sizeof(pkt), HDR);
	mg_avail_publish(&g, 1);
	a.dev = dev;
	CHECK(pthread_create(&t, NULL, dp_thread, &a) == 0, "thread");
	/* used->idx is stored just before the notification. */
	CHECK(mg_wait(used_moved, &g, 2000), "burst did not run");
	usleep(50 * 1000);
	CHECK(!__atomic_load_n(&a.done, __ATOMIC_ACQUIRE),
	      "burst not blocked: the test does not test anything");

	t0 = mg_now_ms();
	if (destroy_while_stuck) {
		tvh_dev_destroy(dev);
		CHECK(mg_now_ms() - t0 < BOUND_MS, "destroy took %lu ms",
		      mg_now_ms() - t0);
		printf("ok destroy returned in %lu ms with a burst blocked in "
		       "the call eventfd\n",
		       mg_now_ms() - t0);
	} else {
		rc = tvu_fe_get_vring_base(g.sock, 1, &base);
		CHECK(rc < 0, "GET_VRING_BASE answered (%u) while stuck", base);
		CHECK(mg_now_ms() - t0 < BOUND_MS, "stop took %lu ms",
		      mg_now_ms() - t0);
		printf("ok GET_VRING_BASE refused and disconnected in %lu ms "
		       "with a burst blocked in the call eventfd\n",
		       mg_now_ms() - t0);
		/* The control lock is free: the application's stats
		 * calls return. */
		t0 = mg_now_ms();
		tvh_dev_stats_get(dev, &ds);
		CHECK(tvh_vq_extra_stats_get(dev, 1, &xs) == 0, "xstats");
		CHECK(mg_now_ms() - t0 < BOUND_MS, "stats took %lu ms",
		      mg_now_ms() - t0);
		CHECK(ds.disconnects == 1, "disconnects %lu", ds.disconnects);
		/* No new front-end while the old one's burst is inside. */
		CHECK(!answers(path), "new front-end served while stuck");
	}
	/* The front-end reads its eventfd: the write completes. */
	CHECK(eventfd_take(e) == full, "eventfd count");
	pthread_join(t, NULL);
	CHECK(a.done && a.got == 1, "burst got %u", a.got);
	close(e);
	if (destroy_while_stuck) {
		/* Freed by the next create/destroy at the latest. */
		struct tvh_dev *d2;

		CHECK(tvh_dev_create(&cfg, NULL, NULL, &d2) == 0, "create 2");
		tvh_dev_destroy(d2);
		mg_fini(&g);
		return;
	}
	/* The sweep notices the burst left: a new front-end is served. */
	CHECK(mg_wait(answers_cb, path, BOUND_MS), "device did not come back");
	mg_fini(&g);
	mg_init(&g);
	mg_setup(&g, path, feat, 2, RING);
	tx_one(&g, dev, 10);
	CHECK(eventfd_take(g.vq[1].call_fd) == 1, "call after recovery");
	tvh_dev_destroy(dev);
	mg_fini(&g);
	printf("ok device serves a new front-end once the burst left\n");
}

/* R5: where a ring set up with a front-end's base resumes. */
static void
test_base(void)
{
	const char *path = mg_sock_path("base");
	struct tvh_config cfg = {.path = path, .n_queue_pairs = 1};
	uint16_t heads[4];
	struct rte_mbuf *m[8];
	uint8_t pkt[128];
	struct tvh_dev *dev;
	uint32_t id, len;
	struct mg g;
	uint16_t n;

	CHECK(tvh_dev_create(&cfg, NULL, NULL, &dev) == 0, "create");
	mg_init(&g);
	mg_setup(&g, path, feat, 2, RING);
	for (uint32_t i = 0; i < 6; i++)
		tx_one(&g, dev, i);
	CHECK(mg_vq_stop(&g, 1) == 6, "base");
	while (mg_used_next(&g, 1, &id, &len))
		;
	/* Four more packets: avail 10, used 6. */
	for (uint32_t i = 0; i < 4; i++) {
		mg_fill(pkt, sizeof(pkt), 100 + i);
		heads[i] = mg_tx_post(&g, 1, MG_TX_HDR_SAME, pkt, sizeof(pkt),
				      HDR);
	}
	mg_avail_publish(&g, 1);

	/* Base 8, within [6, 10]: the front-end says entries 6 and 7 were
	 * dealt with; only 8 and 9 are taken, and their used entries go
	 * where the used ring stands (6, 7). */
	g.vq[1].avail_idx = 8;
	CHECK(mg_vq_setup(&g, 1, RING) == 0, "restart at 8");
	g.vq[1].avail_idx = 10;
	n = tvh_dequeue_burst(dev, 1, mp, m, RTE_DIM(m));
	CHECK(n == 2, "base 8 honoured: got %u packets, want 2", n);
	for (uint16_t i = 0; i < n; i++) {
		mg_fill(pkt, sizeof(pkt), 102 + i);
		CHECK(mg_mbuf_cmp(m[i], pkt, sizeof(pkt)) == 0, "payload %u",
		      i);
		rte_pktmbuf_free(m[i]);
	}
	CHECK(g.vq[1].ring.used->idx == 8, "used idx %u",
	      g.vq[1].ring.used->idx);
	for (uint16_t i = 0; i < 2; i++) {
		CHECK(mg_used_next(&g, 1, &id, &len), "used entry %u", i);
		CHECK(id == heads[2 + i], "used id %u, want %u", id,
		      heads[2 + i]);
	}
	CHECK(mg_vq_stop(&g, 1) == 10, "base after 8");
	printf("ok base within [used, avail] honoured\n");

	/* Base 0, outside [8, 10] (what the stock virtio-user sends after a
	 * back-end reconnects): continue from used->idx 8, taking 8 and 9
	 * again. */
	g.vq[1].avail_idx = 0;
	CHECK(mg_vq_setup(&g, 1, RING) == 0, "restart at 0");
	g.vq[1].avail_idx = 10;
	n = tvh_dequeue_burst(dev, 1, mp, m, RTE_DIM(m));
	CHECK(n == 2, "base 0: got %u packets, want 2 (from used 8)", n);
	for (uint16_t i = 0; i < n; i++) {
		mg_fill(pkt, sizeof(pkt), 102 + i);
		CHECK(mg_mbuf_cmp(m[i], pkt, sizeof(pkt)) == 0, "payload %u",
		      i);
		rte_pktmbuf_free(m[i]);
	}
	CHECK(g.vq[1].ring.used->idx == 10, "used idx %u",
	      g.vq[1].ring.used->idx);
	while (mg_used_next(&g, 1, &id, &len))
		;
	CHECK(mg_vq_stop(&g, 1) == 10, "base after 0");
	printf("ok base outside [used, avail] continues from used\n");

	/* Base == avail == used: nothing pending, the next packet runs. */
	CHECK(mg_vq_setup(&g, 1, RING) == 0, "restart at 10");
	CHECK(tvh_dequeue_burst(dev, 1, mp, m, RTE_DIM(m)) == 0, "nothing");
	tx_one(&g, dev, 200);
	tvh_dev_destroy(dev);
	mg_fini(&g);
}

int
main(int argc, char **argv)
{
	int fds0, maps0;

	/* Whatever hangs, the test ends (SIGALRM kills it: a failure). */
	alarm(60);
	mg_eal_init(argv[0], "guard");
	mp = rte_pktmbuf_pool_create("h2guard", 1023, 0, 0,
				     RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	CHECK(mp != NULL, "mempool");

	test_fd_types(); /* also the warm-up for the leak counts */
	{
		/* glibc keeps a joined thread's stack mapped for reuse: run
		 * a datapath thread next to the control thread once. */
		struct tvh_config cfg = {.path = mg_sock_path("warm"),
					 .n_queue_pairs = 1};
		struct dp_arg a = {0};
		pthread_t t;

		CHECK(tvh_dev_create(&cfg, NULL, NULL, &a.dev) == 0, "create");
		CHECK(pthread_create(&t, NULL, dp_thread, &a) == 0, "thread");
		pthread_join(t, NULL);
		tvh_dev_destroy(a.dev);
	}
	fds0 = mg_count_fds();
	maps0 = mg_count_maps();

	test_kicks_not_read();
	test_call_eagain();
	test_base();
	test_stuck_call(false);
	test_stuck_call(true);
	CHECK(mg_count_fds() == fds0, "fd leak: %d -> %d", fds0,
	      mg_count_fds());
	CHECK(mg_count_maps() == maps0, "mapping leak: %d -> %d lines", maps0,
	      mg_count_maps());
	CHECK(rte_mempool_avail_count(mp) == 1023, "mbufs leaked: %u",
	      rte_mempool_avail_count(mp));
	printf("ok no fd, mapping or mbuf leak (%d fds, %d maps lines)\n", fds0,
	       maps0);
	rte_mempool_free(mp);
	rte_eal_cleanup();
	printf("PASS\n");
	return 0;
}
