"""The lab's scenarios: personas of the synthetic world at fixed times of day.

A scenario is a stable name for one (persona seed, slot) pair, e.g. "p42-morning".
Names are part of every cell key, so renaming one orphans its collected cells:
add new scenarios, never rename old ones. The harness's cold-start seeds
(1001-1003) are never used here.
"""

from __future__ import annotations

from dataclasses import dataclass

from augur.errors import AugurError
from augur.lab.context import PromptContext, build_context

PERSONA_SEEDS = (42, 43, 44, 45)
SLOTS = {"morning": "09:30", "afternoon": "14:30"}


@dataclass(frozen=True)
class Scenario:
    name: str
    persona_seed: int
    slot: str  # local "HH:MM" on the persona's last simulated workday

    def context(self) -> PromptContext:
        return build_context(self.persona_seed, self.slot)


SCENARIOS: dict[str, Scenario] = {
    f"p{seed}-{part}": Scenario(f"p{seed}-{part}", seed, slot)
    for seed in PERSONA_SEEDS for part, slot in SLOTS.items()
}


def get_scenario(name: str) -> Scenario:
    if name not in SCENARIOS:
        raise AugurError(f"unknown scenario {name!r}; known scenarios: {', '.join(SCENARIOS)}")
    return SCENARIOS[name]


def resolve_scenarios(names: list[str] | None) -> list[Scenario]:
    """The named scenarios in order (all of them for None or ["all"]); unknown names fail."""
    if not names or names == ["all"]:
        return list(SCENARIOS.values())
    return [get_scenario(n) for n in names]
