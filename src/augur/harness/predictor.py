"""What the harness asks of a predictor, and what it gets back.

A predictor sees, for each scored step, a window of at most CONTEXT_EVENTS
events ending at the step, with labels and simulator state removed, and the
candidate artifacts to rank. It returns one `Predictions` for all queries.
Any field may be None when the predictor has no such head; that head is then
reported as absent for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from augur.events.schema import Artifact, Event


@dataclass(frozen=True)
class Query:
    window: list[Event]  # oldest first; the last event is the current step
    candidates: list[Artifact] | None  # artifacts to rank, when the data has them


@dataclass
class Predictions:
    action_probs: np.ndarray  # (N, A) over the eval set's action vocabulary
    lane_probs: np.ndarray | None = None  # (N, 5) over LANES
    proactive_prob: np.ndarray | None = None  # (N,)
    delay_min: np.ndarray | None = None  # (N,) minutes until the next action
    candidate_scores: list[np.ndarray] | None = None  # per query, one score per candidate
    # (N,) bool: the predictor's own decision to intervene, at its operating threshold.
    # Without it the harness intervenes where proactive_prob >= PROACTIVE_THRESHOLD.
    proactive_decision: np.ndarray | None = None

    def check(self, n: int, n_actions: int) -> None:
        """Fail with a clear message when a predictor returns the wrong shapes."""
        want = {"action_probs": (n, n_actions), "lane_probs": (n, 5), "proactive_prob": (n,),
                "proactive_decision": (n,), "delay_min": (n,)}
        for name, shape in want.items():
            value = getattr(self, name)
            if value is not None and np.shape(value) != shape:
                raise ValueError(f"predictions.{name} must have shape {shape}, "
                                 f"got {np.shape(value)}")
        if self.candidate_scores is not None and len(self.candidate_scores) != n:
            raise ValueError(f"predictions.candidate_scores must hold {n} score arrays, "
                             f"got {len(self.candidate_scores)}")


class Predictor(Protocol):
    name: str

    def predict(self, queries: list[Query], actions: tuple[str, ...]) -> Predictions: ...
