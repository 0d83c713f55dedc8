"""Smoke test of bench/rem_tasks.py: every task-2 model on the first pairs of the test
split and the JSON it prints; the writers' key."""

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


def test_words_key_scores_each_writer_on_both_tasks():
    bench = runpy.run_path(str(BENCH))  # not as __main__: defines, runs nothing
    out = bench["bench_words"](SimpleNamespace(split="test", writer_limit=5,
                                               writers=["template"]))
    assert out["limit"] == 5 and set(out) == {"split", "limit", "moment-words", "edge-words"}
    moment, edge = out["moment-words"]["template"], out["edge-words"]["template"]
    assert moment["examples"] == edge["examples"] == 5
    assert 0 <= moment["name_f1"] <= 1 and 0 <= edge["topic_precision"] <= 1
    assert moment["latency_ms"]["p50"] <= moment["latency_ms"]["p99"]
