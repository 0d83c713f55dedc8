"""Structured output: one pydantic model gives the schema (the grammar, where the backend
has one) and validates the text, whatever the backend.

    tip, gen = generate_structured(backend, messages, Tip, max_tokens=96)

A constrained backend (Generation.constrained) must produce the JSON object itself, so
its text is validated as is, and not retried: the grammar already held it to the schema,
and what fails is what the schema cannot say (a validator, a truncated answer: raise
max_tokens). An unconstrained backend may wrap the object in ```json fences or prose;
the first JSON object in the text is validated, and a failure is retried.
"""

from __future__ import annotations

import json
import re
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from augur.llm.backend import Backend, BackendError, Generation, Message

Model = TypeVar("Model", bound=BaseModel)
# A greedy retry would repeat the same text, so retries of a temperature-0 request
# sample at this temperature (with seed + attempt, to stay reproducible).
RETRY_TEMPERATURE = 0.7
EXCERPT = 200
_FENCE = re.compile(r"```(?:json|JSON)?\s*\n?(.*?)```", re.DOTALL)


class StructuredOutputError(BackendError):
    """The backend's text did not validate against the pydantic model."""


def extract_json(text: str) -> str:
    """The first complete JSON object in text (inside ```json fences if there are any);
    the text unchanged when there is none, so that validation reports it."""
    fenced = _FENCE.search(text)
    body = fenced.group(1) if fenced else text
    decoder = json.JSONDecoder()
    start = body.find("{")
    while start != -1:
        try:
            _, end = decoder.raw_decode(body, start)
            return body[start:end]
        except ValueError:
            start = body.find("{", start + 1)
    return text


def generate_structured(backend: Backend, messages: list[Message], model_cls: type[Model],
                        max_tokens: int = 256, temperature: float = 0.0, retries: int = 1,
                        seed: int | None = None) -> tuple[Model, Generation]:
    """(validated instance, the generation that produced it); StructuredOutputError after
    1 + retries failed attempts (a constrained backend gets one)."""
    if retries < 0:
        raise ValueError(f"retries: expected 0 or more, got {retries}")
    schema = model_cls.model_json_schema()
    errors: list[str] = []
    for attempt in range(retries + 1):
        retry = attempt > 0
        gen = backend.generate(
            messages, max_tokens=max_tokens, json_schema=schema,
            temperature=RETRY_TEMPERATURE if retry and temperature == 0 else temperature,
            seed=None if seed is None else seed + attempt)
        text = gen.text if gen.constrained else extract_json(gen.text)
        try:
            return model_cls.model_validate_json(text), gen
        except ValidationError as e:
            errors.append(f"attempt {attempt + 1}: {_summary(e)}; text {gen.text[:EXCERPT]!r}")
        if gen.constrained:
            break
    raise StructuredOutputError(
        f"{backend.name}: expected JSON matching {model_cls.__name__}, got no valid answer "
        f"in {len(errors)} attempt(s):\n  " + "\n  ".join(errors) +
        "\nraise max_tokens if the text is cut off; add retries for an unconstrained backend")


def _summary(error: ValidationError) -> str:
    parts = [f"{'.'.join(map(str, e['loc'])) or '(root)'}: {e['msg']}" for e in error.errors()]
    return "; ".join(parts[:3]) + (f" (+{len(parts) - 3} more)" if len(parts) > 3 else "")
