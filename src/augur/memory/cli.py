"""`augur memory`: build, query, count and export a person's REM memory.

    augur memory ingest --persona 42 --days 90       (the simulated world's memory)
    augur memory ingest notes/                       (a folder of .md / .txt files)
    augur memory ingest records.jsonl                (resources, or an export)
    augur memory ingest new.jsonl --propose-edges    (+ edges to nearest neighbours)
    augur memory ingest --moments day.txt            (a transcript or events -> moments)
    augur memory ingest --moments day.txt --timezone Europe/Lisbon --writer llamacpp
                                                     (times without offsets; LLM-named)
    augur memory query 'SEARCH "ci failure" IN resources LIMIT 5' [--json]
    augur memory stats
    augur memory export --out memory.jsonl
    augur memory eval --task query --model retrieval   (REM tasks: see tasks/cli.py)
    augur memory compare --models search-all retrieval llamacpp
    augur memory tasks verify | seal

--store takes a SQLite file (default data/memory.db) or a postgresql:// URL.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date, datetime
from pathlib import Path

from augur.cliargs import positive_int

DEFAULT_STORE = "data/memory.db"


def add_memory_arguments(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    mem = subparsers.add_parser("memory", help="REM memory: ingest, query, stats, export, "
                                "task evals",
                                description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = mem.add_subparsers(dest="memory_command", required=True)

    from augur.memory.tasks.cli import MOMENT_MODELS, add_task_arguments

    ing = sub.add_parser("ingest", help="add a source to the memory (idempotent, atomic)")
    _store_option(ing)
    ing.add_argument("source", nargs="?", type=Path, default=None,
                     help="a folder of .md/.txt files or a .jsonl file (omit with --persona "
                          "or --moments)")
    ing.add_argument("--persona", type=int, default=None, metavar="SEED",
                     help="build the memory of the simulated person with this seed")
    ing.add_argument("--days", type=positive_int("--days"), default=90,
                     help="days of the simulated world to render (default 90)")
    ing.add_argument("--no-embed", action="store_true",
                     help="skip embeddings (SEARCH then runs on BM25 and entities only)")
    ing.add_argument("--propose-edges", action="store_true",
                     help="link each new or changed resource to its nearest neighbours with "
                          "REM task 2's scorer (provenance edges:scorer)")
    ing.add_argument("--neighbours", type=positive_int("--neighbours"), default=12,
                     help="with --propose-edges: nearest resources scored per new one "
                          "(default 12)")
    ing.add_argument("--moments", type=Path, default=None, metavar="FILE",
                     help="cut a timestamped transcript (.txt/.log/.md: 'YYYY-MM-DD "
                          "HH:MM+01:00 speaker: text' lines) or a person's events (.jsonl) "
                          "into moments with REM task 3's model and add them")
    ing.add_argument("--day", type=_day, default=None, metavar="YYYY-MM-DD",
                     help="with --moments: keep this calendar day only (in the file's own "
                          "UTC offsets)")
    ing.add_argument("--moment-model", default=None, choices=MOMENT_MODELS,
                     help="with --moments: the task-3 model (default trained; fitted once "
                          "on the task harness's train split, then read from its cache)")
    ing.add_argument("--timezone", default=None, metavar="NAME",
                     help="with --moments: the time zone (IANA name, e.g. Europe/Lisbon) a "
                          "transcript's times without a UTC offset were written in")
    ing.add_argument("--writer", default=None, metavar="MODEL",
                     help="with --moments or --propose-edges: write moment names and "
                          "summaries, or edge reasons and topics, with this writer: template, "
                          "llamacpp[:FILE], a tuned FILE.gguf (default: the task model's "
                          "own words)")
    ing.add_argument("--json", action="store_true", help="print the report as JSON")
    ing.set_defaults(func=_cmd_ingest)

    q = sub.add_parser("query", help="run one REM query and print its rows")
    _store_option(q)
    q.add_argument("text", help="a REM query: LOOKUP, SEARCH, FUZZY, TRAVERSE or SELECT")
    q.add_argument("--now", type=_aware_time, default=None,
                   help="reference time for relative dates (default: the newest record)")
    q.add_argument("--json", action="store_true", help="print the result as JSON")
    q.add_argument("--no-embed", action="store_true",
                   help="search without the semantic part (no model load)")
    q.set_defaults(func=_cmd_query)

    st = sub.add_parser("stats", help="records per table")
    _store_option(st)
    st.set_defaults(func=_cmd_stats)

    ex = sub.add_parser("export", help="every record as JSON lines (re-ingestable)")
    _store_option(ex)
    ex.add_argument("--out", type=Path, default=None, help="file to write (default stdout)")
    ex.set_defaults(func=_cmd_export)

    add_task_arguments(sub)
    return mem


def _store_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--store", default=DEFAULT_STORE,
                   help=f"SQLite file or postgresql:// URL (default {DEFAULT_STORE})")


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--day must be a date such as 2025-03-04, got "
                                         f"{text!r}") from None


def _aware_time(text: str) -> datetime:
    try:
        t = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--now must be an ISO 8601 time such as "
                                         f"2025-03-01T09:00:00+00:00, got {text!r}") from None
    if t.tzinfo is None:
        raise argparse.ArgumentTypeError(f"--now needs a UTC offset, got {text!r}")
    return t


def _cmd_ingest(args: argparse.Namespace) -> int:
    from augur.memory.embed import Embedder
    from augur.memory.ingest import ingest, source_batch, world_batch
    from augur.memory.store import open_store

    given = [x for x in (args.source, args.persona, args.moments) if x is not None]
    if len(given) != 1:
        raise ValueError("memory ingest: give one of a SOURCE (folder or .jsonl), --persona "
                         "SEED or --moments FILE, not several and not none")
    if args.moments is None and (args.day or args.moment_model or args.timezone):
        raise ValueError("memory ingest: --day, --moment-model and --timezone go with "
                         "--moments FILE")
    if args.writer is not None and args.moments is None and not args.propose_edges:
        raise ValueError("memory ingest: --writer writes the words of moments (--moments) "
                         "or of proposed edges (--propose-edges); give one of them")
    if args.moments is not None:
        return _ingest_moments(args)
    if args.persona is not None:
        batch, label = world_batch(args.persona, args.days), f"persona {args.persona}"
    else:
        batch, label = source_batch(args.source), str(args.source)
    if args.propose_edges and args.no_embed:
        raise ValueError("memory ingest: --propose-edges finds neighbours by embedding; "
                         "drop --no-embed")
    embedder = None if args.no_embed else Embedder()
    propose = None
    if args.propose_edges:
        from augur.memory.tasks.edge_ingest import ProposeConfig

        propose = ProposeConfig(neighbours=args.neighbours,
                                writer=_writer("edge-words", args.writer))
    with open_store(args.store) as store:
        report = ingest(store, batch, embedder, source=label, progress=True,
                        propose_edges=propose)
        stats = store.stats()
    if args.json:
        print(json.dumps({**report.to_json(), "stats": stats}, indent=2))
    else:
        added = ", ".join(f"{n} {t}" for t, n in report.result.added.items()) or "nothing new"
        updated = sum(report.result.updated.values())
        print(f"{label}: {report.records} records read, added {added}"
              + (f", updated {updated}" if updated else "")
              + (f", {report.proposed_edges} edges proposed" if args.propose_edges else "")
              + f" ({report.embedded} embedded, {report.seconds:.1f} s) -> {args.store}")
    return 0


def _writer(task: str, name: str | None):
    if name is None:
        return None
    from augur.memory.tasks.writer_models import make_writer

    return make_writer(task, name)


def _zone(name: str | None):
    if name is None:
        return None
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"memory ingest: --timezone: expected an IANA time zone name such "
                         f"as Europe/Lisbon or UTC, got {name!r}") from None


def _ingest_moments(args: argparse.Namespace) -> int:
    from augur.memory.embed import Embedder
    from augur.memory.ingest import ingest
    from augur.memory.store import open_store
    from augur.memory.tasks.moment_ingest import moment_batch, read_lines, source_label

    if args.propose_edges:
        raise ValueError("memory ingest: --propose-edges links resources, and --moments adds "
                         "moments only; ingest them in two runs")
    model = args.moment_model or "trained"
    # a bad flag or file fails here, before a model loads or a store opens
    lines = read_lines(args.moments, args.day, _zone(args.timezone))
    writer = _writer("moment-words", args.writer)
    embedder = None if args.no_embed else Embedder()
    with open_store(args.store) as store:
        batch = moment_batch(store, lines, source_label(args.moments), model, embedder,
                             writer)
        report = ingest(store, batch, embedder, source=str(args.moments), progress=True)
        stats = store.stats()
    added, updated = report.result.added.get("moments", 0), report.result.updated.get(
        "moments", 0)
    if args.json:
        moments = [m.model_dump(mode="json") for m in batch.moments]
        print(json.dumps({**report.to_json(), "lines": len(lines), "model": model,
                          "day": args.day and args.day.isoformat(), "moments": moments,
                          "stats": stats}, indent=2))
        return 0
    rows = [{"starts_at": m.start, "ends_at": m.end, "moment_type": m.moment_type,
             "project": m.project, "name": m.name} for m in batch.moments]
    columns = ["starts_at", "ends_at", "moment_type", "name"]
    print(format_table(columns + ["project"] * any(m.project for m in batch.moments), rows))
    print(f"{args.moments}: {len(lines)} lines cut into {len(batch.moments)} moments by "
          f"{model}, added {added}" + (f", updated {updated}" if updated else "")
          + f" ({report.embedded} embedded, {report.seconds:.1f} s) -> {args.store}")
    return 0


def _cmd_query(args: argparse.Namespace) -> int:
    from augur.memory.embed import Embedder
    from augur.memory.executor import Executor
    from augur.memory.store import open_store

    with open_store(args.store, create=False) as store:
        ex = Executor(store, None if args.no_embed else Embedder())
        result = ex.run(args.text, now=args.now)
    if args.json:
        print(json.dumps(result.to_json(), indent=2))
        return 0
    print(result.query.to_text())
    print(format_table(result.columns, result.rows))
    print(f"{len(result.rows)} rows in {result.elapsed_ms:.1f} ms")
    return 0


# The columns worth a terminal's width, per kind of result, in order.
_SHOWN = ("table", "id", "name", "kind", "moment_type", "project", "created_at", "starts_at",
          "ends_at", "score", "depth", "via", "from", "subject", "predicate", "value")


def format_table(columns: list[str], rows: list[dict], width: int = 48) -> str:
    shown = [c for c in _SHOWN if c in columns] if set(_SHOWN) & set(columns) else columns
    if not shown:
        shown = columns
    cells = [[_cell(r.get(c), width) for c in shown] for r in rows]
    widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(shown)]
    line = "  ".join(c.ljust(w) for c, w in zip(shown, widths, strict=True))
    body = ["  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)) for row in cells]
    return "\n".join([line, "  ".join("-" * w for w in widths), *body])


def _cell(v, width: int) -> str:
    if isinstance(v, datetime):
        v = v.isoformat(timespec="minutes")
    elif isinstance(v, float):
        v = f"{v:.4f}"
    text = " ".join(str("" if v is None else v).split())
    return text if len(text) <= width else text[:width - 1] + "…"


def _cmd_stats(args: argparse.Namespace) -> int:
    from augur.memory.store import open_store

    with open_store(args.store, create=False) as store:
        print(json.dumps(store.stats(), indent=2))
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    import contextlib

    from augur.memory.executor import jsonable
    from augur.memory.store import open_store

    n = 0
    with open_store(args.store, create=False) as store, contextlib.ExitStack() as stack:
        # The file is opened only once the store is: a missing store leaves no empty file.
        out = (stack.enter_context(open(args.out, "w", encoding="utf-8")) if args.out
               else sys.stdout)
        for rec in store.export():
            out.write(json.dumps(jsonable(rec), sort_keys=True) + "\n")
            n += 1
    if args.out:
        print(f"wrote {n} records to {args.out}")
    return 0
