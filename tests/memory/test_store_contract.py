"""One contract for every REM store: each test runs on SQLite and on a real PostgreSQL
(see conftest.py), and both must return the same rows and scores where the contract
says so (fuzzy scores, vector order, fact closing, SQL results)."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from augur.memory.model import Edge, Entity, Fact, MemoryBatch, Moment, Person, Resource
from augur.memory.store.base import Filters, StoreError

DIM = 384
NONE = Filters()


def day(d: int, month: int = 1) -> datetime:
    return datetime(2025, month, d, 9, 0, tzinfo=UTC)


def unit(*hot: int) -> np.ndarray:
    """A 384-wide vector with ones at `hot` (normalised by the store)."""
    v = np.zeros(DIM, np.float32)
    v[list(hot)] = 1.0
    return v


def resource(rid: str, name: str, content: str = "", **kw) -> Resource:
    return Resource(**{"id": rid, "name": name, "kind": "note", "content": content,
                       "created_at": day(2), **kw})


def fact(fid: str, value: str, valid: datetime, subject: str = "ana") -> Fact:
    return Fact(id=fid, subject=subject, predicate="role", value=value, created_at=valid,
                valid_at=valid)


def edge(src: str, dst: str, kind: str = "SEE_ALSO", **kw) -> Edge:
    return Edge(**{"from": src, "to": dst, "type": kind, "created_at": day(1),
                   "valid_at": day(1), **kw})


SARAH = Entity(id="sarah-chen", name="Sarah Chen", kind="person", aliases=["schen"])
MOMENT = Moment(id="m1", name="Design review", summary="We reviewed the cache design",
                content="Long discussion", resource_timestamp=day(3),
                resource_ends_timestamp=day(3).replace(hour=11), moment_type="meeting",
                emotion_tags=["focused"], topic_tags=["caching"], project="atlas",
                present_persons=[Person(id="sarah-chen", name="Sarah Chen")])


def full_batch() -> MemoryBatch:
    return MemoryBatch(
        resources=[resource("r1", "machine learning notes", "gradient descent tricks",
                            project="atlas", persons=["sarah-chen"], topics=["ml"]),
                   resource("r2", "quarterly budget review", "spreadsheets and costs",
                            kind="document", project="borealis", created_at=day(20))],
        entities=[SARAH],
        moments=[MOMENT],
        edges=[edge("r1", "r2", metadata={"why": "both mention Q1"}, score=0.5)],
        facts=[fact("f1", "backend engineer", day(1))])


def expected(record) -> dict:
    out = record.model_dump()
    if isinstance(record, Moment):
        out["starts_at"], out["ends_at"] = out.pop("start"), out.pop("end")
    return out


# ---- writing ---------------------------------------------------------------------------
def test_round_trip_of_every_record_type(store):
    batch = full_batch()
    result = store.add(batch, {"r1": unit(0)})
    assert result.added == {"resources": 2, "entities": 1, "moments": 1, "edges": 1,
                            "facts": 1}
    for table, rec, key in [("resources", batch.resources[0], "r1"),
                            ("resources", batch.resources[1], "r2"),
                            ("entities", SARAH, "sarah-chen"), ("moments", MOMENT, "m1"),
                            ("edges", batch.edges[0], "r1>r2>SEE_ALSO"),
                            ("facts", batch.facts[0], "f1")]:
        row = store.get(table, key)
        assert row == expected(rec), table
        times = [v for v in row.values() if isinstance(v, datetime)]
        assert all(t.tzinfo is not None for t in times) and (times or table == "entities")
    assert store.get("resources", "nope") is None
    assert store.stats() == {"resources": 2, "entities": 1, "moments": 1, "edges": 1,
                             "facts": 1, "vectors": 1}


def test_the_same_batch_again_changes_nothing(store):
    store.add(full_batch(), {"r1": unit(0)})
    before = store.stats()
    again = store.add(full_batch(), {"r1": unit(0)})
    assert again.total == 0 and again.invalidated_facts == 0
    assert store.stats() == before


def test_a_changed_resource_is_updated_and_searchable(store):
    store.add(MemoryBatch(resources=[resource("r1", "notes", "old zeppelin content")]))
    result = store.add(MemoryBatch(resources=[resource("r1", "notes", "new walrus content")]))
    assert result.updated == {"resources": 1} and not result.added
    assert [rid for rid, _ in store.bm25("walrus", "resources", NONE, 5)] == ["r1"]
    assert store.bm25("zeppelin", "resources", NONE, 5) == []
    assert store.get("resources", "r1")["content"] == "new walrus content"


def test_a_failing_batch_adds_nothing(store):
    store.add(MemoryBatch(resources=[resource("r0", "first")]))
    before = store.stats()
    bad = MemoryBatch(entities=[SARAH], resources=[resource("r1", "fine"),
                                                   resource("r2", "wrong vector")],
                      facts=[fact("f1", "x", day(1))])
    with pytest.raises(StoreError, match="384"):
        store.add(bad, {"r1": unit(0), "r2": np.ones(DIM + 1, np.float32)})
    assert store.stats() == before
    assert store.get("resources", "r1") is None and store.get("entities", "sarah-chen") is None
    assert store.lookup("Sarah") == []


# ---- primitive reads -------------------------------------------------------------------
def test_lookup_by_id_name_and_person_alias(store):
    store.add(full_batch())
    assert [(r["table"], r["id"]) for r in store.lookup("r1")] == [("resources", "r1")]
    by_name = store.lookup("MACHINE Learning notes")
    assert [r["id"] for r in by_name] == ["r1"]
    for written in ("Sarah", "S. Chen", "sarah-123", "sarah chen", "schen"):
        found = store.lookup(written)
        assert [(r["table"], r["id"], r["name"]) for r in found] == [
            ("entities", "sarah-chen", "Sarah Chen")], written
    assert store.lookup("Sarah", table="resources") == []
    assert store.lookup("nobody") == []


def test_bm25_ranks_the_distinctive_resource_first(store):
    store.add(MemoryBatch(resources=[
        resource("a", "weekly sync", "status of the project and the plan"),
        resource("b", "migration plan", "the kubernetes migration plan for the project"),
        resource("c", "lunch", "plan lunch with the team")]))
    hits = store.bm25("kubernetes plan", "resources", NONE, 10)
    assert hits[0][0] == "b" and {rid for rid, _ in hits} == {"a", "b", "c"}
    assert all(s > 0 for _, s in hits) and hits == sorted(hits, key=lambda h: -h[1])
    assert store.bm25("zzz-nothing", "resources", NONE, 10) == []


def test_bm25_reads_moments_and_entity_aliases(store):
    store.add(full_batch())
    assert [rid for rid, _ in store.bm25("cache design", "moments", NONE, 5)] == ["m1"]
    assert [rid for rid, _ in store.bm25("schen", "entities", NONE, 5)] == ["sarah-chen"]


def test_vector_returns_the_nearest_by_cosine(store):
    store.add(MemoryBatch(resources=[resource(f"r{i}", f"doc {i}") for i in range(3)]),
              {"r0": unit(0), "r1": unit(1), "r2": unit(1, 2)})
    hits = store.vector(unit(1), "resources", NONE, 3)
    assert [rid for rid, _ in hits] == ["r1", "r2", "r0"]
    assert [round(s, 4) for _, s in hits] == [1.0, round(1 / np.sqrt(2), 4), 0.0]
    assert len(store.vector(unit(1), "resources", NONE, 1)) == 1
    assert store.vector(unit(1), "moments", NONE, 3) == []


def test_filters_narrow_every_search(store):
    store.add(MemoryBatch(entities=[SARAH], resources=[
        resource("a1", "atlas design", "cache design", project="atlas", persons=["sarah-chen"],
                 created_at=day(5)),
        resource("a2", "atlas retro", "cache retro", project="atlas", kind="meeting_notes",
                 created_at=day(15)),
        resource("b1", "borealis design", "cache design", project="borealis",
                 persons=["Sarah Chen"], created_at=day(25))]),
        {"a1": unit(0), "a2": unit(0, 1), "b1": unit(0, 2)})
    cases = {Filters(project="atlas"): {"a1", "a2"}, Filters(kind="meeting_notes"): {"a2"},
             Filters(person="sarah-chen"): {"a1", "b1"},
             Filters(after=day(10), before=day(20)): {"a2"},
             Filters(after=day(10)): {"a2", "b1"}, Filters(before=day(5)): set()}
    for f, ids in cases.items():
        assert {r for r, _ in store.bm25("cache", "resources", f, 10)} == ids, f
        assert {r for r, _ in store.vector(unit(0), "resources", f, 10)} == ids, f
        assert {r for r, _ in store.mentioning(["atlas", "borealis"], "resources", f, 10)
                } == ids, f


def test_mentioning_scores_by_count_then_newest(store):
    store.add(MemoryBatch(resources=[
        resource("old", "x", persons=["sarah-chen"], project="atlas", created_at=day(1)),
        resource("new", "y", persons=["sarah-chen"], created_at=day(9)),
        resource("none", "z")], moments=[MOMENT]))
    assert store.mentioning(["Sarah Chen", "atlas"], "resources", NONE, 10) == [
        ("old", 2.0), ("new", 1.0)]
    assert store.mentioning(["sarah-chen"], "resources", NONE, 10) == [("new", 1.0),
                                                                       ("old", 1.0)]
    assert store.mentioning(["sarah-chen"], "moments", NONE, 10) == [("m1", 1.0)]
    assert store.mentioning([], "resources", NONE, 10) == []


def test_fuzzy_finds_misspelt_names_above_the_threshold(store):
    store.add(MemoryBatch(resources=[resource("ml", "machine learning notes"),
                                     resource("bud", "quarterly budget review"),
                                     resource("mac", "mac mini setup")]))
    hits = store.fuzzy("machin lerning", "resources", 0.3, 10)
    assert hits[0][0] == "ml" and hits[0][1] == pytest.approx(6 / 13)
    assert all(s >= 0.3 for _, s in hits) and "bud" not in {r for r, _ in hits}
    assert store.fuzzy("machin lerning", "resources", 0.9, 10) == []
    assert store.fuzzy("!!", "resources", 0.3, 10) == []


def test_edges_by_type_and_time(store):
    store.add(MemoryBatch(edges=[
        edge("a", "b"), edge("c", "a", "PART_OF", valid_at=day(1), invalid_at=day(10)),
        edge("x", "y")]))
    pairs = lambda rows: [(e["from_id"], e["to_id"], e["type"]) for e in rows]  # noqa: E731
    assert pairs(store.edges(["a"], [], None)) == [("a", "b", "SEE_ALSO")]
    assert pairs(store.edges(["a"], ["PART_OF"], day(5))) == [("c", "a", "PART_OF")]
    assert pairs(store.edges(["a"], [], day(5))) == [("a", "b", "SEE_ALSO"),
                                                     ("c", "a", "PART_OF")]
    assert store.edges(["a"], ["PART_OF"], day(10)) == []
    assert store.edges(["a"], ["PART_OF"], None) == []
    assert store.edges([], [], None) == []


def test_edges_per_node_keeps_the_strongest_then_newest_each_way(store):
    # A hub with five leaving edges and two entering ones; a second node with one.
    out = [edge("hub", f"r{i}", score=s, valid_at=day(d))
           for i, (s, d) in enumerate([(0.2, 1), (0.9, 1), (0.9, 3), (0.5, 2), (0.9, 3)])]
    into = [edge("p1", "hub", "AUTHORED", score=1.0), edge("p2", "hub", "AUTHORED", score=0.1)]
    closed = edge("hub", "old", score=1.0, invalid_at=day(2))
    store.add(MemoryBatch(edges=[*out, *into, closed, edge("solo", "r9", score=0.3)]))
    pairs = lambda rows: sorted((e["from_id"], e["to_id"]) for e in rows)  # noqa: E731
    # Leaving: 0.9 on day 3 twice (r2 before r4 by id), then 0.9 on day 1 (r1).
    assert pairs(store.edges(["hub"], [], None, per_node=3)) == [
        ("hub", "r1"), ("hub", "r2"), ("hub", "r4"), ("p1", "hub"), ("p2", "hub")]
    assert pairs(store.edges(["hub", "solo"], [], None, light=True, per_node=1)) == [
        ("hub", "r2"), ("p1", "hub"), ("solo", "r9")]
    # The closed edge is not counted against the limit, and the type filter applies
    # before it.
    assert pairs(store.edges(["hub"], ["AUTHORED"], None, per_node=1)) == [("p1", "hub")]
    assert pairs(store.edges(["hub"], [], day(1), per_node=1)) == [("hub", "old"),
                                                                    ("p1", "hub")]
    assert len(store.edges(["hub"], [], None, per_node=None)) == 7


def test_a_contradicting_fact_closes_the_old_one(store):
    store.add(MemoryBatch(facts=[fact("f1", "backend engineer", day(1)),
                                 fact("g1", "x", day(1), subject="bob")]))
    result = store.add(MemoryBatch(facts=[fact("f2", "backend lead", day(1, month=2))]))
    assert result.invalidated_facts == 1 and result.added == {"facts": 1}
    assert store.get("facts", "f1")["invalid_at"] == day(1, month=2)
    assert [f["value"] for f in store.facts("ana", as_of=day(15))] == ["backend engineer"]
    assert [f["value"] for f in store.facts("ana", as_of=day(15, month=2))] == ["backend lead"]
    assert [f["id"] for f in store.facts("ana")] == ["f1", "f2"]
    assert len(store.facts()) == 3 and store.get("facts", "g1")["invalid_at"] is None
    same = store.add(MemoryBatch(facts=[fact("f3", "backend lead", day(1, month=3))]))
    assert same.invalidated_facts == 0  # the same value does not close itself


def test_re_adding_contradicting_facts_is_a_no_op(store):
    batch = MemoryBatch(facts=[fact("f1", "engineer", day(1)), fact("f2", "lead", day(9))])
    store.add(batch)
    assert store.add(batch).total == 0


def test_export_and_latest(store):
    batch = full_batch()
    store.add(batch)
    rows = list(store.export())
    assert {(r["table"], r.get("id") or r["from_id"]) for r in rows} == {
        ("resources", "r1"), ("resources", "r2"), ("entities", "sarah-chen"),
        ("moments", "m1"), ("edges", "r1"), ("facts", "f1")}
    assert [r["table"] for r in rows] == ["resources", "resources", "entities", "moments",
                                          "edges", "facts"]
    assert rows[0] == {"table": "resources", **expected(batch.resources[0])}
    assert store.latest() == day(20)


def test_an_empty_store(store):
    assert store.latest() is None and list(store.export()) == []
    assert store.bm25("anything", "resources", NONE, 5) == []
    assert store.fuzzy("anything", "resources", 0.3, 5) == []


# ---- sandboxed SQL ---------------------------------------------------------------------
def test_select_reads_rows_up_to_max_rows(store):
    store.add(full_batch())
    cols, rows = store.select("SELECT id, created_at FROM resources "
                              "WHERE created_at > '2025-01-10' ORDER BY id", 10, 2.0)
    assert cols == ["id", "created_at"] and rows == [("r2", "2025-01-20T09:00:00+00:00")]
    cols, rows = store.select("SELECT id FROM resources ORDER BY id", 1, 2.0)
    assert rows == [("r1",)]
    _, rows = store.select("SELECT name FROM resources WHERE name LIKE '%budget%'", 10, 2.0)
    assert rows == [("quarterly budget review",)]


@pytest.mark.parametrize("sql", ["DELETE FROM resources", "SELECT * FROM rem_aliases",
                                 "SELECT * FROM meta"])
def test_select_refuses_writes_and_other_tables(store, sql):
    """Even handed directly (the sandbox is the first wall, the store the second)."""
    store.add(full_batch())
    before = store.stats()
    with pytest.raises(StoreError):
        store.select(sql, 10, 2.0)
    assert store.stats() == before


def test_select_stops_at_its_time_limit(store):
    store.add(MemoryBatch(resources=[resource(f"r{i}", "x") for i in range(20)]))
    slow = ("SELECT count(*) FROM resources a, resources b, resources c, resources d, "
            "resources e, resources f, resources g")  # 20^7 rows
    with pytest.raises(StoreError, match="limit"):
        store.select(slow, 10, 0.2)


def test_select_cannot_take_back_other_rights(store):
    """PostgreSQL: sandboxed SQL runs as rem_reader from its login, so it cannot switch
    back to the store's user, nor read other tables through a query-running function.
    SQLite has neither function: the same calls fail there too."""
    store.add(full_batch())
    for sql in ("SELECT set_config('session_authorization', 'augur', true)",
                "SELECT query_to_xml('SELECT * FROM rem_aliases', true, true, '')"):
        with pytest.raises(StoreError):
            store.select(sql, 10, 2.0)


# ---- PostgreSQL only -------------------------------------------------------------------
def test_postgres_bm25_ranks_only_the_rarest_words_documents(pg_store, monkeypatch):
    """Candidates come from the rarest words (here: one document's worth), the common
    words still score, and filters that leave too few fall back to every word."""
    from augur.memory.store import postgres

    monkeypatch.setattr(postgres, "CANDIDATES", 1)
    pg_store.add(MemoryBatch(resources=[
        resource("a", "plan", "plan plan plan the roadmap", project="atlas"),
        resource("b", "plan", "plan for the zeppelin launch"),
        resource("c", "plan", "another plan")]))
    assert [r for r, _ in pg_store.bm25("plan zeppelin", "resources", NONE, 10)] == ["b"]
    assert [r for r, _ in pg_store.bm25("plan zeppelin", "resources", Filters(
        project="atlas"), 10)] == ["a"]


def test_pgserver_refuses_a_folder_that_is_not_a_cluster(tmp_path):
    from augur.memory.pgserver import PgServer, PgServerConfig, PgServerError

    (tmp_path / "notes.txt").write_text("not a cluster")
    with pytest.raises(PgServerError, match="not empty"):
        PgServer(PgServerConfig(tmp_path)).start()
    PgServer(PgServerConfig(tmp_path)).stop()  # nothing running: a no-op


def test_lookup_keeps_numbered_ids_apart(store):
    # Only person handles drop their number ("sarah-123"): ids like pr-12 stay distinct.
    store.add(MemoryBatch(resources=[resource("pr-12", "Fix login"),
                                     resource("pr-13", "Fix logout")]))
    assert [r["id"] for r in store.lookup("pr-12")] == ["pr-12"]
    assert store.lookup("pr-99") == []
    assert store.lookup("pr") == []


# ---- people's labels of task 2's edges (the annotation page) ----------------------------
def test_edge_labels_round_trip_and_upsert(store):
    assert store.edge_labels() == []
    n = store.save_edge_labels("ana", [
        {"source": "r1", "candidate": "r2", "affinity": 0.75, "type": "SEE_ALSO",
         "reason_useful": 4, "topics_useful": 2, "model": "scorer"},
        {"source": "r1", "candidate": "r3", "affinity": 0.0, "type": "none"}])
    assert n == 2
    store.save_edge_labels("ben", [{"source": "r1", "candidate": "r2", "affinity": 1.0,
                                    "type": "PREREQUISITE"}])
    rows = store.edge_labels("ana")
    assert [(r["source"], r["candidate"], r["affinity"], r["type"], r["reason_useful"],
             r["topics_useful"], r["model"]) for r in rows] == [
        ("r1", "r2", 0.75, "SEE_ALSO", 4, 2, "scorer"), ("r1", "r3", 0.0, "none", None, None,
                                                         None)]
    assert rows[0]["created_at"].tzinfo is not None
    # The same pair again replaces the person's label, never another person's.
    store.save_edge_labels("ana", [{"source": "r1", "candidate": "r2", "affinity": 0.25,
                                    "type": "none"}])
    again = {(r["annotator"], r["candidate"]): r for r in store.edge_labels()}
    assert len(again) == 3
    assert (again[("ana", "r2")]["affinity"], again[("ana", "r2")]["reason_useful"]) == \
        (0.25, None)
    assert again[("ben", "r2")]["type"] == "PREREQUISITE"
    # Not a REM table: the sandbox cannot read it, stats and export leave it out.
    assert "edge_labels" not in store.stats()
    assert all(r["table"] != "edge_labels" for r in store.export())
    with pytest.raises(StoreError):
        store.select("SELECT * FROM edge_labels", 10, 5.0)


@pytest.mark.parametrize(("label", "field"), [
    ({"affinity": 1.5}, "labels[1].affinity"),
    ({"affinity": float("nan")}, "labels[1].affinity"),
    ({"type": "MENTIONS"}, "labels[1].type"),
    ({"reason_useful": 0}, "labels[1].reason_useful"),
    ({"topics_useful": 6}, "labels[1].topics_useful"),
    ({"source": ""}, "labels[1].source"),
    ({"colour": "red"}, "labels[1].colour"),
])
def test_edge_labels_refuse_bad_fields_by_name(store, label, field):
    good = {"source": "r1", "candidate": "r2", "affinity": 0.5, "type": "SEE_ALSO"}
    with pytest.raises(StoreError, match=field.replace("[", r"\[").replace("]", r"\]")):
        store.save_edge_labels("ana", [good, {**good, "candidate": "r3", **label}])
    assert store.edge_labels() == []  # all or nothing
    with pytest.raises(StoreError, match="annotator"):
        store.save_edge_labels(" ", [good])
    with pytest.raises(StoreError, match="labels: expected at least one"):
        store.save_edge_labels("ana", [])
