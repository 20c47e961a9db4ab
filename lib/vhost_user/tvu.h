/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * tvu.h - the vhost-user protocol, shared by Tandem's back-end (lib/vhost)
 * and its front-end (the net_tandem_virtio PMD).
 *
 * Message layout and request codes follow QEMU's "Vhost-user Protocol"
 * document. Every message received is validated in one place
 * (tvu_validate_request / tvu_check_reply) against a table that carries,
 * for each request, the payload size, the number of fds and where the vring
 * index is, before any handler looks at it.
 *
 * Conventions: functions return 0 or a non-negative value on success and
 * -errno on failure; the library never logs (callers do, rate limited) and
 * describes a validation failure in a caller-supplied buffer instead.
 *
 * Threading: no global state. A socket must be used by one thread at a
 * time; struct tvu_msg belongs to its caller.
 */
#ifndef TVU_H
#define TVU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Wire format ---- */

#define TVU_HDR_SIZE	    12u
#define TVU_MAX_FDS	    8u	 /* fds one message may carry (SCM_RIGHTS) */
#define TVU_MAX_MEM_REGIONS 8u	 /* regions in one SET_MEM_TABLE */
#define TVU_PAYLOAD_MAX	    512u /* largest payload Tandem accepts */

#define TVU_FLAG_VERSION      0x1u
#define TVU_FLAG_VERSION_MASK 0x3u
#define TVU_FLAG_REPLY	      0x4u
#define TVU_FLAG_NEED_REPLY   0x8u

/* Front-end -> back-end requests. */
enum tvu_request {
	TVU_GET_FEATURES = 1,
	TVU_SET_FEATURES = 2,
	TVU_SET_OWNER = 3,
	TVU_RESET_OWNER = 4,
	TVU_SET_MEM_TABLE = 5,
	TVU_SET_LOG_BASE = 6,
	TVU_SET_LOG_FD = 7,
	TVU_SET_VRING_NUM = 8,
	TVU_SET_VRING_ADDR = 9,
	TVU_SET_VRING_BASE = 10,
	TVU_GET_VRING_BASE = 11,
	TVU_SET_VRING_KICK = 12,
	TVU_SET_VRING_CALL = 13,
	TVU_SET_VRING_ERR = 14,
	TVU_GET_PROTOCOL_FEATURES = 15,
	TVU_SET_PROTOCOL_FEATURES = 16,
	TVU_GET_QUEUE_NUM = 17,
	TVU_SET_VRING_ENABLE = 18,
	TVU_SEND_RARP = 19,
	TVU_NET_SET_MTU = 20,
	TVU_SET_BACKEND_REQ_FD = 21,
	TVU_IOTLB_MSG = 22,
	TVU_SET_VRING_ENDIAN = 23,
	TVU_GET_CONFIG = 24,
	TVU_SET_CONFIG = 25,
	TVU_CREATE_CRYPTO_SESSION = 26,
	TVU_CLOSE_CRYPTO_SESSION = 27,
	TVU_POSTCOPY_ADVISE = 28,
	TVU_POSTCOPY_LISTEN = 29,
	TVU_POSTCOPY_END = 30,
	TVU_GET_INFLIGHT_FD = 31,
	TVU_SET_INFLIGHT_FD = 32,
	TVU_GPU_SET_SOCKET = 33,
	TVU_RESET_DEVICE = 34,
	TVU_VRING_KICK = 35,
	TVU_GET_MAX_MEM_SLOTS = 36,
	TVU_ADD_MEM_REG = 37,
	TVU_REM_MEM_REG = 38,
	TVU_SET_STATUS = 39,
	TVU_GET_STATUS = 40,
	TVU_REQUEST_MAX = 41 /* one past the last code Tandem knows */
};

/* Protocol feature bits (GET/SET_PROTOCOL_FEATURES). */
#define TVU_PROTOCOL_F_MQ		    0
#define TVU_PROTOCOL_F_LOG_SHMFD	    1
#define TVU_PROTOCOL_F_RARP		    2
#define TVU_PROTOCOL_F_REPLY_ACK	    3
#define TVU_PROTOCOL_F_NET_MTU		    4
#define TVU_PROTOCOL_F_BACKEND_REQ	    5
#define TVU_PROTOCOL_F_CROSS_ENDIAN	    6
#define TVU_PROTOCOL_F_CRYPTO_SESSION	    7
#define TVU_PROTOCOL_F_PAGEFAULT	    8
#define TVU_PROTOCOL_F_CONFIG		    9
#define TVU_PROTOCOL_F_BACKEND_SEND_FD	    10
#define TVU_PROTOCOL_F_HOST_NOTIFIER	    11
#define TVU_PROTOCOL_F_INFLIGHT_SHMFD	    12
#define TVU_PROTOCOL_F_RESET_DEVICE	    13
#define TVU_PROTOCOL_F_INBAND_NOTIFICATIONS 14
#define TVU_PROTOCOL_F_CONFIGURE_MEM_SLOTS  15
#define TVU_PROTOCOL_F_STATUS		    16

/* Vring "file" payload (SET_VRING_KICK/CALL/ERR): index in bits 0..7,
 * bit 8 set when no fd accompanies the message. */
#define TVU_VRING_IDX_MASK  0xffu
#define TVU_VRING_NOFD_MASK 0x100u

/* Vring address flags (SET_VRING_ADDR). */
#define TVU_VRING_F_LOG 0

struct tvu_vring_state {
	uint32_t index;
	uint32_t num;
};

struct tvu_vring_addr {
	uint32_t index;
	uint32_t flags;
	uint64_t desc_user_addr;
	uint64_t used_user_addr;
	uint64_t avail_user_addr;
	uint64_t log_guest_addr;
};

struct tvu_mem_region {
	uint64_t guest_phys_addr;
	uint64_t memory_size;
	uint64_t userspace_addr;
	uint64_t mmap_offset;
};

struct tvu_memory {
	uint32_t nregions;
	uint32_t padding;
	struct tvu_mem_region regions[TVU_MAX_MEM_REGIONS];
};

/* ADD_MEM_REG / REM_MEM_REG */
struct tvu_single_region {
	uint64_t padding;
	struct tvu_mem_region region;
};

struct tvu_log {
	uint64_t mmap_size;
	uint64_t mmap_offset;
};

/* One message. On the wire: the TVU_HDR_SIZE header (request, flags,
 * size) immediately followed by `size` payload bytes. In this struct the
 * payload sits at offset 16 (its u64 alignment), so it is NOT one
 * contiguous wire image: use tvu_send/tvu_recv, never write the struct
 * raw. fds[] and n_fds travel as SCM_RIGHTS ancillary data. */
struct tvu_msg {
	uint32_t request;
	uint32_t flags;
	uint32_t size; /* payload bytes */
	union {
		uint64_t u64;
		struct tvu_vring_state state;
		struct tvu_vring_addr addr;
		struct tvu_memory memory;
		struct tvu_single_region mem_reg;
		struct tvu_log log;
		uint8_t raw[TVU_PAYLOAD_MAX];
	} payload;
	uint32_t n_fds;
	int fds[TVU_MAX_FDS];
};

/* ---- The request table and central validation ---- */

/* Where a request carries its vring index. */
enum tvu_vring_field {
	TVU_VRING_NONE = 0,
	TVU_VRING_STATE, /* payload.state.index */
	TVU_VRING_ADDR,	 /* payload.addr.index */
	TVU_VRING_FILE,	 /* payload.u64 & TVU_VRING_IDX_MASK (+ NOFD bit) */
};

struct tvu_request_info {
	const char *name;  /* "SET_MEM_TABLE" */
	uint32_t min_size; /* payload bytes */
	uint32_t max_size;
	uint8_t min_fds;
	uint8_t max_fds;
	uint8_t vring;		 /* enum tvu_vring_field */
	bool has_reply;		 /* the back-end always answers (GET_*) */
	int8_t protocol_feature; /* bit that must be negotiated, or -1 */
};

/* Row for `request`, or NULL if Tandem does not know it. */
const struct tvu_request_info *tvu_request_info(uint32_t request);

/* Name of `request` for logs ("UNKNOWN" if not in the table). */
const char *tvu_request_name(uint32_t request);

/* Validate a request received by a back-end before any handler runs:
 * version flags, known code, payload size (SET_MEM_TABLE: exactly
 * 8 + 32 * nregions with 1 <= nregions <= TVU_MAX_MEM_REGIONS), fd count
 * (SET_MEM_TABLE: one per region; vring files: one unless NOFD), vring
 * index < n_vrings, and that any required protocol feature is in
 * `protocol_features` (the negotiated set).
 * Returns 0, or with a one-line description of the offending values in
 * err[errlen]:
 *   -EPROTO  unknown request code, version bits not 1, REPLY flag set, or
 *            a protocol feature the request needs was not negotiated;
 *   -EINVAL  payload size or contents (nregions, reserved bits in a vring
 *            file's u64) wrong;
 *   -EBADMSG wrong number of fds;
 *   -ERANGE  vring index >= n_vrings.
 * The caller still owns (and must close) the message's fds either way. */
int tvu_validate_request(const struct tvu_msg *msg, uint32_t n_vrings,
			 uint64_t protocol_features, char *err, size_t errlen);

/* Validate a back-end's reply to `request` (front-end side): REPLY flag,
 * same request code, payload exactly `size` bytes, no fds.
 * Returns 0 or -EPROTO with a description in err[errlen]. */
int tvu_check_reply(const struct tvu_msg *reply, uint32_t request,
		    uint32_t size, char *err, size_t errlen);

/* Vring index of a message whose row names one (after validation). */
uint32_t tvu_msg_vring_index(const struct tvu_msg *msg);

/* ---- Message helpers ---- */

/* Zero `msg` and set request, version flag and payload size. */
void tvu_msg_init(struct tvu_msg *msg, uint32_t request, uint32_t size);

/* Close every fd the message carries and set n_fds to 0. */
void tvu_msg_close_fds(struct tvu_msg *msg);

/* ---- Transport (unix stream sockets) ---- */

/* Read one message: header, then payload, with the fds that came with it.
 * A header announcing more than TVU_PAYLOAD_MAX bytes is -EMSGSIZE; the
 * stream cannot be resynchronised after that, so the caller must close the
 * connection. More than TVU_MAX_FDS fds is -EBADMSG (the message is
 * consumed, the stream stays in step). Returns 0, -ECONNRESET on EOF (also
 * in mid-message), or -errno. On failure no fd is left open. Blocks until
 * the first byte (on a blocking socket, as long as its SO_RCVTIMEO lets
 * it, then -EAGAIN; on a non-blocking socket -EAGAIN at once if no byte is
 * waiting). Once the message has begun, all of it must arrive within 1 s
 * of its first byte, however it is split (-ETIMEDOUT): a peer trickling
 * it cannot hold the caller longer. Received fds are close-on-exec. */
int tvu_recv(int sock, struct tvu_msg *msg);

/* Write one message with msg->fds[0..n_fds). Returns 0 or -errno
 * (MSG_NOSIGNAL: a closed peer gives -EPIPE, never SIGPIPE). Once the
 * message is partly written, or the socket first says it is full, the
 * rest must go within 1 s (-ETIMEDOUT); a blocking socket's first write
 * may wait as long as its SO_SNDTIMEO first. */
int tvu_send(int sock, const struct tvu_msg *msg);

/* Create a listening socket at `path` (a stale socket file left by a dead
 * process is removed first). Close-on-exec. Returns the fd or -errno. */
int tvu_listen(const char *path);

/* Accept one connection (close-on-exec). Returns the fd or -errno. */
int tvu_accept(int listen_fd);

/* One connection attempt to `path` (close-on-exec, blocking). Returns the
 * fd or -errno (-ENOENT / -ECONNREFUSED while no server listens, -EAGAIN
 * at once when its listen queue is full: it does not accept). */
int tvu_connect(const char *path);

/* ---- Front-end requests (blocking round trips) ----
 * `reply_ack`: set NEED_REPLY and wait for the back-end's u64 status
 * (use only when REPLY_ACK was negotiated). Replies are checked with
 * tvu_check_reply. */

int tvu_fe_get_u64(int sock, uint32_t request, uint64_t *value);
int tvu_fe_set_u64(int sock, uint32_t request, uint64_t value, bool reply_ack);
int tvu_fe_set_owner(int sock);
int tvu_fe_set_vring_state(int sock, uint32_t request, uint32_t index,
			   uint32_t num, bool reply_ack);
int tvu_fe_get_vring_base(int sock, uint32_t index, uint32_t *base);
int tvu_fe_set_vring_addr(int sock, const struct tvu_vring_addr *addr,
			  bool reply_ack);
/* SET_VRING_KICK / CALL / ERR; fd < 0 sends the NOFD flag. */
int tvu_fe_set_vring_fd(int sock, uint32_t request, uint32_t index, int fd);
int tvu_fe_set_mem_table(int sock, const struct tvu_memory *mem, const int *fds,
			 bool reply_ack);

#ifdef __cplusplus
}
#endif

#endif /* TVU_H */
