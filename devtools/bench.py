#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 Tandem developers
"""Benchmark Tandem's pair against DPDK's stock pair, side by side.

Every configuration is measured in the same invocation, interleaved
(A B A B ...), several repetitions; the report gives medians, min-max and
the ratio to the stock reference. This VM is noisy (throughput is bimodal
from run to run): never trust a single repetition.

Modes (packet size set with --sizes):
  loop1   one testpmd holding both drivers, one forwarding lcore polling
          both ports in io mode, 32 bursts primed; the guest vdev is
          attached at run time (port attach). Rate = packets the host port
          receives per second (each one made the whole round trip).
  loop2   two testpmd processes (host on core 0, guest on core 1), io
          forwarding on both sides, 32 bursts primed. Rate = host RX pps.
  g2h     guest txonly -> host rxonly (two processes). Rate = host RX pps.
  h2g     host txonly -> guest rxonly (two processes). Rate = guest RX pps.

  devtools/bench.py --pairs tandem,stock --modes loop1,loop2,g2h,h2g
      --sizes 64 --reps 3 --seconds 5 --json out.json --markdown out.md

Extra devargs (ablation): --pair 'scalar=tandem,guest:simd=scalar' then
--pairs tandem,scalar,stock.
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import testpmd  # noqa: E402

EAL = ["--no-huge", "-m", "1024", "--no-pci", "--log-level=*:notice"]


def pair_defs(build):
    """name -> (host vdev fmt, guest vdev fmt, host -d, guest -d, extra)."""
    vh = ["-d", testpmd.pmd_path(testpmd.VHOST_PMD, build)]
    vg = ["-d", testpmd.pmd_path(testpmd.VIRTIO_PMD, build)]
    return {
        "tandem": ("net_tandem_vhost0,iface={sock}",
                   "net_tandem_virtio0,path={sock}", vh, vg, []),
        "stock": ("net_vhost0,iface={sock}",
                  "net_virtio_user0,path={sock}", [], [], []),
        "stock-vec": ("net_vhost0,iface={sock}",
                      "net_virtio_user0,path={sock},vectorized=1,"
                      "mrg_rxbuf=0,in_order=0", [], [], []),
        "tandem-guest+stock-host": ("net_vhost0,iface={sock}",
                                    "net_tandem_virtio0,path={sock}",
                                    [], vg, []),
        "stock-guest+tandem-host": ("net_tandem_vhost0,iface={sock}",
                                    "net_virtio_user0,path={sock}",
                                    vh, [], []),
    }


def app_args(size, fwd):
    a = ["--nb-cores=1", "--forward-mode=%s" % fwd, "--txpkts=%d" % size]
    if size > 1518:
        a += ["--max-pkt-len=%d" % (size + 64), "--mbuf-size=%d" %
              (size + 256)]
    return a


def run_loop1(p, size, seconds, tag):
    host_fmt, guest_fmt, dh, dg, extra = p
    tag = "%d-%s" % (os.getpid(), tag)
    tmp = tempfile.mkdtemp(prefix="tbench-")
    sock = os.path.join(tmp, "s.sock")
    tp = None
    try:
        tp = testpmd.Testpmd(
            ["-l", "0,1", "--main-lcore", "1",
             "--file-prefix=tb1-%s" % tag] + EAL + dh + dg + extra +
            ["--vdev", host_fmt.format(sock=sock)],
            app_args(size, "io"), name="loop1")
        tp.cmd("port attach %s" % guest_fmt.format(sock=sock), timeout=60)
        tp.cmd("port start all", timeout=60)
        time.sleep(0.5)
        tp.cmd("start tx_first 32")
        time.sleep(1.0)
        c0, t0 = tp.port_counters(), time.monotonic()
        time.sleep(seconds)
        c1, t1 = tp.port_counters(), time.monotonic()
        r = testpmd.rate(c0, c1, t1 - t0)
        tp.cmd("stop")
        return r[0][0]
    finally:
        if tp:
            tp.close()
        cleanup(tmp, sock)


def run_two(p, size, seconds, tag, host_fwd, guest_fwd, measure):
    host_fmt, guest_fmt, dh, dg, extra = p
    tag = "%d-%s" % (os.getpid(), tag)
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
            app_args(size, guest_fwd), name="guest")
        time.sleep(0.5)
        if host_fwd == "io":
            host.cmd("start")
            guest.cmd("start tx_first 32")
        else:
            # the receiver first, so nothing is dropped before it polls
            (guest if guest_fwd == "rxonly" else host).cmd("start")
            (host if guest_fwd == "rxonly" else guest).cmd("start")
        time.sleep(1.0)
        side = host if measure == "host" else guest
        c0, t0 = side.port_counters(), time.monotonic()
        time.sleep(seconds)
        c1, t1 = side.port_counters(), time.monotonic()
        r = testpmd.rate(c0, c1, t1 - t0)
        guest.cmd("stop")
        host.cmd("stop")
        return r[0][0]
    finally:
        for x in (guest, host):
            if x:
                x.close()
        cleanup(tmp, sock)


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
    if mode == "loop1":
        return run_loop1(p, size, seconds, tag)
    if mode == "loop2":
        return run_two(p, size, seconds, tag, "io", "io", "host")
    if mode == "g2h":
        return run_two(p, size, seconds, tag, "rxonly", "txonly", "host")
    if mode == "h2g":
        return run_two(p, size, seconds, tag, "txonly", "rxonly", "guest")
    raise ValueError(mode)


def main():
    ap = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--pairs", default="tandem,stock")
    ap.add_argument("--reference", default="stock",
                    help="pair the ratios are computed against")
    ap.add_argument("--modes", default="loop1,loop2,g2h,h2g")
    ap.add_argument("--sizes", default="64")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--build", default=testpmd.BUILD)
    ap.add_argument("--pair", action="append", default=[],
                    metavar="NAME=BASE[,host:ARGS][,guest:ARGS]",
                    help="define a pair as a known one with extra devargs "
                    "for its host and/or guest vdev, e.g. "
                    "'scalar=tandem,guest:simd=scalar' (';' separates "
                    "several devargs: guest:simd=scalar;bulk=0)")
    ap.add_argument("--json")
    ap.add_argument("--markdown")
    args = ap.parse_args()

    defs = pair_defs(args.build)
    for spec in args.pair:
        name, _, rest = spec.partition("=")
        parts = rest.split(",")
        if parts[0] not in defs:
            ap.error("--pair %s: unknown base %s" % (spec, parts[0]))
        host_fmt, guest_fmt, dh, dg, extra = defs[parts[0]]
        for part in parts[1:]:
            side, _, devargs = part.partition(":")
            devargs = devargs.replace(";", ",")
            if side == "host":
                host_fmt += "," + devargs
            elif side == "guest":
                guest_fmt += "," + devargs
            else:
                ap.error("--pair %s: %s is not host: or guest:" % (spec,
                                                                   part))
        defs[name] = (host_fmt, guest_fmt, dh, dg, extra)
    pairs = args.pairs.split(",")
    for name in pairs:
        if name not in defs:
            ap.error("unknown pair %s (known: %s)" % (name, ", ".join(defs)))
    results = {}  # (mode, size, pair) -> [Mpps]
    for mode in args.modes.split(","):
        for size in [int(s) for s in args.sizes.split(",")]:
            for rep in range(args.reps):
                for name in pairs:  # interleaved: A B A B ...
                    tag = "%s-%d-%d" % (mode, size, rep)
                    try:
                        v = measure(mode, defs[name], size, args.seconds,
                                    tag) / 1e6
                    except testpmd.TestpmdError as e:
                        print("  %s %s %dB rep %d: FAILED %s" % (
                            mode, name, size, rep, str(e)[:300]))
                        v = None
                    results.setdefault((mode, size, name), []).append(v)
                    print("%-6s %5dB rep %d %-26s %s Mpps" % (
                        mode, size, rep, name,
                        "%.3f" % v if v is not None else "n/a"),
                        flush=True)
    rows = []
    for (mode, size, name), vals in results.items():
        ok = [v for v in vals if v is not None]
        med = statistics.median(ok) if ok else None
        ref = results.get((mode, size, args.reference), [])
        ref_ok = [v for v in ref if v is not None]
        ratio = (med / statistics.median(ref_ok)
                 if med is not None and ref_ok else None)
        rows.append({"mode": mode, "size": size, "pair": name,
                     "values": vals, "median": med,
                     "min": min(ok) if ok else None,
                     "max": max(ok) if ok else None, "ratio": ratio})
    lines = ["| mode | size | pair | median Mpps | min-max | vs %s |"
             % args.reference, "|---|---|---|---|---|---|"]
    for r in rows:
        f = (lambda x: "%.2f" % x if x is not None else "n/a")
        lines.append("| %s | %d B | %s | %s | %s-%s | %s |" % (
            r["mode"], r["size"], r["pair"], f(r["median"]), f(r["min"]),
            f(r["max"]), ("%.2fx" % r["ratio"]) if r["ratio"] else "n/a"))
    table = "\n".join(lines)
    print(table)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"reps": args.reps, "seconds": args.seconds,
                       "rows": rows}, fh, indent=1)
    if args.markdown:
        with open(args.markdown, "w") as fh:
            fh.write(table + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
