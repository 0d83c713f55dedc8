"""The SQLite store's in-memory indexes against the brute force they stand in for."""

from __future__ import annotations

import numpy as np
import pytest

from augur.memory.store import rows as R
from augur.memory.store.trigram_index import TrigramIndex
from augur.memory.store.vector_index import VectorIndex, VectorIndexConfig

NAMES = ["machine learning notes", "quarterly budget review", "mac mini setup",
         "Budget review (draft)", "", "learning plan for the quarter", "notes"]


@pytest.mark.parametrize("text", ["machin lerning", "budget reveiw", "notes", "quarter",
                                  "zzz", "!!"])
def test_trigram_index_gives_pg_trgm_similarity_of_every_name(text):
    ids = [f"r{i}" for i in range(len(NAMES))]
    index = TrigramIndex(ids, NAMES)
    got = index.search(text, 0.1, 10)
    want = sorted(((i, R.similarity(text, n)) for i, n in zip(ids, NAMES, strict=True)
                   if R.similarity(text, n) >= 0.1), key=lambda x: (-x[1], x[0]))
    assert [i for i, _ in got] == [i for i, _ in want]
    assert [s for _, s in got] == pytest.approx([s for _, s in want])


def test_trigram_index_limit_keeps_ties_by_id():
    index = TrigramIndex(["b", "a", "c"], ["same name", "same name", "other"])
    assert index.search("same name", 0.5, 1) == [("a", 1.0)]


def _unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def _clustered(n: int, dim: int = 64, seed: int = 0) -> np.ndarray:
    """Unit vectors around 50 centres with variance falling off across directions, like
    sentence embeddings of related texts (the centres are the same for every seed)."""
    centres = np.random.default_rng(99).normal(size=(50, dim))
    rng = np.random.default_rng(seed)
    spread = np.linspace(1.0, 0.05, dim)
    return _unit(centres[rng.integers(0, 50, n)] + 0.6 * rng.normal(size=(n, dim)) * spread)


def test_small_matrices_are_searched_exactly():
    m = _clustered(500)
    index = VectorIndex([f"v{i}" for i in range(500)], m)
    assert index.projected is None
    q = m[7]
    got = index.search(q, 5)
    assert got[0] == ("v7", pytest.approx(1.0))
    assert [s for _, s in got] == pytest.approx(sorted(m @ q, reverse=True)[:5])


def test_the_projected_index_finds_the_exact_neighbours_with_exact_scores():
    m = _clustered(6000)
    cfg = VectorIndexConfig(exact_below=1000, dims=32, candidates=300, sample=3000)
    index = VectorIndex([f"v{i}" for i in range(len(m))], m, cfg)
    assert index.projected is not None and index.projected.shape == (6000, 32)
    queries = _clustered(40, seed=1)
    found = []
    for q in queries:
        got = index.search(q, 10)
        exact = np.sort(m @ q)[::-1][:10]
        assert [s for _, s in got] == sorted((s for _, s in got), reverse=True)
        # Every score is the true cosine of the row it names.
        assert all(s == pytest.approx(float(m[int(i[1:])] @ q), abs=1e-5) for i, s in got)
        found.append(np.mean([s >= exact[-1] - 1e-6 for _, s in got]))
    assert np.mean(found) >= 0.95


def test_a_filter_mask_is_honoured_in_both_modes():
    m = _clustered(3000)
    allowed = np.zeros(3000, dtype=bool)
    allowed[::7] = True
    for cfg in (VectorIndexConfig(exact_below=10**6),
                VectorIndexConfig(exact_below=100, dims=16, candidates=50)):
        index = VectorIndex([f"v{i}" for i in range(3000)], m, cfg)
        got = index.search(m[14], 20, allowed)
        assert got and all(int(i[1:]) % 7 == 0 for i, _ in got)
        assert got[0][0] == "v14"
    none = VectorIndex(["a"], m[:1]).search(m[0], 3, np.zeros(1, dtype=bool))
    assert none == []
