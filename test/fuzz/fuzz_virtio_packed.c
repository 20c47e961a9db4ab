/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * fuzz_virtio_packed.c - net_tandem_virtio's packed-ring datapath
 * (tv_packed.c, rx_one in tv_rxtx.h, the packed handoff in tv_queue.c)
 * against a hostile back-end. This program plays the device side of one
 * packed ring (virtio 1.2 section 2.8) and the input decides what it does:
 * which available descriptors it reads, what it writes into RX buffers
 * (num_buffers), which used descriptors it writes (id, len, skip, flags),
 * where, and when; its event suppression structure; and when a new
 * back-end takes the queue over (tv_rxq_handoff / tv_txq_handoff, then a
 * fresh honest device starting where tv_*q_vring_info says).
 *
 * A separate target from fuzz_virtio_used: the back-end is another
 * machine altogether (no avail ring, no used->idx; per-descriptor flags
 * and wrap counters, used descriptors over the available ones, ids
 * instead of positions), and the split target's input layout and corpus
 * stay as they are.
 *
 * The device model keeps its own free-running indexes: `avail` (next
 * descriptor it reads) and `used` (where its next used descriptor goes).
 * Used descriptors it has written but not yet marked (flags) wait in a
 * queue in ring order; a mark writes id, len, then the flags (release
 * store). Ring wrap counters are computed here from the lap (idx / num),
 * not with tv_vring.h's helpers.
 *
 * Input layout (little-endian; missing bytes read as 0):
 *   u8 cfg: bit 0 direction (0 RX, 1 TX), then mrg_rxbuf (bit 1),
 *      in_order (2), event_idx (3), bulk (4), scatter (5, RX) /
 *      tx_hdr_push (5, TX)
 *   u8 log2 ring size (mod 9: 1..256)
 *   then up to 64 operations, u8 op (mod 8):
 *   RX 0, 7: a packet: u8 a (buffers 1 + a % 4; 0x08: leave its used
 *         descriptors unmarked; 0x10: num_buffers lies, u16 follows;
 *         0x20: first id hostile, u16 follows; 0x40: first len hostile,
 *         u32 follows; 0x80: one used descriptor for all its buffers,
 *         skipping the others), u16 packet length
 *      3, 4: rx burst: u8 b (1 + b % 64 packets; 0x40: hold the packets
 *         delivered; 0x80: first free the ones held)
 *   TX 0: tx burst: u8 (1 + % 32 packets), per packet u16 length (1 +
 *         % 3000) and u8 kind (segments 1 + % 3; 0x10: no headroom;
 *         0x20: a second reference held by this program)
 *      3: the device reads chains: u8 r (1 + r % 8; 0x08: and writes
 *         junk over each one's virtio-net header, which the driver's
 *         records say it reads only: a handoff must send it zeroed again)
 *      4: the device completes chains it read: u8 b (1 + b % 8; 0x08:
 *         leave unmarked; 0x10: id hostile, u16 follows; 0x20: len
 *         hostile, u32 follows; 0x40: one used descriptor for the batch;
 *         0x80: out of order, u8 follows: start at that chain, mod the
 *         chains read)
 *      7: tx burst of 0 packets (reclaim only)
 *   both 1: mark the used descriptors still unmarked: u8 m (the first
 *         m % 8 of them, 0: all; flags (m >> 3) % 4: 0 used at their
 *         index, 1 used on the other lap (wrong wrap bits), 2 available,
 *         3 a u16 that follows)
 *      2: hostile write: u8 c, u16 off, u16 id, u32 len: a used
 *         descriptor at the device's used index + off % (2 num) (so any
 *         position, on either lap: out of place, beyond what was posted)
 *         with flags (c % 4): used at that index, used on the other lap,
 *         available (what a new device would take after a handoff, were
 *         it left there), or a u16 that follows
 *      5: event suppression: u8 e (flags e % 4; 0x80: a u16 follows
 *         instead), u16 off_wrap
 *      6: handoff to a new back-end, then a fresh honest device
 *
 * Checked besides "no crash, no sanitizer report":
 *  - always: the queue's own records agree after every operation (RX:
 *    sw[] holds n_posted buffers, avail_idx - used_idx = n_posted, free
 *    ids + posted = num and distinct; TX: chains in sw[] are n_inflight
 *    and cover desc_head - desc_tail, nb_free agrees, in-order chains
 *    tile [desc_tail, desc_head), free ids distinct and unused); every
 *    mbuf is accounted (queue + pool + held = pool size, none twice, a
 *    held in-flight TX mbuf has refcnt 2); delivered mbufs pass
 *    rte_mbuf_check, their segments add up to pkt_len and fit their
 *    buffers; the kick decision after every burst is what the device's
 *    event suppression structure asks for (a slow walk), and the kick
 *    eventfd counted each kick; the driver area always says
 *    "disabled" (poll mode); a handoff succeeds, revives the queue and
 *    reports base = the oldest outstanding descriptor with its wrap
 *    counter, avail and used halves alike, and leaves the device's event
 *    suppression structure enabled/0; packets refused by a TX burst did
 *    not fit; after the queue is freed every mbuf is back;
 *  - after a handoff, whatever the old device did: a fresh device takes
 *    descriptors from base while they are available, knowing nothing of
 *    the driver's records, and must take exactly what is outstanding (RX:
 *    the n_posted buffers, each a posted id at its mbuf's address, once;
 *    TX: the n_inflight chains, each a chain the driver holds of a packet
 *    a burst accepted, with a zero header and that packet's bytes, once,
 *    in the order the packets were submitted, also without IN_ORDER),
 *    then find the next descriptor not available, and every descriptor
 *    beyond says "used on the lap before" (tv_packed_used_flags(idx -
 *    num, num), what an honest device leaves there); that device then
 *    reads them again from base, as below;
 *  - while the device is honest (since the queue was created or the last
 *    handoff): every descriptor it reads is available with the AVAIL/USED
 *    bits of its lap, and the one past what the driver posted is not; RX
 *    buffers have WRITE, len buf_len, an id the device does not hold
 *    already (in order: its position) naming the mbuf whose buffer it
 *    points at; TX chains are a zero 12-byte header (pushed into the
 *    headroom only for a simple mbuf with room) then the bytes of a
 *    packet a burst accepted, descriptor by segment, NEXT on all but the
 *    last, in the order submitted and (while the device never lied)
 *    exactly the next packet not completed; too-long chains are dropped
 *    and counted; the queue never breaks; RX delivers exactly the packets
 *    written, in order, with their lengths, segments and bytes, drops
 *    exactly the multi-buffer ones without scatter, never consumes a used
 *    descriptor not yet marked, and delivers one if a complete packet is
 *    waiting; TX takes back exactly the chains completed (n_inflight,
 *    desc_tail).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "fuzz_common.h"
#include "fuzz_tv.h"
#include "tv_pmd.h"

#define POOL_N	 4096u
#define MAX_OPS	 64u
#define MAX_HELD 512u
#define MAX_ENT	 512u /* used descriptors written, not yet marked */
#define MAX_OUT	 512u /* TX: accepted packets not completed */
#define FIFO_N	 1024u
#define HDR_LEN	 12u /* VERSION_1 virtio-net header */

#define F_NEXT	   0x1u
#define F_WRITE	   0x2u
#define F_AVAIL	   0x80u   /* bit 7 */
#define F_USED	   0x8000u /* bit 15 */
#define EV_ENABLE  0u
#define EV_DISABLE 1u
#define EV_DESC	   2u

static struct rte_mempool *pool;
static bool verbose; /* FUZZ_VERBOSE: trace the operations */

/* What was checked (FUZZ_STATS=1 prints it at exit). */
static struct {
	uint64_t inputs, rx_pkts, rx_exact, tx_chains, tx_exact, handoffs, lied,
		broken, kicks, walked, scribbles;
} counts;

static void
print_counts(void)
{
	fprintf(stderr,
		"fuzz_virtio_packed: %llu inputs (%llu with a lie, %llu "
		"broke the queue), %llu packets received (%llu compared with "
		"what the device wrote), %llu chains read (%llu in the "
		"expected order), %llu handoffs (%llu buffers or chains "
		"taken by the new device), %llu headers scribbled on, %llu "
		"kicks modelled\n",
		(unsigned long long)counts.inputs,
		(unsigned long long)counts.lied,
		(unsigned long long)counts.broken,
		(unsigned long long)counts.rx_pkts,
		(unsigned long long)counts.rx_exact,
		(unsigned long long)counts.tx_chains,
		(unsigned long long)counts.tx_exact,
		(unsigned long long)counts.handoffs,
		(unsigned long long)counts.walked,
		(unsigned long long)counts.scribbles,
		(unsigned long long)counts.kicks);
}

static void
setup(void)
{
	verbose = fuzz_tv_setup("fuzz_virtio_packed", "fuzz-vpacked",
				"fz_vpacked", POOL_N, &pool);
	if (getenv("FUZZ_STATS") != NULL)
		atexit(print_counts);
}

/* ---- The ring as the device sees it (section 2.8.1), computed from the
 * lap: the wrap counters start at 1 and flip at every lap. ---- */

static bool
m_wrap(uint16_t idx, uint32_t num)
{
	return ((idx / num) % 2) == 0;
}

static uint16_t
m_avail_bits(uint16_t idx, uint32_t num)
{
	return m_wrap(idx, num) ? F_AVAIL : F_USED;
}

static uint16_t
m_used_bits(uint16_t idx, uint32_t num)
{
	return m_wrap(idx, num) ? (uint16_t)(F_AVAIL | F_USED) : 0;
}

static bool
m_is_avail(uint16_t flags, uint16_t idx, uint32_t num)
{
	return (flags & (F_AVAIL | F_USED)) == m_avail_bits(idx, num);
}

static uint16_t
m_off_wrap(uint16_t idx, uint32_t num)
{
	return (uint16_t)((idx % num) | (m_wrap(idx, num) ? 0x8000u : 0));
}

/* Should the driver notify after making old .. new - 1 available? A walk
 * over those indexes (section 2.8.14; an offset >= num is taken modulo
 * num, as tv_vring.h documents; flags other than the three: notify). */
static bool
m_kick(const struct tv_packed_event *ev, bool event_idx, uint16_t old,
       uint16_t new, uint32_t num)
{
	uint16_t flags = ev->flags, ow = ev->off_wrap;

	if (flags == EV_DISABLE)
		return false;
	if (flags != EV_DESC || !event_idx)
		return true;
	for (uint16_t i = old; i != new; i++)
		if (i % num == (ow & 0x7fffu) % num &&
		    m_wrap(i, num) == ((ow >> 15) == 1))
			return true;
	return false;
}

static uint16_t
load_flags(const struct tv_packed_desc *d)
{
	return __atomic_load_n(&d->flags, __ATOMIC_ACQUIRE);
}

/* Bytes of packet `tag` (fuzz_tv_fill): byte o is tag + 7 o, across
 * segments. */
static bool
filled(const uint8_t *p, uint32_t n, uint8_t tag, uint32_t off)
{
	for (uint32_t j = 0; j < n; j++)
		if (p[j] != (uint8_t)(tag + 7u * (off + j)))
			return false;
	return true;
}

static bool
zero(const uint8_t *p, uint32_t n)
{
	for (uint32_t j = 0; j < n; j++)
		if (p[j] != 0)
			return false;
	return true;
}

/* (int16_t)(a - b) >= 0: a is not behind b. */
static bool
not_behind(uint16_t a, uint16_t b)
{
	return (int16_t)(uint16_t)(a - b) >= 0;
}

/* What a buffer's header holds when nobody wrote it this input: zero
 * (so that a lie making the driver read an unwritten header reads the
 * same whatever ran before). */
static void
wash_cb(struct rte_mempool *mp, void *opaque, void *obj, unsigned int idx)
{
	struct rte_mbuf *m = obj;

	RTE_SET_USED(mp);
	RTE_SET_USED(opaque);
	RTE_SET_USED(idx);
	memset((char *)m->buf_addr + RTE_PKTMBUF_HEADROOM - HDR_LEN, 0,
	       HDR_LEN);
}

static int
cmp_ptr(const void *a, const void *b)
{
	uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;

	return x < y ? -1 : x > y;
}

/* Sort and check no pointer appears twice. */
static void
sort_unique(void **v, uint32_t n, const char *what)
{
	qsort(v, n, sizeof(v[0]), cmp_ptr);
	for (uint32_t i = 1; i < n; i++)
		FUZZ_CHECK(v[i] != v[i - 1], "mbuf %p twice among %s", v[i],
			   what);
}

static bool
in_sorted(void *const *v, uint32_t n, const void *p)
{
	return bsearch(&p, v, n, sizeof(v[0]), cmp_ptr) != NULL;
}

/* Size of the union of two sorted unique lists. */
static uint32_t
union_count(void *const *a, uint32_t na, void *const *b, uint32_t nb)
{
	uint32_t i = 0, j = 0, n = 0;

	while (i < na || j < nb) {
		if (j == nb || (i < na && (uintptr_t)a[i] < (uintptr_t)b[j]))
			i++;
		else if (i == na || (uintptr_t)b[j] < (uintptr_t)a[i])
			j++;
		else
			i++, j++;
		n++;
	}
	return n;
}

static uint64_t
read_eventfd(int fd)
{
	uint64_t v = 0;

	if (read(fd, &v, sizeof(v)) != (ssize_t)sizeof(v))
		return 0; /* EAGAIN: counter zero */
	return v;
}

/* ---- The device: shared by RX and TX ---- */

struct used_ent {
	uint16_t idx;  /* free-running position */
	uint16_t id;   /* buffer id written */
	uint16_t skip; /* descriptors it stands for */
	uint32_t len;
	uint8_t nseq; /* TX: packets it completes (honest) */
	uint32_t seq[8];
};

struct dev {
	uint16_t avail; /* next descriptor the device reads */
	uint16_t used;	/* where its next used descriptor goes */
	/* Written (idx, id, len decided), not yet marked used, in ring
	 * order. */
	struct used_ent ent[MAX_ENT];
	uint32_t n_ent;
	/* It lied since the last handoff: the ring may hold what it wrote,
	 * so follow no pointer read from it and check no bytes. */
	bool hostile;
	bool ever_hostile; /* since the queue was created */
	uint16_t ev_flags, ev_off_wrap;
	/* TX, while honest: the next chain it reads carries a packet
	 * submitted no earlier than this (sequence numbers). */
	uint32_t next_seq;
};

/* Where the driver may consume up to: the first used descriptor not yet
 * marked. */
static uint16_t
dev_marked(const struct dev *d)
{
	return d->n_ent > 0 ? d->ent[0].idx : d->used;
}

static void
dev_lie(struct dev *d)
{
	d->hostile = true;
	d->ever_hostile = true;
}

static void
dev_reset(struct dev *d, uint16_t idx)
{
	d->avail = idx;
	d->used = idx;
	d->n_ent = 0;
	d->hostile = false;
	d->next_seq = 0;
	/* What the handoff left in the event structure (checked). */
	d->ev_flags = EV_ENABLE;
	d->ev_off_wrap = 0;
}

/* Write the device's event suppression structure (the driver reads it to
 * decide on kicks). */
static void
dev_event(struct fuzz_in *in, struct dev *d, struct tv_packed_event *ev)
{
	uint8_t e = fuzz_u8(in);

	d->ev_flags = (e & 0x80) ? fuzz_u16(in) : e % 4u;
	d->ev_off_wrap = fuzz_u16(in);
	__atomic_store_n(&ev->off_wrap, d->ev_off_wrap, __ATOMIC_RELAXED);
	__atomic_store_n(&ev->flags, d->ev_flags, __ATOMIC_RELEASE);
}

/* Write used descriptor e into the ring with `flags` (id, len, then the
 * flags: release). */
static void
dev_write_used(struct tv_packed *ring, const struct used_ent *e, uint16_t flags)
{
	struct tv_packed_desc *d = &ring->desc[e->idx & (ring->num - 1)];

	d->id = e->id;
	d->len = e->len;
	__atomic_store_n(&d->flags, flags, __ATOMIC_RELEASE);
}

/* Hostile write (op 2): any used descriptor anywhere. */
static void
dev_hostile_write(struct fuzz_in *in, struct dev *d, struct tv_packed *ring)
{
	uint8_t c = fuzz_u8(in);
	uint16_t off = fuzz_u16(in);
	struct used_ent e = {
		.idx = (uint16_t)(d->used + off % (2 * ring->num)),
		.id = fuzz_u16(in),
		.len = fuzz_u32(in),
	};
	uint16_t flags;

	switch (c % 4) {
	case 0:
		flags = m_used_bits(e.idx, ring->num);
		break;
	case 1:
		flags = m_used_bits((uint16_t)(e.idx + ring->num), ring->num);
		break;
	case 2:
		flags = m_avail_bits(e.idx, ring->num);
		break;
	default:
		flags = fuzz_u16(in);
		break;
	}
	if (verbose)
		fprintf(stderr,
			"dev: hostile used at %u: id %u len %u flags "
			"0x%x\n",
			e.idx, e.id, e.len, flags);
	dev_write_used(ring, &e, flags);
	dev_lie(d);
}

/* ---- RX ---- */

struct rx_pkt {
	uint16_t start, end; /* its used descriptors: [start, end) */
	uint32_t len;
	uint16_t nsegs;
	uint8_t tag;
	bool drop; /* several buffers without scatter: dropped */
};

struct rx_state {
	struct tv_rxq *rxq;
	struct dev d;
	bool owned[256]; /* ids the device read and has not returned */
	struct rx_pkt fifo[FIFO_N]; /* written, not yet delivered */
	uint32_t fh, ft;
	struct rte_mbuf *held[MAX_HELD];
	uint32_t n_held;
	uint64_t kicks; /* expected so far */
	uint8_t tag;
	void *ptrs[2 * MAX_HELD * 4 + 256];
};

static uint64_t
rx_buf_addr(const struct rte_mbuf *m)
{
	return (uint64_t)(uintptr_t)m->buf_addr + RTE_PKTMBUF_HEADROOM -
	       HDR_LEN;
}

static void
rx_accounting(struct rx_state *s)
{
	const struct tv_rxq *rxq = s->rxq;
	uint32_t num = rxq->pring.num, n = 0;

	for (uint32_t i = 0; i < num; i++)
		if (rxq->sw[i] != NULL)
			s->ptrs[n++] = rxq->sw[i];
	FUZZ_CHECK(n == rxq->n_posted, "%u buffers in sw[], n_posted %u", n,
		   rxq->n_posted);
	FUZZ_CHECK((uint16_t)(rxq->avail_idx - rxq->used_idx) == n,
		   "avail_idx %u - used_idx %u != %u posted", rxq->avail_idx,
		   rxq->used_idx, n);
	if (!rxq->in_order) {
		bool seen[256] = {false};

		FUZZ_CHECK(rxq->n_free_ids + n == num,
			   "%u free ids + %u posted != %u", rxq->n_free_ids, n,
			   num);
		for (uint32_t i = 0; i < rxq->n_free_ids; i++) {
			uint16_t id = rxq->free_ids[i];

			FUZZ_CHECK(id < num && !seen[id] && rxq->sw[id] == NULL,
				   "free id %u: out of range, twice or posted",
				   id);
			seen[id] = true;
		}
	}
	for (uint32_t i = 0; i < s->n_held; i++)
		for (struct rte_mbuf *m = s->held[i]; m != NULL; m = m->next)
			s->ptrs[n++] = m;
	sort_unique(s->ptrs, n, "posted and held RX buffers");
	FUZZ_CHECK(rte_mempool_avail_count(pool) + n == POOL_N,
		   "mbufs: %u in the pool + %u posted or held != %u",
		   rte_mempool_avail_count(pool), n, POOL_N);
	FUZZ_CHECK(rxq->pring.driver->flags == EV_DISABLE,
		   "driver event flags %u", rxq->pring.driver->flags);
}

/* The device takes the next available RX buffer. Returns false if there
 * is none. *buf: where to write (NULL: nowhere, hostile and the
 * descriptor names no posted buffer). */
static bool
rx_dev_read(struct rx_state *s, uint16_t *id, uint8_t **buf)
{
	const struct tv_rxq *rxq = s->rxq;
	const uint32_t num = rxq->pring.num;
	const uint16_t idx = s->d.avail;
	const struct tv_packed_desc *d = &rxq->pring.desc[idx & (num - 1)];
	uint16_t flags;
	struct rte_mbuf *m;

	if (idx == rxq->avail_idx) {
		/* Nothing posted past here: nothing may look available (a
		 * handoff cleans up whatever an old device left). */
		FUZZ_CHECK(s->d.hostile || !m_is_avail(d->flags, idx, num),
			   "descriptor %u looks available past what the guest "
			   "posted",
			   idx);
		return false;
	}
	flags = load_flags(d);
	if (!m_is_avail(flags, idx, num)) {
		FUZZ_CHECK(s->d.hostile,
			   "guest counts %u buffers posted from %u, "
			   "descriptor %u is not available (flags 0x%x)",
			   rxq->n_posted, rxq->used_idx, idx, flags);
		return false;
	}
	*id = d->id;
	m = *id < num ? rxq->sw[*id] : NULL;
	if (!s->d.hostile) {
		FUZZ_CHECK(flags == (F_WRITE | m_avail_bits(idx, num)) &&
				   d->len == rxq->buf_len,
			   "descriptor %u: flags 0x%x len %u", idx, flags,
			   d->len);
		FUZZ_CHECK(*id < num && (!rxq->in_order || *id == idx % num),
			   "descriptor %u: buffer id %u", idx, *id);
		FUZZ_CHECK(!s->owned[*id],
			   "buffer id %u posted again while the device has it",
			   *id);
		FUZZ_CHECK(m != NULL && d->addr == rx_buf_addr(m),
			   "descriptor %u (id %u) points at 0x%llx, not at the "
			   "buffer of its mbuf",
			   idx, *id, (unsigned long long)d->addr);
		s->owned[*id] = true;
	}
	*buf = m != NULL && d->addr == rx_buf_addr(m) && d->len == rxq->buf_len
		       ? (uint8_t *)(uintptr_t)d->addr
		       : NULL;
	s->d.avail++;
	return true;
}

/* Mark the first `count` unmarked used descriptors (op 1, and the
 * packet or completion that does not leave them unmarked). */
static void
dev_mark(struct dev *d, struct tv_packed *ring, uint32_t count, uint8_t mode,
	 uint16_t raw, bool rx, bool *owned,
	 void (*done)(void *ctx, const struct used_ent *e), void *ctx)
{
	uint32_t n = RTE_MIN(count, d->n_ent), i;

	for (i = 0; i < n; i++) {
		const struct used_ent *e = &d->ent[i];
		uint16_t flags;

		switch (mode) {
		case 0:
			flags = m_used_bits(e->idx, ring->num) |
				(rx ? F_WRITE : 0);
			break;
		case 1:
			flags = m_used_bits((uint16_t)(e->idx + ring->num),
					    ring->num);
			break;
		case 2:
			flags = m_avail_bits(e->idx, ring->num);
			break;
		default:
			flags = raw;
			break;
		}
		if (verbose)
			fprintf(stderr,
				"dev: used at %u: id %u len %u skip %u flags "
				"0x%x\n",
				e->idx, e->id, e->len, e->skip, flags);
		dev_write_used(ring, e, flags);
	}
	/* Wrong wrap bits or "available": the driver must not take them,
	 * they stay to be marked again. Raw flags: a lie (if they happen to
	 * say used, the device thinks otherwise). */
	if (mode == 1 || mode == 2 || n == 0)
		return;
	if (mode == 3)
		dev_lie(d);
	for (i = 0; i < n; i++) {
		if (mode == 0 && owned != NULL && d->ent[i].skip == 1 &&
		    d->ent[i].id < 256)
			owned[d->ent[i].id] = false;
		if (mode == 0 && done != NULL)
			done(ctx, &d->ent[i]);
	}
	memmove(d->ent, d->ent + n, (d->n_ent - n) * sizeof(d->ent[0]));
	d->n_ent -= n;
}

static void
rx_packet(struct fuzz_in *in, struct rx_state *s)
{
	struct tv_rxq *rxq = s->rxq;
	uint8_t a = fuzz_u8(in);
	uint32_t left = fuzz_u16(in), nbufs = 1 + a % 4u, k, off = 0;
	uint16_t nb = (uint16_t)nbufs, hid = 0, ids[4];
	uint32_t hlen = 0, lens[4], total = 0;
	uint16_t start = s->d.used;
	uint8_t tag = s->tag++;
	bool lie = (a & 0x70) != 0 || ((a & 0x80) && nbufs > 1) ||
		   (!rxq->mrg_rxbuf && nbufs > 1);

	if (a & 0x10)
		nb = fuzz_u16(in);
	if (a & 0x20)
		hid = fuzz_u16(in);
	if (a & 0x40)
		hlen = fuzz_u32(in);
	if (s->d.n_ent + nbufs > MAX_ENT)
		return;
	/* A lie is decided before the device reads: what it reads while
	 * honest is checked. (Several buffers without mergeable buffers: the
	 * packet does not fit the one buffer virtio-net allows.) */
	if (lie)
		dev_lie(&s->d);
	for (k = 0; k < nbufs; k++) {
		uint32_t hdr = k == 0 ? HDR_LEN : 0, n = 0;
		uint8_t *p;

		if (!rx_dev_read(s, &ids[k], &p))
			break;
		if (p != NULL) {
			n = RTE_MIN(left, rxq->buf_len - hdr);
			if (hdr > 0) {
				struct tv_net_hdr_mrg h = {.num_buffers = nb};

				memcpy(p, &h, hdr);
			}
			fuzz_tv_fill(p + hdr, n, tag, off);
		}
		left -= n;
		off += n;
		lens[k] = hdr + n;
		total += hdr + n;
		if (verbose)
			fprintf(stderr,
				"dev: rx buffer id %u: %u+%u bytes, "
				"num_buffers %u%s\n",
				ids[k], hdr, n, nb, p == NULL ? " (not)" : "");
	}
	if (k == 0)
		return;
	/* Cut short for want of posted buffers: its header promised
	 * nbufs, so the next packet's first buffer would be read as this
	 * one's continuation. An honest device waits for buffers. */
	if (k < nbufs)
		dev_lie(&s->d);
	if (a & 0x80) {
		s->d.ent[s->d.n_ent++] = (struct used_ent){
			.idx = s->d.used,
			.id = ids[k - 1],
			.len = total,
			.skip = (uint16_t)k,
		};
		s->d.used += (uint16_t)k;
	} else {
		for (uint32_t j = 0; j < k; j++)
			s->d.ent[s->d.n_ent++] = (struct used_ent){
				.idx = s->d.used++,
				.id = ids[j],
				.len = lens[j],
				.skip = 1,
			};
	}
	if (a & 0x20)
		s->d.ent[s->d.n_ent - (a & 0x80 ? 1 : k)].id = hid;
	if (a & 0x40)
		s->d.ent[s->d.n_ent - (a & 0x80 ? 1 : k)].len = hlen;
	if (!s->d.hostile && s->ft - s->fh < FIFO_N) {
		s->fifo[s->ft++ % FIFO_N] = (struct rx_pkt){
			.start = start,
			.end = s->d.used,
			.len = off,
			.nsegs = (uint16_t)k,
			.tag = tag,
			.drop = k > 1 && !rxq->scatter,
		};
	} else if (!s->d.hostile) {
		dev_lie(&s->d); /* cannot follow that many */
	}
	if (!(a & 0x08))
		dev_mark(&s->d, &rxq->pring, MAX_ENT, 0, 0, true, s->owned,
			 NULL, NULL);
}

/* A delivered mbuf; `want`: the packet the honest device wrote, or
 * NULL. */
static void
rx_check_mbuf(const struct tv_rxq *rxq, const struct rte_mbuf *m,
	      const struct rx_pkt *want)
{
	const char *why = NULL;
	uint32_t sum = 0, segs = 0;

	FUZZ_CHECK(rte_mbuf_check(m, 1, &why) == 0, "bad mbuf: %s", why);
	FUZZ_CHECK(m->port == rxq->port_id && m->ol_flags == 0,
		   "port %u ol_flags 0x%llx", m->port,
		   (unsigned long long)m->ol_flags);
	for (const struct rte_mbuf *g = m; g != NULL; g = g->next) {
		const uint8_t *p = rte_pktmbuf_mtod(g, const uint8_t *);

		FUZZ_CHECK(g->pool == pool && ++segs <= m->nb_segs,
			   "segment %u: wrong pool or too many", segs);
		FUZZ_CHECK(g->data_off == (g == m ? RTE_PKTMBUF_HEADROOM
						  : RTE_PKTMBUF_HEADROOM -
							    HDR_LEN) &&
				   g->data_off + g->data_len <= g->buf_len,
			   "segment %u: data_off %u data_len %u buf_len %u",
			   segs, g->data_off, g->data_len, g->buf_len);
		FUZZ_CHECK(want == NULL ||
				   filled(p, g->data_len, want->tag, sum),
			   "segment %u: %u bytes at packet offset %u are not "
			   "what the device wrote",
			   segs, g->data_len, sum);
		sum += g->data_len;
	}
	FUZZ_CHECK(sum == m->pkt_len && segs == m->nb_segs,
		   "segments sum to %u bytes in %u, mbuf says %u in %u", sum,
		   segs, m->pkt_len, m->nb_segs);
	FUZZ_CHECK(want == NULL || (m->pkt_len == want->len &&
				    m->nb_segs == want->nsegs),
		   "delivered %u bytes in %u segments, the device wrote %u "
		   "in %u",
		   m->pkt_len, m->nb_segs, want->len, want->nsegs);
}

static void
rx_free_held(struct rx_state *s)
{
	for (uint32_t i = 0; i < s->n_held; i++)
		rte_pktmbuf_free(s->held[i]);
	s->n_held = 0;
}

static void
rx_burst(struct fuzz_in *in, struct rx_state *s)
{
	struct tv_rxq *rxq = s->rxq;
	uint8_t b = fuzz_u8(in);
	uint16_t n = 1 + b % 64u, got, old_avail = rxq->avail_idx;
	uint64_t drops = rxq->stats.drop_scatter;
	uint32_t dropped = 0;
	struct rte_mbuf *pkts[64];
	bool honest = !s->d.hostile;

	if (b & 0x80)
		rx_free_held(s);
	got = tv_rx_burst_packed(rxq, pkts, n);
	if (verbose)
		fprintf(stderr,
			"rx: burst %u: got %u (used_idx %u avail_idx %u "
			"posted %u broken %d)\n",
			n, got, rxq->used_idx, rxq->avail_idx, rxq->n_posted,
			rxq->broken);
	FUZZ_CHECK(got <= n, "rx burst returned %u of %u", got, n);
	counts.kicks += rxq->avail_idx != old_avail;
	if (rxq->avail_idx != old_avail &&
	    m_kick(rxq->pring.device, rxq->event_idx, old_avail, rxq->avail_idx,
		   rxq->pring.num))
		s->kicks++;
	FUZZ_CHECK(rxq->stats.kicks == s->kicks,
		   "%llu kicks, expected %llu (refill %u -> %u, device "
		   "flags %u off_wrap 0x%x)",
		   (unsigned long long)rxq->stats.kicks,
		   (unsigned long long)s->kicks, old_avail, rxq->avail_idx,
		   s->d.ev_flags, s->d.ev_off_wrap);
	FUZZ_CHECK(!honest || !rxq->broken, "queue broken by an honest device");
	for (uint16_t i = 0; i < got; i++) {
		const struct rx_pkt *want = NULL;

		if (honest) {
			while (s->fh != s->ft && s->fifo[s->fh % FIFO_N].drop) {
				FUZZ_CHECK(
					not_behind(rxq->used_idx,
						   s->fifo[s->fh % FIFO_N].end),
					"a later packet delivered before a "
					"dropped one was consumed");
				s->fh++;
				dropped++;
			}
			FUZZ_CHECK(s->fh != s->ft,
				   "packet %u delivered, none was written", i);
			want = &s->fifo[s->fh++ % FIFO_N];
		}
		rx_check_mbuf(rxq, pkts[i], want);
		counts.rx_pkts++;
		counts.rx_exact += want != NULL;
		if ((b & 0x40) && s->n_held < MAX_HELD)
			s->held[s->n_held++] = pkts[i];
		else
			rte_pktmbuf_free(pkts[i]);
	}
	if (honest) {
		const uint16_t marked = dev_marked(&s->d);

		while (s->fh != s->ft && s->fifo[s->fh % FIFO_N].drop &&
		       not_behind(rxq->used_idx, s->fifo[s->fh % FIFO_N].end)) {
			s->fh++;
			dropped++;
		}
		FUZZ_CHECK(
			rxq->stats.drop_scatter - drops == dropped,
			"%llu packets dropped for scatter, %u expected",
			(unsigned long long)(rxq->stats.drop_scatter - drops),
			dropped);
		FUZZ_CHECK(not_behind(marked, rxq->used_idx),
			   "guest consumed up to %u, the device marked up to "
			   "%u",
			   rxq->used_idx, marked);
		FUZZ_CHECK(rxq->used_idx ==
				   (s->fh == s->ft
					    ? s->d.used
					    : s->fifo[s->fh % FIFO_N].start),
			   "guest consumed up to %u, not a packet boundary",
			   rxq->used_idx);
		/* A complete packet was waiting: the burst takes it (unless
		 * it dropped one first: the buffers it scanned for it count
		 * against the burst, which may end there). */
		FUZZ_CHECK(got > 0 || dropped > 0 || s->fh == s->ft ||
				   s->fifo[s->fh % FIFO_N].drop ||
				   !not_behind(marked,
					       s->fifo[s->fh % FIFO_N].end),
			   "a complete packet at %u was not delivered",
			   rxq->used_idx);
	}
	rx_accounting(s);
}

/* The event suppression structure right after a handoff: what a fresh
 * ring has (notifications enabled), whatever the old device wrote, until
 * the new one writes its own. */
static void
check_event_reset(const struct tv_packed_event *ev, const char *dir)
{
	FUZZ_CHECK(ev->flags == EV_ENABLE && ev->off_wrap == 0,
		   "%s handoff: the device event structure says flags %u "
		   "off_wrap 0x%x, not enabled/0",
		   dir, ev->flags, ev->off_wrap);
}

/* The rest of the ring after a handoff, from free-running idx for `left`
 * descriptors: "used on the lap before", what an honest device leaves
 * (tv_packed_used_flags(idx - num, num)), whatever the old one wrote. */
static void
check_free_range(const struct tv_packed *ring, uint16_t idx, uint32_t left,
		 const char *dir)
{
	const uint32_t num = ring->num;

	for (; left > 0; left--, idx++) {
		uint16_t fl = ring->desc[idx % num].flags;

		FUZZ_CHECK(fl == m_used_bits((uint16_t)(idx - num), num),
			   "%s handoff: free descriptor %u has flags 0x%x, not "
			   "0x%x (used on the lap before)",
			   dir, idx, fl,
			   m_used_bits((uint16_t)(idx - num), num));
	}
}

/* A new device takes the ring over at base (the oldest posted buffer)
 * and, knowing nothing of the driver's records, takes descriptors while
 * they are available: each must be a buffer the driver posted (its id
 * in sw[], its address that mbuf's buffer), once; it must take exactly
 * the n_posted ones and then find the next not available, and the rest
 * of the ring must say "used on the lap before". It only looks (the
 * device reads them again, checked, from base). */
static void
rx_new_device_walk(const struct rx_state *s)
{
	const struct tv_rxq *rxq = s->rxq;
	const uint32_t num = rxq->pring.num;
	bool seen[256] = {false};
	uint32_t k;

	for (k = 0; k < num; k++) {
		uint16_t idx = (uint16_t)(rxq->used_idx + k);
		const struct tv_packed_desc *d = &rxq->pring.desc[idx % num];
		uint16_t fl = load_flags(d);
		struct rte_mbuf *m;

		if (!m_is_avail(fl, idx, num))
			break;
		m = d->id < num ? rxq->sw[d->id] : NULL;
		FUZZ_CHECK(fl == (F_WRITE | m_avail_bits(idx, num)) &&
				   d->len == rxq->buf_len,
			   "after handoff, descriptor %u: flags 0x%x len %u",
			   idx, fl, d->len);
		FUZZ_CHECK(m != NULL && !seen[d->id] &&
				   (!rxq->in_order || d->id == idx % num) &&
				   d->addr == rx_buf_addr(m),
			   "after handoff, descriptor %u (%u from base, %u "
			   "posted): id %u is not a posted buffer, is taken "
			   "twice, or the address 0x%llx is not its buffer's",
			   idx, k, rxq->n_posted, d->id,
			   (unsigned long long)d->addr);
		seen[d->id] = true;
		counts.walked++;
	}
	FUZZ_CHECK(k == rxq->n_posted &&
			   (uint16_t)(rxq->used_idx + k) == rxq->avail_idx,
		   "after handoff: a new device takes %u buffers from %u, "
		   "%u are posted (up to %u)",
		   k, rxq->used_idx, rxq->n_posted, rxq->avail_idx);
	check_free_range(&rxq->pring, (uint16_t)(rxq->used_idx + k), num - k,
			 "rx");
}

/* What SET_VRING_ADDR / SET_VRING_BASE would say after a handoff: the
 * ring's own areas, and both halves of the base at `oldest` (the oldest
 * buffer or chain outstanding) with its wrap counter. */
static void
check_vring_info(const struct tv_vring_info *vi, const struct tv_packed *ring,
		 uint16_t oldest, const char *dir)
{
	FUZZ_CHECK(vi->num == ring->num &&
			   vi->desc == (uint64_t)(uintptr_t)ring->desc &&
			   vi->avail == (uint64_t)(uintptr_t)ring->driver &&
			   vi->used == (uint64_t)(uintptr_t)ring->device,
		   "%s vring info: num %u or addresses wrong", dir, vi->num);
	FUZZ_CHECK((vi->base & 0xffff) == (vi->base >> 16) &&
			   (vi->base & 0xffff) == m_off_wrap(oldest, ring->num),
		   "%s base 0x%x, oldest outstanding is %u", dir, vi->base,
		   oldest);
}

static void
rx_handoff(struct rx_state *s)
{
	struct tv_rxq *rxq = s->rxq;
	struct tv_vring_info vi;

	FUZZ_CHECK(tv_rxq_handoff(rxq) == 0, "rx handoff");
	counts.handoffs++;
	check_event_reset(rxq->pring.device, "rx");
	tv_rxq_vring_info(rxq, &vi);
	check_vring_info(&vi, &rxq->pring, rxq->used_idx, "rx");
	FUZZ_CHECK(!rxq->broken, "still broken after a handoff");
	if (verbose)
		fprintf(stderr, "rx: handoff: base 0x%x, %u posted from %u\n",
			vi.base, rxq->n_posted, rxq->used_idx);
	rx_accounting(s);
	rx_new_device_walk(s);
	dev_reset(&s->d, rxq->used_idx);
	memset(s->owned, 0, sizeof(s->owned));
	/* Packets completed and not received are lost. */
	s->fh = s->ft;
}

static void
rx_run(const uint8_t *data, size_t size, const struct tv_dp_features *f,
       bool scatter, uint16_t num)
{
	struct fuzz_in in = {.data = data, .size = size, .pos = 2};
	static struct rx_state s;
	struct tv_rxq *rxq;

	memset(&s, 0, sizeof(s));
	FUZZ_CHECK(tv_rxq_create(&s.rxq, 0, 0, num, SOCKET_ID_ANY, pool) == 0,
		   "rxq create");
	rxq = s.rxq;
	FUZZ_CHECK(tv_rxq_reset(rxq, f, scatter) == 0, "rxq reset");
	/* The reset's refill, with notifications enabled (zeroed ring). */
	s.kicks = 1;
	FUZZ_CHECK(rxq->stats.kicks == 1 && rxq->n_posted == num,
		   "reset: %llu kicks, %u posted",
		   (unsigned long long)rxq->stats.kicks, rxq->n_posted);
	rx_accounting(&s);
	for (uint32_t op = 0; op < MAX_OPS && fuzz_left(&in) > 0; op++) {
		switch (fuzz_u8(&in) % 8) {
		case 0:
		case 7:
			rx_packet(&in, &s);
			break;
		case 1: {
			uint8_t m = fuzz_u8(&in);
			uint8_t mode = (m >> 3) % 4;
			uint16_t raw = mode == 3 ? fuzz_u16(&in) : 0;

			dev_mark(&s.d, &rxq->pring, m % 8 ? m % 8u : MAX_ENT,
				 mode, raw, true, s.owned, NULL, NULL);
			break;
		}
		case 2:
			dev_hostile_write(&in, &s.d, &rxq->pring);
			break;
		case 3:
		case 4:
			rx_burst(&in, &s);
			break;
		case 5:
			dev_event(&in, &s.d, rxq->pring.device);
			break;
		default:
			rx_handoff(&s);
			break;
		}
		rx_accounting(&s);
	}
	counts.lied += s.d.ever_hostile;
	counts.broken += rxq->broken || rxq->stats.recoveries > 0;
	FUZZ_CHECK(read_eventfd(rxq->kick_fd) == rxq->stats.kicks,
		   "kick eventfd disagrees with %llu kicks",
		   (unsigned long long)rxq->stats.kicks);
	tv_rxq_free(rxq);
	rx_free_held(&s);
	FUZZ_CHECK(rte_mempool_avail_count(pool) == POOL_N,
		   "after rxq free: %u of %u mbufs in the pool",
		   rte_mempool_avail_count(pool), POOL_N);
}

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

static void
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	struct fuzz_in in = {.data = data, .size = size, .pos = 0};
	struct tv_dp_features f;
	uint8_t cfg;
	uint16_t num;
	int probe;

	if (!ready) {
		setup();
		ready = true;
	}
	cfg = fuzz_u8(&in);
	num = (uint16_t)(1u << (fuzz_u8(&in) % 9));
	f = (struct tv_dp_features){
		.mrg_rxbuf = (cfg & 2) != 0,
		.in_order = (cfg & 4) != 0,
		.event_idx = (cfg & 8) != 0,
		.packed = true,
		.bulk = (cfg & 16) != 0,
		.tx_hdr_push = (cfg & 32) != 0,
	};
	rte_mempool_obj_iter(pool, wash_cb, NULL);
	counts.inputs++;
	if (cfg & 1)
		tx_run(data, size, &f, num);
	else
		rx_run(data, size, &f, (cfg & 32) != 0, num);
	probe = dup(2);
	FUZZ_CHECK(probe >= 0, "dup");
	fuzz_fd_watch(probe, 64);
	close(probe);
	return 0;
}
