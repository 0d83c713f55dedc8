"""Task 2's metrics (the seed's), computed the same way for every model.

- precision / recall / f1 of edges at the operating threshold: a gold edge is a pair
  whose affinity is >= EDGE_GOLD (a SEE_ALSO, PREREQUISITE or CONTINUATION link), a
  predicted edge one whose score is >= EDGE_THRESHOLD; precision is None when the
  model predicts no edge;
- pearson: the correlation of the score with the graded affinity over all pairs (None
  when the scores are constant, so a floor that never varies has no correlation);
- type_accuracy: the predicted type equals the gold one over all pairs ("none" counts);
  type_accuracy_edges: the same over gold edges only;
- latency_ms_per_pair p50 / p99: a model scores a source's candidates in one batch, and
  each pair is charged the batch's time over its candidates (amortised).

An invalid answer (no score) counts as score 0 and a wrong type.
"""

from __future__ import annotations

import math
from typing import Any

from augur.memory.tasks.harness import constants as C
from augur.memory.tasks.harness.edge_schema import EdgeExample


def _pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return round(xs[min(len(xs) - 1, int(q * len(xs)))], 4) if xs else 0.0


def pearson(xs: list[float], ys: list[float]) -> float | None:
    """Pearson's r; None when either side does not vary."""
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    if sxx <= 1e-18 or syy <= 1e-18:
        return None
    return sxy / math.sqrt(sxx * syy)


def _r(x: float | None) -> float | None:
    return None if x is None else round(x, 4)


def score_edges(examples: list[EdgeExample], scores: list[float | None],
                types: list[str | None], latencies_ms: list[float]) -> dict[str, Any]:
    """`scores[i]`, `types[i]`: the model's answer for examples[i] (None: invalid);
    `latencies_ms[i]`: its amortised time per pair."""
    n = len(examples)
    if not (len(scores) == len(types) == len(latencies_ms) == n):
        raise ValueError(f"score_edges: {n} examples but {len(scores)} scores, {len(types)} "
                         f"types and {len(latencies_ms)} latencies")
    if n == 0:
        raise ValueError("score_edges: no examples to score")
    s = [0.0 if x is None else float(x) for x in scores]
    gold = [ex.affinity >= C.EDGE_GOLD for ex in examples]
    pred = [x >= C.EDGE_THRESHOLD for x in s]
    tp = sum(g and p for g, p in zip(gold, pred, strict=True))
    precision = tp / sum(pred) if sum(pred) else None
    recall = tp / sum(gold) if sum(gold) else None
    f1 = (2 * precision * recall / (precision + recall)
          if precision and recall else (0.0 if precision is not None and recall is not None
                                        else None))
    right = [t == ex.type for t, ex in zip(types, examples, strict=True)]
    on_edges = [r for r, g in zip(right, gold, strict=True) if g]
    return {
        "examples": n,
        "gold_edges": sum(gold),
        "predicted_edges": sum(pred),
        "precision": _r(precision),
        "recall": _r(recall),
        "f1": _r(f1),
        "pearson": _r(pearson(s, [ex.affinity for ex in examples])),
        "type_accuracy": round(sum(right) / n, 4),
        "type_accuracy_edges": round(sum(on_edges) / len(on_edges), 4) if on_edges else None,
        "latency_ms_per_pair": {"p50": _pct(latencies_ms, 0.5), "p99": _pct(latencies_ms, 0.99)},
    }
