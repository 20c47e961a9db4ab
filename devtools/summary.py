#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 Tandem developers
"""Print "N passed, N failed, N skipped" from a meson testlog.json.

  devtools/summary.py BUILD/meson-logs/testlog.json

Timeouts and unexpected passes count as failures; a missing log counts
nothing (the caller's exit status tells why).
"""
import json
import sys


def main():
    passed = failed = skipped = 0
    try:
        with open(sys.argv[1]) as fh:
            lines = fh.read().splitlines()
    except (IndexError, OSError):
        lines = []
    for line in lines:
        result = json.loads(line).get("result")
        if result in ("OK", "EXPECTEDFAIL"):
            passed += 1
        elif result == "SKIP":
            skipped += 1
        else:
            failed += 1
    print("%d passed, %d failed, %d skipped" % (passed, failed, skipped))


if __name__ == "__main__":
    main()
