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
  `{rundir}` in devargs is a fresh directory per process run (vhost-user sockets).

To add one, write a Scenario and add it to SCENARIOS. Everything else (runs, accounting,
CSV, docs/performance.md) is generic.
"""

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


def udp_frame(size: int, flow: int, src_mac: str, dst_mac: str) -> bytes:
    """An Ethernet/IPv4/UDP frame of `size` bytes on the wire (FCS included, so the
    returned bytes are size - 4 long). Flow n: 10.0.0.0 + (n+1), port 1024+n -> 10.1.0.1:9."""
    data_len = size - FCS_LEN
    ip_len = data_len - 14
    if ip_len < 28:
        raise ValueError("frame size %d too small for Ethernet/IPv4/UDP" % size)
    host = flow + 1
    src_ip = bytes([10, 0, (host >> 8) & 0xFF, host & 0xFF])
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, ip_len, flow & 0xFFFF, 0, 64, 17, 0,
                     src_ip, bytes([10, 1, 0, 1]))
    ip = ip[:10] + struct.pack("!H", _csum16(ip)) + ip[12:]
    udp_len = ip_len - 20
    # UDP checksum 0: "none" is valid for IPv4 and keeps the generator trivial.
    udp = struct.pack("!HHHH", 1024 + flow, 9, udp_len, 0) + bytes(udp_len - 8)
    eth = bytes.fromhex(dst_mac.replace(":", "")) + bytes.fromhex(src_mac.replace(":", ""))
    return eth + b"\x08\x00" + ip + udp


def write_pcap(path: str, frames: List[bytes]) -> None:
    """Classic libpcap file (microsecond timestamps, DLT_EN10MB)."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, fr in enumerate(frames):
            f.write(struct.pack("<IIII", 0, i, len(fr), len(fr)))
            f.write(fr)


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
    ]
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
