"""Parse the REM dialect into the typed queries of query.py, and print them back.

    parse('SEARCH "ci failure" IN resources KIND \\'pr\\' LIMIT 5')  # -> SearchQuery
    to_text(query)                                                # canonical text
    parse_any(obj)  # text, a typed query, the seed's JSON form or a typed dict

The grammar is dialect.lark, parsed with lark's LALR parser (a typical query parses
in tens of microseconds). Text starting with SELECT or WITH is SQL: it becomes a
SqlQuery untouched, and the sandbox (sandbox.py) checks it before it runs. Every
problem is a QueryError that names the position or clause, what was expected and
what was got.
"""

from __future__ import annotations

import re
from functools import cache
from importlib.resources import files
from typing import Any

from lark import Lark, Token, Transformer
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken
from pydantic import BaseModel, ValidationError

from augur.memory.model import TEXT_TABLES
from augur.memory.query import (
    MAX_DEPTH,
    MAX_LIMIT,
    QUERY_ADAPTER,
    FuzzyQuery,
    LookupQuery,
    QueryError,
    RemQuery,
    SearchQuery,
    SqlQuery,
    TraverseQuery,
)

# SQL is recognised by its first word, after any whitespace and SQL comments.
_SQL_START = re.compile(r"(?:\s+|--[^\n]*(?:\n|$)|/\*.*?\*/)*(?:select|with)\b", re.I | re.S)
_EXAMPLES = {"LOOKUP": "LOOKUP pr-12 IN resources",
             "SEARCH": 'SEARCH "text" IN resources LIMIT 5',
             "FUZZY": "FUZZY 'machin lerning' IN resources THRESHOLD 0.7",
             "TRAVERSE": "TRAVERSE pr-12 VIA SEE_ALSO, MENTIONS DEPTH 2"}
_ESCAPES = {"\\": "\\", '"': '"', "'": "'", "n": "\n", "t": "\t", "r": "\r"}
_TERMINALS = {"STRING": "a quoted string", "KEY": "a key", "NUMBER": "a number",
              "COMMA": "','", "AS": "AS OF", "$END": "the end of the query"}
# Where a typed query's field is written in the dialect, for error messages.
_CLAUSE = {"key": "key", "query_text": "text", "table_name": "IN", "project": "PROJECT",
           "kind": "KIND", "person": "PERSON", "after": "AFTER", "before": "BEFORE",
           "during": "DURING", "limit": "LIMIT", "threshold": "THRESHOLD", "depth": "DEPTH",
           "edge_types": "VIA", "as_of": "AS OF", "sql": "SQL", "query_type": "query_type"}
_ALLOWED = {"limit": f"an integer from 1 to {MAX_LIMIT}",
            "depth": f"an integer from 1 to {MAX_DEPTH}",
            "threshold": "a number from 0 to 1",
            "table_name": f"one of {', '.join(TEXT_TABLES)}",
            "query_type": "one of LOOKUP, SEARCH, FUZZY, TRAVERSE, SQL"}
_FIELD_OF = {"PROJECT": "project", "KIND": "kind", "PERSON": "person", "LIMIT": "limit",
             "THRESHOLD": "threshold", "DEPTH": "depth", "VIA": "edge_types",
             "AS OF": "as_of"}
_TIME = {"AFTER": "after", "BEFORE": "before", "DURING": "during"}
_TYPED = (LookupQuery, SearchQuery, FuzzyQuery, TraverseQuery, SqlQuery)
_BY_TAG = {"LOOKUP": LookupQuery, "SEARCH": SearchQuery, "FUZZY": FuzzyQuery,
           "TRAVERSE": TraverseQuery, "SQL": SqlQuery}


def parse(text: str):
    """Dialect text -> LookupQuery | SearchQuery | FuzzyQuery | TraverseQuery | SqlQuery."""
    if not isinstance(text, str):
        raise QueryError(f"query: expected dialect text such as {_EXAMPLES['SEARCH']}, "
                         f"got {type(text).__name__}")
    if not text.strip():
        raise QueryError(f"query: empty; {_hint('')}")
    if _SQL_START.match(text):
        return _validate(SqlQuery, {"sql": text})
    try:
        op, head, clauses = _parser().parse(text)
    except UnexpectedInput as e:
        raise QueryError(_syntax_message(text, e)) from None
    return _build(text, op, head, clauses)


def to_text(query) -> str:
    """The canonical text of a typed query; parse(to_text(q)) == q."""
    return query.to_text()


def parse_any(obj: Any):
    """What the HTTP route and the executor accept: dialect text, a typed query, a
    RemQuery, the seed's JSON form {intent, query_type, parameters, explanation}, or a
    typed query as a dict ({"query_type": "SEARCH", "query_text": ..., ...})."""
    if isinstance(obj, str):
        return parse(obj)
    if isinstance(obj, _TYPED):
        return obj
    if isinstance(obj, RemQuery):
        return _validate(None, {**obj.parameters, "query_type": obj.query_type})
    if isinstance(obj, dict) and "parameters" in obj:
        try:
            rq = RemQuery.model_validate(obj)
        except ValidationError as e:
            raise QueryError(_explain(e, RemQuery)) from None
        return _validate(None, {**rq.parameters, "query_type": rq.query_type})
    if isinstance(obj, dict) and "query_type" in obj:
        return _validate(None, obj)
    got = f"a dict with keys {sorted(obj)}" if isinstance(obj, dict) else type(obj).__name__
    raise QueryError("query: expected dialect text, a typed query, the JSON form "
                     "{intent, query_type, parameters, explanation} or a dict with "
                     f"query_type and its parameters, got {got}")


# ---- grammar --------------------------------------------------------------------------
class _Clauses(Transformer):
    """Runs inside the LALR parser: each rule becomes (clause name, keyword token, value
    tokens), each operation (op, head tokens, clauses); values are decoded in _build."""

    def start(self, c):
        return c[0]

    def key(self, c):
        return c[0]

    def lookup(self, c):
        clauses = [("IN", c[2], c[3])] if len(c) > 2 else []
        return "LOOKUP", {"key": c[1]}, clauses

    def search(self, c):
        return "SEARCH", {"query_text": c[1], "table_name": c[3]}, c[4:]

    def fuzzy(self, c):
        return "FUZZY", {"query_text": c[1], "table_name": c[3]}, c[4:]

    def traverse(self, c):
        return "TRAVERSE", {"key": c[1]}, c[2:]

    def text_filter(self, c):
        return c[0].type, c[0], c[1]

    def limit(self, c):
        return "LIMIT", c[0], c[1]

    def threshold(self, c):
        return "THRESHOLD", c[0], c[1]

    def depth(self, c):
        return "DEPTH", c[0], c[1]

    def as_of(self, c):
        return "AS OF", c[0], c[2]

    def via(self, c):
        return "VIA", c[0], [t for t in c[1:] if t.type == "NAME"]


@cache
def _parser() -> Lark:
    """Built once, on first use (about 0.1 s), not at import."""
    grammar = files("augur.memory").joinpath("dialect.lark").read_text(encoding="utf-8")
    return Lark(grammar, parser="lalr", lexer="contextual", transformer=_Clauses())


# ---- typed query ----------------------------------------------------------------------
def _build(text: str, op: str, head: dict[str, Token], clauses: list) -> BaseModel:
    fields: dict[str, Any] = {k: _value(text, t) for k, t in head.items()}
    if "table_name" in fields:
        fields["table_name"] = fields["table_name"].lower()
    seen: dict[str, Token] = {}
    time_filter: dict[str, Any] = {}
    for name, kw, value in clauses:
        if name in seen:
            raise QueryError(f"{name} given twice (at {_where(text, seen[name].start_pos)} "
                             f"and {_where(text, kw.start_pos)}): each clause may appear "
                             f"at most once; {_hint(op)}")
        seen[name] = kw
        if name == "IN":
            fields["table_name"] = str(value).lower()
        elif name in _TIME:
            time_filter[_TIME[name]] = _value(text, value)
        elif name == "VIA":
            fields["edge_types"] = [str(t) for t in value]
        else:
            fields[_FIELD_OF[name]] = _value(text, value)
    if time_filter:
        fields["time_filter"] = time_filter
    return _validate(_BY_TAG[op], fields)


def _value(text: str, tok: Token) -> Any:
    if tok.type == "STRING":
        return _unquote(text, tok)
    if tok.type == "NUMBER" and re.fullmatch(r"[+-]?\d+", tok):
        try:
            return int(tok)
        except ValueError:  # more digits than int() reads (4300): out of range anyway
            return float(tok)
    if tok.type == "NUMBER":
        return float(tok)
    return str(tok)


def _unquote(text: str, tok: Token) -> str:
    def escape(m: re.Match) -> str:
        if m.group(1) not in _ESCAPES:
            where = _where(text, tok.start_pos + 1 + m.start())
            raise QueryError(f"unknown escape '\\{m.group(1)}' in a string at {where}: "
                             "expected one of \\\\ \\\" \\' \\n \\t \\r (write \\\\ for a "
                             "backslash)")
        return _ESCAPES[m.group(1)]

    return re.sub(r"\\(.)", escape, tok[1:-1], flags=re.S)


def _validate(cls: type[BaseModel] | None, fields: dict[str, Any]) -> BaseModel:
    """Validate into `cls` (None: pick by fields['query_type']); QueryError names the
    clause and the allowed values."""
    try:
        if cls is None:
            return QUERY_ADAPTER.validate_python(fields)
        return cls.model_validate(fields)
    except ValidationError as e:
        raise QueryError(_explain(e, cls)) from None


def _explain(e: ValidationError, cls: type[BaseModel] | None) -> str:
    out, tagged = [], cls is None
    for err in e.errors():
        loc = [str(x) for x in err["loc"]]
        if tagged and loc and loc[0] in _BY_TAG:  # a typed dict: loc starts with its tag
            cls, loc = _BY_TAG[loc[0]], loc[1:]
        if err["type"] in ("union_tag_invalid", "union_tag_not_found"):
            loc = ["query_type"]
            err = {**err, "input": err.get("ctx", {}).get("tag")}
        field = loc[-1] if loc[:1] == ["time_filter"] and len(loc) > 1 else (loc or ["?"])[0]
        clause = _CLAUSE.get(field, field)
        got = repr(err.get("input"))[:80]
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            known = ", ".join(f for f in (cls.model_fields if cls else {}) if f != "query_type")
            out.append(f"{field}: not a parameter here; expected one of {known}")
        elif err["type"] == "missing":
            out.append(f"{clause}: missing; it is required")
        elif msg.startswith(f"{clause}:"):
            out.append(msg)
        elif field in _ALLOWED:
            out.append(f"{clause}: expected {_ALLOWED[field]}, got {got}")
        else:
            out.append(f"{clause}: {msg}, got {got}")
    return "; ".join(out)


# ---- syntax errors --------------------------------------------------------------------
def _syntax_message(text: str, e: UnexpectedInput) -> str:
    if isinstance(e, UnexpectedCharacters):
        pos, expected = e.pos_in_stream, e.allowed
        got = text[pos:].split(None, 1)[0][:40]
    elif isinstance(e, UnexpectedToken) and e.token.type != "$END":
        pos, expected, got = e.token.start_pos, e.accepts or e.expected, str(e.token)[:40]
    else:  # the input ran out: an UnexpectedEOF, or an UnexpectedToken at $END
        pos, got = len(text.rstrip()), None
        expected = (e.accepts or e.expected) if isinstance(e, UnexpectedToken) else e.expected
    want = _describe(expected, text[:pos])
    head = f"unexpected {got!r} at {_where(text, pos)}" if got else \
        f"the query ends early at {_where(text, pos)}"
    return f"{head}: expected {want}; {_hint(text)}"


def _describe(names, before: str) -> str:
    words = before.split()
    last = words[-1].upper() if words else ""
    labels = []
    for n in names:
        if n == "NAME":
            labels.append(f"a table ({', '.join(TEXT_TABLES)})" if last == "IN"
                          else "an edge type such as SEE_ALSO")
        else:
            labels.append(_TERMINALS.get(n, n))
    labels = sorted(set(labels), key=lambda s: (s.startswith(("a ", "an ", "the ")), s))
    if last == "" and labels:  # the first word: SQL is the other way in
        labels.append("SQL starting with SELECT or WITH")
    if len(labels) <= 2:
        return " or ".join(labels)
    return "one of " + ", ".join(labels[:-1]) + " or " + labels[-1]


def _where(text: str, pos: int) -> str:
    line = text.count("\n", 0, pos) + 1
    col = pos - (text.rfind("\n", 0, pos) + 1) + 1
    return f"column {col}" if line == 1 else f"line {line}, column {col}"


def _hint(text: str) -> str:
    first = (text.split(None, 1) or [""])[0].upper()
    if first in _EXAMPLES:
        return f"queries look like {_EXAMPLES[first]}"
    return ("queries look like " + ", ".join(_EXAMPLES.values())
            + " or SELECT ... FROM resources")
