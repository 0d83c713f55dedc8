"""Task 1's dataset: requests in words paired with the REM query that serves them.

`build_query_examples()` draws QUERY_TRAIN + QUERY_VAL examples from the training
templates and QUERY_TEST from the held-out ones (query_templates.py), filled with the
ids, names, projects, topics and dates of the world memory (persona WORLD_SEED's
first WORLD_DAYS days). Each gold query is built as a typed object and stored as its
canonical text. Builders only offer queries they know to answer from the batch: ids
and titles exist, a FUZZY text is within the threshold of the name it misspells, a
TRAVERSE starts where edges of the asked types were valid at its AS OF, a SEARCH's
filters hold for the record its topic came from, SQL counts what exists.

Deterministic: one random.Random(QUERY_SEED), the batch's own order, sorted sets.
"""

from __future__ import annotations

import json
import random
import string
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from augur.memory.model import MemoryBatch
from augur.memory.query import (
    FuzzyQuery,
    LookupQuery,
    SearchQuery,
    SqlQuery,
    TimeFilter,
    TraverseQuery,
)
from augur.memory.store.rows import similarity
from augur.memory.store.sqlite import STOP
from augur.memory.tasks.harness import constants as C
from augur.memory.tasks.harness import query_templates as QT
from augur.memory.tasks.harness.examples import QueryExample
from augur.memory.world import WorldConfig, world_memory
from augur.memory.world_text import CITIES, CUSTOMERS, MOODS, PROJECTS, paraphrases

SHARES = {"SEARCH": 0.30, "LOOKUP": 0.15, "FUZZY": 0.12, "TRAVERSE": 0.13, "SQL": 0.15,
          "REFUSE": 0.15}
SPLITS = (("train", C.QUERY_TRAIN, "train"), ("val", C.QUERY_VAL, "train"),
          ("test", C.QUERY_TEST, "test"))
ID_KINDS = ("pr", "ticket", "email_thread", "meeting_notes", "build", "incident", "document")
TITLED = ("pr", "ticket", "document", "meeting_notes", "incident")
PROJECT_KINDS = ("pr", "ticket", "email_thread", "meeting_notes", "document", "build",
                 "chat_thread")
FUZZY_THRESHOLD = 0.3  # FuzzyQuery's default, so the gold prints without THRESHOLD
MAX_TRIES = 200
_SUBJECTS = {s.lower(): s for _, areas in PROJECTS.values() for pairs in areas.values()
             for s, _ in pairs}

Built = tuple[dict[str, str], Any, list[str]]  # slots, typed query (None: refuse), tags


def _words(text: str) -> str:
    return " ".join("".join(c if c.isalnum() else " " for c in text.lower()).split())


# (" words ", canonical, paraphrase) of the catalogue, longest first so that "session
# expiry" is taken before any shorter phrase inside it
_KEYS = [(f" {_words(c)} ", c, p) for c, p in sorted(
    paraphrases().items(), key=lambda kv: (-len(kv[0]), kv[0])) if _words(c)]


def _topics(name: str) -> list[tuple[str, str]]:
    """(canonical, paraphrase) of each catalogue phrase in a name: what a request can ask
    about in other words than the name's."""
    text, out = f" {_words(name)} ", []
    for key, canon, para in _KEYS:
        if key in text:
            out.append((canon, para))
            text = text.replace(key, " | ")
    return out


def _stems(text: str) -> set[str]:
    """Words as BM25 matches them, roughly: the porter stemmer at least drops a plural s."""
    return {w[:-1] if w.endswith("s") and len(w) > 3 else w for w in _words(text).split()
            if w not in STOP and (len(w) > 1 or w.isdigit())}


def _pick(rng: random.Random, recs: list) -> Any:
    """A record of a kind drawn evenly: email threads are half the memory, and requests
    should not be."""
    kind = rng.choice(sorted({_kind_of(r) for r in recs}))
    return rng.choice([r for r in recs if _kind_of(r) == kind])


def _kind_of(rec) -> str:
    return getattr(rec, "kind", None) or rec.moment_type


def _day(ts: datetime) -> date:
    return ts.astimezone(UTC).date()  # the stores keep UTC; filters compare in it


class World:
    """The values requests are made of, read once from a world memory batch."""

    def __init__(self, batch: MemoryBatch) -> None:
        self.resources = batch.resources
        self.moments = batch.moments
        self.by_kind: dict[str, list] = defaultdict(list)
        for r in batch.resources:
            self.by_kind[r.kind].append(r)
        # The person whose memory it is is in nearly every record; requests call them "I".
        self.me = Counter(p for r in batch.resources for p in r.persons).most_common(1)[0][0]
        self.people = [e for e in batch.entities if e.kind == "person" and e.id != self.me]
        self.person = {e.id: e for e in self.people}
        self.projects = [e.id for e in batch.entities if e.kind == "project"]
        names = Counter(r.name for r in batch.resources)
        self.titled = [r for r in batch.resources if r.kind in TITLED and names[r.name] == 1]
        records = [*batch.resources, *batch.moments]
        topics = {x.id: _topics(x.name) for x in records}
        # Subjects named in a record's name, as the catalogue writes them (the
        # "ambiguous" requests ask by those: "the token refresh thing").
        self.subjects = {i: [_SUBJECTS[c] for c, _ in t if c in _SUBJECTS]
                         for i, t in topics.items()}
        # What a SEARCH can ask a record by, in other words than its name: paraphrases of
        # its name's phrases that BM25 (the executor's retriever without an embedder)
        # finds a word of in the record, else the gold would answer nothing; and the
        # topics it is tagged with (the entity retriever finds those) not in its name.
        named = {e.id: e.name for e in batch.entities
                 if e.kind == "topic" and e.id not in MOODS and e.id != "bug"}
        self.asks = {}
        for x in records:
            have, title = _stems(x.text()), _stems(x.name)
            tagged = [named[t] for t in getattr(x, "topics", None) or x.topic_tags
                      if t in named and not _stems(named[t]) <= title]
            self.asks[x.id] = list(dict.fromkeys(
                [*(p for _, p in topics[x.id] if _stems(p) & have), *tagged]))
        # What relative periods resolve against: the executor's store.latest().
        self.ref = max([r.created_at for r in batch.resources]
                       + [m.end for m in batch.moments]).astimezone(UTC)
        self.all_edges, self._linked = batch.edges, {}
        self.adj: dict[str, list] = defaultdict(list)
        for e in batch.edges:
            self.adj[e.from_id].append(e)
            self.adj[e.to_id].append(e)
        self.fact_subjects = {(f.subject, f.predicate) for f in batch.facts}

    def called(self, p, rng: random.Random) -> str:
        """How a request names a person: full name, or a colleague's first name alone."""
        first = p.name.split()[0]
        return rng.choice([p.name, first] if first.lower() in p.aliases else [p.name])

    def others(self, r) -> list:
        return [self.person[p] for p in r.persons if p in self.person]

    def linked(self, via: tuple[str, ...]) -> set[str]:
        """Ids with a current edge of `via`'s types (any type when empty), cached: each
        TRAVERSE draw would otherwise scan every record's edges."""
        if via not in self._linked:
            self._linked[via] = {n for e in self.all_edges if (not via or e.type in via)
                                 and e.invalid_at is None for n in (e.from_id, e.to_id)}
        return self._linked[via]

    def edges(self, node: str, via: tuple[str, ...], as_of: date | None = None) -> list:
        """The edges TRAVERSE would follow out of `node`: of the types asked, valid at
        midnight UTC of `as_of` (the executor reads a date so)."""
        cut = None if as_of is None else datetime.combine(as_of, datetime.min.time(), UTC)
        return [e for e in self.adj.get(node, []) if (not via or e.type in via)
                and e.invalid_at is None and (cut is None or e.valid_at <= cut)]


# ---- builders: world values and the gold query for a pattern's slots ---------------------
def b_lookup(w: World, rng, fields, pool, by: str) -> Built:
    if by == "person":
        p = rng.choice(w.people)
        alias = rng.choice(p.aliases)
        return {"alias": alias}, LookupQuery(key=alias, table_name="entities"), ["alias"]
    if by == "project":
        project = rng.choice(w.projects)
        return {"project": project}, LookupQuery(key=project, table_name="entities"), []
    kinds = {"id": ID_KINDS, "number": ("pr", "ticket", "build"), "title": TITLED}[by]
    r = _pick(rng, w.titled if by == "title" else [r for k in kinds for r in w.by_kind[k]])
    # "PR number 33" is pr-33: an id is its kind's prefix and a number
    slots = {"rid": r.id, "n": r.id.rsplit("-", 1)[-1], "title": r.name,
             **QT.kind_words(pool, r.kind, rng)}
    return slots, LookupQuery(key=r.name if by == "title" else r.id), []


def _search_anchor(w: World, rng, fields, table: str, text: str, during: str | None):
    """(record, topic): a record the request is about, which has what the pattern names
    and falls in the period, so the filters keep at least it. Topics are drawn evenly,
    not by how many records have them."""
    lo, hi = TimeFilter(during=during).bounds(w.ref) if during else (None, None)
    ok = [r for r in (w.moments if table == "moments" else w.resources)
          if not ((text == "topic" and not w.asks[r.id])
                  or (lo and not lo <= (getattr(r, "created_at", None) or r.start) < hi)
                  or (text == "subject" and not w.subjects[r.id])
                  or ("name" in fields and not w.others(r))
                  or (("project" in fields or text == "project") and not r.project))]
    if not ok:
        return None
    if text != "topic":
        return rng.choice(ok), None
    topic = rng.choice(sorted({a for r in ok for a in w.asks[r.id]}))
    return _pick(rng, [r for r in ok if topic in w.asks[r.id]]), topic


def b_search(w: World, rng, fields, pool, table="resources", text="topic",
             recent=False) -> Built | None:
    during, slots, tags = None, {}, []
    if recent or "period" in fields:
        during, slots["period"] = (QT.RECENT, "") if recent else QT.say_period(pool, rng)
        tags.append("relative-time")
    got = _search_anchor(w, rng, fields, table, text, during)
    if got is None:
        return None
    r, slots["topic"] = got
    q: dict[str, Any] = {"table_name": table, "query_text": slots["topic"]}
    if text == "subject":
        q["query_text"] = slots["subject"] = rng.choice(w.subjects[r.id])
    if fields & {"kind", "kinds"}:
        q["kind"], tags = r.kind, [*tags, "kind-filter"]
        slots.update(QT.kind_words(pool, r.kind, rng))
    if "project" in fields or text == "project":
        q["project"] = slots["project"] = r.project
        if text == "project":  # "what's new in atlas": the project is all the text there is
            q["query_text"] = r.project
        else:
            tags.append("project-filter")
    if "name" in fields:
        p = rng.choice(w.others(r))
        if text == "name":  # "anything on Ana Tanaka": a person, not a filter on one
            q["query_text"] = slots["name"] = p.name
        else:  # filters name the entity id, as the hand-written examples do
            slots["name"], q["person"] = w.called(p, rng), p.id
            tags.append("person-filter")
    tf = _absolute(pool, rng, fields, _day(r.created_at), slots) if table == "resources" else {}
    tags += ["absolute-time"] if tf else []
    if during:
        tf["during"] = during
    tags += ["filter"] if tf or {"kind", "project", "person"} & set(q) else []
    return slots, SearchQuery(**q, time_filter=TimeFilter(**tf) if tf else None), tags


def _absolute(pool, rng, fields, d: date, slots: dict) -> dict[str, date]:
    """AFTER / BEFORE bounds around day `d` for the pattern's {after}, {before}, {month}."""
    tf = {}
    if "after" in fields:
        tf["after"] = d - timedelta(days=rng.randint(0, 20))
        slots["after"] = QT.say_date(pool, tf["after"], rng)
    if "before" in fields:
        tf["before"] = d + timedelta(days=rng.randint(1, 20))
        slots["before"] = QT.say_date(pool, tf["before"], rng)
    if "month" in fields:
        tf["after"] = d.replace(day=1)
        tf["before"] = (tf["after"] + timedelta(days=32)).replace(day=1)
        slots["month"] = QT.say_month(pool, d, rng)
    return tf


def b_fuzzy(w: World, rng, fields, pool, table: str) -> Built | None:
    r = rng.choice(w.people) if table == "entities" else _pick(rng, w.titled)
    slots = QT.kind_words(pool, r.kind, rng) if table == "resources" else {}
    typo = QT.misspell(r.name, rng, 1 if table == "entities" else 2)
    # Only a real misspelling that FUZZY still finds: its trigram similarity to the name.
    if typo == r.name or similarity(typo, r.name) < FUZZY_THRESHOLD:
        return None
    slots["typo"] = typo
    return slots, FuzzyQuery(query_text=typo, table_name=table), ["misspelt"]


def b_traverse(w: World, rng, fields, pool, via=(), key="any", depth=1) -> Built | None:
    if key == "person":  # the key is the entity id the name resolves to
        p = rng.choice([p for p in w.people if p.id in w.linked(via)])
        shown, node = w.called(p, rng), p.id
    else:
        prefix = {"any": "", "ticket": "ticket-", "pr": "pr-", "thread": "thread-"}[key]
        shown = node = _pick(rng, [r for k in ID_KINDS for r in w.by_kind[k]
                                   if r.id.startswith(prefix) and r.id in w.linked(via)]).id
    slots, tags, as_of = {"key": shown, "name": shown}, [], None
    if "date" in fields:  # a day after the first link of the asked types came to be
        first = min(_day(e.valid_at) for e in w.edges(node, via))
        as_of = min(first + timedelta(days=rng.randint(1, 30)), _day(w.ref))
        if not w.edges(node, via, as_of):
            return None
        slots["date"], tags = QT.say_date(pool, as_of, rng), ["as-of"]
    tags += [*(["via"] if via else []), *(["depth"] if depth > 1 else [])]
    return slots, TraverseQuery(key=node, edge_types=list(via), depth=depth, as_of=as_of), tags


# SQL over resources of one kind; {where} holds the kind and whatever the pattern adds
SQL_SHAPES = {
    "count": ("count", "SELECT COUNT(*) AS n FROM resources {where}"),
    "latest": ("latest", "SELECT id, name, created_at FROM resources {where} "
                         "ORDER BY created_at DESC LIMIT {n}"),
    "kind": ("group-by", "SELECT kind, COUNT(*) AS n FROM resources {where} "
                         "GROUP BY kind ORDER BY n DESC"),
    "project": ("group-by", "SELECT project, COUNT(*) AS n FROM resources {where} "
                            "GROUP BY project ORDER BY n DESC"),
    "month": ("group-by", "SELECT strftime('%Y-%m', created_at) AS month, COUNT(*) AS n "
                          "FROM resources {where} GROUP BY month ORDER BY month"),
    "day": ("group-by", "SELECT strftime('%Y-%m-%d', created_at) AS day, COUNT(*) AS n "
                        "FROM resources {where} GROUP BY day ORDER BY n DESC LIMIT 1"),
    "edge": ("group-by", "SELECT type, COUNT(*) AS n FROM edges GROUP BY type ORDER BY n DESC"),
}


def b_sql(w: World, rng, fields, pool, shape: str, kinds=PROJECT_KINDS) -> Built:
    """Counts, latest N and group-bys over the resources of one kind (the kind of a
    record that exists, so counts are never of nothing), optionally of one project and
    period; breaking down by kind takes no kind."""
    r = _pick(rng, [r for k in kinds for r in w.by_kind[k]
                    if r.project or "project" not in fields])
    n = rng.randint(2, 10) if fields & {"n", "n_word"} else 1
    slots = {"project": r.project, "n": str(n), "n_word": QT.NUMBERS[pool][n - 2] if n > 1
             else "", **QT.kind_words(pool, r.kind, rng)}
    conds = [f"kind = '{r.kind}'"] if shape != "kind" else []
    conds += [f"project = '{r.project}'"] if "project" in fields else []
    tf = _absolute(pool, rng, fields, _day(r.created_at), slots)
    conds += [f"created_at >= '{tf['after']}'"] if "after" in tf else []
    conds += [f"created_at < '{tf['before']}'"] if "before" in tf else []
    tag, sql = SQL_SHAPES[shape]
    where = ("WHERE " + " AND ".join(conds)) if conds else ""
    sql = " ".join(sql.format(where=where, n=n).split())
    return slots, SqlQuery(sql=sql), [tag, *(["absolute-time"] if tf else [])]


def b_sql_moments(w: World, rng, fields, pool) -> Built:
    mtype = rng.choice(sorted(QT.MOMENT_WORDS[pool]))
    m = rng.choice([m for m in w.moments if m.moment_type == mtype])
    slots = {"moments": QT.MOMENT_WORDS[pool][mtype]}
    tf = _absolute(pool, rng, fields, _day(m.start), slots)
    conds = [f"moment_type = '{mtype}'", f"starts_at >= '{tf['after']}'"]
    conds += [f"starts_at < '{tf['before']}'"] if "before" in tf else []
    sql = "SELECT COUNT(*) AS n FROM moments WHERE " + " AND ".join(conds)
    return slots, SqlQuery(sql=sql), ["count", "absolute-time"]


def b_sql_facts(w: World, rng, fields, pool, about: str) -> Built:
    """What a person's role or a project's status was over time, from the facts."""
    predicate = {"person": "role", "project": "status"}[about]
    subjects = [p.id for p in w.people] if about == "person" else w.projects
    subject = rng.choice([s for s in subjects if (s, predicate) in w.fact_subjects])
    slots = {"name": w.person[subject].name if about == "person" else "", "project": subject}
    sql = (f"SELECT value, valid_at, invalid_at FROM facts WHERE subject = '{subject}' AND "
           f"predicate = '{predicate}' ORDER BY valid_at")
    return slots, SqlQuery(sql=sql), ["history"]


def b_refuse(w: World, rng, fields, pool) -> Built:
    p = rng.choice(w.people)
    day = _day(w.ref) - timedelta(days=rng.randint(0, 60))
    slots = {"name": p.name, "first": p.name.split()[0], "project": rng.choice(w.projects),
             "rid": _pick(rng, [r for k in ID_KINDS for r in w.by_kind[k]]).id,
             "city": rng.choice(CITIES), "customer": rng.choice(CUSTOMERS),
             "date": QT.say_date(pool, day, rng),
             "hour": f"{rng.randint(8, 17)}:{rng.choice(('00', '30'))}"}
    return slots, None, ["refusal"]


BUILDERS = {"lookup": b_lookup, "search": b_search, "fuzzy": b_fuzzy, "traverse": b_traverse,
            "sql": b_sql, "sql_moments": b_sql_moments, "sql_facts": b_sql_facts,
            "refuse": b_refuse}
OP_OF = {"lookup": "LOOKUP", "search": "SEARCH", "fuzzy": "FUZZY", "traverse": "TRAVERSE",
         "refuse": "REFUSE", **{b: "SQL" for b in BUILDERS if b.startswith("sql")}}


# ---- drawing examples ----------------------------------------------------------------
def _render(t: QT.Template, pool: str, w: World, rng: random.Random):
    """(text, typed query or None, tags) from one template, or None if the world has no
    values that fit this draw."""
    pattern = rng.choice(t.patterns)
    fields = {f for _, f, _, _ in string.Formatter().parse(pattern) if f}
    built = BUILDERS[t.builder](w, rng, fields, pool, **t.params)
    if built is None:
        return None
    slots, query, tags = built
    words = {f: rng.choice(QT.PHRASES[pool][f]) for f in sorted(fields) if f in QT.PHRASES[pool]}
    text = pattern.format(**slots, **words)
    if pattern.startswith(QT.IMPERATIVE):
        text = rng.choice(QT.PREFIX[pool]) + text + rng.choice(QT.SUFFIX[pool])
    parts = t.id.split(".")
    tags = [*(["ambiguous"] if "ambiguous" in parts else []),
            *(["multi-step"] if "multistep" in parts else []), *tags]
    return text[0].upper() + text[1:], query, list(dict.fromkeys(tags))


def _quota(n: int) -> list[str]:
    """`n` ops in SHARES' proportions (largest remainder, ties in SHARES' order)."""
    raw = {op: n * s for op, s in SHARES.items()}
    counts = {op: int(v) for op, v in raw.items()}
    by_rest = sorted(SHARES, key=lambda op: -(raw[op] - counts[op]))
    for op in by_rest[:n - sum(counts.values())]:
        counts[op] += 1
    return [op for op in SHARES for _ in range(counts[op])]


def _draw(w: World, rng: random.Random, pool: str, op: str, seen: set[str]):
    templates = [t for t in QT.POOLS[pool] if OP_OF[t.builder] == op]
    for _ in range(MAX_TRIES):
        t = rng.choices(templates, [t.weight for t in templates])[0]
        got = _render(t, pool, w, rng)
        if got is not None and got[0].lower() not in seen:
            seen.add(got[0].lower())
            return t, got
    raise ValueError(f"no new {op} request from the {pool} templates after {MAX_TRIES} tries; "
                     "the world memory is too small for this many examples")


def build_query_examples(batch: MemoryBatch | None = None) -> list[QueryExample]:
    """QUERY_TRAIN train, QUERY_VAL val and QUERY_TEST test examples over `batch` (the
    constants' world memory when None); the same list on every call."""
    if batch is None:
        batch = world_memory(WorldConfig(seed=C.WORLD_SEED, days=C.WORLD_DAYS))
    w, rng, seen, out = World(batch), random.Random(C.QUERY_SEED), set(), []
    for split, n, pool in SPLITS:
        ops = _quota(n)
        rng.shuffle(ops)
        for i, op in enumerate(ops):
            t, (text, query, tags) = _draw(w, rng, pool, op, seen)
            out.append(QueryExample(
                id=f"{split}-{i:04d}", text=text, op=op, split=split, template=t.id, tags=tags,
                query=None if query is None else query.to_text()))
    return out


# ---- files ---------------------------------------------------------------------------
def write_jsonl(examples: list[QueryExample], path: str | Path) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as f:
        for ex in examples:
            f.write(json.dumps(ex.model_dump(mode="json"), ensure_ascii=False) + "\n")


def read_jsonl(path: str | Path) -> list[QueryExample]:
    """Examples from a JSON-lines file; an error names the file and the line."""
    path, out = Path(path), []
    with path.open(encoding="utf-8") as f:
        for n, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                out.append(QueryExample.model_validate_json(line))
            except (ValidationError, ValueError) as e:
                raise ValueError(f"{path}:{n}: not a valid QueryExample: {e}") from None
    return out
