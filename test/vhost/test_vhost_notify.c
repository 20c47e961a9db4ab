/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * Notifications and ring states:
 *  - calls with EVENT_IDX: after every burst the back-end calls exactly
 *    when tv_need_event(used_event, new, old) says so, with used_event
 *    moved ahead, onto the boundaries, backwards (as Linux's
 *    virtio_disable_cb does) and across the 2^16 wrap; checked on the
 *    call eventfd's counter, on both directions;
 *  - calls without EVENT_IDX: one per burst unless NO_INTERRUPT is set;
 *  - a polling front-end gets no call and sends no kick over 100k
 *    packets, with and without EVENT_IDX (the mock kicks exactly when the
 *    spec says a driver must, reading used->flags / avail_event), and the
 *    back-end's kick counter counts the kicks that do arrive;
 *  - a started but disabled ring (vhost-user "Ring states"), never
 *    enabled or disabled while running: the receive ring gets nothing;
 *    transmitted packets wait in the ring (default) and are delivered
 *    once it is enabled, or with tvh_config.disabled_tx_discard are
 *    consumed and discarded (returned with length 0, counted, never
 *    delivered); after ENABLE 1 the rings carry traffic, byte-exact;
 *  - interrupt mode (tvh_vq_set_wake_fd, tvh_vq_notify_arm), with and
 *    without EVENT_IDX: a ring start wakes the sleeper (the mock never
 *    kicks at set-up); arming writes the request the mock reads, so its
 *    next publish kicks and the kick reaches the wake fd (counted in
 *    kicks); disarmed, it does not kick and nothing wakes; arming with
 *    buffers already published answers "pending"; without a wake fd kicks
 *    only count.
 * Every mbuf is back in its pool and no fd is left open at the end.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_mbuf.h>

#include "mock_guest.h"

#define RING	256
#define HDR_LEN 12
#define POOL_N	1023

static struct rte_mempool *mp;
static struct tvh_dev *dev;
static const char *path;

static uint64_t
calls_read(struct mg *g, uint32_t vq)
{
	uint64_t v = 0;

	if (read(g->vq[vq].call_fd, &v, sizeof(v)) != sizeof(v))
		CHECK(errno == EAGAIN, "call fd read: %s", strerror(errno));
	return v;
}

static uint16_t *
used_event(struct mg *g, uint32_t vq)
{
	return tv_split_used_event(&g->vq[vq].ring);
}

static uint16_t
avail_event(struct mg *g, uint32_t vq)
{
	return *(volatile uint16_t *)tv_split_avail_event(&g->vq[vq].ring);
}

/* The driver's side of publishing avail->idx (virtio 1.2, 2.7.13): kick
 * if the device wants it. Returns 1 if it kicked. */
static int
publish_and_maybe_kick(struct mg *g, uint32_t vq, uint16_t old_avail)
{
	struct mg_vq *q = &g->vq[vq];
	bool kick;

	mg_avail_publish(g, vq);
	/* Full barrier between publishing and reading the device's
	 * suppression state, as a driver must. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (tv_has_feature(g->features, TV_F_RING_EVENT_IDX))
		kick = tv_need_event(avail_event(g, vq), q->avail_idx,
				     old_avail);
	else
		kick = !(q->ring.used->flags & TV_USED_F_NO_NOTIFY);
	if (kick) {
		uint64_t one = 1;

		CHECK(write(q->kick_fd, &one, sizeof(one)) == sizeof(one),
		      "kick");
	}
	return kick;
}

/* k packets through the guest's TX ring (vq 1) and back through its RX
 * ring (vq 0), payload checked; returns kicks the guest sent. */
static int
round_trip(struct mg *g, uint32_t k, uint32_t seed)
{
	static uint8_t pkt[64][128];
	struct rte_mbuf *m[64];
	uint16_t old_tx = g->vq[1].avail_idx, old_rx = g->vq[0].avail_idx;
	int kicks = 0;
	uint16_t n;

	CHECK(k <= 64, "round too big");
	mg_round_reset(g);
	for (uint32_t i = 0; i < k; i++) {
		mg_fill(pkt[i], 100, seed + i);
		mg_tx_post(g, 1, MG_TX_HDR_SAME, pkt[i], 100, HDR_LEN);
		mg_rx_post(g, 0, 1, 256);
	}
	kicks += publish_and_maybe_kick(g, 1, old_tx);
	kicks += publish_and_maybe_kick(g, 0, old_rx);
	n = tvh_dequeue_burst(dev, 1, mp, m, (uint16_t)k);
	CHECK(n == k, "dequeued %u of %u", n, k);
	CHECK(tvh_enqueue_burst(dev, 0, m, n) == n, "enqueue");
	rte_pktmbuf_free_bulk(m, n);
	for (uint32_t i = 0; i < k; i++) {
		uint8_t back[HDR_LEN + 100];
		uint32_t id, len;

		CHECK(mg_used_next(g, 1, &id, &len) && len == 0, "tx used");
		CHECK(mg_used_next(g, 0, &id, &len) && len == sizeof(back),
		      "rx used %u", len);
		mg_chain_read(g, 0, (uint16_t)id, back, sizeof(back));
		CHECK(memcmp(back + HDR_LEN, pkt[i], 100) == 0, "payload");
	}
	return kicks;
}

/* Restart both rings at avail/used index `base` (a front-end may choose
 * any base), without calls pending. */
static void
rebase(struct mg *g, uint16_t base)
{
	for (uint32_t vq = 0; vq < 2; vq++) {
		uint32_t id, len;

		mg_vq_stop(g, vq);
		while (mg_used_next(g, vq, &id, &len))
			;
		g->vq[vq].avail_idx = base;
		g->vq[vq].used_seen = base;
		g->vq[vq].ring.used->idx = base;
		g->vq[vq].ring.avail->idx = base;
		CHECK(mg_vq_setup(g, vq, RING) == 0, "rebase %u", vq);
		calls_read(g, vq);
	}
}

/* With EVENT_IDX: one burst of k on both rings with used_event at
 * old + delta (mod 2^16); the call count must match tv_need_event. */
static void
event_case(struct mg *g, int delta, uint32_t k)
{
	uint16_t old1 = g->vq[1].used_seen, old0 = g->vq[0].used_seen;
	uint16_t ev1 = (uint16_t)(old1 + delta), ev0 = (uint16_t)(old0 + delta);
	bool want1, want0;
	uint64_t c1, c0;

	*used_event(g, 1) = ev1;
	*used_event(g, 0) = ev0;
	round_trip(g, k, (uint32_t)delta + 1000);
	want1 = tv_need_event(ev1, (uint16_t)(old1 + k), old1);
	want0 = tv_need_event(ev0, (uint16_t)(old0 + k), old0);
	c1 = calls_read(g, 1);
	c0 = calls_read(g, 0);
	CHECK(c1 == want1 && c0 == want0,
	      "used %u->%u event %u (delta %d): calls tx %lu rx %lu, "
	      "expected %d %d",
	      old1, old1 + k, ev1, delta, c1, c0, want1, want0);
}

static void
test_event_idx_calls(struct mg *g)
{
	/* Ahead, on both ends of [old, new), beyond, then backwards (a
	 * guest disabling callbacks leaves used_event behind), and forward
	 * again: the back-end keeps no stale copy of used_event. */
	static const int deltas[] = {0,	   1, 7,      8, 9,	100,	-1,
				     -100, 0, -30000, 3, 32767, -32768, 5};
	uint16_t bases[] = {0, 65530, 65535};

	for (uint32_t b = 0; b < RTE_DIM(bases); b++) {
		rebase(g, bases[b]);
		for (uint32_t i = 0; i < RTE_DIM(deltas); i++)
			event_case(g, deltas[i], 8);
		/* A burst of one, exactly on and just past the event. */
		event_case(g, 0, 1);
		event_case(g, 1, 1);
		event_case(g, -1, 1);
	}
	printf("ok EVENT_IDX: calls follow used_event in every direction\n");
}

static void
test_no_event_idx_calls(struct mg *g)
{
	for (int i = 0; i < 4; i++) {
		bool quiet = i & 1;

		g->vq[1].ring.avail->flags =
			quiet ? TV_AVAIL_F_NO_INTERRUPT : 0;
		g->vq[0].ring.avail->flags =
			quiet ? TV_AVAIL_F_NO_INTERRUPT : 0;
		round_trip(g, 8, (uint32_t)i);
		CHECK(calls_read(g, 1) == !quiet && calls_read(g, 0) == !quiet,
		      "NO_INTERRUPT %d not honoured", quiet);
	}
	CHECK(g->vq[0].ring.used->flags & TV_USED_F_NO_NOTIFY,
	      "NO_NOTIFY not set without EVENT_IDX");
	CHECK(g->vq[1].ring.used->flags & TV_USED_F_NO_NOTIFY,
	      "NO_NOTIFY not set without EVENT_IDX");
	printf("ok no EVENT_IDX: NO_INTERRUPT honoured, NO_NOTIFY set\n");
}

/* A polling guest: no calls and no kicks over `total` packets. */
static void
test_polling(struct mg *g, const char *what, uint32_t total)
{
	bool ev = tv_has_feature(g->features, TV_F_RING_EVENT_IDX);
	struct tvh_vq_extra_stats xs0, xs1;
	struct tvh_vq_stats st;
	uint64_t before_calls[2];
	int kicks = 0;

	for (uint32_t vq = 0; vq < 2; vq++) {
		tvh_vq_stats_get(dev, vq, &st);
		before_calls[vq] = st.calls;
		calls_read(g, vq);
		g->vq[vq].ring.avail->flags = TV_AVAIL_F_NO_INTERRUPT;
	}
	for (uint32_t done = 0; done < total; done += 32) {
		if (ev) {
			/* Keep used_event just behind what was seen, the
			 * way the back-end keeps avail_event. */
			*used_event(g, 1) = (uint16_t)(g->vq[1].used_seen - 1);
			*used_event(g, 0) = (uint16_t)(g->vq[0].used_seen - 1);
		}
		kicks += round_trip(g, 32, done);
	}
	CHECK(kicks == 0, "%s: guest had to kick %d times in %u packets", what,
	      kicks, total);
	for (uint32_t vq = 0; vq < 2; vq++) {
		tvh_vq_stats_get(dev, vq, &st);
		CHECK(st.calls == before_calls[vq] && calls_read(g, vq) == 0,
		      "%s: vq %u called %lu times", what, vq,
		      st.calls - before_calls[vq]);
	}
	if (ev) {
		/* avail_event was rewritten as the ring went round, and
		 * stays just behind: at most the rearm distance plus a
		 * burst. */
		for (uint32_t vq = 0; vq < 2; vq++) {
			uint16_t d = (uint16_t)(g->vq[vq].avail_idx -
						avail_event(g, vq));

			CHECK(d >= 1 && d <= 0x4000 + 32,
			      "%s: vq %u avail_event %u, avail idx %u", what,
			      vq, avail_event(g, vq), g->vq[vq].avail_idx);
		}
	}
	/* The kick counter counts what does arrive. */
	CHECK(tvh_vq_extra_stats_get(dev, 1, &xs0) == 0, "extra stats");
	for (int i = 0; i < 3; i++) {
		uint64_t one = 1;

		CHECK(write(g->vq[1].kick_fd, &one, sizeof(one)) == 8, "kick");
	}
	CHECK(tvh_vq_extra_stats_get(dev, 1, &xs1) == 0, "extra stats");
	CHECK(xs1.kicks == xs0.kicks + 3, "kicks counted %lu, expected %lu",
	      xs1.kicks, xs0.kicks + 3);
	printf("ok %s: %u packets, 0 calls, 0 kicks (3 forced kicks "
	       "counted)\n",
	       what, total);
}

static struct tvh_dev *new_dev(bool discard);

/* k packets of 100 bytes into TX ring 1, published the driver's way;
 * returns whether it kicked. */
static int
post_tx(struct mg *g, uint32_t k, uint32_t seed, uint8_t pkt[][128])
{
	uint16_t old = g->vq[1].avail_idx;

	mg_round_reset(g);
	for (uint32_t i = 0; i < k; i++) {
		mg_fill(pkt[i], 100, seed + i);
		mg_tx_post(g, 1, MG_TX_HDR_SAME, pkt[i], 100, HDR_LEN);
	}
	return publish_and_maybe_kick(g, 1, old);
}

static void
take_tx(struct mg *g, uint32_t k, uint8_t pkt[][128])
{
	struct rte_mbuf *m[16];
	uint16_t n = tvh_dequeue_burst(dev, 1, mp, m, 16);
	uint32_t id, len;

	CHECK(n == k, "interrupt mode: dequeued %u of %u", n, k);
	for (uint16_t i = 0; i < n; i++) {
		CHECK(mg_mbuf_cmp(m[i], pkt[i], 100) == 0, "payload %u", i);
		CHECK(mg_used_next(g, 1, &id, &len), "tx used");
	}
	rte_pktmbuf_free_bulk(m, n);
}

static void
test_wake(bool event_idx, uint64_t features)
{
	static uint8_t pkt[16][128];
	struct tvh_vq_extra_stats xs;
	struct mg g;
	int wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	uint64_t kicks = 0;
	int r;

	CHECK(wake >= 0, "eventfd");
	dev = new_dev(false);
	CHECK(tvh_vq_set_wake_fd(dev, 1, wake) == 0, "set_wake_fd");
	CHECK(tvh_vq_set_wake_fd(dev, 2, wake) == -EINVAL, "vq 2 accepted");
	CHECK(tvh_vq_notify_arm(dev, 1, true) == 0, "arm before any ring");
	mg_init(&g);
	mg_setup(&g, path, features, 2, RING);
	CHECK(mg_fd_woken(wake, 2000), "ring start did not wake (event_idx %d)",
	      event_idx);
	/* Not armed: the ring asks for no kicks, as in poll mode. */
	CHECK(post_tx(&g, 3, 1, pkt) == 0, "kicked while not armed");
	CHECK(!mg_fd_woken(wake, 100), "woken while not armed");
	/* Buffers already published: arming says so (no kick will come). */
	CHECK(tvh_vq_notify_arm(dev, 1, true) == 1, "pending not reported");
	take_tx(&g, 3, pkt);
	for (int round = 0; round < 5; round++) {
		CHECK(tvh_vq_notify_arm(dev, 1, true) == 0, "nothing pending");
		if (event_idx)
			CHECK(avail_event(&g, 1) == g.vq[1].avail_idx,
			      "avail_event %u, armed at %u", avail_event(&g, 1),
			      g.vq[1].avail_idx);
		else
			CHECK(!(g.vq[1].ring.used->flags & TV_USED_F_NO_NOTIFY),
			      "NO_NOTIFY while armed");
		r = post_tx(&g, (uint32_t)(1 + round), 10 + round, pkt);
		CHECK(r == 1, "no kick while armed (round %d)", round);
		kicks += (uint64_t)r;
		CHECK(mg_fd_woken(wake, 2000), "kick did not wake (round %d)", round);
		CHECK(tvh_vq_notify_arm(dev, 1, false) == 0, "disarm");
		take_tx(&g, (uint32_t)(1 + round), pkt);
	}
	if (!event_idx)
		CHECK(g.vq[1].ring.used->flags & TV_USED_F_NO_NOTIFY,
		      "NO_NOTIFY not back after disarming");
	CHECK(post_tx(&g, 2, 40, pkt) == 0, "kicked after disarming");
	CHECK(!mg_fd_woken(wake, 100), "woken after disarming");
	take_tx(&g, 2, pkt);
	CHECK(tvh_vq_extra_stats_get(dev, 1, &xs) == 0 && xs.kicks == kicks,
	      "kicks counted %" PRIu64 ", sent %" PRIu64, xs.kicks, kicks);
	/* A hostile front-end kicks, then empties its kick eventfd itself
	 * and makes it blocking again: the relay must not read it (a read
	 * would block the control thread, which every device shares, with
	 * its lock held: the stats call below would never return). */
	{
		int kfd = g.vq[1].kick_fd, fl = fcntl(kfd, F_GETFL);
		uint64_t one = 1, v;

		CHECK(tvh_vq_notify_arm(dev, 1, true) == 0, "arm");
		CHECK(fcntl(kfd, F_SETFL, fl & ~O_NONBLOCK) == 0, "flags");
		CHECK(write(kfd, &one, sizeof(one)) == sizeof(one), "kick");
		CHECK(read(kfd, &v, sizeof(v)) == sizeof(v), "own read");
		/* (A kick it took back itself may wake or not.) */
		(void)mg_fd_woken(wake, 200);
		CHECK(tvh_vq_extra_stats_get(dev, 1, &xs) == 0,
		      "control thread stuck");
		kicks = xs.kicks; /* that kick may or may not be counted */
		/* And the next kick, on the blocking fd, still wakes. */
		r = post_tx(&g, 2, 70, pkt);
		CHECK(r == 1, "no kick while armed");
		kicks += (uint64_t)r;
		CHECK(mg_fd_woken(wake, 2000),
		      "kick on the blocking fd did not wake");
		CHECK(tvh_vq_extra_stats_get(dev, 1, &xs) == 0,
		      "control thread stuck");
		CHECK(fcntl(kfd, F_SETFL, fl) == 0, "flags back");
		CHECK(tvh_vq_notify_arm(dev, 1, false) == 0, "disarm");
		take_tx(&g, 2, pkt);
	}
	/* A restarted ring wakes again (the request was for the old one;
	 * the kick fd it is sent again and the ring start both wake). The
	 * same eventfd sent again is not counted twice. */
	CHECK(tvh_vq_notify_arm(dev, 1, true) == 0, "arm");
	rebase(&g, 0x100);
	CHECK(mg_fd_woken(wake, 2000), "ring restart did not wake");
	CHECK(post_tx(&g, 1, 50, pkt) == 0, "restarted ring still armed");
	take_tx(&g, 1, pkt);
	CHECK(tvh_vq_extra_stats_get(dev, 1, &xs) == 0 && xs.kicks == kicks,
	      "kicks %" PRIu64 " after the kick fd came again, %" PRIu64
	      " before",
	      xs.kicks, kicks);
	/* Without a wake fd nothing relays kicks: arming says "do not
	 * sleep"; kicks are only counted. */
	CHECK(tvh_vq_set_wake_fd(dev, 1, -1) == 0, "set_wake_fd -1");
	CHECK(tvh_vq_notify_arm(dev, 1, true) == 1, "arm without a relay");
	CHECK(post_tx(&g, 1, 60, pkt) == 1, "no kick");
	CHECK(!mg_fd_woken(wake, 100), "woken without a wake fd");
	CHECK(tvh_vq_notify_arm(dev, 1, false) == 0, "disarm");
	take_tx(&g, 1, pkt);
	CHECK(tvh_vq_extra_stats_get(dev, 1, &xs) == 0 && xs.kicks == kicks + 1,
	      "kicks %" PRIu64 ", sent %" PRIu64, xs.kicks, kicks + 1);
	mg_fini(&g);
	tvh_dev_destroy(dev);
	close(wake);
	printf("ok interrupt mode%s: ring starts and kicks wake, disarmed "
	       "rings do not, pending buffers reported, %" PRIu64 " kicks\n",
	       event_idx ? " with EVENT_IDX" : "", kicks + 1);
}

static struct tvh_dev *
new_dev(bool discard)
{
	struct tvh_config cfg = {.n_queue_pairs = 1};
	struct tvh_dev *d;

	cfg.path = path;
	cfg.disabled_tx_discard = discard;
	CHECK(tvh_dev_create(&cfg, NULL, NULL, &d) == 0, "create");
	return d;
}

static void
test_disabled(struct mg *g, bool discard)
{
	uint8_t pkt[3][200];
	struct tvh_vq_extra_stats xs, xs0;
	struct tvh_vq_stats st;
	struct rte_mbuf *m[4];
	uint64_t pkts_before;
	uint32_t id, len;

	tvh_vq_stats_get(dev, 1, &st);
	pkts_before = st.packets;
	CHECK(tvh_vq_extra_stats_get(dev, 1, &xs0) == 0, "extra stats");
	CHECK(!tvh_vq_is_enabled(dev, 0) && !tvh_vq_is_enabled(dev, 1),
	      "disabled rings reported enabled");
	CHECK(!tvh_dev_is_ready(dev), "ready with disabled rings");
	mg_round_reset(g);
	for (int i = 0; i < 3; i++) {
		mg_fill(pkt[i], sizeof(pkt[i]), 77 + i);
		mg_tx_post(g, 1, i == 2 ? MG_TX_CHAIN : MG_TX_HDR_SAME, pkt[i],
			   sizeof(pkt[i]), HDR_LEN);
	}
	mg_avail_publish(g, 1);
	CHECK(tvh_dequeue_burst(dev, 1, mp, m, 4) == 0,
	      "disabled TX ring delivered packets");
	for (int i = 0; i < 3 && discard; i++)
		CHECK(mg_used_next(g, 1, &id, &len) && len == 0,
		      "discarded packet %d not returned", i);
	CHECK(!mg_used_next(g, 1, &id, &len),
	      "used entry from a disabled ring");
	CHECK(tvh_vq_extra_stats_get(dev, 1, &xs) == 0 &&
		      xs.discarded == xs0.discarded + (discard ? 3 : 0),
	      "discarded %lu", xs.discarded - xs0.discarded);
	tvh_vq_stats_get(dev, 1, &st);
	CHECK(st.packets == pkts_before, "discarded packets counted as sent");

	mg_rx_post(g, 0, 1, 2048);
	mg_avail_publish(g, 0);
	m[0] = mg_mbuf_from(mp, pkt[0], sizeof(pkt[0]));
	CHECK(tvh_enqueue_burst(dev, 0, m, 1) == 0,
	      "disabled RX ring took a packet");
	rte_pktmbuf_free(m[0]);
	CHECK(!mg_used_next(g, 0, &id, &len), "disabled RX ring used");

	/* Enable: the buffer posted while disabled is used now. */
	for (uint32_t vq = 0; vq < 2; vq++)
		CHECK(tvu_fe_set_vring_state(g->sock, TVU_SET_VRING_ENABLE, vq,
					     1, true) == 0,
		      "enable");
	CHECK(tvh_vq_is_enabled(dev, 0) && tvh_vq_is_enabled(dev, 1),
	      "not enabled");
	if (!discard) {
		/* What waited in the ring comes out now, in order. */
		CHECK(tvh_dequeue_burst(dev, 1, mp, m, 4) == 3, "waited");
		for (int i = 0; i < 3; i++) {
			CHECK(mg_mbuf_cmp(m[i], pkt[i], sizeof(pkt[i])) == 0,
			      "waiting packet %d", i);
			CHECK(mg_used_next(g, 1, &id, &len) && len == 0,
			      "used %d", i);
		}
		rte_pktmbuf_free_bulk(m, 3);
	}
	mg_tx_post(g, 1, MG_TX_HDR_SAME, pkt[1], sizeof(pkt[1]), HDR_LEN);
	mg_avail_publish(g, 1);
	CHECK(tvh_dequeue_burst(dev, 1, mp, m, 4) == 1 &&
		      mg_mbuf_cmp(m[0], pkt[1], sizeof(pkt[1])) == 0,
	      "enabled TX ring");
	CHECK(tvh_enqueue_burst(dev, 0, m, 1) == 1, "enabled RX ring");
	rte_pktmbuf_free(m[0]);
	CHECK(mg_used_next(g, 1, &id, &len) && len == 0, "tx used");
	CHECK(mg_used_next(g, 0, &id, &len) && len == HDR_LEN + sizeof(pkt[1]),
	      "rx used");
	{
		uint8_t back[HDR_LEN + 200];

		mg_chain_read(g, 0, (uint16_t)id, back, sizeof(back));
		CHECK(memcmp(back + HDR_LEN, pkt[1], 200) == 0, "payload");
	}
}

static void
test_ring_states(bool discard)
{
	const char *mode = discard ? "discard" : "wait";
	uint64_t feat = TV_BIT(TV_F_VERSION_1) | TV_BIT(TV_NET_F_MRG_RXBUF) |
			TV_BIT(TV_F_VHOST_USER_PROTOCOL_FEATURES);
	struct mg g;

	/* Set up, started, never enabled. */
	dev = new_dev(discard);
	mg_init(&g);
	g.no_enable = true;
	mg_setup(&g, path, feat, 2, RING);
	test_disabled(&g, discard);
	printf("ok %s: started but never enabled: RX untouched\n", mode);

	/* Enabled, then disabled while running; base survives. */
	for (uint32_t vq = 0; vq < 2; vq++)
		CHECK(tvu_fe_set_vring_state(g.sock, TVU_SET_VRING_ENABLE, vq,
					     0, true) == 0,
		      "disable");
	test_disabled(&g, discard);
	CHECK(mg_vq_stop(&g, 1) == g.vq[1].avail_idx, "tx base");
	CHECK(mg_vq_stop(&g, 0) == g.vq[0].avail_idx, "rx base");
	printf("ok %s: disabled while running: RX untouched, bases kept\n",
	       mode);
	mg_fini(&g);
	tvh_dev_destroy(dev);
}

int
main(int argc, char **argv)
{
	uint64_t base = TV_BIT(TV_F_VERSION_1) | TV_BIT(TV_NET_F_MRG_RXBUF) |
			TV_BIT(TV_F_IN_ORDER) |
			TV_BIT(TV_F_VHOST_USER_PROTOCOL_FEATURES);
	struct mg g;
	int fds;

	mg_eal_init(argv[0], "notify");
	mp = rte_pktmbuf_pool_create("h2notify", POOL_N, 0, 0,
				     RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	CHECK(mp != NULL, "mempool");
	path = mg_sock_path("notify");
	fds = mg_count_fds();

	/* EVENT_IDX. */
	dev = new_dev(false);
	mg_init(&g);
	mg_setup(&g, path, base | TV_BIT(TV_F_RING_EVENT_IDX), 2, RING);
	CHECK(avail_event(&g, 0) == 0xffff && avail_event(&g, 1) == 0xffff,
	      "avail_event after start %u %u (want base - 1)",
	      avail_event(&g, 0), avail_event(&g, 1));
	CHECK(!(g.vq[1].ring.used->flags & TV_USED_F_NO_NOTIFY),
	      "NO_NOTIFY with EVENT_IDX (must use avail_event)");
	test_event_idx_calls(&g);
	rebase(&g, 0);
	test_polling(&g, "EVENT_IDX polling", 100000);
	rebase(&g, 0xff00);
	test_polling(&g, "EVENT_IDX polling across the wrap", 40000);
	mg_fini(&g);
	tvh_dev_destroy(dev);

	/* No EVENT_IDX. */
	dev = new_dev(false);
	mg_init(&g);
	mg_setup(&g, path, base, 2, RING);
	test_no_event_idx_calls(&g);
	test_polling(&g, "NO_INTERRUPT/NO_NOTIFY polling", 100000);
	mg_fini(&g);
	tvh_dev_destroy(dev);

	test_ring_states(false);
	test_ring_states(true);

	test_wake(true, base | TV_BIT(TV_F_RING_EVENT_IDX));
	test_wake(false, base);

	CHECK(rte_mempool_avail_count(mp) == POOL_N, "mbufs leaked: %u",
	      rte_mempool_avail_count(mp));
	CHECK(mg_count_fds() == fds, "fds leaked: %d -> %d", fds,
	      mg_count_fds());
	rte_mempool_free(mp);
	rte_eal_cleanup();
	printf("PASS\n");
	return 0;
}
