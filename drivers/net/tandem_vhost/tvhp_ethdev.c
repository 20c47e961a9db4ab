/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * tvhp_ethdev.c - the net_tandem_vhost vdev driver: probe/remove, the
 * ethdev control ops and link state (LSC) events from lib/vhost.
 *
 * Life cycle: probe allocates the ethdev, then creates the tvh_dev (its
 * socket listens or connects from then on, so a guest may attach at any
 * time, even before dev_configure). Link follows the library's ready and
 * gone reports, through the LSC events below.
 *
 * LSC events: the library reports ready/gone on its control thread with
 * its control lock held, and xstats take that lock. Running the
 * application's LSC callbacks there would hang any callback that waits for
 * another thread reading xstats (or takes an application lock that such a
 * thread holds), and stall every device of the process meanwhile. So each
 * change schedules an EAL alarm, which sets the link status and runs the
 * callbacks on the interrupt thread, like a hardware PMD's interrupt. The
 * status changes only there (link_update reads it, never the library), so
 * an application sees up/down exactly as the events tell it, in order, and
 * a callback finds the status of its own event. Changes that come while
 * an event is pending coalesce: to one event when the state changed, to
 * a down-up (or up-down) pair when it came back (tvhp_lsc_deliver).
 *
 * Close first stops and drains those alarms, then destroys the tvh_dev
 * (which waits for lib/vhost's control thread): no callback of ours and
 * no application LSC callback we started can touch the private data that
 * ethdev frees after close.
 */
#include <errno.h>
#include <string.h>

#include <bus_vdev_driver.h>
#include <ethdev_vdev.h>
#include <rte_alarm.h>
#include <rte_errno.h>
#include <rte_malloc.h>

#include "rte_eth_tandem_vhost.h"
#include "tei.h"
#include "tvhp.h"

RTE_LOG_REGISTER_SUFFIX(tvhp_logtype, init, NOTICE);

static void
tvhp_link_fill(struct rte_eth_link *link, bool up)
{
	memset(link, 0, sizeof(*link));
	/* A software port has no speed; report what the stock vhost does. */
	link->link_speed = RTE_ETH_SPEED_NUM_10G;
	link->link_duplex = RTE_ETH_LINK_FULL_DUPLEX;
	link->link_autoneg = RTE_ETH_LINK_FIXED;
	link->link_status = up ? RTE_ETH_LINK_UP : RTE_ETH_LINK_DOWN;
}

/* ---- LSC delivery (EAL interrupt thread) ---- */

static void
tvhp_link_set(struct rte_eth_dev *eth_dev, bool up)
{
	struct rte_eth_link link;

	tvhp_link_fill(&link, up);
	/* An atomic exchange: safe against readers on any thread. */
	rte_eth_linkstatus_set(eth_dev, &link);
}

/* Under alarm_lock: have one alarm `cb` pending (*pending says whether
 * one is), unless close began. Returns rte_eal_alarm_set's error, or 0. */
static int
tvhp_alarm_once(struct tvhp_priv *priv, bool *pending, uint64_t us,
		rte_eal_alarm_callback cb)
{
	int ret;

	if (*pending || priv->alarms_closed)
		return 0;
	ret = rte_eal_alarm_set(us, cb, priv->eth_dev);
	*pending = ret == 0;
	return ret;
}

static void tvhp_lsc_deliver(void *arg);

/* The LSC alarm. Its argument is the ethdev (an entry of rte_eth_devices[],
 * never freed): an application callback may close the port, so the
 * private data is used only before the callbacks run, under alarm_lock.
 *
 * Changes coalesce (one alarm pending at a time, as for queue states):
 * lsc_changes counts the changes since the state the application was last
 * told. An odd count is one event, to the latest state; an even one is a
 * bounce (the link went away and came back, or the reverse) and gives two
 * events, the opposite state now and the latest in an alarm set before the
 * callbacks run. Changes spaced further apart than a delivery are one
 * event each, as before.
 *
 * The status is written under alarm_lock, here and in tvhp_link_event
 * (only when it cannot schedule an alarm), so the last writer always
 * writes the latest state, and a callback finds its own event's status
 * unless such a failure wrote a newer one meanwhile. */
static void
tvhp_lsc_deliver(void *arg)
{
	struct rte_eth_dev *eth_dev = arg;
	struct tvhp_priv *priv = eth_dev->data->dev_private;
	bool tell = false;
	int ret = 0;

	pthread_mutex_lock(&priv->alarm_lock);
	priv->lsc_alarm = false;
	if (priv->lsc_changes % 2 == 1) {
		tell = true;
		priv->lsc_changes = 0;
		tvhp_link_set(eth_dev, priv->lsc_up);
	} else if (priv->lsc_changes != 0) {
		/* A bounce: the opposite state now, the latest next. Not
		 * told when close runs (the status is the latest already,
		 * and close sets it down) or no alarm can be set. */
		ret = tvhp_alarm_once(priv, &priv->lsc_alarm, 1,
				      tvhp_lsc_deliver);
		tell = priv->lsc_alarm;
		priv->lsc_changes = tell ? 1 : 0;
		if (tell)
			tvhp_link_set(eth_dev, !priv->lsc_up);
	}
	pthread_mutex_unlock(&priv->alarm_lock);
	if (ret != 0)
		TVHP_LOG(ERR,
			 "%s: cannot schedule the second event of a link "
			 "bounce (%s): not told",
			 priv->name, rte_strerror(-ret));
	if (tell)
		rte_eth_dev_callback_process(eth_dev, RTE_ETH_EVENT_INTR_LSC,
					     NULL);
}

/* ---- lib/vhost callbacks (its control thread, control lock held) ---- */

/* The library reports changes only (up, down, up, ...), so every call is
 * a change. A guest that toggles its first queue pair faster than the
 * application's LSC callbacks return costs one pending alarm, not one per
 * change (tvhp_lsc_deliver). */
static void
tvhp_link_event(struct tvhp_priv *priv, bool up)
{
	int ret;

	TVHP_LOG(INFO, "%s: guest %s, link %s", priv->name,
		 up ? "ready" : "gone", up ? "up" : "down");
	pthread_mutex_lock(&priv->alarm_lock);
	priv->lsc_up = up;
	priv->lsc_changes++;
	ret = tvhp_alarm_once(priv, &priv->lsc_alarm, 1, tvhp_lsc_deliver);
	/* No event, but the status is right; the next change schedules
	 * again. */
	if (ret != 0)
		tvhp_link_set(priv->eth_dev, up);
	pthread_mutex_unlock(&priv->alarm_lock);
	if (ret != 0)
		TVHP_LOG(ERR, "%s: cannot schedule the link %s event: %s",
			 priv->name, up ? "up" : "down", rte_strerror(-ret));
}

static void
tvhp_device_ready(struct tvh_dev *dev, void *ctx)
{
	RTE_SET_USED(dev);
	tvhp_link_event(ctx, true);
}

static void
tvhp_device_gone(struct tvh_dev *dev, void *ctx)
{
	RTE_SET_USED(dev);
	tvhp_link_event(ctx, false);
}

/* ---- Queue state events (rte_eth_tandem_vhost.h) ---- */

/* How long changes gather before the application is told (the stock
 * driver tells it at once, from its vhost thread). */
#define TVHP_QSTATE_DELAY_US 10000u

/* EAL interrupt thread. Like tvhp_lsc_deliver, uses nothing of ours after
 * the callbacks return (close may run inside them). */
static void
tvhp_qstate_deliver(void *arg)
{
	struct rte_eth_dev *eth_dev = arg;
	struct tvhp_priv *priv = eth_dev->data->dev_private;

	/* Changes from now on schedule another alarm: none is lost between
	 * this and the application's last get_queue_event. */
	pthread_mutex_lock(&priv->alarm_lock);
	priv->qs_alarm = false;
	pthread_mutex_unlock(&priv->alarm_lock);
	rte_eth_dev_callback_process(eth_dev, RTE_ETH_EVENT_QUEUE_STATE, NULL);
}

static void
tvhp_vring_state(struct tvh_dev *dev, void *ctx, uint16_t vq, bool enabled)
{
	struct tvhp_priv *priv = ctx;
	int ret;

	RTE_SET_USED(dev);
	TVHP_LOG(DEBUG, "%s: guest %s virtqueue %u", priv->name,
		 enabled ? "enabled" : "disabled", vq);
	if (vq >= RTE_DIM(priv->qs_cur))
		return;
	/* One alarm for any number of changes, set TVHP_QSTATE_DELAY_US
	 * ahead: a guest toggling its rings costs at most one alarm (an
	 * allocation, a timerfd update, a pass over the callbacks) per
	 * delay, not one per message. */
	pthread_mutex_lock(&priv->alarm_lock);
	priv->qs_cur[vq] = enabled;
	ret = tvhp_alarm_once(priv, &priv->qs_alarm, TVHP_QSTATE_DELAY_US,
			      tvhp_qstate_deliver);
	pthread_mutex_unlock(&priv->alarm_lock);
	if (ret != 0)
		TVHP_LOG(ERR, "%s: cannot schedule the queue state event: %s",
			 priv->name, rte_strerror(-ret));
}

static const struct tvh_ops tvhp_tvh_ops = {
	.device_ready = tvhp_device_ready,
	.device_gone = tvhp_device_gone,
	.vring_state = tvhp_vring_state,
};

/* ---- ethdev ops (application's control thread) ---- */

/* ---- RX interrupts (intr_conf.rxq, DESIGN technique 7) ----
 *
 * An RX queue sleeps until the guest kicks its transmit ring: the port's
 * interrupt handle (lib/ethintr) holds one eventfd per RX queue, which
 * lib/vhost's control thread writes when the guest's kick fd fires (the
 * kick fd itself changes with every connection; ours stay put for the
 * application's epoll sets). rx_intr_enable asks the guest to kick
 * (tvh_vq_notify_arm) and wakes the sleeper itself when buffers wait
 * already. */

static int
tvhp_intr_configure(struct rte_eth_dev *eth_dev)
{
	struct tvhp_priv *priv = eth_dev->data->dev_private;
	const char *what = "";
	uint16_t q;
	int ret;

	/* lib/vhost lets go of the old fds before they may close. */
	for (q = 0; q < priv->args.queues; q++)
		tvh_vq_set_wake_fd(priv->dev, (uint16_t)(2 * q + 1), -1);
	ret = tei_configure(eth_dev, &what);
	if (ret < 0) {
		TVHP_LOG(ERR,
			 "%s: rx interrupts (intr_conf.rxq): %s for %u queues: "
			 "%s",
			 priv->name, what, eth_dev->data->nb_rx_queues,
			 strerror(-ret));
		return ret;
	}
	for (q = 0; q < eth_dev->data->nb_rx_queues; q++)
		tvh_vq_set_wake_fd(priv->dev, (uint16_t)(2 * q + 1),
				   tei_fd(eth_dev, q));
	return 0;
}

/* tei_queue_check, logged. */
static int
tvhp_intr_check(struct rte_eth_dev *eth_dev, uint16_t qid, bool enable)
{
	const struct tvhp_priv *priv = eth_dev->data->dev_private;
	const char *why = "";
	int ret = tei_queue_check(eth_dev, priv->started, enable, &why);

	if (ret < 0)
		TVHP_LOG(ERR, "%s: rx queue %u: %s", priv->name, qid, why);
	return ret;
}

/* From the lcore that polls the queue, between polls. */
static int
tvhp_rx_queue_intr_enable(struct rte_eth_dev *eth_dev, uint16_t qid)
{
	const struct tvhp_priv *priv = eth_dev->data->dev_private;
	const struct tvhp_rxq *rxq = eth_dev->data->rx_queues[qid];
	int ret = tvhp_intr_check(eth_dev, qid, true);

	if (ret < 0)
		return ret;
	ret = tvh_vq_notify_arm(rxq->dev, rxq->vq, true);
	if (ret < 0)
		return ret;
	/* The guest made buffers available before our request and will not
	 * kick for them, or no kick would reach us (a ring without a kick
	 * fd): the wake-up comes from us. */
	if (ret > 0 && !tei_wake(tei_fd(eth_dev, qid)))
		TVHP_LOG(WARNING, "%s: rx queue %u: wake-up failed: %s",
			 priv->name, qid, strerror(errno));
	return 0;
}

static int
tvhp_rx_queue_intr_disable(struct rte_eth_dev *eth_dev, uint16_t qid)
{
	const struct tvhp_rxq *rxq = eth_dev->data->rx_queues[qid];
	int ret = tvhp_intr_check(eth_dev, qid, false);

	if (ret < 0)
		return ret;
	ret = tvh_vq_notify_arm(rxq->dev, rxq->vq, false);
	return ret < 0 ? ret : 0;
}

static int
tvhp_dev_configure(struct rte_eth_dev *eth_dev)
{
	const struct tvhp_priv *priv = eth_dev->data->dev_private;

	if (eth_dev->data->nb_rx_queues > priv->args.queues ||
	    eth_dev->data->nb_tx_queues > priv->args.queues) {
		TVHP_LOG(ERR,
			 "%s: %u rx / %u tx queues asked, the port has %u "
			 "(devarg queues)",
			 priv->name, eth_dev->data->nb_rx_queues,
			 eth_dev->data->nb_tx_queues, priv->args.queues);
		return -EINVAL;
	}
	return tvhp_intr_configure(eth_dev);
}

static int
tvhp_dev_infos_get(struct rte_eth_dev *eth_dev, struct rte_eth_dev_info *info)
{
	const struct tvhp_priv *priv = eth_dev->data->dev_private;

	info->max_mac_addrs = 1;
	info->max_rx_queues = priv->args.queues;
	info->max_tx_queues = priv->args.queues;
	info->max_rx_pktlen = TVHP_MAX_RX_PKTLEN;
	info->min_rx_bufsize = TVHP_MIN_RX_BUFSIZE;
	info->min_mtu = RTE_ETHER_MIN_MTU;
	info->max_mtu =
		TVHP_MAX_RX_PKTLEN - RTE_ETHER_HDR_LEN - RTE_ETHER_CRC_LEN;
	/* The library chains mbufs both ways: a large packet from the guest
	 * arrives multi-segment, a multi-segment mbuf is gathered. */
	info->rx_offload_capa = RTE_ETH_RX_OFFLOAD_SCATTER;
	info->tx_offload_capa = RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
	info->speed_capa = RTE_ETH_LINK_SPEED_10G;
	return 0;
}

static void
tvhp_set_queue_states(struct rte_eth_dev *eth_dev, uint8_t state)
{
	uint16_t q;

	for (q = 0; q < eth_dev->data->nb_rx_queues; q++)
		eth_dev->data->rx_queue_state[q] = state;
	for (q = 0; q < eth_dev->data->nb_tx_queues; q++)
		eth_dev->data->tx_queue_state[q] = state;
}

static int
tvhp_dev_start(struct rte_eth_dev *eth_dev)
{
	struct tvhp_priv *priv = eth_dev->data->dev_private;
	uint16_t q;

	for (q = 0; q < eth_dev->data->nb_rx_queues; q++)
		if (eth_dev->data->rx_queues[q] == NULL)
			return -EINVAL;
	for (q = 0; q < eth_dev->data->nb_tx_queues; q++)
		if (eth_dev->data->tx_queues[q] == NULL)
			return -EINVAL;
	priv->started = true;
	tvhp_set_queue_states(eth_dev, RTE_ETH_QUEUE_STATE_STARTED);
	return 0;
}

/* Bursts return 0 from now on: the guest's packets stay in its rings and
 * the application keeps what it did not send, nothing is lost. */
static int
tvhp_dev_stop(struct rte_eth_dev *eth_dev)
{
	struct tvhp_priv *priv = eth_dev->data->dev_private;

	priv->started = false;
	tvhp_set_queue_states(eth_dev, RTE_ETH_QUEUE_STATE_STOPPED);
	return 0;
}

static void
tvhp_rx_queue_release(struct rte_eth_dev *eth_dev, uint16_t qid)
{
	rte_free(eth_dev->data->rx_queues[qid]);
	eth_dev->data->rx_queues[qid] = NULL;
}

static void
tvhp_tx_queue_release(struct rte_eth_dev *eth_dev, uint16_t qid)
{
	struct tvhp_priv *priv = eth_dev->data->dev_private;
	struct tvhp_txq *txq = eth_dev->data->tx_queues[qid];

	if (txq != NULL && priv->unsent_gone != NULL)
		priv->unsent_gone[qid] += txq->unsent;
	rte_free(txq);
	eth_dev->data->tx_queues[qid] = NULL;
}

/* The queues start and stop with the port (there are no per-queue start
 * and stop ops): a queue asked to wait for its own start would run at
 * once, so refuse it. ethdev passes its default conf when the application
 * gives none. */
static int
refuse_deferred_start(const struct rte_eth_dev *eth_dev, const char *dir,
		      uint16_t qid, uint8_t deferred)
{
	if (!deferred)
		return 0;
	TVHP_LOG(ERR,
		 "%s: %s queue %u: deferred start is not supported (the "
		 "queues start with the port)",
		 eth_dev->data->name, dir, qid);
	return -EINVAL;
}

static int
tvhp_rx_queue_setup(struct rte_eth_dev *eth_dev, uint16_t qid, uint16_t nb_desc,
		    unsigned int socket, const struct rte_eth_rxconf *conf,
		    struct rte_mempool *pool)
{
	struct tvhp_priv *priv = eth_dev->data->dev_private;
	struct tvhp_rxq *rxq;
	int ret;

	/* nb_desc: the guest sizes the rings, not the host. */
	RTE_SET_USED(nb_desc);
	ret = refuse_deferred_start(eth_dev, "rx", qid,
				    conf->rx_deferred_start);
	if (ret < 0)
		return ret;
	rxq = rte_zmalloc_socket("tvhp_rxq", sizeof(*rxq), RTE_CACHE_LINE_SIZE,
				 (int)socket);
	if (rxq == NULL)
		return -ENOMEM;
	rxq->dev = priv->dev;
	rxq->pool = pool;
	rxq->started = &priv->started;
	rxq->vq = (uint16_t)(2 * qid + 1);
	rxq->port_id = eth_dev->data->port_id;
	rxq->qid = qid;
	eth_dev->data->rx_queues[qid] = rxq;
	return 0;
}

static int
tvhp_tx_queue_setup(struct rte_eth_dev *eth_dev, uint16_t qid, uint16_t nb_desc,
		    unsigned int socket, const struct rte_eth_txconf *conf)
{
	struct tvhp_priv *priv = eth_dev->data->dev_private;
	struct tvhp_txq *txq;
	int ret;

	RTE_SET_USED(nb_desc);
	ret = refuse_deferred_start(eth_dev, "tx", qid,
				    conf->tx_deferred_start);
	if (ret < 0)
		return ret;
	txq = rte_zmalloc_socket("tvhp_txq", sizeof(*txq), RTE_CACHE_LINE_SIZE,
				 (int)socket);
	if (txq == NULL)
		return -ENOMEM;
	txq->dev = priv->dev;
	txq->started = &priv->started;
	txq->vq = (uint16_t)(2 * qid);
	txq->qid = qid;
	eth_dev->data->tx_queues[qid] = txq;
	return 0;
}

/* ethdev then releases the port (rte_eth_dev_release_port), which frees
 * data->mac_addrs (rte_zmalloc'ed at probe) and dev_private. */
static int
tvhp_dev_close(struct rte_eth_dev *eth_dev)
{
	struct tvhp_priv *priv = eth_dev->data->dev_private;
	struct rte_eth_link link;
	uint16_t q;

	if (rte_eal_process_type() != RTE_PROC_PRIMARY)
		return 0;
	priv->started = false;
	/* No new alarm after this (see tvhp_link_event, tvhp_vring_state),
	 * then none pending: the cancel also waits for one being delivered,
	 * unless we are inside it (the application closes the port from its
	 * LSC callback), which is fine as tvhp_lsc_deliver uses nothing of
	 * ours after the callbacks return (ethdev itself then hands any later
	 * callback of that event the released port's zeroed data). Before
	 * tvh_dev_destroy, so no callback we started reads xstats from a
	 * device being freed. */
	pthread_mutex_lock(&priv->alarm_lock);
	priv->alarms_closed = true;
	pthread_mutex_unlock(&priv->alarm_lock);
	rte_eal_alarm_cancel(tvhp_lsc_deliver, eth_dev);
	rte_eal_alarm_cancel(tvhp_qstate_deliver, eth_dev);
	if (priv->dev != NULL) {
		/* Waits for lib/vhost's control thread: no callback runs
		 * after this returns. */
		tvh_dev_destroy(priv->dev);
		priv->dev = NULL;
	}
	tei_free(eth_dev); /* lib/vhost's thread writes to them no more */
	tvhp_link_fill(&link, false);
	rte_eth_linkstatus_set(eth_dev, &link);
	for (q = 0; q < eth_dev->data->nb_rx_queues; q++)
		tvhp_rx_queue_release(eth_dev, q);
	for (q = 0; q < eth_dev->data->nb_tx_queues; q++)
		tvhp_tx_queue_release(eth_dev, q);
	tvhp_stats_fini(priv);
	pthread_mutex_destroy(&priv->alarm_lock);
	TVHP_LOG(INFO, "%s: closed", priv->name);
	return 0;
}

/* The status is what the last LSC event set (see the top of the file):
 * nothing to query. */
static int
tvhp_link_update(struct rte_eth_dev *eth_dev, int wait_to_complete)
{
	RTE_SET_USED(eth_dev);
	RTE_SET_USED(wait_to_complete);
	return 0;
}

/* The guest sees every packet we give it: receive filters have nothing to
 * filter, so these only report success. */
static int
tvhp_filter_noop(struct rte_eth_dev *eth_dev)
{
	RTE_SET_USED(eth_dev);
	return 0;
}

static int
tvhp_mtu_set(struct rte_eth_dev *eth_dev, uint16_t mtu)
{
	/* ethdev checked mtu against min_mtu/max_mtu; the library has no
	 * per-packet limit of its own to configure. */
	RTE_SET_USED(eth_dev);
	RTE_SET_USED(mtu);
	return 0;
}

static int
tvhp_mac_addr_set(struct rte_eth_dev *eth_dev, struct rte_ether_addr *addr)
{
	/* The host port's address is local to the application; ethdev
	 * already stored it in data->mac_addrs[0]. */
	RTE_SET_USED(eth_dev);
	RTE_SET_USED(addr);
	return 0;
}

static const struct eth_dev_ops tvhp_ops = {
	.dev_configure = tvhp_dev_configure,
	.dev_infos_get = tvhp_dev_infos_get,
	.dev_start = tvhp_dev_start,
	.dev_stop = tvhp_dev_stop,
	.dev_close = tvhp_dev_close,
	.link_update = tvhp_link_update,
	.promiscuous_enable = tvhp_filter_noop,
	.promiscuous_disable = tvhp_filter_noop,
	.allmulticast_enable = tvhp_filter_noop,
	.allmulticast_disable = tvhp_filter_noop,
	.mtu_set = tvhp_mtu_set,
	.mac_addr_set = tvhp_mac_addr_set,
	.rx_queue_setup = tvhp_rx_queue_setup,
	.tx_queue_setup = tvhp_tx_queue_setup,
	.rx_queue_release = tvhp_rx_queue_release,
	.tx_queue_release = tvhp_tx_queue_release,
	.stats_get = tvhp_stats_get,
	.stats_reset = tvhp_stats_reset,
	.xstats_get = tvhp_xstats_get,
	.xstats_get_names = tvhp_xstats_get_names,
	.xstats_reset = tvhp_stats_reset,
	.rx_queue_intr_enable = tvhp_rx_queue_intr_enable,
	.rx_queue_intr_disable = tvhp_rx_queue_intr_disable,
};

/* ---- vdev driver ---- */

static int
tvhp_probe(struct rte_vdev_device *vdev)
{
	const char *name = rte_vdev_device_name(vdev);
	struct rte_ether_addr *mac;
	struct rte_eth_dev *eth_dev;
	struct tvhp_priv *priv;
	struct tvh_config cfg;
	struct tvhp_args args;
	uint16_t port;
	int ret;

	if (rte_eal_process_type() != RTE_PROC_PRIMARY) {
		TVHP_LOG(ERR, "%s: secondary processes are not supported yet",
			 name);
		return -ENOTSUP;
	}
	ret = tvhp_args_parse(name, rte_vdev_device_args(vdev), &args);
	if (ret != 0)
		return ret;

	eth_dev = rte_eth_vdev_allocate(vdev, sizeof(*priv));
	if (eth_dev == NULL) {
		TVHP_LOG(ERR, "%s: cannot allocate the ethdev", name);
		return -ENOMEM;
	}
	port = eth_dev->data->port_id;
	priv = eth_dev->data->dev_private;
	priv->eth_dev = eth_dev;
	priv->args = args;
	strlcpy(priv->name, name, sizeof(priv->name));
	pthread_mutex_init(&priv->alarm_lock, NULL);
	ret = tvhp_stats_init(priv, vdev->device.numa_node);
	if (ret != 0)
		goto fail;

	mac = rte_zmalloc_socket(name, sizeof(*mac), 0, vdev->device.numa_node);
	if (mac == NULL) {
		ret = -ENOMEM;
		goto fail;
	}
	/* Locally administered, "TDM", unique per port of this process. */
	mac->addr_bytes[0] = 0x02;
	mac->addr_bytes[1] = 0x54;
	mac->addr_bytes[2] = 0x44;
	mac->addr_bytes[3] = 0x4d;
	mac->addr_bytes[4] = (uint8_t)(port >> 8);
	mac->addr_bytes[5] = (uint8_t)port;
	eth_dev->data->mac_addrs = mac;

	eth_dev->data->dev_flags |= RTE_ETH_DEV_INTR_LSC;
	tvhp_link_fill(&eth_dev->data->dev_link, false);
	eth_dev->dev_ops = &tvhp_ops;
	eth_dev->rx_pkt_burst = tvhp_rx_burst;
	eth_dev->tx_pkt_burst = tvhp_tx_burst;

	/* Last: from here on the guest may connect and callbacks run. */
	memset(&cfg, 0, sizeof(cfg));
	cfg.path = priv->args.iface;
	cfg.client = priv->args.client;
	cfg.n_queue_pairs = priv->args.queues;
	cfg.disabled_tx_discard = priv->args.disabled_tx_discard;
	cfg.max_guest_mem = priv->args.max_guest_mem;
	cfg.copy = priv->args.copy;
	cfg.log_name = priv->name;
	ret = tvh_dev_create(&cfg, &tvhp_tvh_ops, priv, &priv->dev);
	if (ret != 0) {
		TVHP_LOG(ERR, "%s: cannot %s vhost-user socket %s: %s", name,
			 priv->args.client ? "connect to" : "listen on",
			 priv->args.iface, strerror(-ret));
		priv->dev = NULL;
		goto fail;
	}
	rte_eth_dev_probing_finish(eth_dev);
	/* NOTICE: shown at the default level, one line per port. */
	TVHP_LOG(NOTICE,
		 "%s: port %u, iface=%s (%s), queues=%u, copy %s, mac "
		 "02:54:44:4d:%02x:%02x",
		 name, port, priv->args.iface,
		 priv->args.client ? "client" : "server", priv->args.queues,
		 tvh_copy_name(tvh_copy_resolve(priv->args.copy)),
		 mac->addr_bytes[4], mac->addr_bytes[5]);
	return 0;

fail:
	/* No tvh_dev: no callback ever ran, no alarm was set. */
	tvhp_stats_fini(priv);
	pthread_mutex_destroy(&priv->alarm_lock);
	/* Frees data->mac_addrs and dev_private. */
	rte_eth_dev_release_port(eth_dev);
	return ret;
}

static int
tvhp_remove(struct rte_vdev_device *vdev)
{
	struct rte_eth_dev *eth_dev;
	uint16_t port;
	int ret;

	eth_dev = rte_eth_dev_allocated(rte_vdev_device_name(vdev));
	if (eth_dev == NULL)
		return 0; /* already closed: ethdev released the port */
	port = eth_dev->data->port_id;
	if (eth_dev->data->dev_started) {
		ret = rte_eth_dev_stop(port);
		if (ret != 0)
			return ret;
	}
	return rte_eth_dev_close(port);
}

static struct rte_vdev_driver tvhp_vdev_drv = {
	.probe = tvhp_probe,
	.remove = tvhp_remove,
};

/* The application's thread (rte_eth_tandem_vhost.h). */
__attribute__((visibility("default"))) int
rte_eth_tandem_vhost_get_queue_event(
	uint16_t port_id, struct rte_eth_tandem_vhost_queue_event *event)
{
	struct rte_eth_dev *eth_dev;
	struct tvhp_priv *priv;
	uint16_t n;
	int ret = -1;

	if (event == NULL || !rte_eth_dev_is_valid_port(port_id))
		return -EINVAL;
	eth_dev = &rte_eth_devices[port_id];
	if (eth_dev->dev_ops != &tvhp_ops)
		return -EINVAL;
	priv = eth_dev->data->dev_private;
	n = (uint16_t)(2 * priv->args.queues);
	pthread_mutex_lock(&priv->alarm_lock);
	for (uint16_t k = 0; k < n; k++) {
		uint16_t vq = (uint16_t)((priv->qs_next + k) % n);

		if (priv->qs_cur[vq] == priv->qs_seen[vq])
			continue;
		priv->qs_seen[vq] = priv->qs_cur[vq];
		priv->qs_next = (uint16_t)((vq + 1) % n);
		event->queue_id = vq / 2;
		event->rx = (vq & 1) != 0;
		event->enable = priv->qs_cur[vq];
		ret = 0;
		break;
	}
	pthread_mutex_unlock(&priv->alarm_lock);
	return ret;
}

RTE_PMD_REGISTER_VDEV(net_tandem_vhost, tvhp_vdev_drv);
RTE_PMD_REGISTER_PARAM_STRING(net_tandem_vhost,
			      "iface=<path> queues=<int> client=<0|1> "
			      "disabled-tx-discard=<0|1> "
			      "max-guest-mem=<size> "
			      "copy=<auto|sse|avx2|avx512> "
			      "tso=0 linear-buffer=0 ext-buffer=0 "
			      "iommu-support=0 postcopy-support=0 "
			      "dequeue-zero-copy=0 legacy-ol-flags=0");
