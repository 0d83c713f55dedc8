"""The one interface every REM small-model task implements, and the models that answer it.

A task is four things over one pydantic output model:

    task.examples(split)            labelled examples from the frozen task harness
    task.prompt(input, shots)       chat messages for an LLM (shots: worked examples)
    task.parse(text)                the model's text -> a validated output (TaskParseError)
    task.score(predictions, gold)   the task's metrics (the frozen harness's functions)
    task.target(example)            the answer an LLM should write (worked examples, SFT)

`task.output_model` validates every answer and also gives the LLM its grammar
(`output_model.model_json_schema()`, which llama.cpp turns into a GBNF grammar), so
what the grammar allows and what the parser accepts cannot drift apart.

A model is anything with `name` and `predict(input) -> Prediction`: a retrieval
baseline, a fast path, an LLM with or without an adapter, an endpoint. The task
harness calls every model the same way and times each call.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from pydantic import BaseModel, ValidationError

from augur.errors import AugurError
from augur.llm.backend import Message
from augur.llm.structured import extract_json

Out = TypeVar("Out", bound=BaseModel)


class TaskParseError(AugurError, ValueError):
    """A model's text is not a valid output of the task; says which field and why."""


@dataclass
class Prediction:
    """One model answer: the validated output, or the error that stopped it."""

    output: Any | None  # the task's output model instance; None when invalid
    text: str = ""  # what the model wrote (for an LLM) or a short trace
    error: str = ""  # why the answer is invalid ("" when valid)
    latency_ms: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)  # e.g. tokens, the neighbour used

    @property
    def valid(self) -> bool:
        return self.output is not None and not self.error


class TaskModel(Protocol):
    name: str

    def predict(self, text: str) -> Prediction: ...


class Task(ABC, Generic[Out]):
    name: str
    output_model: type[Out]
    system: str  # the full instruction (few-shot and zero-shot prompts)
    system_brief: str  # the one line a model fine-tuned on the task is given

    @abstractmethod
    def examples(self, split: str) -> list:
        """The frozen harness's examples of one split."""

    def prompt(self, text: str, shots: list, brief: bool = False) -> list[Message]:
        """Chat messages asking for the output of `text`, with worked examples.
        brief: a one-line instruction instead of the full one, for a model fine-tuned
        on the task (it learnt the rules; a short prompt trains and answers faster)."""
        messages: list[Message] = [{"role": "system",
                                    "content": self.system_brief if brief else self.system}]
        for shot in shots:
            messages.append({"role": "user", "content": self.input_text(shot)})
            messages.append({"role": "assistant", "content": self.target(shot)})
        messages.append({"role": "user", "content": text})
        return messages

    def input_text(self, example) -> str:
        """The user turn an example is asked as (worked examples, SFT rows)."""
        return example.text

    def parse(self, text: str) -> Out:
        """The first JSON object in `text`, validated against output_model."""
        body = extract_json(text)
        try:
            return self.output_model.model_validate_json(body)
        except ValidationError as e:
            parts = [f"{'.'.join(map(str, x['loc'])) or '(root)'}: {x['msg']}"
                     for x in e.errors()[:3]]
            raise TaskParseError(f"{self.name}: the answer is not a valid "
                                 f"{self.output_model.__name__} ({'; '.join(parts)}); "
                                 f"got {text[:160]!r}") from None

    @abstractmethod
    def target(self, example) -> str:
        """The text a model should answer for a gold example: the worked examples'
        answers and the fine-tuning targets."""

    def sft_rows(self, split: str) -> list[dict[str, Any]]:
        """Chat rows for `augur llm finetune`: the brief zero-shot prompt and the gold
        answer of every example of `split` (a fine-tuned model needs neither worked
        examples nor the long instruction, so its prompts stay short)."""
        return [{"messages": [*self.prompt(self.input_text(ex), [], brief=True),
                              {"role": "assistant", "content": self.target(ex)}]}
                for ex in self.examples(split)]

    @abstractmethod
    def score(self, predictions: list[Prediction], examples: list) -> dict[str, Any]:
        """Metrics of `predictions` (same order as `examples`)."""

    def grammar_schema(self) -> dict[str, Any]:
        """The output model's JSON schema for a grammar, less string length bounds:
        llama.cpp unrolls maxLength into one rule per character (a 4,000-character SQL
        bound exceeds its limits). Lengths are still checked when the answer is
        validated against the model."""
        return _discriminator_first(_drop_lengths(self.output_model.model_json_schema()))


def _discriminator_first(schema: dict[str, Any]) -> dict[str, Any]:
    """Make each alternative's `query_type` (or other const discriminator) required and
    first: llama.cpp writes required properties first, in order, so the model names
    the operation before its parameters, as the worked examples do, instead of being
    held to whichever alternative's first field it happened to start."""
    for node in [schema, *schema.get("$defs", {}).values()]:
        props = node.get("properties", {})
        first = [k for k, v in props.items() if "const" in v]
        if not first:
            continue
        node["properties"] = {**{k: props[k] for k in first},
                              **{k: v for k, v in props.items() if k not in first}}
        node["required"] = first + [k for k in node.get("required", []) if k not in first]
    return schema


def _drop_lengths(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _drop_lengths(v) for k, v in node.items()
                if k not in ("maxLength", "minLength")}
    if isinstance(node, list):
        return [_drop_lengths(v) for v in node]
    return node
