"""Smoke test of bench/rem_tasks.py: every task-2 model on the first pairs of the test
split and the JSON it prints; task 3's key while its models cannot be imported."""

from __future__ import annotations

import json
import os
import runpy
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

BENCH = Path(__file__).resolve().parents[2] / "bench" / "rem_tasks.py"


def test_bench_rem_tasks_reports_every_edge_model_and_the_targets():
    env = {**os.environ, "OMP_WAIT_POLICY": "PASSIVE"}
    run = subprocess.run([sys.executable, str(BENCH), "--tasks", "edges", "--limit", "16"],
                         capture_output=True, text=True, timeout=600, env=env)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-3000:]
    report = json.loads(run.stdout)
    assert set(report["tasks"]) == {"edges"} and report["torch_threads"] == 1
    edges = report["tasks"]["edges"]
    assert edges["split"] == "test" and edges["limit"] == 16
    assert set(edges["models"]) == {"none", "time", "cosine", "scorer"}
    for name, row in edges["models"].items():
        assert row["examples"] == 16
        assert {"precision", "recall", "f1", "pearson", "type_accuracy"} <= set(row)
        assert 0 <= row["latency_ms_per_pair"]["p50"] <= row["latency_ms_per_pair"]["p99"]
        counted = row["latency_ms_per_pair_embedding_counted"]
        assert (counted is None) == (name in ("none", "time"))
    scorer = edges["models"]["scorer"]
    assert scorer["latency_ms_per_pair_embedding_counted"]["p50"] > \
        scorer["latency_ms_per_pair"]["p50"]  # the new resource's embedding costs
    assert edges["targets"] == {"precision": 0.85, "recall": 0.75, "pearson": 0.80,
                                "ms_per_pair": 5.0}
    assert set(edges["meets"]) == {"precision", "recall", "pearson", "ms_per_pair_preloaded",
                                   "ms_per_pair_embedding_counted"}
    assert all(isinstance(v, bool) for v in edges["meets"].values())


def test_moments_key_says_when_task_three_is_missing(monkeypatch):
    bench = runpy.run_path(str(BENCH))  # not as __main__: defines, runs nothing
    monkeypatch.setitem(sys.modules, "augur.memory.tasks.moment_models", None)  # unimportable
    out = bench["bench_moments"](SimpleNamespace(split="test", moment_limit=2, embedder=None))
    assert out["available"] is False and "cannot be imported" in out["reason"]
