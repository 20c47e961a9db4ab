/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * fuzz_virtio_packed.h - what fuzz_virtio_packed's files share: its limits
 * and the ring's flag bits, the pool and counters, the device both runs
 * play and the helpers fuzz_virtio_packed.c defines for them, and the two
 * runs (fuzz_virtio_packed_rx.c, fuzz_virtio_packed_tx.c).
 */
#ifndef FUZZ_VIRTIO_PACKED_H
#define FUZZ_VIRTIO_PACKED_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_mempool.h>

#include "fuzz_common.h"
#include "tv_pmd.h"

#define POOL_N	 4096u
#define MAX_OPS	 64u
#define MAX_HELD 512u
#define MAX_ENT	 512u /* used descriptors written, not yet marked */
#define MAX_OUT	 512u /* TX: accepted packets not completed */
#define FIFO_N	 1024u
#define HDR_LEN	 12u /* VERSION_1 virtio-net header */

#define F_NEXT	   0x1u
#define F_WRITE	   0x2u
#define F_AVAIL	   0x80u   /* bit 7 */
#define F_USED	   0x8000u /* bit 15 */
#define EV_ENABLE  0u
#define EV_DISABLE 1u
#define EV_DESC	   2u

extern struct rte_mempool *pool;
extern bool verbose; /* FUZZ_VERBOSE: trace the operations */

/* What was checked (FUZZ_STATS=1 prints it at exit). */
struct fvp_counts {
	uint64_t inputs, rx_pkts, rx_exact, tx_chains, tx_exact, handoffs, lied,
		broken, kicks, walked, scribbles;
};
extern struct fvp_counts counts;

/* ---- The ring as the device sees it, and small helpers
 * (fuzz_virtio_packed.c) ---- */

uint16_t m_avail_bits(uint16_t idx, uint32_t num);
bool m_is_avail(uint16_t flags, uint16_t idx, uint32_t num);
bool m_kick(const struct tv_packed_event *ev, bool event_idx, uint16_t old,
	    uint16_t new, uint32_t num);
uint16_t load_flags(const struct tv_packed_desc *d);
bool filled(const uint8_t *p, uint32_t n, uint8_t tag, uint32_t off);
bool zero(const uint8_t *p, uint32_t n);
bool not_behind(uint16_t a, uint16_t b);
void sort_unique(void **v, uint32_t n, const char *what);
bool in_sorted(void *const *v, uint32_t n, const void *p);
uint32_t union_count(void *const *a, uint32_t na, void *const *b, uint32_t nb);
uint64_t read_eventfd(int fd);

/* ---- The device: shared by RX and TX (fuzz_virtio_packed.c) ---- */

struct used_ent {
	uint16_t idx;  /* free-running position */
	uint16_t id;   /* buffer id written */
	uint16_t skip; /* descriptors it stands for */
	uint32_t len;
	uint8_t nseq; /* TX: packets it completes (honest) */
	uint32_t seq[8];
};

struct dev {
	uint16_t avail; /* next descriptor the device reads */
	uint16_t used;	/* where its next used descriptor goes */
	/* Written (idx, id, len decided), not yet marked used, in ring
	 * order. */
	struct used_ent ent[MAX_ENT];
	uint32_t n_ent;
	/* It lied since the last handoff: the ring may hold what it wrote,
	 * so follow no pointer read from it and check no bytes. */
	bool hostile;
	bool ever_hostile; /* since the queue was created */
	uint16_t ev_flags, ev_off_wrap;
	/* TX, while honest: the next chain it reads carries a packet
	 * submitted no earlier than this (sequence numbers). */
	uint32_t next_seq;
};

uint16_t dev_marked(const struct dev *d);
void dev_lie(struct dev *d);
void dev_reset(struct dev *d, uint16_t idx);
void dev_event(struct fuzz_in *in, struct dev *d, struct tv_packed_event *ev);
void dev_hostile_write(struct fuzz_in *in, struct dev *d,
		       struct tv_packed *ring);
void dev_mark(struct dev *d, struct tv_packed *ring, uint32_t count,
	      uint8_t mode, uint16_t raw, bool rx, bool *owned,
	      void (*done)(void *ctx, const struct used_ent *e), void *ctx);

/* ---- After a handoff: shared by RX and TX (fuzz_virtio_packed.c) ---- */

void check_event_reset(const struct tv_packed_event *ev, const char *dir);
void check_free_range(const struct tv_packed *ring, uint16_t idx, uint32_t left,
		      const char *dir);
void check_vring_info(const struct tv_vring_info *vi,
		      const struct tv_packed *ring, uint16_t oldest,
		      const char *dir);

/* ---- The runs: one input each (fuzz_virtio_packed_rx.c,
 * fuzz_virtio_packed_tx.c) ---- */

void rx_run(const uint8_t *data, size_t size, const struct tv_dp_features *f,
	    bool scatter, uint16_t num);
void tx_run(const uint8_t *data, size_t size, const struct tv_dp_features *f,
	    uint16_t num);

#endif /* FUZZ_VIRTIO_PACKED_H */
