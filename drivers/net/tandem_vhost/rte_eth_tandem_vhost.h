/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * rte_eth_tandem_vhost.h - net_tandem_vhost's API beyond ethdev: which of
 * a port's virtqueues the guest enabled or disabled, the counterpart of
 * the stock net_vhost's rte_eth_vhost_get_queue_event() (rte_eth_vhost.h;
 * a distinct name, so that both drivers can be loaded in one process).
 *
 * A port raises RTE_ETH_EVENT_QUEUE_STATE (register with
 * rte_eth_dev_callback_register) when the guest starts or stops serving
 * one of its virtqueues: enabled and set up, or disabled, reset or gone
 * with the guest. The callback runs on the EAL interrupt thread, 10 ms
 * after the first change; the changes of those 10 ms share it, so call
 * rte_eth_tandem_vhost_get_queue_event() until it returns -1.
 *
 * Threading: any thread; calls for one port are serialised inside. Not
 * concurrently with the close of that port (it frees what they read).
 */
#ifndef RTE_ETH_TANDEM_VHOST_H
#define RTE_ETH_TANDEM_VHOST_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One virtqueue's new state. rx: the port's receive queue queue_id (the
 * guest's transmit virtqueue 2 queue_id + 1), else its transmit queue
 * (virtqueue 2 queue_id). The same layout as stock's struct
 * rte_eth_vhost_queue_event. */
struct rte_eth_tandem_vhost_queue_event {
	uint16_t queue_id;
	bool rx;
	bool enable;
};

/* Take one virtqueue whose state changed since it was last taken (each
 * reported once, in its latest state; virtqueues are visited round robin).
 * Returns 0 and fills *event, -1 if no state changed, -EINVAL if event is
 * NULL or port_id is not a net_tandem_vhost port. */
int rte_eth_tandem_vhost_get_queue_event(
	uint16_t port_id, struct rte_eth_tandem_vhost_queue_event *event);

#ifdef __cplusplus
}
#endif

#endif /* RTE_ETH_TANDEM_VHOST_H */
