"""Templates and phrasings of task 1's generated requests; query_data.py fills them.

Two pools. Train and val draw from TRAIN, test from TEST, and the pools share no
template and no phrasing: every opener, politeness form, kind word, period and date
format below exists in one pool only (tested), so the test split measures whether a
model learned the mapping from requests to queries rather than the surface of the
training requests. Entity values (ids, names, projects) are shared on purpose: they
come from the one world memory both pools are asked of.

A template is a builder (what query it makes and which world values it needs, see
query_data.BUILDERS) and some patterns. `{slot}`s a builder does not fill are phrase
slots, drawn from PHRASES of the pool. A builder reads which slots a pattern has:
"{kinds}" adds a KIND filter, "{period}" a DURING, "{after}" an AFTER, and so on.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date
from typing import Any


@dataclass(frozen=True)
class Template:
    id: str
    builder: str
    patterns: tuple[str, ...]
    weight: float = 1.0  # relative to the other templates of the same op and pool
    params: dict[str, Any] = field(default_factory=dict)


def t(tid: str, builder: str, *patterns: str, weight: float = 1.0, **params: Any) -> Template:
    return Template(tid, builder, patterns, weight, params)


# ---- phrasings ------------------------------------------------------------------------
PHRASES: dict[str, dict[str, tuple[str, ...]]] = {
    "train": {"find": ("find", "show me", "search for", "look for", "get me", "pull up"),
              "open": ("open", "show", "look up"),
              "list": ("list", "show me")},
    "test": {"find": ("dig up", "fetch", "retrieve", "bring up", "locate", "track down"),
             "open": ("display", "give me", "pull out"),
             "list": ("enumerate", "produce")},
}
# Politeness wraps imperative patterns only (those opening with a verb slot): "can you
# how many ..." would not be a request anyone types.
IMPERATIVE = ("{find}", "{open}", "{list}")
PREFIX = {"train": ("",) * 6 + ("please ", "can you "),
          "test": ("",) * 6 + ("kindly ", "would you ")}
SUFFIX = {"train": ("",) * 6 + (" please", ", thanks"),
          "test": ("",) * 6 + (" if you can", ", cheers")}

# resource kind -> ((singular, plural), ...) as people say them
KIND_WORDS: dict[str, dict[str, tuple[tuple[str, str], ...]]] = {
    "train": {"pr": (("PR", "PRs"), ("pull request", "pull requests")),
              "ticket": (("ticket", "tickets"),),
              "email_thread": (("email", "emails"), ("email thread", "email threads")),
              "meeting_notes": (("meeting", "meeting notes"),),
              "document": (("doc", "docs"), ("document", "documents")),
              "chat_thread": (("chat", "chats"),),
              "incident": (("incident", "incidents"),),
              "build": (("CI build", "CI builds"),),
              "diary_note": (("diary entry", "diary entries"),),
              "note": (("day plan", "day plans"),)},
    "test": {"pr": (("merge request", "merge requests"), ("patch", "patches")),
             "ticket": (("issue", "issues"), ("tracker item", "tracker items")),
             "email_thread": (("mail", "mails"), ("message", "messages")),
             "meeting_notes": (("meeting write-up", "meeting minutes"),),
             "document": (("write-up", "write-ups"), ("paper", "papers")),
             "chat_thread": (("channel log", "channel logs"),),
             "incident": (("outage", "outages"),),
             "build": (("pipeline run", "pipeline runs"),),
             "diary_note": (("journal entry", "journal entries"),),
             "note": (("agenda for the day", "daily agendas"),)},
}
MOMENT_WORDS = {"train": {"meeting": "meetings", "break": "breaks", "review": "review sessions",
                          "admin": "inbox triage sessions"},
                "test": {"meeting": "syncs", "break": "pauses", "review": "reviewing stints",
                         "admin": "email clean-ups"}}
# canonical DURING period -> how each pool says it; "days"/"weeks" take {n}
PERIODS = {
    "train": {"yesterday": ("yesterday",), "this week": ("this week",),
              "last week": ("last week",), "this month": ("this month",),
              "last month": ("last month",),
              "days": ("in the last {n} days", "from the last {n} days"),
              "weeks": ("in the last {n} weeks",)},
    "test": {"this week": ("so far this week",),
             "last week": ("during the previous week", "in the week before this one"),
             "this month": ("since the start of the month",),
             "last month": ("during the previous month",),
             "days": ("over the past {n} days", "within the past {n} days"),
             "weeks": ("over the past {n} weeks",)},
}
# What "recently" means when a request says no more: the gold picks one reading.
RECENT = "last 7 days"
DATE_FORMATS = {"train": ("{day} {month}", "{month} {day}"),
                "test": ("{iso}", "the {ord} of {month}", "{mon} {ord}")}
MONTH_FORMATS = {"train": ("{month}",), "test": ("{month} {year}",)}
NUMBERS = {"train": tuple(str(n) for n in range(2, 11)),
           "test": ("two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")}


# ---- saying things in one pool's words ----------------------------------------------
def kind_words(pool: str, kind: str, rng: random.Random) -> dict[str, str]:
    """{kind} and {kinds} slots: one of the pool's names for a resource kind."""
    one, many = rng.choice(KIND_WORDS[pool][kind])
    return {"kind": one, "kinds": many}


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def say_date(pool: str, d: date, rng: random.Random) -> str:
    return rng.choice(DATE_FORMATS[pool]).format(
        day=d.day, month=f"{d:%B}", mon=f"{d:%b}", iso=d.isoformat(), ord=ordinal(d.day))


def say_month(pool: str, d: date, rng: random.Random) -> str:
    return rng.choice(MONTH_FORMATS[pool]).format(month=f"{d:%B}", year=d.year)


def say_period(pool: str, rng: random.Random) -> tuple[str, str]:
    """(canonical DURING value, how the pool says it)."""
    words = PERIODS[pool]
    name = rng.choice(sorted(words))
    if name in ("days", "weeks"):
        n = rng.randint(2, 14) if name == "days" else rng.randint(2, 4)
        return f"last {n} {name}", rng.choice(words[name]).format(n=n)
    return name, rng.choice(words[name])


def misspell(text: str, rng: random.Random, edits: int) -> str:
    """`edits` typing slips (swap, drop, double, a vowel for a letter), each in another
    word of 4+ letters: how a name comes out when typed from memory."""
    words = text.split(" ")
    long = [i for i, x in enumerate(words) if len(x) >= 4 and x.isalpha()]
    for i in rng.sample(long, min(edits, len(long))):
        x, j = words[i], rng.randrange(1, len(words[i]) - 2)
        slip = rng.choice(("swap", "drop", "double", "vowel"))
        if slip == "swap":
            x = x[:j] + x[j + 1] + x[j] + x[j + 2:]
        elif slip == "drop":
            x = x[:j] + x[j + 1:]
        elif slip == "double":
            x = x[:j] + x[j] + x[j:]
        else:
            x = x[:j] + rng.choice([v for v in "aeiou" if v != x[j]]) + x[j + 1:]
        words[i] = x
    return " ".join(words)


# ---- the training pool ----------------------------------------------------------------
TRAIN: tuple[Template, ...] = (
    t("lookup.id", "lookup", "{open} {rid}", "{open} {kind} {rid}", "what's in {rid}?", by="id"),
    t("lookup.number", "lookup", "{open} {kind} number {n}", by="number"),
    t("lookup.person", "lookup", "who is {alias}?", "{open} the contact card for {alias}",
      by="person"),
    t("lookup.title", "lookup", "{open} the {kind} titled '{title}'", "{open} '{title}'",
      by="title"),
    t("lookup.project", "lookup", "{open} the {project} project", "what is {project}?",
      by="project", weight=0.4),
    t("search.topic", "search", "{find} what I have on {topic}", "{find} anything about {topic}",
      "what do I have on {topic}?"),
    t("search.kind", "search", "{find} {kinds} about {topic}", "any {kinds} on {topic}?"),
    t("search.project", "search", "{find} {project} stuff about {topic}",
      "{find} {kinds} in {project} about {topic}"),
    t("search.person", "search", "{find} {kinds} with {name} about {topic}",
      "what did {name} say about {topic}?"),
    t("search.relative", "search", "{find} {kinds} about {topic} {period}",
      "{find} {topic} stuff {period}", "{find} {project} {kinds} on {topic} {period}"),
    t("search.absolute", "search", "{find} {kinds} about {topic} since {after}",
      "{find} {kinds} about {topic} before {before}", "{find} {kinds} about {topic} in {month}"),
    t("search.moments", "search", "when did I work on {topic}?",
      "{find} the times I spent on {topic}", table="moments", weight=0.5),
    t("ambiguous.person", "search", "{find} anything on {name}", text="name", weight=0.35),
    t("ambiguous.subject", "search", "{find} the {subject} thing",
      "what was that {subject} thing again?", text="subject", weight=0.35),
    t("ambiguous.recent", "search", "what's new in {project}?", "{find} recent {project} stuff",
      text="project", recent=True, weight=0.35),
    t("multistep.search", "search", "{find} the {kind} about {topic} and tell me who was on it",
      weight=0.35),
    t("fuzzy.person", "fuzzy", "who is {typo}?", "{find} someone called {typo}, not sure of "
      "the spelling", table="entities"),
    t("fuzzy.title", "fuzzy", "{find} the {kind} called '{typo}'", "{open} '{typo}'",
      table="resources"),
    t("traverse.linked", "traverse", "what is linked to {key}?", "show the links of {key}",
      "what's connected to {key}?"),
    t("traverse.depth2", "traverse", "what is linked to {key}, and what links to those?",
      "show everything within two hops of {key}", depth=2),
    t("traverse.asof", "traverse", "what was linked to {key} as of {date}?",
      "show the links of {key} on {date}"),
    t("traverse.implements", "traverse", "which PR implements {key}?", via=("PREREQUISITE",),
      key="ticket", weight=0.6),
    t("traverse.ticket_of", "traverse", "which ticket is {key} for?", via=("PREREQUISITE",),
      key="pr", weight=0.6),
    t("traverse.builds", "traverse", "show the CI builds of {key}", via=("CONTINUATION",),
      key="pr", weight=0.6),
    t("traverse.followups", "traverse", "show follow-ups to {key}", via=("CONTINUATION",),
      key="thread", weight=0.6),
    t("traverse.related", "traverse", "{find} items related to {key}", via=("SEE_ALSO",)),
    t("traverse.mentions", "traverse", "who and what does {key} mention?", via=("MENTIONS",),
      weight=0.6),
    t("traverse.authored", "traverse", "what has {name} written?", via=("AUTHORED",),
      key="person", weight=0.6),
    t("traverse.attended", "traverse", "which meetings did {name} attend?", via=("ATTENDED",),
      key="person", weight=0.6),
    t("multistep.ticket", "traverse", "did CI pass for the PR that implements {key}?",
      "show the builds of the PR for {key}", via=("PREREQUISITE", "CONTINUATION"), depth=2,
      key="ticket", weight=0.5),
    t("sql.count", "sql", "how many {kinds} do I have in {project}?",
      "count the {project} {kinds}", shape="count"),
    t("sql.count_opened", "sql", "how many {kinds} did I open in {project}?", shape="count",
      kinds=("pr", "ticket")),
    t("sql.count_since", "sql", "how many {kinds} since {after}?",
      "count the {kinds} from {month}", shape="count"),
    t("sql.latest", "sql", "{list} my {n} latest {kinds} in {project}",
      "what are my {n} most recent {kinds}?", shape="latest"),
    t("sql.by_kind", "sql", "how many records of each kind do I have?",
      "break down my memory by kind", "break down {project} by kind", shape="kind", weight=0.6),
    t("sql.by_project", "sql", "how many {kinds} per project?", shape="project",
      weight=0.6),
    t("sql.edges", "sql", "how many links of each type are there?", shape="edge",
      weight=0.3),
    t("sql.moments", "sql_moments", "how many {moments} did I have in {month}?",
      "count my {moments} since {after}"),
    t("sql.role", "sql_facts", "how has {name}'s role changed?",
      "what was {name}'s role over time?", about="person"),
    t("multistep.latest", "sql", "{list} my latest {kind} in {project} and who "
      "reviewed it", shape="latest", kinds=("pr",), weight=0.5),
    t("refuse.email", "refuse", "send {name} an email about {rid}",
      "email {first} the notes from {rid}", "write to {name} that the {project} release slips"),
    t("refuse.reminder", "refuse", "remind me to review {rid} tomorrow at {hour}",
      "set a reminder for {date} to ping {first}"),
    t("refuse.weather", "refuse", "how's the weather in {city}?",
      "will it rain in {city} tomorrow?"),
    t("refuse.delete", "refuse", "delete everything in my memory", "delete all {project} records",
      "remove {rid} from memory"),
    t("refuse.code", "refuse", "write a python function that parses {project} logs",
      "write code to fix {rid}"),
    t("refuse.calendar", "refuse", "schedule a meeting with {name} on {date}",
      "book a room for the {project} sync"),
)

# ---- the held-out pool ----------------------------------------------------------------
TEST: tuple[Template, ...] = (
    t("heldout.lookup.id", "lookup", "{open} record {rid}", "I need {rid}, {open} it",
      "the contents of {rid}, please", by="id"),
    t("heldout.lookup.number", "lookup", "{open} {kind} #{n}", by="number"),
    t("heldout.lookup.person", "lookup", "tell me about the person {alias}",
      "give me the profile of {alias}", by="person"),
    t("heldout.lookup.title", "lookup", '{open} the {kind} named exactly "{title}"',
      'I want the one called "{title}"', by="title"),
    t("heldout.lookup.project", "lookup", "describe project {project}", by="project",
      weight=0.4),
    t("heldout.search.topic", "search", "{find} material covering {topic}",
      "is there something on {topic}?"),
    t("heldout.search.kind", "search", "{find} {kinds} that deal with {topic}",
      "which {kinds} mention {topic}?"),
    t("heldout.search.project", "search", "within {project}, {find} things on {topic}",
      "{find} {topic} material from the {project} side"),
    t("heldout.search.person", "search", "{find} {kinds} involving {name} on {topic}",
      "anything {name} wrote regarding {topic}?"),
    t("heldout.search.relative", "search", "{find} {kinds} on {topic} {period}",
      "{period}, what came up about {topic}?"),
    t("heldout.search.absolute", "search", "{find} {kinds} on {topic} from {after} onwards",
      "{find} {kinds} on {topic} prior to {before}", "{find} {kinds} on {topic} during {month}"),
    t("heldout.search.combo", "search",
      "{find} {project} {kinds} involving {name} on {topic} {period}"),
    t("heldout.ambiguous.person", "search", "{find} whatever involves {name}", text="name",
      weight=0.35),
    t("heldout.ambiguous.subject", "search", "anything going on with {subject}?",
      "{find} the {subject} business", text="subject", weight=0.35),
    t("heldout.ambiguous.recent", "search", "catch me up on {project}",
      "{find} the latest happenings in {project}", text="project", recent=True, weight=0.35),
    t("heldout.multistep.search", "search", "{find} the {kind} covering {topic}, then sum up "
      "its links", weight=0.35),
    t("heldout.fuzzy.person", "fuzzy", "is there a colleague named {typo}?",
      "{find} the person {typo} (spelling may be off)", table="entities"),
    t("heldout.fuzzy.title", "fuzzy", '{find} the {kind} roughly titled "{typo}"',
      'I think there is something like "{typo}", {find} it', table="resources"),
    t("heldout.traverse.linked", "traverse", "what connects to {key}?",
      "trace the links from {key}"),
    t("heldout.traverse.depth2", "traverse", "trace the links from {key} two levels deep",
      "what sits two steps away from {key}?", depth=2),
    t("heldout.traverse.asof", "traverse", "back on {date}, what connected to {key}?",
      "how did the links of {key} look at {date}?"),
    t("heldout.traverse.resolves", "traverse", "what code change resolves {key}?",
      via=("PREREQUISITE",), key="ticket", weight=0.6),
    t("heldout.traverse.builds", "traverse", "{find} the pipeline runs triggered by {key}",
      via=("CONTINUATION",), key="pr", weight=0.6),
    t("heldout.traverse.followups", "traverse", "did anyone follow up on {key} before {date}?",
      via=("CONTINUATION",), key="thread", weight=0.6),
    t("heldout.traverse.related", "traverse", "{find} things similar to {key}",
      via=("SEE_ALSO",)),
    t("heldout.traverse.authored", "traverse", "which records did {name} author?",
      via=("AUTHORED",), key="person", weight=0.6),
    t("heldout.multistep.ticket", "traverse", "which pipeline runs belong to the change that "
      "closes {key}?", via=("PREREQUISITE", "CONTINUATION"), depth=2, key="ticket", weight=0.5),
    t("heldout.sql.count", "sql", "tally up the {project} {kinds}",
      "total number of {kinds} in {project}?", shape="count"),
    t("heldout.sql.count_since", "sql", "tally the {kinds} from {after} onwards", shape="count"),
    t("heldout.sql.latest", "sql", "{list} the {n_word} newest {project} {kinds}",
      "{list} the {n_word} most recently created {kinds}", shape="latest"),
    t("heldout.sql.by_month", "sql", "monthly totals of {kinds}",
      "{kinds} per calendar month, counted", shape="month", weight=0.6),
    t("heldout.sql.busiest_day", "sql", "on which day did I get the most {kinds}?",
      shape="day", weight=0.6),
    t("heldout.sql.status", "sql_facts", "trace the status history of {project}",
      about="project", weight=0.6),
    t("heldout.sql.role", "sql_facts", "give me the job-title history of {name}",
      about="person", weight=0.6),
    t("heldout.sql.moments", "sql_moments", "tally my {moments} during {month}"),
    t("heldout.multistep.latest", "sql", "grab the newest {project} {kind}, then show "
      "what links to it", shape="latest", weight=0.5),
    t("heldout.refuse.post", "refuse", "post in #{project} that {rid} is merged",
      "tell the {project} channel I'm running late"),
    t("heldout.refuse.forward", "refuse", "forward {rid} to {name}", "reply to {first} saying yes"),
    t("heldout.refuse.tracker", "refuse", "close {rid} for me", "merge {rid}",
      "assign {rid} to {first}"),
    t("heldout.refuse.world", "refuse", "what's the stock price of {customer}?",
      "who won the football last night?", "translate {rid} into French",
      "what time is it in {city}?"),
    t("heldout.refuse.wipe", "refuse", "wipe my whole memory",
      "erase what you know about {name}", "drop the facts table"),
    t("heldout.refuse.travel", "refuse", "arrange a flight to {city} for the offsite",
      "order lunch for the {project} team"),
)
POOLS = {"train": TRAIN, "test": TEST}
