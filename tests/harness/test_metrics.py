"""Hand-computed checks of the harness metric definitions (arithmetic in the comments)."""

from fractions import Fraction
from math import log

import numpy as np
import pytest

from augur.harness.metrics import (
    argmax_first,
    best_threshold_f1,
    binary_prf,
    brier_score,
    delay_mae_log,
    expected_calibration_error,
    macro_f1,
    negative_log_likelihood,
    precision_at_1,
    timing_accuracy,
    topk_accuracy,
)

UNIFORM4 = np.full((3, 4), 0.25)
PERFECT = np.eye(3)[[0, 2, 1, 1]]  # one-hot rows matching PERFECT_LABELS
PERFECT_LABELS = np.array([0, 2, 1, 1])


# --------------------------------------------------------------------------- top-k


def test_uniform_predictor_scores_exactly_chance():
    labels = np.array([0, 1, 3])
    # every row: g = 0, e = 4 -> k / 4
    assert topk_accuracy(UNIFORM4, labels, k=1) == 0.25
    assert topk_accuracy(UNIFORM4, labels, k=3) == 0.75
    assert topk_accuracy(UNIFORM4, labels, k=4) == 1.0
    assert topk_accuracy(UNIFORM4, labels, k=7) == 1.0  # k > C caps at 1
    uniform5 = np.full((4, 5), 0.2)
    assert topk_accuracy(uniform5, np.array([0, 1, 2, 4]), k=1) == pytest.approx(1 / 5)
    assert topk_accuracy(uniform5, np.array([0, 1, 2, 4]), k=3) == pytest.approx(3 / 5)


def test_topk_partial_tie():
    probs = np.array([[0.5, 0.2, 0.2, 0.1]])
    label = np.array([1])
    # s = 0.2, g = 1 (0.5), e = 2 (the two 0.2s)
    assert topk_accuracy(probs, label, k=1) == 0.0  # g >= k
    assert topk_accuracy(probs, label, k=2) == 0.5  # (k - g) / e = 1 / 2
    assert topk_accuracy(probs, label, k=3) == 1.0  # g + e = 3 <= k


def test_topk_mean_over_rows():
    probs = np.array([[0.7, 0.2, 0.1], [0.7, 0.2, 0.1], [0.1, 0.1, 0.8]])
    labels = np.array([0, 1, 2])
    # top-1 hits: 1, 0, 1 -> 2/3; top-2 hits: 1, 1, 1 -> 1
    assert topk_accuracy(probs, labels, k=1) == pytest.approx(2 / 3)
    assert topk_accuracy(probs, labels, k=2) == 1.0


def test_argmax_first_breaks_ties_to_lowest_index():
    probs = np.array([[0.4, 0.4, 0.2], [0.1, 0.3, 0.6], [0.2, 0.4, 0.4]])
    np.testing.assert_array_equal(argmax_first(probs), [0, 2, 1])


# --------------------------------------------------------------------------- macro-F1


def test_macro_f1_three_classes():
    labels = np.array([0, 0, 1, 1, 2, 2])
    pred = np.array([0, 1, 1, 1, 0, 2])
    # F1_c = 2 tp / (#pred_c + #true_c)
    # class 0: tp 1, pred 2, true 2 -> 2/4 = 0.5
    # class 1: tp 2, pred 3, true 2 -> 4/5 = 0.8
    # class 2: tp 1, pred 1, true 2 -> 2/3
    expected = (0.5 + 0.8 + 2 / 3) / 3
    assert macro_f1(pred, labels, n_classes=3) == pytest.approx(expected)
    # classes 3 and 4 occur nowhere, so they are left out of the mean
    assert macro_f1(pred, labels, n_classes=5) == pytest.approx(expected)


def test_macro_f1_class_never_predicted_scores_zero():
    labels = np.array([0, 1, 1])
    pred = np.array([0, 0, 0])
    # class 0: tp 1, pred 3, true 1 -> 2/4 = 0.5; class 1: tp 0 -> 0
    assert macro_f1(pred, labels, n_classes=2) == pytest.approx(0.25)


def test_macro_f1_class_only_in_pred_counts():
    labels = np.array([0, 0])
    pred = np.array([0, 2])
    # class 0: tp 1, pred 1, true 2 -> 2/3; class 2: tp 0, pred 1 -> 0
    assert macro_f1(pred, labels, n_classes=3) == pytest.approx(1 / 3)


def _macro_f1_reference(pred, labels):
    """Textbook macro-F1 via precision and recall, one class at a time."""
    f1s = []
    for c in sorted(set(pred.tolist()) | set(labels.tolist())):
        tp = np.sum((pred == c) & (labels == c))
        n_pred, n_true = np.sum(pred == c), np.sum(labels == c)
        precision = tp / n_pred if n_pred else 0.0
        recall = tp / n_true if n_true else 0.0
        f1s.append(2 * precision * recall / (precision + recall) if tp else 0.0)
    return float(np.mean(f1s))


def test_macro_f1_matches_reference_on_random_data():
    rng = np.random.default_rng(0)
    for _ in range(20):
        n, n_classes = int(rng.integers(1, 40)), int(rng.integers(2, 7))
        pred = rng.integers(0, n_classes, n)
        labels = rng.integers(0, n_classes, n)
        expected = _macro_f1_reference(pred, labels)
        assert macro_f1(pred, labels, n_classes) == pytest.approx(expected)


# --------------------------------------------------------------------------- calibration


def test_perfect_predictor():
    assert topk_accuracy(PERFECT, PERFECT_LABELS, k=1) == 1.0
    assert expected_calibration_error(PERFECT, PERFECT_LABELS) == 0.0
    assert negative_log_likelihood(PERFECT, PERFECT_LABELS) == pytest.approx(0.0, abs=1e-12)
    assert brier_score(PERFECT, PERFECT_LABELS) == 0.0


def test_ece_two_bins_by_hand():
    probs = np.array([[0.9, 0.1], [0.9, 0.1], [0.7, 0.3], [0.3, 0.7]])
    labels = np.array([0, 1, 0, 1])
    # 15 bins of width 1/15: conf 0.9 is in bin 13 (0.867, 0.933], conf 0.7 in bin 10
    # (0.667, 0.733]. Bin 13: correctness 1, 0 -> mean 0.5, conf 0.9, gap 0.4.
    # Bin 10: both correct -> mean 1, conf 0.7, gap 0.3.
    # ECE = 2/4 * 0.4 + 2/4 * 0.3 = 0.35
    assert expected_calibration_error(probs, labels) == pytest.approx(0.35)


def test_ece_bins_are_right_closed():
    probs = np.array([[0.5, 0.3, 0.2], [0.4, 0.35, 0.25]])
    labels = np.array([0, 1])
    # n_bins=2: conf 0.5 belongs to (0, 0.5], the same bin as conf 0.4.
    # Sum of correctness 1 + 0 = 1, sum of conf 0.9 -> |1 - 0.9| / 2 = 0.05.
    # (Were 0.5 in the upper bin it would be (0.5 + 0.4) / 2 = 0.45.)
    assert expected_calibration_error(probs, labels, n_bins=2) == pytest.approx(0.05)


def test_ece_uses_tie_aware_correctness():
    # top tied at 0.5: correctness 1/2 == confidence 0.5, perfectly calibrated
    assert expected_calibration_error(np.array([[0.5, 0.5]]), np.array([0])) == 0.0


def test_negative_log_likelihood():
    probs = np.array([[0.5, 0.5], [0.25, 0.75]])
    # (-log 0.5 - log 0.75) / 2
    expected = (log(2) + log(4 / 3)) / 2
    assert negative_log_likelihood(probs, np.array([0, 1])) == pytest.approx(expected)
    # a zero-probability label costs -log(eps)
    assert negative_log_likelihood(np.array([[1.0, 0.0]]), np.array([1])) == pytest.approx(
        -log(1e-12))
    assert negative_log_likelihood(np.array([[1.0, 0.0]]), np.array([1]), eps=1e-3) == (
        pytest.approx(-log(1e-3)))


def test_brier_score():
    probs = np.array([[0.5, 0.5], [0.0, 1.0]])
    # row 0: 0.5^2 + 0.5^2 = 0.5; row 1 (confident and wrong): 1 + 1 = 2; mean 1.25
    assert brier_score(probs, np.array([0, 0])) == pytest.approx(1.25)


# --------------------------------------------------------------------------- ranking


def test_precision_at_1_with_ties():
    scores = [np.array([3.0, 1.0, 2.0]), np.array([2.0, 2.0, 1.0]), np.array([1.0, 5.0]),
              np.array([4.0, 4.0, 4.0, 0.0]), np.array([7.0])]
    targets = np.array([0, 1, 0, 3, 0])
    # unique max -> 1; tied with one other -> 1/2; below max -> 0; below tied max -> 0;
    # single candidate -> 1. Mean = 2.5 / 5
    assert precision_at_1(scores, targets) == pytest.approx(0.5)


def test_precision_at_1_three_way_tie():
    assert precision_at_1([np.array([1.0, 1.0, 1.0])], np.array([2])) == pytest.approx(1 / 3)


# --------------------------------------------------------------------------- binary decisions


BIN_PROBS = np.array([0.1, 0.2, 0.3])
BIN_LABELS = np.array([True, False, True])


def test_binary_prf_no_positive_decisions():
    out = binary_prf(BIN_PROBS, BIN_LABELS, threshold=0.5)
    assert out == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "rate": 0.0}


def test_binary_prf_all_positive_decisions():
    out = binary_prf(BIN_PROBS, BIN_LABELS, threshold=0.0)
    # tp 2 of 3 decisions, 2 of 2 labels: P = 2/3, R = 1, F1 = 2 * 2/3 / (5/3) = 0.8
    assert out["precision"] == pytest.approx(2 / 3)
    assert out["recall"] == 1.0
    assert out["f1"] == pytest.approx(0.8)
    assert out["rate"] == 1.0


def test_binary_prf_threshold_is_inclusive():
    out = binary_prf(BIN_PROBS, BIN_LABELS, threshold=0.3)
    # only 0.3 >= 0.3: tp 1, P = 1, R = 1/2, F1 = 2 * 0.5 / 1.5 = 2/3, rate 1/3
    assert out == pytest.approx({"precision": 1.0, "recall": 0.5, "f1": 2 / 3, "rate": 1 / 3})


def test_binary_prf_no_positive_labels():
    out = binary_prf(BIN_PROBS, np.zeros(3, dtype=bool), threshold=0.0)
    assert out == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "rate": 1.0}


def test_binary_prf_accepts_integer_labels():
    assert binary_prf(BIN_PROBS, np.array([1, 0, 1]), 0.0) == binary_prf(
        BIN_PROBS, BIN_LABELS, 0.0)


def test_best_threshold_f1_by_hand_and_against_grid():
    probs = np.array([0.9, 0.8, 0.8, 0.3, 0.1])
    labels = np.array([True, False, True, True, False])
    # F1(t) = 2 tp / (#decisions + 3):
    # t=0.9: 2/4 = 0.5; t=0.8: 4/6; t=0.3: 6/7; t=0.1: 6/8 -> best 6/7 at 0.3
    best, threshold = best_threshold_f1(probs, labels)
    assert best == pytest.approx(6 / 7)
    assert threshold == 0.3
    grid = max(binary_prf(probs, labels, t)["f1"] for t in np.linspace(0, 1, 1001))
    assert best == pytest.approx(grid)


def test_best_threshold_f1_ties_go_to_highest_threshold():
    probs = np.array([0.9, 0.6, 0.5, 0.2])
    labels = np.array([True, False, False, True])
    # t=0.9: 2/3; t=0.6: 2/4; t=0.5: 2/5; t=0.2: 4/6 = 2/3 -> tie, keep 0.9
    assert best_threshold_f1(probs, labels) == (pytest.approx(2 / 3), 0.9)


def test_best_threshold_f1_without_positive_labels():
    assert best_threshold_f1(np.array([0.4, 0.7]), np.array([False, False])) == (0.0, 0.7)


def _best_threshold_reference(probs, labels):
    """Exact brute force over distinct thresholds; highest threshold wins ties."""
    best = (Fraction(-1), None)
    for t in sorted(set(probs.tolist()), reverse=True):
        decision = probs >= t
        f1 = Fraction(2 * int(np.sum(decision & labels)), int(decision.sum() + labels.sum()))
        if f1 > best[0]:
            best = (f1, t)
    return float(best[0]), best[1]


def test_best_threshold_f1_matches_brute_force_on_random_data():
    rng = np.random.default_rng(0)
    for _ in range(20):
        n = int(rng.integers(1, 40))
        probs = rng.integers(0, 11, n) / 10  # coarse values, so ties are common
        labels = rng.random(n) < 0.4
        best, threshold = best_threshold_f1(probs, labels)
        ref_best, ref_threshold = _best_threshold_reference(probs, labels)
        assert best == pytest.approx(ref_best)
        assert threshold == ref_threshold
        assert binary_prf(probs, labels, threshold)["f1"] == pytest.approx(best)


# --------------------------------------------------------------------------- timing


def test_delay_mae_log():
    pred = np.array([0.0, 9.0, 99.0])
    true = np.array([0.0, 0.0, 9.0])
    # |log 1 - log 1| = 0, |log 10 - log 1| = ln 10, |log 100 - log 10| = ln 10
    assert delay_mae_log(pred, true) == pytest.approx(2 * log(10) / 3)


def test_delay_mae_log_rejects_negative_predictions():
    with pytest.raises(ValueError, match="pred_min.*non-negative"):
        delay_mae_log(np.array([-1.0]), np.array([3.0]))


def test_timing_accuracy():
    pred = np.array([0.0, 10.0, 10.1, 125.0, 70.0])
    true = np.array([0.0, 0.0, 0.0, 100.0, 100.0])
    # tolerance max(10, 0.25 * true) = 10, 10, 10, 25, 25
    # errors 0 ok, 10 ok (boundary), 10.1 no, 25 ok (boundary), 30 no -> 3/5
    assert timing_accuracy(pred, true) == pytest.approx(0.6)


# --------------------------------------------------------------------------- errors and types


@pytest.mark.parametrize("call", [
    lambda: topk_accuracy(UNIFORM4, [0, 1, 2], 1),
    lambda: expected_calibration_error(UNIFORM4, [0, 1, 2]),
    lambda: negative_log_likelihood(UNIFORM4, [0, 1, 2]),
    lambda: brier_score(UNIFORM4, [0, 1, 2]),
    lambda: macro_f1([0, 1], [1, 1], 2),
    lambda: precision_at_1([np.array([1.0])], [0]),
    lambda: best_threshold_f1([0.5], [True])[0],
    lambda: best_threshold_f1([0.5], [True])[1],
    lambda: binary_prf([0.5], [True], 0.5)["f1"],
    lambda: delay_mae_log([1.0], [2.0]),
    lambda: timing_accuracy([1.0], [2.0]),
])
def test_returns_python_floats(call):
    assert type(call()) is float


def test_probs_shape_errors():
    with pytest.raises(ValueError, match=r"`probs` must have shape \(N, C\), got shape \(3,\)"):
        topk_accuracy(np.array([0.2, 0.3, 0.5]), np.array([0]), k=1)
    with pytest.raises(ValueError, match=r"`labels` must have shape \(3,\), got shape \(2,\)"):
        brier_score(UNIFORM4, np.array([0, 1]))
    with pytest.raises(ValueError, match=r"`true_min` must have shape \(2,\), got shape \(1,\)"):
        timing_accuracy(np.array([1.0, 2.0]), np.array([1.0]))
    with pytest.raises(ValueError, match=r"`labels` must have shape \(3,\), got shape \(2,\)"):
        binary_prf(BIN_PROBS, np.array([True, False]), 0.5)


@pytest.mark.parametrize("call", [
    lambda: topk_accuracy(np.zeros((0, 3)), np.zeros(0, dtype=int), 1),
    lambda: expected_calibration_error(np.zeros((0, 3)), np.zeros(0, dtype=int)),
    lambda: macro_f1(np.array([], dtype=int), np.array([], dtype=int), 3),
    lambda: precision_at_1([], np.array([], dtype=int)),
    lambda: precision_at_1([np.array([])], np.array([0])),
    lambda: binary_prf(np.array([]), np.array([], dtype=bool), 0.5),
    lambda: best_threshold_f1(np.array([]), np.array([], dtype=bool)),
    lambda: delay_mae_log(np.array([]), np.array([])),
])
def test_empty_inputs_raise(call):
    with pytest.raises(ValueError, match="empty"):
        call()


def test_invalid_values_raise():
    with pytest.raises(ValueError, match="sum to 1"):
        negative_log_likelihood(np.ones((2, 3)), np.array([0, 1]))
    with pytest.raises(ValueError, match=r"\[0, 4\)"):
        topk_accuracy(UNIFORM4, np.array([0, 1, 4]), k=1)
    with pytest.raises(ValueError, match="integer class indices"):
        brier_score(UNIFORM4, np.array([0.0, 1.0, 2.0]))
    with pytest.raises(ValueError, match="`k` must be a positive integer"):
        topk_accuracy(UNIFORM4, np.array([0, 1, 2]), k=0)
    with pytest.raises(ValueError, match=r"`targets\[0\]`"):
        precision_at_1([np.array([1.0, 2.0])], np.array([2]))
    with pytest.raises(ValueError, match="bool"):
        binary_prf(BIN_PROBS, np.array([0, 2, 1]), 0.5)
    with pytest.raises(ValueError, match="`pred`"):
        macro_f1(np.array([0, 3]), np.array([0, 1]), n_classes=3)
