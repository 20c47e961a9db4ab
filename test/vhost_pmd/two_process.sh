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
# Env: TANDEM_LIVE=1 is required (else skip); KILL=1 kills the first guest
# with SIGKILL instead of stopping it; LOAD=1 runs two busy loops alongside
# (the CPU-load case: each step waits for the previous one, never for a
# fixed time); GUEST_SECS (3) of forwarding per guest; KEEP=1 keeps logs.
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
for t in stdbuf pgrep mkfifo; do
	command -v $t >/dev/null || { echo "SKIP: no $t"; exit 77; }
done
ls /usr/lib/*/dpdk/pmds-*/librte_net_virtio.so >/dev/null 2>&1 ||
	{ echo "SKIP: no stock net_virtio plugin"; exit 77; }

DIR=$(mktemp -d /tmp/h5-two-XXXXXX)
SOCK=$DIR/s.sock
# KEEP=1 keeps the logs (printed on exit); HOST_EAL adds host EAL options.
cleanup() {
	exec 3>&- 2>/dev/null
	[ -n "${L1:-}" ] && kill "$L1" "$L2" 2>/dev/null
	if [ -n "${KEEP:-}" ]; then echo "logs in $DIR"; else rm -rf "$DIR"; fi
}
trap cleanup EXIT
[ -n "$GEXTRA" ] && GEXTRA=",$GEXTRA"

# Wait (bounded) until file $1 has a line matching $2.
wait_for() {
	for _ in $(seq 600); do
		grep -q -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "FAIL: no \"$2\" in $(basename "$1") within 60 s"
	return 1
}

# LOAD=1: two busy loops compete with the two pollers, as on a loaded
# machine (start-up then takes seconds; nothing below may depend on it).
if [ -n "${LOAD:-}" ]; then
	timeout 300 bash -c 'while :; do :; done' & L1=$!
	timeout 300 bash -c 'while :; do :; done' & L2=$!
fi

# Host: main lcore 1, forwarding on lcore 0, driven through a fifo so
# that every step waits for the previous one instead of for a fixed time
# (under load, testpmd's start-up alone can outlast any fixed sleep, and
# a guest would then forward for a few milliseconds: "256 packets").
# stdbuf: line-buffered output, so the waits below see it at once.
# Under devtools/sanitize.sh the instrumented plugin needs the sanitizer
# runtime first in the host testpmd's library list (TANDEM_PRELOAD);
# stdbuf appends its own library after it.
HOST_ENV=()
[ -n "${TANDEM_PRELOAD:-}" ] && HOST_ENV=(env "LD_PRELOAD=$TANDEM_PRELOAD")
mkfifo "$DIR/host.in"
timeout 300 "${HOST_ENV[@]}" stdbuf -oL "$TESTPMD" -l 0,1 --main-lcore 1 \
	--no-huge -m 1024 --no-pci --file-prefix=h5h-$$ -d "$PLUGIN" ${HOST_EAL:-} \
	--vdev "net_tandem_vhost0,iface=$SOCK,queues=$Q" -- \
	-i --nb-cores=1 --rxq="$Q" --txq="$Q" <"$DIR/host.in" >"$DIR/host.txt" 2>&1 &
HOST=$!
exec 3>"$DIR/host.in"
echo "start" >&3
fail=0
wait_for "$DIR/host.txt" "packet forwarding - ports=" || fail=1

for run in 1 2; do
	[ $fail = 0 ] || break
	# Guest: main lcore 0, forwarding on lcore 1, non-interactive: it
	# starts forwarding (32 packets sent first) as soon as it is up and
	# prints port statistics every second; it is stopped GUEST_SECS
	# after the first of them. KILL=1: the first guest dies by SIGKILL
	# while forwarding (no goodbye messages).
	G=$DIR/guest$run.txt
	timeout 120 stdbuf -oL "$TESTPMD" -l 0,1 --main-lcore 0 \
		--no-huge -m 1024 --no-pci --file-prefix=h5g-$$ \
		--vdev "net_virtio_user0,path=$SOCK,queues=$Q$GEXTRA" -- \
		--nb-cores=1 --rxq="$Q" --txq="$Q" --forward-mode=io \
		--tx-first --stats-period 1 -a </dev/null >"$G" 2>&1 &
	GP=$!
	killed=0
	wait_for "$G" "Port statistics"
	up=$?
	# testpmd's pid (stdbuf execs it: the child of timeout(1)).
	CPID=$(pgrep -P $GP)
	if [ $up = 0 ]; then
		sleep "$GUEST_SECS"
		if [ -n "${KILL:-}" ] && [ $run = 1 ]; then
			# SIGKILL cannot be forwarded by timeout(1): kill
			# testpmd itself.
			kill -KILL $CPID $GP
			killed=1
		else
			kill -INT $GP
		fi
	else
		kill -KILL $CPID $GP
		fail=1
	fi
	wait $GP
	rc=$?
	# A SIGKILLed testpmd may outlive timeout(1) for a moment; the next
	# guest (same file prefix) needs its lock.
	for _ in $(seq 100); do
		[ -n "$CPID" ] && kill -0 $CPID 2>/dev/null || break
		sleep 0.1
	done
	rx=$(grep -A2 "Forward statistics for port 0" "$G" |
		awk '/RX-packets/ {print $2}')
	tx=$(grep -A2 "Forward statistics for port 0" "$G" |
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
	# The host saw the guest go (link down) before the next one comes.
	for _ in $(seq 100); do
		[ "$(grep -c "link state change event" "$DIR/host.txt")" -ge $((2 * run)) ] && break
		sleep 0.1
	done
done
printf 'stop\nshow port xstats 0\nport stop 0\nport close 0\nquit\n' >&3
exec 3>&-
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
