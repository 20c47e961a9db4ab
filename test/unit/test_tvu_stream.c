/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * test_tvu_stream.c - malformed streams: random (fixed-seed) bytes and
 * fds pushed through a socketpair into tvu_recv + tvu_validate_request,
 * the way a back-end consumes them. Nothing may crash, every accepted
 * message must be one the table allows, and no fd may leak. A poor man's
 * fuzzer that runs in every `meson test`; the libFuzzer target digs
 * deeper.
 */
#include "tu_check.h"
#include "tvu.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define ITERATIONS 10000

static uint32_t rng_state = 20260101;

/* xorshift32: the same sequence on every machine and libc. */
static uint32_t
rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

static void
send_chunk(int sock, const uint8_t *buf, size_t len, const int *fds,
	   size_t n_fds)
{
	char ctrl[CMSG_SPACE(16 * sizeof(int))];
	struct iovec iov = {.iov_base = (void *)(uintptr_t)buf, .iov_len = len};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	struct cmsghdr *cm;

	memset(ctrl, 0, sizeof(ctrl));
	if (n_fds > 0) {
		mh.msg_control = ctrl;
		mh.msg_controllen = CMSG_SPACE(n_fds * sizeof(int));
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(n_fds * sizeof(int));
		memcpy(CMSG_DATA(cm), fds, n_fds * sizeof(int));
	}
	TU_REQUIRE(sendmsg(sock, &mh, MSG_NOSIGNAL) == (ssize_t)len);
}

/* A header that is plausible more often than pure noise would be, so
 * the validator's deeper checks get exercised too. */
static size_t
make_message(uint8_t *buf, size_t cap)
{
	const struct tvu_request_info *info;
	uint32_t request, flags, size, body, i;

	request = rnd() % 8 == 0 ? rnd() : rnd() % (TVU_REQUEST_MAX + 3);
	flags = rnd() % 4 == 0 ? rnd() : TVU_FLAG_VERSION | (rnd() % 2) * 8;
	info = tvu_request_info(request);
	if (info != NULL && rnd() % 2)
		size = info->min_size +
		       rnd() % (info->max_size - info->min_size + 1);
	else if (rnd() % 8 == 0)
		size = rnd();
	else
		size = rnd() % (TVU_PAYLOAD_MAX + 16);
	/* the body actually sent may disagree with the header */
	body = rnd() % 4 == 0 ? rnd() % 600 : size;
	if (body > cap - TVU_HDR_SIZE)
		body = (uint32_t)(cap - TVU_HDR_SIZE);
	memcpy(buf, &request, 4);
	memcpy(buf + 4, &flags, 4);
	memcpy(buf + 8, &size, 4);
	for (i = 0; i < body; i++)
		buf[TVU_HDR_SIZE + i] = (uint8_t)rnd();
	/* plausible leading payload fields: small vring index / nregions */
	if (body >= 4 && rnd() % 2)
		buf[TVU_HDR_SIZE] = (uint8_t)(rnd() % 10);
	if (body >= 4 && rnd() % 2)
		memset(buf + TVU_HDR_SIZE + 1, 0, 3);
	return TVU_HDR_SIZE + body;
}

static void
one_stream(int devnull, unsigned int *n_accepted, unsigned int *n_valid)
{
	uint8_t buf[TVU_HDR_SIZE + 600];
	int sv[2], fds[16];
	struct tvu_msg msg;
	char err[256];
	size_t len, n_fds, n_msgs, i, cut;
	int ret;

	TU_REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
	n_msgs = 1 + rnd() % 4;
	for (i = 0; i < n_msgs; i++) {
		len = make_message(buf, sizeof(buf));
		n_fds = rnd() % 3 == 0 ? rnd() % 13 : 0;
		for (size_t k = 0; k < n_fds; k++)
			fds[k] = devnull;
		if (len > 1 && rnd() % 4 == 0) {
			/* split in two writes, fds on either half */
			cut = 1 + rnd() % (len - 1);
			if (rnd() % 2) {
				send_chunk(sv[0], buf, cut, fds, n_fds);
				send_chunk(sv[0], buf + cut, len - cut, NULL,
					   0);
			} else {
				send_chunk(sv[0], buf, cut, NULL, 0);
				send_chunk(sv[0], buf + cut, len - cut, fds,
					   n_fds);
			}
		} else {
			send_chunk(sv[0], buf, len, fds, n_fds);
		}
	}
	close(sv[0]);

	/* Consume like a back-end: stop at the first error the stream cannot
	 * recover from. */
	for (;;) {
		ret = tvu_recv(sv[1], &msg);
		if (ret == -EBADMSG)
			continue;
		if (ret < 0) {
			TU_CHECK(ret == -ECONNRESET || ret == -EMSGSIZE);
			TU_EQ(msg.n_fds, 0);
			break;
		}
		(*n_accepted)++;
		TU_CHECK(msg.size <= TVU_PAYLOAD_MAX);
		TU_CHECK(msg.n_fds <= TVU_MAX_FDS);
		err[0] = '\0';
		ret = tvu_validate_request(&msg, 4, rnd() % 2 ? ~0ull : 0, err,
					   sizeof(err));
		if (ret == 0) {
			const struct tvu_request_info *info =
				tvu_request_info(msg.request);

			(*n_valid)++;
			TU_REQUIRE(info != NULL);
			TU_CHECK(msg.size >= info->min_size &&
				 msg.size <= info->max_size);
			TU_CHECK(msg.n_fds >= info->min_fds &&
				 msg.n_fds <= info->max_fds);
			if (info->vring != TVU_VRING_NONE)
				TU_CHECK(tvu_msg_vring_index(&msg) < 4);
		} else {
			TU_CHECK(ret == -EINVAL || ret == -EPROTO ||
				 ret == -ERANGE || ret == -EBADMSG);
			TU_CHECK(err[0] != '\0');
		}
		tvu_msg_close_fds(&msg);
	}
	close(sv[1]);
}

int
main(void)
{
	unsigned int accepted = 0, valid = 0;
	int before = tu_count_fds();
	int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	int i;

	TU_REQUIRE(devnull >= 0);
	for (i = 0; i < ITERATIONS; i++)
		one_stream(devnull, &accepted, &valid);
	close(devnull);
	TU_EQ(tu_count_fds(), before);
	/* The generator must reach past the transport and the validator, or
	 * this test proves nothing. */
	TU_CHECK(accepted > ITERATIONS / 2);
	TU_CHECK(valid > ITERATIONS / 20);
	printf("%d streams: %u messages read, %u passed validation\n",
	       ITERATIONS, accepted, valid);
	return tu_finish("test_tvu_stream");
}
