"""`augur research`: the research loop of program.md.

    augur research run --experiments experiments.json --budget-s 300 --days 60
    augur research report --results results.tsv --out docs/RESEARCH_LOG.md
"""

from __future__ import annotations

import argparse
from pathlib import Path

from augur.research.loop import LoopConfig


def add_research_arguments(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register `research run` and `research report` on the `augur` subparsers."""
    d = LoopConfig()
    research = subparsers.add_parser("research", help="research loop: trials of experiments "
                                     "scored by the frozen harness", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = research.add_subparsers(dest="research_command", required=True)

    run = sub.add_parser("run", help="run each experiment of a file as one trial")
    run.add_argument("--experiments", type=Path, required=True, metavar="FILE",
                     help="JSON list (or JSON Lines) of experiments: objects of Experiment "
                          "fields, e.g. [{}, {\"pooling\": \"mean\"}]; the first is the baseline "
                          "of a new results file")
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
    rep.add_argument("--out", type=Path, default=Path("docs/RESEARCH_LOG.md"),
                     help="markdown to write; the plot goes beside it "
                          "(default docs/RESEARCH_LOG.md)")
    rep.set_defaults(func=_cmd_report)
    return research


def _cmd_run(args: argparse.Namespace) -> int:
    from augur.research.experiment import load_experiments
    from augur.research.loop import run_trials

    experiments = load_experiments(args.experiments)
    cfg = LoopConfig(data=args.data, days=args.days, data_seed=args.data_seed,
                     budget_s=args.budget_s, results=args.results, models_dir=args.models_dir,
                     noise_seeds=args.noise_seeds, tracking_uri=args.tracking_uri,
                     workdir=args.workdir)
    if cfg.tracking_uri is not None:
        from augur.oracle.tracking import make_tracker

        make_tracker(cfg.tracking_uri)  # fail now if MLflow is missing, not after a trial
    rows = run_trials(experiments, cfg, log=lambda s: print(s, flush=True))
    kept = [r for r in rows if r["status"] == "keep"]
    print(f"{len(rows)} trials appended to {cfg.results}; {len(kept)} kept")
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from augur.research.report import write_report

    out = write_report(args.results, args.out)
    print(f"wrote {out}")
    return 0
