/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * fuzz_vhost_split.c - lib/vhost's split-ring datapath (the descriptor
 * walker, tvh_dequeue_burst and tvh_enqueue_burst with their fast paths)
 * against a hostile front-end whose ring comes from the fuzz input.
 *
 * Set-up, once (fuzz_vhost_env.c): EAL (--no-huge), four tvh devices with
 * different feature sets, each driven over its real vhost-user socket by
 * test/vhost's mock front-end (mock_guest.c), which shares three regions
 * of its memfd (fuzz_vhost_env.h); R0 holds the ring and 4 indirect
 * tables.
 *
 * Per input: the virtqueue is stopped (GET_VRING_BASE), guest memory is
 * rewritten (a fixed pattern, then the ring and tables from the input),
 * and the queue is set up again (NUM, ADDR, BASE, CALL, KICK, ENABLE);
 * then 1-4 bursts run, each after moving avail->idx.
 *
 * Input layout (little-endian; missing bytes read as 0):
 *   u8  cfg: bits 0-1 device (0: VERSION_1+MRG+INDIRECT+EVENT_IDX+IN_ORDER
 *       with REPLY_ACK, 1: VERSION_1 only, 2: legacy+INDIRECT (10-byte
 *       header), 3: legacy+MRG+EVENT_IDX+INDIRECT), bit 2 direction (0:
 *       front-end transmits / dequeue, 1: receives / enqueue), bit 3 used
 *       ring 4-aligned (else 4096), bit 4 transmit ring disabled (device
 *       0 drains and drops it: disabled_tx_discard; 1 leaves it alone),
 *       bits 5-6 mempool (0, 3: 4096 x 2K, 1: 2048 x 64 bytes, 2: 8 x 2K)
 *   u8  log2 ring size (mod 9: 1..256)
 *   u16 base (SET_VRING_BASE: first avail and used index)
 *   u16 used_event, u8 avail flags
 *   u8  n: descriptors given, then n x desc; the others are a valid
 *       default (200 bytes in R1, writable for enqueue)
 *       desc: u8 sel, u16 off, u16 len, u8 flags, u8 next [+ u64 addr
 *       if sel & 15 == 11] [+ u32 len if sel & 0x80]; sel & 15 picks the
 *       address: R1/R0/R2 + off, just below a region's end, an indirect
 *       table (len then counts entries unless bit 15), 2^64 - off, below
 *       R0, raw (see desc_addr()); flags bits 0-2 are NEXT/WRITE/INDIRECT,
 *       bit 3 adds unknown flag bits
 *   u8  n: avail entries given (u8 each; 0xff: a u16 follows), the others
 *       are avail[i] = i
 *   u8  tables (mod 5), each: u8 entries (mod 33), entries as desc
 *   u8  bursts (1..4), each: u8 avail idx move (< 0xe0: mod num+1, else a
 *       u16 follows), u8 burst size (1..64), and for enqueue per packet
 *       u16 length (mod 16384) and u8 segments (1..4)
 *
 * Checked against fuzz_vhost_model.c (an independent walker) besides "no
 * crash, no sanitizer report":
 *  - dequeue: each used entry names the avail entry's head in order, with
 *    length 0; delivered mbufs carry exactly the chain's bytes after the
 *    header, in segments of the chosen pool; a bad chain is the last one
 *    consumed and counts one error; a burst ends early only for a bad
 *    chain, a bad head or (small pools) no mbufs;
 *  - enqueue: return value, used entries (id, len), packets, bytes,
 *    too_big, no_room and error counts equal the model's; the bytes of
 *    every published chain equal the model's (header, data, num_buffers);
 *  - both: nothing in the file changes outside the used ring and (for
 *    enqueue) the writable buffers reachable from the offered heads; an
 *    avail idx more than num ahead is refused; a broken queue does
 *    nothing until set up again; a notification is sent exactly when the
 *    front-end asked (used_event / NO_INTERRUPT); every mbuf is back in
 *    its pool after the input; no fd leaks.
 * Where the front-end makes the back-end write over the ring or an
 * indirect table, only the memory check against allowed bytes is skipped
 * (the chain then depends on the back-end's own writes).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_log.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "fuzz_common.h"
#include "fuzz_vhost_env.h"

#define TBL_OFF	   12288u /* indirect table k at TBL_OFF + 4096 k (R0) */
#define N_TABLES   4u
#define MAX_BURST  64u
#define MAX_RX_LEN 16384u

#define N_DEVS 4
static struct fz_dev devs[N_DEVS];
static uint8_t snap[MEM_SPAN], model_mem[MEM_SPAN];
static uint8_t pkt_data[MAX_BURST][MAX_RX_LEN];
static uint8_t tx_buf[FM_MAX_PKT_LEN];
static struct fm_rx_out rx_out;
static struct fm_ranges writable, metas;

static void
setup(void)
{
	const uint64_t v1 = TV_BIT(TV_F_VERSION_1);
	const uint64_t pf = TV_BIT(TV_F_VHOST_USER_PROTOCOL_FEATURES);
	const uint64_t ind = TV_BIT(TV_F_RING_INDIRECT_DESC);
	const uint64_t mrg = TV_BIT(TV_NET_F_MRG_RXBUF);
	const uint64_t ev = TV_BIT(TV_F_RING_EVENT_IDX);

	fz_env_init("fuzz_vhost_split", "fuzz", 12345, devs, N_DEVS);
	fz_dev_setup(&devs[0], 0,
		     v1 | pf | ind | mrg | ev | TV_BIT(TV_F_IN_ORDER), true,
		     true);
	fz_dev_setup(&devs[1], 1, v1 | pf, false, false);
	fz_dev_setup(&devs[2], 2, ind, false, false);
	fz_dev_setup(&devs[3], 3, mrg | ev | ind, false, false);
	/* Start every ring once, so that each has its eventfds (here and in
	 * the back-end) before the first input's fd count. */
	for (unsigned int i = 0; i < N_DEVS; i++) {
		for (uint16_t vq = 0; vq < 2; vq++) {
			struct mg_vq *mq = &devs[i].g.vq[vq];

			memset(devs[i].g.mem, 0, 4096);
			tv_split_init(&mq->ring, devs[i].g.mem, 1, 4);
			mq->num = 1;
			mq->avail_idx = 0;
			FUZZ_CHECK(mg_vq_setup(&devs[i].g, vq, 1) == 0,
				   "vring %u setup", vq);
			devs[i].started[vq] = true;
		}
	}
}

/* ---- Building the ring from the input ---- */

struct fv_case {
	struct fz_dev *d;
	uint16_t vq;
	bool rx;
	bool discard; /* transmit ring disabled, drained and dropped */
	bool stopped; /* transmit ring disabled, left alone */
	struct rte_mempool *pool;
	unsigned int pool_i;
	uint32_t num;
	uint16_t base;
	struct fm_ring q;
	struct fm_mem live;
	struct tv_split ring; /* the mock's view */
	uint16_t used_event;
	uint16_t avail_flags;
	bool event_idx;
};

static uint64_t
desc_addr(struct fuzz_in *in, uint8_t sel, uint16_t off)
{
	switch (sel & 15) {
	case 3:
		return R0_GPA + off % (R0_SIZE + 64);
	case 4:
		return R2_GPA + off % (R2_SIZE + 64);
	case 5:
		return R1_GPA + R1_SIZE - (off & 0xff);
	case 6:
		return R0_GPA + R0_SIZE - (off & 0xff); /* straddles R0/R1 */
	case 7:
		return R2_GPA + R2_SIZE - (off & 0xff);
	case 8:
		return R0_GPA + TBL_OFF + 4096u * (off & 3);
	case 9:
		return 0ull - off;
	case 10:
		return R0_GPA - (off & 0xff);
	case 11:
		return fuzz_u64(in);
	default:
		return R1_GPA + off % (R1_SIZE + 64);
	}
}

static void
read_desc(struct fuzz_in *in, struct tv_desc *d)
{
	uint8_t sel = fuzz_u8(in);
	uint16_t off = fuzz_u16(in);
	uint16_t len = fuzz_u16(in);
	uint8_t fl = fuzz_u8(in);

	d->next = fuzz_u8(in);
	d->addr = desc_addr(in, sel, off);
	if ((sel & 15) == 8 && !(len & 0x8000))
		d->len = (len % 257u) * (uint32_t)sizeof(struct tv_desc);
	else
		d->len = len;
	if (sel & 0x80)
		d->len = fuzz_u32(in);
	d->flags = fl & 7;
	if (fl & 8)
		d->flags |= 0x10 | (uint16_t)((fl & 0xf0) << 8);
}

static uint16_t
avail_move(struct fuzz_in *in, uint32_t num)
{
	uint8_t v = fuzz_u8(in);

	return v < 0xe0 ? (uint16_t)(v % (num + 1)) : fuzz_u16(in);
}

static uint64_t
gpa_of(const struct fv_case *c, const void *p)
{
	return R0_GPA + (uint64_t)((const uint8_t *)p - c->d->g.mem);
}

static void
build_memory(struct fv_case *c, struct fuzz_in *in, uint32_t used_align)
{
	uint8_t *mem = c->d->g.mem;
	struct tv_desc *desc;
	uint32_t n;

	memcpy(mem, fz_pattern, MEM_SPAN);
	memset(mem, 0, tv_split_size(c->num, used_align));
	tv_split_init(&c->ring, mem, c->num, used_align);
	c->q = (struct fm_ring){
		.num = c->num,
		.desc_gpa = gpa_of(c, c->ring.desc),
		.avail_gpa = gpa_of(c, c->ring.avail),
		.used_gpa = gpa_of(c, c->ring.used),
		.indirect_ok =
			tv_has_feature(c->d->features, TV_F_RING_INDIRECT_DESC),
		.mrg_rxbuf = tv_has_feature(c->d->features, TV_NET_F_MRG_RXBUF),
		.hdr_len = tv_net_hdr_len(c->d->features),
	};
	desc = c->ring.desc;
	n = fuzz_u8(in);
	for (uint32_t i = 0; i < c->num; i++) {
		if (i < n) {
			read_desc(in, &desc[i]);
			continue;
		}
		desc[i] = (struct tv_desc){
			.addr = R1_GPA + (i % 128u) * 224u,
			.len = 200,
			.flags = c->rx ? TV_DESC_F_WRITE : 0,
		};
	}
	n = fuzz_u8(in);
	for (uint32_t i = 0; i < c->num; i++) {
		uint16_t h = (uint16_t)i;

		if (i < n) {
			h = fuzz_u8(in);
			if (h == 0xff)
				h = fuzz_u16(in);
		}
		c->ring.avail->ring[i] = h;
	}
	n = fuzz_u8(in) % (N_TABLES + 1);
	for (uint32_t t = 0; t < N_TABLES; t++) {
		struct tv_desc *tbl = (void *)(mem + TBL_OFF + 4096u * t);
		uint32_t k = t < n ? fuzz_u8(in) % 33u : 0;

		memset(tbl, 0, 4096);
		for (uint32_t e = 0; e < k; e++)
			read_desc(in, &tbl[e]);
	}
	c->ring.avail->flags = c->avail_flags;
	*tv_split_used_event(&c->ring) = c->used_event;
	c->ring.avail->idx = c->base;
	c->ring.used->idx = c->base;
}

/* ---- Checks ---- */

static struct {
	uint64_t inputs, bursts, tx_pkts, rx_exact, rx_bytes_cmp, skipped_meta;
} counts;

static void
print_counts(void)
{
	if (getenv("FUZZ_STATS") != NULL)
		fprintf(stderr,
			"fuzz_vhost_split: %llu inputs, %llu bursts, %llu "
			"dequeued packets checked, %llu enqueue bursts "
			"modelled (%llu with bytes compared), %llu skipped "
			"(writes over the ring)\n",
			(unsigned long long)counts.inputs,
			(unsigned long long)counts.bursts,
			(unsigned long long)counts.tx_pkts,
			(unsigned long long)counts.rx_exact,
			(unsigned long long)counts.rx_bytes_cmp,
			(unsigned long long)counts.skipped_meta);
}

/* Every byte of the file that differs from snap lies in allowed (sorted
 * and merged). */
static void
check_unchanged_outside(const uint8_t *live, const struct fm_ranges *allowed,
			const char *what)
{
	uint64_t at = 0;

	for (uint32_t i = 0; i <= allowed->n; i++) {
		uint64_t end =
			i < allowed->n ? allowed->r[i].file_off : MEM_SPAN;

		if (end > MEM_SPAN)
			end = MEM_SPAN;
		if (end > at && memcmp(live + at, snap + at, end - at) != 0) {
			uint64_t b = at;

			while (live[b] == snap[b])
				b++;
			FUZZ_CHECK(0,
				   "%s: the back-end wrote file offset 0x%llx "
				   "(0x%02x -> 0x%02x), outside the used ring "
				   "and the writable buffers offered",
				   what, (unsigned long long)b, snap[b],
				   live[b]);
		}
		if (i < allowed->n &&
		    allowed->r[i].file_off + allowed->r[i].len > at)
			at = allowed->r[i].file_off + allowed->r[i].len;
	}
}

static bool
ranges_intersect(const struct fm_ranges *a, const struct fm_ranges *b)
{
	uint32_t i = 0, j = 0;

	while (i < a->n && j < b->n) {
		uint64_t ae = a->r[i].file_off + a->r[i].len;
		uint64_t be = b->r[j].file_off + b->r[j].len;

		if (a->r[i].file_off < be && b->r[j].file_off < ae)
			return true;
		if (ae <= be)
			i++;
		else
			j++;
	}
	return false;
}

static uint64_t
err_sum(const struct tvh_vq_stats *s)
{
	return s->err_avail_idx + s->err_desc_index + s->err_desc_addr +
	       s->err_chain_loop + s->err_indirect + s->err_desc_flags +
	       s->err_hdr + s->err_pkt_len;
}

/* A notification after used->idx moved old -> new exactly when the
 * front-end asked for one. */
static void
check_notify(const struct fv_case *c, uint16_t old_used, uint16_t new_used,
	     const struct tvh_vq_stats *b, const struct tvh_vq_stats *a)
{
	uint64_t calls = a->calls - b->calls;
	uint64_t supp = a->calls_suppressed - b->calls_suppressed;
	bool want;

	if (old_used == new_used) {
		FUZZ_CHECK(calls == 0 && supp == 0,
			   "notification without new used entries");
		return;
	}
	FUZZ_CHECK(calls + supp == 1, "%llu calls + %llu suppressed per burst",
		   (unsigned long long)calls, (unsigned long long)supp);
	if (c->event_idx)
		want = (uint16_t)(new_used - c->used_event - 1) <
		       (uint16_t)(new_used - old_used);
	else
		want = !(c->avail_flags & TV_AVAIL_F_NO_INTERRUPT);
	FUZZ_CHECK(calls == (want ? 1u : 0u),
		   "used %u -> %u, used_event %u, avail flags 0x%x, event_idx "
		   "%d: call %s",
		   old_used, new_used, c->used_event, c->avail_flags,
		   c->event_idx, calls ? "sent" : "not sent");
}

/* The model's bookkeeping across the bursts of one input. */
struct fv_state {
	uint16_t avail_idx; /* published by the front-end */
	uint16_t next;	    /* avail entry the back-end takes next */
	uint16_t used;	    /* used->idx */
	bool broken;
	bool unknown; /* the model cannot follow any more */
};

/* A burst that must do nothing (broken queue) or only count an avail
 * index jump. */
static void
check_refused(const struct fv_case *c, struct fv_state *st, uint16_t got,
	      uint16_t used_now, const struct tvh_vq_stats *b,
	      const struct tvh_vq_stats *a)
{
	FUZZ_CHECK(got == 0 && used_now == st->used,
		   "%s queue: burst returned %u, used %u -> %u",
		   st->broken ? "broken" : "avail idx jump", got, st->used,
		   used_now);
	FUZZ_CHECK(memcmp(c->d->g.mem, snap, MEM_SPAN) == 0,
		   "refused burst wrote guest memory");
	FUZZ_CHECK(err_sum(a) - err_sum(b) == (st->broken ? 0u : 1u) &&
			   a->packets == b->packets,
		   "refused burst: %llu errors counted",
		   (unsigned long long)(err_sum(a) - err_sum(b)));
	st->broken = true;
}

static void
tx_burst(const struct fv_case *c, struct fv_state *st, uint16_t n)
{
	const struct fm_mem sm = {.r = fz_regions, .n = 3, .base = snap};
	const uint32_t mask = c->num - 1;
	struct rte_mbuf *pkts[MAX_BURST];
	struct tvh_vq_stats b, a;
	struct tvh_vq_extra_stats xb = {0}, xa = {0};
	uint16_t got, used_now, consumed, n_avail, limit;
	uint32_t delivered = 0, discarded = 0;
	uint64_t bytes = 0, errs, nomb;
	enum fm_err bad = FM_OK;

	memcpy(snap, c->d->g.mem, MEM_SPAN);
	tvh_vq_stats_get(c->d->dev, c->vq, &b);
	if (c->discard)
		tvh_vq_extra_stats_get(c->d->dev, c->vq, &xb);
	got = tvh_dequeue_burst(c->d->dev, c->vq, c->pool, pkts, n);
	tvh_vq_stats_get(c->d->dev, c->vq, &a);
	if (c->discard)
		tvh_vq_extra_stats_get(c->d->dev, c->vq, &xa);
	FUZZ_CHECK(got <= n, "dequeued %u of %u", got, n);
	used_now = __atomic_load_n(&c->ring.used->idx, __ATOMIC_ACQUIRE);
	consumed = (uint16_t)(used_now - st->used);
	n_avail = (uint16_t)(st->avail_idx - st->next);
	if (c->stopped) {
		/* Disabled and not drained: untouched, nothing counted. */
		FUZZ_CHECK(got == 0 && used_now == st->used &&
				   memcmp(c->d->g.mem, snap, MEM_SPAN) == 0 &&
				   err_sum(&a) == err_sum(&b),
			   "disabled transmit ring: burst returned %u, used "
			   "%u -> %u",
			   got, st->used, used_now);
		return;
	}
	if (st->broken || n_avail > c->num) {
		check_refused(c, st, got, used_now, &b, &a);
		return;
	}
	writable.n = 0;
	fm_ranges_add_gpa(&writable, &c->live, c->q.used_gpa,
			  tv_split_used_size(c->num));
	fm_ranges_sort(&writable);
	check_unchanged_outside(c->d->g.mem, &writable, "dequeue");
	limit = RTE_MIN(n, n_avail);
	FUZZ_CHECK(consumed <= limit, "consumed %u chains, %u were available",
		   consumed, limit);
	for (uint16_t k = 0; k < consumed; k++) {
		uint16_t head = fm_avail_entry(&c->q, &sm, st->next + k);
		const struct tv_used_elem *ue =
			&c->ring.used->ring[(uint16_t)(st->used + k) & mask];
		uint32_t len;
		bool touch;
		enum fm_err e;

		FUZZ_CHECK(ue->id == head && ue->len == 0,
			   "used entry %u is (%u, %u), expected (%u, 0)", k,
			   ue->id, ue->len, head);
		FUZZ_CHECK(bad == FM_OK,
			   "chain %u consumed after a bad one (%s)", k,
			   fm_err_name(bad));
		e = fm_tx_chain(&c->q, &sm, head, tx_buf, &len, &touch);
		FUZZ_CHECK(e != FM_E_HEAD, "used entry names head %u >= %u",
			   head, c->num);
		if (e != FM_OK) {
			bad = e;
			continue;
		}
		if (c->discard) {
			discarded++;
			continue;
		}
		FUZZ_CHECK(delivered < got,
			   "good chain %u (head %u, %u bytes) not delivered", k,
			   head, len);
		fz_check_mbuf(pkts[delivered], c->pool, tx_buf, len, touch);
		bytes += len;
		delivered++;
		counts.tx_pkts++;
	}
	FUZZ_CHECK(delivered == got, "delivered %u packets, model %u", got,
		   delivered);
	errs = err_sum(&a) - err_sum(&b);
	nomb = a.no_mbufs - b.no_mbufs;
	if (bad != FM_OK) {
		FUZZ_CHECK(errs == 1, "bad chain (%s) counted %llu errors",
			   fm_err_name(bad), (unsigned long long)errs);
		st->broken = true;
	} else if (consumed < limit) {
		uint16_t head = fm_avail_entry(&c->q, &sm, st->next + consumed);
		uint32_t len;
		bool touch;
		enum fm_err e =
			fm_tx_chain(&c->q, &sm, head, tx_buf, &len, &touch);

		if (errs == 0 && nomb > 0 && c->pool_i != 0) {
			/* The pool ran dry before the head was looked at. */
		} else if (head >= c->num) {
			FUZZ_CHECK(errs == 1, "bad head %u counted %llu errors",
				   head, (unsigned long long)errs);
			st->broken = true;
		} else {
			FUZZ_CHECK(errs == 0 && nomb > 0 && c->pool_i != 0,
				   "burst stopped before chain %u (head %u, "
				   "model: %s) with %llu errors, %llu "
				   "mbuf shortages",
				   consumed, head, fm_err_name(e),
				   (unsigned long long)errs,
				   (unsigned long long)nomb);
		}
	} else {
		FUZZ_CHECK(errs == 0, "%llu errors for good chains",
			   (unsigned long long)errs);
	}
	FUZZ_CHECK(c->pool_i != 0 || nomb == 0, "the big pool ran out");
	FUZZ_CHECK(a.packets - b.packets == delivered &&
			   a.bytes - b.bytes == bytes,
		   "stats say %llu packets %llu bytes, model %u %llu",
		   (unsigned long long)(a.packets - b.packets),
		   (unsigned long long)(a.bytes - b.bytes), delivered,
		   (unsigned long long)bytes);
	FUZZ_CHECK(xa.discarded - xb.discarded == discarded,
		   "discarded %llu, model %u",
		   (unsigned long long)(xa.discarded - xb.discarded),
		   discarded);
	check_notify(c, st->used, used_now, &b, &a);
	st->next += consumed;
	st->used = used_now;
	rte_pktmbuf_free_bulk(pkts, got);
}

static void
rx_burst(const struct fv_case *c, struct fv_state *st, struct fuzz_in *in,
	 uint16_t n)
{
	const struct fm_mem sm = {.r = fz_regions, .n = 3, .base = snap};
	struct fm_mem mm = {.r = fz_regions, .n = 3, .base = model_mem};
	const uint32_t mask = c->num - 1;
	struct rte_mbuf *pkts[MAX_BURST];
	struct fm_pkt fp[MAX_BURST];
	struct tvh_vq_stats b, a;
	uint16_t got, used_now, n_avail, np = 0, mnext;
	bool data_overlap;

	for (uint16_t i = 0; i < n; i++) {
		uint32_t len = fuzz_u16(in) % MAX_RX_LEN;
		uint32_t nseg = 1 + fuzz_u8(in) % 4u;

		for (uint32_t k = 0; k < len; k++)
			pkt_data[np][k] = (uint8_t)(i * 131u + k * 7u + 3u);
		pkts[np] = fz_build_mbuf(c->pool, pkt_data[np], len, nseg);
		if (pkts[np] == NULL)
			break;
		fp[np] = (struct fm_pkt){.data = pkt_data[np], .len = len};
		np++;
	}
	if (np == 0)
		return;
	memcpy(snap, c->d->g.mem, MEM_SPAN);
	memcpy(model_mem, snap, MEM_SPAN);
	tvh_vq_stats_get(c->d->dev, c->vq, &b);
	got = tvh_enqueue_burst(c->d->dev, c->vq, pkts, np);
	tvh_vq_stats_get(c->d->dev, c->vq, &a);
	used_now = __atomic_load_n(&c->ring.used->idx, __ATOMIC_ACQUIRE);
	n_avail = (uint16_t)(st->avail_idx - st->next);
	if (st->broken || n_avail > c->num) {
		check_refused(c, st, got, used_now, &b, &a);
		goto out;
	}

	/* What the back-end may write, and whether its writes can change
	 * the chains it reads. */
	writable.n = 0;
	metas.n = 0;
	fm_rx_writable(&c->q, &sm, st->next, n_avail, &writable, &metas);
	fm_ranges_add_gpa(&metas, &c->live, c->q.desc_gpa,
			  tv_split_desc_size(c->num));
	fm_ranges_add_gpa(&metas, &c->live, c->q.avail_gpa,
			  tv_split_avail_size(c->num));
	fm_ranges_add_gpa(&metas, &c->live, c->q.used_gpa,
			  tv_split_used_size(c->num));
	data_overlap = fm_ranges_any_overlap(&writable);
	fm_ranges_sort(&writable);
	fm_ranges_sort(&metas);
	if (ranges_intersect(&writable, &metas)) {
		counts.skipped_meta++;
		st->unknown = true;
		goto out;
	}
	fm_ranges_add_gpa(&writable, &c->live, c->q.used_gpa,
			  tv_split_used_size(c->num));
	fm_ranges_sort(&writable);
	check_unchanged_outside(c->d->g.mem, &writable, "enqueue");

	mnext = st->next;
	fm_rx_burst(&c->q, &mm, st->avail_idx, &mnext, fp, np, &rx_out);
	counts.rx_exact++;
	FUZZ_CHECK(got == rx_out.done,
		   "enqueue took %u of %u packets, model %u (model: %s, "
		   "%u used entries; back-end %u)",
		   got, np, rx_out.done, fm_err_name(rx_out.err), rx_out.n_used,
		   (uint16_t)(used_now - st->used));
	FUZZ_CHECK((uint16_t)(used_now - st->used) == rx_out.n_used,
		   "enqueue wrote %u used entries, model %u (model: %s)",
		   (uint16_t)(used_now - st->used), rx_out.n_used,
		   fm_err_name(rx_out.err));
	for (uint16_t k = 0; k < rx_out.n_used; k++) {
		const struct tv_used_elem *ue =
			&c->ring.used->ring[(uint16_t)(st->used + k) & mask];

		FUZZ_CHECK(ue->id == rx_out.used[k].id &&
				   ue->len == rx_out.used[k].len,
			   "used entry %u is (%u, %u), model (%u, %u)", k,
			   ue->id, ue->len, rx_out.used[k].id,
			   rx_out.used[k].len);
	}
	FUZZ_CHECK(a.packets - b.packets == rx_out.delivered &&
			   a.bytes - b.bytes == rx_out.bytes &&
			   a.too_big - b.too_big == rx_out.too_big &&
			   a.no_room - b.no_room == rx_out.no_room &&
			   err_sum(&a) - err_sum(&b) ==
				   (rx_out.err != FM_OK ? 1u : 0u),
		   "stats: packets %llu bytes %llu too_big %llu no_room %llu "
		   "errors %llu; model %u %llu %u %u %s",
		   (unsigned long long)(a.packets - b.packets),
		   (unsigned long long)(a.bytes - b.bytes),
		   (unsigned long long)(a.too_big - b.too_big),
		   (unsigned long long)(a.no_room - b.no_room),
		   (unsigned long long)(err_sum(&a) - err_sum(&b)),
		   rx_out.delivered, (unsigned long long)rx_out.bytes,
		   rx_out.too_big, rx_out.no_room, fm_err_name(rx_out.err));
	if (!data_overlap && !rx_out.pieces_overflow) {
		counts.rx_bytes_cmp++;
		for (uint32_t i = 0; i < rx_out.n_pieces; i++) {
			const struct fm_piece *p = &rx_out.pieces[i];

			FUZZ_CHECK(memcmp(c->d->g.mem + p->file_off,
					  model_mem + p->file_off, p->len) == 0,
				   "published bytes at file offset 0x%llx "
				   "(%u) differ from the model's",
				   (unsigned long long)p->file_off, p->len);
		}
	}
	check_notify(c, st->used, used_now, &b, &a);
	st->next = mnext;
	st->used = used_now;
	if (rx_out.err != FM_OK)
		st->broken = true;
out:
	for (uint16_t i = 0; i < np; i++)
		rte_pktmbuf_free(pkts[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	struct fuzz_in in = {.data = data, .size = size, .pos = 0};
	struct fv_case c;
	struct fv_state st;
	struct mg_vq *mq;
	uint32_t used_align, n_bursts;
	uint8_t cfg;

	if (!ready) {
		setup();
		atexit(print_counts);
		ready = true;
	}
	counts.inputs++;
	memset(&c, 0, sizeof(c));
	cfg = fuzz_u8(&in);
	c.d = &devs[cfg & 3];
	c.rx = (cfg & 4) != 0;
	used_align = (cfg & 8) ? 4 : TV_SPLIT_USED_ALIGN;
	c.discard = !c.rx && (cfg & 16) && c.d->proto && c.d->tx_discard;
	c.stopped = !c.rx && (cfg & 16) && c.d->proto && !c.d->tx_discard;
	c.pool_i = (cfg >> 5) & 3;
	if (c.pool_i == 3)
		c.pool_i = 0;
	c.pool = fz_pools[c.pool_i];
	c.vq = c.rx ? 0 : 1;
	c.num = 1u << (fuzz_u8(&in) % 9);
	c.base = fuzz_u16(&in);
	c.used_event = fuzz_u16(&in);
	c.avail_flags = fuzz_u8(&in);
	c.event_idx = tv_has_feature(c.d->features, TV_F_RING_EVENT_IDX);
	c.live = (struct fm_mem){.r = fz_regions, .n = 3, .base = c.d->g.mem};

	/* A fresh ring per input: stop it, rewrite memory, set it up. */
	if (c.d->started[c.vq])
		mg_vq_stop(&c.d->g, c.vq);
	c.d->started[c.vq] = false;
	build_memory(&c, &in, used_align);
	mq = &c.d->g.vq[c.vq];
	mq->ring = c.ring;
	mq->num = c.num;
	mq->avail_idx = c.base;
	FUZZ_CHECK(mg_vq_setup(&c.d->g, c.vq, c.num) == 0, "vring %u setup",
		   c.vq);
	c.d->started[c.vq] = true;
	if (c.discard || c.stopped) {
		uint64_t v;

		FUZZ_CHECK(tvu_fe_set_vring_state(c.d->g.sock,
						  TVU_SET_VRING_ENABLE, c.vq, 0,
						  c.d->reply_ack) == 0 &&
				   tvu_fe_get_u64(c.d->g.sock, TVU_GET_FEATURES,
						  &v) == 0,
			   "disable vring %u", c.vq);
	} else {
		FUZZ_CHECK(tvh_vq_is_enabled(c.d->dev, c.vq),
			   "vring %u did not start", c.vq);
	}

	st = (struct fv_state){
		.avail_idx = c.base, .next = c.base, .used = c.base};
	n_bursts = 1 + fuzz_u8(&in) % 4u;
	for (uint32_t i = 0; i < n_bursts && !st.unknown; i++) {
		uint16_t n;

		st.avail_idx += avail_move(&in, c.num);
		__atomic_store_n(&c.ring.avail->idx, st.avail_idx,
				 __ATOMIC_RELEASE);
		n = 1 + fuzz_u8(&in) % MAX_BURST;
		counts.bursts++;
		if (c.rx)
			rx_burst(&c, &st, &in, n);
		else
			tx_burst(&c, &st, n);
	}
	fz_input_end();
	return 0;
}
