"""The baselines every forecast report shows beside a model (the ceiling is the levels'
own p_true, added by `score_levels`):

    uniform(levels)             1/K for each of a level's K candidates
    BaseRate().fit(train)       how often a candidate of each `kind` was the actual
        .predict(levels)        outcome in training, smoothed, renormalised per level
    market(levels)              the market (or data) value at freeze time, where the
                                level has one; uniform elsewhere, and those are counted

They read levels through the protocol of levels.py (objects or dicts), and return one
probability array per level, ready for `levels.to_forecasts`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np

from augur.forecast.harness import constants as C
from augur.forecast.harness.levels import actual_index, candidates, get
from augur.forecast.harness.metrics import ForecastInputError


def _flat(k: int) -> np.ndarray:
    return np.full(k, 1.0 / k)


def uniform(levels: Sequence[Any]) -> list[np.ndarray]:
    return [_flat(len(candidates(lv, i))) for i, lv in enumerate(levels)]


class BaseRate:
    """rate(kind) = (wins + s * g) / (seen + s): `seen` candidates of that kind in the
    training levels, `wins` of them the actual outcome, g the global rate (wins / seen
    over every training candidate, kind or not), s = `smoothing` pseudo-candidates at
    the global rate. A level's forecast is its candidates' rates renormalised to sum to
    1; a candidate with no kind, or a kind never seen in training, gets g.

    scikit-learn's contract: the constructor stores `smoothing`, `fit` learns `rates_`
    and `global_rate_` and returns self, `predict` before `fit` raises."""

    def __init__(self, smoothing: float = C.BASE_RATE_SMOOTHING) -> None:
        self.smoothing = smoothing

    def fit(self, levels: Sequence[Any]) -> BaseRate:
        if not self.smoothing > 0:
            raise ForecastInputError(f"BaseRate smoothing must be > 0 (so no kind's rate is "
                                     f"0), got {self.smoothing!r}")
        if len(levels) == 0:
            raise ForecastInputError("BaseRate.fit got no training levels; need at least one")
        wins, seen = Counter(), Counter()
        n_wins = n_seen = 0
        for i, level in enumerate(levels):
            actual = actual_index(level, i)
            for j, cand in enumerate(candidates(level, i)):
                n_seen, n_wins = n_seen + 1, n_wins + (j == actual)
                kind = get(cand, "kind")
                if kind is not None:
                    seen[kind] += 1
                    wins[kind] += j == actual
        g, s = n_wins / n_seen, self.smoothing
        self.global_rate_ = g
        self.rates_ = {k: (wins[k] + s * g) / (seen[k] + s) for k in sorted(seen)}
        return self

    def predict(self, levels: Sequence[Any]) -> list[np.ndarray]:
        if not hasattr(self, "rates_"):
            raise ForecastInputError("BaseRate.predict called before fit; call "
                                     "BaseRate().fit(training_levels) first")
        out = []
        for i, level in enumerate(levels):
            r = np.array([self.rates_.get(get(c, "kind"), self.global_rate_)
                          for c in candidates(level, i)])
            out.append(r / r.sum())  # every rate > 0: smoothing > 0 and g > 0
        return out


def _probability(x: Any, where: str) -> float:
    if isinstance(x, bool) or not isinstance(x, int | float | np.number) or not 0 <= x <= 1:
        raise ForecastInputError(f"{where}: a market value must be a probability in [0, 1], "
                                 f"got {x!r}; store only probability-valued market data")
    return float(x)


def _market_level(level: Any, i: int) -> np.ndarray | None:
    cands = candidates(level, i)
    k = len(cands)
    on_level = get(level, "market")
    values = [get(c, "market") for c in cands]
    given = [j for j, v in enumerate(values) if v is not None]
    if on_level is not None:
        if k != 2 or given:
            raise ForecastInputError(
                f"level {i}: a level's `market` is the Yes probability of a two-candidate "
                f"level, got it on a level with K = {k}" + (" and per-candidate market values "
                f"on candidates {given}" if given else "") + "; use one or the other")
        m = _probability(on_level, f"level {i}")
        texts = [str(get(c, "text") or "").strip().casefold() for c in cands]
        yes = texts.index("yes") if "yes" in texts else 0
        p = np.empty(2)
        p[yes], p[1 - yes] = m, 1.0 - m
        return p
    if not given:
        return None
    p = np.array([_probability(v, f"level {i} candidate {j}") if v is not None else np.nan
                  for j, v in enumerate(values)])
    if k == 2 and len(given) == 1:
        p[1 - given[0]] = 1.0 - p[given[0]]
        return p
    if len(given) < k:
        raise ForecastInputError(f"level {i}: market values on candidates {given} but not on "
                                 f"the others of K = {k}; give all (they are renormalised) or none")
    if p.sum() == 0:
        raise ForecastInputError(f"level {i}: every candidate's market value is 0; nothing to "
                                 "renormalise")
    return p / p.sum()  # multi-choice markets need not sum to 1 exactly


def market(levels: Sequence[Any]) -> tuple[list[np.ndarray], list[int]]:
    """(probabilities per level, indices of the levels that fell back to uniform).

    A two-candidate level with the market value m of its Yes candidate gets [m, 1 - m]
    (m read from the level's `market`, or from one candidate's `market`); a level whose
    candidates all carry market values gets them renormalised; a level with none gets
    1/K and its index is listed, so a report can say how many levels had a market."""
    probs, fallback = [], []
    for i, level in enumerate(levels):
        p = _market_level(level, i)
        if p is None:
            fallback.append(i)
            p = _flat(len(candidates(level, i)))
        probs.append(p)
    return probs, fallback
