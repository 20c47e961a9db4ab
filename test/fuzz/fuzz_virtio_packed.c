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
 *
 * The target is four files: this one (the set-up, the ring and device
 * helpers both directions share, the entry point), fuzz_virtio_packed_rx.c
 * and fuzz_virtio_packed_tx.c (the RX and TX runs) and fuzz_virtio_packed.h
 * (what they share).
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
#include "fuzz_virtio_packed.h"
#include "tv_pmd.h"

struct rte_mempool *pool;
bool verbose;
struct fvp_counts counts;

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

uint16_t
m_avail_bits(uint16_t idx, uint32_t num)
{
	return m_wrap(idx, num) ? F_AVAIL : F_USED;
}

static uint16_t
m_used_bits(uint16_t idx, uint32_t num)
{
	return m_wrap(idx, num) ? (uint16_t)(F_AVAIL | F_USED) : 0;
}

bool
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
bool
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

uint16_t
load_flags(const struct tv_packed_desc *d)
{
	return __atomic_load_n(&d->flags, __ATOMIC_ACQUIRE);
}

/* Bytes of packet `tag` (fuzz_tv_fill): byte o is tag + 7 o, across
 * segments. */
bool
filled(const uint8_t *p, uint32_t n, uint8_t tag, uint32_t off)
{
	for (uint32_t j = 0; j < n; j++)
		if (p[j] != (uint8_t)(tag + 7u * (off + j)))
			return false;
	return true;
}

bool
zero(const uint8_t *p, uint32_t n)
{
	for (uint32_t j = 0; j < n; j++)
		if (p[j] != 0)
			return false;
	return true;
}

/* (int16_t)(a - b) >= 0: a is not behind b. */
bool
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
void
sort_unique(void **v, uint32_t n, const char *what)
{
	qsort(v, n, sizeof(v[0]), cmp_ptr);
	for (uint32_t i = 1; i < n; i++)
		FUZZ_CHECK(v[i] != v[i - 1], "mbuf %p twice among %s", v[i],
			   what);
}

bool
in_sorted(void *const *v, uint32_t n, const void *p)
{
	return bsearch(&p, v, n, sizeof(v[0]), cmp_ptr) != NULL;
}

/* Size of the union of two sorted unique lists. */
uint32_t
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

uint64_t
read_eventfd(int fd)
{
	uint64_t v = 0;

	if (read(fd, &v, sizeof(v)) != (ssize_t)sizeof(v))
		return 0; /* EAGAIN: counter zero */
	return v;
}

/* ---- The device: shared by RX and TX ---- */

/* Where the driver may consume up to: the first used descriptor not yet
 * marked. */
uint16_t
dev_marked(const struct dev *d)
{
	return d->n_ent > 0 ? d->ent[0].idx : d->used;
}

void
dev_lie(struct dev *d)
{
	d->hostile = true;
	d->ever_hostile = true;
}

void
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
void
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
void
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

/* Mark the first `count` unmarked used descriptors (op 1, and the
 * packet or completion that does not leave them unmarked). */
void
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

/* ---- After a handoff: shared by RX and TX ---- */

/* The event suppression structure right after a handoff: what a fresh
 * ring has (notifications enabled), whatever the old device wrote, until
 * the new one writes its own. */
void
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
void
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

/* What SET_VRING_ADDR / SET_VRING_BASE would say after a handoff: the
 * ring's own areas, and both halves of the base at `oldest` (the oldest
 * buffer or chain outstanding) with its wrap counter. */
void
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
