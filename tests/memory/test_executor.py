"""The executor runs every operation of the dialect on a store, with the real embedder."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from augur.memory.embed import Embedder
from augur.memory.executor import Executor
from augur.memory.ingest import ingest
from augur.memory.model import Edge, Entity, Fact, MemoryBatch, Moment, Person, Resource
from augur.memory.query import QueryError, SearchQuery
from augur.memory.sandbox import SandboxError
from augur.memory.store.sqlite import SQLiteStore

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)  # a Monday


def _batch() -> MemoryBatch:
    res = [
        Resource(id="pr-1", name="Fix token refresh in the auth service", kind="pr",
                 content="CI failed on test_refresh_expired_token; Ana asked for a retry "
                         "guard before merging.", project="atlas", persons=["ana-ruiz"],
                 created_at=T0 - timedelta(days=8), topics=["bug"]),
        Resource(id="doc-1", name="Quarterly budget plan", kind="document",
                 content="Spending for the offsite and the hiring plan for Q3.",
                 project="borealis", persons=["tom-berg"], created_at=T0 - timedelta(days=2),
                 topics=["budget"]),
        Resource(id="thread-1", name="Customer escalation about invoices", kind="email_thread",
                 content="The customer reports wrong invoice totals since the release.",
                 project="atlas", persons=["tom-berg"], created_at=T0 - timedelta(days=1)),
    ]
    ents = [Entity(id="ana-ruiz", name="Ana Ruiz", kind="person", aliases=["ana"]),
            Entity(id="tom-berg", name="Tom Berg", kind="person", aliases=["tom"]),
            Entity(id="atlas", name="atlas", kind="project")]
    mom = [Moment(id="m-1", name="Standup", summary="You discussed the auth fix",
                  start=T0 - timedelta(days=8), end=T0 - timedelta(days=8, minutes=-15),
                  moment_type="meeting", present_persons=[Person(id="ana-ruiz", name="Ana")])]
    edges = [Edge(**{"from": "pr-1", "to": "thread-1", "type": "SEE_ALSO",
                     "created_at": T0, "valid_at": T0}),
             Edge(**{"from": "thread-1", "to": "doc-1", "type": "CONTINUATION",
                     "created_at": T0, "valid_at": T0}),
             Edge(**{"from": "m-1", "to": "pr-1", "type": "ABOUT", "created_at": T0,
                     "valid_at": T0 - timedelta(days=8), "invalid_at": T0 - timedelta(days=4)})]
    facts = [Fact(id="f1", subject="ana-ruiz", predicate="role", value="engineer",
                  created_at=T0 - timedelta(days=30), valid_at=T0 - timedelta(days=30)),
             Fact(id="f2", subject="ana-ruiz", predicate="role", value="tech lead",
                  created_at=T0 - timedelta(days=3), valid_at=T0 - timedelta(days=3))]
    return MemoryBatch(resources=res, entities=ents, moments=mom, edges=edges, facts=facts)


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return Embedder()


@pytest.fixture
def ex(tmp_path, embedder) -> Executor:
    store = SQLiteStore(tmp_path / "m.db")
    ingest(store, _batch(), embedder)
    yield Executor(store, embedder)
    store.close()


def test_embedder_reads_the_packaged_model(embedder):
    v = embedder.embed(["the build failed", "CI run broke", "lunch menu"])
    assert v.shape == (3, 384)
    assert abs(float((v[0] ** 2).sum()) - 1) < 1e-4
    assert v[0] @ v[1] > v[0] @ v[2]  # paraphrases closer than an unrelated text


def test_lookup_by_id_name_and_alias(ex):
    assert [r["id"] for r in ex.run("LOOKUP pr-1").rows] == ["pr-1"]
    assert [r["id"] for r in ex.run('LOOKUP "quarterly budget plan"').rows] == ["doc-1"]
    assert [r["id"] for r in ex.run("LOOKUP ana IN entities").rows] == ["ana-ruiz"]
    assert [r["id"] for r in ex.run('LOOKUP "A. Ruiz"').rows] == ["ana-ruiz"]
    assert ex.run("LOOKUP nothing-here").rows == []


def test_search_is_hybrid_and_returns_score_parts(ex):
    rows = ex.run('SEARCH "continuous integration broke on the refresh token test" '
                  'IN resources LIMIT 3').rows
    assert rows[0]["id"] == "pr-1"
    assert {"semantic", "bm25"} <= set(rows[0]["parts"])
    assert rows[0]["score"] >= rows[-1]["score"]


def test_search_entity_matches_and_filters(ex):
    rows = ex.run('SEARCH "what did tom send" IN resources').rows
    assert {"doc-1", "thread-1"} <= {r["id"] for r in rows[:2]}
    assert "entity" in rows[0]["parts"]
    rows = ex.run("SEARCH \"anything\" IN resources PROJECT 'atlas' KIND 'pr'").rows
    assert [r["id"] for r in rows] == ["pr-1"]
    rows = ex.run("SEARCH \"plan\" IN resources PERSON 'tom-berg'").rows
    assert {r["id"] for r in rows} <= {"doc-1", "thread-1"}


def test_search_relative_time_resolves_against_the_newest_record(ex):
    # The newest record is 2025-03-02 (a Sunday): "last week" is Feb 17-23, "this week"
    # Feb 24 - Mar 2, so only pr-1 (Feb 23) is last week's.
    rows = ex.run("SEARCH \"work\" IN resources DURING 'last week'").rows
    assert [r["id"] for r in rows] == ["pr-1"]
    rows = ex.run("SEARCH \"work\" IN resources DURING 'last week'",
                  now=T0 + timedelta(days=1)).rows  # Tue Mar 4: last week is Feb 24 - Mar 2
    assert {r["id"] for r in rows} == {"doc-1", "thread-1"}
    rows = ex.run("SEARCH \"work\" IN resources AFTER '2025-03-01'").rows
    assert {r["id"] for r in rows} == {"doc-1", "thread-1"}


def test_fuzzy_finds_misspellings(ex):
    rows = ex.run("FUZZY 'quartely budjet' IN resources THRESHOLD 0.2").rows
    assert rows[0]["id"] == "doc-1" and rows[0]["score"] >= 0.2


def test_traverse_depth_types_and_time(ex):
    rows = ex.run("TRAVERSE pr-1 DEPTH 2").rows
    assert {(r["id"], r["depth"]) for r in rows} == {("thread-1", 1), ("doc-1", 2)}
    rows = ex.run("TRAVERSE pr-1 VIA SEE_ALSO DEPTH 2").rows
    assert [r["id"] for r in rows] == ["thread-1"]
    rows = ex.run("TRAVERSE m-1 AS OF '2025-02-24'").rows  # the ABOUT edge was valid then
    assert [(r["id"], r["table"]) for r in rows] == [("pr-1", "resources")]
    assert ex.run("TRAVERSE m-1").rows == []  # and is closed now


def test_sql_is_sandboxed(ex):
    res = ex.run("SELECT id, name FROM resources WHERE project = 'atlas' ORDER BY id")
    assert res.columns == ["id", "name"] and [r["id"] for r in res.rows] == ["pr-1", "thread-1"]
    with pytest.raises(QueryError, match="DELETE"):  # not even a query of the dialect
        ex.run("DELETE FROM resources")
    with pytest.raises(SandboxError):
        ex.run("SELECT 1; DELETE FROM resources")
    with pytest.raises(SandboxError):
        ex.run("SELECT * FROM sqlite_master")
    assert ex.store.stats()["resources"] == 3


def test_facts_keep_history(ex):
    now = ex.store.facts("ana-ruiz", as_of=T0)
    assert [f["value"] for f in now] == ["tech lead"]
    before = ex.store.facts("ana-ruiz", as_of=T0 - timedelta(days=10))
    assert [f["value"] for f in before] == ["engineer"]
    rows = ex.run("SELECT value, invalid_at FROM facts WHERE subject = 'ana-ruiz' "
                  "ORDER BY valid_at").rows
    assert rows[0]["invalid_at"] is not None and rows[1]["invalid_at"] is None


def test_json_form_and_typed_queries_run_like_text(ex):
    text = ex.run('SEARCH "budget" IN resources LIMIT 2').rows
    typed = ex.run(SearchQuery(query_text="budget", limit=2)).rows
    json_form = ex.run({"intent": "semantic_search", "query_type": "SEARCH",
                        "parameters": {"query_text": "budget", "limit": 2}}).rows
    assert [r["id"] for r in text] == [r["id"] for r in typed] == [r["id"] for r in json_form]


def test_bad_queries_say_what_was_expected(ex):
    with pytest.raises(QueryError, match="LIMIT|expected"):
        ex.run('SEARCH "x" IN resources LIMT 5')
    with pytest.raises(QueryError):
        ex.run({"query_type": "SEARCH", "parameters": {"query_text": "x", "limit": 0}})
