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
#include "fuzz_vhost_pmodel.h"

#define RING_OFF   0x400u  /* descriptor ring (R0) */
#define DRV_EV_OFF 0x1400u /* driver event suppression area */
#define DEV_EV_OFF 0x1440u /* device event suppression area */
#define GAP_OFF	   (R0_SIZE + 64u) /* in the file, in no region */
#define TBL_OFF	   0x3000u	   /* indirect table k at TBL_OFF + 4096 k */
#define N_TABLES   4u
#define MAX_RX_LEN 16384u

#define N_DEVS 6
static struct fz_dev devs[N_DEVS];
static uint8_t snap[MEM_SPAN], model_mem[MEM_SPAN];
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

static struct {
	uint64_t inputs, not_started, bursts, tx_pkts, tx_bytes_cmp,
		tx_discarded, rx_pkts, rx_exact, broke, ambiguous, at_once,
		loose, either, calls, arms;
} counts;

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

/* FUZZ_TRACE=1: one line per burst (what the model expected). */
static bool trace;

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

struct fp_case {
	struct fz_dev *d;
	uint16_t vq;
	bool rx;
	bool discard;  /* transmit ring disabled, drained and dropped */
	bool disabled; /* transmit ring disabled (drained or left alone) */
	bool call;     /* the front-end gave a call fd */
	bool in_order; /* IN_ORDER: transmit used descriptors may batch */
	struct rte_mempool *pool;
	unsigned int pool_i;
	uint32_t mbuf_room;
	struct pm_ring q;
	bool event_idx;
	uint8_t *mem; /* the front-end's view of guest memory */
	struct fm_mem snap_mem, model;
	uint16_t base_sent, used_sent; /* SET_VRING_BASE halves */
	bool used_half;
	unsigned int addr_variant;
	struct pm_idx place;   /* where the input's descriptors go */
	struct pm_idx fe_next; /* where the front-end makes buffers next */
};

/* The model's bookkeeping across the bursts of one input. */
struct fp_state {
	bool running; /* the ring started (serving or draining) */
	struct pm_idx next;
	bool broken;
	bool unknown; /* the model cannot follow any more */
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

static uint8_t *
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

static void
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
static void
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

static void
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

static void
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
static void
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
