"""The three reference predictors every report shows: uniform, most-frequent, Markov.

They follow scikit-learn's contract: the constructor stores nothing learned,
`fit(train_streams, actions)` returns self, learned state ends in `_`, and
`predict` before `fit` fails with a clear message.

- uniform: every class equally likely; proactive 0.5; delay at the geometric
  middle of the training range; candidates all tied.
- most_frequent: the training marginals; the training median delay; candidates
  scored by how often their kind was the target.
- markov: everything conditioned on the last event alone (its type and action),
  backing off to the marginals for unseen or rare last events.
"""

from __future__ import annotations

from collections import Counter, defaultdict

import numpy as np

from augur.events.schema import Event
from augur.events.vocab import LANES
from augur.harness.predictor import Predictions, Query

SMOOTHING = 1.0  # pseudo-counts of the marginal mixed into each Markov row


def _key(event: Event) -> tuple[str, str | None]:
    return (event.type, event.action)


class _Baseline:
    name = "baseline"

    def __init__(self) -> None:
        self.fitted_ = False

    def fit(self, streams: list[list[Event]], actions: tuple[str, ...]) -> _Baseline:
        index = {a: i for i, a in enumerate(actions)}
        self.action_counts_: dict = defaultdict(lambda: np.zeros(len(actions)))
        self.lane_counts_: dict = defaultdict(lambda: np.zeros(len(LANES)))
        self.proactive_: dict = defaultdict(lambda: [0, 0])
        self.delays_: dict = defaultdict(list)
        self.target_kinds_: dict = defaultdict(Counter)
        self.last_is_target_: dict = defaultdict(lambda: [0, 0])
        for stream in streams:
            for e in stream:
                lab = e.labels
                if lab is None:
                    continue
                for key in (_key(e), None):  # None accumulates the marginal
                    self._count(key, e, lab, index)
        # Medians once here, not per query: the delay lists are long.
        self.delay_median_ = {k: float(np.median(v)) for k, v in self.delays_.items()}
        self.delay_max_ = max(self.delays_.get(None) or [0.0])
        self.actions_ = actions
        self.fitted_ = True
        return self

    def _count(self, key, e: Event, lab, index: dict[str, int]) -> None:
        if lab.next_action in index:
            self.action_counts_[key][index[lab.next_action]] += 1
        if lab.lane is not None:
            self.lane_counts_[key][LANES.index(lab.lane)] += 1
        if lab.proactive is not None:
            self.proactive_[key][0] += int(lab.proactive)
            self.proactive_[key][1] += 1
        if lab.delay_min is not None:
            self.delays_[key].append(lab.delay_min)
        if lab.target is not None and lab.candidates:
            kind = next(c.kind for c in lab.candidates if c.id == lab.target)
            self.target_kinds_[key][kind] += 1
            hit = lab.target == e.attributes.get("artifact")
            self.last_is_target_[key][0] += int(hit)
            self.last_is_target_[key][1] += 1

    def _check(self, actions: tuple[str, ...]) -> None:
        if not getattr(self, "fitted_", False):
            raise RuntimeError(f"{self.name} baseline: call fit(train_streams, actions) "
                               "before predict")
        if actions != self.actions_:
            raise ValueError(f"{self.name} baseline was fit on {len(self.actions_)} actions, "
                             f"asked to predict over {len(actions)}; fit it on this data set")

    def _has(self, table: dict) -> bool:
        return None in table

    def predict(self, queries: list[Query], actions: tuple[str, ...]) -> Predictions:
        self._check(actions)
        rows = [self._row(q) for q in queries]
        has_lane = self._has(self.lane_counts_)
        has_pro = self._has(self.proactive_)
        has_delay = self._has(self.delays_)
        has_rel = self._has(self.target_kinds_) and all(q.candidates for q in queries)
        return Predictions(
            action_probs=np.array([r[0] for r in rows]),
            lane_probs=np.array([r[1] for r in rows]) if has_lane else None,
            proactive_prob=np.array([r[2] for r in rows]) if has_pro else None,
            delay_min=np.array([r[3] for r in rows]) if has_delay else None,
            candidate_scores=[r[4] for r in rows] if has_rel else None,
        )

    def _row(self, q: Query):
        raise NotImplementedError

    # marginal pieces shared by the subclasses
    def _marginal(self, table: dict, size: int) -> np.ndarray:
        counts = table.get(None, np.zeros(size))
        return counts / counts.sum() if counts.sum() else np.full(size, 1 / size)

    def _rate(self, key) -> float:
        pos, n = self.proactive_.get(key, (0, 0))
        return pos / n if n else 0.5


class UniformBaseline(_Baseline):
    name = "uniform"

    def _row(self, q: Query):
        a, n_cand = len(self.actions_), len(q.candidates or [])
        middle = float(np.expm1(np.log1p(self.delay_max_) / 2))
        return (np.full(a, 1 / a), np.full(len(LANES), 1 / len(LANES)), 0.5, middle,
                np.zeros(n_cand))


class MostFrequentBaseline(_Baseline):
    name = "most_frequent"

    def _row(self, q: Query):
        kinds = self.target_kinds_.get(None, Counter())
        return (self._marginal(self.action_counts_, len(self.actions_)),
                self._marginal(self.lane_counts_, len(LANES)), self._rate(None),
                self.delay_median_.get(None, 0.0),
                np.array([float(kinds[c.kind]) for c in q.candidates or []]))


class MarkovBaseline(_Baseline):
    name = "markov"

    def _smoothed(self, table: dict, key, size: int) -> np.ndarray:
        prior = self._marginal(table, size)
        counts = table.get(key)
        if counts is None:
            return prior
        return (counts + SMOOTHING * prior) / (counts.sum() + SMOOTHING)

    def _row(self, q: Query):
        last = q.window[-1]
        key = _key(last)
        pro = self._rate(key) if key in self.proactive_ else self._rate(None)
        kinds = self.target_kinds_.get(key) or self.target_kinds_.get(None, Counter())
        return (self._smoothed(self.action_counts_, key, len(self.actions_)),
                self._smoothed(self.lane_counts_, key, len(LANES)), pro,
                self.delay_median_.get(key, self.delay_median_.get(None, 0.0)),
                self._relevance(q, key, kinds))

    def _relevance(self, q: Query, key, kinds: Counter) -> np.ndarray:
        """P(candidate is the target | last event): the last event's own artifact gets the
        share of times it was the target after such an event; the rest is spread by kind."""
        cands = q.candidates or []
        artifact = q.window[-1].attributes.get("artifact")
        hits, n = self.last_is_target_.get(key, (0, 0))
        p_last = hits / n if n else 0.0
        total = sum(kinds.values()) or 1
        others = Counter(c.kind for c in cands if c.id != artifact)
        return np.array([p_last if c.id == artifact
                         else (1 - p_last) * kinds[c.kind] / total / others[c.kind]
                         for c in cands])


def make_baseline(name: str) -> _Baseline:
    table = {"uniform": UniformBaseline, "most_frequent": MostFrequentBaseline,
             "markov": MarkovBaseline}
    if name not in table:
        raise ValueError(f"unknown baseline {name!r}; choose one of {sorted(table)}")
    return table[name]()
