"""Which memory artifact each action would touch, given the state.

The relevance label of a step is the artifact its next action touches; the
candidates are the artifacts the likely next actions would touch plus recent
ones. Given the action, the target is a pure function of the state (the top of
the relevant queue, the task's PR, the day's notes), so the simulator can turn
its action distribution into an exact distribution over candidates.
"""

from __future__ import annotations

from augur.events.persona_effects import World
from augur.events.persona_world import State

_DAY_NOTES = {"start_day", "end_day", "lunch", "take_break", "start_focus", "end_focus",
              "plan_day"}
_TASK_PR = {"write_code", "fix_bug", "refactor_code", "run_tests", "commit_code", "open_pr",
            "address_review", "merge_pr"}
_INCIDENT = {"ack_incident", "investigate_incident", "mitigate_incident"}


def target_of(s: State, world: World, action: str) -> tuple[str, float, bool]:
    """(artifact id, its importance, whether it asks a question) for `action`."""
    project = s.task.project if s.task else s.habits.projects[0]
    if action in _DAY_NOTES:
        return world.named(f"notes-{s.day_index()}", "notes", None), 0.3, False
    if s.incident and (action in _INCIDENT or action == "post_update"):
        return s.incident.artifact, 0.95, False
    if action in _TASK_PR and s.task:
        return s.task.pr, 0.5, False
    if action in ("check_ci", "rerun_ci") and s.task:
        return s.task.build, 0.6, False
    if action in ("triage_inbox", "read_email", "reply_email", "forward_email",
                  "archive_email") and s.inbox:
        top = s.inbox[0]
        return top.artifact, top.importance, top.question
    if action in ("reply_chat", "read_chat") and s.chats:
        mentions = [c for c in s.chats if c.mention]
        top = mentions[0] if action == "reply_chat" and mentions else s.chats[0]
        return top.artifact, top.importance, False
    if action == "review_pr" and s.reviews:
        return s.reviews[0].artifact, s.reviews[0].importance, False
    if action in ("review_doc", "comment_doc") and s.docs:
        return s.docs[0].artifact, s.docs[0].importance, False
    if action in ("decline_meeting", "check_calendar") and s.invites:
        return s.invites[0].artifact, 0.4, s.invites[0].conflict
    if action in ("attend_meeting", "prepare_meeting", "reschedule_meeting", "check_calendar"):
        m = s.next_meeting(max(s.now, s.busy_until))
        if m is not None:
            return m.artifact, 0.5, False
    if action == "write_meeting_notes" and s.notes_due:
        return s.notes_due, 0.4, False
    if action == "write_postmortem" and s.postmortem_due:
        return s.postmortem_due, 0.6, False
    if action in ("deploy_release", "rollback_deploy"):
        build = s.rollback_due if action == "rollback_deploy" else s.deploy_pending
        if build:
            return build, 0.8 if action == "rollback_deploy" else 0.6, False
    if action in ("update_ticket", "close_ticket"):
        if action == "update_ticket" and s.tickets:
            return s.tickets[0].artifact, s.tickets[0].importance, False
        if s.task:
            return s.task.ticket, 0.4, False
    if action in ("review_backlog", "create_ticket"):
        return world.named(f"backlog-{project}", "doc", project), 0.3, False
    if action in ("write_email", "forward_email"):
        return world.named(f"thread-{project}-team", "thread", project), 0.3, False
    if action in ("post_update", "ask_question", "read_chat", "reply_chat"):
        return world.named(f"chat-{project}", "chat", project), 0.3, False
    # docs work and anything left: the project's design doc
    return world.named(f"doc-{project}", "doc", project), 0.3, False
