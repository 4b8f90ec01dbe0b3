# SPDX-License-Identifier: BSD-3-Clause
# L2 bridge with live traffic: five namespaces behind af_packet ports of one sluiced. Access and
# trunk ports, native VLANs, PCP, flooding, isolation and ping, asserted on the frames each
# namespace receives and on the daemon's counters. Every test starts from all ports `vlan none`
# and an empty FDB (LiveTopo.reset), so tests do not depend on each other.
import subprocess

import pytest

from l2util import LiveTopo, dei_of, delta, mac, tag, untag, vlan_of

BCAST = "ff:ff:ff:ff:ff:ff"
MCAST = "01:00:5e:01:02:03"


@pytest.fixture(scope="module")
def topo():
    t = LiveTopo(5)
    try:
        yield t
    finally:
        problems = t.close()
        if problems:
            pytest.fail("\n".join(problems), pytrace=False)


@pytest.fixture
def t(topo):
    topo.reset()
    yield topo
    assert topo.d.alive(), "sluiced died during the test"


# -- access ports ---------------------------------------------------------------------------------

def test_access_same_vlan_forwards_and_learns(t):
    for p in ("p1", "p2", "p3"):
        t.vlan(p, "access 10")
    fx = t.fx
    m1, m2 = mac(1, 1, 1, 1), mac(1, 1, 1, 2)
    # Unknown destination: flooded to both other members of VLAN 10, not to p4/p5 (vlan none).
    got = t.exchange("p1", [fx.frame(m1, m2)], {"p2": 1, "p3": 1})
    assert got["p2"][0] == got["p3"][0]
    assert vlan_of(got["p2"][0]) is None
    # The answer finds m1 learned on p1: unicast to p1 only.
    t.exchange("p2", [fx.frame(m2, m1)], {"p1": 1})
    # Now m2 is known too: p1 -> m2 goes to p2 only, byte for byte.
    f = fx.frame(m1, m2, size=200)
    got = t.exchange("p1", [f, f], {"p2": 2})
    assert got["p2"] == [f, f]
    fdb = t.ctl.fdb_ours()
    assert fdb[(10, m1)] == ("p1", "learned"), fdb
    assert fdb[(10, m2)] == ("p2", "learned"), fdb
    assert len(fdb) == 2, fdb
    assert [e["mac"] for e in t.ctl.fdb("vlan", 10, "port", "p2")] == [m2]
    b = t.ctl.bridge()
    assert b["learned"] == b["entries"] == len(t.ctl.fdb_map()) and b["static"] == 0, b


def test_vlan_isolation_unicast_unknown_and_broadcast(t):
    t.vlan("p1", "access 10")
    t.vlan("p2", "access 10")
    t.vlan("p3", "access 20")
    t.vlan("p4", "access 20")
    fx = t.fx
    m1, m3, m4 = mac(2, 0, 0, 1), mac(2, 0, 0, 3), mac(2, 0, 0, 4)
    # m3 and m4 learned in VLAN 20.
    t.exchange("p3", [fx.frame(m3, BCAST)], {"p4": 1})
    t.exchange("p4", [fx.frame(m4, m3)], {"p3": 1})
    before = t.ctl.vlans()
    # VLAN 10 frames: broadcast, multicast, unknown unicast, and unicast to MACs known in
    # VLAN 20 (same MAC, other VLAN = other FDB key): all stay in VLAN 10.
    frames = [fx.frame(m1, BCAST), fx.frame(m1, MCAST), fx.frame(m1, mac(2, 0, 0, 99)),
              fx.frame(m1, m3), fx.frame(m1, m4)]
    got = t.exchange("p1", frames, {"p2": 5})
    assert got["p2"] == frames
    # And the other way round.
    frames = [fx.frame(m3, BCAST), fx.frame(m3, m1), fx.frame(m3, mac(2, 0, 0, 98))]
    got = t.exchange("p3", frames, {"p4": 3})
    after = t.ctl.vlans()
    assert after[10]["rx_packets"] - before[10]["rx_packets"] == 5
    assert after[20]["rx_packets"] - before[20]["rx_packets"] == 3
    assert after[10]["untagged"] == ["p1", "p2"] and after[20]["untagged"] == ["p3", "p4"]
    fdb = t.ctl.fdb_map()
    assert (10, m3) not in fdb and (20, m1) not in fdb, fdb
    assert fdb[(20, m3)] == ("p3", "learned") and fdb[(10, m1)] == ("p1", "learned"), fdb


def ping(t, src, dst_ip, count=2):
    h = t.host(src)
    return subprocess.run(["ip", "netns", "exec", h.ns, "ping", "-c", str(count), "-i", "0.2",
                           "-W", "1", "-n", "-q", dst_ip], capture_output=True, text=True,
                          timeout=15)


def flush_neigh(t):
    for h in t.hosts:  # no stale entries, no ARP refreshes during later tests
        subprocess.run(["ip", "-n", h.ns, "neigh", "flush", "all"], capture_output=True)


@pytest.fixture
def neigh_clean(t):
    flush_neigh(t)
    yield t
    flush_neigh(t)


def test_ping_same_vlan_works_across_vlans_fails(neigh_clean):
    t = neigh_clean
    t.vlan("p1", "access 10")
    t.vlan("p2", "access 10")
    t.vlan("p3", "access 20")
    h1, h2, h3 = t.host("p1"), t.host("p2"), t.host("p3")
    r = ping(t, "p1", h2.ip, count=3)
    assert r.returncode == 0, f"ping p1 -> p2 in VLAN 10 failed:\n{r.stdout}{r.stderr}"
    fdb = t.ctl.fdb_map()
    assert fdb.get((10, h1.mac)) == ("p1", "learned"), fdb
    assert fdb.get((10, h2.mac)) == ("p2", "learned"), fdb
    # Same subnet, other VLAN: ARP never reaches p3, so no reply.
    r = ping(t, "p1", h3.ip)
    assert r.returncode != 0, f"ping p1 (VLAN 10) -> p3 (VLAN 20) succeeded:\n{r.stdout}"
    r = ping(t, "p3", h1.ip)
    assert r.returncode != 0, f"ping p3 (VLAN 20) -> p1 (VLAN 10) succeeded:\n{r.stdout}"
    fdb = t.ctl.fdb_map()
    assert (10, h3.mac) not in fdb and fdb.get((20, h3.mac)) == ("p3", "learned"), fdb
    # Moving p3 into VLAN 10 makes it reachable (after forgetting the failed ARP).
    t.vlan("p3", "access 10")
    flush_neigh(t)
    r = ping(t, "p1", h3.ip)
    assert r.returncode == 0, f"ping p1 -> p3 after both in VLAN 10:\n{r.stdout}{r.stderr}"


# -- trunks ---------------------------------------------------------------------------------------

def test_trunk_accepts_allowed_tagged_and_access_copy_is_untagged(t):
    t.vlan("p1", "trunk 10,20")
    t.vlan("p2", "access 10")
    t.vlan("p3", "access 20")
    fx = t.fx
    src = mac(3, 0, 0, 1)
    f10 = fx.frame(src, BCAST, vlan=10, prio=3)
    f20 = fx.frame(src, BCAST, vlan=20)
    got = t.exchange("p1", [f10], {"p2": 1})
    assert got["p2"] == [untag(f10)]
    got = t.exchange("p1", [f20], {"p3": 1})
    assert got["p3"] == [untag(f20)]
    fdb = t.ctl.fdb_map()
    assert fdb[(10, src)] == ("p1", "learned") and fdb[(20, src)] == ("p1", "learned"), fdb


def test_access_to_trunk_gets_tag_with_access_vid(t):
    t.vlan("p1", "trunk 10,20")
    t.vlan("p2", "access 10")
    t.vlan("p3", "access 20")
    t.vlan("p4", "trunk 20")
    fx = t.fx
    f = fx.frame(mac(4, 0, 0, 2), BCAST, size=100)
    got = t.exchange("p2", [f], {"p1": 1})
    assert got["p1"] == [tag(f, 10, 0)]
    f = fx.frame(mac(4, 0, 0, 3), BCAST)
    got = t.exchange("p3", [f], {"p1": 1, "p4": 1})
    assert got["p1"] == [tag(f, 20, 0)] and got["p4"] == [tag(f, 20, 0)]
    v = t.ctl.vlans()
    assert v[10]["tagged"] == ["p1"] and v[10]["untagged"] == ["p2"], v[10]
    assert v[20]["tagged"] == ["p1", "p4"] and v[20]["untagged"] == ["p3"], v[20]


def test_pcp_and_dei_preserved_trunk_to_trunk(t):
    t.vlan("p1", "trunk 10")
    t.vlan("p4", "trunk 5-15")
    fx = t.fx
    frames = [fx.frame(mac(5, 0, 0, 1), BCAST, vlan=10, prio=p, dei=p % 2) for p in range(8)]
    got = t.exchange("p1", frames, {"p4": 8})
    assert got["p4"] == frames
    assert [vlan_of(f) for f in got["p4"]] == [(0x8100, 10, p) for p in range(8)]
    assert [dei_of(f) for f in got["p4"]] == [p % 2 for p in range(8)], "DEI not kept"


def test_priority_tagged_on_access_is_untagged_and_keeps_pcp_on_trunk(t):
    t.vlan("p1", "trunk 10")
    t.vlan("p2", "access 10")
    t.vlan("p3", "access 10")
    fx = t.fx
    f = fx.frame(mac(6, 0, 0, 2), BCAST, vlan=0, prio=6)
    got = t.exchange("p2", [f], {"p1": 1, "p3": 1})
    assert got["p3"] == [untag(f)], "priority tag not removed on the access egress"
    assert got["p1"] == [tag(untag(f), 10, 6)], "PCP of the priority tag lost on the trunk"
    f = fx.frame(mac(6, 0, 0, 2), BCAST, vlan=0, prio=2, dei=1, size=400)
    got = t.exchange("p2", [f], {"p1": 1, "p3": 1})
    assert got["p3"] == [untag(f)]
    assert got["p1"] == [tag(untag(f), 10, 2, dei=1)], "PCP/DEI of the priority tag lost"
    assert t.ctl.fdb_map()[(10, mac(6, 0, 0, 2))] == ("p2", "learned")


def test_native_vlan_untagged_in_and_out(t):
    t.vlan("p1", "trunk 20 native 10")
    t.vlan("p2", "access 10")
    t.vlan("p3", "trunk 10,20")
    t.vlan("p4", "access 20")
    fx = t.fx
    m1, m2, m3 = mac(7, 0, 0, 1), mac(7, 0, 0, 2), mac(7, 0, 0, 3)
    # Untagged on p1 goes to native VLAN 10.
    f = fx.frame(m1, BCAST)
    got = t.exchange("p1", [f], {"p2": 1, "p3": 1})
    assert got["p2"] == [f] and got["p3"] == [tag(f, 10)]
    # Tagged 20 on p1 stays in 20.
    f = fx.frame(m1, BCAST, vlan=20, prio=2)
    got = t.exchange("p1", [f], {"p3": 1, "p4": 1})
    assert got["p3"] == [f] and got["p4"] == [untag(f)]
    # Into the native VLAN from an access port and from a trunk: leaves p1 untagged.
    f = fx.frame(m2, BCAST)
    got = t.exchange("p2", [f], {"p1": 1, "p3": 1})
    assert got["p1"] == [f] and got["p3"] == [tag(f, 10)]
    f = fx.frame(m3, BCAST, vlan=10, prio=4)
    got = t.exchange("p3", [f], {"p1": 1, "p2": 1})
    assert got["p1"] == [untag(f)] and got["p2"] == [untag(f)]
    # Priority-tagged (VID 0) on the trunk: native VLAN, PCP kept where it leaves tagged.
    f = fx.frame(m1, BCAST, vlan=0, prio=5)
    got = t.exchange("p1", [f], {"p2": 1, "p3": 1})
    assert got["p2"] == [untag(f)] and got["p3"] == [tag(untag(f), 10, 5)]
    # A frame tagged with the native VID is accepted in the native VLAN too.
    f = fx.frame(m1, m2, vlan=10)
    got = t.exchange("p1", [f], {"p2": 1})
    assert got["p2"] == [untag(f)]
    fdb = t.ctl.fdb_map()
    assert fdb[(10, m1)] == ("p1", "learned") and fdb[(20, m1)] == ("p1", "learned"), fdb
    v = t.ctl.vlans()
    assert v[10]["untagged"] == ["p1", "p2"] and v[10]["tagged"] == ["p3"], v[10]
    assert "port set p1 vlan trunk 20 native 10" in t.ctl.config()


def test_trunk_without_native_drops_untagged(t):
    t.vlan("p1", "trunk 10,20")
    t.vlan("p2", "access 10")
    t.vlan("p3", "access 1")
    fx = t.fx
    before = t.ctl.drops()
    frames = [fx.frame(mac(8, 0, 0, 1), BCAST), fx.frame(mac(8, 0, 0, 1), mac(8, 0, 0, 2)),
              fx.frame(mac(8, 0, 0, 1), BCAST, vlan=0, prio=5)]  # priority-tagged = untagged
    t.exchange("p1", frames, {})
    d = delta(t.ctl.drops(), before)
    assert d["untagged-no-native"] == 3, d
    assert sum(d.values()) == 3, d
    assert t.ctl.fdb_ours() == {}, "source of a dropped frame was learned"


def test_trunk_drops_vlan_not_allowed(t):
    t.vlan("p1", "trunk 10,20")
    t.vlan("p2", "access 30")   # VLAN 30 exists, p1 is just not a member
    t.vlan("p3", "access 10")
    fx = t.fx
    before = t.ctl.drops()
    frames = [fx.frame(mac(9, 0, 0, 1), BCAST, vlan=v) for v in (30, 11, 4094, 1)]
    t.exchange("p1", frames, {})
    d = delta(t.ctl.drops(), before)
    assert d["vlan-not-allowed"] == 4 and sum(d.values()) == 4, d
    assert t.ctl.fdb_ours() == {}
    # Still accepted: the allowed VLAN.
    t.exchange("p1", [fx.frame(mac(9, 0, 0, 1), BCAST, vlan=10)], {"p3": 1})
    # VID 4095 (reserved) is never a member, even of a trunk allowing every VLAN.
    t.vlan("p4", "trunk 1-4094")
    before = t.ctl.drops()
    t.exchange("p4", [fx.frame(mac(9, 0, 0, 4), BCAST, vlan=4095)], {})
    d = delta(t.ctl.drops(), before)
    assert d["vlan-not-allowed"] == 1 and sum(d.values()) == 1, d


def test_access_port_drops_tagged_frames(t):
    t.vlan("p1", "access 10")
    t.vlan("p2", "access 10")
    t.vlan("p3", "trunk 10,20")
    fx = t.fx
    before = t.ctl.drops()
    frames = [fx.frame(mac(10, 0, 0, 1), BCAST, vlan=v) for v in (10, 20)]
    t.exchange("p1", frames, {})
    d = delta(t.ctl.drops(), before)
    assert d["vlan-not-allowed"] == 2 and sum(d.values()) == 2, d
    assert t.ctl.fdb_ours() == {}


# -- flooding -------------------------------------------------------------------------------------

def flood_setup(t):
    t.vlan("p1", "access 10")
    t.vlan("p2", "access 10")
    t.vlan("p3", "trunk 10,20")
    t.vlan("p4", "trunk 30 native 10")
    t.vlan("p5", "access 20")


def test_flood_reaches_every_member_once_tagged_per_port(t):
    flood_setup(t)
    fx = t.fx
    src = mac(11, 0, 0, 1)
    kinds = [BCAST, MCAST, mac(11, 0, 0, 77)]  # broadcast, multicast, unknown unicast
    pb, vb = t.ctl.ports(), t.ctl.vlans()
    for dst in kinds:
        f = fx.frame(src, dst)
        got = t.exchange("p1", [f], {"p2": 1, "p3": 1, "p4": 1})
        assert got["p2"] == [f] and got["p4"] == [f] and got["p3"] == [tag(f, 10)], dst
    pa, va = t.ctl.ports(), t.ctl.vlans()
    assert va[10]["flooded"] - vb[10]["flooded"] == 3
    assert va[20]["flooded"] == vb[20]["flooded"]
    for p, n in {"p1": 0, "p2": 3, "p3": 3, "p4": 3, "p5": 0}.items():
        assert pa[p]["opackets"] - pb[p]["opackets"] == n, (p, pa[p], pb[p])
    # From the trunk: tagged 10 in, untagged out of access and native ports, never back to p3.
    for dst in kinds:
        f = fx.frame(mac(11, 0, 0, 3), dst, vlan=10, prio=7)
        got = t.exchange("p3", [f], {"p1": 1, "p2": 1, "p4": 1})
        for p in ("p1", "p2", "p4"):
            assert got[p] == [untag(f)], (p, dst)
    # VLAN 20 from p5: only the trunk p3.
    f = fx.frame(mac(11, 0, 0, 5), BCAST)
    got = t.exchange("p5", [f], {"p3": 1})
    assert got["p3"] == [tag(f, 20)]


def test_flood_large_frame_copies_are_exact(t):
    flood_setup(t)
    fx = t.fx
    for dst in (BCAST, mac(12, 0, 0, 77)):
        f = fx.frame(mac(12, 0, 0, 1), dst, size=1400)
        got = t.exchange("p1", [f], {"p2": 1, "p3": 1, "p4": 1})
        assert got["p2"] == [f] and got["p4"] == [f]
        assert got["p3"] == [tag(f, 10)] and len(got["p3"][0]) == 1404
        f = fx.frame(mac(12, 0, 0, 3), dst, vlan=10, prio=1, size=1400)
        got = t.exchange("p3", [f], {"p1": 1, "p2": 1, "p4": 1})
        for p in ("p1", "p2", "p4"):
            assert got[p] == [untag(f)] and len(got[p][0]) == 1396, p
    d = t.ctl.drops()
    assert d["no-mbuf"] == 0, d


def test_flood_off_drops_unknown_unicast_not_broadcast(t):
    flood_setup(t)
    fx = t.fx
    t.ctl.ok("vlan set 10 flood off")
    t.flood_off.add(10)
    assert "vlan set 10 flood off" in t.ctl.config()
    assert t.ctl.vlans()[10]["flood"] == "off"
    src, known, unknown = mac(13, 0, 0, 1), mac(13, 0, 0, 2), mac(13, 0, 0, 99)
    before = t.ctl.drops()
    # Broadcast and multicast still reach every member; the broadcast teaches src.
    t.exchange("p1", [fx.frame(src, BCAST), fx.frame(src, MCAST)], {"p2": 2, "p3": 2, "p4": 2})
    t.exchange("p2", [fx.frame(known, src)], {"p1": 1})   # known learned on p2
    # Unknown unicast: dropped and counted; known unicast: forwarded.
    t.exchange("p1", [fx.frame(src, unknown), fx.frame(src, unknown, size=300)], {})
    t.exchange("p1", [fx.frame(src, known)], {"p2": 1})
    d = delta(t.ctl.drops(), before)
    assert d["unknown-unicast-flood-off"] == 2 and sum(d.values()) == 2, d
    # VLAN 20 is not affected.
    t.exchange("p5", [fx.frame(mac(13, 0, 0, 5), unknown)], {"p3": 1})
    # On again: flooded again.
    t.ctl.ok("vlan set 10 flood on")
    t.flood_off.discard(10)
    assert not any(ln.startswith("vlan set 10") for ln in t.ctl.config())
    t.exchange("p1", [fx.frame(src, unknown)], {"p2": 1, "p3": 1, "p4": 1})


def test_flood_without_other_members_counted(t):
    t.vlan("p1", "access 10")
    t.vlan("p2", "access 20")
    t.vlan("p3", "trunk 20")
    fx = t.fx
    before, vb = t.ctl.drops(), t.ctl.vlans()
    src = mac(14, 0, 0, 1)
    t.exchange("p1", [fx.frame(src, BCAST), fx.frame(src, mac(14, 0, 0, 2))], {})
    d = delta(t.ctl.drops(), before)
    assert d["flood-no-members"] == 2 and sum(d.values()) == 2, d
    assert t.ctl.vlans()[10]["rx_packets"] - vb[10]["rx_packets"] == 2
