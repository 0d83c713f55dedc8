"""Per-persona habits, drawn once from the persona seed.

Different seeds are different people: when they start and stop, when they batch
their email, whether they protect a focus block, how much they code versus
write, how receptive they are to an assistant. The simulator reads these and
nothing else about the person, so two seeds differ only through these numbers
and the randomness of their days.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

PROJECTS = ("atlas", "borealis", "cobalt", "delta", "ember", "fjord", "granite", "helix")
COLLEAGUES = (
    "ana", "ben", "chen", "dara", "eli", "farah", "gus", "hana", "ivan", "jo", "kemal",
    "lena", "mo", "nia", "oskar", "priya", "quinn", "rui", "sana", "tom",
)
TIMEZONES_MIN = (-480, -300, -240, 0, 60, 120, 330, 540)  # fixed UTC offsets, no DST
OPENERS = ("triage_inbox", "plan_day", "check_calendar", "read_chat")


@dataclass(frozen=True)
class Habits:
    actor: str
    tz_minutes: int  # fixed offset from UTC
    start_hour: float  # local clock, fractional hours
    end_hour: float
    lunch_hour: float
    lunch_min: float
    email_hours: tuple[float, ...]  # habitual times the person batches email
    batch_strength: float  # 0..1: how strictly ordinary email waits for those hours
    chat_responsiveness: float  # 0..1
    focus_prob: float  # chance a workday has a protected focus block
    focus_hour: float
    focus_min: float
    standup_hour: float | None  # daily team standup, if the team has one
    meetings_per_day: float
    coding_share: float  # 0..1: engineer (high) versus lead who writes and reviews (low)
    prepares_meetings: float  # chance to prepare before a non-standup meeting
    notes_after_meeting: float  # chance to write notes right after a meeting
    tests_before_commit: float  # chance to run tests before committing
    weekend_work: float  # chance of a short weekend session on a given weekend day
    pace: float  # multiplies how long things take
    receptiveness: float  # log-odds offset of accepting a proactive suggestion
    delegation: float  # >1 prefers the assistant to act, <1 to draft or suggest
    opener: str  # the first thing done after starting the day
    projects: tuple[str, ...]
    colleagues: tuple[str, ...]
    manager: str
    email_rate: float  # emails per working day
    chat_rate: float  # chat messages per working day
    review_rate: float  # review requests per working day
    incident_rate: float  # incidents per working day


def draw_habits(seed: int) -> Habits:
    """The habits of persona `seed`; a pure function of the seed."""
    rng = random.Random(f"augur-habits-{seed}")
    start = rng.uniform(7.5, 9.75)
    lunch = rng.uniform(11.75, 13.25)
    n_batches = rng.choice((2, 3, 3, 4))
    email_hours = tuple(sorted(round(h, 2) for h in rng.sample(
        [start + 0.1, 10.5, lunch + 1.0, 15.0, 16.5], n_batches)))
    colleagues = tuple(rng.sample(COLLEAGUES, 9))
    return Habits(
        actor=f"persona-{seed}",
        tz_minutes=rng.choice(TIMEZONES_MIN),
        start_hour=round(start, 2),
        end_hour=round(start + rng.uniform(8.0, 9.5), 2),
        lunch_hour=round(lunch, 2),
        lunch_min=round(rng.uniform(30, 60), 1),
        email_hours=email_hours,
        batch_strength=round(rng.uniform(0.35, 0.95), 3),
        chat_responsiveness=round(rng.uniform(0.3, 0.95), 3),
        focus_prob=round(rng.uniform(0.3, 0.9), 3),
        focus_hour=round(rng.choice((start + 0.75, 10.0, lunch + 1.25, 14.5)), 2),
        focus_min=round(rng.uniform(60, 120), 1),
        standup_hour=round(start + rng.uniform(0.5, 1.25), 2) if rng.random() < 0.7 else None,
        meetings_per_day=round(rng.uniform(0.8, 3.5), 2),
        coding_share=round(rng.uniform(0.35, 0.9), 3),
        prepares_meetings=round(rng.uniform(0.1, 0.9), 3),
        notes_after_meeting=round(rng.uniform(0.1, 0.8), 3),
        tests_before_commit=round(rng.uniform(0.3, 0.95), 3),
        weekend_work=round(rng.uniform(0.0, 0.2), 3),
        pace=round(rng.uniform(0.75, 1.35), 3),
        receptiveness=round(rng.uniform(-2.6, -1.2), 3),
        delegation=round(rng.uniform(0.5, 2.0), 3),
        opener=rng.choice(OPENERS),
        projects=tuple(rng.sample(PROJECTS, rng.choice((2, 3)))),
        colleagues=colleagues,
        manager=colleagues[0],
        email_rate=round(rng.uniform(8, 20), 2),
        chat_rate=round(rng.uniform(5, 16), 2),
        review_rate=round(rng.uniform(0.5, 2.5), 2),
        incident_rate=round(rng.uniform(0.03, 0.1), 3),
    )
