"""POST /train (a real background job), POST /evaluate (the real harness, cached), and
the bearer token that guards both."""

from __future__ import annotations

import json
import time

import pytest

from augur.service.config import ServiceConfig, ServiceConfigError

TINY_JOB = {"synthetic": {"days": 3, "seed": 7}, "epochs": 1, "layers": 1, "width": 32}


def _wait(client, job_id: str, timeout: float = 120) -> dict:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        job = client.get(f"/train/{job_id}").json()
        if job["state"] in ("succeeded", "failed"):
            return job
        time.sleep(0.3)
    raise AssertionError(f"job {job_id} still {job['state']} after {timeout} s: {job}")


def test_train_runs_in_the_background_and_registers_the_model(client, models_dir):
    r = client.post("/train", json={"name": "fresh", **TINY_JOB})
    assert r.status_code == 202, r.text
    job = r.json()
    assert job["state"] in ("queued", "running") and job["name"] == "fresh"
    second = client.post("/train", json={"name": "other", **TINY_JOB})
    assert second.status_code == 409 and job["id"] in second.json()["detail"]
    done = _wait(client, job["id"])
    assert done["state"] == "succeeded", done
    assert done["progress"] == 1.0 and 0 < done["result"]["validation"]["composite"] < 1
    assert "fresh" in [m["name"] for m in client.get("/models").json()["models"]]
    r = client.post("/predict", json={"model": "fresh", "events": [
        {"ts": "2026-03-04T09:00:00+01:00", "type": "day_started", "source": "system",
         "actor": "me"}]})
    assert r.status_code == 200, r.text
    taken = client.post("/train", json={"name": "alpha", **TINY_JOB})
    assert taken.status_code == 409 and "taken" in taken.json()["detail"]


def test_bad_training_requests_name_the_field(client):
    r = client.post("/train", json={"name": "x", "data": "/no/such/file.jsonl"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "data"]
    r = client.post("/train", json={"name": "x", "synthetic": {"seed": 1000, "personas": 2}})
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "synthetic", "seed"]
    r = client.post("/train", json={"name": "../escape"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "name"]
    r = client.post("/train", json={"name": "x", "width": 50})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "width"]
    assert client.get("/train/abc").status_code == 404


def test_a_failed_job_reports_why(client, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"ts": "not a time"}\n')
    job = client.post("/train", json={"name": "broken", "data": str(bad)}).json()
    done = _wait(client, job["id"])
    assert done["state"] == "failed" and "ts" in done["message"]
    assert "broken" not in [m["name"] for m in client.get("/models").json()["models"]]


@pytest.mark.slow
def test_evaluate_runs_the_harness_once_per_checkpoint(client):
    first = client.post("/evaluate", json={"model": "alpha"})
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["cached"] is False and body["model"] == "alpha"
    temporal = body["report"]["eval_sets"]["temporal"]["metrics"]
    assert 0 < temporal["composite"]["value"] < 1
    again = client.post("/evaluate", json={"model": "alpha"}).json()
    assert again["cached"] is True and again["report"] == body["report"]
    listed = {m["name"]: m for m in client.get("/models").json()["models"]}
    assert listed["alpha"]["harness_composite"] == temporal["composite"]["value"]
    assert listed["beta"]["harness_composite"] is None
    assert client.post("/evaluate", json={"model": "nope"}).status_code == 404


@pytest.mark.slow
def test_cli_evaluate_leaves_its_report_for_the_service(models_dir, client, capsys):
    from augur.cli import main

    assert main(["evaluate", str(models_dir / "beta"), "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    listed = {m["name"]: m for m in client.get("/models").json()["models"]}
    composite = printed["eval_sets"]["temporal"]["metrics"]["composite"]["value"]
    assert listed["beta"]["harness_composite"] == composite
    again = client.post("/evaluate", json={"model": "beta"}).json()
    assert again["cached"] is True and again["report"] == printed


def test_train_and_evaluate_need_the_token_when_one_is_set(make_client):
    client = make_client(token="s3cret-token")
    for path, body in (("/train", {"name": "t", **TINY_JOB}), ("/evaluate", {"model": "alpha"})):
        r = client.post(path, json=body)
        assert r.status_code == 401 and "Bearer" in r.json()["detail"]
        r = client.post(path, json=body, headers={"Authorization": "Bearer wrong"})
        assert r.status_code == 401
    r = client.post("/train", json={"name": "x", "data": "/no/such/file"},
                    headers={"Authorization": "Bearer s3cret-token"})
    assert r.status_code == 422  # past the guard
    ok = client.post("/predict", json={"events": [
        {"ts": "2026-03-04T09:00:00+01:00", "type": "day_started", "source": "system",
         "actor": "me"}]})
    assert ok.status_code == 200  # reading predictions needs no token


def test_beyond_loopback_the_server_refuses_to_start_without_a_token(monkeypatch, tmp_path):
    from augur.cli import main

    monkeypatch.delenv("AUGUR_API_TOKEN", raising=False)
    with pytest.raises(ServiceConfigError, match="AUGUR_API_TOKEN"):
        ServiceConfig(host="0.0.0.0").check()
    ServiceConfig(host="0.0.0.0", token="t").check()
    ServiceConfig(host="::1").check()
    assert main(["serve", "--host", "0.0.0.0", "--models", str(tmp_path)]) == 2
