/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * tmb.h - an asymmetric memory barrier for "stop the datapath" protocols
 * (a Dekker pair where one side runs per burst and the other rarely):
 *
 *   datapath, per burst                  control path, to stop it
 *   busy = 1                             stop = 1
 *   tmb_light()                          tmb_heavy()
 *   if (stop) { busy = 0; leave }        wait until busy == 0
 *
 * One of the two must see the other's store. With the kernel's
 * membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED), tmb_heavy makes every
 * running thread of the process execute a full memory barrier before it
 * returns, so tmb_light need only keep the compiler from reordering: the
 * datapath pays no fence. Without it, both sides use a seq_cst fence.
 *
 * Used by lib/vhost (stopping queues before the memory table or a ring
 * changes) and by net_tandem_virtio (the queue gate of a handoff). No EAL.
 *
 * Threading: tmb_init may be called from any thread, any number of times;
 * the mode it picks is fixed from the first call on, and must be fixed
 * before any datapath uses tmb_light (a heavy membarrier does not pair
 * with a light fence, nor the other way round). tmb_light and tmb_heavy
 * are callable from any thread.
 */
#ifndef TMB_H
#define TMB_H

#include <stdbool.h>

/* Set by tmb_init: membarrier is registered (the light side is a
 * compiler barrier). Read by tmb_light on every call. */
extern bool tmb_expedited;

/* Pick the mode once per process (per copy of this library): register
 * membarrier if the kernel has PRIVATE_EXPEDITED. Returns true if it did
 * (the datapath then pays no fence). */
bool tmb_init(void);

/* The datapath's side, between its store and its load. */
static inline void
tmb_light(void)
{
	/* Relaxed: written once, before any datapath runs (tmb_init). */
	if (__atomic_load_n(&tmb_expedited, __ATOMIC_RELAXED))
		__atomic_signal_fence(__ATOMIC_SEQ_CST); /* compiler only */
	else
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

/* The control path's side, between its store and its load. Returns 0, or
 * -errno if membarrier failed after it was registered (which a sane
 * kernel never does): the caller must then not rely on the barrier. */
int tmb_heavy(void);

#endif /* TMB_H */
