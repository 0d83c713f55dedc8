"""transformers on the same SmolLM2 GGUF, dequantized (slow: the load takes ~20 s)."""

from __future__ import annotations

import pytest
from llm_cases import HELLO, TIP_MESSAGES, Tip, Unsatisfiable

from augur.llm.hf import TransformersBackend
from augur.llm.structured import StructuredOutputError, generate_structured

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def hf(smollm2):
    backend = TransformersBackend(smollm2).load()
    yield backend
    backend.close()


def test_short_greedy_generation_repeats(hf):
    gen = hf.generate(HELLO, max_tokens=12, temperature=0.0)
    assert hf.name == "transformers:SmolLM2-135M-Instruct.Q4_1"
    assert gen.text.strip() and gen.prompt_tokens > 5 and 0 < gen.completion_tokens <= 12
    assert not gen.constrained and gen.latency_s > 0
    assert hf.generate(HELLO, max_tokens=12, temperature=0.0).text == gen.text


def test_structured_output_is_validated_without_a_grammar(hf):
    tip, gen = generate_structured(hf, TIP_MESSAGES, Tip, max_tokens=48, retries=2, seed=0)
    assert isinstance(tip, Tip) and not gen.constrained


def test_text_that_never_validates_is_retried_then_refused(hf):
    with pytest.raises(StructuredOutputError, match=r"3 attempt\(s\)(?s:.*)no number of minutes"):
        generate_structured(hf, TIP_MESSAGES, Unsatisfiable, max_tokens=48, retries=2, seed=0)
