/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * Virtqueue life cycle on the control side: translating the ring once when
 * it starts, stopping it safely while a datapath thread may be inside a
 * burst, and the datapath's two slow helpers (error accounting and
 * notifications).
 *
 * Stopping a queue without costing the datapath an atomic read-modify-write
 * (the asymmetric barrier):
 *
 *   datapath (tvh_burst_enter/leave)      control (tvh_vqs_quiesce)
 *   in_burst = 1          (A)             ready = 0              (C)
 *   compiler barrier                      membarrier()           (D)
 *   r = ready             (B)             while (in_burst) pause (E)
 *   ... burst if r ...
 *   in_burst = 0 (release)
 *
 * membarrier(PRIVATE_EXPEDITED) makes every running thread of the process
 * execute a full memory barrier before it returns. If the datapath thread
 * was past (A) when (D) ran, (A) is globally visible afterwards and (E)
 * waits for the burst to end; otherwise (B) executes after (D), i.e. after
 * the store (C) became visible, and the burst sees ready == 0 and leaves
 * without touching the ring. Either way, once (E) is done no burst uses
 * the old ring pointers or memory table. The datapath pays a plain store,
 * a compiler barrier and a load per burst; the control thread pays one
 * syscall per stop. Without membarrier (old kernels), the datapath uses a
 * seq_cst fence between (A) and (B), and (D) is a seq_cst fence too
 * (classic store-buffering pairing).
 */
#include <errno.h>
#include <inttypes.h>
#include <linux/membarrier.h>
#include <poll.h>
#include <sched.h>
#include <string.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <rte_atomic.h>
#include <rte_pause.h>

#include "tvh_internal.h"

bool tvh_use_membarrier;

static long
membarrier(int cmd)
{
	return syscall(__NR_membarrier, cmd, 0, 0);
}

void
tvh_barrier_init(void)
{
	static bool done;
	long cmds;

	if (done)
		return;
	done = true;
	cmds = membarrier(MEMBARRIER_CMD_QUERY);
	if (cmds >= 0 && (cmds & MEMBARRIER_CMD_PRIVATE_EXPEDITED) &&
	    membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) == 0) {
		tvh_use_membarrier = true;
		rte_log(RTE_LOG_DEBUG, tvh_logtype_ctrl,
			"tandem_vhost: membarrier registered: datapath pays no "
			"fence per burst\n");
		return;
	}
	rte_log(RTE_LOG_INFO, tvh_logtype_ctrl,
		"tandem_vhost: membarrier unavailable: datapath uses a fence "
		"per burst\n");
}

void
tvh_vqs_quiesce(struct tvh_vq *const *vqs, unsigned int n)
{
	/* (C) in the comment at the top of this file. */
	for (unsigned int i = 0; i < n; i++)
		__atomic_store_n(&vqs[i]->ready, 0, __ATOMIC_RELAXED);
	/* (D): pairs with the compiler barrier (or fence) between the
	 * in_burst store and the ready load in tvh_burst_enter. */
	if (!tvh_use_membarrier ||
	    membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) < 0)
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
	/* (E): acquire pairs with the release store in tvh_burst_leave. A
	 * burst is short (bounded by its size and the ring); yield now and
	 * then in case the datapath thread shares our core. */
	for (unsigned int i = 0; i < n; i++) {
		unsigned int spins = 0;

		while (__atomic_load_n(&vqs[i]->in_burst, __ATOMIC_ACQUIRE)) {
			rte_pause();
			if (++spins % 1024 == 0)
				sched_yield();
		}
	}
}

void
tvh_vqs_stop(struct tvh_vq *vqs, unsigned int n)
{
	struct tvh_vq *run[2 * TVH_MAX_QUEUE_PAIRS];
	unsigned int n_run = 0;

	for (unsigned int i = 0; i < n && n_run < RTE_DIM(run); i++)
		if (vqs[i].running)
			run[n_run++] = &vqs[i];
	if (n_run == 0)
		return;
	/* One membarrier for all of them. */
	tvh_vqs_quiesce(run, n_run);
	for (unsigned int i = 0; i < n_run; i++) {
		run[i]->running = false;
		/* Where a restart (or GET_VRING_BASE) continues from. */
		run[i]->cfg_base = run[i]->last_avail_idx;
		run[i]->base_is_ours = true;
	}
}

void
tvh_vq_stop(struct tvh_vq *vq)
{
	tvh_vqs_stop(vq, 1);
}

void
tvh_vq_init(struct tvh_dev *dev, struct tvh_vq *vq, uint16_t index)
{
	memset(vq, 0, sizeof(*vq));
	vq->dev = dev;
	vq->index = index;
	vq->call_fd = -1;
	vq->kick_fd = -1;
	vq->err_fd = -1;
}

static void
close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

void
tvh_vq_drain_kicks(struct tvh_vq *vq)
{
	struct pollfd pfd = {.fd = vq->kick_fd, .events = POLLIN};
	uint64_t n;

	/* The front-end owns the eventfd's flags (it may be blocking):
	 * poll first, so the read below never waits. Only the front-end
	 * writes to it, so readable stays readable until we read. */
	if (vq->kick_fd < 0 || poll(&pfd, 1, 0) != 1 || !(pfd.revents & POLLIN))
		return;
	if (read(vq->kick_fd, &n, sizeof(n)) == sizeof(n))
		vq->kicks += n;
}

void
tvh_vq_reset(struct tvh_vq *vq, bool close_call)
{
	tvh_vq_stop(vq);
	tvh_vq_drain_kicks(vq);
	close_fd(&vq->kick_fd);
	close_fd(&vq->err_fd);
	if (close_call)
		close_fd(&vq->call_fd);
	vq->num_set = false;
	vq->addr_set = false;
	vq->kicked = false;
	vq->enabled = false;
	vq->broken = false;
	vq->cfg_base = 0;
	vq->base_is_ours = false;
	vq->cfg_num = 0;
}

static void
ring_refused(struct tvh_vq *vq, const char *what, uint64_t addr, size_t size)
{
	struct tvh_dev *dev = vq->dev;
	uint32_t supp;

	dev->stats.err_ring++;
	if (tvh_ratelimit_ok(&dev->rl_ring, &supp))
		TVH_LOG_CTRL(ERR, dev,
			     "front-end placed vring %u's %s at 0x%" PRIx64
			     " (%zu bytes, ring size %u): not inside one "
			     "memory region or misaligned; ring not started "
			     "(%u similar suppressed)",
			     vq->index, what, addr, size, vq->cfg_num, supp);
}

/* Translate one part of the ring; NULL (counted) if refused. */
static void *
ring_part(struct tvh_vq *vq, const char *what, uint64_t uva, size_t size,
	  uintptr_t align)
{
	void *p = NULL;

	if ((uva & (align - 1)) == 0)
		p = tvh_uva_to_host(&vq->dev->mem, uva, size);
	/* The host pointer's alignment matters for the atomic accesses;
	 * a region whose mmap offset is odd could break it. */
	if (p == NULL || ((uintptr_t)p & (align - 1)) != 0) {
		ring_refused(vq, what, uva, size);
		return NULL;
	}
	return p;
}

/* The index a starting ring continues from (last_avail_idx and
 * last_used_idx alike: this back-end returns every buffer it takes within
 * the burst that took it).
 *
 * A front-end may give a base that does not match its ring: the stock
 * virtio-user in server mode, when a new back-end connects, sends
 * SET_VRING_BASE 0 for rings whose avail and used indexes are long past 0
 * (it keeps running across the reconnection). Starting from 0 would see
 * the avail index "hundreds of entries ahead" and break the ring. So, for
 * a base the front-end gave, look at the ring itself: if used->idx
 * differs from the base and the ring is consistent from there (avail idx
 * at most num entries ahead of it), continue from used->idx, as DPDK's
 * back-end does. What a previous back-end took but never returned
 * (avail - used entries) is processed again: a transmitted packet may be
 * sent twice, a receive buffer gets a new packet.
 *
 * Both indexes are the front-end's memory: each is read once into a local
 * and only the locals are compared and used. Whatever they hold, the
 * datapath checks every avail index against last_avail_idx anyway; this
 * only decides where a well-behaved ring resumes. A base of our own (a
 * restart after a memory table or feature change) is exact and is kept.
 * Control thread, ring translated, datapath not running. */
static uint16_t
tvh_vq_start_index(struct tvh_vq *vq, const struct tv_split *ring)
{
	struct tvh_dev *dev = vq->dev;
	uint16_t base = vq->cfg_base;
	uint16_t used_idx, avail_idx;
	uint32_t supp;

	if (vq->base_is_ours)
		return base;
	used_idx = *(volatile uint16_t *)&ring->used->idx;
	avail_idx = *(volatile uint16_t *)&ring->avail->idx;
	if (used_idx == base || (uint16_t)(avail_idx - used_idx) > vq->cfg_num)
		return base;
	/* The vq's own limiter: its datapath is not running (see above). */
	if (tvh_ratelimit_ok(&vq->rl[TVH_DP_ERR_AVAIL_IDX], &supp))
		TVH_LOG_CTRL(WARNING, dev,
			     "front-end set vring %u's base to %u, but its "
			     "used index is %u (avail index %u): continuing "
			     "from %u; the %u buffers offered after it are "
			     "taken again (a transmitted packet may repeat) "
			     "(%u similar suppressed)",
			     vq->index, base, used_idx, avail_idx, used_idx,
			     (uint16_t)(avail_idx - used_idx), supp);
	return used_idx;
}

int
tvh_vq_try_start(struct tvh_vq *vq)
{
	struct tvh_dev *dev = vq->dev;
	const struct tvu_vring_addr *a = &vq->cfg_addr;
	uint32_t num = vq->cfg_num;
	struct tv_split ring;

	if (vq->running)
		return 0;
	if (!vq->kicked || !vq->num_set || !vq->addr_set ||
	    !dev->features_set || dev->mem.n_regions == 0)
		return 0;
	/* Started but disabled: a receive ring gets nothing (it stays
	 * stopped); a transmit ring stays stopped too, or is drained and
	 * its packets dropped if the application chose that (TVH_VQ_DISCARD,
	 * see tvh_internal.h for the spec's words). */
	if (!vq->enabled &&
	    (!tv_net_vq_is_guest_tx(vq->index) || !dev->disabled_tx_discard))
		return 0;
	if (a->flags & (1u << TVU_VRING_F_LOG)) {
		ring_refused(vq, "log (dirty logging is not offered)",
			     a->log_guest_addr, 0);
		return -EINVAL;
	}
	ring.num = num;
	ring.desc = ring_part(vq, "descriptor table", a->desc_user_addr,
			      tv_split_desc_size(num), 16);
	ring.avail = ring_part(vq, "avail ring", a->avail_user_addr,
			       tv_split_avail_size(num), 2);
	ring.used = ring_part(vq, "used ring", a->used_user_addr,
			      tv_split_used_size(num), 4);
	if (ring.desc == NULL || ring.avail == NULL || ring.used == NULL)
		return -EINVAL;

	vq->ring = ring;
	vq->num = num;
	vq->cfg_base = tvh_vq_start_index(vq, &ring);
	vq->base_is_ours = true;
	vq->last_avail_idx = vq->cfg_base;
	vq->last_used_idx = vq->cfg_base;
	vq->event_idx = tv_has_feature(dev->features, TV_F_RING_EVENT_IDX);
	vq->mrg_rxbuf = tv_has_feature(dev->features, TV_NET_F_MRG_RXBUF);
	vq->indirect_ok =
		tv_has_feature(dev->features, TV_F_RING_INDIRECT_DESC);
	vq->hdr_len = tv_net_hdr_len(dev->features);
	vq->mem = &dev->mem;
	vq->broken = false;
	/* The library polls: ask the front-end not to kick. Without
	 * EVENT_IDX that is NO_NOTIFY in used->flags; with it, the flag is
	 * ignored and avail_event is kept out of the front-end's reach
	 * (tvh_avail_event_update). The rearm distance keeps the value
	 * behind any avail index the front-end can publish (at most num
	 * past last_avail_idx, which moves at most num per burst) until it
	 * is rewritten: 65536 - 2 * num, capped. */
	if (!vq->event_idx) {
		*(volatile uint16_t *)&ring.used->flags = TV_USED_F_NO_NOTIFY;
	} else {
		uint32_t rearm = 65536u - 2u * num;

		if (rearm > 0x4000u)
			rearm = 0x4000u;
		vq->avail_event_rearm = (uint16_t)(rearm == 0 ? 1 : rearm);
		tvh_avail_event_write(vq);
	}
	/* Release: pairs with the acquire load of ready in tvh_burst_enter;
	 * the datapath sees the pointers above once it sees ready. */
	__atomic_store_n(&vq->ready, vq->enabled ? TVH_VQ_RUN : TVH_VQ_DISCARD,
			 __ATOMIC_RELEASE);
	vq->running = true;
	return 0;
}

void
tvh_vq_error(struct tvh_vq *vq, enum tvh_dp_err cls, const char *fmt, ...)
{
	static const char *const names[TVH_DP_ERR_MAX] = {
		[TVH_DP_ERR_AVAIL_IDX] = "avail index",
		[TVH_DP_ERR_DESC_INDEX] = "descriptor index",
		[TVH_DP_ERR_DESC_ADDR] = "descriptor address",
		[TVH_DP_ERR_CHAIN_LOOP] = "descriptor chain",
		[TVH_DP_ERR_INDIRECT] = "indirect table",
		[TVH_DP_ERR_DESC_FLAGS] = "descriptor flags",
		[TVH_DP_ERR_HDR] = "virtio-net header",
		[TVH_DP_ERR_PKT_LEN] = "packet length",
	};
	struct tvh_vq_stats *st = &vq->stats;
	char msg[256];
	uint32_t supp;
	va_list ap;

	switch (cls) {
	case TVH_DP_ERR_AVAIL_IDX:
		st->err_avail_idx++;
		break;
	case TVH_DP_ERR_DESC_INDEX:
		st->err_desc_index++;
		break;
	case TVH_DP_ERR_DESC_ADDR:
		st->err_desc_addr++;
		break;
	case TVH_DP_ERR_CHAIN_LOOP:
		st->err_chain_loop++;
		break;
	case TVH_DP_ERR_INDIRECT:
		st->err_indirect++;
		break;
	case TVH_DP_ERR_DESC_FLAGS:
		st->err_desc_flags++;
		break;
	case TVH_DP_ERR_HDR:
		st->err_hdr++;
		break;
	case TVH_DP_ERR_PKT_LEN:
	default:
		st->err_pkt_len++;
		break;
	}
	vq->broken = true;
	if (!tvh_ratelimit_ok(&vq->rl[cls], &supp))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	rte_log(RTE_LOG_ERR, tvh_logtype_data,
		"%s: vring %u: bad %s: %s; queue stopped until the front-end "
		"resets it (%u similar suppressed)\n",
		vq->dev->log_name, vq->index, names[cls], msg, supp);
}

void
tvh_vq_notify(struct tvh_vq *vq, uint16_t old_used, uint16_t new_used)
{
	static const uint64_t one = 1;
	bool want;

	if (vq->call_fd < 0) {
		vq->stats.calls_suppressed++;
		return;
	}
	/* Full barrier: our store of used->idx must be visible before we
	 * read used_event / avail->flags. Pairs with the front-end's full
	 * barrier between writing used_event (or clearing NO_INTERRUPT) and
	 * re-reading used->idx; without it both sides could miss each other
	 * and the front-end would sleep forever. */
	rte_atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (vq->event_idx) {
		uint16_t ev =
			*(volatile uint16_t *)tv_split_used_event(&vq->ring);

		want = tv_need_event(ev, new_used, old_used);
	} else {
		uint16_t flags = *(volatile uint16_t *)&vq->ring.avail->flags;

		want = !(flags & TV_AVAIL_F_NO_INTERRUPT);
	}
	if (!want) {
		vq->stats.calls_suppressed++;
		return;
	}
	/* The one system call the datapath makes, because the front-end
	 * asked for it. A full counter (EAGAIN) still wakes the reader. */
	if (write(vq->call_fd, &one, sizeof(one)) < 0) {
		vq->stats.calls_suppressed++;
		return;
	}
	vq->stats.calls++;
}
