# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 Tandem developers
"""Drive dpdk-testpmd interactively: start it, send commands, read replies.

Used by the demo (devtools/demo.py) and the benchmark (devtools/bench.py).
Every process is started in its own process group and killed on close, so
nothing keeps polling a core after a run.
"""

import os
import re
import select
import signal
import subprocess
import time

PROMPT = b"testpmd> "
# Lines other threads print at any moment, even in the middle of the
# prompt ("t\nPort 0: link state change event\nestpmd> ").
ASYNC_LINE = re.compile(rb"\n?Port \d+: [^\n]*event\n")


def _without_async(buf):
    return ASYNC_LINE.sub(b"", buf) if b"event" in buf else buf
BUILD = os.environ.get("TANDEM_BUILD", os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "build"))

VHOST_PMD = "drivers/net/tandem_vhost/librte_net_tandem_vhost.so"
VIRTIO_PMD = "drivers/net/tandem_virtio/librte_net_tandem_virtio.so"


def pmd_path(rel, build=None):
    return os.path.join(build or BUILD, rel)


class TestpmdError(RuntimeError):
    pass


class Testpmd:
    """One interactive dpdk-testpmd process."""

    def __init__(self, eal_args, app_args=(), name="testpmd", log=None,
                 timeout=30.0):
        self.name = name
        self.log = log
        cmd = ["stdbuf", "-o0", "dpdk-testpmd"] + list(eal_args) + ["--", "-i"] + \
            list(app_args)
        self.cmdline = " ".join(cmd)
        if log:
            log.write("+ %s\n" % self.cmdline)
        self.proc = subprocess.Popen(
            cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, start_new_session=True)
        self.output = b""
        self.read_until_prompt(timeout)

    def read_until_prompt(self, timeout):
        """Read output until the prompt; return the text before it."""
        deadline = time.monotonic() + timeout
        buf = b""
        fd = self.proc.stdout.fileno()
        while True:
            if PROMPT in _without_async(buf):
                # Asynchronous lines (link state change events) may follow
                # the prompt: take what arrives in a short quiet period.
                r, _, _ = select.select([fd], [], [], 0.05)
                if not r:
                    break
                chunk = os.read(fd, 65536)
                if not chunk:
                    break
                buf += chunk
                continue
            left = deadline - time.monotonic()
            if left <= 0:
                raise TestpmdError("%s: no prompt after %.0f s; output:\n%s"
                                   % (self.name, timeout, buf.decode(
                                       errors="replace")[-3000:]))
            r, _, _ = select.select([fd], [], [], min(left, 0.5))
            if not r:
                if self.proc.poll() is not None:
                    raise TestpmdError("%s exited (%s); output:\n%s" % (
                        self.name, self.proc.returncode,
                        buf.decode(errors="replace")[-3000:]))
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                raise TestpmdError("%s closed its output; output:\n%s" % (
                    self.name, buf.decode(errors="replace")[-3000:]))
            buf += chunk
        self.output += buf
        text = _without_async(buf).replace(PROMPT, b"").decode(
            errors="replace")
        if self.log:
            self.log.write(text)
        return text

    def cmd(self, line, timeout=30.0):
        if self.log:
            self.log.write("%s> %s\n" % (self.name, line))
        self.proc.stdin.write(line.encode() + b"\n")
        self.proc.stdin.flush()
        return self.read_until_prompt(timeout)

    def port_counters(self):
        """{port: (rx_packets, tx_packets)} from 'show port stats all'."""
        text = self.cmd("show port stats all")
        out = {}
        for m in re.finditer(
                r"statistics for port (\d+).*?RX-packets:\s+(\d+).*?"
                r"TX-packets:\s+(\d+)", text, re.S | re.I):
            out[int(m.group(1))] = (int(m.group(2)), int(m.group(3)))
        return out

    def close(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write(b"quit\n")
                self.proc.stdin.flush()
                self.proc.wait(timeout=15)
            except (BrokenPipeError, subprocess.TimeoutExpired, OSError):
                pass
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait()
        rest = self.proc.stdout.read() or b""
        self.output += rest
        if self.log and rest:
            self.log.write(rest.decode(errors="replace"))
        return self.proc.returncode


def rate(before, after, seconds):
    """Packets per second of each port's RX and TX between two samples."""
    res = {}
    for port, (rx1, tx1) in after.items():
        rx0, tx0 = before.get(port, (0, 0))
        res[port] = ((rx1 - rx0) / seconds, (tx1 - tx0) / seconds)
    return res
