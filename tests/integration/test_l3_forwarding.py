# SPDX-License-Identifier: BSD-3-Clause
# L3 routing with live traffic: seven Linux hosts in namespaces behind af_packet ports of one
# sluiced. VLAN interfaces (SVIs) and routed ports in the default VRF, two VRFs with the same
# prefixes, ECMP. Asserted on what the hosts receive (real pings, and crafted frames captured
# byte for byte), on `show neigh` and on the routes. Each test removes the static routes and
# neighbours it made (fixture `t`), so tests do not depend on each other.
#
#   h1 p1 access 10 -- v10  10.1.0.254/24 2001:db8:1::fe/64 --+
#   h2 p2 access 20 -- v20  10.2.0.254/24 2001:db8:2::fe/64   +- vrf default
#   h3 p3 routed    -- r3   10.3.0.254/24 2001:db8:3::fe/64 --+
#   h4 p4 routed    -- r4   10.60.0.254/24 -+- vrf red  (table 100)
#   h5 p5 routed    -- r5   10.70.0.254/24 -+
#   h6 p6 access 60 -- b60  10.60.0.254/24 -+- vrf blue (table 200): the same prefixes,
#   h7 p7 access 70 -- b70  10.70.0.254/24 -+  h6/h7 have the addresses of h4/h5
import time
from collections import Counter

import pytest

from l3util import (ROUTED3_CONFIG, ROUTED3_HOSTS, delta, fresh_test, module_topology,
                    wait_frames, wait_until)

CONFIG = ["vrf add red table 100", "vrf add blue table 200"] + ROUTED3_CONFIG + [
    "port set p6 vlan access 60",
    "port set p7 vlan access 70",
    "interface add r4 port p4 vrf red",
    "interface add r5 port p5 vrf red",
    "interface add b60 port p6 vlan 60 vrf blue",
    "interface add b70 port p7 vlan 70 vrf blue",
    "interface set r4 address 10.60.0.254/24",
    "interface set r5 address 10.70.0.254/24",
    "interface set b60 address 10.60.0.254/24",
    "interface set b70 address 10.70.0.254/24",
]

HOSTS = {
    **ROUTED3_HOSTS,
    4: ("10.60.0.1/24", "10.60.0.254", None, None),
    5: ("10.70.0.1/24", "10.70.0.254", None, None),
    6: ("10.60.0.1/24", "10.60.0.254", None, None),
    7: ("10.70.0.1/24", "10.70.0.254", None, None),
}


@pytest.fixture(scope="module")
def topo():
    yield from module_topology(7, CONFIG, HOSTS)


@pytest.fixture
def t(topo):
    yield from fresh_test(topo)
    topo.clear_routes()
    topo.clear_neigh()
    for p, mode in (("p1", "access 10"), ("p2", "access 20")):
        topo.ok(f"port set {p} vlan {mode}")


def ping_ok(h, dst, count=3):
    r = h.ping(dst, count=count)
    assert r.returncode == 0 and " 0% packet loss" in r.stdout, \
        f"{h.port}: ping {dst} failed:\n{r.stdout}{r.stderr}"
    return r.stdout


def ttls(ping_out):
    """The ttl= (IPv4 TTL, IPv6 hop limit) of each reply line of ping's output."""
    return [int(w[4:]) for ln in ping_out.splitlines() for w in ln.split() if w.startswith("ttl=")]


def ip_layer(px, raw):
    p = px.parse(raw)
    return p[px.s.IP] if px.s.IP in p else p[px.s.IPv6]


# -- VLAN interfaces and routed ports in one VRF ---------------------------------------------------

def test_ping_between_vlans_v4_v6_both_ways_ttl_decremented(t):
    h1, h2 = t[1], t[2]
    for src, dst in ((h1, h2), (h2, h1)):
        for addr in (dst.ip4, dst.ip6):
            out = ping_ok(src, addr)
            # the replies left dst with 64 and crossed the router once
            assert ttls(out) == [63] * 3, out
    n = t.neigh()
    for ip, dev, h in (("10.1.0.1", "v10", h1), ("2001:db8:1::1", "v10", h1),
                       ("10.2.0.1", "v20", h2), ("2001:db8:2::1", "v20", h2)):
        e = n.get((ip, dev))
        assert e is not None, f"no neighbour {ip} on {dev}: {n}"
        assert e["mac"] == h.mac and e["state"] in ("reachable", "stale"), e
    # the neighbours' MACs were learned in the bridge VLANs too
    fdb = {(e["vlan"], e["mac"]): e["port"] for e in t.ok("show fdb")}
    assert fdb.get((10, h1.mac)) == "p1" and fdb.get((20, h2.mac)) == "p2", fdb


def test_routed_frame_rewritten_ttl_and_checksum(t):
    """A crafted frame, as it leaves the router: MACs rewritten, TTL/hop limit - 1, the IPv4
    checksum still right, the rest byte for byte."""
    h1, h2, px, s = t[1], t[2], t.px, t.px.s
    ping_ok(h1, h2.ip4, 1)
    ping_ok(h1, h2.ip6, 1)
    f4 = px.udp4(h1.mac, t.rmac["v10"], h1.ip4, h2.ip4, ttl=17, seq=1, size=300)
    f6 = px.udp6(h1.mac, t.rmac["v10"], h1.ip6, h2.ip6, hlim=17, seq=2, size=300)
    h1.agent.send([f4, f6])
    got = wait_frames(t, px.token, {"p2": 2})
    assert {p: len(v) for p, v in got.items() if v} == {"p2": 2}, got
    out4, out6 = sorted(got["p2"], key=lambda r: r[12:14])
    for sent, out, hop in ((f4, out4, 16), (f6, out6, 16)):
        assert out[:6] == bytes.fromhex(h2.mac.replace(":", "")), out[:12].hex()
        assert out[6:12] == bytes.fromhex(t.rmac["v20"].replace(":", "")), out[:12].hex()
        assert len(out) == len(sent)
        ip = ip_layer(px, out)
        if ip.version == 4:
            assert ip.ttl == hop
            ck = ip.chksum
            del ip.chksum
            assert s.IP(bytes(ip)).chksum == ck, "IPv4 checksum not updated right"
            assert out[14 + 9:14 + 10] == sent[14 + 9:14 + 10]
            # the rest of the IPv4 header and the payload are untouched
            assert out[14 + 12:] == sent[14 + 12:]
        else:
            assert ip.hlim == hop
            assert out[14 + 8:] == sent[14 + 8:]


def test_vlan_interface_on_trunk_tagged_in_and_out(t):
    h1, h2, px, s = t[1], t[2], t.px, t.px.s
    ping_ok(h2, h1.ip4, 1)  # the router knows h1's MAC, the FDB knows h1 is behind p1
    t.ok("port set p1 vlan trunk 10")
    f = px.udp4(h1.mac, t.rmac["v10"], h1.ip4, h2.ip4, ttl=30, seq=1, vlan=10)
    h1.agent.send([f])
    got = wait_frames(t, px.token, {"p2": 1})
    out = px.parse(got["p2"][0])
    assert s.Dot1Q not in out and out[s.IP].ttl == 29, out.show(dump=True)
    # a frame tagged with another VLAN is not for the VLAN interface
    t.ok("port set p1 vlan trunk 10,11")
    h1.agent.send([px.udp4(h1.mac, t.rmac["v10"], h1.ip4, h2.ip4, seq=2, vlan=11)])
    # and the way back goes out tagged
    back = px.udp4(h2.mac, t.rmac["v20"], h2.ip4, h1.ip4, ttl=30, seq=3)
    h2.agent.send([back])
    got = wait_frames(t, px.token, {"p1": 1})
    assert {p: len(v) for p, v in got.items() if v} == {"p1": 1}, got
    out = px.parse(got["p1"][0])
    assert s.Dot1Q in out and out[s.Dot1Q].vlan == 10, out.show(dump=True)
    assert out.src == t.rmac["v10"] and out.dst == h1.mac and out[s.IP].ttl == 29


def test_routed_port_to_vlan_interface_and_router_addresses(t):
    h1, h3 = t[1], t[3]
    for addr in (h1.ip4, h1.ip6):
        assert ttls(ping_ok(h3, addr)) == [63] * 3
    for addr in (h3.ip4, h3.ip6):
        assert ttls(ping_ok(h1, addr)) == [63] * 3
    # the router answers on its own addresses, the far interface's too, and its link-local
    before = t.l3stats()["echo_replies_sent"]
    for addr in ("10.3.0.254", "2001:db8:3::fe", "10.1.0.254", "2001:db8:1::fe"):
        assert ttls(ping_ok(h3, addr, 2)) == [64] * 2, addr
    mac = t.rmac["r3"].split(":")
    ll = "fe80::%02x%s:%sff:fe%s:%s%s" % (int(mac[0], 16) ^ 2, mac[1], mac[2], mac[3], mac[4],
                                         mac[5])
    ping_ok(h3, f"{ll}%{h3.ns_if}", 2)
    assert t.l3stats()["echo_replies_sent"] - before >= 10
    # a routed port is out of the bridge: no VLAN lists it, its frames are never flooded
    for v in t.ok("show vlans"):
        assert "p3" not in v.get("untagged", []) + v.get("tagged", []), v
    assert t.neigh()[("10.3.0.1", "r3")]["mac"] == h3.mac


def test_routed_port_drops_frames_not_to_router_mac(t):
    h3, px = t[3], t.px
    before = t.drops()
    other = "02:4c:00:00:00:33"
    h3.agent.send([px.udp4(h3.mac, other, h3.ip4, t[1].ip4, seq=i) for i in range(5)])
    wait_until(lambda: delta(t.drops(), before)["not-router-mac"] >= 5, 5, "not-router-mac drops")
    assert wait_frames(t, px.token, {}, kind="any") == {h.port: [] for h in t.hosts}
    assert delta(t.drops(), before)["not-router-mac"] == 5


# -- VRFs ------------------------------------------------------------------------------------------

def test_vrfs_with_the_same_prefixes_are_isolated(t):
    h1, h4, h5, h6, h7, px = t[1], t[4], t[5], t[6], t[7], t.px
    # ping within each VRF works (the reply comes back in the same VRF)
    ping_ok(h4, "10.70.0.1", 2)
    ping_ok(h6, "10.70.0.1", 2)
    n = t.neigh()
    assert n[("10.70.0.1", "r5")]["mac"] == h5.mac and n[("10.60.0.1", "r4")]["mac"] == h4.mac
    assert n[("10.70.0.1", "b70")]["mac"] == h7.mac and n[("10.60.0.1", "b60")]["mac"] == h6.mac
    # the same static prefix through the same gateway address, one per VRF
    t.ok("route add vrf red 10.99.0.0/24 via 10.70.0.1")
    t.ok("route add vrf blue 10.99.0.0/24 via 10.70.0.1 dev b70")
    lk = t.ok("show route lookup red 10.99.0.9")
    assert lk["match"] and lk["route"]["via"][0]["dev"] == "r5", lk
    lk = t.ok("show route lookup blue 10.99.0.9")
    assert lk["match"] and lk["route"]["via"][0]["dev"] == "b70", lk
    assert not t.ok("show route lookup default 10.99.0.9")["match"]
    assert {r["prefix"] for r in t.ok("show routes vrf red")} == \
        {"10.60.0.0/24", "10.60.0.254/32", "10.70.0.0/24", "10.70.0.254/32", "10.99.0.0/24"}

    red = [px.udp4(h4.mac, t.rmac["r4"], "10.60.0.1", d, seq=i)
           for i, d in enumerate(("10.70.0.1", "10.99.0.9") * 5)]
    h4.agent.send(red)
    got = wait_frames(t, px.token, {"p5": 10})
    assert {p: len(v) for p, v in got.items() if v} == {"p5": 10}, \
        "vrf red traffic left vrf red"
    px.new_token()
    blue = [px.udp4(h6.mac, t.rmac["b60"], "10.60.0.1", d, seq=i)
            for i, d in enumerate(("10.70.0.1", "10.99.0.9") * 5)]
    h6.agent.send(blue)
    got = wait_frames(t, px.token, {"p7": 10})
    assert {p: len(v) for p, v in got.items() if v} == {"p7": 10}, \
        "vrf blue traffic left vrf blue"
    # the default VRF has neither prefix: no route, nothing delivered, only the ICMP error back
    px.new_token()
    before = t.drops()["no-route"]
    h1.agent.send([px.udp4(h1.mac, t.rmac["v10"], h1.ip4, d, seq=i)
                   for i, d in enumerate(("10.70.0.1", "10.99.0.9"))])
    got = wait_frames(t, px.token, {"p1": 2}, kind="any")
    assert {p: len(v) for p, v in got.items() if v} == {"p1": 2}, got
    assert [s_icmp_type(px, f) for f in got["p1"]] == [(3, 0)] * 2
    assert t.drops()["no-route"] - before == 2
    # deleting red's route leaves blue's in place
    t.ok("route del vrf red 10.99.0.0/24")
    assert not t.ok("show route lookup red 10.99.0.9")["match"]
    px.new_token()
    h6.agent.send([px.udp4(h6.mac, t.rmac["b60"], "10.60.0.1", "10.99.0.9")])
    h4.agent.send([px.udp4(h4.mac, t.rmac["r4"], "10.60.0.1", "10.99.0.9")])
    got = wait_frames(t, px.token, {"p7": 1, "p4": 1}, kind="any")
    assert {p: len(v) for p, v in got.items() if v} == {"p7": 1, "p4": 1}, got
    assert s_icmp_type(px, got["p4"][0]) == (3, 0)


def s_icmp_type(px, raw):
    p = px.parse(raw)
    return p[px.s.ICMP].type, p[px.s.ICMP].code


# -- ECMP ------------------------------------------------------------------------------------------

def spread(t, src, frames_by_flow, gw_ports, reps=2):
    """Send every flow's frames reps times; {flow (UDP source port): Counter(port)}."""
    px = t.px
    frames = [f for _ in range(reps) for f in frames_by_flow.values()]
    src.agent.send(frames)
    got = {h.port: [] for h in t.hosts}

    def delivered():
        for p, v in wait_frames(t, px.token, {}, settle=0).items():
            got[p] += v
        return sum(len(v) for v in got.values()) >= len(frames)

    wait_until(delivered, 10, f"{len(frames)} ECMP frames delivered",
               show=lambda: {p: len(v) for p, v in got.items()})
    time.sleep(0.2)
    delivered()
    assert sum(len(v) for v in got.values()) == len(frames)
    by_flow = {}
    for p, frames_p in got.items():
        assert p in gw_ports or not frames_p, f"ECMP frames on {p}, not a gateway port"
        for raw in frames_p:
            ip = ip_layer(px, raw)
            by_flow.setdefault(ip[px.s.UDP].sport, Counter())[p] += 1
    return by_flow


def test_ecmp_spreads_flows_and_keeps_each_flow_on_one_gateway(t):
    h3, px = t[3], t.px
    t.ok("route add 10.99.0.0/24 via 10.1.0.1 via 10.2.0.1")
    t.ok("route add 2001:db8:99::/64 via 2001:db8:1::1 via 2001:db8:2::1")
    r = [x for x in t.static_routes() if x["prefix"] == "10.99.0.0/24"][0]
    assert sorted(v["gw"] for v in r["via"]) == ["10.1.0.1", "10.2.0.1"], r
    wait_until(lambda: all(t.neigh().get(k, {}).get("state") in ("reachable", "stale")
                           for k in (("10.1.0.1", "v10"), ("10.2.0.1", "v20"),
                                     ("2001:db8:1::1", "v10"), ("2001:db8:2::1", "v20"))),
               5, "gateways resolved", show=t.neigh)
    n_flows = 256
    for fam in (4, 6):
        px.new_token()
        if fam == 4:
            flows = {sp: px.udp4(h3.mac, t.rmac["r3"], h3.ip4, "10.99.0.5", sport=sp)
                     for sp in range(10000, 10000 + n_flows)}
        else:
            flows = {sp: px.udp6(h3.mac, t.rmac["r3"], h3.ip6, "2001:db8:99::5", sport=sp)
                     for sp in range(10000, 10000 + n_flows)}
        by_flow = spread(t, h3, flows, ("p1", "p2"))
        split = [f for f, c in by_flow.items() if len(c) != 1]
        assert not split, f"IPv{fam}: flows split over both gateways: {split[:5]}"
        share = Counter(next(iter(c)) for c in by_flow.values())
        # 2 members x 8 buckets: each gets about half of 256 flows (binomial sd 8)
        assert 128 - 48 <= share["p1"] <= 128 + 48, f"IPv{fam}: unfair spread {share}"
        assert share["p1"] + share["p2"] == n_flows, share


def test_ecmp_weights_with_static_neighbours(t):
    """Gateways known only as static neighbours (MACs of the hosts): no ARP for them, and
    weights 3:1 give about 3/4 of the flows to the first."""
    h1, h2, h3, px = t[1], t[2], t[3], t.px
    t.ok(f"neigh add 10.1.0.50 {h1.mac} dev v10")
    t.ok(f"neigh add 10.2.0.50 {h2.mac} dev v20")
    arp_before = t.l3stats()["arp_requests_sent"]
    t.ok("route add 10.98.0.0/24 via 10.1.0.50 weight 3 via 10.2.0.50")
    flows = {sp: px.udp4(h3.mac, t.rmac["r3"], h3.ip4, "10.98.0.7", sport=sp, dport=53)
             for sp in range(20000, 20400)}
    by_flow = spread(t, h3, flows, ("p1", "p2"), reps=1)
    share = Counter(next(iter(c)) for c in by_flow.values())
    # 12 of 16 buckets: 300 of 400 expected (sd about 9)
    assert 250 <= share["p1"] <= 350 and share["p1"] + share["p2"] == 400, share
    for ip in ("10.1.0.50", "10.2.0.50"):
        e = [n for (a, _), n in t.neigh().items() if a == ip]
        assert len(e) == 1 and e[0]["state"] == "permanent", e
    # the hosts never saw an ARP request for the static gateways
    assert t.l3stats()["arp_requests_sent"] == arp_before
    # a weight change is a new group: now 1:1
    t.ok("route add 10.98.0.0/24 via 10.1.0.50 via 10.2.0.50")
    px.new_token()
    flows = {sp: px.udp4(h3.mac, t.rmac["r3"], h3.ip4, "10.98.0.7", sport=sp, dport=53)
             for sp in range(20000, 20400)}
    share = Counter(next(iter(c)) for c in spread(t, h3, flows, ("p1", "p2"), 1).values())
    assert 140 <= share["p1"] <= 260, share


def test_ecmp_flow_keeps_its_gateway_while_the_gateway_resolves(t):
    """The first packet of a flow whose gateway is not resolved goes through the control
    thread (held, resolved, sent): it must take the same gateway as the flow's later packets."""
    h1, h2, h3, px = t[1], t[2], t[3], t.px
    h1.sh("ip", "addr", "add", "10.1.0.60/24", "dev", h1.ns_if)
    h2.sh("ip", "addr", "add", "10.2.0.60/24", "dev", h2.ns_if)
    try:
        t.ok(f"neigh add 10.1.0.60 {h1.mac} dev v10")
        t.ok(f"neigh add 10.2.0.60 {h2.mac} dev v20")
        t.ok("route add 10.97.0.0/24 via 10.1.0.60 via 10.2.0.60")

        def flow(sp, seq=0):
            return px.udp4(h3.mac, t.rmac["r3"], h3.ip4, "10.97.0.9", sport=sp, seq=seq)
        where = {sp: next(iter(c)) for sp, c in
                 spread(t, h3, {sp: flow(sp) for sp in range(30000, 30016)}, ("p1", "p2"),
                        reps=1).items()}
        picked = [sp for sp in where if where[sp] == "p1"][:2] + \
            [sp for sp in where if where[sp] == "p2"][:2]
        assert len(picked) == 4, where
        # both gateways forgotten: the next packet of each flow is punted to resolve them
        t.ok("neigh del 10.1.0.60 dev v10")
        t.ok("neigh del 10.2.0.60 dev v20")
        px.new_token()
        before = t.l3stats()
        h3.agent.send([flow(sp, 1) for sp in picked])
        got = wait_frames(t, px.token, {"p1": 2, "p2": 2}, timeout=4)
        seen = {ip_layer(px, f)[px.s.UDP].sport: p for p, fs in got.items() for f in fs}
        assert seen == {sp: where[sp] for sp in picked}, (seen, where)
        d = delta(t.l3stats(), before)
        assert d["held"] + d["held_sent"] >= 1 or d["arp_requests_sent"] >= 1, d
    finally:
        h1.sh("ip", "addr", "del", "10.1.0.60/24", "dev", h1.ns_if, check=False)
        h2.sh("ip", "addr", "del", "10.2.0.60/24", "dev", h2.ns_if, check=False)
