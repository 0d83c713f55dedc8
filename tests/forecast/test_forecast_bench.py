"""Smoke test of bench/forecast.py: the baselines on the first cases of both frozen test
splits, and the JSON it prints."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "forecast.py"


def test_bench_forecast_reports_every_forecaster_per_source_and_depth():
    env = {**os.environ, "OMP_WAIT_POLICY": "PASSIVE"}
    run = subprocess.run([sys.executable, str(BENCH), "--forecasters", "uniform", "base-rate",
                          "market", "--limit", "12"],
                         capture_output=True, text=True, timeout=300, env=env)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-3000:]
    report = json.loads(run.stdout)
    assert report["forecasters"] == ["uniform", "base-rate", "market"]
    assert report["torch_threads"] == 1 and report["split"] == "test" and report["limit"] == 12
    assert set(report["sources"]) == {"world", "persona"}
    for source, out in report["sources"].items():
        assert out["n_cases"] == 12 and out["errors"] == {} and out["ceiling"], source
        groups = {"overall", *(f"depth_{d}" for d in range(1, 5))} if source == "world" \
            else {"overall", *(k for k in out["baselines"] if k.startswith("depth_"))}
        assert set(out["baselines"]) == groups
        for g in out["baselines"].values():
            assert {"uniform", "base-rate", "ceiling"} <= set(g) and g["mean_k"] >= 4
            assert "headroom_brier" in g["ceiling"]  # None where 12 cases leave no gap
        for name, row in out["forecasters"].items():
            assert row["fit_s"] >= 0
            assert 0 <= row["latency_ms_per_case"]["p50"] <= row["latency_ms_per_case"]["p99"]
            if name == "market":  # no market values in synthetic cases: no market row
                assert row["overall"] is None and out["market_levels"] == 0
            else:
                assert row["overall"] == out["baselines"]["overall"][name]
                assert set(row) == {"fit_s", "latency_ms_per_case", *groups}
