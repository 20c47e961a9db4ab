/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * Device state: feature defaults, the ready/gone state machine, reset,
 * pause/resume around memory and feature changes, and the read-only parts
 * of the public API. Creation and destruction live in tvh_ctrl.c with the
 * control thread they attach to.
 */
#include <errno.h>
#include <string.h>

#include "tvh_internal.h"

/* What this back-end implements. Offering anything else would be a lie
 * the datapath cannot keep (offloads, dirty logging). */
#define TVH_SUPPORTED_FEATURES                                                 \
	(TV_BIT(TV_F_VERSION_1) | TV_BIT(TV_NET_F_MRG_RXBUF) |                 \
	 TV_BIT(TV_F_IN_ORDER) | TV_BIT(TV_F_RING_EVENT_IDX) |                 \
	 TV_BIT(TV_F_RING_INDIRECT_DESC) | TV_BIT(TV_F_ANY_LAYOUT) |           \
	 TV_BIT(TV_F_RING_PACKED) | TV_BIT(TV_NET_F_MQ) |                      \
	 TV_BIT(TV_F_VHOST_USER_PROTOCOL_FEATURES))

#define TVH_SUPPORTED_PROTOCOL_FEATURES                                        \
	(TV_BIT(TVU_PROTOCOL_F_MQ) | TV_BIT(TVU_PROTOCOL_F_REPLY_ACK) |        \
	 TV_BIT(TVU_PROTOCOL_F_STATUS))

uint64_t
tvh_default_features(void)
{
	return TVH_SUPPORTED_FEATURES;
}

uint64_t
tvh_default_protocol_features(void)
{
	return TVH_SUPPORTED_PROTOCOL_FEATURES;
}

uint64_t
tvh_supported_features(void)
{
	return TVH_SUPPORTED_FEATURES;
}

uint64_t
tvh_supported_protocol_features(void)
{
	return TVH_SUPPORTED_PROTOCOL_FEATURES;
}

void
tvh_dev_update_ready(struct tvh_dev *dev)
{
	bool ready;

	for (uint32_t i = 0; i < dev->n_vqs; i++) {
		struct tvh_vq *vq = &dev->vqs[i];

		/* A transmit ring that only discards is not "enabled". */
		bool serving = vq->running && vq->enabled;

		if (serving == vq->reported)
			continue;
		vq->reported = serving;
		if (dev->ops.vring_state != NULL)
			dev->ops.vring_state(dev, dev->ctx, vq->index, serving);
	}
	ready = dev->features_set && dev->mem.n_regions > 0 &&
		dev->vqs[0].running && dev->vqs[0].enabled &&
		dev->vqs[1].running && dev->vqs[1].enabled;
	if (ready == dev->ready_reported)
		return;
	dev->ready_reported = ready;
	__atomic_store_n(&dev->ready, ready, __ATOMIC_RELEASE);
	TVH_LOG_CTRL(INFO, dev, "device %s", ready ? "ready" : "gone");
	if (ready && dev->ops.device_ready != NULL)
		dev->ops.device_ready(dev, dev->ctx);
	else if (!ready && dev->ops.device_gone != NULL)
		dev->ops.device_gone(dev, dev->ctx);
}

int
tvh_dev_pause(struct tvh_dev *dev)
{
	return tvh_vqs_stop(dev->vqs, dev->n_vqs);
}

void
tvh_dev_resume(struct tvh_dev *dev)
{
	for (uint32_t i = 0; i < dev->n_vqs; i++)
		tvh_vq_try_start(&dev->vqs[i]);
}

void
tvh_dev_reset(struct tvh_dev *dev)
{
	/* Every queue leaves the datapath (one barrier) before anything it
	 * uses is closed or unmapped; a stuck one keeps its memory (and
	 * call fd, tvh_vq_reset) until tvh_dev_thaw. */
	tvh_vqs_stop(dev->vqs, dev->n_vqs);
	for (uint32_t i = 0; i < dev->n_vqs; i++)
		tvh_vq_reset(&dev->vqs[i], true);
	if (dev->n_stuck == 0)
		tvh_mem_unmap(&dev->mem);
	__atomic_store_n(&dev->features, 0, __ATOMIC_RELAXED);
	dev->features_set = false;
	dev->status = 0;
}

uint32_t
tvh_dev_thaw(struct tvh_dev *dev)
{
	bool any = false;

	for (uint32_t i = 0; i < dev->n_vqs && dev->n_stuck > 0; i++)
		any |= tvh_vq_thaw(&dev->vqs[i]);
	/* The memory table a stuck burst could use was kept: no front-end
	 * could connect since, so it is still the one to release. */
	if (any && dev->n_stuck == 0)
		tvh_mem_unmap(&dev->mem);
	return dev->n_stuck;
}

bool
tvh_dev_is_ready(const struct tvh_dev *dev)
{
	return __atomic_load_n(&dev->ready, __ATOMIC_ACQUIRE);
}

uint64_t
tvh_dev_features(const struct tvh_dev *dev)
{
	return __atomic_load_n(&dev->features, __ATOMIC_RELAXED);
}

int
tvh_vq_stats_get(const struct tvh_dev *dev, uint16_t vq,
		 struct tvh_vq_stats *stats)
{
	if (dev == NULL || stats == NULL || vq >= dev->n_vqs)
		return -EINVAL;
	/* Plain copy: counters are written by the datapath thread; a
	 * reader may see them a burst old (tvh.h). */
	memcpy(stats, &dev->vqs[vq].stats, sizeof(*stats));
	return 0;
}

void
tvh_vq_stats_reset(struct tvh_dev *dev, uint16_t vq)
{
	if (dev == NULL || vq >= dev->n_vqs)
		return;
	memset(&dev->vqs[vq].stats, 0, sizeof(dev->vqs[vq].stats));
}

uint16_t
tvh_dev_active_queue_pairs(const struct tvh_dev *dev)
{
	uint16_t n = 0;

	if (dev == NULL)
		return 0;
	for (uint32_t q = 0; q < dev->n_queue_pairs; q++)
		if (tvh_vq_is_enabled(dev, tv_net_rxq_to_vq(q)) &&
		    tvh_vq_is_enabled(dev, tv_net_txq_to_vq(q)))
			n++;
	return n;
}

bool
tvh_vq_is_enabled(const struct tvh_dev *dev, uint16_t vq)
{
	if (dev == NULL || vq >= dev->n_vqs)
		return false;
	return __atomic_load_n(&dev->vqs[vq].ready, __ATOMIC_RELAXED) ==
	       TVH_VQ_RUN;
}
