#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 Tandem developers
"""Benchmark Tandem's pair against DPDK's stock pair, side by side.

Every configuration is measured in the same invocation, interleaved: each
repetition runs every case once (rep 1: all cases, rep 2: all cases ...),
so slow drifts of this shared VM hit every configuration alike. The report
gives medians, min-max and the ratio to each stock reference. This VM is
noisy (throughput is bimodal from run to run): never trust a single
repetition.

Modes (packet size set with --sizes):
  loop1   one testpmd holding both drivers, one forwarding lcore polling
          both ports in io mode, 32 bursts primed; the guest vdev is
          attached at run time (port attach). Rate = packets the host port
          receives per second.
  loop2   two testpmd processes (host on core 0, guest on core 1), io
          forwarding on both sides, 32 bursts primed. Rate = host RX pps.
  g2h     guest txonly -> host rxonly (two processes). Rate = host RX pps.
  h2g     host txonly -> guest rxonly (two processes). Rate = guest RX pps.

In the loops the primed packets circulate in two independent rings of
traffic (guest TX -> host RX -> guest TX, and host TX -> guest RX -> host
TX) served by the same lcore(s); the rate is the first one, and a row whose
other direction differs by more than 5% says so in its notes.

Packets larger than 2048 B (jumbo) use testpmd's default 2 KiB mbufs:
testpmd transmits them as chains of 2 KiB segments, the guest port gets
the scatter RX offload and receives them in mergeable buffers (one 2 KiB
mbuf per buffer). A pair whose guest has mrg_rxbuf=0 cannot do that and is
refused for those sizes.

Each run also records, from the same testpmd processes:
  - TX drops during the window (testpmd's forwarding stats);
  - in the loops, the packets in flight (sent minus received over all
    ports): 32 bursts are primed on each port, but the guest's rings keep
    only what fits, so the population (and with it the memory the loop
    touches) depends on ring sizes and on each driver; it is in the notes
    column because it changes the rate (see doc/performance.md);
  - notifications: kicks and calls of the Tandem drivers' xstats, read
    before and after the window (stock drivers count none: n/a);
  - the datapath each guest driver logged at start (stock virtio-user at
    pmd.net.virtio.init:debug, Tandem at pmd.net.tandem_virtio:info).

  devtools/bench.py --pairs tandem,stock,stock-packed-vec \\
      --modes loop1,loop2,g2h,h2g --sizes 64 --reps 3 --seconds 5 \\
      --json out.json --markdown out.md
  devtools/bench.py --ablation --modes loop1 --sizes 64

Extra devargs: --pair 'scalar=tandem,guest:simd=scalar' then
--pairs tandem,scalar,stock. The full report for doc/ is
devtools/perf_report.py.

A/B of a change (build the base revision in another directory first):
  devtools/bench.py --pairs base,tandem \
      --pair 'base=tandem,build:/path/to/base-build' \
      --modes loop1,g2h --reps 5 --seconds 3 --paired base
--paired adds a table of each pair against BASE repetition by
repetition: both ran in the same repetition, so the ratio of their two
rates cancels part of the drift between repetitions. It gives the median
of those ratios, their range and in how many repetitions the pair was
the faster one. A change smaller than the spread of those ratios has not
been measured.
"""

import argparse
import json
import os
import re
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import testpmd  # noqa: E402

EAL = ["--no-huge", "-m", "1024", "--no-pci",
       # the datapath each guest driver picked, logged once at start; EAL
       # 22.11 applies the first --log-level matching a log type, so these
       # go before the catch-all
       "--log-level=pmd.net.virtio.init:debug",
       "--log-level=pmd.net.tandem_virtio:info", "--log-level=*:notice"]
AVX512 = ["--force-max-simd-bitwidth=512"]
MBUF_DATA = 2048  # testpmd's default mbuf data room (2176 - headroom)
MODES = ("loop1", "loop2", "g2h", "h2g")
# Stock configurations the issue sets targets against, in table order.
STOCK_REFS = ("stock", "stock-packed", "stock-packed-vec")

# name -> (side, devargs) switching one technique off on that side's vdev
# (see doc/devargs.md). vectorized=0 is the same switch as simd=scalar,
# hence not listed.
ABLATION = {
    "tandem:simd=scalar": ("guest", "simd=scalar"),
    "tandem:fixed_avail=0": ("guest", "fixed_avail=0"),
    "tandem:tx_hdr_push=0": ("guest", "tx_hdr_push=0"),
    "tandem:bulk=0": ("guest", "bulk=0"),
    "tandem:in_order=0": ("guest", "in_order=0"),
    "tandem:mrg_rxbuf=0": ("guest", "mrg_rxbuf=0"),
    "tandem:event_idx=0": ("guest", "event_idx=0"),
    # the host's long copies at rte_memcpy's (SSE) width
    "tandem:copy=sse": ("host", "copy=sse"),
}


def pair_defs(build):
    """name -> (host vdev fmt, guest vdev fmt, host -d, guest -d, extra EAL
    arguments of both processes)."""
    vh = ["-d", testpmd.pmd_path(testpmd.VHOST_PMD, build)]
    vg = ["-d", testpmd.pmd_path(testpmd.VIRTIO_PMD, build)]
    th = "net_tandem_vhost0,iface={sock}"
    tg = "net_tandem_virtio0,path={sock}"
    sh = "net_vhost0,iface={sock}"
    sg = "net_virtio_user0,path={sock}"
    defs = {
        "tandem": (th, tg, vh, vg, []),
        # AVX-512 RX path: EAL's default max SIMD bitwidth is 256
        "tandem-avx512": (th, tg, vh, vg, AVX512),
        "stock": (sh, sg, [], [], []),
        # stock's split vector path refuses mergeable buffers and in-order
        "stock-vec": (sh, sg + ",vectorized=1,mrg_rxbuf=0,in_order=0",
                      [], [], []),
        "stock-packed": (sh, sg + ",packed_vq=1", [], [], []),
        # stock's packed vector RX needs AVX-512 allowed and refuses
        # mergeable buffers ("disabled packed ring vectorized rx for
        # mrg_rxbuf enabled"): without mrg_rxbuf=0 only its TX is vector
        "stock-packed-vec": (sh, sg + ",packed_vq=1,vectorized=1,"
                             "mrg_rxbuf=0", [], [], AVX512),
        "tandem-guest+stock-host": (sh, tg, [], vg, []),
        # packed rings: against stock-packed, the same devargs
        "tandem-guest-packed+stock-host": (sh, tg + ",packed_vq=1", [], vg,
                                           []),
        "stock-guest+tandem-host": (th, sg, vh, [], []),
        "tandem-packed": (th, tg + ",packed_vq=1", vh, vg, []),
        "stock-guest-packed+tandem-host": (th, sg + ",packed_vq=1", vh, [],
                                           []),
    }
    for name, (side, devargs) in ABLATION.items():
        if side == "host":
            defs[name] = (th + "," + devargs, tg, vh, vg, [])
        else:
            defs[name] = (th, tg + "," + devargs, vh, vg, [])
    return defs


def refusal(pdef, size):
    """Why this pair cannot run this size, or None."""
    if size > MBUF_DATA and "mrg_rxbuf=0" in pdef[1]:
        return ("a %d B packet needs mergeable RX buffers in %d B mbufs "
                "and the guest has mrg_rxbuf=0" % (size, MBUF_DATA))
    return None


def txpkts(size):
    """--txpkts: one segment, or 2 KiB segments for jumbo frames."""
    segs = []
    left = size
    while left > 0:
        segs.append(min(left, MBUF_DATA))
        left -= segs[-1]
    return "--txpkts=" + ",".join(str(s) for s in segs)


def app_args(size, fwd, scatter=False):
    a = ["--nb-cores=1", "--forward-mode=%s" % fwd]
    if size > 1518:
        # MTU follows from it; mbufs stay at testpmd's 2 KiB default
        a.append("--max-pkt-len=%d" % (size + 64))
    if scatter and size > MBUF_DATA:
        a.append("--enable-scatter")
    a.append(txpkts(size))
    return a


# ---------------------------------------------------------------- samples

FWD_PORT = re.compile(
    r"Forward statistics for port (\d+).*?TX-dropped:\s+(\d+)", re.S)
XSTAT_PORT = re.compile(r"extended statistics for port (\d+)", re.I)
XSTAT_LINE = re.compile(r"^\s*([A-Za-z0-9_]+):\s+(\d+)\s*$", re.M)
KICKS = re.compile(r"^[rt]x_q\d+_kicks$")
CALLS = re.compile(r"^[rt]x_q\d+_calls$")
# stock virtio-user: "set_rxtx_funcs(): virtio: using packed ring
# vectorized Rx path on port 1"; Tandem: "net_tandem_virtio0: rx path avx2"
STOCK_PATH = re.compile(r"using (.+?) (Rx|Tx) path on port")
TANDEM_PATH = re.compile(r"net_tandem_virtio\d*: rx path (\S+)")


def fwd_drops(tp):
    """{port: TX-dropped so far} from testpmd's forwarding stats."""
    text = tp.cmd("show fwd stats all")
    return {int(p): int(d) for p, d in FWD_PORT.findall(text)}


def xstats(tp, port):
    """{port: {name: value}}; port None means all ports."""
    text = tp.cmd("show port xstats %s" % ("all" if port is None else port))
    out = {}
    pieces = XSTAT_PORT.split(text)
    # pieces: [before, port, body, port, body, ...]
    for i in range(1, len(pieces) - 1, 2):
        out[int(pieces[i])] = {n: int(v) for n, v in
                               XSTAT_LINE.findall(pieces[i + 1])}
    return out


def window(procs, seconds, during=None):
    """Measure a running setup. procs: [(Testpmd, {port: role})], role
    'host' or 'guest'. Returns per role: RX and TX pps, TX drops per
    second, and the xstats deltas. Slow commands (xstats take locks and
    system calls in the drivers) are issued outside the timed window.
    during(seconds), if given, runs in place of the window's sleep (a
    profiler, see profile_loop.py) and must last about that long."""
    x0 = [xstats(tp, None if len(roles) > 1 else next(iter(roles)))
          for tp, roles in procs]
    d0 = [fwd_drops(tp) for tp, _ in procs]
    c0 = [(tp.port_counters(), time.monotonic()) for tp, _ in procs]
    if during is not None:
        during(seconds)
    else:
        time.sleep(seconds)
    c1 = [(tp.port_counters(), time.monotonic()) for tp, _ in procs]
    d1 = [fwd_drops(tp) for tp, _ in procs]
    x1 = [xstats(tp, None if len(roles) > 1 else next(iter(roles)))
          for tp, roles in procs]
    res = {}
    for i, (tp, roles) in enumerate(procs):
        dt = c1[i][1] - c0[i][1]
        r = testpmd.rate(c0[i][0], c1[i][0], dt)
        for port, role in roles.items():
            rx, tx = r.get(port, (0.0, 0.0))
            drops = (d1[i].get(port, 0) - d0[i].get(port, 0)) / dt
            a, b = x0[i].get(port, {}), x1[i].get(port, {})
            dx = {n: b[n] - a.get(n, 0) for n in b}
            res[role] = {"rx_pps": rx, "tx_pps": tx, "drops_pps": drops,
                         "xstats": dx}
    res["inflight"] = (in_flight([c[0] for c in c0]) +
                       in_flight([c[0] for c in c1])) / 2
    return res


def in_flight(counters):
    """Packets sent and not yet received back, summed over every port of
    every process: in the io loops, the circulating population (each
    packet a port transmits is later received by the other). Sampled
    port by port, so it is good to about a burst per port."""
    return sum(tx - rx for c in counters for rx, tx in c.values())


def notifications(win):
    """Kicks and calls in the window from the Tandem drivers' xstats.
    Kicks as the host received them (eventfd counts) when the host is
    Tandem's, else as Tandem's guest sent them; calls only from Tandem's
    host (a guest in poll mode never reads its call eventfds)."""
    host = win.get("host", {}).get("xstats", {})
    guest = win.get("guest", {}).get("xstats", {})

    def total(xs, pat):
        names = [n for n in xs if pat.match(n)]
        return sum(xs[n] for n in names) if names else None

    host_kicks, calls = total(host, KICKS), total(host, CALLS)
    guest_kicks = total(guest, KICKS)
    kicks = host_kicks if host_kicks is not None else guest_kicks
    packets = sum(x.get("rx_good_packets", 0) for x in (host, guest))
    per_mpkt = None
    if kicks is not None and calls is not None and packets:
        per_mpkt = (kicks + calls) * 1e6 / packets
    return {"packets": packets, "kicks": kicks, "calls": calls,
            "host_kicks": host_kicks, "guest_kicks": guest_kicks,
            "per_mpkt": per_mpkt}


def datapaths(text):
    """The RX/TX paths a guest driver logged at start."""
    seen = ["%s %s" % (d, p) for p, d in STOCK_PATH.findall(text)]
    seen += ["Rx tandem %s" % p for p in TANDEM_PATH.findall(text)]
    return sorted(set(seen))


# ------------------------------------------------------------------- runs

def run_loop1(p, size, seconds, tag, during=None):
    host_fmt, guest_fmt, dh, dg, extra = p
    tmp = tempfile.mkdtemp(prefix="tbench-")
    sock = os.path.join(tmp, "s.sock")
    tp = None
    try:
        tp = testpmd.Testpmd(
            ["-l", "0,1", "--main-lcore", "1",
             "--file-prefix=tb1-%s" % tag] + EAL + dh + dg + extra +
            ["--vdev", host_fmt.format(sock=sock)],
            app_args(size, "io"), name="loop1")
        out = tp.cmd("port attach %s" % guest_fmt.format(sock=sock),
                     timeout=60)
        if "is attached" not in out:
            raise testpmd.TestpmdError("port attach failed:\n" + out[-2000:])
        if size > MBUF_DATA:
            # the guest port only: stock net_vhost refuses the offload
            tp.cmd("port config 1 rx_offload scatter on")
        tp.cmd("port start all", timeout=60)
        time.sleep(0.5)
        tp.cmd("start tx_first 32")
        time.sleep(1.0)
        win = window([(tp, {0: "host", 1: "guest"})], seconds, during)
        tp.cmd("stop")
    finally:
        if tp:
            tp.close()
        cleanup(tmp, sock)
    win["paths"] = datapaths(tp.output.decode(errors="replace"))
    return win


def run_two(p, size, seconds, tag, host_fwd, guest_fwd):
    host_fmt, guest_fmt, dh, dg, extra = p
    tmp = tempfile.mkdtemp(prefix="tbench-")
    sock = os.path.join(tmp, "s.sock")
    host = guest = None
    try:
        host = testpmd.Testpmd(
            ["-l", "0,1", "--main-lcore", "1",
             "--file-prefix=tbh-%s" % tag] + EAL + dh + extra +
            ["--vdev", host_fmt.format(sock=sock)],
            app_args(size, host_fwd), name="host")
        guest = testpmd.Testpmd(
            ["-l", "0,1", "--main-lcore", "0",
             "--file-prefix=tbg-%s" % tag] + EAL + dg + extra +
            ["--vdev", guest_fmt.format(sock=sock)],
            app_args(size, guest_fwd, scatter=True), name="guest")
        time.sleep(0.5)
        if host_fwd == "io":
            host.cmd("start")
            guest.cmd("start tx_first 32")
        else:
            # the receiver first, so nothing is dropped before it polls
            (guest if guest_fwd == "rxonly" else host).cmd("start")
            (host if guest_fwd == "rxonly" else guest).cmd("start")
        time.sleep(1.0)
        win = window([(host, {0: "host"}), (guest, {0: "guest"})], seconds)
        guest.cmd("stop")
        host.cmd("stop")
    finally:
        for x in (guest, host):
            if x:
                x.close()
        cleanup(tmp, sock)
    win["paths"] = datapaths(guest.output.decode(errors="replace"))
    return win


def cleanup(tmp, sock):
    try:
        os.unlink(sock)
    except OSError:
        pass
    try:
        os.rmdir(tmp)
    except OSError:
        pass


def measure(mode, p, size, seconds, tag):
    """One run: a dict with mpps (the mode's rate), the other direction's
    rate, drops, notifications and datapaths."""
    tag = "%d-%s" % (os.getpid(), tag)
    if mode == "loop1":
        win, role, other = run_loop1(p, size, seconds, tag), "host", "guest"
    elif mode == "loop2":
        win = run_two(p, size, seconds, tag, "io", "io")
        role, other = "host", "guest"
    elif mode == "g2h":
        win = run_two(p, size, seconds, tag, "rxonly", "txonly")
        role, other = "host", None
    elif mode == "h2g":
        win = run_two(p, size, seconds, tag, "txonly", "rxonly")
        role, other = "guest", None
    else:
        raise ValueError(mode)
    # In the loops a dropped packet leaves the circulating population for
    # good, so drops say the loop is starving; a txonly sender always
    # offers more than the ring takes, so they mean nothing there.
    drops = (sum(win[r]["drops_pps"] for r in ("host", "guest")) / 1e6
             if other else None)
    return {"mpps": win[role]["rx_pps"] / 1e6,
            "other_mpps": win[other]["rx_pps"] / 1e6 if other else None,
            "drops_mpps": drops,
            "inflight": win["inflight"] if other else None,
            "notif": notifications(win), "paths": win["paths"]}


def run_plan(defs, cases, reps, seconds, log=print):
    """Run every case once per repetition, in the given order (A B C A B
    C ...). cases: [(mode, size, pair)]. Returns {case: [run or None]}."""
    results = {c: [] for c in cases}
    for rep in range(reps):
        for i, (mode, size, name) in enumerate(cases):
            tag = "%s-%d-%d-%d" % (mode, size, rep, i)
            t0 = time.monotonic()
            try:
                run = measure(mode, defs[name], size, seconds, tag)
            except (testpmd.TestpmdError, OSError) as e:
                # one broken run (a testpmd that died: a closed pipe) must
                # not cost the other cases of a long report
                log("  %s %s %dB rep %d: FAILED %s" % (
                    mode, name, size, rep, str(e)[:300]))
                run = None
            results[(mode, size, name)].append(run)
            n = run["notif"]["per_mpkt"] if run else None
            log("%-6s %5dB rep %d %-26s %s Mpps%s (%.0f s)" % (
                mode, size, rep, name,
                "%7.3f" % run["mpps"] if run else "    n/a",
                "  %.2f notif/Mpkt" % n if n is not None else "",
                time.monotonic() - t0))
    return results


# ---------------------------------------------------------------- summary

def _median(vals):
    vals = [v for v in vals if v is not None]
    return statistics.median(vals) if vals else None


def summarize(defs, results):
    """One row per case: medians, min-max, what the runs saw."""
    rows = []
    for (mode, size, name), runs in results.items():
        ok = [r for r in runs if r is not None]
        vals = [r["mpps"] if r else None for r in runs]
        good = [v for v in vals if v is not None]
        notif = {k: _median([r["notif"][k] for r in ok])
                 for k in ("packets", "kicks", "calls", "per_mpkt")}
        host_fmt, guest_fmt, _, _, extra = defs[name]
        rows.append({
            "mode": mode, "size": size, "pair": name,
            "host": host_fmt.format(sock="SOCK"),
            "guest": guest_fmt.format(sock="SOCK"), "eal": extra,
            "values": vals, "median": _median(good),
            "min": min(good) if good else None,
            "max": max(good) if good else None,
            "other_median": _median([r["other_mpps"] for r in ok]),
            "inflight": _median([r.get("inflight") for r in ok]),
            "drops_max": max([r["drops_mpps"] for r in ok
                              if r["drops_mpps"] is not None], default=None),
            "notif": notif, "notif_runs": [r["notif"] for r in ok],
            "paths": sorted({p for r in ok for p in r["paths"]}),
        })
    add_ratios(rows)
    return rows


def add_ratios(rows, bases=STOCK_REFS + ("tandem",)):
    """ratios[base] = median / median of `base` in the same mode and size."""
    med = {(r["mode"], r["size"], r["pair"]): r["median"] for r in rows}
    for r in rows:
        r["ratios"] = {}
        for b in bases:
            m = med.get((r["mode"], r["size"], b))
            if r["median"] is not None and m:
                r["ratios"][b] = r["median"] / m


def add_paired(rows, base):
    """paired = the per-repetition ratios to `base` (same mode and size):
    median, min, max, and repetitions where the pair was faster."""
    vals = {(r["mode"], r["size"]): r["values"] for r in rows
            if r["pair"] == base}
    for r in rows:
        b = vals.get((r["mode"], r["size"]))
        if b is None or r["pair"] == base:
            continue
        ratios = [x / y for x, y in zip(r["values"], b)
                  if x is not None and y]
        if not ratios:
            continue
        r["paired"] = {"base": base, "median": _median(ratios),
                       "min": min(ratios), "max": max(ratios),
                       "faster": sum(x > 1 for x in ratios),
                       "reps": len(ratios)}


def paired_table(rows, base):
    """Markdown: each pair against `base`, repetition by repetition."""
    lines = ["| mode | size | pair | median ratio to %s | min-max | "
             "faster in |" % base, "|---|---|---|---|---|---|"]
    for r in rows:
        p = r.get("paired")
        if p is None:
            continue
        lines.append("| %s | %d B | %s | %.3fx | %.2f-%.2f | %d of %d |" % (
            r["mode"], r["size"], r["pair"], p["median"], p["min"],
            p["max"], p["faster"], p["reps"]))
    return "\n".join(lines)


def fmt(x, spec="%.2f"):
    return spec % x if x is not None else "n/a"


def notes(r):
    out = []
    if r.get("inflight") is not None:
        out.append("%.0f in flight" % r["inflight"])
    if (r["other_median"] and r["median"] and
            abs(r["other_median"] / r["median"] - 1) > 0.05):
        out.append("other direction %.2f Mpps" % r["other_median"])
    if r["drops_max"] and r["median"] and r["drops_max"] > 0.001 * r["median"]:
        out.append("drops up to %.3f Mpps" % r["drops_max"])
    if any(v is None for v in r["values"]):
        out.append("%d of %d runs failed" % (
            sum(v is None for v in r["values"]), len(r["values"])))
    return "; ".join(out)


def table(rows, refs):
    """Markdown: one line per row, a ratio column per reference."""
    refs = [b for b in refs if any(b in r["ratios"] for r in rows)]
    lines = ["| mode | size | pair | median Mpps | min-max | %s"
             "kicks+calls /Mpkt | notes |" %
             "".join("vs %s | " % b for b in refs),
             "|---|---|---|---|---|%s---|---|" % ("---|" * len(refs))]
    for r in rows:
        lines.append("| %s | %d B | %s | %s | %s-%s | %s%s | %s |" % (
            r["mode"], r["size"], r["pair"], fmt(r["median"]),
            fmt(r["min"]), fmt(r["max"]),
            "".join("%s | " % fmt(r["ratios"].get(b), "%.2fx")
                    for b in refs),
            fmt(r["notif"]["per_mpkt"]), notes(r)))
    return "\n".join(lines)


def ablation_table(rows):
    """Markdown: each switch against full Tandem in the same mode/size."""
    lines = ["| mode | size | switched off | median Mpps | min-max | "
             "vs tandem |", "|---|---|---|---|---|---|"]
    groups = {(r["mode"], r["size"]) for r in rows if r["pair"] in ABLATION}
    for r in rows:
        if (r["mode"], r["size"]) not in groups or (
                r["pair"] != "tandem" and r["pair"] not in ABLATION):
            continue
        if r["pair"] in ABLATION:
            side, devargs = ABLATION[r["pair"]]
            what = "%s (%s)" % (devargs, side)
        else:
            what = "(nothing: full Tandem)"
        lines.append("| %s | %d B | %s | %s | %s-%s | %s |" % (
            r["mode"], r["size"], what, fmt(r["median"]), fmt(r["min"]),
            fmt(r["max"]), fmt(r["ratios"].get("tandem"), "%.2fx")))
    return "\n".join(lines)


def parse_pair_specs(defs, specs, error):
    """--pair NAME=BASE[,host:ARGS][,guest:ARGS][,build:DIR]: new entries
    in defs. build: takes the Tandem plugins of BASE from another build
    directory (an A/B of two commits in one interleaved run)."""
    for spec in specs:
        name, _, rest = spec.partition("=")
        parts = rest.split(",")
        if parts[0] not in defs:
            error("--pair %s: unknown base %s" % (spec, parts[0]))
        host_fmt, guest_fmt, dh, dg, extra = defs[parts[0]]
        for part in parts[1:]:
            side, _, devargs = part.partition(":")
            devargs = devargs.replace(";", ",")
            if side == "host":
                host_fmt += "," + devargs
            elif side == "guest":
                guest_fmt += "," + devargs
            elif side == "build":
                if dh:
                    dh = ["-d", testpmd.pmd_path(testpmd.VHOST_PMD, devargs)]
                if dg:
                    dg = ["-d", testpmd.pmd_path(testpmd.VIRTIO_PMD, devargs)]
            else:
                error("--pair %s: %s is not host:, guest: or build:" %
                      (spec, part))
        defs[name] = (host_fmt, guest_fmt, dh, dg, extra)


def plan(defs, modes, sizes, pairs, log=print):
    """The product modes x sizes x pairs, less what a pair cannot run."""
    cases = []
    for mode in modes:
        for size in sizes:
            for name in pairs:
                why = refusal(defs[name], size)
                if why:
                    log("skipped: %s %d B %s: %s" % (mode, size, name, why))
                else:
                    cases.append((mode, size, name))
    return cases


def main():
    ap = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--pairs", default="tandem,stock")
    ap.add_argument("--references", default=",".join(STOCK_REFS),
                    help="pairs the ratio columns are computed against "
                    "(those measured in this run)")
    ap.add_argument("--reference", action="append", default=[],
                    help="one more reference pair (kept for old scripts)")
    ap.add_argument("--ablation", action="store_true",
                    help="add tandem and every ablation pair (%s)" %
                    ", ".join(ABLATION))
    ap.add_argument("--modes", default="loop1,loop2,g2h,h2g")
    ap.add_argument("--sizes", default="64")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--build", default=testpmd.BUILD)
    ap.add_argument("--pair", action="append", default=[],
                    metavar="NAME=BASE[,host:ARGS][,guest:ARGS][,build:DIR]",
                    help="define a pair as a known one with extra devargs "
                    "for its host and/or guest vdev, e.g. "
                    "'scalar=tandem,guest:simd=scalar' (';' separates "
                    "several devargs: guest:simd=scalar;bulk=0); "
                    "build:DIR runs BASE's Tandem plugins from another "
                    "build, e.g. 'old=tandem,build:/path/to/old-build'")
    ap.add_argument("--paired", metavar="BASE",
                    help="add each pair's per-repetition ratios to BASE "
                    "(one of --pairs): median, range, repetitions faster")
    ap.add_argument("--json")
    ap.add_argument("--markdown")
    args = ap.parse_args()

    defs = pair_defs(args.build)
    parse_pair_specs(defs, args.pair, ap.error)
    pairs = args.pairs.split(",")
    if args.ablation:
        pairs += [p for p in ["tandem"] + list(ABLATION) if p not in pairs]
    for name in pairs:
        if name not in defs:
            ap.error("unknown pair %s (known: %s)" % (name, ", ".join(defs)))
    for m in args.modes.split(","):
        if m not in MODES:
            ap.error("unknown mode %s (known: %s)" % (m, ", ".join(MODES)))
    if args.paired and args.paired not in pairs:
        ap.error("--paired %s: not one of --pairs" % args.paired)
    refs = args.references.split(",") + args.reference
    cases = plan(defs, args.modes.split(","),
                 [int(s) for s in args.sizes.split(",")], pairs)
    results = run_plan(defs, cases, args.reps, args.seconds)
    rows = summarize(defs, results)
    add_ratios(rows, refs + ["tandem"])
    text = table(rows, refs)
    if args.ablation:
        text += "\n\nAblation (one devarg each; ratio to full Tandem):\n\n"
        text += ablation_table(rows)
    if args.paired:
        add_paired(rows, args.paired)
        text += "\n\nRepetition by repetition against %s:\n\n" % (
            args.paired)
        text += paired_table(rows, args.paired)
    print(text)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"reps": args.reps, "seconds": args.seconds,
                       "rows": rows}, fh, indent=1)
    if args.markdown:
        with open(args.markdown, "w") as fh:
            fh.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
