"""/memory routes on a real SQLite memory with the real embedder."""

from __future__ import annotations

import pytest

RES = {"id": "doc-7", "name": "Incident review for the payments outage", "kind": "document",
       "content": "The payments API timed out after the cache change; rollback fixed it.",
       "project": "cobalt", "persons": ["ana-ruiz"], "created_at": "2025-02-03T10:00:00+00:00"}


@pytest.fixture
def memory_client(make_client, tmp_path):
    from augur.memory.store.sqlite import SQLiteStore

    path = tmp_path / "memory.db"
    SQLiteStore(path).close()  # an empty memory
    return make_client(memory_store=str(path))


def test_add_get_and_query_resources(memory_client):
    c = memory_client
    r = c.post("/memory/resources", json={"resources": [RES]})
    assert r.status_code == 200, r.text
    assert r.json() == {"added": {"resources": 1}, "updated": {}, "embedded": 1}
    assert c.post("/memory/resources", json={"resources": [RES]}).json()["added"] == {}
    got = c.get("/memory/resources/doc-7").json()
    assert got["name"] == RES["name"] and got["created_at"].startswith("2025-02-03T10:00")
    assert c.get("/memory/resources/nope").status_code == 404
    q = c.post("/memory/query", json={"query": 'SEARCH "outage of the payment service" '
                                               "IN resources LIMIT 3"})
    assert q.status_code == 200, q.text
    body = q.json()
    assert body["query_type"] == "SEARCH" and body["rows"][0]["id"] == "doc-7"
    assert "semantic" in body["rows"][0]["parts"]
    seed_form = {"intent": "lookup", "query_type": "LOOKUP", "parameters": {"key": "doc-7"}}
    assert c.post("/memory/query", json={"query": seed_form}).json()["rows"][0]["id"] == "doc-7"
    assert c.get("/memory/stats").json()["resources"] == 1


def test_bad_queries_are_400_and_name_the_problem(memory_client):
    c = memory_client
    r = c.post("/memory/query", json={"query": 'SEARCH "x" IN widgets'})
    assert r.status_code == 400 and "widgets" in r.json()["detail"]
    r = c.post("/memory/query", json={"query": "DROP TABLE resources"})
    assert r.status_code == 400
    r = c.post("/memory/query", json={"query": "SELECT * FROM sqlite_master"})
    assert r.status_code == 400 and "sqlite_master" in r.json()["detail"]
    r = c.post("/memory/query", json={"nope": 1})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][:2] == ["body", "query"]
    r = c.post("/memory/resources", json={"resources": [{**RES, "created_at": "2025-02-03"}]})
    assert r.status_code == 422 and "created_at" in r.json()["detail"][0]["loc"]


def test_memory_writes_need_the_token_when_one_is_set(make_client, tmp_path):
    from augur.memory.store.sqlite import SQLiteStore

    path = tmp_path / "memory.db"
    SQLiteStore(path).close()
    c = make_client(memory_store=str(path), token="s3cret-token")
    assert c.post("/memory/resources", json={"resources": [RES]}).status_code == 401
    ok = c.post("/memory/resources", json={"resources": [RES]},
                headers={"Authorization": "Bearer s3cret-token"})
    assert ok.status_code == 200
    assert c.post("/memory/query", json={"query": "LOOKUP doc-7"}).status_code == 200


def test_a_missing_memory_is_503_with_the_fix(make_client, tmp_path):
    c = make_client(memory_store=str(tmp_path / "absent.db"))
    r = c.post("/memory/query", json={"query": "LOOKUP x"})
    assert r.status_code == 503 and "augur memory ingest" in r.json()["detail"]
