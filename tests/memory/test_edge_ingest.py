"""Ingest proposes edges (REM task 2's wiring): a new resource is linked to its nearest
neighbours by the fitted scorer, TRAVERSE walks the edge, nothing is duplicated and
other sources' edges are never overwritten. One real MiniLM and one fitted scorer
serve the module (seconds)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from augur.memory.executor import Executor
from augur.memory.ingest import IngestError, ingest
from augur.memory.model import MemoryBatch
from augur.memory.store.sqlite import SQLiteStore
from augur.memory.tasks.edge_ingest import ProposeConfig, edge_resource, propose_edges

T = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


def _res(rid: str, kind: str, name: str, content: str, day: int, hour: int = 9) -> dict:
    return {"id": rid, "kind": kind, "name": name, "content": content,
            "created_at": T.replace(day=day, hour=hour).isoformat()}


BATCH = [
    _res("ticket-12", "ticket", "EMB-12: Facet filters use UTC instead of the user's time zone",
         "Project ember, area query parsing. Reported by Leo Murphy.\nFacet filters use UTC "
         "instead of the user's time zone. Seen in production logs; needs a fix and a "
         "regression test.", 3),
    _res("email-40", "email_thread", "Team offsite lunch menu",
         "Hi all, please pick a lunch option for the offsite on Friday: pasta, salad or "
         "curry. Reply by Wednesday. Thanks, Ana", 4),
    _res("doc-7", "document", "Hiring plan for Q2",
         "Two backend engineers and one designer in Q2. Interviews start in April; Ben owns "
         "the pipeline.", 4, 14),
]
PR = _res("pr-13", "pr", "Fix timezone bug in ember facet filters",
          "Implements EMB-12: Facet filters use UTC instead of the user's time zone.\nThis "
          "change removes the timezone bug in the query parsing code of ember and adds a "
          "regression test.\nStatus: merged. Owner Leo Murphy.", 6)
LONER = _res("note-99", "note", "Sourdough starter feeding schedule",
             "Feed the starter twice a day with equal flour and water by weight; keep it at "
             "room temperature, discard half before each feeding.", 7)


@pytest.fixture(scope="module")
def embedder():
    from augur.memory.embed import Embedder

    return Embedder()


def _batch(*resources: dict, edges: list | None = None) -> MemoryBatch:
    return MemoryBatch.model_validate({"resources": list(resources), "edges": edges or []})


def _edges(store, rid: str) -> list[dict]:
    return store.edges([rid], [], None)


def test_a_new_pr_is_linked_to_the_ticket_it_names(tmp_path, embedder):
    with SQLiteStore(tmp_path / "m.db") as store:
        first = ingest(store, _batch(*BATCH), embedder, propose_edges=True)
        assert first.result.added["resources"] == 3
        report = ingest(store, _batch(PR), embedder, propose_edges=True)
        assert report.proposed_edges >= 1 and report.to_json()["proposed_edges"] >= 1
        edges = {e["to_id"]: e for e in _edges(store, "pr-13")}
        e = edges["ticket-12"]
        assert e["from_id"] == "pr-13" and e["provenance"] == "edges:scorer"
        assert e["type"] in ("PREREQUISITE", "CONTINUATION", "SEE_ALSO")
        assert 0.5 <= e["score"] <= 1 and e["reason"]
        assert isinstance(e["metadata"]["topic_overlap"], list)
        assert e["valid_at"] == datetime.fromisoformat(PR["created_at"])
        assert "email-40" not in edges  # the lunch menu is no neighbour worth an edge

        rows = Executor(store).run("TRAVERSE pr-13 DEPTH 1").rows
        hop = next(r for r in rows if r["id"] == "ticket-12")
        assert hop["via"] == e["type"] and hop["from"] == "pr-13" and hop["depth"] == 1
        # valid from the PR's time on: before it, the edge did not hold yet
        before = Executor(store).run("TRAVERSE pr-13 DEPTH 1 AS OF '2025-03-05'").rows
        assert "ticket-12" not in {r["id"] for r in before}


def test_unrelated_resource_gets_no_edge_and_reingest_adds_nothing(tmp_path, embedder):
    with SQLiteStore(tmp_path / "m.db") as store:
        ingest(store, _batch(*BATCH, PR), embedder, propose_edges=True)
        loner = ingest(store, _batch(LONER), embedder, propose_edges=True)
        assert loner.proposed_edges == 0 and _edges(store, "note-99") == []
        before = store.stats()["edges"]
        assert before >= 1  # the PR and the ticket, linked within one batch
        again = ingest(store, _batch(*BATCH, PR, LONER), embedder, propose_edges=True)
        assert again.embedded == 0 and again.proposed_edges == 0
        assert again.result.total == 0 and store.stats()["edges"] == before


def test_a_batch_pair_is_proposed_once_from_the_newer(tmp_path, embedder):
    with SQLiteStore(tmp_path / "m.db") as store:
        ingest(store, _batch(*BATCH, PR), embedder, propose_edges=True)
        pairs = [(e["from_id"], e["to_id"]) for e in _edges(store, "ticket-12")]
        assert ("pr-13", "ticket-12") in pairs and ("ticket-12", "pr-13") not in pairs


def test_another_sources_edge_is_never_overwritten(tmp_path, embedder):
    world = {"from": "pr-13", "to": "ticket-12", "type": "PREREQUISITE", "score": 1.0,
             "reason": "implements", "provenance": "world",
             "created_at": PR["created_at"], "valid_at": PR["created_at"]}
    with SQLiteStore(tmp_path / "m.db") as store:
        ingest(store, _batch(*BATCH), embedder)
        ingest(store, _batch(PR, edges=[world]), embedder, propose_edges=True)
        edges = [e for e in _edges(store, "pr-13") if e["to_id"] == "ticket-12"]
        assert [(e["type"], e["provenance"], e["reason"]) for e in edges] == [
            ("PREREQUISITE", "world", "implements")]


def test_proposing_needs_embeddings_and_a_positive_neighbour_count(tmp_path):
    with SQLiteStore(tmp_path / "m.db") as store:
        with pytest.raises(IngestError, match="needs embeddings"):
            ingest(store, _batch(PR), None, propose_edges=True)
        assert store.stats()["resources"] == 0
        with pytest.raises(ValueError, match="neighbours: expected a positive"):
            propose_edges(store, _batch(PR), {"pr-13": [0.0] * 384},
                          ProposeConfig(neighbours=0))


def test_edge_resource_clips_content_and_reads_rows_and_records():
    from augur.memory.model import Resource
    from augur.memory.tasks.harness.constants import EDGE_CONTENT_CHARS

    rec = Resource.model_validate({**PR, "content": "x" * 5000})
    a, b = edge_resource(rec), edge_resource(rec.model_dump())
    assert a == b and len(a.content) == EDGE_CONTENT_CHARS and a.kind == "pr"


def test_the_cli_proposes_edges_and_reports_them(tmp_path, capsys):
    import json

    from augur.cli import main

    first, second = tmp_path / "first.jsonl", tmp_path / "pr.jsonl"
    first.write_text("".join(json.dumps(r) + "\n" for r in BATCH))
    second.write_text(json.dumps(PR) + "\n")
    db = str(tmp_path / "m.db")
    assert main(["memory", "ingest", str(first), "--store", db]) == 0
    capsys.readouterr()
    assert main(["memory", "ingest", str(second), "--store", db, "--propose-edges",
                 "--neighbours", "3", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["proposed_edges"] >= 1 and report["added"]["edges"] >= 1
    with SQLiteStore(db) as store:
        assert any(e["to_id"] == "ticket-12" and e["provenance"] == "edges:scorer"
                   for e in _edges(store, "pr-13"))


def test_a_writer_words_the_kept_edges_only(tmp_path, embedder):
    """--writer: the edges that passed get the writer's reason and topics; the scorer
    decides which pass, so the writer is asked once per edge kept, not per candidate."""
    from augur.memory.tasks.writer_models import TemplateEdgeWriter

    asked = []

    class Counting(TemplateEdgeWriter):
        def predict(self, item):
            asked.append((item.source.id, item.candidate.id))
            return super().predict(item)

    with SQLiteStore(tmp_path / "m.db") as store:
        ingest(store, _batch(*BATCH), embedder, propose_edges=True)
        report = ingest(store, _batch(PR), embedder,
                        propose_edges=ProposeConfig(writer=Counting()))
        edges = {e["to_id"]: e for e in _edges(store, "pr-13")}
    assert len(asked) == report.proposed_edges == len(edges) >= 1
    e = edges["ticket-12"]
    # the template's words: the type's meaning and the words both names share
    assert e["reason"].startswith(("one is needed before", "one carries", "both are about"))
    assert set(e["metadata"]["topic_overlap"]) <= {"ember", "facet", "filters", "timezone"}
