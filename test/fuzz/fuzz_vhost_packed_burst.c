/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * fuzz_vhost_packed_burst.c - fuzz_vhost_packed's bursts: dequeue, enqueue
 * and tvh_vq_notify_arm on the ring fuzz_vhost_packed.c built, each checked
 * against the model (fuzz_vhost_pmodel.c), and the checks they share (the
 * input layout and what is checked: fuzz_vhost_packed.c's top comment).
 */
#include <stdio.h>
#include <string.h>

#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "fuzz_common.h"
#include "fuzz_vhost_env.h"
#include "fuzz_vhost_packed.h"
#include "fuzz_vhost_pmodel.h"

/* Receive: the model's memory before its used descriptors were written. */
static uint8_t data_mem[MEM_SPAN];
/* Other readings of an ambiguous burst (see tx_other_reading). */
static uint8_t alt_mem[MEM_SPAN];
static struct pm_tx_out tx_alt;
static struct pm_rx_out rx_alt;
static uint8_t pkt_data[PM_MAX_BURST][MAX_RX_LEN];
static uint8_t tx_bytes[PM_MAX_BURST * PM_PKT_SLOT];
static struct pm_tx_out tx_out;
static struct pm_rx_out rx_out;
static struct fm_ranges allowed;

/* ---- Checks ---- */

static uint64_t
err_sum(const struct tvh_vq_stats *s)
{
	return s->err_avail_idx + s->err_desc_index + s->err_desc_addr +
	       s->err_chain_loop + s->err_indirect + s->err_desc_flags +
	       s->err_hdr + s->err_pkt_len;
}

static uint64_t
err_of(const struct tvh_vq_stats *s, enum pm_err e)
{
	switch (e) {
	case PM_E_LOOP:
		return s->err_chain_loop;
	case PM_E_INDIRECT:
		return s->err_indirect;
	case PM_E_ADDR:
		return s->err_desc_addr;
	case PM_E_FLAGS:
		return s->err_desc_flags;
	case PM_E_HDR:
		return s->err_hdr;
	case PM_E_PKT_LEN:
		return s->err_pkt_len;
	default:
		return 0;
	}
}

static void
check_errors(const struct tvh_vq_stats *b, const struct tvh_vq_stats *a,
	     enum pm_err e)
{
	uint64_t total = err_sum(a) - err_sum(b);

	FUZZ_CHECK(total == (e == PM_OK ? 0u : 1u) &&
			   (e == PM_OK || err_of(a, e) - err_of(b, e) == 1),
		   "model: %s; counted: loop %llu indirect %llu addr %llu "
		   "flags %llu hdr %llu pkt_len %llu (avail %llu index %llu)",
		   pm_err_name(e),
		   (unsigned long long)(a->err_chain_loop - b->err_chain_loop),
		   (unsigned long long)(a->err_indirect - b->err_indirect),
		   (unsigned long long)(a->err_desc_addr - b->err_desc_addr),
		   (unsigned long long)(a->err_desc_flags - b->err_desc_flags),
		   (unsigned long long)(a->err_hdr - b->err_hdr),
		   (unsigned long long)(a->err_pkt_len - b->err_pkt_len),
		   (unsigned long long)(a->err_avail_idx - b->err_avail_idx),
		   (unsigned long long)(a->err_desc_index - b->err_desc_index));
}

/* Where file offset off is, for the failure messages. */
static const char *
where(uint64_t off, char *buf, size_t len)
{
	if (off >= RING_OFF && off < RING_OFF + PM_MAX_RING * PM_DESC_SIZE)
		snprintf(buf, len, "descriptor ring position %u byte %u",
			 (unsigned int)(off - RING_OFF) / PM_DESC_SIZE,
			 (unsigned int)(off - RING_OFF) % PM_DESC_SIZE);
	else if (off >= DRV_EV_OFF && off < DRV_EV_OFF + 4)
		snprintf(buf, len, "driver event area byte %u",
			 (unsigned int)(off - DRV_EV_OFF));
	else if (off >= DEV_EV_OFF && off < DEV_EV_OFF + 4)
		snprintf(buf, len, "device event area byte %u",
			 (unsigned int)(off - DEV_EV_OFF));
	else if (off >= TBL_OFF && off < TBL_OFF + 4096 * N_TABLES)
		snprintf(buf, len, "indirect table %u byte %u",
			 (unsigned int)(off - TBL_OFF) / 4096,
			 (unsigned int)(off - TBL_OFF) % 4096);
	else if (off < R0_SIZE)
		snprintf(buf, len, "R0 + 0x%x", (unsigned int)off);
	else if (off >= R1_OFF && off < R1_OFF + R1_SIZE)
		snprintf(buf, len, "R1 + 0x%x", (unsigned int)(off - R1_OFF));
	else if (off >= R2_OFF && off < R2_OFF + R2_SIZE)
		snprintf(buf, len, "R2 + 0x%x", (unsigned int)(off - R2_OFF));
	else
		snprintf(buf, len, "a gap between regions");
	return buf;
}

/* Guest memory is exactly `want`. */
void
check_mem(const uint8_t *live, const uint8_t *want, const char *what)
{
	char buf[64];
	uint32_t b = 0;

	if (memcmp(live, want, MEM_SPAN) == 0)
		return;
	while (live[b] == want[b])
		b++;
	FUZZ_CHECK(0,
		   "%s: file offset 0x%x (%s) is 0x%02x, the model says "
		   "0x%02x (before the burst: 0x%02x)",
		   what, b, where(b, buf, sizeof(buf)), live[b], want[b],
		   snap[b]);
}

/* Every byte that differs from snap lies in `ok` (sorted, merged). */
static void
check_changes_in(const uint8_t *live, const struct fm_ranges *ok,
		 const char *what)
{
	char buf[64];

	for (uint32_t b = 0; b < MEM_SPAN; b++)
		FUZZ_CHECK(live[b] == snap[b] || fm_ranges_contain(ok, b),
			   "%s: the back-end wrote file offset 0x%x (%s), "
			   "0x%02x -> 0x%02x, outside the ring and the "
			   "buffers marked writable",
			   what, b, where(b, buf, sizeof(buf)), snap[b],
			   live[b]);
}

/* The used descriptors the model expects, one by one (clearer messages
 * than the memory comparison that follows). */
static void
check_used(const struct fp_case *c, const struct pm_used *u, uint32_t n,
	   bool write)
{
	for (uint32_t k = 0; k < n; k++) {
		struct pm_desc d;
		uint16_t flags = (uint16_t)(pm_used_bits(u[k].at.wrap) |
					    (write ? PM_F_WRITE : 0));

		pm_desc_get(ring_desc(c, u[k].at.pos), &d);
		FUZZ_CHECK(d.id == u[k].id && d.len == u[k].len &&
				   d.flags == flags,
			   "used descriptor %u at position %u (wrap %u) is "
			   "id %u len %u flags 0x%x, the model says id %u "
			   "len %u flags 0x%x",
			   k, u[k].at.pos, u[k].at.wrap, d.id, d.len, d.flags,
			   u[k].id, u[k].len, flags);
	}
}

/* A notification after n descriptors from `from` were used exactly when
 * the driver event structure asked for one (unsure: how far the index
 * moved is not known, only that one decision at most was made). */
static void
check_notify(const struct fp_case *c, struct pm_idx from, uint32_t n,
	     bool unsure, const struct tvh_vq_stats *b,
	     const struct tvh_vq_stats *a)
{
	uint64_t calls = a->calls - b->calls;
	uint64_t supp = a->calls_suppressed - b->calls_suppressed;
	uint16_t off_wrap, flags;
	bool want;

	if (unsure) {
		FUZZ_CHECK(calls + supp <= 1,
			   "%llu calls + %llu suppressed per burst",
			   (unsigned long long)calls, (unsigned long long)supp);
		return;
	}
	if (n == 0) {
		FUZZ_CHECK(calls == 0 && supp == 0,
			   "notification without used descriptors");
		return;
	}
	FUZZ_CHECK(calls + supp == 1, "%llu calls + %llu suppressed per burst",
		   (unsigned long long)calls, (unsigned long long)supp);
	get_event(c->mem + DRV_EV_OFF, &off_wrap, &flags);
	want = c->call &&
	       pm_want_call(&c->q, from, n, flags, off_wrap, c->event_idx);
	FUZZ_CHECK(calls == (want ? 1u : 0u),
		   "used %u descriptors from %u (wrap %u), driver event "
		   "flags 0x%x off_wrap 0x%x, event_idx %d, call fd %d: call "
		   "%s",
		   n, from.pos, from.wrap, flags, off_wrap, c->event_idx,
		   c->call, calls ? "sent" : "not sent");
	counts.calls++;
}

/* A burst on a ring that is stopped or broken does nothing at all. */
static void
check_idle(const struct fp_case *c, uint16_t got, const struct tvh_vq_stats *b,
	   const struct tvh_vq_stats *a)
{
	FUZZ_CHECK(got == 0, "%s ring: burst returned %u",
		   c->disabled ? "disabled" : "stopped or broken", got);
	check_mem(c->mem, snap, "idle ring");
	FUZZ_CHECK(memcmp(a, b, sizeof(*a)) == 0, "idle ring: counters moved");
}

/* ---- Bursts ---- */

/* The used descriptors of transmitted buffers u[0..n): one each, or with
 * IN_ORDER one per batch of consecutive buffers, the batch's last id at
 * its first buffer's position (section 2.8.9). Where lib/vhost ends its
 * batches is its business; the ring says it: a batch starts where a
 * buffer's first descriptor now holds used flags (an available one never
 * does: its AVAIL and USED bits differ). */
static uint32_t
tx_used_batches(const struct fp_case *c, const struct pm_used *u, uint32_t n,
		struct pm_used *out)
{
	uint32_t n_out = 0;

	for (uint32_t j = 0; j < n;) {
		uint32_t k = j;

		if (c->in_order) {
			while (k + 1 < n) {
				struct pm_desc d;

				pm_desc_get(ring_desc(c, u[k + 1].at.pos), &d);
				if (d.flags == pm_used_bits(u[k + 1].at.wrap))
					break;
				k++;
			}
		}
		out[n_out] = u[j];
		out[n_out].id = u[k].id;
		n_out++;
		j = k + 1;
	}
	return n_out;
}

/* Did a burst the model called ambiguous do exactly what the model
 * predicted without any batching effect? Then it is checked as exactly
 * as the others. */
static bool
err_matches(const struct tvh_vq_stats *b, const struct tvh_vq_stats *a,
	    enum pm_err e)
{
	return err_sum(a) - err_sum(b) == (e == PM_OK ? 0u : 1u) &&
	       (e == PM_OK || err_of(a, e) - err_of(b, e) == 1);
}

/* What a dequeue did: its packets, counters and guest memory. */
struct tx_seen {
	struct rte_mbuf *const *pkts;
	uint16_t got;
	const struct tvh_vq_stats *b, *a;
	uint64_t discarded;
};

/* Is that what the model's reading o, which leaves guest memory as
 * want_mem, says? */
static bool
tx_is(const struct fp_case *c, const struct tx_seen *x,
      const struct pm_tx_out *o, const uint8_t *want_mem)
{
	uint16_t want_got = c->discard ? 0 : o->n_used;
	uint64_t bytes = 0;

	for (uint16_t k = 0; k < want_got; k++)
		bytes += o->pkt[k].len;
	if (x->got != want_got || x->a->packets - x->b->packets != x->got ||
	    x->a->bytes - x->b->bytes != bytes ||
	    x->a->no_mbufs - x->b->no_mbufs != o->no_mbufs ||
	    x->discarded != (c->discard ? o->n_used : 0u) ||
	    !err_matches(x->b, x->a, o->err) ||
	    memcmp(c->mem, want_mem, MEM_SPAN) != 0)
		return false;
	for (uint16_t k = 0; k < x->got; k++)
		if (x->pkts[k]->pkt_len != o->pkt[k].len)
			return false;
	return true;
}

/* lib/vhost writes a burst's used descriptors back before the burst ends
 * only once more than 32 are pending (a shadow of 64, filled a batch of 32
 * buffers at a time: tvh_packed.c). A burst of at most that many buffers
 * returns nothing early, so a list of it that read descriptors of the same
 * burst read ones it had not returned: a bug. In a longer burst the list
 * may have read ones returned meanwhile, which the front-end owns again
 * and may have left as lib/vhost wrote them (doc/security.md's residual):
 * that can look the same, so the burst is only checked loosely. */
#define RETURNS_EARLY_AFTER 32u

/* A dequeue that is not what the model's reading says (buffers returned
 * at the end of the burst). lib/vhost may return them earlier (its
 * batches): if it did so at once, the burst is that reading, checked as
 * exactly. If it is instead what a back-end does that reads descriptors
 * it has not returned, and no returning explains it, that is a bug.
 * Else: false (the caller checks loosely). Both alternatives compare
 * counters, lengths and the whole of guest memory. */
static bool
tx_other_reading(const struct fp_case *c, const struct fp_state *st, uint16_t n,
		 uint32_t free0, const struct tx_seen *x)
{
	const struct fm_mem alt = {.r = fz_regions, .n = 3, .base = alt_mem};
	struct pm_used used[PM_MAX_BURST];
	uint32_t n_used;

	memcpy(alt_mem, snap, MEM_SPAN);
	pm_tx_burst(&c->q, &alt, PM_RETURN_AT_ONCE, st->next, n, c->mbuf_room,
		    free0, c->discard, tx_bytes, &tx_alt);
	if (tx_is(c, x, &tx_alt, alt_mem)) {
		counts.at_once++;
		return true;
	}
	pm_tx_burst(&c->q, &c->snap_mem, PM_RETURN_AT_END_UNBOUNDED, st->next,
		    n, c->mbuf_room, free0, c->discard, tx_bytes, &tx_alt);
	n_used = tx_used_batches(c, tx_alt.used, tx_alt.n_used, used);
	memcpy(alt_mem, snap, MEM_SPAN);
	pm_write_used(&c->q, &alt, used, n_used, false);
	FUZZ_CHECK(tx_alt.n_used > RETURNS_EARLY_AFTER ||
			   !tx_is(c, x, &tx_alt, alt_mem),
		   "dequeue from %u (wrap %u): %u packets, as if lists ran on "
		   "into descriptors the burst took and had not returned "
		   "(the model: %u packets, %s; returning each buffer at "
		   "once: another outcome)",
		   st->next.pos, st->next.wrap, x->got,
		   c->discard ? 0 : tx_out.n_used, pm_err_name(tx_out.err));
	return false;
}

/* An ambiguous dequeue that did something else: the back-end wrote at
 * most the ring, counted at most one error, and its mbufs are sound. */
static void
tx_loose(const struct fp_case *c, struct rte_mbuf *const *pkts, uint16_t got,
	 const struct tvh_vq_stats *b, const struct tvh_vq_stats *a)
{
	allowed.n = 0;
	fm_ranges_add_gpa(&allowed, &c->snap_mem, c->q.desc_gpa,
			  (uint64_t)c->q.num * PM_DESC_SIZE);
	fm_ranges_sort(&allowed);
	check_changes_in(c->mem, &allowed, "ambiguous dequeue");
	FUZZ_CHECK(err_sum(a) - err_sum(b) <= 1,
		   "ambiguous dequeue: %llu errors",
		   (unsigned long long)(err_sum(a) - err_sum(b)));
	for (uint16_t k = 0; k < got; k++) {
		const char *why = NULL;

		FUZZ_CHECK(rte_mbuf_check(pkts[k], 1, &why) == 0 &&
				   pkts[k]->pool == c->pool &&
				   pkts[k]->pkt_len > 0 &&
				   pkts[k]->pkt_len <= PM_MAX_PKT_LEN,
			   "ambiguous dequeue: bad mbuf %u", k);
	}
}

void
tx_burst(const struct fp_case *c, struct fp_state *st, uint16_t n)
{
	struct rte_mbuf *pkts[PM_MAX_BURST];
	struct tvh_vq_stats b, a;
	struct tvh_vq_extra_stats xb = {0}, xa = {0};
	const uint32_t free0 = rte_mempool_avail_count(c->pool);
	struct tvh_dev *dev = c->d->dev;
	struct pm_used used[PM_MAX_BURST];
	uint64_t bytes = 0;
	uint16_t got, want_got;
	uint32_t n_used;

	memcpy(snap, c->mem, MEM_SPAN);
	tvh_vq_stats_get(dev, c->vq, &b);
	if (c->discard)
		tvh_vq_extra_stats_get(dev, c->vq, &xb);
	got = tvh_dequeue_burst(dev, c->vq, c->pool, pkts, n);
	tvh_vq_stats_get(dev, c->vq, &a);
	if (c->discard)
		tvh_vq_extra_stats_get(dev, c->vq, &xa);
	FUZZ_CHECK(got <= n, "dequeued %u of %u", got, n);
	if (!st->running || st->broken) {
		check_idle(c, got, &b, &a);
		return;
	}
	pm_tx_burst(&c->q, &c->snap_mem, PM_RETURN_AT_END, st->next, n,
		    c->mbuf_room, free0, c->discard, tx_bytes, &tx_out);
	if (trace)
		fprintf(stderr,
			"dequeue %u from %u/%u: got %u; model %u buffers, %u "
			"descriptors, %s%s%s%s\n",
			n, st->next.pos, st->next.wrap, got, tx_out.n_used,
			tx_out.n_desc, pm_err_name(tx_out.err),
			tx_out.no_mbufs ? ", no mbufs" : "",
			tx_out.ambiguous ? ", ambiguous: " : "",
			tx_out.ambiguous ? tx_out.ambiguous : "");
	want_got = c->discard ? 0 : tx_out.n_used;
	for (uint16_t k = 0; k < want_got; k++)
		bytes += tx_out.pkt[k].len;
	n_used = tx_used_batches(c, tx_out.used, tx_out.n_used, used);
	memcpy(model_mem, snap, MEM_SPAN);
	pm_write_used(&c->q, &c->model, used, n_used, false);
	if (tx_out.ambiguous) {
		const struct tx_seen x = {.pkts = pkts,
					  .got = got,
					  .b = &b,
					  .a = &a,
					  .discarded =
						  xa.discarded - xb.discarded};

		counts.ambiguous++;
		if (!tx_is(c, &x, &tx_out, model_mem)) {
			if (!tx_other_reading(c, st, n, free0, &x)) {
				tx_loose(c, pkts, got, &b, &a);
				counts.loose++;
			}
			st->unknown = true;
			rte_pktmbuf_free_bulk(pkts, got);
			return;
		}
	}
	FUZZ_CHECK(got == want_got,
		   "dequeued %u packets, the model %u (%u buffers taken; "
		   "stopped by: %s%s)",
		   got, want_got, tx_out.n_used, pm_err_name(tx_out.err),
		   tx_out.no_mbufs ? ", no mbufs" : "");
	for (uint16_t k = 0; k < got; k++) {
		fz_check_mbuf(pkts[k], c->pool, tx_bytes + (size_t)k * PM_PKT_SLOT,
			   tx_out.pkt[k].len, tx_out.pkt[k].bytes_unsure);
		counts.tx_pkts++;
		counts.tx_bytes_cmp += !tx_out.pkt[k].bytes_unsure;
	}
	check_errors(&b, &a, tx_out.err);
	FUZZ_CHECK(a.packets - b.packets == got && a.bytes - b.bytes == bytes &&
			   a.no_mbufs - b.no_mbufs == tx_out.no_mbufs,
		   "stats: packets %llu bytes %llu no_mbufs %llu; model %u "
		   "%llu %u",
		   (unsigned long long)(a.packets - b.packets),
		   (unsigned long long)(a.bytes - b.bytes),
		   (unsigned long long)(a.no_mbufs - b.no_mbufs), got,
		   (unsigned long long)bytes, tx_out.no_mbufs);
	FUZZ_CHECK(xa.discarded - xb.discarded ==
			   (c->discard ? tx_out.n_used : 0u),
		   "discarded %llu, model %u",
		   (unsigned long long)(xa.discarded - xb.discarded),
		   c->discard ? tx_out.n_used : 0u);
	counts.tx_discarded += c->discard ? tx_out.n_used : 0u;
	check_used(c, used, n_used, false);
	check_mem(c->mem, model_mem, "dequeue");
	check_notify(c, st->next, tx_out.n_desc, tx_out.ambiguous != NULL, &b,
		     &a);
	/* An ambiguous burst that matched: its used descriptors and bytes
	 * are the model's, but where it stopped may not be (a list that
	 * ends at a used descriptor writes the same bytes). */
	st->unknown = tx_out.ambiguous != NULL;
	st->next = tx_out.next;
	if (tx_out.err != PM_OK) {
		st->broken = true;
		counts.broke++;
	}
	rte_pktmbuf_free_bulk(pkts, got);
}

/* The first byte where guest memory is not what a receive burst should
 * have left (model_mem; in the bytes rx_out.either lists, data_mem's
 * value will do too), or MEM_SPAN. */
static uint32_t
rx_mem_diff(const uint8_t *live)
{
	if (memcmp(live, model_mem, MEM_SPAN) == 0)
		return MEM_SPAN;
	for (uint32_t b = 0; b < MEM_SPAN; b++) {
		bool either = false;

		if (live[b] == model_mem[b])
			continue;
		for (uint32_t i = 0; i < rx_out.n_either && !either; i++)
			either = b >= rx_out.either[i].file_off &&
				 b - rx_out.either[i].file_off <
					 rx_out.either[i].len;
		if (!either || live[b] != data_mem[b])
			return b;
	}
	return MEM_SPAN;
}

/* Is what an enqueue did (got, counters a - b, guest memory) what the
 * model's reading o says? diff: where memory differs, or MEM_SPAN. */
static bool
rx_is(uint16_t got, const struct tvh_vq_stats *b, const struct tvh_vq_stats *a,
      const struct pm_rx_out *o, uint32_t diff)
{
	if (trace && diff != MEM_SPAN) {
		char buf[64];

		fprintf(stderr, "  first difference at 0x%x (%s)\n", diff,
			where(diff, buf, sizeof(buf)));
	}
	return got == o->done && a->packets - b->packets == o->delivered &&
	       a->bytes - b->bytes == o->bytes &&
	       a->too_big - b->too_big == o->too_big &&
	       a->no_room - b->no_room == o->no_room &&
	       err_matches(b, a, o->err) && diff == MEM_SPAN;
}

static uint32_t
mem_diff(const uint8_t *live, const uint8_t *want)
{
	uint32_t i = 0;

	if (memcmp(live, want, MEM_SPAN) == 0)
		return MEM_SPAN;
	while (live[i] == want[i])
		i++;
	return i;
}

/* As tx_other_reading, for an enqueue. */
static bool
rx_other_reading(const struct fp_case *c, const struct fp_state *st,
		 const struct pm_rx_pkt *mp, uint16_t np, uint16_t got,
		 const struct tvh_vq_stats *b, const struct tvh_vq_stats *a)
{
	const struct fm_mem alt = {.r = fz_regions, .n = 3, .base = alt_mem};

	memcpy(alt_mem, snap, MEM_SPAN);
	pm_rx_burst(&c->q, &alt, PM_RETURN_AT_ONCE, st->next, mp, np, &rx_alt);
	if (rx_is(got, b, a, &rx_alt, mem_diff(c->mem, alt_mem))) {
		counts.at_once++;
		return true;
	}
	memcpy(alt_mem, snap, MEM_SPAN);
	pm_rx_burst(&c->q, &alt, PM_RETURN_AT_END_UNBOUNDED, st->next, mp, np,
		    &rx_alt);
	pm_write_used(&c->q, &alt, rx_alt.used, rx_alt.n_used, true);
	FUZZ_CHECK(rx_alt.n_used > RETURNS_EARLY_AFTER ||
			   !rx_is(got, b, a, &rx_alt, mem_diff(c->mem, alt_mem)),
		   "enqueue from %u (wrap %u): %u packets, as if lists ran on "
		   "into descriptors the burst took and had not returned "
		   "(the model: %u, %s; returning each buffer at once: "
		   "another outcome)",
		   st->next.pos, st->next.wrap, got, rx_out.done,
		   pm_err_name(rx_out.err));
	return false;
}

/* An ambiguous enqueue that did something else: it wrote only the ring
 * and buffers marked WRITE, and counted at most one error. lib/vhost does
 * not judge the flags of a list's later descriptors (its leniency): one
 * of them may be a used descriptor the burst wrote already (WRITE, the
 * buffer's first address, the bytes written), which the front-end then
 * offers as it offers anything it leaves in a list. So the buffers
 * allowed are those marked WRITE in the ring before the burst, after it,
 * and as the model's used descriptors would have left it. */
static void
rx_loose(const struct fp_case *c, const struct tvh_vq_stats *b,
	 const struct tvh_vq_stats *a)
{
	const struct fm_mem live = {.r = fz_regions, .n = 3, .base = c->mem};

	allowed.n = 0;
	fm_ranges_add_gpa(&allowed, &c->snap_mem, c->q.desc_gpa,
			  (uint64_t)c->q.num * PM_DESC_SIZE);
	pm_rx_writable(&c->q, &c->snap_mem, &allowed);
	pm_rx_writable(&c->q, &live, &allowed);
	for (uint32_t k = 0; k < rx_out.n_used; k++) {
		struct pm_desc d;

		pm_desc_get(snap + RING_OFF +
				    (size_t)rx_out.used[k].at.pos *
					    PM_DESC_SIZE,
			    &d);
		fm_ranges_add_gpa(&allowed, &c->snap_mem, d.addr,
				  rx_out.used[k].len);
	}
	fm_ranges_sort(&allowed);
	check_changes_in(c->mem, &allowed, "ambiguous enqueue");
	FUZZ_CHECK(err_sum(a) - err_sum(b) <= 1,
		   "ambiguous enqueue: %llu errors",
		   (unsigned long long)(err_sum(a) - err_sum(b)));
}

void
rx_burst(const struct fp_case *c, struct fp_state *st, struct fuzz_in *in,
	 uint16_t n)
{
	struct rte_mbuf *pkts[PM_MAX_BURST];
	struct pm_rx_pkt mp[PM_MAX_BURST];
	struct tvh_vq_stats b, a;
	struct tvh_dev *dev = c->d->dev;
	uint16_t got, np = 0;
	uint32_t diff;
	char buf[64];
	bool dry = false;

	for (uint16_t i = 0; i < n; i++) {
		uint32_t len = fuzz_u16(in) % MAX_RX_LEN;
		uint32_t nseg = 1 + fuzz_u8(in) % 4u;

		if (dry)
			continue;
		for (uint32_t k = 0; k < len; k++)
			pkt_data[np][k] = (uint8_t)(i * 131u + k * 7u + 3u);
		pkts[np] = fz_build_mbuf(c->pool, pkt_data[np], len, nseg);
		if (pkts[np] == NULL) {
			dry = true;
			continue;
		}
		mp[np] = (struct pm_rx_pkt){.data = pkt_data[np], .len = len};
		np++;
	}
	if (np == 0)
		return;
	memcpy(snap, c->mem, MEM_SPAN);
	memcpy(model_mem, snap, MEM_SPAN);
	tvh_vq_stats_get(dev, c->vq, &b);
	got = tvh_enqueue_burst(dev, c->vq, pkts, np);
	tvh_vq_stats_get(dev, c->vq, &a);
	FUZZ_CHECK(got <= np, "enqueued %u of %u", got, np);
	if (!st->running || st->broken) {
		check_idle(c, got, &b, &a);
		goto out;
	}
	pm_rx_burst(&c->q, &c->model, PM_RETURN_AT_END, st->next, mp, np,
		    &rx_out);
	if (trace)
		fprintf(stderr,
			"enqueue %u from %u/%u: got %u; model %u done, %u "
			"delivered, %u too big, %u no room, %u used, %u "
			"descriptors, %s%s%s\n",
			np, st->next.pos, st->next.wrap, got, rx_out.done,
			rx_out.delivered, rx_out.too_big, rx_out.no_room,
			rx_out.n_used, rx_out.n_desc, pm_err_name(rx_out.err),
			rx_out.ambiguous ? ", ambiguous: " : "",
			rx_out.ambiguous ? rx_out.ambiguous : "");
	memcpy(data_mem, model_mem, MEM_SPAN);
	pm_write_used(&c->q, &c->model, rx_out.used, rx_out.n_used, true);
	if (rx_out.ambiguous) {
		counts.ambiguous++;
		if (!rx_is(got, &b, &a, &rx_out, rx_mem_diff(c->mem))) {
			if (!rx_other_reading(c, st, mp, np, got, &b, &a)) {
				rx_loose(c, &b, &a);
				counts.loose++;
			}
			st->unknown = true;
			goto out;
		}
	}
	counts.rx_exact++;
	counts.rx_pkts += rx_out.delivered;
	FUZZ_CHECK(got == rx_out.done,
		   "enqueue took %u of %u packets, the model %u (%s, %u "
		   "used descriptors)",
		   got, np, rx_out.done, pm_err_name(rx_out.err),
		   rx_out.n_used);
	check_errors(&b, &a, rx_out.err);
	FUZZ_CHECK(a.packets - b.packets == rx_out.delivered &&
			   a.bytes - b.bytes == rx_out.bytes &&
			   a.too_big - b.too_big == rx_out.too_big &&
			   a.no_room - b.no_room == rx_out.no_room,
		   "stats: packets %llu bytes %llu too_big %llu no_room %llu; "
		   "model %u %llu %u %u",
		   (unsigned long long)(a.packets - b.packets),
		   (unsigned long long)(a.bytes - b.bytes),
		   (unsigned long long)(a.too_big - b.too_big),
		   (unsigned long long)(a.no_room - b.no_room),
		   rx_out.delivered, (unsigned long long)rx_out.bytes,
		   rx_out.too_big, rx_out.no_room);
	if (rx_out.n_either == 0) /* else some may hold packet bytes */
		check_used(c, rx_out.used, rx_out.n_used, true);
	diff = rx_mem_diff(c->mem);
	FUZZ_CHECK(diff == MEM_SPAN,
		   "enqueue: file offset 0x%x (%s) is 0x%02x, the model says "
		   "0x%02x (before the burst: 0x%02x)",
		   diff, where(diff, buf, sizeof(buf)), c->mem[diff],
		   model_mem[diff], snap[diff]);
	counts.either += rx_out.n_either > 0;
	check_notify(c, st->next, rx_out.n_desc, rx_out.ambiguous != NULL, &b,
		     &a);
	st->unknown = rx_out.ambiguous != NULL; /* see tx_burst */
	st->next = rx_out.next;
	if (rx_out.err != PM_OK) {
		st->broken = true;
		counts.broke++;
	}
out:
	for (uint16_t i = 0; i < np; i++)
		rte_pktmbuf_free(pkts[i]);
}

/* tvh_vq_notify_arm on a transmit ring: the device event structure says
 * ENABLE / DISABLE, nothing else is written, and "do not sleep" (1) is
 * the only answer while a buffer is available. */
void
arm(const struct fp_case *c, const struct fp_state *st, bool on)
{
	const bool serving = st->running && !st->broken;
	int rc;

	memcpy(snap, c->mem, MEM_SPAN);
	memcpy(model_mem, snap, MEM_SPAN);
	rc = tvh_vq_notify_arm(c->d->dev, c->vq, on);
	counts.arms++;
	if (!serving) {
		FUZZ_CHECK(rc == 0, "notify_arm on an idle ring: %d", rc);
		check_mem(c->mem, snap, "notify_arm on an idle ring");
		return;
	}
	FUZZ_CHECK(rc == 0 || (on && rc == 1), "notify_arm(%d): %d", on, rc);
	model_mem[DEV_EV_OFF + 2] = on ? 0 : 1;
	model_mem[DEV_EV_OFF + 3] = 0;
	check_mem(c->mem, model_mem, "notify_arm");
	if (on && rc == 0 && !st->unknown) {
		struct pm_desc d;

		pm_desc_get(ring_desc(c, st->next.pos), &d);
		FUZZ_CHECK(!pm_is_avail(d.flags, st->next.wrap),
			   "notify_arm says sleep, but position %u (wrap %u) "
			   "is available (flags 0x%x)",
			   st->next.pos, st->next.wrap, d.flags);
	}
}
