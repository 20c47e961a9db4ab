/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * tvhp_qstate.c - net_tandem_vhost's queue state events, one virtqueue at
 * a time: test/vhost's mock front-end (mock_guest.c) enables and disables
 * single virtqueues of a two-queue-pair port, which the stock
 * net_virtio_user (tvhp_test.c) only does a pair at a time.
 *
 * Usage: tvhp_qstate <plugin.so>
 *
 * Checks: each SET_VRING_ENABLE that changes a virtqueue gives a
 * RTE_ETH_EVENT_QUEUE_STATE callback and exactly one event naming it
 * (queue_id = vq / 2, rx for the guest's transmit virtqueues, the new
 * state); a virtqueue switched off and on again before the application
 * looked gives no event, one left off gives one; -1 once drained.
 *
 * And link state events (RTE_ETH_EVENT_INTR_LSC) while the application's
 * callback is busy: 101 changes of the first queue pair that end in the
 * other state give one event, 100 that end where they began give a
 * bounce (two events), each callback seeing its own status (one event
 * per change would give 101 and 100); a change while a bounce is told
 * gives another bounce; a port closed from the first event of a bounce
 * gets no second (its alarm would run on the released port).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_bus_vdev.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>

#include "mock_guest.h"
#include "tvhp_qev.h"

static tvhp_get_queue_event_t get_queue_event;
static unsigned int callbacks; /* QUEUE_STATE callbacks */

/* LSC callbacks: the link status each one saw, in order. Callback number
 * i (from 0) waits while i >= lsc_open (up to 10 s), as a slow
 * application would, with lsc_waiting = i + 1; callback number
 * lsc_close_at closes the port (lsc_close_rc: its return, 1 until then). */
static unsigned int lsc_calls, lsc_waiting;
static unsigned int lsc_open = UINT_MAX, lsc_close_at = UINT_MAX;
static int lsc_close_rc = 1;
static uint16_t lsc_seen[256];

static int
lsc_cb(uint16_t port, enum rte_eth_event_type ev, void *ctx, void *out)
{
	struct rte_eth_link link;
	unsigned int i = __atomic_load_n(&lsc_calls, __ATOMIC_SEQ_CST);
	uint64_t end = rte_get_timer_cycles() + 10 * rte_get_timer_hz();

	RTE_SET_USED(ctx);
	RTE_SET_USED(out);
	if (ev != RTE_ETH_EVENT_INTR_LSC)
		return 0;
	memset(&link, 0, sizeof(link));
	rte_eth_link_get_nowait(port, &link);
	if (i < RTE_DIM(lsc_seen))
		lsc_seen[i] = link.link_status;
	/* Only this (the interrupt) thread writes it. */
	__atomic_store_n(&lsc_calls, i + 1, __ATOMIC_SEQ_CST);
	if (i >= __atomic_load_n(&lsc_open, __ATOMIC_SEQ_CST)) {
		__atomic_store_n(&lsc_waiting, i + 1, __ATOMIC_SEQ_CST);
		while (i >= __atomic_load_n(&lsc_open, __ATOMIC_SEQ_CST) &&
		       rte_get_timer_cycles() < end)
			rte_delay_ms(1);
	}
	if (i == __atomic_load_n(&lsc_close_at, __ATOMIC_SEQ_CST))
		__atomic_store_n(&lsc_close_rc, rte_eth_dev_close(port),
				 __ATOMIC_SEQ_CST);
	return 0;
}

/* Wait (up to 5 s) for a callback after `since`, then for the events to
 * settle, and take them all into ev[] (at most max); returns how many. */
static unsigned int
take_events(uint16_t h, unsigned int since,
	    struct rte_eth_tandem_vhost_queue_event *ev, unsigned int max)
{
	uint64_t end = rte_get_timer_cycles() + 5 * rte_get_timer_hz();
	unsigned int n = 0;

	while (__atomic_load_n(&callbacks, __ATOMIC_SEQ_CST) == since &&
	       rte_get_timer_cycles() < end)
		rte_delay_ms(1);
	CHECK(__atomic_load_n(&callbacks, __ATOMIC_SEQ_CST) > since,
	      "no QUEUE_STATE callback");
	/* The control thread handled the message before the callback ran,
	 * but a later message may still be on its way: take for 100 ms. */
	end = rte_get_timer_cycles() + rte_get_timer_hz() / 10;
	while (rte_get_timer_cycles() < end) {
		CHECK(n < max, "more than %u events", max);
		if (get_queue_event(h, &ev[n]) == 0)
			n++;
		else
			rte_delay_ms(1);
	}
	return n;
}

static void
set_enable(struct mg *g, uint32_t vq, int on)
{
	CHECK(tvu_fe_set_vring_state(g->sock, TVU_SET_VRING_ENABLE, vq,
				     (uint32_t)on, g->reply_ack) == 0,
	      "SET_VRING_ENABLE %u %d", vq, on);
}

/* Wait (up to 5 s) for `calls` LSC callbacks in all, then 100 ms for
 * any more. */
static unsigned int
lsc_settle(unsigned int calls)
{
	uint64_t end = rte_get_timer_cycles() + 5 * rte_get_timer_hz();

	while (__atomic_load_n(&lsc_calls, __ATOMIC_SEQ_CST) < calls &&
	       rte_get_timer_cycles() < end)
		rte_delay_ms(1);
	rte_delay_ms(100);
	return __atomic_load_n(&lsc_calls, __ATOMIC_SEQ_CST);
}

/* Wait (up to 5 s) until LSC callback number i is held. */
static void
lsc_wait_held(unsigned int i, const char *what)
{
	uint64_t end = rte_get_timer_cycles() + 5 * rte_get_timer_hz();

	while (__atomic_load_n(&lsc_waiting, __ATOMIC_SEQ_CST) != i + 1 &&
	       rte_get_timer_cycles() < end)
		rte_delay_ms(1);
	CHECK(__atomic_load_n(&lsc_waiting, __ATOMIC_SEQ_CST) == i + 1,
	      "%s: LSC callback %u never came", what, i);
}

static void
toggle(struct mg *g, uint32_t vq, int pairs, int first)
{
	for (int i = 0; i < pairs; i++) {
		set_enable(g, vq, first);
		set_enable(g, vq, !first);
	}
}

/* Since callback c0, exactly `n` LSC events with the statuses in want[],
 * and the port's status `last` at the end. */
static void
lsc_expect(uint16_t h, unsigned int c0, const uint16_t *want, unsigned int n,
	   uint16_t last, const char *what)
{
	unsigned int got = lsc_settle(c0 + n) - c0;
	struct rte_eth_link link;

	CHECK(got == n, "%s: %u LSC events, expected %u", what, got, n);
	for (unsigned int i = 0; i < n; i++)
		CHECK(lsc_seen[c0 + i] == want[i],
		      "%s: event %u saw link %u, expected %u", what, i,
		      lsc_seen[c0 + i], want[i]);
	memset(&link, 0, sizeof(link));
	CHECK(rte_eth_link_get_nowait(h, &link) == 0, "link get");
	CHECK(link.link_status == last, "%s: link %u at the end", what,
	      link.link_status);
	printf("ok %s: %u LSC events\n", what, got);
}

/* Virtqueue 0 (off, so the link is down) is enabled, which brings the link
 * up; while the application's callback for that holds the interrupt
 * thread, it is switched `pairs` times off and on, then off once more if
 * `end_off`. Expected: the up event, then `expect` events with the
 * statuses in want[] (want[0] is the up event's). */
static void
lsc_busy(struct mg *g, uint16_t h, int pairs, bool end_off,
	 const uint16_t *want, unsigned int expect, const char *what)
{
	unsigned int c0 = lsc_settle(0);

	__atomic_store_n(&lsc_open, c0, __ATOMIC_SEQ_CST);
	set_enable(g, 0, 1);
	lsc_wait_held(c0, what);
	toggle(g, 0, pairs, 0);
	if (end_off)
		set_enable(g, 0, 0);
	__atomic_store_n(&lsc_open, UINT_MAX, __ATOMIC_SEQ_CST);
	lsc_expect(h, c0, want, 1 + expect,
		   end_off ? RTE_ETH_LINK_DOWN : RTE_ETH_LINK_UP, what);
}

/* A change while a bounce's first event is being delivered (its second
 * is an alarm set already): link down, up (held), 100 changes back to
 * up, the bounce's down event held, then down. The guest ended down, the
 * application was last told down: a bounce again. */
static void
lsc_change_in_bounce(struct mg *g, uint16_t h)
{
	static const uint16_t want[] = {RTE_ETH_LINK_UP, RTE_ETH_LINK_DOWN,
					RTE_ETH_LINK_UP, RTE_ETH_LINK_DOWN};
	const char *what = "a change while a bounce is told";
	unsigned int c0 = lsc_settle(0);

	__atomic_store_n(&lsc_open, c0, __ATOMIC_SEQ_CST);
	set_enable(g, 0, 1);
	lsc_wait_held(c0, what);
	toggle(g, 0, 50, 0);
	__atomic_store_n(&lsc_open, c0 + 1, __ATOMIC_SEQ_CST);
	lsc_wait_held(c0 + 1, what);
	set_enable(g, 0, 0);
	__atomic_store_n(&lsc_open, UINT_MAX, __ATOMIC_SEQ_CST);
	lsc_expect(h, c0, want, RTE_DIM(want), RTE_ETH_LINK_DOWN, what);
}

/* A new guest (link up); its first pair's guest RX switched off (held),
 * then 100 changes back to off: a bounce, whose first (up) event closes
 * the port from its callback. Its second must not come (close cancels
 * the alarm set for it; without that it would run on a released port). */
static void
lsc_close_in_bounce(const char *path, uint64_t features)
{
	const char *what = "port closed by the first event of a bounce";
	uint64_t end = rte_get_timer_cycles() + 5 * rte_get_timer_hz();
	struct mg g;
	unsigned int c0, got;

	mg_init(&g);
	mg_setup(&g, path, features, 4, 64);
	c0 = lsc_settle(0);
	CHECK(c0 > 0 && lsc_seen[c0 - 1] == RTE_ETH_LINK_UP,
	      "%s: no link up for the new guest", what);
	__atomic_store_n(&lsc_open, c0, __ATOMIC_SEQ_CST);
	set_enable(&g, 0, 0);
	lsc_wait_held(c0, what);
	toggle(&g, 0, 50, 1);
	__atomic_store_n(&lsc_close_at, c0 + 1, __ATOMIC_SEQ_CST);
	__atomic_store_n(&lsc_open, UINT_MAX, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(&lsc_close_rc, __ATOMIC_SEQ_CST) == 1 &&
	       rte_get_timer_cycles() < end)
		rte_delay_ms(1);
	CHECK(__atomic_load_n(&lsc_close_rc, __ATOMIC_SEQ_CST) == 0,
	      "%s: close from the callback gave %d", what,
	      __atomic_load_n(&lsc_close_rc, __ATOMIC_SEQ_CST));
	got = lsc_settle(c0 + 2) - c0;
	CHECK(got == 2 && lsc_seen[c0] == RTE_ETH_LINK_DOWN &&
		      lsc_seen[c0 + 1] == RTE_ETH_LINK_UP,
	      "%s: %u LSC events, expected down and up", what, got);
	mg_fini(&g);
	printf("ok %s: down, up, nothing after the close\n", what);
}

static void
expect_one(uint16_t h, unsigned int since, uint16_t q, bool rx, bool on,
	   const char *what)
{
	struct rte_eth_tandem_vhost_queue_event ev[16];
	unsigned int n = take_events(h, since, ev, RTE_DIM(ev));

	CHECK(n == 1, "%s: %u events, expected 1", what, n);
	CHECK(ev[0].queue_id == q && ev[0].rx == rx && ev[0].enable == on,
	      "%s: event queue %u rx %d enable %d, expected %u %d %d", what,
	      ev[0].queue_id, ev[0].rx, ev[0].enable, q, rx, on);
	printf("ok %s\n", what);
}

int
main(int argc, char **argv)
{
	char fp[64], dir[64], path[128], args[192];
	char *eal[] = {
		argv[0], "--no-huge", "-m", "256", "--no-pci",
		"-l",	 "0",	      fp,   "-d",  argc > 1 ? argv[1] : "",
		NULL};
	struct rte_eth_tandem_vhost_queue_event ev[16];
	const uint64_t features = TV_BIT(TV_F_VERSION_1) |
				  TV_BIT(TV_F_VHOST_USER_PROTOCOL_FEATURES) |
				  TV_BIT(TV_NET_F_MQ);
	unsigned int since, n;
	struct mg g;
	uint16_t h;

	if (argc < 2) {
		fprintf(stderr, "usage: %s <plugin.so>\n", argv[0]);
		return 2;
	}
	snprintf(fp, sizeof(fp), "--file-prefix=h5q-%d", (int)getpid());
	CHECK(rte_eal_init((int)RTE_DIM(eal) - 1, eal) >= 0, "EAL init");
	get_queue_event = tvhp_find_get_queue_event(argv[1]);
	CHECK(get_queue_event != NULL,
	      "plugin not loaded, or no rte_eth_tandem_vhost_get_queue_event");
	snprintf(dir, sizeof(dir), "/tmp/h5q-%d", (int)getpid());
	mkdir(dir, 0700);
	snprintf(path, sizeof(path), "%s/q.sock", dir);
	snprintf(args, sizeof(args), "iface=%s,queues=2", path);
	CHECK(rte_vdev_init("net_tandem_vhost0", args) == 0, "probe");
	CHECK(rte_eth_dev_get_port_by_name("net_tandem_vhost0", &h) == 0,
	      "port");
	CHECK(rte_eth_dev_callback_register(h, RTE_ETH_EVENT_QUEUE_STATE,
					    tvhp_count_cb, &callbacks) == 0,
	      "register");
	CHECK(rte_eth_dev_callback_register(h, RTE_ETH_EVENT_INTR_LSC, lsc_cb,
					    NULL) == 0,
	      "register LSC");

	/* Four virtqueues set up and enabled: four events, all on. */
	since = __atomic_load_n(&callbacks, __ATOMIC_SEQ_CST);
	mg_init(&g);
	mg_setup(&g, path, features, 4, 64);
	n = take_events(h, since, ev, RTE_DIM(ev));
	CHECK(n == 4, "set-up: %u events, expected 4", n);
	for (unsigned int i = 0; i < n; i++)
		CHECK(ev[i].enable, "set-up: queue %u rx %d off",
		      ev[i].queue_id, ev[i].rx);
	printf("ok set-up: 4 virtqueues on\n");

	/* One at a time: the guest's TX of pair 0 is the port's RX queue
	 * 0; the guest's RX of pair 1 is its TX queue 1. */
	since = __atomic_load_n(&callbacks, __ATOMIC_SEQ_CST);
	set_enable(&g, 1, 0);
	expect_one(h, since, 0, true, false, "virtqueue 1 off: rx queue 0");
	since = __atomic_load_n(&callbacks, __ATOMIC_SEQ_CST);
	set_enable(&g, 2, 0);
	expect_one(h, since, 1, false, false, "virtqueue 2 off: tx queue 1");
	since = __atomic_load_n(&callbacks, __ATOMIC_SEQ_CST);
	set_enable(&g, 1, 1);
	expect_one(h, since, 0, true, true, "virtqueue 1 on: rx queue 0");

	/* Off and on 50 times, then off and on, then off: what the
	 * application takes is the latest state of each, once. */
	since = __atomic_load_n(&callbacks, __ATOMIC_SEQ_CST);
	for (int i = 0; i < 50; i++) {
		set_enable(&g, 3, 0);
		set_enable(&g, 3, 1);
	}
	set_enable(&g, 0, 0);
	expect_one(h, since, 0, false, false,
		   "virtqueue 3 toggled back on, virtqueue 0 off: one event");
	CHECK(get_queue_event(h, &ev[0]) == -1, "an event left");

	/* LSC under a busy application (virtqueue 0 is off: link down). */
	{
		static const uint16_t down[] = {RTE_ETH_LINK_UP,
						RTE_ETH_LINK_DOWN};
		static const uint16_t bounce[] = {
			RTE_ETH_LINK_UP, RTE_ETH_LINK_DOWN, RTE_ETH_LINK_UP};
		static const uint16_t off[] = {RTE_ETH_LINK_DOWN};
		unsigned int c0;

		lsc_busy(&g, h, 50, true, down, 1,
			 "link up, then 101 changes ending down");
		lsc_busy(&g, h, 50, false, bounce, 2,
			 "link up, then 100 changes ending up");
		c0 = lsc_settle(0);
		set_enable(&g, 0, 0);
		lsc_expect(h, c0, off, 1, RTE_ETH_LINK_DOWN, "virtqueue 0 off");
		lsc_change_in_bounce(&g, h);
	}
	/* Virtqueue 0 is off again, as the application was last told: once
	 * its queue state alarms (10 ms) have passed, nothing to take. */
	rte_delay_ms(50);
	CHECK(get_queue_event(h, &ev[0]) == -1,
	      "queue event for queue %u rx %d enable %d after the LSC cases",
	      ev[0].queue_id, ev[0].rx, ev[0].enable);

	since = __atomic_load_n(&callbacks, __ATOMIC_SEQ_CST);
	mg_fini(&g);
	n = take_events(h, since, ev, RTE_DIM(ev));
	/* Off now: 1 and 3 (0 and 2 were off already). */
	CHECK(n == 2, "guest gone: %u events, expected 2", n);
	for (unsigned int i = 0; i < n; i++)
		CHECK(!ev[i].enable && ev[i].rx,
		      "guest gone: queue %u rx %d enable %d", ev[i].queue_id,
		      ev[i].rx, ev[i].enable);
	printf("ok guest gone: the 2 virtqueues still on reported off\n");
	lsc_close_in_bounce(path, features);
	CHECK(rte_vdev_uninit("net_tandem_vhost0") == 0, "uninit");
	rmdir(dir);
	rte_eal_cleanup();
	printf("PASS\n");
	return 0;
}
