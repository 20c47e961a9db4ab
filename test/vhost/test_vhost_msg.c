/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * Malformed and refused vhost-user messages: each one is counted in
 * err_msg (and err_mem / err_ring where it applies), answered with a
 * failure status under REPLY_ACK, its fds are closed, refused values are
 * not stored, and the device still serves a good ring afterwards.
 */
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_mbuf.h>

#include "mock_guest.h"

#define RING 256

static struct rte_mempool *mp;
static struct tvh_dev *dev;

static uint64_t
err_msg(void)
{
	struct tvh_dev_stats st;

	tvh_dev_stats_get(dev, &st);
	return st.err_msg;
}

/* Send msg with NEED_REPLY and return the back-end's status (0 ok). */
static uint64_t
send_ack(struct mg *g, struct tvu_msg *msg)
{
	struct tvu_msg r;

	msg->flags |= TVU_FLAG_NEED_REPLY;
	CHECK(tvu_send(g->sock, msg) == 0, "send");
	CHECK(tvu_recv(g->sock, &r) == 0, "no reply to %s",
	      tvu_request_name(msg->request));
	CHECK(r.request == msg->request && r.size == 8, "reply shape");
	return r.payload.u64;
}

/* Expect `msg` refused: status 1 and err_msg + 1. */
static void
expect_refused(struct mg *g, struct tvu_msg *msg, const char *what)
{
	uint64_t before = err_msg();

	CHECK(send_ack(g, msg) != 0, "%s accepted", what);
	CHECK(err_msg() == before + 1, "%s: err_msg %lu -> %lu", what, before,
	      err_msg());
	printf("ok refused: %s\n", what);
}

static void
state_msg(struct tvu_msg *m, uint32_t req, uint32_t index, uint32_t num)
{
	tvu_msg_init(m, req, sizeof(m->payload.state));
	m->payload.state.index = index;
	m->payload.state.num = num;
}

/* One packet through vq 1, byte-exact: the device serves. */
static void
check_serves(struct mg *g, const char *when)
{
	uint8_t pkt[300];
	struct rte_mbuf *m;
	uint32_t id, len;

	mg_fill(pkt, sizeof(pkt), 42);
	mg_tx_post(g, 1, MG_TX_HDR_OWN, pkt, sizeof(pkt),
		   tv_net_hdr_len(g->features));
	mg_avail_publish(g, 1);
	CHECK(tvh_dequeue_burst(dev, 1, mp, &m, 1) == 1, "%s: no packet", when);
	CHECK(mg_mbuf_cmp(m, pkt, sizeof(pkt)) == 0, "%s: payload", when);
	rte_pktmbuf_free(m);
	CHECK(mg_used_next(g, 1, &id, &len), "%s: used", when);
	mg_round_reset(g);
}

static void
mem_msg(struct mg *g, struct tvu_msg *m, uint64_t size, uint64_t offset)
{
	tvu_msg_init(m, TVU_SET_MEM_TABLE, 8 + 32);
	m->payload.memory.nregions = 1;
	m->payload.memory.regions[0].guest_phys_addr = MG_GPA_BASE;
	m->payload.memory.regions[0].memory_size = size;
	m->payload.memory.regions[0].userspace_addr =
		(uint64_t)(uintptr_t)g->mem;
	m->payload.memory.regions[0].mmap_offset = offset;
	m->n_fds = 1;
	m->fds[0] = g->memfd;
}

int
main(int argc, char **argv)
{
	const uint64_t feat = TV_BIT(TV_F_VERSION_1) |
			      TV_BIT(TV_F_VHOST_USER_PROTOCOL_FEATURES) |
			      TV_BIT(TV_F_RING_INDIRECT_DESC);
	const char *path;
	struct tvh_config cfg = {.n_queue_pairs = 1};
	struct tvh_dev_stats st;
	struct tvu_msg m;
	struct mg g;
	int fds_before, efd[2];

	mg_eal_init(argv[0], "msg");
	mp = rte_pktmbuf_pool_create("h2msg", 1023, 0, 0,
				     RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	CHECK(mp != NULL, "mempool");
	path = mg_sock_path("msg");
	cfg.path = path;
	CHECK(tvh_dev_create(&cfg, NULL, NULL, &dev) == 0, "create");
	mg_init(&g);
	mg_connect(&g, path);
	mg_negotiate(&g, feat, tvh_default_protocol_features());
	CHECK(g.reply_ack, "REPLY_ACK not negotiated");
	CHECK(mg_send_mem_table(&g) == 0, "mem table");
	fds_before = mg_count_fds();

	/* Wrong payload size. */
	state_msg(&m, TVU_SET_VRING_NUM, 0, 256);
	m.size = 4;
	expect_refused(&g, &m, "SET_VRING_NUM with a 4-byte payload");
	/* Vring index beyond the device. */
	state_msg(&m, TVU_SET_VRING_NUM, 99, 256);
	expect_refused(&g, &m, "SET_VRING_NUM for vring 99");
	tvu_msg_init(&m, TVU_SET_VRING_CALL, 8);
	m.payload.u64 = 7 | TVU_VRING_NOFD_MASK;
	expect_refused(&g, &m, "SET_VRING_CALL for vring 7");
	/* Too many fds: all closed. */
	efd[0] = eventfd(0, EFD_CLOEXEC);
	efd[1] = eventfd(0, EFD_CLOEXEC);
	state_msg(&m, TVU_SET_VRING_NUM, 0, 256);
	m.n_fds = 2;
	m.fds[0] = efd[0];
	m.fds[1] = efd[1];
	expect_refused(&g, &m, "SET_VRING_NUM with 2 fds");
	tvu_msg_init(&m, TVU_SET_VRING_KICK, 8);
	m.payload.u64 = 0;
	m.n_fds = 2;
	m.fds[0] = efd[0];
	m.fds[1] = efd[1];
	expect_refused(&g, &m, "SET_VRING_KICK with 2 fds");
	close(efd[0]);
	close(efd[1]);
	/* Ring sizes: refused and not stored (a later good set-up that
	 * relies on the earlier valid value still works). */
	state_msg(&m, TVU_SET_VRING_NUM, 1, 3);
	expect_refused(&g, &m, "SET_VRING_NUM 3");
	state_msg(&m, TVU_SET_VRING_NUM, 1, 65536);
	expect_refused(&g, &m, "SET_VRING_NUM 65536");
	state_msg(&m, TVU_SET_VRING_NUM, 1, 0);
	expect_refused(&g, &m, "SET_VRING_NUM 0");
	/* Memory: beyond the file, zero size, offset overflow, overlap. */
	tvh_dev_stats_get(dev, &st);
	mem_msg(&g, &m, MG_MEM_SIZE, 4096);
	expect_refused(&g, &m, "region offset + size beyond the file");
	mem_msg(&g, &m, 0, 0);
	expect_refused(&g, &m, "region of size 0");
	mem_msg(&g, &m, 4096, UINT64_MAX - 100);
	expect_refused(&g, &m, "region offset + size wraps");
	mem_msg(&g, &m, 8192, 0);
	m.size = 8 + 64;
	m.payload.memory.nregions = 2;
	m.payload.memory.regions[1] = m.payload.memory.regions[0];
	m.payload.memory.regions[1].userspace_addr += 1u << 20;
	m.n_fds = 2;
	m.fds[1] = g.memfd;
	expect_refused(&g, &m, "regions overlapping in guest-physical space");
	mem_msg(&g, &m, 8192, 0);
	m.payload.memory.nregions = 2;
	m.size = 8 + 64;
	expect_refused(&g, &m, "2 regions with 1 fd");
	{
		struct tvh_dev_stats st2;

		tvh_dev_stats_get(dev, &st2);
		CHECK(st2.err_mem == st.err_mem + 4, "err_mem %lu -> %lu",
		      st.err_mem, st2.err_mem);
	}
	/* Unknown and unimplemented requests, features not offered. */
	tvu_msg_init(&m, 99, 0);
	expect_refused(&g, &m, "unknown request 99");
	tvu_msg_init(&m, TVU_SET_LOG_BASE, 8);
	expect_refused(&g, &m, "SET_LOG_BASE (logging not offered)");
	tvu_msg_init(&m, TVU_SEND_RARP, 8);
	expect_refused(&g, &m, "SEND_RARP (protocol feature not negotiated)");
	tvu_msg_init(&m, TVU_SET_FEATURES, 8);
	m.payload.u64 = feat | TV_BIT(TV_NET_F_HOST_TSO4);
	expect_refused(&g, &m, "SET_FEATURES with HOST_TSO4");
	tvu_msg_init(&m, TVU_SET_PROTOCOL_FEATURES, 8);
	m.payload.u64 = tvh_default_protocol_features() |
			TV_BIT(TVU_PROTOCOL_F_LOG_SHMFD);
	expect_refused(&g, &m, "SET_PROTOCOL_FEATURES with LOG_SHMFD");
	tvu_msg_init(&m, TVU_SET_VRING_ADDR, sizeof(m.payload.addr));
	m.payload.addr.index = 0;
	m.payload.addr.flags = 1u << TVU_VRING_F_LOG;
	expect_refused(&g, &m, "SET_VRING_ADDR asking for dirty logging");
	state_msg(&m, TVU_SET_VRING_ENABLE, 0, 2);
	expect_refused(&g, &m, "SET_VRING_ENABLE 2");

	/* The library closed every fd it was sent with refused messages
	 * (the memfd is ours and stays open). */
	CHECK(mg_count_fds() == fds_before, "fd leak: %d -> %d", fds_before,
	      mg_count_fds());

	/* Still serves: a good set-up works (vring 1's NUM was never
	 * stored as 3 / 65536 / 0). */
	CHECK(mg_vq_setup(&g, 0, RING) == 0 && mg_vq_setup(&g, 1, RING) == 0,
	      "set-up after refusals");
	CHECK(tvh_dev_is_ready(dev), "not ready");
	check_serves(&g, "after refusals");

	/* Refused while running; the ring keeps working. */
	state_msg(&m, TVU_SET_VRING_NUM, 1, 128);
	expect_refused(&g, &m, "SET_VRING_NUM on a running ring");
	state_msg(&m, TVU_SET_VRING_BASE, 1, 5);
	expect_refused(&g, &m, "SET_VRING_BASE on a running ring");
	check_serves(&g, "after refusals on a running ring");

	/* Ring addresses outside memory / misaligned: err_ring. */
	{
		uint32_t base = mg_vq_stop(&g, 1);
		struct tvu_vring_addr a;
		struct tvh_dev_stats s0, s1;

		tvh_dev_stats_get(dev, &s0);
		CHECK(!tvh_dev_is_ready(dev), "ready with vring 1 stopped");
		state_msg(&m, TVU_SET_VRING_NUM, 1, RING);
		CHECK(send_ack(&g, &m) == 0, "num");
		memset(&a, 0, sizeof(a));
		a.index = 1;
		a.desc_user_addr = (uint64_t)(uintptr_t)g.vq[1].ring.desc + 8;
		a.avail_user_addr = (uint64_t)(uintptr_t)g.vq[1].ring.avail;
		a.used_user_addr = (uint64_t)(uintptr_t)g.vq[1].ring.used;
		CHECK(tvu_fe_set_vring_addr(g.sock, &a, true) == 0, "addr");
		tvu_msg_init(&m, TVU_SET_VRING_KICK, 8);
		m.payload.u64 = 1 | TVU_VRING_NOFD_MASK;
		expect_refused(&g, &m,
			       "kick of a ring with a misaligned table");
		a.desc_user_addr = (uint64_t)(uintptr_t)g.mem + MG_MEM_SIZE -
				   1024; /* 4 KiB table: past the end */
		CHECK(tvu_fe_set_vring_addr(g.sock, &a, true) == 0, "addr");
		tvu_msg_init(&m, TVU_SET_VRING_KICK, 8);
		m.payload.u64 = 1 | TVU_VRING_NOFD_MASK;
		expect_refused(
			&g, &m,
			"kick of a ring whose table is beyond the memory");
		tvh_dev_stats_get(dev, &s1);
		CHECK(s1.err_ring == s0.err_ring + 2, "err_ring %lu -> %lu",
		      s0.err_ring, s1.err_ring);
		g.vq[1].avail_idx = (uint16_t)base;
		g.vq[1].used_seen = (uint16_t)base;
		CHECK(mg_vq_setup(&g, 1, RING) == 0, "restart");
		check_serves(&g, "after bad ring addresses");
	}

	/* A query that cannot be answered ends the session; a message
	 * larger than TVU_PAYLOAD_MAX too. The device accepts a new
	 * front-end and serves it. */
	{
		struct tvh_dev_stats s0, s1;
		struct tvu_msg r;
		uint8_t big[12 + 600];

		tvh_dev_stats_get(dev, &s0);
		state_msg(&m, TVU_GET_VRING_BASE, 42, 0);
		CHECK(tvu_send(g.sock, &m) == 0, "send");
		CHECK(tvu_recv(g.sock, &r) < 0, "session survived");
		mg_fini(&g);
		mg_init(&g);
		mg_connect(&g, path);
		memset(big, 0, sizeof(big));
		big[0] = TVU_SET_FEATURES;
		big[4] = TVU_FLAG_VERSION;
		big[8] = 600 & 0xff;
		big[9] = 600 >> 8;
		CHECK(write(g.sock, big, sizeof(big)) == sizeof(big), "write");
		CHECK(tvu_recv(g.sock, &r) < 0, "oversized message accepted");
		mg_fini(&g);
		tvh_dev_stats_get(dev, &s1);
		CHECK(s1.err_msg == s0.err_msg + 2 &&
			      s1.disconnects == s0.disconnects + 2,
		      "err_msg %lu -> %lu, disconnects %lu -> %lu", s0.err_msg,
		      s1.err_msg, s0.disconnects, s1.disconnects);
		printf("ok session ended: bad GET_VRING_BASE, 600-byte "
		       "payload\n");
		mg_init(&g);
		mg_setup(&g, path, feat, 2, RING);
		check_serves(&g, "after reconnect");
	}
	mg_fini(&g);
	tvh_dev_destroy(dev);
	CHECK(rte_mempool_avail_count(mp) == 1023, "mbufs leaked");
	rte_mempool_free(mp);
	rte_eal_cleanup();
	printf("PASS\n");
	return 0;
}
