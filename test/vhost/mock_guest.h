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

struct mg_vq {
	struct tv_split ring;
	uint32_t num;
	uint16_t avail_idx; /* next avail index to publish */
	uint16_t used_seen; /* used entries consumed by the mock */
	uint16_t next_desc; /* next free descriptor (reset per round) */
	int kick_fd;
	int call_fd;
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
 * ENABLE). Returns 0 or the first failing request's error. */
int mg_vq_setup(struct mg *g, uint32_t idx, uint32_t num);
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
