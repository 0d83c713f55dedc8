"""Scoring forecasters over cases: every forecaster's probabilities per level beside the
baselines the harness fits itself, the uniform forecast and the ceiling, overall and per
depth (`metrics.score_levels`), with each forecaster's predict latency per case.

A forecaster is any object with
    name            str; "uniform", "base-rate" and "market" name the harness's own rows
                    (such a forecaster is timed, but the row shown is the harness's, and
                    there is none without training cases or market values)
    predict(case)   one probability list per level of the case, one probability per
                    candidate in the case's order, each list summing to 1

The baselines beside every forecaster:
    uniform     1/K, added by score_levels
    base-rate   baselines.BaseRate fitted on the levels of the `train` cases (when given)
    market      baselines.market, when any level carries a market value (the others get
                1/K; `market_levels` counts the levels that had one)
    ceiling     the levels' p_true, added by score_levels when every level has one
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np
from tqdm import tqdm

from augur.forecast.case import Case
from augur.forecast.harness import constants as C
from augur.forecast.harness.baselines import BaseRate, market, uniform
from augur.forecast.harness.levels import to_forecasts
from augur.forecast.harness.metrics import (
    UNIFORM,
    ForecastInputError,
    LevelForecast,
    check_level,
    score_levels,
)

BASE_RATE, MARKET = "base-rate", "market"
OWN_ROWS = (UNIFORM, BASE_RATE, MARKET)
_PLACEHOLDER = "_levels"  # score_levels needs one named forecast besides uniform


def _checked(f: Any, case: Case, probs: Any) -> list:
    """The forecaster's probabilities for one case, or an error naming the case and depth."""
    probs = list(probs)
    if len(probs) != len(case.levels):
        raise ForecastInputError(f"forecaster {f.name!r}, case {case.id!r}: predict returned "
                                 f"{len(probs)} probability lists for the case's "
                                 f"{len(case.levels)} levels; return one per level, in order")
    for level, p in zip(case.levels, probs, strict=True):
        where = f"forecaster {f.name!r}, case {case.id!r}, depth {level.depth}"
        if np.ndim(p) != 1 or len(p) != len(level.candidates):
            raise ForecastInputError(f"{where}: got {np.shape(p)} probabilities for the "
                                     f"level's {len(level.candidates)} candidates; return one "
                                     "per candidate, in the case's order")
        try:
            check_level(LevelForecast(p, level.actual, level.depth), 0)
        except ForecastInputError as exc:  # "level 0: ..." names the level differently
            raise ForecastInputError(f"{where}: {str(exc).removeprefix('level 0: ')}") from None
    return probs


def _predict(f: Any, cases: Sequence[Case], progress: bool) -> tuple[list, list[float]]:
    """(probabilities per level of every case, milliseconds per case)."""
    out, ms = [], []
    for case in tqdm(cases, desc=f.name, unit="case", disable=not progress or None):
        t0 = time.perf_counter()
        probs = f.predict(case)
        ms.append((time.perf_counter() - t0) * 1000.0)
        out += _checked(f, case, probs)
    return out, ms


def _latency(ms: list[float]) -> dict[str, float]:
    return {"p50": float(np.percentile(ms, 50)), "p99": float(np.percentile(ms, 99)),
            "mean": float(np.mean(ms))}


def evaluate(forecasters: Sequence[Any], cases: Sequence[Case], train: Sequence[Case] = (),
             progress: bool = False) -> dict[str, Any]:
    """score_levels' report over the levels of `cases`: one row per forecaster, beside
    the baselines of the module docstring, plus "forecast_harness_version", "n_cases",
    "forecasters" (the names asked for, in order), "latency_ms_per_case" ({name: p50,
    p99, mean} of the wall time of predict per case), "base_rate_train_cases" (0: no
    base-rate row) and "market_levels" (0: no market row)."""
    names = [f.name for f in forecasters]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ForecastInputError(f"forecaster names {twice} are used more than once; give "
                                 "each forecaster its own name")
    if not cases:
        raise ForecastInputError("no cases to score; pass at least one case")
    levels = [lv for c in cases for lv in c.levels]
    rows: dict[str, list[LevelForecast]] = {}
    baselines = []
    if train:
        fitted = BaseRate().fit([lv for c in train for lv in c.levels])
        rows[BASE_RATE] = to_forecasts(levels, fitted.predict(levels))
        baselines.append(BASE_RATE)
    market_probs, fallback = market(levels)
    if len(fallback) < len(levels):
        rows[MARKET] = to_forecasts(levels, market_probs)
        baselines.append(MARKET)
    latency = {}
    for f in forecasters:
        probs, ms = _predict(f, cases, progress)
        latency[f.name] = _latency(ms)
        if f.name not in OWN_ROWS:  # else the harness's own row stands for it
            rows[f.name] = to_forecasts(levels, probs)
    placeholder = not rows
    if placeholder:
        rows[_PLACEHOLDER] = to_forecasts(levels, uniform(levels))
    report = score_levels(rows, baselines)
    if placeholder:
        for group in (report["overall"], *report["by_depth"].values()):
            del group["forecasters"][_PLACEHOLDER]
    return {"forecast_harness_version": C.FORECAST_HARNESS_VERSION, "n_cases": len(cases),
            "forecasters": names, "latency_ms_per_case": latency,
            "base_rate_train_cases": len(train),
            "market_levels": len(levels) - len(fallback), **report}
