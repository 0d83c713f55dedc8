"""`augur forecast`: candidate-based outcome forecasting cases.

    augur forecast generate --source world --n 5000 --seed 0 --out data/world-cases.jsonl
    augur forecast generate --source persona --n 2000 --seed 0 --out data/persona-cases.jsonl
    augur forecast import --forecastbench 2024-07-21-llm.json \\
        2024-07-21_resolution_set.json --out data/forecastbench.jsonl
    augur forecast import --choices questions.jsonl --out data/choices.jsonl

A case is a seed event, then levels by depth of candidate outcomes, one labelled 1
(what happened); generated cases carry each candidate's true probability (p_true).
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

from augur.cliargs import positive_int

MAX_DEPTH = 8


def add_forecast_arguments(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    fc = subparsers.add_parser("forecast", help="outcome forecasting: generate or import cases",
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

    # evaluate, train and predict (issue 25, items 4, 5 and 7) register here.
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
