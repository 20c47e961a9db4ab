/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 */
#include "tv_vring.h"

#include <assert.h>

/* The ring layouts are fixed by the spec; a padding surprise would corrupt
 * every exchange with the peer, so fail the build instead. */
static_assert(sizeof(struct tv_desc) == 16, "split descriptor is 16 bytes");
static_assert(sizeof(struct tv_used_elem) == 8, "used element is 8 bytes");
static_assert(sizeof(struct tv_packed_desc) == 16,
	      "packed descriptor is 16 bytes");
static_assert(sizeof(struct tv_net_hdr) == 10, "virtio-net header");
static_assert(sizeof(struct tv_net_hdr_mrg) == 12, "mergeable header");
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
	      "Tandem accesses VERSION_1 rings natively: little-endian only");

static size_t
align_up(size_t v, size_t align)
{
	/* Callers' contract (tv_vring.h): a power of two, at least the used
	 * ring's natural alignment. */
	assert(align >= 4 && (align & (align - 1)) == 0);
	return (v + align - 1) & ~(align - 1);
}

size_t
tv_split_size(uint32_t num, size_t align)
{
	size_t used_off = align_up(
		tv_split_desc_size(num) + tv_split_avail_size(num), align);

	return used_off + tv_split_used_size(num);
}

void
tv_split_init(struct tv_split *ring, void *mem, uint32_t num, size_t align)
{
	char *base = mem;
	size_t used_off = align_up(
		tv_split_desc_size(num) + tv_split_avail_size(num), align);

	ring->num = num;
	ring->desc = (struct tv_desc *)(void *)base;
	ring->avail =
		(struct tv_avail *)(void *)(base + tv_split_desc_size(num));
	ring->used = (struct tv_used *)(void *)(base + used_off);
}

/* Each event structure on a line of its own: the driver writes one, the
 * device the other. */
#define TV_PACKED_EVENT_LINE 64u

size_t
tv_packed_size(uint32_t num)
{
	return align_up((size_t)num * sizeof(struct tv_packed_desc),
			TV_PACKED_EVENT_LINE) +
	       2 * TV_PACKED_EVENT_LINE;
}

void
tv_packed_init(struct tv_packed *ring, void *mem, uint32_t num)
{
	char *base = mem;
	size_t ev_off = align_up((size_t)num * sizeof(struct tv_packed_desc),
				 TV_PACKED_EVENT_LINE);

	ring->num = num;
	ring->desc = (struct tv_packed_desc *)(void *)base;
	ring->driver = (struct tv_packed_event *)(void *)(base + ev_off);
	ring->device = (struct tv_packed_event *)(void *)(base + ev_off +
							  TV_PACKED_EVENT_LINE);
}
