"""One small real loop: a crashing experiment, a tiny baseline and one noise seed, each
trained in its own process and scored by the real (frozen) harness."""

import csv

import pytest

from augur.errors import AugurError
from augur.research.experiment import Experiment
from augur.research.loop import COLUMNS, LoopConfig, _State, read_results, run_trials

TINY_EXP = dict(d_model=32, n_layers=1, n_heads=2, d_ff=64, d_candidate=16, windows=(16, 32),
                batch_tokens=256)


def test_loop_records_crash_keeps_baseline_and_measures_noise(tmp_path, tiny_data):
    cfg = LoopConfig(data=tiny_data, budget_s=2, results=tmp_path / "results.tsv",
                     models_dir=tmp_path / "models", noise_seeds=1, workdir=tmp_path / "work")
    exps = [Experiment(**TINY_EXP, use_backbone=True), Experiment(**TINY_EXP)]
    logs = []
    rows = run_trials(exps, cfg, log=logs.append)

    assert [r["status"] for r in rows] == ["crash", "keep", "noise"]
    with open(cfg.results, newline="") as f:
        header = next(csv.reader(f, delimiter="\t"))
    assert tuple(header) == COLUMNS
    saved = read_results(cfg.results)
    assert [r["trial"] for r in saved] == ["1", "2", "3"]
    crash, base, noise = saved
    assert "use_backbone=True" in crash["description"]
    assert "not implemented" in crash["description"] and crash["composite"] == ""
    for r in (base, noise):
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
    with pytest.raises(AugurError, match="eval_sets"):
        LoopConfig(eval_sets=("cold_start",))


def test_missing_data_file_is_a_crash_not_a_stop(tmp_path):
    cfg = LoopConfig(data=tmp_path / "missing.jsonl", results=tmp_path / "r.tsv",
                     models_dir=tmp_path / "m", workdir=tmp_path / "w", noise_seeds=0)
    rows = run_trials([Experiment(**TINY_EXP), Experiment(**TINY_EXP, lr=1e-3)], cfg)
    assert [r["status"] for r in rows] == ["crash", "crash"]
    assert "no data file" in rows[0]["description"]
