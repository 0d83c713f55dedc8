"""Ingest: the world, a folder, JSON lines; idempotent, atomic under errors and kill -9."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime

import pytest

from augur.memory.ingest import IngestError, folder_batch, ingest, jsonl_batch, source_batch
from augur.memory.model import MemoryBatch, Resource
from augur.memory.store.base import StoreError
from augur.memory.store.sqlite import SQLiteStore

T = datetime(2025, 1, 6, 9, tzinfo=UTC)


def _res(i: int, text: str = "notes") -> Resource:
    return Resource(id=f"r-{i}", name=f"Resource {i}", kind="note", content=f"{text} {i}",
                    created_at=T)


def test_folder_ingest_is_idempotent(tmp_path):
    notes = tmp_path / "notes"
    (notes / "sub").mkdir(parents=True)
    (notes / "a.md").write_text("# Release checklist\n\nTag, build, ship.\n")
    (notes / "sub" / "b.txt").write_text("call the bank about the invoice\n")
    (notes / "skip.bin").write_bytes(b"\x00\x01")
    with SQLiteStore(tmp_path / "m.db") as store:
        first = ingest(store, folder_batch(notes))
        assert first.result.added == {"resources": 2}
        assert ingest(store, folder_batch(notes)).result.total == 0  # nothing new
        names = {r["name"] for r in store.export()}
        assert "Release checklist" in names
        (notes / "a.md").write_text("# Release checklist\n\nTag, build, ship, announce.\n")
        again = ingest(store, folder_batch(notes))
        assert again.result.updated == {"resources": 1} and not again.result.added
        assert store.stats()["resources"] == 2


def test_jsonl_errors_name_line_and_field(tmp_path):
    p = tmp_path / "r.jsonl"
    good = _res(1).model_dump(mode="json")
    p.write_text(json.dumps(good) + "\n" + json.dumps({**good, "id": "r-2",
                                                       "created_at": "2025-01-06T09:00"}) + "\n")
    with pytest.raises(IngestError, match=r"r.jsonl:2: field 'created_at'.*offset"):
        jsonl_batch(p)
    p.write_text("{not json\n")
    with pytest.raises(IngestError, match=r":1: not JSON"):
        jsonl_batch(p)
    p.write_text(json.dumps({"table": "widgets"}) + "\n")
    with pytest.raises(IngestError, match="field 'table' expected one of"):
        jsonl_batch(p)
    with pytest.raises(IngestError, match="no such file"):
        source_batch(tmp_path / "missing")


def test_export_reingests_to_the_same_memory(tmp_path):
    from augur.memory.executor import jsonable

    batch = MemoryBatch(resources=[_res(1), _res(2)])
    with SQLiteStore(tmp_path / "a.db") as a:
        ingest(a, batch)
        lines = [json.dumps(jsonable(r)) for r in a.export()]
    (tmp_path / "export.jsonl").write_text("\n".join(lines) + "\n")
    with SQLiteStore(tmp_path / "b.db") as b:
        ingest(b, source_batch(tmp_path / "export.jsonl"))
        assert [json.dumps(jsonable(r)) for r in b.export()] == lines


def test_a_failing_batch_leaves_the_store_as_it_was(tmp_path):
    import numpy as np

    with SQLiteStore(tmp_path / "m.db") as store:
        ingest(store, MemoryBatch(resources=[_res(1)]))
        before = list(store.export())
        bad = {"r-2": np.ones(384, np.float32), "r-3": np.ones(7, np.float32)}  # wrong width
        with pytest.raises(StoreError, match="384"):
            store.add(MemoryBatch(resources=[_res(2), _res(3)]), bad)
        assert list(store.export()) == before


_WRITER = """
import sys
from datetime import UTC, datetime
from augur.memory.model import MemoryBatch, Resource
from augur.memory.store.sqlite import SQLiteStore
store = SQLiteStore(sys.argv[1])
t = datetime(2025, 1, 6, tzinfo=UTC)
batch = MemoryBatch(resources=[Resource(id=f"big-{i}", name=f"Resource {i}", kind="note",
    content="words " * 200 + str(i), created_at=t) for i in range(60000)])
print("adding", flush=True)
store.add(batch)
print("done", flush=True)
"""


@pytest.mark.slow
def test_kill_9_mid_write_leaves_the_store_as_it_was(tmp_path):
    db = tmp_path / "m.db"
    with SQLiteStore(db) as store:
        ingest(store, MemoryBatch(resources=[_res(1)]))
        before = list(store.export())
    proc = subprocess.Popen([sys.executable, "-c", _WRITER, str(db)], stdout=subprocess.PIPE,
                            text=True)
    assert proc.stdout.readline().strip() == "adding"
    time.sleep(1.5)  # well into the 60,000-row transaction
    os.kill(proc.pid, signal.SIGKILL)
    out = proc.communicate()[0]
    assert "done" not in out, "the write finished before the kill: make the batch bigger"
    with SQLiteStore(db) as store:
        assert store.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert list(store.export()) == before
