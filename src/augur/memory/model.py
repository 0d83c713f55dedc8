"""REM's data model: resources, entities, moments, edges and facts (pydantic).

Time is first-class. Every edge and fact carries `valid_at` / `invalid_at` beside
`created_at`: a contradicting fact closes the old one (sets its `invalid_at`), it
never deletes it, so "what did we believe on date D" stays answerable. Every
timestamp is timezone-aware; a naive one is refused with the field's name.

A `MemoryBatch` is what one ingest writes: the stores add a batch in one
transaction, so a batch lands whole or not at all.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

TABLES = ("resources", "entities", "moments", "edges", "facts")
Table = Literal["resources", "entities", "moments", "edges", "facts"]
# The tables SEARCH and FUZZY read (edges and facts have no text of their own to search).
TEXT_TABLES = ("resources", "entities", "moments")

RESOURCE_KINDS = ("email_thread", "document", "pr", "meeting_notes", "chat_thread",
                  "diary_note", "ticket", "incident", "build", "note")
ENTITY_KINDS = ("person", "project", "topic")
EDGE_TYPES = ("SEE_ALSO", "PREREQUISITE", "CONTINUATION", "MENTIONS", "PART_OF",
              "ATTENDED", "AUTHORED", "ABOUT")
MOMENT_TYPES = ("meeting", "problem_solving", "coding", "reflection", "conversation",
                "planning", "review", "incident", "break", "admin")

_ID = r"^[A-Za-z0-9][A-Za-z0-9_.:@/-]{0,199}$"


class MemoryModelError(ValueError):
    """A record that does not fit REM's model; the message names the field."""


def _aware(name: str, v: datetime | None) -> datetime | None:
    if v is not None and (v.tzinfo is None or v.utcoffset() is None):
        raise ValueError(f"{name}: expected a timezone-aware timestamp such as "
                         f"2025-01-06T09:00:00+00:00, got {v.isoformat()} with no offset")
    return v


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    @field_validator("*", mode="after")
    @classmethod
    def _times_are_aware(cls, v: Any, info) -> Any:
        if isinstance(v, datetime):
            return _aware(info.field_name, v)
        return v


class Resource(_Record):
    """A piece of content the person has: an email thread, a document, a PR, notes..."""

    id: str = Field(pattern=_ID)
    name: str = Field(min_length=1, max_length=500)
    kind: str = Field(min_length=1, max_length=40)
    content: str = Field(max_length=200_000)
    project: str | None = None
    persons: list[str] = Field(default_factory=list)
    created_at: datetime
    source: str = "user"
    topics: list[str] = Field(default_factory=list)

    def text(self) -> str:
        """What is embedded and indexed: the name, then the content."""
        return f"{self.name}\n{self.content}"


class Entity(_Record):
    """A person, project or topic; `id` is its normalised key (see entities.py)."""

    id: str = Field(pattern=_ID)
    name: str = Field(min_length=1, max_length=200)
    kind: Literal["person", "project", "topic"]
    aliases: list[str] = Field(default_factory=list)
    comment: str | None = None


class Person(_Record):
    """A participant of a moment, as in the seed's moment JSON."""

    id: str
    name: str
    comment: str | None = None


class Moment(_Record):
    """A segment of the person's time, exactly the seed's moment JSON (its
    `resource_timestamp` / `resource_ends_timestamp` are accepted as start / end)."""

    id: str = Field(pattern=_ID)
    name: str = Field(min_length=1, max_length=300)
    summary: str = ""
    content: str = ""
    start: datetime = Field(alias="resource_timestamp")
    end: datetime = Field(alias="resource_ends_timestamp")
    moment_type: str = Field(min_length=1, max_length=40)
    emotion_tags: list[str] = Field(default_factory=list)
    topic_tags: list[str] = Field(default_factory=list)
    present_persons: list[Person] = Field(default_factory=list)
    project: str | None = None

    def text(self) -> str:
        return f"{self.name}\n{self.summary}\n{self.content}"


class Edge(_Record):
    """A typed, scored link between two records (any table's ids)."""

    from_id: str = Field(alias="from", pattern=_ID)
    to_id: str = Field(alias="to", pattern=_ID)
    type: str = Field(pattern=r"^[A-Z][A-Z_]{1,39}$")
    score: float = Field(default=1.0, ge=0.0, le=1.0, allow_inf_nan=False)
    reason: str = ""
    metadata: dict[str, Any] = Field(default_factory=dict)
    provenance: str = "user"  # world (simulator ground truth), model:<name>, user
    created_at: datetime
    valid_at: datetime
    invalid_at: datetime | None = None

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.from_id, self.to_id, self.type)


class Fact(_Record):
    """One statement about an entity ("ana's role is backend lead"), valid over time.
    A new fact on the same subject and predicate with another value closes this one."""

    id: str = Field(pattern=_ID)
    subject: str = Field(pattern=_ID)
    predicate: str = Field(pattern=r"^[a-z][a-z0-9_]{0,59}$")
    value: str = Field(max_length=2000)
    source: str | None = None  # the resource it was read from
    created_at: datetime
    valid_at: datetime
    invalid_at: datetime | None = None


class MemoryBatch(BaseModel):
    """Everything one ingest writes, added in a single transaction."""

    model_config = ConfigDict(extra="forbid")

    resources: list[Resource] = Field(default_factory=list)
    entities: list[Entity] = Field(default_factory=list)
    moments: list[Moment] = Field(default_factory=list)
    edges: list[Edge] = Field(default_factory=list)
    facts: list[Fact] = Field(default_factory=list)

    def __len__(self) -> int:
        return (len(self.resources) + len(self.entities) + len(self.moments)
                + len(self.edges) + len(self.facts))


def slug(text: str) -> str:
    """A lower-case id fragment: 'Q4 Planning!' -> 'q4-planning'."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"
