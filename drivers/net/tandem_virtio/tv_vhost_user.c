/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * tv_vhost_user.c - front-end control of net_tandem_virtio: connect (or
 * listen), negotiate features, share memory, hand rings to the back-end,
 * notice a hang-up and attach the next back-end.
 *
 * Two threads meet here: the application thread (probe, dev_start/stop,
 * close) and the EAL interrupt thread (socket hang-up, accept in server
 * mode, the reconnect alarm in client mode). Both hold dev->lock while they
 * talk to the back-end or change the connection state; LSC is raised after
 * the lock is dropped so an application callback may call back into us.
 *
 * Only the interrupt thread tears a connection down (it must unregister its
 * own callback). When the application thread sees the back-end fail, it
 * shuts the socket down, which wakes the interrupt thread to do so.
 *
 * The datapath keeps running through all of this: rings never move, only
 * the back-end changes; a new back-end resumes at the used index in the
 * ring, so buffers the old one never completed are offered again. Without
 * IN_ORDER the rings are first made to say exactly that (tv_rxq_handoff,
 * tv_queue.c explains).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <ethdev_driver.h>
#include <rte_alarm.h>
#include <rte_cycles.h>
#include <rte_eal_memconfig.h>
#include <rte_errno.h>
#include <rte_interrupts.h>
#include <rte_memory.h>

#include "tv_pmd.h"

#define TV_RECONNECT_US	   1000000 /* client mode: retry period */
#define TV_REPLY_TIMEOUT_S 5	   /* a back-end that does not answer is dead */

static void vu_sock_event(void *arg);

/* Lock order: EAL's memory hotplug lock, then dev->lock. EAL runs memory
 * event callbacks (vu_mem_event) with the former held for writing; every
 * path that may build the memory table takes it for reading first, so the
 * table cannot change while it is built and sent, and the two cannot
 * deadlock. */
static void
dev_lock_with_mem(struct tv_dev *dev)
{
	rte_mcfg_mem_read_lock();
	pthread_mutex_lock(&dev->lock);
}

static void
dev_unlock_with_mem(struct tv_dev *dev)
{
	pthread_mutex_unlock(&dev->lock);
	rte_mcfg_mem_read_unlock();
}

void
tv_vu_features_wanted(const struct tv_config *cfg, uint64_t *features)
{
	uint64_t f = TV_BIT(TV_F_VERSION_1) |
		     TV_BIT(TV_F_VHOST_USER_PROTOCOL_FEATURES);

	if (cfg->mrg_rxbuf)
		f |= TV_BIT(TV_NET_F_MRG_RXBUF);
	if (cfg->in_order)
		f |= TV_BIT(TV_F_IN_ORDER);
	if (cfg->event_idx)
		f |= TV_BIT(TV_F_RING_EVENT_IDX);
	if (cfg->packed_vq)
		f |= TV_BIT(TV_F_RING_PACKED);
	if (cfg->queues > 1)
		f |= TV_BIT(TV_NET_F_MQ);
	*features = f;
}

static void
dp_from_features(uint64_t features, struct tv_dp_features *dp)
{
	dp->mrg_rxbuf = tv_has_feature(features, TV_NET_F_MRG_RXBUF);
	dp->in_order = tv_has_feature(features, TV_F_IN_ORDER);
	dp->event_idx = tv_has_feature(features, TV_F_RING_EVENT_IDX);
	dp->packed = tv_has_feature(features, TV_F_RING_PACKED);
}

static bool
reply_ack(const struct tv_dev *dev)
{
	return (dev->protocol_features & TV_BIT(TVU_PROTOCOL_F_REPLY_ACK)) != 0;
}

/* Feature negotiation on a fresh connection. */
static int
vu_negotiate(struct tv_dev *dev, int sock, char *err, size_t errlen)
{
	uint64_t want, offered, features, pf = 0, pf_offered, qnum;
	int ret;

	tv_vu_features_wanted(&dev->cfg, &want);
	ret = tvu_fe_set_owner(sock);
	if (ret < 0) {
		snprintf(err, errlen, "SET_OWNER failed: %s", strerror(-ret));
		return ret;
	}
	ret = tvu_fe_get_u64(sock, TVU_GET_FEATURES, &offered);
	if (ret < 0) {
		snprintf(err, errlen, "GET_FEATURES failed: %s",
			 strerror(-ret));
		return ret;
	}
	if (!tv_has_feature(offered, TV_F_VERSION_1)) {
		snprintf(err, errlen,
			 "back-end does not offer VIRTIO_F_VERSION_1 (features "
			 "0x%" PRIx64 "); a virtio 1.0 back-end is required",
			 offered);
		return -ENOTSUP;
	}
	if (tv_has_feature(offered, TV_F_VHOST_USER_PROTOCOL_FEATURES)) {
		ret = tvu_fe_get_u64(sock, TVU_GET_PROTOCOL_FEATURES,
				     &pf_offered);
		if (ret < 0) {
			snprintf(err, errlen,
				 "GET_PROTOCOL_FEATURES failed: %s",
				 strerror(-ret));
			return ret;
		}
		pf = pf_offered & (TV_BIT(TVU_PROTOCOL_F_REPLY_ACK) |
				   TV_BIT(TVU_PROTOCOL_F_MQ));
		ret = tvu_fe_set_u64(sock, TVU_SET_PROTOCOL_FEATURES, pf,
				     false);
		if (ret < 0) {
			snprintf(err, errlen,
				 "SET_PROTOCOL_FEATURES failed: %s",
				 strerror(-ret));
			return ret;
		}
	}
	dev->protocol_features = pf;
	dev->backend_queue_pairs = 1;
	if (pf & TV_BIT(TVU_PROTOCOL_F_MQ)) {
		ret = tvu_fe_get_u64(sock, TVU_GET_QUEUE_NUM, &qnum);
		if (ret < 0) {
			snprintf(err, errlen, "GET_QUEUE_NUM failed: %s",
				 strerror(-ret));
			return ret;
		}
		dev->backend_queue_pairs =
			(uint32_t)RTE_MIN(qnum, (uint64_t)UINT32_MAX);
	}
	/* Without virtio's MQ feature the device has one pair, whatever
	 * GET_QUEUE_NUM said. More pairs than the back-end has are refused
	 * where they are asked for: configure, start, or here if the port
	 * is started already (tv_vu_check_pairs). */
	if (!tv_has_feature(offered, TV_NET_F_MQ) ||
	    !(pf & TV_BIT(TVU_PROTOCOL_F_MQ)))
		dev->backend_queue_pairs = 1;
	if (dev->backend_queue_pairs == 0) {
		snprintf(err, errlen,
			 "back-end says it has 0 queue pairs "
			 "(GET_QUEUE_NUM)");
		return -EPROTO;
	}
	if (dev->started && dev->nb_pairs > dev->backend_queue_pairs) {
		snprintf(err, errlen,
			 "back-end has %u queue pairs (GET_QUEUE_NUM), the "
			 "started port uses %u",
			 dev->backend_queue_pairs, dev->nb_pairs);
		return -ERANGE;
	}
	features = want & offered;
	ret = tvu_fe_set_u64(sock, TVU_SET_FEATURES, features, reply_ack(dev));
	if (ret < 0) {
		snprintf(err, errlen, "SET_FEATURES failed: %s",
			 strerror(-ret));
		return ret;
	}
	dev->features = features;
	return 0;
}

/* Hand one ring to the back-end, resuming where the handoff left it
 * (tv_rxq_vring_info). */
static int
vu_vring_setup(struct tv_dev *dev, int sock, uint32_t vq,
	       const struct tv_vring_info *vi, int kick_fd, int call_fd,
	       char *err, size_t errlen)
{
	bool ack = reply_ack(dev);
	struct tvu_vring_addr addr = {
		.index = vq,
		.desc_user_addr = vi->desc,
		.used_user_addr = vi->used,
		.avail_user_addr = vi->avail,
	};
	const char *step;
	int ret;

	/* No call fd (-1) when we poll, see queue_kick_fd in tv_queue.c;
	 * an RX queue's eventfd in interrupt mode (tv_ethdev.c). */
	step = "SET_VRING_CALL";
	ret = tvu_fe_set_vring_fd(sock, TVU_SET_VRING_CALL, vq, call_fd);
	if (ret == 0) {
		step = "SET_VRING_NUM";
		ret = tvu_fe_set_vring_state(sock, TVU_SET_VRING_NUM, vq,
					     vi->num, ack);
	}
	if (ret == 0) {
		step = "SET_VRING_BASE";
		ret = tvu_fe_set_vring_state(sock, TVU_SET_VRING_BASE, vq,
					     vi->base, ack);
	}
	if (ret == 0) {
		step = "SET_VRING_ADDR";
		ret = tvu_fe_set_vring_addr(sock, &addr, ack);
	}
	if (ret == 0) {
		step = "SET_VRING_KICK";
		ret = tvu_fe_set_vring_fd(sock, TVU_SET_VRING_KICK, vq,
					  kick_fd);
	}
	if (ret == 0 &&
	    tv_has_feature(dev->features, TV_F_VHOST_USER_PROTOCOL_FEATURES)) {
		/* With protocol features, rings start disabled. */
		step = "SET_VRING_ENABLE";
		ret = tvu_fe_set_vring_state(sock, TVU_SET_VRING_ENABLE, vq, 1,
					     ack);
	}
	if (ret < 0) {
		snprintf(err, errlen, "%s for vring %u failed: %s", step, vq,
			 strerror(-ret));
		return ret;
	}
	/* One notification for what the ring already holds: a back-end that
	 * waits for kicks (not DPDK's, which polls) would otherwise not look
	 * at buffers made available before it came (the spec allows extra
	 * notifications). Not in the kicks xstat, which the datapath owns. */
	if (eventfd_write(kick_fd, 1) < 0 && errno != EAGAIN)
		TV_LOG(WARNING, "vring %u: kick after set-up failed: %s", vq,
		       strerror(errno));
	return 0;
}

/* Share all EAL memory (again). Lock and memory lock held (see
 * dev_lock_with_mem). Without REPLY_ACK a request that has a reply follows,
 * so that either way the back-end has mapped the table on return. */
static int
vu_send_mem_table(struct tv_dev *dev, int sock, char *err, size_t errlen)
{
	struct tvu_memory mem;
	int fds[TVU_MAX_MEM_REGIONS];
	uint64_t features;
	int ret;

	ret = tv_mem_table_build(&mem, fds, err, errlen);
	if (ret < 0)
		return ret;
	ret = tvu_fe_set_mem_table(sock, &mem, fds, reply_ack(dev));
	if (ret == 0 && !reply_ack(dev))
		ret = tvu_fe_get_u64(sock, TVU_GET_FEATURES, &features);
	if (ret < 0) {
		snprintf(err, errlen, "SET_MEM_TABLE (%u regions) failed: %s",
			 mem.nregions, strerror(-ret));
		return ret;
	}
	return 0;
}

static void
handoff_error(char *err, size_t errlen, const char *dir, uint16_t q, int ret)
{
	if (ret == -ETIMEDOUT)
		snprintf(err, errlen,
			 "%s queue %u: its datapath did not leave a burst "
			 "within a second; cannot hand the ring over",
			 dir, q);
	else
		snprintf(err, errlen,
			 "%s queue %u: cannot hand the ring over: %s", dir, q,
			 strerror(-ret));
}

/* Memory table, then every configured queue pair. Lock held. */
static int
vu_rings_setup(struct tv_dev *dev, int sock, char *err, size_t errlen)
{
	struct rte_eth_dev_data *data = dev->eth_dev->data;
	struct tv_vring_info vi;
	uint16_t q;
	int ret;

	ret = vu_send_mem_table(dev, sock, err, errlen);
	if (ret < 0)
		return ret;
	for (q = 0; q < dev->nb_pairs; q++) {
		struct tv_rxq *rxq = data->rx_queues[q];
		struct tv_txq *txq = data->tx_queues[q];

		/* [used->idx, avail->idx) becomes exactly what is still
		 * outstanding; a queue the old back-end broke resumes. */
		ret = tv_rxq_handoff(rxq);
		if (ret < 0) {
			handoff_error(err, errlen, "rx", q, ret);
			return ret;
		}
		ret = tv_txq_handoff(txq);
		if (ret < 0) {
			handoff_error(err, errlen, "tx", q, ret);
			return ret;
		}

		tv_rxq_vring_info(rxq, &vi);
		ret = vu_vring_setup(dev, sock, tv_net_rxq_to_vq(q), &vi,
				     rxq->kick_fd, rxq->call_fd, err, errlen);
		if (ret == 0) {
			tv_txq_vring_info(txq, &vi);
			ret = vu_vring_setup(dev, sock, tv_net_txq_to_vq(q),
					     &vi, txq->kick_fd, -1, err,
					     errlen);
		}
		if (ret < 0)
			return ret;
	}
	return 0;
}

/* Stop the back-end using our rings: GET_VRING_BASE is the request after
 * which it must not touch a ring. Lock held. */
static int
vu_rings_stop(struct tv_dev *dev, int sock)
{
	uint32_t vq, base;
	int ret = 0;

	for (vq = 0; vq < 2u * dev->nb_pairs && ret == 0; vq++) {
		if (tv_has_feature(dev->features,
				   TV_F_VHOST_USER_PROTOCOL_FEATURES))
			ret = tvu_fe_set_vring_state(sock, TVU_SET_VRING_ENABLE,
						     vq, 0, reply_ack(dev));
		if (ret == 0)
			ret = tvu_fe_get_vring_base(sock, vq, &base);
	}
	if (ret < 0)
		TV_LOG(ERR, "%s: stopping vring %u failed: %s",
		       dev->eth_dev->data->name, vq - 1, strerror(-ret));
	return ret;
}

/* Lock held: set dev->connected and publish features_shown with it. */
static void
vu_set_connected(struct tv_dev *dev, bool on)
{
	dev->connected = on;
	/* Relaxed: a single 64-bit word read on its own by xstats_get; it
	 * orders nothing else. */
	__atomic_store_n(&dev->features_shown, on ? dev->features : 0,
			 __ATOMIC_RELAXED);
}

/* The back-end failed a request: let the interrupt thread tear the
 * connection down (shutdown makes the socket readable with EOF). */
static void
vu_drop(struct tv_dev *dev)
{
	if (dev->sock >= 0)
		shutdown(dev->sock, SHUT_RDWR);
	vu_set_connected(dev, false);
}

static void
set_timeouts(int sock)
{
	struct timeval tv = {.tv_sec = TV_REPLY_TIMEOUT_S};

	/* A back-end that stops answering mid-request must not hang the
	 * application's control thread forever. */
	setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(sock, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* Take a fresh connection into use. Lock held. On failure the caller still
 * owns `sock`. */
static int
vu_attach(struct tv_dev *dev, int sock)
{
	char err[256] = "";
	struct tv_dp_features dp;
	int ret;

	set_timeouts(sock);
	ret = vu_negotiate(dev, sock, err, sizeof(err));
	if (ret < 0)
		goto fail;
	dp_from_features(dev->features, &dp);
	if (dev->started && (dp.mrg_rxbuf != dev->dp.mrg_rxbuf ||
			     dp.in_order != dev->dp.in_order ||
			     dp.event_idx != dev->dp.event_idx ||
			     dp.packed != dev->dp.packed)) {
		snprintf(err, sizeof(err),
			 "back-end negotiated mrg_rxbuf=%d in_order=%d "
			 "event_idx=%d packed_vq=%d but the started port runs "
			 "with %d/%d/%d/%d; stop and start the port",
			 dp.mrg_rxbuf, dp.in_order, dp.event_idx, dp.packed,
			 dev->dp.mrg_rxbuf, dev->dp.in_order, dev->dp.event_idx,
			 dev->dp.packed);
		ret = -EPROTO;
		goto fail;
	}
	if (dev->started) {
		ret = vu_rings_setup(dev, sock, err, sizeof(err));
		if (ret < 0)
			goto fail;
	}
	if (rte_intr_fd_set(dev->sock_intr, sock) != 0 ||
	    rte_intr_callback_register(dev->sock_intr, vu_sock_event, dev) !=
		    0) {
		snprintf(err, sizeof(err),
			 "cannot watch the socket for hang-up");
		ret = -EIO;
		goto fail;
	}
	dev->sock_intr_on = true;
	dev->sock = sock;
	vu_set_connected(dev, true);
	TV_LOG(INFO,
	       "%s: back-end at %s attached, features 0x%" PRIx64
	       " protocol features 0x%" PRIx64 ", %u queue pairs",
	       dev->eth_dev->data->name, dev->cfg.path, dev->features,
	       dev->protocol_features, dev->backend_queue_pairs);
	return 0;
fail:
	TV_LOG(ERR, "%s: back-end at %s: %s", dev->eth_dev->data->name,
	       dev->cfg.path, err);
	return ret;
}

static void vu_lsc_alarm(void *arg);

/* Lock held: the application sees the state now; no event is due. */
static void
lsc_settle(struct tv_dev *dev)
{
	tv_link_tell(dev, dev->link_up);
	dev->lsc_changes = 0;
}

/* Lock held: have vu_lsc_alarm pending, once, unless close began (which
 * cancels it). False if it is not. */
static bool
lsc_schedule(struct tv_dev *dev)
{
	if (dev->lsc_alarm)
		return true;
	if (dev->closing)
		return false;
	if (rte_eal_alarm_set(1, vu_lsc_alarm, dev) != 0) {
		TV_LOG(ERR, "%s: cannot schedule a link state event",
		       dev->eth_dev->data->name);
		return false;
	}
	dev->lsc_alarm = true;
	return true;
}

/* Lock held: the link event that is due, if any. Sets the state the
 * application sees and returns true: the caller runs the callbacks
 * (tv_raise_lsc) once it has dropped the lock.
 *
 * Changes coalesce. lsc_changes counts those since the state last told:
 * an odd count is one event, to the state now; an even one is a bounce
 * (the back-end went and the next one came, or the port stopped and
 * started again, before the application was told) and gives two events,
 * the opposite state now and the state now from vu_lsc_alarm, so that the
 * application sees down, up and not up, up. Without an alarm (close began,
 * or none can be set) the status is still set, and nothing told. */
static bool
lsc_take(struct tv_dev *dev)
{
	uint8_t tell = dev->link_up;

	if (dev->lsc_changes == 0)
		return false;
	if (dev->lsc_changes % 2 == 1) {
		dev->lsc_changes = 0;
	} else if (lsc_schedule(dev)) {
		tell = !dev->link_up;
		dev->lsc_changes = 1;
	} else {
		lsc_settle(dev);
		return false;
	}
	tv_link_tell(dev, tell);
	return true;
}

/* Lock held, on the application thread (dev_start, dev_stop): the state
 * now, told at once if it differs from what the application was last
 * told. A bounce still pending (the application stops the port while
 * the event of a back-end's arrival waits for the interrupt thread) is
 * not told: the application made the last change itself, and the link
 * must read as it left it when start or stop returns. The pending alarm
 * then finds nothing. A callback still running on the interrupt thread
 * for an earlier event may read the state start or stop set. */
static bool
lsc_take_now(struct tv_dev *dev)
{
	bool changed = dev->link_told != dev->link_up;

	lsc_settle(dev);
	return changed;
}

/* Lock held, in an interrupt callback of the socket or the listen socket:
 * a change there is told from vu_lsc_alarm (see there). */
static void
lsc_post(struct tv_dev *dev)
{
	if (dev->lsc_changes != 0 && !lsc_schedule(dev))
		lsc_settle(dev);
}

static void vu_reconnect_alarm(void *arg);

static void
arm_reconnect(struct tv_dev *dev)
{
	if (dev->cfg.server || dev->closing || dev->alarm_on)
		return;
	if (rte_eal_alarm_set(TV_RECONNECT_US, vu_reconnect_alarm, dev) == 0)
		dev->alarm_on = true;
	else
		TV_LOG(ERR, "%s: cannot arm the reconnect timer",
		       dev->eth_dev->data->name);
}

static void
vu_reconnect_alarm(void *arg)
{
	struct tv_dev *dev = arg;
	bool lsc = false;
	int fd;

	dev_lock_with_mem(dev);
	dev->alarm_on = false;
	if (dev->closing || dev->sock >= 0)
		goto out;
	fd = tvu_connect(dev->cfg.path);
	if (fd < 0) {
		arm_reconnect(dev);
		goto out;
	}
	if (vu_attach(dev, fd) < 0) {
		close(fd);
		arm_reconnect(dev);
		goto out;
	}
	tv_link_refresh(dev);
	lsc = lsc_take(dev);
out:
	dev_unlock_with_mem(dev);
	if (lsc)
		tv_raise_lsc(dev);
}

/* Called by EAL once the socket's callback is really unregistered. */
static void
vu_sock_closed(struct rte_intr_handle *intr_handle, void *arg)
{
	int fd = rte_intr_fd_get(intr_handle);

	RTE_SET_USED(arg);
	if (fd >= 0)
		close(fd);
}

/* Interrupt thread (an EAL alarm lsc_schedule set: for a change
 * vu_sock_event or vu_listen_event saw, or the second event of a bounce):
 * deliver what lsc_take says is due. Not from vu_sock_event itself: that
 * callback has unregistered itself (sock_intr_on false), so tv_vu_fini
 * would not wait for it, and a close racing the hang-up would free the
 * port under the application's callback. Not from vu_listen_event: an
 * application closing the port from its callback would make tv_vu_fini
 * wait there for that very callback's unregistration, for ever.
 * tv_vu_fini cancels this alarm, which waits for a running one. */
static void
vu_lsc_alarm(void *arg)
{
	struct tv_dev *dev = arg;
	bool tell;

	pthread_mutex_lock(&dev->lock);
	dev->lsc_alarm = false;
	tell = !dev->closing && lsc_take(dev);
	pthread_mutex_unlock(&dev->lock);
	/* Nothing of dev after the callbacks: one may close the port. */
	if (tell)
		tv_raise_lsc(dev);
}

/* Lock held, a back-end attached: what its socket holds, without waiting.
 * 0: nothing (it is alive), 1: bytes (an unsolicited message), -1: EOF or
 * an error (it is gone). */
static int
vu_sock_peek(const struct tv_dev *dev)
{
	ssize_t r;
	char c;

	r = recv(dev->sock, &c, 1, MSG_PEEK | MSG_DONTWAIT);
	if (r < 0 &&
	    (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return 0;
	return r > 0 ? 1 : -1;
}

/* Lock held, on the interrupt thread: the attached back-end is gone, or is
 * dropped for sending what it may not: let it go and count the link
 * change (the caller tells it, lsc_post). `in_sock_cb`: called from
 * vu_sock_event, the socket's own callback, which can only be removed
 * once it returns; else from another callback (vu_listen_event), while
 * vu_sock_event cannot be running. */
static int
vu_detach(struct tv_dev *dev, int peeked, bool in_sock_cb)
{
	if (peeked > 0)
		TV_LOG(ERR,
		       "%s: back-end at %s sent an unsolicited message; "
		       "closing the connection",
		       dev->eth_dev->data->name, dev->cfg.path);
	else
		TV_LOG(WARNING, "%s: back-end at %s disconnected%s",
		       dev->eth_dev->data->name, dev->cfg.path,
		       dev->cfg.server ? "; waiting for the next one"
				       : "; reconnecting");
	if (in_sock_cb) {
		/* Unregistered after the callback returns, the fd closed
		 * only then. */
		if (rte_intr_callback_unregister_pending(dev->sock_intr,
							 vu_sock_event, dev,
							 vu_sock_closed) < 0)
			close(dev->sock);
	} else if (rte_intr_callback_unregister(dev->sock_intr, vu_sock_event,
						dev) < 0) {
		/* Cannot happen (its callback is not running: we are in
		 * another one on the same thread). Keep the fd, so that no
		 * later fd of the same number wakes a stale callback. */
		TV_LOG(ERR, "%s: cannot stop watching the back-end's socket",
		       dev->eth_dev->data->name);
		return -1;
	} else {
		close(dev->sock);
	}
	dev->sock_intr_on = false;
	dev->sock = -1;
	vu_set_connected(dev, false);
	tv_link_refresh(dev);
	arm_reconnect(dev);
	return 0;
}

/* Interrupt thread: the socket is readable. A back-end sends nothing
 * unsolicited on this socket (we negotiate no back-end requests), so this
 * is a hang-up, or a protocol error we treat as one. */
static void
vu_sock_event(void *arg)
{
	struct tv_dev *dev = arg;
	int peeked;

	pthread_mutex_lock(&dev->lock);
	if (dev->closing || dev->sock < 0) {
		pthread_mutex_unlock(&dev->lock);
		return;
	}
	/* 0: woken by a reply an ethdev op has consumed meanwhile. */
	peeked = vu_sock_peek(dev);
	if (peeked != 0) {
		(void)vu_detach(dev, peeked, true); /* never fails here */
		/* Under the lock, closing false: set before tv_vu_fini
		 * cancels. */
		lsc_post(dev);
	}
	pthread_mutex_unlock(&dev->lock);
}

/* accept failed and left the back-end's connection queued (no fd or
 * memory: EMFILE, ENFILE, ENOBUFS, ENOMEM). The listen socket stays
 * readable, so EAL calls vu_listen_event again at once, for as long as
 * that lasts. It cannot be taken out of EAL's epoll set meanwhile: EAL
 * then rebuilds that set with a new epoll fd and panics if it gets none,
 * which is just what is short. So each failure logs (once a second) and
 * the callback sleeps TV_ACCEPT_BACKOFF_US, without our locks, before it
 * returns: a few wake-ups a second instead of a core, while every other
 * ready source is still served in each pass of the interrupt thread. */
#define TV_ACCEPT_BACKOFF_US 10000

/* Lock held. Returns whether the caller must back off. */
static bool
accept_failed(struct tv_dev *dev, int err)
{
	uint64_t now = rte_get_timer_cycles();

	/* EAGAIN: nothing queued after all; ECONNABORTED: the one queued
	 * went away. */
	if (err == -EAGAIN || err == -ECONNABORTED)
		return false;
	if (dev->accept_fails++ == 0 ||
	    now - dev->accept_logged >= rte_get_timer_hz()) {
		TV_LOG(ERR,
		       "%s: cannot accept the back-end connecting to %s: %s "
		       "(%" PRIu64 " times); trying again every %u ms",
		       dev->eth_dev->data->name, dev->cfg.path, strerror(-err),
		       dev->accept_fails, TV_ACCEPT_BACKOFF_US / 1000);
		dev->accept_logged = now;
	}
	return true;
}

/* Interrupt thread, server mode: a back-end connects. */
static void
vu_listen_event(void *arg)
{
	struct tv_dev *dev = arg;
	bool backoff = false;
	int fd;

	dev_lock_with_mem(dev);
	if (dev->closing)
		goto out;
	/* The attached back-end may have hung up with its event still to
	 * come in this pass of the interrupt thread (EAL calls the ready
	 * callbacks in the order epoll lists them): take the hang-up first,
	 * rather than refuse its successor (and before accept, whose fd that
	 * frees). */
	if (dev->sock >= 0 && vu_sock_peek(dev) < 0)
		vu_detach(dev, -1, false);
	fd = tvu_accept(dev->listen_fd);
	if (fd < 0) {
		backoff = accept_failed(dev, fd);
		goto out;
	}
	dev->accept_fails = 0;
	if (dev->sock >= 0) {
		TV_LOG(WARNING,
		       "%s: a second back-end connected to %s; "
		       "refused, one is attached already",
		       dev->eth_dev->data->name, dev->cfg.path);
		close(fd);
		goto out;
	}
	if (vu_attach(dev, fd) < 0)
		close(fd);
	else
		tv_link_refresh(dev);
out:
	/* Under the lock, closing false: set before tv_vu_fini cancels. A
	 * hang-up taken above and this attach can make a bounce, which
	 * lsc_take tells as such. */
	if (!dev->closing)
		lsc_post(dev);
	dev_unlock_with_mem(dev);
	if (backoff)
		rte_delay_us_sleep(TV_ACCEPT_BACKOFF_US);
}

/* EAL allocated or freed memory (any thread, EAL's memory hotplug lock
 * held for writing): send the back-end the new table before the memory
 * can be used in a descriptor. The back-end quiesces its datapath around
 * the change; our rings do not move. */
static void
vu_mem_event(enum rte_mem_event type, const void *addr, size_t len, void *arg)
{
	struct tv_dev *dev = arg;
	char err[256];

	pthread_mutex_lock(&dev->lock);
	/* Not started: the table goes with the rings at start. */
	if (!dev->closing && dev->connected && dev->started &&
	    vu_send_mem_table(dev, dev->sock, err, sizeof(err)) < 0) {
		TV_LOG(ERR,
		       "%s: EAL %s %zu bytes at %p, the back-end at %s did "
		       "not take the new memory table (%s); dropping the "
		       "connection",
		       dev->eth_dev->data->name,
		       type == RTE_MEM_EVENT_ALLOC ? "allocated" : "freed", len,
		       addr, dev->cfg.path, err);
		vu_drop(dev);
	}
	pthread_mutex_unlock(&dev->lock);
}

static void
mem_event_name(const struct tv_dev *dev, char *name, size_t size)
{
	/* Unique in the process: one per port. */
	snprintf(name, size, "net_tandem_virtio_port%u",
		 dev->eth_dev->data->port_id);
}

/* What to tell the user when path= cannot be connected to or listened
 * on: something that is not a socket is there (a vhost-kernel device such
 * as /dev/vhost-net, which stock net_virtio_user also drives, or any other
 * file), or else how to get a back-end. */
static const char *
path_hint(const char *path, bool server)
{
	struct stat st;

	if (stat(path, &st) == 0 && !S_ISSOCK(st.st_mode))
		return S_ISCHR(st.st_mode)
			       ? " (a character device, not a vhost-user "
				 "socket: vhost-kernel back-ends such as "
				 "/dev/vhost-net are not supported)"
			       : " (not a socket)";
	return server ? ""
		      : " (start the back-end first, or use server=1 to "
			"wait for it)";
}

int
tv_vu_init(struct tv_dev *dev)
{
	char name[RTE_MEM_EVENT_CALLBACK_NAME_LEN];

	int fd, ret;

	dev->sock = -1;
	dev->listen_fd = -1;
	dev->sock_intr = rte_intr_instance_alloc(RTE_INTR_INSTANCE_F_PRIVATE);
	dev->listen_intr = rte_intr_instance_alloc(RTE_INTR_INSTANCE_F_PRIVATE);
	if (dev->sock_intr == NULL || dev->listen_intr == NULL ||
	    rte_intr_type_set(dev->sock_intr, RTE_INTR_HANDLE_EXT) != 0 ||
	    rte_intr_type_set(dev->listen_intr, RTE_INTR_HANDLE_EXT) != 0) {
		TV_LOG(ERR, "%s: cannot allocate interrupt handles",
		       dev->eth_dev->data->name);
		return -ENOMEM;
	}

	mem_event_name(dev, name, sizeof(name));
	if (rte_mem_event_callback_register(name, vu_mem_event, dev) == 0) {
		dev->mem_event_on = true;
	} else if (rte_errno != ENOTSUP) {
		/* ENOTSUP: legacy memory, which never changes. */
		TV_LOG(ERR,
		       "%s: cannot watch EAL memory for changes: %s; memory "
		       "allocated later could not be shared with the back-end",
		       dev->eth_dev->data->name, rte_strerror(rte_errno));
		return -rte_errno;
	}

	if (dev->cfg.server) {
		fd = tvu_listen(dev->cfg.path);
		if (fd < 0) {
			TV_LOG(ERR, "%s: cannot listen on %s: %s%s",
			       dev->eth_dev->data->name, dev->cfg.path,
			       strerror(-fd), path_hint(dev->cfg.path, true));
			return fd;
		}
		dev->listen_fd = fd;
		if (rte_intr_fd_set(dev->listen_intr, fd) != 0 ||
		    rte_intr_callback_register(dev->listen_intr,
					       vu_listen_event, dev) != 0) {
			TV_LOG(ERR, "%s: cannot watch %s for back-ends",
			       dev->eth_dev->data->name, dev->cfg.path);
			return -EIO;
		}
		dev->listen_intr_on = true;
		TV_LOG(NOTICE,
		       "%s: waiting for a vhost-user back-end to "
		       "connect to %s",
		       dev->eth_dev->data->name, dev->cfg.path);
		return 0;
	}

	fd = tvu_connect(dev->cfg.path);
	if (fd < 0) {
		TV_LOG(ERR,
		       "%s: cannot connect to the vhost-user back-end at "
		       "%s: %s%s",
		       dev->eth_dev->data->name, dev->cfg.path, strerror(-fd),
		       fd == -EAGAIN ? " (it listens but accepts no "
				       "connection: its listen queue is full)"
				     : path_hint(dev->cfg.path, false));
		return fd;
	}
	dev_lock_with_mem(dev);
	ret = vu_attach(dev, fd);
	dev_unlock_with_mem(dev);
	if (ret < 0)
		close(fd);
	return ret;
}

void
tv_vu_fini(struct tv_dev *dev)
{
	bool sock_on, listen_on;

	/* From here on, callbacks and alarms do nothing and re-arm nothing,
	 * so unregistering and cancelling below are final. They must run
	 * without the lock: they wait for a running callback, which may be
	 * waiting for the lock. */
	pthread_mutex_lock(&dev->lock);
	dev->closing = true;
	sock_on = dev->sock_intr_on;
	listen_on = dev->listen_intr_on;
	pthread_mutex_unlock(&dev->lock);

	if (dev->mem_event_on) {
		char name[RTE_MEM_EVENT_CALLBACK_NAME_LEN];

		/* Waits for a running callback, which takes dev->lock. */
		mem_event_name(dev, name, sizeof(name));
		rte_mem_event_callback_unregister(name, dev);
		dev->mem_event_on = false;
	}
	if (sock_on)
		rte_intr_callback_unregister_sync(dev->sock_intr, vu_sock_event,
						  dev);
	if (listen_on)
		rte_intr_callback_unregister_sync(dev->listen_intr,
						  vu_listen_event, dev);
	rte_eal_alarm_cancel(vu_reconnect_alarm, dev);
	rte_eal_alarm_cancel(vu_lsc_alarm, dev);

	pthread_mutex_lock(&dev->lock);
	dev->sock_intr_on = false;
	dev->listen_intr_on = false;
	dev->alarm_on = false;
	if (dev->sock >= 0) {
		close(dev->sock);
		dev->sock = -1;
	}
	vu_set_connected(dev, false);
	if (dev->listen_fd >= 0) {
		close(dev->listen_fd);
		dev->listen_fd = -1;
		/* Our socket file: leave nothing behind. */
		unlink(dev->cfg.path);
	}
	rte_intr_instance_free(dev->sock_intr);
	rte_intr_instance_free(dev->listen_intr);
	dev->sock_intr = NULL;
	dev->listen_intr = NULL;
	pthread_mutex_unlock(&dev->lock);
}

int
tv_vu_start(struct tv_dev *dev)
{
	struct rte_eth_dev_data *data = dev->eth_dev->data;
	char err[256];
	uint64_t wanted;
	bool lsc;
	uint16_t q;
	int ret = 0;

	dev_lock_with_mem(dev);
	/* Without a back-end yet (server mode, or reconnecting), assume it
	 * grants what we ask; vu_attach refuses one that does not. */
	tv_vu_features_wanted(&dev->cfg, &wanted);
	dp_from_features(dev->connected ? dev->features : wanted, &dev->dp);
	dev->dp.fixed_avail = dev->cfg.fixed_avail;
	dev->dp.tx_hdr_push = dev->cfg.tx_hdr_push;
	dev->dp.bulk = dev->cfg.bulk;
	dev->nb_pairs = data->nb_rx_queues;
	if (dev->connected && dev->nb_pairs > dev->backend_queue_pairs) {
		TV_LOG(ERR,
		       "%s: %u queue pairs configured, the back-end at %s has "
		       "%u (GET_QUEUE_NUM)",
		       data->name, dev->nb_pairs, dev->cfg.path,
		       dev->backend_queue_pairs);
		dev_unlock_with_mem(dev);
		return -EINVAL;
	}
	for (q = 0; q < dev->nb_pairs && ret == 0; q++) {
		bool scatter = (data->dev_conf.rxmode.offloads &
				RTE_ETH_RX_OFFLOAD_SCATTER) != 0;

		ret = tv_rxq_reset(data->rx_queues[q], &dev->dp, scatter);
		tv_txq_reset(data->tx_queues[q], &dev->dp);
	}
	if (ret < 0) {
		for (q = 0; q < dev->nb_pairs; q++)
			tv_rxq_drain(data->rx_queues[q]);
		dev_unlock_with_mem(dev);
		return ret;
	}
	dev->started = true;
	if (dev->connected &&
	    vu_rings_setup(dev, dev->sock, err, sizeof(err)) < 0) {
		/* The port starts anyway, link down; the next back-end gets
		 * the rings. */
		TV_LOG(ERR, "%s: back-end at %s: %s; dropping the connection",
		       data->name, dev->cfg.path, err);
		vu_drop(dev);
	}
	tv_link_refresh(dev);
	lsc = lsc_take_now(dev);
	dev_unlock_with_mem(dev);
	if (lsc)
		tv_raise_lsc(dev);
	return 0;
}

void
tv_vu_stop(struct tv_dev *dev)
{
	struct rte_eth_dev_data *data = dev->eth_dev->data;
	bool lsc;
	uint16_t q;

	pthread_mutex_lock(&dev->lock);
	if (dev->started && dev->connected && vu_rings_stop(dev, dev->sock) < 0)
		vu_drop(dev);
	dev->started = false;
	/* The back-end no longer touches the rings (stopped or gone): every
	 * mbuf can go back to its pool. */
	for (q = 0; q < dev->nb_pairs; q++) {
		if (data->rx_queues[q] != NULL)
			tv_rxq_drain(data->rx_queues[q]);
		if (data->tx_queues[q] != NULL)
			tv_txq_drain(data->tx_queues[q]);
	}
	tv_link_refresh(dev);
	lsc = lsc_take_now(dev);
	pthread_mutex_unlock(&dev->lock);
	if (lsc)
		tv_raise_lsc(dev);
}
