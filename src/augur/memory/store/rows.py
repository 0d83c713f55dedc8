"""Records to table rows and back, shared by every store so that both return the same
dicts: timestamps as ISO 8601 text in UTC (sortable, comparable in SQL as text),
lists and dicts as JSON text, moment start/end as `starts_at` / `ends_at` (END is
reserved in SQL)."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel

from augur.memory.entities import normalize
from augur.memory.model import Edge, Entity, Fact, Moment, Resource
from augur.memory.store.base import StoreError

# Every table's columns, in order. `digest` lets a re-ingest skip unchanged records.
COLUMNS: dict[str, tuple[str, ...]] = {
    "resources": ("id", "name", "kind", "content", "project", "persons", "topics",
                  "created_at", "source", "digest"),
    "entities": ("id", "name", "kind", "aliases", "comment", "digest"),
    "moments": ("id", "name", "summary", "content", "starts_at", "ends_at", "moment_type",
                "emotion_tags", "topic_tags", "present_persons", "project", "digest"),
    "edges": ("from_id", "to_id", "type", "score", "reason", "metadata", "provenance",
              "created_at", "valid_at", "invalid_at"),
    "facts": ("id", "subject", "predicate", "value", "source", "created_at", "valid_at",
              "invalid_at"),
}
JSON_COLUMNS = {"persons", "topics", "aliases", "emotion_tags", "topic_tags",
                "present_persons", "metadata"}
TIME_COLUMNS = {"created_at", "starts_at", "ends_at", "valid_at", "invalid_at"}
# The column each table's time filters read.
TIME_OF = {"resources": "created_at", "moments": "starts_at", "entities": None,
           "edges": "valid_at", "facts": "valid_at"}
KIND_OF = {"resources": "kind", "moments": "moment_type", "entities": "kind"}
# The tables with text of their own, and what each indexes for BM25.
TEXT_FTS = {"resources": ("name", "content"), "entities": ("name", "aliases"),
            "moments": ("name", "content")}
DEFAULT_DIM = 384  # all-MiniLM-L6-v2
MODELS = {"resources": Resource, "entities": Entity, "moments": Moment, "edges": Edge,
          "facts": Fact}


def iso(t: datetime | None) -> str | None:
    """UTC ISO text, seconds precision kept to the microsecond when present."""
    return None if t is None else t.astimezone(UTC).isoformat()


def parse_time(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def to_row(table: str, record: BaseModel) -> tuple:
    data = record.model_dump(mode="python", by_alias=False)
    if table == "moments":
        data["starts_at"], data["ends_at"] = data.pop("start"), data.pop("end")
    if table in ("resources", "entities", "moments"):
        data["digest"] = digest(record)
    out = []
    for col in COLUMNS[table]:
        v = data.get(col)
        if col in JSON_COLUMNS:
            v = json.dumps(v, sort_keys=True, default=str)
        elif col in TIME_COLUMNS:
            v = iso(v)
        out.append(v)
    return tuple(out)


def from_row(table: str, columns: list[str], values: tuple | list) -> dict[str, Any]:
    row = {}
    for col, v in zip(columns, values, strict=True):
        if col == "digest":
            continue
        if col in JSON_COLUMNS and isinstance(v, str):
            v = json.loads(v)
        elif col in TIME_COLUMNS and isinstance(v, str):
            v = parse_time(v)
        row[col] = v
    return row


def digest(record: BaseModel) -> str:
    """A hash of what a record says: re-ingesting the same record is a no-op, and a
    changed one under the same id is an update, not a duplicate."""
    return hashlib.sha256(record.model_dump_json().encode()).hexdigest()


def alias_keys(table: str, record: BaseModel) -> set[str]:
    """The normalised keys LOOKUP finds a record by: its id and name, and an entity's
    aliases (with the forms people write, from the resolver)."""
    from augur.memory.entities import EntityResolver

    keys = {plain(record.id), plain(getattr(record, "name", "") or "")}
    if table == "entities":
        keys |= set(EntityResolver().add(record).keys(record.id))
        keys |= {normalize(a) for a in record.aliases}
    return {k for k in keys if k}


def plain(text: str) -> str:
    """Lower-case words joined by '-', numbers kept: 'PR-33' -> 'pr-33'. Ids and titles
    are indexed this way; only entities also get `normalize`'s forms, which drop a
    handle's number ('sarah-123' -> 'sarah') and would make every pr-N one key."""
    return "-".join("".join(c if c.isalnum() else " " for c in text.lower()).split())


def lookup_keys(key: str, table: str) -> list[str]:
    """The index keys LOOKUP tries for `key` in `table`."""
    keys = {plain(key)} | ({normalize(key)} if table == "entities" else set())
    return sorted(k for k in keys if k)


def mention_keys(table: str, record: BaseModel) -> set[str]:
    """The entity keys a record names: its people, project and topics."""
    if table == "resources":
        names = [*record.persons, *record.topics, record.project]
    elif table == "moments":
        names = [*(p.id for p in record.present_persons), *record.topic_tags, record.project]
    else:
        return set()
    return {normalize(n) for n in names if n}


def trigrams(text: str) -> set[str]:
    """pg_trgm's trigrams: each word lower-cased, padded with two blanks before and one
    after, so that SQLite and PostgreSQL score FUZZY the same way."""
    out: set[str] = set()
    for word in "".join(c if c.isalnum() else " " for c in text.lower()).split():
        w = f"  {word} "
        out |= {w[i:i + 3] for i in range(len(w) - 2)}
    return out


def similarity(a: str, b: str) -> float:
    """pg_trgm's similarity(): shared trigrams over the union."""
    ta, tb = trigrams(a), trigrams(b)
    return len(ta & tb) / len(ta | tb) if ta and tb else 0.0


def fts_query(text: str) -> str:
    """Free text as an FTS5 query: each word a quoted term, any of them may match."""
    words = [w for w in "".join(ch if ch.isalnum() else " " for ch in text.lower()).split()
             if len(w) > 1 or w.isdigit()]
    return " OR ".join(f'"{w}"' for w in dict.fromkeys(words))


def check_table(table: str, text: bool = False) -> None:
    allowed = TEXT_FTS if text else COLUMNS
    if table not in allowed:
        raise StoreError(f"table: expected one of {', '.join(allowed)}, got {table!r}")


def filter_sql(table: str, f, alias: str, mark: str) -> tuple[str, list]:
    """SEARCH's filters (base.Filters) as a SQL condition on `alias` and its parameters;
    `mark` is the driver's placeholder (SQLite '?', psycopg '%s')."""
    sql, params = [], []
    if f.project is not None and table != "entities":
        sql.append(f"{alias}.project = {mark}")
        params.append(f.project)
    if f.kind is not None:
        sql.append(f"{alias}.{KIND_OF[table]} = {mark}")
        params.append(f.kind)
    if f.person is not None:
        sql.append(f"{alias}.id IN (SELECT id FROM rem_mentions WHERE tbl = {mark} AND "
                   f"key = {mark})")
        params += [table, normalize(f.person)]
    tcol = TIME_OF.get(table)
    if tcol and f.after is not None:
        sql.append(f"{alias}.{tcol} >= {mark}")
        params.append(iso(f.after))
    if tcol and f.before is not None:
        sql.append(f"{alias}.{tcol} < {mark}")
        params.append(iso(f.before))
    return (" AND ".join(sql) or "1 = 1"), params
