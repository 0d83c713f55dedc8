"""The same code trains on a real log (heads without labels are masked), and the
commands train, evaluate and compare work end to end."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from augur.cli import main
from augur.events.io import read_jsonl
from augur.oracle.config import OracleConfig
from augur.oracle.predictor import Oracle
from augur.oracle.train import split, train


def _import(receipt, out, group_by):
    assert main(["data", "import", str(receipt), "--case-col", "case:concept:name",
                 "--activity-col", "concept:name", "--time-col", "time:timestamp",
                 "--resource-col", "org:resource", "--group-by", group_by,
                 "--out", str(out)]) == 0
    return out


def test_trains_on_the_receipt_log_and_never_on_its_held_out_cases(tmp_path, receipt_csv,
                                                                    tiny, capsys):
    data = _import(receipt_csv, tmp_path / "cases.jsonl", "case")
    from augur.harness.evalsets import is_eval_stream

    train_streams, val_streams = split(read_jsonl(data), 0.1)
    assert not any(is_eval_stream(s[0].stream) for s in train_streams + val_streams)
    summary = train(data, tmp_path / "ck", tiny[1](epochs=1), OracleConfig(**tiny[0]),
                    progress=False)
    final = summary["val_after_calibration"]
    assert final["next_action_top1"] > 0 and final["routing_accuracy"] is None
    oracle = Oracle.load(tmp_path / "ck")
    assert len(oracle.vocab.actions) == 27  # the log's own activities
    assert main(["evaluate", str(tmp_path / "ck"), "--data", str(data), "--json"]) == 0
    capsys.readouterr()  # the import's message


def test_cli_train_evaluate_compare(tmp_path, tiny_data, tiny_checkpoint, capsys):
    out = tmp_path / "cli-ck"
    assert main(["train", "--data", str(tiny_data), "--out", str(out), "--epochs", "1",
                 "--width", "32", "--layers", "1", "--seed", "3"]) == 0
    assert "validation composite" in capsys.readouterr().out
    assert main(["compare", str(out), str(tiny_checkpoint), "--all-scenarios"]) == 0
    text = capsys.readouterr().out
    for name in ("ci_failure", "morning_email", "deep_coding", "afternoon_meetings",
                 "pr_review", "end_of_day"):
        assert f"== {name}" in text
    assert main(["compare", str(out), str(tiny_checkpoint)]) == 2
    assert "--all-scenarios" in capsys.readouterr().err


def test_evaluate_needs_a_checkpoint_or_a_baseline(capsys):
    assert main(["evaluate"]) == 2
    assert "needs a CHECKPOINT folder or --baseline" in capsys.readouterr().err


def test_evaluate_reports_an_imported_log_with_absent_heads(tmp_path, receipt_csv, capsys):
    data = _import(receipt_csv, tmp_path / "people.jsonl", "resource")
    capsys.readouterr()
    assert main(["evaluate", "--baseline", "markov", "--data", str(data), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    (es,) = report["eval_sets"].values()
    assert es["metrics"]["routing_accuracy"]["absent"] is True
    assert es["metrics"]["next_action_top1"]["value"] > 0.5



@pytest.mark.slow
def test_bench_oracle_measures_a_given_checkpoint(tiny_data, tiny_checkpoint, tmp_path):
    """The benchmark's JSON on a checkpoint it did not train: training figures null,
    latency from timed calls after the warm-up, the harness report, and the fresh
    people's figures (on two days of two people made here, to keep it short)."""
    bench = Path(__file__).resolve().parents[2] / "bench" / "oracle.py"
    fresh = tmp_path / "fresh.jsonl"
    assert main(["data", "synth", "--days", "2", "--seed", "200", "--personas", "2",
                 "--out", str(fresh)]) == 0
    run = subprocess.run([sys.executable, str(bench), "--checkpoint", str(tiny_checkpoint),
                          "--data", str(tiny_data), "--fresh", str(fresh)],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    report = json.loads(run.stdout)
    assert report["train_seconds"] is None and report["train_peak_rss_mb"] is None
    assert 0 < report["predict_p50_ms"] <= report["predict_p99_ms"]
    rounds = report["predict_p99_ms_rounds"]
    assert len(rounds) == 5 and rounds == sorted(rounds)
    assert report["predict_p99_ms"] == rounds[2]  # the median round's
    assert report["batch_windows_per_s"] > 0
    assert report["params"] == Oracle.load(tiny_checkpoint).params
    assert set(report["harness"]["eval_sets"]) == {"temporal", "cold_start"}
    for name, exp in report["expected_top1"].items():
        # The ceiling picks the likeliest action, so nothing can expect more; and the
        # model's expectation sits beside its sampled top-1 (the noise is about 0.01).
        assert exp["markov"] <= exp["ceiling"] and exp["model"] <= exp["ceiling"]
        top1 = report["harness"]["eval_sets"][name]["metrics"]["next_action_top1"]["value"]
        assert abs(exp["model"] - top1) < 0.05
        assert exp["headroom"] == pytest.approx(
            (exp["model"] - exp["markov"]) / (exp["ceiling"] - exp["markov"]), abs=2e-3)
        # ECE against the truth: near the harness's for this weak model (its miscalibration
        # dwarfs the sampling floor), and the floor is what sampling costs: above zero,
        # below the few-point noise of a few thousand steps.
        ece = report["expected_ece"][name]
        sampled = report["harness"]["eval_sets"][name]["metrics"]["calibration_ece"]["value"]
        assert abs(ece["model"] - sampled) < 0.05
        assert 0.002 < ece["floor"] < 0.05
        # the model's ECE over the same drawn label sets, and the shares within target
        assert abs(ece["drawn"] - sampled) < 0.05
        assert 0 <= ece["within_target"]["model"] <= 1 and 0 <= ece["within_target"]["truth"] <= 1
    fresh_report = report["fresh_people"]
    steps = sum(e.labels is not None for e in read_jsonl(fresh))
    assert fresh_report["people"] == 2 and fresh_report["steps"] == steps
    assert abs(fresh_report["expected_top1"] - fresh_report["top1"]) < 0.1
    assert 0 <= fresh_report["expected_ece"] <= 1 and fresh_report["person_gap_sd"] >= 0


def test_bench_oracle_refuses_fresh_people_the_model_trained_on(tiny_data, tiny_checkpoint):
    bench = Path(__file__).resolve().parents[2] / "bench" / "oracle.py"
    run = subprocess.run([sys.executable, str(bench), "--checkpoint", str(tiny_checkpoint),
                          "--data", str(tiny_data), "--fresh", str(tiny_data)],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode != 0 and "holds people the model trained on" in run.stderr
