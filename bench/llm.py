"""Benchmark of the LLM runtime and the tip lab; prints one JSON object.

    augur bench llm [--model llamacpp] [--runs 5] [--tokens 128] [--schema-runs 20]
                    [--grid-models template llamacpp transformers] [--n 2] [--skip-grid]

tokens_per_s: median decode speed of --model over --runs generations of up to
--tokens tokens (one warm-up first). schema_valid_rate: share of --schema-runs
generations under the lab judge's Verdict JSON schema (sampled, temperature 0.7,
a different seed each) that parse with that pydantic model: the text as the
backend returned it, no retries. grid_seconds: wall time of `augur lab collect`
over models x every prompt x every scenario with N tips per cell into a fresh
temporary MLflow store (store creation and model loading included).
Targets: tokens_per_s >= 50, grid_seconds <= 600, schema_valid_rate == 1.0.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

TARGETS = {"tokens_per_s": 50.0, "grid_seconds": 600.0, "schema_valid_rate": 1.0}
LONG = [{"role": "system", "content": "You are a helpful assistant."},
        {"role": "user", "content": "Write a long, detailed story about a programmer who "
                                    "fixes a failing build late at night. Use many paragraphs."}]


def _speed(backend, runs: int, tokens: int) -> dict:
    backend.generate(LONG, max_tokens=16, temperature=0.7, seed=0)  # warm-up: caches, threads
    gens = [backend.generate(LONG, max_tokens=tokens, temperature=0.7, seed=i + 1)
            for i in range(runs)]
    return {"tokens_per_s": round(statistics.median(g.tokens_per_s for g in gens), 1),
            "tokens_per_s_runs": [round(g.tokens_per_s, 1) for g in gens],
            "completion_tokens_median": statistics.median(g.completion_tokens for g in gens)}


def _schema(backend, runs: int) -> dict:
    from pydantic import ValidationError

    from augur.lab.judge import Verdict, judge_messages
    from augur.lab.scenarios import SCENARIOS

    names = list(SCENARIOS)
    valid = constrained = 0
    failures = []
    for i in range(runs):
        ctx = SCENARIOS[names[i % len(names)]].context()
        cell = {"context": ctx.to_dict()}
        tip = f"Reply to {ctx.open_tasks[0]['what'] if ctx.open_tasks else 'your inbox'} now."
        gen = backend.generate(judge_messages(cell, tip), max_tokens=64, temperature=0.7,
                               json_schema=Verdict.model_json_schema(), seed=i)
        constrained += gen.constrained
        try:
            Verdict.model_validate_json(gen.text)
            valid += 1
        except ValidationError:
            failures.append(gen.text[:120])
    return {"schema_valid_rate": valid / runs, "schema_runs": runs,
            "schema_constrained_rate": constrained / runs, "schema_failures": failures[:5]}


def _grid(models: list[str], n: int) -> dict:
    from augur.lab.collect import CollectConfig, collect
    from augur.lab.generators import GenSettings
    from augur.lab.prompts import known_versions
    from augur.lab.scenarios import SCENARIOS
    from augur.lab.store import LabStore

    config = CollectConfig(models=tuple(models), prompts=tuple(known_versions()),
                           scenarios=tuple(SCENARIOS), settings=GenSettings(n=n))
    with tempfile.TemporaryDirectory() as tmp:
        store = LabStore(f"sqlite:///{Path(tmp).resolve()}/mlflow.db", "bench-llm")
        start = time.monotonic()
        report = collect(store, config, progress=True)
        seconds = time.monotonic() - start
    return {"grid_seconds": round(seconds, 1), "grid_cells": len(config.cells()),
            "grid_collected": len(report.collected), "grid_failures": report.failed,
            "grid_models": models, "grid_prompts": list(config.prompts),
            "grid_scenarios": len(config.scenarios), "grid_n": n}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="augur bench llm", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="llamacpp",
                    help="backend spec measured for speed and schema validity (default llamacpp)")
    ap.add_argument("--runs", type=int, default=5, help="speed runs, median taken (default 5)")
    ap.add_argument("--tokens", type=int, default=128, help="tokens per speed run (default 128)")
    ap.add_argument("--schema-runs", type=int, default=20,
                    help="constrained generations checked (default 20)")
    ap.add_argument("--grid-models", nargs="+", default=["llamacpp", "transformers", "template"],
                    help="models of the timed lab grid (default llamacpp transformers template)")
    ap.add_argument("--n", type=int, default=2, help="tips per grid cell (default 2)")
    ap.add_argument("--skip-grid", action="store_true", help="leave grid_seconds out (null)")
    args = ap.parse_args(argv)

    from augur.llm.factory import make_backend

    backend = make_backend(args.model)
    try:
        result = {"model": args.model, "backend": backend.name,
                  **_speed(backend, args.runs, args.tokens), **_schema(backend, args.schema_runs)}
    finally:
        backend.close()  # the grid loads its own models, one at a time
    result.update(_grid(args.grid_models, args.n) if not args.skip_grid
                  else {"grid_seconds": None})
    result["targets"] = TARGETS
    result["meets_targets"] = (
        result["tokens_per_s"] >= TARGETS["tokens_per_s"]
        and result["schema_valid_rate"] >= TARGETS["schema_valid_rate"]
        and result["grid_seconds"] is not None
        and result["grid_seconds"] <= TARGETS["grid_seconds"])
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
