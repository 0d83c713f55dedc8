from collections import defaultdict

import pytest

import augur.events.persona_effects as persona_effects
from augur.events.persona import KnowledgeWorkerPersona
from augur.memory.entities import EntityResolver
from augur.memory.model import RESOURCE_KINDS
from augur.memory.world import (
    WorldConfig,
    memory_from_events,
    world_memory,
    world_queries,
)

SEED = 42


@pytest.fixture(scope="module")
def events():
    return KnowledgeWorkerPersona(SEED).generate(30)


@pytest.fixture(scope="module")
def batch(events):
    return memory_from_events(events, SEED)


def _json(events):
    return [e.to_json() for e in events]


def test_same_config_gives_a_byte_identical_batch():
    cfg = WorldConfig(seed=SEED, days=7)
    assert world_memory(cfg).model_dump_json() == world_memory(cfg).model_dump_json()


def test_the_event_stream_is_untouched():
    before = _json(KnowledgeWorkerPersona(SEED).generate(14))  # memory never rendered yet
    batch = world_memory(WorldConfig(seed=SEED, days=14))
    events = KnowledgeWorkerPersona(SEED).generate(14)  # after a render
    assert _json(events) == before
    assert memory_from_events(events, SEED).model_dump_json() == batch.model_dump_json()
    assert _json(events) == before  # rendering does not mutate the events it reads


def test_bad_config_says_what_was_expected():
    with pytest.raises(ValueError, match="days must be a positive integer, got 0"):
        world_memory(WorldConfig(days=0))
    with pytest.raises(ValueError, match="seed must be an integer"):
        world_memory(WorldConfig(seed="42"))


def test_every_resource_kind_is_present(batch):
    assert {r.kind for r in batch.resources} == set(RESOURCE_KINDS)


def test_every_artifact_the_person_met_has_a_resource(events, batch):
    ids = {r.id for r in batch.resources}
    prefixes = ("thread-", "pr-", "ticket-", "doc-", "incident-", "build-")
    met = {e.attributes["artifact"] for e in events
           if e.attributes["artifact"].startswith(prefixes) or e.action == "attend_meeting"}
    assert met and met <= ids, sorted(met - ids)[:10]


def test_content_is_sized_and_searchable(batch):
    for r in batch.resources:
        assert 40 <= len(r.content.split()) <= 400, (r.id, len(r.content.split()))
        assert r.source == "world" and r.created_at.tzinfo is not None
        assert not r.name.startswith(("pr-", "ticket-", "thread-")), r.name


def test_moments_are_well_formed(batch):
    people = {e.id: e.name for e in batch.entities if e.kind == "person"}
    types = defaultdict(int)
    for m in batch.moments:
        types[m.moment_type] += 1
        assert m.start < m.end, m.id
        assert m.summary.startswith("You ")
        for p in m.present_persons:
            assert people.get(p.id) == p.name, (m.id, p.id)
    assert {"coding", "meeting", "break", "admin", "review"} <= set(types)
    meetings = [m for m in batch.moments if m.moment_type == "meeting"]
    assert all(len(m.present_persons) >= 2 and m.present_persons[0].comment for m in meetings)


def test_edge_endpoints_exist(batch):
    ids = ({r.id for r in batch.resources} | {m.id for m in batch.moments}
           | {e.id for e in batch.entities})
    for e in batch.edges:
        assert e.from_id in ids and e.to_id in ids, e.key
        assert e.provenance == "world" and e.valid_at.tzinfo is not None
    assert len({e.key for e in batch.edges}) == len(batch.edges)
    kinds = {e.type for e in batch.edges}
    assert {"PREREQUISITE", "CONTINUATION", "ATTENDED", "MENTIONS", "ABOUT", "PART_OF",
            "SEE_ALSO"} <= kinds
    see_also = [e for e in batch.edges if e.type == "SEE_ALSO"]
    assert all(0 < e.score <= 1 and e.metadata["topic_overlap"] for e in see_also)


def test_a_failing_ci_run_is_named_in_its_pr(events, batch):
    res = {r.id: r for r in batch.resources}
    pr_of = {e.to_id: e.from_id for e in batch.edges
             if e.type == "CONTINUATION" and e.to_id.startswith("build-")}
    failed = {e.attributes["artifact"] for e in events if e.type == "ci_failed"}
    assert failed
    for build in failed:
        assert "failed on tests/" in res[pr_of[build]].content
        assert "failed on tests/" in res[build].content


def test_task_links_match_the_simulators_own_tasks(monkeypatch):
    truth = {}
    start_task = persona_effects.World._start_task

    def record(world):  # wraps, never changes, the simulator's step
        start_task(world)
        truth[world.s.task.pr] = (world.s.task.ticket, world.s.task.build)

    monkeypatch.setattr(persona_effects.World, "_start_task", record)
    batch = memory_from_events(KnowledgeWorkerPersona(SEED).generate(20), SEED)
    edges = {(e.from_id, e.to_id, e.type) for e in batch.edges}
    assert truth
    for pr, (ticket, build) in truth.items():
        assert (ticket, pr, "PREREQUISITE") in edges, pr
        if build in {r.id for r in batch.resources}:
            assert (pr, build, "CONTINUATION") in edges, pr


def test_meeting_notes_name_their_attendees(batch):
    people = {e.id: e.name for e in batch.entities if e.kind == "person"}
    attended = {(e.from_id, e.to_id) for e in batch.edges if e.type == "ATTENDED"}
    notes = [r for r in batch.resources if r.kind == "meeting_notes"]
    assert notes
    for r in notes:
        assert len(r.persons) >= 2
        for p in r.persons:
            assert people[p] in r.content and (p, r.id) in attended


def test_facts_hold_a_role_change_in_time_order(batch):
    roles = defaultdict(list)
    for f in batch.facts:
        if f.predicate == "role":
            roles[f.subject].append(f)
    changed = [fs for fs in roles.values() if len(fs) > 1]
    assert changed
    start = min(r.created_at for r in batch.resources)
    for old, new in changed:
        assert old.value != new.value and old.valid_at < new.valid_at and new.valid_at >= start
    statuses = [f.value for f in batch.facts if f.predicate == "status"]
    assert "in progress" in statuses
    assert len({f.id for f in batch.facts}) == len(batch.facts)


def test_every_alias_of_a_world_person_resolves_to_them(batch):
    resolver = EntityResolver()
    for e in batch.entities:
        resolver.add(e)
    for e in batch.entities:
        for alias in (e.name, *e.aliases):
            assert resolver.resolve(alias) == e.id, (alias, e.id)


def test_world_queries_have_one_known_answer_in_other_words(batch):
    names = {r.id: r.name.lower() for r in batch.resources}
    queries = world_queries(batch, SEED, 40)
    assert len(queries) == 40 and queries == world_queries(batch, SEED, 40)
    assert {q.kind for q in queries} == {"topic", "person", "project+time", "paraphrase"}
    for q in queries:
        assert q.target_id in names
        assert q.text.lower() != names[q.target_id]
        assert q.text.lower() not in names[q.target_id]
        assert names[q.target_id] not in q.text.lower()
    with pytest.raises(ValueError, match="supports only"):
        world_queries(batch, SEED, 100_000)
