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
# One test at a time, so the two-process vhost_pmd_live tests (two
# polling testpmds, opt-in for parallel runs) can run too; TANDEM_LIVE=
# (empty) skips them.
export TANDEM_LIVE=${TANDEM_LIVE-1}
# One test at a time: pair tests poll both cores and would disturb each
# other (and their time limits) if run in parallel.
meson test -C "$build" --num-processes 1 --print-errorlogs "$@"
rc=$?
python3 "$here/summary.py" "$build/meson-logs/testlog.json"
exit $rc
