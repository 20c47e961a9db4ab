/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * test_tvu_socket.c - the vhost-user transport: message framing and fd
 * passing over a socketpair, every way a peer can break a message (too
 * many fds, oversized header, truncation, EOF), and listen/connect/accept
 * on a real path including stale socket files. No fd may leak.
 */
#include "tu_check.h"
#include "tvu.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static void
make_pair(int sv[2])
{
	TU_REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
}

static int
new_file(void)
{
	int fd = memfd_create("tvu-test", MFD_CLOEXEC);

	TU_REQUIRE(fd >= 0);
	return fd;
}

static bool
same_file(int a, int b)
{
	struct stat sa, sb;

	if (fstat(a, &sa) < 0 || fstat(b, &sb) < 0)
		return false;
	return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static bool
is_cloexec(int fd)
{
	int fl = fcntl(fd, F_GETFD);

	return fl >= 0 && (fl & FD_CLOEXEC);
}

/* Send a message carrying `n_fds` fresh files and `size` patterned payload
 * bytes, receive it, compare everything. */
static void
round_trip(uint32_t n_fds, uint32_t size)
{
	struct tvu_msg out, in;
	int sv[2], before;
	uint32_t i;

	before = tu_count_fds();
	make_pair(sv);
	tvu_msg_init(&out, TVU_SET_MEM_TABLE, size);
	for (i = 0; i < size; i++)
		out.payload.raw[i] = (uint8_t)(i * 7 + n_fds);
	for (i = 0; i < n_fds; i++)
		out.fds[i] = new_file();
	out.n_fds = n_fds;
	out.flags |= TVU_FLAG_NEED_REPLY;

	TU_EQ(tvu_send(sv[0], &out), 0);
	memset(&in, 0xee, sizeof(in));
	TU_EQ(tvu_recv(sv[1], &in), 0);
	TU_EQ(in.request, TVU_SET_MEM_TABLE);
	TU_EQ(in.flags, TVU_FLAG_VERSION | TVU_FLAG_NEED_REPLY);
	TU_EQ(in.size, size);
	TU_CHECK(memcmp(in.payload.raw, out.payload.raw, size) == 0);
	TU_EQ(in.n_fds, n_fds);
	for (i = 0; i < n_fds && i < in.n_fds; i++) {
		TU_CHECK(in.fds[i] != out.fds[i]);
		TU_CHECK(same_file(in.fds[i], out.fds[i]));
		TU_CHECK(is_cloexec(in.fds[i]));
	}
	tvu_msg_close_fds(&in);
	tvu_msg_close_fds(&out);
	close(sv[0]);
	close(sv[1]);
	TU_EQ(tu_count_fds(), before);
}

/* Messages back to back in one stream keep their boundaries. */
static void
test_stream_framing(void)
{
	struct tvu_msg out, in;
	int sv[2];
	uint32_t i;

	make_pair(sv);
	for (i = 0; i < 5; i++) {
		tvu_msg_init(&out, TVU_SET_VRING_NUM + i % 2, 8 * (i % 3));
		out.payload.u64 = 0x1111111111111111ull * i;
		TU_EQ(tvu_send(sv[0], &out), 0);
	}
	for (i = 0; i < 5; i++) {
		TU_EQ(tvu_recv(sv[1], &in), 0);
		TU_EQ(in.request, TVU_SET_VRING_NUM + i % 2);
		TU_EQ(in.size, 8 * (i % 3));
		if (in.size == 8)
			TU_EQ(in.payload.u64, 0x1111111111111111ull * i);
		TU_EQ(in.n_fds, 0);
	}
	close(sv[0]);
	close(sv[1]);
}

/* Raw sender: header + payload bytes with `n_fds` fds, one sendmsg. */
static void
raw_send(int sock, const void *buf, size_t len, const int *fds, size_t n_fds)
{
	char ctrl[CMSG_SPACE(64 * sizeof(int))];
	struct iovec iov = {.iov_base = (void *)(uintptr_t)buf, .iov_len = len};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	struct cmsghdr *cm;

	memset(ctrl, 0, sizeof(ctrl));
	if (n_fds > 0) {
		mh.msg_control = ctrl;
		mh.msg_controllen = CMSG_SPACE(n_fds * sizeof(int));
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(n_fds * sizeof(int));
		memcpy(CMSG_DATA(cm), fds, n_fds * sizeof(int));
	}
	TU_REQUIRE(sendmsg(sock, &mh, MSG_NOSIGNAL) == (ssize_t)len);
}

static void
make_hdr(uint8_t *buf, uint32_t request, uint32_t flags, uint32_t size)
{
	memcpy(buf, &request, 4);
	memcpy(buf + 4, &flags, 4);
	memcpy(buf + 8, &size, 4);
}

/* A peer sending more fds than a message may carry: refused, every fd
 * closed, and the stream still in step for the next message. */
static void
test_too_many_fds(size_t n_fds)
{
	uint8_t buf[TVU_HDR_SIZE + 8];
	struct tvu_msg in;
	int fds[64], sv[2], before;
	size_t i;

	make_pair(sv);
	for (i = 0; i < n_fds; i++)
		fds[i] = new_file();
	before = tu_count_fds();
	make_hdr(buf, TVU_SET_FEATURES, TVU_FLAG_VERSION, 8);
	memset(buf + TVU_HDR_SIZE, 0x5a, 8);
	raw_send(sv[0], buf, sizeof(buf), fds, n_fds);
	make_hdr(buf, TVU_SET_OWNER, TVU_FLAG_VERSION, 0);
	raw_send(sv[0], buf, TVU_HDR_SIZE, NULL, 0);

	TU_EQ(tvu_recv(sv[1], &in), -EBADMSG);
	TU_EQ(in.n_fds, 0);
	TU_EQ(tu_count_fds(), before);
	TU_EQ(tvu_recv(sv[1], &in), 0);
	TU_EQ(in.request, TVU_SET_OWNER);
	for (i = 0; i < n_fds; i++)
		close(fds[i]);
	close(sv[0]);
	close(sv[1]);
}

static void
test_oversized(void)
{
	uint8_t buf[TVU_HDR_SIZE];
	struct tvu_msg in;
	int sv[2], fd, before;

	before = tu_count_fds();
	make_pair(sv);
	fd = new_file();
	make_hdr(buf, TVU_SET_MEM_TABLE, TVU_FLAG_VERSION, 4096);
	raw_send(sv[0], buf, sizeof(buf), &fd, 1);
	close(fd);
	TU_EQ(tvu_recv(sv[1], &in), -EMSGSIZE);
	TU_EQ(in.n_fds, 0);
	close(sv[0]);
	close(sv[1]);
	TU_EQ(tu_count_fds(), before);

	/* one byte over the limit */
	make_pair(sv);
	make_hdr(buf, TVU_SET_MEM_TABLE, TVU_FLAG_VERSION, TVU_PAYLOAD_MAX + 1);
	raw_send(sv[0], buf, sizeof(buf), NULL, 0);
	TU_EQ(tvu_recv(sv[1], &in), -EMSGSIZE);
	close(sv[0]);
	close(sv[1]);
}

static void
test_truncated(void)
{
	uint8_t buf[TVU_HDR_SIZE + 4];
	struct tvu_msg in;
	int sv[2], fd, before;

	before = tu_count_fds();
	/* payload cut short, then EOF; the fd that came along is closed */
	make_pair(sv);
	fd = new_file();
	make_hdr(buf, TVU_SET_FEATURES, TVU_FLAG_VERSION, 8);
	memset(buf + TVU_HDR_SIZE, 1, 4);
	raw_send(sv[0], buf, sizeof(buf), &fd, 1);
	close(fd);
	close(sv[0]);
	TU_EQ(tvu_recv(sv[1], &in), -ECONNRESET);
	TU_EQ(in.n_fds, 0);
	close(sv[1]);
	TU_EQ(tu_count_fds(), before);

	/* header cut short */
	make_pair(sv);
	raw_send(sv[0], buf, 6, NULL, 0);
	close(sv[0]);
	TU_EQ(tvu_recv(sv[1], &in), -ECONNRESET);
	close(sv[1]);

	/* nothing at all */
	make_pair(sv);
	close(sv[0]);
	TU_EQ(tvu_recv(sv[1], &in), -ECONNRESET);
	close(sv[1]);
	TU_EQ(tu_count_fds(), before);
}

struct trickle {
	int sock;
	uint8_t buf[TVU_HDR_SIZE + 40];
	int fd;		    /* sent with the 5th byte; -1: none */
	useconds_t gap;	    /* between bytes */
	volatile bool stop; /* the reader gave up: send no more */
};

/* Write a message one byte at a time, `gap` apart. */
static void *
trickle_thread(void *arg)
{
	struct trickle *t = arg;
	size_t i;

	for (i = 0; i < sizeof(t->buf) && !t->stop; i++) {
		raw_send(t->sock, &t->buf[i], 1, &t->fd,
			 i == 4 && t->fd >= 0 ? 1 : 0);
		usleep(t->gap);
	}
	return NULL;
}

static void
test_short_reads(void)
{
	struct trickle t = {.gap = 200, .stop = false};
	struct tvu_msg in;
	pthread_t th;
	int sv[2];
	size_t i;

	make_pair(sv);
	t.sock = sv[0];
	t.fd = new_file();
	make_hdr(t.buf, TVU_SET_VRING_ADDR, TVU_FLAG_VERSION, 40);
	for (i = 0; i < 40; i++)
		t.buf[TVU_HDR_SIZE + i] = (uint8_t)(0x80 + i);
	TU_REQUIRE(pthread_create(&th, NULL, trickle_thread, &t) == 0);
	TU_EQ(tvu_recv(sv[1], &in), 0);
	pthread_join(th, NULL);
	TU_EQ(in.request, TVU_SET_VRING_ADDR);
	TU_EQ(in.size, 40);
	TU_CHECK(memcmp(in.payload.raw, t.buf + TVU_HDR_SIZE, 40) == 0);
	TU_EQ(in.n_fds, 1);
	if (in.n_fds == 1)
		TU_CHECK(same_file(in.fds[0], t.fd));
	tvu_msg_close_fds(&in);
	close(t.fd);
	close(sv[0]);
	close(sv[1]);
}

static double
elapsed_s(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) +
	       (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* A blocking socket with a 5 s SO_RCVTIMEO, as the front-end reads its
 * replies: a peer trickling a 52-byte message (5.2 s) is given up 1 s
 * after its first byte, not served a byte at a time for as long as each
 * byte comes within the timeout. */
static void
test_trickle_deadline(void)
{
	struct timeval tv = {.tv_sec = 5};
	struct trickle p = {.fd = -1, .gap = 100 * 1000, .stop = false};
	struct timespec t0;
	struct tvu_msg in;
	pthread_t th;
	double took;
	int sv[2];

	make_pair(sv);
	TU_REQUIRE(setsockopt(sv[1], SOL_SOCKET, SO_RCVTIMEO, &tv,
			      sizeof(tv)) == 0);
	p.sock = sv[0];
	make_hdr(p.buf, TVU_GET_FEATURES, TVU_FLAG_VERSION | TVU_FLAG_REPLY,
		 40);
	memset(p.buf + TVU_HDR_SIZE, 0x5a, 40);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	TU_REQUIRE(pthread_create(&th, NULL, trickle_thread, &p) == 0);
	TU_EQ(tvu_recv(sv[1], &in), -ETIMEDOUT);
	took = elapsed_s(&t0);
	p.stop = true;
	pthread_join(th, NULL);
	TU_CHECK(took > 0.9 && took < 2.5);
	if (!(took > 0.9 && took < 2.5))
		fprintf(stderr, "trickled message given up after %.2f s\n",
			took);
	TU_EQ(in.n_fds, 0);
	close(sv[0]);
	close(sv[1]);
}

static void
test_nonblocking_and_epipe(void)
{
	struct tvu_msg msg;
	int sv[2];

	make_pair(sv);
	TU_REQUIRE(fcntl(sv[1], F_SETFL, O_NONBLOCK) == 0);
	TU_EQ(tvu_recv(sv[1], &msg), -EAGAIN);
	/* a header begun and never finished: bounded wait, then give up */
	raw_send(sv[0], "\x01\x00\x00", 3, NULL, 0);
	TU_EQ(tvu_recv(sv[1], &msg), -ETIMEDOUT);
	close(sv[1]);
	/* a closed peer: -EPIPE, and no SIGPIPE kills the test */
	tvu_msg_init(&msg, TVU_SET_OWNER, 0);
	TU_EQ(tvu_send(sv[0], &msg), -EPIPE);
	close(sv[0]);

	make_pair(sv);
	tvu_msg_init(&msg, TVU_SET_OWNER, TVU_PAYLOAD_MAX + 1);
	TU_EQ(tvu_send(sv[0], &msg), -EINVAL);
	tvu_msg_init(&msg, TVU_SET_OWNER, 0);
	msg.n_fds = TVU_MAX_FDS + 1;
	TU_EQ(tvu_send(sv[0], &msg), -EINVAL);
	close(sv[0]);
	close(sv[1]);
}

static void
test_listen_connect(void)
{
	char dir[] = "/tmp/tandem-unit-XXXXXX";
	char path[128], longpath[200];
	struct tvu_msg out, in;
	int lfd, cfd, afd, fd, before;

	before = tu_count_fds();
	TU_REQUIRE(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/sock", dir);

	TU_EQ(tvu_connect(path), -ENOENT);
	lfd = tvu_listen(path);
	TU_REQUIRE(lfd >= 0);
	TU_CHECK(is_cloexec(lfd));
	cfd = tvu_connect(path);
	TU_REQUIRE(cfd >= 0);
	TU_CHECK(is_cloexec(cfd));
	afd = tvu_accept(lfd);
	TU_REQUIRE(afd >= 0);
	TU_CHECK(is_cloexec(afd));

	tvu_msg_init(&out, TVU_GET_FEATURES, 0);
	TU_EQ(tvu_send(cfd, &out), 0);
	TU_EQ(tvu_recv(afd, &in), 0);
	TU_EQ(in.request, TVU_GET_FEATURES);

	/* a live server's socket is never taken over */
	TU_EQ(tvu_listen(path), -EADDRINUSE);
	close(cfd);
	close(afd);

	/* A live server that does not accept: once its listen queue is
	 * full, a connect fails at once with -EAGAIN (a blocking connect
	 * would wait for room for ever; SIGALRM ends the test if it does).
	 * Connections it queued are blocking sockets. */
	{
		int queued[64], nq = 0, r = 0;

		alarm(10);
		while (nq < (int)(sizeof(queued) / sizeof(queued[0]))) {
			r = tvu_connect(path);
			if (r < 0)
				break;
			TU_CHECK((fcntl(r, F_GETFL) & O_NONBLOCK) == 0);
			queued[nq++] = r;
		}
		alarm(0);
		TU_EQ(r, -EAGAIN);
		/* still a live server: not taken over */
		TU_EQ(tvu_listen(path), -EADDRINUSE);
		TU_CHECK(nq >= 1 &&
			 nq < (int)(sizeof(queued) / sizeof(queued[0])));
		while (nq > 0)
			close(queued[--nq]);
	}

	/* server gone, socket file left behind: stale, removed, re-bound */
	close(lfd);
	TU_EQ(access(path, F_OK), 0);
	TU_EQ(tvu_connect(path), -ECONNREFUSED);
	lfd = tvu_listen(path);
	TU_CHECK(lfd >= 0);
	cfd = tvu_connect(path);
	TU_CHECK(cfd >= 0);
	close(cfd);
	close(lfd);
	TU_EQ(unlink(path), 0);

	/* something that is not a socket is left alone */
	fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	TU_REQUIRE(fd >= 0);
	close(fd);
	TU_EQ(tvu_listen(path), -EADDRINUSE);
	TU_EQ(access(path, F_OK), 0);
	TU_EQ(unlink(path), 0);

	/* path checks */
	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	TU_EQ(tvu_listen(longpath), -ENAMETOOLONG);
	TU_EQ(tvu_connect(longpath), -ENAMETOOLONG);
	TU_EQ(tvu_listen(""), -EINVAL);
	TU_EQ(tvu_accept(-1), -EBADF);

	TU_EQ(rmdir(dir), 0);
	TU_EQ(tu_count_fds(), before);
}

int
main(void)
{
	int before = tu_count_fds();

	round_trip(0, 0);
	round_trip(0, 8);
	round_trip(1, 8);
	round_trip(8, 8 + 32 * 8);
	round_trip(8, TVU_PAYLOAD_MAX);
	test_stream_framing();
	test_too_many_fds(9);
	test_too_many_fds(20);
	test_oversized();
	test_truncated();
	test_short_reads();
	test_trickle_deadline();
	test_nonblocking_and_epipe();
	test_listen_connect();
	TU_EQ(tu_count_fds(), before);
	return tu_finish("test_tvu_socket");
}
