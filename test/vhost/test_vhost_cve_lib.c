/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * The harness of the CVE and attack-class tests (see test_vhost_cve.h).
 */
#include "test_vhost_cve.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_log.h>

struct cve_env cve;

static jmp_buf case_jb;
static bool in_case;
static bool guest_up;
static unsigned int n_ok, n_failed, case_no;
static FILE *log_f;
static struct tvh_dev *keeper;
static size_t scratch_top;
static uint32_t seed = 1;

struct snap {
	int fds;
	int maps;
	unsigned int mbufs;
};

static void
snap_take(struct snap *s)
{
	s->fds = mg_count_fds();
	s->maps = mg_count_maps();
	s->mbufs = rte_mempool_avail_count(cve.mp);
}

void
cve_fail(const char *file, int line, const char *cond, const char *fmt, ...)
{
	va_list ap;

	printf("FAIL %s: %s:%d: %s: ", cve.name ? cve.name : "?", file, line,
	       cond);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!in_case)
		exit(1);
	longjmp(case_jb, 1);
}

/* ---- Log capture ---- */

/* The log bytes written so far (DPDK flushes after every line). */
static long
log_size(void)
{
	return lseek(fileno(log_f), 0, SEEK_END);
}

/* The log of the running case, NUL-terminated (caller frees). */
static char *
log_since(long mark)
{
	long end = log_size();
	size_t len = end > mark ? (size_t)(end - mark) : 0;
	char *buf = malloc(len + 1);
	ssize_t n;

	if (buf == NULL)
		return NULL;
	n = len > 0 ? pread(fileno(log_f), buf, len, mark) : 0;
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

bool
cve_logged(const char *text)
{
	char *buf = log_since(cve.log_mark);
	bool found = buf != NULL && strstr(buf, text) != NULL;

	free(buf);
	return found;
}

static void
echo_log(long mark)
{
	char *buf = log_since(mark), *line, *save = NULL;
	unsigned int n = 0;

	if (buf == NULL)
		return;
	for (line = strtok_r(buf, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save))
		if (n++ < 12)
			printf("  log: %s\n", line);
	if (n > 12)
		printf("  log: (%u more lines)\n", n - 12);
	free(buf);
}

/* ---- Counters and resources ---- */

struct tvh_dev_stats
cve_dev_stats(void)
{
	struct tvh_dev_stats st;

	tvh_dev_stats_get(cve.dev, &st);
	return st;
}

struct tvh_vq_stats
cve_vq_stats(uint16_t vq)
{
	struct tvh_vq_stats st;

	CASE_CHECK(tvh_vq_stats_get(cve.dev, vq, &st) == 0, "stats of vq %u",
		   vq);
	return st;
}

uint64_t
cve_vq_errors(uint16_t vq)
{
	struct tvh_vq_stats st = cve_vq_stats(vq);

	return st.err_avail_idx + st.err_desc_index + st.err_desc_addr +
	       st.err_chain_loop + st.err_indirect + st.err_desc_flags +
	       st.err_hdr + st.err_pkt_len;
}

uint64_t
cve_vq_cnt(uint16_t vq, size_t off)
{
	struct tvh_vq_stats st = cve_vq_stats(vq);

	return *(const uint64_t *)((const uint8_t *)&st + off);
}

uint16_t
cve_burst(uint32_t vq, uint16_t n)
{
	struct rte_mbuf *m[32] = {NULL};
	uint16_t got;

	if (n > RTE_DIM(m))
		n = RTE_DIM(m);
	if (vq == 1) {
		got = tvh_dequeue_burst(cve.dev, 1, cve.mp, m, n);
		for (uint16_t i = 0; i < got; i++)
			rte_pktmbuf_free(m[i]);
		return got;
	}
	for (uint16_t i = 0; i < n; i++) {
		uint8_t pkt[100];

		mg_fill(pkt, sizeof(pkt), i);
		m[i] = mg_mbuf_from(cve.mp, pkt, sizeof(pkt));
	}
	got = tvh_enqueue_burst(cve.dev, 0, m, n);
	for (uint16_t i = 0; i < n; i++)
		rte_pktmbuf_free(m[i]);
	return got;
}

void
cve_expect_error(uint32_t vq, size_t cnt, uint16_t good, const char *log_text,
		 const char *what)
{
	uint64_t c0 = cve_vq_cnt((uint16_t)vq, cnt);
	uint64_t e0 = cve_vq_errors((uint16_t)vq);
	uint16_t n = cve_burst(vq, (uint16_t)(good + 1));

	CASE_CHECK(n == good, "%s: %u packets went through, want %u", what, n,
		   good);
	CASE_CHECK(cve_vq_cnt((uint16_t)vq, cnt) == c0 + 1,
		   "%s: its counter moved by %lu, want 1", what,
		   cve_vq_cnt((uint16_t)vq, cnt) - c0);
	CASE_CHECK(cve_vq_errors((uint16_t)vq) == e0 + 1,
		   "%s: other error counters moved", what);
	if (log_text != NULL)
		CASE_CHECK(cve_logged(log_text), "%s: no log line with \"%s\"",
			   what, log_text);
	cve_expect_stopped(vq, what);
	cve_restart(vq);
}

uint8_t *
cve_scratch(size_t len, uint8_t fill)
{
	size_t start = (scratch_top - len) & ~(size_t)63;

	CASE_CHECK(start >= MG_MEM_SIZE / 2, "scratch area exhausted");
	scratch_top = start;
	memset(cve.g.mem + start, fill, len);
	return cve.g.mem + start;
}

int
cve_memfd(const char *name, size_t size)
{
	int fd = memfd_create(name, MFD_CLOEXEC);

	CASE_CHECK(fd >= 0, "memfd_create: %s", strerror(errno));
	CASE_CHECK(ftruncate(fd, (off_t)size) == 0, "ftruncate");
	return fd;
}

bool
cve_maps_mention(const char *name)
{
	char line[512], want[128];
	FILE *f = fopen("/proc/self/maps", "r");
	bool found = false;

	CASE_CHECK(f != NULL, "maps");
	snprintf(want, sizeof(want), "memfd:%s", name);
	while (!found && fgets(line, sizeof(line), f) != NULL)
		found = strstr(line, want) != NULL;
	fclose(f);
	return found;
}

/* ---- Socket helpers ---- */

bool
cve_peer_closed(int sock, int timeout_ms)
{
	struct pollfd p = {.fd = sock, .events = POLLIN};
	char buf[256];

	for (;;) {
		ssize_t n;

		if (poll(&p, 1, timeout_ms) <= 0)
			return false;
		n = recv(sock, buf, sizeof(buf), MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno == ECONNRESET))
			return true;
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return false;
		/* A reply sent before the hang-up: skip it. */
	}
}

bool
cve_nothing_to_read(int sock, int timeout_ms)
{
	struct pollfd p = {.fd = sock, .events = POLLIN};

	return poll(&p, 1, timeout_ms) == 0;
}

int
cve_send_raw(int sock, uint32_t request, uint32_t flags, uint32_t size,
	     const void *payload, uint32_t payload_len, const int *fds,
	     uint32_t n_fds)
{
	uint32_t hdr[3] = {request, flags, size};
	struct iovec iov[2] = {
		{.iov_base = hdr, .iov_len = sizeof(hdr)},
		{.iov_base = (void *)(uintptr_t)payload,
		 .iov_len = payload_len},
	};
	char ctl[CMSG_SPACE(16 * sizeof(int))];
	struct msghdr mh = {
		.msg_iov = iov,
		.msg_iovlen = payload_len > 0 ? 2 : 1,
	};

	if (n_fds > 16)
		return -EINVAL;
	if (n_fds > 0) {
		struct cmsghdr *cm;

		memset(ctl, 0, sizeof(ctl));
		mh.msg_control = ctl;
		mh.msg_controllen = CMSG_SPACE(n_fds * sizeof(int));
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(n_fds * sizeof(int));
		memcpy(CMSG_DATA(cm), fds, n_fds * sizeof(int));
	}
	return sendmsg(sock, &mh, MSG_NOSIGNAL) < 0 ? -errno : 0;
}

uint64_t
cve_send_ack(struct tvu_msg *m)
{
	struct tvu_msg r;
	uint32_t req = m->request;

	m->flags |= TVU_FLAG_NEED_REPLY;
	CASE_CHECK(tvu_send(cve.g.sock, m) == 0, "send %s",
		   tvu_request_name(req));
	CASE_CHECK(!cve_nothing_to_read(cve.g.sock, 3000),
		   "no answer to %s within 3 s", tvu_request_name(req));
	CASE_CHECK(tvu_recv(cve.g.sock, &r) == 0,
		   "no reply to %s (session ended?)", tvu_request_name(req));
	CASE_CHECK(r.request == req && r.size == 8 && r.n_fds == 0,
		   "reply to %s: request %u size %u fds %u",
		   tvu_request_name(req), r.request, r.size, r.n_fds);
	return r.payload.u64;
}

void
cve_send_sync(struct tvu_msg *m)
{
	uint64_t v;

	CASE_CHECK(tvu_send(cve.g.sock, m) == 0, "send %s",
		   tvu_request_name(m->request));
	CASE_CHECK(tvu_fe_get_u64(cve.g.sock, TVU_GET_FEATURES, &v) == 0,
		   "no GET_FEATURES answer after %s: stream out of step",
		   tvu_request_name(m->request));
}

/* ---- The front-end ---- */

static bool
all_disconnected(void *arg)
{
	struct tvh_dev_stats st;

	tvh_dev_stats_get(arg, &st);
	return st.disconnects == st.connects;
}

void
cve_hangup(void)
{
	if (cve.g.sock >= 0)
		close(cve.g.sock);
	cve.g.sock = -1;
	CASE_CHECK(mg_wait(all_disconnected, cve.dev, 3000),
		   "the back-end did not notice the hang-up");
}

static void
connect_setup(void)
{
	struct mg *g = &cve.g;

	mg_connect(g, cve.path);
	mg_negotiate(g, cve.feat, cve.pfeat);
	CASE_CHECK(mg_send_mem_table(g) == 0, "SET_MEM_TABLE");
	for (uint32_t i = 0; i < 2; i++)
		CASE_CHECK(mg_vq_setup(g, i, CVE_RING) == 0, "vring %u set-up",
			   i);
}

void
cve_reconnect(void)
{
	cve_hangup();
	mg_fini(&cve.g);
	mg_init(&cve.g);
	scratch_top = MG_MEM_SIZE;
	connect_setup();
}

void
cve_good_round(const char *when)
{
	struct mg *g = &cve.g;
	const uint32_t hdr = tv_net_hdr_len(cve.feat);
	uint8_t pkt[300], back[CVE_HDR + 300];
	struct rte_mbuf *m = NULL;
	uint32_t id, len;
	uint16_t head, n;

	/* Guest -> host. */
	mg_fill(pkt, sizeof(pkt), seed++);
	mg_tx_post(g, 1, MG_TX_HDR_OWN, pkt, sizeof(pkt), hdr);
	mg_avail_publish(g, 1);
	n = tvh_dequeue_burst(cve.dev, 1, cve.mp, &m, 1);
	CASE_CHECK(n == 1, "%s: the host did not receive a good packet", when);
	CASE_CHECK(mg_mbuf_cmp(m, pkt, sizeof(pkt)) == 0,
		   "%s: received bytes differ", when);
	rte_pktmbuf_free(m);
	while (mg_used_next(g, 1, &id, &len))
		;
	/* Host -> guest. */
	mg_fill(pkt, sizeof(pkt), seed++);
	m = mg_mbuf_from(cve.mp, pkt, sizeof(pkt));
	head = mg_rx_post(g, 0, 1, 2048);
	mg_avail_publish(g, 0);
	n = tvh_enqueue_burst(cve.dev, 0, &m, 1);
	rte_pktmbuf_free(m);
	CASE_CHECK(n == 1, "%s: the host could not send a good packet", when);
	do {
		CASE_CHECK(mg_used_next(g, 0, &id, &len),
			   "%s: no used entry for the sent packet", when);
	} while (id != head);
	CASE_CHECK(len == hdr + sizeof(pkt), "%s: used length %u, want %u",
		   when, len, hdr + (uint32_t)sizeof(pkt));
	mg_chain_read(g, 0, head, back, hdr + sizeof(pkt));
	CASE_CHECK(memcmp(back + hdr, pkt, sizeof(pkt)) == 0,
		   "%s: sent bytes differ", when);
	if (hdr == CVE_HDR)
		CASE_CHECK(back[10] == 1 && back[11] == 0, "%s: num_buffers %u",
			   when, back[10] | (back[11] << 8));
	mg_round_reset(g);
}

void
cve_restart(uint32_t vq)
{
	struct mg *g = &cve.g;
	uint32_t base = UINT32_MAX, id, len;

	CASE_CHECK(tvu_fe_get_vring_base(g->sock, vq, &base) == 0,
		   "GET_VRING_BASE %u", vq);
	while (mg_used_next(g, vq, &id, &len))
		;
	CASE_CHECK(g->vq[vq].used_seen == (uint16_t)base,
		   "vring %u: used %u != base %u after the stop", vq,
		   g->vq[vq].used_seen, base);
	g->vq[vq].avail_idx = (uint16_t)base;
	mg_round_reset(g);
	CASE_CHECK(mg_vq_setup(g, vq, CVE_RING) == 0, "restart vring %u", vq);
}

void
cve_expect_stopped(uint32_t vq, const char *when)
{
	struct mg *g = &cve.g;
	uint64_t errs = cve_vq_errors((uint16_t)vq);
	uint8_t pkt[100];
	struct rte_mbuf *m = NULL;
	uint16_t n;

	mg_fill(pkt, sizeof(pkt), seed++);
	if (vq == 1) {
		mg_tx_post(g, 1, MG_TX_HDR_SAME, pkt, sizeof(pkt),
			   tv_net_hdr_len(cve.feat));
		mg_avail_publish(g, 1);
		n = tvh_dequeue_burst(cve.dev, 1, cve.mp, &m, 1);
		if (n > 0)
			rte_pktmbuf_free(m);
		CASE_CHECK(n == 0, "%s: a stopped TX ring served a packet",
			   when);
	} else {
		m = mg_mbuf_from(cve.mp, pkt, sizeof(pkt));
		mg_rx_post(g, 0, 1, 2048);
		mg_avail_publish(g, 0);
		n = tvh_enqueue_burst(cve.dev, 0, &m, 1);
		rte_pktmbuf_free(m);
		CASE_CHECK(n == 0, "%s: a stopped RX ring took a packet", when);
	}
	CASE_CHECK(cve_vq_errors((uint16_t)vq) == errs,
		   "%s: a good packet on a stopped ring was counted as an "
		   "error",
		   when);
}

/* ---- Cases ---- */

static void
case_begin(void)
{
	struct tvh_config cfg = {.n_queue_pairs = 1};

	snprintf(cve.path, sizeof(cve.path), "%s",
		 mg_sock_path(case_no == 0 ? "warm" : "case"));
	cfg.path = cve.path;
	cfg.log_name = cve.name;
	CASE_CHECK(tvh_dev_create(&cfg, NULL, NULL, &cve.dev) == 0, "create");
	mg_init(&cve.g);
	guest_up = true;
	scratch_top = MG_MEM_SIZE;
	connect_setup();
	cve_good_round("before the case");
}

static void
case_end(void)
{
	mg_fini(&cve.g);
	guest_up = false;
	tvh_dev_destroy(cve.dev);
	cve.dev = NULL;
}

void
cve_run_feat(const char *name, cve_fn fn, uint64_t feat, uint64_t pfeat)
{
	struct snap outer, before, after;
	long mark = log_size();
	bool check_leaks = case_no++ > 0; /* not the warm-up */

	cve.name = name;
	cve.feat = feat;
	cve.pfeat = pfeat;
	snap_take(&outer);
	in_case = true;
	if (setjmp(case_jb) == 0) {
		case_begin();
		snap_take(&before);
		cve.log_mark = log_size();
		fn();
		snap_take(&after);
		if (check_leaks) {
			CASE_CHECK(after.fds == before.fds,
				   "fd leak: %d -> %d open fds", before.fds,
				   after.fds);
			CASE_CHECK(after.maps == before.maps,
				   "mapping leak: %d -> %d maps lines",
				   before.maps, after.maps);
			CASE_CHECK(after.mbufs == before.mbufs &&
					   after.mbufs == CVE_POOL_N,
				   "mbuf leak: %u -> %u free of %u",
				   before.mbufs, after.mbufs, CVE_POOL_N);
		}
		case_end();
		snap_take(&after);
		if (check_leaks)
			CASE_CHECK(after.fds == outer.fds &&
					   after.maps == outer.maps,
				   "after destroy: fds %d -> %d, maps %d -> %d",
				   outer.fds, after.fds, outer.maps,
				   after.maps);
		echo_log(mark);
		printf("ok %s\n", name);
		n_ok++;
	} else {
		n_failed++;
		echo_log(mark);
		/* A new device for the next case; what this one leaked
		 * stays leaked (the next cases measure from here). */
		if (guest_up)
			mg_fini(&cve.g);
		guest_up = false;
		if (cve.dev != NULL)
			tvh_dev_destroy(cve.dev);
		cve.dev = NULL;
	}
	in_case = false;
	fflush(stdout);
}

void
cve_run(const char *name, cve_fn fn)
{
	cve_run_feat(name, fn, CVE_FEAT, tvh_default_protocol_features());
}

static void *
idle_thread(void *arg)
{
	return arg;
}

static void
warm_up(void)
{
	pthread_t t;

	/* First-time allocations of the library and libc happen here,
	 * outside any leak check: stdio buffers, and the stack glibc keeps
	 * mapped for reuse after a thread of a case is joined. */
	CASE_CHECK(pthread_create(&t, NULL, idle_thread, NULL) == 0, "thread");
	pthread_join(t, NULL);
	cve_reconnect();
	cve_good_round("warm-up");
}

void
cve_init(const char *prog, const char *prefix)
{
	struct tvh_config cfg = {.n_queue_pairs = 1};

	/* Whatever hangs, the program ends (SIGALRM: a failure). */
	alarm(100);
	setvbuf(stdout, NULL, _IOLBF, 0);
	mg_eal_init(prog, prefix);
	log_f = tmpfile();
	CHECK(log_f != NULL, "tmpfile");
	CHECK(rte_openlog_stream(log_f) == 0, "log stream");
	cve.mp = rte_pktmbuf_pool_create("cve", CVE_POOL_N, 0, 0,
					 RTE_MBUF_DEFAULT_BUF_SIZE,
					 SOCKET_ID_ANY);
	CHECK(cve.mp != NULL, "mempool");
	/* Keeps the library's control thread alive between cases. */
	cfg.path = mg_sock_path("keeper");
	CHECK(tvh_dev_create(&cfg, NULL, NULL, &keeper) == 0, "keeper");
	cve_run("warm-up", warm_up);
}

int
cve_fini(void)
{
	tvh_dev_destroy(keeper);
	if (rte_mempool_avail_count(cve.mp) != CVE_POOL_N && n_failed == 0) {
		printf("FAIL: %u mbufs not back in the pool\n",
		       CVE_POOL_N - rte_mempool_avail_count(cve.mp));
		n_failed++;
	}
	rte_mempool_free(cve.mp);
	rte_openlog_stream(NULL);
	fclose(log_f);
	rte_eal_cleanup();
	if (n_failed > 0) {
		printf("FAILED: %u of %u cases\n", n_failed,
		       n_ok + n_failed - 1);
		return 1;
	}
	printf("PASS: %u cases\n", n_ok - 1);
	return 0;
}
