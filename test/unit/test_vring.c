/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * test_vring.c - lib/vring: event-index arithmetic (incl. wrap-around),
 * split ring layout, ring size validation, packed ring flag helpers and
 * the virtio-net header length.
 */
#include "tv_vring.h"
#include "tu_check.h"

#include <stdlib.h>
#include <string.h>

/* The spec's definition, spelled out the slow way: is event_idx one of
 * the indexes old_idx, old_idx + 1, ..., new_idx - 1 (mod 2^16)? */
static bool
need_event_ref(uint16_t event_idx, uint16_t new_idx, uint16_t old_idx)
{
	uint16_t i;

	for (i = old_idx; i != new_idx; i++)
		if (i == event_idx)
			return true;
	return false;
}

static void
test_need_event(void)
{
	static const uint16_t pts[] = {0,     1,     2,	    100,   32767,
				       32768, 32769, 65533, 65534, 65535};
	const size_t n = sizeof(pts) / sizeof(pts[0]);
	size_t a, b, c;

	/* Hand-picked cases first, so a failure reads like the spec. */
	TU_CHECK(tv_need_event(0, 1, 0));
	TU_CHECK(!tv_need_event(1, 1, 0));
	TU_CHECK(!tv_need_event(5, 5, 5)); /* nothing moved: never */
	TU_CHECK(!tv_need_event(4, 5, 5));
	/* Wrap-around at 65535 -> 0. */
	TU_CHECK(tv_need_event(65535, 1, 65535));
	TU_CHECK(tv_need_event(0, 1, 65535));
	TU_CHECK(!tv_need_event(1, 1, 65535));
	TU_CHECK(!tv_need_event(65534, 1, 65535));
	TU_CHECK(tv_need_event(65534, 0, 65530));
	TU_CHECK(!tv_need_event(0, 0, 65530));
	/* A peer whose event index lags far behind (e.g. it moved it
	 * backwards) is not notified: the index is outside the window. */
	TU_CHECK(!tv_need_event(10, 30, 20));
	/* Largest possible window: 65535 entries. */
	TU_CHECK(tv_need_event(7, 6, 7));
	TU_CHECK(!tv_need_event(6, 6, 7));

	for (a = 0; a < n; a++)
		for (b = 0; b < n; b++)
			for (c = 0; c < n; c++)
				TU_EQ(tv_need_event(pts[a], pts[b], pts[c]),
				      need_event_ref(pts[a], pts[b], pts[c]));

	/* Random triples over the whole space, fixed seed. */
	srand(12345);
	for (a = 0; a < 20000; a++) {
		uint16_t old_idx = (uint16_t)rand();
		uint16_t step = (uint16_t)(rand() % 300);
		uint16_t new_idx = (uint16_t)(old_idx + step);
		uint16_t ev = (uint16_t)(old_idx + (rand() % 600) - 150);

		TU_EQ(tv_need_event(ev, new_idx, old_idx),
		      need_event_ref(ev, new_idx, old_idx));
	}
}

static void
check_layout(uint32_t num, size_t align, size_t expect_size)
{
	size_t size = tv_split_size(num, align);
	size_t used_off;
	struct tv_split ring;
	char *mem;

	TU_EQ(size, expect_size);
	TU_REQUIRE(posix_memalign((void **)&mem, align < 64 ? 64 : align,
				  size) == 0);
	memset(mem, 0, size);
	tv_split_init(&ring, mem, num, align);
	TU_EQ(ring.num, num);
	TU_CHECK((char *)ring.desc == mem);
	TU_EQ((char *)ring.avail - mem, 16 * (size_t)num);
	used_off = (size_t)((char *)ring.used - mem);
	TU_EQ(used_off % align, 0);
	/* used starts at the first aligned offset after the avail ring */
	TU_CHECK(used_off >= 16 * (size_t)num + 6 + 2 * (size_t)num);
	TU_CHECK(used_off < 16 * (size_t)num + 6 + 2 * (size_t)num + align);
	TU_EQ((char *)tv_split_used_event(&ring) - mem,
	      16 * (size_t)num + 4 + 2 * (size_t)num);
	TU_EQ((char *)tv_split_avail_event(&ring) - mem,
	      used_off + 4 + 8 * (size_t)num);
	/* The last field ends exactly at the end of the area. */
	TU_EQ((char *)tv_split_avail_event(&ring) + 2 - mem, size);

	/* Writes through the accessors land where the spec puts them. */
	ring.avail->idx = 0x1234;
	*tv_split_used_event(&ring) = 0xbeef;
	ring.used->ring[num - 1].id = 0xa5a5a5a5;
	*tv_split_avail_event(&ring) = 0xcafe;
	TU_EQ(mem[16 * (size_t)num + 2], 0x34);
	TU_EQ((uint8_t)mem[16 * (size_t)num + 4 + 2 * (size_t)num], 0xef);
	TU_EQ((uint8_t)mem[used_off + 4 + 8 * ((size_t)num - 1)], 0xa5);
	TU_EQ((uint8_t)mem[size - 2], 0xfe);
	TU_EQ((uint8_t)mem[size - 1], 0xca);
	free(mem);
}

static void
test_split_layout(void)
{
	TU_EQ(tv_split_desc_size(256), 4096);
	TU_EQ(tv_split_avail_size(256), 518);
	TU_EQ(tv_split_used_size(256), 2054);

	check_layout(1, 4, 16 + 8 + 14);
	check_layout(2, 4, 32 + 10 + 2 /* pad */ + 22);
	check_layout(256, 4096, 8192 + 2054);
	check_layout(256, 4, 4096 + 520 + 2054);
	check_layout(1024, 4096, 16384 + 4096 + 8198);
	check_layout(32768, 4096, 593920 + 262150);
	check_layout(32768, 64, 524288 + 65600 + 262150);
}

static void
test_num_valid(void)
{
	TU_CHECK(!tv_split_num_valid(0));
	TU_CHECK(tv_split_num_valid(1));
	TU_CHECK(tv_split_num_valid(2));
	TU_CHECK(!tv_split_num_valid(3));
	TU_CHECK(tv_split_num_valid(256));
	TU_CHECK(!tv_split_num_valid(255));
	TU_CHECK(tv_split_num_valid(32768));
	TU_CHECK(!tv_split_num_valid(32767));
	TU_CHECK(!tv_split_num_valid(65536));
	TU_CHECK(!tv_split_num_valid(0x80000000u));
	TU_CHECK(!tv_split_num_valid(UINT32_MAX));
}

static void
test_packed_flags(void)
{
	const uint16_t A = 1u << TV_PACKED_DESC_F_AVAIL;
	const uint16_t U = 1u << TV_PACKED_DESC_F_USED;
	const uint16_t other = TV_DESC_F_NEXT | TV_DESC_F_WRITE;

	/* Driver wrap counter 1 (first lap): avail = A, used = A|U. */
	TU_CHECK(tv_packed_desc_is_avail(A, true));
	TU_CHECK(tv_packed_desc_is_avail(A | other, true));
	TU_CHECK(!tv_packed_desc_is_used(A, true));
	TU_CHECK(tv_packed_desc_is_used(A | U, true));
	TU_CHECK(!tv_packed_desc_is_avail(A | U, true));
	TU_CHECK(!tv_packed_desc_is_avail(0, true));
	TU_CHECK(!tv_packed_desc_is_used(0, true));
	/* Wrap counter 0 (second lap): avail = U, used = 0. */
	TU_CHECK(tv_packed_desc_is_avail(U, false));
	TU_CHECK(tv_packed_desc_is_avail(U | other, false));
	TU_CHECK(tv_packed_desc_is_used(0, false));
	TU_CHECK(tv_packed_desc_is_used(other, false));
	TU_CHECK(!tv_packed_desc_is_used(A | U, false));
	TU_CHECK(!tv_packed_desc_is_avail(A, false));
	TU_CHECK(!tv_packed_desc_is_avail(A | U, false));
	/* A used descriptor of the previous lap is not available now. */
	TU_CHECK(!tv_packed_desc_is_avail(A | U, false));
	TU_CHECK(!tv_packed_desc_is_used(U, true));
	TU_CHECK(!tv_packed_desc_is_used(U, false));
}

/* The wrap counter at free-running index idx, by division: lap idx / num,
 * counter 1 on even laps (it starts at 1 and toggles every lap). */
static bool
wrap_ref(uint16_t idx, uint32_t num)
{
	return (idx / num) % 2 == 0;
}

/* Does making old_idx .. new_idx - 1 available hit the descriptor that
 * off_wrap names (offset and wrap counter, walked one by one)? */
static bool
packed_need_event_ref(uint16_t off_wrap, uint16_t new_idx, uint16_t old_idx,
		      uint32_t num)
{
	uint16_t i;

	for (i = old_idx; i != new_idx; i++)
		if ((i & (num - 1)) == (off_wrap & 0x7fff) &&
		    wrap_ref(i, num) == (bool)(off_wrap >> 15))
			return true;
	return false;
}

static void
test_packed_index(void)
{
	static const uint32_t nums[] = {1, 2, 4, 8, 256, 32768};
	struct tv_packed ring;
	size_t k;
	void *mem;

	for (k = 0; k < sizeof(nums) / sizeof(nums[0]); k++) {
		uint32_t num = nums[k];
		uint32_t i;

		/* Every index of the 16-bit counter, the wrap counter walked
		 * alongside the slow way (start at 1, toggle after each pass
		 * over the last descriptor). */
		bool w = true;
		uint32_t pos = 0;

		for (i = 0; i < 65536; i++) {
			uint16_t idx = (uint16_t)i;

			TU_EQ(tv_packed_wrap(idx, num), w);
			TU_CHECK(tv_packed_desc_is_avail(
				tv_packed_avail_flags(idx, num), w));
			TU_CHECK(tv_packed_desc_is_used(
				tv_packed_used_flags(idx, num), w));
			TU_CHECK(tv_packed_is_used_at(
				tv_packed_used_flags(idx, num) |
					TV_DESC_F_WRITE,
				idx, num));
			/* Available, or used on the lap before: not used. */
			TU_CHECK(!tv_packed_is_used_at(
				tv_packed_avail_flags(idx, num), idx, num));
			TU_CHECK(!tv_packed_is_used_at(
				tv_packed_used_flags((uint16_t)(idx - num),
						     num),
				idx, num));
			TU_EQ(tv_packed_off_wrap(idx, num),
			      pos | (w ? 0x8000u : 0));
			if (++pos == num) {
				pos = 0;
				w = !w;
			}
		}
		/* 2^16 is an even number of laps: index 0 follows 65535
		 * with the counter back at 1. */
		TU_CHECK(w);
		TU_EQ(pos, 0);

		/* Layout: 16-byte descriptors, then the two event structures
		 * on lines of their own. */
		mem = aligned_alloc(64, tv_packed_size(num));
		TU_CHECK(mem != NULL);
		tv_packed_init(&ring, mem, num);
		TU_EQ(ring.num, num);
		TU_EQ((char *)ring.desc - (char *)mem, 0);
		TU_CHECK((char *)ring.driver >= (char *)mem + 16 * (size_t)num);
		TU_EQ(((uintptr_t)ring.driver) % 64, 0);
		TU_EQ((char *)ring.device - (char *)ring.driver, 64);
		TU_CHECK((char *)(ring.device + 1) <=
			 (char *)mem + tv_packed_size(num));
		free(mem);
	}
	TU_EQ(tv_packed_size(8), 128 + 128);
	TU_EQ(tv_packed_size(1), 64 + 128);
}

static void
test_packed_need_event(void)
{
	static const uint32_t nums[] = {1, 4, 16, 256, 32768};
	static const uint16_t idxs[] = {0,     1,     3,     15,   16,
					17,    255,   256,   257,  32767,
					32768, 32769, 65534, 65535};
	const size_t ni = sizeof(idxs) / sizeof(idxs[0]);
	size_t k, a, b;
	unsigned int r;

	/* num 8, driver at 6 on lap 0 (wrap 1) makes 4 available: indexes
	 * 6, 7 (wrap 1) and 8, 9 (positions 0, 1, wrap 0). */
	TU_CHECK(tv_packed_need_event(0x8000 | 6, 10, 6, 8));
	TU_CHECK(tv_packed_need_event(0x8000 | 7, 10, 6, 8));
	TU_CHECK(tv_packed_need_event(0, 10, 6, 8));
	TU_CHECK(tv_packed_need_event(1, 10, 6, 8));
	TU_CHECK(!tv_packed_need_event(2, 10, 6, 8));	       /* next one */
	TU_CHECK(!tv_packed_need_event(0x8000 | 0, 10, 6, 8)); /* lap 0 */
	TU_CHECK(!tv_packed_need_event(0x8000 | 5, 10, 6, 8));
	TU_CHECK(!tv_packed_need_event(6, 10, 6, 8));	      /* wrong lap */
	TU_CHECK(!tv_packed_need_event(0x8000 | 6, 6, 6, 8)); /* nothing */
	/* An offset beyond the ring counts modulo num. */
	TU_EQ(tv_packed_need_event(0x8000 | 14, 10, 6, 8),
	      tv_packed_need_event(0x8000 | 6, 10, 6, 8));

	for (k = 0; k < sizeof(nums) / sizeof(nums[0]); k++) {
		uint32_t num = nums[k];

		for (a = 0; a < ni; a++)
			for (b = 0; b < ni; b++) {
				uint16_t nw = idxs[a];
				uint16_t n = (uint16_t)(idxs[b] % (num + 1));
				uint16_t old = (uint16_t)(nw - n);
				uint16_t ow[] = {
					tv_packed_off_wrap(old, num),
					tv_packed_off_wrap(nw, num),
					tv_packed_off_wrap((uint16_t)(nw - 1),
							   num),
					tv_packed_off_wrap((uint16_t)(old - 1),
							   num),
					tv_packed_off_wrap(
						(uint16_t)(old + num), num),
					(uint16_t)(tv_packed_off_wrap(nw, num) ^
						   0x8000)};
				size_t j;

				for (j = 0; j < sizeof(ow) / sizeof(ow[0]); j++)
					TU_EQ(tv_packed_need_event(ow[j], nw,
								   old, num),
					      packed_need_event_ref(ow[j], nw,
								    old, num));
			}
	}
	/* Random cases, fixed seed. */
	srand(7);
	for (r = 0; r < 20000; r++) {
		uint32_t num = nums[(unsigned int)rand() %
				    (sizeof(nums) / sizeof(nums[0]))];
		uint16_t nw = (uint16_t)rand();
		uint16_t n = (uint16_t)((unsigned int)rand() % (num + 1));
		uint16_t ow = (uint16_t)(((unsigned int)rand() & 0x8000) |
					 ((unsigned int)rand() & (num - 1)));

		TU_EQ(tv_packed_need_event(ow, nw, (uint16_t)(nw - n), num),
		      packed_need_event_ref(ow, nw, (uint16_t)(nw - n), num));
	}
}

static void
test_net_hdr(void)
{
	TU_EQ(tv_net_hdr_len(0), 10);
	TU_EQ(tv_net_hdr_len(TV_BIT(TV_NET_F_MRG_RXBUF)), 12);
	TU_EQ(tv_net_hdr_len(TV_BIT(TV_F_VERSION_1)), 12);
	TU_EQ(tv_net_hdr_len(TV_BIT(TV_F_VERSION_1) |
			     TV_BIT(TV_NET_F_MRG_RXBUF)),
	      12);
	TU_EQ(tv_net_hdr_len(TV_BIT(TV_NET_F_CSUM) |
			     TV_BIT(TV_F_RING_EVENT_IDX)),
	      10);
	TU_EQ(tv_net_rxq_to_vq(0), 0);
	TU_EQ(tv_net_txq_to_vq(0), 1);
	TU_EQ(tv_net_rxq_to_vq(3), 6);
	TU_EQ(tv_net_txq_to_vq(3), 7);
	TU_CHECK(tv_net_vq_is_guest_tx(7));
	TU_CHECK(!tv_net_vq_is_guest_tx(6));
	TU_CHECK(tv_has_feature(TV_BIT(TV_F_RING_PACKED), TV_F_RING_PACKED));
	TU_CHECK(!tv_has_feature(TV_BIT(TV_F_RING_PACKED), TV_F_IN_ORDER));
}

int
main(void)
{
	test_need_event();
	test_split_layout();
	test_num_valid();
	test_packed_flags();
	test_packed_index();
	test_packed_need_event();
	test_net_hdr();
	return tu_finish("test_vring");
}
