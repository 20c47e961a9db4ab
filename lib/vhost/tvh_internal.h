/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * tvh_internal.h - lib/vhost's private structures, shared by its files.
 *
 * Ownership of the fields (who writes what, and when) is the core of the
 * library's safety: every field says which thread writes it. "control"
 * means the library's control thread (or an application thread holding the
 * control lock, e.g. in tvh_dev_destroy); "datapath" means the one thread
 * running bursts on that virtqueue.
 */
#ifndef TVH_INTERNAL_H
#define TVH_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/queue.h>

#include <rte_atomic.h>
#include <rte_common.h>
#include <rte_log.h>
#include <rte_mbuf.h>
#include <rte_memcpy.h>
#include <rte_prefetch.h>

#include "tv_vring.h"
#include "tmb.h"
#include "tvh.h"
#include "tvu.h"

/* ---- Logging ---- */

extern int tvh_logtype_ctrl;
extern int tvh_logtype_data;

#define TVH_LOG_CTRL(level, dev, fmt, ...)                                     \
	rte_log(RTE_LOG_##level, tvh_logtype_ctrl, "%s: " fmt "\n",            \
		(dev)->log_name, ##__VA_ARGS__)

/* One rate limiter: at most one line per TVH_RL_PERIOD_MS, then a count of
 * what was suppressed in between. */
#define TVH_RL_PERIOD_MS 1000u

struct tvh_ratelimit {
	uint64_t next_tsc;
	uint32_t suppressed;
};

/* True if a line may be printed now; *suppressed gets the number of lines
 * dropped since the last one printed. */
bool tvh_ratelimit_ok(struct tvh_ratelimit *rl, uint32_t *suppressed);

/* ---- Guest memory ---- */

struct tvh_region {
	uint64_t gpa;	/* guest-physical start */
	uint64_t size;	/* bytes */
	uint64_t uva;	/* front-end process virtual start */
	uint8_t *host;	/* our pointer to gpa */
	void *map_addr; /* what mmap returned */
	size_t map_len;
};

struct tvh_mem {
	uint32_t n_regions;
	struct tvh_region regions[TVU_MAX_MEM_REGIONS];
};

/* Host pointer for guest-physical [gpa, gpa + len): the part that lies in
 * one region. *contig gets the bytes usable from the returned pointer
 * (1..len); NULL if gpa is in no region. len must be > 0. */
static inline uint8_t *
tvh_gpa_to_host(const struct tvh_mem *mem, uint64_t gpa, uint64_t len,
		uint64_t *contig)
{
	for (uint32_t i = 0; i < mem->n_regions; i++) {
		const struct tvh_region *r = &mem->regions[i];
		uint64_t off = gpa - r->gpa;

		/* off wraps (huge) when gpa < r->gpa: one compare covers both
		 * ends of the region. */
		if (off < r->size) {
			uint64_t left = r->size - off;

			*contig = len < left ? len : left;
			return r->host + off;
		}
	}
	return NULL;
}

/* Whether guest-physical [gpa, gpa + len) lies inside the memory table,
 * possibly across adjacent regions; the caller checked gpa + len does not
 * wrap. At most one lookup per region the range touches. */
static inline bool
tvh_gpa_range_ok(const struct tvh_mem *mem, uint64_t gpa, uint64_t len)
{
	uint32_t pieces = 0;
	uint64_t contig;

	while (len > 0) {
		if (pieces++ == TVU_MAX_MEM_REGIONS ||
		    tvh_gpa_to_host(mem, gpa, len, &contig) == NULL)
			return false;
		gpa += contig;
		len -= contig;
	}
	return true;
}

/* Host pointer for front-end virtual [uva, uva + len), which must lie in one
 * region entirely; NULL otherwise. */
void *tvh_uva_to_host(const struct tvh_mem *mem, uint64_t uva, uint64_t len);

struct tvh_dev;

/* Map the regions of a SET_MEM_TABLE message of `dev`'s front-end into
 * *out: at most dev->max_guest_mem bytes in all, each region guarded
 * against a front-end that shrinks its file afterwards (the guard below;
 * dev->stats.unsealed_regions counts those it could shrink). Takes
 * ownership of msg's fds (all closed on return, success or not). On
 * failure nothing stays mapped; *why describes the refusal. Control
 * thread (control lock held). */
int tvh_mem_map(struct tvh_dev *dev, struct tvh_mem *out, struct tvu_msg *msg,
		char *why, size_t whylen);
/* Unmap (each region leaves the guard first). Control lock held. */
void tvh_mem_unmap(struct tvh_mem *mem);

/* ---- SIGBUS guard (tvh_mem.c) ----
 * A registry of the guest memory mappings and a SIGBUS handler that
 * absorbs faults inside them (see tvh.h, "Guest memory truncation").
 * The registry is written by the control thread (control lock held) and
 * read by the handler without a lock. */

/* Install the handler (once per process) and create the wake eventfd if
 * there is none. Control lock held, when the control thread starts.
 * 0 or -errno. */
int tvh_guard_init(void);
/* Close the wake eventfd (when the control thread stopped; waits for a
 * handler writing to it). The handler stays: regions a stuck queue of a
 * destroyed device keeps are still guarded, only nobody is woken. */
void tvh_guard_fini(void);
/* Readable (an eventfd) when the handler absorbed a fault: the control
 * thread then calls tvh_guard_faults for each device. -1 before
 * tvh_guard_init and after tvh_guard_fini. */
int tvh_guard_fd(void);
/* Faults absorbed in the regions `owner` mapped since the last call;
 * *regions gets a bit per region index of its table that faulted. */
uint32_t tvh_guard_faults(const void *owner, uint32_t *regions);

/* Where the handler's replacement mapping starts for a fault at addr in
 * a mapping [start, ...) made with `align` (a power of two): the aligned
 * page holding addr (hugetlbfs can only be replaced in whole huge pages),
 * but never below the mapping. Only a hugetlbfs mapping is sure to start
 * on an `align` boundary: any file may report a large st_blksize, and the
 * bytes below such a mapping are somebody else's memory. */
static inline uintptr_t
tvh_guard_page(uintptr_t addr, uintptr_t start, uintptr_t align)
{
	uintptr_t page = addr & ~(align - 1);

	return page < start ? start : page;
}

/* ---- Virtqueues ---- */

/* Error classes for rate limiting datapath logs. */
enum tvh_dp_err {
	TVH_DP_ERR_AVAIL_IDX,
	TVH_DP_ERR_DESC_INDEX,
	TVH_DP_ERR_DESC_ADDR,
	TVH_DP_ERR_CHAIN_LOOP,
	TVH_DP_ERR_INDIRECT,
	TVH_DP_ERR_DESC_FLAGS,
	TVH_DP_ERR_HDR,
	TVH_DP_ERR_PKT_LEN,
	TVH_DP_ERR_MAX
};

struct tvh_dev;

/* Values of tvh_vq.ready. A started but disabled ring (vhost-user spec,
 * QEMU docs/interop/vhost-user.rst, "Ring states": "started but disabled:
 * the back-end must process the ring without causing any side effects.
 * For example, for a networking device, in the disabled state the
 * back-end must not supply any new RX packets, but must process and
 * discard any TX packets") is STOPPED for a receive virtqueue, and for a
 * transmit virtqueue STOPPED by default or DISCARD if the application
 * asked for the spec's behaviour (tvh_config.disabled_tx_discard; see
 * tvh.h for why it is not the default). */
enum tvh_vq_state {
	TVH_VQ_STOPPED = 0,
	TVH_VQ_RUN = 1,	    /* started and enabled */
	TVH_VQ_DISCARD = 2, /* transmit ring started but disabled */
};

/* Packets handled per batch of the fast paths (the size of the shadow
 * used ring and of the per-batch arrays on the stack). */
#define TVH_BATCH 32u

/* Long packet copies (tvh_copy.c): dst and src do not overlap, n is more
 * than TVH_COPY_INLINE_MAX. */
typedef void (*tvh_copy_fn)(void *dst, const void *src, size_t n);
/* Copies up to this many bytes stay inline (rte_memcpy): a 64 B frame's
 * copy is a few moves, cheaper than a call. */
#define TVH_COPY_INLINE_MAX 256u
/* The copy function of a resolved level (never AUTO). */
tvh_copy_fn tvh_copy_fn_for(enum tvh_copy_level level);

struct tvh_vq {
	/* ---- datapath's view, published by the control thread ----
	 * in_burst: written by the datapath (1 on entry, 0 on exit), read by
	 * the control thread while it waits for a stop to take effect.
	 * ready: written by the control thread only (see tvh_vq.c for the
	 * protocol between the two). */
	uint8_t in_burst;
	uint8_t ready;
	/* Written by the datapath when the front-end broke the ring; cleared
	 * by the control thread only while the queue is stopped, when the
	 * ring starts again (tvh_vq_try_start). */
	bool broken;
	bool event_idx;		 /* RING_EVENT_IDX negotiated */
	bool mrg_rxbuf;		 /* MRG_RXBUF negotiated */
	bool indirect_ok;	 /* RING_INDIRECT_DESC negotiated */
	bool packed;		 /* RING_PACKED negotiated: pring, not ring */
	bool in_order;		 /* IN_ORDER negotiated */
	uint16_t index;		 /* virtqueue number */
	uint32_t hdr_len;	 /* virtio-net header bytes */
	uint32_t num;		 /* ring size */
	/* Free-running indexes (datapath while running). Split: of the
	 * avail and used rings. Packed: of the descriptor ring, the next
	 * descriptor to look at and the next to write used; the position is
	 * idx & (num - 1) and the wrap counter (idx & num) == 0 (num is a
	 * power of two: tv_packed_wrap). */
	uint16_t last_avail_idx;
	uint16_t last_used_idx;
	/* EVENT_IDX: last_avail_idx when avail_event was last written, and
	 * how far it may move before avail_event is written again (see
	 * tvh_avail_event_update). Datapath while running. */
	uint16_t avail_event_at;
	uint16_t avail_event_rearm;
	union { /* host pointers, valid while ready */
		struct tv_split ring;	/* !packed */
		struct tv_packed pring; /* packed */
	};
	tvh_copy_fn copy;     /* long copies (tvh_copy), set at creation */
	int call_fd;	      /* -1: the front-end wants no calls */
	const struct tvh_mem *mem;
	struct tvh_dev *dev;
	struct tvh_vq_stats stats;
	uint64_t discarded;    /* datapath: packets of a disabled TX ring */
	uint64_t calls_eagain; /* datapath: call eventfd writes with EAGAIN */
	/* Interrupt mode: the application asked the front-end to kick
	 * (tvh_vq_notify_arm), so avail_event / the NO_NOTIFY flag hold its
	 * request and the datapath leaves them alone. Written by the thread
	 * running the queue's datapath, and by the control thread while the
	 * ring is stopped (tvh_vq_try_start). */
	bool notify_armed;
	/* The control thread relays kick_fd to wake_fd (tvh_kick_watch):
	 * written by it under ctl.lock, read by tvh_vq_notify_arm, which
	 * must not let the caller sleep without it (no wake fd, a ring
	 * without a kick fd, or the watch failed). */
	bool kick_relay;
	struct tvh_ratelimit rl[TVH_DP_ERR_MAX];

	/* ---- control thread only ---- */
	bool num_set, addr_set;
	bool kicked;   /* SET_VRING_KICK received: started */
	bool enabled;  /* SET_VRING_ENABLE (or implied) */
	bool running;  /* ready was published */
	bool reported; /* vring_state(enabled) was reported */
	/* Stopped, but a burst that was inside when it stopped had not
	 * left within TVH_QUIESCE_MS (blocked in the call eventfd write, or
	 * descheduled): until tvh_vq_thaw sees in_burst clear, nothing that
	 * burst may touch (datapath fields, call_fd, the memory table) is
	 * changed, closed or unmapped, and the ring does not start. */
	bool stuck;
	/* Kicks: the sum over the kick fds this vq had, and the eventfd
	 * count last seen on the current one (read from fdinfo, see
	 * tvh_vq_drain_kicks). */
	uint64_t kicks;
	uint64_t kick_count_seen;
	uint32_t cfg_num;
	/* Split: the avail index. Packed: the vhost-user encoding of the
	 * next descriptor, position | wrap counter << 15. */
	uint16_t cfg_base;
	/* cfg_base is where our own datapath stopped (set by tvh_vqs_stop),
	 * not a value the front-end gave (SET_VRING_BASE, or the 0 of a new
	 * set-up): only the latter is checked against used->idx when the
	 * ring starts (see tvh_vq_start_index). */
	bool base_is_ours;
	bool base_given; /* a SET_VRING_BASE since the last reset */
	struct tvu_vring_addr cfg_addr;
	int kick_fd;
	int err_fd;
	/* Interrupt mode: the application's eventfd (tvh_vq_set_wake_fd),
	 * written by the control thread whenever kick_fd is written (kick_fd
	 * is in its epoll set, edge-triggered, while both are set; it is
	 * never read, see tvh_vq_drain_kicks). -1: none. */
	int wake_fd;
	bool kick_watched;
} __rte_cache_aligned;

/* Register membarrier once (lib/membar); selects the datapath variant
 * and logs which. */
void tvh_barrier_init(void);

/* Datapath entry: announce the burst, then look at ready. Returns the
 * state it loaded (TVH_VQ_RUN or TVH_VQ_DISCARD; the burst uses this
 * value, never a second load of ready), or TVH_VQ_STOPPED (and leaves)
 * if the queue is stopped or broken.
 *
 * Pairs with tvh_vq_quiesce(): either the control thread's wait sees
 * in_burst == 1 (and waits for the release store in tvh_burst_leave), or
 * this load of ready sees 0. The membarrier syscall in tvh_vq_quiesce turns
 * the compiler barrier here into a full barrier at the moment it matters;
 * without membarrier, a seq_cst fence does it on every burst. */
static inline enum tvh_vq_state
tvh_burst_enter(struct tvh_vq *vq)
{
	uint8_t state;

	__atomic_store_n(&vq->in_burst, 1, __ATOMIC_RELAXED);
	tmb_light();
	/* acquire: pairs with the release store of ready in tvh_vq_publish,
	 * so the ring pointers and memory table read below are the ones
	 * published with it. */
	state = __atomic_load_n(&vq->ready, __ATOMIC_ACQUIRE);
	if (likely(state != TVH_VQ_STOPPED && !vq->broken))
		return (enum tvh_vq_state)state;
	__atomic_store_n(&vq->in_burst, 0, __ATOMIC_RELEASE);
	return TVH_VQ_STOPPED;
}

/* Datapath exit: release pairs with the acquire load of in_burst in
 * tvh_vq_quiesce, so everything this burst did with guest memory happens
 * before the control thread unmaps or moves it. */
static inline void
tvh_burst_leave(struct tvh_vq *vq)
{
	__atomic_store_n(&vq->in_burst, 0, __ATOMIC_RELEASE);
}

/* With EVENT_IDX the front-end kicks when its avail->idx passes the
 * avail_event we publish (virtio 1.2, 2.7.10). The library polls, so it
 * keeps avail_event just behind last_avail_idx, where no index the
 * front-end can publish (at most num ahead of last_avail_idx) reaches it.
 * It is written again only after last_avail_idx moved avail_event_rearm
 * entries (set by tvh_vq_try_start so that the value stays out of reach
 * until then): one store per thousands of packets, not per burst.
 *
 * No barrier: the value is a hint to a front-end whose kicks we do not
 * need. A late-seen value costs at most one spurious kick. */
static inline void
tvh_avail_event_write(struct tvh_vq *vq)
{
	vq->avail_event_at = vq->last_avail_idx;
	*(volatile uint16_t *)tv_split_avail_event(&vq->ring) =
		(uint16_t)(vq->last_avail_idx - 1);
}

static inline void
tvh_avail_event_update(struct tvh_vq *vq)
{
	if (vq->event_idx &&
	    (uint16_t)(vq->last_avail_idx - vq->avail_event_at) >=
		    vq->avail_event_rearm &&
	    !vq->notify_armed) /* read only then: the request stays */
		tvh_avail_event_write(vq);
}

/* Start loading the first lines of a packet that is copied next (up to
 * four: the copy's first iterations; the hardware prefetcher follows the
 * rest of a long run). A hint only: it never faults, whatever p is. */
static __rte_always_inline void
tvh_prefetch_run(const void *p, uint32_t len)
{
	const char *c = p;

	rte_prefetch0(c);
	if (len > RTE_CACHE_LINE_SIZE) {
		rte_prefetch0(c + RTE_CACHE_LINE_SIZE);
		rte_prefetch0(c + 2 * RTE_CACHE_LINE_SIZE);
		rte_prefetch0(c + 3 * RTE_CACHE_LINE_SIZE);
	}
}

/* Copy n bytes of packet data between guest memory and an mbuf. */
static __rte_always_inline void
tvh_copy(const struct tvh_vq *vq, void *dst, const void *src, size_t n)
{
	if (n <= TVH_COPY_INLINE_MAX)
		rte_memcpy(dst, src, n);
	else
		vq->copy(dst, src, n);
}

/* A packet in one receive buffer at host pointer dst (which holds
 * hdr_len + pkt_len bytes): a virtio-net header of zeros (no offloads are
 * offered) with num_buffers 1 (little-endian, only in the 12-byte
 * header), then the one-segment mbuf's bytes. The fast paths of both
 * ring layouts. */
static __rte_always_inline void
tvh_rx_put_one(const struct tvh_vq *vq, uint8_t *dst, const struct rte_mbuf *m)
{
	const size_t nb_off = offsetof(struct tv_net_hdr_mrg, num_buffers);

	memset(dst, 0, sizeof(struct tv_net_hdr));
	if (vq->hdr_len == sizeof(struct tv_net_hdr_mrg)) {
		dst[nb_off] = 1;
		dst[nb_off + 1] = 0;
	}
	tvh_copy(vq, dst + vq->hdr_len, rte_pktmbuf_mtod(m, const void *),
		 m->pkt_len);
}

/* Write n shadow used entries at used index `at`, wrapping at the end of
 * the ring (the fast paths of both directions). Plain stores: the caller
 * publishes them with its release store of used->idx. */
static inline void
tvh_used_flush(struct tvh_vq *vq, uint16_t at, const struct tv_used_elem *sh,
	       uint32_t n)
{
	uint32_t i = at & (vq->num - 1);
	uint32_t first = RTE_MIN(n, vq->num - i);

	rte_memcpy(&vq->ring.used->ring[i], sh, first * sizeof(*sh));
	if (first < n)
		rte_memcpy(&vq->ring.used->ring[0], sh + first,
			   (n - first) * sizeof(*sh));
}

/* Packed ring bursts (tvh_packed.c), called inside the burst gate by
 * tvh_dequeue_burst / tvh_enqueue_burst when vq->packed. */
uint16_t tvh_packed_dequeue(struct tvh_vq *vq, enum tvh_vq_state state,
			    struct rte_mempool *pool, struct rte_mbuf **pkts,
			    uint16_t n);
uint16_t tvh_packed_enqueue(struct tvh_vq *vq, struct rte_mbuf *const *pkts,
			    uint16_t n);

/* Count a front-end error on a vq, log it rate limited, mark it broken. */
void tvh_vq_error(struct tvh_vq *vq, enum tvh_dp_err cls, const char *fmt, ...)
	__rte_format_printf(3, 4) __rte_cold;

/* Notify the front-end after used->idx moved from old_used to new_used
 * (already stored). */
void tvh_vq_notify(struct tvh_vq *vq, uint16_t old_used, uint16_t new_used);

/* A packed ring's vring base (position | wrap counter << 15): cfg_base,
 * or without a SET_VRING_BASE and before the ring ever ran, descriptor 0
 * on lap 0, whose wrap counter is 1 (virtio 1.2, 2.8.1); cfg_base's reset
 * value 0 would say wrap 0. Control thread. */
static inline uint16_t
tvh_vq_packed_base(const struct tvh_vq *vq)
{
	return vq->base_is_ours || vq->base_given ? vq->cfg_base : 0x8000u;
}

/* Control side of a queue's life cycle (tvh_vq.c). */
void tvh_vq_init(struct tvh_dev *dev, struct tvh_vq *vq, uint16_t index);

/* How long a stop waits for a burst to leave before it gives up on it
 * (marks the queue stuck and its device for disconnection). A burst takes
 * microseconds; only a datapath blocked in the front-end's call eventfd
 * (which the front-end may have made blocking again, see tvh.h) or a
 * thread descheduled for that long gets there. */
#define TVH_QUIESCE_MS 200u

/* Stop the given queues' datapath and wait (at most TVH_QUIESCE_MS in
 * all) until no burst is inside. Returns 0, or -ETIMEDOUT if some queue
 * is still inside: those are marked stuck (logged, counted in
 * dev->n_stuck), the others are quiesced. */
int tvh_vqs_quiesce(struct tvh_vq *const *vqs, unsigned int n);
/* Stop one queue (no-op if not running), or every running one of an
 * array with a single barrier. A stopped queue's cfg_base is where its
 * datapath stopped. Returns 0, or -ETIMEDOUT if one of them is (or
 * already was) stuck: the caller must then change nothing the datapath
 * of a stuck queue reads, and the device is disconnected (see tvh_msg.c,
 * tvh_ctrl.c). */
int tvh_vq_stop(struct tvh_vq *vq);
int tvh_vqs_stop(struct tvh_vq *vqs, unsigned int n);
/* A stuck queue whose burst has left since: clear stuck and release what
 * was kept for it (its call fd). Returns true if it was thawed. Control
 * thread, with the connection closed. */
bool tvh_vq_thaw(struct tvh_vq *vq);
/* Start a queue if everything it needs is there (kicked, enabled, num,
 * addr, memory). Returns 0, or -errno if its addresses are refused. */
int tvh_vq_try_start(struct tvh_vq *vq);
/* Add what the front-end wrote to the kick eventfd since the last call to
 * vq->kicks (control side, never blocks: the count is read from
 * /proc/self/fdinfo, the eventfd itself is never read). Called before the
 * fd closes and by tvh_vq_extra_stats_get. */
void tvh_vq_drain_kicks(struct tvh_vq *vq);
/* Interrupt mode (tvh_ctrl.c): put vq's kick fd into the control
 * thread's epoll set if it has one and a wake fd is set, else take it
 * out. Control thread or ctl.lock held; call before closing or replacing
 * kick_fd (the front-end holds the same file open, so closing ours does
 * not take it out of the set). */
int tvh_kick_watch(struct tvh_vq *vq);
void tvh_kick_unwatch(struct tvh_vq *vq);
/* A new kick fd: count only what it receives from now on (a front-end
 * may send the file it sent before, whose count was counted). */
void tvh_vq_kick_count_start(struct tvh_vq *vq);
/* Let go of the kick fd: its kicks counted, out of the epoll set, closed
 * (kick_fd -1). */
void tvh_vq_kick_fd_close(struct tvh_vq *vq);
/* Interrupt mode: wake the application sleeping on vq, if it gave a wake
 * fd (a spurious wake-up only makes it poll once). Control thread. */
void tvh_vq_wake(struct tvh_vq *vq);
/* Forget the ring set-up (after GET_VRING_BASE or on reset); fds closed
 * (a stuck queue keeps its call fd until it thaws). */
void tvh_vq_reset(struct tvh_vq *vq, bool close_call);
/* Is fd an eventfd? Made non-blocking if so (0); -EINVAL (with *why)
 * otherwise. For the vring fds the front-end sends. */
int tvh_eventfd_check(int fd, char *why, size_t whylen);

/* ---- Device ---- */

enum tvh_ev_kind {
	TVH_EV_WAKE = 1,
	TVH_EV_LISTEN,
	TVH_EV_CONN,
	TVH_EV_TIMER,
	TVH_EV_SWEEP, /* library-wide: look at stuck queues again */
	TVH_EV_GUARD, /* library-wide: the SIGBUS guard absorbed a fault */
	TVH_EV_KICK,  /* a kick fd watched for interrupt mode (gen: vq) */
};

struct tvh_dev {
	TAILQ_ENTRY(tvh_dev) link;
	uint32_t id; /* names the device in epoll events */
	char path[108];
	char log_name[64];
	bool client;
	bool disabled_tx_discard; /* tvh_config */
	struct tvh_ops ops;
	void *ctx;
	uint16_t n_queue_pairs;
	uint32_t n_vqs;
	uint64_t offered_features;
	uint64_t offered_protocol_features;
	uint64_t max_guest_mem;	  /* tvh_config (default applied) */
	enum tvh_copy_level copy; /* tvh_config.copy resolved (never AUTO) */

	/* control thread (under the control lock) */
	int listen_fd;
	/* accept failed for want of fds or memory: the listen socket is out
	 * of the epoll set until then (CLOCK_MONOTONIC ns; 0: watched). */
	uint64_t listen_resume;
	int conn_fd;
	/* The message being received is incomplete since msg_deadline
	 * minus TVH_MSG_DEADLINE_MS (CLOCK_MONOTONIC ns; 0: none): the
	 * connection is watched edge-triggered meanwhile (conn_et), so
	 * that the bytes already queued do not wake the thread again. */
	uint64_t msg_deadline;
	bool conn_et;
	bool unsealed_logged; /* the NOTICE about unsealed memory */
	int timer_fd;
	uint32_t conn_gen; /* bumped per connection: stale events ignored */
	uint64_t features; /* acked */
	bool features_set;
	uint64_t protocol_features; /* acked */
	uint8_t status;
	bool ready_reported;
	bool ready; /* for tvh_dev_is_ready (atomic access) */
	/* Queues marked stuck (tvh_vqs_quiesce gave up on them). While
	 * non-zero the connection is closed and no new one is taken, the
	 * memory table stays mapped and the device is not freed: see
	 * tvh_ctrl.c, which sweeps them. */
	uint32_t n_stuck;
	struct tvh_mem mem;
	struct tvh_dev_stats stats;
	struct tvh_ratelimit rl_msg;
	struct tvh_ratelimit rl_mem;
	struct tvh_ratelimit rl_ring;

	struct tvh_vq *vqs; /* n_vqs, cache aligned */
};

/* Message dispatch (tvh_msg.c): validate and handle one received message;
 * returns 0, or -errno if the connection must be closed. */
int tvh_msg_handle(struct tvh_dev *dev, struct tvu_msg *msg);

/* Device state changes (tvh_dev.c). */
void tvh_dev_update_ready(struct tvh_dev *dev);
/* Stop every queue, forget features, ring set-ups and memory (kept
 * mapped while a queue is stuck: tvh_dev_thaw unmaps it). */
void tvh_dev_reset(struct tvh_dev *dev);
/* Thaw whatever stuck queue has left its burst; when none is left, unmap
 * the memory kept for them. Returns the number still stuck. Control
 * thread, connection closed. */
uint32_t tvh_dev_thaw(struct tvh_dev *dev);
/* Stop every running queue (before a memory or feature change); 0 or
 * -ETIMEDOUT as tvh_vqs_stop... */
int tvh_dev_pause(struct tvh_dev *dev);
/* ...and start again whatever can run. */
void tvh_dev_resume(struct tvh_dev *dev);

#endif /* TVH_INTERNAL_H */
