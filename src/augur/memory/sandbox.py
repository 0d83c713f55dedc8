"""The SQL sandbox: one read-only SELECT over the REM tables, or a refusal saying why.

    check_sql("SELECT name FROM resources WHERE project = 'atlas'")
    # -> "SELECT name FROM resources WHERE project = 'atlas' LIMIT 1000"

The statement is parsed with sqlglot (SQLite's dialect) and checked against
allow-lists, never deny-lists: the statement kinds (SELECT, WITH ... SELECT, set
operations), the tables (ALLOWED_TABLES and CTEs defined in the same statement,
resolved by scope) and the functions (ALLOWED_FUNCTIONS). What runs is the checked
tree printed again, without comments and with a LIMIT of at most max_rows, so text
the parser skipped can never reach the database. The stores add a second wall (a
read-only connection, an authorizer, a time limit); this one does not rely on it.
"""

from __future__ import annotations

import re
from functools import cache

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError
from sqlglot.tokens import TokenType

from augur.errors import AugurError
from augur.memory.model import TABLES

ALLOWED_TABLES = frozenset(TABLES)  # resources, entities, moments, edges, facts
# Names as written in SQL. Table-valued functions (generate_series, json_each,
# pragma_*), file and extension access (readfile, load_extension, pg_read_file),
# sleeps, settings and blob makers (randomblob, zeroblob) are absent on purpose.
ALLOWED_FUNCTIONS = frozenset((
    "count", "sum", "avg", "min", "max", "total", "group_concat", "string_agg",
    "lower", "upper", "length", "substr", "substring", "trim", "ltrim", "rtrim", "replace",
    "instr", "char", "unicode", "hex", "like", "glob",
    "coalesce", "ifnull", "nullif", "iif", "abs", "round", "sign", "ceil", "floor",
    "date", "time", "datetime", "strftime", "julianday", "unixepoch",
    "json_extract", "json_array_length", "json_type", "typeof", "cast",
    "row_number", "rank", "dense_rank", "ntile", "lag", "lead", "first_value", "last_value",
))
MAX_SQL_CHARS = 20_000
_TABLES_TEXT = ", ".join(sorted(ALLOWED_TABLES))
_WHAT = (f"the sandbox runs exactly one read-only SELECT (WITH ... SELECT and UNION too) "
         f"over {_TABLES_TEXT}")
# Syntax sqlglot models as functions but that calls none by name: CAST(x AS T), CASE,
# EXISTS (...), CURRENT_TIMESTAMP, and the AND / OR operators.
_SYNTAX = (exp.Cast, exp.TryCast, exp.Case, exp.If, exp.Exists, exp.Collate,
           exp.CurrentDate, exp.CurrentTime, exp.CurrentTimestamp, exp.And, exp.Or, exp.Xor)
# Anything that writes, changes settings or sessions, or is not a query, wherever it
# sits in the tree (PostgreSQL allows INSERT ... RETURNING inside a CTE, for one).
_NOT_READS = tuple(getattr(exp, name) for name in (
    "Insert", "Update", "Delete", "Merge", "Create", "Drop", "Alter", "Command", "Pragma",
    "Attach", "Detach", "Transaction", "Commit", "Rollback", "Set", "Copy", "Grant",
    "Revoke", "Analyze", "Use", "LoadData", "Cache", "Uncache", "Refresh", "Kill",
    "Describe", "Show", "TruncateTable", "Returning", "Declare") if hasattr(exp, name))


class SandboxError(AugurError, ValueError):
    """SQL the sandbox refused; the message says what, why, and what is allowed."""


def check_sql(sql: str, max_rows: int = 1000, write: str = "sqlite") -> str:
    """The statement, checked, printed in `write`'s dialect ("sqlite" or "postgres")
    with LIMIT <= max_rows; SandboxError if it is anything but one safe SELECT."""
    if not isinstance(sql, str):
        raise SandboxError(f"SQL: expected text, got {type(sql).__name__}")
    if not 1 <= max_rows <= 1_000_000:
        raise SandboxError(f"max_rows: expected 1 to 1000000, got {max_rows}")
    if len(sql) > MAX_SQL_CHARS:
        raise SandboxError(f"refused: the SQL is {len(sql)} characters, at most "
                           f"{MAX_SQL_CHARS} are allowed; shorten it")
    try:
        _check_tokens(_tokens(sql, "sqlite"))
        tree = _parse(sql)
        root = _check_root(tree)
        _check_nodes(tree)
        _check_sources(tree, frozenset(), _cte_names(tree))
        _cap_limit(root, max_rows)
        out = tree.sql(dialect=write, comments=False)
    except RecursionError:
        raise SandboxError("refused: the SQL is nested too deeply to check; flatten its "
                           "subqueries or parentheses") from None
    _check_tokens(_tokens(out, write))  # the printed text must still be one SELECT
    return out


# ---- tokens: statement count and kind, before anything is parsed ----------------------
def _tokens(sql: str, dialect: str) -> list:
    try:
        return sqlglot.tokenize(sql, read=dialect)
    except TokenError as e:
        raise SandboxError(f"refused: the SQL does not tokenize ({e}); check its quotes "
                           "and comments") from None


def _check_tokens(tokens: list) -> None:
    statements, current = [], []
    for tok in tokens:
        if tok.token_type == TokenType.SEMICOLON:
            statements, current = statements + [current] if current else statements, []
        else:
            current.append(tok)
    statements += [current] if current else []
    if not statements:
        raise SandboxError(f"refused: no SQL statement; {_WHAT}")
    kinds = [s[0].text.upper() for s in statements]
    if len(statements) > 1:
        raise SandboxError(f"refused: {len(statements)} statements ({', '.join(kinds)}); "
                           f"{_WHAT}, with no ';' between statements")
    if statements[0][0].token_type not in (TokenType.SELECT, TokenType.WITH,
                                           TokenType.L_PAREN):
        raise SandboxError(f"refused: a {kinds[0]} statement; {_WHAT}")
    toks = statements[0]
    for a, b in zip(toks, toks[1:], strict=False):
        if a.token_type == TokenType.FOR and b.text.upper() in ("UPDATE", "SHARE", "NO",
                                                                 "KEY"):
            raise SandboxError(f"refused: FOR {b.text.upper()} locks rows; {_WHAT}")


def _parse(sql: str) -> exp.Expression:
    try:
        trees = [t for t in sqlglot.parse(sql, read="sqlite") if t is not None]
    except ParseError as e:
        first = e.errors[0] if e.errors else {}
        where = f" at line {first.get('line')}, column {first.get('col')}" if first else ""
        # sqlglot names the token by its repr; the text alone reads better.
        desc = re.sub(r"<Token token_type: [^,]*, text: (.*?), line: .*?>", r"'\1'",
                      first.get("description", str(e)))
        raise SandboxError(f"refused: the SQL does not parse: {desc}{where}") from None
    assert len(trees) == 1, "the token check admits exactly one statement"
    return trees[0]


# ---- the tree -------------------------------------------------------------------------
def _check_root(tree: exp.Expression) -> exp.Expression:
    if isinstance(tree, exp.Select | exp.SetOperation | exp.Subquery):
        return tree
    raise SandboxError(f"refused: a {tree.key.upper()} statement; {_WHAT}")


def _check_nodes(tree: exp.Expression) -> None:
    for node in tree.walk():
        if isinstance(node, _NOT_READS):
            raise SandboxError(f"refused: {node.key.upper()} inside the query; {_WHAT}")
        if isinstance(node, exp.Into):
            raise SandboxError(f"refused: SELECT ... INTO creates a table; {_WHAT}")
        if isinstance(node, exp.Lock):
            raise SandboxError(f"refused: FOR UPDATE/SHARE locks rows; {_WHAT}")
        if isinstance(node, exp.With) and node.args.get("recursive"):
            raise SandboxError("refused: WITH RECURSIVE can run forever; write the query "
                               "without recursion (TRAVERSE walks edges to a bounded depth)")
        if isinstance(node, exp.Func):
            _check_function(node)
        if isinstance(node, exp.Column) and (node.args.get("db") or node.args.get("catalog")):
            raise SandboxError(f"refused: schema-qualified column {node.sql()}; write "
                               "table.column or column")


def _check_function(node: exp.Func) -> None:
    if isinstance(node, exp.Anonymous):
        name, ok = node.name, node.name.lower() in ALLOWED_FUNCTIONS
    else:
        ok = isinstance(node, _SYNTAX) or type(node) in _allowed_classes()
        name = "" if ok else _written_name(node)
    if not ok:
        raise SandboxError(f"refused: function {name} is not allowed; allowed functions: "
                           f"{', '.join(sorted(ALLOWED_FUNCTIONS))}")


def _written_name(node: exp.Func) -> str:
    """The name SQLite knows the function by (sqlite_version, not sqlglot's
    current_version), read off the printed call."""
    m = re.match(r"\s*([\w.]+)\s*\(", node.sql(dialect="sqlite"))
    return m.group(1).lower() if m else (node.sql_names() or [node.key])[0].lower()


@cache
def _allowed_classes() -> frozenset[type]:
    """sqlglot parses many functions into their own node classes (ifnull -> Coalesce,
    strftime -> TimeToStr, ...): learn those classes by parsing each allowed name with
    zero to three arguments, so the allow-list stays one list of names as written."""
    found = set()
    for name in ALLOWED_FUNCTIONS:
        for args in ("", "x", "x, 'a'", "x, 'a', 'b'"):
            try:
                probe = sqlglot.parse_one(f"SELECT {name}({args})", read="sqlite")
            except ParseError:
                continue
            found |= {type(n) for n in probe.walk()
                      if isinstance(n, exp.Func) and not isinstance(n, exp.Anonymous)}
    return frozenset(found)


def _cte_names(tree: exp.Expression) -> set[str]:
    return {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}


def _check_sources(node: exp.Expression, visible: frozenset, ctes: set[str]) -> None:
    """Every table read is a REM table or a CTE in scope. A CTE's body sees only the
    CTEs before it: SQLite makes a CTE that reads its own name recursive."""
    with_ = node.args.get("with_") or node.args.get("with")
    if isinstance(with_, exp.With):
        scope = set(visible)
        for cte in with_.expressions:
            alias = cte.args["alias"].this
            if alias.name.lower() in ALLOWED_TABLES:
                raise SandboxError(f"refused: a CTE named {alias.name} hides the REM table "
                                   "of that name; give the CTE another name")
            _check_sources(cte.this, frozenset(scope), ctes)
            scope.add(_key(alias))
        visible = frozenset(scope)
    for child in node.iter_expressions():
        if child is with_:
            continue
        if isinstance(child, exp.Table):
            _check_table(child, visible, ctes)
        _check_sources(child, visible, ctes)


def _check_table(table: exp.Table, visible: frozenset, ctes: set[str]) -> None:
    if not isinstance(table.this, exp.Identifier):
        raise SandboxError(f"refused: {table.this.sql(dialect='sqlite')[:60]} in FROM is a "
                           f"table-valued function; read from {_TABLES_TEXT}")
    if table.args.get("db") or table.args.get("catalog"):
        raise SandboxError(f"refused: schema-qualified table {table.sql(dialect='sqlite')}; "
                           f"write the bare name of one of {_TABLES_TEXT}")
    name = table.this.name
    # A quoted name must match exactly: PostgreSQL would look for a table "RESOURCES".
    rem_table = name in ALLOWED_TABLES or (name.lower() in ALLOWED_TABLES
                                           and not table.this.quoted)
    if rem_table or _key(table.this) in visible:
        return
    if name.lower() in ctes:
        raise SandboxError(f"refused: {name} is read outside the WITH that defines it, or "
                           "by its own definition (recursion is not allowed)")
    raise SandboxError(f"refused: table {name!r} is not readable; allowed tables: "
                       f"{_TABLES_TEXT} and CTEs defined in the same statement")


def _key(ident: exp.Identifier) -> tuple[str, str]:
    """How SQLite and PostgreSQL resolve a name: a reference matches a CTE only if it
    resolves to it in both (SQLite ignores case; PostgreSQL folds unquoted names)."""
    pg = ident.name if ident.quoted else ident.name.lower()
    return ident.name.lower(), pg


# ---- LIMIT ----------------------------------------------------------------------------
def _cap_limit(root: exp.Expression, max_rows: int) -> None:
    limit = root.args.get("limit")
    if limit is None:
        root.set("limit", exp.Limit(expression=exp.Literal.number(max_rows)))
        return
    value = limit.args.get("expression") if isinstance(limit, exp.Limit) else None
    if isinstance(value, exp.Literal) and not value.is_string and \
            re.fullmatch(r"\d+", value.this):
        if int(value.this) > max_rows:
            limit.set("expression", exp.Literal.number(max_rows))
    elif isinstance(value, exp.Neg):  # SQLite reads a negative LIMIT as no limit
        limit.set("expression", exp.Literal.number(max_rows))
    else:
        raise SandboxError(f"refused: LIMIT {value.sql() if value else limit.sql()}: "
                           f"expected a whole number (at most {max_rows})")
