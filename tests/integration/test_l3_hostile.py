# SPDX-License-Identifier: BSD-3-Clause
# Hostile and odd input for the router, from a code review: frames that pretend to be ND but carry
# IPv4, ICMPv6 errors behind extension headers, forwarding of martian sources, link-local replies
# without a neighbour, floods that must not starve ARP, and spoofed ARP that must not fill the
# neighbour and next-hop tables. Each test asserts what the router must (not) send and counts.
import time

import pytest

from conftest import build_dir
from l3util import delta, host_addrs, module_topology, wait_until

CONFIG = [
    "port set p1 vlan access 10",
    "interface add v10 port p1 vlan 10 vrf default",
    "interface add r2 port p2 vrf default",
    "interface add r3 port p3 vrf default",
    "interface set v10 address 10.1.0.254/24",
    "interface set v10 address 2001:db8:1::fe/64",
    "interface set r2 address 10.2.0.254/24",
    "interface set r2 address 2001:db8:2::fe/64",
    "interface set r3 address 10.3.0.254/24",
    "interface set r3 address 2001:db8:3::fe/64",
]
HOSTS = {i: host_addrs(i) for i in (1, 2, 3)}


@pytest.fixture(scope="module")
def t():
    def warm(t):
        for i in (1, 2, 3):
            t[i].ping(HOSTS[i][1], count=1)
            t[i].ping(HOSTS[i][3], count=1)

    yield from module_topology(3, CONFIG, HOSTS, warm, build=build_dir())


def ll_of(mac):
    m = mac.split(":")
    return "fe80::%02x%s:%sff:fe%s:%s%s" % (int(m[0], 16) ^ 2, m[1], m[2], m[3], m[4], m[5])


def test_ipv4_inside_an_ipv6_multicast_frame_is_not_answered(t):
    s, h1, h2, h3 = t.px.s, t[1], t[2], t[3]
    tok = t.px.new_token()
    h2.agent.take()
    b = t.l3stats()
    # An IPv4 echo request spoofed from h2, to no router address, in a frame typed IPv6 to a
    # multicast MAC: on the routed port p3 and on the VLAN interface's port p1.
    ip = bytes(s.IP(src="10.2.0.1", dst="10.99.99.99", ttl=9) / s.ICMP(type=8, id=7, seq=1) /
               (tok + b"XXXX"))
    bad_ihl = bytearray(ip)
    bad_ihl[0], bad_ihl[8] = 0x42, 8
    h3.agent.send([bytes(s.Ether(src=h3.mac, dst="33:33:00:00:00:01", type=0x86DD)) + ip,
                   bytes(s.Ether(src=h3.mac, dst="33:33:00:00:00:01", type=0x86DD)) +
                   bytes(bad_ihl)])
    h1.agent.send([bytes(s.Ether(src=h1.mac, dst="33:33:00:00:00:01", type=0x86DD)) + ip])
    time.sleep(1.0)
    assert h2.agent.take(tok) == [], "the router answered a spoofed echo"
    d = delta(t.l3stats(), b)
    assert d["echo_replies_sent"] == 0, d


def test_no_icmpv6_error_about_an_error_behind_a_fragment_header(t):
    s, h3 = t.px.s, t[3]
    tok = t.px.new_token()
    h3.agent.take()
    inner = s.IPv6(src="2001:db8:9::1", dst="2001:db8:3::1") / s.UDP() / tok
    for ext in (s.IPv6ExtHdrFragment(offset=0, m=0, id=5), s.IPv6ExtHdrDestOpt()):
        b, bd = t.l3stats(), t.drops()
        err = s.IPv6(src="2001:db8:3::1", dst="2001:db8:1::1", hlim=1) / ext / \
            s.ICMPv6DestUnreach(code=4) / inner
        h3.agent.send([bytes(s.Ether(src=h3.mac, dst=t.rmac["r3"]) / err)])
        wait_until(lambda: delta(t.drops(), bd)["ttl-exceeded"] == 1, 5, "ttl-exceeded")
        wait_until(lambda: delta(t.l3stats(), b)["icmp_not_allowed"] == 1, 5,
                   "the error refused", show=lambda: delta(t.l3stats(), b))
        assert delta(t.l3stats(), b)["icmp_errors_sent"] == 0
    time.sleep(0.3)
    assert h3.agent.take(tok) == []


def test_martian_sources_and_destinations_are_not_forwarded(t):
    h1, h3 = t[1], t[3]
    tok = t.px.new_token()
    for h in t.hosts:
        h.agent.take()
    bd = t.drops()
    frames = [t.px.udp6(h1.mac, t.rmac["v10"], "fe80::1", "2001:db8:3::1", seq=1),
              t.px.udp4(h1.mac, t.rmac["v10"], "127.0.0.1", "10.3.0.1", seq=2),
              t.px.udp4(h1.mac, t.rmac["v10"], "0.1.2.3", "10.3.0.1", seq=3),
              t.px.udp4(h1.mac, t.rmac["v10"], "10.1.0.1", "224.1.2.3", seq=4),
              t.px.udp4(h1.mac, t.rmac["v10"], "240.0.0.1", "10.3.0.1", seq=5)]
    h1.agent.send(frames)
    wait_until(lambda: delta(t.drops(), bd)["martian"] == len(frames), 5, "martian drops",
               show=lambda: {k: v for k, v in delta(t.drops(), bd).items() if v})
    time.sleep(0.3)
    assert h3.agent.take(tok) == []


def test_link_local_echo_is_answered_without_a_neighbour_route(t):
    h = t[3]
    ll_h = h.sh("sh", "-c", f"ip -6 addr show dev {h.ns_if} scope link | "
                "awk '/inet6/{print $2}'").stdout.strip().split("/")[0]
    ll_r = ll_of(t.rmac["r3"])
    h.ping(f"{ll_r}%{h.ns_if}", count=1)
    t.c.cmd(f"neigh del {ll_h} dev r3")
    b = t.l3stats()
    r = h.sh("ping", "-6", "-n", "-c", "3", "-i", "0.3", "-W", "1", f"{ll_r}%{h.ns_if}",
             check=False)
    assert r.returncode == 0 and " 0% packet loss" in r.stdout, r.stdout
    d = delta(t.l3stats(), b)
    assert d["echo_replies_sent"] >= 3 and d["ctrl_no_route"] == 0, d


def test_ttl_flood_does_not_starve_arp(t):
    """A TTL=1 flood far above the ICMP rate: the workers stop punting most of it (their budget),
    ARP still gets through (a reserve of the punt ring) and the neighbour resolves at once."""
    h1, h2 = t[1], t[2]
    tok = t.px.new_token()
    f = t.px.udp4(h1.mac, t.rmac["v10"], h1.ip4, "10.3.0.1", ttl=1, seq=0)
    off = f.find(tok) + len(tok)
    bd, bs = t.drops(), t.l3stats()
    h1.agent.stream([f], [off], 100000, 0)
    time.sleep(0.3)
    t.c.cmd("neigh del 10.2.0.1 dev r2")
    h2.flush_neigh()
    r = h2.ping("10.2.0.254", count=5, interval=0.2, wait=1)
    wait_until(lambda: h1.agent.stream_status()["done"], 60, "stream")
    d, ds = delta(t.drops(), bd), delta(t.l3stats(), bs)
    assert " 0% packet loss" in r.stdout, (r.stdout, d, ds)
    assert d["punt-queue-full"] == 0, d
    # (af_packet itself may miss some of the flood: what arrived is counted)
    assert d["ttl-exceeded"] > 10000, d
    assert ds["icmp_limited"] > 0 or ds["icmp_rate_limited"] > 0, ds


def test_spoofed_arp_senders_cannot_fill_the_tables(t):
    """ARP requests for the router from 3,000 made-up senders: each learned sender costs a
    neighbour and a host route, but never more than the dynamic limit; the CLI stays quick and
    routes can still be added."""
    s, h3 = t.px.s, t[3]
    t.ok("interface set r3 address 10.128.0.254/10")
    n = 3000
    frames = [bytes(s.Ether(src=h3.mac, dst="ff:ff:ff:ff:ff:ff") /
                    s.ARP(op=1, hwsrc=h3.mac, psrc="10.%d.%d.%d" % (128 + (i >> 16),
                                                                    (i >> 8) & 255,
                                                                    (i & 255) or 1),
                          pdst="10.128.0.254"))
              for i in range(n)]
    b = t.l3stats()
    h3.agent.send(frames)
    # Until the control thread has seen what arrived (af_packet may miss part of the burst, the
    # punt ring may overflow: punt-queue-full), i.e. arp_in stops growing.
    seen = [-1]

    def settled():
        now = delta(t.l3stats(), b)["arp_in"]
        done, seen[0] = now == seen[0] and now > 300, now
        return done

    wait_until(settled, 20, "ARP handled", interval=0.5, show=lambda: delta(t.l3stats(), b))
    t0 = time.monotonic()
    t.ok("route add 10.201.0.0/24 via 10.2.0.1")
    assert time.monotonic() - t0 < 1.0
    assert t.l3stats()["neighbours"] <= 16384 + 16
    t.ok("route del 10.201.0.0/24")
    t.ok("interface set r3 address del 10.128.0.254/10")
