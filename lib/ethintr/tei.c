/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * tei.c - see tei.h.
 */
#include <errno.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <ethdev_driver.h>
#include <rte_interrupts.h>

#include "tei.h"

void
tei_free(struct rte_eth_dev *eth_dev)
{
	struct rte_intr_handle *h = eth_dev->intr_handle;
	int i, n;

	if (h == NULL)
		return;
	/* Out of the epoll sets first (a peer may hold the same file open:
	 * closing ours would not take it out). */
	rte_intr_free_epoll_fd(h);
	n = rte_intr_nb_efd_get(h);
	for (i = 0; i < n; i++) {
		int fd = rte_intr_efds_index_get(h, i);

		if (fd >= 0)
			close(fd);
	}
	rte_intr_vec_list_free(h);
	rte_intr_instance_free(h);
	eth_dev->intr_handle = NULL;
}

int
tei_configure(struct rte_eth_dev *eth_dev, const char **what)
{
	uint16_t nb_rx = eth_dev->data->nb_rx_queues, q;
	struct rte_intr_handle *h = eth_dev->intr_handle;
	int ret;

	if (!eth_dev->data->dev_conf.intr_conf.rxq) {
		tei_free(eth_dev);
		return 0;
	}
	if (h != NULL && rte_intr_nb_efd_get(h) == nb_rx)
		return 0; /* keep the fds the application registered */
	tei_free(eth_dev);
	*what = "interrupt handle";
	h = rte_intr_instance_alloc(RTE_INTR_INSTANCE_F_PRIVATE);
	if (h == NULL)
		return -ENOMEM;
	eth_dev->intr_handle = h;
	/* VDEV: EAL reads efd_counter_size bytes (an eventfd's counter)
	 * when an fd fires, which re-arms it. */
	ret = rte_intr_type_set(h, RTE_INTR_HANDLE_VDEV);
	if (ret == 0) /* not an fd of its own: the efds are */
		ret = rte_intr_fd_set(h, -1);
	if (ret == 0)
		ret = rte_intr_efd_counter_size_set(h, sizeof(uint64_t));
	if (ret == 0)
		ret = rte_intr_vec_list_alloc(h, NULL, nb_rx);
	if (ret != 0)
		goto fail;
	*what = "eventfd";
	for (q = 0; q < nb_rx; q++) {
		/* Non-blocking: a writer must never block. */
		int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);

		if (fd < 0) {
			ret = -errno;
			goto fail;
		}
		ret = rte_intr_efds_index_set(h, q, fd);
		if (ret != 0) {
			close(fd);
			goto fail;
		}
		/* Counted as made, so that tei_free closes it. */
		ret = rte_intr_nb_efd_set(h, q + 1);
		if (ret == 0)
			ret = rte_intr_vec_list_index_set(
				h, q, RTE_INTR_VEC_RXTX_OFFSET + q);
		if (ret != 0)
			goto fail;
	}
	ret = rte_intr_max_intr_set(h, nb_rx + 1);
	if (ret != 0)
		goto fail;
	return 0;
fail:
	tei_free(eth_dev);
	return ret;
}

int
tei_queue_check(const struct rte_eth_dev *eth_dev, bool started, bool enable,
		const char **why)
{
	if (eth_dev->intr_handle == NULL) {
		*why = "interrupts were not configured (set intr_conf.rxq in "
		       "rte_eth_dev_configure)";
		return -ENOTSUP;
	}
	if (enable && !started) {
		*why = "interrupts need a started port";
		return -EINVAL;
	}
	return 0;
}

int
tei_fd(const struct rte_eth_dev *eth_dev, uint16_t q)
{
	if (eth_dev->intr_handle == NULL)
		return -1;
	return rte_intr_efds_index_get(eth_dev->intr_handle, q);
}

bool
tei_wake(int fd)
{
	return eventfd_write(fd, 1) == 0 || errno == EAGAIN;
}
