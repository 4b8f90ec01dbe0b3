# SPDX-License-Identifier: BSD-3-Clause
# What the router says and holds: next-hop resolution (packets held while ARP/ND runs, then sent;
# ICMP host unreachable when the neighbour fails), ICMP/ICMPv6 errors (time exceeded, net and
# host unreachable, administratively prohibited, fragmentation needed / packet too big) with
# their types, codes and quoted packets, silent blackholes, the drop counters by reason, and the
# ICMP rate limit (1000/s, bursts of 50). Three Linux hosts in namespaces:
#
#   h1 p1 access 10 -- v10 10.1.0.254/24 2001:db8:1::fe/64 (the sender in most tests)
#   h2 p2 access 20 -- v20 10.2.0.254/24 2001:db8:2::fe/64
#   h3 p3 routed    -- r3  10.3.0.254/24 2001:db8:3::fe/64 (gateway of static routes)
import time

import pytest

from l3util import ROUTED3_CONFIG, ROUTED3_HOSTS, delta, module_topology, wait_frames, wait_until

ICMP_BURST = 50
ICMP_RATE = 1000


@pytest.fixture(scope="module")
def topo():
    yield from module_topology(3, ROUTED3_CONFIG, ROUTED3_HOSTS)


@pytest.fixture
def t(topo):
    topo.px.new_token()
    # the router knows h1 (errors to it are not held) and the rate limiter is full again
    for a in (topo[1].ip4, topo[1].ip6):
        topo[2].ping(a, count=1)
    time.sleep(0.1)
    for h in topo.hosts:
        h.agent.take()
    yield topo
    assert topo.d.alive(), f"sluiced died during the test:\n{topo.d.stderr()[-3000:]}"
    topo.clear_routes()
    topo.clear_neigh()
    topo.ok("interface set v20 mtu 1500")
    for h in topo.hosts:
        h.sh("ip", "route", "flush", "cache", check=False)
        h.sh("ip", "-6", "route", "flush", "cache", check=False)


def from_h1(t, dst, **kw):
    """A UDP frame from h1 to the router (v10), IPv4 or IPv6 by dst."""
    h1, px = t[1], t.px
    if ":" in dst:
        if "ttl" in kw:
            kw["hlim"] = kw.pop("ttl")
        return px.udp6(h1.mac, t.rmac["v10"], h1.ip6, dst, **kw)
    return px.udp4(h1.mac, t.rmac["v10"], h1.ip4, dst, **kw)


def icmp_errors(t, frames):
    """[(family, type, code, outer src, quoted packet (scapy), icmp layer)] of ICMP errors."""
    s = t.px.s
    out = []
    for raw in frames:
        p = t.px.parse(raw)
        if s.IP in p and s.ICMP in p:
            ic = p[s.ICMP]
            out.append((4, ic.type, ic.code, p[s.IP].src, p[s.IPerror], ic))
        elif s.IPv6 in p and s.IPerror6 in p:
            ic = p[s.IPv6].payload
            out.append((6, ic.type, ic.code, p[s.IPv6].src, p[s.IPerror6], ic))
        else:
            raise AssertionError(f"not an ICMP error: {p.summary()}")
    return out


def by_dst(errs):
    return {e[4].dst: e for e in errs}


# -- resolution ------------------------------------------------------------------------------------

def test_first_packets_held_until_gateway_resolves_then_sent(t):
    h1, h3, px = t[1], t[3], t.px
    # gateways h3 does not have yet: resolution starts and gets no answer
    before = t.l3stats()
    t.ok("route add 10.88.0.0/24 via 10.3.0.7")
    t.ok("route add 2001:db8:88::/64 via 2001:db8:3::7")
    frames = [from_h1(t, "10.88.0.5", ttl=20, seq=i) for i in range(6)]
    frames += [from_h1(t, "2001:db8:88::5", ttl=20, seq=100 + i) for i in range(6)]
    h1.agent.send(frames)

    def held():
        n = t.neigh("r3")
        e4, e6 = n.get(("10.3.0.7", "r3")), n.get(("2001:db8:3::7", "r3"))
        return e4 and e6 and e4["held"] == 4 and e6["held"] == 4 and (e4, e6)
    e4, e6 = wait_until(held, 3, "4 packets held per resolving gateway", show=t.neigh)
    assert e4["state"] == e6["state"] == "incomplete" and e4["mac"] == "", (e4, e6)
    d = delta(t.l3stats(), before)
    assert d["held"] == 12 and d["held_dropped_queue_full"] == 4, d
    assert d["arp_requests_sent"] >= 1 and d["ns_sent"] >= 1, d
    assert wait_frames(t, px.token, {}, settle=0.1, kind="any")["p3"] == []
    # h3 takes the addresses: the next solicitation is answered, the held packets go out
    h3.sh("ip", "addr", "add", "10.3.0.7/24", "dev", h3.ns_if)
    h3.sh("ip", "-6", "addr", "add", "2001:db8:3::7/64", "dev", h3.ns_if, "nodad")
    got = wait_frames(t, px.token, {"p3": 8}, timeout=4)
    assert {p: len(v) for p, v in got.items() if v} == {"p3": 8}, got
    seqs = sorted(px.seq_of(f) for f in got["p3"])
    # the queue keeps the newest four of each
    assert seqs == [2, 3, 4, 5, 102, 103, 104, 105], seqs
    s = t.px.s
    for raw in got["p3"]:
        p = px.parse(raw)
        assert p.dst == h3.mac and p.src == t.rmac["r3"], p.summary()
        ip = p[s.IP] if s.IP in p else p[s.IPv6]
        assert (ip.ttl if ip.version == 4 else ip.hlim) == 19
        if ip.version == 4:
            ck = ip.chksum
            del ip.chksum
            assert s.IP(bytes(ip)).chksum == ck
    n = t.neigh("r3")
    for ip in ("10.3.0.7", "2001:db8:3::7"):
        assert n[(ip, "r3")]["mac"] == h3.mac and n[(ip, "r3")]["held"] == 0, n
        assert n[(ip, "r3")]["state"] in ("reachable", "stale"), n
    d = delta(t.l3stats(), before)
    assert d["held_sent"] == 8, d
    # now resolved: straight through the worker, nothing more held
    px.new_token()
    h1.agent.send([from_h1(t, "10.88.0.6"), from_h1(t, "2001:db8:88::6")])
    got = wait_frames(t, px.token, {"p3": 2})
    assert len(got["p3"]) == 2 and delta(t.l3stats(), before)["held"] == 12
    h3.sh("ip", "addr", "del", "10.3.0.7/24", "dev", h3.ns_if)
    h3.sh("ip", "-6", "addr", "del", "2001:db8:3::7/64", "dev", h3.ns_if)


def test_failed_gateway_gives_host_unreachable(t):
    h1, px = t[1], t.px
    before, drops = t.l3stats(), t.drops()
    t.ok("route add 10.89.0.0/24 via 10.3.0.9")
    t.ok("route add 2001:db8:89::/64 via 2001:db8:3::9")
    h1.agent.send([from_h1(t, "10.89.0.5", seq=1), from_h1(t, "10.89.0.6", seq=2),
                   from_h1(t, "2001:db8:89::5", seq=3), from_h1(t, "2001:db8:89::6", seq=4)])
    # 3 solicitations a second apart, then failed: the held packets get host unreachable
    got = wait_frames(t, px.token, {"p1": 4}, timeout=6, kind="icmp")
    errs = icmp_errors(t, got["p1"])
    assert sorted((e[0], e[1], e[2]) for e in errs) == [(4, 3, 1)] * 2 + [(6, 1, 3)] * 2, errs
    for fam, _, _, src, q, _ in errs:
        assert src == ("10.1.0.254" if fam == 4 else "2001:db8:1::fe")
        assert q.src == (h1.ip4 if fam == 4 else h1.ip6)
    assert {e[4].dst for e in errs} == {"10.89.0.5", "10.89.0.6", "2001:db8:89::5",
                                        "2001:db8:89::6"}
    n = t.neigh("r3")
    assert n[("10.3.0.9", "r3")]["state"] == "failed", n
    assert n[("2001:db8:3::9", "r3")]["state"] == "failed", n
    d = delta(t.l3stats(), before)
    assert d["held_dropped_failed"] == 4 and d["arp_requests_sent"] >= 3 and d["ns_sent"] >= 3, d
    # while failed, a new packet is answered at once, nothing is held
    px.new_token()
    h1.agent.send([from_h1(t, "10.89.0.7")])
    got = wait_frames(t, px.token, {"p1": 1}, timeout=1, kind="icmp")
    assert [(e[1], e[2]) for e in icmp_errors(t, got["p1"])] == [(3, 1)]
    assert delta(t.l3stats(), before)["held_dropped_failed"] == 5
    # nothing reached any host, and the worker dropped nothing (the control thread did)
    assert all(not v for v in wait_frames(t, px.token, {}, settle=0).values())
    assert delta(t.drops(), drops)["no-route"] == 0


# -- ICMP errors -----------------------------------------------------------------------------------

def test_ttl_and_route_errors_types_codes_quotes_and_drop_counters(t):
    h1, px = t[1], t.px
    ping = h1.ping("10.2.0.254", count=1, ttl=1)  # TTL 1 to the router itself is for it
    assert ping.returncode == 0, ping.stdout
    for spec in ("10.77.1.0/24 unreachable", "10.77.2.0/24 prohibit", "10.77.3.0/24 blackhole",
                 "2001:db8:77:1::/64 unreachable", "2001:db8:77:2::/64 prohibit",
                 "2001:db8:77:3::/64 blackhole"):
        t.ok(f"route add {spec}")
    types = {r["prefix"]: r["type"] for r in t.static_routes()}
    assert types == {"10.77.1.0/24": "unreachable", "10.77.2.0/24": "prohibit",
                     "10.77.3.0/24": "blackhole", "2001:db8:77:1::/64": "unreachable",
                     "2001:db8:77:2::/64": "prohibit", "2001:db8:77:3::/64": "blackhole"}, types
    before, stats = t.drops(), t.l3stats()
    frames = [
        from_h1(t, "10.2.0.1", ttl=1, seq=1, dport=33434),
        from_h1(t, "10.2.0.2", ttl=0, seq=2),
        from_h1(t, "2001:db8:2::1", ttl=1, seq=3, dport=33435),
        from_h1(t, "192.0.2.1", seq=4),
        from_h1(t, "2001:db8:dead::1", seq=5),
        from_h1(t, "10.77.1.1", seq=6),
        from_h1(t, "10.77.2.1", seq=7),
        from_h1(t, "10.77.3.1", seq=8),
        from_h1(t, "2001:db8:77:1::1", seq=9),
        from_h1(t, "2001:db8:77:2::1", seq=10),
        from_h1(t, "2001:db8:77:3::1", seq=11),
    ]
    h1.agent.send(frames)
    got = wait_frames(t, px.token, {"p1": 9}, kind="any")
    assert {p: len(v) for p, v in got.items() if v} == {"p1": 9}, got
    errs = by_dst(icmp_errors(t, got["p1"]))
    want = {
        "10.2.0.1": (4, 11, 0), "10.2.0.2": (4, 11, 0), "2001:db8:2::1": (6, 3, 0),
        "192.0.2.1": (4, 3, 0), "2001:db8:dead::1": (6, 1, 0),
        "10.77.1.1": (4, 3, 1), "10.77.2.1": (4, 3, 13),
        "2001:db8:77:1::1": (6, 1, 3), "2001:db8:77:2::1": (6, 1, 1),
    }
    assert {d: e[:3] for d, e in errs.items()} == want, errs
    s = px.s
    for dst, (fam, _, _, src, q, ic) in errs.items():
        assert src == ("10.1.0.254" if fam == 4 else "2001:db8:1::fe"), (dst, src)
        # the quote is the packet as it arrived: TTL not decremented, UDP header, the payload
        assert bytes(q).find(px.token) > 0, dst
        assert s.UDPerror in q and q[s.UDPerror].sport == 4000
    assert errs["10.2.0.1"][4].ttl == 1 and errs["10.2.0.2"][4].ttl == 0
    assert errs["10.2.0.1"][4][s.UDPerror].dport == 33434
    assert errs["2001:db8:2::1"][4].hlim == 1
    assert errs["2001:db8:2::1"][4][s.UDPerror].dport == 33435
    d = delta(t.drops(), before)
    assert {k: v for k, v in d.items() if v} == {
        "ttl-exceeded": 3, "no-route": 2, "route-unreachable": 2, "route-prohibit": 2,
        "route-blackhole": 2}, d
    assert delta(t.l3stats(), stats)["icmp_errors_sent"] == 9


def test_no_icmp_error_about_an_icmp_error(t):
    h1, px, s = t[1], t.px, t.px.s
    before, stats = t.drops(), t.l3stats()
    err4 = bytes(s.Ether(src=h1.mac, dst=t.rmac["v10"]) /
                 s.IP(src=h1.ip4, dst="192.0.2.9") / s.ICMP(type=3, code=3) /
                 s.IPerror(src="192.0.2.9", dst=h1.ip4) / s.UDPerror() / px.payload(1))
    err6 = bytes(s.Ether(src=h1.mac, dst=t.rmac["v10"]) /
                 s.IPv6(src=h1.ip6, dst="2001:db8:dead::9") / s.ICMPv6DestUnreach(code=4) /
                 s.IPerror6(src="2001:db8:dead::9", dst=h1.ip6) / s.UDPerror() /
                 px.payload(2))
    echo = bytes(s.Ether(src=h1.mac, dst=t.rmac["v10"]) /
                 s.IP(src=h1.ip4, dst="192.0.2.9") / s.ICMP(type=8) / px.payload(3))
    h1.agent.send([err4, err6, echo])
    got = wait_frames(t, px.token, {"p1": 1}, kind="any")
    # only the echo request earns an error
    errs = icmp_errors(t, got["p1"])
    assert [(e[1], e[2], e[4].dst) for e in errs] == [(3, 0, "192.0.2.9")], errs
    assert delta(t.drops(), before)["no-route"] == 3
    d = delta(t.l3stats(), stats)
    assert d["icmp_not_allowed"] == 2 and d["icmp_errors_sent"] == 1, d


def test_mtu_frag_needed_and_packet_too_big(t):
    h1, h2, px = t[1], t[2], t.px
    t.ok("interface set v20 mtu 1400")
    assert [i["mtu"] for i in t.ok("show interfaces") if i["name"] == "v20"] == [1400]
    before = t.drops()
    h1.agent.send([
        from_h1(t, h2.ip4, size=1450 - 28, flags="DF", seq=1),   # too big, DF: ICMP
        from_h1(t, h2.ip4, size=1450 - 28, seq=2),               # too big, no DF: dropped
        from_h1(t, h2.ip4, size=1400 - 28, flags="DF", seq=3),   # exactly the MTU: sent
        from_h1(t, h2.ip6, size=1450 - 48, seq=4),               # too big: ICMPv6
        from_h1(t, h2.ip6, size=1400 - 48, seq=5),               # exactly the MTU
    ])
    got = wait_frames(t, px.token, {"p1": 2, "p2": 2}, kind="any")
    fwd = sorted(px.seq_of(f) for f in got["p2"])
    assert fwd == [3, 5] and all(len(f) == 1414 for f in got["p2"]), (fwd, got["p2"])
    # (h2's own port-unreachable errors for the packets it got come back too)
    errs = [e for e in icmp_errors(t, got["p1"]) if e[3] in ("10.1.0.254", "2001:db8:1::fe")]
    assert len(errs) == 2, errs
    e4 = [e for e in errs if e[0] == 4][0]
    e6 = [e for e in errs if e[0] == 6][0]
    assert (e4[1], e4[2]) == (3, 4) and e4[5].nexthopmtu == 1400, e4[5].show(dump=True)
    assert e4[4].len == 1450 and e4[4].dst == h2.ip4
    assert (e6[1], e6[2]) == (2, 0) and e6[5].mtu == 1400, e6[5].show(dump=True)
    assert e6[4].plen == 1450 - 40
    # an IPv6 error stays within 1280 bytes
    assert len(bytes(e6[4])) <= 1280 - 48
    d = delta(t.drops(), before)
    assert d["fragmentation-needed"] == 2 and d["mtu-exceeded"] == 1, d
    # a real host takes the news: its path MTU to h2 drops to 1400
    r = h1.ping(h2.ip4, count=1, wait=1)
    h1.sh("ping", "-n", "-c", "1", "-M", "do", "-s", "1422", "-W", "1", h2.ip4, check=False)
    rg = h1.sh("ip", "route", "get", h2.ip4).stdout
    assert "mtu 1400" in rg, rg + r.stdout
    h1.sh("ping", "-n", "-c", "1", "-s", "1422", "-W", "1", h2.ip6, check=False)
    rg = h1.sh("ip", "-6", "route", "get", h2.ip6).stdout
    assert "mtu 1400" in rg, rg


def test_mtu_checked_also_while_the_next_hop_resolves(t):
    """A packet whose neighbour is not resolved yet is held and sent later by the control
    thread: it must meet the same MTU check as one forwarded at once."""
    h1, h2, px = t[1], t[2], t.px
    t.ok("interface set v20 mtu 1400")
    t.ok("neigh del 10.2.0.1 dev v20")
    t.c.cmd("neigh del 2001:db8:2::1 dev v20")
    before = t.drops()
    h1.agent.send([from_h1(t, h2.ip4, size=1450 - 28, flags="DF", seq=1),
                   from_h1(t, h2.ip4, size=1450 - 28, seq=2),
                   from_h1(t, h2.ip6, size=1450 - 48, seq=3)])
    got = wait_frames(t, px.token, {"p1": 2}, kind="any", settle=1.0)
    assert got["p2"] == [], f"{len(got['p2'])} frames larger than the MTU sent to h2"
    errs = [e for e in icmp_errors(t, got["p1"]) if e[3] in ("10.1.0.254", "2001:db8:1::fe")]
    assert sorted(e[1:3] for e in errs) == [(2, 0), (3, 4)], errs
    d = delta(t.drops(), before)
    assert d["fragmentation-needed"] == 2 and d["mtu-exceeded"] == 1, d


# -- rate limit ------------------------------------------------------------------------------------

def test_icmp_errors_rate_limited(t):
    h1, px = t[1], t.px
    n = 300
    before, drops = t.l3stats(), t.drops()
    frames = [from_h1(t, "10.2.0.1", ttl=1, seq=i) for i in range(n)]
    t0 = time.monotonic()
    elapsed = h1.agent.send(frames)
    wait_until(lambda: delta(t.drops(), drops)["ttl-exceeded"] == n, 5, f"{n} ttl-exceeded drops")
    # Each one answered, or rate-limited by the control thread's bucket, or not even punted
    # (over the worker's punt budget).
    wait_until(lambda: (lambda d: d["icmp_errors_sent"] + d["icmp_rate_limited"] +
                        d["icmp_limited"] == n)(delta(t.l3stats(), before)), 5,
               "every punted packet answered or rate-limited",
               show=lambda: delta(t.l3stats(), before))
    # every error was made between the first send and now
    window = time.monotonic() - t0
    d = delta(t.l3stats(), before)
    got = wait_frames(t, px.token, {"p1": d["icmp_errors_sent"]}, kind="icmp")["p1"]
    limit = ICMP_BURST + ICMP_RATE * window + 1
    assert ICMP_BURST <= len(got) == d["icmp_errors_sent"] <= limit, \
        f"{len(got)} errors for {n} packets sent in {elapsed * 1000:.1f} ms " \
        f"(all handled within {window * 1000:.0f} ms): {d}"
    assert d["icmp_rate_limited"] + d["icmp_limited"] >= n - limit, d
    assert d["icmp_rate_limited"] + d["icmp_limited"] > 0, d
    # the bucket refills: after a pause a new packet gets its error again
    time.sleep(0.1)
    px.new_token()
    h1.agent.send([from_h1(t, "10.2.0.1", ttl=1)])
    assert len(wait_frames(t, px.token, {"p1": 1}, kind="icmp")["p1"]) == 1
