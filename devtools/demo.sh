#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# README command 1: install the dependencies, build, and run the main job:
# a host testpmd with net_tandem_vhost and a guest testpmd with
# net_tandem_virtio forward traffic through each other; the packet rate in
# each direction is printed. Arguments go to devtools/demo.py
# (e.g. --seconds 10, or --stock for DPDK's own pair).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"
TANDEM_BUILD=$(tandem_build_dir "$(dirname "$here")")
export TANDEM_BUILD
TANDEM_SETUP_VM=${TANDEM_SETUP_VM:-0} "$here/setup.sh"
"$here/build.sh" >/dev/null
exec python3 "$here/demo.py" "$@"
