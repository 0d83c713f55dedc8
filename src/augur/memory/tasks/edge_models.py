"""Task 2's models, side by side. Each has `name` and
`predict_batch(source, candidates, cos=None) -> list[Prediction]` (one call per new
resource, as ingest makes it; `cos`: the candidates' cosines to the source when the
caller has them, e.g. from a store's vector search) and `predict(source, candidate)`
for one pair.

    none     always score 0, type none (the floor)
    time     score exp(-days apart); SEE_ALSO at or above the threshold
    cosine   MiniLM cosine of the two texts, mapped to the affinity scale by an
             isotonic fit on the train split; SEE_ALSO at or above the threshold
    scorer   logistic regression over pair features (below) with the graded affinity
             as a soft target, plus a softmax classifier for the type of a passing
             edge; trained on the train split, hyper-parameters chosen on val

Both fitted models follow scikit-learn's contract (`fit` returns self, learned state
ends in `_`, predicting before `fit` raises). Vectors are kept by resource id (and
embedded again when the id's text changes), so a resource is embedded once;
`warm(resources)` loads many at once through the on-disk embedding cache, as a store
holds the vectors of what it already has.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

import numpy as np

from augur.memory.tasks.base import Prediction
from augur.memory.tasks.harness import constants as C
from augur.memory.tasks.harness.edge_schema import (
    EdgeAnswer,
    EdgeExample,
    EdgeResource,
    TopicOverlap,
)
from augur.memory.tasks.query_fast import SoftmaxIntent

MODELS = ("none", "time", "cosine", "scorer")
_WORD = re.compile(r"[a-z][a-z0-9]{2,}")
_ID = re.compile(r"\b[a-z]+(?:-[a-z]+)*-\d+\b")
_CAP = re.compile(r"\b[A-Z][a-z]{2,}(?: [A-Z][a-z]{2,})*\b")
_STOP = frozenset((
    "the", "and", "for", "with", "from", "that", "this", "was", "are", "has", "have",
    "not", "you", "your", "our", "its", "into", "about", "on", "what", "when", "will",
    "all", "but", "can", "any", "one", "two", "per", "out", "off", "use", "new", "get",
    "got", "been", "were", "they", "them", "their", "there", "then", "than", "also",
    "just", "only", "some", "more", "most", "very", "over", "under", "after", "before",
    "while", "who", "which", "how", "why", "yes", "short", "answer", "thread", "topic",
    "started"))


def _answer(score: float, kind: str, reason: str, overlap: list[str]) -> Prediction:
    score = round(min(1.0, max(0.0, float(score))), 4)
    return Prediction(EdgeAnswer(type=kind, score=score, reason=reason[:300],
                                 metadata=TopicOverlap(topic_overlap=overlap[:8])),
                      text=reason)


def _gap_days(source: EdgeResource, candidate: EdgeResource) -> float:
    """Days from the candidate to the source (positive: the candidate is older)."""
    return (source.created_at - candidate.created_at).total_seconds() / 86400


class _Unfitted:
    def _check(self) -> None:
        if not hasattr(self, "coef_") and not hasattr(self, "x_"):
            raise RuntimeError(f"{type(self).__name__} is not fitted: call "
                               ".fit(edge_examples('train')) before predicting")

    def predict(self, source: EdgeResource, candidate: EdgeResource) -> Prediction:
        return self.predict_batch(source, [candidate])[0]


# ---- floors -----------------------------------------------------------------------------
class NoneModel:
    name = "none"

    def predict_batch(self, source, candidates, cos=None) -> list[Prediction]:
        return [_answer(0.0, "none", "never an edge", []) for _ in candidates]


class TimeModel:
    name = "time"

    def predict_batch(self, source, candidates, cos=None) -> list[Prediction]:
        out = []
        for c in candidates:
            s = math.exp(-abs(_gap_days(source, c)))
            out.append(_answer(s, "SEE_ALSO" if s >= C.EDGE_THRESHOLD else "none",
                               f"{abs(_gap_days(source, c)):.1f} days apart", []))
        return out


# ---- embeddings -------------------------------------------------------------------------
class Vectors:
    """MiniLM unit vectors by resource id; a resource is embedded once."""

    def __init__(self, embedder=None) -> None:
        self.embedder = embedder
        self.by_id: dict[str, np.ndarray] = {}
        self.text_of: dict[str, str] = {}  # the text each vector is of: an id whose text
        # changed (a served request's candidate, a store's record) is embedded again

    def _unknown(self, resources: list[EdgeResource]) -> list[EdgeResource]:
        return list({r.id: r for r in resources
                     if self.text_of.get(r.id) != r.text()}.values())

    def _keep(self, resources: list[EdgeResource], matrix: np.ndarray) -> None:
        for r, v in zip(resources, matrix, strict=True):
            self.by_id[r.id], self.text_of[r.id] = v, r.text()

    def _embedder(self):
        if self.embedder is None:
            from augur.memory.embed import Embedder

            self.embedder = Embedder()
        return self.embedder

    def warm(self, resources: list[EdgeResource]) -> None:
        """Load many vectors at once, through the on-disk cache of the task harness."""
        from augur.memory.tasks.shots_cache import cached_matrix

        todo = sorted(self._unknown(resources), key=lambda r: r.id)
        if todo:
            self._keep(todo, cached_matrix([r.text() for r in todo], self._embedder()))

    def get(self, resources: list[EdgeResource]) -> np.ndarray:
        """(len(resources), dim) rows; those not yet known embedded in one batch."""
        todo = self._unknown(resources)
        if todo:
            self._keep(todo, self._embedder().embed([r.text() for r in todo]))
        return np.stack([self.by_id[r.id] for r in resources])

    def cosine(self, source: EdgeResource, candidates: list[EdgeResource]) -> np.ndarray:
        m = self.get([source, *candidates])
        return m[1:] @ m[0]


def _resources(examples: list[EdgeExample]) -> list[EdgeResource]:
    return list({r.id: r for ex in examples for r in (ex.source, ex.candidate)}.values())


def isotonic(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(sorted x, the non-decreasing least-squares fit of y there): pool adjacent
    violators. Predict with np.interp(new_x, *fit)."""
    order = np.argsort(x, kind="stable")
    vals: list[float] = []
    weights: list[float] = []
    sizes: list[int] = []
    for v in y[order]:
        vals.append(float(v))
        weights.append(1.0)
        sizes.append(1)
        while len(vals) > 1 and vals[-2] > vals[-1]:
            w = weights[-2] + weights[-1]
            v2 = (vals[-2] * weights[-2] + vals[-1] * weights[-1]) / w
            vals[-2:], weights[-2:], sizes[-2:] = [v2], [w], [sizes[-2] + sizes[-1]]
    return x[order], np.repeat(vals, sizes)


class CosineModel(_Unfitted):
    name = "cosine"

    def __init__(self, vectors: Vectors | None = None) -> None:
        self.vectors = vectors

    def warm(self, resources: list[EdgeResource]) -> None:
        self.vectors.warm(resources)

    def fit(self, examples: list[EdgeExample]) -> CosineModel:
        self.vectors = self.vectors or Vectors()
        self.vectors.warm(_resources(examples))
        cos = np.array([float(self.vectors.cosine(ex.source, [ex.candidate])[0])
                        for ex in examples])
        self.x_, self.y_ = isotonic(cos, np.array([ex.affinity for ex in examples]))
        return self

    def predict_batch(self, source, candidates, cos=None) -> list[Prediction]:
        self._check()
        cos = self.vectors.cosine(source, candidates) if cos is None else np.asarray(cos)
        scores = np.interp(cos, self.x_, self.y_)
        return [_answer(s, "SEE_ALSO" if s >= C.EDGE_THRESHOLD else "none",
                        f"cosine {c:.3f}", []) for s, c in zip(scores, cos, strict=True)]


# ---- the trained scorer -----------------------------------------------------------------
def _words(r: EdgeResource) -> set[str]:
    return {w for w in _WORD.findall(r.text().lower()) if w not in _STOP}


def _jaccard(a: set, b: set) -> float:
    return len(a & b) / len(a | b) if a | b else 0.0


class _Text:
    """What the scorer reads of one resource, computed once."""

    def __init__(self, r: EdgeResource, idf: dict[str, float], default_idf: float) -> None:
        text = r.text()
        self.r = r
        self.low = text.lower()
        self.words = _words(r)
        self.title = {w for w in _WORD.findall(r.name.lower()) if w not in _STOP}
        self.caps = set(_CAP.findall(text)) - {r.name}
        self.ids = set(_ID.findall(self.low))
        tf = Counter(w for w in _WORD.findall(self.low) if w not in _STOP)
        self.vec = {w: (1 + math.log(n)) * idf.get(w, default_idf) for w, n in tf.items()}
        self.norm = math.sqrt(sum(v * v for v in self.vec.values())) or 1.0


@dataclass
class ScorerConfig:
    """Hyper-parameters, chosen on the val split, never test: L2 0 / 1e-3 / 1e-2 / 3e-2
    gave val F1 0.862 / 0.872 / 0.847 / 0.824 and Pearson 0.882 / 0.883 / 0.883 / 0.877."""

    l2: float = 1e-3  # on the affinity regression's weights
    steps: int = 3000  # full-batch gradient steps (both heads)
    lr: float = 0.5  # on standardised features
    type_l2: float = 1e-3  # on the type classifier's weights
    min_pair: int = 5  # a kind pair gets its own feature when train has this many


class ScorerModel(_Unfitted):
    name = "scorer"

    def __init__(self, cfg: ScorerConfig | None = None, vectors: Vectors | None = None) -> None:
        self.cfg = cfg or ScorerConfig()
        self.vectors = vectors

    def warm(self, resources: list[EdgeResource]) -> None:
        self.vectors.warm(resources)

    # features ---------------------------------------------------------------------------
    def _text(self, r: EdgeResource, seen: dict[str, _Text]) -> _Text:
        """r's text features: from training (`_texts`, kept while the id's record is the
        same), else from `seen` (this call's), else computed into `seen`. Only training
        texts are kept across calls: a store's records would pile up in memory."""
        for cache in (self._texts, seen):
            t = cache.get(r.id)
            if t is not None and (t.r is r or t.r == r):
                return t
        t = seen[r.id] = _Text(r, self.idf_, self.default_idf_)
        return t

    def _pair(self, s: _Text, c: _Text, cos: float) -> list[float]:
        gap = _gap_days(s.r, c.r)
        near = float(abs(gap) <= 3)
        tfidf = sum(v * c.vec.get(w, 0.0) for w, v in s.vec.items()) / (s.norm * c.norm)
        title = _jaccard(s.title, c.title)
        contain = max(len(s.title & c.words) / max(1, len(s.title)),
                      len(c.title & s.words) / max(1, len(c.title)))
        named = float(s.r.name.lower() in c.low or c.r.name.lower() in s.low)
        caps = _jaccard(s.caps, c.caps)
        mentioned = float(s.r.id in c.ids or c.r.id in s.ids)
        pair = f"{s.r.kind}>{c.r.kind}"
        return [cos, math.log1p(abs(gap)), float(np.sign(gap)), float(abs(gap) <= 1), near,
                float(s.r.kind == c.r.kind), tfidf, title, contain, named, caps,
                math.log1p(len(s.ids & c.ids)), mentioned, near * cos, near * tfidf,
                near * title, near * contain, near * caps,
                *(float(s.r.kind == k) for k in self.kinds_),
                *(float(c.r.kind == k) for k in self.kinds_),
                *(float(pair == p) for p in self.pairs_)]

    def _features(self, source: EdgeResource, candidates: list[EdgeResource], cos=None,
                  seen: dict[str, _Text] | None = None) -> np.ndarray:
        cos = self.vectors.cosine(source, candidates) if cos is None else np.asarray(cos)
        seen = self._texts if seen is None else seen
        s = self._text(source, seen)
        x = np.array([self._pair(s, self._text(c, seen), float(k)) for c, k in
                      zip(candidates, cos, strict=True)])
        return (x - self.mean_) / self.std_

    # fit / predict ----------------------------------------------------------------------
    def fit(self, examples: list[EdgeExample]) -> ScorerModel:
        self.vectors = self.vectors or Vectors()
        resources = _resources(examples)
        self.vectors.warm(resources)
        df = Counter(w for r in resources for w in _words(r))
        self.idf_ = {w: math.log((1 + len(resources)) / (1 + n)) + 1 for w, n in df.items()}
        self.default_idf_ = math.log(1 + len(resources)) + 1
        self._texts: dict[str, _Text] = {}
        self.kinds_ = sorted({r.kind for r in resources})
        pairs = Counter(f"{ex.source.kind}>{ex.candidate.kind}" for ex in examples)
        self.pairs_ = sorted(p for p, n in pairs.items() if n >= self.cfg.min_pair)
        self.mean_, self.std_ = 0.0, 1.0
        raw = np.concatenate([self._features(ex.source, [ex.candidate]) for ex in examples])
        self.mean_, self.std_ = raw.mean(0), raw.std(0) + 1e-6
        x = (raw - self.mean_) / self.std_
        y = np.array([ex.affinity for ex in examples])
        w, b = np.zeros(x.shape[1]), 0.0
        for _ in range(self.cfg.steps):  # logistic regression on soft targets
            p = 1 / (1 + np.exp(-(x @ w + b)))
            g = (p - y) / len(y)
            w -= self.cfg.lr * (x.T @ g + self.cfg.l2 * w)
            b -= self.cfg.lr * g.sum()
        self.coef_, self.intercept_ = w, b
        edges = [i for i, ex in enumerate(examples) if ex.type != "none"]
        self.types_ = SoftmaxIntent(x[edges], [examples[i].type for i in edges],
                                    l2=self.cfg.type_l2, steps=self.cfg.steps, lr=self.cfg.lr)
        return self

    def predict_batch(self, source, candidates, cos=None) -> list[Prediction]:
        self._check()
        seen: dict[str, _Text] = {}
        x = self._features(source, candidates, cos, seen)
        scores = 1 / (1 + np.exp(-(x @ self.coef_ + self.intercept_)))
        proba = self.types_._proba(x)
        s = self._text(source, seen)
        out = []
        for score, pr, c in zip(scores, proba, candidates, strict=True):
            kind = self.types_.classes[int(np.argmax(pr))] if score >= C.EDGE_THRESHOLD \
                else "none"
            shared = sorted(s.words & self._text(c, seen).title, key=lambda w: -self.idf_.get(
                w, self.default_idf_))[:3]
            out.append(_answer(score, kind, f"{kind} at {score:.2f}", shared))
        return out


def harness_vectors(embedder=None) -> Vectors:
    """Vectors of every resource of the three frozen splits, loaded in one call (so the
    on-disk cache holds one matrix, embedded once: about a minute on two cores)."""
    from augur.memory.tasks.harness.data import EDGE_SPLITS, edge_examples

    vectors = Vectors(embedder)
    vectors.warm([r for s in EDGE_SPLITS for r in _resources(edge_examples(s))])
    return vectors


def make_edge_model(name: str, vectors: Vectors | None = None):
    """A task-2 model by name; the fitted ones are fit on the frozen train split, with
    `vectors` (default: harness_vectors()) holding every resource's embedding."""
    if name == "none":
        return NoneModel()
    if name == "time":
        return TimeModel()
    if name not in MODELS:
        raise ValueError(f"--model: expected one of {', '.join(MODELS)} for task edges, "
                         f"got {name!r}")
    from augur.memory.tasks.harness.data import edge_examples

    vectors = vectors or harness_vectors()
    model = CosineModel(vectors) if name == "cosine" else ScorerModel(vectors=vectors)
    return model.fit(edge_examples("train"))
