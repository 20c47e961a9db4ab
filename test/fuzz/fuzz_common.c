/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * fuzz_common.c - see fuzz_common.h.
 */
#include "fuzz_common.h"

#include "../common/tt_fds.h"

#include <dirent.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void
fuzz_fail(const char *file, int line, const char *cond, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s:%d: fuzz check failed: %s: ", file, line, cond);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

static void
list_fds(void)
{
	char target[PATH_MAX];
	struct dirent *de;
	ssize_t n;
	DIR *d = opendir("/proc/self/fd");

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		n = readlinkat(dirfd(d), de->d_name, target,
			       sizeof(target) - 1);
		target[n < 0 ? 0 : n] = '\0';
		fprintf(stderr, "  fd %s -> %s\n", de->d_name, target);
	}
	closedir(d);
}

unsigned int
fuzz_count_fds(void)
{
	int n = tt_count_fds();

	if (n < 0) {
		perror("/proc/self/fd");
		abort();
	}
	return (unsigned int)n;
}

/* fds that the code under test could have leaked: not the pipes and the
 * dups of stdout/stderr that the fuzzing machinery opens by itself at any
 * time (libFuzzer starts llvm-symbolizer over pipes when it prints a new
 * function). */
static unsigned int
count_owned_fds(void)
{
	struct stat out, err, st;
	struct dirent *de;
	unsigned int n = 0;
	bool have_out = fstat(1, &out) == 0, have_err = fstat(2, &err) == 0;
	DIR *d = opendir("/proc/self/fd");

	if (d == NULL) {
		perror("/proc/self/fd");
		abort();
	}
	while ((de = readdir(d)) != NULL) {
		int fd = atoi(de->d_name);

		if (de->d_name[0] == '.' || fd == dirfd(d) ||
		    fstat(fd, &st) != 0 || S_ISFIFO(st.st_mode))
			continue;
		if ((have_out && st.st_dev == out.st_dev &&
		     st.st_ino == out.st_ino) ||
		    (have_err && st.st_dev == err.st_dev &&
		     st.st_ino == err.st_ino))
			continue;
		n++;
	}
	closedir(d);
	return n;
}

void
fuzz_fd_watch(int probe_fd, unsigned int every)
{
	static unsigned int baseline, calls;
	static int first_probe = -1;
	unsigned int now;

	if (first_probe < 0) {
		first_probe = probe_fd;
		baseline = count_owned_fds();
	}
	if (probe_fd > first_probe) {
		/* Leaked, or the fuzzer's own machinery took a low fd: the
		 * count tells. */
		if (count_owned_fds() <= baseline) {
			first_probe = probe_fd;
		} else {
			list_fds();
			fuzz_fail(__FILE__, __LINE__, "probe_fd <= first_probe",
				  "fd leak: a new fd got number %d, the first "
				  "run's got %d",
				  probe_fd, first_probe);
		}
	}
	if (every == 0 || ++calls % every != 0)
		return;
	now = count_owned_fds();
	if (now > baseline) {
		list_fds();
		fuzz_fail(__FILE__, __LINE__, "now <= baseline",
			  "fd leak: %u fds open, %u at the first run", now,
			  baseline);
	}
}

uint8_t
fuzz_u8(struct fuzz_in *in)
{
	return in->pos < in->size ? in->data[in->pos++] : 0;
}

uint16_t
fuzz_u16(struct fuzz_in *in)
{
	uint16_t lo = fuzz_u8(in);

	return (uint16_t)(lo | (uint16_t)fuzz_u8(in) << 8);
}

uint32_t
fuzz_u32(struct fuzz_in *in)
{
	uint32_t lo = fuzz_u16(in);

	return lo | (uint32_t)fuzz_u16(in) << 16;
}

uint64_t
fuzz_u64(struct fuzz_in *in)
{
	uint64_t lo = fuzz_u32(in);

	return lo | (uint64_t)fuzz_u32(in) << 32;
}

size_t
fuzz_left(const struct fuzz_in *in)
{
	return in->size - in->pos;
}
