from collections import Counter
from datetime import timedelta

import pytest

from augur.events.persona import KnowledgeWorkerPersona
from augur.events.persona_habits import draw_habits
from augur.events.vocab import ACTIONS, EVENT_TYPES, LANES


def _json(events):
    return [e.to_json() for e in events]


def test_same_seed_gives_byte_identical_output():
    assert _json(KnowledgeWorkerPersona(11).generate(7)) == _json(
        KnowledgeWorkerPersona(11).generate(7))


def test_short_run_is_a_prefix_of_a_longer_one():
    short, long = KnowledgeWorkerPersona(11).generate(10), KnowledgeWorkerPersona(11).generate(25)
    assert len(long) > len(short)
    assert _json(long[: len(short)]) == _json(short)


@pytest.mark.slow
def test_thirty_days_is_a_prefix_of_730():
    short = KnowledgeWorkerPersona(42).generate(30)
    long = KnowledgeWorkerPersona(42).generate(730)
    assert _json(long[: len(short)]) == _json(short)
    assert long[len(short)].ts - long[0].ts >= timedelta(days=29)


def test_different_seeds_are_different_people():
    a, b = draw_habits(1), draw_habits(2)
    assert a != b
    assert _json(KnowledgeWorkerPersona(1).generate(3)) != _json(
        KnowledgeWorkerPersona(2).generate(3))


@pytest.mark.parametrize("days", [0, -3, 2.5, True])
def test_bad_days_are_rejected(days):
    with pytest.raises(ValueError, match="days must be a positive integer"):
        KnowledgeWorkerPersona(1).generate(days)


def test_events_use_the_vocabularies_and_are_time_ordered(persona_stream):
    assert all(e.type in EVENT_TYPES for e in persona_stream)
    assert all(e.action in ACTIONS for e in persona_stream if e.action)
    assert all(a.ts <= b.ts for a, b in zip(persona_stream, persona_stream[1:], strict=False))
    assert all(e.ts.tzinfo is not None for e in persona_stream)


def test_every_step_is_fully_labelled(persona_stream):
    for e in persona_stream:
        lab = e.labels
        assert lab.next_action in ACTIONS and lab.lane in LANES
        assert lab.delay_min >= 0 and isinstance(lab.proactive, bool)
        assert lab.target in [c.id for c in lab.candidates]
        # Eight candidates once the person has that many artifacts (from the second day).
        assert len(lab.candidates) == 8 or e.ts - persona_stream[0].ts < timedelta(days=1)
        assert e.sim.action_probs.get(lab.next_action, 0) > 0, "label had zero probability"
        assert e.sim.lane_probs[lab.lane] > 0
        assert abs(sum(e.sim.candidate_probs) - 1) < 1e-3


def test_labels_are_the_next_action_in_the_stream(persona_stream):
    """Each step's label is the next action the person takes, and the delay is the time
    until it; the artifact that action touches is the step's target."""
    selfs = [i for i, e in enumerate(persona_stream) if e.action]
    nxt = iter(selfs)
    j = next(nxt)
    for i, e in enumerate(persona_stream[: selfs[-1]]):
        while j <= i:
            j = next(nxt)
        act = persona_stream[j]
        assert e.labels.next_action == act.action
        assert e.labels.delay_min == pytest.approx((act.ts - e.ts).total_seconds() / 60, abs=1e-3)
        assert e.labels.target == act.attributes["artifact"]


def _next_actions_after(events, i, n):
    return [e.action for e in events[i + 1:] if e.action][:n]


def test_ci_failure_leads_to_check_then_fix_then_commit(persona_stream):
    chains = 0
    for i, e in enumerate(persona_stream):
        if e.type != "ci_failed":
            continue
        work = [a for a in _next_actions_after(persona_stream, i, 40)
                if a in ("check_ci", "fix_bug", "run_tests", "commit_code")]
        if len(work) >= 3:
            chains += 1
            assert work[0] == "check_ci" and work[1] == "fix_bug", work
            assert "commit_code" in work
    assert chains >= 3


def test_rhythm_workdays_lunch_and_nights(persona_stream):
    by_day = Counter(e.ts.date() for e in persona_stream if e.action)
    weekday = [n for d, n in by_day.items() if d.weekday() < 5]
    weekend = [n for d, n in by_day.items() if d.weekday() >= 5]
    assert min(weekday) > 15 and sum(weekend) < 0.1 * sum(weekday)
    lunches = Counter(e.ts.date() for e in persona_stream if e.action == "lunch")
    assert max(lunches.values()) == 1 and len(lunches) >= 0.8 * len(weekday)
    # No action between end_day and the next start_day.
    open_day = False
    for e in persona_stream:
        if e.action == "start_day":
            assert not open_day
            open_day = True
        elif e.action == "end_day":
            open_day = False
        elif e.action:
            assert open_day, f"{e.action} at {e.ts} outside a working session"


def test_meetings_are_attended_when_they_start(persona_stream):
    reminders = {e.attributes["artifact"]: e.ts for e in persona_stream
                 if e.type == "calendar_reminder"}
    attended = [(e.attributes["artifact"], e.ts) for e in persona_stream
                if e.action == "attend_meeting"]
    assert len(attended) > 20
    for artifact, ts in attended:
        gap = (ts - reminders[artifact]).total_seconds() / 60
        assert 0 <= gap <= 20, (artifact, gap)


def test_focus_blocks_mute_chat(persona_stream):
    inside, outside, focus = Counter(), Counter(), False
    for e in persona_stream:
        if e.action == "start_focus":
            focus = True
        elif e.action == "end_focus":
            focus = False
        elif e.action:
            (inside if focus else outside)[e.action in ("reply_chat", "read_chat")] += 1
    share_in = inside[True] / sum(inside.values())
    share_out = outside[True] / sum(outside.values())
    assert sum(inside.values()) > 50
    assert share_in < share_out / 3, (share_in, share_out)


def test_reviews_requested_before_a_meeting_wait_for_its_end(persona_stream):
    """A review request that arrives while the person is in a meeting is never handled
    before the meeting ends."""
    meeting_end = None
    checked = 0
    for i, e in enumerate(persona_stream):
        if e.action == "attend_meeting":
            minutes = next(x.attributes["duration_min"] for x in persona_stream[i::-1]
                           if x.type == "calendar_reminder"
                           and x.attributes["artifact"] == e.attributes["artifact"])
            meeting_end = e.ts + timedelta(minutes=minutes)
        elif e.type == "pr_review_requested" and meeting_end and e.ts < meeting_end:
            nxt = next(x for x in persona_stream[i + 1:] if x.action)
            assert nxt.ts >= meeting_end - timedelta(seconds=1)
            checked += 1
    assert checked >= 1


def test_every_action_has_a_duration_and_a_lane_family():
    from augur.events.persona_policy import _FAMILY, DURATION_MIN

    assert set(DURATION_MIN) == set(ACTIONS)
    assert set(_FAMILY) == set(ACTIONS)
