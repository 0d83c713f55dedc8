"""What the world does: each day's arrivals, how an arrival changes the state,
and what each of the person's actions changes and sets in motion.

Arrivals are `Arrival` records pushed on the simulator's time-ordered queue;
the simulator turns each into an event when its time comes. A `rollover` at
local midnight draws the day's arrivals, so nothing depends on how many days
are asked for: `generate(30)` is a prefix of `generate(730)`.
"""

from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from augur.events.persona_world import (
    HOUR,
    MINUTE,
    Incident,
    Item,
    Meeting,
    State,
    Task,
    is_workday,
)

# Relative email arrival rate per local hour: a morning peak, a post-lunch bump, quiet nights.
EMAIL_PROFILE = (1, 1, 1, 1, 1, 2, 4, 8, 14, 16, 14, 11, 8, 11, 12, 11, 9, 6, 4, 3, 2, 2, 1, 1)
TOPICS = ("release", "budget", "hiring", "roadmap", "bug", "customer", "security", "offsite",
          "metrics", "onboarding")


@dataclass(order=True)
class Arrival:
    t: int
    seq: int
    kind: str = field(compare=False)  # an external event type, or "rollover"
    data: dict[str, Any] = field(compare=False, default_factory=dict)


class World:
    """Schedules arrivals and applies their effects and the person's actions to the state."""

    def __init__(self, state: State, rng: random.Random, push) -> None:
        self.s = state
        self.rng = rng
        self.push = push  # push(t, kind, data)
        self.artifacts: dict[str, tuple[str, str | None]] = {}  # id -> (kind, project)
        self.created: deque[str] = deque(maxlen=200)  # distractor pool for relevance
        self.backlog: list[Item] = []

    # ---- artifacts -------------------------------------------------------------
    def artifact(self, prefix: str, kind: str, project: str | None) -> str:
        aid = self.s.new_id(prefix)
        self.artifacts[aid] = (kind, project)
        self.created.append(aid)
        return aid

    def named(self, aid: str, kind: str, project: str | None) -> str:
        if aid not in self.artifacts:
            self.artifacts[aid] = (kind, project)
            self.created.append(aid)
        return aid

    def project(self) -> str:
        return self.rng.choice(self.s.habits.projects)

    # ---- the day's arrivals ----------------------------------------------------
    def rollover(self, day: int) -> None:
        s, h, rng = self.s, self.s.habits, self.rng
        s.meetings = [m for m in s.meetings if m.end > s.now]  # keep the calendar small
        work = is_workday(day)
        for _ in range(_poisson(rng, h.email_rate * (1.0 if work else 0.15))):
            hour = rng.choices(range(24), weights=EMAIL_PROFILE)[0] + rng.random()
            self.push(s.at_local(day, hour), "email_received", {})
        if work:
            lo, hi = h.start_hour - 0.5, h.end_hour + 0.5
            for kind, rate in (("chat", h.chat_rate), ("pr_review_requested", h.review_rate),
                               ("ticket_assigned", 0.6),
                               ("doc_shared", 0.3 + 0.9 * (1 - h.coding_share))):
                for _ in range(_poisson(rng, rate)):
                    t = s.at_local(day, rng.uniform(lo, hi))
                    if kind == "chat":
                        kind_now = "chat_mention" if rng.random() < 0.3 else "chat_message"
                        self.push(t, kind_now, {})
                    else:
                        self.push(t, kind, {})
        if rng.random() < h.incident_rate * (1.0 if work else 0.5):
            at_work = rng.random() < 0.8
            hour = rng.uniform(h.start_hour, h.end_hour) if at_work else rng.uniform(0, 24)
            self.push(s.at_local(day, hour), "incident_alert", {})
        # The calendar is filled two days ahead; invites announce it today.
        if day == 0:
            for d in (0, 1):
                self.plan_meetings(d, invite_day=None)
        self.plan_meetings(day + 2, invite_day=day if work else None)

    def plan_meetings(self, day: int, invite_day: int | None) -> None:
        h, rng = self.s.habits, self.rng
        if not is_workday(day):
            return
        taken: list[tuple[float, float]] = [(h.lunch_hour - 0.25, h.lunch_hour + 1.0)]
        if h.standup_hour is not None:
            self.add_meeting(day, h.standup_hour, 0.25, standup=True, invite_day=None)
            taken.append((h.standup_hour - 0.1, h.standup_hour + 0.35))
        for _ in range(_poisson(rng, h.meetings_per_day)):
            length = rng.choice((0.5, 0.5, 1.0))
            start = round(rng.uniform(h.start_hour + 0.5, h.end_hour - length - 0.25) * 2) / 2
            if any(start < b and start + length > a for a, b in taken):
                continue
            taken.append((start, start + length))
            self.add_meeting(day, start, length, standup=False, invite_day=invite_day)

    def add_meeting(self, day: int, start_h: float, length_h: float, standup: bool,
                    invite_day: int | None) -> None:
        s, h, rng = self.s, self.s.habits, self.rng
        project = rng.choice(h.projects)
        aid = (self.named(f"meeting-standup-{day}", "meeting", project) if standup
               else self.artifact("meeting", "meeting", project))
        start = s.at_local(day, start_h)
        m = Meeting(start=start, end=start + round(length_h * HOUR), artifact=aid,
                    project=project, standup=standup)
        s.meetings.append(m)
        self.push(start - 10 * MINUTE, "calendar_reminder", {"meeting": m})
        if invite_day is not None:
            t = s.at_local(invite_day, rng.uniform(h.start_hour, h.end_hour))
            self.push(t, "meeting_invite", {"meeting": m, "conflict": rng.random() < 0.15})

    # ---- arrivals change the state ---------------------------------------------
    def arrive(self, a: Arrival) -> dict[str, Any] | None:
        """Apply an arrival; return the event fields, or None if it no longer happens."""
        handler = getattr(self, f"_on_{a.kind}")
        return handler(a)

    def _on_email_received(self, a: Arrival) -> dict[str, Any]:
        s, h, rng = self.s, self.s.habits, self.rng
        sender = h.manager if rng.random() < 0.15 else rng.choice(h.colleagues + ("external",))
        imp = min(1.0, rng.betavariate(2, 4) + (0.35 if sender == h.manager else 0.0))
        thread = a.data.get("thread") or self.artifact("thread", "thread", self.project())
        item = Item(thread, "email", round(imp, 3), a.t, self.artifacts[thread][1],
                    question=rng.random() < 0.2)
        s.inbox.append(item)
        s.inbox.sort(key=lambda i: (-i.importance, i.since))
        return {"actor": sender, "importance": item.importance, "artifact": thread,
                "project": item.project, "topic": rng.choice(TOPICS),
                "attributes": {"question": item.question}}

    def _chat(self, a: Arrival, mention: bool) -> dict[str, Any]:
        s, rng = self.s, self.rng
        project = self.project()
        channel = self.named(f"chat-{project}", "chat", project)
        imp = round(rng.uniform(0.4, 0.85) if mention else rng.uniform(0.1, 0.5), 3)
        s.chats.append(Item(channel, "chat", imp, a.t, project, mention=mention))
        return {"actor": rng.choice(s.habits.colleagues), "importance": imp,
                "artifact": channel, "project": project}

    def _on_chat_message(self, a: Arrival) -> dict[str, Any]:
        return self._chat(a, mention=False)

    def _on_chat_mention(self, a: Arrival) -> dict[str, Any]:
        return self._chat(a, mention=True)

    def _on_pr_review_requested(self, a: Arrival) -> dict[str, Any]:
        project = self.project()
        pr = self.artifact("pr", "pr", project)
        imp = round(self.rng.uniform(0.4, 0.75), 3)
        self.s.reviews.append(Item(pr, "review", imp, a.t, project))
        return {"actor": self.rng.choice(self.s.habits.colleagues), "importance": imp,
                "artifact": pr, "project": project}

    def _on_ticket_assigned(self, a: Arrival) -> dict[str, Any]:
        project = self.project()
        ticket = self.artifact("ticket", "ticket", project)
        imp = round(self.rng.uniform(0.3, 0.8), 3)
        self.s.tickets.append(Item(ticket, "ticket", imp, a.t, project))
        return {"actor": self.s.habits.manager, "importance": imp, "artifact": ticket,
                "project": project}

    def _on_doc_shared(self, a: Arrival) -> dict[str, Any]:
        project = self.project()
        doc = self.artifact("doc", "doc", project)
        imp = round(self.rng.uniform(0.2, 0.6), 3)
        self.s.docs.append(Item(doc, "doc", imp, a.t, project))
        return {"actor": self.rng.choice(self.s.habits.colleagues), "importance": imp,
                "artifact": doc, "project": project}

    def _on_incident_alert(self, a: Arrival) -> dict[str, Any] | None:
        if self.s.incident is not None:
            return None  # one incident at a time: a second page folds into the first
        inc = self.artifact("incident", "incident", self.project())
        self.s.incident = Incident(inc)
        return {"actor": "pager", "importance": round(self.rng.uniform(0.85, 1.0), 3),
                "artifact": inc, "project": self.artifacts[inc][1]}

    def _on_meeting_invite(self, a: Arrival) -> dict[str, Any]:
        m: Meeting = a.data["meeting"]
        item = Item(m.artifact, "invite", 0.4, a.t, m.project, conflict=a.data["conflict"])
        self.s.invites.append(item)
        minutes = round((m.end - m.start) / MINUTE)
        return {"actor": self.rng.choice(self.s.habits.colleagues), "importance": 0.4,
                "artifact": m.artifact, "project": m.project,
                "attributes": {"conflict": item.conflict, "duration_min": minutes}}

    def _on_calendar_reminder(self, a: Arrival) -> dict[str, Any] | None:
        m: Meeting = a.data["meeting"]
        if m.declined:
            return None
        m.reminded = True
        return {"actor": "calendar", "importance": 0.5, "artifact": m.artifact,
                "project": m.project,
                "attributes": {"starts_in_min": 10, "standup": m.standup,
                               "duration_min": round((m.end - m.start) / MINUTE)}}

    def _ci(self, a: Arrival, passed: bool) -> dict[str, Any]:
        task = self.s.task
        if task is not None and task.build == a.data["build"] and task.phase == "ci_wait":
            if not passed:
                task.phase = "ci_failed"
            elif not task.pr_open:
                task.phase = "open_pr"
            else:
                task.phase = "merge" if task.approved else "pr_wait"
                if not task.approved:
                    self.push(a.t + round(self.rng.uniform(0.7, 3) * HOUR), "pr_approved",
                              {"pr": task.pr})
        return {"actor": "ci-bot", "importance": 0.3 if passed else 0.75,
                "artifact": a.data["build"], "project": self.artifacts[a.data["build"]][1]}

    def _on_ci_passed(self, a: Arrival) -> dict[str, Any]:
        return self._ci(a, passed=True)

    def _on_ci_failed(self, a: Arrival) -> dict[str, Any]:
        return self._ci(a, passed=False)

    def _pr_feedback(self, a: Arrival, approved: bool) -> dict[str, Any]:
        task = self.s.task
        if task is not None and task.pr == a.data["pr"]:
            task.approved = task.approved or approved
            if task.phase == "pr_wait":
                task.phase = "merge" if approved else "address"
        return {"actor": self.rng.choice(self.s.habits.colleagues), "importance": 0.5,
                "artifact": a.data["pr"], "project": self.artifacts[a.data["pr"]][1]}

    def _on_pr_comment(self, a: Arrival) -> dict[str, Any]:
        return self._pr_feedback(a, approved=False)

    def _on_pr_approved(self, a: Arrival) -> dict[str, Any]:
        return self._pr_feedback(a, approved=True)

    def _on_deploy_finished(self, a: Arrival) -> dict[str, Any]:
        ok = a.data["ok"]
        if not ok:
            self.s.rollback_due = a.data["build"]
        return {"actor": "ci-bot", "importance": 0.35 if ok else 0.9, "artifact": a.data["build"],
                "project": self.artifacts[a.data["build"]][1], "attributes": {"ok": ok}}

    # ---- the person's actions change the state ---------------------------------
    def act(self, action: str, target: str) -> None:
        s, rng, now = self.s, self.rng, self.s.now
        task = s.task
        if action == "start_day":
            s.day_open, s.triage_window, s.last_break = True, None, now
        elif action == "end_day":
            s.day_open, s.focus_active = False, False
        elif action == "triage_inbox":
            hour = s.local_hour()
            s.triage_window = next((eh for eh in s.habits.email_hours
                                    if eh <= hour < eh + 0.75), hour)
            s.inbox = [i for i in s.inbox if i.importance >= 0.3]
        elif action == "read_email" and s.inbox:
            if s.inbox[0].importance < 0.55:
                s.inbox.pop(0)
        elif action in ("reply_email", "forward_email", "archive_email") and s.inbox:
            item = s.inbox.pop(0)
            if action == "reply_email" and rng.random() < 0.3:
                self.push(now + round(rng.uniform(1, 6) * HOUR), "email_received",
                          {"thread": item.artifact})
        elif action == "check_calendar" and s.invites:
            s.invites.pop(0)
        elif action == "decline_meeting" and s.invites:
            item = s.invites.pop(0)
            for m in s.meetings:
                if m.artifact == item.artifact:
                    m.declined = True
        elif action in ("prepare_meeting", "attend_meeting"):
            m = s.next_meeting(max(now, s.busy_until))
            if m is not None and action == "prepare_meeting":
                m.prepared = True
            elif m is not None:
                m.attended = True
                s.busy_until = m.end
                s.notes_due = None if m.standup else m.artifact
        elif action == "write_meeting_notes":
            s.notes_due = None
        elif action == "schedule_meeting":
            self.add_meeting(s.day_index() + rng.choice((2, 3, 4)), rng.choice((10.0, 14.0, 15.0)),
                             0.5, standup=False, invite_day=None)
        elif action in ("read_chat", "reply_chat"):
            mentions = [c for c in s.chats if c.mention]
            if action == "reply_chat" and mentions:
                s.chats.remove(mentions[0])
            else:
                s.chats = mentions
        elif action == "review_pr" and s.reviews:
            s.reviews.pop(0)
        elif action == "update_ticket" and s.tickets:
            self.backlog.append(s.tickets.pop(0))
        elif action == "review_doc" and s.docs:
            s.docs.pop(0)
        elif action == "write_status_report":
            s.status_report_week = s.day_index() // 7
        elif action == "start_focus":
            s.focus_active, s.focus_done_day = True, s.day_index()
            s.focus_until = now + round(s.habits.focus_min * MINUTE)
        elif action == "end_focus":
            s.focus_active = False
        elif action in ("take_break", "lunch"):
            s.last_break = now
            if action == "lunch":
                s.lunch_day = s.day_index()
        elif action == "write_postmortem":
            s.postmortem_due = None
        elif action == "deploy_release" and s.deploy_pending:
            build, s.deploy_pending = s.deploy_pending, None
            self.push(now + round(rng.uniform(8, 20) * MINUTE), "deploy_finished",
                      {"build": build, "ok": rng.random() > 0.1})
        elif action == "rollback_deploy":
            s.rollback_due = None
        elif action == "review_backlog" and task is None:
            self._start_task()
        self._incident_step(action)
        if task is not None:
            self._task_step(task, action)

    def _incident_step(self, action: str) -> None:
        inc = self.s.incident
        if inc is None:
            return
        if action == "ack_incident" and inc.phase == "alert":
            inc.phase = "acked"
        elif action == "investigate_incident" and inc.phase in ("acked", "investigating"):
            inc.phase, inc.steps = "investigating", inc.steps + 1
        elif action == "mitigate_incident" and inc.phase == "investigating":
            inc.phase = "mitigated"
        elif action == "post_update" and inc.phase == "mitigated":
            self.s.postmortem_due, self.s.incident = inc.artifact, None

    def _start_task(self) -> None:
        item = self.backlog.pop(0) if self.backlog else None
        project = item.project if item and item.project else self.project()
        ticket = item.artifact if item else self.artifact("ticket", "ticket", project)
        self.s.task = Task(ticket=ticket, pr=self.artifact("pr", "pr", project),
                           build=self.artifact("build", "build", project), project=project,
                           code_steps=self.rng.randint(2, 5))

    def _task_step(self, task: Task, action: str) -> None:
        s, rng, now = self.s, self.rng, self.s.now
        if action in ("write_code", "refactor_code") and task.phase == "code":
            task.code_steps -= 1
            task.tested = False
            if task.code_steps <= 0:
                task.phase = "commit"
        elif action == "run_tests" and task.phase in ("code", "commit"):
            failed = rng.random() < 0.3
            task.phase, task.tested = ("fix", False) if failed else ("commit", True)
        elif action == "fix_bug" and task.phase == "fix":
            task.phase, task.tested = "commit", False
        elif action == "commit_code" and task.phase == "commit":
            task.phase = "ci_wait"
            fail = 0.12 if task.tested else 0.35
            self._push_ci(task, fail)
        elif action == "rerun_ci" and task.phase == "ci_wait":
            self._push_ci(task, 0.2)
        elif action == "check_ci" and task.phase == "ci_failed":
            task.phase = "fix"
        elif action == "open_pr" and task.phase == "open_pr":
            task.phase, task.pr_open = "pr_wait", True
            kind = "pr_comment" if rng.random() < 0.55 else "pr_approved"
            self.push(now + round(rng.uniform(1.5, 5) * HOUR), kind, {"pr": task.pr})
        elif action == "address_review" and task.phase == "address":
            task.phase = "commit"
        elif action == "merge_pr" and task.phase == "merge":
            task.phase = "close"
            if rng.random() < 0.4:
                s.deploy_pending = task.build
        elif action == "close_ticket" and task.phase == "close":
            s.task = None

    def _push_ci(self, task: Task, fail: float) -> None:
        kind = "ci_failed" if self.rng.random() < fail else "ci_passed"
        self.push(self.s.now + round(self.rng.uniform(4, 12) * MINUTE), kind,
                  {"build": task.build})


def _poisson(rng: random.Random, lam: float) -> int:
    """Knuth's method; fine for the small rates used here."""
    limit, k, p = pow(2.718281828459045, -lam), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k
