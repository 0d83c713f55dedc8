"""`augur lab`: collect tips over the grid, judge them, compare (model, prompt) pairs.

    augur lab collect --models template llamacpp transformers --prompts v1 v2-mentor --n 4
    augur lab judge export --out judgements.json   (a person or any judge fills the scores)
    augur lab judge apply judgements.json
    augur lab judge --with llamacpp                 (or an LLM judges)
    augur lab compare --out leaderboard.png
"""

from __future__ import annotations

import argparse
from pathlib import Path

from augur.cliargs import positive_int
from augur.errors import AugurError

DEFAULT_MODELS = ("template", "llamacpp", "transformers")
DEFAULT_EXPERIMENT = "tip-lab"


def add_lab_arguments(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register `lab` and its subcommands on the `augur` subparsers; returns the lab parser."""
    lab = subparsers.add_parser("lab", help="tip lab: collect, judge and compare LLM tips",
                                description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = lab.add_subparsers(dest="lab_command", required=True)

    col = sub.add_parser("collect", help="generate N tips per (model, prompt, scenario) cell")
    _store_options(col)
    col.add_argument("--models", nargs="+", default=list(DEFAULT_MODELS), metavar="SPEC",
                     help="model specs: template, llamacpp, transformers, a .gguf path, "
                          "openai:URL#model, ... (default: template llamacpp transformers)")
    col.add_argument("--prompts", nargs="+", default=None, metavar="VERSION",
                     help="prompt versions (default: every prompt in the registry)")
    col.add_argument("--scenarios", nargs="+", default=None, metavar="NAME",
                     help="scenario names such as p42-morning (default: all)")
    col.add_argument("--n", type=positive_int("--n"), default=4,
                     help="tips per cell (default 4)")
    col.add_argument("--temperature", type=float, default=0.7,
                     help="sampling temperature (default 0.7)")
    col.add_argument("--max-tokens", type=positive_int("--max-tokens"), default=64,
                     help="most tokens per tip (default 64)")
    col.add_argument("--seed", type=int, default=0,
                     help="tip i of a cell samples with seed + i (default 0)")
    col.add_argument("--no-progress", action="store_true", help="no progress bar")
    col.set_defaults(func=_cmd_collect)

    judge = sub.add_parser("judge", help="score pending cells with rubric tip-v1: export and "
                                         "apply a file, or --with BACKEND for an LLM judge")
    _store_options(judge)
    judge.add_argument("--with", dest="with_backend", default=None, metavar="BACKEND",
                       help="let this LLM judge (any make_backend spec, e.g. llamacpp)")
    judge.add_argument("--max-tokens", type=positive_int("--max-tokens"), default=64,
                       help="most tokens per LLM verdict (default 64)")
    judge.add_argument("--seed", type=int, default=0, help="LLM judge seed (default 0)")
    judge.set_defaults(func=_cmd_judge)
    judge_sub = judge.add_subparsers(dest="judge_command")
    exp = judge_sub.add_parser("export", help="write every pending cell to one JSON file")
    _store_options(exp)
    exp.add_argument("--out", type=Path, default=Path("lab-judgements.json"),
                     help="the file to write (default lab-judgements.json)")
    exp.set_defaults(func=_cmd_export)
    app = judge_sub.add_parser("apply", help="validate a filled file and write its scores")
    _store_options(app)
    app.add_argument("file", type=Path, help="a judgement file from `augur lab judge export`")
    app.set_defaults(func=_cmd_apply)

    cmp = sub.add_parser("compare", help="leaderboard of (model, prompt): table and PNG chart")
    _store_options(cmp)
    cmp.add_argument("--out", type=Path, default=None,
                     help="the PNG chart (default: lab-leaderboard.png beside the store's "
                          "folder, e.g. mlruns/../lab-leaderboard.png)")
    cmp.set_defaults(func=_cmd_compare)
    return lab


def _store_options(parser: argparse.ArgumentParser) -> None:
    # SUPPRESS: `judge` and its subcommands both take these; a subcommand's default must
    # not overwrite a value given before it (`lab judge --tracking-uri X export`).
    parser.add_argument("--tracking-uri", default=argparse.SUPPRESS,
                        help="MLflow tracking URI (default: sqlite store mlruns/mlflow.db)")
    parser.add_argument("--experiment", default=argparse.SUPPRESS,
                        help=f"MLflow experiment name (default {DEFAULT_EXPERIMENT})")


def _store(args: argparse.Namespace):
    from augur.lab.store import LabStore
    from augur.oracle.tracking import default_tracking_uri

    uri = getattr(args, "tracking_uri", None) or default_tracking_uri(Path("mlruns"))
    return LabStore(uri, getattr(args, "experiment", None) or DEFAULT_EXPERIMENT)


def _split(values: list[str] | None) -> tuple[str, ...]:
    """Accept both `--models a b` and `--models a,b`."""
    return tuple(v.strip() for value in values or () for v in value.split(",") if v.strip())


def _cmd_collect(args: argparse.Namespace) -> int:
    from augur.lab.collect import CollectConfig, collect
    from augur.lab.generators import GenSettings, check_specs
    from augur.lab.prompts import known_versions

    config = CollectConfig(
        models=_split(args.models), prompts=_split(args.prompts) or tuple(known_versions()),
        scenarios=_split(args.scenarios),
        settings=GenSettings(n=args.n, temperature=args.temperature,
                             max_tokens=args.max_tokens, seed=args.seed))
    check_specs(config.models)
    store = _store(args)
    print(f"lab collect: {len(config.cells())} cells into experiment {store.experiment!r} "
          f"at {store.tracking_uri}")
    report = collect(store, config, progress=not args.no_progress)
    print(report.summary())
    return 1 if report.failed else 0


def _cmd_judge(args: argparse.Namespace) -> int:
    if not args.with_backend:
        raise AugurError("augur lab judge: give a subcommand (export, apply FILE) or "
                         "--with BACKEND to let an LLM judge")
    from augur.lab.judge import judge_with
    from augur.llm.factory import make_backend

    store = _store(args)
    backend = make_backend(args.with_backend)
    try:
        written, skipped = judge_with(store, backend, max_tokens=args.max_tokens, seed=args.seed)
    finally:
        backend.close()
    print(f"judged {len(written)} cells with {backend.name}; {len(skipped)} left pending")
    for cell, why in skipped.items():
        print(f"  pending {cell}: {why}")
    return 1 if skipped else 0


def _cmd_export(args: argparse.Namespace) -> int:
    from augur.lab.judge import export

    _no_with(args, "export")
    n = export(_store(args), args.out)
    print(f"wrote {n} pending cells to {args.out}; fill the scores, then "
          f"`augur lab judge apply {args.out}`")
    return 0


def _cmd_apply(args: argparse.Namespace) -> int:
    from augur.lab.judge import apply_file

    _no_with(args, "apply")
    written = apply_file(_store(args), args.file)
    print(f"applied scores to {len(written)} cells")
    return 0


def _no_with(args: argparse.Namespace, command: str) -> None:
    if args.with_backend:
        raise AugurError(f"augur lab judge: --with and {command} exclude each other; use "
                         f"either `judge --with BACKEND` or `judge {command}`")


def _cmd_compare(args: argparse.Namespace) -> int:
    from augur.lab.compare import default_out, format_table, leaderboard, plot

    store = _store(args)
    rows = leaderboard(store)
    if not rows:
        raise AugurError(f"no judged cells in experiment {store.experiment!r} at "
                         f"{store.tracking_uri}; run `augur lab collect`, then `augur lab "
                         "judge export` and `apply` (or `judge --with BACKEND`) first")
    print(format_table(rows))
    out = plot(rows, args.out or default_out(store.tracking_uri))
    print(f"chart: {out}")
    return 0
