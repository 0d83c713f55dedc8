"""`augur memory eval --task edges --labels human`: models scored on labels people saved
in the memory store (through the store API here, as the annotation page saves them)."""

from __future__ import annotations

import json

import pytest

from augur.memory.model import MemoryBatch, Resource


@pytest.fixture
def labelled(tmp_path):
    """A memory with 6 labels: 4 test-split pairs (two sources), one pair of resources only
    the memory holds, one naming a resource nobody has."""
    from augur.memory.store.sqlite import SQLiteStore
    from augur.memory.tasks.harness.data import edge_examples

    test = edge_examples("test")
    path = tmp_path / "memory.db"
    with SQLiteStore(path) as store:
        store.add(MemoryBatch(resources=[
            Resource(id="note-1", name="Cache plan", kind="note", content="Warm the cache.",
                     created_at="2025-03-01T09:00:00+00:00"),
            Resource(id="note-2", name="Cache plan, part two", kind="note",
                     content="Then measure it.", created_at="2025-03-02T09:00:00+00:00")]))
        pairs = [test[0], test[1], test[8], test[9]]
        store.save_edge_labels("ana", [
            {"source": ex.source.id, "candidate": ex.candidate.id, "affinity": ex.affinity,
             "type": ex.type, "reason_useful": 4, "model": "scorer"} for ex in pairs[:2]])
        store.save_edge_labels("ben", [
            *({"source": ex.source.id, "candidate": ex.candidate.id, "affinity": ex.affinity,
               "type": ex.type, "topics_useful": 2, "model": "scorer"} for ex in pairs[2:]),
            {"source": "note-2", "candidate": "note-1", "affinity": 1.0,
             "type": "CONTINUATION"},
            {"source": "note-2", "candidate": "ghost-9", "affinity": 0.0, "type": "none"}])
    return path, pairs


def test_eval_on_human_labels(labelled, capsys):
    from augur.cli import main

    path, pairs = labelled
    assert main(["memory", "eval", "--task", "edges", "--model", "time", "--labels", "human",
                 "--memory", str(path), "--json"]) == 0
    out = capsys.readouterr()
    report = json.loads(out.out)
    assert report["split"] == "human" and report["model"] == "time"
    assert (report["labels"], report["labels_used"], report["examples"]) == (6, 5, 5)
    assert report["pairs"] == 5 and report["annotators"] == ["ana", "ben"]
    assert report["unknown_resources"] == ["ghost-9"]
    assert report["gold_edges"] == 1 + sum(ex.affinity >= 0.5 for ex in pairs)
    assert report["usefulness"] == {"scorer": {"reason_rated": 2, "reason_mean": 4.0,
                                               "topics_rated": 2, "topics_mean": 2.0}}
    assert "5 of 6 labels used (5 pairs, annotators ana, ben; 1 unknown" in out.err

    assert main(["memory", "eval", "--task", "edges", "--model", "none", "--labels", "human",
                 "--annotator", "ana", "--memory", str(path), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["examples"], report["annotators"]) == (2, ["ana"])


def test_eval_on_human_labels_refuses_clearly(labelled, tmp_path, capsys):
    from augur.cli import main
    from augur.memory.store.sqlite import SQLiteStore

    path, _ = labelled
    assert main(["memory", "eval", "--task", "edges", "--model", "time", "--labels", "human",
                 "--annotator", "carla", "--memory", str(path)]) == 2
    err = capsys.readouterr().err
    assert "no human edge labels by 'carla'" in err and "/playground/annotate" in err
    SQLiteStore(tmp_path / "empty.db").close()
    assert main(["memory", "eval", "--task", "edges", "--labels", "human", "--memory",
                 str(tmp_path / "empty.db")]) == 2
    assert "no human edge labels in" in capsys.readouterr().err
    assert main(["memory", "eval", "--task", "edges", "--labels", "human", "--memory",
                 str(tmp_path / "missing.db")]) == 2
    assert "no memory at" in capsys.readouterr().err
    assert main(["memory", "eval", "--task", "query", "--labels", "human"]) == 2
    assert "only task edges has human labels" in capsys.readouterr().err


def test_an_old_store_gains_the_labels_table(tmp_path):
    """A store written before edge_labels existed gets the table on its next open."""
    import sqlite3

    from augur.memory.store.sqlite import SQLiteStore

    path = tmp_path / "old.db"
    SQLiteStore(path).close()
    with sqlite3.connect(path) as c:
        c.execute("DROP TABLE edge_labels")
    with SQLiteStore(path) as store:
        store.save_edge_labels("ana", [{"source": "a", "candidate": "b", "affinity": 0.2,
                                        "type": "none"}])
        assert [r["source"] for r in store.edge_labels()] == ["a"]
