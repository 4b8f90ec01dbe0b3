# SPDX-License-Identifier: BSD-3-Clause
# Benchmark scenarios: the ports, the Sluice commands and the equivalent testpmd run of each,
# plus the frames they replay. bench.py runs whatever is registered in SCENARIOS.
"""Benchmark scenarios for bench/bench.py.

A scenario is one topology measured twice, on the same virtual devices, with the same frames:
once forwarded by `dpdk-testpmd` (the reference) and once by Sluice. It names

  * ports:        (sluice port name, devargs) pairs. The devargs are given to testpmd as
                  `--vdev`, in this order, and to sluiced as `port add NAME DEVARGS`, so both
                  sides drive identical devices; `{pcap}` is replaced by the frame file.
  * sluice_cmds:  sluicectl command lines run once the ports exist (`port xconnect a b`).
  * testpmd_args: testpmd application arguments (after `--`) that do the same job.
  * frames:       a function (frame_size) -> list of frames (bytes, without FCS) to replay.
  * balanced:     the accounting rule on Sluice's final totals (rx, tx, drops) once every port
                  is deleted; the default, rx == tx + drops, fits one output per input. A
                  flooding scenario (one frame out of several ports) needs its own.

To add one, write a Scenario and add it to SCENARIOS. Everything else (runs, accounting,
CSV, docs/performance.md) is generic.
"""

import struct
from dataclasses import dataclass, field
from typing import Callable, List, Tuple

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


def one_out_per_in(rx: int, tx: int, drops: int) -> bool:
    return rx == tx + drops


@dataclass
class Scenario:
    name: str
    title: str
    description: str
    ports: List[Tuple[str, str]]
    sluice_cmds: List[str]
    testpmd_args: List[str]
    frames: Callable[[int], List[bytes]] = field(default_factory=lambda: udp_flows(16))
    balanced: Callable[[int, int, int], bool] = one_out_per_in

    def devargs(self, pcap: str) -> List[Tuple[str, str]]:
        return [(name, d.format(pcap=pcap)) for name, d in self.ports]


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
            ports=[("a", PCAP_REPLAY.format(idx=0, pcap="{pcap}")),
                   ("b", PCAP_REPLAY.format(idx=1, pcap="{pcap}"))],
            sluice_cmds=["port xconnect a b"],
            testpmd_args=["--forward-mode=io"],
        ),
    ]
}
