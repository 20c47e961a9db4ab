/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * tvt_backend.h - what the test/virtio programs share when they play the
 * back-end of net_tandem_virtio's rings in-process: a minimal split-ring
 * device (take avail entries, write used entries, publish used->idx) and
 * the process's open fd count, and their EAL start.
 */
#ifndef TVT_BACKEND_H
#define TVT_BACKEND_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_log.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "../common/tt_fds.h"
#include "tv_vring.h"

/* The programs' failure count and check: a failed check is said with its
 * place and counted, and the program fails at the end. test_tv_rx_simd.c
 * defines TVT_OWN_CHECK for its own (it names the case and caps the
 * output). */
static int failures;

#ifndef TVT_OWN_CHECK
#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "FAIL %s:%d: %s\n", __func__,          \
				__LINE__, #cond);                              \
			failures++;                                            \
		}                                                              \
	} while (0)

/* The end of a test program: no fd leaked since tt_count_fds() said
 * fds_before, every mbuf back in `pool` (pool_full when it was made);
 * the pool freed and EAL cleaned up. Returns the exit code. */
static inline int
tvt_finish(const char *name, int fds_before, struct rte_mempool *pool,
	   unsigned int pool_full)
{
	CHECK(tt_count_fds() == fds_before);
	CHECK(rte_mempool_avail_count(pool) == pool_full);
	rte_mempool_free(pool);
	rte_eal_cleanup();
	if (failures) {
		fprintf(stderr, "%d check(s) failed\n", failures);
		return 1;
	}
	printf("%s: all checks passed\n", name);
	return 0;
}
#endif

/* A fake device on one ring. */
struct tvt_dev {
	struct tv_split *ring;
	uint16_t last_avail; /* next avail entry to take */
	uint16_t used_idx;   /* next used entry to write */
};

/* Start at `base` (a SET_VRING_BASE). */
static inline void
tvt_attach(struct tvt_dev *d, struct tv_split *ring, uint16_t base)
{
	d->ring = ring;
	d->last_avail = base;
	d->used_idx = base;
}

/* avail->idx, with the acquire the driver's release store pairs with. */
static inline uint16_t
tvt_avail_idx(const struct tvt_dev *d)
{
	return __atomic_load_n(&d->ring->avail->idx, __ATOMIC_ACQUIRE);
}

static inline bool
tvt_has_avail(const struct tvt_dev *d)
{
	return d->last_avail != tvt_avail_idx(d);
}

/* The next head the driver made available. */
static inline uint16_t
tvt_next_avail(struct tvt_dev *d)
{
	return d->ring->avail->ring[d->last_avail++ & (d->ring->num - 1)];
}

/* One used entry; the driver sees it after tvt_publish. */
static inline void
tvt_put_used(struct tvt_dev *d, uint32_t id, uint32_t len)
{
	struct tv_used_elem *u =
		&d->ring->used->ring[d->used_idx & (d->ring->num - 1)];

	u->id = id;
	u->len = len;
	d->used_idx++;
}

/* Release: the used entries (and buffer contents) before used->idx;
 * pairs with the driver's acquire load of used->idx. */
static inline void
tvt_publish(struct tvt_dev *d)
{
	__atomic_store_n(&d->ring->used->idx, d->used_idx, __ATOMIC_RELEASE);
}

/* The byte at offset i of test packet `pkt`, as the fake back-ends write
 * it and the checks expect it. */
static inline uint8_t
tvt_pattern(unsigned int pkt, unsigned int i)
{
	return (uint8_t)(pkt * 31 + i * 7 + 1);
}

/* Does m (a chain) hold exactly test packet `pkt` of len bytes? */
static inline bool
tvt_mbuf_matches(const struct rte_mbuf *m, unsigned int pkt, unsigned int len)
{
	unsigned int off = 0, i;

	if (m->pkt_len != len)
		return false;
	for (; m != NULL; m = m->next) {
		const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);

		for (i = 0; i < m->data_len; i++)
			if (p[i] != tvt_pattern(pkt, off + i))
				return false;
		off += m->data_len;
	}
	return off == len;
}

/* EAL for a test program that plays the back-end: no hugepages, one
 * lcore, file prefix `name` plus the pid. The datapath's reports of
 * broken back-ends, which these tests provoke, are silenced. Returns 0,
 * or 1 (the test fails) if EAL does not start: without hugepages or
 * devices it needs nothing this machine could lack, so a failure is not
 * a reason to skip. */
static inline int
tvt_eal_init(const char *argv0, const char *name)
{
	char arg0[256], prefix[64];
	char *eal_argv[] = {arg0,	   "--no-huge",	  "-m",	  "256",
			    "--no-pci",	   "--no-shconf", "-l",	  "0",
			    "--log-level", "lib.*:error", prefix, NULL};

	snprintf(arg0, sizeof(arg0), "%s", argv0);
	snprintf(prefix, sizeof(prefix), "--file-prefix=%s%d", name,
		 (int)getpid());
	if (rte_eal_init(11, eal_argv) < 0) {
		fprintf(stderr, "FAIL: EAL does not start (%s)\n",
			rte_strerror(rte_errno));
		return 1;
	}
	rte_log_set_level_pattern("pmd.net.tandem_virtio*", RTE_LOG_CRIT);
	return 0;
}

#endif /* TVT_BACKEND_H */
