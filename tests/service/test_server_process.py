"""The real server process (`augur serve`) over HTTP on 127.0.0.1."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request

import pytest

from augur.oracle.scenarios import scenario


@pytest.fixture
def server(two_models, tmp_path, server_process):
    args = ["augur.cli", "serve", "--port", "{port}", "--models", str(two_models),
            "--default-model", "alpha", "--batch-wait-ms", "20"]
    with server_process(args, "/healthz", tmp_path / "server.log") as url:
        yield url


def _post(url: str, body: dict) -> tuple[int, dict]:
    req = urllib.request.Request(url, json.dumps(body).encode(),
                                 {"content-type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_real_server_answers_and_batches_concurrent_calls(server):
    events, cands, _ = scenario("deep_coding")
    body = {"events": [e.to_dict() for e in events],
            "candidates": [c.model_dump(exclude_none=True) for c in cands]}
    status, p = _post(f"{server}/predict", body)
    assert status == 200 and p["model"] == "alpha" and len(p["next_actions"]) == 5
    assert _post(f"{server}/predict", {"model": "nope", **body})[0] == 404

    barrier, results = threading.Barrier(24), []

    def client():
        barrier.wait()
        results.append(_post(f"{server}/predict", body))

    threads = [threading.Thread(target=client) for _ in range(24)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [s for s, _ in results] == [200] * 24
    # The same answer whether a call ran alone or shared a batch, up to float rounding:
    # a batched matrix product sums in another order (differences of about 1e-7).
    want = {a["action"]: a["prob"] for a in p["next_actions"]}
    for _, r in results:
        got = {a["action"]: a["prob"] for a in r["next_actions"]}
        assert got.keys() == want.keys()
        assert all(abs(got[a] - want[a]) < 1e-5 for a in want)
    health = json.loads(urllib.request.urlopen(f"{server}/healthz").read())
    assert health["predictions"] == 25
    assert health["batches"] < 25  # calls that arrived together shared forward passes
