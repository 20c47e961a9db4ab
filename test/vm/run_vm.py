#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 Tandem developers
"""QEMU guest test: a Linux guest's virtio-net served by a vhost PMD.

  run_vm.py --build-dir DIR [--host stock|tandem] [--vhost-pmd SO]
            [--event-idx on|off] [--mrg on|off] [--timeout 90]

dpdk-testpmd runs the vhost PMD (stock net_vhost or net_tandem_vhost) in
icmpecho forwarding mode, which answers ARP and ICMP echo requests. QEMU
(TCG: the nested KVM here boots far too slowly) boots Debian's kernel with
the initramfs from build_initramfs.py, whose /init pings 169.254.77.1
twenty times from 169.254.77.2 and powers off.

Pass: 20 transmitted, 20 received, 0% loss, and testpmd still alive and
exiting cleanly afterwards. Exit 77 (skip) without QEMU, a kernel, busybox
or dpdk-testpmd.
"""

import argparse
import os
import re
import shutil
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'pair'))
sys.path.insert(0, HERE)
import tproc  # noqa: E402
import build_initramfs  # noqa: E402

QEMU = 'qemu-system-x86_64'
TESTPMD = 'dpdk-testpmd'
GUEST_MAC = '02:74:6e:00:00:10'


def parse():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument('--build-dir', required=True,
                    help='where the initramfs is built (kept between runs)')
    ap.add_argument('--host', choices=['stock', 'tandem'], default='stock')
    ap.add_argument('--vhost-pmd', default='')
    ap.add_argument('--event-idx', choices=['on', 'off'], default='on')
    ap.add_argument('--mrg', choices=['on', 'off'], default='on')
    ap.add_argument('--packed', choices=['on', 'off'], default='off')
    ap.add_argument('--timeout', type=float, default=90)
    ap.add_argument('--verbose', '-v', action='store_true')
    return ap.parse_args()


def skip(msg):
    print('SKIP: ' + msg)
    sys.exit(tproc.SKIP)


def initramfs(build_dir):
    """(kernel image, initramfs path), building the initramfs when it is
    missing or older than its builder."""
    out = os.path.join(build_dir, 'tandem-vm-initramfs.cpio.gz')
    src = os.path.join(HERE, 'build_initramfs.py')
    fresh = (os.path.exists(out) and os.path.exists(out + '.kernel') and
             os.path.getmtime(out) >= os.path.getmtime(src))
    if not fresh:
        os.makedirs(build_dir, exist_ok=True)
        rc = build_initramfs.build(out)
        if rc == tproc.SKIP:
            sys.exit(tproc.SKIP)
        if rc != 0:
            print('FAIL: building the initramfs failed')
            sys.exit(1)
    with open(out + '.kernel') as f:
        kernel = f.read().strip()
    if not os.path.exists(kernel):
        os.unlink(out)
        return initramfs(build_dir)
    return kernel, out


def main():
    a = parse()
    for prog in (QEMU, TESTPMD):
        if shutil.which(prog) is None:
            skip('%s not found' % prog)
    if a.host == 'tandem' and not (a.vhost_pmd and
                                   os.path.exists(a.vhost_pmd)):
        skip('net_tandem_vhost not built (%r)' % a.vhost_pmd)
    kernel, initrd = initramfs(a.build_dir)
    desc = 'host=%s event_idx=%s mrg_rxbuf=%s packed=%s' % (
        a.host, a.event_idx, a.mrg, a.packed)
    print('config:', desc, 'kernel:', kernel)

    ok = False
    with tproc.Run('vm') as run:
        tproc.install_signal_cleanup(run)
        sock = run.path('vhost.sock')
        drv = 'net_tandem_vhost0' if a.host == 'tandem' else 'net_vhost0'
        pmd = ['-d', a.vhost_pmd] if a.host == 'tandem' else []
        # Non-interactive testpmd forwards until a line arrives on stdin:
        # keep the pipe open while the guest runs.
        testpmd = run.start('testpmd', [
            TESTPMD, '-l', '0,1', '--no-huge', '-m', '1024', '--no-pci',
            '--file-prefix=' + run.prefix('testpmd')] + pmd + [
            '--vdev', '%s,iface=%s' % (drv, sock), '--',
            '--nb-cores=1', '--rxq=1', '--txq=1', '--port-topology=loop',
            '--forward-mode=icmpecho'], stdin=tproc.subprocess.PIPE,
            env=tproc.preload_env())
        if not tproc.wait_path(sock, testpmd, 20):
            print('FAIL: testpmd did not create %s' % sock)
            print(testpmd.tail(40))
            return 1
        t0 = time.monotonic()
        qemu = run.start('qemu', [
            QEMU, '-accel', 'tcg', '-m', '512', '-smp', '1',
            '-nodefaults', '-display', 'none', '-serial', 'stdio',
            '-monitor', 'none', '-no-reboot',
            '-kernel', kernel, '-initrd', initrd,
            '-append', 'console=ttyS0 panic=-1 loglevel=4',
            '-object', 'memory-backend-memfd,id=mem,size=512M,share=on',
            '-numa', 'node,memdev=mem',
            '-chardev', 'socket,id=c0,path=' + sock,
            '-netdev', 'vhost-user,id=n0,chardev=c0',
            # vectors=0: Debian's QEMU 7.2 segfaults with MSI-X on a
            # vhost-user virtio-net-pci under TCG.
            '-device', 'virtio-net-pci,netdev=n0,mac=%s,vectors=0,'
            'event_idx=%s,mrg_rxbuf=%s,packed=%s' % (
                GUEST_MAC, a.event_idx, a.mrg, a.packed)])
        qrc = qemu.wait(a.timeout)
        elapsed = time.monotonic() - t0
        if qrc is None:
            print('FAIL: guest still running after %.0f s' % a.timeout)
            qemu.kill()
        out = qemu.output()
        m = re.search(r'(\d+) packets transmitted, (\d+) packets received, '
                      r'(\d+)% packet loss', out)
        alive = testpmd.alive()
        if not alive:
            print('FAIL: testpmd died (status %s)' % testpmd.p.returncode)
        if m is None:
            print('FAIL: no ping summary from the guest')
        else:
            print('guest: %s transmitted, %s received, %s%% loss (%.1f s)'
                  % (m.group(1), m.group(2), m.group(3), elapsed))
        ok = (qrc is not None and alive and m is not None and
              m.groups() == ('20', '20', '0'))
        # The guest's negotiated features (sysfs: one digit per bit):
        # prove the configuration under test is the one that ran.
        f = re.search(r'TANDEM-VM: features ([01]+)', out)
        if f is None:
            print('FAIL: the guest did not report its features')
            ok = False
        else:
            bits = f.group(1)
            for name, bit, want in (('mrg_rxbuf', 15, a.mrg),
                                    ('event_idx', 29, a.event_idx),
                                    ('packed', 34, a.packed)):
                got = 'on' if len(bits) > bit and bits[bit] == '1' else 'off'
                print('guest negotiated %s=%s' % (name, got))
                if got != want:
                    print('FAIL: %s is %s, wanted %s' % (name, got, want))
                    ok = False
        # stop testpmd the way a user would: Enter
        trc = None
        if alive:
            try:
                testpmd.stdin.write(b'\n')
                testpmd.stdin.flush()
            except BrokenPipeError:
                pass
            trc = testpmd.wait(20)
            if trc is None:
                testpmd.kill()
            if trc != 0:
                print('FAIL: testpmd exit status %s after Enter' % trc)
                ok = False
        fwd = re.findall(r'RX-packets:\s*(\d+).*?TX-packets:\s*(\d+)',
                         testpmd.output(), re.S)
        if fwd:
            print('testpmd: RX %s TX %s' % fwd[-1])
        if not ok or a.verbose:
            print(qemu.tail(40))
            print(testpmd.tail(40))
        print('%s vm %s (%.1f s)' % ('PASS' if ok else 'FAIL', desc, elapsed))
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
