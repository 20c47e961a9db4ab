/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * fuzz_tv.h - what net_tandem_virtio's fuzz targets (fuzz_virtio_used,
 * fuzz_virtio_packed) share: their EAL start and mbuf pool, the byte
 * pattern of their packets, and a TX packet of every shape the driver
 * treats apart.
 *
 * Threading: single-threaded, as the targets.
 */
#ifndef FUZZ_TV_H
#define FUZZ_TV_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_eal.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "fuzz_common.h"
#include "fuzz_eal.h"

/* Start EAL once for target `name` (fuzz_eal_start: file prefix
 * h1-<prefix>-<pid>, the driver's logs quiet unless FUZZ_VERBOSE is set)
 * and make its pool of n mbufs, `pool_name`. Returns whether
 * FUZZ_VERBOSE is set (the target then traces its operations). */
static inline bool
fuzz_tv_setup(const char *name, const char *prefix, const char *pool_name,
	      unsigned int n, struct rte_mempool **pool)
{
	bool verbose = fuzz_eal_start(name, prefix, "pmd.net.tandem_virtio*");

	*pool = rte_pktmbuf_pool_create(
		pool_name, n, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	FUZZ_CHECK(*pool != NULL, "pool");
	return verbose;
}

/* Byte o of packet `tag` is tag + 7 o, across segments: write n bytes
 * from offset off. */
static inline void
fuzz_tv_fill(uint8_t *p, uint32_t n, uint8_t tag, uint32_t off)
{
	for (uint32_t j = 0; j < n; j++)
		p[j] = (uint8_t)(tag + 7u * (off + j));
}

/* Make m, a mbuf fresh from the pool, a TX packet of len bytes and
 * pattern `tag`, shaped by `kind`: 1 + kind % 3 segments of about equal
 * length (more from the pool); no headroom for the virtio-net header if
 * kind & 0x10; shared (a second reference kept in held[], while *n_held <
 * max_held) if kind & 0x20. Returns m, or NULL (m freed) if the pool runs
 * out. */
static inline struct rte_mbuf *
fuzz_tv_tx_packet(struct rte_mempool *pool, struct rte_mbuf *m, uint32_t len,
		  uint8_t kind, uint8_t tag, struct rte_mbuf **held,
		  uint32_t *n_held, uint32_t max_held)
{
	uint32_t nseg = 1 + kind % 3u, per = (len + nseg - 1) / nseg;
	struct rte_mbuf *last = m;
	uint32_t off = 0;

	if (kind & 0x10)
		m->data_off = 0; /* no headroom for the header */
	for (;;) {
		uint32_t k = RTE_MIN(len - off, per);
		struct rte_mbuf *seg;

		k = RTE_MIN(k, (uint32_t)rte_pktmbuf_tailroom(last));
		fuzz_tv_fill(rte_pktmbuf_mtod(last, uint8_t *), k, tag, off);
		last->data_len = (uint16_t)k;
		m->pkt_len += k;
		off += k;
		if (off == len)
			break;
		seg = rte_pktmbuf_alloc(pool);
		if (seg == NULL) {
			rte_pktmbuf_free(m);
			return NULL;
		}
		last->next = seg;
		last = seg;
		m->nb_segs++;
	}
	if ((kind & 0x20) && *n_held < max_held) {
		rte_pktmbuf_refcnt_update(m, 1);
		held[(*n_held)++] = m;
	}
	return m;
}

/* After a TX run (its queue freed): drop the second references
 * fuzz_tv_tx_packet kept, then every one of the pool's n mbufs must be
 * back. */
static inline void
fuzz_tv_release_held(struct rte_mempool *pool, unsigned int n,
		     struct rte_mbuf **held, uint32_t n_held)
{
	for (uint32_t i = 0; i < n_held; i++)
		rte_pktmbuf_free(held[i]);
	FUZZ_CHECK(rte_mempool_avail_count(pool) == n,
		   "after txq free: %u of %u mbufs in the pool",
		   rte_mempool_avail_count(pool), n);
}

#endif /* FUZZ_TV_H */
