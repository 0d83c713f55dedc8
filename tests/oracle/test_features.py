"""The context columns: what came before an event, as the oracle reads it."""

from datetime import UTC, datetime, timedelta

import numpy as np

from augur.events.persona import KnowledgeWorkerPersona
from augur.events.schema import Event
from augur.events.vocab import ACTIONS
from augur.oracle.features import (
    CONTEXT_FIELDS,
    EVENT_FIELDS,
    LOOKBACK,
    Featurizer,
    Vocab,
    context_columns,
    micros,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
OPEN_MAIL = CONTEXT_FIELDS.index("open_email_received")
OPEN_CHAT = CONTEXT_FIELDS.index("open_chat_mention")
OPEN_TOP = CONTEXT_FIELDS.index("open_top")
OPEN_MESSAGES = CONTEXT_FIELDS.index("open_chat_message")
SINCE_FOCUS = CONTEXT_FIELDS.index("since_focus")
SINCE_BREAK = CONTEXT_FIELDS.index("since_break")
EDIT_RUN = CONTEXT_FIELDS.index("edit_run")


def _event(minute: float, etype: str, source: str, artifact: str | None,
           action: str | None = None, importance: float = 0.3) -> Event:
    return Event.model_validate({
        "ts": (T0 + timedelta(minutes=minute)).isoformat(), "type": etype, "source": source,
        "stream": "p", "actor": "p", "action": action, "importance": importance,
        "attributes": {"artifact": artifact} if artifact else {}})


def test_open_items_count_arrivals_the_person_has_not_acted_on():
    events = [
        _event(0, "email_received", "mail", "thread-1", importance=0.8),
        _event(1, "email_received", "mail", "thread-2", importance=0.4),
        _event(2, "chat_mention", "chat", "chat-x", importance=0.6),
        _event(5, "email_activity", "mail", "thread-1", action="reply_email"),
        _event(6, "chat_activity", "chat", "chat-x", action="reply_chat"),
        _event(7, "email_received", "mail", "thread-1"),  # the thread comes back
    ]
    c = context_columns(events)
    assert c[:, OPEN_MAIL].tolist() == [1, 2, 2, 1, 1, 2]
    assert c[:, OPEN_CHAT].tolist() == [0, 0, 1, 1, 0, 0]
    # the most important open item: thread-1 (0.8) until answered, then the mention
    # (0.6), then thread-2 (0.4), until thread-1 comes back at the default 0.3
    assert c[:, OPEN_TOP].tolist() == [8, 8, 8, 6, 4, 4]


def test_reading_chat_clears_every_channels_messages_but_a_mention_waits_for_a_reply():
    events = [
        _event(0, "chat_message", "chat", "chat-x"),
        _event(1, "chat_message", "chat", "chat-y"),
        _event(2, "chat_mention", "chat", "chat-x", importance=0.6),
        _event(3, "chat_activity", "chat", "chat-x", action="read_chat"),
        _event(4, "chat_activity", "chat", "chat-x", action="reply_chat"),
    ]
    c = context_columns(events)
    assert c[:, OPEN_MESSAGES].tolist() == [1, 2, 2, 0, 0]
    assert c[:, OPEN_CHAT].tolist() == [0, 0, 1, 1, 0]


def test_minutes_into_the_focus_block_and_since_the_last_break():
    events = [
        _event(0, "day_started", "system", None, action="start_day"),
        _event(12, "email_received", "mail", "thread-1"),
        _event(20, "focus_started", "system", None, action="start_focus"),
        _event(49, "code_edited", "git", "repo", action="write_code"),
        _event(95, "focus_ended", "system", None, action="end_focus"),
        _event(100, "break_started", "system", None, action="take_break"),
        _event(400, "email_received", "mail", "thread-2"),
    ]
    c = context_columns(events)
    # 10-minute bins since start_focus while the block is open; 16 is "no open block"
    assert c[:, SINCE_FOCUS].tolist() == [16, 16, 0, 2, 16, 16, 16]
    # 15-minute bins since the last start_day, take_break or lunch, 180+ minutes is 12
    assert c[:, SINCE_BREAK].tolist() == [0, 0, 1, 3, 6, 0, 12]
    assert context_columns(events[1:])[0, SINCE_BREAK] == 13  # none seen yet


def test_an_event_stamped_before_the_break_or_the_focus_start_reads_zero():
    """Clocks of different sources skew: an event may carry an earlier time than the
    break or focus start before it. Its bins stay in range (a negative id crashed the
    model's embedding lookup) and read as 0 minutes, as since_action does."""
    events = [
        _event(30, "day_started", "system", None, action="start_day"),
        _event(31, "focus_started", "system", None, action="start_focus"),
        _event(0, "email_received", "mail", "thread-1"),
    ]
    c = context_columns(events)
    assert c[-1, SINCE_FOCUS] == 0 and c[-1, SINCE_BREAK] == 0
    assert c[-1, 0] == 0  # since_action: -31 minutes reads as 0 too
    rows = Featurizer(Vocab(ACTIONS)).events(events)
    sizes = Vocab(ACTIONS).sizes()
    assert all(rows[:, i].min() >= 0 and rows[:, i].max() < sizes[f]
               for i, f in enumerate(EVENT_FIELDS))


def test_a_focus_start_further_back_than_the_lookback_is_not_read():
    start = [_event(0, "focus_started", "system", None, action="start_focus")]
    filler = [_event(1 + i * 0.1, "chat_message", "chat", "chat-x") for i in range(LOOKBACK)]
    c = context_columns(start + filler)
    assert c[LOOKBACK - 1, SINCE_FOCUS] == 0 and c[LOOKBACK, SINCE_FOCUS] == 16


def test_edits_since_the_last_other_step_of_a_coding_task():
    def edit(minute):
        return _event(minute, "code_edited", "editor", "repo", action="write_code")

    events = [
        _event(0, "email_received", "mail", "thread-1"),
        edit(1), edit(2),
        _event(3, "tests_run", "editor", "repo", action="run_tests"),
        edit(4),
        _event(5, "chat_message", "chat", "chat-x"),  # not a task step: the run goes on
        _event(6, "code_edited", "editor", "repo", action="refactor_code"),
        *[edit(7 + k) for k in range(5)],
        _event(20, "commit_pushed", "git", "repo", action="commit_code"),
    ]
    c = context_columns(events)
    # 11: no step and no edit in reach; 6 + n: n edits whose run started out of reach
    assert c[:, EDIT_RUN].tolist() == [11, 6, 7, 0, 1, 1, 2, 3, 4, 5, 5, 5, 0]


def test_an_edit_run_is_read_within_the_lookback_only():
    step = [_event(0, "tests_run", "editor", "repo", action="run_tests"),
            _event(1, "code_edited", "editor", "repo", action="write_code")]
    filler = [_event(2 + i * 0.1, "chat_message", "chat", "chat-x") for i in range(LOOKBACK)]
    c = context_columns(step + filler)
    # the tests go out of reach first (an edit run of unknown start), then the edit
    assert c[LOOKBACK - 1, EDIT_RUN] == 1 and c[LOOKBACK, EDIT_RUN] == 6
    assert c[LOOKBACK + 1, EDIT_RUN] == 11


def test_since_action_and_seen():
    events = [
        _event(0, "email_received", "mail", "thread-1"),
        _event(3, "email_activity", "mail", "thread-1", action="read_email"),
        _event(10, "email_received", "mail", "thread-2"),
        _event(11, "break_started", "system", None, action="take_break"),
    ]
    c = context_columns(events)
    since, seen = c[:, 0].tolist(), c[:, 1].tolist()
    assert since[:2] == [33, 33]  # no action before them
    assert since[2] == int(3 * np.log2(1 + 7)) and since[3] == int(3 * np.log2(1 + 8))
    # thread-1 seen one event ago by an arrival; thread-2 new; a break has no artifact
    assert seen == [1, 2, 1, 0]


def test_a_window_agrees_with_its_stream_on_its_last_event():
    """Training reads whole streams, prediction a window of 128: the last event's
    context must be the same, or the model would be served features it never saw."""
    events = KnowledgeWorkerPersona(3).generate(6)
    stream = context_columns(events)
    for end in range(LOOKBACK + 1, len(events), 37):
        window = events[max(0, end - 127): end + 1]
        assert (context_columns(window)[-1] == stream[end]).all(), end


def test_featurizer_puts_context_columns_after_the_event_fields():
    events = KnowledgeWorkerPersona(3).generate(2)
    feat = Featurizer(Vocab(ACTIONS))
    rows = feat.events(events)
    assert rows.shape == (len(events), len(EVENT_FIELDS))
    start = EVENT_FIELDS.index(CONTEXT_FIELDS[0])
    assert (rows[:, start:] == context_columns(events)).all()
    uncached = Featurizer(Vocab(ACTIONS), cache=False).events(events)
    assert (uncached == rows).all()
    sizes = Vocab(ACTIONS).sizes()
    assert all(rows[:, i].max() < sizes[f] for i, f in enumerate(EVENT_FIELDS))



def test_event_times_compare_across_utc_offsets_to_the_microsecond():
    """Columns compare integer microseconds (features.micros), not datetimes: a time
    in another offset is the same instant, and bins match timedelta arithmetic."""
    stamps = ["2026-03-02T09:00:00.250000+02:00", "2026-03-02T02:07:30.000001-05:00",
              "2026-03-02T07:07:30.000001+00:00", "2026-03-02T12:00:00+05:30"]
    events = [Event.model_validate({"ts": ts, "type": "email_received", "source": "mail",
                                    "stream": "p", "actor": "x", "importance": 0.3})
              for ts in stamps]
    us = micros(events)
    for a, b, ua, ub in zip(events, events[1:], us, us[1:], strict=False):
        assert ub - ua == (b.ts - a.ts) // timedelta(microseconds=1)
    gap = Featurizer(Vocab(ACTIONS)).events(events)[:, EVENT_FIELDS.index("gap")]
    expect = [int(2 * np.log2(1 + max(0.0, (b.ts - a.ts).total_seconds() / 60)))
              for a, b in zip(events, events[1:], strict=False)]
    assert gap.tolist() == [33, *expect] and expect == [int(2 * np.log2(1 + 449.750001 / 60)), 0, 0]
