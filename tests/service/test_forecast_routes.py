"""POST /forecast and GET /forecast/example: probabilities per level that sum to 1,
refusals naming the field, the token rule, and the playground page."""

from __future__ import annotations

import pytest


@pytest.fixture
def example(client) -> dict:
    r = client.get("/forecast/example", params={"source": "world", "i": 3})
    assert r.status_code == 200, r.text
    return r.json()


def test_example_is_a_test_split_case(client, example):
    assert (example["source"], example["split"], example["i"]) == ("world", "test", 3)
    assert example["case"]["split"] == "test" and example["count"] > 3
    persona = client.get("/forecast/example", params={"source": "persona"}).json()
    assert persona["case"]["source"] == "persona"
    r = client.get("/forecast/example", params={"source": "world", "i": example["count"]})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "i"]


@pytest.mark.parametrize("name", ["base-rate", "uniform", "market"])
def test_forecast_gives_each_level_a_distribution(client, example, name):
    r = client.post("/forecast", json={"case": example["case"], "forecaster": name})
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["forecaster"], body["case_id"]) == (name, example["case"]["id"])
    assert body["latency_ms"] >= 0
    assert len(body["levels"]) == len(example["case"]["levels"])
    for lv, want in zip(body["levels"], example["case"]["levels"], strict=True):
        assert lv["depth"] == want["depth"]
        assert [c["text"] for c in lv["candidates"]] == [c["text"] for c in want["candidates"]]
        assert sum(c["probability"] for c in lv["candidates"]) == pytest.approx(1.0)
        assert lv["candidates"][lv["actual"]]["label"] == 1
        assert all(c["p_true"] is not None for c in lv["candidates"])  # synthetic


def test_a_bad_case_is_refused_naming_the_field(client, example):
    case = example["case"]
    case["levels"][0]["candidates"][0]["label"] = 1 - case["levels"][0]["candidates"][0]["label"]
    r = client.post("/forecast", json={"case": case, "forecaster": "uniform"})
    assert r.status_code == 422
    detail = r.json()["detail"][0]
    assert detail["loc"] == ["body", "case"]
    assert "level 1" in detail["msg"] and "label" in detail["msg"], detail["msg"]
    r = client.post("/forecast", json={"case": {"id": "x"}, "forecaster": "uniform"})
    assert r.status_code == 422 and "field 'levels'" in r.json()["detail"][0]["msg"]


@pytest.mark.parametrize("name", ["llm", "oracle"])
def test_unserved_forecasters_are_refused(client, example, name):
    r = client.post("/forecast", json={"case": example["case"], "forecaster": name})
    assert r.status_code == 422
    detail = r.json()["detail"][0]
    assert detail["loc"] == ["body", "forecaster"]
    assert "embedding, base-rate, uniform, market" in detail["msg"], detail["msg"]


def test_forecast_needs_the_token_when_one_is_configured(make_client):
    c = make_client(token="s3cret")
    case = c.get("/forecast/example").json()["case"]  # reading an example needs none
    body = {"case": case, "forecaster": "uniform"}
    assert c.post("/forecast", json=body).status_code == 401
    assert c.post("/forecast", json=body,
                  headers={"Authorization": "Bearer wrong"}).status_code == 401
    ok = c.post("/forecast", json=body, headers={"Authorization": "Bearer s3cret"})
    assert ok.status_code == 200, ok.text


def test_the_page_is_served_and_linked(client):
    page = client.get("/playground/forecast")
    assert page.status_code == 200 and "/static/forecast.js" in page.text
    assert client.get("/static/forecast.js").status_code == 200
    for other in ("/playground", "/playground/memory", "/playground/annotate"):
        assert "href=\"/playground/forecast\"" in client.get(other).text, other


@pytest.mark.slow
def test_the_embedding_forecaster_is_served(client, example):
    r = client.post("/forecast", json={"case": example["case"]})
    assert r.status_code == 200, r.text
    assert r.json()["forecaster"] == "embedding"
