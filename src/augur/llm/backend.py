"""The one protocol every LLM backend implements, and the errors they share.

    backend.generate(messages, max_tokens, temperature, json_schema=None) -> Generation

`messages` are chat messages ({"role": "system"|"user"|"assistant", "content": str}).
With `json_schema` (a JSON schema, usually `Model.model_json_schema()`), a backend
that can constrain decoding to the schema does so; every caller still validates
the text against its pydantic model (see structured.py), whatever the backend.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from augur.errors import AugurError

Message = dict[str, str]
MAX_PARAMS = 4_000_000_000  # small local models only: larger ones are refused


class BackendError(AugurError):
    """A backend that cannot load its model or answer; the message says how to fix it."""


class ModelTooLarge(BackendError):
    """A model over MAX_PARAMS parameters."""


@dataclass
class Generation:
    text: str
    prompt_tokens: int
    completion_tokens: int
    latency_s: float
    model: str  # what answered: a file name, an endpoint's model id
    constrained: bool = False  # decoding was held to the json_schema by a grammar

    @property
    def tokens_per_s(self) -> float:
        return self.completion_tokens / self.latency_s if self.latency_s > 0 else 0.0


@runtime_checkable
class Backend(Protocol):
    name: str  # short id used in the lab grid, e.g. "llamacpp:SmolLM2-135M-Instruct.Q4_1"

    def generate(self, messages: list[Message], max_tokens: int = 256,
                 temperature: float = 0.7, json_schema: dict[str, Any] | None = None,
                 seed: int | None = None) -> Generation: ...

    def close(self) -> None:
        """Release the model's memory (one model is loaded at a time)."""
        ...


def check_size(params: int | None, what: str) -> None:
    """Refuse models over MAX_PARAMS (params None: unknown, allowed with no claim)."""
    if params is not None and params > MAX_PARAMS:
        raise ModelTooLarge(f"{what} has {params / 1e9:.1f} B parameters; augur runs small "
                            f"local models only (at most {MAX_PARAMS / 1e9:.0f} B). Pick a "
                            "smaller model or a smaller quantized variant.")


def check_messages(messages: list[Message]) -> None:
    if not messages:
        raise ValueError("messages: expected at least one chat message, got none")
    for i, m in enumerate(messages):
        if not isinstance(m, dict) or m.get("role") not in ("system", "user", "assistant") \
                or not isinstance(m.get("content"), str):
            raise ValueError(f"messages[{i}]: expected {{'role': 'system'|'user'|'assistant', "
                             f"'content': str}}, got {m!r:.120}")
