"""The embedding forecaster on world-events cases: valid probabilities, better than
uniform on cases it never saw, deterministic by seed, and blind to each level's own
label. The real MiniLM embeds about 2,200 short texts once for the module."""

from __future__ import annotations

import numpy as np
import pytest

from augur.forecast.forecasters.embedding import (
    EmbeddingConfig,
    EmbeddingForecaster,
    ForecasterError,
    TextVectors,
    situation,
)
from augur.forecast.harness.levels import to_forecasts
from augur.forecast.harness.metrics import score_levels
from augur.forecast.world_events import world_cases

CFG = dict(max_epochs=15, seed=0)


@pytest.fixture(scope="module")
def split():
    cases = world_cases(300, seed=0, depth=2)
    train = [c for c in cases if c.split == "train"][:120]
    held_out = [c for c in cases if c.split != "train"]
    return train, held_out


@pytest.fixture(scope="module")
def vectors():
    return TextVectors()


@pytest.fixture(scope="module")
def fitted(split, vectors):
    return EmbeddingForecaster(EmbeddingConfig(**CFG), vectors=vectors).fit(split[0])


def _valid(probs, case):
    assert len(probs) == len(case.levels)
    for p, level in zip(probs, case.levels, strict=True):
        assert len(p) == len(level.candidates)
        assert all(np.isfinite(p)) and min(p) >= 0 and abs(sum(p) - 1) < 1e-9


def test_probabilities_are_valid_and_beat_uniform_on_held_out_cases(fitted, split):
    held_out = split[1]
    probs = fitted.predict_many(held_out)
    for p, case in zip(probs, held_out, strict=True):
        _valid(p, case)
    # one case alone: the same numbers, up to float32 sums batched differently
    assert np.allclose(np.concatenate(probs[0]), np.concatenate(fitted.predict(held_out[0])),
                       atol=1e-6)
    levels = [lv for c in held_out for lv in c.levels]
    report = score_levels({"embedding": to_forecasts(levels, [p for c in probs for p in c])})
    scores = report["overall"]["forecasters"]
    assert report["overall"]["n"] >= 100
    assert scores["embedding"]["loss"] < scores["uniform"]["loss"] - 0.05
    assert scores["embedding"]["brier"] < scores["uniform"]["brier"]
    assert fitted.fit_report_["train_cases"] + fitted.fit_report_["val_cases"] == 120


def test_same_seed_same_forecasts(fitted, split, vectors):
    again = EmbeddingForecaster(EmbeddingConfig(**CFG), vectors=vectors).fit(split[0])
    other = EmbeddingForecaster(EmbeddingConfig(**{**CFG, "seed": 1}),
                                vectors=vectors).fit(split[0])
    case = split[1][0]
    assert again.predict(case) == fitted.predict(case)
    assert other.predict(case) != fitted.predict(case)


def test_a_level_never_reads_its_own_label(fitted, split):
    case = split[1][0]
    moved = case.model_copy(deep=True)
    last = moved.levels[-1]
    j = (last.actual + 1) % len(last.candidates)
    for i, cand in enumerate(last.candidates):
        cand.label = int(i == j)
    assert fitted.predict(moved) == fitted.predict(case)
    # the previous level's actual outcome is the path: moving it changes the next forecast
    first = moved.levels[0]
    j = (first.actual + 1) % len(first.candidates)
    for i, cand in enumerate(first.candidates):
        cand.label = int(i == j)
    assert fitted.predict(moved)[0] == fitted.predict(case)[0]
    assert fitted.predict(moved)[1] != fitted.predict(case)[1]


def test_predict_before_fit_and_too_few_cases_are_refused(split):
    with pytest.raises(ForecasterError, match="before fit"):
        EmbeddingForecaster().predict(split[1][0])
    with pytest.raises(ForecasterError, match="at least 10 training cases"):
        EmbeddingForecaster().fit(split[0][:3])


class CountingEmbedder:
    def __init__(self):
        self.seen = []

    def embed(self, texts):
        self.seen.extend(texts)
        return np.stack([np.random.default_rng(abs(hash(t)) % 2**32).normal(size=8)
                         for t in texts]).astype(np.float32)


def test_each_text_is_embedded_once():
    emb = CountingEmbedder()
    vec = TextVectors(emb)
    rows = vec.index(["a", "b", "a"])
    assert rows[0] == rows[2] != rows[1] and emb.seen == ["a", "b"]
    assert vec.index(["b", "c"])[0] == rows[1] and emb.seen == ["a", "b", "c"]
    assert vec.table.shape == (4, 8) and not vec.table[0].any()  # row 0 pads


def test_situation_is_context_and_history_or_the_seed(split):
    case = split[0][0]
    assert situation(case) == case.context
    bare = case.model_copy(update={"context": None})
    assert situation(bare) == case.seed.text
    assert situation(bare.model_copy(update={"history": ["x", "y"]})) == "Before: x; y."


def test_registered_by_name():
    from augur.forecast.forecasters.embedding import make_embedding_forecaster
    from augur.forecast.registry import factory

    assert factory("embedding") is make_embedding_forecaster
