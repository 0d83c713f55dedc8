"""How the simulated person decides: the distribution over the next action, its
delay, the assistant's lane, whether they would accept a proactive nudge, and
which artifact the action touches.

Everything here is a pure function of the state, so the simulator can store the
exact distribution it sampled from; the harness turns those into a ceiling.
The weights encode the world's structure (docs/DATA.md lists them in words):
obligations pile up in queues and are served later (email at habitual hours,
reviews after meetings, chat after a focus block), so the next action depends
on much more than the last event.
"""

from __future__ import annotations

import functools
import math
import random
from dataclasses import dataclass

from augur.events.persona_world import MINUTE, State, is_workday

# Typical minutes an action keeps the person busy before the next one (x habits.pace).
DURATION_MIN: dict[str, float] = {
    "triage_inbox": 7, "read_email": 3, "reply_email": 6, "write_email": 9, "forward_email": 2,
    "archive_email": 1, "check_calendar": 2, "prepare_meeting": 9, "attend_meeting": 0,
    "write_meeting_notes": 7, "schedule_meeting": 4, "decline_meeting": 2, "write_code": 28,
    "fix_bug": 22, "refactor_code": 25, "run_tests": 6, "commit_code": 2, "open_pr": 6,
    "review_pr": 18, "address_review": 18, "merge_pr": 2, "check_ci": 4, "rerun_ci": 2,
    "deploy_release": 4, "rollback_deploy": 4, "read_chat": 2, "reply_chat": 3,
    "post_update": 4, "ask_question": 3, "ack_incident": 2, "investigate_incident": 20,
    "mitigate_incident": 18, "write_postmortem": 35, "plan_day": 8, "review_backlog": 12,
    "create_ticket": 5, "update_ticket": 3, "close_ticket": 2, "write_status_report": 15,
    "read_docs": 10, "write_docs": 30, "review_doc": 14, "comment_doc": 5, "start_day": 3,
    "start_focus": 1, "end_focus": 1, "take_break": 10, "lunch": 0, "end_day": 0,
    "reschedule_meeting": 3,
}
GAP_SIGMA = 0.45  # spread (log scale) of ordinary gaps between actions
SCHEDULED_SIGMA = 0.5  # spread of the last minutes before a scheduled action
BACKGROUND = ("read_docs", "check_calendar", "read_chat", "ask_question", "create_ticket",
              "post_update", "comment_doc", "schedule_meeting", "reschedule_meeting",
              "write_email", "forward_email", "take_break")
BACKGROUND_SHARE = 0.04  # mass spread over background actions: people are not automata

# Base lane distribution (ask, suggest, draft, act, escalate) per action family.
_LANES_BY_FAMILY: dict[str, tuple[float, ...]] = {
    "compose": (0.06, 0.14, 0.66, 0.10, 0.04),
    "inbox": (0.03, 0.22, 0.07, 0.64, 0.04),
    "calendar": (0.10, 0.55, 0.07, 0.25, 0.03),
    "code": (0.08, 0.62, 0.22, 0.05, 0.03),
    "mechanical": (0.03, 0.17, 0.05, 0.72, 0.03),
    "risky": (0.45, 0.25, 0.05, 0.10, 0.15),
    "incident": (0.04, 0.10, 0.06, 0.18, 0.62),
    "planning": (0.12, 0.58, 0.15, 0.12, 0.03),
    "flow": (0.04, 0.70, 0.04, 0.20, 0.02),
}
_FAMILY: dict[str, str] = {
    **dict.fromkeys(("reply_email", "write_email", "reply_chat", "post_update", "ask_question",
                     "write_meeting_notes", "write_status_report", "write_docs", "comment_doc",
                     "write_postmortem", "forward_email"), "compose"),
    **dict.fromkeys(("triage_inbox", "read_email", "archive_email", "read_chat"), "inbox"),
    **dict.fromkeys(("check_calendar", "prepare_meeting", "attend_meeting", "schedule_meeting",
                     "decline_meeting", "reschedule_meeting"), "calendar"),
    **dict.fromkeys(("write_code", "fix_bug", "refactor_code", "review_pr", "address_review",
                     "read_docs", "review_doc"), "code"),
    **dict.fromkeys(("run_tests", "commit_code", "open_pr", "check_ci", "rerun_ci",
                     "update_ticket", "close_ticket", "create_ticket"), "mechanical"),
    **dict.fromkeys(("merge_pr", "deploy_release", "rollback_deploy"), "risky"),
    **dict.fromkeys(("ack_incident", "investigate_incident", "mitigate_incident"), "incident"),
    **dict.fromkeys(("plan_day", "review_backlog"), "planning"),
    **dict.fromkeys(("start_day", "start_focus", "end_focus", "take_break", "lunch",
                     "end_day"), "flow"),
}
LANE_NAMES = ("ask", "suggest", "draft", "act", "escalate")


@dataclass(frozen=True)
class DelayLaw:
    """delay = offset + LogNormal(log(median), sigma), all in minutes."""

    offset: float
    median: float
    sigma: float

    def survival(self, elapsed: float) -> float:
        """P(delay > elapsed)."""
        x = elapsed - self.offset
        if x <= 0:
            return 1.0
        z = (math.log(x) - math.log(self.median)) / (self.sigma * math.sqrt(2))
        return 0.5 * math.erfc(z)


# ---------------------------------------------------------------------------
# the next action
# ---------------------------------------------------------------------------
def action_distribution(s: State) -> dict[str, float]:
    """P(next action | state). Sparse: actions with no weight are left out."""
    w = _weights(s)
    total = sum(w.values())
    probs = {a: (1 - BACKGROUND_SHARE) * v / total for a, v in w.items() if v > 0}
    if s.day_open:
        for a in BACKGROUND:
            probs[a] = probs.get(a, 0.0) + BACKGROUND_SHARE / len(BACKGROUND)
    else:
        probs = {a: v / (1 - BACKGROUND_SHARE) for a, v in probs.items()}
    return probs


def _weights(s: State) -> dict[str, float]:
    h = s.habits
    if not s.day_open:
        return {"start_day": 1.0}
    # Decisions made at the start of a meeting are about what follows it.
    t = max(s.now, s.busy_until)
    hour = s.local_hour(t)
    day = s.day_index(t)
    w: dict[str, float] = {}

    def add(action: str, weight: float) -> None:
        w[action] = w.get(action, 0.0) + weight

    if s.prev_action == "start_day":
        add(h.opener, 12.0)
        add("triage_inbox" if s.inbox else "read_chat", 2.0)
    if s.prev_action == "attend_meeting" and s.notes_due:
        add("write_meeting_notes", 10.0 * h.notes_after_meeting)
    _calendar(s, t, add)
    _incident(s, add)
    _email(s, hour, add)
    _chat(s, add)
    after_meeting = s.prev_action in ("attend_meeting", "write_meeting_notes")
    for item in s.reviews[:1]:
        age_h = (t - item.since) / 3600
        add("review_pr", (7.0 if after_meeting else 1.5) + min(age_h, 4.0))
    if s.tickets:
        add("update_ticket", 1.2)
    if s.docs:
        add("review_doc", 0.6 + 2.0 * (1 - h.coding_share))
    if s.invites:
        add("decline_meeting" if s.invites[0].conflict else "check_calendar", 2.5)
    _work(s, add)
    _day_shape(s, t, hour, day, add)
    if s.in_focus(t):
        keep = {"write_code", "fix_bug", "refactor_code", "run_tests", "commit_code", "check_ci",
                "end_focus", "attend_meeting", "ack_incident", "investigate_incident",
                "mitigate_incident", "read_docs", "open_pr", "address_review", "review_backlog",
                "write_docs", "lunch", "end_day", "rollback_deploy"}
        w = {a: (v if a in keep else 0.04 * v) for a, v in w.items()}
    return w


def _calendar(s: State, t: int, add) -> None:
    m = s.next_meeting(t)
    if m is None:
        return
    minutes = (m.start - t) / MINUTE
    if minutes <= 12:
        add("attend_meeting", 40.0)
    elif minutes <= 35 and not m.standup and not m.prepared:
        add("prepare_meeting", 9.0 * s.habits.prepares_meetings)


def _incident(s: State, add) -> None:
    inc = s.incident
    if inc is None:
        if s.postmortem_due:
            add("write_postmortem", 2.0)
        return
    step = {"alert": "ack_incident", "acked": "investigate_incident",
            "investigating": "investigate_incident" if inc.steps < 2 else "mitigate_incident",
            "mitigated": "post_update"}[inc.phase]
    add(step, 60.0)


def _email(s: State, hour: float, add) -> None:
    h = s.habits
    if not s.inbox:
        return
    window = next((eh for eh in h.email_hours if eh <= hour < eh + 0.75), None)
    top = s.inbox[0]
    if window is not None:
        if s.triage_window != window:
            add("triage_inbox", 4.0 + 10.0 * h.batch_strength)
        else:
            add("reply_email", 8.0)
            add("archive_email", 1.0 + len(s.inbox) / 4)
        return
    loose = 1.0 - h.batch_strength
    if top.importance >= 0.75:
        add("reply_email", 1.0 + 5.0 * loose)
    add("read_email", 2.0 * loose * min(len(s.inbox), 4) / 4 + 0.1)


def _chat(s: State, add) -> None:
    r = s.habits.chat_responsiveness
    if any(c.mention for c in s.chats):
        add("reply_chat", 1.0 + 6.0 * r)
    elif s.chats:
        add("read_chat", 0.3 + 1.5 * r * min(len(s.chats), 3) / 3)


_NEXT_STEP = {"code": "write_code", "test": "run_tests", "fix": "fix_bug", "commit": "commit_code",
              "ci_failed": "check_ci", "open_pr": "open_pr", "address": "address_review",
              "merge": "merge_pr", "close": "close_ticket"}


def _work(s: State, add) -> None:
    h = s.habits
    lead = 1.0 - h.coding_share
    if s.rollback_due:
        add("rollback_deploy", 30.0)
    if s.deploy_pending:
        add("deploy_release", 3.0)
    task = s.task
    if task is None:
        add("review_backlog", 1.0 + 2.0 * h.coding_share)
    elif task.phase in _NEXT_STEP:
        step = _NEXT_STEP[task.phase]
        weight = {"ci_failed": 25.0, "merge": 6.0, "close": 6.0}.get(task.phase,
                                                                     2.0 + 5.0 * h.coding_share)
        if step == "commit_code" and not task.tested:
            add("run_tests", weight * h.tests_before_commit)
            weight *= 1 - h.tests_before_commit
        add(step, weight)
        if task.phase == "code":
            add("refactor_code", 0.4)
    else:  # waiting on CI or on reviewers: fill the time
        add("read_chat", 0.8)
        add("read_email", 0.6)
        add("read_docs", 0.8)
        if task.phase == "ci_wait":
            add("check_ci", 1.5)
    add("write_docs", 2.5 * lead)
    add("review_doc", 0.5 * lead)


def _day_shape(s: State, t: int, hour: float, day: int, add) -> None:
    h = s.habits
    if s.lunch_day != day and hour >= h.lunch_hour - 0.2 and is_workday(day):
        add("lunch", 30.0)
    if s.focus_active:
        if (s.focus_until or 0) - t <= 10 * MINUTE:
            add("end_focus", 40.0)
    elif (is_workday(day) and s.focus_done_day != day and _focus_planned(s, day)
          and h.focus_hour <= hour < h.focus_hour + 1.5):
        add("start_focus", 20.0)
    if (t - s.last_break) / 3600 > 1.75:
        add("take_break", 1.5)
    end = h.end_hour if is_workday(day) else h.start_hour + 2.5  # weekends: a short session
    if hour >= end - 0.25:
        weekday = (day % 7)
        if weekday == 4 and s.status_report_week != day // 7 and is_workday(day):
            add("write_status_report", 20.0)
        add("end_day", 30.0 + 20.0 * (hour - end + 0.25))


def _focus_planned(s: State, day: int) -> bool:
    return day_coin(s, "focus", day) < s.habits.focus_prob


@functools.lru_cache(maxsize=4096)
def _coin(actor: str, name: str, day: int) -> float:
    return random.Random(f"augur-coin-{actor}-{name}-{day}").random()


def day_coin(s: State, name: str, day: int) -> float:
    """A fixed per-day coin of the persona, so a plan does not flicker between decisions."""
    return _coin(s.habits.actor, name, day)


# ---------------------------------------------------------------------------
# delay, lane, proactive acceptance, target artifact
# ---------------------------------------------------------------------------
def delay_law(s: State, action: str) -> DelayLaw:
    """How long after now (minutes) `action` happens, given the state."""
    h = s.habits
    free = max(0.0, (s.busy_until - s.now) / MINUTE)
    target = _scheduled_time(s, action)
    if target is not None:
        offset = max(free, (target - s.now) / MINUTE - 1.0)
        return DelayLaw(offset=round(offset, 4), median=1.0, sigma=SCHEDULED_SIGMA)
    busy = DURATION_MIN.get(s.prev_action or "", 3.0) * h.pace
    if s.prev_action == "lunch":
        busy = h.lunch_min
    return DelayLaw(offset=round(free, 4), median=round(busy + 1.0, 4), sigma=GAP_SIGMA)


def _scheduled_time(s: State, action: str) -> int | None:
    h = s.habits
    if action == "start_day":
        return next_start(s)
    if action == "attend_meeting":
        m = s.next_meeting(max(s.now, s.busy_until))
        return m.start if m else None
    if action == "end_focus" and s.focus_active and (s.focus_until or 0) > s.now:
        return s.focus_until
    if action == "lunch":
        return max(s.now, s.at_local(s.day_index(), h.lunch_hour))
    return None


def next_start(s: State) -> int:
    """When the next working session starts (weekend sessions are rare and short)."""
    h = s.habits
    day = s.day_index()
    while True:
        if is_workday(day):
            start = s.at_local(day, h.start_hour)
        elif day_coin(s, "weekend", day) < h.weekend_work:
            start = s.at_local(day, h.start_hour + 1.5)
        else:
            start = None
        if start is not None and start > s.now:
            return start
        day += 1


def lane_distribution(s: State, action: str, target_importance: float,
                      question: bool) -> list[float]:
    """P(lane | the next action and what it touches)."""
    h = s.habits
    p = list(_LANES_BY_FAMILY[_FAMILY[action]])
    if question:  # the assistant lacks what it needs: ask first
        p[0] *= 10.0
    if target_importance >= 0.8:
        p[4] *= 4.0
    elif target_importance < 0.3:
        p[3] *= 2.0  # trivia: just do it
    p[3] *= h.delegation
    p[2] /= h.delegation
    if s.in_focus():  # keep it light while they focus
        p[1] *= 2.5
        p[3] *= 0.6
    total = sum(p)
    return [x / total for x in p]


def proactive_probability(s: State, event_type: str, pending_lane_act: float) -> float:
    """P(a proactive nudge right now would be accepted). Rare by default: people accept
    help when something is urgent or they just finished a piece of work, and refuse it
    in a focus block, a meeting or off hours."""
    h = s.habits
    z = h.receptiveness
    if s.in_focus():
        z -= 2.5
    if s.in_meeting():
        z -= 2.5
    if not s.day_open:
        z -= 2.5
    if s.urgent():
        z += 2.2
    if event_type in ("commit_pushed", "pr_activity", "day_started", "focus_ended",
                      "ticket_activity"):
        z += 1.6
    if event_type in ("chat_mention", "incident_alert", "ci_failed", "deploy_finished"):
        z += 1.0
    if s.pending_count() >= 6:
        z += 0.7
    z += 1.2 * pending_lane_act
    return 1.0 / (1.0 + math.exp(-z))
