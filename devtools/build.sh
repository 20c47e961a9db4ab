#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Configure (once) and build Tandem in $TANDEM_BUILD (default: ./build, or
# /var/lib/tandem/build-<hash> when the clone is under a world-writable
# directory: see common.sh).
# Extra arguments go to `meson setup` on the first run, e.g. -Db_sanitize=address.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/devtools/common.sh"
build=$(tandem_build_dir "$top")
echo "build: $build" >&2
if [ ! -f "$build/build.ninja" ]; then
	meson setup "$build" "$top" "$@"
fi
ninja -C "$build"
