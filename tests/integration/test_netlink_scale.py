# SPDX-License-Identifier: BSD-3-Clause
# The netlink mirror under load: a 100,000-route `ip -batch` burst into a 4 KiB notification
# buffer (with sluiced stopped for its first 0.3 s, so that it overflows on any machine) overflows
# it (ENOBUFS) again and again, and Sluice still ends with exactly the kernel's table, adds and
# deletes alike; with the default buffer, the convergence time and rate of the
# same burst and the latency from `ip route add` to the first packet forwarded, printed (run with
# -s) for docs/netlink.md.
import os
import signal
import statistics
import subprocess
import time

import pytest

from nlutil import NlTopo, ip_batch, host_routes, wait_until

N = 100_000

RECEIVER = r'''
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 9000))
print("ready", flush=True)
data, _ = s.recvfrom(64)
print(time.monotonic(), int.from_bytes(data[:4], "big"), flush=True)
'''

SENDER = r'''
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
gap, end = float(sys.argv[2]), time.monotonic() + float(sys.argv[3])
t, i = time.monotonic(), 0
while t < end:
    s.sendto(i.to_bytes(4, "big") + bytes(28), (sys.argv[1], 9000))
    i += 1
    t += gap
    while time.monotonic() < t:
        pass
'''


def wait_count(t, want, timeout, what):
    """Monotonic time at which Sluice held `want` kernel routes (installed in its FIB)."""
    wait_until(lambda: t.nl()["installed"]["routes"] == want, timeout, what,
               interval=0.01, show=t.nl)
    return time.monotonic()


def burst_with_a_stall(t, lines, name):
    """`ip -batch` of lines while sluiced is stopped (SIGSTOP) for the first 0.3 s of it: the
    overflow happens whatever the machine's speed. Seconds the batch took."""
    path = t.dir / name
    path.write_text("\n".join(lines) + "\n")
    t0 = time.monotonic()
    os.kill(t.d.pid, signal.SIGSTOP)
    try:
        ip = subprocess.Popen(["ip", "netns", "exec", t.ns, "ip", "-batch", str(path)])
        time.sleep(0.3)
    finally:
        os.kill(t.d.pid, signal.SIGCONT)
    assert ip.wait(300) == 0
    return time.monotonic() - t0


def assert_same_as_kernel(t):
    kern = t.kernel_table() | t.kernel_table(family="-6")
    ours = set(t.kernel_routes())
    assert ours == kern, (len(ours), len(kern), sorted(ours - kern)[:5], sorted(kern - ours)[:5])


def test_overflow_resync_ends_identical_to_kernel_table():
    t = NlTopo(2, extra_config=["netlink set rcvbuf 4096"])
    try:
        add, _ = host_routes(N)
        dele, _ = host_routes(N, verb="del")
        # a few routes that stay, and one deleted in the middle of the burst
        t.ip("route", "add", "10.9.0.0/24", "via", "10.0.2.2", "dev", "sl-r2", "table", "100")
        t.ip("-6", "route", "add", "2001:db8:9::/64", "via", "2001:db8:2::2", "table", "100")
        t0 = time.monotonic()
        t_ip = burst_with_a_stall(t, add + ["route del 10.9.0.0/24 table 100"], "add")
        t_all = wait_count(t, N + 1, 60, f"{N} kernel routes mirrored after overflows") - t0
        nl = t.nl()
        assert nl["enobufs"] > 0 and nl["resyncs"] > 1, nl
        assert nl["rcvbuf_effective"] <= 16384, nl
        assert_same_as_kernel(t)
        t0 = time.monotonic()
        t_ipd = burst_with_a_stall(t, dele, "del")
        t_del = wait_count(t, 1, 60, "burst deletions mirrored after overflows") - t0
        assert_same_as_kernel(t)
        nl2 = t.nl()
        assert nl2["enobufs"] > nl["enobufs"], nl2
        print(f"\noverflow (rcvbuf 4096, effective {nl['rcvbuf_effective']}): {N} adds: ip -batch "
              f"{t_ip:.2f} s, identical to the kernel {t_all:.2f} s after the start, "
              f"{nl['enobufs']} ENOBUFS, {nl['resyncs']} resyncs; {N} deletes: ip -batch "
              f"{t_ipd:.2f} s, identical {t_del:.2f} s, {nl2['enobufs'] - nl['enobufs']} ENOBUFS, "
              f"{nl2['resyncs'] - nl['resyncs']} resyncs")
        assert t.nl()["state"] == "synced"
        assert t[1].ping(t[2].ip4, count=1).returncode == 0
        assert t.d.alive()
    finally:
        problems = t.close()
        if problems:
            pytest.fail("\n".join(problems), pytrace=False)


def first_packet_latency(t, prefix, dst, gw, dev):
    """Seconds from the start and from the end of `ip route add` to the first packet of a 2 kHz
    UDP stream reaching dst (on h2) through the new route."""
    h1, h2 = t[1], t[2]
    recv = subprocess.Popen(["ip", "netns", "exec", h2.ns, "/usr/bin/python3", "-u", "-c",
                             RECEIVER, dst], stdout=subprocess.PIPE, text=True)
    try:
        assert recv.stdout.readline().strip() == "ready"
        send = subprocess.Popen(["ip", "netns", "exec", h1.ns, "/usr/bin/python3", "-c", SENDER,
                                 dst, "0.0005", "3"])
        time.sleep(0.3)
        t0 = time.monotonic()
        subprocess.run(["ip", "netns", "exec", t.ns, "ip", "route", "add", prefix, "via", gw,
                        "dev", dev, "table", str(t.table)], check=True)
        t1 = time.monotonic()
        out, _ = recv.communicate(timeout=10)
        send.wait(10)
    finally:
        for p in (recv,):
            if p.poll() is None:
                p.kill()
    ta = float(out.split()[0])
    return ta - t0, ta - t1


def test_convergence_of_100k_routes_and_route_to_first_packet_latency():
    t = NlTopo(2)
    try:
        add, _ = host_routes(N)
        dele, _ = host_routes(N, verb="del")
        path = t.dir / "add"
        path.write_text("\n".join(add) + "\n")
        t0 = time.monotonic()
        t.ip("-batch", str(path), timeout=300)
        t_ip = time.monotonic() - t0
        t_all = wait_count(t, N, 60, f"{N} routes in the FIB") - t0
        nl = t.nl()
        assert_same_as_kernel(t)
        # the same table taken whole from a dump (netlink off, on): Sluice's own rate
        t.ok("netlink off")
        t0 = time.monotonic()
        t.ok("netlink on")
        t_dump = wait_count(t, N, 60, "routes back from the dump") - t0
        dump_ms = t.nl()["last_resync_ms"]
        t0 = time.monotonic()
        ip_batch(t, dele, "del")
        t_del = wait_count(t, 0, 60, "routes deleted") - t0
        print(f"\nnetlink convergence: {N} routes: ip -batch {t_ip:.2f} s, all in Sluice's FIB "
              f"{t_all:.2f} s after the start, {(t_all - t_ip) * 1000:.0f} ms after ip exited "
              f"({N / t_all:,.0f} routes/s), delete "
              f"{t_del:.2f} s; enobufs {nl['enobufs']}, resyncs {nl['resyncs']}; from a dump "
              f"(netlink on) {t_dump:.2f} s, resync {dump_ms:.0f} ms "
              f"({N / (dump_ms / 1000):,.0f} routes/s)")
        assert t_all < 30, t_all
        # route add -> first packet: h2 owns 10.200.k.1
        lat = []
        assert t[1].ping(t[2].ip4, count=1).returncode == 0  # gateway resolved
        for k in range(5):
            dst = f"10.200.{k}.1"
            t[2].sh("ip", "addr", "add", f"{dst}/32", "dev", "lo")
            lat.append(first_packet_latency(t, f"10.200.{k}.0/24", dst, "10.0.2.2", "sl-r2"))
        from_start = [a * 1000 for a, _ in lat]
        from_end = [b * 1000 for _, b in lat]
        print(f"route add -> first packet (2 kHz stream, 0.5 ms resolution), 5 runs: from the "
              f"start of `ip route add` median {statistics.median(from_start):.1f} ms max "
              f"{max(from_start):.1f} ms; from its exit median {statistics.median(from_end):.1f} "
              f"ms max {max(from_end):.1f} ms")
        assert max(from_start) < 1000, lat
    finally:
        problems = t.close()
        if problems:
            pytest.fail("\n".join(problems), pytrace=False)
