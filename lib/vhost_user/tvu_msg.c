/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * tvu_msg.c - the vhost-user request table and the one place where a
 * received message is checked before any handler looks at it.
 *
 * Sizes, fd counts and feature gates follow QEMU's "Vhost-user Protocol"
 * document (docs/interop/vhost-user.rst), section "Front-end message
 * types". Where the document lets a peer choose (an optional fd, a payload
 * that grew over time), the row carries the range and the comment says
 * why.
 */
#include "tvu.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* The wire layout is fixed by the protocol; a padding surprise would
 * desynchronise every exchange with the peer, so fail the build. */
static_assert(sizeof(struct tvu_vring_state) == 8, "vring state");
static_assert(sizeof(struct tvu_vring_addr) == 40, "vring address");
static_assert(sizeof(struct tvu_mem_region) == 32, "memory region");
static_assert(sizeof(struct tvu_memory) == 8 + 32 * TVU_MAX_MEM_REGIONS,
	      "memory table");
static_assert(sizeof(struct tvu_single_region) == 40, "single region");
static_assert(sizeof(struct tvu_log) == 16, "log description");
/* request, flags and size are the wire header, back to back; the payload
 * follows at its own (8-byte) alignment, so the transport moves the two
 * parts separately. */
static_assert(offsetof(struct tvu_msg, size) + 4 == TVU_HDR_SIZE,
	      "header fields are contiguous");

/* Payload sizes that are not one of tvu.h's structs. */
#define SZ_U64	   8u
#define SZ_STATE   ((uint32_t)sizeof(struct tvu_vring_state))
#define SZ_ADDR	   ((uint32_t)sizeof(struct tvu_vring_addr))
#define SZ_REGION  ((uint32_t)sizeof(struct tvu_single_region))
#define SZ_LOG	   ((uint32_t)sizeof(struct tvu_log))
#define SZ_MEM_HDR 8u /* nregions + padding */
#define SZ_MEM_MAX ((uint32_t)sizeof(struct tvu_memory))
/* struct vhost_iotlb_msg: iova, size, uaddr (u64 each), perm, type (u8),
 * padded to the u64 alignment of the C struct every peer uses. */
#define SZ_IOTLB 32u
/* Device config access: offset, size, flags (u32 each), then up to 256
 * bytes of config space. */
#define SZ_CFG_HDR 12u
#define SZ_CFG_MAX (SZ_CFG_HDR + 256u)
/* Inflight description: mmap size, mmap offset (u64), num queues, queue
 * size (u16) = 20 bytes; C peers send the 8-aligned struct (24). */
#define SZ_INFL_MIN 20u
#define SZ_INFL_MAX 24u
/* Crypto sessions are larger than anything a net device needs; Tandem
 * bounds them by what it will read at all (tvu_recv refuses more). */
#define SZ_CRYPTO_MIN 8u

#define NO_FEATURE (-1)

#define ROW(code_, name_, min_, max_, minfd_, maxfd_, vring_, reply_, pf_)     \
	[code_] = {                                                            \
		.name = (name_),                                               \
		.min_size = (min_),                                            \
		.max_size = (max_),                                            \
		.min_fds = (minfd_),                                           \
		.max_fds = (maxfd_),                                           \
		.vring = (vring_),                                             \
		.has_reply = (reply_),                                         \
		.protocol_feature = (pf_),                                     \
	}

/* has_reply is true only where the back-end answers unconditionally.
 * Conditional replies (SET_LOG_BASE with LOG_SHMFD, SET_MEM_TABLE and
 * ADD_MEM_REG in postcopy, IOTLB_MSG, anything with NEED_REPLY under
 * REPLY_ACK) are the handler's business. */
static const struct tvu_request_info request_table[TVU_REQUEST_MAX] = {
	ROW(TVU_GET_FEATURES, "GET_FEATURES", 0, 0, 0, 0, TVU_VRING_NONE, true,
	    NO_FEATURE),
	ROW(TVU_SET_FEATURES, "SET_FEATURES", SZ_U64, SZ_U64, 0, 0,
	    TVU_VRING_NONE, false, NO_FEATURE),
	ROW(TVU_SET_OWNER, "SET_OWNER", 0, 0, 0, 0, TVU_VRING_NONE, false,
	    NO_FEATURE),
	ROW(TVU_RESET_OWNER, "RESET_OWNER", 0, 0, 0, 0, TVU_VRING_NONE, false,
	    NO_FEATURE),
	/* Exact size and fd count depend on nregions: checked below. */
	ROW(TVU_SET_MEM_TABLE, "SET_MEM_TABLE", SZ_MEM_HDR + 32, SZ_MEM_MAX, 1,
	    TVU_MAX_MEM_REGIONS, TVU_VRING_NONE, false, NO_FEATURE),
	/* Historically a bare u64; with LOG_SHMFD a log description and the
	 * log's fd. */
	ROW(TVU_SET_LOG_BASE, "SET_LOG_BASE", SZ_U64, SZ_LOG, 0, 1,
	    TVU_VRING_NONE, false, NO_FEATURE),
	ROW(TVU_SET_LOG_FD, "SET_LOG_FD", 0, 0, 1, 1, TVU_VRING_NONE, false,
	    NO_FEATURE),
	ROW(TVU_SET_VRING_NUM, "SET_VRING_NUM", SZ_STATE, SZ_STATE, 0, 0,
	    TVU_VRING_STATE, false, NO_FEATURE),
	ROW(TVU_SET_VRING_ADDR, "SET_VRING_ADDR", SZ_ADDR, SZ_ADDR, 0, 0,
	    TVU_VRING_ADDR, false, NO_FEATURE),
	ROW(TVU_SET_VRING_BASE, "SET_VRING_BASE", SZ_STATE, SZ_STATE, 0, 0,
	    TVU_VRING_STATE, false, NO_FEATURE),
	ROW(TVU_GET_VRING_BASE, "GET_VRING_BASE", SZ_STATE, SZ_STATE, 0, 0,
	    TVU_VRING_STATE, true, NO_FEATURE),
	/* Vring files: fd count depends on the NOFD bit, checked below. */
	ROW(TVU_SET_VRING_KICK, "SET_VRING_KICK", SZ_U64, SZ_U64, 0, 1,
	    TVU_VRING_FILE, false, NO_FEATURE),
	ROW(TVU_SET_VRING_CALL, "SET_VRING_CALL", SZ_U64, SZ_U64, 0, 1,
	    TVU_VRING_FILE, false, NO_FEATURE),
	ROW(TVU_SET_VRING_ERR, "SET_VRING_ERR", SZ_U64, SZ_U64, 0, 1,
	    TVU_VRING_FILE, false, NO_FEATURE),
	ROW(TVU_GET_PROTOCOL_FEATURES, "GET_PROTOCOL_FEATURES", 0, 0, 0, 0,
	    TVU_VRING_NONE, true, NO_FEATURE),
	ROW(TVU_SET_PROTOCOL_FEATURES, "SET_PROTOCOL_FEATURES", SZ_U64, SZ_U64,
	    0, 0, TVU_VRING_NONE, false, NO_FEATURE),
	ROW(TVU_GET_QUEUE_NUM, "GET_QUEUE_NUM", 0, 0, 0, 0, TVU_VRING_NONE,
	    true, TVU_PROTOCOL_F_MQ),
	/* Gated by the virtio feature bit 30, not a protocol feature. */
	ROW(TVU_SET_VRING_ENABLE, "SET_VRING_ENABLE", SZ_STATE, SZ_STATE, 0, 0,
	    TVU_VRING_STATE, false, NO_FEATURE),
	ROW(TVU_SEND_RARP, "SEND_RARP", SZ_U64, SZ_U64, 0, 0, TVU_VRING_NONE,
	    false, TVU_PROTOCOL_F_RARP),
	ROW(TVU_NET_SET_MTU, "NET_SET_MTU", SZ_U64, SZ_U64, 0, 0,
	    TVU_VRING_NONE, false, TVU_PROTOCOL_F_NET_MTU),
	ROW(TVU_SET_BACKEND_REQ_FD, "SET_BACKEND_REQ_FD", 0, 0, 1, 1,
	    TVU_VRING_NONE, false, TVU_PROTOCOL_F_BACKEND_REQ),
	/* Gated by VIRTIO_F_ACCESS_PLATFORM (a virtio feature). */
	ROW(TVU_IOTLB_MSG, "IOTLB_MSG", SZ_IOTLB, SZ_IOTLB, 0, 0,
	    TVU_VRING_NONE, false, NO_FEATURE),
	ROW(TVU_SET_VRING_ENDIAN, "SET_VRING_ENDIAN", SZ_STATE, SZ_STATE, 0, 0,
	    TVU_VRING_STATE, false, TVU_PROTOCOL_F_CROSS_ENDIAN),
	ROW(TVU_GET_CONFIG, "GET_CONFIG", SZ_CFG_HDR, SZ_CFG_MAX, 0, 0,
	    TVU_VRING_NONE, true, TVU_PROTOCOL_F_CONFIG),
	ROW(TVU_SET_CONFIG, "SET_CONFIG", SZ_CFG_HDR, SZ_CFG_MAX, 0, 0,
	    TVU_VRING_NONE, false, TVU_PROTOCOL_F_CONFIG),
	ROW(TVU_CREATE_CRYPTO_SESSION, "CREATE_CRYPTO_SESSION", SZ_CRYPTO_MIN,
	    TVU_PAYLOAD_MAX, 0, 0, TVU_VRING_NONE, true,
	    TVU_PROTOCOL_F_CRYPTO_SESSION),
	ROW(TVU_CLOSE_CRYPTO_SESSION, "CLOSE_CRYPTO_SESSION", SZ_U64, SZ_U64, 0,
	    0, TVU_VRING_NONE, false, TVU_PROTOCOL_F_CRYPTO_SESSION),
	ROW(TVU_POSTCOPY_ADVISE, "POSTCOPY_ADVISE", 0, 0, 0, 0, TVU_VRING_NONE,
	    true, TVU_PROTOCOL_F_PAGEFAULT),
	ROW(TVU_POSTCOPY_LISTEN, "POSTCOPY_LISTEN", 0, 0, 0, 0, TVU_VRING_NONE,
	    false, TVU_PROTOCOL_F_PAGEFAULT),
	ROW(TVU_POSTCOPY_END, "POSTCOPY_END", 0, 0, 0, 0, TVU_VRING_NONE, true,
	    TVU_PROTOCOL_F_PAGEFAULT),
	ROW(TVU_GET_INFLIGHT_FD, "GET_INFLIGHT_FD", SZ_INFL_MIN, SZ_INFL_MAX, 0,
	    0, TVU_VRING_NONE, true, TVU_PROTOCOL_F_INFLIGHT_SHMFD),
	ROW(TVU_SET_INFLIGHT_FD, "SET_INFLIGHT_FD", SZ_INFL_MIN, SZ_INFL_MAX, 1,
	    1, TVU_VRING_NONE, false, TVU_PROTOCOL_F_INFLIGHT_SHMFD),
	ROW(TVU_GPU_SET_SOCKET, "GPU_SET_SOCKET", 0, 0, 1, 1, TVU_VRING_NONE,
	    false, NO_FEATURE),
	ROW(TVU_RESET_DEVICE, "RESET_DEVICE", 0, 0, 0, 0, TVU_VRING_NONE, false,
	    TVU_PROTOCOL_F_RESET_DEVICE),
	ROW(TVU_VRING_KICK, "VRING_KICK", SZ_STATE, SZ_STATE, 0, 0,
	    TVU_VRING_STATE, false, TVU_PROTOCOL_F_INBAND_NOTIFICATIONS),
	ROW(TVU_GET_MAX_MEM_SLOTS, "GET_MAX_MEM_SLOTS", 0, 0, 0, 0,
	    TVU_VRING_NONE, true, TVU_PROTOCOL_F_CONFIGURE_MEM_SLOTS),
	ROW(TVU_ADD_MEM_REG, "ADD_MEM_REG", SZ_REGION, SZ_REGION, 1, 1,
	    TVU_VRING_NONE, false, TVU_PROTOCOL_F_CONFIGURE_MEM_SLOTS),
	/* The document says no fd, but lets a back-end accept (and close)
	 * one, because older QEMU sent it. */
	ROW(TVU_REM_MEM_REG, "REM_MEM_REG", SZ_REGION, SZ_REGION, 0, 1,
	    TVU_VRING_NONE, false, TVU_PROTOCOL_F_CONFIGURE_MEM_SLOTS),
	ROW(TVU_SET_STATUS, "SET_STATUS", SZ_U64, SZ_U64, 0, 0, TVU_VRING_NONE,
	    false, TVU_PROTOCOL_F_STATUS),
	ROW(TVU_GET_STATUS, "GET_STATUS", 0, 0, 0, 0, TVU_VRING_NONE, true,
	    TVU_PROTOCOL_F_STATUS),
};

const struct tvu_request_info *
tvu_request_info(uint32_t request)
{
	if (request >= TVU_REQUEST_MAX || request_table[request].name == NULL)
		return NULL;
	return &request_table[request];
}

const char *
tvu_request_name(uint32_t request)
{
	const struct tvu_request_info *info = tvu_request_info(request);

	return info != NULL ? info->name : "UNKNOWN";
}

/* Describe a failure in the caller's buffer and return `ret`. */
__attribute__((format(printf, 4, 5))) static int
fail(int ret, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return ret;
}

uint32_t
tvu_msg_vring_index(const struct tvu_msg *msg)
{
	const struct tvu_request_info *info = tvu_request_info(msg->request);

	if (info == NULL)
		return UINT32_MAX;
	switch (info->vring) {
	case TVU_VRING_STATE:
		return msg->payload.state.index;
	case TVU_VRING_ADDR:
		return msg->payload.addr.index;
	case TVU_VRING_FILE:
		return (uint32_t)(msg->payload.u64 & TVU_VRING_IDX_MASK);
	default:
		return UINT32_MAX;
	}
}

static int
check_mem_table(const struct tvu_msg *msg, char *err, size_t errlen)
{
	uint32_t nregions = msg->payload.memory.nregions;

	if (nregions == 0 || nregions > TVU_MAX_MEM_REGIONS)
		return fail(-EINVAL, err, errlen,
			    "SET_MEM_TABLE: %" PRIu32
			    " regions, expected 1..%u",
			    nregions, TVU_MAX_MEM_REGIONS);
	if (msg->size != SZ_MEM_HDR + nregions * sizeof(struct tvu_mem_region))
		return fail(-EINVAL, err, errlen,
			    "SET_MEM_TABLE: payload %" PRIu32
			    " bytes for %" PRIu32 " regions, expected %zu",
			    msg->size, nregions,
			    SZ_MEM_HDR +
				    nregions * sizeof(struct tvu_mem_region));
	if (msg->n_fds != nregions)
		return fail(-EBADMSG, err, errlen,
			    "SET_MEM_TABLE: %" PRIu32 " fds for %" PRIu32
			    " regions",
			    msg->n_fds, nregions);
	return 0;
}

/* SET_VRING_KICK/CALL/ERR: index in bits 0..7, NOFD in bit 8, nothing
 * else; an fd exactly when NOFD is clear. */
static int
check_vring_file(const struct tvu_msg *msg, const char *name, char *err,
		 size_t errlen)
{
	uint64_t v = msg->payload.u64;
	uint32_t want_fds = (v & TVU_VRING_NOFD_MASK) ? 0 : 1;

	if (v & ~(uint64_t)(TVU_VRING_IDX_MASK | TVU_VRING_NOFD_MASK))
		return fail(-EINVAL, err, errlen,
			    "%s: value 0x%" PRIx64
			    " has bits set besides index and NOFD",
			    name, v);
	if (msg->n_fds != want_fds)
		return fail(
			-EBADMSG, err, errlen,
			"%s: %" PRIu32 " fds with NOFD %s, expected %" PRIu32,
			name, msg->n_fds, want_fds ? "clear" : "set", want_fds);
	return 0;
}

int
tvu_validate_request(const struct tvu_msg *msg, uint32_t n_vrings,
		     uint64_t protocol_features, char *err, size_t errlen)
{
	const struct tvu_request_info *info = tvu_request_info(msg->request);
	const char *name;
	uint32_t index;
	int ret;

	if (info == NULL)
		return fail(-EPROTO, err, errlen,
			    "unknown request %" PRIu32 " (flags 0x%" PRIx32
			    ", %" PRIu32 " bytes)",
			    msg->request, msg->flags, msg->size);
	name = info->name;
	if ((msg->flags & TVU_FLAG_VERSION_MASK) != TVU_FLAG_VERSION)
		return fail(-EPROTO, err, errlen,
			    "%s: version %" PRIu32 ", expected %u", name,
			    msg->flags & TVU_FLAG_VERSION_MASK,
			    TVU_FLAG_VERSION);
	if (msg->flags & TVU_FLAG_REPLY)
		return fail(-EPROTO, err, errlen,
			    "%s: REPLY flag set on a request (flags 0x%" PRIx32
			    ")",
			    name, msg->flags);
	if (info->protocol_feature >= 0 &&
	    !(protocol_features & (UINT64_C(1) << info->protocol_feature)))
		return fail(-EPROTO, err, errlen,
			    "%s: protocol feature %d not negotiated "
			    "(features 0x%" PRIx64 ")",
			    name, info->protocol_feature, protocol_features);
	if (msg->size < info->min_size || msg->size > info->max_size) {
		if (info->min_size == info->max_size)
			return fail(-EINVAL, err, errlen,
				    "%s: payload %" PRIu32
				    " bytes, expected %" PRIu32,
				    name, msg->size, info->min_size);
		return fail(-EINVAL, err, errlen,
			    "%s: payload %" PRIu32 " bytes, expected %" PRIu32
			    "..%" PRIu32,
			    name, msg->size, info->min_size, info->max_size);
	}
	/* The region count decides both size and fd count: check it first
	 * so the error names the real problem. */
	if (msg->request == TVU_SET_MEM_TABLE) {
		ret = check_mem_table(msg, err, errlen);
		if (ret < 0)
			return ret;
	}
	if (msg->n_fds < info->min_fds || msg->n_fds > info->max_fds)
		return fail(-EBADMSG, err, errlen,
			    "%s: %" PRIu32 " fds, expected %u..%u", name,
			    msg->n_fds, info->min_fds, info->max_fds);
	if (info->vring == TVU_VRING_FILE) {
		ret = check_vring_file(msg, name, err, errlen);
		if (ret < 0)
			return ret;
	}
	if (info->vring != TVU_VRING_NONE) {
		index = tvu_msg_vring_index(msg);
		if (index >= n_vrings)
			return fail(-ERANGE, err, errlen,
				    "%s: vring %" PRIu32
				    ", device has %" PRIu32,
				    name, index, n_vrings);
	}
	return 0;
}

int
tvu_check_reply(const struct tvu_msg *reply, uint32_t request, uint32_t size,
		char *err, size_t errlen)
{
	const char *name = tvu_request_name(request);

	if ((reply->flags & TVU_FLAG_VERSION_MASK) != TVU_FLAG_VERSION)
		return fail(-EPROTO, err, errlen,
			    "reply to %s: version %" PRIu32 ", expected %u",
			    name, reply->flags & TVU_FLAG_VERSION_MASK,
			    TVU_FLAG_VERSION);
	if (!(reply->flags & TVU_FLAG_REPLY))
		return fail(-EPROTO, err, errlen,
			    "reply to %s: REPLY flag clear (flags 0x%" PRIx32
			    ")",
			    name, reply->flags);
	if (reply->request != request)
		return fail(-EPROTO, err, errlen,
			    "reply to %s: carries request %" PRIu32 " (%s)",
			    name, reply->request,
			    tvu_request_name(reply->request));
	if (reply->size != size)
		return fail(-EPROTO, err, errlen,
			    "reply to %s: payload %" PRIu32
			    " bytes, expected %" PRIu32,
			    name, reply->size, size);
	if (reply->n_fds != 0)
		return fail(-EPROTO, err, errlen,
			    "reply to %s: %" PRIu32 " fds, expected 0", name,
			    reply->n_fds);
	return 0;
}

void
tvu_msg_init(struct tvu_msg *msg, uint32_t request, uint32_t size)
{
	memset(msg, 0, sizeof(*msg));
	msg->request = request;
	msg->flags = TVU_FLAG_VERSION;
	msg->size = size;
}

void
tvu_msg_close_fds(struct tvu_msg *msg)
{
	uint32_t i;
	uint32_t n = msg->n_fds < TVU_MAX_FDS ? msg->n_fds : TVU_MAX_FDS;

	for (i = 0; i < n; i++) {
		if (msg->fds[i] >= 0)
			close(msg->fds[i]);
		msg->fds[i] = -1;
	}
	msg->n_fds = 0;
}
