/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * tvhp.h - internals of the net_tandem_vhost PMD (host side ethdev over
 * lib/vhost). Not installed; nothing here is exported from the plugin.
 *
 * Threading:
 *  - ethdev control ops (configure, start, stop, close, stats, ...) run on
 *    the application's control thread, one at a time per port (DPDK rule);
 *  - the tvh_ops callbacks (link up/down, virtqueue state) run on
 *    lib/vhost's control thread, with the library's control lock held:
 *    they only record and schedule an EAL alarm, which sets the link
 *    status (atomic in ethdev) and runs the application's LSC or
 *    QUEUE_STATE callbacks on the EAL interrupt thread, where
 *    they may use any ethdev call (xstats take that same lock, close
 *    joins that thread);
 *  - rx/tx bursts run on the datapath lcores, one thread per queue.
 * Close stops new alarms (alarm_lock, alarms_closed), cancels pending ones and
 * waits for one being delivered, then destroys the tvh_dev, which waits
 * for lib/vhost's control thread: after that nothing else runs on the
 * private data and it may be freed.
 */
#ifndef TVHP_H
#define TVHP_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/un.h>

#include <ethdev_driver.h>
#include <rte_log.h>

#include "tvh.h"

/* Largest frame (and the MTU derived from it) the port advertises. The
 * library chains mbufs, so the limit only has to cover jumbo frames. */
#define TVHP_MAX_RX_PKTLEN  9728u
#define TVHP_MIN_RX_BUFSIZE 64u

extern int tvhp_logtype;
#define TVHP_LOG(level, fmt, ...)                                              \
	rte_log(RTE_LOG_##level, tvhp_logtype, "net_tandem_vhost: " fmt "\n",  \
		##__VA_ARGS__)

/* What the devargs asked for (tvhp_args.c). */
struct tvhp_args {
	char iface[sizeof(((struct sockaddr_un *)0)->sun_path)];
	uint16_t queues; /* queue pairs offered to the guest */
	bool client;
	bool disabled_tx_discard; /* tvh_config.disabled_tx_discard */
	uint64_t max_guest_mem;	  /* tvh_config.max_guest_mem (0: default) */
	enum tvh_copy_level copy; /* tvh_config.copy */
};

/* Everything lib/vhost counts for one virtqueue: the datapath counters and
 * the control-path ones (read with a lock and a system call, so only for
 * xstats). Both structs are all uint64_t, so this has no padding and the
 * xstats table in tvhp_stats.c can index it as an array. */
struct tvhp_vq_snap {
	struct tvh_vq_stats s;
	struct tvh_vq_extra_stats x;
};

/* A receive queue: packets the guest transmitted (odd virtqueue 2q+1). */
struct tvhp_rxq {
	struct tvh_dev *dev;
	struct rte_mempool *pool;
	const bool *started; /* the port's started flag */
	uint16_t vq;
	uint16_t port_id;
	uint16_t qid;
} __rte_cache_aligned;

/* A transmit queue: packets for the guest (even virtqueue 2q). */
struct tvhp_txq {
	struct tvh_dev *dev;
	const bool *started;
	uint16_t vq;
	uint16_t qid;
	/* Packets the burst could not send (no room in the guest's ring),
	 * left to the caller: lib/vhost counts such bursts (no_room), ethdev
	 * wants packets. Written only by the queue's datapath thread; added
	 * to the port's unsent_gone[] when the queue is released, so that
	 * the count outlives a new set-up of the queue, as lib/vhost's
	 * per-virtqueue counters do. */
	uint64_t unsent;
} __rte_cache_aligned;

/* The ethdev's dev_private. */
struct tvhp_priv {
	struct rte_eth_dev *eth_dev;
	struct tvh_dev *dev; /* NULL once closed */
	struct tvhp_args args;
	char name[RTE_DEV_NAME_MAX_LEN];
	/* Set by dev_start/dev_stop, read by the bursts with a plain load.
	 * ethdev forbids bursts concurrent with start/stop, so no ordering is
	 * needed: the flag only makes a burst on a stopped port a no-op. */
	bool started;
	/* Counter values at the last stats reset, per virtqueue (2 * queues)
	 * and for the device; see tvhp_stats.c for why not
	 * tvh_vq_stats_reset(). */
	struct tvhp_vq_snap *vq_base;
	struct tvh_dev_stats dev_base;
	/* Per tx queue index (args.queues): unsent packets of the queue's
	 * released set-ups, and the total at the last stats reset. */
	uint64_t *unsent_gone;
	uint64_t *unsent_base;
	/* Orders scheduling an alarm (LSC, queue state; lib/vhost's control
	 * thread) against close: once close has set alarms_closed under it,
	 * no alarm is scheduled any more, so the cancels that follow catch
	 * them all. Also guards the queue state below (lib/vhost's control
	 * thread writes qs_cur, the alarm clears qs_alarm, the application's
	 * thread takes changes). */
	pthread_mutex_t alarm_lock;
	bool alarms_closed;
	/* LSC (tvhp_lsc_deliver): lsc_up is the guest's latest state,
	 * lsc_changes the changes since the state the application was last
	 * told, lsc_alarm whether an LSC alarm is pending. */
	bool lsc_up;
	bool lsc_alarm;
	uint32_t lsc_changes;
	/* For rte_eth_tandem_vhost_get_queue_event: qs_cur[vq] is whether
	 * the guest serves vq now, qs_seen[vq] what the application was last
	 * told; qs_next is where the round robin resumes. qs_alarm: a
	 * QUEUE_STATE alarm is pending (changes coalesce into it). */
	bool qs_cur[2 * TVH_MAX_QUEUE_PAIRS];
	bool qs_seen[2 * TVH_MAX_QUEUE_PAIRS];
	uint16_t qs_next;
	bool qs_alarm;
};

/* tvhp_args.c */
int tvhp_args_parse(const char *name, const char *devargs,
		    struct tvhp_args *out);

/* tvhp_rxtx.c */
uint16_t tvhp_rx_burst(void *queue, struct rte_mbuf **pkts, uint16_t n);
uint16_t tvhp_tx_burst(void *queue, struct rte_mbuf **pkts, uint16_t n);

/* tvhp_stats.c */
int tvhp_stats_init(struct tvhp_priv *priv, int socket);
void tvhp_stats_fini(struct tvhp_priv *priv);
int tvhp_stats_get(struct rte_eth_dev *eth_dev, struct rte_eth_stats *st);
int tvhp_stats_reset(struct rte_eth_dev *eth_dev);
int tvhp_xstats_get_names(struct rte_eth_dev *eth_dev,
			  struct rte_eth_xstat_name *names, unsigned int size);
int tvhp_xstats_get(struct rte_eth_dev *eth_dev, struct rte_eth_xstat *xstats,
		    unsigned int n);

#endif /* TVHP_H */
