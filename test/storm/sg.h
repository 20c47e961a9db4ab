/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * sg.h - storm_guest: a small vhost-user front-end (no EAL) that drives a
 * net_tandem_vhost echo host (tandem_pair --role host) through fault
 * storms: abrupt disconnects in the middle of bursts, SET_MEM_TABLE
 * repeated under traffic, SET_VRING_ENABLE 0/1 under traffic.
 *
 * Guest memory is one memfd (plus a small second memfd that some memory
 * tables add as an extra region), shared with the host; descriptors carry
 * guest-physical addresses from SG_GPA_BASE, ring addresses are this
 * process's virtual addresses (as with QEMU). Frames are tandem_pair's
 * test frames (test/pair/tp_frame.h), so the echo host verifies every byte
 * and the guest verifies every echoed byte again.
 *
 * Files: sg_dev.c (memory, connection, negotiation, rings, memory tables,
 * enable), sg_traffic.c (per queue pair streams), storm_guest.c (modes).
 *
 * Threading: one thread.
 */
#ifndef SG_H
#define SG_H

#include <stdbool.h>
#include <stdint.h>

#include "tp_frame.h"
#include "tv_vring.h"
#include "tvu.h"

#define SG_MAX_QP     2
#define SG_RING_NUM   256u
#define SG_BUF_SIZE   2048u
#define SG_RING_AREA  (16u << 10)
#define SG_BUF_OFF    (1u << 20)
#define SG_MEM_SIZE   (4u << 20)
#define SG_EXTRA_SIZE (1u << 20)
#define SG_GPA_BASE   0x100000000ull
/* The extra region lives far above the main one in guest-physical space. */
#define SG_EXTRA_GPA (SG_GPA_BASE + (64ull << 20))
/* virtio-net header with VERSION_1 (num_buffers included). */
#define SG_HDR_LEN 12u

/* Memory table layouts sg_send_mem_table can send: the same guest memory
 * described differently (a front-end may re-send its table at any time;
 * addresses in flight must stay valid). */
enum sg_mem_layout {
	SG_MEM_ONE,   /* one region */
	SG_MEM_SPLIT, /* three regions, cut inside RX and TX buffers */
	SG_MEM_EXTRA, /* one region plus an unused extra memfd */
	SG_MEM_LAYOUTS
};

struct sg_vq {
	struct tv_split ring;
	uint8_t *bufs; /* SG_RING_NUM buffers of SG_BUF_SIZE, buffer i <-> desc
			  i */
	uint16_t avail_idx; /* shadow of avail->idx */
	uint16_t used_seen; /* used entries consumed */
	/* TX: free descriptor ids, and which ids the host holds */
	uint16_t free_ids[SG_RING_NUM];
	uint16_t n_free;
	bool busy[SG_RING_NUM];
	int kick_fd, call_fd;
};

/* One queue pair's stream: frames sent on TX vq 2q+1, echoed to RX 2q. */
struct sg_stream {
	uint32_t session;
	uint32_t next_tx, next_rx;
	/* Over all sessions. stale: echoes of an earlier session (frames a
	 * host still held when a connection or ring went away), verified
	 * byte by byte but not counted as received. */
	uint64_t tx, rx, stale;
};

struct sg {
	const char *path;
	int sock;
	int memfd, extra_fd;
	uint8_t *mem, *extra;
	uint64_t features, pfeatures;
	uint16_t n_qp;
	uint32_t window; /* frames in flight per queue pair */
	struct sg_vq vq[2 * SG_MAX_QP];
	struct sg_stream st[SG_MAX_QP];
	struct tp_sched sched;
	uint32_t next_session;
	bool tx_paused; /* sg_poll sends nothing new */
	/* failures (each reported on stdout) */
	uint64_t bad;
	uint64_t retries; /* connections the host refused (still busy) */
	unsigned int n_reports;
};

/* Report a failure (the first 20 are printed) and count it. */
#define SG_FAIL(g, ...)                                                        \
	do {                                                                   \
		if ((g)->n_reports++ < 20)                                     \
			printf("FAIL: " __VA_ARGS__);                          \
		(g)->bad++;                                                    \
	} while (0)

/* ---- sg_dev.c ---- */
int sg_init(struct sg *g, const char *path, uint16_t n_qp, uint32_t window);
void sg_fini(struct sg *g);
/* Connect (retrying while the host is not listening or still busy with
 * the previous connection) and set everything up: features, memory
 * table, every ring, enabled. Resets rings and streams. -errno on
 * failure. With stop_after_mem, returns after SET_MEM_TABLE (1). */
int sg_connect(struct sg *g, bool stop_after_mem);
/* Close the socket as a crashing guest would: no GET_VRING_BASE. */
void sg_close(struct sg *g);
int sg_send_mem_table(struct sg *g, enum sg_mem_layout layout);
int sg_vring_enable(struct sg *g, uint32_t vq, bool on);
/* Write the first `n` bytes of a message header and close. */
void sg_close_mid_message(struct sg *g, unsigned int n);
uint64_t sg_gpa(const struct sg *g, const void *p);

/* ---- sg_traffic.c ---- */
/* Start a new session on queue pair q. Within a session every frame must
 * come back, in order; frames of earlier sessions are "stale". */
void sg_stream_new(struct sg *g, uint16_t q);
/* One poll of queue pair q: receive and verify echoes, refill RX, reap TX
 * completions, send up to the window. Returns frames moved. */
unsigned int sg_poll(struct sg *g, uint16_t q);
/* Poll every queue pair until each has received `n` more frames of its
 * current session (0), a failure (-EIO) or nothing moves for stall_s
 * (-ETIMEDOUT). */
int sg_run(struct sg *g, uint32_t n, double stall_s);
/* Stop sending, poll until the host has returned every TX descriptor and
 * every frame of the current sessions came back (then 0), or -ETIMEDOUT
 * after stall_s without progress, -EIO on a failure. Sending resumes. */
int sg_drain(struct sg *g, double stall_s);
double sg_now(void);

#endif /* SG_H */
