"""Backend specs build backends without loading a model."""

from __future__ import annotations

import re

import pytest

from augur.llm.backend import Backend, BackendError
from augur.llm.factory import make_backend
from augur.llm.hf import TransformersBackend
from augur.llm.llamacpp import LlamaCppBackend
from augur.llm.openai_compat import OpenAIBackend


def test_specs_make_each_kind_unloaded(smollm2):
    llama = make_backend("llamacpp")
    assert isinstance(llama, LlamaCppBackend) and llama.model_path == smollm2
    assert llama._llm is None
    assert make_backend(f"llamacpp:{smollm2}").name == "llamacpp:SmolLM2-135M-Instruct.Q4_1"
    hf = make_backend("transformers")
    assert isinstance(hf, TransformersBackend) and hf._model is None
    assert hf.name == "transformers:SmolLM2-135M-Instruct.Q4_1"
    remote = make_backend("openai:http://127.0.0.1:8080/v1#smollm2")
    assert isinstance(remote, OpenAIBackend) and remote.model == "smollm2"
    assert remote.url == "http://127.0.0.1:8080/v1/chat/completions"
    assert all(isinstance(b, Backend) for b in (llama, hf, remote))


def test_base_urls_with_or_without_v1_reach_the_same_endpoint():
    urls = {OpenAIBackend(u, "m").url for u in
            ("http://h:1", "http://h:1/", "http://h:1/v1", "http://h:1/v1/")}
    assert urls == {"http://h:1/v1/chat/completions"}


@pytest.mark.parametrize("spec, message", [
    ("ollama:llama3", r"unknown kind 'ollama'; expected one of llamacpp\[:FILE.gguf\], "
                      r"transformers\[:FOLDER\|FILE.gguf\], openai:URL#MODEL"),
    ("openai:http://127.0.0.1:8080/v1", "expected openai:URL#MODEL"),
    ("openai:#model", "expected openai:URL#MODEL"),
])
def test_bad_specs_say_what_is_expected(spec, message):
    with pytest.raises(ValueError, match=message):
        make_backend(spec)


def test_a_missing_model_path_is_named(tmp_path):
    with pytest.raises(BackendError, match=re.escape(f"{tmp_path / 'x.gguf'}: not found")):
        make_backend(f"llamacpp:{tmp_path / 'x.gguf'}")
    with pytest.raises(BackendError, match=re.escape(f"{tmp_path / 'nothing'}: not found")):
        make_backend(f"transformers:{tmp_path / 'nothing'}")
