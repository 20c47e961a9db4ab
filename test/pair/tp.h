/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * tp.h - shared declarations of tandem_pair, the payload-exact traffic test
 * for a virtio guest port and a vhost host port (Tandem's or stock DPDK's).
 *
 * Files: tp_pkt.c (test frame layout, build and verify), tp_port.c (vdevs,
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

#define TP_MAX_QUEUES 16
#define TP_BURST      32
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

extern const struct rte_ether_addr tp_guest_mac, tp_host_mac;

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
};

/* Echo server: verify each guest frame, send it back on its queue. Returns
 * 0 when stopped by count/signal/time, -EIO when frames were bad. */
int tp_echo(const struct tp_echo_cfg *cfg, struct tp_stats *stats);

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
