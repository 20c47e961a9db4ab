#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 Tandem developers
"""One fault storm against a net_tandem_vhost echo host.

  run_storm.py --app tandem_pair --guest storm_guest
               --vhost-pmd librte_net_tandem_vhost.so
               --mode disconnect|memtable|enable [--rounds N] [--queues 2]

1. The host: tandem_pair --role host (echo server, every frame verified)
   on net_tandem_vhost, server mode, pinned to core 1.
2. Warm-up: storm_guest --mode check (one checked session, clean close),
   so that whatever the host creates once per process exists.
3. Baseline: SIGUSR1 -> the host prints a SNAP line (open fds, mapping
   count, mempool fill, frames it still holds, link state); asked again
   until the link is down and nothing is held.
4. The storm: storm_guest --mode MODE --rounds N (it ends with a checked
   round of its own).
5. After: SNAP again; fds (the whole table), mappings and mempool fill
   must equal the baseline; the host must be alive.
6. Traffic resumes: another checked session, SNAP again, same comparison.
7. The host is stopped (SIGINT) and must pass its own final checks (no
   bad or out-of-order frame in any session, mempool full, fds as before
   its port existed).

Exit status: 0 pass, 1 fail, 77 skipped (driver not built).
"""

import argparse
import os
import signal
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                '..', 'pair'))
import tproc  # noqa: E402

EAL = ['--no-huge', '-m', '1024', '--no-pci']


def parse():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument('--app', required=True, help='the tandem_pair binary')
    ap.add_argument('--guest', required=True, help='the storm_guest binary')
    ap.add_argument('--vhost-pmd', required=True,
                    help='librte_net_tandem_vhost.so')
    ap.add_argument('--mode', required=True,
                    choices=['disconnect', 'memtable', 'enable'])
    ap.add_argument('--rounds', type=int, default=100)
    ap.add_argument('--queues', type=int, default=2)
    ap.add_argument('--timeout', type=float, default=180,
                    help='limit for the storm itself, seconds')
    ap.add_argument('--verbose', '-v', action='store_true')
    return ap.parse_args()


def fields(line):
    out = {}
    for tok in line.split():
        if '=' in tok:
            k, v = tok.split('=', 1)
            out[k] = v
    return out


class Host:
    def __init__(self, run, a, sock):
        self.run = run
        self.n_snaps = 0
        self.p = run.start('host', [
            a.app, '-l', '1'] + EAL + ['-d', a.vhost_pmd,
            '--file-prefix=' + run.prefix('host'), '--',
            '--role', 'host', '--queues', str(a.queues),
            '--host-vdev', 'net_tandem_vhost0,iface=%s,queues=%d'
            % (sock, a.queues),
            '--timeout', str(int(a.timeout * 3 + 120))])

    def snap(self, timeout=10.0):
        """A SNAP taken while no guest is connected and the host holds
        no frame (asked again until then). None on timeout."""
        end = time.monotonic() + timeout
        last = None
        while time.monotonic() < end and self.p.alive():
            self.p.send(signal.SIGUSR1)
            self.n_snaps += 1
            if not self.p.wait_line('SNAP n=', 5, count=self.n_snaps):
                # a signal that arrived before the loop runs is kept:
                # the count may lag; ask again
                self.n_snaps = self.p.output().count('SNAP n=')
                continue
            last = [ln for ln in self.p.output().splitlines()
                    if ln.startswith('SNAP n=')][-1]
            f = fields(last)
            pool = f['pool'].split('/')
            if f['link'] == 'down' and f['pend'] == '0' and \
                    pool[0] == pool[1]:
                return f
            time.sleep(0.2)
        if last:
            print('host not idle: %s' % last)
        return None


def guest(run, a, sock, mode, rounds, name):
    g = run.start(name, [a.guest, '--path', sock, '--mode', mode,
                         '--rounds', str(rounds), '--queues', str(a.queues),
                         '--timeout', str(int(a.timeout))])
    rc = g.wait(a.timeout + 10)
    line = g.last_line('PASS') or g.last_line('FAIL')
    ok = rc == 0 and line is not None and line.startswith('PASS')
    print('  [%s] %s' % (name, line or '(no result line, rc=%s)' % rc))
    if not ok or a.verbose:
        print(g.tail(40))
    return ok


def compare(what, base, now):
    """The host's resources now against the baseline."""
    ok = True
    for key in ('fds', 'maps', 'pool'):
        if base[key] != now[key]:
            print('FAIL: %s: host %s %s, baseline %s'
                  % (what, key, now[key], base[key]))
            ok = False
    if now['fd_diff'] != '0':
        print('FAIL: %s: host fd table differs from the baseline in %s '
              'entries (see the host output)' % (what, now['fd_diff']))
        ok = False
    if ok:
        print('%s: host fds=%s maps=%s pool=%s as before' % (
            what, now['fds'], now['maps'], now['pool']))
    return ok


def storm(run, a):
    sock = run.path('vhost.sock')
    host = Host(run, a, sock)
    if not tproc.wait_path(sock, host.p, 20):
        print('FAIL: host did not create %s' % sock)
        print(host.p.tail(40))
        return False
    if not guest(run, a, sock, 'check', 1, 'warmup'):
        print(host.p.tail(40))
        return False
    base = host.snap()
    if base is None:
        print('FAIL: no idle baseline from the host')
        print(host.p.tail(40))
        return False
    print('baseline: host fds=%s maps=%s pool=%s' % (
        base['fds'], base['maps'], base['pool']))
    t0 = time.monotonic()
    ok = guest(run, a, sock, a.mode, a.rounds, 'storm')
    print('storm: %d rounds of %s in %.1f s' % (a.rounds, a.mode,
                                                 time.monotonic() - t0))
    if not host.p.alive():
        print('FAIL: the host died in the storm')
        print(host.p.tail(60))
        return False
    after = host.snap()
    if after is None:
        print('FAIL: host not idle after the storm')
        ok = False
    else:
        ok = compare('after the storm', base, after) and ok
    ok = guest(run, a, sock, 'check', 1, 'resume') and ok
    again = host.snap()
    if again is None:
        print('FAIL: host not idle after the resumed traffic')
        ok = False
    else:
        ok = compare('after resumed traffic', base, again) and ok
    rc = host.p.stop(20)
    line = host.p.last_line('PASS') or host.p.last_line('FAIL')
    print('  [host] %s' % line)
    if rc != 0 or line is None or not line.startswith('PASS'):
        print('FAIL: host exit %s' % rc)
        ok = False
    if not ok or a.verbose:
        print(host.p.tail(60))
    return ok


def main():
    a = parse()
    for f in (a.app, a.guest, a.vhost_pmd):
        if not os.path.exists(f):
            print('SKIP: %s not built' % f)
            return tproc.SKIP
    print('config: storm=%s rounds=%d queues=%d' % (a.mode, a.rounds,
                                                    a.queues))
    with tproc.Run('storm') as run:
        tproc.install_signal_cleanup(run)
        t0 = time.monotonic()
        ok = storm(run, a)
        print('%s storm %s x%d (%.1f s)' % ('PASS' if ok else 'FAIL',
                                            a.mode, a.rounds,
                                            time.monotonic() - t0))
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
