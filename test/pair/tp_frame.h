/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * tp_frame.h - the test frame of tandem_pair and the storm guest, without
 * DPDK: Ethernet header (locally administered MACs, ethertype 0x88B5),
 * struct tp_hdr, then a pattern that depends on the sequence number and the
 * offset, so a byte copied from the wrong packet, the wrong offset or a
 * stale buffer is caught. Used on mbufs by tp_pkt.c and on raw guest
 * buffers by test/storm.
 *
 * Threading: tp_frame_check uses one static scratch frame: one thread.
 */
#ifndef TP_FRAME_H
#define TP_FRAME_H

#include <stdbool.h>
#include <stdint.h>

/* Ethertype IEEE 802 "local experimental 1": never a real protocol. */
#define TP_ETHERTYPE 0x88B5
#define TP_MAGIC     0x4d444e54u /* "TNDM" little-endian */
#define TP_MIN_FRAME 60
#define TP_MAX_FRAME 1518
#define TP_JUMBO     9000

/* Who sent a test frame; the echo host sends guest frames back unchanged. */
enum tp_dir {
	TP_DIR_G2H = 1,
	TP_DIR_H2G = 2,
};

/* The test header right after the Ethernet header (host byte order: both
 * ends run on the same machine). */
struct tp_hdr {
	uint32_t magic;
	uint32_t session; /* one per guest run / loop round */
	uint32_t seq;	  /* per (session, queue, direction) */
	uint16_t len;	  /* the whole frame, Ethernet header included */
	uint16_t queue;	  /* the queue pair it was sent on */
	uint8_t dir;	  /* enum tp_dir */
	uint8_t pad[3];
} __attribute__((packed));

#define TP_HDR_OFF  14u
#define TP_DATA_OFF (TP_HDR_OFF + (unsigned int)sizeof(struct tp_hdr))

/* Frame sizes: seq maps to schedule[seq % n]. */
struct tp_sched {
	uint16_t *sizes;
	uint32_t n;
};

int tp_sched_init(struct tp_sched *s, bool jumbo);
void tp_sched_free(struct tp_sched *s);
static inline uint16_t
tp_sched_size(const struct tp_sched *s, uint32_t seq)
{
	return s->sizes[seq % s->n];
}

/* What a receiver found wrong with a frame (0 = nothing). */
enum tp_verdict {
	TP_OK = 0,
	TP_BAD_SHORT, /* too short to hold the headers */
	TP_BAD_SEGS,  /* pkt_len != sum of data_len, or nb_segs wrong */
	TP_BAD_ETH,   /* MACs or ethertype */
	TP_BAD_MAGIC,
	TP_BAD_LEN,   /* length field, schedule or mbuf length disagree */
	TP_BAD_QUEUE, /* arrived on another queue than it was sent on */
	TP_BAD_DIR,
	TP_BAD_PAYLOAD, /* a pattern byte differs */
};

const char *tp_verdict_str(enum tp_verdict v);

extern const uint8_t tp_guest_mac[6], tp_host_mac[6];

/* The whole frame, linear, into buf[0..len). */
void tp_frame_fill(uint8_t *buf, uint16_t len, enum tp_dir dir,
		   uint32_t session, uint16_t queue, uint32_t seq);

/* Check the test header of a frame of len bytes whose first TP_DATA_OFF
 * bytes are at head (magic, length against len and the schedule, queue,
 * direction); fills *hdr. Then the caller compares the bytes with
 * tp_frame_fill's. */
enum tp_verdict tp_frame_check_hdr(const uint8_t *head, uint32_t len,
				   const struct tp_sched *s, enum tp_dir dir,
				   uint16_t queue, struct tp_hdr *hdr);

/* Check every byte of a linear frame buf[0..len). *bad_off gets the first
 * offending offset for TP_BAD_PAYLOAD / TP_BAD_ETH. */
enum tp_verdict tp_frame_check(const uint8_t *buf, uint32_t len,
			       const struct tp_sched *s, enum tp_dir dir,
			       uint16_t queue, struct tp_hdr *hdr,
			       uint32_t *bad_off);

#endif /* TP_FRAME_H */
