/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * tvhp_qev.h - what the vhost_pmd tests of queue state events share:
 * finding the plugin's exported rte_eth_tandem_vhost_get_queue_event, and
 * an event callback that counts. No CHECK here (tvhp_tc.h and
 * mock_guest.h each define their own).
 */
#ifndef TVHP_QEV_H
#define TVHP_QEV_H

#include <dlfcn.h>

#include <rte_common.h>
#include <rte_ethdev.h>

#include "rte_eth_tandem_vhost.h"

typedef int (*tvhp_get_queue_event_t)(
	uint16_t, struct rte_eth_tandem_vhost_queue_event *);

/* EAL loaded the plugin (-d) with local symbols: ask its handle. NULL if
 * the plugin is not loaded or does not export the call. */
static inline tvhp_get_queue_event_t
tvhp_find_get_queue_event(const char *plugin)
{
	void *so = dlopen(plugin, RTLD_NOW | RTLD_NOLOAD);

	return so == NULL ? NULL
			  : (tvhp_get_queue_event_t)dlsym(
				    so, "rte_eth_tandem_vhost_get_queue_event");
}

/* Counts the events it is registered for in the unsigned int at ctx. */
static inline int
tvhp_count_cb(uint16_t port, enum rte_eth_event_type ev, void *ctx, void *out)
{
	RTE_SET_USED(port);
	RTE_SET_USED(ev);
	RTE_SET_USED(out);
	__atomic_fetch_add((unsigned int *)ctx, 1, __ATOMIC_SEQ_CST);
	return 0;
}

#endif /* TVHP_QEV_H */
