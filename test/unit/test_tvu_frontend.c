/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * test_tvu_frontend.c - the front-end round trips (tvu_fe_*) against a
 * fake back-end thread on a socketpair: the request that arrives is
 * checked field by field, and each way a back-end can answer wrongly
 * gives the documented error without leaking an fd.
 */
#include "tu_check.h"
#include "tvu.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

enum fake_mode {
	FAKE_OK,	    /* answer as the protocol says */
	FAKE_WRONG_CODE,    /* answer carries another request code */
	FAKE_WRONG_SIZE,    /* answer payload 4 bytes */
	FAKE_NO_REPLY_FLAG, /* answer without the REPLY flag */
	FAKE_NACK,	    /* REPLY_ACK status 1 */
	FAKE_WRONG_INDEX,   /* GET_VRING_BASE about another ring */
	FAKE_WITH_FD,	    /* answer with an fd attached */
	FAKE_HANGUP,	    /* close the connection instead of answering */
};

#define FAKE_FEATURES UINT64_C(0x0123456789abcdef)
#define FAKE_BASE     42u

struct fake {
	int sock;
	enum fake_mode mode;
	/* what arrived */
	int recv_ret;
	int validate_ret;
	char err[256];
	struct tvu_msg req;
};

static void *
fake_backend(void *arg)
{
	struct fake *f = arg;
	struct tvu_msg rep;
	bool ack;
	int fd;

	f->recv_ret = tvu_recv(f->sock, &f->req);
	if (f->recv_ret < 0)
		return NULL;
	f->validate_ret = tvu_validate_request(&f->req, 4, ~UINT64_C(0), f->err,
					       sizeof(f->err));
	if (f->mode == FAKE_HANGUP) {
		shutdown(f->sock, SHUT_RDWR);
		return NULL;
	}
	ack = f->req.flags & TVU_FLAG_NEED_REPLY;
	if (ack) {
		tvu_msg_init(&rep, f->req.request, 8);
		rep.payload.u64 = f->mode == FAKE_NACK ? 1 : 0;
	} else if (f->req.request == TVU_GET_VRING_BASE) {
		tvu_msg_init(&rep, f->req.request, 8);
		rep.payload.state.index = f->req.payload.state.index;
		rep.payload.state.num = FAKE_BASE;
		if (f->mode == FAKE_WRONG_INDEX)
			rep.payload.state.index++;
	} else if (tvu_request_info(f->req.request) != NULL &&
		   tvu_request_info(f->req.request)->has_reply) {
		tvu_msg_init(&rep, f->req.request, 8);
		rep.payload.u64 = FAKE_FEATURES;
	} else {
		return NULL; /* nothing to answer */
	}
	rep.flags |= TVU_FLAG_REPLY;
	switch (f->mode) {
	case FAKE_WRONG_CODE:
		rep.request = f->req.request == TVU_GET_FEATURES
				      ? TVU_GET_PROTOCOL_FEATURES
				      : TVU_GET_FEATURES;
		break;
	case FAKE_WRONG_SIZE:
		rep.size = 4;
		break;
	case FAKE_NO_REPLY_FLAG:
		rep.flags &= ~TVU_FLAG_REPLY;
		break;
	default:
		break;
	}
	fd = -1;
	if (f->mode == FAKE_WITH_FD) {
		fd = memfd_create("fake", MFD_CLOEXEC);
		rep.fds[0] = fd;
		rep.n_fds = 1;
	}
	tvu_send(f->sock, &rep);
	if (fd >= 0)
		close(fd);
	return NULL;
}

/* One front-end call against a fresh fake back-end. */
struct call {
	int sv[2];
	pthread_t th;
	struct fake f;
};

static void
call_begin(struct call *c, enum fake_mode mode)
{
	memset(c, 0, sizeof(*c));
	TU_REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, c->sv) ==
		   0);
	c->f.sock = c->sv[1];
	c->f.mode = mode;
	c->f.recv_ret = 1; /* "not run" */
	TU_REQUIRE(pthread_create(&c->th, NULL, fake_backend, &c->f) == 0);
}

static void
call_end(struct call *c)
{
	/* Unblocks the fake if the front-end refused before sending. */
	shutdown(c->sv[0], SHUT_RDWR);
	pthread_join(c->th, NULL);
	tvu_msg_close_fds(&c->f.req);
	close(c->sv[0]);
	close(c->sv[1]);
}

static void
test_get_u64(void)
{
	static const enum fake_mode bad[] = {FAKE_WRONG_CODE, FAKE_WRONG_SIZE,
					     FAKE_NO_REPLY_FLAG, FAKE_WITH_FD};
	struct call c;
	uint64_t v;
	size_t i;

	call_begin(&c, FAKE_OK);
	v = 0;
	TU_EQ(tvu_fe_get_u64(c.sv[0], TVU_GET_FEATURES, &v), 0);
	TU_EQ(v, FAKE_FEATURES);
	call_end(&c);
	TU_EQ(c.f.recv_ret, 0);
	TU_EQ(c.f.validate_ret, 0);
	TU_EQ(c.f.req.request, TVU_GET_FEATURES);
	TU_EQ(c.f.req.flags, TVU_FLAG_VERSION);
	TU_EQ(c.f.req.size, 0);

	call_begin(&c, FAKE_OK);
	TU_EQ(tvu_fe_get_u64(c.sv[0], TVU_GET_PROTOCOL_FEATURES, &v), 0);
	call_end(&c);
	TU_EQ(c.f.req.request, TVU_GET_PROTOCOL_FEATURES);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		call_begin(&c, bad[i]);
		v = 7;
		TU_EQ(tvu_fe_get_u64(c.sv[0], TVU_GET_FEATURES, &v), -EPROTO);
		TU_EQ(v, 7); /* untouched on failure */
		call_end(&c);
	}
	call_begin(&c, FAKE_HANGUP);
	TU_EQ(tvu_fe_get_u64(c.sv[0], TVU_GET_FEATURES, &v), -ECONNRESET);
	call_end(&c);

	/* not a GET: refused before anything is sent */
	call_begin(&c, FAKE_OK);
	TU_EQ(tvu_fe_get_u64(c.sv[0], TVU_SET_FEATURES, &v), -EINVAL);
	TU_EQ(tvu_fe_get_u64(c.sv[0], TVU_GET_VRING_BASE, &v), -EINVAL);
	TU_EQ(tvu_fe_get_u64(c.sv[0], 999, &v), -EINVAL);
	call_end(&c);
	TU_EQ(c.f.recv_ret, -ECONNRESET);
}

static void
test_set_u64(void)
{
	struct call c;

	call_begin(&c, FAKE_OK);
	TU_EQ(tvu_fe_set_u64(c.sv[0], TVU_SET_FEATURES, FAKE_FEATURES, false),
	      0);
	call_end(&c);
	TU_EQ(c.f.validate_ret, 0);
	TU_EQ(c.f.req.request, TVU_SET_FEATURES);
	TU_EQ(c.f.req.flags, TVU_FLAG_VERSION);
	TU_EQ(c.f.req.size, 8);
	TU_EQ(c.f.req.payload.u64, FAKE_FEATURES);

	call_begin(&c, FAKE_OK);
	TU_EQ(tvu_fe_set_u64(c.sv[0], TVU_SET_PROTOCOL_FEATURES, 0x8, true), 0);
	call_end(&c);
	TU_EQ(c.f.req.flags, TVU_FLAG_VERSION | TVU_FLAG_NEED_REPLY);
	TU_EQ(c.f.req.payload.u64, 0x8);

	call_begin(&c, FAKE_NACK);
	TU_EQ(tvu_fe_set_u64(c.sv[0], TVU_SET_FEATURES, 1, true), -EIO);
	call_end(&c);
	call_begin(&c, FAKE_WRONG_CODE);
	TU_EQ(tvu_fe_set_u64(c.sv[0], TVU_SET_FEATURES, 1, true), -EPROTO);
	call_end(&c);
	call_begin(&c, FAKE_WRONG_SIZE);
	TU_EQ(tvu_fe_set_u64(c.sv[0], TVU_SET_FEATURES, 1, true), -EPROTO);
	call_end(&c);
	call_begin(&c, FAKE_NO_REPLY_FLAG);
	TU_EQ(tvu_fe_set_u64(c.sv[0], TVU_SET_FEATURES, 1, true), -EPROTO);
	call_end(&c);
	call_begin(&c, FAKE_HANGUP);
	TU_EQ(tvu_fe_set_u64(c.sv[0], TVU_SET_FEATURES, 1, true), -ECONNRESET);
	call_end(&c);

	call_begin(&c, FAKE_OK);
	TU_EQ(tvu_fe_set_u64(c.sv[0], TVU_GET_FEATURES, 1, false), -EINVAL);
	TU_EQ(tvu_fe_set_u64(c.sv[0], TVU_SET_VRING_KICK, 1, false), -EINVAL);
	TU_EQ(tvu_fe_set_u64(c.sv[0], TVU_SET_MEM_TABLE, 1, false), -EINVAL);
	call_end(&c);

	call_begin(&c, FAKE_OK);
	TU_EQ(tvu_fe_set_owner(c.sv[0]), 0);
	call_end(&c);
	TU_EQ(c.f.validate_ret, 0);
	TU_EQ(c.f.req.request, TVU_SET_OWNER);
	TU_EQ(c.f.req.size, 0);
}

static void
test_vring_state(void)
{
	struct call c;
	uint32_t base;

	call_begin(&c, FAKE_OK);
	TU_EQ(tvu_fe_set_vring_state(c.sv[0], TVU_SET_VRING_NUM, 3, 1024, true),
	      0);
	call_end(&c);
	TU_EQ(c.f.validate_ret, 0);
	TU_EQ(c.f.req.request, TVU_SET_VRING_NUM);
	TU_EQ(c.f.req.size, 8);
	TU_EQ(c.f.req.payload.state.index, 3);
	TU_EQ(c.f.req.payload.state.num, 1024);

	call_begin(&c, FAKE_NACK);
	TU_EQ(tvu_fe_set_vring_state(c.sv[0], TVU_SET_VRING_ENABLE, 0, 1, true),
	      -EIO);
	call_end(&c);

	call_begin(&c, FAKE_OK);
	TU_EQ(tvu_fe_set_vring_state(c.sv[0], TVU_SET_FEATURES, 0, 1, false),
	      -EINVAL);
	TU_EQ(tvu_fe_set_vring_state(c.sv[0], TVU_GET_VRING_BASE, 0, 1, false),
	      -EINVAL);
	call_end(&c);

	call_begin(&c, FAKE_OK);
	base = 0;
	TU_EQ(tvu_fe_get_vring_base(c.sv[0], 2, &base), 0);
	TU_EQ(base, FAKE_BASE);
	call_end(&c);
	TU_EQ(c.f.validate_ret, 0);
	TU_EQ(c.f.req.request, TVU_GET_VRING_BASE);
	TU_EQ(c.f.req.payload.state.index, 2);

	call_begin(&c, FAKE_WRONG_INDEX);
	TU_EQ(tvu_fe_get_vring_base(c.sv[0], 2, &base), -EPROTO);
	call_end(&c);
	call_begin(&c, FAKE_WRONG_SIZE);
	TU_EQ(tvu_fe_get_vring_base(c.sv[0], 2, &base), -EPROTO);
	call_end(&c);
	call_begin(&c, FAKE_WRONG_CODE);
	TU_EQ(tvu_fe_get_vring_base(c.sv[0], 2, &base), -EPROTO);
	call_end(&c);
}

static void
test_vring_addr(void)
{
	struct tvu_vring_addr a = {
		.index = 1,
		.flags = 0,
		.desc_user_addr = 0x7f0000001000ull,
		.used_user_addr = 0x7f0000003000ull,
		.avail_user_addr = 0x7f0000002000ull,
		.log_guest_addr = 0x123000,
	};
	struct call c;

	call_begin(&c, FAKE_OK);
	TU_EQ(tvu_fe_set_vring_addr(c.sv[0], &a, true), 0);
	call_end(&c);
	TU_EQ(c.f.validate_ret, 0);
	TU_EQ(c.f.req.size, 40);
	TU_CHECK(memcmp(&c.f.req.payload.addr, &a, sizeof(a)) == 0);
}

static void
test_vring_fd(void)
{
	struct stat s1, s2;
	struct call c;
	int fd = memfd_create("kick", MFD_CLOEXEC);

	TU_REQUIRE(fd >= 0);
	call_begin(&c, FAKE_OK);
	TU_EQ(tvu_fe_set_vring_fd(c.sv[0], TVU_SET_VRING_KICK, 1, fd), 0);
	shutdown(c.sv[0], SHUT_RDWR);
	pthread_join(c.th, NULL);
	TU_EQ(c.f.validate_ret, 0);
	TU_EQ(c.f.req.payload.u64, 1);
	TU_EQ(c.f.req.n_fds, 1);
	TU_REQUIRE(fstat(fd, &s1) == 0);
	TU_CHECK(c.f.req.n_fds == 1 && fstat(c.f.req.fds[0], &s2) == 0 &&
		 s1.st_ino == s2.st_ino);
	tvu_msg_close_fds(&c.f.req);
	close(c.sv[0]);
	close(c.sv[1]);
	close(fd);

	call_begin(&c, FAKE_OK);
	TU_EQ(tvu_fe_set_vring_fd(c.sv[0], TVU_SET_VRING_CALL, 3, -1), 0);
	call_end(&c);
	TU_EQ(c.f.validate_ret, 0);
	TU_EQ(c.f.req.payload.u64, 3 | TVU_VRING_NOFD_MASK);
	TU_EQ(c.f.req.n_fds, 0);

	call_begin(&c, FAKE_OK);
	TU_EQ(tvu_fe_set_vring_fd(c.sv[0], TVU_SET_VRING_CALL, 256, -1),
	      -EINVAL);
	TU_EQ(tvu_fe_set_vring_fd(c.sv[0], TVU_SET_VRING_NUM, 0, -1), -EINVAL);
	call_end(&c);
}

static void
test_mem_table(void)
{
	struct tvu_memory mem;
	struct call c;
	int fds[TVU_MAX_MEM_REGIONS + 1];
	uint32_t i;

	memset(&mem, 0, sizeof(mem));
	mem.nregions = 2;
	for (i = 0; i < 2; i++) {
		mem.regions[i].guest_phys_addr = 0x100000ull * (i + 1);
		mem.regions[i].memory_size = 0x10000;
		mem.regions[i].userspace_addr = 0x7f0000000000ull + i * 0x10000;
		mem.regions[i].mmap_offset = 0x1000 * i;
		fds[i] = memfd_create("mem", MFD_CLOEXEC);
		TU_REQUIRE(fds[i] >= 0);
	}
	call_begin(&c, FAKE_OK);
	TU_EQ(tvu_fe_set_mem_table(c.sv[0], &mem, fds, true), 0);
	call_end(&c);
	TU_EQ(c.f.validate_ret, 0);
	TU_EQ(c.f.req.size, 8 + 2 * 32);
	TU_EQ(c.f.req.payload.memory.nregions, 2);
	TU_CHECK(memcmp(c.f.req.payload.memory.regions, mem.regions,
			2 * sizeof(mem.regions[0])) == 0);
	TU_EQ(c.f.req.flags, TVU_FLAG_VERSION | TVU_FLAG_NEED_REPLY);

	call_begin(&c, FAKE_NACK);
	TU_EQ(tvu_fe_set_mem_table(c.sv[0], &mem, fds, true), -EIO);
	call_end(&c);

	call_begin(&c, FAKE_OK);
	mem.nregions = 0;
	TU_EQ(tvu_fe_set_mem_table(c.sv[0], &mem, fds, false), -EINVAL);
	mem.nregions = TVU_MAX_MEM_REGIONS + 1;
	TU_EQ(tvu_fe_set_mem_table(c.sv[0], &mem, fds, false), -EINVAL);
	mem.nregions = 2;
	fds[2] = fds[1];
	fds[1] = -1;
	TU_EQ(tvu_fe_set_mem_table(c.sv[0], &mem, fds, false), -EBADF);
	fds[1] = fds[2];
	call_end(&c);
	close(fds[0]);
	close(fds[1]);
}

int
main(void)
{
	int before = tu_count_fds();

	test_get_u64();
	test_set_u64();
	test_vring_state();
	test_vring_addr();
	test_vring_fd();
	test_mem_table();
	TU_EQ(tu_count_fds(), before);
	return tu_finish("test_tvu_frontend");
}
