#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 Tandem developers
#
# two_process.sh - net_tandem_vhost in one dpdk-testpmd (io forwarding,
# the port looped onto itself), the stock net_virtio_user in another,
# started twice (a guest restart). Checks that traffic flows both ways in
# both guest runs, that the host saw a link event per attach and detach,
# and that both processes exit cleanly.
#
# Usage: two_process.sh <plugin.so> <queue pairs> [extra guest devargs]
# Env: TANDEM_LIVE=1 is required (else skip), KILL=1 kills the first guest with SIGKILL instead of quitting it.
# Needs both cores (two polling lcores): do not run next to other pollers.
# Exit 77: dpdk-testpmd or the stock virtio_user plugin missing.
set -u
PLUGIN=$1
Q=${2:-1}
GEXTRA=${3:-}
TESTPMD=${TESTPMD:-dpdk-testpmd}
GUEST_SECS=${GUEST_SECS:-3}
MIN_PKTS=${MIN_PKTS:-10000}

# Opt-in: two polling processes would disturb a parallel test run.
[ -n "${TANDEM_LIVE:-}" ] || { echo "SKIP: set TANDEM_LIVE=1 to run"; exit 77; }
command -v "$TESTPMD" >/dev/null || { echo "SKIP: no $TESTPMD"; exit 77; }
ls /usr/lib/*/dpdk/pmds-*/librte_net_virtio.so >/dev/null 2>&1 ||
	{ echo "SKIP: no stock net_virtio plugin"; exit 77; }

DIR=$(mktemp -d /tmp/h5-two-XXXXXX)
SOCK=$DIR/s.sock
# KEEP=1 keeps the logs (printed on exit); HOST_EAL adds host EAL options.
[ -n "${KEEP:-}" ] && trap 'echo "logs in $DIR"' EXIT || trap 'rm -rf "$DIR"' EXIT
[ -n "$GEXTRA" ] && GEXTRA=",$GEXTRA"
HOST_SECS=$((2 * (GUEST_SECS + 4) + 4))

# Host: main lcore 1, forwarding on lcore 0.
(
	sleep 1
	echo "start"
	sleep "$HOST_SECS"
	echo "stop"
	echo "show port xstats 0"
	echo "port stop 0"
	echo "port close 0"
	echo "quit"
) | timeout $((HOST_SECS + 20)) "$TESTPMD" -l 0,1 --main-lcore 1 \
	--no-huge -m 1024 --no-pci --file-prefix=h5h-$$ -d "$PLUGIN" ${HOST_EAL:-} \
	--vdev "net_tandem_vhost0,iface=$SOCK,queues=$Q" -- \
	-i --nb-cores=1 --rxq="$Q" --txq="$Q" >"$DIR/host.txt" 2>&1 &
HOST=$!

fail=0
for run in 1 2; do
	for _ in $(seq 50); do
		[ -S "$SOCK" ] && break
		sleep 0.1
	done
	# Guest: main lcore 0, forwarding on lcore 1. KILL=1: the first
	# guest dies by SIGKILL while forwarding (no goodbye messages).
	TO_OPT=$((GUEST_SECS + 15))
	killed=0
	if [ -n "${KILL:-}" ] && [ $run = 1 ]; then
		TO_OPT="-s KILL $((GUEST_SECS))"
		killed=1
	fi
	(
		sleep 1
		echo "start tx_first 32"
		sleep "$GUEST_SECS"
		echo "stop"
		echo "quit"
	) | timeout $TO_OPT "$TESTPMD" -l 0,1 --main-lcore 0 \
		--no-huge -m 1024 --no-pci --file-prefix=h5g-$$ \
		--vdev "net_virtio_user0,path=$SOCK,queues=$Q$GEXTRA" -- \
		-i --nb-cores=1 --rxq="$Q" --txq="$Q" >"$DIR/guest$run.txt" 2>&1
	rc=$?
	rx=$(grep -A2 "Forward statistics for port 0" "$DIR/guest$run.txt" |
		awk '/RX-packets/ {print $2}')
	tx=$(grep -A2 "Forward statistics for port 0" "$DIR/guest$run.txt" |
		awk '/TX-packets/ {print $2}')
	echo "guest run $run: rc=$rc rx=${rx:-none} tx=${tx:-none}"
	if [ $killed = 1 ]; then
		[ "$rc" = 137 ] || { echo "FAIL: guest not killed ($rc)"; fail=1; }
		continue
	fi
	if [ "$rc" != 0 ] || [ "${rx:-0}" -lt "$MIN_PKTS" ] ||
		[ "${tx:-0}" -lt "$MIN_PKTS" ]; then
		echo "FAIL: guest run $run moved too little (min $MIN_PKTS)"
		fail=1
	fi
done
wait $HOST
hrc=$?
lsc=$(grep -c "Port 0: link state change event" "$DIR/host.txt")
echo "host: rc=$hrc, $lsc link events"
grep -E "^(rx|tx)_q[0-9]+_(packets|no_room|unsent_packets)|_err_.*: [1-9]|dev_(connects|disconnects|err_msg)" \
	"$DIR/host.txt" | head -40
if [ "$hrc" != 0 ]; then
	echo "FAIL: host testpmd exit $hrc"
	fail=1
fi
if [ "$lsc" != 4 ]; then
	echo "FAIL: expected 4 link events (2 attach, 2 detach), got $lsc"
	fail=1
fi
if grep -E "_err_.*: [1-9]|dev_err_msg: [1-9]" "$DIR/host.txt"; then
	echo "FAIL: the host counted front-end errors"
	fail=1
fi
if [ $fail != 0 ]; then
	echo "---- host log (tail) ----"
	tail -40 "$DIR/host.txt"
	exit 1
fi
echo PASSED
