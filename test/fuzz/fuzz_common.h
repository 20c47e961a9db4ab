/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * fuzz_common.h - small helpers shared by Tandem's fuzz targets: failing
 * loudly (abort, so both libFuzzer and the standalone driver stop and save
 * the input) and watching for fd leaks.
 *
 * Threading: the targets are single-threaded; so are these helpers.
 */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>

/* Print "fuzz check failed: <why>" with the location and abort(). */
#define FUZZ_CHECK(cond, ...)                                                  \
	do {                                                                   \
		if (!(cond))                                                   \
			fuzz_fail(__FILE__, __LINE__, #cond, __VA_ARGS__);     \
	} while (0)

__attribute__((noreturn, format(printf, 4, 5))) void
fuzz_fail(const char *file, int line, const char *cond, const char *fmt, ...);

/* Number of fds open in this process (entries of /proc/self/fd, minus the
 * one used to read it). Aborts if /proc is unreadable. */
unsigned int fuzz_count_fds(void);

/* Leak watch, call once per input. The first call records a baseline;
 * every `every` calls the count is taken again and the run aborts if it
 * grew (listing what is open). Also checks on every call that `probe_fd`,
 * a fd the target just opened, did not get a higher number than it got on
 * the first call: fds are allocated lowest-first, so a leaked fd moves it
 * up at once, long before the periodic count. Pipes and dups of
 * stdout/stderr are not counted: libFuzzer and the sanitizers open those
 * themselves (a symbolizer) at any time. */
void fuzz_fd_watch(int probe_fd, unsigned int every);

/* Little-endian reads from the fuzz input, for building the run's
 * parameters; past the end they read zeros. */
struct fuzz_in {
	const uint8_t *data;
	size_t size;
	size_t pos;
};

uint8_t fuzz_u8(struct fuzz_in *in);
uint16_t fuzz_u16(struct fuzz_in *in);
uint32_t fuzz_u32(struct fuzz_in *in);
uint64_t fuzz_u64(struct fuzz_in *in);
/* Bytes left after pos. */
size_t fuzz_left(const struct fuzz_in *in);

#endif /* FUZZ_COMMON_H */
