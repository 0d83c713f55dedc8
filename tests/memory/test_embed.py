"""The embedder: the shipped all-MiniLM-L6-v2 through the lean forward pass."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import torch

from augur.memory.bert import LeanBert
from augur.memory.embed import EmbedConfig, Embedder, EmbedderError


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    e = Embedder()
    e.embed_one("load")
    return e


def test_lean_forward_equals_transformers_with_padding(embedder):
    texts = ["a", "what did sarah say about the release plan",
             "a long text about the quarterly budget review " * 12]
    enc = embedder._tokenizer(texts, padding=True, truncation=True, max_length=128,
                              return_tensors="pt")
    with torch.inference_mode():
        want = embedder._model(**enc).last_hidden_state
    got = LeanBert(embedder._model)(enc["input_ids"], enc["attention_mask"])
    real = enc["attention_mask"].bool()  # padded positions are never pooled
    assert torch.allclose(got[real], want[real], atol=1e-4)


def test_vectors_are_unit_and_related_texts_are_closer(embedder):
    v = embedder.embed(["the build is failing on main", "the build failed on the main branch",
                        "recipe for banana bread"])
    assert v.shape == (3, 384) and v.dtype == np.float32
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    assert v[0] @ v[1] > v[0] @ v[2] + 0.2
    # One text alone or in a padded batch: the same vector.
    assert np.allclose(embedder.embed_one("recipe for banana bread"), v[2], atol=1e-5)


def test_threads_can_embed_at_once(embedder):
    texts = [f"note number {i} about the release" for i in range(8)]
    want = embedder.embed(texts)
    got: dict[int, np.ndarray] = {}
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            got[i] = embedder.embed_one(texts[i])
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert all(np.allclose(got[i], want[i], atol=1e-5) for i in range(8))


def test_a_folder_without_a_model_is_named(tmp_path):
    with pytest.raises(EmbedderError, match=str(tmp_path)):
        Embedder(EmbedConfig(path=tmp_path)).embed_one("x")


def test_lean_forward_refuses_what_it_does_not_cover(embedder):
    import copy

    model = copy.deepcopy(embedder._model)
    model.config.position_embedding_type = "relative_key"
    with pytest.raises(ValueError, match="position_embedding_type"):
        LeanBert(model)
