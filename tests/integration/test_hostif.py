# SPDX-License-Identifier: BSD-3-Clause
# Host interfaces: `interface set NAME host-if on [name TAP] | off` pairs a router interface with
# a Linux TAP in sluiced's namespace (nlutil.NlTopo). TCP to the router's address reaches the
# Linux stack through the TAP and its answers go out of the interface; on a VLAN interface the
# tag is taken off towards the TAP and put back on the way out; the TAP's carrier follows the
# port's link; the pair is persisted and survives kill -9 (the TAP is persistent: what Linux holds
# on it stays, and the next run mirrors it again); bad input is an error that changes nothing.
import signal
import subprocess
import time

import pytest

from conftest import import_scapy
from nlutil import NlTopo, wait_until

LISTENER = r'''
import socket, sys
kind, addr, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
if kind == "tcp":
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port)); s.listen(1); print("ready", flush=True)
    s.settimeout(15); c, _ = s.accept(); c.sendall(b"router:" + c.recv(100)); c.close()
else:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind((addr, port))
    print("ready", flush=True); s.settimeout(15)
    data, peer = s.recvfrom(2048); s.sendto(b"echo:" + data, peer); print(data.hex(), flush=True)
'''


# The receiving kernel takes the tag off before packet sockets see the frame: it comes in the
# PACKET_AUXDATA control message (tp_vlan_tci, valid if TP_STATUS_VLAN_VALID).
CAPTURE = r'''
import socket, struct, sys
SOL_PACKET, PACKET_AUXDATA, VLAN_VALID = 263, 8, 0x10
r = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
r.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
r.bind((sys.argv[1], 3)); r.settimeout(10)
print("ready", flush=True)
while True:
    d, anc, _, a = r.recvmsg(4096, 256)
    if a[2] == socket.PACKET_OUTGOING or b"echo:vlan" not in d:
        continue
    tag = -1
    for lvl, typ, data in anc:
        if lvl == SOL_PACKET and typ == PACKET_AUXDATA:
            st, _, _, _, _, tci = struct.unpack("IIIHHH", data[:18])
            tag = tci & 0xfff if st & VLAN_VALID else -1
    print(tag, d.hex(), flush=True)
    break
'''


def listen(t, kind, addr, port):
    p = subprocess.Popen(["ip", "netns", "exec", t.ns, "/usr/bin/python3", "-u", "-c", LISTENER,
                          kind, addr, str(port)], stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "ready"
    return p


@pytest.fixture(scope="module")
def t():
    t = NlTopo(2)
    try:
        yield t
        assert t.d.alive(), t.d.stderr()[-3000:]
    finally:
        problems = t.close()
        if problems:
            pytest.fail("\n".join(problems), pytrace=False)


def test_tcp_to_the_router_address_reaches_linux_through_the_tap(t):
    h1 = t[1]
    srv = listen(t, "tcp", "10.0.1.1", 7001)
    try:
        out = h1.sh("/usr/bin/python3", "-c", "import socket\n"
                    "s = socket.create_connection(('10.0.1.1', 7001), timeout=5)\n"
                    "s.sendall(b'h1'); print(s.recv(100).decode())\n", timeout=20).stdout
        assert out.strip() == "router:h1", out
    finally:
        srv.wait(10)
    hif = {h["interface"]: h for h in t.ok("show host-ifs")["host_ifs"]}
    r1 = hif["r1"]
    assert r1["tap"] == "sl-r1" and r1["open"] and r1["carrier"], r1
    assert r1["to_host"]["frames"] >= 3 and r1["from_host"]["frames"] >= 3, r1
    assert r1["mac"] == t.iface("r1")["mac"] and r1["mtu"] == t.iface("r1")["mtu"], r1
    # the ping is Sluice's own answer, not the host's
    before = t.ok("show l3 stats")["echo_replies_sent"]
    assert h1.ping("10.0.1.1", count=2).returncode == 0
    assert t.ok("show l3 stats")["echo_replies_sent"] >= before + 2


def test_tap_carrier_follows_the_port_link(t):
    # a vhost-user port without a guest has its link down (af_packet's never goes down)
    sock = t.dir / "vm.sock"
    t.ok(f"port add vm1 vhost-user server {sock}")
    try:
        t.ok("interface add vm port vm1 vrf red")
        t.ok("interface set vm host-if on")
        wait_until(lambda: "NO-CARRIER" in t.ip("link", "show", "sl-vm").stdout, 5,
                   "TAP carrier off: the port's link is down")
        hif = {h["interface"]: h for h in t.ok("show host-ifs")["host_ifs"]}
        assert not hif["vm"]["carrier"] and hif["r1"]["carrier"], hif
        assert "NO-CARRIER" not in t.ip("link", "show", "sl-r1").stdout
    finally:
        t.c.cmd("interface del vm")
        t.c.cmd("port del vm1")
    wait_until(lambda: "sl-vm" not in t.ip("link").stdout, 5, "TAP of the deleted interface gone")


@pytest.mark.parametrize("cmd, piece", [
    ("interface set nosuch host-if on", "no such interface"),
    ("interface set r1 host-if on name bad/name", "bad host-if name"),
    ("interface set r1 host-if on name waytoolongname123", "bad host-if name"),
    ("interface set r1 host-if on name lo", "already has host-if"),
    ("interface set r1 host-if maybe", "usage"),
    ("interface set r1 host-if on name", "usage"),
    ("interface set r1 host-if on label x", "usage"),
])
def test_bad_host_if_commands_are_errors_and_change_nothing(t, cmd, piece):
    cfg = t.d.config_file_lines()
    assert piece in t.err(cmd)
    assert t.d.config_file_lines() == cfg
    assert t.d.alive()


def test_host_if_refusals_on_a_free_interface(t):
    # an interface without a host-if: off is an error; a name in use or a non-TAP device is too
    t.ok("interface set r2 host-if off")
    try:
        assert "has no host-if" in t.err("interface set r2 host-if off")
        assert "used by interface r1" in t.err("interface set r2 host-if on name sl-r1")
        err = t.err("interface set r2 host-if on name lo")
        assert "exists and is not a TAP" in err, err
        assert "sl-r2" not in t.ip("link").stdout
        assert "interface set r2 host-if on" not in t.d.config_file_lines()
    finally:
        t.ok("interface set r2 host-if on")
        t.ip("addr", "add", "10.0.2.1/24", "dev", "sl-r2", check=False)
        t.ip("-6", "addr", "add", "2001:db8:2::1/64", "dev", "sl-r2", "nodad", check=False)
    wait_until(lambda: len(t.iface("r2")["addresses"]) == 2, 5, "r2 addresses back")
    assert "interface set r2 host-if on" in t.d.config_file_lines()


def test_named_host_if_off_removes_the_tap_and_is_persisted(t):
    t.ok("interface set r2 host-if off")
    try:
        assert "sl-r2" not in t.ip("link").stdout
        wait_until(lambda: t.iface("r2")["addresses"] == [], 5, "kernel addresses withdrawn")
        t.ok("interface set r2 host-if on name tap-two")
        assert "interface set r2 host-if on name tap-two" in t.d.config_file_lines()
        assert "tap-two" in t.ip("link", "show", "tap-two").stdout
        time.sleep(0.3)
        # the TAP's first (random) MAC, seen through netlink, is not taken for the interface's
        assert not any(ln.startswith("interface set r2 m") for ln in t.d.config_file_lines())
        assert t.ip("link", "show", "tap-two").stdout.count(t.iface("r2")["mac"]) == 1
        assert "already has host-if tap-two" in t.err("interface set r2 host-if on name other")
        t.ok("interface set r2 host-if on name tap-two")  # the same again: no change
        t.ok("interface set r2 host-if off")
        assert "tap-two" not in t.ip("link").stdout
    finally:
        t.c.cmd("interface set r2 host-if off")
        t.ok("interface set r2 host-if on")
        t.ip("addr", "add", "10.0.2.1/24", "dev", "sl-r2", check=False)
        t.ip("-6", "addr", "add", "2001:db8:2::1/64", "dev", "sl-r2", "nodad", check=False)
    wait_until(lambda: len(t.iface("r2")["addresses"]) == 2, 5, "r2 addresses back")


def test_kill9_keeps_the_tap_and_the_next_run_mirrors_it_again(t):
    t.ip("route", "add", "10.9.0.0/24", "via", "10.0.2.2", "dev", "sl-r2", "table", "100")
    t.wait_route("10.9.0.0/24")
    ifindex = t.ip("-o", "link", "show", "sl-r1").stdout.split(":")[0]
    t.c.close()
    t.d.kill9()
    # the TAPs stay, carrier off, with their addresses and routes
    assert "NO-CARRIER" in t.ip("link", "show", "sl-r1").stdout
    assert "10.0.1.1/24" in t.ip("addr", "show", "sl-r1").stdout
    t.d.start()
    t.c = t.d.client(timeout=60)
    wait_until(lambda: all(p["link"]["up"] for p in t.ok("show ports")), 10, "links up")
    t.wait_route("10.9.0.0/24", timeout=10)
    wait_until(lambda: len(t.iface("r1")["addresses"]) == 2, 5, "addresses mirrored again")
    assert t.ip("-o", "link", "show", "sl-r1").stdout.split(":")[0] == ifindex
    wait_until(lambda: "NO-CARRIER" not in t.ip("link", "show", "sl-r1").stdout, 5, "carrier")
    assert t[1].ping("10.0.2.2").returncode == 0
    t.ip("route", "del", "10.9.0.0/24", "table", "100")
    t.wait_route("10.9.0.0/24", present=False)


def test_sighup_reload_reattaches_the_taps_and_mirrors_again(t):
    t.ip("route", "add", "10.9.0.0/24", "via", "10.0.2.2", "dev", "sl-r2", "table", "100")
    t.wait_route("10.9.0.0/24")
    ifindex = t.ip("-o", "link", "show", "sl-r2").stdout.split(":")[0]
    reloads = t.d.stderr().count("reloaded")
    t.d.send_signal(signal.SIGHUP)
    wait_until(lambda: t.d.stderr().count("reloaded") > reloads, 10, "reload done",
               show=lambda: t.d.stderr()[-2000:])
    t.wait_route("10.9.0.0/24", timeout=10)
    wait_until(lambda: len(t.iface("r2")["addresses"]) == 2, 5, "addresses mirrored again")
    assert t.ip("-o", "link", "show", "sl-r2").stdout.split(":")[0] == ifindex
    assert t.nl()["state"] == "synced"
    assert t[1].ping("10.0.2.2").returncode == 0
    t.ip("route", "del", "10.9.0.0/24", "table", "100")
    t.wait_route("10.9.0.0/24", present=False)


def test_interface_deleted_takes_its_tap(t):
    t.ok("port set p2 vlan trunk 30")
    t.ok("interface add v30 port p2 vlan 30 vrf red")
    t.ok("interface set v30 host-if on")
    assert "sl-v30" in t.ip("link").stdout
    t.ok("interface del v30")
    wait_until(lambda: "sl-v30" not in t.ip("link").stdout, 5, "TAP of a deleted interface gone")
    assert not any("v30" in ln for ln in t.d.config_file_lines())
    t.ok("port set p2 vlan none")


def test_vlan_interface_host_if_untags_to_the_tap_and_tags_back():
    s = import_scapy()
    t = NlTopo(2, vlans={1: 10})
    try:
        h1 = t[1]
        mac1 = h1.sh("cat", f"/sys/class/net/{h1.veth_n}/address").stdout.strip()
        rmac = t.iface("r1")["mac"]
        # Linux answers h1 without resolving it (h1 cannot answer ARP in VLAN 10)
        t.ip("neigh", "replace", h1.ip4, "lladdr", mac1, "dev", "sl-r1", "nud", "permanent")
        srv = listen(t, "udp", "10.0.1.1", 7002)
        cap = subprocess.Popen(["ip", "netns", "exec", h1.ns, "/usr/bin/python3", "-u", "-c",
                                CAPTURE, h1.veth_n], stdout=subprocess.PIPE, text=True)
        assert cap.stdout.readline().strip() == "ready"
        f = bytes(s.Ether(src=mac1, dst=rmac) / s.Dot1Q(vlan=10) /
                  s.IP(src=h1.ip4, dst="10.0.1.1") / s.UDP(sport=4444, dport=7002) / b"vlan10")
        h1.sh("/usr/bin/python3", "-c", "import socket, sys\n"
              "x = socket.socket(socket.AF_PACKET, socket.SOCK_RAW); x.bind((sys.argv[1], 0))\n"
              "x.send(bytes.fromhex(sys.argv[2]))\n", h1.veth_n, f.hex())
        got = srv.stdout.readline().strip()
        assert bytes.fromhex(got) == b"vlan10", got  # the untagged frame reached Linux
        srv.wait(10)
        tag, frame = cap.stdout.readline().split()
        cap.wait(10)
        back = s.Ether(bytes.fromhex(frame))
        assert int(tag) == 10, (tag, back.show(dump=True))
        assert back.src == rmac and back[s.UDP].dport == 4444, back.show(dump=True)
    finally:
        problems = t.close()
        if problems:
            pytest.fail("\n".join(problems), pytrace=False)
