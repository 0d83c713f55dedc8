"""The embedded REM store: one SQLite file.

- BM25 from FTS5 (porter stemming) over name and content, one FTS table per text table
  sharing the record's rowid;
- FUZZY from an in-memory trigram index over names (trigram_index.py), scored with
  pg_trgm's similarity so both stores agree;
- vectors as float32 blobs, searched with numpy over a matrix held in memory (loaded
  on the first vector search, dropped when the table changes), exactly below 20k rows
  and through a principal-directions prefilter above (vector_index.py); Python's
  sqlite3 here cannot load sqlite-vec;
- sandboxed SELECTs on a second, read-only connection with an authorizer that denies
  everything but reads of the REM tables, and a progress handler as the time limit.

Writes go through one connection in one transaction per batch (journal mode WAL):
a failure or a kill -9 mid-batch leaves the file as it was.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from augur.memory.entities import normalize
from augur.memory.model import MemoryBatch
from augur.memory.store import rows as R
from augur.memory.store.base import LIGHT_EDGE, AddResult, Filters, Scored, Store, StoreError
from augur.memory.store.labels import labels_ddl, select_sql, upsert_sql
from augur.memory.store.rows import DEFAULT_DIM, TEXT_FTS, check_table, fts_query
from augur.memory.store.trigram_index import TrigramIndex
from augur.memory.store.vector_index import VectorIndex, VectorIndexConfig

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS resources(id TEXT PRIMARY KEY, name TEXT NOT NULL, kind TEXT,
  content TEXT, project TEXT, persons TEXT, topics TEXT, created_at TEXT, source TEXT,
  digest TEXT);
CREATE TABLE IF NOT EXISTS entities(id TEXT PRIMARY KEY, name TEXT NOT NULL, kind TEXT,
  aliases TEXT, comment TEXT, digest TEXT);
CREATE TABLE IF NOT EXISTS moments(id TEXT PRIMARY KEY, name TEXT NOT NULL, summary TEXT,
  content TEXT, starts_at TEXT, ends_at TEXT, moment_type TEXT, emotion_tags TEXT,
  topic_tags TEXT, present_persons TEXT, project TEXT, digest TEXT);
CREATE TABLE IF NOT EXISTS edges(from_id TEXT NOT NULL, to_id TEXT NOT NULL,
  type TEXT NOT NULL, score REAL, reason TEXT, metadata TEXT, provenance TEXT,
  created_at TEXT, valid_at TEXT, invalid_at TEXT, PRIMARY KEY(from_id, to_id, type));
CREATE TABLE IF NOT EXISTS facts(id TEXT PRIMARY KEY, subject TEXT NOT NULL,
  predicate TEXT NOT NULL, value TEXT, source TEXT, created_at TEXT, valid_at TEXT,
  invalid_at TEXT);
CREATE TABLE IF NOT EXISTS rem_aliases(key TEXT NOT NULL, tbl TEXT NOT NULL, id TEXT NOT NULL,
  PRIMARY KEY(key, tbl, id));
CREATE TABLE IF NOT EXISTS rem_mentions(key TEXT NOT NULL, tbl TEXT NOT NULL, id TEXT NOT NULL,
  PRIMARY KEY(key, tbl, id));
CREATE TABLE IF NOT EXISTS rem_vectors(tbl TEXT NOT NULL, id TEXT NOT NULL, vec BLOB NOT NULL,
  PRIMARY KEY(tbl, id));
DROP INDEX IF EXISTS edges_to;
CREATE INDEX IF NOT EXISTS edges_from_rank ON edges(from_id, score DESC, valid_at DESC, to_id,
  type);
CREATE INDEX IF NOT EXISTS edges_to_rank ON edges(to_id, score DESC, valid_at DESC, from_id,
  type);
CREATE INDEX IF NOT EXISTS facts_subject ON facts(subject, predicate);
CREATE INDEX IF NOT EXISTS resources_created ON resources(created_at);
CREATE INDEX IF NOT EXISTS moments_start ON moments(starts_at);
CREATE INDEX IF NOT EXISTS mentions_id ON rem_mentions(tbl, id);
CREATE INDEX IF NOT EXISTS aliases_id ON rem_aliases(tbl, id);
"""
SANDBOX_TABLES = frozenset(R.COLUMNS)
MATCH_BUDGET = 4000  # documents a BM25 or entity candidate query may touch
# Words too common to rank by, left out of BM25 queries.
STOP = frozenset((
    "a", "an", "and", "are", "as", "at", "be", "by", "did", "do", "for", "from", "had",
    "has", "have", "i", "in", "is", "it", "me", "my", "of", "on", "or", "our", "that",
    "the", "their", "this", "to", "was", "we", "were", "what", "when", "where", "which",
    "who", "with", "you", "your"))


class SQLiteStore(Store):
    def __init__(self, path: str | Path, dim: int = DEFAULT_DIM,
                 vector_cfg: VectorIndexConfig | None = None) -> None:
        self.path = Path(path)
        self.vector_cfg = vector_cfg or VectorIndexConfig()
        if self.path.is_dir():
            raise StoreError(f"memory store {self.path}: is a folder; name a file such as "
                             f"{self.path / 'memory.db'}")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.conn = sqlite3.connect(self.path, isolation_level=None,
                                        check_same_thread=False)
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=NORMAL")
            self.conn.executescript(SCHEMA + labels_ddl("TEXT", "REAL"))
            for table, cols in TEXT_FTS.items():
                self.conn.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS fts_{table} USING "
                                  f"fts5({', '.join(cols)}, tokenize='porter unicode61')")
                # Stores written before FUZZY moved to TrigramIndex kept an FTS5 trigram
                # table per text table; nothing reads it any more.
                self.conn.execute(f"DROP TABLE IF EXISTS tri_{table}")
        except sqlite3.DatabaseError as e:
            raise StoreError(f"memory store {self.path}: cannot open it as SQLite ({e}); "
                             "is it a REM store file?") from None
        self.dim = self._check_dim(dim)
        self._ro: sqlite3.Connection | None = None
        # Read caches, dropped when this connection writes a table and when another
        # connection commits (PRAGMA data_version moves): a service stays right while
        # `augur memory ingest` writes the same file.
        self._matrix: dict[str, VectorIndex] = {}
        self._names: dict[str, TrigramIndex] = {}
        # (fts table, term) or (table, mention key) -> documents
        self._df: dict[tuple[str, str], int] = {}
        self._version = self.conn.execute("PRAGMA data_version").fetchone()[0]

    def _check_dim(self, dim: int) -> int:
        row = self.conn.execute("SELECT value FROM meta WHERE key='dim'").fetchone()
        if row is None:
            self.conn.execute("INSERT INTO meta VALUES('dim', ?)", (str(dim),))
            return dim
        if int(row[0]) != dim:
            raise StoreError(f"memory store {self.path} holds {row[0]}-wide vectors, the "
                             f"embedder makes {dim}-wide ones; use the embedder it was built "
                             "with, or a new store file")
        return dim

    # ---- writing ------------------------------------------------------------------
    def add(self, batch: MemoryBatch, vectors: dict[str, np.ndarray] | None = None
            ) -> AddResult:
        vectors = vectors or {}
        result = AddResult()
        c = self.conn
        c.execute("BEGIN IMMEDIATE")
        try:
            for table in ("entities", "resources", "moments"):
                for rec in getattr(batch, table):
                    self._upsert_text(table, rec, vectors.get(rec.id), result)
            for edge in batch.edges:
                self._upsert_edge(edge, result)
            for fact in batch.facts:
                self._add_fact(fact, result)
            c.execute("COMMIT")
            self._df.clear()
        except BaseException:
            c.execute("ROLLBACK")
            self._matrix.clear()
            self._names.clear()
            self._df.clear()
            raise
        return result

    def _upsert_text(self, table: str, rec, vec, result: AddResult) -> None:
        c = self.conn
        row = R.to_row(table, rec)
        old = c.execute(f"SELECT rowid, digest FROM {table} WHERE id=?", (rec.id,)).fetchone()
        if old is not None and old[1] == row[-1] and (vec is None or self._has_vec(table,
                                                                                    rec.id)):
            return
        cols = R.COLUMNS[table]
        sets = ", ".join(f"{k}=excluded.{k}" for k in cols[1:])
        c.execute(f"INSERT INTO {table}({', '.join(cols)}) VALUES({', '.join('?' * len(cols))}) "
                  f"ON CONFLICT(id) DO UPDATE SET {sets}", row)
        rowid = c.execute(f"SELECT rowid FROM {table} WHERE id=?", (rec.id,)).fetchone()[0]
        if old is not None:
            c.execute(f"DELETE FROM fts_{table} WHERE rowid=?", (rowid,))
            for side in ("rem_aliases", "rem_mentions"):
                c.execute(f"DELETE FROM {side} WHERE tbl=? AND id=?", (table, rec.id))
        first, second = TEXT_FTS[table]
        body = (" ".join(rec.aliases) if table == "entities"
                else getattr(rec, "content", ""))
        if table == "moments":
            body = f"{rec.summary}\n{rec.content}"
        c.execute(f"INSERT INTO fts_{table}(rowid, {first}, {second}) VALUES(?, ?, ?)",
                  (rowid, rec.name, body))
        self._names.pop(table, None)
        c.executemany("INSERT OR IGNORE INTO rem_aliases VALUES(?, ?, ?)",
                      [(k, table, rec.id) for k in R.alias_keys(table, rec)])
        c.executemany("INSERT OR IGNORE INTO rem_mentions VALUES(?, ?, ?)",
                      [(k, table, rec.id) for k in R.mention_keys(table, rec)])
        if vec is not None:
            c.execute("INSERT OR REPLACE INTO rem_vectors VALUES(?, ?, ?)",
                      (table, rec.id, self._blob(vec)))
            self._matrix.pop(table, None)
        bucket = result.updated if old is not None else result.added
        bucket[table] = bucket.get(table, 0) + 1

    def _has_vec(self, table: str, rid: str) -> bool:
        return self.conn.execute("SELECT 1 FROM rem_vectors WHERE tbl=? AND id=?",
                                 (table, rid)).fetchone() is not None

    def _blob(self, vec: np.ndarray) -> bytes:
        v = np.asarray(vec, dtype=np.float32).reshape(-1)
        if v.shape[0] != self.dim or not np.isfinite(v).all():
            raise StoreError(f"vector: expected {self.dim} finite floats, got shape "
                             f"{v.shape}")
        n = float(np.linalg.norm(v))
        return (v / n if n > 0 else v).tobytes()

    def _upsert_edge(self, edge, result: AddResult) -> None:
        row = R.to_row("edges", edge)
        old = self.conn.execute("SELECT * FROM edges WHERE from_id=? AND to_id=? AND type=?",
                                edge.key).fetchone()
        if old is not None and tuple(old) == row:
            return
        self.conn.execute(f"INSERT OR REPLACE INTO edges VALUES({', '.join('?' * len(row))})",
                          row)
        bucket = result.updated if old is not None else result.added
        bucket["edges"] = bucket.get("edges", 0) + 1

    def _add_fact(self, fact, result: AddResult) -> None:
        row = R.to_row("facts", fact)
        old = self.conn.execute("SELECT * FROM facts WHERE id=?", (fact.id,)).fetchone()
        if old is not None:
            if fact.invalid_at is None:  # keep the close a later fact gave it (re-ingest)
                row = (*row[:-1], old[-1])
            if tuple(old) != row:
                self.conn.execute("UPDATE facts SET subject=?, predicate=?, value=?, source=?,"
                                  " created_at=?, valid_at=?, invalid_at=? WHERE id=?",
                                  (*row[1:], fact.id))
                result.updated["facts"] = result.updated.get("facts", 0) + 1
            return
        # A newer value closes every open, older, different value of the same statement.
        cur = self.conn.execute(
            "UPDATE facts SET invalid_at=? WHERE subject=? AND predicate=? AND value<>? "
            "AND invalid_at IS NULL AND valid_at<=?",
            (R.iso(fact.valid_at), fact.subject, fact.predicate, fact.value,
             R.iso(fact.valid_at)))
        result.invalidated_facts += cur.rowcount
        self.conn.execute(f"INSERT INTO facts VALUES({', '.join('?' * len(row))})", row)
        result.added["facts"] = result.added.get("facts", 0) + 1

    # ---- reading ------------------------------------------------------------------
    def _rows(self, table: str, where: str, params: tuple) -> list[dict[str, Any]]:
        cols = R.COLUMNS[table]
        cur = self.conn.execute(f"SELECT {', '.join(cols)} FROM {table} WHERE {where}", params)
        return [R.from_row(table, list(cols), r) for r in cur.fetchall()]

    def get(self, table: str, record_id: str) -> dict[str, Any] | None:
        check_table(table)
        if table == "edges":
            found = self._rows("edges", "from_id || '>' || to_id || '>' || type = ?",
                               (record_id,))
        else:
            found = self._rows(table, "id=?", (record_id,))
        return found[0] if found else None

    def lookup(self, key: str, table: str | None = None) -> list[dict[str, Any]]:
        tables = [table] if table else list(TEXT_FTS)
        out = []
        for t in tables:
            keys = R.lookup_keys(key, t)
            ids = [r[0] for r in self.conn.execute(
                f"SELECT id FROM rem_aliases WHERE key IN ({', '.join('?' * len(keys))}) "
                f"AND tbl=? UNION SELECT id FROM {t} WHERE id=?", (*keys, t, key))]
            for rid in sorted(set(ids)):
                rec = self.get(t, rid)
                if rec is not None:
                    out.append({"table": t, **rec})
        return out

    def _filter_sql(self, table: str, f: Filters, alias: str) -> tuple[str, list]:
        return R.filter_sql(table, f, alias, "?")

    def bm25(self, text: str, table: str, filters: Filters, limit: int) -> Scored:
        check_table(table, text=True)
        terms = self._selective(f"fts_{table}", fts_query(text).split(" OR "))
        if not terms:
            return []
        where, params = self._filter_sql(table, filters, "t")
        cur = self.conn.execute(
            f"SELECT t.id, -bm25(fts_{table}) AS s FROM fts_{table} JOIN {table} t "
            f"ON t.rowid = fts_{table}.rowid WHERE fts_{table} MATCH ? AND {where} "
            f"ORDER BY bm25(fts_{table}), t.id LIMIT ?", (" OR ".join(terms), *params, limit))
        return [(r[0], float(r[1])) for r in cur.fetchall()]

    def _selective(self, index: str, terms: list[str]) -> list[str]:
        """The rarest of `terms` (quoted FTS5 terms), as many as fit MATCH_BUDGET documents.
        FTS5 scores every document a term matches before ORDER BY ... LIMIT: at 100k
        resources one common word costs tens of milliseconds, and it adds little to the
        ranking (a low IDF). Counting a term's documents costs about 0.1 ms per 1,000."""
        terms = [t for t in dict.fromkeys(terms) if t and t.strip('"').lower() not in STOP]
        self._fresh()
        df = {}
        for t in terms:
            # Counts are cached until the store changes: the costly ones are the common
            # words, and those are the ones every request repeats.
            if (index, t) not in self._df:
                self._df[(index, t)] = self.conn.execute(
                    f"SELECT count(*) FROM {index} WHERE {index} MATCH ?", (t,)).fetchone()[0]
            df[t] = self._df[(index, t)]
        kept, total = [], 0
        for t in sorted(terms, key=lambda t: (df[t], t)):
            if kept and total + df[t] > MATCH_BUDGET:
                break
            kept.append(t)
            total += df[t]
        return kept

    def vector(self, vec: np.ndarray, table: str, filters: Filters, limit: int) -> Scored:
        check_table(table, text=True)
        index = self._vectors(table)
        if not len(index):
            return []
        q = np.frombuffer(self._blob(vec), dtype=np.float32)
        mask = None
        if not filters.empty():
            where, params = self._filter_sql(table, filters, "t")
            allowed = {r[0] for r in self.conn.execute(
                f"SELECT t.id FROM {table} t WHERE {where}", params)}
            mask = np.fromiter((i in allowed for i in index.ids), dtype=bool,
                               count=len(index))
        return index.search(q, limit, mask)

    def _fresh(self) -> None:
        version = self.conn.execute("PRAGMA data_version").fetchone()[0]
        if version != self._version:
            self._version = version
            self._matrix.clear()
            self._names.clear()
            self._df.clear()

    def _vectors(self, table: str) -> VectorIndex:
        self._fresh()
        cached = self._matrix.get(table)
        if cached is None:
            rows = self.conn.execute("SELECT id, vec FROM rem_vectors WHERE tbl=? ORDER BY id",
                                     (table,)).fetchall()
            matrix = (np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32)
                      .reshape(len(rows), self.dim) if rows
                      else np.zeros((0, self.dim), np.float32))
            cached = self._matrix[table] = VectorIndex([r[0] for r in rows], matrix,
                                                       self.vector_cfg)
        return cached

    def mentioning(self, entity_ids: list[str], table: str, filters: Filters,
                   limit: int) -> Scored:
        check_table(table, text=True)
        keys = sorted({normalize(e) for e in entity_ids if normalize(e)})
        # A hub (the person's own project, named by half the memory) says little about
        # which record is meant and costs a group-by over all of them: leave it out.
        keys = [k for k in keys if self._mention_count(k, table) <= MATCH_BUDGET]
        if not keys or table == "entities":
            return []
        where, params = self._filter_sql(table, filters, "t")
        tcol = R.TIME_OF[table]
        marks = ", ".join("?" * len(keys))
        cur = self.conn.execute(
            f"SELECT t.id, COUNT(*) AS n FROM rem_mentions m JOIN {table} t ON t.id = m.id "
            f"WHERE m.tbl=? AND m.key IN ({marks}) AND {where} GROUP BY t.id "
            f"ORDER BY n DESC, t.{tcol} DESC, t.id LIMIT ?", (table, *keys, *params, limit))
        return [(r[0], float(r[1])) for r in cur.fetchall()]

    def _mention_count(self, key: str, table: str) -> int:
        self._fresh()
        if (table, key) not in self._df:  # cached as the FTS counts are
            self._df[(table, key)] = self.conn.execute(
                "SELECT count(*) FROM rem_mentions WHERE key=? AND tbl=?", (key, table)
            ).fetchone()[0]
        return self._df[(table, key)]

    def fuzzy(self, text: str, table: str, threshold: float, limit: int) -> Scored:
        check_table(table, text=True)
        self._fresh()
        index = self._names.get(table)
        if index is None:
            rows = self.conn.execute(f"SELECT id, name FROM {table} ORDER BY id").fetchall()
            index = self._names[table] = TrigramIndex([r[0] for r in rows],
                                                      [r[1] for r in rows])
        return index.search(text, threshold, limit)

    def edges(self, ids: list[str], edge_types: list[str], as_of: datetime | None,
              light: bool = False, per_node: int | None = None) -> list[dict[str, Any]]:
        if not ids:
            return []
        cond, cparams = ["1"], []
        if edge_types:
            cond.append(f"type IN ({', '.join('?' * len(edge_types))})")
            cparams += edge_types
        if as_of is None:
            cond.append("invalid_at IS NULL")
        else:
            cond.append("valid_at <= ? AND (invalid_at IS NULL OR invalid_at > ?)")
            cparams += [R.iso(as_of)] * 2
        rowids: set[int] = set()
        if per_node is None:
            # Two indexed lookups, not one OR that would scan every edge.
            marks = ", ".join("?" * len(ids))
            sql = (f"SELECT rowid FROM edges WHERE from_id IN ({marks}) AND {' AND '.join(cond)}"
                   f" UNION SELECT rowid FROM edges WHERE to_id IN ({marks}) AND "
                   f"{' AND '.join(cond)}")
            rowids.update(r[0] for r in self.conn.execute(sql, (*ids, *cparams, *ids,
                                                                 *cparams)))
        else:
            # Each record's strongest, newest `per_node` edges each way, read in index
            # order: a hub's thousands of edges are never read (one compound SELECT
            # per 200 records; SQLite allows 500 terms).
            one = ("SELECT * FROM (SELECT rowid FROM edges WHERE {side} = ? AND "
                   + " AND ".join(cond)
                   + " ORDER BY score DESC, valid_at DESC, {other}, type LIMIT ?)")
            terms = [(one.format(side=side, other=other), (i, *cparams, per_node))
                     for i in ids for side, other in (("from_id", "to_id"),
                                                      ("to_id", "from_id"))]
            for start in range(0, len(terms), 200):
                chunk = terms[start:start + 200]
                sql = " UNION ALL ".join(t for t, _ in chunk)
                rowids.update(r[0] for r in self.conn.execute(
                    sql, tuple(p for _, ps in chunk for p in ps)))
        if not rowids:
            return []
        where = f"rowid IN ({', '.join(str(r) for r in sorted(rowids))})"
        order = " ORDER BY from_id, to_id, type"
        if light:
            cur = self.conn.execute(f"SELECT {', '.join(LIGHT_EDGE)} FROM edges WHERE "
                                    + where + order)
            return [dict(zip(LIGHT_EDGE, r, strict=True)) for r in cur.fetchall()]
        return self._rows("edges", where + order, ())

    def facts(self, subject: str | None = None, as_of: datetime | None = None
              ) -> list[dict[str, Any]]:
        where, params = ["1"], []
        if subject is not None:
            where.append("subject=?")
            params.append(subject)
        if as_of is not None:
            where.append("valid_at <= ? AND (invalid_at IS NULL OR invalid_at > ?)")
            params += [R.iso(as_of)] * 2
        return self._rows("facts", " AND ".join(where) + " ORDER BY subject, predicate, "
                          "valid_at", tuple(params))

    # ---- sandboxed SQL ------------------------------------------------------------
    def select(self, sql: str, max_rows: int, timeout_s: float
               ) -> tuple[list[str], list[tuple]]:
        conn = self._readonly()
        deadline = time.monotonic() + timeout_s
        conn.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
        try:
            cur = conn.execute(sql)
            rows = cur.fetchmany(max_rows)
        except sqlite3.DatabaseError as e:  # the authorizer's "not authorized" included
            if time.monotonic() > deadline:
                raise StoreError(f"SQL stopped after its {timeout_s:g} s limit; narrow it "
                                 "with WHERE or LIMIT") from None
            raise StoreError(f"SQL failed: {e}") from None
        finally:
            conn.set_progress_handler(None, 0)
        return [d[0] for d in cur.description or []], rows

    def _readonly(self) -> sqlite3.Connection:
        """A second connection that can only read, and only the REM tables: the sandbox's
        parser is the first wall, this is the second."""
        if self._ro is None:
            ro = sqlite3.connect(f"file:{self.path.resolve()}?mode=ro", uri=True,
                                 check_same_thread=False)
            ro.execute("PRAGMA query_only=ON")
            ro.set_authorizer(_authorize)
            # The progress handler cannot stop one huge C call (nested replace() growing a
            # string): cap any string or blob a query may build at 10 MB.
            ro.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, 10_000_000)
            self._ro = ro
        return self._ro

    # ---- the rest -----------------------------------------------------------------
    def latest(self) -> datetime | None:
        row = self.conn.execute("SELECT MAX(t) FROM (SELECT MAX(created_at) AS t FROM "
                                "resources UNION ALL SELECT MAX(ends_at) FROM moments)"
                                ).fetchone()
        return R.parse_time(row[0]) if row and row[0] else None

    def stats(self) -> dict[str, int]:
        out = {t: self.conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
               for t in R.COLUMNS}
        out["vectors"] = self.conn.execute("SELECT COUNT(*) FROM rem_vectors").fetchone()[0]
        return out

    def export(self) -> Iterator[dict[str, Any]]:
        for table, cols in R.COLUMNS.items():
            order = "from_id, to_id, type" if table == "edges" else "id"
            for r in self.conn.execute(f"SELECT {', '.join(cols)} FROM {table} ORDER BY {order}"):
                yield {"table": table, **R.from_row(table, list(cols), r)}

    def _write_labels(self, rows: list[tuple]) -> None:
        c = self.conn  # not a REM table: no read cache to drop
        c.execute("BEGIN IMMEDIATE")
        try:
            c.executemany(upsert_sql("?"), rows)
            c.execute("COMMIT")
        except BaseException:
            c.execute("ROLLBACK")
            raise

    def _read_labels(self, annotator: str | None) -> list[tuple]:
        return self.conn.execute(select_sql("?", annotator is not None),
                                 () if annotator is None else (annotator,)).fetchall()

    def close(self) -> None:
        for c in (self._ro, self.conn):
            if c is not None:
                c.close()
        self._ro = None


def _authorize(action: int, arg1, arg2, db_name, trigger) -> int:
    if action == sqlite3.SQLITE_SELECT:
        return sqlite3.SQLITE_OK
    if action == sqlite3.SQLITE_READ:
        return sqlite3.SQLITE_OK if arg1 in SANDBOX_TABLES else sqlite3.SQLITE_DENY
    if action == sqlite3.SQLITE_FUNCTION:
        return sqlite3.SQLITE_DENY if (arg2 or "").lower() in _DENIED_FUNCTIONS else \
            sqlite3.SQLITE_OK
    return sqlite3.SQLITE_DENY


_DENIED_FUNCTIONS = {"load_extension", "readfile", "writefile", "edit", "fts3_tokenizer",
                     "randomblob", "zeroblob"}
