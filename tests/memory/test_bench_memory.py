"""Smoke test of bench/memory.py on a tiny corpus: both stores, every operation, recall
for each retriever, the ingest ratio; its own PostgreSQL server started and stopped."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "memory.py"


@pytest.mark.slow
def test_bench_memory_reports_every_operation(tmp_path):
    env = {**os.environ, "AUGUR_CACHE": str(tmp_path / "cache"), "OMP_WAIT_POLICY": "PASSIVE"}
    run = subprocess.run(
        [sys.executable, str(BENCH), "--sizes", "300", "--runs", "5", "--queries", "20",
         "--ingest-sample", "10", "--days", "5", "--people", "1"],
        capture_output=True, text=True, timeout=600, env=env)
    assert run.returncode == 0, run.stderr[-3000:]
    report = json.loads(run.stdout)
    for kind in ("sqlite", "postgres"):
        lat = report["latency"][kind]["300"]
        for op in ("LOOKUP", "FUZZY", "SEARCH", "TRAVERSE"):
            assert 0 < lat[op]["p50_ms"] <= lat[op]["p99_ms"], (kind, op, lat)
        assert report["ingest"][kind]["resources_per_s"] > 0
    assert report["corpus"]["300"]["resources"] == 300
    rec = report["recall"]
    assert rec["queries"] == 20 and all(0 <= rec[m] <= 1 for m in ("hybrid", "semantic", "bm25"))
    assert set(report["meets"]) == {"sqlite_latency", "ingest_ratio", "recall_gain"}
