"""The SQL sandbox: what it accepts (and that it then runs on a real SQLite store),
how it caps LIMIT, and each kind of refusal with what its message says."""

from __future__ import annotations

import pytest

from augur.errors import AugurError
from augur.memory.sandbox import ALLOWED_FUNCTIONS, ALLOWED_TABLES, SandboxError, check_sql
from augur.memory.store.sqlite import SQLiteStore

ACCEPTED = [
    "SELECT r.name, count(*) AS n FROM resources r JOIN edges e ON e.from_id = r.id "
    "WHERE r.project = 'atlas' GROUP BY r.name ORDER BY n DESC",
    "WITH recent AS (SELECT id, name FROM resources WHERE created_at >= '2025-01-01') "
    "SELECT name FROM recent",
    "WITH a AS (SELECT id FROM entities), b AS (SELECT id FROM a) SELECT * FROM b",
    "SELECT kind, count(*), min(created_at), max(created_at), group_concat(name, ', '), "
    "avg(length(content)), sum(1), total(1) FROM resources GROUP BY kind HAVING count(*) > 1",
    "SELECT name FROM entities WHERE kind = 'person' UNION SELECT name FROM moments",
    "SELECT * FROM facts WHERE subject IN (SELECT id FROM entities WHERE lower(name) "
    "LIKE 'ana%') AND invalid_at IS NULL",
    "SELECT substr(name, 1, 10), strftime('%Y-%m', created_at), coalesce(project, '-'), "
    "ifnull(kind, ''), round(julianday('now') - julianday(created_at), 1), instr(name, 'a'), "
    "upper(trim(name)), json_extract(persons, '$[0]'), persons ->> '$[0]', date(created_at), "
    "datetime(created_at, '+1 day'), nullif(kind, 'pr'), iif(project IS NULL, 0, 1), "
    "abs(-1), typeof(name), replace(name, 'a', 'b'), name GLOB 'a*' FROM resources",
    "SELECT name, row_number() OVER (PARTITION BY kind ORDER BY created_at DESC) AS rn, "
    "lag(name) OVER (ORDER BY created_at) FROM resources",
    "SELECT CASE WHEN score > 0.5 THEN 'strong' ELSE 'weak' END, CAST(score AS TEXT) "
    "FROM edges WHERE valid_at <= CURRENT_TIMESTAMP",
    "-- how many\nSELECT count(*) /* all of them */ FROM moments;",
    'SELECT * FROM [resources] AS r, "edges" WHERE EXISTS (SELECT 1 FROM facts f '
    "WHERE f.subject = r.id)",
    "SELECT * FROM (WITH t AS (SELECT id FROM resources) SELECT id FROM t) AS sub",
    "SELECT 'x; DROP TABLE resources; --' AS s FROM resources",
    "SELECT * FROM resources ORDER BY created_at LIMIT 5 OFFSET 10",
]


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    with SQLiteStore(tmp_path_factory.mktemp("sandbox") / "memory.db") as s:
        yield s


@pytest.mark.parametrize("sql", ACCEPTED)
def test_accepted_statements_run_on_a_real_store(sql, store):
    out = check_sql(sql, max_rows=50)
    assert out.endswith("LIMIT 50") or "LIMIT 5" in out
    columns, rows = store.select(out, 50, 2.0)
    assert columns and len(rows) <= 50
    assert check_sql(out, max_rows=50) == out  # what it prints, it accepts unchanged


def test_limit_is_added_or_capped():
    assert check_sql("SELECT id FROM resources") == "SELECT id FROM resources LIMIT 1000"
    assert check_sql("SELECT id FROM resources LIMIT 5000") == \
        "SELECT id FROM resources LIMIT 1000"
    assert check_sql("SELECT id FROM resources LIMIT 5000", max_rows=20).endswith("LIMIT 20")
    assert check_sql("SELECT id FROM resources LIMIT 7").endswith("LIMIT 7")
    assert check_sql("SELECT id FROM resources LIMIT -1").endswith("LIMIT 1000")
    assert check_sql("SELECT id FROM resources LIMIT 2, 5000") == \
        "SELECT id FROM resources LIMIT 1000 OFFSET 2"
    assert check_sql("SELECT a FROM resources UNION ALL SELECT b FROM moments LIMIT 9999"
                     ).endswith("UNION ALL SELECT b FROM moments LIMIT 1000")
    with pytest.raises(SandboxError, match=r"LIMIT \(SELECT 5\): expected a whole number"):
        check_sql("SELECT id FROM resources LIMIT (SELECT 5)")


def test_comments_are_dropped_from_what_runs():
    out = check_sql("SELECT 1 /* x */ AS one -- ; DROP TABLE resources\n FROM resources")
    assert out == "SELECT 1 AS one FROM resources LIMIT 1000"


def test_postgres_output():
    out = check_sql("SELECT ifnull(project, '-'), substr(name, 1, 3) FROM resources",
                    max_rows=10, write="postgres")
    assert out == ("SELECT COALESCE(project, '-'), SUBSTRING(name FROM 1 FOR 3) FROM resources "
                   "LIMIT 10")


def test_constants_and_error_type():
    assert sorted(ALLOWED_TABLES) == ["edges", "entities", "facts", "moments", "resources"]
    assert {"count", "lower", "strftime", "json_extract"} <= ALLOWED_FUNCTIONS
    assert not {"load_extension", "randomblob", "readfile", "pg_sleep"} & ALLOWED_FUNCTIONS
    assert issubclass(SandboxError, AugurError) and issubclass(SandboxError, ValueError)


@pytest.mark.parametrize("sql,parts", [
    # writes and everything else that is not a SELECT
    ("INSERT INTO resources(id) VALUES ('x')", ["a INSERT statement", "one read-only SELECT"]),
    ("UPDATE resources SET name = 'x'", ["UPDATE statement"]),
    ("DELETE FROM facts", ["DELETE statement"]),
    ("REPLACE INTO resources(id) VALUES ('x')", ["REPLACE statement"]),
    ("INSERT INTO resources(id) VALUES ('x') ON CONFLICT(id) DO UPDATE SET name = 'y'",
     ["INSERT statement"]),
    ("CREATE TABLE x(a)", ["CREATE statement"]),
    ("DROP TABLE resources", ["DROP statement"]),
    ("ALTER TABLE resources ADD COLUMN x", ["ALTER statement"]),
    ("ATTACH DATABASE '/tmp/x.db' AS x", ["ATTACH statement"]),
    ("DETACH x", ["DETACH statement"]),
    ("PRAGMA writable_schema = 1", ["PRAGMA statement"]),
    ("VACUUM", ["VACUUM statement"]), ("REINDEX", ["REINDEX statement"]),
    ("ANALYZE", ["ANALYZE statement"]), ("BEGIN", ["BEGIN statement"]),
    ("COMMIT", ["COMMIT statement"]), ("SAVEPOINT a", ["SAVEPOINT statement"]),
    ("COPY resources FROM '/etc/passwd'", ["COPY statement"]),
    ("SET search_path = public", ["SET statement"]),
    ("GRANT ALL ON resources TO bob", ["GRANT statement"]),
    ("LOAD 'ext'", ["LOAD statement"]),
    ("VALUES (1)", ["VALUES statement"]),
    ("WITH x AS (DELETE FROM resources RETURNING *) SELECT * FROM x", ["DELETE inside"]),
    # more than one statement, however hidden
    ("SELECT 1; DROP TABLE resources", ["2 statements (SELECT, DROP)"]),
    ("SELECT 1 /* ; */ ; -- x\n DELETE FROM facts", ["2 statements (SELECT, DELETE)"]),
    ("SELECT ';'; SELECT 2", ["2 statements"]),
    ("", ["no SQL statement"]), (" ; ; ", ["no SQL statement"]),
    # tables
    ("SELECT * FROM sqlite_master", ["table 'sqlite_master' is not readable",
                                     "allowed tables: edges, entities, facts, moments, "
                                     "resources"]),
    ("SELECT * FROM SQLITE_SCHEMA", ["'SQLITE_SCHEMA' is not readable"]),
    ('SELECT * FROM "sqlite_temp_master"', ["'sqlite_temp_master' is not readable"]),
    ("SELECT * FROM secrets", ["'secrets' is not readable"]),
    ("SELECT * FROM fts_resources", ["'fts_resources' is not readable"]),
    ("SELECT * FROM resources_fts", ["'resources_fts' is not readable"]),
    ("SELECT * FROM vectors", ["'vectors' is not readable"]),
    ("SELECT * FROM main.resources", ["schema-qualified table main.resources"]),
    ("SELECT * FROM public.resources", ["schema-qualified table public.resources"]),
    ("SELECT * FROM pg_catalog.pg_tables", ["schema-qualified table pg_catalog.pg_tables"]),
    ("SELECT * FROM information_schema.tables", ["schema-qualified"]),
    ("SELECT main.resources.id FROM resources", ["schema-qualified column"]),
    ("SELECT * FROM resоurces", ["'resоurces' is not readable"]),  # a Cyrillic о
    ("SELECT * FROM resources WHERE id IN (SELECT name FROM sqlite_master)",
     ["'sqlite_master' is not readable"]),
    ("SELECT id FROM resources UNION SELECT sql FROM sqlite_master",
     ["'sqlite_master' is not readable"]),
    ("SELECT * FROM (WITH secrets AS (SELECT 1) SELECT * FROM secrets) AS a, secrets",
     ["secrets is read outside the WITH that defines it"]),
    ("WITH resources AS (SELECT 1) SELECT * FROM resources",
     ["a CTE named resources hides the REM table"]),
    # functions
    ("SELECT load_extension('/tmp/evil.so')", ["function load_extension is not allowed",
                                               "allowed functions: abs"]),
    ("SELECT readfile('/etc/passwd')", ["function readfile"]),
    ("SELECT writefile('/tmp/x', 'y')", ["function writefile"]),
    ("SELECT fts3_tokenizer('simple')", ["function fts3_tokenizer"]),
    ("SELECT pg_read_file('/etc/passwd')", ["function pg_read_file"]),
    ("SELECT pg_sleep(10)", ["function pg_sleep"]),
    ("SELECT current_setting('is_superuser')", ["function current_setting"]),
    ("SELECT set_config('a', 'b', false)", ["function set_config"]),
    ("SELECT dblink('host=x', 'select 1')", ["function dblink"]),
    ("SELECT lo_import('/etc/passwd')", ["function lo_import"]),
    ("SELECT randomblob(1000000000)", ["function randomblob"]),
    ("SELECT zeroblob(1000000000)", ["function zeroblob"]),
    ("SELECT sqlite_version()", ["function sqlite_version"]),
    ("SELECT printf('%.*c', 1000000000, 'x')", ["function printf"]),
    ('SELECT "LOAD_EXTENSION"(\'x\')', ["function LOAD_EXTENSION"]),
    ("SELECT * FROM generate_series(1, 1000000000000)", ["function generate_series"]),
    ("SELECT * FROM pragma_table_info('resources')", ["function pragma_table_info"]),
    ("SELECT * FROM json_each('[1]')", ["function json_each"]),
    # recursion, INTO, locks, parse failures
    ("WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t) SELECT n FROM t",
     ["WITH RECURSIVE can run forever"]),
    ("WITH t(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t) SELECT n FROM t",
     ["by its own definition (recursion is not allowed)"]),
    ("SELECT * INTO stolen FROM resources", ["SELECT ... INTO creates a table"]),
    ("SELECT * FROM resources FOR UPDATE", ["FOR UPDATE locks rows"]),
    ("SELECT * FROM resources FOR SHARE", ["FOR SHARE locks rows"]),
    ("SELECT FROM WHERE", ["does not parse", "'WHERE'", "line 1, column 17"]),
    ("SELECT 'unterminated", ["does not tokenize"]),
    ("SELECT " + "(" * 3000 + "1" + ")" * 3000, ["nested too deeply"]),
    ("SELECT '" + "x" * 30_000 + "'", ["at most 20000 are allowed"]),
])
def test_refusals_say_what_and_why(sql, parts):
    with pytest.raises(SandboxError) as e:
        check_sql(sql)
    for p in parts:
        assert p in str(e.value), (p, str(e.value))


def test_bad_arguments():
    with pytest.raises(SandboxError, match="SQL: expected text, got int"):
        check_sql(5)
    with pytest.raises(SandboxError, match="max_rows: expected 1 to 1000000, got 0"):
        check_sql("SELECT 1", max_rows=0)
