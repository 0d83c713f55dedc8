"""Task 3's dataset: timestamped transcripts of the person's day, with the true moments.

Each world (augur.memory.world, the personas MOMENT_WORLD_SEEDS, WORLD_DAYS days each)
knows the moments
of each working day: focus blocks (coding or problem_solving), meetings, reviews,
inbox triage (admin), breaks, planning, the end-of-day diary (reflection) and
incidents, each with its start and end, people present, topics and emotion tags
(frustrated when a focus block fixed a bug, satisfied when it merged a PR, the day's
mood in the diary...). Overlapping moments are resolved in time order (one contained
in an earlier one is dropped, one that starts inside it starts at its end; one that
runs into the next day is dropped), and
touching moments of one type (a short break, then lunch) are one segment.

Each segment becomes 2 to MOMENT_MAX_LINES lines, `HH:MM speaker: text`, from what
the world wrote about it: the person's own actions in the segment's time (many
phrasings per action), the lines of the resources it is about (meeting notes spoken
by the attendees, an email's body, a PR's description, the diary), and with some
probability a line that voices one of its emotions. Lines are shuffled inside their
segment, so no segment opens with a fixed phrase; the first is at the segment's start,
the rest spread over its time. Speakers are written as one of their aliases (a first
name, a full name, "A. Tanaka"). A day's segments are cut into transcripts of one to
MOMENT_MAX_HOURS hours (the length drawn per transcript) with at least two segments (a
shorter rest is left out).

Splits are by day (train before val before test). Deterministic from MOMENT_SEED.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from pydantic import ValidationError

from augur.memory.tasks.harness import constants as C
from augur.memory.tasks.harness.moment_schema import GoldSegment, MomentExample, MomentLine

MOODS = frozenset(("calm", "frustrated", "satisfied", "stressed", "tired"))

ACTS = {
    "write_code": ("coding on {n}", "wrote more of {n}", "kept going on {n}",
                   "implementation work for {n}", "{n}: the next chunk of code"),
    "fix_bug": ("chasing the failure in {n}", "found why {n} breaks, patching it",
                "debugging {n}", "the bug behind {n} again, stepping through it"),
    "refactor_code": ("refactoring around {n}", "cleaned up the code of {n}"),
    "run_tests": ("ran the test suite for {n}", "tests running on {n}", "local tests for {n}"),
    "commit_code": ("pushed a commit to {n}", "committed on {n}", "git push for {n}"),
    "check_ci": ("looking at the pipeline of {n}", "checking the build of {n}",
                 "CI status for {n}?"),
    "open_pr": ("opened the PR {n}", "PR is up: {n}", "sent {n} out for review"),
    "merge_pr": ("merged {n}", "{n} is merged", "landed {n} on main"),
    "address_review": ("addressing review comments on {n}", "answered the reviewers on {n}"),
    "review_pr": ("reviewing {n}", "reading the diff of {n}", "went through {n} line by line"),
    "review_doc": ("reading {n} for review", "reviewing the doc {n}", "{n}, reading it through"),
    "comment_doc": ("left comments on {n}", "commented on {n}"),
    "read_email": ("read {n}", "opened the mail '{n}'", "mail: {n}"),
    "reply_email": ("answered '{n}'", "replied on {n}", "wrote back about {n}"),
    "archive_email": ("archived {n}", "filed away '{n}'"),
    "forward_email": ("forwarded {n}", "passed '{n}' on"),
    "write_email": ("drafted a mail: {n}", "sent a new mail about {n}"),
    "triage_inbox": ("sorting the inbox", "inbox: flagging what needs an answer",
                     "going through unread mail", "unread count is climbing, clearing it"),
    "investigate_incident": ("digging into {n}", "dashboards for {n}"),
    "mitigate_incident": ("mitigation for {n} is out", "applied a fix for {n}"),
    "ack_incident": ("acked the page: {n}", "on it: {n}"),
    "plan_day": ("what is on today", "sketching the day", "today's list"),
    "end_day": ("wrapping up", "closing the laptop soon", "done for the day, writing it down"),
}
BREAKS = ("grabbing a coffee", "stretching my legs", "back in ten", "quick walk outside",
          "tea and a few minutes off the screen", "getting some fresh air", "away from keyboard",
          "lunch at the corner place", "eating at my desk, not working",
          "short walk around the block",
          "refilling water, then a few minutes off", "sandwich time", "afk for a bit",
          "phone off, eating", "taking five", "stepping out for food")
MEETING_CHATTER = ("can everyone see my screen?", "sorry, I was on mute", "one more point on this",
                   "let me share the doc", "agreed", "I can take that one",
                   "do we have numbers for it?", "that sounds right to me", "makes sense",
                   "let's capture that as an action item", "any objections?",
                   "I'll follow up in the channel")
FEELINGS = {
    "frustrated": ("ugh, red again", "this is taking way longer than it should",
                   "why does this keep failing", "still broken, annoying"),
    "satisfied": ("nice, that finally works", "green at last", "good, that's done",
                  "happy with how that turned out"),
    "stressed": ("customers are noticing, need this fixed now", "pager keeps going off",
                 "this is bad, all hands"),
    "overwhelmed": ("so much mail today", "too many threads at once", "where do I even start"),
    "busy": ("lots to answer", "one after another", "keeping up with the queue"),
    "focused": ("heads down", "notifications off", "deep in it now"),
    "relaxed": ("nice to switch off", "good to breathe a bit", "no rush"),
    "attentive": ("reading this carefully", "want to get this review right",
                  "checking the details"),
    "engaged": ("good discussion", "interesting point", "lots of ideas today"),
    "curious": ("wonder how that scales", "I'd like to dig into that more", "why is that?"),
    "routine": ("same as every day", "quick round", "the usual updates"),
    "organised": ("list is clear", "priorities set", "everything has a slot"),
    "tired": ("long day", "running on empty", "energy is low"),
    "calm": ("quiet day", "nothing urgent", "steady"),
}
_DATE_PREFIX = re.compile(r"^-?\s*\d{1,2} [A-Z][a-z]{2}( \d{2}:\d{2})?:\s*")
_LABEL = re.compile(r"^(Agenda|Discussion|Decision|Action items|Timeline|History|Sections): ")


@dataclass
class _Seg:
    start: datetime
    end: datetime
    mtype: str
    name: str
    summary: str
    emotions: list[str]
    topics: list[str]
    people: list[str]  # entity ids
    about: list[str] = field(default_factory=list)
    content: str = ""


def _segments(batch) -> list[_Seg]:
    """The world's moments without overlaps, touching ones of one type merged."""
    about: dict[str, list[str]] = {}
    for e in batch.edges:
        if e.type == "ABOUT":
            about.setdefault(e.from_id, []).append(e.to_id)
    moments = sorted(batch.moments, key=lambda m: (m.start, -(m.end - m.start), m.id))
    out: list[_Seg] = []
    for m in moments:
        # whole minutes, as the lines are written (a line at 09:12 starts a moment of 09:12)
        start, end = (t.replace(second=0, microsecond=0) for t in (m.start, m.end))
        if out and out[-1].start.date() == start.date() and start < out[-1].end:
            if end <= out[-1].end:
                continue
            start = out[-1].end
        if end - start < timedelta(minutes=C.MOMENT_MIN_MINUTES) or end.date() != start.date():
            continue  # too short, or an incident that ran into the next day
        topics = [t for t in m.topic_tags if t not in MOODS]
        seg = _Seg(start, end, m.moment_type, m.name, m.summary, list(m.emotion_tags), topics,
                   [p.id for p in m.present_persons], about.get(m.id, []), m.content)
        prev = out[-1] if out else None
        if (prev and prev.mtype == seg.mtype and prev.start.date() == start.date()
                and start - prev.end <= timedelta(minutes=1)):
            prev.end = end
            prev.emotions = list(dict.fromkeys([*prev.emotions, *seg.emotions]))
            prev.topics = list(dict.fromkeys([*prev.topics, *seg.topics]))
            prev.people = list(dict.fromkeys([*prev.people, *seg.people]))
            prev.about += seg.about
            continue
        out.append(seg)
    return out


class _Renderer:
    def __init__(self, batch, events, rng: random.Random) -> None:
        self.rng = rng
        self.res = {r.id: r for r in batch.resources}
        self.people = {e.id: e for e in batch.entities if e.kind == "person"}
        self.me = next(e for e in self.people.values()
                       if any(a.startswith("persona-") for a in e.aliases))
        self.own = sorted((e for e in events if e.actor in self.me.aliases and e.action),
                          key=lambda e: e.ts)

    def speaker(self, pid: str) -> str:
        e = self.people[pid]
        forms = [a for a in [e.name, *e.aliases] if not re.search(r"-\d+$|^persona-", a)]
        return self.rng.choice(sorted(set(forms)))

    def _name(self, e) -> str | None:
        a = e.attributes.get("artifact", "")
        if a.startswith("chat-"):
            a = f"{a}-{e.ts.date().isoformat()}"
        r = self.res.get(a)
        return r.name if r is not None else None

    def _resource_lines(self, rid: str, k: int) -> list[str]:
        r = self.res.get(rid)
        if r is None:
            return []
        out = []
        for line in r.content.splitlines()[1:]:
            line = _LABEL.sub("", _DATE_PREFIX.sub("", line.strip())).strip()
            if line and not line.startswith(("Attendees:", "Started by", "Status:", "Summary:",
                                             "Active today:", "Pinned:")):
                out.append(line)
        return out[:k]

    def lines(self, seg: _Seg) -> list[tuple[str, str]]:
        """(speaker id, text) for one segment, shuffled."""
        rng, me = self.rng, self.me.id
        talk: list[tuple[str, str]] = []
        for e in self.own:
            if seg.start <= e.ts < seg.end and e.action in ACTS:
                n = self._name(e) or "it"
                if seg.mtype == "meeting" or (seg.mtype == "break" and e.action != "lunch"):
                    continue
                talk.append((me, rng.choice(ACTS[e.action]).format(n=n)))
        others = [p for p in seg.people if p != me and p in self.people] or [me]
        for rid in seg.about[:4]:
            k = 5 if seg.mtype in ("meeting", "incident", "reflection", "planning") else 2
            for line in self._resource_lines(rid, k):
                who = rng.choice(others) if seg.mtype in ("meeting", "incident") else me
                talk.append((who, line))
        if seg.mtype == "break":
            talk += [(me, x) for x in rng.sample(BREAKS, rng.randint(1, 3))]
        if seg.mtype == "meeting":
            talk += [(rng.choice([me, *others]), x)
                     for x in rng.sample(MEETING_CHATTER, rng.randint(1, 3))]
        for emo in seg.emotions:
            if emo in FEELINGS and rng.random() < C.MOMENT_FEELING_P:
                talk.append((me, rng.choice(FEELINGS[emo])))
        if seg.mtype in ("meeting", "incident"):  # everyone present says something
            talk += [(p, rng.choice(MEETING_CHATTER)) for p in others
                     if p not in {w for w, _ in talk}]
        if len(talk) < 2:
            talk.append((me, rng.choice(FEELINGS.get(seg.emotions[0] if seg.emotions else "",
                                                     FEELINGS["calm"]))))
        rng.shuffle(talk)
        keep = set(range(len(talk)))
        if len(talk) > C.MOMENT_MAX_LINES:  # keep everyone who is present
            firsts = {w: i for i, (w, _) in reversed(list(enumerate(talk)))}
            rest = [i for i in range(len(talk)) if i not in firsts.values()]
            keep = set(firsts.values()) | set(rng.sample(
                rest, max(0, C.MOMENT_MAX_LINES - len(firsts))))
        return [t for i, t in enumerate(talk) if i in keep]

    def render(self, seg: _Seg) -> list[MomentLine]:
        talk = self.lines(seg)
        span = (seg.end - seg.start).total_seconds()
        offsets = sorted(self.rng.uniform(0, 0.9 * span) for _ in talk[1:])
        times = [seg.start, *(seg.start + timedelta(seconds=int(o)) for o in offsets)]
        return [MomentLine(ts=t.replace(second=0, microsecond=0), speaker=self.speaker(w),
                           text=x) for t, (w, x) in zip(times, talk, strict=True)]


def _windows(segs: list[_Seg], rng: random.Random) -> list[list[_Seg]]:
    """One day's segments cut into runs of one to MOMENT_MAX_HOURS hours (>= 2 segments)."""
    out: list[list[_Seg]] = []
    cur: list[_Seg] = []
    target = timedelta(hours=rng.uniform(1, C.MOMENT_MAX_HOURS))
    for s in segs:
        if len(cur) >= 2 and s.end - cur[0].start > target:
            out.append(cur)
            cur, target = [], timedelta(hours=rng.uniform(1, C.MOMENT_MAX_HOURS))
        cur.append(s)
    out.append(cur)  # a rest under an hour or of one segment is left out below
    return [w for w in out if len(w) >= 2 and w[-1].end - w[0].start >= timedelta(hours=1)]


def _split(day: int) -> str | None:
    for name, (lo, hi) in (("train", C.MOMENT_TRAIN_DAYS), ("val", C.MOMENT_VAL_DAYS),
                           ("test", C.MOMENT_TEST_DAYS)):
        if lo <= day < hi:
            return name
    return None


def moment_world(seed: int):
    """(events, memory) of persona `seed`'s first WORLD_DAYS days."""
    from augur.events.persona import KnowledgeWorkerPersona
    from augur.memory.world import memory_from_events

    events = KnowledgeWorkerPersona(seed).generate(C.WORLD_DAYS)
    return events, memory_from_events(events, seed)


def build_moment_examples() -> list[MomentExample]:
    """Every split's transcripts from every world of MOMENT_WORLD_SEEDS, deterministic
    from MOMENT_SEED; ids number each split's transcripts in (world, day) order."""
    rng = random.Random(C.MOMENT_SEED)
    out: list[MomentExample] = []
    counts = {"train": 0, "val": 0, "test": 0}
    for seed in C.MOMENT_WORLD_SEEDS:
        events, batch = moment_world(seed)
        out += _world_examples(seed, batch, events, rng, counts)
    return out


def _world_examples(seed: int, batch, events, rng: random.Random,
                    counts: dict[str, int]) -> list[MomentExample]:
    render = _Renderer(batch, events, rng)
    segs = _segments(batch)
    first = min(s.start.date() for s in segs)
    by_day: dict[int, list[_Seg]] = {}
    for s in segs:
        by_day.setdefault((s.start.date() - first).days, []).append(s)
    out: list[MomentExample] = []
    for day in sorted(by_day):
        split = _split(day)
        if split is None:
            continue
        for window in _windows(by_day[day], rng):
            lines: list[MomentLine] = []
            gold: list[GoldSegment] = []
            for s in window:
                seg_lines = render.render(s)
                gold.append(GoldSegment(
                    first=len(lines), last=len(lines) + len(seg_lines) - 1, start=s.start,
                    end=s.end, moment_type=s.mtype, name=s.name, summary=s.summary,
                    emotion_tags=s.emotions, topic_tags=s.topics,
                    present_persons=[render.people[p].name for p in s.people
                                     if p in render.people]))
                lines += seg_lines
            out.append(MomentExample(id=f"moment-{split}-{counts[split]:04d}", split=split,
                                     world=seed, day=day, lines=lines, segments=gold))
            counts[split] += 1
    return out


def read_moment_jsonl(path: str | Path) -> list[MomentExample]:
    """Examples from a JSON-lines file; an error names the file and the line."""
    path, out = Path(path), []
    with path.open(encoding="utf-8") as f:
        for n, line in enumerate(f, start=1):
            if line.strip():
                try:
                    out.append(MomentExample.model_validate_json(line))
                except (ValidationError, ValueError) as e:
                    raise ValueError(f"{path}:{n}: not a valid MomentExample: {e}") from None
    return out
