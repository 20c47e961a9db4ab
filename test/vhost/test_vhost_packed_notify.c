/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * test_vhost_packed's notifications on packed rings (virtio 1.2, 2.8.10
 * and 2.8.14; see test_vhost_packed.c for the whole test): calls as the
 * driver's event suppression structure asks, counted on the call
 * eventfd, and the device's structure as lib/vhost writes it (DISABLE
 * while polling, ENABLE while armed by tvh_vq_notify_arm).
 */
#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <rte_mbuf.h>

#include "test_vhost_packed.h"

static uint64_t
calls_read(struct mg *g, uint32_t vq)
{
	uint64_t v = 0;

	if (read(g->vq[vq].call_fd, &v, sizeof(v)) != sizeof(v))
		CHECK(errno == EAGAIN, "call fd read: %s", strerror(errno));
	return v;
}

/* One burst on vq of k buffers (transmit: 1 or 2 descriptors each);
 * returns how far the used index moved. */
static uint16_t
burst(struct mg *g, uint32_t vq, uint32_t k, uint32_t seed)
{
	static uint8_t pkt[8][1024];
	uint32_t lens[8];
	uint16_t ids[8];
	uint16_t old = g->vq[vq].used_seen;

	CHECK(k <= 8, "burst");
	if (tv_net_vq_is_guest_tx(vq)) {
		for (uint32_t i = 0; i < k; i++) {
			lens[i] = 60 + i;
			mg_fill(pkt[i], lens[i], seed + i);
			ids[i] = mg_pk_tx_post(g, 1,
					       (seed + i) % 2 ? MG_TX_HDR_OWN
							      : MG_TX_HDR_SAME,
					       pkt[i], lens[i], HDR, 0);
		}
		tx_take(g, k, pkt, lens, ids, k, "notify burst");
	} else {
		struct rte_mbuf *m[8];

		for (uint32_t i = 0; i < k; i++) {
			ids[i] = mg_pk_rx_post(g, 0, 1, 256, false);
			lens[i] = 60 + i;
			mg_fill(pkt[i], lens[i], seed + i);
			m[i] = mg_mbuf_from(mp, pkt[i], lens[i]);
		}
		CHECK(tvh_enqueue_burst(dev, 0, m, (uint16_t)k) == k,
		      "notify burst");
		rte_pktmbuf_free_bulk(m, k);
		for (uint32_t i = 0; i < k; i++)
			rx_expect(g, ids + i, 1, 256, pkt[i], lens[i],
				  "notify burst");
	}
	mg_round_reset(g);
	return (uint16_t)(g->vq[vq].used_seen - old);
}

static void
test_calls(struct mg *g)
{
	static const int offsets[] = {0, 1, -1, 2, 3, 5, -5, 8, 12, -12, 4};

	for (uint32_t vq = 0; vq < 2; vq++) {
		struct tv_packed_event *drv = g->vq[vq].pring.driver;
		uint64_t calls0 = vq_stats(vq).calls, calls = 0;
		uint64_t supp0 = vq_stats(vq).calls_suppressed;
		struct rte_mbuf *m;

		CHECK(g->vq[vq].pring.device->flags ==
			      TV_PACKED_EVENT_FLAG_DISABLE,
		      "vring %u: device area 0x%x after start, not DISABLE", vq,
		      g->vq[vq].pring.device->flags);
		calls_read(g, vq);
		drv->flags = TV_PACKED_EVENT_FLAG_ENABLE;
		for (uint32_t k = 1; k <= 4; k++) {
			burst(g, vq, k, k);
			CHECK(calls_read(g, vq) == 1,
			      "vring %u ENABLE: no call", vq);
			calls++;
		}
		/* A burst that used nothing calls nobody. */
		if (tv_net_vq_is_guest_tx(vq)) {
			CHECK(tvh_dequeue_burst(dev, 1, mp, &m, 1) == 0,
			      "empty");
		} else {
			static uint8_t p[64];

			enqueue_one(p, sizeof(p), 0, "no room");
		}
		CHECK(calls_read(g, vq) == 0, "vring %u: call for nothing", vq);
		drv->flags = TV_PACKED_EVENT_FLAG_DISABLE;
		for (uint32_t k = 1; k <= 4; k++) {
			burst(g, vq, k, 10 + k);
			CHECK(calls_read(g, vq) == 0, "vring %u DISABLE: call",
			      vq);
		}
		CHECK(vq_stats(vq).calls_suppressed == supp0 + 4,
		      "vring %u: suppressed %lu", vq,
		      vq_stats(vq).calls_suppressed - supp0);
		/* DESC: a call when the named descriptor was used, on a
		 * 16-descriptor ring round and round its wrap. */
		drv->flags = TV_PACKED_EVENT_FLAG_DESC;
		for (uint32_t r = 0; r < 120; r++) {
			uint16_t old = g->vq[vq].used_seen;
			int off = offsets[r % RTE_DIM(offsets)];
			uint16_t target = (uint16_t)(old + off);
			uint32_t k = 1 + r % 5;
			uint16_t moved;
			bool want;

			drv->off_wrap = (uint16_t)mg_pk_base_of(target, SMALL);
			moved = burst(g, vq, k, 100 + r);
			want = (uint16_t)(target - old) < moved;
			CHECK(calls_read(g, vq) == want,
			      "vring %u DESC at %u (wrap %d), used %u -> %u: "
			      "call %d expected",
			      vq, target % SMALL, mg_pk_wrap(target, SMALL),
			      old % SMALL, (old + moved) % SMALL, want);
			calls += want;
		}
		CHECK(vq_stats(vq).calls == calls0 + calls,
		      "vring %u: calls %lu, expected %lu", vq,
		      vq_stats(vq).calls - calls0, calls);
		drv->flags = TV_PACKED_EVENT_FLAG_ENABLE;
	}
	printf("ok calls: ENABLE, DISABLE, DESC with EVENT_IDX across the "
	       "wrap\n");
}

/* The driver's side of making a buffer available (section 2.8.10):
 * kick unless the device's structure says DISABLE. */
static bool
post_and_maybe_kick(struct mg *g, uint8_t *pkt, uint16_t *id)
{
	const uint64_t one = 1;

	mg_fill(pkt, 100, 9);
	*id = mg_pk_tx_post(g, 1, MG_TX_HDR_SAME, pkt, 100, HDR, 0);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__atomic_load_n(&g->vq[1].pring.device->flags, __ATOMIC_RELAXED) ==
	    TV_PACKED_EVENT_FLAG_DISABLE)
		return false;
	CHECK(write(g->vq[1].kick_fd, &one, sizeof(one)) == sizeof(one),
	      "kick");
	return true;
}

static void
take_one(struct mg *g, const uint8_t *pkt, uint16_t id)
{
	struct rte_mbuf *m;

	CHECK(tvh_dequeue_burst(dev, 1, mp, &m, 4) == 1, "take one");
	CHECK(mg_mbuf_cmp(m, pkt, 100) == 0, "payload");
	rte_pktmbuf_free(m);
	expect_used(g, 1, id, 0, "take one");
	mg_round_reset(g);
}

static void
test_arm(struct mg *g)
{
	const uint16_t *dflags = &g->vq[1].pring.device->flags;
	int wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	struct tvh_vq_extra_stats xs;
	uint8_t pkt[100];
	uint16_t id;

	CHECK(wake >= 0, "eventfd");
	CHECK(tvh_vq_set_wake_fd(dev, 1, wake) == 0, "set_wake_fd");
	(void)mg_fd_woken(wake, 10);
	CHECK(*dflags == TV_PACKED_EVENT_FLAG_DISABLE, "device area 0x%x",
	      *dflags);
	/* Nothing available: the caller may sleep; the front-end is asked
	 * to kick, and its kick wakes. */
	CHECK(tvh_vq_notify_arm(dev, 1, true) == 0, "pending with nothing");
	CHECK(*dflags == TV_PACKED_EVENT_FLAG_ENABLE, "armed: 0x%x", *dflags);
	CHECK(post_and_maybe_kick(g, pkt, &id), "no kick while armed");
	CHECK(mg_fd_woken(wake, 2000), "kick did not wake");
	CHECK(tvh_vq_notify_arm(dev, 1, false) == 0, "disarm");
	CHECK(*dflags == TV_PACKED_EVENT_FLAG_DISABLE, "disarmed: 0x%x",
	      *dflags);
	take_one(g, pkt, id);
	/* Disarmed: no kick. A buffer already there: arming says so. */
	CHECK(!post_and_maybe_kick(g, pkt, &id), "kicked while disarmed");
	CHECK(!mg_fd_woken(wake, 50), "woken while disarmed");
	CHECK(tvh_vq_notify_arm(dev, 1, true) == 1, "pending not reported");
	CHECK(*dflags == TV_PACKED_EVENT_FLAG_ENABLE, "armed: 0x%x", *dflags);
	CHECK(tvh_vq_notify_arm(dev, 1, false) == 0, "disarm");
	CHECK(*dflags == TV_PACKED_EVENT_FLAG_DISABLE, "disarmed: 0x%x",
	      *dflags);
	take_one(g, pkt, id);
	/* Bursts leave the structure alone. */
	CHECK(tvh_vq_notify_arm(dev, 1, true) == 0, "arm again");
	burst(g, 1, 3, 50);
	CHECK(*dflags == TV_PACKED_EVENT_FLAG_ENABLE, "burst changed 0x%x",
	      *dflags);
	CHECK(tvh_vq_notify_arm(dev, 1, false) == 0, "disarm");
	CHECK(tvh_vq_extra_stats_get(dev, 1, &xs) == 0 && xs.kicks == 1,
	      "kicks %lu, sent 1", xs.kicks);
	CHECK(tvh_vq_set_wake_fd(dev, 1, -1) == 0, "set_wake_fd -1");
	close(wake);
	printf("ok tvh_vq_notify_arm: ENABLE / DISABLE in the device area, "
	       "kick wakes, pending reported\n");
}

void
notify_session(struct mg *g)
{
	test_calls(g);
	test_arm(g);
}
