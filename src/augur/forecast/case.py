"""The forecast case: a seed event with a date, then levels by depth, each a set of
candidate outcomes of which exactly one (label 1) is what happened.

    {"id": "world-0-000001", "source": "world", "kind": "layoffs", "split": "train",
     "seed": {"text": "Veltrix cuts 12 % of its staff", "date": "2023-01-15"},
     "context": "Veltrix is a struggling chip maker.", "history": [],
     "levels": [{"depth": 1, "date": "2023-01-19", "candidates": [
         {"text": "Veltrix shares fall 15 %", "label": 1, "kind": "stock_plunge",
          "p_true": 0.41}, ...]}]}

A candidate may carry `kind` (the outcome's kind, for a base-rate baseline), `p_true`
(the generator's own probability: the ceiling) and `market` (a market or data value
at freeze time, for imported questions). The seed's own files, which name the text
`event`, load too. Cases are stored as JSON Lines; `split` is the case's fixed
train/val/test part (`split_of`), written by the generator or importer.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from augur.errors import AugurError
from augur.events.io import DataFileError, write_lines

Split = Literal["train", "val", "test"]
P_TRUE_TOLERANCE = 1e-3  # p_true of a level must sum to 1 within this
SPLIT_SALT = "augur-forecast-split-v1"
VAL_FRACTION = 0.1
TEST_FRACTION = 0.1


class CaseError(AugurError):
    """A case that does not fit the format; the message names the case, level and field."""


def _text(v: str) -> str:
    if not v.strip():
        raise ValueError("non-empty text")
    return v


def _when(v: str) -> str:
    """An ISO 8601 date (2023-01-15) or a date-time with its UTC offset."""
    try:
        if len(v) == 10:
            date.fromisoformat(v)
        elif datetime.fromisoformat(v).utcoffset() is None:
            raise ValueError
    except ValueError:
        raise ValueError("a date such as 2023-01-15 or a time with its offset such as "
                         "2023-01-15T09:30:00+01:00") from None
    return v


def _before(a: str, b: str) -> bool:
    """a < b, on the full time when both are times, else on the calendar date."""
    ta, tb = datetime.fromisoformat(a), datetime.fromisoformat(b)
    if len(a) == 10 or len(b) == 10:
        return ta.date() < tb.date()
    return ta < tb


class Candidate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(validation_alias=AliasChoices("text", "event"))
    label: Literal[0, 1]
    kind: str | None = None
    p_true: float | None = Field(default=None, ge=0.0, le=1.0, allow_inf_nan=False)
    market: float | None = Field(default=None, ge=0.0, le=1.0, allow_inf_nan=False)

    _non_empty = field_validator("text")(_text)


class Level(BaseModel):
    model_config = ConfigDict(extra="forbid")

    depth: int = Field(ge=1)
    date: str | None = None
    candidates: list[Candidate] = Field(min_length=2)

    _date = field_validator("date")(lambda v: v if v is None else _when(v))

    @property
    def actual(self) -> int:
        """Index of the candidate that happened."""
        return next(i for i, c in enumerate(self.candidates) if c.label == 1)

    @model_validator(mode="after")
    def _one_truth(self) -> Level:
        ones = [i + 1 for i, c in enumerate(self.candidates) if c.label == 1]
        if not ones:
            raise ValueError("field 'label': no candidate is labelled 1; label the outcome "
                             "that happened 1 and the alternatives 0")
        if len(ones) > 1:
            raise ValueError(f"field 'label': candidates {ones} are all labelled 1; exactly "
                             "one outcome happened, label the others 0")
        seen: dict[str, int] = {}
        for i, c in enumerate(self.candidates, start=1):
            key = " ".join(c.text.split()).casefold()
            if key in seen:
                raise ValueError(f"field 'text': candidates {seen[key]} and {i} are the same "
                                 f"outcome ({c.text.strip()!r}); keep one")
            seen[key] = i
        given = [c.p_true is not None for c in self.candidates]
        if any(given) and not all(given):
            missing = [i + 1 for i, g in enumerate(given) if not g]
            raise ValueError(f"field 'p_true': missing on candidates {missing}; give it for "
                             "every candidate of the level or for none")
        if all(given):
            total = sum(c.p_true for c in self.candidates)
            if abs(total - 1.0) > P_TRUE_TOLERANCE:
                raise ValueError(f"field 'p_true': sums to {total:.4f} over the level's "
                                 f"{len(self.candidates)} candidates; expected a distribution "
                                 f"summing to 1 (within {P_TRUE_TOLERANCE})")
        return self


class Seed(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(validation_alias=AliasChoices("text", "event"))
    date: str | None = None

    _non_empty = field_validator("text")(_text)
    _date = field_validator("date")(lambda v: v if v is None else _when(v))


class Case(BaseModel):
    """One forecast case. Construct from a dict with `Case.from_dict`."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^\S(.*\S)?$")
    source: str = Field(pattern=r"^\S(.*\S)?$")
    kind: str | None = None
    split: Split | None = None
    seed: Seed
    context: str | None = None
    history: list[str] = Field(default_factory=list)
    levels: list[Level] = Field(min_length=1)

    @model_validator(mode="after")
    def _levels_in_order(self) -> Case:
        previous, previous_name = self.seed.date, "the seed's date"
        for want, level in enumerate(self.levels, start=1):
            if level.depth != want:
                depths = ", ".join(str(lv.depth) for lv in self.levels)
                raise ValueError(f"level {level.depth}: field 'depth': expected depth {want} "
                                 f"(levels are numbered 1, 2, 3, ... in order, without gaps); "
                                 f"got depths {depths}")
            if level.date is not None and previous is not None and _before(level.date, previous):
                raise ValueError(f"level {level.depth}: field 'date': {level.date} is before "
                                 f"{previous_name} {previous}; an outcome cannot come before "
                                 "what it follows")
            if level.date is not None:
                previous, previous_name = level.date, f"level {level.depth}'s date"
        return self

    @classmethod
    def from_dict(cls, data: Any) -> Case:
        """Validate a dict; raise CaseError naming the case, level and field."""
        if not isinstance(data, dict):
            raise CaseError(f"case: expected a JSON object, got {type(data).__name__}: "
                            f"{data!r:.80}")
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise CaseError(_describe(exc, data)) from None

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":"))


def _describe(exc: ValidationError, data: dict[str, Any]) -> str:
    """pydantic's errors as 'case ID: level D: candidate N: field F expected ...; got ...'."""
    levels = data.get("levels") if isinstance(data.get("levels"), list) else []
    parts = []
    for err in exc.errors():
        loc, where = list(err["loc"]), []
        if loc[:1] == ["levels"] and len(loc) > 1 and isinstance(loc[1], int):
            raw = levels[loc[1]] if loc[1] < len(levels) else None
            depth = raw.get("depth") if isinstance(raw, dict) else None
            where.append(f"level {depth if depth is not None else f'#{loc[1] + 1}'}")
            loc = loc[2:]
            if loc[:1] == ["candidates"] and len(loc) > 1 and isinstance(loc[1], int):
                where.append(f"candidate {loc[1] + 1}")
                loc = loc[2:]
        msg = err["msg"].removeprefix("Value error, ")
        if loc:
            got = "nothing" if err["type"] == "missing" else repr(err.get("input"))[:100]
            where.append(f"field '{'.'.join(map(str, loc))}' expected: "
                         f"{msg[0].lower() + msg[1:]}; got: {got}")
        else:
            where.append(msg)
        parts.append(": ".join(where))
    return f"case {data.get('id', '<no id>')!r}: " + "; ".join(parts)


def split_of(key: str) -> Split:
    """The fixed part of whatever `key` names (a case, a person, a question): a salted
    hash, so the split never moves when cases are added or reordered."""
    digest = hashlib.sha256(f"{SPLIT_SALT}:{key}".encode()).digest()
    u = int.from_bytes(digest[:8], "big") / 2**64
    return "test" if u < TEST_FRACTION else "val" if u < TEST_FRACTION + VAL_FRACTION else "train"


def iter_cases(path: str | Path) -> Iterator[Case]:
    """Yield validated cases; a bad line raises DataFileError naming file:line and field."""
    path = Path(path)
    if not path.is_file():
        raise DataFileError(f"{path}: no such file; make one with `augur forecast generate` "
                            "or `augur forecast import`")
    seen: dict[str, int] = {}
    with path.open(encoding="utf-8") as f:
        for lineno, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                case = Case.from_dict(json.loads(line))
            except json.JSONDecodeError as exc:
                raise DataFileError(f"{path}:{lineno}: not valid JSON ({exc.msg})") from None
            except CaseError as exc:
                raise DataFileError(f"{path}:{lineno}: {exc}") from None
            if case.id in seen:
                raise DataFileError(f"{path}:{lineno}: case {case.id!r}: field 'id': already "
                                    f"used on line {seen[case.id]}; give every case its own id")
            seen[case.id] = lineno
            yield case


def read_cases(path: str | Path) -> list[Case]:
    cases = list(iter_cases(path))
    if not cases:
        raise DataFileError(f"{path}: the file holds no cases")
    return cases


def write_cases(path: str | Path, cases: Iterable[Case]) -> int:
    """Write cases atomically, one JSON object per line; return how many."""
    return write_lines(path, (c.to_json() for c in cases))


def rounded(probs: list[float], digits: int = 6) -> list[float]:
    """Probabilities rounded for the file, the rounding error put on the largest so
    they still sum to 1 (a file is byte-identical across runs and platforms)."""
    out = [round(p, digits) for p in probs]
    top = max(range(len(out)), key=out.__getitem__)
    out[top] = round(out[top] + 1.0 - math.fsum(out), digits)
    return out
