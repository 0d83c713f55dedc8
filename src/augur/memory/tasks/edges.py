"""Task 2: a new resource and a candidate already in memory -> a typed, scored edge.

The output model (harness/edge_schema.py, frozen with the metrics) is `EdgeAnswer`:
type (SEE_ALSO, PREREQUISITE, CONTINUATION or none), score in [0, 1], a short reason
and `metadata.topic_overlap`. A model answers a whole source at once:
`predict_batch(source, candidates) -> list[Prediction]` (models in edge_models.py).
This file is the task's model-facing side: the prompt for an LLM, the targets, and
what /generate takes and answers for it (`EdgeRequest` -> `EdgeAnswers`, one answer per
candidate, in order).
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, RootModel, field_validator

from augur.memory.tasks.base import Prediction, Task
from augur.memory.tasks.harness import constants as C
from augur.memory.tasks.harness import data as D
from augur.memory.tasks.harness.edge_metrics import score_edges
from augur.memory.tasks.harness.edge_schema import EdgeAnswer, EdgeExample, EdgeResource

__all__ = ["BRIEF", "SYSTEM", "EdgeAnswer", "EdgeAnswers", "EdgeRequest", "EdgesTask",
           "gold_reason", "pair_text"]

MAX_CANDIDATES = 100  # per request: a new resource's neighbours, not a whole memory

SYSTEM = (
    "You link a person's new resource (an email thread, PR, ticket, CI build, meeting "
    "notes, document, note or chat) to a candidate resource already in their memory. "
    "Answer JSON: type PREREQUISITE when one is needed before the other (a ticket and the "
    "PR that implements it), CONTINUATION when one carries the other on (a reply in a "
    "thread, a PR's CI build, the prep note of a meeting), SEE_ALSO when both are about "
    "the same work and topic, close in time, and none otherwise; score from 0 (unrelated) "
    "to 1 (directly linked); reason in one short sentence; metadata.topic_overlap the "
    "topics both are about.")

# What a fine-tuned model is told: it learnt the types from the train split.
BRIEF = "Score the edge from the source resource to the candidate as JSON."

REASONS = {"PREREQUISITE": "one is needed before the other",
           "CONTINUATION": "one carries the other on",
           "SEE_ALSO": "both are about the same work, close in time",
           "none": "not about the same work"}


def gold_reason(example: EdgeExample) -> str:
    """The reason a model is taught for a gold pair: what its type means, and the
    topics both resources share."""
    reason = REASONS[example.type]
    if example.topics and example.type != "none":
        reason = f"{reason}: {', '.join(example.topics)}"
    return reason


class EdgeRequest(BaseModel):
    """A new resource and the candidates to score it against (/generate's input)."""

    model_config = ConfigDict(extra="forbid")

    source: EdgeResource
    candidates: list[EdgeResource] = Field(min_length=1, max_length=MAX_CANDIDATES)

    @field_validator("source", "candidates", mode="after")
    @classmethod
    def _clip(cls, v):
        """Contents clipped as the models were trained to see them."""
        return [_clipped(r) for r in v] if isinstance(v, list) else _clipped(v)


def _clipped(r: EdgeResource) -> EdgeResource:
    if len(r.content) <= C.EDGE_CONTENT_CHARS:
        return r
    return r.model_copy(update={"content": r.content[:C.EDGE_CONTENT_CHARS]})


class EdgeAnswers(RootModel[list[EdgeAnswer]]):
    """One answer per candidate of an EdgeRequest, in the candidates' order."""


def _view(r: EdgeResource) -> dict[str, str]:
    return {"id": r.id, "kind": r.kind, "name": r.name,
            "created_at": r.created_at.isoformat(), "content": r.content}


def pair_text(source: EdgeResource, candidate: EdgeResource) -> str:
    """The user turn: both resources as JSON (only what a new resource brings)."""
    return json.dumps({"source": _view(source), "candidate": _view(candidate)},
                      ensure_ascii=False)


class EdgesTask(Task[EdgeAnswer]):
    name = "edges"
    output_model = EdgeAnswer
    system, system_brief = SYSTEM, BRIEF

    def examples(self, split: str) -> list[EdgeExample]:
        return D.edge_examples(split)

    def input_text(self, example: EdgeExample) -> str:
        return pair_text(example.source, example.candidate)

    def target(self, example: EdgeExample) -> str:
        return json.dumps({"type": example.type, "score": example.affinity,
                           "reason": gold_reason(example),
                           "metadata": {"topic_overlap": example.topics}}, ensure_ascii=False)

    def score(self, predictions: list[Prediction], examples: list[EdgeExample]
              ) -> dict[str, Any]:
        return score_edges(examples, [p.output.score if p.valid else None for p in predictions],
                           [p.output.type if p.valid else None for p in predictions],
                           [p.latency_ms for p in predictions])
