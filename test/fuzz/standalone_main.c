/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * standalone_main.c - a main() for the fuzz targets when libFuzzer is not
 * available (gcc builds), so `meson test --suite fuzz` runs a short smoke
 * of every target in the regular test suite.
 *
 *   fuzz_<target> [-n N] [-s SEED] [-t SECONDS] PATH...
 *
 * Every regular file under each PATH (a directory, read non-recursively in
 * name order, or a single file) is replayed once, then N inputs derived
 * from them by simple mutations (bit flips, interesting values, inserts,
 * deletes, splices) drawn from a fixed-seed generator, so a failure
 * reproduces exactly with the same arguments. The run stops early, still
 * passing, after SECONDS. A crash or abort in the target fails the test
 * and saves the input as ./fuzz-crash-input (replay it: -n 0 FILE); no
 * corpus file at all is an error too (a smoke that tests nothing must not
 * pass).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* Optional in a target, as with libFuzzer. */
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));
/* Present when built with a sanitizer: lets us save the input that made it
 * report before the process dies. */
void __sanitizer_set_death_callback(void (*cb)(void)) __attribute__((weak));

/* Mutated inputs never grow beyond this (libFuzzer's default -max_len). */
#define FUZZ_MAX_LEN	 4096u
#define FUZZ_MAX_SEEDS	 1024u
#define FUZZ_MAX_MUTATES 8u

struct seed {
	uint8_t *data;
	size_t len;
	char *name;
};

static struct seed seeds[FUZZ_MAX_SEEDS];
static unsigned int n_seeds;

static uint64_t rng_state;

/* The input being run, saved to CRASH_FILE if the target dies on it. */
#define CRASH_FILE "fuzz-crash-input"
static const uint8_t *cur_data;
static size_t cur_len;

/* Async-signal-safe: only open/write/close. */
static void
save_current(void)
{
	static const char msg[] = "standalone fuzz driver: input saved to "
				  "./" CRASH_FILE "\n";
	int fd;

	if (cur_data == NULL)
		return;
	fd = open(CRASH_FILE, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return;
	if (write(fd, cur_data, cur_len) >= 0 &&
	    write(STDERR_FILENO, msg, sizeof(msg) - 1) >= 0)
		cur_data = NULL;
	close(fd);
}

static void
on_fatal_signal(int sig)
{
	save_current();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* xorshift64*: small, fixed, and the same on every platform. */
static uint64_t
rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * UINT64_C(2685821657736338717);
}

static size_t
rng_below(size_t n)
{
	return n == 0 ? 0 : (size_t)(rng() % n);
}

static int
load_file(const char *path)
{
	struct stat st;
	FILE *f;
	uint8_t *buf;

	if (n_seeds == FUZZ_MAX_SEEDS) {
		fprintf(stderr, "too many corpus files, ignoring %s\n", path);
		return 0;
	}
	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
		return 0;
	f = fopen(path, "rb");
	if (f == NULL) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	/* One spare byte so an empty file still gets a distinct buffer. */
	buf = malloc((size_t)st.st_size + 1);
	if (buf == NULL ||
	    fread(buf, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
		fprintf(stderr, "%s: read failed\n", path);
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	seeds[n_seeds].data = buf;
	seeds[n_seeds].len = (size_t)st.st_size;
	seeds[n_seeds].name = strdup(path);
	n_seeds++;
	return 0;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
load_path(const char *path)
{
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0, i;
	char full[4096];
	struct stat st;
	DIR *d;
	int ret = 0;

	if (stat(path, &st) < 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return load_file(path);
	d = opendir(path);
	if (d == NULL) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			names = realloc(names, cap * sizeof(*names));
			if (names == NULL)
				abort();
		}
		names[n++] = strdup(de->d_name);
	}
	closedir(d);
	/* Name order, so the seed numbering (and each mutation) is the same
	 * on every machine. */
	qsort(names, n, sizeof(*names), name_cmp);
	for (i = 0; i < n; i++) {
		snprintf(full, sizeof(full), "%s/%s", path, names[i]);
		if (ret == 0)
			ret = load_file(full);
		free(names[i]);
	}
	free(names);
	return ret;
}

/* Values that sit on the boundaries the targets check. */
static const uint32_t interesting32[] = {
	0,	1,	 2,	     7,		 8,	     9,		 12,
	16,	32,	 40,	     41,	 0x7f,	     0x80,	 0xff,
	0x100,	0x101,	 0x1ff,	     0x200,	 0x201,	     0x7fff,	 0x8000,
	0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff,
};

static void
mutate_once(uint8_t *buf, size_t *len)
{
	size_t pos, n, from;
	uint32_t v;
	const struct seed *other;

	switch (rng_below(9)) {
	case 0: /* flip one bit */
		if (*len > 0)
			buf[rng_below(*len)] ^= (uint8_t)(1u << rng_below(8));
		break;
	case 1: /* random byte */
		if (*len > 0)
			buf[rng_below(*len)] = (uint8_t)rng();
		break;
	case 2: /* interesting byte */
		if (*len > 0)
			buf[rng_below(*len)] = (uint8_t)interesting32[rng_below(
				sizeof(interesting32) /
				sizeof(interesting32[0]))];
		break;
	case 3: /* interesting little-endian u32 (or u16) */
		if (*len >= 4) {
			v = interesting32[rng_below(sizeof(interesting32) /
						    sizeof(interesting32[0]))];
			pos = rng_below(*len - 3);
			memcpy(buf + pos, &v, rng() & 1 ? 4 : 2);
		}
		break;
	case 4: /* insert random bytes */
		n = 1 + rng_below(16);
		if (*len + n > FUZZ_MAX_LEN)
			break;
		pos = rng_below(*len + 1);
		memmove(buf + pos + n, buf + pos, *len - pos);
		for (size_t i = 0; i < n; i++)
			buf[pos + i] = (uint8_t)rng();
		*len += n;
		break;
	case 5: /* delete a range */
		if (*len == 0)
			break;
		pos = rng_below(*len);
		n = 1 + rng_below(*len - pos);
		if (n > 32)
			n = 1 + rng_below(32);
		memmove(buf + pos, buf + pos + n, *len - pos - n);
		*len -= n;
		break;
	case 6: /* copy a range over another place */
		if (*len < 2)
			break;
		from = rng_below(*len);
		pos = rng_below(*len);
		n = 1 + rng_below(*len - (from > pos ? from : pos));
		memmove(buf + pos, buf + from, n);
		break;
	case 7: /* truncate */
		*len = rng_below(*len + 1);
		break;
	default: /* splice: keep a prefix, append another seed's suffix */
		other = &seeds[rng_below(n_seeds)];
		pos = rng_below(*len + 1);
		from = rng_below(other->len + 1);
		n = other->len - from;
		if (pos + n > FUZZ_MAX_LEN)
			n = FUZZ_MAX_LEN - pos;
		memcpy(buf + pos, other->data + from, n);
		*len = pos + n;
		break;
	}
}

/* Run the target on an exact-size heap copy, so a sanitizer sees any read
 * past the end of the input. */
static void
run_one(const uint8_t *data, size_t len)
{
	uint8_t *copy = malloc(len ? len : 1);

	if (copy == NULL)
		abort();
	memcpy(copy, data, len);
	cur_data = copy;
	cur_len = len;
	LLVMFuzzerTestOneInput(copy, len);
	cur_data = NULL;
	free(copy);
}

static void
usage(const char *prog)
{
	fprintf(stderr, "usage: %s [-n N] [-s SEED] [-t SECONDS] PATH...\n",
		prog);
}

int
main(int argc, char **argv)
{
	unsigned long long n_mut = 2000, seed = 1, i;
	double max_seconds = 0;
	uint8_t *buf;
	size_t len;
	unsigned int k, n_muts;
	struct timespec t0, t1;
	double elapsed = 0;
	int opt;

	signal(SIGABRT, on_fatal_signal);
	signal(SIGSEGV, on_fatal_signal);
	signal(SIGBUS, on_fatal_signal);
	signal(SIGFPE, on_fatal_signal);
	if (__sanitizer_set_death_callback != NULL)
		__sanitizer_set_death_callback(save_current);
	if (LLVMFuzzerInitialize != NULL)
		LLVMFuzzerInitialize(&argc, &argv);
	while ((opt = getopt(argc, argv, "n:s:t:h")) != -1) {
		switch (opt) {
		case 'n':
			n_mut = strtoull(optarg, NULL, 0);
			break;
		case 's':
			seed = strtoull(optarg, NULL, 0);
			break;
		case 't':
			max_seconds = strtod(optarg, NULL);
			break;
		default:
			usage(argv[0]);
			return opt == 'h' ? 0 : 2;
		}
	}
	if (optind >= argc) {
		usage(argv[0]);
		return 2;
	}
	for (; optind < argc; optind++)
		if (load_path(argv[optind]) < 0)
			return 1;
	if (n_seeds == 0) {
		fprintf(stderr, "%s: no corpus file found\n", argv[0]);
		return 1;
	}

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (k = 0; k < n_seeds; k++)
		run_one(seeds[k].data, seeds[k].len);

	buf = malloc(FUZZ_MAX_LEN);
	if (buf == NULL)
		abort();
	/* Zero would make xorshift stick at zero. */
	rng_state = seed * UINT64_C(0x9e3779b97f4a7c15) + 1;
	for (i = 0; i < n_mut; i++) {
		const struct seed *s = &seeds[rng_below(n_seeds)];

		len = s->len < FUZZ_MAX_LEN ? s->len : FUZZ_MAX_LEN;
		memcpy(buf, s->data, len);
		n_muts = 1 + (unsigned int)rng_below(FUZZ_MAX_MUTATES);
		for (k = 0; k < n_muts; k++)
			mutate_once(buf, &len);
		run_one(buf, len);
		if (max_seconds > 0 && (i & 63) == 63) {
			clock_gettime(CLOCK_MONOTONIC, &t1);
			elapsed = (double)(t1.tv_sec - t0.tv_sec) +
				  (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
			if (elapsed > max_seconds) {
				i++;
				break;
			}
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	elapsed = (double)(t1.tv_sec - t0.tv_sec) +
		  (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("%s: %u corpus files replayed, %llu mutated inputs (seed %llu) "
	       "in %.2f s: ok\n",
	       argv[0], n_seeds, i, seed, elapsed);

	free(buf);
	for (k = 0; k < n_seeds; k++) {
		free(seeds[k].data);
		free(seeds[k].name);
	}
	return 0;
}
