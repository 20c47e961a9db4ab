/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * tvu_frontend.c - the front-end's side of the vhost-user requests it
 * makes: build the message, send it, and read and check the reply.
 *
 * On this socket the back-end only ever answers; requests it makes on its
 * own travel on the separate back-end request channel. So the next message
 * after a request that expects an answer must be that answer, and anything
 * else (another code, a missing REPLY flag, a wrong size, fds) is -EPROTO.
 * A REPLY_ACK status other than 0 is the back-end refusing: -EIO.
 */
#include "tvu.h"

#include <errno.h>
#include <string.h>

/* Read the reply to `request` and check its header. On failure any fds
 * the back-end attached are closed. */
static int
recv_reply(int sock, uint32_t request, uint32_t size, struct tvu_msg *reply)
{
	char err[128];
	int ret;

	ret = tvu_recv(sock, reply);
	if (ret < 0)
		return ret;
	ret = tvu_check_reply(reply, request, size, err, sizeof(err));
	if (ret < 0)
		tvu_msg_close_fds(reply);
	return ret;
}

/* Send `msg`; with `reply_ack`, ask for and wait on the back-end's status. */
static int
send_request(int sock, struct tvu_msg *msg, bool reply_ack)
{
	struct tvu_msg reply;
	uint32_t request = msg->request;
	int ret;

	if (reply_ack)
		msg->flags |= TVU_FLAG_NEED_REPLY;
	ret = tvu_send(sock, msg);
	if (ret < 0 || !reply_ack)
		return ret;
	ret = recv_reply(sock, request, sizeof(uint64_t), &reply);
	if (ret < 0)
		return ret;
	return reply.payload.u64 == 0 ? 0 : -EIO;
}

int
tvu_fe_get_u64(int sock, uint32_t request, uint64_t *value)
{
	const struct tvu_request_info *info = tvu_request_info(request);
	struct tvu_msg msg;
	int ret;

	/* Only the GET_* requests without payload that answer a u64. */
	if (info == NULL || !info->has_reply || info->max_size != 0 ||
	    info->min_fds != 0 || request == TVU_POSTCOPY_ADVISE)
		return -EINVAL;
	tvu_msg_init(&msg, request, 0);
	ret = tvu_send(sock, &msg);
	if (ret < 0)
		return ret;
	ret = recv_reply(sock, request, sizeof(uint64_t), &msg);
	if (ret < 0)
		return ret;
	*value = msg.payload.u64;
	return 0;
}

int
tvu_fe_set_u64(int sock, uint32_t request, uint64_t value, bool reply_ack)
{
	const struct tvu_request_info *info = tvu_request_info(request);
	struct tvu_msg msg;

	if (info == NULL || info->has_reply || info->min_fds != 0 ||
	    info->vring != TVU_VRING_NONE || info->min_size > sizeof(value) ||
	    info->max_size < sizeof(value))
		return -EINVAL;
	tvu_msg_init(&msg, request, sizeof(value));
	msg.payload.u64 = value;
	return send_request(sock, &msg, reply_ack);
}

int
tvu_fe_set_owner(int sock)
{
	struct tvu_msg msg;

	tvu_msg_init(&msg, TVU_SET_OWNER, 0);
	return tvu_send(sock, &msg);
}

int
tvu_fe_set_vring_state(int sock, uint32_t request, uint32_t index, uint32_t num,
		       bool reply_ack)
{
	const struct tvu_request_info *info = tvu_request_info(request);
	struct tvu_msg msg;

	if (info == NULL || info->vring != TVU_VRING_STATE || info->has_reply)
		return -EINVAL;
	tvu_msg_init(&msg, request, sizeof(msg.payload.state));
	msg.payload.state.index = index;
	msg.payload.state.num = num;
	return send_request(sock, &msg, reply_ack);
}

int
tvu_fe_get_vring_base(int sock, uint32_t index, uint32_t *base)
{
	struct tvu_msg msg;
	int ret;

	tvu_msg_init(&msg, TVU_GET_VRING_BASE, sizeof(msg.payload.state));
	msg.payload.state.index = index;
	ret = tvu_send(sock, &msg);
	if (ret < 0)
		return ret;
	ret = recv_reply(sock, TVU_GET_VRING_BASE, sizeof(msg.payload.state),
			 &msg);
	if (ret < 0)
		return ret;
	/* An answer about another ring would be applied to the wrong one. */
	if (msg.payload.state.index != index)
		return -EPROTO;
	*base = msg.payload.state.num;
	return 0;
}

int
tvu_fe_set_vring_addr(int sock, const struct tvu_vring_addr *addr,
		      bool reply_ack)
{
	struct tvu_msg msg;

	tvu_msg_init(&msg, TVU_SET_VRING_ADDR, sizeof(msg.payload.addr));
	msg.payload.addr = *addr;
	return send_request(sock, &msg, reply_ack);
}

int
tvu_fe_set_vring_fd(int sock, uint32_t request, uint32_t index, int fd)
{
	const struct tvu_request_info *info = tvu_request_info(request);
	struct tvu_msg msg;

	if (info == NULL || info->vring != TVU_VRING_FILE ||
	    index > TVU_VRING_IDX_MASK)
		return -EINVAL;
	tvu_msg_init(&msg, request, sizeof(uint64_t));
	msg.payload.u64 = index;
	if (fd < 0) {
		msg.payload.u64 |= TVU_VRING_NOFD_MASK;
	} else {
		msg.fds[0] = fd;
		msg.n_fds = 1;
	}
	return tvu_send(sock, &msg);
}

int
tvu_fe_set_mem_table(int sock, const struct tvu_memory *mem, const int *fds,
		     bool reply_ack)
{
	struct tvu_msg msg;
	uint32_t i, n = mem->nregions;

	if (n == 0 || n > TVU_MAX_MEM_REGIONS)
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (fds[i] < 0)
			return -EBADF;
	tvu_msg_init(&msg, TVU_SET_MEM_TABLE,
		     8 + n * (uint32_t)sizeof(struct tvu_mem_region));
	msg.payload.memory.nregions = n;
	memcpy(msg.payload.memory.regions, mem->regions,
	       n * sizeof(struct tvu_mem_region));
	memcpy(msg.fds, fds, n * sizeof(int));
	msg.n_fds = n;
	return send_request(sock, &msg, reply_ack);
}
