# SPDX-License-Identifier: BSD-3-Clause
# Benchmark scenarios: the ports, the Sluice commands and the equivalent testpmd run of each,
# plus the frames they replay. bench.py runs whatever is registered in SCENARIOS.
"""Benchmark scenarios for bench/bench.py.

A scenario is one topology measured on the same virtual devices, with the same frames, by
`dpdk-testpmd` (the reference), by Sluice and, for those with an `ovs` set-up, by Open vSwitch
with DPDK (`--scenario NAME,ovs`). It names

  * ports:        (sluice port name, devargs) pairs. The devargs are given to testpmd as
                  `--vdev`, in this order, to sluiced as `port add NAME DEVARGS` and to OVS as
                  `options:dpdk-devargs`, so every side drives identical devices. `{pcap}` is
                  replaced by the frame file, `{pcap_KEY}` by the file of frames(size)["KEY"],
                  `{shared_KEY}` by the size-independent file shared_files["KEY"] writes.
  * sluice_cmds:  sluicectl command lines run once the ports exist (`port xconnect a b`).
  * preconfigure: write the `port add` lines and sluice_cmds into sluiced's running config
                  before it starts, so the start-up replay applies all of them before any
                  worker sees a port (VLAN settings must be in place before the first frame).
                  Then there is no `stats clear`: the counters start at zero with the process.
  * testpmd_args: testpmd application arguments (after `--`) that do the same job;
                  testpmd_ports: the ports testpmd gets (default: all of them).
  * frames:       a function (frame_size) -> list of frames (bytes, without FCS) for `{pcap}`,
                  or -> {KEY: frames} for `{pcap_KEY}` (an empty list gives an empty capture).
  * flood_copies: how many copies the bridge sends of a flooded frame (members of the VLAN
                  but the ingress port). The accounting rule on Sluice's final totals, once
                  every port is deleted, is rx + (flood_copies - 1) * flooded == tx + drops
                  (flooded: `show vlans` for flood_vlan); with 1 it is rx == tx + drops.
  * rate:         "tx" (packets sent, the default) or "rx" (packets received: a flooding
                  scenario compares its input rate with testpmd's and reports the copies too).
  * checks:       min_fdb_entries (`show bridge` entries before the window opens) and
                  no_window_floods (frames flooded in watch_vlan inside the window ~ 0).
  * prefill:      FDB pre-fill before the window (see Prefill).
  * ovs:          the same topology on Open vSwitch (see OvsSetup), or None.
  * eal_args:     extra EAL arguments, the same for testpmd and sluiced (virtio_user and a
                  vhost-user backend in one process: --in-memory --single-file-segments).
  * testpmd_hotplug: ports testpmd does not get as --vdev but attaches, in this order, with
                  `port attach DEVARGS` from a --cmdline-file once the --vdev ports have
                  started (a virtio_user front end needs the socket its net_vhost peer only
                  creates when it starts). testpmd numbers the --vdev ports 0, 1, ... in
                  order, then the attached ones.
  * testpmd_portlist: the forwarding ports, by name, in the order given to testpmd's
                  `set portlist` (io with --port-topology=paired pairs entries 0-1, 2-3, ...).
  * rate_port:    the rate is the packets sent out of this one port per second (the hop
                  under test of a chain of ports), not those of all ports together;
                  chain_port: the last port of the chain, whose rate is reported too.
  * bulk_config:  writes, to the path given, more running-config lines (100,000s of routes)
                  that follow sluice_cmds (preconfigure only). Written once per scenario;
                  the recorded commands name the writer, not the lines.
  * teardown_cmds: sluicectl command lines run after the window, before every port is
                  deleted (a port with a router interface cannot be: `interface del` first).
  * min_fib_routes: {"ipv4" or "ipv6": n}: `show fib` must count >= n routes of the family
                  (and no chunk allocation failure) before the window opens.
  * no_window_punts: nothing may be punted to the control thread inside the window.
  * expected:     a function (frame_size) -> {port: frames} that each port must send, byte
                  for byte (any order), when every port reads its frame file once: checked
                  once per frame size before the measured runs (tx_pcap capture, see
                  bench.py forwarding_check), a failure refuses the size.
  * start_timeout_s: seconds sluiced may take to answer on its socket (its start-up replay
                  of a large running config), instead of bench.py's START_TIMEOUT.
  `{rundir}` in devargs is a fresh directory per process run (vhost-user sockets).

To add one, write a Scenario and add it to SCENARIOS. Everything else (runs, accounting,
CSV, docs/performance.md) is generic.
"""

import functools
import ipaddress
import random
import struct
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Tuple, Union

FCS_LEN = 4  # a NIC appends it; frame sizes (64, 512, 1518) count it, pcap records do not


def _csum16(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def eth_header(src_mac: str, dst_mac: str, ethertype: int) -> bytes:
    return (bytes.fromhex(dst_mac.replace(":", "")) + bytes.fromhex(src_mac.replace(":", ""))
            + struct.pack("!H", ethertype))


def ipv4_udp_frame(size: int, src: int, dst: int, sport: int, dport: int, src_mac: str,
                   dst_mac: str, ident: int = 0, ttl: int = 64) -> bytes:
    """An Ethernet/IPv4/UDP frame of `size` bytes on the wire (FCS included, so the returned
    bytes are size - 4 long), addresses as integers, zero payload."""
    ip_len = size - FCS_LEN - 14
    if ip_len < 28:
        raise ValueError("frame size %d too small for Ethernet/IPv4/UDP" % size)
    ip = struct.pack("!BBHHHBBHII", 0x45, 0, ip_len, ident & 0xFFFF, 0, ttl, 17, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", _csum16(ip)) + ip[12:]
    udp_len = ip_len - 20
    # UDP checksum 0: "none" is valid for IPv4 and keeps the generator trivial.
    udp = struct.pack("!HHHH", sport, dport, udp_len, 0) + bytes(udp_len - 8)
    return eth_header(src_mac, dst_mac, 0x0800) + ip + udp


def udp_frame(size: int, flow: int, src_mac: str, dst_mac: str) -> bytes:
    """An Ethernet/IPv4/UDP frame of `size` bytes on the wire (FCS included, so the
    returned bytes are size - 4 long). Flow n: 10.0.0.0 + (n+1), port 1024+n -> 10.1.0.1:9."""
    host = flow + 1
    return ipv4_udp_frame(size, (10 << 24) | (host & 0xFFFF), (10 << 24) | (1 << 16) | 1,
                          1024 + flow, 9, src_mac, dst_mac, ident=flow)


IPV6_NO_NEXT_HEADER = 59


def ipv6_udp_frame(size: int, src: int, dst: int, sport: int, dport: int, src_mac: str,
                   dst_mac: str, hlim: int = 64) -> bytes:
    """An Ethernet/IPv6/UDP frame of `size` bytes on the wire (FCS included), addresses as
    integers, zero payload, UDP checksum computed (IPv6 requires one). Ethernet/IPv6/UDP
    takes 66 bytes at least: a smaller size gets an IPv6 header with no payload (next header
    59, "No Next Header"), padded to the size by Ethernet padding."""
    src_b, dst_b = src.to_bytes(16, "big"), dst.to_bytes(16, "big")
    data_len = size - FCS_LEN - 14 - 40
    if data_len < 0:
        raise ValueError("frame size %d too small for Ethernet/IPv6" % size)
    if data_len < 8:
        ip = struct.pack("!IHBB16s16s", 6 << 28, 0, IPV6_NO_NEXT_HEADER, hlim, src_b, dst_b)
        return eth_header(src_mac, dst_mac, 0x86DD) + ip + bytes(data_len)
    udp = struct.pack("!HHHH", sport, dport, data_len, 0) + bytes(data_len - 8)
    pseudo = src_b + dst_b + struct.pack("!IxxxB", data_len, 17)
    udp = udp[:6] + struct.pack("!H", _csum16(pseudo + udp) or 0xFFFF) + udp[8:]
    ip = struct.pack("!IHBB16s16s", 6 << 28, data_len, 17, hlim, src_b, dst_b)
    return eth_header(src_mac, dst_mac, 0x86DD) + ip + udp


def write_pcap(path: str, frames: List[bytes]) -> None:
    """Classic libpcap file (microsecond timestamps, DLT_EN10MB)."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, fr in enumerate(frames):
            f.write(struct.pack("<IIII", 0, i, len(fr), len(fr)))
            f.write(fr)


def read_pcap(path: str) -> List[bytes]:
    """The frames of a classic libpcap file (either byte order, any timestamp precision)."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        return []
    order = "<" if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    frames, o = [], 24
    while o + 16 <= len(data):
        caplen = struct.unpack_from(order + "I", data, o + 8)[0]
        frames.append(data[o + 16:o + 16 + caplen])
        o += 16 + caplen
    return frames


def udp_flows(n_flows: int, src_mac: str = "02:00:00:00:00:01",
              dst_mac: str = "02:00:00:00:00:02") -> Callable[[int], List[bytes]]:
    def gen(size: int) -> List[bytes]:
        return [udp_frame(size, i, src_mac, dst_mac) for i in range(n_flows)]
    return gen


# Each port replays the frame file forever (infinite_rx=1: the PMD loads the file into mbufs
# once, then every rx burst allocates mbufs and copies the frames in). No tx_pcap/tx_iface:
# the pcap PMD then counts and frees what it is given (eth_tx_drop), the cheapest sink there
# is. tx_pcap=/dev/null instead costs a pcap_dump per packet and a write(2) per burst and
# cut testpmd io from ~63 to ~15 Mpps on the reference machine: it would measure libpcap.
PCAP_REPLAY = "net_pcap{idx},rx_pcap={pcap},infinite_rx=1"


@dataclass
class Prefill:
    """Fill the FDB before the window: `port` replays a finite pcap of `macs` distinct source
    MACs once; learn events a full learn ring lost are made up by replaying it again with
    `rewind` (an MTU set restarts the port, and the pcap PMD reopens its file at start; the
    port's FDB entries stay), until `show bridge` learned >= target, within timeout_s."""
    port: str
    macs: int
    target_learned: int
    rewind: str
    timeout_s: float = 90.0


@dataclass
class OvsSetup:
    """The topology on Open vSwitch: a netdev bridge with the scenario's ports as type=dpdk
    interfaces (ofport 1, 2, ... in order), `port_settings` per port (ovs-vsctl `set Port`
    columns, e.g. tag=10) and OpenFlow `flows` (fail-mode secure: nothing else is installed)."""
    title: str
    flows: List[str]
    port_settings: Dict[str, List[str]] = field(default_factory=dict)


@dataclass
class Scenario:
    name: str
    title: str
    description: str
    ports: List[Tuple[str, str]]
    sluice_cmds: List[str]
    testpmd_args: List[str]
    frames: Callable[[int], Union[List[bytes], Dict[str, List[bytes]]]] = field(
        default_factory=lambda: udp_flows(16))
    preconfigure: bool = False
    sluiced_args: List[str] = field(default_factory=list)
    testpmd_ports: Optional[List[str]] = None
    shared_files: Dict[str, Callable[[str], None]] = field(default_factory=dict)
    flood_copies: int = 1
    flood_vlan: Optional[int] = None
    rate: str = "tx"
    min_fdb_entries: int = 0
    no_window_floods: bool = False
    prefill: Optional[Prefill] = None
    ovs: Optional[OvsSetup] = None
    target: str = ""
    eal_args: List[str] = field(default_factory=list)
    testpmd_hotplug: List[str] = field(default_factory=list)
    testpmd_portlist: Optional[List[str]] = None
    rate_port: Optional[str] = None
    chain_port: Optional[str] = None
    bulk_config: Optional[Callable[[str], None]] = None
    teardown_cmds: List[str] = field(default_factory=list)
    min_fib_routes: Dict[str, int] = field(default_factory=dict)
    no_window_punts: bool = False
    expected: Optional[Callable[[int], Dict[str, List[bytes]]]] = None
    start_timeout_s: Optional[float] = None

    def frame_sets(self, size: int) -> Dict[str, List[bytes]]:
        f = self.frames(size)
        return f if isinstance(f, dict) else {"": f}

    def devargs(self, files: Dict[str, str], ports: Optional[List[str]] = None):
        """[(name, devargs)], `files` mapping "" / "pcap_KEY" / "shared_KEY" / "rundir" to
        paths."""
        subst = {("pcap" if k == "" else k): v for k, v in files.items()}
        return [(name, d.format(**subst)) for name, d in self.ports
                if ports is None or name in ports]


def mac(kind: int, i: int) -> str:
    """Locally administered unicast MAC 02:KK:ii:ii:ii:ii (host i of group `kind`)."""
    return "02:%02x:%02x:%02x:%02x:%02x" % (kind, (i >> 24) & 0xFF, (i >> 16) & 0xFF,
                                             (i >> 8) & 0xFF, i & 0xFF)


def tag(frame: bytes, vid: int, pcp: int = 0) -> bytes:
    """The frame with an 802.1Q header (TPID 0x8100) after the MAC addresses."""
    return frame[:12] + struct.pack("!HH", 0x8100, (pcp << 13) | vid) + frame[12:]


VLAN = 10
PAIRS = 1024
GROUP_A, GROUP_B = 0x0A, 0x0B            # hosts behind the trunk / behind the access port
FLOOD_SRC, FLOOD_DST = 0x0C, 0x0D        # flood scenario: senders, never-seen destinations
WARM_SRC, WARM_SINK = 0x0E, 0x0F         # l2-1m-macs: pre-fill sources, their one destination
WARM_MACS = 1000000
LEARN_SRC, LEARN_SINK = 0x10, 0x11       # fdb-learn (bench.py): new sources, their destination


def trunk_access_frames(size: int) -> Dict[str, List[bytes]]:
    """Frame sizes are those of the untagged frame (FCS included): the trunk side carries the
    same packets 4 bytes longer, with the tag."""
    return {
        "t": [tag(udp_frame(size, i, mac(GROUP_A, i), mac(GROUP_B, i)), VLAN)
              for i in range(PAIRS)],
        "a": [udp_frame(size, i, mac(GROUP_B, i), mac(GROUP_A, i)) for i in range(PAIRS)],
    }


def flood_frames(size: int) -> Dict[str, List[bytes]]:
    return {
        "in": [udp_frame(size, i, mac(FLOOD_SRC, i % 16), mac(FLOOD_DST, i))
               for i in range(PAIRS)],
        "empty": [],
    }


def write_sources_pcap(path: str, n: int, src_group: int, dst: str,
                       vlan: Optional[int] = None) -> None:
    """n 64-byte frames (60 bytes, plus a tag if `vlan`), source MAC i of `src_group`, all to
    `dst`. Built by patching a template, 64k records per write."""
    frame = udp_frame(64, 0, mac(src_group, 0), dst)
    if vlan is not None:
        frame = tag(frame, vlan)
    rec = struct.pack("<IIII", 0, 0, len(frame), len(frame)) + frame
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        chunk = 65536
        for start in range(0, n, chunk):
            buf = bytearray(rec * min(chunk, n - start))
            for j in range(min(chunk, n - start)):
                i = start + j
                o = j * len(rec)
                struct.pack_into("<I", buf, o + 4, i % 1000000)        # ts usec
                struct.pack_into("!I", buf, o + 16 + 8, i)             # src MAC bytes 2-5
            f.write(buf)


def write_warm_pcap(path: str, n: int = WARM_MACS) -> None:
    """l2-1m-macs pre-fill: n sources in VLAN 10 (tagged), all to one MAC: about 80 MB."""
    write_sources_pcap(path, n, WARM_SRC, mac(WARM_SINK, 0), VLAN)


def write_learn_pcap(path: str, n: int) -> None:
    """fdb-learn: n untagged frames from n new sources to one MAC (76 bytes a record)."""
    write_sources_pcap(path, n, LEARN_SRC, mac(LEARN_SINK, 0))


def replay(idx: int, key: str = "pcap") -> str:
    return PCAP_REPLAY.format(idx=idx, pcap="{%s}" % key)


# A port that replays its file once (pcap_next_ex per frame at rx) and then receives nothing.
PCAP_ONCE = "net_pcap{idx},rx_pcap={{{key}}}"

# vhost-user in one process: each net_vhost port is the server of {rundir}/NAME.sock, created
# when the port starts; a net_virtio_user front end in the same process connects to it.
# Memory the backend can map from the file descriptors the front end sends: --in-memory
# (memfd-backed hugepages) and one file per memory segment list.
VHOST_EAL = ["--in-memory", "--single-file-segments"]


def vhost(idx: int, name: str) -> str:
    return "net_vhost%d,iface={rundir}/%s.sock,queues=1" % (idx, name)


def virtio_user(idx: int, peer: str) -> str:
    return "net_virtio_user%d,path={rundir}/%s.sock,queues=1" % (idx, peer)


def chain_frames(size: int) -> Dict[str, List[bytes]]:
    """One direction: the source port replays 16 UDP flows, the far end an empty capture."""
    return {"in": udp_flows(16)(size), "empty": []}


# ---- IPv4 / IPv6 routing ---------------------------------------------------------------------
#
# Two routed ports p0 and p1 (interfaces r0, r1), one static neighbour behind each, and a FIB
# of n static routes, each via one of the two neighbours. Each port replays ROUTED_FLOWS UDP
# flows from its neighbour to the router MAC, every destination in a random route that leads
# out of the other port: so every frame is routed (LPM, TTL - 1, MACs rewritten) and sent out
# of the other port, as xconnect but through the FIB.

ROUTER_MAC, NEIGH_MAC = 0x12, 0x13       # mac(ROUTER_MAC, k): interface rk; NEIGH_MAC: its host
ROUTED_FLOWS = 512                        # per direction
SOURCE_PORT, DEST_PORT = 1024, 9

# Prefix lengths of the IPv4 table and their shares, roughly those of the Internet's: most
# routes /24, then /22 and /23, some shorter (their more-specifics overlap them), a few longer.
IPV4_LENGTHS = ((13, 0.001), (14, 0.002), (15, 0.002), (16, 0.015), (17, 0.01), (18, 0.01),
                (19, 0.02), (20, 0.04), (21, 0.04), (22, 0.12), (23, 0.10), (24, 0.60),
                (25, 0.004), (26, 0.004), (27, 0.004), (28, 0.004), (29, 0.004), (32, 0.02))
# IPv6, as prefixes of the upper 64 address bits: /32 allocations out of the RIRs' blocks,
# announced themselves (5 %) and holding the /48s (80 %) and /64s (15 %) of the table.
IPV6_RIR_BLOCKS = ((0x2001, 16), (0x2400, 12), (0x2600, 12), (0x2800, 12), (0x2A00, 12),
                   (0x2C00, 12))
IPV6_SHARES = ((32, 0.05), (48, 0.80), (64, 0.15))


@dataclass(frozen=True)
class Family:
    version: int
    bits: int               # address bits the prefixes span: 32, or the upper 64 of IPv6
    ifnets: Tuple[str, str]  # r0's and r1's address and prefix length
    neighbours: Tuple[int, int]  # the host behind r0 and behind r1, as integers

    def fmt(self, value: int, length: int) -> str:
        if self.version == 4:
            return "%d.%d.%d.%d/%d" % (value >> 24, (value >> 16) & 0xFF, (value >> 8) & 0xFF,
                                       value & 0xFF, length)
        return "%x:%x:%x:%x::/%d" % (value >> 48, (value >> 32) & 0xFFFF, (value >> 16) & 0xFFFF,
                                     value & 0xFFFF, length)


IPV4 = Family(4, 32, ("10.0.0.1/24", "10.1.0.1/24"), (0x0A000002, 0x0A010002))
IPV6 = Family(6, 64, ("2001:db8:0::1/64", "2001:db8:1::1/64"),
              (0x20010DB8000000000000000000000002, 0x20010DB8000100000000000000000002))


def ip_str(fam: Family, value: int) -> str:
    """An address of the family (IPv6: all 128 bits) as text."""
    return str(ipaddress.ip_address(value) if fam.version == 6 else
               ipaddress.IPv4Address(value))


def _side(key: int) -> int:
    """Which neighbour (0: behind r0, 1: behind r1) a route leads to: a bit of a mix of the
    prefix, so about half the routes go each way with nothing stored per route."""
    return ((key * 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF) >> 63


class RouteTable:
    """n distinct prefixes of a family, the same on every call (seeded), with their
    longest-prefix match. A prefix is the integer value << 7 | length, value in fam.bits."""

    def __init__(self, fam: Family, n: int):
        self.fam, self.n = fam, n
        rng = random.Random("sluice-bench-ipv%d-%d" % (fam.version, n))
        self.keys = set()
        if fam.version == 4:
            self._ipv4(rng)
        else:
            self._ipv6(rng)
        self.lengths = sorted(set(k & 0x7F for k in self.keys), reverse=True)

    def _add(self, value: int, length: int) -> bool:
        key = value << 7 | length
        if key in self.keys:
            return False
        self.keys.add(key)
        return True

    def _ipv4(self, rng: random.Random) -> None:
        lengths = [ln for ln, _ in IPV4_LENGTHS]
        weights = [w for _, w in IPV4_LENGTHS]
        while len(self.keys) < self.n:
            for length in rng.choices(lengths, weights, k=min(65536, self.n - len(self.keys))):
                value = rng.getrandbits(32) & ~((1 << (32 - length)) - 1)
                # Unicast, clear of 0/8, of 10/8 (the interfaces' subnets) and of 127/8.
                if 1 <= value >> 24 < 224 and value >> 24 not in (10, 127):
                    self._add(value, length)

    def _ipv6(self, rng: random.Random) -> None:
        want = {ln: int(self.n * share) for ln, share in IPV6_SHARES}
        want[48] += self.n - sum(want.values())
        allocs = []
        for _ in range(want[32]):
            while True:
                top, plen = rng.choice(IPV6_RIR_BLOCKS)
                value = ((top << 16) | rng.getrandbits(32 - plen)) << 32
                if value >> 32 != 0x20010DB8 and self._add(value, 32):
                    allocs.append(value)
                    break
        sites = []
        while len(sites) < want[48]:
            value = rng.choice(allocs) | rng.getrandbits(16) << 16
            if self._add(value, 48):
                sites.append(value)
        added = 0
        while added < want[64]:
            added += self._add(rng.choice(sites) | rng.getrandbits(16), 64)

    def lookup(self, value: int) -> Optional[int]:
        """The longest prefix (key) that holds value (fam.bits wide), or None."""
        for length in self.lengths:
            key = (value >> (self.fam.bits - length) << (self.fam.bits - length)) << 7 | length
            if key in self.keys:
                return key
        return None

    def destinations(self, side: int, n: int, rng: random.Random) -> List[int]:
        """n distinct full addresses, each in a random route and routed to neighbour `side`
        by the longest match (a more-specific of the other way is skipped)."""
        keys = sorted(self.keys)
        out, seen = [], set()
        while len(out) < n:
            key = rng.choice(keys)
            value, length = key >> 7, key & 0x7F
            host = value | rng.getrandbits(self.fam.bits - length)
            best = self.lookup(host)
            if _side(best) != side or host in seen:
                continue
            seen.add(host)
            # IPv6: the route covers the upper 64 bits; the interface identifier is random.
            out.append(host if self.fam.version == 4 else host << 64 | rng.getrandbits(64) | 1)
        return out

    def write_config(self, path: str) -> None:
        """`route add PREFIX via NEIGHBOUR` per prefix, in a random order (as a routing
        daemon would send them), via the host behind r0 or r1 as _side() says."""
        via = [ip_str(self.fam, a) for a in self.fam.neighbours]
        keys = sorted(self.keys)
        random.Random(self.n).shuffle(keys)
        fmt = self.fam.fmt
        with open(path, "w") as f:
            for start in range(0, len(keys), 65536):
                f.write("".join("route add %s via %s\n" % (fmt(k >> 7, k & 0x7F), via[_side(k)])
                                for k in keys[start:start + 65536]))


@functools.lru_cache(maxsize=1)
def route_table(version: int, n: int) -> RouteTable:
    return RouteTable(IPV4 if version == 4 else IPV6, n)


@functools.lru_cache(maxsize=1)
def routed_flows(version: int, n_routes: int) -> List[Tuple[int, List[int]]]:
    """Per port k: (its neighbour's address, ROUTED_FLOWS destinations routed out of the
    other port)."""
    table = route_table(version, n_routes)
    rng = random.Random("sluice-bench-flows-%d-%d" % (version, n_routes))
    return [(table.fam.neighbours[k], table.destinations(1 - k, ROUTED_FLOWS, rng))
            for k in (0, 1)]


def routed_frame(version: int, size: int, src: int, dst: int, flow: int, src_mac: str,
                 dst_mac: str, hops: int = 64) -> bytes:
    if version == 4:
        return ipv4_udp_frame(size, src, dst, SOURCE_PORT + flow, DEST_PORT, src_mac, dst_mac,
                              ident=flow, ttl=hops)
    return ipv6_udp_frame(size, src, dst, SOURCE_PORT + flow, DEST_PORT, src_mac, dst_mac,
                          hlim=hops)


def routing_frames(version: int, n_routes: int) -> Callable[[int], Dict[str, List[bytes]]]:
    """{"p0": frames port p0 replays, "p1": ...}: from the neighbour to the router MAC."""
    def gen(size: int) -> Dict[str, List[bytes]]:
        return {"p%d" % k: [routed_frame(version, size, src, dst, i, mac(NEIGH_MAC, k),
                                         mac(ROUTER_MAC, k)) for i, dst in enumerate(dsts)]
                for k, (src, dsts) in enumerate(routed_flows(version, n_routes))}
    return gen


def routing_expected(version: int, n_routes: int) -> Callable[[int], Dict[str, List[bytes]]]:
    """What each port must send: the other port's frames, TTL / hop limit 63 (IPv4 header
    checksum updated), from the router MAC of the egress interface to its neighbour."""
    def gen(size: int) -> Dict[str, List[bytes]]:
        return {"p%d" % (1 - k): [routed_frame(version, size, src, dst, i, mac(ROUTER_MAC, 1 - k),
                                               mac(NEIGH_MAC, 1 - k), hops=63)
                                  for i, dst in enumerate(dsts)]
                for k, (src, dsts) in enumerate(routed_flows(version, n_routes))}
    return gen


def routing_scenario(version: int, n_routes: int) -> Scenario:
    fam = IPV4 if version == 4 else IPV6
    count = format(n_routes, ",")
    size_tag = ("%dk" % (n_routes // 1000) if n_routes < 1000000
                else "%dm" % (n_routes // 1000000))
    cmds = []
    for k in (0, 1):
        cmds += ["port set p%d vlan none" % k, "interface add r%d port p%d vrf default" % (k, k),
                 "interface set r%d mac %s" % (k, mac(ROUTER_MAC, k)),
                 "interface set r%d address %s" % (k, fam.ifnets[k]),
                 "neigh add %s %s dev r%d" % (ip_str(fam, fam.neighbours[k]), mac(NEIGH_MAC, k),
                                              k)]
    if version == 4:
        table = ("prefix lengths as in the Internet's table: %s (shorter ones overlap their "
                 "more-specifics), drawn at random from unicast space outside 0/8, 10/8 and "
                 "127/8" % ", ".join("/%d %g %%" % (ln, w * 100) for ln, w in IPV4_LENGTHS))
        frame_kind, hops = "Ethernet/IPv4/UDP", "TTL"
    else:
        table = ("5 %% /32 allocations drawn from the RIRs' blocks (%s), 80 %% /48s and 15 %% "
                 "/64s inside them" % ", ".join("%x::/%d" % (t, ln) for t, ln in
                                                IPV6_RIR_BLOCKS))
        frame_kind = ("Ethernet/IPv6/UDP with its checksum (a 64 B frame has no room for UDP, "
                  "14 + 40 + 8 + 4 = 66 B: it carries an IPv6 header with next header 59, "
                  "No Next Header, and 6 bytes of Ethernet padding)")
        hops = "hop limit"
    return Scenario(
        name="ipv%d-%s" % (version, size_tag),
        title="IPv%d routing, %s prefixes in the FIB" % (version, count),
        description=(
            "Two routed ports (`port set pK vlan none`, `interface add rK port pK vrf "
            "default`, an address of %s and %s, a router MAC each) with a static neighbour "
            "behind each (`neigh add`), and %s static routes `route add PREFIX via NEIGHBOUR`, "
            "each through the neighbour of r0 or of r1 (about half each way): %s. The routes "
            "come from the running config written before sluiced starts, so its start-up replay "
            "loads all of them, after the ports and interfaces, before a worker sees a port. "
            "Each port replays %d UDP flows (%d in all) from its neighbour to its router MAC, "
            "frames %s, each to a random address of a random route that leads out of the "
            "other port (by the longest match: a more-specific the other way is skipped), %s "
            "64: every frame is looked up, its %s decremented and its MACs rewritten, and "
            "sent out of the other port. Checked: `show fib` counts >= %s IPv%d routes before "
            "the window, nothing is punted to the control thread inside it; once per frame "
            "size, before the measured runs, a run where each port reads its file once and "
            "writes what it sends to a pcap (`tx_pcap`) must send exactly the expected frames "
            "(other port, TTL / hop limit 63, IPv4 checksum updated, source the router MAC, "
            "destination the neighbour's). testpmd: io forwarding on the same two ports." % (
                fam.ifnets[0], fam.ifnets[1], count, table, ROUTED_FLOWS, 2 * ROUTED_FLOWS,
                frame_kind, hops, hops, count, version)),
        ports=[("p0", replay(0, "pcap_p0")), ("p1", replay(1, "pcap_p1"))],
        sluice_cmds=cmds,
        preconfigure=True,
        testpmd_args=["--forward-mode=io"],
        frames=routing_frames(version, n_routes),
        bulk_config=lambda path: route_table(version, n_routes).write_config(path),
        # Also deletes the routes through the interface.
        teardown_cmds=["interface del r0", "interface del r1"],
        min_fib_routes={"ipv%d" % version: n_routes},
        no_window_punts=True,
        expected=routing_expected(version, n_routes),
        # The start-up replay of 1,000,000 routes takes seconds.
        start_timeout_s=20 + n_routes / 20000,
    )


TRUNK_ACCESS_CMDS = ["port set t vlan trunk %d" % VLAN, "port set a vlan access %d" % VLAN]

SCENARIOS = {
    s.name: s
    for s in [
        Scenario(
            name="xconnect",
            title="Cross-connect (port xconnect a b)",
            description=(
                "Two net_pcap ports, each replaying the same 16 UDP flows forever; every frame "
                "received on one is sent out of the other (both directions), where the PMD "
                "counts and frees it. testpmd: io forwarding, which pairs port 0 and port 1 "
                "the same way."),
            ports=[("a", replay(0)), ("b", replay(1))],
            sluice_cmds=["port xconnect a b"],
            testpmd_args=["--forward-mode=io"],
            ovs=OvsSetup(title="OpenFlow in_port=1,actions=output:2 and back",
                         flows=["in_port=1,actions=output:2", "in_port=2,actions=output:1"]),
        ),
        Scenario(
            name="l2-trunk-access",
            title="L2 VLAN switching, trunk <-> access, 1,024 learned MAC pairs",
            description=(
                "Port t is a trunk of VLAN %d, port a an access port of VLAN %d. t replays "
                "1,024 frames src=A<i> dst=B<i> tagged %d, a replays 1,024 frames src=B<i> "
                "dst=A<i> untagged (UDP, one flow per pair), forever: after the warm-up all "
                "2,048 MACs are learned and every frame is a known unicast (the tag is popped "
                "t->a and pushed a->t). The ports get their VLAN settings from the running "
                "config, replayed before any worker sees them. Checked: `show bridge` entries "
                ">= 2048 before the window, no frame flooded in VLAN %d inside it. Frame sizes "
                "are the untagged ones; the trunk's frames are 4 bytes longer. testpmd: io "
                "forwarding on the same two ports. Target: Sluice >= 0.60 x testpmd io; with "
                "`--scenario ovs` also OVS NORMAL (port t trunks=%d, port a tag=%d; target "
                "Sluice >= 4 x OVS)." % (VLAN, VLAN, VLAN, VLAN, VLAN, VLAN)),
            ports=[("t", replay(0, "pcap_t")), ("a", replay(1, "pcap_a"))],
            sluice_cmds=TRUNK_ACCESS_CMDS,
            preconfigure=True,
            testpmd_args=["--forward-mode=io"],
            frames=trunk_access_frames,
            min_fdb_entries=2 * PAIRS,
            no_window_floods=True,
            flood_vlan=VLAN,
            target="Sluice/testpmd >= 0.60",
            ovs=OvsSetup(title="NORMAL, port t trunks=%d, port a tag=%d" % (VLAN, VLAN),
                         flows=["actions=NORMAL"],
                         port_settings={"t": ["trunks=%d" % VLAN], "a": ["tag=%d" % VLAN]}),
        ),
        Scenario(
            name="l2-1m-macs",
            title="L2 trunk <-> access with 1,000,000 learned MACs in the FDB",
            description=(
                "As l2-trunk-access (same ports, frames and checks), but sluiced runs with "
                "`--fdb-entries 1200000`, ageing off, and a third port w (trunk %d) first "
                "replays, once, a pcap of %s frames from distinct source MACs in VLAN %d "
                "(64-byte records, about 80 MB, written for the run and deleted after), all "
                "to one MAC that a static entry puts behind w, so they are dropped as "
                "`ingress-port-is-egress`. Learn events lost to the full learn ring are made "
                "up by replaying the file again (`port set w mtu 1500` restarts the port, "
                "which reopens the file; its FDB entries stay) until `show bridge` learned >= "
                "1,002,048. The window then measures t <-> a with 1,002,048 entries in the "
                "FDB; w is idle (at the end of its file) but still polled. flood_copies 2: "
                "before learning, a frame of t or a floods to the two other members. testpmd: "
                "io on t and a. Target: Sluice >= 0.45 x testpmd io." % (
                    VLAN, format(WARM_MACS, ","), VLAN)),
            ports=[("t", replay(0, "pcap_t")), ("a", replay(1, "pcap_a")),
                   ("w", PCAP_ONCE.format(idx=2, key="shared_warm"))],
            sluice_cmds=TRUNK_ACCESS_CMDS + [
                "port set w vlan trunk %d" % VLAN, "bridge set ageing 0",
                "fdb add %d %s w" % (VLAN, mac(WARM_SINK, 0))],
            preconfigure=True,
            sluiced_args=["--fdb-entries", "1200000"],
            testpmd_args=["--forward-mode=io"],
            testpmd_ports=["t", "a"],
            frames=trunk_access_frames,
            shared_files={"warm": write_warm_pcap},
            prefill=Prefill(port="w", macs=WARM_MACS, target_learned=WARM_MACS + 2 * PAIRS,
                            rewind="port set w mtu 1500"),
            min_fdb_entries=WARM_MACS + 2 * PAIRS,
            no_window_floods=True,
            flood_copies=2,
            flood_vlan=VLAN,
            target="Sluice/testpmd >= 0.45",
        ),
        Scenario(
            name="l2-flood",
            title="L2 flooding: unknown unicast from one port to 4 access ports",
            description=(
                "Five access ports of VLAN %d: port in replays 1,024 frames from 16 source "
                "MACs to 1,024 destinations that never send (unknown unicast, `vlan` flood on), "
                "s1-s4 replay an empty capture. Every frame is flooded: 3 copies and the "
                "original, one to each of s1-s4 (frames up to 256 B are copied whole, bigger "
                "ones get a header-only copy chained to the shared payload). Mpps/core is the "
                "input rate (frames received), compared with testpmd io on the same five ports "
                "(--port-topology=chained: in -> s1, so it forwards the input stream once); "
                "the output column counts the copies sent (4 per input frame)." % VLAN),
            ports=[("in", replay(0, "pcap_in"))] + [
                ("s%d" % k, PCAP_ONCE.format(idx=k, key="pcap_empty")) for k in range(1, 5)],
            sluice_cmds=["port set %s vlan access %d" % (n, VLAN)
                         for n in ("in", "s1", "s2", "s3", "s4")],
            preconfigure=True,
            testpmd_args=["--forward-mode=io", "--port-topology=chained"],
            frames=flood_frames,
            flood_copies=4,
            flood_vlan=VLAN,
            rate="rx",
        ),
        Scenario(
            name="vhost-vhost",
            title="vhost-user to vhost-user: V0 -> V1 inside a chain of virtio ports",
            description=(
                "One direction through six ports in one process: P0 (net_pcap replaying 16 "
                "UDP flows forever) -> U0 (net_virtio_user, front end of V0) -> V0 (net_vhost, "
                "server of a vhost-user socket) -> V1 (net_vhost) -> U1 (net_virtio_user, front "
                "end of V1) -> P1 (net_pcap sink; it replays an empty capture). The hop under "
                "test is V0 -> V1: vhost dequeue from U0's Tx ring (a copy into a new mbuf) and "
                "vhost enqueue into U1's Rx buffers (a second copy). The same worker core also "
                "runs the other hops (P0 -> U0, U1 -> P1). Sluice: `port xconnect P0 U0`, "
                "`port xconnect V0 V1`, `port xconnect U1 P1`, from the running config; "
                "testpmd: io forwarding, --port-topology=paired over `set portlist` "
                "P0,U0,V0,V1,U1,P1 (pairs P0-U0, V0-V1, U1-P1). Both sides: EAL "
                "--in-memory --single-file-segments; the vhost ports come first (server "
                "mode: their socket exists once they start), then the virtio_user ports "
                "(testpmd: `port attach` from a --cmdline-file after the --vdev ports "
                "started). Mpps/core is the frames sent out of V1 per second (each also "
                "crossed the two other hops, so cycles/pkt is the cost of the whole chain); "
                "the chain column counts the frames reaching P1."),
            ports=[("V0", vhost(0, "V0")), ("V1", vhost(1, "V1")),
                   ("P0", replay(0, "pcap_in")), ("P1", PCAP_ONCE.format(idx=1, key="pcap_empty")),
                   ("U0", virtio_user(0, "V0")), ("U1", virtio_user(1, "V1"))],
            # vlan none: when teardown deletes a port its peer would fall back to
            # the bridge (default access 1) and flood copies, breaking rx = tx + drops.
            sluice_cmds=["port set P0 vlan none", "port set U0 vlan none",
                         "port set V0 vlan none", "port set V1 vlan none",
                         "port set U1 vlan none", "port set P1 vlan none",
                         "port xconnect P0 U0", "port xconnect V0 V1", "port xconnect U1 P1"],
            preconfigure=True,
            testpmd_args=["--forward-mode=io", "--port-topology=paired"],
            testpmd_hotplug=["U0", "U1"],
            testpmd_portlist=["P0", "U0", "V0", "V1", "U1", "P1"],
            eal_args=VHOST_EAL,
            frames=chain_frames,
            rate_port="V1",
            chain_port="P1",
        ),
        Scenario(
            name="pvp-style",
            title="Physical-style port to vhost-user: P0 -> V0 -> virtio_user -> sink",
            description=(
                "One direction through four ports in one process: P0 (net_pcap replaying 16 UDP "
                "flows forever, standing in for a physical port) -> V0 (net_vhost: vhost "
                "enqueue, a copy into the front end's Rx buffers) -> U0 (net_virtio_user, the "
                "\"guest\" side, in the same process) -> P1 (net_pcap sink; it replays an "
                "empty capture). The hop under test is P0 -> V0; the same worker core also "
                "forwards U0 -> P1. Sluice: `port xconnect P0 V0`, `port xconnect U0 P1`; "
                "testpmd: io, --port-topology=paired over `set portlist` P0,V0,U0,P1. EAL and "
                "port order as in vhost-vhost. Mpps/core is the frames sent out of V0 per "
                "second; the chain column counts those reaching P1."),
            ports=[("V0", vhost(0, "V0")), ("P0", replay(0, "pcap_in")),
                   ("P1", PCAP_ONCE.format(idx=1, key="pcap_empty")),
                   ("U0", virtio_user(0, "V0"))],
            sluice_cmds=["port set P0 vlan none", "port set V0 vlan none",
                         "port set U0 vlan none", "port set P1 vlan none",
                         "port xconnect P0 V0", "port xconnect U0 P1"],
            preconfigure=True,
            testpmd_args=["--forward-mode=io", "--port-topology=paired"],
            testpmd_hotplug=["U0"],
            testpmd_portlist=["P0", "V0", "U0", "P1"],
            eal_args=VHOST_EAL,
            frames=chain_frames,
            rate_port="V0",
            chain_port="P1",
        ),
    ] + [routing_scenario(version, n) for version in (4, 6) for n in (100000, 1000000)]
}

# `--scenario ovs` is no scenario of its own: it adds Open vSwitch as a third side to the named
# scenarios that have an `ovs` set-up (`--scenario xconnect,ovs`), or alone to all of them.
OVS_PSEUDO = "ovs"


def scaling_scenario(workers: int) -> Scenario:
    """Multi-core scaling (bench.py --scenario scaling): `workers` cross-connected pairs of
    ports (a0 <-> b0, a1 <-> b1, ...), all replaying the same 16 UDP flows; Sluice pins the
    rx queue of both ports of pair k to worker k, testpmd io (paired topology) gives each
    forwarding core two streams, pair by pair. With one worker it is the xconnect scenario.

    Every Sluice worker has a tx queue of its own on every port, and net_pcap makes as many
    tx queues (counting and freeing what they are given) as it has rx_pcap files: so each
    port names the file once per worker and both sides use its first rx queue only."""
    files = ",".join(["rx_pcap={pcap}"] * workers)
    ports, cmds = [], []
    for w in range(workers):
        for side, idx in (("a", 2 * w), ("b", 2 * w + 1)):
            name = "%s%d" % (side, w)
            ports.append((name, "net_pcap%d,%s,infinite_rx=1" % (idx, files)))
            # vlan none: when teardown deletes a port, its peer must not fall back to the
            # bridge and flood copies to the other pairs (rx = tx + drops would not hold).
            cmds += ["port set %s vlan none" % name, "port set %s rxq 0 worker %d" % (name, w)]
        cmds.append("port xconnect a%d b%d" % (w, w))
    return Scenario(
        name="scaling",
        title="Multi-core scaling: %d cross-connected port pair%s, one per worker" % (
            workers, "s" if workers > 1 else ""),
        description="",
        ports=ports,
        sluice_cmds=cmds,
        # From the running config: no frame is switched in the default VLAN first.
        preconfigure=True,
        testpmd_args=["--forward-mode=io", "--port-topology=paired"],
    )
