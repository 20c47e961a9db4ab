/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * fuzz_vhost_env.c - the set-up lib/vhost's datapath fuzz targets share
 * (see fuzz_vhost_env.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz_common.h"
#include "fuzz_eal.h"
#include "fuzz_vhost_env.h"

const struct fm_region fz_regions[3] = {
	{.gpa = R0_GPA, .size = R0_SIZE, .file_off = R0_OFF},
	{.gpa = R1_GPA, .size = R1_SIZE, .file_off = R1_OFF},
	{.gpa = R2_GPA, .size = R2_SIZE, .file_off = R2_OFF},
};

struct rte_mempool *fz_pools[3];
static const unsigned int pool_n[3] = {4096, 2048, 8};
uint8_t fz_pattern[MEM_SPAN];

static struct fz_dev *env_devs;
static unsigned int env_n_devs;
static char sock_dir[64];

static void
cleanup(void)
{
	for (unsigned int i = 0; i < env_n_devs; i++) {
		if (env_devs[i].dev != NULL)
			tvh_dev_destroy(env_devs[i].dev);
		env_devs[i].dev = NULL;
	}
	rmdir(sock_dir);
}

void
fz_env_init(const char *prog, const char *tag, uint32_t seed,
	    struct fz_dev *devs, unsigned int n_devs)
{
	uint32_t x = seed;

	FUZZ_CHECK(n_devs <= FZ_MAX_DEVS, "%u devices", n_devs);
	(void)fuzz_eal_start(prog, tag, "pmd.net.tandem_vhost.*");
	snprintf(sock_dir, sizeof(sock_dir), "/tmp/h1-%s-%d", tag,
		 (int)getpid());
	mkdir(sock_dir, 0700);
	env_devs = devs;
	env_n_devs = n_devs;
	atexit(cleanup);
	for (unsigned int i = 0; i < 3; i++) {
		char name[32];
		uint16_t room = i == 1 ? RTE_PKTMBUF_HEADROOM + 64
				       : RTE_MBUF_DEFAULT_BUF_SIZE;

		snprintf(name, sizeof(name), "%s_pool%u", tag, i);
		fz_pools[i] = rte_pktmbuf_pool_create(name, pool_n[i], 0, 0,
						      room, SOCKET_ID_ANY);
		FUZZ_CHECK(fz_pools[i] != NULL, "pool %u", i);
	}
	for (unsigned int i = 0; i < MEM_SPAN; i++) {
		x = x * 1103515245u + 12345u;
		fz_pattern[i] = (uint8_t)(x >> 16);
	}
}

void
fz_dev_setup(struct fz_dev *d, int i, uint64_t features, bool reply_ack,
	     bool tx_discard)
{
	const struct tvh_ops ops = {0};
	struct tvh_config cfg = {
		.n_queue_pairs = 1,
		.features = tvh_default_features(),
		.log_name = "fuzz",
		.disabled_tx_discard = tx_discard,
	};
	struct tvu_memory m;
	int fds[3];
	uint64_t pf = TV_BIT(TVU_PROTOCOL_F_MQ);

	snprintf(d->path, sizeof(d->path), "%s/dev%d.sock", sock_dir, i);
	cfg.path = d->path;
	FUZZ_CHECK(tvh_dev_create(&cfg, &ops, NULL, &d->dev) == 0,
		   "tvh_dev_create %s", d->path);
	mg_init(&d->g);
	FUZZ_CHECK(ftruncate(d->g.memfd, MEM_SPAN) == 0, "ftruncate");
	mg_connect(&d->g, d->path);
	if (reply_ack)
		pf |= TV_BIT(TVU_PROTOCOL_F_REPLY_ACK);
	mg_negotiate(&d->g, features, pf);
	d->features = features;
	d->tx_discard = tx_discard;
	d->proto = tv_has_feature(features, TV_F_VHOST_USER_PROTOCOL_FEATURES);
	d->reply_ack = d->g.reply_ack;
	memset(&m, 0, sizeof(m));
	m.nregions = 3;
	for (unsigned int r = 0; r < 3; r++) {
		m.regions[r].guest_phys_addr = fz_regions[r].gpa;
		m.regions[r].memory_size = fz_regions[r].size;
		m.regions[r].userspace_addr =
			(uint64_t)(uintptr_t)d->g.mem + fz_regions[r].file_off;
		m.regions[r].mmap_offset = fz_regions[r].file_off;
		fds[r] = d->g.memfd;
	}
	FUZZ_CHECK(tvu_fe_set_mem_table(d->g.sock, &m, fds, d->reply_ack) == 0,
		   "SET_MEM_TABLE");
}

void
fz_dev_sync(const struct fz_dev *d)
{
	uint64_t v;

	FUZZ_CHECK(tvu_fe_get_u64(d->g.sock, TVU_GET_FEATURES, &v) == 0,
		   "sync");
}

void
fz_check_mbuf(const struct rte_mbuf *m, const struct rte_mempool *pool,
	      const uint8_t *data, uint32_t len, bool skip_bytes)
{
	const char *why = NULL;
	uint32_t off = 0, segs = 0;

	FUZZ_CHECK(rte_mbuf_check(m, 1, &why) == 0, "bad mbuf: %s", why);
	FUZZ_CHECK(m->pkt_len == len,
		   "dequeued %u bytes, the front-end offered %u", m->pkt_len,
		   len);
	for (const struct rte_mbuf *s = m; s != NULL; s = s->next) {
		FUZZ_CHECK(s->pool == pool, "segment from another pool");
		FUZZ_CHECK(off + s->data_len <= len && ++segs <= m->nb_segs,
			   "segments longer than pkt_len");
		FUZZ_CHECK(skip_bytes ||
				   memcmp(rte_pktmbuf_mtod(s, const uint8_t *),
					  data + off, s->data_len) == 0,
			   "dequeued bytes %u..%u differ from the front-end's",
			   off, off + s->data_len);
		off += s->data_len;
	}
	FUZZ_CHECK(off == len && segs == m->nb_segs, "segments sum to %u of %u",
		   off, len);
}

/* An mbuf chain of len bytes in about nseg segments (more if the pool's
 * buffers are small); NULL if the pool ran dry. */
struct rte_mbuf *
fz_build_mbuf(struct rte_mempool *mp, const uint8_t *data, uint32_t len,
	      uint32_t nseg)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp), *last = m;
	uint32_t per = (len + nseg - 1) / nseg, off = 0;

	if (m == NULL)
		return NULL;
	for (;;) {
		uint32_t k = RTE_MIN(len - off,
				     (uint32_t)rte_pktmbuf_tailroom(last));
		struct rte_mbuf *s;

		k = RTE_MIN(k, per);
		memcpy(rte_pktmbuf_mtod(last, uint8_t *), data + off, k);
		last->data_len = (uint16_t)k;
		m->pkt_len += k;
		off += k;
		if (off == len)
			return m;
		s = rte_pktmbuf_alloc(mp);
		if (s == NULL) {
			rte_pktmbuf_free(m);
			return NULL;
		}
		last->next = s;
		last = s;
		m->nb_segs++;
	}
}

void
fz_input_end(void)
{
	int probe;

	for (unsigned int i = 0; i < 3; i++)
		FUZZ_CHECK(rte_mempool_avail_count(fz_pools[i]) == pool_n[i],
			   "pool %u: %u of %u mbufs back", i,
			   rte_mempool_avail_count(fz_pools[i]), pool_n[i]);
	/* A fresh fd's number moves up at once if one leaked; the fds are
	 * counted every 64 inputs (fuzz_fd_watch). */
	probe = dup(2);
	FUZZ_CHECK(probe >= 0, "dup");
	fuzz_fd_watch(probe, 64);
	close(probe);
}
