"""Forecasters behind one interface: `name`, and `predict(case)` -> one list of candidate
probabilities per level (each summing to 1), reading only the seed and the path of
actual outcomes before each level.

    embedding.py   MiniLM vectors and a small two-tower scorer, trained with cross-entropy
    llm.py         a small causal LM's log-likelihood of each candidate, zero-shot

`predict_latency` times `predict` one case at a time, for bench/ to report (the repo
measures speed in bench/ only, never in a test).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Sequence
from typing import Any


def predict_latency(forecaster: Any, cases: Sequence[Any], warmup: int = 1) -> dict[str, float]:
    """Wall time of `forecaster.predict(case)`, one case at a time, in milliseconds:
    median, p90 and mean over `cases` after `warmup` untimed calls (the first call may
    load a model). Pass cases the forecaster has not seen, or its caches make it look
    faster than it is on new ones."""
    if len(cases) <= warmup:
        raise ValueError(f"predict_latency needs more than warmup={warmup} cases, got "
                         f"{len(cases)}")
    for case in cases[:warmup]:
        forecaster.predict(case)
    times = []
    for case in cases[warmup:]:
        t0 = time.perf_counter()
        forecaster.predict(case)
        times.append((time.perf_counter() - t0) * 1000)
    p90 = sorted(times)[min(len(times) - 1, int(0.9 * len(times)))]
    return {"n": len(times), "median_ms": statistics.median(times), "p90_ms": p90,
            "mean_ms": sum(times) / len(times)}
