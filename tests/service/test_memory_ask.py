"""POST /memory/ask and POST /generate on a small real memory, with task 1's served model
(the fast path over the cached training embeddings and real MiniLM). One app serves
the module, so the model is built once (seconds)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient


def _client(tmp, **cfg) -> TestClient:
    from augur.service.app import create_app
    from augur.service.config import ServiceConfig

    client = TestClient(create_app(ServiceConfig(models_dir=tmp / "models", **cfg)))
    client.__enter__()
    return client


@pytest.fixture(scope="module")
def memory_path(tmp_path_factory, build_small_memory):
    path = tmp_path_factory.mktemp("ask") / "memory.db"
    build_small_memory(path)
    return path


@pytest.fixture(scope="module")
def client(memory_path):
    c = _client(memory_path.parent, memory_store=str(memory_path), token="s3cret-token")
    yield c
    c.__exit__(None, None, None)


AUTH = {"Authorization": "Bearer s3cret-token"}


def _ask(client, text: str, **kw) -> dict:
    r = client.post("/memory/ask", json={"text": text, **kw})
    assert r.status_code == 200, r.text
    return r.json()


def test_ask_looks_up_an_id(client):
    body = _ask(client, "show me pr-33")  # no token: asking reads, like /memory/query
    assert body["query"] == "LOOKUP pr-33" and body["query_type"] == "LOOKUP"
    assert body["parameters"] == {"key": "pr-33"}
    assert [r["id"] for r in body["rows"]] == ["pr-33"] and not body["refused"]
    assert body["model"] == "fast" and body["text"] == "show me pr-33"
    assert body["generate_ms"] > 0 and body["execute_ms"] > 0
    assert body["elapsed_ms"] >= body["generate_ms"] + body["execute_ms"]


def test_ask_searches_with_the_kind_the_words_name(client):
    body = _ask(client, "find emails about the payments outage")
    assert body["query"] == 'SEARCH "the payments outage" IN resources KIND \'email_thread\''
    assert body["rows"][0]["id"] == "email-12" and "parts" in body["columns"]


def test_ask_resolves_relative_time_against_now(client):
    text = "emails about the outage from last month"
    march = _ask(client, text, now="2025-03-10T09:00:00+00:00")
    assert "DURING 'last month'" in march["query"]
    assert [r["id"] for r in march["rows"]] == ["email-12"]  # February
    june = _ask(client, text, now="2025-06-10T09:00:00+00:00")
    assert june["query"] == march["query"] and june["rows"] == []  # May: nothing


@pytest.mark.parametrize("text", ["send an email to Ana about the outage",
                                  "what's the weather tomorrow"])
def test_ask_refuses_requests_to_act_or_about_the_world(client, text):
    body = _ask(client, text)
    assert body["refused"] and body["query"] is None and body["query_type"] == "REFUSE"
    assert body["rows"] == [] and body["columns"] == [] and body["execute_ms"] == 0


def test_a_query_the_model_made_that_fails_is_422_naming_it(client):
    # The project name, carried into the SQL literal as written, has a NUL in it: the
    # store refuses to run such a statement.
    r = client.post("/memory/ask", json={"text": "Break down em\u0000ber by kind"})
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["query"].startswith("SELECT kind, COUNT(*)") and body["model"] == "fast"
    assert body["query"] in body["detail"] and "null character" in body["detail"]


def test_a_request_the_model_cannot_turn_into_a_query_is_422(client):
    r = client.post("/memory/ask", json={"text": "how many documents since 2025-02-30?"})
    assert r.status_code == 422, r.text
    assert r.json()["query"] is None and "day is out of range" in r.json()["detail"]


@pytest.mark.parametrize(("body", "field"), [
    ({}, "text"), ({"text": ""}, "text"), ({"text": "   "}, "text"),
    ({"text": "x" * 2001}, "text"), ({"text": "hi", "extra": 1}, "extra"),
    ({"text": "hi", "now": "2025-03-10T09:00:00"}, "now"),
    ({"text": "hi", "now": "0001-01-01T00:00:00+00:00"}, "now"),
])
def test_bad_ask_bodies_are_422_naming_the_field(client, body, field):
    r = client.post("/memory/ask", json=body)
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["loc"][:2] == ["body", field]


def test_ask_without_a_memory_is_503(tmp_path):
    c = _client(tmp_path, memory_store=str(tmp_path / "absent.db"))
    try:
        r = c.post("/memory/ask", json={"text": "show me pr-33"})
        assert r.status_code == 503 and "augur memory ingest" in r.json()["detail"]
    finally:
        c.__exit__(None, None, None)


def test_generate_query_with_the_served_model(client):
    assert client.post("/generate", json={"task": "query", "input": "x"}).status_code == 401
    r = client.post("/generate", json={"task": "query", "input": "show me pr-33"},
                    headers=AUTH)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["output"] == {"query_type": "LOOKUP", "key": "pr-33", "table_name": None}
    assert body["task"] == "query" and body["model"] == "fast" and body["latency_ms"] > 0
    assert body["prompt_tokens"] is None and body["completion_tokens"] is None
    refusal = client.post("/generate", json={"task": "query", "input": "send Ben the budget"},
                          headers=AUTH).json()
    assert refusal["output"] == {"query_type": "REFUSE", "reason": ""}


def test_generate_with_a_named_model(client):
    r = client.post("/generate", headers=AUTH, json={
        "task": "query", "input": "budget notes", "model": "search-all", "max_tokens": 8})
    assert r.status_code == 200, r.text
    assert r.json()["output"]["query_type"] == "SEARCH" and r.json()["model"] == "search-all"
    assert r.json()["output"]["query_text"] == "budget notes"


@pytest.mark.parametrize(("body", "field", "words"), [
    ({"task": "tip", "input": "x"}, "task", ["unknown task 'tip'", "query"]),
    ({"task": "query", "input": {"text": "x"}}, "input", ["string", "got dict"]),
    ({"task": "query", "input": ["x"]}, "input", []),
    ({"task": "query", "input": ""}, "input", ["1 to 2000"]),
    ({"task": "query", "input": "x", "max_tokens": 0}, "max_tokens", []),
    ({"task": "query", "input": "x", "max_tokens": 4096}, "max_tokens", []),
    ({"task": "query", "input": "x", "model": "gpt-9"}, "model", ["gpt-9", "retrieval"]),
    ({"task": "query", "input": "x", "model": "/absent/model.gguf"}, "model", ["not found"]),
    ({"input": "x"}, "task", []),
])
def test_bad_generate_bodies_are_422_naming_the_field(client, body, field, words):
    r = client.post("/generate", json=body, headers=AUTH)
    assert r.status_code == 422, r.text
    detail = r.json()["detail"][0]
    assert detail["loc"][:2] == ["body", field]
    assert all(w in detail["msg"] for w in words), detail["msg"]


@pytest.mark.slow  # SmolLM2 through llama.cpp: seconds to load, seconds an answer
def test_generate_with_an_llm_counts_its_tokens(client):
    r = client.post("/generate", headers=AUTH, json={
        "task": "query", "input": "show me pr-33", "model": "llamacpp", "max_tokens": 96})
    assert r.status_code in (200, 422), r.text  # a small model may write an invalid query
    body = r.json()
    assert body["model"] == "llamacpp"
    if r.status_code == 200:
        assert 0 < body["completion_tokens"] <= 96 and body["output"]["query_type"]


def test_a_title_added_through_the_service_is_known_to_the_model(client):
    ask = {"text": "open 'Hiring plan review'"}
    before = client.post("/memory/ask", json=ask).json()
    assert before["query_type"] == "FUZZY"  # a title the memory does not hold: misspelt?
    added = client.post("/memory/resources", headers=AUTH, json={"resources": [
        {"id": "doc-90", "name": "Hiring plan review", "kind": "document",
         "content": "Two engineers in Q2.", "created_at": "2025-02-07T10:00:00+00:00"}]})
    assert added.status_code == 200, added.text
    after = client.post("/memory/ask", json=ask).json()
    assert after["query"] == 'LOOKUP "Hiring plan review"'
    assert [r["id"] for r in after["rows"]] == ["doc-90"]
