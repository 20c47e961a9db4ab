/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * test_tv_features.c - net_tandem_virtio's negotiated_features xstat.
 *
 * One process: net_tandem_virtio (server=1, loaded with -d) and the stock
 * net_vhost as its back-end (client=1). For several devarg combinations
 * the xstat must be 0 before the back-end attaches, then hold exactly the
 * bits asked for (VERSION_1 always, MRG_RXBUF, IN_ORDER, EVENT_IDX as the
 * devargs say, MQ iff queues > 1), survive an xstats and a stats reset,
 * and fall back to 0 once the back-end is gone. File descriptors must not
 * leak over the whole run. Before the cases, without a back-end: queue
 * setup's rxconf/txconf checks, ring sizes rounded to powers of two, the
 * rxq/txq info, and MTUs whose frames do not fit the mbufs without the
 * scatter offload. After them: a port closed while the application's
 * callback still handles the link-down event of a back-end hang-up, and
 * a port closed from the callback of the link-up event a back-end's
 * connection (server mode) gave, and a back-end that connects while the
 * process has no fd to accept it with. At the end every mbuf is back in
 * the pool.
 *
 * usage: test_tv_features <librte_net_tandem_virtio.so>
 * Exit 0 on success, 1 on failure. Never skipped: EAL runs without
 * hugepages, and the stock net_vhost comes with the DPDK this is built
 * against (Debian's dpdk package), so neither missing is a reason.
 */
#include <errno.h>
#include <inttypes.h>
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

#include "../common/tt_cpu.h"
#include "../common/tt_eal.h"
#include "tv_vring.h"
#include "tvu.h"

#define XSTAT "negotiated_features"

struct tcase {
	bool mrg_rxbuf;
	bool in_order;
	bool event_idx;
	bool packed_vq;
	uint16_t queues;
};

static const struct tcase cases[] = {
	{true, true, true, false, 1},	{false, false, true, false, 2},
	{true, false, false, false, 2}, {false, true, false, false, 1},
	{true, true, true, true, 1},	{false, false, false, true, 2},
};

/* The xstat by name; it must exist exactly once. */
static int
read_features(uint16_t port, uint64_t *val)
{
	struct rte_eth_xstat_name *names;
	struct rte_eth_xstat *xs;
	int n = rte_eth_xstats_get_names(port, NULL, 0), i, found = -1, hits;

	if (n <= 0)
		return -1;
	names = calloc((size_t)n, sizeof(*names));
	xs = calloc((size_t)n, sizeof(*xs));
	if (names == NULL || xs == NULL ||
	    rte_eth_xstats_get_names(port, names, (unsigned int)n) != n ||
	    rte_eth_xstats_get(port, xs, (unsigned int)n) != n) {
		free(names);
		free(xs);
		return -1;
	}
	for (i = 0, hits = 0; i < n; i++)
		if (strcmp(names[i].name, XSTAT) == 0) {
			found = i;
			hits++;
		}
	if (hits == 1)
		*val = xs[found].value;
	free(names);
	free(xs);
	return hits == 1 ? 0 : -1;
}

/* Wait until the xstat is (want_zero ? 0 : non-zero); returns its value. */
static uint64_t
wait_features(uint16_t port, bool want_zero)
{
	uint64_t deadline = rte_get_timer_cycles() + 10 * rte_get_timer_hz();
	uint64_t v = UINT64_MAX;

	do {
		if (read_features(port, &v) != 0)
			return UINT64_MAX;
		if ((v == 0) == want_zero)
			break;
		usleep(10000);
	} while (rte_get_timer_cycles() < deadline);
	return v;
}

static int
port_up(uint16_t port, uint16_t nq, struct rte_mempool *mp)
{
	struct rte_eth_dev_info info;
	struct rte_eth_conf conf;
	uint16_t q;

	memset(&conf, 0, sizeof(conf));
	/* Link events by interrupt where the driver has them (both do). */
	if (rte_eth_dev_info_get(port, &info) == 0 &&
	    (*info.dev_flags & RTE_ETH_DEV_INTR_LSC))
		conf.intr_conf.lsc = 1;
	if (rte_eth_dev_configure(port, nq, nq, &conf) != 0)
		return -1;
	for (q = 0; q < nq; q++)
		if (rte_eth_rx_queue_setup(port, q, 256, SOCKET_ID_ANY, NULL,
					   mp) != 0 ||
		    rte_eth_tx_queue_setup(port, q, 256, SOCKET_ID_ANY, NULL) !=
			    0)
			return -1;
	return rte_eth_dev_start(port);
}

static void
check_bit(uint64_t f, unsigned int bit, bool want, const char *name,
	  unsigned int ci)
{
	CHECK(tv_has_feature(f, bit) == want,
	      "case %u: %s is %s in negotiated_features 0x%" PRIx64
	      ", expected %s",
	      ci, name, tv_has_feature(f, bit) ? "on" : "off", f,
	      want ? "on" : "off");
}

static int
run_case(unsigned int ci, const char *dir, struct rte_mempool *mp)
{
	const struct tcase *c = &cases[ci];
	char sock[256], args[400], gname[64], hname[64];
	uint16_t gport, hport;
	uint64_t f, f2;
	int rc;

	snprintf(sock, sizeof(sock), "%s/c%u.sock", dir, ci);
	snprintf(gname, sizeof(gname), "net_tandem_virtio%u", ci);
	snprintf(hname, sizeof(hname), "net_vhost%u", ci);
	snprintf(args, sizeof(args),
		 "path=%s,server=1,queues=%u,mrg_rxbuf=%d,in_order=%d,"
		 "event_idx=%d,packed_vq=%d",
		 sock, c->queues, c->mrg_rxbuf, c->in_order, c->event_idx,
		 c->packed_vq);
	if (rte_vdev_init(gname, args) != 0 ||
	    rte_eth_dev_get_port_by_name(gname, &gport) != 0) {
		fprintf(stderr, "case %u: cannot create %s,%s\n", ci, gname,
			args);
		return -1;
	}
	CHECK(read_features(gport, &f) == 0 && f == 0,
	      "case %u: negotiated_features missing or not 0 before a "
	      "back-end attached",
	      ci);

	snprintf(args, sizeof(args), "iface=%s,client=1,queues=%u", sock,
		 c->queues);
	rc = rte_vdev_init(hname, args);
	if (rc != 0 || rte_eth_dev_get_port_by_name(hname, &hport) != 0) {
		/* DPDK 22.11 answers -1 both when no driver matches and
		 * when its probe fails: either is a broken installation. */
		fprintf(stderr, "case %u: cannot create stock %s,%s (%d)\n", ci,
			hname, args, rc);
		rte_eth_dev_close(gport);
		rte_vdev_uninit(gname);
		unlink(sock);
		return -1;
	}
	CHECK(port_up(hport, c->queues, mp) == 0,
	      "case %u: host port setup failed", ci);
	CHECK(port_up(gport, c->queues, mp) == 0,
	      "case %u: guest port setup failed", ci);

	f = wait_features(gport, false);
	printf("case %u: mrg_rxbuf=%d in_order=%d event_idx=%d packed_vq=%d "
	       "queues=%u: negotiated_features 0x%" PRIx64 "\n",
	       ci, c->mrg_rxbuf, c->in_order, c->event_idx, c->packed_vq,
	       c->queues, f);
	CHECK(f != UINT64_MAX && f != 0,
	      "case %u: negotiated_features stays 0 with a back-end", ci);
	if (f != UINT64_MAX && f != 0) {
		check_bit(f, TV_F_VERSION_1, true, "VERSION_1", ci);
		check_bit(f, TV_NET_F_MRG_RXBUF, c->mrg_rxbuf, "MRG_RXBUF", ci);
		check_bit(f, TV_F_IN_ORDER, c->in_order, "IN_ORDER", ci);
		check_bit(f, TV_F_RING_EVENT_IDX, c->event_idx, "EVENT_IDX",
			  ci);
		check_bit(f, TV_NET_F_MQ, c->queues > 1, "MQ", ci);
		check_bit(f, TV_F_RING_PACKED, c->packed_vq, "RING_PACKED", ci);
	}

	/* Not a counter: neither reset may touch it. */
	CHECK(rte_eth_xstats_reset(gport) == 0, "case %u: xstats_reset", ci);
	CHECK(read_features(gport, &f2) == 0 && f2 == f,
	      "case %u: negotiated_features changed by xstats_reset", ci);
	CHECK(rte_eth_stats_reset(gport) == 0, "case %u: stats_reset", ci);
	CHECK(read_features(gport, &f2) == 0 && f2 == f,
	      "case %u: negotiated_features changed by stats_reset", ci);

	/* The back-end goes away: no features are negotiated any more. */
	rte_eth_dev_stop(hport);
	rte_eth_dev_close(hport);
	rte_vdev_uninit(hname);
	f2 = wait_features(gport, true);
	CHECK(f2 == 0,
	      "case %u: negotiated_features 0x%" PRIx64
	      " after the back-end left",
	      ci, f2);

	rte_eth_dev_stop(gport);
	rte_eth_dev_close(gport);
	rte_vdev_uninit(gname);
	unlink(sock);
	return 0;
}

/* MTU against mbuf size on a port with queues set up (mp: 2 KiB of data
 * room after the headroom): without the scatter offload frames must fit
 * one mbuf, at start and at mtu_set; with it any MTU up to max_mtu. */
static void
check_mtu_room(uint16_t port, struct rte_mempool *mp)
{
	const uint16_t room =
		rte_pktmbuf_data_room_size(mp) - RTE_PKTMBUF_HEADROOM;
	/* The largest MTU whose VLAN-tagged frames fit. */
	const uint16_t fit = room - RTE_ETHER_HDR_LEN - RTE_VLAN_HLEN;
	struct rte_eth_conf conf;
	uint16_t mtu = 0;

	memset(&conf, 0, sizeof(conf));
	conf.rxmode.mtu = 9000;
	CHECK(rte_eth_dev_configure(port, 1, 1, &conf) == 0,
	      "configure with MTU 9000");
	CHECK(rte_eth_dev_start(port) == -EINVAL,
	      "start with MTU 9000, %u-byte mbufs and no scatter accepted",
	      room);
	CHECK(rte_eth_dev_set_mtu(port, (uint16_t)(fit + 1)) == -EINVAL,
	      "mtu_set %u (a %u-byte frame in %u-byte mbufs) accepted", fit + 1,
	      fit + 1 + RTE_ETHER_HDR_LEN + RTE_VLAN_HLEN, room);
	CHECK(rte_eth_dev_set_mtu(port, fit) == 0, "mtu_set %u refused", fit);
	CHECK(rte_eth_dev_start(port) == 0, "start with MTU %u", fit);
	CHECK(rte_eth_dev_set_mtu(port, 9000) == -EINVAL,
	      "mtu_set 9000 on the started port accepted");
	CHECK(rte_eth_dev_get_mtu(port, &mtu) == 0 && mtu == fit,
	      "MTU %u after a refused mtu_set, want %u", mtu, fit);
	CHECK(rte_eth_dev_stop(port) == 0, "stop");

	conf.rxmode.offloads = RTE_ETH_RX_OFFLOAD_SCATTER;
	CHECK(rte_eth_dev_configure(port, 1, 1, &conf) == 0,
	      "configure with MTU 9000 and scatter");
	CHECK(rte_eth_dev_start(port) == 0, "start with MTU 9000 and scatter");
	CHECK(rte_eth_dev_stop(port) == 0, "stop");
}

/* The application's LSC callback: on the guest port's link-down event it
 * stays busy for LSC_SLOW_MS, then looks whether the port was closed
 * meanwhile (it must not have been: close waits for an event being
 * delivered). Registered for every port; fields are seq_cst atomics. */
#define LSC_SLOW_MS 200
static struct {
	uint16_t port;
	bool armed;	  /* main: slow down the next link-down event */
	bool entered;	  /* the callback began a slow round */
	bool closed;	  /* main: rte_eth_dev_close() returned */
	bool finished;	  /* the callback ended its slow round */
	bool closed_seen; /* it found `closed` at its end */
} lsc;

static int
lsc_cb(uint16_t port, enum rte_eth_event_type ev, void *ctx, void *out)
{
	struct rte_eth_link link;

	RTE_SET_USED(ev);
	RTE_SET_USED(ctx);
	RTE_SET_USED(out);
	if (port != __atomic_load_n(&lsc.port, __ATOMIC_SEQ_CST) ||
	    !__atomic_load_n(&lsc.armed, __ATOMIC_SEQ_CST))
		return 0;
	if (rte_eth_link_get_nowait(port, &link) != 0 ||
	    link.link_status != RTE_ETH_LINK_DOWN)
		return 0;
	__atomic_store_n(&lsc.armed, false, __ATOMIC_SEQ_CST);
	__atomic_store_n(&lsc.entered, true, __ATOMIC_SEQ_CST);
	rte_delay_ms(LSC_SLOW_MS);
	__atomic_store_n(&lsc.closed_seen,
			 __atomic_load_n(&lsc.closed, __ATOMIC_SEQ_CST),
			 __ATOMIC_SEQ_CST);
	__atomic_store_n(&lsc.finished, true, __ATOMIC_SEQ_CST);
	return 0;
}

/* Wait up to 10 s for *flag. */
static bool
wait_flag(const bool *flag)
{
	for (int i = 0; i < 1000; i++) {
		if (__atomic_load_n(flag, __ATOMIC_SEQ_CST))
			return true;
		usleep(10000);
	}
	return false;
}

/* The back-end hangs up while the port runs; the application closes the
 * port while its callback is still handling the link-down event. close
 * must not return before the callback did (the event reads the port's
 * private data, which close frees). */
static void
check_lsc_close(const char *dir, struct rte_mempool *mp)
{
	const char *gname = "net_tandem_virtio_lsc";
	const char *hname = "net_vhost_lsc";
	struct rte_eth_link link;
	char sock[256], args[400];
	uint16_t gport, hport;
	int i;

	snprintf(sock, sizeof(sock), "%s/lsc.sock", dir);
	snprintf(args, sizeof(args), "path=%s,server=1", sock);
	if (rte_vdev_init(gname, args) != 0 ||
	    rte_eth_dev_get_port_by_name(gname, &gport) != 0) {
		CHECK(false, "cannot create %s,%s", gname, args);
		return;
	}
	snprintf(args, sizeof(args), "iface=%s,client=1", sock);
	if (rte_vdev_init(hname, args) != 0 ||
	    rte_eth_dev_get_port_by_name(hname, &hport) != 0) {
		CHECK(false, "cannot create stock %s", hname);
		rte_eth_dev_close(gport);
		rte_vdev_uninit(gname);
		return;
	}
	__atomic_store_n(&lsc.port, gport, __ATOMIC_SEQ_CST);
	CHECK(rte_eth_dev_callback_register(RTE_ETH_ALL, RTE_ETH_EVENT_INTR_LSC,
					    lsc_cb, NULL) == 0,
	      "LSC callback register");
	CHECK(port_up(hport, 1, mp) == 0, "lsc: host port setup failed");
	CHECK(port_up(gport, 1, mp) == 0, "lsc: guest port setup failed");
	for (i = 0; i < 1000; i++) {
		if (rte_eth_link_get_nowait(gport, &link) == 0 &&
		    link.link_status == RTE_ETH_LINK_UP)
			break;
		usleep(10000);
	}
	CHECK(link.link_status == RTE_ETH_LINK_UP, "lsc: guest link not up");

	__atomic_store_n(&lsc.armed, true, __ATOMIC_SEQ_CST);
	rte_eth_dev_stop(hport);
	rte_eth_dev_close(hport);
	rte_vdev_uninit(hname);
	CHECK(wait_flag(&lsc.entered),
	      "lsc: no link-down event after the back-end left");
	CHECK(rte_eth_dev_stop(gport) == 0, "lsc: guest stop");
	CHECK(rte_eth_dev_close(gport) == 0, "lsc: guest close");
	__atomic_store_n(&lsc.closed, true, __ATOMIC_SEQ_CST);
	CHECK(wait_flag(&lsc.finished), "lsc: the callback never finished");
	CHECK(!__atomic_load_n(&lsc.closed_seen, __ATOMIC_SEQ_CST),
	      "lsc: rte_eth_dev_close() returned while the link-down event "
	      "was still being delivered");
	rte_vdev_uninit(gname);
	CHECK(rte_eth_dev_callback_unregister(
		      RTE_ETH_ALL, RTE_ETH_EVENT_INTR_LSC, lsc_cb, NULL) == 0,
	      "LSC callback unregister");
	unlink(sock);
}

/* Closes the port from the LSC callback of its link-up event. */
static struct {
	uint16_t port;
	bool armed; /* main: close on the next link-up event */
	int rc;	    /* the close's return, once closed is set */
	bool closed;
} lsc_up;

static int
lsc_up_cb(uint16_t port, enum rte_eth_event_type ev, void *ctx, void *out)
{
	struct rte_eth_link link;

	RTE_SET_USED(ev);
	RTE_SET_USED(ctx);
	RTE_SET_USED(out);
	if (port != __atomic_load_n(&lsc_up.port, __ATOMIC_SEQ_CST) ||
	    !__atomic_load_n(&lsc_up.armed, __ATOMIC_SEQ_CST) ||
	    rte_eth_link_get_nowait(port, &link) != 0 ||
	    link.link_status != RTE_ETH_LINK_UP)
		return 0;
	__atomic_store_n(&lsc_up.armed, false, __ATOMIC_SEQ_CST);
	rte_eth_dev_stop(port);
	__atomic_store_n(&lsc_up.rc, rte_eth_dev_close(port), __ATOMIC_SEQ_CST);
	__atomic_store_n(&lsc_up.closed, true, __ATOMIC_SEQ_CST);
	return 0;
}

/* A started server-mode port, then a back-end connects: the application
 * closes the port from the link-up event's callback. That event must not
 * come from the listen socket's own callback, whose unregistration close
 * waits for (it spun for ever there). */
static void
check_lsc_close_on_up(const char *dir, struct rte_mempool *mp)
{
	const char *gname = "net_tandem_virtio_lscup";
	const char *hname = "net_vhost_lscup";
	char sock[256], args[400];
	uint16_t gport, hport;

	snprintf(sock, sizeof(sock), "%s/lscup.sock", dir);
	snprintf(args, sizeof(args), "path=%s,server=1", sock);
	if (rte_vdev_init(gname, args) != 0 ||
	    rte_eth_dev_get_port_by_name(gname, &gport) != 0) {
		CHECK(false, "cannot create %s,%s", gname, args);
		return;
	}
	__atomic_store_n(&lsc_up.port, gport, __ATOMIC_SEQ_CST);
	CHECK(rte_eth_dev_callback_register(RTE_ETH_ALL, RTE_ETH_EVENT_INTR_LSC,
					    lsc_up_cb, NULL) == 0,
	      "LSC callback register");
	CHECK(port_up(gport, 1, mp) == 0, "lsc-up: guest port setup failed");
	__atomic_store_n(&lsc_up.armed, true, __ATOMIC_SEQ_CST);
	snprintf(args, sizeof(args), "iface=%s,client=1", sock);
	if (rte_vdev_init(hname, args) != 0 ||
	    rte_eth_dev_get_port_by_name(hname, &hport) != 0) {
		CHECK(false, "cannot create stock %s", hname);
		return;
	}
	CHECK(port_up(hport, 1, mp) == 0, "lsc-up: host port setup failed");
	CHECK(wait_flag(&lsc_up.closed),
	      "lsc-up: the guest port was not closed from its link-up "
	      "callback within 10 s");
	CHECK(__atomic_load_n(&lsc_up.rc, __ATOMIC_SEQ_CST) == 0,
	      "lsc-up: close from the callback gave %d",
	      __atomic_load_n(&lsc_up.rc, __ATOMIC_SEQ_CST));
	rte_eth_dev_stop(hport);
	rte_eth_dev_close(hport);
	rte_vdev_uninit(hname);
	rte_vdev_uninit(gname);
	CHECK(rte_eth_dev_callback_unregister(RTE_ETH_ALL,
					      RTE_ETH_EVENT_INTR_LSC, lsc_up_cb,
					      NULL) == 0,
	      "LSC callback unregister");
	unlink(sock);
}

/* Queue setup honours rx_free_thresh and refuses what the driver cannot
 * do (a threshold beyond the ring, deferred start); rxq/txq info report
 * what was set up. No back-end needed. */
static void
check_queue_conf(const char *dir, struct rte_mempool *mp)
{
	const char *gname = "net_tandem_virtio_qconf";
	struct rte_eth_rxconf rxc;
	struct rte_eth_txconf txc;
	struct rte_eth_rxq_info ri;
	struct rte_eth_txq_info ti;
	struct rte_eth_conf conf;
	char args[300];
	uint16_t port;

	snprintf(args, sizeof(args), "path=%s/qconf.sock,server=1", dir);
	if (rte_vdev_init(gname, args) != 0 ||
	    rte_eth_dev_get_port_by_name(gname, &port) != 0) {
		CHECK(false, "cannot create %s,%s", gname, args);
		return;
	}
	memset(&conf, 0, sizeof(conf));
	CHECK(rte_eth_dev_configure(port, 1, 1, &conf) == 0, "configure");

	memset(&rxc, 0, sizeof(rxc));
	rxc.rx_free_thresh = 256;
	CHECK(rte_eth_rx_queue_setup(port, 0, 256, SOCKET_ID_ANY, &rxc, mp) ==
		      -EINVAL,
	      "rx_free_thresh 256 of 256 descriptors accepted");
	rxc.rx_free_thresh = 0;
	rxc.rx_deferred_start = 1;
	CHECK(rte_eth_rx_queue_setup(port, 0, 256, SOCKET_ID_ANY, &rxc, mp) ==
		      -EINVAL,
	      "rx_deferred_start accepted");
	memset(&txc, 0, sizeof(txc));
	txc.tx_deferred_start = 1;
	CHECK(rte_eth_tx_queue_setup(port, 0, 256, SOCKET_ID_ANY, &txc) ==
		      -EINVAL,
	      "tx_deferred_start accepted");

	/* The default (no rxconf): 32. */
	CHECK(rte_eth_rx_queue_setup(port, 0, 256, SOCKET_ID_ANY, NULL, mp) ==
		      0,
	      "rx queue setup with the default rxconf");
	memset(&ri, 0, sizeof(ri));
	CHECK(rte_eth_rx_queue_info_get(port, 0, &ri) == 0 && ri.mp == mp &&
		      ri.nb_desc == 256 && ri.conf.rx_free_thresh == 32 &&
		      ri.rx_buf_size == RTE_MBUF_DEFAULT_DATAROOM,
	      "rxq info: mp %p nb_desc %u rx_free_thresh %u rx_buf_size %u",
	      (void *)ri.mp, ri.nb_desc, ri.conf.rx_free_thresh,
	      ri.rx_buf_size);
	/* The application's value, up to the ring less one (before the
	 * start: tv_rxq_reset may lower it for mergeable buffers). */
	rxc.rx_deferred_start = 0;
	for (unsigned int k = 0; k < 2; k++) {
		const uint16_t set[] = {255, 8};

		rxc.rx_free_thresh = set[k];
		CHECK(rte_eth_rx_queue_setup(port, 0, 256, SOCKET_ID_ANY, &rxc,
					     mp) == 0,
		      "rx_free_thresh %u of 256 refused", set[k]);
		memset(&ri, 0, sizeof(ri));
		CHECK(rte_eth_rx_queue_info_get(port, 0, &ri) == 0 &&
			      ri.conf.rx_free_thresh == set[k],
		      "rxq info: rx_free_thresh %u, set %u",
		      ri.conf.rx_free_thresh, set[k]);
	}
	/* PMD power management's monitor mode reaches the driver through
	 * ethdev (the words and callbacks: test_tv_rings, test_tv_packed_rx):
	 * nothing received yet, so the lcore may sleep. */
	{
		struct rte_power_monitor_cond pmc;

		memset(&pmc, 0, sizeof(pmc));
		CHECK(rte_eth_get_monitor_addr(port, 0, &pmc) == 0 &&
			      pmc.addr != NULL && pmc.size == 2 &&
			      pmc.fn != NULL &&
			      pmc.fn(*(const volatile uint16_t *)pmc.addr,
				     pmc.opaque) == 0,
		      "rte_eth_get_monitor_addr: addr %p size %u",
		      (void *)(uintptr_t)pmc.addr, pmc.size);
	}
	txc.tx_deferred_start = 0;
	CHECK(rte_eth_tx_queue_setup(port, 0, 128, SOCKET_ID_ANY, &txc) == 0,
	      "tx queue setup");
	memset(&ti, 0, sizeof(ti));
	CHECK(rte_eth_tx_queue_info_get(port, 0, &ti) == 0 && ti.nb_desc == 128,
	      "txq info: nb_desc %u, set 128", ti.nb_desc);

	/* The smallest data room dev_infos allows (min_rx_bufsize is what
	 * comes after the headroom) is taken, one byte less refused. */
	for (unsigned int k = 0; k < 2; k++) {
		const uint16_t room = RTE_PKTMBUF_HEADROOM + 64 - k;
		struct rte_mempool *small = rte_pktmbuf_pool_create(
			k ? "feat_small1" : "feat_small0", 511, 0, 0, room,
			SOCKET_ID_ANY);

		CHECK(small != NULL, "pool with data room %u", room);
		if (small == NULL)
			continue;
		CHECK((rte_eth_rx_queue_setup(port, 0, 128, SOCKET_ID_ANY, NULL,
					      small) == 0) == (k == 0),
		      "rx queue setup with data room %u %s", room,
		      k ? "accepted" : "refused");
		/* Replaced (ethdev releases the old queue first): the small
		 * pool is no longer referenced. */
		CHECK(rte_eth_rx_queue_setup(port, 0, 128, SOCKET_ID_ANY, NULL,
					     mp) == 0,
		      "rx queue setup");
		CHECK(rte_mempool_avail_count(small) == small->size,
		      "mbufs of the small pool missing");
		rte_mempool_free(small);
	}

	/* Not a power of two: rounded up (dev_infos says any count). */
	CHECK(rte_eth_tx_queue_setup(port, 0, 1000, SOCKET_ID_ANY, &txc) == 0,
	      "tx queue setup with 1000 descriptors");
	memset(&ti, 0, sizeof(ti));
	CHECK(rte_eth_tx_queue_info_get(port, 0, &ti) == 0 &&
		      ti.nb_desc == 1024,
	      "txq info: nb_desc %u, set 1000 (want 1024)", ti.nb_desc);
	rxc.rx_free_thresh = 0;
	CHECK(rte_eth_rx_queue_setup(port, 0, 100, SOCKET_ID_ANY, &rxc, mp) ==
		      0,
	      "rx queue setup with 100 descriptors");
	memset(&ri, 0, sizeof(ri));
	CHECK(rte_eth_rx_queue_info_get(port, 0, &ri) == 0 && ri.nb_desc == 128,
	      "rxq info: nb_desc %u, set 100 (want 128)", ri.nb_desc);
	check_mtu_room(port, mp);

	rte_eth_dev_close(port);
	rte_vdev_uninit(gname);
	CHECK(rte_mempool_avail_count(mp) == mp->size,
	      "mbufs missing after the queue checks: %u of %u in the pool",
	      rte_mempool_avail_count(mp), mp->size);
}

/* Server mode: a back-end connects while the process has no fd left
 * (RLIMIT_NOFILE at the lowest free fd), so accept fails with EMFILE and
 * the connection stays queued. The interrupt thread must not spin on the
 * listen socket meanwhile (before: a core at 100%, without a word), and
 * the connection must be taken (SET_OWNER comes) once fds are back. */
static void
check_accept_emfile(const char *dir)
{
	const char *gname = "net_tandem_virtio_emfile";
	char path[256], args[300];
	struct tt_starve sv;
	struct tvu_msg msg;
	int rc;

	snprintf(path, sizeof(path), "%s/emfile.sock", dir);
	snprintf(args, sizeof(args), "path=%s,server=1", path);
	if (rte_vdev_init(gname, args) != 0) {
		CHECK(false, "cannot create %s,%s", gname, args);
		return;
	}
	rc = tt_starve_begin(&sv, path);
	if (rc != 0) {
		CHECK(false, "emfile: set-up failed: %s", strerror(-rc));
		rte_vdev_uninit(gname);
		return;
	}
	CHECK(tt_starve_end(&sv) == 0, "setrlimit back");
	CHECK(sv.connect_err == 0, "emfile: connect: %s",
	      strerror(sv.connect_err));
	CHECK(sv.cpu < 0.3,
	      "emfile: %.2f s of CPU in 1 s while accept had no fd", sv.cpu);
	/* Taken within a second of the limit being raised: the first
	 * request of a negotiation comes. */
	rc = tvu_recv(sv.sock, &msg);
	CHECK(rc == 0 && msg.request == TVU_SET_OWNER,
	      "emfile: no SET_OWNER once fds were back (%d, request %u)", rc,
	      rc == 0 ? msg.request : 0);
	if (rc == 0)
		tvu_msg_close_fds(&msg);
	printf("ok accept without an fd: %.3f s of CPU in 1 s, the back-end "
	       "taken once the limit was raised\n",
	       sv.cpu);
	close(sv.sock);
	rte_vdev_uninit(gname);
}

int
main(int argc, char **argv)
{
	char dir[] = "/tmp/tv-features-XXXXXX";
	struct rte_mempool *mp;
	int fds_before = 0, fds_after;
	unsigned int i;

	if (tt_start(argc, argv, 1, "<librte_net_tandem_virtio.so>", "tvfeat",
		     dir) != 0)
		return 1;
	mp = rte_pktmbuf_pool_create("feat", 4095, 256, 0,
				     RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (mp == NULL) {
		/* Counted: the exit code comes from `failures` alone. */
		CHECK(false, "no mempool");
		return tt_end(dir, NULL, 0, 0);
	}
	fds_before = tt_count_fds();
	check_queue_conf(dir, mp);
	fds_after = tt_count_fds();
	/* EAL's threads may close one of their own meanwhile: fewer is
	 * fine, more is a leak. */
	CHECK(fds_after >= 0 && fds_after <= fds_before,
	      "fds leaked by the queue checks: %d open before, %d after",
	      fds_before, fds_after);
	for (i = 0; i < RTE_DIM(cases); i++) {
		/* After the first case: the vhost library and the interrupt
		 * thread have opened what they keep for the process. */
		if (i == 1)
			fds_before = tt_count_fds();
		if (run_case(i, dir, mp) != 0) {
			failures++;
			break;
		}
	}
	check_lsc_close(dir, mp);
	check_lsc_close_on_up(dir, mp);
	check_accept_emfile(dir);
	return tt_end(dir, mp, fds_before, RTE_DIM(cases));
}
