"""The shot index's embedding cache: built once, read back, never trusted when it is
damaged or stale (real MiniLM, a few dozen training requests, a private cache folder)."""

from __future__ import annotations

import numpy as np
import pytest

from augur.memory.embed import EmbedConfig, Embedder
from augur.memory.tasks.harness.data import query_examples
from augur.memory.tasks.query_models import ShotIndex
from augur.memory.tasks.shots_cache import cache_path, cached_shot_index


class CountingEmbedder(Embedder):
    """The real embedder, counting the texts it is asked to embed."""

    def __init__(self, cfg: EmbedConfig | None = None) -> None:
        super().__init__(cfg)
        self.texts = 0

    def embed(self, texts: list[str]) -> np.ndarray:
        self.texts += len(texts)
        return super().embed(texts)


@pytest.fixture(scope="module")
def examples():
    return query_examples("train")[:40]


@pytest.fixture(scope="module")
def embedder():
    return CountingEmbedder()


def test_the_second_build_reads_the_cache(examples, embedder, tmp_path):
    embedder.texts = 0
    first = cached_shot_index(examples, embedder, tmp_path)
    assert embedder.texts == 40
    path = cache_path([e.text for e in examples], embedder, tmp_path)
    assert path.is_file() and [p.name for p in path.parent.iterdir()] == [path.name]  # no tmp

    embedder.texts = 0
    second = cached_shot_index(examples, embedder, tmp_path)
    assert embedder.texts <= 3  # only the spot check of a few rows
    np.testing.assert_array_equal(first.matrix, second.matrix)
    assert second.matrix.dtype == np.float32 and second.matrix.shape == (40, embedder.dim)

    # The same object ShotIndex builds, nearest neighbours included.
    direct = ShotIndex(examples, embedder)
    np.testing.assert_allclose(second.matrix, direct.matrix, atol=1e-5)
    near, _ = second.nearest(examples[7].text, 2)
    assert near[0].id == examples[7].id


@pytest.mark.parametrize("damage", ["truncated", "garbage", "shuffled", "wrong shape"])
def test_a_damaged_cache_is_rebuilt_not_trusted(examples, embedder, tmp_path, damage):
    good = cached_shot_index(examples, embedder, tmp_path).matrix
    path = cache_path([e.text for e in examples], embedder, tmp_path)
    if damage == "truncated":
        path.write_bytes(path.read_bytes()[:500])
    elif damage == "garbage":
        path.write_bytes(b"not a numpy file at all")
    elif damage == "shuffled":  # well formed, unit rows, but not these texts' vectors
        np.save(path, good[::-1].copy())
    else:
        np.save(path, good[:10])

    embedder.texts = 0
    with pytest.warns(UserWarning, match="shot embedding cache"):
        rebuilt = cached_shot_index(examples, embedder, tmp_path).matrix
    assert embedder.texts >= 40  # embedded again
    np.testing.assert_allclose(rebuilt, good, atol=1e-5)
    np.testing.assert_array_equal(np.load(path), rebuilt)  # and the file is whole again


def test_the_key_follows_the_texts_and_the_embedder(examples, embedder, tmp_path):
    texts = [e.text for e in examples]
    path = cache_path(texts, embedder, tmp_path)
    assert cache_path(texts[:-1], embedder, tmp_path) != path
    assert cache_path(list(reversed(texts)), embedder, tmp_path) != path
    shorter = Embedder(EmbedConfig(max_tokens=64))  # cuts texts elsewhere: other vectors
    assert cache_path(texts, shorter, tmp_path) != path
    assert cache_path(texts, CountingEmbedder(), tmp_path) == path


def test_no_examples_is_an_error(embedder, tmp_path):
    with pytest.raises(ValueError, match="got none"):
        cached_shot_index([], embedder, tmp_path)
