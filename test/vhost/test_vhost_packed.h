/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * test_vhost_packed.h - what the three files of test_vhost_packed share:
 * the device and pool under test, the ring sizes, and the checks of used
 * descriptors, received packets, counters and guest memory (all in
 * test_vhost_packed.c; each aborts the test with a message, as CHECK
 * does). One thread: the test's own, calling the datapath directly.
 */
#ifndef TEST_VHOST_PACKED_H
#define TEST_VHOST_PACKED_H

#include <stddef.h>
#include <stdint.h>

#include "mock_guest.h"

#define RING  256 /* most sessions */
#define SMALL 16  /* sessions that go round the ring's wrap often */
#define HDR   12  /* VERSION_1: the 12-byte virtio-net header */

extern struct rte_mempool *mp;
extern struct tvh_dev *dev;

/* Offset of a counter in struct tvh_vq_stats, for counter(). */
#define CNT(f) offsetof(struct tvh_vq_stats, f)

struct tvh_vq_stats vq_stats(uint32_t vq);
uint64_t counter(uint32_t vq, size_t off);
/* The sum of the err_* counters. */
uint64_t all_errors(uint32_t vq);

/* The next used descriptor of vq is buffer id, with length len, AVAIL =
 * USED = the wrap counter of its position, WRITE on receive rings. */
void expect_used(struct mg *g, uint32_t vq, uint16_t id, uint32_t len,
		 const char *what);
void expect_no_used(struct mg *g, uint32_t vq, const char *what);

/* A copy of all guest memory, and that nothing in it changed since. */
void snap_take(struct mg *g);
void snap_same(struct mg *g, const char *what);

/* One packet into receive ring 0: `want` consumed (1 or 0). */
void enqueue_one(const uint8_t *pkt, uint32_t len, uint16_t want,
		 const char *what);
/* The packet in receive buffers ids[0..nb) of cap bytes each: used
 * lengths, zero header with num_buffers nb, payload. */
void rx_expect(struct mg *g, const uint16_t *ids, uint32_t nb, uint32_t cap,
	       const uint8_t *pkt, uint32_t len, const char *what);
/* Dequeue the k posted packets from ring 1 (first_burst of them in a
 * first burst): used descriptors and payloads. */
void tx_take(struct mg *g, uint32_t k, uint8_t pkt[][1024],
	     const uint32_t *lens, const uint16_t *ids, uint32_t first_burst,
	     const char *what);
/* GET_VRING_BASE of vq, which must name the driver's next descriptor in
 * both halves; returns it. */
uint32_t stop_expect(struct mg *g, uint32_t vq, const char *what);

/* Sessions (one device and front-end each). */
void hostile_session(struct mg *g); /* test_vhost_packed_bad.c */
void noind_session(struct mg *g);
void notify_session(struct mg *g); /* test_vhost_packed_notify.c */
void lap_session(struct mg *g);	   /* test_vhost_packed_lap.c */

#endif /* TEST_VHOST_PACKED_H */
