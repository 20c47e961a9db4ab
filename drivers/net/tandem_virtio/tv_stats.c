/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * tv_stats.c - basic stats and per-queue xstats of net_tandem_virtio.
 *
 * The datapath is the only writer of its counters (plain increments, no
 * atomics). Reset therefore never writes them: it snapshots them into
 * *_base, and readers report the difference.
 *
 * After the queues comes one device value, negotiated_features: not a
 * counter but the virtio feature word agreed with the back-end (0 while
 * none is attached), so a test can check that mrg_rxbuf, in_order, mq...
 * were really negotiated as asked. Reset leaves it alone.
 */
#include <stddef.h>
#include <stdio.h>

#include <ethdev_driver.h>

#include "tv_pmd.h"

struct xstat_def {
	const char *name;
	size_t offset;
};

#define RX_STAT(n, f)                                                          \
	{                                                                      \
		n, offsetof(struct tv_rxq_stats, f)                            \
	}
#define TX_STAT(n, f)                                                          \
	{                                                                      \
		n, offsetof(struct tv_txq_stats, f)                            \
	}

static const struct xstat_def rx_defs[] = {
	RX_STAT("packets", packets),
	RX_STAT("bytes", bytes),
	RX_STAT("errors_used_idx", err_used_idx),
	RX_STAT("errors_used_id", err_used_id),
	RX_STAT("errors_used_len", err_used_len),
	RX_STAT("errors_num_buffers", err_num_buffers),
	RX_STAT("drops_scatter_off", drop_scatter),
	RX_STAT("nombuf", nombuf),
	RX_STAT("kicks", kicks),
	RX_STAT("recoveries", recoveries),
	RX_STAT("intr_arms", intr_arms),
	RX_STAT("intr_self_wakes", intr_self_wakes),
};

static const struct xstat_def tx_defs[] = {
	TX_STAT("packets", packets),
	TX_STAT("bytes", bytes),
	TX_STAT("errors_used_idx", err_used_idx),
	TX_STAT("errors_used_id", err_used_id),
	TX_STAT("drops_too_many_segs", drop_too_many_segs),
	TX_STAT("kicks", kicks),
	TX_STAT("recoveries", recoveries),
};

static uint64_t
stat_at(const void *stats, const void *base, size_t offset)
{
	const uint64_t *cur = RTE_PTR_ADD(stats, offset);
	const uint64_t *old = RTE_PTR_ADD(base, offset);

	return *(const volatile uint64_t *)cur - *old;
}

static uint64_t
rx_stat(const struct tv_rxq *rxq, size_t offset)
{
	return stat_at(&rxq->stats, &rxq->stats_base, offset);
}

static uint64_t
tx_stat(const struct tv_txq *txq, size_t offset)
{
	return stat_at(&txq->stats, &txq->stats_base, offset);
}

#define RXS(q, f) rx_stat(q, offsetof(struct tv_rxq_stats, f))
#define TXS(q, f) tx_stat(q, offsetof(struct tv_txq_stats, f))

int
tv_stats_get(struct rte_eth_dev *eth_dev, struct rte_eth_stats *st)
{
	struct rte_eth_dev_data *data = eth_dev->data;
	uint16_t q;

	for (q = 0; q < data->nb_rx_queues; q++) {
		const struct tv_rxq *rxq = data->rx_queues[q];

		if (rxq == NULL)
			continue;
		st->ipackets += RXS(rxq, packets);
		st->ibytes += RXS(rxq, bytes);
		st->ierrors += RXS(rxq, err_used_idx) + RXS(rxq, err_used_id) +
			       RXS(rxq, err_used_len) +
			       RXS(rxq, err_num_buffers) +
			       RXS(rxq, drop_scatter);
		st->rx_nombuf += RXS(rxq, nombuf);
		if (q < RTE_ETHDEV_QUEUE_STAT_CNTRS) {
			st->q_ipackets[q] = RXS(rxq, packets);
			st->q_ibytes[q] = RXS(rxq, bytes);
		}
	}
	for (q = 0; q < data->nb_tx_queues; q++) {
		const struct tv_txq *txq = data->tx_queues[q];

		if (txq == NULL)
			continue;
		st->opackets += TXS(txq, packets);
		st->obytes += TXS(txq, bytes);
		st->oerrors += TXS(txq, err_used_idx) + TXS(txq, err_used_id) +
			       TXS(txq, drop_too_many_segs);
		if (q < RTE_ETHDEV_QUEUE_STAT_CNTRS) {
			st->q_opackets[q] = TXS(txq, packets);
			st->q_obytes[q] = TXS(txq, bytes);
		}
	}
	return 0;
}

int
tv_stats_reset(struct rte_eth_dev *eth_dev)
{
	struct rte_eth_dev_data *data = eth_dev->data;
	uint16_t q;

	for (q = 0; q < data->nb_rx_queues; q++) {
		struct tv_rxq *rxq = data->rx_queues[q];

		if (rxq != NULL)
			rxq->stats_base = rxq->stats;
	}
	for (q = 0; q < data->nb_tx_queues; q++) {
		struct tv_txq *txq = data->tx_queues[q];

		if (txq != NULL)
			txq->stats_base = txq->stats;
	}
	return 0;
}

#define TV_XSTAT_FEATURES "negotiated_features"
#define TV_N_DEV_XSTATS	  1u

static unsigned int
xstats_count(const struct rte_eth_dev_data *data)
{
	return data->nb_rx_queues * RTE_DIM(rx_defs) +
	       data->nb_tx_queues * RTE_DIM(tx_defs) + TV_N_DEV_XSTATS;
}

int
tv_xstats_get_names(struct rte_eth_dev *eth_dev,
		    struct rte_eth_xstat_name *names, unsigned int size)
{
	struct rte_eth_dev_data *data = eth_dev->data;
	unsigned int count = xstats_count(data), n = 0, i;
	uint16_t q;

	if (names == NULL || size < count)
		return (int)count;
	for (q = 0; q < data->nb_rx_queues; q++)
		for (i = 0; i < RTE_DIM(rx_defs); i++)
			snprintf(names[n++].name, sizeof(names[0].name),
				 "rx_q%u_%s", q, rx_defs[i].name);
	for (q = 0; q < data->nb_tx_queues; q++)
		for (i = 0; i < RTE_DIM(tx_defs); i++)
			snprintf(names[n++].name, sizeof(names[0].name),
				 "tx_q%u_%s", q, tx_defs[i].name);
	snprintf(names[n++].name, sizeof(names[0].name), "%s",
		 TV_XSTAT_FEATURES);
	return (int)n;
}

int
tv_xstats_get(struct rte_eth_dev *eth_dev, struct rte_eth_xstat *xs,
	      unsigned int size)
{
	struct rte_eth_dev_data *data = eth_dev->data;
	const struct tv_dev *dev = data->dev_private;
	unsigned int count = xstats_count(data), n = 0, i;
	uint16_t q;

	if (xs == NULL || size < count)
		return (int)count;
	for (q = 0; q < data->nb_rx_queues; q++) {
		const struct tv_rxq *rxq = data->rx_queues[q];

		for (i = 0; i < RTE_DIM(rx_defs); i++, n++) {
			xs[n].id = n;
			xs[n].value = rxq ? rx_stat(rxq, rx_defs[i].offset) : 0;
		}
	}
	for (q = 0; q < data->nb_tx_queues; q++) {
		const struct tv_txq *txq = data->tx_queues[q];

		for (i = 0; i < RTE_DIM(tx_defs); i++, n++) {
			xs[n].id = n;
			xs[n].value = txq ? tx_stat(txq, tx_defs[i].offset) : 0;
		}
	}
	/* Pairs with the store in vu_set_connected (relaxed: one word). */
	xs[n].id = n;
	xs[n++].value = __atomic_load_n(&dev->features_shown, __ATOMIC_RELAXED);
	return (int)n;
}
