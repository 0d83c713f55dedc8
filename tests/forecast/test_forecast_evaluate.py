"""Scoring forecasters (augur.forecast.harness.evaluate), the forecaster registry and
`augur forecast evaluate`: rows beside the baselines, refusals naming the case, plugins
imported by name, the table, the JSON and the chart."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from augur.cli import main
from augur.forecast import registry as R
from augur.forecast.case import write_cases
from augur.forecast.harness.evaluate import evaluate
from augur.forecast.harness.metrics import ForecastInputError
from augur.forecast.importers import import_forecastbench
from augur.forecast.world_events import world_cases

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="module")
def world():
    cases = world_cases(120, seed=3)
    return ([c for c in cases if c.split == "train"], [c for c in cases if c.split != "train"])


class Fixed:
    """Returns whatever `fn(case)` gives, under a name."""

    def __init__(self, name, fn):
        self.name, self.fn = name, fn

    def predict(self, case):
        return self.fn(case)


def test_each_forecaster_is_a_row_beside_the_baselines_and_the_ceiling(world):
    train, test = world
    base = R.make_forecaster("base-rate", train)
    sharp = Fixed("sharp", lambda c: [[c2.p_true for c2 in lv.candidates] for lv in c.levels])
    report = evaluate([sharp, Fixed("copy", base.predict), base], test, train)
    assert report["forecasters"] == ["sharp", "copy", "base-rate"]
    assert set(report["latency_ms_per_case"]) == {"sharp", "copy", "base-rate"}
    assert report["n_cases"] == len(test) and report["base_rate_train_cases"] == len(train)
    rows = report["overall"]["forecasters"]
    assert set(rows) == {"sharp", "copy", "base-rate", "uniform", "ceiling"}
    assert rows["copy"] == rows["base-rate"]  # the harness's base rate is the registry's
    assert rows["sharp"]["brier"] == pytest.approx(rows["ceiling"]["brier"], abs=1e-9)
    assert rows["sharp"]["headroom_brier"] == pytest.approx(1.0, abs=1e-6)
    assert report["baselines"] == ["uniform", "base-rate"]


def test_without_training_cases_there_is_no_base_rate_row(world):
    _, test = world
    report = evaluate([R.make_forecaster("uniform")], test)
    assert set(report["overall"]["forecasters"]) == {"uniform", "ceiling"}
    assert report["base_rate_train_cases"] == 0 and report["forecasters"] == ["uniform"]
    with pytest.raises(ValueError, match="'base-rate' needs training cases"):
        R.make_forecaster("base-rate", [])


def test_imported_questions_get_a_market_row_and_binary_brier():
    cases, _ = import_forecastbench(FIXTURES / "forecastbench_questions.json",
                                    FIXTURES / "forecastbench_resolutions.json")
    report = evaluate([R.make_forecaster("market")], cases)
    assert report["market_levels"] == sum(lv.candidates[0].market is not None
                                          for c in cases for lv in c.levels) > 0
    assert report["baselines"] == ["uniform", "market"] and not report["ceiling"]
    rows = report["overall"]["forecasters"]
    assert rows["uniform"]["brier_binary"] == pytest.approx(0.25)
    assert rows["market"]["headroom_brier"] is None  # no ceiling without p_true


@pytest.mark.parametrize(("fn", "match"), [
    (lambda c: [[0.5, 0.5]], r"case 'world-3-\d+': predict returned 1 probability lists for "
                             r"the case's 4 levels"),
    (lambda c: [[0.5, 0.5] for _ in c.levels], r"case 'world-3-\d+', depth 1: got \(2,\) "
                                                r"probabilities for the level's \d candidates"),
    (lambda c: [[0.9] * len(lv.candidates) for lv in c.levels],
     r"forecaster 'bad', case 'world-3-\d+', depth 1: .*must sum to 1"),
])
def test_a_bad_forecast_is_refused_naming_the_case_and_depth(world, fn, match):
    with pytest.raises(ForecastInputError, match=match):
        evaluate([Fixed("bad", fn)], world[1])


def test_two_forecasters_with_one_name_are_refused(world):
    u = R.make_forecaster("uniform")
    with pytest.raises(ForecastInputError, match=r"names \['uniform'\] are used more than once"):
        evaluate([u, u], world[1])


def test_the_registry_lists_builds_and_refuses_by_name(world):
    assert R.names()[:3] == ["uniform", "base-rate", "market"]
    assert {"embedding", "llm"} <= set(R.names())
    case = world[1][0]
    for name in ("uniform", "base-rate", "market"):
        f = R.make_forecaster(name, world[0])
        probs = f.predict(case)
        assert f.name == name and len(probs) == len(case.levels)
        assert all(isinstance(p, list) and np.isclose(sum(p), 1.0) for p in probs)
    with pytest.raises(ValueError, match="unknown forecaster 'oracle'; expected one of uniform"):
        R.make_forecaster("oracle")
    with pytest.raises(ValueError, match="already registered by augur.forecast.registry"):
        R.register("uniform", Fixed)


def test_plugins_are_imported_by_name(tmp_path, monkeypatch):
    monkeypatch.setattr(R, "_FACTORIES", dict(R._FACTORIES))
    (tmp_path / "toy_forecaster.py").write_text(
        "from augur.forecast.registry import UniformForecaster, register\n"
        "class Toy(UniformForecaster):\n    name = 'toy'\n"
        "register('toy', lambda train, scale=1: Toy())\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(R, "PLUGINS", {"toy": "toy_forecaster", "ghost": "no_such_forecaster",
                                       "mute": "json"})
    assert R.make_forecaster("toy", [], scale=2).name == "toy"
    with pytest.raises(R.ForecasterUnavailable, match=r"forecaster 'ghost' is not available: "
                                                      r"importing no_such_forecaster failed"):
        R.make_forecaster("ghost")
    with pytest.raises(R.ForecasterUnavailable, match=r"json imported but did not call "
                                                      r"register\('mute', factory\)"):
        R.make_forecaster("mute")
    ok, missing = R.available()
    assert "toy" in ok and "uniform" in ok and set(missing) == {"ghost", "mute"}
    sys.modules.pop("toy_forecaster", None)


@pytest.fixture(scope="module")
def cases_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("cases") / "world.jsonl"
    write_cases(path, world_cases(150, seed=5))
    return path


def test_evaluate_prints_a_table_per_depth_beside_the_baselines(cases_file, capsys):
    assert main(["forecast", "evaluate", "--data", str(cases_file), "--forecaster", "uniform",
                 "market", "base-rate", "--by-depth"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("world.jsonl test: ")
    assert "base rate fitted on" in out and "market is uniform here" in out
    for heading in ("all depths:", "depth 1:", "depth 4:", "brier = 1 - 1/K", "hr.brier"):
        assert heading in out
    assert "\n  ceiling " in out and "\n  base-rate " in out and "predict market: p50" in out


def test_evaluate_json_and_plot(cases_file, tmp_path, capsys):
    pytest.importorskip("matplotlib")
    png = tmp_path / "brier.png"
    assert main(["forecast", "evaluate", "--data", str(cases_file), "--split", "val",
                 "--forecaster", "base-rate", "--json", "--plot", str(png)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["data"] == "world.jsonl" and report["split"] == "val"
    assert set(report["by_depth"]) == {"1", "2", "3", "4"}
    assert report["overall"]["forecasters"]["base-rate"]["headroom_brier"] == 0.0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_evaluate_names_bad_arguments(cases_file, tmp_path, capsys):
    only_test = tmp_path / "only-test.jsonl"
    from augur.forecast.case import read_cases

    write_cases(only_test, [c for c in read_cases(cases_file) if c.split == "test"])
    for argv, message in [
        (["--data", "nowhere", "--forecaster", "uniform"], "--data: expected world or persona"),
        (["--data", "world", "--train", str(cases_file), "--forecaster", "uniform"],
         "--train is for --data FILE"),
        (["--data", str(only_test), "--split", "val", "--forecaster", "uniform"],
         "no case has split 'val'"),
        (["--data", str(only_test), "--forecaster", "base-rate"], "needs training cases"),
        (["--data", str(cases_file), "--forecaster", "uniform", "--plot", "x.txt"],
         "--plot: expected a .png"),
    ]:
        assert main(["forecast", "evaluate", *argv]) == 2
        assert message in capsys.readouterr().err
    assert main(["forecast", "evaluate", "--data", str(only_test), "--train", str(cases_file),
                 "--forecaster", "base-rate"]) == 0
    assert "base rate fitted on" in capsys.readouterr().out
