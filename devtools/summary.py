#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 Tandem developers
"""Print "N passed, N failed, N skipped" from meson testlog.json files.

  devtools/summary.py BUILD/meson-logs/testlog.json [MORE.json ...]

With several logs (CI: the normal build and the ASan+UBSan build), one
line per log prefixed with its path goes first, then the total as the last
line. Timeouts and unexpected passes count as failures; a missing log (its
build failed, or its suite never ran) counts as one failure.
"""
import json
import sys


def count(path):
    passed = failed = skipped = 0
    try:
        with open(path) as fh:
            lines = fh.read().splitlines()
    except OSError:
        return 0, 1, 0
    for line in lines:
        result = json.loads(line).get("result")
        if result in ("OK", "EXPECTEDFAIL"):
            passed += 1
        elif result == "SKIP":
            skipped += 1
        else:
            failed += 1
    return passed, failed, skipped


def line(c):
    return "%d passed, %d failed, %d skipped" % c


def main():
    paths = sys.argv[1:]
    total = [0, 0, 0]
    for p in paths:
        c = count(p)
        if len(paths) > 1:
            print("%s: %s" % (p, line(c)))
        total = [a + b for a, b in zip(total, c)]
    print(line(tuple(total)))


if __name__ == "__main__":
    main()
