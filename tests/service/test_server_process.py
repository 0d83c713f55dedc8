"""The real server process (`augur serve`) over HTTP on 127.0.0.1."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import pytest

from augur.oracle.scenarios import scenario


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(two_models, tmp_path):
    port = _free_port()
    log = (tmp_path / "server.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "augur.cli", "serve", "--port", str(port),
                             "--models", str(two_models), "--default-model", "alpha",
                             "--batch-wait-ms", "20"], stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        end = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{url}/healthz", timeout=1)
                break
            except (urllib.error.URLError, ConnectionError):
                if proc.poll() is not None or time.monotonic() > end:
                    raise AssertionError("server did not come up:\n" + (
                        tmp_path / "server.log").read_text()) from None
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(10)
        log.close()


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
    assert all(r["next_actions"] == p["next_actions"] for _, r in results)
    health = json.loads(urllib.request.urlopen(f"{server}/healthz").read())
    assert health["predictions"] == 25
    assert health["batches"] < 25  # calls that arrived together shared forward passes
