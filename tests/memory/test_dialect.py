"""The REM dialect: each operation, the seed's examples, a seeded round trip over
thousands of random typed queries, error messages, the JSON form, relative dates."""

from __future__ import annotations

import random
import re
import time
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from augur.memory.dialect import parse, parse_any, to_text
from augur.memory.model import EDGE_TYPES
from augur.memory.query import (
    FuzzyQuery,
    LookupQuery,
    QueryError,
    RemQuery,
    SearchQuery,
    SqlQuery,
    TimeFilter,
    TraverseQuery,
    resolve_relative,
)

SEED_JSON = {"intent": "semantic_search", "query_type": "SEARCH",
             "parameters": {"query_text": "machine learning", "table_name": "resources",
                            "time_filter": {"after": "2024-11-10"}, "limit": 10},
             "explanation": "recent resources about machine learning"}
KEYWORDS = ("LOOKUP", "SEARCH", "FUZZY", "TRAVERSE", "IN", "PROJECT", "KIND", "PERSON",
            "AFTER", "BEFORE", "DURING", "LIMIT", "THRESHOLD", "VIA", "DEPTH", "AS", "OF")


# ---- each operation -------------------------------------------------------------------
@pytest.mark.parametrize("text,expected", [
    ("LOOKUP pr-12", LookupQuery(key="pr-12")),
    ("LOOKUP ana@example.com IN entities", LookupQuery(key="ana@example.com",
                                                       table_name="entities")),
    ('LOOKUP "Q4 planning" IN resources', LookupQuery(key="Q4 planning",
                                                      table_name="resources")),
    ('SEARCH "ci failure" IN resources', SearchQuery(query_text="ci failure")),
    ("SEARCH 'ci' IN moments PROJECT 'atlas' KIND 'pr' PERSON 'ana' AFTER '2025-02-01' "
     "BEFORE '2025-03-01T09:30:00+01:00' DURING 'last week' LIMIT 5",
     SearchQuery(query_text="ci", table_name="moments", project="atlas", kind="pr",
                 person="ana", limit=5, time_filter=TimeFilter(
                     after=date(2025, 2, 1), during="last week",
                     before=datetime(2025, 3, 1, 9, 30, tzinfo=timezone(timedelta(hours=1)))))),
    ("FUZZY 'machin lerning' IN entities THRESHOLD 0.5 LIMIT 3",
     FuzzyQuery(query_text="machin lerning", table_name="entities", threshold=0.5, limit=3)),
    ("TRAVERSE pr-12", TraverseQuery(key="pr-12")),
    ("TRAVERSE pr-12 VIA SEE_ALSO, MENTIONS DEPTH 2 AS OF '2025-03-01'",
     TraverseQuery(key="pr-12", edge_types=["SEE_ALSO", "MENTIONS"], depth=2,
                   as_of=date(2025, 3, 1))),
    ("SELECT name FROM resources LIMIT 3", SqlQuery(sql="SELECT name FROM resources LIMIT 3")),
    ("  -- top projects\n  with t AS (SELECT 1) SELECT * FROM t;",
     SqlQuery(sql="-- top projects\n  with t AS (SELECT 1) SELECT * FROM t")),
    ("/* c */ Select 1", SqlQuery(sql="/* c */ Select 1")),
])
def test_each_operation_parses_to_its_typed_query(text, expected):
    assert parse(text) == expected


def test_the_seed_examples():
    assert parse('SEARCH "machine learning" IN resources LIMIT 10') == \
        SearchQuery(query_text="machine learning", table_name="resources", limit=10)
    assert parse("LOOKUP test-resource-1") == LookupQuery(key="test-resource-1")
    assert parse("FUZZY 'machin lerning' IN resources THRESHOLD 0.7") == \
        FuzzyQuery(query_text="machin lerning", table_name="resources", threshold=0.7)


def test_sql_is_not_parsed_by_the_grammar():
    # The sandbox judges SQL; the dialect only recognises it by its first word.
    assert parse("SELECT * FROM sqlite_master; DROP TABLE x").sql.startswith("SELECT")
    for not_sql in ("selection of things", "select_stuff x", "WITHOUT x"):
        with pytest.raises(QueryError, match=f"unexpected '{not_sql.split()[0]}'"):
            parse(not_sql)


def test_strings_decode_their_escapes_and_keys_their_quotes():
    q = parse(r'''SEARCH "say \"hi\" \\ it's\n" IN resources PROJECT 'o\'neil\t' ''')
    assert q.query_text == 'say "hi" \\ it\'s\n' and q.project == "o'neil\t"
    assert parse('LOOKUP "in"').key == "in"
    assert parse("LOOKUP in").key == "in"  # a key position takes any bare word
    assert parse("LOOKUP in-progress IN entities") == LookupQuery(key="in-progress",
                                                                  table_name="entities")


def test_edge_types_may_be_spelt_like_keywords():
    q = parse("TRAVERSE a VIA DEPTH, AS DEPTH 3")
    assert q.edge_types == ["DEPTH", "AS"] and q.depth == 3
    assert parse(q.to_text()) == q


# ---- the seeded round trip ------------------------------------------------------------
_PIECES = ["a", "Z", "0", " ", "  ", "'", '"', "\\", "\\\\", "\\n", "\n", "\t", "\r", "é",
           "中文", "🙂", "\u200b", "Ω", "--", "/*", "*/", ";", "%", "_", ",", "(", ")", "\x00",
           "SELECT", "select", "DROP TABLE x", "IN", "LIMIT", "AS OF", "VIA", "DEPTH 9"]
_KEY_CHARS = "abcXYZ0189_.:@/-"
_RELATIVE = ["today", "yesterday", "this week", "last week", "this month", "last month",
             "last 3 days", "past 2 weeks", "last 1 month", "past 12 months", "Last  Week",
             "LAST 7 DAYS"]


def _text(rng: random.Random, max_len: int) -> str:
    out = "".join(rng.choice(_PIECES) for _ in range(rng.randint(1, 8)))
    if rng.random() < 0.05:
        out = "x" * rng.randint(1, max_len)  # long, up to the model's limit
    return out[:max_len]


def _key(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.5:  # bare
        return rng.choice("abcXYZ019") + "".join(rng.choice(_KEY_CHARS)
                                                 for _ in range(rng.randint(0, 12)))
    if r < 0.6:
        return rng.choice(KEYWORDS).lower() if rng.random() < 0.5 else rng.choice(KEYWORDS)
    if r < 0.7:
        return "pr-12\n"  # bare-looking but for its newline
    return _text(rng, 200)


def _when(rng: random.Random):
    d = date(1990, 1, 1) + timedelta(days=rng.randint(0, 365 * 50))
    if rng.random() < 0.4:
        return d
    t = datetime(d.year, d.month, d.day, rng.randint(0, 23), rng.randint(0, 59),
                 rng.randint(0, 59), rng.choice([0, 0, rng.randint(0, 999_999)]))
    r = rng.random()
    if r < 0.25:
        return t  # naive
    if r < 0.4:
        return t.replace(tzinfo=UTC)
    return t.replace(tzinfo=timezone(timedelta(minutes=rng.randint(-23 * 60, 23 * 60))))


def _time_filter(rng: random.Random, mask: int) -> TimeFilter | None:
    tf = TimeFilter(after=_when(rng) if mask & 1 else None,
                    before=_when(rng) if mask & 2 else None,
                    during=rng.choice(_RELATIVE) if mask & 4 else None)
    return None if tf.empty() else tf


def _limit(rng: random.Random) -> int:
    return rng.choice([1, 10, 1000, rng.randint(1, 1000)])


def random_query(rng: random.Random, i: int):
    kind = i % 5
    if kind == 0:
        return LookupQuery(key=_key(rng), table_name=rng.choice(
            [None, "resources", "entities", "moments"]))
    if kind == 1:
        mask = (i // 5) % 64  # every combination of the six filters comes round
        return SearchQuery(
            query_text=_text(rng, 500), table_name=rng.choice(["resources", "entities",
                                                                "moments"]),
            project=_text(rng, 40) if mask & 8 else None,
            kind=_text(rng, 20) if mask & 16 else None,
            person=_text(rng, 40) if mask & 32 else None,
            time_filter=_time_filter(rng, mask), limit=_limit(rng))
    if kind == 2:
        threshold = rng.choice([0.0, 1.0, 0.3, 1e-10, round(rng.random(), 2), rng.random()])
        return FuzzyQuery(query_text=_text(rng, 200), threshold=threshold, limit=_limit(rng),
                          table_name=rng.choice(["resources", "entities", "moments"]))
    if kind == 3:
        pool = list(EDGE_TYPES) + ["DEPTH", "AS", "OF", "VIA", "LIMIT", "X_Y"]
        return TraverseQuery(key=_key(rng), depth=rng.randint(1, 4),
                             edge_types=rng.sample(pool, rng.randint(0, 4)),
                             as_of=_when(rng) if rng.random() < 0.5 else None)
    sql = rng.choice(["SELECT name FROM resources WHERE project = 'a;b' LIMIT 3",
                      "WITH t AS (SELECT id FROM edges) SELECT * FROM t",
                      "select count(*) from moments -- how many\n"])
    return SqlQuery(sql=sql)


def test_random_queries_round_trip_through_their_text():
    rng = random.Random(20250301)
    n = 2500
    for i in range(n):
        q = random_query(rng, i)
        text = q.to_text()
        back = parse(text)
        assert back == q, (text, q, back)
        assert back.to_text() == text
        assert to_text(back) == text
        # ... and through both dict forms the HTTP route takes
        assert parse_any(RemQuery.of(q).model_dump(mode="json")) == q, text
        assert parse_any({"query_type": q.query_type, **q.parameters()}) == q, text
    assert n >= 2000


def test_parse_is_fast():
    texts = ['SEARCH "ci failure" IN resources PROJECT \'atlas\' AFTER \'2025-02-01\' LIMIT 5',
             "LOOKUP pr-12 IN resources", "TRAVERSE pr-12 VIA SEE_ALSO, MENTIONS DEPTH 2"]
    parse(texts[0])  # builds the parser once
    times = []
    for _ in range(100):
        for t in texts:
            t0 = time.perf_counter()
            parse(t)
            times.append(time.perf_counter() - t0)
    times.sort()
    assert times[len(times) // 2] < 1e-3, f"median parse {times[len(times) // 2] * 1e3:.2f} ms"


# ---- keywords and clause order --------------------------------------------------------
def _recase(text: str, rng: random.Random) -> str:
    """Change the case of keywords outside strings and keys."""
    strings = r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\''
    words = r"(?<![\w.:@/-])(?:" + "|".join(KEYWORDS) + r")(?![\w.:@/-])"

    def swap(m: re.Match) -> str:
        if m.group(0)[0] in "'\"":
            return m.group(0)
        return "".join(c.lower() if rng.random() < 0.5 else c for c in m.group(0))

    return re.sub(f"{strings}|{words}", swap, text, flags=re.S)


def test_keywords_are_case_insensitive():
    assert parse("search 'x' in Resources project 'p' limit 5") == \
        SearchQuery(query_text="x", project="p", limit=5)
    assert parse("traverse a via SEE_ALSO depth 2 as of '2025-01-01'") == \
        TraverseQuery(key="a", edge_types=["SEE_ALSO"], depth=2, as_of=date(2025, 1, 1))
    rng = random.Random(7)
    for i in range(500):
        q = random_query(rng, i)
        if q.query_type in ("SQL", "TRAVERSE"):
            continue  # edge types are names, not keywords: their case matters
        text = q.to_text()
        assert parse(_recase(text, rng)) == q, _recase(text, rng)


def test_clauses_in_any_order_parse_to_the_same_query():
    rng = random.Random(11)
    clauses = ["PROJECT 'atlas'", "KIND 'pr'", "PERSON 'ana'", "AFTER '2025-01-01'",
               "BEFORE '2025-02-01T10:00:00+00:00'", "DURING 'last month'", "LIMIT 7"]
    want = parse("SEARCH 'ci' IN resources " + " ".join(clauses))
    for _ in range(50):
        rng.shuffle(clauses)
        assert parse("SEARCH 'ci' IN resources " + " ".join(clauses)) == want
    assert parse("FUZZY 'x' IN resources LIMIT 3 THRESHOLD 0.5") == \
        parse("FUZZY 'x' IN resources THRESHOLD 0.5 LIMIT 3")
    assert parse("TRAVERSE a AS OF '2025-01-01' DEPTH 2 VIA MENTIONS") == \
        parse("TRAVERSE a VIA MENTIONS DEPTH 2 AS OF '2025-01-01'")


# ---- errors ---------------------------------------------------------------------------
@pytest.mark.parametrize("text,parts", [
    ('SEARCH "machine learning" IN resources LIMT 5',
     ["unexpected 'LIMT' at column 40", "LIMIT", "PROJECT", "DURING",
      'queries look like SEARCH "text" IN resources LIMIT 5']),
    ("SEARCH 'x' IN resources LIMITS 5", ["unexpected 'LIMITS'"]),
    ("SEARCH 'x' IN resources LIMIT", ["ends early at column 30", "expected a number"]),
    ("SEARCH 'x' IN", ["expected a table (resources, entities, moments)"]),
    ("LOOKUP", ["ends early", "a key or a quoted string", "LOOKUP pr-12"]),
    ("FIND pr-12", ["unexpected 'FIND' at column 1", "LOOKUP", "SEARCH", "SELECT"]),
    ('SEARCH "x" IN\n resources\n LIMIT 5 5', ["unexpected '5' at line 3, column 10"]),
    ("SEARCH 'x' IN resources LIMIT 0", ["LIMIT: expected an integer from 1 to 1000, got 0"]),
    ("SEARCH 'x' IN resources LIMIT 2.5", ["LIMIT: expected an integer", "2.5"]),
    ("SEARCH 'x' IN resources LIMIT " + "9" * 5000, ["LIMIT: expected an integer"]),
    ("FUZZY 'x' IN resources THRESHOLD 1.5", ["THRESHOLD: expected a number from 0 to 1"]),
    ("TRAVERSE a DEPTH 9", ["DEPTH: expected an integer from 1 to 4, got 9"]),
    ("TRAVERSE a VIA see_also", ["VIA: expected upper-case edge types", "see_also"]),
    ("SEARCH 'x' IN resources DURING 'next week'",
     ["DURING: expected one of today", "last week", "'next week'"]),
    ("SEARCH 'x' IN vectors", ["IN: expected one of resources, entities, moments",
                               "'vectors'"]),
    ("LOOKUP a IN edges", ["IN: expected one of resources, entities, moments"]),
    ("SEARCH 'x' IN resources AFTER 'yesterday'", ["AFTER: expected a date such as"]),
    ("TRAVERSE a AS OF '2025-13-01'", ["AS OF: expected a date", "2025-13-01"]),
    ("SEARCH 'x' IN resources LIMIT 5 KIND 'a' LIMIT 6",
     ["LIMIT given twice", "column 25", "column 42"]),
    ("SEARCH 'x\\q' IN resources", ["unknown escape '\\q'", "column 10"]),
    ("SEARCH '' IN resources", ["text: String should have at least 1 character"]),
    ("SEARCH 'unterminated IN resources", ["unexpected", "column 8"]),
    ("", ["query: empty"]),
    ("   \n ", ["query: empty"]),
])
def test_errors_name_the_token_or_clause_and_what_was_expected(text, parts):
    with pytest.raises(QueryError) as e:
        parse(text)
    for p in parts:
        assert p in str(e.value), (p, str(e.value))


def test_non_text_input_is_a_query_error():
    with pytest.raises(QueryError, match="expected dialect text .* got int"):
        parse(5)
    with pytest.raises(QueryError, match="got NoneType"):
        parse_any(None)
    with pytest.raises(QueryError, match=r"got a dict with keys \['x'\]"):
        parse_any({"x": 1})


# ---- the JSON form --------------------------------------------------------------------
def test_the_seed_json_form_maps_to_the_same_query_as_the_text():
    text = parse("SEARCH \"machine learning\" IN resources AFTER '2024-11-10' LIMIT 10")
    assert parse_any(SEED_JSON) == text
    assert parse_any(RemQuery.model_validate(SEED_JSON)) == text
    assert RemQuery.model_validate(SEED_JSON).typed() == text
    assert text.time_filter.after == date(2024, 11, 10)  # a date, not a midnight datetime
    assert parse_any(text) is text
    assert parse_any({"query_type": "SEARCH", **SEED_JSON["parameters"]}) == text


def test_json_form_errors_name_the_field():
    with pytest.raises(QueryError, match="query_type: expected one of LOOKUP.*got 'SEARX'"):
        parse_any({**SEED_JSON, "query_type": "SEARX"})
    bad = {**SEED_JSON, "parameters": {**SEED_JSON["parameters"], "limit": 0, "colour": 1}}
    with pytest.raises(QueryError) as e:
        parse_any(bad)
    assert "LIMIT: expected an integer from 1 to 1000, got 0" in str(e.value)
    assert "colour: not a parameter here; expected one of query_text" in str(e.value)
    with pytest.raises(QueryError, match="query_type: expected one of .* got 'FOO'"):
        parse_any({"query_type": "FOO"})
    with pytest.raises(QueryError, match="AS OF: expected a date"):
        parse_any({"query_type": "TRAVERSE", "parameters": {"key": "a", "as_of": "soon"}})


# ---- relative dates -------------------------------------------------------------------
REF = datetime(2025, 3, 12, 15, 30, tzinfo=UTC)  # a Wednesday


@pytest.mark.parametrize("phrase,start,end", [
    ("last week", datetime(2025, 3, 3, tzinfo=UTC), datetime(2025, 3, 10, tzinfo=UTC)),
    ("yesterday", datetime(2025, 3, 11, tzinfo=UTC), datetime(2025, 3, 12, tzinfo=UTC)),
    ("last 3 days", datetime(2025, 3, 10, tzinfo=UTC), REF + timedelta(seconds=1)),
    ("this month", datetime(2025, 3, 1, tzinfo=UTC), datetime(2025, 4, 1, tzinfo=UTC)),
    ("Last  Week", datetime(2025, 3, 3, tzinfo=UTC), datetime(2025, 3, 10, tzinfo=UTC)),
])
def test_relative_periods_resolve_against_the_reference(phrase, start, end):
    assert resolve_relative(phrase, REF) == (start, end)
    assert TimeFilter(during=phrase).bounds(REF) == (start, end)


def test_bounds_combine_absolute_and_relative_in_the_reference_zone():
    tf = parse("SEARCH 'x' IN resources AFTER '2025-03-05' DURING 'last week'").time_filter
    assert tf.bounds(REF) == (datetime(2025, 3, 5, tzinfo=UTC), datetime(2025, 3, 10, tzinfo=UTC))
    december = datetime(2025, 12, 15, 8, tzinfo=timezone(timedelta(hours=2)))
    lo, hi = TimeFilter(during="this month").bounds(december)
    assert (lo.date(), hi.date()) == (date(2025, 12, 1), date(2026, 1, 1))
    assert lo.utcoffset() == timedelta(hours=2)
