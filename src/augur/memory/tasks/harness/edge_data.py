"""Task 2's dataset: source -> candidate pairs over the world memory, graded from its truth.

The world (augur.memory.world, persona 42, 90 days) knows which resources are linked:
PREREQUISITE ticket -> PR, CONTINUATION for a thread's follow-up, a PR's CI build and a
meeting's prep note, SEE_ALSO for same-project resources sharing a topic within 3
days, and each resource's project and topics. A pair's affinity is the strongest of
(constants.py):

    a PREREQUISITE or CONTINUATION edge, either direction    1.0   that type
    a SEE_ALSO edge                                          0.75  SEE_ALSO
    same project and a shared topic, no edge                 0.4   none
    same project only                                        0.2   none
    anything else                                            0.0   none

Sources are resources with a project and at least one such edge, drawn round-robin
over kinds from their split's days (by created_at: train before val before test).
Each source gets EDGE_CANDIDATES candidates from the whole 90 days, one per slot:
up to three of its linked resources, then hard negatives (same project and topic
but more than 3 days apart; same project only; the same day in another project; the
same kind in another project) and one at random; an empty slot falls back to the
next pool. Diary notes are left out (their links are PART_OF, not one of the task's
types). A model sees only `EdgeResource` (id, kind, name, clipped content, when).
"""

from __future__ import annotations

import random
from datetime import timedelta
from pathlib import Path

from pydantic import ValidationError

from augur.memory.tasks.harness import constants as C
from augur.memory.tasks.harness.edge_schema import EdgeExample, EdgeResource

DIRECT = ("PREREQUISITE", "CONTINUATION")
SLOTS = ("edge", "edge", "edge", "project-topic-far", "project-only",
         "same-day-other-project", "same-kind-other-project", "random")
FALLBACK = {"edge": "project-topic-far", "project-topic-far": "project-only",
            "project-only": "random", "same-day-other-project": "random",
            "same-kind-other-project": "random"}
FAR = timedelta(days=3)
SPLITS = (("train", C.EDGE_TRAIN_DAYS, C.EDGE_TRAIN_SOURCES),
          ("val", C.EDGE_VAL_DAYS, C.EDGE_VAL_SOURCES),
          ("test", C.EDGE_TEST_DAYS, C.EDGE_TEST_SOURCES))


class _Truth:
    """The world's resources (diaries left out) and its typed links, undirected."""

    def __init__(self, batch) -> None:
        self.res = {r.id: r for r in batch.resources if r.kind != "diary_note"}
        self.link: dict[frozenset, str] = {}
        self.nbrs: dict[str, set[str]] = {}
        for e in batch.edges:
            if e.from_id in self.res and e.to_id in self.res and e.type in (*DIRECT, "SEE_ALSO"):
                key = frozenset((e.from_id, e.to_id))
                if self.link.get(key) not in DIRECT:  # a direct link outranks SEE_ALSO
                    self.link[key] = e.type
                self.nbrs.setdefault(e.from_id, set()).add(e.to_id)
                self.nbrs.setdefault(e.to_id, set()).add(e.from_id)
        self.first = min(r.created_at.date() for r in self.res.values())
        self.ordered = sorted(self.res.values(), key=lambda r: (r.created_at, r.id))

    def day(self, r) -> int:
        return (r.created_at.date() - self.first).days

    def grade(self, a, b) -> tuple[float, str]:
        kind = self.link.get(frozenset((a.id, b.id)))
        if kind in DIRECT:
            return C.EDGE_GRADE_DIRECT, kind
        if kind == "SEE_ALSO":
            return C.EDGE_GRADE_SEE_ALSO, "SEE_ALSO"
        if a.project and a.project == b.project:
            if set(a.topics) & set(b.topics):
                return C.EDGE_GRADE_PROJECT_TOPIC, "none"
            return C.EDGE_GRADE_PROJECT, "none"
        return C.EDGE_GRADE_UNRELATED, "none"

    def linked(self, r) -> list:
        """r's linked resources: direct links first, then SEE_ALSO, ids sorted in each."""
        ids = self.nbrs.get(r.id, set())
        return sorted((self.res[i] for i in ids),
                      key=lambda s: (self.link[frozenset((r.id, s.id))] not in DIRECT, s.id))

    def pool(self, slot: str, r) -> list:
        if slot == "edge":
            return self.linked(r)
        rest = [s for s in self.ordered if s.id != r.id
                and frozenset((r.id, s.id)) not in self.link]
        if slot == "project-topic-far":
            return [s for s in rest if s.project == r.project and set(s.topics) & set(r.topics)
                    and abs(s.created_at - r.created_at) > FAR]
        if slot == "project-only":
            return [s for s in rest if s.project == r.project and not set(s.topics) & set(r.topics)]
        if slot == "same-day-other-project":
            return [s for s in rest if s.project and s.project != r.project
                    and self.day(s) == self.day(r)]
        if slot == "same-kind-other-project":
            return [s for s in rest if s.project and s.project != r.project and s.kind == r.kind]
        return rest


def _view(r) -> EdgeResource:
    return EdgeResource(id=r.id, kind=r.kind, name=r.name,
                        content=r.content[:C.EDGE_CONTENT_CHARS], created_at=r.created_at)


def _sources(truth: _Truth, days: tuple[int, int], n: int, rng: random.Random) -> list:
    """n sources from `days`, round-robin over kinds (so email threads, which are half
    the world, do not crowd out PRs, tickets, builds, meetings and notes)."""
    by_kind: dict[str, list] = {}
    for r in truth.ordered:
        if days[0] <= truth.day(r) < days[1] and r.project and truth.linked(r):
            by_kind.setdefault(r.kind, []).append(r)
    for rs in by_kind.values():
        rng.shuffle(rs)
    picked: list = []
    while len(picked) < n and any(by_kind.values()):
        for kind in sorted(by_kind):
            if by_kind[kind] and len(picked) < n:
                picked.append(by_kind[kind].pop())
    if len(picked) < n:
        raise ValueError(f"edge dataset: days {days} hold {len(picked)} eligible sources, "
                         f"{n} wanted; lower the split's source count in constants.py")
    return sorted(picked, key=lambda r: (r.created_at, r.id))


def _candidates(truth: _Truth, r, rng: random.Random) -> list[tuple[object, str]]:
    chosen: list[tuple[object, str]] = []
    taken = {r.id}
    linked = truth.linked(r)
    for slot in SLOTS[:C.EDGE_CANDIDATES]:
        while True:
            pool = linked if slot == "edge" else truth.pool(slot, r)
            pool = [s for s in pool if s.id not in taken]
            if pool or slot == "random":
                break
            slot = FALLBACK[slot]
        # linked resources in order (direct first); other pools at random
        s = pool[0] if slot == "edge" else rng.choice(pool)
        taken.add(s.id)
        chosen.append((s, slot))
    rng.shuffle(chosen)
    return chosen


def build_edge_examples(batch=None) -> list[EdgeExample]:
    """Every split's pairs, deterministic from EDGE_SEED and the world."""
    if batch is None:
        from augur.memory.world import WorldConfig, world_memory

        batch = world_memory(WorldConfig(seed=C.WORLD_SEED, days=C.WORLD_DAYS))
    truth, rng = _Truth(batch), random.Random(C.EDGE_SEED)
    out: list[EdgeExample] = []
    for split, days, n in SPLITS:
        i = 0
        for src in _sources(truth, days, n, rng):
            for cand, slot in _candidates(truth, src, rng):
                affinity, kind = truth.grade(src, cand)
                out.append(EdgeExample(id=f"edge-{split}-{i:04d}", source=_view(src),
                                       candidate=_view(cand), affinity=affinity, type=kind,
                                       split=split, tags=[slot],
                                       topics=sorted(set(src.topics) & set(cand.topics))))
                i += 1
    return out


def read_edge_jsonl(path: str | Path) -> list[EdgeExample]:
    """Examples from a JSON-lines file; an error names the file and the line."""
    path, out = Path(path), []
    with path.open(encoding="utf-8") as f:
        for n, line in enumerate(f, start=1):
            if line.strip():
                try:
                    out.append(EdgeExample.model_validate_json(line))
                except (ValidationError, ValueError) as e:
                    raise ValueError(f"{path}:{n}: not a valid EdgeExample: {e}") from None
    return out
