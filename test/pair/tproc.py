# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 Tandem developers
"""Bounded child processes for the pair, reconnect and VM test runners.

Every child runs in its own session (process group) with its output in a
file under the run's temporary directory, so a runner can wait for a line,
kill the whole group, and show the output when something fails. Run.close()
kills whatever is left, removes the temporary directory and the DPDK
runtime directories of the file prefixes it handed out: nothing stays
behind in /tmp or /var/run/dpdk.
"""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

SKIP = 77


def dpdk_runtime_dir(prefix):
    """Where EAL keeps its runtime files for --file-prefix=prefix."""
    if os.geteuid() == 0:
        base = '/var/run/dpdk'
    else:
        base = os.path.join(os.environ.get('XDG_RUNTIME_DIR', '/tmp'), 'dpdk')
    return os.path.join(base, prefix)


def preload_env():
    """The environment for an uninstrumented program (dpdk-testpmd) that
    loads Tandem's plugins from a sanitizer build: devtools/sanitize.sh
    sets TANDEM_PRELOAD to the sanitizer runtime, which must come first
    in the program's library list. None (inherit) otherwise."""
    lib = os.environ.get('TANDEM_PRELOAD')
    if not lib:
        return None
    env = dict(os.environ)
    old = env.get('LD_PRELOAD')
    env['LD_PRELOAD'] = lib + (':' + old if old else '')
    return env


class Proc:
    def __init__(self, run, name, argv, stdin=None, env=None):
        self.name = name
        self.argv = argv
        self.log_path = os.path.join(run.dir, name + '.log')
        self._log = open(self.log_path, 'wb')
        self.p = subprocess.Popen(argv, stdout=self._log,
                                  stderr=subprocess.STDOUT,
                                  stdin=stdin if stdin is not None
                                  else subprocess.DEVNULL,
                                  start_new_session=True, env=env)
        self.stdin = self.p.stdin
        self.t0 = time.monotonic()

    def output(self):
        with open(self.log_path, 'rb') as f:
            return f.read().decode('utf-8', 'replace')

    def alive(self):
        return self.p.poll() is None

    def wait_line(self, needle, timeout, count=1):
        """Wait until `needle` occurs `count` times in the output. Returns
        True, or False on timeout or when the process exits first."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.output().count(needle) >= count:
                return True
            if not self.alive():
                return self.output().count(needle) >= count
            time.sleep(0.05)
        return False

    def wait(self, timeout):
        """Exit status, or None when it is still running after timeout."""
        try:
            return self.p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def send(self, sig):
        if self.alive():
            try:
                os.killpg(self.p.pid, sig)
            except ProcessLookupError:
                pass

    def kill(self):
        self.send(signal.SIGKILL)
        try:
            self.p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        # a killed group leader may leave children behind
        try:
            os.killpg(self.p.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self._log.close()

    def stop(self, timeout, sig=signal.SIGINT):
        """Ask politely, then kill. Returns the exit status (None if it
        had to be killed)."""
        self.send(sig)
        rc = self.wait(timeout)
        if rc is None:
            self.kill()
        return rc

    def tail(self, n=40):
        lines = self.output().splitlines()
        return '\n'.join('  [%s] %s' % (self.name, l) for l in lines[-n:])

    def last_line(self, start):
        for line in reversed(self.output().splitlines()):
            if line.startswith(start):
                return line
        return None


class Run:
    """A temporary directory, the processes and file prefixes of one test."""

    def __init__(self, tag):
        self.dir = tempfile.mkdtemp(prefix='tandem-%s-' % tag)
        self.procs = []
        self.prefixes = []
        self.tag = tag
        # Called by close() once the processes are gone, before the
        # directory is removed (e.g. to unmount something inside it).
        self.on_close = None

    def prefix(self, role):
        p = 'tandem-%s-%d-%s' % (self.tag, os.getpid(), role)
        self.prefixes.append(p)
        return p

    def path(self, name):
        return os.path.join(self.dir, name)

    def start(self, name, argv, stdin=None, env=None):
        proc = Proc(self, name, argv, stdin, env)
        self.procs.append(proc)
        return proc

    def close(self):
        for proc in self.procs:
            if proc.alive():
                proc.kill()
            elif not proc._log.closed:
                proc._log.close()
        if self.on_close is not None:
            hook, self.on_close = self.on_close, None
            hook()
        for p in self.prefixes:
            shutil.rmtree(dpdk_runtime_dir(p), ignore_errors=True)
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def wait_path(path, proc, timeout):
    """Wait for a (socket) file to appear while proc lives."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if os.path.exists(path):
            return True
        if proc is not None and not proc.alive():
            return False
        time.sleep(0.05)
    return False


def install_signal_cleanup(run):
    """meson kills a timed-out test with SIGTERM: clean up before dying."""
    def handler(sig, frame):
        run.close()
        sys.exit(1)
    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
