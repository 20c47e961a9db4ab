/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * The control thread: one per process, shared by all devices, started with
 * the first device and stopped with the last. It owns every socket (listen,
 * connection, reconnect timer) through one epoll set and handles one
 * message at a time under the control lock.
 *
 * Locks: api_lock serialises tvh_dev_create/destroy (it is never taken by
 * the control thread); ctl.lock protects every device's control state and
 * is held by the control thread while it handles an event, so destroy
 * cannot free a device under a handler. Epoll events name devices by id
 * (and connections by generation), never by pointer, so an event fetched
 * just before a destroy or a reconnect finds nothing and is dropped.
 *
 * Stuck queues (a stop gave up waiting for a burst, tvh_vq.c): their
 * device is disconnected and takes no new connection; a sweep timer looks
 * at them every TVH_SWEEP_MS and releases what was kept for them once the
 * burst left. A device destroyed meanwhile becomes a zombie (off the
 * device list, not freed) until then; zombies are also swept at every
 * tvh_dev_create/destroy, so those left when the control thread stops
 * (last device destroyed) are freed by the next call.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <rte_lcore.h>

#include "tvh_internal.h"

/* Reconnect period of a client while nobody listens. */
#define TVH_RECONNECT_MS 200
/* A front-end that sends half a message (or never reads our replies)
 * must not block the thread all devices share. */
#define TVH_SOCK_TIMEOUT_MS 1000
/* How often stuck queues are looked at again. */
#define TVH_SWEEP_MS 50

static pthread_mutex_t api_lock = PTHREAD_MUTEX_INITIALIZER;

static struct {
	pthread_mutex_t lock;
	pthread_t thread;
	bool stop;
	int epfd;
	int wake_fd;
	int sweep_fd; /* timerfd, armed while a queue is stuck */
	uint32_t next_id;
	unsigned int n_devs;
	TAILQ_HEAD(, tvh_dev) devs;
	/* destroyed with a queue still stuck: freed when it thaws */
	TAILQ_HEAD(, tvh_dev) zombies;
} ctl = {
	.lock = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP,
	.epfd = -1,
	.wake_fd = -1,
	.sweep_fd = -1,
	.devs = TAILQ_HEAD_INITIALIZER(ctl.devs),
	.zombies = TAILQ_HEAD_INITIALIZER(ctl.zombies),
};

static void dev_free(struct tvh_dev *dev);

static uint64_t
ev_data(uint32_t id, enum tvh_ev_kind kind, uint32_t gen)
{
	return (uint64_t)id << 32 | (uint64_t)kind << 24 | (gen & 0xffffff);
}

static int
ev_add(int fd, uint64_t data)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = data};

	return epoll_ctl(ctl.epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

static void
ev_del(int fd)
{
	epoll_ctl(ctl.epfd, EPOLL_CTL_DEL, fd, NULL);
}

static void
timer_arm(struct tvh_dev *dev, bool on)
{
	struct itimerspec its;

	memset(&its, 0, sizeof(its));
	if (on) {
		its.it_value.tv_nsec = TVH_RECONNECT_MS * 1000000L;
		its.it_interval = its.it_value;
	}
	timerfd_settime(dev->timer_fd, 0, &its, NULL);
}

static void
ms_timer_arm(int fd, unsigned int ms)
{
	struct itimerspec its;

	memset(&its, 0, sizeof(its));
	its.it_value.tv_sec = ms / 1000;
	its.it_value.tv_nsec = (long)(ms % 1000) * 1000000L;
	its.it_interval = its.it_value;
	timerfd_settime(fd, 0, &its, NULL);
}

/* With ctl.lock held: release what stuck queues no longer need, free the
 * zombies that have no stuck queue left, and keep the sweep timer armed
 * while something is still stuck. */
static void
sweep(void)
{
	struct tvh_dev *dev, *next;
	bool stuck = false;

	TAILQ_FOREACH(dev, &ctl.devs, link)
	if (dev->n_stuck > 0 && dev->conn_fd < 0)
		stuck |= tvh_dev_thaw(dev) > 0;
	for (dev = TAILQ_FIRST(&ctl.zombies); dev != NULL; dev = next) {
		next = TAILQ_NEXT(dev, link);
		if (tvh_dev_thaw(dev) > 0) {
			stuck = true;
			continue;
		}
		TAILQ_REMOVE(&ctl.zombies, dev, link);
		TVH_LOG_CTRL(INFO, dev,
			     "destroyed device released: its datapath left");
		dev_free(dev);
	}
	if (ctl.sweep_fd >= 0)
		ms_timer_arm(ctl.sweep_fd, stuck ? TVH_SWEEP_MS : 0);
}

static void
conn_setup(struct tvh_dev *dev, int fd)
{
	struct timeval tv = {
		.tv_sec = TVH_SOCK_TIMEOUT_MS / 1000,
		.tv_usec = (TVH_SOCK_TIMEOUT_MS % 1000) * 1000,
	};

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	dev->conn_gen++;
	if (ev_add(fd, ev_data(dev->id, TVH_EV_CONN, dev->conn_gen)) < 0) {
		TVH_LOG_CTRL(ERR, dev, "cannot watch the new connection");
		close(fd);
		return;
	}
	dev->conn_fd = fd;
	dev->stats.connects++;
	TVH_LOG_CTRL(INFO, dev, "front-end connected");
	if (dev->client)
		timer_arm(dev, false);
}

/* End the session: everything the front-end set up is forgotten. */
static void
conn_close(struct tvh_dev *dev, bool reconnect)
{
	if (dev->conn_fd < 0)
		return;
	ev_del(dev->conn_fd);
	close(dev->conn_fd);
	dev->conn_fd = -1;
	dev->conn_gen++;
	tvh_dev_reset(dev);
	dev->protocol_features = 0;
	dev->stats.disconnects++;
	TVH_LOG_CTRL(INFO, dev, "front-end disconnected");
	if (reconnect) {
		tvh_dev_update_ready(dev);
		if (dev->client)
			timer_arm(dev, true);
	}
}

static void
try_connect(struct tvh_dev *dev)
{
	int fd;

	/* Not while a stuck queue holds the old session's memory. */
	if (dev->conn_fd >= 0 || dev->n_stuck > 0)
		return;
	fd = tvu_connect(dev->path);
	if (fd >= 0)
		conn_setup(dev, fd);
}

static void
on_listen(struct tvh_dev *dev)
{
	int fd = tvu_accept(dev->listen_fd);
	uint32_t supp;

	if (fd < 0)
		return;
	if (dev->conn_fd >= 0) {
		/* One front-end per device, as with any vhost-user socket. */
		if (tvh_ratelimit_ok(&dev->rl_msg, &supp))
			TVH_LOG_CTRL(WARNING, dev,
				     "second front-end refused: one is "
				     "connected (%u similar suppressed)",
				     supp);
		close(fd);
		return;
	}
	if (dev->n_stuck > 0) {
		if (tvh_ratelimit_ok(&dev->rl_msg, &supp))
			TVH_LOG_CTRL(WARNING, dev,
				     "front-end refused: the previous one's "
				     "datapath is still inside a burst (%u "
				     "similar suppressed)",
				     supp);
		close(fd);
		return;
	}
	conn_setup(dev, fd);
}

static void
on_conn(struct tvh_dev *dev, uint32_t gen)
{
	struct tvu_msg msg;
	uint32_t supp;
	int rc;

	if (dev->conn_fd < 0 || gen != (dev->conn_gen & 0xffffff))
		return;
	rc = tvu_recv(dev->conn_fd, &msg);
	if (rc < 0) {
		/* Oversized, truncated or timed-out messages leave the
		 * stream unsynchronised: the session ends. */
		if (rc != -ECONNRESET) {
			dev->stats.err_msg++;
			if (tvh_ratelimit_ok(&dev->rl_msg, &supp))
				TVH_LOG_CTRL(ERR, dev,
					     "cannot read the front-end's "
					     "message: %s; disconnecting (%u "
					     "similar suppressed)",
					     strerror(-rc), supp);
		}
		conn_close(dev, true);
		return;
	}
	rc = tvh_msg_handle(dev, &msg);
	if (rc < 0)
		conn_close(dev, true);
}

static struct tvh_dev *
dev_by_id(uint32_t id)
{
	struct tvh_dev *dev;

	TAILQ_FOREACH(dev, &ctl.devs, link)
	if (dev->id == id)
		return dev;
	return NULL;
}

static void
dispatch(uint64_t data)
{
	enum tvh_ev_kind kind = (enum tvh_ev_kind)((data >> 24) & 0xff);
	struct tvh_dev *dev;
	uint64_t ticks;

	if (kind == TVH_EV_WAKE) {
		if (read(ctl.wake_fd, &ticks, sizeof(ticks)) < 0)
			return;
		return;
	}
	if (kind == TVH_EV_SWEEP) {
		if (read(ctl.sweep_fd, &ticks, sizeof(ticks)) < 0 &&
		    errno != EAGAIN)
			return;
		sweep();
		return;
	}
	dev = dev_by_id((uint32_t)(data >> 32));
	if (dev == NULL)
		return;
	switch (kind) {
	case TVH_EV_LISTEN:
		on_listen(dev);
		break;
	case TVH_EV_CONN:
		on_conn(dev, (uint32_t)(data & 0xffffff));
		break;
	case TVH_EV_TIMER:
		if (read(dev->timer_fd, &ticks, sizeof(ticks)) < 0 &&
		    errno != EAGAIN)
			break;
		try_connect(dev);
		break;
	default:
		break;
	}
}

static void *
ctl_main(void *arg)
{
	struct epoll_event evs[16];

	for (;;) {
		int n = epoll_wait(ctl.epfd, evs, RTE_DIM(evs), -1);

		if (n < 0 && errno != EINTR)
			break;
		pthread_mutex_lock(&ctl.lock);
		if (ctl.stop) {
			pthread_mutex_unlock(&ctl.lock);
			break;
		}
		for (int i = 0; i < n; i++)
			dispatch(evs[i].data.u64);
		/* A handler may have left a queue stuck: start sweeping. */
		sweep();
		pthread_mutex_unlock(&ctl.lock);
	}
	return NULL;
}

/* With ctl.lock held. */
static int
ctl_start(void)
{
	int rc;

	tvh_barrier_init();
	ctl.epfd = epoll_create1(EPOLL_CLOEXEC);
	ctl.wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ctl.sweep_fd =
		timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (ctl.epfd < 0 || ctl.wake_fd < 0 || ctl.sweep_fd < 0) {
		rc = -errno;
		goto fail;
	}
	rc = ev_add(ctl.wake_fd, ev_data(0, TVH_EV_WAKE, 0));
	if (rc == 0)
		rc = ev_add(ctl.sweep_fd, ev_data(0, TVH_EV_SWEEP, 0));
	if (rc < 0)
		goto fail;
	ctl.stop = false;
	rc = rte_ctrl_thread_create(&ctl.thread, "tvh-ctrl", NULL, ctl_main,
				    NULL);
	if (rc < 0)
		goto fail;
	return 0;
fail:
	if (ctl.epfd >= 0)
		close(ctl.epfd);
	if (ctl.wake_fd >= 0)
		close(ctl.wake_fd);
	if (ctl.sweep_fd >= 0)
		close(ctl.sweep_fd);
	ctl.epfd = -1;
	ctl.wake_fd = -1;
	ctl.sweep_fd = -1;
	return rc;
}

static void
dev_free(struct tvh_dev *dev)
{
	free(dev->vqs);
	free(dev);
}

static int
dev_alloc(const struct tvh_config *cfg, const struct tvh_ops *ops, void *ctx,
	  struct tvh_dev **out)
{
	uint64_t feat = cfg->features ? cfg->features : tvh_default_features();
	uint64_t pfeat = cfg->protocol_features
				 ? cfg->protocol_features
				 : tvh_default_protocol_features();
	struct tvh_dev *dev;
	void *vqs;

	if (cfg->path == NULL || cfg->path[0] == '\0' ||
	    cfg->n_queue_pairs == 0 || cfg->n_queue_pairs > TVH_MAX_QUEUE_PAIRS)
		return -EINVAL;
	if (strlen(cfg->path) >= sizeof(dev->path))
		return -ENAMETOOLONG;
	if ((feat & ~tvh_supported_features()) ||
	    (pfeat & ~tvh_supported_protocol_features())) {
		rte_log(RTE_LOG_ERR, tvh_logtype_ctrl,
			"%s: cannot offer features 0x%" PRIx64
			" / protocol features 0x%" PRIx64 ": not implemented\n",
			cfg->path, feat & ~tvh_supported_features(),
			pfeat & ~tvh_supported_protocol_features());
		return -ENOTSUP;
	}
	dev = calloc(1, sizeof(*dev));
	if (dev == NULL)
		return -ENOMEM;
	if (posix_memalign(&vqs, RTE_CACHE_LINE_SIZE,
			   2u * cfg->n_queue_pairs * sizeof(struct tvh_vq))) {
		free(dev);
		return -ENOMEM;
	}
	dev->vqs = vqs;
	strcpy(dev->path, cfg->path);
	snprintf(dev->log_name, sizeof(dev->log_name), "%s",
		 cfg->log_name ? cfg->log_name : cfg->path);
	dev->client = cfg->client;
	dev->disabled_tx_discard = cfg->disabled_tx_discard;
	if (ops != NULL)
		dev->ops = *ops;
	dev->ctx = ctx;
	dev->n_queue_pairs = cfg->n_queue_pairs;
	dev->n_vqs = 2u * cfg->n_queue_pairs;
	dev->offered_features = feat;
	dev->offered_protocol_features = pfeat;
	dev->listen_fd = -1;
	dev->conn_fd = -1;
	dev->timer_fd = -1;
	for (uint32_t i = 0; i < dev->n_vqs; i++)
		tvh_vq_init(dev, &dev->vqs[i], (uint16_t)i);
	*out = dev;
	return 0;
}

/* With ctl.lock held: open the device's sockets and watch them. */
static int
dev_attach(struct tvh_dev *dev)
{
	int rc;

	dev->id = ++ctl.next_id;
	if (dev->id == 0) /* 0 names the wake event */
		dev->id = ++ctl.next_id;
	if (dev->client) {
		dev->timer_fd = timerfd_create(CLOCK_MONOTONIC,
					       TFD_NONBLOCK | TFD_CLOEXEC);
		if (dev->timer_fd < 0)
			return -errno;
		rc = ev_add(dev->timer_fd, ev_data(dev->id, TVH_EV_TIMER, 0));
		if (rc < 0)
			return rc;
		try_connect(dev);
		if (dev->conn_fd < 0)
			timer_arm(dev, true);
	} else {
		dev->listen_fd = tvu_listen(dev->path);
		if (dev->listen_fd < 0)
			return dev->listen_fd;
		rc = ev_add(dev->listen_fd, ev_data(dev->id, TVH_EV_LISTEN, 0));
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* With ctl.lock held: stop the session, close and unwatch everything. */
static void
dev_detach(struct tvh_dev *dev)
{
	conn_close(dev, false);
	/* Also when no front-end was connected: nothing may stay mapped. */
	tvh_dev_reset(dev);
	if (dev->timer_fd >= 0) {
		ev_del(dev->timer_fd);
		close(dev->timer_fd);
		dev->timer_fd = -1;
	}
	if (dev->listen_fd >= 0) {
		ev_del(dev->listen_fd);
		close(dev->listen_fd);
		dev->listen_fd = -1;
		unlink(dev->path);
	}
}

static void
ctl_stop_locked_then_join(void)
{
	static const uint64_t one = 1;

	ctl.stop = true;
	if (write(ctl.wake_fd, &one, sizeof(one)) < 0)
		rte_log(RTE_LOG_ERR, tvh_logtype_ctrl,
			"tandem_vhost: cannot wake the control thread\n");
	pthread_mutex_unlock(&ctl.lock);
	pthread_join(ctl.thread, NULL);
	pthread_mutex_lock(&ctl.lock);
	close(ctl.epfd);
	close(ctl.wake_fd);
	close(ctl.sweep_fd);
	ctl.epfd = -1;
	ctl.wake_fd = -1;
	ctl.sweep_fd = -1;
	ctl.stop = false;
}

int
tvh_dev_create(const struct tvh_config *cfg, const struct tvh_ops *ops,
	       void *ctx, struct tvh_dev **out)
{
	struct tvh_dev *dev = NULL;
	int rc;

	if (cfg == NULL || out == NULL)
		return -EINVAL;
	rc = dev_alloc(cfg, ops, ctx, &dev);
	if (rc < 0)
		return rc;
	pthread_mutex_lock(&api_lock);
	pthread_mutex_lock(&ctl.lock);
	if (ctl.n_devs == 0) {
		rc = ctl_start();
		if (rc < 0)
			goto fail;
	}
	/* Zombies left when the previous control thread stopped. */
	sweep();
	ctl.n_devs++;
	TAILQ_INSERT_TAIL(&ctl.devs, dev, link);
	rc = dev_attach(dev);
	if (rc < 0) {
		TVH_LOG_CTRL(ERR, dev, "cannot %s %s: %s",
			     dev->client ? "connect to" : "listen on",
			     dev->path, strerror(-rc));
		TAILQ_REMOVE(&ctl.devs, dev, link);
		dev_detach(dev);
		if (--ctl.n_devs == 0)
			ctl_stop_locked_then_join();
		goto fail;
	}
	pthread_mutex_unlock(&ctl.lock);
	pthread_mutex_unlock(&api_lock);
	*out = dev;
	return 0;
fail:
	pthread_mutex_unlock(&ctl.lock);
	pthread_mutex_unlock(&api_lock);
	dev_free(dev);
	return rc;
}

void
tvh_dev_destroy(struct tvh_dev *dev)
{
	if (dev == NULL)
		return;
	pthread_mutex_lock(&api_lock);
	pthread_mutex_lock(&ctl.lock);
	TAILQ_REMOVE(&ctl.devs, dev, link);
	dev_detach(dev);
	if (dev->n_stuck > 0) {
		/* A datapath thread is still inside a burst on it: the
		 * memory, call fds and the device itself stay until it
		 * leaves (sweep). */
		TVH_LOG_CTRL(WARNING, dev,
			     "destroyed while %u ring(s) are still inside a "
			     "burst: released when they leave",
			     dev->n_stuck);
		TAILQ_INSERT_TAIL(&ctl.zombies, dev, link);
		dev = NULL;
	}
	sweep();
	if (--ctl.n_devs == 0)
		ctl_stop_locked_then_join();
	pthread_mutex_unlock(&ctl.lock);
	pthread_mutex_unlock(&api_lock);
	if (dev != NULL)
		dev_free(dev);
}

int
tvh_vq_extra_stats_get(struct tvh_dev *dev, uint16_t vq,
		       struct tvh_vq_extra_stats *st)
{
	if (dev == NULL || st == NULL || vq >= dev->n_vqs)
		return -EINVAL;
	/* The lock keeps the control thread from closing the kick fd
	 * while we read it. */
	pthread_mutex_lock(&ctl.lock);
	tvh_vq_drain_kicks(&dev->vqs[vq]);
	st->kicks = dev->vqs[vq].kicks;
	/* Written by the datapath: may be a burst old. */
	st->discarded = dev->vqs[vq].discarded;
	st->calls_eagain = dev->vqs[vq].calls_eagain;
	pthread_mutex_unlock(&ctl.lock);
	return 0;
}

void
tvh_dev_stats_get(const struct tvh_dev *dev, struct tvh_dev_stats *st)
{
	if (dev == NULL || st == NULL)
		return;
	pthread_mutex_lock(&ctl.lock);
	*st = dev->stats;
	pthread_mutex_unlock(&ctl.lock);
}
