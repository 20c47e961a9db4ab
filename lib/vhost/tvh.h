/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * tvh.h - Tandem's vhost-user back-end: the one public header of lib/vhost.
 *
 * A tvh_dev is one vhost-user device behind one unix socket (server: it
 * listens from tvh_dev_create() on; client: it connects and reconnects).
 * The library maps the front-end's memory, validates everything the
 * front-end says or writes, and moves packets between the front-end's
 * virtqueues and DPDK mbufs (always by copy: no guest memory is ever handed
 * to the application).
 *
 * Threading:
 *  - Control: tvh_dev_create/destroy and the *_get calls may be made from
 *    any one thread at a time per device. Protocol messages are handled on
 *    one control thread that the library owns (shared by all devices of the
 *    process); the callbacks in struct tvh_ops run on that thread and must
 *    not call tvh_dev_create() or tvh_dev_destroy() (of any device).
 *  - Datapath: tvh_dequeue_burst/tvh_enqueue_burst on one virtqueue may be
 *    called by one thread at a time (the DPDK rule for a queue); different
 *    virtqueues may be served by different threads. They never block, take
 *    a lock, do an atomic read-modify-write or a system call, except the
 *    eventfd write of a notification that the front-end asked for.
 *  - Changes of the memory table, ring addresses or device life cycle while
 *    the datapath runs are made safe by the control thread (it stops a
 *    queue and waits until no burst is inside it); the datapath pays two
 *    plain stores, a compiler barrier and a load per burst for that when
 *    the kernel has membarrier (PRIVATE_EXPEDITED), else a full fence per
 *    burst instead of the compiler barrier (logged at start-up). A burst
 *    that returns buffers to a front-end which wants notifications also
 *    pays a full fence to decide whether to notify (its used index store
 *    against the front-end's read of it), and the eventfd write if so.
 *  - The stop is bounded (200 ms): a burst that does not leave in time
 *    (see "Notifications" below) marks its queue stuck, the front-end is
 *    disconnected, and what that burst may still touch (the memory table,
 *    the call fd, the device itself after tvh_dev_destroy) is released
 *    only once it leaves. The datapath thread is then the one waiting,
 *    not the control thread nor the other devices.
 *
 * Notifications: the front-end's kick, call and err fds must be eventfds
 * (anything else is refused, counted in err_msg); the library sets
 * O_NONBLOCK on them and never reads them (kicks are counted from
 * /proc/self/fdinfo). A call eventfd whose counter the front-end saturated
 * then makes the write fail with EAGAIN (counted in
 * tvh_vq_extra_stats.calls_eagain).
 * Residual risk: the front-end shares the eventfd's file description and
 * can clear O_NONBLOCK again; then a saturated counter blocks the
 * datapath thread in write() until the front-end reads it. The library
 * cannot prevent that without a system call per notification; it stays
 * responsive (bounded stop above) but that lcore is held by the front-end
 * until it reads or exits. A front-end that reads its call eventfd with
 * blocking reads sees EAGAIN instead (QEMU and DPDK's virtio-user use
 * non-blocking eventfds anyway).
 *
 * Guest memory truncation: the front-end keeps the fds of the memory it
 * shares and may shrink a file after the back-end mapped it; the next
 * access beyond the new end would raise SIGBUS and kill the process (and
 * every other device in it). Unless the file is sealed against that
 * (F_SEAL_SHRINK, as QEMU's memory-backend-memfd does by default), the
 * library relies on a SIGBUS handler it installs once per process when
 * the first device is created: a fault inside guest memory that the
 * library mapped is absorbed (zero-filled private pages replace the rest
 * of that mapping, the access restarts), counted in
 * tvh_dev_stats.mem_faults, and the device disconnected. Any other SIGBUS
 * goes to the handler that was installed before (e.g. a sanitizer's), or
 * kills the process as it would have without the library. An application
 * that installs its own SIGBUS handler after creating a device must chain
 * to the previous one (the library logs a warning at the next mapping if
 * its handler was replaced). At most 1024 regions are guarded per
 * process; a memory table beyond that is refused.
 *
 * Errors: functions return 0 or -errno. Misbehaviour of the front-end is
 * counted (struct tvh_vq_stats / tvh_dev_stats), logged once, rate limited,
 * and marks the queue (descriptor errors) broken until the front-end sets
 * the ring up again (any message that restarts it: a new set-up after
 * GET_VRING_BASE, SET_VRING_ADDR, _CALL or _ENABLE, SET_MEM_TABLE,
 * SET_FEATURES, or a reset), or ends the connection (message errors that
 * break the protocol).
 */
#ifndef TVH_H
#define TVH_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>
#include <rte_mempool.h>

#ifdef __cplusplus
extern "C" {
#endif

struct tvh_dev;

/* Maximum queue pairs one device serves (virtqueues = 2 * pairs). */
#define TVH_MAX_QUEUE_PAIRS 128u

struct tvh_ops {
	/* The front-end made the device usable (features set, memory mapped,
	 * queue pair 0 ready): a link-up event. */
	void (*device_ready)(struct tvh_dev *dev, void *ctx);
	/* The device stopped being usable (disconnect, reset, GET_VRING_BASE
	 * of queue pair 0): a link-down event. Datapath calls keep working
	 * and return 0. Not called from tvh_dev_destroy(). */
	void (*device_gone)(struct tvh_dev *dev, void *ctx);
	/* A virtqueue was enabled or disabled by the front-end (optional). */
	void (*vring_state)(struct tvh_dev *dev, void *ctx, uint16_t vq,
			    bool enabled);
};

/* The copy of long packet runs (tvh_config.copy). SSE is rte_memcpy as
 * DPDK was built (16-byte moves with Debian's DPDK); AVX2 and AVX512 are
 * lib/vhost's own 32- and 64-byte copies, compiled for their ISA and only
 * run on a CPU that has it. Copies of at most TVH_COPY_INLINE_MAX bytes
 * (64 B frames) are inline rte_memcpy at every level. */
enum tvh_copy_level {
	TVH_COPY_AUTO = 0, /* AVX2 if this CPU has it and EAL's max SIMD
			    * bitwidth (--force-max-simd-bitwidth) allows
			    * 256 bits, else SSE (AVX512 only on request:
			    * slower here, see tvh_copy.c) */
	TVH_COPY_SSE,
	TVH_COPY_AVX2,
	TVH_COPY_AVX512,
};

/* "auto", "sse", "avx2", "avx512" ("?" for anything else). */
const char *tvh_copy_name(enum tvh_copy_level level);
/* Whether this CPU can run `level` (AUTO and SSE: always). */
bool tvh_copy_cpu_has(enum tvh_copy_level level);
/* The level AUTO stands for on this CPU and EAL configuration; other
 * levels are returned as they are. After rte_eal_init(). */
enum tvh_copy_level tvh_copy_resolve(enum tvh_copy_level want);

struct tvh_config {
	const char *path; /* unix socket path */
	bool client;	  /* connect to a listening front-end and reconnect */
	uint16_t n_queue_pairs; /* offered to the front-end, >= 1 */
	uint64_t features; /* virtio feature bits offered; 0: the default */
	uint64_t protocol_features; /* offered; 0: the default */
	const char *log_name; /* prefix of log lines, e.g. the port name */
	/* A transmit ring the front-end started (SET_VRING_KICK) but has not
	 * enabled, or disabled: false (default): left untouched, its packets
	 * wait until it is enabled (what DPDK's vhost library does); true:
	 * consumed and dropped, counted in tvh_vq_extra_stats.discarded (the
	 * vhost-user spec's "Ring states": "must process and discard any TX
	 * packets"). Not the default because front-ends such as DPDK's
	 * virtio-user enable a ring and transmit on it at once, without
	 * waiting for the back-end to handle SET_VRING_ENABLE: under load
	 * their first burst meets a ring still disabled and is lost
	 * (observed: 3 queues x 32 packets in a 4-queue interop run). A
	 * receive ring that is disabled never gets packets either way. */
	bool disabled_tx_discard;
	/* Added: the most guest memory (sum of the regions' sizes in one
	 * SET_MEM_TABLE) the device maps for its front-end; a larger table
	 * is refused (counted in err_mem). 0: TVH_DEFAULT_MAX_GUEST_MEM. A
	 * front-end chooses what the back-end maps, bounded only by the
	 * size of its files, and a sparse file of any size costs it
	 * nothing. */
	uint64_t max_guest_mem;
	/* Added: the long-copy level (TVH_COPY_AUTO by default). A level
	 * the CPU lacks makes tvh_dev_create fail with -ENOTSUP. */
	enum tvh_copy_level copy;
};

/* Default of tvh_config.max_guest_mem: 64 GiB. */
#define TVH_DEFAULT_MAX_GUEST_MEM (64ull << 30)

/* Default virtio features Tandem's back-end offers. */
uint64_t tvh_default_features(void);
/* Default vhost-user protocol features (MQ, REPLY_ACK, STATUS, ...). */
uint64_t tvh_default_protocol_features(void);

/* Everything the library implements (added): cfg->features and
 * cfg->protocol_features must be subsets, else tvh_dev_create fails with
 * -ENOTSUP. */
uint64_t tvh_supported_features(void);
uint64_t tvh_supported_protocol_features(void);

/* Create a device and start listening (or connecting). Returns 0 and sets
 * *out, or -errno (socket path unusable, out of memory). */
int tvh_dev_create(const struct tvh_config *cfg, const struct tvh_ops *ops,
		   void *ctx, struct tvh_dev **out);

/* Disconnect the front-end, wait for the datapath to leave every queue,
 * unmap its memory, close every fd and the socket (a server's socket file
 * is removed) and free the device. Returns within about 200 ms even if a
 * datapath thread is blocked inside a burst on this device (see
 * "Notifications" above): the device's memory, call fds and structure are
 * then freed by the library once that burst returns (noticed by its
 * control thread, or at the next tvh_dev_create/destroy if it was the
 * last device). The application must still not call the datapath on
 * `dev` after this returns. */
void tvh_dev_destroy(struct tvh_dev *dev);

/* Is the device usable now (the state device_ready/device_gone report)? */
bool tvh_dev_is_ready(const struct tvh_dev *dev);

/* Negotiated virtio features (0 while no front-end is connected). */
uint64_t tvh_dev_features(const struct tvh_dev *dev);

/* Move up to n packets the front-end transmitted on virtqueue `vq` (odd:
 * 2q+1) into new mbufs from `pool` (multi-segment when a packet exceeds
 * one mbuf). Returns the number of packets stored in pkts[]. Frees nothing
 * of the caller's; a packet the front-end described badly is counted and
 * consumed (returned to the front-end with length 0), never delivered. */
uint16_t tvh_dequeue_burst(struct tvh_dev *dev, uint16_t vq,
			   struct rte_mempool *pool, struct rte_mbuf **pkts,
			   uint16_t n);

/* Copy up to n packets into the front-end's receive virtqueue `vq` (even:
 * 2q). Returns how many of pkts[0..) were consumed: copied, or dropped
 * because they can never fit the front-end's buffers (counted in too_big).
 * The rest found no room (no_room) and may be retried. The caller still
 * owns (and frees) every mbuf, consumed or not. */
uint16_t tvh_enqueue_burst(struct tvh_dev *dev, uint16_t vq,
			   struct rte_mbuf *const *pkts, uint16_t n);

/* Interrupt mode, for a thread that sleeps until the front-end makes
 * buffers available on virtqueue `vq` (its transmit queues, odd: 2q+1).
 *
 * tvh_vq_set_wake_fd: `wake_fd` (an eventfd the caller owns and closes,
 * or -1 to stop) is written by the library's control thread whenever
 * the front-end kicks vq, and once when the ring (re)starts or gets a new
 * kick fd, since a new ring starts asking for no kicks. The kicks are
 * still counted. Returns 0, -EINVAL, or the error of watching the kick
 * fd (the ring is then polled: see below). Any thread but the
 * datapath's; the fd must stay open until replaced.
 *
 * tvh_vq_notify_arm: ask the front-end to kick on its next available
 * buffer (on) or not to kick (off, the default). Returns 1 if the caller
 * must not sleep: buffers are available already (the front-end will not
 * kick for them), or no kick would reach the wake fd (none set, the ring
 * has no kick fd, or it could not be watched); 0 otherwise (also while
 * the ring is stopped: its start wakes the wake fd); -EINVAL. From the
 * thread running vq's datapath, between bursts. */
int tvh_vq_set_wake_fd(struct tvh_dev *dev, uint16_t vq, int wake_fd);
int tvh_vq_notify_arm(struct tvh_dev *dev, uint16_t vq, bool on);

/* Per-virtqueue counters. Written only by the thread running the datapath
 * of that queue; readers may see values a burst old. */
struct tvh_vq_stats {
	uint64_t packets;
	uint64_t bytes;
	uint64_t no_mbufs; /* dequeue: mempool empty */
	uint64_t no_room;  /* enqueue: front-end offered no buffer */
	uint64_t too_big;  /* enqueue: packet larger than the buffers */
	/* notifications the front-end did not want */
	uint64_t calls_suppressed;
	uint64_t calls; /* eventfd writes to the front-end */
	/* front-end misbehaviour, each marks the queue broken */
	uint64_t err_avail_idx;	 /* avail index jumped more than the ring */
	uint64_t err_desc_index; /* head or next index >= ring size */
	uint64_t err_desc_addr;	 /* address/length outside the memory table */
	uint64_t err_chain_loop; /* chain longer than the ring (loop) */
	uint64_t err_indirect;	 /* bad indirect table (length, nesting) */
	uint64_t err_desc_flags; /* write-only buffer in TX, read-only in RX */
	uint64_t err_hdr;	 /* chain shorter than the virtio-net header */
	/* added: TX packet of 0 bytes or more than TVH_MAX_PKT_LEN */
	uint64_t err_pkt_len;
};

/* Longest packet tvh_dequeue_burst accepts from the front-end (no TSO/GSO
 * is offered, so anything longer is a front-end error). */
#define TVH_MAX_PKT_LEN 65535u

/* Per-device counters of the control path. */
struct tvh_dev_stats {
	uint64_t connects;
	uint64_t disconnects;
	uint64_t msgs;
	uint64_t err_msg;  /* messages refused by validation */
	uint64_t err_mem;  /* memory regions refused (fstat/mmap/overlap) */
	uint64_t err_ring; /* ring addresses refused */
	/* Added: memory regions mapped from a file the front-end can still
	 * shrink (no F_SEAL_SHRINK seal). Not an error: the region is
	 * guarded (see "Guest memory truncation" below). */
	uint64_t unsealed_regions;
	/* Added: accesses to guest memory beyond the end of its file (the
	 * front-end shrank it after SET_MEM_TABLE), absorbed by the guard;
	 * each session where it happens is ended (counted in err_mem). */
	uint64_t mem_faults;
	/* Added: messages the front-end began but did not complete within
	 * TVH_MSG_DEADLINE_MS; each ends the session (counted in
	 * err_msg). */
	uint64_t msg_stalls;
	/* Added: a server's accept failed with the connection still
	 * queued (no fd or memory left, e.g. EMFILE); each stops listening
	 * for a second instead of retrying at once. */
	uint64_t accept_fails;
};

/* How long a message may take to arrive in full (header, payload and fds)
 * once its first byte is there. The control thread never waits for it:
 * it serves the other devices meanwhile. */
#define TVH_MSG_DEADLINE_MS 1000u

int tvh_vq_stats_get(const struct tvh_dev *dev, uint16_t vq,
		     struct tvh_vq_stats *stats);

/* More per-virtqueue counters, kept apart from struct tvh_vq_stats so that
 * its users' layouts stay as they are. Never reset by
 * tvh_vq_stats_reset(). */
struct tvh_vq_extra_stats {
	/* Kicks the front-end sent (eventfd writes it made), though the
	 * library asked it not to (it polls): ~0 per million packets
	 * unless the front-end ignores NO_NOTIFY / avail_event. Counted
	 * when read: this call reads the kick eventfd's count from
	 * /proc/self/fdinfo (the eventfd itself is not read). */
	uint64_t kicks;
	/* Packets of a transmit ring that the front-end started but
	 * disabled, consumed and dropped (only with
	 * tvh_config.disabled_tx_discard). */
	uint64_t discarded;
	/* Call eventfd writes that failed with EAGAIN: the front-end let
	 * the counter saturate (it does not read it). Also counted in
	 * calls_suppressed. Written by the datapath: may be a burst old. */
	uint64_t calls_eagain;
};

/* Control-path call (takes the library's control lock, reads a /proc
 * file): not for every burst. */
int tvh_vq_extra_stats_get(struct tvh_dev *dev, uint16_t vq,
			   struct tvh_vq_extra_stats *stats);
void tvh_vq_stats_reset(struct tvh_dev *dev, uint16_t vq);

void tvh_dev_stats_get(const struct tvh_dev *dev, struct tvh_dev_stats *st);

/* Number of queue pairs the front-end is using now (enabled rings), and
 * whether one virtqueue is enabled and started. */
uint16_t tvh_dev_active_queue_pairs(const struct tvh_dev *dev);
bool tvh_vq_is_enabled(const struct tvh_dev *dev, uint16_t vq);

#ifdef __cplusplus
}
#endif

#endif /* TVH_H */
