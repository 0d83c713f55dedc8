"""`augur forecast`: candidate-based outcome forecasting cases.

    augur forecast generate --source world --n 5000 --seed 0 --out data/world-cases.jsonl
    augur forecast generate --source persona --n 2000 --seed 0 --out data/persona-cases.jsonl
    augur forecast import --forecastbench 2024-07-21-llm.json \\
        2024-07-21_resolution_set.json --out data/forecastbench.jsonl
    augur forecast import --choices questions.jsonl --out data/choices.jsonl
    augur forecast evaluate --data world --split test --forecaster base-rate --by-depth
    augur forecast evaluate --data cases.jsonl --forecaster uniform market --plot brier.png
    augur forecast verify              (the frozen forecast harness's manifest)
    augur forecast seal                (after an amendment: new FORECAST_HARNESS_VERSION first)

A case is a seed event, then levels by depth of candidate outcomes, one labelled 1
(what happened); generated cases carry each candidate's true probability (p_true).
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

from augur.cliargs import positive_int

MAX_DEPTH = 8


def add_forecast_arguments(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    fc = subparsers.add_parser("forecast", help="outcome forecasting: cases, forecasters and "
                               "their frozen harness",
                               description=__doc__,
                               formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = fc.add_subparsers(dest="forecast_command", required=True)

    gen = sub.add_parser("generate", help="write synthetic cases, deterministic by seed")
    gen.add_argument("--source", choices=("world", "persona"), required=True,
                     help="world: companies, markets and policies; persona: a knowledge "
                          "worker's next actions")
    gen.add_argument("--n", type=positive_int("--n"), required=True, help="cases to write")
    gen.add_argument("--seed", type=int, default=0, help="generator seed (default 0)")
    gen.add_argument("--depth", type=_depth, default=4,
                     help=f"levels per case, 1 to {MAX_DEPTH} (default 4; persona chains may "
                          "end sooner)")
    gen.add_argument("--out", type=Path, required=True, help="output JSON Lines file")
    gen.set_defaults(func=_cmd_generate)

    imp = sub.add_parser("import", help="read real question sets as cases")
    what = imp.add_mutually_exclusive_group(required=True)
    what.add_argument("--forecastbench", nargs=2, type=Path,
                      metavar=("QUESTIONS.json", "RESOLUTIONS.json"),
                      help="a ForecastBench question set and its resolution set")
    what.add_argument("--choices", type=Path, metavar="FILE.jsonl",
                      help="multiple-choice questions: question, options, answer [, date, id]")
    imp.add_argument("--out", type=Path, required=True, help="output JSON Lines file")
    imp.set_defaults(func=_cmd_import)

    ev = sub.add_parser("evaluate", help="score forecasters on a split beside uniform, the "
                        "base rate and the ceiling")
    ev.add_argument("--data", required=True, metavar="world|persona|FILE.jsonl",
                    help="world or persona: the harness's frozen sets; or a file of cases "
                         "(its cases of --split are scored)")
    ev.add_argument("--split", choices=("train", "val", "test"), default="test",
                    help="which split to score (default test)")
    ev.add_argument("--train", type=Path, metavar="FILE.jsonl",
                    help="with --data FILE: the cases forecasters and the base rate are "
                         "fitted on (those whose split is train or unset; default: the train "
                         "split of --data's own file)")
    ev.add_argument("--forecaster", nargs="+", required=True, metavar="NAME",
                    help="one or more of: uniform, base-rate, market, and the forecasters "
                         "registered in augur.forecast.registry (embedding, llm)")
    ev.add_argument("--json", action="store_true", help="print the report as JSON (it always "
                    "holds every depth)")
    ev.add_argument("--by-depth", action="store_true",
                    help="a table per depth after the one over all depths")
    ev.add_argument("--plot", type=Path, metavar="FILE.png",
                    help="also draw multiclass Brier per depth of every forecaster beside "
                         "uniform and the ceiling")
    ev.set_defaults(func=_cmd_evaluate)

    sub.add_parser("verify", help="check the forecast harness's code and data checksums"
                   ).set_defaults(func=_cmd_verify)
    seal = sub.add_parser("seal", help="write a new manifest (needs a new "
                          "FORECAST_HARNESS_VERSION and a CHANGELOG entry naming it)")
    seal.add_argument("--changelog", type=Path, default=Path("CHANGELOG.md"),
                      help="the changelog that must name the new version (default "
                           "CHANGELOG.md)")
    seal.set_defaults(func=_cmd_seal)
    # train and predict (issue 25, items 4 and 7) register here.
    return fc


def _depth(text: str) -> int:
    depth = positive_int("--depth")(text)
    if depth > MAX_DEPTH:
        raise argparse.ArgumentTypeError(f"--depth must be at most {MAX_DEPTH}, got {depth}")
    return depth


def _cmd_generate(args: argparse.Namespace) -> int:
    from augur.events.io import check_out_file
    from augur.forecast.case import write_cases

    check_out_file(args.out)
    if args.source == "world":
        from augur.forecast.world_events import world_cases as make
    else:
        from augur.forecast.persona_cases import persona_cases as make
    cases = make(args.n, args.seed, depth=args.depth, progress=True)
    n = write_cases(args.out, cases)
    splits = Counter(c.split for c in cases)
    depths = Counter(len(c.levels) for c in cases)
    print(f"wrote {n} {args.source} cases (seed {args.seed}; train {splits['train']}, val "
          f"{splits['val']}, test {splits['test']}; cases by number of levels "
          f"{', '.join(f'{d}: {depths[d]}' for d in sorted(depths))}) to {args.out}")
    return 0


def _cmd_import(args: argparse.Namespace) -> int:
    from augur.forecast.case import write_cases
    from augur.forecast.importers import import_choices, import_forecastbench

    inputs = args.forecastbench or [args.choices]
    for path in inputs:
        if Path(args.out).resolve() == Path(path).resolve():
            raise ValueError(f"--out {args.out}: is a file being imported; writing the cases "
                             "there would replace it, so name another file")
    if args.forecastbench:
        cases, report = import_forecastbench(*args.forecastbench)
        what = "resolution rows"
    else:
        cases, report = import_choices(args.choices)
        what = "questions"
    n = write_cases(args.out, cases)
    print(f"{report.line(what)}; wrote {n} cases to {args.out}")
    return 0


def _eval_cases(args: argparse.Namespace) -> tuple[list, list, str]:
    """(the cases to score, the training cases, a name for the data)."""
    from augur.forecast.case import read_cases
    from augur.forecast.harness.constants import SOURCES
    from augur.forecast.harness.data import forecast_cases

    if args.data in SOURCES:
        if args.train is not None:
            raise ValueError(f"--train is for --data FILE; the frozen {args.data} set fits on "
                             "its own train split, so leave --train out")
        return (forecast_cases(args.data, args.split), forecast_cases(args.data, "train"),
                args.data)
    path = Path(args.data)
    if not path.is_file():
        raise ValueError(f"--data: expected {' or '.join(SOURCES)} (the frozen sets) or a "
                         f"JSON Lines file of cases, got {args.data!r} (no such file)")
    cases = read_cases(path)
    scored = [c for c in cases if c.split == args.split]
    if not scored:
        splits = Counter(str(c.split) for c in cases)
        raise ValueError(f"--data {path}: no case has split {args.split!r} (splits there: "
                         f"{dict(splits)}); choose another --split")
    if args.train is not None:
        train = [c for c in read_cases(args.train) if c.split in (None, "train")]
    else:
        train = [c for c in cases if c.split == "train"]
    return scored, train, path.name


def _cmd_evaluate(args: argparse.Namespace) -> int:
    import json

    from augur.forecast.harness.evaluate import evaluate
    from augur.forecast.registry import make_forecaster
    from augur.forecast.report import format_report, plot_brier

    if args.plot is not None:
        from augur.oracle.reliability import check_plot_path

        check_plot_path(args.plot, "--plot")
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            raise ValueError("--plot needs matplotlib (pip install -e '.[llm]'); leave --plot "
                             "out or install it") from None
    cases, train, name = _eval_cases(args)
    forecasters = [make_forecaster(n, train) for n in dict.fromkeys(args.forecaster)]
    report = {"data": name, "split": args.split,
              **evaluate(forecasters, cases, train, progress=True)}
    print(json.dumps(report, indent=1) if args.json else format_report(report, args.by_depth))
    if args.plot is not None:
        plot_brier(report, args.plot)
        print(f"wrote {args.plot}", file=sys.stderr)
    return 0


def _cmd_verify(args: argparse.Namespace) -> int:
    from augur.forecast.harness.manifest import verify

    m = verify()
    print(f"forecast-harness v{m['version']}: {len(m['code'])} code files and "
          f"{len(m['data'])} datasets match the manifest")
    return 0


def _cmd_seal(args: argparse.Namespace) -> int:
    from augur.forecast.harness.manifest import seal

    m = seal(args.changelog)
    print(f"sealed forecast-harness v{m['version']}: {len(m['code'])} code files, "
          f"{len(m['data'])} datasets")
    return 0
