#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Run a libFuzzer target over the repository's corpus without writing to
# it: new inputs go to WORKDIR (created), the corpus is only read, and a
# crash is saved as WORKDIR/crash-<sha1>.
#   run_libfuzzer.sh FUZZER CORPUS WORKDIR [libFuzzer options...]
set -e
fuzzer=$1 corpus=$2 work=$3
shift 3
mkdir -p "$work"
exec "$fuzzer" -artifact_prefix="$work/" "$@" "$work" "$corpus"
