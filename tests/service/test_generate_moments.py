"""POST /generate for REM task 3 ("moments"): a timestamped transcript in, as text or
as lines, its moments out. The wiring runs on the `one` and `fixed` models (fitted in
milliseconds); the served default, `trained`, is slow to fit the first time. One app
serves the module."""

from __future__ import annotations

import pytest

from augur.memory.tasks.serve import MAX_TRANSCRIPT_CHARS, MAX_TRANSCRIPT_LINES

AUTH = {"Authorization": "Bearer s3cret-token"}
TRANSCRIPT = """\
2025-02-03 09:00 Ana: standup: the payments outage on cobalt
2025-02-03 09:06 Ben Okafor: the rollback fixed it, the cache change is reverted
2025-02-03 10:30 ben: coding on the payment retries
2025-02-03 11:20 ben: opened the PR for the retry backoff
"""
LINES = [{"ts": "2025-02-03T09:00:00+01:00", "speaker": "Ana", "text": "standup on cobalt"},
         {"ts": "2025-02-03T10:30:00+01:00", "speaker": "Ben", "text": "coding on retries"}]


@pytest.fixture(scope="module")
def client(memory_client_factory):
    with memory_client_factory("moments") as c:
        yield c


def _generate(client, **body) -> dict:
    r = client.post("/generate", headers=AUTH, json={"task": "moments", **body})
    assert r.status_code == 200, r.text
    return r.json()


def test_a_transcript_is_cut_into_moments(client):
    body = _generate(client, model="fixed", input=TRANSCRIPT)
    assert body["task"] == "moments" and body["model"] == "fixed" and body["latency_ms"] > 0
    moments = body["output"]["moments"]
    assert len(moments) >= 2 and moments[0]["start"] == "2025-02-03T09:00:00"
    assert set(moments[0]) == {"name", "summary", "content", "start", "end", "moment_type",
                               "emotion_tags", "topic_tags", "present_persons"}
    assert "payments outage" in moments[0]["content"]
    assert body["prompt_tokens"] is None and body["completion_tokens"] is None


def test_lines_are_taken_as_an_object(client):
    body = _generate(client, model="one", input={"lines": LINES})
    (moment,) = body["output"]["moments"]
    assert moment["start"] == "2025-02-03T09:00:00+01:00" and body["text"] == "1 moments"


@pytest.mark.parametrize(("inp", "words"), [
    ("hello there", ["transcript line 1", "YYYY-MM-DD HH:MM speaker: text"]),
    ("", ["transcript: no lines"]),
    (TRANSCRIPT + "2025-02-03 08:00 ana: too early\n", ["transcript line 5", "time order"]),
    ("x" * (MAX_TRANSCRIPT_CHARS + 1), ["at most 200,000 characters"]),
    ("2025-02-03 09:00 a: b\n" * (MAX_TRANSCRIPT_LINES + 1), ["at most 5,000 lines"]),
    ({"lines": []}, ["input.lines", "at least 1"]),
    ({"lines": [{**LINES[0], "ts": "morning"}]}, ["input.lines.0.ts"]),
    ({"lines": [{**LINES[0], "speaker": ""}]}, ["input.lines.0.speaker"]),
    ({"lines": LINES, "k": 3}, ["input.k"]),
    ({"lines": [LINES[1], LINES[0]]}, ["input.lines: line 2", "time order"]),
])
def test_bad_moment_inputs_are_422_naming_the_field(client, inp, words):
    r = client.post("/generate", headers=AUTH, json={"task": "moments", "model": "one",
                                                     "input": inp})
    assert r.status_code == 422, r.text
    detail = r.json()["detail"][0]
    assert detail["loc"][:2] == ["body", "input"]
    assert all(w in detail["msg"] for w in words), detail["msg"]


def test_an_unknown_moment_model_is_422_listing_the_models(client):
    r = client.post("/generate", headers=AUTH, json={
        "task": "moments", "model": "scorer", "input": TRANSCRIPT})
    assert r.status_code == 422, r.text
    detail = r.json()["detail"][0]
    assert detail["loc"][:2] == ["body", "model"]
    assert "'scorer'" in detail["msg"] and "trained" in detail["msg"]


@pytest.mark.slow
def test_the_served_default_is_the_trained_model(client):
    body = _generate(client, input=TRANSCRIPT)
    assert body["model"] == "trained" and body["output"]["moments"]
