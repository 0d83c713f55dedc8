"""MemoryClient against a real `augur serve` on 127.0.0.1 with a token and a small memory."""

from __future__ import annotations

import os
import time

import pytest

from augur.memory.client import MemoryClient, MemoryClientError

TOKEN = "client-test-token"


@pytest.fixture(scope="module")
def server(tmp_path_factory, server_process, build_small_memory):
    tmp = tmp_path_factory.mktemp("client")
    build_small_memory(tmp / "memory.db")
    env = {**os.environ, "AUGUR_API_TOKEN": TOKEN}
    args = ["augur.cli", "serve", "--port", "{port}", "--models", str(tmp / "models"),
            "--memory", str(tmp / "memory.db")]
    with server_process(args, "/healthz", tmp / "serve.log", 60, env) as url:
        yield url


def test_the_client_calls_every_memory_route(server):
    mem = MemoryClient(server, token=TOKEN, timeout=120)  # the first ask may build the model
    assert mem.stats()["resources"] == 3

    answer = mem.ask("show me pr-33")
    assert answer["query"] == "LOOKUP pr-33" and answer["rows"][0]["id"] == "pr-33"
    refused = mem.ask("send an email to Ana about the outage")
    assert refused["refused"] and refused["rows"] == []
    dated = mem.ask("emails about the outage from last month", now="2025-03-10T09:00:00Z")
    assert [r["id"] for r in dated["rows"]] == ["email-12"]

    rows = mem.query('SEARCH "release checklist" IN resources LIMIT 2')["rows"]
    assert rows[0]["id"] == "doc-7"
    assert mem.query({"query_type": "LOOKUP", "parameters": {"key": "doc-7"}})["rows"]

    out = mem.generate("query", "show me pr-33")
    assert out["output"]["key"] == "pr-33" and out["model"] == "fast"

    added = mem.add_resources([{"id": "note-1", "name": "Offsite budget", "kind": "note",
                                "content": "Venue, travel, meals.",
                                "created_at": "2025-02-06T10:00:00+00:00"}])
    assert added["added"] == {"resources": 1}
    assert mem.stats()["resources"] == 4


def test_errors_carry_the_status_and_the_servers_detail(server):
    anonymous = MemoryClient(server, timeout=120)
    with pytest.raises(MemoryClientError) as e:
        anonymous.generate("query", "show me pr-33")
    assert e.value.status == 401 and "AUGUR_API_TOKEN" in e.value.detail
    with pytest.raises(MemoryClientError) as e:
        anonymous.query('SEARCH "x" IN widgets')
    assert e.value.status == 400 and "widgets" in e.value.detail
    with pytest.raises(MemoryClientError) as e:
        MemoryClient(server, token=TOKEN).generate("tip", "x")
    assert e.value.status == 422 and e.value.detail[0]["loc"] == ["body", "task"]
    assert "unknown task 'tip'" in str(e.value)
    with pytest.raises(MemoryClientError) as e:
        anonymous.ask("hi", now="2025-03-10T09:00:00")  # no UTC offset
    assert e.value.status == 422 and e.value.detail[0]["loc"] == ["body", "now"]


def test_an_unreachable_server_is_status_0(unused_port):
    with pytest.raises(MemoryClientError, match="cannot reach") as e:
        MemoryClient(f"http://127.0.0.1:{unused_port}", timeout=5).stats()
    assert e.value.status == 0


def test_arguments_are_checked():
    with pytest.raises(ValueError, match="base_url"):
        MemoryClient("127.0.0.1:8787")
    with pytest.raises(ValueError, match="timeout"):
        MemoryClient(timeout=0)


def test_stopping_while_the_model_builds_is_prompt(tmp_path, server_process):
    from augur.memory.ingest import ingest
    from augur.memory.model import MemoryBatch
    from augur.memory.store.sqlite import SQLiteStore

    with SQLiteStore(tmp_path / "memory.db") as store:
        ingest(store, MemoryBatch())  # empty: the model still builds (seconds) at startup
    args = ["augur.cli", "serve", "--port", "{port}", "--models", str(tmp_path / "models"),
            "--memory", str(tmp_path / "memory.db")]
    env = {k: v for k, v in os.environ.items() if k != "AUGUR_API_TOKEN"}
    with server_process(args, "/healthz", tmp_path / "serve.log", 60, env):
        t0 = time.monotonic()
    # SIGTERM, then the fixture waits up to 10 s before it kills: a build in progress
    # on the task models' thread must not hold the exit.
    assert time.monotonic() - t0 < 5
