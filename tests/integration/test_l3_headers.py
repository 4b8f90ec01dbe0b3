# SPDX-License-Identifier: BSD-3-Clause
# Malformed packets to the router MAC: each broken IPv4/IPv6 header is dropped by the worker and
# counted under its own reason (`show drops`), nothing of it is forwarded or answered, and the
# daemon stays up; the same through a routed port (r3) and through a VLAN interface (v10), whose
# frames the bridge hands over. Broken ARP and ND to the router are counted and not answered.
# A valid packet with IPv4 options, and a valid one after all the bad ones, still go through.
#
#   h1 p1 access 10 -- v10 10.1.0.254/24 2001:db8:1::fe/64
#   h2 p2 access 20 -- v20 10.2.0.254/24 2001:db8:2::fe/64 (destination: must receive nothing)
#   h3 p3 routed    -- r3  10.3.0.254/24 2001:db8:3::fe/64
import random
import struct

import pytest

from l3util import (ROUTED3_CONFIG, ROUTED3_HOSTS, delta, fresh_test, module_topology,
                    wait_frames, wait_until)

SENDERS = {"p1": "v10", "p3": "r3"}


@pytest.fixture(scope="module")
def topo():
    def warm(t):
        # the router knows h2: a valid packet to it goes straight out
        for h in (t[1], t[3]):
            h.ping(t[2].ip4, count=1)
            h.ping(t[2].ip6, count=1)

    yield from module_topology(3, ROUTED3_CONFIG, ROUTED3_HOSTS, warm)


@pytest.fixture
def t(topo):
    yield from fresh_test(topo)


def ip4_cksum(hdr):
    s = sum(struct.unpack(f"!{len(hdr) // 2}H", hdr))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def fix4(raw, off=14):
    """Recompute the IPv4 header checksum of raw (header at off)."""
    ihl = (raw[off] & 0xF) * 4
    hdr = bytearray(raw[off:off + ihl])
    hdr[10:12] = b"\0\0"
    hdr[10:12] = ip4_cksum(bytes(hdr)).to_bytes(2, "big")
    return raw[:off] + bytes(hdr) + raw[off + ihl:]


def bad_frames(t, port):
    """{reason: [frames]} of broken packets from the host on port to h2, via the router."""
    h, px = t.host(port), t.px
    rmac = t.rmac[SENDERS[port]]
    h2 = t[2]
    v4 = bytearray(px.udp4(h.mac, rmac, h.ip4, h2.ip4, seq=1, size=40))
    v6 = bytearray(px.udp6(h.mac, rmac, h.ip6, h2.ip6, seq=2, size=40))
    tok = px.token
    f = {}
    b = bytearray(v4)
    b[24] ^= 0xFF                                            # checksum
    f["ip-bad-checksum"] = [bytes(b)]
    b = bytearray(v4)
    b[14] = 0x44                                             # IHL 4 (16 bytes)
    f["ip-bad-ihl"] = [bytes(b)]
    b = bytearray(v4)
    b[14] = 0x4F                                             # IHL 15: 60 bytes, past the frame
    f["ip-bad-ihl"].append(bytes(b[:14 + 20 + 8]) + tok)
    b = bytearray(v4)
    b[16:18] = (len(v4) - 14 + 100).to_bytes(2, "big")       # total length past the frame
    f["ip-bad-length"] = [fix4(bytes(b))]
    b = bytearray(v4)
    b[16:18] = (12).to_bytes(2, "big")                       # total length < header
    f["ip-bad-length"].append(fix4(bytes(b)))
    b = bytearray(v6)
    b[18:20] = (len(v6) - 54 + 64).to_bytes(2, "big")        # payload length past the frame
    f["ip-bad-length"].append(bytes(b))
    b = bytearray(v4)
    b[14] = 0x65                                             # version 6 under ethertype IPv4
    f["ip-bad-version"] = [bytes(b)]
    b = bytearray(v6)
    b[14] = 0x45                                             # version 4 under ethertype IPv6
    f["ip-bad-version"].append(bytes(b))
    f["ip-truncated"] = [bytes(v4[:14 + 19]),                # IPv4 header cut short
                         bytes(v6[:14 + 39]),                # IPv6 header cut short
                         bytes(v4[:14])]                     # nothing after the Ethernet header
    f["l3-unsupported"] = [bytes.fromhex(rmac.replace(":", "") + h.mac.replace(":", "")) +
                           b"\x88\xb5" + tok + bytes(40),    # an ethertype the router ignores
                           bytes.fromhex(rmac.replace(":", "") + h.mac.replace(":", "")) +
                           b"\x88\x47" + bytes(4) + bytes(v4[14:])]  # MPLS
    return f


def counts(t):
    return {k: v for k, v in t.drops().items()}


@pytest.mark.parametrize("port", ["p3", "p1"])
def test_bad_headers_dropped_and_counted_by_reason(t, port):
    h, px = t.host(port), t.px
    frames = bad_frames(t, port)
    # truncated frames carry no token: they are recognised by the counters alone
    n = sum(len(v) for v in frames.values())
    before, l3 = counts(t), t.l3stats()
    rx_before = t.ok(f"port show {port}")["stats"]["ipackets"]
    for reason, fs in frames.items():
        h.agent.send(fs)
    wait_until(lambda: t.ok(f"port show {port}")["stats"]["ipackets"] - rx_before >= n, 5,
               f"{n} frames received on {port}")
    want = {r: len(fs) for r, fs in frames.items()}
    wait_until(lambda: all(delta(counts(t), before)[r] >= c for r, c in want.items()), 5,
               "the drops counted", show=lambda: delta(counts(t), before))
    d = {k: v for k, v in delta(counts(t), before).items() if v}
    assert d == want, f"drops {d}, want {want}"
    got = wait_frames(t, px.token, {}, settle=0.3, kind="any")
    assert all(not v for v in got.values()), \
        {p: [px.parse(f).summary() for f in v] for p, v in got.items() if v}
    assert delta(t.l3stats(), l3)["icmp_errors_sent"] == 0

    # a valid packet with IPv4 options (IHL 6: one NOP and padding) is routed, options intact
    s = px.s
    px.new_token()
    h2 = t[2]
    opt = px.udp4(h.mac, t.rmac[SENDERS[port]], h.ip4, h2.ip4, ttl=9, seq=3)
    p = s.Ether(opt)
    p[s.IP].options = [s.IPOption_NOP(), s.IPOption_NOP(), s.IPOption_NOP(),
                       s.IPOption_EOL()]
    del p[s.IP].chksum, p[s.IP].len, p[s.IP].ihl, p[s.UDP].chksum
    good = bytes(p)
    assert good[14] == 0x46
    h.agent.send([good, px.udp6(h.mac, t.rmac[SENDERS[port]], h.ip6, h2.ip6, seq=4)])
    got = wait_frames(t, px.token, {"p2": 2})
    assert {q: len(v) for q, v in got.items() if v} == {"p2": 2}, got
    out = [px.parse(f) for f in got["p2"] if f[12:14] == b"\x08\x00"][0]
    assert out[s.IP].ihl == 6 and out[s.IP].ttl == 8
    ck = out[s.IP].chksum
    del out[s.IP].chksum
    assert s.IP(bytes(out[s.IP])).chksum == ck


def test_routed_port_drops_tagged_and_foreign_frames(t):
    h3, px = t[3], t.px
    before = counts(t)
    good = px.udp4(h3.mac, t.rmac["r3"], h3.ip4, t[2].ip4, seq=1)
    tagged = good[:12] + b"\x81\x00\x00\x0a" + good[12:]
    foreign = bytes.fromhex("024c00000033") + good[6:]
    h3.agent.send([tagged, tagged, foreign])
    wait_until(lambda: delta(counts(t), before)["not-router-mac"] >= 1, 5, "drops counted")
    d = {k: v for k, v in delta(counts(t), before).items() if v}
    assert d == {"vlan-not-allowed": 2, "not-router-mac": 1}, d
    assert all(not v for v in wait_frames(t, px.token, {}, kind="any").values())


def test_bad_arp_and_nd_to_the_router_counted_not_answered(t):
    h1, h3, s = t[1], t[3], t.px.s
    l3 = t.l3stats()
    arp = bytes(s.Ether(src=h3.mac, dst="ff:ff:ff:ff:ff:ff") /
                s.ARP(op=1, hwsrc=h3.mac, psrc=h3.ip4, pdst="10.3.0.254"))
    bad_arp = [arp[:14] + arp[14:18] + b"\x04" + arp[19:],    # hardware length 4
               arp[:20] + b"\x00\x09" + arp[22:],             # opcode 9
               arp[:14 + 10]]                                 # truncated
    ns = s.Ether(src=h1.mac, dst="33:33:ff:00:00:fe") / \
        s.IPv6(src=h1.ip6, dst="ff02::1:ff00:fe", hlim=255) / \
        s.ICMPv6ND_NS(tgt="2001:db8:1::fe") / s.ICMPv6NDOptSrcLLAddr(lladdr=h1.mac)
    ns_hops = ns.copy()
    ns_hops[s.IPv6].hlim = 64                                 # must be 255
    ns_ck = bytearray(bytes(ns))
    ns_ck[14 + 40 + 2] ^= 0xFF                                # ICMPv6 checksum
    h3.agent.send(bad_arp)
    h1.agent.send([bytes(ns_hops), bytes(ns_ck)])
    wait_until(lambda: delta(t.l3stats(), l3)["nd_invalid"] >= 2 and
               delta(t.l3stats(), l3)["arp_invalid"] >= 3, 5, "bad ARP/ND counted",
               show=lambda: delta(t.l3stats(), l3))
    d = delta(t.l3stats(), l3)
    assert d["arp_invalid"] == 3 and d["nd_invalid"] == 2, d
    assert d["arp_replies_sent"] == 0 and d["na_sent"] == 0, d
    # and the good ones are answered
    h3.agent.take()
    h1.agent.take()
    h3.agent.send([arp])
    h1.agent.send([bytes(ns)])
    wait_until(lambda: delta(t.l3stats(), l3)["arp_replies_sent"] == 1 and
               delta(t.l3stats(), l3)["na_sent"] == 1, 5, "ARP reply and NA sent")
    reply = [s.Ether(f) for f in h3.agent.take() if f[12:14] == b"\x08\x06"]
    assert any(r[s.ARP].op == 2 and r[s.ARP].psrc == "10.3.0.254" and
               r[s.ARP].hwsrc == t.rmac["r3"] and r[s.ARP].pdst == h3.ip4 for r in reply), \
        [r.summary() for r in reply]


def test_fuzzed_headers_do_not_hurt_the_daemon(t):
    """Random corruption of the first 60 bytes after the Ethernet header, random lengths: the
    daemon keeps running and still routes a good packet afterwards."""
    h1, h3, px = t[1], t[3], t.px
    rnd = random.Random(7)
    frames = {"p1": [], "p3": []}
    for port, h in (("p1", h1), ("p3", h3)):
        rmac = t.rmac[SENDERS[port]]
        for i in range(150):
            base = bytearray(px.udp4(h.mac, rmac, h.ip4, "10.2.0.1", seq=i, size=20)
                             if i % 2 else
                             px.udp6(h.mac, rmac, h.ip6, "2001:db8:2::1", seq=i, size=20))
            for _ in range(rnd.randint(1, 4)):
                k = rnd.randrange(min(60, len(base) - 14))
                # not the IPv4 fragment field: DPDK's af_packet socket has the kernel
                # reassemble fragments (PACKET_FANOUT_FLAG_DEFRAG), lone ones never arrive
                if i % 2 == 0 or k not in (6, 7):
                    base[14 + k] = rnd.randrange(256)
            cut = rnd.choice([len(base), len(base), rnd.randint(14, len(base))])
            frames[port].append(bytes(base[:cut]))
    rx = {p: t.ok(f"port show {p}")["stats"]["ipackets"] for p in frames}
    for port, fs in frames.items():
        t.host(port).agent.send(fs)
    wait_until(lambda: all(t.ok(f"port show {p}")["stats"]["ipackets"] - rx[p] >= 150
                           for p in frames), 5, "fuzzed frames received",
               show=lambda: {p: t.ok(f"port show {p}")["stats"]["ipackets"] - rx[p]
                             for p in frames})
    assert t.d.alive()
    px.new_token()
    h3.agent.send([px.udp4(h3.mac, t.rmac["r3"], h3.ip4, t[2].ip4, seq=1)])
    assert len(wait_frames(t, px.token, {"p2": 1})["p2"]) == 1
