"""The REM dialect's typed queries: one pydantic model per operation, their canonical
text, and the seed's JSON form ({intent, query_type, parameters, explanation}).

    LOOKUP pr-12 [IN resources]
    SEARCH "ci failure" IN resources [PROJECT 'atlas'] [KIND 'pr'] [PERSON 'ana']
           [AFTER '2025-02-01'] [BEFORE '2025-03-01'] [DURING 'last week'] [LIMIT 5]
    FUZZY 'machin lerning' IN resources [THRESHOLD 0.7] [LIMIT 10]
    TRAVERSE pr-12 [VIA SEE_ALSO, MENTIONS] [DEPTH 2] [AS OF '2025-03-01']
    SELECT name, created_at FROM resources WHERE project = 'atlas' LIMIT 10

`parse` (dialect.py) turns text into these models and `to_text` prints them back;
`parse(q.to_text()) == q` for every query (tested). The same models are the
output schema (and so the grammar) of the query-generation task.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, field_validator

from augur.memory.model import EDGE_TYPES, TEXT_TABLES

QueryType = Literal["LOOKUP", "SEARCH", "FUZZY", "TRAVERSE", "SQL"]
TextTable = Literal["resources", "entities", "moments"]
MAX_LIMIT = 1000
MAX_DEPTH = 4
_BARE_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:@/-]*$")
_KEYWORDS = {"IN", "VIA", "DEPTH", "AS", "OF", "LIMIT", "THRESHOLD", "PROJECT", "KIND",
             "PERSON", "AFTER", "BEFORE", "DURING", "LOOKUP", "SEARCH", "FUZZY", "TRAVERSE"}
# Relative periods DURING understands, resolved against a reference time.
_RELATIVE = re.compile(
    r"^(today|yesterday|this week|last week|this month|last month|"
    r"(?:last|past) (\d{1,3}) (day|days|week|weeks|month|months))$")


class QueryError(ValueError):
    """A query that does not parse or does not type-check; says where and what was expected."""


def check_relative(text: str) -> str:
    norm = " ".join(text.lower().split())
    if not _RELATIVE.match(norm):
        raise ValueError(f"DURING: expected one of today, yesterday, this week, last week, "
                         f"this month, last month, 'last N days|weeks|months', got {text!r}")
    return norm


def parse_when(value: Any, clause: str) -> Any:
    """A date if the text is a plain YYYY-MM-DD, else a timestamp (datetime.fromisoformat):
    the dialect, the JSON form and to_text's isoformat() all read back the same type."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return date.fromisoformat(text)
        return datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{clause}: expected a date such as 2025-03-01 or an ISO timestamp "
                         f"such as 2025-03-01T09:30:00+00:00, got {value!r}") from None


def resolve_relative(text: str, ref: datetime) -> tuple[datetime, datetime]:
    """[start, end) of a relative period, in the reference time's zone. Weeks start Monday."""
    m = _RELATIVE.match(check_relative(text))
    day0 = datetime.combine(ref.date(), time(), ref.tzinfo or UTC)
    name = m.group(1)
    if name == "today":
        return day0, day0 + timedelta(days=1)
    if name == "yesterday":
        return day0 - timedelta(days=1), day0
    week0 = day0 - timedelta(days=ref.weekday())
    if name == "this week":
        return week0, week0 + timedelta(days=7)
    if name == "last week":
        return week0 - timedelta(days=7), week0
    month0 = day0.replace(day=1)
    if name == "this month":
        return month0, (month0 + timedelta(days=32)).replace(day=1)
    if name == "last month":
        return (month0 - timedelta(days=1)).replace(day=1), month0
    n, unit = int(m.group(2)), m.group(3).rstrip("s")
    days = n * {"day": 1, "week": 7, "month": 30}[unit]
    return day0 + timedelta(days=1) - timedelta(days=days), ref + timedelta(seconds=1)


class TimeFilter(BaseModel):
    """Absolute bounds (dates or timestamps) and/or a relative period."""

    model_config = ConfigDict(extra="forbid")

    after: datetime | date | None = None
    before: datetime | date | None = None
    during: str | None = None

    @field_validator("after", "before", mode="before")
    @classmethod
    def _when(cls, v: Any, info) -> Any:
        return parse_when(v, info.field_name.upper())

    @field_validator("during")
    @classmethod
    def _relative(cls, v: str | None) -> str | None:
        return None if v is None else check_relative(v)

    def empty(self) -> bool:
        return self.after is None and self.before is None and self.during is None

    def bounds(self, ref: datetime) -> tuple[datetime | None, datetime | None]:
        """[after, before) as aware datetimes; dates are midnight in the reference's zone."""
        tz = ref.tzinfo or UTC
        lo, hi = (_at(self.after, tz), _at(self.before, tz))
        if self.during is not None:
            a, b = resolve_relative(self.during, ref)
            lo, hi = max(filter(None, (lo, a))), min(filter(None, (hi, b)))
        return lo, hi


def _at(v: datetime | date | None, tz) -> datetime | None:
    if v is None or isinstance(v, datetime):
        return v if v is None or v.tzinfo else v.replace(tzinfo=tz)
    return datetime.combine(v, time(), tz)


class _Query(BaseModel):
    model_config = ConfigDict(extra="forbid")

    def parameters(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude={"query_type"}, exclude_none=True)


class LookupQuery(_Query):
    """Exact match on an id, a name or an entity alias."""

    query_type: Literal["LOOKUP"] = "LOOKUP"
    key: str = Field(min_length=1, max_length=200)
    table_name: TextTable | None = None

    def to_text(self) -> str:
        table = f" IN {self.table_name}" if self.table_name else ""
        return f"LOOKUP {_key(self.key)}{table}"


class SearchQuery(_Query):
    """Hybrid search: semantic, BM25 and entity matches fused, with filters."""

    query_type: Literal["SEARCH"] = "SEARCH"
    query_text: str = Field(min_length=1, max_length=500)
    table_name: TextTable = "resources"
    project: str | None = None
    kind: str | None = None
    person: str | None = None
    time_filter: TimeFilter | None = None
    limit: int = Field(default=10, ge=1, le=MAX_LIMIT)

    @field_validator("time_filter")
    @classmethod
    def _no_empty_filter(cls, v: TimeFilter | None) -> TimeFilter | None:
        # An empty filter prints as nothing, so it must equal no filter for the round trip.
        return None if v is None or v.empty() else v

    def to_text(self) -> str:
        parts = [f"SEARCH {_dq(self.query_text)} IN {self.table_name}"]
        parts += [f"{name.upper()} {_sq(v)}" for name in ("project", "kind", "person")
                  if (v := getattr(self, name)) is not None]
        parts += _time_text(self.time_filter)
        if self.limit != 10:
            parts.append(f"LIMIT {self.limit}")
        return " ".join(parts)


class FuzzyQuery(_Query):
    """Approximate name and text matching, for misspellings (trigram similarity)."""

    query_type: Literal["FUZZY"] = "FUZZY"
    query_text: str = Field(min_length=1, max_length=200)
    table_name: TextTable = "resources"
    threshold: float = Field(default=0.3, ge=0.0, le=1.0, allow_inf_nan=False)
    limit: int = Field(default=10, ge=1, le=MAX_LIMIT)

    def to_text(self) -> str:
        parts = [f"FUZZY {_sq(self.query_text)} IN {self.table_name}"]
        if self.threshold != 0.3:
            parts.append(f"THRESHOLD {_num(self.threshold)}")
        if self.limit != 10:
            parts.append(f"LIMIT {self.limit}")
        return " ".join(parts)


class TraverseQuery(_Query):
    """Records reachable from `key` over edges, breadth first, valid at `as_of`."""

    query_type: Literal["TRAVERSE"] = "TRAVERSE"
    key: str = Field(min_length=1, max_length=200)
    edge_types: list[str] = Field(default_factory=list)
    depth: int = Field(default=1, ge=1, le=MAX_DEPTH)
    as_of: datetime | date | None = None

    @field_validator("edge_types")
    @classmethod
    def _types(cls, v: list[str]) -> list[str]:
        bad = [t for t in v if not re.fullmatch(r"[A-Z][A-Z_]{1,39}", t)]
        if bad:
            raise ValueError(f"VIA: expected upper-case edge types such as "
                             f"{', '.join(EDGE_TYPES[:4])}, got {bad}")
        return v

    @field_validator("as_of", mode="before")
    @classmethod
    def _when(cls, v: Any) -> Any:
        return parse_when(v, "AS OF")

    def to_text(self) -> str:
        parts = [f"TRAVERSE {_key(self.key)}"]
        if self.edge_types:
            parts.append("VIA " + ", ".join(self.edge_types))
        if self.depth != 1:
            parts.append(f"DEPTH {self.depth}")
        if self.as_of is not None:
            parts.append(f"AS OF {_sq(self.as_of.isoformat())}")
        return " ".join(parts)


class SqlQuery(_Query):
    """One read-only SELECT over the REM tables; checked by the sandbox before it runs."""

    query_type: Literal["SQL"] = "SQL"
    sql: str = Field(min_length=1, max_length=4000)

    @field_validator("sql", mode="before")
    @classmethod
    def _trim(cls, v: Any) -> Any:
        # Stored as printed, so that parse(q.to_text()) == q.
        return v.strip().rstrip(";").strip() if isinstance(v, str) else v

    def to_text(self) -> str:
        return self.sql.strip().rstrip(";").strip()


Query = Annotated[LookupQuery | SearchQuery | FuzzyQuery | TraverseQuery | SqlQuery,
                  Field(discriminator="query_type")]
QUERY_ADAPTER: TypeAdapter = TypeAdapter(Query)
_BY_TYPE = {c.model_fields["query_type"].default: c
            for c in (LookupQuery, SearchQuery, FuzzyQuery, TraverseQuery, SqlQuery)}


class RemQuery(BaseModel):
    """The seed's JSON form of a query: what an LLM writes, with its reasoning."""

    model_config = ConfigDict(extra="forbid")

    intent: str = ""
    query_type: QueryType
    parameters: dict[str, Any] = Field(default_factory=dict)
    explanation: str = ""

    def typed(self):
        """The typed query these parameters describe; QueryError names a bad field."""
        from pydantic import ValidationError

        try:
            return _BY_TYPE[self.query_type].model_validate(self.parameters)
        except ValidationError as e:
            raise QueryError("; ".join(
                f"parameters.{'.'.join(map(str, x['loc']))}: {x['msg']} "
                f"(got {x.get('input')!r:.60})" for x in e.errors())) from None

    @classmethod
    def of(cls, query, intent: str = "", explanation: str = "") -> RemQuery:
        return cls(intent=intent, query_type=query.query_type,
                   parameters=query.parameters(), explanation=explanation)


def _time_text(tf: TimeFilter | None) -> list[str]:
    if tf is None:
        return []
    out = []
    if tf.after is not None:
        out.append(f"AFTER {_sq(tf.after.isoformat())}")
    if tf.before is not None:
        out.append(f"BEFORE {_sq(tf.before.isoformat())}")
    if tf.during is not None:
        out.append(f"DURING {_sq(tf.during)}")
    return out


def _key(k: str) -> str:
    # fullmatch: `$` would also match before a trailing newline, printing it bare.
    return k if _BARE_KEY.fullmatch(k) and k.upper() not in _KEYWORDS else _dq(k)


def _dq(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _sq(s: str) -> str:
    return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _num(x: float) -> str:
    # repr is the shortest text that reads back as the same float (1e-10 stays 1e-10).
    return repr(float(x))


def table_check(name: str) -> str:
    if name not in TEXT_TABLES:
        raise QueryError(f"IN: expected one of {', '.join(TEXT_TABLES)}, got {name!r}")
    return name
