/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * fuzz_vhost_packed.c - lib/vhost's packed-ring datapath (tvh_packed.c,
 * the walker tvh_pchain.h, tvh_tx.h, the packed parts of tvh_vq.c and
 * tvh_msg.c) against a hostile front-end whose ring comes from the fuzz
 * input.
 *
 * Set-up, once: EAL (--no-huge), six tvh devices with different feature
 * sets, all with RING_PACKED, each driven over its real vhost-user socket
 * (test/vhost's mock front-end connects and negotiates; the rings are set
 * up here with lib/vhost_user's front-end calls), sharing three regions of
 * the mock's memfd (fuzz_vhost_env.h, as fuzz_vhost_split does). R0 holds
 * the descriptor ring at 0x400, the driver event suppression area at
 * 0x1400, the device's at 0x1440, 4 indirect tables at 0x3000 + 4096 k.
 * Bytes of the file in no region are compared too: a write past a region's
 * end lands there.
 *
 * Per input: guest memory is rewritten (a fixed pattern, then the ring,
 * tables and driver event structure from the input), the virtqueue is set
 * up (NUM, ADDR, BASE, CALL, KICK, ENABLE), 1-4 bursts run, each after
 * some front-end moves, and the ring is stopped (GET_VRING_BASE).
 *
 * Input layout (little-endian; missing bytes read as 0):
 *   u8  cfg: bits 0-2 device (mod 6; 0: VERSION_1+MRG+INDIRECT+EVENT_IDX+
 *       IN_ORDER, REPLY_ACK, disabled transmit rings drained; 1: VERSION_1
 *       with protocol features; 2: legacy+INDIRECT (10-byte header); 3:
 *       VERSION_1+MRG+EVENT_IDX+INDIRECT, no protocol features; 4:
 *       VERSION_1+INDIRECT+EVENT_IDX+IN_ORDER, REPLY_ACK; 5: legacy+MRG+
 *       INDIRECT, disabled transmit rings drained), bit 3 direction (0:
 *       front-end transmits / dequeue from vq 1, 1: receives / enqueue to
 *       vq 0), bits 4-5 mempool (0, 3: 4096 x 2K, 1: 2048 x 64 bytes, 2:
 *       8 x 2K), bit 6 transmit ring disabled (devices with protocol
 *       features), bit 7 no call fd
 *   u8  log2 ring size (mod 9: 1..256)
 *   u16 base (SET_VRING_BASE bits 0-15): bit 15 wrap counter, bits 0-13
 *       the position mod num, or with bit 14 the raw bits 0-14
 *   u8  ring: bit 0 a used half follows (bits 16-31, same encoding), bits
 *       1-2: 1 descriptor ring misaligned, 2 driver area misaligned, 3
 *       device area outside the memory table
 *   [u16 used half]
 *   u16 driver event off_wrap, u8 driver event flags
 *   u8  n: descriptors given, placed from the base position on (the used
 *       half's if it differs: the back-end starts there), then n x
 *       desc: u8 sel, u16 off, u16 len, u8 flags, u16 id [+ u64 addr if
 *       sel & 15 == 11] [+ u32 len if sel & 0x80]; sel & 15 picks the
 *       address: R1/R0/R2 + off, just below a region's end, an indirect
 *       table (len then counts entries unless bit 15; off bit 8 misaligns
 *       it), 2^64 - off, below R0, raw, the ring and event areas (see
 *       desc_addr()); flags bits 0-2 NEXT/WRITE/INDIRECT, bits 3-4 the
 *       AVAIL/USED bits: 0 available on the lap the device meets it, 1
 *       available on the other lap, 2 used on this lap, 3 used on the lap
 *       before; bit 5 adds unknown flag bits
 *   u8  fill: default buffers after them (200 bytes in R1, WRITE for
 *       receive, id = position), up to the ring size; the other positions
 *       look used on the lap before
 *   u8  tables (mod 5), each: u8 entries (mod 33), entries as desc (flags
 *       bits 3-4 are the raw AVAIL and USED bits)
 *   u8  bursts (1..4), each: u8 ops, u8 burst size (1..128), then
 *       ops bit 0: u16 off_wrap, u8 flags: new driver event structure;
 *       ops bit 1: u8 k (mod num+1): the front-end makes k more default
 *         buffers available after the last it made available;
 *       ops bit 2: u8 count (1..4), each u8 position, desc: a descriptor
 *         written there, its bits 3-4 relative to the lap the device
 *         meets that position next;
 *       ops bit 3 (transmit): tvh_vq_notify_arm, on if ops bit 4;
 *       for enqueue per packet u16 length (mod 16384), u8 segments (1..4)
 *
 * Checked against fuzz_vhost_pmodel.c (an independent walker) besides "no
 * crash, no sanitizer report":
 *  - the ring starts iff base and addresses are good (err_ring moves
 *    otherwise) and the start writes only the device area's flags
 *    (DISABLE); GET_VRING_BASE answers where the model's device stands;
 *  - dequeue: which buffers are taken (a stop only at an unavailable head,
 *    a bad buffer, or an mbuf the pool cannot give, exactly when the model
 *    runs out), each delivered mbuf holds the list's bytes after the
 *    header in the chosen pool's segments; discarded ones counted;
 *  - enqueue: return value, packets, bytes, too_big, no_room, and the
 *    guest's bytes (zero header with num_buffers, then the packet);
 *  - both: the used descriptors (position, id, len, flags; with IN_ORDER
 *    transmit buffers may share one per batch, the batch's last id at its
 *    first position), the error counter of the model's class (one, and the
 *    queue broken: a later burst does nothing), and the whole file byte
 *    for byte against the model's (nothing else written, guard bytes
 *    included); a notification exactly when the driver event structure
 *    asks; tvh_vq_notify_arm writes only the device area's flags and says
 *    "sleep" only if no buffer is available; every mbuf back in its pool;
 *    no fd leak.
 * The model returns a burst's buffers (writes their used descriptors) at
 * its end. When lib/vhost's earlier returns (its batches) could change
 * what a burst reads (see fuzz_vhost_pmodel.h), the burst must do exactly
 * what the model says for that reading or for returning each buffer at
 * once; if it does what a back-end does that reads descriptors it has
 * not returned, and neither reading explains it, the target fails; else
 * it is checked loosely (writes only to the ring and to buffers marked
 * WRITE, at most one error; lib/vhost does not judge a list's later
 * descriptors, so a used descriptor it wrote counts as one the front-end
 * left there). Either way the input ends after such a burst: where the
 * back-end stopped is not known for sure.
 *
 * FUZZ_STATS=1 prints what was checked at exit, FUZZ_TRACE=1 one line per
 * burst (what the model expected).
 *
 * The target is three files besides the shared ones: this one (the
 * set-up, the ring built from the input, the front-end's moves, the entry
 * point), fuzz_vhost_packed_burst.c (the bursts and their checks against
 * the model) and fuzz_vhost_packed.h (what they share).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "fuzz_common.h"
#include "fuzz_vhost_env.h"
#include "fuzz_vhost_packed.h"
#include "fuzz_vhost_pmodel.h"

#define N_DEVS 6
static struct fz_dev devs[N_DEVS];
uint8_t snap[MEM_SPAN], model_mem[MEM_SPAN];

struct fp_counts counts;

static void
print_counts(void)
{
	if (getenv("FUZZ_STATS") == NULL)
		return;
	fprintf(stderr,
		"fuzz_vhost_packed: %llu inputs (%llu rings refused or "
		"stopped), %llu bursts: %llu packets dequeued (%llu "
		"compared byte for byte), %llu discarded, %llu enqueue "
		"bursts modelled exactly (%llu packets), %llu queues "
		"broken, %llu bursts ambiguous (%llu as if returned at once, "
		"%llu checked loosely), %llu "
		"with packet bytes over used descriptors, %llu "
		"notification decisions, %llu notify_arm calls\n",
		(unsigned long long)counts.inputs,
		(unsigned long long)counts.not_started,
		(unsigned long long)counts.bursts,
		(unsigned long long)counts.tx_pkts,
		(unsigned long long)counts.tx_bytes_cmp,
		(unsigned long long)counts.tx_discarded,
		(unsigned long long)counts.rx_exact,
		(unsigned long long)counts.rx_pkts,
		(unsigned long long)counts.broke,
		(unsigned long long)counts.ambiguous,
		(unsigned long long)counts.at_once,
		(unsigned long long)counts.loose,
		(unsigned long long)counts.either,
		(unsigned long long)counts.calls,
		(unsigned long long)counts.arms);
}

bool trace;

/* ---- Set-up ---- */

/* fz_dev_setup with packed rings and the eventfds the rings get. */
static void
dev_setup(struct fz_dev *d, int i, uint64_t features, bool reply_ack,
	  bool tx_discard)
{
	fz_dev_setup(d, i, features | TV_BIT(TV_F_RING_PACKED), reply_ack,
		     tx_discard);
	for (unsigned int q = 0; q < 2; q++) {
		d->kick_fd[q] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		d->call_fd[q] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		FUZZ_CHECK(d->kick_fd[q] >= 0 && d->call_fd[q] >= 0, "eventfd");
	}
}

/* The front-end's part of starting a ring; whether it started is the
 * caller's to check. */
static void
ring_setup(const struct fz_dev *d, uint16_t vq, uint32_t num,
	   const struct tvu_vring_addr *a, uint32_t base, bool call,
	   bool disable)
{
	int sock = d->g.sock;

	FUZZ_CHECK(tvu_fe_set_vring_state(sock, TVU_SET_VRING_NUM, vq, num,
					  d->reply_ack) == 0,
		   "SET_VRING_NUM %u", num);
	FUZZ_CHECK(tvu_fe_set_vring_addr(sock, a, d->reply_ack) == 0,
		   "SET_VRING_ADDR");
	FUZZ_CHECK(tvu_fe_set_vring_state(sock, TVU_SET_VRING_BASE, vq, base,
					  d->reply_ack) == 0,
		   "SET_VRING_BASE 0x%x", base);
	FUZZ_CHECK(tvu_fe_set_vring_fd(sock, TVU_SET_VRING_CALL, vq,
				       call ? d->call_fd[vq] : -1) == 0,
		   "SET_VRING_CALL");
	if (d->proto && disable)
		FUZZ_CHECK(tvu_fe_set_vring_state(sock, TVU_SET_VRING_ENABLE,
						  vq, 0, d->reply_ack) == 0,
			   "SET_VRING_ENABLE 0");
	FUZZ_CHECK(tvu_fe_set_vring_fd(sock, TVU_SET_VRING_KICK, vq,
				       d->kick_fd[vq]) == 0,
		   "SET_VRING_KICK");
	/* Refused (REPLY_ACK) when the ring's addresses or base are bad. */
	if (d->proto && !disable)
		(void)tvu_fe_set_vring_state(sock, TVU_SET_VRING_ENABLE, vq, 1,
					     d->reply_ack);
	fz_dev_sync(d);
}

static uint32_t
ring_stop(const struct fz_dev *d, uint16_t vq)
{
	uint32_t base = UINT32_MAX;

	FUZZ_CHECK(tvu_fe_get_vring_base(d->g.sock, vq, &base) == 0,
		   "GET_VRING_BASE %u", vq);
	return base;
}

static struct tvu_vring_addr
ring_addr(const struct fz_dev *d, uint16_t vq, unsigned int variant)
{
	uint64_t mem = (uint64_t)(uintptr_t)d->g.mem;
	struct tvu_vring_addr a = {
		.index = vq,
		.desc_user_addr = mem + RING_OFF,
		.avail_user_addr = mem + DRV_EV_OFF,
		.used_user_addr = mem + DEV_EV_OFF,
	};

	if (variant == 1)
		a.desc_user_addr += 8;
	else if (variant == 2)
		a.avail_user_addr += 2;
	else if (variant == 3)
		a.used_user_addr = mem + GAP_OFF;
	return a;
}

static void
setup(void)
{
	const uint64_t v1 = TV_BIT(TV_F_VERSION_1);
	const uint64_t pf = TV_BIT(TV_F_VHOST_USER_PROTOCOL_FEATURES);
	const uint64_t ind = TV_BIT(TV_F_RING_INDIRECT_DESC);
	const uint64_t mrg = TV_BIT(TV_NET_F_MRG_RXBUF);
	const uint64_t ev = TV_BIT(TV_F_RING_EVENT_IDX);
	const uint64_t ino = TV_BIT(TV_F_IN_ORDER);

	trace = getenv("FUZZ_TRACE") != NULL;
	fz_env_init("fuzz_vhost_packed", "fuzzp", 54321, devs, N_DEVS);
	dev_setup(&devs[0], 0, v1 | pf | mrg | ind | ev | ino, true, true);
	dev_setup(&devs[1], 1, v1 | pf, false, false);
	dev_setup(&devs[2], 2, ind, false, false);
	dev_setup(&devs[3], 3, v1 | mrg | ev | ind, false, false);
	dev_setup(&devs[4], 4, v1 | pf | ind | ev | ino, true, false);
	dev_setup(&devs[5], 5, pf | mrg | ind, false, true);
	/* Start and stop every ring once, so that the back-end holds each
	 * ring's call fd before the first input's fd count. */
	for (unsigned int i = 0; i < N_DEVS; i++) {
		memset(devs[i].g.mem, 0, MEM_SPAN);
		for (uint16_t vq = 0; vq < 2; vq++) {
			struct tvu_vring_addr a = ring_addr(&devs[i], vq, 0);

			ring_setup(&devs[i], vq, 1, &a, 1u << 15, true, false);
			FUZZ_CHECK(tvh_vq_is_enabled(devs[i].dev, vq),
				   "dev %u vring %u did not start", i, vq);
			ring_stop(&devs[i], vq);
		}
	}
}

/* ---- Building the ring from the input ---- */

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
		return R0_GPA + TBL_OFF + 4096u * (off & 3) +
		       ((off & 0x100) ? (off >> 4) & 15 : 0);
	case 9:
		return 0ull - off;
	case 10:
		return R0_GPA - (off & 0xff);
	case 11:
		return fuzz_u64(in);
	case 12:
		return R0_GPA + RING_OFF + off % 0x1100u; /* ring, events */
	default:
		return R1_GPA + off % (R1_SIZE + 64);
	}
}

/* A descriptor from the input; *lap gets flags bits 3-4. */
static void
read_desc(struct fuzz_in *in, struct pm_desc *d, unsigned int *lap)
{
	uint8_t sel = fuzz_u8(in);
	uint16_t off = fuzz_u16(in);
	uint16_t len = fuzz_u16(in);
	uint8_t fl = fuzz_u8(in);

	d->id = fuzz_u16(in);
	d->addr = desc_addr(in, sel, off);
	if ((sel & 15) == 8 && !(len & 0x8000))
		d->len = (len % 257u) * PM_DESC_SIZE;
	else
		d->len = len;
	if (sel & 0x80)
		d->len = fuzz_u32(in);
	d->flags = fl & 7;
	if (fl & 0x20)
		d->flags |= 0x7f70; /* every bit the spec does not define */
	*lap = (fl >> 3) & 3;
}

/* AVAIL/USED bits for a descriptor the device meets at lap `wrap`. */
static uint16_t
lap_bits(unsigned int lap, bool wrap)
{
	switch (lap) {
	case 0:
		return pm_avail_bits(wrap);
	case 1:
		return pm_avail_bits(!wrap);
	case 2:
		return pm_used_bits(wrap);
	default:
		return pm_used_bits(!wrap);
	}
}

uint8_t *
ring_desc(const struct fp_case *c, uint32_t pos)
{
	return c->mem + RING_OFF + (size_t)pos * PM_DESC_SIZE;
}

/* A default buffer at `at`, made available for that lap. */
static void
put_default(const struct fp_case *c, struct pm_idx at)
{
	const struct pm_desc d = {
		.addr = R1_GPA + (at.pos % 128u) * 224u,
		.len = 200,
		.id = (uint16_t)at.pos,
		.flags = (uint16_t)((c->rx ? PM_F_WRITE : 0) |
				    pm_avail_bits(at.wrap)),
	};

	pm_desc_put(ring_desc(c, at.pos), &d);
}

static void
put_event(uint8_t *p, uint16_t off_wrap, uint16_t flags)
{
	p[0] = (uint8_t)off_wrap;
	p[1] = (uint8_t)(off_wrap >> 8);
	p[2] = (uint8_t)flags;
	p[3] = (uint8_t)(flags >> 8);
}

void
get_event(const uint8_t *p, uint16_t *off_wrap, uint16_t *flags)
{
	*off_wrap = (uint16_t)(p[0] | p[1] << 8);
	*flags = (uint16_t)(p[2] | p[3] << 8);
}

/* The base's position and wrap counter as the front-end encodes it. */
static struct pm_idx
base_idx(uint16_t v, uint32_t num)
{
	return (struct pm_idx){.pos = (v & 0x7fffu) % num,
			       .wrap = (v >> 15) != 0};
}

/* SET_VRING_BASE's half from the input's u16 (see the layout). */
static uint16_t
base_encode(uint16_t raw, uint32_t num)
{
	if (raw & 0x4000) /* position >= 0x4000: never one of the ring */
		return raw;
	return (uint16_t)((raw & 0x8000) | ((raw & 0x3fffu) % num));
}

static void
build_memory(struct fp_case *c, struct fuzz_in *in)
{
	const uint32_t num = c->q.num;
	struct pm_idx at = c->place;
	uint32_t n, fill;
	uint16_t ev_off, ev_flags;

	memcpy(c->mem, fz_pattern, MEM_SPAN);
	ev_off = fuzz_u16(in);
	ev_flags = fuzz_u8(in);
	put_event(c->mem + DRV_EV_OFF, ev_off, ev_flags);
	n = fuzz_u8(in);
	for (uint32_t i = 0; i < n; i++) {
		struct pm_desc d;
		unsigned int lap;

		read_desc(in, &d, &lap);
		if (i >= num)
			continue;
		d.flags |= lap_bits(lap, at.wrap);
		pm_desc_put(ring_desc(c, at.pos), &d);
		pm_idx_advance(&c->q, &at, 1);
	}
	fill = fuzz_u8(in);
	c->fe_next = at;
	for (uint32_t i = RTE_MIN(n, num); i < num; i++) {
		if (i < n + fill) {
			put_default(c, at);
			pm_idx_advance(&c->q, &c->fe_next, 1);
		} else {
			const struct pm_desc d = {
				.addr = R1_GPA,
				.len = 200,
				.id = (uint16_t)at.pos,
				.flags = lap_bits(3, at.wrap),
			};

			pm_desc_put(ring_desc(c, at.pos), &d);
		}
		pm_idx_advance(&c->q, &at, 1);
	}
	n = fuzz_u8(in) % (N_TABLES + 1);
	for (uint32_t t = 0; t < N_TABLES; t++) {
		uint8_t *tbl = c->mem + TBL_OFF + 4096u * t;
		uint32_t k = t < n ? fuzz_u8(in) % 33u : 0;

		memset(tbl, 0, 4096);
		for (uint32_t e = 0; e < k; e++) {
			struct pm_desc d;
			unsigned int lap;

			read_desc(in, &d, &lap);
			d.flags |= (lap & 1 ? PM_F_AVAIL : 0) |
				   (lap & 2 ? PM_F_USED : 0);
			pm_desc_put(tbl + (size_t)e * PM_DESC_SIZE, &d);
		}
	}
}

/* The front-end's moves before a burst (see the layout). */
static void
frontend_ops(struct fp_case *c, const struct fp_state *st, struct fuzz_in *in,
	     uint8_t ops)
{
	const uint32_t num = c->q.num;

	if (ops & 1) {
		uint16_t off_wrap = fuzz_u16(in);

		put_event(c->mem + DRV_EV_OFF, off_wrap, fuzz_u8(in));
	}
	if (ops & 2) {
		uint32_t k = fuzz_u8(in) % (num + 1);

		for (uint32_t i = 0; i < k; i++) {
			put_default(c, c->fe_next);
			pm_idx_advance(&c->q, &c->fe_next, 1);
		}
	}
	if (ops & 4) {
		uint32_t k = 1 + fuzz_u8(in) % 4u;

		for (uint32_t i = 0; i < k; i++) {
			uint32_t pos = fuzz_u8(in) % num;
			struct pm_idx at = st->next;
			struct pm_desc d;
			unsigned int lap;

			read_desc(in, &d, &lap);
			pm_idx_advance(&c->q, &at, (pos + num - at.pos) % num);
			d.flags |= lap_bits(lap, at.wrap);
			pm_desc_put(ring_desc(c, pos), &d);
		}
	}
	if ((ops & 8) && !c->rx)
		arm(c, st, (ops & 16) != 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	struct fuzz_in in = {.data = data, .size = size, .pos = 0};
	struct tvh_dev_stats db, da;
	struct tvu_vring_addr addr;
	struct fp_case c;
	struct fp_state st;
	uint32_t n_bursts, base, got_base, want_base;
	uint16_t eff;
	uint8_t cfg, ring;
	bool good, attempt;

	if (!ready) {
		setup();
		atexit(print_counts);
		ready = true;
	}
	counts.inputs++;
	memset(&c, 0, sizeof(c));
	cfg = fuzz_u8(&in);
	c.d = &devs[(cfg & 7) % N_DEVS];
	c.rx = (cfg & 8) != 0;
	c.pool_i = (cfg >> 4) & 3;
	if (c.pool_i == 3)
		c.pool_i = 0;
	c.pool = fz_pools[c.pool_i];
	c.mbuf_room = rte_pktmbuf_data_room_size(c.pool) - RTE_PKTMBUF_HEADROOM;
	c.disabled = !c.rx && (cfg & 0x40) && c.d->proto;
	c.discard = c.disabled && c.d->tx_discard;
	c.call = !(cfg & 0x80);
	c.vq = c.rx ? 0 : 1;
	c.q = (struct pm_ring){
		.num = 1u << (fuzz_u8(&in) % 9),
		.desc_gpa = R0_GPA + RING_OFF,
		.indirect_ok =
			tv_has_feature(c.d->features, TV_F_RING_INDIRECT_DESC),
		.mrg_rxbuf = tv_has_feature(c.d->features, TV_NET_F_MRG_RXBUF),
		.hdr_len = tv_net_hdr_len(c.d->features),
	};
	c.event_idx = tv_has_feature(c.d->features, TV_F_RING_EVENT_IDX);
	c.in_order = tv_has_feature(c.d->features, TV_F_IN_ORDER);
	c.base_sent = base_encode(fuzz_u16(&in), c.q.num);
	ring = fuzz_u8(&in);
	c.used_half = (ring & 1) != 0;
	c.addr_variant = (ring >> 1) & 3;
	if (c.used_half)
		c.used_sent = base_encode(fuzz_u16(&in), c.q.num);
	c.mem = c.d->g.mem;
	c.snap_mem = (struct fm_mem){.r = fz_regions, .n = 3, .base = snap};
	c.model = (struct fm_mem){.r = fz_regions, .n = 3, .base = model_mem};
	/* The back-end continues from the used half if it differs (buffers
	 * a previous back-end took are taken again): the ring is laid out
	 * from there. */
	base = (uint32_t)c.used_sent << 16 | c.base_sent;
	eff = base > UINT16_MAX && c.used_sent != c.base_sent ? c.used_sent
							      : c.base_sent;
	c.place = base_idx(eff, c.q.num);
	build_memory(&c, &in);

	/* Start the ring; it starts iff base and addresses are good. */
	good = (eff & 0x7fffu) < c.q.num && c.addr_variant == 0;
	attempt = !c.disabled || c.discard;
	memcpy(snap, c.mem, MEM_SPAN);
	tvh_dev_stats_get(c.d->dev, &db);
	addr = ring_addr(c.d, c.vq, c.addr_variant);
	ring_setup(c.d, c.vq, c.q.num, &addr, base, c.call, c.disabled);
	tvh_dev_stats_get(c.d->dev, &da);
	st = (struct fp_state){
		.running = good && attempt,
		.next = {.pos = eff & 0x7fffu, .wrap = (eff >> 15) != 0},
	};
	FUZZ_CHECK(tvh_vq_is_enabled(c.d->dev, c.vq) ==
			   (st.running && !c.disabled),
		   "vring %u (size %u, base 0x%x, address variant %u, %s): "
		   "enabled %d",
		   c.vq, c.q.num, base, c.addr_variant,
		   c.disabled ? "disabled" : "enabled",
		   tvh_vq_is_enabled(c.d->dev, c.vq));
	FUZZ_CHECK((da.err_ring > db.err_ring) == (attempt && !good),
		   "vring %u (base 0x%x, address variant %u): err_ring %llu "
		   "-> %llu",
		   c.vq, base, c.addr_variant, (unsigned long long)db.err_ring,
		   (unsigned long long)da.err_ring);
	memcpy(model_mem, snap, MEM_SPAN);
	if (st.running) { /* the library polls: "no kicks" */
		model_mem[DEV_EV_OFF + 2] = 1;
		model_mem[DEV_EV_OFF + 3] = 0;
	} else {
		counts.not_started++;
	}
	check_mem(c.mem, model_mem, "ring start");
	if (trace)
		fprintf(stderr, "dev %u vq %u num %u base 0x%x: %s\n",
			(unsigned int)(c.d - devs), c.vq, c.q.num, base,
			st.running ? (c.discard ? "draining" : "running")
				   : "not started");

	n_bursts = 1 + fuzz_u8(&in) % 4u;
	for (uint32_t i = 0; i < n_bursts && !st.unknown; i++) {
		uint8_t ops = fuzz_u8(&in);
		uint16_t n = 1 + fuzz_u8(&in) % PM_MAX_BURST;

		frontend_ops(&c, &st, &in, ops);
		counts.bursts++;
		if (c.rx)
			rx_burst(&c, &st, &in, n);
		else
			tx_burst(&c, &st, n);
	}

	/* Stop: the next descriptor is where the model's device stands. */
	got_base = ring_stop(c.d, c.vq);
	want_base = st.running ? (uint32_t)((st.next.wrap ? 0x8000u : 0u) |
					    st.next.pos)
			       : eff;
	want_base |= want_base << 16;
	FUZZ_CHECK(st.unknown || got_base == want_base,
		   "GET_VRING_BASE: 0x%x, the model says 0x%x", got_base,
		   want_base);
	/* Hand the back-end a call fd again: the fd count stays level. */
	if (!c.call)
		FUZZ_CHECK(tvu_fe_set_vring_fd(c.d->g.sock, TVU_SET_VRING_CALL,
					       c.vq, c.d->call_fd[c.vq]) == 0,
			   "SET_VRING_CALL");
	fz_input_end();
	return 0;
}
