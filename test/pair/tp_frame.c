/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * tp_frame.c - build and check the test frame on plain memory (see
 * tp_frame.h); no DPDK, so guests that are not DPDK programs use it too.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tp_frame.h"

#define DIM(a) (sizeof(a) / sizeof((a)[0]))

/* 02:... = locally administered, unicast. */
const uint8_t tp_guest_mac[6] = {0x02, 0x74, 0x6e, 0x00, 0x00, 0x01};
const uint8_t tp_host_mac[6] = {0x02, 0x74, 0x6e, 0x00, 0x00, 0x02};

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
	uint32_t n = n_small + (jumbo ? DIM(jumbo_sizes) : 0);
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

void
tp_frame_fill(uint8_t *buf, uint16_t len, enum tp_dir dir, uint32_t session,
	      uint16_t queue, uint32_t seq)
{
	struct tp_hdr h = {
		.magic = TP_MAGIC,
		.session = session,
		.seq = seq,
		.len = len,
		.queue = queue,
		.dir = (uint8_t)dir,
	};
	uint32_t off;

	memcpy(buf, dir == TP_DIR_G2H ? tp_host_mac : tp_guest_mac, 6);
	memcpy(buf + 6, dir == TP_DIR_G2H ? tp_guest_mac : tp_host_mac, 6);
	/* network byte order */
	buf[12] = TP_ETHERTYPE >> 8;
	buf[13] = TP_ETHERTYPE & 0xff;
	memcpy(buf + TP_HDR_OFF, &h, sizeof(h));
	for (off = TP_DATA_OFF; off < len; off++)
		buf[off] = pattern_byte(seq, off);
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
	if ((unsigned int)v < DIM(verdict_names))
		return verdict_names[v];
	return "?";
}

enum tp_verdict
tp_frame_check_hdr(const uint8_t *head, uint32_t len, const struct tp_sched *s,
		   enum tp_dir dir, uint16_t queue, struct tp_hdr *hdr)
{
	if (len < TP_DATA_OFF)
		return TP_BAD_SHORT;
	memcpy(hdr, head + TP_HDR_OFF, sizeof(*hdr));
	if (hdr->magic != TP_MAGIC)
		return TP_BAD_MAGIC;
	if (hdr->len != len || hdr->len != tp_sched_size(s, hdr->seq))
		return TP_BAD_LEN;
	if (hdr->queue != queue)
		return TP_BAD_QUEUE;
	if (hdr->dir != (uint8_t)dir)
		return TP_BAD_DIR;
	return TP_OK;
}

/* One scratch frame: no allocation per frame (single-threaded users). */
static uint8_t check_buf[TP_JUMBO];

enum tp_verdict
tp_frame_check(const uint8_t *buf, uint32_t len, const struct tp_sched *s,
	       enum tp_dir dir, uint16_t queue, struct tp_hdr *hdr,
	       uint32_t *bad_off)
{
	enum tp_verdict v = tp_frame_check_hdr(buf, len, s, dir, queue, hdr);
	uint32_t i;

	if (v != TP_OK)
		return v;
	tp_frame_fill(check_buf, hdr->len, dir, hdr->session, hdr->queue,
		      hdr->seq);
	if (memcmp(buf, check_buf, len) == 0)
		return TP_OK;
	for (i = 0; i < len && buf[i] == check_buf[i]; i++)
		;
	*bad_off = i;
	return i < TP_HDR_OFF ? TP_BAD_ETH : TP_BAD_PAYLOAD;
}
