#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 Tandem developers
"""Run one pair, interop or reconnect configuration of tandem_pair.

  run_pair.py --app tandem_pair --host stock|tandem --guest stock|tandem
              [--procs one|two] [--mrg 0|1] [--in-order 0|1] [--queues N]
              [--packed 0|1] [--mode traffic|reconnect-guest|reconnect-host]
              [--vhost-pmd librte_net_tandem_vhost.so]
              [--virtio-pmd librte_net_tandem_virtio.so]

traffic:          one process (host vdev, then the guest hot-attached) or
                  two (host = echo server pinned to core 1, guest on core 0).
reconnect-guest:  the host (vhost, server) keeps running while guests are
                  SIGKILLed and restarted --rounds times; each new guest
                  must pass a short check; the host must still be alive
                  and pass its own final checks.
reconnect-host:   the guest (virtio, server=1) keeps running in loop mode
                  while the host (vhost, client=1) is SIGKILLed and
                  restarted --rounds times; traffic must resume each time.

Exit status: 0 pass, 1 fail, 77 skipped (a Tandem driver not built).
"""

import argparse
import os
import random
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tproc  # noqa: E402

GUEST_MAC = '02:74:6e:00:00:01'
EAL = ['--no-huge', '-m', '1024', '--no-pci']


def parse():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument('--app', required=True, help='the tandem_pair binary')
    ap.add_argument('--host', choices=['stock', 'tandem'], default='stock')
    ap.add_argument('--guest', choices=['stock', 'tandem'], default='stock')
    ap.add_argument('--vhost-pmd', default='',
                    help='librte_net_tandem_vhost.so (for --host tandem)')
    ap.add_argument('--virtio-pmd', default='',
                    help='librte_net_tandem_virtio.so (for --guest tandem)')
    ap.add_argument('--procs', choices=['one', 'two'], default='one')
    ap.add_argument('--mrg', type=int, choices=[0, 1], default=1)
    ap.add_argument('--in-order', type=int, choices=[0, 1], default=0)
    ap.add_argument('--packed', type=int, choices=[0, 1], default=0)
    ap.add_argument('--queues', type=int, default=1)
    ap.add_argument('--mode', default='traffic',
                    choices=['traffic', 'reconnect-guest', 'reconnect-host'])
    ap.add_argument('--rounds', type=int, default=0,
                    help='reconnect rounds (20 guest kills, 5 host kills)')
    ap.add_argument('--timeout', type=float, default=90,
                    help='limit for one traffic run, seconds')
    ap.add_argument('--verbose', '-v', action='store_true',
                    help='show all output, not only on failure')
    return ap.parse_args()


class Config:
    def __init__(self, a, run):
        self.a = a
        self.run = run
        self.sock = run.path('vhost.sock')
        self.dlopen = []
        for side, so in (('host', a.vhost_pmd), ('guest', a.virtio_pmd)):
            if getattr(a, side) != 'tandem':
                continue
            if not so or not os.path.exists(so):
                print('SKIP: --%s tandem needs the driver (%r not built)'
                      % (side, so))
                sys.exit(tproc.SKIP)
            self.dlopen += ['-d', so]

    def host_vdev(self, client=False):
        drv = 'net_tandem_vhost0' if self.a.host == 'tandem' else 'net_vhost0'
        s = '%s,iface=%s,queues=%d' % (drv, self.sock, self.a.queues)
        if client:
            s += ',client=1'
        return s

    def guest_vdev(self, server=False):
        drv = ('net_tandem_virtio0' if self.a.guest == 'tandem'
               else 'net_virtio_user0')
        s = ('%s,path=%s,queues=%d,mrg_rxbuf=%d,in_order=%d,mac=%s'
             % (drv, self.sock, self.a.queues, self.a.mrg, self.a.in_order,
                GUEST_MAC))
        if self.a.packed:
            s += ',packed_vq=1'
        if server:
            s += ',server=1'
        return s

    def common(self, role):
        args = ['--queues', str(self.a.queues)]
        if self.a.mrg:
            # 9000 B frames need mergeable RX buffers on the guest
            args.append('--jumbo')
        if self.a.host == 'stock' and role in ('host', 'both'):
            # DPDK's vhost library opens its event-dispatch pipe on the
            # first rte_vhost_driver_start() and keeps it for the life of
            # the process (lib/vhost/socket.c): known, not a leak per run.
            args += ['--allow-fds', 'pipe:2']
        return args

    def argv(self, role, cores, app_args, timeout):
        return ([self.a.app, '-l', cores] + EAL + self.dlopen +
                ['--file-prefix=' + self.run.prefix(role), '--'] +
                ['--timeout', str(int(timeout))] + app_args)


def show(procs, verbose, failed):
    for p in procs:
        if failed or verbose:
            print(p.tail(60 if failed else 10))
        else:
            line = p.last_line('PASS') or p.last_line('FAIL')
            if line:
                print('  [%s] %s' % (p.name, line))


def field(line, name):
    """The value of ' name=VALUE' in a PASS/FAIL line (first match)."""
    for tok in (line or '').split():
        if tok.startswith(name + '='):
            return tok.split('=', 1)[1]
    return None


def traffic(cfg):
    a, run = cfg.a, cfg.run
    if a.procs == 'one':
        p = run.start('both', cfg.argv(
            'both', '0',
            ['--role', 'both', '--host-vdev', cfg.host_vdev(),
             '--guest-vdev', cfg.guest_vdev()] + cfg.common('both'),
            a.timeout))
        rc = p.wait(a.timeout + 10)
        ok = rc == 0 and p.last_line('PASS') is not None
        show([p], a.verbose, not ok)
        return ok

    host = run.start('host', cfg.argv(
        'host', '1',
        ['--role', 'host', '--host-vdev', cfg.host_vdev()]
        + cfg.common('host'),
        a.timeout + 20))
    if not tproc.wait_path(cfg.sock, host, 15):
        print('FAIL: host did not create %s' % cfg.sock)
        show([host], a.verbose, True)
        return False
    guest = run.start('guest', cfg.argv(
        'guest', '0',
        ['--role', 'guest', '--guest-vdev', cfg.guest_vdev()]
        + cfg.common('guest'),
        a.timeout))
    grc = guest.wait(a.timeout + 10)
    hrc = host.stop(20)
    gline, hline = guest.last_line('PASS'), host.last_line('PASS')
    ok = grc == 0 and hrc == 0 and gline is not None and hline is not None
    if ok and field(gline, 'tx') != field(hline, 'tx'):
        print('FAIL: guest sent %s frames, host echoed %s'
              % (field(gline, 'tx'), field(hline, 'tx')))
        ok = False
    if grc is None:
        print('FAIL: guest still running after %.0f s' % a.timeout)
    show([host, guest], a.verbose, not ok)
    return ok


def reconnect_guest(cfg):
    """Host stays, guests are SIGKILLed mid-traffic and restarted."""
    a, run = cfg.a, cfg.run
    rounds = a.rounds or 20
    host = run.start('host', cfg.argv(
        'host', '1',
        ['--role', 'host', '--host-vdev', cfg.host_vdev()]
        + cfg.common('host'),
        rounds * 30 + 60))
    if not tproc.wait_path(cfg.sock, host, 15):
        print('FAIL: host did not create %s' % cfg.sock)
        show([host], a.verbose, True)
        return False
    rng = random.Random(1234)
    for i in range(rounds):
        guest = run.start('guest%d' % i, cfg.argv(
            'g%d' % i, '0',
            ['--role', 'guest', '--guest-vdev', cfg.guest_vdev(),
             '--packets', '300', '--hold'] + cfg.common('guest'), 60))
        if not guest.wait_line('ROUND 0 PASS', 30):
            print('FAIL: guest %d did not pass its traffic check' % i)
            guest.kill()
            show([host, guest], a.verbose, True)
            return False
        # kill it while its traffic is still running
        time.sleep(rng.uniform(0.0, 0.3))
        guest.kill()
        if not host.alive():
            print('FAIL: host died after guest %d was killed' % i)
            show([host, guest], a.verbose, True)
            return False
        print('guest %d: passed, killed' % i)
        run.procs.remove(guest)
        tproc.shutil.rmtree(tproc.dpdk_runtime_dir(run.prefixes[-1]),
                            ignore_errors=True)
    time.sleep(0.5)
    hrc = host.stop(20)
    hline = host.last_line('PASS')
    ok = hrc == 0 and hline is not None
    sessions = int(field(hline, 'sessions') or 0)
    if ok and sessions < rounds * a.queues:
        print('FAIL: host saw %d sessions, expected >= %d'
              % (sessions, rounds * a.queues))
        ok = False
    show([host], a.verbose, not ok)
    return ok


def reconnect_host(cfg):
    """Guest (server) stays in loop mode, hosts (client) are SIGKILLed."""
    a, run = cfg.a, cfg.run
    rounds = a.rounds or 5
    guest = run.start('guest', cfg.argv(
        'guest', '0',
        ['--role', 'guest', '--guest-vdev', cfg.guest_vdev(server=True),
         '--packets', '300', '--loop', str(rounds), '--link-timeout', '30']
        + cfg.common('guest'), rounds * 40 + 60))
    if not tproc.wait_path(cfg.sock, guest, 15):
        print('FAIL: guest did not create %s' % cfg.sock)
        show([guest], a.verbose, True)
        return False
    for i in range(rounds):
        host = run.start('host%d' % i, cfg.argv(
            'h%d' % i, '1',
            ['--role', 'host', '--host-vdev', cfg.host_vdev(client=True)]
            + cfg.common('host'), 60))
        if not guest.wait_line('ROUND %d PASS' % i, 30):
            print('FAIL: traffic did not resume with host %d' % i)
            host.kill()
            show([guest, host], a.verbose, True)
            return False
        host.kill()
        if not guest.wait_line('ROUND %d link down' % i, 30):
            print('FAIL: guest did not see host %d go away' % i)
            show([guest, host], a.verbose, True)
            return False
        print('host %d: traffic resumed, killed' % i)
        run.procs.remove(host)
        tproc.shutil.rmtree(tproc.dpdk_runtime_dir(run.prefixes[-1]),
                            ignore_errors=True)
    grc = guest.wait(30)
    ok = grc == 0 and guest.last_line('PASS') is not None
    show([guest], a.verbose, not ok)
    return ok


def main():
    a = parse()
    desc = ('host=%s guest=%s procs=%s mrg=%d in_order=%d packed=%d '
            'queues=%d mode=%s' % (a.host, a.guest, a.procs, a.mrg,
                                   a.in_order, a.packed, a.queues, a.mode))
    print('config:', desc)
    with tproc.Run('pair') as run:
        tproc.install_signal_cleanup(run)
        cfg = Config(a, run)
        t0 = time.monotonic()
        if a.mode == 'traffic':
            ok = traffic(cfg)
        elif a.mode == 'reconnect-guest':
            ok = reconnect_guest(cfg)
        else:
            ok = reconnect_host(cfg)
        print('%s %s (%.1f s)' % ('PASS' if ok else 'FAIL', desc,
                                  time.monotonic() - t0))
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
