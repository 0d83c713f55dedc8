"""Task 3's records: a timestamped transcript, its true segments, and the answer.

`MomentExample` is one transcript (a list of `MomentLine`: when, who, what) with the
world's true segments (`GoldSegment`: the lines it spans, start, end, type, emotions,
topics, the people present). A model sees only the lines. `MomentAnswer` (a list of
`MomentOut`, the seed's moment fields) validates every model's answer and is the
grammar an LLM is held to.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

# The world's own moment types (augur.memory.world_links._moments).
MomentType = Literal["problem_solving", "coding", "meeting", "incident", "review", "admin",
                     "break", "planning", "reflection"]
MOMENT_TYPES: tuple[str, ...] = ("problem_solving", "coding", "meeting", "incident", "review",
                                 "admin", "break", "planning", "reflection")
MomentSplit = Literal["train", "val", "test"]


class MomentLine(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ts: datetime
    speaker: str = Field(min_length=1)  # how the log names them: a first name, a full
    # name, initials ("A. Tanaka"); the person's own lines too
    text: str = Field(min_length=1)


class GoldSegment(BaseModel):
    """One true segment: lines [first, last] (inclusive) of its transcript."""

    model_config = ConfigDict(extra="forbid")

    first: int = Field(ge=0)
    last: int = Field(ge=0)
    start: datetime
    end: datetime
    moment_type: MomentType
    name: str
    summary: str
    emotion_tags: list[str] = Field(default_factory=list)
    topic_tags: list[str] = Field(default_factory=list)
    present_persons: list[str] = Field(default_factory=list)  # full names, as the memory's
    # person entities name them


class MomentExample(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1)
    split: MomentSplit
    world: int  # the persona seed of the world it comes from (its people are that memory's)
    day: int = Field(ge=0)  # the world's day, counted from its first
    lines: list[MomentLine] = Field(min_length=1)
    segments: list[GoldSegment] = Field(min_length=1)

    @property
    def text(self) -> str:
        """The transcript as a model reads it: one line per entry, `HH:MM speaker: text`."""
        return transcript_text(self.lines)

    def hours(self) -> float:
        return max(1 / 60, (self.segments[-1].end - self.segments[0].start).total_seconds()
                   / 3600)


def transcript_text(lines: list[MomentLine]) -> str:
    return "\n".join(f"{x.ts:%Y-%m-%d %H:%M} {x.speaker}: {x.text}" for x in lines)


class MomentOut(BaseModel):
    """One predicted moment (the seed's fields)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    summary: str = Field(default="", max_length=600)
    content: str = Field(default="", max_length=4000)
    start: datetime
    end: datetime
    moment_type: MomentType
    emotion_tags: list[str] = Field(default_factory=list, max_length=8)
    topic_tags: list[str] = Field(default_factory=list, max_length=16)
    present_persons: list[str] = Field(default_factory=list, max_length=16)


class MomentAnswer(BaseModel):
    """A transcript's moments, in time order."""

    model_config = ConfigDict(extra="forbid")

    moments: list[MomentOut] = Field(min_length=1, max_length=64)
