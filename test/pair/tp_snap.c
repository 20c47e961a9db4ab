/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * tp_snap.c - the host's resource report for the storm tests: on request
 * (SIGUSR1) the echo host prints its open fds, its mappings
 * (/proc/self/maps lines) and its mempool fill, so that a test runner can
 * compare them before and after a storm while the host keeps running. The
 * first report is the baseline; later ones also list what differs from it.
 * Nothing here allocates: the report must not change what it counts.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_ethdev.h>

#include "tp.h"

volatile sig_atomic_t tp_snap_requested;

/* /proc/self/maps is read into one of two static buffers: a buffer from
 * malloc would itself appear in the file once it is large enough for glibc
 * to mmap it, and the count would measure the measurement. */
#define MAPS_MAX (2u << 20)
static char maps_text[2][MAPS_MAX];

/* Read /proc/self/maps into maps_text[which]; 0 or -errno (-EFBIG when
 * it does not fit). */
static int
maps_read(unsigned int which)
{
	char *buf = maps_text[which];
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	size_t len = 0;
	ssize_t n;

	if (fd < 0)
		return -errno;
	while ((n = read(fd, buf + len, MAPS_MAX - 1 - len)) > 0)
		len += (size_t)n;
	close(fd);
	buf[len] = '\0';
	if (n < 0)
		return -EIO;
	return len == MAPS_MAX - 1 ? -EFBIG : 0;
}

static unsigned int
lines_count(const char *text)
{
	unsigned int n = 0;

	for (; *text != '\0'; text++)
		n += *text == '\n';
	return n;
}

/* Is the line starting at `line` (up to '\n') a line of `text`? */
static bool
line_in(const char *line, const char *text)
{
	size_t len = strcspn(line, "\n");

	for (const char *p = text; *p != '\0';) {
		size_t l = strcspn(p, "\n");

		if (l == len && memcmp(p, line, len) == 0)
			return true;
		p += l + (p[l] == '\n');
	}
	return false;
}

/* Print (at most 10) lines of a that are not in b. */
static void
lines_missing(const char *a, const char *b, const char *what)
{
	unsigned int shown = 0;

	for (const char *p = a; *p != '\0' && shown < 10;) {
		size_t l = strcspn(p, "\n");

		if (!line_in(p, b)) {
			printf("map %s: %.*s\n", what, (int)l, p);
			shown++;
		}
		p += l + (p[l] == '\n');
	}
}

static struct {
	bool have;
	struct tp_fds fds;
	unsigned int n_maps;
} base;

static struct tp_fds now_fds;
static unsigned int n_snaps;

void
tp_snap_report(uint16_t port, const struct rte_mempool *pool,
	       const struct tp_stats *st, unsigned int pending)
{
	struct rte_eth_link link = {0};
	unsigned int n_maps = 0, fd_diff = 0;
	/* the baseline's text stays in maps_text[0] */
	unsigned int which = base.have ? 1 : 0;
	int ret;

	rte_eth_link_get_nowait(port, &link);
	if (tp_fds_snapshot(&now_fds) != 0)
		printf("SNAP: cannot read /proc/self/fd\n");
	ret = maps_read(which);
	if (ret != 0)
		printf("SNAP: cannot read /proc/self/maps: %s\n",
		       strerror(-ret));
	n_maps = lines_count(maps_text[which]);
	if (!base.have) {
		base.fds = now_fds;
		base.n_maps = n_maps;
		base.have = ret == 0;
	} else {
		fd_diff = tp_fds_diff(&base.fds, &now_fds, NULL, 0);
		if (n_maps != base.n_maps) {
			lines_missing(maps_text[1], maps_text[0], "new");
			lines_missing(maps_text[0], maps_text[1], "gone");
		}
	}
	printf("SNAP n=%u link=%s fds=%u fd_diff=%u maps=%u base_maps=%u "
	       "pool=%u/%u pend=%u sessions=%" PRIu64 " rx=%" PRIu64
	       " tx=%" PRIu64 " bad=%" PRIu64 " order=%" PRIu64
	       " echo_dropped=%" PRIu64 "\n",
	       n_snaps++, link.link_status ? "up" : "down", now_fds.n, fd_diff,
	       n_maps, base.n_maps, rte_mempool_avail_count(pool), pool->size,
	       pending, st->sessions, st->rx, st->tx, st->bad, st->order,
	       st->echo_dropped);
}

void
tp_snap_fini(void)
{
	base.have = false;
}
