"""The case format: what it accepts, what it refuses (naming case, level and field), and
its JSON Lines files."""

from __future__ import annotations

import copy
import json
from collections import Counter

import pytest

from augur.events.io import DataFileError
from augur.forecast.case import Case, CaseError, read_cases, split_of, write_cases


def _case(**extra) -> dict:
    return {
        "id": "c1", "source": "test", "kind": "layoffs",
        "seed": {"text": "Tech layoffs at Veltrix", "date": "2023-01-15"},
        "levels": [
            {"depth": 1, "date": "2023-01-20", "candidates": [
                {"text": "Stock drops 15 %", "label": 1, "kind": "stock_plunge", "p_true": 0.6},
                {"text": "IPO delayed", "label": 0, "kind": "ipo_delay", "p_true": 0.3},
                {"text": "Partnership announced", "label": 0, "p_true": 0.1}]},
            {"depth": 2, "date": "2023-02-01", "candidates": [
                {"text": "Analysts downgrade Veltrix", "label": 0},
                {"text": "Veltrix CEO resigns", "label": 1}]},
        ], **extra}


def test_a_valid_case_round_trips(tmp_path):
    case = Case.from_dict(_case(context="Veltrix is a chip maker.", split="train"))
    assert [lv.actual for lv in case.levels] == [0, 1]
    path = tmp_path / "cases.jsonl"
    assert write_cases(path, [case, Case.from_dict(_case(id="c2"))]) == 2
    again = read_cases(path)
    assert again[0] == case and again[1].id == "c2"
    first = path.read_bytes()
    write_cases(path, again)
    assert path.read_bytes() == first


def test_the_seed_documents_own_format_loads():
    """PsychoHistory's files name the text `event`, and carry no p_true."""
    case = Case.from_dict({"id": "ph-1", "source": "psychohistory",
                           "seed": {"event": "Tech layoffs", "date": "2023-01-15"},
                           "levels": [{"depth": 1, "candidates": [
                               {"event": "Stock drops 15%", "label": 1},
                               {"event": "IPO delayed", "label": 0},
                               {"event": "Partnership announced", "label": 0}]}]})
    assert case.levels[0].candidates[0].text == "Stock drops 15%"


def _set(path, value):
    def change(d):
        *head, last = path
        for key in head:
            d = d[key]
        d[last] = value
    return change


def _drop(path):
    def change(d):
        *head, last = path
        for key in head:
            d = d[key]
        del d[last]
    return change


C = ("levels", 0, "candidates")
REFUSALS = [
    ("no label 1", _set((*C, 0, "label"), 0), ["level 1", "field 'label'", "no candidate"]),
    ("two labels 1", _set((*C, 1, "label"), 1), ["level 1", "field 'label'", "[1, 2]"]),
    ("duplicate", _set((*C, 1, "text"), "  stock DROPS 15 % "),
     ["level 1", "field 'text'", "candidates 1 and 2"]),
    ("depth gap", _set(("levels", 1, "depth"), 3),
     ["level 3", "field 'depth'", "expected depth 2", "1, 3"]),
    ("date before seed", _set(("levels", 0, "date"), "2023-01-10"),
     ["level 1", "field 'date'", "before the seed's date"]),
    ("dates out of order", _set(("levels", 1, "date"), "2023-01-18"),
     ["level 2", "field 'date'", "before level 1's date"]),
    ("p_true sum", _set((*C, 2, "p_true"), 0.3), ["level 1", "field 'p_true'", "sums to 1.2"]),
    ("p_true partial", _drop((*C, 2, "p_true")), ["level 1", "field 'p_true'", "[3]"]),
    ("empty candidate", _set((*C, 1, "text"), "   "),
     ["level 1", "candidate 2", "field 'text'", "non-empty"]),
    ("empty seed", _set(("seed", "text"), ""), ["field 'seed.text'", "non-empty"]),
    ("bad label", _set((*C, 1, "label"), 2), ["level 1", "candidate 2", "field 'label'", "2"]),
    ("market out of range", _set((*C, 0, "market"), 1.5),
     ["level 1", "candidate 1", "field 'market'"]),
    ("bad date", _set(("seed", "date"), "15/01/2023"), ["field 'seed.date'", "2023-01-15"]),
    ("naive time", _set(("levels", 0, "date"), "2023-01-20T09:00:00"),
     ["level 1", "field 'date'", "offset"]),
    ("one candidate", _set(("levels", 1, "candidates"), [{"text": "x", "label": 1}]),
     ["level 2", "field 'candidates'"]),
    ("no levels", _set(("levels",), []), ["field 'levels'"]),
    ("unknown field", _set((*C, 0, "probability"), 0.5),
     ["level 1", "candidate 1", "field 'probability'"]),
]


@pytest.mark.parametrize("name,change,words", REFUSALS, ids=[r[0] for r in REFUSALS])
def test_refusals_name_the_case_level_and_field(name, change, words):
    data = copy.deepcopy(_case())
    change(data)
    with pytest.raises(CaseError) as err:
        Case.from_dict(data)
    message = str(err.value)
    assert message.startswith("case 'c1': ")
    for word in words:
        assert word in message, (word, message)


def test_times_on_one_day_are_ordered_by_time():
    data = _case()
    data["seed"]["date"] = "2025-01-13T08:24:34+02:00"
    data["levels"][0]["date"] = "2025-01-13T08:20:00+02:00"
    with pytest.raises(CaseError, match="level 1: field 'date'"):
        Case.from_dict(data)
    data["levels"][0]["date"] = "2025-01-13T07:30:00+01:00"  # 08:30 at +02:00
    data["levels"][1]["date"] = "2025-01-13"  # a date beside a time: compared as dates
    assert Case.from_dict(data).levels[1].date == "2025-01-13"


def test_a_bad_line_names_the_file_line_and_field(tmp_path):
    path = tmp_path / "cases.jsonl"
    bad = _case(id="c2")
    bad["levels"][1]["candidates"][0]["label"] = 1
    path.write_text(json.dumps(_case()) + "\n\n" + json.dumps(bad) + "\n")
    with pytest.raises(DataFileError, match=r"cases\.jsonl:3: case 'c2': level 2: field 'label'"):
        read_cases(path)
    path.write_text(json.dumps(_case()) + "\n{not json\n")
    with pytest.raises(DataFileError, match=r"cases\.jsonl:2: not valid JSON"):
        read_cases(path)
    path.write_text(json.dumps(_case()) + "\n" + json.dumps(_case()) + "\n")
    with pytest.raises(DataFileError, match=r":2: case 'c1': field 'id': already used on line 1"):
        read_cases(path)
    path.write_text("\n")
    with pytest.raises(DataFileError, match="holds no cases"):
        read_cases(path)
    with pytest.raises(DataFileError, match="augur forecast generate"):
        read_cases(tmp_path / "missing.jsonl")


def test_a_failed_write_leaves_the_old_file(tmp_path):
    path = tmp_path / "cases.jsonl"
    write_cases(path, [Case.from_dict(_case())])
    before = path.read_bytes()

    def broken():
        yield Case.from_dict(_case(id="c9"))
        raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError):
        write_cases(path, broken())
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["cases.jsonl"]
    with pytest.raises(DataFileError, match="is a folder"):
        write_cases(tmp_path, [])


def test_splits_are_fixed_and_about_80_10_10():
    counts = Counter(split_of(f"key-{i}") for i in range(5000))
    assert split_of("key-7") == split_of("key-7")
    assert 0.77 < counts["train"] / 5000 < 0.83
    assert 0.08 < counts["val"] / 5000 < 0.12 and 0.08 < counts["test"] / 5000 < 0.12
