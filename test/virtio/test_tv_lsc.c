/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * test_tv_lsc.c - net_tandem_virtio's link state events when a back-end
 * goes and the next one comes before the application was told.
 *
 * One process: net_tandem_virtio (server=1, loaded with -d) and two
 * net_tandem_vhost back-ends, A and B (client=1; their close is
 * synchronous, so A's hang-up is there before B connects). The
 * application's LSC callback holds EAL's interrupt thread on the first
 * event (link up, back-end A), as a slow application would; meanwhile A
 * leaves and B connects, so the port sees both in one pass once the
 * callback returns. The application must be told down and up, each
 * callback finding its own event's status, not up twice; and B must be
 * taken on its first connection. Then B leaves for good: one event, down.
 *
 * Twice, once in each order of that pass: epoll lists A's hang-up first
 * as it came first; the second time the test makes EAL rebuild its epoll
 * set while the thread is held (a dummy interrupt source registered and
 * removed), which lists the listen socket (registered at probe) before
 * the connection, so the port sees B's connection while A's hang-up is
 * still to be handled, and must take it rather than refuse it as a
 * second back-end (B would then come back 200 ms later, its reconnect
 * period: dev_connects 2). No fd or mbuf may leak.
 *
 * usage: test_tv_lsc <librte_net_tandem_virtio.so>
 *                    <librte_net_tandem_vhost.so>
 * Exit 0 on success, 1 on failure. Never skipped (see test_tv_features).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <rte_bus_vdev.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_interrupts.h>
#include <rte_mbuf.h>

#include "../common/tt_eal.h"

/* The callback's record: the status each event found; event `hold_at`
 * waits (up to 10 s) until `release`. */
static struct {
	uint16_t port;
	unsigned int calls;
	unsigned int hold_at;
	bool holding;
	bool release;
	uint8_t seen[16];
} ev = {.hold_at = UINT32_MAX};

static int
lsc_cb(uint16_t port, enum rte_eth_event_type type, void *ctx, void *out)
{
	struct rte_eth_link link;
	unsigned int i;

	RTE_SET_USED(type);
	RTE_SET_USED(ctx);
	RTE_SET_USED(out);
	if (port != __atomic_load_n(&ev.port, __ATOMIC_SEQ_CST))
		return 0;
	i = __atomic_load_n(&ev.calls, __ATOMIC_SEQ_CST);
	if (i < RTE_DIM(ev.seen))
		ev.seen[i] = rte_eth_link_get_nowait(port, &link) == 0
				     ? link.link_status
				     : 0xff;
	if (i == __atomic_load_n(&ev.hold_at, __ATOMIC_SEQ_CST)) {
		__atomic_store_n(&ev.holding, true, __ATOMIC_SEQ_CST);
		for (int w = 0; w < 1000 &&
				!__atomic_load_n(&ev.release, __ATOMIC_SEQ_CST);
		     w++)
			usleep(10000);
	}
	__atomic_store_n(&ev.calls, i + 1, __ATOMIC_SEQ_CST);
	return 0;
}

/* Wait up to 10 s for `n` calls, then 300 ms more for any extra one. */
static unsigned int
calls_settle(unsigned int n)
{
	for (int w = 0;
	     w < 1000 && __atomic_load_n(&ev.calls, __ATOMIC_SEQ_CST) < n; w++)
		usleep(10000);
	usleep(300000);
	return __atomic_load_n(&ev.calls, __ATOMIC_SEQ_CST);
}

static int
port_up(uint16_t port, struct rte_mempool *mp, bool lsc)
{
	struct rte_eth_conf conf;

	memset(&conf, 0, sizeof(conf));
	conf.intr_conf.lsc = lsc;
	if (rte_eth_dev_configure(port, 1, 1, &conf) != 0 ||
	    rte_eth_rx_queue_setup(port, 0, 256, SOCKET_ID_ANY, NULL, mp) !=
		    0 ||
	    rte_eth_tx_queue_setup(port, 0, 256, SOCKET_ID_ANY, NULL) != 0)
		return -1;
	return rte_eth_dev_start(port);
}

/* A vhost PMD client on `sock` (net_vhost or net_tandem_vhost: the same
 * devargs), started; returns its port or -1. */
static int
backend_add(const char *name, const char *sock, struct rte_mempool *mp)
{
	char args[300];
	uint16_t port;

	snprintf(args, sizeof(args), "iface=%s,client=1", sock);
	if (rte_vdev_init(name, args) != 0 ||
	    rte_eth_dev_get_port_by_name(name, &port) != 0)
		return -1;
	if (port_up(port, mp, false) != 0) {
		rte_eth_dev_close(port);
		rte_vdev_uninit(name);
		return -1;
	}
	return port;
}

static void
backend_del(const char *name, int port)
{
	if (port < 0)
		return;
	rte_eth_dev_stop((uint16_t)port);
	rte_eth_dev_close((uint16_t)port);
	rte_vdev_uninit(name);
}

/* An xstat of `port` by name (UINT64_MAX if there is none). */
static uint64_t
xstat(uint16_t port, const char *name)
{
	uint64_t id, v;

	if (rte_eth_xstats_get_id_by_name(port, name, &id) != 0 ||
	    rte_eth_xstats_get_by_id(port, &id, &v, 1) != 1)
		return UINT64_MAX;
	return v;
}

static const char *
status(uint8_t s)
{
	return s == RTE_ETH_LINK_UP	? "up"
	       : s == RTE_ETH_LINK_DOWN ? "down"
					: "?";
}

static void
check_seen(const char *what, const uint8_t *want, unsigned int n,
	   unsigned int calls)
{
	unsigned int i;

	CHECK(calls == n, "%s: %u events, expected %u", what, calls, n);
	for (i = 0; i < n && i < calls && i < RTE_DIM(ev.seen); i++)
		CHECK(ev.seen[i] == want[i],
		      "%s: event %u found the link %s, expected %s", what, i,
		      status(ev.seen[i]), status(want[i]));
}

static void
dummy_cb(void *arg)
{
	RTE_SET_USED(arg);
}

/* While the interrupt thread is held: make it rebuild its epoll set as
 * soon as it is free (EAL writes its rebuild pipe when a source is added
 * or removed). The pipe is then ready before the sockets are. */
static void
intr_rebuild_soon(void)
{
	struct rte_intr_handle *h =
		rte_intr_instance_alloc(RTE_INTR_INSTANCE_F_PRIVATE);
	int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

	CHECK(h != NULL && fd >= 0 &&
		      rte_intr_type_set(h, RTE_INTR_HANDLE_EXT) == 0 &&
		      rte_intr_fd_set(h, fd) == 0 &&
		      rte_intr_callback_register(h, dummy_cb, NULL) == 0 &&
		      rte_intr_callback_unregister(h, dummy_cb, NULL) == 1,
	      "cannot make EAL rebuild its epoll set");
	if (fd >= 0)
		close(fd);
	rte_intr_instance_free(h);
}

static void
run(const char *dir, struct rte_mempool *mp, bool listen_first)
{
	static const uint8_t bounce[] = {RTE_ETH_LINK_UP, RTE_ETH_LINK_DOWN,
					 RTE_ETH_LINK_UP};
	static const uint8_t gone[] = {RTE_ETH_LINK_UP, RTE_ETH_LINK_DOWN,
				       RTE_ETH_LINK_UP, RTE_ETH_LINK_DOWN};
	const char *gname = "net_tandem_virtio_lsc";
	struct rte_eth_link link;
	char sock[256], args[300];
	int a, b;
	uint16_t g;

	snprintf(sock, sizeof(sock), "%s/lsc.sock", dir);
	snprintf(args, sizeof(args), "path=%s,server=1", sock);
	if (rte_vdev_init(gname, args) != 0 ||
	    rte_eth_dev_get_port_by_name(gname, &g) != 0) {
		CHECK(false, "cannot create %s,%s", gname, args);
		return;
	}
	__atomic_store_n(&ev.port, g, __ATOMIC_SEQ_CST);
	CHECK(rte_eth_dev_callback_register(g, RTE_ETH_EVENT_INTR_LSC, lsc_cb,
					    NULL) == 0,
	      "LSC callback register");
	CHECK(port_up(g, mp, true) == 0, "guest port setup failed");
	CHECK(calls_settle(0) == 0, "an event without a back-end");

	/* A comes: event 0 (up) holds the interrupt thread. */
	__atomic_store_n(&ev.hold_at, 0, __ATOMIC_SEQ_CST);
	a = backend_add("net_tandem_vhost_lsc_a", sock, mp);
	CHECK(a >= 0, "back-end A");
	for (int w = 0;
	     w < 1000 && !__atomic_load_n(&ev.holding, __ATOMIC_SEQ_CST); w++)
		usleep(10000);
	CHECK(__atomic_load_n(&ev.holding, __ATOMIC_SEQ_CST),
	      "no link-up event for back-end A");
	/* A leaves, B connects (queued: the thread that accepts is held). */
	if (listen_first)
		intr_rebuild_soon();
	backend_del("net_tandem_vhost_lsc_a", a);
	b = backend_add("net_tandem_vhost_lsc_b", sock, mp);
	CHECK(b >= 0, "back-end B");
	usleep(100000);
	__atomic_store_n(&ev.release, true, __ATOMIC_SEQ_CST);
	check_seen("A left, B came while the first event was delivered", bounce,
		   RTE_DIM(bounce), calls_settle(RTE_DIM(bounce)));
	CHECK(rte_eth_link_get_nowait(g, &link) == 0 &&
		      link.link_status == RTE_ETH_LINK_UP,
	      "link not up with back-end B");
	/* B was taken on its first connection: not refused as a second
	 * back-end because A's hang-up was still to be seen (B would then
	 * have come back 200 ms later, its reconnect period). */
	CHECK(b < 0 || xstat((uint16_t)b, "dev_connects") == 1,
	      "back-end B connected %" PRIu64 " times",
	      xstat((uint16_t)b, "dev_connects"));

	/* B leaves for good: one event, down. */
	backend_del("net_tandem_vhost_lsc_b", b);
	check_seen("B left", gone, RTE_DIM(gone), calls_settle(RTE_DIM(gone)));
	CHECK(rte_eth_link_get_nowait(g, &link) == 0 &&
		      link.link_status == RTE_ETH_LINK_DOWN,
	      "link not down without a back-end");
	printf("ok link events (%s first): up, then A left and B came during "
	       "the first event's callback: down, up; B left: down\n",
	       listen_first ? "B's connection" : "A's hang-up");

	CHECK(rte_eth_dev_stop(g) == 0, "guest stop");
	CHECK(calls_settle(RTE_DIM(gone)) == RTE_DIM(gone),
	      "an event from stopping a port whose link was down");
	CHECK(rte_eth_dev_callback_unregister(g, RTE_ETH_EVENT_INTR_LSC, lsc_cb,
					      NULL) == 0,
	      "LSC callback unregister");
	CHECK(rte_eth_dev_close(g) == 0, "guest close");
	rte_vdev_uninit(gname);
	unlink(sock);
}

int
main(int argc, char **argv)
{
	char dir[] = "/tmp/tv-lsc-XXXXXX";
	struct rte_mempool *mp;
	int fds_before;

	if (tt_start(argc, argv, 2,
		     "<librte_net_tandem_virtio.so> "
		     "<librte_net_tandem_vhost.so>",
		     "tvlsc", dir) != 0)
		return 1;
	mp = rte_pktmbuf_pool_create("lsc", 2047, 256, 0,
				     RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (mp == NULL) {
		CHECK(false, "no mempool");
		return tt_end(dir, NULL, 0, 0);
	}
	/* fds: counted after the first run, once EAL's interrupt thread and
	 * the back-end's control thread opened what they keep. */
	run(dir, mp, false);
	fds_before = tt_count_fds();
	memset(&ev, 0, sizeof(ev));
	ev.hold_at = UINT32_MAX;
	run(dir, mp, true);
	return tt_end(dir, mp, fds_before, 2);
}
