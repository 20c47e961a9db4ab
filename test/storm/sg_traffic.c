/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * sg_traffic.c - storm_guest's streams: test frames out on each queue
 * pair's TX ring, their echoes back on its RX ring, every byte checked,
 * and everything the host returns validated (ids, lengths, indexes), so
 * that a host bug under a storm shows up as a named failure.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sg.h"

#define SG_BURST 32
#define SG_MASK	 (SG_RING_NUM - 1)

double
sg_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void
sg_stream_new(struct sg *g, uint16_t q)
{
	struct sg_stream *st = &g->st[q];

	st->session = g->next_session++;
	st->next_tx = 0;
	st->next_rx = 0;
}

static void
rx_frame(struct sg *g, uint16_t q, const uint8_t *buf, uint32_t len)
{
	struct sg_stream *st = &g->st[q];
	struct tp_hdr h;
	uint32_t bad_off = 0;
	enum tp_verdict v;

	/* The host writes flags and gso_type 0: it offers no offloads. */
	if (buf[0] != 0 || buf[1] != 0) {
		SG_FAIL(g, "queue %u: virtio-net header flags 0x%x gso 0x%x\n",
			q, buf[0], buf[1]);
		return;
	}
	v = tp_frame_check(buf + SG_HDR_LEN, len - SG_HDR_LEN, &g->sched,
			   TP_DIR_G2H, q, &h, &bad_off);
	if (v != TP_OK) {
		SG_FAIL(g, "queue %u: echoed frame of %u B: %s (offset %u)\n",
			q, len - SG_HDR_LEN, tp_verdict_str(v), bad_off);
		return;
	}
	if (h.session != st->session) {
		st->stale++;
		return;
	}
	if (h.seq != st->next_rx)
		SG_FAIL(g, "queue %u session %u: got seq %u, expected %u\n", q,
			h.session, h.seq, st->next_rx);
	st->next_rx = h.seq + 1;
	st->rx++;
}

/* Used entries the host published since we last looked, or -1 when the
 * host's index is not believable. */
static int
used_new(struct sg *g, struct sg_vq *vq, uint32_t i, uint16_t *used_idx)
{
	uint16_t n;

	/* Acquire: the used entries and the bytes written into RX buffers
	 * are read after the index (pairs with the host's release store of
	 * used->idx). */
	*used_idx = __atomic_load_n(&vq->ring.used->idx, __ATOMIC_ACQUIRE);
	n = (uint16_t)(*used_idx - vq->used_seen);
	if (n > SG_RING_NUM) {
		SG_FAIL(g, "vq %u: host's used index %u is %u past ours %u\n",
			i, *used_idx, n, vq->used_seen);
		return -1;
	}
	return n;
}

/* Publish avail entries written so far. */
static void
avail_publish(struct sg_vq *vq)
{
	/* Release: descriptors, buffers and avail entries before the index
	 * (pairs with the host's acquire load of avail->idx). */
	__atomic_store_n(&vq->ring.avail->idx, vq->avail_idx, __ATOMIC_RELEASE);
}

static unsigned int
rx_poll(struct sg *g, uint16_t q)
{
	uint32_t i = tv_net_rxq_to_vq(q);
	struct sg_vq *vq = &g->vq[i];
	uint16_t used_idx;
	unsigned int moved = 0;

	if (used_new(g, vq, i, &used_idx) <= 0)
		return 0;
	while (vq->used_seen != used_idx) {
		/* One copy of the entry: the host may rewrite it. */
		struct tv_used_elem e =
			vq->ring.used->ring[vq->used_seen & SG_MASK];

		vq->used_seen++;
		if (e.id >= SG_RING_NUM || !vq->busy[e.id]) {
			SG_FAIL(g, "vq %u: host used id %u, not ours\n", i,
				e.id);
			continue;
		}
		vq->busy[e.id] = false;
		if (e.len < SG_HDR_LEN + TP_MIN_FRAME || e.len > SG_BUF_SIZE)
			SG_FAIL(g, "vq %u: host wrote %u B into buffer %u\n", i,
				e.len, e.id);
		else
			rx_frame(g, q, vq->bufs + (size_t)e.id * SG_BUF_SIZE,
				 e.len);
		/* The buffer goes back as it was (address, length, WRITE). */
		vq->ring.avail->ring[vq->avail_idx++ & SG_MASK] =
			(uint16_t)e.id;
		vq->busy[e.id] = true;
		moved++;
	}
	avail_publish(vq);
	return moved;
}

static unsigned int
tx_reap(struct sg *g, uint16_t q)
{
	uint32_t i = tv_net_txq_to_vq(q);
	struct sg_vq *vq = &g->vq[i];
	uint16_t used_idx;
	unsigned int moved = 0;

	if (used_new(g, vq, i, &used_idx) <= 0)
		return 0;
	while (vq->used_seen != used_idx) {
		struct tv_used_elem e =
			vq->ring.used->ring[vq->used_seen & SG_MASK];

		vq->used_seen++;
		if (e.id >= SG_RING_NUM || !vq->busy[e.id]) {
			SG_FAIL(g, "vq %u: host returned id %u, not in use\n",
				i, e.id);
			continue;
		}
		vq->busy[e.id] = false;
		vq->free_ids[vq->n_free++] = (uint16_t)e.id;
		moved++;
	}
	return moved;
}

static void
kick(struct sg_vq *vq)
{
	static const uint64_t one = 1;
	ssize_t w;

	/* Full barrier: our avail->idx store must be visible before we read
	 * the host's NO_NOTIFY flag, or a host going to sleep between the two
	 * misses the kick (pairs with the host's barrier between clearing
	 * NO_NOTIFY and re-reading avail->idx). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (vq->ring.used->flags & TV_USED_F_NO_NOTIFY)
		return;
	w = write(vq->kick_fd, &one, sizeof(one));
	(void)w;
}

static unsigned int
tx_send(struct sg *g, uint16_t q)
{
	uint32_t i = tv_net_txq_to_vq(q);
	struct sg_vq *vq = &g->vq[i];
	struct sg_stream *st = &g->st[q];
	uint32_t in_flight = st->next_tx - st->next_rx, n, k;

	if (g->tx_paused || in_flight >= g->window)
		return 0;
	n = g->window - in_flight;
	if (n > vq->n_free)
		n = vq->n_free;
	if (n > SG_BURST)
		n = SG_BURST;
	for (k = 0; k < n; k++) {
		uint16_t id = vq->free_ids[--vq->n_free];
		uint8_t *buf = vq->bufs + (size_t)id * SG_BUF_SIZE;
		uint16_t len = tp_sched_size(&g->sched, st->next_tx);

		memset(buf, 0, SG_HDR_LEN);
		tp_frame_fill(buf + SG_HDR_LEN, len, TP_DIR_G2H, st->session, q,
			      st->next_tx);
		vq->ring.desc[id] = (struct tv_desc){
			.addr = sg_gpa(g, buf),
			.len = SG_HDR_LEN + len,
		};
		vq->ring.avail->ring[vq->avail_idx++ & SG_MASK] = id;
		vq->busy[id] = true;
		st->next_tx++;
		st->tx++;
	}
	if (n > 0) {
		avail_publish(vq);
		kick(vq);
	}
	return n;
}

unsigned int
sg_poll(struct sg *g, uint16_t q)
{
	return rx_poll(g, q) + tx_reap(g, q) + tx_send(g, q);
}

static bool
queue_done(const struct sg *g, uint16_t q, uint32_t start, uint32_t n,
	   bool drain)
{
	const struct sg_stream *st = &g->st[q];

	if (!drain)
		return st->next_rx - start >= n;
	return st->next_rx == st->next_tx &&
	       g->vq[tv_net_txq_to_vq(q)].n_free == SG_RING_NUM;
}

static int
poll_until(struct sg *g, uint32_t n, bool drain, double stall_s)
{
	double now = sg_now(), last[SG_MAX_QP];
	unsigned int empty = 0;
	uint64_t bad0 = g->bad;
	uint32_t start[SG_MAX_QP];
	uint16_t q;

	for (q = 0; q < g->n_qp; q++) {
		start[q] = g->st[q].next_rx;
		last[q] = now;
	}
	for (;;) {
		unsigned int moved = 0, m;
		bool done = true;

		now = sg_now();
		for (q = 0; q < g->n_qp; q++) {
			m = sg_poll(g, q);
			moved += m;
			if (m > 0)
				last[q] = now;
			if (queue_done(g, q, start[q], n, drain))
				continue;
			done = false;
			/* Each queue on its own: a busy queue must not hide
			 * a stuck one. */
			if (now - last[q] > stall_s) {
				struct sg_stream *st = &g->st[q];

				printf("queue %u session %u: nothing moved "
				       "for %.1f s: sent %u, echoed %u, TX "
				       "descriptors out %u\n",
				       q, st->session, stall_s, st->next_tx,
				       st->next_rx,
				       SG_RING_NUM - g->vq[tv_net_txq_to_vq(q)]
							     .n_free);
				return -ETIMEDOUT;
			}
		}
		if (g->bad != bad0)
			return -EIO;
		if (done)
			return 0;
		if (moved > 0) {
			empty = 0;
			continue;
		}
		/* The cores are shared with the host: back off when idle. */
		if (++empty > 1000)
			usleep(50);
	}
}

int
sg_run(struct sg *g, uint32_t n, double stall_s)
{
	return poll_until(g, n, false, stall_s);
}

int
sg_drain(struct sg *g, double stall_s)
{
	int ret;

	g->tx_paused = true;
	ret = poll_until(g, 0, true, stall_s);
	g->tx_paused = false;
	return ret;
}
