/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * fuzz_virtio_packed_tx.c - fuzz_virtio_packed's TX run: the driver's
 * packed TX queue against the device of fuzz_virtio_packed.c reading,
 * scribbling on and completing its chains (the input layout and the
 * checks: fuzz_virtio_packed.c's top comment).
 */
#include <stdio.h>
#include <string.h>

#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "fuzz_common.h"
#include "fuzz_tv.h"
#include "fuzz_virtio_packed.h"
#include "tv_pmd.h"

/* ---- TX ---- */

struct tx_out {
	uint32_t seq;
	bool read; /* by the current device */
};

struct tx_pend {
	uint16_t idx, id, ndesc; /* a chain the device read */
	uint32_t seq;
};

struct tx_state {
	struct tv_txq *txq;
	struct dev d;
	struct tx_pend pend[MAX_ENT];
	uint32_t n_pend;
	/* Accepted and not completed, in the order accepted (while the
	 * device never lied). */
	struct tx_out out[MAX_OUT];
	uint32_t n_out;
	bool lied; /* since the queue was created: out[] means nothing */
	struct rte_mbuf *held[MAX_HELD];
	uint32_t n_held;
	uint64_t kicks;
	uint32_t seq;		      /* packets made (sequence numbers) */
	bool accepted[MAX_OPS * 32u]; /* by a burst, not dropped: by seq */
	void *inq[256 * 4];
	void *hq[MAX_HELD * 3];
};

static void
tx_lie(struct tx_state *s)
{
	dev_lie(&s->d);
	s->lied = true;
}

static struct rte_mbuf *
tx_packet(struct tx_state *s, uint32_t len, uint8_t kind)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);

	if (m == NULL)
		return NULL;
	m->hash.usr = s->seq++;
	return fuzz_tv_tx_packet(pool, m, len, kind, (uint8_t)m->hash.usr,
				 s->held, &s->n_held, MAX_HELD);
}

/* Descriptors the guest must use for m (header pushed into the headroom
 * of a simple mbuf with room, else a separate header and one per
 * segment). */
static uint32_t
tx_ndesc(const struct tv_txq *txq, const struct rte_mbuf *m)
{
	bool simple = m->nb_segs == 1 && RTE_MBUF_DIRECT(m) &&
		      rte_mbuf_refcnt_read(m) == 1;

	if (simple && txq->hdr_push && rte_pktmbuf_headroom(m) >= HDR_LEN)
		return 1;
	return 1u + m->nb_segs;
}

static void
tx_accounting(struct tx_state *s)
{
	const struct tv_txq *txq = s->txq;
	const uint32_t num = txq->pring.num;
	uint32_t chains = 0, descs = 0, nq = 0, nh = 0;

	for (uint32_t id = 0; id < num; id++) {
		const struct tv_tx_slot *slot = &txq->sw[id];
		const char *why = NULL;

		FUZZ_CHECK((slot->m != NULL) == (slot->ndesc != 0),
			   "slot %u: mbuf %p, %u descriptors", id,
			   (void *)slot->m, slot->ndesc);
		if (slot->m == NULL)
			continue;
		chains++;
		descs += slot->ndesc;
		FUZZ_CHECK(rte_mbuf_check(slot->m, 1, &why) == 0,
			   "mbuf in flight: %s", why);
		for (struct rte_mbuf *g = slot->m; g != NULL; g = g->next)
			s->inq[nq++] = g;
	}
	FUZZ_CHECK(
		chains == txq->n_inflight &&
			descs == (uint16_t)(txq->desc_head - txq->desc_tail) &&
			txq->nb_free == num - descs,
		"%u chains of %u descriptors in sw[]; n_inflight %u, "
		"desc %u..%u, nb_free %u",
		chains, descs, txq->n_inflight, txq->desc_tail, txq->desc_head,
		txq->nb_free);
	if (txq->in_order) {
		uint16_t pos = txq->desc_tail;
		uint32_t n = 0;

		while (pos != txq->desc_head && n < num) {
			uint16_t nd = txq->sw[pos % num].ndesc;

			FUZZ_CHECK(nd != 0, "no chain at %u in [%u, %u)", pos,
				   txq->desc_tail, txq->desc_head);
			pos += nd;
			n++;
		}
		FUZZ_CHECK(pos == txq->desc_head && n == chains,
			   "in-order chains do not tile [%u, %u)",
			   txq->desc_tail, txq->desc_head);
	} else {
		bool seen[256] = {false};

		FUZZ_CHECK(txq->n_free_ids + chains == num,
			   "%u free ids + %u chains != %u", txq->n_free_ids,
			   chains, num);
		for (uint32_t i = 0; i < txq->n_free_ids; i++) {
			uint16_t id = txq->free_ids[i];

			FUZZ_CHECK(id < num && !seen[id] &&
					   txq->sw[id].ndesc == 0,
				   "free id %u: out of range, twice or in use",
				   id);
			seen[id] = true;
		}
	}
	for (uint32_t i = 0; i < s->n_held; i++)
		for (struct rte_mbuf *g = s->held[i]; g != NULL; g = g->next)
			s->hq[nh++] = g;
	sort_unique(s->inq, nq, "TX chains in flight");
	sort_unique(s->hq, nh, "held TX packets");
	for (uint32_t id = 0; id < num; id++) {
		const struct rte_mbuf *m = txq->sw[id].m;

		if (m != NULL)
			FUZZ_CHECK(rte_mbuf_refcnt_read(m) ==
					   1 + in_sorted(s->hq, nh, m),
				   "in-flight mbuf with refcnt %u",
				   rte_mbuf_refcnt_read(m));
	}
	FUZZ_CHECK(rte_mempool_avail_count(pool) +
				   union_count(s->inq, nq, s->hq, nh) ==
			   POOL_N,
		   "mbufs: %u in the pool, %u in flight, %u held: not %u",
		   rte_mempool_avail_count(pool), nq, nh, POOL_N);
	FUZZ_CHECK(txq->pring.driver->flags == EV_DISABLE,
		   "driver event flags %u", txq->pring.driver->flags);
}

/* An honest device reads the chain of ndesc descriptors at free-running
 * h whose last names buffer `id`: check it is the packet of that id, laid
 * out as the guest must (every address checked before it is read
 * through), a packet a burst accepted, not older than the last one this
 * device read, and (while the device never lied) the one expected next
 * (marked read in out[]). Returns its sequence number. */
static uint32_t
tx_check_chain(struct tx_state *s, uint16_t h, uint16_t ndesc, uint16_t id)
{
	const struct tv_txq *txq = s->txq;
	const uint32_t num = txq->pring.num;
	const struct tv_packed_desc *d0 = &txq->pring.desc[h % num];
	const struct rte_mbuf *m, *g;
	uint32_t total = 0, seq, i;
	uint8_t tag;

	FUZZ_CHECK(id < num && (!txq->in_order || id == h % num),
		   "chain at %u: buffer id %u", h, id);
	m = txq->sw[id].m;
	FUZZ_CHECK(m != NULL && txq->sw[id].ndesc == ndesc,
		   "chain at %u: id %u is not a chain of %u descriptors", h, id,
		   ndesc);
	for (i = 0; i < s->n_pend; i++)
		FUZZ_CHECK(s->pend[i].id != id,
			   "buffer id %u made available twice", id);
	for (uint16_t k = 0; k < ndesc; k++) {
		uint16_t idx = (uint16_t)(h + k);
		uint16_t fl = txq->pring.desc[idx % num].flags;

		FUZZ_CHECK(fl == ((k + 1 < ndesc ? F_NEXT : 0) |
				  m_avail_bits(idx, num)),
			   "chain at %u: descriptor %u flags 0x%x", h, idx, fl);
	}
	seq = m->hash.usr;
	tag = (uint8_t)seq;
	FUZZ_CHECK(ndesc == tx_ndesc(txq, m),
		   "chain at %u: %u descriptors for a packet of %u segments "
		   "(push %d, headroom %u, refcnt %u)",
		   h, ndesc, m->nb_segs, txq->hdr_push, rte_pktmbuf_headroom(m),
		   rte_mbuf_refcnt_read(m));
	if (ndesc == 1) {
		const uint8_t *p = (const uint8_t *)(uintptr_t)d0->addr;

		FUZZ_CHECK(d0->addr == (uint64_t)(uintptr_t)rte_pktmbuf_mtod(
					       m, char *) -
						   HDR_LEN &&
				   d0->len == m->data_len + HDR_LEN,
			   "chain at %u: pushed header descriptor addr/len %u",
			   h, d0->len);
		FUZZ_CHECK(zero(p, HDR_LEN), "chain at %u: header not zero", h);
		FUZZ_CHECK(filled(p + HDR_LEN, m->data_len, tag, 0),
			   "chain at %u: bytes differ", h);
		total = m->data_len;
	} else {
		FUZZ_CHECK(
			d0->addr == (uint64_t)(uintptr_t)&txq->hdrs[id] &&
				d0->len == HDR_LEN &&
				zero((const uint8_t *)&txq->hdrs[id], HDR_LEN),
			"chain at %u: header descriptor (len %u) is not a "
			"zero header of its own",
			h, d0->len);
		g = m;
		for (uint16_t k = 1; k < ndesc; k++, g = g->next) {
			const struct tv_packed_desc *d =
				&txq->pring.desc[(uint16_t)(h + k) % num];

			FUZZ_CHECK(g != NULL &&
					   d->addr ==
						   (uint64_t)(uintptr_t)
							   rte_pktmbuf_mtod(
								   g, char *) &&
					   d->len == g->data_len,
				   "chain at %u: descriptor %u is not segment "
				   "%u",
				   h, k, k - 1);
			FUZZ_CHECK(filled((const uint8_t *)(uintptr_t)d->addr,
					  d->len, tag, total),
				   "chain at %u: bytes of segment %u differ", h,
				   k - 1);
			total += d->len;
		}
	}
	FUZZ_CHECK(total == m->pkt_len, "chain at %u: %u bytes, packet %u", h,
		   total, m->pkt_len);
	/* A packet a burst took (and did not drop), in the order submitted:
	 * ring order is submission order, also when a handoff sends chains
	 * again without IN_ORDER. */
	FUZZ_CHECK(seq < s->seq && s->accepted[seq],
		   "chain at %u: packet %u was never accepted by a burst", h,
		   seq);
	FUZZ_CHECK(seq >= s->d.next_seq,
		   "chain at %u: packet %u after packet %u or later: not in "
		   "the order submitted",
		   h, seq, s->d.next_seq);
	s->d.next_seq = seq + 1;
	if (!s->lied) {
		for (i = 0; i < s->n_out && s->out[i].read; i++)
			;
		FUZZ_CHECK(i < s->n_out && s->out[i].seq == seq,
			   "chain at %u: packet %u, expected %d", h, seq,
			   i < s->n_out ? (int)s->out[i].seq : -1);
		s->out[i].read = true;
		counts.tx_exact++;
	}
	return seq;
}

/* The device reads the next chain (into pend[]). Returns false if
 * none; *h_out, *nd_out: where it is, how many descriptors. */
static bool
tx_dev_read(struct tx_state *s, uint16_t *h_out, uint16_t *nd_out)
{
	const struct tv_txq *txq = s->txq;
	const uint32_t num = txq->pring.num;
	const uint16_t h = s->d.avail;
	uint16_t n, id;
	uint32_t seq = 0;

	if (h == txq->desc_head) {
		FUZZ_CHECK(s->d.hostile ||
				   !m_is_avail(txq->pring.desc[h % num].flags,
					       h, num),
			   "descriptor %u looks available past what the guest "
			   "published",
			   h);
		return false;
	}
	for (n = 0;; n++) {
		uint16_t idx = (uint16_t)(h + n);
		uint16_t fl;

		if (n >= num || (n > 0 && idx == txq->desc_head)) {
			FUZZ_CHECK(s->d.hostile,
				   "chain at %u runs past what the guest "
				   "published (%u)",
				   h, txq->desc_head);
			return false;
		}
		fl = load_flags(&txq->pring.desc[idx % num]);
		if (!m_is_avail(fl, idx, num)) {
			FUZZ_CHECK(s->d.hostile,
				   "guest counts descriptors up to %u, %u is "
				   "not available (flags 0x%x)",
				   txq->desc_head, idx, fl);
			return false;
		}
		if (!(fl & F_NEXT))
			break;
	}
	n++;
	id = txq->pring.desc[(uint16_t)(h + n - 1) % num].id;
	counts.tx_chains++;
	if (!s->d.hostile)
		seq = tx_check_chain(s, h, n, id);
	if (verbose)
		fprintf(stderr,
			"dev: tx chain at %u: %u descriptors, id %u, "
			"packet %u\n",
			h, n, id, seq);
	s->pend[s->n_pend++] =
		(struct tx_pend){.idx = h, .id = id, .ndesc = n, .seq = seq};
	s->d.avail += n;
	*h_out = h;
	*nd_out = n;
	return true;
}

/* A device that writes where it may only read (op 3, 0x08): junk over
 * the virtio-net header of the chain it just read at h, if the chain's
 * first descriptor points at the header the driver's records say (the
 * ring may hold anything while the device lies). Not a lie the driver
 * could see: it never reads a TX header back, and writes a zero one for
 * every chain it submits. Only a handoff shows it: the chains it makes
 * available again must carry zero headers (tx_check_chain). */
static void
tx_scribble(struct tx_state *s, uint16_t h, uint16_t nd)
{
	const struct tv_txq *txq = s->txq;
	const uint32_t num = txq->pring.num;
	uint16_t id = txq->pring.desc[(uint16_t)(h + nd - 1) % num].id;
	const struct rte_mbuf *m;
	uint8_t *hdr;

	if (id >= num || txq->sw[id].m == NULL || txq->sw[id].ndesc != nd)
		return;
	m = txq->sw[id].m;
	hdr = nd == 1 ? rte_pktmbuf_mtod(m, uint8_t *) - HDR_LEN
		      : (uint8_t *)&txq->hdrs[id];
	if (txq->pring.desc[h % num].addr != (uint64_t)(uintptr_t)hdr)
		return;
	for (uint32_t j = 0; j < HDR_LEN; j++)
		hdr[j] = (uint8_t)(0xa5 + j);
	counts.scribbles++;
	if (verbose)
		fprintf(stderr,
			"dev: junk over the header of chain %u (id %u)\n", h,
			id);
}

static void
tx_done(void *ctx, const struct used_ent *e)
{
	struct tx_state *s = ctx;

	if (s->lied)
		return;
	for (uint8_t k = 0; k < e->nseq; k++) {
		uint32_t i;

		for (i = 0; i < s->n_out && s->out[i].seq != e->seq[k]; i++)
			;
		FUZZ_CHECK(i < s->n_out, "completed packet %u not in flight",
			   e->seq[k]);
		memmove(&s->out[i], &s->out[i + 1],
			(s->n_out - i - 1) * sizeof(s->out[0]));
		s->n_out--;
	}
}

static void
tx_complete(struct fuzz_in *in, struct tx_state *s)
{
	const struct tv_txq *txq = s->txq;
	uint8_t b = fuzz_u8(in);
	uint32_t c = 1 + b % 8u, start = 0, i;
	uint16_t hid = (b & 0x10) ? fuzz_u16(in) : 0;
	uint32_t hlen = (b & 0x20) ? fuzz_u32(in) : 0;
	uint32_t pick[8];
	struct used_ent *e = NULL;

	if (b & 0x80)
		start = fuzz_u8(in);
	if (s->n_pend == 0 || s->d.n_ent + 8 > MAX_ENT)
		return;
	c = RTE_MIN(c, s->n_pend);
	start %= s->n_pend;
	for (i = 0; i < c; i++)
		pick[i] = (start + i) % s->n_pend;
	/* In order, a completion says every older chain is done too. */
	if ((b & 0x10) || (txq->in_order && start != 0) ||
	    ((b & 0x40) && !txq->in_order && c > 1))
		tx_lie(s);
	for (i = 0; i < c; i++) {
		const struct tx_pend *p = &s->pend[pick[i]];

		if (e == NULL || !(b & 0x40)) {
			e = &s->d.ent[s->d.n_ent++];
			*e = (struct used_ent){.idx = s->d.used};
		}
		e->id = p->id;
		e->skip += p->ndesc;
		e->seq[e->nseq++] = p->seq;
		s->d.used += p->ndesc;
	}
	if (b & 0x10)
		e->id = hid;
	if (b & 0x20)
		e->len = hlen;
	/* Drop the chains completed from pend[] (pick[] is a run modulo
	 * n_pend). */
	{
		uint32_t n = 0;
		bool gone[MAX_ENT] = {false};

		for (i = 0; i < c; i++)
			gone[pick[i]] = true;
		for (i = 0; i < s->n_pend; i++)
			if (!gone[i])
				s->pend[n++] = s->pend[i];
		s->n_pend = n;
	}
	if (!(b & 0x08))
		dev_mark(&s->d, &s->txq->pring, MAX_ENT, 0, 0, false, NULL,
			 tx_done, s);
}

static void
tx_burst(struct fuzz_in *in, struct tx_state *s, bool empty)
{
	struct tv_txq *txq = s->txq;
	const uint32_t num = txq->pring.num;
	struct rte_mbuf *pkts[32];
	uint32_t nd[32], seq[32];
	uint16_t n = 0, sent, old_head = txq->desc_head;
	uint64_t drops = txq->stats.drop_too_many_segs, dropped = 0;

	if (!empty) {
		uint16_t want = 1 + fuzz_u8(in) % 32u;

		for (; n < want; n++) {
			uint32_t len = 1 + fuzz_u16(in) % 3000u;
			uint8_t kind = fuzz_u8(in);

			pkts[n] = tx_packet(s, len, kind);
			if (pkts[n] == NULL)
				break;
			if (verbose)
				fprintf(stderr,
					"tx:   packet %u: mbuf %p, %u bytes in "
					"%u segments\n",
					pkts[n]->hash.usr, (void *)pkts[n],
					pkts[n]->pkt_len, pkts[n]->nb_segs);
			nd[n] = tx_ndesc(txq, pkts[n]);
			seq[n] = pkts[n]->hash.usr;
		}
	}
	sent = tv_tx_burst_packed(txq, pkts, n);
	if (verbose)
		fprintf(stderr,
			"tx: burst %u: sent %u (desc %u..%u free %u inflight "
			"%u broken %d)\n",
			n, sent, txq->desc_tail, txq->desc_head, txq->nb_free,
			txq->n_inflight, txq->broken);
	if (verbose)
		for (uint32_t i = 0; i < num; i++)
			fprintf(stderr,
				"tx:   desc %u: addr %p len %u id %u flags "
				"0x%x; slot %u: mbuf %p ndesc %u\n",
				i, (void *)(uintptr_t)txq->pring.desc[i].addr,
				txq->pring.desc[i].len, txq->pring.desc[i].id,
				txq->pring.desc[i].flags, i,
				(void *)txq->sw[i].m, txq->sw[i].ndesc);
	FUZZ_CHECK(sent <= n, "tx burst took %u of %u", sent, n);
	counts.kicks += txq->desc_head != old_head;
	if (txq->desc_head != old_head &&
	    m_kick(txq->pring.device, txq->event_idx, old_head, txq->desc_head,
		   num))
		s->kicks++;
	FUZZ_CHECK(txq->stats.kicks == s->kicks,
		   "%llu kicks, expected %llu (published %u..%u, device "
		   "flags %u off_wrap 0x%x)",
		   (unsigned long long)txq->stats.kicks,
		   (unsigned long long)s->kicks, old_head, txq->desc_head,
		   s->d.ev_flags, s->d.ev_off_wrap);
	for (uint16_t i = 0; i < sent; i++) {
		if (nd[i] > num) {
			dropped++;
			continue;
		}
		s->accepted[seq[i]] = true;
		if (s->lied)
			continue;
		if (s->n_out == MAX_OUT) {
			tx_lie(s); /* cannot follow that many */
			continue;
		}
		s->out[s->n_out++] = (struct tx_out){.seq = seq[i]};
	}
	FUZZ_CHECK(txq->stats.drop_too_many_segs - drops == dropped,
		   "%llu packets dropped as too long, %llu expected",
		   (unsigned long long)(txq->stats.drop_too_many_segs - drops),
		   (unsigned long long)dropped);
	/* A burst stops only at a packet that does not fit. */
	FUZZ_CHECK(sent == n || txq->broken || nd[sent] > txq->nb_free,
		   "burst stopped at packet %u (%u descriptors), %u free", sent,
		   nd[sent], txq->nb_free);
	if (!s->d.hostile) {
		FUZZ_CHECK(!txq->broken, "queue broken by an honest device");
		FUZZ_CHECK(txq->desc_tail == dev_marked(&s->d),
			   "guest took completions up to %u, the device "
			   "marked up to %u",
			   txq->desc_tail, dev_marked(&s->d));
	}
	if (!s->lied)
		FUZZ_CHECK(txq->n_inflight == s->n_out,
			   "%u chains in flight, %u packets not completed",
			   txq->n_inflight, s->n_out);
	for (uint16_t i = sent; i < n; i++)
		rte_pktmbuf_free(pkts[i]);
}

/* A new device takes the ring over at base (the oldest descriptor in
 * flight) and, knowing nothing of the driver's records, takes chains
 * while their descriptors are available: each must be a chain the driver
 * holds of a packet a burst accepted, laid out right with a zero header
 * (tx_check_chain), taken once, in the order submitted; it must take
 * exactly the n_inflight chains and then find the next descriptor not
 * available, and the rest of the ring must say "used on the lap before".
 * It only looks (the device reads them again, checked, from base). */
static void
tx_new_device_walk(struct tx_state *s)
{
	const struct tv_txq *txq = s->txq;
	const struct tv_packed_desc *desc = txq->pring.desc;
	const uint32_t num = txq->pring.num;
	uint16_t h = txq->desc_tail;
	uint32_t chains = 0;
	bool seen[256] = {false};

	while ((uint16_t)(h - txq->desc_tail) < num &&
	       m_is_avail(load_flags(&desc[h % num]), h, num)) {
		uint16_t n, id;

		for (n = 1;
		     load_flags(&desc[(uint16_t)(h + n - 1) % num]) & F_NEXT;
		     n++) {
			uint16_t idx = (uint16_t)(h + n);

			FUZZ_CHECK(
				(uint16_t)(idx - txq->desc_tail) < num &&
					m_is_avail(load_flags(&desc[idx % num]),
						   idx, num),
				"after handoff: the chain at %u goes on at "
				"%u, which is not available (or past the "
				"ring)",
				h, idx);
		}
		id = desc[(uint16_t)(h + n - 1) % num].id;
		FUZZ_CHECK(id < num && !seen[id],
			   "after handoff: the chain at %u (%u descriptors) "
			   "names buffer id %u: out of range or taken twice",
			   h, n, id);
		seen[id] = true;
		tx_check_chain(s, h, n, id);
		counts.tx_chains++;
		counts.walked++;
		chains++;
		h += n;
	}
	FUZZ_CHECK(chains == txq->n_inflight && h == txq->desc_head,
		   "after handoff: a new device takes %u chains from %u up to "
		   "%u, %u are in flight up to %u",
		   chains, txq->desc_tail, h, txq->n_inflight, txq->desc_head);
	check_free_range(&txq->pring, h, num - (uint16_t)(h - txq->desc_tail),
			 "tx");
}

static void
tx_handoff(struct tx_state *s)
{
	struct tv_txq *txq = s->txq;
	struct tv_vring_info vi;

	FUZZ_CHECK(tv_txq_handoff(txq) == 0, "tx handoff");
	counts.handoffs++;
	check_event_reset(txq->pring.device, "tx");
	tv_txq_vring_info(txq, &vi);
	check_vring_info(&vi, &txq->pring, txq->desc_tail, "tx");
	FUZZ_CHECK(!txq->broken, "still broken after a handoff");
	if (!s->d.hostile)
		FUZZ_CHECK(txq->desc_tail == dev_marked(&s->d),
			   "handoff took completions up to %u, the device "
			   "marked up to %u",
			   txq->desc_tail, dev_marked(&s->d));
	if (verbose)
		fprintf(stderr, "tx: handoff: base 0x%x, %u chains at %u..%u\n",
			vi.base, txq->n_inflight, txq->desc_tail,
			txq->desc_head);
	tx_accounting(s);
	if (!s->lied)
		FUZZ_CHECK(txq->n_inflight == s->n_out,
			   "after handoff: %u chains in flight, %u packets not "
			   "completed",
			   txq->n_inflight, s->n_out);
	dev_reset(&s->d, txq->desc_tail);
	s->n_pend = 0;
	for (uint32_t i = 0; i < s->n_out; i++)
		s->out[i].read = false;
	tx_new_device_walk(s);
	/* The walk only looked: the device reads them from base. */
	dev_reset(&s->d, txq->desc_tail);
	for (uint32_t i = 0; i < s->n_out; i++)
		s->out[i].read = false;
}

void
tx_run(const uint8_t *data, size_t size, const struct tv_dp_features *f,
       uint16_t num)
{
	struct fuzz_in in = {.data = data, .size = size, .pos = 2};
	static struct tx_state s;
	struct tv_txq *txq;

	memset(&s, 0, sizeof(s));
	FUZZ_CHECK(tv_txq_create(&s.txq, 0, num, SOCKET_ID_ANY) == 0,
		   "txq create");
	txq = s.txq;
	tv_txq_reset(txq, f);
	tx_accounting(&s);
	for (uint32_t op = 0; op < MAX_OPS && fuzz_left(&in) > 0; op++) {
		switch (fuzz_u8(&in) % 8) {
		case 0:
			tx_burst(&in, &s, false);
			break;
		case 1: {
			uint8_t m = fuzz_u8(&in);
			uint8_t mode = (m >> 3) % 4;
			uint16_t raw = mode == 3 ? fuzz_u16(&in) : 0;

			if (mode == 3)
				s.lied = true;
			dev_mark(&s.d, &txq->pring, m % 8 ? m % 8u : MAX_ENT,
				 mode, raw, false, NULL, tx_done, &s);
			break;
		}
		case 2:
			dev_hostile_write(&in, &s.d, &txq->pring);
			s.lied = true;
			break;
		case 3: {
			uint8_t r = fuzz_u8(&in);
			uint32_t k = 1 + r % 8u;
			uint16_t h, nd;

			while (k-- > 0 && s.n_pend < MAX_ENT &&
			       tx_dev_read(&s, &h, &nd))
				if (r & 0x08)
					tx_scribble(&s, h, nd);
			break;
		}
		case 4:
			tx_complete(&in, &s);
			break;
		case 5:
			dev_event(&in, &s.d, txq->pring.device);
			break;
		case 6:
			tx_handoff(&s);
			break;
		default:
			tx_burst(&in, &s, true);
			break;
		}
		tx_accounting(&s);
	}
	counts.lied += s.d.ever_hostile;
	counts.broken += txq->broken || txq->stats.recoveries > 0;
	FUZZ_CHECK(read_eventfd(txq->kick_fd) == txq->stats.kicks,
		   "kick eventfd disagrees with %llu kicks",
		   (unsigned long long)txq->stats.kicks);
	tv_txq_free(txq);
	fuzz_tv_release_held(pool, POOL_N, s.held, s.n_held);
}
