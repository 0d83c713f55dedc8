"""Tip generators: an LLM behind any Backend with a prompt, and the rule-based floor.

Both answer `generate(prompt, ctx, settings) -> list[Generation]` (N tips on one
context) and `close()`, so the lab runs every model of the grid the same way.
`make_generator(spec)` turns a grid entry into one: "template" is the floor,
anything else is a backend spec for augur.llm.factory.make_backend
("llamacpp", "transformers", "openai:URL#model", a GGUF path, ...).
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from typing import Protocol

from augur.lab.context import PromptContext
from augur.lab.prompts import Prompt
from augur.llm.backend import Backend, Generation

TEMPLATE = "template"


@dataclass(frozen=True)
class GenSettings:
    """How each cell samples; part of the cell key, so changing one makes new cells."""

    n: int = 4
    temperature: float = 0.7
    max_tokens: int = 64  # a 35-word tip is about 50 tokens: enough to see one run long
    seed: int = 0

    def __post_init__(self) -> None:
        if isinstance(self.n, bool) or not isinstance(self.n, int) or self.n <= 0:
            raise ValueError(f"n must be a positive integer, got {self.n!r}")
        if not 0.0 <= self.temperature <= 2.0:
            raise ValueError(f"temperature must be within 0..2, got {self.temperature!r}")
        if isinstance(self.max_tokens, bool) or not isinstance(self.max_tokens, int) \
                or self.max_tokens <= 0:
            raise ValueError(f"max_tokens must be a positive integer, got {self.max_tokens!r}")


class Generator(Protocol):
    name: str

    def generate(self, prompt: Prompt, ctx: PromptContext,
                 settings: GenSettings) -> list[Generation]: ...

    def close(self) -> None: ...


class TipGenerator:
    """An LLM writes each tip from the rendered prompt; tip i samples with seed + i."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.name = backend.name

    def generate(self, prompt: Prompt, ctx: PromptContext,
                 settings: GenSettings) -> list[Generation]:
        messages = prompt.render(ctx)
        return [self.backend.generate(messages, max_tokens=settings.max_tokens,
                                      temperature=settings.temperature, seed=settings.seed + i)
                for i in range(settings.n)]

    def close(self) -> None:
        self.backend.close()


# {what} is an open item's action phrase ("reply to ben's email thread-12").
_PHRASES = (
    "{When}, {what}; it has waited {waited}.",
    "Next up: {what}{why}.",
    "Good moment to {what}{why}.",
    "{When}, clear one thing: {what}.",
)
_IDLE = (
    "Nothing is waiting on you; use the time for focused work on {project}.",
    "Your inbox is clear; {hour} is usually your best hour, so plan a focus block on {project}.",
)


class TemplateGenerator:
    """The floor: a rule picks an open item and fills a fixed phrase; no model, no prompt.

    Tip i takes the i-th most important open item (cycling) and a phrase drawn with
    seed + i, so N tips differ yet the same settings always give the same tips.
    """

    name = TEMPLATE

    def generate(self, prompt: Prompt, ctx: PromptContext,
                 settings: GenSettings) -> list[Generation]:
        out = []
        for i in range(settings.n):
            start = time.perf_counter()
            text = self.tip(ctx, i, random.Random(settings.seed + i))
            out.append(Generation(text=text, prompt_tokens=0, completion_tokens=len(text.split()),
                                  latency_s=time.perf_counter() - start, model=TEMPLATE))
        return out

    def tip(self, ctx: PromptContext, i: int, rng: random.Random) -> str:
        tasks = ctx.open_tasks
        if not tasks:
            return rng.choice(_IDLE).format(
                project=ctx.profile.get("top_project") or "your main project",
                hour=f"{ctx.profile.get('preferred_hour', 9):02d}:00")
        task = tasks[i % len(tasks)]
        hour = ctx.when.hour
        when = "Before lunch" if hour < 12 else "This afternoon" if hour < 17 else "Before you stop"
        wait = task["waiting_min"]
        phrase = rng.choice(_PHRASES)
        return phrase.format(
            When=when, what=task["what"],
            waited=f"{wait} minutes" if wait < 120 else f"{wait // 60} hours",
            why=f", {task['from']} is waiting" if task.get("from") else "")

    def close(self) -> None:
        pass


def make_generator(spec: str) -> Generator:
    """"template" -> the rule-based floor; any other spec -> an LLM from make_backend(spec)."""
    if spec == TEMPLATE:
        return TemplateGenerator()
    from augur.llm.factory import make_backend  # loads the model: only when a cell needs it

    return TipGenerator(make_backend(spec))


def check_specs(specs: tuple[str, ...] | list[str]) -> None:
    """Fail on a bad model spec now, with make_backend's message, rather than at its turn
    in the grid; make_backend only builds a backend, the model loads at first use."""
    from augur.llm.factory import make_backend

    for spec in specs:
        if spec != TEMPLATE:
            make_backend(spec)
