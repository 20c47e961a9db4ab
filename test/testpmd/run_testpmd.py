#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 Tandem developers
"""Scripted dpdk-testpmd sessions: testpmd's usual port commands must work
on Tandem's drivers.

  run_testpmd.py --dut vhost|virtio --peer tandem|stock --session port
                 --vhost-pmd librte_net_tandem_vhost.so
                 --virtio-pmd librte_net_tandem_virtio.so [--queues 2]
  run_testpmd.py --dut vhost|virtio --session probe-errors ...

port: one testpmd holds a host port (0, from --vdev) and a guest port (1,
      attached at run time with `port attach`). The DUT (device under test)
      is the Tandem driver named by --dut; the other port is --peer
      (Tandem's other driver, or DPDK's stock one so that a failure points
      at the DUT alone). Checked, in order:
      - show port info: driver name, link status, MTU, max queues = queues;
      - link state change events on the host port as the guest starts,
        stops, detaches and comes back;
      - start tx_first for 2 s: packets flow both ways on every queue;
      - show port xstats: the DUT's per-queue names are there, its
        counters moved, rx/tx_good_packets equal the per-queue sums;
      - port stop / port start of the DUT: traffic resumes;
      - port stop + port detach of the guest, then attach again: testpmd's
        fds are as before (nothing leaked by a detach);
      - port close + port detach of the DUT: no crash; quit exits 0.
      With --peer stock and --dut virtio the guest is given `cq=1`, as
      stock net_virtio_user needs it for more than one queue pair: a
      stock command line must work unchanged.
probe-errors: `port attach` with an unknown devarg, malformed ones and a
      refused feature (tso=1 for the host; iface= for the guest): each
      fails with a message naming it, testpmd stays usable, and the same
      device name attaches fine with good devargs afterwards (the guest's
      with stock's `cq=1`, which is logged as without effect). The guest
      also names a path that is not a socket (a character device, a
      regular file) as such.

Exit status: 0 pass, 1 fail, 77 skipped (testpmd or a driver missing).
"""

import argparse
import os
import re
import select
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', '..', 'devtools'))
import testpmd  # noqa: E402

SKIP = 77
EAL = ['--no-huge', '-m', '1024', '--no-pci']
# Lines that mean testpmd or a driver crashed or corrupted memory.
CRASH = re.compile(r'Segmentation fault|PANIC|Aborted|core dumped|'
                   r'AddressSanitizer|LeakSanitizer|runtime error:|'
                   r'double free|corrupted', re.I)


def tproc_preload():
    """LD_PRELOAD for testpmd in a sanitizer build, or None (see
    test/pair/tproc.py preload_env)."""
    lib = os.environ.get('TANDEM_PRELOAD')
    if not lib:
        return None
    old = os.environ.get('LD_PRELOAD')
    return lib + (':' + old if old else '')


class Fail(Exception):
    pass


def heal_prompt(buf):
    """Move an event line printed in the middle of the prompt
    ("t\nPort 0: link state change event\nestpmd> ") in front of it, so
    that the prompt is whole and the event stays in the transcript."""
    if b'event' not in buf:
        return buf
    p = testpmd.PROMPT
    for m in reversed(list(testpmd.ASYNC_LINE.finditer(buf))):
        s, e = m.span()
        for i in range(1, len(p)):
            if buf[:s].endswith(p[:i]) and buf[e:].startswith(p[i:]):
                buf = buf[:s - i] + buf[s:e] + p + buf[e + len(p) - i:]
                break
    return buf


class Session(testpmd.Testpmd):
    """testpmd.Testpmd that also tolerates asynchronous event lines (link
    state change) printed after the prompt, and keeps the whole transcript
    for checks."""

    def __init__(self, *a, **kw):
        self._carry = b''
        super().__init__(*a, **kw)

    def read_until_prompt(self, timeout):
        deadline = time.monotonic() + timeout
        buf, self._carry = self._carry, b''
        fd = self.proc.stdout.fileno()
        while True:
            buf = heal_prompt(buf)
            if buf.endswith(testpmd.PROMPT):
                break
            # An event printed right after the prompt: the prompt is
            # there, the line after it is not a reply to anything.
            quiet = testpmd.PROMPT in buf
            left = deadline - time.monotonic()
            if left <= 0:
                raise testpmd.TestpmdError(
                    '%s: no prompt after %.0f s; output:\n%s' % (
                        self.name, timeout,
                        buf.decode(errors='replace')[-3000:]))
            r, _, _ = select.select([fd], [], [], 0.3 if quiet else
                                    min(left, 0.5))
            if not r:
                if quiet:
                    cut = buf.rindex(testpmd.PROMPT)
                    buf, self._carry = (buf[:cut + len(testpmd.PROMPT)],
                                        buf[cut + len(testpmd.PROMPT):])
                    break
                if self.proc.poll() is not None:
                    raise testpmd.TestpmdError('%s exited (%s); output:\n%s'
                                               % (self.name,
                                                  self.proc.returncode,
                                                  buf.decode(
                                                      errors='replace')
                                                  [-3000:]))
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                # (a crash or a sanitizer report: show what came last)
                raise testpmd.TestpmdError(
                    '%s closed its output; last output:\n%s' % (
                        self.name, buf.decode(errors='replace')[-3000:]))
            buf += chunk
        self.output += buf
        text = buf[:-len(testpmd.PROMPT)].decode(errors='replace')
        if self.log:
            self.log.write(text)
        return text

    def mark(self):
        return len(self.output)

    def since(self, mark):
        return self.output[mark:].decode(errors='replace')

    def wait_output(self, mark, regex, timeout=10.0):
        """Wait until regex shows up in the output after mark (events are
        printed by testpmd's interrupt thread whenever they happen)."""
        end = time.monotonic() + timeout
        while True:
            m = re.search(regex, self.since(mark))
            if m:
                return m
            if time.monotonic() > end:
                return None
            time.sleep(0.2)
            self.cmd('show port summary all')

    def fds(self):
        """testpmd's open fds: {fd: target}. (stdbuf execs testpmd, so
        the child's pid is testpmd's.)"""
        d = '/proc/%d/fd' % self.proc.pid
        out = {}
        for n in os.listdir(d):
            try:
                out[int(n)] = os.readlink(os.path.join(d, n))
            except OSError:
                pass
        return out


class Checker:
    def __init__(self):
        self.failures = []

    def ok(self, cond, what):
        print('%s: %s' % ('ok  ' if cond else 'FAIL', what))
        if not cond:
            self.failures.append(what)
        return cond

    def must(self, cond, what):
        if not self.ok(cond, what):
            raise Fail(what)


def port_info(text):
    """'show port info N' as {field: value}."""
    out = {}
    for line in text.splitlines():
        if ':' in line:
            k, v = line.split(':', 1)
            out[k.strip()] = v.strip()
    return out


def xstats(text):
    out = {}
    for m in re.finditer(r'^(\w+): (\d+)$', text, re.M):
        out[m.group(1)] = int(m.group(2))
    return out


def fwd_stats(text):
    """{port: (rx, tx)} from the 'Forward statistics for port N' blocks
    printed by `stop`."""
    out = {}
    for m in re.finditer(r'Forward statistics for port (\d+)\s+-+\s+'
                         r'RX-packets:\s+(\d+).*?TX-packets:\s+(\d+)',
                         text, re.S):
        out[int(m.group(1))] = (int(m.group(2)), int(m.group(3)))
    return out


def fd_diff(before, after):
    """New and vanished fds; an fd whose target moved to another number
    (EAL re-creates its epoll instance) is neither."""
    new = {f: t for f, t in after.items() if before.get(f) != t}
    gone = {f: t for f, t in before.items() if after.get(f) != t}
    for f, t in list(new.items()):
        match = [g for g, u in gone.items() if u == t]
        if match:
            del new[f]
            del gone[match[0]]
    return new, gone


class Setup:
    def __init__(self, a, tmp):
        self.a = a
        self.sock = os.path.join(tmp, 'vhost.sock')
        q = a.queues
        tandem_host = a.dut == 'vhost' or a.peer == 'tandem'
        tandem_guest = a.dut == 'virtio' or a.peer == 'tandem'
        self.host_drv = 'net_tandem_vhost' if tandem_host else 'net_vhost'
        self.guest_drv = ('net_tandem_virtio' if tandem_guest
                          else 'net_virtio_user')
        self.host_vdev = '%s0,iface=%s,queues=%d' % (self.host_drv,
                                                    self.sock, q)
        self.guest_vdev = '%s0,path=%s,queues=%d' % (self.guest_drv,
                                                    self.sock, q)
        if a.dut == 'virtio' and a.peer == 'stock':
            # What a stock user's command line has: net_virtio_user
            # refuses queues > 1 without its control queue.
            self.guest_vdev += ',cq=1'
        self.dut_port = 0 if a.dut == 'vhost' else 1
        self.peer_port = 1 - self.dut_port
        self.dut_drv = self.host_drv if a.dut == 'vhost' else self.guest_drv
        self.dlopen = []
        for need, so in ((tandem_host, a.vhost_pmd),
                         (tandem_guest, a.virtio_pmd)):
            if need:
                if not so or not os.path.exists(so):
                    print('SKIP: driver %r not built' % so)
                    sys.exit(SKIP)
                self.dlopen += ['-d', so]


def traffic(tp, c, s, seconds, what):
    """start tx_first, run, stop; every port must receive and send, and
    every DUT queue pair must move in both directions."""
    q = s.a.queues
    x0 = xstats(tp.cmd('show port xstats %d' % s.dut_port))
    tp.cmd('start tx_first')
    time.sleep(seconds)
    fs = fwd_stats(tp.cmd('stop'))
    for p in (0, 1):
        rx, tx = fs.get(p, (0, 0))
        c.ok(rx > 0 and tx > 0,
             '%s: port %d forwarded rx=%d tx=%d' % (what, p, rx, tx))
    x1 = xstats(tp.cmd('show port xstats %d' % s.dut_port))
    for d in ('rx', 'tx'):
        for i in range(q):
            n = '%s_q%d_packets' % (d, i)
            c.ok(n in x1 and x1[n] > x0.get(n, 0),
                 '%s: %s xstat %s moved %s -> %s' % (
                     what, s.dut_drv, n, x0.get(n), x1.get(n)))
    for d in ('rx', 'tx'):
        per_q = sum(x1.get('%s_q%d_packets' % (d, i), 0) for i in range(q))
        c.ok(x1.get('%s_good_packets' % d) == per_q,
             '%s: %s_good_packets %s = sum of %s_q*_packets %d' % (
                 what, d, x1.get('%s_good_packets' % d), d, per_q))
    return x1


def link_of(tp, port):
    return port_info(tp.cmd('show port info %d' % port)).get('Link status')


def lsc_event(tp, c, mark, port, what):
    c.ok(tp.wait_output(mark, r'Port %d: link state change event' % port)
         is not None, '%s: link state change event on port %d'
         % (what, port))


def session_port(a, log):
    c = Checker()
    tmp = tempfile.mkdtemp(prefix='tandem-testpmd-')
    s = Setup(a, tmp)
    q = a.queues
    prefix = 'tandem-testpmd-%d' % os.getpid()
    tp = None
    try:
        tp = Session(['-l', '0,1', '--file-prefix=' + prefix] + EAL +
                     s.dlopen + ['--vdev', s.host_vdev],
                     ['--nb-cores=1', '--rxq=%d' % q, '--txq=%d' % q],
                     name='testpmd', log=log)
        host = port_info(tp.cmd('show port info 0'))
        c.ok(host.get('Driver name') == s.host_drv,
             'port 0 driver name %r' % host.get('Driver name'))
        c.ok(host.get('Link status') == 'down',
             'port 0 link %r before any guest' % host.get('Link status'))
        c.ok(host.get('Max possible RX queues') == str(q) and
             host.get('Max possible TX queues') == str(q),
             'port 0 max queues rx %s tx %s = queues=%d' % (
                 host.get('Max possible RX queues'),
                 host.get('Max possible TX queues'), q))

        c.ok(host.get('MTU') == '1500', 'port 0 MTU %r' % host.get('MTU'))

        # The guest arrives at run time. Tandem's guest takes its MTU from
        # a devarg (stock virtio-user 22.11 has none).
        fds0 = tp.fds()
        tandem_guest = s.guest_drv == 'net_tandem_virtio'
        # (stock virtio-user sets DRIVER_OK at probe, Tandem's at start:
        # the host's event may come with either)
        m = tp.mark()
        out = tp.cmd('port attach %s%s' % (s.guest_vdev, ',mtu=2000'
                                           if tandem_guest else ''))
        c.must('Port 1 is attached' in out, 'port attach of the guest')
        guest = port_info(tp.cmd('show port info 1'))
        c.ok(guest.get('Driver name') == s.guest_drv,
             'port 1 driver name %r' % guest.get('Driver name'))
        if tandem_guest:
            c.ok(guest.get('MTU') == '2000',
                 'port 1 MTU %r from mtu=2000' % guest.get('MTU'))
        c.ok(guest.get('Max possible RX queues') == str(q) and
             guest.get('Max possible TX queues') == str(q),
             'port 1 max queues rx %s tx %s = queues=%d' % (
                 guest.get('Max possible RX queues'),
                 guest.get('Max possible TX queues'), q))
        tp.cmd('port start 1')
        lsc_event(tp, c, m, 0, 'guest started')
        c.ok(link_of(tp, 0) == 'up', 'port 0 link up with the guest')
        c.ok(link_of(tp, 1) == 'up', 'port 1 link up')
        x = xstats(tp.cmd('show port xstats %d' % s.dut_port))
        names = ['%s_q%d_packets' % (d, i) for d in ('rx', 'tx')
                 for i in range(q)]
        c.ok(all(n in x for n in names),
             'DUT xstats name per-queue counters %s' % ', '.join(names))

        traffic(tp, c, s, 2.0, 'loop')

        d = s.dut_port
        before = port_info(tp.cmd('show port info %d' % d)).get('MTU')
        out = tp.cmd('port config mtu %d 9000' % d)
        mtu = port_info(tp.cmd('show port info %d' % d)).get('MTU')
        if s.a.dut == 'virtio':
            # testpmd's 2 KiB mbufs without the scatter offload: 9000 B
            # frames would all be dropped, so the guest refuses (as
            # stock virtio does); a frame that fits is taken.
            c.ok(mtu == before and mtu != '9000',
                 'port config mtu %d 9000 without scatter: MTU %r, want '
                 '%r (refused)' % (d, mtu, before))
            tp.cmd('port config mtu %d 2000' % d)
            mtu = port_info(tp.cmd('show port info %d' % d)).get('MTU')
            c.ok(mtu == '2000', 'port config mtu %d 2000: MTU %r' % (d, mtu))
        else:
            c.ok(mtu == '9000', 'port config mtu %d 9000: MTU %r' % (d, mtu))
        tp.cmd('port config mtu %d 1500' % d)

        # stop and start the DUT: traffic resumes
        m = tp.mark()
        tp.cmd('port stop %d' % s.dut_port)
        if s.dut_port == 1:
            lsc_event(tp, c, m, 0, 'guest stopped')
            c.ok(link_of(tp, 0) == 'down', 'port 0 link down, guest stopped')
            # The guest's link is its own state; the host's link says
            # whether a guest is there (stock net_vhost does the same).
            c.ok(link_of(tp, 1) == 'down', 'port 1 link down when stopped')
        m = tp.mark()
        tp.cmd('port start %d' % s.dut_port)
        if s.dut_port == 1:
            lsc_event(tp, c, m, 0, 'guest restarted')
        c.ok(link_of(tp, 0) == 'up' and link_of(tp, 1) == 'up',
             'both links up after port start %d' % s.dut_port)
        traffic(tp, c, s, 1.0, 'after port stop/start %d' % s.dut_port)

        # guest detached at run time (testpmd's way: stop, detach), then
        # attached again: nothing of it may stay behind
        m = tp.mark()
        tp.cmd('port stop 1')
        out = tp.cmd('port detach 1')
        c.ok('Device is detached' in out, 'port detach 1 (stopped guest)')
        lsc_event(tp, c, m, 0, 'guest detached')
        c.ok(link_of(tp, 0) == 'down', 'port 0 link down, guest detached')
        time.sleep(0.5)
        new, gone = fd_diff(fds0, tp.fds())
        c.ok(not new and not gone,
             'testpmd fds after guest attach+detach as before (new %s, '
             'gone %s)' % (new, gone))
        m = tp.mark()
        out = tp.cmd('port attach %s' % s.guest_vdev)
        c.must('Port 1 is attached' in out, 'port attach of the guest again')
        tp.cmd('port start 1')
        lsc_event(tp, c, m, 0, 'guest re-attached')
        traffic(tp, c, s, 1.0, 'after re-attach')

        if s.a.peer == 'stock' and s.dut_port == 0:
            # Stock virtio-user gets SIGPIPE when its back-end closes
            # under it (DPDK 22.11, seen with stock net_vhost too): take
            # it away first.
            tp.cmd('port stop 1')
            tp.cmd('port detach 1')
        # close, then detach the DUT. ethdev releases the port at close,
        # so testpmd may answer the detach with "Invalid port_id": that
        # is testpmd's business, the process must go on and exit 0.
        m = tp.mark()
        tp.cmd('port stop %d' % s.dut_port)
        out = tp.cmd('port close %d' % s.dut_port)
        c.ok('Port %d is closed' % s.dut_port in out,
             'port close %d' % s.dut_port)
        tp.cmd('port detach %d' % s.dut_port)
        if s.dut_port == 0 and s.a.peer == 'tandem':
            # the host went away under a running guest
            c.ok(tp.wait_output(m, r'Port 1: link state change event')
                 is not None, 'guest saw the host close')
        summary = tp.cmd('show port summary all')
        left = 0 if s.a.peer == 'stock' and s.dut_port == 0 else 1
        c.ok('Number of available ports: %d' % left in summary,
             '%d port(s) left after close+detach of the DUT' % left)
    except (testpmd.TestpmdError, Fail) as e:
        c.failures.append(str(e))
        print('FAIL: %s' % e)
    finally:
        rc = tp.close() if tp else None
        if tp:
            text = tp.output.decode(errors='replace')
            c.ok(rc == 0 and 'Bye...' in text, 'quit: exit status %s' % rc)
            crash = CRASH.search(text)
            c.ok(crash is None, 'no crash in the output (%s)' %
                 (crash.group(0) if crash else 'none'))
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(testpmd_runtime(prefix), ignore_errors=True)
    return c


def testpmd_runtime(prefix):
    base = '/var/run/dpdk' if os.geteuid() == 0 else os.path.join(
        os.environ.get('XDG_RUNTIME_DIR', '/tmp'), 'dpdk')
    return os.path.join(base, prefix)


def session_probe_errors(a, log):
    c = Checker()
    tmp = tempfile.mkdtemp(prefix='tandem-testpmd-')
    sock = os.path.join(tmp, 'vhost.sock')
    prefix = 'tandem-testpmd-%d' % os.getpid()
    if a.dut == 'virtio':
        so, name = a.virtio_pmd, 'net_tandem_virtio0'
        base = '%s,path=%s' % (name, sock)
        bad = [(',bogus=1', r'unknown devarg "bogus"'),
               (',queues=abc', r'queues=abc'),
               (',queues', r'devarg queues\b'),
               (',packed_vq=2', r'packed_vq=2'),
               (',cq=2', r'devarg cq=2: expected a number in \[0, 1\]'),
               (',iface=tap0', r'devarg iface=tap0: names the tap device '
                r'of a vhost-kernel back-end .* speaks vhost-user only')]
        regular = os.path.join(tmp, 'regular')
        open(regular, 'w').close()
        # Another base: path= is the one being wrong.
        bad_paths = [('/dev/null', r'/dev/null: .*\(a character device, '
                      r'not a vhost-user socket: vhost-kernel back-ends'),
                     (regular, r'regular: .*\(not a socket\)')]
        # server=1: the probe succeeds without a back-end; cq=1 as stock
        # command lines have it
        good = base + ',server=1,queues=2,cq=1'
    else:
        so, name = a.vhost_pmd, 'net_tandem_vhost0'
        base = '%s,iface=%s' % (name, sock)
        bad = [(',bogus=1', r'unknown devarg "bogus"'),
               (',queues=abc', r'queues=abc'),
               (',queues=0', r'queues=0'),
               (',tso=1', r'tso=1 is not supported'),
               (',max-guest-mem=512K', r'max-guest-mem=512K is not a size'),
               (',copy=avx3', r'copy=avx3 is not one of auto, sse, avx2')]
        bad_paths = []
        good = base
    if not so or not os.path.exists(so):
        print('SKIP: driver %r not built' % so)
        sys.exit(SKIP)
    tp = None
    try:
        tp = Session(['-l', '0,1', '--file-prefix=' + prefix] + EAL +
                     ['-d', so], ['--nb-cores=1'], name='testpmd', log=log)
        for suffix, regex in bad:
            out = tp.cmd('port attach %s%s' % (base, suffix))
            c.ok(re.search(r'%s: .*%s' % (name.rstrip('0'), regex), out)
                 is not None and 'Failed to attach port' in out and
                 'is attached' not in out,
                 'attach with %s refused, message matches /%s/'
                 % (suffix[1:], regex))
            summary = tp.cmd('show port summary all')
            c.must('Number of available ports: 0' in summary,
                   'testpmd alive and without a port after %s' % suffix[1:])
        for path, regex in bad_paths:
            out = tp.cmd('port attach %s,path=%s' % (name, path))
            c.ok(re.search(r'%s: .*%s' % (name, regex), out) is not None
                 and 'Failed to attach port' in out and
                 'is attached' not in out,
                 'attach with path=%s refused, message matches /%s/'
                 % (path, regex))
        out = tp.cmd('port attach %s' % good)
        c.ok('Port 0 is attached' in out,
             'the same device name attaches with good devargs')
        if a.dut == 'virtio':
            c.ok(re.search(r'%s: cq=1 has no effect: net_tandem_virtio '
                           r'needs no control queue' % name, out)
                 is not None, 'cq=1 accepted and logged as without effect')
        if a.dut == 'vhost':
            # the copy level in use, named in the port's NOTICE line
            c.ok(re.search(r'queues=1, copy (sse|avx2|avx512), mac', out)
                 is not None, 'the NOTICE line names the copy level')
        out = tp.cmd('port detach 0')
        c.ok('Device is detached' in out, 'and detaches')
    except (testpmd.TestpmdError, Fail) as e:
        c.failures.append(str(e))
        print('FAIL: %s' % e)
    finally:
        rc = tp.close() if tp else None
        if tp:
            text = tp.output.decode(errors='replace')
            c.ok(rc == 0 and 'Bye...' in text, 'quit: exit status %s' % rc)
            crash = CRASH.search(text)
            c.ok(crash is None, 'no crash in the output (%s)' %
                 (crash.group(0) if crash else 'none'))
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(testpmd_runtime(prefix), ignore_errors=True)
    return c


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument('--dut', choices=['vhost', 'virtio'], required=True)
    ap.add_argument('--peer', choices=['tandem', 'stock'], default='tandem')
    ap.add_argument('--session', choices=['port', 'probe-errors'],
                    default='port')
    ap.add_argument('--queues', type=int, default=2)
    ap.add_argument('--vhost-pmd', default='')
    ap.add_argument('--virtio-pmd', default='')
    ap.add_argument('--verbose', '-v', action='store_true',
                    help='print the testpmd transcript as it runs')
    a = ap.parse_args()
    if shutil.which('dpdk-testpmd') is None or shutil.which('stdbuf') is None:
        print('SKIP: dpdk-testpmd or stdbuf not installed')
        return SKIP
    print('config: dut=%s peer=%s session=%s queues=%d'
          % (a.dut, a.peer, a.session, a.queues))
    # A sanitizer build (devtools/sanitize.sh): the stock testpmd needs the
    # runtime of the instrumented plugins preloaded. Every child of this
    # runner is a testpmd.
    env = tproc_preload()
    if env is not None:
        os.environ['LD_PRELOAD'] = env
    log = open(os.devnull, 'w') if not a.verbose else sys.stdout

    class Tee:
        """Keep the transcript to show it when something failed."""
        def __init__(self):
            self.parts = []

        def write(self, s):
            self.parts.append(s)
            log.write(s)

    tee = Tee()
    t0 = time.monotonic()
    if a.session == 'port':
        c = session_port(a, tee)
    else:
        c = session_probe_errors(a, tee)
    if c.failures and not a.verbose:
        print('---- testpmd transcript (last 150 lines) ----')
        print('\n'.join(''.join(tee.parts).splitlines()[-150:]))
    print('%s dut=%s peer=%s session=%s (%d failed checks, %.1f s)' % (
        'FAIL' if c.failures else 'PASS', a.dut, a.peer, a.session,
        len(c.failures), time.monotonic() - t0))
    return 1 if c.failures else 0


if __name__ == '__main__':
    sys.exit(main())
