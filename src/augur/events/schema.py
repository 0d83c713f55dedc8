"""The Event schema: one structured event of a person's stream, with optional labels.

An event is what an assistant sees (timestamp, type, source, actor, importance,
project, free attributes). `labels` hold what happened next (training targets)
and `sim` holds the simulator's own probabilities for those labels, which the
harness uses to compute the best score any model could reach. Both are absent
on live input and are stripped before a predictor sees an event.

Unknown event types and actions are allowed (a real assistant meets new ones;
models map them to an unknown token): the vocabularies in `vocab.py` are what
the synthetic world uses, not a wall around the schema.
"""

from __future__ import annotations

import json
import math
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

Lane = Literal["ask", "suggest", "draft", "act", "escalate"]

_NAME_PATTERN = r"^\S(.*\S)?$"  # non-empty, no leading or trailing blanks


class EventValidationError(ValueError):
    """An event dict that does not fit the schema. The message names the field."""


class Artifact(BaseModel):
    """A memory artifact (thread, PR, doc, ...) that the next action may touch."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=_NAME_PATTERN)
    kind: str = Field(pattern=_NAME_PATTERN)
    project: str | None = None
    title: str | None = None


class Labels(BaseModel):
    """What the person did next. Any field may be absent (an imported log has no lane)."""

    model_config = ConfigDict(extra="forbid")

    next_action: str | None = Field(default=None, pattern=_NAME_PATTERN)
    delay_min: float | None = Field(default=None, ge=0.0, allow_inf_nan=False)
    lane: Lane | None = None
    proactive: bool | None = None
    candidates: list[Artifact] | None = None
    target: str | None = None

    @model_validator(mode="after")
    def _target_is_a_candidate(self) -> Labels:
        if self.target is not None:
            ids = [c.id for c in self.candidates or []]
            if self.target not in ids:
                raise ValueError(
                    f"target {self.target!r} must be the id of one of the candidates {ids}"
                )
        return self


class SimProbs(BaseModel):
    """The simulator's own distribution over each label, given its full state."""

    model_config = ConfigDict(extra="forbid")

    action_probs: dict[str, float]
    lane_probs: dict[Lane, float]
    proactive_prob: float = Field(ge=0.0, le=1.0)
    candidate_probs: list[float]
    delay_median: float = Field(ge=0.0, allow_inf_nan=False)

    @field_validator("action_probs", "lane_probs")
    @classmethod
    def _is_distribution(cls, v: dict[str, float]) -> dict[str, float]:
        total = sum(v.values())
        if any(p < 0 for p in v.values()) or not math.isclose(total, 1.0, abs_tol=1e-3):
            raise ValueError(f"expected non-negative probabilities summing to 1, got sum {total}")
        return v


class ObservedEvent(BaseModel):
    """An event as an assistant sees it: no labels, no simulator state. The service
    takes these, so its request schema shows only what a caller can know."""

    model_config = ConfigDict(extra="forbid")

    ts: datetime
    type: str = Field(pattern=_NAME_PATTERN)
    source: str = Field(pattern=_NAME_PATTERN)
    actor: str = Field(pattern=_NAME_PATTERN)
    importance: float = Field(default=0.5, ge=0.0, le=1.0, allow_inf_nan=False)
    project: str | None = None
    topic: str | None = None
    action: str | None = Field(default=None, pattern=_NAME_PATTERN)
    stream: str = Field(default="default", pattern=_NAME_PATTERN)
    attributes: dict[str, Any] = Field(default_factory=dict)

    @field_validator("ts")
    @classmethod
    def _aware(cls, v: datetime) -> datetime:
        if v.tzinfo is None or v.utcoffset() is None:
            raise ValueError(
                "expected a timezone-aware timestamp such as 2026-01-05T09:00:00+01:00, "
                f"got {v.isoformat()} with no offset"
            )
        return v


class Event(ObservedEvent):
    """One event of a stream. Construct from a dict with `Event.from_dict`."""

    labels: Labels | None = None
    sim: SimProbs | None = None

    @classmethod
    def from_dict(cls, data: Any) -> Event:
        """Validate a dict; raise EventValidationError naming field, expectation and value."""
        if not isinstance(data, dict):
            raise EventValidationError(
                f"event: expected a JSON object (dict), got {type(data).__name__}: {data!r:.80}"
            )
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise EventValidationError(_describe(exc, data)) from None

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready dict; absent optional fields are left out."""
        return self.model_dump(mode="json", exclude_none=True)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), separators=(",", ":"), sort_keys=False)

    def observable(self) -> Event:
        """The event as a predictor may see it: labels and simulator state removed."""
        return self.model_copy(update={"labels": None, "sim": None})


def _describe(exc: ValidationError, data: dict[str, Any]) -> str:
    """Turn pydantic's errors into 'field: expected ..., got ...' lines."""
    lines = []
    for err in exc.errors():
        field = ".".join(str(p) for p in err["loc"]) or "event"
        got = err.get("input", "<missing>") if err["type"] != "missing" else "nothing"
        msg = err["msg"].removeprefix("Value error, ")
        expected = msg[0].lower() + msg[1:]
        lines.append(f"field '{field}' expected: {expected}; got: {got!r:.120}")
    return "invalid event: " + "; ".join(lines)
