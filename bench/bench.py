#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Benchmark harness: Sluice vs dpdk-testpmd io on identical pcap-replay ports, per worker core.
# Appends raw runs to bench/results/results.csv and regenerates docs/performance.md from it.
"""Sluice benchmark harness (entry point: bash bench/run.sh, which builds first).

For each scenario (bench/scenarios.py) and frame size it runs, interleaved, REPS times each
(and with `--scenario ovs`, Open vSwitch with DPDK as a third side, see run_ovs):

  testpmd  dpdk-testpmd on the scenario's vdevs with --stats-period 1; the rate is the mean
           of testpmd's own per-second Tx-pps (all ports) over SECONDS periods after WARMUP.
  sluice   sluiced --busy-poll on the same vdevs, configured with sluicectl; the rate is the
           delta of the workers' tx_packets between two `show workers` SECONDS apart (after
           WARMUP), over the workers' own busy + idle cycles between them.

Traffic never leaves the process (2 cores: two busy-polling processes starve each other):
every port replays a pcap forever and its tx side counts and frees what it is given.

Honesty checks. Sluice: `stats clear` is sent before the first port exists (a quiescent
zero; or the ports come from the running config of a fresh process, whose counters start at
zero), and after the measurement every port is deleted, so no packet is in flight; then
`show stats` must say rx_packets + injected + (flood copies - 1) * flooded == tx_packets +
all counted drops + punted, or the size's ratio is refused. L2 scenarios also check the FDB
before the window and that nothing is flooded inside it; routing scenarios the FIB's route
count before it, that nothing is punted inside it and, once per frame size, what the ports
send byte for byte (forwarding_check). testpmd: its final accumulated statistics must say
RX-packets == TX-total.

Everything measured goes into a CSV, one row per process run, with the exact commands, CPU
model, DPDK version and Sluice commit; docs/performance.md is generated from that CSV.
"""

import argparse
import copy
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
from collections import Counter

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from scenarios import (OVS_PSEUDO, SCENARIOS, read_pcap, scaling_scenario,  # noqa: E402
                       write_learn_pcap, write_pcap)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The build under test, as in the integration suite: $SLUICE_BUILD, else build/.
BUILD = os.path.join(ROOT, os.environ.get("SLUICE_BUILD", "build"))
DEFAULT_CSV = os.path.join(ROOT, "bench", "results", "results.csv")
DEFAULT_DOCS = os.path.join(ROOT, "docs", "performance.md")

# Scenarios that are not one topology next to testpmd: each has a runner, results and a
# section of the performance page of its own (see "scenarios with their own runners").
SCALING, FDB_LEARN, ROUTE_CHURN = "scaling", "fdb-learn", "route-churn"
SPECIAL = {
    SCALING: "xconnect on 1, 2, 4, ... workers, `--workers`",
    FDB_LEARN: "MACs learned per second, `--learn-macs`",
    ROUTE_CHURN: "route changes/s and reader stalls, bench/fib_churn.c",
}

PREAMBLE_IFG = 20  # bytes of preamble + SFD + inter-frame gap per frame on an Ethernet wire
START_TIMEOUT = 20  # seconds for sluiced to answer on its socket
STOP_TIMEOUT = 15  # seconds after SIGINT/SIGTERM before SIGKILL
QUIESCE_WAIT = 0.2  # seconds between the two final `show stats` that must agree

CSV_FIELDS = [
    "run_id", "date_utc", "quick", "scenario", "frame_bytes", "impl", "rep", "reps",
    "seconds", "warmup_s", "status", "error", "mpps_per_core", "cycles_per_packet",
    "busy_cycles_per_packet", "gbps_per_core", "window_packets", "window_drops", "workers",
    "accounting", "accounting_detail", "checks", "out_mpps_per_core", "chain_mpps_per_core",
    "fdb_entries", "fib_routes", "fib_bytes", "window_punts", "forwarding_check",
    "window_floods", "prefill", "exit_status", "other_cpu_cores", "steal_cores",
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

    def __init__(self, cmd, out_path, prefix, env=None):
        self.cmd = cmd
        self.prefix = prefix  # EAL --file-prefix, or None for a process without EAL
        self.out_path = out_path
        self.out = open(out_path, "w")
        # Own session: a Ctrl-C in the terminal reaches only the harness, which then stops
        # the child itself (and cleans up after it) instead of leaving that to chance.
        self.p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=self.out,
                                  stderr=subprocess.STDOUT, start_new_session=True, env=env)
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
        if not self.prefix:
            return
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

def testpmd_ports(scen, files):
    """[(name, devargs)] of testpmd's ports in its port id order: the --vdev ones, then
    those it attaches at run time (scen.testpmd_hotplug)."""
    ports = scen.devargs(files, scen.testpmd_ports)
    hot = dict(ports)
    return ([p for p in ports if p[0] not in scen.testpmd_hotplug]
            + [(n, hot[n]) for n in scen.testpmd_hotplug])


def testpmd_cmd(cfg, scen, files, prefix, cmdline_file=None):
    """(command, lines of the --cmdline-file or [])."""
    cmd = [cfg.testpmd, "-l", cfg.lcores, "--no-pci", "--file-prefix", prefix, "-m", str(cfg.mem),
           *scen.eal_args]
    ports = testpmd_ports(scen, files)
    for name, d in ports:
        if name not in scen.testpmd_hotplug:
            cmd += ["--vdev", d]
    # Non-interactive testpmd exits at once on stdin EOF unless --stats-period is given.
    cmd += ["--", *scen.testpmd_args, "--nb-cores=%d" % cfg.workers, "--stats-period", "1",
            "--auto-start"]
    # Non-interactive testpmd starts its ports, then runs the --cmdline-file, then forwards.
    lines = ["port attach " + d for name, d in ports if name in scen.testpmd_hotplug]
    if lines:
        lines.append("port start all")
    if scen.testpmd_portlist:
        ids = {name: i for i, (name, _) in enumerate(ports)}
        lines.append("set portlist " + ",".join(str(ids[n]) for n in scen.testpmd_portlist))
    if lines:
        cmd.append("--cmdline-file=" + cmdline_file)
    return cmd, lines


PERIOD_RE = re.compile(r"NIC statistics for port (\d+).*?Rx-pps:\s+(\d+).*?Tx-pps:\s+(\d+)",
                       re.S)
ACCUM_RE = re.compile(
    r"Accumulated forward statistics.*?RX-packets:\s+(\d+)\s+RX-dropped:\s+(\d+)\s+"
    r"RX-total:\s+(\d+).*?TX-packets:\s+(\d+)\s+TX-dropped:\s+(\d+)\s+TX-total:\s+(\d+)", re.S)


def testpmd_periods(text, n_ports, port=None):
    """Per stats period, the summed Tx-pps of all ports, or of port id `port` (testpmd times
    each period itself)."""
    periods = []
    for chunk in text.split("Port statistics ===")[1:]:
        ports = {int(m.group(1)): int(m.group(3)) for m in PERIOD_RE.finditer(chunk)}
        if len(ports) == n_ports:
            periods.append(sum(ports.values()) if port is None else ports[port])
    return periods


def run_testpmd(cfg, scen, size, files, seq):
    prefix = "bench-testpmd-%d-%d" % (os.getpid(), seq)
    d = os.path.join(cfg.tmp, "%d-testpmd" % seq)
    os.mkdir(d)
    files = dict(files, rundir=d)
    cmdline_file = os.path.join(d, "testpmd.cmds")
    cmd, lines = testpmd_cmd(cfg, scen, files, prefix, cmdline_file)
    row = {"impl": "testpmd", "command": shlex.join(cmd), "workers": cfg.workers}
    if lines:
        with open(cmdline_file, "w") as f:
            f.write("".join(line + "\n" for line in lines))
        row["command"] = " ; ".join(["cat > %s <<'EOF'" % cmdline_file] + lines + ["EOF",
                                                                                 row["command"]])
    ports = testpmd_ports(scen, files)
    ids = {name: i for i, (name, _) in enumerate(ports)}
    n_ports = len(ports)
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
    row["out_mpps_per_core"] = pps / cfg.workers / 1e6
    if scen.rate_port:
        pps = statistics.mean(testpmd_periods(text, n_ports, ids[scen.rate_port])[
            skip:skip + cfg.seconds])
    if scen.chain_port:
        row["chain_mpps_per_core"] = statistics.mean(testpmd_periods(
            text, n_ports, ids[scen.chain_port])[skip:skip + cfg.seconds]) / cfg.workers / 1e6
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


def connect_sluiced(p, sock, timeout=START_TIMEOUT):
    """(Ctl, `show version`) once the sluiced of Proc p answers on its socket."""
    deadline = time.monotonic() + timeout
    while True:
        if not p.alive():
            raise BenchError("sluiced exited during start-up:\n" + p.output()[-2000:])
        if time.monotonic() > deadline:
            raise BenchError("sluiced did not answer on %s within %ds" % (sock, timeout))
        try:
            ctl = Ctl(sock)
        except OSError:
            time.sleep(0.1)
            continue
        try:
            return ctl, ctl("show version")
        except (OSError, BenchError):
            ctl.close()
            time.sleep(0.1)


def sluiced_cmd(cfg, scen, sock, conf, prefix):
    # -f /dev/null: a production /etc/sluice/sluiced.conf must not add its settings.
    return [cfg.sluiced, "-f", "/dev/null", "-s", sock, "-c", conf, "--busy-poll",
            *scen.sluiced_args, "--",
            "-l", cfg.lcores, "--no-pci", "--file-prefix", prefix, "-m", str(cfg.mem),
            *scen.eal_args]


def write_running_config(scen, conf, setup, files, cmds):
    """The running config sluiced replays at start: the setup lines, then the scenario's bulk
    config (files["bulk"], recorded by name only); the commands that write it go to cmds."""
    # The start-up replay applies every line before any worker sees a port, so no frame
    # is forwarded with the default settings (VLAN 1 access) first.
    with open(conf, "w") as f:
        f.write("".join(line + "\n" for line in setup))
        if scen.bulk_config:
            with open(files["bulk"]) as b:
                shutil.copyfileobj(b, f, 1 << 20)
    cmds += ["cat > %s <<'EOF'" % conf] + setup + ["EOF"]
    if scen.bulk_config:
        cmds.append("cat %s >> %s  # %d lines written by bench/scenarios.py (scenario %s, "
                    "bulk_config), deleted after it" % (files["bulk"], conf, files["bulk_lines"],
                                                        scen.name))


def run_sluice(cfg, scen, size, files, seq):
    prefix = "bench-sluice-%d-%d" % (os.getpid(), seq)
    d = os.path.join(cfg.tmp, str(seq))
    os.mkdir(d)
    files = dict(files, rundir=d)
    sock, conf = os.path.join(d, "ctl.sock"), os.path.join(d, "running.conf")
    cmd = sluiced_cmd(cfg, scen, sock, conf, prefix)
    ctl_prefix = [cfg.sluicectl, "-s", sock]
    cmds = []
    row = {"impl": "sluice"}
    ports = scen.devargs(files)
    setup = ["port add %s %s" % (name, devargs) for name, devargs in ports] + scen.sluice_cmds
    for key, path in sorted(files.items()):
        if key.startswith("shared_"):
            cmds.append("# %s: written by bench/scenarios.py (%s), deleted after the scenario" % (
                path, scen.shared_files[key[len("shared_"):]].__name__))
    if scen.preconfigure:
        write_running_config(scen, conf, setup, files, cmds)
    cmds.append(shlex.join(cmd) + " &")

    def sluicectl(line):
        argv = ctl_prefix + ["--json"] + line.split()
        cmds.append(shlex.join(ctl_prefix + line.split()))
        r = subprocess.run(argv, capture_output=True, text=True, timeout=30)
        if r.returncode != 0:
            raise BenchError("sluicectl %s: %s%s" % (line, r.stdout.strip(), r.stderr.strip()))

    def note(line, comment=""):
        cmds.append(shlex.join(ctl_prefix + line.split()) + ("  # " + comment if comment else ""))

    def vlan_flooded(v):
        if v is None:
            return 0
        return next((x["flooded"] for x in ctl("show vlans") if x["vlan"] == v), 0)

    checks = []
    p = Proc(cmd, os.path.join(d, "sluiced.log"), prefix)
    ctl = None
    try:
        ctl, ver = connect_sluiced(p, sock, scen.start_timeout_s or START_TIMEOUT)
        if ver.get("tsc_hz"):
            row["tsc_hz_sluiced"] = ver["tsc_hz"]
        if not scen.preconfigure:
            # Zero point for the final accounting, taken while nothing can move yet.
            note("stats clear")
            ctl("stats clear")
            for line in setup:
                sluicectl(line)
        if scen.prefill:
            row["prefill"] = prefill_fdb(ctl, scen.prefill, note, cmds)
        cmds.append("sleep %d  # warm-up" % cfg.warmup)
        time.sleep(cfg.warmup)
        if scen.min_fdb_entries:
            note("show bridge", "entries >= %d before the window" % scen.min_fdb_entries)
            b = ctl("show bridge")
            row["fdb_entries"] = b["entries"]
            if b["entries"] < scen.min_fdb_entries:
                raise BenchError("show bridge: %d FDB entries before the window, want >= %d "
                                 "(learned %d, learn_ring_full %d, table_full %d)" % (
                                     b["entries"], scen.min_fdb_entries, b["learned"],
                                     b["learn_ring_full"], b["table_full"]))
        if scen.min_fib_routes:
            row["fib_routes"], row["fib_bytes"] = check_fib(ctl, scen.min_fib_routes, note)
        note("show workers", "window start (timed over the socket)")
        note("show stats")
        if scen.flood_vlan is not None:
            note("show vlans")
        load0 = cpu_sample(p.pid, cfg.fwd_cpus)
        w0, t0 = ctl.timed("show workers")
        s0 = ctl("show stats")
        fl0 = vlan_flooded(scen.flood_vlan)
        cmds.append("sleep %d" % cfg.seconds)
        time.sleep(cfg.seconds)
        note("show workers", "window end")
        note("show stats")
        w1, t1 = ctl.timed("show workers")
        s1 = ctl("show stats")
        fl1 = vlan_flooded(scen.flood_vlan)
        if scen.flood_vlan is not None:
            note("show vlans")
        row["other_cpu_cores"], row["steal_cores"] = other_load(
            load0, cpu_sample(p.pid, cfg.fwd_cpus))
        # The ports' own counters cannot be read once the ports are gone: compare them with
        # the workers' now. The reads race the traffic, so keep the closest of three.
        gaps = [port_gap(s1)] + [port_gap(ctl("show stats")) for _ in range(2)]
        if scen.flood_vlan is not None:
            # With flooding off the VLAN stays in `show vlans` once its ports are gone, so
            # its flood counter can be read when nothing moves any more.
            sluicectl("vlan set %d flood off" % scen.flood_vlan)
        for line in scen.teardown_cmds:
            sluicectl(line)
        # Delete every port: no packet is in flight after that, so the totals must balance.
        for name, _ in reversed(ports):
            sluicectl("port del %s" % name)
        note("show stats", "with every port gone: rx_packets + (flood copies - 1) * flooded "
             "== tx_packets + drops" if scen.flood_copies != 1 else
             "with every port gone: rx_packets + injected == tx_packets + drops + punted"
             if scen.no_window_punts else
             "with every port gone: rx_packets == tx_packets + drops")
        f0 = ctl("show stats")
        time.sleep(QUIESCE_WAIT)
        f1 = ctl("show stats")
        flooded = vlan_flooded(scen.flood_vlan)
        if scen.flood_vlan is not None:
            note("show vlans")
    finally:
        if ctl:
            ctl.close()
        row["exit_status"] = p.stop(signal.SIGTERM)
    if row["exit_status"] != 0:
        log("warning: sluiced exited with status %s after SIGTERM (log: %s)" % (
            row["exit_status"], p.out_path))
    row["command"] = " ; ".join(cmds)

    tsc = cfg.tsc_hz or row.get("tsc_hz_sluiced")
    dt = t1 - t0
    n_workers = len(w1)
    by_id0 = {w["worker"]: w for w in w0}
    tx = rx = busy = total_cyc = 0
    pps_tx = pps_rx = 0.0
    for w in w1:
        b = by_id0[w["worker"]]
        w_tx = w["tx_packets"] - b["tx_packets"]
        w_rx = w["rx_packets"] - b["rx_packets"]
        w_cyc = (w["busy_cycles"] + w["idle_cycles"]) - (b["busy_cycles"] + b["idle_cycles"])
        tx += w_tx
        rx += w_rx
        busy += w["busy_cycles"] - b["busy_cycles"]
        total_cyc += w_cyc
        if tsc and w_cyc > 0:
            pps_tx += w_tx / (w_cyc / tsc)
            pps_rx += w_rx / (w_cyc / tsc)
    row["workers"] = n_workers
    # A worker's busy + idle cycles span exactly the loop iterations its counters cover, so
    # with a known TSC rate they time the window better than the socket round trips, which
    # can catch a worker that a neighbour has just preempted (its counters then lag).
    out_mpps = (pps_tx if pps_tx else tx / dt) / n_workers / 1e6
    in_mpps = (pps_rx if pps_rx else rx / dt) / n_workers / 1e6
    row["out_mpps_per_core"] = out_mpps
    row["mpps_per_core"] = in_mpps if scen.rate == "rx" else out_mpps
    row["window_packets"] = rx if scen.rate == "rx" else tx

    def port_tx(name):
        """Packets port `name` sent in the window and its rate per core: its share of the
        workers' tx_packets (ethdev counters, read just after `show workers`) times their
        rate."""
        n = sum(x["opackets"] for x in s1["ports"] if x["name"] == name) - sum(
            x["opackets"] for x in s0["ports"] if x["name"] == name)
        return n, (out_mpps * n / tx if tx else n / dt / n_workers / 1e6)
    if scen.rate_port:
        row["window_packets"], row["mpps_per_core"] = port_tx(scen.rate_port)
    if scen.chain_port:
        row["chain_mpps_per_core"] = port_tx(scen.chain_port)[1]
    row["busy_cycles_per_packet"] = busy / rx if rx else ""
    # Fallback TSC rate when neither the kernel nor sluiced gave one.
    row["tsc_hz_measured"] = total_cyc / n_workers / dt
    row["window_drops"] = sums(s1)[2] - sums(s0)[2]
    if scen.flood_vlan is not None:
        row["window_floods"] = fl1 - fl0
    if scen.no_window_punts:
        # Static neighbours: nothing to resolve, so nothing for the control thread.
        row["window_punts"] = s1["punted"] - s0["punted"]
        if row["window_punts"]:
            checks.append("%d packets punted to the control thread inside the window (%d "
                          "received), want 0" % (row["window_punts"], rx))
    if scen.no_window_floods:
        nomem = s1["drops"].get("flood-no-members", 0) - s0["drops"].get("flood-no-members", 0)
        # Every destination is learned before the window: a flood there means a lost entry.
        allowed = max(10, rx // 100000)
        if fl1 - fl0 > allowed or nomem > allowed:
            checks.append("%d frames flooded in VLAN %d and %d flood-no-members drops inside "
                          "the window (%d received), want ~0" % (fl1 - fl0, scen.flood_vlan,
                                                                 nomem, rx))

    r0, t0_, d0, _ = sums(f0)
    r1, t1_, d1, drops = sums(f1)
    gap_rx = min((g[0] for g in gaps), key=abs)
    gap_tx = min((g[1] for g in gaps), key=abs)
    slack = PORT_GAP_SLACK + PORT_GAP_RATIO * sums(s1)[0]
    extra = (scen.flood_copies - 1) * flooded
    # Packets the control thread took (punted) and sent (injected, out of a worker): both 0
    # but in routing scenarios, where they complete the balance.
    punted, injected = f1.get("punted", 0), f1.get("injected", 0)
    detail = "rx %d%s%s = tx %d + drops %d%s (%s); ports - workers: rx %+d, tx %+d" % (
        r1, " + injected %d" % injected if injected else "",
        " + %d x flooded %d" % (scen.flood_copies - 1, flooded) if extra else "", t1_, d1,
        " + punted %d" % punted if punted else "",
        ", ".join("%s %d" % kv for kv in drops.items() if kv[1]) or "none", gap_rx, gap_tx)
    if (r0, t0_, d0) != (r1, t1_, d1):
        row["accounting"] = "FAIL"
        detail = "counters still moving after every port was deleted: " + detail
    elif r1 + injected + extra != t1_ + d1 + punted:
        row["accounting"] = "FAIL"
        detail += "; packets unaccounted (rx + injected + extra copies - tx - drops - punted " \
                  "= %d)" % (r1 + injected + extra - t1_ - d1 - punted)
    elif abs(gap_rx) > slack or abs(gap_tx) > slack:
        row["accounting"] = "FAIL"
        detail += "; ethdev and worker counters disagree by more than %d" % slack
    else:
        row["accounting"] = "ok"
    if r1 == 0:
        row["accounting"] = "FAIL"
        detail = "no packet received: " + detail
    row["accounting_detail"] = detail
    row["checks"] = "; ".join(checks) if checks else "ok"
    return row


def check_fib(ctl, min_routes, note):
    """(routes, bytes) of the families in min_routes ({"ipv4": n}) in `show fib`, which must
    count >= n routes of each, with no chunk allocation failure."""
    note("show fib", ", ".join("%s routes >= %d" % kv for kv in min_routes.items()) +
         " before the window")
    fib = ctl("show fib")
    for fam, want in min_routes.items():
        if fib[fam]["routes"] < want or fib["chunk_alloc_failures"]:
            raise BenchError("show fib: %d %s routes before the window, want >= %d (chunk "
                             "allocation failures: %d)" % (fib[fam]["routes"], fam, want,
                                                           fib["chunk_alloc_failures"]))
    return (sum(fib[fam]["routes"] for fam in min_routes),
            sum(fib[fam]["bytes"] for fam in min_routes))


FORWARDING_CHECK_TIMEOUT = 10  # seconds for every frame of the check to be processed


def forwarding_check(cfg, scen, size, files, seq):
    """What a scenario's ports send, checked byte for byte once per frame size (scenarios
    with `expected`): sluiced with the scenario's running config, every port reading its frame
    file once (no infinite_rx) and writing what it sends to a pcap (tx_pcap). Once every
    frame is received and sent, dropped or punted, the ports are deleted (which closes the
    captures): each must hold exactly scen.expected(size)[port], in any order. Returns a
    summary for the CSV; raises BenchError with the first difference."""
    prefix = "bench-check-%d-%d" % (os.getpid(), seq)
    d = os.path.join(cfg.tmp, "%d-check" % seq)
    os.mkdir(d)
    files = dict(files, rundir=d)
    sock, conf = os.path.join(d, "ctl.sock"), os.path.join(d, "running.conf")
    ports, out = [], {}
    for name, devargs in scen.devargs(files):
        if ",infinite_rx=1" not in devargs:
            raise BenchError("forwarding check: port %s does not replay a file (%s)" % (
                name, devargs))
        out[name] = os.path.join(d, "%s-out.pcap" % name)
        ports.append((name, devargs.replace(",infinite_rx=1", ",tx_pcap=" + out[name])))
    setup = ["port add %s %s" % p for p in ports] + scen.sluice_cmds
    write_running_config(scen, conf, setup, files, [])
    offered = sum(len(f) for f in scen.frame_sets(size).values())
    p = Proc(sluiced_cmd(cfg, scen, sock, conf, prefix), os.path.join(d, "sluiced.log"), prefix)
    ctl = None
    try:
        ctl, _ = connect_sluiced(p, sock, scen.start_timeout_s or START_TIMEOUT)
        deadline = time.monotonic() + FORWARDING_CHECK_TIMEOUT
        while True:
            st = ctl("show stats")
            rx, tx, dropped, drops = sums(st)
            if rx == offered and rx + st["injected"] == tx + dropped + st["punted"]:
                break
            if time.monotonic() > deadline:
                raise BenchError("forwarding check: %d of %d frames received, %d sent, %d "
                                 "dropped, %d punted after %d s" % (
                                     rx, offered, tx, dropped, st["punted"],
                                     FORWARDING_CHECK_TIMEOUT))
            time.sleep(0.05)
        for line in scen.teardown_cmds + ["port del %s" % name for name, _ in ports]:
            ctl(line)
    finally:
        if ctl:
            ctl.close()
        p.stop(signal.SIGTERM)
    lost = ", ".join("%s %d" % kv for kv in drops.items() if kv[1])
    expected = scen.expected(size)
    for name, _ in ports:
        want, got = Counter(expected.get(name, [])), Counter(read_pcap(out[name]))
        if want != got:
            missing, unexpected = want - got, got - want
            raise BenchError(
                "forwarding check, %d B: port %s sent %d frames, %d expected; %d expected ones "
                "missing (first: %s), %d unexpected (first: %s)%s" % (
                    size, name, sum(got.values()), sum(want.values()),
                    sum(missing.values()), next(iter(missing), b"").hex() or "-",
                    sum(unexpected.values()), next(iter(unexpected), b"").hex() or "-",
                    "; drops: " + lost if lost else ""))
    shutil.rmtree(d, ignore_errors=True)
    return "%d frames in, %d out, byte for byte as expected" % (
        offered, sum(len(f) for f in expected.values()))


def prefill_fdb(ctl, pf, note, cmds):
    """Replay pf.port's finite pcap until `show bridge` learned >= pf.target_learned: a pass
    is over when the port's rx count stands still and every posted learn event has been
    processed; then, if MACs are missing (their events hit a full learn ring), rewind."""
    def port_rx():
        return next(x["ipackets"] for x in ctl("show stats")["ports"] if x["name"] == pf.port)

    t_start = time.monotonic()
    deadline = t_start + pf.timeout_s
    passes, last_rx, still = 1, -1, 0
    note("show bridge", "repeated: until learned >= %d; whenever port %s has read its whole "
         "file and every learn event is processed, `%s` replays it" % (
             pf.target_learned, pf.port, pf.rewind))
    while True:
        b = ctl("show bridge")
        if b["learned"] >= pf.target_learned:
            break
        if b["table_full"]:
            raise BenchError("FDB pre-fill: table_full %d (learned %d of %d)" % (
                b["table_full"], b["learned"], pf.target_learned))
        if time.monotonic() > deadline:
            raise BenchError("FDB pre-fill: learned %d of %d after %d passes and %.0f s "
                             "(learn_ring_full %d)" % (b["learned"], pf.target_learned,
                                                       passes, pf.timeout_s,
                                                       b["learn_ring_full"]))
        rx = port_rx()
        still = still + 1 if rx == last_rx else 0
        last_rx = rx
        if still >= 2 and b["learn_events"] >= b["learn_events_posted"]:
            ctl(pf.rewind)
            passes += 1
            still = 0
        time.sleep(0.1)
    took = time.monotonic() - t_start
    cmds.append("# FDB pre-fill: %d passes, %.1f s, learned %d, learn_ring_full %d" % (
        passes, took, b["learned"], b["learn_ring_full"]))
    log("FDB pre-fill: %d passes over %d MACs, %.1f s: learned %d (learn events lost to a "
        "full ring: %d)" % (passes, pf.macs, took, b["learned"], b["learn_ring_full"]))
    return "%d passes, %.1f s, learned %d, learn_ring_full %d" % (
        passes, took, b["learned"], b["learn_ring_full"])


# ---- one Open vSwitch run ---------------------------------------------------------------------

OVS_VSWITCHD = "/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk"
OVS_SCHEMA = "/usr/share/openvswitch/vswitch.ovsschema"
DPCTL_PORT_RE = re.compile(
    r"port \d+: (\S+) \(dpdk[^\n]*\n\s+RX packets:(\d+) errors:\d+ dropped:(\d+)[^\n]*\n"
    r"\s+TX packets:(\d+) errors:\d+ dropped:(\d+)")
PMD_RE = re.compile(r"pmd thread numa_id \d+ core_id (\d+):(.*?)(?=\n\S|\Z)", re.S)


def ovs_tools():
    """Paths of the OVS programs, or None when the DPDK build of OVS is not installed."""
    tools = {n: shutil.which(n) for n in ("ovsdb-tool", "ovsdb-server", "ovs-vsctl",
                                           "ovs-appctl", "ovs-ofctl")}
    if not os.access(OVS_VSWITCHD, os.X_OK) or not all(tools.values()):
        return None
    tools["ovs-vswitchd"] = OVS_VSWITCHD
    return tools


def cpu_mask(cpus):
    return "0x%x" % sum(1 << c for c in cpus)


def dpctl_ports(text):
    """{port: (rx, rx_dropped, tx, tx_dropped)} of the dpdk ports in `dpctl/show -s`."""
    return {m.group(1): tuple(int(m.group(i)) for i in (2, 3, 4, 5))
            for m in DPCTL_PORT_RE.finditer(text)}


def pmd_stats(text):
    """{core: {stat name: number}} from `dpif-netdev/pmd-stats-show`."""
    out = {}
    for m in PMD_RE.finditer(text):
        st = {}
        for line in m.group(2).splitlines():
            k, _, v = line.strip().partition(":")
            mm = re.match(r"\s*([\d.]+)", v)
            if mm:
                st[k.strip()] = float(mm.group(1))
        out[int(m.group(1))] = st
    return out


def run_ovs(cfg, scen, size, files, seq):
    """The scenario on ovs-vswitchd (DPDK build) with a private ovsdb-server, both started
    here with OVS_RUNDIR/DBDIR/LOGDIR/SYSCONFDIR in a temp dir (the host's OVS, if any, is
    never touched). One PMD thread, on the forwarding core."""
    tools = cfg.ovs_tools
    if tools is None:
        raise BenchError("Open vSwitch with DPDK is not installed (%s; Debian package "
                         "openvswitch-switch-dpdk, which bench/run.sh installs when the ovs "
                         "scenario is requested)" % OVS_VSWITCHD)
    prefix = "bench-ovs-%d-%d" % (os.getpid(), seq)
    d = os.path.join(cfg.tmp, "%d-ovs" % seq)
    dirs = {k: os.path.join(d, k) for k in ("run", "db", "log", "etc")}
    for x in dirs.values():
        os.makedirs(x)
    env = dict(os.environ, OVS_RUNDIR=dirs["run"], OVS_DBDIR=dirs["db"],
               OVS_LOGDIR=dirs["log"], OVS_SYSCONFDIR=dirs["etc"])
    db_sock = os.path.join(dirs["run"], "db.sock")
    ctl_path = os.path.join(dirs["run"], "ovs-vswitchd.ctl")
    db = os.path.join(dirs["db"], "conf.db")
    row = {"impl": "ovs"}
    cmds = ["export OVS_RUNDIR=%s OVS_DBDIR=%s OVS_LOGDIR=%s OVS_SYSCONFDIR=%s" % (
        dirs["run"], dirs["db"], dirs["log"], dirs["etc"])]
    main_cpu = lcore_list(cfg.lcores)[0]
    ports = scen.devargs(files)

    def tool(name, *args, record=True, timeout=30):
        argv = [tools[name], *args]
        if record:
            cmds.append(shlex.join([name, *args]))
        try:
            r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=env)
        except subprocess.TimeoutExpired:
            raise BenchError("%s timed out" % shlex.join([name, *args]))
        if r.returncode != 0:
            raise BenchError("%s: %s%s" % (shlex.join([name, *args]), r.stdout.strip(),
                                           r.stderr.strip()[-500:]))
        return r.stdout

    def vsctl(*args, **kw):
        return tool("ovs-vsctl", "--timeout=30", *args, **kw)

    def appctl(*args, **kw):
        return tool("ovs-appctl", "-t", ctl_path, *args, **kw)

    procs = []
    try:
        tool("ovsdb-tool", "create", db, OVS_SCHEMA)
        dbcmd = [tools["ovsdb-server"], db, "--remote=punix:" + db_sock,
                 "--unixctl=" + os.path.join(dirs["run"], "ovsdb-server.ctl"),
                 "--log-file=" + os.path.join(dirs["log"], "ovsdb-server.log")]
        cmds.append(shlex.join(["ovsdb-server", *dbcmd[1:]]) + " &")
        procs.append(Proc(dbcmd, os.path.join(d, "ovsdb-server.out"), None, env=env))
        deadline = time.monotonic() + START_TIMEOUT
        while not os.path.exists(db_sock):
            if not procs[0].alive() or time.monotonic() > deadline:
                raise BenchError("ovsdb-server did not start:\n" + procs[0].output()[-1500:])
            time.sleep(0.05)
        vsctl("--no-wait", "init")
        # One PMD thread on the forwarding core (the one testpmd and Sluice forward on), the
        # main lcore on the control core, the same EAL memory and vdevs as the other sides.
        vsctl("--no-wait", "set", "Open_vSwitch", ".", "other_config:dpdk-init=true",
              "other_config:dpdk-lcore-mask=%s" % cpu_mask([main_cpu]),
              "other_config:pmd-cpu-mask=%s" % cpu_mask(sorted(cfg.fwd_cpus)),
              "other_config:dpdk-socket-mem=%d" % cfg.mem,
              "other_config:dpdk-extra=--no-pci --file-prefix %s" % prefix)
        swcmd = [tools["ovs-vswitchd"], "unix:" + db_sock, "--unixctl=" + ctl_path,
                 "--log-file=" + os.path.join(dirs["log"], "ovs-vswitchd.log")]
        cmds.append(shlex.join([OVS_VSWITCHD, *swcmd[1:]]) + " &")
        sw = Proc(swcmd, os.path.join(d, "ovs-vswitchd.out"), prefix, env=env)
        procs.append(sw)
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if not sw.alive():
                raise BenchError("ovs-vswitchd exited during start-up:\n" + sw.output()[-1500:])
            try:
                if vsctl("get", "Open_vSwitch", ".", "dpdk_initialized",
                         record=False).strip() == "true":
                    break
            except BenchError:
                pass
            if time.monotonic() > deadline:
                raise BenchError("ovs-vswitchd: DPDK not initialized within %ds:\n%s" % (
                    START_TIMEOUT, sw.output()[-1500:]))
            time.sleep(0.2)
        # fail-mode secure: only the flows below, no default NORMAL flow while they go in.
        vsctl("add-br", "br0", "--", "set", "bridge", "br0", "datapath_type=netdev",
              "fail-mode=secure")
        # The bridge's own (tap) port takes no flooded copies.
        tool("ovs-ofctl", "mod-port", "br0", "br0", "no-flood")
        for fl in scen.ovs.flows:
            tool("ovs-ofctl", "add-flow", "br0", fl)
        # All ports and their VLAN settings in one transaction, so no frame is switched
        # before the configuration is complete.
        args = []
        for i, (name, devargs) in enumerate(ports):
            args += ["--", "add-port", "br0", name, "--", "set", "Interface", name,
                     "type=dpdk", "options:dpdk-devargs=" + devargs, "ofport_request=%d" % (i + 1)]
            if scen.ovs.port_settings.get(name):
                args += ["--", "set", "Port", name, *scen.ovs.port_settings[name]]
        vsctl(*args[1:])
        for name, _ in ports:
            if vsctl("get", "Interface", name, "ofport", record=False).strip() in ("-1", "[]"):
                err = vsctl("get", "Interface", name, "error", record=False).strip()
                raise BenchError("OVS could not add port %s: %s" % (name, err))
        rxq = appctl("dpif-netdev/pmd-rxq-show", record=False)
        cores = set(int(c) for c in re.findall(r"core_id (\d+):", rxq))
        if cores != cfg.fwd_cpus:
            raise BenchError("OVS PMD threads on cores %s, want %s" % (sorted(cores),
                                                                       sorted(cfg.fwd_cpus)))
        cmds.append("sleep %d  # warm-up" % cfg.warmup)
        time.sleep(cfg.warmup)
        appctl("dpif-netdev/pmd-stats-clear")
        cmds.append("ovs-appctl -t %s dpctl/show -s  # window start" % ctl_path)
        load0 = cpu_sample(sw.pid, cfg.fwd_cpus)
        t0a = time.monotonic()
        p0 = dpctl_ports(appctl("dpctl/show", "-s", record=False))
        t0 = (t0a + time.monotonic()) / 2
        cmds.append("sleep %d" % cfg.seconds)
        time.sleep(cfg.seconds)
        cmds.append("ovs-appctl -t %s dpctl/show -s  # window end" % ctl_path)
        t1a = time.monotonic()
        p1 = dpctl_ports(appctl("dpctl/show", "-s", record=False))
        t1 = (t1a + time.monotonic()) / 2
        row["other_cpu_cores"], row["steal_cores"] = other_load(load0,
                                                                cpu_sample(sw.pid, cfg.fwd_cpus))
        pmd = pmd_stats(appctl("dpif-netdev/pmd-stats-show"))
        # Two reads apart: how much moves between reads, the in-flight allowance.
        f0 = dpctl_ports(appctl("dpctl/show", "-s", record=False))
        time.sleep(QUIESCE_WAIT)
        f1 = dpctl_ports(appctl("dpctl/show", "-s", record=False))
        cov = appctl("coverage/show", record=False)
        for name, _ in reversed(ports):
            vsctl("del-port", "br0", name)
    finally:
        for pr in reversed(procs):
            st = pr.stop(signal.SIGTERM)
            if pr is procs[-1] and len(procs) == 2:
                row["exit_status"] = st
        shutil.rmtree(d, ignore_errors=True)
    row["command"] = " ; ".join(cmds)
    names = [n for n, _ in ports]
    if set(p1) != set(names):
        raise BenchError("dpctl/show -s lists ports %s, want %s" % (sorted(p1), names))
    tx = sum(p1[n][2] - p0[n][2] for n in names)
    rx = sum(p1[n][0] - p0[n][0] for n in names)
    row["workers"] = len(pmd) or 1
    row["mpps_per_core"] = (rx if scen.rate == "rx" else tx) / (t1 - t0) / row["workers"] / 1e6
    row["out_mpps_per_core"] = tx / (t1 - t0) / row["workers"] / 1e6
    row["window_packets"] = rx if scen.rate == "rx" else tx
    row["window_drops"] = sum((p1[n][1] - p0[n][1]) + (p1[n][3] - p0[n][3]) for n in names)
    recv = sum(st.get("packets received", 0) for st in pmd.values())
    proc_cyc = sum(st.get("processing cycles", 0) for st in pmd.values())
    if recv:
        row["busy_cycles_per_packet"] = proc_cyc / recv
    # Traffic never stops on this side (OVS cannot be asked to stop polling), so the totals
    # are compared with the traffic still flowing: rx - tx - every drop counter must stay
    # within what is in flight (what moved between two reads 0.2 s apart).
    rx_t = sum(f1[n][0] for n in names)
    tx_t = sum(f1[n][2] for n in names)
    port_drops = sum(f1[n][1] + f1[n][3] for n in names)
    dp_drops = sum(int(x) for x in re.findall(r"^(?:datapath_drop_\S+|drop_action_\S+)\s.*"
                                               r"total: (\d+)", cov, re.M))
    moving = sum(f1[n][0] - f0[n][0] for n in names)
    diff = rx_t - tx_t - port_drops - dp_drops
    slack = PORT_GAP_SLACK + moving
    detail = ("rx %d = tx %d + port drops %d + datapath drops %d %+d (traffic still flowing; "
              "%d received in the %.1f s between two reads)" % (
                  rx_t, tx_t, port_drops, dp_drops, diff, moving, QUIESCE_WAIT))
    row["accounting"] = "ok" if abs(diff) <= slack and rx_t > 0 else "FAIL"
    if abs(diff) > slack:
        detail += "; more than %d unaccounted" % slack
    row["accounting_detail"] = detail
    row["checks"] = "ok"
    return row


# ---- the run ----------------------------------------------------------------------------------

def parse_args(argv):
    ap = argparse.ArgumentParser(
        prog="bench/run.sh",
        description="Sluice vs dpdk-testpmd io, per worker core, on pcap-replay ports.")
    ap.add_argument("--scenario", default="xconnect",
                    help="comma-separated, or 'all' (known: %s; %s adds Open vSwitch as a third side "
                    "to the named scenarios that have an OVS set-up, alone: to all of them; "
                    "with runners of their own: %s)" % (
                        ", ".join(SCENARIOS), OVS_PSEUDO, ", ".join(SPECIAL)))
    ap.add_argument("--sizes", default="64,512,1518",
                    help="frame sizes in bytes, FCS included (default 64,512,1518)")
    ap.add_argument("--reps", type=int, default=3, help="runs of each side per size (default 3)")
    ap.add_argument("--seconds", type=int, default=5, help="measured seconds per run (default 5)")
    ap.add_argument("--warmup", type=int, default=1,
                    help="seconds of forwarding before the window opens (default 1)")
    ap.add_argument("--quick", action="store_true",
                    help="smoke test: 1 rep, 2 s, 64 B only (overrides the three above); "
                    "route-churn with 200,000 changes")
    ap.add_argument("--csv", default=DEFAULT_CSV,
                    help="results CSV to append to (fdb-learn.csv and route-churn.csv go "
                    "beside it)")
    ap.add_argument("--no-docs", action="store_true", help="do not regenerate docs/performance.md")
    ap.add_argument("--docs", default=DEFAULT_DOCS, help="performance page to regenerate")
    ap.add_argument("--docs-only", action="store_true",
                    help="only regenerate the performance page from the CSV")
    ap.add_argument("--no-build", action="store_true",
                    help="(bench/run.sh) skip deploy/setup.sh and the build (it still installs "
                    "Open vSwitch when the ovs scenario is requested and it is missing)")
    ap.add_argument("--lcores", default="0-1",
                    help="EAL -l for both sides: first lcore control, the rest forward")
    ap.add_argument("--workers", default="1,2,4,8",
                    help="scaling: worker counts to measure (default 1,2,4,8); those that need "
                    "more lcores than --lcores has are listed as not run")
    ap.add_argument("--learn-macs", type=int, default=200000,
                    help="fdb-learn: distinct source MACs to learn (default 200000)")
    ap.add_argument("--mem", type=int, default=512, help="EAL -m (MiB) for both sides")
    ap.add_argument("--sluiced", default=os.path.join(BUILD, "sluiced"))
    ap.add_argument("--sluicectl", default=None)
    ap.add_argument("--fib-churn", default=os.path.join(BUILD, "bench", "sluice-fib-churn"))
    ap.add_argument("--testpmd", default="dpdk-testpmd")
    a = ap.parse_args(argv)
    if a.quick:
        a.reps, a.seconds, a.sizes = 1, 2, "64"
    names = (list(SCENARIOS) + list(SPECIAL) + [OVS_PSEUDO] if a.scenario == "all"
             else a.scenario.split(","))
    for s in names:
        if s not in SCENARIOS and s not in SPECIAL and s != OVS_PSEUDO:
            ap.error("unknown scenario '%s' (known: %s, %s, %s)" % (
                s, ", ".join(SCENARIOS), ", ".join(SPECIAL), OVS_PSEUDO))
    a.with_ovs = OVS_PSEUDO in names
    # ovs adds OVS as a third side to the named scenarios that have an OVS set-up; alone, it
    # runs all of those.
    want = set(names) - {OVS_PSEUDO}
    if not want:
        want = {n for n, sc in SCENARIOS.items() if sc.ovs}
    a.scenarios = [n for n in SCENARIOS if n in want]
    a.specials = [n for n in SPECIAL if n in want]
    try:
        a.size_list = [int(s) for s in a.sizes.split(",")]
    except ValueError:
        ap.error("--sizes: comma-separated integers")
    for s in a.size_list:
        if not 64 <= s <= 1518:
            ap.error("--sizes: %d out of range 64-1518" % s)
    if a.reps < 1 or a.seconds < 1 or a.warmup < 1:
        ap.error("--reps, --seconds and --warmup must be >= 1")
    try:
        a.worker_counts = sorted(set(int(w) for w in a.workers.split(",")))
    except ValueError:
        ap.error("--workers: comma-separated integers")
    if a.worker_counts[0] < 1:
        ap.error("--workers: counts must be >= 1")
    if a.learn_macs < 1000:
        ap.error("--learn-macs: at least 1000")
    if a.sluicectl is None:
        a.sluicectl = os.path.join(BUILD, "sluicectl")
        if not os.access(a.sluicectl, os.X_OK):
            a.sluicectl = os.path.join(BUILD, "tools", "sluicectl")
    try:
        a.lcore_ids = lcore_list(a.lcores)
    except ValueError:
        ap.error("--lcores: a list like 0-1 or 0,2,3")
    # EAL makes the first lcore the main one (control thread); the others forward. lcore n
    # runs on CPU n with -l.
    a.fwd_cpus = set(a.lcore_ids[1:])
    a.workers = len(a.lcore_ids) - 1
    if a.workers < 1:
        ap.error("--lcores needs at least two lcores (control + one worker)")
    a.invocation = shlex.join(["bash", "bench/run.sh"] + argv)
    return a


def check_tools(cfg):
    """What the requested scenarios need: testpmd and root (hugepages) for the comparisons,
    sluiced for all but route-churn, the churn bench for route-churn."""
    need_testpmd = bool(cfg.scenarios) or SCALING in cfg.specials
    need_sluiced = need_testpmd or FDB_LEARN in cfg.specials
    if need_testpmd:
        found = shutil.which(cfg.testpmd)
        if not found:
            raise BenchError("%s not found (Debian: package dpdk)" % cfg.testpmd)
        cfg.testpmd = found
    for path in ((cfg.sluiced, cfg.sluicectl) if need_sluiced else ()) + (
            (cfg.fib_churn,) if ROUTE_CHURN in cfg.specials else ()):
        if not os.access(path, os.X_OK):
            raise BenchError("%s not built (ninja -C %s)" % (path, os.path.relpath(BUILD, ROOT)))
    if not need_sluiced:
        return
    if os.geteuid() != 0:
        raise BenchError("must run as root (hugepages, /var/run/dpdk)")
    try:
        with open("/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages") as f:
            free = int(f.read()) * 2
        if free < cfg.mem:
            log("warning: %d MiB of free 2 MiB hugepages, each run asks for %d" % (free, cfg.mem))
    except OSError:
        pass


class RunInfo:
    """What every row of one harness run shares, and the process-run counter."""

    def __init__(self, cfg, facts):
        self.now = datetime.datetime.now(datetime.timezone.utc)
        self.run_id = self.now.strftime("%Y%m%dT%H%M%SZ") + "-%d" % os.getpid()
        self.date = self.now.strftime("%Y-%m-%d %H:%M")
        self.facts = facts
        self.results_dir = os.path.dirname(os.path.abspath(cfg.csv))
        self.seq = 0


def measure_scenario(cfg, scen, info, rows, extra=None):
    """Every frame size and repetition of one scenario, the sides interleaved; a row per
    process run goes to rows (with `extra` columns)."""
    name = scen.name
    impls = [("testpmd", run_testpmd), ("sluice", run_sluice)]
    if cfg.with_ovs and scen.ovs:
        impls.append(("ovs", run_ovs))
    # Size-independent files (the l2-1m-macs pre-fill capture, ~80 MB) live in the run's
    # temp dir and go when the scenario is done.
    shared = {}
    for key, writer in scen.shared_files.items():
        shared["shared_" + key] = os.path.join(cfg.tmp, "%s-%s.pcap" % (name, key))
        writer(shared["shared_" + key])
    if scen.bulk_config:
        # Running-config lines (routes) every Sluice run of the scenario starts with.
        bulk = os.path.join(cfg.tmp, "%s.conf" % name)
        t = time.monotonic()
        scen.bulk_config(bulk)
        with open(bulk, "rb") as f:
            lines = sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b""))
        log("%s: %d running-config lines written in %.1f s" % (name, lines,
                                                               time.monotonic() - t))
    for size in cfg.size_list:
        # The frame files are kept (git-ignored) so the recorded commands can be re-run.
        files = dict(shared)
        for key, frames in scen.frame_sets(size).items():
            path = os.path.join(info.results_dir, "%s-%s%dB.pcap" % (
                name, key + "-" if key else "", size))
            write_pcap(path, frames)
            files["pcap_" + key if key else ""] = path
        if scen.bulk_config:
            files.update(bulk=bulk, bulk_lines=lines)
        fwd_check = fwd_error = None
        if scen.expected:
            info.seq += 1
            try:
                fwd_check = forwarding_check(cfg, scen, size, files, info.seq)
                log("%s %dB forwarding check: %s" % (name, size, fwd_check))
            except BenchError as e:
                fwd_error = str(e).splitlines()[0][:300]
                fwd_check = "FAILED: " + fwd_error
                log("%s %dB %s" % (name, size, fwd_check))
        for rep in range(1, cfg.reps + 1):
            # Interleaved, so drift and neighbours' load hit every side alike.
            for impl, fn in impls:
                info.seq += 1
                base = {"run_id": info.run_id, "date_utc": info.date,
                        "quick": int(cfg.quick), "scenario": name, "frame_bytes": size,
                        "impl": impl, "rep": rep, "reps": cfg.reps, "seconds": cfg.seconds,
                        "warmup_s": cfg.warmup, "bench_command": cfg.invocation,
                        **info.facts, **(extra or {})}
                try:
                    r = fn(cfg, scen, size, files, info.seq)
                    if impl == "sluice" and fwd_check:
                        r["forwarding_check"] = fwd_check
                        if fwd_error:
                            r["checks"] = "; ".join(
                                ([r["checks"]] if r["checks"] != "ok" else []) + [fwd_error])
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
    for path in shared.values():
        os.unlink(path)
    if scen.bulk_config:
        os.unlink(bulk)


def run(cfg):
    """Runs what cfg asks for; returns (run id, rows of the main CSV, whether the scenarios
    with CSVs of their own passed their checks)."""
    check_tools(cfg)
    cfg.tsc_hz = dmesg_tsc_hz()
    cfg.ovs_tools = ovs_tools() if cfg.with_ovs else None
    if cfg.with_ovs and cfg.ovs_tools is None:
        log("warning: Open vSwitch with DPDK is not installed: its runs are recorded as errors")
    facts = {"cpu_model": cpu_model(), "dpdk_version": dpdk_version(),
             "sluice_commit": sluice_commit(),
             "sluiced_sha256": file_sha256(cfg.sluiced) if os.path.exists(cfg.sluiced) else ""}
    info = RunInfo(cfg, facts)
    os.makedirs(info.results_dir, exist_ok=True)
    log("run %s: %s, %s, sluice %s, load average %.2f" % (
        info.run_id, facts["cpu_model"], facts["dpdk_version"], facts["sluice_commit"],
        os.getloadavg()[0]))
    rows = []
    for name in cfg.scenarios:
        measure_scenario(cfg, SCENARIOS[name], info, rows)
    if SCALING in cfg.specials:
        run_scaling(cfg, info, rows)
    if rows:
        finish_rows(cfg, rows)
        append_csv(cfg.csv, rows)
        log("appended %d rows to %s" % (len(rows), cfg.csv))
    ok = True
    if FDB_LEARN in cfg.specials:
        ok &= run_fdb_learn(cfg, info)
    if ROUTE_CHURN in cfg.specials:
        ok &= run_route_churn(cfg, info)
    return info.run_id, rows, ok


def finish_rows(cfg, rows):
    """Cycles/pkt, Gbit/s and number formats, with one TSC rate for the whole run: the
    kernel's calibration, else DPDK's in sluiced (`show version`, rounded to 10 MHz by
    DPDK), else the median of what the Sluice workers' cycle counters measured against wall
    time."""
    measured = [r["tsc_hz_measured"] for r in rows if r.get("tsc_hz_measured")]
    reported = [r["tsc_hz_sluiced"] for r in rows if r.get("tsc_hz_sluiced")]
    tsc = (cfg.tsc_hz or (statistics.median(reported) if reported else None)
           or (statistics.median(measured) if measured else None))
    if measured:
        log("TSC %.1f MHz (%s; sluiced says %s, its workers measured %.1f MHz)" % (
            tsc / 1e6, "kernel" if cfg.tsc_hz else "sluiced" if reported else "measured",
            "%.1f MHz" % (statistics.median(reported) / 1e6) if reported else "nothing",
            statistics.median(measured) / 1e6))
    for r in rows:
        r.pop("tsc_hz_measured", None)
        r.pop("tsc_hz_sluiced", None)
        r["tsc_hz"] = "%.0f" % tsc if tsc else ""
        if r["status"] == "ok":
            pps = r["mpps_per_core"] * 1e6
            r["cycles_per_packet"] = "%.2f" % (tsc / pps) if tsc and pps else ""
            r["gbps_per_core"] = "%.3f" % (pps * (r["frame_bytes"] + PREAMBLE_IFG) * 8 / 1e9)
            r["mpps_per_core"] = "%.4f" % r["mpps_per_core"]
            r["out_mpps_per_core"] = "%.4f" % r.get("out_mpps_per_core", pps / 1e6)
            if r.get("chain_mpps_per_core") is not None:
                r["chain_mpps_per_core"] = "%.4f" % r["chain_mpps_per_core"]
            if r["impl"] == "testpmd":
                r["checks"] = "ok"
            if isinstance(r.get("busy_cycles_per_packet"), float):
                r["busy_cycles_per_packet"] = "%.2f" % r["busy_cycles_per_packet"]


# ---- scenarios with their own runners ---------------------------------------------------------

def run_scaling(cfg, info, rows):
    """Multi-core scaling: for each --workers count that fits in --lcores (the first lcore is
    the control thread), the scaling scenario (one cross-connected port pair per worker) on
    that many workers, measured like the other scenarios; a count that does not fit gets a
    'skipped' row per frame size saying so, for the table."""
    for w in cfg.worker_counts:
        if w + 1 > len(cfg.lcore_ids):
            why = "needs %d lcores (control + %d workers), --lcores %s gives %d" % (
                w + 1, w, cfg.lcores, len(cfg.lcore_ids))
            log("scaling, %d workers: not run: %s" % (w, why))
            for size in cfg.size_list:
                rows.append({"run_id": info.run_id, "date_utc": info.date,
                             "quick": int(cfg.quick), "scenario": SCALING,
                             "frame_bytes": size, "impl": "sluice", "reps": cfg.reps,
                             "seconds": cfg.seconds, "workers": w, "status": "skipped",
                             "error": why, "accounting": "n/a",
                             "bench_command": cfg.invocation, **info.facts})
            continue
        sub = copy.copy(cfg)
        ids = cfg.lcore_ids[:w + 1]
        sub.lcores = ",".join(str(i) for i in ids)
        sub.workers = w
        sub.fwd_cpus = set(ids[1:])
        measure_scenario(sub, scaling_scenario(w), info, rows, {"workers": w})


LEARN_FIELDS = [
    "run_id", "date_utc", "quick", "rep", "reps", "macs", "status", "error", "learn_s",
    "macs_per_s", "learned", "learn_ring_full", "learn_events", "offered_mpps", "accounting",
    "accounting_detail", "other_cpu_cores", "load_avg", "exit_status", "cpu_model",
    "dpdk_version", "sluice_commit", "sluiced_sha256", "bench_command", "command",
]
LEARN_POLL = 0.02  # seconds between two `show bridge` while MACs are learned
LEARN_TIMEOUT = 120  # seconds to learn them all
MBUF_BYTES = 2432  # hugepage bytes per mbuf of the default data room, overhead included


def run_fdb_learn(cfg, info):
    """fdb-learn, cfg.reps times: new MACs learned per second (see learn_once). Appends to
    fdb-learn.csv beside the main CSV; True when every run learned all MACs and balanced."""
    n = cfg.learn_macs
    pcap = os.path.join(cfg.tmp, "fdb-learn-%d.pcap" % n)
    write_learn_pcap(pcap, n)
    rows = []
    try:
        for rep in range(1, cfg.reps + 1):
            info.seq += 1
            row = {"run_id": info.run_id, "date_utc": info.date, "quick": int(cfg.quick),
                   "rep": rep, "reps": cfg.reps, "macs": n, "load_avg": "%.2f" % os.getloadavg()[0],
                   "bench_command": cfg.invocation, **info.facts}
            try:
                row.update(learn_once(cfg, n, pcap, info.seq))
                row["status"] = "ok"
                log("fdb-learn rep %d/%d: %d MACs in %.3f s: %.0f MACs/s (offered %.2f Mpps, "
                    "%d learn events lost to a full ring), accounting %s" % (
                        rep, cfg.reps, n, row["learn_s"], row["macs_per_s"],
                        row["offered_mpps"], row["learn_ring_full"], row["accounting"]))
                for k in ("learn_s", "offered_mpps"):
                    row[k] = "%.4f" % row[k]
                row["macs_per_s"] = "%.0f" % row["macs_per_s"]
            except BenchError as e:
                row.update(status="error", error=str(e).splitlines()[0][:300],
                           accounting="n/a")
                log("fdb-learn rep %d/%d: ERROR: %s" % (rep, cfg.reps, e))
            rows.append(row)
    finally:
        os.unlink(pcap)
    path = os.path.join(info.results_dir, "fdb-learn.csv")
    append_csv(path, rows, LEARN_FIELDS)
    log("appended %d rows to %s" % (len(rows), path))
    print()
    for line in learn_table(rows):
        print(line)
    return all(r["status"] == "ok" and r["accounting"] == "ok" for r in rows)


def learn_once(cfg, n, pcap, seq):
    """One sluiced, no port; `port add` of a port that replays n frames from n new source
    MACs forever (VLAN 1, the default access VLAN; every frame floods to no member and is
    dropped as flood-no-members). The rate is n over the time from the `port add` reply to
    the first `show bridge` that says learned >= n: a worker offers new sources far faster
    than the control thread learns them, so this is the learning rate, learn events lost to
    a full learn ring included (their MACs come again on the next pass over the file).
    Then the port is deleted and the totals must balance: rx_packets = tx_packets + drops."""
    prefix = "bench-learn-%d-%d" % (os.getpid(), seq)
    d = os.path.join(cfg.tmp, "%d-learn" % seq)
    os.mkdir(d)
    sock, conf = os.path.join(d, "ctl.sock"), os.path.join(d, "running.conf")
    # infinite_rx loads the whole file into mbufs at port start: the pool must hold it, plus
    # what the rx bursts take.
    mbufs = (1 << (n + 32768).bit_length()) - 1
    mem = max(cfg.mem, -(-(mbufs * MBUF_BYTES // (1 << 20) + 256) // 256) * 256)
    fdb = max(1 << 20, n + n // 4)  # the FDB holds at least the default 1,048,576
    cmd = [cfg.sluiced, "-f", "/dev/null", "-s", sock, "-c", conf, "--busy-poll",
           "--mbufs", str(mbufs), "--fdb-entries", str(fdb), "--",
           "-l", cfg.lcores, "--no-pci", "--file-prefix", prefix, "-m", str(mem)]
    ctl_prefix = [cfg.sluicectl, "-s", sock]
    devargs = "net_pcap0,rx_pcap=%s,infinite_rx=1" % pcap
    cmds = ["# %s: bench/scenarios.py write_learn_pcap(%d)" % (pcap, n), shlex.join(cmd) + " &"]

    def note(line, comment=""):
        cmds.append(shlex.join(ctl_prefix + line.split()) + ("  # " + comment if comment else ""))

    row = {}
    p = Proc(cmd, os.path.join(d, "sluiced.log"), prefix)
    ctl = None
    try:
        ctl, _ = connect_sluiced(p, sock)
        note("stats clear")
        ctl("stats clear")
        note("port add in " + devargs, "timed: the clock starts at the reply")
        load0 = cpu_sample(p.pid, set(cfg.lcore_ids))
        ctl("port add in " + devargs)
        t0 = time.monotonic()
        note("show bridge", "every %.0f ms until learned >= %d; the clock stops at the reply" % (
            LEARN_POLL * 1e3, n))
        while True:
            b, t1 = ctl.timed("show bridge")
            if b["learned"] >= n:
                break
            if b["table_full"]:
                raise BenchError("fdb-learn: table_full %d (learned %d of %d)" % (
                    b["table_full"], b["learned"], n))
            if t1 - t0 > LEARN_TIMEOUT:
                raise BenchError("fdb-learn: learned %d of %d in %d s" % (
                    b["learned"], n, LEARN_TIMEOUT))
            time.sleep(LEARN_POLL)
        offered = next(x["ipackets"] for x in ctl("show stats")["ports"] if x["name"] == "in")
        row["other_cpu_cores"], _ = other_load(load0, cpu_sample(p.pid, set(cfg.lcore_ids)))
        note("port del in", "no packet in flight after this")
        ctl("port del in")
        note("show stats", "rx_packets == tx_packets + drops")
        f0 = ctl("show stats")
        time.sleep(QUIESCE_WAIT)
        f1 = ctl("show stats")
    finally:
        if ctl:
            ctl.close()
        row["exit_status"] = p.stop(signal.SIGTERM)
    row["command"] = " ; ".join(cmds)
    dt = t1 - t0
    row.update(learn_s=dt, macs_per_s=n / dt, learned=b["learned"],
               learn_ring_full=b["learn_ring_full"], learn_events=b["learn_events"],
               offered_mpps=offered / dt / 1e6)
    r0, t0_, d0, _ = sums(f0)
    r1, t1_, d1, drops = sums(f1)
    detail = "rx %d = tx %d + drops %d (%s)" % (
        r1, t1_, d1, ", ".join("%s %d" % kv for kv in drops.items() if kv[1]) or "none")
    if (r0, t0_, d0) != (r1, t1_, d1):
        row["accounting"] = "FAIL"
        detail = "counters still moving after the port was deleted: " + detail
    elif r1 != t1_ + d1 or r1 == 0:
        row["accounting"] = "FAIL"
    else:
        row["accounting"] = "ok"
    row["accounting_detail"] = detail
    return row


def learn_table(rows):
    """Markdown table of one fdb-learn run's rows (console and performance page)."""
    ok = [r for r in rows if r["status"] == "ok"]
    col = lambda k: [fnum(r[k]) for r in ok]  # noqa: E731
    bad = [r for r in rows if r["status"] != "ok" or r["accounting"] != "ok"]
    if not ok:
        return ["fdb-learn: no successful run: %s" % bad[0].get("error")]
    out = ["| MACs | time to learn them all (s) | **MACs learned/s** | learn events lost to a "
           "full learn ring (learned on a later pass) | frames offered (Mpps) | other load "
           "(cores) | load average | accounting |", "|" + "---|" * 8]
    out.append("| %s | %s | **%s** | %s | %s | %s | %s | %s |" % (
        format(int(rows[0]["macs"]), ","), spread(col("learn_s"), "%.3f"),
        spread_int(col("macs_per_s")), spread_int(col("learn_ring_full")),
        spread(col("offered_mpps"), "%.2f"), spread(col("other_cpu_cores"), "%.2f"),
        spread(col("load_avg"), "%.2f"),
        "ok (%d/%d runs)" % (len(ok), len(rows)) if not bad else
        "FAILED: %s" % (bad[0].get("error") or bad[0]["accounting_detail"])))
    return out


CHURN_FIELDS = [
    "run_id", "date_utc", "quick", "family", "routes", "changes", "status", "error",
    "changes_per_s", "lookups_mps", "lookups_mps_after", "gap_percentiles_us", "max_stall_us",
    "max_stall_after_us", "gaps_ge_10us_per_s", "gaps_ge_10us_per_s_after", "wrong",
    "exit_status", "load_before", "load_after", "cpu_model", "dpdk_version", "sluice_commit",
    "bench_command", "command",
]
CHURN_CHANGES, CHURN_CHANGES_QUICK = 2000000, 200000
CHURN_TIMEOUT = 600


def churn_section_path(results_dir):
    return os.path.join(results_dir, "route-churn.md")


def run_route_churn(cfg, info):
    """bench/fib_churn.c (sluice-fib-churn) on --lcores: the control lcore churns routes, the
    others read. Its markdown goes, with a header, to route-churn.md beside the main CSV
    (full runs only: a --quick run does not replace it) for the performance page; key figures
    per family to route-churn.csv. True when it exits 0 (no wrong lookup result)."""
    changes = CHURN_CHANGES_QUICK if cfg.quick else CHURN_CHANGES
    prefix = "bench-churn-%d" % os.getpid()
    cmd = [cfg.fib_churn, "-l", cfg.lcores, "--no-pci", "--no-huge", "--no-shconf",
           "--no-telemetry", "-m", "256", "--file-prefix", prefix, "--log-level",
           "lib.eal:warning", "--", "--changes", str(changes)]
    load0 = os.getloadavg()[0]
    log("route-churn: %s (load average %.2f)" % (shlex.join(cmd), load0))
    p = Proc(cmd, os.path.join(cfg.tmp, "route-churn.out"), prefix)
    try:
        p.p.wait(CHURN_TIMEOUT)
    except subprocess.TimeoutExpired:
        log("route-churn: no result within %d s" % CHURN_TIMEOUT)
    status = p.stop(signal.SIGTERM)
    load1 = os.getloadavg()[0]
    text = p.output()
    print(text)
    log("route-churn: exit status %s%s" % (status, {
        0: " (every lookup right)", 3: ": WRONG LOOKUP RESULTS (see above)"}.get(status, "")))
    rows = []
    for fam, routes, body in re.findall(r"^### IPv(\d): ([\d,]+) unchanged routes.*?\n(.*?)"
                                        r"(?=^### |\Z)", text, re.S | re.M):
        rows.append(dict({"run_id": info.run_id, "date_utc": info.date, "quick": int(cfg.quick),
                          "family": "IPv" + fam, "routes": routes.replace(",", ""),
                          "changes": changes,
                          "exit_status": status, "load_before": "%.2f" % load0,
                          "load_after": "%.2f" % load1, "bench_command": cfg.invocation,
                          "command": shlex.join(cmd).replace(ROOT + "/", "")}, **info.facts,
                         **churn_figures(body)))
    if not rows:
        rows.append({"run_id": info.run_id, "date_utc": info.date, "quick": int(cfg.quick),
                     "status": "error", "exit_status": status,
                     "error": "no result (exit status %s): %s" % (
                         status, " ".join(text.strip().splitlines()[-3:])[:300]),
                     "bench_command": cfg.invocation, **info.facts})
    path = os.path.join(info.results_dir, "route-churn.csv")
    append_csv(path, rows, CHURN_FIELDS)
    log("appended %d rows to %s" % (len(rows), path))
    if rows[0]["status"] == "ok" and not cfg.quick:
        head = ["Run %s (%s UTC), Sluice `%s`, %s, load average %.2f before and %.2f after "
                "(1 min, `uptime`); exit status %s%s." % (
                    info.run_id, info.date, info.facts["sluice_commit"],
                    info.facts["dpdk_version"], load0, load1, status,
                    " (0: no wrong result)" if status == 0 else
                    " (**3: wrong lookup results**)" if status == 3 else ""), "",
                "Produced by `%s`, which ran:" % cfg.invocation, "", "```sh",
                shlex.join(cmd).replace(ROOT + "/", ""), "```", ""]
        body = text[text.index("Route churn"):] if "Route churn" in text else text
        with open(churn_section_path(info.results_dir) + ".tmp", "w") as f:
            f.write("\n".join(head) + "\n" + body.strip() + "\n")
        os.replace(churn_section_path(info.results_dir) + ".tmp",
                   churn_section_path(info.results_dir))
    return status == 0


def churn_figures(body):
    """Key figures of one family's section of sluice-fib-churn's output."""
    def two(label):
        m = re.search(r"^\| %s \| (.*?) \| (.*?) \|$" % re.escape(label), body, re.M)
        return (m.group(1), m.group(2)) if m else ("", "")

    def num(v):
        m = re.search(r"[\d,]+(?:\.\d+)?", v)
        return m.group(0).replace(",", "") if m else ""

    m = re.search(r"^\| \*\*route changes/s\*\*.*?\| \*\*([\d,]+)\*\* \|$", body, re.M)
    look = two("lookups (bursts of 32)")
    stall = two("longest burst gap = stall (us)")
    wrong = two("**wrong results** (miss or wrong next hop)")
    g10 = two("burst gaps >= 10 us: count (per second)")
    per_s = [re.search(r"\(([\d.]+)/s\)", v) for v in g10]
    if not m:
        return {"status": "error", "error": "no route changes/s in the output"}
    return {
        "status": "ok", "changes_per_s": m.group(1).replace(",", ""),
        "lookups_mps": num(look[0]), "lookups_mps_after": num(look[1]),
        "gap_percentiles_us": two("burst gap p50 / p99 / p99.9 / p99.99 (us)")[0],
        "max_stall_us": num(stall[0]), "max_stall_after_us": num(stall[1]),
        "gaps_ge_10us_per_s": per_s[0].group(1) if per_s[0] else "",
        "gaps_ge_10us_per_s_after": per_s[1].group(1) if per_s[1] else "",
        "wrong": str(sum(int(num(v) or 0) for v in wrong)),
    }


# ---- CSV --------------------------------------------------------------------------------------

def read_csv(path):
    if not os.path.exists(path) or os.path.getsize(path) == 0:
        return [], []
    with open(path, newline="") as f:
        rd = csv.DictReader(f)
        return list(rd), rd.fieldnames or []


def append_csv(path, rows, columns=CSV_FIELDS):
    old, fields = read_csv(path)
    if old and fields != columns:
        # Columns changed since the file was started: rewrite it once with the union.
        union = columns + [f for f in fields if f not in columns]
        with open(path + ".tmp", "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=union, restval="")
            w.writeheader()
            w.writerows(old)
        os.replace(path + ".tmp", path)
        fields = union
    new = not old and (not os.path.exists(path) or os.path.getsize(path) == 0)
    with open(path, "a", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields if old else columns, restval="",
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


def spread_int(vals):
    """spread() of whole numbers, with thousands separators."""
    vals = [v for v in vals if v is not None]
    if not vals:
        return "–"
    med = format(round(statistics.median(vals)), ",")
    if len(vals) == 1:
        return med
    return "%s (%s–%s)" % (med, format(round(min(vals)), ","), format(round(max(vals)), ","))


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
        impls = ["testpmd", "sluice"] + (["ovs"] if any(r["impl"] == "ovs" for r in sel) else [])
        side = {i: [r for r in sel if r["impl"] == i] for i in impls}
        ok = {i: [r for r in side[i] if r["status"] == "ok"] for i in side}
        col = lambda i, f: [fnum(r.get(f)) for r in ok[i]]  # noqa: E731
        s = {"scenario": scen, "size": size, "impls": impls,
             "tp_mpps": col("testpmd", "mpps_per_core"), "sl_mpps": col("sluice", "mpps_per_core"),
             "sl_out": col("sluice", "out_mpps_per_core"),
             "tp_chain": [v for v in col("testpmd", "chain_mpps_per_core") if v is not None],
             "sl_chain": [v for v in col("sluice", "chain_mpps_per_core") if v is not None],
             "tp_cpp": col("testpmd", "cycles_per_packet"),
             "sl_cpp": col("sluice", "cycles_per_packet"),
             "sl_busy": col("sluice", "busy_cycles_per_packet"),
             "tp_gbps": col("testpmd", "gbps_per_core"), "sl_gbps": col("sluice", "gbps_per_core"),
             "drops": sum(int(r["window_drops"] or 0) for r in ok["sluice"]),
             "floods": [fnum(r.get("window_floods")) for r in ok["sluice"]
                        if r.get("window_floods") not in (None, "")],
             "fdb": [fnum(r.get("fdb_entries")) for r in ok["sluice"]
                     if r.get("fdb_entries") not in (None, "")],
             "fib": [fnum(r.get("fib_routes")) for r in ok["sluice"]
                     if r.get("fib_routes") not in (None, "")],
             "fib_mb": [fnum(r.get("fib_bytes")) / 2**20 for r in ok["sluice"]
                        if r.get("fib_bytes") not in (None, "")],
             "punts": [fnum(r.get("window_punts")) for r in ok["sluice"]
                       if r.get("window_punts") not in (None, "")],
             "load": [fnum(r.get("other_cpu_cores")) for i in impls for r in ok[i]]}
        if "ovs" in impls:
            s.update(ov_mpps=col("ovs", "mpps_per_core"), ov_cpp=col("ovs", "cycles_per_packet"),
                     ov_busy=col("ovs", "busy_cycles_per_packet"))
        problems, ovs_problems = [], []
        for i in side:
            lst = ovs_problems if i == "ovs" else problems
            errs = [r for r in side[i] if r["status"] != "ok"]
            if errs:
                lst.append("%d %s run(s) failed: %s" % (len(errs), i, errs[0]["error"]))
            bad = [r for r in ok[i] if r["accounting"] != "ok"]
            if bad:
                lst.append("%s accounting FAILED: %s" % (i, bad[0]["accounting_detail"]))
            chk = [r for r in ok[i] if r.get("checks") not in (None, "", "ok")]
            if chk:
                lst.append("%s check FAILED: %s" % (i, chk[0]["checks"]))
            if not side[i]:
                lst.append("no %s run" % i)
        s["problems"], s["ovs_problems"] = problems, ovs_problems
        s["accounting"] = ("ok (%d/%d runs)" % (len(ok["sluice"]), len(side["sluice"]))
                           if not any("sluice accounting" in p for p in problems) else "FAILED")
        if problems or not s["tp_mpps"] or not s["sl_mpps"]:
            s["ratio"] = s["best_ratio"] = None
        else:
            s["ratio"] = statistics.median(s["sl_mpps"]) / statistics.median(s["tp_mpps"])
            # Neighbours only ever slow a run down, so the best runs are the least disturbed.
            s["best_ratio"] = max(s["sl_mpps"]) / max(s["tp_mpps"])
        s["sl_ov"] = s["ov_tp"] = None
        if "ovs" in impls and not ovs_problems and s["ov_mpps"]:
            if s["sl_mpps"] and not problems:
                s["sl_ov"] = statistics.median(s["sl_mpps"]) / statistics.median(s["ov_mpps"])
            if s["tp_mpps"]:
                s["ov_tp"] = statistics.median(s["ov_mpps"]) / statistics.median(s["tp_mpps"])
        out.append(s)
    return out


def ratio_str(v):
    return "%.3f" % v if v is not None else "refused"


def table(summaries, rate="tx", rate_port=None, chain_port=None):
    ovs = any("ovs" in s["impls"] for s in summaries)
    hop = " (%s tx)" % rate_port if rate_port else ""
    head = ["Frame (B)", "testpmd io Mpps/core" + hop,
            ("Sluice Mpps/core" if rate == "tx" else "Sluice input Mpps/core") + hop]
    if rate == "rx":
        head.append("Sluice output Mpps/core (copies)")
    head += ["Sluice/testpmd", "best/best"]
    if chain_port:
        head += ["testpmd chain Mpps/core (%s tx)" % chain_port,
                 "Sluice chain Mpps/core (%s tx)" % chain_port]
    if ovs:
        head += ["OVS Mpps/core", "Sluice/OVS", "OVS/testpmd"]
    head += ["testpmd cycles/pkt", "Sluice cycles/pkt", "Sluice busy cycles/pkt"]
    if ovs:
        head += ["OVS PMD cycles/pkt"]
    head += ["Sluice Gbit/s/core", "Other load on fwd core", "Sluice accounting"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for s in summaries:
        acct = s["accounting"]
        if s["drops"]:
            acct += ", %d counted drops in the windows" % s["drops"]
        if s["fdb"]:
            acct += ", FDB %s entries" % spread(s["fdb"], "%.0f")
        if s["fib"]:
            # The same table in every run: one figure unless they differ.
            acct += ", FIB %s routes (%s MiB)" % tuple(
                spread(v, "%.0f") if min(v) != max(v) else "%.0f" % v[0]
                for v in (s["fib"], s["fib_mb"]))
        if any(s["punts"]):
            acct += ", %s punted in window" % spread(s["punts"], "%.0f")
        if s["floods"] and rate == "tx":
            acct += ", %s flooded in window" % spread(s["floods"], "%.0f")
        cells = ["%d" % s["size"], spread(s["tp_mpps"], "%.2f"), spread(s["sl_mpps"], "%.2f")]
        if rate == "rx":
            cells.append(spread(s["sl_out"], "%.2f"))
        cells += [ratio_str(s["ratio"]), ratio_str(s["best_ratio"])]
        if chain_port:
            cells += [spread(s["tp_chain"], "%.2f"), spread(s["sl_chain"], "%.2f")]
        if ovs:
            cells += [spread(s.get("ov_mpps", []), "%.2f"), ratio_str(s["sl_ov"]),
                      ratio_str(s["ov_tp"])]
        cells += [spread(s["tp_cpp"], "%.1f"), spread(s["sl_cpp"], "%.1f"),
                  spread(s["sl_busy"], "%.1f")]
        if ovs:
            cells.append(spread(s.get("ov_busy", []), "%.1f"))
        cells += [spread(s["sl_gbps"], "%.2f"), spread(s["load"], "%.2f"), acct]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def table_args(scen):
    return (scen.rate, scen.rate_port, scen.chain_port) if scen else ("tx", None, None)


def report(run_id, rows):
    """Console summary of one run; returns True when every size may report a ratio."""
    ok = True
    for scen in dict.fromkeys(r["scenario"] for r in rows):
        sel = [r for r in rows if r["scenario"] == scen]
        if scen == SCALING:
            print()
            lines, problems = scaling_table(sel)
            for line in lines + problems:
                print(line)
            ok &= not problems
            continue
        r0 = sel[0]
        print()
        print("scenario %s: %s" % (scen, SCENARIOS[scen].title if scen in SCENARIOS else scen))
        print("CPU %s | %s | sluice %s | TSC %s MHz | %s x %s s, interleaved" % (
            r0["cpu_model"], r0["dpdk_version"], r0["sluice_commit"],
            "%.1f" % (float(r0["tsc_hz"]) / 1e6) if r0["tsc_hz"] else "?", r0["reps"],
            r0["seconds"]))
        sums_ = summarize(sel)
        sc = SCENARIOS.get(scen)
        for line in table(sums_, *table_args(sc)):
            print(line)
        for s in sums_:
            for p in s["problems"]:
                print("%d B: %s" % (s["size"], p))
                ok = False
            for p in s["ovs_problems"]:
                print("%d B: OVS: %s" % (s["size"], p))
            if s["ratio"] is None and not s["problems"]:
                ok = False
        for line in target_lines(scen, sums_):
            print(line)
    print()
    if not rows:
        return ok
    if ok:
        print("accounting: ok (every packet Sluice received was sent or counted as a drop)")
    else:
        print("accounting: FAILED or runs missing: no ratio reported where marked 'refused'")
    return ok


TARGETS = {
    # scenario: [(label, summary key, minimum)]
    "l2-trunk-access": [("Sluice >= 0.60 x testpmd io", "ratio", 0.60),
                        ("Sluice >= 4 x OVS NORMAL", "sl_ov", 4.0)],
    "l2-1m-macs": [("Sluice >= 0.45 x testpmd io", "ratio", 0.45)],
    "ipv4-100k": [("Sluice >= 0.55 x testpmd io", "ratio", 0.55)],
    "ipv6-100k": [("Sluice >= 0.50 x testpmd io", "ratio", 0.50)],
}


def target_lines(scen, sums_):
    """'target ...: met / MISSED' per issue target and frame size (64 B is the one that
    counts: the targets are per-packet costs)."""
    out = []
    for label, key, minimum in TARGETS.get(scen, []):
        cells = []
        for s in sums_:
            v = s.get(key)
            if key == "sl_ov" and "ovs" not in s["impls"]:
                continue
            cell = "%d B %s" % (s["size"], "refused" if v is None else "%.2f %s" % (
                v, "met" if v >= minimum else "MISSED"))
            best = s.get("best_ratio") if key == "ratio" else None
            # A slow testpmd run or two can move the medians across the line: say so.
            if v is not None and best is not None and (v >= minimum) != (best >= minimum):
                cell += " (best/best %.2f: %s)" % (best, "met" if best >= minimum else "MISSED")
            cells.append(cell)
        if cells:
            out.append("target %s: %s" % (label, ", ".join(cells)))
    return out


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
    """The recorded commands, one a line: paths under the repository made relative, the
    harness's temp dir named once as $BENCH_TMP and the per-run control socket as $SOCK."""
    lines = [c.replace(ROOT + "/", "") for c in command.split(" ; ")]
    head = []
    m = re.search(r"(/\S*?/sluice-bench\.[^/\s]+)/", command)
    if m:
        tmp = m.group(1)
        head.append("BENCH_TMP=%s  # the harness's temp dir (mktemp -d)" % tmp)
        lines = [c.replace(tmp + "/", "$BENCH_TMP/") for c in lines]
    m = next((re.search(r" -s (\S+ctl\.sock) ", c) for c in lines
              if re.search(r" -s (\S+ctl\.sock) ", c)), None)
    if m:
        sock = m.group(1)
        head.append("SOCK=" + sock)
        lines = [c.replace(" " + sock + " ", ' "$SOCK" ') for c in lines]
    return head + lines


METHOD = """\
## How it is measured

* `make bench` (= `bash bench/run.sh`) sets up the host, builds, and runs
  `bench/bench.py`. Options: `--scenario xconnect` (a comma-separated list, or `all`;
  scenarios: {scenarios}; `ovs` adds Open vSwitch as a third side to the named scenarios
  that have an OVS set-up, or alone to all of them: `xconnect` and `l2-trunk-access`;
  with runners and sections of their own: {specials}),
  `--sizes 64,512,1518`, `--reps 3`, `--seconds 5`,
  `--warmup 1`, `--quick` (1 rep, 2 s, 64 B), `--lcores 0-1`, `--workers 1,2,4,8`,
  `--learn-macs 200000`, `--csv PATH`, `--no-docs`, `--no-build`,
  `--docs-only`. `bash bench/run.sh --scenario ovs` (or `all`) installs the Debian package
  `openvswitch-switch-dpdk` first if it is missing (`deploy/setup.sh --with-ovs`); nothing
  else needs it. The plot at the top needs `python3-matplotlib`, which `bench/run.sh`
  installs when it is missing; without it the page is written with no plot.
* Traffic stays inside the measured process: two busy-polling processes on a
  2-core machine would starve each other. Every port is `net_pcap` with
  `rx_pcap=FILE,infinite_rx=1` and no tx argument: it replays the file forever
  (each rx burst allocates mbufs and copies the frames in) and its tx side counts and
  frees what it is given. Every side gets byte-identical devargs. (`tx_pcap=/dev/null`
  would cost a `pcap_dump` per packet and a write(2) per burst, and would measure
  libpcap: testpmd io fell from about 63 to 15 Mpps with it.) A port without
  `infinite_rx` reads its file once, then receives nothing (flood sinks: an empty file).
* vhost-user scenarios (`vhost-vhost`, `pvp-style`): the chain of ports (net_pcap,
  net_vhost, net_virtio_user) lives in the one measured process, EAL
  `--in-memory --single-file-segments` on both sides so the vhost backend can map the
  front end's memory. Each net_vhost port is the server of a socket in a fresh
  directory per process run, created when the port starts; the virtio_user ports come
  after it (testpmd: `port attach` from a `--cmdline-file`, which non-interactive testpmd
  runs after starting its --vdev ports and before forwarding; `set portlist` gives the
  io pairs). Mpps/core is then the frames sent out of the hop's egress port per second
  (testpmd: that port's own Tx-pps; Sluice: the port's share of the workers' tx_packets
  in the window times their rate), the chain column the same for the last port.
* Frames are Ethernet/IPv4/UDP (Ethernet/IPv6/UDP in the IPv6 routing scenarios, where
  a 64 B frame, too small for UDP, carries an IPv6 header with No Next Header). Sizes
  count the 4-byte FCS a NIC would add (RFC 2544), so a 64 B frame is 60 bytes in the
  pcap and 1518 B fits MTU 1500; an 802.1Q-tagged copy of a frame is 4 bytes longer.
* testpmd: `--stats-period 1`; the rate is the mean of its own per-second Tx-pps
  (all ports) over the measured seconds, after the first period (warm-up).
* Sluice: `sluiced --busy-poll`. Ports and settings are added with `sluicectl`, or, for
  the L2 and routing scenarios, written into the running config before sluiced starts: the
  start-up replay applies every line before a worker sees a port, so no frame is switched
  in the default VLAN first, and a routing scenario's 100,000s of routes are all in the FIB
  when the first frame comes (the replay of 1,000,000 routes takes about 7 s; the harness
  waits up to 20 s + 1 s per 20,000 routes for sluiced to answer). After the warm-up
  (1 s) the rate is the workers' tx_packets delta (rx_packets for `l2-flood`, whose
  output column counts the copies) between two
  `show workers` sent over the control socket, over the time between them: each
  worker's busy + idle cycles (they span exactly the loop iterations its counters
  cover) when the TSC rate is known, else the wall time.
* Open vSwitch (`ovs`): the Debian build with DPDK (`ovs-vswitchd-dpdk`), with its own
  `ovsdb-server`, both started by the harness with OVS_RUNDIR, OVS_DBDIR, OVS_LOGDIR and
  OVS_SYSCONFDIR in a temp dir (removed after; a system OVS is never touched):
  `dpdk-init=true`, `dpdk-extra=--no-pci --file-prefix ...`, `dpdk-lcore-mask` = the control
  core, `pmd-cpu-mask` = the forwarding core (exactly one PMD thread, checked with
  `dpif-netdev/pmd-rxq-show`), `dpdk-socket-mem` = the `-m` of the other sides. A
  `datapath_type=netdev` bridge in `fail-mode=secure` with the OpenFlow rules of the
  scenario (cross-connect: `in_port=1,actions=output:2` and back; L2: `actions=NORMAL`
  with `trunks`/`tag` on the ports, bridge port `no-flood`), then all `type=dpdk` ports in
  one transaction. The rate is the ports' TX packets delta (`ovs-appctl dpctl/show -s`,
  which reads the devices) over the wall time between the two reads; PMD cycles/pkt is
  `processing cycles / packets received` of `dpif-netdev/pmd-stats-show` over the window.
* Runs interleave (testpmd, Sluice[, OVS], testpmd, ...). Tables give the median and, in
  brackets, min–max over the repetitions. Sluice/testpmd is the ratio of the
  medians; best/best that of the fastest runs (other load only ever slows a run
  down, so on a shared machine the best runs are the least disturbed ones).
* Other load: how much of the forwarding core(s) other processes took during the
  measured window (/proc/stat for those CPUs minus the measured process's threads
  there), in cores. Anything well above 0 was taken from the forwarding thread: the
  run is disturbed.
* Mpps/core: packets sent per second per forwarding core (all directions together).
  Cycles/pkt: TSC Hz / that rate (the kernel's TSC calibration, else sluiced's
  `show version` tsc_hz, else measured from the Sluice workers' cycle counters). Busy
  cycles/pkt: Sluice's own busy cycles / rx packets in the window (`show workers`).
  Gbit/s: rate × (frame + 20 B preamble and gap) × 8.
* No NIC is involved: rx copies every frame out of the replay buffer, so large
  frames mostly measure memcpy, and Gbit/s far above any port speed are normal.
* Accounting: Sluice's counters are zero when the first port appears (`stats clear`
  before any port exists, or a fresh process that replays its config), and after the
  window every port is deleted (routing scenarios: their interfaces first, with
  `interface del`), so nothing is in flight. Then `show stats` must show rx_packets +
  injected + (copies − 1) × flooded = tx_packets + every counted drop + punted, unchanged
  0.2 s later (copies: the ports a flooded frame goes to; flooded: `show vlans`, read with
  flooding turned off so the VLAN is still listed once its ports are gone; punted: handed
  to the control thread, injected: sent by a worker for it, both 0 but in the routing
  scenarios, whose interfaces are deleted under traffic and then punt for ARP/ND); for a
  scenario with one output per input that is rx_packets = tx_packets + drops. testpmd's
  accumulated RX-packets must equal its TX-total. OVS keeps forwarding until it is
  stopped, so its check is looser: rx − tx − port drops − datapath drops (coverage
  counters) must stay within what moves in 0.2 s. A size whose Sluice or testpmd runs fail
  a check, or crash, gets no ratio (`refused`); failed OVS runs refuse only the OVS ratios.
* Checks (L2 scenarios): `show bridge` entries must reach the scenario's minimum before
  the window opens, and no frame may be flooded in the VLAN inside it (every destination
  is learned); a run that fails them is refused.
* Checks (routing scenarios): `show fib` must count at least the scenario's routes of the
  family (the table's size column: static plus the interfaces' connected and local
  routes; its memory in MiB beside it) with no chunk allocation failure before the window
  opens, and `show stats` punted must not move inside it (static neighbours: nothing to
  resolve). Before the measured runs of each frame size, a forwarding check starts sluiced
  with the same running config but ports that read their file once and write what they
  send to a pcap (`rx_pcap=FILE,tx_pcap=OUT`): once all frames are in and accounted for,
  each port's capture must hold exactly the frames the scenario expects, byte for byte
  (routed out of the other port, TTL / hop limit 64 → 63, IPv4 checksum updated, the
  egress interface's MAC to its neighbour's). A failure refuses the size.
"""


def commands_block(sel, impls):
    o = []
    for impl in impls:
        ex = next((r for r in sel if r["impl"] == impl), None)
        if ex is None:
            continue
        o += ["%s, first repetition at %d B (other sizes differ only in the pcap files):" % (
            {"testpmd": "testpmd", "sluice": "Sluice", "ovs": "Open vSwitch"}[impl],
            int(ex["frame_bytes"])), "", "```sh"]
        o += readable_commands(ex["command"])
        o += ["```", ""]
    return o


def write_docs(csv_path, docs_path):
    rows, _ = read_csv(csv_path)
    results_dir = os.path.dirname(os.path.abspath(csv_path))
    rel_csv = os.path.relpath(csv_path, ROOT)
    head = []
    head += ["<!-- Generated by bench/bench.py from %s (and fdb-learn.csv, route-churn.csv," % (
             rel_csv),
             "     route-churn.md beside it). Do not edit: run `make bench`, or",
             "     `bash bench/run.sh --docs-only` after editing the CSV. -->",
             "# Performance", "",
             "How fast Sluice forwards on one worker core, next to `dpdk-testpmd --forward-mode=io`",
             "measured in the same run, on the same virtual devices, with the same frames (and,",
             "for some scenarios, next to Open vSwitch with DPDK). The ratio is what to watch:",
             "absolute rates depend on the machine (and on whatever else shares it), the ratio",
             "much less. Further down: multi-core scaling, the FDB learning rate and route churn",
             "(FIB updates while workers look up). For servers with NICs and a traffic generator,",
             "see [bench-hardware.md](bench-hardware.md).", ""]
    o = METHOD.format(scenarios=", ".join("`%s`" % n for n in SCENARIOS),
                      specials=", ".join("`%s` (%s)" % kv for kv in SPECIAL.items())).splitlines()
    o.append("")
    if not rows:
        o += ["No results yet: run `make bench`.", ""]
    runs = runs_by_scenario(rows)
    runs.pop(SCALING, None)  # a section of its own, below
    ovs_sel = []
    plot_items = []
    for scen, run_ids in runs.items():
        full = [rid for rid in run_ids
                if any(r["run_id"] == rid and r["quick"] != "1" for r in rows)]
        rid = (full or run_ids)[0]
        sel = [r for r in rows if r["run_id"] == rid and r["scenario"] == scen]
        # The OVS table takes the newest run that has OVS rows for the scenario.
        with_ovs = [x for x in (full or run_ids)
                    if any(r["run_id"] == x and r["scenario"] == scen and r["impl"] == "ovs"
                           for r in rows)]
        if with_ovs:
            ovs_sel.append((scen, [r for r in rows if r["run_id"] == with_ovs[0]
                                   and r["scenario"] == scen]))
        r0 = sel[0]
        s = SCENARIOS.get(scen)
        o += ["## %s" % (s.title if s else scen), "", "Scenario `%s`." % scen, ""]
        if s:
            o += [s.description, ""]
        o += ["Run %s (%s UTC): %s, %s, Sluice `%s` (sluiced sha256 %s…), TSC %s MHz, "
              "%s × %s s per side and size, interleaved." % (
                  rid, r0["date_utc"], r0["cpu_model"], r0["dpdk_version"], r0["sluice_commit"],
                  r0["sluiced_sha256"],
                  "%.1f" % (float(r0["tsc_hz"]) / 1e6) if r0["tsc_hz"] else "?",
                  r0["reps"], r0["seconds"]), ""]
        sm = summarize(sel)
        plot_items += [(scen, x["size"],
                        statistics.median(x["tp_mpps"]) if x["tp_mpps"] else None,
                        statistics.median(x["sl_mpps"]) if x["sl_mpps"] else None, x["ratio"])
                       for x in sm]
        o += table(sm, *table_args(s))
        o.append("")
        notes = ["* %d B: %s" % (x["size"], p) for x in sm for p in x["problems"]]
        notes += ["* %d B: OVS: %s" % (x["size"], p) for x in sm for p in x["ovs_problems"]]
        notes += ["* %s" % t for t in target_lines(scen, sm)]
        checked = {}
        for r in sel:
            if r["impl"] == "sluice" and r.get("forwarding_check"):
                checked.setdefault(int(r["frame_bytes"]), r["forwarding_check"])
        notes += ["* %d B forwarding check (once, before the runs): %s" % kv
                  for kv in sorted(checked.items())]
        pre = [re.findall(r"[\d.]+", r["prefill"]) for r in sel if r.get("prefill")]
        if pre:
            col_ = lambda i, f: spread([float(x[i]) for x in pre], f)  # noqa: E731
            notes.append("* FDB pre-fill (%d Sluice runs): %s passes over the file, %s s, "
                         "learned %s, learn events lost to a full learn ring %s" % (
                             len(pre), col_(0, "%.0f"), col_(1, "%.1f"), col_(2, "%.0f"),
                             col_(3, "%.0f")))
        if notes:
            o += notes + [""]
        o += ["Produced by (commands below are relative to the repository root):", "", "```sh",
              r0["bench_command"], "```", ""]
        o += commands_block(sel, ("testpmd", "sluice", "ovs"))
        hist = [x for x in run_ids if x != rid]
        if hist:
            o += ["Earlier runs (ratio Sluice/testpmd by frame size):", "",
                  "| Run | Sluice | CPU | Ratios |", "|---|---|---|---|"]
            for h in hist[:20]:
                hs = [r for r in rows if r["run_id"] == h and r["scenario"] == scen]
                rat = ", ".join("%d B %s" % (x["size"], ratio_str(x["ratio"]))
                                for x in summarize(hs))
                o.append("| %s%s | `%s` | %s | %s |" % (
                    h, " (quick)" if hs[0]["quick"] == "1" else "", hs[0]["sluice_commit"],
                    hs[0]["cpu_model"], rat))
            o.append("")
    if ovs_sel:
        o += ["## Open vSwitch (DPDK) next to Sluice and testpmd", "",
              "The scenarios above that have an OVS set-up, run with `--scenario NAME,ovs`, `ovs` "
              "or `all`:",
              "Open vSwitch %s on the same ports, frames and forwarding core, interleaved with "
              "the other two sides. Issue targets: Sluice L2 >= 4 x OVS NORMAL (measured "
              "elsewhere: OVS NORMAL ~0.15 x testpmd io, port-to-port ~0.35 x)." % (
                  ovs_version() or "(version unknown)"), "",
              "| Scenario | OVS pipeline | Run | Frame (B) | testpmd io Mpps/core | Sluice "
              "Mpps/core | OVS Mpps/core | Sluice/testpmd | Sluice/OVS | OVS/testpmd | "
              "OVS PMD cycles/pkt | Other load on fwd core |",
              "|" + "---|" * 12]
        notes = []
        order = list(SCENARIOS)
        ovs_sel.sort(key=lambda x: order.index(x[0]) if x[0] in order else len(order))
        for scen, sel in ovs_sel:
            s = SCENARIOS.get(scen)
            for x in summarize(sel):
                o.append("| %s | %s | %s | %d | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                    scen, s.ovs.title if s and s.ovs else "?", sel[0]["run_id"], x["size"],
                    spread(x["tp_mpps"], "%.2f"), spread(x["sl_mpps"], "%.2f"),
                    spread(x.get("ov_mpps", []), "%.2f"), ratio_str(x["ratio"]),
                    ratio_str(x["sl_ov"]), ratio_str(x["ov_tp"]),
                    spread(x.get("ov_busy", []), "%.1f"), spread(x["load"], "%.2f")))
                notes += ["* %s %d B: OVS: %s" % (scen, x["size"], p) for p in x["ovs_problems"]]
        o.append("")
        if notes:
            o += notes + [""]
        o += ["The OVS commands of each scenario are in its section above.", ""]
    o += scaling_section(rows)
    o += learn_section(results_dir)
    o += churn_section(results_dir)
    o += netlink_section(results_dir)
    head += plot_paragraph(plot_items, docs_path)
    tmp = docs_path + ".tmp"
    with open(tmp, "w") as f:
        f.write("\n".join(head + o).rstrip("\n") + "\n")
    os.replace(tmp, docs_path)
    log("wrote %s" % docs_path)


def scaling_table(rows):
    """(markdown lines, problems) for the scaling rows of one run: a line per worker count
    and frame size, those that did not fit in --lcores listed as not run."""
    head = ["| Workers | Frame (B) | testpmd io Mpps, all cores | Sluice Mpps, all workers | "
            "Sluice Mpps/core | Sluice/testpmd | Sluice vs 1 worker x N | Other load on fwd "
            "cores | Sluice accounting |", "|" + "---|" * 9]
    lines, problems, one = [], [], {}
    counts = sorted(set(int(r["workers"]) for r in rows if r.get("workers")))
    sizes = sorted(set(int(r["frame_bytes"]) for r in rows))
    for w in counts:
        for size in sizes:
            sel = [r for r in rows if int(r["workers"] or 0) == w and int(r["frame_bytes"]) == size]
            skipped = [r for r in sel if r["status"] == "skipped"]
            if skipped:
                lines.append("| %d | %d | not run: %s |" % (w, size, skipped[0]["error"]) +
                             " |" * 6)
                continue
            if not sel:
                continue
            s = summarize(sel)[0]
            tp = statistics.median(s["tp_mpps"]) * w if s["tp_mpps"] else None
            sl = statistics.median(s["sl_mpps"]) * w if s["sl_mpps"] else None
            if w == 1 and sl is not None:
                one[size] = sl
            eff = sl / (w * one[size]) if sl is not None and one.get(size) else None
            lines.append("| %d | %d | %s | %s | %s | %s | %s | %s | %s |" % (
                w, size, "%.2f" % tp if tp is not None else "–",
                "%.2f" % sl if sl is not None else "–", spread(s["sl_mpps"], "%.2f"),
                ratio_str(s["ratio"]), "%.2f" % eff if eff is not None else "–",
                spread(s["load"], "%.2f"), s["accounting"]))
            problems += ["%d workers, %d B: %s" % (w, size, p) for p in s["problems"]]
    return head + lines, problems


def scaling_section(rows):
    """The performance page's scaling section, from the newest full run (else the newest)."""
    runs = runs_by_scenario(rows).get(SCALING)
    if not runs:
        return []
    full = [x for x in runs if any(r["run_id"] == x and r["quick"] != "1" for r in rows)]
    rid = (full or runs)[0]
    sel = [r for r in rows if r["run_id"] == rid and r["scenario"] == SCALING]
    measured = [r for r in sel if r["status"] != "skipped"]
    r0 = sel[0]
    o = ["## Multi-core scaling: one cross-connected port pair per worker", "",
         "Scenario `%s` (`--workers 1,2,4,8` by default, with `--lcores`): for N workers, "
         "N pairs of net_pcap ports, each replaying the 16 UDP flows of xconnect forever, "
         "pair k cross-connected (`port xconnect ak bk`, `vlan none`) and both its rx queues "
         "pinned to worker k (`port set ak rxq 0 worker k`), from the running config; "
         "testpmd io with `--nb-cores=N` and `--port-topology=paired` on the same ports. A "
         "Sluice worker needs a tx queue of its own on every port and net_pcap makes one per "
         "`rx_pcap` file, so every port names the file N times and both sides poll its first "
         "rx queue only. EAL `-l` is the first N + 1 lcores of `--lcores` (the first one is "
         "the control thread): a worker count that does not fit is listed as not run, and on "
         "a 2-core machine only 1 worker fits. *All cores* is the per-core median times N; "
         "*vs 1 worker x N* is that over N times the 1-worker figure of the same run (1.00: "
         "linear)." % SCALING,
         "", "Run %s (%s UTC): %s, %s, Sluice `%s`, %s × %s s per side, worker count and size, "
         "interleaved." % (rid, r0["date_utc"], r0["cpu_model"], r0["dpdk_version"],
                           r0["sluice_commit"], r0["reps"], r0["seconds"]), ""]
    lines, problems = scaling_table(sel)
    o += lines + [""]
    if problems:
        o += ["* %s" % p for p in problems] + [""]
    o += ["Produced by:", "", "```sh", r0["bench_command"], "```", ""]
    if measured:
        top = max(int(r["workers"]) for r in measured)
        o += commands_block([r for r in measured if int(r["workers"]) == top],
                            ("testpmd", "sluice"))
    return o


def history_runs(rows, key="run_id"):
    """Run ids in rows, newest first."""
    return sorted(dict.fromkeys(r[key] for r in rows), reverse=True)


def learn_section(results_dir):
    rows, _ = read_csv(os.path.join(results_dir, "fdb-learn.csv"))
    if not rows:
        return []
    runs = history_runs(rows)
    full = [x for x in runs if any(r["run_id"] == x and r["quick"] != "1" for r in rows)]
    rid = (full or runs)[0]
    sel = [r for r in rows if r["run_id"] == rid]
    r0 = sel[0]
    o = ["## FDB learning rate", "",
         "Scenario `%s` (`--learn-macs N`, default 200,000): how many new MACs per second "
         "sluiced learns when a port brings new sources much faster than that. A fresh "
         "sluiced (`--mbufs` sized to hold the file, which `infinite_rx` loads into mbufs at "
         "port start) gets, with `port add`, a net_pcap port that replays forever N 64-byte "
         "frames from N distinct source MACs (in VLAN 1, the default; every frame floods to "
         "no other member and is dropped as `flood-no-members`). The clock starts at the "
         "`port add` reply and stops at the first `show bridge` (polled every %.0f ms) that "
         "says learned >= N. Learn events a full learn ring lost come back on the file's "
         "next pass, which is part of the time. Then the port is deleted and `show stats` "
         "must say rx_packets = tx_packets + drops. The rate is bound by the control "
         "thread's drain of the per-worker learn rings (see [fdb.md](fdb.md)). Other load is "
         "what other processes took of the control and worker cores (the control thread "
         "does the learning); the load average is `uptime`'s before each run." % (
             FDB_LEARN, LEARN_POLL * 1e3), "",
         "Run %s (%s UTC): %s, %s, Sluice `%s`, %s run(s)." % (
             rid, r0["date_utc"], r0["cpu_model"], r0["dpdk_version"], r0["sluice_commit"],
             r0["reps"]), ""]
    o += learn_table(sel) + [""]
    ex = next((r for r in sel if r["status"] == "ok"), None)
    o += ["Produced by:", "", "```sh", r0["bench_command"], "```", ""]
    if ex:
        o += ["Sluice, first run:", "", "```sh"] + readable_commands(ex["command"]) + ["```", ""]
    hist = [x for x in runs if x != rid]
    if hist:
        o += ["Earlier runs:", "", "| Run | Sluice | MACs | MACs learned/s |", "|---|---|---|---|"]
        for h in hist[:20]:
            hs = [r for r in rows if r["run_id"] == h]
            o.append("| %s%s | `%s` | %s | %s |" % (
                h, " (quick)" if hs[0]["quick"] == "1" else "", hs[0]["sluice_commit"],
                format(int(hs[0]["macs"]), ","),
                spread_int([fnum(r["macs_per_s"]) for r in hs if r["status"] == "ok"])))
        o.append("")
    return o


def netlink_section(results_dir):
    """Route convergence through the netlink mirror: measured by the integration test
    tests/integration/test_netlink_scale.py (it needs namespaces, iproute2 and a running
    sluiced, so not a bench scenario); its figures, with the command, are kept in
    netlink-convergence.md beside the CSV and copied here."""
    path = os.path.join(results_dir, "netlink-convergence.md")
    if not os.path.exists(path):
        return []
    with open(path) as f:
        body = f.read().strip()
    return ["## Route convergence through netlink (`ip route` / FRR -> Sluice's FIB)", "",
            "From [netlink.md](netlink.md#convergence-and-latency), which explains the "
            "set-up; copied from `bench/results/netlink-convergence.md`.", "", body, ""]


def churn_section(results_dir):
    rows, _ = read_csv(os.path.join(results_dir, "route-churn.csv"))
    path = churn_section_path(results_dir)
    if not rows and not os.path.exists(path):
        return []
    o = ["## Route churn: FIB updates under lookup load", "",
         "Scenario `%s` runs `sluice-fib-churn` ([bench/fib_churn.c](../bench/fib_churn.c)) "
         "on the real FIB code and the RCU QSBR sluiced uses, no ports: the control lcore "
         "adds and deletes routes as fast as it can, `sl_fib_commit()` (one grace period) "
         "every 1,024 changes, while every other lcore runs a worker-shaped reader: bulk "
         "lookups of 32 addresses covered by 100,000 routes that never change, every answer "
         "checked, a quiescent report after each burst, and the time between two bursts "
         "taken (the longest is the stall). Half the churned routes are more-specifics "
         "inside unchanged ones (a probe under one may get its next hop while it exists, and "
         "must get the covering route after its delete), half lie in disjoint space. Then "
         "the readers run as long again with the control thread asleep, which shows what "
         "the machine itself does to them (a VM's timer ticks and host preemption), and now "
         "only the unchanged routes are right answers. Compare the two columns: on a shared "
         "2-vCPU KVM guest the host takes a vCPU away for milliseconds now and then in both, "
         "so the longest gap says more about the host than about the FIB; the count of long "
         "gaps per second during churn over the count after it is what the churn adds. A "
         "miss or a wrong next hop is a lost packet: the bench exits 3 and the harness fails. Targets: >= 100,000 route "
         "changes/s, stalls of a few microseconds, no wrong result." % ROUTE_CHURN, ""]
    if os.path.exists(path):
        with open(path) as f:
            body = f.read().strip().splitlines()
        # Its headings one level below this section's.
        o += [("#" + line) if line.startswith("### ") else line for line in body] + [""]
    else:
        o += ["No full run yet (`bash bench/run.sh --scenario route-churn`).", ""]
    if rows:
        o += ["All runs (from %s):" % os.path.relpath(os.path.join(results_dir,
                                                                    "route-churn.csv"), ROOT),
              "", "| Run | Sluice | Family | Route changes/s | Lookups during churn (M/s) | "
              "Longest stall during / after churn (us) | Gaps >= 10 us during / after (per s) "
              "| Wrong results | Load average before |", "|" + "---|" * 9]
        for r in sorted(rows, key=lambda r: (r["run_id"], r["family"]), reverse=True)[:40]:
            if r["status"] != "ok":
                o.append("| %s | `%s` | | %s |" % (r["run_id"], r["sluice_commit"], r["error"]) +
                         " |" * 5)
                continue
            o.append("| %s%s | `%s` | %s | %s | %s | %s / %s | %s / %s | %s | %s |" % (
                r["run_id"], " (quick)" if r["quick"] == "1" else "", r["sluice_commit"],
                r["family"], format(int(r["changes_per_s"]), ","), r["lookups_mps"],
                r["max_stall_us"], r["max_stall_after_us"], r["gaps_ge_10us_per_s"],
                r["gaps_ge_10us_per_s_after"],
                r["wrong"] if r["wrong"] == "0" else "**%s**" % r["wrong"], r["load_before"]))
        o.append("")
    return o


def plot_paragraph(items, docs_path):
    """Draws docs/performance.png (beside the page) from the scenarios' sections and
    returns the lines that show it; without matplotlib, a line that says there is none."""
    if not items:
        return []
    png = os.path.splitext(docs_path)[0] + ".png"
    try:
        import plot
        plot.write_plot(items, png, "Sluice vs dpdk-testpmd io, per forwarding core, the run "
                        "each scenario's section below reports")
    except ImportError as e:
        log("no plot: %s (Debian: python3-matplotlib; bench/run.sh installs it)" % e)
        return ["No plot: matplotlib was missing when this page was generated (Debian "
                "package python3-matplotlib, which `bash bench/run.sh` installs).", ""]
    log("wrote %s" % png)
    return ["![Mpps per core of testpmd io and Sluice, and their ratio, per scenario and "
            "frame size](%s)" % os.path.basename(png), ""]


def ovs_version():
    out = run_text([OVS_VSWITCHD, "--version"]).splitlines()
    return out[0].split(")")[-1].strip() if out else ""


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
        run_id, rows, special_ok = run(cfg)
    except BenchError as e:
        log("error: %s" % e)
        return 2
    except KeyboardInterrupt:
        log("interrupted: nothing recorded")
        return 130
    finally:
        Proc.stop_all()
        shutil.rmtree(cfg.tmp, ignore_errors=True)
    ok = report(run_id, rows) and special_ok
    if not cfg.no_docs:
        write_docs(cfg.csv, cfg.docs)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
