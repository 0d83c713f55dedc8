"""Every route and its errors, through FastAPI's TestClient over two tiny checkpoints."""

from __future__ import annotations

from augur.oracle.scenarios import NAMES, scenario


def _window(name: str = "ci_failure") -> dict:
    events, cands, _ = scenario(name)
    return {"events": [e.to_dict() for e in events],
            "candidates": [c.model_dump(exclude_none=True) for c in cands]}


def test_healthz_and_models(client):
    health = client.get("/healthz").json()
    assert (health["status"], health["models"], health["predictions"]) == ("ok", 2, 0)
    body = client.get("/models").json()
    assert sorted(m["name"] for m in body["models"]) == ["alpha", "beta"]
    assert body["default"] in ("alpha", "beta")
    for m in body["models"]:
        assert m["params"] > 0 and m["size_bytes"] > 0 and len(m["sha256"]) == 64
        assert 0 < m["composite"] < 1 and m["error"] is None


def test_predict_returns_every_head(client):
    r = client.post("/predict", json={"model": "alpha", **_window(), "top_k": 3})
    assert r.status_code == 200, r.text
    p = r.json()
    assert p["model"] == "alpha" and len(p["next_actions"]) == 3
    probs = [a["prob"] for a in p["next_actions"]]
    assert probs == sorted(probs, reverse=True) and 0 < sum(probs) <= 1 + 1e-6
    assert set(p["lanes"]) == {"ask", "suggest", "draft", "act", "escalate"}
    assert abs(sum(p["lanes"].values()) - 1) < 1e-5
    assert 0 <= p["proactive_prob"] <= 1 and p["delay_min"] >= 0
    assert [a["id"] for a in p["artifacts"]] and len(p["artifacts"]) == 4


def test_predict_uses_the_default_model_when_none_is_named(client):
    default = client.get("/models").json()["default"]
    r = client.post("/predict", json=_window("morning_email"))
    assert r.status_code == 200 and r.json()["model"] == default


def test_rank_orders_candidates_best_first(client):
    w = _window("pr_review")
    r = client.post("/rank", json={"model": "beta", "events": w["events"],
                                   "candidates": w["candidates"]})
    assert r.status_code == 200, r.text
    scores = [a["score"] for a in r.json()["artifacts"]]
    assert scores == sorted(scores, reverse=True)
    assert {a["id"] for a in r.json()["artifacts"]} == {c["id"] for c in w["candidates"]}


def test_route_names_the_most_likely_lane(client):
    r = client.post("/route", json={"model": "alpha", "events": _window()["events"]})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["lane"] == max(body["lanes"], key=body["lanes"].get)


def test_rank_needs_candidates(client):
    r = client.post("/rank", json={"events": _window()["events"]})
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "candidates"]


def test_unknown_model_is_404_listing_the_available(client):
    r = client.post("/predict", json={"model": "nope", **_window()})
    assert r.status_code == 404
    assert r.json()["available"] == ["alpha", "beta"]
    assert "unknown model 'nope'" in r.json()["detail"]


def test_malformed_events_name_the_field(client):
    events = _window()["events"]
    bad = [dict(e) for e in events]
    bad[2]["importance"] = 3
    r = client.post("/predict", json={"events": bad})
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "events", 2, "importance"]
    naive = [dict(events[0], ts="2026-03-04T10:00:00")]
    r = client.post("/predict", json={"events": naive})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "events", 0, "ts"]
    assert "timezone-aware" in r.json()["detail"][0]["msg"]
    r = client.post("/predict", json={"events": [dict(events[0], mood="sunny")]})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "mood"
    r = client.post("/predict", json={"events": []})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "events"]
    r = client.post("/predict", content=b"{not json", headers={"content-type":
                                                                   "application/json"})
    assert r.status_code == 422


def test_a_window_out_of_time_order_is_predicted_not_a_server_error(client):
    """Sources' clocks skew: an event stamped before the break logged just before it
    read a negative bin, another field's embedding (a week off: HTTP 500)."""
    events = _window()["events"]
    me = events[-1]["stream"]
    brk = dict(events[-1], ts="2026-03-11T12:00:00+01:00", type="break_started",
               source="system", actor=me, action="take_break", attributes={})
    late = dict(events[-1], ts="2026-03-04T11:00:00+01:00")
    r = client.post("/predict", json={"events": [*events, brk, late]})
    assert r.status_code == 200, r.text
    assert 0 < sum(a["prob"] for a in r.json()["next_actions"]) <= 1 + 1e-6


def test_too_many_events_and_oversize_bodies_are_refused(client):
    event = _window()["events"][0]
    r = client.post("/predict", json={"events": [event] * 1025})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "events"]
    assert "1024" in r.json()["detail"][0]["msg"]
    padded = dict(event, attributes={"note": "x" * (1 << 20)})
    r = client.post("/predict", json={"events": [padded]})
    assert r.status_code == 413
    assert r.json()["detail"][0]["loc"] == ["body"] and "1048576" in r.json()["detail"][0]["msg"]
    assert client.post("/predict", json={"events": [event] * 1024}).status_code == 200


def test_a_corrupt_checkpoint_fails_alone(models_dir, make_client):
    (models_dir / "beta" / "model.safetensors").write_bytes(b"not a safetensors file")
    client = make_client(default_model="alpha")
    r = client.post("/predict", json={"model": "beta", **_window()})
    assert r.status_code == 503
    assert "model 'beta' cannot be loaded" in r.json()["detail"]
    assert client.post("/predict", json={"model": "alpha", **_window()}).status_code == 200
    listed = {m["name"]: m for m in client.get("/models").json()["models"]}
    assert listed["beta"]["error"] and listed["alpha"]["error"] is None


def test_new_and_rewritten_checkpoints_appear_without_restart(models_dir, client):
    import shutil

    before = client.post("/predict", json={"model": "alpha", **_window()}).json()
    shutil.copytree(models_dir / "beta", models_dir / "gamma")
    assert "gamma" in [m["name"] for m in client.get("/models").json()["models"]]
    r = client.post("/predict", json={"model": "gamma", **_window()})
    assert r.status_code == 200 and r.json()["model"] == "gamma"
    # Rewrite alpha with beta's weights: once the listing is fresh (at most a second,
    # or at once after /models), requests get the new weights.
    shutil.rmtree(models_dir / "alpha")
    shutil.copytree(models_dir / "beta", models_dir / "alpha")
    client.get("/models")
    after = client.post("/predict", json={"model": "alpha", **_window()}).json()
    beta = client.post("/predict", json={"model": "beta", **_window()}).json()
    assert after["next_actions"] == beta["next_actions"] != before["next_actions"]


def test_a_model_trained_on_a_log_answers_null_for_heads_it_never_trained(
        models_dir, tiny_log_checkpoint, client):
    import shutil

    shutil.copytree(tiny_log_checkpoint, models_dir / "log")
    r = client.post("/predict", json={"model": "log", **_window("pr_review")})
    assert r.status_code == 200, r.text
    p = r.json()
    assert len(p["next_actions"]) == 5 and p["delay_min"] >= 0
    assert [p[k] for k in ("lanes", "proactive_prob", "proactive", "artifacts")] == [None] * 4
    for route, body in (("/route", {"events": _window()["events"]}),
                        ("/rank", _window("pr_review"))):
        r = client.post(route, json={"model": "log", **body})
        head = "routing" if route == "/route" else "relevance"
        assert r.status_code == 409, r.text
        assert r.json()["detail"].startswith(f"model 'log' has no trained {head} head: its "
                                             "training data had no labels for it")
    side = client.get("/api/compare", params={"a": "alpha", "b": "log",
                                              "scenario": "pr_review"}).json()
    assert side["a"]["prediction"]["lanes"] and side["b"]["prediction"]["lanes"] is None


def test_compare_puts_two_models_side_by_side(client):
    r = client.get("/api/compare", params={"a": "alpha", "b": "beta", "scenario": "ci_failure"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["a"]["model"] == "alpha" and body["b"]["model"] == "beta"
    assert abs(body["composite_diff"] - (body["a"]["composite"] - body["b"]["composite"])) < 1e-9
    assert len(body["a"]["prediction"]["next_actions"]) == 5
    r = client.get("/api/compare", params={"a": "alpha", "b": "beta", "scenario": "lunch"})
    assert r.status_code == 422 and "ci_failure" in r.text
    r = client.get("/api/compare", params={"a": "alpha", "b": "zeta", "scenario": "pr_review"})
    assert r.status_code == 404 and r.json()["available"] == ["alpha", "beta"]


def test_scenarios_playground_and_docs(client):
    names = [s["name"] for s in client.get("/api/scenarios").json()]
    assert names == list(NAMES)
    page = client.get("/playground")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert client.get("/docs").status_code == 200
    spec = client.get("/openapi.json").json()
    for path in ("/predict", "/rank", "/route", "/train", "/train/{job_id}", "/evaluate",
                 "/models", "/api/compare", "/healthz"):
        assert path in spec["paths"], path
    predict = spec["components"]["schemas"]["PredictRequest"]
    assert predict["examples"][0]["events"]
