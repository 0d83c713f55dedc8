"""Six named scenarios, each a short event window anchored to a time of day.

Used by `augur compare` and by the playground to put two checkpoints side by
side on moments people recognise. Each scenario is a list of observable
events (no labels) plus the candidate artifacts to rank.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from augur.events.schema import Artifact, Event

ME = "persona-42"
TZ = timezone(timedelta(hours=1))
# (minutes after the anchor, type, source, actor, importance, action, artifact, attributes)
Row = tuple[int, str, str, str, float, str | None, str, dict]

_SCENARIOS: dict[str, tuple[str, str, list[Row], list[tuple[str, str]]]] = {
    "ci_failure": ("10:30", "a commit, then CI goes red", [
        (0, "day_started", "system", ME, 0.3, "start_day", "notes-1", {}),
        (20, "code_edited", "editor", ME, 0.3, "write_code", "pr-7", {}),
        (48, "code_edited", "editor", ME, 0.3, "write_code", "pr-7", {}),
        (75, "commit_pushed", "git", ME, 0.3, "commit_code", "pr-7", {}),
        (84, "ci_failed", "ci", "ci-bot", 0.75, None, "build-8", {}),
    ], [("build-8", "build"), ("pr-7", "pr"), ("thread-3", "thread"), ("notes-1", "notes")]),
    "morning_email": ("08:40", "the day starts with a full inbox", [
        (0, "email_received", "mail", "ana", 0.4, None, "thread-11", {"question": False}),
        (12, "email_received", "mail", "ben", 0.8, None, "thread-12", {"question": True}),
        (20, "email_received", "mail", "external", 0.2, None, "thread-13", {}),
        (31, "day_started", "system", ME, 0.3, "start_day", "notes-2", {}),
    ], [("thread-12", "thread"), ("thread-11", "thread"), ("thread-13", "thread"),
        ("notes-2", "notes")]),
    "deep_coding": ("14:10", "in a focus block, a chat arrives", [
        (0, "focus_started", "system", ME, 0.3, "start_focus", "notes-3", {}),
        (5, "code_edited", "editor", ME, 0.3, "write_code", "pr-9", {}),
        (33, "code_edited", "editor", ME, 0.3, "write_code", "pr-9", {}),
        (40, "chat_message", "chat", "chen", 0.3, None, "chat-atlas", {}),
    ], [("pr-9", "pr"), ("chat-atlas", "chat"), ("notes-3", "notes"), ("doc-atlas", "doc")]),
    "afternoon_meetings": ("13:50", "a review request, then a meeting reminder", [
        (0, "pr_review_requested", "code_host", "dara", 0.6, None, "pr-21", {}),
        (5, "calendar_reminder", "calendar", "calendar", 0.5, None, "meeting-22",
         {"starts_in_min": 10, "standup": False, "duration_min": 60}),
        (14, "meeting_started", "calendar", ME, 0.3, "attend_meeting", "meeting-22", {}),
    ], [("pr-21", "pr"), ("meeting-22", "meeting"), ("notes-4", "notes"),
        ("thread-5", "thread")]),
    "pr_review": ("11:15", "two review requests wait after a standup", [
        (0, "pr_review_requested", "code_host", "eli", 0.55, None, "pr-31", {}),
        (20, "pr_review_requested", "code_host", "farah", 0.7, None, "pr-32", {}),
        (25, "ticket_activity", "tracker", ME, 0.3, "update_ticket", "ticket-4", {}),
    ], [("pr-31", "pr"), ("pr-32", "pr"), ("ticket-4", "ticket"), ("notes-5", "notes")]),
    "end_of_day": ("17:20", "the working day winds down", [
        (0, "commit_pushed", "git", ME, 0.3, "commit_code", "pr-41", {}),
        (9, "ci_passed", "ci", "ci-bot", 0.3, None, "build-42", {}),
        (15, "chat_activity", "chat", ME, 0.3, "post_update", "chat-atlas", {}),
    ], [("notes-6", "notes"), ("pr-41", "pr"), ("chat-atlas", "chat"),
        ("build-42", "build")]),
}
NAMES = tuple(_SCENARIOS)


def scenario(name: str) -> tuple[list[Event], list[Artifact], str]:
    """(events, candidates, description) of a named scenario."""
    if name not in _SCENARIOS:
        raise ValueError(f"unknown scenario {name!r}; choose one of {', '.join(NAMES)}")
    anchor, description, rows, cands = _SCENARIOS[name]
    hour, minute = map(int, anchor.split(":"))
    t0 = datetime(2026, 3, 4, hour, minute, tzinfo=TZ)  # a Wednesday
    span = rows[-1][0]
    events = [Event(ts=t0 + timedelta(minutes=m - span), type=t, source=src, actor=actor,
                    importance=imp, action=act, project="atlas", stream=ME,
                    attributes={"artifact": art, **attrs})
              for m, t, src, actor, imp, act, art, attrs in rows]
    return events, [Artifact(id=i, kind=k, project="atlas") for i, k in cands], description
