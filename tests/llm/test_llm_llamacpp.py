"""llama.cpp in process on the real SmolLM2-135M GGUF."""

from __future__ import annotations

import re

import pytest
from llm_cases import HELLO, RATING_MESSAGES, TIP_MESSAGES, Rating, Tip, Unsatisfiable

from augur.llm.backend import Backend, BackendError
from augur.llm.llamacpp import LlamaCppBackend
from augur.llm.structured import StructuredOutputError, generate_structured


def test_short_generation_has_text_and_token_counts(llama):
    gen = llama.generate(HELLO, max_tokens=12, temperature=0.0)
    assert isinstance(llama, Backend)
    assert llama.name == "llamacpp:SmolLM2-135M-Instruct.Q4_1"
    assert gen.text.strip()
    assert gen.prompt_tokens > 5 and 0 < gen.completion_tokens <= 12
    assert gen.latency_s > 0 and gen.tokens_per_s > 0
    assert gen.model == "SmolLM2-135M-Instruct.Q4_1.gguf" and not gen.constrained


def test_greedy_and_seeded_sampling_repeat_exactly(llama):
    greedy = [llama.generate(HELLO, max_tokens=16, temperature=0.0, seed=0).text
              for _ in range(2)]
    assert greedy[0] == greedy[1]
    sampled = [llama.generate(HELLO, max_tokens=16, temperature=0.9, seed=7).text
               for _ in range(2)]
    assert sampled[0] == sampled[1]


def test_structured_output_parses_10_of_10_under_the_grammar(llama):
    for seed in range(10):
        tip, gen = generate_structured(llama, TIP_MESSAGES, Tip, max_tokens=80,
                                       temperature=0.7, seed=seed)
        assert gen.constrained and isinstance(tip, Tip) and isinstance(tip.minutes, int)


def test_bounded_integers_stay_in_range_under_the_grammar(llama):
    for seed in range(5):
        rating, gen = generate_structured(llama, RATING_MESSAGES, Rating, max_tokens=32,
                                          temperature=1.0, seed=seed)
        assert gen.constrained and 1 <= rating.usefulness <= 5 and 0 < rating.minutes < 61


class Counting:
    """The real backend, with its calls counted."""

    def __init__(self, backend):
        self.backend, self.name, self.calls = backend, backend.name, 0

    def generate(self, *args, **kwargs):
        self.calls += 1
        return self.backend.generate(*args, **kwargs)


def test_a_constrained_answer_that_fails_validation_is_not_retried(llama):
    counting = Counting(llama)
    with pytest.raises(StructuredOutputError, match=r"Unsatisfiable.*1 attempt\(s\)(?s:.*)"
                                                    "no number of minutes"):
        generate_structured(counting, TIP_MESSAGES, Unsatisfiable, max_tokens=80, retries=3)
    assert counting.calls == 1


def test_missing_or_non_gguf_files_are_named(tmp_path):
    missing = tmp_path / "nope.gguf"
    with pytest.raises(BackendError, match=re.escape(f"{missing}: not found")):
        LlamaCppBackend(missing)
    junk = tmp_path / "junk.gguf"
    junk.write_text("hello")
    with pytest.raises(BackendError, match=re.escape(f"{junk}: not a GGUF file")):
        LlamaCppBackend(junk)


def test_a_prompt_over_the_context_says_to_raise_n_ctx(smollm2):
    with LlamaCppBackend(smollm2, n_ctx=64) as small, \
            pytest.raises(BackendError, match="raise n_ctx"):
        small.generate([{"role": "user", "content": "word " * 200}], max_tokens=8)


def test_close_frees_the_model_and_the_next_call_reloads(smollm2):
    backend = LlamaCppBackend(smollm2)
    assert backend._llm is None  # the constructor loads nothing
    assert backend.generate(HELLO, max_tokens=4, temperature=0.0).completion_tokens > 0
    backend.close()
    assert backend._llm is None
    backend.close()  # twice is fine
    assert backend.generate(HELLO, max_tokens=4, temperature=0.0).completion_tokens > 0
    backend.close()
