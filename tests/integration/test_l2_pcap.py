# SPDX-License-Identifier: BSD-3-Clause
# L2 bridge fed from pcap files, for frames a kernel veth would not carry as they are: truncated
# Ethernet and 802.1Q headers, 802.1ad (0x88a8) outer tags (the kernel turns them into 0x8100
# metadata), frames over the port MTU. Each net_pcap port replays its rx frames once right after
# start; the config is written before start, so every frame meets the final VLAN config.
import pytest

from l2util import L2Frames, PcapRig, tag, vlan_of, wait_until, write_pcap

BCAST = "ff:ff:ff:ff:ff:ff"
SRC = "02:4c:40:00:00:01"


@pytest.fixture
def rig(workdir):
    r = PcapRig(workdir)
    yield r
    problems = r.close()
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


def settle_rx(rig, port, n, vlan=None, vlan_rx=None):
    """Wait (bounded) until port received n frames (and VLAN vlan counted vlan_rx)."""
    wait_until(lambda: rig.ctl.ports()[port]["ipackets"] >= n, 10, f"{n} frames on {port}")
    if vlan is not None:
        wait_until(lambda: rig.ctl.vlans().get(vlan, {}).get("rx_packets", 0) >= vlan_rx, 5,
                   f"{vlan_rx} frames counted in VLAN {vlan}")


def test_malformed_frames_dropped_and_counted_then_forwarding_goes_on(rig):
    fx = L2Frames()
    good = [fx.frame(SRC, BCAST, size=s) for s in (60, 100, 1514)]
    tagged_ok = fx.frame(SRC, BCAST, vlan=0, prio=3, size=1518)   # 1500 B payload + tag: fits
    bad = {
        "truncated": [bytes.fromhex("ffffffffffff024c4000"),            # 10 B
                      bytes.fromhex("ff"),                               # 1 B
                      bytes.fromhex("ffffffffffff024c40000001") + b"\x81",  # 13 B
                      bytes.fromhex("ffffffffffff024c400000018100"),     # 14 B, 0x8100, no TCI
                      bytes.fromhex("ffffffffffff024c40000001810000"),   # 15 B
                      bytes.fromhex("ffffffffffff024c40000001810000"
                                    "0a88")],                            # 17 B
        "mtu-exceeded": [fx.frame(SRC, BCAST, size=1515), fx.frame(SRC, BCAST, size=1600),
                         fx.frame(SRC, BCAST, vlan=0, size=1519)],
    }
    rx = [good[0]] + bad["truncated"] + [good[1]] + bad["mtu-exceeded"] + [tagged_ok, good[2]]
    (rig.port("in", rx, extra="mtu 1500")
        .port("out")
        .start())
    assert rig.ctl.ok("port show in")["mtu"] == 1500
    settle_rx(rig, "in", len(rx), vlan=1, vlan_rx=4)
    d = rig.ctl.drops()  # a fresh daemon: absolute counts
    assert d["truncated"] == len(bad["truncated"]), d
    assert d["mtu-exceeded"] == len(bad["mtu-exceeded"]), d
    assert sum(d.values()) == len(bad["truncated"]) + len(bad["mtu-exceeded"]), d
    assert rig.ctl.vlans()[1]["rx_packets"] == 4
    # The daemon keeps forwarding: a port added now replays more good frames.
    later = [fx.frame("02:4c:40:00:00:02", BCAST, size=s) for s in (64, 700)]
    write_pcap(rig.dir / "later.pcap", later)
    rig.ctl.ok(f"port add in2 net_pcap9,rx_pcap={rig.dir / 'later.pcap'}")
    settle_rx(rig, "in2", len(later), vlan=1, vlan_rx=6)
    out = rig.tx_frames("out")
    want = [good[0], good[1], bytes(tagged_ok[:12] + tagged_ok[16:]), good[2]] + later
    assert out == want, [len(f) for f in out]
    assert rig.d.alive()


def test_egress_mtu_exceeded_dropped_on_that_port_only(rig):
    fx = L2Frames()
    small, big = fx.frame(SRC, BCAST, size=1400), fx.frame(SRC, BCAST, size=1600)
    (rig.port("in", [small, big], extra="mtu 2000")
        .port("o1500", extra="mtu 1500")
        .port("o2000", extra="mtu 2000")
        .start())
    settle_rx(rig, "in", 2, vlan=1, vlan_rx=2)
    wait_until(lambda: rig.ctl.ports()["o2000"]["opackets"] >= 2, 5, "2 frames out of o2000")
    d = rig.ctl.drops()  # a fresh daemon: absolute counts
    assert d["mtu-exceeded"] == 1 and sum(d.values()) == 1, d
    assert rig.tx_frames("o1500") == [small]
    assert rig.tx_frames("o2000") == [small, big]


def test_qinq_outer_tag_on_access_port_is_payload(rig):
    fx = L2Frames()
    qinq = [fx.frame(SRC, BCAST, vlan=100, prio=5, tpid=0x88A8, inner=(200, 2)),
            fx.frame(SRC, "02:4c:40:00:00:99", vlan=10, tpid=0x88A8, size=300),
            fx.frame(SRC, BCAST, vlan=0, prio=1, tpid=0x88A8)]
    (rig.port("in", qinq)
        .port("acc10")
        .port("trk10", [fx.frame("02:4c:40:00:00:05", BCAST, vlan=7, tpid=0x88A8)])
        .port("acc100")
        .port("trk100")
        .cfg("port set in vlan access 10", "port set acc10 vlan access 10",
             "port set trk10 vlan trunk 10", "port set acc100 vlan access 100",
             "port set trk100 vlan trunk 100,200")
        .start())
    settle_rx(rig, "in", 3, vlan=10, vlan_rx=3)
    settle_rx(rig, "trk10", 1)
    wait_until(lambda: rig.ctl.drops()["untagged-no-native"] >= 1, 5, "the trk10 frame dropped")
    d = rig.ctl.drops()  # a fresh daemon: absolute counts
    # An 802.1ad frame on a trunk is untagged (for 802.1Q): no native VLAN, dropped.
    assert d["untagged-no-native"] == 1 and sum(d.values()) == 1, d
    v = rig.ctl.vlans()
    assert v[10]["rx_packets"] == 3 and v[100]["rx_packets"] == 0, v
    wait_until(lambda: rig.ctl.fdb(), 3, "the source learned")   # learn rings drain every 10 ms
    fdb = {(e["vlan"], e["mac"]): e["port"] for e in rig.ctl.ok("show fdb")}
    assert fdb == {(10, SRC): "in"}, fdb
    assert rig.tx_frames("acc10") == qinq
    out = rig.tx_frames("trk10")
    assert out == [tag(f, 10, 0) for f in qinq]
    assert [vlan_of(f) for f in out] == [(0x8100, 10, 0)] * 3
    assert rig.tx_frames("acc100") == []
    assert rig.tx_frames("trk100") == []


def test_fdb_full_new_sources_still_forwarded(rig):
    """An FDB of 1024 entries and 1500 sources: the overflow is counted, never learned, and
    every frame is still forwarded; after a flush the table learns again."""
    fx = L2Frames()
    frames = [fx.frame(f"02:4c:41:00:{i >> 8:02x}:{i & 0xff:02x}", BCAST) for i in range(1500)]
    rig.port("in", frames).port("out").start(args=("--fdb-entries", "1024"))
    settle_rx(rig, "in", len(frames), vlan=1, vlan_rx=len(frames))
    wait_until(lambda: rig.ctl.bridge()["learn_events"] >= len(frames), 5, "learn events drained")
    b = rig.ctl.bridge()
    assert b["capacity"] == 1024, b
    assert b["learned"] <= 1024 and b["learned"] + b["table_full"] == len(frames), b
    assert b["table_full"] >= 1500 - 1024, b
    assert len(rig.ctl.fdb()) == b["learned"]
    assert rig.ctl.drops() == {k: 0 for k in rig.ctl.drops()}
    assert rig.ctl.ok("fdb flush")["flushed"] == b["learned"]
    assert rig.ctl.bridge()["entries"] == 0
    rig.ctl.ok("fdb add 1 02:4c:41:ff:00:01 out")
    assert rig.ctl.bridge()["static"] == 1
    assert rig.tx_frames("out") == frames
