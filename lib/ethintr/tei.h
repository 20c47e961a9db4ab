/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * tei.h - RX interrupt mode (intr_conf.rxq) for a vdev ethdev: the port's
 * interrupt handle with one eventfd per RX queue, which
 * rte_eth_dev_rx_intr_ctl[_q] puts into the application's epoll sets and
 * the PMD has written when the queue's traffic arrives (net_tandem_virtio:
 * the back-end's call; net_tandem_vhost: lib/vhost relays the front-end's
 * kicks). The fds live from configure to close, or to a configure that
 * changes the RX queue count or turns the mode off, so that the
 * application's registrations survive stop/start and reconnects.
 *
 * Control path (the port's ethdev ops), except tei_wake.
 */
#ifndef TEI_H
#define TEI_H

#include <stdbool.h>
#include <stdint.h>

struct rte_eth_dev;

/* At dev_configure: make eth_dev->intr_handle match intr_conf.rxq and the
 * RX queue count (kept if it does already). Returns 0, or -errno with
 * *what naming the step that failed (the handle is then gone). */
int tei_configure(struct rte_eth_dev *eth_dev, const char **what);

/* At dev_close: out of every epoll set rte_eth_dev_rx_intr_ctl[_q] put
 * them in, fds closed, handle freed. */
void tei_free(struct rte_eth_dev *eth_dev);

/* May rte_eth_dev_rx_intr_enable (enable) or _disable act on a port
 * that is started or not? 0, or -ENOTSUP (no intr_conf.rxq) or -EINVAL
 * (enabling on a stopped port; disabling works there too, so that a queue
 * armed at stop does not stay armed) with *why saying so. */
int tei_queue_check(const struct rte_eth_dev *eth_dev, bool started,
		    bool enable, const char **why);

/* RX queue q's eventfd, or -1 (poll mode). */
int tei_fd(const struct rte_eth_dev *eth_dev, uint16_t q);

/* Wake whoever sleeps on fd. False only on an error other than a
 * saturated counter (which is a pending wake-up as well). */
bool tei_wake(int fd);

#endif /* TEI_H */
