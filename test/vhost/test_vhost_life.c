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
#include <sched.h>
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

/* A datapath thread dequeuing on the TX queue while the control thread
 * swaps the memory table and the call fd underneath (the quiesce
 * protocol), with traffic that is checked: the guest posts packets whose
 * length and bytes follow from a sequence number, the thread checks every
 * one of them in order, and each interval between two swaps must deliver
 * Q_PER_SWAP packets. Half of the swaps also move the boundary between
 * the two regions into the packet buffers and list the upper region
 * first, so a back-end that kept translating through the old table (or
 * mixed an old region with a new mapping) reads wrong bytes. */
#define Q_SWAPS	   200
#define Q_PER_SWAP 32
#define Q_HDR	   12 /* virtio-net header with VERSION_1 */
#define Q_LEN_MIN  60u
#define Q_LEN_MAX  1514u
#define Q_BURST	   32
#define Q_WAIT_MS  5000

struct dp_arg {
	struct tvh_dev *dev;
	bool stop;
	uint32_t delivered; /* packets checked, in order */
	uint32_t bad;	    /* wrong length, bytes or sequence number */
	char first_bad[160];
};

/* Packet number seq: its length follows from seq, its payload is seq
 * then bytes seeded by seq, so a packet skipped, served twice, cut or
 * read from the wrong place differs from the one expected. */
static uint32_t
q_len(uint32_t seq)
{
	return Q_LEN_MIN + seq * 97u % (Q_LEN_MAX - Q_LEN_MIN + 1);
}

static void
q_fill(uint8_t *p, uint32_t seq)
{
	memcpy(p, &seq, sizeof(seq));
	mg_fill(p + sizeof(seq), q_len(seq) - sizeof(seq), seq);
}

static void *
dp_thread(void *p)
{
	struct dp_arg *a = p;
	struct rte_mbuf *m[Q_BURST];
	uint8_t want[Q_LEN_MAX];
	uint32_t seq = 0;

	while (!__atomic_load_n(&a->stop, __ATOMIC_ACQUIRE)) {
		uint16_t n = tvh_dequeue_burst(a->dev, 1, mp, m, Q_BURST);

		for (uint16_t i = 0; i < n; i++, seq++) {
			uint32_t got = UINT32_MAX;

			q_fill(want, seq);
			/* Only this thread writes bad; the control thread
			 * reads it (first_bad only after the join). */
			if (mg_mbuf_cmp(m[i], want, q_len(seq)) != 0 &&
			    __atomic_fetch_add(&a->bad, 1, __ATOMIC_RELAXED) ==
				    0) {
				if (rte_pktmbuf_data_len(m[i]) >= sizeof(got))
					memcpy(&got,
					       rte_pktmbuf_mtod(m[i], void *),
					       sizeof(got));
				snprintf(a->first_bad, sizeof(a->first_bad),
					 "packet %u: %u B with seq %u, want "
					 "%u B with seq %u and its bytes",
					 seq, m[i]->pkt_len, got, q_len(seq),
					 seq);
			}
			rte_pktmbuf_free(m[i]);
		}
		__atomic_store_n(&a->delivered, seq, __ATOMIC_RELEASE);
	}
	return NULL;
}

/* The guest's side of the traffic: one descriptor per packet, slot =
 * sequence number modulo RING, each slot with its own buffer; a slot is
 * reused only after its used entry came back (never while the back-end
 * may still read it). */
struct q_guest {
	struct mg *g;
	uint8_t *buf[RING];
	bool busy[RING];
	uint32_t posted;
};

static void
q_reap(struct q_guest *q)
{
	uint32_t id, len;

	while (mg_used_next(q->g, 1, &id, &len)) {
		CHECK(id < RING && q->busy[id], "used id %u was not in flight",
		      id);
		q->busy[id] = false;
	}
}

static void
q_refill(struct q_guest *q)
{
	struct tv_desc *d = q->g->vq[1].ring.desc;
	uint32_t n = 0;

	for (uint16_t s = q->posted % RING; !q->busy[s]; s = q->posted % RING) {
		uint8_t *b = q->buf[s];

		memset(b, 0, Q_HDR);
		q_fill(b + Q_HDR, q->posted);
		d[s].addr = mg_gpa(q->g, b);
		d[s].len = Q_HDR + q_len(q->posted);
		d[s].flags = 0;
		d[s].next = 0;
		mg_avail_add(q->g, 1, s);
		q->busy[s] = true;
		q->posted++;
		n++;
	}
	if (n > 0)
		mg_avail_publish(q->g, 1);
}

/* SET_MEM_TABLE for the same memory cut at `split` instead of the middle,
 * the upper region listed first. */
static int
send_mem_table_cut(struct mg *g, uint64_t split)
{
	struct tvu_memory m;
	int fds[2] = {g->memfd, g->memfd};

	memset(&m, 0, sizeof(m));
	m.nregions = 2;
	m.regions[0].guest_phys_addr = MG_GPA_BASE + split;
	m.regions[0].memory_size = MG_MEM_SIZE - split;
	m.regions[0].userspace_addr = (uint64_t)(uintptr_t)g->mem + split;
	m.regions[0].mmap_offset = split;
	m.regions[1].guest_phys_addr = MG_GPA_BASE;
	m.regions[1].memory_size = split;
	m.regions[1].userspace_addr = (uint64_t)(uintptr_t)g->mem;
	m.regions[1].mmap_offset = 0;
	return tvu_fe_set_mem_table(g->sock, &m, fds, g->reply_ack);
}

/* Keep the ring full until Q_PER_SWAP more packets were delivered. */
static uint32_t
q_traffic(struct q_guest *q, struct dp_arg *a, int swaps)
{
	uint32_t from = __atomic_load_n(&a->delivered, __ATOMIC_ACQUIRE), now;
	uint64_t t0 = mg_now_ms();

	for (;;) {
		q_reap(q);
		q_refill(q);
		now = __atomic_load_n(&a->delivered, __ATOMIC_ACQUIRE);
		if (now - from >= Q_PER_SWAP)
			return now;
		CHECK(mg_now_ms() - t0 < Q_WAIT_MS,
		      "%u packets in %d ms after %d swaps (%u bad so far)",
		      now - from, Q_WAIT_MS, swaps,
		      __atomic_load_n(&a->bad, __ATOMIC_RELAXED));
		sched_yield();
	}
}

static void
test_quiesce_under_load(void)
{
	const char *path = mg_sock_path("quiesce");
	struct tvh_config cfg = {.path = path, .n_queue_pairs = 1};
	struct tvh_dev *dev;
	struct dp_arg a = {0};
	struct q_guest q = {0};
	struct mg g;
	pthread_t t;
	uint32_t before, after;
	uint64_t lo, hi;

	CHECK(tvh_dev_create(&cfg, NULL, NULL, &dev) == 0, "create");
	mg_init(&g);
	mg_setup(&g, path, feat, 2, RING);
	q.g = &g;
	for (uint32_t s = 0; s < RING; s++)
		q.buf[s] = mg_alloc(&g, Q_HDR + Q_LEN_MAX, 64);
	/* Moved cuts fall on pages inside the buffers (past the rings). */
	lo = RTE_ALIGN_CEIL((uint64_t)(q.buf[0] - g.mem), 4096);
	hi = (uint64_t)(q.buf[RING - 1] - g.mem);
	a.dev = dev;
	CHECK(pthread_create(&t, NULL, dp_thread, &a) == 0, "thread");
	before = q_traffic(&q, &a, 0);
	for (int i = 0; i < Q_SWAPS; i++) {
		uint64_t cut =
			lo + (uint64_t)i * 37 % ((hi - lo) / 4096) * 4096;

		CHECK((i % 2 ? send_mem_table_cut(&g, cut)
			     : mg_send_mem_table(&g)) == 0,
		      "mem table %d", i);
		CHECK(tvu_fe_set_vring_fd(g.sock, TVU_SET_VRING_CALL, 1,
					  g.vq[1].call_fd) == 0,
		      "call");
		q_traffic(&q, &a, i + 1);
	}
	/* Drain: everything posted is delivered and comes back used. */
	for (uint64_t t0 = mg_now_ms();
	     __atomic_load_n(&a.delivered, __ATOMIC_ACQUIRE) != q.posted;) {
		CHECK(mg_now_ms() - t0 < Q_WAIT_MS,
		      "%u of %u packets delivered",
		      __atomic_load_n(&a.delivered, __ATOMIC_ACQUIRE),
		      q.posted);
		sched_yield();
	}
	__atomic_store_n(&a.stop, true, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	q_reap(&q);
	CHECK(g.vq[1].used_seen == g.vq[1].avail_idx, "%u of %u used",
	      g.vq[1].used_seen, g.vq[1].avail_idx);
	after = a.delivered - before;
	CHECK(a.bad == 0, "%u bad packets, first: %s", a.bad, a.first_bad);
	CHECK(rte_mempool_avail_count(mp) == 1023, "mbufs leaked: %u of 1023",
	      rte_mempool_avail_count(mp));
	CHECK(tvh_dev_is_ready(dev), "not ready after swaps");
	mg_fini(&g);
	tvh_dev_destroy(dev);
	printf("ok %d memory-table swaps (every other one moving the region "
	       "boundary into the packet buffers) and call-fd swaps under "
	       "traffic: %u packets of %u..%u B checked byte for byte and in "
	       "order, %u of them after the first swap, >= %d between "
	       "consecutive swaps; 0 bad, every mbuf back\n",
	       Q_SWAPS, a.delivered, Q_LEN_MIN, Q_LEN_MAX, after, Q_PER_SWAP);
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
