# SPDX-License-Identifier: BSD-3-Clause
# RCU publish under churn: while frames flow through one cross-connect (net_null rx -> net_null
# sink), the control thread adds and deletes other ports (with traffic of their own), pins and
# unpins their rx queues, restarts them (MTU), toggles busy-poll and cross-connects thousands of
# times. The workers must never stall, the daemon never die, the untouched cross-connect keep
# forwarding and the final config be exactly what the commands left. Also run under ASan+UBSan.
import os
import random
import subprocess
import threading
import time

from conftest import ROOT, RawClient, build_dir

CHURN_S = float(os.environ.get("SLUICE_CHURN_S", "25"))
ASAN_CHURN_S = float(os.environ.get("SLUICE_ASAN_CHURN_S", "20"))
N_CHURN_PORTS = 6
MAX_STALL_S = 2.0  # no sample window this long without worker progress / xconnect tx


class Monitor(threading.Thread):
    """Samples `show workers` and the cross-connect's tx counter on its own connection."""

    def __init__(self, d, port):
        super().__init__(daemon=True)
        self.d, self.port = d, port
        self.stop_ev = threading.Event()
        self.samples = []  # (t, {name: value}) with one loops counter per worker and tx
        self.error = None

    def run(self):
        try:
            with RawClient(self.d.sock, timeout=10) as c:
                while not self.stop_ev.is_set():
                    vals = {f"worker {w['worker']} loops": w["loops"]
                            for w in c.ok("show workers")}
                    vals[f"{self.port} tx"] = c.ok(f"port show {self.port}")["stats"]["opackets"]
                    self.samples.append((time.monotonic(), vals))
                    time.sleep(0.1)
        except Exception as e:  # reported by the test
            self.error = e

    def check(self):
        """Every counter advanced at least every MAX_STALL_S seconds, and never went back."""
        assert self.error is None, f"monitor client failed: {self.error!r}"
        s = self.samples
        assert len(s) >= 10, f"only {len(s)} monitor samples"
        for what in s[0][1]:
            last_t, last_v, worst = s[0][0], s[0][1][what], 0.0
            for t, vals in s[1:]:
                v = vals[what]
                assert v >= last_v, f"{what} went backwards: {last_v} -> {v}"
                if v > last_v:
                    worst = max(worst, t - last_t)
                    last_t, last_v = t, v
            worst = max(worst, s[-1][0] - last_t)
            assert worst < MAX_STALL_S, f"{what} stalled for {worst:.2f}s during churn"


def churn(d, duration, seed=1):
    """Run the churn scenario on d for about duration seconds; returns the number of commands."""
    c = RawClient(d.sock, timeout=20)
    c.ok("port add x1 net_null0")
    c.ok("port add x2 net_null1,no-rx=1")
    c.ok("port set x1 vlan none")
    c.ok("port set x2 vlan none")
    c.ok("port xconnect x1 x2")
    base = c.ok("config show")

    n_workers = c.ok("show version")["workers"]
    mon = Monitor(d, "x2")
    mon.start()
    rnd = random.Random(seed)
    ports = {}  # name -> {"pin": worker or None, "xc": peer or None}
    x1_pin = None
    busy = False
    ops = 0
    deadline = time.monotonic() + duration
    try:
        while time.monotonic() < deadline:
            k = rnd.randrange(N_CHURN_PORTS)
            name = f"c{k}"
            action = rnd.random()
            if name not in ports:
                # half of them generate traffic, the others are sinks
                dev = f"net_null{10 + k}" + (",no-rx=1" if k % 2 else "")
                c.ok(f"port add {name} {dev}")
                ports[name] = {"pin": None, "xc": None}
                if rnd.random() < 0.5:
                    c.ok(f"port set {name} vlan none")
                    ops += 1
            elif action < 0.25:
                if ports[name]["xc"]:
                    ports[ports[name]["xc"]]["xc"] = None
                c.ok(f"port del {name}")
                del ports[name]
            elif action < 0.45:
                w = rnd.choice([None] + list(range(n_workers)))
                c.ok(f"port set {name} rxq 0 worker {'auto' if w is None else w}")
                ports[name]["pin"] = w
            elif action < 0.5:
                # move the rx queue of the forwarding port between workers
                x1_pin = rnd.choice([None] + list(range(n_workers)))
                c.ok(f"port set x1 rxq 0 worker {'auto' if x1_pin is None else x1_pin}")
            elif action < 0.6:
                busy = not busy
                c.ok(f"set busy-poll {'on' if busy else 'off'}")
            elif action < 0.8:
                if ports[name]["xc"]:
                    c.ok(f"port xconnect del {name}")
                    ports[ports[name]["xc"]]["xc"] = None
                    ports[name]["xc"] = None
                else:
                    free = [p for p in ports if p != name and ports[p]["xc"] is None]
                    if free:
                        peer = rnd.choice(free)
                        c.ok(f"port xconnect {name} {peer}")
                        ports[name]["xc"], ports[peer]["xc"] = peer, name
                    else:
                        c.err(f"port xconnect {name} x1")  # x1 is taken
            elif action < 0.9:
                c.ok(f"port set {name} mtu {rnd.choice((1280, 1400, 1500))}")
            else:
                e = c.err(f"port xconnect {name} {name}")
                assert "itself" in e
            ops += 1
            if ops % 500 == 0:
                assert d.alive(), f"sluiced died during churn:\n{d.stderr()[-3000:]}"
    finally:
        mon.stop_ev.set()
        mon.join(15)

    assert d.alive(), f"sluiced died during churn:\n{d.stderr()[-3000:]}"
    mon.check()
    assert ops >= 1000, f"only {ops} churn commands in {duration}s"
    # the running config is exactly what the commands left
    cfg = c.ok("config show")
    for line in base:
        assert line in cfg, line
    assert (f"port set x1 rxq 0 worker {x1_pin}" in cfg) == (x1_pin is not None)
    assert ("set busy-poll on" in cfg) == busy
    for name, st in ports.items():
        assert any(ln.startswith(f"port add {name} ") for ln in cfg), name
        pins = [ln for ln in cfg if ln.startswith(f"port set {name} rxq 0 worker ")]
        assert pins == ([] if st["pin"] is None else [f"port set {name} rxq 0 worker {st['pin']}"])
    assert d.config_file_lines() == cfg
    # tear the churn down: back to the base config, x1 -> x2 still forwarding
    for name in list(ports):
        c.ok(f"port del {name}")
    if busy:
        c.ok("set busy-poll off")
    if x1_pin is not None:
        c.ok("port set x1 rxq 0 worker auto")
    assert c.ok("config show") == base
    tx = c.ok("port show x2")["stats"]["opackets"]
    time.sleep(0.3)
    assert c.ok("port show x2")["stats"]["opackets"] > tx
    rcu = c.ok("show stats")["rcu"]
    assert rcu["grace_periods"] >= ops // 2, rcu
    c.close()
    return ops


# Two workers (lcores 1 and 2 share CPU 1): rx queues really move between workers, which takes the
# two-phase publish (off the old worker, a grace period, onto the new one).
TWO_WORKERS = ("--lcores", "0@0,1@1,2@1")


def test_churn_keeps_workers_running_and_xconnect_forwarding(sluiced_factory):
    d = sluiced_factory(eal_cores=TWO_WORKERS)
    ops = churn(d, CHURN_S)
    print(f"{ops} commands in {CHURN_S}s against {build_dir()}")
    d.stop()


def test_churn_under_asan_and_ubsan(sluiced_factory):
    """Builds build-asan (ASan + UBSan) if needed, runs the churn under it, and requires a clean
    exit with no sanitizer report. The build is incremental, so a rerun costs seconds."""
    asan = ROOT / "build-asan"
    env = dict(os.environ)
    if not (asan / "build.ninja").exists():
        p = subprocess.run(["meson", "setup", str(asan), "-Db_sanitize=address,undefined",
                            "-Db_lundef=false"], cwd=ROOT, capture_output=True, text=True,
                           timeout=300, env=env)
        assert p.returncode == 0, f"meson setup build-asan failed:\n{p.stdout[-3000:]}{p.stderr}"
    p = subprocess.run(["ninja", "-C", str(asan), "-j2", "sluiced", "tools/sluicectl"], cwd=ROOT,
                       capture_output=True, text=True, timeout=400)
    assert p.returncode == 0, f"ninja -C build-asan failed:\n{p.stdout[-4000:]}{p.stderr}"
    d = sluiced_factory(build=asan, eal_cores=TWO_WORKERS,
                        env=dict(env, ASAN_OPTIONS="detect_leaks=0:halt_on_error=1"))
    ops = churn(d, ASAN_CHURN_S, seed=2)
    print(f"{ops} commands in {ASAN_CHURN_S}s under ASan")
    d.stop()
    d.assert_no_sanitizer_report()
