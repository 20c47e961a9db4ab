/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * fuzz_tvu_msg.c - a back-end's receive path for vhost-user requests:
 * tvu_recv on a stream a hostile front-end wrote, with fds attached
 * anywhere, then tvu_validate_request and tvu_msg_vring_index on what came
 * through, as a back-end's control thread would.
 *
 * Input layout (little-endian):
 *   u8  n_vrings          the device's vring count given to validation
 *   u64 protocol_features the "negotiated" set given to validation
 *   u8  mode              bit 0: reader socket non-blocking;
 *                         bits 1..4: length of a small error buffer
 *   then records, up to MAX_RECORDS (the last takes the rest):
 *     u8  ctl             ctl & 0xf fds (0..15) of /dev/null ride with the
 *                         record's first byte (at most 512 in all)
 *     u16 len             bytes of stream that follow (clamped)
 *     len bytes           written with one sendmsg
 *
 * Everything is written into a socketpair first and the write side shut,
 * so the reader never waits. Besides sanitizer findings, the run aborts
 * when the results differ from a model of the stream computed here from
 * the bytes and fd positions actually written: each message's header,
 * payload bytes and fd count, where a -EMSGSIZE or -ECONNRESET must come,
 * and that more than TVU_MAX_FDS fds give -EBADMSG; when validation
 * accepts something the table would not allow, or error codes outside
 * those tvu.h documents; and when an fd leaks.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz_common.h"
#include "tvu.h"

#define MAX_RECORDS 64u
/* Fds in flight count against RLIMIT_NOFILE (usually 1024): stay below. */
#define MAX_FLIGHT_FDS 512u
#define MAX_STREAM     (48u << 10) /* well inside a unix socket's buffer */
/* 15 fds on one sendmsg: more than the receiver's control buffer holds
 * (TVU_MAX_FDS + 1, which alignment pads to 10), so MSG_CTRUNC happens. */
#define MAX_SEND_FDS 15u
#define MAX_MSGS     (MAX_STREAM / TVU_HDR_SIZE + 1)

static int devnull[MAX_SEND_FDS];

/* What was actually written: the stream and, per byte offset where a
 * sendmsg began, how many fds rode with it. */
struct written {
	uint8_t bytes[MAX_STREAM];
	size_t len;
	size_t rec_off[MAX_RECORDS];
	uint32_t rec_fds[MAX_RECORDS];
	uint32_t n_rec;
};

static struct written wr;

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

/* One sendmsg; false when the socket will take no more (buffer full, too
 * many fds in flight): the model then ends the stream here. */
static bool
send_record(int sock, const uint8_t *buf, size_t len, uint32_t n_fds)
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
		return true; /* a stream cannot carry fds without a byte */
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
	if (n <= 0)
		return false;
	wr.rec_off[wr.n_rec] = wr.len;
	wr.rec_fds[wr.n_rec] = n_fds;
	wr.n_rec++;
	memcpy(wr.bytes + wr.len, buf, (size_t)n);
	wr.len += (size_t)n;
	return (size_t)n == len;
}

/* Fds the model says arrive with stream bytes [from, to). */
static uint32_t
model_fds(size_t from, size_t to)
{
	uint32_t i, n = 0;

	for (i = 0; i < wr.n_rec; i++)
		if (wr.rec_off[i] >= from && wr.rec_off[i] < to)
			n += wr.rec_fds[i];
	return n;
}

static uint32_t
le32_at(size_t off)
{
	uint32_t v;

	memcpy(&v, wr.bytes + off, sizeof(v));
	return v;
}

/* What validation accepted must fit the table: an independent reading of
 * the rules tvu.h states for tvu_validate_request. */
static void
check_accepted(const struct tvu_msg *msg, uint32_t n_vrings, uint64_t pf)
{
	const struct tvu_request_info *info = tvu_request_info(msg->request);
	uint32_t nreg, index;
	uint64_t v;

	FUZZ_CHECK(info != NULL, "accepted unknown request %u", msg->request);
	FUZZ_CHECK((msg->flags & 3) == 1 && !(msg->flags & TVU_FLAG_REPLY),
		   "%s: accepted flags 0x%x", info->name, msg->flags);
	FUZZ_CHECK(info->protocol_feature < 0 ||
			   (pf >> info->protocol_feature) & 1,
		   "%s: accepted without protocol feature %d", info->name,
		   info->protocol_feature);
	FUZZ_CHECK(msg->size >= info->min_size && msg->size <= info->max_size,
		   "%s: accepted size %u", info->name, msg->size);
	FUZZ_CHECK(msg->n_fds >= info->min_fds && msg->n_fds <= info->max_fds,
		   "%s: accepted %u fds", info->name, msg->n_fds);
	if (msg->request == TVU_SET_MEM_TABLE) {
		nreg = msg->payload.memory.nregions;
		FUZZ_CHECK(nreg >= 1 && nreg <= TVU_MAX_MEM_REGIONS &&
				   msg->size == 8 + 32 * nreg &&
				   msg->n_fds == nreg,
			   "SET_MEM_TABLE: accepted %u regions, %u bytes, "
			   "%u fds",
			   nreg, msg->size, msg->n_fds);
	}
	index = tvu_msg_vring_index(msg);
	switch (info->vring) {
	case TVU_VRING_NONE:
		FUZZ_CHECK(index == UINT32_MAX, "%s: vring index %u",
			   info->name, index);
		return;
	case TVU_VRING_FILE:
		v = msg->payload.u64;
		FUZZ_CHECK(!(v & ~(uint64_t)0x1ff), "%s: accepted 0x%llx",
			   info->name, (unsigned long long)v);
		FUZZ_CHECK(msg->n_fds == ((v & TVU_VRING_NOFD_MASK) ? 0u : 1u),
			   "%s: accepted %u fds with value 0x%llx", info->name,
			   msg->n_fds, (unsigned long long)v);
		FUZZ_CHECK(index == (v & 0xff), "%s: index %u from 0x%llx",
			   info->name, index, (unsigned long long)v);
		break;
	case TVU_VRING_STATE:
		FUZZ_CHECK(index == msg->payload.state.index, "%s: index %u",
			   info->name, index);
		break;
	case TVU_VRING_ADDR:
		FUZZ_CHECK(index == msg->payload.addr.index, "%s: index %u",
			   info->name, index);
		break;
	default:
		FUZZ_CHECK(false, "%s: vring field %u", info->name,
			   info->vring);
	}
	FUZZ_CHECK(index < n_vrings, "%s: accepted vring %u of %u", info->name,
		   index, n_vrings);
}

static void
check_validate(const struct tvu_msg *msg, uint32_t n_vrings, uint64_t pf,
	       size_t small_len)
{
	char err[256], *small;
	int ret, ret2, ret3;

	err[0] = '\0';
	ret = tvu_validate_request(msg, n_vrings, pf, err, sizeof(err));
	FUZZ_CHECK(ret == 0 || ret == -EPROTO || ret == -EINVAL ||
			   ret == -EBADMSG || ret == -ERANGE,
		   "tvu_validate_request returned %d", ret);
	if (ret == 0)
		check_accepted(msg, n_vrings, pf);
	else
		FUZZ_CHECK(err[0] != '\0' && strlen(err) < sizeof(err),
			   "error %d without a description", ret);

	/* A short buffer (exact-size heap block: the sanitizer sees an
	 * overrun) and none at all must give the same verdict. */
	small = malloc(small_len);
	FUZZ_CHECK(small != NULL, "malloc");
	memset(small, 'x', small_len);
	ret2 = tvu_validate_request(msg, n_vrings, pf, small, small_len);
	FUZZ_CHECK(ret2 == ret, "verdict %d with %zu-byte buffer, %d before",
		   ret2, small_len, ret);
	if (ret < 0)
		FUZZ_CHECK(memchr(small, '\0', small_len) != NULL,
			   "description not terminated in %zu bytes",
			   small_len);
	free(small);
	ret3 = tvu_validate_request(msg, n_vrings, pf, NULL, 0);
	FUZZ_CHECK(ret3 == ret, "verdict %d without buffer, %d before", ret3,
		   ret);
	FUZZ_CHECK(tvu_request_name(msg->request) != NULL, "name is NULL");
}

/* Compare one tvu_recv result with the model at stream offset *off;
 * returns false when the stream is over (for the model and the code). */
static bool
check_one(int rd, size_t *off, uint32_t n_vrings, uint64_t pf, size_t small_len)
{
	struct tvu_msg msg;
	size_t end;
	uint32_t size, fds, i;
	int ret, fl;

	memset(&msg, 0xa5, sizeof(msg));
	ret = tvu_recv(rd, &msg);
	if (ret < 0)
		FUZZ_CHECK(msg.n_fds == 0, "tvu_recv %d left n_fds %u", ret,
			   msg.n_fds);

	if (wr.len - *off < TVU_HDR_SIZE) {
		FUZZ_CHECK(ret == -ECONNRESET,
			   "%zu bytes left, tvu_recv returned %d, expected "
			   "-ECONNRESET",
			   wr.len - *off, ret);
		return false;
	}
	size = le32_at(*off + 8);
	if (size > TVU_PAYLOAD_MAX) {
		FUZZ_CHECK(ret == -EMSGSIZE,
			   "size %u: tvu_recv returned %d, expected -EMSGSIZE",
			   size, ret);
		return false;
	}
	end = *off + TVU_HDR_SIZE + size;
	if (end > wr.len) {
		FUZZ_CHECK(ret == -ECONNRESET,
			   "message needs %zu bytes, %zu left: tvu_recv "
			   "returned %d",
			   end - *off, wr.len - *off, ret);
		return false;
	}
	fds = model_fds(*off, end);
	*off = end;
	if (fds > TVU_MAX_FDS) {
		FUZZ_CHECK(ret == -EBADMSG,
			   "%u fds: tvu_recv returned %d, expected -EBADMSG",
			   fds, ret);
		return true;
	}
	FUZZ_CHECK(ret == 0, "well-formed message: tvu_recv returned %d", ret);
	FUZZ_CHECK(msg.request == le32_at(end - size - 12) &&
			   msg.flags == le32_at(end - size - 8) &&
			   msg.size == size,
		   "header %u/0x%x/%u differs from the stream", msg.request,
		   msg.flags, msg.size);
	FUZZ_CHECK(memcmp(msg.payload.raw, wr.bytes + end - size, size) == 0,
		   "payload differs from the stream");
	FUZZ_CHECK(msg.n_fds == fds, "%u fds received, %u sent", msg.n_fds,
		   fds);
	for (i = 0; i < msg.n_fds; i++) {
		fl = fcntl(msg.fds[i], F_GETFD);
		FUZZ_CHECK(fl >= 0 && (fl & FD_CLOEXEC),
			   "fd %d (#%u) not open or not close-on-exec",
			   msg.fds[i], i);
	}
	for (; i < TVU_MAX_FDS; i++)
		FUZZ_CHECK(msg.fds[i] == -1, "unused fds[%u] = %d", i,
			   msg.fds[i]);

	check_validate(&msg, n_vrings, pf, small_len);
	tvu_msg_close_fds(&msg);
	FUZZ_CHECK(msg.n_fds == 0, "close_fds left n_fds %u", msg.n_fds);
	return true;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {.data = data, .size = size, .pos = 0};
	uint32_t n_vrings, n_fds, i, flight_fds = 0;
	uint64_t pf;
	uint8_t mode, ctl;
	size_t len, off = 0, small_len;
	int sv[2];
	bool more = true;

	open_devnull();
	n_vrings = fuzz_u8(&in);
	pf = fuzz_u64(&in);
	mode = fuzz_u8(&in);
	small_len = 1 + ((mode >> 1) & 0xf);

	FUZZ_CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0,
		   "socketpair: %s", strerror(errno));
	fuzz_fd_watch(sv[1], 16);

	wr.len = 0;
	wr.n_rec = 0;
	for (i = 0; i < MAX_RECORDS && fuzz_left(&in) > 0 && more; i++) {
		ctl = fuzz_u8(&in);
		len = fuzz_u16(&in);
		if (i == MAX_RECORDS - 1 || len > fuzz_left(&in))
			len = fuzz_left(&in);
		if (len > MAX_STREAM - wr.len)
			len = MAX_STREAM - wr.len;
		n_fds = ctl & 0xfu;
		if (n_fds > MAX_FLIGHT_FDS - flight_fds)
			n_fds = 0;
		flight_fds += n_fds;
		more = send_record(sv[0], in.data + in.pos, len, n_fds);
		in.pos += len;
	}
	FUZZ_CHECK(shutdown(sv[0], SHUT_WR) == 0, "shutdown");
	if (mode & 1)
		FUZZ_CHECK(fcntl(sv[1], F_SETFL, O_NONBLOCK) == 0,
			   "O_NONBLOCK");

	/* Each message consumes at least a header, so this ends. */
	for (i = 0; i < MAX_MSGS + 1; i++)
		if (!check_one(sv[1], &off, n_vrings, pf, small_len))
			break;
	FUZZ_CHECK(i <= MAX_MSGS, "stream did not end");

	close(sv[0]);
	close(sv[1]);
	return 0;
}
