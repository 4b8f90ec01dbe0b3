# SPDX-License-Identifier: BSD-3-Clause
# Signals: SIGTERM and SIGINT stop sluiced cleanly (exit 0, socket removed, no hugepage files of
# its prefix left), with or without ports and traffic; SIGHUP does not stop it.
import signal

import pytest

from conftest import wait_until


def assert_clean_after_stop(d):
    assert not d.sock.exists(), f"{d.sock} left behind"
    assert d.hugepage_files() == [], f"hugepage files left: {d.hugepage_files()}"


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_stops_cleanly_idle(sluiced, sig):
    d = sluiced
    assert d.sock.exists()
    # sluiced maps its hugepages and unlinks the files at once (--huge-unlink)
    assert d.hugepage_files() == []
    d.stop(sig)
    assert_clean_after_stop(d)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_stops_cleanly_while_forwarding(sluiced, sig):
    d = sluiced
    d.ok("port add a net_null0")
    d.ok("port add b net_null1")
    d.ok("port xconnect a b")
    d.ok("port add c net_null2,no-rx=1 rxq 1")
    d.ok("set busy-poll on")
    wait_until(lambda: d.port("b")["stats"]["opackets"] > 1000, 5, "traffic")
    with d.client() as idle_client:  # an open client does not hold up the stop
        idle_client.send(b"show ver")  # half a line
        d.stop(sig)
    assert_clean_after_stop(d)
    # the config survives the stop
    assert "port xconnect a b" in d.config_file_lines()


def test_kill9_leaves_no_hugepage_files_and_restart_reuses_prefix(sluiced):
    d = sluiced
    d.ok("port add a net_null0")
    d.kill9()
    assert d.hugepage_files() == []
    d.start()  # same socket path (stale file replaced), same file prefix
    assert d.config_show() == ["port add a net_null0"]
    d.stop()
    assert_clean_after_stop(d)


def test_sighup_does_not_stop(sluiced):
    d = sluiced
    d.ok("port add a net_null0,no-rx=1")
    for _ in range(3):
        d.send_signal(signal.SIGHUP)
    wait_until(lambda: d.stderr().count("reloaded") >= 1, 10, "reload")
    assert d.alive()
    assert d.ok("show version")["pid"] == d.pid
    assert d.config_show() == ["port add a net_null0,no-rx=1"]
    d.stop()


def test_second_daemon_on_same_socket_is_refused(sluiced_factory, sluiced):
    other = sluiced_factory(start=False)
    other.sock = sluiced.sock
    other.start(wait=False)
    rc = other.wait_exit(30)
    other.expected_exit = True
    assert rc != 0
    assert "another sluiced is listening" in other.stderr()
    assert sluiced.ok("show version")["pid"] == sluiced.pid
    assert sluiced.sock.exists()
