/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * tp_pkt.c - the test frame (tp_frame.h) in mbufs: built into a chain whose
 * segment boundaries vary, verified segment by segment.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ether.h>
#include <rte_mbuf.h>

#include "tp.h"

/* Not per-packet allocations: one frame buffer each for build and verify
 * (the test is single-threaded). */
static uint8_t build_buf[TP_JUMBO];
static uint8_t verify_buf[TP_JUMBO];

struct rte_mbuf *
tp_build(struct rte_mempool *pool, const struct tp_sched *s, enum tp_dir dir,
	 uint32_t session, uint16_t queue, uint32_t seq)
{
	uint16_t len = tp_sched_size(s, seq);
	struct rte_mbuf *head, *seg, *prev;
	uint32_t done = 0, chunk;

	tp_frame_fill(build_buf, len, dir, session, queue, seq);
	head = rte_pktmbuf_alloc(pool);
	if (head == NULL)
		return NULL;
	/* Frames up to 1518 B in one segment (the common case a PMD must do
	 * fast); longer ones in a chain whose first segment length varies with
	 * seq, so segment boundaries fall at many offsets. */
	if (len <= TP_MAX_FRAME)
		chunk = len;
	else
		chunk = RTE_MIN((uint32_t)len, 512u + (seq * 97u) % 1536u);
	seg = head;
	prev = NULL;
	for (;;) {
		chunk = RTE_MIN(chunk, (uint32_t)rte_pktmbuf_tailroom(seg));
		memcpy(rte_pktmbuf_mtod(seg, uint8_t *), build_buf + done,
		       chunk);
		seg->data_len = (uint16_t)chunk;
		done += chunk;
		if (prev != NULL) {
			prev->next = seg;
			head->nb_segs++;
		}
		if (done == len)
			break;
		prev = seg;
		seg = rte_pktmbuf_alloc(pool);
		if (seg == NULL) {
			rte_pktmbuf_free(head);
			return NULL;
		}
		chunk = len - done;
	}
	head->pkt_len = len;
	return head;
}

enum tp_verdict
tp_verify(const struct rte_mbuf *m, const struct tp_sched *s, enum tp_dir dir,
	  uint16_t queue, struct tp_hdr *hdr, uint32_t *bad_off)
{
	uint8_t head[TP_DATA_OFF];
	const uint8_t *p;
	const struct rte_mbuf *seg;
	uint32_t sum = 0, nsegs = 0, off = 0, i;
	enum tp_verdict v;

	for (seg = m; seg != NULL; seg = seg->next) {
		sum += seg->data_len;
		/* a looping chain must not hang the test */
		if (++nsegs > 512)
			return TP_BAD_SEGS;
	}
	if (sum != m->pkt_len || nsegs != m->nb_segs)
		return TP_BAD_SEGS;
	if (m->pkt_len < TP_DATA_OFF)
		return TP_BAD_SHORT;
	p = rte_pktmbuf_read(m, 0, sizeof(head), head);
	if (p == NULL)
		return TP_BAD_SHORT;
	v = tp_frame_check_hdr(p, m->pkt_len, s, dir, queue, hdr);
	if (v != TP_OK)
		return v;
	tp_frame_fill(verify_buf, hdr->len, dir, hdr->session, hdr->queue,
		      hdr->seq);
	if (memcmp(p, verify_buf, TP_HDR_OFF) != 0)
		return TP_BAD_ETH;
	for (seg = m; seg != NULL; seg = seg->next) {
		p = rte_pktmbuf_mtod(seg, const uint8_t *);
		if (memcmp(p, verify_buf + off, seg->data_len) != 0) {
			for (i = 0; i < seg->data_len; i++)
				if (p[i] != verify_buf[off + i])
					break;
			*bad_off = off + i;
			return TP_BAD_PAYLOAD;
		}
		off += seg->data_len;
	}
	return TP_OK;
}
