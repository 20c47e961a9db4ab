/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * tvhp_test.c - net_tandem_vhost in one process with the stock
 * net_virtio_user as its guest.
 *
 * Usage: tvhp_test <plugin.so> <queue pairs> [extra net_virtio_user devargs]
 *
 * Checks: devargs errors are refused naming the argument; the features
 * negotiated are those the guest args ask for (packed rings included);
 * packets flow both ways on every queue
 * with their bytes and lengths intact (also a multi-segment jumbo frame
 * from the guest and a 2-segment mbuf to it); the packet and byte
 * counters of every queue match what was sent on it; a full guest ring
 * leaves unsent mbufs with the caller and counts no_room; a stopped port
 * moves nothing and loses nothing; link events on guest attach/detach; a
 * guest restart brings traffic back; QUEUE_STATE events and
 * rte_eth_tandem_vhost_get_queue_event report every virtqueue enabled when
 * the guest comes and disabled when it goes, and refuse ports that are not
 * net_tandem_vhost's; after close every mbuf is back in
 * its pool and no fd leaked. Exit 77 (skip) when the stock virtio_user is
 * unavailable.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ethdev_driver.h>
#include <rte_bus_vdev.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_log.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "tvhp_qev.h"
#include "tv_vring.h"
#include "tvhp_tc.h"

#define N_PKTS	  64
#define JUMBO_LEN 9000
#define SEG_LEN	  1800
#define BURST	  32
/* Queue pairs the test takes (the PMD's queues= maximum). */
#define MAX_QP 128

/* What went through one queue in one direction. */
struct q_count {
	uint64_t packets;
	uint64_t bytes;
};

static uint16_t nq = 1;
static const char *guest_extra = "";
static unsigned int lsc_events;
static unsigned int qs_events; /* RTE_ETH_EVENT_QUEUE_STATE callbacks */
/* The plugin's exported call, looked up in the loaded plugin. */
static tvhp_get_queue_event_t get_queue_event;

/* ---- devargs ---- */

static char *log_buf;
static size_t log_len;

/* Probe `args` and expect failure with `msg` in the log. */
static void
expect_refused(const char *args, const char *msg)
{
	FILE *f = open_memstream(&log_buf, &log_len);
	int ret;

	rte_openlog_stream(f);
	ret = rte_vdev_init("net_tandem_vhost9", args);
	fflush(f);
	rte_openlog_stream(NULL);
	CHECK(ret < 0, "args \"%s\" accepted", args);
	CHECK(log_len > 0 && strstr(log_buf, msg) != NULL,
	      "args \"%s\": log lacks \"%s\": %s", args, msg,
	      log_buf ? log_buf : "");
	fclose(f);
	free(log_buf);
	log_buf = NULL;
	if (ret == 0)
		rte_vdev_uninit("net_tandem_vhost9");
}

static void
test_devargs(void)
{
	char args[256];
	struct stat st;
	uint16_t port;

	expect_refused("", "iface=<socket path> is required");
	expect_refused("queues=1", "iface=<socket path> is required");
	snprintf(args, sizeof(args), "iface=%s,bogus=1", tc_sock_path);
	expect_refused(args, "unknown devarg \"bogus\"");
	snprintf(args, sizeof(args), "iface=%s,queues=0", tc_sock_path);
	expect_refused(args, "queues=0 is not a number");
	snprintf(args, sizeof(args), "iface=%s,queues=129", tc_sock_path);
	expect_refused(args, "queues=129");
	snprintf(args, sizeof(args), "iface=%s,queues=1x", tc_sock_path);
	expect_refused(args, "queues=1x");
	snprintf(args, sizeof(args), "iface=%s,client=2", tc_sock_path);
	expect_refused(args, "client=2 is not 0 or 1");
	snprintf(args, sizeof(args), "iface=%s,tso=1", tc_sock_path);
	expect_refused(args, "tso=1 is not supported yet");
	snprintf(args, sizeof(args), "iface=%s,linear-buffer=1", tc_sock_path);
	expect_refused(args, "linear-buffer=1 is not supported yet");
	snprintf(args, sizeof(args), "iface=%s,iface=%s", tc_sock_path,
		 tc_sock_path);
	expect_refused(args, "\"iface\" is given more than once");
	snprintf(args, sizeof(args), "iface=%s,queues", tc_sock_path);
	expect_refused(args, "\"queues\"");

	/* The stock defaults are accepted; the socket exists from probe on
	 * and is gone after close. */
	snprintf(args, sizeof(args),
		 "iface=%s,queues=2,client=0,tso=0,linear-buffer=0,"
		 "ext-buffer=0,iommu-support=0,postcopy-support=0",
		 tc_sock_path);
	CHECK(rte_vdev_init("net_tandem_vhost9", args) == 0, "valid args");
	CHECK(stat(tc_sock_path, &st) == 0 && S_ISSOCK(st.st_mode),
	      "no socket at %s after probe", tc_sock_path);
	CHECK(rte_eth_dev_get_port_by_name("net_tandem_vhost9", &port) == 0,
	      "no port");
	CHECK(rte_vdev_uninit("net_tandem_vhost9") == 0, "uninit");
	CHECK(rte_eth_dev_get_port_by_name("net_tandem_vhost9", &port) != 0,
	      "port still there after uninit");
	CHECK(stat(tc_sock_path, &st) != 0, "socket left after close");
}

/* ---- traffic ---- */

static uint8_t
pattern(uint32_t seed, uint32_t off)
{
	return (uint8_t)(seed * 31 + off * 7 + (off >> 8));
}

/* A packet of `len` bytes made of segments of at most `seg` bytes. */
static struct rte_mbuf *
make_pkt(struct rte_mempool *mp, uint32_t seed, uint32_t len, uint32_t seg)
{
	struct rte_mbuf *head = NULL, *m;
	uint32_t off = 0, i, n;

	while (off < len) {
		m = rte_pktmbuf_alloc(mp);
		if (m == NULL) {
			rte_pktmbuf_free(head);
			return NULL;
		}
		n = RTE_MIN(seg, len - off);
		for (i = 0; i < n; i++)
			rte_pktmbuf_mtod(m, uint8_t *)[i] =
				pattern(seed, off + i);
		m->data_len = (uint16_t)n;
		m->pkt_len = n;
		if (head == NULL)
			head = m;
		else if (rte_pktmbuf_chain(head, m) != 0) {
			rte_pktmbuf_free(m);
			rte_pktmbuf_free(head);
			return NULL;
		}
		off += n;
	}
	return head;
}

static bool
pkt_ok(const struct rte_mbuf *m, uint32_t seed, uint32_t len)
{
	uint32_t off = 0, i;

	if (m->pkt_len != len)
		return false;
	for (; m != NULL; m = m->next) {
		for (i = 0; i < m->data_len; i++)
			if (rte_pktmbuf_mtod(m, const uint8_t *)[i] !=
			    pattern(seed, off + i))
				return false;
		off += m->data_len;
	}
	return off == len;
}

static uint32_t
len_of(uint32_t i)
{
	return 60 + (i * 37) % 1455;
}

/* Send all of pkts on (port, q); returns how many went. */
static uint16_t
send_all(uint16_t port, uint16_t q, struct rte_mbuf **pkts, uint16_t n)
{
	uint64_t end = rte_get_timer_cycles() + 2 * rte_get_timer_hz();
	uint16_t sent = 0;

	while (sent < n && rte_get_timer_cycles() < end)
		sent += rte_eth_tx_burst(port, q, pkts + sent, n - sent);
	return sent;
}

/* Receive exactly `n` packets from (port, q) within 2 s. */
static uint16_t
recv_n(uint16_t port, uint16_t q, struct rte_mbuf **pkts, uint16_t n)
{
	uint64_t end = rte_get_timer_cycles() + 2 * rte_get_timer_hz();
	uint16_t got = 0;

	while (got < n && rte_get_timer_cycles() < end)
		got += rte_eth_rx_burst(port, q, pkts + got,
					RTE_MIN(BURST, n - got));
	return got;
}

/* One direction: `n` packets from `tx_port` to `rx_port` on queue q;
 * what arrived is added to `cnt` (the counters of that queue). */
static void
flow(uint16_t tx_port, struct rte_mempool *tx_pool, uint16_t rx_port,
     uint16_t q, uint32_t seed, uint16_t n, struct q_count *cnt)
{
	struct rte_mbuf *pkts[N_PKTS], *rx[N_PKTS];
	uint16_t i, sent, got;

	for (i = 0; i < n; i++)
		pkts[i] = make_pkt(tx_pool, seed + i, len_of(seed + i), 4096);
	sent = send_all(tx_port, q, pkts, n);
	CHECK(sent == n, "port %u q%u sent %u of %u", tx_port, q, sent, n);
	rte_pktmbuf_free_bulk(pkts + sent, n - sent);
	got = recv_n(rx_port, q, rx, sent);
	CHECK(got == sent, "port %u q%u got %u of %u", rx_port, q, got, sent);
	for (i = 0; i < got; i++) {
		CHECK(pkt_ok(rx[i], seed + i, len_of(seed + i)),
		      "port %u q%u packet %u: len %u, bytes differ", rx_port, q,
		      i, rx[i]->pkt_len);
		CHECK(rx[i]->port == rx_port, "mbuf port %u", rx[i]->port);
		cnt->packets++;
		cnt->bytes += len_of(seed + i);
	}
	rte_pktmbuf_free_bulk(rx, got);
}

/* Take queue events from host port h until every one of its 2 nq
 * virtqueues has been reported in state `enable` (a virtqueue may first
 * be reported in the other state, if it changed twice), within 5 s and
 * after a QUEUE_STATE callback since the count was `ev`. */
static void
queue_events_expect(uint16_t h, bool enable, unsigned int ev)
{
	uint64_t end = rte_get_timer_cycles() + 5 * rte_get_timer_hz();
	bool last[2 * MAX_QP], seen[2 * MAX_QP];
	unsigned int n_ok = 0, taken = 0;
	struct rte_eth_tandem_vhost_queue_event e;

	memset(seen, 0, sizeof(seen));
	memset(last, 0, sizeof(last));
	while (rte_get_timer_cycles() < end) {
		unsigned int vq;

		if (get_queue_event(h, &e) != 0) {
			if (n_ok == 2u * nq &&
			    __atomic_load_n(&qs_events, __ATOMIC_SEQ_CST) > ev)
				break;
			rte_delay_ms(1);
			continue;
		}
		taken++;
		CHECK(e.queue_id < nq, "event for queue %u of %u", e.queue_id,
		      nq);
		if (e.queue_id >= nq)
			continue;
		vq = 2u * e.queue_id + (e.rx ? 1u : 0u);
		if (seen[vq] && last[vq] == enable)
			n_ok--;
		seen[vq] = true;
		last[vq] = e.enable;
		if (e.enable == enable)
			n_ok++;
	}
	CHECK(n_ok == 2u * nq,
	      "%u of %u virtqueues reported %s (%u events taken)", n_ok,
	      2u * nq, enable ? "enabled" : "disabled", taken);
	CHECK(__atomic_load_n(&qs_events, __ATOMIC_SEQ_CST) > ev,
	      "no QUEUE_STATE callback");
	CHECK(get_queue_event(h, &e) == -1, "an event left after draining");
}

/* Has an LSC event come since the count was `ev`? The PMD's alarm sets
 * the link status, then runs the callbacks: a link read as changed does
 * not mean the callback has run yet, so wait for it (up to `seconds`). */
static bool
lsc_event_since(unsigned int ev, unsigned int seconds)
{
	uint64_t end = rte_get_timer_cycles() + seconds * rte_get_timer_hz();

	do {
		if (__atomic_load_n(&lsc_events, __ATOMIC_SEQ_CST) > ev)
			return true;
		rte_delay_ms(1);
	} while (rte_get_timer_cycles() < end);
	return false;
}

static int
port_setup(uint16_t port, struct rte_mempool *mp)
{
	struct rte_eth_conf conf;
	uint16_t q;
	int ret;

	memset(&conf, 0, sizeof(conf));
	ret = rte_eth_dev_configure(port, nq, nq, &conf);
	for (q = 0; q < nq && ret == 0; q++)
		ret = rte_eth_rx_queue_setup(port, q, 256, 0, NULL, mp);
	for (q = 0; q < nq && ret == 0; q++)
		ret = rte_eth_tx_queue_setup(port, q, 256, 0, NULL);
	if (ret == 0)
		ret = rte_eth_dev_start(port);
	return ret;
}

static int
guest_attach(uint16_t *g)
{
	char args[256];

	snprintf(args, sizeof(args), "path=%s,queues=%u,queue_size=256%s%s",
		 tc_sock_path, nq, guest_extra[0] ? "," : "", guest_extra);
	if (rte_vdev_init("net_virtio_user7", args) != 0)
		return -1;
	if (rte_eth_dev_get_port_by_name("net_virtio_user7", g) != 0)
		return -1;
	return port_setup(*g, tc_pool_g);
}

/* The value of `key` in the extra guest devargs ("key=N"), `def` when
 * they do not name it. */
static unsigned long
guest_arg(const char *key, unsigned long def)
{
	size_t len = strlen(key);
	const char *p = guest_extra;

	while (*p != '\0') {
		if (strncmp(p, key, len) == 0 && p[len] == '=')
			return strtoul(p + len + 1, NULL, 0);
		p = strchr(p, ',');
		if (p == NULL)
			break;
		p++;
	}
	return def;
}

/* The feature word the guest set is what its devargs ask for, as far as
 * the host offers it: the variants differ in nothing else, so a variant
 * whose devarg did not take effect would silently test another one. */
static void
check_features(uint16_t h)
{
	uint64_t f = tc_xstat(h, "negotiated_features");
	/* The stock guest's defaults (DPDK 22.11 virtio_user): mrg_rxbuf=1,
	 * in_order=1, packed_vq=0. */
	bool mrg = guest_arg("mrg_rxbuf", 1) != 0;
	bool in_order = guest_arg("in_order", 1) != 0;
	bool packed = guest_arg("packed_vq", 0) != 0;

	printf("negotiated features 0x%" PRIx64 " (guest args \"%s\", %u "
	       "queue pairs)\n",
	       f, guest_extra, nq);
	CHECK(tv_has_feature(f, TV_F_VERSION_1), "VERSION_1 not negotiated");
	CHECK(tv_has_feature(f, TV_NET_F_MRG_RXBUF) == mrg,
	      "MRG_RXBUF %s, guest args \"%s\"", mrg ? "off" : "on",
	      guest_extra);
	CHECK(tv_has_feature(f, TV_F_IN_ORDER) == in_order,
	      "IN_ORDER %s, guest args \"%s\"", in_order ? "off" : "on",
	      guest_extra);
	CHECK(tv_has_feature(f, TV_NET_F_MQ) == (nq > 1),
	      "MQ %s with %u queue pairs", nq > 1 ? "off" : "on", nq);
	CHECK(tv_has_feature(f, TV_F_RING_PACKED) == packed,
	      "RING_PACKED %s, guest args \"%s\"", packed ? "off" : "on",
	      guest_extra);
}

static void
guest_detach(uint16_t g)
{
	CHECK(rte_eth_dev_stop(g) == 0, "guest stop");
	CHECK(rte_eth_dev_close(g) == 0, "guest close");
	CHECK(rte_vdev_uninit("net_virtio_user7") == 0, "guest uninit");
}

/* A queue's basic stats (ethdev's q_* arrays) against what was sent. */
static void
q_stat_is(const char *dir, uint16_t q, uint64_t packets, uint64_t bytes,
	  const struct q_count *want)
{
	CHECK(packets == want->packets && bytes == want->bytes,
	      "q%u %s: %" PRIu64 " packets %" PRIu64 " bytes, sent %" PRIu64
	      "/%" PRIu64,
	      q, dir, packets, bytes, want->packets, want->bytes);
}

/* The host port's xstat <dir>_q<q>_<what> equals want. */
static void
xstat_is(uint16_t h, const char *dir, uint16_t q, const char *what,
	 uint64_t want)
{
	char name[64];
	uint64_t v;

	snprintf(name, sizeof(name), "%s_q%u_%s", dir, q, what);
	v = tc_xstat(h, name);
	CHECK(v == want, "%s %" PRIu64 " != %" PRIu64, name, v, want);
}

/* Traffic both ways on every queue, counters checked against it. */
static void
traffic(uint16_t h, uint16_t g)
{
	/* Per queue, as the host sees it: in = guest to host (host rx),
	 * out = host to guest (host tx). */
	struct q_count in[MAX_QP] = {0}, out[MAX_QP] = {0}, in_all = {0},
		       out_all = {0};
	struct rte_mbuf *m, *rx[4];
	struct rte_eth_stats st;
	uint16_t q;

	/* Device counters since the last reset include the attach. */
	CHECK(tc_xstat(h, "dev_msgs") > 0 && tc_xstat(h, "dev_connects") > 0,
	      "dev_msgs %" PRIu64 " dev_connects %" PRIu64,
	      tc_xstat(h, "dev_msgs"), tc_xstat(h, "dev_connects"));
	/* The stock guest may still be enabling its rings (one message per
	 * ring, seen with 4 queue pairs in CI): reset once the message
	 * count has stood still for 200 ms (at most 2 s). */
	for (int w = 0, still = 0; w < 200 && still < 20; w++) {
		uint64_t msgs = tc_xstat(h, "dev_msgs");

		rte_delay_ms(10);
		still = tc_xstat(h, "dev_msgs") == msgs ? still + 1 : 0;
	}
	CHECK(rte_eth_stats_reset(h) == 0, "stats reset");
	CHECK(tc_xstat(h, "dev_msgs") == 0, "dev_msgs after reset");
	for (q = 0; q < nq; q++) {
		flow(g, tc_pool_g, h, q, 1000 * q, N_PKTS, &in[q]);
		flow(h, tc_pool_h, g, q, 1000 * q + 500, N_PKTS, &out[q]);
	}

	/* A jumbo frame from the guest arrives as an mbuf chain. */
	m = make_pkt(tc_pool_g, 7, JUMBO_LEN, SEG_LEN);
	CHECK(m != NULL && send_all(g, 0, &m, 1) == 1, "jumbo send");
	CHECK(recv_n(h, 0, rx, 1) == 1, "jumbo not received");
	CHECK(pkt_ok(rx[0], 7, JUMBO_LEN) && rx[0]->nb_segs > 1,
	      "jumbo: len %u segs %u", rx[0]->pkt_len, rx[0]->nb_segs);
	rte_pktmbuf_free(rx[0]);
	in[0].packets++;
	in[0].bytes += JUMBO_LEN;

	/* A 2-segment mbuf to the guest is gathered (TX MULTI_SEGS). */
	m = make_pkt(tc_pool_h, 9, 1400, 700);
	CHECK(m != NULL && m->nb_segs == 2, "2-seg build");
	CHECK(send_all(h, 0, &m, 1) == 1, "2-seg send");
	CHECK(recv_n(g, 0, rx, 1) == 1, "2-seg not received");
	CHECK(pkt_ok(rx[0], 9, 1400), "2-seg: len %u", rx[0]->pkt_len);
	rte_pktmbuf_free(rx[0]);
	out[0].packets++;
	out[0].bytes += 1400;

	for (q = 0; q < nq; q++) {
		in_all.packets += in[q].packets;
		in_all.bytes += in[q].bytes;
		out_all.packets += out[q].packets;
		out_all.bytes += out[q].bytes;
	}
	CHECK(rte_eth_stats_get(h, &st) == 0, "stats get");
	CHECK(st.ipackets == in_all.packets, "ipackets %" PRIu64 " != %" PRIu64,
	      st.ipackets, in_all.packets);
	CHECK(st.ibytes == in_all.bytes, "ibytes %" PRIu64 " != %" PRIu64,
	      st.ibytes, in_all.bytes);
	CHECK(st.opackets == out_all.packets,
	      "opackets %" PRIu64 " != %" PRIu64, st.opackets, out_all.packets);
	CHECK(st.obytes == out_all.bytes, "obytes %" PRIu64 " != %" PRIu64,
	      st.obytes, out_all.bytes);
	CHECK(st.ierrors == 0 && st.oerrors == 0 && st.rx_nombuf == 0,
	      "errors %" PRIu64 "/%" PRIu64, st.ierrors, st.oerrors);
	/* Every queue's own counters, exactly: a packet counted on the
	 * wrong queue leaves the totals right but two queues wrong. */
	for (q = 0; q < nq; q++) {
		if (q < RTE_ETHDEV_QUEUE_STAT_CNTRS) {
			q_stat_is("in", q, st.q_ipackets[q], st.q_ibytes[q],
				  &in[q]);
			q_stat_is("out", q, st.q_opackets[q], st.q_obytes[q],
				  &out[q]);
		}
		xstat_is(h, "rx", q, "packets", in[q].packets);
		xstat_is(h, "rx", q, "bytes", in[q].bytes);
		xstat_is(h, "tx", q, "packets", out[q].packets);
		xstat_is(h, "tx", q, "bytes", out[q].bytes);
		xstat_is(h, "rx", q, "no_mbufs", 0);
		xstat_is(h, "tx", q, "err_desc_addr", 0);
	}
	CHECK(tc_xstat(h, "dev_err_msg") == 0, "dev_err_msg");
	CHECK(rte_eth_xstats_reset(h) == 0, "xstats reset");
	CHECK(tc_xstat(h, "rx_q0_packets") == 0, "rx_q0_packets after reset");
	CHECK(rte_eth_stats_get(h, &st) == 0 && st.ipackets == 0 &&
		      st.obytes == 0,
	      "stats after reset");
}

/* A guest that does not receive: tx stops short, the rest stays ours. */
static void
no_room(uint16_t h, uint16_t g)
{
	struct rte_mbuf *pkts[BURST], *rx[BURST];
	struct rte_eth_stats st;
	uint32_t total = 0, got = 0, n, i;
	uint16_t sent;
	int rounds;

	for (rounds = 0; rounds < 64; rounds++) {
		for (i = 0; i < BURST; i++)
			pkts[i] = make_pkt(tc_pool_h, total + i, 100, 4096);
		sent = rte_eth_tx_burst(h, 0, pkts, BURST);
		total += sent;
		for (i = sent; i < BURST; i++)
			/* still ours: untouched */
			CHECK(pkt_ok(pkts[i], total + i - sent, 100),
			      "unsent mbuf changed");
		rte_pktmbuf_free_bulk(pkts + sent, BURST - sent);
		if (sent < BURST)
			break;
	}
	CHECK(rounds < 64, "guest ring never filled");
	/* traffic() reset the counters: only this test's bursts count. */
	CHECK(tc_xstat(h, "tx_q0_no_room") > 0, "no_room not counted");
	/* oerrors counts packets left unsent (only the last burst's). */
	CHECK(rte_eth_stats_get(h, &st) == 0 &&
		      st.oerrors == (uint64_t)(BURST - sent),
	      "oerrors %" PRIu64 " != %u", st.oerrors, BURST - sent);
	CHECK(tc_xstat(h, "tx_q0_unsent_packets") == (uint64_t)(BURST - sent),
	      "tx_q0_unsent_packets");
	CHECK(st.opackets == total, "opackets %" PRIu64 " != %u", st.opackets,
	      total);
	/* The guest receives exactly what was accepted, in order. */
	do {
		n = recv_n(g, 0, rx, BURST);
		for (i = 0; i < n; i++)
			CHECK(pkt_ok(rx[i], got + i, 100), "pkt %u", got + i);
		rte_pktmbuf_free_bulk(rx, n);
		got += n;
	} while (n > 0 && got < total);
	CHECK(got == total, "guest got %u of %u", got, total);
	/* The count outlives the queue being set up again, as the other
	 * per-queue counters do (it was the queue's own and went with it). */
	CHECK(rte_eth_dev_stop(h) == 0 &&
		      rte_eth_tx_queue_setup(h, 0, 256, 0, NULL) == 0 &&
		      rte_eth_dev_start(h) == 0,
	      "tx queue 0 set up again");
	CHECK(rte_eth_stats_get(h, &st) == 0 &&
		      st.oerrors == (uint64_t)(BURST - sent) &&
		      st.opackets == total,
	      "after the queue's set-up: oerrors %" PRIu64 " (want %u), "
	      "opackets %" PRIu64 " (want %u)",
	      st.oerrors, BURST - sent, st.opackets, total);
	CHECK(tc_xstat(h, "tx_q0_unsent_packets") == (uint64_t)(BURST - sent),
	      "tx_q0_unsent_packets after the queue's set-up");
}

/* A stopped port moves nothing; started again, nothing was lost. */
static void
stop_start(uint16_t h, uint16_t g)
{
	struct rte_eth_dev *dev = &rte_eth_devices[h];
	struct rte_mbuf *pkts[8], *rx[8];
	struct rte_eth_stats st0, st1;
	uint64_t bytes = 0;
	uint16_t i, got;

	CHECK(rte_eth_stats_get(h, &st0) == 0, "stats before stop");
	CHECK(rte_eth_dev_stop(h) == 0, "stop");
	for (i = 0; i < 8; i++) {
		pkts[i] = make_pkt(tc_pool_g, 300 + i, len_of(300 + i), 4096);
		bytes += len_of(300 + i);
	}
	CHECK(send_all(g, 0, pkts, 8) == 8, "guest send while host stopped");
	rte_delay_ms(50);
	/* ethdev routes bursts of a stopped port to dummies; call the
	 * driver's own burst to check it refuses too. */
	got = dev->rx_pkt_burst(dev->data->rx_queues[0], rx, 8);
	CHECK(got == 0, "rx on stopped port returned %u", got);
	pkts[0] = make_pkt(tc_pool_h, 1, 100, 4096);
	CHECK(dev->tx_pkt_burst(dev->data->tx_queues[0], pkts, 1) == 0,
	      "tx on stopped port");
	rte_pktmbuf_free(pkts[0]);
	CHECK(rte_eth_dev_start(h) == 0, "restart");
	got = recv_n(h, 0, rx, 8);
	CHECK(got == 8, "after restart got %u of 8", got);
	for (i = 0; i < got; i++)
		CHECK(pkt_ok(rx[i], 300 + i, len_of(300 + i)), "pkt %u", i);
	rte_pktmbuf_free_bulk(rx, got);
	/* Counted once, after the restart, and the counters survive it. */
	CHECK(rte_eth_stats_get(h, &st1) == 0 &&
		      st1.ipackets - st0.ipackets == 8 &&
		      st1.ibytes - st0.ibytes == bytes,
	      "host stats over stop/start: +%" PRIu64 " packets (want 8), +%"
	      PRIu64 " bytes (want %" PRIu64 ")",
	      st1.ipackets - st0.ipackets, st1.ibytes - st0.ibytes, bytes);
}

/* The queues start with the port: a deferred start is refused, and the
 * same queues set up without it are taken. */
static void
deferred_refused(uint16_t port)
{
	struct rte_eth_rxconf rxc;
	struct rte_eth_txconf txc;
	struct rte_eth_conf conf;

	memset(&conf, 0, sizeof(conf));
	memset(&rxc, 0, sizeof(rxc));
	memset(&txc, 0, sizeof(txc));
	rxc.rx_deferred_start = 1;
	txc.tx_deferred_start = 1;
	CHECK(rte_eth_dev_configure(port, nq, nq, &conf) == 0, "configure");
	CHECK(rte_eth_rx_queue_setup(port, 0, 256, 0, &rxc, tc_pool_h) ==
		      -EINVAL,
	      "rx_deferred_start accepted");
	CHECK(rte_eth_tx_queue_setup(port, 0, 256, 0, &txc) == -EINVAL,
	      "tx_deferred_start accepted");
	rxc.rx_deferred_start = 0;
	txc.tx_deferred_start = 0;
	CHECK(rte_eth_rx_queue_setup(port, 0, 256, 0, &rxc, tc_pool_h) == 0,
	      "rx queue setup without deferred start");
	CHECK(rte_eth_tx_queue_setup(port, 0, 256, 0, &txc) == 0,
	      "tx queue setup without deferred start");
}

static void
test_pair(void)
{
	char args[256];
	uint16_t h, g;
	unsigned int ev;
	int round;

	snprintf(args, sizeof(args), "iface=%s,queues=%u", tc_sock_path, nq);
	CHECK(rte_vdev_init("net_tandem_vhost0", args) == 0, "probe host");
	if (rte_eth_dev_get_port_by_name("net_tandem_vhost0", &h) != 0) {
		CHECK(0, "no host port");
		return;
	}
	CHECK(rte_eth_dev_callback_register(h, RTE_ETH_EVENT_INTR_LSC,
					    tvhp_count_cb, &lsc_events) == 0,
	      "lsc register");
	CHECK(rte_eth_dev_callback_register(h, RTE_ETH_EVENT_QUEUE_STATE,
					    tvhp_count_cb, &qs_events) == 0,
	      "queue state register");
	deferred_refused(h);
	CHECK(port_setup(h, tc_pool_h) == 0, "host setup");
	CHECK(tc_wait_link(h, RTE_ETH_LINK_DOWN, 5), "link up without a guest");
	{
		struct rte_eth_tandem_vhost_queue_event e;

		CHECK(get_queue_event(h, &e) == -1, "an event without a guest");
		CHECK(get_queue_event(h, NULL) == -EINVAL, "NULL event");
		CHECK(get_queue_event(RTE_MAX_ETHPORTS, &e) == -EINVAL,
		      "an invalid port");
	}

	/* Round 1 is the first guest, round 2 a restarted one. */
	for (round = 0; round < 2; round++) {
		struct rte_eth_tandem_vhost_queue_event e;
		unsigned int qev;

		ev = __atomic_load_n(&lsc_events, __ATOMIC_SEQ_CST);
		qev = __atomic_load_n(&qs_events, __ATOMIC_SEQ_CST);
		if (guest_attach(&g) != 0) {
			CHECK(0, "guest attach (round %d)", round);
			return;
		}
		CHECK(tc_wait_link(h, RTE_ETH_LINK_UP, 5), "link not up");
		CHECK(lsc_event_since(ev, 5), "no LSC event on guest attach");
		/* Not a port of ours: the guest's. */
		CHECK(get_queue_event(g, &e) == -EINVAL,
		      "queue event from a net_virtio_user port");
		queue_events_expect(h, true, qev);
		check_features(h);
		traffic(h, g);
		no_room(h, g);
		stop_start(h, g);
		ev = __atomic_load_n(&lsc_events, __ATOMIC_SEQ_CST);
		qev = __atomic_load_n(&qs_events, __ATOMIC_SEQ_CST);
		guest_detach(g);
		CHECK(tc_wait_link(h, RTE_ETH_LINK_DOWN, 5), "link not down");
		CHECK(lsc_event_since(ev, 5), "no LSC event on guest detach");
		queue_events_expect(h, false, qev);
		printf("round %d done, %d failures so far\n", round,
		       tc_failures);
	}
	CHECK(rte_eth_dev_stop(h) == 0, "host stop");
	CHECK(rte_eth_dev_close(h) == 0, "host close");
	/* remove after close: the port is gone already, must succeed. */
	CHECK(rte_vdev_uninit("net_tandem_vhost0") == 0, "host uninit");
}

/* A host closed while the guest is still attached. */
static void
test_close_live(void)
{
	char args[256];
	uint16_t h, g;

	snprintf(args, sizeof(args), "iface=%s,queues=%u", tc_sock_path, nq);
	CHECK(rte_vdev_init("net_tandem_vhost1", args) == 0, "probe host");
	if (rte_eth_dev_get_port_by_name("net_tandem_vhost1", &h) != 0)
		return;
	CHECK(port_setup(h, tc_pool_h) == 0, "host setup");
	if (guest_attach(&g) != 0) {
		CHECK(0, "guest attach");
		return;
	}
	CHECK(tc_wait_link(h, RTE_ETH_LINK_UP, 5), "link not up");
	/* remove() stops and closes a live port by itself. */
	CHECK(rte_vdev_uninit("net_tandem_vhost1") == 0, "host uninit");
	guest_detach(g);
}

int
main(int argc, char **argv)
{
	int fds_before;

	if (argc < 3) {
		fprintf(stderr, "usage: %s <plugin.so> <queues> [guest args]\n",
			argv[0]);
		return 2;
	}
	if (atoi(argv[2]) < 1 || atoi(argv[2]) > MAX_QP) {
		fprintf(stderr, "queues: 1 to %d\n", MAX_QP);
		return 2;
	}
	nq = (uint16_t)atoi(argv[2]);
	if (argc > 3)
		guest_extra = argv[3];
	if (tc_init(argv[0], argv[1], "h5t") < 0)
		return 1;
	get_queue_event = tvhp_find_get_queue_event(argv[1]);
	if (get_queue_event == NULL) {
		fprintf(stderr, "FAIL: the plugin does not export "
				"rte_eth_tandem_vhost_get_queue_event\n");
		return 1;
	}
	test_devargs();
	/* After one device came and went (lib/vhost may keep a process-wide
	 * control thread and its fds). */
	fds_before = tt_count_fds();

	/* rte_vdev_init() returns > 0 when no driver has the name. */
	if (rte_vdev_init("net_virtio_user7", "path=/nonexistent/h5") > 0) {
		printf("SKIP: stock net_virtio_user not loaded\n");
		return 77;
	}
	test_pair();
	test_close_live();
	return tc_finish(fds_before);
}
