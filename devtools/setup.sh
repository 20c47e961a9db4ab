#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Install what Tandem needs on Debian bookworm (run as root). Idempotent:
# a second run on a ready machine only checks.
#
# Besides Debian's DPDK, the PMDs need DPDK's driver SDK headers
# (ethdev_driver.h, bus_vdev_driver.h, ...), which Debian builds without
# installing. They are taken from Debian's own source package of the exact
# libdpdk-dev version installed and put in $TANDEM_DPDK_SDK/<version>; the
# meson build looks there. Nothing from DPDK is copied into this repository.
#
# Environment: TANDEM_SETUP_VM=0 skips QEMU, the guest kernel and busybox.
set -euo pipefail

SDK_ROOT=${TANDEM_DPDK_SDK:-/usr/local/share/tandem/dpdk-sdk}
log() { printf 'setup: %s\n' "$*"; }

if [ "$(id -u)" != 0 ]; then
	echo "setup: must run as root (apt-get install)" >&2
	exit 1
fi

pkgs=(meson ninja-build pkg-config gcc libc6-dev libdpdk-dev dpdk-dev dpdk
      python3 python3-pyelftools dpkg-dev xz-utils iproute2 procps psmisc
      python3-matplotlib) # python3-matplotlib: devtools/perf_report.py's plots
if [ "${TANDEM_SETUP_VM:-1}" = 1 ]; then
	pkgs+=(qemu-system-x86 linux-image-amd64 busybox-static cpio gzip)
fi

missing=()
for p in "${pkgs[@]}"; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[ "$st" = "install ok installed" ] || missing+=("$p")
done

apt_updated=0
apt_update() {
	if [ $apt_updated = 0 ]; then
		log "apt-get update"
		apt-get update -q >/dev/null
		apt_updated=1
	fi
}

if [ ${#missing[@]} -gt 0 ]; then
	apt_update
	log "installing: ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
		"${missing[@]}" >/dev/null
fi

dpdk_ver=$(dpkg-query -W -f='${Version}' libdpdk-dev)
sdk_dir="$SDK_ROOT/$dpdk_ver"
sdk_headers=(lib/eal/include/bus_driver.h lib/eal/include/dev_driver.h
	     lib/ethdev/ethdev_driver.h lib/ethdev/ethdev_vdev.h
	     drivers/bus/vdev/bus_vdev_driver.h)

if [ ! -f "$sdk_dir/ethdev_driver.h" ]; then
	src_list=/etc/apt/sources.list.d/tandem-debian-src.sources
	if ! grep -rqs '^Types:.*deb-src' /etc/apt/sources.list.d/ &&
	   ! grep -qs '^deb-src' /etc/apt/sources.list; then
		log "enabling Debian source packages ($src_list)"
		cat >"$src_list" <<'SRC'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
		apt_updated=0
	fi
	apt_update
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	log "fetching DPDK $dpdk_ver driver SDK headers from Debian's source package"
	(cd "$tmp" && apt-get source -q --download-only "dpdk=$dpdk_ver" >/dev/null 2>&1)
	orig=$(ls "$tmp"/dpdk_*.orig.tar.* | head -n 1)
	patterns=()
	for h in "${sdk_headers[@]}"; do patterns+=("*/$h"); done
	tar -C "$tmp" -xf "$orig" --wildcards "${patterns[@]}"
	mkdir -p "$sdk_dir.tmp"
	for h in "${sdk_headers[@]}"; do
		cp "$tmp"/*/"$h" "$sdk_dir.tmp/"
	done
	rm -rf "$sdk_dir"
	mv "$sdk_dir.tmp" "$sdk_dir"
fi
log "DPDK $dpdk_ver, driver SDK headers in $sdk_dir"
