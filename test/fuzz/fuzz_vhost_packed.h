/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * fuzz_vhost_packed.h - what fuzz_vhost_packed's two files share: where
 * the ring lies in guest memory, one input's case and model state, the
 * memory snapshots and counters, and the functions each file gives the
 * other (fuzz_vhost_packed.c, fuzz_vhost_packed_burst.c).
 */
#ifndef FUZZ_VHOST_PACKED_H
#define FUZZ_VHOST_PACKED_H

#include <stdbool.h>
#include <stdint.h>

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

/* Guest memory before a burst, and what the model says it must be. */
extern uint8_t snap[MEM_SPAN], model_mem[MEM_SPAN];

/* What was checked (FUZZ_STATS=1 prints it at exit). */
struct fp_counts {
	uint64_t inputs, not_started, bursts, tx_pkts, tx_bytes_cmp,
		tx_discarded, rx_pkts, rx_exact, broke, ambiguous, at_once,
		loose, either, calls, arms;
};
extern struct fp_counts counts;

/* FUZZ_TRACE=1: one line per burst (what the model expected). */
extern bool trace;

/* ---- Building the ring from the input (fuzz_vhost_packed.c) ---- */

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

uint8_t *ring_desc(const struct fp_case *c, uint32_t pos);
void get_event(const uint8_t *p, uint16_t *off_wrap, uint16_t *flags);

/* ---- Checks and bursts (fuzz_vhost_packed_burst.c) ---- */

void check_mem(const uint8_t *live, const uint8_t *want, const char *what);
void tx_burst(const struct fp_case *c, struct fp_state *st, uint16_t n);
void rx_burst(const struct fp_case *c, struct fp_state *st, struct fuzz_in *in,
	      uint16_t n);
void arm(const struct fp_case *c, const struct fp_state *st, bool on);

#endif /* FUZZ_VHOST_PACKED_H */
