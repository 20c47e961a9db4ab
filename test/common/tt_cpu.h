/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * tt_cpu.h - the CPU time this process used, all threads: what a test
 * compares over a window to tell a thread that waits from one that spins;
 * and the window the EMFILE tests measure, a client connecting to a
 * server of this process while the process can open no further fd.
 * Header only, no dependencies.
 */
#ifndef TT_CPU_H
#define TT_CPU_H

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* CPU seconds of the whole process so far. */
static inline double
tt_cpu_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* A client of a server in this process, connected while accept can get no
 * fd: tt_starve_begin, read what the test needs, tt_starve_end. */
struct tt_starve {
	int sock;	 /* the client: blocking, SO_RCVTIMEO 5 s */
	int connect_err; /* connect's errno, 0 if it succeeded */
	double cpu;	 /* CPU seconds in the second after the connect */
	struct rlimit old;
};

/* Lower RLIMIT_NOFILE to the lowest free fd (the client socket made
 * first), connect to `path`, give the server 100 ms to see it, then
 * measure the process's CPU time over one second. The limit stays low
 * until tt_starve_end. Returns 0, or -errno if the set-up failed (then
 * nothing is left to undo). */
static inline int
tt_starve_begin(struct tt_starve *s, const char *path)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct timeval tmo = {.tv_sec = 5};
	struct rlimit low;
	int next, err;

	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	s->sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s->sock < 0)
		return -errno;
	next = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (next < 0 ||
	    setsockopt(s->sock, SOL_SOCKET, SO_RCVTIMEO, &tmo, sizeof(tmo)) <
		    0 ||
	    getrlimit(RLIMIT_NOFILE, &s->old) < 0)
		goto fail;
	close(next);
	low = s->old;
	low.rlim_cur = (rlim_t)next;
	next = -1;
	if (setrlimit(RLIMIT_NOFILE, &low) < 0)
		goto fail;
	s->connect_err =
		connect(s->sock, (struct sockaddr *)&sun, sizeof(sun)) == 0
			? 0
			: errno;
	usleep(100000);
	s->cpu = tt_cpu_s();
	usleep(1000000);
	s->cpu = tt_cpu_s() - s->cpu;
	return 0;
fail:
	err = errno;
	if (next >= 0)
		close(next);
	close(s->sock);
	return -err;
}

/* Put the fd limit back. Returns 0 or -errno. The client socket stays
 * open, the caller's to use and close. */
static inline int
tt_starve_end(struct tt_starve *s)
{
	return setrlimit(RLIMIT_NOFILE, &s->old) == 0 ? 0 : -errno;
}

#endif /* TT_CPU_H */
