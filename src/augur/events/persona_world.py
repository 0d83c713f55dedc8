"""The state of one simulated knowledge worker and the world around them.

Time is integer seconds since the Unix epoch (UTC); the persona's clock is a
fixed offset from it. Everything the person has waiting (email, chat, review
requests, tickets, shared docs, invites) is an `Item`; their coding work is a
`Task` that moves through phases; meetings come from a calendar that is filled
two days ahead, so the invites that announce them arrive before they happen.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from augur.events.persona_habits import Habits

MINUTE = 60
HOUR = 3600
DAY = 86400
# The first simulated day, a Monday. A constant of the world: moving it moves every eval set.
EPOCH_LOCAL = datetime(2025, 1, 6)


@dataclass
class Item:
    """Something waiting for the person."""

    artifact: str
    kind: str  # email, chat, review, ticket, doc, invite
    importance: float
    since: int
    project: str | None = None
    question: bool = False  # asks for information the assistant lacks (routing: ask)
    mention: bool = False  # a chat that names the person
    conflict: bool = False  # an invite that clashes with the calendar


@dataclass
class Meeting:
    start: int
    end: int
    artifact: str
    project: str | None
    standup: bool = False
    prepared: bool = False
    attended: bool = False
    declined: bool = False
    reminded: bool = False


@dataclass
class Task:
    """One piece of coding work, from first edit to closed ticket."""

    ticket: str
    pr: str
    build: str
    project: str
    phase: str = "code"  # code, test, fix, commit, ci_wait, ci_failed, open_pr, pr_wait,
    #                      address, merge, close
    code_steps: int = 3
    tested: bool = False
    pr_open: bool = False
    approved: bool = False


@dataclass
class Incident:
    artifact: str
    phase: str = "alert"  # alert, acked, investigating, mitigated
    steps: int = 0


@dataclass
class State:
    habits: Habits
    now: int
    day_open: bool = False
    inbox: list[Item] = field(default_factory=list)
    chats: list[Item] = field(default_factory=list)
    reviews: list[Item] = field(default_factory=list)
    tickets: list[Item] = field(default_factory=list)
    docs: list[Item] = field(default_factory=list)
    invites: list[Item] = field(default_factory=list)
    meetings: list[Meeting] = field(default_factory=list)
    task: Task | None = None
    incident: Incident | None = None
    postmortem_due: str | None = None
    notes_due: str | None = None
    deploy_pending: str | None = None  # a merged build waiting to ship
    rollback_due: str | None = None
    focus_active: bool = False
    focus_until: int | None = None
    focus_done_day: int = -1
    lunch_day: int = -1
    triage_window: float | None = None  # the email hour already triaged today
    last_break: int = 0
    busy_until: int = 0  # in a meeting until then
    prev_action: str | None = None
    status_report_week: int = -1
    counter: int = 0  # for fresh artifact ids

    # ---- the persona's clock -------------------------------------------------
    @property
    def tz(self) -> timezone:
        return timezone(timedelta(minutes=self.habits.tz_minutes))

    def local(self, t: int | None = None) -> datetime:
        return datetime.fromtimestamp(self.now if t is None else t, self.tz)

    def local_hour(self, t: int | None = None) -> float:
        d = self.local(t)
        return d.hour + d.minute / 60 + d.second / 3600

    def day_index(self, t: int | None = None) -> int:
        return (self.local(t).replace(tzinfo=None) - EPOCH_LOCAL).days

    def at_local(self, day: int, hour: float) -> int:
        """Epoch seconds of `hour` (local) on simulated day `day`."""
        naive = EPOCH_LOCAL + timedelta(days=day, seconds=round(hour * 3600))
        return int(naive.replace(tzinfo=self.tz).timestamp())

    def new_id(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}-{self.counter}"

    # ---- what is going on ----------------------------------------------------
    def in_focus(self, t: int | None = None) -> bool:
        # Until end_focus happens, even if the block overran: interruptions stay muted.
        return self.focus_active

    def in_meeting(self, t: int | None = None) -> bool:
        return (self.now if t is None else t) < self.busy_until

    def next_meeting(self, after: int) -> Meeting | None:
        upcoming = [m for m in self.meetings
                    if m.start >= after - 5 * MINUTE and not m.attended and not m.declined]
        return min(upcoming, key=lambda m: m.start, default=None)

    def pending_count(self) -> int:
        return len(self.inbox) + len(self.chats) + len(self.reviews) + len(self.tickets)

    def urgent(self) -> bool:
        return (self.incident is not None
                or (self.task is not None and self.task.phase == "ci_failed")
                or any(i.importance >= 0.8 for i in self.inbox + self.chats))


def is_workday(day: int) -> bool:
    return (EPOCH_LOCAL + timedelta(days=day)).weekday() < 5
