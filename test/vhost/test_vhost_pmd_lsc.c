/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * net_tandem_vhost's link state events against an application LSC
 * callback that reads xstats, with the mock front-end as the guest.
 *
 * lib/vhost reports ready/gone on its control thread with its control
 * lock held, and the port's xstats take that lock. The PMD must therefore
 * deliver the event from elsewhere (the EAL interrupt thread): a callback
 * that waits for another thread reading xstats would otherwise wait
 * forever (that thread blocks on the lock the callback's own thread holds)
 * and every device of the process would stall with it. Checked here:
 *  - the callback runs off lib/vhost's control thread, sees the new link
 *    status, reads xstats itself (negotiated_features = what the guest
 *    negotiated) and gets xstats read by a helper thread within 2 s;
 *  - close waits for an event being delivered: no callback is still
 *    running once rte_eth_dev_close() returned, and the xstats it reads
 *    meanwhile come from a device that is still there;
 *  - no fd and no mbuf leak.
 * Usage: test_vhost_pmd_lsc <librte_net_tandem_vhost.so>
 */
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_bus_vdev.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "mock_guest.h"

#define NB_MBUF 1023u
/* A callback that cannot get its xstats in this time is deadlocked. */
#define HELPER_WAIT_MS 2000
/* How long the close round's callback stays busy. */
#define SLOW_CB_MS 200

static const uint64_t feat =
	(1ull << TV_F_VERSION_1) | (1ull << TV_F_VHOST_USER_PROTOCOL_FEATURES) |
	(1ull << TV_NET_F_MRG_RXBUF) | (1ull << TV_F_RING_EVENT_IDX);

/* What the callback saw; written by the callback's thread, read by main
 * after waiting for `events` to move (seq_cst atomics both sides). */
static struct {
	unsigned int events;
	unsigned int failures;	/* checks that failed inside the callback */
	int link_seen;		/* link status at the last event */
	uint64_t features_seen; /* negotiated_features at the last event */
	/* close round: the callback is slow and checks `closed` at its end */
	bool slow;
	bool entered;
	bool closed; /* set by main once rte_eth_dev_close() returned */
} cb;

static pthread_t helper;
static bool helper_started;
static bool helper_done;
static int helper_result;

#define CB_CHECK(cond, ...)                                                    \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "FAIL (in LSC callback) %s:%d: %s: ",  \
				__FILE__, __LINE__, #cond);                    \
			fprintf(stderr, __VA_ARGS__);                          \
			fprintf(stderr, "\n");                                 \
			__atomic_fetch_add(&cb.failures, 1, __ATOMIC_SEQ_CST); \
		}                                                              \
	} while (0)

/* All xstats of the port: their number, or -1. */
static int
read_xstats(uint16_t port, uint64_t *features)
{
	struct rte_eth_xstat_name *names;
	struct rte_eth_xstat *xs;
	int n, got, i;

	n = rte_eth_xstats_get(port, NULL, 0);
	if (n <= 0)
		return -1;
	xs = calloc((size_t)n, sizeof(*xs));
	names = calloc((size_t)n, sizeof(*names));
	got = -1;
	if (xs != NULL && names != NULL &&
	    rte_eth_xstats_get_names(port, names, (unsigned int)n) == n &&
	    rte_eth_xstats_get(port, xs, (unsigned int)n) == n) {
		got = n;
		for (i = 0; i < n && features != NULL; i++)
			if (strcmp(names[xs[i].id].name,
				   "negotiated_features") == 0)
				*features = xs[i].value;
	}
	free(xs);
	free(names);
	return got;
}

static void *
helper_main(void *arg)
{
	uint16_t port = (uint16_t)(uintptr_t)arg;

	helper_result = read_xstats(port, NULL);
	__atomic_store_n(&helper_done, true, __ATOMIC_SEQ_CST);
	return NULL;
}

static void
sleep_ms(unsigned int ms)
{
	struct timespec ts = {.tv_sec = ms / 1000,
			      .tv_nsec = (long)(ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

static int
lsc_cb(uint16_t port, enum rte_eth_event_type ev, void *ctx, void *out)
{
	struct rte_eth_link link;
	uint64_t features = UINT64_MAX;
	char tname[32] = "";
	int waited;

	RTE_SET_USED(ctx);
	RTE_SET_USED(out);
	CB_CHECK(ev == RTE_ETH_EVENT_INTR_LSC, "event %d", ev);
	pthread_getname_np(pthread_self(), tname, sizeof(tname));
	CB_CHECK(strcmp(tname, "tvh-ctrl") != 0,
		 "delivered on lib/vhost's control thread");
	if (__atomic_load_n(&cb.slow, __ATOMIC_SEQ_CST)) {
		__atomic_store_n(&cb.entered, true, __ATOMIC_SEQ_CST);
		sleep_ms(SLOW_CB_MS);
		CB_CHECK(!__atomic_load_n(&cb.closed, __ATOMIC_SEQ_CST),
			 "callback still running after close returned");
	}
	CB_CHECK(rte_eth_link_get_nowait(port, &link) == 0, "link get");
	CB_CHECK(read_xstats(port, &features) > 0, "xstats in the callback");

	/* The pattern that deadlocked: the callback's thread waits for a
	 * thread that reads xstats (a management thread, say). */
	__atomic_store_n(&helper_done, false, __ATOMIC_SEQ_CST);
	helper_started = pthread_create(&helper, NULL, helper_main,
					(void *)(uintptr_t)port) == 0;
	CB_CHECK(helper_started, "pthread_create");
	for (waited = 0; helper_started && waited < HELPER_WAIT_MS; waited++) {
		if (__atomic_load_n(&helper_done, __ATOMIC_SEQ_CST))
			break;
		sleep_ms(1);
	}
	CB_CHECK(!helper_started ||
			 __atomic_load_n(&helper_done, __ATOMIC_SEQ_CST),
		 "xstats read by another thread did not return in %d ms: "
		 "deadlock",
		 HELPER_WAIT_MS);
	/* Joined by main (the helper may only finish once we return). */

	cb.link_seen = link.link_status;
	cb.features_seen = features;
	__atomic_fetch_add(&cb.events, 1, __ATOMIC_SEQ_CST);
	return 0;
}

/* Join the last helper (bounded: it needs nothing but the lock). */
static void
helper_join(void)
{
	struct timespec dl;

	if (!helper_started)
		return;
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += 5;
	CHECK(pthread_timedjoin_np(helper, NULL, &dl) == 0,
	      "xstats helper thread never finished");
	helper_started = false;
	CHECK(helper_result > 0, "helper's xstats read: %d", helper_result);
}

static bool
events_reached(void *arg)
{
	return __atomic_load_n(&cb.events, __ATOMIC_SEQ_CST) >=
	       *(unsigned int *)arg;
}

static void
wait_event(unsigned int n, int link_status)
{
	CHECK(mg_wait(events_reached, &n, 10000), "LSC event %u not delivered",
	      n);
	helper_join();
	CHECK(__atomic_load_n(&cb.failures, __ATOMIC_SEQ_CST) == 0,
	      "%u checks failed in the callback", cb.failures);
	CHECK(cb.link_seen == link_status, "event %u: callback saw link %d", n,
	      cb.link_seen);
}

static bool
entered(void *arg)
{
	RTE_SET_USED(arg);
	return __atomic_load_n(&cb.entered, __ATOMIC_SEQ_CST);
}

static uint16_t
host_probe(const char *name, const char *path, struct rte_mempool *mp)
{
	struct rte_eth_conf conf;
	char args[256];
	uint16_t port;

	snprintf(args, sizeof(args), "iface=%s,queues=1", path);
	CHECK(rte_vdev_init(name, args) == 0, "probe %s", name);
	CHECK(rte_eth_dev_get_port_by_name(name, &port) == 0, "port of %s",
	      name);
	CHECK(rte_eth_dev_callback_register(port, RTE_ETH_EVENT_INTR_LSC,
					    lsc_cb, NULL) == 0,
	      "LSC register");
	/* Queues configured, so xstats also read the per-queue counters that
	 * take the library's lock (kicks, discarded). */
	memset(&conf, 0, sizeof(conf));
	CHECK(rte_eth_dev_configure(port, 1, 1, &conf) == 0, "configure");
	CHECK(rte_eth_rx_queue_setup(port, 0, 256, 0, NULL, mp) == 0, "rxq");
	CHECK(rte_eth_tx_queue_setup(port, 0, 256, 0, NULL) == 0, "txq");
	CHECK(rte_eth_dev_start(port) == 0, "start");
	return port;
}

static void
host_close(const char *name, uint16_t port)
{
	CHECK(rte_eth_dev_stop(port) == 0, "stop");
	CHECK(rte_eth_dev_close(port) == 0, "close");
	CHECK(rte_vdev_uninit(name) == 0, "uninit");
}

/* Up and down twice: the callback reads xstats and waits for a thread
 * that does. */
static void
test_events(struct rte_mempool *mp)
{
	const char *path = mg_sock_path("lsc");
	unsigned int n = 0;
	uint16_t port;
	struct mg g;

	port = host_probe("net_tandem_vhost0", path, mp);
	/* Round 0 goes down by GET_VRING_BASE, round 1 by a hang-up. */
	for (int round = 0; round < 2; round++) {
		mg_init(&g);
		mg_setup(&g, path, feat, 2, 256);
		wait_event(++n, RTE_ETH_LINK_UP);
		CHECK(cb.features_seen == feat,
		      "negotiated_features 0x%llx in the callback, guest "
		      "negotiated 0x%llx",
		      (unsigned long long)cb.features_seen,
		      (unsigned long long)feat);
		if (round == 0)
			mg_vq_stop(&g, 0);
		else
			mg_fini(&g);
		wait_event(++n, RTE_ETH_LINK_DOWN);
		if (round == 0)
			mg_fini(&g); /* down already: no event */
	}
	host_close("net_tandem_vhost0", port);
	sleep_ms(50);
	CHECK(__atomic_load_n(&cb.events, __ATOMIC_SEQ_CST) == n,
	      "%u events for %u link changes", cb.events, n);
	printf("ok %u LSC events, each reading xstats on its own thread and "
	       "from a helper thread\n",
	       n);
}

/* Close while the callback of a link-down event is running. */
static void
test_close_during_event(struct rte_mempool *mp)
{
	const char *path = mg_sock_path("lsc-close");
	unsigned int n;
	uint16_t port;
	struct mg g;

	port = host_probe("net_tandem_vhost1", path, mp);
	n = __atomic_load_n(&cb.events, __ATOMIC_SEQ_CST) + 1;
	mg_init(&g);
	mg_setup(&g, path, feat, 2, 256);
	wait_event(n, RTE_ETH_LINK_UP);

	__atomic_store_n(&cb.slow, true, __ATOMIC_SEQ_CST);
	mg_fini(&g); /* hang-up: link down */
	CHECK(mg_wait(entered, NULL, 10000), "no LSC event on hang-up");
	CHECK(rte_eth_dev_stop(port) == 0, "stop");
	CHECK(rte_eth_dev_close(port) == 0, "close");
	__atomic_store_n(&cb.closed, true, __ATOMIC_SEQ_CST);
	CHECK(__atomic_load_n(&cb.events, __ATOMIC_SEQ_CST) == n + 1,
	      "close returned before the running callback finished");
	CHECK(cb.link_seen == RTE_ETH_LINK_DOWN, "callback saw link %d",
	      cb.link_seen);
	helper_join();
	CHECK(__atomic_load_n(&cb.failures, __ATOMIC_SEQ_CST) == 0,
	      "%u checks failed in the callback", cb.failures);
	CHECK(rte_vdev_uninit("net_tandem_vhost1") == 0, "uninit");
	__atomic_store_n(&cb.slow, false, __ATOMIC_SEQ_CST);
	printf("ok close waited for the LSC callback being delivered\n");
}

int
main(int argc, char **argv)
{
	char prefix[64], *eal[16];
	struct rte_mempool *mp;
	int n = 0, fds0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s <librte_net_tandem_vhost.so>\n",
			argv[0]);
		return 2;
	}
	/* Backstop: a deadlock the checks above miss still ends the test. */
	alarm(60);
	signal(SIGPIPE, SIG_IGN);
	snprintf(prefix, sizeof(prefix), "--file-prefix=h2-lsc-%d",
		 (int)getpid());
	eal[n++] = argv[0];
	eal[n++] = (char *)(uintptr_t) "-l";
	eal[n++] = (char *)(uintptr_t) "0";
	eal[n++] = (char *)(uintptr_t) "--no-huge";
	eal[n++] = (char *)(uintptr_t) "-m";
	eal[n++] = (char *)(uintptr_t) "256";
	eal[n++] = (char *)(uintptr_t) "--no-pci";
	eal[n++] = prefix;
	eal[n++] = (char *)(uintptr_t) "-d";
	eal[n++] = argv[1];
	eal[n++] = (char *)(uintptr_t) "--log-level=lib.*:error";
	eal[n++] = (char *)(uintptr_t) "--log-level=pmd.net.tandem_vhost.*:"
				       "error";
	CHECK(rte_eal_init(n, eal) >= 0, "EAL init");
	mp = rte_pktmbuf_pool_create("h2lsc", NB_MBUF, 0, 0,
				     RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	CHECK(mp != NULL, "mempool");

	fds0 = mg_count_fds();
	test_events(mp);
	test_close_during_event(mp);
	CHECK(mg_count_fds() == fds0, "fd leak: %d -> %d", fds0,
	      mg_count_fds());
	CHECK(rte_mempool_avail_count(mp) == NB_MBUF, "mbufs: %u of %u back",
	      rte_mempool_avail_count(mp), NB_MBUF);
	rte_mempool_free(mp);
	rte_eal_cleanup();
	printf("PASSED\n");
	return 0;
}
