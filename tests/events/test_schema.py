import pytest

from augur.events.schema import Event, EventValidationError
from augur.events.vocab import ACTION_EVENT, ACTIONS, EVENT_TYPES, LANES

GOOD = {"ts": "2026-01-05T09:00:00+01:00", "type": "email_received", "source": "mail",
        "actor": "ana", "importance": 0.7, "project": "atlas", "attributes": {"artifact": "t-1"}}


def test_vocabularies_have_the_promised_sizes():
    assert len(ACTIONS) == 50 and len(set(ACTIONS)) == 50
    assert LANES == ("ask", "suggest", "draft", "act", "escalate")
    assert len(EVENT_TYPES) >= 15
    assert {"reply_email", "check_ci", "fix_bug", "review_pr"} <= set(ACTIONS)
    assert all(etype in EVENT_TYPES for etype, _ in ACTION_EVENT.values())


def test_valid_event_round_trips():
    event = Event.from_dict(GOOD)
    assert event.ts.utcoffset().total_seconds() == 3600
    assert Event.from_dict(event.to_dict()) == event


def test_observable_strips_labels_and_simulator_state():
    data = {**GOOD, "labels": {"next_action": "reply_email", "delay_min": 3.0, "lane": "draft"}}
    event = Event.from_dict(data).observable()
    assert event.labels is None and event.sim is None and event.type == "email_received"


@pytest.mark.parametrize(("change", "field", "got"), [
    ({"ts": "2026-01-05T09:00:00"}, "ts", "2026-01-05T09:00:00"),
    ({"ts": "yesterday"}, "ts", "yesterday"),
    ({"importance": 3}, "importance", "3"),
    ({"type": ""}, "type", "''"),
    ({"source": None}, "source", "None"),
    ({"labels": {"lane": "shout"}}, "labels.lane", "shout"),
    ({"labels": {"delay_min": -4}}, "labels.delay_min", "-4"),
    ({"colour": "red"}, "colour", "red"),
])
def test_invalid_event_names_field_expectation_and_value(change, field, got):
    with pytest.raises(EventValidationError) as err:
        Event.from_dict({**GOOD, **change})
    message = str(err.value)
    assert f"field '{field}'" in message
    assert "expected" in message and got in message


def test_missing_field_is_named():
    data = dict(GOOD)
    del data["actor"]
    with pytest.raises(EventValidationError, match=r"field 'actor' expected: field required"):
        Event.from_dict(data)


def test_target_must_be_a_candidate():
    labels = {"candidates": [{"id": "a", "kind": "doc"}], "target": "b"}
    with pytest.raises(EventValidationError, match="target 'b' must be the id of one of"):
        Event.from_dict({**GOOD, "labels": labels})


def test_non_dict_is_rejected():
    with pytest.raises(EventValidationError, match="expected a JSON object"):
        Event.from_dict(["not", "an", "event"])
