/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * mock_guest.h - a scriptable vhost-user front-end for lib/vhost tests.
 *
 * Guest memory is a memfd shared with the back-end as two regions (so
 * copies that straddle regions are exercised); guest-physical addresses
 * start at MG_GPA_BASE and differ from the mock's own virtual addresses
 * (which are what ring addresses use), so mixing the two is caught.
 * Rings are built with tv_split_init inside that memory; descriptors and
 * avail entries are written by the helpers below or by the test itself
 * (for malformed ones).
 *
 * With RING_PACKED in g->features (mg_negotiate), mg_vq_setup lays out a
 * packed ring instead (tv_packed_init) and the mg_pk_* helpers
 * (mock_guest_packed.c) play the driver's side of virtio 1.2 section 2.8:
 * buffers at consecutive positions, AVAIL/USED bits per position, the
 * head's flags written last, buffer ids in the last descriptor, used
 * descriptors read in ring order with the driver's wrap counter.
 */
#ifndef MOCK_GUEST_H
#define MOCK_GUEST_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <rte_mbuf.h>

#include "tv_vring.h"
#include "tvh.h"
#include "tvu.h"

#define MG_GPA_BASE 0x40000000ull
#define MG_MEM_SIZE (8u << 20)
#define MG_MAX_VQS  4

/* Abort the test with a message (tests are small programs). */
#define CHECK(cond, ...)                                                       \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__,          \
				__LINE__, #cond);                              \
			fprintf(stderr, __VA_ARGS__);                          \
			fprintf(stderr, "\n");                                 \
			exit(1);                                               \
		}                                                              \
	} while (0)

/* Packed ring: what the driver remembers of one buffer in flight,
 * indexed by buffer id (virtio 1.2, 2.8.5: the driver finds a used
 * buffer's descriptors by its id). */
#define MG_PK_SEGS 64
struct mg_pkbuf {
	bool in_flight;
	bool indirect;
	uint16_t idx;	/* free-running index of its first descriptor */
	uint16_t nd;	/* ring descriptors it took */
	uint32_t n_seg; /* pieces kept below (at most MG_PK_SEGS) */
	uint64_t addr[MG_PK_SEGS];
	uint32_t len[MG_PK_SEGS];
};

struct mg_vq {
	struct tv_split ring;
	uint32_t num;
	/* Split: next avail index to publish. Packed: the driver's next
	 * descriptor, free-running (position avail_idx & (num - 1), wrap
	 * counter mg_pk_wrap(avail_idx, num)). */
	uint16_t avail_idx;
	/* Split: used entries consumed by the mock. Packed: the next
	 * descriptor the mock reads a used one at (free-running). */
	uint16_t used_seen;
	uint16_t next_desc; /* next free descriptor (reset per round) */
	int kick_fd;
	int call_fd;
	/* Packed ring only (RING_PACKED negotiated). */
	struct tv_packed pring;
	struct mg_pkbuf *pkbuf; /* num records, by buffer id */
	uint32_t pk_serial;	/* buffers posted (ids derive from it) */
	uint16_t pk_last;	/* free-running index of the last head */
};

struct mg {
	int sock;
	int memfd;
	uint8_t *mem;
	size_t heap_off; /* bump allocator in guest memory */
	size_t heap_mark;
	uint64_t features;
	uint64_t pfeatures;
	bool reply_ack;
	/* mg_vq_setup leaves the ring disabled (no SET_VRING_ENABLE 1) */
	bool no_enable;
	/* mg_vq_setup sends no SET_VRING_BASE (the back-end's default) */
	bool no_base;
	struct mg_vq vq[MG_MAX_VQS];
};

/* EAL with the common test options and a unique file prefix. */
void mg_eal_init(const char *prog, const char *prefix);
/* A unique socket path under /tmp/h2-vhost-<pid>/. */
const char *mg_sock_path(const char *name);

/* Memory, socket, negotiation. */
void mg_init(struct mg *g);
void mg_fini(struct mg *g);
void mg_connect(struct mg *g, const char *path);
void mg_negotiate(struct mg *g, uint64_t features, uint64_t pfeatures);
int mg_send_mem_table(struct mg *g);
/* Set up vring idx with `num` entries (NUM, ADDR, BASE, CALL, KICK,
 * ENABLE). Returns 0 or the first failing request's error. The base is
 * the mock's avail index (split) or mg_pk_base() (packed). */
int mg_vq_setup(struct mg *g, uint32_t idx, uint32_t num);
/* The same with the SET_VRING_BASE value given. */
int mg_vq_setup_base(struct mg *g, uint32_t idx, uint32_t num, uint32_t base);
/* negotiate + mem table + vq 0..n_vqs-1 */
void mg_setup(struct mg *g, const char *path, uint64_t features, uint32_t n_vqs,
	      uint32_t num);
/* Stop vring idx (GET_VRING_BASE) and return its base. */
uint32_t mg_vq_stop(struct mg *g, uint32_t idx);

/* Guest memory. */
void *mg_alloc(struct mg *g, size_t size, size_t align);
uint64_t mg_gpa(const struct mg *g, const void *p);
void *mg_ptr(const struct mg *g, uint64_t gpa);
/* Forget buffers and descriptors allocated since the last mark. */
void mg_round_reset(struct mg *g);
/* Is eventfd fd (a call fd, a wake fd) readable within timeout_ms? Reads
 * it, so resetting its count, if so. */
bool mg_fd_woken(int fd, int timeout_ms);

/* Descriptors. */
uint16_t mg_desc(struct mg *g, uint32_t vq, uint64_t addr, uint32_t len,
		 uint16_t flags);
void mg_desc_link(struct mg *g, uint32_t vq, uint16_t from, uint16_t to);
void mg_avail_add(struct mg *g, uint32_t vq, uint16_t head);
void mg_avail_publish(struct mg *g, uint32_t vq);
/* Next used entry, if any. */
bool mg_used_next(struct mg *g, uint32_t vq, uint32_t *id, uint32_t *len);

/* TX (guest -> device) layouts. */
enum mg_tx_layout {
	MG_TX_HDR_OWN,	/* header descriptor, then one data descriptor */
	MG_TX_HDR_SAME, /* header and data in one descriptor */
	MG_TX_CHAIN,	/* header split 5+rest, data in 700-byte pieces */
	MG_TX_INDIRECT, /* MG_TX_CHAIN's descriptors in an indirect table */
	MG_TX_STRADDLE, /* one descriptor across the two regions */
	MG_TX_LAYOUTS
};
uint16_t mg_tx_post(struct mg *g, uint32_t vq, enum mg_tx_layout layout,
		    const uint8_t *pkt, uint32_t len, uint32_t hdr_len);

/* RX buffers: a chain of n_desc writable descriptors of desc_len bytes
 * each; returns the head. */
uint16_t mg_rx_post(struct mg *g, uint32_t vq, uint32_t n_desc,
		    uint32_t desc_len);
/* Read len bytes of a used RX chain starting at `head` into out. */
void mg_chain_read(struct mg *g, uint32_t vq, uint16_t head, uint8_t *out,
		   uint32_t len);

/* ---- Packed rings ----
 * The layout and base encoding are in mock_guest.c (mg_vq_setup uses
 * them); the driver's side of the datapath in mock_guest_packed.c. */

/* One descriptor of a packed buffer as the test describes it: flags are
 * WRITE, INDIRECT, NEXT (mg_pk_post adds NEXT itself); the AVAIL/USED
 * bits and the id are the mock's. */
struct mg_pdesc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
};

/* The driver's wrap counter on the lap of free-running index idx (1 on
 * lap 0, section 2.8.1). */
bool mg_pk_wrap(uint16_t idx, uint32_t num);
/* The vhost-user base naming the driver's next descriptor, lower half
 * only (as DPDK's virtio-user sends it): position | wrap counter << 15. */
uint32_t mg_pk_base(const struct mg *g, uint32_t vq);
/* The same for free-running index idx of a ring of num descriptors. */
uint32_t mg_pk_base_of(uint16_t idx, uint32_t num);
/* The free-running index (in [0, 2 num)) a base's lower half names. */
uint16_t mg_pk_base_idx(uint32_t num, uint32_t base);
/* The id a descriptor that is not a list's last carries: never a buffer
 * id (those are < num), so a device that takes it is caught. */
uint16_t mg_pk_junk_id(uint16_t idx);
/* Lay out (first time, or new size: in fresh memory) and describe the
 * packed ring of vring idx for SET_VRING_ADDR. */
void mg_pk_ring_layout(struct mg *g, uint32_t idx, uint32_t num,
		       struct tvu_vring_addr *a);
/* Forget the ring memory: the next set-up lays out a fresh one. */
void mg_pk_ring_forget(struct mg *g, uint32_t vq);

/* Make a buffer of the n descriptors d[] available at the driver's next
 * positions: flags as given (the caller's NEXT bits decide the list),
 * AVAIL/USED of each position, the buffer id in the last one and
 * mg_pk_junk_id in the others, the head's flags written last after a
 * release fence (section 2.8.21). Returns the buffer id. */
uint16_t mg_pk_post_raw(struct mg *g, uint32_t vq, const struct mg_pdesc *d,
			uint32_t n);
/* The same with NEXT set on all but the last. */
uint16_t mg_pk_post(struct mg *g, uint32_t vq, const struct mg_pdesc *d,
		    uint32_t n);
/* One ring descriptor naming an indirect table (in guest memory) of the n
 * entries d[] (flags as given; NEXT is not set: packed tables are
 * consecutive). *table, if not NULL, gets the table. */
uint16_t mg_pk_post_indirect(struct mg *g, uint32_t vq,
			     const struct mg_pdesc *d, uint32_t n,
			     struct tv_packed_desc **table);
/* The ring descriptor at free-running index idx; the last buffer's head. */
struct tv_packed_desc *mg_pk_desc(struct mg *g, uint32_t vq, uint16_t idx);
struct tv_packed_desc *mg_pk_head(struct mg *g, uint32_t vq);
/* Set flag bits in the last buffer's head (keeping AVAIL/USED). */
void mg_pk_head_flags_or(struct mg *g, uint32_t vq, uint16_t flags);
/* Next used descriptor, if the device wrote one at the driver's used
 * position: AVAIL == USED == the driver's used wrap counter. Checks that
 * its id is a buffer in flight whose first descriptor is at that
 * position and that the rest of the buffer's list was not written, then
 * advances the position by the buffer's descriptors. */
bool mg_pk_used_next(struct mg *g, uint32_t vq, uint16_t *id, uint32_t *len,
		     uint16_t *flags);
/* Read the first len bytes a buffer (by id) holds into out. */
void mg_pk_buf_read(struct mg *g, uint32_t vq, uint16_t id, uint8_t *out,
		    uint32_t len);
/* A transmitted packet in one of the split layouts (MG_TX_INDIRECT: the
 * pieces in an indirect table whose entries also get ind_flags, e.g.
 * WRITE as DPDK 22.11's virtio-user sets). Returns the buffer id. */
uint16_t mg_pk_tx_post(struct mg *g, uint32_t vq, enum mg_tx_layout layout,
		       const uint8_t *pkt, uint32_t len, uint32_t hdr_len,
		       uint16_t ind_flags);
/* A receive buffer of n_desc writable descriptors of desc_len bytes each
 * (filled with 0xee), as a list or (indirect) in a table. */
uint16_t mg_pk_rx_post(struct mg *g, uint32_t vq, uint32_t n_desc,
		       uint32_t desc_len, bool indirect);
/* After GET_VRING_BASE returned `base`: read every used descriptor, check
 * the device stopped where the mock's used position is, and forget the
 * buffers after it (their descriptors zeroed: flags 0 is available in
 * neither lap), so the next set-up continues there. */
void mg_pk_rewind(struct mg *g, uint32_t vq, uint32_t base);

/* Test data and mbufs. */
void mg_fill(uint8_t *buf, uint32_t len, uint32_t seed);
struct rte_mbuf *mg_mbuf_from(struct rte_mempool *mp, const uint8_t *data,
			      uint32_t len);
/* Compare an mbuf chain with data; returns 0 if equal. */
int mg_mbuf_cmp(const struct rte_mbuf *m, const uint8_t *data, uint32_t len);

/* Open fds and /proc/self/maps lines, for leak checks. */
int mg_count_fds(void);
int mg_count_maps(void);
/* Lines of /proc/self/maps: all of them, or under ASan (whose allocator
 * maps, unmaps and merges on its own) those of memfds only. */
int mg_count_maps_stable(void);
/* The device's counters, by value. */
struct tvh_dev_stats mg_dev_stats(struct tvh_dev *dev);
/* CLOCK_MONOTONIC in milliseconds. */
uint64_t mg_now_ms(void);

/* Wait (bounded) until cond_fn(arg) holds; returns its last value. */
bool mg_wait(bool (*cond_fn)(void *), void *arg, int timeout_ms);

#endif /* MOCK_GUEST_H */
