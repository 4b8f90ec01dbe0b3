# SPDX-License-Identifier: BSD-3-Clause
# FRR as a real netlink client of Sluice: zebra, staticd and bgpd run in the router namespace next
# to sluiced (their own config, pid and socket files in the test's dir), with the interfaces r1, r2
# in the default VRF (table 254, where zebra installs). A static route configured in staticd, and
# a prefix learned over a BGP session with a peer in h2's namespace, end up in Sluice's FIB and
# forward packets between the hosts. The BGP session itself runs through Sluice: TCP to the
# router's address goes to the host TAP and bgpd's answers come back out of the interface.
#
#   h1 10.0.1.2 -- r1 (sl-r1 10.0.1.1) [sluiced + zebra/staticd/bgpd AS 65001] r2 (sl-r2 10.0.2.1)
#        -- h2 10.0.2.2, bgpd -Z AS 65002 announcing 10.88.0.0/24 (10.88.0.5 and 10.77.0.5 on lo)
import os
import pwd
import signal
import subprocess

import pytest

from nlutil import NlTopo, wait_until

FRR = "/usr/lib/frr"

ZEBRA_CONF = "hostname sluice-r\nlog stdout\n"
STATICD_CONF = """hostname sluice-r
log stdout
ip route 10.77.0.0/24 10.0.2.2
ipv6 route 2001:db8:77::/64 2001:db8:2::2
"""
BGPD_R = """hostname sluice-r
log stdout
router bgp 65001
 bgp router-id 10.0.2.1
 no bgp ebgp-requires-policy
 no bgp network import-check
 neighbor 10.0.2.2 remote-as 65002
 neighbor 10.0.2.2 timers 3 9
 neighbor 10.0.2.2 timers connect 1
"""
BGPD_H2 = """hostname h2
log stdout
router bgp 65002
 bgp router-id 10.0.2.2
 no bgp ebgp-requires-policy
 no bgp network import-check
 neighbor 10.0.2.1 remote-as 65001
 neighbor 10.0.2.1 timers 3 9
 neighbor 10.0.2.1 timers connect 1
 address-family ipv4 unicast
  network 10.88.0.0/24
 exit-address-family
"""


class Frr:
    """FRR daemons started in namespaces, each with its own files under dir (owned by frr, the
    user they drop to); stopped by their PIDs."""

    def __init__(self, d):
        self.dir = d
        self.procs = []
        self.uid = pwd.getpwnam("frr")

    def start(self, ns, daemon, name, conf, *extra):
        sub = self.dir / name
        sub.mkdir(exist_ok=True)
        (sub / f"{daemon}.conf").write_text(conf)
        for p in (sub, sub / f"{daemon}.conf"):
            os.chown(p, self.uid.pw_uid, self.uid.pw_gid)
        log = open(sub / f"{daemon}.log", "wb")
        argv = ["ip", "netns", "exec", ns, f"{FRR}/{daemon}", "-f", str(sub / f"{daemon}.conf"),
                "-i", str(sub / f"{daemon}.pid"), "--vty_socket", str(sub), "-A", "127.0.0.1",
                "-P", "0", "-u", "frr", "-g", "frr", "--log", "stdout", *extra]
        p = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self.procs.append((p, sub / f"{daemon}.log", log))
        return p

    def logs(self):
        return "\n".join(f"--- {path}\n{path.read_text(errors='replace')[-2000:]}"
                         for _, path, _ in self.procs if path.exists())

    def alive(self):
        return all(p.poll() is None for p, _, _ in self.procs)

    def stop(self, proc=None):
        for p, _, log in list(self.procs):
            if proc is not None and p is not proc:
                continue
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait(5)
            log.close()
            self.procs.remove((p, _, log))


@pytest.fixture(scope="module")
def t():
    if not os.access(f"{FRR}/zebra", os.X_OK):
        pytest.skip("FRR is not installed (Debian package frr; deploy/setup.sh installs it)")
    t = NlTopo(2, table=254)
    frr = Frr(t.dir)
    t.frr = frr
    try:
        zsock = str(t.dir / "zebra" / "zserv.api")
        for name in ("zebra", "staticd", "bgpd", "h2"):
            (t.dir / name).mkdir()
            os.chown(t.dir / name, frr.uid.pw_uid, frr.uid.pw_gid)
        frr.start(t.ns, "zebra", "zebra", ZEBRA_CONF, "-z", zsock)
        wait_until(lambda: os.path.exists(zsock), 10, "zebra's zserv socket",
                   show=frr.logs)
        frr.start(t.ns, "staticd", "staticd", STATICD_CONF, "-z", zsock)
        t[2].sh("ip", "addr", "add", "10.77.0.5/32", "dev", "lo")
        t[2].sh("ip", "-6", "addr", "add", "2001:db8:77::5/128", "dev", "lo")
        t[2].sh("ip", "addr", "add", "10.88.0.5/32", "dev", "lo")
        yield t
        assert frr.alive(), frr.logs()
        assert t.d.alive(), t.d.stderr()[-3000:]
    finally:
        frr.stop()
        problems = t.close()
        if problems:
            pytest.fail("\n".join(problems), pytrace=False)


def test_frr_static_route_reaches_sluice_fib_and_forwards(t):
    r = wait_until(lambda: t.kernel_routes().get("10.77.0.0/24"), 15,
                   "staticd's route in Sluice's default VRF",
                   show=lambda: (t.kernel_routes(), t.ip("route").stdout, t.frr.logs()))
    assert r["via"] == [{"gw": "10.0.2.2", "dev": "r2", "weight": 1}], r
    r6 = wait_until(lambda: t.kernel_routes().get("2001:db8:77::/64"), 10, "IPv6 static route")
    assert r6["via"][0]["gw"] == "2001:db8:2::2", r6
    # zebra installs through next-hop objects (RTA_NH_ID): Sluice knows them
    assert "nhid" in t.ip("route", "show", "10.77.0.0/24").stdout
    assert t.nl()["installed"]["nexthop_objects"] > 0
    assert t[1].ping("10.77.0.5").returncode == 0
    assert t[1].ping("2001:db8:77::5").returncode == 0


def test_frr_bgp_session_through_the_host_interface_installs_and_forwards(t):
    frr = t.frr
    zsock = str(t.dir / "zebra" / "zserv.api")
    frr.start(t.ns, "bgpd", "bgpd", BGPD_R, "-z", zsock)
    frr.start(t[2].ns, "bgpd", "h2", BGPD_H2, "-Z")
    r = wait_until(lambda: t.kernel_routes().get("10.88.0.0/24"), 40,
                   "BGP-learned route in Sluice's FIB",
                   show=lambda: (t.ip("route").stdout, t.ok("show host-ifs"), frr.logs()))
    assert r["via"] == [{"gw": "10.0.2.2", "dev": "r2", "weight": 1}], r
    assert "proto bgp" in t.ip("route", "show", "10.88.0.0/24").stdout
    assert t[1].ping("10.88.0.5").returncode == 0
    # the session ran through Sluice's host interface
    hif = {h["interface"]: h for h in t.ok("show host-ifs")["host_ifs"]}
    assert hif["r2"]["to_host"]["frames"] > 0 and hif["r2"]["from_host"]["frames"] > 0, hif
    # the peer goes: BGP withdraws, zebra deletes, Sluice follows
    bgp_h2 = next(p for p, path, _ in frr.procs if path.parent.name == "h2")
    frr.stop(bgp_h2)
    wait_until(lambda: "10.88.0.0/24" not in t.kernel_routes(), 30, "withdrawn route gone",
               show=lambda: (t.ip("route").stdout, frr.logs()))
