"""Smoke test of bench/memory_ask.py: a real server over the harness's world memory,
a handful of requests, the JSON it prints."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "memory_ask.py"


def test_bench_memory_ask_reports_latency_and_its_split():
    env = {**os.environ, "OMP_WAIT_POLICY": "PASSIVE"}
    run = subprocess.run([sys.executable, str(BENCH), "--requests", "6", "--warmup", "1"],
                         capture_output=True, text=True, timeout=600, env=env)
    assert run.returncode == 0, run.stderr[-3000:]
    report = json.loads(run.stdout)
    assert report["requests"] == 6 and sum(report["statuses"].values()) == 6
    assert 0 < report["p50_ms"] <= report["p99_ms"]
    assert report["generate_ms"]["p50"] > 0 and report["execute_ms"]["p50"] >= 0
    assert report["target"] == {"p50_ms": 100.0} and isinstance(report["meets_target"], bool)
