"""The one interface every REM store implements (SQLite, PostgreSQL).

The stores hold records and answer primitive reads; the executor (executor.py)
turns a typed query into those reads, so both stores run the same dialect the
same way. One contract test suite (tests/memory/test_store_contract.py) runs
against every store.

Rows come back as plain dicts with the record's fields (timestamps as aware
datetimes, lists as lists), the same from every store.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np

from augur.errors import AugurError
from augur.memory.model import MemoryBatch


class StoreError(AugurError):
    """A store that cannot be opened or written; says how to fix it."""


@dataclass(frozen=True)
class Filters:
    """What SEARCH narrows by. Times are [after, before) on created_at (moments: start)."""

    project: str | None = None
    kind: str | None = None  # resource kind, moment type or entity kind
    person: str | None = None  # an entity id: the record names this person
    after: datetime | None = None
    before: datetime | None = None

    def empty(self) -> bool:
        return all(v is None for v in (self.project, self.kind, self.person, self.after,
                                       self.before))


@dataclass
class AddResult:
    """What one `add` changed: new records per table, and updated ones (same id,
    new content). A re-ingest of the same batch adds and updates nothing."""

    added: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    invalidated_facts: int = 0

    @property
    def total(self) -> int:
        return sum(self.added.values()) + sum(self.updated.values())


# What a traversal needs of an edge: `edges(..., light=True)` returns only these.
LIGHT_EDGE = ("from_id", "to_id", "type", "score")
Scored = list[tuple[str, float]]  # (record id, score), best first


class Store(ABC):
    """A person's REM memory."""

    dim: int  # embedding width; vectors passed to add and vector must have it

    @abstractmethod
    def add(self, batch: MemoryBatch, vectors: dict[str, np.ndarray] | None = None
            ) -> AddResult:
        """Add a batch in one transaction: all of it or, on any error, none of it.
        Records are keyed by id (edges by from, to, type): the same record again is a
        no-op, a changed one replaces the old. `vectors` maps a resource or moment id to
        its embedding (float32, `dim` wide). A fact whose subject and predicate already
        hold another open value closes that value at the new fact's valid_at."""

    @abstractmethod
    def get(self, table: str, record_id: str) -> dict[str, Any] | None: ...

    @abstractmethod
    def lookup(self, key: str, table: str | None = None) -> list[dict[str, Any]]:
        """Records whose id or name is `key` (case-insensitive), and entities one of
        whose aliases is; each row has a `table` field."""

    @abstractmethod
    def bm25(self, text: str, table: str, filters: Filters, limit: int) -> Scored:
        """Lexical matches, higher is better (BM25 over name and content)."""

    @abstractmethod
    def vector(self, vec: np.ndarray, table: str, filters: Filters, limit: int) -> Scored:
        """Nearest records by cosine similarity to `vec` (resources and moments)."""

    @abstractmethod
    def mentioning(self, entity_ids: list[str], table: str, filters: Filters,
                   limit: int) -> Scored:
        """Records that name any of these entities (persons, project, topics), scored
        by how many they name, newest first among ties."""

    @abstractmethod
    def fuzzy(self, text: str, table: str, threshold: float, limit: int) -> Scored:
        """Records whose name is similar to `text` (trigram similarity in [0, 1])."""

    @abstractmethod
    def edges(self, ids: list[str], edge_types: list[str], as_of: datetime | None,
              light: bool = False, per_node: int | None = None) -> list[dict[str, Any]]:
        """Edges leaving or entering any of `ids`, of these types (all if empty), valid
        at `as_of` (valid_at <= as_of < invalid_at; only open edges if None). `light`:
        only the LIGHT_EDGE fields, unconverted (a hub has thousands of edges).
        `per_node`: at most this many leaving and this many entering each of `ids`, the
        highest score first, then the newest valid_at (None: all of them)."""

    @abstractmethod
    def facts(self, subject: str | None = None, as_of: datetime | None = None
              ) -> list[dict[str, Any]]:
        """Facts (of one subject), those valid at `as_of`, or all, closed ones included,
        if `as_of` is None."""

    @abstractmethod
    def select(self, sql: str, max_rows: int, timeout_s: float
               ) -> tuple[list[str], list[tuple]]:
        """Run one SELECT the sandbox already accepted: (columns, rows), at most
        max_rows, cancelled after timeout_s. Read-only at the connection level too."""

    @abstractmethod
    def latest(self) -> datetime | None:
        """The newest created_at (moments: end) in the store: the reference time for
        relative dates when a query names none."""

    @abstractmethod
    def stats(self) -> dict[str, int]:
        """Records per table."""

    @abstractmethod
    def export(self) -> Iterator[dict[str, Any]]:
        """Every record as {"table": ..., **record}, in table then id order."""

    @abstractmethod
    def close(self) -> None: ...

    # ---- people's labels of task 2's edges (labels.py) ------------------------------
    def save_edge_labels(self, annotator: str, labels: list) -> int:
        """Save one person's labels (EdgeLabel or dicts of its fields) in one transaction,
        replacing their earlier label of the same pair; a StoreError names the first
        wrong field and nothing is written. Returns how many were saved."""
        from augur.memory.store.labels import label_rows

        rows = label_rows(annotator, labels)
        self._write_labels(rows)
        return len(rows)

    def edge_labels(self, annotator: str | None = None) -> list[dict[str, Any]]:
        """Saved labels (of one annotator), by annotator, source and candidate."""
        from augur.memory.store.labels import label_dict

        return [label_dict(r) for r in self._read_labels(annotator)]

    @abstractmethod
    def _write_labels(self, rows: list[tuple]) -> None:
        """Upsert rows of labels.LABEL_COLUMNS in one transaction."""

    @abstractmethod
    def _read_labels(self, annotator: str | None) -> list[tuple]: ...

    def names(self, ids: list[str]) -> dict[str, tuple[str, str]]:
        """id -> (table, name) for those of `ids` that are resources, moments or entities
        (a few queries for the lot, not one per id)."""
        out: dict[str, tuple[str, str]] = {}
        for table in ("resources", "moments", "entities"):
            todo = [i for i in ids if i not in out]
            for start in range(0, len(todo), 500):
                chunk = todo[start:start + 500]
                quoted = ", ".join("'" + i.replace("'", "''") + "'" for i in chunk)
                _, rows = self.select(f"SELECT id, name FROM {table} WHERE id IN ({quoted})",
                                      len(chunk), 30.0)
                out.update({r[0]: (table, r[1]) for r in rows})
        return out

    def digests(self, table: str, ids: list[str]) -> dict[str, str]:
        """id -> stored digest for those of `ids` already in `table` (resources, entities,
        moments): ingest skips embedding records that have not changed."""
        out: dict[str, str] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            quoted = ", ".join("'" + i.replace("'", "''") + "'" for i in chunk)
            _, rows = self.select(f"SELECT id, digest FROM {table} WHERE id IN ({quoted})",
                                  len(chunk), 30.0)
            out.update({r[0]: r[1] for r in rows})
        return out

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()
