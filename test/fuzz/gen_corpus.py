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


# ---- fuzz_vhost_split (see the layout at the top of fuzz_vhost_split.c)
NEXT, WRITE, INDIRECT = 1, 2, 4
A_R1, A_R0, A_R2, A_R1_END, A_R0_END, A_R2_END = 0, 3, 4, 5, 6, 7
A_TABLE, A_TOP, A_BELOW_R0, A_RAW = 8, 9, 10, 11


def vdesc(sel, off, length, flags=0, nxt=0, raw_addr=None, len32=None):
    out = struct.pack("<BHHBB", sel | (0x80 if len32 is not None else 0),
                      off, length, flags, nxt)
    if sel == A_RAW:
        out += struct.pack("<Q", raw_addr)
    if len32 is not None:
        out += struct.pack("<I", len32)
    return out


def split_input(dev=0, rx=False, log2num=4, base=0, used_event=0,
                avail_flags=1, descs=(), avail=(), tables=(), bursts=(),
                align4=False, discard=False, pool=0):
    cfg = dev | (4 if rx else 0) | (8 if align4 else 0) | \
        (16 if discard else 0) | (pool << 5)
    out = struct.pack("<BBHHB", cfg, log2num, base, used_event, avail_flags)
    out += struct.pack("<B", len(descs)) + b"".join(descs)
    out += struct.pack("<B", len(avail))
    for a in avail:
        out += struct.pack("<B", a) if a < 0xff else struct.pack("<BH",
                                                                  0xff, a)
    out += struct.pack("<B", len(tables))
    for t in tables:
        out += struct.pack("<B", len(t)) + b"".join(t)
    out += struct.pack("<B", max(len(bursts) - 1, 0))
    for move, size, pkts in bursts:
        out += struct.pack("<B", move) if move < 0xe0 else \
            struct.pack("<BH", 0xe0, move)
        out += struct.pack("<B", size - 1)
        for length, segs in pkts:
            out += struct.pack("<HB", length, segs - 1)
    return out


def rx_pkts(n, length, segs=1):
    return [(length, segs)] * n


def vhost_split_seeds():
    hdr_chain = [vdesc(A_R1, 0, 5, NEXT, 1), vdesc(A_R1, 100, 300, NEXT, 2),
                 vdesc(A_R1, 1000, 50)]
    tbl = [vdesc(A_R1, 0, 12, NEXT, 1), vdesc(A_R1, 64, 100, NEXT, 2),
           vdesc(A_R2, 0, 200)]
    small_rx = [vdesc(A_R1, 64 * i, 40, WRITE) for i in range(16)]
    return {
        "tx_default": split_input(bursts=[(8, 8, [])]),
        "tx_hdr_chain": split_input(descs=hdr_chain, avail=[0],
                                    bursts=[(1, 4, [])]),
        "tx_indirect": split_input(descs=[vdesc(A_TABLE, 0, 3, INDIRECT)],
                                   avail=[0], tables=[tbl],
                                   bursts=[(2, 4, [])]),
        "tx_indirect_legacy": split_input(dev=2, descs=[
            vdesc(A_TABLE, 0, 3, INDIRECT)], avail=[0], tables=[tbl],
            bursts=[(1, 4, [])]),
        "tx_loop": split_input(descs=[vdesc(A_R1, 0, 100, NEXT, 1),
                                      vdesc(A_R1, 200, 100, NEXT, 0)],
                               avail=[0], bursts=[(1, 4, []), (1, 4, [])]),
        "tx_straddle": split_input(descs=[vdesc(A_R0_END, 100, 300)],
                                   avail=[0], bursts=[(3, 4, [])]),
        "tx_wrap": split_input(descs=[vdesc(A_TOP, 16, 64)], avail=[0],
                               bursts=[(1, 1, [])]),
        "tx_r2_top": split_input(descs=[vdesc(A_R2_END, 0x20, 0x30)],
                                 avail=[1, 0], bursts=[(2, 2, [])]),
        "tx_avail_jump": split_input(bursts=[(4, 4, []), (1000, 4, [])]),
        "tx_base_wrap": split_input(log2num=3, base=0xfffa,
                                    bursts=[(5, 3, []), (3, 8, []),
                                            (8, 8, [])]),
        "tx_discard": split_input(discard=True, bursts=[(6, 8, [])]),
        "tx_small_pool": split_input(pool=1, descs=[
            vdesc(A_R1, 0, 3000), vdesc(A_R1, 3000, 20000)],
            avail=[0, 1], bursts=[(2, 2, [])]),
        "tx_tiny_pool": split_input(pool=2, log2num=5,
                                    bursts=[(32, 32, [])]),
        "tx_write_flag": split_input(descs=[vdesc(A_R1, 0, 100, WRITE)],
                                     avail=[0], bursts=[(1, 1, [])]),
        "tx_head_range": split_input(log2num=2, avail=[9],
                                     bursts=[(1, 1, [])]),
        "rx_default": split_input(rx=True, log2num=5,
                                  bursts=[(20, 16, rx_pkts(16, 150))]),
        "rx_mrg": split_input(rx=True, descs=small_rx, bursts=[
            (16, 4, rx_pkts(4, 100, 2))]),
        "rx_mrg_legacy": split_input(dev=3, rx=True, descs=small_rx,
                                     bursts=[(16, 4, rx_pkts(4, 90))]),
        "rx_hdr_split": split_input(rx=True, descs=[
            vdesc(A_R1, 0, 5, WRITE | NEXT, 1), vdesc(A_R1, 64, 500, WRITE)],
            avail=[0], bursts=[(1, 2, rx_pkts(2, 60))]),
        "rx_readonly": split_input(rx=True, descs=[vdesc(A_R1, 0, 500)],
                                   avail=[0], bursts=[(1, 1, rx_pkts(1, 60))]),
        "rx_too_big": split_input(dev=1, rx=True, bursts=[
            (4, 4, rx_pkts(2, 1000) + rx_pkts(2, 100))]),
        "rx_no_room": split_input(rx=True, bursts=[(2, 4, rx_pkts(4, 100)),
                                                   (1, 4, rx_pkts(4, 10))]),
        "rx_indirect": split_input(dev=3, rx=True, descs=[
            vdesc(A_TABLE, 1, 2, INDIRECT)], avail=[0], tables=[
            [], [vdesc(A_R1, 0, 12, WRITE | NEXT, 1),
                 vdesc(A_R2, 0, 900, WRITE)]],
            bursts=[(1, 1, rx_pkts(1, 700))]),
        "rx_legacy_hdr10": split_input(dev=2, rx=True, bursts=[
            (3, 3, rx_pkts(3, 190))]),
        "rx_r2_top_wrap": split_input(rx=True, descs=[
            vdesc(A_R2_END, 0x40, 0, WRITE, len32=0x100000)],
            avail=[0], bursts=[(1, 1, rx_pkts(1, 20))]),
        "rx_straddle": split_input(rx=True, descs=[
            vdesc(A_R0_END, 0x80, 4000, WRITE)], avail=[0],
            bursts=[(1, 1, rx_pkts(1, 2000, 3))]),
        "rx_event_idx": split_input(rx=True, used_event=2, bursts=[
            (2, 2, rx_pkts(2, 50)), (4, 4, rx_pkts(4, 50))]),
    }


# ---- fuzz_vhost_packed (see the layout at the top of fuzz_vhost_packed.c)
# desc flags bits 3-4: the AVAIL/USED bits (LAP_* below); bit 5 junk bits
LAP_AVAIL, LAP_OTHER, LAP_USED, LAP_STALE, JUNK = 0, 8, 16, 24, 32
A_RING = 12
P_POOL_SMALL, P_POOL_TINY = 1, 2
EV_ENABLE, EV_DISABLE, EV_DESC = 0, 1, 2


def pdesc(sel, off, length, flags=0, bid=0, raw_addr=None, len32=None):
    out = struct.pack("<BHHBH", sel | (0x80 if len32 is not None else 0),
                      off, length, flags, bid)
    if sel == A_RAW:
        out += struct.pack("<Q", raw_addr)
    if len32 is not None:
        out += struct.pack("<I", len32)
    return out


def pburst(size, event=None, refill=None, patches=(), arm=None, pkts=()):
    ops = (1 if event is not None else 0) | (2 if refill is not None else 0) \
        | (4 if patches else 0) | (8 if arm is not None else 0) \
        | (16 if arm else 0)
    out = struct.pack("<BB", ops, size - 1)
    if event is not None:
        out += struct.pack("<HB", event[1], event[0])
    if refill is not None:
        out += struct.pack("<B", refill)
    if patches:
        out += struct.pack("<B", len(patches) - 1)
        for pos, d in patches:
            out += struct.pack("<B", pos) + d
    for length, segs in pkts:
        out += struct.pack("<HB", length, segs - 1)
    return out


def packed_input(dev=0, rx=False, log2num=4, pos=0, wrap=1, raw_base=None,
                 used=None, addr_variant=0, event=(EV_DISABLE, 0), descs=(),
                 fill=255, tables=(), bursts=(), pool=0, disabled=False,
                 nocall=False):
    cfg = dev | (8 if rx else 0) | (pool << 4) | (64 if disabled else 0) \
        | (128 if nocall else 0)
    base = raw_base if raw_base is not None else pos | (wrap << 15)
    out = struct.pack("<BBHB", cfg, log2num, base,
                      (1 if used is not None else 0) | (addr_variant << 1))
    if used is not None:
        out += struct.pack("<H", used[0] | (used[1] << 15))
    out += struct.pack("<HB", event[1], event[0])
    out += struct.pack("<B", len(descs)) + b"".join(descs)
    out += struct.pack("<B", fill)
    out += struct.pack("<B", len(tables))
    for t in tables:
        out += struct.pack("<B", len(t)) + b"".join(t)
    out += struct.pack("<B", max(len(bursts) - 1, 0)) + b"".join(bursts)
    return out


def vhost_packed_seeds():
    hdr_chain = [pdesc(A_R1, 0, 5, NEXT, 7), pdesc(A_R1, 100, 300, NEXT, 8),
                 pdesc(A_R1, 1000, 50, 0, 9)]
    tbl = [pdesc(A_R1, 0, 12), pdesc(A_R1, 64, 100), pdesc(A_R2, 0, 200)]
    tbl_w = [pdesc(A_R1, 0, 12, WRITE), pdesc(A_R1, 64, 1000, WRITE)]
    rx_tbl = [pdesc(A_R1, 0, 12, WRITE), pdesc(A_R2, 0, 900, WRITE)]
    small_rx = [pdesc(A_R1, 64 * i, 40, WRITE, 100 + i) for i in range(16)]
    loop = [pdesc(A_R1, 0, 10, NEXT, 1)] * 4
    burst8 = [pburst(8), pburst(8)]
    return {
        "tx_default": packed_input(bursts=burst8),
        "tx_default_wrap0": packed_input(log2num=3, pos=2, wrap=0,
                                         bursts=[pburst(3), pburst(8)]),
        "tx_hdr_chain": packed_input(descs=hdr_chain, bursts=[pburst(4)]),
        "tx_list_wraps_ring": packed_input(log2num=2, pos=2,
                                           descs=hdr_chain, fill=0,
                                           bursts=[pburst(4)]),
        "tx_indirect": packed_input(descs=[pdesc(A_TABLE, 0, 3, INDIRECT,
                                                 5)],
                                    tables=[tbl], bursts=[pburst(2)]),
        "tx_indirect_write_entries": packed_input(
            descs=[pdesc(A_TABLE, 0, 2, INDIRECT, 5)], tables=[tbl_w],
            bursts=[pburst(2)]),
        "tx_indirect_after_list": packed_input(
            descs=[pdesc(A_R1, 0, 20, NEXT), pdesc(A_TABLE, 0, 3, INDIRECT,
                                                    6)],
            tables=[tbl], bursts=[pburst(2)]),
        "tx_indirect_legacy": packed_input(
            dev=2, descs=[pdesc(A_TABLE, 0, 3, INDIRECT)], tables=[tbl],
            bursts=[pburst(1)]),
        "tx_indirect_misaligned": packed_input(
            descs=[pdesc(A_TABLE, 0x130, 2, INDIRECT)], tables=[tbl],
            bursts=[pburst(1)]),
        "tx_indirect_not_offered": packed_input(
            dev=1, descs=[pdesc(A_TABLE, 0, 3, INDIRECT)], tables=[tbl],
            bursts=[pburst(2)]),
        "tx_indirect_next": packed_input(
            descs=[pdesc(A_TABLE, 0, 3, INDIRECT | NEXT)], tables=[tbl],
            bursts=[pburst(2)]),
        "tx_loop": packed_input(log2num=2, descs=loop, bursts=[pburst(2),
                                                               pburst(2)]),
        "tx_write_flag": packed_input(descs=[pdesc(A_R1, 0, 100, WRITE)],
                                      bursts=[pburst(1)]),
        "tx_short_hdr": packed_input(descs=[pdesc(A_R1, 0, 8)],
                                     bursts=[pburst(1)]),
        "tx_empty": packed_input(descs=[pdesc(A_R1, 0, 12)],
                                 bursts=[pburst(1)]),
        "tx_straddle": packed_input(descs=[pdesc(A_R0_END, 100, 300)],
                                    bursts=[pburst(3)]),
        "tx_top_wrap": packed_input(descs=[pdesc(A_TOP, 16, 64)],
                                    bursts=[pburst(1)]),
        "tx_r2_top": packed_input(descs=[pdesc(A_R2_END, 0x20, 0x30)],
                                  bursts=[pburst(2)]),
        "tx_outside": packed_input(descs=[pdesc(A_BELOW_R0, 0x10, 0x40)],
                                   bursts=[pburst(2)]),
        "tx_too_long": packed_input(descs=[pdesc(A_R1, 0, 0, 0, 0,
                                                 len32=70000)],
                                    bursts=[pburst(1)]),
        "tx_wrong_lap": packed_input(descs=[pdesc(A_R1, 0, 100),
                                            pdesc(A_R1, 0, 100, LAP_OTHER)],
                                     bursts=[pburst(4)]),
        "tx_used_lap": packed_input(descs=[pdesc(A_R1, 0, 100, LAP_USED)],
                                    bursts=[pburst(4)]),
        "tx_junk_flags": packed_input(descs=[pdesc(A_R1, 0, 100, JUNK),
                                             pdesc(A_R1, 0, 30, NEXT | JUNK),
                                             pdesc(A_R1, 500, 30,
                                                   LAP_STALE)],
                                      bursts=[pburst(4)]),
        "tx_laps_refill": packed_input(
            log2num=2, pos=1, fill=3, bursts=[pburst(2), pburst(4,
                                                                refill=2),
                                              pburst(4, refill=3),
                                              pburst(8, refill=3)]),
        "tx_patch": packed_input(log2num=3, fill=2, bursts=[
            pburst(4), pburst(4, patches=[(2, pdesc(A_R1, 300, 60, NEXT,
                                                    3)),
                                          (3, pdesc(A_R2, 0, 80, 0, 4))]),
            pburst(4, patches=[(4, pdesc(A_R1, 0, 10, LAP_OTHER))])]),
        # A good buffer, then a list of the 3 descriptors after it all
        # with NEXT: it would run into the first, not yet returned.
        "tx_list_into_taken": packed_input(
            log2num=2, descs=[pdesc(A_R1, 0, 100, 0, 1)] + [
                pdesc(A_R1, 200, 20, NEXT, 2)] * 3, bursts=[pburst(4)]),
        "rx_list_into_taken": packed_input(
            rx=True, log2num=2, descs=[pdesc(A_R1, 0, 100, WRITE, 1)] + [
                pdesc(A_R1, 200, 20, WRITE | NEXT, 2)] * 3,
            bursts=[pburst(2, pkts=[(50, 1), (20, 1)])]),
        "tx_used_half": packed_input(pos=3, used=(1, 1), fill=16,
                                     bursts=[pburst(8)]),
        "tx_used_half_same": packed_input(pos=3, used=(3, 1),
                                          bursts=[pburst(8)]),
        "tx_bad_base": packed_input(log2num=3, raw_base=0x4009,
                                    bursts=[pburst(4)]),
        "tx_bad_used_half": packed_input(pos=2, used=(0x4001, 0),
                                         bursts=[pburst(4)]),
        "tx_ring_misaligned": packed_input(addr_variant=1,
                                           bursts=[pburst(4)]),
        "tx_driver_area_misaligned": packed_input(addr_variant=2,
                                                  bursts=[pburst(4)]),
        "tx_device_area_outside": packed_input(addr_variant=3,
                                               bursts=[pburst(4)]),
        "tx_small_pool": packed_input(pool=P_POOL_SMALL, descs=[
            pdesc(A_R1, 0, 3000), pdesc(A_R1, 3000, 20000)],
            fill=0, bursts=[pburst(2)]),
        "tx_tiny_pool": packed_input(pool=P_POOL_TINY, log2num=5,
                                     bursts=[pburst(32), pburst(32)]),
        "tx_discard": packed_input(disabled=True, bursts=[pburst(6)]),
        "tx_stopped": packed_input(dev=1, disabled=True,
                                   bursts=[pburst(6)]),
        "tx_event_enable": packed_input(event=(EV_ENABLE, 0),
                                        bursts=burst8),
        "tx_event_desc": packed_input(event=(EV_DESC, 5 | 0x8000),
                                      bursts=[pburst(4), pburst(4),
                                              pburst(4, event=(EV_DESC,
                                                               3))]),
        "tx_event_desc_no_event_idx": packed_input(
            dev=1, event=(EV_DESC, 20), bursts=[pburst(4)]),
        "tx_nocall": packed_input(nocall=True, event=(EV_ENABLE, 0),
                                  bursts=[pburst(4)]),
        "tx_arm": packed_input(log2num=2, fill=1, bursts=[
            pburst(1, arm=True), pburst(1, arm=True), pburst(2, arm=False),
            pburst(2, refill=2, arm=True)]),
        "tx_legacy_hdr10": packed_input(dev=2, bursts=[pburst(5)]),
        "tx_r2_top_wrap": packed_input(descs=[pdesc(A_R2_END, 4, 0,
                                                    len32=786432)],
                                       bursts=[pburst(1)]),
        "tx_indirect_too_long": packed_input(
            log2num=2, descs=[pdesc(A_TABLE, 0, 5, INDIRECT)],
            tables=[tbl + tbl[:2]], bursts=[pburst(1)]),
        "tx_event_desc_last": packed_input(event=(EV_DESC, 7 | 0x8000),
                                           bursts=[pburst(8)]),
        # The 64-byte pool runs out inside the third 50000-byte packet.
        "tx_small_pool_runs_out": packed_input(
            pool=P_POOL_SMALL, descs=[pdesc(A_R1, 0, 25000, NEXT),
                                      pdesc(A_R1, 5000, 25000)] * 3,
            fill=0, bursts=[pburst(3), pburst(3)]),
        "tx_big_ring": packed_input(log2num=8, pos=250, bursts=[
            pburst(64), pburst(64), pburst(64, refill=128)]),
        "tx_big_burst": packed_input(log2num=8, bursts=[pburst(128),
                                                        pburst(128)]),
        "tx_big_burst_discard": packed_input(log2num=8, disabled=True,
                                             bursts=[pburst(100)]),
        "rx_default": packed_input(rx=True, log2num=5, bursts=[
            pburst(16, pkts=[(150, 1)] * 16)]),
        "rx_mrg": packed_input(rx=True, descs=small_rx, bursts=[
            pburst(4, pkts=[(100, 2)] * 4)]),
        "rx_mrg_big": packed_input(rx=True, log2num=6, bursts=[
            pburst(3, pkts=[(3000, 3), (9000, 4), (60, 1)])]),
        "rx_mrg_legacy": packed_input(dev=5, rx=True, descs=small_rx,
                                      bursts=[pburst(4, pkts=[(90, 1)] * 4)]),
        "rx_no_mrg_too_big": packed_input(dev=4, rx=True, bursts=[
            pburst(4, pkts=[(1000, 1), (100, 1), (1000, 2), (188, 1)])]),
        "rx_hdr_split": packed_input(rx=True, descs=[
            pdesc(A_R1, 0, 5, WRITE | NEXT), pdesc(A_R1, 64, 500, WRITE,
                                                  11)],
            bursts=[pburst(2, pkts=[(60, 1)] * 2)]),
        "rx_indirect": packed_input(dev=3, rx=True, descs=[
            pdesc(A_TABLE, 1, 2, INDIRECT, 9)], tables=[[], rx_tbl],
            bursts=[pburst(1, pkts=[(700, 2)])]),
        "rx_readonly": packed_input(rx=True, descs=[pdesc(A_R1, 0, 500)],
                                    bursts=[pburst(1, pkts=[(60, 1)])]),
        "rx_no_room": packed_input(rx=True, fill=2, bursts=[
            pburst(4, pkts=[(100, 1)] * 4),
            pburst(4, refill=1, pkts=[(10, 1)] * 4)]),
        "rx_too_big_ring": packed_input(rx=True, log2num=2, bursts=[
            pburst(2, pkts=[(5000, 1), (50, 1)])]),
        "rx_legacy_hdr10": packed_input(dev=2, rx=True, bursts=[
            pburst(3, pkts=[(190, 1)] * 3)]),
        "rx_straddle": packed_input(rx=True, descs=[
            pdesc(A_R0_END, 0x80, 4000, WRITE)],
            bursts=[pburst(1, pkts=[(2000, 3)])]),
        "rx_outside": packed_input(rx=True, descs=[
            pdesc(A_R2_END, 0x40, 0x100, WRITE)],
            bursts=[pburst(1, pkts=[(20, 1)])]),
        "rx_laps_refill": packed_input(rx=True, log2num=2, pos=3, fill=4,
                                       bursts=[
            pburst(3, pkts=[(50, 1)] * 3),
            pburst(4, refill=3, pkts=[(250, 1)] * 4),
            pburst(4, refill=4, pkts=[(10, 4)] * 4)]),
        "rx_event_desc": packed_input(rx=True, event=(EV_DESC, 2 | 0x8000),
                                      bursts=[pburst(2, pkts=[(50, 1)] * 2),
                                              pburst(4, pkts=[(50, 1)] * 4)]),
        "rx_small_pool": packed_input(rx=True, pool=P_POOL_SMALL, bursts=[
            pburst(8, pkts=[(150, 2)] * 8)]),
        "rx_wrap0": packed_input(rx=True, log2num=3, pos=5, wrap=0,
                                 bursts=[pburst(8, pkts=[(30, 1)] * 8)]),
        "rx_big_burst": packed_input(rx=True, log2num=8, bursts=[
            pburst(100, pkts=[(300, 1)] * 100)]),
        # 64 buffers of 20 bytes: a packet filling exactly 64 pieces
        # (the most one packet may take) fits, one byte more does not.
        "rx_64_pieces": packed_input(rx=True, log2num=6, descs=[
            pdesc(A_R1, 32 * i, 20, WRITE, i) for i in range(64)],
            bursts=[pburst(2, pkts=[(64 * 20 - 12 + 1, 1),
                                    (64 * 20 - 12, 1)])]),
        "rx_header_short": packed_input(rx=True, descs=[
            pdesc(A_R1, 0, 8, WRITE)], bursts=[pburst(1, pkts=[(60, 1)])]),
        # Two buffers of indirect tables: 6 descriptors read on a ring
        # of 2 (more than twice its size) for one packet.
        "rx_reads_budget": packed_input(rx=True, log2num=1, descs=[
            pdesc(A_TABLE, 0, 2, INDIRECT), pdesc(A_TABLE, 1, 2, INDIRECT)],
            tables=[[pdesc(A_R1, 0, 12, WRITE), pdesc(A_R1, 64, 0, WRITE)],
                    [pdesc(A_R1, 128, 0, WRITE), pdesc(A_R1, 192, 0,
                                                      WRITE)]],
            bursts=[pburst(1, pkts=[(60, 1)])]),
    }


# ---- fuzz_virtio_used (see the layout at the top of fuzz_virtio_used.c)
V_TX, V_MRG, V_INORDER, V_EVENT, V_FIXED, V_BULK, V_SG = 1, 2, 4, 8, 16, 32, 64


def vu(cfg, log2num, simd, *ops):
    return struct.pack("<BBB", cfg, log2num, simd) + b"".join(ops)


def rx_lies(lie, hid, hlen):
    """The optional fields of an RX op, fuzz_virtio_used's and
    fuzz_virtio_packed's alike: each present when its flag (0x10, 0x20,
    0x40) is set, in that order."""
    out = b""
    if lie is not None:
        out += struct.pack("<H", lie)
    if hid is not None:
        out += struct.pack("<H", hid)
    if hlen is not None:
        out += struct.pack("<I", hlen)
    return out


def rx_pkt(nbufs, length, lie=None, hid=None, hlen=None, reuse=False):
    a = (nbufs - 1) | (0x10 if lie is not None else 0) | \
        (0x20 if hid is not None else 0) | (0x40 if hlen is not None else 0) \
        | (0x80 if reuse else 0)
    return struct.pack("<BBH", 0, a, length) + rx_lies(lie, hid, hlen)


def v_publish(jump=None):
    return struct.pack("<BB", 1, 0) if jump is None else \
        struct.pack("<BBH", 1, 0xf0, jump)


def v_burst(n):
    return struct.pack("<BB", 2, n - 1)


def tx_send(*pkts):
    out = struct.pack("<BB", 0, len(pkts) - 1)
    for length, kind in pkts:
        out += struct.pack("<HB", length - 1, kind)
    return out


def tx_consume(k, hid=None, hlen=None, batch=False):
    a = (k - 1) | (0x10 if hid is not None else 0) | \
        (0x20 if hlen is not None else 0) | (0x40 if batch else 0)
    out = struct.pack("<BB", 1, a)
    if hid is not None:
        out += struct.pack("<H", hid)
    if hlen is not None:
        out += struct.pack("<I", hlen)
    return out


def virtio_used_seeds():
    all_f = V_FIXED | V_BULK
    three = rx_pkt(1, 60) + rx_pkt(1, 1500) + rx_pkt(1, 0)
    return {
        "rx_basic": vu(all_f, 5, 1, three, v_publish(), v_burst(32)),
        "rx_vec_groups": vu(all_f, 6, 2, *([rx_pkt(1, 100)] * 20),
                            v_publish(), v_burst(16), v_burst(16)),
        "rx_avx512": vu(all_f | V_INORDER, 6, 3, *([rx_pkt(1, 64)] * 24),
                        v_publish(), v_burst(32)),
        "rx_mrg": vu(all_f | V_MRG | V_SG, 4, 1, rx_pkt(3, 5000),
                     rx_pkt(1, 10), v_publish(), v_burst(8)),
        "rx_mrg_partial": vu(all_f | V_MRG | V_SG, 4, 2, rx_pkt(2, 3000),
                             struct.pack("<BB", 1, 0), v_burst(4),
                             v_publish(), v_burst(4)),
        "rx_mrg_noscatter": vu(all_f | V_MRG, 4, 1, rx_pkt(2, 3000),
                               v_publish(), v_burst(4)),
        "rx_bad_id": vu(all_f, 4, 1, rx_pkt(1, 60, hid=200), v_publish(),
                        v_burst(4)),
        "rx_bad_len": vu(all_f, 4, 2, rx_pkt(1, 60, hlen=5000),
                         v_publish(), v_burst(4)),
        "rx_short_len": vu(all_f, 4, 3, rx_pkt(1, 60, hlen=3), v_publish(),
                           v_burst(4)),
        "rx_bad_nb": vu(all_f | V_MRG | V_SG, 4, 1, rx_pkt(1, 60, lie=0),
                        v_publish(), v_burst(4)),
        "rx_nb_big": vu(all_f | V_MRG | V_SG, 4, 2, rx_pkt(1, 60, lie=300),
                        v_publish(), v_burst(4)),
        "rx_dup": vu(all_f, 4, 1, rx_pkt(2, 3000, reuse=True), v_publish(),
                     v_burst(4)),
        "rx_jump": vu(all_f, 4, 2, rx_pkt(1, 60), v_publish(jump=40),
                      v_burst(4)),
        "rx_inorder_bad": vu(all_f | V_INORDER, 4, 2, rx_pkt(1, 60, hid=3),
                             v_publish(), v_burst(4)),
        "rx_refill_wrap": vu(all_f | V_EVENT, 2, 1,
                             *([rx_pkt(1, 70), v_publish(), v_burst(2)] * 6)),
        "tx_basic": vu(V_TX | all_f | 64, 4, 0,
                       tx_send((60, 0), (1500, 0), (9000, 2)),
                       tx_consume(3), v_publish(), struct.pack("<B", 3)),
        "tx_noheadroom": vu(V_TX | all_f | 64, 4, 0,
                            tx_send((100, 0x10), (100, 0x21)),
                            tx_consume(2), v_publish(),
                            tx_send((50, 0))),
        "tx_inorder_batch": vu(V_TX | all_f | 64 | V_INORDER, 4, 0,
                               tx_send(*([(80, 0)] * 6)),
                               tx_consume(6, batch=True), v_publish(),
                               tx_send((80, 1))),
        "tx_bad_id": vu(V_TX | all_f, 4, 0, tx_send((60, 0), (60, 0)),
                        tx_consume(1, hid=9), v_publish(), tx_send((60, 0))),
        "tx_jump": vu(V_TX | all_f, 3, 0, tx_send((60, 0)), tx_consume(1),
                      v_publish(jump=100), tx_send((60, 0))),
        "tx_full_ring": vu(V_TX, 2, 0, tx_send(*([(60, 2)] * 8)),
                           tx_consume(1), v_publish(),
                           tx_send(*([(60, 0)] * 4))),
    }


# ---- fuzz_virtio_packed (see the layout at the top of fuzz_virtio_packed.c)
P_TX, P_MRG, P_INORDER, P_EVENT, P_BULK, P_SG = 1, 2, 4, 8, 16, 32
P_PUSH = P_SG  # bit 5 is tx_hdr_push on TX
M_USED, M_OTHER_LAP, M_AVAIL, M_RAW = 0, 1, 2, 3


def vp(cfg, log2num, *ops):
    return struct.pack("<BB", cfg, log2num) + b"".join(ops)


def p_rx(nbufs, length, defer=False, lie=None, hid=None, hlen=None,
         batch=False):
    a = (nbufs - 1) | (0x08 if defer else 0) | \
        (0x10 if lie is not None else 0) | (0x20 if hid is not None else 0) \
        | (0x40 if hlen is not None else 0) | (0x80 if batch else 0)
    return struct.pack("<BBH", 0, a, length) + rx_lies(lie, hid, hlen)


def p_mark(count=0, mode=M_USED, raw=0):
    out = struct.pack("<BB", 1, count | mode << 3)
    return out + (struct.pack("<H", raw) if mode == M_RAW else b"")


def p_hostile(mode, off, bid, length, raw=0):
    out = struct.pack("<BBHHI", 2, mode, off, bid, length)
    return out + (struct.pack("<H", raw) if mode == M_RAW else b"")


def p_rxb(n, hold=False, free=False):
    return struct.pack("<BB", 3, (n - 1) | (0x40 if hold else 0)
                       | (0x80 if free else 0))


def p_event(flags, off_wrap):
    return struct.pack("<BBH", 5, flags, off_wrap)


def p_handoff():
    return struct.pack("<B", 6)


def p_send(*pkts):
    out = struct.pack("<BB", 0, len(pkts) - 1)
    for length, kind in pkts:
        out += struct.pack("<HB", length - 1, kind)
    return out


def p_read(k, scribble=False):
    return struct.pack("<BB", 3, (k - 1) | (0x08 if scribble else 0))


def p_done(k, defer=False, hid=None, hlen=None, batch=False, start=None):
    b = (k - 1) | (0x08 if defer else 0) | (0x10 if hid is not None else 0) \
        | (0x20 if hlen is not None else 0) | (0x40 if batch else 0) \
        | (0x80 if start is not None else 0)
    out = struct.pack("<BB", 4, b)
    if hid is not None:
        out += struct.pack("<H", hid)
    if hlen is not None:
        out += struct.pack("<I", hlen)
    if start is not None:
        out += struct.pack("<B", start)
    return out


def p_reclaim():
    return struct.pack("<B", 7)


def virtio_packed_seeds():
    rx3 = p_rx(1, 60) + p_rx(1, 1500) + p_rx(1, 0)
    tx_round = p_send((60, 0), (70, 0), (80, 0)) + p_read(3) + p_done(3)
    return {
        "rx_basic": vp(P_BULK, 5, rx3, p_rxb(32)),
        "rx_inorder_groups": vp(P_BULK | P_INORDER, 6,
                                *([p_rx(1, 100)] * 20), p_rxb(16),
                                p_rxb(16)),
        "rx_mrg": vp(P_BULK | P_MRG | P_SG, 4, p_rx(3, 5000), p_rx(1, 10),
                     p_rxb(8)),
        "rx_mrg_inorder": vp(P_MRG | P_SG | P_INORDER, 3, p_rx(2, 3000),
                             p_rx(1, 64), p_rx(4, 8000), p_rxb(2),
                             p_rxb(8)),
        "rx_mrg_partial": vp(P_BULK | P_MRG | P_SG, 4,
                             p_rx(2, 3000, defer=True), p_mark(1),
                             p_rxb(4), p_mark(), p_rxb(4)),
        "rx_mrg_noscatter": vp(P_BULK | P_MRG, 4, p_rx(2, 3000),
                               p_rx(1, 50), p_rxb(4)),
        "rx_refill_wrap": vp(P_EVENT, 2,
                             *([p_rx(1, 70), p_rxb(2)] * 6)),
        "rx_ring1": vp(P_BULK | P_INORDER, 0,
                       *([p_rx(1, 33), p_rxb(1)] * 4)),
        "rx_wrong_wrap": vp(P_BULK, 3, p_rx(1, 60, defer=True),
                            p_mark(0, M_OTHER_LAP), p_rxb(4),
                            p_mark(0, M_AVAIL), p_rxb(4), p_mark(),
                            p_rxb(4)),
        "rx_event_desc": vp(P_EVENT | P_BULK, 3, p_event(2, 0x0003),
                            *([p_rx(1, 90), p_rxb(1)] * 10),
                            p_event(1, 0), p_rx(1, 10), p_rxb(1),
                            p_event(0, 0), p_rx(1, 10), p_rxb(1)),
        "rx_hold": vp(P_BULK, 3, *([p_rx(1, 64)] * 8), p_rxb(4, hold=True),
                      p_rxb(4, hold=True), *([p_rx(1, 65)] * 4),
                      p_rxb(8, free=True)),
        "rx_handoff": vp(P_BULK, 3, rx3, p_rxb(1), p_handoff(),
                         p_rx(1, 61), p_rxb(8)),
        "rx_handoff_inorder": vp(P_INORDER | P_MRG | P_SG, 3,
                                 p_rx(2, 3000), p_rx(1, 5, defer=True),
                                 p_rxb(8), p_handoff(), p_rx(3, 4000),
                                 p_rxb(8)),
        "rx_bad_id": vp(P_BULK, 4, p_rx(1, 60, hid=200), p_rxb(4)),
        "rx_bad_len": vp(P_BULK, 4, p_rx(1, 60, hlen=5000), p_rxb(4)),
        "rx_short_len": vp(P_BULK, 4, p_rx(1, 60, hlen=3), p_rxb(4)),
        "rx_bad_nb": vp(P_MRG | P_SG, 4, p_rx(1, 60, lie=0), p_rxb(4)),
        "rx_nb_big": vp(P_MRG | P_SG, 4, p_rx(1, 60, lie=300), p_rxb(4)),
        "rx_batch": vp(P_INORDER, 4, p_rx(3, 100, batch=True), p_rxb(4)),
        "rx_batch_any": vp(P_MRG | P_SG, 4, p_rx(3, 5000, batch=True),
                           p_rxb(4)),
        "rx_hostile_beyond": vp(P_BULK, 3, p_rx(1, 60),
                                p_hostile(M_USED, 9, 1, 100),
                                p_hostile(M_AVAIL, 2, 3, 10), p_rxb(8),
                                p_rx(1, 20), p_rxb(8)),
        "rx_handoff_broken": vp(P_BULK, 3, p_rx(1, 60, hid=500), p_rxb(4),
                                p_handoff(), p_rx(1, 80), p_rxb(4)),
        "tx_basic": vp(P_TX | P_PUSH | P_BULK, 4,
                       p_send((60, 0), (1500, 0), (2900, 2)), p_read(3),
                       p_done(3), p_reclaim()),
        "tx_noheadroom": vp(P_TX | P_PUSH, 4,
                            p_send((100, 0x10), (100, 0x21)), p_read(2),
                            p_done(2), p_send((50, 0))),
        "tx_inorder_batch": vp(P_TX | P_PUSH | P_INORDER | P_BULK, 4,
                               p_send(*([(80, 0)] * 6)), p_read(6),
                               p_done(6, batch=True), p_send((80, 1))),
        "tx_out_of_order": vp(P_TX | P_PUSH, 3,
                              p_send((60, 1), (70, 0), (80, 2), (90, 0)),
                              p_read(4), p_done(2, start=2), p_done(1),
                              p_reclaim(), p_send((10, 0), (20, 0)),
                              p_read(3), p_done(3), p_reclaim()),
        "tx_wrap": vp(P_TX | P_PUSH | P_EVENT, 2,
                      p_event(2, 0x8001), *([tx_round] * 5)),
        "tx_wrap_chains": vp(P_TX, 2, *([p_send((300, 2)), p_read(1),
                                         p_done(1)] * 5)),
        "tx_drop_long": vp(P_TX, 1, p_send((60, 2), (60, 0x20), (10, 0)),
                           p_read(2), p_done(2), p_reclaim()),
        "tx_full_ring": vp(P_TX, 2, p_send(*([(60, 2)] * 8)), p_read(1),
                           p_done(1), p_send(*([(60, 0)] * 4))),
        "tx_defer_mark": vp(P_TX | P_PUSH | P_INORDER, 3,
                            p_send((60, 0), (61, 0)), p_read(2),
                            p_done(2, defer=True), p_reclaim(),
                            p_mark(0, M_OTHER_LAP), p_reclaim(),
                            p_mark(1), p_reclaim(), p_mark(), p_reclaim()),
        "tx_handoff": vp(P_TX | P_PUSH | P_INORDER, 3,
                         p_send((60, 0), (61, 1), (62, 0), (63, 0x20)),
                         p_read(2), p_done(1), p_handoff(), p_read(4),
                         p_done(4), p_reclaim()),
        "tx_handoff_reorder": vp(P_TX | P_PUSH, 3,
                                 p_send((60, 0), (61, 1), (62, 0)),
                                 p_read(3), p_done(1, start=1), p_reclaim(),
                                 p_send((63, 0), (64, 2)), p_handoff(),
                                 p_read(8), p_done(8), p_reclaim()),
        "tx_bad_id": vp(P_TX, 4, p_send((60, 0), (60, 0)), p_read(1),
                        p_done(1, hid=9), p_send((60, 0))),
        "tx_inorder_lie": vp(P_TX | P_INORDER, 4,
                             p_send((60, 0), (61, 0)), p_read(2),
                             p_done(1, start=1), p_reclaim(), p_done(1),
                             p_reclaim()),
        "tx_hostile_ahead": vp(P_TX | P_PUSH, 1, p_send((60, 0), (61, 0)),
                               p_read(2), p_done(2),
                               p_hostile(M_USED, 2, 0, 0),
                               p_send((62, 0), (63, 0), (64, 0))),
        "tx_handoff_broken": vp(P_TX | P_PUSH, 3, p_send((60, 0), (61, 0)),
                                p_read(2), p_done(1, hid=7), p_reclaim(),
                                p_handoff(), p_read(2), p_done(2),
                                p_reclaim()),
        "tx_event_raw": vp(P_TX | P_PUSH | P_EVENT, 3,
                           struct.pack("<BBHH", 5, 0x80, 7, 0x7fff),
                           p_send((60, 0)), p_event(2, 0x7fff),
                           p_send((60, 0))),
        # The handoff cleans up after the old device (9b23ff5): junk
        # headers, "available" descriptors beyond what is in flight, its
        # event structure.
        "tx_handoff_scribble": vp(P_TX, 3,
                                  p_send((60, 0), (61, 1), (62, 0)),
                                  p_read(3, scribble=True), p_done(1),
                                  p_handoff(), p_read(8), p_done(8),
                                  p_reclaim()),
        "tx_handoff_scribble_push": vp(P_TX | P_PUSH | P_INORDER, 3,
                                       p_send((60, 0), (61, 0), (62, 0)),
                                       p_read(3, scribble=True), p_done(1),
                                       p_handoff(), p_read(8), p_done(8),
                                       p_reclaim()),
        "tx_handoff_planted": vp(P_TX | P_PUSH, 3,
                                 p_send((60, 0), (61, 0), (62, 0)),
                                 p_read(3), p_done(2), p_reclaim(),
                                 p_hostile(M_AVAIL, 1, 0, 72),
                                 p_hostile(M_AVAIL, 4, 1, 72),
                                 p_handoff(), p_read(8), p_done(8),
                                 p_send((63, 0)), p_read(8), p_done(8),
                                 p_reclaim()),
        "tx_handoff_planted_inorder": vp(P_TX | P_PUSH | P_INORDER, 3,
                                         p_send((60, 0), (61, 2), (62, 0)),
                                         p_read(3), p_done(1), p_reclaim(),
                                         p_hostile(M_RAW, 5, 0, 0,
                                                   raw=0x0080),
                                         p_hostile(M_RAW, 7, 5, 0,
                                                   raw=0x8001),
                                         p_handoff(), p_read(8), p_done(8),
                                         p_reclaim()),
        # As tx_handoff_reorder, after a lie (the model then knows the
        # submission order only from the packets' sequence numbers).
        "tx_handoff_reorder_lied": vp(P_TX | P_PUSH, 3,
                                      p_send((60, 0), (61, 1), (62, 0)),
                                      p_read(3), p_done(1, start=1),
                                      p_reclaim(),
                                      p_send((63, 0), (64, 2)),
                                      p_hostile(M_OTHER_LAP, 7, 0, 0),
                                      p_handoff(), p_read(8), p_done(8),
                                      p_reclaim()),
        "tx_handoff_event": vp(P_TX | P_PUSH | P_EVENT, 3,
                               p_event(2, 0x8003), p_send((60, 0), (61, 0)),
                               p_read(2), p_handoff(), p_send((62, 0)),
                               p_read(8), p_done(8), p_reclaim()),
        "rx_handoff_planted": vp(P_BULK, 4, rx3, p_rxb(8),
                                 p_hostile(M_RAW, 13, 1, 1500, raw=0x8002),
                                 p_hostile(M_AVAIL, 15, 2, 1500),
                                 p_handoff(), p_rx(1, 61), p_rxb(8)),
        "rx_handoff_event": vp(P_EVENT | P_INORDER, 3, p_event(2, 0x0005),
                               rx3, p_rxb(2), p_handoff(), p_rx(1, 61),
                               p_rxb(8)),
    }


# ---- fuzz_vhost_mem: u8 nb, u8 whylen, u8 cap (MiB), regions, then
# translation ops
MEMFD, SEALED, SAME, PIPE, DEVNULL, WSEALED, DIRFD = 0, 4, 5, 6, 7, 8, 9


def mreg(kind, fsize, gpa, uva, size, off):
    wide = (1 if size >= 1 << 32 else 0) | (2 if off >= 1 << 32 else 0)
    out = struct.pack("<BIBQQ", kind, fsize, wide, gpa, uva)
    out += struct.pack("<Q" if wide & 1 else "<I", size)
    out += struct.pack("<Q" if wide & 2 else "<I", off)
    return out


def mem_input(regions, ops=b"", n=None, fd_mismatch=False, whylen=0,
              cap_mib=0):
    if n is None:
        n = len(regions)
    nb = n | (0x10 if fd_mismatch else 0)
    return struct.pack("<BBB", nb, whylen, cap_mib) + b"".join(regions) \
        + ops


def op_abs(gpa, addr, length):
    return struct.pack("<BQQ", 1 if gpa else 0, addr, length)


def op_rel(gpa, region, delta, length, from_end=False):
    op = (1 if gpa else 0) | 2 | (4 if from_end else 0)
    return struct.pack("<BBiI", op, region, delta, length)


def op_shrink(region, size):
    return struct.pack("<BBI", 0x80, region, size)


def vhost_mem_seeds():
    mib, uva = 1 << 20, 0x7f0000000000
    probe = (op_rel(False, 0, 0, 64) + op_rel(True, 0, 100, 4096)
             + op_rel(False, 0, -1, 1, True) + op_rel(False, 0, -1, 2, True)
             + op_rel(True, 0, -1, 2, True) + op_rel(True, 0, 0, 1, True)
             + op_rel(False, 0, -1, 0) + op_abs(False, uva, (1 << 64) - 1)
             + op_abs(True, (1 << 64) - 1, 1))
    one = mreg(MEMFD, mib, 0, uva, mib, 0)
    eight = [mreg(MEMFD, 0x12000, i * 0x10000, uva + i * 0x20000, 0x10000,
                  0x1000 + i) for i in range(8)]
    return {
        "one_region": mem_input([one], probe),
        "two_regions_one_file": mem_input([
            mreg(MEMFD, 2 * mib, 0, uva, mib, 0),
            mreg(SAME, 0, mib, uva + mib, mib, mib)],
            probe + op_rel(False, 1, -8, 16) + op_rel(True, 1, -8, 16)),
        "eight_regions_unaligned": mem_input(
            eight, b"".join(op_rel(i & 1, i, 0x0fff, 2) for i in range(8))),
        "sealed_dpdk_like": mem_input([
            mreg(SEALED, 4 * mib, 0x100000000, 0x100000000, 4 * mib, 0),
            mreg(SEALED, 4 * mib, 0x200000000, 0x180000000, 2 * mib,
                 2 * mib)], probe),
        "unaligned_to_file_end": mem_input(
            [mreg(MEMFD, 0x1801, 0x5000, uva + 0x801, 0x1000, 0x801)],
            probe),
        "eight_64mib": mem_input(
            [mreg(MEMFD, 64 * mib, i << 32, uva + (i << 32), 64 * mib, 0)
             for i in range(8)], probe),
        "shrink_then_touch": mem_input([one], op_shrink(0, 0x1800)
            + b"".join(op_rel(g, 0, d, 1) for g in (0, 1)
                       for d in (0x1000, 0x17ff, 0x1800, 0x2000, 0x3000))
            + op_shrink(0, mib) + op_rel(0, 0, 0x1000, 1)
            + op_rel(1, 0, 0x2000, 1) + op_rel(0, 0, -1, 1, True)),
        "shrink_sealed": mem_input(
            [mreg(SEALED, mib, 0, uva, mib, 0)],
            op_shrink(0, 4096) + op_rel(0, 0, 0x8000, 1)),
        "shrink_shared_file": mem_input([
            mreg(MEMFD, 2 * mib, 0, uva, mib, 0),
            mreg(SAME, 0, mib, uva + mib, mib, mib)],
            op_shrink(1, mib // 2) + op_rel(0, 0, -1, 1, True)
            + op_rel(1, 1, 0, 1) + op_rel(0, 0, 0, 1)
            + op_rel(1, 1, -8, 8, True)),
        "bad_past_file_end": mem_input(
            [mreg(MEMFD, 0x1800, 0, uva, 0x1000, 0x801)]),
        "bad_gpa_overlap": mem_input([
            mreg(MEMFD, mib, 0, uva, mib, 0),
            mreg(MEMFD, mib, mib - 1, uva + mib, mib, 0)]),
        "bad_uva_overlap": mem_input([
            mreg(MEMFD, mib, 0, uva, mib, 0),
            mreg(MEMFD, mib, mib, uva + mib - 4096, mib, 0)]),
        "bad_gpa_wrap": mem_input(
            [mreg(MEMFD, mib, (1 << 64) - 4096, uva, 8192, 0)]),
        "bad_offset_wrap": mem_input(
            [mreg(MEMFD, mib, 0, uva, 8192, (1 << 64) - 4096)]),
        "bad_size_zero": mem_input([mreg(MEMFD, mib, 0, uva, 0, 0)]),
        "bad_huge_sparse": mem_input(
            [mreg(MEMFD, 64 * mib, 0, uva, 1 << 40, 0)]),
        "bad_no_regions": mem_input([], n=0),
        "bad_nine_regions": mem_input(
            eight + [mreg(MEMFD, mib, 1 << 40, 1 << 41, 4096, 0)], n=9),
        "bad_one_fd_short": mem_input(eight[:3], fd_mismatch=True),
        "bad_pipe": mem_input([one, mreg(PIPE, 0, mib, uva + mib, 4096, 0)]),
        "bad_dev_null": mem_input([mreg(DEVNULL, 0, 0, uva, 4096, 0)]),
        "bad_directory": mem_input([mreg(DIRFD, 0, 0, uva, 1, 0)]),
        "bad_write_sealed": mem_input([mreg(WSEALED, mib, 0, uva, mib, 0)]),
        "cap_exact": mem_input([
            mreg(SEALED, 3 * mib, 0, uva, 3 * mib - 4096, 0),
            mreg(MEMFD, 4096, 1 << 32, uva + (1 << 32), 4096, 0)],
            probe, cap_mib=3),
        "bad_over_cap": mem_input([
            mreg(SEALED, 3 * mib, 0, uva, 3 * mib - 4096, 0),
            mreg(MEMFD, 8192, 1 << 32, uva + (1 << 32), 4097, 0)],
            cap_mib=3),
        "bad_short_why": mem_input([mreg(MEMFD, 4096, 0, uva, 8192, 0)],
                                   whylen=7),
    }


def main():
    top = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "corpus")
    targets = {
        "fuzz_tvu_msg": tvu_msg_seeds(),
        "fuzz_tvu_reply": tvu_reply_seeds(),
        "fuzz_vring_event": vring_event_seeds(),
        "fuzz_vhost_split": vhost_split_seeds(),
        "fuzz_vhost_packed": vhost_packed_seeds(),
        "fuzz_virtio_used": virtio_used_seeds(),
        "fuzz_virtio_packed": virtio_packed_seeds(),
        "fuzz_vhost_mem": vhost_mem_seeds(),
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
