# SPDX-License-Identifier: BSD-3-Clause
# Smoke test of the benchmark harness: `bench/run.sh --quick` end to end (testpmd and sluiced on
# pcap-replay ports), into a throw-away CSV, leaving docs/performance.md alone. The harness takes
# its binaries from $SLUICE_BUILD like the rest of the suite.
import csv
import os
import re
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DOCS = os.path.join(ROOT, "docs", "performance.md")


def table_cells(line):
    return [c.strip() for c in line.strip().strip("|").split("|")]


def test_bench_quick_reports_ratio_with_balanced_accounting(tmp_path):
    results = tmp_path / "results.csv"
    docs_before = os.stat(DOCS).st_mtime_ns if os.path.exists(DOCS) else None

    # --no-build: tests/run.sh has just set up the host and built.
    r = subprocess.run(
        ["bash", "bench/run.sh", "--quick", "--no-build", "--no-docs", "--csv", str(results)],
        cwd=ROOT, capture_output=True, text=True, timeout=60)
    out = r.stdout + r.stderr
    assert r.returncode == 0, out

    rows = [table_cells(l) for l in r.stdout.splitlines() if l.startswith("| ")]
    assert rows, "no result table in the output:\n" + out
    head = rows[0]
    row = next((c for c in rows[1:] if c[0] == "64"), None)
    assert row is not None, "no 64 B row:\n" + out
    ratio = row[head.index("Sluice/testpmd")]
    assert re.fullmatch(r"\d+\.\d{3}", ratio), "no ratio (%r):\n%s" % (ratio, out)
    assert float(ratio) > 0
    assert row[head.index("Sluice accounting")].startswith("ok"), out
    assert "accounting: ok" in r.stdout, out

    with open(results, newline="") as f:
        runs = list(csv.DictReader(f))
    assert sorted(x["impl"] for x in runs) == ["sluice", "testpmd"]
    for x in runs:
        assert x["status"] == "ok" and x["accounting"] == "ok", x
        assert float(x["mpps_per_core"]) > 0, x
        assert x["cpu_model"] and x["dpdk_version"] and x["sluice_commit"] and x["command"], x

    # Every process had its own EAL prefix, removed after it exited.
    pid = runs[0]["run_id"].rsplit("-", 1)[1]
    left = [d for d in os.listdir("/var/run/dpdk") if d.startswith("bench-") and
            d.split("-")[2] == pid] if os.path.isdir("/var/run/dpdk") else []
    assert left == [], left

    docs_after = os.stat(DOCS).st_mtime_ns if os.path.exists(DOCS) else None
    assert docs_after == docs_before, "--no-docs rewrote docs/performance.md"
