"""Smoke test of bench/service.py: it starts a server on a tiny model, loads it at 1, 8
and 32 clients for half a second each, stops it and prints its JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "service.py"


def test_bench_service_reports_every_level(two_models):
    run = subprocess.run(
        [sys.executable, str(BENCH), "--models", str(two_models), "--model", "alpha",
         "--seconds", "0.5", "--warmup-s", "0.5", "--window", "16"],
        capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-3000:]
    report = json.loads(run.stdout)
    assert report["server"]["started"] and report["window_events"] == 16
    for level in ("c1", "c8", "c32"):
        r = report[level]
        assert r["per_s"] > 0 and r["errors"] == 0 and r["requests"] > 0, (level, r)
        assert 0 < r["p50_ms"] <= r["p99_ms"], (level, r)


def test_bench_service_refuses_a_remote_url():
    run = subprocess.run([sys.executable, str(BENCH), "--url", "http://10.0.0.1:8787",
                          "--seconds", "0.1"], capture_output=True, text=True, timeout=60)
    assert run.returncode != 0 and "loopback" in run.stderr
