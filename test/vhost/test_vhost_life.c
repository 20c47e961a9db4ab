/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * Device life cycle: callbacks (ready/gone/vring state), GET_VRING_BASE
 * stopping a ring, client mode with reconnect, a datapath thread bursting
 * while the control side swaps the memory table and call fds (the
 * quiesce protocol), and no fd / mapping / mbuf leak across create and
 * destroy cycles with a connected, mapped front-end.
 */
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_mbuf.h>

#include "mock_guest.h"

#define RING 256

static struct rte_mempool *mp;
static const uint64_t feat =
	(1ull << TV_F_VERSION_1) | (1ull << TV_F_VHOST_USER_PROTOCOL_FEATURES) |
	(1ull << TV_NET_F_MRG_RXBUF) | (1ull << TV_F_RING_EVENT_IDX);

struct cb_count {
	int ready, gone, vq_on, vq_off;
};

static void
on_ready(struct tvh_dev *dev, void *ctx)
{
	__atomic_fetch_add(&((struct cb_count *)ctx)->ready, 1,
			   __ATOMIC_RELAXED);
}

static void
on_gone(struct tvh_dev *dev, void *ctx)
{
	__atomic_fetch_add(&((struct cb_count *)ctx)->gone, 1,
			   __ATOMIC_RELAXED);
}

static void
on_vring(struct tvh_dev *dev, void *ctx, uint16_t vq, bool on)
{
	struct cb_count *c = ctx;

	__atomic_fetch_add(on ? &c->vq_on : &c->vq_off, 1, __ATOMIC_RELAXED);
}

static const struct tvh_ops ops = {
	.device_ready = on_ready,
	.device_gone = on_gone,
	.vring_state = on_vring,
};

static void
tx_one(struct mg *g, struct tvh_dev *dev, uint32_t seed)
{
	uint8_t pkt[128];
	struct rte_mbuf *m;

	mg_fill(pkt, sizeof(pkt), seed);
	mg_tx_post(g, 1, MG_TX_HDR_SAME, pkt, sizeof(pkt), 12);
	mg_avail_publish(g, 1);
	CHECK(tvh_dequeue_burst(dev, 1, mp, &m, 1) == 1, "tx");
	CHECK(mg_mbuf_cmp(m, pkt, sizeof(pkt)) == 0, "payload");
	rte_pktmbuf_free(m);
}

static bool
disconnected(void *arg)
{
	struct tvh_dev_stats st;

	tvh_dev_stats_get(arg, &st);
	return st.disconnects == st.connects;
}

static void
test_callbacks_and_base(void)
{
	const char *path = mg_sock_path("life");
	struct tvh_config cfg = {.path = path, .n_queue_pairs = 2};
	struct cb_count c = {0};
	struct tvh_dev *dev;
	struct mg g;
	struct rte_mbuf *m;
	uint32_t base, id, len;

	CHECK(tvh_dev_create(&cfg, &ops, &c, &dev) == 0, "create");
	mg_init(&g);
	mg_setup(&g, path, feat, 2, RING);
	CHECK(c.ready == 1 && c.gone == 0 && c.vq_on == 2,
	      "ready %d gone %d vq_on %d", c.ready, c.gone, c.vq_on);
	CHECK(tvh_dev_active_queue_pairs(dev) == 1, "active pairs");
	for (uint32_t i = 0; i < 5; i++)
		tx_one(&g, dev, i);
	/* GET_VRING_BASE stops the ring and reports where it stopped. */
	base = mg_vq_stop(&g, 1);
	CHECK(base == 5, "base %u", base);
	CHECK(c.gone == 1 && c.vq_off == 1, "gone %d vq_off %d", c.gone,
	      c.vq_off);
	CHECK(!tvh_vq_is_enabled(dev, 1), "vq 1 still enabled");
	{
		uint8_t pkt[64] = {0};

		mg_tx_post(&g, 1, MG_TX_HDR_SAME, pkt, 64, 12);
		mg_avail_publish(&g, 1);
		CHECK(tvh_dequeue_burst(dev, 1, mp, &m, 1) == 0,
		      "stopped ring served");
	}
	while (mg_used_next(&g, 1, &id, &len))
		;
	/* Restart from the base: the pending packet is served. */
	g.vq[1].avail_idx = (uint16_t)base;
	CHECK(mg_vq_setup(&g, 1, RING) == 0, "restart");
	g.vq[1].avail_idx = (uint16_t)(base + 1); /* still in the ring */
	CHECK(c.ready == 2, "ready again %d", c.ready);
	CHECK(tvh_dequeue_burst(dev, 1, mp, &m, 1) == 1, "pending packet");
	rte_pktmbuf_free(m);
	/* Second queue pair follows its own state. */
	CHECK(mg_vq_setup(&g, 2, RING) == 0 && mg_vq_setup(&g, 3, RING) == 0,
	      "pair 1");
	CHECK(tvh_dev_active_queue_pairs(dev) == 2, "2 active pairs");
	/* Disabling pair 1 does not touch the device state. */
	CHECK(tvu_fe_set_vring_state(g.sock, TVU_SET_VRING_ENABLE, 3, 0,
				     true) == 0,
	      "disable 3");
	CHECK(tvh_dev_is_ready(dev) && !tvh_vq_is_enabled(dev, 3),
	      "pair 1 disable");
	/* Hang-up: gone, everything stopped. */
	mg_fini(&g);
	CHECK(mg_wait(disconnected, dev, 2000), "no disconnect");
	CHECK(c.gone == 2 && !tvh_dev_is_ready(dev), "gone after hang-up");
	CHECK(tvh_dev_features(dev) == 0, "features kept after hang-up");
	tvh_dev_destroy(dev);
	printf("ok callbacks, GET_VRING_BASE, queue pairs, hang-up\n");
}

static bool
connected_to(void *arg)
{
	struct tvh_dev_stats st;

	tvh_dev_stats_get(arg, &st);
	return st.connects > st.disconnects;
}

static void
test_client_reconnect(void)
{
	const char *path = mg_sock_path("client");
	struct tvh_config cfg = {
		.path = path, .n_queue_pairs = 1, .client = true};
	struct tvh_dev *dev;
	struct tvh_dev_stats st;
	struct mg g;
	int lfd;

	/* Nobody listens yet: the device keeps trying. */
	unlink(path);
	CHECK(tvh_dev_create(&cfg, NULL, NULL, &dev) == 0, "create client");
	usleep(300000);
	lfd = tvu_listen(path);
	CHECK(lfd >= 0, "listen");
	for (int round = 0; round < 2; round++) {
		mg_init(&g);
		g.sock = tvu_accept(lfd);
		CHECK(g.sock >= 0, "accept");
		mg_setup(&g, path, feat, 2, RING);
		CHECK(tvh_dev_is_ready(dev), "client ready");
		tx_one(&g, dev, round);
		mg_fini(&g);
		CHECK(mg_wait(disconnected, dev, 2000), "no disconnect");
	}
	/* It reconnects by itself after each hang-up (the listening
	 * socket's backlog takes the next attempt). */
	CHECK(mg_wait(connected_to, dev, 2000), "no reconnect");
	tvh_dev_stats_get(dev, &st);
	CHECK(st.connects >= 3, "connects %lu", st.connects);
	close(lfd);
	unlink(path);
	tvh_dev_destroy(dev);
	printf("ok client mode: connect after 300 ms, reconnect after "
	       "hang-up\n");
}

/* A datapath thread bursting on both queues while the control thread
 * swaps the memory table and the call fd underneath. */
struct dp_arg {
	struct tvh_dev *dev;
	struct mg *g;
	bool stop;
	uint64_t bursts;
};

static void *
dp_thread(void *p)
{
	struct dp_arg *a = p;
	struct rte_mbuf *m[8];

	while (!__atomic_load_n(&a->stop, __ATOMIC_ACQUIRE)) {
		uint16_t n = tvh_dequeue_burst(a->dev, 1, mp, m, 8);

		for (uint16_t i = 0; i < n; i++)
			rte_pktmbuf_free(m[i]);
		a->bursts++;
	}
	return NULL;
}

static void
test_quiesce_under_load(void)
{
	const char *path = mg_sock_path("quiesce");
	struct tvh_config cfg = {.path = path, .n_queue_pairs = 1};
	struct tvh_dev *dev;
	struct dp_arg a = {0};
	struct mg g;
	pthread_t t;
	uint8_t pkt[64] = {0};

	CHECK(tvh_dev_create(&cfg, NULL, NULL, &dev) == 0, "create");
	mg_init(&g);
	mg_setup(&g, path, feat, 2, RING);
	a.dev = dev;
	a.g = &g;
	CHECK(pthread_create(&t, NULL, dp_thread, &a) == 0, "thread");
	for (int i = 0; i < 200; i++) {
		/* Keep the ring busy: the thread consumes these. */
		if ((uint16_t)(g.vq[1].avail_idx - g.vq[1].used_seen) < 64) {
			uint32_t id, len;

			while (mg_used_next(&g, 1, &id, &len))
				;
			if (g.vq[1].next_desc > RING - 8)
				mg_round_reset(&g);
			mg_tx_post(&g, 1, MG_TX_HDR_SAME, pkt, 64, 12);
			mg_avail_publish(&g, 1);
		}
		CHECK(mg_send_mem_table(&g) == 0, "mem table %d", i);
		CHECK(tvu_fe_set_vring_fd(g.sock, TVU_SET_VRING_CALL, 1,
					  g.vq[1].call_fd) == 0,
		      "call");
	}
	__atomic_store_n(&a.stop, true, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	CHECK(tvh_dev_is_ready(dev), "not ready after swaps");
	mg_fini(&g);
	tvh_dev_destroy(dev);
	printf("ok 200 memory-table and call-fd swaps under %lu bursts\n",
	       a.bursts);
}

static void
cycle(int i)
{
	const char *path = mg_sock_path("cycle");
	struct tvh_config cfg = {.path = path, .n_queue_pairs = 1};
	struct tvh_dev *dev;
	struct mg g;

	CHECK(tvh_dev_create(&cfg, NULL, NULL, &dev) == 0, "create %d", i);
	mg_init(&g);
	mg_setup(&g, path, feat, 2, RING);
	tx_one(&g, dev, i);
	/* Destroy while the front-end is still connected and mapped. */
	tvh_dev_destroy(dev);
	mg_fini(&g);
}

int
main(int argc, char **argv)
{
	int fds0, maps0;

	mg_eal_init(argv[0], "life");
	mp = rte_pktmbuf_pool_create("h2life", 1023, 0, 0,
				     RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	CHECK(mp != NULL, "mempool");

	test_callbacks_and_base();
	test_client_reconnect();
	test_quiesce_under_load();

	cycle(0); /* warm-up: thread stacks and caches */
	fds0 = mg_count_fds();
	maps0 = mg_count_maps();
	for (int i = 1; i <= 5; i++)
		cycle(i);
	CHECK(mg_count_fds() == fds0, "fd leak: %d -> %d", fds0,
	      mg_count_fds());
	CHECK(mg_count_maps() == maps0, "mapping leak: %d -> %d lines", maps0,
	      mg_count_maps());
	printf("ok 5 create/connect/destroy cycles: %d fds, %d maps lines "
	       "before and after\n",
	       fds0, maps0);
	CHECK(rte_mempool_avail_count(mp) == 1023, "mbufs leaked");
	rte_mempool_free(mp);
	rte_eal_cleanup();
	printf("PASS\n");
	return 0;
}
