"""The two case generators: deterministic by seed, valid, calibrated (the actual outcome
comes as often as p_true says), varied in wording; and `augur forecast generate`."""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict

import pytest

from augur.cli import main
from augur.forecast import persona_cases as P
from augur.forecast import world_events as W
from augur.forecast.case import Case, read_cases, write_cases
from augur.harness.constants import COLD_START_SEEDS, TRAIN_SEED


@pytest.fixture(scope="module")
def world():
    return W.world_cases(800, seed=11)


@pytest.fixture(scope="module")
def persona():
    return P.persona_cases(160, seed=11)  # 8 people


def _levels(cases: list[Case]):
    return [lv for c in cases for lv in c.levels]


def _check_valid(cases: list[Case], max_depth: int) -> None:
    for case in cases:
        again = Case.from_dict(case.to_dict())  # every case passes the format's checks
        assert again == case and 1 <= len(case.levels) <= max_depth
        for lv in case.levels:
            assert P.MIN_K <= len(lv.candidates) <= P.MAX_K
            assert abs(sum(c.p_true for c in lv.candidates) - 1) < 1e-5
            assert all(c.kind for c in lv.candidates)


def _check_calibrated(cases: list[Case]) -> None:
    """Bin every candidate by p_true: label 1 must come as often as the bin's mean p_true
    (within 4 standard errors), which holds only if p_true is the true probability."""
    bins = defaultdict(list)
    for lv in _levels(cases):
        for c in lv.candidates:
            bins[min(int(c.p_true * 5), 4)].append((c.p_true, c.label))
    checked = 0
    for rows in bins.values():
        if len(rows) < 40:
            continue
        mean_p = sum(p for p, _ in rows) / len(rows)
        freq = sum(y for _, y in rows) / len(rows)
        se = math.sqrt(max(mean_p * (1 - mean_p), 0.01) / len(rows))
        assert abs(freq - mean_p) < 4 * se + 0.01, (mean_p, freq, len(rows))
        checked += 1
    assert checked >= 3
    actual = [lv.candidates[lv.actual].p_true for lv in _levels(cases)]
    assert 0.2 < sum(actual) / len(actual) < 0.7  # real uncertainty, not a coin flip per K


def test_world_cases_are_deterministic_and_prefix_stable(tmp_path, world):
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    write_cases(a, W.world_cases(30, seed=11))
    write_cases(b, W.world_cases(30, seed=11))
    assert a.read_bytes() == b.read_bytes()
    assert read_cases(a) == world[:30]
    assert W.world_cases(5, seed=12) != world[:5]


def test_world_cases_are_valid_and_calibrated(world):
    _check_valid(world, 4)
    assert all(len(c.levels) == 4 and c.context for c in world)
    _check_calibrated(world)
    splits = Counter(c.split for c in world)
    assert splits["train"] > 500 and splits["val"] > 40 and splits["test"] > 40


def test_each_world_depth_follows_from_the_actual_outcome_before_it(world):
    for case in world[:100]:
        previous = case.kind
        for lv in case.levels:
            assert sorted(c.kind for c in lv.candidates) == sorted(o[0] for o in
                                                                    W.RULES[previous])
            previous = lv.candidates[lv.actual].kind


def _template(kind: str, text: str) -> int:
    """Which of the kind's phrasings wrote `text`."""
    for i, template in enumerate(W.PHRASES[kind][0]):
        pattern = re.sub(r"\\{\w+\\}", ".+", re.escape(template))
        if re.fullmatch(pattern, text, flags=re.IGNORECASE):
            return i
    raise AssertionError(f"{text!r} is none of {kind}'s phrasings")


def test_world_wording_varies(world):
    used = defaultdict(set)
    for case in world:
        used[case.kind].add(_template(case.kind, case.seed.text))
        for c in (c for lv in case.levels for c in lv.candidates):
            used[c.kind].add(_template(c.kind, c.text))
    assert set(used) == set(W.RULES)
    assert all(len(v) == 3 for v in used.values()), used
    seen: dict[str, str] = {}
    for kind, (texts, _) in W.PHRASES.items():  # no two kinds share a phrasing
        for t in texts:
            assert seen.setdefault(t.casefold(), kind) == kind, t


def test_persona_cases_are_deterministic_and_prefix_stable(tmp_path, persona):
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    write_cases(a, P.persona_cases(12, seed=11))
    write_cases(b, P.persona_cases(12, seed=11))
    assert a.read_bytes() == b.read_bytes()
    assert read_cases(a) == persona[:12]


def test_persona_cases_are_valid_and_calibrated(persona):
    _check_valid(persona, 4)
    assert len(persona) == 160
    assert Counter(len(c.levels) for c in persona)[4] > 60
    _check_calibrated(persona)
    by_person = defaultdict(set)
    for c in persona:
        by_person[c.id.split("-")[1]].add(c.split)
        assert len(c.history) == P.HISTORY_EVENTS and c.seed.date <= c.levels[0].date
    assert len(by_person) == 8 and all(len(s) == 1 for s in by_person.values())


def test_persona_wording_varies_and_names_the_action(persona):
    phrasings = defaultdict(set)
    for lv in _levels(persona):
        for c in lv.candidates:
            assert c.text in P.OUTCOMES[c.kind]
            phrasings[c.kind].add(c.text)
    common = [k for k, v in Counter(c.kind for lv in _levels(persona)
                                    for c in lv.candidates).items() if v >= 30]
    assert len(common) >= 10 and all(len(phrasings[k]) >= 2 for k in common)
    seen: dict[str, str] = {}
    for action, texts in P.OUTCOMES.items():
        for t in texts:
            assert seen.setdefault(t.casefold(), action) == action, t


def test_persona_seeds_avoid_the_oracle_harness_people():
    seeds = {P._persona_seed(s, j) for s in range(3) for j in range(200)}
    assert len(seeds) == 600 and not seeds & {TRAIN_SEED, *COLD_START_SEEDS}


def test_generate_cli_round_trips(tmp_path, capsys):
    out = tmp_path / "world.jsonl"
    assert main(["forecast", "generate", "--source", "world", "--n", "25", "--seed", "11",
                 "--depth", "2", "--out", str(out)]) == 0
    assert "wrote 25 world cases" in capsys.readouterr().out
    cases = read_cases(out)
    assert len(cases) == 25 and {len(c.levels) for c in cases} == {2}
    out = tmp_path / "persona.jsonl"
    assert main(["forecast", "generate", "--source", "persona", "--n", "5", "--seed", "11",
                 "--out", str(out)]) == 0
    assert "wrote 5 persona cases" in capsys.readouterr().out
    assert len(read_cases(out)) == 5
    assert main(["forecast", "generate", "--source", "world", "--n", "5",
                 "--out", str(tmp_path)]) == 2
    assert "is a folder" in capsys.readouterr().err
