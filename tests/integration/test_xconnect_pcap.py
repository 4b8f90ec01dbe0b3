# SPDX-License-Identifier: BSD-3-Clause
# Real frames through a cross-connect with net_pcap: frames read from port a's rx_pcap must leave
# port b's tx_pcap byte for byte and in order, and the counters must account for every frame.
#
# net_pcap facts this relies on (DPDK 22.11): a port reads its rx_pcap from the start each time it
# is started and opens (truncates) its tx_pcap when started; the tx file is flushed after every
# burst and closed when the port is stopped. A port starts reading as soon as `port add` returns,
# before any cross-connect exists, so the test first lets that pass go (the L2 bridge or a drop
# takes it), then cross-connects, restarts b (fresh output file) and a (`port set a mtu 1500`
# restarts the port), and only that second pass is compared.
import pytest

from conftest import import_scapy, read_pcap, wait_until, write_pcap

N_FRAMES = 100


def build_frames():
    """100 frames: UDP of many sizes plus minimum-size, maximum-size, unpadded, 802.1Q-tagged,
    non-IP, broadcast and multicast ones."""
    s = import_scapy()
    src, dst = "02:00:00:00:00:01", "02:00:00:00:00:02"
    frames = [
        bytes(s.Ether(src=src, dst=dst) / s.IP(src="10.0.0.1", dst="10.0.0.2") /
              s.UDP(sport=1, dport=2)).ljust(60, b"\0"),                # 60-byte minimum frame
        bytes(s.Ether(src=src, dst=dst) / s.IP(src="10.0.0.1", dst="10.0.0.2") /
              s.UDP(sport=1, dport=2) / s.Raw(b"\xab" * 1472)),          # 1514 bytes
        bytes(s.Ether(src=src, dst="ff:ff:ff:ff:ff:ff") /
              s.ARP(psrc="10.0.0.1", pdst="10.0.0.2")),                 # 42 bytes, unpadded
        bytes(s.Ether(src=src, dst=dst) / s.Dot1Q(vlan=42, prio=3) /
              s.IP(src="10.0.0.1", dst="10.0.0.2") / s.UDP() / s.Raw(b"tagged")),
        bytes(s.Ether(src=src, dst=dst) / s.Dot1Q(vlan=7) / s.Dot1Q(vlan=8) /
              s.Raw(b"qinq" * 20)),                                       # two tags
        bytes(s.Ether(src=src, dst=dst, type=0x88B5) / s.Raw(b"local experimental" * 3)),
        bytes(s.Ether(src=src, dst="01:00:5e:00:00:01") /
              s.IP(src="10.0.0.1", dst="224.0.0.1") / s.UDP() / s.Raw(b"mc")),
        bytes(s.Ether(src=src, dst=dst) / s.IPv6(src="fd00::1", dst="fd00::2") /
              s.UDP() / s.Raw(b"v6" * 30)),
    ]
    i = 0
    while len(frames) < N_FRAMES:
        payload = (i * 97) % 1473
        frames.append(bytes(s.Ether(src=src, dst=dst) /
                            s.IP(src="10.0.0.1", dst="10.0.0.2", id=i) /
                            s.UDP(sport=1000 + i, dport=2000) /
                            s.Raw(bytes((i + k) & 0xFF for k in range(payload)))))
        i += 1
    sizes = [len(f) for f in frames]
    assert min(sizes) == 42 and max(sizes) == 1514 and 60 in sizes
    return frames


@pytest.fixture
def pcap_pair(sluiced, workdir):
    """Ports a (rx in.pcap) and b (rx empty), cross-connected, b's output file fresh and a
    restarted so that its input is read again, now through the cross-connect."""
    frames = build_frames()
    write_pcap(workdir / "in.pcap", frames)
    write_pcap(workdir / "empty.pcap")
    d = sluiced
    d.ok(f"port add b net_pcap1,rx_pcap={workdir}/empty.pcap,tx_pcap={workdir}/b_out.pcap")
    d.ok(f"port add a net_pcap0,rx_pcap={workdir}/in.pcap,tx_pcap={workdir}/a_out.pcap")
    wait_until(lambda: d.port("a")["stats"]["ipackets"] >= N_FRAMES, 10,
               "a to read its capture once")
    d.ok("port xconnect a b")
    return d, frames


def wait_quiet(d, key, port, want, timeout=10):
    wait_until(lambda: d.port(port)["stats"][key] >= want, timeout,
               f"port {port} {key} to reach {want}")


def test_frames_cross_connected_byte_for_byte_in_order(pcap_pair, workdir):
    d, frames = pcap_pair
    d.ok("port set b mtu 1500")  # restart b: fresh b_out.pcap
    d.ok("stats clear")
    d.ok("port set a mtu 1500")  # restart a: in.pcap read again, now cross-connected
    wait_quiet(d, "opackets", "b", N_FRAMES)

    s = d.ok("show stats")
    ports = {p["name"]: p for p in s["ports"]}
    assert ports["a"]["ipackets"] == N_FRAMES
    assert ports["a"]["ibytes"] == sum(map(len, frames))
    assert ports["b"]["opackets"] == N_FRAMES
    assert ports["b"]["obytes"] == sum(map(len, frames))
    assert ports["a"]["opackets"] == 0 and ports["b"]["ipackets"] == 0
    assert s["rx_packets"] == N_FRAMES and s["tx_packets"] == N_FRAMES
    assert all(v == 0 for v in s["drops"].values()), s["drops"]
    assert d.ok("show drops") == s["drops"]
    w = d.worker_stats()[0]
    assert w["rx_packets"] == N_FRAMES and w["tx_packets"] == N_FRAMES and w["drops"] == 0
    assert w["bursts"] >= N_FRAMES // 32

    d.ok("port del b")  # stops and closes b: its capture is complete on disk
    out = read_pcap(workdir / "b_out.pcap")
    assert len(out) == N_FRAMES, f"{len(out)} frames in b_out.pcap, want {N_FRAMES}"
    for i, (got, want) in enumerate(zip(out, frames)):
        assert got == want, f"frame {i}: {len(got)} bytes out, {len(want)} in"
    assert read_pcap(workdir / "a_out.pcap") == []  # b received nothing to send back


def test_frames_without_output_are_dropped_as_no_output(pcap_pair, workdir):
    d, frames = pcap_pair
    d.ok("port set a vlan none")  # not switched either: nowhere to go
    d.ok("port xconnect del a")
    assert d.port("a")["xconnect"] is None and d.port("b")["xconnect"] is None
    d.ok("port set b mtu 1500")
    d.ok("stats clear")
    d.ok("port set a mtu 1500")
    wait_until(lambda: d.ok("show drops")["no-output"] >= N_FRAMES, 10, "no-output drops")
    s = d.ok("show stats")
    ports = {p["name"]: p for p in s["ports"]}
    assert ports["a"]["ipackets"] == N_FRAMES
    assert s["drops"]["no-output"] == N_FRAMES
    assert s["tx_packets"] == 0 and ports["b"]["opackets"] == 0
    assert sum(s["drops"].values()) == N_FRAMES
    d.ok("port del b")
    assert read_pcap(workdir / "b_out.pcap") == []


def test_forwarded_plus_dropped_equals_sent_across_xconnect_changes(pcap_pair, workdir):
    """Cross-connect, then remove it while a is being re-read many times: every frame read on a
    is either forwarded to b or dropped as no-output."""
    d, frames = pcap_pair
    d.ok("port set a vlan none")
    d.ok("port set b vlan none")
    d.ok("stats clear")
    for i in range(6):
        if i % 2:
            d.ok("port xconnect del a")
        else:
            d.ok("port xconnect a b")
        d.ok("port set a mtu 1500")
    want = 6 * N_FRAMES
    wait_until(lambda: d.port("a")["stats"]["ipackets"] >= want, 10, "a to read 6 passes")
    wait_until(lambda: d.ok("show stats")["rx_packets"] >= want, 5, "worker rx")
    s = d.ok("show stats")
    ports = {p["name"]: p for p in s["ports"]}
    fwd, dropped = ports["b"]["opackets"], s["drops"]["no-output"]
    assert ports["a"]["ipackets"] == want
    assert fwd + dropped == want, (fwd, dropped)
    assert fwd == s["tx_packets"]
    assert fwd >= 3 * N_FRAMES  # three passes were read while cross-connected
