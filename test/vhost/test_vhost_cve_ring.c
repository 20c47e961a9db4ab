/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * The published DPDK vhost CVEs whose input is a descriptor or a ring
 * index, and the attack classes of the same kind, written into the mock
 * front-end's rings and handed to lib/vhost's datapath (see
 * test_vhost_cve.h for what every case checks besides its own
 * assertions: a payload-checked round both ways afterwards, no fd,
 * mapping or mbuf leaked). doc/security.md is the table of cases.
 *
 * Ring 1 is the front-end's transmit ring (host dequeue), ring 0 its
 * receive ring (host enqueue). A bad chain must be counted in exactly one
 * err_* counter, stop the ring (a good packet afterwards is not served)
 * until the front-end restarts it, and nothing may be read or written
 * outside what the front-end offered.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>

#include "test_vhost_cve.h"

#define CNT(f) offsetof(struct tvh_vq_stats, f)

static struct tv_desc *
desc(uint32_t vq, uint16_t i)
{
	return &cve.g.vq[vq].ring.desc[i];
}

/* A readable (TX) or writable (RX) buffer of len bytes in the heap. */
static uint16_t
buf_desc(uint32_t vq, uint32_t len, uint8_t **out)
{
	uint8_t *b = mg_alloc(&cve.g, len ? len : 1, 64);

	memset(b, 0, len);
	if (out != NULL)
		*out = b;
	return mg_desc(&cve.g, vq, mg_gpa(&cve.g, b), len,
		       vq == 0 ? TV_DESC_F_WRITE : 0);
}

static void
publish_head(uint32_t vq, uint16_t head)
{
	mg_avail_add(&cve.g, vq, head);
	mg_avail_publish(&cve.g, vq);
}

/* Dequeue exactly one packet and compare it with data[0..len). */
static void
tx_expect_packet(const uint8_t *data, uint32_t len, const char *what)
{
	struct rte_mbuf *m = NULL;
	uint32_t id, ulen;
	uint16_t n = tvh_dequeue_burst(cve.dev, 1, cve.mp, &m, 1);

	CASE_CHECK(n == 1, "%s: not delivered", what);
	CASE_CHECK(mg_mbuf_cmp(m, data, len) == 0,
		   "%s: delivered %u bytes differ from the %u sent", what,
		   m->pkt_len, len);
	/* No offload was negotiated: whatever the header asked for, the
	 * mbuf carries no offload request or result, and no checksum was
	 * computed into the bytes (compared above). */
	CASE_CHECK(m->ol_flags == 0 && m->tso_segsz == 0,
		   "%s: ol_flags 0x%lx tso_segsz %u", what,
		   (unsigned long)m->ol_flags, m->tso_segsz);
	rte_pktmbuf_free(m);
	CASE_CHECK(mg_used_next(&cve.g, 1, &id, &ulen), "%s: no used entry",
		   what);
	CASE_CHECK(cve_vq_errors(1) == 0, "%s: counted as an error", what);
}

/* ---- The CVEs ---- */

/* CVE-2018-1059: a guest-physical range was translated by its start only,
 * so a buffer running past the end of its region exposed the host memory
 * behind the mapping. Here guest memory has a hole: region 0 is
 * [B, B + 4M), region 1 [B + 8M, B + 12M). */
static void
cve_2018_1059_gpa_range_unmapped(void)
{
	const uint64_t half = MG_MEM_SIZE / 2;
	struct mg *g = &cve.g;
	struct tvu_memory mem;
	int fds[2] = {g->memfd, g->memfd};
	uint16_t d;

	memset(&mem, 0, sizeof(mem));
	mem.nregions = 2;
	for (int i = 0; i < 2; i++) {
		mem.regions[i].guest_phys_addr = MG_GPA_BASE + i * 2 * half;
		mem.regions[i].memory_size = half;
		mem.regions[i].userspace_addr =
			(uint64_t)(uintptr_t)g->mem + i * half;
		mem.regions[i].mmap_offset = i * half;
	}
	CASE_CHECK(tvu_fe_set_mem_table(g->sock, &mem, fds, true) == 0,
		   "table with a hole");
	cve_good_round("with a hole in guest memory");

	/* Starts 64 bytes before the end of region 0, runs into the hole. */
	d = mg_desc(g, 1, MG_GPA_BASE + half - 64, 4096, 0);
	publish_head(1, d);
	cve_expect_error(1, CNT(err_desc_addr), 0, "outside its memory table",
			 "tx buffer running into a hole");
	d = mg_desc(g, 0, MG_GPA_BASE + half - 64, 4096, TV_DESC_F_WRITE);
	publish_head(0, d);
	cve_expect_error(0, CNT(err_desc_addr), 0, NULL,
			 "rx buffer running into a hole");
	/* The same with room for the whole packet (112 bytes) before the
	 * hole: the buffer, not the bytes written, must be guest memory. */
	d = mg_desc(g, 0, MG_GPA_BASE + half - 256, 4096, TV_DESC_F_WRITE);
	publish_head(0, d);
	cve_expect_error(0, CNT(err_desc_addr), 0, "outside its memory table",
			 "rx buffer running into a hole past the packet");
	/* Starts in the hole, ends in region 1. */
	d = mg_desc(g, 1, MG_GPA_BASE + 2 * half - 16, 64, 0);
	publish_head(1, d);
	cve_expect_error(1, CNT(err_desc_addr), 0, NULL,
			 "tx buffer starting in the hole");
	/* An indirect table running into the hole. */
	d = mg_desc(g, 1, MG_GPA_BASE + half - 32, 64, TV_DESC_F_INDIRECT);
	publish_head(1, d);
	cve_expect_error(1, CNT(err_desc_addr), 0, NULL,
			 "indirect table running into the hole");
	/* Past the end of region 1. */
	d = mg_desc(g, 1, MG_GPA_BASE + 3 * half - 8, 4096, 0);
	publish_head(1, d);
	cve_expect_error(1, CNT(err_desc_addr), 0, NULL,
			 "tx buffer past the last region");
	CASE_CHECK(mg_send_mem_table(g) == 0, "the normal table back");
	cve_good_round("with the normal table back");
}

/* CVE-2020-10725: the batched receive path did not check that a
 * descriptor's address translated. A batch of four where the third is
 * outside guest memory: two delivered, the third refused, the ring
 * stopped. The same on the transmit side, and ring addresses outside
 * memory (refused when the ring starts, err_ring). */
static void
cve_2020_10725_batch_bad_addr(void)
{
	struct mg *g = &cve.g;
	uint16_t heads[4];
	uint8_t pkt[4][100], back[CVE_HDR + 100];
	struct rte_mbuf *m[4];
	uint32_t id, len;
	uint16_t n;

	for (int i = 0; i < 4; i++) {
		heads[i] = mg_rx_post(g, 0, 1, 2048);
		mg_fill(pkt[i], sizeof(pkt[i]), 40 + i);
		m[i] = mg_mbuf_from(cve.mp, pkt[i], sizeof(pkt[i]));
	}
	desc(0, heads[2])->addr = 0x1000; /* below guest memory */
	mg_avail_publish(g, 0);
	n = tvh_enqueue_burst(cve.dev, 0, m, 4);
	for (int i = 0; i < 4; i++)
		rte_pktmbuf_free(m[i]);
	CASE_CHECK(n == 2, "rx batch: %u taken, want 2", n);
	CASE_CHECK(cve_vq_stats(0).err_desc_addr == 1, "rx: not counted");
	for (int i = 0; i < 2; i++) {
		CASE_CHECK(mg_used_next(g, 0, &id, &len) && id == heads[i] &&
				   len == CVE_HDR + 100,
			   "rx used entry %d", i);
		mg_chain_read(g, 0, heads[i], back, sizeof(back));
		CASE_CHECK(memcmp(back + CVE_HDR, pkt[i], 100) == 0,
			   "rx payload %d", i);
	}
	CASE_CHECK(!mg_used_next(g, 0, &id, &len), "bad chain returned");
	cve_expect_stopped(0, "rx after a bad batch");
	cve_restart(0);

	for (int i = 0; i < 4; i++) {
		mg_fill(pkt[i], sizeof(pkt[i]), 50 + i);
		heads[i] =
			mg_tx_post(g, 1, MG_TX_HDR_SAME, pkt[i], 100, CVE_HDR);
	}
	desc(1, heads[2])->addr = 0x1000;
	mg_avail_publish(g, 1);
	n = tvh_dequeue_burst(cve.dev, 1, cve.mp, m, 4);
	CASE_CHECK(n == 2, "tx batch: %u delivered, want 2", n);
	for (int i = 0; i < 2; i++) {
		CASE_CHECK(mg_mbuf_cmp(m[i], pkt[i], 100) == 0, "tx payload %d",
			   i);
		rte_pktmbuf_free(m[i]);
	}
	CASE_CHECK(cve_vq_stats(1).err_desc_addr == 1, "tx: not counted");
	cve_expect_stopped(1, "tx after a bad batch");
	cve_restart(1);

	/* A used ring whose last bytes lie past the end of guest memory. */
	{
		struct tvh_dev_stats s0 = cve_dev_stats();
		struct tvu_vring_addr a;
		uint32_t base = UINT32_MAX;

		CASE_CHECK(tvu_fe_get_vring_base(g->sock, 1, &base) == 0,
			   "stop");
		while (mg_used_next(g, 1, &id, &len))
			;
		g->vq[1].avail_idx = (uint16_t)base;
		mg_round_reset(g);
		CASE_CHECK(tvu_fe_set_vring_state(g->sock, TVU_SET_VRING_NUM, 1,
						  CVE_RING, true) == 0,
			   "num");
		memset(&a, 0, sizeof(a));
		a.index = 1;
		a.desc_user_addr = (uint64_t)(uintptr_t)g->vq[1].ring.desc;
		a.avail_user_addr = (uint64_t)(uintptr_t)g->vq[1].ring.avail;
		a.used_user_addr =
			(uint64_t)(uintptr_t)g->mem + MG_MEM_SIZE - 64;
		CASE_CHECK(tvu_fe_set_vring_addr(g->sock, &a, true) == 0,
			   "addr (checked at the kick)");
		CASE_CHECK(tvu_fe_set_vring_fd(g->sock, TVU_SET_VRING_KICK, 1,
					       g->vq[1].kick_fd) == 0,
			   "kick sent");
		/* The kick has no REPLY_ACK in tvu_fe_set_vring_fd: sync. */
		CASE_CHECK(tvu_fe_get_u64(g->sock, TVU_GET_FEATURES,
					  &(uint64_t){0}) == 0,
			   "sync");
		CASE_CHECK(cve_dev_stats().err_ring == s0.err_ring + 1,
			   "used ring past the memory: err_ring %lu -> %lu",
			   s0.err_ring, cve_dev_stats().err_ring);
		CASE_CHECK(cve_logged("used ring"), "refusal not logged");
		CASE_CHECK(!tvh_vq_is_enabled(cve.dev, 1), "ring 1 started");
		CASE_CHECK(mg_vq_setup(g, 1, CVE_RING) == 0, "proper set-up");
	}
	cve_good_round("after the bad batches");
}

/* CVE-2020-14375 (vhost-crypto): the guest rewrote descriptors after the
 * back-end had validated them (double fetch). Here a thread of the
 * front-end flips the length of every posted descriptor between 112 and
 * 6012 bytes (header + 100 or 6000) as fast as it can, while the
 * back-end dequeues them (the fast path takes short ones, the walker
 * long ones). Whatever the interleaving, each packet must be exactly one
 * of the two, byte for byte: a back-end that checked one read of the
 * length and copied with another would deliver a packet of the other
 * length (or overflow a one-segment mbuf). No interleaving can be forced,
 * so this is a stress (300 ms, ~250,000 packets, tens of thousands of
 * which carry a length the racer wrote after the front-end's own), not a
 * proof; the proof is in the code (tvh_desc_read: one copy per
 * descriptor, only the copy used). A copy of lib/vhost whose fast path
 * read the length a second time failed this case in 5 runs out of 5
 * (a packet of the wrong length, or a crash from the overrun mbuf). */
#define TOC_N	  32u
#define TOC_SMALL 100u
#define TOC_BIG	  6000u

struct racer {
	struct tv_desc *desc;
	bool stop;
	uint64_t flips;
};

/* Every segment of m lies within its own buffer (a copy sized by one
 * read of the length into an mbuf sized by another would not). */
static bool
segs_fit(const struct rte_mbuf *m)
{
	for (; m != NULL; m = m->next)
		if ((uint32_t)m->data_off + m->data_len > m->buf_len)
			return false;
	return true;
}

/* Run on another CPU than the datapath (EAL pinned the main thread, and
 * a new thread inherits that): the rewrites must happen while the
 * back-end reads, not only when the scheduler switches threads. */
static void
racer_move_away(void)
{
	long n_cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int here = sched_getcpu();
	cpu_set_t set;

	CPU_ZERO(&set);
	for (long c = 0; c < n_cpus && c < CPU_SETSIZE; c++)
		if (c != here)
			CPU_SET((int)c, &set);
	if (CPU_COUNT(&set) > 0)
		pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

static void *
racer_fn(void *arg)
{
	struct racer *r = arg;
	uint64_t k = 0;

	racer_move_away();

	while (!__atomic_load_n(&r->stop, __ATOMIC_RELAXED)) {
		uint32_t len = CVE_HDR + ((k++ & 1) ? TOC_BIG : TOC_SMALL);

		for (uint32_t i = 0; i < TOC_N; i++)
			__atomic_store_n(&r->desc[i].len, len,
					 __ATOMIC_RELAXED);
	}
	r->flips = k;
	return NULL;
}

static void
cve_2020_14375_desc_rewritten(void)
{
	struct mg *g = &cve.g;
	uint8_t *buf = cve_scratch(CVE_HDR + TOC_BIG, 0);
	struct racer r = {.desc = g->vq[1].ring.desc};
	uint64_t n_small = 0, n_big = 0, n_raced = 0, deadline;
	uint32_t set_len[TOC_N];
	char bad[160] = "";
	pthread_t t;

	mg_fill(buf + CVE_HDR, TOC_BIG, 14375);
	for (uint32_t i = 0; i < TOC_N; i++) {
		desc(1, (uint16_t)i)->addr = mg_gpa(g, buf);
		desc(1, (uint16_t)i)->len = CVE_HDR + TOC_SMALL;
		desc(1, (uint16_t)i)->flags = 0;
		desc(1, (uint16_t)i)->next = 0;
	}
	CASE_CHECK(pthread_create(&t, NULL, racer_fn, &r) == 0, "thread");
	deadline = mg_now_ms() + 300;
	for (uint32_t it = 0;
	     bad[0] == '\0' && (it < 20 || mg_now_ms() < deadline); it++) {
		uint32_t got = 0, id, len, tries = 0;

		for (uint32_t i = 0; i < TOC_N; i++) {
			/* Our own flip too, so both lengths occur even if the
			 * racer never runs concurrently. */
			set_len[i] = ((i + it) & 1) ? TOC_BIG : TOC_SMALL;
			__atomic_store_n(&desc(1, (uint16_t)i)->len,
					 CVE_HDR + set_len[i],
					 __ATOMIC_RELAXED);
			mg_avail_add(g, 1, (uint16_t)i);
		}
		mg_avail_publish(g, 1);
		while (got < TOC_N && tries++ < 100 && bad[0] == '\0') {
			struct rte_mbuf *m[TOC_N];
			uint16_t n = tvh_dequeue_burst(cve.dev, 1, cve.mp, m,
						       (uint16_t)(TOC_N - got));

			for (uint16_t i = 0; i < n; i++) {
				uint32_t plen = m[i]->pkt_len;

				if ((plen != TOC_SMALL && plen != TOC_BIG) ||
				    !segs_fit(m[i]) ||
				    mg_mbuf_cmp(m[i], buf + CVE_HDR, plen) != 0)
					snprintf(bad, sizeof(bad),
						 "iteration %u: a packet of %u "
						 "bytes (%u segments) that is "
						 "neither sent packet",
						 it, plen, m[i]->nb_segs);
				else if (plen == TOC_SMALL)
					n_small++;
				else
					n_big++;
				/* The racer's store landed between ours and
				 * the back-end's read. */
				if (plen != set_len[got + i])
					n_raced++;
				rte_pktmbuf_free(m[i]);
			}
			got += n;
		}
		if (bad[0] == '\0' && got != TOC_N)
			snprintf(bad, sizeof(bad),
				 "iteration %u: %u of %u packets delivered", it,
				 got, TOC_N);
		while (mg_used_next(g, 1, &id, &len))
			;
	}
	__atomic_store_n(&r.stop, true, __ATOMIC_RELAXED);
	pthread_join(t, NULL);
	CASE_CHECK(bad[0] == '\0', "%s", bad);
	CASE_CHECK(n_small > 0 && n_big > 0, "only one length seen");
	CASE_CHECK(cve_vq_errors(1) == 0, "a valid length counted as error");
	printf("  %lu packets of %u and %lu of %u bytes; the front-end "
	       "rewrote the lengths %lu times meanwhile, and %lu packets "
	       "had the racer's length, not ours\n",
	       n_small, TOC_SMALL, n_big, TOC_BIG, r.flips, n_raced);
	/* The descriptors the racer owned are the mock's again. */
	mg_round_reset(g);
	cve_good_round("after the rewritten descriptors");
}

/* CVE-2020-14378 (vhost-crypto): an underflowed length made a copy loop
 * run 2^32 times. Every walk here is bounded by the ring size, the
 * indirect table's length and the packet limit (TVH_MAX_PKT_LEN), and
 * checked before any byte is copied: each input returns within
 * milliseconds. */
static void
cve_2020_14378_len_underflow_spin(void)
{
	struct mg *g = &cve.g;
	uint64_t t0;
	uint16_t h, d;

	/* A header descriptor, then a zero-length descriptor chained to
	 * itself. */
	t0 = mg_now_ms();
	h = buf_desc(1, CVE_HDR, NULL);
	d = buf_desc(1, 0, NULL);
	mg_desc_link(g, 1, h, d);
	mg_desc_link(g, 1, d, d);
	publish_head(1, h);
	cve_expect_error(1, CNT(err_chain_loop), 0, "chain is longer than",
			 "zero-length self loop");
	/* One descriptor of 4 GiB - 1. */
	d = buf_desc(1, 256, NULL);
	desc(1, d)->len = UINT32_MAX;
	publish_head(1, d);
	cve_expect_error(1, CNT(err_pkt_len), 0, "transmitted more than",
			 "4 GiB descriptor");
	/* An indirect table of 4 GiB - 16 bytes. */
	d = buf_desc(1, 256, NULL);
	desc(1, d)->flags = TV_DESC_F_INDIRECT;
	desc(1, d)->len = UINT32_MAX - 15;
	publish_head(1, d);
	cve_expect_error(1, CNT(err_indirect), 0, "indirect table of",
			 "4 GiB indirect table");
	/* Receive side: zero-length writable descriptors in a loop. */
	d = buf_desc(0, 0, NULL);
	mg_desc_link(g, 0, d, d);
	publish_head(0, d);
	cve_expect_error(0, CNT(err_chain_loop), 0, NULL,
			 "zero-length rx self loop");
	CASE_CHECK(mg_now_ms() - t0 < 2000, "took %lu ms", mg_now_ms() - t0);
	cve_good_round("after the long chains");
}

/* CVE-2022-2132: a virtio-net header spread over more than two
 * descriptors crashed the dequeue path. Tandem takes it byte-exactly:
 * 12 one-byte descriptors (direct and in an indirect table), then the
 * packet; and refuses a chain that ends inside the header. */
static void
cve_2022_2132_hdr_over_many_descs(void)
{
	struct mg *g = &cve.g;
	uint8_t pkt[200], *b;
	uint16_t first = 0, prev = 0, d;

	mg_fill(pkt, sizeof(pkt), 2132);
	/* Direct: 12 x 1 byte of header, then 200 bytes. */
	for (uint32_t i = 0; i < CVE_HDR; i++) {
		d = buf_desc(1, 1, &b);
		*b = 0xa5; /* garbage the back-end must not use */
		if (i == 0)
			first = d;
		else
			mg_desc_link(g, 1, prev, d);
		prev = d;
	}
	d = buf_desc(1, sizeof(pkt), &b);
	memcpy(b, pkt, sizeof(pkt));
	mg_desc_link(g, 1, prev, d);
	publish_head(1, first);
	tx_expect_packet(pkt, sizeof(pkt), "header over 12 descriptors");
	/* The last header byte shares a descriptor with the packet. */
	for (uint32_t i = 0; i < CVE_HDR - 1; i++) {
		d = buf_desc(1, 1, NULL);
		if (i == 0)
			first = d;
		else
			mg_desc_link(g, 1, prev, d);
		prev = d;
	}
	d = buf_desc(1, 1 + sizeof(pkt), &b);
	memcpy(b + 1, pkt, sizeof(pkt));
	mg_desc_link(g, 1, prev, d);
	publish_head(1, first);
	tx_expect_packet(pkt, sizeof(pkt),
			 "header over 11 descriptors and the packet's");
	/* The same 13 descriptors in an indirect table. */
	{
		struct tv_desc *t = mg_alloc(g, 13 * sizeof(*t), 16);

		for (uint32_t i = 0; i < 13; i++) {
			uint32_t len = i < CVE_HDR ? 1 : sizeof(pkt);

			b = mg_alloc(g, len, 16);
			if (i == CVE_HDR)
				memcpy(b, pkt, sizeof(pkt));
			t[i].addr = mg_gpa(g, b);
			t[i].len = len;
			t[i].flags = i < 12 ? TV_DESC_F_NEXT : 0;
			t[i].next = (uint16_t)(i + 1);
		}
		d = mg_desc(g, 1, mg_gpa(g, t), 13 * sizeof(*t),
			    TV_DESC_F_INDIRECT);
		publish_head(1, d);
		tx_expect_packet(pkt, sizeof(pkt),
				 "header over 12 indirect descriptors");
	}
	while (mg_used_next(g, 1, &(uint32_t){0}, &(uint32_t){0}))
		;
	mg_round_reset(g);
	/* 11 one-byte descriptors and nothing more. */
	for (uint32_t i = 0; i < CVE_HDR - 1; i++) {
		d = buf_desc(1, 1, NULL);
		if (i == 0)
			first = d;
		else
			mg_desc_link(g, 1, prev, d);
		prev = d;
	}
	publish_head(1, first);
	cve_expect_error(1, CNT(err_hdr), 0, "shorter than the 12-byte",
			 "chain ending inside the header");
	cve_good_round("after the split headers");
}

/* CVE-2024-11614: with checksum offload, csum_start/csum_offset beyond
 * the packet made the back-end read (and write) past it. No offload is
 * offered, so the header's requests are ignored: the packet (placed at
 * the very end of guest memory, where a read past it leaves the region)
 * is delivered byte for byte, with no checksum computed into it and no
 * offload flag in the mbuf. */
static void
cve_2024_11614_csum_start_beyond(void)
{
	static const struct {
		uint8_t flags;
		uint16_t start, offset;
	} hdrs[] = {
		{TV_NET_HDR_F_NEEDS_CSUM, 0xfff0, 0xfff0},
		{TV_NET_HDR_F_NEEDS_CSUM, 50, 20}, /* start in, end out */
		{TV_NET_HDR_F_NEEDS_CSUM, 0xffff, 0xffff},
		{0xff, 60, 0}, /* every flag bit */
	};
	struct mg *g = &cve.g;
	const uint32_t plen = 60;
	uint8_t pkt[60], *top = cve_scratch(128, 0);
	uint8_t *buf = top + 128 - (CVE_HDR + plen);
	uint16_t d;

	CASE_CHECK(buf + CVE_HDR + plen == g->mem + MG_MEM_SIZE,
		   "not at the end of guest memory");
	mg_fill(pkt, plen, 11614);
	for (unsigned int i = 0; i < RTE_DIM(hdrs); i++) {
		struct tv_net_hdr h = {.flags = hdrs[i].flags,
				       .csum_start = hdrs[i].start,
				       .csum_offset = hdrs[i].offset};

		memcpy(buf, &h, sizeof(h));
		memset(buf + sizeof(h), 0, CVE_HDR - sizeof(h));
		memcpy(buf + CVE_HDR, pkt, plen);
		/* Header and packet in one descriptor (fast path)... */
		d = mg_desc(g, 1, mg_gpa(g, buf), CVE_HDR + plen, 0);
		publish_head(1, d);
		tx_expect_packet(pkt, plen, "NEEDS_CSUM, one descriptor");
		/* ...and in two, the packet alone in the second. */
		d = mg_desc(g, 1, mg_gpa(g, buf), CVE_HDR, TV_DESC_F_NEXT);
		desc(1, d)->next =
			mg_desc(g, 1, mg_gpa(g, buf + CVE_HDR), plen, 0);
		publish_head(1, d);
		tx_expect_packet(pkt, plen, "NEEDS_CSUM, two descriptors");
		mg_round_reset(g);
	}
	cve_good_round("after the checksum requests");
}

/* ---- Attack classes ---- */

/* GSO requested without being negotiated, with gso_size 0 (a divisor in
 * back-ends that segment): delivered as is, no TSO/LRO in the mbuf. */
static void
class_gso_size_zero(void)
{
	static const uint8_t types[] = {
		TV_NET_HDR_GSO_TCPV4, TV_NET_HDR_GSO_UDP,
		TV_NET_HDR_GSO_TCPV6 | TV_NET_HDR_GSO_ECN, 0xff};
	struct mg *g = &cve.g;
	static uint8_t pkt[9000];
	uint8_t *buf = cve_scratch(CVE_HDR + sizeof(pkt), 0);

	mg_fill(pkt, sizeof(pkt), 77);
	memcpy(buf + CVE_HDR, pkt, sizeof(pkt));
	for (unsigned int i = 0; i < RTE_DIM(types); i++) {
		struct tv_net_hdr h = {.flags = TV_NET_HDR_F_NEEDS_CSUM,
				       .gso_type = types[i],
				       .hdr_len = 0xffff,
				       .gso_size = 0,
				       .csum_start = 34,
				       .csum_offset = 16};
		uint32_t len = i & 1 ? sizeof(pkt) : 1400;
		uint16_t d;

		memcpy(buf, &h, sizeof(h));
		d = mg_desc(g, 1, mg_gpa(g, buf), CVE_HDR + len, 0);
		publish_head(1, d);
		tx_expect_packet(pkt, len, "GSO with gso_size 0");
	}
	mg_round_reset(g);
	cve_good_round("after the GSO requests");
}

/* The avail index moved by more than the ring size (the front-end claims
 * more buffers than the ring holds). */
static void
class_avail_idx_jump(void)
{
	static const uint16_t jumps[] = {CVE_RING + 1, 0x8000, 0xffff};

	for (uint32_t vq = 0; vq < 2; vq++)
		for (unsigned int i = 0; i < RTE_DIM(jumps); i++) {
			struct mg_vq *q = &cve.g.vq[vq];

			buf_desc(vq, 256, NULL);
			q->avail_idx = (uint16_t)(q->avail_idx + jumps[i]);
			mg_avail_publish(&cve.g, vq);
			q->avail_idx = (uint16_t)(q->avail_idx - jumps[i]);
			cve_expect_error(
				vq, CNT(err_avail_idx), 0,
				i == 0 ? "front-end moved avail idx from"
				       : NULL,
				"avail index jump");
		}
	cve_good_round("after the avail index jumps");
}

/* A head index at or beyond the ring size, alone and after two good
 * packets of the same burst. */
static void
class_head_out_of_range(void)
{
	static const uint16_t heads[] = {CVE_RING, CVE_RING + 5, 0xffff};
	struct mg *g = &cve.g;

	for (uint32_t vq = 0; vq < 2; vq++)
		for (unsigned int i = 0; i < RTE_DIM(heads); i++) {
			uint16_t good = i == 1 ? 2 : 0;

			for (uint16_t k = 0; k < good; k++) {
				if (vq == 1) {
					uint8_t pkt[64] = {1};

					mg_tx_post(g, 1, MG_TX_HDR_SAME, pkt,
						   sizeof(pkt), CVE_HDR);
				} else {
					mg_rx_post(g, 0, 1, 2048);
				}
			}
			publish_head(vq, heads[i]);
			cve_expect_error(vq, CNT(err_desc_index), good,
					 i == 0 ? "made head" : NULL,
					 "head out of range");
		}
	cve_good_round("after the bad heads");
}

/* addr + len wrapping 2^64: in a ring descriptor, in an indirect table's
 * address, and inside an indirect table. */
static void
class_addr_len_wrap(void)
{
	struct mg *g = &cve.g;
	uint16_t d;

	for (uint32_t vq = 0; vq < 2; vq++) {
		d = buf_desc(vq, 256, NULL);
		desc(vq, d)->addr = UINT64_MAX - 50;
		desc(vq, d)->len = 100;
		publish_head(vq, d);
		cve_expect_error(vq, CNT(err_desc_addr), 0,
				 vq == 1 ? "wraps around" : NULL,
				 "addr + len wraps");
	}
	d = mg_desc(g, 1, UINT64_MAX - 15, 32, TV_DESC_F_INDIRECT);
	publish_head(1, d);
	cve_expect_error(1, CNT(err_desc_addr), 0, NULL,
			 "indirect table address wraps");
	{
		struct tv_desc *t = mg_alloc(g, 2 * sizeof(*t), 16);
		uint8_t *b = mg_alloc(g, 64, 16);

		t[0].addr = mg_gpa(g, b);
		t[0].len = 64;
		t[0].flags = TV_DESC_F_NEXT;
		t[0].next = 1;
		t[1].addr = UINT64_MAX - 8;
		t[1].len = 64;
		t[1].flags = 0;
		t[1].next = 0;
		d = mg_desc(g, 1, mg_gpa(g, t), 2 * sizeof(*t),
			    TV_DESC_F_INDIRECT);
		publish_head(1, d);
		cve_expect_error(1, CNT(err_desc_addr), 0, NULL,
				 "wrapping buffer in an indirect table");
	}
	cve_good_round("after the wrapping buffers");
}

/* Chains shorter than the 12-byte header, and one that is only the
 * header (an empty packet). */
static void
class_chain_shorter_than_hdr(void)
{
	struct mg *g = &cve.g;
	uint16_t d, e;

	d = buf_desc(1, 6, NULL);
	publish_head(1, d);
	cve_expect_error(1, CNT(err_hdr), 0, "shorter than the 12-byte",
			 "tx chain of 6 bytes");
	d = buf_desc(1, 5, NULL);
	e = buf_desc(1, 1, NULL);
	mg_desc_link(g, 1, d, e);
	publish_head(1, d);
	cve_expect_error(1, CNT(err_hdr), 0, NULL, "tx chain of 5 + 1 bytes");
	d = buf_desc(1, CVE_HDR, NULL);
	publish_head(1, d);
	cve_expect_error(1, CNT(err_pkt_len), 0, "empty packet",
			 "tx chain of the header only");
	d = buf_desc(0, 6, NULL);
	publish_head(0, d);
	cve_expect_error(0, CNT(err_hdr), 0, NULL, "rx chain of 6 bytes");
	cve_good_round("after the short chains");
}

/* With EVENT_IDX the front-end moves used_event in any direction (Linux
 * moves it backwards when it disables callbacks). After every burst the
 * back-end must call exactly when the spec's rule says so for the value
 * in memory now, not a value it saw earlier: used_event set ahead (no
 * call), then moved back onto the next burst (call). The rule is
 * evaluated here independently of lib/vring. */
static void
class_used_event_rewind(void)
{
	/* used_event relative to the used index before each burst. */
	static const int16_t evs[] = {10, 0, 10, -1, 0, 5, 0, -100, 0, 200, 0};
	struct mg *g = &cve.g;

	for (uint32_t vq = 0; vq < 2; vq++) {
		uint16_t *ev = tv_split_used_event(&g->vq[vq].ring);
		uint64_t v = 0;

		while (read(g->vq[vq].call_fd, &v, sizeof(v)) == sizeof(v))
			;
		for (unsigned int i = 0; i < RTE_DIM(evs); i++) {
			uint16_t old = __atomic_load_n(
				&g->vq[vq].ring.used->idx, __ATOMIC_ACQUIRE);
			uint16_t new_idx = (uint16_t)(old + 1);
			uint16_t e = (uint16_t)(old + evs[i]);
			bool want = (uint16_t)(new_idx - e - 1) <
				    (uint16_t)(new_idx - old);
			uint64_t calls0 = cve_vq_stats((uint16_t)vq).calls;
			uint32_t id, len;

			__atomic_store_n(ev, e, __ATOMIC_RELEASE);
			if (vq == 1)
				buf_desc(1, CVE_HDR + 64, NULL);
			else
				buf_desc(0, 2048, NULL);
			publish_head(vq, (uint16_t)(g->vq[vq].next_desc - 1));
			CASE_CHECK(cve_burst(vq, 1) == 1, "packet %u", i);
			v = 0;
			if (read(g->vq[vq].call_fd, &v, sizeof(v)) != sizeof(v))
				v = 0;
			CASE_CHECK(v == (want ? 1u : 0u) &&
					   cve_vq_stats((uint16_t)vq).calls ==
						   calls0 + (want ? 1 : 0),
				   "vring %u, used_event old%+d: %lu calls, "
				   "want %d",
				   vq, evs[i], v, want);
			CASE_CHECK(mg_used_next(g, vq, &id, &len), "used");
		}
		mg_round_reset(g);
	}
	cve_good_round("after the used_event moves");
}

/* Receive buffers smaller than the header: the header is written across
 * several descriptors, each only within its own length (the bytes around
 * them stay as the front-end left them), num_buffers lands where it
 * belongs even when split; a chain that cannot hold the header is
 * refused without a byte written past it. */
static void
class_rx_hdr_spans_small_buffers(void)
{
	static const uint8_t layouts[][12] = {
		{1, 2, 3, 6},
		{11, 1},
		{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1},
	};
	struct mg *g = &cve.g;
	uint8_t pkt[200];

	mg_fill(pkt, sizeof(pkt), 2000);
	for (unsigned int l = 0; l < RTE_DIM(layouts); l++) {
		/* Each header piece at a 16-byte stride in an area of 0xee. */
		uint8_t *area = cve_scratch(16 * 12 + 256 + 64, 0xee);
		uint8_t *data = area + 16 * 12;
		uint8_t hdr[CVE_HDR];
		uint16_t first = 0, prev = 0, d;
		uint32_t off = 0, n_pieces = 0, id, len;
		struct rte_mbuf *m;

		for (uint32_t i = 0; i < 12 && layouts[l][i] != 0; i++) {
			d = mg_desc(g, 0, mg_gpa(g, area + 16 * i),
				    layouts[l][i], TV_DESC_F_WRITE);
			if (i == 0)
				first = d;
			else
				mg_desc_link(g, 0, prev, d);
			prev = d;
			n_pieces++;
		}
		d = mg_desc(g, 0, mg_gpa(g, data), 256, TV_DESC_F_WRITE);
		mg_desc_link(g, 0, prev, d);
		publish_head(0, first);
		m = mg_mbuf_from(cve.mp, pkt, sizeof(pkt));
		CASE_CHECK(tvh_enqueue_burst(cve.dev, 0, &m, 1) == 1,
			   "layout %u not taken", l);
		rte_pktmbuf_free(m);
		CASE_CHECK(mg_used_next(g, 0, &id, &len) && id == first &&
				   len == CVE_HDR + sizeof(pkt),
			   "layout %u: used len %u", l, len);
		for (uint32_t i = 0; i < n_pieces; i++) {
			uint8_t *p = area + 16 * i;

			memcpy(hdr + off, p, layouts[l][i]);
			off += layouts[l][i];
			for (uint32_t k = layouts[l][i]; k < 16; k++)
				CASE_CHECK(p[k] == 0xee,
					   "layout %u: byte %u after piece %u "
					   "written",
					   l, k, i);
		}
		for (uint32_t k = 0; k < CVE_HDR; k++)
			CASE_CHECK(hdr[k] == (k == 10 ? 1 : 0),
				   "layout %u: header byte %u is 0x%x", l, k,
				   hdr[k]);
		CASE_CHECK(memcmp(data, pkt, sizeof(pkt)) == 0 &&
				   data[sizeof(pkt)] == 0xee,
			   "layout %u: payload", l);
		mg_round_reset(g);
	}
	/* 4 bytes for the 12-byte header, nothing else: refused, and not a
	 * byte written after the 4. */
	{
		uint8_t *b = cve_scratch(64, 0xee);
		uint16_t d = mg_desc(g, 0, mg_gpa(g, b), 4, TV_DESC_F_WRITE);

		publish_head(0, d);
		cve_expect_error(0, CNT(err_hdr), 0, "receive chain",
				 "rx chain of 4 bytes");
		for (uint32_t k = 4; k < 64; k++)
			CASE_CHECK(b[k] == 0xee,
				   "byte %u past a 4-byte buffer "
				   "written",
				   k);
	}
	cve_good_round("after the small receive buffers");
}

/* Receive buffers the front-end did not mark device-writable: refused,
 * and not written (a writable buffer before it in the chain may be). */
static void
class_rx_buffer_without_write(void)
{
	struct mg *g = &cve.g;
	uint8_t *ro = cve_scratch(2048, 0x5a);
	uint16_t d, e;

	d = mg_desc(g, 0, mg_gpa(g, ro), 2048, 0);
	publish_head(0, d);
	cve_expect_error(0, CNT(err_desc_flags), 0, "read-only buffer",
			 "read-only rx buffer");
	/* Writable 100 bytes, then the read-only one (the packet is 100
	 * bytes: it needs both). */
	d = buf_desc(0, 100, NULL);
	e = mg_desc(g, 0, mg_gpa(g, ro), 2048, 0);
	mg_desc_link(g, 0, d, e);
	publish_head(0, d);
	cve_expect_error(0, CNT(err_desc_flags), 0, NULL,
			 "writable then read-only rx buffer");
	/* The same inside an indirect table. */
	{
		struct tv_desc *t = mg_alloc(g, 2 * sizeof(*t), 16);
		uint8_t *b = mg_alloc(g, 100, 16);

		t[0].addr = mg_gpa(g, b);
		t[0].len = 100;
		t[0].flags = TV_DESC_F_WRITE | TV_DESC_F_NEXT;
		t[0].next = 1;
		t[1].addr = mg_gpa(g, ro);
		t[1].len = 2048;
		t[1].flags = 0;
		t[1].next = 0;
		d = mg_desc(g, 0, mg_gpa(g, t), 2 * sizeof(*t),
			    TV_DESC_F_INDIRECT);
		publish_head(0, d);
		cve_expect_error(0, CNT(err_desc_flags), 0, NULL,
				 "read-only rx buffer in an indirect table");
	}
	for (uint32_t k = 0; k < 2048; k++)
		CASE_CHECK(ro[k] == 0x5a, "read-only byte %u written", k);
	cve_good_round("after the read-only receive buffers");
}

/* Mergeable receive buffers that add nothing to the packet: a 12-byte
 * header buffer, then the same chain of 100 zero-length buffers offered
 * in every other avail entry. Each chain's own budget allows its walk;
 * the packet's budget (twice the ring size in all its chains) stops the
 * packet after a few, instead of 255 walks of 100 (num * num reads at the
 * largest ring size, and again at every retry). */
static void
class_rx_empty_chains_repeated(void)
{
	struct mg *g = &cve.g;
	uint8_t *h;
	uint16_t hdr, first, prev;

	hdr = buf_desc(0, CVE_HDR, &h);
	memset(h, 0xee, CVE_HDR);
	first = prev = mg_desc(g, 0, mg_gpa(g, h), 0, TV_DESC_F_WRITE);
	for (uint32_t k = 1; k < 100; k++) {
		uint16_t d = mg_desc(g, 0, mg_gpa(g, h), 0, TV_DESC_F_WRITE);

		mg_desc_link(g, 0, prev, d);
		prev = d;
	}
	mg_avail_add(g, 0, hdr);
	for (uint32_t k = 1; k < CVE_RING; k++)
		mg_avail_add(g, 0, first);
	mg_avail_publish(g, 0);
	cve_expect_error(0, CNT(err_chain_loop), 0,
			 "receive buffers for one packet took",
			 "the same empty receive chain offered 255 times");
	cve_good_round("after the empty receive chains");
}

int
main(int argc, char **argv)
{
	(void)argc;
	cve_init(argv[0], "cvering");
	cve_run("cve_2018_1059_gpa_range_unmapped",
		cve_2018_1059_gpa_range_unmapped);
	cve_run("cve_2020_10725_batch_bad_addr", cve_2020_10725_batch_bad_addr);
	cve_run("cve_2020_14375_desc_rewritten", cve_2020_14375_desc_rewritten);
	cve_run("cve_2020_14378_len_underflow_spin",
		cve_2020_14378_len_underflow_spin);
	cve_run("cve_2022_2132_hdr_over_many_descs",
		cve_2022_2132_hdr_over_many_descs);
	cve_run("cve_2024_11614_csum_start_beyond",
		cve_2024_11614_csum_start_beyond);
	cve_run("class_gso_size_zero", class_gso_size_zero);
	cve_run("class_avail_idx_jump", class_avail_idx_jump);
	cve_run("class_head_out_of_range", class_head_out_of_range);
	cve_run("class_addr_len_wrap", class_addr_len_wrap);
	cve_run("class_chain_shorter_than_hdr", class_chain_shorter_than_hdr);
	cve_run_feat("class_used_event_rewind", class_used_event_rewind,
		     CVE_FEAT | TV_BIT(TV_F_RING_EVENT_IDX),
		     tvh_default_protocol_features());
	cve_run("class_rx_hdr_spans_small_buffers",
		class_rx_hdr_spans_small_buffers);
	cve_run("class_rx_buffer_without_write", class_rx_buffer_without_write);
	cve_run("class_rx_empty_chains_repeated",
		class_rx_empty_chains_repeated);
	return cve_fini();
}
