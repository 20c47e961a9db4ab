/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * lib/vhost datapath, byte-exact: the mock front-end transmits packets of
 * 60..1518 and 9000 bytes in every descriptor layout (header in its own
 * descriptor, in the same one, split across descriptors, indirect, across
 * two memory regions) and receives them through tvh_enqueue_burst with and
 * without MRG_RXBUF, for three feature sets (modern + mergeable + event
 * index, modern without either, legacy 10-byte header). Payload bytes,
 * lengths, used entries, headers, counters and the mempool are checked,
 * and that every fd a device and its front-end opened is closed again.
 */
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_mbuf.h>

#include "mock_guest.h"

static const uint32_t sizes[] = {60,  61,   64,	  100,	128,  255,
				 512, 1000, 1500, 1514, 1518, 9000};
#define N_SIZES RTE_DIM(sizes)
#define RING	256

static struct rte_mempool *mp;

static void
test_tx(struct mg *g, struct tvh_dev *dev, uint32_t hdr_len)
{
	static uint8_t pkt[MG_TX_LAYOUTS][9000];
	struct rte_mbuf *out[64];
	struct tvh_vq_stats st;
	uint64_t expect_pkts = 0, expect_bytes = 0;

	for (uint32_t s = 0; s < N_SIZES; s++) {
		uint16_t heads[MG_TX_LAYOUTS];
		uint32_t len = sizes[s];
		uint16_t n;

		for (int l = 0; l < MG_TX_LAYOUTS; l++) {
			mg_fill(pkt[l], len, s * 16 + l);
			heads[l] = mg_tx_post(g, 1, l, pkt[l], len, hdr_len);
		}
		mg_avail_publish(g, 1);
		n = tvh_dequeue_burst(dev, 1, mp, out, RTE_DIM(out));
		CHECK(n == MG_TX_LAYOUTS, "size %u: dequeued %u of %d", len, n,
		      MG_TX_LAYOUTS);
		for (int l = 0; l < MG_TX_LAYOUTS; l++) {
			uint32_t id, ulen;

			CHECK(mg_mbuf_cmp(out[l], pkt[l], len) == 0,
			      "size %u layout %d: payload differs (pkt_len %u)",
			      len, l, out[l]->pkt_len);
			if (len > 2048)
				CHECK(out[l]->nb_segs > 1, "jumbo not chained");
			CHECK(mg_used_next(g, 1, &id, &ulen), "no used entry");
			CHECK(id == heads[l] && ulen == 0,
			      "used %u/%u, expected %u/0", id, ulen, heads[l]);
			rte_pktmbuf_free(out[l]);
			expect_pkts++;
			expect_bytes += len;
		}
		CHECK(tvh_dequeue_burst(dev, 1, mp, out, 64) == 0,
		      "ring should be empty");
		mg_round_reset(g);
	}
	CHECK(tvh_vq_stats_get(dev, 1, &st) == 0, "stats");
	CHECK(st.packets == expect_pkts && st.bytes == expect_bytes,
	      "tx stats %lu/%lu, expected %lu/%lu", st.packets, st.bytes,
	      expect_pkts, expect_bytes);
	CHECK(st.err_desc_addr + st.err_desc_index + st.err_chain_loop +
			      st.err_indirect + st.err_desc_flags + st.err_hdr +
			      st.err_avail_idx + st.err_pkt_len ==
		      0,
	      "unexpected tx errors");
}

/* Read one received packet (possibly several used entries) back. */
static uint32_t
rx_collect(struct mg *g, uint32_t hdr_len, bool mrg, uint8_t *out,
	   uint32_t *n_bufs)
{
	static uint8_t raw[16384];
	uint32_t id, len, total, want_bufs = 1, got = 0;

	CHECK(mg_used_next(g, 0, &id, &len), "no used entry");
	CHECK(len >= hdr_len && len <= sizeof(raw), "used len %u", len);
	mg_chain_read(g, 0, (uint16_t)id, raw, len);
	for (uint32_t i = 0; i < 10; i++)
		CHECK(raw[i] == 0, "header byte %u is %u", i, raw[i]);
	if (hdr_len == 12) {
		want_bufs = raw[10] | raw[11] << 8;
		CHECK(mrg || want_bufs == 1, "num_buffers %u without mrg",
		      want_bufs);
	}
	total = len - hdr_len;
	memcpy(out, raw + hdr_len, total);
	for (got = 1; got < want_bufs; got++) {
		CHECK(mg_used_next(g, 0, &id, &len), "missing buffer %u/%u",
		      got, want_bufs);
		CHECK(total + len <= 9000, "too much data");
		mg_chain_read(g, 0, (uint16_t)id, out + total, len);
		total += len;
	}
	*n_bufs = want_bufs;
	return total;
}

enum rx_layout {
	RX_ONE,	      /* one big descriptor */
	RX_HDR_OWN,   /* header descriptor + big descriptor */
	RX_HDR_SPLIT, /* 4 + 4 + 4 + big: the header spans three */
	RX_LAYOUTS
};

static void
rx_post(struct mg *g, enum rx_layout l, uint32_t hdr_len, uint32_t big)
{
	uint16_t d[4];
	uint8_t *b;

	switch (l) {
	case RX_ONE:
		mg_rx_post(g, 0, 1, big);
		break;
	case RX_HDR_OWN:
		b = mg_alloc(g, hdr_len, 16);
		d[0] = mg_desc(g, 0, mg_gpa(g, b), hdr_len, TV_DESC_F_WRITE);
		b = mg_alloc(g, big, 16);
		d[1] = mg_desc(g, 0, mg_gpa(g, b), big, TV_DESC_F_WRITE);
		mg_desc_link(g, 0, d[0], d[1]);
		mg_avail_add(g, 0, d[0]);
		break;
	default:
		for (int i = 0; i < 3; i++) {
			b = mg_alloc(g, 4, 4);
			d[i] = mg_desc(g, 0, mg_gpa(g, b),
				       i < 2 ? 4 : hdr_len - 8,
				       TV_DESC_F_WRITE);
		}
		b = mg_alloc(g, big, 16);
		d[3] = mg_desc(g, 0, mg_gpa(g, b), big, TV_DESC_F_WRITE);
		for (int i = 0; i < 3; i++)
			mg_desc_link(g, 0, d[i], d[i + 1]);
		mg_avail_add(g, 0, d[0]);
		break;
	}
}

static void
test_rx(struct mg *g, struct tvh_dev *dev, uint32_t hdr_len, bool mrg)
{
	static uint8_t pkt[9000], back[9000];
	struct rte_mbuf *m;
	struct tvh_vq_stats st;
	uint64_t expect = 0;

	for (uint32_t s = 0; s < N_SIZES; s++) {
		uint32_t len = sizes[s];

		mg_fill(pkt, len, 1000 + s);
		for (int l = 0; l < RX_LAYOUTS; l++) {
			uint32_t n_bufs, got;

			if (mrg) {
				/* 1536-byte buffers: 9000 needs six. */
				for (int i = 0; i < 8; i++)
					rx_post(g, l, hdr_len, 1536);
			} else {
				rx_post(g, l, hdr_len, 9100);
			}
			mg_avail_publish(g, 0);
			m = mg_mbuf_from(mp, pkt, len);
			CHECK(tvh_enqueue_burst(dev, 0, &m, 1) == 1,
			      "size %u layout %d not enqueued", len, l);
			rte_pktmbuf_free(m);
			memset(back, 0, sizeof(back));
			got = rx_collect(g, hdr_len, mrg, back, &n_bufs);
			CHECK(got == len && memcmp(back, pkt, len) == 0,
			      "size %u layout %d: got %u bytes, payload %s",
			      len, l, got,
			      memcmp(back, pkt, len) ? "differs" : "ok");
			if (mrg) {
				/* Chains after the first hold data only. */
				uint32_t cap =
					l == RX_ONE ? 1536 : 1536 + hdr_len;

				CHECK(n_bufs == (len + hdr_len + cap - 1) / cap,
				      "size %u used %u buffers", len, n_bufs);
			}
			expect++;
			/* Give back the unused buffers: stop and restart
			 * the ring from where the device stopped. */
			mg_round_reset(g);
			if (mrg) {
				uint32_t base = mg_vq_stop(g, 0);

				g->vq[0].avail_idx = (uint16_t)base;
				g->vq[0].used_seen = (uint16_t)base;
				CHECK(mg_vq_setup(g, 0, RING) == 0, "restart");
			}
		}
	}
	CHECK(tvh_vq_stats_get(dev, 0, &st) == 0, "stats");
	CHECK(st.packets == expect && st.too_big == 0 && st.no_room == 0,
	      "rx stats %lu (expected %lu) too_big %lu no_room %lu", st.packets,
	      expect, st.too_big, st.no_room);
}

/* Without MRG_RXBUF a packet larger than the one chain is dropped
 * (too_big) and the chain stays for the next packet. */
static void
test_rx_too_big(struct mg *g, struct tvh_dev *dev, uint32_t hdr_len)
{
	static uint8_t pkt[2000], back[9000];
	struct rte_mbuf *m[2];
	struct tvh_vq_stats st0, st;
	uint32_t n_bufs;

	tvh_vq_stats_get(dev, 0, &st0);
	mg_rx_post(g, 0, 1, 1000);
	mg_avail_publish(g, 0);
	mg_fill(pkt, 2000, 7);
	m[0] = mg_mbuf_from(mp, pkt, 2000);
	m[1] = mg_mbuf_from(mp, pkt, 500);
	CHECK(tvh_enqueue_burst(dev, 0, m, 2) == 2, "both consumed");
	rte_pktmbuf_free(m[0]);
	rte_pktmbuf_free(m[1]);
	tvh_vq_stats_get(dev, 0, &st);
	CHECK(st.too_big == st0.too_big + 1 && st.packets == st0.packets + 1,
	      "too_big %lu packets %lu", st.too_big, st.packets);
	CHECK(rx_collect(g, hdr_len, false, back, &n_bufs) == 500 &&
		      memcmp(back, pkt, 500) == 0,
	      "second packet in the buffer the first did not fit");
	/* No buffer at all: no_room, nothing consumed. */
	m[0] = mg_mbuf_from(mp, pkt, 60);
	CHECK(tvh_enqueue_burst(dev, 0, m, 1) == 0, "no room");
	rte_pktmbuf_free(m[0]);
	tvh_vq_stats_get(dev, 0, &st);
	CHECK(st.no_room == st0.no_room + 1, "no_room counted");
	mg_round_reset(g);
}

static void
run(const char *name, uint64_t features)
{
	const char *path = mg_sock_path(name);
	struct tvh_config cfg = {.path = path, .n_queue_pairs = 1};
	struct tvh_dev *dev;
	struct mg g;
	uint32_t hdr_len = tv_net_hdr_len(features);
	bool mrg = tv_has_feature(features, TV_NET_F_MRG_RXBUF);
	unsigned int pool_before = rte_mempool_avail_count(mp);
	/* Before the device: lib/vhost closes its control thread's fds
	 * (epoll, wake, sweep, SIGBUS guard) when the last device goes, so
	 * each run must end with the count it started with. */
	int fds0 = mg_count_fds();

	CHECK(tvh_dev_create(&cfg, NULL, NULL, &dev) == 0, "create");
	mg_init(&g);
	mg_setup(&g, path, features, 2, RING);
	CHECK(tvh_dev_is_ready(dev), "device not ready after setup");
	CHECK(tvh_dev_features(dev) == features, "features");
	test_tx(&g, dev, hdr_len);
	test_rx(&g, dev, hdr_len, mrg);
	if (!mrg)
		test_rx_too_big(&g, dev, hdr_len);
	mg_fini(&g);
	tvh_dev_destroy(dev);
	CHECK(rte_mempool_avail_count(mp) == pool_before,
	      "mbufs leaked: %u of %u back", rte_mempool_avail_count(mp),
	      pool_before);
	CHECK(mg_count_fds() == fds0, "fds leaked: %d -> %d", fds0,
	      mg_count_fds());
	CHECK(access(path, F_OK) != 0, "socket file left behind");
	printf("ok %s (hdr %u, mrg %d)\n", name, hdr_len, mrg);
}

int
main(int argc, char **argv)
{
	const uint64_t base = TV_BIT(TV_F_RING_INDIRECT_DESC);
	const uint64_t modern = base | TV_BIT(TV_F_VERSION_1) |
				TV_BIT(TV_F_VHOST_USER_PROTOCOL_FEATURES);

	mg_eal_init(argv[0], "data");
	mp = rte_pktmbuf_pool_create("h2data", 4095, 64, 0,
				     RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	CHECK(mp != NULL, "mempool");
	run("mrg", modern | TV_BIT(TV_NET_F_MRG_RXBUF) |
			   TV_BIT(TV_F_RING_EVENT_IDX) | TV_BIT(TV_F_IN_ORDER));
	run("nomrg", modern);
	run("legacy", base);
	rte_mempool_free(mp);
	rte_eal_cleanup();
	printf("PASS\n");
	return 0;
}
