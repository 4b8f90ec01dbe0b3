# SPDX-License-Identifier: BSD-3-Clause
# FDB with live traffic: learning, moves, ageing, static entries (and their persistence), deletes
# and flushes, port removal, per-port and global MAC limits, sources that must never be learned.
# Four namespaces behind af_packet ports of one sluiced; every test starts from all ports
# `vlan none`, an empty FDB and default bridge settings.
import signal
import time

import pytest

from l2util import LiveTopo, NsAgent, delta, mac, wait_until

BCAST = "ff:ff:ff:ff:ff:ff"


@pytest.fixture(scope="module")
def topo():
    t = LiveTopo(4)
    try:
        yield t
    finally:
        problems = t.close()
        if problems:
            pytest.fail("\n".join(problems), pytrace=False)


@pytest.fixture
def t(topo):
    topo.reset()
    for p in ("p1", "p2", "p3"):
        topo.vlan(p, "access 10")
    topo.vlan("p4", "trunk 10,20")
    yield topo
    assert topo.d.alive(), "sluiced died during the test"


def learned(t, vlan, m, timeout=3.0):
    """Wait (bounded) until (vlan, m) is in the FDB; its (port, type)."""
    return wait_until(lambda: t.ctl.fdb_map().get((vlan, m)), timeout,
                      f"{m} in the FDB of VLAN {vlan}")


def test_learned_mac_moves_to_new_port(t):
    fx = t.fx
    m, other = mac(20, 0, 0, 1), mac(20, 0, 0, 2)
    t.exchange("p1", [fx.frame(m, BCAST)], {"p2": 1, "p3": 1, "p4": 1})
    assert learned(t, 10, m) == ("p1", "learned")
    moves = t.ctl.bridge()["moves"]
    # m shows up behind p2: the entry moves and traffic follows it.
    t.exchange("p2", [fx.frame(m, BCAST)], {"p1": 1, "p3": 1, "p4": 1})
    wait_until(lambda: t.ctl.fdb_map().get((10, m)) == ("p2", "learned"), 3,
               f"{m} moved to p2 (fdb: {t.ctl.fdb_ours()})")
    assert t.ctl.bridge()["moves"] == moves + 1
    t.exchange("p3", [fx.frame(other, m)], {"p2": 1})
    # And back, from a trunk, tagged.
    t.exchange("p4", [fx.frame(m, BCAST, vlan=10)], {"p1": 1, "p2": 1, "p3": 1})
    wait_until(lambda: t.ctl.fdb_map().get((10, m)) == ("p4", "learned"), 3, f"{m} moved to p4")
    got = t.exchange("p3", [fx.frame(other, m)], {"p4": 1})
    assert got["p4"][0][12:16] == bytes.fromhex("8100000a")
    assert t.ctl.bridge()["moves"] == moves + 2
    assert len([k for k in t.ctl.fdb_ours() if k[1] == m]) == 1


def test_frame_to_mac_behind_ingress_port_dropped(t):
    fx = t.fx
    a, b = mac(21, 0, 0, 1), mac(21, 0, 0, 2)
    t.exchange("p1", [fx.frame(a, BCAST), fx.frame(b, BCAST)], {"p2": 2, "p3": 2, "p4": 2})
    learned(t, 10, b)
    before = t.ctl.drops()
    t.exchange("p1", [fx.frame(a, b)], {})
    d = delta(t.ctl.drops(), before)
    assert d["ingress-port-is-egress"] == 1 and sum(d.values()) == 1, d


def test_ageing_removes_idle_learned_entry(t):
    fx = t.fx
    t.ctl.ok("bridge set ageing 2")
    assert "bridge set ageing 2" in t.ctl.config()
    m = mac(22, 0, 0, 1)
    aged = t.ctl.bridge()["aged"]
    t.exchange("p1", [fx.frame(m, BCAST)], {"p2": 1, "p3": 1, "p4": 1}, settle=0)
    t0 = time.monotonic()
    learned(t, 10, m)
    wait_until(lambda: (10, m) not in t.ctl.fdb_map(), 6, f"{m} aged out (ageing 2 s)",
               interval=0.1)
    took = time.monotonic() - t0
    assert 0.5 <= took <= 4.5, f"entry aged after {took:.1f}s with ageing 2 s"
    assert t.ctl.bridge()["aged"] >= aged + 1
    # Gone means unknown again: flooded.
    t.exchange("p2", [fx.frame(mac(22, 0, 0, 2), m)], {"p1": 1, "p3": 1, "p4": 1})


def test_ageing_spares_entries_that_keep_sending(t):
    fx = t.fx
    t.ctl.ok("bridge set ageing 2")
    m = mac(23, 0, 0, 1)
    t.exchange("p1", [fx.frame(m, BCAST)], {"p2": 1, "p3": 1, "p4": 1}, settle=0)
    learned(t, 10, m)
    end = time.monotonic() + 4.5
    while time.monotonic() < end:
        t.host("p1").agent.send([fx.frame(m, BCAST)])
        assert t.ctl.fdb_map().get((10, m)) == ("p1", "learned"), "active entry aged out"
        time.sleep(0.4)
    assert t.ctl.fdb_map().get((10, m)) == ("p1", "learned")


def test_static_entry_never_ages_and_is_not_overridden(t):
    fx = t.fx
    t.ctl.ok("bridge set ageing 1")
    s, other = mac(24, 0, 0, 1), mac(24, 0, 0, 2)
    t.ctl.ok(f"fdb add 10 {s} p2")
    assert f"fdb add 10 {s} p2" in t.ctl.config()
    assert t.ctl.fdb_map()[(10, s)] == ("p2", "static")
    b0 = t.ctl.bridge()
    assert b0["static"] == 1
    # Known: unicast to p2 only, even before p2 ever sent anything.
    t.exchange("p1", [fx.frame(other, s)], {"p2": 1})
    # s sends from p1 and p4: learning must not move a static entry.
    t.exchange("p1", [fx.frame(s, BCAST)], {"p2": 1, "p3": 1, "p4": 1})
    t.exchange("p4", [fx.frame(s, BCAST, vlan=10)], {"p1": 1, "p2": 1, "p3": 1})
    time.sleep(0.3)
    assert t.ctl.fdb_map()[(10, s)] == ("p2", "static")
    t.exchange("p3", [fx.frame(mac(24, 0, 0, 4), s)], {"p2": 1})
    # Ageing 1 s: learned `other` goes, the static entry stays.
    time.sleep(3.2)
    fdb = t.ctl.fdb_map()
    assert fdb.get((10, s)) == ("p2", "static"), fdb
    assert (10, other) not in fdb, fdb
    b = t.ctl.bridge()
    assert b["moves"] == b0["moves"] and b["static"] == 1, b
    t.exchange("p1", [fx.frame(other, s)], {"p2": 1})
    # A static entry replaces a learned one (and becomes static).
    m = mac(24, 0, 0, 3)
    t.exchange("p3", [fx.frame(m, BCAST)], {"p1": 1, "p2": 1, "p4": 1})
    assert learned(t, 10, m) == ("p3", "learned")
    t.ctl.ok(f"fdb add 10 {m} p1")
    assert t.ctl.fdb_map()[(10, m)] == ("p1", "static")
    t.exchange("p2", [fx.frame(other, m)], {"p1": 1})


def test_fdb_del_learned_and_static(t):
    fx = t.fx
    a, s = mac(25, 0, 0, 1), mac(25, 0, 0, 2)
    t.exchange("p1", [fx.frame(a, BCAST)], {"p2": 1, "p3": 1, "p4": 1})
    learned(t, 10, a)
    t.ctl.ok(f"fdb add 10 {s} p3")
    t.ctl.ok(f"fdb add 20 {s} p4")
    assert len(t.ctl.fdb("limit", 1)) == 1 and len(t.ctl.fdb("limit", 3)) == 3
    assert [e["mac"] for e in t.ctl.fdb("vlan", 20, "limit", 5)] == [s]
    assert t.ctl.fdb("vlan", 20, "port", "p3") == []
    t.ctl.ok(f"fdb del 10 {a}")
    t.ctl.ok(f"fdb del 10 {s}")
    fdb = t.ctl.fdb_ours()
    assert fdb == {(20, s): ("p4", "static")}, fdb
    assert f"fdb add 10 {s} p3" not in t.ctl.config()
    assert f"fdb add 20 {s} p4" in t.ctl.config()
    e = t.ctl.err(f"fdb del 10 {s}")
    assert "no entry" in e and s in e.lower(), e
    # Both unknown again: flooded.
    t.exchange("p2", [fx.frame(mac(25, 0, 0, 9), a), fx.frame(mac(25, 0, 0, 9), s)],
               {"p1": 2, "p3": 2, "p4": 2})
    b = t.ctl.bridge()
    assert b["static"] == 1, b


def test_fdb_flush_by_vlan_by_port_and_all(t):
    fx = t.fx
    t.vlan("p3", "access 20")
    a, b, c, s = mac(26, 0, 0, 1), mac(26, 0, 0, 2), mac(26, 0, 0, 3), mac(26, 0, 0, 4)
    t.exchange("p1", [fx.frame(a, BCAST)], {"p2": 1, "p4": 1})
    t.exchange("p2", [fx.frame(b, BCAST)], {"p1": 1, "p4": 1})
    t.exchange("p3", [fx.frame(c, BCAST)], {"p4": 1})
    t.exchange("p4", [fx.frame(a, BCAST, vlan=20)], {"p3": 1})
    t.ctl.ok(f"fdb add 20 {s} p3")
    wait_until(lambda: len(t.ctl.fdb_ours()) == 5, 3, f"5 entries (have {t.ctl.fdb_ours()})")
    r = t.ctl.ok("fdb flush vlan 10")
    assert r == {"flushed": 2}, r
    assert t.ctl.fdb_ours() == {(20, c): ("p3", "learned"), (20, a): ("p4", "learned"),
                                (20, s): ("p3", "static")}
    r = t.ctl.ok("fdb flush port p3")   # static entries too
    assert r == {"flushed": 2}, r
    assert t.ctl.fdb_ours() == {(20, a): ("p4", "learned")}
    assert f"fdb add 20 {s} p3" not in t.ctl.config()
    # vlan and port together.
    t.exchange("p4", [fx.frame(b, BCAST, vlan=10)], {"p1": 1, "p2": 1})
    learned(t, 10, b)
    assert t.ctl.ok("fdb flush vlan 10 port p1") == {"flushed": 0}
    assert t.ctl.ok("fdb flush port p4 vlan 10") == {"flushed": 1}
    assert t.ctl.fdb_ours() == {(20, a): ("p4", "learned")}
    assert t.ctl.ok("fdb flush")["flushed"] >= 1
    assert t.ctl.fdb_map() == {}
    br = t.ctl.bridge()
    assert br["entries"] == 0 and br["learned"] == 0 and br["static"] == 0, br
    # Flushed MACs are unknown: flooded; and learned again.
    t.exchange("p2", [fx.frame(b, a)], {"p1": 1, "p4": 1})
    assert learned(t, 10, b) == ("p2", "learned")


def test_vlan_mode_change_flushes_learned_entries_of_the_port(t):
    fx = t.fx
    a, s = mac(27, 0, 0, 1), mac(27, 0, 0, 2)
    t.exchange("p1", [fx.frame(a, BCAST)], {"p2": 1, "p3": 1, "p4": 1})
    learned(t, 10, a)
    t.ctl.ok(f"fdb add 10 {s} p1")
    t.vlan("p1", "access 20")
    assert t.ctl.fdb_ours() == {(10, s): ("p1", "static")}


def test_port_removed_flushes_its_entries(t):
    fx = t.fx
    ns = t.net.netns()
    for k in ("all", "default"):
        t.net.exec(ns, "sysctl", "-qw", f"net.ipv6.conf.{k}.disable_ipv6=1")
    root_if, ns_if = t.net.veth(ns=ns)
    agent = NsAgent(ns, ns_if)
    try:
        t.ctl.ok(f"port add px net_af_packet77,iface={root_if},qpairs=1")
        t.vlan("px", "access 10")
        wait_until(lambda: t.ctl.ok("port show px")["link"]["up"], 10, "px link up")
        m, s, s2 = mac(28, 0, 0, 1), mac(28, 0, 0, 2), mac(28, 0, 0, 3)
        agent.send([fx.frame(m, BCAST)])
        t.collect({"p1": 1, "p2": 1, "p3": 1, "p4": 1})
        assert learned(t, 10, m) == ("px", "learned")
        t.ctl.ok(f"fdb add 10 {s} px")
        t.ctl.ok(f"fdb add 10 {s2} p2")
        assert f"fdb add 10 {s} px" in t.ctl.config()
        entries = t.ctl.bridge()["entries"]
        t.ctl.ok("port del px")
        assert t.ctl.fdb_ours() == {(10, s2): ("p2", "static")}
        assert t.ctl.bridge()["entries"] == entries - 2
        assert not any("px" in ln for ln in t.ctl.config()), t.ctl.config()
        # Frames to the removed port's MACs are unknown again (flooded to the rest).
        t.exchange("p1", [fx.frame(mac(28, 0, 0, 9), m), fx.frame(mac(28, 0, 0, 9), s)],
                   {"p2": 2, "p3": 2, "p4": 2})
    finally:
        agent.close()
        if any(p["name"] == "px" for p in t.ctl.ok("show ports")):
            t.ctl.ok("port del px")


def test_port_mac_limit_stops_learning_not_forwarding(t):
    fx = t.fx
    t.ctl.ok("port set p1 mac-limit 2")
    assert "port set p1 mac-limit 2" in t.ctl.config()
    a, b, c = mac(29, 0, 0, 1), mac(29, 0, 0, 2), mac(29, 0, 0, 3)
    hits = t.ctl.bridge()["mac_limit_hits"]
    for m in (a, b):
        t.exchange("p1", [fx.frame(m, BCAST)], {"p2": 1, "p3": 1, "p4": 1})
        learned(t, 10, m)
    # The third source is still forwarded (flooded), just not learned.
    t.exchange("p1", [fx.frame(c, BCAST), fx.frame(c, mac(29, 0, 0, 50))],
               {"p2": 2, "p3": 2, "p4": 2})
    wait_until(lambda: t.ctl.bridge()["mac_limit_hits"] > hits, 3, "mac_limit_hits counted")
    fdb = t.ctl.fdb_ours()
    assert fdb == {(10, a): ("p1", "learned"), (10, b): ("p1", "learned")}, fdb
    per_port = {p["port"]: p for p in t.ctl.bridge()["ports"]}
    assert per_port["p1"]["learned"] == 2 and per_port["p1"]["mac_limit"] == 2, per_port
    assert per_port["p1"]["mac_limit_hits"] >= 1, per_port
    assert per_port["p2"]["mac_limit_hits"] == 0, per_port
    # Frames to it are flooded (unknown), and the other ports still learn.
    t.exchange("p2", [fx.frame(mac(29, 0, 0, 4), c)], {"p1": 1, "p3": 1, "p4": 1})
    assert learned(t, 10, mac(29, 0, 0, 4)) == ("p2", "learned")
    # Known ones are unicast.
    t.exchange("p2", [fx.frame(mac(29, 0, 0, 4), a)], {"p1": 1})
    # Lifting the limit: learned on its next frames (the worker filter may hold it for ~1 s).
    t.ctl.ok("port set p1 mac-limit 0")
    assert not any("mac-limit" in ln for ln in t.ctl.config())

    def relearn():
        t.host("p1").agent.send([fx.frame(c, BCAST)])
        return t.ctl.fdb_map().get((10, c))
    assert wait_until(relearn, 4, f"{c} learned after the limit is lifted",
                      interval=0.3) == ("p1", "learned")


def test_global_mac_limit(t):
    fx = t.fx
    t.ctl.ok("bridge set mac-limit 3")
    assert "bridge set mac-limit 3" in t.ctl.config()
    assert t.ctl.bridge()["mac_limit"] == 3
    hits = t.ctl.bridge()["mac_limit_hits"]
    srcs = [("p1", mac(30, 0, 0, i)) for i in (1, 2)] + [("p2", mac(30, 0, 0, i)) for i in (3, 4)]
    for port, m in srcs:
        others = {p: 1 for p in ("p1", "p2", "p3", "p4") if p != port}
        t.exchange(port, [fx.frame(m, BCAST)], others)
    wait_until(lambda: t.ctl.bridge()["mac_limit_hits"] > hits, 3, "global limit hit counted")
    assert len(t.ctl.fdb_map()) == 3, t.ctl.fdb_map()
    assert t.ctl.bridge()["learned"] == 3
    # Static entries are not limited.
    t.ctl.ok(f"fdb add 10 {mac(30, 0, 0, 9)} p3")
    assert t.ctl.bridge()["entries"] == 4


def test_multicast_and_broadcast_sources_never_learned(t):
    fx = t.fx
    posted = t.ctl.bridge()["learn_events_posted"]
    srcs = [BCAST, "01:00:5e:00:00:01", "33:33:00:00:00:01", "01:80:c2:00:00:0e",
            "03:4c:00:00:00:01"]
    frames = [fx.frame(s, d) for s in srcs for d in (BCAST, mac(31, 0, 0, 1))]
    t.exchange("p1", frames, {"p2": len(frames), "p3": len(frames), "p4": len(frames)})
    t.exchange("p4", [fx.frame(s, BCAST, vlan=10) for s in srcs],
               {"p1": len(srcs), "p2": len(srcs), "p3": len(srcs)})
    fdb = t.ctl.fdb_map()
    assert not any(k[1] in srcs for k in fdb), fdb
    assert t.ctl.bridge()["learn_events_posted"] == posted


def test_static_entries_persist_across_restart(sluiced_factory):
    d = sluiced_factory(start=False)
    s1, s2 = mac(32, 0, 0, 1), mac(32, 0, 0, 2)
    d.config.write_text("port add a net_null0,no-rx=1\nport add b net_null1,no-rx=1\n")
    d.start()
    for line in ("port set a vlan access 10", "port set b vlan trunk 10,20",
                 f"fdb add 10 {s1} a", f"fdb add 20 {s2} b", "bridge set ageing 1"):
        d.ok(*line.split())
    cfg = d.config_show()
    assert f"fdb add 10 {s1} a" in cfg and f"fdb add 20 {s2} b" in cfg, cfg
    time.sleep(2.2)   # ageing 1 s never touches static entries
    want = {(10, s1, "a", "static"), (20, s2, "b", "static")}
    assert {(e["vlan"], e["mac"], e["port"], e["type"]) for e in d.ok("show", "fdb")} == want
    d.restart()
    assert d.config_show() == cfg
    assert {(e["vlan"], e["mac"], e["port"], e["type"]) for e in d.ok("show", "fdb")} == want
    # Crash-only: kill -9 after a change, the change survives.
    d.ok("fdb", "del", "10", s1)
    d.kill9()
    d.start()
    assert {(e["vlan"], e["mac"], e["port"], e["type"]) for e in d.ok("show", "fdb")} == \
        {(20, s2, "b", "static")}
    assert f"fdb add 10 {s1} a" not in d.config_show()


def test_static_entry_on_port_outside_its_vlan_does_not_leak(t):
    """A static entry (VLAN 10, M) -> p3 while p3 is not in VLAN 10 (given that way, or p3 left
    VLAN 10 later: port_apply flushes only learned entries) must not carry VLAN 10 frames out of
    p3 into VLAN 20. Linux's bridge filters on egress the same way (br_allowed_egress)."""
    fx = t.fx
    t.vlan("p3", "access 20")
    src, m, n = mac(33, 0, 0, 1), mac(33, 0, 0, 2), mac(33, 0, 0, 3)
    r = t.ctl.c.cmd(f"fdb add 10 {m} p3")   # refusing it would be fine too
    t.ctl.ok(f"fdb add 10 {n} p2")
    t.vlan("p2", "access 20")                # p2 leaves VLAN 10, its static entry stays
    assert t.ctl.fdb_ours().get((10, n)) == ("p2", "static")
    t.send("p1", [fx.frame(src, m), fx.frame(src, n), fx.frame(src, m, size=600)])
    got = t.collect({}, settle=0.5)
    leaked = {p: len(got[p]) for p in ("p2", "p3") if got[p]}
    assert not leaked, (f"VLAN 10 frames left access ports of VLAN 20: {leaked} "
                        f"(fdb add 10 {m} p3 -> {r})")


def test_sighup_reload_makes_l2_state_what_the_file_says(sluiced_factory):
    d = sluiced_factory(start=False)
    s1, s2 = mac(34, 0, 0, 1), mac(34, 0, 0, 2)
    first = ["port add a net_null0,no-rx=1", "port add b net_null1,no-rx=1",
             "port set a vlan access 10", "port set b vlan trunk 10,20", "port set a mac-limit 5",
             "vlan set 20 flood off", "bridge set ageing 100", "bridge set mac-limit 9",
             f"fdb add 10 {s1} a"]
    d.config.write_text("\n".join(first) + "\n")
    d.start()
    assert sorted(d.config_show()) == sorted(first)
    second = ["port add a net_null0,no-rx=1", "port add b net_null1,no-rx=1",
              "port set a vlan trunk 30 native 3", "vlan set 40 flood off",
              "bridge set ageing 60", f"fdb add 30 {s2} a"]
    d.config.write_text("\n".join(second) + "\n")
    d.send_signal(signal.SIGHUP)
    wait_until(lambda: sorted(d.config_show()) == sorted(second), 10,
               "the reloaded config in force")
    assert [(e["vlan"], e["mac"], e["port"], e["type"]) for e in d.ok("show", "fdb")] == \
        [(30, s2, "a", "static")]
    b = d.ok("show", "bridge")
    assert (b["ageing_s"], b["mac_limit"], b["entries"]) == (60, 0, 1), b
    vl = {v["vlan"]: v for v in d.ok("show", "vlans")}
    assert vl[40]["flood"] == "off" and (20 not in vl or vl[20]["flood"] == "on"), vl
    assert vl[3]["untagged"] == ["a"] and vl[30]["tagged"] == ["a"], vl
    assert vl[1]["untagged"] == ["b"], vl
    # A bad L2 line: the reload is refused and the running state stays.
    d.config.write_text("\n".join(second + ["port set b vlan trunk 5-3"]) + "\n")
    d.send_signal(signal.SIGHUP)
    wait_until(lambda: "reload failed" in d.stderr(), 10, "'reload failed' logged")
    assert sorted(d.config_show()) == sorted(second)
    assert [e["mac"] for e in d.ok("show", "fdb")] == [s2]
    assert d.ok("show", "bridge")["ageing_s"] == 60
