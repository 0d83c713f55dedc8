"""Optuna search: space files are checked up front, sampled experiments have the field
types, invalid combinations are pruned, and a real study on tiny data resumes from its
sqlite file where it stopped."""

import json
import sys

import pytest

from augur.cli import main
from augur.errors import AugurError
from augur.research.experiment import Experiment, ExperimentError
from augur.research.loop import COLUMNS, LoopConfig, read_results
from augur.research.search import SearchConfig, SearchSpace, SearchSpaceError, run_search

optuna = pytest.importorskip("optuna", reason='the research extra: pip install -e ".[research]"')

TINY_BASE = dict(d_model=32, n_layers=1, n_heads=2, d_ff=64, d_candidate=16,
                 windows=[16, 32], batch_tokens=256)


@pytest.mark.parametrize("doc, match", [
    ([], r'expected an object \{"base"'),
    ({"base": {}}, r'expected an object \{"base"'),
    ({"space": {}, "extra": 1}, r'expected an object \{"base"'),
    ({"space": {}}, r'"space" expected a non-empty object'),
    ({"space": {"widht": {"choices": [1]}}}, r"unknown field\(s\) \['widht'\]"),
    ({"base": {"lr": 0.001}, "space": {"lr": {"low": 0.001, "high": 0.01}}},
     r"\['lr'\] both fixed"),
    ({"space": {"lr": {"low": 0.01, "high": 0.001}}}, r'space.lr: expected numbers "low" < '
                                                      r'"high", got \{"low": 0.01'),
    ({"space": {"lr": {"min": 0.01}}}, r'space.lr: expected an object \{"choices"'),
    ({"space": {"lr": {"low": 0, "high": 0.1, "log": True}}}, r'"low" > 0 with "log"'),
    ({"space": {"lr": {"low": 1, "high": 2, "int": True}}}, r"integer field \(this one is "
                                                            r"float\)"),
    ({"space": {"d_model": {"low": 32, "high": 64.5}}}, r"integer low and high"),
    ({"space": {"d_model": {"low": 32, "high": 64, "int": False}}},
     r'"int": true, the field is int'),
    ({"space": {"pooling": {"choices": ["last", 3]}}}, r"field's type str, got \[3\]"),
    ({"space": {"windows": {"choices": [[16, 32], 64]}}}, r"tuple\[int, \.\.\.\], got \[64\]"),
    ({"space": {"pooling": {"choices": ["mean", "mean"]}}}, r"distinct choices"),
    ({"space": {"pooling": {"choices": ["mean"], "low": 1}}}, r'"choices" alone'),
])
def test_bad_space_files_name_field_expected_and_got(tmp_path, doc, match):
    path = tmp_path / "space.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(SearchSpaceError, match=match):
        SearchSpace.load(path)


def test_base_is_checked_as_the_baseline_experiment(tmp_path):
    with pytest.raises(ExperimentError, match=r"base \(alone it is the search's baseline\): "
                                              r"pooling: expected"):
        SearchSpace.from_dict({"base": {"pooling": "max"}, "space": {"lr": {"low": 1e-3,
                                                                            "high": 1e-2}}})
    with pytest.raises(SearchSpaceError, match="not JSON"):
        (tmp_path / "s.json").write_text("{")
        SearchSpace.load(tmp_path / "s.json")
    with pytest.raises(SearchSpaceError, match="no search-space file"):
        SearchSpace.load(tmp_path / "none.json")
    with pytest.raises(AugurError, match="trials: expected a positive integer, got 0"):
        SearchConfig(trials=0)


def test_samples_have_the_field_types_and_bad_combinations_are_refused():
    space = SearchSpace.from_dict({"base": {"d_ff": 64}, "space": {
        "n_layers": {"low": 1, "high": 3}, "lr": {"low": 1e-4, "high": 1e-2, "log": True},
        "windows": {"choices": [[16, 32], [16, 32, 64]]}, "d_model": {"choices": [32, 48]},
        "n_heads": {"choices": [2, 3]}, "use_curriculum": {"choices": [True, False]}}})
    assert [p.integer for p in space.params if p.name in ("n_layers", "lr")] == [True, False]
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=3))
    ok = bad = 0
    for _ in range(30):
        trial = study.ask()
        try:
            e = space.sample(trial)
        except ExperimentError as err:
            assert str(err).startswith("sampled experiment: n_heads: expected a divisor")
            bad += 1
            continue
        ok += 1
        assert isinstance(e.n_layers, int) and 1 <= e.n_layers <= 3
        assert e.windows in ((16, 32), (16, 32, 64)) and e.d_ff == 64
        assert 1e-4 <= e.lr <= 1e-2 and isinstance(e.use_curriculum, bool)
    assert ok and bad
    assert space.baseline() == Experiment(d_ff=64)


def test_invalid_combinations_are_pruned_and_count(tmp_path):
    """No trial can be valid (d_model=32 over 3 or 5 heads): three pruned, nothing trained.
    A baseline row is already in the file, so no baseline runs either."""
    results = tmp_path / "results.tsv"
    row = dict.fromkeys(COLUMNS, "")
    row.update(trial="1", commit="abc", status="keep", composite="0.3", noise_floor="0.01")
    results.write_text("\t".join(COLUMNS) + "\n" + "\t".join(row[c] for c in COLUMNS) + "\n")
    cfg = LoopConfig(data=tmp_path / "none.jsonl", results=results, models_dir=tmp_path / "m",
                     workdir=tmp_path / "w", noise_seeds=0)
    base = {k: v for k, v in TINY_BASE.items() if k != "n_heads"}
    space = SearchSpace.from_dict({"base": base, "space": {"n_heads": {"choices": [3, 5]}}})
    logs = []
    rows = run_search(space, cfg, SearchConfig(trials=3, study_name="s"), logs.append)
    assert rows == [] and len(read_results(results)) == 1
    study = optuna.load_study(study_name="s", storage=f"sqlite:///{tmp_path / 'w/study.db'}")
    assert [t.state.name for t in study.trials] == ["PRUNED"] * 3
    assert "n_heads: expected a divisor of d_model=32" in study.trials[0].user_attrs["invalid"]
    assert sum("pruned" in s for s in logs) == 3
    # the same command again finds the target met and runs nothing
    assert run_search(space, cfg, SearchConfig(trials=3, study_name="s"), logs.append) == []
    other = SearchSpace.from_dict({"base": base, "space": {"n_heads": {"choices": [3]}}})
    with pytest.raises(SearchSpaceError, match="another search space"):
        run_search(other, cfg, SearchConfig(trials=3, study_name="s"))


@pytest.mark.slow
def test_search_on_tiny_data_resumes_where_it_stopped(tmp_path):
    """The loop's own data file is empty, so the baseline (`base` alone) crashes in its
    child; every sampled trial sets days=8 (synthetic data) and trains. The first one to
    succeed becomes the baseline. A second call with --trials 4 runs exactly one more."""
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    cfg = LoopConfig(data=empty, budget_s=1, results=tmp_path / "results.tsv",
                     models_dir=tmp_path / "models", noise_seeds=0, workdir=tmp_path / "work",
                     eval_sets=("temporal",))
    space = SearchSpace.from_dict({"base": TINY_BASE, "space": {
        "days": {"choices": [8]}, "lr": {"low": 1e-3, "high": 4e-3, "log": True},
        "pooling": {"choices": ["last", "mean"]}}})
    search = SearchConfig(trials=3, study_name="tiny", seed=1)
    logs = []
    first = run_search(space, cfg, search, logs.append)

    assert [r["status"] for r in first][:2] == ["crash", "keep"]
    assert "(search baseline)" in first[0]["description"] and "DataFileError" in first[0][
        "description"]
    assert {r["status"] for r in first[2:]} <= {"keep", "discard"} and len(first) == 4
    storage = f"sqlite:///{(tmp_path / 'work' / 'study.db').resolve()}"
    study = optuna.load_study(study_name="tiny", storage=storage)
    assert [t.state.name for t in study.trials] == ["COMPLETE"] * 3
    study.ask()  # a trial left running, as by a sweep killed mid-trial

    second = run_search(space, cfg, SearchConfig(trials=4, study_name="tiny", seed=1),
                        logs.append)
    assert len(second) == 1 and second[0]["trial"] == 5
    assert any("left running by a stopped sweep" in s for s in logs)
    study = optuna.load_study(study_name="tiny", storage=storage)
    states = [t.state.name for t in study.trials]
    assert states == ["COMPLETE"] * 3 + ["FAIL", "COMPLETE"]
    saved = {int(r["trial"]): r for r in read_results(cfg.results)}
    assert sorted(saved) == [1, 2, 3, 4, 5]
    done = [t for t in study.trials if t.state.name == "COMPLETE"]
    for t in done:  # the study and results.tsv tell the same story
        row = saved[t.user_attrs["results_trial"]]
        assert row["status"] == t.user_attrs["status"]
        assert float(row["composite"]) == pytest.approx(t.value, abs=1e-5)
        assert f"(optuna trial {t.number})" in row["description"]
        assert json.loads(row["params"])["lr"] == pytest.approx(t.params["lr"])
        assert "days=8" in row["description"]
    assert [t.user_attrs["results_trial"] for t in done] == [2, 3, 4, 5]


@pytest.mark.parametrize("args, message", [
    (["--search", "{space}"], "--search needs --trials N"),
    (["--experiments", "{exps}", "--trials", "3"], "--trials goes with --search"),
    (["--search", "{space}", "--trials", "0"], "trials: expected a positive integer, got 0"),
    (["--search", "{space}", "--trials", "2", "--concurrency", "0"],
     "concurrency: expected a positive integer, got 0"),
])
def test_cli_refuses_mixed_or_missing_flags(tmp_path, capsys, args, message):
    space, exps = tmp_path / "space.json", tmp_path / "e.json"
    space.write_text(json.dumps({"space": {"lr": {"low": 1e-3, "high": 1e-2}}}))
    exps.write_text("[{}]")
    args = [a.format(space=space, exps=exps) for a in args]
    assert main(["research", "run", *args, "--workdir", str(tmp_path / "w")]) == 2
    assert message in capsys.readouterr().err


def test_cli_search_without_optuna_names_the_extra(tmp_path, capsys, monkeypatch):
    space = tmp_path / "space.json"
    space.write_text(json.dumps({"space": {"lr": {"low": 1e-3, "high": 1e-2}}}))
    monkeypatch.setitem(sys.modules, "optuna", None)  # as if Optuna were not installed
    assert main(["research", "run", "--search", str(space), "--trials", "2",
                 "--results", str(tmp_path / "r.tsv"), "--workdir", str(tmp_path / "w")]) == 2
    assert '--search needs Optuna: install the research extra: pip install -e ".[research]"' \
        in capsys.readouterr().err
    assert not (tmp_path / "r.tsv").exists()
