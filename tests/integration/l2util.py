# SPDX-License-Identifier: BSD-3-Clause
# Helpers of the L2 bridge integration tests (test_l2_*.py): a live topology of network namespaces
# behind af_packet ports with a tiny capture/send agent in each namespace, pcap-driven daemons for
# frames the kernel would not carry (truncated, 802.1ad), and frame builders. The agent is
# nsagent.NsAgent, shared with the L3 tests.
import secrets
import subprocess
import tempfile
import time
from pathlib import Path

from conftest import (NetEnv, Sluiced, close_topology, import_scapy, read_pcap, unique_name,
                      wait_hugepages, wait_until, write_pcap)
from nsagent import NsAgent, collect

ETH_TYPE_TEST = 0x88B5  # IEEE local experimental: the namespaces' kernels ignore it


class Host:
    def __init__(self, port, ns, root_if, ns_if, ip, agent):
        self.port, self.ns, self.root_if, self.ns_if, self.ip, self.agent = \
            port, ns, root_if, ns_if, ip, agent
        self.mac = None  # the namespace interface's own MAC (used by ping)


def is_asan_build(bin_path):
    """True if sluiced links a sanitizer runtime (timeouts are then scaled)."""
    try:
        out = subprocess.run(["ldd", str(bin_path)], capture_output=True, text=True).stdout
    except OSError:
        return False
    return "libasan" in out or "libubsan" in out


class L2Frames:
    """Frame builders: every frame carries the current test token in its payload, so captures
    are filtered to the test's own frames."""

    def __init__(self):
        self.scapy = import_scapy()
        self.token = b""
        self.seq = 0
        self.new_token()

    def new_token(self):
        self.token = b"SLT2" + secrets.token_bytes(6)
        return self.token

    def frame(self, src, dst, vlan=None, prio=0, size=64, tpid=0x8100, inner=None,
              etype=ETH_TYPE_TEST, dei=0):
        """Ethernet frame of `size` bytes (no FCS). vlan=None: untagged; vlan=0: priority tag.
        inner=(vid, prio): an 802.1Q tag under the outer one (QinQ with tpid=0x88a8)."""
        s = self.scapy
        self.seq += 1
        if vlan is None:
            f = s.Ether(src=src, dst=dst, type=etype)
        else:
            f = s.Ether(src=src, dst=dst, type=tpid) / s.Dot1Q(vlan=vlan, prio=prio, type=etype)
        if inner is not None:
            f[s.Dot1Q].type = 0x8100
            f = f / s.Dot1Q(vlan=inner[0], prio=inner[1], type=etype)
        raw = bytes(f)
        if dei:  # the DEI/CFI bit of the outer tag (set by hand: scapy renamed the field)
            raw = raw[:14] + bytes([raw[14] | 0x10]) + raw[15:]
        body = self.token + self.seq.to_bytes(4, "big")
        raw += body
        if len(raw) < size:
            raw += bytes((i * 7) & 0xFF for i in range(size - len(raw)))
        return raw

    def mine(self, frames):
        return [f for f in frames if self.token in f]


def vlan_of(raw):
    """(tpid, vid, pcp) of the outer tag, or None for an untagged frame."""
    tpid = int.from_bytes(raw[12:14], "big")
    if tpid not in (0x8100, 0x88A8):
        return None
    tci = int.from_bytes(raw[14:16], "big")
    return tpid, tci & 0xFFF, tci >> 13


def dei_of(raw):
    """The DEI bit of the outer tag."""
    return (raw[14] >> 4) & 1


def untag(raw):
    """The frame without its outer tag."""
    return raw[:12] + raw[16:]


def tag(raw, vid, pcp=0, tpid=0x8100, dei=0):
    """The frame with an outer tag inserted."""
    tci = (pcp << 13) | (dei << 12) | vid
    return raw[:12] + tpid.to_bytes(2, "big") + tci.to_bytes(2, "big") + raw[12:]


MAC_PREFIX = "02:4c:"


def mac(*b):
    """A locally administered test MAC 02:4c:b0:b1:b2:b3."""
    return ":".join(f"{x:02x}" for x in (0x02, 0x4C, *b))


class Ctl:
    """Control helpers over one persistent control-socket connection (no process per command)."""

    def __init__(self, d):
        self.d = d
        self.c = d.client(timeout=30)

    def ok(self, line):
        return self.c.ok(line)

    def err(self, line):
        return self.c.err(line)

    def ports(self):
        return {p["name"]: p["stats"] for p in self.ok("show ports")}

    def drops(self):
        return self.ok("show drops")

    def bridge(self):
        return self.ok("show bridge")

    def fdb(self, *filt):
        return self.ok(" ".join(("show fdb",) + tuple(map(str, filt))))

    def fdb_map(self, *filt):
        """{(vlan, mac): (port, type)}"""
        return {(e["vlan"], e["mac"]): (e["port"], e["type"]) for e in self.fdb(*filt)}

    def fdb_ours(self, *filt):
        """fdb_map of the tests' own MACs (mac()), leaving out the namespaces' kernel MACs."""
        return {k: v for k, v in self.fdb_map(*filt).items() if k[1].startswith(MAC_PREFIX)}

    def vlans(self):
        return {v["vlan"]: v for v in self.ok("show vlans")}

    def config(self):
        return self.ok("config show")

    def close(self):
        self.c.close()


def delta(after, before):
    return {k: after[k] - before.get(k, 0) for k in after}


class LiveTopo:
    """sluiced with n af_packet ports p1..pn, each on a veth whose other end sits in its own
    namespace with an agent and an address in one IPv4 subnet (10.77.0.i/24)."""

    def __init__(self, n):
        self.net = NetEnv()
        self.hosts = []
        self.d = None
        self.ctl = None
        self.fx = L2Frames()
        self.flood_off = set()
        try:
            self._build(n)
        except BaseException:
            self.close()
            raise

    def _build(self, n):
        self.dir = Path(tempfile.mkdtemp(prefix="slt", dir="/tmp"))
        lines = []
        for i in range(1, n + 1):
            ns = self.net.netns()
            for k in ("all", "default"):
                self.net.exec(ns, "sysctl", "-qw", f"net.ipv6.conf.{k}.disable_ipv6=1")
            root_if, ns_if = self.net.veth(ns=ns, addr=f"10.77.0.{i}/24")
            lines.append(f"port add p{i} net_af_packet{i},iface={root_if},qpairs=1")
            lines.append(f"port set p{i} vlan none")
            h = Host(f"p{i}", ns, root_if, ns_if, f"10.77.0.{i}", NsAgent(ns, ns_if))
            h.mac = self.net.exec(ns, "cat", f"/sys/class/net/{ns_if}/address").stdout.strip()
            self.hosts.append(h)
        self.d = Sluiced(self.dir, config=self.dir / "c.conf")
        self.d.config.write_text("\n".join(lines) + "\n")
        self.d.start()
        self.ctl = Ctl(self.d)
        wait_until(lambda: all(p["link"]["up"] for p in self.ctl.ok("show ports")), 10,
                   "links of the af_packet ports up")

    def host(self, port):
        return next(h for h in self.hosts if h.port == port)

    def reset(self):
        """Back to: every port `vlan none`, FDB empty, default bridge settings, captures empty."""
        c = self.ctl
        c.ok("fdb flush")
        for h in self.hosts:
            c.ok(f"port set {h.port} vlan none")
            c.ok(f"port set {h.port} mac-limit 0")
        c.ok("bridge set ageing 300")
        c.ok("bridge set mac-limit 0")
        for v in sorted(self.flood_off):
            c.ok(f"vlan set {v} flood on")
        self.flood_off.clear()
        time.sleep(0.05)
        for h in self.hosts:
            h.agent.take()
        self.fx.new_token()

    def vlan(self, port, spec):
        self.ctl.ok(f"port set {port} vlan {spec}")

    def send(self, port, frames, gap=0.0):
        """Send frames from host `port`; waits (bounded) until its af_packet port counted them."""
        before = self.ctl.ports()[port]["ipackets"]
        self.host(port).agent.send(frames, gap)
        wait_until(lambda: self.ctl.ports()[port]["ipackets"] >= before + len(frames), 5,
                   f"{len(frames)} frames received by port {port}")

    def collect(self, expect=None, settle=0.3, timeout=5.0):
        """This test's frames captured on every host: {port: [raw]}. Waits (bounded) until each
        port in expect has at least its count, then `settle` seconds for strays."""
        return collect(self.hosts, lambda h: self.fx.mine(h.agent.take()), expect or {},
                       timeout, settle)

    def exchange(self, port, frames, expect, settle=0.3, timeout=5.0):
        """Send frames from `port` and assert the exact count of this test's frames seen on
        every host (ports not in expect: zero). Returns the captures."""
        self.send(port, frames)
        got = self.collect(expect, settle, timeout)
        counts = {p: len(v) for p, v in got.items()}
        want = {h.port: expect.get(h.port, 0) for h in self.hosts}
        assert counts == want, f"frames seen per port {counts}, want {want}"
        return got

    def close(self):
        return close_topology(self.ctl, self.hosts, self.d, self.net, self.dir)


class PcapRig:
    """sluiced whose ports are net_pcap devices: each port replays its rx frames once right after
    start (config written before start, so the frames meet the final VLAN config) and writes what
    it sends to a tx pcap, flushed when the port is deleted or the daemon stops."""

    def __init__(self, workdir, build=None):
        self.dir = Path(workdir)
        self.ports = {}
        self.lines = []
        self.d = None
        self.n = 0
        self.build = build

    def port(self, name, rx=(), tx=True, infinite=False, extra=""):
        rxf = self.dir / f"{name}.rx.pcap"
        write_pcap(rxf, rx)
        dev = f"net_pcap{self.n},rx_pcap={rxf}"
        self.n += 1
        txf = None
        if tx:
            txf = self.dir / f"{name}.tx.pcap"
            dev += f",tx_pcap={txf}"
        if infinite:
            dev += ",infinite_rx=1"
        self.ports[name] = txf
        self.lines.append(f"port add {name} {dev}{(' ' + extra) if extra else ''}")
        return self

    def cfg(self, *lines):
        self.lines += lines
        return self

    def start(self, args=(), mem_mb=None):
        self.d = Sluiced(self.dir, build=self.build, config=self.dir / "c.conf", args=args)
        if mem_mb:
            self.d.eal[self.d.eal.index("-m") + 1] = str(mem_mb)
        self.d.config.write_text("\n".join(self.lines) + "\n")
        self.d.start()
        self.ctl = Ctl(self.d)
        return self

    def tx_frames(self, name):
        """Delete the port (flushes its tx pcap) and return the frames it sent."""
        self.ctl.ok(f"port del {name}")
        return read_pcap(self.ports[name])

    def close(self):
        if self.d is None:
            return []
        try:
            self.ctl.close()
        except Exception:
            pass
        return self.d.cleanup()


__all__ = ["NsAgent", "L2Frames", "LiveTopo", "PcapRig", "Ctl", "vlan_of", "dei_of",
           "untag", "tag", "mac", "delta", "is_asan_build", "wait_hugepages", "wait_until",
           "unique_name", "write_pcap", "read_pcap", "ETH_TYPE_TEST"]
