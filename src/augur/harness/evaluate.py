"""Scoring: turn a predictor's outputs on an eval set into the harness's metrics,
and put every metric beside the baselines, the ceiling and the headroom captured.

The ceiling is the simulator scoring its own probabilities (the exact
distribution each label was drawn from, given the full hidden state): no model
that sees only the events can beat it in expectation. For proactive F1 the
ceiling uses the F1-best threshold on its own probabilities, an upper bound on
any fixed threshold.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from augur.events.schema import Event
from augur.events.vocab import LANES
from augur.harness import constants as C
from augur.harness import metrics as M
from augur.harness.baselines import make_baseline
from augur.harness.evalsets import EvalSet
from augur.harness.predictor import Predictions, Predictor, Query

METRICS = (
    "next_action_top1", "next_action_top3", "routing_accuracy", "routing_macro_f1",
    "relevance_precision_at_1", "proactive_precision", "proactive_recall", "proactive_f1",
    "calibration_ece", "calibration_nll", "calibration_brier", "delay_mae_log",
    "timing_accuracy", "composite",
)
LOWER_IS_BETTER = frozenset({"calibration_ece", "calibration_nll", "calibration_brier",
                             "delay_mae_log"})
# Metrics whose ceiling is shown but is no upper bound, so "headroom" would mislead:
# a uniform predictor is perfectly calibrated (ECE ~0), and the ceiling's proactive
# precision and recall are read at its F1-best threshold, a trade-off between the two.
NO_HEADROOM = frozenset({"calibration_ece", "proactive_precision", "proactive_recall"})


def queries_for(eval_set: EvalSet) -> tuple[list[Query], list[Event]]:
    """One query per scored step (window with labels stripped), and the labelled steps."""
    queries, steps = [], []
    for stream in eval_set.streams:
        visible = [e.observable() for e in stream.events]
        for i in range(stream.score_from, len(stream.events)):
            step = stream.events[i]
            if step.labels is None:
                continue
            window = visible[max(0, i + 1 - C.CONTEXT_EVENTS): i + 1]
            queries.append(Query(window, step.labels.candidates))
            steps.append(step)
    return queries, steps


def score(pred: Predictions, steps: list[Event], actions: tuple[str, ...],
          proactive_threshold: float = C.PROACTIVE_THRESHOLD) -> dict[str, float | None]:
    """Every metric for one predictor on one eval set; None marks an absent head."""
    pred.check(len(steps), len(actions))
    out: dict[str, float | None] = dict.fromkeys(METRICS)
    index = {a: i for i, a in enumerate(actions)}
    rows = [i for i, s in enumerate(steps) if s.labels.next_action in index]
    if rows:
        probs = pred.action_probs[rows]
        y = np.array([index[steps[i].labels.next_action] for i in rows])
        out["next_action_top1"] = M.topk_accuracy(probs, y, 1)
        out["next_action_top3"] = M.topk_accuracy(probs, y, 3)
        out["calibration_ece"] = M.expected_calibration_error(probs, y, C.ECE_BINS)
        out["calibration_nll"] = M.negative_log_likelihood(probs, y)
        out["calibration_brier"] = M.brier_score(probs, y)
    rows = [i for i, s in enumerate(steps) if s.labels.lane is not None]
    if rows and pred.lane_probs is not None:
        probs = pred.lane_probs[rows]
        y = np.array([LANES.index(steps[i].labels.lane) for i in rows])
        out["routing_accuracy"] = M.topk_accuracy(probs, y, 1)
        out["routing_macro_f1"] = M.macro_f1(M.argmax_first(probs), y, len(LANES))
    rows = [i for i, s in enumerate(steps) if s.labels.target is not None]
    if rows and pred.candidate_scores is not None:
        targets = [[c.id for c in steps[i].labels.candidates].index(steps[i].labels.target)
                   for i in rows]
        out["relevance_precision_at_1"] = M.precision_at_1(
            [pred.candidate_scores[i] for i in rows], np.array(targets))
    rows = [i for i, s in enumerate(steps) if s.labels.proactive is not None]
    if rows and pred.proactive_prob is not None:
        # A predictor's own decisions are scored as given (its operating threshold); a
        # probability alone is thresholded at the harness's.
        decided = pred.proactive_decision is not None
        scores = (np.asarray(pred.proactive_decision, dtype=float) if decided
                  else pred.proactive_prob)
        prf = M.binary_prf(scores[rows], np.array([steps[i].labels.proactive for i in rows]),
                           0.5 if decided else proactive_threshold)
        out["proactive_precision"], out["proactive_recall"] = prf["precision"], prf["recall"]
        out["proactive_f1"] = prf["f1"]
    rows = [i for i, s in enumerate(steps) if s.labels.delay_min is not None]
    if rows and pred.delay_min is not None:
        truth = np.array([steps[i].labels.delay_min for i in rows])
        out["delay_mae_log"] = M.delay_mae_log(pred.delay_min[rows], truth)
        out["timing_accuracy"] = M.timing_accuracy(pred.delay_min[rows], truth)
    out["composite"] = composite(out)
    return out


def composite(m: dict[str, float | None]) -> float | None:
    """The weighted composite, or None when any of its heads is absent."""
    if any(m.get(k) is None for k in C.COMPOSITE_WEIGHTS):
        return None
    return sum(w * ((1 - m[k]) if k == "calibration_ece" else m[k])
               for k, w in C.COMPOSITE_WEIGHTS.items())


def ceiling_predictions(steps: list[Event], actions: tuple[str, ...]) -> Predictions:
    """The simulator's own probabilities, laid out as a predictor's output."""
    index = {a: i for i, a in enumerate(actions)}
    probs = np.zeros((len(steps), len(actions)))
    for r, s in enumerate(steps):
        for a, p in s.sim.action_probs.items():
            probs[r, index[a]] = p
    probs /= probs.sum(axis=1, keepdims=True)
    lanes = np.array([[s.sim.lane_probs[lane] for lane in LANES] for s in steps])
    return Predictions(
        action_probs=probs, lane_probs=lanes / lanes.sum(axis=1, keepdims=True),
        proactive_prob=np.array([s.sim.proactive_prob for s in steps]),
        delay_min=np.array([s.sim.delay_median for s in steps]),
        candidate_scores=[np.array(s.sim.candidate_probs) for s in steps])


def ceiling_scores(steps: list[Event], actions: tuple[str, ...]) -> dict[str, float | None]:
    pred = ceiling_predictions(steps, actions)
    labels = np.array([bool(s.labels.proactive) for s in steps])
    _, threshold = M.best_threshold_f1(pred.proactive_prob, labels)
    return score(pred, steps, actions, proactive_threshold=threshold)


def evaluate(predictor: Predictor | None, eval_set: EvalSet,
             baseline: str | None = None) -> dict[str, Any]:
    """The report for one eval set. With `baseline`, that baseline is the predictor."""
    queries, steps = queries_for(eval_set)
    if not steps:
        raise ValueError(f"eval set {eval_set.name!r} has no labelled steps to score")
    base_scores = {}
    for name in C.BASELINES:
        b = make_baseline(name).fit(eval_set.train, eval_set.actions)
        base_scores[name] = score(b.predict(queries, eval_set.actions), steps, eval_set.actions)
    if predictor is None:
        if baseline is None:
            raise ValueError("evaluate needs a predictor or the name of a baseline")
        model, name = base_scores[baseline], baseline
    else:
        model = score(predictor.predict(queries, eval_set.actions), steps, eval_set.actions)
        name = predictor.name
    ceiling = ceiling_scores(steps, eval_set.actions) if eval_set.synthetic else None
    return {
        "eval_set": eval_set.name, "description": eval_set.description,
        "predictor": name, "steps": len(steps), "data_sha256": eval_set.checksum,
        "metrics": {k: _entry(k, model, base_scores, ceiling) for k in METRICS},
    }


def _entry(k: str, model, base_scores, ceiling) -> dict[str, Any]:
    value = model[k]
    baselines = {n: s[k] for n, s in base_scores.items()}
    ceil = ceiling[k] if ceiling else None
    entry: dict[str, Any] = {"value": value, "baselines": baselines, "ceiling": ceil,
                             "headroom_captured": None,
                             "higher_is_better": k not in LOWER_IS_BETTER}
    if value is None:
        entry["absent"] = True
        return entry
    known = [v for v in baselines.values() if v is not None]
    if known and ceil is not None and k not in NO_HEADROOM:
        best = min(known) if k in LOWER_IS_BETTER else max(known)
        if abs(ceil - best) > 1e-12:
            entry["headroom_captured"] = (value - best) / (ceil - best)
    return entry
