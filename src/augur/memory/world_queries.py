"""The retrieval benchmark over a world_memory batch: search requests whose one right
answer is known, each asking for a resource in other words than its name.

`parse` reads a name back into its template fields and `fill` writes a query with
their paraphrases (world_text.paraphrases), so queries are built from a batch alone.
"""

from __future__ import annotations

import functools
import random
import re
from dataclasses import dataclass

from augur.memory.model import MemoryBatch
from augur.memory.world_text import (
    ALERTS,
    CHORES,
    CITIES,
    CUSTOMERS,
    DOC_KINDS,
    EMAIL_SUBJECTS,
    FEATURES,
    MEETING_KINDS,
    NEWHIRES,
    PR_TITLES,
    PROJECTS,
    SYMPTOMS,
    TICKET_TITLES,
    paraphrases,
)


# ---- reading names back ---------------------------------------------------------------
def _known() -> dict[str, list[str]]:
    """The values each template field can take (so names split exactly)."""
    subjects = [s for _, areas in PROJECTS.values() for pairs in areas.values() for s, _ in pairs]
    return {"project": list(PROJECTS), "Project": [p.capitalize() for p in PROJECTS],
            "area": [a for _, areas in PROJECTS.values() for a in areas], "subject": subjects,
            "Subject": [s[0].upper() + s[1:] for s in subjects],
            "symptom": [s[0] for s in SYMPTOMS], "ticket_phrase": [s[2] for s in SYMPTOMS],
            "feature": [f[0] for f in FEATURES], "chore": [c[0] for c in CHORES],
            "alert": [a[0] for a in ALERTS], "kind": [k[0] for k in MEETING_KINDS],
            "customer": list(CUSTOMERS), "city": list(CITIES), "newhire": list(NEWHIRES),
            "key": [r"[A-Z]{3}-\d+"]}


@functools.lru_cache(maxsize=64)
def _pattern(template: str) -> re.Pattern:
    known, pattern, pos = _known(), "", 0
    for m in re.finditer(r"\{(\w+)\}", template):
        field = m.group(1)
        values = known.get(field)
        alt = ("|".join(v if field == "key" else re.escape(v)
                        for v in sorted(values, key=len, reverse=True)) if values else ".+?")
        pattern += re.escape(template[pos:m.start()]) + f"(?P<{field}>{alt})"
        pos = m.end()
    return re.compile(pattern + re.escape(template[pos:]))


def parse(name: str, template: str) -> dict[str, str] | None:
    """The fields of `name` if it was made by `template`, else None. Subjects and the like
    match catalogue values only, so 'Token refresh fails ...' splits where it should."""
    m = _pattern(template).fullmatch(name)
    if m is None:
        return None
    fields = m.groupdict()
    for k in ("Subject", "Project"):  # templates print some fields capitalised
        if k in fields:
            fields[k.lower()] = fields[k] if k == "Subject" else fields[k].lower()
    return fields


def fill(template: str, fields: dict[str, str], table: dict[str, str]) -> str:
    """Format `template`; `{x~}` takes the paraphrase of field x."""
    def sub(m: re.Match) -> str:
        value = fields[m.group(1)]
        return table.get(value.lower(), value) if m.group(2) else value
    return re.sub(r"\{(\w+)(~?)\}", sub, template)


# ---- the retrieval benchmark -----------------------------------------------------------
@dataclass(frozen=True)
class LabelledQuery:
    """A search request whose single right answer is the resource `target_id`."""

    text: str
    target_id: str
    kind: str  # topic, person, project+time, paraphrase


# resource kind -> (name template, query template); {x~} is x's paraphrase
ASK_BY_NAME = {
    "pr": [(PR_TITLES["bug"], "the pull request that gets rid of {symptom~} around {subject~} "
                              "in {project}"),
           (PR_TITLES["feature"], "the code change giving {subject~} in {project} {feature~}"),
           (PR_TITLES["chore"], "the refactor that puts {project}'s {subject~} on {chore~}")],
    "ticket": [(TICKET_TITLES["bug"], "the {project} tracker issue about {subject~} and "
                                      "{ticket_phrase~}"),
               (TICKET_TITLES["feature"], "the issue asking for {feature~} in {subject~}"),
               (TICKET_TITLES["chore"], "the tech-debt item to switch {subject~} to {chore~}")],
    "incident": [("{Project} incident: {alert} in {subject}",
                  "the {project} outage with {alert~} hitting {subject~}")],
    "document": [tuple(v) for v in DOC_KINDS.values()],
}
MEETING_NAME = "{Project} {kind}: {subject}, {date}"


def _subject(pr_name: str) -> str:
    for template in PR_TITLES.values():
        if (f := parse(pr_name, template)) is not None:
            return f["subject"]
    return ""


def world_queries(batch: MemoryBatch, seed: int, n: int) -> list[LabelledQuery]:
    """`n` search requests over `batch` (a world_memory batch), each with one right answer.

    Queries restate a resource's distinctive facts in other words (catalogue
    paraphrases, first names, dates in words) and never contain its name, so lexical
    and semantic retrieval both have something to get wrong. Deterministic in `seed`.
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"n must be a non-negative integer, got {n!r}")
    rng, table = random.Random(f"augur-memory-queries-{seed}"), paraphrases()
    people = {e.id: e.name for e in batch.entities if e.kind == "person"}
    by_name: dict[str, list] = {}
    for r in batch.resources:
        by_name.setdefault(r.name, []).append(r)
    pools: dict[str, list[LabelledQuery]] = {"paraphrase": [], "topic": [], "person": [],
                                             "project+time": []}
    seen: set[str] = set()  # query texts and (kind, target) pairs already offered

    def offer(kind: str, text: str, r) -> None:
        low = text.lower()
        if len(by_name[r.name]) == 1 and not {low, (kind, r.id)} & seen \
                and low not in r.name.lower() and r.name.lower() not in low:
            seen.update((low, (kind, r.id)))
            pools[kind].append(LabelledQuery(text[0].upper() + text[1:], r.id, kind))

    failures: dict[tuple, list] = {}  # (project, case[, subject]) -> PRs whose CI failed so
    for r in batch.resources:
        if r.kind == "pr":
            subject = _subject(r.name)
            for case in dict.fromkeys(re.findall(r"failed on \S+::test_(\w+)", r.content)):
                failures.setdefault((r.project, case), []).append(r)
                failures.setdefault((r.project, case, subject), []).append(r)
    diaries = {r.created_at.date(): r for r in batch.resources if r.kind == "diary_note"}
    for r in batch.resources:
        for template, ask in ASK_BY_NAME.get(r.kind, []):
            if (f := parse(r.name, template)) is not None:
                f = {"project": r.project or "", **f}
                offer("paraphrase", fill(ask, f, table), r)
                if r.kind == "incident" and r.created_at.date() in diaries:
                    offer("project+time", fill("what I wrote in my diary the day {project} had "
                                               "{alert~}", f, table), diaries[r.created_at.date()])
        if r.kind == "pr":
            f = {"project": r.project, "subject": _subject(r.name)}
            for case in dict.fromkeys(re.findall(r"failed on \S+::test_(\w+)", r.content)):
                f["case"] = case
                if len(failures[(r.project, case)]) == 1:
                    offer("topic", fill("the {project} PR whose CI broke on the {case~} test",
                                        f, table), r)
                elif len(failures[(r.project, case, f["subject"])]) == 1:
                    offer("topic", fill("the change to {subject~} where the {case~} test failed "
                                        "in CI", f, table), r)
            for case in re.findall(r"test_(\w+) \([^)]*\), flaky", r.content):
                offer("topic", fill("the {project} pull request hit by a flaky {case~} test",
                                    {**f, "case": case}, table), r)
        elif r.kind == "meeting_notes":
            others = [people[p].split()[0] for p in r.persons[1:] if p in people]
            day = f"{r.created_at:%A} {r.created_at.day} {r.created_at:%B}"
            if (f := parse(r.name, MEETING_NAME)) is not None and others:
                who = " and ".join(rng.sample(others, min(2, len(others))))
                offer("person", fill(f"notes from the {{kind~}} with {who} on {day}", f, table), r)
            elif others:
                offer("person", f"what {rng.choice(others)} said at the {r.project} stand-up "
                                f"on {day}", r)
        elif r.kind == "diary_note":
            for title in re.findall(r"^Merged '(.+)'\.$", r.content, re.M):
                f = parse(title, PR_TITLES["bug"])
                if f is not None:
                    offer("project+time", fill("my diary entry from the day I merged the fix for "
                                               "{symptom~} in {subject~}", f, table), r)
        elif r.kind == "chat_thread":
            offer("project+time", f"what people said in the {r.project} channel on "
                                  f"{r.created_at:%B} {r.created_at.day}", r)
        elif r.kind == "email_thread" and r.persons[1:2] and r.persons[1] in people:
            first = people[r.persons[1]].split()[0]
            for template, ask in EMAIL_SUBJECTS.values():
                if (f := parse(r.name, template)) is not None:
                    offer("person", fill(f"the email {first} sent me about {ask}", f, table), r)
    for pool in pools.values():
        rng.shuffle(pool)
    out: list[LabelledQuery] = []
    while len(out) < n and any(pools.values()):
        for pool in pools.values():
            if pool and len(out) < n:
                out.append(pool.pop())
    if len(out) < n:
        raise ValueError(f"asked for {n} queries but this batch supports only {len(out)}; "
                         "render more days (WorldConfig.days) or ask for fewer")
    return out
