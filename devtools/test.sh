#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# README command 2: install the dependencies, build, run the whole test
# suite (unit, backend, pair, interop, reconnect, QEMU guest), and print
# "N passed, N failed, N skipped" last. Arguments go to `meson test`
# (e.g. --suite unit).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
. "$here/common.sh"
build=$(tandem_build_dir "$top")
export TANDEM_BUILD=$build
"$here/setup.sh" || exit 1
"$here/build.sh" || exit 1
# One test at a time: pair tests poll both cores and would disturb each
# other (and their time limits) if run in parallel.
meson test -C "$build" --num-processes 1 --print-errorlogs "$@"
rc=$?
python3 - "$build/meson-logs/testlog.json" <<'PY'
import json, sys
passed = failed = skipped = 0
try:
    lines = open(sys.argv[1]).read().splitlines()
except OSError:
    lines = []
for line in lines:
    r = json.loads(line).get("result")
    if r in ("OK", "EXPECTEDFAIL"):
        passed += 1
    elif r == "SKIP":
        skipped += 1
    else:
        failed += 1
print("%d passed, %d failed, %d skipped" % (passed, failed, skipped))
PY
exit $rc
