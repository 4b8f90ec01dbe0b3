# SPDX-License-Identifier: BSD-3-Clause
# Fixtures of the integration suite: a real sluiced in a temp dir (Sluiced), a raw control-socket
# client for protocol tests (RawClient), network namespaces and veth pairs (NetEnv).
#
# Every daemon gets its own temp dir, socket, config file and EAL file prefix; teardown kills only
# the PID it started, removes /var/run/dpdk/<prefix> and fails the test if the daemon died on its
# own or a sanitizer reported an error. Nothing is skipped: a missing tool is a clear failure.
# The binaries come from $SLUICE_BUILD (default: build/ at the repository root), so the whole suite
# runs against any build dir, an ASan one included (SLUICE_BUILD=build-asan). Run it with the
# python3 that has pytest and scapy (Debian's /usr/bin/python3 after deploy/setup.sh):
#   /usr/bin/python3 -m pytest -v tests/integration
# test_rcu_churn.py: SLUICE_CHURN_S / SLUICE_ASAN_CHURN_S set the churn durations (25 s / 20 s).
import itertools
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HUGEPAGE_DIR = Path("/dev/hugepages")
DPDK_RUN_DIR = Path("/var/run/dpdk")
START_TIMEOUT_S = 20.0
# -m 256 needs 128 pages of 2 MiB; a few more for the page-size rounding of memsegs.
HUGEPAGES_NEEDED = 136
SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")

_counter = itertools.count()
_session_tag = secrets.token_hex(2)


def build_dir():
    """The build dir under test: $SLUICE_BUILD (absolute, or relative to the repository root)."""
    d = Path(os.environ.get("SLUICE_BUILD", "build"))
    return d if d.is_absolute() else ROOT / d


def need_tool(name):
    """Path of a host tool, or a failure that says what to install (never a silent skip)."""
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"required tool '{name}' not found in PATH: run deploy/setup.sh "
                    f"(it installs iproute2, iputils-ping, tcpdump, python3-scapy)")
    return path


def import_scapy():
    try:
        import scapy.all as scapy_all  # noqa: F401
    except ImportError as e:
        pytest.fail(f"scapy is missing for {sys.executable} ({e}): install python3-scapy "
                    f"(deploy/setup.sh) and run the suite with /usr/bin/python3 -m pytest")
    return scapy_all


def unique_name(stem):
    """A short name unique to this run: stem + session tag + counter (ports, prefixes, ifaces)."""
    return f"{stem}{_session_tag}{next(_counter)}"


def hugepages_free():
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("HugePages_Free:"):
                return int(line.split()[1])
    return 0


def wait_hugepages(pages=HUGEPAGES_NEEDED, timeout=60.0):
    """The machine is shared with other DPDK processes: wait (bounded) for enough free pages."""
    deadline = time.monotonic() + timeout
    while hugepages_free() < pages:
        if time.monotonic() > deadline:
            pytest.fail(f"only {hugepages_free()} free 2 MiB hugepages after {timeout:.0f}s, "
                        f"{pages} needed per test daemon (other DPDK processes hold them; "
                        f"see /proc/meminfo and deploy/setup.sh)")
        time.sleep(0.5)


def wait_until(pred, timeout, what, interval=0.05, show=None):
    """Poll pred() until it returns a true value (returned) or fail after timeout seconds; the
    failure message includes show() when given (the state that was waited on)."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            extra = f"; last state: {show()!r}" if show else ""
            pytest.fail(f"timed out after {timeout:.1f}s waiting for {what}{extra}")
        time.sleep(interval)


def sanitizer_env(env=None):
    """Environment for sluiced: ASan without leak checks (hugepage mappings confuse LSan)."""
    e = dict(os.environ if env is None else env)
    e.setdefault("ASAN_OPTIONS", "detect_leaks=0")
    e.setdefault("UBSAN_OPTIONS", "print_stacktrace=1")
    return e


def write_pcap(path, frames=()):
    """A pcap file (Ethernet link type) of raw frames; no frames gives an empty capture."""
    import struct
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, fr in enumerate(frames):
            fr = bytes(fr)
            f.write(struct.pack("<IIII", 1000 + i, 0, len(fr), len(fr)))
            f.write(fr)


def read_pcap(path):
    """Raw frames of a pcap file (microsecond or nanosecond, either byte order)."""
    import struct
    data = Path(path).read_bytes()
    if len(data) < 24:
        return []
    magic = struct.unpack("<I", data[:4])[0]
    if magic in (0xA1B2C3D4, 0xA1B23C4D):
        endian = "<"
    elif magic in (0xD4C3B2A1, 0x4D3CB2A1):
        endian = ">"
    else:
        raise AssertionError(f"{path}: not a pcap file (magic {magic:#x})")
    frames, off = [], 24
    while off + 16 <= len(data):
        _, _, caplen, _ = struct.unpack(endian + "IIII", data[off:off + 16])
        off += 16
        frames.append(data[off:off + caplen])
        off += caplen
    return frames


class RawClient:
    """A control-socket client speaking the line protocol byte by byte (docs/protocol.md)."""

    def __init__(self, path, timeout=10.0):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(str(path))
        self.timeout = timeout
        self.buf = b""

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def recv_line(self, timeout=None):
        """The next reply line (bytes, without the newline); fails on timeout or EOF."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no reply line within {timeout or self.timeout}s "
                                   f"(have {self.buf[:200]!r})")
            self.sock.settimeout(left)
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError(f"connection closed by sluiced (have {self.buf[:200]!r})")
            self.buf += chunk
        line, _, self.buf = self.buf.partition(b"\n")
        return line

    def reply(self, timeout=None):
        line = self.recv_line(timeout)
        r = json.loads(line)
        assert isinstance(r, dict) and isinstance(r.get("ok"), bool), f"malformed reply {line!r}"
        assert ("result" in r) if r["ok"] else isinstance(r.get("error"), str), r
        return r

    def cmd(self, line, timeout=None):
        """Send one command line, return the parsed reply."""
        self.send(line + "\n")
        return self.reply(timeout)

    def ok(self, line, timeout=None):
        r = self.cmd(line, timeout)
        assert r["ok"], f"'{line}' failed: {r.get('error')}"
        return r["result"]

    def err(self, line, timeout=None):
        r = self.cmd(line, timeout)
        assert not r["ok"], f"'{line}' unexpectedly succeeded: {r}"
        return r["error"]

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class Sluiced:
    """One sluiced process under test, with its own dir, socket, config and EAL file prefix."""

    def __init__(self, workdir, build=None, eal_cores=("-l", "0-1"), args=(), eal_args=(),
                 config=None, env=None):
        self.dir = Path(workdir)
        self.build = Path(build) if build else build_dir()
        self.bin = self.build / "sluiced"
        self.ctl_bin = self.build / "tools" / "sluicectl"
        for b in (self.bin, self.ctl_bin):
            if not os.access(b, os.X_OK):
                pytest.fail(f"{b} is missing: build first (meson setup {self.build.name} && "
                            f"ninja -C {self.build.name}) or point SLUICE_BUILD at a build dir")
        self.sock = self.dir / "s.sock"
        self.config = Path(config) if config else self.dir / "c.conf"
        self.prefix = unique_name("slt")
        self.eal = ["--file-prefix", self.prefix, "-m", "256", "--no-pci", *eal_cores, *eal_args]
        self.args = list(args)
        self.env = sanitizer_env(env)
        self.proc = None
        self.runs = 0
        self.stderr_paths = []
        self.expected_exit = False  # the test stopped or killed it on purpose

    # -- process control -----------------------------------------------------------------------
    def cmdline(self):
        return [str(self.bin), "-s", str(self.sock), "-c", str(self.config), *self.args, "--",
                *self.eal]

    def start(self, wait=True):
        assert self.proc is None or self.proc.poll() is not None, "already running"
        wait_hugepages()
        self.runs += 1
        out = self.dir / f"stdout.{self.runs}"
        err = self.dir / f"stderr.{self.runs}"
        self.stderr_paths.append(err)
        with open(out, "wb") as o, open(err, "wb") as e:
            self.proc = subprocess.Popen(self.cmdline(), stdout=o, stderr=e, cwd=self.dir,
                                         env=self.env, stdin=subprocess.DEVNULL)
        self.expected_exit = False
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self, timeout=START_TIMEOUT_S):
        deadline = time.monotonic() + timeout
        while True:
            rc = self.proc.poll()
            if rc is not None:
                self.expected_exit = True  # reported here, not again at teardown
                pytest.fail(f"sluiced exited with {rc} during start-up:\n{self.stderr()}")
            if self.sock.exists():
                r = self.ctl("show version", check=False, timeout=2)
                if r is not None and r.get("ok"):
                    assert r["result"]["pid"] == self.proc.pid, r
                    return r["result"]
            if time.monotonic() > deadline:
                pytest.fail(f"sluiced did not answer 'show version' within {timeout}s:\n"
                            f"{self.stderr()}")
            time.sleep(0.1)

    @property
    def pid(self):
        return self.proc.pid

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def send_signal(self, sig):
        assert self.alive(), "sluiced is not running"
        os.kill(self.proc.pid, sig)

    def wait_exit(self, timeout=20.0):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            pytest.fail(f"sluiced (pid {self.proc.pid}) did not exit within {timeout}s")

    def kill9(self):
        self.expected_exit = True
        self.send_signal(signal.SIGKILL)
        rc = self.wait_exit()
        assert rc == -signal.SIGKILL, rc
        return rc

    def stop(self, sig=signal.SIGTERM, timeout=20.0):
        """Stop with sig (SIGTERM) and assert a clean exit 0 without sanitizer reports."""
        self.expected_exit = True
        self.send_signal(sig)
        rc = self.wait_exit(timeout)
        assert rc == 0, f"sluiced exited {rc} on {signal.Signals(sig).name}, want 0:\n" \
                        f"{self.stderr()[-4000:]}"
        self.assert_no_sanitizer_report()
        return rc

    def restart(self):
        if self.alive():
            self.stop()
        return self.start()

    # -- control ---------------------------------------------------------------------------------
    def ctl(self, *words, check=True, timeout=20):
        """Run `sluicectl --json WORDS`; the parsed reply dict (None on a transport failure when
        check is False)."""
        if len(words) == 1 and " " in words[0]:
            words = words[0].split()
        p = subprocess.run([str(self.ctl_bin), "-s", str(self.sock), "-t", str(timeout), "--json",
                            *map(str, words)], capture_output=True, text=True,
                           timeout=timeout + 10)
        if p.returncode not in (0, 1) or not p.stdout.strip():
            if not check:
                return None
            pytest.fail(f"sluicectl {' '.join(map(str, words))}: exit {p.returncode}, "
                        f"stdout {p.stdout!r}, stderr {p.stderr!r}\n"
                        f"sluiced alive: {self.alive()}\n{self.stderr()[-3000:]}")
        r = json.loads(p.stdout.strip().splitlines()[-1])
        assert (p.returncode == 0) == bool(r["ok"]), (p.returncode, r)
        return r

    def ok(self, *words, timeout=20):
        r = self.ctl(*words, timeout=timeout)
        assert r["ok"], f"'{' '.join(map(str, words))}' failed: {r.get('error')}"
        return r["result"]

    def err(self, *words, timeout=20):
        r = self.ctl(*words, timeout=timeout)
        assert not r["ok"], f"'{' '.join(map(str, words))}' unexpectedly succeeded: {r}"
        return r["error"]

    def client(self, timeout=10.0):
        return RawClient(self.sock, timeout)

    def config_show(self):
        return self.ok("config show")

    def config_file_lines(self):
        """Command lines of the config file, comments and blank lines left out."""
        return [ln for ln in self.config.read_text().splitlines()
                if ln.strip() and not ln.lstrip().startswith("#")]

    def port(self, name):
        return self.ok("port show", name)

    def worker_stats(self):
        return self.ok("show workers")

    # -- diagnostics and clean-up ------------------------------------------------------------------
    def stderr(self):
        return "".join(p.read_text(errors="replace") for p in self.stderr_paths if p.exists())

    def assert_no_sanitizer_report(self):
        text = self.stderr()
        for m in SANITIZER_MARKERS:
            assert m not in text, f"sanitizer report in sluiced stderr:\n{text[-6000:]}"

    def hugepage_files(self):
        return sorted(p.name for p in HUGEPAGE_DIR.glob(f"{self.prefix}map_*"))

    def cleanup(self):
        """Stop the daemon if still running; return a list of problems found (empty if none)."""
        problems = []
        if self.proc is not None:
            rc = self.proc.poll()
            if rc is not None and not self.expected_exit:
                problems.append(f"sluiced (pid {self.proc.pid}) died during the test with "
                                f"status {rc}")
            if rc is None:
                self.proc.send_signal(signal.SIGTERM)
                try:
                    self.proc.wait(15)
                except subprocess.TimeoutExpired:
                    problems.append(f"sluiced (pid {self.proc.pid}) ignored SIGTERM for 15s; "
                                    f"killed")
                    self.proc.kill()
                    self.proc.wait(10)
        text = self.stderr()
        if any(m in text for m in SANITIZER_MARKERS):
            problems.append("sanitizer report in sluiced stderr")
        if problems:
            problems.append(f"stderr of {self.bin}:\n{text[-6000:]}")
        shutil.rmtree(DPDK_RUN_DIR / self.prefix, ignore_errors=True)
        for f in HUGEPAGE_DIR.glob(f"{self.prefix}map_*"):
            f.unlink(missing_ok=True)
        return problems


def run_sluiced_once(workdir, config, timeout=30.0, build=None):
    """Start sluiced on config and expect it to exit by itself (bad config): (rc, stderr).
    If it comes up instead, it is stopped and the test fails."""
    d = Sluiced(workdir, build=build, config=config)
    wait_hugepages()
    try:
        p = subprocess.run(d.cmdline(), capture_output=True, text=True, timeout=timeout,
                           env=d.env, cwd=workdir, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        pytest.fail(f"sluiced kept running on {config} (want exit 1 on the bad line)")
    finally:
        shutil.rmtree(DPDK_RUN_DIR / d.prefix, ignore_errors=True)
    return p.returncode, p.stderr


@pytest.fixture
def workdir():
    # Short paths: a UNIX socket path must stay under 108 bytes.
    d = Path(tempfile.mkdtemp(prefix="slt", dir="/tmp"))
    yield d
    shutil.rmtree(d, ignore_errors=True)


def _daemon_factory():
    made = []

    def make(start=True, **kw):
        wd = Path(tempfile.mkdtemp(prefix="slt", dir="/tmp"))
        d = Sluiced(wd, **kw)
        made.append(d)
        if start:
            d.start()
        return d

    def finish():
        problems = []
        for d in made:
            problems += d.cleanup()
        for d in made:
            if not problems:
                shutil.rmtree(d.dir, ignore_errors=True)
        if problems:
            pytest.fail("\n".join(problems), pytrace=False)

    return make, finish


@pytest.fixture
def sluiced_factory():
    """make(**kw) -> a started Sluiced; all of them are stopped and checked at teardown."""
    make, finish = _daemon_factory()
    yield make
    finish()


@pytest.fixture
def sluiced(sluiced_factory):
    """A started sluiced with the default build, one worker, empty config."""
    return sluiced_factory()


@pytest.fixture(scope="module")
def shared_sluiced():
    """One sluiced for a whole module (CLI tests that leave no state behind)."""
    make, finish = _daemon_factory()
    yield make()
    finish()


class NetEnv:
    """Network namespaces and veth pairs with unique names, deleted at teardown."""

    def __init__(self):
        need_tool("ip")
        self.namespaces = []
        self.links = []

    @staticmethod
    def run(*args, check=True, timeout=30):
        p = subprocess.run(list(args), capture_output=True, text=True, timeout=timeout)
        if check and p.returncode != 0:
            pytest.fail(f"{' '.join(args)} failed ({p.returncode}): {p.stderr.strip()}")
        return p

    def netns(self):
        name = unique_name("sltns")
        self.run("ip", "netns", "add", name)
        self.namespaces.append(name)
        self.run("ip", "-n", name, "link", "set", "lo", "up")
        return name

    def veth(self, ns=None, addr=None):
        """A veth pair: root end (up, no address, IPv6 off) and the other end, moved into ns
        with addr (CIDR) when given. Returns (root_end, ns_end)."""
        base = unique_name("slv")
        assert len(base) + 1 <= 15, base
        root_end, peer = base + "r", base + "n"
        self.run("ip", "link", "add", root_end, "type", "veth", "peer", "name", peer)
        self.links.append(root_end)
        self.run("sysctl", "-qw", f"net.ipv6.conf.{root_end}.disable_ipv6=1", check=False)
        self.run("ip", "link", "set", root_end, "up")
        if ns is not None:
            self.run("ip", "link", "set", peer, "netns", ns)
            if addr:
                self.run("ip", "-n", ns, "addr", "add", addr, "dev", peer)
            self.run("ip", "-n", ns, "link", "set", peer, "up")
        else:
            self.run("ip", "link", "set", peer, "up")
        return root_end, peer

    def exec(self, ns, *args, check=True, timeout=30):
        return self.run("ip", "netns", "exec", ns, *args, check=check, timeout=timeout)

    def cleanup(self):
        for link in self.links:
            subprocess.run(["ip", "link", "del", link], capture_output=True)
        for ns in self.namespaces:
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)


def close_topology(client, hosts, daemon, net, workdir):
    """Tear a test topology down: its control client, the hosts' agents, sluiced (whose cleanup
    reports leftovers), the namespaces and veths; the work dir goes only when all was clean.
    Returns the problems found."""
    problems = []
    if client is not None:
        client.close()
    for h in hosts:
        try:
            h.agent.close()
        except Exception as e:  # keep cleaning up
            problems.append(f"agent {h.ns}: {e}")
    if daemon is not None:
        problems += daemon.cleanup()
    net.cleanup()
    if daemon is not None and not problems:
        shutil.rmtree(workdir, ignore_errors=True)
    return problems


@pytest.fixture
def netenv():
    env = NetEnv()
    try:
        yield env
    finally:
        env.cleanup()
