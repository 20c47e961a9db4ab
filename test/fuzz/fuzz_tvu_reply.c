/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * fuzz_tvu_reply.c - the front-end's request helpers (tvu_fe_*) against a
 * hostile back-end: the fuzz input is whatever the back-end "answers".
 *
 * Input layout (little-endian):
 *   u8  op      which round trip (see `ops` below)
 *   u8  ctl     ctl & 0xf fds (0..15) of /dev/null ride with the reply's
 *               first byte
 *   u32 arg     what the helper is called with: the value for SET_*, the
 *               vring index in bits 0..7 (and the ring size in bits
 *               8..31 for vring states; NOFD in bit 8 for vring files)
 *   rest        the back-end's byte stream (one sendmsg)
 *
 * The reply stream is written into a socketpair before the call and the
 * back-end's write side shut, so the helper never waits. Each result is
 * compared with a model of the protocol rules in tvu.h (header, REPLY
 * flag, request code, exact size, no fds; REPLY_ACK status 0 or -EIO;
 * GET_VRING_BASE must name the asked ring), the value returned must be the
 * one on the wire, the request the helper sent must pass Tandem's own
 * validation, helpers that expect no answer must not read one, and no fd
 * may leak.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz_common.h"
#include "tvu.h"

#define MAX_STREAM (48u << 10)
/* 15 fds on one sendmsg: more than the receiver's control buffer holds
 * (TVU_MAX_FDS + 1, which alignment pads to 10), so MSG_CTRUNC happens. */
#define MAX_SEND_FDS 15u

enum op_kind {
	OP_GET_U64,	/* tvu_fe_get_u64 */
	OP_SET_U64,	/* tvu_fe_set_u64 */
	OP_VRING_STATE, /* tvu_fe_set_vring_state */
	OP_GET_BASE,	/* tvu_fe_get_vring_base */
	OP_VRING_ADDR,	/* tvu_fe_set_vring_addr */
	OP_MEM_TABLE,	/* tvu_fe_set_mem_table, one region */
	OP_VRING_FD,	/* tvu_fe_set_vring_fd */
	OP_SET_OWNER,	/* tvu_fe_set_owner */
};

struct op {
	enum op_kind kind;
	uint32_t request;
	bool ack; /* the helper waits for an answer */
};

static const struct op ops[] = {
	{OP_GET_U64, TVU_GET_FEATURES, true},
	{OP_GET_U64, TVU_GET_PROTOCOL_FEATURES, true},
	{OP_GET_U64, TVU_GET_QUEUE_NUM, true},
	{OP_GET_U64, TVU_GET_MAX_MEM_SLOTS, true},
	{OP_GET_U64, TVU_GET_STATUS, true},
	{OP_SET_U64, TVU_SET_FEATURES, true},
	{OP_SET_U64, TVU_SET_PROTOCOL_FEATURES, true},
	{OP_SET_U64, TVU_SET_STATUS, true},
	{OP_VRING_STATE, TVU_SET_VRING_NUM, true},
	{OP_VRING_STATE, TVU_SET_VRING_ENABLE, true},
	{OP_GET_BASE, TVU_GET_VRING_BASE, true},
	{OP_VRING_ADDR, TVU_SET_VRING_ADDR, true},
	{OP_MEM_TABLE, TVU_SET_MEM_TABLE, true},
	/* Without REPLY_ACK: the helper must leave the stream alone. */
	{OP_SET_U64, TVU_SET_FEATURES, false},
	{OP_VRING_STATE, TVU_SET_VRING_BASE, false},
	{OP_VRING_ADDR, TVU_SET_VRING_ADDR, false},
	{OP_MEM_TABLE, TVU_SET_MEM_TABLE, false},
	{OP_VRING_FD, TVU_SET_VRING_CALL, false},
	{OP_VRING_FD, TVU_SET_VRING_KICK, false},
	{OP_SET_OWNER, TVU_SET_OWNER, false},
};

#define N_OPS (sizeof(ops) / sizeof(ops[0]))

static int devnull[MAX_SEND_FDS];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
open_devnull(void)
{
	uint32_t i;

	if (devnull[0] > 0)
		return;
	for (i = 0; i < MAX_SEND_FDS; i++) {
		devnull[i] = open("/dev/null", O_RDWR | O_CLOEXEC);
		FUZZ_CHECK(devnull[i] >= 0, "open /dev/null");
	}
}

/* Write the back-end's stream; returns the bytes that went in. */
static size_t
write_stream(int sock, const uint8_t *buf, size_t len, uint32_t n_fds)
{
	union {
		char buf[CMSG_SPACE(MAX_SEND_FDS * sizeof(int))];
		struct cmsghdr align;
	} ctrl;
	struct iovec iov = {.iov_base = (void *)(uintptr_t)buf, .iov_len = len};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	struct cmsghdr *cm;
	ssize_t n;

	if (len == 0)
		return 0;
	memset(&ctrl, 0, sizeof(ctrl));
	if (n_fds > 0) {
		mh.msg_control = ctrl.buf;
		mh.msg_controllen = CMSG_SPACE(n_fds * sizeof(int));
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(n_fds * sizeof(int));
		memcpy(CMSG_DATA(cm), devnull, n_fds * sizeof(int));
	}
	n = sendmsg(sock, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
	FUZZ_CHECK(n > 0, "sendmsg of %zu bytes: %s", len, strerror(errno));
	return (size_t)n;
}

static uint32_t
le32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint64_t
le64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* The result tvu.h promises for `stream` (with n_fds fds on its first
 * byte) as the answer to `op`; *value gets the payload value the helper
 * must return on success. */
static int
model(const struct op *op, uint32_t arg, const uint8_t *stream, size_t len,
      uint32_t n_fds, uint64_t *value)
{
	uint32_t size, want_size;
	const uint8_t *payload = stream + TVU_HDR_SIZE;

	if (!op->ack)
		return 0;
	if (len < TVU_HDR_SIZE)
		return -ECONNRESET;
	size = le32(stream + 8);
	if (size > TVU_PAYLOAD_MAX)
		return -EMSGSIZE;
	if (len < TVU_HDR_SIZE + size)
		return -ECONNRESET;
	if (n_fds > TVU_MAX_FDS)
		return -EBADMSG;
	want_size = op->kind == OP_GET_BASE ? 8 : sizeof(uint64_t);
	if ((le32(stream + 4) & 3) != 1 || !(le32(stream + 4) & 4) ||
	    le32(stream) != op->request || size != want_size || n_fds != 0)
		return -EPROTO;
	switch (op->kind) {
	case OP_GET_U64:
		*value = le64(payload);
		return 0;
	case OP_GET_BASE:
		if (le32(payload) != (arg & 0xff))
			return -EPROTO; /* an answer about another ring */
		*value = le32(payload + 4);
		return 0;
	default:
		return le64(payload) == 0 ? 0 : -EIO;
	}
}

static int
call(const struct op *op, int sock, uint32_t arg, uint64_t *value)
{
	struct tvu_vring_addr addr = {
		.index = arg & 0xff,
		.desc_user_addr = 0x1000,
		.avail_user_addr = 0x2000,
		.used_user_addr = 0x3000,
	};
	struct tvu_memory mem = {.nregions = 1};
	uint32_t base = 0;
	int ret;

	switch (op->kind) {
	case OP_GET_U64:
		return tvu_fe_get_u64(sock, op->request, value);
	case OP_SET_U64:
		return tvu_fe_set_u64(sock, op->request, arg, op->ack);
	case OP_VRING_STATE:
		return tvu_fe_set_vring_state(sock, op->request, arg & 0xff,
					      arg >> 8, op->ack);
	case OP_GET_BASE:
		ret = tvu_fe_get_vring_base(sock, arg & 0xff, &base);
		*value = base;
		return ret;
	case OP_VRING_ADDR:
		return tvu_fe_set_vring_addr(sock, &addr, op->ack);
	case OP_MEM_TABLE:
		mem.regions[0].guest_phys_addr = 0;
		mem.regions[0].memory_size = 1u << 20;
		mem.regions[0].userspace_addr = (uint64_t)arg << 12;
		return tvu_fe_set_mem_table(sock, &mem, devnull, op->ack);
	case OP_VRING_FD:
		return tvu_fe_set_vring_fd(sock, op->request, arg & 0xff,
					   (arg & 0x100) ? -1 : devnull[0]);
	case OP_SET_OWNER:
		return tvu_fe_set_owner(sock);
	}
	FUZZ_CHECK(false, "op kind %d", op->kind);
	return -EINVAL;
}

/* The request the helper sent, as the back-end reads it: it must pass
 * Tandem's own validation and ask for an answer exactly when expected. */
static void
check_sent(const struct op *op, int be)
{
	char err[128];
	struct tvu_msg msg;
	int ret;

	ret = tvu_recv(be, &msg);
	FUZZ_CHECK(ret == 0, "%s: reading the request: %d",
		   tvu_request_name(op->request), ret);
	FUZZ_CHECK(msg.request == op->request, "sent %u, expected %u",
		   msg.request, op->request);
	ret = tvu_validate_request(&msg, 256, ~UINT64_C(0), err, sizeof(err));
	FUZZ_CHECK(ret == 0, "sent request fails validation: %s", err);
	if (op->kind != OP_GET_U64 && op->kind != OP_GET_BASE)
		FUZZ_CHECK(!!(msg.flags & TVU_FLAG_NEED_REPLY) == op->ack,
			   "%s: NEED_REPLY 0x%x, reply_ack %d",
			   tvu_request_name(op->request), msg.flags, op->ack);
	tvu_msg_close_fds(&msg);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {.data = data, .size = size, .pos = 0};
	const struct op *op;
	uint64_t value = 0, want_value = 0;
	uint32_t arg, n_fds;
	size_t len;
	int sv[2], ret, want, queued = -1;

	open_devnull();
	op = &ops[fuzz_u8(&in) % N_OPS];
	n_fds = (fuzz_u8(&in) & 0xfu) % (MAX_SEND_FDS + 1);
	arg = fuzz_u32(&in);
	len = fuzz_left(&in);
	if (len > MAX_STREAM)
		len = MAX_STREAM;

	/* sv[0]: the front-end under test; sv[1]: the fuzzed back-end. */
	FUZZ_CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0,
		   "socketpair: %s", strerror(errno));
	fuzz_fd_watch(sv[1], 16);
	len = write_stream(sv[1], in.data + in.pos, len, n_fds);
	if (len == 0)
		n_fds = 0;
	FUZZ_CHECK(shutdown(sv[1], SHUT_WR) == 0, "shutdown");

	want = model(op, arg, in.data + in.pos, len, n_fds, &want_value);
	ret = call(op, sv[0], arg, &value);
	FUZZ_CHECK(ret == want, "%s (ack %d): returned %d, expected %d",
		   tvu_request_name(op->request), op->ack, ret, want);
	if (ret == 0 && (op->kind == OP_GET_U64 || op->kind == OP_GET_BASE))
		FUZZ_CHECK(value == want_value, "value 0x%llx, on wire 0x%llx",
			   (unsigned long long)value,
			   (unsigned long long)want_value);
	if (!op->ack) {
		FUZZ_CHECK(ioctl(sv[0], FIONREAD, &queued) == 0, "FIONREAD");
		FUZZ_CHECK((size_t)queued == len,
			   "%s without ack read %zu bytes of the back-end's",
			   tvu_request_name(op->request), len - (size_t)queued);
	}
	check_sent(op, sv[1]);

	close(sv[0]);
	close(sv[1]);
	return 0;
}
