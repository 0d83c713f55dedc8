"""Forecast cases from the persona world: a seed event in a person's stream, then what
they did next, one action per depth, in words ("replies to an email", "checks the CI
pipeline").

The simulator stores on every event the exact distribution of the person's next
action (`sim.action_probs`) and the action that came (`labels.next_action`). Depth 1
is the seed event's next action; depth d + 1 is the action that followed depth d's,
read from the event that action left in the stream (its distribution is the
decision the person made right after it). Each level keeps the K most likely actions
(K drawn from 4 to 6 before the outcome is looked at) with their probabilities
renormalised over the K: `p_true`. When the actual action is not among them the chain
ends at the level before (a first level that misses drops the seed event). Swapping the
actual action in instead would mark it as the odd one out and make `p_true` wrong;
ending the chain keeps `p_true` the exact probability given that the set holds the
outcome. Levels with fewer than 4 possible actions (the night's start_day) end the
chain too.

Cases are split by person (`split_of("persona-SEED")`): no person is in two splits.
The truth itself (2000 cases of seed 0, about 5 candidates a level) scores perplexity
about 3.4 and multiclass Brier about 0.62 at every depth (uniform 5.0 and 0.80): people
are noisy, and the headroom over a base rate per action (about 4.0 and 0.70) is small.
"""

from __future__ import annotations

import bisect
import hashlib
import random

from tqdm import tqdm

from augur.events.persona import KnowledgeWorkerPersona
from augur.events.schema import Event
from augur.events.vocab import ACTIONS
from augur.forecast.case import Candidate, Case, Level, Seed, rounded, split_of
from augur.harness.constants import COLD_START_SEEDS, TRAIN_SEED

PERSONA_DAYS = 10  # days simulated per person
CASES_PER_PERSONA = 20  # seed events drawn from each person
HISTORY_EVENTS = 6  # events before the seed, in words, as the case's history
MIN_K, MAX_K = 4, 6
# the person's name; none is a colleague's (persona_habits.COLLEAGUES)
NAMES = ("Alex", "Sam", "Robin", "Kim", "Jordan", "Taylor", "Morgan", "Casey", "Riley",
         "Jamie", "Avery", "Yara", "Noor", "Ines", "Tomas", "Mei")

# action -> ways to say that the person does it next
OUTCOMES: dict[str, tuple[str, ...]] = {
    "triage_inbox": ("goes through the inbox", "sorts the unread mail", "triages the inbox"),
    "read_email": ("reads an email", "opens a message in the inbox", "reads a mail"),
    "reply_email": ("replies to an email", "answers a mail", "writes back to an email"),
    "write_email": ("writes a new email", "sends a fresh mail", "drafts and sends an email"),
    "forward_email": ("forwards an email", "passes a mail on to someone", "forwards a message"),
    "archive_email": ("archives an email", "files a mail away",
                      "clears a message out of the inbox"),
    "check_calendar": ("checks the calendar", "looks at the day's schedule",
                       "glances at upcoming meetings"),
    "prepare_meeting": ("prepares for a meeting", "reads up before a meeting",
                        "gets ready for a meeting"),
    "attend_meeting": ("joins a meeting", "goes into a meeting", "attends a meeting"),
    "write_meeting_notes": ("writes up meeting notes", "records what the meeting decided",
                            "types up the meeting notes"),
    "schedule_meeting": ("schedules a meeting", "books a meeting", "sets up a meeting"),
    "decline_meeting": ("declines a meeting invite", "turns down a meeting",
                        "says no to an invite"),
    "write_code": ("writes code", "keeps coding", "works on the implementation"),
    "fix_bug": ("fixes a bug", "debugs a failure", "patches a bug"),
    "refactor_code": ("refactors code", "cleans up the code", "restructures some code"),
    "run_tests": ("runs the tests", "runs the test suite", "checks the code with tests"),
    "commit_code": ("commits code", "pushes a commit", "commits the changes"),
    "open_pr": ("opens a pull request", "puts up a PR for review",
                "sends a change out for review"),
    "review_pr": ("reviews a pull request", "reads a colleague's PR",
                  "reviews someone's change"),
    "address_review": ("addresses review comments", "answers the reviewers' comments",
                       "reworks a PR after review"),
    "merge_pr": ("merges a pull request", "lands a PR", "merges a change to main"),
    "check_ci": ("checks the CI pipeline", "looks at the build results", "opens the CI build"),
    "rerun_ci": ("reruns the CI build", "restarts the pipeline", "retries the build"),
    "deploy_release": ("deploys a release", "ships a release to production",
                       "rolls out a new version"),
    "rollback_deploy": ("rolls back a deploy", "reverts the release", "undoes a deployment"),
    "read_chat": ("reads the chat", "catches up on chat", "checks chat messages"),
    "reply_chat": ("replies in chat", "answers a chat message", "writes back in chat"),
    "post_update": ("posts a status update", "shares an update in chat",
                    "posts progress to the team"),
    "ask_question": ("asks a question in chat", "asks a colleague for help",
                     "posts a question to the team"),
    "ack_incident": ("acknowledges the incident page", "acks the alert", "picks up the page"),
    "investigate_incident": ("investigates the incident", "digs into the outage",
                             "looks into the alert"),
    "mitigate_incident": ("mitigates the incident", "applies a fix to the outage",
                          "stops the incident's impact"),
    "write_postmortem": ("writes the postmortem", "writes up the incident",
                         "drafts an incident review"),
    "plan_day": ("plans the day", "sets the day's priorities", "makes a to-do list for the day"),
    "review_backlog": ("reviews the backlog", "grooms the ticket backlog",
                       "goes through the backlog"),
    "create_ticket": ("creates a ticket", "files a new ticket", "opens an issue in the tracker"),
    "update_ticket": ("updates a ticket", "adds a note to a ticket", "changes a ticket's status"),
    "close_ticket": ("closes a ticket", "marks a ticket done", "resolves a ticket"),
    "write_status_report": ("writes a status report", "sends the weekly status",
                            "writes a progress report"),
    "read_docs": ("reads documentation", "looks something up in the docs", "reads a design doc"),
    "write_docs": ("writes documentation", "works on a document", "drafts docs"),
    "review_doc": ("reviews a document", "reads a doc for review", "reviews a design doc"),
    "comment_doc": ("comments on a document", "leaves comments on a doc",
                    "adds feedback to a doc"),
    "start_day": ("starts the workday", "logs on for the day", "begins the day"),
    "start_focus": ("starts a focus block", "goes heads-down", "blocks time to focus"),
    "end_focus": ("ends the focus block", "comes out of focus time", "stops the focus session"),
    "take_break": ("takes a break", "steps away for a few minutes", "grabs a coffee"),
    "lunch": ("goes to lunch", "breaks for lunch", "has lunch"),
    "end_day": ("ends the workday", "logs off for the day", "wraps up for the day"),
    "reschedule_meeting": ("reschedules a meeting", "moves a meeting to another time",
                           "pushes a meeting back"),
}
# what the world does to the person (event type -> ways to say it)
ARRIVALS: dict[str, tuple[str, ...]] = {
    "email_received": ("{actor} emails {person}", "a mail from {actor} reaches {person}"),
    "calendar_reminder": ("a reminder for {artifact} pops up",
                          "{person}'s calendar flags {artifact}"),
    "meeting_invite": ("{actor} invites {person} to {artifact}",
                       "an invite to {artifact} arrives from {actor}"),
    "ci_passed": ("CI passes on {artifact}", "build {artifact} goes green"),
    "ci_failed": ("CI fails on {artifact}", "build {artifact} goes red"),
    "pr_review_requested": ("{actor} asks {person} to review {artifact}",
                            "{person} is requested as reviewer on {artifact}"),
    "pr_comment": ("{actor} comments on {artifact}", "a review comment from {actor} lands on "
                   "{artifact}"),
    "pr_approved": ("{actor} approves {artifact}", "{artifact} gets approved by {actor}"),
    "chat_message": ("{actor} posts in {artifact}", "a message from {actor} appears in "
                     "{artifact}"),
    "chat_mention": ("{actor} mentions {person} in {artifact}",
                     "{person} is tagged by {actor} in {artifact}"),
    "incident_alert": ("an alert fires: {artifact}", "{person} is paged for {artifact}"),
    "ticket_assigned": ("{actor} assigns {artifact} to {person}",
                        "{artifact} lands in {person}'s queue from {actor}"),
    "doc_shared": ("{actor} shares {artifact} with {person}",
                   "{person} gets access to {artifact} from {actor}"),
    "deploy_finished": ("the deploy of {artifact} finishes", "{artifact} is live"),
}

_ACTORS = {"ci-bot": "the CI bot", "external": "someone outside the team"}

assert set(OUTCOMES) == set(ACTIONS), "every action needs its outcome phrases"


def _persona_seed(seed: int, j: int) -> int:
    """Person j of generator seed `seed`: spread out, never one the oracle harness keeps."""
    while True:
        pseed = int(hashlib.sha256(f"augur-forecast-persona-{seed}-{j}".encode()).hexdigest()[:7],
                    16)
        if pseed not in (TRAIN_SEED, *COLD_START_SEEDS):
            return pseed
        j += 1_000_000


def render_event(e: Event, person: str, rng: random.Random) -> str:
    """One event in words, the person named."""
    artifact = str(e.attributes.get("artifact", ""))
    if e.action in OUTCOMES:
        text = f"{person} {rng.choice(OUTCOMES[e.action])}"
    elif e.type in ARRIVALS:
        actor = _ACTORS.get(e.actor, e.actor.capitalize())
        text = rng.choice(ARRIVALS[e.type]).format(actor=actor, person=person,
                                                   artifact=artifact)
        text = text[0].upper() + text[1:]
    else:
        text = f"{e.type.replace('_', ' ')} ({artifact})"
    return f"{text} ({e.project})" if e.project else text


def _level(depth: int, src: Event, when: Event, rng: random.Random) -> Level | None:
    """The level whose outcome is src's next action, or None where the chain ends."""
    probs = src.sim.action_probs
    k = rng.randint(MIN_K, MAX_K)
    kept = sorted(probs, key=lambda a: (-probs[a], a))[:k]
    actual = src.labels.next_action
    if len(kept) < MIN_K or actual not in kept or when.action != actual:
        return None
    rng.shuffle(kept)
    total = sum(probs[a] for a in kept)
    p = rounded([probs[a] / total for a in kept])
    return Level(depth=depth, date=when.ts.isoformat(), candidates=[
        Candidate(text=rng.choice(OUTCOMES[a]), label=int(a == actual), kind=a, p_true=p[i])
        for i, a in enumerate(kept)])


def _person_cases(pseed: int, k: int, depth: int, rng: random.Random) -> list[Case]:
    """Up to k cases from one simulated person, seed events in random order."""
    events = KnowledgeWorkerPersona(pseed).generate(PERSONA_DAYS)
    person = NAMES[pseed % len(NAMES)]
    acts = [i for i, e in enumerate(events) if e.action is not None]
    first_day = events[0].ts.date()
    eligible = [i for i, e in enumerate(events) if e.ts.date() > first_day and e.sim and e.labels]
    rng.shuffle(eligible)
    cases = []
    for i in eligible:
        if len(cases) == k:
            break
        levels, src, pos = [], events[i], bisect.bisect_right(acts, i)
        while len(levels) < depth and pos < len(acts):
            level = _level(len(levels) + 1, src, events[acts[pos]], rng)
            if level is None:
                break
            levels.append(level)
            src, pos = events[acts[pos]], pos + 1
        if not levels:
            continue
        seed_event = events[i]
        history = [f"{e.ts:%H:%M} {render_event(e, person, rng)}"
                   for e in events[max(0, i - HISTORY_EVENTS):i]]
        cases.append(Case(
            id=f"persona-{pseed}-{i:06d}", source="persona",
            kind=seed_event.action or seed_event.type, split=split_of(f"persona-{pseed}"),
            seed=Seed(text=render_event(seed_event, person, rng),
                      date=seed_event.ts.isoformat()),
            context=f"{person} is a software engineer; times are {person}'s local time.",
            history=history, levels=levels))
    return cases


def persona_cases(n: int, seed: int, depth: int = 4, progress: bool = False) -> list[Case]:
    """n cases from the people of generator seed `seed`, CASES_PER_PERSONA per person (the
    first n of a longer run are the same cases)."""
    cases: list[Case] = []
    with tqdm(total=n, desc="persona cases", unit="case",
              disable=not progress or None) as bar:
        j = 0
        while len(cases) < n:
            pseed = _persona_seed(seed, j)
            rng = random.Random(f"augur-forecast-persona-{seed}-{pseed}")
            new = _person_cases(pseed, min(CASES_PER_PERSONA, n - len(cases)), depth, rng)
            cases += new
            bar.update(len(new))
            j += 1
    return cases
