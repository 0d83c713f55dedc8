"""The one context builder: events of a person's stream -> the PromptContext a tip is written from.

`context_from_events(events, now, person)` works on any stream (the service's live
events too); `build_context(persona_seed, slot)` feeds it the synthetic world: a
persona simulated for SIM_DAYS days, `now` set to the slot's time on the last
workday. Every lab cell of one scenario sees exactly the same context, so quality
differences between models and prompts are attributable to them alone.
"""

from __future__ import annotations

import functools
import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from augur.errors import AugurError
from augur.events.schema import Event

SIM_DAYS = 21  # three weeks: enough history for the profile, simulated in about 0.2 s
RECENT_EVENTS = 8
RECENT_WINDOW = timedelta(hours=12)
OPEN_WINDOW = timedelta(hours=24)  # older untouched items count as dropped, not open
MAX_OPEN_TASKS = 5
TIP_WORTHY = 0.5  # importance from which an arrival is worth a tip (tip_volume)

# Arrivals that wait for the person, and what doing them means. An item stays open
# until the person acts on its artifact.
OPENERS: dict[str, str] = {
    "email_received": "reply to {actor}'s email {artifact}",
    "chat_mention": "answer {actor}'s mention in {artifact}",
    "pr_review_requested": "review {artifact} for {actor}",
    "pr_comment": "address {actor}'s comments on {artifact}",
    "ticket_assigned": "pick up ticket {artifact}",
    "doc_shared": "read {artifact}, shared by {actor}",
    "meeting_invite": "answer the invite {artifact}",
    "ci_failed": "look at the failed build {artifact}",
    "incident_alert": "acknowledge incident {artifact}",
}

# Names a prompt file may use as {placeholders}; prompts.py checks files against it.
PLACEHOLDERS = (
    "person", "weekday", "time", "now", "recent_events", "open_tasks", "profile",
    "completion_rate_pct", "preferred_hour", "tip_volume", "top_project",
)


@dataclass(frozen=True)
class PromptContext:
    """What a tip is written from; JSON-ready (`to_dict`) and logged with every lab cell."""

    person: str
    now: str  # ISO 8601 local time of the request
    recent_events: list[dict[str, Any]] = field(default_factory=list)
    open_tasks: list[dict[str, Any]] = field(default_factory=list)
    profile: dict[str, Any] = field(default_factory=dict)

    @property
    def when(self) -> datetime:
        return datetime.fromisoformat(self.now)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PromptContext:
        return cls(**data)

    def placeholders(self) -> dict[str, str]:
        """The text each prompt placeholder is replaced by."""
        p = self.profile
        rate = p.get("completion_rate")
        tips = p.get("tip_volume")
        return {
            "person": self.person,
            "weekday": self.when.strftime("%A"),
            "time": self.when.strftime("%H:%M"),
            "now": self.now,
            "recent_events": _lines([_event_line(e) for e in self.recent_events]),
            "open_tasks": _lines([_task_line(t) for t in self.open_tasks]),
            "profile": _lines(_profile_lines(p)),
            "completion_rate_pct": "an unknown share" if rate is None else f"{rate:.0%}",
            "preferred_hour": f"{p.get('preferred_hour', 9):02d}",
            "tip_volume": "unknown" if tips is None else f"{tips:.1f}",
            "top_project": p.get("top_project") or "none in particular",
        }


def context_from_events(events: Sequence[Event], now: datetime, person: str) -> PromptContext:
    """The context at `now` from a person's events (later events are ignored)."""
    past = [e for e in events if e.ts <= now]
    recent = [e for e in past if e.ts > now - RECENT_WINDOW][-RECENT_EVENTS:]
    return PromptContext(
        person=person,
        now=now.isoformat(timespec="minutes"),
        recent_events=[_event_dict(e, person) for e in recent],
        open_tasks=_open_tasks(past, now, person),
        profile=profile_features(past, now, person),
    )


def build_context(persona_seed: int, slot: str) -> PromptContext:
    """The context of persona `persona_seed` at `slot` ("HH:MM") on its last simulated workday."""
    from augur.harness.constants import COLD_START_SEEDS

    if persona_seed in COLD_START_SEEDS:
        raise AugurError(f"persona seed {persona_seed} is one of the harness's cold-start people "
                         f"{list(COLD_START_SEEDS)}, which no experiment may look at; "
                         "pick another seed")
    at = _parse_slot(slot)
    events = _stream(persona_seed)
    person = f"persona-{persona_seed}"
    workdays = [e.ts for e in events if e.type == "day_started" and e.ts.weekday() < 5]
    if not workdays:
        raise AugurError(f"persona {persona_seed} has no workday in {SIM_DAYS} simulated days")
    day = workdays[-1]
    now = datetime.combine(day.date(), at, tzinfo=day.tzinfo)
    return context_from_events(events, now, person)


@functools.lru_cache(maxsize=16)
def _stream(seed: int) -> tuple[Event, ...]:
    # Cached per process: every cell of a scenario (and every scenario of a persona)
    # reuses one simulation instead of re-running it.
    from augur.events.persona import KnowledgeWorkerPersona

    return tuple(KnowledgeWorkerPersona(seed).generate(SIM_DAYS))


def _parse_slot(slot: str) -> time:
    m = re.fullmatch(r"([01]\d|2[0-3]):([0-5]\d)", slot)
    if not m:
        raise AugurError(f"slot must be a local time HH:MM such as '09:30', got {slot!r}")
    return time(int(m[1]), int(m[2]))


def _artifact(e: Event) -> str | None:
    return e.attributes.get("artifact")


def _event_dict(e: Event, person: str) -> dict[str, Any]:
    d = {"time": e.ts.strftime("%H:%M"), "type": e.type, "source": e.source,
         "actor": "you" if e.actor == person else e.actor, "artifact": _artifact(e),
         "project": e.project, "importance": round(e.importance, 2)}
    if e.action:
        d["action"] = e.action
    if e.attributes.get("question"):
        d["question"] = True
    return d


def _touches(events: Sequence[Event], person: str) -> dict[str, list[datetime]]:
    """artifact -> times the person acted on it."""
    touched: dict[str, list[datetime]] = defaultdict(list)
    for e in events:
        if e.actor == person and e.action and _artifact(e):
            touched[_artifact(e)].append(e.ts)
    return touched


def _arrivals(events: Sequence[Event]) -> list[Event]:
    return [e for e in events if e.type in OPENERS and _artifact(e)]


def _open_tasks(past: Sequence[Event], now: datetime, person: str) -> list[dict[str, Any]]:
    touched = _touches(past, person)
    waiting: dict[str, Event] = {}
    for e in _arrivals(past):
        if e.ts > now - OPEN_WINDOW and not any(t >= e.ts for t in touched[_artifact(e)]):
            waiting.setdefault(_artifact(e), e)  # the first arrival says since when it waits
    ranked = sorted(waiting.values(), key=lambda e: (-e.importance, e.ts))[:MAX_OPEN_TASKS]
    return [{"artifact": _artifact(e), "what": OPENERS[e.type].format(actor=e.actor,
                                                                        artifact=_artifact(e)),
             "type": e.type, "from": e.actor, "project": e.project,
             "importance": round(e.importance, 2),
             "waiting_min": round((now - e.ts).total_seconds() / 60)} for e in ranked]


def profile_features(past: Sequence[Event], now: datetime, person: str) -> dict[str, Any]:
    """User-level features over the history before `now` (completion rate, preferred hour, ...)."""
    own = [e for e in past if e.actor == person and e.action]
    workdays = len({e.ts.date() for e in own if e.type == "day_started"}) or 1
    touched = _touches(past, person)
    done, delays, due = 0, [], 0
    for e in _arrivals(past):
        if e.ts > now - OPEN_WINDOW:
            continue  # too recent to say whether it will be done
        due += 1
        later = [t for t in touched[_artifact(e)] if e.ts <= t <= e.ts + OPEN_WINDOW]
        if later:
            done += 1
            delays.append((min(later) - e.ts).total_seconds() / 60)
    hours = Counter(e.ts.hour for e in own if e.type not in ("day_started", "day_ended"))
    projects = Counter(e.project for e in own if e.project)
    return {
        "completion_rate": round(done / due, 3) if due else None,
        "preferred_hour": hours.most_common(1)[0][0] if hours else 9,
        # Moments per workday worth a tip: important arrivals that wait for the person.
        # Observable on any stream, so the service computes it the same way.
        "tip_volume": round(sum(e.importance >= TIP_WORTHY for e in _arrivals(past))
                            / workdays, 1),
        "median_reply_min": round(statistics.median(delays)) if delays else None,
        "meetings_per_day": round(sum(e.type == "meeting_started" for e in own) / workdays, 2),
        "events_per_day": round(len(past) / workdays, 1),
        "top_project": projects.most_common(1)[0][0] if projects else None,
    }


def _lines(lines: list[str]) -> str:
    return "\n".join(f"- {line}" for line in lines) if lines else "- (none)"


def _event_line(e: dict[str, Any]) -> str:
    where = f" ({e['project']})" if e.get("project") else ""
    if e["actor"] == "you":
        return f"{e['time']} you: {e.get('action', e['type'])} {e['artifact']}{where}"
    ask = ", asks a question" if e.get("question") else ""
    return (f"{e['time']} {e['type']} from {e['actor']}: {e['artifact']}{where}, "
            f"importance {e['importance']}{ask}")


def _task_line(t: dict[str, Any]) -> str:
    where = f"{t['project']}; " if t.get("project") else ""
    wait = t["waiting_min"]
    waited = f"{wait} min" if wait < 120 else f"{wait // 60} h"
    return f"{t['what']} ({where}importance {t['importance']}; waiting {waited})"


def _profile_lines(p: dict[str, Any]) -> list[str]:
    lines = []
    if p.get("completion_rate") is not None:
        lines.append(f"handles {p['completion_rate']:.0%} of incoming items within a day")
    lines.append(f"most active around {p.get('preferred_hour', 9):02d}:00")
    if p.get("median_reply_min") is not None:
        lines.append(f"takes a median {p['median_reply_min']} min to get to an item")
    if p.get("tip_volume") is not None:
        lines.append(f"about {p['tip_volume']} tip-worthy moments per workday")
    if p.get("meetings_per_day") is not None:
        lines.append(f"{p['meetings_per_day']} meetings per workday")
    if p.get("top_project"):
        lines.append(f"main project: {p['top_project']}")
    return lines
