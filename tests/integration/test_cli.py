# SPDX-License-Identifier: BSD-3-Clause
# The control protocol and every CLI command, with good and hostile input: each bad line gets an
# explicit error reply, the connection and the daemon survive, and the running config is unchanged.
import json
import random
import socket
import time

import pytest

from conftest import RawClient, wait_until

# Commands of docs/protocol.md (the `command` column of `help`).
DOCUMENTED_COMMANDS = {
    "help", "show version", "port add", "port del", "port set", "port xconnect",
    "port xconnect del", "port show", "show ports", "show workers", "show stats", "show drops",
    "stats clear", "set busy-poll", "config show", "config save",
}
PORT_KEYS = {"name", "devargs", "port_id", "driver", "mac", "link", "mtu", "rxq", "txq",
             "socket", "xconnect", "rx_queues", "stats"}
PORT_STAT_KEYS = {"ipackets", "opackets", "ibytes", "obytes", "imissed", "ierrors", "oerrors",
                  "rx_nombuf"}
WORKER_KEYS = {"worker", "lcore", "rx_queues", "rx_packets", "tx_packets", "drops", "bursts",
               "loops", "busy_cycles", "idle_cycles", "cycles_per_packet", "sleeping"}


@pytest.fixture(scope="module")
def d(shared_sluiced):
    """One daemon for the module, with two quiet ports (null sinks: no rx traffic)."""
    shared_sluiced.ok("port add qa net_null0,no-rx=1")
    shared_sluiced.ok("port add qb net_null1,no-rx=1")
    return shared_sluiced


@pytest.fixture(autouse=True)
def config_unchanged(d):
    """Around every test: the daemon answers and neither `config show` nor the config file
    changed (the good-args tests put back what they change)."""
    before = d.config_show()
    assert d.config_file_lines() == before
    yield
    assert d.alive(), f"sluiced died:\n{d.stderr()[-3000:]}"
    assert d.ok("show version")["pid"] == d.pid
    assert d.config_show() == before
    assert d.config_file_lines() == before


@pytest.fixture
def c(d):
    with d.client() as cl:
        yield cl


# ---- good arguments ----------------------------------------------------------------------------

def test_help_lists_every_documented_command_sorted(d):
    h = d.ok("help")
    assert isinstance(h, list) and h
    for e in h:
        assert set(e) == {"command", "syntax", "help"}, e
        assert e["syntax"].startswith(e["command"]), e
        assert e["help"], e
    cmds = [e["command"] for e in h]
    missing = {dc for dc in DOCUMENTED_COMMANDS
               if not any(cm == dc or cm.startswith(dc + " ") for cm in cmds)}
    assert not missing, missing
    assert cmds == sorted(cmds)


def test_show_version_reports_version_dpdk_workers_uptime_pid(d):
    v = d.ok("show version")
    assert set(v) >= {"version", "dpdk", "workers", "uptime_s", "pid"}
    assert v["pid"] == d.pid
    assert v["workers"] == 1  # -l 0-1: the main lcore is the control thread
    assert "22.11" in v["dpdk"]
    assert v["uptime_s"] >= 0 and v["version"]


def test_show_workers_has_documented_fields(d):
    ws = d.ok("show workers")
    assert len(ws) == 1
    w = ws[0]
    assert WORKER_KEYS <= set(w), WORKER_KEYS - set(w)
    assert w["worker"] == 0 and w["lcore"] == 1
    assert sorted((q["port"], q["queue"]) for q in w["rx_queues"]) == [("qa", 0), ("qb", 0)]
    loops = w["loops"]
    wait_until(lambda: d.ok("show workers")[0]["loops"] > loops, 5, "worker loops to advance")


def test_show_stats_has_totals_drops_ports_and_rcu(d):
    s = d.ok("show stats")
    assert {"rx_packets", "tx_packets", "drops", "ports", "rcu"} <= set(s)
    assert {"no-output", "tx-full"} <= set(s["drops"])
    assert sorted(p["name"] for p in s["ports"]) == ["qa", "qb"]
    for p in s["ports"]:
        assert PORT_STAT_KEYS - {"rx_nombuf"} <= set(p), p
    assert {"grace_periods", "max_grace_us"} <= set(s["rcu"])


def test_show_drops_lists_every_reason_as_integer(d):
    dr = d.ok("show drops")
    assert {"no-output", "tx-full"} <= set(dr)
    assert all(isinstance(v, int) and v >= 0 for v in dr.values()), dr
    assert set(dr) == set(d.ok("show stats")["drops"])


def test_stats_clear_returns_null_and_counters_restart(d):
    assert d.ok("stats clear") is None
    s = d.ok("show stats")
    assert s["rx_packets"] == 0 and s["tx_packets"] == 0
    assert all(v == 0 for v in s["drops"].values())


def test_busy_poll_on_is_saved_and_off_removes_it(d):
    assert d.ok("set busy-poll on") is None
    assert "set busy-poll on" in d.config_show()
    assert "set busy-poll on" in d.config_file_lines()
    wait_until(lambda: not d.ok("show workers")[0]["sleeping"], 5, "worker awake")
    assert d.ok("set busy-poll off") is None
    assert "set busy-poll on" not in d.config_show()


def test_config_show_is_array_of_command_lines(d):
    cfg = d.config_show()
    assert cfg == ["port add qa net_null0,no-rx=1", "port add qb net_null1,no-rx=1"]


def test_config_save_reports_path_and_line_count(d):
    r = d.ok("config save")
    assert r == {"path": str(d.config), "lines": len(d.config_show())}


def test_port_commands_with_good_args(d):
    p = d.ok("port add qc net_null2,no-rx=1 rxq 1 txq 1 mtu 1400")
    assert PORT_KEYS <= set(p)
    assert p["name"] == "qc" and p["mtu"] == 1400 and p["rxq"] == 1 and p["txq"] == 1
    assert "port add qc net_null2,no-rx=1 rxq 1 txq 1 mtu 1400" in d.config_show()
    assert d.ok("port set qc mtu 1500") is None
    assert d.port("qc")["mtu"] == 1500
    assert d.ok("port set qc rxq 0 worker 0") is None
    assert d.port("qc")["rx_queues"] == [{"queue": 0, "worker": 0, "pinned": True}]
    assert d.ok("port set qc rxq 0 worker auto") is None
    assert d.port("qc")["rx_queues"][0]["pinned"] is False
    assert d.ok("port xconnect qc qa") is None
    assert d.port("qa")["xconnect"] == "qc" and d.port("qc")["xconnect"] == "qa"
    assert d.ok("port xconnect qc qa") is None  # the same cross-connect again: no change
    assert d.ok("port xconnect del qa") is None
    assert d.port("qc")["xconnect"] is None
    assert [x["name"] for x in d.ok("show ports")] == ["qa", "qb", "qc"]
    assert "xstats" in d.port("qc")
    assert d.ok("port del qc") is None
    assert [x["name"] for x in d.ok("port show")] == ["qa", "qb"]


def test_sluicectl_exits_1_on_error_reply(d):
    import subprocess
    p = subprocess.run([str(d.ctl_bin), "-s", str(d.sock), "--json", "port", "del", "nosuch"],
                       capture_output=True, text=True, timeout=20)
    assert p.returncode == 1
    assert json.loads(p.stdout) == {"ok": False, "error": "port nosuch: no such port"}


# ---- bad arguments -----------------------------------------------------------------------------

N32 = "n" * 32
BAD_LINES = [
    # unknown commands
    ("frobnicate", "unknown command 'frobnicate'"),
    ("show", "unknown command"),
    ("show versions", "unknown command"),
    ("port", "unknown command"),
    ("port set qa", "unknown command"),
    ("port set qa speed 10", "unknown command"),
    ("SHOW VERSION", "unknown command"),
    # extra words
    ("help me", "usage: help"),
    ("show version now", "usage: show version"),
    ("show workers all", "usage: show workers"),
    ("show stats all", "usage: show stats"),
    ("show drops all", "usage: show drops"),
    ("show ports qa", "usage: show ports"),
    ("stats clear now", "usage: stats clear"),
    ("config show all", "usage: config show"),
    ("config save now", "usage: config save"),
    ("port del qa qb", "usage: port del NAME"),
    ("port show qa qb", "usage: port show [NAME]"),
    ("port set qa mtu 1500 1500", "usage: port set NAME mtu N"),
    ("port set qa rxq 0 worker 0 0", "usage: port set NAME rxq Q worker W|auto"),
    ("port xconnect qa qb qa", "usage: port xconnect A B"),
    ("port xconnect del qa qb", "usage: port xconnect del A"),
    ("set busy-poll on off", "usage: set busy-poll on|off"),
    # missing words
    ("set busy-poll", "usage: set busy-poll on|off"),
    ("port add", "usage: port add"),
    ("port add qz", "usage: port add"),
    ("port add qz net_null5,no-rx=1 rxq", "usage: port add"),
    ("port del", "usage: port del NAME"),
    ("port set qa mtu", "usage: port set NAME mtu N"),
    ("port set qa rxq 0", "usage: port set NAME rxq Q worker W|auto"),
    ("port set qa rxq 0 worker", "usage: port set NAME rxq Q worker W|auto"),
    ("port set qa rxq 0 wrkr 0", "usage: port set NAME rxq Q worker W|auto"),
    ("port xconnect", "usage: port xconnect A B"),
    ("port xconnect qa", "usage: port xconnect A B"),
    ("port xconnect del", "usage: port xconnect del A"),
    # bad values
    ("set busy-poll maybe", "usage: set busy-poll on|off"),
    ("set busy-poll ON", "usage: set busy-poll on|off"),
    ("port add qz net_null5,no-rx=1 rxq abc", "rxq 'abc' not a number in 1-64"),
    ("port add qz net_null5,no-rx=1 rxq -1", "rxq '-1' not a number"),
    ("port add qz net_null5,no-rx=1 rxq 0x10", "rxq '0x10' not a number"),
    ("port add qz net_null5,no-rx=1 rxq 1e3", "rxq '1e3' not a number"),
    ("port add qz net_null5,no-rx=1 rxq +1", "rxq '+1' not a number"),
    ("port add qz net_null5,no-rx=1 rxq 0", "rxq '0' not a number in 1-64"),
    ("port add qz net_null5,no-rx=1 rxq 65", "rxq '65' not a number in 1-64"),
    ("port add qz net_null5,no-rx=1 txq 0", "txq '0' not a number in 1-1024"),
    ("port add qz net_null5,no-rx=1 txq 1025", "txq '1025' not a number in 1-1024"),
    ("port add qz net_null5,no-rx=1 mtu 67", "mtu '67' not a number in 68-9600"),
    ("port add qz net_null5,no-rx=1 mtu 9601", "mtu '9601' not a number in 68-9600"),
    ("port add qz net_null5,no-rx=1 mtu 4294967297", "not a number in 68-9600"),
    ("port add qz net_null5,no-rx=1 mtu 99999999999999999999", "not a number in 68-9600"),
    ("port add qz net_null5,no-rx=1 speed 10", "unknown option 'speed' (rxq, txq, mtu)"),
    ("port add qz net_null5,no-rx=1 rxq 1 rxq", "usage: port add"),
    ("port set qa mtu abc", "mtu 'abc' not a number in 68-9600"),
    ("port set qa mtu 67", "not a number in 68-9600"),
    ("port set qa mtu 9601", "not a number in 68-9600"),
    ("port set qa mtu -1500", "not a number in 68-9600"),
    ("port set qa rxq x worker 0", "rxq 'x' not a queue number"),
    ("port set qa rxq 1 worker 0", "rxq 1 out of range 0-0"),
    ("port set qa rxq 64 worker 0", "rxq"),
    ("port set qa rxq 0 worker 1", "worker 1 out of range 0-0"),
    ("port set qa rxq 0 worker 5", "worker 5 out of range 0-0"),
    ("port set qa rxq 0 worker -1", "worker '-1' not a number or 'auto'"),
    ("port set qa rxq 0 worker 99999", "worker '99999'"),
    ("port set qa rxq 0 worker AUTO", "not a number or 'auto'"),
    # unknown port
    ("port del nosuch", "port nosuch: no such port"),
    ("port show nosuch", "port nosuch: no such port"),
    ("port set nosuch mtu 1500", "port nosuch: no such port"),
    ("port set nosuch rxq 0 worker 0", "port nosuch: no such port"),
    ("port xconnect qa nosuch", "port nosuch: no such port"),
    ("port xconnect nosuch qa", "port nosuch: no such port"),
    ("port xconnect del nosuch", "port nosuch: no such port"),
    # state errors
    ("port xconnect qa qa", "port qa: cannot cross-connect a port to itself"),
    ("port xconnect del qa", "port qa: not cross-connected"),
    ("port add qa net_null5,no-rx=1", "port qa: already exists"),
    ("port add qz net_null0,no-rx=1", "net_null0"),  # devargs of qa: already in use
    ("port add qz net_nosuchdriver0", "cannot attach 'net_nosuchdriver0'"),
    ("port add qz net_null5,bogus=1", "cannot attach 'net_null5,bogus=1'"),
    ("port add qz net_pcap5,rx_pcap=/nonexistent/in.pcap,tx_pcap=/dev/null", "cannot attach"),
    # names
    ("port add q/z net_null5,no-rx=1", "invalid port name 'q/z'"),
    ("port add q*z net_null5,no-rx=1", "invalid port name"),
    ("port add q,z net_null5,no-rx=1", "invalid port name"),
    (f"port add {N32} net_null5,no-rx=1", f"invalid port name '{N32}'"),
    ("port add " + "x" * 300 + " net_null5,no-rx=1", "invalid port name"),
    ("port add qz " + "net_null5,no-rx=1" + ",x=1" * 260, "devargs empty or longer than 1023"),
    # words and characters
    ("help " + "x " * 300, "too many words"),
    ("show\x01version", "invalid character in command line"),
    ("show version\x1b[2J", "invalid character in command line"),
    ("show version\x7f", "invalid character in command line"),
    ("port add qz\x0bx net_null5", "invalid character in command line"),
    ("show v\u00e9rsion", "invalid character in command line"),
]


@pytest.mark.parametrize("line,error", BAD_LINES, ids=[repr(x[0][:40]) for x in BAD_LINES])
def test_bad_command_gets_error_reply_and_changes_nothing(d, c, line, error):
    e = c.err(line)
    assert error in e, f"{line!r}: error {e!r} lacks {error!r}"
    # the same connection goes on working
    assert c.ok("show version")["pid"] == d.pid


def test_error_reply_through_sluicectl_names_object_and_value(d):
    assert d.err("port set qa mtu 9601") == "port qa: mtu '9601' not a number in 68-9600"
    assert d.err("port set qa rxq 0 worker 5") == "port qa: worker 5 out of range 0-0"


def test_nul_byte_in_line_is_rejected_not_truncated(d, c):
    # A NUL must not end the command early: "port del qn\0 junk" must not delete qn.
    c.ok("port add qn net_null6,no-rx=1")
    try:
        r = c.cmd("port del qn\x00 junk")
        names = [p["name"] for p in d.ok("show ports")]
        assert not r["ok"] and "invalid character" in r["error"], \
            f"'port del qn<NUL> junk' was run as 'port del qn': reply {r}, ports now {names}"
        assert "qn" in names
    finally:
        if d.ctl("port show qn")["ok"]:
            d.ok("port del qn")


def test_empty_line_and_comment_get_no_reply(c):
    c.send(b"\n\n# a comment\n   \n\t\nshow version\n")
    r = c.reply()
    assert r["ok"] and "version" in r["result"], r
    with pytest.raises(TimeoutError):
        c.recv_line(timeout=0.5)


def test_tab_separated_words_and_crlf_are_accepted(c):
    assert "version" in c.ok("show\tversion")
    c.send(b"show version\r\n")
    assert c.reply()["ok"]
    assert "version" in c.ok("  show   version  ")


def test_pipelined_commands_get_one_reply_each_in_order(d, c):
    lines = ["show version", "frobnicate", "config show", "port show nosuch", "show drops"] * 20
    c.send("".join(x + "\n" for x in lines))
    for line in lines:
        r = c.reply()
        if line in ("frobnicate", "port show nosuch"):
            assert not r["ok"], (line, r)
        else:
            assert r["ok"], (line, r)
        if line == "show version":
            assert r["result"]["pid"] == d.pid


def test_line_of_4096_bytes_is_read_4097_is_too_long(c):
    line = "show " + "v" * 4091
    assert len(line) == 4096
    assert "unknown command" in c.err(line)
    e = c.err(line + "v")
    assert e == "line too long (max 4096 bytes)"
    assert c.ok("show version")


def test_1mb_line_gets_one_line_too_long_error_and_connection_still_works(d, c):
    c.send(b"x" * (1 << 20) + b"\nshow version\n")
    assert c.reply(timeout=20) == {"ok": False, "error": "line too long (max 4096 bytes)"}
    r = c.reply()
    assert r["ok"] and r["result"]["pid"] == d.pid, r
    with pytest.raises(TimeoutError):
        c.recv_line(timeout=0.3)


def test_1mb_line_in_small_pieces_gets_one_error(c):
    for _ in range(256):
        c.send(b"y" * 4096)
    c.send(b"\n")
    assert c.reply(timeout=20)["error"] == "line too long (max 4096 bytes)"
    assert c.ok("show version")


def test_half_a_line_then_silence_does_not_stall_other_clients(d, c):
    c.send(b"show ver")
    with d.client() as other:
        for _ in range(20):
            t0 = time.monotonic()
            assert other.ok("show version", timeout=2)["pid"] == d.pid
            assert time.monotonic() - t0 < 1.0
    c.send(b"sion\n")
    assert c.reply()["result"]["pid"] == d.pid


def test_client_not_reading_replies_does_not_stall_others(d):
    hog = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        hog.connect(str(d.sock))
        hog.setblocking(False)
        sent, deadline = 0, time.monotonic() + 10
        chunk = b"help\n" * 2000
        # Send commands without ever reading the replies until the daemon stops reading us.
        while time.monotonic() < deadline and sent < (64 << 20):
            try:
                sent += hog.send(chunk)
            except BlockingIOError:
                time.sleep(0.2)
                try:
                    sent += hog.send(chunk)
                except BlockingIOError:
                    break
        with d.client() as other:
            for _ in range(10):
                t0 = time.monotonic()
                assert other.ok("show version", timeout=2)["pid"] == d.pid
                assert time.monotonic() - t0 < 1.0
    finally:
        hog.close()


def test_70_clients_at_once_65th_and_later_get_too_many_clients(d):
    clients, refused = [], 0
    time.sleep(0.5)  # let the daemon see the hang-up of the previous sluicectl
    try:
        for _ in range(70):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(str(d.sock))
            clients.append(s)
        time.sleep(0.5)
        accepted = []
        for s in clients:
            s.setblocking(False)
            try:
                data = s.recv(4096)
            except BlockingIOError:
                accepted.append(s)
                continue
            r = json.loads(data.split(b"\n")[0])
            assert r == {"ok": False, "error": "too many clients (max 64)"}, data
            s.setblocking(True)
            s.settimeout(2)
            assert s.recv(4096) == b"", "a refused client must be closed"
            refused += 1
        assert refused == 6 and len(accepted) == 64, (refused, len(accepted))
        # every accepted client is served
        for s in accepted:
            s.setblocking(True)
            s.settimeout(5)
            s.sendall(b"show version\n")
        for s in accepted:
            buf = b""
            while not buf.endswith(b"\n"):
                chunk = s.recv(4096)
                assert chunk, "accepted client closed"
                buf += chunk
            assert json.loads(buf)["result"]["pid"] == d.pid
    finally:
        for s in clients:
            s.close()

    # slots are freed once the clients go away
    def answers():
        try:
            with RawClient(d.sock, timeout=2) as cl:
                return cl.cmd("show version")["ok"]
        except (ConnectionError, TimeoutError, OSError, ValueError):
            return False
    wait_until(answers, 10, "a free client slot")


def test_garbage_binary_bytes_get_error_replies_and_connection_survives(d, c):
    rnd = random.Random(1234)
    garbage = bytes(rnd.getrandbits(8) for _ in range(64 * 1024))
    c.send(garbage + b"\nshow version\n")
    replies = 0
    while True:
        r = c.reply(timeout=20)
        replies += 1
        if r["ok"] and isinstance(r["result"], dict) and r["result"].get("pid") == d.pid:
            break
        assert not r["ok"], f"garbage was accepted as a command: {r}"
        assert replies < 10000
    assert replies > 1


def test_clients_hanging_up_before_their_reply(d):
    for i in range(50):
        cl = RawClient(d.sock)
        cl.send(b"help\nshow stats\nconfig show\n" * 10)
        cl.close()
    assert d.ok("show version")["pid"] == d.pid


def test_garbage_on_many_connections_then_hangup(d):
    rnd = random.Random(99)
    for i in range(20):
        with d.client() as cl:
            cl.send(bytes(rnd.getrandbits(8) for _ in range(rnd.randint(1, 9000))))
    assert d.ok("show version")["pid"] == d.pid
