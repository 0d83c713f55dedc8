"""The minimal level protocol that the baselines and `to_forecasts` read, so they take the
case format's pydantic models and plain dicts alike (a field is read as an attribute,
or as a key of a Mapping; a field that is None counts as absent).

A level:
    candidates  sequence of K >= 2 candidates
    depth       int >= 1 (read by `to_forecasts`; the baselines do not need it)
    market      optional float in [0, 1]: the market (or data) probability of the
                "Yes" candidate of a two-candidate level at freeze time (the candidate
                whose text is "yes", any case, else the first one)
A candidate:
    text        str, the outcome in words
    label       1 for what happened, 0 for an alternative (True / False accepted);
                exactly one candidate of a level has label 1
    kind        optional str, the outcome's kind: what the base rate is fitted by
    p_true      optional float, the generator's true probability (all or none; their
                sum within P_TRUE_ATOL of 1, as stored rounded: renormalised on reading)
    market      optional float in [0, 1], the market's probability of this candidate
                (a level's market values go either here or on the level, not both)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from augur.forecast.harness import constants as C
from augur.forecast.harness.metrics import ForecastInputError, LevelForecast


def get(obj: Any, name: str) -> Any:
    """`obj.name` or `obj[name]`; None when absent."""
    if isinstance(obj, Mapping):
        return obj.get(name)
    return getattr(obj, name, None)


def candidates(level: Any, i: int) -> list:
    cands = get(level, "candidates")
    if cands is None or isinstance(cands, str | bytes):
        raise ForecastInputError(f"level {i}: expected a `candidates` list (each with text and "
                                 f"label), got {cands!r}")
    cands = list(cands)
    if len(cands) < 2:
        raise ForecastInputError(f"level {i}: needs K >= 2 candidates, got K = {len(cands)}")
    return cands


def actual_index(level: Any, i: int) -> int:
    """The index of the one candidate labelled 1."""
    labels = [get(c, "label") for c in candidates(level, i)]
    bad = [(j, x) for j, x in enumerate(labels) if x is None or x not in (0, 1)]
    if bad:
        j, x = bad[0]
        raise ForecastInputError(f"level {i}: candidate {j} label must be 1 (what happened) or "
                                 f"0 (an alternative), got {x!r}")
    ones = [j for j, x in enumerate(labels) if x == 1]
    if len(ones) != 1:
        raise ForecastInputError(f"level {i}: exactly one candidate must have label 1, got "
                                 f"{len(ones)} (candidates {ones})")
    return ones[0]


def depth(level: Any, i: int) -> int:
    d = get(level, "depth")
    if d is None:
        raise ForecastInputError(f"level {i}: no `depth` field; a level needs its depth (>= 1)")
    return d


def true_probs(level: Any, i: int) -> np.ndarray | None:
    """The candidates' p_true, renormalised (case files store them rounded), None when no
    candidate has one."""
    values = [get(c, "p_true") for c in candidates(level, i)]
    missing = [j for j, v in enumerate(values) if v is None]
    if len(missing) == len(values):
        return None
    if missing:
        raise ForecastInputError(f"level {i}: p_true is missing for candidates {missing} but "
                                 "given for the others; give it for every candidate or none")
    p = np.asarray(values, dtype=float)
    if not np.all(np.isfinite(p)) or p.min() < 0 or abs(p.sum() - 1.0) > C.P_TRUE_ATOL:
        raise ForecastInputError(f"level {i}: p_true must be probabilities summing to 1 within "
                                 f"{C.P_TRUE_ATOL}, got {p.tolist()} (sum {p.sum():.6g})")
    return p / p.sum()


def to_forecasts(levels: Sequence[Any], probs: Sequence[Sequence[float]]) -> list[LevelForecast]:
    """A forecaster's probabilities per level, joined with the levels' truth (actual
    index, depth, p_true) into the LevelForecasts `score_levels` takes."""
    if len(probs) != len(levels):
        raise ForecastInputError(f"got {len(probs)} probability lists for {len(levels)} levels; "
                                 "need one per level, in the same order")
    return [LevelForecast(p, actual_index(lv, i), depth(lv, i), true_probs(lv, i))
            for i, (lv, p) in enumerate(zip(levels, probs, strict=True))]
