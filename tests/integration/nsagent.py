# SPDX-License-Identifier: BSD-3-Clause
# The capture/send agent the integration tests run in each network namespace (l2util, l3util).
#
# Why an agent: a scapy process per send or sniff costs about a second of start-up; one small agent
# per namespace (plain AF_PACKET sockets) keeps the suite fast and captures continuously, so no
# frame is missed between "start sniffing" and "send". Tags the kernel moved into skb metadata are
# put back from PACKET_AUXDATA, so the test sees the frame as it was on the wire. Frames can be
# filtered by a per-test token in their payload, counted with their sequence numbers, and sent as
# a paced background stream.
import json
import select
import subprocess
import threading
import time

import pytest

AGENT = r'''
import json, socket, struct, sys, threading, time
iface = sys.argv[1]
SOL_PACKET, PACKET_AUXDATA = 263, 8
TP_STATUS_VLAN_VALID, TP_STATUS_VLAN_TPID_VALID = 0x10, 0x40
rx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
rx.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
rx.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32 << 20)
rx.bind((iface, 3))
tx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)   # protocol 0: never receives
tx.bind((iface, 0))
lock = threading.Lock()
got = []
stream = {"sent": 0, "elapsed": 0.0, "done": True}
def loop():
    while True:
        data, anc, _, addr = rx.recvmsg(65536, socket.CMSG_SPACE(32))
        if addr[0] != iface or addr[2] == socket.PACKET_OUTGOING:
            continue
        # a tag the kernel moved into metadata goes back into the frame, as on the wire
        for lvl, typ, cd in anc:
            if lvl == SOL_PACKET and typ == PACKET_AUXDATA and len(cd) >= 20:
                st, _, _, _, _, tci, tpid = struct.unpack("IIIHHHH", cd[:20])
                if st & TP_STATUS_VLAN_VALID:
                    if not st & TP_STATUS_VLAN_TPID_VALID:
                        tpid = 0x8100
                    data = data[:12] + struct.pack("!HH", tpid, tci) + data[12:]
        with lock:
            got.append(data)
def run_stream(frames, offs, count, gap):
    t0 = time.monotonic()
    for i in range(count):
        k = i % len(frames)
        f = frames[k][:offs[k]] + i.to_bytes(4, "big") + frames[k][offs[k] + 4:]
        tx.send(f)
        stream["sent"] = i + 1
        # pace against the clock, not by summing sleeps: the rate stays even
        ahead = t0 + (i + 1) * gap - time.monotonic()
        if ahead > 0:
            time.sleep(ahead)
    stream["elapsed"] = time.monotonic() - t0
    stream["done"] = True
threading.Thread(target=loop, daemon=True).start()
print(json.dumps({"ready": True}), flush=True)
for line in sys.stdin:
    req = json.loads(line)
    op = req["op"]
    if op == "send":
        frames = [bytes.fromhex(h) for h in req["frames"]]
        t0 = time.monotonic()
        for f in frames:
            tx.send(f)
            if req.get("gap"):
                time.sleep(req["gap"])
        out = {"sent": len(frames), "elapsed": time.monotonic() - t0}
    elif op == "stream":
        stream.update(sent=0, elapsed=0.0, done=False)
        threading.Thread(target=run_stream, args=([bytes.fromhex(f) for f in req["frames"]],
                         req["offs"], req["count"], req["gap"]), daemon=True).start()
        out = {"started": True}
    elif op == "stream_status":
        out = dict(stream)
    else:
        tok = bytes.fromhex(req.get("token", ""))
        with lock:
            mine = [f for f in got if tok in f]
            got.clear()
        if op == "count":
            dst = bytes.fromhex(req.get("dst", ""))
            other = [f for f in mine if dst and f[:6] != dst]
            mine = [f for f in mine if not dst or f[:6] == dst]
            # the 4 bytes after the token: the sequence number of Pkts.payload
            seqs = [f[f.find(tok) + len(tok):f.find(tok) + len(tok) + 4] for f in mine]
            out = {"count": len(mine), "seqs": [int.from_bytes(q, "big") for q in seqs],
                   "other": len(other)}
        else:
            out = {"frames": [f.hex() for f in mine]}
    print(json.dumps(out), flush=True)
'''


class NsAgent:
    """Sends raw frames from, and captures every frame received on, one interface in a netns."""

    def __init__(self, ns, iface):
        self.ns, self.iface = ns, iface
        self.proc = subprocess.Popen(["ip", "netns", "exec", ns, "/usr/bin/python3", "-u", "-c",
                                      AGENT, iface], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        self.lock = threading.Lock()
        r = self._reply(10)
        assert r.get("ready"), r

    def _reply(self, timeout):
        r, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if not r:
            pytest.fail(f"agent in {self.ns} did not answer within {timeout}s")
        line = self.proc.stdout.readline()
        if not line:
            pytest.fail(f"agent in {self.ns} exited: {self.proc.stderr.read()[-2000:]}")
        return json.loads(line)

    def req(self, timeout=30, **req):
        with self.lock:
            self.proc.stdin.write(json.dumps(req) + "\n")
            self.proc.stdin.flush()
            return self._reply(timeout)

    def send(self, frames, gap=0.0):
        """Send frames (bytes); returns the seconds the send loop took."""
        frames = [bytes(f).hex() for f in frames]
        r = self.req(op="send", frames=frames, gap=gap, timeout=30 + gap * len(frames))
        assert r["sent"] == len(frames), r
        return r["elapsed"]

    def take(self, token=b""):
        """Frames received since the last take/count that contain token (all frames if empty);
        the others are dropped."""
        return [bytes.fromhex(h) for h in self.req(op="take", token=bytes(token).hex())["frames"]]

    def count(self, token, dst=None):
        """Frames with token (and destination MAC dst, when given) received since the last
        take/count: (their number, their sequence numbers (the 4 bytes after the token), the
        number of those with another destination MAC). All captured frames are consumed."""
        r = self.req(op="count", token=bytes(token).hex(),
                     dst=dst.replace(":", "") if dst else "")
        return r["count"], r["seqs"], r["other"]

    def stream(self, frames, seq_offs, count, gap):
        """Start sending count frames, paced gap seconds apart, in the background: frame i is
        frames[i % len(frames)] with i as a 4-byte sequence number at its seq_offs entry."""
        assert self.req(op="stream", frames=[bytes(f).hex() for f in frames], offs=seq_offs,
                        count=count, gap=gap)["started"]

    def stream_status(self):
        return self.req(op="stream_status")

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()  # the PID we started (ip netns exec execs python in place)
        self.proc.wait(10)



def collect(hosts, take, expect, timeout=5.0, settle=0.3):
    """Frames captured on every host: {port: [raw]}, take(host) returning those of interest
    since the last call. Waits (bounded) until each port in expect has at least its count,
    then `settle` seconds for strays."""
    got = {h.port: [] for h in hosts}

    def poll():
        for h in hosts:
            got[h.port] += take(h)
        return all(len(got[p]) >= n for p, n in expect.items())

    deadline = time.monotonic() + timeout
    while not poll():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for frames {expect}; have "
                        f"{ {p: len(v) for p, v in got.items()} }")
        time.sleep(0.05)
    time.sleep(settle)
    poll()
    return got


__all__ = ["AGENT", "NsAgent", "collect"]
