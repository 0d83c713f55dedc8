"""The annotation routes: a source of task 2's test split and its candidates with the
served scorer's answers, labels saved in the memory store (behind the token), listed
back, and bad input answered 422 naming the field. One app serves the module."""

from __future__ import annotations

import pytest

AUTH = {"Authorization": "Bearer s3cret-token"}


@pytest.fixture(scope="module")
def client(memory_client_factory):
    with memory_client_factory("annotate") as c:
        yield c


@pytest.fixture(scope="module")
def test_split():
    from augur.memory.tasks.harness.data import edge_examples

    return edge_examples("test")


def _next(client, **params) -> dict:
    r = client.get("/memory/annotate/next", params=params)
    assert r.status_code == 200, r.text
    return r.json()


def _labels(body: dict, affinity: float = 0.75, kind: str = "SEE_ALSO") -> list[dict]:
    return [{"source": body["source"]["id"], "candidate": c["resource"]["id"],
             "affinity": affinity, "type": kind, "reason_useful": 3, "model": body["model"]}
            for c in body["candidates"]]


def test_next_labels_save_and_progress(client, test_split):
    first, second = test_split[0].source.id, test_split[8].source.id
    body = _next(client, annotator="ana")
    assert body["source"]["id"] == first and body["position"] == 1
    assert (body["pairs"], body["pairs_done"], body["sources_done"]) == (len(test_split), 0, 0)
    assert body["sources"] == len({ex.source.id for ex in test_split})
    assert body["next_source"] == second and body["model"] == "scorer"
    cands = body["candidates"]
    assert [c["resource"]["id"] for c in cands] == [ex.candidate.id for ex in test_split[:8]]
    assert all(0 <= c["answer"]["score"] <= 1 and c["label"] is None for c in cands)
    assert "project" not in body["source"]  # only what a model sees

    labels = _labels(body)
    assert client.post("/memory/annotations", json={"annotator": "ana", "labels": labels}
                       ).status_code == 401
    r = client.post("/memory/annotations", headers=AUTH,
                    json={"annotator": " ana ", "labels": labels})
    assert r.status_code == 200, r.text
    assert r.json() == {"annotator": "ana", "saved": 8}

    after = _next(client, annotator="ana")  # the first source is done: the second is next
    assert after["source"]["id"] == second and after["position"] == 2
    assert (after["pairs_done"], after["sources_done"]) == (8, 1)
    again = _next(client, annotator="ana", source=first)
    assert all(c["label"]["affinity"] == 0.75 and c["label"]["reason_useful"] == 3
               for c in again["candidates"])
    assert again["next_source"] == second
    assert _next(client, annotator="ben")["source"]["id"] == first  # labels are per person

    listed = client.get("/memory/annotations", params={"annotator": "ana"}).json()["labels"]
    assert len(listed) == 8 and {x["annotator"] for x in listed} == {"ana"}
    assert client.get("/memory/annotations", params={"annotator": "ben"}).json() == {
        "labels": []}


@pytest.mark.parametrize(("label", "loc"), [
    ({"affinity": 1.5}, ["body", "labels", 0, "affinity"]),
    ({"type": "MENTIONS"}, ["body", "labels", 0, "type"]),
    ({"reason_useful": 9}, ["body", "labels", 0, "reason_useful"]),
    ({"candidate": ""}, ["body", "labels", 0, "candidate"]),
    ({"extra": 1}, ["body", "labels", 0, "extra"]),
])
def test_bad_labels_are_422_naming_the_field(client, label, loc):
    good = {"source": "a", "candidate": "b", "affinity": 0.5, "type": "none"}
    r = client.post("/memory/annotations", headers=AUTH,
                    json={"annotator": "ana", "labels": [{**good, **label}]})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == loc, r.text


def test_bad_requests_name_what_is_wrong(client):
    good = {"source": "a", "candidate": "b", "affinity": 0.5, "type": "none"}
    r = client.post("/memory/annotations", headers=AUTH, json={"annotator": "  ",
                                                               "labels": [good]})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "annotator"]
    r = client.post("/memory/annotations", headers=AUTH, json={"annotator": "a", "labels": []})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "labels"]
    r = client.get("/memory/annotate/next")
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "annotator"]
    r = client.get("/memory/annotate/next", params={"annotator": "ana", "source": "nope-1"})
    assert r.status_code == 404 and "nope-1" in r.json()["detail"]


def test_the_page_is_served_and_linked():
    from pathlib import Path

    import augur.service

    static = Path(augur.service.__file__).parent / "static"
    for page in ("playground.html", "memory.html"):
        assert 'href="/playground/annotate"' in (static / page).read_text()
    html = (static / "annotate.html").read_text()
    assert "http" not in html.replace("http-equiv", "")  # nothing from a CDN
