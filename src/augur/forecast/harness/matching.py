"""Match coverage, for forecasters that write outcomes in their own words: at each level,
is the actual outcome among the outcomes the forecaster wrote, and how was it matched?

Each level gets the first kind, in this order, that matches any written outcome:

    exact    equal after `normalise` (case folded, punctuation dropped, spaces collapsed)
    jaccard  Jaccard of the two normalised word sets > JACCARD_MATCH (0.6, the seed's)
    cosine   cosine of the two embeddings >= a threshold fitted on validation pairs
             (`fit_cosine_threshold`); only when an embedding function is given
    judge    a judge callable (an LLM, a person) says they are the same outcome; only
             when one is given, and only asked about levels nothing above matched
    none     unmatched: the forecaster did not foresee what happened

`coverage` reports each kind's share of levels, overall and per depth; a level counts
as matched when its kind is anything but "none".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from augur.forecast.harness import constants as C
from augur.forecast.harness.metrics import ForecastInputError
from augur.harness.metrics import best_threshold_f1

KINDS = ("exact", "jaccard", "cosine", "judge", "none")
Embed = Callable[[list[str]], np.ndarray]  # texts -> (n, d) vectors (unit rows or not)
Judge = Callable[[str, str], bool]  # (written, actual) -> same outcome?

_WORD = re.compile(r"\w+")


def words(text: str) -> list[str]:
    return _WORD.findall(text.casefold())


def normalise(text: str) -> str:
    return " ".join(words(text))


def jaccard(a: str, b: str) -> float:
    """|A & B| / |A | B| over the two texts' word sets; 0.0 when both are empty."""
    x, y = set(words(a)), set(words(b))
    return len(x & y) / len(x | y) if x | y else 0.0


def _cosines(embed: Embed, left: list[str], right: list[str]) -> np.ndarray:
    """Cosine of left[i] and right[i] for each i, from one call to `embed`."""
    v = np.asarray(embed(left + right), dtype=float)  # (2n, d)
    if v.ndim != 2 or len(v) != len(left) + len(right):
        raise ForecastInputError(f"the embedding function must return one row per text, got "
                                 f"shape {v.shape} for {len(left) + len(right)} texts")
    v = v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)
    return (v[:len(left)] * v[len(left):]).sum(axis=1)


def fit_cosine_threshold(pairs_same: Sequence[tuple[str, str]],
                         pairs_diff: Sequence[tuple[str, str]],
                         embed: Embed) -> tuple[float, float]:
    """(threshold, F1) for cosine matching, fitted on validation pairs of texts that name
    the same outcome and pairs that do not.

    The threshold maximises F1 of "same" (pairs matched when cosine >= threshold), through
    the oracle harness's `best_threshold_f1`; among equal F1 it is the highest, the
    strictest. F1 rather than accuracy: coverage is inflated by false matches (precision)
    and deflated by missed ones (recall), and F1 weighs both however unbalanced the
    validation pairs are, where accuracy would reward rejecting everything when most
    pairs differ."""
    if not pairs_same or not pairs_diff:
        raise ForecastInputError(f"fit_cosine_threshold needs pairs of both kinds, got "
                                 f"{len(pairs_same)} same and {len(pairs_diff)} different")
    pairs = [*pairs_same, *pairs_diff]
    cos = _cosines(embed, [a for a, _ in pairs], [b for _, b in pairs])
    same = np.arange(len(pairs)) < len(pairs_same)
    f1, threshold = best_threshold_f1(cos, same)
    return threshold, f1


@dataclass(frozen=True)
class Match:
    kind: str  # one of KINDS
    index: int | None  # which written outcome matched the actual one; None for "none"


def _check(written: Sequence[Sequence[str]], actual: Sequence[str]) -> None:
    if len(written) != len(actual):
        raise ForecastInputError(f"got written outcomes for {len(written)} levels and actual "
                                 f"outcomes for {len(actual)}; need one of each per level")
    for i, (w, a) in enumerate(zip(written, actual, strict=True)):
        if isinstance(w, str):
            raise ForecastInputError(f"level {i}: written outcomes must be a list of strings, "
                                     f"got the string {w!r}; wrap it in a list")
        if not isinstance(a, str) or not words(a):
            raise ForecastInputError(f"level {i}: the actual outcome must be text with at "
                                     f"least one word, got {a!r}")


def match_levels(written: Sequence[Sequence[str]], actual: Sequence[str], *,
                 embed: Embed | None = None, threshold: float | None = None,
                 judge: Judge | None = None) -> list[Match]:
    """One Match per level: the first kind of KINDS that matches any written outcome (for
    jaccard and cosine, the written outcome closest to the actual one)."""
    _check(written, actual)
    if (embed is None) != (threshold is None):
        raise ForecastInputError("cosine matching needs both `embed` and `threshold` (from "
                                 "fit_cosine_threshold), got only one of them")
    out: list[Match | None] = []
    for w, a in zip(written, actual, strict=True):
        exact = [j for j, t in enumerate(w) if normalise(t) == normalise(a)]
        jac = [jaccard(t, a) for t in w]
        if exact:
            out.append(Match("exact", exact[0]))
        elif jac and max(jac) > C.JACCARD_MATCH:
            out.append(Match("jaccard", int(np.argmax(jac))))
        else:
            out.append(None)
    if embed is not None:
        todo = [(i, j) for i, m in enumerate(out) if m is None for j in range(len(written[i]))]
        if todo:
            cos = _cosines(embed, [written[i][j] for i, j in todo], [actual[i] for i, _ in todo])
            best: dict[int, tuple[float, int]] = {}
            for (i, j), c in zip(todo, cos, strict=True):
                if c >= threshold and c > best.get(i, (-np.inf, -1))[0]:
                    best[i] = (c, j)
            for i, (_, j) in best.items():
                out[i] = Match("cosine", j)
    for i, m in enumerate(out):
        if m is None and judge is not None:
            j = next((j for j, t in enumerate(written[i]) if judge(t, actual[i])), None)
            out[i] = Match("judge", j) if j is not None else None
        if out[i] is None:
            out[i] = Match("none", None)
    return out


def _shares(kinds: list[str]) -> dict[str, Any]:
    n = len(kinds)
    shares = {k: kinds.count(k) / n for k in KINDS}
    return {"n": n, **shares, "matched": 1.0 - shares["none"]}


def coverage(matches: Sequence[Match], depths: Sequence[int]) -> dict[str, Any]:
    """{"overall": shares, "by_depth": {depth: shares}}, shares = {"n", one share per
    kind of KINDS (they sum to 1), "matched" (1 - none)}."""
    if len(matches) != len(depths):
        raise ForecastInputError(f"got {len(matches)} matches and {len(depths)} depths; need "
                                 "one depth per level")
    if not matches:
        raise ForecastInputError("no levels to report match coverage on")
    kinds = [m.kind for m in matches]
    return {"overall": _shares(kinds),
            "by_depth": {int(d): _shares([k for k, e in zip(kinds, depths, strict=True) if e == d])
                         for d in sorted(set(depths))}}


def match_coverage(written: Sequence[Sequence[str]], actual: Sequence[str],
                   depths: Sequence[int], *, embed: Embed | None = None,
                   threshold: float | None = None, judge: Judge | None = None) -> dict[str, Any]:
    """`coverage` of `match_levels`: written outcomes per level, the actual outcome per
    level, each level's depth."""
    return coverage(match_levels(written, actual, embed=embed, threshold=threshold,
                                 judge=judge), depths)
