# SPDX-License-Identifier: BSD-3-Clause
# Crash-only config: every accepted change is on disk before the reply, `kill -9` + restart brings
# back the same running config and forwarding, a bad config file stops start-up with FILE:LINE and
# is left untouched, SIGHUP applies the file or keeps the running config when the file is bad.
import os
import signal
import time

import pytest

from conftest import run_sluiced_once, wait_until, write_pcap

HEADER = b"# sluice running config: written by sluiced after every change\n"


def tx_rising(d, port, timeout=5):
    start = d.port(port)["stats"]["opackets"]
    wait_until(lambda: d.port(port)["stats"]["opackets"] > start, timeout,
               f"port {port} to transmit")


def setup_forwarding(d):
    """x1 generates traffic (net_null rx), x2 is a sink; cross-connected, out of the bridge, with
    MTU, pinning and busy-poll set: every kind of config line."""
    d.ok("port add x1 net_null0 mtu 1400")
    d.ok("port add x2 net_null1,no-rx=1")
    d.ok("port add q net_null2,no-rx=1 rxq 1 txq 1")
    d.ok("port set x1 vlan none")
    d.ok("port set x2 vlan none")
    d.ok("port set x1 rxq 0 worker 0")
    d.ok("set busy-poll on")
    d.ok("port xconnect x1 x2")


def test_kill9_then_restart_restores_config_and_forwarding(sluiced):
    d = sluiced
    setup_forwarding(d)
    tx_rising(d, "x2")
    before = d.config_show()
    assert "port xconnect x1 x2" in before and "set busy-poll on" in before
    assert "port set x1 rxq 0 worker 0" in before
    ports_before = {p["name"]: p for p in d.ok("show ports")}

    d.kill9()
    assert d.config_file_lines() == before
    d.start()
    assert d.config_show() == before
    ports_after = {p["name"]: p for p in d.ok("show ports")}
    assert sorted(ports_after) == sorted(ports_before)
    for name, p in ports_after.items():
        for k in ("devargs", "mtu", "rxq", "txq", "xconnect", "rx_queues"):
            assert p[k] == ports_before[name][k], (name, k, p[k], ports_before[name][k])
    assert not any(w["sleeping"] for w in d.worker_stats())  # busy-poll came back
    tx_rising(d, "x2")
    assert d.config_file_lines() == before

    # and once more, after further changes
    d.ok("port xconnect del x1")
    d.ok("port del q")
    again = d.config_show()
    d.kill9()
    d.start()
    assert d.config_show() == again
    assert d.port("x1")["xconnect"] is None


def test_clean_stop_and_restart_keeps_config(sluiced):
    d = sluiced
    setup_forwarding(d)
    before = d.config_show()
    d.restart()
    assert d.config_show() == before
    tx_rising(d, "x2")


def test_config_file_is_written_before_the_reply(sluiced):
    d = sluiced
    cmds = ["port add a net_null0,no-rx=1", "port add b net_null1,no-rx=1 mtu 1400",
            "port set a vlan none", "port xconnect a b", "set busy-poll on",
            "port set a rxq 0 worker 0", "port set b mtu 1300", "port set a rxq 0 worker auto",
            "port xconnect del b", "set busy-poll off", "port del a", "port del b"]
    for cmd in cmds:
        d.ok(cmd)
        # read right after the reply: the file already says what config show says
        raw = d.config.read_bytes()
        assert raw.startswith(HEADER), raw[:80]
        assert raw.endswith(b"\n")
        assert d.config_file_lines() == d.config_show(), cmd
        assert not os.path.exists(f"{d.config}.tmp")
    assert d.config_file_lines() == []


def test_refused_command_does_not_touch_the_config_file(sluiced):
    d = sluiced
    d.ok("port add a net_null0,no-rx=1")
    st = os.stat(d.config)
    raw = d.config.read_bytes()
    time.sleep(0.05)
    for bad in ("port add a net_null1", "port set a mtu 20000", "port xconnect a a",
                "port add z net_nosuch0", "set busy-poll maybe", "port del nosuch"):
        d.err(bad)
    assert d.config.read_bytes() == raw
    assert os.stat(d.config).st_mtime_ns == st.st_mtime_ns


# Each case: file content, the line number the error must name, words the error must contain
# (or a tuple of alternatives).
CORRUPT = {
    "unknown-command": (b"# hand edited\nset busy-poll on\nfrobnicate the switch\n", 3,
                        "unknown command"),
    "bad-number": (b"port add a net_null0,no-rx=1 mtu 15x0\n", 1, "not a number"),
    "out-of-range": (b"port add a net_null0,no-rx=1\nport set a mtu 99\nport set a mtu 99999\n",
                     3, "68-9600"),
    "truncated-last-line": (b"set busy-poll on\nport add a net_null0,no-rx=1", 2, "truncated"),
    "binary-garbage": (b"set busy-poll on\n\xff\xfe\x00\x01\x89PNG\r\n\x1a\n", 2,
                       ("invalid character", "NUL byte")),
    "nul-byte": (b"port add a net_null0,no-rx=1\nport del a\x00 junk\n", 2,
                 ("invalid character", "NUL byte")),
    "device-cannot-attach": (b"port add a net_null0,no-rx=1\nport add b net_nosuchdriver0\n", 2,
                             "cannot attach"),
    "pcap-file-missing": (b"port add p net_pcap0,rx_pcap=/nonexistent/in.pcap,tx_pcap=/dev/null\n",
                          1, "cannot attach"),
    "unknown-port": (b"port add a net_null0,no-rx=1\nport xconnect a b\n", 2, "no such port"),
    "duplicate-port": (b"port add a net_null0,no-rx=1\nport add a net_null1,no-rx=1\n", 2,
                       "already exists"),
}


@pytest.mark.parametrize("case", sorted(CORRUPT))
def test_bad_config_file_stops_startup_with_file_and_line(workdir, case):
    content, lineno, words = CORRUPT[case]
    cfg = workdir / "bad.conf"
    cfg.write_bytes(content)
    mtime = os.stat(cfg).st_mtime_ns
    rc, err = run_sluiced_once(workdir, cfg)
    assert rc == 1, f"sluiced exited {rc} on a bad config ({case}), want 1:\n{err[-3000:]}"
    prefix = f"sluiced: {cfg}:{lineno}: "
    msg = [ln for ln in err.splitlines() if ln.startswith(prefix)]
    assert msg, f"stderr has no line starting with {prefix!r}:\n{err[-3000:]}"
    alts = (words,) if isinstance(words, str) else words
    assert any(w in msg[0] for w in alts), msg[0]
    assert cfg.read_bytes() == content, "sluiced changed the bad config file"
    assert os.stat(cfg).st_mtime_ns == mtime
    assert not (workdir / "s.sock").exists()
    assert "ERROR: AddressSanitizer" not in err


def test_missing_config_file_starts_empty_and_creates_it_on_first_change(sluiced):
    d = sluiced
    assert not d.config.exists()
    assert d.config_show() == []
    d.ok("set busy-poll on")
    assert d.config_file_lines() == ["set busy-poll on"]


def test_sighup_applies_the_edited_file(sluiced, workdir):
    d = sluiced
    setup_forwarding(d)
    empty = workdir / "e.pcap"
    write_pcap(empty)
    new = ["port add x1 net_null0",
           "port add x3 net_null3,no-rx=1 mtu 1280",
           f"port add p net_pcap0,rx_pcap={empty},tx_pcap=/dev/null",
           "port xconnect x1 x3",
           "port set x1 vlan none",
           "port set x3 vlan none"]  # in the order config show prints
    d.config.write_text("# edited by hand\n" + "".join(x + "\n" for x in new))
    d.send_signal(signal.SIGHUP)
    wait_until(lambda: d.config_show() == new, 10, "SIGHUP to apply the edited file",
               show=lambda: (d.config_show(), d.stderr()[-1500:]))
    assert [p["name"] for p in d.ok("show ports")] == ["x1", "x3", "p"]
    assert d.port("x1")["xconnect"] == "x3" and d.port("x3")["mtu"] == 1280
    assert all(not q["pinned"] for q in d.port("x1")["rx_queues"])
    tx_rising(d, "x3")
    assert "set busy-poll on" not in d.config_show()
    # the change after a reload is persisted as usual
    d.ok("port del p")
    assert d.config_file_lines() == [x for x in new if not x.startswith("port add p ")]


def test_sighup_resets_settings_the_file_no_longer_has(sluiced):
    d = sluiced
    d.ok("port add a net_null0,no-rx=1")
    d.ok("set busy-poll on")
    d.ok("vlan set 10 flood off")
    d.ok("bridge set ageing 100")
    d.ok("port set a vlan access 10")
    new = ["port add a net_null0,no-rx=1"]
    d.config.write_text("".join(x + "\n" for x in new))
    d.send_signal(signal.SIGHUP)
    wait_until(lambda: "set busy-poll on" not in d.config_show(), 10, "SIGHUP reload")
    time.sleep(0.2)
    assert d.config_show() == new, "the running config after SIGHUP is not what the file says"


def test_sighup_with_bad_file_keeps_running_config_and_file(sluiced):
    d = sluiced
    setup_forwarding(d)
    before = d.config_show()
    bad = ("port add x1 net_null0\nport add y net_null5,no-rx=1\nfrobnicate\n").encode()
    d.config.write_bytes(bad)
    d.send_signal(signal.SIGHUP)
    wait_until(lambda: "reload failed" in d.stderr(), 10, "the reload failure to be logged")
    assert d.ok("show version")["pid"] == d.pid
    assert d.config_show() == before
    assert d.port("x1")["xconnect"] == "x2"
    assert "y" not in [p["name"] for p in d.ok("show ports")]
    tx_rising(d, "x2")
    assert d.config.read_bytes() == bad, \
        "after a failed SIGHUP reload the config file was rewritten (docs: left as written)"


def test_port_name_del_is_reserved(sluiced):
    """'port xconnect del A' removes a cross-connect, so a port named 'del' could turn a saved
    'port xconnect del b' into another command on replay: the name is refused up front."""
    d = sluiced
    before = d.config_show()
    assert "reserved word" in d.err("port add del net_null0,no-rx=1")
    assert d.config_show() == before
    d.ok("port add b net_null0,no-rx=1")


@pytest.mark.parametrize("name", ["add", "xconnect", "mtu", "rxq", "worker", "auto"])
def test_port_named_like_a_keyword_survives_restart(sluiced, name):
    """Port names are any [A-Za-z0-9_.:-]{1,31}: a name that is also a command word must not turn
    a saved config line into another command on replay."""
    d = sluiced
    d.ok(f"port add {name} net_null0,no-rx=1")
    d.ok("port add b net_null1,no-rx=1")
    d.ok(f"port xconnect b {name}")
    d.ok(f"port set {name} rxq 0 worker 0")
    d.ok(f"port set {name} mtu 1400")
    before = d.config_show()
    assert d.port(name)["xconnect"] == "b"
    d.kill9()
    d.start()
    assert d.config_show() == before
    assert d.port(name)["xconnect"] == "b" and d.port("b")["xconnect"] == name


def test_change_refused_and_undone_when_config_cannot_be_written(sluiced):
    """validate -> build -> persist -> publish: when the persist step fails the command is refused
    and the old state stays in force (the temp file path is made a directory to make it fail)."""
    d = sluiced
    d.ok("port add a net_null0,no-rx=1")
    d.ok("port add b net_null1,no-rx=1")
    before = d.config_show()
    ports_before = [(p["name"], p["xconnect"], p["rx_queues"]) for p in d.ok("show ports")]
    blocker = d.config.parent / (d.config.name + ".tmp")
    blocker.mkdir()
    try:
        for cmd in ("port add c net_null2,no-rx=1", "port del b", "port xconnect a b",
                    "set busy-poll on", "port set a rxq 0 worker 0", "config save"):
            e = d.err(cmd)
            assert str(d.config) in e, (cmd, e)
            assert d.config_show() == before, cmd
            assert [(p["name"], p["xconnect"], p["rx_queues"])
                    for p in d.ok("show ports")] == ports_before, cmd
        assert d.config_file_lines() == before
    finally:
        blocker.rmdir()
    # the refused port add detached its device again: the same devargs attach now
    d.ok("port add c net_null2,no-rx=1")
    d.ok("port xconnect a b")
    assert d.config_file_lines() == d.config_show()
