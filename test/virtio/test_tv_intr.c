/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * test_tv_intr.c - RX interrupt mode (intr_conf.rxq,
 * rte_eth_dev_rx_intr_ctl_q/_enable/_disable) of both PMDs.
 *
 * One process, two queue pairs. The device under test is either
 * net_tandem_virtio (server=1), with the stock net_vhost or
 * net_tandem_vhost (client=1) as its back-end, split rings with and
 * without EVENT_IDX and packed rings; or net_tandem_vhost, with the
 * stock net_virtio_user or net_tandem_virtio (EVENT_IDX on and off) as
 * its guest, split and packed rings. The peer sends; the tested port's fds go
 * into this thread's epoll set (RTE_EPOLL_PER_THREAD), each with its queue's
 * number as data. Checked:
 *
 * - armed and idle: no wake-up (a host's sleepers are woken once when
 *   its rings start, to arm them);
 * - armed, the peer sends: exactly the queue that received wakes, and
 *   the packets (payload bytes, lengths) are all there, in order; once
 *   with this thread really asleep in rte_epoll_wait while another
 *   thread sends;
 * - disarmed, the peer sends: no wake-up; arming then wakes at once (the
 *   buffers came before the request; the guest counts intr_self_wakes);
 * - the same fds keep working after a port stop/start and with a new
 *   peer (a guest's queue armed across the change stays armed);
 * - both PMDs: refused with -ENOTSUP without intr_conf.rxq, arming
 *   -EINVAL on a stopped port (disarming works); a configure to fewer
 *   queues or without intr_conf.rxq closes the fds;
 * - no fd leaks, every mbuf back in its pool.
 *
 * usage: test_tv_intr <librte_net_tandem_virtio.so>
 * <librte_net_tandem_vhost.so> Exit 0 on success, 1 on failure. Never skipped
 * (no hugepages needed).
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_bus_vdev.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_epoll.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "../common/tt_eal.h"

#define NQ     2
#define MAX_EV 8

/* The device under test (dut) is the port with interrupts: Tandem's
 * guest, or Tandem's host; the peer sends. */
struct tcase {
	bool host_dut;	  /* net_tandem_vhost under test, else the guest */
	bool tandem_peer; /* the peer is Tandem's driver, else the stock one */
	bool packed_vq;
	bool event_idx; /* the guest's devarg (stock guests have none) */
};

static const struct tcase cases[] = {
	{false, false, false, true}, {false, false, false, false},
	{false, false, true, true},  {false, false, true, false},
	{false, true, false, true},  {false, true, false, false},
	{false, true, true, true},   {true, false, false, true},
	{true, true, false, true},   {true, true, false, false},
	{true, false, true, true},   {true, true, true, true},
	{true, true, true, false},
};

struct env {
	const struct tcase *c;
	unsigned int ci;
	const char *dir;
	struct rte_mempool *mp;
	uint16_t dport, pport;
	char dname[64], pname[64], sock[256];
	uint32_t seq; /* payload sequence: every packet distinct */
};

static int
port_up_n(uint16_t port, bool intr, struct rte_mempool *mp, uint16_t nq)
{
	struct rte_eth_conf conf;
	uint16_t q;

	memset(&conf, 0, sizeof(conf));
	conf.intr_conf.rxq = intr;
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

static int
port_up(uint16_t port, bool intr, struct rte_mempool *mp)
{
	return port_up_n(port, intr, mp, NQ);
}

static bool
wait_link(uint16_t port, bool up)
{
	uint64_t end = rte_get_timer_cycles() + 10 * rte_get_timer_hz();
	struct rte_eth_link link;

	do {
		if (rte_eth_link_get_nowait(port, &link) == 0 &&
		    (link.link_status == RTE_ETH_LINK_UP) == up)
			return true;
		usleep(10000);
	} while (rte_get_timer_cycles() < end);
	return false;
}

/* A guest rx queue's xstat by name (rx_q<q>_<what>). */
static uint64_t
xstat(uint16_t port, uint16_t q, const char *what)
{
	char name[RTE_ETH_XSTATS_NAME_SIZE];
	uint64_t id, v;

	snprintf(name, sizeof(name), "rx_q%u_%s", q, what);
	if (rte_eth_xstats_get_id_by_name(port, name, &id) != 0 ||
	    rte_eth_xstats_get_by_id(port, &id, &v, 1) != 1)
		return UINT64_MAX;
	return v;
}

/* Wake-ups within timeout_ms: a bitmask of the queues (bit q) whose fd
 * fired, or -1 on an error. Collects every event until a wait times
 * out once something arrived (or at the first timeout). */
static int
wakeups(int timeout_ms)
{
	struct rte_epoll_event ev[MAX_EV];
	int mask = 0, n, i;

	for (;;) {
		n = rte_epoll_wait(RTE_EPOLL_PER_THREAD, ev, MAX_EV,
				   mask != 0 ? 20 : timeout_ms);
		if (n < 0)
			return -1;
		if (n == 0)
			return mask;
		for (i = 0; i < n; i++) {
			uintptr_t d = (uintptr_t)ev[i].epdata.data;

			if (d < 1 || d > NQ)
				return -1;
			mask |= 1 << (d - 1);
		}
	}
}

/* The queues in `want` all woke within timeout_ms (the wake-ups of a
 * host's two rings come from two messages, which a loaded machine may
 * space out): the mask seen, which may hold more. */
static int
wakeups_until(int want, int timeout_ms)
{
	uint64_t end = rte_get_timer_cycles() +
		       rte_get_timer_hz() * (uint64_t)timeout_ms / 1000;
	int mask = 0, w;

	do {
		w = wakeups(50);
		if (w < 0)
			return -1;
		mask |= w;
	} while ((mask & want) != want && rte_get_timer_cycles() < end);
	return mask;
}

/* Packet k of a burst: 60-200 bytes of a pattern from seq. */
static uint16_t
pkt_len(uint32_t seq)
{
	return (uint16_t)(60 + (seq * 37) % 141);
}

static uint8_t
pkt_byte(uint32_t seq, uint32_t i)
{
	return (uint8_t)(seq * 131 + i * 7 + (i >> 8));
}

/* The back-end sends n packets to guest rx queue q. Returns the seq of
 * the first. */
static uint32_t
peer_send(struct env *e, uint16_t q, uint16_t n)
{
	struct rte_mbuf *m[64];
	uint32_t first = e->seq;
	uint16_t i, sent = 0;
	uint64_t end = rte_get_timer_cycles() + 2 * rte_get_timer_hz();

	for (i = 0; i < n; i++) {
		uint32_t s = e->seq++, len = pkt_len(s), b;
		uint8_t *p;

		m[i] = rte_pktmbuf_alloc(e->mp);
		if (m[i] == NULL) {
			CHECK(false, "case %u: no mbuf", e->ci);
			rte_pktmbuf_free_bulk(m, i);
			return first;
		}
		p = (uint8_t *)rte_pktmbuf_append(m[i], (uint16_t)len);
		for (b = 0; b < len; b++)
			p[b] = pkt_byte(s, b);
	}
	while (sent < n && rte_get_timer_cycles() < end)
		sent += rte_eth_tx_burst(e->pport, q, m + sent,
					 (uint16_t)(n - sent));
	CHECK(sent == n, "case %u: back-end sent %u of %u on queue %u", e->ci,
	      sent, n, q);
	if (sent < n)
		rte_pktmbuf_free_bulk(m + sent, (unsigned int)(n - sent));
	return first;
}

/* Guest rx queue q must hold exactly n packets from seq `first` on. */
static void
dut_recv(struct env *e, uint16_t q, uint16_t n, uint32_t first,
	 const char *what)
{
	struct rte_mbuf *m[64];
	uint16_t got = 0, i, extra;
	uint64_t end = rte_get_timer_cycles() + rte_get_timer_hz();

	while (got < n && rte_get_timer_cycles() < end)
		got += rte_eth_rx_burst(e->dport, q, m + got,
					(uint16_t)(n - got));
	CHECK(got == n, "case %u, %s: queue %u received %u of %u", e->ci, what,
	      q, got, n);
	for (i = 0; i < got; i++) {
		uint32_t s = first + i, len = pkt_len(s), b, bad = 0;
		const uint8_t *p = rte_pktmbuf_mtod(m[i], const uint8_t *);

		if (m[i]->pkt_len != len || m[i]->data_len != len ||
		    m[i]->nb_segs != 1) {
			CHECK(false,
			      "case %u, %s: queue %u packet %u: pkt_len %u "
			      "data_len %u nb_segs %u, sent %u bytes",
			      e->ci, what, q, i, m[i]->pkt_len, m[i]->data_len,
			      m[i]->nb_segs, len);
			continue;
		}
		for (b = 0; b < len; b++)
			bad += p[b] != pkt_byte(s, b);
		CHECK(bad == 0,
		      "case %u, %s: queue %u packet %u: %u bytes differ", e->ci,
		      what, q, i, bad);
	}
	rte_pktmbuf_free_bulk(m, got);
	/* Nothing more, on either queue. */
	for (q = 0; q < NQ; q++) {
		extra = rte_eth_rx_burst(e->dport, q, m, RTE_DIM(m));
		CHECK(extra == 0,
		      "case %u, %s: %u unexpected packets on queue %u", e->ci,
		      what, extra, q);
		rte_pktmbuf_free_bulk(m, extra);
	}
}

struct sender {
	struct env *e;
	uint16_t q, n;
	uint32_t first;
};

static void *
sender_main(void *arg)
{
	struct sender *s = arg;

	usleep(100 * 1000); /* the main thread is asleep by then */
	s->first = peer_send(s->e, s->q, s->n);
	return NULL;
}

static void
peer_down(struct env *e)
{
	rte_eth_dev_stop(e->pport);
	rte_eth_dev_close(e->pport);
	rte_vdev_uninit(e->pname);
}

static int
peer_up(struct env *e)
{
	char args[400];

	if (!e->c->host_dut) /* a back-end: the dut guest is the server */
		snprintf(args, sizeof(args), "iface=%s,client=1,queues=%u",
			 e->sock, NQ);
	else if (e->c->tandem_peer)
		snprintf(args, sizeof(args),
			 "path=%s,queues=%u,event_idx=%d,packed_vq=%d", e->sock,
			 NQ, e->c->event_idx, e->c->packed_vq);
	else /* stock virtio-user turns its control queue on for MQ */
		snprintf(args, sizeof(args), "path=%s,queues=%u,packed_vq=%d",
			 e->sock, NQ, e->c->packed_vq);
	if (rte_vdev_init(e->pname, args) != 0 ||
	    rte_eth_dev_get_port_by_name(e->pname, &e->pport) != 0) {
		fprintf(stderr, "case %u: cannot create %s,%s\n", e->ci,
			e->pname, args);
		rte_vdev_uninit(e->pname);
		return -1;
	}
	if (port_up(e->pport, false, e->mp) != 0) {
		peer_down(e);
		return -1;
	}
	return 0;
}

/* Armed rounds: each wakes exactly its queue and delivers its packets;
 * one of them with this thread asleep while another thread sends. */
static void
armed_rounds(struct env *e, const char *what)
{
	uint16_t q;
	int r, w;

	for (q = 0; q < NQ; q++)
		CHECK(rte_eth_dev_rx_intr_enable(e->dport, q) == 0,
		      "case %u, %s: rx_intr_enable %u", e->ci, what, q);
	w = wakeups(150);
	CHECK(w == 0, "case %u, %s: armed and idle, woken (mask %d)", e->ci,
	      what, w);
	for (r = 0; r < 12; r++) {
		uint16_t n = (uint16_t)(1 + (r * 7) % 32);
		uint32_t first;

		q = (uint16_t)(r % NQ);
		first = peer_send(e, q, n);
		w = wakeups(2000);
		CHECK(w == 1 << q,
		      "case %u, %s, round %d: %u packets on queue %u, wake-up "
		      "mask %d",
		      e->ci, what, r, n, q, w);
		CHECK(rte_eth_dev_rx_intr_disable(e->dport, q) == 0,
		      "case %u: rx_intr_disable", e->ci);
		dut_recv(e, q, n, first, what);
		CHECK(rte_eth_dev_rx_intr_enable(e->dport, q) == 0,
		      "case %u: rx_intr_enable", e->ci);
	}
	/* Asleep for real: another thread sends 100 ms later. */
	{
		struct sender s = {.e = e, .q = 1, .n = 9};
		pthread_t t;
		uint64_t t0 = rte_get_timer_cycles(), ms;

		if (pthread_create(&t, NULL, sender_main, &s) != 0) {
			CHECK(false, "pthread_create");
			return;
		}
		w = wakeups(3000);
		ms = (rte_get_timer_cycles() - t0) * 1000 / rte_get_timer_hz();
		pthread_join(t, NULL);
		CHECK(w == 1 << 1 && ms >= 90 && ms < 2000,
		      "case %u, %s: asleep, sender on queue 1: mask %d after "
		      "%" PRIu64 " ms",
		      e->ci, what, w, ms);
		CHECK(rte_eth_dev_rx_intr_disable(e->dport, 1) == 0,
		      "case %u: rx_intr_disable", e->ci);
		dut_recv(e, 1, s.n, s.first, what);
	}
	for (q = 0; q < NQ; q++)
		rte_eth_dev_rx_intr_disable(e->dport, q);
}

static int
run_case(unsigned int ci, const char *dir, struct rte_mempool *mp)
{
	const struct tcase *c = &cases[ci];
	struct env e = {
		.c = c, .ci = ci, .dir = dir, .mp = mp, .seq = ci << 20};
	/* Ring starts wake a host's sleepers (tvh_vq_set_wake_fd). */
	const int start_wakes = c->host_dut ? (1 << NQ) - 1 : 0;
	char args[400];
	uint64_t wakes0;
	uint32_t first;
	uint16_t q;
	int w;

	snprintf(e.sock, sizeof(e.sock), "%s/i%u.sock", dir, ci);
	if (!c->host_dut) {
		snprintf(e.dname, sizeof(e.dname), "net_tandem_virtio%u", ci);
		snprintf(e.pname, sizeof(e.pname), "%s%u",
			 c->tandem_peer ? "net_tandem_vhost" : "net_vhost", ci);
		snprintf(args, sizeof(args),
			 "path=%s,server=1,queues=%u,event_idx=%d,packed_vq=%d",
			 e.sock, NQ, c->event_idx, c->packed_vq);
	} else {
		snprintf(e.dname, sizeof(e.dname), "net_tandem_vhost_d%u", ci);
		snprintf(e.pname, sizeof(e.pname), "%s%u",
			 c->tandem_peer ? "net_tandem_virtio"
					: "net_virtio_user",
			 ci);
		snprintf(args, sizeof(args), "iface=%s,queues=%u", e.sock, NQ);
	}
	printf("case %u: %s under test, %s peer, %s, event_idx=%d\n", ci,
	       c->host_dut ? "net_tandem_vhost" : "net_tandem_virtio",
	       c->tandem_peer ? "Tandem" : "stock",
	       c->packed_vq ? "packed" : "split",
	       c->host_dut && !c->tandem_peer ? 0 : c->event_idx);
	if (rte_vdev_init(e.dname, args) != 0 ||
	    rte_eth_dev_get_port_by_name(e.dname, &e.dport) != 0) {
		fprintf(stderr, "case %u: cannot create %s,%s\n", ci, e.dname,
			args);
		return -1;
	}
	CHECK(port_up(e.dport, true, mp) == 0, "case %u: port setup", ci);
	if (peer_up(&e) != 0) {
		CHECK(false, "case %u: back-end setup", ci);
		goto out;
	}
	CHECK(wait_link(e.dport, true), "case %u: guest link not up", ci);
	for (q = 0; q < NQ; q++)
		CHECK(rte_eth_dev_rx_intr_ctl_q(
			      e.dport, q, RTE_EPOLL_PER_THREAD,
			      RTE_INTR_EVENT_ADD,
			      (void *)(uintptr_t)(q + 1)) == 0,
		      "case %u: rx_intr_ctl_q ADD %u", ci, q);
	/* A guest is not called while setting up; a host's sleepers are
	 * woken when the rings start (they must arm the new rings). */
	w = c->host_dut ? wakeups_until(start_wakes, 3000) | wakeups(200)
			: wakeups(50);
	CHECK(w == start_wakes,
	      "case %u: woken before anything was armed: mask %d, expected "
	      "%d",
	      ci, w, start_wakes);

	armed_rounds(&e, "first peer");
	for (q = 0; q < NQ && !c->host_dut; q++)
		CHECK(xstat(e.dport, q, "intr_self_wakes") == 0,
		      "case %u: intr_self_wakes %" PRIu64 " on queue %u with "
		      "nothing waiting at arm time",
		      ci, xstat(e.dport, q, "intr_self_wakes"), q);
	CHECK(c->host_dut || xstat(e.dport, 0, "intr_arms") >= 6,
	      "case %u: intr_arms %" PRIu64, ci,
	      xstat(e.dport, 0, "intr_arms"));

	/* Disarmed: the back-end does not call. Arming with buffers
	 * already waiting wakes at once, counted. */
	CHECK(rte_eth_dev_rx_intr_enable(e.dport, 1) == 0, "case %u: enable",
	      ci);
	wakes0 = xstat(e.dport, 0, "intr_self_wakes");
	first = peer_send(&e, 0, 5);
	w = wakeups(150);
	CHECK(w == 0, "case %u: queue 0 disarmed, woken (mask %d)", ci, w);
	CHECK(rte_eth_dev_rx_intr_enable(e.dport, 0) == 0, "case %u: enable",
	      ci);
	w = wakeups(100);
	CHECK(w == 1, "case %u: armed with 5 packets waiting: mask %d", ci, w);
	CHECK(c->host_dut || xstat(e.dport, 0, "intr_self_wakes") == wakes0 + 1,
	      "case %u: intr_self_wakes %" PRIu64 ", expected %" PRIu64, ci,
	      xstat(e.dport, 0, "intr_self_wakes"), wakes0 + 1);
	CHECK(rte_eth_dev_rx_intr_disable(e.dport, 0) == 0, "case %u", ci);
	CHECK(rte_eth_dev_rx_intr_disable(e.dport, 1) == 0, "case %u", ci);
	dut_recv(&e, 0, 5, first, "armed late");

	/* Port stop/start: the same fds, still in epoll. */
	CHECK(rte_eth_dev_stop(e.dport) == 0, "case %u: stop", ci);
	CHECK(rte_eth_dev_rx_intr_enable(e.dport, 0) == -EINVAL,
	      "case %u: rx_intr_enable on a stopped port not refused", ci);
	CHECK(rte_eth_dev_start(e.dport) == 0, "case %u: start", ci);
	CHECK(wait_link(e.dport, true), "case %u: link after restart", ci);
	armed_rounds(&e, "after restart");

	/* A new peer: the guest's call fds go to the new back-end, and a
	 * queue armed across the change stays armed (the new back-end calls
	 * for it). A host's rings start anew: its sleepers are woken to arm
	 * them (the new guest is asked not to kick until then). */
	CHECK(rte_eth_dev_rx_intr_enable(e.dport, 0) == 0, "case %u: enable",
	      ci);
	peer_down(&e);
	CHECK(wait_link(e.dport, false), "case %u: link stays up", ci);
	w = wakeups(50); /* a host's rings stopped: nothing to check */
	if (peer_up(&e) != 0) {
		CHECK(false, "case %u: second back-end setup", ci);
		goto out;
	}
	CHECK(wait_link(e.dport, true), "case %u: link after reconnect", ci);
	w = c->host_dut ? wakeups_until(start_wakes, 3000) | wakeups(200)
			: wakeups(50);
	CHECK(!c->host_dut || w == start_wakes,
	      "case %u: ring restart woke mask %d, expected %d", ci, w,
	      start_wakes);
	if (c->host_dut)
		CHECK(rte_eth_dev_rx_intr_enable(e.dport, 0) == 0,
		      "case %u: enable", ci);
	first = peer_send(&e, 0, 4);
	w = wakeups(2000);
	CHECK(w == 1, "case %u: armed across a reconnect: wake-up mask %d", ci,
	      w);
	CHECK(rte_eth_dev_rx_intr_disable(e.dport, 0) == 0, "case %u", ci);
	dut_recv(&e, 0, 4, first, "armed across a reconnect");
	armed_rounds(&e, "second peer");
	peer_down(&e);
	CHECK(wait_link(e.dport, false),
	      "case %u: link still up after the peer left", ci);
out:
	/* Closed with its fds still registered: close takes them out. */
	rte_eth_dev_stop(e.dport);
	rte_eth_dev_close(e.dport);
	rte_vdev_uninit(e.dname);
	unlink(e.sock);
	return 0;
}

/* Poll mode refuses the interrupt calls; a stopped port refuses to arm
 * but disarms; a configure to fewer queues or without interrupts closes
 * the fds (and takes them out of epoll). Either PMD, without a peer. */
static void
check_refusals(const char *dir, struct rte_mempool *mp, bool host)
{
	char sock[256], args[300];
	const char *name =
		host ? "net_tandem_vhost_refuse" : "net_tandem_virtio_refuse";
	/* The guest's queues hold a kick eventfd each, the host's none. */
	const int kick_fds_per_pair = host ? 0 : 2;
	uint16_t port;
	int fds;

	snprintf(sock, sizeof(sock), "%s/r%d.sock", dir, host);
	if (host)
		snprintf(args, sizeof(args), "iface=%s,queues=%u", sock, NQ);
	else
		snprintf(args, sizeof(args), "path=%s,server=1,queues=%u", sock,
			 NQ);
	if (rte_vdev_init(name, args) != 0 ||
	    rte_eth_dev_get_port_by_name(name, &port) != 0) {
		CHECK(false, "cannot create %s", name);
		return;
	}
	CHECK(port_up(port, false, mp) == 0, "poll-mode port setup");
	CHECK(rte_eth_dev_rx_intr_enable(port, 0) == -ENOTSUP,
	      "rx_intr_enable without intr_conf.rxq not refused");
	CHECK(rte_eth_dev_rx_intr_ctl_q(port, 0, RTE_EPOLL_PER_THREAD,
					RTE_INTR_EVENT_ADD, NULL) == -ENOTSUP,
	      "rx_intr_ctl_q without intr_conf.rxq not refused");
	CHECK(rte_eth_dev_stop(port) == 0, "stop");
	fds = tt_count_fds();
	CHECK(port_up(port, true, mp) == 0, "interrupt-mode port setup");
	CHECK(tt_count_fds() == fds + NQ,
	      "interrupt mode opened %d fds, not %d", tt_count_fds() - fds, NQ);
	CHECK(rte_eth_dev_rx_intr_ctl_q(port, 0, RTE_EPOLL_PER_THREAD,
					RTE_INTR_EVENT_ADD, (void *)1) == 0,
	      "rx_intr_ctl_q ADD");
	CHECK(rte_eth_dev_rx_intr_enable(port, 0) == 0, "rx_intr_enable");
	CHECK(rte_eth_dev_stop(port) == 0, "stop");
	CHECK(rte_eth_dev_rx_intr_enable(port, 0) == -EINVAL,
	      "%s: rx_intr_enable on a stopped port not refused", name);
	CHECK(rte_eth_dev_rx_intr_disable(port, 0) == 0,
	      "%s: rx_intr_disable on a stopped port refused", name);
	/* One queue pair: one fd, the two old ones closed (and the released
	 * pair's kick fds: fds counted two pairs in poll mode). */
	CHECK(port_up_n(port, true, mp, 1) == 0, "one queue pair");
	CHECK(tt_count_fds() == fds - kick_fds_per_pair + 1,
	      "%s, one queue pair: %d fds, expected %d", name, tt_count_fds(),
	      fds - kick_fds_per_pair + 1);
	CHECK(rte_eth_dev_rx_intr_ctl_q(port, 0, RTE_EPOLL_PER_THREAD,
					RTE_INTR_EVENT_ADD, (void *)1) == 0,
	      "rx_intr_ctl_q ADD after a reconfigure");
	CHECK(rte_eth_dev_stop(port) == 0, "stop");
	CHECK(port_up(port, false, mp) == 0, "back to poll mode");
	CHECK(tt_count_fds() == fds, "poll mode again: %d fds, %d before",
	      tt_count_fds(), fds);
	CHECK(rte_eth_dev_rx_intr_enable(port, 0) == -ENOTSUP,
	      "rx_intr_enable after turning interrupts off not refused");
	CHECK(wakeups(50) == 0, "woken by a port in poll mode");
	rte_eth_dev_stop(port);
	rte_eth_dev_close(port);
	rte_vdev_uninit(name);
	unlink(sock);
}

int
main(int argc, char **argv)
{
	char dir[] = "/tmp/tv-intr-XXXXXX";
	struct rte_mempool *mp;
	int fds_before = 0;
	unsigned int i;

	if (tt_start(argc, argv, 2,
		     "<librte_net_tandem_virtio.so> "
		     "<librte_net_tandem_vhost.so>",
		     "tvintr", dir) != 0)
		return 1;
	mp = rte_pktmbuf_pool_create("intr", 4095, 0, 0,
				     RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (mp == NULL) {
		CHECK(false, "no mempool");
		return tt_end(dir, NULL, 0, 0);
	}
	for (i = 0; i < RTE_DIM(cases); i++) {
		/* After the first case: the vhost libraries and the
		 * interrupt thread have opened what they keep. */
		if (i == 1)
			fds_before = tt_count_fds();
		if (run_case(i, dir, mp) != 0) {
			failures++;
			break;
		}
	}
	check_refusals(dir, mp, false);
	check_refusals(dir, mp, true);
	return tt_end(dir, mp, fds_before, RTE_DIM(cases));
}
