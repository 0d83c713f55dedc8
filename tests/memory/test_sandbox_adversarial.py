"""More than ten thousand hostile statements against the sandbox, and whatever it lets
through run on a real SQLite store file.

A seeded generator combines writes of every kind over every table, ATTACH / PRAGMA /
VACUUM INTO, multi-statements hidden behind comments and strings, reads of
sqlite_master and of a `secrets` table through joins, unions, subqueries and CTEs,
quoted, bracketed, schema-qualified and homoglyph names, denied functions, recursive
CTEs and LIMIT tricks. Each statement is either refused or returned; each returned one
runs twice: through SQLiteStore.select (the real path, with its read-only connection
and authorizer) and on a plain read-write connection with no authorizer, so that the
sandbox alone is shown to hold. Afterwards the file must be byte for byte the same,
and no result may hold the secret marker or any sqlite_master text.
"""

from __future__ import annotations

import hashlib
import random
import sqlite3
import time
from datetime import UTC, datetime

from augur.memory.model import Edge, Entity, Fact, MemoryBatch, Moment, Resource
from augur.memory.sandbox import ALLOWED_TABLES, SandboxError, check_sql
from augur.memory.store.base import StoreError
from augur.memory.store.sqlite import SQLiteStore

MARKER = "augur-secret-5f0c2a"  # never written in a generated statement
N_STATEMENTS = 10_500
SEED = 1337

FORBIDDEN = ["secrets", "sqlite_master", "sqlite_schema", "sqlite_temp_master",
             "sqlite_temp_schema", "meta", "rem_vectors", "rem_aliases", "rem_mentions",
             "fts_resources", "fts_resources_data", "fts_resources_config", "tri_entities",
             "resources_fts", "vectors", "sqlite_sequence", "sqlite_stat1", "dbstat"]
HOMOGLYPHS = {"o": ["о", "ο", "ｏ"], "e": ["е", "ｅ"], "a": ["а", "ａ"], "s": ["ѕ", "ｓ"],
              "c": ["с"], "r": ["г"], "i": ["і"], "m": ["ｍ"], "t": ["т"]}
DENIED_CALLS = [
    "load_extension('{path}.so')", "load_extension('{path}', 'sqlite3_init')",
    "readfile('/etc/passwd')", "writefile('{path}', 'x')", "fts3_tokenizer('simple')",
    "edit('x', 'vi')", "pg_read_file('/etc/passwd')", "pg_read_binary_file('/etc/passwd')",
    "pg_ls_dir('.')", "lo_import('/etc/passwd')", "lo_export(1, '{path}')",
    "dblink('host=x', 'select 1')", "pg_sleep(100)", "current_setting('is_superuser')",
    "set_config('a', 'b', false)", "randomblob(1000000000)", "randomblob({n})",
    "zeroblob(1000000000)", "sqlite_version()", "sqlite_source_id()",
    "sqlite_compileoption_used('ENABLE_LOAD_EXTENSION')", "sqlite_offset(id)",
    "printf('%.*c', 1000000000, 'x')", "format('%.*c', 1000000000, 'x')",
    "generate_series(1, 1000000000000)", "changes()", "last_insert_rowid()",
    "total_changes()", "pg_backend_pid()", "version()", "current_user()",
    "json_each('[1,2]')", "pragma_table_info('secrets')", "likelihood(1, 0.5)",
    "random()", "char(65) || readfile('/etc/hostname')", "unknown_fn({n})",
]
TABLE_VALUED = ["generate_series(1, {n}000000000)", "pragma_table_info('secrets')",
                "pragma_database_list", "json_each('[1]')", "json_tree('{{}}')",
                "sqlite_dbpage('main')", "dbstat", "pragma_function_list()",
                "fts_resources('x')", "pg_ls_dir('.')", "unnest(ARRAY[1, 2])"]
WRITES = [
    "INSERT INTO {t} VALUES ('x')", "INSERT OR REPLACE INTO {t}(id) VALUES ('x')",
    "REPLACE INTO {t}(id) VALUES ('x')", "UPSERT INTO {t} VALUES (1)",
    "INSERT INTO {t}(id) VALUES ('x') ON CONFLICT(id) DO UPDATE SET name = 'y'",
    "INSERT INTO {t} SELECT * FROM {t}", "UPDATE {t} SET name = 'pwned'",
    "UPDATE {t} SET name = (SELECT marker FROM secrets)", "DELETE FROM {t}",
    "DELETE FROM {t} WHERE 1 = 1", "DROP TABLE {t}", "DROP TABLE IF EXISTS {t}",
    "DROP VIEW {t}", "DROP INDEX {t}", "DROP TRIGGER {t}", "ALTER TABLE {t} RENAME TO x{n}",
    "ALTER TABLE {t} ADD COLUMN x{n} TEXT", "ALTER TABLE {t} DROP COLUMN name",
    "CREATE TABLE x{n} AS SELECT * FROM {t}", "CREATE TEMP TABLE x{n} AS SELECT * FROM {t}",
    "CREATE VIEW v{n} AS SELECT * FROM {t}", "CREATE INDEX ix{n} ON {t}(id)",
    "CREATE TRIGGER tr{n} AFTER INSERT ON {t} BEGIN DELETE FROM {t}; END",
    "CREATE VIRTUAL TABLE x{n} USING fts5(a)", "WITH x AS (SELECT 1) INSERT INTO {t} "
    "SELECT * FROM x", "WITH x AS (SELECT 1) DELETE FROM {t}", "WITH x AS (SELECT 1) "
    "UPDATE {t} SET id = 'z'", "WITH x AS (DELETE FROM {t} RETURNING *) SELECT * FROM x",
    "WITH x AS (INSERT INTO {t}(id) VALUES ('q') RETURNING id) SELECT * FROM x",
    "SELECT * INTO x{n} FROM {t}", "SELECT * FROM {t} FOR UPDATE",
    "SELECT * FROM {t} FOR SHARE", "SELECT * FROM {t} FOR NO KEY UPDATE",
    "TRUNCATE TABLE {t}", "MERGE INTO {t} USING resources ON 1 = 1 WHEN MATCHED THEN DELETE",
    "COPY {t} FROM '/etc/passwd'", "COPY {t} TO '{path}'", "GRANT ALL ON {t} TO public",
    "REVOKE ALL ON {t} FROM public", "ANALYZE {t}", "REINDEX {t}", "PRAGMA table_info({t})",
]
SESSION = [
    "ATTACH DATABASE '{path}' AS x{n}", "ATTACH '{path}' AS main2",
    "ATTACH ':memory:' AS m{n}", "ATTACH 'file:{path}?mode=rwc' AS x", "DETACH x{n}",
    "DETACH DATABASE main", "VACUUM", "VACUUM INTO '{path}'", "VACUUM main INTO '{path}'",
    "REINDEX", "ANALYZE", "PRAGMA writable_schema = 1", "PRAGMA writable_schema=ON",
    "PRAGMA journal_mode = DELETE", "PRAGMA query_only = 0", "PRAGMA user_version = {n}",
    "PRAGMA main.user_version = {n}", "PRAGMA integrity_check", "PRAGMA trusted_schema = 1",
    "PRAGMA foreign_keys = OFF", "PRAGMA temp_store_directory = '/tmp'",
    "BEGIN", "BEGIN IMMEDIATE", "BEGIN EXCLUSIVE", "COMMIT", "END", "ROLLBACK",
    "SAVEPOINT s{n}", "RELEASE s{n}", "SET search_path = public", "SET ROLE postgres",
    "LOAD 'pgcrypto'", "SELECT load_extension('{path}.so')", "DO $$ BEGIN END $$",
    "CALL p({n})", "EXPLAIN SELECT 1", "EXPLAIN QUERY PLAN SELECT * FROM secrets",
    "VALUES ({n})", "SHOW ALL", "USE main", "DECLARE c CURSOR FOR SELECT 1",
]
READS = [
    "SELECT * FROM {src}", "SELECT sql FROM {src}", "SELECT name, sql FROM {src} WHERE 1",
    "SELECT id FROM resources WHERE id IN (SELECT name FROM {src})",
    "SELECT (SELECT group_concat(sql) FROM {src}) AS s FROM resources",
    "SELECT * FROM resources JOIN {src} ON 1 = 1", "SELECT * FROM resources, {src}",
    "SELECT * FROM resources LEFT JOIN {src} s ON s.name = resources.id",
    "SELECT id FROM resources UNION SELECT sql FROM {src}",
    "SELECT id FROM resources UNION ALL SELECT * FROM {src}",
    "SELECT id FROM resources EXCEPT SELECT name FROM {src}",
    "SELECT id FROM resources INTERSECT SELECT name FROM {src}",
    "WITH x AS (SELECT * FROM {src}) SELECT * FROM x",
    "WITH a AS (SELECT id FROM resources), b AS (SELECT * FROM {src}) SELECT * FROM a, b",
    "SELECT * FROM (SELECT * FROM (SELECT * FROM {src}))",
    "SELECT * FROM (SELECT * FROM resources WHERE EXISTS (SELECT 1 FROM {src}))",
    "SELECT EXISTS (SELECT 1 FROM {src})",
    "SELECT * FROM resources ORDER BY (SELECT count(*) FROM {src})",
    "SELECT * FROM resources GROUP BY id HAVING (SELECT count(*) FROM {src}) > 0",
    "SELECT * FROM resources LIMIT (SELECT count(*) FROM {src})",
    "SELECT * FROM resources LIMIT 1 OFFSET (SELECT count(*) FROM {src})",
    "SELECT CASE WHEN (SELECT 1 FROM {src}) THEN 1 END FROM resources",
    "SELECT coalesce((SELECT sql FROM {src} LIMIT 1), 'x') FROM resources",
    "SELECT * FROM (WITH z AS (SELECT 1) SELECT * FROM z) AS q, {src}",
    "SELECT * FROM (WITH {bare} AS (SELECT 1 AS a) SELECT * FROM {bare}) AS q, {src}",
    "WITH q AS (SELECT * FROM resources) SELECT * FROM q WHERE id IN (SELECT 1 FROM {src})",
    "SELECT * FROM resources WHERE name = (SELECT name FROM {src} WHERE type = 'table')",
    "SELECT * FROM resources NATURAL JOIN {src}", "SELECT * FROM resources CROSS JOIN {src}",
    "SELECT {src}.* FROM {src}", "(SELECT * FROM {src})", "SELECT * FROM ({src})",
]
RECURSIVE = [
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x FROM c",
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT {n}) "
    "SELECT count(*) FROM c",
    "WITH c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x FROM c",
    "WITH c AS (SELECT 1 AS x UNION ALL SELECT x + 1 FROM c) SELECT max(x) FROM c",
    "WITH a AS (SELECT 1 AS x FROM b), b AS (SELECT x FROM a) SELECT * FROM a",
    "WITH resources AS (SELECT 1 AS id UNION ALL SELECT id + 1 FROM resources) "
    "SELECT * FROM resources",
    "WITH edges AS (SELECT * FROM edges UNION ALL SELECT e.* FROM edges e JOIN edges f "
    "ON e.from_id = f.to_id) SELECT * FROM edges",
    "SELECT * FROM (WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) "
    "SELECT x FROM c)",
    "SELECT id FROM resources WHERE id IN (WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL "
    "SELECT x + 1 FROM c) SELECT x FROM c)",
    "WITH RECURSIVE r(n) AS (VALUES(1) UNION ALL SELECT n FROM r) SELECT n FROM r",
]
SEPARATORS = [";", "; ", ";\n", " ;\t", ";;", "\n;\n", "; -- tail\n", "/* x */;", ";/**/",
              "; /* ; */ ", "\r\n;\r\n", ";\u2028", "\x00;"]
BENIGN = ["SELECT 1", "SELECT id FROM resources", "SELECT ';' FROM resources",
          "SELECT '--' AS c FROM entities", "SELECT count(*) FROM facts",
          "SELECT '/*' FROM moments", "SELECT \"name\" FROM edges"]
SMUGGLED = [  # single statements: comments and strings that hold another statement
    "SELECT 1 -- ; {hostile}", "SELECT 1 /* ; {hostile} */", "/* {hostile}; */ SELECT 1",
    "-- {hostile}\nSELECT id FROM resources", "SELECT '{q_hostile}' FROM resources",
    "SELECT 'x''; {q_hostile}; --' FROM resources", "SELECT id AS \"{d_hostile}\" FROM "
    "resources", "SELECT [{b_hostile}] FROM resources", "SELECT 1 /* nested /* */ {hostile} */",
    "/*! {hostile} */ SELECT 1", "SELECT 1 /* unterminated {hostile}",
    "SELECT '{q_hostile}' ; {hostile}", "SELECT 1 --\r{hostile}",
    "SELECT id FROM resources WHERE name = '{q_hostile}' LIMIT 1",
]
LIMITS = ["SELECT * FROM resources LIMIT -1", "SELECT * FROM resources LIMIT {n}000000",
          "SELECT * FROM resources LIMIT 1e9", "SELECT * FROM resources LIMIT '9999999'",
          "SELECT * FROM resources LIMIT 1 OFFSET -1", "SELECT * FROM resources LIMIT 5, -1",
          "SELECT * FROM resources, resources r2, resources r3, resources r4 LIMIT {n}0000",
          "SELECT * FROM resources LIMIT 2 UNION SELECT * FROM resources LIMIT 99999"]

SHADOWS = [  # CTEs named like forbidden tables: in scope they hide them, so either is fine
    "WITH {bare} AS (SELECT 1 AS sql, 2 AS name, 3 AS marker) SELECT * FROM {bare}",
    "SELECT * FROM (WITH {bare} AS (SELECT 'x' AS sql) SELECT sql FROM {bare})",
    "WITH {bare} AS (SELECT id FROM resources) SELECT * FROM {bare} WHERE id IN "
    "(SELECT id FROM {bare})",
    "WITH a AS (SELECT 1 AS x), {bare} AS (SELECT x FROM a) SELECT * FROM {bare}",
]


# ---- names ----------------------------------------------------------------------------
def _homoglyph(name: str, rng: random.Random) -> str:
    spots = [i for i, ch in enumerate(name) if ch in HOMOGLYPHS]
    if not spots:
        return name + "\u200b"
    i = rng.choice(spots)
    return name[:i] + rng.choice(HOMOGLYPHS[name[i]]) + name[i + 1:]


def _spell(name: str, rng: random.Random) -> str:
    """One way of writing a table name: quoted, cased, qualified, look-alike."""
    style = rng.randrange(14)
    if style == 0:
        return name.upper()
    if style == 1:
        return "".join(c.upper() if rng.random() < 0.5 else c for c in name)
    if style == 2:
        return f'"{name}"'
    if style == 3:
        return f'"{name.upper()}"'
    if style == 4:
        return f"[{name}]"
    if style == 5:
        return f"`{name}`"
    if style == 6:
        return f"{rng.choice(['main', 'temp', 'MAIN', 'public', 'pg_catalog'])}.{name}"
    if style == 7:
        return f'"main"."{name}"'
    if style == 8:
        return f"`main`.`{name}`"
    if style == 9:
        return _homoglyph(name, rng)
    if style == 10:
        return f'"{_homoglyph(name, rng)}"'
    if style == 11:
        return f'"{name} "'
    return name


def _source(rng: random.Random) -> tuple[str, str]:
    """(spelling, bare name) of a table the sandbox must not read: a forbidden table
    in any spelling, or a REM table qualified by a schema or written with a look-alike."""
    if rng.random() < 0.75:
        name = rng.choice(FORBIDDEN)
        return _spell(name, rng), name
    name = rng.choice(sorted(ALLOWED_TABLES))
    spelt = rng.choice([f"main.{name}", f'"main"."{name}"', f"temp.{name}", f"[main].[{name}]",
                        _homoglyph(name, rng), f'"{_homoglyph(name, rng)}"',
                        f"information_schema.{name}", f"pg_catalog.{name}"])
    return spelt, name


def _func_name(call: str, rng: random.Random) -> str:
    name, rest = call.split("(", 1) if "(" in call else (call, None)
    style = rng.randrange(6)
    if style == 1:
        name = name.upper()
    elif style == 2:
        name = f'"{name}"'
    elif style == 3:
        name = f"main.{name}"
    elif style == 4:
        name = _homoglyph(name, rng)
    return name if rest is None else f"{name}({rest}"


# ---- statements -----------------------------------------------------------------------
def _fill(template: str, rng: random.Random, tmp: str) -> str:
    t = rng.choice(sorted(ALLOWED_TABLES) + FORBIDDEN[:4])
    return template.format(t=_spell(t, rng) if rng.random() < 0.3 else t,
                           n=rng.randint(1, 999), path=f"{tmp}/evil{rng.randint(0, 99)}")


def _hostile(rng: random.Random, tmp: str) -> tuple[str, bool]:
    """(statement, must it be refused)."""
    kind = rng.randrange(11)
    if kind <= 1:
        return _fill(rng.choice(WRITES), rng, tmp), True
    if kind == 2:
        return _fill(rng.choice(SESSION), rng, tmp), True
    if kind <= 4:
        src, bare = _source(rng)
        return rng.choice(READS).format(src=src, bare=bare), True
    if kind == 5:
        call = _func_name(_fill(rng.choice(DENIED_CALLS), rng, tmp), rng)
        where = rng.choice(["SELECT {f}", "SELECT {f} FROM resources",
                            "SELECT id FROM resources WHERE {f} IS NOT NULL",
                            "SELECT id FROM resources ORDER BY {f}",
                            "SELECT id FROM resources GROUP BY {f}",
                            "SELECT count(*) FROM resources HAVING {f}",
                            "SELECT (SELECT {f}) FROM resources",
                            "WITH x AS (SELECT {f} AS v) SELECT v FROM x",
                            "SELECT id FROM resources JOIN edges ON {f}",
                            "SELECT id FROM resources LIMIT {f}",
                            "SELECT lower({f}) FROM entities",
                            "SELECT id FROM resources UNION SELECT {f}"])
        return where.format(f=call), True
    if kind == 6:
        tvf = _func_name(_fill(rng.choice(TABLE_VALUED), rng, tmp), rng)
        return rng.choice(["SELECT * FROM {f}", "SELECT id FROM resources, {f}",
                           "SELECT * FROM resources JOIN {f} ON 1",
                           "SELECT * FROM (SELECT * FROM {f})"]).format(f=tvf), True
    if kind == 7:
        return _fill(rng.choice(RECURSIVE), rng, tmp), True
    if kind == 8:  # two or three statements, one of them hostile
        parts = [rng.choice(BENIGN), _hostile(rng, tmp)[0]]
        if rng.random() < 0.3:
            parts.append(_fill(rng.choice(WRITES), rng, tmp))
        rng.shuffle(parts)
        sql = "".join(p + rng.choice(SEPARATORS) for p in parts[:-1]) + parts[-1]
        # A comment in an earlier part may swallow the rest: then it is one statement.
        return sql, not any("--" in p or "/*" in p for p in parts[:-1])
    if kind == 9:
        inner = _fill(rng.choice(WRITES + SESSION), rng, tmp)
        sql = rng.choice(SMUGGLED).format(
            hostile=inner, q_hostile=inner.replace("'", "''"),
            d_hostile=inner.replace('"', '""'), b_hostile=inner.replace("]", ""))
        return sql, False  # a comment or a string may hold anything: either answer is fine
    if rng.random() < 0.5:
        return rng.choice(SHADOWS).format(bare=_source(rng)[1]), False
    return _fill(rng.choice(LIMITS), rng, tmp), False


def hostile_statements(seed: int, n: int, tmp: str) -> list[tuple[str, bool]]:
    rng = random.Random(seed)
    out: dict[str, bool] = {}
    while len(out) < n:
        sql, must = _hostile(rng, tmp)
        r = rng.random()
        if r < 0.05:
            sql = sql.lower()
        elif r < 0.1:
            sql = f"  \n\t{sql}\n ;"
        out.setdefault(sql, must)
    return list(out.items())


# ---- the database ---------------------------------------------------------------------
def _batch() -> MemoryBatch:
    t = datetime(2025, 3, 1, 9, tzinfo=UTC)
    return MemoryBatch(
        resources=[Resource(id=f"pr-{i}", name=f"PR {i}", kind="pr", content=f"text {i}",
                            project="atlas", persons=["ana"], created_at=t) for i in range(3)],
        entities=[Entity(id="ana", name="Ana", kind="person", aliases=["ana b"])],
        moments=[Moment(id="m-1", name="standup", summary="daily", start=t, end=t,
                        moment_type="meeting")],
        edges=[Edge(**{"from": "pr-0", "to": "pr-1"}, type="SEE_ALSO", created_at=t,
                    valid_at=t)],
        facts=[Fact(id="f-1", subject="ana", predicate="role", value="lead", created_at=t,
                    valid_at=t)])


def _build(path) -> None:
    with SQLiteStore(path) as store:
        store.add(_batch())
    conn = sqlite3.connect(path)
    conn.execute(f"CREATE TABLE secrets(marker TEXT DEFAULT '{MARKER}')")
    conn.execute("INSERT INTO secrets VALUES (?)", (MARKER,))
    conn.commit()
    conn.close()


def _snapshot(path) -> tuple[str, dict, list]:
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    master = conn.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall()
    counts = {name: conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]
              for kind, name, _ in master if kind == "table"}
    conn.close()
    return digest, counts, master


def _run_raw(conn: sqlite3.Connection, sql: str) -> list:
    deadline = time.monotonic() + 0.5
    conn.set_progress_handler(lambda: int(time.monotonic() > deadline), 1000)
    try:
        return conn.execute(sql).fetchmany(100)
    except sqlite3.Error:
        return []  # a runtime error (an unknown column, a time-out) reads nothing


def test_hostile_statements_change_nothing_and_leak_nothing(tmp_path):
    db = tmp_path / "memory.db"
    _build(db)
    before = _snapshot(db)
    master_texts = [sql for _, _, sql in before[2] if sql]
    statements = hostile_statements(SEED, N_STATEMENTS, str(tmp_path))
    refused, ran, wrongly_accepted, leaks, store_denied = 0, 0, [], [], []

    store = SQLiteStore(db)
    # Read-write, autocommit, no authorizer: the sandbox is the only wall, and a write
    # that got through would land at once.
    raw = sqlite3.connect(db, isolation_level=None)
    try:
        for sql, must_refuse in statements:
            try:
                checked = check_sql(sql, max_rows=100)
            except SandboxError:
                refused += 1
                continue
            if must_refuse:
                wrongly_accepted.append((sql, checked))
            ran += 1
            rows = _run_raw(raw, checked)
            try:
                rows += store.select(checked, 100, 0.5)[1]
            except StoreError:
                pass  # a runtime error, reported as the store reports them
            except sqlite3.DatabaseError as e:  # the store's authorizer said no
                store_denied.append((sql, checked, str(e)))
            text = repr(rows)
            if MARKER in text or any(m in text for m in master_texts):
                leaks.append((sql, checked))
    finally:
        raw.close()
        store.close()

    after = _snapshot(db)
    print(f"\n{len(statements)} hostile statements: {refused} refused, {ran} accepted and run "
          "on the store and on a raw read-write connection")
    assert len(statements) >= 10_000
    assert after[1] == before[1], "row counts changed"
    assert after[2] == before[2], "the schema changed"
    assert after[0] == before[0], "the database file changed"
    assert leaks == [], leaks[:5]
    assert wrongly_accepted == [], wrongly_accepted[:5]
    # The store's authorizer is a second wall; the sandbox alone should never need it.
    assert store_denied == [], store_denied[:5]
    # No ATTACH, VACUUM INTO or writefile target exists, and the write-ahead log (which
    # the read-only snapshot connection leaves behind) holds no frame.
    files = {p.name: p.stat().st_size for p in tmp_path.iterdir()}
    assert set(files) <= {"memory.db", "memory.db-wal", "memory.db-shm"}, files
    assert files.get("memory.db-wal", 0) == 0, "a write reached the write-ahead log"
