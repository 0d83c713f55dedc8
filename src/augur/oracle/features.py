"""From events to the integer features the oracle embeds.

One row of EVENT_FIELDS per event, and one row of CANDIDATE_FIELDS per
candidate artifact. Candidate features describe how the artifact appears in
the window (how recently, how often, by what kind of event), because which
artifact matters next is mostly a question of what the person has been
touching. The same functions serve training and prediction, so the two can
never drift apart.
"""

from __future__ import annotations

import functools
import math
import warnings
import zlib
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from augur.events.schema import Artifact, Event
from augur.events.vocab import ARTIFACT_KINDS, EVENT_TYPES, SOURCES

if TYPE_CHECKING:  # backbone.py imports torch; features.py stays without it
    from augur.oracle.backbone import EventTexts

PAD, UNK = 0, 1  # reserved ids in every categorical vocabulary
NONE_ACTION = 2  # "this event is not one of the person's actions"
ACTOR_BUCKETS = 64
PROJECT_BUCKETS = 32
GAP_BINS = 34  # half-log2 minutes since the previous event, plus "first"
RECENCY_BINS = 10  # log2 events since the candidate was last seen, plus "never"
FLAG_NAMES = ("question", "conflict", "standup", "ok")

EVENT_FIELDS = ("type", "source", "action", "actor", "project", "hour", "clock", "weekday",
                "importance", "gap", "flags")
CANDIDATE_FIELDS = ("kind", "project", "recency", "count", "last_type")


@dataclass(frozen=True)
class Vocab:
    """The categorical vocabularies of one model; saved with its checkpoint."""

    actions: tuple[str, ...]  # what the next-action head predicts
    types: tuple[str, ...] = EVENT_TYPES
    sources: tuple[str, ...] = SOURCES
    kinds: tuple[str, ...] = ARTIFACT_KINDS

    def sizes(self) -> dict[str, int]:
        return {"type": len(self.types) + 2, "source": len(self.sources) + 2,
                "action": len(self.actions) + 3, "actor": ACTOR_BUCKETS,
                "project": PROJECT_BUCKETS, "hour": 24, "clock": 144, "weekday": 7,
                "importance": 11, "gap": GAP_BINS, "flags": 2 ** len(FLAG_NAMES),
                "kind": len(self.kinds) + 2, "recency": RECENCY_BINS + 1, "count": 9,
                "last_type": len(self.types) + 2}

    def to_json(self) -> dict:
        return {"actions": list(self.actions), "types": list(self.types),
                "sources": list(self.sources), "kinds": list(self.kinds)}

    @classmethod
    def from_json(cls, d: dict) -> Vocab:
        return cls(tuple(d["actions"]), tuple(d["types"]), tuple(d["sources"]),
                   tuple(d["kinds"]))


class Featurizer:
    """Maps events to ids; unknown types and sources become UNK with one warning each."""

    def __init__(self, vocab: Vocab, cache: bool = True,
                 texts: EventTexts | None = None) -> None:
        """`texts`, when given, adds one last column: the id of
        the event's text, for a model with a backbone."""
        self.vocab, self.cache, self.texts = vocab, cache, texts
        self.width = len(EVENT_FIELDS) + (texts is not None)
        self._type = {t: i + 2 for i, t in enumerate(vocab.types)}
        self._source = {s: i + 2 for i, s in enumerate(vocab.sources)}
        self._action = {a: i + 3 for i, a in enumerate(vocab.actions)}
        self._kind = {k: i + 2 for i, k in enumerate(vocab.kinds)}
        self._warned: set[tuple[str, str]] = set()
        # Sliding windows share events: cache rows by (event, previous event) identity.
        # The cache holds the events themselves, so their ids cannot be reused meanwhile.
        # A server turns it off: every request brings new event objects, so it would
        # never hit and only keep them alive (and the garbage collector busy).
        self._rows: dict[tuple[int, int], tuple[Event, Event | None, np.ndarray]] = {}

    def _lookup(self, table: dict[str, int], value: str, what: str) -> int:
        if value in table:
            return table[value]
        if (what, value) not in self._warned:
            self._warned.add((what, value))
            warnings.warn(f"unknown event {what} {value!r}: treated as an unknown token",
                          stacklevel=3)
        return UNK

    def events(self, events: list[Event]) -> np.ndarray:
        """(T, self.width) int64 for a time-ordered list of events."""
        out = np.zeros((len(events), self.width), dtype=np.int64)
        if len(self._rows) > 50_000:
            self._rows.clear()
        prev = None
        if not self.cache:
            rows = []
            for e in events:
                rows.append(self._row(e, prev))
                prev = e
            return np.array(rows, dtype=np.int64).reshape(len(events), self.width)
        for i, e in enumerate(events):
            key = (id(e), id(prev))
            if key not in self._rows:
                self._rows[key] = (e, prev, self._row(e, prev))
            out[i] = self._rows[key][2]
            prev = e
        return out

    def _row(self, e: Event, prev: Event | None) -> tuple[int, ...]:
        local = e.ts  # the event's own offset: the person's local clock
        gap = GAP_BINS - 1 if prev is None else min(GAP_BINS - 2, int(
            2 * math.log2(1 + max(0.0, (e.ts - prev.ts).total_seconds() / 60))))
        attrs = e.attributes
        flags = sum(1 << b for b, name in enumerate(FLAG_NAMES)
                    if attrs.get(name) is True) if attrs else 0
        action = NONE_ACTION if e.action is None else self._action.get(e.action, UNK)
        # Habits run on the clock (email hours, lunch, meetings): 10-minute resolution.
        row = (self._lookup(self._type, e.type, "type"),
               self._lookup(self._source, e.source, "source"), action,
               _bucket(e.actor, ACTOR_BUCKETS), _bucket(e.project, PROJECT_BUCKETS),
               local.hour, (local.hour * 60 + local.minute) // 10, local.weekday(),
               round(e.importance * 10), gap, flags)
        return row if self.texts is None else (*row, self.texts.id(e))

    def candidates(self, events: list[Event], index: dict[str, list[int]], end: int,
                   start: int, candidates: list[Artifact]) -> np.ndarray:
        """(K, len(CANDIDATE_FIELDS)) for the window events[start:end+1].

        `index` maps artifact id -> sorted positions in `events` where it appears.
        """
        out = np.zeros((len(candidates), len(CANDIDATE_FIELDS)), dtype=np.int64)
        for k, c in enumerate(candidates):
            pos = index.get(c.id, [])
            hi = bisect_right(pos, end)
            count = hi - bisect_left(pos, start)
            if count:
                last = pos[hi - 1]
                recency = min(RECENCY_BINS - 1, int(math.log2(1 + end - last)))
                last_type = self._type.get(events[last].type, UNK)
            else:
                recency, last_type = RECENCY_BINS, PAD
            out[k] = (self._kind.get(c.kind, UNK), _bucket(c.project, PROJECT_BUCKETS),
                      recency, min(count, 8), last_type)
        return out


def artifact_index(events: list[Event]) -> dict[str, list[int]]:
    index: dict[str, list[int]] = {}
    for i, e in enumerate(events):
        aid = e.attributes.get("artifact")
        if isinstance(aid, str):
            index.setdefault(aid, []).append(i)
    return index


@functools.lru_cache(maxsize=1 << 16)  # actors and projects repeat: hash each once
def _bucket(value: str | None, n: int) -> int:
    """Stable hash bucket (crc32, not Python's salted hash); 0 is kept for 'none'."""
    if not value:
        return 0
    return 1 + zlib.crc32(value.encode()) % (n - 1)
