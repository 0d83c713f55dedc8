"""Every route and its errors, through FastAPI's TestClient over two tiny checkpoints."""

from __future__ import annotations

from augur.oracle.scenarios import scenario


def _window(name: str = "ci_failure") -> dict:
    events, cands, _ = scenario(name)
    return {"events": [e.to_dict() for e in events],
            "candidates": [c.model_dump(exclude_none=True) for c in cands]}


def test_healthz_and_models(client):
    assert client.get("/healthz").json() == {"status": "ok", "version": "0.1.0", "models": 2}
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
