/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * test_vhost_cve.h - the harness shared by the CVE and attack-class tests
 * (test_vhost_cve_msg.c: vhost-user messages; test_vhost_cve_ring.c:
 * descriptors and rings). See doc/security.md for the table of cases.
 *
 * Each case is a named function run by cve_run():
 *  - a fresh device (its own socket, so its counters start at 0 and its
 *    rate limiters have not fired yet) and a mock front-end set up with
 *    two rings that passes a payload-checked round in both directions;
 *  - a snapshot of the process's open fds, /proc/self/maps lines and the
 *    mempool's free mbufs;
 *  - the case: the bad input through the real socket or a ring, the
 *    back-end's reaction (counters, reply, disconnect, queue stopped,
 *    log line), and a well-behaved front-end served again (the same
 *    connection or a new one: cve.g) with bytes compared both ways;
 *  - the snapshot again: equal, or the case fails; then the device is
 *    destroyed and the snapshot taken before it was created must hold
 *    too.
 * A failed check prints "FAIL <case>: <file>:<line>: ..." and the next
 * case runs on a new device; the program exits 1 if any case failed.
 * Everything the library logs is captured (and echoed as "  log: ...")
 * so a case can assert the text a user would read.
 */
#ifndef TEST_VHOST_CVE_H
#define TEST_VHOST_CVE_H

#include <setjmp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_mbuf.h>

#include "mock_guest.h"

#define CVE_RING   256u
#define CVE_POOL_N 1023u
#define CVE_HDR	   12u /* VERSION_1 / MRG_RXBUF header */

/* What every case starts from (unless it asks for other features). */
#define CVE_FEAT                                                               \
	(TV_BIT(TV_F_VERSION_1) | TV_BIT(TV_F_VHOST_USER_PROTOCOL_FEATURES) |  \
	 TV_BIT(TV_F_RING_INDIRECT_DESC) | TV_BIT(TV_NET_F_MRG_RXBUF))

struct cve_env {
	struct rte_mempool *mp;
	struct tvh_dev *dev; /* the case's device */
	char path[108];	     /* its socket */
	uint64_t feat;	     /* features the mock negotiates */
	uint64_t pfeat;	     /* protocol features it asks for */
	struct mg g;	     /* the mock front-end */
	const char *name;    /* running case */
	long log_mark;	     /* log bytes before the case */
};

extern struct cve_env cve;

/* Fail the running case (never returns). */
void cve_fail(const char *file, int line, const char *cond, const char *fmt,
	      ...) __attribute__((noreturn, format(printf, 4, 5)));

#define CASE_CHECK(cond, ...)                                                  \
	do {                                                                   \
		if (!(cond))                                                   \
			cve_fail(__FILE__, __LINE__, #cond, __VA_ARGS__);      \
	} while (0)

/* EAL, mempool, log capture, a device kept for the whole run (so the
 * library's control thread lives throughout), and one unchecked warm-up
 * case. */
void cve_init(const char *prog, const char *prefix);
/* Clean up; returns the exit status (1 if a case failed). */
int cve_fini(void);

typedef void (*cve_fn)(void);
/* Run a case with CVE_FEAT and the default protocol features... */
void cve_run(const char *name, cve_fn fn);
/* ...or with others (pfeat: asked for, the back-end's offer masks it). */
void cve_run_feat(const char *name, cve_fn fn, uint64_t feat, uint64_t pfeat);

/* ---- Front-end helpers (on cve.g) ---- */

/* The front-end hangs up; wait until the back-end noticed (bounded). */
void cve_hangup(void);
/* A new connection, negotiated and set up with rings 0 and 1
 * (cve.feat / cve.pfeat), after waiting for the old one to be gone. */
void cve_reconnect(void);
/* A payload-checked packet each way on rings 1 (TX) and 0 (RX). Used
 * entries of earlier bad chains (length 0) are skipped. */
void cve_good_round(const char *when);
/* Stop ring vq (GET_VRING_BASE), take back what the back-end returned
 * and set it up again from the base: how a front-end recovers a ring
 * the back-end stopped. */
void cve_restart(uint32_t vq);
/* A well-behaved packet on the ring is NOT served (the ring is stopped:
 * broken, or never started), and no error counter moves. */
void cve_expect_stopped(uint32_t vq, const char *when);

/* One burst on ring vq over what the front-end published: TX returns
 * how many packets were dequeued (freed here), RX how many of n 100-byte
 * packets were taken. */
uint16_t cve_burst(uint32_t vq, uint16_t n);
/* The bad input is published on ring vq: a burst takes `good` packets
 * before it (and no more), the error is counted once in the counter at
 * offset `cnt` of struct tvh_vq_stats (and in no other), the log has
 * `log_text` (unless NULL), the ring is stopped; then the front-end
 * restarts it (cve_restart). */
void cve_expect_error(uint32_t vq, size_t cnt, uint16_t good,
		      const char *log_text, const char *what);

/* Send with NEED_REPLY and return the status of the REPLY_ACK answer. */
uint64_t cve_send_ack(struct tvu_msg *m);
/* Send without reply, then a GET_FEATURES round trip: the message was
 * handled when this returns (the stream must still be in step). */
void cve_send_sync(struct tvu_msg *m);
/* The back-end closes the connection within timeout_ms (EOF). */
bool cve_peer_closed(int sock, int timeout_ms);
/* Nothing arrives on sock within timeout_ms. */
bool cve_nothing_to_read(int sock, int timeout_ms);
/* Write a raw header (any size field) and payload with n_fds fds (up to
 * 16, beyond what tvu_send allows). Returns 0 or -errno. */
int cve_send_raw(int sock, uint32_t request, uint32_t flags, uint32_t size,
		 const void *payload, uint32_t payload_len, const int *fds,
		 uint32_t n_fds);

/* ---- Counters, logs, resources ---- */

struct tvh_dev_stats cve_dev_stats(void);
struct tvh_vq_stats cve_vq_stats(uint16_t vq);
/* The counter at offset `off` of struct tvh_vq_stats. */
uint64_t cve_vq_cnt(uint16_t vq, size_t off);
/* Sum of a ring's err_* counters. */
uint64_t cve_vq_errors(uint16_t vq);
/* The library logged a line containing `text` during this case. */
bool cve_logged(const char *text);
/* Guest memory of `len` bytes filled with `fill`, outside the heap that
 * cve_good_round recycles (from the top of region 1 downwards; reset per
 * case). */
uint8_t *cve_scratch(size_t len, uint8_t fill);
/* A memfd of `size` bytes (the caller closes it). */
int cve_memfd(const char *name, size_t size);
/* Does /proc/self/maps mention `name` (e.g. a memfd's name)? */
bool cve_maps_mention(const char *name);

#endif /* TEST_VHOST_CVE_H */
