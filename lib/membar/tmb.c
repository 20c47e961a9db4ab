/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * tmb.c - the asymmetric barrier's slow side (see tmb.h).
 */
#include <errno.h>
#include <linux/membarrier.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tmb.h"

bool tmb_expedited;

static pthread_once_t once = PTHREAD_ONCE_INIT;

static long
membarrier(int cmd)
{
	return syscall(__NR_membarrier, cmd, 0, 0);
}

static void
pick_mode(void)
{
	long cmds = membarrier(MEMBARRIER_CMD_QUERY);

	/* Registration is per process and idempotent: another copy of this
	 * library (the other PMD) may have done it already. */
	if (cmds >= 0 && (cmds & MEMBARRIER_CMD_PRIVATE_EXPEDITED) &&
	    membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) == 0)
		__atomic_store_n(&tmb_expedited, true, __ATOMIC_RELEASE);
}

bool
tmb_init(void)
{
	pthread_once(&once, pick_mode);
	return __atomic_load_n(&tmb_expedited, __ATOMIC_ACQUIRE);
}

int
tmb_heavy(void)
{
	int i;

	if (!tmb_expedited) {
		/* Pairs with the seq_cst fence of tmb_light. */
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		return 0;
	}
	/* Pairs with tmb_light's compiler barrier, which is a barrier only
	 * because this call makes every running thread execute one. A
	 * registered process cannot see it fail on a sane kernel; retry in
	 * case, then report: a fence of our own would not pair. */
	for (i = 0; i < 3; i++)
		if (membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) == 0)
			return 0;
	return -errno;
}
