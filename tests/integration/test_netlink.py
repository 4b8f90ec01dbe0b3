# SPDX-License-Identifier: BSD-3-Clause
# Netlink mirror with a live kernel: sluiced runs in a router namespace, its interfaces r1..r3 are
# in VRF red bound to table 100 and paired with host TAPs sl-r1..sl-r3 whose addresses Linux holds
# (nlutil.NlTopo). Routes added, replaced and deleted with `ip route` in table 100 appear in and
# leave Sluice's FIB and change what real packets from the host namespaces do; ECMP and next-hop
# objects from the kernel; neighbours Linux learns on a TAP; link MTU; resyncs that move nothing;
# and what is not mirrored is counted by reason.
import subprocess
import time

import pytest

from nlutil import NlTopo, ip_batch, host_routes, wait_until


@pytest.fixture(scope="module")
def t():
    t = NlTopo(3)
    try:
        # h2 and h3 own addresses behind the routes the tests add
        t[2].sh("ip", "addr", "add", "10.9.0.5/32", "dev", "lo")
        t[2].sh("ip", "-6", "addr", "add", "2001:db8:9::5/128", "dev", "lo")
        for h in (t[2], t[3]):
            h.sh("ip", "addr", "add", "10.8.0.5/32", "dev", "lo")
        t[3].sh("ip", "addr", "add", "10.9.0.5/32", "dev", "lo")
        yield t
        assert t.d.alive(), t.d.stderr()[-3000:]
    finally:
        problems = t.close()
        if problems:
            pytest.fail("\n".join(problems), pytrace=False)


@pytest.fixture(autouse=True)
def clean_table(t):
    yield
    t.ip("route", "flush", "table", "100", check=False)
    t.ip("-6", "route", "flush", "table", "100", check=False)
    wait_until(lambda: not t.kernel_routes(), 5, "kernel routes gone from vrf red",
               show=t.kernel_routes)


def test_tap_addresses_make_a_router_interface_that_answers(t):
    h1 = t[1]
    r1 = t.iface("r1")
    assert set(r1["addresses"]) == {"10.0.1.1/24", "2001:db8:1::1/64"}, r1
    routes = t.routes()
    assert routes["10.0.1.0/24"]["type"] == "connected" and routes["10.0.1.1/32"]["type"] == "local"
    assert h1.ping("10.0.1.1").returncode == 0
    assert h1.ping("2001:db8:1::1").returncode == 0
    # host to host through Sluice, on the mirrored connected routes
    assert h1.ping(t[2].ip4).returncode == 0
    # an address removed in Linux leaves the interface
    t.ip("addr", "add", "10.0.11.1/24", "dev", "sl-r1")
    wait_until(lambda: "10.0.11.1/24" in t.iface("r1")["addresses"], 5, "address mirrored")
    t.ip("addr", "del", "10.0.11.1/24", "dev", "sl-r1")
    wait_until(lambda: "10.0.11.1/24" not in t.iface("r1")["addresses"], 5, "address removed")
    assert "10.0.11.0/24" not in t.routes()
    # mirrored addresses are not config
    assert not any("10.0.1.1" in ln for ln in t.d.config_file_lines())


def test_route_add_replace_del_in_table_follow_kernel_and_forwarding(t):
    h1 = t[1]
    assert h1.ping("10.9.0.5", count=1).returncode != 0  # no route yet
    t.ip("route", "add", "10.9.0.0/24", "via", "10.0.2.2", "dev", "sl-r2", "table", "100")
    t.ip("-6", "route", "add", "2001:db8:9::/64", "via", "2001:db8:2::2", "table", "100")
    r = t.wait_route("10.9.0.0/24")
    assert r["origin"] == "kernel" and r["via"] == [{"gw": "10.0.2.2", "dev": "r2", "weight": 1}]
    r6 = t.wait_route("2001:db8:9::/64")
    assert r6["via"][0]["gw"] == "2001:db8:2::2" and r6["via"][0]["dev"] == "r2", r6
    rx2 = t[2].rx_packets()
    assert h1.ping("10.9.0.5", count=3).returncode == 0
    assert h1.ping("2001:db8:9::5", count=2).returncode == 0
    assert t[2].rx_packets() - rx2 >= 5
    # replace: now via h3, which owns the same address
    t.ip("route", "replace", "10.9.0.0/24", "via", "10.0.3.2", "dev", "sl-r3", "table", "100")
    wait_until(lambda: t.routes()["10.9.0.0/24"]["via"][0]["dev"] == "r3", 5, "route replaced",
               show=t.routes)
    rx3 = t[3].rx_packets()
    assert h1.ping("10.9.0.5", count=3).returncode == 0
    assert t[3].rx_packets() - rx3 >= 3
    # replace by a blackhole: Sluice drops
    t.ip("route", "replace", "blackhole", "10.9.0.0/24", "table", "100")
    wait_until(lambda: t.routes()["10.9.0.0/24"]["type"] == "blackhole", 5, "blackhole")
    assert h1.ping("10.9.0.5", count=2).returncode != 0
    t.ip("route", "del", "10.9.0.0/24", "table", "100")
    t.ip("-6", "route", "del", "2001:db8:9::/64", "table", "100")
    t.wait_route("10.9.0.0/24", present=False)
    t.wait_route("2001:db8:9::/64", present=False)
    assert h1.ping("10.9.0.5", count=1).returncode != 0
    # kernel routes are never persisted
    assert not any("10.9.0.0" in ln for ln in t.d.config_file_lines())


def test_unreachable_prohibit_and_metrics(t):
    t.ip("route", "add", "unreachable", "10.10.0.0/16", "table", "100")
    t.ip("route", "add", "prohibit", "10.11.0.0/16", "table", "100")
    # two metrics for one prefix: the kernel (and Sluice) use the lower
    t.ip("route", "add", "10.12.0.0/24", "via", "10.0.2.2", "dev", "sl-r2", "metric", "10",
         "table", "100")
    t.ip("route", "add", "10.12.0.0/24", "via", "10.0.3.2", "dev", "sl-r3", "metric", "5",
         "table", "100")
    assert t.wait_route("10.10.0.0/16")["type"] == "unreachable"
    assert t.wait_route("10.11.0.0/16")["type"] == "prohibit"
    wait_until(lambda: t.routes().get("10.12.0.0/24", {}).get("via", [{}])[0].get("dev") == "r3",
               5, "metric 5 route wins", show=t.routes)
    t.ip("route", "del", "10.12.0.0/24", "metric", "5", "table", "100")
    wait_until(lambda: t.routes().get("10.12.0.0/24", {}).get("via", [{}])[0].get("dev") == "r2",
               5, "metric 10 route takes over", show=t.routes)


def test_ecmp_route_from_kernel_spreads_flows(t):
    t.ip("route", "add", "10.8.0.0/24", "table", "100", "nexthop", "via", "10.0.2.2", "dev",
         "sl-r2", "nexthop", "via", "10.0.3.2", "dev", "sl-r3", "weight", "2")
    r = t.wait_route("10.8.0.0/24")
    vias = sorted((v["gw"], v["dev"], v["weight"]) for v in r["via"])
    assert vias == [("10.0.2.2", "r2", 1), ("10.0.3.2", "r3", 2)], r
    rx = (t[2].rx_packets(), t[3].rx_packets())
    # 200 UDP flows (source ports) from h1: both gateways get some
    t[1].sh("/usr/bin/python3", "-c", "import socket\n"
            "for p in range(20000, 20200):\n"
            "    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
            "    s.bind(('10.0.1.2', p)); s.sendto(b'x' * 32, ('10.8.0.5', 9)); s.close()\n")
    time.sleep(0.5)
    got = (t[2].rx_packets() - rx[0], t[3].rx_packets() - rx[1])
    assert got[0] >= 20 and got[1] >= 40 and got[0] + got[1] >= 200, got


def test_next_hop_objects_without_compat_mode(t):
    # routes that carry only RTA_NH_ID: Sluice resolves them through the objects
    t.r("sysctl", "-qw", "net.ipv4.nexthop_compat_mode=0")
    try:
        t.ip("nexthop", "add", "id", "101", "via", "10.0.2.2", "dev", "sl-r2")
        t.ip("nexthop", "add", "id", "102", "via", "10.0.3.2", "dev", "sl-r3")
        t.ip("nexthop", "add", "id", "110", "group", "101/102")
        t.ip("route", "add", "10.20.0.0/24", "nhid", "101", "table", "100")
        t.ip("route", "add", "10.21.0.0/24", "nhid", "110", "table", "100")
        assert [v["dev"] for v in t.wait_route("10.20.0.0/24")["via"]] == ["r2"]
        assert sorted(v["dev"] for v in t.wait_route("10.21.0.0/24")["via"]) == ["r2", "r3"]
        # the object changes, no route notification: Sluice follows the object
        t.ip("nexthop", "replace", "id", "101", "via", "10.0.3.2", "dev", "sl-r3")
        wait_until(lambda: [v["dev"] for v in t.routes()["10.20.0.0/24"]["via"]] == ["r3"], 5,
                   "route follows its next-hop object", show=t.routes)
        assert t.nl()["installed"]["nexthop_objects"] >= 3
        rx3 = t[3].rx_packets()
        t[2].sh("ip", "addr", "add", "10.20.0.5/32", "dev", "lo")
        t[3].sh("ip", "addr", "add", "10.20.0.5/32", "dev", "lo")
        assert t[1].ping("10.20.0.5", count=2).returncode == 0
        assert t[3].rx_packets() - rx3 >= 2
        t.ip("route", "del", "10.20.0.0/24", "table", "100")
        t.ip("route", "del", "10.21.0.0/24", "table", "100")
        t.ip("nexthop", "flush")
        t.wait_route("10.21.0.0/24", present=False)
        wait_until(lambda: t.nl()["installed"]["nexthop_objects"] == 0, 5, "objects gone")
    finally:
        t.r("sysctl", "-qw", "net.ipv4.nexthop_compat_mode=1")
        t.ip("nexthop", "flush", check=False)


def test_neighbours_linux_learns_on_a_tap_appear_as_kernel(t):
    # the router's own stack pings h1 through the TAP: Linux resolves it
    t.ip("neigh", "flush", "dev", "sl-r1", check=False)
    assert t.r("ping", "-n", "-c", "1", "-W", "2", t[1].ip4, check=False).returncode == 0
    mac = t[1].sh("cat", f"/sys/class/net/{t[1].veth_n}/address").stdout.strip()
    n = wait_until(lambda: t.neigh().get((t[1].ip4, "r1")), 5, "neighbour mirrored",
                   show=t.neigh)
    assert n["state"] == "kernel" and n["mac"] == mac, n
    # a static one added with ip neigh, then deleted
    t.ip("neigh", "add", "10.0.1.77", "lladdr", "02:00:00:00:01:77", "dev", "sl-r1", "nud",
         "permanent")
    n = wait_until(lambda: t.neigh().get(("10.0.1.77", "r1")), 5, "permanent neighbour mirrored")
    assert n["state"] == "kernel" and n["mac"] == "02:00:00:00:01:77", n
    t.ip("neigh", "del", "10.0.1.77", "dev", "sl-r1")
    wait_until(lambda: ("10.0.1.77", "r1") not in t.neigh(), 5, "neighbour removed")


def test_tap_mtu_goes_to_the_interface_and_back(t):
    t.ip("link", "set", "sl-r1", "mtu", "1400")
    wait_until(lambda: t.iface("r1")["mtu"] == 1400, 5, "TAP MTU on the interface")
    assert "interface set r1 mtu 1400" in t.d.config_file_lines()
    t.ok("interface set r1 mtu 1500")
    wait_until(lambda: "mtu 1500" in t.ip("link", "show", "sl-r1").stdout, 5,
               "interface MTU on the TAP")


def test_resync_does_not_touch_unchanged_routes_nor_forwarding(t):
    lines, _ = host_routes(2000)
    ip_batch(t, lines)
    t.ip("route", "add", "10.9.0.0/24", "via", "10.0.2.2", "dev", "sl-r2", "table", "100")
    wait_until(lambda: t.vrf_route_count() >= 2001 + 12, 10, "routes mirrored")
    before = t.nl()
    # a continuous ping through a kernel route while resyncs run: nothing lost
    assert t[1].ping("10.9.0.5", count=1).returncode == 0
    ping = subprocess.Popen(["ip", "netns", "exec", t[1].ns, "ping", "-n", "-q", "-c", "150",
                             "-i", "0.01", "10.9.0.5"], stdout=subprocess.PIPE, text=True)
    for _ in range(5):
        t.ok("netlink resync")
        time.sleep(0.2)
    out = ping.communicate(timeout=30)[0]
    assert ping.returncode == 0 and " 0% packet loss" in out, out
    after = t.nl()
    assert after["resyncs"] >= before["resyncs"] + 5
    assert after["changes"]["routes_added"] == before["changes"]["routes_added"], \
        (before["changes"], after["changes"])
    assert after["installed"]["routes"] == before["installed"]["routes"] >= 2001


def test_link_down_of_a_tap_withdraws_its_routes(t):
    # the kernel drops IPv4 routes of a device set down without RTM_DELROUTE
    t.ip("route", "add", "10.30.0.0/24", "via", "10.0.3.2", "dev", "sl-r3", "table", "100")
    t.wait_route("10.30.0.0/24")
    t.ip("link", "set", "sl-r3", "down")
    try:
        t.wait_route("10.30.0.0/24", present=False)
    finally:
        t.ip("link", "set", "sl-r3", "up")
        t.ip("-6", "addr", "add", "2001:db8:3::1/64", "dev", "sl-r3", "nodad", check=False)
    wait_until(lambda: len(t.iface("r3")["addresses"]) == 2, 5, "r3 addresses back")


def test_what_is_not_mirrored_is_counted_by_reason(t):
    before = t.nl()["ignored"]
    t.ip("route", "add", "blackhole", "10.40.0.0/24", "table", "300")      # table of no VRF
    t.ip("link", "add", "nlx0", "type", "veth", "peer", "name", "nlx1")
    t.ip("addr", "add", "10.41.0.1/24", "dev", "nlx0")
    t.ip("link", "set", "nlx0", "up")
    t.ip("link", "set", "nlx1", "up")
    try:
        t.ip("route", "add", "10.42.0.0/24", "via", "10.41.0.2", "dev", "nlx0", "table", "100")
        t.ip("route", "add", "10.43.0.0/24", "dev", "sl-r2", "table", "100")  # no gateway
        t.ip("route", "add", "local", "10.44.0.1/32", "dev", "sl-r2", "table", "100")

        def grown():
            ign = t.nl()["ignored"]
            return all(ign[k] > before[k] for k in ("unknown_table", "not_host_if",
                                                    "unsupported", "interface_route"))
        wait_until(grown, 5, "ignored counters", show=lambda: t.nl()["ignored"])
        routes = t.routes()
        for p in ("10.40.0.0/24", "10.42.0.0/24", "10.43.0.0/24", "10.44.0.1/32"):
            assert p not in routes, routes
        assert t.nl()["routes_not_installed"] >= 2
        assert any("10.42.0.0/24" in s for s in t.nl()["recent_ignored"]), t.nl()
    finally:
        t.ip("route", "flush", "table", "300", check=False)
        t.ip("link", "del", "nlx0", check=False)


def test_vrf_bound_later_gets_the_tables_routes(t):
    t.ip("route", "add", "blackhole", "10.50.0.0/24", "table", "200")
    t.ip("-6", "route", "add", "unreachable", "2001:db8:50::/48", "table", "200")
    try:
        t.ok("vrf add blue table 200")
        wait_until(lambda: {"10.50.0.0/24", "2001:db8:50::/48"} <=
                   set(t.kernel_routes("blue")), 5, "table 200 mirrored into vrf blue",
                   show=lambda: t.routes("blue"))
    finally:
        t.c.cmd("vrf del blue")
        t.ip("route", "flush", "table", "200", check=False)
        t.ip("-6", "route", "flush", "table", "200", check=False)


def test_netlink_off_withdraws_everything_and_on_brings_it_back(t):
    t.ip("route", "add", "10.60.0.0/24", "via", "10.0.2.2", "dev", "sl-r2", "table", "100")
    t.wait_route("10.60.0.0/24")
    t.ok("netlink off")
    assert "netlink on" not in t.d.config_file_lines()
    assert not t.kernel_routes()
    assert t.iface("r1")["addresses"] == []
    assert not [n for n in t.neigh().values() if n["state"] == "kernel"]
    assert t.nl()["state"] == "off"
    t.ok("netlink on")
    assert "netlink on" in t.d.config_file_lines()
    t.wait_route("10.60.0.0/24")
    wait_until(lambda: len(t.iface("r1")["addresses"]) == 2, 5, "addresses back")
    assert t[1].ping("10.0.1.1", count=1).returncode == 0


@pytest.mark.parametrize("cmd, piece", [
    ("netlink maybe", "usage: netlink on|off"),
    ("netlink", "usage: netlink on|off"),
    ("netlink on now", "usage: netlink on|off"),
    ("netlink set rcvbuf 100", "out of range"),
    ("netlink set rcvbuf 2000000000", "out of range"),
    ("netlink set rcvbuf lots", "not a number"),
    ("netlink set sndbuf 4096", "usage: netlink set rcvbuf BYTES"),
    ("netlink resync now", "usage: netlink resync"),
    ("show netlink all", "usage: show netlink"),
])
def test_bad_netlink_commands_are_errors_and_change_nothing(t, cmd, piece):
    cfg = t.d.config_file_lines()
    assert piece in t.err(cmd)
    assert t.d.config_file_lines() == cfg
    assert t.nl()["state"] == "synced"


def test_rcvbuf_is_applied_and_persisted(t):
    t.ok("netlink set rcvbuf 1048576")
    try:
        assert "netlink set rcvbuf 1048576" in t.d.config_file_lines()
        assert t.nl()["rcvbuf_effective"] == 2 * 1048576  # the kernel doubles it
    finally:
        t.ok("netlink set rcvbuf 33554432")
    assert not any("rcvbuf" in ln for ln in t.d.config_file_lines())
