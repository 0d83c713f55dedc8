"""The fixed vocabularies of the synthetic knowledge-worker world.

These lists are part of the data contract: models embed them by index, the
harness scores against them, and docs/DATA.md explains each entry. Append-only:
reordering or renaming breaks every checkpoint and eval set made before.
"""

# Exactly 50 things a person can do next. Grouped by area for readability;
# the order of this tuple is the class index used everywhere.
ACTIONS: tuple[str, ...] = (
    # email
    "triage_inbox", "read_email", "reply_email", "write_email", "forward_email", "archive_email",
    # meetings and calendar
    "check_calendar", "prepare_meeting", "attend_meeting", "write_meeting_notes",
    "schedule_meeting", "decline_meeting",
    # code
    "write_code", "fix_bug", "refactor_code", "run_tests", "commit_code",
    "open_pr", "review_pr", "address_review", "merge_pr",
    # CI and deploys
    "check_ci", "rerun_ci", "deploy_release", "rollback_deploy",
    # chat
    "read_chat", "reply_chat", "post_update", "ask_question",
    # incidents
    "ack_incident", "investigate_incident", "mitigate_incident", "write_postmortem",
    # tickets and planning
    "plan_day", "review_backlog", "create_ticket", "update_ticket", "close_ticket",
    "write_status_report",
    # documents
    "read_docs", "write_docs", "review_doc", "comment_doc",
    # the shape of the day
    "start_day", "start_focus", "end_focus", "take_break", "lunch", "end_day",
    "reschedule_meeting",
)

# How an assistant should respond to what comes next, from least to most forward.
LANES: tuple[str, ...] = ("ask", "suggest", "draft", "act", "escalate")

# Events from the outside world: they arrive whatever the person is doing.
EXTERNAL_EVENT_TYPES: tuple[str, ...] = (
    "email_received", "calendar_reminder", "meeting_invite", "ci_passed", "ci_failed",
    "pr_review_requested", "pr_comment", "pr_approved", "chat_message", "chat_mention",
    "incident_alert", "ticket_assigned", "doc_shared", "deploy_finished",
)

# Events the person's own actions leave behind. Each action maps to one of these
# (ACTION_EVENT below); the event's `action` field names the action itself.
SELF_EVENT_TYPES: tuple[str, ...] = (
    "email_activity", "calendar_activity", "meeting_started", "code_edited", "tests_run",
    "commit_pushed", "pr_activity", "ci_activity", "deploy_started", "chat_activity",
    "incident_activity", "ticket_activity", "doc_activity", "focus_started", "focus_ended",
    "break_started", "day_started", "day_ended",
)

# A recorded activity from an imported log, whose name lives in `action`.
IMPORTED_EVENT_TYPE = "activity"

EVENT_TYPES: tuple[str, ...] = EXTERNAL_EVENT_TYPES + SELF_EVENT_TYPES + (IMPORTED_EVENT_TYPE,)

SOURCES: tuple[str, ...] = (
    "mail", "calendar", "git", "ci", "code_host", "chat", "pager", "tracker", "docs",
    "editor", "system", "import",
)

# action -> (event type, source) of the event the action leaves in the stream.
ACTION_EVENT: dict[str, tuple[str, str]] = {
    "triage_inbox": ("email_activity", "mail"),
    "read_email": ("email_activity", "mail"),
    "reply_email": ("email_activity", "mail"),
    "write_email": ("email_activity", "mail"),
    "forward_email": ("email_activity", "mail"),
    "archive_email": ("email_activity", "mail"),
    "check_calendar": ("calendar_activity", "calendar"),
    "prepare_meeting": ("doc_activity", "docs"),
    "attend_meeting": ("meeting_started", "calendar"),
    "write_meeting_notes": ("doc_activity", "docs"),
    "schedule_meeting": ("calendar_activity", "calendar"),
    "decline_meeting": ("calendar_activity", "calendar"),
    "reschedule_meeting": ("calendar_activity", "calendar"),
    "write_code": ("code_edited", "editor"),
    "fix_bug": ("code_edited", "editor"),
    "refactor_code": ("code_edited", "editor"),
    "run_tests": ("tests_run", "editor"),
    "commit_code": ("commit_pushed", "git"),
    "open_pr": ("pr_activity", "code_host"),
    "review_pr": ("pr_activity", "code_host"),
    "address_review": ("pr_activity", "code_host"),
    "merge_pr": ("pr_activity", "code_host"),
    "check_ci": ("ci_activity", "ci"),
    "rerun_ci": ("ci_activity", "ci"),
    "deploy_release": ("deploy_started", "ci"),
    "rollback_deploy": ("deploy_started", "ci"),
    "read_chat": ("chat_activity", "chat"),
    "reply_chat": ("chat_activity", "chat"),
    "post_update": ("chat_activity", "chat"),
    "ask_question": ("chat_activity", "chat"),
    "ack_incident": ("incident_activity", "pager"),
    "investigate_incident": ("incident_activity", "pager"),
    "mitigate_incident": ("incident_activity", "pager"),
    "write_postmortem": ("doc_activity", "docs"),
    "plan_day": ("ticket_activity", "tracker"),
    "review_backlog": ("ticket_activity", "tracker"),
    "create_ticket": ("ticket_activity", "tracker"),
    "update_ticket": ("ticket_activity", "tracker"),
    "close_ticket": ("ticket_activity", "tracker"),
    "write_status_report": ("doc_activity", "docs"),
    "read_docs": ("doc_activity", "docs"),
    "write_docs": ("doc_activity", "docs"),
    "review_doc": ("doc_activity", "docs"),
    "comment_doc": ("doc_activity", "docs"),
    "start_day": ("day_started", "system"),
    "start_focus": ("focus_started", "system"),
    "end_focus": ("focus_ended", "system"),
    "take_break": ("break_started", "system"),
    "lunch": ("break_started", "system"),
    "end_day": ("day_ended", "system"),
}

# Kinds of memory artifacts an action can touch (the relevance head ranks these).
ARTIFACT_KINDS: tuple[str, ...] = (
    "thread", "pr", "doc", "ticket", "meeting", "incident", "build", "chat", "notes",
)

ACTION_INDEX: dict[str, int] = {a: i for i, a in enumerate(ACTIONS)}
LANE_INDEX: dict[str, int] = {lane: i for i, lane in enumerate(LANES)}

assert len(ACTIONS) == 50 and len(set(ACTIONS)) == 50, "the action vocabulary must hold 50"
assert len(LANES) == 5
assert set(ACTION_EVENT) == set(ACTIONS), "every action needs the event it leaves behind"
assert len(set(EVENT_TYPES)) == len(EVENT_TYPES)
