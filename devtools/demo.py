#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 Tandem developers
"""The main job: a host testpmd with net_tandem_vhost and a guest testpmd
with net_tandem_virtio forward traffic through each other (io forwarding on
both sides, primed with 32 bursts) for a few seconds; print the packet rate
in each direction.

  devtools/demo.py [--seconds 5] [--stock] [--build DIR]

--stock runs DPDK's own net_vhost / net_virtio_user instead, for comparison.
The host's forwarding lcore runs on core 0, the guest's on core 1.
"""

import argparse
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import testpmd  # noqa: E402

EAL = ["--no-huge", "-m", "1024", "--no-pci", "--log-level=*:notice"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--stock", action="store_true",
                    help="use DPDK's net_vhost and net_virtio_user")
    ap.add_argument("--build", default=testpmd.BUILD)
    args = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="tandem-demo-")
    sock = os.path.join(tmp, "vhost.sock")
    if args.stock:
        host_dev = ["--vdev", "net_vhost0,iface=%s" % sock]
        guest_dev = ["--vdev", "net_virtio_user0,path=%s" % sock]
        label = "stock net_vhost <-> stock net_virtio_user"
    else:
        host_dev = ["-d", testpmd.pmd_path(testpmd.VHOST_PMD, args.build),
                    "--vdev", "net_tandem_vhost0,iface=%s" % sock]
        guest_dev = ["-d", testpmd.pmd_path(testpmd.VIRTIO_PMD, args.build),
                     "--vdev", "net_tandem_virtio0,path=%s" % sock]
        label = "net_tandem_vhost <-> net_tandem_virtio"

    host = guest = None
    try:
        host = testpmd.Testpmd(
            ["-l", "0,1", "--main-lcore", "1", "--file-prefix=tdemo-host"]
            + EAL + host_dev, ["--nb-cores=1", "--forward-mode=io"],
            name="host")
        host.cmd("start")
        guest = testpmd.Testpmd(
            ["-l", "0,1", "--main-lcore", "0", "--file-prefix=tdemo-guest"]
            + EAL + guest_dev, ["--nb-cores=1", "--forward-mode=io"],
            name="guest")
        guest.cmd("start tx_first 32")
        time.sleep(1.0)  # warm-up
        h0, g0, t0 = host.port_counters(), guest.port_counters(), \
            time.monotonic()
        time.sleep(args.seconds)
        h1, g1, t1 = host.port_counters(), guest.port_counters(), \
            time.monotonic()
        hr = testpmd.rate(h0, h1, t1 - t0)
        gr = testpmd.rate(g0, g1, t1 - t0)
        g2h = hr[0][0]
        h2g = gr[0][0]
        print("%s, 64 B io loop, %.1f s" % (label, t1 - t0))
        print("guest -> host: %8.3f Mpps" % (g2h / 1e6))
        print("host -> guest: %8.3f Mpps" % (h2g / 1e6))
        guest.cmd("stop")
        host.cmd("stop")
        ok = g2h > 0 and h2g > 0
    except testpmd.TestpmdError as e:
        print("demo failed: %s" % e, file=sys.stderr)
        ok = False
    finally:
        for p in (guest, host):
            if p:
                p.close()
        try:
            os.unlink(sock)
        except OSError:
            pass
        os.rmdir(tmp)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
