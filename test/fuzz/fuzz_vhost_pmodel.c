/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * fuzz_vhost_pmodel.c - the reference model of fuzz_vhost_packed (see the
 * header for the rules it applies). One slow, obvious walker over a copy
 * of guest memory; it shares nothing with lib/vhost but the memory
 * helpers of fuzz_vhost_model.c.
 */
#include "fuzz_vhost_pmodel.h"

#include <stddef.h>
#include <string.h>

#include "fuzz_common.h"

typedef unsigned __int128 u128;

const char *
pm_err_name(enum pm_err e)
{
	static const char *const names[] = {
		[PM_OK] = "ok",
		[PM_E_LOOP] = "list or packet too long",
		[PM_E_INDIRECT] = "bad indirect table",
		[PM_E_ADDR] = "buffer outside memory or wrapping",
		[PM_E_FLAGS] = "wrong WRITE flag",
		[PM_E_HDR] = "shorter than the header",
		[PM_E_PKT_LEN] = "bad packet length",
	};

	return (unsigned int)e < sizeof(names) / sizeof(names[0]) ? names[e]
								  : "?";
}

void
pm_idx_advance(const struct pm_ring *q, struct pm_idx *i, uint32_t n)
{
	for (uint32_t k = 0; k < n; k++) {
		if (++i->pos == q->num) {
			i->pos = 0;
			i->wrap = !i->wrap;
		}
	}
}

uint16_t
pm_avail_bits(bool wrap)
{
	return wrap ? PM_F_AVAIL : PM_F_USED;
}

uint16_t
pm_used_bits(bool wrap)
{
	return wrap ? PM_F_AVAIL | PM_F_USED : 0;
}

bool
pm_is_avail(uint16_t flags, bool wrap)
{
	bool a = (flags & PM_F_AVAIL) != 0, u = (flags & PM_F_USED) != 0;

	return a == wrap && u != wrap;
}

static uint64_t
get_le(const uint8_t *p, unsigned int n)
{
	uint64_t v = 0;

	for (unsigned int i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static void
put_le(uint8_t *p, uint64_t v, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

void
pm_desc_get(const uint8_t *p, struct pm_desc *d)
{
	d->addr = get_le(p, 8);
	d->len = (uint32_t)get_le(p + 8, 4);
	d->id = (uint16_t)get_le(p + 12, 2);
	d->flags = (uint16_t)get_le(p + 14, 2);
}

void
pm_desc_put(uint8_t *p, const struct pm_desc *d)
{
	put_le(p, d->addr, 8);
	put_le(p + 8, d->len, 4);
	put_le(p + 12, d->id, 2);
	put_le(p + 14, d->flags, 2);
}

/* ---- One burst's view ---- */

struct burst {
	const struct pm_ring *q;
	const struct fm_mem *m;
	enum pm_return ret;
	uint8_t *ring; /* host pointer of the descriptor ring in m */
	/* Positions holding a used descriptor this burst wrote (or may have
	 * written already: lib/vhost's batches). */
	bool used_here[PM_MAX_RING];
	const char **ambiguous;
};

static void
burst_init(struct burst *b, const struct pm_ring *q, const struct fm_mem *m,
	   enum pm_return ret, const char **ambiguous)
{
	uint64_t contig = 0;

	b->q = q;
	b->m = m;
	b->ret = ret;
	b->ring = fm_xlate(m, q->desc_gpa, (uint64_t)q->num * PM_DESC_SIZE,
			   &contig);
	FUZZ_CHECK(b->ring != NULL && contig == q->num * PM_DESC_SIZE,
		   "model: the ring is not in one region");
	memset(b->used_here, 0, sizeof(b->used_here));
	b->ambiguous = ambiguous;
	*ambiguous = NULL;
}

/* Do host bytes [p, p + len) touch the id, len or flags of a used
 * descriptor this burst wrote? */
static bool
touches_used(const struct burst *b, const uint8_t *p, uint64_t len)
{
	const uint8_t *end = b->ring + (size_t)b->q->num * PM_DESC_SIZE;

	/* Only returning at the end leaves used descriptors unwritten while
	 * the burst goes on. */
	if (b->ret != PM_RETURN_AT_END || len == 0 || p >= end ||
	    p + len <= b->ring)
		return false;
	for (uint32_t pos = 0; pos < b->q->num; pos++) {
		const uint8_t *f = b->ring + (size_t)pos * PM_DESC_SIZE + 8;

		if (b->used_here[pos] && p < f + 8 && f < p + len)
			return true;
	}
	return false;
}

static void
ring_read(const struct burst *b, uint32_t pos, struct pm_desc *d)
{
	const uint8_t *p = b->ring + (size_t)pos * PM_DESC_SIZE;

	if (touches_used(b, p, PM_DESC_SIZE))
		*b->ambiguous = "a list reads a used descriptor of the burst";
	pm_desc_get(p, d);
}

/* ---- The walker ---- */

/* One buffer descriptor as the consumer sees it. */
struct pm_buf_desc {
	uint64_t addr;
	uint32_t len;
	bool write;
	bool in_table;
};

struct walk {
	struct pm_idx head;
	uint32_t nd;	/* ring descriptors of the list so far */
	uint32_t limit; /* ring descriptors the list may take */
	bool more;
	const uint8_t *table; /* host pointer of the indirect table, or NULL */
	uint32_t tlen, tpos;
	uint16_t id;
	uint32_t reads;
};

/* A walk of the buffer at `head`, taken after `before` descriptors of the
 * same burst: the front-end owns at most num descriptors from the first
 * one not returned to it (written used), so the list may take num -
 * before of them (lib/vhost returns buffers in batches whose ends only
 * loosen that; see walk_next). */
static void
walk_start(const struct burst *b, struct walk *w, struct pm_idx head,
	   uint32_t before)
{
	memset(w, 0, sizeof(*w));
	w->head = head;
	w->limit = b->q->num;
	if (b->ret == PM_RETURN_AT_END)
		w->limit = before < b->q->num ? b->q->num - before : 0;
	w->more = true;
}

/* 1: the next buffer descriptor in *d; 0: the buffer ended; -1: *err. */
static int
walk_next(const struct burst *b, struct walk *w, struct pm_buf_desc *d,
	  enum pm_err *err)
{
	const struct pm_ring *q = b->q;
	struct pm_desc pd;

	if (w->table == NULL) {
		struct pm_idx at = w->head;

		if (!w->more)
			return 0;
		if (w->nd == w->limit) {
			/* Past what the front-end owns if nothing of the
			 * burst was returned yet; lib/vhost may have. */
			if (w->limit < q->num && b->ret == PM_RETURN_AT_END)
				*b->ambiguous = "a list runs into descriptors "
						"the burst took";
			*err = PM_E_LOOP;
			return -1;
		}
		pm_idx_advance(q, &at, w->nd);
		ring_read(b, at.pos, &pd);
		w->nd++;
		w->reads++;
		w->more = (pd.flags & PM_F_NEXT) != 0;
		if (!w->more)
			w->id = pd.id;
		if (pd.flags & PM_F_INDIRECT) {
			uint64_t contig = 0;
			const uint8_t *t;

			if (!q->indirect_ok || (pd.flags & PM_F_NEXT) ||
			    pd.len == 0 || pd.len % PM_DESC_SIZE != 0 ||
			    pd.len / PM_DESC_SIZE > q->num) {
				*err = PM_E_INDIRECT;
				return -1;
			}
			t = fm_xlate(b->m, pd.addr, pd.len, &contig);
			if (t == NULL || contig != pd.len) {
				*err = PM_E_ADDR;
				return -1;
			}
			w->table = t;
			w->tlen = pd.len / PM_DESC_SIZE;
			w->tpos = 0;
		} else {
			d->addr = pd.addr;
			d->len = pd.len;
			d->write = (pd.flags & PM_F_WRITE) != 0;
			d->in_table = false;
			goto check;
		}
	}
	if (w->tpos == w->tlen)
		return 0;
	{
		const uint8_t *e = w->table + (size_t)w->tpos * PM_DESC_SIZE;

		if (touches_used(b, e, PM_DESC_SIZE))
			*b->ambiguous = "an indirect table holds a used "
					"descriptor of the burst";
		pm_desc_get(e, &pd);
	}
	w->tpos++;
	w->reads++;
	d->addr = pd.addr;
	d->len = pd.len;
	d->write = (pd.flags & PM_F_WRITE) != 0;
	d->in_table = true;
check:
	if (d->len != 0 && (u128)d->addr + d->len > ((u128)1 << 64)) {
		*err = PM_E_ADDR;
		return -1;
	}
	return 1;
}

/* Is the buffer at `at` available? A position whose used descriptor this
 * burst wrote may still show the flags it had (lib/vhost writes in
 * batches): if those say "not available", so would the used flags (AVAIL
 * equal to USED is never available); if they say "available", the
 * answer depends on the batching. */
static bool
head_avail(const struct burst *b, struct pm_idx at)
{
	struct pm_desc d;
	bool avail;

	pm_desc_get(b->ring + (size_t)at.pos * PM_DESC_SIZE, &d);
	avail = pm_is_avail(d.flags, at.wrap);
	if (avail && b->used_here[at.pos] && b->ret == PM_RETURN_AT_END)
		*b->ambiguous = "a position used in the burst looks "
				"available again";
	return avail;
}

/* ---- Transmit ---- */

enum tx_res { TX_OK, TX_ERR, TX_NOMEM };

static uint32_t
mbufs_for(uint64_t bytes, uint32_t room)
{
	uint64_t n = (bytes + room - 1) / room;

	return n == 0 ? 1 : (uint32_t)(n > UINT32_MAX ? UINT32_MAX : n);
}

/* One transmit buffer at `at`: its packet into out[], or why not. */
static enum tx_res
tx_one(const struct burst *b, struct pm_idx at, uint32_t before, uint32_t room,
       uint32_t free_mbufs, uint8_t *out, struct pm_tx_pkt *pkt, struct walk *w,
       enum pm_err *err)
{
	const struct pm_ring *q = b->q;
	uint32_t hdr_left = q->hdr_len;
	uint64_t total = 0;
	struct pm_buf_desc d;
	int rc;

	pkt->len = 0;
	pkt->bytes_unsure = false;
	walk_start(b, w, at, before);
	while ((rc = walk_next(b, w, &d, err)) > 0) {
		uint64_t addr = d.addr;
		uint32_t left = d.len;

		if (d.write && !d.in_table) {
			*err = PM_E_FLAGS;
			return TX_ERR;
		}
		total += d.len;
		if (total > PM_MAX_PKT_LEN + q->hdr_len) {
			*err = PM_E_PKT_LEN;
			return TX_ERR;
		}
		while (left > 0) {
			uint64_t contig;
			const uint8_t *p = fm_xlate(b->m, addr, left, &contig);
			uint32_t skip;

			if (p == NULL) {
				*err = PM_E_ADDR;
				return TX_ERR;
			}
			if (touches_used(b, p, contig))
				pkt->bytes_unsure = true;
			skip = hdr_left < contig ? hdr_left : (uint32_t)contig;
			hdr_left -= skip;
			memcpy(out + pkt->len, p + skip, contig - skip);
			pkt->len += (uint32_t)contig - skip;
			/* Filled in order, a packet of L bytes needs
			 * ceil(L / room) mbufs: lib/vhost fails the first
			 * one the pool cannot give. */
			if (mbufs_for(pkt->len, room) > free_mbufs)
				return TX_NOMEM;
			addr += contig;
			left -= (uint32_t)contig;
		}
	}
	if (rc < 0)
		return TX_ERR;
	if (hdr_left > 0) {
		*err = PM_E_HDR;
		return TX_ERR;
	}
	if (pkt->len == 0) {
		*err = PM_E_PKT_LEN;
		return TX_ERR;
	}
	return TX_OK;
}

void
pm_tx_burst(const struct pm_ring *q, const struct fm_mem *m, enum pm_return ret,
	    struct pm_idx start, uint16_t n, uint32_t room, uint32_t free_mbufs,
	    bool discard, uint8_t *bytes, struct pm_tx_out *out)
{
	struct burst b;
	struct pm_idx at = start;

	memset(out, 0, sizeof(*out));
	burst_init(&b, q, m, ret, &out->ambiguous);
	while (out->n_used < n) {
		struct pm_tx_pkt *pkt = &out->pkt[out->n_used];
		struct walk w;
		enum pm_err err = PM_OK;
		enum tx_res r;

		if (!head_avail(&b, at))
			break;
		if (free_mbufs == 0) {
			out->no_mbufs = 1;
			break;
		}
		r = tx_one(&b, at, out->n_desc, room, free_mbufs,
			   bytes + (size_t)out->n_used * PM_PKT_SLOT, pkt, &w,
			   &err);
		if (r == TX_NOMEM) {
			out->no_mbufs = 1;
			break;
		}
		if (r == TX_ERR) {
			out->err = err;
			break;
		}
		out->used[out->n_used] =
			(struct pm_used){.at = at, .id = w.id, .len = 0};
		if (ret == PM_RETURN_AT_ONCE)
			pm_write_used(q, m, &out->used[out->n_used], 1, false);
		out->n_used++;
		b.used_here[at.pos] = true;
		if (!discard) {
			uint32_t k = mbufs_for(pkt->len, room);

			free_mbufs -= k;
			out->mbufs_held += k;
		}
		pm_idx_advance(q, &at, w.nd);
		out->n_desc += w.nd;
	}
	out->next = at;
}

/* ---- Receive ---- */

struct rx_piece {
	uint8_t *host;
	uint32_t len;
	uint32_t buf;
};

struct rx_gather {
	struct rx_piece piece[PM_RX_MAX_PIECES];
	struct pm_used buf[PM_RX_MAX_BUFS];
	uint32_t n_piece, n_buf;
	uint64_t room;
	uint32_t span; /* descriptors the buffers take */
	struct pm_idx next;
};

enum rx_res { RX_DONE, RX_TOO_BIG, RX_NO_ROOM, RX_BROKEN };

/* The buffers from `start` on that a packet of need bytes (header
 * included) fills; reads only. */
static enum rx_res
rx_gather(const struct burst *b, struct pm_idx start, uint32_t before,
	  uint64_t need, struct rx_gather *g, enum pm_err *err)
{
	const struct pm_ring *q = b->q;
	struct pm_idx at = start;
	uint32_t reads = 0;

	g->n_piece = 0;
	g->n_buf = 0;
	g->room = 0;
	g->span = 0;
	while (g->room < need) {
		struct pm_buf_desc d;
		struct walk w;
		int rc;

		if (g->n_buf > 0 && !q->mrg_rxbuf)
			return RX_TOO_BIG;
		if (g->n_buf == PM_RX_MAX_BUFS)
			return RX_TOO_BIG;
		if (!head_avail(b, at))
			return g->span >= q->num ? RX_TOO_BIG : RX_NO_ROOM;
		walk_start(b, &w, at, before + g->span);
		while ((rc = walk_next(b, &w, &d, err)) > 0) {
			uint64_t addr = d.addr;
			uint32_t left = d.len;

			if (!d.write) {
				*err = PM_E_FLAGS;
				return RX_BROKEN;
			}
			/* All of the buffer must be guest memory, also the
			 * part the packet does not need. */
			while (left > 0) {
				uint64_t contig;
				uint8_t *p =
					fm_xlate(b->m, addr, left, &contig);

				if (p == NULL) {
					*err = PM_E_ADDR;
					return RX_BROKEN;
				}
				if (g->room < need) {
					if (g->n_piece == PM_RX_MAX_PIECES)
						return RX_TOO_BIG;
					g->piece[g->n_piece++] =
						(struct rx_piece){
							.host = p,
							.len = (uint32_t)contig,
							.buf = g->n_buf};
					g->room += contig;
				}
				addr += contig;
				left -= (uint32_t)contig;
			}
		}
		if (rc < 0)
			return RX_BROKEN;
		/* Every receive buffer holds at least a header (virtio 1.2,
		 * 5.1.6.3.1); lib/vhost insists on the first. */
		if (g->n_buf == 0 && g->room < q->hdr_len) {
			*err = PM_E_HDR;
			return RX_BROKEN;
		}
		reads += w.reads;
		if (reads > 2 * q->num) {
			*err = PM_E_LOOP;
			return RX_BROKEN;
		}
		g->buf[g->n_buf++] =
			(struct pm_used){.at = at, .id = w.id, .len = 0};
		pm_idx_advance(q, &at, w.nd);
		g->span += w.nd;
	}
	g->next = at;
	return RX_DONE;
}

/* Header and packet into the gathered pieces. */
/* Host bytes [p, p + len) of a packet land on used descriptors written
 * earlier in the burst: whether the packet's bytes or the used
 * descriptor's are there at the end depends on lib/vhost's batches. Both
 * are right; note the bytes where that is so. */
static void
note_either(const struct burst *b, struct pm_rx_out *out, const uint8_t *p,
	    uint32_t len)
{
	for (uint32_t pos = 0; pos < b->q->num; pos++) {
		const uint8_t *f = b->ring + (size_t)pos * PM_DESC_SIZE + 8;
		const uint8_t *lo = p > f ? p : f;
		const uint8_t *hi = p + len < f + 8 ? p + len : f + 8;

		if (!b->used_here[pos] || lo >= hi)
			continue;
		if (out->n_either == PM_MAX_EITHER) {
			*b->ambiguous = "packets are written over many used "
					"descriptors of the burst";
			return;
		}
		out->either[out->n_either++] = (struct fm_piece){
			.file_off = (uint64_t)(lo - b->m->base),
			.len = (uint32_t)(hi - lo)};
	}
}

static void
rx_write(const struct burst *b, struct rx_gather *g,
	 const struct pm_rx_pkt *pkt, struct pm_rx_out *out)
{
	uint8_t hdr[12];
	uint32_t piece = 0, off = 0;

	memset(hdr, 0, sizeof(hdr));
	if (b->q->hdr_len >= 12) {
		hdr[10] = (uint8_t)g->n_buf;
		hdr[11] = (uint8_t)(g->n_buf >> 8);
	}
	for (uint32_t part = 0; part < 2; part++) {
		const uint8_t *src = part == 0 ? hdr : pkt->data;
		uint32_t len = part == 0 ? b->q->hdr_len : pkt->len;

		while (len > 0) {
			struct rx_piece *p = &g->piece[piece];
			uint32_t k = p->len - off;

			FUZZ_CHECK(piece < g->n_piece, "model: pieces short");
			if (k > len)
				k = len;
			if (touches_used(b, p->host + off, k))
				note_either(b, out, p->host + off, k);
			memcpy(p->host + off, src, k);
			g->buf[p->buf].len += k;
			src += k;
			len -= k;
			off += k;
			if (off == p->len) {
				piece++;
				off = 0;
			}
		}
	}
}

void
pm_rx_burst(const struct pm_ring *q, const struct fm_mem *m, enum pm_return ret,
	    struct pm_idx start, const struct pm_rx_pkt *pkts, uint16_t n,
	    struct pm_rx_out *out)
{
	static struct rx_gather g;
	struct burst b;
	struct pm_idx at = start;

	memset(out, 0, offsetof(struct pm_rx_out, used));
	burst_init(&b, q, m, ret, &out->ambiguous);
	for (uint16_t i = 0; i < n; i++) {
		enum pm_err err = PM_OK;
		enum rx_res r =
			rx_gather(&b, at, out->n_desc,
				  (uint64_t)q->hdr_len + pkts[i].len, &g, &err);

		if (r == RX_NO_ROOM) {
			out->no_room = 1;
			break;
		}
		if (r == RX_BROKEN) {
			out->err = err;
			break;
		}
		out->done++;
		if (r == RX_TOO_BIG) {
			out->too_big++;
			continue;
		}
		rx_write(&b, &g, &pkts[i], out);
		if (ret == PM_RETURN_AT_ONCE)
			pm_write_used(q, m, g.buf, g.n_buf, true);
		for (uint32_t k = 0; k < g.n_buf; k++) {
			FUZZ_CHECK(out->n_used < PM_RX_MAX_USED,
				   "model: used overflow");
			out->used[out->n_used++] = g.buf[k];
		}
		/* Marked after the packet: its own used descriptors come
		 * after its bytes whatever the batching. */
		for (uint32_t k = 0; k < g.n_buf; k++)
			b.used_here[g.buf[k].at.pos] = true;
		out->n_desc += g.span;
		at = g.next;
		out->delivered++;
		out->bytes += pkts[i].len;
	}
	out->next = at;
}

void
pm_write_used(const struct pm_ring *q, const struct fm_mem *m,
	      const struct pm_used *u, uint32_t n, bool write)
{
	uint64_t contig = 0;
	uint8_t *ring = fm_xlate(m, q->desc_gpa,
				 (uint64_t)q->num * PM_DESC_SIZE, &contig);

	FUZZ_CHECK(ring != NULL, "model: ring not in memory");
	for (uint32_t i = 0; i < n; i++) {
		uint8_t *p = ring + (size_t)u[i].at.pos * PM_DESC_SIZE;

		put_le(p + 8, u[i].len, 4);
		put_le(p + 12, u[i].id, 2);
		put_le(p + 14,
		       pm_used_bits(u[i].at.wrap) | (write ? PM_F_WRITE : 0),
		       2);
	}
}

bool
pm_want_call(const struct pm_ring *q, struct pm_idx from, uint32_t n,
	     uint16_t ev_flags, uint16_t ev_off_wrap, bool event_idx)
{
	uint32_t pos = (ev_off_wrap & 0x7fffu) % q->num;
	bool wrap = (ev_off_wrap >> 15) != 0;

	switch (ev_flags & 3u) {
	case 1: /* RING_EVENT_FLAGS_DISABLE */
		return false;
	case 2: /* RING_EVENT_FLAGS_DESC */
		if (!event_idx)
			return true;
		for (uint32_t k = 0; k < n; k++) {
			if (from.pos == pos && from.wrap == wrap)
				return true;
			pm_idx_advance(q, &from, 1);
		}
		return false;
	default: /* ENABLE, and the reserved value 3 */
		return true;
	}
}

void
pm_rx_writable(const struct pm_ring *q, const struct fm_mem *m,
	       struct fm_ranges *out)
{
	uint64_t contig = 0;
	const uint8_t *ring = fm_xlate(
		m, q->desc_gpa, (uint64_t)q->num * PM_DESC_SIZE, &contig);

	for (uint32_t pos = 0; ring != NULL && pos < q->num; pos++) {
		struct pm_desc d;

		pm_desc_get(ring + (size_t)pos * PM_DESC_SIZE, &d);
		if (d.flags & PM_F_INDIRECT) {
			const uint8_t *t = fm_xlate(m, d.addr, d.len, &contig);

			if (t == NULL || contig != d.len)
				continue;
			for (uint32_t e = 0; e < d.len / PM_DESC_SIZE; e++) {
				struct pm_desc te;

				pm_desc_get(t + (size_t)e * PM_DESC_SIZE, &te);
				if (te.flags & PM_F_WRITE)
					fm_ranges_add_gpa(out, m, te.addr,
							  te.len);
			}
		} else if (d.flags & PM_F_WRITE) {
			fm_ranges_add_gpa(out, m, d.addr, d.len);
		}
	}
}
