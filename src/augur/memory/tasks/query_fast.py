"""Task 1's fast path: an intent classifier over MiniLM embeddings and slot fillers that
read the memory itself, for requests that must answer in milliseconds.

1. Intent: multinomial logistic regression on the request's embedding (trained on
   the train split, numpy only), then one memory-aware correction: a name the
   memory holds exactly is a LOOKUP, a name it does not is a FUZZY.
2. Shape: the nearest training request of that operation gives which parameters
   the query has (its skeleton).
3. Slots: each parameter is refilled from the new request by an extractor: ids
   (`pr-33`), quoted titles, people and projects the memory knows (by alias), record
   kinds (words learned from the train split, never from test), dates and
   periods, numbers; what no extractor finds falls back to word alignment with the
   neighbour (as the retrieval baseline does).
"""

from __future__ import annotations

import re
import time
from datetime import date, timedelta

import numpy as np

from augur.memory.entities import normalize
from augur.memory.tasks.base import Prediction
from augur.memory.tasks.query_models import (
    ShotIndex,
    from_neighbour,
    swap_slots,
    swap_sql_literals,
)

OPS = ("LOOKUP", "SEARCH", "FUZZY", "TRAVERSE", "SQL", "REFUSE")
MONTHS = {m: i + 1 for i, m in enumerate((
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december"))}
_ID = re.compile(r"\b([a-z]+(?:-[a-z]+)*(?:-\d+)+)\b")
_QUOTED = re.compile(r"'([^']{2,})'|\"([^\"]{2,})\"")
_ISO = re.compile(r"\b(\d{4})-(\d\d)-(\d\d)\b")
_DAY_MONTH = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)?(?: of)? (" + "|".join(MONTHS) + r")\b")
_MONTH_DAY = re.compile(r"\b(" + "|".join(MONTHS) + r") (\d{1,2})(?:st|nd|rd|th)?\b")
_MONTH = re.compile(r"\b(" + "|".join(MONTHS) + r")\b")
_RELATIVE = re.compile(r"\b(today|yesterday|this week|last week|this month|last month|"
                       r"last \d+ (?:days?|weeks?|months?))\b")


class SoftmaxIntent:
    """Multinomial logistic regression (L2), full-batch gradient descent."""

    # Chosen on the val split (intent accuracy 0.89 at 400 steps with l2 1e-3, 0.93 at
    # 2,000 with 1e-4, 0.95 at 3,000 with none); the test split was not looked at.
    def __init__(self, x: np.ndarray, labels: list[str], l2: float = 0.0,
                 steps: int = 3000, lr: float = 10.0) -> None:
        # float64 once: x (float32 embeddings) against float64 weights made numpy cast
        # the whole matrix again at every step (43 s to train instead of 3 s); the
        # results are the same, since every product was computed in float64 anyway.
        x = np.asarray(x, dtype=np.float64)
        self.classes = sorted(set(labels))
        y = np.array([self.classes.index(lab) for lab in labels])
        onehot = np.eye(len(self.classes))[y]
        self.w = np.zeros((x.shape[1], len(self.classes)))
        self.b = np.zeros(len(self.classes))
        for _ in range(steps):
            p = self._proba(x)
            grad = (p - onehot) / len(x)
            self.w -= lr * (x.T @ grad + l2 * self.w)
            self.b -= lr * grad.sum(0)

    def _proba(self, x: np.ndarray) -> np.ndarray:
        z = x @ self.w + self.b
        z = np.exp(z - z.max(-1, keepdims=True))
        return z / z.sum(-1, keepdims=True)

    def predict(self, v: np.ndarray) -> str:
        return self.classes[int(np.argmax(self._proba(v[None])[0]))]


class Vocab:
    """What the memory knows by name: aliases of people and projects, record ids and
    titles, its date range."""

    def __init__(self, store) -> None:
        _, ents = store.select("SELECT id, name, kind, aliases FROM entities", 100_000, 30.0)
        self.alias: dict[str, tuple[str, str]] = {}  # normalised alias -> (id, kind)
        for eid, name, kind, aliases in ents:
            for a in [name, eid, *_split_aliases(aliases)]:
                self.alias.setdefault(normalize(a), (eid, kind))
        _, res = store.select("SELECT id, name FROM resources", 1_000_000, 30.0)
        self.titles = {n.lower() for _, n in res}
        _, span = store.select("SELECT min(created_at), max(created_at) FROM resources", 1, 30.0)
        lo, hi = span[0] if span and span[0][0] else ("2025-01-01", "2025-12-31")
        self.first, self.last = date.fromisoformat(lo[:10]), date.fromisoformat(hi[:10])

    def entities_in(self, text: str, kind: str) -> list[str]:
        """Entity ids of `kind` named in `text`, longest phrases first."""
        words = re.findall(r"[\w.'-]+", text)
        found: list[str] = []
        for n in range(4, 0, -1):
            for i in range(len(words) - n + 1):
                hit = self.alias.get(normalize(" ".join(words[i:i + n]).removesuffix("'s")))
                if hit and hit[1] == kind and hit[0] not in found and len(
                        " ".join(words[i:i + n])) > 2:
                    found.append(hit[0])
        return found

    def year_of(self, month: int, day: int) -> date | None:
        for year in range(self.last.year, self.first.year - 2, -1):
            try:
                d = date(year, month, day)
            except ValueError:
                return None
            if d <= self.last + timedelta(days=31):
                return d
        return None


def _split_aliases(raw) -> list[str]:
    if not raw:
        return []
    if isinstance(raw, list):
        return [str(a) for a in raw]
    s = str(raw).strip()
    if s.startswith("["):
        import json

        try:
            return [str(a) for a in json.loads(s)]
        except ValueError:
            pass
    return [a.strip() for a in s.split(",") if a.strip()]


def _kind_words(train) -> dict[str, str]:
    """Words that mark a record kind, learned from the train split: a word that occurs in
    at least 3 requests with KIND k (or kind = 'k' in SQL) and in 80 % of its uses
    with that kind."""
    by_word: dict[str, dict[str, int]] = {}
    for ex in train:
        if ex.op not in ("SEARCH", "SQL"):  # where a request can name a kind
            continue
        m = re.search(r"KIND '([^']+)'|kind = '([^']+)'", ex.query)
        kind = (m.group(1) or m.group(2)) if m else ""
        for w in set(re.findall(r"[a-z]+", ex.text.lower())):
            by_word.setdefault(w, {}).setdefault(kind, 0)
            by_word[w][kind] += 1
    out = {}
    for w, counts in by_word.items():
        kind, n = max(counts.items(), key=lambda kv: kv[1])
        if kind and n >= 3 and n >= 0.8 * sum(counts.values()):
            out[w] = kind
    return out


class FastModel:
    name = "fast"

    def __init__(self, shots: ShotIndex, store) -> None:
        self.shots = shots
        self.vocab = Vocab(store)
        self.intent = SoftmaxIntent(shots.matrix, [e.op for e in shots.examples])
        self.kinds = _kind_words(shots.examples)
        self.by_op = {op: [i for i, e in enumerate(shots.examples) if e.op == op] for op in OPS}

    # ---- slots ------------------------------------------------------------------
    def _dates(self, text: str) -> list[date]:
        low = text.lower()
        out = [date(int(y), int(m), int(d)) for y, m, d in _ISO.findall(low)]
        for d, m in _DAY_MONTH.findall(low):
            out.append(self.vocab.year_of(MONTHS[m], int(d)))
        for m, d in _MONTH_DAY.findall(low):
            out.append(self.vocab.year_of(MONTHS[m], int(d)))
        return [d for d in out if d is not None]

    def _month(self, text: str) -> tuple[date, date] | None:
        low = _DAY_MONTH.sub(" ", _MONTH_DAY.sub(" ", text.lower()))
        m = _MONTH.search(low)
        if not m:
            return None
        start = self.vocab.year_of(MONTHS[m.group(1)], 1)
        if start is None:
            return None
        nxt = date(start.year + (start.month == 12), start.month % 12 + 1, 1)
        return start, nxt

    def _kind(self, text: str) -> str | None:
        for w in re.findall(r"[a-z]+", text.lower()):
            if w in self.kinds:
                return self.kinds[w]
        return None

    def _fill(self, params: dict, near, text: str) -> dict:
        p = swap_slots(params, near.text, text)  # the alignment fallback for every string
        ids = [i for i in _ID.findall(text.lower()) if not re.fullmatch(r"\d{4}-\d\d-\d\d", i)]
        quoted = next((a or b for a, b in _QUOTED.findall(text)), None)
        people = self.vocab.entities_in(text, "person")
        projects = self.vocab.entities_in(text, "project")
        key_id = re.fullmatch(r"([a-z]+(?:-[a-z]+)*)-\d+", str(params.get("key", "")))
        nums = re.findall(r"\b(\d+)\b", text)
        if "key" in p:
            if ids:
                p["key"] = ids[0]
            elif quoted:
                p["key"] = quoted
            elif people and near.op == "TRAVERSE":
                p["key"] = people[0]  # TRAVERSE from a person: the entity id
            elif key_id and nums:  # "PR number 870" after a neighbour's pr-843
                p["key"] = f"{key_id.group(1)}-{nums[0]}"
        if near.op == "FUZZY" and "query_text" in p:
            if quoted:
                p["query_text"] = quoted
            elif p.get("table_name") == "entities" and (name := _name_span(text)):
                p["query_text"] = name
        if near.op == "SEARCH":
            self._filters(p, params, text, people, projects)
        self._times(p, params, text, near.op)
        return p

    def _filters(self, p: dict, params: dict, text: str, people: list[str],
                 projects: list[str]) -> None:
        if projects:
            p["project"] = _project_name(projects[0])
        else:
            p.pop("project", None)
        kind = self._kind(text)
        if kind:
            p["kind"] = kind
        else:
            p.pop("kind", None)
        qt = str(p.get("query_text", ""))
        if _is_slot_only(qt, self):
            about = _ABOUT.search(text)
            if about:
                p["query_text"] = _RELATIVE.sub("", about.group(1)).strip(" ,.?!") or qt
        # A person the request names is a filter, unless they are what is searched for.
        if people and ("person" in params or not any(
                w in p.get("query_text", "").lower() for w in people[0].split("-"))):
            p["person"] = people[0]
        else:
            p.pop("person", None)

    def _times(self, p: dict, params: dict, text: str, op: str) -> None:
        rel = _RELATIVE.search(text.lower())
        dates = self._dates(text)
        month = self._month(text)
        tf = dict(params.get("time_filter") or {})
        if op == "SEARCH" and ("time_filter" in params or rel or dates or month):
            new: dict = {}
            bound = _BOUND.search(text.lower())
            if rel:
                new["during"] = rel.group(1)
            elif dates and len(dates) >= 2 and ("after" in tf and "before" in tf):
                new["after"], new["before"] = dates[0].isoformat(), dates[1].isoformat()
            elif dates and bound and bound.group(1) in ("before", "until", "by", "prior to"):
                new["before"] = dates[0].isoformat()
            elif dates:
                new["after"] = dates[0].isoformat()
            elif month:
                new["after"], new["before"] = month[0].isoformat(), month[1].isoformat()
            if new:
                p["time_filter"] = new
            else:
                p.pop("time_filter", None)
        if "as_of" in params:
            if dates:
                p["as_of"] = dates[0].isoformat()
            else:
                p.pop("as_of", None)

    def _sql(self, sql: str, near, text: str) -> str:
        sql = swap_sql_literals(sql, near.text, text)
        kind = self._kind(text)
        if kind:
            sql = re.sub(r"kind = '[^']*'", f"kind = '{kind}'", sql)
        projects = self.vocab.entities_in(text, "project")
        if projects:
            sql = re.sub(r"project = '[^']*'", f"project = '{_project_name(projects[0])}'", sql)
        people = self.vocab.entities_in(text, "person")
        if people:
            sql = re.sub(r"subject = '[^']*'", f"subject = '{people[0]}'", sql)
        nums = re.findall(r"\b(\d{1,3})\b", _ISO.sub(" ", _DAY_MONTH.sub(" ", text.lower())))
        if nums and re.search(r"LIMIT \d+", sql) and "LIMIT 1" not in sql:
            sql = re.sub(r"LIMIT \d+", f"LIMIT {nums[0]}", sql)
        dates, month = self._dates(text), self._month(text)
        found = re.findall(r"'(\d{4}-\d\d-\d\d)'", sql)
        one = re.search(r"(\w+) >= '\d{4}-\d\d-\d\d'", sql)
        if month and len(found) == 1 and one and not dates:
            # "from January" after a neighbour's "since 17 February": a month is a range.
            col = one.group(1)
            sql = sql.replace(one.group(0), f"{col} >= '{month[0]}' AND {col} < '{month[1]}'")
            return sql
        new = ([month[0], month[1]] if month and len(found) == 2
               else [dates[0]] if dates and len(found) == 1 else None)
        if new:  # positionally, so one replacement never hits another's output
            it = iter(new)
            sql = re.sub(r"'\d{4}-\d\d-\d\d'", lambda _: f"'{next(it)}'", sql)
        return sql

    # ---- the model ----------------------------------------------------------------
    def predict(self, text: str) -> Prediction:
        t0 = time.perf_counter()
        v = self.shots.embedder.embed_one(text)
        op = self.intent.predict(v)
        op = self._memory_check(op, text)
        pool = self.by_op.get(op) or list(range(len(self.shots.examples)))
        scores = self.shots.matrix[pool] @ v
        near = self.shots.examples[pool[int(np.argmax(scores))]]
        return from_neighbour(near, text, t0, self._fill, self._sql)

    def _memory_check(self, op: str, text: str) -> str:
        """A LOOKUP of a name the memory does not hold is a FUZZY, and the reverse."""
        if op not in ("LOOKUP", "FUZZY") or _ID.search(text.lower()):
            return op
        quoted = next((a or b for a, b in _QUOTED.findall(text)), None)
        if quoted is not None:
            return "LOOKUP" if quoted.lower() in self.vocab.titles else "FUZZY"
        return op


_ABOUT = re.compile(r"\b(?:about|on|regarding|concerning|covering)\s+(.+?)"
                    r"(?:,? (?:thanks|please)\b.*|\s+(?:in|during|since|before|after|from|"
                    r"until|by)\s+\S.*)?[?.!]*$", re.IGNORECASE)


def _is_slot_only(qt: str, model: FastModel) -> bool:
    """A query text that is only a project, a period or a kind word: alignment failed."""
    low = qt.lower().strip()
    return (not low or low in {p for p in model.vocab.alias if model.vocab.alias[p][1] ==
                               "project"} or bool(_RELATIVE.fullmatch(low))
            or low in model.kinds)


_BOUND = re.compile(r"\b(before|until|by|prior to|since|after|from)\b[^.?!]*?\d")


def _name_span(text: str) -> str | None:
    """The longest run of capitalised words after the first word: a person's name
    as written ('Faah Silva' in 'look for someone called Faah Silva, not sure')."""
    words = re.findall(r"[\w.'-]+", text)
    best: list[str] = []
    run: list[str] = []
    for w in words[1:] + [""]:
        if w[:1].isupper():
            run.append(w)
        else:
            if len(run) > len(best):
                best = run
            run = []
    return " ".join(best) or None


def _project_name(entity_id: str) -> str:
    return entity_id.removeprefix("project-")


__all__ = ["FastModel", "SoftmaxIntent", "Vocab"]
