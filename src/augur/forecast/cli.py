"""`augur forecast`: candidate-based outcome forecasting cases.

    augur forecast generate --source world --n 5000 --seed 0 --out data/world-cases.jsonl
    augur forecast generate --source persona --n 2000 --seed 0 --out data/persona-cases.jsonl
    augur forecast import --forecastbench 2024-07-21-llm.json \\
        2024-07-21_resolution_set.json --out data/forecastbench.jsonl
    augur forecast import --choices questions.jsonl --out data/choices.jsonl
    augur forecast evaluate --data world --split test --forecaster base-rate --by-depth
    augur forecast evaluate --data cases.jsonl --forecaster uniform market --plot brier.png
    augur forecast predict --case cases.jsonl --forecaster base-rate
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

    pr = sub.add_parser("predict", help="a forecaster's probability for each candidate of "
                        "each case in a file")
    pr.add_argument("--case", type=Path, required=True, metavar="FILE.jsonl",
                    help="a JSON Lines file of cases (every case is predicted)")
    pr.add_argument("--forecaster", default="embedding", metavar="NAME",
                    help="uniform, base-rate, market, embedding (default) or llm; fitted on "
                         "the world train split of the frozen harness")
    pr.add_argument("--json", action="store_true",
                    help="print one JSON object per case: {id, forecaster, levels}")
    pr.set_defaults(func=_cmd_predict)

    sub.add_parser("verify", help="check the forecast harness's code and data checksums"
                   ).set_defaults(func=_cmd_verify)
    seal = sub.add_parser("seal", help="write a new manifest (needs a new "
                          "FORECAST_HARNESS_VERSION and a CHANGELOG entry naming it)")
    seal.add_argument("--changelog", type=Path, default=Path("CHANGELOG.md"),
                      help="the changelog that must name the new version (default "
                           "CHANGELOG.md)")
    seal.set_defaults(func=_cmd_seal)
    _add_corpus_commands(sub)  # brainstorm, chronicle, chronicle-bench
    # train (issue 25, item 4) registers here.
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


def _cmd_predict(args: argparse.Namespace) -> int:
    import json

    from augur.forecast.case import read_cases
    from augur.forecast.harness.data import forecast_cases
    from augur.forecast.registry import make_forecaster

    cases = read_cases(args.case)
    model = make_forecaster(args.forecaster, forecast_cases("world", "train"))
    for case in cases:
        probs = model.predict(case)
        if args.json:
            print(json.dumps({"id": case.id, "forecaster": model.name, "levels": [
                {"depth": lv.depth, "actual": lv.actual, "probabilities": ps}
                for lv, ps in zip(case.levels, probs, strict=True)]}))
        else:
            print(format_prediction(case, probs, model.name))
    return 0


def format_prediction(case, probs: list[list[float]], name: str) -> str:
    """A case's levels as a small table: the forecaster's probability per candidate,
    the generator's p_true where the case has it, and * on the outcome that happened."""
    truth = any(c.p_true is not None for lv in case.levels for c in lv.candidates)
    lines = [f"{case.id} ({name}): {case.seed.text}"]
    for lv, ps in zip(case.levels, probs, strict=True):
        head = f"  depth {lv.depth}" + (f"  {lv.date}" if lv.date else "")
        lines.append(f"{head:<65}{'p':>7}" + (f"{'p_true':>8}" if truth else ""))
        for i, (c, p) in enumerate(zip(lv.candidates, ps, strict=True)):
            mark = "*" if i == lv.actual else " "
            true = f"  {c.p_true:6.3f}" if c.p_true is not None else ""
            lines.append(f"   {mark} {c.text[:60]:<60} {p:6.3f}{true}")
    return "\n".join(lines)


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


def _add_corpus_commands(sub: argparse._SubParsersAction) -> None:
    corpus_help = "a folder of dated text files (YYYY-MM-DD name prefix or a first 'Date:' line)"
    bs = sub.add_parser("brainstorm", help="propose seed events in a date range of a corpus")
    bs.add_argument("--corpus", type=Path, required=True, help=corpus_help)
    bs.add_argument("--from", dest="start", metavar="DATE", help="first date (default: open)")
    bs.add_argument("--to", dest="end", metavar="DATE", help="last date (default: open)")
    bs.add_argument("--n", type=positive_int("--n"), default=20, help="seeds (default 20)")
    bs.add_argument("--llm", nargs="?", const="llamacpp", metavar="BACKEND",
                    help="re-rank with an LLM judge (default backend llamacpp: SmolLM2)")
    bs.add_argument("--out", type=Path, help="also write the seeds as JSON Lines here")
    bs.set_defaults(func=_cmd_brainstorm)

    ch = sub.add_parser("chronicle", help="follow each seed through a corpus and write cases")
    ch.add_argument("--corpus", type=Path, required=True, help=corpus_help)
    ch.add_argument("--seeds", type=Path, metavar="FILE.jsonl",
                    help="seeds as `brainstorm --out` writes them (a 'doc' per line); "
                         "default: brainstorm --from/--to first")
    ch.add_argument("--from", dest="start", metavar="DATE", help="without --seeds: first date")
    ch.add_argument("--to", dest="end", metavar="DATE", help="without --seeds: last date")
    ch.add_argument("--n", type=positive_int("--n"), default=20,
                    help="without --seeds: seeds to brainstorm (default 20)")
    ch.add_argument("--depth", type=_depth, default=3, help="levels to follow (default 3)")
    ch.add_argument("--out", type=Path, required=True, help="output JSON Lines file of cases")
    ch.set_defaults(func=_cmd_chronicle)

    cb = sub.add_parser("chronicle-bench", help="render a world-events corpus and print "
                        "Brainstormer's and Chronicler's scores as JSON")
    cb.add_argument("--n", type=positive_int("--n"), default=200, help="chains (default 200)")
    cb.add_argument("--depth", type=_depth, default=3, help="chain depth (default 3)")
    cb.add_argument("--filler", type=positive_int("--filler", 0), default=200,
                    help="unrelated articles (default 200)")
    cb.add_argument("--seed", type=int, default=0, help="world seed (default 0)")
    cb.set_defaults(func=_cmd_chronicle_bench)


def _proposals(args: argparse.Namespace, docs, vecs):
    from augur.forecast.brainstorm import brainstorm
    from augur.forecast.chronicle import parse_day

    start = parse_day(args.start, "--from") if args.start else None
    end = parse_day(args.end, "--to") if args.end else None
    if start and end and end < start:
        raise ValueError(f"--to {end} is before --from {start}; swap them")
    llm = None
    if getattr(args, "llm", None):
        from augur.llm.factory import make_backend

        llm = make_backend(args.llm)
    return brainstorm(docs, vecs, start, end, n=args.n, llm=llm)


def _cmd_brainstorm(args: argparse.Namespace) -> int:
    import json

    from augur.events.io import write_lines
    from augur.forecast.corpus import embed_documents, read_corpus

    docs = read_corpus(args.corpus)
    proposals = _proposals(args, docs, embed_documents(docs))
    lines = [json.dumps(p.to_dict(), ensure_ascii=False) for p in proposals]
    print("\n".join(lines))
    if args.out is not None:
        write_lines(args.out, lines)
        print(f"wrote {len(lines)} seeds to {args.out}", file=sys.stderr)
    return 0


def _cmd_chronicle(args: argparse.Namespace) -> int:
    import json

    from augur.events.io import check_out_file
    from augur.forecast.case import write_cases
    from augur.forecast.chronicle import chronicle
    from augur.forecast.corpus import embed_documents, read_corpus

    check_out_file(args.out)
    if args.seeds is not None and (args.start or args.end):
        raise ValueError("give --seeds or --from/--to, not both")
    docs = read_corpus(args.corpus)
    vecs = embed_documents(docs)
    if args.seeds is not None:
        try:
            seeds = [json.loads(ln)["doc"] for ln in args.seeds.read_text(encoding="utf-8")
                     .splitlines() if ln.strip()]
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise ValueError(f"--seeds {args.seeds}: expected JSON Lines with a 'doc' per "
                             f"line, as `augur forecast brainstorm --out` writes ({e})") from None
    else:
        seeds = [p.doc for p in _proposals(args, docs, vecs)]
    cases = chronicle(docs, vecs, seeds, depth=args.depth)
    n = write_cases(args.out, cases)
    print(f"wrote {n} cases from {len(seeds)} seeds ({len(seeds) - n} with nothing found "
          f"after them) to {args.out}")
    return 0


def _cmd_chronicle_bench(args: argparse.Namespace) -> int:
    import json

    from augur.forecast.chronicle import measure

    print(json.dumps(measure(args.n, args.depth, args.filler, args.seed), indent=1))
    return 0
