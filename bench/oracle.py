"""Benchmark of the behavior oracle; prints one JSON object.

    augur bench oracle [--data FILE] [--out DIR] [--checkpoint DIR]

Trains on the 730-day data in a child process (wall time and peak RSS of that
process), then measures in process: parameters, checkpoint size, single-window
predict latency (p50 and p99 of 2,000 calls of a 128-event window, after 200
warm-up calls on other windows: the medians over 5 rounds, with each round's p99
in `predict_p99_ms_rounds`), batched throughput (64 windows of 128 events),
the harness report, `expected_top1` and `expected_ece`. With --checkpoint, training is skipped
and its figures are null.

`expected_top1` scores each pick by the simulator's probability that it is right,
instead of by whether the one sampled label matched: the same quantity as top-1
without the sampling noise of one hold-out (on the 1,967 temporal steps, top-1's
standard error is about 0.011, so changes of half a point are otherwise invisible).
It is a measurement aid beside the harness, which stays the judge.

`expected_ece` does the same for calibration: `model` is the harness's 15-bin ECE with
each pick's correctness replaced by the simulator's probability of it (0 for a model
that is calibrated in truth), and `floor` the mean harness ECE that the simulator's own,
perfectly calibrated probabilities score over 200 label sets drawn from them: what
sampling alone costs on that many steps. `drawn` is the model's mean harness ECE over the
same label sets, and `within_target` the share of them on which the model, and the
simulator itself, score at most the issue's target of 0.02: a target that the truth meets
on few draws is a target on the draw, not on the model.

`fresh_people` measures calibration where three people cannot: 30 days each of 24
people that no file of `make run` holds (personas 200-223, made if missing), windows as
the harness builds them. `person_gap_sd` is the spread of one person's gap between mean
confidence and the simulator's mean probability of the pick; the cold-start set's three
people average their gaps, so its ECE moves by about that spread over the square root of 3.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch

from augur.oracle.reliability import expected_ece

WARM_UP = 200  # windows predicted before timing starts
ECE_TARGET = 0.02  # issue 3: calibration error after temperature scaling
FRESH = (30, 200, 24)  # days, first persona, people: people make run never makes
TIMED = 2000  # timed single-window calls: p99 then rests on 20 calls, not 5
# Rounds of TIMED calls; p50 and p99 are the medians of the rounds'. On this shared
# 2-core machine one round's p99 of the same code read 4.1 to 6.0 ms in one hour: a
# neighbour's burst lands in one round, and the median of five does not follow it.
ROUNDS = 5


def _synth(out: Path, days: int, seed: int, personas: int) -> None:
    """`augur data synth` into `out`; its "wrote ..." line goes to stderr, since stdout
    is for the JSON."""
    subprocess.run([sys.executable, "-m", "augur.cli", "data", "synth", "--days", str(days),
                    "--seed", str(seed), "--personas", str(personas), "--out", str(out)],
                   check=True, stdout=sys.stderr)


def _train(data: Path, strangers: Path, out: Path) -> tuple[float, float]:
    start = time.monotonic()
    subprocess.run([sys.executable, "-m", "augur.cli", "train", "--data", str(data),
                    "--strangers", str(strangers), "--out", str(out)],
                   check=True, stdout=subprocess.DEVNULL)
    seconds = time.monotonic() - start
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB on Linux
    return seconds, peak_kb / 1024


def _latency(oracle, windows, candidates) -> dict[str, float]:
    """Steady-state latency: the first WARM_UP windows only warm up (allocator, caches);
    TIMED calls are then timed on the windows after them."""
    if len(windows) < 2:
        raise SystemExit(f"augur bench oracle: --data needs at least {128 + 7} events for "
                         f"latency windows, got {len(windows)} window(s)")
    warm = min(WARM_UP, len(windows) // 2)  # short data: half warms up, half is timed
    for w, c in zip(windows[:warm], candidates[:warm], strict=True):
        oracle.predict(w, c)
    windows, candidates = windows[warm:], candidates[warm:]
    rounds = []
    for _ in range(ROUNDS):
        times = []
        for i in range(TIMED):
            j = i % len(windows)
            t = time.perf_counter()
            oracle.predict(windows[j], candidates[j])
            times.append((time.perf_counter() - t) * 1000)
        rounds.append((np.percentile(times, 50), np.percentile(times, 99)))
    p50s, p99s = (sorted(round(float(r[k]), 3) for r in rounds) for k in (0, 1))
    batch_w, batch_c = windows[:64], candidates[:64]
    oracle.raw_batch(batch_w, batch_c)
    t, n = time.perf_counter(), 0
    while time.perf_counter() - t < 5.0:
        oracle.raw_batch(batch_w, batch_c)
        n += len(batch_w)
    return {"predict_p50_ms": float(np.median(p50s)), "predict_p99_ms": float(np.median(p99s)),
            "predict_p99_ms_rounds": p99s,
            "batch_windows_per_s": round(n / (time.perf_counter() - t), 1)}


def _expected(truth: np.ndarray, probs: np.ndarray) -> float:
    """Mean simulator probability of each row's top pick."""
    return float(truth[np.arange(len(truth)), probs.argmax(1)].mean())


def _expected_scores(predictor) -> tuple[dict, dict]:
    """Per synthetic eval set: (1) mean simulator probability of the model's, Markov's and
    the ceiling's top pick, and the share of Markov-to-ceiling headroom the model takes;
    (2) the model's ECE against the simulator's probabilities, and the sampling floor."""
    from augur.harness.baselines import make_baseline
    from augur.harness.evalsets import synthetic_eval_sets
    from augur.harness.evaluate import ceiling_predictions, queries_for
    from augur.harness.manifest import load_manifest
    from augur.harness.metrics import expected_calibration_error

    top1, ece = {}, {}
    for es in synthetic_eval_sets(load_manifest()["data"]):
        queries, steps = queries_for(es)
        truth = ceiling_predictions(steps, es.actions).action_probs
        markov = make_baseline("markov").fit(es.train, es.actions)
        probs = predictor.predict(queries, es.actions).action_probs
        m = _expected(truth, probs)
        b = _expected(truth, markov.predict(queries, es.actions).action_probs)
        c = float(truth.max(1).mean())
        top1[es.name] = {"model": round(m, 4), "markov": round(b, 4), "ceiling": round(c, 4),
                         "headroom": round((m - b) / (c - b), 4)}
        draws = _drawn_labels(truth)
        floor = np.array([expected_calibration_error(truth, y) for y in draws])
        drawn = np.array([expected_calibration_error(probs, y) for y in draws])
        ece[es.name] = {"model": round(expected_ece(truth, probs), 4),
                        "floor": round(float(floor.mean()), 4),
                        "drawn": round(float(drawn.mean()), 4),
                        "within_target": {"model": round(float((drawn <= ECE_TARGET).mean()), 3),
                                          "truth": round(float((floor <= ECE_TARGET).mean()), 3)}}
    return top1, ece


def _fresh_streams(oracle, path: Path) -> dict:
    """The streams of `path` (made if missing), refused if the model trained on any of
    them (as far as it records whom: Vocab.selves, kept by models trained with identity
    dropout): checked first, so a wrong file fails before minutes of measuring."""
    from augur.events.io import group_streams, read_jsonl

    if not path.is_file():
        _synth(path, *FRESH)
    streams = group_streams(read_jsonl(path))
    known = sorted(set(streams) & set(oracle.vocab.selves or ()))
    if known:
        raise SystemExit(f"augur bench oracle: --fresh {path} holds people the model trained "
                         f"on ({', '.join(known[:3])}); pass a file of other people")
    return streams


def _fresh_people(oracle, path: Path, streams: dict) -> dict:
    """Calibration and top-1 on `streams`, people the model never trained on."""
    from augur.events.vocab import ACTIONS
    from augur.harness.evalsets import EvalSet, EvalStream
    from augur.harness.evaluate import ceiling_predictions, queries_for
    from augur.harness.metrics import expected_calibration_error
    from augur.oracle.predictor import OraclePredictor

    es = EvalSet("fresh", str(path), [EvalStream(v) for v in streams.values()], ACTIONS, True)
    queries, steps = queries_for(es)
    truth = ceiling_predictions(steps, es.actions).action_probs
    probs = OraclePredictor(oracle).predict(queries, es.actions).action_probs
    labels = np.array([es.actions.index(s.labels.next_action) for s in steps])
    conf, rows = probs.max(1), np.arange(len(steps))
    right = truth[rows, probs.argmax(1)]
    who = np.array([q.window[-1].stream for q in queries])
    gaps = [conf[who == p].mean() - right[who == p].mean() for p in streams]
    return {"people": len(streams), "steps": len(steps),
            "top1": round(float((probs.argmax(1) == labels).mean()), 4),
            "expected_top1": round(float(right.mean()), 4),
            "ece": round(expected_calibration_error(probs, labels), 4),
            "expected_ece": round(expected_ece(truth, probs), 4),
            "confidence": round(float(conf.mean()), 4),
            "person_gap_sd": round(float(np.std(gaps)), 4)}


def _drawn_labels(truth: np.ndarray, draws: int = 200) -> list[np.ndarray]:
    """`draws` label sets drawn from the simulator's probabilities (seeded). Scored with
    the simulator's own probabilities, they show what sampling alone costs a model that is
    calibrated in truth on that many steps."""
    rng = np.random.default_rng(0)
    cum = truth.cumsum(1)
    last = truth.shape[1] - 1
    return [np.minimum((cum < rng.random((len(truth), 1))).sum(1), last) for _ in range(draws)]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="augur bench oracle", description=__doc__)
    ap.add_argument("--data", type=Path, default=Path("data/world-42x12.jsonl"),
                    help="training data (default: make run's 730 days of twelve people); "
                         "made with `augur data synth` if missing")
    ap.add_argument("--strangers", type=Path, default=Path("data/strangers-54x24.jsonl"),
                    help="people kept out of training, for the new-person temperatures "
                         "(default: make run's 30 days of personas 54-77); made if missing")
    ap.add_argument("--out", type=Path, default=Path("checkpoints/bench-oracle"),
                    help="where the trained checkpoint goes")
    ap.add_argument("--fresh", type=Path, default=Path("data/fresh-200x24.jsonl"),
                    help="people neither trained on nor in the harness, for `fresh_people` "
                         "(default: 30 days of personas 200-223); made if missing")
    ap.add_argument("--checkpoint", type=Path, default=None,
                    help="measure this checkpoint instead of training one")
    args = ap.parse_args(argv)

    from augur.events.io import read_jsonl
    from augur.oracle.predictor import Oracle, OraclePredictor
    from augur.scorecard import build_report

    train_s = train_mb = None
    ckpt = args.checkpoint
    if ckpt is None:
        if not args.data.is_file():
            _synth(args.data, 730, 42, 12)
        if not args.strangers.is_file():
            _synth(args.strangers, 30, 54, 24)
        train_s, train_mb = _train(args.data, args.strangers, args.out)
        ckpt = args.out
    oracle = Oracle.load(ckpt)
    fresh = _fresh_streams(oracle, args.fresh)
    events = read_jsonl(args.data)[-(2000 + 7 * WARM_UP):]
    windows = [events[i - 127:i + 1] for i in range(127, len(events), 7)]
    candidates = [w[-1].labels.candidates if w[-1].labels else None for w in windows]
    windows = [[e.observable() for e in w] for w in windows]
    report = {
        "train_seconds": None if train_s is None else round(train_s, 1),
        "train_peak_rss_mb": None if train_mb is None else round(train_mb, 1),
        "params": oracle.params,
        "checkpoint_bytes": sum(f.stat().st_size for f in Path(ckpt).iterdir()),
        "torch_threads": torch.get_num_threads(),
        **_latency(oracle, windows, candidates),
        "harness": build_report(OraclePredictor(oracle), None, None, progress=False),
    }
    report["expected_top1"], report["expected_ece"] = _expected_scores(OraclePredictor(oracle))
    report["fresh_people"] = _fresh_people(oracle, args.fresh, fresh)
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
