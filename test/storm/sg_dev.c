/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * sg_dev.c - storm_guest's front-end: guest memory, the vhost-user
 * connection and its set-up, memory tables, ring enable and the abrupt
 * ways of leaving.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "sg.h"

/* A host that stops answering must fail the test, not hang it. */
#define SG_SOCK_TIMEOUT_S 5
/* How long sg_connect keeps trying (host not listening yet, or still
 * tearing down our previous connection and refusing a second one). */
#define SG_CONNECT_S 10.0

static uint8_t *
memfd_map(const char *name, size_t size, int *fd_out)
{
	int fd = memfd_create(name, MFD_CLOEXEC);
	void *p;

	if (fd < 0)
		return NULL;
	if (ftruncate(fd, (off_t)size) < 0) {
		close(fd);
		return NULL;
	}
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		close(fd);
		return NULL;
	}
	*fd_out = fd;
	return p;
}

int
sg_init(struct sg *g, const char *path, uint16_t n_qp, uint32_t window)
{
	uint32_t i;

	memset(g, 0, sizeof(*g));
	g->path = path;
	g->sock = -1;
	g->memfd = -1;
	g->extra_fd = -1;
	g->n_qp = n_qp;
	g->window = window;
	for (i = 0; i < 2 * SG_MAX_QP; i++)
		g->vq[i].kick_fd = g->vq[i].call_fd = -1;
	if (n_qp == 0 || n_qp > SG_MAX_QP || window == 0 ||
	    window > SG_RING_NUM / 2)
		return -EINVAL;
	if (tp_sched_init(&g->sched, false) != 0)
		return -ENOMEM;
	g->mem = memfd_map("storm-guest", SG_MEM_SIZE, &g->memfd);
	g->extra = memfd_map("storm-extra", SG_EXTRA_SIZE, &g->extra_fd);
	if (g->mem == NULL || g->extra == NULL)
		return -errno;
	for (i = 0; i < 2u * n_qp; i++) {
		g->vq[i].kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		g->vq[i].call_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (g->vq[i].kick_fd < 0 || g->vq[i].call_fd < 0)
			return -errno;
		g->vq[i].bufs = g->mem + SG_BUF_OFF +
				(size_t)i * SG_RING_NUM * SG_BUF_SIZE;
	}
	/* Unique per process, so the echo host tells runs apart. */
	g->next_session = ((uint32_t)getpid() & 0xfffffu) << 12;
	return 0;
}

void
sg_fini(struct sg *g)
{
	uint32_t i;

	sg_close(g);
	for (i = 0; i < 2 * SG_MAX_QP; i++) {
		if (g->vq[i].kick_fd >= 0)
			close(g->vq[i].kick_fd);
		if (g->vq[i].call_fd >= 0)
			close(g->vq[i].call_fd);
	}
	if (g->mem != NULL)
		munmap(g->mem, SG_MEM_SIZE);
	if (g->extra != NULL)
		munmap(g->extra, SG_EXTRA_SIZE);
	if (g->memfd >= 0)
		close(g->memfd);
	if (g->extra_fd >= 0)
		close(g->extra_fd);
	tp_sched_free(&g->sched);
}

uint64_t
sg_gpa(const struct sg *g, const void *p)
{
	return SG_GPA_BASE + (uint64_t)((const uint8_t *)p - g->mem);
}

/* Fresh rings for a new connection: RX rings full of empty buffers, every
 * TX descriptor free. The device starts at index 0 (SET_VRING_BASE 0). */
static void
rings_reset(struct sg *g)
{
	uint32_t i, d;

	for (i = 0; i < 2u * g->n_qp; i++) {
		struct sg_vq *vq = &g->vq[i];
		void *area = g->mem + (size_t)i * SG_RING_AREA;

		memset(area, 0, SG_RING_AREA);
		tv_split_init(&vq->ring, area, SG_RING_NUM,
			      TV_SPLIT_USED_ALIGN);
		/* The guest polls: no interrupts wanted. */
		vq->ring.avail->flags = TV_AVAIL_F_NO_INTERRUPT;
		vq->used_seen = 0;
		vq->n_free = 0;
		memset(vq->busy, 0, sizeof(vq->busy));
		if (tv_net_vq_is_guest_tx(i)) {
			for (d = 0; d < SG_RING_NUM; d++)
				vq->free_ids[vq->n_free++] =
					(uint16_t)(SG_RING_NUM - 1 - d);
			vq->avail_idx = 0;
			continue;
		}
		for (d = 0; d < SG_RING_NUM; d++) {
			vq->ring.desc[d].addr =
				sg_gpa(g, vq->bufs + (size_t)d * SG_BUF_SIZE);
			vq->ring.desc[d].len = SG_BUF_SIZE;
			vq->ring.desc[d].flags = TV_DESC_F_WRITE;
			vq->ring.avail->ring[d] = (uint16_t)d;
			vq->busy[d] = true;
		}
		vq->avail_idx = (uint16_t)SG_RING_NUM;
		/* Nobody reads the ring before SET_VRING_KICK: no barrier. */
		vq->ring.avail->idx = vq->avail_idx;
	}
	for (i = 0; i < g->n_qp; i++)
		sg_stream_new(g, (uint16_t)i);
}

int
sg_send_mem_table(struct sg *g, enum sg_mem_layout layout)
{
	struct tvu_memory mem;
	int fds[TVU_MAX_MEM_REGIONS];

	memset(&mem, 0, sizeof(mem));
	mem.regions[0] = (struct tvu_mem_region){
		.guest_phys_addr = SG_GPA_BASE,
		.memory_size = SG_MEM_SIZE,
		.userspace_addr = (uint64_t)(uintptr_t)g->mem,
		.mmap_offset = 0,
	};
	fds[0] = g->memfd;
	mem.nregions = 1;
	if (layout == SG_MEM_SPLIT) {
		/* The same bytes as three regions of one file, with
		 * boundaries that are not page aligned and fall inside a
		 * buffer of queue pair 0's RX ring and of its TX ring, so
		 * frames straddle regions. */
		static const uint64_t cut[] = {
			SG_BUF_OFF + SG_RING_NUM * SG_BUF_SIZE / 2 + 1000,
			SG_BUF_OFF + SG_RING_NUM * SG_BUF_SIZE * 3 / 2 + 3000,
			SG_MEM_SIZE,
		};
		uint64_t start = 0;

		for (unsigned int r = 0; r < 3; r++) {
			mem.regions[r] = (struct tvu_mem_region){
				.guest_phys_addr = SG_GPA_BASE + start,
				.memory_size = cut[r] - start,
				.userspace_addr =
					(uint64_t)(uintptr_t)g->mem + start,
				.mmap_offset = start,
			};
			fds[r] = g->memfd;
			start = cut[r];
		}
		mem.nregions = 3;
	} else if (layout == SG_MEM_EXTRA) {
		mem.regions[1] = (struct tvu_mem_region){
			.guest_phys_addr = SG_EXTRA_GPA,
			.memory_size = SG_EXTRA_SIZE,
			.userspace_addr = (uint64_t)(uintptr_t)g->extra,
			.mmap_offset = 0,
		};
		fds[1] = g->extra_fd;
		mem.nregions = 2;
	}
	return tvu_fe_set_mem_table(g->sock, &mem, fds, true);
}

static int
vq_setup(struct sg *g, uint32_t i)
{
	struct sg_vq *vq = &g->vq[i];
	struct tvu_vring_addr addr = {
		.index = i,
		.desc_user_addr = (uint64_t)(uintptr_t)vq->ring.desc,
		.avail_user_addr = (uint64_t)(uintptr_t)vq->ring.avail,
		.used_user_addr = (uint64_t)(uintptr_t)vq->ring.used,
	};
	int ret;

	ret = tvu_fe_set_vring_state(g->sock, TVU_SET_VRING_NUM, i, SG_RING_NUM,
				     true);
	if (ret == 0)
		ret = tvu_fe_set_vring_state(g->sock, TVU_SET_VRING_BASE, i, 0,
					     true);
	if (ret == 0)
		ret = tvu_fe_set_vring_addr(g->sock, &addr, true);
	if (ret == 0)
		ret = tvu_fe_set_vring_fd(g->sock, TVU_SET_VRING_CALL, i,
					  vq->call_fd);
	if (ret == 0)
		ret = tvu_fe_set_vring_fd(g->sock, TVU_SET_VRING_KICK, i,
					  vq->kick_fd);
	if (ret == 0)
		ret = sg_vring_enable(g, i, true);
	return ret;
}

/* GET_FEATURES .. SET_MEM_TABLE; -ECONNRESET/-EPIPE when the host closed
 * the connection at once (it still served our previous one). */
static int
negotiate(struct sg *g)
{
	uint64_t offered, poffered;
	uint64_t want = TV_BIT(TV_F_VERSION_1) |
			TV_BIT(TV_F_VHOST_USER_PROTOCOL_FEATURES);
	uint64_t pwant = TV_BIT(TVU_PROTOCOL_F_REPLY_ACK);
	int ret;

	if (g->n_qp > 1) {
		want |= TV_BIT(TV_NET_F_MQ);
		pwant |= TV_BIT(TVU_PROTOCOL_F_MQ);
	}
	ret = tvu_fe_get_u64(g->sock, TVU_GET_FEATURES, &offered);
	if (ret < 0)
		return ret;
	if ((offered & want) != want) {
		printf("FAIL: host offers features 0x%llx, storm_guest needs "
		       "0x%llx\n",
		       (unsigned long long)offered, (unsigned long long)want);
		return -ENOTSUP;
	}
	ret = tvu_fe_set_u64(g->sock, TVU_SET_FEATURES, want, false);
	if (ret == 0)
		ret = tvu_fe_get_u64(g->sock, TVU_GET_PROTOCOL_FEATURES,
				     &poffered);
	if (ret < 0)
		return ret;
	if ((poffered & pwant) != pwant) {
		printf("FAIL: host offers protocol features 0x%llx, "
		       "storm_guest needs 0x%llx\n",
		       (unsigned long long)poffered, (unsigned long long)pwant);
		return -ENOTSUP;
	}
	ret = tvu_fe_set_u64(g->sock, TVU_SET_PROTOCOL_FEATURES, pwant, false);
	if (ret == 0)
		ret = tvu_fe_set_owner(g->sock);
	g->features = want;
	g->pfeatures = pwant;
	return ret;
}

static void
sleep_ms(unsigned int ms)
{
	struct timespec ts = {.tv_sec = ms / 1000,
			      .tv_nsec = (long)(ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

int
sg_connect(struct sg *g, bool stop_after_mem)
{
	struct timeval tv = {.tv_sec = SG_SOCK_TIMEOUT_S};
	double end = sg_now() + SG_CONNECT_S;
	uint32_t i;
	int ret;

	for (;;) {
		g->sock = tvu_connect(g->path);
		if (g->sock >= 0) {
			setsockopt(g->sock, SOL_SOCKET, SO_RCVTIMEO, &tv,
				   sizeof(tv));
			setsockopt(g->sock, SOL_SOCKET, SO_SNDTIMEO, &tv,
				   sizeof(tv));
			ret = negotiate(g);
			if (ret == 0)
				break;
			sg_close(g);
			/* A host still tearing down our previous session
			 * refuses a second front-end by closing at once. */
			if (ret != -ECONNRESET && ret != -EPIPE)
				return ret;
		} else if (g->sock != -ENOENT && g->sock != -ECONNREFUSED) {
			return g->sock;
		}
		g->retries++;
		if (sg_now() > end)
			return -ETIMEDOUT;
		sleep_ms(1);
	}
	rings_reset(g);
	ret = sg_send_mem_table(g, SG_MEM_ONE);
	if (ret < 0 || stop_after_mem)
		return ret < 0 ? ret : 1;
	for (i = 0; i < 2u * g->n_qp && ret == 0; i++)
		ret = vq_setup(g, i);
	return ret;
}

int
sg_vring_enable(struct sg *g, uint32_t vq, bool on)
{
	return tvu_fe_set_vring_state(g->sock, TVU_SET_VRING_ENABLE, vq,
				      on ? 1 : 0, true);
}

void
sg_close(struct sg *g)
{
	if (g->sock >= 0)
		close(g->sock);
	g->sock = -1;
}

void
sg_close_mid_message(struct sg *g, unsigned int n)
{
	struct {
		uint32_t request, flags, size;
	} hdr = {TVU_SET_VRING_ENABLE, TVU_FLAG_VERSION, 8};
	ssize_t w;

	if (n > sizeof(hdr))
		n = sizeof(hdr);
	w = send(g->sock, &hdr, n, MSG_NOSIGNAL);
	(void)w;
	sg_close(g);
}
