# SPDX-License-Identifier: BSD-3-Clause
# Smoke test of the benchmark harness: `bench/run.sh --quick` end to end (testpmd and sluiced on
# pcap-replay ports) for the cross-connect and the L2 trunk <-> access scenarios in one run, into a
# throw-away CSV, leaving docs/performance.md alone. The harness takes its binaries from
# $SLUICE_BUILD like the rest of the suite. Open vSwitch is not needed (no ovs scenario here).
import csv
import os
import re
import subprocess


ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DOCS = os.path.join(ROOT, "docs", "performance.md")
SCENARIOS = ["xconnect", "l2-trunk-access"]


def table_cells(line):
    return [c.strip() for c in line.strip().strip("|").split("|")]


def tables_by_scenario(stdout):
    """scenario -> [header cells, row cells...] of the console tables."""
    out, cur = {}, None
    for line in stdout.splitlines():
        m = re.match(r"scenario (\S+): ", line)
        if m:
            cur = out.setdefault(m.group(1), [])
        elif cur is not None and line.startswith("| "):
            cur.append(table_cells(line))
    return out


def test_bench_quick_reports_ratio_with_balanced_accounting(tmp_path):
    results = tmp_path / "results.csv"
    docs_before = os.stat(DOCS).st_mtime_ns if os.path.exists(DOCS) else None

    # --no-build: tests/run.sh has just set up the host and built. Two scenarios, each one
    # testpmd and one Sluice run of 2 s: about 25 s.
    r = subprocess.run(
        ["bash", "bench/run.sh", "--quick", "--scenario", ",".join(SCENARIOS), "--no-build",
         "--no-docs", "--csv", str(results)],
        cwd=ROOT, capture_output=True, text=True, timeout=60)
    out = r.stdout + r.stderr
    assert r.returncode == 0, out

    tables = tables_by_scenario(r.stdout)
    assert sorted(tables) == sorted(SCENARIOS), "result tables missing:\n" + out
    for scen, rows in tables.items():
        head = rows[0]
        row = next((c for c in rows[1:] if c[0] == "64"), None)
        assert row is not None, "%s: no 64 B row:\n%s" % (scen, out)
        ratio = row[head.index("Sluice/testpmd")]
        assert re.fullmatch(r"\d+\.\d{3}", ratio), "%s: no ratio (%r):\n%s" % (scen, ratio, out)
        assert float(ratio) > 0
        assert row[head.index("Sluice accounting")].startswith("ok"), out
    assert "accounting: ok" in r.stdout, out

    with open(results, newline="") as f:
        runs = list(csv.DictReader(f))
    assert sorted((x["scenario"], x["impl"]) for x in runs) == sorted(
        (s, i) for s in SCENARIOS for i in ("sluice", "testpmd"))
    for x in runs:
        assert x["status"] == "ok" and x["accounting"] == "ok", x
        assert x["checks"] == "ok", x
        assert float(x["mpps_per_core"]) > 0, x
        assert x["cpu_model"] and x["dpdk_version"] and x["sluice_commit"] and x["command"], x

    # L2: every destination learned before the window (2 x 1,024 MACs), nothing flooded in it,
    # and the VLAN settings came from the running config replayed at start.
    l2 = next(x for x in runs if x["scenario"] == "l2-trunk-access" and x["impl"] == "sluice")
    assert int(l2["fdb_entries"]) >= 2048, l2
    assert int(l2["window_floods"]) == 0, l2
    assert "port set t vlan trunk 10" in l2["command"], l2["command"]

    # Every process had its own EAL prefix, removed after it exited.
    pid = runs[0]["run_id"].rsplit("-", 1)[1]
    left = [d for d in os.listdir("/var/run/dpdk") if d.startswith("bench-") and
            d.split("-")[2] == pid] if os.path.isdir("/var/run/dpdk") else []
    assert left == [], left

    docs_after = os.stat(DOCS).st_mtime_ns if os.path.exists(DOCS) else None
    assert docs_after == docs_before, "--no-docs rewrote docs/performance.md"


# vhost-user chain P0 -> U0 (virtio_user) -> V0 (vhost) -> V1 (vhost) -> U1 (virtio_user) -> P1
# in one process on each side, the V0 -> V1 hop measured: about 12 s. The ports are `vlan none`
# so that a port whose cross-connect peer is deleted during teardown drops rather than floods.
VHOST_SCENARIO = "vhost-vhost"


def test_bench_quick_vhost_vhost(tmp_path):
    results = tmp_path / "results.csv"
    r = subprocess.run(
        ["bash", "bench/run.sh", "--quick", "--scenario", VHOST_SCENARIO, "--no-build",
         "--no-docs", "--csv", str(results)],
        cwd=ROOT, capture_output=True, text=True, timeout=60)
    out = r.stdout + r.stderr
    with open(results, newline="") as f:
        runs = {x["impl"]: x for x in csv.DictReader(f)}
    assert sorted(runs) == ["sluice", "testpmd"], out
    for x in runs.values():
        assert x["status"] == "ok", x
        hop, chain = float(x["mpps_per_core"]), float(x["chain_mpps_per_core"])
        assert hop > 0 and chain > 0, x
        # One direction, nothing dropped after V1: what V1 sends reaches P1.
        assert abs(hop - chain) <= 0.02 * hop, x
    assert runs["testpmd"]["accounting"] == "ok", runs["testpmd"]
    assert "port attach net_virtio_user0," in runs["testpmd"]["command"], runs["testpmd"]
    assert "--in-memory --single-file-segments" in runs["sluice"]["command"], runs["sluice"]
    row = tables_by_scenario(r.stdout)[VHOST_SCENARIO]
    assert "(V1 tx)" in row[0][1], out
    # The part sluiced does not pass yet.
    assert runs["sluice"]["accounting"] == "ok", runs["sluice"]["accounting_detail"]
    assert r.returncode == 0, out
