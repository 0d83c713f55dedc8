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
import heapq
import math
import warnings
import zlib
from bisect import bisect_left, bisect_right
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import numpy as np

from augur.events.schema import Artifact, Event
from augur.events.vocab import ACTION_EVENT, ARTIFACT_KINDS, EVENT_TYPES, SOURCES

if TYPE_CHECKING:  # backbone.py imports torch; features.py stays without it
    from augur.oracle.backbone import EventTexts

PAD, UNK = 0, 1  # reserved ids in every categorical vocabulary
NONE_ACTION = 2  # "this event is not one of the person's actions"
ACTOR_BUCKETS = 64
# The actor id of a person the model never trained on, in place of their own hash bucket
# (only in models that know who they trained on: Vocab.selves). An untrained bucket is a
# random vector, and a bucket shared with a trained person is that person's habits.
ANON_ACTOR = ACTOR_BUCKETS
PROJECT_BUCKETS = 32
GAP_BINS = 34  # half-log2 minutes since the previous event, plus "first"
RECENCY_BINS = 10  # log2 events since the candidate was last seen, plus "never"
FLAG_NAMES = ("question", "conflict", "standup", "ok")

SINCE_BINS = 34  # third-log2 minutes since the person's last action, plus "none"
LOOKBACK = 64  # events: how far back the context columns look (a window's last event
# always has this much history, so training on streams and predicting on windows agree)
SEEN_BINS = 14  # the event's artifact: none, not seen, or how long ago and by whom
# What the world brings (not what the person does): an open item is an arrival on an
# artifact the person has not acted on since. "activity" is an imported log's one type.
ARRIVAL_TYPES = tuple(t for t in EVENT_TYPES
                      if t not in {et for et, _ in ACTION_EVENT.values()} and t != "activity")
PENDING_MAX = 8  # open items per arrival type are counted 0 to 8 or more

BASE_FIELDS = ("type", "source", "action", "actor", "project", "hour", "clock", "weekday",
               "importance", "gap", "flags")
# Columns about the event's context in the stream, not the event alone: what a person
# has left open is what they do next, and attention is poor at counting it.
CONTEXT_FIELDS = ("since_action", "seen", "open_top", *(f"open_{t}" for t in ARRIVAL_TYPES),
                  "since_focus", "since_break", "edit_run")
FOCUS_BINS = 16  # 10-minute bins since the open focus block started (150+), plus "none"
BREAK_BINS = 13  # 15-minute bins since the last break, lunch or day start (180+), plus "none"
EDIT_RUN_MAX = 5  # edits since the last other step of a coding task, 5 meaning 5+
# The steps of a coding task other than an edit: after any of them, a new run of edits begins.
_TASK_STEPS = ("fix_bug", "run_tests", "commit_code", "open_pr", "address_review", "merge_pr",
               "check_ci", "rerun_ci", "close_ticket")
# What each of these actions means to the focus, break and edit-run columns.
_ROLES = {"write_code": "edit", "refactor_code": "edit",
          **dict.fromkeys(_TASK_STEPS, "step"), "start_focus": "focus",
          "end_focus": "focus_end", "end_day": "focus_end",
          "take_break": "break", "lunch": "break", "start_day": "break"}
EVENT_FIELDS = BASE_FIELDS + CONTEXT_FIELDS
CANDIDATE_FIELDS = ("kind", "project", "recency", "count", "last_type")


@dataclass(frozen=True)
class Vocab:
    """The categorical vocabularies of one model; saved with its checkpoint."""

    actions: tuple[str, ...]  # what the next-action head predicts
    types: tuple[str, ...] = EVENT_TYPES
    sources: tuple[str, ...] = SOURCES
    kinds: tuple[str, ...] = ARTIFACT_KINDS
    # The people (an event's actor that is also its stream) the model trained on; any
    # other person's own events get ANON_ACTOR. None: every actor keeps its hash bucket
    # (models trained without identity dropout).
    selves: tuple[str, ...] | None = None

    def sizes(self) -> dict[str, int]:
        return {"type": len(self.types) + 2, "source": len(self.sources) + 2,
                "action": len(self.actions) + 3,
                "actor": ACTOR_BUCKETS + (self.selves is not None),
                "project": PROJECT_BUCKETS, "hour": 24, "clock": 144, "weekday": 7,
                "importance": 11, "gap": GAP_BINS, "flags": 2 ** len(FLAG_NAMES),
                "since_action": SINCE_BINS, "seen": SEEN_BINS,
                "open_top": 12,  # importance deciles 0-10, and 11 for "nothing open"
                **{f"open_{t}": PENDING_MAX + 1 for t in ARRIVAL_TYPES},
                "since_focus": FOCUS_BINS + 1, "since_break": BREAK_BINS + 1,
                "edit_run": 2 * EDIT_RUN_MAX + 2,
                "kind": len(self.kinds) + 2, "recency": RECENCY_BINS + 1, "count": 9,
                "last_type": len(self.types) + 2}

    def to_json(self) -> dict:
        d = {"actions": list(self.actions), "types": list(self.types),
             "sources": list(self.sources), "kinds": list(self.kinds)}
        return d if self.selves is None else d | {"selves": list(self.selves)}

    @classmethod
    def from_json(cls, d: dict) -> Vocab:
        selves = d.get("selves")
        return cls(tuple(d["actions"]), tuple(d["types"]), tuple(d["sources"]),
                   tuple(d["kinds"]), None if selves is None else tuple(selves))


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
        self._selves = None if vocab.selves is None else frozenset(vocab.selves)
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
        """(T, self.width) int64 for a time-ordered list of events: each event's own
        fields, its context columns, then (with a backbone) its text id."""
        nb = len(BASE_FIELDS)
        out = np.zeros((len(events), self.width), dtype=np.int64)
        if len(self._rows) > 50_000:
            self._rows.clear()
        us = micros(events)
        rows = []
        if not self.cache:
            for i, e in enumerate(events):
                rows.append(self._row(e, None if i == 0 else us[i] - us[i - 1]))
        else:
            prev = None
            for i, e in enumerate(events):
                key = (id(e), id(prev))
                if (hit := self._rows.get(key)) is None:
                    gap = None if prev is None else us[i] - us[i - 1]
                    hit = self._rows[key] = (e, prev, self._row(e, gap))
                rows.append(hit[2])
                prev = e
        own = np.array(rows, dtype=np.int64).reshape(len(events), -1)
        out[:, :nb] = own[:, :nb]
        out[:, nb:nb + len(CONTEXT_FIELDS)] = context_columns(events, us)
        out[:, nb + len(CONTEXT_FIELDS):] = own[:, nb:]
        return out

    def _row(self, e: Event, gap_us: int | None) -> tuple[int, ...]:
        """The event's own fields; `gap_us`: microseconds since the previous event, None
        for a window's first. Runs per event of every prediction: plain loops, no
        generators."""
        local = e.ts  # the event's own offset: the person's local clock
        gap = GAP_BINS - 1 if gap_us is None else min(GAP_BINS - 2, int(
            2 * math.log2(1 + max(0.0, gap_us / 1_000_000 / 60))))  # = total_seconds()/60
        flags = 0
        if attrs := e.attributes:
            for bit, name in _FLAG_BITS:
                if attrs.get(name) is True:
                    flags |= bit
        action = NONE_ACTION if e.action is None else self._action.get(e.action, UNK)
        hour = local.hour
        # Habits run on the clock (email hours, lunch, meetings): 10-minute resolution.
        row = (self._lookup(self._type, e.type, "type"),
               self._lookup(self._source, e.source, "source"), action,
               self._actor(e), _bucket(e.project, PROJECT_BUCKETS),
               hour, (hour * 60 + local.minute) // 10, local.weekday(),
               round(e.importance * 10), gap, flags)
        return row if self.texts is None else (*row, self.texts.id(e))

    def _actor(self, e: Event) -> int:
        if self._selves is not None and is_self(e) and e.actor not in self._selves:
            return ANON_ACTOR
        return _bucket(e.actor, ACTOR_BUCKETS)

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


def context_columns(events: list[Event], us: list[int] | None = None) -> np.ndarray:
    """(T, len(CONTEXT_FIELDS)) int64: per event, what came before it (at most LOOKBACK
    events back, so a stream and a window ending at the same event agree):

    - since_action: third-log2 minutes since the person's last action, or "none" (this
      one is not bounded by LOOKBACK: a 128-event window and its stream differ only when
      the person took no action in the window's 127 earlier events);
    - seen: the event's artifact is absent (0), not seen before (1), or was last seen
      2^k events ago, by the person's action or by an arrival (2 + 2k + by_person);
    - open_<type>: artifacts with an arrival of that type the person has not acted on
      since (an unanswered mention, an unread email, a reminder before the meeting);
    - open_top: the importance decile of the most important open arrival, 11 if none;
    - since_focus: 10-minute bins since the open focus block started (a block ends at
      end_focus or end_day), FOCUS_BINS if none is open;
    - since_break: 15-minute bins since the last take_break, lunch or start_day,
      BREAK_BINS if none. People end a block and take a break after a habitual time,
      which the clock of each event alone does not show;
    - edit_run: edits (write_code, refactor_code) since the person's last other step of
      a coding task (tests, a fix, a commit, ...), 0 to EDIT_RUN_MAX; EDIT_RUN_MAX + n
      when that step is further back than LOOKBACK and n edits are in reach; the last
      value when neither is. A task commits after a few edits, which attention is poor
      at counting.

    An action on an artifact handles every arrival open on it, except the catch-up
    actions of _CATCH_UP (read_chat: every channel's messages, not the mentions).

    One pass with running counts: this runs on every prediction. `us` is micros(events),
    when the caller has it already.
    """
    if us is None:
        us = micros(events)
    flat: list[int] = []  # the rows one after another: one array conversion, not T
    counts = [0] * len(ARRIVAL_TYPES)
    seen: dict[str, tuple[int, bool]] = {}  # artifact -> (index, by the person)
    opened: dict[tuple[str, int], int] = {}  # (artifact, arrival type) -> index
    kinds: dict[str, set[int]] = {}  # artifact -> arrival types open on it
    order: list[tuple[int, str, int]] = []  # (index, artifact, type): to expire old ones
    top: list[tuple[float, int, str, int]] = []  # max-heap of open arrivals, lazily pruned
    head, last_action = 0, None
    focus_at: tuple[int, int] | None = None  # (index, micros) of the open block's start
    break_at: tuple[int, int] | None = None
    step_at: int | None = None  # index of the last task step that is not an edit
    edits: deque[int] = deque()  # indices of the edits since then, within LOOKBACK
    for i, (e, t) in enumerate(zip(events, us, strict=True)):
        cutoff = i - LOOKBACK  # indices at or before it are out of reach
        while head < len(order) and order[head][0] <= cutoff:
            j, aid, k = order[head]
            head += 1
            if opened.get((aid, k)) == j:
                del opened[aid, k]
                kinds[aid].discard(k)
                counts[k] -= 1
            if k < 0 and seen.get(aid, (None,))[0] == j:
                del seen[aid]
        if last_action is None:
            since = SINCE_BINS - 1
        elif t <= last_action:  # stamped at or before it: 0 minutes
            since = 0
        else:
            since = int(3 * math.log2(1 + (t - last_action) / 1_000_000 / 60))
            since = since if since < SINCE_BINS - 2 else SINCE_BINS - 2
        seen_bin = 0
        by_person = e.action is not None
        if by_person:
            last_action = t
        aid = e.attributes.get("artifact") if e.attributes else None
        if isinstance(aid, str):
            before = seen.get(aid)
            seen_bin = 1 if before is None else (
                2 + 2 * min(5, int(math.log2(i - before[0]))) + before[1])
            seen[aid] = (i, by_person)
            order.append((i, aid, -1))
            caught_up = _CATCH_UP.get(e.action) if by_person else None
            if caught_up is not None:
                for a2, k in [key for key in opened if key[1] == caught_up]:
                    del opened[a2, k]
                    kinds[a2].discard(k)
                    counts[k] -= 1
            elif by_person:  # the person acted on it: nothing is open on it any more
                for k in kinds.pop(aid, ()):
                    del opened[aid, k]
                    counts[k] -= 1
            elif (k := _ARRIVAL.get(e.type)) is not None:
                if (aid, k) not in opened:
                    counts[k] += 1
                    kinds.setdefault(aid, set()).add(k)
                opened[aid, k] = i
                order.append((i, aid, k))
                heapq.heappush(top, (-e.importance, -i, aid, k))
        while top and opened.get((top[0][2], top[0][3])) != -top[0][1]:
            heapq.heappop(top)
        role = _ROLES.get(e.action) if by_person else None  # one lookup: this runs per event
        if role is not None:
            if role == "edit":
                edits.append(i)
            elif role == "step":
                step_at, edits = i, deque()
            elif role == "focus":
                focus_at = (i, t)
            elif role == "focus_end":
                focus_at = None
            else:
                break_at = (i, t)
        if focus_at is not None and focus_at[0] <= cutoff:
            focus_at = None  # out of reach, as in a window that starts after it
        if break_at is not None and break_at[0] <= cutoff:
            break_at = None
        if step_at is not None and step_at <= cutoff:
            step_at = None
        while edits and edits[0] <= cutoff:
            edits.popleft()
        focus_bin = _clock_bin(t, focus_at, 600_000_000, FOCUS_BINS)
        break_bin = _clock_bin(t, break_at, 900_000_000, BREAK_BINS)
        n_edits = len(edits) if len(edits) < EDIT_RUN_MAX else EDIT_RUN_MAX
        if step_at is not None:
            edit_run = n_edits
        else:  # the run's start is out of reach: how many edits are in it, or "none"
            edit_run = EDIT_RUN_MAX + n_edits if edits else 2 * EDIT_RUN_MAX + 1
        flat += (since, seen_bin, round(-10 * top[0][0]) if top else 11, *counts,
                 focus_bin, break_bin, edit_run)
    out = np.array(flat, dtype=np.int64).reshape(len(events), len(CONTEXT_FIELDS))
    np.minimum(out[:, _OPEN], PENDING_MAX, out=out[:, _OPEN])
    return out


_OPEN = slice(3, 3 + len(ARRIVAL_TYPES))  # the open_<type> columns, capped at PENDING_MAX


_ARRIVAL = {t: k for k, t in enumerate(ARRIVAL_TYPES)}
# Actions that handle every artifact's open arrivals of one type, not what is open on
# their own artifact: reading chat catches up on every channel's messages, but a mention
# waits for a reply.
_CATCH_UP = {"read_chat": _ARRIVAL["chat_message"]}


def _clock_bin(t: int, start: tuple[int, int] | None, width_us: int, bins: int) -> int:
    """Bins of `width_us` since `start` = (index, micros), 0 to bins - 1; `bins` when
    there is none. An event stamped before the start (clock skew between sources, a
    window not in time order) reads 0, as since_action and gap do: a negative bin would
    index out of the embedding table. Conditional expressions, not min and max: this
    runs per event of every prediction."""
    if start is None:
        return bins
    k = (t - start[1]) // width_us
    return 0 if k < 0 else (k if k < bins - 1 else bins - 1)


_EPOCH, _US = datetime(1970, 1, 1, tzinfo=UTC), timedelta(microseconds=1)
_FLAG_BITS = tuple((1 << b, name) for b, name in enumerate(FLAG_NAMES))


def micros(events: list[Event]) -> list[int]:
    """Each event's time as integer microseconds since the epoch. Subtracting two
    aware datetimes asks both for their UTC offset; the columns compare each event
    with up to four others, so converting once per event is a third of the cost, and
    integers keep the bins exact: (a - b) / 1e6 is timedelta.total_seconds()."""
    return [(e.ts - _EPOCH) // _US for e in events]


def artifact_index(events: list[Event]) -> dict[str, list[int]]:
    index: dict[str, list[int]] = {}
    for i, e in enumerate(events):
        aid = e.attributes.get("artifact")
        if isinstance(aid, str):
            index.setdefault(aid, []).append(i)
    return index


def is_self(e: Event) -> bool:
    """The event is the person's own: its actor is the person whose stream it is."""
    return bool(e.actor) and e.actor == e.stream


@functools.lru_cache(maxsize=1 << 16)  # actors and projects repeat: hash each once
def _bucket(value: str | None, n: int) -> int:
    """Stable hash bucket (crc32, not Python's salted hash); 0 is kept for 'none'."""
    if not value:
        return 0
    return 1 + zlib.crc32(value.encode()) % (n - 1)
