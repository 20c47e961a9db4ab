/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * fuzz_tv_pkt.h - the packets net_tandem_virtio's fuzz targets
 * (fuzz_virtio_used, fuzz_virtio_packed) send and receive: their byte
 * pattern, and a TX packet of every shape the driver treats apart.
 *
 * Threading: single-threaded, as the targets.
 */
#ifndef FUZZ_TV_PKT_H
#define FUZZ_TV_PKT_H

#include <stdint.h>

#include <rte_common.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

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

#endif /* FUZZ_TV_PKT_H */
