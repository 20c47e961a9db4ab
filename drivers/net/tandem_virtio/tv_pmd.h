/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * tv_pmd.h - internal definitions of the net_tandem_virtio PMD (the guest,
 * virtio-user side): configuration, queues, device state.
 *
 * Threading:
 * - A struct tv_rxq / tv_txq is used by one datapath lcore at a time
 *   (ethdev rule). Its ring pointers never change while the port is
 *   started; the control path (re)initialises a queue while the port is
 *   stopped, and touches a started one only to hand it to a new back-end
 *   (tv_rxq_handoff: through the queue's gate, or, with IN_ORDER, by an
 *   offer the datapath takes up itself).
 * - struct tv_dev is shared by the application thread (ethdev ops) and the
 *   EAL interrupt thread (socket hang-up, accept, reconnect alarm); both
 *   take tv_dev.lock. link_told is read without the lock (link_update).
 */
#ifndef TV_PMD_H
#define TV_PMD_H

#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/un.h>

#include <rte_common.h>
#include <rte_ether.h>
#include <rte_log.h>
#include <rte_mbuf.h>
#include <rte_power_intrinsics.h>

#include "tv_vring.h"
#include "tvu.h"

#define TV_DRIVER_NAME net_tandem_virtio

extern int tv_logtype;
extern int tv_logtype_dp;

#define TV_LOG(level, fmt, ...)                                                \
	rte_log(RTE_LOG_##level, tv_logtype, "net_tandem_virtio: " fmt "\n",   \
		##__VA_ARGS__)
/* Datapath messages: a separate log type so they can be silenced, and only
 * ever emitted once per queue state change (a broken back-end cannot flood
 * the log). */
#define TV_DP_LOG(level, fmt, ...)                                             \
	rte_log(RTE_LOG_##level, tv_logtype_dp,                                \
		"net_tandem_virtio: " fmt "\n", ##__VA_ARGS__)

#define TV_MAX_QUEUE_PAIRS    128u
#define TV_DEFAULT_QUEUE_SIZE 256u
#define TV_MAX_RX_PKTLEN      9728u
#define TV_DEFAULT_SPEED      10000u
#define TV_DEFAULT_MTU	      1500u
/* Smallest useful RX buffer after the headroom (dev_infos' min_rx_bufsize,
 * checked again at queue setup). */
#define TV_MIN_RX_ROOM 64u
/* RX refills once this many buffers are free (a quarter of a smaller
 * ring), unless the application's rx_free_thresh says otherwise: mempool
 * gets and the avail index store in bulk. */
#define TV_RX_FREE_THRESH 32u

static inline uint16_t
tv_rx_free_thresh_default(uint16_t nb_desc)
{
	uint16_t q = nb_desc / 4u;

	if (q > TV_RX_FREE_THRESH)
		return TV_RX_FREE_THRESH;
	return q != 0 ? q : 1;
}

/* RX code paths (tv_rx_select.c). The vector ones serve every feature
 * combination the scalar one does and produce identical mbufs. */
enum tv_simd {
	TV_SIMD_AUTO = 0, /* best the CPU and EAL's max SIMD bitwidth allow */
	TV_SIMD_SCALAR,
	TV_SIMD_SSE,	/* SSE4.2, 128 bits */
	TV_SIMD_AVX2,	/* 256 bits */
	TV_SIMD_AVX512, /* AVX-512 F/BW/VL, 512 bits */
};

const char *tv_simd_name(enum tv_simd simd);

/* Devargs, parsed once at probe (tv_devargs.c). */
struct tv_config {
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	bool server;
	uint16_t queues;     /* queue pairs */
	uint16_t queue_size; /* default ring size */
	struct rte_ether_addr mac;
	bool mac_set;
	bool mrg_rxbuf;
	bool in_order;
	bool event_idx;
	bool packed_vq; /* offer VIRTIO_F_RING_PACKED */
	uint32_t speed; /* Mbps */
	uint16_t mtu;
	bool cq; /* stock's control queue switch: accepted, no effect */
	/* Fast-path techniques, each with a switch for ablation (all on by
	 * default; see doc in tv_devargs.c). */
	enum tv_simd simd; /* simd=, vectorized= */
	bool simd_set;
	bool vectorized;
	bool fixed_avail; /* avail ring written once at queue setup */
	bool tx_hdr_push; /* virtio-net header in the mbuf headroom */
	bool bulk;	  /* raw bulk mbuf get/put instead of per mbuf */
};

int tv_parse_devargs(const char *args, struct tv_config *cfg);

/* ---- Queues (tv_queue.c, tv_rxtx.c) ---- */

/* Per-queue counters. The datapath is the only writer; reset stores a
 * snapshot in *_base instead of writing the live counters. */
struct tv_rxq_stats {
	uint64_t packets;
	uint64_t bytes;
	uint64_t err_used_idx;	  /* used->idx moved too far */
	uint64_t err_used_id;	  /* used id not a posted buffer */
	uint64_t err_used_len;	  /* used len out of bounds */
	uint64_t err_num_buffers; /* mergeable count 0 or too large */
	uint64_t drop_scatter;	  /* multi-buffer packet, scatter off */
	uint64_t nombuf;	  /* refill allocation failures */
	uint64_t kicks;
	uint64_t recoveries; /* broken queue revived by a new back-end */
	/* Interrupt mode, counted by the ops (on the polling lcore) */
	uint64_t intr_arms;	  /* rte_eth_dev_rx_intr_enable calls */
	uint64_t intr_self_wakes; /* a buffer waited already: we woke it */
};

struct tv_txq_stats {
	uint64_t packets;
	uint64_t bytes;
	uint64_t err_used_idx;
	uint64_t err_used_id;
	uint64_t drop_too_many_segs; /* chain longer than the ring */
	uint64_t kicks;
	uint64_t recoveries;
};

/* Datapath features, copied into each queue at (re)initialisation: the
 * negotiated ones first, then the local technique switches. */
struct tv_dp_features {
	bool mrg_rxbuf;
	bool in_order;
	bool event_idx;
	bool packed; /* VIRTIO_F_RING_PACKED: packed rings (tv_packed.c) */
	bool fixed_avail;
	bool tx_hdr_push;
	bool bulk;
};

/* Without IN_ORDER, and on packed rings, a handoff to a new back-end
 * rewrites the rings while the port runs, so it must have the queue to
 * itself: the datapath holds `busy` for the length of each burst and does
 * not start one while `closed` (tv_rxtx.h dp_gate_enter; tv_queue.c
 * gate_close). A Dekker pair on lib/membar's asymmetric barrier (tmb.h:
 * a compiler barrier per burst, membarrier on the control side): a burst
 * that passes the gate is waited for, one that comes later sees it
 * closed. Both words share the datapath's line: the control path reads
 * them only during a handoff. */
struct tv_dp_gate {
	uint32_t busy;	 /* datapath writes: inside a burst */
	uint32_t closed; /* control path writes: no burst may start */
};

/* RX (virtio receiveq 2q). Split: fixed avail layout, avail->ring[i] = i,
 * written once; buffer k of the stream always sits in descriptor k % num
 * (without IN_ORDER a handoff may move entries; refill puts them back,
 * tv_rxtx.c). Packed (tv_packed.c): avail_idx and used_idx are free-running
 * descriptor indexes that also carry the wrap counters (tv_packed_wrap);
 * with IN_ORDER buffer id = descriptor position, else ids come from
 * free_ids. */
struct tv_rxq {
	union {
		struct tv_split ring;	/* split queues */
		struct tv_packed pring; /* packed queues */
	};
	uint16_t mask;
	uint16_t avail_idx; /* next avail index we publish */
	uint16_t used_idx;  /* next used entry we consume */
	uint16_t n_posted;  /* buffers owned by the back-end */
	/* Refill once refill_at buffers are free: free_thresh (the
	 * application's rx_free_thresh, or tv_rx_free_thresh_default),
	 * lowered at start so that a packet of the most buffers one packet
	 * can take always finds them (see tv_rxq_reset). */
	uint16_t free_thresh;
	uint16_t refill_at;
	uint16_t used_event_at; /* used_idx when used_event was last moved */
	uint16_t port_id;
	bool mrg_rxbuf;
	bool in_order;
	bool event_idx;
	bool scatter;
	bool fixed_avail;
	bool bulk;
	bool packed;
	/* The back-end misbehaved: no RX until the port restarts or a new
	 * back-end attaches (tv_rxq_handoff). Written by the datapath, and by
	 * the control path only while the gate is closed. */
	bool broken;
	bool drop_logged; /* scatter drop reported once */
	/* Interrupt mode: the application armed the queue's call eventfd
	 * (rte_eth_dev_rx_intr_enable) and the ring asks for calls; the
	 * datapath then leaves used_event alone (park_used_event). Written
	 * by the ops on the lcore that polls the queue. */
	bool intr_armed;
	uint32_t hdr_len;
	uint32_t buf_len; /* bytes posted per descriptor, header included */
	/* data_off, refcnt, nb_segs, port of a received mbuf (rte_mbuf's
	 * rearm_data), of a head and of a continuation buffer. */
	uint64_t mbuf_initializer;
	uint64_t seg_initializer;
	/* Buffer address = mbuf address + buf_off for every mbuf of the pool
	 * (rte_pktmbuf_init's layout): refill need not read the mbuf. */
	uint32_t buf_off;
	struct rte_mempool *mp;
	/* [num]: mbuf posted in descriptor i (split) or as buffer id i
	 * (packed), or NULL */
	struct rte_mbuf **sw;
	uint16_t *free_ids; /* [num], packed without IN_ORDER: a stack */
	uint16_t n_free_ids;
	int kick_fd;
	uint32_t recover_seen; /* datapath: last recover_gen acted on */
	/* Split without IN_ORDER, and packed queues (tv_packed.c) */
	struct tv_dp_gate gate;
	struct tv_rxq_stats stats;

	/* Control path writes, datapath reads (IN_ORDER queues): recover_gen
	 * is bumped (release) when a new back-end took over the broken queue
	 * with used->idx rewound to recover_used_idx (tv_queue.c). */
	uint32_t recover_gen __rte_cache_aligned;
	uint16_t recover_used_idx;
	/* control path only */
	struct tv_rxq_stats stats_base;
	uint16_t queue_id;
	/* The call eventfd the back-end writes to wake an lcore sleeping
	 * in interrupt mode: one of the port's interrupt handle (owned by
	 * tv_ethdev.c), set at start; -1 in poll mode (SET_VRING_CALL then
	 * sends no fd). Control path and the interrupt ops. */
	int call_fd;
	void *ring_mem;
	size_t ring_bytes;
};

/* Descriptor bookkeeping of TX: one entry per descriptor position; a chain
 * head holds the mbuf (NULL once completed) and its descriptor count. */
struct tv_tx_slot {
	struct rte_mbuf *m;
	/* Non-NULL if m is one direct segment with refcnt 1: it goes
	 * straight back to this pool (rte_mempool_put_bulk) when completed,
	 * without touching the mbuf again. */
	struct rte_mempool *pool;
	uint16_t ndesc; /* 0: not the head of a chain in flight */
	/* Packed without IN_ORDER: the chain's place in the order of
	 * submission (a handoff sends the chains in flight again in it). */
	uint32_t seq;
};

/* TX (virtio transmitq 2q+1). Chains occupy consecutive descriptor
 * positions [desc_tail, desc_head) in ring order (what IN_ORDER requires).
 * Split: sw[] is indexed by head position. Packed (tv_packed.c):
 * desc_head/desc_tail are free-running indexes carrying the wrap counter,
 * sw[] is indexed by buffer id (the head position with IN_ORDER, else an
 * id from free_ids), avail_idx and used_idx are unused. */
struct tv_txq {
	union {
		struct tv_split ring;	/* split queues */
		struct tv_packed pring; /* packed queues */
	};
	uint16_t mask;
	uint16_t avail_idx; /* next avail index we publish */
	uint16_t used_idx;  /* next used entry we consume */
	uint16_t desc_head; /* next free descriptor position (mod 2^16) */
	uint16_t desc_tail; /* oldest descriptor still owned by the back-end */
	uint16_t nb_free; /* descriptors free: num - (desc_head - desc_tail) */
	uint16_t n_inflight; /* chains not yet completed */
	uint16_t used_event_at;
	uint16_t port_id;
	bool in_order;
	bool event_idx;
	bool fixed_avail;
	bool hdr_push;
	bool bulk;
	bool packed;
	bool broken; /* as tv_rxq.broken */
	bool drop_logged;
	uint32_t hdr_len;
	struct tv_tx_slot *sw;	     /* [num] */
	struct tv_net_hdr_mrg *hdrs; /* [num], DPDK memory: separate headers */
	uint16_t *free_ids;	     /* as in tv_rxq */
	uint16_t n_free_ids;
	uint32_t next_seq; /* packed without IN_ORDER: tv_tx_slot.seq */
	int kick_fd;
	uint32_t recover_seen;
	struct tv_dp_gate gate;
	struct tv_txq_stats stats;

	uint32_t recover_gen __rte_cache_aligned; /* as in tv_rxq */
	uint16_t recover_used_idx;
	/* control path only */
	struct tv_txq_stats stats_base;
	uint16_t queue_id;
	void *ring_mem;
	size_t ring_bytes;
};

int tv_rxq_create(struct tv_rxq **out, uint16_t port_id, uint16_t queue_id,
		  uint16_t nb_desc, int socket_id, struct rte_mempool *mp);
void tv_rxq_free(struct tv_rxq *rxq);
int tv_rxq_reset(struct tv_rxq *rxq, const struct tv_dp_features *f,
		 bool scatter);
void tv_rxq_drain(struct tv_rxq *rxq);

int tv_txq_create(struct tv_txq **out, uint16_t queue_id, uint16_t nb_desc,
		  int socket_id);
void tv_txq_free(struct tv_txq *txq);
void tv_txq_reset(struct tv_txq *txq, const struct tv_dp_features *f);
void tv_txq_drain(struct tv_txq *txq);
/* A new back-end is about to be handed the (started) queue, the old one
 * is gone: make [used->idx, avail->idx) exactly the buffers (RX) or chains
 * (TX) the driver still has outstanding, and revive a queue the old
 * back-end broke. Control path, before SET_VRING_BASE, which then sends
 * used->idx. Returns 0, or -ETIMEDOUT if the datapath did not leave a
 * burst within a second, or -ENOMEM (packed TX without IN_ORDER); the
 * queue is left as it was. See tv_queue.c. */
int tv_rxq_handoff(struct tv_rxq *rxq);
int tv_txq_handoff(struct tv_txq *txq);

/* Scalar split-ring datapath (tv_rxtx.c). */
uint16_t tv_rx_burst_split(void *rxq, struct rte_mbuf **pkts, uint16_t nb_pkts);
/* The ethdev get_monitor_addr op (PMD power management, monitor mode):
 * the word whose write announces rxq's next received buffer. */
int tv_rx_monitor_addr(void *rxq, struct rte_power_monitor_cond *pmc);
/* Interrupt mode: ask the back-end to call on the next received buffer
 * (arm) or never (disarm), through used_event, avail->flags or the packed
 * driver event structure. Arming returns true if a buffer is already
 * waiting, which the back-end may never call for. From the lcore that
 * polls the queue (or with the queue not polled). */
bool tv_rxq_intr_arm(struct tv_rxq *rxq, bool on);
uint16_t tv_tx_burst_split(void *txq, struct rte_mbuf **pkts, uint16_t nb_pkts);
/* Post free RX buffers; returns how many were posted. Either layout (the
 * datapath calls its own). */
uint16_t tv_rxq_refill(struct tv_rxq *rxq);
uint16_t tv_rxq_refill_split(struct tv_rxq *rxq);
/* Take back what the back-end completed (the start of every TX burst).
 * Either layout. */
void tv_txq_reclaim(struct tv_txq *txq);

/* Packed-ring datapath (tv_packed.c). */
uint16_t tv_rx_burst_packed(void *rxq, struct rte_mbuf **pkts,
			    uint16_t nb_pkts);
uint16_t tv_tx_burst_packed(void *txq, struct rte_mbuf **pkts,
			    uint16_t nb_pkts);
uint16_t tv_rxq_refill_packed(struct tv_rxq *rxq);
void tv_txq_reclaim_packed(struct tv_txq *txq);
/* Lay out and zero a packed ring in the queue's ring memory (reset). */
void tv_rxq_reset_packed(struct tv_rxq *rxq);
void tv_txq_reset_packed(struct tv_txq *txq);
/* Handoff of a packed queue, gate closed (tv_queue.c): take what the old
 * back-end completed (TX), then make [used, avail) list every buffer still
 * outstanding again, written from the driver's own records, and the rest
 * of the ring what an honest device leaves behind. Returns 0, or -ENOMEM
 * (TX without IN_ORDER: no memory to sort the chains, queue unchanged). */
void tv_rxq_resync_packed(struct tv_rxq *rxq);
int tv_txq_resync_packed(struct tv_txq *txq);

/* What SET_VRING_ADDR / SET_VRING_BASE tell the back-end about a ring:
 * its three areas and where the back-end starts (split: used->idx in the
 * ring; packed: position and wrap counter of the oldest outstanding
 * descriptor, for both its avail and its used index). Control path, after
 * the handoff. */
struct tv_vring_info {
	uint32_t num;
	uint64_t desc, avail, used; /* user addresses */
	uint32_t base;
};
void tv_rxq_vring_info(const struct tv_rxq *rxq, struct tv_vring_info *vi);
void tv_txq_vring_info(const struct tv_txq *txq, struct tv_vring_info *vi);

/* Vector RX (tv_rx_sse.c, tv_rx_avx2.c, tv_rx_avx512.c): same contract and
 * same mbufs as tv_rx_burst_split; callable only where tv_simd_cpu_has()
 * says the CPU has the instructions. */
uint16_t tv_rx_burst_split_sse(void *rxq, struct rte_mbuf **pkts,
			       uint16_t nb_pkts);
uint16_t tv_rx_burst_split_avx2(void *rxq, struct rte_mbuf **pkts,
				uint16_t nb_pkts);
uint16_t tv_rx_burst_split_avx512(void *rxq, struct rte_mbuf **pkts,
				  uint16_t nb_pkts);

/* RX path selection (tv_rx_select.c). */
typedef uint16_t (*tv_rx_burst_fn)(void *rxq, struct rte_mbuf **pkts,
				   uint16_t nb_pkts);
/* Does this CPU have the instructions of `simd`? (AUTO, SCALAR: true) */
bool tv_simd_cpu_has(enum tv_simd simd);
/* The level `want` resolves to here: AUTO picks the best the CPU and
 * rte_vect_get_max_simd_bitwidth() allow; a forced level is taken as is
 * (the caller checked tv_simd_cpu_has at probe). */
enum tv_simd tv_simd_resolve(enum tv_simd want);
tv_rx_burst_fn tv_rx_burst_for(enum tv_simd simd);

/* ---- Memory table (tv_mem.c) ---- */

/* Describe all fd-backed EAL memory as vhost-user regions (guest physical
 * address = user address = virtual address). fds[] are EAL's own: do not
 * close them. The caller holds EAL's memory hotplug lock (for reading, or
 * inside a memory event callback). Returns 0 or -errno with a message in
 * err[errlen]. */
int tv_mem_table_build(struct tvu_memory *mem, int fds[TVU_MAX_MEM_REGIONS],
		       char *err, size_t errlen);

/* ---- Device ---- */

struct rte_eth_dev;
struct rte_intr_handle;

struct tv_dev {
	struct tv_config cfg;
	struct rte_eth_dev *eth_dev;
	pthread_mutex_t lock; /* control path: ops vs interrupt thread */

	int sock;      /* connection to the back-end, -1 if none */
	int listen_fd; /* server mode */
	struct rte_intr_handle *sock_intr;
	struct rte_intr_handle *listen_intr;
	bool sock_intr_on;
	bool listen_intr_on;
	/* accept failures in a row (server mode), and when the last was
	 * logged (timer cycles): vu_listen_event backs off meanwhile. */
	uint64_t accept_fails;
	uint64_t accept_logged;
	bool alarm_on;
	bool mem_event_on; /* EAL memory event callback registered */
	bool closing;

	bool connected; /* negotiated with the back-end on `sock` */
	bool started;	/* dev_start done */
	bool dp_valid;	/* dp holds what the started queues assume */
	struct tv_dp_features dp;
	uint64_t features;	    /* negotiated virtio features */
	uint64_t protocol_features; /* negotiated vhost-user features */
	uint32_t backend_queue_pairs;
	uint16_t nb_pairs;    /* vrings set up at start: min(nb_rxq, nb_txq) */
	enum tv_simd rx_simd; /* RX path of the started port (split) */
	bool rx_packed;	      /* the started port runs packed rings */

	/* Link state events (tv_vhost_user.c, lsc_take): link_up is the
	 * state now (a back-end attached and the port started), link_told
	 * the one the application was last told, which link_update reports
	 * (read lock-free); lsc_changes counts the changes of link_up since
	 * then; lsc_alarm says vu_lsc_alarm is pending. */
	uint8_t link_up;
	uint8_t link_told;
	uint32_t lsc_changes;
	bool lsc_alarm;
	/* The negotiated_features xstat: `features` while connected, 0
	 * otherwise. Written under the lock (vu_set_connected), read
	 * lock-free by xstats_get, which must not wait behind a back-end
	 * that is slow to answer. */
	uint64_t features_shown;
};

/* Front-end control (tv_vhost_user.c). All take dev->lock themselves
 * except where noted. */
int tv_vu_init(struct tv_dev *dev);  /* probe: connect or listen */
void tv_vu_fini(struct tv_dev *dev); /* close: stop callbacks, close fds */
int tv_vu_start(struct tv_dev *dev); /* dev_start */
void tv_vu_stop(struct tv_dev *dev); /* dev_stop */
void tv_vu_features_wanted(const struct tv_config *cfg, uint64_t *features);

/* Called with dev->lock held, from tv_vhost_user.c: recompute the link
 * state, counting a change for the next event (lsc_changes). */
void tv_link_refresh(struct tv_dev *dev);
/* Lock held: set the state the application sees (link_told). */
void tv_link_tell(struct tv_dev *dev, uint8_t up);
/* Without the lock: run the application's LSC callbacks. */
void tv_raise_lsc(struct tv_dev *dev);

/* Stats (tv_stats.c) */
struct rte_eth_stats;
struct rte_eth_xstat;
struct rte_eth_xstat_name;
int tv_stats_get(struct rte_eth_dev *eth_dev, struct rte_eth_stats *st);
int tv_stats_reset(struct rte_eth_dev *eth_dev);
int tv_xstats_get(struct rte_eth_dev *eth_dev, struct rte_eth_xstat *xs,
		  unsigned int n);
int tv_xstats_get_names(struct rte_eth_dev *eth_dev,
			struct rte_eth_xstat_name *names, unsigned int size);

#endif /* TV_PMD_H */
