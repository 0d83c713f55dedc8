"""The evaluation harness's metric definitions, in plain NumPy.

Every number the harness reports is computed here, and each docstring is the
exact definition of its number. They are part of the frozen harness: changing
any definition (a tie rule, a bin edge, an epsilon, a tolerance) changes the
scores of every past run, so it needs a new HARNESS_VERSION and a CHANGELOG
entry, never a silent edit.

Conventions shared by all functions:

* Inputs are NumPy arrays (anything ``np.asarray`` accepts); outputs are plain
  Python floats, so reports serialise to JSON without conversion.
* Shapes are checked and a mismatch raises ``ValueError`` naming the argument,
  the expected shape and the shape received. Empty inputs raise ``ValueError``:
  a mean over nothing has no value, and returning 0 or NaN would hide a bug.
* ``probs`` arrays hold one probability distribution per row: finite, within
  [0, 1], each row summing to 1 within ``ROW_SUM_ATOL``. The sum is enforced
  because unnormalised scores would game NLL and Brier (all-ones rows have
  NLL 0).
* Ties are never broken by array position where a score depends on them: the
  tie-aware metrics report the expected score under uniform random
  tie-breaking, so a uniform predictor scores exactly chance.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

# float32 softmax over a few hundred classes sums to 1 within ~1e-6; 1e-4 leaves
# room for that while still rejecting unnormalised scores.
ROW_SUM_ATOL = 1e-4

# A prediction is "on time" when within this many minutes or this share of the
# true delay, whichever is larger (short delays get an absolute allowance).
TIMING_ABS_TOLERANCE_MIN = 10.0
TIMING_REL_TOLERANCE = 0.25


# --------------------------------------------------------------------------- validation


def _check_probs(probs, name: str = "probs") -> np.ndarray:
    """Return ``probs`` as a float (N, C) array of row distributions, or raise."""
    probs = np.asarray(probs, dtype=float)
    if probs.ndim != 2:
        raise ValueError(f"`{name}` must have shape (N, C), got shape {probs.shape}")
    if probs.shape[0] == 0 or probs.shape[1] == 0:
        raise ValueError(f"`{name}` is empty (shape {probs.shape}); need at least one row "
                         "and one class")
    if not np.all(np.isfinite(probs)):
        raise ValueError(f"`{name}` contains NaN or infinite values")
    if probs.min() < 0.0 or probs.max() > 1.0:
        raise ValueError(f"`{name}` must lie in [0, 1], got values in "
                         f"[{probs.min():.6g}, {probs.max():.6g}]; apply a softmax first")
    sums = probs.sum(axis=1)
    bad = np.flatnonzero(np.abs(sums - 1.0) > ROW_SUM_ATOL)
    if bad.size:
        raise ValueError(f"each row of `{name}` must sum to 1 (within {ROW_SUM_ATOL}), "
                         f"row {bad[0]} sums to {sums[bad[0]]:.6g}; apply a softmax first")
    return probs


def _check_vector(x, name: str, n: int | None = None, dtype=float) -> np.ndarray:
    """Return ``x`` as a non-empty 1-D array (of length ``n`` if given), or raise."""
    x = np.asarray(x)
    expected = "(N,)" if n is None else f"({n},)"
    if x.ndim != 1 or (n is not None and x.shape[0] != n):
        raise ValueError(f"`{name}` must have shape {expected}, got shape {x.shape}")
    if x.shape[0] == 0:
        raise ValueError(f"`{name}` is empty; need at least one element")
    if dtype is int:
        if not np.issubdtype(x.dtype, np.integer):
            raise ValueError(f"`{name}` must hold integer class indices, got dtype {x.dtype}")
        return x.astype(np.int64)
    if not np.issubdtype(x.dtype, np.number) and x.dtype != bool:
        raise ValueError(f"`{name}` must be numeric, got dtype {x.dtype}")
    x = x.astype(float)
    if not np.all(np.isfinite(x)):
        raise ValueError(f"`{name}` contains NaN or infinite values")
    return x


def _check_classes(x: np.ndarray, name: str, n_classes: int) -> None:
    """Raise unless every entry of the integer array ``x`` is in [0, n_classes)."""
    if x.min() < 0 or x.max() >= n_classes:
        raise ValueError(f"`{name}` must be class indices in [0, {n_classes}), got values in "
                         f"[{x.min()}, {x.max()}]")


def _check_probs_labels(probs, labels) -> tuple[np.ndarray, np.ndarray]:
    probs = _check_probs(probs)
    labels = _check_vector(labels, "labels", n=probs.shape[0], dtype=int)
    _check_classes(labels, "labels", probs.shape[1])
    return probs, labels


def _check_binary_labels(labels, n: int) -> np.ndarray:
    """Return ``labels`` as a bool array; accept bool or integer 0/1, nothing else."""
    labels = np.asarray(labels)
    if labels.ndim != 1 or labels.shape[0] != n:
        raise ValueError(f"`labels` must have shape ({n},), got shape {labels.shape}")
    if labels.dtype != bool:
        if not np.issubdtype(labels.dtype, np.integer) or not np.isin(labels, (0, 1)).all():
            raise ValueError("`labels` must be bool (or integer 0/1), got dtype "
                             f"{labels.dtype}; use `labels.astype(bool)` on a 0/1 array")
        labels = labels.astype(bool)
    return labels


def _check_positive_int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ValueError(f"`{name}` must be a positive integer, got {value!r}")
    return int(value)


# --------------------------------------------------------------------------- classification


def _topk_scores(probs: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    """Per-row expected top-k hit under random tie-breaking, shape (N,)."""
    s = probs[np.arange(len(labels)), labels][:, None]  # (N, 1) the label's prob
    greater = (probs > s).sum(axis=1)  # classes certainly ranked above the label
    equal = (probs == s).sum(axis=1)  # tied group, label included, so >= 1
    # Of the `equal` tied classes, k - greater slots remain inside the top k; the
    # label gets one of them with probability (k - greater) / equal, clipped to [0, 1].
    return np.clip((k - greater) / equal, 0.0, 1.0)


def topk_accuracy(probs, labels, k: int) -> float:
    """Tie-aware expected top-k accuracy.

    For row i let s = probs[i, labels[i]], g = #classes with prob > s and
    e = #classes with prob == s (the label included). The row scores 1 if
    g + e <= k, 0 if g >= k, otherwise (k - g) / e: the probability that the
    label lands in the top k when ties are broken uniformly at random. The
    result is the mean over rows, so a uniform predictor scores exactly k / C
    (capped at 1 when k >= C).

    probs: (N, C) row distributions; labels: (N,) int in [0, C); k >= 1.
    """
    probs, labels = _check_probs_labels(probs, labels)
    k = _check_positive_int(k, "k")
    return float(_topk_scores(probs, labels, k).mean())


def argmax_first(probs) -> np.ndarray:
    """Hard class decision per row: the argmax, ties going to the lowest index.

    This is the deterministic decision used by F1-type metrics, which need one
    predicted class per row rather than an expectation over tie-breaks.

    probs: (N, C) row distributions. Returns an (N,) int64 array.
    """
    probs = _check_probs(probs)
    return np.argmax(probs, axis=1).astype(np.int64)  # np.argmax returns the first maximum


def macro_f1(pred, labels, n_classes: int) -> float:
    """Macro-averaged F1 over the classes present in ``labels`` or ``pred``.

    For class c: tp = #(pred == c and labels == c), fp = #(pred == c and
    labels != c), fn = #(pred != c and labels == c), F1_c = 2 tp / (2 tp + fp + fn).
    The result is the unweighted mean of F1_c over classes occurring in labels
    or pred (scikit-learn's default ``labels=None`` behaviour); classes absent
    from both are left out, not counted as 0 or 1. A class that is never
    predicted but has true members gets F1 0.

    pred, labels: (N,) int in [0, n_classes).
    """
    n_classes = _check_positive_int(n_classes, "n_classes")
    pred = _check_vector(pred, "pred", dtype=int)
    labels = _check_vector(labels, "labels", n=pred.shape[0], dtype=int)
    _check_classes(pred, "pred", n_classes)
    _check_classes(labels, "labels", n_classes)
    tp = np.bincount(labels[pred == labels], minlength=n_classes)
    n_pred = np.bincount(pred, minlength=n_classes)  # tp + fp
    n_true = np.bincount(labels, minlength=n_classes)  # tp + fn
    present = (n_pred + n_true) > 0  # so the denominator below is positive
    f1 = 2 * tp[present] / (n_pred[present] + n_true[present])
    return float(f1.mean())


# --------------------------------------------------------------------------- calibration


def expected_calibration_error(probs, labels, n_bins: int = 15) -> float:
    """Top-label expected calibration error with equal-width bins.

    confidence_i = max_c probs[i, c]; correctness_i = the tie-aware top-1
    score of ``topk_accuracy`` (1 / m when the label is one of m classes tied
    at the top, so correctness can be a fraction). Bin edges are
    ``np.linspace(0, 1, n_bins + 1)``; bin j holds confidences in
    (j / n_bins, (j + 1) / n_bins], and a confidence of exactly 0 goes to bin 0.

        ECE = sum over non-empty bins B of |B| / N * |mean correctness(B) - mean confidence(B)|

    probs: (N, C) row distributions; labels: (N,) int in [0, C); n_bins >= 1.
    """
    probs, labels = _check_probs_labels(probs, labels)
    n_bins = _check_positive_int(n_bins, "n_bins")
    confidence = probs.max(axis=1)
    correct = _topk_scores(probs, labels, 1)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    # side="left" gives i with edges[i-1] < conf <= edges[i], i.e. right-closed bins.
    bins = np.clip(np.searchsorted(edges, confidence, side="left") - 1, 0, n_bins - 1)
    # |B|/N * |mean(corr) - mean(conf)| == |sum(corr) - sum(conf)| / N for each bin.
    gap = np.bincount(bins, weights=correct - confidence, minlength=n_bins)
    return float(np.abs(gap).sum() / len(labels))


def negative_log_likelihood(probs, labels, eps: float = 1e-12) -> float:
    """Mean negative log-likelihood: mean_i -log(max(probs[i, labels[i]], eps)).

    Natural log. ``eps`` caps the penalty of a zero-probability label at
    -log(eps) (about 27.6 for the default) so one row cannot make it infinite.

    probs: (N, C) row distributions; labels: (N,) int in [0, C); eps > 0.
    """
    probs, labels = _check_probs_labels(probs, labels)
    if not eps > 0:
        raise ValueError(f"`eps` must be positive, got {eps!r}")
    p = probs[np.arange(len(labels)), labels]
    return float(-np.log(np.maximum(p, eps)).mean())


def brier_score(probs, labels) -> float:
    """Multi-class Brier score: mean_i sum_c (probs[i, c] - onehot(labels[i])_c)^2.

    Summed over classes (not averaged), so it ranges over [0, 2]: 0 for a
    confident correct prediction, 2 for a confident wrong one.

    probs: (N, C) row distributions; labels: (N,) int in [0, C).
    """
    probs, labels = _check_probs_labels(probs, labels)
    onehot = np.zeros_like(probs)
    onehot[np.arange(len(labels)), labels] = 1.0
    return float(((probs - onehot) ** 2).sum(axis=1).mean())


# --------------------------------------------------------------------------- ranking


def precision_at_1(scores: Sequence, targets) -> float:
    """Tie-aware precision@1 over ragged candidate lists.

    Row i has a 1-D array of candidate scores (lengths may differ) and a target
    index. The row scores 1 if the target's score is the unique maximum, 1 / m
    if it is one of m candidates tied at the maximum, else 0: the chance the
    target is ranked first under random tie-breaking. The result is the mean.

    scores: length-N sequence of non-empty finite 1-D arrays;
    targets: (N,) int, targets[i] in [0, len(scores[i])).
    """
    if len(scores) == 0:
        raise ValueError("`scores` is empty; need at least one row")
    targets = _check_vector(targets, "targets", n=len(scores), dtype=int)
    hits = np.empty(len(scores))
    for i, (row, t) in enumerate(zip(scores, targets, strict=True)):
        row = _check_vector(row, f"scores[{i}]")
        if not 0 <= t < len(row):
            raise ValueError(f"`targets[{i}]` must be in [0, {len(row)}), got {t}")
        top = row.max()
        hits[i] = 1.0 / np.count_nonzero(row == top) if row[t] == top else 0.0
    return float(hits.mean())


# --------------------------------------------------------------------------- binary decisions


def binary_prf(probs, labels, threshold: float) -> dict[str, float]:
    """Precision, recall, F1 and intervention rate of thresholded decisions.

    decision_i = probs[i] >= threshold. With tp = #(decision and label),
    precision = tp / #decisions, recall = tp / #labels,
    f1 = 2 precision recall / (precision + recall), rate = #decisions / N.

    Edge cases: precision is 0.0 when there are no positive decisions: never
    intervening scores precision 0, so it cannot be gamed by abstaining.
    recall is 0.0 when there are no positive labels; f1 is 0.0 when
    precision + recall == 0.

    probs: (N,) floats; labels: (N,) bool (integer 0/1 accepted).
    Returns {"precision", "recall", "f1", "rate"} as floats.
    """
    probs = _check_vector(probs, "probs")
    labels = _check_binary_labels(labels, len(probs))
    if not np.isfinite(threshold):
        raise ValueError(f"`threshold` must be a finite number, got {threshold!r}")
    decision = probs >= threshold
    n_dec, n_pos = int(decision.sum()), int(labels.sum())
    tp = int((decision & labels).sum())
    precision = tp / n_dec if n_dec else 0.0
    recall = tp / n_pos if n_pos else 0.0
    denom = precision + recall
    f1 = 2 * precision * recall / denom if denom > 0 else 0.0
    return {"precision": float(precision), "recall": float(recall), "f1": float(f1),
            "rate": float(n_dec / len(probs))}


def best_threshold_f1(probs, labels) -> tuple[float, float]:
    """Best F1 over thresholds, and the threshold achieving it.

    Candidate thresholds are the distinct values of ``probs``; decisions are
    probs >= t, as in ``binary_prf``. F1 at t is computed as
    2 tp / (#decisions + #labels), which equals ``binary_prf(...)["f1"]`` up to
    rounding (and is 0 when there are no positive labels). When several
    thresholds reach the best F1 the highest one is returned, the one that
    intervenes least. O(N log N): one sort, then cumulative counts.

    probs: (N,) floats; labels: (N,) bool (integer 0/1 accepted).
    Returns (best_f1, threshold) as floats.
    """
    probs = _check_vector(probs, "probs")
    labels = _check_binary_labels(labels, len(probs))
    order = np.argsort(-probs, kind="stable")  # descending
    p_sorted, y_sorted = probs[order], labels[order]
    tp = np.cumsum(y_sorted)  # true positives when deciding on the first j+1
    n_dec = np.arange(1, len(probs) + 1)
    # Threshold t = p_sorted[j] admits every row tied with it, so only the last
    # index of each run of equal values is a valid cut.
    last_of_run = np.append(p_sorted[1:] != p_sorted[:-1], True)
    f1 = 2 * tp[last_of_run] / (n_dec[last_of_run] + labels.sum())
    best = int(np.argmax(f1))  # first maximum == highest threshold
    return float(f1[best]), float(p_sorted[last_of_run][best])


# --------------------------------------------------------------------------- timing


def _check_minutes(pred_min, true_min) -> tuple[np.ndarray, np.ndarray]:
    pred = _check_vector(pred_min, "pred_min")
    true = _check_vector(true_min, "true_min", n=len(pred))
    for name, x in (("pred_min", pred), ("true_min", true)):
        if x.min() < 0:
            raise ValueError(f"`{name}` must be non-negative minutes, got minimum "
                             f"{x.min():.6g}; clip predictions at 0 before scoring")
    return pred, true


def delay_mae_log(pred_min, true_min) -> float:
    """Mean absolute error in log-minutes: mean_i |log1p(pred_i) - log1p(true_i)|.

    Natural log of 1 + minutes, so 0-minute delays are fine and an error of
    10 minutes counts for more on a 5-minute delay than on a 5-hour one.

    pred_min, true_min: (N,) non-negative minutes; a negative value raises.
    """
    pred, true = _check_minutes(pred_min, true_min)
    return float(np.abs(np.log1p(pred) - np.log1p(true)).mean())


def timing_accuracy(pred_min, true_min) -> float:
    """Share of predictions within max(10 minutes, 25% of the true delay).

    Row i is on time when |pred_i - true_i| <= max(10, 0.25 * true_i) (the
    boundary counts as on time).

    pred_min, true_min: (N,) non-negative minutes; a negative value raises.
    """
    pred, true = _check_minutes(pred_min, true_min)
    tolerance = np.maximum(TIMING_ABS_TOLERANCE_MIN, TIMING_REL_TOLERANCE * true)
    return float((np.abs(pred - true) <= tolerance).mean())
