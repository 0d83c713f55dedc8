"""An LLM as a task model: any augur.llm backend (SmolLM2 through llama.cpp by
default) asked for a task's output (tasks/base.py) with the k worked examples its shot
index finds nearest the input, its output held to the task's JSON schema by the
backend's grammar and validated by the same model. Zero-shot (k=0) is a model
fine-tuned on the task: it gets the brief prompt it was trained on.
"""

from __future__ import annotations

import time
from typing import Protocol

from augur.memory.tasks.base import Prediction, Task, TaskParseError


class Shots(Protocol):
    def nearest(self, text: str, k: int) -> tuple[list, float]:
        """The k worked examples nearest `text`, nearest first, and a similarity."""


class LLMModel:
    """An LLM backend asked for one task's output with retrieved worked examples; the
    grammar holds it to the task's schema and the task's parser validates it."""

    def __init__(self, backend, shots: Shots | None, k: int = 4, max_tokens: int = 160,
                 name: str | None = None, *, task: Task) -> None:
        self.backend = backend
        self.shots = shots
        self.k = k
        self.max_tokens = max_tokens
        self.task = task
        self.name = name or f"{backend.name} {k}-shot"
        if k and shots is None:
            raise ValueError(f"LLMModel: {k}-shot prompts need a ShotIndex, got None")

    def predict(self, text: str) -> Prediction:
        t0 = time.perf_counter()
        near, _ = self.shots.nearest(text, self.k) if self.k else ([], 0.0)
        # Nearest last: a small model leans on the example closest to the question.
        # Zero-shot means a model fine-tuned on the task: it gets the brief prompt it
        # was trained on.
        messages = self.task.prompt(text, list(reversed(near)), brief=not self.k)
        try:
            gen = self.backend.generate(messages, max_tokens=self.max_tokens, temperature=0.0,
                                        json_schema=self.task.grammar_schema(), seed=0)
        except Exception as e:  # noqa: BLE001 - a failed call is an invalid answer, counted
            return Prediction(None, "", error=f"backend: {e}"[:300],
                              latency_ms=(time.perf_counter() - t0) * 1000)
        ms = (time.perf_counter() - t0) * 1000
        try:
            answer = self.task.parse(gen.text)
        except TaskParseError as e:
            return Prediction(None, gen.text, error=str(e)[:300], latency_ms=ms)
        return Prediction(answer, gen.text, latency_ms=ms,
                          extra={"completion_tokens": gen.completion_tokens})
