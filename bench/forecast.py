"""Benchmark of the forecasters on the frozen forecast harness; prints one JSON object.

    augur bench forecast [--sources world persona] [--forecasters uniform base-rate ...]
                         [--split test] [--limit CASES]

For each source (the harness's frozen world-events and persona sets): every forecaster
fitted on the train split (`augur.forecast.registry.make_forecaster`, timed: fit_s),
then scored on --split by the harness (`augur.forecast.harness.evaluate`) beside
uniform, the base rate and the ceiling, overall and per depth, with headroom captured
and predict latency per case (p50, p99, in ms, one case at a time on one thread).
`--forecasters` defaults to every registered one whose module imports; the others are
listed under "unavailable" with the reason. A forecaster that fails is reported with
its error (a crash is a result) and the command exits 1.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import platform
import time


def bench_source(source: str, names: list[str], split: str, limit: int | None) -> dict:
    from augur.forecast.harness.data import forecast_cases
    from augur.forecast.harness.evaluate import OWN_ROWS, evaluate
    from augur.forecast.harness.metrics import CEILING
    from augur.forecast.registry import make_forecaster

    train = forecast_cases(source, "train")
    cases = forecast_cases(source, split)[:limit]
    out: dict = {"n_cases": len(cases), "train_cases": len(train), "forecasters": {},
                 "errors": {}}
    for name in names:
        try:
            t0 = time.perf_counter()
            forecaster = make_forecaster(name, train)
            fit_s = time.perf_counter() - t0
            report = evaluate([forecaster], cases, train)
        except Exception as e:  # a crash is a result: reported, then exit 1
            out["errors"][name] = f"{type(e).__name__}: {e}"
            continue
        by = {"overall": report["overall"],
              **{f"depth_{d}": g for d, g in report["by_depth"].items()}}
        if "baselines" not in out:  # the baselines and the ceiling, the same in every report
            out.update(n_levels=report["n_levels"], ceiling=report["ceiling"],
                       market_levels=report["market_levels"])
            out["baselines"] = {key: {"n": g["n"], "mean_k": g["mean_k"],
                                      "brier_uniform_ref": g["brier_uniform_ref"],
                                      "best_baseline": g["best_baseline"],
                                      **{n: g["forecasters"][n] for n in (*OWN_ROWS, CEILING)
                                         if n in g["forecasters"]}}
                                for key, g in by.items()}
        out["forecasters"][name] = {  # a baseline's row is the harness's (null: none here)
            "fit_s": fit_s, "latency_ms_per_case": report["latency_ms_per_case"][name],
            **{key: g["forecasters"].get(name) for key, g in by.items()}}
    return out


def main() -> None:
    from augur.forecast.harness.constants import FORECAST_HARNESS_VERSION, SOURCES
    from augur.forecast.registry import available, names

    ap = argparse.ArgumentParser(prog="augur bench forecast", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sources", nargs="+", choices=SOURCES, default=list(SOURCES),
                    help="which frozen sets (default: all)")
    ap.add_argument("--forecasters", nargs="+", metavar="NAME",
                    help=f"which forecasters, of {', '.join(names())} (default: every one "
                         "whose module imports)")
    ap.add_argument("--split", choices=("train", "val", "test"), default="test",
                    help="the frozen split to score (default test)")
    ap.add_argument("--limit", type=int, default=None,
                    help="only the first CASES cases of the split (a smoke run)")
    args = ap.parse_args()
    if args.limit is not None and args.limit <= 0:
        ap.error(f"--limit must be a positive number, got {args.limit}")

    import torch

    try:
        from threadpoolctl import threadpool_limits
        one_thread = threadpool_limits(1, user_api="blas")
    except ImportError:  # the [memory] extra brings it; without it BLAS keeps its threads
        one_thread = contextlib.nullcontext()
    torch.set_num_threads(1)  # one case at a time, as a service would answer
    unavailable = {}
    if args.forecasters is None:  # importing every plugin only to find the default
        chosen, unavailable = available()
    else:
        chosen = list(dict.fromkeys(args.forecasters))
    report: dict = {"forecast_harness_version": FORECAST_HARNESS_VERSION,
                    "machine": platform.machine(), "torch_threads": torch.get_num_threads(),
                    "split": args.split, "limit": args.limit, "forecasters": chosen,
                    "unavailable": unavailable, "sources": {}}
    with one_thread:
        for source in args.sources:
            report["sources"][source] = bench_source(source, chosen, args.split, args.limit)
    print(json.dumps(report, indent=1))
    failed = any(s["errors"] for s in report["sources"].values())
    raise SystemExit(1 if failed else 0)


if __name__ == "__main__":
    main()
