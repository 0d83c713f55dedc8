"""Importing real question sets: ForecastBench's question and resolution sets, and
multiple-choice JSON Lines, on hand-written fixtures; and `augur forecast import`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from augur.cli import main
from augur.events.io import DataFileError
from augur.forecast.case import read_cases
from augur.forecast.importers import import_choices, import_forecastbench

FIXTURES = Path(__file__).parent / "fixtures"
QUESTIONS = FIXTURES / "forecastbench_questions.json"
RESOLUTIONS = FIXTURES / "forecastbench_resolutions.json"
CHOICES = FIXTURES / "choices.jsonl"


def test_forecastbench_binary_questions_become_yes_no_cases():
    cases, report = import_forecastbench(QUESTIONS, RESOLUTIONS)
    assert (report.read, report.imported) == (10, 5)
    assert dict(report.skipped) == {"unresolved": 2, "not resolved to 0 or 1": 1,
                                    "combination question": 1, "no such question": 1}
    by_id = {c.id: c for c in cases}
    ecb = by_id["forecastbench/metaculus/21417/2024-09-13"]
    assert ecb.source == "forecastbench:metaculus" and ecb.seed.date == "2024-07-11"
    assert ecb.seed.text.startswith("Will the European Central Bank")
    assert "3.75%" in ecb.context and "Resolves Yes" in ecb.context
    (level,) = ecb.levels
    assert level.depth == 1 and level.date == "2024-09-13"
    assert [(c.text, c.label, c.market) for c in level.candidates] == [
        ("Yes", 1, 0.72), ("No", 0, 0.28)]
    eth = by_id["forecastbench/polymarket/0x6f1c3a9b2e/2024-07-24"]
    assert [(c.label, c.market) for c in eth.levels[0].candidates] == [(0, 0.415), (1, 0.585)]
    # a dataset question: one case per resolved date, its series value is no probability
    fred = [c for c in cases if c.source == "forecastbench:fred"]
    assert [c.levels[0].candidates[0].label for c in fred] == [0, 1]
    assert all(cand.market is None for c in fred for cand in c.levels[0].candidates)
    assert fred[0].split == fred[1].split  # one question, one split
    infer = by_id["forecastbench/infer/2671/2024-09-01"]  # no crowd value at freeze time
    assert infer.levels[0].candidates[0].market is None


def _write(tmp_path: Path, name: str, data) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data) if not isinstance(data, str) else data)
    return path


def test_forecastbench_errors_name_the_file_question_and_field(tmp_path):
    questions = json.loads(QUESTIONS.read_text())
    del questions["questions"][0]["question"]
    bad = _write(tmp_path, "q.json", questions)
    with pytest.raises(DataFileError, match=r"q\.json: question '21417': field 'question'"):
        import_forecastbench(bad, RESOLUTIONS)
    resolutions = json.loads(RESOLUTIONS.read_text())
    resolutions["resolutions"][1]["resolved"] = "yes"
    bad = _write(tmp_path, "r.json", resolutions)
    with pytest.raises(DataFileError, match=r"r\.json: question '0x6f1c3a9b2e': field 'resolved'"):
        import_forecastbench(QUESTIONS, bad)
    resolutions = json.loads(RESOLUTIONS.read_text())
    resolutions["resolutions"][0]["resolution_date"] = "2024-07-01"  # before the freeze
    bad = _write(tmp_path, "r.json", resolutions)
    with pytest.raises(DataFileError, match=r"question '21417': .*level 1: field 'date'"):
        import_forecastbench(QUESTIONS, bad)
    with pytest.raises(DataFileError, match="'questions' is a list"):
        import_forecastbench(RESOLUTIONS, RESOLUTIONS)  # the files swapped
    with pytest.raises(DataFileError, match="not valid JSON"):
        import_forecastbench(_write(tmp_path, "x.json", "{"), RESOLUTIONS)
    with pytest.raises(DataFileError, match="no such file"):
        import_forecastbench(tmp_path / "none.json", RESOLUTIONS)


def test_multiple_choice_questions_become_one_level_cases():
    cases, report = import_choices(CHOICES)
    assert (report.read, report.imported, sum(report.skipped.values())) == (3, 3, 0)
    launch, rates, vote = cases
    assert launch.id == "launch-window" and launch.seed.date == "2024-11-04"
    assert [c.label for c in launch.levels[0].candidates] == [0, 0, 1, 0]
    assert [c.label for c in rates.levels[0].candidates] == [0, 1, 0, 0]  # answer by index
    assert [c.label for c in vote.levels[0].candidates] == [0, 1, 0]  # by text, any case
    assert vote.id.startswith("choice-") and vote.seed.date is None
    assert import_choices(CHOICES)[0][2].id == vote.id  # the made-up id is stable


@pytest.mark.parametrize("row,words", [
    ({"id": "q1", "question": "Q?", "options": ["a", "b"], "answer": "c"}, ["'q1'", "'answer'"]),
    ({"id": "q1", "question": "Q?", "options": ["a", "b"], "answer": 2}, ["'answer'", "0 to 1"]),
    ({"id": "q1", "question": "Q?", "options": "a, b", "answer": 0}, ["'q1'", "'options'"]),
    ({"id": "q1", "options": ["a", "b"], "answer": 0}, ["'q1'", "'question'"]),
    ({"id": "q1", "question": "Q?", "options": ["a", " A"], "answer": 0},
     ["case 'q1'", "level 1", "field 'text'"]),
    ({"id": "q1", "question": "Q?", "options": ["a", "b"], "answer": 0, "date": "soon"},
     ["case 'q1'", "field 'seed.date'"]),
])
def test_choice_errors_name_the_line_question_and_field(tmp_path, row, words):
    path = _write(tmp_path, "c.jsonl", CHOICES.read_text() + json.dumps(row) + "\n")
    with pytest.raises(DataFileError) as err:
        import_choices(path)
    assert str(err.value).startswith(f"{path}:4: ")
    for word in words:
        assert word in str(err.value), (word, str(err.value))


def test_import_cli_round_trips(tmp_path, capsys):
    out = tmp_path / "fb.jsonl"
    assert main(["forecast", "import", "--forecastbench", str(QUESTIONS), str(RESOLUTIONS),
                 "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "read 10 resolution rows; imported 5 cases; skipped 5" in printed
    assert "unresolved 2" in printed and "not resolved to 0 or 1 1" in printed
    assert len(read_cases(out)) == 5
    out = tmp_path / "choices.jsonl"
    assert main(["forecast", "import", "--choices", str(CHOICES), "--out", str(out)]) == 0
    assert "read 3 questions; imported 3 cases" in capsys.readouterr().out
    assert [c.id for c in read_cases(out)][:2] == ["launch-window", "rate-path"]
    copy = _write(tmp_path, "copy.jsonl", CHOICES.read_text())
    assert main(["forecast", "import", "--choices", str(copy), "--out", str(copy)]) == 2
    assert "would replace it" in capsys.readouterr().err
