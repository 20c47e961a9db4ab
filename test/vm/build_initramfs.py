#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 Tandem developers
"""Build the guest initramfs for the QEMU test: busybox, the modules
virtio_net needs (dependencies from `modinfo -F depends`), and an /init that
loads them, configures eth0 with 169.254.77.2/24 (link-local only), pings
169.254.77.1 twenty times, prints the summary and powers off.

  build_initramfs.py OUT.cpio.gz [--kernel-version V]

Written as cpio "newc" + gzip by this script (no root needed: the
/dev/console node is an archive entry, not a file). Prints the kernel image
to boot on stdout. Exit 77 when there is no kernel with virtio_net modules
or no static busybox.
"""

import argparse
import glob
import gzip
import lzma
import os
import stat
import subprocess
import sys

SKIP = 77
ROOT_MODULES = ['virtio_pci', 'virtio_net']
BUSYBOX = ['/bin/busybox', '/usr/bin/busybox']

INIT = r'''#!/bin/busybox sh
B=/bin/busybox
$B mount -t proc proc /proc
$B mount -t sysfs sys /sys
echo "TANDEM-VM: init started"
for m in %(modules)s; do
    $B insmod /lib/modules/$m.ko || echo "TANDEM-VM: insmod $m failed"
done
i=0
while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 100 ]; do
    $B sleep 0.1; i=$((i+1))
done
if [ ! -e /sys/class/net/eth0 ]; then
    echo "TANDEM-VM: no eth0"
    $B poweroff -f
fi
echo "TANDEM-VM: features $($B cat /sys/class/net/eth0/device/features)"
$B ip link set eth0 up
$B ip addr add 169.254.77.2/24 dev eth0
$B ping -c 20 -i 0.2 -W 2 169.254.77.1
echo "TANDEM-VM: ping exit $?"
S=/sys/class/net/eth0/statistics
echo "TANDEM-VM: eth0 rx $($B cat $S/rx_packets) tx $($B cat $S/tx_packets)"
$B poweroff -f
'''


def newest_kernel(version=None):
    """(version, vmlinuz) of a kernel whose virtio_net module exists."""
    images = sorted(glob.glob('/boot/vmlinuz-*'), reverse=True)
    for img in images:
        ver = img[len('/boot/vmlinuz-'):]
        if version and ver != version:
            continue
        if glob.glob('/lib/modules/%s/kernel/drivers/net/virtio_net.ko*'
                     % ver):
            return ver, img
    return None, None


def modinfo(ver, mod, field):
    out = subprocess.run(['modinfo', '-k', ver, '-F', field, mod],
                         capture_output=True, text=True, check=True).stdout
    return out.strip()


def module_order(ver, roots):
    """Modules in load order (dependencies first)."""
    order, seen = [], set()

    def visit(m):
        if m in seen:
            return
        seen.add(m)
        deps = modinfo(ver, m, 'depends')
        for d in filter(None, deps.split(',')):
            visit(d)
        order.append(m)
    for r in roots:
        visit(r)
    return order


def module_bytes(path):
    with open(path, 'rb') as f:
        data = f.read()
    if path.endswith('.xz'):
        return lzma.decompress(data)
    if path.endswith('.gz'):
        return gzip.decompress(data)
    if path.endswith('.zst'):
        raise RuntimeError('zstd-compressed module %s: not supported' % path)
    return data


class Cpio:
    """A minimal cpio "newc" writer."""

    def __init__(self):
        self.parts = []
        self.ino = 1

    def _entry(self, name, mode, data=b'', rdev=(0, 0)):
        hdr = '070701' + ''.join('%08X' % v for v in (
            self.ino, mode, 0, 0, 1, 0, len(data), 0, 0,
            rdev[0], rdev[1], len(name) + 1, 0))
        self.ino += 1
        b = hdr.encode() + name.encode() + b'\0'
        b += b'\0' * (-len(b) % 4)
        b += data + b'\0' * (-len(data) % 4)
        self.parts.append(b)

    def dir(self, name):
        self._entry(name, stat.S_IFDIR | 0o755)

    def file(self, name, data, mode=0o644):
        self._entry(name, stat.S_IFREG | mode, data)

    def symlink(self, name, target):
        self._entry(name, stat.S_IFLNK | 0o777, target.encode())

    def chardev(self, name, major, minor):
        self._entry(name, stat.S_IFCHR | 0o600, rdev=(major, minor))

    def bytes(self):
        self._entry('TRAILER!!!', 0)
        return b''.join(self.parts)


def build(out, version=None):
    ver, image = newest_kernel(version)
    if ver is None:
        print('SKIP: no /boot/vmlinuz-* with a virtio_net module')
        return SKIP
    busybox = next((b for b in BUSYBOX if os.path.exists(b)), None)
    if busybox is None:
        print('SKIP: no busybox (install busybox-static)')
        return SKIP
    mods = module_order(ver, ROOT_MODULES)
    c = Cpio()
    for d in ('bin', 'dev', 'proc', 'sys', 'lib', 'lib/modules'):
        c.dir(d)
    c.chardev('dev/console', 5, 1)
    c.chardev('dev/null', 1, 3)
    with open(busybox, 'rb') as f:
        c.file('bin/busybox', f.read(), 0o755)
    c.symlink('bin/sh', 'busybox')
    for m in mods:
        c.file('lib/modules/%s.ko' % m,
               module_bytes(modinfo(ver, m, 'filename')))
    c.file('init', (INIT % {'modules': ' '.join(mods)}).encode(), 0o755)
    tmp = '%s.tmp%d' % (out, os.getpid())
    with open(tmp, 'wb') as f:
        f.write(gzip.compress(c.bytes(), 6))
    os.replace(tmp, out)
    with open(out + '.kernel', 'w') as f:
        f.write(image + '\n')
    print(image)
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('out')
    ap.add_argument('--kernel-version')
    a = ap.parse_args()
    return build(a.out, a.kernel_version)


if __name__ == '__main__':
    sys.exit(main())
