# SPDX-License-Identifier: BSD-3-Clause
# End-to-end tests of vhost-user ports with real QEMU guests (TCG) and with a DPDK virtio-user
# peer (dpdk-testpmd). One sluiced carries two guests and two network-namespace hosts:
#   vm1: Sluice is the vhost-user client (QEMU serves the socket), 10.0.10.1, access VLAN 10
#   vm2: Sluice is the vhost-user server (QEMU connects, reconnect=1), 10.0.10.2, access VLAN 10
#   h1:  net_af_packet on a veth into a namespace, 10.0.10.100, access VLAN 10
#   h20: net_af_packet, 10.0.10.200, access VLAN 20 (same subnet: only the VLAN keeps it apart)
# The guests boot once per module (TCG, ~11 s, both in parallel) and the guest tests run in file
# order on that topology. A test that kills or reconfigures something puts it back before it
# ends; `Topology.heal()` at the start of each test restarts whatever a failed test left dead, so
# one failure does not cascade.
#
# Run: /usr/bin/python3 -m pytest -v tests/e2e      (tests/run.sh runs it after tests/integration)
# Needs root, qemu-system-x86 and busybox-static (deploy/setup.sh; guest.py installs them itself
# if missing) and Debian's archive once for the guest kernel (cached in /var/cache/sluice-e2e).
# $SLUICE_BUILD picks the build dir as in the integration suite. Guest consoles, QEMU, testpmd
# and sluiced logs are kept in the printed work dir when a test fails ($SLUICE_E2E_KEEP=1: always).
import hashlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))
from conftest import NetEnv, Sluiced, need_tool, wait_hugepages, wait_until  # noqa: E402
from conftest import netenv  # noqa: E402,F401 (the fixture, for the virtio-user rx test)
from guest import Guest, images  # noqa: E402

pytestmark = pytest.mark.e2e

VLAN = 10
NS_IP, NS20_IP = "10.0.10.100", "10.0.10.200"
# Seconds allowed for traffic to come back after sluiced or a guest restarts: sluiced's vhost
# client retries once a second, QEMU's (reconnect=1) too, then the guest re-enables its queues.
RECOVER_S = 30


def vhost_cmd_supported(d):
    """True when sluiced has `port add NAME vhost-user client|server PATH [queues N]`
    ($SLUICE_E2E_RAW_VHOST=1 forces raw net_vhost devargs)."""
    if os.environ.get("SLUICE_E2E_RAW_VHOST"):
        return False
    return any("vhost-user" in c["syntax"] for c in d.ok("help"))


def vhost_port_add(d, name, path, client, queues=1, vdev_index=0):
    """Add a vhost-user port: with the vhost-user command when sluiced has it, else as raw
    net_vhost devargs (client=1: Sluice connects to a socket QEMU serves)."""
    if vhost_cmd_supported(d):
        return d.ok(f"port add {name} vhost-user {'client' if client else 'server'} {path} "
                    f"queues {queues}")
    dev = f"net_vhost{vdev_index},iface={path},queues={queues}" + (",client=1" if client else "")
    return d.ok(f"port add {name} {dev}" + (f" rxq {queues}" if queues > 1 else ""))


def link_up(d, name):
    return d.port(name)["link"]["up"]


def fdb_macs(d, port, vlan=VLAN):
    return {e["mac"] for e in d.ok(f"show fdb vlan {vlan} port {port}")}


def quiet_log(text):
    """sluiced's stderr without DPDK's per-message vhost-user trace (VHOST_CONFIG lines other
    than errors and connection events)."""
    keep = re.compile(r"fail|error|closed|connect|reconnect|bind|denied|invalid", re.I)
    return "\n".join(ln for ln in text.splitlines()
                     if not ln.startswith("VHOST_CONFIG") or keep.search(ln))


def diag(d, *guests):
    """State for a failure message: show ports/drops/fdb/workers and the tails of the logs."""
    parts = []
    if d.alive():
        for c in ("show ports", "show drops", "show fdb", "show workers"):
            r = d.ctl(c, check=False, timeout=5)
            parts.append(f"--- {c}: {r}")
    else:
        parts.append("--- sluiced is not running")
    parts.append(f"--- sluiced stderr (tail, vhost message trace left out):\n"
                 f"{quiet_log(d.stderr())[-3000:]}")
    for g in guests:
        parts.append(f"--- {g.name} console (tail):\n{g.tail(1500)}")
    return "\n".join(parts)


class Topology:
    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="sle2e", dir="/tmp"))
        self.d = Sluiced(self.dir)
        self.net = NetEnv()
        self.guests = []
        self.failed = False

    def setup(self):
        need_tool("ping")
        images()  # build or find the cached kernel and initramfs before anything is timed
        self.d.start()
        d = self.d
        self.ns = self.net.netns()
        v1, self.ns_if = self.net.veth(self.ns, f"{NS_IP}/24")
        self.ns20 = self.net.netns()
        v20, _ = self.net.veth(self.ns20, f"{NS20_IP}/24")
        self.vm1 = Guest("vm1", self.dir, self.dir / "vm1.sock", "52:54:00:00:10:01",
                         "10.0.10.1/24", qemu_server=True)
        self.vm2 = Guest("vm2", self.dir, self.dir / "vm2.sock", "52:54:00:00:10:02",
                         "10.0.10.2/24", qemu_server=False)
        self.guests = [self.vm1, self.vm2]
        t0 = time.monotonic()
        # QEMU waits for its vhost-user backend before it runs the guest: QEMU first, then ports.
        self.vm1.start()
        self.vm2.start()
        self.add_guest_port("vm1")
        self.add_guest_port("vm2")
        # qpairs=2: the same config also runs under two workers (one tx queue each). rxq 2:
        # af_packet spreads received frames over its qpairs' sockets (PACKET_FANOUT), and
        # frames on a queue nobody polls are lost, so every qpair must be an rx queue.
        d.ok(f"port add h1 net_af_packet0,iface={v1},qpairs=2 rxq 2")
        d.ok(f"port add h20 net_af_packet1,iface={v20},qpairs=2 rxq 2")
        d.ok(f"port set h1 vlan access {VLAN}")
        d.ok("port set h20 vlan access 20")
        for g in self.guests:
            g.wait_ready()
        self.boot_s = time.monotonic() - t0
        print(f"\n[e2e] two guests booted in {self.boot_s:.1f}s "
              f"(vm1 {self.vm1.boot_s:.1f}s, vm2 {self.vm2.boot_s:.1f}s)")

    def add_guest_port(self, name):
        g = getattr(self, name)
        vhost_port_add(self.d, name, g.vhost_sock, client=g.qemu_server,
                       vdev_index=self.guests.index(g))
        self.d.ok(f"port set {name} vlan access {VLAN}")

    def heal(self):
        """Bring back what an earlier (failed) test left dead: sluiced, then the guests."""
        if not self.d.alive():
            # Recovery for the next tests only: a stale server socket after a crash blocks
            # sluiced's start (test_kill9_sluiced_and_restart_guests_resume checks that).
            self.vm2.vhost_sock.unlink(missing_ok=True)
            self.d.start()
        for g in self.guests:
            if not g.alive():
                g.start()
                g.wait_ready()
        wait_until(lambda: all(link_up(self.d, p) for p in ("vm1", "vm2")), RECOVER_S,
                   "vm1 and vm2 link up", interval=0.5, show=lambda: self.d.ok("show ports"))

    def ns_ping(self, ns, dst, count=3, wait_s=2):
        return self.net.exec(ns, "ping", "-n", "-c", str(count), "-i", "0.2", "-W", str(wait_s),
                             dst, check=False, timeout=count * 3 + 15)

    def cleanup(self):
        for g in self.guests:
            g.cleanup()
        problems = self.d.cleanup()
        self.net.cleanup()
        if self.failed or problems or os.environ.get("SLUICE_E2E_KEEP"):
            print(f"\n[e2e] logs kept in {self.dir}")
        else:
            shutil.rmtree(self.dir, ignore_errors=True)
        return problems


@pytest.fixture(scope="module")
def topo(request):
    t = Topology()
    try:
        t.setup()
    except BaseException:
        t.failed = True
        t.cleanup()
        raise
    failed_before = request.session.testsfailed
    yield t
    t.failed = request.session.testsfailed > failed_before
    problems = t.cleanup()
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


@pytest.fixture
def vms(topo):
    topo.heal()
    return topo


def assert_ping(g, dst, topo, count=3, deadline=20):
    got, out = g.ping(dst, count=count, deadline=deadline)
    assert got == count, f"{g.name} -> {dst}: {got}/{count} replies\n{out}\n" \
                         f"{diag(topo.d, *topo.guests)}"


def wait_ping(g, dst, topo, timeout=RECOVER_S):
    """Seconds until one ping from guest g to dst is answered (fails after timeout)."""
    t0 = time.monotonic()
    while True:
        got, out = g.ping(dst, count=1, deadline=2)
        if got:
            return time.monotonic() - t0
        if time.monotonic() - t0 > timeout:
            pytest.fail(f"{g.name} -> {dst}: no reply within {timeout}s\n{out}\n"
                        f"{diag(topo.d, *topo.guests)}")


def retrans(g):
    """TCP segments guest g has retransmitted so far (/proc/net/snmp RetransSegs)."""
    lines = [ln.split() for ln in g.out("grep ^Tcp: /proc/net/snmp").splitlines()]
    return int(lines[1][lines[0].index("RetransSegs")])


def tcp_transfer(src, dst, size_mb, topo):
    """dst serves size_mb MiB of random bytes with busybox httpd, src fetches them with wget and
    compares length and md5; MiB/s. Prints the sender's retransmissions and Sluice's drops."""
    dst.sh("mkdir -p /www && (killall httpd 2>/dev/null; true) && "
           f"dd if=/dev/urandom of=/www/blob bs=1M count={size_mb} 2>/dev/null && "
           "httpd -p 8080 -h /www")
    want = dst.out("md5sum /www/blob").split()[0]
    re0, drops0 = retrans(dst), topo.d.ok("show drops")
    t0 = time.monotonic()
    # busybox 1.35's wget segfaults with -T: bound it with timeout(1) instead
    rc, out = src.sh(f"rm -f /tmp/blob; timeout 120 wget -q -O /tmp/blob "
                     f"http://{dst.addr}:8080/blob", timeout=150, check=False)
    dt = time.monotonic() - t0
    assert rc == 0, f"wget {dst.name} -> {src.name} failed ({rc}):\n{out}\n" \
                    f"{diag(topo.d, *topo.guests)}"
    drops = {k: v - drops0.get(k, 0) for k, v in topo.d.ok("show drops").items()
             if v != drops0.get(k, 0)}
    print(f"\n[e2e] {size_mb} MiB {dst.name} -> {src.name}: {size_mb / dt:.1f} MiB/s, "
          f"{retrans(dst) - re0} retransmitted segments, Sluice drops {drops or 'none'}")
    got_size = int(src.out("wc -c < /tmp/blob").strip())
    got = src.out("md5sum /tmp/blob").split()[0]
    src.sh("rm -f /tmp/blob")
    assert got_size == size_mb << 20, f"{src.name} got {got_size} bytes, want {size_mb << 20}"
    assert got == want, f"md5 {got} != {want}: the payload was corrupted on the way"
    return size_mb / dt


# -- guests on the bridge ------------------------------------------------------------------------
def test_guest_ports_come_up(vms):
    d = vms.d
    for p in ("vm1", "vm2"):
        port = d.port(p)
        assert port["link"]["up"], port
        assert port["driver"] == "net_vhost", port
        if "vhost" in port:  # the guest's view, with the vhost-user command
            v = port["vhost"]
            assert v["mode"] == ("client" if p == "vm1" else "server"), v
            assert v["connected"] and v["rx_queues_enabled"] >= 1, v
    vlans = {v["vlan"]: v for v in d.ok("show vlans")}
    assert set(vlans[VLAN]["untagged"]) == {"vm1", "vm2", "h1"}, vlans
    assert "LOWER_UP" in vms.vm1.out("ip -o link show eth0")


def test_guests_ping_each_other_in_vlan10(vms):
    d = vms.d
    d.ok("stats clear")
    assert_ping(vms.vm1, vms.vm2.addr, vms, count=5)
    assert_ping(vms.vm2, vms.vm1.addr, vms, count=5)
    assert vms.vm1.mac in fdb_macs(d, "vm1"), d.ok("show fdb")
    assert vms.vm2.mac in fdb_macs(d, "vm2"), d.ok("show fdb")
    s1, s2 = d.port("vm1")["stats"], d.port("vm2")["stats"]
    # 10 echo requests and 10 replies cross each port (plus ARP)
    assert s1["ipackets"] >= 10 and s1["opackets"] >= 10, s1
    assert s2["ipackets"] >= 10 and s2["opackets"] >= 10, s2
    drops = d.ok("show drops")
    assert drops["vlan-not-allowed"] == 0 and drops["mtu-exceeded"] == 0, drops


def test_guest_and_namespace_host_ping_each_other(vms):
    assert_ping(vms.vm1, NS_IP, vms)
    p = vms.ns_ping(vms.ns, vms.vm2.addr)
    assert p.returncode == 0, f"{NS_IP} -> vm2 failed:\n{p.stdout}{diag(vms.d, *vms.guests)}"
    assert vms.vm2.mac in fdb_macs(vms.d, "vm2")


def test_vlan20_host_is_not_reachable_from_guests(vms):
    got, out = vms.vm1.ping(NS20_IP, count=2, deadline=3)
    assert got == 0, f"vm1 reached {NS20_IP} in VLAN 20:\n{out}"
    p = vms.ns_ping(vms.ns20, vms.vm2.addr, count=2, wait_s=1)
    assert p.returncode != 0, f"VLAN 20 host reached vm2:\n{p.stdout}"
    macs20 = {e["mac"] for e in vms.d.ok("show fdb vlan 20")}
    assert vms.vm1.mac not in macs20 and vms.vm2.mac not in macs20, macs20


def test_tcp_transfer_between_guests_both_ways(vms):
    d = vms.d
    d.ok("stats clear")
    tcp_transfer(vms.vm1, vms.vm2, 8, vms)
    tcp_transfer(vms.vm2, vms.vm1, 8, vms)
    s1 = d.port("vm1")["stats"]
    assert s1["obytes"] >= 8 << 20 and s1["ibytes"] >= 8 << 20, s1
    drops = d.ok("show drops")
    assert drops["mtu-exceeded"] == 0, f"guest frames over the MTU (TSO leaked?): {drops}"


def test_tcp_between_guest_and_namespace_host(vms):
    """TCP both ways between vm1 and the namespace host behind the af_packet port h1.
    The namespace's veth has tx checksumming (and with it TSO/GSO) turned off: with the veth
    defaults its frames reach af_packet with partial checksums (CHECKSUM_PARTIAL, which the
    af_packet PMD passes on as they are) and the guest drops every TCP segment, SYNs included."""
    need_tool("ethtool")
    vms.net.exec(vms.ns, "ethtool", "-K", vms.ns_if, "tx", "off", "tso", "off", "gso", "off")
    size = 4 << 20
    www = vms.dir / "www"
    www.mkdir(exist_ok=True)
    (www / "blob").write_bytes(os.urandom(size))
    want = hashlib.md5((www / "blob").read_bytes()).hexdigest()
    server = subprocess.Popen(["ip", "netns", "exec", vms.ns, sys.executable, "-m", "http.server",
                               "8080", "--bind", NS_IP, "-d", str(www)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until(lambda: vms.net.exec(vms.ns, "ss", "-ltn", check=False).stdout.count(
                   f"{NS_IP}:8080"), 10, "the namespace's HTTP server")
        rc, out = vms.vm1.sh(f"rm -f /tmp/blob; timeout 120 wget -q -O /tmp/blob "
                             f"http://{NS_IP}:8080/blob && md5sum /tmp/blob && wc -c < /tmp/blob",
                             timeout=150, check=False)
        assert rc == 0, f"vm1 could not fetch from {NS_IP} ({rc}):\n{out}\n{diag(vms.d)}"
        assert out.split()[0] == want and int(out.split()[-1]) == size, out
        vms.vm1.sh("rm -f /tmp/blob")
    finally:
        os.kill(server.pid, signal.SIGKILL)
        server.wait(10)
    vms.vm1.sh("mkdir -p /www && (killall httpd 2>/dev/null; true) && "
               "dd if=/dev/urandom of=/www/blob bs=1M count=4 2>/dev/null && httpd -p 8080 -h /www")
    want = vms.vm1.out("md5sum /www/blob").split()[0]
    fetch = ("import hashlib, urllib.request; "
             f"b = urllib.request.urlopen('http://{vms.vm1.addr}:8080/blob', timeout=20).read(); "
             "print(len(b), hashlib.md5(b).hexdigest())")
    p = vms.net.exec(vms.ns, sys.executable, "-c", fetch, check=False, timeout=120)
    assert p.returncode == 0, f"{NS_IP} could not fetch from vm1:\n{p.stderr}\n{diag(vms.d)}"
    assert p.stdout.split() == [str(size), want], p.stdout


def test_tagged_guest_on_trunk_port(vms):
    """vm2 tags its traffic (eth0.10 in the guest) on a trunk port: it still reaches the access
    ports of VLAN 10 (vm1, h1), TCP through the tag push/pop is clean both ways, and its VLAN 20
    frames are dropped as vlan-not-allowed."""
    d, vm1, vm2 = vms.d, vms.vm1, vms.vm2
    d.ok(f"port set vm2 vlan trunk {VLAN}")
    vm2.sh(f"ip addr flush dev eth0 && ip link add link eth0 name eth0.{VLAN} type vlan id "
           f"{VLAN} && ip addr add {vm2.ip} dev eth0.{VLAN} && ip link set eth0.{VLAN} up")
    try:
        assert_ping(vm2, vm1.addr, vms)
        assert_ping(vm1, vm2.addr, vms)
        p = vms.ns_ping(vms.ns, vm2.addr)
        assert p.returncode == 0, f"{NS_IP} -> tagged vm2 failed:\n{p.stdout}"
        assert vm2.mac in fdb_macs(d, "vm2")
        tcp_transfer(vm1, vm2, 4, vms)
        tcp_transfer(vm2, vm1, 4, vms)
        drops = d.ok("show drops")["vlan-not-allowed"]
        vm2.sh("ip link add link eth0 name eth0.20 type vlan id 20 && "
               "ip addr add 10.0.20.2/24 dev eth0.20 && ip link set eth0.20 up")
        got, out = vm2.ping("10.0.20.200", count=2, deadline=3)
        assert got == 0, out
        wait_until(lambda: d.ok("show drops")["vlan-not-allowed"] >= drops + 2, 5,
                   "vm2's VLAN 20 frames dropped as vlan-not-allowed",
                   show=lambda: d.ok("show drops"))
    finally:
        vm2.sh(f"ip link del eth0.20 2>/dev/null; ip link del eth0.{VLAN} 2>/dev/null; "
               f"ip addr add {vm2.ip} dev eth0", check=False)
        d.ok(f"port set vm2 vlan access {VLAN}")
    assert_ping(vm2, vm1.addr, vms)


def test_jumbo_mtu_9000_between_guests(vms):
    """MTU 9000 on both vhost-user ports and in both guests: 8000-byte pings and a TCP stream
    with ~9000-byte segments cross unfragmented and intact (the vhost PMD chains mbufs for
    frames larger than one mbuf)."""
    d, vm1, vm2 = vms.d, vms.vm1, vms.vm2
    try:
        for p in ("vm1", "vm2"):
            d.ok(f"port set {p} mtu 9000")
        for g in (vm1, vm2):
            g.sh("ip link set eth0 mtu 9000")
        d.ok("stats clear")
        drops = d.ok("show drops")["mtu-exceeded"]
        assert_ping(vm1, vm2.addr, vms, count=3)
        got, out = vm1.ping(f"-s 8000 {vm2.addr}", count=3)
        assert got == 3, f"8000-byte pings: {got}/3\n{out}\n{diag(d, vm1, vm2)}"
        tcp_transfer(vm1, vm2, 4, vms)
        xs = d.port("vm1")["xstats"]
        big = xs.get("rx_q0_size_1519_max_packets")
        assert big is None or big > 0, f"no frame over 1518 bytes seen on vm1: {xs}"
        assert d.ok("show drops")["mtu-exceeded"] == drops, d.ok("show drops")
    finally:
        for g in (vm1, vm2):
            g.sh("ip link set eth0 mtu 1500", check=False)
        for p in ("vm1", "vm2"):
            d.ctl(f"port set {p} mtu 1500", check=False)
    assert_ping(vm1, vm2.addr, vms)


# -- restarts ------------------------------------------------------------------------------------
def test_kill9_sluiced_and_restart_guests_resume(vms):
    """Crash-only: kill -9 sluiced while both guests run, start it again on the same config;
    vm1 (Sluice reconnects to QEMU) and vm2 (QEMU reconnects to Sluice's socket) come back."""
    d = vms.d
    assert_ping(vms.vm1, vms.vm2.addr, vms, count=2)
    cfg_before = d.config_file_lines()
    d.kill9()
    got, _ = vms.vm1.ping(vms.vm2.addr, count=1, deadline=2)
    assert got == 0, "ping answered while sluiced was dead"
    t0 = time.monotonic()
    d.start()
    assert d.config_file_lines() == cfg_before
    wait_until(lambda: link_up(d, "vm1") and link_up(d, "vm2"), RECOVER_S,
               "vm1 and vm2 link up after the restart", interval=0.5,
               show=lambda: diag(d, *vms.guests))
    t_link = time.monotonic() - t0
    wait_ping(vms.vm1, vms.vm2.addr, vms)
    print(f"\n[e2e] kill -9 + restart: links up after {t_link:.1f}s, "
          f"vm1->vm2 ping answered after {time.monotonic() - t0:.1f}s")
    assert_ping(vms.vm2, vms.vm1.addr, vms, count=3)
    assert_ping(vms.vm1, NS_IP, vms, count=3)


def test_sighup_reload_guests_resume(vms):
    """SIGHUP re-adds every port from the file: both guests reconnect and forward again."""
    d = vms.d
    done, failed = d.stderr().count("reloaded "), d.stderr().count("reload failed")
    d.send_signal(signal.SIGHUP)
    t0 = time.monotonic()
    wait_until(lambda: d.stderr().count("reloaded ") > done or
               d.stderr().count("reload failed") > failed, 20, "the reload",
               show=lambda: d.stderr()[-2000:])
    assert d.stderr().count("reload failed") == failed, d.stderr()[-3000:]
    wait_until(lambda: link_up(d, "vm1") and link_up(d, "vm2"), RECOVER_S,
               "vm1 and vm2 link up after the reload", interval=0.5,
               show=lambda: diag(d, *vms.guests))
    wait_ping(vms.vm1, vms.vm2.addr, vms)
    print(f"\n[e2e] SIGHUP: vm1->vm2 ping answered after {time.monotonic() - t0:.1f}s")
    assert_ping(vms.vm2, NS_IP, vms)
    assert d.alive()


@pytest.mark.parametrize("which", ["vm1", "vm2"])
def test_port_del_and_add_while_guest_runs(vms, which):
    """Hot-unplug the running guest's port and plug it back: the guest forwards again without
    a restart (vm1: Sluice reconnects to QEMU; vm2: QEMU reconnects to the new socket)."""
    d = vms.d
    g = getattr(vms, which)
    other = vms.vm2 if g is vms.vm1 else vms.vm1
    d.ok(f"port del {which}")
    got, _ = g.ping(other.addr, count=1, deadline=2)
    assert got == 0, f"{which} still forwards after port del"
    t0 = time.monotonic()
    vms.add_guest_port(which)
    wait_until(lambda: link_up(d, which), RECOVER_S, f"{which} link up after re-adding",
               interval=0.5, show=lambda: diag(d, g))
    wait_ping(g, other.addr, vms)
    print(f"\n[e2e] {which} port re-added: ping after {time.monotonic() - t0:.1f}s")


@pytest.mark.parametrize("which", ["vm1", "vm2"])
def test_guest_killed_and_restarted_comes_back_without_sluice_commands(vms, which):
    """kill -9 QEMU: the port goes link down and its learned MACs are flushed; the same guest
    started again (same socket) links up and forwards with no `port` command to sluiced."""
    d = vms.d
    g = getattr(vms, which)
    other = vms.vm2 if g is vms.vm1 else vms.vm1
    assert_ping(g, other.addr, vms, count=2)
    assert g.mac in fdb_macs(d, which)
    cfg_before = d.config_show()
    g.kill()
    wait_until(lambda: not link_up(d, which), 10, f"{which} link down after its QEMU died",
               interval=0.2, show=lambda: d.port(which))
    wait_until(lambda: g.mac not in fdb_macs(d, which), 5,
               f"{which}'s learned MAC flushed at link down", interval=0.2,
               show=lambda: d.ok("show fdb"))
    g.start()
    g.wait_ready()
    wait_until(lambda: link_up(d, which), RECOVER_S, f"{which} link up again", interval=0.5,
               show=lambda: diag(d, g))
    dt = wait_ping(g, other.addr, vms)
    print(f"\n[e2e] {which} restarted: booted in {g.boot_s:.1f}s, ping {dt:.1f}s after boot")
    assert_ping(other, g.addr, vms, count=3)
    assert d.config_show() == cfg_before
    assert d.alive()


def test_sluiced_restarts_while_a_guest_is_down(vms):
    """sluiced stopped and started again while vm1's QEMU is gone: the config replays (the
    client port waits for its socket), vm1 is link down; when vm1 boots it links up by itself."""
    d, vm1, vm2 = vms.d, vms.vm1, vms.vm2
    vm1.kill()
    d.stop()
    d.start()
    assert not link_up(d, "vm1")
    wait_until(lambda: link_up(d, "vm2"), RECOVER_S, "vm2 link up", interval=0.5,
               show=lambda: diag(d, vm2))
    vm1.start()
    vm1.wait_ready()
    wait_until(lambda: link_up(d, "vm1"), RECOVER_S, "vm1 link up after it booted",
               interval=0.5, show=lambda: diag(d, vm1))
    wait_ping(vm1, vm2.addr, vms)
    assert_ping(vm2, vm1.addr, vms)


TWO_WORKERS = ("--lcores", "0@0,1@1,2@1")  # two workers sharing CPU 1, as in test_ports.py


def test_two_workers_guests_with_one_queue_pair(vms):
    """The same config under a sluiced with two workers, vm1's rx queue on worker 0 and vm2's
    on worker 1, so each direction is sent by the other worker. A guest with one queue pair
    (QEMU's default) has one tx queue for Sluice: frames from worker 1 must still reach it."""
    d1, vm1, vm2 = vms.d, vms.vm1, vms.vm2
    d1.stop()
    (vms.dir / "w2").mkdir(exist_ok=True)
    d2 = Sluiced(vms.dir / "w2", eal_cores=TWO_WORKERS, config=d1.config)
    try:
        d2.start()
        assert d2.ok("show version")["workers"] == 2
        d2.ok("port set vm1 rxq 0 worker 0")
        d2.ok("port set vm2 rxq 0 worker 1")
        d2.ok("port set h1 rxq 0 worker 1")
        d2.ok("port set h1 rxq 1 worker 1")
        wait_until(lambda: link_up(d2, "vm1") and link_up(d2, "vm2"), RECOVER_S,
                   "vm1 and vm2 link up", interval=0.5, show=lambda: diag(d2, vm1, vm2))
        d2.ok("stats clear")
        got, out = vm1.ping(vm2.addr, count=5, deadline=10)
        got2, out2 = vm2.ping(vm1.addr, count=5, deadline=10)
        got3, out3 = vm1.ping(NS_IP, count=5, deadline=10)
        state = diag(d2, vm1, vm2)
        assert (got, got2, got3) == (5, 5, 5), \
            f"replies vm1->vm2 {got}/5, vm2->vm1 {got2}/5, vm1->h1 {got3}/5 with two " \
            f"workers\n{out}{out2}{out3}\n{state}"
        # tcp_transfer reads Sluice's drops through topo.d: point it at d2 meanwhile.
        vms.d = d2
        try:
            tcp_transfer(vm1, vm2, 4, vms)
            tcp_transfer(vm2, vm1, 4, vms)
        finally:
            vms.d = d1
        drops = d2.ok("show drops")
        # The shared-queue path must lose nothing; a TCG guest that is slow to refill
        # its rx ring may still cost a few tx-full drops (TCP retransmits them).
        assert drops.get("txq-disabled", 0) == 0 and drops["link-down"] == 0, drops
    finally:
        if d2.alive():
            for p, q in (("vm1", 0), ("vm2", 0), ("h1", 0), ("h1", 1)):
                d2.ctl(f"port set {p} rxq {q} worker auto", check=False)
            d2.stop()
        problems = d2.cleanup()
        d1.start()
    assert not problems, problems


def test_tcp_after_restarts(vms):
    """After the crashes, reloads and re-plugs, the guests still exchange a clean TCP stream."""
    tcp_transfer(vms.vm2, vms.vm1, 4, vms)
    assert vms.d.ok("show drops")["mtu-exceeded"] == 0


# -- virtio-user (DPDK testpmd) ------------------------------------------------------------------
class VirtioUserPeer:
    """dpdk-testpmd on a virtio-user port, interactive over a pipe (start / stop / quit)."""

    def __init__(self, workdir, sock, mode, queues=1):
        need_tool("dpdk-testpmd")
        need_tool("stdbuf")
        self.log = Path(workdir) / f"testpmd-{mode}.log"
        self.prefix = f"sle2etp{os.getpid()}"
        # stdbuf: testpmd's stdout is a file, and its statistics must show before it exits.
        # Both lcores on CPU 0: the main lcore only waits on stdin, so the forwarding lcore runs
        # beside sluiced's worker (CPU 1) rather than taking turns with it.
        # --in-memory --single-file-segments: virtio-user shares its memory by fd, few regions.
        cmd = ["stdbuf", "-o0", "dpdk-testpmd", "--lcores", "0@0,1@0", "--no-pci",
               "--in-memory", "--single-file-segments", "-m", "256", "--file-prefix", self.prefix,
               "--vdev", f"net_virtio_user0,path={sock},queues={queues}", "--",
               "-i", f"--forward-mode={mode}", f"--rxq={queues}", f"--txq={queues}",
               "--txd=512", "--rxd=512", "--total-num-mbufs=8192"]
        wait_hugepages(128)
        with open(self.log, "w") as out:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=out,
                                         stderr=subprocess.STDOUT, text=True)

    def text(self):
        return self.log.read_text(errors="replace")

    def send(self, line):
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def wait_for(self, pattern, timeout, start=0):
        def seen():
            if self.proc.poll() is not None:
                pytest.fail(f"testpmd exited {self.proc.returncode}:\n{self.text()[-3000:]}")
            return re.search(pattern, self.text()[start:])
        return wait_until(seen, timeout, f"testpmd: {pattern}", interval=0.1,
                          show=lambda: self.text()[-2000:])

    def stop_stats(self):
        """Stop forwarding; (rx, tx) packets of its accumulated forward statistics."""
        n = len(self.text())
        self.send("stop")
        self.wait_for(r"Accumulated forward statistics[\s\S]*?TX-packets:\s*\d+", 20, n)
        t = self.text()[n:]
        acc = t[t.index("Accumulated forward statistics"):]
        rx = int(re.search(r"RX-packets:\s*(\d+)", acc).group(1))
        tx = int(re.search(r"TX-packets:\s*(\d+)", acc).group(1))
        return rx, tx

    def close(self):
        if self.proc.poll() is None:
            try:
                self.send("quit")
                self.proc.wait(20)
            except (OSError, subprocess.TimeoutExpired):
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        shutil.rmtree(f"/var/run/dpdk/{self.prefix}", ignore_errors=True)


@pytest.fixture
def vu_sluiced(request):
    wd = Path(tempfile.mkdtemp(prefix="sle2e", dir="/tmp"))
    d = Sluiced(wd)
    d.start()
    failed_before = request.session.testsfailed
    yield d, wd
    problems = d.cleanup()
    if problems or request.session.testsfailed > failed_before:
        print(f"\n[e2e] logs kept in {wd}")
    else:
        shutil.rmtree(wd, ignore_errors=True)
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


@pytest.mark.parametrize("queues", [1, 2])
def test_virtio_user_txonly_into_sluice_counters_agree(vu_sluiced, queues):
    """testpmd txonly on virtio-user -> Sluice vhost-user server port -> bridged to a net_null
    sink: every packet testpmd counts as sent is received by Sluice and sent to the sink."""
    d, wd = vu_sluiced
    sock = wd / "vu.sock"
    vhost_port_add(d, "vu", sock, client=False, queues=queues)
    d.ok("port add sink net_null0,no-rx=1")
    tp = VirtioUserPeer(wd, sock, "txonly", queues)
    try:
        tp.wait_for(r"testpmd> ", 30)
        wait_until(lambda: link_up(d, "vu"), 10, "vu link up", show=lambda: d.port("vu"))
        assert len(d.port("vu")["rx_queues"]) == queues, d.port("vu")
        d.ok("stats clear")
        tp.send("start")
        time.sleep(2)
        _, tx = tp.stop_stats()
        # testpmd has stopped sending; Sluice drains what is left in the virtqueues
        wait_until(lambda: d.port("vu")["stats"]["ipackets"] == tx, 5,
                   f"Sluice vu ipackets == testpmd TX-packets {tx}", interval=0.2,
                   show=lambda: (d.port("vu")["stats"], d.ok("show drops")))
        vu = d.port("vu")
        sink = d.port("sink")["stats"]
        drops = d.ok("show drops")
        print(f"\n[e2e] virtio-user txonly, {queues} queue(s): testpmd sent {tx}, Sluice rx "
              f"{vu['stats']['ipackets']}, sink tx {sink['opackets']}, drops {sum(drops.values())}")
        assert tx > 1000, f"testpmd sent only {tx} packets in 2 s:\n{tp.text()[-2000:]}"
        assert vu["stats"]["ierrors"] == 0, vu["stats"]
        assert sink["opackets"] == tx, f"sink {sink}, drops {drops}"
        if queues > 1:
            per_q = {k: v for k, v in vu["xstats"].items()
                     if re.match(r"rx_q\d+_packets$", k)}
            assert len(per_q) == queues and all(per_q.values()), \
                f"every rx queue should carry traffic: {per_q}"
    finally:
        tp.close()


def send_paced(iface, frames, pps):
    """Send raw frames out of iface at about pps frames per second."""
    with socket.socket(socket.AF_PACKET, socket.SOCK_RAW) as s:
        s.bind((iface, 0))
        t0 = time.monotonic()
        for i, f in enumerate(frames):
            s.send(f)
            ahead = t0 + (i + 1) / pps - time.monotonic()
            if ahead > 0:
                time.sleep(ahead)


def test_virtio_user_rxonly_from_sluice_counters_agree(vu_sluiced, netenv):
    """Frames sent into an af_packet port are bridged to the vhost-user port and testpmd rxonly
    counts them: af_packet rx == vhost tx + drops, and testpmd RX-packets == vhost tx.
    The frames are paced: a pcap replay bursts thousands of frames in a few ms, faster than
    testpmd (sharing two CPUs with sluiced) always drains its ring, and the rest is tx-full."""
    d, wd = vu_sluiced
    sock = wd / "vu.sock"
    n = 3000
    root_end, peer = netenv.veth()
    netenv.run("sysctl", "-qw", f"net.ipv6.conf.{peer}.disable_ipv6=1", check=False)
    frame = b"\xff" * 6 + bytes.fromhex("020000000a01") + b"\x88\xb5" + bytes(50)
    vhost_port_add(d, "vu", sock, client=False)
    d.ok(f"port add src net_af_packet0,iface={root_end},qpairs=1")
    tp = VirtioUserPeer(wd, sock, "rxonly")
    try:
        tp.wait_for(r"testpmd> ", 30)
        tp.send("start")
        wait_until(lambda: link_up(d, "vu"), 10, "vu link up", show=lambda: d.port("vu"))
        time.sleep(0.5)  # testpmd's forwarding lcore is polling
        d.ok("stats clear")
        send_paced(peer, [frame] * n, 5000)

        def counters():
            return (d.port("src")["stats"], d.port("vu")["stats"], d.ok("show drops"))

        def settled():
            """The counters once every frame is in, or once they stop moving (a frame the
            kernel dropped before af_packet's ring never arrives: imissed)."""
            a = counters()
            if a[0]["ipackets"] + a[0]["imissed"] >= n and \
                    a[0]["ipackets"] == a[1]["opackets"] + sum(a[2].values()):
                return a
            time.sleep(1)
            return a if counters() == a else None

        wait_until(settled, 15, "Sluice's counters to settle", interval=0.2, show=counters)
        time.sleep(0.5)
        rx, _ = tp.stop_stats()
        src, vu = d.port("src")["stats"], d.port("vu")["stats"]
        drops = d.ok("show drops")
        print(f"\n[e2e] virtio-user rxonly: sent {n}, Sluice src rx {src['ipackets']} "
              f"(imissed {src['imissed']}), vu tx {vu['opackets']} (tx-full {drops['tx-full']}),"
              f" testpmd rx {rx}")
        assert rx == vu["opackets"], f"testpmd rx {rx} != Sluice vu tx: {vu}, {drops}"
        assert src["ipackets"] == vu["opackets"] + sum(drops.values()), (src, vu, drops)
        assert vu["opackets"] >= n * 0.9, \
            f"most frames should reach testpmd (is the machine overloaded?): {src}, {vu}, {drops}"
    finally:
        tp.close()
