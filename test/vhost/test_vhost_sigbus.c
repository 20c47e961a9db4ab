/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * A front-end that shrinks its memory file after SET_MEM_TABLE (the SIGBUS
 * guard, lib/vhost/tvh_mem.c):
 *  - default: in a child without any SIGBUS handler of its own, the guard
 *    changes nothing for faults outside guest memory: a touch beyond the
 *    end of an unrelated file, and a SIGBUS sent with raise(), still kill
 *    it with SIGBUS;
 *  - chain: a SIGBUS outside guest memory reaches the handler that was
 *    installed before the library's (this test installs one before the
 *    first device), and is not counted;
 *  - truncate: while a datapath thread bursts on both rings, the mock
 *    guest ftruncates its memfd to one page: the process survives,
 *    mem_faults >= 1, err_mem + 1, the device disconnects, fds and
 *    mappings return to their base, and a new guest passes payload-checked
 *    traffic on the same device;
 *  - sealed: a memfd sealed with F_SEAL_SHRINK is reported as sealed
 *    (unsealed_regions stays 0) and carries traffic; the mock's usual
 *    memfd (no seals) is counted (its 2 regions);
 *  - guard page: the handler's replacement mapping starts at the aligned
 *    page of the fault but never below the guest mapping, whose start
 *    only hugetlbfs aligns to the file's st_blksize.
 * No mbuf leaks (the pool is full at the end).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_mbuf.h>

#include "mock_guest.h"
#include "tvh_internal.h"

#define RING	 256
#define HDR	 12
#define POOL	 1023
#define BOUND_MS 5000

static struct rte_mempool *mp;
static const uint64_t feat =
	(1ull << TV_F_VERSION_1) | (1ull << TV_F_VHOST_USER_PROTOCOL_FEATURES);

static void
tx_one(struct mg *g, struct tvh_dev *dev, uint32_t seed)
{
	uint8_t pkt[200];
	struct rte_mbuf *m;

	mg_fill(pkt, sizeof(pkt), seed);
	mg_tx_post(g, 1, MG_TX_HDR_OWN, pkt, sizeof(pkt), HDR);
	mg_avail_publish(g, 1);
	CHECK(tvh_dequeue_burst(dev, 1, mp, &m, 1) == 1, "guest tx %u", seed);
	CHECK(mg_mbuf_cmp(m, pkt, sizeof(pkt)) == 0, "tx payload %u", seed);
	rte_pktmbuf_free(m);
}

static void
rx_one(struct mg *g, struct tvh_dev *dev, uint32_t seed)
{
	uint8_t pkt[300], raw[2048];
	struct rte_mbuf *m;
	uint32_t id, len;

	mg_fill(pkt, sizeof(pkt), seed);
	mg_rx_post(g, 0, 1, sizeof(raw));
	mg_avail_publish(g, 0);
	m = mg_mbuf_from(mp, pkt, sizeof(pkt));
	CHECK(tvh_enqueue_burst(dev, 0, &m, 1) == 1, "guest rx %u", seed);
	rte_pktmbuf_free(m);
	CHECK(mg_used_next(g, 0, &id, &len), "no used rx entry");
	CHECK(len == HDR + sizeof(pkt), "rx used len %u", len);
	mg_chain_read(g, 0, (uint16_t)id, raw, len);
	CHECK(memcmp(raw + HDR, pkt, sizeof(pkt)) == 0, "rx payload %u", seed);
}

static void
traffic(struct mg *g, struct tvh_dev *dev, uint32_t seed)
{
	for (uint32_t i = 0; i < 4; i++) {
		tx_one(g, dev, seed + i);
		rx_one(g, dev, seed + 100 + i);
	}
}

/* ---- chain: faults that are not in guest memory ---- */

static volatile sig_atomic_t prev_calls;

/* The application's handler, installed before the library's: it repairs
 * the fault the way the guard would (a zero page), so the access goes on. */
static void
prev_handler(int sig, siginfo_t *si, void *uctx)
{
	uintptr_t page = (uintptr_t)si->si_addr & ~(uintptr_t)4095;

	prev_calls++;
	if (mmap((void *)page, 4096, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED)
		_exit(3);
}

/* A mapping of a 2-page file, shrunk to 0: its second page SIGBUSes. */
static volatile uint8_t *
doomed_mapping(int *fd_out)
{
	int fd = memfd_create("not-guest-memory", MFD_CLOEXEC);
	void *p;

	CHECK(fd >= 0 && ftruncate(fd, 8192) == 0, "memfd");
	p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(p != MAP_FAILED, "mmap");
	CHECK(ftruncate(fd, 0) == 0, "shrink");
	*fd_out = fd;
	return p;
}

static void
test_chain(struct tvh_dev *dev)
{
	uint64_t faults0 = mg_dev_stats(dev).mem_faults;
	int calls0 = prev_calls;
	volatile uint8_t *p;
	uint8_t v;
	int fd;

	p = doomed_mapping(&fd);
	v = p[4096 + 7];
	CHECK(prev_calls == calls0 + 1, "previous handler called %d times",
	      (int)prev_calls - calls0);
	CHECK(v == 0, "repaired page reads %u", v);
	CHECK(mg_dev_stats(dev).mem_faults == faults0,
	      "a fault outside guest memory was counted");
	munmap((void *)(uintptr_t)p, 8192);
	close(fd);
	printf("ok a SIGBUS outside guest memory goes to the previous "
	       "handler\n");
}

/* In a child: no handler but the guard's; `how` 0: a fault outside guest
 * memory, 1: raise(). Must die of SIGBUS. */
static void
test_default_action(int how)
{
	int status, fd;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		struct sigaction dfl;
		volatile uint8_t *p;

		memset(&dfl, 0, sizeof(dfl));
		dfl.sa_handler = SIG_DFL;
		sigaction(SIGBUS, &dfl, NULL);
		if (tvh_guard_init() != 0)
			_exit(4);
		if (how == 0) {
			p = doomed_mapping(&fd);
			(void)p[4096];
		} else {
			raise(SIGBUS);
		}
		_exit(0); /* survived: wrong */
	}
	CHECK(waitpid(pid, &status, 0) == pid, "waitpid");
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGBUS,
	      "child (%s) ended with status 0x%x, not killed by SIGBUS",
	      how ? "raise" : "fault", status);
	printf("ok without a previous handler, a %s SIGBUS outside guest "
	       "memory still kills\n",
	       how ? "raised" : "fault's");
}

/* ---- truncate: the front-end shrinks its memory under the datapath ---- */

/* One datapath thread for the whole test (a thread that starts or ends
 * inside the measured window would add its stack or malloc arena to the
 * mapping count). Parked while the main thread drives the queues itself
 * (one thread per queue at a time). */
struct burster {
	struct tvh_dev *dev;
	bool stop;
	bool run;
	uint32_t park_req; /* main: bumped to park */
	uint32_t park_ack; /* thread: park_req seen while not bursting */
	uint64_t bursts;
};

/* Dequeue and enqueue bursts while `run`, as an lcore would. */
static void *
burst_loop(void *arg)
{
	struct burster *b = arg;
	struct rte_mbuf *pkts[32], *m;
	uint8_t data[64];

	/* The thread's malloc arena now (the library logs from here once
	 * the front-end breaks a ring), not inside the measured window. */
	{
		void *volatile p = malloc(64); /* not optimised away */

		free(p);
	}
	mg_fill(data, sizeof(data), 7);
	m = mg_mbuf_from(mp, data, sizeof(data));
	while (!__atomic_load_n(&b->stop, __ATOMIC_SEQ_CST)) {
		uint16_t n;

		if (!__atomic_load_n(&b->run, __ATOMIC_SEQ_CST)) {
			__atomic_store_n(
				&b->park_ack,
				__atomic_load_n(&b->park_req, __ATOMIC_SEQ_CST),
				__ATOMIC_SEQ_CST);
			usleep(100);
			continue;
		}
		n = tvh_dequeue_burst(b->dev, 1, mp, pkts, 32);
		rte_pktmbuf_free_bulk(pkts, n);
		tvh_enqueue_burst(b->dev, 0, &m, 1);
		__atomic_store_n(&b->bursts, b->bursts + 1, __ATOMIC_RELEASE);
	}
	rte_pktmbuf_free(m);
	return NULL;
}

/* Let the thread burst until it has done `n` more bursts. */
static void
burster_run(struct burster *b, uint64_t n)
{
	uint64_t until = __atomic_load_n(&b->bursts, __ATOMIC_ACQUIRE) + n;

	__atomic_store_n(&b->run, true, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(&b->bursts, __ATOMIC_ACQUIRE) < until)
		usleep(100);
}

/* Stop bursting; returns once the thread is outside any burst. */
static void
burster_park(struct burster *b)
{
	uint32_t req;

	__atomic_store_n(&b->run, false, __ATOMIC_SEQ_CST);
	req = __atomic_add_fetch(&b->park_req, 1, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(&b->park_ack, __ATOMIC_SEQ_CST) != req)
		usleep(100);
}

static bool
truncation_handled(void *arg)
{
	struct tvh_dev_stats st = mg_dev_stats(arg);

	return st.mem_faults >= 1 && st.disconnects == st.connects &&
	       !tvh_dev_is_ready(arg);
}

static bool
all_disconnected(void *arg)
{
	struct tvh_dev_stats st = mg_dev_stats(arg);

	return st.disconnects == st.connects;
}

struct counts {
	int fds, maps;
};

static bool
back_to(void *arg)
{
	const struct counts *c = arg;

	return mg_count_fds() == c->fds && mg_count_maps_stable() == c->maps;
}

static void
test_truncate(void)
{
	const char *path = mg_sock_path("sigbus");
	struct tvh_config cfg = {.path = path, .n_queue_pairs = 1};
	struct burster b = {0};
	struct tvh_dev_stats st0, st;
	struct counts base;
	struct tvh_dev *dev;
	pthread_t th;
	struct mg g;
	char c;

	CHECK(tvh_dev_create(&cfg, NULL, NULL, &dev) == 0, "create");
	b.dev = dev;
	CHECK(pthread_create(&th, NULL, burst_loop, &b) == 0, "thread");
	/* Warm-up: a first session leaves what a process keeps. */
	mg_init(&g);
	mg_setup(&g, path, feat, 2, RING);
	burster_run(&b, 100);
	burster_park(&b);
	mg_fini(&g);
	CHECK(mg_wait(all_disconnected, dev, BOUND_MS), "warm-up");

	base.fds = mg_count_fds();
	base.maps = mg_count_maps_stable();
	mg_init(&g);
	mg_setup(&g, path, feat, 2, RING);
	traffic(&g, dev, 1);
	st0 = mg_dev_stats(dev);
	CHECK(st0.unsealed_regions == 4, "unsealed_regions %lu, want 2 x 2",
	      (unsigned long)st0.unsealed_regions);
	CHECK(st0.mem_faults == 0 && st0.err_mem == 0, "early faults");

	burster_run(&b, 100);
	/* Keep the first page (the first ring's descriptors): the avail and
	 * used rings and everything after are gone. From here on the mock
	 * must not touch its memory beyond that page either. */
	CHECK(ftruncate(g.memfd, 4096) == 0, "ftruncate: %s", strerror(errno));
	CHECK(mg_wait(truncation_handled, dev, BOUND_MS),
	      "not handled: mem_faults %lu, connects %lu, disconnects %lu",
	      (unsigned long)mg_dev_stats(dev).mem_faults,
	      (unsigned long)mg_dev_stats(dev).connects,
	      (unsigned long)mg_dev_stats(dev).disconnects);
	burster_park(&b);
	st = mg_dev_stats(dev);
	CHECK(st.err_mem == st0.err_mem + 1, "err_mem %lu -> %lu",
	      (unsigned long)st0.err_mem, (unsigned long)st.err_mem);
	/* The host closed the session: the mock reads the end of it. */
	CHECK(recv(g.sock, &c, 1, 0) == 0, "socket still open");
	printf("ok truncated memory under a bursting datapath thread (%lu "
	       "bursts so far): %lu fault(s) absorbed, device disconnected\n",
	       (unsigned long)b.bursts, (unsigned long)st.mem_faults);
	mg_fini(&g);
	CHECK(mg_wait(back_to, &base, BOUND_MS),
	      "leak: fds %d -> %d, maps %d -> %d", base.fds, mg_count_fds(),
	      base.maps, mg_count_maps_stable());

	/* The device serves the next front-end. */
	mg_init(&g);
	mg_setup(&g, path, feat, 2, RING);
	traffic(&g, dev, 50);
	burster_run(&b, 100);
	burster_park(&b);
	traffic(&g, dev, 80);
	CHECK(mg_dev_stats(dev).mem_faults == st.mem_faults, "new faults");
	mg_fini(&g);
	__atomic_store_n(&b.stop, true, __ATOMIC_SEQ_CST);
	CHECK(pthread_join(th, NULL) == 0, "join");
	tvh_dev_destroy(dev);
	printf("ok a new front-end passes traffic after the truncation\n");
}

/* ---- sealed memory ---- */

/* Give the mock a memfd sealed against shrinking and growing instead of
 * its own. */
static void
mg_use_sealed_memfd(struct mg *g)
{
	int fd = memfd_create("mg-sealed", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	void *p;

	CHECK(fd >= 0 && ftruncate(fd, MG_MEM_SIZE) == 0, "memfd");
	CHECK(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW) == 0,
	      "seal: %s", strerror(errno));
	p = mmap(NULL, MG_MEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(p != MAP_FAILED, "mmap");
	munmap(g->mem, MG_MEM_SIZE);
	close(g->memfd);
	g->memfd = fd;
	g->mem = p;
}

static void
test_sealed(void)
{
	const char *path = mg_sock_path("sealed");
	struct tvh_config cfg = {.path = path, .n_queue_pairs = 1};
	struct tvh_dev *dev;
	struct mg g;

	CHECK(tvh_dev_create(&cfg, NULL, NULL, &dev) == 0, "create");
	mg_init(&g);
	mg_use_sealed_memfd(&g);
	mg_setup(&g, path, feat, 2, RING);
	traffic(&g, dev, 200);
	CHECK(mg_dev_stats(dev).unsealed_regions == 0,
	      "sealed memfd counted as unsealed (%lu)",
	      (unsigned long)mg_dev_stats(dev).unsealed_regions);
	CHECK(ftruncate(g.memfd, 4096) < 0 && errno == EPERM,
	      "a sealed memfd shrank");
	traffic(&g, dev, 300);
	mg_fini(&g);
	tvh_dev_destroy(dev);
	printf("ok a memfd sealed with F_SEAL_SHRINK is reported sealed\n");
}

/* ---- where a replacement mapping starts ---- */

/* The guard replaces guest memory from the aligned page of the fault on,
 * never below the mapping: a file other than hugetlbfs may report a
 * large st_blksize while its mapping starts on a plain page (the cases
 * with start 0x7f0000201000 and align 2 MiB). */
static void
test_guard_page(void)
{
	static const struct {
		uintptr_t addr, start, align, want;
	} c[] = {
		{0x7f0000000000 + 0x1234, 0x7f0000000000, 4096,
		 0x7f0000001000},
		{0x7f0000000000 + 0x1234, 0x7f0000000000, 1 << 21,
		 0x7f0000000000},
		{0x7f0000201000 + 0x10, 0x7f0000201000, 1 << 21,
		 0x7f0000201000},
		{0x7f00003ff000, 0x7f0000201000, 1 << 21, 0x7f0000201000},
		{0x7f0000400010, 0x7f0000201000, 1 << 21, 0x7f0000400000},
		{0x7f0000201fff, 0x7f0000201000, 4096, 0x7f0000201000},
	};

	for (unsigned int i = 0; i < RTE_DIM(c); i++) {
		uintptr_t p = tvh_guard_page(c[i].addr, c[i].start,
					     c[i].align);

		CHECK(p == c[i].want && p >= c[i].start && p <= c[i].addr,
		      "fault 0x%lx in a mapping at 0x%lx (align 0x%lx): "
		      "replacement from 0x%lx, want 0x%lx",
		      (unsigned long)c[i].addr, (unsigned long)c[i].start,
		      (unsigned long)c[i].align, (unsigned long)p,
		      (unsigned long)c[i].want);
	}
	printf("ok the replacement of faulting guest memory starts at the "
	       "mapping or above (%u cases)\n",
	       (unsigned int)RTE_DIM(c));
}

int
main(int argc, char **argv)
{
	struct sigaction sa;
	struct tvh_config cfg = {.n_queue_pairs = 1};
	struct tvh_dev *dev;

	/* Before the library's guard (first device), as an application
	 * (or a sanitizer) would. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = prev_handler;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	CHECK(sigaction(SIGBUS, &sa, NULL) == 0, "sigaction");

	mg_eal_init(argv[0], "sigbus");
	mp = rte_pktmbuf_pool_create("s2sigbus", POOL, 0, 0,
				     RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	CHECK(mp != NULL, "mempool");

	test_default_action(0);
	test_default_action(1);

	/* A device keeps the control thread (and the guard) up. */
	cfg.path = mg_sock_path("idle");
	CHECK(tvh_dev_create(&cfg, NULL, NULL, &dev) == 0, "create");
	test_chain(dev);
	test_guard_page();
	test_truncate();
	test_sealed();
	test_chain(dev);
	tvh_dev_destroy(dev);

	CHECK(rte_mempool_avail_count(mp) == POOL, "mbufs leaked: %u of %u",
	      rte_mempool_avail_count(mp), POOL);
	rte_mempool_free(mp);
	rte_eal_cleanup();
	printf("PASS\n");
	return 0;
}
