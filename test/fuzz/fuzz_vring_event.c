/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * fuzz_vring_event.c - lib/vring's ring arithmetic against slow, obviously
 * right reference models: event-index math, packed-ring flag helpers,
 * split-ring layout, and the small feature helpers.
 *
 * The input is a program: one opcode byte, then that op's operands
 * (little-endian; missing bytes read as zero):
 *   0 PUBLISH  u16 k       the device adds k used entries; tv_need_event
 *                          (used_event, new, old) must equal a walk over
 *                          every index in [old, new)
 *   1 EVENT    u16 e       the driver sets used_event = e (any direction:
 *                          Linux guests move it backwards)
 *   2 NEED     3 x u16     tv_need_event on arbitrary values vs the walk
 *   3 PACKED   u8 n        restart the packed-ring model with n+1 slots
 *   4 P_AVAIL  u8 k, u16 junk   driver makes k descriptors available
 *   5 P_USE    u8 k, u16 junk   device uses k available descriptors
 *   6 P_REAP   u8 k        driver takes k used descriptors back
 *   7 LAYOUT   u8 log2num, u8 a  tv_split_size/init, align 4 << (a % 11)
 *   8 MISC     u32 x, u64 features   num_valid, net_hdr_len, queue map
 *   9 FLAGS    u16 flags, u8 wrap   both packed helpers on any flags (a
 *                          peer may write combinations a correct one
 *                          never does) vs the spec's truth table
 * After every packed-ring op every slot is checked: is_avail from the
 * device's side and is_used from the driver's side must match the model's
 * state of that slot. `junk` fills the flag bits the helpers must ignore.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "tv_vring.h"

#define MAX_OPS	       4096u
#define PACKED_MAX     256u
#define LAYOUT_MAX_NUM 1024u /* larger rings: arithmetic only */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Reference: walk old, old+1, ... new-1 (mod 2^16) looking for event. */
static bool
ref_need_event(uint16_t event, uint16_t new_idx, uint16_t old_idx)
{
	uint16_t i;

	for (i = old_idx; i != new_idx; i++)
		if (i == event)
			return true;
	return false;
}

static void
check_need_event(uint16_t event, uint16_t new_idx, uint16_t old_idx)
{
	bool got = tv_need_event(event, new_idx, old_idx);
	bool want = ref_need_event(event, new_idx, old_idx);

	FUZZ_CHECK(got == want, "tv_need_event(%u, %u, %u) = %d, expected %d",
		   event, new_idx, old_idx, got, want);
}

enum slot_state { SLOT_FREE, SLOT_AVAIL, SLOT_USED };

/* A packed ring with both sides' positions and wrap counters. Flags only
 * ever hold what a side wrote, plus junk in bits the helpers must ignore. */
struct packed_model {
	uint32_t n;
	uint16_t flags[PACKED_MAX];
	enum slot_state state[PACKED_MAX];
	uint32_t in_flight; /* AVAIL + USED slots */
	uint32_t drv_avail_pos, dev_pos, drv_used_pos;
	bool drv_avail_wrap, dev_wrap, drv_used_wrap;
};

static const uint16_t flag_avail = 1u << TV_PACKED_DESC_F_AVAIL;
static const uint16_t flag_used = 1u << TV_PACKED_DESC_F_USED;

static void
packed_reset(struct packed_model *m, uint32_t n)
{
	memset(m, 0, sizeof(*m));
	m->n = n;
	/* Both counters start at 1 (virtio 1.2, 2.8.1/2.8.2). */
	m->drv_avail_wrap = m->dev_wrap = m->drv_used_wrap = true;
}

static void
advance(uint32_t *pos, bool *wrap, uint32_t n)
{
	if (++*pos == n) {
		*pos = 0;
		*wrap = !*wrap;
	}
}

static uint16_t
junk_bits(uint16_t junk)
{
	return junk & (uint16_t) ~(flag_avail | flag_used);
}

/* The wrap counter a side will have when it reaches slot s: slots before
 * its position are next seen in the following lap. */
static bool
wrap_at(uint32_t s, uint32_t pos, bool wrap)
{
	return s >= pos ? wrap : !wrap;
}

static void
packed_check_all(const struct packed_model *m)
{
	uint32_t s;
	bool got, want;

	for (s = 0; s < m->n; s++) {
		got = tv_packed_desc_is_avail(
			m->flags[s], wrap_at(s, m->dev_pos, m->dev_wrap));
		want = m->state[s] == SLOT_AVAIL;
		FUZZ_CHECK(got == want,
			   "slot %u/%u flags 0x%04x state %d: device sees "
			   "avail %d (pos %u wrap %d)",
			   s, m->n, m->flags[s], m->state[s], got, m->dev_pos,
			   m->dev_wrap);
		got = tv_packed_desc_is_used(
			m->flags[s],
			wrap_at(s, m->drv_used_pos, m->drv_used_wrap));
		want = m->state[s] == SLOT_USED;
		FUZZ_CHECK(got == want,
			   "slot %u/%u flags 0x%04x state %d: driver sees "
			   "used %d (pos %u wrap %d)",
			   s, m->n, m->flags[s], m->state[s], got,
			   m->drv_used_pos, m->drv_used_wrap);
	}
}

static void
packed_avail(struct packed_model *m, uint32_t k, uint16_t junk)
{
	uint32_t s;

	while (k-- > 0 && m->in_flight < m->n) {
		s = m->drv_avail_pos;
		FUZZ_CHECK(m->state[s] == SLOT_FREE, "driver reuses slot %u",
			   s);
		/* AVAIL = wrap, USED = !wrap (2.8.1). */
		m->flags[s] = junk_bits(junk) |
			      (m->drv_avail_wrap ? flag_avail : flag_used);
		m->state[s] = SLOT_AVAIL;
		m->in_flight++;
		advance(&m->drv_avail_pos, &m->drv_avail_wrap, m->n);
		junk = (uint16_t)(junk * 31u + 7u);
	}
}

static void
packed_use(struct packed_model *m, uint32_t k, uint16_t junk)
{
	uint32_t s;

	while (k-- > 0) {
		s = m->dev_pos;
		if (!tv_packed_desc_is_avail(m->flags[s], m->dev_wrap)) {
			FUZZ_CHECK(m->state[s] != SLOT_AVAIL,
				   "device misses available slot %u", s);
			return;
		}
		FUZZ_CHECK(m->state[s] == SLOT_AVAIL,
			   "device takes slot %u in state %d", s, m->state[s]);
		/* AVAIL = USED = the device's wrap counter (2.8.1). */
		m->flags[s] = junk_bits(junk) |
			      (m->dev_wrap ? flag_avail | flag_used : 0);
		m->state[s] = SLOT_USED;
		advance(&m->dev_pos, &m->dev_wrap, m->n);
		junk = (uint16_t)(junk * 17u + 3u);
	}
}

static void
packed_reap(struct packed_model *m, uint32_t k)
{
	uint32_t s;

	while (k-- > 0) {
		s = m->drv_used_pos;
		if (!tv_packed_desc_is_used(m->flags[s], m->drv_used_wrap)) {
			FUZZ_CHECK(m->state[s] != SLOT_USED,
				   "driver misses used slot %u", s);
			return;
		}
		FUZZ_CHECK(m->state[s] == SLOT_USED,
			   "driver reaps slot %u in state %d", s, m->state[s]);
		/* The driver does not touch the flags when it reaps. */
		m->state[s] = SLOT_FREE;
		m->in_flight--;
		advance(&m->drv_used_pos, &m->drv_used_wrap, m->n);
	}
}

/* virtio 1.2, 2.8.1: available when AVAIL == wrap and USED != wrap; used
 * when AVAIL == USED == wrap. Indexed [wrap][AVAIL][USED]. */
static const bool spec_avail[2][2][2] = {{{0, 1}, {0, 0}}, {{0, 0}, {1, 0}}};
static const bool spec_used[2][2][2] = {{{1, 0}, {0, 0}}, {{0, 0}, {0, 1}}};

static void
check_flags(uint16_t flags, bool wrap)
{
	bool a = (flags >> 7) & 1, u = (flags >> 15) & 1;

	FUZZ_CHECK(tv_packed_desc_is_avail(flags, wrap) ==
			   spec_avail[wrap][a][u],
		   "tv_packed_desc_is_avail(0x%04x, %d)", flags, wrap);
	FUZZ_CHECK(tv_packed_desc_is_used(flags, wrap) == spec_used[wrap][a][u],
		   "tv_packed_desc_is_used(0x%04x, %d)", flags, wrap);
}

static size_t
ref_align_up(size_t v, size_t a)
{
	while (v % a != 0)
		v++;
	return v;
}

static void
check_layout(uint32_t num, size_t align)
{
	size_t size = tv_split_size(num, align);
	size_t used_off =
		ref_align_up(16 * (size_t)num + 4 + 2 * num + 2, align);
	struct tv_split ring;
	uint8_t *mem;

	FUZZ_CHECK(size == used_off + 4 + 8 * (size_t)num + 2,
		   "tv_split_size(%u, %zu) = %zu, expected %zu", num, align,
		   size, used_off + 4 + 8 * (size_t)num + 2);
	if (num > LAYOUT_MAX_NUM)
		return;
	mem = aligned_alloc(align < 8 ? 8 : align,
			    ref_align_up(size, align < 8 ? 8 : align));
	FUZZ_CHECK(mem != NULL, "aligned_alloc");
	memset(mem, 0, size);
	tv_split_init(&ring, mem, num, align);
	FUZZ_CHECK(ring.num == num && (uint8_t *)ring.desc == mem &&
			   (uint8_t *)ring.avail == mem + 16 * (size_t)num &&
			   (uint8_t *)ring.used == mem + used_off,
		   "tv_split_init(%u, %zu): desc +%td avail +%td used +%td",
		   num, align, (uint8_t *)ring.desc - mem,
		   (uint8_t *)ring.avail - mem, (uint8_t *)ring.used - mem);
	FUZZ_CHECK((uint8_t *)tv_split_used_event(&ring) ==
			   (uint8_t *)ring.avail + 4 + 2 * (size_t)num,
		   "used_event misplaced for num %u", num);
	FUZZ_CHECK((uint8_t *)tv_split_avail_event(&ring) + 2 == mem + size,
		   "avail_event not the last field for num %u", num);
	/* Touch every field: a sanitizer sees any overrun of `size`. */
	memset(ring.desc, 0xff, tv_split_desc_size(num));
	memset(ring.avail, 0xff, tv_split_avail_size(num));
	memset(ring.used, 0xff, tv_split_used_size(num));
	*tv_split_used_event(&ring) = 1;
	*tv_split_avail_event(&ring) = 1;
	free(mem);
}

static bool
ref_num_valid(uint32_t x)
{
	uint32_t p;

	for (p = 1; p <= 32768; p *= 2)
		if (x == p)
			return true;
	return false;
}

static void
check_misc(uint32_t x, uint64_t features)
{
	uint32_t want_hdr =
		((features >> 15) & 1) || ((features >> 32) & 1) ? 12 : 10;

	FUZZ_CHECK(tv_split_num_valid(x) == ref_num_valid(x),
		   "tv_split_num_valid(%u)", x);
	FUZZ_CHECK(tv_net_hdr_len(features) == want_hdr,
		   "tv_net_hdr_len(0x%llx) = %u", (unsigned long long)features,
		   tv_net_hdr_len(features));
	x &= 0xffff; /* queue pairs: the spec allows at most 0x8000 */
	FUZZ_CHECK(tv_net_rxq_to_vq(x) == 2 * x &&
			   tv_net_txq_to_vq(x) == 2 * x + 1 &&
			   !tv_net_vq_is_guest_tx(tv_net_rxq_to_vq(x)) &&
			   tv_net_vq_is_guest_tx(tv_net_txq_to_vq(x)),
		   "queue pair %u maps wrongly", x);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct packed_model pm;
	struct fuzz_in in = {.data = data, .size = size, .pos = 0};
	uint16_t used = 0, event = 0, a, b, c;
	uint32_t ops, k, lg;
	uint64_t f;

	packed_reset(&pm, 8);
	for (ops = 0; ops < MAX_OPS && fuzz_left(&in) > 0; ops++) {
		switch (fuzz_u8(&in) % 10) {
		case 0:
			k = fuzz_u16(&in);
			check_need_event(event, (uint16_t)(used + k), used);
			used = (uint16_t)(used + k);
			break;
		case 1:
			event = fuzz_u16(&in);
			break;
		case 2:
			a = fuzz_u16(&in);
			b = fuzz_u16(&in);
			c = fuzz_u16(&in);
			check_need_event(a, b, c);
			break;
		case 3:
			packed_reset(&pm, 1 + fuzz_u8(&in) % PACKED_MAX);
			packed_check_all(&pm);
			break;
		case 4:
			k = fuzz_u8(&in);
			packed_avail(&pm, k, fuzz_u16(&in));
			packed_check_all(&pm);
			break;
		case 5:
			k = fuzz_u8(&in);
			packed_use(&pm, k, fuzz_u16(&in));
			packed_check_all(&pm);
			break;
		case 6:
			packed_reap(&pm, fuzz_u8(&in));
			packed_check_all(&pm);
			break;
		case 7:
			lg = fuzz_u8(&in) % 16;
			/* VERSION_1 needs the used ring 4-aligned: align >= 4.
			 */
			check_layout(1u << lg,
				     (size_t)4 << (fuzz_u8(&in) % 11));
			break;
		case 8:
			k = fuzz_u32(&in);
			f = fuzz_u64(&in);
			check_misc(k, f);
			break;
		default:
			a = fuzz_u16(&in);
			check_flags(a, fuzz_u8(&in) & 1);
			break;
		}
	}
	return 0;
}
