/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * The mock front-end's packed rings (virtio 1.2, section 2.8): the
 * driver's side, written from the spec rather than from lib/vhost, so a
 * back-end that disagrees with it fails the test (see mock_guest.h).
 *
 * The driver keeps two free-running 16-bit indexes per ring, avail_idx
 * (where it makes the next buffer available) and used_seen (where it
 * expects the next used descriptor); a ring's size is a power of two, so
 * an index carries the position (idx % num) and the lap, whose parity is
 * the wrap counter (1 on lap 0, section 2.8.1). Buffer ids are < num and
 * run in a pattern of their own (not the positions); descriptors other
 * than a list's last carry an id >= 0x8000, which no buffer has, so a
 * device that takes the wrong descriptor's id is caught.
 */
#include "mock_guest.h"

#include <string.h>

static struct mg_vq *
pk_vq(struct mg *g, uint32_t vq)
{
	CHECK(vq < MG_MAX_VQS && g->vq[vq].pring.desc != NULL,
	      "vring %u has no packed ring", vq);
	return &g->vq[vq];
}

/* Flags of a descriptor the driver makes available at idx: AVAIL = its
 * wrap counter, USED the inverse (section 2.8.1). */
static uint16_t
avail_bits(uint16_t idx, uint32_t num)
{
	return mg_pk_wrap(idx, num) ? TV_PACKED_F_AVAIL : TV_PACKED_F_USED;
}

/* What a used descriptor at idx carries: AVAIL = USED = the wrap counter
 * (section 2.8.2). */
static uint16_t
used_bits(uint16_t idx, uint32_t num)
{
	return mg_pk_wrap(idx, num) ? TV_PACKED_F_AVAIL | TV_PACKED_F_USED : 0;
}

uint16_t
mg_pk_base_idx(uint32_t num, uint32_t base)
{
	return (uint16_t)((base & 0x7fffu) + ((base & 0x8000u) ? 0u : num));
}

uint16_t
mg_pk_junk_id(uint16_t idx)
{
	return (uint16_t)(0x8000u | (idx & 0x7fffu));
}

struct tv_packed_desc *
mg_pk_desc(struct mg *g, uint32_t vq, uint16_t idx)
{
	struct mg_vq *q = pk_vq(g, vq);

	return &q->pring.desc[idx & (q->num - 1)];
}

struct tv_packed_desc *
mg_pk_head(struct mg *g, uint32_t vq)
{
	return mg_pk_desc(g, vq, pk_vq(g, vq)->pk_last);
}

void
mg_pk_head_flags_or(struct mg *g, uint32_t vq, uint16_t flags)
{
	struct tv_packed_desc *h = mg_pk_head(g, vq);

	__atomic_store_n(&h->flags, (uint16_t)(h->flags | flags),
			 __ATOMIC_RELEASE);
}

uint16_t
mg_pk_post_raw(struct mg *g, uint32_t vq, const struct mg_pdesc *d, uint32_t n)
{
	const uint16_t wrap_bits = TV_PACKED_F_AVAIL | TV_PACKED_F_USED;
	struct mg_vq *q = pk_vq(g, vq);
	const uint32_t mask = q->num - 1;
	const uint16_t head = q->avail_idx;
	/* An odd multiplier: a bijection on any num consecutive buffers,
	 * and ids that are not the positions. */
	const uint16_t id = (uint16_t)((q->pk_serial * 5u + 1u) & mask);
	struct mg_pkbuf *b = &q->pkbuf[id];
	struct tv_packed_desc *h = &q->pring.desc[head & mask];

	CHECK(n >= 1 && n <= q->num, "buffer of %u descriptors", n);
	CHECK((uint32_t)(uint16_t)(q->avail_idx - q->used_seen) + n <= q->num,
	      "vring %u full: %u descriptors in flight, %u more", vq,
	      (uint16_t)(q->avail_idx - q->used_seen), n);
	CHECK(!b->in_flight, "buffer id %u still in flight", id);
	for (uint32_t i = 1; i < n; i++) {
		uint16_t at = (uint16_t)(head + i);
		struct tv_packed_desc *x = &q->pring.desc[at & mask];

		x->addr = d[i].addr;
		x->len = d[i].len;
		x->id = i + 1 == n ? id : mg_pk_junk_id(at);
		x->flags = (uint16_t)((d[i].flags & ~wrap_bits) |
				      avail_bits(at, q->num));
	}
	h->addr = d[0].addr;
	h->len = d[0].len;
	h->id = n == 1 ? id : mg_pk_junk_id(head);
	/* The list before its head (section 2.8.21): the device reads the
	 * rest once it sees the head's flags. */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	__atomic_store_n(&h->flags,
			 (uint16_t)((d[0].flags & ~wrap_bits) |
				    avail_bits(head, q->num)),
			 __ATOMIC_RELAXED);

	b->in_flight = true;
	b->indirect = false;
	b->idx = head;
	b->nd = (uint16_t)n;
	b->n_seg = 0;
	for (uint32_t i = 0; i < n && b->n_seg < MG_PK_SEGS; i++) {
		if (d[i].flags & TV_DESC_F_INDIRECT)
			continue;
		b->addr[b->n_seg] = d[i].addr;
		b->len[b->n_seg++] = d[i].len;
	}
	q->avail_idx = (uint16_t)(head + n);
	q->pk_last = head;
	q->pk_serial++;
	return id;
}

uint16_t
mg_pk_post(struct mg *g, uint32_t vq, const struct mg_pdesc *d, uint32_t n)
{
	struct mg_pdesc *l = calloc(n, sizeof(*l));
	uint16_t id;

	CHECK(l != NULL, "out of memory");
	for (uint32_t i = 0; i < n; i++) {
		l[i] = d[i];
		if (i + 1 < n)
			l[i].flags |= TV_DESC_F_NEXT;
	}
	id = mg_pk_post_raw(g, vq, l, n);
	free(l);
	return id;
}

uint16_t
mg_pk_post_indirect(struct mg *g, uint32_t vq, const struct mg_pdesc *d,
		    uint32_t n, struct tv_packed_desc **table)
{
	struct tv_packed_desc *t =
		mg_alloc(g, (n ? n : 1) * sizeof(struct tv_packed_desc), 16);
	struct mg_pdesc h;
	struct mg_pkbuf *b;
	uint16_t id;

	for (uint32_t i = 0; i < n; i++) {
		t[i].addr = d[i].addr;
		t[i].len = d[i].len;
		t[i].id = 0;
		t[i].flags = d[i].flags;
	}
	h.addr = mg_gpa(g, t);
	h.len = n * (uint32_t)sizeof(struct tv_packed_desc);
	h.flags = TV_DESC_F_INDIRECT;
	id = mg_pk_post_raw(g, vq, &h, 1);
	b = &g->vq[vq].pkbuf[id];
	b->indirect = true;
	b->n_seg = 0;
	for (uint32_t i = 0; i < n && i < MG_PK_SEGS; i++) {
		b->addr[b->n_seg] = d[i].addr;
		b->len[b->n_seg++] = d[i].len;
	}
	if (table != NULL)
		*table = t;
	return id;
}

bool
mg_pk_used_next(struct mg *g, uint32_t vq, uint16_t *id, uint32_t *len,
		uint16_t *flags)
{
	const uint16_t wrap_bits = TV_PACKED_F_AVAIL | TV_PACKED_F_USED;
	struct mg_vq *q = pk_vq(g, vq);
	const uint32_t mask = q->num - 1;
	const uint16_t at = q->used_seen;
	struct tv_packed_desc *x = &q->pring.desc[at & mask];
	struct mg_pkbuf *b;
	uint16_t f;

	/* Nothing in flight: the slot holds an old lap's descriptor (or
	 * zeros), which the driver does not look at. */
	if (q->used_seen == q->avail_idx)
		return false;
	/* Acquire: pairs with the device's release before the flags; the
	 * id and length read below are the ones it wrote. */
	f = __atomic_load_n(&x->flags, __ATOMIC_ACQUIRE);
	if ((f & wrap_bits) != used_bits(at, q->num))
		return false;
	*id = x->id;
	*len = x->len;
	*flags = f;
	CHECK(*id < q->num && q->pkbuf[*id].in_flight,
	      "vring %u: used descriptor at %u has id %u, not a buffer in "
	      "flight",
	      vq, at & mask, *id);
	b = &q->pkbuf[*id];
	CHECK(b->idx == at,
	      "vring %u: used id %u written at %u, its buffer starts at %u", vq,
	      *id, at & mask, b->idx & mask);
	/* The device skips the rest of the list (section 2.8.7): those
	 * descriptors are as the driver wrote them. */
	for (uint32_t i = 1; i < b->nd; i++) {
		uint16_t p = (uint16_t)(at + i);
		const struct tv_packed_desc *y = &q->pring.desc[p & mask];

		CHECK(y->id == (i + 1 == b->nd ? *id : mg_pk_junk_id(p)) &&
			      (y->flags & wrap_bits) == avail_bits(p, q->num),
		      "vring %u: descriptor %u of buffer %u was written "
		      "(id %u flags 0x%x)",
		      vq, p & mask, *id, y->id, y->flags);
	}
	b->in_flight = false;
	q->used_seen = (uint16_t)(at + b->nd);
	return true;
}

void
mg_pk_buf_read(struct mg *g, uint32_t vq, uint16_t id, uint8_t *out,
	       uint32_t len)
{
	struct mg_vq *q = pk_vq(g, vq);
	const struct mg_pkbuf *b;

	CHECK(id < q->num, "buffer id %u", id);
	b = &q->pkbuf[id];
	for (uint32_t i = 0; len > 0; i++) {
		uint32_t n;

		CHECK(i < b->n_seg, "buffer %u shorter than asked", id);
		n = b->len[i] < len ? b->len[i] : len;
		memcpy(out, mg_ptr(g, b->addr[i]), n);
		out += n;
		len -= n;
	}
}

uint16_t
mg_pk_tx_post(struct mg *g, uint32_t vq, enum mg_tx_layout layout,
	      const uint8_t *pkt, uint32_t len, uint32_t hdr_len,
	      uint16_t ind_flags)
{
	struct mg_pdesc d[64];
	uint32_t n = 0;
	uint8_t *buf;

	memset(d, 0, sizeof(d));
	switch (layout) {
	case MG_TX_HDR_OWN:
		buf = mg_alloc(g, hdr_len, 16);
		memset(buf, 0, hdr_len);
		d[n].addr = mg_gpa(g, buf);
		d[n++].len = hdr_len;
		buf = mg_alloc(g, len, 64);
		memcpy(buf, pkt, len);
		d[n].addr = mg_gpa(g, buf);
		d[n++].len = len;
		break;
	case MG_TX_HDR_SAME:
	case MG_TX_STRADDLE:
		if (layout == MG_TX_STRADDLE) {
			/* Across the boundary of the two regions. */
			size_t start = MG_MEM_SIZE / 2 - (hdr_len + len) / 2;

			CHECK(g->heap_off <= start,
			      "heap too full for straddle");
			buf = g->mem + start;
		} else {
			buf = mg_alloc(g, hdr_len + len, 64);
		}
		memset(buf, 0, hdr_len);
		memcpy(buf + hdr_len, pkt, len);
		d[n].addr = mg_gpa(g, buf);
		d[n++].len = hdr_len + len;
		break;
	case MG_TX_CHAIN:
	case MG_TX_INDIRECT:
	default: {
		/* As mg_tx_post: header split 5 + (hdr_len - 5), the second
		 * piece with the first data bytes, then 700-byte pieces. */
		uint32_t first_part = len < 100 ? len : 100;

		buf = mg_alloc(g, hdr_len + len, 64);
		memset(buf, 0, hdr_len);
		memcpy(buf + hdr_len, pkt, len);
		d[n].addr = mg_gpa(g, buf);
		d[n++].len = 5;
		d[n].addr = mg_gpa(g, buf + 5);
		d[n++].len = hdr_len - 5 + first_part;
		for (uint32_t off = hdr_len + first_part; off < hdr_len + len;
		     off += 700) {
			CHECK(n < RTE_DIM(d), "packet too long for a chain");
			d[n].addr = mg_gpa(g, buf + off);
			d[n++].len = hdr_len + len - off < 700
					     ? hdr_len + len - off
					     : 700;
		}
		if (layout == MG_TX_INDIRECT) {
			for (uint32_t i = 0; i < n; i++)
				d[i].flags = ind_flags;
			return mg_pk_post_indirect(g, vq, d, n, NULL);
		}
		break;
	}
	}
	return mg_pk_post(g, vq, d, n);
}

uint16_t
mg_pk_rx_post(struct mg *g, uint32_t vq, uint32_t n_desc, uint32_t desc_len,
	      bool indirect)
{
	struct mg_pdesc *d = calloc(n_desc, sizeof(*d));
	uint16_t id;

	CHECK(d != NULL, "out of memory");
	for (uint32_t i = 0; i < n_desc; i++) {
		uint8_t *b = mg_alloc(g, desc_len ? desc_len : 1, 16);

		memset(b, 0xee, desc_len);
		d[i].addr = mg_gpa(g, b);
		d[i].len = desc_len;
		d[i].flags = TV_DESC_F_WRITE;
	}
	id = indirect ? mg_pk_post_indirect(g, vq, d, n_desc, NULL)
		      : mg_pk_post(g, vq, d, n_desc);
	free(d);
	return id;
}

void
mg_pk_rewind(struct mg *g, uint32_t vq, uint32_t base)
{
	struct mg_vq *q = pk_vq(g, vq);
	const uint16_t at = mg_pk_base_idx(q->num, base);
	uint16_t id, flags;
	uint32_t len;

	while (mg_pk_used_next(g, vq, &id, &len, &flags))
		;
	/* Same position and lap parity: the indexes agree modulo 2 num. */
	CHECK(((uint16_t)(q->used_seen - at) & (2 * q->num - 1)) == 0,
	      "vring %u: the device stopped at %u (wrap %u), the driver's "
	      "next used descriptor is %u (wrap %u)",
	      vq, base & 0x7fffu, (base >> 15) & 1u,
	      q->used_seen & (q->num - 1), mg_pk_wrap(q->used_seen, q->num));
	for (uint16_t i = q->used_seen; i != q->avail_idx; i++)
		memset(&q->pring.desc[i & (q->num - 1)], 0,
		       sizeof(struct tv_packed_desc));
	for (uint32_t i = 0; i < q->num; i++)
		q->pkbuf[i].in_flight = false;
	q->avail_idx = q->used_seen;
}
