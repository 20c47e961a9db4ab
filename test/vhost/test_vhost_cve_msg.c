/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * The published DPDK vhost CVEs whose input is a vhost-user message, and
 * the attack classes of the same kind, each sent to lib/vhost through the
 * real socket by the mock front-end (see test_vhost_cve.h for what every
 * case checks besides its own assertions: a payload-checked round both
 * ways afterwards, no fd, mapping or mbuf leaked). doc/security.md is the
 * table of cases.
 *
 * Where a CVE concerns a message Tandem does not implement (dirty log,
 * inflight tracking), the same input is sent anyway: it must be refused
 * with its fds closed and nothing mapped, and the device must keep
 * serving.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_eal.h>

#include "test_vhost_cve.h"

/* VIRTIO_F_LOG_ALL (vhost-user: "dirty logging of all memory"). Not in
 * tv_vring.h because Tandem never offers it. */
#define CVE_F_LOG_ALL 26

/* GET/SET_INFLIGHT_FD payload as C front-ends send it (tvu_msg.c accepts
 * 20 or 24 bytes). */
struct cve_inflight {
	uint64_t mmap_size;
	uint64_t mmap_offset;
	uint16_t num_queues;
	uint16_t queue_size;
	uint32_t padding;
};

static uint64_t
err_msg(void)
{
	return cve_dev_stats().err_msg;
}

static void
state_msg(struct tvu_msg *m, uint32_t req, uint32_t index, uint32_t num)
{
	tvu_msg_init(m, req, sizeof(m->payload.state));
	m->payload.state.index = index;
	m->payload.state.num = num;
}

/* SET_MEM_TABLE with one region [gpa, gpa + size) at `offset` of fd. */
static void
mem_msg(struct tvu_msg *m, int fd, uint64_t gpa, uint64_t size, uint64_t offset)
{
	tvu_msg_init(m, TVU_SET_MEM_TABLE, 8 + 32);
	m->payload.memory.nregions = 1;
	m->payload.memory.regions[0].guest_phys_addr = gpa;
	m->payload.memory.regions[0].memory_size = size;
	/* Far from the mock's own memory: no overlap questions. */
	m->payload.memory.regions[0].userspace_addr = 0x7e0000000000ull + gpa;
	m->payload.memory.regions[0].mmap_offset = offset;
	m->n_fds = 1;
	m->fds[0] = fd;
}

static void
inflight_msg(struct tvu_msg *m, uint32_t req, uint64_t size, uint64_t offset,
	     uint16_t n_queues, uint16_t queue_size)
{
	struct cve_inflight in = {.mmap_size = size,
				  .mmap_offset = offset,
				  .num_queues = n_queues,
				  .queue_size = queue_size};

	tvu_msg_init(m, req, sizeof(in));
	memcpy(m->payload.raw, &in, sizeof(in));
}

/* Expect `m` refused under REPLY_ACK: status != 0, err_msg + 1, and every
 * fd it carried closed by the back-end (the caller still holds its own
 * copies, so the count must not move). */
static void
refused(struct tvu_msg *m, const char *what)
{
	uint64_t e0 = err_msg();
	int fds0 = mg_count_fds();

	CASE_CHECK(cve_send_ack(m) != 0, "%s: accepted", what);
	CASE_CHECK(err_msg() == e0 + 1, "%s: err_msg %lu -> %lu", what, e0,
		   err_msg());
	CASE_CHECK(mg_count_fds() == fds0,
		   "%s: fds %d -> %d (kept by the "
		   "back-end)",
		   what, fds0, mg_count_fds());
}

/* Expect `m` (a query the back-end cannot answer, or an unreadable
 * message) to end the session, counted in err_msg. */
static void
ends_session(struct tvu_msg *m, const char *what)
{
	struct tvh_dev_stats s0 = cve_dev_stats(), s1;

	CASE_CHECK(tvu_send(cve.g.sock, m) == 0, "%s: send", what);
	CASE_CHECK(cve_peer_closed(cve.g.sock, 3000), "%s: the session went on",
		   what);
	cve_hangup();
	s1 = cve_dev_stats();
	CASE_CHECK(s1.err_msg == s0.err_msg + 1 &&
			   s1.disconnects == s0.disconnects + 1,
		   "%s: err_msg %lu -> %lu, disconnects %lu -> %lu", what,
		   s0.err_msg, s1.err_msg, s0.disconnects, s1.disconnects);
}

/* Stop ring vq and take back what the back-end returned; returns the
 * base. */
static uint32_t
stop_ring(uint32_t vq)
{
	uint32_t base = UINT32_MAX, id, len;

	CASE_CHECK(tvu_fe_get_vring_base(cve.g.sock, vq, &base) == 0,
		   "GET_VRING_BASE %u", vq);
	while (mg_used_next(&cve.g, vq, &id, &len))
		;
	cve.g.vq[vq].avail_idx = (uint16_t)base;
	mg_round_reset(&cve.g);
	return base;
}

/* The set-up of ring vq after NUM (ADDR, BASE, CALL, KICK, ENABLE), each
 * acknowledged. */
static void
setup_after_num(uint32_t vq)
{
	struct mg *g = &cve.g;
	struct mg_vq *q = &g->vq[vq];
	struct tvu_vring_addr a;

	memset(&a, 0, sizeof(a));
	a.index = vq;
	a.desc_user_addr = (uint64_t)(uintptr_t)q->ring.desc;
	a.avail_user_addr = (uint64_t)(uintptr_t)q->ring.avail;
	a.used_user_addr = (uint64_t)(uintptr_t)q->ring.used;
	CASE_CHECK(tvu_fe_set_vring_addr(g->sock, &a, true) == 0, "ADDR");
	CASE_CHECK(tvu_fe_set_vring_state(g->sock, TVU_SET_VRING_BASE, vq,
					  q->avail_idx, true) == 0,
		   "BASE");
	CASE_CHECK(tvu_fe_set_vring_fd(g->sock, TVU_SET_VRING_CALL, vq,
				       q->call_fd) == 0,
		   "CALL");
	CASE_CHECK(tvu_fe_set_vring_fd(g->sock, TVU_SET_VRING_KICK, vq,
				       q->kick_fd) == 0,
		   "KICK");
	CASE_CHECK(tvu_fe_set_vring_state(g->sock, TVU_SET_VRING_ENABLE, vq, 1,
					  true) == 0,
		   "ENABLE");
}

/* A packet in descriptor 255 (the last of a 256-entry ring) is served:
 * the ring runs with 256 entries, not a smaller refused size. */
static void
tx_last_desc(const char *when)
{
	struct mg *g = &cve.g;
	uint8_t pkt[64], *buf = cve_scratch(CVE_HDR + sizeof(pkt), 0);
	struct tv_desc *d = &g->vq[1].ring.desc[CVE_RING - 1];
	struct rte_mbuf *m = NULL;
	uint32_t id, len;

	mg_fill(pkt, sizeof(pkt), 255);
	memcpy(buf + CVE_HDR, pkt, sizeof(pkt));
	d->addr = mg_gpa(g, buf);
	d->len = CVE_HDR + sizeof(pkt);
	d->flags = 0;
	d->next = 0;
	mg_avail_add(g, 1, CVE_RING - 1);
	mg_avail_publish(g, 1);
	CASE_CHECK(tvh_dequeue_burst(cve.dev, 1, cve.mp, &m, 1) == 1,
		   "%s: descriptor 255 not served", when);
	CASE_CHECK(mg_mbuf_cmp(m, pkt, sizeof(pkt)) == 0, "%s: bytes", when);
	rte_pktmbuf_free(m);
	CASE_CHECK(mg_used_next(g, 1, &id, &len) && id == CVE_RING - 1,
		   "%s: used id", when);
}

static long
vm_size_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	CASE_CHECK(f != NULL, "status");
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmSize: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/* ---- The CVEs ---- */

/* CVE-2019-14818: crafted SET_VRING_NUM messages leaked memory and the
 * fds attached to messages. 1000 refused ones, each carrying an fd, and
 * 1000 accepted ones on a stopped ring: no fd, no mapping left. */
static void
cve_2019_14818_vring_num_leak(void)
{
	int e = eventfd(0, EFD_CLOEXEC), fds0, maps0;
	uint64_t e0 = err_msg();
	struct tvu_msg m;
	uint32_t base, base2 = UINT32_MAX;

	CASE_CHECK(e >= 0, "eventfd");
	fds0 = mg_count_fds();
	maps0 = mg_count_maps();
	for (uint32_t i = 0; i < 1000; i++) {
		state_msg(&m, TVU_SET_VRING_NUM, i & 1, CVE_RING);
		m.n_fds = 1;
		m.fds[0] = e;
		CASE_CHECK(cve_send_ack(&m) != 0, "SET_VRING_NUM with an fd");
	}
	close(e);
	CASE_CHECK(err_msg() == e0 + 1000, "err_msg +%lu, want +1000",
		   err_msg() - e0);
	CASE_CHECK(mg_count_fds() == fds0 - 1, "fds %d -> %d after 1000",
		   fds0 - 1, mg_count_fds());
	CASE_CHECK(cve_logged("SET_VRING_NUM: 1 fds, expected 0..0"),
		   "refusal not logged");
	/* GET_VRING_BASE closes the back-end's copy of the kick fd. */
	base = stop_ring(1);
	fds0 = mg_count_fds();
	for (uint32_t i = 0; i < 1000; i++) {
		state_msg(&m, TVU_SET_VRING_NUM, 1, 1u << (i % 16));
		CASE_CHECK(cve_send_ack(&m) == 0, "SET_VRING_NUM %u",
			   1u << (i % 16));
	}
	CASE_CHECK(mg_count_maps() == maps0 && mg_count_fds() == fds0,
		   "1000 SET_VRING_NUM: maps %d -> %d, fds %d -> %d", maps0,
		   mg_count_maps(), fds0, mg_count_fds());
	/* The ring is still stopped: GET_VRING_BASE answers the base it
	 * keeps, which no accepted NUM may have changed. */
	CASE_CHECK(tvu_fe_get_vring_base(cve.g.sock, 1, &base2) == 0 &&
			   base2 == base,
		   "base %u after 1000 SET_VRING_NUM, want %u", base2, base);
	CASE_CHECK(mg_vq_setup(&cve.g, 1, CVE_RING) == 0, "set-up");
	cve_good_round("after 2000 SET_VRING_NUM");
}

/* CVE-2020-10722: SET_LOG_BASE's mmap_size + mmap_offset overflowed, so
 * a smaller area was mapped than later written. Logging is not offered:
 * every form is refused, the log fd closed, nothing mapped. */
static void
cve_2020_10722_log_base_overflow(void)
{
	static const struct tvu_log logs[] = {
		{.mmap_size = 0x1000, .mmap_offset = UINT64_MAX - 0xfff},
		{.mmap_size = UINT64_MAX, .mmap_offset = 2},
		{.mmap_size = 0x1000, .mmap_offset = 0},
	};
	int lfd = cve_memfd("cve-log", 4096);
	struct tvu_msg m;

	for (unsigned int i = 0; i < RTE_DIM(logs); i++) {
		tvu_msg_init(&m, TVU_SET_LOG_BASE, sizeof(m.payload.log));
		m.payload.log = logs[i];
		m.n_fds = 1;
		m.fds[0] = lfd;
		refused(&m, "SET_LOG_BASE");
	}
	tvu_msg_init(&m, TVU_SET_LOG_FD, 0);
	m.n_fds = 1;
	m.fds[0] = lfd;
	refused(&m, "SET_LOG_FD");
	CASE_CHECK(!cve_maps_mention("cve-log"), "the log was mapped");
	close(lfd);
	CASE_CHECK(cve_logged("dirty logging was not offered"),
		   "refusal not logged");
	/* Nor can logging be negotiated. */
	tvu_msg_init(&m, TVU_SET_FEATURES, 8);
	m.payload.u64 = cve.feat | TV_BIT(CVE_F_LOG_ALL);
	refused(&m, "SET_FEATURES with LOG_ALL");
	tvu_msg_init(&m, TVU_SET_PROTOCOL_FEATURES, 8);
	m.payload.u64 = cve.g.pfeatures | TV_BIT(TVU_PROTOCOL_F_LOG_SHMFD);
	refused(&m, "SET_PROTOCOL_FEATURES with LOG_SHMFD");
	cve_good_round("after SET_LOG_BASE");
}

/* CVE-2020-10723: a vring index was truncated to 16 bits before it was
 * checked. 0x10001 must be refused as vring 65537, not act on vring 1
 * (which runs meanwhile and must be untouched). */
static void
cve_2020_10723_vring_index_truncation(void)
{
	const uint32_t bad = 0x10001;
	int e = eventfd(0, EFD_CLOEXEC);
	struct tvu_msg m;

	CASE_CHECK(e >= 0, "eventfd");
	tvu_msg_init(&m, TVU_SET_VRING_ADDR, sizeof(m.payload.addr));
	m.payload.addr.index = bad;
	m.payload.addr.desc_user_addr = 0x1000;
	m.payload.addr.avail_user_addr = 0x2000;
	m.payload.addr.used_user_addr = 0x3000;
	refused(&m, "SET_VRING_ADDR for vring 0x10001");
	CASE_CHECK(cve_logged("SET_VRING_ADDR: vring 65537, device has 2"),
		   "refusal not logged");
	state_msg(&m, TVU_SET_VRING_ENABLE, bad, 0);
	refused(&m, "SET_VRING_ENABLE 0 for vring 0x10001");
	state_msg(&m, TVU_SET_VRING_NUM, bad, 128);
	refused(&m, "SET_VRING_NUM for vring 0x10001");
	state_msg(&m, TVU_SET_VRING_BASE, bad, 77);
	refused(&m, "SET_VRING_BASE for vring 0x10001");
	state_msg(&m, TVU_SET_VRING_ENABLE, 2, 0);
	refused(&m, "SET_VRING_ENABLE for vring 2 (= the number of rings)");
	state_msg(&m, TVU_SET_VRING_NUM, UINT32_MAX, 128);
	refused(&m, "SET_VRING_NUM for vring 0xffffffff");
	/* Vring files: bits above the 8-bit index and NOFD. */
	tvu_msg_init(&m, TVU_SET_VRING_CALL, 8);
	m.payload.u64 = 1u | (1u << 16);
	m.n_fds = 1;
	m.fds[0] = e;
	refused(&m, "SET_VRING_CALL for 0x10001");
	tvu_msg_init(&m, TVU_SET_VRING_KICK, 8);
	m.payload.u64 = 1u | TVU_VRING_NOFD_MASK | (1ull << 32);
	refused(&m, "SET_VRING_KICK for 0x100000101");
	close(e);
	/* Vring 1 still has its addresses, size and fds. */
	cve_good_round("after the truncated indexes");
	state_msg(&m, TVU_GET_VRING_BASE, bad, 0);
	ends_session(&m, "GET_VRING_BASE for vring 0x10001");
	cve_reconnect();
}

/* CVE-2020-10726: every GET_INFLIGHT_FD leaked an fd and a mapping.
 * Inflight tracking is not offered: each one is a query the back-end
 * cannot answer, so it ends the session. 50 of them, each on a new
 * connection, some with absurd sizes. */
static void
cve_2020_10726_get_inflight_fd_repeated(void)
{
	struct tvh_dev_stats s0 = cve_dev_stats(), s1;
	struct tvu_msg m;

	for (uint32_t i = 0; i < 50; i++) {
		if (i > 0)
			mg_connect(&cve.g, cve.path);
		inflight_msg(&m, TVU_GET_INFLIGHT_FD,
			     i & 1 ? UINT64_MAX - i : 0, i & 2 ? UINT64_MAX : 0,
			     i & 1 ? 0xffff : 2, i & 1 ? 0xffff : CVE_RING);
		CASE_CHECK(tvu_send(cve.g.sock, &m) == 0, "send %u", i);
		CASE_CHECK(cve_peer_closed(cve.g.sock, 3000),
			   "GET_INFLIGHT_FD %u answered", i);
		cve_hangup();
	}
	s1 = cve_dev_stats();
	CASE_CHECK(s1.err_msg == s0.err_msg + 50 &&
			   s1.disconnects == s0.disconnects + 50,
		   "err_msg +%lu, disconnects +%lu (want 50 each)",
		   s1.err_msg - s0.err_msg, s1.disconnects - s0.disconnects);
	CASE_CHECK(cve_logged("GET_INFLIGHT_FD: protocol feature 12 not "
			      "negotiated"),
		   "refusal not logged");
	cve_reconnect();
	cve_good_round("after 50 GET_INFLIGHT_FD");
}

/* CVE-2021-3839: SET_INFLIGHT_FD's num_queues was not checked (out of
 * bounds accesses). Refused (inflight not negotiated, and it cannot be),
 * its fd closed, nothing mapped, the session goes on. */
static void
cve_2021_3839_set_inflight_num_queues(void)
{
	int ifd = cve_memfd("cve-inflight", 1u << 20);
	struct tvu_msg m;

	inflight_msg(&m, TVU_SET_INFLIGHT_FD, 1u << 20, 0, 0xffff, 0xffff);
	m.n_fds = 1;
	m.fds[0] = ifd;
	refused(&m, "SET_INFLIGHT_FD with 65535 queues");
	CASE_CHECK(cve_logged("SET_INFLIGHT_FD: protocol feature 12 not "
			      "negotiated"),
		   "refusal not logged");
	inflight_msg(&m, TVU_SET_INFLIGHT_FD, 1u << 20, 0, 0, 0);
	m.n_fds = 1;
	m.fds[0] = ifd;
	refused(&m, "SET_INFLIGHT_FD with 0 queues of 0");
	tvu_msg_init(&m, TVU_SET_PROTOCOL_FEATURES, 8);
	m.payload.u64 = cve.g.pfeatures | TV_BIT(TVU_PROTOCOL_F_INFLIGHT_SHMFD);
	refused(&m, "SET_PROTOCOL_FEATURES with INFLIGHT_SHMFD");
	inflight_msg(&m, TVU_SET_INFLIGHT_FD, 1u << 20, 0, 2, CVE_RING);
	m.n_fds = 1;
	m.fds[0] = ifd;
	refused(&m, "SET_INFLIGHT_FD after trying to negotiate it");
	CASE_CHECK(!cve_maps_mention("cve-inflight"), "inflight area mapped");
	close(ifd);
	cve_good_round("after SET_INFLIGHT_FD");
}

/* CVE-2022-0669: fds attached to GET/SET_INFLIGHT_FD were not closed.
 * Up to 8 fds (the most a message may carry), and 12 (more than that),
 * on those and other messages: all closed. */
static void
cve_2022_0669_inflight_fds(void)
{
	int efd[12], fds0, rc;
	struct tvu_msg m;

	fds0 = mg_count_fds();
	for (unsigned int i = 0; i < RTE_DIM(efd); i++) {
		efd[i] = eventfd(0, EFD_CLOEXEC);
		CASE_CHECK(efd[i] >= 0, "eventfd");
	}
	inflight_msg(&m, TVU_SET_INFLIGHT_FD, 4096, 0, 2, CVE_RING);
	m.n_fds = TVU_MAX_FDS;
	memcpy(m.fds, efd, TVU_MAX_FDS * sizeof(int));
	refused(&m, "SET_INFLIGHT_FD with 8 fds");
	inflight_msg(&m, TVU_GET_INFLIGHT_FD, 4096, 0, 2, CVE_RING);
	m.n_fds = 3;
	memcpy(m.fds, efd, 3 * sizeof(int));
	ends_session(&m, "GET_INFLIGHT_FD with 3 fds");
	cve_reconnect();
	/* 12 fds: more than the transport takes; the session ends. */
	{
		struct tvu_vring_state st = {.index = 0, .num = CVE_RING};
		struct tvh_dev_stats s0 = cve_dev_stats(), s1;

		rc = cve_send_raw(cve.g.sock, TVU_SET_VRING_NUM,
				  TVU_FLAG_VERSION, sizeof(st), &st, sizeof(st),
				  efd, RTE_DIM(efd));
		CASE_CHECK(rc == 0, "sendmsg with 12 fds: %s", strerror(-rc));
		CASE_CHECK(cve_peer_closed(cve.g.sock, 3000),
			   "a message with 12 fds was taken");
		cve_hangup();
		s1 = cve_dev_stats();
		CASE_CHECK(s1.err_msg == s0.err_msg + 1, "not counted");
	}
	for (unsigned int i = 0; i < RTE_DIM(efd); i++)
		close(efd[i]);
	/* The new connection below has the same number of fds as the one
	 * before: compare with the same shape. */
	cve_reconnect();
	CASE_CHECK(mg_count_fds() == fds0, "fds %d -> %d", fds0,
		   mg_count_fds());
	cve_good_round("after messages with 8 and 12 fds");
}

/* ---- Attack classes: memory, log and inflight areas ---- */

/* A region whose offset + size lies beyond the end of the file behind
 * its fd maps fine and dies of SIGBUS at the first touch: refused after
 * fstat, never mapped. The old table stays in use. */
static void
class_region_beyond_file(void)
{
	static const struct {
		uint64_t size, offset;
	} bad[] = {
		{1u << 20, 0},		 /* 1 MiB of a 64 KiB file */
		{8192, 60 * 1024},	 /* starts inside, ends outside */
		{4096, 64 * 1024},	 /* starts at the end */
		{1ull << 46, 0},	 /* absurd */
		{4096, UINT64_MAX - 100} /* offset wraps */
	};
	int mfd = cve_memfd("cve-short", 64 * 1024);
	struct tvh_dev_stats s0 = cve_dev_stats(), s1;
	struct tvu_msg m;

	for (unsigned int i = 0; i < RTE_DIM(bad); i++) {
		mem_msg(&m, mfd, 1ull << 40, bad[i].size, bad[i].offset);
		refused(&m, "region beyond its file");
	}
	CASE_CHECK(cve_logged("exceeds its file"), "refusal not logged");
	/* The file shrinks to nothing. */
	CASE_CHECK(ftruncate(mfd, 0) == 0, "truncate");
	mem_msg(&m, mfd, 1ull << 40, 4096, 0);
	refused(&m, "region of an empty file");
	s1 = cve_dev_stats();
	CASE_CHECK(s1.err_mem == s0.err_mem + RTE_DIM(bad) + 1,
		   "err_mem +%lu, want +%zu", s1.err_mem - s0.err_mem,
		   RTE_DIM(bad) + 1);
	CASE_CHECK(!cve_maps_mention("cve-short"), "a refused region mapped");
	close(mfd);
	cve_good_round("with the old memory table");
}

/* The dirty log area beyond its file: refused (logging is not offered),
 * the fd closed, nothing mapped. */
static void
class_log_beyond_file(void)
{
	int lfd = cve_memfd("cve-log-short", 4096);
	struct tvu_msg m;

	tvu_msg_init(&m, TVU_SET_LOG_BASE, sizeof(m.payload.log));
	m.payload.log.mmap_size = 1u << 20;
	m.payload.log.mmap_offset = 0;
	m.n_fds = 1;
	m.fds[0] = lfd;
	refused(&m, "SET_LOG_BASE of 1 MiB on a 4 KiB file");
	CASE_CHECK(!cve_maps_mention("cve-log-short"), "the log was mapped");
	close(lfd);
	cve_good_round("after SET_LOG_BASE");
}

/* The inflight area beyond its file, or of absurd size: refused, fd
 * closed, nothing mapped; GET_INFLIGHT_FD (a query) ends the session
 * without allocating what it asks for. */
static void
class_inflight_area(void)
{
	int ifd = cve_memfd("cve-infl-short", 4096);
	long vm0 = vm_size_kb();
	struct tvu_msg m;

	inflight_msg(&m, TVU_SET_INFLIGHT_FD, 1ull << 40, 0, 2, CVE_RING);
	m.n_fds = 1;
	m.fds[0] = ifd;
	refused(&m, "SET_INFLIGHT_FD of 1 TiB on a 4 KiB file");
	inflight_msg(&m, TVU_SET_INFLIGHT_FD, 4096, 8192, 2, CVE_RING);
	m.n_fds = 1;
	m.fds[0] = ifd;
	refused(&m, "SET_INFLIGHT_FD at an offset beyond the file");
	CASE_CHECK(!cve_maps_mention("cve-infl-short"), "inflight mapped");
	close(ifd);
	inflight_msg(&m, TVU_GET_INFLIGHT_FD, 1ull << 62, 0, 0xffff, 0x8000);
	ends_session(&m, "GET_INFLIGHT_FD for 2^62 bytes");
	CASE_CHECK(vm_size_kb() - vm0 < 64 * 1024, "VmSize grew %ld kB",
		   vm_size_kb() - vm0);
	cve_reconnect();
	cve_good_round("after the inflight messages");
}

/* ---- Attack classes: ring sizes and restarts ---- */

/* A refused SET_VRING_NUM is not stored: a ring set up without a valid
 * NUM does not start, and one set up with a valid NUM before the refused
 * one runs with the valid size. */
static void
class_vring_num_refused_not_stored(void)
{
	struct tvu_msg m;

	stop_ring(1);
	state_msg(&m, TVU_SET_VRING_NUM, 1, 3);
	refused(&m, "SET_VRING_NUM 3");
	CASE_CHECK(cve_logged("vring 1 size 3 is not a power of two"),
		   "refusal not logged");
	setup_after_num(1);
	CASE_CHECK(!tvh_vq_is_enabled(cve.dev, 1) && !tvh_dev_is_ready(cve.dev),
		   "a ring without a valid size started");
	cve_expect_stopped(1, "ring whose only NUM was refused");
	/* Once kicked, the size cannot change: the front-end must stop the
	 * ring first (GET_VRING_BASE). */
	state_msg(&m, TVU_SET_VRING_NUM, 1, CVE_RING);
	refused(&m, "SET_VRING_NUM on a kicked ring");
	cve_restart(1);
	cve_good_round("after a proper set-up");
	/* Valid 256 first, then a refused 65536: the ring runs with 256. */
	stop_ring(1);
	state_msg(&m, TVU_SET_VRING_NUM, 1, CVE_RING);
	CASE_CHECK(cve_send_ack(&m) == 0, "NUM 256");
	state_msg(&m, TVU_SET_VRING_NUM, 1, 65536);
	refused(&m, "SET_VRING_NUM 65536");
	setup_after_num(1);
	CASE_CHECK(tvh_vq_is_enabled(cve.dev, 1), "ring 1 did not start");
	tx_last_desc("after NUM 256 then a refused 65536");
	cve_good_round("after NUM 256 then a refused 65536");
}

/* SET_VRING_NUM while the ring runs: refused (EBUSY), the ring keeps its
 * size and serves. */
static void
class_vring_num_while_running(void)
{
	struct tvu_msg m;

	state_msg(&m, TVU_SET_VRING_NUM, 1, 128);
	refused(&m, "SET_VRING_NUM 128 on a running ring");
	CASE_CHECK(cve_logged("vring 1 is running (stop it first)"),
		   "refusal not logged");
	state_msg(&m, TVU_SET_VRING_NUM, 1, 32768);
	refused(&m, "SET_VRING_NUM 32768 on a running ring");
	tx_last_desc("after NUM on a running ring");
	cve_good_round("after NUM on a running ring");
}

/* After GET_VRING_BASE the ring must be set up again with a new NUM: a
 * set-up without one does not start the ring (the old size is not
 * reused); the back-end stays safe and a full set-up works. */
static void
class_restart_without_num(void)
{
	uint32_t base = stop_ring(1), base2 = UINT32_MAX;

	setup_after_num(1);
	CASE_CHECK(!tvh_vq_is_enabled(cve.dev, 1),
		   "ring restarted without SET_VRING_NUM");
	cve_expect_stopped(1, "restart without NUM");
	CASE_CHECK(tvu_fe_get_vring_base(cve.g.sock, 1, &base2) == 0 &&
			   base2 == base,
		   "base %u after a stop that did not run, want %u", base2,
		   base);
	cve.g.vq[1].avail_idx = (uint16_t)base;
	mg_round_reset(&cve.g);
	CASE_CHECK(mg_vq_setup(&cve.g, 1, CVE_RING) == 0, "full set-up");
	cve_good_round("after a full set-up");
}

/* ---- Attack classes: fds on error paths ---- */

static void
class_fd_leak_error_paths(void)
{
	struct tvh_dev_stats s0 = cve_dev_stats(), s1;
	int good = cve_memfd("cve-good", 64 * 1024);
	int ro, devnull, p[2], dir, e;
	uint64_t n_mem = 0;
	char path[64];
	struct stat st;
	struct tvu_msg m;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", good);
	ro = open(path, O_RDONLY | O_CLOEXEC);
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	dir = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	e = eventfd(0, EFD_CLOEXEC);
	CASE_CHECK(ro >= 0 && devnull >= 0 && dir >= 0 && e >= 0 &&
			   pipe(p) == 0,
		   "fds");
	/* Regions whose fd cannot be mapped (the first refusal is the one
	 * logged: the limiter allows one line a second). */
	mem_msg(&m, ro, 1ull << 40, 64 * 1024, 0);
	refused(&m, "region of a read-only file (mmap fails)");
	n_mem++;
	CASE_CHECK(cve_logged("failed: Permission denied"),
		   "mmap failure not logged");
	mem_msg(&m, devnull, 1ull << 40, 4096, 0);
	refused(&m, "region of /dev/null");
	n_mem++;
	mem_msg(&m, p[0], 1ull << 40, 4096, 0);
	refused(&m, "region of a pipe");
	n_mem++;
	if (fstat(dir, &st) == 0 && st.st_size >= 4096) {
		mem_msg(&m, dir, 1ull << 40, 4096, 0);
		refused(&m, "region of a directory");
		n_mem++;
	}
	/* The second region fails after the first was mapped: the first
	 * is unmapped again. */
	mem_msg(&m, good, 1ull << 40, 64 * 1024, 0);
	m.size = 8 + 64;
	m.payload.memory.nregions = 2;
	m.payload.memory.regions[1] = m.payload.memory.regions[0];
	m.payload.memory.regions[1].guest_phys_addr += 1u << 20;
	m.payload.memory.regions[1].userspace_addr += 1u << 20;
	m.n_fds = 2;
	m.fds[1] = ro;
	refused(&m, "good region, then one whose mmap fails");
	n_mem++;
	CASE_CHECK(!cve_maps_mention("cve-good"),
		   "the first region stayed mapped");
	/* Messages refused after their fds arrived. */
	tvu_msg_init(&m, TVU_SET_FEATURES, 8);
	m.payload.u64 = cve.feat;
	m.n_fds = 1;
	m.fds[0] = e;
	refused(&m, "SET_FEATURES with an fd");
	tvu_msg_init(&m, 99, 0);
	m.n_fds = 3;
	m.fds[0] = e;
	m.fds[1] = good;
	m.fds[2] = p[1];
	refused(&m, "unknown request 99 with 3 fds");
	tvu_msg_init(&m, TVU_SET_VRING_CALL, 8);
	m.payload.u64 = 1;
	m.n_fds = 1;
	m.fds[0] = p[1];
	refused(&m, "SET_VRING_CALL with a pipe");
	tvu_msg_init(&m, TVU_SET_VRING_KICK, 8);
	m.payload.u64 = 1 | TVU_VRING_NOFD_MASK;
	m.n_fds = 1;
	m.fds[0] = e;
	refused(&m, "SET_VRING_KICK with NOFD and an fd");
	s1 = cve_dev_stats();
	CASE_CHECK(s1.err_mem == s0.err_mem + n_mem, "err_mem +%lu, want +%lu",
		   s1.err_mem - s0.err_mem, n_mem);
	close(good);
	close(ro);
	close(devnull);
	close(dir);
	close(e);
	close(p[0]);
	close(p[1]);
	cve_good_round("after the refused fds");
}

/* ---- Attack classes: protocol features not negotiated ---- */

/* SET_STATUS / GET_STATUS without PROTOCOL_F_STATUS: refused (the query
 * ends the session); the device is not reset by the refused SET_STATUS. */
static void
class_status_not_negotiated(void)
{
	struct tvu_msg m;

	CASE_CHECK(!(cve.g.pfeatures & TV_BIT(TVU_PROTOCOL_F_STATUS)),
		   "STATUS negotiated");
	tvu_msg_init(&m, TVU_SET_STATUS, 8);
	m.payload.u64 = 0;
	refused(&m, "SET_STATUS 0 without PROTOCOL_F_STATUS");
	CASE_CHECK(cve_logged("SET_STATUS: protocol feature 16 not "
			      "negotiated"),
		   "refusal not logged");
	CASE_CHECK(tvh_dev_is_ready(cve.dev), "the refused reset happened");
	cve_good_round("after the refused SET_STATUS");
	tvu_msg_init(&m, TVU_NET_SET_MTU, 8);
	m.payload.u64 = 9000;
	refused(&m, "NET_SET_MTU without PROTOCOL_F_NET_MTU");
	tvu_msg_init(&m, TVU_GET_STATUS, 0);
	ends_session(&m, "GET_STATUS without PROTOCOL_F_STATUS");
	cve_reconnect();
}

/* SET_VRING_ENABLE without VHOST_USER_F_PROTOCOL_FEATURES (vhost-user:
 * "should be sent only when VHOST_USER_F_PROTOCOL_FEATURES has been
 * negotiated"; without it rings are enabled by their kick). Without the
 * feature there is no REPLY_ACK: the message is followed by a query. */
static void
class_vring_enable_not_negotiated(void)
{
	uint64_t e0 = err_msg();
	struct tvu_msg m;

	CASE_CHECK(!cve.g.reply_ack, "REPLY_ACK negotiated");
	state_msg(&m, TVU_SET_VRING_ENABLE, 1, 0);
	cve_send_sync(&m);
	CASE_CHECK(err_msg() == e0 + 1,
		   "SET_VRING_ENABLE without PROTOCOL_FEATURES accepted "
		   "(err_msg %lu -> %lu)",
		   e0, err_msg());
	cve_good_round("after SET_VRING_ENABLE 0");
}

/* NEED_REPLY without REPLY_ACK negotiated: the back-end must not answer
 * (a front-end that did not negotiate it does not read replies), accepted
 * or refused; the stream stays in step. */
static void
class_need_reply_without_reply_ack(void)
{
	uint64_t e0 = err_msg();
	struct tvu_msg m;

	CASE_CHECK(!cve.g.reply_ack, "REPLY_ACK negotiated");
	state_msg(&m, TVU_SET_VRING_NUM, 1, 128);
	m.flags |= TVU_FLAG_NEED_REPLY;
	CASE_CHECK(tvu_send(cve.g.sock, &m) == 0, "send");
	CASE_CHECK(cve_nothing_to_read(cve.g.sock, 200),
		   "a refused message got a reply without REPLY_ACK");
	tvu_msg_init(&m, TVU_SET_STATUS, 8);
	m.payload.u64 = TV_STATUS_ACKNOWLEDGE | TV_STATUS_DRIVER |
			TV_STATUS_FEATURES_OK | TV_STATUS_DRIVER_OK;
	m.flags |= TVU_FLAG_NEED_REPLY;
	CASE_CHECK(tvu_send(cve.g.sock, &m) == 0, "send");
	CASE_CHECK(cve_nothing_to_read(cve.g.sock, 200),
		   "an accepted message got a reply without REPLY_ACK");
	tvu_msg_init(&m, TVU_GET_FEATURES, 0);
	cve_send_sync(&m);
	CASE_CHECK(err_msg() == e0 + 1, "err_msg %lu -> %lu", e0, err_msg());
	cve_good_round("after NEED_REPLY without REPLY_ACK");
}

/* ---- Attack classes: sizes chosen by the front-end ---- */

static void
class_unbounded_alloc(void)
{
	long vm0 = vm_size_kb();
	uint8_t junk[64] = {0};
	struct tvu_msg m;
	int rc;

	/* Headers announcing 1000 regions' worth and 4 GiB of payload:
	 * nothing is allocated for them; the session ends (the stream
	 * cannot be resynchronised). */
	{
		static const uint32_t sizes[] = {8 + 32 * 1000, UINT32_MAX};

		for (unsigned int i = 0; i < RTE_DIM(sizes); i++) {
			struct tvh_dev_stats s0 = cve_dev_stats(), s1;

			rc = cve_send_raw(cve.g.sock, TVU_SET_MEM_TABLE,
					  TVU_FLAG_VERSION, sizes[i], junk,
					  sizeof(junk), NULL, 0);
			CASE_CHECK(rc == 0, "send");
			CASE_CHECK(cve_peer_closed(cve.g.sock, 3000),
				   "a %u-byte payload was accepted", sizes[i]);
			cve_hangup();
			s1 = cve_dev_stats();
			CASE_CHECK(s1.err_msg == s0.err_msg + 1, "not counted");
			cve_reconnect();
		}
	}
	CASE_CHECK(cve_logged("cannot read the front-end's message: "
			      "Message too long; disconnecting"),
		   "oversized payload not logged");
	/* nregions 1000 in a one-region payload. */
	mem_msg(&m, cve.g.memfd, 1ull << 40, 4096, 0);
	m.payload.memory.nregions = 1000;
	refused(&m, "SET_MEM_TABLE announcing 1000 regions");
	state_msg(&m, TVU_SET_VRING_NUM, 0, 0x80000000u);
	refused(&m, "SET_VRING_NUM 2^31");
	tvu_msg_init(&m, TVU_SET_CONFIG, 12 + 256);
	refused(&m, "SET_CONFIG (not negotiated)");
	inflight_msg(&m, TVU_GET_INFLIGHT_FD, UINT64_MAX, 0, 0xffff, 0xffff);
	ends_session(&m, "GET_INFLIGHT_FD of 2^64 - 1 bytes");
	cve_reconnect();
	CASE_CHECK(vm_size_kb() - vm0 < 64 * 1024, "VmSize grew %ld kB",
		   vm_size_kb() - vm0);
	cve_good_round("after the absurd sizes");
}

int
main(int argc, char **argv)
{
	const uint64_t pf_no_status =
		TV_BIT(TVU_PROTOCOL_F_MQ) | TV_BIT(TVU_PROTOCOL_F_REPLY_ACK);
	const uint64_t pf_no_ack =
		TV_BIT(TVU_PROTOCOL_F_MQ) | TV_BIT(TVU_PROTOCOL_F_STATUS);

	(void)argc;
	cve_init(argv[0], "cvemsg");
	cve_run("cve_2019_14818_vring_num_leak", cve_2019_14818_vring_num_leak);
	cve_run("cve_2020_10722_log_base_overflow",
		cve_2020_10722_log_base_overflow);
	cve_run("cve_2020_10723_vring_index_truncation",
		cve_2020_10723_vring_index_truncation);
	cve_run("cve_2020_10726_get_inflight_fd_repeated",
		cve_2020_10726_get_inflight_fd_repeated);
	cve_run("cve_2021_3839_set_inflight_num_queues",
		cve_2021_3839_set_inflight_num_queues);
	cve_run("cve_2022_0669_inflight_fds", cve_2022_0669_inflight_fds);
	cve_run("class_region_beyond_file", class_region_beyond_file);
	cve_run("class_log_beyond_file", class_log_beyond_file);
	cve_run("class_inflight_area", class_inflight_area);
	cve_run("class_vring_num_refused_not_stored",
		class_vring_num_refused_not_stored);
	cve_run("class_vring_num_while_running", class_vring_num_while_running);
	cve_run("class_restart_without_num", class_restart_without_num);
	cve_run("class_fd_leak_error_paths", class_fd_leak_error_paths);
	cve_run_feat("class_status_not_negotiated", class_status_not_negotiated,
		     CVE_FEAT, pf_no_status);
	cve_run_feat("class_vring_enable_not_negotiated",
		     class_vring_enable_not_negotiated,
		     CVE_FEAT & ~TV_BIT(TV_F_VHOST_USER_PROTOCOL_FEATURES), 0);
	cve_run_feat("class_need_reply_without_reply_ack",
		     class_need_reply_without_reply_ack, CVE_FEAT, pf_no_ack);
	cve_run("class_unbounded_alloc", class_unbounded_alloc);
	return cve_fini();
}
