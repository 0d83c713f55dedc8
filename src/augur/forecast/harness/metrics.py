"""The forecast harness's probabilistic metrics, over candidate sets of any size.

A forecast for one case level is a `LevelForecast`: K >= 2 candidate probabilities
(summing to 1 within PROB_SUM_ATOL), the index of the actual outcome, the level's depth
and, for synthetic levels, the generator's true probabilities (the ceiling). It is an
array-level API: it knows nothing of the case format (levels.py turns levels into
forecasts).

Brier, NLL, ECE and accuracy are NOT defined here: they are the oracle harness's frozen
definitions (augur.harness.metrics), called on the levels' probabilities padded with
zero columns to the largest K. Zero columns change none of them: a padded candidate
adds (0 - 0)^2 to the Brier sum, is never the label, never the top label, and never
ties with the label (the label's probability is the top one only when it is > 0). So
each number below is exactly the frozen definition applied level by level:

    loss                 -log p[actual], natural log, capped at -log(1e-12) (NLL's eps);
                         mean over levels
    perplexity           exp(mean loss); shown with mean_k beside it (a uniform forecast
                         over K candidates has perplexity K)
    brier                multiclass Brier: sum over the K candidates of (p_k - y_k)^2, in
                         [0, 2]; mean over levels. Its uniform reference is 1 - 1/K
                         (`brier_uniform_ref`, the mean of 1 - 1/K over levels)
    brier_per_candidate  each candidate as a binary event: mean over the level's K
                         candidates of (p_k - y_k)^2, i.e. brier / K; mean over levels
                         (every level weighs the same, whatever its K). The seed's
                         "Brier < 0.15" bar is read against this one
    brier_binary         only on K == 2 levels: (p_first - y_first)^2, the Brier of a
                         binary question's "Yes" probability, so it lines up with the
                         0.25 of a coin (equal to brier / 2 and to brier_per_candidate
                         there); None when a group has no K == 2 level
    ece                  TOP-LABEL expected calibration error (the frozen one has no
                         binary form): confidence = the level's largest probability,
                         correctness = tie-aware top-1 hit, ECE_BINS equal-width bins
    accuracy             tie-aware top-1 accuracy (1/m when the actual is one of m
                         candidates tied at the top)

`score_levels` reports them overall and per depth for every named forecaster, beside
the uniform forecast and the ceiling, with the headroom each captures.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from augur.errors import AugurError
from augur.forecast.harness import constants as C
from augur.harness import metrics as M

UNIFORM, CEILING = "uniform", "ceiling"  # added to every report by score_levels itself
HEADROOM_METRICS = ("brier", "loss")


class ForecastInputError(AugurError, ValueError):
    """A forecast the harness cannot score; the message names the level and what was got."""


@dataclass(frozen=True, eq=False)
class LevelForecast:
    probs: Sequence[float] | np.ndarray  # (K,) one probability per candidate, K >= 2
    label: int  # index of the actual outcome, in [0, K)
    depth: int  # the level's depth, >= 1 (1: direct consequences of the seed event)
    p_true: Sequence[float] | np.ndarray | None = None  # (K,) the generator's truth


@dataclass(frozen=True, eq=False)
class _Checked:
    probs: np.ndarray
    label: int
    depth: int
    p_true: np.ndarray | None


# --------------------------------------------------------------------------- validation


def _distribution(x, what: str, where: str, k: int | None = None) -> np.ndarray:
    try:
        p = np.asarray(x, dtype=float)
    except (TypeError, ValueError):
        raise ForecastInputError(f"{where}: {what} must be a list of numbers, got {x!r}") from None
    if p.ndim != 1:
        raise ForecastInputError(f"{where}: {what} must be one list of K numbers, got shape "
                                 f"{p.shape}")
    if k is not None and len(p) != k:
        raise ForecastInputError(f"{where}: {what} has {len(p)} values but the level has {k} "
                                 "candidates")
    if len(p) < 2:
        raise ForecastInputError(f"{where}: {what} needs K >= 2 candidates, got K = {len(p)}; "
                                 "a level with one candidate has nothing to forecast")
    if not np.all(np.isfinite(p)) or p.min() < 0.0 or p.max() > 1.0:
        raise ForecastInputError(f"{where}: {what} must be finite and in [0, 1], got "
                                 f"{np.round(p, 6).tolist()}")
    if abs(p.sum() - 1.0) > C.PROB_SUM_ATOL:
        raise ForecastInputError(f"{where}: {what} must sum to 1 within {C.PROB_SUM_ATOL}, got "
                                 f"{p.sum():.9g}; renormalise (p / p.sum()) before scoring")
    return p


def _is_int(x) -> bool:
    return isinstance(x, int | np.integer) and not isinstance(x, bool | np.bool_)


def check_level(f: LevelForecast, i: int, who: str = "") -> _Checked:
    """The level as arrays, or ForecastInputError naming level `i` (and forecaster `who`)."""
    where = f"level {i}" + (f" of forecaster {who!r}" if who else "")
    probs = _distribution(f.probs, "probs", where)
    k = len(probs)
    if not _is_int(f.label) or not 0 <= f.label < k:
        raise ForecastInputError(f"{where}: label must be the actual outcome's index in "
                                 f"[0, {k}), got {f.label!r}")
    if not _is_int(f.depth) or f.depth < 1:
        raise ForecastInputError(f"{where}: depth must be an integer >= 1, got {f.depth!r}")
    p_true = None if f.p_true is None else _distribution(f.p_true, "p_true", where, k)
    return _Checked(probs, int(f.label), int(f.depth), p_true)


# --------------------------------------------------------------------------- one level


def score_level(f: LevelForecast, i: int = 0) -> dict[str, float | None]:
    """One level's numbers, each through the frozen definition on a one-row array:
    loss, brier (multiclass), brier_per_candidate, brier_binary (K == 2, else None),
    correct (tie-aware top-1). A GRPO reward of -Brier reads `brier` from here. `i`
    names the level in errors."""
    c = check_level(f, i)
    probs, label = c.probs[None, :], np.array([c.label])  # (1, K), (1,)
    brier = M.brier_score(probs, label)
    k = probs.shape[1]
    return {"loss": M.negative_log_likelihood(probs, label), "brier": brier,
            "brier_per_candidate": brier / k, "brier_binary": brier / 2 if k == 2 else None,
            "correct": M.topk_accuracy(probs, label, 1)}


# --------------------------------------------------------------------------- many levels


def _padded(rows: list[np.ndarray], width: int) -> np.ndarray:
    out = np.zeros((len(rows), width))  # (N, K_max); zero columns change no metric
    for i, r in enumerate(rows):
        out[i, :len(r)] = r
    return out


def _metrics(probs: np.ndarray, labels: np.ndarray, ks: np.ndarray) -> dict[str, float | None]:
    """probs (N, K_max) zero-padded, labels (N,), ks (N,) each level's own K."""
    loss = M.negative_log_likelihood(probs, labels)
    per_candidate = 0.0
    for k in np.unique(ks):  # brier / K level by level, through the frozen Brier per K
        rows = ks == k
        per_candidate += M.brier_score(probs[rows], labels[rows]) / k * rows.sum()
    binary = ks == 2
    return {"loss": loss, "perplexity": math.exp(loss),
            "brier": M.brier_score(probs, labels),
            "brier_per_candidate": float(per_candidate / len(labels)),
            "brier_binary": (M.brier_score(probs[binary], labels[binary]) / 2
                             if binary.any() else None),
            "ece": M.expected_calibration_error(probs, labels, C.ECE_BINS),
            "accuracy": M.topk_accuracy(probs, labels, 1)}


def headroom(model: float, best_baseline: float, ceiling: float) -> float | None:
    """(best_baseline - model) / (best_baseline - ceiling), for lower-is-better metrics:
    0 at the best baseline, 1 at the ceiling, negative when the model is worse than the
    baseline, above 1 when it beats the ceiling on this sample. Never clipped. None
    when the baseline is not above the ceiling: there is no headroom to capture."""
    gap = best_baseline - ceiling
    return None if not gap > 0 else (best_baseline - model) / gap


def _check_all(forecasts: Mapping[str, Sequence[LevelForecast]]) -> dict[str, list[_Checked]]:
    checked: dict[str, list[_Checked]] = {}
    ref_name, ref = None, None
    for name, levels in forecasts.items():
        rows = [check_level(f, i, name) for i, f in enumerate(levels)]
        if ref is None:
            ref_name, ref = name, rows
            if not rows:
                raise ForecastInputError(f"forecaster {name!r} has no levels; need at least one")
        elif len(rows) != len(ref):
            raise ForecastInputError(f"forecaster {name!r} has {len(rows)} levels but "
                                     f"{ref_name!r} has {len(ref)}; all must cover the same levels")
        for i, (a, b) in enumerate(zip(ref, rows, strict=True)):
            for what, x, y in (("K", len(a.probs), len(b.probs)), ("label", a.label, b.label),
                               ("depth", a.depth, b.depth)):
                if x != y:
                    raise ForecastInputError(f"level {i}: {what} is {y} for forecaster {name!r} "
                                             f"but {x} for {ref_name!r}; they must score the "
                                             "same levels in the same order")
        checked[name] = rows
    return checked


def _truth(checked: dict[str, list[_Checked]]) -> list[np.ndarray | None]:
    """Each level's p_true, from whichever forecaster carries it; they must agree."""
    out: list[np.ndarray | None] = []
    for i, levels in enumerate(zip(*checked.values(), strict=True)):
        given = [(n, c.p_true) for n, c in zip(checked, levels, strict=True)
                 if c.p_true is not None]
        for n, p in given[1:]:
            if not np.allclose(p, given[0][1], rtol=0.0, atol=C.PROB_SUM_ATOL):
                raise ForecastInputError(f"level {i}: p_true differs between forecasters "
                                         f"{given[0][0]!r} and {n!r}; it is the level's truth")
        out.append(given[0][1] if given else None)
    return out


def score_levels(forecasts: Mapping[str, Sequence[LevelForecast]],
                 baselines: Sequence[str] = ()) -> dict[str, Any]:
    """Every metric of the module docstring, overall and per depth, for each forecaster.

    forecasts: name -> its LevelForecasts, all over the same levels in the same order
        (same K, label and depth at each index). "uniform" and "ceiling" are reserved:
        the report adds the uniform forecast always, and the ceiling (the levels' p_true)
        when every level has one.
    baselines: the names in `forecasts` that are baselines (base rate, market); with
        uniform they compete for `best_baseline`, per metric and per group.

    Returns {"n_levels", "baselines", "ceiling" (bool), "overall": group,
    "by_depth": {depth: group}} where a group is {"n", "mean_k", "n_binary",
    "brier_uniform_ref", "best_baseline": {"brier": name, "loss": name},
    "forecasters": {name: {loss, perplexity, brier, brier_per_candidate, brier_binary,
    ece, accuracy, headroom_brier, headroom_loss}}}; headroom_* is `headroom` against
    that group's best baseline and the ceiling (None without a ceiling).
    """
    if not forecasts:
        raise ForecastInputError("no forecasts to score; pass {name: [LevelForecast, ...]}")
    for name in (UNIFORM, CEILING):
        if name in forecasts:
            raise ForecastInputError(f"forecaster name {name!r} is reserved: the report adds "
                                     "it itself; rename yours")
    unknown = [b for b in baselines if b not in forecasts]
    if unknown:
        raise ForecastInputError(f"baselines {unknown} are not among the forecasts "
                                 f"{sorted(forecasts)}")
    checked = _check_all(forecasts)
    ref = next(iter(checked.values()))
    truth = _truth(checked)
    ks = np.array([len(c.probs) for c in ref])
    labels = np.array([c.label for c in ref])
    depths = np.array([c.depth for c in ref])
    width = int(ks.max())
    probs = {n: _padded([c.probs for c in rows], width) for n, rows in checked.items()}
    probs[UNIFORM] = _padded([np.full(k, 1.0 / k) for k in ks], width)
    has_ceiling = all(p is not None for p in truth)
    if has_ceiling:
        probs[CEILING] = _padded(truth, width)
    baseline_names = [UNIFORM, *baselines]

    def group(rows: np.ndarray) -> dict[str, Any]:
        scores = {n: _metrics(p[rows], labels[rows], ks[rows]) for n, p in probs.items()}
        best = {m: min(baseline_names, key=lambda n, m=m: scores[n][m]) for m in HEADROOM_METRICS}
        for s in scores.values():
            for m in HEADROOM_METRICS:
                s[f"headroom_{m}"] = (headroom(s[m], scores[best[m]][m], scores[CEILING][m])
                                      if has_ceiling else None)
        return {"n": int(rows.sum()), "mean_k": float(ks[rows].mean()),
                "n_binary": int((ks[rows] == 2).sum()),
                "brier_uniform_ref": float((1.0 - 1.0 / ks[rows]).mean()),
                "best_baseline": best, "forecasters": scores}

    return {"n_levels": len(ref), "baselines": baseline_names, "ceiling": has_ceiling,
            "overall": group(np.ones(len(ref), dtype=bool)),
            "by_depth": {int(d): group(depths == d) for d in np.unique(depths)}}
