# SPDX-License-Identifier: BSD-3-Clause
# Static neighbours with live hosts: `neigh add` is used for forwarding at once and without ARP,
# replaces a learned entry and is not overridden by ARP/ND; it is persisted, and after kill -9 the
# replayed config forwards again without any solicitation; `neigh del` goes back to resolving.
# Learned neighbours are never persisted.
#
#   h1 p1 routed -- r1 10.1.0.254/24 2001:db8:1::fe/64 (sender)
#   h2 p2 routed -- r2 10.2.0.254/24 2001:db8:2::fe/64 (next hop, static)
import pytest

from l3util import delta, host_addrs, module_topology, wait_frames, wait_until

CONFIG = [
    "interface add r1 port p1 vrf default",
    "interface add r2 port p2 vrf default",
    "interface set r1 address 10.1.0.254/24",
    "interface set r1 address 2001:db8:1::fe/64",
    "interface set r2 address 10.2.0.254/24",
    "interface set r2 address 2001:db8:2::fe/64",
]


@pytest.fixture(scope="module")
def t():
    yield from module_topology(2, CONFIG, {1: host_addrs(1), 2: host_addrs(2)},
                               alive_at_end=True)


def restart_kill9(t):
    t.c.close()
    t.d.kill9()
    t.d.start()
    t.c = t.d.client(timeout=60)
    wait_until(lambda: all(p["link"]["up"] for p in t.ok("show ports")), 10, "links up")


def send_and_expect(t, n=3):
    """n IPv4 + n IPv6 packets from h1 to the static routes: all reach h2, to h2's MAC."""
    h1, h2, px = t[1], t[2], t.px
    px.new_token()
    frames = [px.udp4(h1.mac, t.rmac["r1"], h1.ip4, "10.9.0.1", seq=i) for i in range(n)]
    frames += [px.udp6(h1.mac, t.rmac["r1"], h1.ip6, "2001:db8:9::1", seq=i) for i in range(n)]
    h1.agent.send(frames)
    got = wait_frames(t, px.token, {"p2": 2 * n})
    assert {p: len(v) for p, v in got.items() if v} == {"p2": 2 * n}, got
    for f in got["p2"]:
        p = px.parse(f)
        assert p.dst == h2.mac and p.src == t.rmac["r2"], p.summary()


def test_static_neighbour_forwards_without_arp_and_survives_kill9(t):
    h1, h2 = t[1], t[2]
    cfg_before = t.d.config_file_lines()
    # gateways h2 does not even own: only the static entries make them reachable
    t.ok(f"neigh add 10.2.0.50 {h2.mac} dev r2")
    t.ok(f"neigh add 2001:db8:2::50 {h2.mac} dev r2")
    t.ok("route add 10.9.0.0/24 via 10.2.0.50")
    t.ok("route add 2001:db8:9::/64 via 2001:db8:2::50")
    before = t.l3stats()
    send_and_expect(t)
    d = delta(t.l3stats(), before)
    assert d["arp_requests_sent"] == 0 and d["ns_sent"] == 0 and d["held"] == 0, d
    lines = t.d.config_file_lines()
    want = [f"neigh add 10.2.0.50 {h2.mac} dev r2", f"neigh add 2001:db8:2::50 {h2.mac} dev r2"]
    for w in want:
        assert w in lines, lines
    # learned neighbours (h1, from this traffic's answers... and its pings) are not persisted
    assert h1.ping("10.1.0.254", 1).returncode == 0
    assert ("10.1.0.1", "r1") in t.neigh()
    assert not [ln for ln in t.d.config_file_lines() if "10.1.0.1 " in ln]

    restart_kill9(t)
    assert t.d.config_file_lines() == t.d.config_show()
    n = t.neigh()
    assert n[("10.2.0.50", "r2")]["state"] == "permanent", n
    assert n[("10.2.0.50", "r2")]["mac"] == h2.mac
    assert n[("2001:db8:2::50", "r2")]["state"] == "permanent", n
    assert ("10.1.0.1", "r1") not in n, "a learned neighbour came back from the config"
    send_and_expect(t)
    s = t.l3stats()  # counters start at zero with the new process
    assert s["arp_requests_sent"] == 0 and s["ns_sent"] == 0 and s["held"] == 0, s

    # neigh del: the route's next hop resolves again (h2 has no 10.2.0.50: it fails)
    t.ok("neigh del 10.2.0.50 dev r2")
    t.ok("neigh del 2001:db8:2::50 dev r2")
    assert not [ln for ln in t.d.config_file_lines() if ln.startswith("neigh")]
    h1.agent.send([t.px.udp4(h1.mac, t.rmac["r1"], h1.ip4, "10.9.0.1")])
    wait_until(lambda: t.neigh().get(("10.2.0.50", "r2"), {}).get("state") == "incomplete", 3,
               "10.2.0.50 resolving again", show=t.neigh)
    assert t.l3stats()["arp_requests_sent"] >= 1
    t.ok("route del 10.9.0.0/24")
    t.ok("route del 2001:db8:9::/64")
    t.c.cmd("neigh del 10.2.0.50 dev r2")
    assert t.d.config_file_lines() == cfg_before


def test_static_neighbour_replaces_learned_and_wins_over_arp(t):
    h1, h2, px = t[1], t[2], t.px
    assert h2.ping("10.2.0.254", 1).returncode == 0
    assert h2.ping("2001:db8:2::fe", 1).returncode == 0
    n = t.neigh()
    assert n[("10.2.0.1", "r2")]["mac"] == h2.mac and n[("10.2.0.1", "r2")]["state"] != \
        "permanent", n
    other = "02:4c:00:00:00:99"
    t.ok(f"neigh add 10.2.0.1 {other} dev r2")
    t.ok(f"neigh add 2001:db8:2::1 {other} dev r2")
    # h2 announces itself again (ARP request to the router, NS): the static entries stay (so
    # the router's answers now go to the static MAC, and h2's pings get no reply)
    h2.flush_neigh()
    l3 = t.l3stats()
    h2.ping("10.2.0.254", 1, wait=1)
    h2.ping("2001:db8:2::fe", 1, wait=1)
    d = delta(t.l3stats(), l3)
    assert d["arp_in"] >= 1 and d["nd_in"] >= 1 and d["echo_replies_sent"] == 2, d
    n = t.neigh()
    for ip in ("10.2.0.1", "2001:db8:2::1"):
        assert n[(ip, "r2")]["mac"] == other and n[(ip, "r2")]["state"] == "permanent", n
    # and traffic to h2 goes to the static MAC (h2's agent sees it: the veth takes any MAC)
    px.new_token()
    h1.agent.send([px.udp4(h1.mac, t.rmac["r1"], h1.ip4, "10.2.0.1"),
                   px.udp6(h1.mac, t.rmac["r1"], h1.ip6, "2001:db8:2::1")])
    got = wait_frames(t, px.token, {"p2": 2}, kind="any")
    assert [px.parse(f).dst for f in got["p2"]] == [other, other]
    # a second neigh add changes the MAC (persisted once, not twice)
    t.ok(f"neigh add 10.2.0.1 {h2.mac} dev r2")
    lines = [ln for ln in t.d.config_file_lines() if ln.startswith("neigh add 10.2.0.1 ")]
    assert lines == [f"neigh add 10.2.0.1 {h2.mac} dev r2"], lines
    t.ok("neigh del 10.2.0.1 dev r2")
    t.ok("neigh del 2001:db8:2::1 dev r2")
    assert ("10.2.0.1", "r2") not in t.neigh()
    # h2 is learned again by the next exchange
    assert h2.ping("10.2.0.254", 1).returncode == 0
    wait_until(lambda: t.neigh().get(("10.2.0.1", "r2"), {}).get("mac") == h2.mac, 3,
               "h2 learned again", show=t.neigh)


def test_gratuitous_arp_and_unsolicited_na_move_a_learned_neighbour(t):
    h1, h2, px, s = t[1], t[2], t.px, t.px.s
    assert h2.ping("10.2.0.254", 1).returncode == 0
    assert h2.ping("2001:db8:2::fe", 1).returncode == 0
    n = t.neigh()
    assert n[("10.2.0.1", "r2")]["mac"] == h2.mac and n[("2001:db8:2::1", "r2")]["mac"] == h2.mac
    moved = "02:4c:00:00:00:77"
    garp = s.Ether(src=moved, dst="ff:ff:ff:ff:ff:ff") / \
        s.ARP(op=1, hwsrc=moved, psrc=h2.ip4, hwdst="00:00:00:00:00:00", pdst=h2.ip4)
    una = s.Ether(src=moved, dst="33:33:00:00:00:01") / \
        s.IPv6(src=h2.ip6, dst="ff02::1", hlim=255) / \
        s.ICMPv6ND_NA(tgt=h2.ip6, R=0, S=0, O=1) / s.ICMPv6NDOptDstLLAddr(lladdr=moved)
    h2.agent.send([bytes(garp), bytes(una)])
    wait_until(lambda: all(t.neigh()[(ip, "r2")]["mac"] == moved
                           for ip in ("10.2.0.1", "2001:db8:2::1")), 3,
               "the neighbours moved to the announced MAC", show=t.neigh)
    # the next packets to h2 go to the new MAC, straight from the worker
    px.new_token()
    h1.agent.send([px.udp4(h1.mac, t.rmac["r1"], h1.ip4, h2.ip4),
                   px.udp6(h1.mac, t.rmac["r1"], h1.ip6, h2.ip6)])
    got = wait_frames(t, px.token, {"p2": 2}, kind="any")
    assert [px.parse(f).dst for f in got["p2"]] == [moved, moved]
    # an ARP about an address the router never talked to creates nothing
    stranger = s.Ether(src=moved, dst="ff:ff:ff:ff:ff:ff") / \
        s.ARP(op=1, hwsrc=moved, psrc="10.2.0.99", pdst="10.2.0.99")
    arp_in = t.l3stats()["arp_in"]
    h2.agent.send([bytes(stranger)])
    wait_until(lambda: t.l3stats()["arp_in"] > arp_in, 3, "the ARP handled")
    assert ("10.2.0.99", "r2") not in t.neigh()
    t.ok("neigh del 10.2.0.1 dev r2")
    t.ok("neigh del 2001:db8:2::1 dev r2")
    h2.flush_neigh()
