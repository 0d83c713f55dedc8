"""The size guard: parameter counts read before any weights load, and refusals."""

from __future__ import annotations

import json
import re

import pytest

import augur.llm.backend as backend_module
from augur.llm.backend import BackendError, ModelTooLarge, check_size
from augur.llm.hf import TransformersBackend
from augur.llm.llamacpp import LlamaCppBackend
from augur.llm.models import config_params, gguf_params

LLAMA_7B = {"model_type": "llama", "hidden_size": 4096, "num_hidden_layers": 32,
            "intermediate_size": 11008, "vocab_size": 32000, "num_attention_heads": 32,
            "tie_word_embeddings": False}


def test_smollm2_gguf_reports_135m_params(smollm2):
    assert smollm2.name == "SmolLM2-135M-Instruct.Q4_1.gguf"
    assert 1e8 < gguf_params(smollm2) < 2e8


def test_check_size_refuses_over_the_limit():
    check_size(None, "a remote endpoint")  # unknown size: allowed
    check_size(135_000_000, "SmolLM2")
    with pytest.raises(ModelTooLarge, match=r"big-model has 5\.0 B parameters"):
        check_size(5_000_000_000, "big-model")


def test_llama_cpp_checks_size_before_loading(smollm2, monkeypatch):
    monkeypatch.setattr(backend_module, "MAX_PARAMS", 100_000_000)
    backend = LlamaCppBackend(smollm2)
    with pytest.raises(ModelTooLarge, match="SmolLM2"):
        backend.load()
    assert backend._llm is None


def test_config_params_estimates_a_7b_llama(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps(LLAMA_7B))
    assert config_params(tmp_path) == pytest.approx(6.74e9, rel=0.01)
    assert config_params(tmp_path / "config.json") == config_params(tmp_path)


def test_config_params_reads_grouped_heads_and_nested_text_configs(tmp_path):
    smol = {"hidden_size": 576, "num_hidden_layers": 30, "intermediate_size": 1536,
            "vocab_size": 49152, "num_attention_heads": 9, "num_key_value_heads": 3,
            "tie_word_embeddings": True}
    (tmp_path / "config.json").write_text(json.dumps({"text_config": smol}))
    assert config_params(tmp_path) == pytest.approx(134.5e6, rel=0.01)  # the GGUF's count
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "mystery"}))
    assert config_params(tmp_path) is None


def test_transformers_refuses_a_7b_config_before_loading_weights(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps(LLAMA_7B))  # and no weights at all
    backend = TransformersBackend(tmp_path)
    with pytest.raises(ModelTooLarge, match=r"6\.7 B parameters"):
        backend.load()
    assert backend._model is None


def test_unreadable_model_files_are_named(tmp_path):
    junk = tmp_path / "junk.gguf"
    junk.write_bytes(b"not a model")
    with pytest.raises(BackendError, match=re.escape(f"{junk}: not a GGUF")):
        gguf_params(junk)
    with pytest.raises(BackendError, match="config.json: not found"):
        config_params(tmp_path)
    (tmp_path / "config.json").write_text("{")
    with pytest.raises(BackendError, match="not readable JSON"):
        config_params(tmp_path)
