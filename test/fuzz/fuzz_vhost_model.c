/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * fuzz_vhost_model.c - the reference model of fuzz_vhost_split (see the
 * header for the rules it applies). Written from the virtio spec and
 * lib/vhost's documented contract, not from its code paths: the fast
 * paths of the back-end must agree with this one slow, obvious walker.
 */
#include "fuzz_vhost_model.h"

#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"

typedef unsigned __int128 u128;

const char *
fm_err_name(enum fm_err e)
{
	static const char *const names[] = {
		[FM_OK] = "ok",
		[FM_E_AVAIL_IDX] = "avail idx jump",
		[FM_E_HEAD] = "head out of range",
		[FM_E_NEXT] = "next out of range",
		[FM_E_LOOP] = "chain too long",
		[FM_E_INDIRECT] = "bad indirect table",
		[FM_E_WRAP] = "addr + len wraps",
		[FM_E_ADDR] = "buffer outside memory",
		[FM_E_FLAGS] = "wrong WRITE flag",
		[FM_E_HDR] = "chain shorter than header",
		[FM_E_PKT_LEN] = "bad packet length",
	};

	return (unsigned int)e < sizeof(names) / sizeof(names[0]) ? names[e]
								  : "?";
}

uint8_t *
fm_xlate(const struct fm_mem *m, uint64_t gpa, uint64_t len, uint64_t *contig)
{
	for (unsigned int i = 0; i < m->n; i++) {
		const struct fm_region *r = &m->r[i];

		if (gpa >= r->gpa && gpa - r->gpa < r->size) {
			uint64_t left = r->size - (gpa - r->gpa);

			*contig = len < left ? len : left;
			return m->base + r->file_off + (gpa - r->gpa);
		}
	}
	return NULL;
}

/* Bytes at gpa that the harness placed inside one region (ring parts,
 * checked indirect tables). */
static void
mem_read(const struct fm_mem *m, uint64_t gpa, void *out, uint32_t len)
{
	uint64_t contig = 0;
	const uint8_t *p = fm_xlate(m, gpa, len, &contig);

	FUZZ_CHECK(p != NULL && contig == len,
		   "model read of %u bytes at 0x%llx", len,
		   (unsigned long long)gpa);
	memcpy(out, p, len);
}

uint16_t
fm_avail_entry(const struct fm_ring *q, const struct fm_mem *m, uint16_t idx)
{
	uint16_t v;

	mem_read(m, q->avail_gpa + 4 + 2 * (uint64_t)(idx & (q->num - 1)), &v,
		 2);
	return v;
}

uint16_t
fm_avail_idx(const struct fm_ring *q, const struct fm_mem *m)
{
	uint16_t v;

	mem_read(m, q->avail_gpa + 2, &v, 2);
	return v;
}

/* ---- The walker ---- */

struct fm_chain {
	uint64_t table; /* gpa of the ring's or an indirect table */
	uint32_t table_len;
	uint32_t budget;
	uint32_t idx;
	bool in_indirect;
	bool more;
};

static enum fm_err
chain_start(const struct fm_ring *q, uint16_t head, struct fm_chain *c)
{
	if (head >= q->num)
		return FM_E_HEAD;
	c->table = q->desc_gpa;
	c->table_len = q->num;
	c->budget = q->num;
	c->idx = head;
	c->in_indirect = false;
	c->more = true;
	return FM_OK;
}

static bool
indirect_ok(const struct fm_ring *q, const struct fm_mem *m,
	    const struct tv_desc *d)
{
	uint64_t contig = 0;

	if (!q->indirect_ok || (d->flags & TV_DESC_F_NEXT) || d->len == 0 ||
	    d->len % sizeof(struct tv_desc) != 0 ||
	    d->len / sizeof(struct tv_desc) > q->num)
		return false;
	return fm_xlate(m, d->addr, d->len, &contig) != NULL &&
	       contig == d->len;
}

/* 1: a descriptor in *d; 0: end of chain; -1: *err says why not. */
static int
chain_next(const struct fm_ring *q, const struct fm_mem *m, struct fm_chain *c,
	   struct tv_desc *d, enum fm_err *err)
{
	if (!c->more)
		return 0;
	if (c->budget == 0) {
		*err = FM_E_LOOP;
		return -1;
	}
	c->budget--;
	mem_read(m, c->table + (uint64_t)c->idx * sizeof(*d), d, sizeof(*d));
	if (d->flags & TV_DESC_F_INDIRECT) {
		/* An indirect descriptor stands for the table's first entry:
		 * the table replaces the rest of the chain. */
		if (c->in_indirect || !indirect_ok(q, m, d)) {
			*err = FM_E_INDIRECT;
			return -1;
		}
		c->table = d->addr;
		c->table_len = d->len / sizeof(*d);
		c->budget = c->table_len - 1;
		c->in_indirect = true;
		mem_read(m, c->table, d, sizeof(*d));
		if (d->flags & TV_DESC_F_INDIRECT) {
			*err = FM_E_INDIRECT;
			return -1;
		}
	}
	if (d->flags & TV_DESC_F_NEXT) {
		if (d->next >= c->table_len) {
			*err = FM_E_NEXT;
			return -1;
		}
		c->idx = d->next;
	} else {
		c->more = false;
	}
	if (d->len != 0 && (u128)d->addr + d->len > ((u128)1 << 64)) {
		*err = FM_E_WRAP;
		return -1;
	}
	return 1;
}

static bool
range_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return (u128)a < (u128)b + blen && (u128)b < (u128)a + alen;
}

/* ---- Transmit ---- */

enum fm_err
fm_tx_chain(const struct fm_ring *q, const struct fm_mem *m, uint16_t head,
	    uint8_t *out, uint32_t *len, bool *touches_used)
{
	const uint64_t used_size = 6 + 8 * (uint64_t)q->num;
	uint32_t hdr_left = q->hdr_len;
	uint64_t total = 0;
	struct fm_chain c;
	struct tv_desc d;
	enum fm_err err = chain_start(q, head, &c);
	int rc;

	*len = 0;
	*touches_used = false;
	if (err != FM_OK)
		return err;
	while ((rc = chain_next(q, m, &c, &d, &err)) > 0) {
		uint64_t addr = d.addr;
		uint32_t left = d.len;

		if (d.flags & TV_DESC_F_WRITE)
			return FM_E_FLAGS;
		total += d.len;
		if (total > FM_MAX_PKT_LEN + q->hdr_len)
			return FM_E_PKT_LEN;
		if (range_overlap(d.addr, d.len, q->used_gpa, used_size))
			*touches_used = true;
		while (left > 0) {
			uint64_t contig;
			const uint8_t *p = fm_xlate(m, addr, left, &contig);
			uint32_t skip;

			if (p == NULL)
				return FM_E_ADDR;
			skip = hdr_left < contig ? hdr_left : (uint32_t)contig;
			hdr_left -= skip;
			memcpy(out + *len, p + skip, contig - skip);
			*len += (uint32_t)contig - skip;
			addr += contig;
			left -= (uint32_t)contig;
		}
	}
	if (rc < 0)
		return err;
	if (hdr_left > 0)
		return FM_E_HDR;
	if (*len == 0)
		return FM_E_PKT_LEN;
	return FM_OK;
}

/* ---- Receive ---- */

struct rx_dst {
	struct fm_chain c;
	uint64_t addr;
	uint32_t left;
	uint32_t written;
};

/* Next writable descriptor if the current one is full: 1, 0 (chain
 * ended) or -1. */
static int
dst_room(const struct fm_ring *q, const struct fm_mem *m, struct rx_dst *dst,
	 enum fm_err *err)
{
	struct tv_desc d;

	while (dst->left == 0) {
		int rc = chain_next(q, m, &dst->c, &d, err);

		if (rc <= 0)
			return rc;
		if (!(d.flags & TV_DESC_F_WRITE)) {
			*err = FM_E_FLAGS;
			return -1;
		}
		/* The whole buffer must be guest memory, not only the part
		 * a packet writes (possibly across adjacent regions). */
		for (uint64_t a = d.addr, l = d.len, c; l > 0; a += c, l -= c) {
			if (fm_xlate(m, a, l, &c) == NULL) {
				*err = FM_E_ADDR;
				return -1;
			}
		}
		dst->addr = d.addr;
		dst->left = d.len;
	}
	return 1;
}

/* Write up to want bytes (src NULL: zeros) at the cursor: the part that is
 * contiguous in one region. Returns the bytes written (> 0) and their host
 * pointer in *at, or 0 with *err set. */
static uint32_t
dst_write(const struct fm_mem *m, struct rx_dst *dst, const uint8_t *src,
	  uint32_t want, struct fm_rx_out *out, uint8_t **at, enum fm_err *err)
{
	uint64_t contig;
	uint8_t *p;

	if (want > dst->left)
		want = dst->left;
	p = fm_xlate(m, dst->addr, want, &contig);
	if (p == NULL) {
		*err = FM_E_ADDR;
		return 0;
	}
	if (src != NULL)
		memcpy(p, src, contig);
	else
		memset(p, 0, contig);
	if (out->n_pieces < FM_MAX_PIECES)
		out->pieces[out->n_pieces++] =
			(struct fm_piece){.file_off = (uint64_t)(p - m->base),
					  .len = (uint32_t)contig};
	else
		out->pieces_overflow = true;
	dst->addr += contig;
	dst->left -= (uint32_t)contig;
	dst->written += (uint32_t)contig;
	*at = p;
	return (uint32_t)contig;
}

enum rx_res { RX_DONE, RX_TOO_BIG, RX_NO_ROOM, RX_BROKEN };

static enum rx_res
rx_one(const struct fm_ring *q, struct fm_mem *m, uint16_t avail_idx,
       uint16_t *next, const struct fm_pkt *pkt, struct fm_rx_out *out)
{
	const uint32_t nb_off = offsetof(struct tv_net_hdr_mrg, num_buffers);
	const uint16_t start = *next;
	const uint16_t used_mark = out->n_used;
	const uint32_t piece_mark = out->n_pieces;
	uint8_t *nb[2] = {NULL, NULL};
	uint32_t src_off = 0;
	uint16_t heads = 0;
	enum rx_res res;

	for (;;) {
		struct rx_dst dst = {.left = 0, .written = 0};
		uint16_t head;
		uint8_t *p;
		int rc;

		if (*next == avail_idx) {
			/* Out of buffers: too big if the whole ring was
			 * offered to this packet. */
			res = (uint16_t)(avail_idx - start) == q->num
				      ? RX_TOO_BIG
				      : RX_NO_ROOM;
			goto rollback;
		}
		head = fm_avail_entry(q, m, *next);
		out->err = chain_start(q, head, &dst.c);
		if (out->err != FM_OK)
			goto broken;
		for (uint32_t off = 0; heads == 0 && off < q->hdr_len;) {
			uint32_t n;

			rc = dst_room(q, m, &dst, &out->err);
			if (rc == 0)
				out->err = FM_E_HDR;
			if (rc <= 0)
				goto broken;
			n = dst_write(m, &dst, NULL, q->hdr_len - off, out, &p,
				      &out->err);
			if (n == 0)
				goto broken;
			for (uint32_t i = 0; i < 2; i++)
				if (nb_off + i >= off && nb_off + i < off + n &&
				    nb_off + i < q->hdr_len)
					nb[i] = p + (nb_off + i - off);
			off += n;
		}
		while (src_off < pkt->len) {
			uint32_t n;

			rc = dst_room(q, m, &dst, &out->err);
			if (rc < 0)
				goto broken;
			if (rc == 0)
				break;
			n = dst_write(m, &dst, pkt->data + src_off,
				      pkt->len - src_off, out, &p, &out->err);
			if (n == 0)
				goto broken;
			src_off += n;
		}
		FUZZ_CHECK(out->n_used < FM_MAX_USED, "model used overflow");
		out->used[out->n_used++] =
			(struct fm_used){.id = head, .len = dst.written};
		(*next)++;
		heads++;
		if (src_off == pkt->len)
			break;
		if (!q->mrg_rxbuf) {
			/* One chain per packet, and this one is too small:
			 * it stays available for the next packet. */
			res = RX_TOO_BIG;
			goto rollback;
		}
	}
	if (nb[0] != NULL)
		*nb[0] = (uint8_t)heads;
	if (nb[1] != NULL)
		*nb[1] = (uint8_t)(heads >> 8);
	return RX_DONE;

broken:
	res = RX_BROKEN;
rollback:
	/* The bytes stay written (the guest offered the buffers), but no
	 * chain of this packet is published. */
	*next = start;
	out->n_used = used_mark;
	out->n_pieces = piece_mark;
	return res;
}

void
fm_rx_burst(const struct fm_ring *q, struct fm_mem *m, uint16_t avail_idx,
	    uint16_t *next, const struct fm_pkt *pkts, uint16_t n,
	    struct fm_rx_out *out)
{
	out->done = 0;
	out->delivered = 0;
	out->bytes = 0;
	out->too_big = 0;
	out->no_room = 0;
	out->err = FM_OK;
	out->n_used = 0;
	out->n_pieces = 0;
	out->pieces_overflow = false;
	for (uint16_t i = 0; i < n; i++) {
		enum rx_res r = rx_one(q, m, avail_idx, next, &pkts[i], out);

		if (r == RX_NO_ROOM) {
			out->no_room = 1;
			break;
		}
		if (r == RX_BROKEN)
			break;
		out->done++;
		if (r == RX_TOO_BIG) {
			out->too_big++;
		} else {
			out->delivered++;
			out->bytes += pkts[i].len;
		}
	}
}

/* ---- Ranges ---- */

static void
ranges_push(struct fm_ranges *rs, uint64_t off, uint64_t len)
{
	if (len == 0)
		return;
	if (rs->n == rs->cap) {
		rs->cap = rs->cap ? rs->cap * 2 : 256;
		rs->r = realloc(rs->r, rs->cap * sizeof(*rs->r));
		FUZZ_CHECK(rs->r != NULL, "out of memory");
	}
	rs->r[rs->n++] =
		(struct fm_piece){.file_off = off, .len = (uint32_t)len};
}

void
fm_ranges_add_gpa(struct fm_ranges *rs, const struct fm_mem *m, uint64_t gpa,
		  uint64_t len)
{
	u128 end = (u128)gpa + len;

	for (unsigned int i = 0; i < m->n; i++) {
		const struct fm_region *r = &m->r[i];
		u128 rend = (u128)r->gpa + r->size;
		u128 lo = gpa > r->gpa ? gpa : r->gpa;
		u128 hi = end < rend ? end : rend;

		if (lo < hi)
			ranges_push(rs, r->file_off + (uint64_t)(lo - r->gpa),
				    (uint64_t)(hi - lo));
	}
}

static int
piece_cmp(const void *a, const void *b)
{
	const struct fm_piece *x = a, *y = b;

	return x->file_off < y->file_off ? -1 : x->file_off > y->file_off;
}

bool
fm_ranges_any_overlap(struct fm_ranges *rs)
{
	qsort(rs->r, rs->n, sizeof(*rs->r), piece_cmp);
	for (uint32_t i = 1; i < rs->n; i++)
		if (rs->r[i].file_off <
		    rs->r[i - 1].file_off + rs->r[i - 1].len)
			return true;
	return false;
}

void
fm_ranges_sort(struct fm_ranges *rs)
{
	uint32_t out = 0;

	qsort(rs->r, rs->n, sizeof(*rs->r), piece_cmp);
	for (uint32_t i = 0; i < rs->n; i++) {
		if (out > 0 &&
		    rs->r[i].file_off <=
			    rs->r[out - 1].file_off + rs->r[out - 1].len) {
			uint64_t end = rs->r[i].file_off + rs->r[i].len;
			uint64_t oend =
				rs->r[out - 1].file_off + rs->r[out - 1].len;

			if (end > oend)
				rs->r[out - 1].len =
					(uint32_t)(end -
						   rs->r[out - 1].file_off);
			continue;
		}
		rs->r[out++] = rs->r[i];
	}
	rs->n = out;
}

bool
fm_ranges_contain(const struct fm_ranges *rs, uint64_t off)
{
	uint32_t lo = 0, hi = rs->n;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (off < rs->r[mid].file_off)
			hi = mid;
		else if (off >= rs->r[mid].file_off + rs->r[mid].len)
			lo = mid + 1;
		else
			return true;
	}
	return false;
}

void
fm_rx_writable(const struct fm_ring *q, const struct fm_mem *m, uint16_t first,
	       uint32_t count, struct fm_ranges *writable,
	       struct fm_ranges *tables)
{
	for (uint32_t k = 0; k < count; k++) {
		uint16_t head = fm_avail_entry(q, m, (uint16_t)(first + k));
		uint64_t table = q->desc_gpa;
		uint32_t table_len = q->num, budget = q->num, idx = head;
		bool in_indirect = false;

		if (head >= q->num)
			continue;
		while (budget > 0) {
			struct tv_desc d;

			budget--;
			mem_read(m, table + (uint64_t)idx * sizeof(d), &d,
				 sizeof(d));
			if (d.flags & TV_DESC_F_INDIRECT) {
				if (in_indirect || !indirect_ok(q, m, &d))
					break;
				fm_ranges_add_gpa(tables, m, d.addr, d.len);
				table = d.addr;
				table_len = d.len / sizeof(d);
				budget = table_len;
				idx = 0;
				in_indirect = true;
				continue;
			}
			if (d.flags & TV_DESC_F_WRITE)
				fm_ranges_add_gpa(writable, m, d.addr, d.len);
			if (!(d.flags & TV_DESC_F_NEXT) || d.next >= table_len)
				break;
			idx = d.next;
		}
	}
}
