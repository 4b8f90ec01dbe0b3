# SPDX-License-Identifier: BSD-3-Clause
# FDB churn under traffic: one port replays (infinite_rx) frames from 65536 distinct sources into
# VLAN 1 while the test flushes that port's entries over and over with 1 s ageing, so the control
# thread learns and deletes more than a million entries while workers look the table up. Meanwhile
# a known flow A -> B (B's MAC static) is replayed from a finite pcap on a port added last, several
# times: B must send every one of its frames, nothing may be dropped, the daemon must stay up and
# its worker loops keep turning. Runs against any build dir (SLUICE_BUILD), ASan included: the
# time bounds stretch when sluiced links a sanitizer runtime.
import os
import struct
import threading
import time

import pytest

from l2util import PcapRig, is_asan_build, wait_hugepages, wait_until

N_SOURCES = 65536
N_KNOWN = 200_000
EVENTS_MIN = 1_000_000
MIN_ROUNDS = 8
A_MAC, B_MAC, D_MAC = "02:4c:a0:00:00:0a", "02:4c:a0:00:00:0b", "02:4c:a0:00:00:0d"


def mac_bytes(m):
    return bytes.fromhex(m.replace(":", ""))


def write_frames_pcap(path, frames_iter, count):
    """A pcap of `count` 64 B frames, written in one go (fast enough for 200k frames)."""
    hdr = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
    rec = struct.Struct("<IIII")
    parts = [hdr]
    for i, fr in zip(range(count), frames_iter):
        parts.append(rec.pack(1000 + i // 1000000, i % 1000000, len(fr), len(fr)))
        parts.append(fr)
    with open(path, "wb") as f:
        f.write(b"".join(parts))


def frame(src, dst, seq):
    body = b"SLT2CHURN" + seq.to_bytes(4, "big")
    f = dst + src + b"\x88\xb5" + body
    return f + bytes(64 - len(f))


@pytest.fixture
def rig(workdir):
    r = PcapRig(workdir)
    yield r
    problems = r.close()
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


def test_fdb_churn_keeps_known_flow_lossless(rig):
    scale = 4.0 if is_asan_build(_sluiced_bin()) else 1.0
    deadline_s = float(os.environ.get("SLUICE_CHURN_TIMEOUT", 60.0 * scale))
    b, d = mac_bytes(B_MAC), mac_bytes(D_MAC)
    write_frames_pcap(rig.dir / "churn.pcap",
                      (frame(bytes.fromhex("024cc000") + i.to_bytes(2, "big"), d, i)
                       for i in range(N_SOURCES)), N_SOURCES)
    write_frames_pcap(rig.dir / "a.pcap", (frame(mac_bytes(A_MAC), b, i) for i in range(N_KNOWN)),
                      N_KNOWN)
    rig.lines += ["port add B net_null0,no-rx=1", "port add D net_null1,no-rx=1",
                  f"port add churn net_pcap0,rx_pcap={rig.dir / 'churn.pcap'},infinite_rx=1",
                  f"fdb add 1 {B_MAC} B", f"fdb add 1 {D_MAC} D", "bridge set ageing 1"]
    wait_hugepages(300)   # -m 512 (the 65536 replayed frames stay in mbufs)
    rig.start(args=("--mbufs", "98303"), mem_mb=512)
    ctl = rig.ctl
    wait_until(lambda: ctl.bridge()["learned"] >= 1000, 10 * scale, "churn sources learned")
    b0 = ctl.bridge()
    w0 = {w["worker"]: w["loops"] for w in ctl.ok("show workers")}

    stop = threading.Event()
    flushed = [0, 0]   # entries removed, flush commands
    errors = []

    def flusher():
        try:
            with rig.d.client(timeout=30) as c:
                while not stop.is_set():
                    flushed[0] += c.ok("fdb flush port churn")["flushed"]
                    flushed[1] += 1
                    time.sleep(0.01)
        except Exception as e:  # reported by the main thread
            errors.append(repr(e))

    th = threading.Thread(target=flusher, daemon=True)
    th.start()
    t0 = time.monotonic()
    rounds, events = 0, 0
    try:
        while True:
            name = f"a{rounds}"
            ctl.ok(f"port add {name} net_pcap{rounds + 1},rx_pcap={rig.dir / 'a.pcap'}")
            st = wait_until(lambda: (lambda s: s if s["ipackets"] >= N_KNOWN else None)(
                ctl.ports()[name]), 30 * scale, f"{N_KNOWN} known-flow frames read by {name}")
            assert st["ipackets"] == N_KNOWN and st["imissed"] == 0 and st["ierrors"] == 0, st
            ctl.ok(f"port del {name}")
            rounds += 1
            br = ctl.bridge()
            events = (br["learn_events"] - b0["learn_events"]) + (br["aged"] - b0["aged"]) + \
                flushed[0]
            if errors:
                break
            if rounds >= MIN_ROUNDS and events >= EVENTS_MIN:
                break
            if time.monotonic() - t0 > deadline_s:
                break
    finally:
        stop.set()
        th.join(30)
    took = time.monotonic() - t0
    assert not errors, f"flusher failed: {errors}"
    br = ctl.bridge()
    learn_events = br["learn_events"] - b0["learn_events"]
    aged = br["aged"] - b0["aged"]
    events = learn_events + aged + flushed[0]
    summary = (f"{rounds} rounds of {N_KNOWN} frames, {took:.1f}s: learn events {learn_events}, "
               f"aged {aged}, flushed {flushed[0]} in {flushed[1]} flushes, "
               f"ring full {br['learn_ring_full'] - b0['learn_ring_full']}")
    print(summary)
    assert events >= EVENTS_MIN, f"only {events} learn/delete events: {summary}"
    assert aged + flushed[0] >= EVENTS_MIN // 2, summary
    assert took <= deadline_s + 30 * scale, summary

    # The known flow lost nothing: every frame read on an A port left through B.
    want = rounds * N_KNOWN
    wait_until(lambda: ctl.ports()["B"]["opackets"] >= want, 10 * scale, f"{want} frames out of B")
    time.sleep(0.2)
    ports = ctl.ports()
    assert ports["B"]["opackets"] == want, (ports["B"], summary)
    assert ports["B"]["oerrors"] == 0, ports["B"]
    assert ports["D"]["opackets"] > 0 and ports["D"]["oerrors"] == 0, ports["D"]
    drops = ctl.drops()
    assert sum(drops.values()) == 0, f"drops under churn: { {k: v for k, v in drops.items() if v} }"
    fdb = {(e["vlan"], e["mac"]): (e["port"], e["type"]) for e in ctl.fdb("port", "B")} | \
        {(e["vlan"], e["mac"]): (e["port"], e["type"]) for e in ctl.fdb("port", "D")}
    assert fdb == {(1, B_MAC): ("B", "static"), (1, D_MAC): ("D", "static")}, fdb

    # Alive, and the workers' loops advance.
    assert rig.d.alive()
    w1 = {w["worker"]: w["loops"] for w in ctl.ok("show workers")}
    time.sleep(0.3)
    w2 = {w["worker"]: w["loops"] for w in ctl.ok("show workers")}
    for w in w0:
        assert w0[w] < w1[w] < w2[w], (w0, w1, w2)
    assert ctl.ok("show version")["pid"] == rig.d.pid


def _sluiced_bin():
    from conftest import build_dir
    return build_dir() / "sluiced"


def test_vlan_change_under_learning_leaves_no_entries_in_old_vlan(rig):
    """A port that leaves a VLAN has its learned entries flushed (l2_ctl.c port_apply). Learn
    events the workers posted just before the change and the control thread drains just after
    must not bring entries back into the VLAN the port left: they would forward that VLAN's
    frames out of a port that is no longer in it."""
    scale = 4.0 if is_asan_build(_sluiced_bin()) else 1.0
    n = 8192
    d = mac_bytes(D_MAC)
    write_frames_pcap(rig.dir / "churn.pcap",
                      (frame(bytes.fromhex("024cc100") + i.to_bytes(2, "big"), d, i)
                       for i in range(n)), n)
    rig.lines += ["port add D net_null0,no-rx=1",
                  f"port add churn net_pcap0,rx_pcap={rig.dir / 'churn.pcap'},infinite_rx=1",
                  "port set D vlan trunk 1,20", f"fdb add 1 {D_MAC} D", f"fdb add 20 {D_MAC} D",
                  # More sources than the limit: learn events keep coming (refused ones too),
                  # so the learn ring is never empty when the VLAN changes.
                  "port set churn mac-limit 1000"]
    rig.start()
    ctl = rig.ctl
    wait_until(lambda: ctl.bridge()["learned"] >= 1000, 10 * scale, "churn sources learned")
    assert ctl.bridge()["learned"] == 1000
    problems = []
    for old, new in ((1, 20), (20, 1)):
        ctl.ok(f"port set churn vlan access {new}")
        time.sleep(0.3)   # many drain ticks
        left = len(ctl.fdb("vlan", old, "port", "churn"))
        if left:
            problems.append(f"'port set churn vlan access {new}': {left} learned entries still in "
                            f"VLAN {old} (want 0)")
        deadline = time.monotonic() + 3 * scale
        while len(ctl.fdb("vlan", new, "port", "churn")) < 100 and time.monotonic() < deadline:
            time.sleep(0.1)
        have = len(ctl.fdb("vlan", new, "port", "churn"))
        if have < 100:
            per_port = {p["port"]: p for p in ctl.bridge()["ports"]}["churn"]
            problems.append(f"'port set churn vlan access {new}': only {have} entries learned in "
                            f"VLAN {new} after 3 s (port: {per_port})")
            break
    assert not problems, "\n".join(problems)
    assert rig.d.alive()
