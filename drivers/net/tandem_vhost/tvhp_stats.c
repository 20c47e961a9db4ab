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
 *
 * The per-queue counters come from two library structs: tvh_vq_stats
 * (plain reads, what the basic stats need) and tvh_vq_extra_stats (kicks,
 * discarded, calls_eagain: read under the library's control lock with a
 * system call, so only xstats read them). One table lists the fields of
 * both, as offsets into struct tvhp_vq_snap.
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
	bool extra;   /* in tvh_vq_extra_stats: xstats only */
};

#define VQ_FIELD(f, d, e)                                                      \
	{                                                                      \
		.name = #f, .off = offsetof(struct tvhp_vq_snap, s.f),         \
		.dirs = (d), .error = (e)                                      \
	}
#define XQ_FIELD(f, d)                                                         \
	{                                                                      \
		.name = #f, .off = offsetof(struct tvhp_vq_snap, x.f),         \
		.dirs = (d), .extra = true                                     \
	}

/* Every field of struct tvh_vq_stats, then of struct tvh_vq_extra_stats,
 * each in its order. tvhp_stats_init() checks that the table lists every
 * uint64_t of both exactly once: a counter added to either struct in
 * tvh.h must get its row here (and its line in doc/errors.md) in the same
 * change, else the build or the probe says so. */
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
	/* The guest kicks every ring it fills: its TX (our rx) and its
	 * receive buffers (our tx). */
	XQ_FIELD(kicks, TVHP_BOTH),
	/* Only the guest's TX rings (our rx) are discarded when disabled. */
	XQ_FIELD(discarded, TVHP_RX),
	/* The host calls the guest on both rings (used buffers returned),
	 * so either call eventfd can be left saturated. */
	XQ_FIELD(calls_eagain, TVHP_BOTH),
};

#define DEV_FIELD(f)                                                           \
	{                                                                      \
		.name = #f, .off = offsetof(struct tvh_dev_stats, f)           \
	}

static const struct tvhp_field tvhp_dev_fields[] = {
	DEV_FIELD(connects),
	DEV_FIELD(disconnects),
	DEV_FIELD(msgs),
	DEV_FIELD(err_msg),
	DEV_FIELD(err_mem),
	DEV_FIELD(err_ring),
	DEV_FIELD(unsealed_regions),
	DEV_FIELD(mem_faults),
	DEV_FIELD(msg_stalls),
	DEV_FIELD(accept_fails),
};

/* Device xstats that are values, not counters (not relative to a reset),
 * after the dev_* counters. The name is what tools look for (the pair
 * test reads it to check what was negotiated), hence no dev_ prefix. */
#define TVHP_XSTAT_FEATURES "negotiated_features"
#define TVHP_N_DEV_VALUES   1u

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

/* The library's counters of virtqueue `vq` now (zero where unknown). The
 * extra ones only `with_extra`: they cost a lock and a system call. */
static void
vq_snap(struct tvh_dev *dev, uint16_t vq, bool with_extra,
	struct tvhp_vq_snap *snap)
{
	memset(snap, 0, sizeof(*snap));
	if (dev == NULL)
		return;
	if (tvh_vq_stats_get(dev, vq, &snap->s) != 0)
		memset(&snap->s, 0, sizeof(snap->s));
	if (with_extra && tvh_vq_extra_stats_get(dev, vq, &snap->x) != 0)
		memset(&snap->x, 0, sizeof(snap->x));
}

/* Counters of virtqueue `vq` since the last reset, field by field (the
 * extra ones are 0 unless `with_extra`). */
static void
vq_since_reset(const struct tvhp_priv *priv, uint16_t vq, bool with_extra,
	       uint64_t *out)
{
	struct tvhp_vq_snap cur;
	size_t i;

	vq_snap(priv->dev, vq, with_extra, &cur);
	for (i = 0; i < RTE_DIM(tvhp_vq_fields); i++) {
		const struct tvhp_field *f = &tvhp_vq_fields[i];

		if (f->extra && !with_extra)
			out[i] = 0;
		else
			out[i] = since_base(field_of(&cur, f),
					    field_of(&priv->vq_base[vq], f));
	}
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

/* Unsent packets of tx queue index q, over all its set-ups. */
static uint64_t
unsent_total(const struct rte_eth_dev *eth_dev, uint16_t q)
{
	const struct tvhp_priv *priv = eth_dev->data->dev_private;
	const struct tvhp_txq *txq = eth_dev->data->tx_queues[q];

	return priv->unsent_gone[q] + (txq != NULL ? txq->unsent : 0);
}

/* ... since the last reset. */
static uint64_t
unsent_since_reset(const struct rte_eth_dev *eth_dev, uint16_t q)
{
	const struct tvhp_priv *priv = eth_dev->data->dev_private;

	return since_base(unsent_total(eth_dev, q), priv->unsent_base[q]);
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

/* Does a table list every uint64_t of its struct once, in order? The
 * build checks the count; this checks that no row is repeated or out of
 * place (a constant table, so the answer never changes at run time). */
static bool
table_in_order(const struct tvhp_field *fields, size_t n, const char *what)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (fields[i].off != i * sizeof(uint64_t)) {
			TVHP_LOG(ERR,
				 "internal: %s xstat \"%s\" at offset %zu, "
				 "row %zu (tvh.h and tvhp_stats.c disagree)",
				 what, fields[i].name, fields[i].off, i);
			return false;
		}
	return true;
}

int
tvhp_stats_init(struct tvhp_priv *priv, int socket)
{
	/* Both library structs are arrays of uint64_t in effect, so the
	 * snapshot has no padding and one row per uint64_t covers both. */
	RTE_BUILD_BUG_ON(sizeof(struct tvhp_vq_snap) !=
			 sizeof(struct tvh_vq_stats) +
				 sizeof(struct tvh_vq_extra_stats));
	RTE_BUILD_BUG_ON(sizeof(struct tvh_vq_stats) % sizeof(uint64_t) != 0 ||
			 sizeof(struct tvh_vq_extra_stats) % sizeof(uint64_t) !=
				 0);
	/* A counter added to tvh_vq_stats or tvh_vq_extra_stats needs a
	 * VQ_FIELD or XQ_FIELD row in tvhp_vq_fields[]. */
	RTE_BUILD_BUG_ON(sizeof(struct tvhp_vq_snap) !=
			 RTE_DIM(tvhp_vq_fields) * sizeof(uint64_t));
	/* A counter added to tvh_dev_stats needs a DEV_FIELD row. */
	RTE_BUILD_BUG_ON(sizeof(struct tvh_dev_stats) !=
			 RTE_DIM(tvhp_dev_fields) * sizeof(uint64_t));
	/* The basic stats read these rows by index. */
	RTE_BUILD_BUG_ON(offsetof(struct tvhp_vq_snap, s.packets) !=
				 IDX_PACKETS * sizeof(uint64_t) ||
			 offsetof(struct tvhp_vq_snap, s.bytes) !=
				 IDX_BYTES * sizeof(uint64_t) ||
			 offsetof(struct tvhp_vq_snap, s.no_mbufs) !=
				 IDX_NO_MBUFS * sizeof(uint64_t) ||
			 offsetof(struct tvhp_vq_snap, s.no_room) !=
				 IDX_NO_ROOM * sizeof(uint64_t) ||
			 offsetof(struct tvhp_vq_snap, s.too_big) !=
				 IDX_TOO_BIG * sizeof(uint64_t));
	if (!table_in_order(tvhp_vq_fields, RTE_DIM(tvhp_vq_fields), "queue") ||
	    !table_in_order(tvhp_dev_fields, RTE_DIM(tvhp_dev_fields),
			    "device"))
		return -EINVAL;

	priv->vq_base = rte_zmalloc_socket("tvhp_stats_base",
					   sizeof(*priv->vq_base) * n_vqs(priv),
					   RTE_CACHE_LINE_SIZE, socket);
	priv->unsent_gone = rte_zmalloc_socket(
		"tvhp_unsent", 2 * sizeof(uint64_t) * priv->args.queues, 0,
		socket);
	memset(&priv->dev_base, 0, sizeof(priv->dev_base));
	if (priv->vq_base == NULL || priv->unsent_gone == NULL) {
		tvhp_stats_fini(priv);
		return -ENOMEM;
	}
	priv->unsent_base = priv->unsent_gone + priv->args.queues;
	return 0;
}

void
tvhp_stats_fini(struct tvhp_priv *priv)
{
	rte_free(priv->vq_base);
	priv->vq_base = NULL;
	rte_free(priv->unsent_gone);
	priv->unsent_gone = NULL;
	priv->unsent_base = NULL;
}

int
tvhp_stats_get(struct rte_eth_dev *eth_dev, struct rte_eth_stats *st)
{
	const struct tvhp_priv *priv = eth_dev->data->dev_private;
	uint64_t v[RTE_DIM(tvhp_vq_fields)];
	uint16_t q;

	st->rx_nombuf = 0;
	for (q = 0; q < eth_dev->data->nb_rx_queues; q++) {
		vq_since_reset(priv, 2 * q + 1, false, v);
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
		vq_since_reset(priv, 2 * q, false, v);
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

	/* xstats_reset is this function too: take the extra counters'
	 * baseline as well. */
	for (vq = 0; vq < n_vqs(priv); vq++)
		vq_snap(priv->dev, vq, true, &priv->vq_base[vq]);
	memset(&priv->dev_base, 0, sizeof(priv->dev_base));
	if (priv->dev != NULL)
		tvh_dev_stats_get(priv->dev, &priv->dev_base);
	for (q = 0; q < eth_dev->data->nb_tx_queues; q++)
		priv->unsent_base[q] = unsent_total(eth_dev, q);
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
	       RTE_DIM(tvhp_dev_fields) + TVHP_N_DEV_VALUES;
}

/* Order: rx queues (rx_q<N>_<field>), tx queues (tx_q<N>_<field>), the
 * PMD's own tx_q<N>_unsent_packets, the device counters (dev_<field>),
 * then negotiated_features. tvhp_xstats_get() walks the same order. */
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
	snprintf(names[k++].name, sizeof(names->name), "%s",
		 TVHP_XSTAT_FEATURES);
	RTE_ASSERT(k == count);
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
		vq_since_reset(priv, 2 * q + 1, true, v);
		for (i = 0; i < RTE_DIM(tvhp_vq_fields); i++)
			if (tvhp_vq_fields[i].dirs & TVHP_RX) {
				xstats[k].id = k;
				xstats[k++].value = v[i];
			}
	}
	for (q = 0; q < eth_dev->data->nb_tx_queues; q++) {
		vq_since_reset(priv, 2 * q, true, v);
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
	/* The virtio feature word the guest set (0 while none is
	 * connected): a value, so not relative to the last reset. */
	xstats[k].id = k;
	xstats[k++].value = priv->dev != NULL ? tvh_dev_features(priv->dev) : 0;
	RTE_ASSERT(k == count);
	return (int)count;
}
