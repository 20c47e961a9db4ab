/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * tvu_socket.c - vhost-user transport over AF_UNIX stream sockets: one
 * message = 12-byte header + payload, fds as SCM_RIGHTS ancillary data.
 *
 * The peer is untrusted. Whatever it sends, every fd that reaches this
 * process is either handed to the caller in a message that tvu_recv
 * returned 0 for, or closed before tvu_recv returns.
 */
#include "tvu.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* How long a message already begun may take to arrive in full before
 * tvu_recv gives up, counted from its first byte: a stalled peer, or one
 * that trickles a byte at a time, must not hold the control thread for
 * long. On a blocking socket only the first byte waits longer (for as
 * long as the socket's SO_RCVTIMEO lets it). */
#define TVU_MIDMSG_TIMEOUT_MS 1000

/* Fds received so far for the message being read. */
struct fd_acc {
	int fds[TVU_MAX_FDS];
	uint32_t n;
	bool overflow; /* more than TVU_MAX_FDS, or control data truncated */
};

static void
fd_acc_close(struct fd_acc *acc)
{
	uint32_t i;

	for (i = 0; i < acc->n; i++)
		close(acc->fds[i]);
	acc->n = 0;
}

/* Take every SCM_RIGHTS fd out of `mh`. Fds beyond TVU_MAX_FDS are closed
 * at once and mark the message as bad. */
static void
fd_acc_collect(struct fd_acc *acc, struct msghdr *mh)
{
	struct cmsghdr *cm;
	size_t i, n;
	int fd;

	if (mh->msg_flags & MSG_CTRUNC)
		acc->overflow = true;
	for (cm = CMSG_FIRSTHDR(mh); cm != NULL; cm = CMSG_NXTHDR(mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < n; i++) {
			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int),
			       sizeof(fd));
			if (acc->n < TVU_MAX_FDS) {
				acc->fds[acc->n++] = fd;
			} else {
				close(fd);
				acc->overflow = true;
			}
		}
	}
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait until `sock` is ready for `events`, at most until `deadline`
 * (now_ms's clock). */
static int
wait_fd(int sock, short events, int64_t deadline)
{
	struct pollfd pfd = {.fd = sock, .events = events};
	int64_t left;
	int ret;

	do {
		left = deadline - now_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		ret = poll(&pfd, 1, (int)left);
	} while (ret < 0 && errno == EINTR);
	if (ret < 0)
		return -errno;
	if (ret == 0)
		return -ETIMEDOUT;
	return 0;
}

/* Read exactly `len` bytes, collecting fds that come with any of them.
 * *deadline is 0 until the message has begun (EAGAIN then means "nothing
 * to read", or on a blocking socket that SO_RCVTIMEO ran out); its first
 * byte sets it, and the rest of the message must arrive by then (the
 * reads no longer block: they wait in poll, bounded). Returns 0,
 * -ECONNRESET on EOF or -errno. */
static int
read_full(int sock, void *buf, size_t len, int64_t *deadline,
	  struct fd_acc *acc)
{
	/* Room for one more fd than allowed, so a sender of too many is
	 * seen as such even on kernels that do not set MSG_CTRUNC. */
	union {
		char buf[CMSG_SPACE((TVU_MAX_FDS + 1) * sizeof(int))];
		struct cmsghdr align;
	} ctrl;
	size_t done = 0;
	ssize_t n;
	int ret;

	while (done < len) {
		struct iovec iov = {
			.iov_base = (char *)buf + done,
			.iov_len = len - done,
		};
		struct msghdr mh = {
			.msg_iov = &iov,
			.msg_iovlen = 1,
			.msg_control = ctrl.buf,
			.msg_controllen = sizeof(ctrl.buf),
		};
		int flags = MSG_CMSG_CLOEXEC;

		if (*deadline != 0)
			flags |= MSG_DONTWAIT;
		n = recvmsg(sock, &mh, flags);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				if (*deadline == 0)
					return -EAGAIN;
				ret = wait_fd(sock, POLLIN, *deadline);
				if (ret < 0)
					return ret;
				continue;
			}
			return -errno;
		}
		fd_acc_collect(acc, &mh);
		if (n == 0)
			return -ECONNRESET;
		if (*deadline == 0)
			*deadline = now_ms() + TVU_MIDMSG_TIMEOUT_MS;
		done += (size_t)n;
	}
	return 0;
}

int
tvu_recv(int sock, struct tvu_msg *msg)
{
	struct fd_acc acc = {.n = 0, .overflow = false};
	int64_t deadline = 0;
	uint32_t i;
	int ret;

	msg->n_fds = 0;
	ret = read_full(sock, msg, TVU_HDR_SIZE, &deadline, &acc);
	if (ret < 0)
		goto fail;
	if (msg->size > TVU_PAYLOAD_MAX) {
		/* The stream cannot be resynchronised: the caller closes. */
		ret = -EMSGSIZE;
		goto fail;
	}
	ret = read_full(sock, &msg->payload, msg->size, &deadline, &acc);
	if (ret < 0)
		goto fail;
	if (acc.overflow) {
		/* The whole message was consumed, so the stream is still in
		 * step; only this message is refused. */
		ret = -EBADMSG;
		goto fail;
	}
	for (i = 0; i < acc.n; i++)
		msg->fds[i] = acc.fds[i];
	for (; i < TVU_MAX_FDS; i++)
		msg->fds[i] = -1;
	msg->n_fds = acc.n;
	return 0;

fail:
	fd_acc_close(&acc);
	msg->n_fds = 0;
	return ret;
}

int
tvu_send(int sock, const struct tvu_msg *msg)
{
	union {
		char buf[CMSG_SPACE(TVU_MAX_FDS * sizeof(int))];
		struct cmsghdr align;
	} ctrl;
	/* struct tvu_msg pads between header and payload; the wire does not. */
	char wire[TVU_HDR_SIZE + TVU_PAYLOAD_MAX];
	size_t len, done = 0;
	bool fds_sent = false;
	int64_t deadline = 0;
	struct cmsghdr *cm;
	ssize_t n;
	int ret;

	if (msg->size > TVU_PAYLOAD_MAX || msg->n_fds > TVU_MAX_FDS)
		return -EINVAL;
	len = TVU_HDR_SIZE + msg->size;
	memcpy(wire, msg, TVU_HDR_SIZE);
	memcpy(wire + TVU_HDR_SIZE, &msg->payload, msg->size);
	memset(&ctrl, 0, sizeof(ctrl));

	while (done < len) {
		struct iovec iov = {
			.iov_base = wire + done,
			.iov_len = len - done,
		};
		struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};

		/* The fds ride with the first byte only: after a partial
		 * write they have already been passed. */
		if (msg->n_fds > 0 && !fds_sent) {
			mh.msg_control = ctrl.buf;
			mh.msg_controllen =
				CMSG_SPACE(msg->n_fds * sizeof(int));
			cm = CMSG_FIRSTHDR(&mh);
			cm->cmsg_level = SOL_SOCKET;
			cm->cmsg_type = SCM_RIGHTS;
			cm->cmsg_len = CMSG_LEN(msg->n_fds * sizeof(int));
			memcpy(CMSG_DATA(cm), msg->fds,
			       msg->n_fds * sizeof(int));
		}
		/* Once the message is partly out or the socket said it is
		 * full, the rest waits in poll, bounded by the deadline as
		 * tvu_recv's reads are: a peer that reads a byte at a time
		 * cannot stretch it, nor can a blocking socket's
		 * SO_SNDTIMEO. */
		n = sendmsg(sock, &mh,
			    MSG_NOSIGNAL | (deadline != 0 ? MSG_DONTWAIT : 0));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				if (deadline == 0)
					deadline = now_ms() +
						   TVU_MIDMSG_TIMEOUT_MS;
				ret = wait_fd(sock, POLLOUT, deadline);
				if (ret < 0)
					return ret;
				continue;
			}
			return -errno;
		}
		fds_sent = true;
		done += (size_t)n;
		if (done < len && deadline == 0)
			deadline = now_ms() + TVU_MIDMSG_TIMEOUT_MS;
	}
	return 0;
}

static int
fill_addr(struct sockaddr_un *sun, const char *path)
{
	size_t len;

	if (path == NULL || path[0] == '\0')
		return -EINVAL;
	len = strlen(path);
	if (len >= sizeof(sun->sun_path))
		return -ENAMETOOLONG;
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	memcpy(sun->sun_path, path, len + 1);
	return 0;
}

int
tvu_connect(const char *path)
{
	struct sockaddr_un sun;
	int fd, ret;

	ret = fill_addr(&sun, path);
	if (ret < 0)
		return ret;
	/* Non-blocking: a server that is alive but no longer accepts
	 * (its listen queue full) makes a blocking AF_UNIX connect wait for
	 * room without limit, and the guest connects from EAL's interrupt
	 * thread with its locks held. Non-blocking, Linux answers EAGAIN at
	 * once (EINPROGRESS is for other families; taken the same way). */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		ret = errno == EINPROGRESS ? -EAGAIN : -errno;
		close(fd);
		return ret;
	}
	/* Blocking again: callers read and write with timeouts. */
	ret = fcntl(fd, F_GETFL);
	if (ret < 0 || fcntl(fd, F_SETFL, ret & ~O_NONBLOCK) < 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	return fd;
}

/* A socket file nobody listens on is what a dead server leaves behind;
 * anything else at `path` (a live server, also one whose listen queue is
 * full, a regular file) is kept. */
static int
remove_stale(const char *path)
{
	struct stat st;
	int fd;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EADDRINUSE;
	fd = tvu_connect(path);
	if (fd >= 0 || fd == -EAGAIN) {
		if (fd >= 0)
			close(fd);
		return -EADDRINUSE;
	}
	if (fd != -ECONNREFUSED)
		return fd;
	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

int
tvu_listen(const char *path)
{
	struct sockaddr_un sun;
	int fd, ret;

	ret = fill_addr(&sun, path);
	if (ret < 0)
		return ret;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		ret = -errno;
		if (ret == -EADDRINUSE) {
			ret = remove_stale(path);
			if (ret == 0 &&
			    bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
				ret = -errno;
		}
		if (ret < 0)
			goto fail;
	}
	if (listen(fd, 8) < 0) {
		ret = -errno;
		unlink(path);
		goto fail;
	}
	return fd;

fail:
	close(fd);
	return ret;
}

int
tvu_accept(int listen_fd)
{
	int fd;

	do {
		fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
	} while (fd < 0 && errno == EINTR);
	return fd < 0 ? -errno : fd;
}
