/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * A scriptable vhost-user front-end for lib/vhost tests (see the header).
 */
#include "mock_guest.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <rte_eal.h>

#include "../common/tt_fds.h"

void
mg_eal_init(const char *prog, const char *prefix)
{
	char fp[64], name[64];
	char *argv[] = {name,
			"--no-huge",
			"-m",
			"256",
			"--no-pci",
			fp,
			"--log-level=lib.*:error",
			"--log-level=pmd.net.tandem_vhost.*:error",
			"-l",
			"0",
			NULL};

	if (getenv("H2_LOG") != NULL)
		argv[7] = "--log-level=pmd.net.tandem_vhost.*:debug";
	snprintf(name, sizeof(name), "%s", prog);
	snprintf(fp, sizeof(fp), "--file-prefix=h2-%s-%d", prefix,
		 (int)getpid());
	CHECK(rte_eal_init((int)RTE_DIM(argv) - 1, argv) >= 0, "EAL init");
}

static char sock_dir[64];

static void
rm_sock_dir(void)
{
	rmdir(sock_dir); /* only if empty: sockets left are a test failure */
}

const char *
mg_sock_path(const char *name)
{
	static char path[108];

	if (sock_dir[0] == '\0') {
		snprintf(sock_dir, sizeof(sock_dir), "/tmp/h2-vhost-%d",
			 (int)getpid());
		mkdir(sock_dir, 0700);
		atexit(rm_sock_dir);
	}
	snprintf(path, sizeof(path), "%s/%s.sock", sock_dir, name);
	return path;
}

void
mg_init(struct mg *g)
{
	memset(g, 0, sizeof(*g));
	g->sock = -1;
	g->memfd = memfd_create("mg-guest", MFD_CLOEXEC);
	CHECK(g->memfd >= 0, "memfd_create: %s", strerror(errno));
	CHECK(ftruncate(g->memfd, MG_MEM_SIZE) == 0, "ftruncate");
	g->mem = mmap(NULL, MG_MEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		      g->memfd, 0);
	CHECK(g->mem != MAP_FAILED, "mmap");
	for (int i = 0; i < MG_MAX_VQS; i++) {
		g->vq[i].kick_fd = -1;
		g->vq[i].call_fd = -1;
	}
}

void
mg_fini(struct mg *g)
{
	if (g->sock >= 0)
		close(g->sock);
	g->sock = -1;
	for (int i = 0; i < MG_MAX_VQS; i++) {
		if (g->vq[i].kick_fd >= 0)
			close(g->vq[i].kick_fd);
		if (g->vq[i].call_fd >= 0)
			close(g->vq[i].call_fd);
		g->vq[i].kick_fd = -1;
		g->vq[i].call_fd = -1;
		free(g->vq[i].pkbuf);
		g->vq[i].pkbuf = NULL;
	}
	munmap(g->mem, MG_MEM_SIZE);
	close(g->memfd);
}

void
mg_connect(struct mg *g, const char *path)
{
	for (int i = 0; i < 200; i++) {
		g->sock = tvu_connect(path);
		if (g->sock >= 0)
			return;
		usleep(10000);
	}
	CHECK(0, "cannot connect to %s", path);
}

void
mg_negotiate(struct mg *g, uint64_t features, uint64_t pfeatures)
{
	uint64_t offered, poffered;

	CHECK(tvu_fe_set_owner(g->sock) == 0, "SET_OWNER");
	CHECK(tvu_fe_get_u64(g->sock, TVU_GET_FEATURES, &offered) == 0,
	      "GET_FEATURES");
	CHECK((features & ~offered) == 0, "test wants 0x%llx, offered 0x%llx",
	      (unsigned long long)features, (unsigned long long)offered);
	CHECK(tvu_fe_set_u64(g->sock, TVU_SET_FEATURES, features, false) == 0,
	      "SET_FEATURES");
	g->features = features;
	if (tv_has_feature(features, TV_F_VHOST_USER_PROTOCOL_FEATURES)) {
		CHECK(tvu_fe_get_u64(g->sock, TVU_GET_PROTOCOL_FEATURES,
				     &poffered) == 0,
		      "GET_PROTOCOL_FEATURES");
		pfeatures &= poffered;
		CHECK(tvu_fe_set_u64(g->sock, TVU_SET_PROTOCOL_FEATURES,
				     pfeatures, false) == 0,
		      "SET_PROTOCOL_FEATURES");
		g->pfeatures = pfeatures;
		g->reply_ack =
			(pfeatures & TV_BIT(TVU_PROTOCOL_F_REPLY_ACK)) != 0;
	}
}

int
mg_send_mem_table(struct mg *g)
{
	struct tvu_memory m;
	int fds[2] = {g->memfd, g->memfd};
	const uint64_t half = MG_MEM_SIZE / 2;

	memset(&m, 0, sizeof(m));
	m.nregions = 2;
	for (int i = 0; i < 2; i++) {
		m.regions[i].guest_phys_addr = MG_GPA_BASE + i * half;
		m.regions[i].memory_size = half;
		m.regions[i].userspace_addr =
			(uint64_t)(uintptr_t)g->mem + i * half;
		m.regions[i].mmap_offset = i * half;
	}
	return tvu_fe_set_mem_table(g->sock, &m, fds, g->reply_ack);
}

void *
mg_alloc(struct mg *g, size_t size, size_t align)
{
	size_t off = (g->heap_off + align - 1) & ~(align - 1);

	CHECK(off + size <= MG_MEM_SIZE, "guest memory exhausted");
	g->heap_off = off + size;
	return g->mem + off;
}

uint64_t
mg_gpa(const struct mg *g, const void *p)
{
	return MG_GPA_BASE + (uint64_t)((const uint8_t *)p - g->mem);
}

void *
mg_ptr(const struct mg *g, uint64_t gpa)
{
	return g->mem + (gpa - MG_GPA_BASE);
}

bool
mg_pk_wrap(uint16_t idx, uint32_t num)
{
	return (idx / num) % 2 == 0;
}

uint32_t
mg_pk_base_of(uint16_t idx, uint32_t num)
{
	return (idx % num) | (mg_pk_wrap(idx, num) ? 0x8000u : 0u);
}

uint32_t
mg_pk_base(const struct mg *g, uint32_t vq)
{
	return mg_pk_base_of(g->vq[vq].avail_idx, g->vq[vq].num);
}

void
mg_pk_ring_layout(struct mg *g, uint32_t idx, uint32_t num,
		  struct tvu_vring_addr *a)
{
	struct mg_vq *q = &g->vq[idx];

	if (q->pkbuf == NULL || q->num != num) {
		for (uint32_t i = 0; q->pkbuf != NULL && i < q->num; i++)
			CHECK(!q->pkbuf[i].in_flight,
			      "vring %u resized with buffer %u in flight", idx,
			      i);
		free(q->pkbuf);
		q->pkbuf = calloc(num, sizeof(*q->pkbuf));
		CHECK(q->pkbuf != NULL, "out of memory");
	}
	if (q->pring.desc == NULL || q->pring.num != num) {
		size_t size = tv_packed_size(num);
		void *mem = mg_alloc(g, size, 4096);

		memset(mem, 0, size);
		tv_packed_init(&q->pring, mem, num);
		g->heap_mark = g->heap_off;
	}
	q->num = num;
	a->desc_user_addr = (uint64_t)(uintptr_t)q->pring.desc;
	a->avail_user_addr = (uint64_t)(uintptr_t)q->pring.driver;
	a->used_user_addr = (uint64_t)(uintptr_t)q->pring.device;
}

void
mg_pk_ring_forget(struct mg *g, uint32_t vq)
{
	memset(&g->vq[vq].pring, 0, sizeof(g->vq[vq].pring));
}

/* A round trip: every message sent before has been handled. */
static void
mg_sync(struct mg *g)
{
	uint64_t v;

	CHECK(tvu_fe_get_u64(g->sock, TVU_GET_FEATURES, &v) == 0, "sync");
}

int
mg_vq_setup(struct mg *g, uint32_t idx, uint32_t num)
{
	if (tv_has_feature(g->features, TV_F_RING_PACKED))
		return mg_vq_setup_base(
			g, idx, num, mg_pk_base_of(g->vq[idx].avail_idx, num));
	return mg_vq_setup_base(g, idx, num, g->vq[idx].avail_idx);
}

int
mg_vq_setup_base(struct mg *g, uint32_t idx, uint32_t num, uint32_t base)
{
	struct mg_vq *q = &g->vq[idx];
	bool packed = tv_has_feature(g->features, TV_F_RING_PACKED);
	struct tvu_vring_addr a;
	void *ring_mem;
	int rc;

	if (!packed && (q->ring.desc == NULL || q->num != num)) {
		ring_mem = mg_alloc(g, tv_split_size(num, TV_SPLIT_USED_ALIGN),
				    4096);
		memset(ring_mem, 0, tv_split_size(num, TV_SPLIT_USED_ALIGN));
		tv_split_init(&q->ring, ring_mem, num, TV_SPLIT_USED_ALIGN);
		q->num = num;
		g->heap_mark = g->heap_off;
	}
	rc = tvu_fe_set_vring_state(g->sock, TVU_SET_VRING_NUM, idx, num,
				    g->reply_ack);
	if (rc < 0)
		return rc;
	memset(&a, 0, sizeof(a));
	a.index = idx;
	if (packed) {
		/* desc: the descriptor ring; avail: the driver's event
		 * suppression area; used: the device's. */
		mg_pk_ring_layout(g, idx, num, &a);
	} else {
		a.desc_user_addr = (uint64_t)(uintptr_t)q->ring.desc;
		a.avail_user_addr = (uint64_t)(uintptr_t)q->ring.avail;
		a.used_user_addr = (uint64_t)(uintptr_t)q->ring.used;
	}
	rc = tvu_fe_set_vring_addr(g->sock, &a, g->reply_ack);
	if (rc < 0)
		return rc;
	rc = g->no_base ? 0
			: tvu_fe_set_vring_state(g->sock, TVU_SET_VRING_BASE,
						 idx, base, g->reply_ack);
	if (rc < 0)
		return rc;
	if (q->call_fd < 0)
		q->call_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (q->kick_fd < 0)
		q->kick_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	rc = tvu_fe_set_vring_fd(g->sock, TVU_SET_VRING_CALL, idx, q->call_fd);
	if (rc < 0)
		return rc;
	rc = tvu_fe_set_vring_fd(g->sock, TVU_SET_VRING_KICK, idx, q->kick_fd);
	if (rc < 0)
		return rc;
	if (tv_has_feature(g->features, TV_F_VHOST_USER_PROTOCOL_FEATURES) &&
	    !g->no_enable) {
		rc = tvu_fe_set_vring_state(g->sock, TVU_SET_VRING_ENABLE, idx,
					    1, g->reply_ack);
		if (rc < 0)
			return rc;
	}
	mg_sync(g);
	return 0;
}

void
mg_setup(struct mg *g, const char *path, uint64_t features, uint32_t n_vqs,
	 uint32_t num)
{
	if (g->sock < 0)
		mg_connect(g, path);
	mg_negotiate(g, features, tvh_default_protocol_features());
	CHECK(mg_send_mem_table(g) == 0, "SET_MEM_TABLE");
	for (uint32_t i = 0; i < n_vqs; i++)
		CHECK(mg_vq_setup(g, i, num) == 0, "vring %u setup", i);
}

uint32_t
mg_vq_stop(struct mg *g, uint32_t idx)
{
	uint32_t base = UINT32_MAX;

	CHECK(tvu_fe_get_vring_base(g->sock, idx, &base) == 0,
	      "GET_VRING_BASE %u", idx);
	return base;
}

void
mg_round_reset(struct mg *g)
{
	g->heap_off = g->heap_mark;
	for (int i = 0; i < MG_MAX_VQS; i++)
		g->vq[i].next_desc = 0;
}

bool
mg_fd_woken(int fd, int timeout_ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	uint64_t v;

	if (poll(&p, 1, timeout_ms) != 1)
		return false;
	return read(fd, &v, sizeof(v)) == sizeof(v) && v > 0;
}

uint16_t
mg_desc(struct mg *g, uint32_t vq, uint64_t addr, uint32_t len, uint16_t flags)
{
	struct mg_vq *q = &g->vq[vq];
	uint16_t i = q->next_desc;

	CHECK(i < q->num, "out of descriptors in vq %u", vq);
	q->next_desc++;
	q->ring.desc[i].addr = addr;
	q->ring.desc[i].len = len;
	q->ring.desc[i].flags = flags;
	q->ring.desc[i].next = 0;
	return i;
}

void
mg_desc_link(struct mg *g, uint32_t vq, uint16_t from, uint16_t to)
{
	g->vq[vq].ring.desc[from].flags |= TV_DESC_F_NEXT;
	g->vq[vq].ring.desc[from].next = to;
}

void
mg_avail_add(struct mg *g, uint32_t vq, uint16_t head)
{
	struct mg_vq *q = &g->vq[vq];

	q->ring.avail->ring[q->avail_idx & (q->num - 1)] = head;
	q->avail_idx++;
}

void
mg_avail_publish(struct mg *g, uint32_t vq)
{
	struct mg_vq *q = &g->vq[vq];

	__atomic_store_n(&q->ring.avail->idx, q->avail_idx, __ATOMIC_RELEASE);
}

bool
mg_used_next(struct mg *g, uint32_t vq, uint32_t *id, uint32_t *len)
{
	struct mg_vq *q = &g->vq[vq];
	uint16_t used = __atomic_load_n(&q->ring.used->idx, __ATOMIC_ACQUIRE);
	struct tv_used_elem *e;

	if (used == q->used_seen)
		return false;
	e = &q->ring.used->ring[q->used_seen & (q->num - 1)];
	*id = e->id;
	*len = e->len;
	q->used_seen++;
	return true;
}

uint16_t
mg_tx_post(struct mg *g, uint32_t vq, enum mg_tx_layout layout,
	   const uint8_t *pkt, uint32_t len, uint32_t hdr_len)
{
	uint8_t *hdr, *data, *buf;
	int first = -1, last;
	uint16_t head;

	switch (layout) {
	case MG_TX_HDR_OWN:
		hdr = mg_alloc(g, hdr_len, 16);
		memset(hdr, 0, hdr_len);
		data = mg_alloc(g, len, 64);
		memcpy(data, pkt, len);
		head = mg_desc(g, vq, mg_gpa(g, hdr), hdr_len, 0);
		last = mg_desc(g, vq, mg_gpa(g, data), len, 0);
		mg_desc_link(g, vq, head, (uint16_t)last);
		break;
	case MG_TX_HDR_SAME:
		buf = mg_alloc(g, hdr_len + len, 64);
		memset(buf, 0, hdr_len);
		memcpy(buf + hdr_len, pkt, len);
		head = mg_desc(g, vq, mg_gpa(g, buf), hdr_len + len, 0);
		break;
	case MG_TX_STRADDLE: {
		/* Place the buffer so it crosses the region boundary. */
		size_t half = MG_MEM_SIZE / 2;
		size_t start = half - (hdr_len + len) / 2;

		CHECK(g->heap_off <= start, "heap too full for straddle");
		buf = g->mem + start;
		memset(buf, 0, hdr_len);
		memcpy(buf + hdr_len, pkt, len);
		head = mg_desc(g, vq, mg_gpa(g, buf), hdr_len + len, 0);
		break;
	}
	case MG_TX_CHAIN:
	case MG_TX_INDIRECT:
	default: {
		/* Header split 5 + (hdr_len - 5): it ends inside the second
		 * piece, which also carries the first data bytes; the rest
		 * of the data goes in 700-byte pieces. */
		uint64_t addr[64];
		uint32_t plen[64], n = 0;
		uint32_t first_part = len < 100 ? len : 100;

		buf = mg_alloc(g, hdr_len + len, 64);
		memset(buf, 0, hdr_len);
		memcpy(buf + hdr_len, pkt, len);
		addr[n] = mg_gpa(g, buf);
		plen[n++] = 5;
		addr[n] = mg_gpa(g, buf + 5);
		plen[n++] = hdr_len - 5 + first_part;
		for (uint32_t off = hdr_len + first_part; off < hdr_len + len;
		     off += 700) {
			CHECK(n < 64, "packet too long for MG_TX_CHAIN");
			addr[n] = mg_gpa(g, buf + off);
			plen[n++] = hdr_len + len - off < 700
					    ? hdr_len + len - off
					    : 700;
		}
		if (layout == MG_TX_INDIRECT) {
			struct tv_desc *tbl =
				mg_alloc(g, n * sizeof(struct tv_desc), 16);

			for (uint32_t i = 0; i < n; i++) {
				tbl[i].addr = addr[i];
				tbl[i].len = plen[i];
				tbl[i].flags = i + 1 < n ? TV_DESC_F_NEXT : 0;
				tbl[i].next = (uint16_t)(i + 1 < n ? i + 1 : 0);
			}
			head = mg_desc(g, vq, mg_gpa(g, tbl),
				       n * sizeof(struct tv_desc),
				       TV_DESC_F_INDIRECT);
		} else {
			last = -1;
			for (uint32_t i = 0; i < n; i++) {
				uint16_t d =
					mg_desc(g, vq, addr[i], plen[i], 0);

				if (last >= 0)
					mg_desc_link(g, vq, (uint16_t)last, d);
				else
					first = d;
				last = d;
			}
			head = (uint16_t)first;
		}
		break;
	}
	}
	(void)first;
	mg_avail_add(g, vq, head);
	return head;
}

uint16_t
mg_rx_post(struct mg *g, uint32_t vq, uint32_t n_desc, uint32_t desc_len)
{
	int prev = -1, head = -1;

	for (uint32_t i = 0; i < n_desc; i++) {
		uint8_t *b = mg_alloc(g, desc_len ? desc_len : 1, 16);
		uint16_t d =
			mg_desc(g, vq, mg_gpa(g, b), desc_len, TV_DESC_F_WRITE);

		memset(b, 0xee, desc_len);
		if (prev >= 0)
			mg_desc_link(g, vq, (uint16_t)prev, d);
		else
			head = d;
		prev = d;
	}
	mg_avail_add(g, vq, (uint16_t)head);
	return (uint16_t)head;
}

void
mg_chain_read(struct mg *g, uint32_t vq, uint16_t head, uint8_t *out,
	      uint32_t len)
{
	const struct tv_desc *tbl = g->vq[vq].ring.desc;
	uint16_t i = head;

	if (tbl[i].flags & TV_DESC_F_INDIRECT) {
		tbl = mg_ptr(g, tbl[i].addr);
		i = 0;
	}
	while (len > 0) {
		const struct tv_desc *d = &tbl[i];
		uint32_t n = d->len < len ? d->len : len;

		memcpy(out, mg_ptr(g, d->addr), n);
		out += n;
		len -= n;
		if (len > 0) {
			CHECK(d->flags & TV_DESC_F_NEXT, "chain %u too short",
			      head);
			i = d->next;
		}
	}
}

void
mg_fill(uint8_t *buf, uint32_t len, uint32_t seed)
{
	uint32_t x = seed * 2654435761u + 1;

	for (uint32_t i = 0; i < len; i++) {
		x = x * 1103515245u + 12345u;
		buf[i] = (uint8_t)(x >> 16);
	}
}

struct rte_mbuf *
mg_mbuf_from(struct rte_mempool *mp, const uint8_t *data, uint32_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	uint32_t off = 0;

	CHECK(m != NULL, "mbuf alloc");
	while (off < len) {
		uint32_t room = rte_pktmbuf_tailroom(rte_pktmbuf_lastseg(m));
		uint32_t n = len - off < room ? len - off : room;
		char *p;

		if (room == 0) {
			struct rte_mbuf *s = rte_pktmbuf_alloc(mp);

			CHECK(s != NULL, "mbuf alloc");
			CHECK(rte_pktmbuf_chain(m, s) == 0, "chain");
			continue;
		}
		p = rte_pktmbuf_append(m, (uint16_t)n);
		CHECK(p != NULL, "append");
		memcpy(p, data + off, n);
		off += n;
	}
	return m;
}

int
mg_mbuf_cmp(const struct rte_mbuf *m, const uint8_t *data, uint32_t len)
{
	uint32_t off = 0;

	if (m->pkt_len != len)
		return -1;
	for (; m != NULL; m = m->next) {
		if (off + m->data_len > len)
			return -1;
		if (memcmp(rte_pktmbuf_mtod(m, const uint8_t *), data + off,
			   m->data_len) != 0)
			return -1;
		off += m->data_len;
	}
	return off == len ? 0 : -1;
}

int
mg_count_fds(void)
{
	int n = tt_count_fds();

	CHECK(n >= 0, "/proc/self/fd");
	return n;
}

/* Lines of /proc/self/maps, or only those containing `needle`. */
static int
count_maps_with(const char *needle)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char *line = NULL;
	size_t cap = 0;
	int n = 0;

	CHECK(f != NULL, "maps");
	while (getline(&line, &cap, f) >= 0)
		if (needle == NULL || strstr(line, needle) != NULL)
			n++;
	free(line);
	fclose(f);
	return n;
}

int
mg_count_maps(void)
{
	return count_maps_with(NULL);
}

int
mg_count_maps_stable(void)
{
#ifdef __SANITIZE_ADDRESS__
	return count_maps_with("memfd:");
#else
	return count_maps_with(NULL);
#endif
}

struct tvh_dev_stats
mg_dev_stats(struct tvh_dev *dev)
{
	struct tvh_dev_stats st;

	tvh_dev_stats_get(dev, &st);
	return st;
}

uint64_t
mg_now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000u + (uint64_t)t.tv_nsec / 1000000u;
}

bool
mg_wait(bool (*cond_fn)(void *), void *arg, int timeout_ms)
{
	for (int i = 0; i < timeout_ms; i++) {
		if (cond_fn(arg))
			return true;
		usleep(1000);
	}
	return cond_fn(arg);
}
