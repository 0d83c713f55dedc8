"""The forecast baselines (uniform, base rate, market) and the level protocol they read:
dicts, plain objects and pydantic models alike."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from pydantic import BaseModel

from augur.forecast.harness import baselines as B
from augur.forecast.harness.levels import to_forecasts
from augur.forecast.harness.metrics import ForecastInputError, score_levels


def cand(text, label, kind=None, **kw):
    return {"text": text, "label": label, "kind": kind, **kw}


def level(*cands, depth=1, **kw):
    return {"depth": depth, "candidates": list(cands), **kw}


TRAIN = [level(cand("ships the fix", 1, "fix"), cand("reverts", 0, "revert"),
               cand("asks for help", 0, "revert")),
         level(cand("ships a patch", 1, "fix"), cand("reverts again", 0, "revert"),
               cand("goes home", 0, "leave"))]
# seen: fix 2, revert 3, leave 1; wins: fix 2; global rate g = 2 / 6.
G = 1 / 3
RATES = {"fix": (2 + G) / 3, "revert": G / 4, "leave": G / 2}


def test_uniform():
    probs = B.uniform([level(cand("a", 1), cand("b", 0)), level(*[cand(c, c == "a") for c in
                                                                   "abcd"])])
    assert [p.tolist() for p in probs] == [[0.5, 0.5], [0.25] * 4]


def test_base_rate_by_kind_smoothed_and_renormalised():
    model = B.BaseRate(smoothing=1.0).fit(TRAIN)
    assert model.global_rate_ == pytest.approx(G)
    assert model.rates_ == pytest.approx(RATES)
    test = [level(cand("fixes it", 0, "fix"), cand("reverts", 1, "revert"),
                  cand("sings", 0, "never seen"), cand("no kind", 0))]
    (p,) = model.predict(test)
    raw = np.array([RATES["fix"], RATES["revert"], G, G])
    assert p == pytest.approx(raw / raw.sum()) and p.sum() == pytest.approx(1.0)


def test_base_rate_follows_the_fit_contract():
    with pytest.raises(ForecastInputError, match="before fit"):
        B.BaseRate().predict(TRAIN)
    with pytest.raises(ForecastInputError, match="smoothing must be > 0"):
        B.BaseRate(smoothing=0).fit(TRAIN)
    with pytest.raises(ForecastInputError, match="no training levels"):
        B.BaseRate().fit([])


class Candidate(BaseModel):  # the shape the case format's models will have
    text: str
    label: int
    kind: str | None = None
    p_true: float | None = None
    market: float | None = None


class Level(BaseModel):
    depth: int
    candidates: list[Candidate]
    market: float | None = None


def test_the_protocol_takes_pydantic_models_and_objects():
    models = [Level(depth=lv["depth"], candidates=[Candidate(**c) for c in lv["candidates"]])
              for lv in TRAIN]
    objects = [SimpleNamespace(depth=lv["depth"], candidates=[SimpleNamespace(**c) for c in
                                                              lv["candidates"]]) for lv in TRAIN]
    expected = B.BaseRate().fit(TRAIN).rates_
    assert B.BaseRate().fit(models).rates_ == pytest.approx(expected)
    assert B.BaseRate().fit(objects).rates_ == pytest.approx(expected)


def test_market_yes_no_and_fallbacks():
    levels = [level(cand("Yes", 1), cand("No", 0), market=0.8),
              level(cand("No", 0), cand("Yes", 1), market=0.8),  # "Yes" found by its text
              level(cand("Yes", 0, market=0.3), cand("No", 1)),
              level(cand("a", 1, market=0.6), cand("b", 0, market=0.3), cand("c", 0, market=0.3)),
              level(cand("a", 1), cand("b", 0), cand("c", 0))]
    probs, fallback = B.market(levels)
    assert np.concatenate(probs[:3]) == pytest.approx([0.8, 0.2, 0.2, 0.8, 0.3, 0.7])
    assert probs[3].tolist() == pytest.approx([0.5, 0.25, 0.25])  # renormalised
    assert probs[4].tolist() == pytest.approx([1 / 3] * 3) and fallback == [4]
    models = [Level(depth=1, market=0.8, candidates=[Candidate(text="Yes", label=1),
                                                     Candidate(text="No", label=0)])]
    assert B.market(models)[0][0].tolist() == pytest.approx([0.8, 0.2])


@pytest.mark.parametrize("bad, needle", [
    (level(cand("a", 1), cand("b", 0), cand("c", 0), market=0.5), "got it on a level with K = 3"),
    (level(cand("a", 1, market=0.5), cand("b", 0), cand("c", 0, market=0.1)),
     "market values on candidates [0, 2] but not on the others"),
    (level(cand("Yes", 1), cand("No", 0), market=1.5), "probability in [0, 1], got 1.5"),
    (level(cand("Yes", 1, market=0.5), cand("No", 0), market=0.5), "use one or the other"),
])
def test_market_errors_name_the_level(bad, needle):
    with pytest.raises(ForecastInputError) as e:
        B.market([level(cand("Yes", 1), cand("No", 0), market=0.5), bad])
    assert str(e.value).startswith("level 1") and needle in str(e.value)


@pytest.mark.parametrize("bad, needle", [
    (level(cand("a", 1), cand("b", 1)), "exactly one candidate must have label 1, got 2"),
    (level(cand("a", 1), cand("b", 0.5)), "candidate 1 label must be 1"),
    (level(cand("a", 1)), "needs K >= 2 candidates, got K = 1"),
    ({"depth": 1}, "expected a `candidates` list"),
    (level(cand("a", 1, p_true=0.6), cand("b", 0)), "p_true is missing for candidates [1]"),
])
def test_level_errors_name_the_level(bad, needle):
    with pytest.raises(ForecastInputError) as e:
        B.BaseRate().fit([TRAIN[0], bad])  # reads candidates and labels
        to_forecasts([TRAIN[0], bad], [[1 / 3] * 3, [0.5, 0.5]])  # and p_true
    assert str(e.value).startswith("level 1") and needle in str(e.value)


def test_baselines_join_the_report():
    test = [level(cand("fixes", 1, "fix", p_true=0.8), cand("reverts", 0, "revert", p_true=0.1),
                  cand("leaves", 0, "leave", p_true=0.1), depth=d, market=None) for d in (1, 2)]
    base = B.BaseRate().fit(TRAIN)
    forecasts = {"model": to_forecasts(test, [[0.7, 0.2, 0.1]] * 2),
                 "base_rate": to_forecasts(test, base.predict(test))}
    r = score_levels(forecasts, baselines=["base_rate"])
    g = r["overall"]
    assert r["ceiling"] and r["baselines"] == ["uniform", "base_rate"]
    assert g["best_baseline"] == {"brier": "base_rate", "loss": "base_rate"}
    assert set(g["forecasters"]) == {"model", "base_rate", "uniform", "ceiling"}
    assert g["forecasters"]["base_rate"]["headroom_brier"] == pytest.approx(0.0)
    assert sorted(r["by_depth"]) == [1, 2]


def test_a_rounded_p_true_is_renormalised_for_the_ceiling():
    lv = level(cand("a", 1, p_true=0.4), cand("b", 0, p_true=0.3), cand("c", 0, p_true=0.3004))
    (f,) = to_forecasts([lv], [[0.5, 0.25, 0.25]])
    assert f.p_true == pytest.approx(np.array([0.4, 0.3, 0.3004]) / 1.0004)
    assert score_levels({"m": [f]})["ceiling"]
    off = level(cand("a", 1, p_true=0.4), cand("b", 0, p_true=0.3), cand("c", 0, p_true=0.2))
    with pytest.raises(ForecastInputError, match=r"level 0: p_true must .* \(sum 0.9\)"):
        to_forecasts([off], [[0.5, 0.25, 0.25]])
