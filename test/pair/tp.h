/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * tp.h - shared declarations of tandem_pair, the payload-exact traffic test
 * for a virtio guest port and a vhost host port (Tandem's or stock DPDK's).
 *
 * Files: tp_frame.c (test frame layout, no DPDK), tp_pkt.c (the frame in
 * mbufs: build and verify), tp_port.c (vdevs,
 * ports, mempools, resource snapshots), tp_traffic.c (paced streams, echo),
 * tandem_pair.c (arguments and roles).
 *
 * Threading: everything runs on the main lcore; the only other context is
 * the signal handler, which sets tp_stop_requested.
 */
#ifndef TP_H
#define TP_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "tp_frame.h"

#define TP_MAX_QUEUES 16
#define TP_BURST      32

/* Build one frame into a (possibly chained) mbuf from pool. NULL when the
 * pool is empty. */
struct rte_mbuf *tp_build(struct rte_mempool *pool, const struct tp_sched *s,
			  enum tp_dir dir, uint32_t session, uint16_t queue,
			  uint32_t seq);

/* Check every byte of m. On success fills *hdr. *bad_off gets the first
 * offending offset for TP_BAD_PAYLOAD. */
enum tp_verdict tp_verify(const struct rte_mbuf *m, const struct tp_sched *s,
			  enum tp_dir dir, uint16_t queue, struct tp_hdr *hdr,
			  uint32_t *bad_off);

/* ---- ports (tp_port.c) ---- */

struct tp_port_cfg {
	const char *vdev; /* "name,args" */
	uint16_t queues;
	uint16_t nb_desc;
	bool jumbo; /* MTU 9000, RX scatter, TX multi-seg */
	struct rte_mempool *rx_pool;
};

struct tp_port {
	char name[64];
	uint16_t port_id;
	bool created, started;
};

int tp_port_create(struct tp_port *p, const char *vdev);
int tp_port_setup(struct tp_port *p, const struct tp_port_cfg *cfg);
int tp_port_wait_link(struct tp_port *p, bool up, double timeout_s);
bool tp_port_link_up(const struct tp_port *p);
int tp_port_destroy(struct tp_port *p);

struct rte_mempool *tp_pool_create(const char *name, unsigned int n);
/* 0 when the pool holds all its objects again; else prints and -EBUSY. */
int tp_pool_check_full(const struct rte_mempool *mp);

/* A snapshot of /proc/self/fd: fd numbers and what they point at. */
#define TP_MAX_FDS 256
struct tp_fds {
	unsigned int n;
	int fd[TP_MAX_FDS];
	char target[TP_MAX_FDS][96];
};
int tp_fds_snapshot(struct tp_fds *f);
/* Number of fds in now that were not in before (each printed), plus those
 * that vanished. Up to allow_n new fds whose target starts with allow_kind
 * (e.g. "pipe:") are printed as tolerated and not counted: a driver's
 * known once-per-process fds. */
unsigned int tp_fds_diff(const struct tp_fds *before, const struct tp_fds *now,
			 const char *allow_kind, unsigned int allow_n);

/* ---- traffic (tp_traffic.c) ---- */

extern volatile sig_atomic_t tp_stop_requested;

double tp_now(void);
void tp_idle(unsigned int *empty_polls);

struct tp_stats {
	uint64_t tx, rx, bad, order, stale;
	uint64_t sessions;     /* echo host: guest sessions seen */
	uint64_t echo_dropped; /* echo host: freed because the link went down */
	uint64_t alloc_fail;
};

/* One paced stream tx_port/queue -> rx_port/queue. In echo mode tx_port
 * and rx_port are the guest port and the far side echoes. */
struct tp_stream {
	uint16_t tx_port, rx_port, queue;
	enum tp_dir dir;
	uint32_t session;
	uint32_t count;	   /* frames to send; UINT32_MAX = until stopped */
	uint32_t next_tx;  /* next seq to build */
	uint32_t next_rx;  /* next seq expected */
	uint32_t accepted; /* frames the tx burst took */
	struct rte_mbuf *pend[TP_BURST];
	uint16_t n_pend;
	double last_progress;
};

struct tp_run_cfg {
	const struct tp_sched *sched;
	struct rte_mempool *tx_pool;
	uint32_t window;
	double stall_s;	  /* fail when nothing arrives for this long */
	bool allow_stale; /* frames of another session: count, do not fail */
	bool quiet;
	/* Return -ENOTCONN as soon as the rx port's link goes down (the
	 * peer went away mid-traffic): checked while nothing moves, before
	 * the stall limit. */
	bool until_link_down;
};

/* Run streams until each received its count (0) or a failure/stall
 * (-ETIMEDOUT, -EIO for bad frames, -EINTR on stop). */
int tp_run_streams(struct tp_stream *st, unsigned int n,
		   const struct tp_run_cfg *cfg, struct tp_stats *stats);
/* Free frames built but not yet taken by the tx burst. */
void tp_stream_drop_pending(struct tp_stream *st);
/* Receive and verify-or-count whatever arrives on the rx side of the
 * streams, discarding it (used while waiting for a link change). */
void tp_drain(struct tp_stream *st, unsigned int n,
	      const struct tp_run_cfg *cfg, struct tp_stats *stats);

struct tp_echo_cfg {
	uint16_t port, queues;
	const struct tp_sched *sched;
	uint64_t count; /* stop after echoing this many; 0 = until stopped */
	double max_s;	/* stop after this long; 0 = no limit */
	/* Called when a new guest session starts (may be NULL). */
	void (*on_session)(uint16_t port);
	/* Called from the loop when tp_snap_requested is set (may be NULL);
	 * pending = frames received and not yet echoed. */
	void (*on_snap)(const struct tp_echo_cfg *cfg,
			const struct tp_stats *stats, unsigned int pending);
};

/* Echo server: verify each guest frame, send it back on its queue. Returns
 * 0 when stopped by count/signal/time, -EIO when frames were bad. */
int tp_echo(const struct tp_echo_cfg *cfg, struct tp_stats *stats);

/* ---- resource reports (tp_snap.c) ---- */

/* Set by a signal handler: the echo loop then calls cfg->on_snap. */
extern volatile sig_atomic_t tp_snap_requested;
/* Print one "SNAP n=... link=... fds=... maps=... pool=avail/size ..."
 * line (the first call is the baseline; later calls also print the fds and
 * mappings that differ from it). Control path: reads /proc, allocates. */
void tp_snap_report(uint16_t port, const struct rte_mempool *pool,
		    const struct tp_stats *st, unsigned int pending);
void tp_snap_fini(void);

/* ---- negotiated features (tp_features.c) ---- */

/* Expect feature NAME (mrg_rxbuf, in_order, event_idx, mq, packed,
 * version_1) on (=1) or off (=0). -EINVAL for an unknown name. */
int tp_features_expect(const char *name_eq_value);
/* Compare the port's negotiated features with the expectations: -EPROTO
 * (printed) on a mismatch; 0 when they match or the driver does not
 * expose them (printed, counted in tp_features_hidden). */
int tp_features_check(uint16_t port);
extern unsigned int tp_features_checked, tp_features_bad, tp_features_hidden;

#endif /* TP_H */
