"""Benchmark of REM task 1 (natural language -> REM query); prints one JSON object.

    augur bench rem-query [--models search-all retrieval fast] [--llm llamacpp]
                          [--llm-limit 40] [--shots 4] [--tuned runs/query/gguf]

Every model is scored by the frozen task harness (augur.memory.tasks.harness) on the
test split (templates and phrasings training never uses) and on the hand-written
requests, with search-all (SEARCH the whole request) and the retrieval baseline
beside it; the ceiling is 1.0 on every metric (the gold queries). Latency is per
request on this machine, the query embedding included. An LLM (--llm, an augur.llm
backend spec) is slow on two cores (seconds a request), so it is scored on the first
--llm-limit requests of each split, said in its row. --tuned names the folder
`augur llm export` wrote: each model-<type>.gguf there (the LoRA model at f16, q8_0,
q4_0) is scored zero-shot on the same requests as the few-shot LLM.
Targets (issue 23): intent >= 0.95, validity 1.0, parameter accuracy >= 0.90 and
execution accuracy >= 0.90 on test; intent >= 0.85 and execution accuracy >= 0.75 on
the hand-written set.
"""

from __future__ import annotations

import argparse
import json
import platform
from pathlib import Path

TARGETS = {"test": {"intent_accuracy": 0.95, "validity": 1.0, "parameter_accuracy": 0.90,
                    "execution_accuracy": 0.90},
           "handwritten": {"intent_accuracy": 0.85, "execution_accuracy": 0.75}}


def main() -> None:
    ap = argparse.ArgumentParser(prog="augur bench rem-query", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", nargs="+", default=["search-all", "retrieval", "fast"])
    ap.add_argument("--llm", default=None, help="also an LLM backend spec, e.g. llamacpp")
    ap.add_argument("--llm-limit", type=int, default=40,
                    help="requests per split for the LLM (default 40)")
    ap.add_argument("--shots", type=int, default=4, help="the LLM's retrieved examples")
    ap.add_argument("--tuned", type=Path, default=None,
                    help="folder of model-<type>.gguf files from `augur llm export`")
    args = ap.parse_args()

    import torch

    from augur.memory.embed import Embedder
    from augur.memory.tasks.harness.evaluate import evaluate_query_model
    from augur.memory.tasks.query_models import make_query_model

    torch.set_num_threads(1)  # one request at a time, as a service answers it
    embedder = Embedder()
    report: dict = {"targets": TARGETS, "machine": platform.machine(),
                    "torch_threads": torch.get_num_threads(), "splits": {}}
    runs = [(m, None, args.shots) for m in args.models]
    if args.llm:
        runs.append((args.llm, args.llm_limit, args.shots))
    if args.tuned is not None:
        files = sorted(args.tuned.glob("model-*.gguf"))
        if not files:
            ap.error(f"--tuned {args.tuned}: no model-<type>.gguf files; run augur llm export")
        runs += [(f"llamacpp:{f}", args.llm_limit, 0) for f in files]
    for split in ("test", "handwritten"):
        rows = {}
        for name, limit, shots in runs:
            model = make_query_model(name, embedder=embedder, shots=shots)
            if not shots:
                model.name = f"lora {name.rpartition('model-')[2].removesuffix('.gguf')} 0-shot"
            try:
                r, _ = evaluate_query_model(model, split, limit, progress=False)
            finally:
                if getattr(model, "backend", None) is not None:
                    model.backend.close()
            rows[model.name] = {k: v for k, v in r.items()
                                if k not in ("task", "model", "split", "rem_tasks_version")}
        best = max(rows, key=lambda m: rows[m].get("execution_accuracy") or 0)
        report["splits"][split] = {
            "models": rows, "best": best,
            "meets": {k: (rows[best].get(k) or 0) >= v for k, v in TARGETS[split].items()}}
    from augur.memory.tasks.harness.constants import REM_TASKS_VERSION

    report["rem_tasks_version"] = REM_TASKS_VERSION
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
