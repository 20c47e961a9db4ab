/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * tvhp_stats.c - basic and extended statistics of net_tandem_vhost, read
 * from lib/vhost's per-virtqueue and per-device counters.
 *
 * Reset keeps a baseline instead of calling tvh_vq_stats_reset(): the
 * library's counters are written by the datapath thread with plain
 * read-add-store, so zeroing them from the control thread could be lost
 * under a running burst (and would cost the datapath an atomic to fix).
 * A baseline is only read by the control thread, so reset and get race
 * with nothing. If the library restarts a counter below the baseline (it
 * may, e.g. on a new connection), the counter is reported as is.
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <rte_malloc.h>

#include "tvhp.h"

enum { TVHP_RX = 1, TVHP_TX = 2, TVHP_BOTH = 3 };

struct tvhp_field {
	const char *name;
	size_t off;
	uint8_t dirs; /* which queue directions show it as an xstat */
	bool error;   /* counts a bad packet / guest error */
};

#define VQ_FIELD(f, d, e)                                                      \
	{                                                                      \
		.name = #f, .off = offsetof(struct tvh_vq_stats, f),           \
		.dirs = (d), .error = (e)                                      \
	}

/* Every field of struct tvh_vq_stats, in its order. The assertion in
 * tvhp_stats_init() catches a field added to tvh.h but not here. */
static const struct tvhp_field tvhp_vq_fields[] = {
	VQ_FIELD(packets, TVHP_BOTH, false),
	VQ_FIELD(bytes, TVHP_BOTH, false),
	VQ_FIELD(no_mbufs, TVHP_RX, false),
	VQ_FIELD(no_room, TVHP_TX, false),
	VQ_FIELD(too_big, TVHP_TX, false),
	VQ_FIELD(calls_suppressed, TVHP_BOTH, false),
	VQ_FIELD(calls, TVHP_BOTH, false),
	VQ_FIELD(err_avail_idx, TVHP_BOTH, true),
	VQ_FIELD(err_desc_index, TVHP_BOTH, true),
	VQ_FIELD(err_desc_addr, TVHP_BOTH, true),
	VQ_FIELD(err_chain_loop, TVHP_BOTH, true),
	VQ_FIELD(err_indirect, TVHP_BOTH, true),
	VQ_FIELD(err_desc_flags, TVHP_BOTH, true),
	VQ_FIELD(err_hdr, TVHP_BOTH, true),
	VQ_FIELD(err_pkt_len, TVHP_RX, true),
};

#define DEV_FIELD(f)                                                           \
	{                                                                      \
		.name = #f, .off = offsetof(struct tvh_dev_stats, f)           \
	}

static const struct tvhp_field tvhp_dev_fields[] = {
	DEV_FIELD(connects), DEV_FIELD(disconnects), DEV_FIELD(msgs),
	DEV_FIELD(err_msg),  DEV_FIELD(err_mem),     DEV_FIELD(err_ring),
};

static uint64_t
field_of(const void *st, const struct tvhp_field *f)
{
	uint64_t v;

	memcpy(&v, (const char *)st + f->off, sizeof(v));
	return v;
}

static uint64_t
since_base(uint64_t cur, uint64_t base)
{
	return cur >= base ? cur - base : cur;
}

static uint16_t
n_vqs(const struct tvhp_priv *priv)
{
	return (uint16_t)(2 * priv->args.queues);
}

/* Counters of virtqueue `vq` since the last reset, field by field. */
static void
vq_since_reset(const struct tvhp_priv *priv, uint16_t vq, uint64_t *out)
{
	struct tvh_vq_stats cur;
	size_t i;

	memset(&cur, 0, sizeof(cur));
	if (priv->dev == NULL || tvh_vq_stats_get(priv->dev, vq, &cur) != 0)
		memset(&cur, 0, sizeof(cur));
	for (i = 0; i < RTE_DIM(tvhp_vq_fields); i++)
		out[i] = since_base(
			field_of(&cur, &tvhp_vq_fields[i]),
			field_of(&priv->vq_base[vq], &tvhp_vq_fields[i]));
}

static void
dev_since_reset(const struct tvhp_priv *priv, uint64_t *out)
{
	struct tvh_dev_stats cur;
	size_t i;

	memset(&cur, 0, sizeof(cur));
	if (priv->dev != NULL)
		tvh_dev_stats_get(priv->dev, &cur);
	for (i = 0; i < RTE_DIM(tvhp_dev_fields); i++)
		out[i] = since_base(
			field_of(&cur, &tvhp_dev_fields[i]),
			field_of(&priv->dev_base, &tvhp_dev_fields[i]));
}

/* Index of a field in tvhp_vq_fields by offset (for the basic stats). */
#define IDX_PACKETS  0
#define IDX_BYTES    1
#define IDX_NO_MBUFS 2
#define IDX_NO_ROOM  3
#define IDX_TOO_BIG  4

/* Unsent packets of tx queue q since the last reset (0: not set up). */
static uint64_t
unsent_since_reset(const struct rte_eth_dev *eth_dev, uint16_t q)
{
	const struct tvhp_txq *txq = eth_dev->data->tx_queues[q];

	if (txq == NULL)
		return 0;
	return since_base(txq->unsent, txq->unsent_base);
}

static uint64_t
error_sum(const uint64_t *v)
{
	uint64_t sum = 0;
	size_t i;

	for (i = 0; i < RTE_DIM(tvhp_vq_fields); i++)
		if (tvhp_vq_fields[i].error)
			sum += v[i];
	return sum;
}

int
tvhp_stats_init(struct tvhp_priv *priv, int socket)
{
	RTE_BUILD_BUG_ON(sizeof(struct tvh_vq_stats) !=
			 RTE_DIM(tvhp_vq_fields) * sizeof(uint64_t));
	RTE_BUILD_BUG_ON(sizeof(struct tvh_dev_stats) !=
			 RTE_DIM(tvhp_dev_fields) * sizeof(uint64_t));
	RTE_BUILD_BUG_ON(offsetof(struct tvh_vq_stats, packets) !=
				 IDX_PACKETS * sizeof(uint64_t) ||
			 offsetof(struct tvh_vq_stats, bytes) !=
				 IDX_BYTES * sizeof(uint64_t) ||
			 offsetof(struct tvh_vq_stats, no_mbufs) !=
				 IDX_NO_MBUFS * sizeof(uint64_t) ||
			 offsetof(struct tvh_vq_stats, no_room) !=
				 IDX_NO_ROOM * sizeof(uint64_t) ||
			 offsetof(struct tvh_vq_stats, too_big) !=
				 IDX_TOO_BIG * sizeof(uint64_t));

	priv->vq_base = rte_zmalloc_socket("tvhp_stats_base",
					   sizeof(*priv->vq_base) * n_vqs(priv),
					   RTE_CACHE_LINE_SIZE, socket);
	memset(&priv->dev_base, 0, sizeof(priv->dev_base));
	return priv->vq_base == NULL ? -ENOMEM : 0;
}

void
tvhp_stats_fini(struct tvhp_priv *priv)
{
	rte_free(priv->vq_base);
	priv->vq_base = NULL;
}

int
tvhp_stats_get(struct rte_eth_dev *eth_dev, struct rte_eth_stats *st)
{
	const struct tvhp_priv *priv = eth_dev->data->dev_private;
	uint64_t v[RTE_DIM(tvhp_vq_fields)];
	uint16_t q;

	st->rx_nombuf = 0;
	for (q = 0; q < eth_dev->data->nb_rx_queues; q++) {
		vq_since_reset(priv, 2 * q + 1, v);
		st->ipackets += v[IDX_PACKETS];
		st->ibytes += v[IDX_BYTES];
		st->rx_nombuf += v[IDX_NO_MBUFS];
		/* Packets the guest described badly are consumed, never
		 * delivered: input errors. */
		st->ierrors += error_sum(v);
		if (q < RTE_ETHDEV_QUEUE_STAT_CNTRS) {
			st->q_ipackets[q] = v[IDX_PACKETS];
			st->q_ibytes[q] = v[IDX_BYTES];
			st->q_errors[q] = error_sum(v);
		}
	}
	for (q = 0; q < eth_dev->data->nb_tx_queues; q++) {
		vq_since_reset(priv, 2 * q, v);
		st->opackets += v[IDX_PACKETS];
		st->obytes += v[IDX_BYTES];
		/* Not delivered: no room in the guest's receive ring (the
		 * caller may retry), dropped as larger than its buffers, or
		 * its ring is broken; the stock driver counts what it could
		 * not deliver the same way. */
		st->oerrors += unsent_since_reset(eth_dev, q) + v[IDX_TOO_BIG] +
			       error_sum(v);
		if (q < RTE_ETHDEV_QUEUE_STAT_CNTRS) {
			st->q_opackets[q] = v[IDX_PACKETS];
			st->q_obytes[q] = v[IDX_BYTES];
		}
	}
	return 0;
}

int
tvhp_stats_reset(struct rte_eth_dev *eth_dev)
{
	struct tvhp_priv *priv = eth_dev->data->dev_private;
	uint16_t vq, q;

	for (vq = 0; vq < n_vqs(priv); vq++) {
		memset(&priv->vq_base[vq], 0, sizeof(priv->vq_base[vq]));
		if (priv->dev != NULL &&
		    tvh_vq_stats_get(priv->dev, vq, &priv->vq_base[vq]) != 0)
			memset(&priv->vq_base[vq], 0,
			       sizeof(priv->vq_base[vq]));
	}
	memset(&priv->dev_base, 0, sizeof(priv->dev_base));
	if (priv->dev != NULL)
		tvh_dev_stats_get(priv->dev, &priv->dev_base);
	for (q = 0; q < eth_dev->data->nb_tx_queues; q++) {
		struct tvhp_txq *txq = eth_dev->data->tx_queues[q];

		if (txq != NULL)
			txq->unsent_base = txq->unsent;
	}
	return 0;
}

static unsigned int
n_fields(uint8_t dir)
{
	unsigned int i, n = 0;

	for (i = 0; i < RTE_DIM(tvhp_vq_fields); i++)
		if (tvhp_vq_fields[i].dirs & dir)
			n++;
	return n;
}

static unsigned int
xstats_count(const struct rte_eth_dev *eth_dev)
{
	return eth_dev->data->nb_rx_queues * n_fields(TVHP_RX) +
	       eth_dev->data->nb_tx_queues * (n_fields(TVHP_TX) + 1) +
	       RTE_DIM(tvhp_dev_fields);
}

/* Order: rx queues (rx_q<N>_<field>), tx queues (tx_q<N>_<field>), the
 * PMD's own tx_q<N>_unsent_packets, then the device (dev_<field>).
 * tvhp_xstats_get() walks the same order. */
int
tvhp_xstats_get_names(struct rte_eth_dev *eth_dev,
		      struct rte_eth_xstat_name *names, unsigned int size)
{
	unsigned int count = xstats_count(eth_dev), k = 0, i;
	uint16_t q;

	if (names == NULL || size < count)
		return (int)count;
	for (q = 0; q < eth_dev->data->nb_rx_queues; q++)
		for (i = 0; i < RTE_DIM(tvhp_vq_fields); i++)
			if (tvhp_vq_fields[i].dirs & TVHP_RX)
				snprintf(names[k++].name, sizeof(names->name),
					 "rx_q%u_%s", q,
					 tvhp_vq_fields[i].name);
	for (q = 0; q < eth_dev->data->nb_tx_queues; q++)
		for (i = 0; i < RTE_DIM(tvhp_vq_fields); i++)
			if (tvhp_vq_fields[i].dirs & TVHP_TX)
				snprintf(names[k++].name, sizeof(names->name),
					 "tx_q%u_%s", q,
					 tvhp_vq_fields[i].name);
	for (q = 0; q < eth_dev->data->nb_tx_queues; q++)
		snprintf(names[k++].name, sizeof(names->name),
			 "tx_q%u_unsent_packets", q);
	for (i = 0; i < RTE_DIM(tvhp_dev_fields); i++)
		snprintf(names[k++].name, sizeof(names->name), "dev_%s",
			 tvhp_dev_fields[i].name);
	return (int)count;
}

int
tvhp_xstats_get(struct rte_eth_dev *eth_dev, struct rte_eth_xstat *xstats,
		unsigned int n)
{
	const struct tvhp_priv *priv = eth_dev->data->dev_private;
	unsigned int count = xstats_count(eth_dev), k = 0, i;
	uint64_t v[RTE_DIM(tvhp_vq_fields)];
	uint64_t d[RTE_DIM(tvhp_dev_fields)];
	uint16_t q;

	if (xstats == NULL || n < count)
		return (int)count;
	for (q = 0; q < eth_dev->data->nb_rx_queues; q++) {
		vq_since_reset(priv, 2 * q + 1, v);
		for (i = 0; i < RTE_DIM(tvhp_vq_fields); i++)
			if (tvhp_vq_fields[i].dirs & TVHP_RX) {
				xstats[k].id = k;
				xstats[k++].value = v[i];
			}
	}
	for (q = 0; q < eth_dev->data->nb_tx_queues; q++) {
		vq_since_reset(priv, 2 * q, v);
		for (i = 0; i < RTE_DIM(tvhp_vq_fields); i++)
			if (tvhp_vq_fields[i].dirs & TVHP_TX) {
				xstats[k].id = k;
				xstats[k++].value = v[i];
			}
	}
	for (q = 0; q < eth_dev->data->nb_tx_queues; q++) {
		xstats[k].id = k;
		xstats[k++].value = unsent_since_reset(eth_dev, q);
	}
	dev_since_reset(priv, d);
	for (i = 0; i < RTE_DIM(tvhp_dev_fields); i++) {
		xstats[k].id = k;
		xstats[k++].value = d[i];
	}
	return (int)count;
}
