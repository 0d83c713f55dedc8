"""`augur forecast predict`: a table of each case's candidates with the forecaster's
probability beside the truth, or JSON; bad input named."""

from __future__ import annotations

import json

import pytest

from augur.cli import main
from augur.forecast.case import write_cases
from augur.forecast.world_events import world_cases


@pytest.fixture(scope="module")
def cases_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("predict") / "cases.jsonl"
    write_cases(path, world_cases(2, seed=5, depth=2))
    return path


def test_predict_prints_each_level_beside_the_truth(cases_file, capsys):
    assert main(["forecast", "predict", "--case", str(cases_file), "--forecaster",
                 "base-rate"]) == 0
    out = capsys.readouterr().out
    assert out.count("(base-rate):") == 2
    assert "depth 1" in out and "depth 2" in out and "p_true" in out
    marked = [line for line in out.splitlines() if line.startswith("   *")]
    assert len(marked) == 4  # one actual outcome per level


def test_predict_json_sums_to_one_per_level(cases_file, capsys):
    assert main(["forecast", "predict", "--case", str(cases_file), "--forecaster", "uniform",
                 "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["forecaster"] for r in rows] == ["uniform", "uniform"]
    for r in rows:
        assert [lv["depth"] for lv in r["levels"]] == [1, 2]
        for lv in r["levels"]:
            assert sum(lv["probabilities"]) == pytest.approx(1.0)
            assert 0 <= lv["actual"] < len(lv["probabilities"])


def test_predict_names_bad_input(cases_file, tmp_path, capsys):
    assert main(["forecast", "predict", "--case", str(tmp_path / "none.jsonl"),
                 "--forecaster", "uniform"]) == 2
    assert "no such file" in capsys.readouterr().err
    assert main(["forecast", "predict", "--case", str(cases_file), "--forecaster",
                 "oracle"]) == 2
    assert "unknown forecaster 'oracle'" in capsys.readouterr().err
