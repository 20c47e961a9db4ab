/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * test_tvu_validate.c - the request table and tvu_validate_request /
 * tvu_check_reply: every row accepts a well-formed message, and each kind
 * of malformed message is refused with its -errno and a message.
 */
#include "tu_check.h"
#include "tvu.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#define N_VRINGS 4u
#define ALL_PF	 (~UINT64_C(0))

static char err[256];

/* Validate and check the result; on an expected failure also that the
 * description is there and names the request. */
#define EXPECT(msg, n_vrings, pf, want)                                        \
	do {                                                                   \
		int r_;                                                        \
		err[0] = '\0';                                                 \
		r_ = tvu_validate_request((msg), (n_vrings), (pf), err,        \
					  sizeof(err));                        \
		if (r_ != (want))                                              \
			fprintf(stderr, "  request %u size %u fds %u: %s\n",   \
				(msg)->request, (msg)->size, (msg)->n_fds,     \
				err);                                          \
		TU_EQ(r_, (want));                                             \
		if ((want) != 0) {                                             \
			TU_CHECK(err[0] != '\0');                              \
			TU_CHECK(strchr(err, '\n') == NULL);                   \
			if (tvu_request_info((msg)->request) != NULL)          \
				TU_CHECK(strstr(err,                           \
						tvu_request_name(              \
							(msg)->request)) !=    \
					 NULL);                                \
		}                                                              \
	} while (0)

/* A well-formed request for `code` with `size` payload bytes (rows with a
 * range) and the row's minimum fd count; vring 1 where one is named. */
static void
make_ok(struct tvu_msg *msg, uint32_t code, uint32_t size)
{
	const struct tvu_request_info *info = tvu_request_info(code);
	uint32_t i;

	tvu_msg_init(msg, code, size);
	for (i = 0; i < TVU_MAX_FDS; i++)
		msg->fds[i] = 1000 + (int)i; /* never used: only counted */
	msg->n_fds = info->min_fds;
	switch (info->vring) {
	case TVU_VRING_STATE:
		msg->payload.state.index = 1;
		msg->payload.state.num = 256;
		break;
	case TVU_VRING_ADDR:
		msg->payload.addr.index = 1;
		break;
	case TVU_VRING_FILE:
		msg->payload.u64 = 1; /* with an fd */
		msg->n_fds = 1;
		break;
	default:
		break;
	}
	if (code == TVU_SET_MEM_TABLE) {
		msg->payload.memory.nregions = (size - 8) / 32;
		msg->n_fds = msg->payload.memory.nregions;
	}
}

static void
test_table(void)
{
	const struct tvu_request_info *info;
	uint32_t code, n_rows = 0;

	TU_CHECK(tvu_request_info(0) == NULL);
	TU_CHECK(tvu_request_info(TVU_REQUEST_MAX) == NULL);
	TU_CHECK(tvu_request_info(UINT32_MAX) == NULL);
	TU_CHECK(strcmp(tvu_request_name(0), "UNKNOWN") == 0);
	TU_CHECK(strcmp(tvu_request_name(12345), "UNKNOWN") == 0);
	TU_CHECK(strcmp(tvu_request_name(TVU_SET_MEM_TABLE), "SET_MEM_TABLE") ==
		 0);
	TU_CHECK(strcmp(tvu_request_name(TVU_GET_STATUS), "GET_STATUS") == 0);

	for (code = 1; code < TVU_REQUEST_MAX; code++) {
		info = tvu_request_info(code);
		TU_CHECK(info != NULL);
		if (info == NULL)
			continue;
		n_rows++;
		TU_CHECK(info->name != NULL && info->name[0] != '\0');
		TU_CHECK(info->min_size <= info->max_size);
		TU_CHECK(info->max_size <= TVU_PAYLOAD_MAX);
		TU_CHECK(info->min_fds <= info->max_fds);
		TU_CHECK(info->max_fds <= TVU_MAX_FDS);
		TU_CHECK(info->protocol_feature >= -1 &&
			 info->protocol_feature <= 63);
	}
	TU_EQ(n_rows, 40);

	/* Spot checks against the protocol document. */
	info = tvu_request_info(TVU_SET_VRING_NUM);
	TU_EQ(info->min_size, 8);
	TU_EQ(info->max_size, 8);
	TU_EQ(info->vring, TVU_VRING_STATE);
	info = tvu_request_info(TVU_SET_VRING_ADDR);
	TU_EQ(info->min_size, 40);
	TU_EQ(info->vring, TVU_VRING_ADDR);
	info = tvu_request_info(TVU_GET_FEATURES);
	TU_CHECK(info->has_reply);
	TU_EQ(info->max_size, 0);
	TU_EQ(info->protocol_feature, -1);
	info = tvu_request_info(TVU_GET_VRING_BASE);
	TU_CHECK(info->has_reply);
	TU_EQ(info->vring, TVU_VRING_STATE);
	info = tvu_request_info(TVU_SET_VRING_KICK);
	TU_EQ(info->vring, TVU_VRING_FILE);
	info = tvu_request_info(TVU_GET_QUEUE_NUM);
	TU_EQ(info->protocol_feature, TVU_PROTOCOL_F_MQ);
	info = tvu_request_info(TVU_SET_BACKEND_REQ_FD);
	TU_EQ(info->min_fds, 1);
	TU_EQ(info->protocol_feature, TVU_PROTOCOL_F_BACKEND_REQ);
	info = tvu_request_info(TVU_SET_STATUS);
	TU_CHECK(!info->has_reply);
	TU_EQ(info->protocol_feature, TVU_PROTOCOL_F_STATUS);
}

/* Every row accepts its smallest and largest well-formed message. */
static void
test_rows_accept(void)
{
	const struct tvu_request_info *info;
	struct tvu_msg msg;
	uint32_t code;

	for (code = 1; code < TVU_REQUEST_MAX; code++) {
		info = tvu_request_info(code);
		make_ok(&msg, code, info->min_size);
		EXPECT(&msg, N_VRINGS, ALL_PF, 0);
		make_ok(&msg, code, info->max_size);
		EXPECT(&msg, N_VRINGS, ALL_PF, 0);
		if (info->protocol_feature >= 0) {
			/* exactly the one feature it needs is enough */
			make_ok(&msg, code, info->min_size);
			EXPECT(&msg, N_VRINGS,
			       UINT64_C(1) << info->protocol_feature, 0);
		} else {
			make_ok(&msg, code, info->min_size);
			EXPECT(&msg, N_VRINGS, 0, 0);
		}
		if (info->max_fds > info->min_fds &&
		    info->vring != TVU_VRING_FILE &&
		    code != TVU_SET_MEM_TABLE) {
			make_ok(&msg, code, info->min_size);
			msg.n_fds = info->max_fds;
			EXPECT(&msg, N_VRINGS, ALL_PF, 0);
		}
		/* NEED_REPLY is the front-end's to set on any request. */
		make_ok(&msg, code, info->min_size);
		msg.flags |= TVU_FLAG_NEED_REPLY;
		EXPECT(&msg, N_VRINGS, ALL_PF, 0);
	}
}

static void
test_rows_reject(void)
{
	const struct tvu_request_info *info;
	struct tvu_msg msg;
	uint32_t code;
	uint64_t pf;

	for (code = 1; code < TVU_REQUEST_MAX; code++) {
		info = tvu_request_info(code);
		/* payload too short / too long */
		if (info->min_size > 0) {
			make_ok(&msg, code, info->min_size);
			msg.size = info->min_size - 1;
			EXPECT(&msg, N_VRINGS, ALL_PF, -EINVAL);
		}
		make_ok(&msg, code, info->max_size);
		msg.size = info->max_size + 1;
		EXPECT(&msg, N_VRINGS, ALL_PF, -EINVAL);
		/* version bits */
		make_ok(&msg, code, info->min_size);
		msg.flags = 0;
		EXPECT(&msg, N_VRINGS, ALL_PF, -EPROTO);
		msg.flags = 2;
		EXPECT(&msg, N_VRINGS, ALL_PF, -EPROTO);
		msg.flags = 3;
		EXPECT(&msg, N_VRINGS, ALL_PF, -EPROTO);
		/* a reply where a request belongs */
		make_ok(&msg, code, info->min_size);
		msg.flags |= TVU_FLAG_REPLY;
		EXPECT(&msg, N_VRINGS, ALL_PF, -EPROTO);
		/* fds */
		make_ok(&msg, code, info->min_size);
		msg.n_fds = info->max_fds + 1u;
		if (code == TVU_SET_MEM_TABLE || info->vring == TVU_VRING_FILE)
			msg.n_fds = 2;
		EXPECT(&msg, N_VRINGS, ALL_PF, -EBADMSG);
		if (info->min_fds > 0) {
			make_ok(&msg, code, info->min_size);
			msg.n_fds = info->min_fds - 1u;
			EXPECT(&msg, N_VRINGS, ALL_PF, -EBADMSG);
		}
		make_ok(&msg, code, info->min_size);
		msg.n_fds = 200; /* nonsense from a corrupted struct */
		EXPECT(&msg, N_VRINGS, ALL_PF, -EBADMSG);
		/* protocol feature not negotiated */
		if (info->protocol_feature >= 0) {
			pf = ALL_PF & ~(UINT64_C(1) << info->protocol_feature);
			make_ok(&msg, code, info->min_size);
			EXPECT(&msg, N_VRINGS, pf, -EPROTO);
			EXPECT(&msg, N_VRINGS, 0, -EPROTO);
		}
		/* vring index out of range */
		if (info->vring == TVU_VRING_STATE) {
			make_ok(&msg, code, info->min_size);
			msg.payload.state.index = N_VRINGS;
			EXPECT(&msg, N_VRINGS, ALL_PF, -ERANGE);
			msg.payload.state.index = 255;
			EXPECT(&msg, N_VRINGS, ALL_PF, -ERANGE);
			msg.payload.state.index = UINT32_MAX;
			EXPECT(&msg, N_VRINGS, ALL_PF, -ERANGE);
			msg.payload.state.index = N_VRINGS - 1;
			EXPECT(&msg, N_VRINGS, ALL_PF, 0);
			EXPECT(&msg, 0, ALL_PF, -ERANGE);
		} else if (info->vring == TVU_VRING_ADDR) {
			make_ok(&msg, code, info->min_size);
			msg.payload.addr.index = N_VRINGS;
			EXPECT(&msg, N_VRINGS, ALL_PF, -ERANGE);
			msg.payload.addr.index = 255;
			EXPECT(&msg, N_VRINGS, ALL_PF, -ERANGE);
		} else if (info->vring == TVU_VRING_FILE) {
			make_ok(&msg, code, info->min_size);
			msg.payload.u64 = N_VRINGS;
			EXPECT(&msg, N_VRINGS, ALL_PF, -ERANGE);
			msg.payload.u64 = 255;
			EXPECT(&msg, N_VRINGS, ALL_PF, -ERANGE);
			msg.payload.u64 = 255 | TVU_VRING_NOFD_MASK;
			msg.n_fds = 0;
			EXPECT(&msg, N_VRINGS, ALL_PF, -ERANGE);
			EXPECT(&msg, 256, ALL_PF, 0);
		}
	}
}

static void
test_unknown(void)
{
	static const uint32_t codes[] = {0, TVU_REQUEST_MAX, 100, 0x10001,
					 UINT32_MAX};
	struct tvu_msg msg;
	size_t i;

	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		tvu_msg_init(&msg, codes[i], 0);
		EXPECT(&msg, N_VRINGS, ALL_PF, -EPROTO);
		TU_CHECK(strstr(err, "unknown") != NULL);
	}
}

static void
test_mem_table(void)
{
	struct tvu_msg msg;

	make_ok(&msg, TVU_SET_MEM_TABLE, 8 + 32 * 8);
	TU_EQ(msg.payload.memory.nregions, 8);
	EXPECT(&msg, N_VRINGS, 0, 0);

	/* 0 regions, with the size that would match */
	make_ok(&msg, TVU_SET_MEM_TABLE, 8 + 32);
	msg.payload.memory.nregions = 0;
	msg.n_fds = 0;
	EXPECT(&msg, N_VRINGS, 0, -EINVAL);
	msg.size = 8;
	EXPECT(&msg, N_VRINGS, 0, -EINVAL);
	/* 9 regions: more than the table holds, whatever the size says */
	make_ok(&msg, TVU_SET_MEM_TABLE, 8 + 32 * 8);
	msg.payload.memory.nregions = 9;
	EXPECT(&msg, N_VRINGS, 0, -EINVAL);
	TU_CHECK(strstr(err, "9 regions") != NULL);
	msg.size = 8 + 32 * 9;
	EXPECT(&msg, N_VRINGS, 0, -EINVAL);
	make_ok(&msg, TVU_SET_MEM_TABLE, 8 + 32 * 2);
	msg.payload.memory.nregions = UINT32_MAX;
	EXPECT(&msg, N_VRINGS, 0, -EINVAL);
	/* size does not match nregions (in both directions) */
	make_ok(&msg, TVU_SET_MEM_TABLE, 8 + 32 * 3);
	msg.payload.memory.nregions = 2;
	msg.n_fds = 2;
	EXPECT(&msg, N_VRINGS, 0, -EINVAL);
	msg.payload.memory.nregions = 4;
	msg.n_fds = 4;
	EXPECT(&msg, N_VRINGS, 0, -EINVAL);
	make_ok(&msg, TVU_SET_MEM_TABLE, 8 + 32 * 3 - 4);
	msg.payload.memory.nregions = 3;
	EXPECT(&msg, N_VRINGS, 0, -EINVAL);
	/* one fd per region, no more, no less */
	make_ok(&msg, TVU_SET_MEM_TABLE, 8 + 32 * 3);
	msg.n_fds = 2;
	EXPECT(&msg, N_VRINGS, 0, -EBADMSG);
	msg.n_fds = 4;
	EXPECT(&msg, N_VRINGS, 0, -EBADMSG);
	msg.n_fds = 3;
	EXPECT(&msg, N_VRINGS, 0, 0);
}

static void
test_vring_file(void)
{
	static const uint32_t codes[] = {TVU_SET_VRING_KICK, TVU_SET_VRING_CALL,
					 TVU_SET_VRING_ERR};
	struct tvu_msg msg;
	size_t i;

	for (i = 0; i < 3; i++) {
		make_ok(&msg, codes[i], 8);
		msg.payload.u64 = 2 | TVU_VRING_NOFD_MASK;
		msg.n_fds = 0;
		EXPECT(&msg, N_VRINGS, 0, 0);
		TU_EQ(tvu_msg_vring_index(&msg), 2);
		/* NOFD with an fd attached */
		msg.n_fds = 1;
		EXPECT(&msg, N_VRINGS, 0, -EBADMSG);
		TU_CHECK(strstr(err, "NOFD") != NULL);
		/* no NOFD and no fd */
		msg.payload.u64 = 2;
		msg.n_fds = 0;
		EXPECT(&msg, N_VRINGS, 0, -EBADMSG);
		/* bits besides index and NOFD */
		msg.n_fds = 1;
		msg.payload.u64 = 2 | 0x200;
		EXPECT(&msg, N_VRINGS, 0, -EINVAL);
		msg.payload.u64 = 2 | (UINT64_C(1) << 63);
		EXPECT(&msg, N_VRINGS, 0, -EINVAL);
		msg.payload.u64 = 2 | (UINT64_C(1) << 32);
		EXPECT(&msg, N_VRINGS, 0, -EINVAL);
	}
}

static void
test_error_text(void)
{
	struct tvu_msg msg;
	char small[8];
	int r;

	make_ok(&msg, TVU_SET_VRING_NUM, 8);
	msg.size = 4;
	EXPECT(&msg, N_VRINGS, 0, -EINVAL);
	TU_CHECK(strcmp(err, "SET_VRING_NUM: payload 4 bytes, expected 8") ==
		 0);
	/* a tiny buffer is truncated and terminated, a NULL one ignored */
	memset(small, 'x', sizeof(small));
	r = tvu_validate_request(&msg, N_VRINGS, 0, small, sizeof(small));
	TU_EQ(r, -EINVAL);
	TU_CHECK(memchr(small, '\0', sizeof(small)) != NULL);
	r = tvu_validate_request(&msg, N_VRINGS, 0, NULL, 0);
	TU_EQ(r, -EINVAL);
}

static void
test_vring_index(void)
{
	struct tvu_msg msg;

	make_ok(&msg, TVU_SET_VRING_ADDR, 40);
	msg.payload.addr.index = 3;
	TU_EQ(tvu_msg_vring_index(&msg), 3);
	make_ok(&msg, TVU_GET_VRING_BASE, 8);
	msg.payload.state.index = 2;
	TU_EQ(tvu_msg_vring_index(&msg), 2);
	make_ok(&msg, TVU_SET_FEATURES, 8);
	TU_EQ(tvu_msg_vring_index(&msg), UINT32_MAX);
	tvu_msg_init(&msg, 999, 0);
	TU_EQ(tvu_msg_vring_index(&msg), UINT32_MAX);
}

static void
test_check_reply(void)
{
	struct tvu_msg r;

	tvu_msg_init(&r, TVU_GET_FEATURES, 8);
	r.flags |= TVU_FLAG_REPLY;
	TU_EQ(tvu_check_reply(&r, TVU_GET_FEATURES, 8, err, sizeof(err)), 0);
	/* wrong size */
	TU_EQ(tvu_check_reply(&r, TVU_GET_FEATURES, 4, err, sizeof(err)),
	      -EPROTO);
	TU_CHECK(strstr(err, "GET_FEATURES") != NULL);
	/* wrong request code */
	TU_EQ(tvu_check_reply(&r, TVU_GET_PROTOCOL_FEATURES, 8, err,
			      sizeof(err)),
	      -EPROTO);
	TU_CHECK(strstr(err, "GET_PROTOCOL_FEATURES") != NULL);
	/* REPLY flag missing */
	r.flags = TVU_FLAG_VERSION;
	TU_EQ(tvu_check_reply(&r, TVU_GET_FEATURES, 8, err, sizeof(err)),
	      -EPROTO);
	TU_CHECK(strstr(err, "REPLY") != NULL);
	/* bad version */
	r.flags = TVU_FLAG_REPLY | 2;
	TU_EQ(tvu_check_reply(&r, TVU_GET_FEATURES, 8, err, sizeof(err)),
	      -EPROTO);
	/* fds on a reply */
	r.flags = TVU_FLAG_VERSION | TVU_FLAG_REPLY;
	r.n_fds = 1;
	TU_EQ(tvu_check_reply(&r, TVU_GET_FEATURES, 8, err, sizeof(err)),
	      -EPROTO);
}

static void
test_msg_helpers(void)
{
	struct tvu_msg msg;
	int before = tu_count_fds();
	uint32_t i;

	memset(&msg, 0xff, sizeof(msg));
	tvu_msg_init(&msg, TVU_SET_VRING_NUM, 8);
	TU_EQ(msg.request, TVU_SET_VRING_NUM);
	TU_EQ(msg.flags, TVU_FLAG_VERSION);
	TU_EQ(msg.size, 8);
	TU_EQ(msg.n_fds, 0);
	TU_EQ(msg.payload.u64, 0);

	for (i = 0; i < 3; i++) {
		msg.fds[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
		TU_REQUIRE(msg.fds[i] >= 0);
	}
	msg.n_fds = 3;
	TU_EQ(tu_count_fds(), before + 3);
	tvu_msg_close_fds(&msg);
	TU_EQ(msg.n_fds, 0);
	TU_EQ(msg.fds[0], -1);
	TU_EQ(tu_count_fds(), before);
	/* closing twice is harmless */
	tvu_msg_close_fds(&msg);
	TU_EQ(tu_count_fds(), before);
}

int
main(void)
{
	test_table();
	test_rows_accept();
	test_rows_reject();
	test_unknown();
	test_mem_table();
	test_vring_file();
	test_error_text();
	test_vring_index();
	test_check_reply();
	test_msg_helpers();
	return tu_finish("test_tvu_validate");
}
