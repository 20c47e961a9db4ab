/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * What a front-end can make the control path do, through the real socket:
 *  - cap: a memory table larger in total than tvh_config.max_guest_mem
 *    (one sparse region of twice the cap; two regions that only together
 *    exceed it; the 64 GiB default) is refused before anything is mapped
 *    (err_mem, no mapping or fd left); a table of exactly the cap maps;
 *  - stall: a front-end that sends a header and then one payload byte every
 *    300 ms is disconnected about TVH_MSG_DEADLINE_MS after it began
 *    (msg_stalls, err_msg), while a second device served by the same
 *    control thread keeps answering (its round trips stay short);
 *  - split: a message that arrives in pieces within the deadline, its fd
 *    with the first piece, is handled (the fd is taken, not leaked);
 *  - a front-end that hangs up in the middle of a message is disconnected
 *    without an error; a header announcing an oversized payload ends the
 *    session with one;
 *  - oob: a message whose last byte is sent with MSG_OOB is read in full
 *    at once (out-of-band data stays inline), not after the timeouts;
 *  - emfile: a front-end that connects while the process has no fd left
 *    does not make the control thread spin on the listen socket
 *    (accept_fails), and is served once fds are back.
 * fds and mappings return to their base.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <rte_eal.h>

#include "../common/tt_cpu.h"
#include "mock_guest.h"

#define BOUND_MS 5000

static const uint64_t feat =
	(1ull << TV_F_VERSION_1) | (1ull << TV_F_VHOST_USER_PROTOCOL_FEATURES);

static bool
disconnected(void *arg)
{
	struct tvh_dev_stats st = mg_dev_stats(arg);

	return st.connects > 0 && st.disconnects == st.connects;
}

struct dev_count {
	struct tvh_dev *dev;
	uint64_t n;
};

static bool
n_disconnects(void *arg)
{
	const struct dev_count *c = arg;

	return mg_dev_stats(c->dev).disconnects >= c->n;
}

/* Write raw bytes, with fd (if >= 0) as SCM_RIGHTS on them. */
static void
send_raw(int sock, const void *buf, size_t len, int fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctrl;
	struct iovec iov = {.iov_base = (void *)(uintptr_t)buf, .iov_len = len};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	struct cmsghdr *cm;

	if (fd >= 0) {
		memset(&ctrl, 0, sizeof(ctrl));
		mh.msg_control = ctrl.buf;
		mh.msg_controllen = sizeof(ctrl.buf);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	}
	CHECK(sendmsg(sock, &mh, MSG_NOSIGNAL) == (ssize_t)len, "sendmsg: %s",
	      strerror(errno));
}

/* The wire image of a message with a u64 payload (header + 8 bytes). */
static void
wire_u64(uint8_t *out, uint32_t request, uint32_t flags, uint64_t v)
{
	uint32_t hdr[3] = {request, TVU_FLAG_VERSION | flags, 8};

	memcpy(out, hdr, TVU_HDR_SIZE);
	memcpy(out + TVU_HDR_SIZE, &v, 8);
}

/* Has the back-end closed `sock`? (never blocks) */
static bool
peer_closed(int sock)
{
	struct pollfd p = {.fd = sock, .events = POLLIN};
	char c;

	if (poll(&p, 1, 0) <= 0)
		return false;
	return recv(sock, &c, 1, MSG_DONTWAIT) == 0;
}

/* ---- cap on mapped bytes ---- */

/* SET_MEM_TABLE of n regions of `size` bytes each, laid out back to back
 * in fd; returns the back-end's answer (REPLY_ACK). */
static int
mem_table(struct mg *g, int fd, uint32_t n, uint64_t size)
{
	struct tvu_memory m;
	int fds[TVU_MAX_MEM_REGIONS];

	memset(&m, 0, sizeof(m));
	m.nregions = n;
	for (uint32_t i = 0; i < n; i++) {
		m.regions[i].guest_phys_addr = i * size;
		m.regions[i].memory_size = size;
		m.regions[i].userspace_addr = 0x7f0000000000ull + i * size;
		m.regions[i].mmap_offset = i * size;
		fds[i] = fd;
	}
	return tvu_fe_set_mem_table(g->sock, &m, fds, true);
}

static void
test_cap(void)
{
	const uint64_t cap = 16u << 20;
	const char *path = mg_sock_path("cap");
	struct tvh_config cfg = {
		.path = path, .n_queue_pairs = 1, .max_guest_mem = cap};
	struct tvh_dev *dev, *dev_dflt;
	int fd, fds0, maps0;
	struct mg g;

	CHECK(tvh_dev_create(&cfg, NULL, NULL, &dev) == 0, "create");
	fd = memfd_create("s2-sparse", MFD_CLOEXEC);
	CHECK(fd >= 0, "memfd");
	/* Sparse: costs nothing until touched (and nothing touches it). */
	CHECK(ftruncate(fd, (off_t)(TVH_DEFAULT_MAX_GUEST_MEM + 8192)) == 0,
	      "ftruncate: %s", strerror(errno));
	mg_init(&g);
	mg_connect(&g, path);
	mg_negotiate(&g, feat, tvh_default_protocol_features());
	CHECK(g.reply_ack, "REPLY_ACK not negotiated");
	fds0 = mg_count_fds();
	maps0 = mg_count_maps_stable();

	CHECK(mem_table(&g, fd, 1, 2 * cap) == -EIO, "2x the cap accepted");
	CHECK(mg_dev_stats(dev).err_mem == 1, "err_mem %lu",
	      (unsigned long)mg_dev_stats(dev).err_mem);
	CHECK(mem_table(&g, fd, 2, cap / 2 + 4096) == -EIO,
	      "2 regions over the cap together accepted");
	CHECK(mg_dev_stats(dev).err_mem == 2, "err_mem");
	CHECK(mg_count_fds() == fds0 && mg_count_maps_stable() == maps0,
	      "a refused table left fds (%d -> %d) or mappings (%d -> %d)",
	      fds0, mg_count_fds(), maps0, mg_count_maps_stable());
	CHECK(mem_table(&g, fd, 2, cap / 2) == 0, "exactly the cap refused");
	CHECK(mg_count_maps_stable() > maps0, "nothing mapped");
	CHECK(mg_dev_stats(dev).err_mem == 2 && mg_dev_stats(dev).err_msg == 2,
	      "err_mem %lu err_msg %lu",
	      (unsigned long)mg_dev_stats(dev).err_mem,
	      (unsigned long)mg_dev_stats(dev).err_msg);
	mg_fini(&g);
	CHECK(mg_wait(disconnected, dev, BOUND_MS), "no disconnect");
	tvh_dev_destroy(dev);
	printf("ok max_guest_mem 16 MiB: 32 MiB and 2 x 8.004 MiB refused, "
	       "2 x 8 MiB mapped\n");

	/* The default: 64 GiB. */
	cfg.max_guest_mem = 0;
	CHECK(tvh_dev_create(&cfg, NULL, NULL, &dev_dflt) == 0, "create");
	mg_init(&g);
	mg_connect(&g, path);
	mg_negotiate(&g, feat, tvh_default_protocol_features());
	CHECK(mem_table(&g, fd, 1, TVH_DEFAULT_MAX_GUEST_MEM + 4096) == -EIO,
	      "64 GiB + 4 KiB accepted by default");
	CHECK(mg_dev_stats(dev_dflt).err_mem == 1, "err_mem");
	mg_fini(&g);
	CHECK(mg_wait(disconnected, dev_dflt, BOUND_MS), "no disconnect");
	tvh_dev_destroy(dev_dflt);
	close(fd);
	printf("ok by default 64 GiB + 4 KiB is refused\n");
}

/* ---- a stalled message ---- */

static void
test_stall(void)
{
	char path_a[108], path_b[108];
	struct tvh_config cfg_a = {.path = path_a, .n_queue_pairs = 1};
	struct tvh_config cfg_b = {.path = path_b, .n_queue_pairs = 1};
	uint64_t t0, t_end = 0, next_byte, rtt_max = 0, v;
	struct tvh_dev *a, *b;
	struct tvh_dev_stats st;
	uint8_t wire[TVU_HDR_SIZE + 8];
	unsigned int sent = 0, trips = 0;
	struct mg gb;
	int sa;

	/* mg_sock_path's buffer is static. */
	snprintf(path_a, sizeof(path_a), "%s", mg_sock_path("stall-a"));
	snprintf(path_b, sizeof(path_b), "%s", mg_sock_path("stall-b"));
	CHECK(tvh_dev_create(&cfg_a, NULL, NULL, &a) == 0, "create a");
	CHECK(tvh_dev_create(&cfg_b, NULL, NULL, &b) == 0, "create b");
	mg_init(&gb);
	mg_connect(&gb, path_b);
	mg_negotiate(&gb, feat, tvh_default_protocol_features());
	sa = tvu_connect(path_a);
	CHECK(sa >= 0, "connect a");
	CHECK(tvu_fe_get_u64(sa, TVU_GET_FEATURES, &v) == 0, "a answers");

	wire_u64(wire, TVU_SET_FEATURES, 0, feat);
	t0 = mg_now_ms();
	send_raw(sa, wire, TVU_HDR_SIZE, -1);
	next_byte = t0 + 300;
	while (mg_now_ms() - t0 < 4000) {
		uint64_t t1;

		if (peer_closed(sa)) {
			t_end = mg_now_ms();
			break;
		}
		/* One payload byte every 300 ms: never all 8 in time. */
		if (mg_now_ms() >= next_byte && sent < 7) {
			send(sa, wire + TVU_HDR_SIZE + sent, 1, MSG_NOSIGNAL);
			sent++;
			next_byte += 300;
		}
		t1 = mg_now_ms();
		CHECK(tvu_fe_get_u64(gb.sock, TVU_GET_FEATURES, &v) == 0,
		      "b stopped answering");
		rtt_max = RTE_MAX(rtt_max, mg_now_ms() - t1);
		trips++;
		usleep(10000);
	}
	CHECK(t_end != 0, "a dribbling front-end was not disconnected in 4 s");
	CHECK(t_end - t0 >= TVH_MSG_DEADLINE_MS - 50 && t_end - t0 <= 2500,
	      "disconnected after %lu ms (deadline %u ms)",
	      (unsigned long)(t_end - t0), TVH_MSG_DEADLINE_MS);
	/* Before, the control thread waited for the dribble (seconds). */
	CHECK(rtt_max < 900, "b's round trips took up to %lu ms",
	      (unsigned long)rtt_max);
	CHECK(mg_wait(disconnected, a, BOUND_MS), "a not disconnected");
	st = mg_dev_stats(a);
	CHECK(st.msg_stalls == 1 && st.err_msg == 1,
	      "a: msg_stalls %lu err_msg %lu", (unsigned long)st.msg_stalls,
	      (unsigned long)st.err_msg);
	st = mg_dev_stats(b);
	CHECK(st.msg_stalls == 0 && st.err_msg == 0 && st.disconnects == 0,
	      "b disturbed");
	printf("ok a front-end dribbling a message was disconnected after "
	       "%lu ms (%u bytes sent); meanwhile the other device answered "
	       "%u round trips, the slowest in %lu ms\n",
	       (unsigned long)(t_end - t0), sent, trips,
	       (unsigned long)rtt_max);
	close(sa);
	mg_fini(&gb);
	CHECK(mg_wait(disconnected, b, BOUND_MS), "b not disconnected");
	tvh_dev_destroy(a);
	tvh_dev_destroy(b);
}

/* ---- messages in pieces, hang-ups, oversized headers ---- */

static void
test_split(void)
{
	const char *path = mg_sock_path("split");
	struct tvh_config cfg = {.path = path, .n_queue_pairs = 1};
	uint8_t wire[TVU_HDR_SIZE + 8];
	struct tvh_dev *dev;
	struct tvu_msg r;
	int fds0, efd, sock;
	uint64_t v;
	struct mg g;

	CHECK(tvh_dev_create(&cfg, NULL, NULL, &dev) == 0, "create");
	fds0 = mg_count_fds();
	mg_init(&g);
	mg_connect(&g, path);
	mg_negotiate(&g, feat, tvh_default_protocol_features());

	/* A query whose header comes in two pieces. */
	wire_u64(wire, TVU_GET_FEATURES, 0, 0);
	wire[8] = 0; /* size 0 */
	send_raw(g.sock, wire, 5, -1);
	usleep(100000);
	send_raw(g.sock, wire + 5, TVU_HDR_SIZE - 5, -1);
	CHECK(tvu_recv(g.sock, &r) == 0 && r.request == TVU_GET_FEATURES &&
		      r.size == 8,
	      "no answer to a split query");
	CHECK((r.payload.u64 & feat) == feat, "features 0x%lx",
	      (unsigned long)r.payload.u64);

	/* SET_VRING_CALL with its eventfd on the first 4 bytes, the rest
	 * 100 ms later, then 100 ms later the payload. */
	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	CHECK(efd >= 0, "eventfd");
	wire_u64(wire, TVU_SET_VRING_CALL, TVU_FLAG_NEED_REPLY, 0);
	send_raw(g.sock, wire, 4, efd);
	usleep(100000);
	send_raw(g.sock, wire + 4, TVU_HDR_SIZE - 4, -1);
	usleep(100000);
	send_raw(g.sock, wire + TVU_HDR_SIZE, 8, -1);
	CHECK(tvu_recv(g.sock, &r) == 0 && r.request == TVU_SET_VRING_CALL &&
		      r.size == 8 && r.payload.u64 == 0,
	      "split SET_VRING_CALL not accepted");
	close(efd);
	CHECK(mg_dev_stats(dev).err_msg == 0 &&
		      mg_dev_stats(dev).msg_stalls == 0,
	      "errors counted for timely messages");
	/* The host holds the call fd: one more than before the mock. */
	CHECK(tvu_fe_get_u64(g.sock, TVU_GET_FEATURES, &v) == 0, "sync");

	/* Half a header, then a hang-up: not the front-end's error. */
	send_raw(g.sock, wire, 6, -1);
	usleep(50000);
	mg_fini(&g);
	CHECK(mg_wait(disconnected, dev, BOUND_MS), "no disconnect");
	CHECK(mg_dev_stats(dev).err_msg == 0 &&
		      mg_dev_stats(dev).msg_stalls == 0,
	      "a hang-up mid-message counted as an error");
	CHECK(mg_count_fds() == fds0, "fd leak: %d -> %d", fds0,
	      mg_count_fds());

	/* A header announcing 4 KiB of payload: the session ends at once. */
	sock = tvu_connect(path);
	CHECK(sock >= 0, "connect");
	wire_u64(wire, TVU_SET_FEATURES, 0, 0);
	wire[8] = 0;
	wire[9] = 0x10; /* size 4096 */
	send_raw(sock, wire, TVU_HDR_SIZE, -1);
	{
		struct dev_count c = {.dev = dev, .n = 2};

		CHECK(mg_wait(n_disconnects, &c, BOUND_MS),
		      "oversized: no disconnect");
	}
	CHECK(mg_dev_stats(dev).err_msg == 1 &&
		      mg_dev_stats(dev).msg_stalls == 0,
	      "oversized: err_msg %lu",
	      (unsigned long)mg_dev_stats(dev).err_msg);
	close(sock);
	tvh_dev_destroy(dev);
	printf("ok split messages (fd on the first piece) handled; hang-up "
	       "mid-message and oversized header end the session\n");
}

/* ---- out-of-band bytes ---- */

/* A message whose last payload byte comes with MSG_OOB: FIONREAD counts
 * it, an ordinary read would skip it and wait for it (seconds, holding
 * the control thread). The back-end keeps out-of-band data inline, so
 * the message is handled at once and in full. */
static void
test_oob(void)
{
	const char *path = mg_sock_path("oob");
	struct tvh_config cfg = {.path = path, .n_queue_pairs = 1};
	uint8_t wire[TVU_HDR_SIZE + 8];
	struct tvh_dev_stats st;
	struct tvh_dev *dev;
	struct tvu_msg r;
	uint64_t t0, dt;
	struct mg g;

	CHECK(tvh_dev_create(&cfg, NULL, NULL, &dev) == 0, "create");
	mg_init(&g);
	mg_connect(&g, path);
	mg_negotiate(&g, feat, tvh_default_protocol_features());
	/* SET_FEATURES again, same value, with NEED_REPLY: the ack says the
	 * back-end read and accepted all 8 payload bytes. */
	wire_u64(wire, TVU_SET_FEATURES, TVU_FLAG_NEED_REPLY, feat);
	send_raw(g.sock, wire, sizeof(wire) - 1, -1);
	if (send(g.sock, wire + sizeof(wire) - 1, 1,
		 MSG_OOB | MSG_NOSIGNAL) != 1) {
		/* Unix sockets before Linux 5.15 have no out-of-band data. */
		CHECK(errno == EOPNOTSUPP, "send MSG_OOB: %s",
		      strerror(errno));
		printf("skip out-of-band byte: %s\n", strerror(errno));
		mg_fini(&g);
		CHECK(mg_wait(disconnected, dev, BOUND_MS), "no disconnect");
		tvh_dev_destroy(dev);
		return;
	}
	t0 = mg_now_ms();
	CHECK(tvu_recv(g.sock, &r) == 0 && r.request == TVU_SET_FEATURES &&
		      r.size == 8 && r.payload.u64 == 0,
	      "no ack for a message whose last byte came out of band");
	dt = mg_now_ms() - t0;
	CHECK(dt < 500, "acked after %lu ms", (unsigned long)dt);
	st = mg_dev_stats(dev);
	CHECK(st.err_msg == 0 && st.msg_stalls == 0 && st.disconnects == 0,
	      "err_msg %lu msg_stalls %lu disconnects %lu",
	      (unsigned long)st.err_msg, (unsigned long)st.msg_stalls,
	      (unsigned long)st.disconnects);
	mg_fini(&g);
	CHECK(mg_wait(disconnected, dev, BOUND_MS), "no disconnect");
	tvh_dev_destroy(dev);
	printf("ok a message whose last byte came out of band was read in "
	       "full and acked in %lu ms\n",
	       (unsigned long)dt);
}

/* ---- accept without a free fd ---- */

/* A front-end connects while the process has no fd left (RLIMIT_NOFILE
 * at the lowest free fd): accept fails with EMFILE and the connection
 * stays queued. The control thread must not spin on the listen socket
 * meanwhile (before: a core at 100%, silently), and must serve the
 * connection once fds are back. */
static void
test_accept_emfile(void)
{
	const char *path = mg_sock_path("emfile");
	struct tvh_config cfg = {.path = path, .n_queue_pairs = 1};
	struct tvh_dev_stats st;
	struct tt_starve sv;
	struct tvh_dev *dev;
	uint64_t v = 0;
	int rc;

	CHECK(tvh_dev_create(&cfg, NULL, NULL, &dev) == 0, "create");
	rc = tt_starve_begin(&sv, path);
	CHECK(rc == 0, "set-up of the fd shortage: %s", strerror(-rc));
	if (rc != 0) {
		tvh_dev_destroy(dev);
		return;
	}
	st = mg_dev_stats(dev);
	CHECK(tt_starve_end(&sv) == 0, "setrlimit back");
	CHECK(sv.connect_err == 0, "connect: %s", strerror(sv.connect_err));
	CHECK(sv.cpu < 0.3, "%.2f s of CPU in 1 s while accept had no fd",
	      sv.cpu);
	CHECK(st.accept_fails >= 1 && st.accept_fails <= 3 && st.connects == 0,
	      "accept_fails %lu connects %lu", (unsigned long)st.accept_fails,
	      (unsigned long)st.connects);
	/* The queued connection is served once fds are back (the listen
	 * socket is watched again after a second). */
	CHECK(tvu_fe_get_u64(sv.sock, TVU_GET_FEATURES, &v) == 0 &&
		      (v & feat) == feat,
	      "not served after the fd limit was raised (features 0x%lx)",
	      (unsigned long)v);
	CHECK(mg_dev_stats(dev).connects == 1, "connects %lu",
	      (unsigned long)mg_dev_stats(dev).connects);
	printf("ok accept without an fd: %u failure(s), %.3f s of CPU in "
	       "1 s; served once the limit was raised\n",
	       (unsigned int)st.accept_fails, sv.cpu);
	close(sv.sock);
	CHECK(mg_wait(disconnected, dev, BOUND_MS), "not disconnected");
	tvh_dev_destroy(dev);
}

int
main(int argc, char **argv)
{
	int fds0, maps0;

	mg_eal_init(argv[0], "ctlio");
	/* Warm-up: a session with a refused message leaves what a process
	 * keeps (the control thread's malloc arena and cached stack). */
	{
		struct tvh_config cfg = {.path = mg_sock_path("warm"),
					 .n_queue_pairs = 1};
		struct tvh_dev *dev;
		struct mg g;

		CHECK(tvh_dev_create(&cfg, NULL, NULL, &dev) == 0, "create");
		mg_init(&g);
		mg_connect(&g, cfg.path);
		mg_negotiate(&g, feat, tvh_default_protocol_features());
		CHECK(tvu_fe_set_vring_state(g.sock, TVU_SET_VRING_NUM, 0, 3,
					     true) == -EIO,
		      "ring size 3 accepted");
		mg_fini(&g);
		CHECK(mg_wait(disconnected, dev, BOUND_MS), "warm-up");
		tvh_dev_destroy(dev);
	}
	fds0 = mg_count_fds();
	maps0 = mg_count_maps_stable();
	test_cap();
	test_stall();
	test_split();
	test_oob();
	test_accept_emfile();
	CHECK(mg_count_fds() == fds0 && mg_count_maps_stable() == maps0,
	      "leak: fds %d -> %d, maps %d -> %d", fds0, mg_count_fds(), maps0,
	      mg_count_maps_stable());
	rte_eal_cleanup();
	printf("PASS\n");
	return 0;
}
