/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * tp_traffic.c - paced streams and the echo server.
 *
 * A stream never has more than `window` frames built and not yet received,
 * so no ring or pool overflows and nothing is ever dropped by design; a
 * frame the tx burst did not take stays pending (it never entered a ring, so
 * sending it later is not a retransmission). Nothing is retransmitted: a
 * frame that does not arrive is a failure after `stall_s`.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_ethdev.h>

#include "tp.h"

volatile sig_atomic_t tp_stop_requested;

/* Report only the first few problems of a run: the first one says most. */
#define TP_MAX_REPORTS 8
static unsigned int n_reports;

#define report(...)                                                            \
	do {                                                                   \
		if (n_reports++ < TP_MAX_REPORTS)                              \
			printf(__VA_ARGS__);                                   \
	} while (0)

double
tp_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The machine's cores are shared: back off a little once nothing has moved
 * for a while, instead of spinning flat out like a benchmark would. */
void
tp_idle(unsigned int *empty_polls)
{
	if (++*empty_polls > 2000)
		usleep(50);
}

/* -EIO on a bad frame, 0 otherwise. Frees m. */
static int
stream_rx_one(struct tp_stream *s, struct rte_mbuf *m,
	      const struct tp_run_cfg *cfg, struct tp_stats *stats)
{
	struct tp_hdr h;
	uint32_t bad_off = 0;
	enum tp_verdict v;

	v = tp_verify(m, cfg->sched, s->dir, s->queue, &h, &bad_off);
	if (v != TP_OK) {
		report("queue %u: bad frame (len %u, segs %u, seq %u): %s "
		       "(offset %u)\n",
		       s->queue, m->pkt_len, m->nb_segs,
		       v >= TP_BAD_LEN ? h.seq : 0, tp_verdict_str(v), bad_off);
		rte_pktmbuf_free(m);
		stats->bad++;
		return -EIO;
	}
	rte_pktmbuf_free(m);
	if (h.session != s->session) {
		if (cfg->allow_stale) {
			stats->stale++;
			return 0;
		}
		report("queue %u: frame of session %u in session %u\n",
		       s->queue, h.session, s->session);
		stats->bad++;
		return -EIO;
	}
	if (h.seq != s->next_rx) {
		if (h.seq < s->next_rx)
			report("queue %u: seq %u again or late (expected %u)\n",
			       s->queue, h.seq, s->next_rx);
		else
			report("queue %u: seq %u..%u missing (got %u)\n",
			       s->queue, s->next_rx, h.seq - 1, h.seq);
		stats->order++;
		return -EIO;
	}
	s->next_rx++;
	stats->rx++;
	return 0;
}

/* How many frames a stream may build now. */
static uint32_t
stream_room(const struct tp_stream *s, uint32_t window)
{
	uint32_t in_flight = s->next_tx - s->next_rx;
	uint32_t left = s->count - s->next_tx;
	uint32_t room = window > in_flight ? window - in_flight : 0;

	return RTE_MIN(room, left);
}

/* Returns frames moved (>= 0) or -errno. */
static int
stream_poll(struct tp_stream *s, const struct tp_run_cfg *cfg,
	    struct tp_stats *stats)
{
	struct rte_mbuf *rx[TP_BURST];
	uint16_t nb, i, sent;
	uint32_t room;
	int moved = 0, ret = 0;

	nb = rte_eth_rx_burst(s->rx_port, s->queue, rx, TP_BURST);
	for (i = 0; i < nb; i++) {
		if (ret == 0)
			ret = stream_rx_one(s, rx[i], cfg, stats);
		else
			rte_pktmbuf_free(rx[i]);
	}
	if (ret != 0)
		return ret;
	if (nb > 0)
		s->last_progress = tp_now();
	moved += nb;

	room = stream_room(s, cfg->window);
	while (s->n_pend < TP_BURST && room > 0) {
		struct rte_mbuf *m = tp_build(cfg->tx_pool, cfg->sched, s->dir,
					      s->session, s->queue, s->next_tx);

		if (m == NULL) {
			stats->alloc_fail++;
			break;
		}
		s->pend[s->n_pend++] = m;
		s->next_tx++;
		room--;
	}
	if (s->n_pend > 0) {
		sent = rte_eth_tx_burst(s->tx_port, s->queue, s->pend,
					s->n_pend);
		if (sent > s->n_pend) {
			printf("queue %u: tx burst says it sent %u of %u\n",
			       s->queue, sent, s->n_pend);
			return -EIO;
		}
		s->accepted += sent;
		stats->tx += sent;
		memmove(s->pend, s->pend + sent,
			(s->n_pend - sent) * sizeof(s->pend[0]));
		s->n_pend -= sent;
		moved += sent;
	}
	return moved;
}

void
tp_stream_drop_pending(struct tp_stream *s)
{
	rte_pktmbuf_free_bulk(s->pend, s->n_pend);
	s->n_pend = 0;
}

int
tp_run_streams(struct tp_stream *st, unsigned int n,
	       const struct tp_run_cfg *cfg, struct tp_stats *stats)
{
	unsigned int i, empty = 0;
	double now = tp_now();
	int ret;

	n_reports = 0;
	for (i = 0; i < n; i++)
		st[i].last_progress = now;
	for (;;) {
		bool done = true, moved = false;

		if (tp_stop_requested)
			return -EINTR;
		for (i = 0; i < n; i++) {
			struct tp_stream *s = &st[i];

			ret = stream_poll(s, cfg, stats);
			if (ret < 0)
				return ret;
			moved |= ret > 0;
			if (s->next_rx < s->count)
				done = false;
		}
		if (done)
			return 0;
		if (moved) {
			empty = 0;
			continue;
		}
		tp_idle(&empty);
		/* A peer killed mid-traffic: its link goes down well before
		 * the stall limit. Asked every 256 empty polls only. */
		if (cfg->until_link_down && (empty & 255) == 0) {
			struct rte_eth_link link;

			if (rte_eth_link_get_nowait(st[0].rx_port, &link) ==
				    0 &&
			    link.link_status == RTE_ETH_LINK_DOWN)
				return -ENOTCONN;
		}
		now = tp_now();
		for (i = 0; i < n; i++) {
			struct tp_stream *s = &st[i];

			if (s->next_rx >= s->count ||
			    now - s->last_progress < cfg->stall_s)
				continue;
			printf("queue %u: nothing received for %.1f s: "
			       "received %u of %u, built %u, tx took %u; "
			       "first missing seq %u (%u B)\n",
			       s->queue, cfg->stall_s, s->next_rx, s->count,
			       s->next_tx, s->accepted, s->next_rx,
			       tp_sched_size(cfg->sched, s->next_rx));
			return -ETIMEDOUT;
		}
	}
}

void
tp_drain(struct tp_stream *st, unsigned int n, const struct tp_run_cfg *cfg,
	 struct tp_stats *stats)
{
	struct rte_mbuf *rx[TP_BURST];
	struct tp_hdr h;
	uint32_t bad_off;
	unsigned int i;
	uint16_t nb, k;

	for (i = 0; i < n; i++) {
		nb = rte_eth_rx_burst(st[i].rx_port, st[i].queue, rx, TP_BURST);
		for (k = 0; k < nb; k++) {
			enum tp_verdict v =
				tp_verify(rx[k], cfg->sched, st[i].dir,
					  st[i].queue, &h, &bad_off);
			if (v != TP_OK) {
				report("queue %u: bad frame while draining: "
				       "%s\n",
				       st[i].queue, tp_verdict_str(v));
				stats->bad++;
			} else {
				stats->stale++;
			}
			rte_pktmbuf_free(rx[k]);
		}
	}
}

/* ---- echo server ---- */

#define ECHO_PEND 512

struct echo_queue {
	struct rte_mbuf *pend[ECHO_PEND];
	uint16_t n_pend;
	bool have;
	uint32_t session, next_seq;
};

static struct echo_queue echo_q[TP_MAX_QUEUES];

/* Verify a guest frame; 0 to echo it, -EIO (frame freed) when bad. */
static int
echo_check(const struct tp_echo_cfg *cfg, uint16_t q, struct rte_mbuf *m,
	   struct tp_stats *stats)
{
	struct echo_queue *eq = &echo_q[q];
	struct tp_hdr h;
	uint32_t bad_off = 0;
	enum tp_verdict v;

	v = tp_verify(m, cfg->sched, TP_DIR_G2H, q, &h, &bad_off);
	if (v != TP_OK) {
		report("echo queue %u: bad frame (len %u, segs %u): %s "
		       "(offset %u)\n",
		       q, m->pkt_len, m->nb_segs, tp_verdict_str(v), bad_off);
		stats->bad++;
		rte_pktmbuf_free(m);
		return -EIO;
	}
	/* A new guest (or loop round) starts a new session anywhere; within
	 * a session frames must come in order, without gaps. */
	if (!eq->have || h.session != eq->session) {
		eq->have = true;
		eq->session = h.session;
		stats->sessions++;
		if (q == 0 && cfg->on_session != NULL)
			cfg->on_session(cfg->port);
	} else if (h.seq != eq->next_seq) {
		report("echo queue %u: session %u seq %u, expected %u\n", q,
		       h.session, h.seq, eq->next_seq);
		stats->order++;
	}
	eq->next_seq = h.seq + 1;
	stats->rx++;
	return 0;
}

int
tp_echo(const struct tp_echo_cfg *cfg, struct tp_stats *stats)
{
	struct rte_mbuf *rx[TP_BURST];
	double start = tp_now();
	unsigned int empty = 0;
	uint16_t q, nb, i, sent;
	int ret = 0;

	n_reports = 0;
	memset(echo_q, 0, sizeof(echo_q));
	while (!tp_stop_requested) {
		bool moved = false;

		if (cfg->count != 0 && stats->tx >= cfg->count)
			break;
		if (cfg->max_s > 0 && tp_now() - start > cfg->max_s)
			break;
		if (tp_snap_requested && cfg->on_snap != NULL) {
			unsigned int pending = 0;

			tp_snap_requested = 0;
			for (q = 0; q < cfg->queues; q++)
				pending += echo_q[q].n_pend;
			cfg->on_snap(cfg, stats, pending);
		}
		for (q = 0; q < cfg->queues; q++) {
			struct echo_queue *eq = &echo_q[q];

			if (eq->n_pend <= ECHO_PEND - TP_BURST) {
				nb = rte_eth_rx_burst(cfg->port, q, rx,
						      TP_BURST);
				for (i = 0; i < nb; i++)
					if (echo_check(cfg, q, rx[i], stats) ==
					    0)
						eq->pend[eq->n_pend++] = rx[i];
					else
						ret = -EIO;
				moved |= nb > 0;
			}
			if (eq->n_pend == 0)
				continue;
			sent = rte_eth_tx_burst(cfg->port, q, eq->pend,
						eq->n_pend);
			stats->tx += sent;
			memmove(eq->pend, eq->pend + sent,
				(eq->n_pend - sent) * sizeof(eq->pend[0]));
			eq->n_pend -= sent;
			moved |= sent > 0;
			if (eq->n_pend > 0 && sent == 0) {
				struct rte_eth_link link;

				/* The guest went away with frames in
				 * flight: they have nowhere to go. */
				if (rte_eth_link_get_nowait(cfg->port, &link) ==
					    0 &&
				    link.link_status == RTE_ETH_LINK_DOWN) {
					stats->echo_dropped += eq->n_pend;
					rte_pktmbuf_free_bulk(eq->pend,
							      eq->n_pend);
					eq->n_pend = 0;
				}
			}
		}
		if (moved)
			empty = 0;
		else
			tp_idle(&empty);
	}
	for (q = 0; q < cfg->queues; q++) {
		stats->echo_dropped += echo_q[q].n_pend;
		rte_pktmbuf_free_bulk(echo_q[q].pend, echo_q[q].n_pend);
		echo_q[q].n_pend = 0;
	}
	return ret;
}
