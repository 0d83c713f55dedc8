"""One small real loop: a crashing experiment, a tiny baseline and one noise seed, each
trained in its own process and scored by the real (frozen) harness. The crash is real: the
child finds no events in its data file and training fails there."""

import csv
import re

import pytest

from augur.errors import AugurError
from augur.research.experiment import Experiment
from augur.research.loop import COLUMNS, LoopConfig, _State, read_results, run_trials

TINY_EXP = dict(d_model=32, n_layers=1, n_heads=2, d_ff=64, d_candidate=16, windows=(16, 32),
                batch_tokens=256)


def test_loop_records_crash_keeps_baseline_and_measures_noise(tmp_path):
    empty = tmp_path / "empty.jsonl"  # the loop's data file: the first trial crashes on it
    empty.write_text("")
    cfg = LoopConfig(data=empty, budget_s=2, results=tmp_path / "results.tsv",
                     models_dir=tmp_path / "models", noise_seeds=1, workdir=tmp_path / "work")
    # days=8: synthetic persona data instead of the loop's file, so these trials train
    exps = [Experiment(**TINY_EXP), Experiment(**TINY_EXP, days=8)]
    logs = []
    rows = run_trials(exps, cfg, log=logs.append)

    assert [r["status"] for r in rows] == ["crash", "keep", "noise"]
    with open(cfg.results, newline="") as f:
        header = next(csv.reader(f, delimiter="\t"))
    assert tuple(header) == COLUMNS
    saved = read_results(cfg.results)
    assert [r["trial"] for r in saved] == ["1", "2", "3"]
    crash, base, noise = saved
    assert "crash: DataFileError" in crash["description"]
    assert "holds no events" in crash["description"] and crash["composite"] == ""
    assert "days=8" in base["description"]
    for r in (base, noise):
        assert re.search(r"\[\d+ epochs in [\d.]+ s\]", r["description"])  # how far it got
        assert 0 < float(r["composite"]) < 1
        assert float(r["temporal_routing_accuracy"]) >= 0
        assert 0 < float(r["cold_start_composite"]) < 1
        assert float(r["peak_mem_mb"]) > 50 and float(r["seconds"]) > 0
        assert r["commit"]
    assert float(base["noise_floor"]) == pytest.approx(
        abs(float(base["composite"]) - float(noise["composite"])), abs=1e-5)
    assert '"seed":1' in noise["params"]
    assert (cfg.models_dir / "research-0002" / "config.json").is_file()
    assert not (cfg.workdir / "trial-0003" / "ckpt").exists()  # only kept ones stay
    assert any("noise floor" in s for s in logs)

    state = _State.resume(saved)  # a later run goes on from the file
    assert state.next_id == 4 and state.incumbent == pytest.approx(float(base["composite"]))
    assert state.floor == pytest.approx(float(base["noise_floor"]))


def test_loop_config_refuses_harness_personas_and_bad_values(tmp_path):
    with pytest.raises(AugurError, match="data_seed"):
        LoopConfig(data_seed=1002)
    with pytest.raises(AugurError, match="budget_s"):
        LoopConfig(budget_s=0)
    with pytest.raises(AugurError, match="temporal hold-out"):
        LoopConfig(days=731)  # persona 42's later days are the harness's hold-out
    assert LoopConfig(days=731, data_seed=7).days == 731
    with pytest.raises(AugurError, match="eval_sets"):
        LoopConfig(eval_sets=("cold_start",))


def test_missing_data_file_is_a_crash_not_a_stop(tmp_path):
    cfg = LoopConfig(data=tmp_path / "missing.jsonl", results=tmp_path / "r.tsv",
                     models_dir=tmp_path / "m", workdir=tmp_path / "w", noise_seeds=0)
    rows = run_trials([Experiment(**TINY_EXP), Experiment(**TINY_EXP, lr=1e-3)], cfg)
    assert [r["status"] for r in rows] == ["crash", "crash"]
    assert "no data file" in rows[0]["description"]


def test_trials_wait_for_the_baseline_then_run_side_by_side_decided_in_id_order(tmp_path):
    """With concurrency 2: the baseline alone, its noise seeds together, then pairs; each
    trial is judged against the trials before it. The runner stands in for the child
    processes (no training) so that the composites are fixed."""
    composites = {1: 0.30, 2: 0.31, 3: 0.29, 4: 0.35, 5: 0.36, 6: 0.20}
    batches = []

    def runner(plans, cfg):
        batches.append([p.tid for p in plans])
        for p in plans:
            assert p.spec.is_file()
            (p.tdir / "ckpt").mkdir()
        return [{"ok": True, "metrics": {"temporal": {"composite": composites[p.tid]}},
                 "seconds": 1.0, "peak_mem_mb": 1.0} for p in plans]

    data = tmp_path / "data.jsonl"
    data.write_text("")
    cfg = LoopConfig(data=data, results=tmp_path / "r.tsv", models_dir=tmp_path / "m",
                     workdir=tmp_path / "w", noise_seeds=2, concurrency=2)
    rows = run_trials([Experiment(lr=lr) for lr in (1e-3, 2e-3, 3e-3, 4e-3)], cfg,
                      runner=runner)
    assert batches == [[1], [2, 3], [4, 5], [6]]
    assert [r["status"] for r in rows] == ["keep", "noise", "noise", "keep", "discard",
                                           "discard"]
    assert [r["noise_floor"] for r in rows] == [0.02] * 6  # 0.36 is not above 0.35 + 0.02
    assert sorted(p.name for p in cfg.models_dir.iterdir()) == ["research-0001",
                                                                "research-0004"]
