"""Task 3's models, side by side. Each has `name`, `predict_lines(lines) -> Prediction`
(one transcript, already parsed) and `predict(text)` for a transcript as text.

    one      the whole transcript is one moment of the train split's commonest type
    fixed    a boundary every N minutes (N: the mean train segment length), that type
    tiling   TextTiling over MiniLM line embeddings: cosine of the windows either side
             of each gap between lines, a boundary at a deep enough valley or after a
             long enough silence (window, depth and gap chosen on val); moments
             labelled by the trained labeller below
    trained  a logistic boundary classifier over gap features (window cosines, depth,
             time gap, speaker change, how far the line-type distributions either side
             differ), then the trained labeller

The labeller (fitted on train): type by a logistic classifier over the segment's mean
line embedding and its hour and length; emotions one-vs-rest logistic over the same;
topics one-vs-rest logistic over the same features, which topics' names the segment
writes, and which cues fire (a cue: a word that came with the topic in >= 90 % of the
at least 4 train segments holding it); only half the gold topics are written in a
segment's lines, so the classifier reads the project from the rest (on val's gold
segments the cues alone: precision 0.87, recall 0.43; the classifier at 0.5: 0.89,
0.81);
people: the speakers, resolved against the memory's person entities
(augur.memory.entities.EntityResolver). Names and summaries are a template
of the type, the top topic and the time (`template_words`); an LLM writes
them instead through words.py / writer_models.py.

Fitted models follow scikit-learn's contract: `fit` returns self, learned state ends
in `_`, predicting before `fit` raises.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

import numpy as np

from augur.memory.tasks.base import Prediction
from augur.memory.tasks.harness.moment_schema import (
    MomentAnswer,
    MomentExample,
    MomentLine,
    MomentOut,
)

MODELS = ("one", "fixed", "tiling", "trained")
_WORD = re.compile(r"[a-z][a-z0-9-]{2,}")
TYPE_WORDS = {"problem_solving": "Problem solving", "coding": "Coding", "meeting": "Meeting",
              "incident": "Incident", "review": "Review", "admin": "Inbox and admin",
              "break": "Break", "planning": "Planning", "reflection": "Reflection"}


@dataclass
class MomentsConfig:
    tiling_windows: tuple[int, ...] = (1, 2, 3)
    tiling_depths: tuple[float, ...] = (0.05, 0.1, 0.15, 0.2, 0.3, 0.4)
    gaps_min: tuple[float, ...] = (5.0, 8.0, 10.0, 15.0, 20.0, 30.0, 1e9)
    l2: float = 1.0  # inverse regularisation (sklearn's C) of every logistic model
    boundary_thresholds: tuple[float, ...] = (0.3, 0.4, 0.5, 0.6, 0.7)
    emotion_threshold: float = 0.6  # on val: micro F1 0.79 at 0.4, 0.83 at 0.6, 0.81 at 0.7
    topic_c: float = 10.0  # sklearn's C of the topic classifiers (chosen on val)
    topic_threshold: float = 0.5  # precision first: 0.4 gains 3 points of recall, loses 3
    cue_precision: float = 0.9
    cue_support: int = 4
    seed: int = 0


# ---- shared pieces ---------------------------------------------------------------------
def _ranges(cuts: list[int], n: int) -> list[tuple[int, int]]:
    """Line ranges [first, last] from the lines that start a segment."""
    starts = [0, *sorted(c for c in set(cuts) if 0 < c < n)]
    return [(a, b - 1) for a, b in zip(starts, [*starts[1:], n], strict=True)]


def _gap_minutes(lines: list[MomentLine]) -> np.ndarray:
    return np.array([0.0, *((b.ts - a.ts).total_seconds() / 60
                            for a, b in zip(lines, lines[1:], strict=False))])


def _window_cos(emb: np.ndarray, w: int) -> np.ndarray:
    """cos[i]: cosine of the mean of lines [i-w, i) and of [i, i+w) (cos[0] = 1)."""
    out = np.ones(len(emb))
    for i in range(1, len(emb)):
        a, b = emb[max(0, i - w):i].mean(0), emb[i:i + w].mean(0)
        out[i] = float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-9))
    return out


def _depth(sim: np.ndarray) -> np.ndarray:
    """TextTiling's depth score: how far each gap's similarity sits below the highest
    peak reached by climbing left and right from it."""
    out = np.zeros(len(sim))
    for i in range(1, len(sim)):
        left = i
        while left > 1 and sim[left - 1] >= sim[left]:
            left -= 1
        right = i
        while right + 1 < len(sim) and sim[right + 1] >= sim[right]:
            right += 1
        out[i] = (sim[left] - sim[i]) + (sim[right] - sim[i])
    return out


def _words(text: str) -> set[str]:
    return set(_WORD.findall(text.lower()))


class _Embed:
    """MiniLM line vectors: train/val texts once through the harness's disk cache."""

    def __init__(self, embedder=None) -> None:
        self.embedder = embedder

    def __getstate__(self) -> dict:
        # A pickled model (moment_ingest's disk cache) leaves the embedder out: a torch
        # model, given again (or made on first use) after loading.
        return {"embedder": None}

    def get(self):
        if self.embedder is None:
            from augur.memory.embed import Embedder

            self.embedder = Embedder()
        return self.embedder

    def lines(self, lines: list[MomentLine]) -> np.ndarray:
        return self.get().embed([x.text for x in lines])

    def many(self, examples: list[MomentExample]) -> list[np.ndarray]:
        from augur.memory.tasks.shots_cache import cached_matrix

        texts = [x.text for ex in examples for x in ex.lines]
        m = cached_matrix(texts, self.get())
        out, i = [], 0
        for ex in examples:
            out.append(m[i:i + len(ex.lines)])
            i += len(ex.lines)
        return out


# ---- the labeller ----------------------------------------------------------------------
class Labeller:
    """Type, emotions, topics and people of a segment (fitted on train)."""

    def __init__(self, cfg: MomentsConfig, people: list | None = None) -> None:
        self.cfg = cfg
        self.people = people  # [(resolver, {entity id: name})] per memory

    @staticmethod
    def _features(lines: list[MomentLine], emb: np.ndarray) -> np.ndarray:
        hour = lines[0].ts.hour + lines[0].ts.minute / 60
        minutes = (lines[-1].ts - lines[0].ts).total_seconds() / 60
        extra = [(hour - 12) / 4, np.log1p(minutes) / 4, len(lines) / 10,
                 len({x.speaker for x in lines}) / 3]
        return np.concatenate([emb.mean(0), extra])

    def fit(self, segs: list[tuple[list[MomentLine], np.ndarray, object]]) -> Labeller:
        from sklearn.linear_model import LogisticRegression

        x = np.stack([self._features(lines, emb) for lines, emb, _ in segs])
        self.type_ = LogisticRegression(C=self.cfg.l2 * 10, max_iter=2000).fit(
            x, [g.moment_type for _, _, g in segs])
        labels = sorted({e for _, _, g in segs for e in g.emotion_tags})
        self.emotions_ = {}
        for lab in labels:
            y = [lab in g.emotion_tags for _, _, g in segs]
            if 0 < sum(y) < len(y):
                self.emotions_[lab] = LogisticRegression(C=self.cfg.l2 * 10,
                                                         max_iter=2000).fit(x, y)
        self._fit_topics(segs)
        xt = np.stack([self._topic_features(lines, emb) for lines, emb, _ in segs])
        self.topic_models_ = {}
        for t in self.topic_forms_:
            y = [t in g.topic_tags for _, _, g in segs]
            if 0 < sum(y) < len(y):
                self.topic_models_[t] = LogisticRegression(C=self.cfg.topic_c,
                                                           max_iter=3000).fit(xt, y)
        return self

    def _topic_features(self, lines: list[MomentLine], emb: np.ndarray) -> np.ndarray:
        text = " ".join(x.text for x in lines)
        words, rules = self._cue_words(text), set(self.cue_topics(text))
        topics = sorted(self.topic_forms_)
        return np.concatenate([self._features(lines, emb), [f"={t}" in words for t in topics],
                               [t in rules for t in topics]]).astype(float)

    def _fit_topics(self, segs) -> None:
        """Cues of a topic: its own name as written, and words, each kept only when the
        segments of train that hold it carry the topic often enough (cue_precision)."""
        topics = sorted({t for _, _, g in segs for t in g.topic_tags})
        self.topic_forms_ = {t: {t.lower(), t.replace("-", " ").lower()} for t in topics}
        seen: Counter = Counter()
        with_topic: Counter = Counter()
        for lines, _, g in segs:
            for w in self._cue_words(" ".join(x.text for x in lines)):
                seen[w] += 1
                for t in g.topic_tags:
                    with_topic[w, t] += 1
        self.cues_ = {}
        for (w, t), c in with_topic.items():
            if c >= self.cfg.cue_support and c / seen[w] >= self.cfg.cue_precision:
                self.cues_.setdefault(w, set()).add(t)

    def _cue_words(self, text: str) -> set[str]:
        low = text.lower()
        return _words(text) | {f"={t}" for t, forms in self.topic_forms_.items()
                               if any(re.search(rf"\b{re.escape(f)}\b", low) for f in forms)}

    def cue_topics(self, text: str) -> list[str]:
        out = [t for w in sorted(self._cue_words(text)) for t in sorted(self.cues_.get(w, ()))]
        return list(dict.fromkeys(out))

    def topics(self, lines: list[MomentLine], emb: np.ndarray) -> list[str]:
        """The topics whose classifier says so, likeliest first."""
        x = self._topic_features(lines, emb)[None]
        probs = {t: m.predict_proba(x)[0, 1] for t, m in self.topic_models_.items()}
        return sorted((t for t, p in probs.items() if p >= self.cfg.topic_threshold),
                      key=lambda t: -probs[t])

    def persons(self, lines: list[MomentLine], memory: int | None) -> list[str]:
        if not self.people:
            return []
        resolver, names = self.people[memory or 0]
        ids = [resolver.resolve(x.speaker) for x in lines]
        return list(dict.fromkeys(names[i] for i in ids if i in names))

    def memory_of(self, lines: list[MomentLine]) -> int:
        """Which memory knows most of the speakers (the transcript's own)."""
        if not self.people:
            return 0
        speakers = {x.speaker for x in lines}
        known = [sum(r.resolve(s) is not None for s in speakers) for r, _ in self.people]
        return int(np.argmax(known))

    def moment(self, lines: list[MomentLine], emb: np.ndarray, end, memory: int) -> MomentOut:
        if not hasattr(self, "type_"):
            raise RuntimeError("Labeller is not fitted: call .fit(train segments) first")
        x = self._features(lines, emb)[None]
        mtype = str(self.type_.predict(x)[0])
        emotions = [lab for lab, m in self.emotions_.items()
                    if m.predict_proba(x)[0, 1] >= self.cfg.emotion_threshold]
        return _moment(lines, end, mtype, emotions[:8], self.topics(lines, emb)[:16],
                       self.persons(lines, memory)[:16])


def template_words(start, end, mtype: str, emotions: list[str], topics: list[str],
                   people: list[str]) -> tuple[str, str]:
    """(name, summary) from the labels alone: the floor an LLM writer must clear."""
    top = f" on {topics[0]}" if topics else ""
    with_ = f" with {', '.join(people[:3])}" if len(people) > 1 else ""
    kind = TYPE_WORDS.get(mtype, mtype.replace("_", " ").capitalize())
    name = f"{kind}{top}"
    summary = (f"{kind}{with_}{top}, {start:%H:%M}-{end:%H:%M}"
               f"{'; felt ' + ', '.join(emotions) if emotions else ''}.")
    return name, summary


def _moment(lines, end, mtype: str, emotions: list[str], topics: list[str],
            people: list[str]) -> MomentOut:
    name, summary = template_words(lines[0].ts, end, mtype, emotions, topics, people)
    return MomentOut(name=name[:200], summary=summary[:600],
                     content=" / ".join(x.text for x in lines)[:600], start=lines[0].ts,
                     end=end, moment_type=mtype, emotion_tags=emotions, topic_tags=topics,
                     present_persons=people)


def _answer(lines: list[MomentLine], ranges, label) -> Prediction:
    moments = []
    for k, (a, b) in enumerate(ranges):
        end = lines[ranges[k + 1][0]].ts if k + 1 < len(ranges) else (
            lines[b].ts + timedelta(minutes=1))
        moments.append(label(a, b, max(end, lines[a].ts + timedelta(minutes=1))))
    return Prediction(MomentAnswer(moments=moments), text=f"{len(moments)} moments")


# ---- floors ----------------------------------------------------------------------------
class _Model:
    name = ""

    def predict(self, text: str) -> Prediction:
        from augur.memory.tasks.moments import parse_transcript

        return self.predict_lines(parse_transcript(text))


class OneModel(_Model):
    """The whole transcript as one moment of the commonest type."""

    name = "one"

    def fit(self, train: list[MomentExample]) -> OneModel:
        types = Counter(s.moment_type for ex in train for s in ex.segments)
        self.type_ = types.most_common(1)[0][0]
        self.minutes_ = float(np.mean([(s.end - s.start).total_seconds() / 60
                                       for ex in train for s in ex.segments]))
        return self

    def _check(self) -> None:
        if not hasattr(self, "type_"):
            raise RuntimeError(f"{type(self).__name__} is not fitted: call "
                               ".fit(moment_examples('train')) first")

    def _cuts(self, lines: list[MomentLine]) -> list[int]:
        return []

    def predict_lines(self, lines: list[MomentLine]) -> Prediction:
        self._check()
        return _answer(lines, _ranges(self._cuts(lines), len(lines)),
                       lambda a, b, end: _moment(lines[a:b + 1], end, self.type_, [], [], []))


class FixedModel(OneModel):
    """A boundary every N minutes, N the mean train segment length."""

    name = "fixed"

    def _cuts(self, lines: list[MomentLine]) -> list[int]:
        cuts, mark = [], lines[0].ts + timedelta(minutes=self.minutes_)
        for i, x in enumerate(lines):
            if x.ts >= mark:
                cuts.append(i)
                while mark <= x.ts:
                    mark += timedelta(minutes=self.minutes_)
        return cuts


# ---- embedding segmenters --------------------------------------------------------------
def memory_people() -> list:
    """[(EntityResolver, {id: name})] over the person entities of each world the task's
    transcripts come from (MOMENT_WORLD_SEEDS), as a memory holds them."""
    from augur.memory.entities import EntityResolver
    from augur.memory.tasks.harness import constants as C
    from augur.memory.world import WorldConfig, world_memory

    out = []
    for seed in C.MOMENT_WORLD_SEEDS:
        people = [e for e in world_memory(WorldConfig(seed=seed, days=C.WORLD_DAYS)).entities
                  if e.kind == "person"]
        resolver = EntityResolver()
        for e in people:
            resolver.add(e)
        out.append((resolver, {e.id: e.name for e in people}))
    return out


def _gold_cuts(ex: MomentExample) -> list[int]:
    return [s.first for s in ex.segments[1:]]


def boundary_f1(examples: list[MomentExample], cuts: list[list[int]]) -> float:
    """Boundary F1 of line cuts, as the harness counts it (for choosing on val)."""
    from augur.memory.tasks.harness import constants as C
    from augur.memory.tasks.harness.moment_metrics import match_boundaries

    tp = n_true = n_pred = 0
    for ex, cs in zip(examples, cuts, strict=True):
        t0 = ex.lines[0].ts
        minute = [(x.ts - t0).total_seconds() / 60 for x in ex.lines]
        tb, pb = _gold_cuts(ex), sorted(set(c for c in cs if 0 < c < len(ex.lines)))
        n_true, n_pred = n_true + len(tb), n_pred + len(pb)
        tp += match_boundaries([minute[i] for i in tb], [minute[i] for i in pb],
                               C.MOMENT_TOLERANCE_MIN)
    p, r = (tp / n_pred if n_pred else 0.0), (tp / n_true if n_true else 0.0)
    return 2 * p * r / (p + r) if p + r else 0.0


class _EmbedModel(_Model):
    def __init__(self, cfg: MomentsConfig | None = None, embedder=None, people=None) -> None:
        self.cfg = cfg or MomentsConfig()
        self.embed = _Embed(embedder)
        self.people = people

    def _fit_labeller(self, train: list[MomentExample], emb: list[np.ndarray]) -> None:
        segs = [(ex.lines[s.first:s.last + 1], e[s.first:s.last + 1], s)
                for ex, e in zip(train, emb, strict=True) for s in ex.segments]
        people = self.people if self.people is not None else memory_people()
        self.labeller_ = Labeller(self.cfg, people).fit(segs)

    def predict_lines(self, lines: list[MomentLine]) -> Prediction:
        if not hasattr(self, "labeller_"):
            raise RuntimeError(f"{type(self).__name__} is not fitted: call .fit(moment_examples"
                               "('train'), moment_examples('val')) first")
        emb = self.embed.lines(lines)  # (N, 384)
        memory = self.labeller_.memory_of(lines)
        cuts = self._cuts(lines, emb, memory)
        return _answer(lines, _ranges(cuts, len(lines)), lambda a, b, end: self.labeller_.moment(
            lines[a:b + 1], emb[a:b + 1], end, memory))


class TilingModel(_EmbedModel):
    """TextTiling over MiniLM line vectors plus silences; window, depth and gap on val."""

    name = "tiling"

    def fit(self, train: list[MomentExample], val: list[MomentExample]) -> TilingModel:
        self._fit_labeller(train, self.embed.many(train))
        emb = self.embed.many(val)
        best = (-1.0, None)
        for w in self.cfg.tiling_windows:
            sims = [_depth(_window_cos(e, w)) for e in emb]
            gaps = [_gap_minutes(ex.lines) for ex in val]
            for d in self.cfg.tiling_depths:
                for g in self.cfg.gaps_min:
                    cuts = [self._tile(s, gp, d, g) for s, gp in zip(sims, gaps, strict=True)]
                    f1 = boundary_f1(val, cuts)
                    if f1 > best[0]:
                        best = (f1, (w, d, g))
        self.val_f1_, (self.window_, self.depth_, self.gap_) = best
        return self

    @staticmethod
    def _tile(depth: np.ndarray, gaps: np.ndarray, d: float, g: float) -> list[int]:
        return [i for i in range(1, len(depth)) if depth[i] >= d or gaps[i] >= g]

    def _cuts(self, lines, emb, memory) -> list[int]:
        return self._tile(_depth(_window_cos(emb, self.window_)), _gap_minutes(lines),
                          self.depth_, self.gap_)


class TrainedModel(_EmbedModel):
    """A logistic classifier of "a moment starts at this line" over gap features."""

    name = "trained"

    def _line_types(self, emb: np.ndarray) -> np.ndarray:
        return self.line_type_.predict_proba(emb)  # (N, types)

    def _gap_features(self, lines, emb, probs, memory) -> np.ndarray:
        """(N, F) features of the gap before each line (row 0 unused)."""
        gaps = _gap_minutes(lines)
        cols = [_window_cos(emb, w) for w in (1, 2, 3)]
        cols += [_depth(c) for c in cols]
        cols += [np.log1p(gaps), gaps >= 5, gaps >= 10, gaps >= 20]
        if self.people:
            resolver = self.people[memory][0]
            who = [resolver.resolve(x.speaker) or x.speaker for x in lines]
        else:
            who = [x.speaker for x in lines]
        cols.append(np.array([0, *(a != b for a, b in zip(who, who[1:], strict=False))]))
        shift = np.zeros(len(lines))
        for i in range(1, len(lines)):
            shift[i] = np.abs(probs[max(0, i - 2):i].mean(0) - probs[i:i + 2].mean(0)).sum()
        cols.append(shift)
        return np.stack([np.asarray(c, dtype=float) for c in cols], 1)

    def fit(self, train: list[MomentExample], val: list[MomentExample]) -> TrainedModel:
        from sklearn.linear_model import LogisticRegression
        from sklearn.model_selection import cross_val_predict

        emb_tr, emb_val = self.embed.many(train), self.embed.many(val)
        self._fit_labeller(train, emb_tr)
        self.people = self.labeller_.people
        x_lines = np.concatenate(emb_tr)
        y_lines = [s.moment_type for ex in train for s in ex.segments
                   for _ in range(s.first, s.last + 1)]
        self.line_type_ = LogisticRegression(C=self.cfg.l2 * 10, max_iter=2000).fit(
            x_lines, y_lines)
        # out-of-fold line types for train, so the boundary model sees them as on new data
        oof = cross_val_predict(LogisticRegression(C=self.cfg.l2 * 10, max_iter=2000),
                                x_lines, y_lines, cv=3, method="predict_proba")
        xs, ys, i = [], [], 0
        for ex, e in zip(train, emb_tr, strict=True):
            probs = oof[i:i + len(ex.lines)]
            i += len(ex.lines)
            f = self._gap_features(ex.lines, e, probs, self.labeller_.memory_of(ex.lines))
            cuts = set(_gold_cuts(ex))
            xs.append(f[1:])
            ys += [j in cuts for j in range(1, len(ex.lines))]
        self.boundary_ = LogisticRegression(C=self.cfg.l2, max_iter=2000).fit(
            np.concatenate(xs), ys)
        scores = [self._scores(ex.lines, e, self.labeller_.memory_of(ex.lines))
                  for ex, e in zip(val, emb_val, strict=True)]
        best = max(self.cfg.boundary_thresholds, key=lambda t: boundary_f1(
            val, [[j for j in range(1, len(s)) if s[j] >= t] for s in scores]))
        self.threshold_ = best
        self.val_f1_ = boundary_f1(val, [[j for j in range(1, len(s)) if s[j] >= best]
                                         for s in scores])
        return self

    def _scores(self, lines, emb, memory) -> np.ndarray:
        f = self._gap_features(lines, emb, self._line_types(emb), memory)
        return np.concatenate([[0.0], self.boundary_.predict_proba(f[1:])[:, 1]])

    def _cuts(self, lines, emb, memory) -> list[int]:
        s = self._scores(lines, emb, memory) if len(lines) > 1 else np.zeros(1)
        return [j for j in range(1, len(lines)) if s[j] >= self.threshold_]


def make_moment_model(name: str, cfg: MomentsConfig | None = None, embedder=None):
    """A fitted model by name (fitted on the frozen train split; choices made on val)."""
    from augur.memory.tasks.harness.data import moment_examples

    if name not in MODELS:
        raise ValueError(f"moment model: expected one of {', '.join(MODELS)}, got {name!r}")
    train = moment_examples("train")
    if name == "one":
        return OneModel().fit(train)
    if name == "fixed":
        return FixedModel().fit(train)
    model = (TilingModel if name == "tiling" else TrainedModel)(cfg, embedder)
    return model.fit(train, moment_examples("val"))
