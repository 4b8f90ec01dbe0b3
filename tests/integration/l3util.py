# SPDX-License-Identifier: BSD-3-Clause
# Helpers of the L3 routing integration tests (test_l3_*.py): a live topology of Linux hosts in
# network namespaces behind af_packet ports of one sluiced (L3Topo), a capture/send agent in each
# namespace (nsagent.NsAgent), and builders and parsers of the IPv4/IPv6 frames the tests send.
#
# Each host is a real Linux stack (addresses, default routes through the router, ARP/ND), so
# resolution, echo and ICMP errors meet real peers; the agent sends crafted frames from the same
# interface and captures every frame it receives. Crafted frames carry a per-test token in their
# payload, so captures are filtered to the test's own packets (and to ICMP errors quoting them).
import secrets
import tempfile
from pathlib import Path

import pytest

from conftest import NetEnv, Sluiced, close_topology, import_scapy, need_tool, wait_until
from nsagent import NsAgent, collect

class Host:
    """One namespace host behind sluiced port `port`."""

    def __init__(self, topo, port, ns, root_if, ns_if, agent, mac):
        self.topo, self.port, self.ns, self.root_if, self.ns_if = topo, port, ns, root_if, ns_if
        self.agent, self.mac = agent, mac
        self.ip4 = self.ip6 = None

    def sh(self, *args, check=True, timeout=30):
        return self.topo.net.exec(self.ns, *args, check=check, timeout=timeout)

    def configure(self, ip4=None, gw4=None, ip6=None, gw6=None):
        """Addresses (CIDR) and default routes through the router."""
        if ip4:
            self.sh("ip", "addr", "add", ip4, "dev", self.ns_if)
            self.ip4 = ip4.split("/")[0]
        if gw4:
            self.sh("ip", "route", "add", "default", "via", gw4)
        if ip6:
            self.sh("ip", "-6", "addr", "add", ip6, "dev", self.ns_if, "nodad")
            self.ip6 = ip6.split("/")[0]
        if gw6:
            self.sh("ip", "-6", "route", "add", "default", "via", gw6)
        return self

    def flush_neigh(self):
        self.sh("ip", "neigh", "flush", "dev", self.ns_if, check=False)
        self.sh("ip", "-6", "neigh", "flush", "dev", self.ns_if, check=False)

    def ping(self, dst, count=3, ttl=None, interval=0.2, wait=2):
        args = ["ping", "-n", "-c", str(count), "-i", str(interval), "-W", str(wait)]
        if ttl is not None:
            args += ["-t", str(ttl)]
        return self.sh(*args, dst, check=False, timeout=count * (interval + wait) + 10)


class L3Topo:
    """sluiced with n af_packet ports p1..pn; each is the root end of a veth whose other end sits
    in its own namespace (IPv4 and IPv6 on, DAD off) with an agent."""

    def __init__(self, n, build=None, eal_cores=("-l", "0-1"), env=None, qpairs=1):
        self.qpairs = qpairs  # one tx queue per worker
        need_tool("ping")
        self.net = NetEnv()
        self.hosts = []
        self.d = None
        self.c = None
        self.scapy = import_scapy()
        try:
            self._build(n, build, eal_cores, env)
        except BaseException:
            self.close()
            raise

    def _build(self, n, build, eal_cores, env):
        self.dir = Path(tempfile.mkdtemp(prefix="slt", dir="/tmp"))
        lines = []
        for i in range(1, n + 1):
            ns = self.net.netns()
            for k in ("all", "default"):
                self.net.exec(ns, "sysctl", "-qw", f"net.ipv6.conf.{k}.accept_dad=0")
                self.net.exec(ns, "sysctl", "-qw", f"net.ipv6.conf.{k}.disable_ipv6=0")
                # no router solicitations or autoconf from the router's RAs (none are sent)
                self.net.exec(ns, "sysctl", "-qw", f"net.ipv6.conf.{k}.router_solicitations=0")
            root_if, ns_if = self.net.veth(ns=ns)
            # af_packet hands TCP/UDP checksums left to offload over as they are: compute them
            self.net.run("ethtool", "-K", root_if, "tx", "off", check=False)
            self.net.exec(ns, "ethtool", "-K", ns_if, "tx", "off", check=False)
            lines.append(f"port add p{i} net_af_packet{i},iface={root_if},qpairs={self.qpairs}")
            lines.append(f"port set p{i} vlan none")
            mac = self.net.exec(ns, "cat", f"/sys/class/net/{ns_if}/address").stdout.strip()
            self.hosts.append(Host(self, f"p{i}", ns, root_if, ns_if, NsAgent(ns, ns_if), mac))
        self.d = Sluiced(self.dir, build=build, config=self.dir / "c.conf", eal_cores=eal_cores,
                         env=env)
        self.d.config.write_text("\n".join(lines) + "\n")
        self.d.start()
        self.c = self.d.client(timeout=60)
        wait_until(lambda: all(p["link"]["up"] for p in self.c.ok("show ports")), 10,
                   "links of the af_packet ports up")

    def host(self, port):
        return next(h for h in self.hosts if h.port == port)

    def __getitem__(self, i):
        """hosts by number: topo[1] is on p1"""
        return self.hosts[i - 1]

    # -- control ------------------------------------------------------------------------------
    def ok(self, line):
        return self.c.ok(line)

    def err(self, line):
        return self.c.err(line)

    def drops(self):
        return self.ok("show drops")

    def l3stats(self):
        """show l3 stats, plus icmp_limited: ICMP errors the workers did not ask for (over
        their punt budget), from show stats."""
        d = self.ok("show l3 stats")
        d["icmp_limited"] = self.ok("show stats")["icmp_limited"]
        return d

    def neigh(self, dev=None):
        """{(ip, dev): entry}"""
        rows = self.ok("show neigh" + (f" dev {dev}" if dev else ""))
        return {(r["ip"], r["dev"]): r for r in rows}

    def router_mac(self, iface):
        return next(i["mac"] for i in self.ok("show interfaces") if i["name"] == iface)

    def static_routes(self):
        return [r for r in self.ok("show routes")
                if r["type"] not in ("connected", "local", "neighbour")]

    def clear_routes(self):
        for r in self.static_routes():
            self.ok(f"route del vrf {r['vrf']} {r['prefix']}")

    def clear_neigh(self):
        """Forget every neighbour of the router and of the hosts (static ones included)."""
        for (ip, dev) in self.neigh():
            self.c.cmd(f"neigh del {ip} dev {dev}")  # may have gone by itself meanwhile
        for h in self.hosts:
            h.flush_neigh()

    def close(self):
        return close_topology(self.c, self.hosts, self.d, self.net, self.dir)


def host_addrs(i):
    """Host i's (address4, gateway4, address6, gateway6) on subnet i: .1 behind the router's
    .254 and ::fe."""
    return (f"10.{i}.0.1/24", f"10.{i}.0.254", f"2001:db8:{i}::1/64", f"2001:db8:{i}::fe")


# h1 p1 access 10 -- v10, h2 p2 access 20 -- v20, h3 p3 routed -- r3; subnets 1, 2, 3.
ROUTED3_CONFIG = [
    "port set p1 vlan access 10",
    "port set p2 vlan access 20",
    "interface add v10 port p1 vlan 10 vrf default",
    "interface add v20 port p2 vlan 20 vrf default",
    "interface add r3 port p3 vrf default",
    "interface set v10 address 10.1.0.254/24",
    "interface set v10 address 2001:db8:1::fe/64",
    "interface set v20 address 10.2.0.254/24",
    "interface set v20 address 2001:db8:2::fe/64",
    "interface set r3 address 10.3.0.254/24",
    "interface set r3 address 2001:db8:3::fe/64",
]
ROUTED3_HOSTS = {i: host_addrs(i) for i in (1, 2, 3)}


def module_topology(n, config, hosts, warm=None, alive_at_end=False, **kw):
    """Body of a module fixture (`yield from`): an L3Topo of n hosts with `config` applied and
    `hosts` ({i: host_addrs-like tuple}) configured, frame builders in t.px and the router MACs
    in t.rmac; warm(t) runs before the tests. Torn down after the module, which fails on
    leftovers (and, with alive_at_end, if sluiced died)."""
    t = L3Topo(n, **kw)
    try:
        for line in config:
            t.ok(line)
        for i, (a4, g4, a6, g6) in hosts.items():
            t[i].configure(a4, g4, a6, g6)
        t.px = Pkts()
        t.rmac = {i["name"]: i["mac"] for i in t.ok("show interfaces")}
        if warm is not None:
            warm(t)
        yield t
        if alive_at_end:
            assert t.d.alive(), t.d.stderr()[-3000:]
    finally:
        problems = t.close()
        if problems:
            pytest.fail("\n".join(problems), pytrace=False)


def fresh_test(topo):
    """Body of a per-test fixture (`yield from`): a new token, the hosts' agents emptied;
    sluiced must still be up after the test."""
    topo.px.new_token()
    for h in topo.hosts:
        h.agent.take()
    yield topo
    assert topo.d.alive(), f"sluiced died during the test:\n{topo.d.stderr()[-3000:]}"


class Pkts:
    """Frame builders and parsers; every frame built carries the current token."""

    def __init__(self):
        self.s = import_scapy()
        self.token = b""
        self.new_token()

    def new_token(self):
        self.token = b"SLT3" + secrets.token_bytes(6)
        return self.token

    def payload(self, seq=0, size=0):
        p = self.token + seq.to_bytes(4, "big")
        return p + bytes(max(0, size - len(p)))

    def udp4(self, src_mac, dst_mac, src, dst, sport=4000, dport=5000, ttl=64, seq=0, size=0,
             flags=0, vlan=None):
        s = self.s
        eth = s.Ether(src=src_mac, dst=dst_mac)
        if vlan is not None:
            eth = eth / s.Dot1Q(vlan=vlan)
        return bytes(eth / s.IP(src=src, dst=dst, ttl=ttl, flags=flags) /
                     s.UDP(sport=sport, dport=dport) / self.payload(seq, size))

    def udp6(self, src_mac, dst_mac, src, dst, sport=4000, dport=5000, hlim=64, seq=0, size=0):
        s = self.s
        return bytes(s.Ether(src=src_mac, dst=dst_mac) / s.IPv6(src=src, dst=dst, hlim=hlim) /
                     s.UDP(sport=sport, dport=dport) / self.payload(seq, size))

    def seq_of(self, raw):
        """The sequence number after the token in a frame (or its quote), -1 if none."""
        i = raw.find(self.token)
        return -1 if i < 0 else int.from_bytes(raw[i + len(self.token):i + len(self.token) + 4],
                                               "big")

    def parse(self, raw):
        return self.s.Ether(raw)

    def mine(self, frames):
        return [f for f in frames if self.token in f]


def delta(after, before):
    return {k: after[k] - before.get(k, 0) for k in after if isinstance(after[k], int)}


def l4_proto(raw):
    """IP protocol / IPv6 next header of an Ethernet frame (one 802.1Q tag skipped), or None."""
    off = 12
    etype = int.from_bytes(raw[off:off + 2], "big")
    if etype == 0x8100:
        off += 4
        etype = int.from_bytes(raw[off:off + 2], "big")
    if etype == 0x0800 and len(raw) > off + 11:
        return raw[off + 11]
    if etype == 0x86DD and len(raw) > off + 8:
        return raw[off + 8]
    return None


KINDS = {"udp": (17,), "icmp": (1, 58), "any": None}


def wait_frames(topo, token, expect, timeout=5.0, settle=0.3, kind="udp"):
    """Frames with token captured on every host: {port: [raw]}, of one kind: "udp" (the test's
    own packets), "icmp" (ICMP errors quoting them, from the router or a host) or "any".
    Waits (bounded) until each port in expect has at least its count, then `settle` seconds
    for strays."""
    protos = KINDS[kind]
    return collect(topo.hosts, lambda h: [f for f in h.agent.take(token)
                                          if protos is None or l4_proto(f) in protos],
                   expect, timeout, settle)


__all__ = ["L3Topo", "Host", "Pkts", "delta", "l4_proto", "wait_frames", "wait_until"]
