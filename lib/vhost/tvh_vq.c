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
 * (classic store-buffering pairing). The choice is made once, before any
 * queue runs: once membarrier is registered, (D) must be membarrier (a
 * fence on our side does not pair with the datapath's compiler barrier),
 * so a failing call is fatal rather than silently unsafe. The barrier
 * itself is lib/membar's (tmb.h), shared with net_tandem_virtio's gate.
 *
 * (E) is bounded: a burst may not leave, because the datapath thread is
 * blocked in the write to the front-end's call eventfd (a front-end can
 * make it blocking and saturate its counter; see tvh.h) or descheduled.
 * After TVH_QUIESCE_MS the queue is marked stuck instead: the device is
 * disconnected, nothing the burst may still touch is released, and the
 * control thread releases it once in_burst clears (tvh_vq_thaw, swept by
 * tvh_ctrl.c). The control lock is never held for longer than that.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <string.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <rte_atomic.h>
#include <rte_debug.h>
#include <rte_pause.h>

#include "tvh_internal.h"
#include "tvh_pchain.h"

void
tvh_barrier_init(void)
{
	static bool done;

	if (done)
		return;
	done = true;
	if (tmb_init()) {
		rte_log(RTE_LOG_DEBUG, tvh_logtype_ctrl,
			"tandem_vhost: membarrier registered: datapath pays no "
			"fence per burst\n");
		return;
	}
	rte_log(RTE_LOG_INFO, tvh_logtype_ctrl,
		"tandem_vhost: membarrier unavailable: datapath uses a fence "
		"per burst\n");
}

/* (D) in the comment at the top of this file: pairs with tmb_light in
 * tvh_burst_enter. Never carry on without it: the datapath would be free
 * to use a ring we are about to unmap. */
static void
stop_barrier(void)
{
	int ret = tmb_heavy();

	if (ret < 0)
		rte_panic("tandem_vhost: membarrier(PRIVATE_EXPEDITED) failed "
			  "after registration (%s): queues cannot be stopped "
			  "safely\n",
			  strerror(-ret));
}

static uint64_t
elapsed_ms(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)(t.tv_sec - t0->tv_sec) * 1000u +
	       (uint64_t)((t.tv_nsec - t0->tv_nsec) / 1000000L);
}

/* (E) for one queue, until TVH_QUIESCE_MS after t0. A burst is short
 * (bounded by its size and the ring): spin first, then yield in case
 * the datapath thread shares our core, then sleep. */
static bool
burst_left(struct tvh_vq *vq, const struct timespec *t0)
{
	static const struct timespec nap = {.tv_nsec = 100000};
	unsigned int spins = 0;

	/* Acquire: pairs with the release store in tvh_burst_leave. */
	while (__atomic_load_n(&vq->in_burst, __ATOMIC_ACQUIRE)) {
		if (++spins < 1024) {
			rte_pause();
			continue;
		}
		if (elapsed_ms(t0) >= TVH_QUIESCE_MS)
			return false;
		if (spins < 4096)
			sched_yield();
		else
			nanosleep(&nap, NULL);
	}
	return true;
}

int
tvh_vqs_quiesce(struct tvh_vq *const *vqs, unsigned int n)
{
	struct timespec t0;
	int rc = 0;

	/* (C) in the comment at the top of this file. */
	for (unsigned int i = 0; i < n; i++)
		__atomic_store_n(&vqs[i]->ready, TVH_VQ_STOPPED,
				 __ATOMIC_RELAXED);
	stop_barrier();
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (unsigned int i = 0; i < n; i++) {
		struct tvh_vq *vq = vqs[i];

		if (burst_left(vq, &t0))
			continue;
		vq->stuck = true;
		vq->dev->n_stuck++;
		rc = -ETIMEDOUT;
		TVH_LOG_CTRL(ERR, vq->dev,
			     "vring %u: the datapath did not leave its burst "
			     "within %u ms (blocked writing the front-end's "
			     "call eventfd, or descheduled); disconnecting the "
			     "front-end; the ring's memory and call fd are "
			     "kept until the burst ends",
			     vq->index, TVH_QUIESCE_MS);
	}
	return rc;
}

int
tvh_vqs_stop(struct tvh_vq *vqs, unsigned int n)
{
	struct tvh_vq *run[2 * TVH_MAX_QUEUE_PAIRS];
	unsigned int n_run = 0;
	int rc = 0;

	for (unsigned int i = 0; i < n; i++) {
		if (vqs[i].stuck)
			rc = -ETIMEDOUT;
		else if (vqs[i].running && n_run < RTE_DIM(run))
			run[n_run++] = &vqs[i];
	}
	if (n_run == 0)
		return rc;
	/* One membarrier for all of them. */
	if (tvh_vqs_quiesce(run, n_run) < 0)
		rc = -ETIMEDOUT;
	for (unsigned int i = 0; i < n_run; i++) {
		run[i]->running = false;
		/* A stuck burst still moves last_avail_idx: its base is
		 * meaningless (the device is disconnected anyway). */
		if (run[i]->stuck)
			continue;
		/* Where a restart (or GET_VRING_BASE) continues from. */
		run[i]->cfg_base =
			run[i]->packed
				? tv_packed_off_wrap(run[i]->last_avail_idx,
						     run[i]->num)
				: run[i]->last_avail_idx;
		run[i]->base_is_ours = true;
	}
	return rc;
}

int
tvh_vq_stop(struct tvh_vq *vq)
{
	return tvh_vqs_stop(vq, 1);
}

bool
tvh_vq_thaw(struct tvh_vq *vq)
{
	/* Acquire: pairs with the release store in tvh_burst_leave, as
	 * in (E): what the burst did happens before what we release. */
	if (!vq->stuck || __atomic_load_n(&vq->in_burst, __ATOMIC_ACQUIRE))
		return false;
	vq->stuck = false;
	vq->dev->n_stuck--;
	TVH_LOG_CTRL(INFO, vq->dev,
		     "vring %u: the datapath left its burst: releasing what "
		     "was kept for it",
		     vq->index);
	tvh_vq_reset(vq, true);
	return true;
}

void
tvh_vq_init(struct tvh_dev *dev, struct tvh_vq *vq, uint16_t index)
{
	memset(vq, 0, sizeof(*vq));
	vq->dev = dev;
	vq->index = index;
	vq->copy = tvh_copy_fn_for(dev->copy);
	vq->call_fd = -1;
	vq->kick_fd = -1;
	vq->err_fd = -1;
	vq->wake_fd = -1;
}

static void
close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* The eventfd's count as the kernel shows it in /proc/self/fdinfo. The
 * eventfd itself is never read: the front-end shares it and may empty it
 * between a poll and our read (a blocking read would then hold the
 * control lock forever), and it may clear O_NONBLOCK on the shared file
 * description at any time. */
static int
eventfd_count(int fd, uint64_t *count)
{
	char path[64], line[128];
	int rc = -ENOENT;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	if (f == NULL)
		return -errno;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "eventfd-count: %" SCNx64, count) == 1) {
			rc = 0;
			break;
		}
	fclose(f);
	return rc;
}

void
tvh_vq_kick_count_start(struct tvh_vq *vq)
{
	uint64_t count;

	vq->kick_count_seen = 0;
	if (vq->kick_fd >= 0 && eventfd_count(vq->kick_fd, &count) == 0)
		vq->kick_count_seen = count;
}

void
tvh_vq_kick_fd_close(struct tvh_vq *vq)
{
	tvh_vq_drain_kicks(vq);
	tvh_kick_unwatch(vq);
	close_fd(&vq->kick_fd);
	vq->kick_count_seen = 0;
}

void
tvh_vq_wake(struct tvh_vq *vq)
{
	if (vq->wake_fd >= 0)
		(void)!eventfd_write(vq->wake_fd, 1);
}

void
tvh_vq_drain_kicks(struct tvh_vq *vq)
{
	uint64_t count;

	if (vq->kick_fd < 0 || eventfd_count(vq->kick_fd, &count) < 0)
		return;
	/* The count only grows while only the front-end writes; if it
	 * went down, the front-end read its own eventfd: count from 0. */
	if (count >= vq->kick_count_seen)
		vq->kicks += count - vq->kick_count_seen;
	else
		vq->kicks += count;
	vq->kick_count_seen = count;
}

/* What /proc/self/fd/N names an eventfd's anonymous inode. */
#define TVH_EVENTFD_LINK "anon_inode:[eventfd]"

int
tvh_eventfd_check(int fd, char *why, size_t whylen)
{
	char path[64], target[96];
	struct stat st;
	ssize_t len;
	int flags;

	if (fstat(fd, &st) < 0) {
		snprintf(why, whylen, "its fd cannot be examined: %s",
			 strerror(errno));
		return -EINVAL;
	}
	/* An eventfd is an anonymous inode: none of these types. */
	switch (st.st_mode & S_IFMT) {
	case S_IFIFO:
	case S_IFSOCK:
	case S_IFDIR:
	case S_IFCHR:
	case S_IFBLK:
	case S_IFLNK:
		snprintf(why, whylen,
			 "its fd is not an eventfd (file type 0%o)",
			 (unsigned int)(st.st_mode & S_IFMT));
		return -EINVAL;
	default:
		break;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	len = readlink(path, target, sizeof(target) - 1);
	if (len < 0) {
		snprintf(why, whylen, "its fd cannot be examined (%s): %s",
			 path, strerror(errno));
		return -EINVAL;
	}
	target[len] = '\0';
	if (strcmp(target, TVH_EVENTFD_LINK) != 0) {
		snprintf(why, whylen, "its fd is not an eventfd (%.60s)",
			 target);
		return -EINVAL;
	}
	/* The datapath writes the call fd within a burst, and a stop waits
	 * for the burst: it must not block. The front-end shares the file
	 * description and may clear the flag again; tvh_vqs_quiesce is
	 * bounded for that case. */
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || (!(flags & O_NONBLOCK) &&
			  fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)) {
		snprintf(why, whylen,
			 "its eventfd cannot be made non-blocking: %s",
			 strerror(errno));
		return -EINVAL;
	}
	return 0;
}

void
tvh_vq_reset(struct tvh_vq *vq, bool close_call)
{
	/* A stuck queue's datapath may still read what it uses (call_fd,
	 * broken): those stay until it thaws. The rest is control-only. */
	bool stuck = tvh_vq_stop(vq) < 0;

	tvh_vq_kick_fd_close(vq);
	close_fd(&vq->err_fd);
	if (close_call && !stuck)
		close_fd(&vq->call_fd);
	vq->num_set = false;
	vq->addr_set = false;
	vq->kicked = false;
	vq->enabled = false;
	if (!stuck)
		vq->broken = false;
	vq->cfg_base = 0;
	vq->base_is_ours = false;
	vq->base_given = false;
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

/* Where a starting ring continues: sets last_avail_idx (the next avail
 * entry to take) and last_used_idx (the next used entry to write).
 *
 * A base of our own (a restart after a memory table, feature or address
 * change) is exact: last_avail_idx is the base, last_used_idx stays what
 * our datapath left.
 *
 * A base the front-end gave (SET_VRING_BASE, or 0 for a new set-up) is
 * checked against the ring itself, both indexes read once into locals:
 *  - avail idx more than num entries past used->idx: the ring is not
 *    consistent; take the base as given (the datapath will judge);
 *  - the base within [used->idx, avail idx] (mod 2^16): honoured. Entries
 *    from used->idx to the base were taken by a previous back-end and are
 *    the front-end's to account for; used entries are written from
 *    used->idx on, so the front-end never reads a stale used entry;
 *  - any other base (e.g. the stock virtio-user in server mode sends 0
 *    after a back-end reconnects, for rings long past 0): continue from
 *    used->idx, as DPDK's back-end does. What a previous back-end took
 *    but never returned (avail - used entries) is processed again: a
 *    transmitted packet may be sent twice, a receive buffer gets a new
 *    packet.
 * Whatever the indexes hold, the datapath checks every avail index
 * against last_avail_idx anyway; this only decides where a well-behaved
 * ring resumes. Control thread, ring translated, datapath not running. */
static void
tvh_vq_start_index(struct tvh_vq *vq, const struct tv_split *ring)
{
	struct tvh_dev *dev = vq->dev;
	uint16_t base = vq->cfg_base;
	uint16_t used_idx, avail_idx, in_flight;
	uint32_t supp;

	vq->last_avail_idx = base;
	if (vq->base_is_ours)
		return;
	used_idx = *(volatile uint16_t *)&ring->used->idx;
	avail_idx = *(volatile uint16_t *)&ring->avail->idx;
	in_flight = (uint16_t)(avail_idx - used_idx);
	if (in_flight > vq->cfg_num) {
		vq->last_used_idx = base;
		return;
	}
	vq->last_used_idx = used_idx;
	if ((uint16_t)(base - used_idx) <= in_flight)
		return;
	vq->last_avail_idx = used_idx;
	/* The vq's own limiter: its datapath is not running (see above). */
	if (tvh_ratelimit_ok(&vq->rl[TVH_DP_ERR_AVAIL_IDX], &supp))
		TVH_LOG_CTRL(WARNING, dev,
			     "front-end set vring %u's base to %u, outside its "
			     "used index %u .. avail index %u: continuing "
			     "from %u; the %u buffers offered after it are "
			     "taken again (a transmitted packet may repeat) "
			     "(%u similar suppressed)",
			     vq->index, base, used_idx, avail_idx, used_idx,
			     in_flight, supp);
}

/* A packed ring's parts, start index and cfg_base (the split ring's are
 * in tvh_vq_try_start below). The base (SET_VRING_BASE's, or ours) names the
 * next descriptor as position | wrap counter << 15; the used index starts
 * there too, as everything before it was returned (ours), or is the
 * front-end's to account for (see tvh_msg.c, h_set_vring_base). */
static int
packed_start(struct tvh_vq *vq)
{
	const struct tvu_vring_addr *a = &vq->cfg_addr;
	uint32_t num = vq->cfg_num;
	uint16_t base = tvh_vq_packed_base(vq);
	uint32_t pos = base & 0x7fffu;
	struct tv_packed ring;
	uint32_t supp;

	ring.num = num;
	ring.desc = ring_part(vq, "descriptor ring", a->desc_user_addr,
			      (size_t)num * sizeof(struct tv_packed_desc), 16);
	ring.driver = ring_part(vq, "driver event suppression area",
				a->avail_user_addr,
				sizeof(struct tv_packed_event), 4);
	ring.device = ring_part(vq, "device event suppression area",
				a->used_user_addr,
				sizeof(struct tv_packed_event), 4);
	if (ring.desc == NULL || ring.driver == NULL || ring.device == NULL)
		return -EINVAL;
	if (pos >= num) {
		vq->dev->stats.err_ring++;
		if (tvh_ratelimit_ok(&vq->dev->rl_ring, &supp))
			TVH_LOG_CTRL(ERR, vq->dev,
				     "front-end set packed vring %u's base to "
				     "descriptor %u, ring size %u; ring not "
				     "started (%u similar suppressed)",
				     vq->index, pos, num, supp);
		return -EINVAL;
	}
	vq->pring = ring;
	vq->num = num;
	/* Free-running: the lap's parity is the wrap counter (it is 1 on
	 * lap 0, tv_packed_wrap). */
	vq->last_avail_idx = tv_packed_idx(base, num);
	vq->last_used_idx = vq->last_avail_idx;
	vq->cfg_base = tv_packed_off_wrap(vq->last_avail_idx, num);
	/* The library polls: ask the front-end not to kick (section
	 * 2.8.10). */
	__atomic_store_n(&ring.device->flags, TV_PACKED_EVENT_FLAG_DISABLE,
			 __ATOMIC_RELAXED);
	return 0;
}

int
tvh_vq_try_start(struct tvh_vq *vq)
{
	struct tvh_dev *dev = vq->dev;
	const struct tvu_vring_addr *a = &vq->cfg_addr;
	uint32_t num = vq->cfg_num;
	struct tv_split ring;

	/* A stuck queue's burst may still use the old ring and indexes. */
	if (vq->running || vq->stuck)
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
	vq->packed = tv_has_feature(dev->features, TV_F_RING_PACKED);
	if (vq->packed) {
		if (packed_start(vq) < 0)
			return -EINVAL;
		goto common;
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
	tvh_vq_start_index(vq, &ring);
	vq->cfg_base = vq->last_avail_idx;
common:
	vq->base_is_ours = true;
	vq->event_idx = tv_has_feature(dev->features, TV_F_RING_EVENT_IDX);
	vq->mrg_rxbuf = tv_has_feature(dev->features, TV_NET_F_MRG_RXBUF);
	vq->indirect_ok =
		tv_has_feature(dev->features, TV_F_RING_INDIRECT_DESC);
	vq->in_order = tv_has_feature(dev->features, TV_F_IN_ORDER);
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
	if (vq->packed) {
		/* packed_start asked for no kicks. */
	} else if (!vq->event_idx) {
		*(volatile uint16_t *)&ring.used->flags = TV_USED_F_NO_NOTIFY;
	} else {
		uint32_t rearm = 65536u - 2u * num;

		if (rearm > 0x4000u)
			rearm = 0x4000u;
		vq->avail_event_rearm = (uint16_t)(rearm == 0 ? 1 : rearm);
		tvh_avail_event_write(vq);
	}
	/* A request of the application's (interrupt mode) was for the old
	 * ring: it arms again, woken below. */
	vq->notify_armed = false;
	/* Release: pairs with the acquire load of ready in tvh_burst_enter;
	 * the datapath sees the pointers above once it sees ready. */
	__atomic_store_n(&vq->ready, vq->enabled ? TVH_VQ_RUN : TVH_VQ_DISCARD,
			 __ATOMIC_RELEASE);
	vq->running = true;
	/* An lcore asleep on this ring's kicks (interrupt mode) polls the
	 * new ring once and arms it: the front-end was asked not to kick. */
	tvh_vq_wake(vq);
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
		"sets it up again (%u similar suppressed)\n",
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
	if (vq->packed) {
		/* The driver's event suppression structure, both fields in
		 * one load (section 2.8.10). */
		uint32_t ev = __atomic_load_n((const uint32_t *)vq->pring.driver,
					      __ATOMIC_RELAXED);
		struct tv_packed_event e;

		memcpy(&e, &ev, sizeof(e));
		switch (e.flags & 3u) {
		case TV_PACKED_EVENT_FLAG_DISABLE:
			want = false;
			break;
		case TV_PACKED_EVENT_FLAG_DESC:
			/* Only meaningful with EVENT_IDX; without it, a
			 * front-end asking for something is notified. */
			want = !vq->event_idx ||
			       tv_packed_need_event(e.off_wrap, new_used,
						    old_used, vq->num);
			break;
		default: /* ENABLE, and the reserved value */
			want = true;
			break;
		}
	} else if (vq->event_idx) {
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
	 * asked for it. The fd is non-blocking (tvh_eventfd_check), unless
	 * the front-end cleared the flag since (see tvh.h): then a saturated
	 * counter blocks us here until it reads, and a stop gives up on this
	 * burst after TVH_QUIESCE_MS. A full counter (EAGAIN: the front-end
	 * stopped reading) still wakes the reader. */
	if (write(vq->call_fd, &one, sizeof(one)) < 0) {
		if (errno == EAGAIN)
			vq->calls_eagain++;
		vq->stats.calls_suppressed++;
		return;
	}
	vq->stats.calls++;
}

int
tvh_vq_notify_arm(struct tvh_dev *dev, uint16_t index, bool on)
{
	struct tvh_vq *vq;
	int pending = 0;
	bool relay;

	if (dev == NULL || index >= dev->n_vqs)
		return -EINVAL;
	vq = &dev->vqs[index];
	/* Inside the burst gate: the ring stays mapped while we touch it
	 * (a stopped ring is set up suppressed and wakes the sleeper when
	 * it starts again, tvh_vq_try_start). */
	if (tvh_burst_enter(vq) == TVH_VQ_STOPPED)
		return 0;
	/* Acquire: pairs with tvh_kick_watch's release. */
	relay = __atomic_load_n(&vq->kick_relay, __ATOMIC_ACQUIRE);
	vq->notify_armed = on;
	if (vq->packed) {
		/* ENABLE: any buffer made available kicks (section 2.8.10);
		 * the polling datapath never writes this structure. */
		__atomic_store_n(&vq->pring.device->flags,
				 on ? TV_PACKED_EVENT_FLAG_ENABLE
				    : TV_PACKED_EVENT_FLAG_DISABLE,
				 __ATOMIC_RELAXED);
		if (on) {
			struct tvh_pchain c;

			/* Full barrier, paired as below for split rings:
			 * either the front-end sees ENABLE after making its
			 * descriptor available, or we see the descriptor. */
			rte_atomic_thread_fence(__ATOMIC_SEQ_CST);
			pending = tvh_pchain_start(vq, vq->last_avail_idx,
						   vq->last_used_idx, &c) ||
				  !relay;
		}
		tvh_burst_leave(vq);
		return pending;
	}
	if (!vq->event_idx)
		__atomic_store_n(&vq->ring.used->flags,
				 on ? 0 : TV_USED_F_NO_NOTIFY,
				 __ATOMIC_RELAXED);
	else if (on) /* kick once avail->idx moves past last_avail_idx */
		__atomic_store_n(tv_split_avail_event(&vq->ring),
				 vq->last_avail_idx, __ATOMIC_RELAXED);
	else
		tvh_avail_event_write(vq); /* parked again */
	if (on) {
		/* Full barrier: our request is visible before we read
		 * avail->idx again. Pairs with the front-end's full barrier
		 * between publishing avail->idx and reading used->flags /
		 * avail_event (virtio 1.2, 2.7.10): either it sees the
		 * request and kicks, or we see its buffers here. */
		rte_atomic_thread_fence(__ATOMIC_SEQ_CST);
		pending = *(volatile uint16_t *)&vq->ring.avail->idx !=
				  vq->last_avail_idx ||
			  !relay; /* no kick would wake the caller */
	}
	tvh_burst_leave(vq);
	return pending;
}
