"""`augur train`, `augur evaluate CHECKPOINT`, `augur compare`: the oracle's commands."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from augur.oracle.config import OracleConfig, TrainConfig


def add_train_arguments(p: argparse.ArgumentParser) -> None:
    tc, mc = TrainConfig(), OracleConfig()
    p.add_argument("--data", type=Path, required=True, help="JSON Lines events to train on")
    p.add_argument("--out", type=Path, required=True, help="checkpoint folder to write")
    p.add_argument("--seed", type=int, default=tc.seed, help=f"random seed (default {tc.seed})")
    p.add_argument("--epochs", type=int, default=tc.epochs,
                   help=f"most epochs; early stopping may end sooner (default {tc.epochs})")
    p.add_argument("--lr", type=float, default=tc.lr, help=f"peak learning rate ({tc.lr})")
    p.add_argument("--no-curriculum", action="store_true",
                   help="train on full-length windows from the first epoch")
    p.add_argument("--transition-prior", choices=("auto", "on", "off"), default="auto",
                   help="start next-action logits from counted transitions: auto uses them "
                        "on small data only (default auto)")
    p.add_argument("--transition-order", type=int, choices=(1, 2), default=mc.transition_order,
                   help="events the prior reads: 1, the event; 2, the event and the one "
                        f"before it (default {mc.transition_order})")
    p.add_argument("--sim-targets", type=float, default=tc.sim_targets, metavar="W",
                   help="weight in [0, 1] of the simulator's recorded next-action "
                        "distribution in the next-action target, on synthetic data "
                        f"(default {tc.sim_targets}: labels only)")
    p.add_argument("--identity-dropout", type=float, default=tc.identity_dropout, metavar="P",
                   help="share in [0, 1) of training chunks whose person is shown as a "
                        "stranger, so new people get a trained token "
                        f"(default {tc.identity_dropout})")
    p.add_argument("--strangers", type=Path, default=None, metavar="FILE",
                   help="JSON Lines events of people kept out of training: fits the "
                        "temperatures for people the model never met (needs "
                        "--identity-dropout > 0)")
    p.add_argument("--pooling", choices=("last", "mean"), default=mc.pooling,
                   help="read the window at its last event or as a causal mean")
    p.add_argument("--attention", choices=("causal", "bidirectional"), default=mc.attention,
                   help="attention over the window")
    p.add_argument("--layers", type=int, default=mc.n_layers, help="transformer layers")
    p.add_argument("--width", type=int, default=mc.d_model, help="model width")
    p.add_argument("--time-budget", type=float, default=None,
                   help="stop training after this many seconds")
    p.add_argument("--mlflow", action="store_true",
                   help="track the run in a local MLflow store (mlruns/mlflow.db)")
    p.add_argument("--tracking-uri", default=None,
                   help="track the run in this MLflow store instead (implies --mlflow)")


# Config fields the train flags set, for errors in the flag's name.
_FLAGS = {"seed": "--seed", "epochs": "--epochs", "lr": "--lr", "sim_targets": "--sim-targets",
          "identity_dropout": "--identity-dropout", "time_budget_s": "--time-budget",
          "n_layers": "--layers", "d_model": "--width", "transition_order": "--transition-order"}


def run_train(args: argparse.Namespace) -> int:
    from augur.oracle.tracking import default_tracking_uri
    from augur.oracle.train import train

    uri = args.tracking_uri or (default_tracking_uri(Path("mlruns")) if args.mlflow else None)
    try:
        tc = TrainConfig(seed=args.seed, epochs=args.epochs, lr=args.lr,
                         use_curriculum=not args.no_curriculum,
                         transition_prior={"auto": None, "on": True, "off": False}[
                             args.transition_prior], sim_targets=args.sim_targets,
                         identity_dropout=args.identity_dropout,
                         time_budget_s=args.time_budget,
                         tracking_uri=uri)
        mc = OracleConfig(pooling=args.pooling, attention=args.attention, n_layers=args.layers,
                          d_model=args.width, transition_order=args.transition_order)
    except ValueError as e:
        # The configs name their fields; a command-line user typed the flag.
        field, _, rest = str(e).partition(":")
        flag = _FLAGS.get(field)
        raise ValueError(f"{flag} ({field}):{rest}" if flag else str(e)) from None
    print(f"train: {tc}\nmodel: {mc}")
    summary = train(args.data, args.out, tc, mc, strangers=args.strangers)
    final = summary["val_after_calibration"]
    print(f"wrote {args.out}: {summary['epochs_run']} epochs in {summary['seconds']} s, "
          f"validation composite {final['composite']:.4f}, "
          f"next-action top-1 {final['next_action_top1']:.4f}")
    if "strangers" in summary:
        st = summary["strangers"]
        who = "1 person" if st["streams"] == 1 else f"{st['streams']} people"
        print(f"strangers ({who}, {st['steps']} steps): next-action top-1 "
              f"{st['after_calibration']['next_action_top1']:.4f}, ECE "
              f"{st['before_calibration']['calibration_ece']:.4f} with the known people's "
              f"calibration, {st['after_calibration']['calibration_ece']:.4f} with their own "
              f"(fitted on these steps; temperatures {st['temperature']})")
    return 0


def run_evaluate(args: argparse.Namespace) -> int:
    from augur.scorecard import build_report, print_report

    predictor = None
    if args.checkpoint is not None:
        from augur.oracle.predictor import Oracle, OraclePredictor

        predictor = OraclePredictor(Oracle.load(args.checkpoint))
    elif args.baseline is None:
        raise ValueError("augur evaluate needs a CHECKPOINT folder or --baseline "
                         "uniform|most_frequent|markov")
    plot = args.plot
    if plot is not None:
        from augur.oracle.reliability import check_plot_path

        check_plot_path(plot, "--plot")
    report = build_report(predictor, args.baseline if predictor is None else None, args.data,
                          progress=not args.json)
    print_report(report, args.json)
    if plot is not None:
        from augur.oracle.reliability import eval_set_reliability, plot_reliability

        items = eval_set_reliability(predictor, args.baseline if predictor is None else None,
                                     args.data)
        plot_reliability(items, plot, title=f"next-action reliability: {report['predictor']}")
        # stderr: with --json, stdout stays one JSON document
        print(f"wrote {plot}", file=sys.stderr)
    if predictor is not None and args.data is None:
        # Where `augur serve --models <parent>` looks: the playground then shows the
        # harness composite without running the harness again.
        from augur.service.evals import EVALS, EvalCache
        from augur.service.registry import checkpoint_sha256

        EvalCache(args.checkpoint.parent / EVALS).store(checkpoint_sha256(args.checkpoint),
                                                        report)
    return 0
