/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * tvhp_rxtx.c - rx/tx bursts of net_tandem_vhost: thin wrappers around
 * lib/vhost's copy datapath. No locks, no atomics, no syscalls here; the
 * library does the ring work (and the only syscall: a notification the
 * guest asked for). Counters live in the library (struct tvh_vq_stats).
 */
#include <rte_mbuf.h>

#include "tvhp.h"

/* Receive what the guest transmitted on virtqueue 2q+1. */
uint16_t
tvhp_rx_burst(void *queue, struct rte_mbuf **pkts, uint16_t n)
{
	struct tvhp_rxq *rxq = queue;
	uint16_t nb, i;

	/* Plain load: see tvhp_priv.started. A stopped port leaves the
	 * guest's packets in its ring. */
	if (unlikely(!*rxq->started))
		return 0;
	nb = tvh_dequeue_burst(rxq->dev, rxq->vq, rxq->pool, pkts, n);
	/* The library does not know ethdev port numbers. */
	for (i = 0; i < nb; i++)
		pkts[i]->port = rxq->port_id;
	return nb;
}

/* Copy packets into the guest's receive virtqueue 2q. DPDK semantics: the
 * first `sent` mbufs are consumed (freed here, the data is in the guest),
 * the rest stay the caller's. */
uint16_t
tvhp_tx_burst(void *queue, struct rte_mbuf **pkts, uint16_t n)
{
	struct tvhp_txq *txq = queue;
	uint16_t sent;

	if (unlikely(!*txq->started))
		return 0;
	sent = tvh_enqueue_burst(txq->dev, txq->vq, pkts, n);
	if (sent != 0)
		rte_pktmbuf_free_bulk(pkts, sent);
	txq->unsent += (uint16_t)(n - sent);
	return sent;
}
