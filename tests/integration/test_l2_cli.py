# SPDX-License-Identifier: BSD-3-Clause
# L2 commands through sluicectl: every bad argument (VLAN ids, VLAN lists, MACs, unknown ports,
# wrong word counts) gets a clear error reply (exit 1), the running config and its file stay as
# they were and the daemon stays up; good edge values are accepted and rendered canonically.
import shutil
import tempfile
from pathlib import Path

import pytest

from conftest import Sluiced
from l2util import Ctl

S1 = "02:4c:50:00:00:01"
BASE = f"""port add a net_null0,no-rx=1
port add b net_null1,no-rx=1
port set a vlan access 10
port set b vlan trunk 10,20,100-199 native 5
port set a mac-limit 7
vlan set 20 flood off
bridge set ageing 120
bridge set mac-limit 1000
fdb add 10 {S1} a
"""

# (command, a piece the error must contain, case-insensitive)
BAD = [
    ("fdb add 4094 02:4c:50:00:00:0c b", "not a member of vlan 4094"),
    # port set NAME vlan ...
    ("port set a vlan", "usage"),
    ("port set a vlan access", "usage"),
    ("port set a vlan access 0", "'0'"),
    ("port set a vlan access 4095", "'4095'"),
    ("port set a vlan access abc", "'abc'"),
    ("port set a vlan access -1", "'-1'"),
    ("port set a vlan access 10x", "'10x'"),
    ("port set a vlan access 0x10", "'0x10'"),
    ("port set a vlan access +5", "'+5'"),
    ("port set a vlan access 99999999999", "'99999999999'"),
    ("port set a vlan access 10 20", "usage"),
    ("port set a vlan access10", "usage"),
    ("port set a vlan trunk", "usage"),
    ("port set a vlan trunk 1-", "1-"),
    ("port set a vlan trunk 5-3", "5-3"),
    ("port set a vlan trunk 10,,20", "10,,20"),
    ("port set a vlan trunk 10,", "10,"),
    ("port set a vlan trunk ,10", ",10"),
    ("port set a vlan trunk 0", "vlan"),
    ("port set a vlan trunk 4095", "vlan"),
    ("port set a vlan trunk 1-4095", "vlan"),
    ("port set a vlan trunk -5", "-5"),
    ("port set a vlan trunk 10-20-30", "10-20-30"),
    ("port set a vlan trunk abc", "abc"),
    ("port set a vlan trunk 10;20", "10;20"),
    ("port set a vlan trunk 99999999999999999999", "vlan"),
    ("port set a vlan trunk 10 native", "usage"),
    ("port set a vlan trunk 10 native 0", "'0'"),
    ("port set a vlan trunk 10 native 4095", "'4095'"),
    ("port set a vlan trunk 10 native x", "'x'"),
    ("port set a vlan trunk 10 untagged 5", "usage"),
    ("port set a vlan trunk 10 native 5 6", "usage"),
    ("port set a vlan trunk none native", "usage"),
    ("port set a vlan none extra", "usage"),
    ("port set a vlan bogus", "usage"),
    ("port set nosuch vlan access 10", "no such port"),
    ("port set nosuch vlan trunk 10", "no such port"),
    # port set NAME mac-limit N
    ("port set a mac-limit", "usage"),
    ("port set a mac-limit -1", "'-1'"),
    ("port set a mac-limit abc", "'abc'"),
    ("port set a mac-limit 16777217", "'16777217'"),
    ("port set a mac-limit 1 2", "usage"),
    ("port set nosuch mac-limit 5", "no such port"),
    # vlan set V flood on|off
    ("vlan set", "usage"),
    ("vlan set 10", "usage"),
    ("vlan set 10 flood", "usage"),
    ("vlan set 10 flood maybe", "usage"),
    ("vlan set 10 flooding on", "usage"),
    ("vlan set 10 flood on extra", "usage"),
    ("vlan set 0 flood on", "'0'"),
    ("vlan set 4095 flood off", "'4095'"),
    ("vlan set abc flood on", "'abc'"),
    # bridge set ageing S | mac-limit N
    ("bridge set", "usage"),
    ("bridge set ageing", "usage"),
    ("bridge set ageing -1", "'-1'"),
    ("bridge set ageing abc", "'abc'"),
    ("bridge set ageing 31536001", "'31536001'"),
    ("bridge set ageing 5 6", "usage"),
    ("bridge set mac-limit 16777217", "'16777217'"),
    ("bridge set mac-limit x", "'x'"),
    ("bridge set foo 5", "usage"),
    # fdb add VLAN MAC PORT
    ("fdb add", "usage"),
    (f"fdb add 10 {S1}", "usage"),
    (f"fdb add 10 {S1} a extra", "usage"),
    (f"fdb add 0 {S1} a", "'0'"),
    (f"fdb add 4095 {S1} a", "'4095'"),
    (f"fdb add x {S1} a", "'x'"),
    ("fdb add 10 02:4c:50:00:00 a", "02:4c:50:00:00"),
    ("fdb add 10 02:4c:50:00:00:01:02 a", "02:4c:50:00:00:01:02"),
    ("fdb add 10 zz:4c:50:00:00:01 a", "zz:4c:50:00:00:01"),
    ("fdb add 10 024c.5000.0002 a", "024c.5000.0002"),
    ("fdb add 10 02:4c:50:00:00:1 a", "02:4c:50:00:00:1"),
    ("fdb add 10 02:4c:50:00:00:001 a", "02:4c:50:00:00:001"),
    ("fdb add 10 ff:ff:ff:ff:ff:ff a", "unicast"),
    ("fdb add 10 01:00:5e:00:00:01 a", "unicast"),
    ("fdb add 10 00:00:00:00:00:00 a", "unicast"),
    ("fdb add 10 02:4c:50:00:00:02 nosuch", "no such port"),
    # fdb del VLAN MAC
    ("fdb del", "usage"),
    ("fdb del 10", "usage"),
    (f"fdb del 10 {S1} a", "usage"),
    (f"fdb del 0 {S1}", "'0'"),
    (f"fdb del 4095 {S1}", "'4095'"),
    ("fdb del 10 nonsense", "nonsense"),
    ("fdb del 10 02:4c:50:00:00:77", "no entry"),
    (f"fdb del 20 {S1}", "no entry"),
    # fdb flush [vlan V] [port P]
    ("fdb flush vlan", "usage"),
    ("fdb flush vlan 0", "'0'"),
    ("fdb flush vlan 4095", "'4095'"),
    ("fdb flush vlan abc", "'abc'"),
    ("fdb flush port nosuch", "no such port"),
    ("fdb flush vlan 10 port", "usage"),
    ("fdb flush limit 5", "usage"),
    ("fdb flush foo bar", "usage"),
    # show fdb [vlan V] [port P] [limit N], show vlans, show bridge
    ("show fdb vlan", "usage"),
    ("show fdb vlan 0", "'0'"),
    ("show fdb vlan 4095", "'4095'"),
    ("show fdb port nosuch", "no such port"),
    ("show fdb limit 0", "'0'"),
    ("show fdb limit x", "'x'"),
    ("show fdb bogus 1", "usage"),
    ("show vlans extra", "usage"),
    ("show bridge extra", "usage"),
]


@pytest.fixture(scope="module")
def daemon():
    wd = Path(tempfile.mkdtemp(prefix="slt", dir="/tmp"))
    d = Sluiced(wd)
    d.config.write_text(BASE)
    try:
        d.start()
        yield d
    finally:
        problems = d.cleanup()
        if problems:
            pytest.fail("\n".join(problems), pytrace=False)
        shutil.rmtree(wd, ignore_errors=True)


@pytest.fixture(scope="module")
def baseline(daemon):
    cfg = daemon.config_show()
    # The start-up file round-trips (modulo order).
    assert sorted(cfg) == sorted(BASE.strip().splitlines()), cfg
    return cfg, daemon.config.read_bytes(), daemon.ok("show fdb"), daemon.ok("show bridge")


@pytest.mark.parametrize("line,needle", BAD, ids=[b[0] for b in BAD])
def test_bad_l2_command_is_refused_and_changes_nothing(daemon, baseline, line, needle):
    cfg, file_bytes, fdb, bridge = baseline
    err = daemon.err(*line.split())
    assert err.strip(), f"'{line}': empty error"
    # The value must be named; quoting style is not the point.
    plain = lambda t: t.lower().replace("'", "")
    assert plain(needle) in plain(err), f"'{line}': error {err!r} does not mention {needle!r}"
    assert daemon.config_show() == cfg, f"'{line}' changed the running config"
    assert daemon.config.read_bytes() == file_bytes, f"'{line}' rewrote the config file"
    assert daemon.ok("show fdb") == fdb
    b = daemon.ok("show bridge")
    assert (b["ageing_s"], b["mac_limit"], b["entries"]) == \
        (bridge["ageing_s"], bridge["mac_limit"], bridge["entries"])
    assert daemon.alive()
    assert daemon.ok("show version")["pid"] == daemon.pid


def test_bad_lines_on_raw_socket_keep_connection(daemon, baseline):
    """The same bad lines back to back on one connection: one error reply each, no drop."""
    cfg = baseline[0]
    with daemon.client() as c:
        for line, _ in BAD:
            r = c.cmd(line)
            assert r["ok"] is False and r["error"], (line, r)
        assert c.ok("config show") == cfg


def test_l2_help_lists_every_command_syntax(daemon):
    rows = {r["syntax"] for r in daemon.ok("help")}
    for syntax in ("port set NAME vlan access V | trunk LIST|none [native V] | none",
                   "port set NAME mac-limit N", "vlan set V flood on|off",
                   "bridge set ageing S | mac-limit N", "fdb add VLAN MAC PORT",
                   "fdb del VLAN MAC", "fdb flush [vlan V] [port P]",
                   "show fdb [vlan V] [port P] [limit N]", "show vlans", "show bridge"):
        assert syntax in rows, f"help lacks '{syntax}'"


GOOD = [
    ("port set a vlan trunk 1-4094", "port set a vlan trunk 1-4094"),
    ("port set a vlan trunk 30,10,20-22,21,4094", "port set a vlan trunk 10,20-22,30,4094"),
    ("port set a vlan trunk none native 7", "port set a vlan trunk none native 7"),
    ("port set a vlan trunk 1 native 4094", "port set a vlan trunk 1 native 4094"),
    ("port set a vlan trunk 010", "port set a vlan trunk 10"),
    ("port set a vlan access 4094", "port set a vlan access 4094"),
    ("port set a vlan none", "port set a vlan none"),
    ("port set a mac-limit 16777216", "port set a mac-limit 16777216"),
    ("vlan set 4094 flood off", "vlan set 4094 flood off"),
    ("vlan set 1 flood off", "vlan set 1 flood off"),
    ("bridge set ageing 31536000", "bridge set ageing 31536000"),
    ("bridge set ageing 0", "bridge set ageing 0"),
    ("bridge set mac-limit 16777216", "bridge set mac-limit 16777216"),
    ("fdb add 199 02:4C:50:00:00:0A b", "fdb add 199 02:4c:50:00:00:0a b"),
    ("fdb add 5 02:4c:50:00:00:0b b", "fdb add 5 02:4c:50:00:00:0b b"),
]


def test_good_l2_edge_values_accepted_and_rendered(daemon, baseline):
    cfg = baseline[0]
    try:
        for line, rendered in GOOD:
            daemon.ok(*line.split())
            now = daemon.config_show()
            assert rendered in now, f"'{line}': config shows {now}"
            assert rendered in daemon.config.read_text().splitlines()
        # Re-applying a line is idempotent.
        daemon.ok(*GOOD[-1][0].split())
        assert daemon.config_show().count(GOOD[-1][1]) == 1
        vl = {v["vlan"]: v for v in daemon.ok("show vlans")}
        assert vl[4094]["flood"] == "off"
    finally:
        c = Ctl(daemon)
        for line in ("port set a vlan access 10", "port set a mac-limit 7",
                     "vlan set 4094 flood on", "vlan set 1 flood on", "bridge set ageing 120",
                     "bridge set mac-limit 1000",
                     "fdb del 199 02:4c:50:00:00:0a", "fdb del 5 02:4c:50:00:00:0b"):
            c.ok(line)
        c.close()
    assert sorted(daemon.config_show()) == sorted(cfg)


def test_fdb_errors_print_mac_as_show_fdb_does(daemon):
    """MACs are lower-case everywhere (show fdb, config show); errors should not differ."""
    e = daemon.err("fdb", "del", "10", "02:4c:50:00:00:7a")
    assert "02:4c:50:00:00:7a" in e, e
    e = daemon.err("fdb", "add", "10", "01:00:5e:00:00:0a", "a")
    assert "01:00:5e:00:00:0a" in e, e


def test_port_vlan_errors_name_the_port_and_the_value_as_typed(daemon):
    """House style (style.md rule 14): `port vm1: vlan 5000 out of range 1-4094` — the object and
    the bad value as the user typed it."""
    cases = ["port set a vlan access 4095", "port set a vlan access abc",
             "port set a vlan trunk 10 native 0", "port set a vlan trunk 5-3",
             "port set a vlan trunk 1-4095", "port set a vlan trunk 10,,20",
             "port set a vlan trunk 99999999999999999999"]
    bad = []
    for line in cases:
        value = line.split()[-1]
        e = daemon.err(*line.split())
        if not e.startswith("port a:") or value not in e:
            bad.append(f"{line!r} -> {e!r}")
    assert not bad, "errors without 'port a:' or the typed value:\n" + "\n".join(bad)
