/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * vhost-user message handling: central validation (tvu_validate_request:
 * request code, payload size, fd count, vring index, required protocol
 * feature), then one handler per request from a table. Handlers see only
 * validated messages and refuse what they cannot honour with a reason;
 * the dispatcher counts, logs (rate limited), closes the fds no handler
 * took and answers.
 *
 * Runs on the control thread only.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tvh_internal.h"

/* A handler's return value meaning "msg now holds the reply payload". */
#define TVH_REPLY 1

typedef int (*tvh_msg_handler)(struct tvh_dev *dev, struct tvu_msg *msg,
			       char *why, size_t whylen);

static int
reply_u64(struct tvu_msg *msg, uint64_t v)
{
	msg->size = sizeof(msg->payload.u64);
	msg->payload.u64 = v;
	return TVH_REPLY;
}

/* Take fd i of the message (the dispatcher will not close it). */
static int
take_fd(struct tvu_msg *msg, uint32_t i)
{
	int fd;

	if (i >= msg->n_fds)
		return -1;
	fd = msg->fds[i];
	msg->fds[i] = -1;
	return fd;
}

static void
close_msg_fds(struct tvu_msg *msg)
{
	for (uint32_t i = 0; i < msg->n_fds && i < TVU_MAX_FDS; i++) {
		if (msg->fds[i] >= 0)
			close(msg->fds[i]);
		msg->fds[i] = -1;
	}
	msg->n_fds = 0;
}

static bool
proto_features_acked(const struct tvh_dev *dev)
{
	return dev->features_set &&
	       tv_has_feature(dev->features, TV_F_VHOST_USER_PROTOCOL_FEATURES);
}

static struct tvh_vq *
msg_vq(struct tvh_dev *dev, const struct tvu_msg *msg)
{
	/* tvu_validate_request checked the index against n_vqs. */
	return &dev->vqs[tvu_msg_vring_index(msg)];
}

/* A stop that gave up on a burst (tvh_vqs_stop): the handler changes
 * nothing and the dispatcher ends the session. */
static int
stop_failed(struct tvh_dev *dev, char *why, size_t whylen)
{
	snprintf(why, whylen,
		 "a ring's datapath did not stop within %u ms; "
		 "disconnecting",
		 TVH_QUIESCE_MS);
	return -EBUSY;
}

/* Start the ring if it has everything; a refusal of its addresses (logged
 * and counted in err_ring by tvh_vq_try_start) refuses the message too. */
static int
start_ring(struct tvh_vq *vq, char *why, size_t whylen)
{
	int rc = tvh_vq_try_start(vq);

	if (rc < 0)
		snprintf(why, whylen, "vring %u cannot start: bad addresses",
			 vq->index);
	return rc;
}

/* A SET_*FEATURES may only acknowledge bits we offered: true (with the
 * reason in why) if `acked` has any other. */
static bool
refuse_unoffered(const char *what, uint64_t acked, uint64_t offered, char *why,
		 size_t whylen)
{
	if ((acked & ~offered) == 0)
		return false;
	snprintf(why, whylen,
		 "%s 0x%" PRIx64 " include 0x%" PRIx64 " that were not offered",
		 what, acked, acked & ~offered);
	return true;
}

static int
h_get_features(struct tvh_dev *dev, struct tvu_msg *msg, char *why,
	       size_t whylen)
{
	return reply_u64(msg, dev->offered_features);
}

static int
h_set_features(struct tvh_dev *dev, struct tvu_msg *msg, char *why,
	       size_t whylen)
{
	uint64_t v = msg->payload.u64;

	if (refuse_unoffered("features", v, dev->offered_features, why, whylen))
		return -EINVAL;
	if (dev->features_set && v == dev->features)
		return 0;
	/* Header length and ring options change under the queues: stop
	 * them, then restart with the new features. */
	if (tvh_dev_pause(dev) < 0)
		return stop_failed(dev, why, whylen);
	/* Atomic: tvh_dev_features() reads it from other threads. */
	__atomic_store_n(&dev->features, v, __ATOMIC_RELAXED);
	dev->features_set = true;
	tvh_dev_resume(dev);
	return 0;
}

static int
h_set_owner(struct tvh_dev *dev, struct tvu_msg *msg, char *why, size_t whylen)
{
	return 0;
}

static int
h_reset(struct tvh_dev *dev, struct tvu_msg *msg, char *why, size_t whylen)
{
	tvh_dev_reset(dev);
	return 0;
}

static int
h_set_mem_table(struct tvh_dev *dev, struct tvu_msg *msg, char *why,
		size_t whylen)
{
	struct tvh_mem mem;
	int rc;

	rc = tvh_mem_map(dev, &mem, msg, why, whylen);
	if (rc < 0) {
		dev->stats.err_mem++;
		return rc;
	}
	/* The rings keep their user addresses; they are translated again
	 * through the new table when they restart. */
	if (tvh_dev_pause(dev) < 0) {
		/* A stuck burst may still use the current table. */
		tvh_mem_unmap(&mem);
		return stop_failed(dev, why, whylen);
	}
	tvh_mem_unmap(&dev->mem);
	dev->mem = mem;
	tvh_dev_resume(dev);
	return 0;
}

static int
h_set_log(struct tvh_dev *dev, struct tvu_msg *msg, char *why, size_t whylen)
{
	snprintf(why, whylen,
		 "dirty logging was not offered (no LOG_ALL / LOG_SHMFD)");
	return -ENOTSUP;
}

static int
h_set_vring_num(struct tvh_dev *dev, struct tvu_msg *msg, char *why,
		size_t whylen)
{
	struct tvh_vq *vq = msg_vq(dev, msg);
	uint32_t num = msg->payload.state.num;

	if (vq->kicked) {
		snprintf(why, whylen, "vring %u is running (stop it first)",
			 vq->index);
		return -EBUSY;
	}
	if (!tv_split_num_valid(num)) {
		snprintf(why, whylen,
			 "vring %u size %u is not a power of two <= %u",
			 vq->index, num, TV_QUEUE_SIZE_MAX);
		return -EINVAL;
	}
	vq->cfg_num = num;
	vq->num_set = true;
	return 0;
}

static int
h_set_vring_addr(struct tvh_dev *dev, struct tvu_msg *msg, char *why,
		 size_t whylen)
{
	struct tvh_vq *vq = msg_vq(dev, msg);
	const struct tvu_vring_addr *a = &msg->payload.addr;

	if (a->flags & (1u << TVU_VRING_F_LOG)) {
		dev->stats.err_ring++;
		snprintf(why, whylen,
			 "vring %u asks for dirty logging, which was not "
			 "offered",
			 vq->index);
		return -ENOTSUP;
	}
	/* Checked (and translated) when the ring starts, with the memory
	 * table of that moment. A running ring moves at once. */
	if (tvh_vq_stop(vq) < 0)
		return stop_failed(dev, why, whylen);
	vq->cfg_addr = *a;
	vq->addr_set = true;
	return start_ring(vq, why, whylen);
}

/* Rings are packed: SET_FEATURES acknowledged RING_PACKED. The vring
 * base messages then use the packed encoding. */
static bool
packed_negotiated(const struct tvh_dev *dev)
{
	return dev->features_set &&
	       tv_has_feature(dev->features, TV_F_RING_PACKED);
}

static int
h_set_vring_base(struct tvh_dev *dev, struct tvu_msg *msg, char *why,
		 size_t whylen)
{
	struct tvh_vq *vq = msg_vq(dev, msg);
	uint32_t base = msg->payload.state.num;

	if (vq->kicked) {
		snprintf(why, whylen, "vring %u is running (stop it first)",
			 vq->index);
		return -EBUSY;
	}
	if (packed_negotiated(dev)) {
		/* Packed (vhost-user spec, "Vring descriptor indices for
		 * packed virtqueues"): bits 0-14 the next descriptor, 15 its
		 * wrap counter, 16-31 the same for the next used one (QEMU
		 * sends both; DPDK's virtio-user only the low half, and 0
		 * above). A used index behind the avail one means buffers a
		 * previous back-end took and never returned: as on split
		 * rings (tvh_vq_start_index), continue from the used index
		 * and take them again. */
		uint16_t avail = (uint16_t)base, used = (uint16_t)(base >> 16);

		if (base > UINT16_MAX && used != avail) {
			TVH_LOG_CTRL(WARNING, dev,
				     "front-end set packed vring %u's base to "
				     "descriptor %u (wrap %u) with used "
				     "descriptor %u (wrap %u): continuing from "
				     "the used one; buffers in between are "
				     "taken again (a transmitted packet may "
				     "repeat)",
				     vq->index, avail & 0x7fffu, avail >> 15,
				     used & 0x7fffu, used >> 15);
			avail = used;
		}
		vq->cfg_base = avail;
		vq->base_is_ours = false;
		vq->base_given = true;
		return 0;
	}
	if (base > UINT16_MAX) {
		snprintf(why, whylen,
			 "vring %u base %u is not a split ring index",
			 vq->index, base);
		return -EINVAL;
	}
	vq->cfg_base = (uint16_t)base;
	vq->base_is_ours = false;
	vq->base_given = true;
	return 0;
}

/* Replace the kick fd, counting what the old one received first. */
static void
set_kick_fd(struct tvh_vq *vq, int fd)
{
	tvh_vq_kick_fd_close(vq);
	vq->kick_fd = fd;
	tvh_vq_kick_count_start(vq);
	tvh_kick_watch(vq);
	/* Interrupt mode: a kick on the old fd may not have been relayed,
	 * and a running ring is not restarted (no start wake-up): one
	 * wake-up, spurious at worst, lets the sleeper look. */
	tvh_vq_wake(vq);
}

static int
h_get_vring_base(struct tvh_dev *dev, struct tvu_msg *msg, char *why,
		 size_t whylen)
{
	struct tvh_vq *vq = msg_vq(dev, msg);
	uint32_t index = vq->index;

	/* Stopping the ring: the datapath leaves it before we answer, and
	 * the front-end must set it up again (NUM, ADDR, BASE, KICK). */
	if (tvh_vq_stop(vq) < 0)
		return stop_failed(dev, why, whylen);
	vq->kicked = false;
	vq->num_set = false;
	vq->addr_set = false;
	set_kick_fd(vq, -1);
	if (!proto_features_acked(dev))
		vq->enabled = false;
	msg->size = sizeof(msg->payload.state);
	msg->payload.state.index = index;
	/* Packed: the used index (bits 16-31) is where the avail index is,
	 * since every buffer taken was returned (tvh_packed.c); a ring that
	 * never ran nor was given a base stands at its start (wrap 1). */
	if (packed_negotiated(dev)) {
		uint32_t b = tvh_vq_packed_base(vq);

		msg->payload.state.num = b | b << 16;
	} else {
		msg->payload.state.num = vq->cfg_base;
	}
	return TVH_REPLY;
}

static int
h_set_vring_fd(struct tvh_dev *dev, struct tvu_msg *msg, char *why,
	       size_t whylen)
{
	struct tvh_vq *vq = msg_vq(dev, msg);
	int fd = -1, *slot;

	/* The fd stays in msg (closed by the dispatcher) until taken. */
	if (!(msg->payload.u64 & TVU_VRING_NOFD_MASK)) {
		if (tvh_eventfd_check(msg->fds[0], why, whylen) < 0)
			return -EINVAL;
		fd = take_fd(msg, 0);
	}
	switch (msg->request) {
	case TVU_SET_VRING_KICK:
		set_kick_fd(vq, fd);
		break;
	case TVU_SET_VRING_CALL:
		/* The datapath writes to the call fd: never swap it under
		 * a running burst. */
		if (tvh_vq_stop(vq) < 0) {
			if (fd >= 0)
				close(fd);
			return stop_failed(dev, why, whylen);
		}
		slot = &vq->call_fd;
		if (*slot >= 0)
			close(*slot);
		*slot = fd;
		break;
	default:
		/* Never written (no error is reported), but held to the
		 * same rule as the others. */
		slot = &vq->err_fd;
		if (*slot >= 0)
			close(*slot);
		*slot = fd;
		break;
	}
	if (msg->request == TVU_SET_VRING_KICK) {
		/* The kick (with or without fd) starts the ring. Without
		 * VHOST_USER_F_PROTOCOL_FEATURES it is enabled at once;
		 * with it, it waits for SET_VRING_ENABLE (vhost-user spec,
		 * "Starting and stopping rings"). */
		vq->kicked = true;
		if (!proto_features_acked(dev))
			vq->enabled = true;
		/* A ring whose addresses are refused does not start: the
		 * front-end may fix them and kick again. */
		if (start_ring(vq, why, whylen) < 0) {
			vq->kicked = false;
			return -EINVAL;
		}
		return 0;
	}
	return start_ring(vq, why, whylen);
}

static int
h_get_protocol_features(struct tvh_dev *dev, struct tvu_msg *msg, char *why,
			size_t whylen)
{
	return reply_u64(msg, dev->offered_protocol_features);
}

static int
h_set_protocol_features(struct tvh_dev *dev, struct tvu_msg *msg, char *why,
			size_t whylen)
{
	uint64_t v = msg->payload.u64;

	if (refuse_unoffered("protocol features", v,
			     dev->offered_protocol_features, why, whylen))
		return -EINVAL;
	dev->protocol_features = v;
	return 0;
}

static int
h_get_queue_num(struct tvh_dev *dev, struct tvu_msg *msg, char *why,
		size_t whylen)
{
	return reply_u64(msg, dev->n_queue_pairs);
}

static int
h_set_vring_enable(struct tvh_dev *dev, struct tvu_msg *msg, char *why,
		   size_t whylen)
{
	struct tvh_vq *vq = msg_vq(dev, msg);
	uint32_t on = msg->payload.state.num;

	/* vhost-user spec: sent only when VHOST_USER_F_PROTOCOL_FEATURES
	 * was negotiated; without it rings start enabled at their kick and
	 * a front-end has no business turning them off. Refused once the
	 * front-end's SET_FEATURES left the bit out (or it was never
	 * offered); before SET_FEATURES it is accepted because the bit was
	 * offered (stock virtio-user in server mode disables its rings
	 * first when a back-end reconnects). */
	if (!tv_has_feature(dev->offered_features,
			    TV_F_VHOST_USER_PROTOCOL_FEATURES) ||
	    (dev->features_set && !proto_features_acked(dev))) {
		snprintf(why, whylen,
			 "vring %u: SET_VRING_ENABLE without "
			 "VHOST_USER_F_PROTOCOL_FEATURES negotiated",
			 vq->index);
		return -EPROTO;
	}
	if (on > 1) {
		snprintf(why, whylen, "vring %u enable value %u is not 0/1",
			 vq->index, on);
		return -EINVAL;
	}
	/* Enabled <-> disabled changes what the datapath does with the
	 * ring (serve, or discard/ignore): stop it (waiting for a burst in
	 * flight, so no RX packet is supplied once we answer) and start it
	 * again in its new state. */
	if (vq->enabled != (on != 0) && tvh_vq_stop(vq) < 0)
		return stop_failed(dev, why, whylen);
	vq->enabled = on != 0;
	return start_ring(vq, why, whylen);
}

static int
h_set_status(struct tvh_dev *dev, struct tvu_msg *msg, char *why, size_t whylen)
{
	uint64_t st = msg->payload.u64;

	if (st > UINT8_MAX) {
		snprintf(why, whylen, "status 0x%" PRIx64 " is not 8 bits", st);
		return -EINVAL;
	}
	/* Writing 0 resets the device (virtio 1.2, 2.1.1). */
	if (st == 0)
		tvh_dev_reset(dev);
	dev->status = (uint8_t)st;
	return 0;
}

static int
h_get_status(struct tvh_dev *dev, struct tvu_msg *msg, char *why, size_t whylen)
{
	return reply_u64(msg, dev->status);
}

/* One row per request this back-end honours; everything else is refused
 * (after the central validation, which also knows the payload sizes). */
static const tvh_msg_handler handlers[TVU_REQUEST_MAX] = {
	[TVU_GET_FEATURES] = h_get_features,
	[TVU_SET_FEATURES] = h_set_features,
	[TVU_SET_OWNER] = h_set_owner,
	[TVU_RESET_OWNER] = h_reset,
	[TVU_SET_MEM_TABLE] = h_set_mem_table,
	[TVU_SET_LOG_BASE] = h_set_log,
	[TVU_SET_LOG_FD] = h_set_log,
	[TVU_SET_VRING_NUM] = h_set_vring_num,
	[TVU_SET_VRING_ADDR] = h_set_vring_addr,
	[TVU_SET_VRING_BASE] = h_set_vring_base,
	[TVU_GET_VRING_BASE] = h_get_vring_base,
	[TVU_SET_VRING_KICK] = h_set_vring_fd,
	[TVU_SET_VRING_CALL] = h_set_vring_fd,
	[TVU_SET_VRING_ERR] = h_set_vring_fd,
	[TVU_GET_PROTOCOL_FEATURES] = h_get_protocol_features,
	[TVU_SET_PROTOCOL_FEATURES] = h_set_protocol_features,
	[TVU_GET_QUEUE_NUM] = h_get_queue_num,
	[TVU_SET_VRING_ENABLE] = h_set_vring_enable,
	[TVU_RESET_DEVICE] = h_reset,
	[TVU_SET_STATUS] = h_set_status,
	[TVU_GET_STATUS] = h_get_status,
};

static int
send_reply(struct tvh_dev *dev, struct tvu_msg *msg)
{
	msg->flags = TVU_FLAG_VERSION | TVU_FLAG_REPLY;
	msg->n_fds = 0;
	return tvu_send(dev->conn_fd, msg);
}

static int
handle_one(struct tvh_dev *dev, struct tvu_msg *msg)
{
	const struct tvu_request_info *info = tvu_request_info(msg->request);
	uint32_t request = msg->request;
	bool want_ack =
		(msg->flags & TVU_FLAG_NEED_REPLY) &&
		(dev->protocol_features & TV_BIT(TVU_PROTOCOL_F_REPLY_ACK));
	char why[192] = "";
	uint32_t supp;
	int rc;

	dev->stats.msgs++;
	TVH_LOG_CTRL(DEBUG, dev, "%s (%u) size %u fds %u payload 0x%" PRIx64,
		     tvu_request_name(request), request, msg->size, msg->n_fds,
		     msg->payload.u64);
	rc = tvu_validate_request(msg, dev->n_vqs, dev->protocol_features, why,
				  sizeof(why));
	if (rc == 0) {
		tvh_msg_handler fn =
			request < TVU_REQUEST_MAX ? handlers[request] : NULL;

		if (fn == NULL) {
			snprintf(why, sizeof(why),
				 "not supported by this back-end");
			rc = -ENOTSUP;
		} else {
			rc = fn(dev, msg, why, sizeof(why));
		}
	}
	close_msg_fds(msg);
	tvh_dev_update_ready(dev);
	if (rc < 0) {
		dev->stats.err_msg++;
		if (tvh_ratelimit_ok(&dev->rl_msg, &supp))
			TVH_LOG_CTRL(ERR, dev,
				     "front-end's %s (%u) refused: %s (%u "
				     "similar suppressed)",
				     tvu_request_name(request), request, why,
				     supp);
		/* A query has no way to say "failed": the front-end would
		 * wait forever or misread the answer, so end the session. */
		if (info != NULL && info->has_reply)
			return -EPROTO;
		if (!want_ack)
			return 0;
		msg->request = request;
		reply_u64(msg, 1);
		return send_reply(dev, msg);
	}
	if (rc == TVH_REPLY) {
		msg->request = request;
		return send_reply(dev, msg);
	}
	if (want_ack) {
		msg->request = request;
		reply_u64(msg, 0);
		return send_reply(dev, msg);
	}
	return 0;
}

int
tvh_msg_handle(struct tvh_dev *dev, struct tvu_msg *msg)
{
	int rc = handle_one(dev, msg);

	/* A queue is stuck (a stop gave up on its burst, in this handler
	 * or a reset): end the session, so that nothing the burst may use
	 * changes until it leaves (tvh_ctrl.c sweeps it). */
	if (dev->n_stuck > 0)
		return -EIO;
	return rc;
}
