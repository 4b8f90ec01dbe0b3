# SPDX-License-Identifier: BSD-3-Clause
# Helpers of the netlink mirror and host interface tests (test_netlink*.py, test_hostif*.py): a
# router namespace in which sluiced itself runs (so its rtnetlink sees only that namespace), with
# one af_packet port per host namespace, each port a router interface paired with a host TAP
# (sl-rN) that carries the interface's addresses on the Linux side (NlTopo).
#
#   hN (own netns) vN-n  ==veth==  vN-r (router netns) -- af_packet pN -- interface rN -- TAP sl-rN
#   hN: 10.0.N.2/24, 2001:db8:N::2/64, default routes via .1 / ::1 (the addresses of sl-rN)
#
# The veth ends in the router namespace are Linux interfaces too: a policy rule blackholes what
# arrives on them (before the local table), so only Sluice answers there and the router's own
# stack sees the hosts through the TAPs alone, as it would with NICs bound to DPDK.
import json
import os
import tempfile
import time
from pathlib import Path

from conftest import NetEnv, Sluiced, close_topology, need_tool, unique_name, wait_until

SLUICECTL_TIMEOUT = 60


class NsSluiced(Sluiced):
    """sluiced started inside a network namespace (`ip netns exec` execs it: same PID)."""

    def __init__(self, ns, *args, **kw):
        self.ns = ns
        super().__init__(*args, **kw)

    def cmdline(self):
        return ["ip", "netns", "exec", self.ns, *super().cmdline()]


class NlHost:
    def __init__(self, topo, n, ns, veth_r, veth_n):
        self.topo, self.n, self.ns, self.veth_r, self.veth_n = topo, n, ns, veth_r, veth_n
        self.ip4, self.ip6 = f"10.0.{n}.2", f"2001:db8:{n}::2"
        self.gw4, self.gw6 = f"10.0.{n}.1", f"2001:db8:{n}::1"
        self.iface, self.tap = f"r{n}", f"sl-r{n}"

    def sh(self, *args, check=True, timeout=30):
        return self.topo.net.exec(self.ns, *args, check=check, timeout=timeout)

    def ping(self, dst, count=2, wait=1, interval=0.2):
        return self.sh("ping", "-n", "-c", str(count), "-i", str(interval), "-W", str(wait), dst,
                       check=False, timeout=count * (interval + wait) + 10)

    def rx_packets(self):
        return int(self.sh("cat", f"/sys/class/net/{self.veth_n}/statistics/rx_packets")
                   .stdout.strip())


class NlTopo:
    """Router namespace running sluiced with n hosts; interfaces rN in VRF `vrf` bound to `table`
    (the default VRF for table 254), each with host-if sl-rN carrying 10.0.N.1/24 and
    2001:db8:N::1/64, netlink mirroring on. vlans {N: V}: host N's port is a trunk and rN a VLAN
    interface of VLAN V on it (the host's stack cannot tag: tests craft its frames)."""

    def __init__(self, n, table=100, vrf="red", build=None, extra_config=(), tap_addrs=True,
                 netlink=True, vlans=None):
        need_tool("ping")
        self.net = NetEnv()
        self.hosts = []
        self.d = None
        self.c = None
        self.table, self.vrf = table, (vrf if table != 254 else "default")
        self.vlans = dict(vlans or {})  # host number -> VLAN of a VLAN interface on a trunk
        try:
            self._build(n, build, extra_config, tap_addrs, netlink)
        except BaseException:
            self.close()
            raise

    # -- set-up -----------------------------------------------------------------------------
    def _build(self, n, build, extra_config, tap_addrs, netlink):
        self.dir = Path(tempfile.mkdtemp(prefix="sln", dir="/tmp"))
        os.chmod(self.dir, 0o755)  # FRR daemons run as user frr below it
        self.ns = self.net.netns()
        r = self.r
        for k in ("all", "default"):
            r("sysctl", "-qw", f"net.ipv6.conf.{k}.accept_dad=0")
        lines = []
        for i in range(1, n + 1):
            ns = self.net.netns()
            base = unique_name("nl")
            vr, vn = base + "r", base + "n"
            assert len(vr) <= 15, vr
            r("ip", "link", "add", vr, "type", "veth", "peer", "name", vn, "netns", ns)
            r("sysctl", "-qw", f"net.ipv6.conf.{vr}.disable_ipv6=1")
            r("ip", "link", "set", vr, "up")
            # af_packet hands TCP/UDP checksums left to offload over as they are: compute them
            r("ethtool", "-K", vr, "tx", "off", check=False)
            r("ip", "rule", "add", "iif", vr, "blackhole", "pref", "10")
            h = NlHost(self, i, ns, vr, vn)
            for k in ("all", "default"):
                h.sh("sysctl", "-qw", f"net.ipv6.conf.{k}.accept_dad=0")
            h.sh("ethtool", "-K", vn, "tx", "off", check=False)
            h.sh("ip", "addr", "add", f"{h.ip4}/24", "dev", vn)
            h.sh("ip", "-6", "addr", "add", f"{h.ip6}/64", "dev", vn, "nodad")
            h.sh("ip", "link", "set", vn, "up")
            h.sh("ip", "route", "add", "default", "via", h.gw4)
            h.sh("ip", "-6", "route", "add", "default", "via", h.gw6)
            self.hosts.append(h)
            lines += [f"port add p{i} net_af_packet{i},iface={vr},qpairs=1",
                      f"port set p{i} vlan " + (f"trunk {self.vlans[i]}" if i in self.vlans
                                                else "none")]
        # The blackhole rules must come before the local table (rule 0 by default).
        for fam in ("-4", "-6"):
            r("ip", fam, "rule", "add", "pref", "100", "lookup", "local")
            r("ip", fam, "rule", "del", "pref", "0")
            if fam == "-6":
                for h in self.hosts:
                    r("ip", "-6", "rule", "add", "iif", h.veth_r, "blackhole", "pref", "10")
        if self.table != 254:
            lines.append(f"vrf add {self.vrf} table {self.table}")
        for h in self.hosts:
            vlan = f" vlan {self.vlans[h.n]}" if h.n in self.vlans else ""
            lines.append(f"interface add {h.iface} port p{h.n}{vlan} vrf {self.vrf}")
            lines.append(f"interface set {h.iface} host-if on")
        lines += list(extra_config)
        if netlink:
            lines.append("netlink on")
        self.d = NsSluiced(self.ns, self.dir, build=build, config=self.dir / "c.conf")
        self.d.config.write_text("\n".join(lines) + "\n")
        self.d.start()
        self.c = self.d.client(timeout=SLUICECTL_TIMEOUT)
        wait_until(lambda: all(p["link"]["up"] for p in self.ok("show ports")), 10,
                   "links of the af_packet ports up")
        if tap_addrs:
            for h in self.hosts:
                self.r("ip", "addr", "add", f"{h.gw4}/24", "dev", h.tap)
                self.r("ip", "-6", "addr", "add", f"{h.gw6}/64", "dev", h.tap, "nodad")
            if netlink:
                wait_until(lambda: all(len(self.iface(h.iface)["addresses"]) == 2
                                       for h in self.hosts), 5,
                           "TAP addresses mirrored on the router interfaces",
                           show=lambda: self.ok("show interfaces"))

    # -- shell and control ---------------------------------------------------------------------
    def r(self, *args, check=True, timeout=60):
        """Run a command in the router namespace."""
        return self.net.exec(self.ns, *args, check=check, timeout=timeout)

    def ip(self, *args, check=True, timeout=60):
        return self.r("ip", *args, check=check, timeout=timeout)

    def __getitem__(self, i):
        return self.hosts[i - 1]

    def ok(self, line, timeout=None):
        return self.c.ok(line, timeout)

    def err(self, line):
        return self.c.err(line)

    def nl(self):
        return self.ok("show netlink")

    def iface(self, name):
        return next(i for i in self.ok("show interfaces") if i["name"] == name)

    def routes(self, vrf=None):
        """{prefix: route} of a VRF (the topology's by default), neighbours' host routes left out."""
        return {r["prefix"]: r for r in self.ok(f"show routes vrf {vrf or self.vrf}")}

    def kernel_routes(self, vrf=None):
        return {p: r for p, r in self.routes(vrf).items() if r["origin"] == "kernel"}

    def vrf_route_count(self, vrf=None):
        return next(v["routes"] for v in self.ok("show vrfs") if v["name"] == (vrf or self.vrf))

    def wait_route(self, prefix, present=True, timeout=5, vrf=None):
        def check():
            r = self.routes(vrf).get(prefix)
            return (r if r is not None and r["origin"] == "kernel" else None) if present \
                else r is None
        return wait_until(check, timeout, f"route {prefix} {'in' if present else 'out of'} "
                          f"vrf {vrf or self.vrf}", show=lambda: self.routes(vrf))

    def neigh(self):
        return {(n["ip"], n["dev"]): n for n in self.ok("show neigh")}

    def kernel_table(self, table=None, family="-4"):
        """Prefixes of a kernel table as `ip -j route show` lists them (no proto kernel ones)."""
        p = self.ip("-j", family, "route", "show", "table", str(table or self.table), check=False)
        if p.returncode != 0 and "does not exist" in p.stderr:
            return set()  # IPv6 tables exist only once a route was in them
        assert p.returncode == 0, p.stderr
        out = p.stdout
        res = set()
        for r in json.loads(out or "[]"):
            if r.get("protocol") == "kernel":
                continue
            dst = r["dst"]
            if dst == "default":
                dst = "0.0.0.0/0" if family == "-4" else "::/0"
            elif "/" not in dst:
                dst += "/32" if family == "-4" else "/128"
            res.add(dst)
        return res

    # -- clean-up -------------------------------------------------------------------------------
    def close(self):
        return close_topology(self.c, [], self.d, self.net, self.dir)


def ip_batch(topo, lines, name="batch"):
    """Run `ip -batch` in the router namespace on the given lines; seconds it took."""
    path = topo.dir / name
    path.write_text("\n".join(lines) + "\n")
    t0 = time.monotonic()
    topo.ip("-batch", str(path), timeout=300)
    return time.monotonic() - t0


def host_routes(n, base=(10, 100), table=100, dev="sl-r2", gw="10.0.2.2", verb="add"):
    """n /32 routes 10.100.x.y (and on) in table via gw: `ip -batch` lines and the prefixes."""
    lines, prefixes = [], []
    for i in range(n):
        p = f"{base[0]}.{base[1] + (i >> 16)}.{(i >> 8) & 255}.{i & 255}/32"
        prefixes.append(p)
        if verb == "add":
            lines.append(f"route add {p} via {gw} dev {dev} table {table}")
        else:
            lines.append(f"route del {p} table {table}")
    return lines, prefixes


__all__ = ["NlTopo", "NlHost", "NsSluiced", "ip_batch", "host_routes", "wait_until"]
