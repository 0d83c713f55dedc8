"""Task 2's records: what a model sees of a resource, one labelled pair, and the answer.

`EdgeResource` is only what a new resource brings (id, kind, name, content, when): the
world's project, topics and edges are where the labels come from, so a model given
them would be reading the answer. `EdgeAnswer` validates every model's answer and is
the grammar an LLM is held to.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

EdgeType = Literal["SEE_ALSO", "PREREQUISITE", "CONTINUATION", "none"]
EDGE_TYPES: tuple[str, ...] = ("SEE_ALSO", "PREREQUISITE", "CONTINUATION", "none")
EdgeSplit = Literal["train", "val", "test"]


class EdgeResource(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1)
    kind: str = Field(min_length=1)
    name: str
    content: str  # clipped to EDGE_CONTENT_CHARS
    created_at: datetime

    def text(self) -> str:
        return f"{self.name}\n{self.content}"


class EdgeExample(BaseModel):
    """One source -> candidate pair with the world's graded affinity and edge type."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1)
    source: EdgeResource
    candidate: EdgeResource
    affinity: float = Field(ge=0.0, le=1.0)
    type: EdgeType
    split: EdgeSplit
    topics: list[str] = Field(default_factory=list)  # the topics both share (a label: the
    # world's, never shown to a model; the gold `metadata.topic_overlap`)
    tags: list[str] = Field(default_factory=list)  # how the candidate was drawn: "edge",
    # "project-topic-far", "project-only", "same-day-other-project", "same-kind-other-project",
    # "random"


class TopicOverlap(BaseModel):
    model_config = ConfigDict(extra="forbid")

    topic_overlap: list[str] = Field(default_factory=list, max_length=8)


class EdgeAnswer(BaseModel):
    """A scored edge from the source to the candidate ("none": no edge)."""

    model_config = ConfigDict(extra="forbid")

    type: EdgeType
    score: float = Field(ge=0.0, le=1.0, allow_inf_nan=False)
    reason: str = Field(default="", max_length=300)
    metadata: TopicOverlap = Field(default_factory=TopicOverlap)
