"""Runs a REM query on a store: the same executor for every store.

    ex = Executor(store, Embedder())
    result = ex.run('SEARCH "ci failure" IN resources LIMIT 5')
    result.rows  # list of dicts, each with its score parts for SEARCH

Relative dates ("last week") resolve against `now`: the request's reference time,
else the newest record in the store (a memory built from a simulated year answers
"last week" about its own last week, not the calendar's).
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from augur.memory.dialect import parse_any
from augur.memory.query import (
    FuzzyQuery,
    LookupQuery,
    SearchQuery,
    SqlQuery,
    TraverseQuery,
)
from augur.memory.sandbox import check_sql
from augur.memory.search import SearchConfig, hybrid_search
from augur.memory.store.base import Filters, Store


@dataclass
class ExecConfig:
    max_rows: int = 1000  # SQL answers are cut here
    sql_timeout_s: float = 2.0  # a SELECT running longer is cancelled
    max_traverse_nodes: int = 500  # TRAVERSE stops expanding past this many records
    # TRAVERSE follows at most this many edges out of and into each record, the
    # strongest and newest first (None: all). A person or project hub links to
    # thousands of records; reading them all made depth 2 cost 40 ms at 100k resources
    # and answered with whichever 500 came first.
    max_fanout: int | None = 25
    search: SearchConfig = field(default_factory=SearchConfig)


@dataclass
class Result:
    query: Any  # the typed query that ran
    columns: list[str]
    rows: list[dict[str, Any]]
    elapsed_ms: float

    def to_json(self) -> dict[str, Any]:
        return {"query": self.query.to_text(), "query_type": self.query.query_type,
                "parameters": self.query.parameters(), "columns": self.columns,
                "rows": [jsonable(r) for r in self.rows],
                "elapsed_ms": round(self.elapsed_ms, 3)}


class Executor:
    def __init__(self, store: Store, embedder=None, cfg: ExecConfig | None = None) -> None:
        self.store = store
        self.embedder = embedder  # None: SEARCH runs without its semantic part
        self.cfg = cfg or ExecConfig()

    def run(self, query, now: datetime | None = None) -> Result:
        """Parse (text, typed object or JSON form) and execute; QueryError / SandboxError
        / StoreError say what was wrong."""
        t0 = time.perf_counter()
        q = parse_any(query)
        run = {"LOOKUP": self._lookup, "SEARCH": self._search, "FUZZY": self._fuzzy,
               "TRAVERSE": self._traverse, "SQL": self._sql}[q.query_type]
        columns, rows = run(q, now)
        return Result(q, columns, rows, (time.perf_counter() - t0) * 1000)

    def reference_time(self, now: datetime | None) -> datetime:
        return now or self.store.latest() or datetime.now(UTC)

    def _lookup(self, q: LookupQuery, now) -> tuple[list[str], list[dict]]:
        rows = self.store.lookup(q.key, q.table_name)
        return _columns(rows), rows

    def _records(self, table: str, scored: list[tuple[str, float]], extra) -> list[dict]:
        out = []
        for rid, score in scored:
            rec = self.store.get(table, rid)
            if rec is not None:
                out.append({"table": table, "score": round(score, 6), **extra(rid), **rec})
        return out

    def _search(self, q: SearchQuery, now) -> tuple[list[str], list[dict]]:
        lo = hi = None
        if q.time_filter is not None:
            lo, hi = q.time_filter.bounds(self.reference_time(now))
        filters = Filters(project=q.project, kind=q.kind, person=q.person, after=lo, before=hi)
        vec = (self.embedder.embed_one(q.query_text)
               if self.embedder is not None and q.table_name != "entities" else None)
        hits = hybrid_search(self.store, q.query_text, q.table_name, filters, q.limit, vec,
                             self.cfg.search)
        parts = {h.id: h.parts for h in hits}
        rows = self._records(q.table_name, [(h.id, h.score) for h in hits],
                             lambda rid: {"parts": parts[rid]})
        return _columns(rows), rows

    def _fuzzy(self, q: FuzzyQuery, now) -> tuple[list[str], list[dict]]:
        scored = self.store.fuzzy(q.query_text, q.table_name, q.threshold, q.limit)
        rows = self._records(q.table_name, scored, lambda rid: {})
        return _columns(rows), rows

    def _traverse(self, q: TraverseQuery, now) -> tuple[list[str], list[dict]]:
        as_of = q.as_of
        if isinstance(as_of, date) and not isinstance(as_of, datetime):
            as_of = datetime.combine(as_of, datetime.min.time(), UTC)
        elif isinstance(as_of, datetime) and as_of.tzinfo is None:
            as_of = as_of.replace(tzinfo=UTC)
        starts = [r["id"] for r in self.store.lookup(q.key)] or [q.key]
        seen = {s: 0 for s in starts}
        rows: list[dict] = []
        frontier = deque(starts)
        for depth in range(1, q.depth + 1):
            nxt: list[str] = []
            here_set = set(frontier)
            edges = self.store.edges(list(frontier), q.edge_types, as_of, light=True,
                                     per_node=self.cfg.max_fanout)
            for e in edges:
                for here, there in ((e["from_id"], e["to_id"]), (e["to_id"], e["from_id"])):
                    if here in here_set and there not in seen:
                        seen[there] = depth
                        nxt.append(there)
                        rows.append({"id": there, "depth": depth, "via": e["type"],
                                     "from": here, "edge_score": e["score"],
                                     "table": None, "name": None})
                if len(seen) >= self.cfg.max_traverse_nodes:
                    break
            frontier = deque(nxt)
            if not frontier or len(seen) >= self.cfg.max_traverse_nodes:
                break
        names = self.store.names([r["id"] for r in rows])
        for row in rows:
            row["table"], row["name"] = names.get(row["id"], (None, None))
        return ["id", "table", "name", "depth", "via", "from", "edge_score"], rows

    def _sql(self, q: SqlQuery, now) -> tuple[list[str], list[dict]]:
        sql = check_sql(q.sql, self.cfg.max_rows)
        columns, values = self.store.select(sql, self.cfg.max_rows, self.cfg.sql_timeout_s)
        return columns, [dict(zip(columns, v, strict=True)) for v in values]


def _columns(rows: list[dict]) -> list[str]:
    cols: dict[str, None] = {}
    for r in rows:
        cols.update(dict.fromkeys(r))
    return list(cols)


def jsonable(v: Any) -> Any:
    if isinstance(v, dict):
        return {k: jsonable(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [jsonable(x) for x in v]
    if isinstance(v, datetime | date):
        return v.isoformat()
    if isinstance(v, bytes):
        return v.hex()
    return v
