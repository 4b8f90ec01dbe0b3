#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Benchmark harness: Sluice vs dpdk-testpmd io on identical pcap-replay ports, per worker core.
# Appends raw runs to bench/results/results.csv and regenerates docs/performance.md from it.
"""Sluice benchmark harness (entry point: bash bench/run.sh, which builds first).

For each scenario (bench/scenarios.py) and frame size it runs, interleaved, REPS times each:

  testpmd  dpdk-testpmd on the scenario's vdevs with --stats-period 1; the rate is the mean
           of testpmd's own per-second Tx-pps (all ports) over SECONDS periods after WARMUP.
  sluice   sluiced --busy-poll on the same vdevs, configured with sluicectl; the rate is the
           delta of the workers' tx_packets between two `show workers` SECONDS apart (after
           WARMUP), over the workers' own busy + idle cycles between them.

Traffic never leaves the process (2 cores: two busy-polling processes starve each other):
every port replays a pcap forever and its tx side counts and frees what it is given.

Honesty checks. Sluice: `stats clear` is sent before the first port exists (a quiescent
zero), and after the measurement every port is deleted, so no packet is in flight; then
`show stats` must say rx_packets == tx_packets + all counted drops, or the size's ratio is
refused. testpmd: its final accumulated statistics must say RX-packets == TX-total.

Everything measured goes into a CSV, one row per process run, with the exact commands, CPU
model, DPDK version and Sluice commit; docs/performance.md is generated from that CSV.
"""

import argparse
import csv
import datetime
import hashlib
import json
import os
import re
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from scenarios import SCENARIOS, write_pcap  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The build under test, as in the integration suite: $SLUICE_BUILD, else build/.
BUILD = os.path.join(ROOT, os.environ.get("SLUICE_BUILD", "build"))
DEFAULT_CSV = os.path.join(ROOT, "bench", "results", "results.csv")
DEFAULT_DOCS = os.path.join(ROOT, "docs", "performance.md")

PREAMBLE_IFG = 20  # bytes of preamble + SFD + inter-frame gap per frame on an Ethernet wire
START_TIMEOUT = 20  # seconds for sluiced to answer on its socket
STOP_TIMEOUT = 15  # seconds after SIGINT/SIGTERM before SIGKILL
QUIESCE_WAIT = 0.2  # seconds between the two final `show stats` that must agree

CSV_FIELDS = [
    "run_id", "date_utc", "quick", "scenario", "frame_bytes", "impl", "rep", "reps",
    "seconds", "warmup_s", "status", "error", "mpps_per_core", "cycles_per_packet",
    "busy_cycles_per_packet", "gbps_per_core", "window_packets", "window_drops", "workers",
    "accounting", "accounting_detail", "exit_status", "other_cpu_cores", "steal_cores",
    "tsc_hz", "cpu_model", "dpdk_version", "sluice_commit", "sluiced_sha256", "bench_command",
    "command",
]


class BenchError(Exception):
    pass


def log(msg):
    print("bench: " + msg, flush=True)


# ---- host facts -------------------------------------------------------------------------------

def run_text(cmd, **kw):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, check=False, **kw).stdout
    except OSError:
        return ""


def cpu_model():
    out = run_text(["lscpu"])
    fields = dict(
        (k.strip(), v.strip()) for k, v in
        (line.split(":", 1) for line in out.splitlines() if ":" in line))
    model = fields.get("Model name", "unknown CPU")
    extra = ["%s CPUs" % fields.get("CPU(s)", os.cpu_count())]
    if fields.get("Hypervisor vendor"):
        extra.append(fields["Hypervisor vendor"] + " guest")
    return "%s (%s)" % (model, ", ".join(extra))


def dpdk_version():
    v = run_text(["dpkg-query", "-W", "-f", "${Version}", "dpdk"]).strip()
    if v:
        return "DPDK " + v
    v = run_text(["pkg-config", "--modversion", "libdpdk"]).strip()
    return "DPDK " + v if v else "unknown"


def sluice_commit():
    v = run_text(["git", "-C", ROOT, "describe", "--always", "--dirty", "--abbrev=12"]).strip()
    return v or "unknown"


def file_sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()[:16]


def dmesg_tsc_hz():
    """The kernel's TSC calibration (DPDK's rte_get_tsc_hz() is not exposed by either side)."""
    out = run_text(["dmesg"])
    m = (re.findall(r"Refined TSC clocksource calibration: ([\d.]+) MHz", out)
         or re.findall(r"tsc: Detected ([\d.]+) MHz", out))
    return float(m[-1]) * 1e6 if m else None


CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_sample(pid, cpus):
    """(time, busy ticks of `cpus`, their steal ticks, ticks of pid's threads last seen on
    one of `cpus`), for other_load()."""
    busy = steal = ours = 0
    with open("/proc/stat") as f:
        for line in f:
            name, *v = line.split()
            if name.startswith("cpu") and name[3:].isdigit() and int(name[3:]) in cpus:
                v = [int(x) for x in v]  # user nice system idle iowait irq softirq steal
                busy += v[0] + v[1] + v[2] + v[5] + v[6]
                steal += v[7] if len(v) > 7 else 0
    try:
        tids = os.listdir("/proc/%d/task" % pid)
    except OSError:
        tids = []
    for tid in tids:
        try:
            with open("/proc/%d/task/%s/stat" % (pid, tid)) as f:
                st = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(st[36]) in cpus:  # field 39, processor; 14 and 15 are utime and stime
            ours += int(st[11]) + int(st[12])
    return time.monotonic(), busy, steal, ours


def other_load(a, b):
    """How much of the forwarding cores everything else took between two samples (cores,
    steal separately): the measured process pins its forwarding threads there, so anything
    above zero was taken from it."""
    dt = b[0] - a[0]
    if dt <= 0:
        return "", ""
    other = ((b[1] - a[1]) - (b[3] - a[3])) / CLK_TCK / dt
    return "%.2f" % max(other, 0.0), "%.2f" % ((b[2] - a[2]) / CLK_TCK / dt)


def lcore_list(spec):
    out = []
    for part in spec.split(","):
        a, _, b = part.partition("-")
        out += range(int(a), int(b or a) + 1)
    return out


# ---- processes --------------------------------------------------------------------------------

class Proc:
    """A process this harness started: stopped by its pid, its EAL files removed after."""
    live = []

    def __init__(self, cmd, out_path, prefix):
        self.cmd = cmd
        self.prefix = prefix
        self.out_path = out_path
        self.out = open(out_path, "w")
        # Own session: a Ctrl-C in the terminal reaches only the harness, which then stops
        # the child itself (and cleans up after it) instead of leaving that to chance.
        self.p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=self.out,
                                  stderr=subprocess.STDOUT, start_new_session=True)
        self.pid = self.p.pid
        Proc.live.append(self)

    def alive(self):
        return self.p.poll() is None

    def stop(self, sig):
        """Signal, wait, SIGKILL if needed; returns the exit status (negative: signal)."""
        if self.alive():
            try:
                os.kill(self.pid, sig)
            except ProcessLookupError:
                pass
            try:
                self.p.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                log("pid %d ignored %s for %ds, killing it" % (
                    self.pid, signal.Signals(sig).name, STOP_TIMEOUT))
                os.kill(self.pid, signal.SIGKILL)
                self.p.wait()
        self.out.close()
        self.cleanup()
        if self in Proc.live:
            Proc.live.remove(self)
        return self.p.returncode

    def cleanup(self):
        # Our prefix is unique and its only user is dead: its runtime dir and any hugepage
        # files it left are garbage.
        shutil.rmtree(os.path.join("/var/run/dpdk", self.prefix), ignore_errors=True)
        try:
            with open("/proc/mounts") as f:
                mounts = [l.split()[1] for l in f if l.split()[2] == "hugetlbfs"]
        except OSError:
            mounts = []
        for m in mounts:
            try:
                names = os.listdir(m)
            except OSError:
                continue
            for n in names:
                if n.startswith(self.prefix + "map_"):
                    try:
                        os.unlink(os.path.join(m, n))
                    except OSError:
                        pass

    def output(self):
        if not self.out.closed:
            self.out.flush()
        with open(self.out_path, errors="replace") as f:
            return f.read()

    @classmethod
    def stop_all(cls):
        for p in list(cls.live):
            log("stopping pid %d (%s)" % (p.pid, os.path.basename(p.cmd[0])))
            p.stop(signal.SIGTERM)


class Ctl:
    """Direct client of the control socket (docs/protocol.md): one line out, one JSON line
    back. Used for the timed reads, where spawning sluicectl would blur the window."""

    def __init__(self, path, timeout=10.0):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(timeout)
        self.s.connect(path)
        self.buf = b""

    def __call__(self, line):
        self.s.sendall(line.encode() + b"\n")
        while b"\n" not in self.buf:
            chunk = self.s.recv(1 << 16)
            if not chunk:
                raise BenchError("sluiced closed the control connection on '%s'" % line)
            self.buf += chunk
        reply, self.buf = self.buf.split(b"\n", 1)
        r = json.loads(reply)
        if not r.get("ok"):
            raise BenchError("sluiced: '%s': %s" % (line, r.get("error")))
        return r.get("result")

    def timed(self, line):
        """(result, time): the time is the midpoint of the round trip."""
        t0 = time.monotonic()
        r = self(line)
        return r, (t0 + time.monotonic()) / 2

    def close(self):
        self.s.close()


# ---- one testpmd run --------------------------------------------------------------------------

def testpmd_cmd(cfg, scen, pcap, prefix):
    cmd = [cfg.testpmd, "-l", cfg.lcores, "--no-pci", "--file-prefix", prefix, "-m", str(cfg.mem)]
    for _, d in scen.devargs(pcap):
        cmd += ["--vdev", d]
    # Non-interactive testpmd exits at once on stdin EOF unless --stats-period is given.
    cmd += ["--", *scen.testpmd_args, "--nb-cores=%d" % cfg.workers, "--stats-period", "1",
            "--auto-start"]
    return cmd


PERIOD_RE = re.compile(r"NIC statistics for port (\d+).*?Rx-pps:\s+(\d+).*?Tx-pps:\s+(\d+)",
                       re.S)
ACCUM_RE = re.compile(
    r"Accumulated forward statistics.*?RX-packets:\s+(\d+)\s+RX-dropped:\s+(\d+)\s+"
    r"RX-total:\s+(\d+).*?TX-packets:\s+(\d+)\s+TX-dropped:\s+(\d+)\s+TX-total:\s+(\d+)", re.S)


def testpmd_periods(text, n_ports):
    """Per stats period, the summed Tx-pps of all ports (testpmd times each period itself)."""
    periods = []
    for chunk in text.split("Port statistics ===")[1:]:
        ports = {int(m.group(1)): int(m.group(3)) for m in PERIOD_RE.finditer(chunk)}
        if len(ports) == n_ports:
            periods.append(sum(ports.values()))
    return periods


def run_testpmd(cfg, scen, size, pcap, seq):
    prefix = "bench-testpmd-%d-%d" % (os.getpid(), seq)
    cmd = testpmd_cmd(cfg, scen, pcap, prefix)
    row = {"impl": "testpmd", "command": shlex.join(cmd), "workers": cfg.workers}
    n_ports = len(scen.ports)
    # Period 0 starts with forwarding, so the warm-up is whole periods.
    skip = max(1, int(round(cfg.warmup)))
    want = skip + cfg.seconds
    out = os.path.join(cfg.tmp, prefix + ".log")
    p = Proc(cmd, out, prefix)
    try:
        deadline = time.monotonic() + START_TIMEOUT + want + 5
        load0 = None
        while time.monotonic() < deadline and p.alive():
            got = len(testpmd_periods(p.output(), n_ports))
            if got >= skip and load0 is None:
                load0 = cpu_sample(p.pid, cfg.fwd_cpus)
            if got >= want:
                if load0:
                    row["other_cpu_cores"], row["steal_cores"] = other_load(
                        load0, cpu_sample(p.pid, cfg.fwd_cpus))
                break
            time.sleep(0.1)
        died = not p.alive()
    finally:
        row["exit_status"] = p.stop(signal.SIGINT)
    text = p.output()
    periods = testpmd_periods(text, n_ports)
    if died or len(periods) < want:
        tail = "\n".join(text.splitlines()[-15:])
        raise BenchError("testpmd gave %d of %d stats periods (exit %s); output ends:\n%s" % (
            len(periods), want, row["exit_status"], tail))
    window = periods[skip:skip + cfg.seconds]
    pps = statistics.mean(window)
    row["mpps_per_core"] = pps / cfg.workers / 1e6
    row["window_packets"] = int(pps * cfg.seconds)
    m = ACCUM_RE.search(text)
    if not m:
        row["accounting"], row["accounting_detail"] = "FAIL", "no accumulated statistics"
    else:
        rx, rx_drop, _, tx, tx_drop, tx_total = map(int, m.groups())
        ok = rx == tx_total
        row["accounting"] = "ok" if ok else "FAIL"
        row["accounting_detail"] = "rx %d = tx %d + tx-dropped %d%s (rx-dropped %d)" % (
            rx, tx, tx_drop, "" if ok else " is FALSE", rx_drop)
    return row


# ---- one Sluice run ---------------------------------------------------------------------------

def sums(stats):
    drops = stats["drops"]
    return stats["rx_packets"], stats["tx_packets"], sum(drops.values()), drops


def port_gap(stats):
    """(ports' ipackets - workers' rx_packets, ports' opackets - workers' tx_packets)."""
    ports = stats["ports"]
    return (sum(x["ipackets"] for x in ports) - stats["rx_packets"],
            sum(x["opackets"] for x in ports) - stats["tx_packets"])


# A read of `show stats` under traffic sees ports and workers some microseconds apart; at
# 70 Mpps that is a few thousand packets. A counting bug grows with the traffic instead.
PORT_GAP_SLACK = 20000
PORT_GAP_RATIO = 1e-4


def run_sluice(cfg, scen, size, pcap, seq):
    prefix = "bench-sluice-%d-%d" % (os.getpid(), seq)
    d = os.path.join(cfg.tmp, str(seq))
    os.mkdir(d)
    sock, conf = os.path.join(d, "ctl.sock"), os.path.join(d, "running.conf")
    # -f /dev/null: a production /etc/sluice/sluiced.conf must not add its settings.
    cmd = [cfg.sluiced, "-f", "/dev/null", "-s", sock, "-c", conf, "--busy-poll", "--",
           "-l", cfg.lcores, "--no-pci", "--file-prefix", prefix, "-m", str(cfg.mem)]
    ctl_prefix = [cfg.sluicectl, "-s", sock]
    cmds = [shlex.join(cmd) + " &"]
    row = {"impl": "sluice"}

    def sluicectl(line):
        argv = ctl_prefix + ["--json"] + line.split()
        cmds.append(shlex.join(ctl_prefix + line.split()))
        r = subprocess.run(argv, capture_output=True, text=True, timeout=30)
        if r.returncode != 0:
            raise BenchError("sluicectl %s: %s%s" % (line, r.stdout.strip(), r.stderr.strip()))

    def note(line, comment=""):
        cmds.append(shlex.join(ctl_prefix + line.split()) + ("  # " + comment if comment else ""))

    p = Proc(cmd, os.path.join(d, "sluiced.log"), prefix)
    ctl = None
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while ctl is None:
            if not p.alive():
                raise BenchError("sluiced exited during start-up:\n" + p.output()[-2000:])
            if time.monotonic() > deadline:
                raise BenchError("sluiced did not answer on %s within %ds" % (sock, START_TIMEOUT))
            try:
                ctl = Ctl(sock)
                ctl("show version")
            except (OSError, BenchError):
                if ctl:
                    ctl.close()
                ctl = None
                time.sleep(0.1)
        # Zero point for the final accounting, taken while nothing can move yet.
        note("stats clear")
        ctl("stats clear")
        for name, devargs in scen.devargs(pcap):
            sluicectl("port add %s %s" % (name, devargs))
        for line in scen.sluice_cmds:
            sluicectl(line)
        cmds.append("sleep %d  # warm-up" % cfg.warmup)
        time.sleep(cfg.warmup)
        note("show workers", "window start (timed over the socket)")
        note("show stats")
        load0 = cpu_sample(p.pid, cfg.fwd_cpus)
        w0, t0 = ctl.timed("show workers")
        s0 = ctl("show stats")
        cmds.append("sleep %d" % cfg.seconds)
        time.sleep(cfg.seconds)
        note("show workers", "window end")
        note("show stats")
        w1, t1 = ctl.timed("show workers")
        s1 = ctl("show stats")
        row["other_cpu_cores"], row["steal_cores"] = other_load(
            load0, cpu_sample(p.pid, cfg.fwd_cpus))
        # The ports' own counters cannot be read once the ports are gone: compare them with
        # the workers' now. The reads race the traffic, so keep the closest of three.
        gaps = [port_gap(s1)] + [port_gap(ctl("show stats")) for _ in range(2)]
        # Delete every port: no packet is in flight after that, so the totals must balance.
        for name, _ in reversed(scen.ports):
            sluicectl("port del %s" % name)
        note("show stats", "with every port gone: rx_packets == tx_packets + drops")
        f0 = ctl("show stats")
        time.sleep(QUIESCE_WAIT)
        f1 = ctl("show stats")
    finally:
        if ctl:
            ctl.close()
        row["exit_status"] = p.stop(signal.SIGTERM)
    if row["exit_status"] != 0:
        log("warning: sluiced exited with status %s after SIGTERM (log: %s)" % (
            row["exit_status"], p.out_path))
    row["command"] = " ; ".join(cmds)

    dt = t1 - t0
    n_workers = len(w1)
    by_id0 = {w["worker"]: w for w in w0}
    tx = rx = busy = total_cyc = 0
    pps_cyc = 0.0
    for w in w1:
        b = by_id0[w["worker"]]
        w_tx = w["tx_packets"] - b["tx_packets"]
        w_cyc = (w["busy_cycles"] + w["idle_cycles"]) - (b["busy_cycles"] + b["idle_cycles"])
        tx += w_tx
        rx += w["rx_packets"] - b["rx_packets"]
        busy += w["busy_cycles"] - b["busy_cycles"]
        total_cyc += w_cyc
        if cfg.tsc_hz and w_cyc > 0:
            pps_cyc += w_tx / (w_cyc / cfg.tsc_hz)
    row["workers"] = n_workers
    # A worker's busy + idle cycles span exactly the loop iterations its counters cover, so
    # with a known TSC rate they time the window better than the socket round trips, which
    # can catch a worker that a neighbour has just preempted (its counters then lag).
    row["mpps_per_core"] = (pps_cyc if pps_cyc else tx / dt) / n_workers / 1e6
    row["window_packets"] = tx
    row["busy_cycles_per_packet"] = busy / rx if rx else ""
    # Fallback TSC rate when the kernel's calibration is not available.
    row["tsc_hz_measured"] = total_cyc / n_workers / dt
    row["window_drops"] = sums(s1)[2] - sums(s0)[2]

    r0, t0_, d0, _ = sums(f0)
    r1, t1_, d1, drops = sums(f1)
    gap_rx = min((g[0] for g in gaps), key=abs)
    gap_tx = min((g[1] for g in gaps), key=abs)
    slack = PORT_GAP_SLACK + PORT_GAP_RATIO * sums(s1)[0]
    detail = "rx %d = tx %d + drops %d (%s); ports - workers: rx %+d, tx %+d" % (
        r1, t1_, d1, ", ".join("%s %d" % kv for kv in drops.items() if kv[1]) or "none",
        gap_rx, gap_tx)
    if (r0, t0_, d0) != (r1, t1_, d1):
        row["accounting"] = "FAIL"
        detail = "counters still moving after every port was deleted: " + detail
    elif not scen.balanced(r1, t1_, d1):
        row["accounting"] = "FAIL"
        detail += "; packets unaccounted (rx - tx - drops = %d)" % (r1 - t1_ - d1)
    elif abs(gap_rx) > slack or abs(gap_tx) > slack:
        row["accounting"] = "FAIL"
        detail += "; ethdev and worker counters disagree by more than %d" % slack
    else:
        row["accounting"] = "ok"
    if r1 == 0:
        row["accounting"] = "FAIL"
        detail = "no packet received: " + detail
    row["accounting_detail"] = detail
    return row


# ---- the run ----------------------------------------------------------------------------------

def parse_args(argv):
    ap = argparse.ArgumentParser(
        prog="bench/run.sh",
        description="Sluice vs dpdk-testpmd io, per worker core, on pcap-replay ports.")
    ap.add_argument("--scenario", default="xconnect",
                    help="comma-separated, or 'all' (known: %s)" % ", ".join(SCENARIOS))
    ap.add_argument("--sizes", default="64,512,1518",
                    help="frame sizes in bytes, FCS included (default 64,512,1518)")
    ap.add_argument("--reps", type=int, default=3, help="runs of each side per size (default 3)")
    ap.add_argument("--seconds", type=int, default=5, help="measured seconds per run (default 5)")
    ap.add_argument("--warmup", type=int, default=1,
                    help="seconds of forwarding before the window opens (default 1)")
    ap.add_argument("--quick", action="store_true",
                    help="smoke test: 1 rep, 2 s, 64 B only (overrides the three above)")
    ap.add_argument("--csv", default=DEFAULT_CSV, help="results CSV to append to")
    ap.add_argument("--no-docs", action="store_true", help="do not regenerate docs/performance.md")
    ap.add_argument("--docs", default=DEFAULT_DOCS, help="performance page to regenerate")
    ap.add_argument("--docs-only", action="store_true",
                    help="only regenerate the performance page from the CSV")
    ap.add_argument("--no-build", action="store_true",
                    help="(bench/run.sh) skip deploy/setup.sh and the build")
    ap.add_argument("--lcores", default="0-1",
                    help="EAL -l for both sides: first lcore control, the rest forward")
    ap.add_argument("--mem", type=int, default=512, help="EAL -m (MiB) for both sides")
    ap.add_argument("--sluiced", default=os.path.join(BUILD, "sluiced"))
    ap.add_argument("--sluicectl", default=None)
    ap.add_argument("--testpmd", default="dpdk-testpmd")
    a = ap.parse_args(argv)
    if a.quick:
        a.reps, a.seconds, a.sizes = 1, 2, "64"
    a.scenarios = list(SCENARIOS) if a.scenario == "all" else a.scenario.split(",")
    for s in a.scenarios:
        if s not in SCENARIOS:
            ap.error("unknown scenario '%s' (known: %s)" % (s, ", ".join(SCENARIOS)))
    try:
        a.size_list = [int(s) for s in a.sizes.split(",")]
    except ValueError:
        ap.error("--sizes: comma-separated integers")
    for s in a.size_list:
        if not 64 <= s <= 1518:
            ap.error("--sizes: %d out of range 64-1518" % s)
    if a.reps < 1 or a.seconds < 1 or a.warmup < 1:
        ap.error("--reps, --seconds and --warmup must be >= 1")
    if a.sluicectl is None:
        a.sluicectl = os.path.join(BUILD, "sluicectl")
        if not os.access(a.sluicectl, os.X_OK):
            a.sluicectl = os.path.join(BUILD, "tools", "sluicectl")
    try:
        lcores = lcore_list(a.lcores)
    except ValueError:
        ap.error("--lcores: a list like 0-1 or 0,2,3")
    # EAL makes the first lcore the main one (control thread); the others forward. lcore n
    # runs on CPU n with -l.
    a.fwd_cpus = set(lcores[1:])
    a.workers = len(lcores) - 1
    if a.workers < 1:
        ap.error("--lcores needs at least two lcores (control + one worker)")
    a.invocation = shlex.join(["bash", "bench/run.sh"] + argv)
    return a


def check_tools(cfg):
    found = shutil.which(cfg.testpmd)
    if not found:
        raise BenchError("%s not found (Debian: package dpdk)" % cfg.testpmd)
    cfg.testpmd = found
    for path in (cfg.sluiced, cfg.sluicectl):
        if not os.access(path, os.X_OK):
            raise BenchError("%s not built (ninja -C build)" % path)
    if os.geteuid() != 0:
        raise BenchError("must run as root (hugepages, /var/run/dpdk)")
    try:
        with open("/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages") as f:
            free = int(f.read()) * 2
        if free < cfg.mem:
            log("warning: %d MiB of free 2 MiB hugepages, each run asks for %d" % (free, cfg.mem))
    except OSError:
        pass


def run(cfg):
    check_tools(cfg)
    cfg.tsc_hz = dmesg_tsc_hz()
    results_dir = os.path.dirname(os.path.abspath(cfg.csv))
    os.makedirs(results_dir, exist_ok=True)
    facts = {
        "cpu_model": cpu_model(), "dpdk_version": dpdk_version(),
        "sluice_commit": sluice_commit(), "sluiced_sha256": file_sha256(cfg.sluiced),
    }
    now = datetime.datetime.now(datetime.timezone.utc)
    run_id = now.strftime("%Y%m%dT%H%M%SZ") + "-%d" % os.getpid()
    log("run %s: %s, %s, sluice %s" % (run_id, facts["cpu_model"], facts["dpdk_version"],
                                       facts["sluice_commit"]))
    rows, seq = [], 0
    for name in cfg.scenarios:
        scen = SCENARIOS[name]
        for size in cfg.size_list:
            # The frame files are kept (git-ignored) so the recorded commands can be re-run.
            pcap = os.path.join(results_dir, "%s-%dB.pcap" % (name, size))
            write_pcap(pcap, scen.frames(size))
            for rep in range(1, cfg.reps + 1):
                # Interleaved, so drift and neighbours' load hit both sides alike.
                for impl, fn in (("testpmd", run_testpmd), ("sluice", run_sluice)):
                    seq += 1
                    base = {"run_id": run_id, "date_utc": now.strftime("%Y-%m-%d %H:%M"),
                            "quick": int(cfg.quick), "scenario": name, "frame_bytes": size,
                            "impl": impl, "rep": rep, "reps": cfg.reps, "seconds": cfg.seconds,
                            "warmup_s": cfg.warmup, "bench_command": cfg.invocation, **facts}
                    try:
                        r = fn(cfg, scen, size, pcap, seq)
                        base.update(r)
                        base["status"] = "ok"
                        msg = "%.2f Mpps/core, accounting %s" % (r["mpps_per_core"],
                                                                  r["accounting"])
                        if r.get("window_drops"):
                            msg += ", %d drops in the window" % r["window_drops"]
                        if r.get("other_cpu_cores"):
                            msg += ", other load %s cores" % r["other_cpu_cores"]
                    except BenchError as e:
                        base.update(status="error", error=str(e).splitlines()[0][:300],
                                    accounting="n/a")
                        msg = "ERROR: %s" % e
                    log("%s %dB rep %d/%d %-7s %s" % (name, size, rep, cfg.reps, impl, msg))
                    rows.append(base)
    # One TSC rate for the whole run: the kernel's calibration, else the median of what the
    # Sluice workers' cycle counters measured against wall time.
    measured = [r["tsc_hz_measured"] for r in rows if r.get("tsc_hz_measured")]
    tsc = cfg.tsc_hz or (statistics.median(measured) if measured else None)
    if measured:
        log("TSC %.1f MHz (%s; Sluice workers measured %.1f MHz)" % (
            tsc / 1e6, "kernel" if cfg.tsc_hz else "measured",
            statistics.median(measured) / 1e6))
    for r in rows:
        r.pop("tsc_hz_measured", None)
        r["tsc_hz"] = "%.0f" % tsc if tsc else ""
        if r["status"] == "ok":
            pps = r["mpps_per_core"] * 1e6
            r["cycles_per_packet"] = "%.2f" % (tsc / pps) if tsc and pps else ""
            r["gbps_per_core"] = "%.3f" % (pps * (r["frame_bytes"] + PREAMBLE_IFG) * 8 / 1e9)
            r["mpps_per_core"] = "%.4f" % r["mpps_per_core"]
            if isinstance(r.get("busy_cycles_per_packet"), float):
                r["busy_cycles_per_packet"] = "%.2f" % r["busy_cycles_per_packet"]
    append_csv(cfg.csv, rows)
    log("appended %d rows to %s" % (len(rows), cfg.csv))
    return run_id, rows


# ---- CSV --------------------------------------------------------------------------------------

def read_csv(path):
    if not os.path.exists(path) or os.path.getsize(path) == 0:
        return [], []
    with open(path, newline="") as f:
        rd = csv.DictReader(f)
        return list(rd), rd.fieldnames or []


def append_csv(path, rows):
    old, fields = read_csv(path)
    if old and fields != CSV_FIELDS:
        # Columns changed since the file was started: rewrite it once with the union.
        union = CSV_FIELDS + [f for f in fields if f not in CSV_FIELDS]
        with open(path + ".tmp", "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=union, restval="")
            w.writeheader()
            w.writerows(old)
        os.replace(path + ".tmp", path)
        fields = union
    new = not old and (not os.path.exists(path) or os.path.getsize(path) == 0)
    with open(path, "a", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields if old else CSV_FIELDS, restval="",
                           extrasaction="ignore")
        if new:
            w.writeheader()
        w.writerows(rows)


# ---- summaries and the performance page -------------------------------------------------------

def fnum(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def spread(vals, fmt):
    vals = [v for v in vals if v is not None]
    if not vals:
        return "–"
    med = statistics.median(vals)
    if len(vals) == 1:
        return fmt % med
    return (fmt + " (" + fmt + "–" + fmt + ")") % (med, min(vals), max(vals))


def summarize(rows):
    """Per (scenario, size) of one run: medians and whether a ratio may be reported."""
    out = []
    keys = []
    for r in rows:
        k = (r["scenario"], int(r["frame_bytes"]))
        if k not in keys:
            keys.append(k)
    for scen, size in keys:
        sel = [r for r in rows if r["scenario"] == scen and int(r["frame_bytes"]) == size]
        side = {i: [r for r in sel if r["impl"] == i] for i in ("testpmd", "sluice")}
        ok = {i: [r for r in side[i] if r["status"] == "ok"] for i in side}
        col = lambda i, f: [fnum(r[f]) for r in ok[i]]  # noqa: E731
        s = {"scenario": scen, "size": size,
             "tp_mpps": col("testpmd", "mpps_per_core"), "sl_mpps": col("sluice", "mpps_per_core"),
             "tp_cpp": col("testpmd", "cycles_per_packet"),
             "sl_cpp": col("sluice", "cycles_per_packet"),
             "sl_busy": col("sluice", "busy_cycles_per_packet"),
             "tp_gbps": col("testpmd", "gbps_per_core"), "sl_gbps": col("sluice", "gbps_per_core"),
             "drops": sum(int(r["window_drops"] or 0) for r in ok["sluice"]),
             "load": [fnum(r.get("other_cpu_cores")) for r in ok["testpmd"] + ok["sluice"]]}
        problems = []
        for i in side:
            errs = [r for r in side[i] if r["status"] != "ok"]
            if errs:
                problems.append("%d %s run(s) failed: %s" % (len(errs), i, errs[0]["error"]))
            bad = [r for r in ok[i] if r["accounting"] != "ok"]
            if bad:
                problems.append("%s accounting FAILED: %s" % (i, bad[0]["accounting_detail"]))
            if not side[i]:
                problems.append("no %s run" % i)
        s["problems"] = problems
        s["accounting"] = ("ok (%d/%d runs)" % (len(ok["sluice"]), len(side["sluice"]))
                           if not any("sluice accounting" in p for p in problems) else "FAILED")
        if problems or not s["tp_mpps"] or not s["sl_mpps"]:
            s["ratio"] = s["best_ratio"] = None
        else:
            s["ratio"] = statistics.median(s["sl_mpps"]) / statistics.median(s["tp_mpps"])
            # Neighbours only ever slow a run down, so the best runs are the least disturbed.
            s["best_ratio"] = max(s["sl_mpps"]) / max(s["tp_mpps"])
        out.append(s)
    return out


TABLE_HEAD = ("| Frame (B) | testpmd io Mpps/core | Sluice Mpps/core | Sluice/testpmd "
              "| best/best | testpmd cycles/pkt | Sluice cycles/pkt | Sluice busy cycles/pkt "
              "| Sluice Gbit/s/core | Other load on fwd core | Sluice accounting |")


def table(summaries):
    lines = [TABLE_HEAD, "|" + "---|" * (TABLE_HEAD.count("|") - 1)]
    for s in summaries:
        ratio = "%.3f" % s["ratio"] if s["ratio"] is not None else "refused"
        acct = s["accounting"]
        if s["drops"]:
            acct += ", %d counted drops in the windows" % s["drops"]
        best = "%.3f" % s["best_ratio"] if s["best_ratio"] is not None else "refused"
        lines.append("| %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            s["size"], spread(s["tp_mpps"], "%.2f"), spread(s["sl_mpps"], "%.2f"), ratio, best,
            spread(s["tp_cpp"], "%.1f"), spread(s["sl_cpp"], "%.1f"),
            spread(s["sl_busy"], "%.1f"), spread(s["sl_gbps"], "%.2f"),
            spread(s["load"], "%.2f"), acct))
    return lines


def report(run_id, rows):
    """Console summary of one run; returns True when every size may report a ratio."""
    ok = True
    for scen in dict.fromkeys(r["scenario"] for r in rows):
        sel = [r for r in rows if r["scenario"] == scen]
        r0 = sel[0]
        print()
        print("scenario %s: %s" % (scen, SCENARIOS[scen].title if scen in SCENARIOS else scen))
        print("CPU %s | %s | sluice %s | TSC %s MHz | %s x %s s, interleaved" % (
            r0["cpu_model"], r0["dpdk_version"], r0["sluice_commit"],
            "%.1f" % (float(r0["tsc_hz"]) / 1e6) if r0["tsc_hz"] else "?", r0["reps"],
            r0["seconds"]))
        sums_ = summarize(sel)
        for line in table(sums_):
            print(line)
        for s in sums_:
            for p in s["problems"]:
                print("%d B: %s" % (s["size"], p))
                ok = False
            if s["ratio"] is None and not s["problems"]:
                ok = False
    print()
    if ok:
        print("accounting: ok (every packet Sluice received was sent or counted as a drop)")
    else:
        print("accounting: FAILED or runs missing: no ratio reported where marked 'refused'")
    return ok


def runs_by_scenario(rows):
    """scenario -> [run_id, ...] newest first."""
    out = {}
    for r in rows:
        lst = out.setdefault(r["scenario"], [])
        if r["run_id"] not in lst:
            lst.append(r["run_id"])
    for lst in out.values():
        lst.sort(reverse=True)
    return out


def readable_commands(command):
    """The recorded commands, one a line, paths under the repository made relative and the
    per-run control socket named once as $SOCK."""
    lines = [c.replace(ROOT + "/", "") for c in command.split(" ; ")]
    m = re.search(r" -s (\S+ctl\.sock) ", lines[0])
    if m:
        sock = m.group(1)
        lines = ["SOCK=" + sock] + [c.replace(" " + sock + " ", ' "$SOCK" ') for c in lines]
    return lines


def write_docs(csv_path, docs_path):
    rows, _ = read_csv(csv_path)
    rel_csv = os.path.relpath(csv_path, ROOT)
    o = []
    o += ["<!-- Generated by bench/bench.py from %s. Do not edit: run `make bench`, or" % rel_csv,
          "     `python3 bench/bench.py --docs-only` after editing the CSV. -->",
          "# Performance", "",
          "How fast Sluice forwards on one worker core, next to `dpdk-testpmd --forward-mode=io`",
          "measured in the same run, on the same virtual devices, with the same frames. The",
          "ratio is what to watch: absolute rates depend on the machine (and on whatever else",
          "shares it), the ratio much less.", "",
          "## How it is measured", "",
          "* `make bench` (= `bash bench/run.sh`) sets up the host, builds, and runs",
          "  `bench/bench.py`. Options: `--scenario xconnect` (or `all`), `--sizes 64,512,1518`,",
          "  `--reps 3`, `--seconds 5`, `--warmup 1`, `--quick` (1 rep, 2 s, 64 B), `--csv PATH`,",
          "  `--no-docs`, `--no-build`, `--docs-only`.",
          "* Traffic stays inside the measured process: two busy-polling processes on a",
          "  2-core machine would starve each other. Every port is `net_pcap` with",
          "  `rx_pcap=FILE,infinite_rx=1` and no tx argument: it replays the file forever",
          "  (each rx burst allocates mbufs and copies the frames in) and its tx side counts and",
          "  frees what it is given. Both sides get byte-identical devargs. (`tx_pcap=/dev/null`",
          "  would cost a `pcap_dump` per packet and a write(2) per burst, and would measure",
          "  libpcap: testpmd io fell from about 63 to 15 Mpps with it.)",
          "* Frames are Ethernet/IPv4/UDP, 16 flows. Sizes count the 4-byte FCS a NIC would add",
          "  (RFC 2544), so a 64 B frame is 60 bytes in the pcap and 1518 B fits MTU 1500.",
          "* testpmd: `--stats-period 1`; the rate is the mean of its own per-second Tx-pps",
          "  (all ports) over the measured seconds, after the first period (warm-up).",
          "* Sluice: `sluiced --busy-poll`, ports added and configured with `sluicectl`; after",
          "  the warm-up (1 s) the rate is the workers' tx_packets delta between two",
          "  `show workers` sent over the control socket, over the time between them: each",
          "  worker's busy + idle cycles (they span exactly the loop iterations its counters",
          "  cover) when the TSC rate is known, else the wall time.",
          "* Runs interleave (testpmd, Sluice, testpmd, ...). Tables give the median and, in",
          "  brackets, min–max over the repetitions. Sluice/testpmd is the ratio of the",
          "  medians; best/best that of the fastest runs (other load only ever slows a run",
          "  down, so on a shared machine the best runs are the least disturbed ones).",
          "* Other load: how much of the forwarding core(s) other processes took during the",
          "  measured window (/proc/stat for those CPUs minus the measured process's threads",
          "  there), in cores. Anything well above 0 was taken from the forwarding thread: the",
          "  run is disturbed.",
          "* Mpps/core: packets sent per second per forwarding core (both directions together).",
          "  Cycles/pkt: TSC Hz / that rate (the kernel's TSC calibration, else measured from the",
          "  Sluice workers' cycle counters). Busy cycles/pkt: Sluice's own busy cycles / rx",
          "  packets in the window (`show workers`). Gbit/s: rate × (frame + 20 B preamble and",
          "  gap) × 8.",
          "* No NIC is involved: rx copies every frame out of the replay buffer, so large",
          "  frames mostly measure memcpy, and Gbit/s far above any port speed are normal.",
          "* Accounting: Sluice's `stats clear` is sent before any port exists, and after the",
          "  window every port is deleted, so nothing is in flight. Then `show stats` must",
          "  show rx_packets = tx_packets + every counted drop, unchanged 0.2 s later;",
          "  testpmd's accumulated RX-packets must equal its TX-total. A size whose runs fail",
          "  this, or crash, gets no ratio (`refused`).", ""]
    if not rows:
        o += ["No results yet: run `make bench`.", ""]
    runs = runs_by_scenario(rows)
    for scen, run_ids in runs.items():
        full = [rid for rid in run_ids
                if any(r["run_id"] == rid and r["quick"] != "1" for r in rows)]
        rid = (full or run_ids)[0]
        sel = [r for r in rows if r["run_id"] == rid and r["scenario"] == scen]
        r0 = sel[0]
        s = SCENARIOS.get(scen)
        o += ["## %s" % (s.title if s else scen), ""]
        if s:
            o += [s.description, ""]
        o += ["Run %s (%s UTC): %s, %s, Sluice `%s` (sluiced sha256 %s…), TSC %s MHz, "
              "%s × %s s per side and size, interleaved." % (
                  rid, r0["date_utc"], r0["cpu_model"], r0["dpdk_version"], r0["sluice_commit"],
                  r0["sluiced_sha256"],
                  "%.1f" % (float(r0["tsc_hz"]) / 1e6) if r0["tsc_hz"] else "?",
                  r0["reps"], r0["seconds"]), ""]
        sm = summarize(sel)
        o += table(sm)
        o.append("")
        notes = ["* %d B: %s" % (x["size"], p) for x in sm for p in x["problems"]]
        if notes:
            o += notes + [""]
        o += ["Produced by (commands below are relative to the repository root):", "", "```sh",
              r0["bench_command"], "```", ""]
        for impl in ("testpmd", "sluice"):
            ex = next((r for r in sel if r["impl"] == impl), None)
            if ex is None:
                continue
            o += ["%s, first repetition at %d B (other sizes differ only in the pcap file):" % (
                "testpmd" if impl == "testpmd" else "Sluice", int(ex["frame_bytes"])), "",
                "```sh"]
            o += readable_commands(ex["command"])
            o += ["```", ""]
        hist = [x for x in run_ids if x != rid]
        if hist:
            o += ["Earlier runs (ratio Sluice/testpmd by frame size):", "",
                  "| Run | Sluice | CPU | Ratios |", "|---|---|---|---|"]
            for h in hist[:20]:
                hs = [r for r in rows if r["run_id"] == h and r["scenario"] == scen]
                rat = ", ".join("%d B %s" % (x["size"], "%.3f" % x["ratio"]
                                              if x["ratio"] is not None else "refused")
                                for x in summarize(hs))
                o.append("| %s%s | `%s` | %s | %s |" % (
                    h, " (quick)" if hs[0]["quick"] == "1" else "", hs[0]["sluice_commit"],
                    hs[0]["cpu_model"], rat))
            o.append("")
    tmp = docs_path + ".tmp"
    with open(tmp, "w") as f:
        f.write("\n".join(o).rstrip("\n") + "\n")
    os.replace(tmp, docs_path)
    log("wrote %s" % docs_path)


# ---- main -------------------------------------------------------------------------------------

def main(argv):
    cfg = parse_args(argv)
    if cfg.docs_only:
        write_docs(cfg.csv, cfg.docs)
        return 0

    def on_term(signum, _frame):
        raise KeyboardInterrupt("signal %d" % signum)
    # SIGINT too: started in the background by a shell, it would be ignored otherwise.
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_term)

    cfg.tmp = tempfile.mkdtemp(prefix="sluice-bench.")
    try:
        run_id, rows = run(cfg)
    except BenchError as e:
        log("error: %s" % e)
        return 2
    except KeyboardInterrupt:
        log("interrupted: nothing recorded")
        return 130
    finally:
        Proc.stop_all()
        shutil.rmtree(cfg.tmp, ignore_errors=True)
    ok = report(run_id, rows)
    if not cfg.no_docs:
        write_docs(cfg.csv, cfg.docs)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
