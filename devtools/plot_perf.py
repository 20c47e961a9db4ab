#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 Tandem developers
"""Plot a perf_report.py report.json: grouped bars, one panel per
(mode, size), one bar per pair: the median, with min-max error bars.

  devtools/plot_perf.py doc/perf/report.json doc/perf

writes loop1.png, two-process.png and ablation.png (a figure whose cases
were not measured is not written). Needs matplotlib (Debian:
python3-matplotlib, for /usr/bin/python3).
"""

import json
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

# Tandem in blues, stock in greys, cross pairs in oranges, ablation in
# greens: the eye finds "Tandem vs each stock config" in every panel.
COLORS = {
    "tandem": "#1f4e9c", "tandem-avx512": "#4f81d0",
    "tandem-packed": "#0b2a5e",
    "stock": "#4d4d4d", "stock-vec": "#7a7a7a", "stock-packed": "#a3a3a3",
    "stock-packed-vec": "#c8c8c8",
    "tandem-guest+stock-host": "#e07b1f",
    "tandem-guest-packed+stock-host": "#b35806",
    "stock-guest+tandem-host": "#f2b266",
    "stock-guest-packed+tandem-host": "#f7d9a8",
}
ABLATION_COLOR = "#5a9e4b"

FIGURES = [
    ("loop1.png", "One-core loop (loop1)",
     [("loop1", 64), ("loop1", 1518), ("loop1", 9000)], False),
    ("two-process.png", "Two processes, one lcore each",
     [("loop2", 64), ("loop2", 9000), ("g2h", 64), ("h2g", 64)], False),
    ("ablation.png", "Ablation: one guest technique off (loop1)",
     [("loop1", 64)], True),
]


def is_ablation(pair):
    # "tandem:copy=sse" is a switch; "stock:queue_size=128" (the ring
    # size table, perf_report.py) is in neither plot
    return ":" in pair and ":queue_size=" not in pair


def is_ring(pair):
    return ":queue_size=" in pair


def panel(ax, rows, mode, size, ablation):
    rows = [r for r in rows if r["mode"] == mode and r["size"] == size and
            r["median"] is not None and not is_ring(r["pair"]) and
            (is_ablation(r["pair"]) or r["pair"] == "tandem"
             if ablation else not is_ablation(r["pair"]))]
    if not rows:
        return False
    x = range(len(rows))
    med = [r["median"] for r in rows]
    lo = [r["median"] - r["min"] for r in rows]
    hi = [r["max"] - r["median"] for r in rows]
    colors = [COLORS.get(r["pair"], ABLATION_COLOR) for r in rows]
    ax.bar(x, med, color=colors, yerr=[lo, hi], capsize=3,
           error_kw={"elinewidth": 1})
    # In the loops the other direction's rate (guest RX) is a marker: a
    # pair whose two directions differ is visible, not hidden by the bar.
    for i, r in enumerate(rows):
        if r.get("other_median") is not None:
            ax.plot([i], [r["other_median"]], marker="_", color="#d62728",
                    markersize=16, markeredgewidth=2, linestyle="none")
    for i, m in enumerate(med):
        top = max(rows[i]["max"], rows[i].get("other_median") or 0)
        ax.annotate("%.2f" % m, (i, top), textcoords="offset points",
                    xytext=(0, 3), ha="center", va="bottom", fontsize=7)
    labels = [r["pair"].replace("+", "+\n").replace(":", ":\n")
              for r in rows]
    ax.set_xticks(list(x))
    ax.set_xticklabels(labels, rotation=60, ha="right", fontsize=7)
    ax.set_title("%s, %d B" % (mode, size), fontsize=9)
    ax.set_ylabel("Mpps", fontsize=8)
    ax.tick_params(axis="y", labelsize=7)
    ax.set_ylim(0, max([r["max"] for r in rows] +
                       [r.get("other_median") or 0 for r in rows]) * 1.15)
    return True


def n_bars(rows, mode, size, ablation):
    return sum(1 for r in rows if r["mode"] == mode and r["size"] == size
               and r["median"] is not None and not is_ring(r["pair"]) and
               (is_ablation(r["pair"]) or r["pair"] == "tandem"
                if ablation else not is_ablation(r["pair"])))


def figure(rows, meta, name, title, groups, ablation, out):
    bars = [(g, n_bars(rows, g[0], g[1], ablation)) for g in groups]
    present = [g for g, n in bars if n]
    widths = [n + 1 for _, n in bars if n]
    if not present:
        return None
    fig, axes = plt.subplots(
        1, len(present), squeeze=False,
        figsize=(max(6.0, 0.6 * sum(widths) + 1.0), 5.0),
        gridspec_kw={"width_ratios": widths})
    for ax, (mode, size) in zip(axes[0], present):
        panel(ax, rows, mode, size, ablation)
    fig.suptitle("%s: median of %d interleaved reps x %g s, bars min-max\n"
                 "shared, noisy VM: compare bars within a panel only; "
                 "red line: the loop's other direction (guest RX)\n"
                 "(%s, commit %s)" % (
                     title, meta.get("reps", 0), meta.get("seconds", 0),
                     meta.get("date", "?")[:10],
                     (meta.get("commit") or "?")[:12]), fontsize=9)
    fig.tight_layout()
    path = os.path.join(out, name)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    with open(sys.argv[1]) as fh:
        data = json.load(fh)
    meta = dict(data.get("meta", {}))
    meta.setdefault("reps", data.get("reps", 0))
    meta.setdefault("seconds", data.get("seconds", 0))
    for name, title, groups, ablation in FIGURES:
        path = figure(data["rows"], meta, name, title, groups, ablation,
                      sys.argv[2])
        if path:
            print("plot_perf: wrote %s" % path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
