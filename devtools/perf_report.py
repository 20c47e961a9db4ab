#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 Tandem developers
"""Regenerate the performance report in doc/ with one command.

Runs issue 3's whole benchmark matrix with devtools/bench.py (every case
once per repetition, interleaved across all cases), then writes:

  OUT/report.json         every run's raw values, the summary rows, and
                          how the run was made (commit, load, command)
  OUT/*.md                tables: loop1, two-process, ablation,
                          notifications, datapaths, targets, run
  OUT/loop1.png           grouped bars (median, min-max error bars)
  OUT/two-process.png, OUT/ablation.png
  doc/performance.md      the blocks between "<!-- BEGIN perf_report:X -->"
                          and "<!-- END perf_report:X -->" replaced by X.md

  devtools/perf_report.py                  full run (about 25 minutes;
                                           the estimate is printed first)
  devtools/perf_report.py --dry-run        the plan and the estimate only
  devtools/perf_report.py --quick          a few cases, 1 rep of 1 s, to
                                           check the machinery (about 2
                                           minutes; writes to /tmp, not doc/)
  devtools/perf_report.py --from-json doc/perf/report.json
                                           re-render tables, plots and
                                           doc/performance.md, no run

Nothing else should run on the machine during a full run: two polling
lcores need both cores. The VM is noisy anyway: compare within a run.
"""

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402
import testpmd  # noqa: E402

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOC = os.path.join(TOP, "doc", "performance.md")
PLOT = os.path.join(TOP, "devtools", "plot_perf.py")

REFS = ["stock", "stock-vec", "stock-packed", "stock-packed-vec"]
TANDEM = ["tandem", "tandem-avx512"]
CROSS = ["tandem-guest+stock-host", "tandem-guest-packed+stock-host",
         "stock-guest+tandem-host"]
# Packed rings on both sides of Tandem's host (session 13): all-Tandem and
# stock's guest, both with packed_vq=1.
PACKED = ["tandem-packed", "stock-guest-packed+tandem-host"]

# The guest's ring size (virtio-user queue_size, both drivers' default 256)
# against the same pairs at 256: the primed packets that fit the rings
# circulate, so the ring size sets the memory the one-core loop touches.
RING_SIZES = (128, 512)
RING_BASES = ("stock", "tandem-guest+stock-host", "tandem")
RING = ["%s:queue_size=%d" % (b, q) for b in RING_BASES for q in RING_SIZES]

# (mode, size, pairs): the matrix of issue 3's Benchmark section. Pairs
# that cannot run a size (mrg_rxbuf=0 at 9000 B) are dropped by bench.plan.
FULL = [
    ("loop1", 64, TANDEM + REFS + CROSS + PACKED + list(bench.ABLATION) +
     RING),
    ("loop1", 1518, TANDEM + REFS + CROSS + PACKED + ["tandem:copy=sse"]),
    ("loop1", 9000, ["tandem"] + REFS + CROSS + PACKED),
    # the ablation here too: what the fixed avail layout, the header
    # push and event index save is traffic between two cores
    ("loop2", 64, TANDEM + REFS + ["tandem-packed"] +
     list(bench.ABLATION)),
    ("loop2", 9000, ["tandem", "tandem-packed"] + REFS),
    ("g2h", 64, ["tandem"] + REFS),
    ("h2g", 64, ["tandem"] + REFS),
]
# One case of every kind of run the full matrix makes.
QUICK = [
    ("loop1", 64, ["tandem", "tandem-avx512", "stock", "stock-packed-vec",
                   "stock-guest+tandem-host", "tandem:simd=scalar"]),
    ("loop1", 9000, ["tandem", "stock"]),
    ("loop2", 64, ["tandem", "stock"]),
    ("g2h", 64, ["tandem", "stock"]),
    ("h2g", 64, ["tandem", "stock"]),
]
# Seconds a run costs beyond its measuring window (start, attach, warm-up,
# the samples, teardown), measured on this VM under load.
OVERHEAD = {"loop1": 4.0, "loop2": 7.0, "g2h": 7.0, "h2g": 7.0}

# (what the issue asks, mode, size, pair, reference, minimum ratio)
TARGETS = [
    ("One-core loop 64 B >= 2.0x stock split default", "loop1", 64,
     ["tandem", "tandem-avx512"], "stock", 2.0),
    ("One-core loop 64 B >= 1.5x stock packed vectorized", "loop1", 64,
     ["tandem", "tandem-avx512"], "stock-packed-vec", 1.5),
    ("Two-core loop 64 B >= 1.5x stock packed vectorized", "loop2", 64,
     ["tandem", "tandem-avx512"], "stock-packed-vec", 1.5),
    ("One-core loop 1518 B >= 1.3x stock packed", "loop1", 1518,
     ["tandem", "tandem-avx512"], "stock-packed", 1.3),
    ("Cross pair (Tandem guest) >= 1.3x all-stock, one-core loop 64 B",
     "loop1", 64, ["tandem-guest+stock-host"], "stock", 1.3),
    # the same with packed_vq=1 on both guests: the stock host unchanged
    ("Cross pair (Tandem guest, packed_vq=1) >= 1.3x all-stock "
     "packed_vq=1, one-core loop 64 B", "loop1", 64,
     ["tandem-guest-packed+stock-host"], "stock-packed", 1.3),
    ("Cross pair (Tandem host) >= 1.3x all-stock, one-core loop 64 B",
     "loop1", 64, ["stock-guest+tandem-host"], "stock", 1.3),
    # and with packed_vq=1 on stock's guest: Tandem's host on packed rings
    ("Cross pair (Tandem host, packed_vq=1) >= 1.3x all-stock "
     "packed_vq=1, one-core loop 64 B", "loop1", 64,
     ["stock-guest-packed+tandem-host"], "stock-packed", 1.3),
]


def cases_of(matrix, defs, log):
    cases = []
    for mode, size, pairs in matrix:
        cases += bench.plan(defs, [mode], [size], pairs, log)
    return cases


def estimate(cases, reps, seconds):
    return reps * sum(seconds + 1.5 + OVERHEAD[m] for m, _, _ in cases)


def sh(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True,
                              timeout=10, cwd=TOP).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def cpu_model():
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def loadavg():
    try:
        return os.getloadavg()[0]
    except OSError:
        return None


# ----------------------------------------------------------------- tables

def f(x, spec="%.2f"):
    return bench.fmt(x, spec)


def rows_of(rows, modes, pairs=None):
    return [r for r in rows if r["mode"] in modes and
            (pairs is None or r["pair"] in pairs)]


def notif_table(rows):
    lines = ["| mode | size | pair | packets in window | kicks | calls | "
             "kicks /Mpkt | calls /Mpkt | kicks+calls /Mpkt |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        n = r["notif"]
        if n["kicks"] is None and n["calls"] is None:
            continue
        pk = n["packets"] or 0

        def per(x):
            return f(x * 1e6 / pk if x is not None and pk else None)
        lines.append("| %s | %d B | %s | %s | %s | %s | %s | %s | %s |" % (
            r["mode"], r["size"], r["pair"], f(n["packets"], "%.0f"),
            f(n["kicks"], "%.0f"), f(n["calls"], "%.0f"), per(n["kicks"]),
            per(n["calls"]), f(n["per_mpkt"])))
    return "\n".join(lines)


def paths_table(rows):
    seen = {}
    for r in rows:
        p = seen.setdefault(r["pair"], {"paths": set(), "row": r})
        p["paths"].update(r["paths"])
    lines = ["| pair | host vdev | guest vdev | extra EAL | guest datapath "
             "logged |", "|---|---|---|---|---|"]
    for name, p in seen.items():
        r = p["row"]
        lines.append("| %s | `%s` | `%s` | %s | %s |" % (
            name, r["host"], r["guest"],
            " ".join("`%s`" % a for a in r["eal"]) or "-",
            ", ".join(sorted(p["paths"])) or "(none logged)"))
    return "\n".join(lines)


def targets_table(rows):
    by = {(r["mode"], r["size"], r["pair"]): r for r in rows}
    lines = ["| target | pair | measured (median ratio) | status |",
             "|---|---|---|---|"]
    for what, mode, size, pairs, ref, goal in TARGETS:
        for pair in pairs:
            r = by.get((mode, size, pair))
            ratio = r["ratios"].get(ref) if r else None
            if ratio is None:
                status = "not measured"
            elif ratio >= goal:
                status = "met"
            else:
                status = "missed by %.0f%%" % ((1 - ratio / goal) * 100)
            lines.append("| %s | %s | %s | %s |" % (
                what, pair, f(ratio, "%.2fx"), status))
    worst = None
    for r in rows:
        if r["pair"] not in TANDEM + ["tandem-packed"]:
            continue
        for n in r.get("notif_runs", []):
            if n["per_mpkt"] is not None and (
                    worst is None or n["per_mpkt"] > worst[0]):
                worst = (n["per_mpkt"], r["mode"], r["size"])
    if worst is None:
        lines.append("| Poll mode < 1 kick+call per Mpkt | tandem | "
                     "n/a | not measured |")
    else:
        lines.append("| Poll mode < 1 kick+call per Mpkt | tandem | "
                     "worst run %.2f /Mpkt (%s %d B) | %s |" % (
                         worst[0], worst[1], worst[2],
                         "met" if worst[0] < 1 else "missed"))
    return "\n".join(lines)


def run_table(meta):
    m = meta
    return "\n".join([
        "Generated by `%s`." % m["command"],
        "",
        "| | |", "|---|---|",
        "| date | %s |" % m["date"],
        "| commit | %s%s |" % (m["commit"][:12] or "?",
                               " (uncommitted changes)" if m["dirty"]
                               else ""),
        "| DPDK | %s |" % m["dpdk"],
        "| CPU | %s, %s cores |" % (m["cpu"], m["cores"]),
        "| repetitions x window | %d x %g s, interleaved over all %d cases |"
        % (m["reps"], m["seconds"], m["cases"]),
        "| wall time | %.0f s |" % m["wall_s"],
        "| load average (1 min) before / after | %s / %s |" % (
            f(m["load_before"]), f(m["load_after"])),
    ])


def render(data, out, doc):
    rows = data["rows"]
    bench.add_ratios(rows, bench.STOCK_REFS + ("stock-vec", "tandem"))
    refs = list(bench.STOCK_REFS)
    abl = set(bench.ABLATION)
    parts = {
        "run": run_table(data["meta"]),
        "targets": targets_table(rows),
        "loop1": bench.table([r for r in rows_of(rows, ["loop1"])
                              if r["pair"] not in abl and
                              r["pair"] not in RING], refs),
        "two-process": bench.table(rows_of(rows, ["loop2", "g2h", "h2g"]),
                                   refs),
        "ablation": bench.ablation_table(rows),
        "ring": ring_table(rows),
        "notifications": notif_table(rows),
        "datapaths": paths_table(rows),
    }
    os.makedirs(out, exist_ok=True)
    for name, text in parts.items():
        with open(os.path.join(out, name + ".md"), "w") as fh:
            fh.write(text + "\n")
    print("\n\n".join("## %s\n\n%s" % kv for kv in parts.items()))
    rc = plot(os.path.join(out, "report.json"), out)
    if doc:
        update_doc(doc, parts)
    return rc


def ring_table(rows):
    """One-core loop 64 B at each guest ring size: Mpps (packets in
    flight), and each pair's ratio to the all-stock pair at the same
    size."""
    at = {}
    for r in rows:
        if r["mode"] != "loop1" or r["size"] != 64:
            continue
        name, _, q = r["pair"].partition(":queue_size=")
        if name in RING_BASES:
            at[(name, int(q) if q else 256)] = r
    sizes = sorted(set(RING_SIZES) | {256})
    lines = ["| pair | %s |" % " | ".join("queue_size %d" % q
                                          for q in sizes),
             "|---|%s" % ("---|" * len(sizes))]
    for name in RING_BASES:
        cells = []
        for q in sizes:
            r, ref = at.get((name, q)), at.get(("stock", q))
            if r is None or r["median"] is None:
                cells.append("n/a")
                continue
            cell = "%.2f" % r["median"]
            if r.get("inflight") is not None:
                cell += " (%.0f in flight)" % r["inflight"]
            if name != "stock" and ref and ref["median"]:
                cell += ", %.2fx" % (r["median"] / ref["median"])
            cells.append(cell)
        lines.append("| %s | %s |" % (name, " | ".join(cells)))
    return "\n".join(lines)


def plot(json_path, out):
    """plot_perf.py under a Python that has matplotlib (Debian's
    python3-matplotlib serves /usr/bin/python3, which may not be the
    python3 first in PATH)."""
    for py in (sys.executable, "/usr/bin/python3"):
        if py and subprocess.run([py, "-c", "import matplotlib"],
                                 capture_output=True).returncode == 0:
            return subprocess.run([py, PLOT, json_path, out]).returncode
    print("perf_report: no matplotlib (apt-get install python3-matplotlib): "
          "tables written, plots NOT written", file=sys.stderr)
    return 1


def update_doc(doc, parts):
    """Replace each generated block of doc by its table; a block the doc
    does not have is reported, never appended."""
    with open(doc) as fh:
        text = fh.read()
    for name, body in parts.items():
        begin = "<!-- BEGIN perf_report:%s -->" % name
        end = "<!-- END perf_report:%s -->" % name
        i, j = text.find(begin), text.find(end)
        if i < 0 or j < i:
            print("perf_report: %s has no %s block" % (doc, name),
                  file=sys.stderr)
            continue
        text = text[:i + len(begin)] + "\n" + body + "\n" + text[j:]
    with open(doc, "w") as fh:
        fh.write(text)
    print("perf_report: updated %s" % doc)


# ------------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--quick", action="store_true",
                    help="a few cases, 1 rep of 1 s (checks the machinery)")
    ap.add_argument("--from-json", metavar="FILE",
                    help="re-render from a report.json, run nothing")
    ap.add_argument("--dry-run", action="store_true",
                    help="print the plan and the estimate, run nothing")
    ap.add_argument("--reps", type=int)
    ap.add_argument("--seconds", type=float)
    ap.add_argument("--build", default=testpmd.BUILD)
    ap.add_argument("--out", help="output directory (default doc/perf, or "
                    "/tmp/tandem-perf-quick with --quick)")
    ap.add_argument("--doc", help="markdown file whose perf_report blocks "
                    "are replaced (default doc/performance.md, none with "
                    "--quick)")
    ap.add_argument("--no-doc", action="store_true",
                    help="leave doc/performance.md alone")
    args = ap.parse_args()

    if args.from_json:
        with open(args.from_json) as fh:
            data = json.load(fh)
        if "meta" not in data:
            ap.error("%s was not written by perf_report.py (no meta); "
                     "bench.py --json files are not reports" %
                     args.from_json)
        out = args.out or os.path.dirname(os.path.abspath(args.from_json))
        if os.path.abspath(os.path.join(out, "report.json")) != \
                os.path.abspath(args.from_json):
            os.makedirs(out, exist_ok=True)
            shutil.copy(args.from_json, os.path.join(out, "report.json"))
        doc = None if args.no_doc else (args.doc or DOC)
        return render(data, out, doc)

    quick = args.quick
    reps = args.reps or (1 if quick else 3)
    seconds = args.seconds or (1.0 if quick else 3.0)
    out = args.out or ("/tmp/tandem-perf-quick" if quick
                       else os.path.join(TOP, "doc", "perf"))
    doc = None if args.no_doc or (quick and not args.doc) else \
        (args.doc or DOC)
    for rel in (testpmd.VHOST_PMD, testpmd.VIRTIO_PMD):
        if not os.path.exists(testpmd.pmd_path(rel, args.build)):
            ap.error("%s not built (--build %s)" % (rel, args.build))

    defs = bench.pair_defs(args.build)
    for name in RING:
        base, _, q = name.partition(":queue_size=")
        host_fmt, guest_fmt, dh, dg, extra = defs[base]
        defs[name] = (host_fmt, guest_fmt + ",queue_size=" + q, dh, dg,
                      extra)
    cases = cases_of(QUICK if quick else FULL, defs, print)
    est = estimate(cases, reps, seconds)
    print("perf_report: %d cases x %d reps x %g s: about %.0f min "
          "(estimate; this VM varies); output %s%s" % (
              len(cases), reps, seconds, est / 60, out,
              ", updates " + doc if doc else ""), flush=True)
    if args.dry_run:
        for c in cases:
            print("  %-6s %5d B  %s" % c)
        return 0

    meta = {"command": " ".join(["devtools/perf_report.py"] + sys.argv[1:]),
            "date": time.strftime("%Y-%m-%d %H:%M:%S %z"),
            "commit": sh(["git", "rev-parse", "HEAD"]),
            "dirty": bool(sh(["git", "status", "--porcelain",
                              "--untracked-files=no"])),
            "dpdk": sh(["pkg-config", "--modversion", "libdpdk"]),
            "cpu": cpu_model(), "cores": os.cpu_count(),
            "reps": reps, "seconds": seconds, "cases": len(cases),
            "estimate_s": est, "load_before": loadavg()}
    t0 = time.monotonic()
    results = bench.run_plan(defs, cases, reps, seconds)
    meta["wall_s"] = time.monotonic() - t0
    meta["load_after"] = loadavg()
    rows = bench.summarize(defs, results)
    data = {"meta": meta, "reps": reps, "seconds": seconds, "rows": rows}
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "report.json"), "w") as fh:
        json.dump(data, fh, indent=1)
    print("perf_report: %.0f s (estimated %.0f s)" % (meta["wall_s"], est))
    return render(data, out, doc)


if __name__ == "__main__":
    sys.exit(main())
