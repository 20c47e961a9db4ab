/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * tv_vring.h - the one definition of the virtio ring formats in Tandem.
 *
 * Split ring (virtio 1.2, section 2.7) and packed ring (section 2.8)
 * layouts, the feature bits Tandem uses, the virtio-net header, and the
 * event-index arithmetic. Plain C11, no EAL: usable from unit tests, fuzzers,
 * the backend library and the guest PMD alike.
 *
 * Threading: everything here is either a constant, a pure function or an
 * accessor on memory the caller owns; no function keeps state.
 *
 * Endianness: Tandem targets little-endian hosts only (x86_64, arm64 LE);
 * VERSION_1 rings are little-endian, so fields are accessed natively.
 * tv_vring.c has a static assertion that fails the build elsewhere.
 */
#ifndef TV_VRING_H
#define TV_VRING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Feature bits (virtio 1.2 sections 5.1.3 and 6) ---- */
#define TV_NET_F_CSUM		     0
#define TV_NET_F_GUEST_CSUM	     1
#define TV_NET_F_CTRL_GUEST_OFFLOADS 2
#define TV_NET_F_MTU		     3
#define TV_NET_F_MAC		     5
#define TV_NET_F_GUEST_TSO4	     7
#define TV_NET_F_GUEST_TSO6	     8
#define TV_NET_F_GUEST_ECN	     9
#define TV_NET_F_GUEST_UFO	     10
#define TV_NET_F_HOST_TSO4	     11
#define TV_NET_F_HOST_TSO6	     12
#define TV_NET_F_HOST_ECN	     13
#define TV_NET_F_HOST_UFO	     14
#define TV_NET_F_MRG_RXBUF	     15
#define TV_NET_F_STATUS		     16
#define TV_NET_F_CTRL_VQ	     17
#define TV_NET_F_CTRL_RX	     18
#define TV_NET_F_GUEST_ANNOUNCE	     21
#define TV_NET_F_MQ		     22
#define TV_F_NOTIFY_ON_EMPTY	     24
#define TV_F_ANY_LAYOUT		     27
#define TV_F_RING_INDIRECT_DESC	     28
#define TV_F_RING_EVENT_IDX	     29
/* vhost-user only: the back-end speaks GET/SET_PROTOCOL_FEATURES. */
#define TV_F_VHOST_USER_PROTOCOL_FEATURES 30
#define TV_F_VERSION_1			  32
#define TV_F_ACCESS_PLATFORM		  33
#define TV_F_RING_PACKED		  34
#define TV_F_IN_ORDER			  35
#define TV_F_ORDER_PLATFORM		  36
#define TV_F_NOTIFICATION_DATA		  38

#define TV_BIT(b) (UINT64_C(1) << (b))

static inline bool
tv_has_feature(uint64_t features, unsigned int bit)
{
	return (features & TV_BIT(bit)) != 0;
}

/* virtio-net config status bit (section 5.1.4). */
#define TV_NET_S_LINK_UP 1

/* ---- Device status (section 2.1) ---- */
#define TV_STATUS_ACKNOWLEDGE 1
#define TV_STATUS_DRIVER      2
#define TV_STATUS_DRIVER_OK   4
#define TV_STATUS_FEATURES_OK 8
#define TV_STATUS_NEEDS_RESET 64
#define TV_STATUS_FAILED      128

/* Largest ring a split or packed queue may have (section 2.7 / 2.8). */
#define TV_QUEUE_SIZE_MAX 32768u

/* ---- Split ring (section 2.7) ---- */
#define TV_DESC_F_NEXT	   1
#define TV_DESC_F_WRITE	   2
#define TV_DESC_F_INDIRECT 4

struct tv_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

/* Driver -> device: "don't interrupt me" (ignored when EVENT_IDX). */
#define TV_AVAIL_F_NO_INTERRUPT 1

struct tv_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[]; /* num entries, then used_event (EVENT_IDX) */
};

struct tv_used_elem {
	uint32_t id;  /* head descriptor index of the chain */
	uint32_t len; /* bytes written into the chain's buffers */
};

/* Device -> driver: "don't kick me" (ignored when EVENT_IDX). */
#define TV_USED_F_NO_NOTIFY 1

struct tv_used {
	uint16_t flags;
	uint16_t idx;
	struct tv_used_elem ring[]; /* num entries, then avail_event */
};

/* Alignment of the used ring in the legacy contiguous layout; rings that
 * Tandem allocates itself use this too (VERSION_1 needs only 4). */
#define TV_SPLIT_USED_ALIGN 4096u

/* Direct pointers to the three parts of one split ring. */
struct tv_split {
	uint32_t num; /* power of two, 1..TV_QUEUE_SIZE_MAX */
	struct tv_desc *desc;
	struct tv_avail *avail;
	struct tv_used *used;
};

static inline size_t
tv_split_desc_size(uint32_t num)
{
	return (size_t)num * sizeof(struct tv_desc);
}

/* flags + idx + ring[num] + used_event */
static inline size_t
tv_split_avail_size(uint32_t num)
{
	return 4 + 2 * (size_t)num + 2;
}

/* flags + idx + ring[num] + avail_event */
static inline size_t
tv_split_used_size(uint32_t num)
{
	return 4 + 8 * (size_t)num + 2;
}

/* Bytes needed for a contiguous split ring: desc, avail, pad to `align`,
 * used. `align` must be a power of two >= 4 (the used ring's alignment,
 * virtio 1.2 section 2.7); smaller values misalign struct tv_used. */
size_t tv_split_size(uint32_t num, size_t align);

/* Lay out a contiguous split ring at `mem` (which must be `align`-aligned
 * and tv_split_size() bytes long, already zeroed by the caller). */
void tv_split_init(struct tv_split *ring, void *mem, uint32_t num,
		   size_t align);

/* used_event lives after the avail ring; avail_event after the used ring. */
static inline uint16_t *
tv_split_used_event(const struct tv_split *ring)
{
	return &ring->avail->ring[ring->num];
}

static inline uint16_t *
tv_split_avail_event(const struct tv_split *ring)
{
	return (uint16_t *)(void *)&ring->used->ring[ring->num];
}

/* True if `num` is a valid split ring size: a power of two in
 * [1, TV_QUEUE_SIZE_MAX]. */
static inline bool
tv_split_num_valid(uint32_t num)
{
	return num != 0 && num <= TV_QUEUE_SIZE_MAX && (num & (num - 1)) == 0;
}

/* ---- Event index (section 2.7.10) ----
 * Should the side that moved its index from `old_idx` to `new_idx` notify a
 * peer that asked to be told once the index passes `event_idx`? True when
 * event_idx lies in [old_idx, new_idx), all modulo 2^16. */
static inline bool
tv_need_event(uint16_t event_idx, uint16_t new_idx, uint16_t old_idx)
{
	return (uint16_t)(new_idx - event_idx - 1) <
	       (uint16_t)(new_idx - old_idx);
}

/* ---- Packed ring (section 2.8) ---- */
/* Bit numbers of the wrap-counter flags, and the flags as masks. */
#define TV_PACKED_DESC_F_AVAIL 7
#define TV_PACKED_DESC_F_USED  15
#define TV_PACKED_F_AVAIL      (1u << TV_PACKED_DESC_F_AVAIL)
#define TV_PACKED_F_USED       (1u << TV_PACKED_DESC_F_USED)

struct tv_packed_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t id; /* buffer id: in the last descriptor of a list */
	uint16_t flags;
};

/* Event suppression structure (section 2.8.14). */
#define TV_PACKED_EVENT_FLAG_ENABLE  0x0
#define TV_PACKED_EVENT_FLAG_DISABLE 0x1
#define TV_PACKED_EVENT_FLAG_DESC    0x2
#define TV_PACKED_EVENT_WRAP_BIT     15

struct tv_packed_event {
	uint16_t off_wrap; /* bit 15: wrap counter, bits 0..14: offset */
	uint16_t flags;
};

/* Direct pointers to the three parts of one packed ring. The driver area
 * holds the driver's event suppression structure (the device reads it),
 * the device area the device's (the driver reads it): what vhost-user's
 * SET_VRING_ADDR calls the avail and the used address. */
struct tv_packed {
	uint32_t num; /* power of two, 1..TV_QUEUE_SIZE_MAX (Tandem's rule) */
	struct tv_packed_desc *desc;
	struct tv_packed_event *driver;
	struct tv_packed_event *device;
};

/* Bytes for a contiguous packed ring as Tandem lays it out: descriptors,
 * then each event structure on a 64-byte line of its own (the two sides
 * write one each: no false sharing). `mem` must be 64-byte aligned. */
size_t tv_packed_size(uint32_t num);
void tv_packed_init(struct tv_packed *ring, void *mem, uint32_t num);

/* Free-running indexes. Tandem's packed rings have a power-of-two size, so
 * one 16-bit counter per side carries both the position (idx & (num - 1))
 * and the ring wrap counter: 2^16 is an even number of laps for any num
 * <= 2^15, and the counter starts at 1 on lap 0 (section 2.8.1), so it is
 * 1 exactly when bit log2(num) of idx is clear. */
static inline bool
tv_packed_wrap(uint16_t idx, uint32_t num)
{
	return (idx & num) == 0;
}

/* AVAIL/USED of a descriptor the driver makes available at idx: AVAIL
 * equal to the driver's wrap counter, USED its inverse. */
static inline uint16_t
tv_packed_avail_flags(uint16_t idx, uint32_t num)
{
	return tv_packed_wrap(idx, num) ? TV_PACKED_F_AVAIL : TV_PACKED_F_USED;
}

/* AVAIL/USED of a descriptor the device has used at idx: both equal to
 * the device's wrap counter. */
static inline uint16_t
tv_packed_used_flags(uint16_t idx, uint32_t num)
{
	return tv_packed_wrap(idx, num)
		       ? (uint16_t)(TV_PACKED_F_AVAIL | TV_PACKED_F_USED)
		       : 0;
}

/* Does `flags`, read at free-running idx, mark a used descriptor? A stale
 * descriptor of the previous lap and one the driver made available both
 * answer no. */
static inline bool
tv_packed_is_used_at(uint16_t flags, uint16_t idx, uint32_t num)
{
	return (flags & (TV_PACKED_F_AVAIL | TV_PACKED_F_USED)) ==
	       tv_packed_used_flags(idx, num);
}

/* The event structure's off_wrap naming free-running idx. */
static inline uint16_t
tv_packed_off_wrap(uint16_t idx, uint32_t num)
{
	return (uint16_t)((idx & (num - 1)) |
			  ((unsigned int)tv_packed_wrap(idx, num)
			   << TV_PACKED_EVENT_WRAP_BIT));
}

/* The free-running index in [0, 2 num) that off_wrap names: the inverse
 * of tv_packed_off_wrap (the offset taken modulo num). */
static inline uint16_t
tv_packed_idx(uint16_t off_wrap, uint32_t num)
{
	return (uint16_t)((off_wrap & (num - 1)) +
			  ((off_wrap >> TV_PACKED_EVENT_WRAP_BIT) ? 0 : num));
}

/* Should the side that moved its free-running index from old_idx to
 * new_idx (at most num descriptors) notify a peer whose event structure
 * holds RING_EVENT_FLAGS_DESC with `off_wrap`? True when the descriptor
 * off_wrap names is one of old_idx .. new_idx - 1 (section 2.8.14). The
 * offset is taken modulo num: an out-of-range one, which only a broken
 * peer writes, costs it notifications, nothing else. */
static inline bool
tv_packed_need_event(uint16_t off_wrap, uint16_t new_idx, uint16_t old_idx,
		     uint32_t num)
{
	/* off_wrap names the indexes congruent to e modulo 2 num (a lap is
	 * num, the wrap counter tells the lap's parity); d is how far the
	 * newest of them lies behind new_idx. */
	uint32_t e = tv_packed_idx(off_wrap, num);
	uint32_t d = (uint32_t)(uint16_t)(new_idx - e) & (2 * num - 1);

	return d != 0 && d <= (uint16_t)(new_idx - old_idx);
}

/* Is packed descriptor `flags` available / used for a side whose wrap
 * counter is `wrap`? (section 2.8.1) */
static inline bool
tv_packed_desc_is_avail(uint16_t flags, bool wrap)
{
	bool avail = (flags >> TV_PACKED_DESC_F_AVAIL) & 1;
	bool used = (flags >> TV_PACKED_DESC_F_USED) & 1;

	return avail == wrap && used != wrap;
}

static inline bool
tv_packed_desc_is_used(uint16_t flags, bool wrap)
{
	bool avail = (flags >> TV_PACKED_DESC_F_AVAIL) & 1;
	bool used = (flags >> TV_PACKED_DESC_F_USED) & 1;

	return avail == used && used == wrap;
}

/* ---- virtio-net header (section 5.1.6) ---- */
#define TV_NET_HDR_F_NEEDS_CSUM 1
#define TV_NET_HDR_F_DATA_VALID 2
#define TV_NET_HDR_GSO_NONE	0
#define TV_NET_HDR_GSO_TCPV4	1
#define TV_NET_HDR_GSO_UDP	3
#define TV_NET_HDR_GSO_TCPV6	4
#define TV_NET_HDR_GSO_ECN	0x80

struct tv_net_hdr {
	uint8_t flags;
	uint8_t gso_type;
	uint16_t hdr_len;
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
};

struct tv_net_hdr_mrg {
	struct tv_net_hdr hdr;
	uint16_t num_buffers;
};

/* Header length on the wire for the negotiated features: 12 bytes with
 * MRG_RXBUF or VERSION_1 (section 5.1.6), 10 bytes otherwise. */
static inline uint32_t
tv_net_hdr_len(uint64_t features)
{
	if (tv_has_feature(features, TV_NET_F_MRG_RXBUF) ||
	    tv_has_feature(features, TV_F_VERSION_1))
		return sizeof(struct tv_net_hdr_mrg);
	return sizeof(struct tv_net_hdr);
}

/* virtio-net queue numbering: queue pair q has receiveq 2q, transmitq 2q+1
 * (section 5.1.2). "RX" and "TX" are from the driver's (guest's) side. */
static inline uint32_t
tv_net_rxq_to_vq(uint32_t q)
{
	return 2 * q;
}

static inline uint32_t
tv_net_txq_to_vq(uint32_t q)
{
	return 2 * q + 1;
}

static inline bool
tv_net_vq_is_guest_tx(uint32_t vq)
{
	return (vq & 1) != 0;
}

#ifdef __cplusplus
}
#endif

#endif /* TV_VRING_H */
