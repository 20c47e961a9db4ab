#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 Tandem developers
"""Where the one-core loop's round trip goes, side by side per pair.

Runs bench.py's one-core loop (loop1) for each pair and, during its
measurement window, `perf record -e cpu-clock` on the forwarding lcore
(CPU 0: loop1 runs EAL with -l 0,1 and lcore 1 as main). Each shared
object's share of the samples, times the round trip at the rate measured
in that same window, is the time it takes per packet:

  host   librte_vhost, librte_net_vhost, librte_net_tandem_vhost
  guest  librte_net_virtio, librte_net_tandem_virtio
  rest   everything else (testpmd, the dynamic linker's TLS lookups, ...)

cpu-clock is a timer, not a hardware counter (this VM exposes none), so
stalls are charged to whatever code runs when they bite: compare pairs
within one run. Pairs are interleaved repetition by repetition, as in
bench.py, and the table gives medians.

--against PAIR=REF (repeatable; both are profiled) compares a pair with a
reference that has the same host, e.g.
tandem-guest+stock-host=stock: the ratio, the ceiling a guest could reach
(one that cost nothing: REF's round trip / (PAIR's host + rest)) and the
guest time --target (default 1.3x) needs.

Needs `perf` (Debian package linux-perf) and root or
kernel.perf_event_paranoid <= 0 for -C.
"""

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402
import testpmd  # noqa: E402

FWD_CPU = "0"
HOST_DSO = re.compile(r"^librte_(vhost|net_vhost|net_tandem_vhost)\.so")
GUEST_DSO = re.compile(r"^librte_(net_virtio|net_tandem_virtio)\.so")
DSO_LINE = re.compile(r"^\s*([0-9.]+)%\s+(\S+)\s*$")


def shares(perf_data):
    """{'host': %, 'guest': %, 'rest': %} of the samples in perf_data."""
    out = subprocess.run(
        ["perf", "report", "-i", perf_data, "--sort", "dso", "--stdio"],
        capture_output=True, text=True, check=True).stdout
    res = {"host": 0.0, "guest": 0.0, "rest": 0.0}
    seen = False
    for line in out.splitlines():
        m = DSO_LINE.match(line)
        if not m:
            continue
        seen = True
        pct, dso = float(m.group(1)), os.path.basename(m.group(2))
        if HOST_DSO.match(dso):
            res["host"] += pct
        elif GUEST_DSO.match(dso):
            res["guest"] += pct
        else:
            res["rest"] += pct
    if not seen:
        raise RuntimeError("perf report printed no samples for %s:\n%s" %
                           (perf_data, out[-2000:]))
    return res


def profile_once(pdef, size, seconds, tag, workdir):
    data = os.path.join(workdir, "%s.data" % tag)

    def during(secs):
        subprocess.run(["perf", "record", "-q", "-e", "cpu-clock", "-C",
                        FWD_CPU, "-o", data, "--", "sleep", "%g" % secs],
                       check=True, stdout=subprocess.DEVNULL)

    win = bench.run_loop1(pdef, size, seconds, tag, during)
    rate = win["guest"]["rx_pps"]
    if rate <= 0:
        raise RuntimeError("%s: no traffic in the window" % tag)
    sh = shares(data)
    os.unlink(data)
    trip = 1e9 / rate
    return {"mpps": rate / 1e6, "trip": trip,
            **{k: trip * v / 100.0 for k, v in sh.items()}}


def main():
    ap = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        epilog="Example: devtools/profile_loop.py --pairs '' --against "
               "tandem-guest+stock-host=stock",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=testpmd.BUILD)
    ap.add_argument("--pairs", default="",
                    help="pairs to profile besides those of --against")
    ap.add_argument("--pair", action="append", default=[],
                    metavar="NAME=BASE[,host:ARGS][,guest:ARGS][,build:DIR]",
                    help="as bench.py's --pair")
    ap.add_argument("--against", action="append", default=[],
                    metavar="PAIR=REF",
                    help="compare PAIR with REF, which has the same host "
                         "(repeatable)")
    ap.add_argument("--target", type=float, default=1.3)
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=5.0)
    a = ap.parse_args()

    if shutil.which("perf") is None:
        ap.error("perf not found (apt-get install linux-perf)")
    if a.reps < 1 or a.seconds <= 0 or a.target <= 0:
        ap.error("--reps >= 1, --seconds > 0 and --target > 0")
    defs = bench.pair_defs(a.build)
    bench.parse_pair_specs(defs, a.pair, ap.error)
    pairs = [p for p in a.pairs.split(",") if p]
    against = []
    for spec in a.against:
        p, _, ref = spec.partition("=")
        if not ref:
            ap.error("--against %s: PAIR=REF" % spec)
        against.append((p, ref))
        pairs += [x for x in (p, ref) if x not in pairs]
    for p in pairs:
        if p not in defs:
            ap.error("unknown pair %s (known: %s)" %
                     (p, ", ".join(sorted(defs))))
    for p, ref in against:
        if defs[p][0] != defs[ref][0]:
            ap.error("--against %s=%s: the hosts differ (%s, %s)" %
                     (p, ref, defs[p][0], defs[ref][0]))

    work = tempfile.mkdtemp(prefix="tprofile-")
    runs = {p: [] for p in pairs}
    try:
        for rep in range(a.reps):
            for i, p in enumerate(pairs):
                tag = "p%d-%d" % (rep, i)
                r = profile_once(defs[p], a.size, a.seconds, tag, work)
                runs[p].append(r)
                print("rep %d %-34s %6.2f Mpps  host %5.1f  guest %5.1f  "
                      "rest %4.1f ns" % (rep + 1, p, r["mpps"], r["host"],
                                         r["guest"], r["rest"]),
                      file=sys.stderr, flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    med = {p: {k: statistics.median(r[k] for r in runs[p])
               for k in ("mpps", "trip", "host", "guest", "rest")}
           for p in pairs}
    print("one-core loop, %d B, %d x %g s, medians (ns per round trip)\n" %
          (a.size, a.reps, a.seconds))
    print("| pair | Mpps | round trip | host | guest | rest |")
    print("|---|---|---|---|---|---|")
    for p in pairs:
        m = med[p]
        print("| %s | %.2f | %.1f | %.1f | %.1f | %.1f |" %
              (p, m["mpps"], m["trip"], m["host"], m["guest"], m["rest"]))
    if against:
        print("\n| pair | against | ratio | ceiling (guest costing 0) | "
              "guest for %.2fx | guest now |" % a.target)
        print("|---|---|---|---|---|---|")
    for p, ref in against:
        m, rt = med[p], med[ref]["trip"]
        print("| %s | %s | %.2fx | %.2fx | %.1f ns | %.1f ns |" %
              (p, ref, rt / m["trip"], rt / (m["host"] + m["rest"]),
               rt / a.target - m["host"] - m["rest"], m["guest"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
