/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * Hostile descriptors: each bad ring the mock front-end builds is counted
 * in the right counter (and only there), the queue stops serving (broken)
 * without crashing, and after the front-end restarts the ring
 * (GET_VRING_BASE + set-up) or resets the device, good packets flow again.
 * Every mbuf is back in its pool at the end, and no fd is left open.
 */
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_mbuf.h>

#include "mock_guest.h"

#define RING 256

static struct rte_mempool *mp;
static struct tvh_dev *dev;
static const char *path;
static uint64_t feat;

/* Offset of a counter in struct tvh_vq_stats. */
#define CNT(f) offsetof(struct tvh_vq_stats, f)

static uint64_t
counter(uint32_t vq, size_t off)
{
	struct tvh_vq_stats st;

	tvh_vq_stats_get(dev, vq, &st);
	return *(const uint64_t *)((const uint8_t *)&st + off);
}

static uint64_t
all_errors(uint32_t vq)
{
	struct tvh_vq_stats st;

	tvh_vq_stats_get(dev, vq, &st);
	return st.err_avail_idx + st.err_desc_index + st.err_desc_addr +
	       st.err_chain_loop + st.err_indirect + st.err_desc_flags +
	       st.err_hdr + st.err_pkt_len;
}

static void
good_tx(struct mg *g, bool expect, const char *when)
{
	uint8_t pkt[200];
	struct rte_mbuf *m;
	uint16_t n;

	mg_fill(pkt, sizeof(pkt), 3);
	mg_tx_post(g, 1, MG_TX_HDR_SAME, pkt, sizeof(pkt), 12);
	mg_avail_publish(g, 1);
	n = tvh_dequeue_burst(dev, 1, mp, &m, 1);
	if (!expect) {
		CHECK(n == 0, "%s: broken queue served a packet", when);
		return;
	}
	CHECK(n == 1 && mg_mbuf_cmp(m, pkt, sizeof(pkt)) == 0,
	      "%s: good packet not served", when);
	rte_pktmbuf_free(m);
}

static void
good_rx(struct mg *g, bool expect, const char *when)
{
	uint8_t pkt[200], back[200];
	struct rte_mbuf *m;
	uint32_t id, len;
	uint16_t n;

	mg_fill(pkt, sizeof(pkt), 4);
	m = mg_mbuf_from(mp, pkt, sizeof(pkt));
	mg_rx_post(g, 0, 1, 2048);
	mg_avail_publish(g, 0);
	n = tvh_enqueue_burst(dev, 0, &m, 1);
	rte_pktmbuf_free(m);
	if (!expect) {
		CHECK(n == 0, "%s: broken queue took a packet", when);
		return;
	}
	CHECK(n == 1, "%s: not enqueued", when);
	/* Skip used entries of earlier bad chains. */
	do {
		CHECK(mg_used_next(g, 0, &id, &len), "%s: no used", when);
	} while (len == 0);
	mg_chain_read(g, 0, (uint16_t)id, back, 12);
	CHECK(back[10] == 1 && back[11] == 0, "%s: num_buffers", when);
	CHECK(len == 12 + sizeof(pkt), "%s: used len %u", when, len);
	{
		uint8_t full[12 + sizeof(pkt)];

		mg_chain_read(g, 0, (uint16_t)id, full, sizeof(full));
		CHECK(memcmp(full + 12, pkt, sizeof(pkt)) == 0, "%s: payload",
		      when);
	}
}

/* Restart vring `vq` the way a front-end recovers it. */
static void
restart(struct mg *g, uint32_t vq)
{
	uint32_t base = mg_vq_stop(g, vq);
	uint32_t id, len;

	/* Consume whatever the device returned before it broke. */
	while (mg_used_next(g, vq, &id, &len))
		;
	g->vq[vq].avail_idx = (uint16_t)base;
	CHECK(g->vq[vq].used_seen == (uint16_t)base,
	      "used %u != base %u after stop", g->vq[vq].used_seen, base);
	mg_round_reset(g);
	CHECK(mg_vq_setup(g, vq, RING) == 0, "restart vring %u", vq);
}

typedef void (*bad_fn)(struct mg *g, uint32_t vq);

static void
run_case(struct mg *g, const char *name, uint32_t vq, size_t cnt, bad_fn fn)
{
	uint64_t before = counter(vq, cnt);
	uint64_t errs = all_errors(vq);
	struct rte_mbuf *m[4];

	mg_round_reset(g);
	fn(g, vq);
	if (vq == 1) {
		CHECK(tvh_dequeue_burst(dev, 1, mp, m, 4) == 0,
		      "%s: bad chain delivered", name);
	} else {
		uint8_t pkt[100] = {1};
		struct rte_mbuf *p = mg_mbuf_from(mp, pkt, sizeof(pkt));

		CHECK(tvh_enqueue_burst(dev, 0, &p, 1) == 0,
		      "%s: enqueued into a bad chain", name);
		rte_pktmbuf_free(p);
	}
	CHECK(counter(vq, cnt) == before + 1, "%s: counter %lu -> %lu", name,
	      before, counter(vq, cnt));
	CHECK(all_errors(vq) == errs + 1, "%s: other counters moved", name);
	if (vq == 1)
		good_tx(g, false, name);
	else
		good_rx(g, false, name);
	restart(g, vq);
	if (vq == 1)
		good_tx(g, true, name);
	else
		good_rx(g, true, name);
	printf("ok %s\n", name);
}

static struct tv_desc *
desc(struct mg *g, uint32_t vq, uint16_t i)
{
	return &g->vq[vq].ring.desc[i];
}

static uint16_t
hdr_pkt_desc(struct mg *g, uint32_t vq, uint16_t flags)
{
	uint8_t *b = mg_alloc(g, 112, 16);

	memset(b, 0, 112);
	return mg_desc(g, vq, mg_gpa(g, b), 112, flags);
}

static void
bad_addr_outside(struct mg *g, uint32_t vq)
{
	uint16_t d = hdr_pkt_desc(g, vq, vq == 0 ? TV_DESC_F_WRITE : 0);

	desc(g, vq, d)->addr = 0x1000; /* below guest memory */
	mg_avail_add(g, vq, d);
	mg_avail_publish(g, vq);
}

static void
bad_addr_wrap(struct mg *g, uint32_t vq)
{
	uint16_t d = hdr_pkt_desc(g, vq, vq == 0 ? TV_DESC_F_WRITE : 0);

	desc(g, vq, d)->addr = UINT64_MAX - 50;
	desc(g, vq, d)->len = 100;
	mg_avail_add(g, vq, d);
	mg_avail_publish(g, vq);
}

static void
bad_addr_len_past_end(struct mg *g, uint32_t vq)
{
	uint16_t d = hdr_pkt_desc(g, vq, 0);

	/* Starts inside guest memory, ends 4 KiB past its end. */
	desc(g, vq, d)->addr = MG_GPA_BASE + MG_MEM_SIZE - 64;
	desc(g, vq, d)->len = 4096;
	mg_avail_add(g, vq, d);
	mg_avail_publish(g, vq);
}

static void
bad_head(struct mg *g, uint32_t vq)
{
	mg_avail_add(g, vq, RING + 5);
	mg_avail_publish(g, vq);
}

static void
bad_next(struct mg *g, uint32_t vq)
{
	uint16_t d = hdr_pkt_desc(g, vq, vq == 0 ? TV_DESC_F_WRITE : 0);

	desc(g, vq, d)->flags |= TV_DESC_F_NEXT;
	desc(g, vq, d)->next = RING + 1;
	mg_avail_add(g, vq, d);
	mg_avail_publish(g, vq);
}

static void
bad_loop(struct mg *g, uint32_t vq)
{
	uint16_t a = hdr_pkt_desc(g, vq, vq == 0 ? TV_DESC_F_WRITE : 0);
	uint16_t b = hdr_pkt_desc(g, vq, vq == 0 ? TV_DESC_F_WRITE : 0);

	/* TX walks the whole chain; RX stops once the packet fits, so
	 * give it empty buffers that never hold it. */
	desc(g, vq, a)->len = vq == 0 ? 0 : 8;
	desc(g, vq, b)->len = vq == 0 ? 0 : 8;
	mg_desc_link(g, vq, a, b);
	mg_desc_link(g, vq, b, a);
	mg_avail_add(g, vq, a);
	mg_avail_publish(g, vq);
}

/* Indirect table helpers: a 3-entry table whose entries are good. */
static struct tv_desc *
indirect(struct mg *g, uint32_t vq, uint32_t n, uint16_t *head)
{
	struct tv_desc *t = mg_alloc(g, n * 16 + 16, 16);

	for (uint32_t i = 0; i < n; i++) {
		uint8_t *b = mg_alloc(g, 64, 16);

		t[i].addr = mg_gpa(g, b);
		t[i].len = 64;
		t[i].flags = (uint16_t)(i + 1 < n ? TV_DESC_F_NEXT : 0);
		t[i].next = (uint16_t)(i + 1);
	}
	*head = mg_desc(g, vq, mg_gpa(g, t), n * 16, TV_DESC_F_INDIRECT);
	mg_avail_add(g, vq, *head);
	return t;
}

static void
bad_ind_len0(struct mg *g, uint32_t vq)
{
	uint16_t h;

	indirect(g, vq, 3, &h);
	desc(g, vq, h)->len = 0;
	mg_avail_publish(g, vq);
}

static void
bad_ind_len20(struct mg *g, uint32_t vq)
{
	uint16_t h;

	indirect(g, vq, 3, &h);
	desc(g, vq, h)->len = 20;
	mg_avail_publish(g, vq);
}

static void
bad_ind_nested(struct mg *g, uint32_t vq)
{
	uint16_t h;
	struct tv_desc *t = indirect(g, vq, 3, &h);

	t[1].flags |= TV_DESC_F_INDIRECT;
	t[1].len = 32;
	mg_avail_publish(g, vq);
}

static void
bad_ind_next(struct mg *g, uint32_t vq)
{
	uint16_t h;

	indirect(g, vq, 3, &h);
	desc(g, vq, h)->flags |= TV_DESC_F_NEXT;
	mg_avail_publish(g, vq);
}

static void
bad_ind_loop(struct mg *g, uint32_t vq)
{
	uint16_t h;
	struct tv_desc *t = indirect(g, vq, 3, &h);

	t[2].flags = TV_DESC_F_NEXT;
	t[2].next = 0;
	mg_avail_publish(g, vq);
}

static void
bad_ind_next_oob(struct mg *g, uint32_t vq)
{
	uint16_t h;
	struct tv_desc *t = indirect(g, vq, 3, &h);

	t[1].next = 3; /* table has 3 entries */
	mg_avail_publish(g, vq);
}

static void
bad_avail_jump(struct mg *g, uint32_t vq)
{
	hdr_pkt_desc(g, vq, 0);
	g->vq[vq].avail_idx += RING + 1;
	mg_avail_publish(g, vq);
	g->vq[vq].avail_idx -= RING + 1;
}

static void
bad_tx_write(struct mg *g, uint32_t vq)
{
	uint16_t d = hdr_pkt_desc(g, vq, TV_DESC_F_WRITE);

	mg_avail_add(g, vq, d);
	mg_avail_publish(g, vq);
}

static void
bad_short_hdr(struct mg *g, uint32_t vq)
{
	uint16_t d = hdr_pkt_desc(g, vq, vq == 0 ? TV_DESC_F_WRITE : 0);

	desc(g, vq, d)->len = 6;
	mg_avail_add(g, vq, d);
	mg_avail_publish(g, vq);
}

static void
bad_rx_readonly(struct mg *g, uint32_t vq)
{
	uint16_t d = hdr_pkt_desc(g, vq, 0);

	mg_avail_add(g, vq, d);
	mg_avail_publish(g, vq);
}

/* RX buffer of 4 bytes for the 12-byte header: refused, and not a byte
 * written past the 4 it offered. */
static uint8_t *tiny;

static void
bad_rx_tiny(struct mg *g, uint32_t vq)
{
	uint16_t d;

	/* Outside the bump heap, which restart() recycles. */
	tiny = g->mem + MG_MEM_SIZE - 128;
	memset(tiny, 0xee, 64);
	d = mg_desc(g, vq, mg_gpa(g, tiny), 4, TV_DESC_F_WRITE);
	mg_avail_add(g, vq, d);
	mg_avail_publish(g, vq);
}

int
main(int argc, char **argv)
{
	struct tvh_config cfg = {.n_queue_pairs = 1};
	struct mg g;
	int fds0;

	mg_eal_init(argv[0], "desc");
	mp = rte_pktmbuf_pool_create("h2desc", 1023, 0, 0,
				     RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	CHECK(mp != NULL, "mempool");
	path = mg_sock_path("desc");
	cfg.path = path;
	/* Before the device: lib/vhost closes its control thread's fds
	 * (epoll, wake, sweep, SIGBUS guard) when the last device goes, so
	 * the count must come back to what it was before the first one. */
	fds0 = mg_count_fds();
	CHECK(tvh_dev_create(&cfg, NULL, NULL, &dev) == 0, "create");
	feat = TV_BIT(TV_F_VERSION_1) | TV_BIT(TV_F_RING_INDIRECT_DESC) |
	       TV_BIT(TV_F_VHOST_USER_PROTOCOL_FEATURES) |
	       TV_BIT(TV_NET_F_MRG_RXBUF);
	mg_init(&g);
	mg_setup(&g, path, feat, 2, RING);
	good_tx(&g, true, "start");
	good_rx(&g, true, "start");

	run_case(&g, "tx address outside memory", 1, CNT(err_desc_addr),
		 bad_addr_outside);
	run_case(&g, "tx addr+len wraps", 1, CNT(err_desc_addr), bad_addr_wrap);
	run_case(&g, "tx buffer runs past the memory", 1, CNT(err_desc_addr),
		 bad_addr_len_past_end);
	run_case(&g, "tx head >= num", 1, CNT(err_desc_index), bad_head);
	run_case(&g, "tx next >= num", 1, CNT(err_desc_index), bad_next);
	run_case(&g, "tx chain loop", 1, CNT(err_chain_loop), bad_loop);
	run_case(&g, "tx indirect len 0", 1, CNT(err_indirect), bad_ind_len0);
	run_case(&g, "tx indirect len 20", 1, CNT(err_indirect), bad_ind_len20);
	run_case(&g, "tx indirect nested", 1, CNT(err_indirect),
		 bad_ind_nested);
	run_case(&g, "tx indirect with NEXT", 1, CNT(err_indirect),
		 bad_ind_next);
	run_case(&g, "tx indirect chain loop", 1, CNT(err_chain_loop),
		 bad_ind_loop);
	run_case(&g, "tx indirect next beyond table", 1, CNT(err_desc_index),
		 bad_ind_next_oob);
	run_case(&g, "tx avail idx jump > num", 1, CNT(err_avail_idx),
		 bad_avail_jump);
	run_case(&g, "tx write-only buffer", 1, CNT(err_desc_flags),
		 bad_tx_write);
	run_case(&g, "tx chain shorter than header", 1, CNT(err_hdr),
		 bad_short_hdr);

	run_case(&g, "rx address outside memory", 0, CNT(err_desc_addr),
		 bad_addr_outside);
	run_case(&g, "rx addr+len wraps", 0, CNT(err_desc_addr), bad_addr_wrap);
	run_case(&g, "rx head >= num", 0, CNT(err_desc_index), bad_head);
	run_case(&g, "rx next >= num", 0, CNT(err_desc_index), bad_next);
	run_case(&g, "rx chain loop", 0, CNT(err_chain_loop), bad_loop);
	run_case(&g, "rx avail idx jump > num", 0, CNT(err_avail_idx),
		 bad_avail_jump);
	run_case(&g, "rx read-only buffer", 0, CNT(err_desc_flags),
		 bad_rx_readonly);
	run_case(&g, "rx 6-byte buffer for the header", 0, CNT(err_hdr),
		 bad_short_hdr);
	run_case(&g, "rx 4-byte buffer for the header", 0, CNT(err_hdr),
		 bad_rx_tiny);
	for (int i = 4; i < 64; i++)
		CHECK(tiny[i] == 0xee, "byte %d past a 4-byte buffer written",
		      i);

	/* Recovery by device reset (SET_STATUS 0) and a full new set-up. */
	{
		size_t c = CNT(err_desc_index);
		uint64_t before = counter(1, c);
		struct rte_mbuf *m[2];
		struct tvh_dev_stats ds, ds2 = {0};

		mg_round_reset(&g);
		bad_head(&g, 1);
		CHECK(tvh_dequeue_burst(dev, 1, mp, m, 2) == 0, "bad head");
		CHECK(counter(1, c) == before + 1, "counted");
		CHECK(tvu_fe_set_u64(g.sock, TVU_SET_STATUS, 0, true) == 0,
		      "reset");
		CHECK(!tvh_dev_is_ready(dev), "ready after reset");
		tvh_dev_stats_get(dev, &ds);
		mg_fini(&g);
		/* The device notices the hang-up before a new front-end
		 * may connect (one at a time). */
		for (int i = 0; i < 2000 && ds2.disconnects == ds.disconnects;
		     i++) {
			usleep(1000);
			tvh_dev_stats_get(dev, &ds2);
		}
		CHECK(ds2.disconnects == ds.disconnects + 1, "no disconnect");
		mg_init(&g);
		mg_setup(&g, path, feat, 2, RING);
		good_tx(&g, true, "after reset");
		good_rx(&g, true, "after reset");
		printf("ok recovery by reset\n");
	}
	mg_fini(&g);
	tvh_dev_destroy(dev);
	CHECK(rte_mempool_avail_count(mp) == 1023, "mbufs leaked: %u",
	      rte_mempool_avail_count(mp));
	CHECK(mg_count_fds() == fds0, "fds leaked: %d -> %d", fds0,
	      mg_count_fds());
	rte_mempool_free(mp);
	rte_eal_cleanup();
	printf("PASS\n");
	return 0;
}
