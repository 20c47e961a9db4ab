/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * tv_log.c - log types of net_tandem_virtio: control path and datapath are
 * separate so the datapath's (rare, once per queue event) messages can be
 * silenced on their own.
 */
#include "tv_pmd.h"

RTE_LOG_REGISTER(tv_logtype, pmd.net.tandem_virtio, NOTICE);
RTE_LOG_REGISTER(tv_logtype_dp, pmd.net.tandem_virtio.datapath, NOTICE);
