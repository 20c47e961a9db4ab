/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * tp_pkt.c - the test frame: Ethernet header (locally administered MACs,
 * ethertype 0x88B5), struct tp_hdr, then a pattern that depends on the
 * sequence number and the offset, so a byte copied from the wrong packet,
 * the wrong offset or a stale buffer is caught.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ether.h>
#include <rte_mbuf.h>

#include "tp.h"

/* 02:... = locally administered, unicast. */
const struct rte_ether_addr tp_guest_mac = {
	.addr_bytes = {0x02, 0x74, 0x6e, 0x00, 0x00, 0x01}};
const struct rte_ether_addr tp_host_mac = {
	.addr_bytes = {0x02, 0x74, 0x6e, 0x00, 0x00, 0x02}};

/* Sizes beyond one 2 KiB buffer, sent only with mergeable RX buffers: the
 * chain boundaries around 2048 and the 9000 B jumbo frame, repeated so that
 * several jumbo frames are in the rings at once. */
static const uint16_t jumbo_sizes[] = {
	1519,	  1600,	    2047,     2048,	2049,	  3000,	    4095,
	4096,	  4097,	    6000,     8192,	TP_JUMBO, TP_JUMBO, TP_JUMBO,
	TP_JUMBO, TP_JUMBO, TP_JUMBO, TP_JUMBO, TP_JUMBO,
};

int
tp_sched_init(struct tp_sched *s, bool jumbo)
{
	uint32_t n_small = TP_MAX_FRAME - TP_MIN_FRAME + 1;
	uint32_t n = n_small + (jumbo ? RTE_DIM(jumbo_sizes) : 0);
	uint32_t i;

	s->sizes = calloc(n, sizeof(*s->sizes));
	if (s->sizes == NULL)
		return -ENOMEM;
	for (i = 0; i < n_small; i++)
		s->sizes[i] = TP_MIN_FRAME + i;
	for (; i < n; i++)
		s->sizes[i] = jumbo_sizes[i - n_small];
	s->n = n;
	return 0;
}

void
tp_sched_free(struct tp_sched *s)
{
	free(s->sizes);
	s->sizes = NULL;
	s->n = 0;
}

static inline uint8_t
pattern_byte(uint32_t seq, uint32_t off)
{
	/* (off >> 8) makes offsets 256 apart differ too. */
	return (uint8_t)(seq * 157u + off * 3u + (off >> 8) + 1u);
}

/* The whole expected frame, linear. */
static void
frame_fill(uint8_t *buf, uint16_t len, enum tp_dir dir, uint32_t session,
	   uint16_t queue, uint32_t seq)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)buf;
	struct tp_hdr h = {
		.magic = TP_MAGIC,
		.session = session,
		.seq = seq,
		.len = len,
		.queue = queue,
		.dir = (uint8_t)dir,
	};
	uint32_t off;

	if (dir == TP_DIR_G2H) {
		rte_ether_addr_copy(&tp_host_mac, &eth->dst_addr);
		rte_ether_addr_copy(&tp_guest_mac, &eth->src_addr);
	} else {
		rte_ether_addr_copy(&tp_guest_mac, &eth->dst_addr);
		rte_ether_addr_copy(&tp_host_mac, &eth->src_addr);
	}
	eth->ether_type = rte_cpu_to_be_16(TP_ETHERTYPE);
	memcpy(buf + TP_HDR_OFF, &h, sizeof(h));
	for (off = TP_DATA_OFF; off < len; off++)
		buf[off] = pattern_byte(seq, off);
}

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

	frame_fill(build_buf, len, dir, session, queue, seq);
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

static const char *const verdict_names[] = {
	[TP_OK] = "ok",
	[TP_BAD_SHORT] = "shorter than the test headers",
	[TP_BAD_SEGS] = "mbuf chain inconsistent (pkt_len/nb_segs vs segments)",
	[TP_BAD_ETH] = "wrong MAC or ethertype",
	[TP_BAD_MAGIC] = "wrong magic",
	[TP_BAD_LEN] = "length differs from what was sent",
	[TP_BAD_QUEUE] = "arrived on another queue than it was sent on",
	[TP_BAD_DIR] = "wrong direction field",
	[TP_BAD_PAYLOAD] = "payload byte differs",
};

const char *
tp_verdict_str(enum tp_verdict v)
{
	if ((unsigned int)v < RTE_DIM(verdict_names))
		return verdict_names[v];
	return "?";
}

enum tp_verdict
tp_verify(const struct rte_mbuf *m, const struct tp_sched *s, enum tp_dir dir,
	  uint16_t queue, struct tp_hdr *hdr, uint32_t *bad_off)
{
	uint8_t head[TP_DATA_OFF];
	const uint8_t *p;
	const struct rte_mbuf *seg;
	uint32_t sum = 0, nsegs = 0, off = 0, i;

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
	memcpy(hdr, p + TP_HDR_OFF, sizeof(*hdr));
	if (hdr->magic != TP_MAGIC)
		return TP_BAD_MAGIC;
	if (hdr->len != m->pkt_len || hdr->len != tp_sched_size(s, hdr->seq))
		return TP_BAD_LEN;
	if (hdr->queue != queue)
		return TP_BAD_QUEUE;
	if (hdr->dir != (uint8_t)dir)
		return TP_BAD_DIR;
	frame_fill(verify_buf, hdr->len, dir, hdr->session, hdr->queue,
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
