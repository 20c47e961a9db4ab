/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * tt_fds.h - the open-fd count that every test program compares before
 * and after the code under test ran (a leaked eventfd, memfd or socket
 * shows up here). Header only, no dependencies: unit tests, fuzz targets
 * and the DPDK test programs all include it.
 */
#ifndef TT_FDS_H
#define TT_FDS_H

#include <dirent.h>

/* Open file descriptors of this process: the entries of /proc/self/fd but
 * the one the listing itself holds. -1 if /proc cannot be read. */
static inline int
tt_count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;
}

#endif /* TT_FDS_H */
