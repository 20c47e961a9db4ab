#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Configure (once) and build Tandem in $TANDEM_BUILD (default: ./build).
# Extra arguments go to `meson setup` on the first run, e.g. -Db_sanitize=address.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${TANDEM_BUILD:-$top/build}
if [ ! -f "$build/build.ninja" ]; then
	meson setup "$build" "$top" "$@"
fi
ninja -C "$build"
