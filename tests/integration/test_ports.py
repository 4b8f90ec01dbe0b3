# SPDX-License-Identifier: BSD-3-Clause
# Port life cycle at run time: hot-plug of net_null and net_pcap devices, delete and re-add, names,
# MTU, xstats, rx queue pinning and the one-tx-queue-per-worker rule.
import pytest

from conftest import wait_until, write_pcap

PORT_KEYS = {"name", "devargs", "port_id", "driver", "mac", "link", "mtu", "rxq", "txq",
             "socket", "xconnect", "rx_queues", "stats"}
# Two workers on two CPUs: lcore 0 (control) on CPU 0, workers lcore 1 and 2 share CPU 1.
TWO_WORKERS = ("--lcores", "0@0,1@1,2@1")


@pytest.fixture
def empty_pcap(workdir):
    p = workdir / "empty.pcap"
    write_pcap(p)
    return p


def names(d):
    return [p["name"] for p in d.ok("show ports")]


def test_port_add_null_returns_documented_port_object(sluiced):
    p = sluiced.ok("port add n0 net_null0,no-rx=1")
    assert PORT_KEYS <= set(p), PORT_KEYS - set(p)
    assert p["name"] == "n0" and p["devargs"] == "net_null0,no-rx=1"
    assert p["driver"] == "net_null"
    assert p["rxq"] == 1 and p["txq"] == 1 and p["mtu"] == 1500
    assert p["xconnect"] is None
    assert p["rx_queues"] == [{"queue": 0, "worker": 0, "pinned": False}]
    assert p["link"]["up"] is True
    assert {k: v for k, v in p.items() if k != "stats"} == \
           {k: v for k, v in sluiced.port("n0").items() if k not in ("stats", "xstats", "tx_queues")}
    assert sluiced.config_show() == ["port add n0 net_null0,no-rx=1"]


def test_port_add_pcap_port(sluiced, empty_pcap, workdir):
    dev = f"net_pcap0,rx_pcap={empty_pcap},tx_pcap={workdir}/out.pcap"
    p = sluiced.ok("port add p0", dev)
    assert p["driver"] == "net_pcap" and p["devargs"] == dev
    assert names(sluiced) == ["p0"]
    assert (workdir / "out.pcap").exists()


def test_port_del_removes_port_config_line_and_worker_queue(sluiced):
    sluiced.ok("port add n0 net_null0,no-rx=1")
    sluiced.ok("port add n1 net_null1,no-rx=1")
    assert sluiced.ok("port del n0") is None
    assert names(sluiced) == ["n1"]
    assert sluiced.config_show() == ["port add n1 net_null1,no-rx=1"]
    assert sluiced.config_file_lines() == ["port add n1 net_null1,no-rx=1"]
    assert [q["port"] for q in sluiced.worker_stats()[0]["rx_queues"]] == ["n1"]
    assert "no such port" in sluiced.err("port show n0")
    assert "no such port" in sluiced.err("port del n0")


def test_readd_same_devargs_after_del_works(sluiced, empty_pcap, workdir):
    pcap = f"net_pcap3,rx_pcap={empty_pcap},tx_pcap={workdir}/o.pcap"
    for i in range(3):
        sluiced.ok("port add n net_null4")  # rx traffic: deleted while polled
        sluiced.ok("port add p", pcap)
        assert sluiced.ok("port add r net_ring0")["driver"] == "net_ring"
        sluiced.ok("port xconnect n p")
        wait_until(lambda: sluiced.port("p")["stats"]["opackets"] > 0, 5, "traffic n -> p")
        sluiced.ok("port del n")
        sluiced.ok("port del p")
        sluiced.ok("port del r")
        assert names(sluiced) == []
    # and under another name
    sluiced.ok("port add other net_null4")
    assert sluiced.port("other")["devargs"] == "net_null4"


def test_duplicate_name_rejected_and_first_port_untouched(sluiced):
    sluiced.ok("port add n0 net_null0,no-rx=1")
    before = sluiced.port("n0")
    assert sluiced.err("port add n0 net_null1,no-rx=1") == "port n0: already exists"
    after = sluiced.port("n0")
    assert after["devargs"] == before["devargs"] and after["port_id"] == before["port_id"]
    assert sluiced.config_show() == ["port add n0 net_null0,no-rx=1"]
    # the refused devargs were not attached: another name can take them
    sluiced.ok("port add n1 net_null1,no-rx=1")


def test_devargs_already_in_use_rejected(sluiced):
    sluiced.ok("port add n0 net_null0,no-rx=1")
    e = sluiced.err("port add n1 net_null0,no-rx=1")
    assert "net_null0" in e
    assert names(sluiced) == ["n0"]
    assert sluiced.port("n0")["link"]["up"]
    sluiced.ok("port del n0")
    sluiced.ok("port add n1 net_null0,no-rx=1")


def test_failed_add_leaves_no_port_and_devargs_reusable(sluiced):
    e = sluiced.err("port add n0 net_null0,no-rx=1 mtu 9000")
    assert "mtu 9000" in e and "n0" in e, e
    assert names(sluiced) == [] and sluiced.config_show() == []
    sluiced.ok("port add n0 net_null0,no-rx=1")


def test_port_show_name_has_xstats(sluiced):
    sluiced.ok("port add n0 net_null0")
    wait_until(lambda: sluiced.port("n0")["stats"]["ipackets"] > 0, 5, "null rx")
    p = sluiced.port("n0")
    assert isinstance(p["xstats"], dict) and p["xstats"]
    assert all(isinstance(v, int) for v in p["xstats"].values())
    assert p["xstats"]["rx_good_packets"] > 0
    assert "xstats" not in sluiced.ok("show ports")[0]


def test_port_set_mtu_changes_mtu_and_is_saved(sluiced, empty_pcap, workdir):
    sluiced.ok("port add n0 net_null0,no-rx=1")
    assert sluiced.ok("port set n0 mtu 1400") is None
    assert sluiced.port("n0")["mtu"] == 1400
    assert sluiced.config_show() == ["port add n0 net_null0,no-rx=1 mtu 1400"]
    assert sluiced.config_file_lines() == sluiced.config_show()
    sluiced.ok("port set n0 mtu 68")
    assert sluiced.port("n0")["mtu"] == 68
    sluiced.ok("port add p0", f"net_pcap0,rx_pcap={empty_pcap},tx_pcap={workdir}/o.pcap")
    sluiced.ok("port set p0 mtu 1280")
    assert sluiced.port("p0")["mtu"] == 1280


@pytest.mark.parametrize("kind", ["null", "pcap"])
def test_big_mtu_refused_with_clear_error_and_port_keeps_working(sluiced, empty_pcap, workdir,
                                                                 kind):
    dev = "net_null0" if kind == "null" else \
        f"net_pcap0,rx_pcap={empty_pcap},tx_pcap={workdir}/o.pcap"
    sluiced.ok("port add x", dev)
    sluiced.ok("port add y net_null1,no-rx=1")
    if kind == "null":
        sluiced.ok("port xconnect x y")
    r = sluiced.ctl("port set x mtu 9000")
    if r["ok"]:
        assert sluiced.port("x")["mtu"] == 9000
        return
    e = r["error"]
    assert e.startswith("port x: ") and "9000" in e, e
    assert "scatter" in e or "out of range" in e, e
    p = sluiced.port("x")
    assert p["mtu"] == 1500 and p["link"]["up"]
    assert sluiced.config_show()[0] == f"port add x {dev}"
    assert p["rx_queues"] == [{"queue": 0, "worker": 0, "pinned": False}]
    if kind == "null":  # still polled and forwarding
        tx = sluiced.port("y")["stats"]["opackets"]
        wait_until(lambda: sluiced.port("y")["stats"]["opackets"] > tx, 5,
                   "forwarding after a refused MTU change")


def test_rxq_pin_and_unpin_with_one_worker(sluiced):
    sluiced.ok("port add n0 net_null0,no-rx=1")
    assert sluiced.ok("port set n0 rxq 0 worker 0") is None
    assert sluiced.port("n0")["rx_queues"] == [{"queue": 0, "worker": 0, "pinned": True}]
    assert sluiced.config_show() == ["port add n0 net_null0,no-rx=1",
                                     "port set n0 rxq 0 worker 0"]
    assert sluiced.err("port set n0 rxq 0 worker 5") == "port n0: worker 5 out of range 0-0"
    assert sluiced.err("port set n0 rxq 1 worker 0") == "port n0: rxq 1 out of range 0-0"
    assert sluiced.port("n0")["rx_queues"] == [{"queue": 0, "worker": 0, "pinned": True}]
    assert sluiced.ok("port set n0 rxq 0 worker auto") is None
    assert sluiced.port("n0")["rx_queues"] == [{"queue": 0, "worker": 0, "pinned": False}]
    assert sluiced.config_show() == ["port add n0 net_null0,no-rx=1"]


def worker_queues(d):
    return {w["worker"]: sorted((q["port"], q["queue"]) for q in w["rx_queues"])
            for w in d.worker_stats()}


def test_show_workers_lists_queue_under_pinned_worker(sluiced_factory):
    d = sluiced_factory(eal_cores=TWO_WORKERS)
    assert d.ok("show version")["workers"] == 2
    p = d.ok("port add m net_null0,no-rx=1 rxq 2")
    assert p["txq"] == 2  # one per worker by default
    # automatic placement spreads the two queues
    assert sorted(q["worker"] for q in p["rx_queues"]) == [0, 1]
    d.ok("port set m rxq 0 worker 1")
    d.ok("port set m rxq 1 worker 1")
    assert worker_queues(d) == {0: [], 1: [("m", 0), ("m", 1)]}
    d.ok("port set m rxq 0 worker 0")
    assert worker_queues(d) == {0: [("m", 0)], 1: [("m", 1)]}
    assert [q["pinned"] for q in d.port("m")["rx_queues"]] == [True, True]
    assert d.err("port set m rxq 0 worker 2") == "port m: worker 2 out of range 0-1"
    assert d.err("port set m rxq 2 worker 0") == "port m: rxq 2 out of range 0-1"
    d.ok("port set m rxq 1 worker auto")
    # a queue handed back goes to the least loaded worker
    assert worker_queues(d) == {0: [("m", 0)], 1: [("m", 1)]}
    assert d.config_show() == ["port add m net_null0,no-rx=1 rxq 2",
                               "port set m rxq 0 worker 0"]


def test_txq_fewer_than_workers_rejected(sluiced_factory):
    d = sluiced_factory(eal_cores=TWO_WORKERS)
    e = d.err("port add m net_null0,no-rx=1 txq 1")
    assert "txq 1 is fewer than the 2 workers" in e, e
    assert names(d) == [] and d.config_show() == []
    assert d.ok("port add m net_null0,no-rx=1 txq 2")["txq"] == 2
    assert d.ok("port add m3 net_null1,no-rx=1 txq 3")["txq"] == 3


def test_many_ports_then_delete_all(sluiced):
    for i in range(16):
        sluiced.ok(f"port add n{i} net_null{i},no-rx=1")
    assert len(names(sluiced)) == 16
    assert len(sluiced.worker_stats()[0]["rx_queues"]) == 16
    for i in range(16):
        sluiced.ok(f"port del n{i}")
    assert names(sluiced) == [] and sluiced.config_show() == []
    assert sluiced.worker_stats()[0]["rx_queues"] == []


def test_deleting_a_port_removes_its_cross_connect(sluiced):
    d = sluiced
    d.ok("port add a net_null0,no-rx=1")
    d.ok("port add b net_null1,no-rx=1")
    d.ok("port xconnect a b")
    d.ok("port del b")
    assert d.port("a")["xconnect"] is None
    assert d.config_show() == ["port add a net_null0,no-rx=1"]
    d.ok("port add b net_null1,no-rx=1")
    assert d.port("b")["xconnect"] is None
    d.ok("port xconnect b a")


def test_cross_connecting_a_connected_port_is_refused(sluiced):
    d = sluiced
    for i, n in enumerate("abc"):
        d.ok(f"port add {n} net_null{i},no-rx=1")
    d.ok("port xconnect a b")
    e = d.err("port xconnect c a")
    assert "port a: already cross-connected to b" in e, e
    e = d.err("port xconnect b c")
    assert "port b: already cross-connected to a" in e, e
    assert d.port("c")["xconnect"] is None
    assert d.config_show()[-1] == "port xconnect a b"


def test_port_limit_refused_with_clear_error(sluiced):
    """Adding ports until one is refused: the refusal names the limit, not a memory error, and
    every port added before keeps working."""
    d = sluiced
    added, err = 0, None
    for i in range(70):
        r = d.ctl(f"port add n{i} net_null{i},no-rx=1")
        if not r["ok"]:
            err = r["error"]
            break
        added += 1
    assert err is not None, "70 ports accepted"
    assert len(d.ok("show ports")) == added
    assert err.startswith(f"port n{added}: "), err
    assert "too many ports" in err or "max" in err, \
        f"port {added + 1} refused with an unclear error: {err!r}"


@pytest.mark.parametrize("words,needle", [
    ("port add v1 vhost-user", "usage"),
    ("port add v1 vhost-user sideways /tmp/x.sock", "usage"),
    ("port add v1 vhost-user server", "usage"),
    ("port add v1 vhost-user server relative.sock", "must be absolute"),
    ("port add v1 vhost-user server /tmp/a,b.sock", "without ','"),
    ("port add v1 vhost-user server /tmp/slt-q.sock queues 0", "queues"),
    ("port add v1 vhost-user server /tmp/slt-q.sock queues 65", "queues"),
    ("port add v1 vhost-user server /tmp/slt-q.sock queues", "usage"),
    ("port add v1 vhost-user server /tmp/slt-q.sock colour red", "unknown option"),
    ("port add v1 vhost-user server /" + "p" * 120, "path longer"),
])
def test_vhost_user_port_add_bad_input(sluiced, words, needle):
    """Every malformed vhost-user port line is refused with an error naming the problem; nothing
    is added or saved and the daemon keeps answering."""
    before = sluiced.config_show()
    err = sluiced.err(*words.split())
    assert needle in err, err
    assert sluiced.config_show() == before
    assert "v1" not in names(sluiced)
    assert sluiced.ok("show version")["pid"] == sluiced.pid


def test_vhost_user_server_port_on_a_live_socket_is_refused(sluiced, workdir):
    """A socket another backend listens on is not stolen; a stale one (nobody listening, e.g.
    left by a killed sluiced) is replaced, and the port is saved in its short form."""
    import socket
    live = workdir / "live.sock"
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(str(live))
    srv.listen(1)
    try:
        assert "in use" in sluiced.err("port", "add", "v1", "vhost-user", "server", str(live))
    finally:
        srv.close()
    # now nobody listens: the file is stale and gets replaced
    p = sluiced.ok("port", "add", "v1", "vhost-user", "server", str(live), "queues", "2")
    assert p["driver"] == "net_vhost" and p["vhost"]["mode"] == "server"
    assert p["vhost"]["connected"] is False and p["link"]["up"] is False
    assert sluiced.config_show() == [f"port add v1 vhost-user server {live} queues 2"]
