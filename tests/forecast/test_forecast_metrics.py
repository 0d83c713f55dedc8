"""The forecast harness's metrics and match coverage: values by hand, headroom, the
ceiling, errors that name the level."""

from __future__ import annotations

import math

import numpy as np
import pytest

from augur.forecast.harness import matching as MT
from augur.forecast.harness.metrics import (
    ForecastInputError,
    LevelForecast,
    headroom,
    score_level,
    score_levels,
)
from augur.harness import metrics as M


def _report(probs, labels, depths=None, p_true=None, name="model"):
    depths = depths or [1] * len(probs)
    p_true = p_true or [None] * len(probs)
    rows = zip(probs, labels, depths, p_true, strict=True)
    levels = [LevelForecast(p, y, d, t) for p, y, d, t in rows]
    return score_levels({name: levels})


# --------------------------------------------------------------------------- values by hand


def test_a_coin_on_two_candidates():
    s = score_level(LevelForecast([0.5, 0.5], 0, 1))
    assert s["brier"] == pytest.approx(0.5)
    assert s["brier_per_candidate"] == pytest.approx(0.25)
    assert s["brier_binary"] == pytest.approx(0.25)
    assert s["loss"] == pytest.approx(math.log(2))
    r = _report([[0.5, 0.5], [0.5, 0.5]], [0, 1])["overall"]
    m = r["forecasters"]["model"]
    assert (m["brier"], m["brier_per_candidate"], m["brier_binary"]) == pytest.approx(
        (0.5, 0.25, 0.25))
    assert m["perplexity"] == pytest.approx(2.0) and r["mean_k"] == 2.0 and r["n_binary"] == 2
    assert m["accuracy"] == pytest.approx(0.5)  # tied at the top: half a hit each


def test_a_perfect_forecast():
    m = _report([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]], [0, 2])["overall"]["forecasters"]["model"]
    assert m["brier"] == 0.0 and m["brier_per_candidate"] == 0.0
    assert m["loss"] == pytest.approx(0.0, abs=1e-12) and m["perplexity"] == pytest.approx(1.0)
    assert m["accuracy"] == 1.0 and m["ece"] == 0.0 and m["brier_binary"] is None


def test_uniform_over_four_candidates():
    r = _report([[0.25] * 4, [0.25] * 4], [1, 3])["overall"]
    for name in ("model", "uniform"):
        m = r["forecasters"][name]
        assert m["loss"] == pytest.approx(math.log(4)) and m["perplexity"] == pytest.approx(4)
        assert m["brier"] == pytest.approx(0.75) and m["brier_per_candidate"] == pytest.approx(
            0.1875)
    assert r["brier_uniform_ref"] == pytest.approx(0.75) and r["mean_k"] == 4.0


def test_mixed_set_sizes_weigh_each_level_the_same():
    r = _report([[0.5, 0.5], [0.25] * 4], [0, 2])["overall"]
    m = r["forecasters"]["model"]
    assert m["brier"] == pytest.approx((0.5 + 0.75) / 2)
    assert m["brier_per_candidate"] == pytest.approx((0.25 + 0.1875) / 2)
    assert m["brier_binary"] == pytest.approx(0.25)  # the K == 2 level only
    assert r["brier_uniform_ref"] == pytest.approx((0.5 + 0.75) / 2)
    assert r["mean_k"] == 3.0 and r["n_binary"] == 1


def test_ece_is_top_label():
    # Both levels say 0.8 for their top candidate; one is right: |0.5 - 0.8|.
    m = _report([[0.8, 0.2], [0.8, 0.2]], [0, 1])["overall"]["forecasters"]["model"]
    assert m["ece"] == pytest.approx(0.3)


def test_the_report_is_the_frozen_definitions_level_by_level():
    rng = np.random.default_rng(0)
    levels = []
    for i in range(40):
        k = int(rng.integers(2, 6))
        levels.append(LevelForecast(rng.dirichlet(np.ones(k)), int(rng.integers(k)), 1 + i % 3))
    r = score_levels({"m": levels})
    per = [score_level(f) for f in levels]
    m = r["overall"]["forecasters"]["m"]
    for key in ("loss", "brier", "brier_per_candidate"):
        assert m[key] == pytest.approx(np.mean([s[key] for s in per]))
    assert m["accuracy"] == pytest.approx(np.mean([s["correct"] for s in per]))
    binary = [s["brier_binary"] for s in per if s["brier_binary"] is not None]
    assert m["brier_binary"] == pytest.approx(np.mean(binary))
    one = levels[0]
    assert per[0]["brier"] == M.brier_score(np.asarray(one.probs)[None], [one.label])
    assert sorted(r["by_depth"]) == [1, 2, 3]
    assert sum(g["n"] for g in r["by_depth"].values()) == r["n_levels"] == 40
    d2 = [s["loss"] for s, f in zip(per, levels, strict=True) if f.depth == 2]
    assert r["by_depth"][2]["forecasters"]["m"]["loss"] == pytest.approx(np.mean(d2))


# --------------------------------------------------------------------------- ceiling and headroom


TRUE = [0.9, 0.1]


def _headroom_report(model, base=None):
    levels = lambda p: [LevelForecast(p, 0, 1, TRUE), LevelForecast(p, 0, 2, TRUE)]  # noqa: E731
    forecasts = {"model": levels(model)}
    if base is not None:
        forecasts["base_rate"] = levels(base)
    return score_levels(forecasts, baselines=["base_rate"] if base is not None else ())


def test_headroom_against_uniform_and_the_ceiling():
    r = _headroom_report([0.7, 0.3])
    g = r["overall"]
    assert r["ceiling"] and g["best_baseline"] == {"brier": "uniform", "loss": "uniform"}
    f = g["forecasters"]
    assert f["ceiling"]["brier"] == pytest.approx(0.02) and f["model"]["brier"] == pytest.approx(
        0.18)
    assert f["model"]["headroom_brier"] == pytest.approx((0.5 - 0.18) / (0.5 - 0.02))
    expected = (math.log(2) + math.log(0.7)) / (math.log(2) + math.log(0.9))
    assert f["model"]["headroom_loss"] == pytest.approx(expected)
    assert f["uniform"]["headroom_brier"] == 0.0 and f["ceiling"]["headroom_brier"] == 1.0
    assert r["by_depth"][2]["forecasters"]["model"]["headroom_brier"] == pytest.approx(2 / 3)


def test_headroom_is_against_the_best_baseline_and_never_clipped():
    g = _headroom_report([0.7, 0.3], base=[0.6, 0.4])["overall"]
    assert g["best_baseline"]["brier"] == "base_rate"
    assert g["forecasters"]["model"]["headroom_brier"] == pytest.approx(0.14 / 0.30)
    worse = _headroom_report([0.4, 0.6])["overall"]["forecasters"]["model"]
    assert worse["headroom_brier"] == pytest.approx((0.5 - 0.72) / 0.48)  # negative, reported
    assert headroom(0.1, 0.3, 0.3) is None and headroom(0.1, 0.2, 0.3) is None


def test_the_ceiling_is_the_truth():
    rng = np.random.default_rng(1)
    truth = [rng.dirichlet(np.full(4, 0.3)) for _ in range(50)]  # sharp: the truth beats 1/K
    labels = [int(rng.choice(4, p=t)) for t in truth]
    levels = [LevelForecast(t, y, 1, t) for t, y in zip(truth, labels, strict=True)]
    g = score_levels({"truth": levels})["overall"]["forecasters"]
    assert g["ceiling"] == pytest.approx(g["truth"])
    assert g["truth"]["headroom_brier"] == pytest.approx(1.0)


def test_no_ceiling_unless_every_level_has_its_truth():
    r = _report([[0.7, 0.3], [0.6, 0.4]], [0, 0], p_true=[TRUE, None])
    assert not r["ceiling"] and "ceiling" not in r["overall"]["forecasters"]
    assert r["overall"]["forecasters"]["model"]["headroom_brier"] is None


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize("level, needle", [
    (LevelForecast([0.5, 0.4], 0, 1), "must sum to 1 within 1e-06, got 0.9"),
    (LevelForecast([0.5, 0.5 + 1e-5], 0, 1), "must sum to 1"),
    (LevelForecast([1.0], 0, 1), "K >= 2 candidates, got K = 1"),
    (LevelForecast([0.5, 0.5], 2, 1), "label must be the actual outcome's index in [0, 2), got 2"),
    (LevelForecast([0.5, 0.5], 0, 0), "depth must be an integer >= 1, got 0"),
    (LevelForecast([1.2, -0.2], 0, 1), "in [0, 1]"),
    (LevelForecast([0.5, 0.5], 0, 1, [0.2, 0.3, 0.5]), "p_true has 3 values but the level has 2"),
])
def test_bad_input_names_the_level_and_what_was_got(level, needle):
    ok = LevelForecast([0.5, 0.5], 0, 1)
    with pytest.raises(ForecastInputError) as e:
        score_levels({"model": [ok, ok, level]})
    assert "level 2 of forecaster 'model'" in str(e.value) and needle in str(e.value)


def test_forecasters_must_cover_the_same_levels():
    a = [LevelForecast([0.5, 0.5], 0, 1), LevelForecast([0.5, 0.5], 1, 1)]
    b = [LevelForecast([0.5, 0.5], 0, 1), LevelForecast([0.5, 0.5], 0, 1)]
    with pytest.raises(ForecastInputError, match="level 1: label is 0 for forecaster 'b' but 1"):
        score_levels({"a": a, "b": b})
    with pytest.raises(ForecastInputError, match="has 1 levels but 'a' has 2"):
        score_levels({"a": a, "b": b[:1]})
    with pytest.raises(ForecastInputError, match="'uniform' is reserved"):
        score_levels({"uniform": a})
    with pytest.raises(ForecastInputError, match=r"baselines \['market'\] are not among"):
        score_levels({"a": a}, baselines=["market"])


# --------------------------------------------------------------------------- match coverage


VECTORS = {  # a deterministic stand-in for MiniLM: paraphrases point the same way
    "shares tumble": [1.0, 0.1, 0.0], "stock drops": [0.9, 0.2, 0.0],
    "ceo resigns": [0.0, 1.0, 0.0], "chief executive steps down": [0.1, 0.9, 0.1],
    "new office opens": [0.0, 0.0, 1.0], "profits rise": [0.5, 0.0, 0.5],
    "layoffs announced": [0.0, 0.3, 0.7], "hiring freeze": [0.6, 0.6, 0.0],
}


def embed(texts):
    return np.array([VECTORS[t] for t in texts])


def test_each_kind_of_match():
    calls = []

    def judge(written, actual):
        calls.append(written)
        return written == "hiring freeze" and actual == "layoffs announced"

    written = [["Stock drops!", "profits rise"], ["stock drops sharply today", "x"],
               ["shares tumble"], ["hiring freeze", "new office opens"], ["profits rise"], []]
    actual = ["stock  drops", "stock drops sharply", "stock drops", "layoffs announced",
              "ceo resigns", "ceo resigns"]
    matches = MT.match_levels(written, actual, embed=embed, threshold=0.95, judge=judge)
    assert [(m.kind, m.index) for m in matches] == [
        ("exact", 0), ("jaccard", 0), ("cosine", 0), ("judge", 0), ("none", None),
        ("none", None)]
    assert calls == ["hiring freeze", "profits rise"]  # only levels nothing else matched
    r = MT.coverage(matches, [1, 1, 2, 2, 3, 3])
    assert r["overall"]["n"] == 6 and r["overall"]["matched"] == pytest.approx(4 / 6)
    assert r["by_depth"][1] == {"n": 2, "exact": 0.5, "jaccard": 0.5, "cosine": 0.0,
                                "judge": 0.0, "none": 0.0, "matched": 1.0}
    assert r["by_depth"][3]["none"] == 1.0


def test_jaccard_must_exceed_the_seeds_threshold():
    assert MT.jaccard("a b c", "a b c d e") == pytest.approx(0.6)
    assert MT.match_levels([["a b c"]], ["a b c d e"])[0].kind == "none"  # strictly above 0.6
    assert MT.match_levels([["a b c d"]], ["a b c d e"])[0].kind == "jaccard"
    assert MT.normalise("  Stock DROPS, 15%!") == "stock drops 15"


def test_fit_cosine_threshold_on_validation_pairs():
    same = [("shares tumble", "stock drops"), ("ceo resigns", "chief executive steps down")]
    diff = [("shares tumble", "ceo resigns"), ("new office opens", "stock drops"),
            ("profits rise", "ceo resigns")]
    threshold, f1 = MT.fit_cosine_threshold(same, diff, embed)
    assert f1 == 1.0
    cos = MT._cosines(embed, [a for a, _ in same + diff], [b for _, b in same + diff])
    assert cos[2:].max() < threshold <= cos[:2].min()


def test_match_coverage_errors():
    with pytest.raises(ForecastInputError, match="both `embed` and `threshold`"):
        MT.match_levels([["a"]], ["a"], embed=embed)
    with pytest.raises(ForecastInputError, match="level 1: written outcomes must be a list"):
        MT.match_levels([["a"], "a"], ["a", "a"])
    with pytest.raises(ForecastInputError, match="level 0: the actual outcome must be text"):
        MT.match_levels([["a"]], ["  !"])
    with pytest.raises(ForecastInputError, match="pairs of both kinds"):
        MT.fit_cosine_threshold([("a", "b")], [], embed)


def test_cosine_matching_with_minilm():
    from augur.memory.embed import Embedder

    vectors = Embedder().embed
    same = [("the company lays off staff", "the firm cuts jobs"),
            ("the stock price falls sharply", "shares drop steeply"),
            ("the product launch is delayed", "the release gets postponed")]
    diff = [("the company lays off staff", "it rains in Paris"),
            ("the stock price falls sharply", "a new cafe opens downtown"),
            ("the product launch is delayed", "the team wins the football match")]
    threshold, f1 = MT.fit_cosine_threshold(same, diff, vectors)
    assert f1 == 1.0 and 0.0 < threshold < 1.0
    written = [["employees are let go by the company"], ["a new cafe opens downtown"],
               ["it rains in Paris", "the share price plunges"]]  # paraphrases not fitted on
    actual = ["the company lays off staff", "the stock price falls sharply",
              "the stock price falls sharply"]
    matches = MT.match_levels(written, actual, embed=vectors, threshold=threshold)
    assert [(m.kind, m.index) for m in matches] == [("cosine", 0), ("none", None), ("cosine", 1)]
