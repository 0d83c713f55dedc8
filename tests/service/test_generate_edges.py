"""POST /generate for REM task 2 ("edges"): a new resource and candidates in, one scored
edge per candidate out, from the served scorer (fitted once on the frozen train
split) or a model the request names. One app serves the module."""

from __future__ import annotations

import pytest

AUTH = {"Authorization": "Bearer s3cret-token"}
SOURCE = {"id": "pr-913", "kind": "pr", "name": "Fix timezone bug in ember facet filters",
          "content": "Implements EMB-912: Facet filters use UTC instead of the user's time "
                     "zone. Adds a regression test. Owner Leo Murphy.",
          "created_at": "2025-03-06T09:00:00+00:00"}
TICKET = {"id": "ticket-912", "kind": "ticket",
          "name": "EMB-912: Facet filters use UTC instead of the user's time zone",
          "content": "Project ember, area query parsing. Facet filters use UTC instead of "
                     "the user's time zone; needs a fix and a regression test.",
          "created_at": "2025-03-05T16:00:00+00:00"}
LUNCH = {"id": "email-940", "kind": "email_thread", "name": "Team offsite lunch menu",
         "content": "Please pick pasta, salad or curry for Friday's offsite by Wednesday.",
         "created_at": "2025-01-10T12:00:00+00:00"}


@pytest.fixture(scope="module")
def client(memory_client_factory):
    with memory_client_factory("edges") as c:
        yield c


def _generate(client, **body) -> dict:
    r = client.post("/generate", headers=AUTH, json={"task": "edges", **body})
    assert r.status_code == 200, r.text
    return r.json()


def test_the_served_scorer_links_a_pr_to_its_ticket_not_to_lunch(client):
    body = _generate(client, input={"source": SOURCE, "candidates": [TICKET, LUNCH]})
    assert body["task"] == "edges" and body["model"] == "scorer" and body["latency_ms"] > 0
    ticket, lunch = body["output"]  # one answer per candidate, in their order
    assert ticket["type"] != "none" and ticket["score"] >= 0.5
    assert set(ticket) == {"type", "score", "reason", "metadata"}
    assert isinstance(ticket["metadata"]["topic_overlap"], list)
    assert lunch["type"] == "none" and lunch["score"] < 0.5
    assert body["prompt_tokens"] is None and body["completion_tokens"] is None


@pytest.mark.parametrize("model", ["none", "time", "cosine"])
def test_every_model_answers_by_name(client, model):
    body = _generate(client, model=model, input={"source": SOURCE, "candidates": [TICKET]})
    assert body["model"] == model and len(body["output"]) == 1
    assert 0 <= body["output"][0]["score"] <= 1


def test_a_long_content_is_clipped_and_a_changed_candidate_is_rescored(client):
    long = {**TICKET, "content": TICKET["content"] + " x" * 5000}
    assert len(_generate(client, input={"source": SOURCE, "candidates": [long]})["output"]) == 1
    # the same id with other words is scored as what it now says
    other = {**TICKET, "name": "Quarterly budget", "content": "Travel and equipment costs."}
    body = _generate(client, model="cosine", input={"source": SOURCE, "candidates": [other]})
    first = _generate(client, model="cosine", input={"source": SOURCE,
                                                     "candidates": [TICKET]})
    assert body["output"][0]["score"] < first["output"][0]["score"]


@pytest.mark.parametrize(("inp", "words"), [
    ("show me pr-33", ["object {source, candidates}", "got str"]),
    ({"source": SOURCE}, ["input.candidates", "required"]),
    ({"source": SOURCE, "candidates": []}, ["input.candidates", "at least 1"]),
    ({"source": SOURCE, "candidates": [TICKET] * 101}, ["input.candidates", "at most 100"]),
    ({"source": {**SOURCE, "created_at": "yesterday"}, "candidates": [TICKET]},
     ["input.source.created_at"]),
    ({"source": SOURCE, "candidates": [{**TICKET, "project": "ember"}]},
     ["input.candidates.0.project", "xtra"]),
    ({"source": SOURCE, "candidates": [TICKET], "k": 3}, ["input.k"]),
])
def test_bad_edge_inputs_are_422_naming_the_field(client, inp, words):
    r = client.post("/generate", headers=AUTH, json={"task": "edges", "input": inp})
    assert r.status_code == 422, r.text
    detail = r.json()["detail"][0]
    assert detail["loc"][:2] == ["body", "input"]
    assert all(w in detail["msg"] for w in words), detail["msg"]


def test_an_unknown_edge_model_is_422_listing_the_models(client):
    r = client.post("/generate", headers=AUTH, json={
        "task": "edges", "model": "fast", "input": {"source": SOURCE, "candidates": [TICKET]}})
    assert r.status_code == 422, r.text
    detail = r.json()["detail"][0]
    assert detail["loc"][:2] == ["body", "model"]
    assert "'fast'" in detail["msg"] and "scorer" in detail["msg"]
