/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * Log types and rate limiting. Anything a front-end can trigger is logged
 * through a tvh_ratelimit, so a hostile guest cannot flood the host's log.
 */
#include <rte_cycles.h>
#include <rte_log.h>

#include "tvh_internal.h"

/* Control path (messages, memory, life cycle) and datapath (descriptor
 * errors) are separate so either can be turned up alone. */
RTE_LOG_REGISTER(tvh_logtype_ctrl, pmd.net.tandem_vhost.ctrl, NOTICE);
RTE_LOG_REGISTER(tvh_logtype_data, pmd.net.tandem_vhost.data, NOTICE);

bool
tvh_ratelimit_ok(struct tvh_ratelimit *rl, uint32_t *suppressed)
{
	uint64_t now = rte_get_timer_cycles();

	if (now < rl->next_tsc) {
		rl->suppressed++;
		return false;
	}
	*suppressed = rl->suppressed;
	rl->suppressed = 0;
	rl->next_tsc = now + rte_get_timer_hz() * TVH_RL_PERIOD_MS / 1000;
	return true;
}
