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
 *
 * Messages are read only when they are complete: a connection's queued
 * bytes are peeked at, and a message that is not all there yet is left
 * in the socket while the thread serves the other devices (the socket is
 * then watched edge-triggered, so the bytes already queued do not wake
 * it again). A message must be complete TVH_MSG_DEADLINE_MS after the
 * thread first saw part of it, else the session ends (the epoll wait is
 * bounded by the nearest deadline). A front-end that dribbles a message
 * therefore delays nobody else.
 *
 * The SIGBUS guard (tvh_mem.c) wakes the thread through an eventfd when it
 * absorbed a fault in a front-end's memory: that front-end is
 * disconnected.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stddef.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <rte_lcore.h>

#include "tvh_internal.h"

/* Reconnect period of a client while nobody listens. */
#define TVH_RECONNECT_MS 200
/* How long a server stops listening after accept found no fd or memory. */
#define TVH_LISTEN_PAUSE_MS 1000
#define TVH_LISTEN_PAUSE_NS (TVH_LISTEN_PAUSE_MS * 1000000ull)
/* A front-end that never reads our replies must not block the thread all
 * devices share for long (receiving never waits: see above). */
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
ev_ctl(int op, int fd, uint32_t events, uint64_t data)
{
	struct epoll_event ev = {.events = events, .data.u64 = data};

	return epoll_ctl(ctl.epfd, op, fd, &ev) < 0 ? -errno : 0;
}

static int
ev_add(int fd, uint64_t data)
{
	return ev_ctl(EPOLL_CTL_ADD, fd, EPOLLIN, data);
}

/* A connection: level-triggered while no message is pending, edge-
 * triggered while one is incomplete (see the top of this file). RDHUP:
 * a front-end that hangs up in the middle of a message is seen at once. */
static int
conn_watch(struct tvh_dev *dev, int op, bool et)
{
	int rc = ev_ctl(op, dev->conn_fd,
			EPOLLIN | EPOLLRDHUP | (et ? EPOLLET : 0),
			ev_data(dev->id, TVH_EV_CONN, dev->conn_gen));

	if (rc == 0)
		dev->conn_et = et;
	return rc;
}

static uint64_t
now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static void
ev_del(int fd)
{
	epoll_ctl(ctl.epfd, EPOLL_CTL_DEL, fd, NULL);
}

/* ---- Interrupt mode: kicks relayed to the application's wake fd ---- */

int
tvh_kick_watch(struct tvh_vq *vq)
{
	int rc;

	if (vq->kick_watched || vq->kick_fd < 0 || vq->wake_fd < 0)
		return 0;
	/* Edge-triggered: every write of the front-end's is an event, and
	 * the eventfd is never read (the front-end shares the file: it may
	 * empty it or make it blocking, and a read would then hang this
	 * thread, which every device shares). */
	rc = ev_ctl(EPOLL_CTL_ADD, vq->kick_fd, EPOLLIN | EPOLLET,
		    ev_data(vq->dev->id, TVH_EV_KICK, vq->index));
	if (rc < 0) {
		TVH_LOG_CTRL(ERR, vq->dev,
			     "vring %u: cannot watch the kick fd for interrupt "
			     "mode (%s): the ring is polled",
			     vq->index, strerror(-rc));
		return rc;
	}
	vq->kick_watched = true;
	__atomic_store_n(&vq->kick_relay, true, __ATOMIC_RELEASE);
	return 0;
}

void
tvh_kick_unwatch(struct tvh_vq *vq)
{
	if (!vq->kick_watched)
		return;
	__atomic_store_n(&vq->kick_relay, false, __ATOMIC_RELEASE);
	ev_del(vq->kick_fd);
	vq->kick_watched = false;
}

/* The front-end wrote the kick fd: wake the application (the kick is
 * counted from fdinfo, tvh_vq_drain_kicks). An event of a fd replaced
 * meanwhile only makes one spurious wake-up. */
static void
on_kick(struct tvh_vq *vq)
{
	if (vq->kick_watched)
		tvh_vq_wake(vq);
}

int
tvh_vq_set_wake_fd(struct tvh_dev *dev, uint16_t vq, int wake_fd)
{
	struct tvh_vq *v;
	int rc;

	if (dev == NULL || vq >= dev->n_vqs)
		return -EINVAL;
	v = &dev->vqs[vq];
	pthread_mutex_lock(&ctl.lock);
	tvh_kick_unwatch(v);
	v->wake_fd = wake_fd;
	rc = tvh_kick_watch(v);
	pthread_mutex_unlock(&ctl.lock);
	return rc;
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
	static const int one = 1;
	struct timeval tv = {
		.tv_sec = TVH_SOCK_TIMEOUT_MS / 1000,
		.tv_usec = (TVH_SOCK_TIMEOUT_MS % 1000) * 1000,
	};

	/* Receiving never waits (only whole messages are read); the
	 * receive timeout is a safety net. */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	/* A byte the front-end sends with MSG_OOB (unix sockets have them
	 * since Linux 5.15) counts in FIONREAD, so conn_peek would call its
	 * message complete, but an ordinary read skips it: the read would
	 * wait out the timeouts for a byte that never comes, holding the
	 * control thread. Inline, it is just the next byte of the stream. */
	setsockopt(fd, SOL_SOCKET, SO_OOBINLINE, &one, sizeof(one));
	dev->conn_gen++;
	dev->conn_fd = fd;
	dev->msg_deadline = 0;
	if (conn_watch(dev, EPOLL_CTL_ADD, false) < 0) {
		TVH_LOG_CTRL(ERR, dev, "cannot watch the new connection");
		dev->conn_fd = -1;
		close(fd);
		return;
	}
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
	dev->msg_deadline = 0;
	dev->conn_et = false;
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

/* The listen socket into the epoll set (at attach, and after a pause). */
static int
listen_watch(struct tvh_dev *dev)
{
	return ev_add(dev->listen_fd, ev_data(dev->id, TVH_EV_LISTEN, 0));
}

/* accept failed with the connection still queued (no fd or memory left):
 * the listen socket, level-triggered, would wake the thread again at
 * once, for as long as the shortage lasts. It leaves the epoll set for
 * TVH_LISTEN_PAUSE_MS instead (listen_resume_due puts it back). */
static void
listen_pause(struct tvh_dev *dev, int err)
{
	uint32_t supp;

	ev_del(dev->listen_fd);
	dev->listen_resume = now_ns() + TVH_LISTEN_PAUSE_NS;
	dev->stats.accept_fails++;
	if (tvh_ratelimit_ok(&dev->rl_msg, &supp))
		TVH_LOG_CTRL(ERR, dev,
			     "cannot accept a front-end: %s; listening again "
			     "in %u ms (%u similar suppressed)",
			     strerror(-err), TVH_LISTEN_PAUSE_MS, supp);
}

/* Watch the listen sockets whose pause is over again. */
static void
listen_resume_due(void)
{
	uint64_t now = now_ns();
	struct tvh_dev *dev;

	TAILQ_FOREACH(dev, &ctl.devs, link)
	{
		if (dev->listen_fd < 0 || dev->listen_resume == 0 ||
		    now < dev->listen_resume)
			continue;
		if (listen_watch(dev) == 0)
			dev->listen_resume = 0;
		else
			dev->listen_resume = now + TVH_LISTEN_PAUSE_NS;
	}
}

static void
on_listen(struct tvh_dev *dev)
{
	int fd = tvu_accept(dev->listen_fd);
	uint32_t supp;

	/* EAGAIN: nothing queued after all; ECONNABORTED: the one queued
	 * went away. Anything else leaves it queued. */
	if (fd < 0) {
		if (fd != -EAGAIN && fd != -ECONNABORTED)
			listen_pause(dev, fd);
		return;
	}
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

/* What a connection holds, as far as can be seen without reading it. */
enum conn_queued {
	CONN_EMPTY,    /* nothing (a spurious wake-up) */
	CONN_PARTIAL,  /* part of a message */
	CONN_COMPLETE, /* at least one whole message: tvu_recv won't wait */
	CONN_EOF,      /* nothing, and the front-end closed */
};

static ssize_t
peek(int fd, void *buf, size_t len)
{
	ssize_t n;

	do {
		n = recv(fd, buf, len, MSG_PEEK | MSG_DONTWAIT);
	} while (n < 0 && errno == EINTR);
	return n;
}

/* A peek stops after a chunk that carried fds, so a header whose first
 * bytes came with the fds and the rest separately is seen in pieces: read
 * on from a peek offset (each peek moves it), then turn the offset off
 * again so that it cannot affect tvu_recv. Returns the header bytes
 * seen. */
static size_t
peek_header_in_pieces(int fd, uint8_t *hdr, size_t got)
{
	int off = (int)got;
	ssize_t n;

	if (setsockopt(fd, SOL_SOCKET, SO_PEEK_OFF, &off, sizeof(off)) < 0)
		return got;
	while (got < TVU_HDR_SIZE) {
		n = peek(fd, hdr + got, TVU_HDR_SIZE - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	off = -1;
	setsockopt(fd, SOL_SOCKET, SO_PEEK_OFF, &off, sizeof(off));
	return got;
}

/* Peek at the header (without fds: a peek with no room for them installs
 * none) and compare what it announces with what is queued. A header that
 * announces an oversized payload counts as complete: tvu_recv refuses it
 * after reading the header alone. Returns 0, or -errno if the socket
 * failed. */
static int
conn_peek(int fd, enum conn_queued *q)
{
	uint8_t hdr[TVU_HDR_SIZE];
	uint32_t size;
	ssize_t n;
	int inq;

	RTE_BUILD_BUG_ON(offsetof(struct tvu_msg, size) + sizeof(size) !=
			 TVU_HDR_SIZE);
	n = peek(fd, hdr, sizeof(hdr));
	if (n < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -errno;
		*q = CONN_EMPTY;
		return 0;
	}
	if (n == 0) {
		*q = CONN_EOF;
		return 0;
	}
	if (ioctl(fd, FIONREAD, &inq) < 0)
		return -errno;
	if ((size_t)n < sizeof(hdr) && inq > n)
		n = (ssize_t)peek_header_in_pieces(fd, hdr, (size_t)n);
	if ((size_t)n < sizeof(hdr)) {
		*q = CONN_PARTIAL;
		return 0;
	}
	memcpy(&size, hdr + offsetof(struct tvu_msg, size), sizeof(size));
	if (size > TVU_PAYLOAD_MAX) {
		*q = CONN_COMPLETE;
		return 0;
	}
	*q = inq >= 0 && (uint32_t)inq >= TVU_HDR_SIZE + size ? CONN_COMPLETE
							      : CONN_PARTIAL;
	return 0;
}

/* Handle the next message if it is all there; otherwise start its
 * deadline (once) and wait for the rest, edge-triggered. `events`: what
 * epoll reported (0 when called for a deadline). */
static void
conn_poll(struct tvh_dev *dev, uint32_t events)
{
	enum conn_queued q = CONN_EMPTY;
	struct tvu_msg msg;
	uint32_t supp;
	int rc;

	rc = conn_peek(dev->conn_fd, &q);
	if (rc < 0 || q == CONN_EOF) {
		/* A reset or a hang-up: the session ends, as when the
		 * front-end closes between messages (not an error). */
		conn_close(dev, true);
		return;
	}
	if (q == CONN_EMPTY)
		return;
	if (q == CONN_PARTIAL) {
		/* The rest cannot come any more. */
		if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
			conn_close(dev, true);
			return;
		}
		if (dev->msg_deadline == 0) {
			dev->msg_deadline =
				now_ns() + TVH_MSG_DEADLINE_MS * 1000000ull;
			if (conn_watch(dev, EPOLL_CTL_MOD, true) < 0)
				conn_close(dev, true);
		}
		return;
	}
	dev->msg_deadline = 0;
	/* Back to level-triggered: another message already queued wakes
	 * us again at once. */
	if (dev->conn_et && conn_watch(dev, EPOLL_CTL_MOD, false) < 0) {
		conn_close(dev, true);
		return;
	}
	/* Handlers read only the payload bytes validation vouched for; the
	 * debug log line prints the first 8 whatever the size. */
	msg.payload.u64 = 0;
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

static void
on_conn(struct tvh_dev *dev, uint32_t gen, uint32_t events)
{
	if (dev->conn_fd < 0 || gen != (dev->conn_gen & 0xffffff))
		return;
	conn_poll(dev, events);
}

/* End the sessions whose message is still incomplete at its deadline. */
static void
expire_partial(void)
{
	uint64_t now = now_ns();
	struct tvh_dev *dev;
	uint32_t supp;

	TAILQ_FOREACH(dev, &ctl.devs, link)
	{
		if (dev->conn_fd < 0 || dev->msg_deadline == 0 ||
		    now < dev->msg_deadline)
			continue;
		/* A last look: the rest may have come with its wake-up
		 * not fetched yet. */
		conn_poll(dev, 0);
		if (dev->conn_fd < 0 || dev->msg_deadline == 0)
			continue;
		dev->stats.err_msg++;
		dev->stats.msg_stalls++;
		if (tvh_ratelimit_ok(&dev->rl_msg, &supp))
			TVH_LOG_CTRL(ERR, dev,
				     "front-end sent a partial message and "
				     "stalled for %u ms; disconnecting (%u "
				     "similar suppressed)",
				     TVH_MSG_DEADLINE_MS, supp);
		conn_close(dev, true);
	}
}

/* How long the control thread may sleep: until the nearest deadline of
 * an incomplete message or end of a listen pause (-1: none). */
static int
next_timeout_ms(void)
{
	uint64_t now = now_ns(), first = UINT64_MAX;
	struct tvh_dev *dev;

	TAILQ_FOREACH(dev, &ctl.devs, link)
	{
		if (dev->conn_fd >= 0 && dev->msg_deadline != 0 &&
		    dev->msg_deadline < first)
			first = dev->msg_deadline;
		if (dev->listen_fd >= 0 && dev->listen_resume != 0 &&
		    dev->listen_resume < first)
			first = dev->listen_resume;
	}
	if (first == UINT64_MAX)
		return -1;
	if (first <= now)
		return 0;
	return (int)((first - now + 999999u) / 1000000u);
}

/* The SIGBUS guard absorbed faults: end the sessions whose memory they
 * were in. */
static void
on_guard(void)
{
	struct tvh_dev *dev;
	uint32_t supp;

	TAILQ_FOREACH(dev, &ctl.devs, link)
	{
		uint32_t regions = 0;
		uint32_t n = tvh_guard_faults(dev, &regions);

		if (n == 0)
			continue;
		dev->stats.mem_faults += n;
		dev->stats.err_mem++;
		if (tvh_ratelimit_ok(&dev->rl_mem, &supp))
			TVH_LOG_CTRL(ERR, dev,
				     "front-end truncated its memory region(s) "
				     "(mask 0x%x) after mapping them: %u "
				     "access(es) beyond the end of the file "
				     "read zeros; disconnecting (%u similar "
				     "suppressed)",
				     regions, n, supp);
		conn_close(dev, true);
	}
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
dispatch(const struct epoll_event *ev)
{
	uint64_t data = ev->data.u64;
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
	if (kind == TVH_EV_GUARD) {
		if (read(tvh_guard_fd(), &ticks, sizeof(ticks)) < 0 &&
		    errno != EAGAIN)
			return;
		on_guard();
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
		on_conn(dev, (uint32_t)(data & 0xffffff), ev->events);
		break;
	case TVH_EV_TIMER:
		if (read(dev->timer_fd, &ticks, sizeof(ticks)) < 0 &&
		    errno != EAGAIN)
			break;
		try_connect(dev);
		break;
	case TVH_EV_KICK:
		if ((data & 0xffffff) < dev->n_vqs)
			on_kick(&dev->vqs[data & 0xffffff]);
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
		int n, timeout;

		pthread_mutex_lock(&ctl.lock);
		timeout = next_timeout_ms();
		pthread_mutex_unlock(&ctl.lock);
		n = epoll_wait(ctl.epfd, evs, RTE_DIM(evs), timeout);
		if (n < 0 && errno != EINTR)
			break;
		pthread_mutex_lock(&ctl.lock);
		if (ctl.stop) {
			pthread_mutex_unlock(&ctl.lock);
			break;
		}
		for (int i = 0; i < n; i++)
			dispatch(&evs[i]);
		expire_partial();
		listen_resume_due();
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
	/* Before the first mapping (once per process). */
	rc = tvh_guard_init();
	if (rc < 0) {
		rte_log(RTE_LOG_ERR, tvh_logtype_ctrl,
			"tandem_vhost: cannot install the SIGBUS guard: %s\n",
			strerror(-rc));
		return rc;
	}
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
	if (rc == 0)
		rc = ev_add(tvh_guard_fd(), ev_data(0, TVH_EV_GUARD, 0));
	if (rc < 0)
		goto fail;
	ctl.stop = false;
	rc = rte_ctrl_thread_create(&ctl.thread, "tvh-ctrl", NULL, ctl_main,
				    NULL);
	if (rc < 0)
		goto fail;
	return 0;
fail:
	tvh_guard_fini();
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
	    cfg->n_queue_pairs == 0 ||
	    cfg->n_queue_pairs > TVH_MAX_QUEUE_PAIRS ||
	    (unsigned int)cfg->copy > TVH_COPY_AVX512)
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
	if (!tvh_copy_cpu_has(cfg->copy)) {
		rte_log(RTE_LOG_ERR, tvh_logtype_ctrl,
			"%s: copy level %s: this CPU does not have it\n",
			cfg->path, tvh_copy_name(cfg->copy));
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
	dev->max_guest_mem = cfg->max_guest_mem ? cfg->max_guest_mem
						: TVH_DEFAULT_MAX_GUEST_MEM;
	dev->copy = tvh_copy_resolve(cfg->copy);
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
		rc = listen_watch(dev);
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
	tvh_guard_fini();
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
