from datetime import datetime

import pytest

from augur.errors import AugurError
from augur.events.persona import KnowledgeWorkerPersona
from augur.lab.context import PromptContext, build_context, context_from_events
from augur.lab.scenarios import SCENARIOS, get_scenario, resolve_scenarios


def test_scenarios_are_four_personas_by_two_slots_with_stable_names():
    assert len(SCENARIOS) >= 8
    assert {"p42-morning", "p42-afternoon", "p45-morning", "p45-afternoon"} <= set(SCENARIOS)
    seeds = {s.persona_seed for s in SCENARIOS.values()}
    assert len(seeds) >= 4 and not seeds & {1001, 1002, 1003}
    assert len({s.slot for s in SCENARIOS.values()}) >= 2


def test_unknown_scenario_lists_known_ones():
    with pytest.raises(AugurError, match="known scenarios: p42-morning, p42-afternoon"):
        get_scenario("p99-night")
    assert len(resolve_scenarios(None)) == len(SCENARIOS)
    assert [s.name for s in resolve_scenarios(["p43-morning"])] == ["p43-morning"]


def test_context_is_fixed_and_sees_only_the_past():
    a = build_context(42, "09:30")
    assert a == build_context(42, "09:30")  # the same context for every cell
    now = a.when
    assert now.strftime("%H:%M") == "09:30" and now.weekday() < 5
    assert 0 < len(a.recent_events) <= 8 and len(a.open_tasks) <= 5
    assert all(e["time"] <= "09:30" for e in a.recent_events)
    assert {"completion_rate", "preferred_hour", "tip_volume"} <= set(a.profile)
    assert 0 <= a.profile["completion_rate"] <= 1 and 0 <= a.profile["preferred_hour"] < 24
    assert a != build_context(42, "14:30") and a != build_context(43, "09:30")


def test_context_round_trips_through_json():
    ctx = build_context(44, "14:30")
    assert PromptContext.from_dict(ctx.to_dict()) == ctx


def test_cold_start_people_and_bad_slots_are_refused():
    with pytest.raises(AugurError, match="cold-start"):
        build_context(1002, "09:30")
    with pytest.raises(AugurError, match="HH:MM"):
        build_context(42, "9.30")


def test_the_builder_works_on_observable_events_as_the_service_sees_them():
    events = [e.observable() for e in KnowledgeWorkerPersona(7).generate(3)]
    now = datetime.fromisoformat(events[len(events) // 2].ts.isoformat())
    ctx = context_from_events(events, now, "persona-7")
    assert ctx.recent_events and ctx.profile["tip_volume"] is not None
    assert ctx.placeholders()["recent_events"].startswith("- ")
