/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * tv_ethdev.c - the net_tandem_virtio vdev driver: probe/remove and the
 * ethdev ops. Control of the back-end is in tv_vhost_user.c, rings in
 * tv_queue.c, the datapath in tv_rxtx.c.
 *
 * Threading: ethdev ops run on the application's control thread (ethdev
 * rules: not concurrently with each other for one port); they share struct
 * tv_dev with the EAL interrupt thread through tv_vhost_user.c, which
 * locks.
 */
#include <errno.h>
#include <string.h>

#include <bus_vdev_driver.h>
#include <ethdev_driver.h>
#include <ethdev_vdev.h>
#include <rte_malloc.h>

#include "tei.h"
#include "tmb.h"
#include "tv_pmd.h"

void
tv_link_refresh(struct tv_dev *dev)
{
	uint8_t up = dev->connected && dev->started;

	if (up == dev->link_up)
		return;
	dev->link_up = up;
	dev->lsc_changes++;
}

static void
link_fill(const struct tv_dev *dev, uint8_t up, struct rte_eth_link *link)
{
	memset(link, 0, sizeof(*link));
	link->link_speed = dev->cfg.speed;
	link->link_duplex = RTE_ETH_LINK_FULL_DUPLEX;
	link->link_autoneg = RTE_ETH_LINK_FIXED;
	link->link_status = up ? RTE_ETH_LINK_UP : RTE_ETH_LINK_DOWN;
}

void
tv_link_tell(struct tv_dev *dev, uint8_t up)
{
	struct rte_eth_link link;

	/* Relaxed: a byte read on its own by link_update. */
	__atomic_store_n(&dev->link_told, up, __ATOMIC_RELAXED);
	link_fill(dev, up, &link);
	rte_eth_linkstatus_set(dev->eth_dev, &link);
}

/* The state the application was last told, so that an LSC callback finds
 * its own event's state, also in a bounce (tv_vhost_user.c, lsc_take). */
static int
tv_link_update(struct rte_eth_dev *eth_dev, int wait_to_complete)
{
	struct tv_dev *dev = eth_dev->data->dev_private;
	struct rte_eth_link link;

	RTE_SET_USED(wait_to_complete);
	link_fill(dev, __atomic_load_n(&dev->link_told, __ATOMIC_RELAXED),
		  &link);
	return rte_eth_linkstatus_set(eth_dev, &link);
}

void
tv_raise_lsc(struct tv_dev *dev)
{
	struct rte_eth_dev *eth_dev = dev->eth_dev;

	if (eth_dev->data->dev_conf.intr_conf.lsc)
		rte_eth_dev_callback_process(eth_dev, RTE_ETH_EVENT_INTR_LSC,
					     NULL);
}

/* ---- RX interrupts (intr_conf.rxq, DESIGN technique 7) ----
 *
 * The port's interrupt handle holds one call eventfd per RX queue, which
 * rte_eth_dev_rx_intr_ctl_q puts into the application's epoll set and
 * SET_VRING_CALL hands to the back-end. The fds live from configure to
 * close (or to a configure that changes the queue count or turns the
 * mode off), across stop/start and back-end reconnects, so that the
 * application's registrations stay valid. */

static int
intr_configure(struct rte_eth_dev *eth_dev)
{
	const char *what = "";
	int ret = tei_configure(eth_dev, &what);

	if (ret < 0)
		TV_LOG(ERR,
		       "%s: rx interrupts (intr_conf.rxq): %s for %u "
		       "queues: %s",
		       eth_dev->data->name, what, eth_dev->data->nb_rx_queues,
		       strerror(-ret));
	return ret;
}

/* Each RX queue's call eventfd for the start (and every back-end after
 * it), or -1 in poll mode. */
static void
intr_assign(struct rte_eth_dev *eth_dev)
{
	uint16_t q;

	for (q = 0; q < eth_dev->data->nb_rx_queues; q++) {
		struct tv_rxq *rxq = eth_dev->data->rx_queues[q];

		rxq->call_fd = tei_fd(eth_dev, q);
	}
}

/* tei_queue_check, logged. Disabling on a stopped port writes rings
 * that exist from queue set-up (a start lays them out suppressed
 * anyway). */
static int
intr_queue_check(struct rte_eth_dev *eth_dev, uint16_t qid, bool enable)
{
	const char *why = "";
	int ret = tei_queue_check(eth_dev, eth_dev->data->dev_started, enable,
				  &why);

	if (ret < 0)
		TV_LOG(ERR, "%s: rx queue %u: %s", eth_dev->data->name, qid,
		       why);
	return ret;
}

/* Called by the lcore that polls the queue, between polls (the usual
 * sequence: enable, sleep in rte_epoll_wait, disable, poll). */
static int
tv_rx_queue_intr_enable(struct rte_eth_dev *eth_dev, uint16_t qid)
{
	struct tv_rxq *rxq = eth_dev->data->rx_queues[qid];
	int ret = intr_queue_check(eth_dev, qid, true);

	if (ret < 0)
		return ret;
	rxq->stats.intr_arms++;
	if (tv_rxq_intr_arm(rxq, true)) {
		/* A buffer arrived between the last poll and the request
		 * (the back-end has no reason to call for it), or a refill
		 * is due: the wake-up comes from us. The counter saturating
		 * (EAGAIN) is a pending wake-up as well. */
		rxq->stats.intr_self_wakes++;
		if (!tei_wake(rxq->call_fd))
			TV_LOG(WARNING, "%s: rx queue %u: wake-up failed: %s",
			       eth_dev->data->name, qid, strerror(errno));
	}
	return 0;
}

static int
tv_rx_queue_intr_disable(struct rte_eth_dev *eth_dev, uint16_t qid)
{
	int ret = intr_queue_check(eth_dev, qid, false);

	if (ret < 0)
		return ret;
	tv_rxq_intr_arm(eth_dev->data->rx_queues[qid], false);
	return 0;
}

static int
tv_dev_configure(struct rte_eth_dev *eth_dev)
{
	struct tv_dev *dev = eth_dev->data->dev_private;
	uint16_t nb_rx = eth_dev->data->nb_rx_queues;
	uint16_t nb_tx = eth_dev->data->nb_tx_queues;

	/* virtio-net queues come in pairs (receiveq 2q, transmitq 2q+1). */
	if (nb_rx != nb_tx) {
		TV_LOG(ERR,
		       "%s: %u rx and %u tx queues: virtio queues come in "
		       "pairs, configure as many of each",
		       eth_dev->data->name, nb_rx, nb_tx);
		return -EINVAL;
	}
	if (nb_rx > dev->cfg.queues) {
		TV_LOG(ERR, "%s: %u queue pairs configured, devarg queues=%u",
		       eth_dev->data->name, nb_rx, dev->cfg.queues);
		return -EINVAL;
	}
	/* ethdev has set the MTU the application configured (1500 when it
	 * asked for none): the devarg's was only the value before. */
	if (dev->cfg.mtu != TV_DEFAULT_MTU &&
	    eth_dev->data->mtu != dev->cfg.mtu)
		TV_LOG(NOTICE,
		       "%s: MTU %u from the application's configuration "
		       "replaces mtu=%u",
		       eth_dev->data->name, eth_dev->data->mtu, dev->cfg.mtu);
	pthread_mutex_lock(&dev->lock);
	if (dev->connected && nb_rx > dev->backend_queue_pairs) {
		TV_LOG(ERR,
		       "%s: %u queue pairs configured, the back-end at %s has "
		       "%u (GET_QUEUE_NUM)",
		       eth_dev->data->name, nb_rx, dev->cfg.path,
		       dev->backend_queue_pairs);
		nb_rx = 0;
	}
	pthread_mutex_unlock(&dev->lock);
	if (nb_rx == 0)
		return -EINVAL;
	return intr_configure(eth_dev);
}

static int
tv_dev_infos_get(struct rte_eth_dev *eth_dev, struct rte_eth_dev_info *info)
{
	struct tv_dev *dev = eth_dev->data->dev_private;

	info->max_rx_queues = dev->cfg.queues;
	info->max_tx_queues = dev->cfg.queues;
	info->max_mac_addrs = 1;
	/* Data room beyond RTE_PKTMBUF_HEADROOM (ethdev adds that). */
	info->min_rx_bufsize = TV_MIN_RX_ROOM;
	/* With mergeable buffers a packet spans buffers; without, it must fit
	 * one buffer, which the mempool decides (checked by the back-end). */
	info->max_rx_pktlen = TV_MAX_RX_PKTLEN;
	info->min_mtu = RTE_ETHER_MIN_MTU;
	info->max_mtu = TV_MAX_RX_PKTLEN - RTE_ETHER_HDR_LEN;
	info->rx_offload_capa =
		dev->cfg.mrg_rxbuf ? RTE_ETH_RX_OFFLOAD_SCATTER : 0;
	info->tx_offload_capa = RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
	info->rx_desc_lim.nb_max = TV_QUEUE_SIZE_MAX;
	/* Any count: queue setup rounds it up to a power of two. */
	info->rx_desc_lim.nb_min = 1;
	info->rx_desc_lim.nb_align = 1;
	info->tx_desc_lim = info->rx_desc_lim;
	info->default_rxportconf.ring_size = dev->cfg.queue_size;
	info->default_txportconf.ring_size = dev->cfg.queue_size;
	info->default_rxportconf.nb_queues = 1;
	info->default_txportconf.nb_queues = 1;
	info->speed_capa =
		rte_eth_speed_bitflag(dev->cfg.speed, RTE_ETH_LINK_FULL_DUPLEX);
	return 0;
}

static void
tv_rx_queue_release(struct rte_eth_dev *eth_dev, uint16_t qid)
{
	tv_rxq_free(eth_dev->data->rx_queues[qid]);
	eth_dev->data->rx_queues[qid] = NULL;
}

static void
tv_tx_queue_release(struct rte_eth_dev *eth_dev, uint16_t qid)
{
	tv_txq_free(eth_dev->data->tx_queues[qid]);
	eth_dev->data->tx_queues[qid] = NULL;
}

/* Rings hold a power of two of descriptors (virtio 1.2, 2.7: split; the
 * packed datapath masks its indexes too). dev_infos cannot say so
 * (nb_align is a multiple), so a count such as testpmd's --rxd=1000 is
 * rounded up; ethdev has checked it against nb_max, a power of two. */
static uint16_t
ring_size(const struct rte_eth_dev *eth_dev, const char *dir, uint16_t qid,
	  uint16_t nb_desc)
{
	uint32_t n = rte_align32pow2(nb_desc);

	if (n != nb_desc)
		TV_LOG(INFO,
		       "%s: %s queue %u: %u descriptors rounded up to %u (a "
		       "power of two)",
		       eth_dev->data->name, dir, qid, nb_desc, n);
	return (uint16_t)n;
}

/* Without the scatter offload a frame must fit one mbuf: the RX path
 * drops a packet spread over several buffers (drops_scatter_off), so an
 * MTU whose frames (with a VLAN tag) do not fit the set-up queues' mbufs
 * would lose every large frame. Refused at start and by mtu_set, naming
 * the queue and the sizes. */
static int
check_rx_room(const struct rte_eth_dev *eth_dev, uint16_t mtu)
{
	const struct rte_eth_dev_data *data = eth_dev->data;
	const uint32_t frame = mtu + RTE_ETHER_HDR_LEN + RTE_VLAN_HLEN;
	uint16_t q;

	if (data->dev_conf.rxmode.offloads & RTE_ETH_RX_OFFLOAD_SCATTER)
		return 0;
	for (q = 0; q < data->nb_rx_queues; q++) {
		const struct tv_rxq *rxq = data->rx_queues[q];
		uint32_t room;

		if (rxq == NULL)
			continue;
		room = rte_pktmbuf_data_room_size(rxq->mp) -
		       RTE_PKTMBUF_HEADROOM;
		if (frame > room) {
			TV_LOG(ERR,
			       "%s: MTU %u needs %u-byte frames, rx queue %u's "
			       "mbufs hold %u: enable the scatter offload or "
			       "use larger mbufs",
			       data->name, mtu, frame, q, room);
			return -EINVAL;
		}
	}
	return 0;
}

/* The queues start and stop with the port: there are no per-queue
 * start/stop ops a deferred start would need. */
static int
refuse_deferred_start(const struct rte_eth_dev *eth_dev, const char *dir,
		      uint16_t qid, uint8_t deferred)
{
	if (!deferred)
		return 0;
	TV_LOG(ERR,
	       "%s: %s queue %u: deferred start is not supported (the queues "
	       "start with the port)",
	       eth_dev->data->name, dir, qid);
	return -EINVAL;
}

static int
tv_rx_queue_setup(struct rte_eth_dev *eth_dev, uint16_t qid, uint16_t nb_desc,
		  unsigned int socket_id, const struct rte_eth_rxconf *conf,
		  struct rte_mempool *mp)
{
	struct tv_rxq *rxq;
	int ret;

	/* ethdev passes its default_rxconf when the application gives none. */
	ret = refuse_deferred_start(eth_dev, "rx", qid,
				    conf->rx_deferred_start);
	if (ret < 0)
		return ret;
	nb_desc = ring_size(eth_dev, "rx", qid, nb_desc);
	if (conf->rx_free_thresh >= nb_desc && conf->rx_free_thresh != 0) {
		TV_LOG(ERR,
		       "%s: rx queue %u: rx_free_thresh %u must be less than "
		       "the %u descriptors",
		       eth_dev->data->name, qid, conf->rx_free_thresh, nb_desc);
		return -EINVAL;
	}
	tv_rx_queue_release(eth_dev, qid);
	ret = tv_rxq_create(&rxq, eth_dev->data->port_id, qid, nb_desc,
			    (int)socket_id, mp);
	if (ret < 0)
		return ret;
	if (conf->rx_free_thresh != 0)
		rxq->free_thresh = conf->rx_free_thresh;
	eth_dev->data->rx_queues[qid] = rxq;
	return 0;
}

static int
tv_tx_queue_setup(struct rte_eth_dev *eth_dev, uint16_t qid, uint16_t nb_desc,
		  unsigned int socket_id, const struct rte_eth_txconf *conf)
{
	struct tv_txq *txq;
	int ret;

	/* tx_free_thresh and tx_rs_thresh have nothing to set: completions
	 * are reclaimed at every burst. */
	ret = refuse_deferred_start(eth_dev, "tx", qid,
				    conf->tx_deferred_start);
	if (ret < 0)
		return ret;
	nb_desc = ring_size(eth_dev, "tx", qid, nb_desc);
	tv_tx_queue_release(eth_dev, qid);
	ret = tv_txq_create(&txq, qid, nb_desc, (int)socket_id);
	if (ret < 0)
		return ret;
	txq->port_id = eth_dev->data->port_id; /* for its log messages */
	eth_dev->data->tx_queues[qid] = txq;
	return 0;
}

static void
tv_rxq_info_get(struct rte_eth_dev *eth_dev, uint16_t qid,
		struct rte_eth_rxq_info *qinfo)
{
	const struct tv_rxq *rxq = eth_dev->data->rx_queues[qid];

	qinfo->mp = rxq->mp;
	qinfo->nb_desc = (uint16_t)rxq->ring.num;
	/* The threshold in effect once the port started (see
	 * tv_rxq_reset), the one set up before. */
	qinfo->conf.rx_free_thresh =
		rxq->refill_at != 0 ? rxq->refill_at : rxq->free_thresh;
	qinfo->scattered_rx = rxq->scatter; /* as of the last start */
	/* Packet bytes per buffer (the header goes into the headroom). */
	qinfo->rx_buf_size =
		rte_pktmbuf_data_room_size(rxq->mp) - RTE_PKTMBUF_HEADROOM;
}

static void
tv_txq_info_get(struct rte_eth_dev *eth_dev, uint16_t qid,
		struct rte_eth_txq_info *qinfo)
{
	const struct tv_txq *txq = eth_dev->data->tx_queues[qid];

	qinfo->nb_desc = (uint16_t)txq->ring.num;
}

static void
set_queue_states(struct rte_eth_dev *eth_dev, uint8_t state)
{
	uint16_t q;

	for (q = 0; q < eth_dev->data->nb_rx_queues; q++)
		eth_dev->data->rx_queue_state[q] = state;
	for (q = 0; q < eth_dev->data->nb_tx_queues; q++)
		eth_dev->data->tx_queue_state[q] = state;
}

static int
tv_dev_start(struct rte_eth_dev *eth_dev)
{
	struct tv_dev *dev = eth_dev->data->dev_private;
	enum tv_simd simd;
	uint16_t q;
	int ret;

	for (q = 0; q < eth_dev->data->nb_rx_queues; q++) {
		if (eth_dev->data->rx_queues[q] == NULL ||
		    eth_dev->data->tx_queues[q] == NULL) {
			TV_LOG(ERR, "%s: queue pair %u is not set up",
			       eth_dev->data->name, q);
			return -EINVAL;
		}
	}
	ret = check_rx_room(eth_dev, eth_dev->data->mtu);
	if (ret < 0)
		return ret;
	intr_assign(eth_dev);
	ret = tv_vu_start(dev);
	if (ret < 0)
		return ret;
	/* Resolved at each start: --force-max-simd-bitwidth is known by
	 * now, and ethdev copies the burst functions after dev_start. */
	if (dev->dp.packed) {
		/* Packed rings: one scalar path (the vector ones are split
		 * only); logged once per change like the split levels. */
		eth_dev->rx_pkt_burst = tv_rx_burst_packed;
		eth_dev->tx_pkt_burst = tv_tx_burst_packed;
		if (!dev->rx_packed)
			TV_LOG(INFO, "%s: rx path packed", eth_dev->data->name);
		dev->rx_packed = true;
		dev->rx_simd = TV_SIMD_AUTO;
	} else {
		simd = tv_simd_resolve(dev->cfg.simd);
		eth_dev->rx_pkt_burst = tv_rx_burst_for(simd);
		eth_dev->tx_pkt_burst = tv_tx_burst_split;
		if (simd != dev->rx_simd)
			TV_LOG(INFO, "%s: rx path %s", eth_dev->data->name,
			       tv_simd_name(simd));
		dev->rx_simd = simd;
		dev->rx_packed = false;
	}
	set_queue_states(eth_dev, RTE_ETH_QUEUE_STATE_STARTED);
	return 0;
}

static int
tv_dev_stop(struct rte_eth_dev *eth_dev)
{
	struct tv_dev *dev = eth_dev->data->dev_private;

	tv_vu_stop(dev);
	set_queue_states(eth_dev, RTE_ETH_QUEUE_STATE_STOPPED);
	eth_dev->data->dev_started = 0;
	return 0;
}

static int
tv_dev_close(struct rte_eth_dev *eth_dev)
{
	struct tv_dev *dev = eth_dev->data->dev_private;
	uint16_t q;

	if (rte_eal_process_type() != RTE_PROC_PRIMARY)
		return 0;
	if (eth_dev->data->dev_started)
		tv_dev_stop(eth_dev);
	/* Callbacks and the alarm are gone after this: nobody else touches
	 * the queues or the device any more. */
	tv_vu_fini(dev);
	for (q = 0; q < eth_dev->data->nb_rx_queues; q++)
		tv_rx_queue_release(eth_dev, q);
	for (q = 0; q < eth_dev->data->nb_tx_queues; q++)
		tv_tx_queue_release(eth_dev, q);
	tei_free(eth_dev); /* no back-end holds the call fds any more */
	pthread_mutex_destroy(&dev->lock);
	/* dev_private and mac_addrs are freed by rte_eth_dev_release_port. */
	return 0;
}

static int
tv_ok(struct rte_eth_dev *eth_dev)
{
	RTE_SET_USED(eth_dev);
	/* A virtio-user port without a control queue receives whatever the
	 * back-end delivers: there is no filter to program. */
	return 0;
}

static int
tv_mtu_set(struct rte_eth_dev *eth_dev, uint16_t mtu)
{
	/* Within [min_mtu, max_mtu] (checked by ethdev) nothing to program:
	 * the back-end is not told (no NET_MTU protocol feature). The
	 * frames must fit the queues' mbufs unless they may scatter. */
	return check_rx_room(eth_dev, mtu);
}

static int
tv_mac_addr_set(struct rte_eth_dev *eth_dev, struct rte_ether_addr *addr)
{
	RTE_SET_USED(eth_dev);
	RTE_SET_USED(addr);
	return 0; /* ethdev stores it in data->mac_addrs */
}

static const struct eth_dev_ops tv_ops = {
	.dev_configure = tv_dev_configure,
	.dev_infos_get = tv_dev_infos_get,
	.dev_start = tv_dev_start,
	.dev_stop = tv_dev_stop,
	.dev_close = tv_dev_close,
	.link_update = tv_link_update,
	.rx_queue_setup = tv_rx_queue_setup,
	.tx_queue_setup = tv_tx_queue_setup,
	.rx_queue_release = tv_rx_queue_release,
	.tx_queue_release = tv_tx_queue_release,
	.rxq_info_get = tv_rxq_info_get,
	.txq_info_get = tv_txq_info_get,
	.stats_get = tv_stats_get,
	.stats_reset = tv_stats_reset,
	.xstats_get = tv_xstats_get,
	.xstats_get_names = tv_xstats_get_names,
	.xstats_reset = tv_stats_reset,
	.promiscuous_enable = tv_ok,
	.promiscuous_disable = tv_ok,
	.allmulticast_enable = tv_ok,
	.allmulticast_disable = tv_ok,
	.mtu_set = tv_mtu_set,
	.mac_addr_set = tv_mac_addr_set,
	.get_monitor_addr = tv_rx_monitor_addr,
	.rx_queue_intr_enable = tv_rx_queue_intr_enable,
	.rx_queue_intr_disable = tv_rx_queue_intr_disable,
};

static bool barrier_logged; /* probe: the gates' barrier mode was said */

static int
tv_probe(struct rte_vdev_device *vdev)
{
	const char *name = rte_vdev_device_name(vdev);
	struct rte_ether_addr *mac;
	struct rte_eth_dev *eth_dev;
	struct tv_config cfg;
	struct tv_dev *dev;
	char mac_str[RTE_ETHER_ADDR_FMT_SIZE];
	bool expedited;
	int ret;

	if (rte_eal_process_type() != RTE_PROC_PRIMARY) {
		TV_LOG(ERR, "%s: secondary processes are not supported", name);
		return -ENOTSUP;
	}
	ret = tv_parse_devargs(rte_vdev_device_args(vdev), &cfg);
	if (ret < 0) {
		TV_LOG(ERR, "%s: invalid devargs, probe failed", name);
		return ret;
	}
	/* The queue gates' barrier mode, fixed before any queue exists (see
	 * tmb.h); said once. */
	expedited = tmb_init();
	if (!barrier_logged) {
		barrier_logged = true;
		TV_LOG(INFO,
		       "membarrier %s: queue gates pay %s fence per burst",
		       expedited ? "registered" : "unavailable",
		       expedited ? "no" : "a");
	}
	eth_dev = rte_eth_vdev_allocate(vdev, sizeof(*dev));
	if (eth_dev == NULL)
		return -ENOMEM;
	mac = rte_zmalloc_socket(name, sizeof(*mac), 0, vdev->device.numa_node);
	if (mac == NULL) {
		rte_eth_dev_release_port(eth_dev);
		return -ENOMEM;
	}
	if (!cfg.mac_set) {
		/* Locally administered, unique per port in this process. */
		cfg.mac = (struct rte_ether_addr){
			{0x02, 0x54, 0x56, 0x00,
			 (uint8_t)(eth_dev->data->port_id >> 8),
			 (uint8_t)eth_dev->data->port_id}};
	}
	*mac = cfg.mac;

	dev = eth_dev->data->dev_private;
	dev->cfg = cfg;
	dev->eth_dev = eth_dev;
	dev->sock = -1;
	dev->listen_fd = -1;
	pthread_mutex_init(&dev->lock, NULL);
	eth_dev->data->mac_addrs = mac;
	eth_dev->data->mtu = cfg.mtu;
	eth_dev->data->dev_flags |= RTE_ETH_DEV_INTR_LSC;
	eth_dev->data->dev_link.link_speed = cfg.speed;
	eth_dev->data->dev_link.link_duplex = RTE_ETH_LINK_FULL_DUPLEX;
	eth_dev->data->dev_link.link_status = RTE_ETH_LINK_DOWN;
	eth_dev->dev_ops = &tv_ops;
	eth_dev->rx_pkt_burst = tv_rx_burst_split;
	eth_dev->tx_pkt_burst = tv_tx_burst_split;

	ret = tv_vu_init(dev);
	if (ret < 0) {
		tv_vu_fini(dev);
		pthread_mutex_destroy(&dev->lock);
		rte_eth_dev_release_port(eth_dev);
		return ret;
	}
	rte_ether_format_addr(mac_str, sizeof(mac_str), &cfg.mac);
	TV_LOG(NOTICE,
	       "%s: port %u path=%s server=%d queues=%u queue_size=%u mac=%s "
	       "mrg_rxbuf=%d in_order=%d event_idx=%d packed_vq=%d speed=%u "
	       "mtu=%u simd=%s fixed_avail=%d tx_hdr_push=%d bulk=%d%s",
	       name, eth_dev->data->port_id, cfg.path, cfg.server, cfg.queues,
	       cfg.queue_size, mac_str, cfg.mrg_rxbuf, cfg.in_order,
	       cfg.event_idx, cfg.packed_vq, cfg.speed, cfg.mtu,
	       tv_simd_name(cfg.simd), cfg.fixed_avail, cfg.tx_hdr_push,
	       cfg.bulk, dev->connected ? " (back-end attached)" : "");
	if (cfg.cq)
		TV_LOG(NOTICE,
		       "%s: cq=1 has no effect: net_tandem_virtio needs no "
		       "control queue (it enables queue pairs over "
		       "vhost-user, and takes promiscuous, all-multicast and "
		       "MAC address changes without one)",
		       name);
	rte_eth_dev_probing_finish(eth_dev);
	return 0;
}

static int
tv_remove(struct rte_vdev_device *vdev)
{
	struct rte_eth_dev *eth_dev;

	eth_dev = rte_eth_dev_allocated(rte_vdev_device_name(vdev));
	if (eth_dev == NULL)
		return 0; /* closed already: everything is released */
	if (eth_dev->data->dev_started)
		rte_eth_dev_stop(eth_dev->data->port_id);
	return rte_eth_dev_close(eth_dev->data->port_id);
}

static struct rte_vdev_driver tv_vdev_driver = {
	.probe = tv_probe,
	.remove = tv_remove,
};

RTE_PMD_REGISTER_VDEV(TV_DRIVER_NAME, tv_vdev_driver);
RTE_PMD_REGISTER_PARAM_STRING(TV_DRIVER_NAME,
			      "path=<socket> server=<0|1> queues=<int> "
			      "queue_size=<int> mac=<xx:xx:xx:xx:xx:xx> "
			      "mrg_rxbuf=<0|1> in_order=<0|1> packed_vq=<0|1> "
			      "vectorized=<0|1> speed=<Mbps> mtu=<int> "
			      "cq=<0|1> "
			      "event_idx=<0|1> "
			      "simd=<auto|scalar|sse|avx2|avx512> "
			      "fixed_avail=<0|1> tx_hdr_push=<0|1> bulk=<0|1>");
