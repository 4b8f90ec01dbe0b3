# SPDX-License-Identifier: BSD-3-Clause
# Route churn under traffic: while a paced IPv4 + IPv6 stream from h1 crosses the router to h2
# over two routes that never change, the control thread adds, replaces and deletes thousands of
# other routes through the CLI -- siblings in the same FIB groups, covering prefixes, host routes,
# ECMP groups, blackholes, in two VRFs. Every packet of the stream must arrive (counted by
# sequence number), the daemon must stay up and exit cleanly, and once the churn routes are gone
# the FIB is back to its size before (no group leaked). Under an ASan build (SLUICE_BUILD pointing
# at one) the durations are scaled and a sanitizer report fails the test. SLUICE_L3_CHURN_S sets
# the churn duration (12 s; x1.5 under ASan).
#
#   h1 p1 routed -- r1 10.1.0.254/24 2001:db8:1::fe/64      vrf default, and vrf red (r3: no host)
#   h2 p2 routed -- r2 10.2.0.254/24 2001:db8:2::fe/64
#   unchanged: 10.88.0.0/25 via 10.2.0.50, 2001:db8:88::/64 via 2001:db8:2::50 (static neighbours)
import ipaddress
import os
import random
import time

import pytest

from conftest import RawClient, build_dir
from l2util import is_asan_build
from l3util import host_addrs, module_topology, wait_until

CHURN_S = float(os.environ.get("SLUICE_L3_CHURN_S", "12"))
RATE_PPS = 1000
GW_MAC = "02:4c:00:00:00:50"
# Two workers (lcores 1 and 2 share CPU 1): each reads the FIB while the control thread writes it.
TWO_WORKERS = ("--lcores", "0@0,1@1,2@1")

CONFIG = [
    "vrf add red table 100",
    "interface add r1 port p1 vrf default",
    "interface add r2 port p2 vrf default",
    "interface add r3 port p3 vrf red",
    "interface set r1 address 10.1.0.254/24",
    "interface set r1 address 2001:db8:1::fe/64",
    "interface set r2 address 10.2.0.254/24",
    "interface set r2 address 2001:db8:2::fe/64",
    "interface set r3 address 10.3.0.254/24",
]


@pytest.fixture(scope="module")
def t():
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=0:halt_on_error=1")
    yield from module_topology(3, CONFIG, {1: host_addrs(1), 2: host_addrs(2)},
                               eal_cores=TWO_WORKERS, env=env, qpairs=2)


def churn_prefixes(rnd):
    """A random churn route: (vrf, prefix, spec). Never one that covers 10.88.0.5 or
    2001:db8:88::5 more specifically than the unchanged routes."""
    k = rnd.randrange(10)
    if k == 0:   # host routes in the other half of the unchanged /25's group
        p = f"10.88.0.{rnd.randrange(128, 256)}/32"
    elif k == 1:  # siblings in the same /16 group
        p = f"10.88.{rnd.randrange(1, 256)}.0/24"
    elif k == 2:  # covering, less specific: must never win over the /25 (those sharing its
        # base address too: test_l3_cli.py::test_route_shadowed_at_its_base_address)
        p = rnd.choice(["10.0.0.0/8", "0.0.0.0/0", "10.64.0.0/10", "10.88.0.0/24",
                        "10.88.0.0/16"])
    elif k == 3:
        p = f"10.{rnd.randrange(89, 120)}.{rnd.randrange(256)}.{rnd.randrange(0, 256, 64)}/26"
    elif k == 4:
        p = f"2001:db8:88:0:{rnd.randrange(0x8000, 0x10000):x}::/80"
    elif k == 5:
        p = rnd.choice(["2001:db8::/32", "::/0", "2001:db8:80::/41", "2001:db8:88::/48"])
    elif k == 6:
        p = f"2001:db8:88:{rnd.randrange(1, 0x10000):x}::/64"
    elif k == 7:
        p = f"2001:db8:88:0:{rnd.randrange(0x8000, 0x10000):x}:0:0:{rnd.randrange(1, 99):x}/128"
    else:
        p = f"10.{rnd.randrange(120, 130)}.{rnd.randrange(256)}.0/24"
    v6 = ":" in p
    via = ["2001:db8:2::1", "2001:db8:2::51", "2001:db8:1::1"] if v6 else \
        ["10.2.0.1", "10.2.0.51", "10.1.0.1"]
    c = rnd.randrange(6)
    if c == 0:
        spec = rnd.choice(["blackhole", "unreachable", "prohibit"])
    elif c <= 2:
        spec = f"via {rnd.choice(via)}"
    else:
        spec = " ".join(f"via {g} weight {rnd.randint(1, 4)}" for g in rnd.sample(via, 2))
    vrf = "default"
    if not v6 and rnd.random() < 0.2:
        vrf, spec = "red", rnd.choice(["blackhole", "via 10.3.0.9", "unreachable"])
    return vrf, p, spec


def test_route_churn_loses_no_packet_of_unchanged_routes(t):
    h1, h2, px = t[1], t[2], t.px
    asan = is_asan_build(t.d.bin)
    duration = CHURN_S * (1.5 if asan else 1.0)
    # the unchanged routes' gateway has a MAC of its own (h2's agent sees every frame): a
    # packet that took a churn route to h2 (via 10.2.0.1) instead is told apart
    t.ok(f"neigh add 10.2.0.50 {GW_MAC} dev r2")
    t.ok(f"neigh add 2001:db8:2::50 {GW_MAC} dev r2")
    t.ok("route add 10.88.0.0/25 via 10.2.0.50")
    t.ok("route add 2001:db8:88::/64 via 2001:db8:2::50")
    base_cfg = t.ok("config show")
    forget_learned(t)
    fib0 = t.ok("show fib")
    t.ok("stats clear")
    drops0 = t.drops()
    ports0 = {p["name"]: p["stats"] for p in t.ok("show ports")}

    f4 = px.udp4(h1.mac, t.rmac["r1"], h1.ip4, "10.88.0.5", size=64)
    f6 = px.udp6(h1.mac, t.rmac["r1"], h1.ip6, "2001:db8:88::5", size=64)
    offs = [f.find(px.token) + len(px.token) for f in (f4, f6)]
    n = int(duration * RATE_PPS)
    h2.agent.take()
    h1.agent.stream([f4, f6], offs, n, 1.0 / RATE_PPS)

    rnd = random.Random(11)
    live = {}
    ops = 0
    c = RawClient(t.d.sock, timeout=30)
    t0 = time.monotonic()
    received = set()
    dup = misrouted = 0
    try:
        while time.monotonic() - t0 < duration:
            if live and (len(live) > 400 or rnd.random() < 0.4):
                key = rnd.choice(list(live))
                vrf, p = key
                c.ok(f"route del vrf {vrf} {p}")
                del live[key]
            else:
                vrf, p, spec = churn_prefixes(rnd)
                c.ok(f"route add vrf {vrf} {p} {spec}")
                live[(vrf, p)] = spec
            ops += 1
            if ops % 200 == 0:
                assert t.d.alive(), t.d.stderr()[-3000:]
                cnt, seqs, other = h2.agent.count(px.token, GW_MAC)
                dup += cnt - len(set(seqs))
                misrouted += other
                received.update(seqs)
        elapsed = time.monotonic() - t0
        wait_until(lambda: h1.agent.stream_status()["done"], 30, "the stream to finish")
        st = h1.agent.stream_status()
        assert st["sent"] == n, st

        def all_in():
            nonlocal dup, misrouted
            cnt, seqs, other = h2.agent.count(px.token, GW_MAC)
            dup += cnt - len(set(seqs))
            misrouted += other
            received.update(seqs)
            return len(received) >= n
        wait_until(all_in, 5, "every packet of the stream at h2",
                   show=lambda: f"{len(received)} of {n}; " + diag(t, ports0, drops0))
        time.sleep(0.3)
        all_in()
        lost = sorted(set(range(n)) - received)
        assert not lost, f"{len(lost)} of {n} packets lost during churn (first: {lost[:10]}); " \
            f"{misrouted} misrouted; " + diag(t, ports0, drops0)
        assert dup == 0 and received == set(range(n)), f"{dup} duplicates"
        assert misrouted == 0, f"{misrouted} packets reached h2 through a churn route"
        assert ops >= 1000, f"only {ops} route commands in {elapsed:.1f}s"
        print(f"{ops} route ops in {elapsed:.1f}s ({ops / elapsed:.0f}/s), {n} packets, "
              f"{st['elapsed']:.1f}s of stream, build {build_dir()}")
        # not-router-mac: the hosts' own multicast (MLD reports) on the routed ports, which
        # the router does not take; anything else would be the churn's doing.
        d = {k: v - drops0[k] for k, v in t.drops().items()
             if v != drops0[k] and k != "not-router-mac"}
        assert not d, f"drops during the churn: {d}"

        # the running config holds exactly the live churn routes, as replayable lines
        cfg = c.ok("config show")
        routes = [ln for ln in cfg if ln.startswith("route add")]
        assert len(routes) == len(live) + 2, (len(routes), len(live))
        in_cfg = {(ln.split()[3], str(ipaddress.ip_network(ln.split()[4]))) for ln in routes}
        assert {(vrf, str(ipaddress.ip_network(p))) for vrf, p in live} <= in_cfg
        # all churn routes gone: the FIB is back to its size (no group or node leaked)
        for vrf, p in list(live):
            c.ok(f"route del vrf {vrf} {p}")
        assert c.ok("config show") == base_cfg
        # neighbours the churn routes made resolve have host routes of their own
        forget_learned(t)
        wait_until(lambda: fib_used(t.ok("show fib")) == fib_used(fib0), 5,
                   "FIB groups back to their number before the churn",
                   show=lambda: (fib_used(t.ok("show fib")), fib_used(fib0)))
    finally:
        c.close()
    assert t.d.alive()
    t.d.stop()


def diag(t, ports0, drops0):
    """Where packets may have gone: port counters since the start, drops, worker stalls."""
    ports = {p["name"]: {k: v - ports0[p["name"]].get(k, 0) for k, v in p["stats"].items()}
             for p in t.ok("show ports") if p["name"] in ("p1", "p2")}
    drops = {k: v - drops0[k] for k, v in t.drops().items() if v != drops0[k]}
    workers = [{k: w.get(k) for k in ("worker", "max_loop_us", "rx_packets", "tx_packets")}
               for w in t.ok("show workers")]
    return f"ports {ports}, drops {drops}, workers {workers}"


def forget_learned(t):
    for (ip, dev), e in t.neigh().items():
        if e["state"] != "permanent":
            t.c.cmd(f"neigh del {ip} dev {dev}")


def fib_used(f):
    return {fam: (f[fam]["routes"], f[fam]["groups_used"], f[fam]["roots"])
            for fam in ("ipv4", "ipv6")}
