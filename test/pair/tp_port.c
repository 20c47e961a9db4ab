/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * tp_port.c - vdev creation at run time (hot attach), port configuration,
 * teardown, and the resource checks done after teardown: every mempool
 * full again, /proc/self/fd as before.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_bus_vdev.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "tp.h"

int
tp_port_create(struct tp_port *p, const char *vdev)
{
	const char *comma = strchr(vdev, ',');
	size_t n = comma ? (size_t)(comma - vdev) : strlen(vdev);
	int ret;

	memset(p, 0, sizeof(*p));
	if (n == 0 || n >= sizeof(p->name)) {
		fprintf(stderr, "bad vdev '%s': want name[,args]\n", vdev);
		return -EINVAL;
	}
	memcpy(p->name, vdev, n);
	ret = rte_vdev_init(p->name, comma ? comma + 1 : "");
	if (ret != 0) {
		fprintf(stderr,
			"creating vdev '%s' failed (%d): is the driver "
			"loaded (-d), are the devargs valid?\n",
			vdev, ret);
		return ret < 0 ? ret : -EINVAL;
	}
	p->created = true;
	ret = rte_eth_dev_get_port_by_name(p->name, &p->port_id);
	if (ret != 0) {
		fprintf(stderr, "vdev '%s' created no ethdev port\n", p->name);
		return ret;
	}
	return 0;
}

int
tp_port_setup(struct tp_port *p, const struct tp_port_cfg *cfg)
{
	struct rte_eth_conf conf;
	struct rte_eth_dev_info info;
	struct rte_eth_rxconf rxc;
	struct rte_eth_txconf txc;
	uint32_t max_frame = cfg->jumbo ? TP_JUMBO : TP_MAX_FRAME;
	uint16_t q;
	int ret;

	ret = rte_eth_dev_info_get(p->port_id, &info);
	if (ret != 0)
		return ret;
	if (cfg->queues > info.max_rx_queues ||
	    cfg->queues > info.max_tx_queues) {
		fprintf(stderr,
			"%s: %u queues wanted, driver offers rx %u tx %u\n",
			p->name, cfg->queues, info.max_rx_queues,
			info.max_tx_queues);
		return -EINVAL;
	}
	memset(&conf, 0, sizeof(conf));
	conf.rxmode.mtu = max_frame - RTE_ETHER_HDR_LEN;
	if (cfg->jumbo) {
		/* 9000 B frames leave as chains: the TX side must take them. */
		if (!(info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS)) {
			fprintf(stderr,
				"%s: jumbo test needs TX multi-seg; driver "
				"offers tx 0x%" PRIx64 "\n",
				p->name, info.tx_offload_capa);
			return -ENOTSUP;
		}
		conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
		/* ...and arrive as chains. Stock net_vhost chains without
		 * advertising SCATTER, so ask only when offered and let the
		 * traffic show whether 9000 B frames arrive. */
		if (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_SCATTER)
			conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_SCATTER;
	}
	/* Link state changes drive the loop modes; let the driver report
	 * them by interrupt when it can (stock virtio-user needs it to
	 * reconnect in server mode). */
	if (*info.dev_flags & RTE_ETH_DEV_INTR_LSC)
		conf.intr_conf.lsc = 1;
	ret = rte_eth_dev_configure(p->port_id, cfg->queues, cfg->queues,
				    &conf);
	if (ret != 0) {
		fprintf(stderr, "%s: configure failed: %s\n", p->name,
			strerror(-ret));
		return ret;
	}
	rxc = info.default_rxconf;
	rxc.offloads = conf.rxmode.offloads;
	txc = info.default_txconf;
	txc.offloads = conf.txmode.offloads;
	for (q = 0; q < cfg->queues; q++) {
		ret = rte_eth_rx_queue_setup(p->port_id, q, cfg->nb_desc,
					     rte_socket_id(), &rxc,
					     cfg->rx_pool);
		if (ret != 0) {
			fprintf(stderr, "%s: rx queue %u setup failed: %s\n",
				p->name, q, strerror(-ret));
			return ret;
		}
		ret = rte_eth_tx_queue_setup(p->port_id, q, cfg->nb_desc,
					     rte_socket_id(), &txc);
		if (ret != 0) {
			fprintf(stderr, "%s: tx queue %u setup failed: %s\n",
				p->name, q, strerror(-ret));
			return ret;
		}
	}
	ret = rte_eth_dev_start(p->port_id);
	if (ret != 0) {
		fprintf(stderr, "%s: start failed: %s\n", p->name,
			strerror(-ret));
		return ret;
	}
	p->started = true;
	return 0;
}

bool
tp_port_link_up(const struct tp_port *p)
{
	struct rte_eth_link link;

	if (rte_eth_link_get_nowait(p->port_id, &link) != 0)
		return false;
	return link.link_status == RTE_ETH_LINK_UP;
}

int
tp_port_wait_link(struct tp_port *p, bool up, double timeout_s)
{
	double end = tp_now() + timeout_s;

	while (tp_port_link_up(p) != up) {
		if (tp_stop_requested)
			return -EINTR;
		if (tp_now() > end) {
			fprintf(stderr, "%s: link still %s after %.1f s\n",
				p->name, up ? "down" : "up", timeout_s);
			return -ETIMEDOUT;
		}
		usleep(1000);
	}
	return 0;
}

int
tp_port_destroy(struct tp_port *p)
{
	int ret, err = 0;

	if (p->started) {
		ret = rte_eth_dev_stop(p->port_id);
		if (ret != 0) {
			fprintf(stderr, "%s: stop failed: %s\n", p->name,
				strerror(-ret));
			err = ret;
		}
		p->started = false;
	}
	if (p->created) {
		ret = rte_eth_dev_close(p->port_id);
		if (ret != 0) {
			fprintf(stderr, "%s: close failed: %s\n", p->name,
				strerror(-ret));
			err = ret;
		}
		/* close released the port; take the device off the vdev
		 * bus too so that nothing of it remains. */
		ret = rte_vdev_uninit(p->name);
		if (ret != 0 && ret != -ENOENT) {
			fprintf(stderr, "%s: vdev uninit failed: %d\n", p->name,
				ret);
			err = ret;
		}
		p->created = false;
	}
	return err;
}

struct rte_mempool *
tp_pool_create(const char *name, unsigned int n)
{
	/* No per-lcore cache: the fill check must count every mbuf, and a
	 * test does not need the speed. */
	struct rte_mempool *mp = rte_pktmbuf_pool_create(
		name, n, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, rte_socket_id());

	if (mp == NULL)
		fprintf(stderr, "mempool %s (%u mbufs) failed: %s\n", name, n,
			rte_strerror(rte_errno));
	return mp;
}

int
tp_pool_check_full(const struct rte_mempool *mp)
{
	unsigned int avail = rte_mempool_avail_count(mp);

	if (avail == mp->size)
		return 0;
	printf("mempool %s: %u of %u mbufs back (%u leaked)\n", mp->name, avail,
	       mp->size, mp->size - avail);
	return -EBUSY;
}

static int
fds_snapshot_once(struct tp_fds *f, bool *racy)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	char path[64];
	ssize_t n;

	if (d == NULL)
		return -errno;
	f->n = 0;
	while ((e = readdir(d)) != NULL) {
		int fd;

		if (e->d_name[0] == '.')
			continue;
		fd = atoi(e->d_name);
		if (fd == dirfd(d) || f->n == TP_MAX_FDS)
			continue;
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		n = readlink(path, f->target[f->n],
			     sizeof(f->target[f->n]) - 1);
		if (n < 0) {
			/* closed between readdir and readlink */
			*racy = true;
			n = 0;
		}
		f->target[f->n][n] = '\0';
		f->fd[f->n++] = fd;
	}
	closedir(d);
	return 0;
}

static bool
fds_equal(const struct tp_fds *a, const struct tp_fds *b)
{
	unsigned int i;

	if (a->n != b->n)
		return false;
	for (i = 0; i < a->n; i++)
		if (a->fd[i] != b->fd[i] ||
		    strcmp(a->target[i], b->target[i]) != 0)
			return false;
	return true;
}

/* EAL's interrupt thread closes and re-creates its epoll fd whenever an
 * interrupt source comes or goes, possibly while we look: take snapshots
 * until two in a row agree and no fd vanished under readlink (bounded:
 * 50 tries, 10 ms apart). */
int
tp_fds_snapshot(struct tp_fds *f)
{
	struct tp_fds *prev = malloc(sizeof(*prev));
	unsigned int tries;
	int ret = -EAGAIN;

	if (prev == NULL)
		return -ENOMEM;
	prev->n = UINT32_MAX;
	for (tries = 0; tries < 50; tries++) {
		bool racy = false;

		ret = fds_snapshot_once(f, &racy);
		if (ret != 0)
			break;
		if (!racy && fds_equal(f, prev))
			break;
		memcpy(prev, f, sizeof(*prev));
		usleep(10000);
	}
	free(prev);
	return ret;
}

static bool
fds_has(const struct tp_fds *f, int fd, const char *target)
{
	unsigned int i;

	for (i = 0; i < f->n; i++)
		if (f->fd[i] == fd && strcmp(f->target[i], target) == 0)
			return true;
	return false;
}

/* Index in f of an entry pointing at target and not yet used, or -1. */
static int
fds_find_target(const struct tp_fds *f, const char *target, const bool *used)
{
	unsigned int i;

	for (i = 0; i < f->n; i++)
		if (!used[i] && strcmp(f->target[i], target) == 0)
			return (int)i;
	return -1;
}

unsigned int
tp_fds_diff(const struct tp_fds *before, const struct tp_fds *now,
	    const char *allow_kind, unsigned int allow_n)
{
	bool now_ok[TP_MAX_FDS] = {false}, before_ok[TP_MAX_FDS] = {false};
	unsigned int i, bad = 0;
	int j;

	/* Same fd, same object: unchanged. */
	for (i = 0; i < now->n; i++)
		if (fds_has(before, now->fd[i], now->target[i])) {
			now_ok[i] = true;
			for (j = 0; j < (int)before->n; j++)
				if (before->fd[j] == now->fd[i])
					before_ok[j] = true;
		}
	/* The same kind of object at another number: EAL's interrupt thread
	 * re-creates its epoll instance whenever an interrupt source comes or
	 * goes, so its "anon_inode:[eventpoll]" fd may move. One closed and
	 * one opened with an identical target is a move, not a leak. */
	for (i = 0; i < now->n; i++) {
		if (now_ok[i])
			continue;
		j = fds_find_target(before, now->target[i], before_ok);
		if (j < 0)
			continue;
		printf("fd %d -> %s: was fd %d (moved, not a leak)\n",
		       now->fd[i], now->target[i], before->fd[j]);
		now_ok[i] = true;
		before_ok[j] = true;
	}
	for (i = 0; i < now->n; i++) {
		if (now_ok[i])
			continue;
		if (allow_kind != NULL && allow_n > 0 &&
		    strncmp(now->target[i], allow_kind, strlen(allow_kind)) ==
			    0) {
			printf("fd %d -> %s: open now, not before "
			       "(tolerated: --allow-fds)\n",
			       now->fd[i], now->target[i]);
			allow_n--;
			continue;
		}
		printf("fd %d -> %s: open now, not before\n", now->fd[i],
		       now->target[i]);
		bad++;
	}
	for (i = 0; i < before->n; i++)
		if (!before_ok[i]) {
			printf("fd %d -> %s: open before, gone now\n",
			       before->fd[i], before->target[i]);
			bad++;
		}
	return bad;
}
