#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 Tandem developers
"""Run test_tv_mem_event: a stock net_vhost host process and a
net_tandem_virtio guest process on hugepages in dynamic memory mode, which
allocates memory after its port started (see test_tv_mem_event.c).

usage: mem_event.py <test_tv_mem_event> <librte_net_tandem_virtio.so>

As root it reserves 2 MB pages (/proc/sys/vm/nr_hugepages) and mounts a
private hugetlbfs, and puts both back at the end; exit 77 (skip) when that
is not possible, with the reason. Once the pages are there the processes
have no reason to skip: the test fails unless both exit 0.
"""
import os
import subprocess
import sys
import tempfile
import time

NR = "/proc/sys/vm/nr_hugepages"
PAGES = 48  # the guest's second pool needs ~18 MB, the first ~2 MB
N_PKTS = 2000


def meminfo(key):
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def skip(msg):
    print("SKIP: " + msg)
    sys.exit(77)


def verdict(rg, rh):
    """The exit code for the guest's and the host's: 0 only if both passed.
    Any other code of either, 77 included (the programs never skip, and a
    skip of one would hide a failure of the other), fails the test."""
    for who, rc in (("guest", rg), ("host", rh)):
        if rc != 0:
            print("FAIL: the %s process exited %d%s" %
                  (who, rc, " (timeout)" if rc == 124 else ""))
    return 0 if rg == 0 and rh == 0 else 1


def set_nr(n):
    with open(NR, "w") as f:
        f.write("%d\n" % n)


def main():
    exe, plugin = sys.argv[1], sys.argv[2]
    if os.geteuid() != 0:
        skip("hugepages need root")
    if meminfo("Hugepagesize") != 2048:
        skip("default hugepage size is not 2 MB")
    tmp = tempfile.mkdtemp(prefix="tv-mem-event-")
    hugedir = os.path.join(tmp, "huge")
    sock = os.path.join(tmp, "s.sock")
    with open(NR) as f:
        prev = int(f.read())
    mounted = False
    procs = []
    try:
        free = meminfo("HugePages_Free")
        if free < PAGES:
            try:
                set_nr(prev + PAGES - free)
            except OSError as e:
                skip("cannot set nr_hugepages: %s" % e)
        if meminfo("HugePages_Free") < PAGES:
            skip("only %d free hugepages" % meminfo("HugePages_Free"))
        os.mkdir(hugedir)
        r = subprocess.run(["mount", "-t", "hugetlbfs", "-o", "pagesize=2M",
                            "nodev", hugedir], capture_output=True, text=True)
        if r.returncode != 0:
            skip("cannot mount hugetlbfs: %s" % r.stderr.strip())
        mounted = True
        host = subprocess.Popen(["timeout", "60", exe, "host", sock,
                                 str(N_PKTS)])
        procs.append(host)
        for _ in range(100):
            if os.path.exists(sock):
                break
            time.sleep(0.05)
        guest = subprocess.Popen(["timeout", "60", exe, "guest", sock,
                                  str(N_PKTS), plugin, hugedir])
        procs.append(guest)
        rg = guest.wait()
        rh = host.wait()
        print("guest exit %d, host exit %d" % (rg, rh))
        return verdict(rg, rh)
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        if mounted:
            for name in os.listdir(hugedir):
                try:
                    os.unlink(os.path.join(hugedir, name))
                except OSError:
                    pass
            subprocess.run(["umount", hugedir], capture_output=True)
        try:
            set_nr(prev)
        except OSError as e:
            print("WARNING: could not restore nr_hugepages=%d: %s" % (prev, e))
        for path in (sock, hugedir, tmp):
            try:
                if os.path.isdir(path):
                    os.rmdir(path)
                else:
                    os.unlink(path)
            except OSError:
                pass


if __name__ == "__main__":
    sys.exit(main())
