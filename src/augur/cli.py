"""The `augur` command: a thin layer over the packages, one subcommand per concern."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from augur.cliargs import positive_int


def _cmd_synth(args: argparse.Namespace) -> int:
    from augur.events.synth import synthesize
    from augur.harness.constants import COLD_START_SEEDS

    seeds = list(range(args.seed, args.seed + args.personas))
    held_out = sorted(set(seeds) & set(COLD_START_SEEDS))
    if held_out:
        raise ValueError(f"persona seeds {held_out} are the harness's cold-start people and "
                         "must never be trained on; pick another --seed or fewer --personas")
    n = synthesize(seeds, args.days, args.out, jobs=args.jobs)
    who = (f"persona seed {args.seed}" if len(seeds) == 1
           else f"persona seeds {seeds[0]}-{seeds[-1]}")
    print(f"wrote {n} events ({args.days} days, {who}) to {args.out}")
    return 0


def _cmd_import(args: argparse.Namespace) -> int:
    from augur.events.importers import ImportConfig, import_csv
    from augur.events.io import write_jsonl

    config = ImportConfig(
        case_col=args.case_col, activity_col=args.activity_col, time_col=args.time_col,
        resource_col=args.resource_col, group_by=args.group_by,
    )
    if Path(args.out).resolve() == Path(args.file).resolve():
        raise ValueError(f"--out {args.out}: is the CSV being imported; writing the events "
                         "there would replace it, so name another file, such as "
                         f"{Path(args.file).with_suffix('.jsonl')}")
    events = import_csv(args.file, config)
    n = write_jsonl(args.out, events)
    streams = len({e.stream for e in events})
    print(f"wrote {n} events in {streams} streams (grouped by {args.group_by}) to {args.out}")
    return 0


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from augur.oracle.cli import run_evaluate

    return run_evaluate(args)


def _cmd_train(args: argparse.Namespace) -> int:
    from augur.oracle.cli import run_train

    return run_train(args)


def _cmd_compare(args: argparse.Namespace) -> int:
    from augur.oracle.compare import run_compare

    return run_compare(args)


def _cmd_bench(args: argparse.Namespace) -> int:
    import runpy

    script = Path(__file__).resolve().parents[2] / "bench" / f"{args.name.replace('-', '_')}.py"
    if not script.is_file():
        raise ValueError(f"no benchmark {args.name!r} at {script}; benchmarks live in the "
                         "repository's bench/ folder (run from a source checkout)")
    sys.argv = [f"augur bench {args.name}", *args.rest]
    runpy.run_path(str(script), run_name="__main__")
    return 0


def _cmd_serve(args: argparse.Namespace) -> int:
    from augur.service.server import serve

    return serve(args)


def _cmd_harness(args: argparse.Namespace) -> int:
    from augur.scorecard import run_harness

    return run_harness(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="augur", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    data = sub.add_parser("data", help="make or import event streams")
    data_sub = data.add_subparsers(dest="data_command", required=True)

    synth = data_sub.add_parser("synth", help="simulate one knowledge worker's event stream")
    synth.add_argument("--days", type=positive_int("--days"), default=730,
                       help="days to simulate (default 730)")
    synth.add_argument("--seed", type=int, default=42, help="persona seed (default 42)")
    synth.add_argument("--personas", type=positive_int("--personas"), default=1,
                       help="simulate this many people, seeds SEED, SEED+1, ... (default 1)")
    synth.add_argument("--jobs", type=positive_int("--jobs"), default=None,
                       help="people simulated side by side (default: one per core)")
    synth.add_argument("--out", type=Path, required=True, help="output JSON Lines file")
    synth.set_defaults(func=_cmd_synth)

    imp = data_sub.add_parser("import", help="turn a CSV event log into augur event streams")
    imp.add_argument("file", type=Path, help="CSV file with one row per event")
    imp.add_argument("--case-col", required=True, help="column naming the case (process instance)")
    imp.add_argument("--activity-col", required=True, help="column naming the activity")
    imp.add_argument("--time-col", required=True, help="column with ISO 8601 timestamps")
    imp.add_argument("--resource-col", default=None, help="column naming the person (optional)")
    imp.add_argument("--group-by", choices=("case", "resource"), default="case",
                     help="one stream per case (default) or per person (needs --resource-col)")
    imp.add_argument("--out", type=Path, required=True, help="output JSON Lines file")
    imp.set_defaults(func=_cmd_import)

    from augur.oracle.cli import add_train_arguments

    tr = sub.add_parser("train", help="train the behavior oracle on an event file")
    add_train_arguments(tr)
    tr.set_defaults(func=_cmd_train)

    ev = sub.add_parser("evaluate", help="score a checkpoint or a baseline with the frozen harness")
    ev.add_argument("checkpoint", nargs="?", type=Path, default=None,
                    help="checkpoint folder written by `augur train`")
    ev.add_argument("--baseline", choices=("uniform", "most_frequent", "markov"),
                    help="evaluate one of the harness baselines")
    ev.add_argument("--data", type=Path, default=None,
                    help="an imported JSON Lines log to evaluate on (its fixed split) instead "
                         "of the synthetic eval sets")
    ev.add_argument("--json", action="store_true", help="print the report as JSON")
    ev.add_argument("--plot", type=Path, default=None, metavar="FILE",
                    help="also draw the next-action reliability diagram of each eval set "
                         "(.png, .svg or .pdf): accuracy against confidence, with the "
                         "simulator's probabilities and the labels' sampling spread")
    ev.set_defaults(func=_cmd_evaluate)

    cmp = sub.add_parser("compare", help="two checkpoints side by side on named scenarios")
    cmp.add_argument("a", type=Path, help="first checkpoint folder")
    cmp.add_argument("b", type=Path, help="second checkpoint folder")
    cmp.add_argument("--scenario", default=None,
                     help="ci_failure, morning_email, deep_coding, afternoon_meetings, "
                          "pr_review or end_of_day")
    cmp.add_argument("--all-scenarios", action="store_true", help="all six scenarios")
    cmp.set_defaults(func=_cmd_compare)

    from augur.service.server import add_serve_arguments

    srv = sub.add_parser("serve", help="run the HTTP service and the playground")
    add_serve_arguments(srv)
    srv.set_defaults(func=_cmd_serve)

    from augur.lab.cli import add_lab_arguments

    add_lab_arguments(sub)

    from augur.research.cli import add_research_arguments

    add_research_arguments(sub)

    from augur.llm.finetune.cli import add_llm_arguments

    add_llm_arguments(sub)

    from augur.memory.cli import add_memory_arguments

    add_memory_arguments(sub)

    from augur.forecast.cli import add_forecast_arguments

    add_forecast_arguments(sub)

    bench = sub.add_parser("bench", help="run a benchmark from bench/ and print its JSON")
    bench.add_argument("name", choices=("oracle", "service", "llm", "memory", "memory-ask",
                                          "rem-query", "rem-tasks", "forecast"),
                       help="which benchmark")
    bench.add_argument("rest", nargs=argparse.REMAINDER, help="the benchmark's own options")
    bench.set_defaults(func=_cmd_bench)

    harness = sub.add_parser("harness", help="check or amend the frozen harness")
    harness_sub = harness.add_subparsers(dest="harness_command", required=True)
    verify = harness_sub.add_parser("verify", help="check harness code and eval data checksums")
    verify.set_defaults(func=_cmd_harness)
    seal = harness_sub.add_parser(
        "seal", help="write a new manifest after an amendment (needs a new HARNESS_VERSION "
                     "and a CHANGELOG entry naming it)")
    seal.set_defaults(func=_cmd_harness)
    return parser


def main(argv: list[str] | None = None) -> int:
    from augur.errors import AugurError

    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (AugurError, ValueError, OSError) as exc:  # these carry their own fix-it text
        print(f"augur: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
