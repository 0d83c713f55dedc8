"""`augur research`: the research loop of program.md.

    augur research run --experiments experiments.json --budget-s 150
    augur research run --search space.json --trials 40          # Optuna TPE, resumable
    augur research run --search space.json --trials 40 --ray local --concurrency 2
    augur research report --results results.tsv --out docs/RESEARCH_LOG.md
"""

from __future__ import annotations

import argparse
from pathlib import Path

from augur.errors import AugurError
from augur.research.loop import LoopConfig


def add_research_arguments(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register `research run` and `research report` on the `augur` subparsers."""
    d = LoopConfig()
    research = subparsers.add_parser("research", help="research loop: trials of experiments "
                                     "scored by the frozen harness", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = research.add_subparsers(dest="research_command", required=True)

    run = sub.add_parser("run", help="run trials: a list of experiments, or an Optuna search")
    what = run.add_mutually_exclusive_group(required=True)
    what.add_argument("--experiments", type=Path, metavar="FILE",
                      help="JSON list (or JSON Lines) of experiments: objects of Experiment "
                           "fields, e.g. [{}, {\"pooling\": \"mean\"}]; the first is the "
                           "baseline of a new results file")
    what.add_argument("--search", type=Path, metavar="SPACE.json",
                      help="Optuna TPE over a search space: {\"base\": {fixed fields}, "
                           "\"space\": {field: {\"choices\": [...]} or {\"low\": a, \"high\": "
                           "b, \"log\": true}}}; see program.md")
    run.add_argument("--trials", type=int, default=None, metavar="N",
                     help="with --search: the study's total number of trials; the same "
                          "command again resumes and runs only the rest (required)")
    run.add_argument("--study-name", default=None, metavar="NAME",
                     help="with --search: the Optuna study (default: the space file's name "
                          "without .json)")
    run.add_argument("--study-db", default=None, metavar="PATH",
                     help="with --search: a sqlite file or an Optuna storage URL (default "
                          "WORKDIR/study.db)")
    run.add_argument("--sampler-seed", type=int, default=None, metavar="S",
                     help="with --search: the TPE sampler's seed (default 0)")
    run.add_argument("--ray", default=None, metavar="local|ADDRESS",
                     help="run the trials as Ray Tune trials: 'local' starts a Ray instance on "
                          "127.0.0.1 and stops it at the end; an ADDRESS (auto, "
                          "ray://host:10001) joins a cluster that sees the same files "
                          "(default: child processes here, no Ray)")
    run.add_argument("--concurrency", type=int, default=d.concurrency, metavar="N",
                     help=f"trials side by side once there is a baseline (default "
                          f"{d.concurrency})")
    run.add_argument("--cpus-per-trial", type=int, default=None, metavar="N",
                     help="torch threads of a trial, and its Ray CPUs (default: the cores "
                          "divided by --concurrency)")
    run.add_argument("--budget-s", type=float, default=d.budget_s,
                     help=f"training wall-clock seconds per trial (default {d.budget_s:g})")
    run.add_argument("--data", type=Path, default=None,
                     help="JSON Lines events to train on (default: synthetic persona data)")
    run.add_argument("--days", type=int, default=d.days,
                     help=f"synthetic days when no --data (default {d.days})")
    run.add_argument("--data-seed", type=int, default=d.data_seed,
                     help=f"synthetic persona seed, never 1001-1003 (default {d.data_seed})")
    run.add_argument("--results", type=Path, default=d.results,
                     help=f"results file, appended to (default {d.results})")
    run.add_argument("--models-dir", type=Path, default=d.models_dir,
                     help=f"kept checkpoints go to DIR/research-<trial> (default "
                          f"{d.models_dir})")
    run.add_argument("--noise-seeds", type=int, default=d.noise_seeds,
                     help=f"re-trainings of the baseline for the noise floor (default "
                          f"{d.noise_seeds})")
    run.add_argument("--tracking-uri", default=None,
                     help="MLflow store to mirror every trial to, e.g. "
                          "sqlite:///mlruns/mlflow.db (default: none)")
    run.add_argument("--workdir", type=Path, default=d.workdir,
                     help=f"trial folders and generated data (default {d.workdir})")
    run.set_defaults(func=_cmd_run)

    rep = sub.add_parser("report", help="regenerate the research log from results.tsv")
    rep.add_argument("--results", type=Path, default=d.results,
                     help=f"results file (default {d.results})")
    rep.add_argument("--notes", type=Path, default=None, metavar="FILE",
                     help="markdown written by a person (what the runs mean), included "
                          "verbatim under 'Notes' (default: none)")
    rep.add_argument("--out", type=Path, default=Path("docs/RESEARCH_LOG.md"),
                     help="markdown to write; the plot goes beside it "
                          "(default docs/RESEARCH_LOG.md)")
    rep.set_defaults(func=_cmd_report)
    return research


def _cmd_run(args: argparse.Namespace) -> int:
    cfg = LoopConfig(data=args.data, days=args.days, data_seed=args.data_seed,
                     budget_s=args.budget_s, results=args.results, models_dir=args.models_dir,
                     noise_seeds=args.noise_seeds, tracking_uri=args.tracking_uri,
                     workdir=args.workdir, concurrency=args.concurrency,
                     cpus_per_trial=args.cpus_per_trial)
    run = _search(args, cfg) if args.search else _experiments(args, cfg)
    if cfg.tracking_uri is not None:
        from augur.oracle.tracking import make_tracker

        make_tracker(cfg.tracking_uri)  # fail now if MLflow is missing, not after a trial
    def log(line: str) -> None:
        print(line, flush=True)

    if args.ray is None:
        rows = run(log, None)
    else:
        from augur.research.ray_runner import ray_runner

        with ray_runner(args.ray, cfg, log) as runner:
            rows = run(log, runner)
    kept = [r for r in rows if r["status"] == "keep"]
    print(f"{len(rows)} trials appended to {cfg.results}; {len(kept)} kept")
    return 0


def _experiments(args: argparse.Namespace, cfg: LoopConfig):
    """The trials of --experiments, as a function of (log, runner), checked up front."""
    from augur.research.experiment import load_experiments
    from augur.research.loop import run_trials

    for flag in ("trials", "study_name", "study_db", "sampler_seed"):
        if getattr(args, flag) is not None:
            raise AugurError(f"--{flag.replace('_', '-')} goes with --search, not with "
                             "--experiments")
    experiments = load_experiments(args.experiments)
    return lambda log, runner: run_trials(experiments, cfg, log, runner)


def _search(args: argparse.Namespace, cfg: LoopConfig):
    from augur.research.search import SearchConfig, SearchSpace, run_search

    if args.trials is None:
        raise AugurError("--search needs --trials N: the study's total number of trials")
    space = SearchSpace.load(args.search)
    search = SearchConfig(trials=args.trials, study_name=args.study_name or args.search.stem,
                          storage=args.study_db,
                          seed=0 if args.sampler_seed is None else args.sampler_seed)
    return lambda log, runner: run_search(space, cfg, search, log, runner)


def _cmd_report(args: argparse.Namespace) -> int:
    from augur.research.report import write_report

    out = write_report(args.results, args.out, notes=args.notes)
    print(f"wrote {out}")
    return 0
