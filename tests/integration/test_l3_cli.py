# SPDX-License-Identifier: BSD-3-Clause
# The L3 commands (vrf, interface, route, neigh and their views) with bad input: each is an
# explicit error naming what was wrong, the running config and the tables stay as they were, and
# the daemon stays up. Then the good commands' effect on the running config, and its replay
# after kill -9 (crash-only: the config file is the state).
import pytest

from conftest import _daemon_factory

SETUP = [
    "port add n1 net_null0,no-rx=1",
    "port add n2 net_null1,no-rx=1",
    "vrf add red table 100",
    "interface add r1 port n1 vrf default",
    "interface set r1 address 10.1.0.254/24",
    "interface set r1 address 2001:db8:1::fe/64",
    "interface add v10 port n2 vlan 10 vrf red",
    "interface set v10 address 10.10.0.254/24",
]

# (command, a piece the error must contain)
BAD = [
    # vrf add / del
    ("vrf add", "usage"),
    ("vrf add blue", "usage"),
    ("vrf add blue table", "usage"),
    ("vrf add blue table abc", "abc"),
    ("vrf add blue table 0", "0"),
    ("vrf add blue table 4294967296", "4294967296"),
    ("vrf add blue tbl 5", "usage"),
    ("vrf add blue table 5 extra", "usage"),
    ("vrf add bad/name table 5", "bad/name"),
    ("vrf add red table 101", "red"),
    ("vrf add blue table 100", "100"),
    ("vrf del", "usage"),
    ("vrf del nosuch", "nosuch"),
    ("vrf del default", "default"),
    ("vrf del red", "v10"),
    ("vrf del red extra", "usage"),
    ("show vrfs extra", "usage"),
    # interface add / del / set
    ("interface add x1", "usage"),
    ("interface add x1 port nosuch vrf default", "nosuch"),
    ("interface add x1 port n1 vrf nosuch", "nosuch"),
    ("interface add x1 port n1 vlan 0 vrf default", "0"),
    ("interface add x1 port n1 vlan 4095 vrf default", "4095"),
    ("interface add x1 port n1 vlan abc vrf default", "abc"),
    ("interface add x1 port n1 vlan 11 vrfx default", "usage"),
    ("interface add x1 port n1 vrf default extra", "usage"),
    ("interface add r1 port n2 vrf default", "r1"),
    ("interface add x1 port n1 vrf default", "r1"),
    ("interface add x1 port n1 vlan 10 vrf default", "v10"),
    ("interface add bad/name port n1 vlan 12 vrf default", "bad/name"),
    ("interface del", "usage"),
    ("interface del nosuch", "nosuch"),
    ("interface del r1 extra", "usage"),
    ("interface set r1", "usage"),
    ("interface set nosuch address 10.2.0.1/24", "nosuch"),
    ("interface set r1 address 10.2.0.1", "10.2.0.1"),
    ("interface set r1 address 10.2.0.1/33", "10.2.0.1/33"),
    ("interface set r1 address 300.2.0.1/24", "300.2.0.1/24"),
    ("interface set r1 address 10.2.0.1/0", "10.2.0.1"),
    ("interface set r1 address del 10.9.9.9/24", "r1"),
    ("interface set r1 address 10.2.0.1/24 extra", "usage"),
    ("interface set r1 mtu 67", "67"),
    ("interface set r1 mtu 9601", "9601"),
    ("interface set r1 mtu abc", "abc"),
    ("interface set r1 mac 01:00:5e:00:00:01", "r1"),
    ("interface set r1 mac 00:00:00:00:00:00", "r1"),
    ("interface set r1 mac zz:00:00:00:00:01", "zz:00:00:00:00:01"),
    ("interface set r1 speed 5", "usage"),
    ("show interfaces extra", "usage"),
    # route add / del
    ("route add", "usage"),
    ("route add 10.5.0.0/16", "usage"),
    ("route add 10.5.0.1/16 via 10.1.0.1", "host bits"),
    ("route add 10.5.0.0 via 10.1.0.1", "10.5.0.0"),
    ("route add 10.5.0.0/16 via 999.1.1.1", "999.1.1.1"),
    ("route add 10.5.0.0/16 via 10.9.9.9", "10.9.9.9"),
    ("route add 10.5.0.0/16 via 2001:db8:1::1", "family"),
    ("route add 10.5.0.0/16 via 10.1.0.1 weight 0", "0"),
    ("route add 10.5.0.0/16 via 10.1.0.1 weight 256", "256"),
    ("route add 10.5.0.0/16 via 10.1.0.1 dev nosuch", "nosuch"),
    ("route add 10.5.0.0/16 via 10.1.0.1 metric 5", "usage"),
    ("route add 10.5.0.0/16 via 10.1.0.1 via", "usage"),
    ("route add 10.5.0.0/16 via", "usage"),
    ("route add vrf nosuch 10.5.0.0/16 blackhole", "nosuch"),
    ("route add 10.5.0.0/16 blackhole extra", "usage"),
    ("route add 10.5.0.0/16 drop", "usage"),
    ("route add 10.1.0.0/24 blackhole", "10.1.0.0/24"),
    ("route add 10.1.0.254/32 blackhole", "10.1.0.254/32"),
    ("route add 10.5.0.0/16 " + " ".join(f"via 10.1.0.{i}" for i in range(1, 18)), "usage"),
    ("route del", "usage"),
    ("route del 10.5.0.0/16", "10.5.0.0/16"),
    ("route del 10.1.0.0/24", "10.1.0.0/24"),
    ("route del vrf nosuch 10.5.0.0/16", "nosuch"),
    ("route del 10.5.0.0/16 extra", "usage"),
    ("show routes vrf", "usage"),
    ("show routes vrf nosuch", "nosuch"),
    ("show routes extra", "usage"),
    ("show route lookup default", "usage"),
    ("show route lookup nosuch 10.1.0.1", "nosuch"),
    ("show route lookup default 10.1.0", "10.1.0"),
    ("show route lookup default 10.1.0.1 extra", "usage"),
    ("show fib extra", "usage"),
    # neigh add / del and their views
    ("neigh add", "usage"),
    ("neigh add 10.1.0.9", "usage"),
    ("neigh add 10.1.0.9 02:00:00:00:00:01", "usage"),
    ("neigh add 10.1.0.9 02:00:00:00:00:01 dev", "usage"),
    ("neigh add 10.1.0.9 02:00:00:00:00:01 via r1", "usage"),
    ("neigh add 10.1.0.9 02:00:00:00:00:01 dev r1 extra", "usage"),
    ("neigh add 10.1.0.300 02:00:00:00:00:01 dev r1", "10.1.0.300"),
    ("neigh add r1 02:00:00:00:00:01 dev r1", "r1"),
    ("neigh add 10.1.0.9 02:00:00:00:01 dev r1", "02:00:00:00:01"),
    ("neigh add 10.1.0.9 02:00:00:00:00:01:02 dev r1", "02:00:00:00:00:01:02"),
    ("neigh add 10.1.0.9 zz:00:00:00:00:01 dev r1", "zz:00:00:00:00:01"),
    ("neigh add 10.1.0.9 02:00:00:00:00:01x dev r1", "02:00:00:00:00:01x"),
    ("neigh add 10.1.0.9 01:00:5e:00:00:01 dev r1", "unicast"),
    ("neigh add 10.1.0.9 ff:ff:ff:ff:ff:ff dev r1", "unicast"),
    ("neigh add 10.1.0.9 00:00:00:00:00:00 dev r1", "zero"),
    ("neigh add 224.0.0.1 02:00:00:00:00:01 dev r1", "unicast"),
    ("neigh add 255.255.255.255 02:00:00:00:00:01 dev r1", "unicast"),
    ("neigh add 0.0.0.0 02:00:00:00:00:01 dev r1", "unicast"),
    ("neigh add ff02::1 02:00:00:00:00:01 dev r1", "unicast"),
    ("neigh add :: 02:00:00:00:00:01 dev r1", "unicast"),
    ("neigh add 10.1.0.9 02:00:00:00:00:01 dev nosuch", "nosuch"),
    ("neigh del", "usage"),
    ("neigh del 10.1.0.9", "usage"),
    ("neigh del 10.1.0.9 dev", "usage"),
    ("neigh del 10.1.0.9 dev r1 extra", "usage"),
    ("neigh del 10.1.0.9 via r1", "usage"),
    ("neigh del 10.1.0.300 dev r1", "10.1.0.300"),
    ("neigh del 10.1.0.9 dev nosuch", "nosuch"),
    ("neigh del 10.1.0.9 dev r1", "10.1.0.9"),
    ("show neigh dev nosuch", "nosuch"),
    ("show neigh dev", "usage"),
    ("show neigh extra", "usage"),
    ("show neigh dev r1 extra", "usage"),
    ("show l3 stats extra", "usage"),
    ("show l3", None),
]


@pytest.fixture(scope="module")
def d():
    make, finish = _daemon_factory()
    daemon = make()
    for line in SETUP:
        daemon.ok(line)
    yield daemon
    finish()


@pytest.mark.parametrize("cmd,piece", BAD, ids=[c for c, _ in BAD])
def test_bad_l3_command_is_an_error_and_changes_nothing(d, cmd, piece):
    cfg = d.config_show()
    routes, neigh = d.ok("show routes"), d.ok("show neigh")
    with d.client() as c:
        e = c.err(cmd)
    if piece is not None:
        assert piece in e, f"'{cmd}': error {e!r} does not mention {piece!r}"
    assert d.config_show() == cfg
    assert d.config_file_lines() == cfg
    assert d.ok("show routes") == routes and d.ok("show neigh") == neigh
    assert d.alive()


def test_l3_config_persisted_and_replayed_after_kill9(d):
    base = d.config_show()
    lines = [
        "vrf add blue table 200",
        "interface add b20 port n2 vlan 20 vrf blue",
        "interface set b20 address 10.20.0.254/24",
        "interface set b20 address 2001:db8:20::fe/64",
        "interface set b20 mtu 1400",
        "interface set b20 mac 02:4c:00:00:20:01",
        "route add 10.5.0.0/16 via 10.1.0.1",
        "route add 10.6.0.0/16 via 10.1.0.1 via 10.1.0.2 weight 3",
        "route add vrf blue 10.6.0.0/16 via 10.20.0.1",
        "route add vrf red 10.7.0.0/16 blackhole",
        "route add 2001:db8:77::/48 unreachable",
        "route add 2001:db8:78::/48 prohibit",
        "route add 2001:db8:79::/48 via 2001:db8:1::1 dev r1",
        "neigh add 10.1.0.1 02:4c:00:00:00:01 dev r1",
        "neigh add 2001:db8:1::1 02:4c:00:00:00:02 dev r1",
        "neigh add 10.20.0.7 02:4c:00:00:00:03 dev b20",
    ]
    try:
        for ln in lines:
            d.ok(ln)
        cfg = d.config_show()
        assert d.config_file_lines() == cfg
        for want in ("vrf add blue table 200", "interface add b20 port n2 vlan 20 vrf blue",
                     "interface set b20 mtu 1400", "interface set b20 mac 02:4c:00:00:20:01",
                     "route add vrf default 10.5.0.0/16 via 10.1.0.1 dev r1",
                     "route add vrf default 10.6.0.0/16 via 10.1.0.1 dev r1 "
                     "via 10.1.0.2 dev r1 weight 3",
                     "route add vrf blue 10.6.0.0/16 via 10.20.0.1 dev b20",
                     "route add vrf red 10.7.0.0/16 blackhole",
                     "route add vrf default 2001:db8:77::/48 unreachable",
                     "route add vrf default 2001:db8:78::/48 prohibit",
                     "neigh add 10.1.0.1 02:4c:00:00:00:01 dev r1",
                     "neigh add 2001:db8:1::1 02:4c:00:00:00:02 dev r1",
                     "neigh add 10.20.0.7 02:4c:00:00:00:03 dev b20"):
            assert want in cfg, f"{want!r} not in the running config:\n" + "\n".join(cfg)
        # neighbours after the interfaces they name, routes after their interfaces
        assert max(cfg.index(x) for x in cfg if x.startswith("interface")) < \
            min(cfg.index(x) for x in cfg if x.startswith("neigh"))
        routes = d.ok("show routes")
        neigh = sorted((n["ip"], n["mac"], n["dev"], n["state"]) for n in d.ok("show neigh"))
        assert ("10.1.0.1", "02:4c:00:00:00:01", "r1", "permanent") in neigh, neigh
        ifaces = d.ok("show interfaces")

        d.kill9()
        d.start()
        assert d.config_show() == cfg
        assert d.ok("show routes") == routes
        assert sorted((n["ip"], n["mac"], n["dev"], n["state"])
                      for n in d.ok("show neigh")) == neigh
        # (net_null ports get a new random MAC each start: a set router MAC stays)
        assert [dict(i, mac=None) for i in d.ok("show interfaces")] == \
            [dict(i, mac=None) for i in ifaces]
        assert [i["mac"] for i in d.ok("show interfaces") if i["name"] == "b20"] == \
            ["02:4c:00:00:20:01"]
        lk = d.ok("show route lookup default 10.6.1.1")
        assert lk["match"] and [v["weight"] for v in lk["route"]["via"]] == [1, 3], lk
    finally:
        # back to the module's base config (other tests compare against it)
        for ln in ("neigh del 10.1.0.1 dev r1", "neigh del 2001:db8:1::1 dev r1",
                   "route del 10.5.0.0/16", "route del 10.6.0.0/16",
                   "route del 2001:db8:77::/48", "route del 2001:db8:78::/48",
                   "route del 2001:db8:79::/48", "route del vrf red 10.7.0.0/16",
                   "interface del b20", "vrf del blue"):
            d.ctl(ln)
    assert d.config_show() == base


@pytest.mark.parametrize("wide,narrow", [("10.50.0.0/16", "10.50.0.0/24"),
                                         ("2001:db8:50::/48", "2001:db8:50::/64")])
def test_route_shadowed_at_its_base_address_can_be_replaced_and_deleted(d, wide, narrow):
    """A route whose first address is also covered by a more specific route (10.50.0.0/16
    under 10.50.0.0/24) is still the route with that prefix: a second `route add` replaces it
    and `route del` removes it."""
    base = d.config_show()
    vrf_lines = lambda: sorted(ln for ln in d.config_show() if wide in ln or narrow in ln)
    d.ok(f"route add {wide} blackhole")
    d.ok(f"route add {narrow} unreachable")
    d.ok(f"route add {wide} prohibit")
    types = {r["prefix"]: r["type"] for r in d.ok("show routes")}
    assert types[wide] == "prohibit" and types[narrow] == "unreachable", types
    assert vrf_lines() == sorted([f"route add vrf default {wide} prohibit",
                                  f"route add vrf default {narrow} unreachable"])
    try:
        d.ok(f"route del {wide}")
        types = {r["prefix"]: r["type"] for r in d.ok("show routes")}
        assert wide not in types and types[narrow] == "unreachable", types
    finally:
        d.ctl(f"route del {narrow}")
        d.ctl(f"route del {wide}")
    assert d.config_show() == base
