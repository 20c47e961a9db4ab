#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 Tandem developers
"""Write the seed corpus of Tandem's fuzz targets: a few well-formed inputs
of each kind (and a few classic bad ones), in each target's input layout
(see the comment at the top of test/fuzz/fuzz_<target>.c).

    test/fuzz/gen_corpus.py [DIR]     (default: test/fuzz/corpus)

Only files named seed-* are (re)written; regress-* files (inputs that once
found a bug) are kept as they are.
"""
import os
import struct
import sys

# vhost-user request codes and flags (tvu.h)
GET_FEATURES, SET_FEATURES, SET_OWNER, RESET_OWNER = 1, 2, 3, 4
SET_MEM_TABLE, SET_LOG_BASE, SET_LOG_FD = 5, 6, 7
SET_VRING_NUM, SET_VRING_ADDR, SET_VRING_BASE, GET_VRING_BASE = 8, 9, 10, 11
SET_VRING_KICK, SET_VRING_CALL, SET_VRING_ERR = 12, 13, 14
GET_PROTOCOL_FEATURES, SET_PROTOCOL_FEATURES, GET_QUEUE_NUM = 15, 16, 17
SET_VRING_ENABLE, SEND_RARP, NET_SET_MTU = 18, 19, 20
GET_CONFIG, GET_INFLIGHT_FD, SET_INFLIGHT_FD = 24, 31, 32
GET_MAX_MEM_SLOTS, ADD_MEM_REG, REM_MEM_REG = 36, 37, 38
SET_STATUS, GET_STATUS = 39, 40
F_VERSION, F_REPLY, F_NEED_REPLY = 0x1, 0x4, 0x8
NOFD = 0x100
ALL_PROTOCOL_FEATURES = (1 << 17) - 1


def msg(request, payload=b"", flags=F_VERSION, size=None):
    """One message as it travels on the wire: 12-byte header + payload."""
    if size is None:
        size = len(payload)
    return struct.pack("<III", request, flags, size) + payload


def u64(v):
    return struct.pack("<Q", v)


def state(index, num):
    return struct.pack("<II", index, num)


def region(gpa, size, uva, off):
    return struct.pack("<QQQQ", gpa, size, uva, off)


# ---- fuzz_tvu_msg: u8 n_vrings, u64 protocol features, u8 mode, records
def msg_input(records, n_vrings=4, pf=ALL_PROTOCOL_FEATURES, mode=0):
    out = struct.pack("<BQB", n_vrings, pf, mode)
    for n_fds, data in records:
        out += struct.pack("<BH", n_fds, len(data)) + data
    return out


def tvu_msg_seeds():
    mem2 = struct.pack("<II", 2, 0) + region(0, 1 << 20, 0x7f0000000000, 0) \
        + region(1 << 20, 1 << 20, 0x7f0000100000, 0)
    addr = struct.pack("<IIQQQQ", 1, 0, 0x7f0000001000, 0x7f0000003000,
                       0x7f0000002000, 0)
    one = {
        "get_features": [(0, msg(GET_FEATURES))],
        "set_features": [(0, msg(SET_FEATURES, u64((1 << 32) | (1 << 15))))],
        "set_owner": [(0, msg(SET_OWNER))],
        "set_mem_table_2": [(2, msg(SET_MEM_TABLE, mem2))],
        "set_log_base_shmfd": [(1, msg(SET_LOG_BASE,
                                       struct.pack("<QQ", 4096, 0)))],
        "set_vring_num": [(0, msg(SET_VRING_NUM, state(0, 256)))],
        "set_vring_addr": [(0, msg(SET_VRING_ADDR, addr))],
        "set_vring_base": [(0, msg(SET_VRING_BASE, state(1, 0)))],
        "get_vring_base": [(0, msg(GET_VRING_BASE, state(1, 0)))],
        "set_vring_kick_fd": [(1, msg(SET_VRING_KICK, u64(1)))],
        "set_vring_call_nofd": [(0, msg(SET_VRING_CALL, u64(0 | NOFD)))],
        "set_vring_err_fd": [(1, msg(SET_VRING_ERR, u64(3)))],
        "get_protocol_features": [(0, msg(GET_PROTOCOL_FEATURES))],
        "set_protocol_features": [(0, msg(SET_PROTOCOL_FEATURES,
                                           u64(0x8009)))],
        "get_queue_num": [(0, msg(GET_QUEUE_NUM))],
        "set_vring_enable": [(0, msg(SET_VRING_ENABLE, state(0, 1)))],
        "send_rarp": [(0, msg(SEND_RARP, u64(0x563412005452)))],
        "net_set_mtu": [(0, msg(NET_SET_MTU, u64(1500),
                                F_VERSION | F_NEED_REPLY))],
        "get_config": [(0, msg(GET_CONFIG, struct.pack("<III", 0, 8, 0)
                               + bytes(8)))],
        "set_inflight_fd": [(1, msg(SET_INFLIGHT_FD,
                                    struct.pack("<QQHH", 4096, 0, 2, 256)
                                    + bytes(4)))],
        "get_max_mem_slots": [(0, msg(GET_MAX_MEM_SLOTS))],
        "add_mem_reg": [(1, msg(ADD_MEM_REG, u64(0) +
                                region(0, 1 << 20, 0x7f0000000000, 0)))],
        "rem_mem_reg": [(0, msg(REM_MEM_REG, u64(0) +
                                region(0, 1 << 20, 0x7f0000000000, 0)))],
        "set_status": [(0, msg(SET_STATUS, u64(0xf)))],
        "get_status": [(0, msg(GET_STATUS))],
        "reset_owner": [(0, msg(RESET_OWNER))],
        # The fds arrive with the payload, not the header.
        "split_fd_on_payload": [(0, msg(SET_MEM_TABLE, mem2)[:12]),
                                (2, msg(SET_MEM_TABLE, mem2)[12:])],
        # Classic bad ones: oversized header, too many fds, unknown code,
        # REPLY flag on a request, vring index out of range, truncated.
        "bad_oversize": [(0, msg(SET_FEATURES, u64(0), size=0x1000))],
        "bad_nine_fds": [(9, msg(SET_VRING_KICK, u64(0)))],
        "bad_ten_fds_then_ok": [(10, msg(SET_OWNER)), (0, msg(SET_OWNER))],
        # More than the receiver's control buffer holds: MSG_CTRUNC.
        "bad_fifteen_fds_then_ok": [(15, msg(SET_OWNER)),
                                    (0, msg(SET_OWNER))],
        "bad_unknown": [(0, msg(99, u64(0)))],
        "bad_reply_flag": [(0, msg(GET_FEATURES, flags=F_VERSION | F_REPLY))],
        "bad_vring_index": [(0, msg(SET_VRING_NUM, state(200, 256)))],
        "bad_mem_nregions": [(1, msg(SET_MEM_TABLE, struct.pack("<II", 9, 0)
                                     + region(0, 1, 0, 0)))],
        "bad_truncated": [(1, msg(SET_VRING_KICK, u64(0))[:15])],
    }
    out = {k: msg_input(v) for k, v in one.items()}
    # A whole start-up as QEMU sends it, fds where they belong.
    session = [
        (0, msg(GET_FEATURES)),
        (0, msg(SET_FEATURES, u64((1 << 32) | (1 << 30)))),
        (0, msg(GET_PROTOCOL_FEATURES)),
        (0, msg(SET_PROTOCOL_FEATURES, u64(0x8009))),
        (0, msg(SET_OWNER)),
        (2, msg(SET_MEM_TABLE, mem2)),
    ]
    for q in range(2):
        session += [
            (0, msg(SET_VRING_NUM, state(q, 256))),
            (0, msg(SET_VRING_BASE, state(q, 0))),
            (0, msg(SET_VRING_ADDR, struct.pack("<I", q) + addr[4:])),
            (1, msg(SET_VRING_KICK, u64(q))),
            (1, msg(SET_VRING_CALL, u64(q))),
            (0, msg(SET_VRING_ENABLE, state(q, 1))),
        ]
    out["session_startup"] = msg_input(session, mode=1)
    return out


# ---- fuzz_tvu_reply: u8 op, u8 ctl, u32 arg, back-end stream
# Op numbers are the index in fuzz_tvu_reply.c's ops[] table.
def reply_input(op, arg, stream, n_fds=0):
    return struct.pack("<BBI", op, n_fds, arg) + stream


def reply(request, payload):
    return msg(request, payload, flags=F_VERSION | F_REPLY)


def tvu_reply_seeds():
    out = {
        "get_features": reply_input(0, 0, reply(GET_FEATURES,
                                                u64((1 << 32) | 1 << 30))),
        "get_protocol_features": reply_input(
            1, 0, reply(GET_PROTOCOL_FEATURES, u64(0x8009))),
        "get_queue_num": reply_input(2, 0, reply(GET_QUEUE_NUM, u64(4))),
        "get_max_mem_slots": reply_input(3, 0, reply(GET_MAX_MEM_SLOTS,
                                                     u64(32))),
        "get_status": reply_input(4, 0, reply(GET_STATUS, u64(0xf))),
        "ack_set_features": reply_input(5, 0x1234, reply(SET_FEATURES,
                                                         u64(0))),
        "ack_set_protocol_features": reply_input(
            6, 0x9, reply(SET_PROTOCOL_FEATURES, u64(0))),
        "nack_set_status": reply_input(7, 0xf, reply(SET_STATUS, u64(1))),
        "ack_set_vring_num": reply_input(8, (256 << 8) | 1,
                                         reply(SET_VRING_NUM, u64(0))),
        "ack_set_vring_enable": reply_input(9, (1 << 8) | 0,
                                            reply(SET_VRING_ENABLE, u64(0))),
        "get_vring_base": reply_input(10, 3, reply(GET_VRING_BASE,
                                                   state(3, 77))),
        "get_vring_base_wrong_ring": reply_input(
            10, 3, reply(GET_VRING_BASE, state(2, 77))),
        "ack_set_vring_addr": reply_input(11, 1, reply(SET_VRING_ADDR,
                                                       u64(0))),
        "ack_set_mem_table": reply_input(12, 0x7f000, reply(SET_MEM_TABLE,
                                                            u64(0))),
        "noack_set_features": reply_input(13, 1, reply(SET_FEATURES,
                                                       u64(0))),
        "noack_set_vring_base": reply_input(14, 0, b""),
        "noack_set_vring_addr": reply_input(15, 0, b""),
        "noack_set_mem_table": reply_input(16, 0, b""),
        "noack_set_vring_call": reply_input(17, 0x100, b""),
        "noack_set_vring_kick": reply_input(18, 1, b""),
        "noack_set_owner": reply_input(19, 0, reply(SET_OWNER, u64(0))),
        "bad_reply_with_fds": reply_input(0, 0, reply(GET_FEATURES, u64(1)),
                                          n_fds=2),
        "bad_reply_nine_fds": reply_input(0, 0, reply(GET_FEATURES, u64(1)),
                                          n_fds=9),
        "bad_reply_fifteen_fds": reply_input(0, 0, reply(GET_FEATURES,
                                                         u64(1)), n_fds=15),
        "bad_reply_no_flag": reply_input(0, 0, msg(GET_FEATURES, u64(1))),
        "bad_reply_other_code": reply_input(1, 0, reply(GET_FEATURES,
                                                        u64(1))),
        "bad_reply_short": reply_input(0, 0, reply(GET_FEATURES, u64(1))[:
                                                                         15]),
        "bad_reply_oversize": reply_input(0, 0, msg(GET_FEATURES, u64(1),
                                                    F_VERSION | F_REPLY,
                                                    size=0xffffffff)),
        "bad_reply_size": reply_input(4, 0, reply(GET_STATUS, bytes(4))),
    }
    return out


# ---- fuzz_vring_event: a program of opcodes (see fuzz_vring_event.c)
def ev(*ops):
    out = b""
    for op in ops:
        code, fmt, *args = op
        out += struct.pack("<B" + fmt, code, *args)
    return out


def vring_event_seeds():
    return {
        # used_event just ahead, then behind (a guest rewinding it).
        "split_event": ev((1, "H", 5), (0, "H", 3), (0, "H", 3),
                          (1, "H", 2), (0, "H", 1), (0, "H", 0xfff0),
                          (0, "H", 0x20)),
        "need_event_wrap": ev((2, "HHH", 0xffff, 2, 0xfffe),
                              (2, "HHH", 0, 0, 0), (2, "HHH", 1, 0, 0xffff)),
        "packed_laps": ev((3, "B", 3), (4, "BH", 4, 0x7f7f), (5, "BH", 3, 0),
                          (6, "B", 2), (4, "BH", 2, 0xffff),
                          (5, "BH", 4, 0x1234), (6, "B", 4),
                          (4, "BH", 4, 0), (5, "BH", 4, 0), (6, "B", 4)),
        "packed_size1": ev((3, "B", 0), (4, "BH", 1, 0), (5, "BH", 1, 0),
                           (6, "B", 1), (4, "BH", 1, 0), (5, "BH", 1, 0),
                           (6, "B", 1)),
        "layout": ev((7, "BB", 8, 12), (7, "BB", 0, 0), (7, "BB", 15, 2),
                     (7, "BB", 10, 6)),
        "flags": ev((9, "HB", 0x8080, 1), (9, "HB", 0x0080, 1),
                    (9, "HB", 0x8000, 0), (9, "HB", 0, 0), (9, "HB", 0x7f7f, 1)),
        "misc": ev((8, "IQ", 256, 1 << 15), (8, "IQ", 32768, 1 << 32),
                   (8, "IQ", 65536, 0), (8, "IQ", 0, 0), (8, "IQ", 3, 0)),
    }


def main():
    top = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "corpus")
    targets = {
        "fuzz_tvu_msg": tvu_msg_seeds(),
        "fuzz_tvu_reply": tvu_reply_seeds(),
        "fuzz_vring_event": vring_event_seeds(),
    }
    for target, seeds in targets.items():
        d = os.path.join(top, target)
        os.makedirs(d, exist_ok=True)
        for f in os.listdir(d):
            if f.startswith("seed-"):
                os.unlink(os.path.join(d, f))
        for name, data in seeds.items():
            with open(os.path.join(d, "seed-" + name), "wb") as f:
                f.write(data)
        print(f"{d}: {len(seeds)} seeds")


if __name__ == "__main__":
    main()
