#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Build Tandem with AddressSanitizer + UndefinedBehaviorSanitizer in a
# build directory of its own and run the test suite under it.
#
#   devtools/sanitize.sh [meson test arguments, e.g. --suite storm]
#
# Build directory: $TANDEM_ASAN_BUILD (default: the normal build dir + -asan), configured
# once with -Db_sanitize=address,undefined -Db_lundef=false (shared objects
# such as the PMD plugins may then leave the sanitizer runtime unresolved:
# the executable or LD_PRELOAD provides it). Extra `meson setup` options:
# $TANDEM_ASAN_SETUP (e.g. "-Dvm_tests=false").
#
# DPDK itself is not instrumented. Tandem's executables link the runtime
# themselves; the stock dpdk-testpmd that loads the instrumented plugins
# needs libasan first in its library list, so the test runners put
# $TANDEM_PRELOAD (set here to gcc's libasan) into LD_PRELOAD of the
# dpdk-testpmd processes they start, and of nothing else.
#
# The runtime options (see the comments below) make any report fail the
# test; sanitizer reports land in each test's output in the meson log.
# The last line is "N passed, N failed, N skipped".
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
. "$here/common.sh"
build=${TANDEM_ASAN_BUILD:-$(TANDEM_BUILD= tandem_build_dir "$top")-asan}
cc=${CC:-cc}

if [ ! -f "$build/build.ninja" ]; then
	# shellcheck disable=SC2086 # word splitting of the extra options
	meson setup "$build" "$top" -Db_sanitize=address,undefined \
		-Db_lundef=false ${TANDEM_ASAN_SETUP:-} || exit 1
fi
ninja -C "$build" || exit 1

libasan=$("$cc" -print-file-name=libasan.so)
if [ ! -f "$libasan" ]; then
	echo "sanitize.sh: $cc has no libasan.so (got '$libasan')" >&2
	exit 1
fi
export TANDEM_PRELOAD=$libasan

# ASan:
#  detect_leaks=1      LeakSanitizer at exit, without suppressions: what
#                      DPDK keeps at exit stays reachable and is not
#                      reported (measured: the whole suite runs clean);
#  abort_on_error=0    exit with an error status, no core dump;
#  halt_on_error=1     the first report ends the process (a test fails);
#  detect_odr_violation=0  the plugins and the executables may both carry
#                      a static copy of a Tandem library (lib/vring);
#  check_initialization_order=1, strict_string_checks=1: stricter checks;
#  allocator_may_return_null=1  tests that ask for absurd sizes get NULL.
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:halt_on_error=1:detect_odr_violation=0:check_initialization_order=1:strict_string_checks=1:allocator_may_return_null=1"
# UBSan: gcc's checks recover by default; halt on the first one instead,
# with a stack, so a report fails the test.
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"

# One test at a time, so the two-process vhost_pmd_live tests (two
# polling testpmds, opt-in for parallel runs) can run too; TANDEM_LIVE=
# (empty) skips them.
export TANDEM_LIVE=${TANDEM_LIVE-1}
start=$(date +%s)
# One test at a time (pair tests poll both cores); sanitized code is
# slower, so every test's time limit is doubled.
meson test -C "$build" --num-processes 1 --print-errorlogs \
	--timeout-multiplier 2 "$@"
rc=$?
echo "sanitize.sh: suite took $(($(date +%s) - start)) s"
python3 "$here/summary.py" "$build/meson-logs/testlog.json"
exit $rc
