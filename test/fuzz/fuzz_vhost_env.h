/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * fuzz_vhost_env.h - the set-up fuzz_vhost_split and fuzz_vhost_packed
 * share: EAL, three mbuf pools, the guest memory every device shares (three
 * regions of test/vhost's mock front-end's memfd, below), tvh devices
 * driven over their real vhost-user sockets with the memory table sent,
 * and the checks every input ends with (each mbuf back in its pool, no fd
 * leaked).
 *
 * Guest memory, in the memfd (file offsets) and guest-physical space:
 *   R0  gpa 0x10000000, 32K-256 bytes: rings and indirect tables;
 *   R1  right after R0 in guest-physical space (a buffer may straddle the
 *       two), but 512 bytes further in the file;
 *   R2  ending 4096 bytes below 2^64 (addr + len can wrap from there).
 * Sizes and offsets are not page multiples, so the back-end's mappings hold
 * some bytes of the file that are in no region: a write past a region's
 * end lands there, and a target's comparison of FZ_MEM_SPAN bytes sees it.
 *
 * Threading: single-threaded, like the targets.
 */
#ifndef FUZZ_VHOST_ENV_H
#define FUZZ_VHOST_ENV_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "fuzz_vhost_model.h"
#include "mock_guest.h"
#include "tvh.h"

#define R0_GPA	  0x10000000ull
#define R0_SIZE	  (32768u - 256u)
#define R0_OFF	  0u
#define R1_GPA	  (R0_GPA + R0_SIZE)
#define R1_SIZE	  (32768u - 512u)
#define R1_OFF	  (32768u + 256u)
#define R2_SIZE	  (16384u - 1024u)
#define R2_GPA	  (0ull - 4096u - R2_SIZE)
#define R2_OFF	  (65536u + 512u)
#define MEM_SPAN  81920u /* file bytes compared: the regions and gaps */
#define FZ_MAX_DEVS 8

extern const struct fm_region fz_regions[3];

/* One tvh device and the mock front-end that drives it. */
struct fz_dev {
	struct tvh_dev *dev;
	struct mg g;
	uint64_t features; /* negotiated */
	bool proto, reply_ack;
	bool tx_discard; /* tvh_config.disabled_tx_discard */
	bool started[2]; /* fuzz_vhost_split's bookkeeping */
	int kick_fd[2], call_fd[2]; /* fuzz_vhost_packed's */
	char path[108];
};

/* Pool 0: 4096 default mbufs, 1: 2048 with 64 bytes of room (chains), 2:
 * 8 default ones (runs dry). */
extern struct rte_mempool *fz_pools[3];
/* What guest memory is filled with before an input's ring is built. */
extern uint8_t fz_pattern[MEM_SPAN];

/* EAL (--no-huge, file prefix and socket directory named after tag and
 * the pid), the pools, the pattern from seed, and an exit handler that
 * destroys devs[0..n_devs). Aborts on failure. */
void fz_env_init(const char *prog, const char *tag, uint32_t seed,
		 struct fz_dev *devs, unsigned int n_devs);

/* Device i: a tvh device with every feature lib/vhost offers, a mock
 * front-end connected to it that negotiates features (and MQ, plus
 * REPLY_ACK if reply_ack) and sends the three regions. */
void fz_dev_setup(struct fz_dev *d, int i, uint64_t features, bool reply_ack,
		  bool tx_discard);

/* A round trip: every message sent before has been handled. */
void fz_dev_sync(const struct fz_dev *d);

/* m is a valid mbuf chain from pool holding len bytes, equal to data's
 * unless skip_bytes. */
void fz_check_mbuf(const struct rte_mbuf *m, const struct rte_mempool *pool,
		   const uint8_t *data, uint32_t len, bool skip_bytes);

/* An mbuf chain from mp of len bytes copied from data, in about nseg
 * segments (more if the pool's buffers are small); NULL if the pool ran
 * dry. */
struct rte_mbuf *fz_build_mbuf(struct rte_mempool *mp, const uint8_t *data,
			       uint32_t len, uint32_t nseg);

/* The end of every input: every mbuf back in its pool, no fd leaked. */
void fz_input_end(void);

#endif /* FUZZ_VHOST_ENV_H */
