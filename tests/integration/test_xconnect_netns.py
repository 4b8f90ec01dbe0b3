# SPDX-License-Identifier: BSD-3-Clause
# Real pings between two network namespaces through sluiced: each namespace's veth peer sits on a
# net_af_packet port of the root end; the two ports are cross-connected. Ports are taken out of
# the L2 bridge (vlan none) so that only the cross-connect can carry frames.
import pytest

from conftest import need_tool, wait_until


@pytest.fixture
def two_hosts(netenv, sluiced):
    need_tool("ping")
    ns1, ns2 = netenv.netns(), netenv.netns()
    v1, _ = netenv.veth(ns1, "10.199.7.1/24")
    v2, _ = netenv.veth(ns2, "10.199.7.2/24")
    d = sluiced
    d.ok(f"port add h1 net_af_packet0,iface={v1},qpairs=1")
    d.ok(f"port add h2 net_af_packet1,iface={v2},qpairs=1")
    d.ok("port set h1 vlan none")
    d.ok("port set h2 vlan none")
    return netenv, d, ns1, ns2


def ping(netenv, ns, dst, count, timeout_s=2):
    return netenv.exec(ns, "ping", "-n", "-c", str(count), "-i", "0.2", "-W", str(timeout_s),
                       dst, check=False, timeout=count * 3 + 10)


def test_ping_between_namespaces_only_while_cross_connected(two_hosts):
    netenv, d, ns1, ns2 = two_hosts

    p = ping(netenv, ns1, "10.199.7.2", 1, 1)
    assert p.returncode != 0, f"ping got through with no cross-connect:\n{p.stdout}"
    wait_until(lambda: d.ok("show drops")["no-output"] > 0, 5, "no-output drops")

    d.ok("port xconnect h1 h2")
    d.ok("stats clear")
    p = ping(netenv, ns1, "10.199.7.2", 3)
    assert p.returncode == 0, f"ping through the cross-connect failed:\n{p.stdout}{p.stderr}"
    assert " 0% packet loss" in p.stdout, p.stdout
    p = ping(netenv, ns2, "10.199.7.1", 3)
    assert p.returncode == 0, f"ping back failed:\n{p.stdout}{p.stderr}"

    h1, h2 = d.port("h1")["stats"], d.port("h2")["stats"]
    # 6 echo requests and 6 replies at least (ARP too), each way
    assert h1["ipackets"] >= 6 and h2["opackets"] >= 6, (h1, h2)
    assert h2["ipackets"] >= 6 and h1["opackets"] >= 6, (h1, h2)
    s = d.ok("show stats")
    assert s["tx_packets"] >= 12 and s["rx_packets"] >= 12
    assert d.worker_stats()[0]["tx_packets"] >= 12

    d.ok("port xconnect del h1")
    assert d.port("h2")["xconnect"] is None
    drops = d.ok("show drops")["no-output"]
    p = ping(netenv, ns1, "10.199.7.2", 2, 1)
    assert p.returncode != 0, f"ping got through after 'port xconnect del':\n{p.stdout}"
    wait_until(lambda: d.ok("show drops")["no-output"] > drops, 5, "no-output drops to rise")

    d.ok("port xconnect h2 h1")
    p = ping(netenv, ns1, "10.199.7.2", 2)
    assert p.returncode == 0, f"ping after reconnecting failed:\n{p.stdout}"


def test_ping_survives_deleting_and_adding_other_ports(two_hosts):
    netenv, d, ns1, ns2 = two_hosts
    d.ok("port xconnect h1 h2")
    for i in range(5):
        d.ok(f"port add x{i} net_null{i},no-rx=1")
    p = ping(netenv, ns1, "10.199.7.2", 3)
    assert p.returncode == 0, p.stdout
    for i in range(5):
        d.ok(f"port del x{i}")
    p = ping(netenv, ns2, "10.199.7.1", 3)
    assert p.returncode == 0, p.stdout
