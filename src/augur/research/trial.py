"""One trial in its own process: `python -m augur.research.trial SPEC.json`.

Trains the spec's experiment under its wall-clock budget, scores the checkpoint with the
frozen harness (augur.scorecard.build_report) and writes RESULT.json next to the spec.
Run as a child so that a crash or an out-of-memory kill is contained and the peak memory
(ru_maxrss) is this trial's own. A failure exits non-zero with the reason in result.json."""

from __future__ import annotations

import json
import resource
import sys
import time
import traceback
from dataclasses import replace
from pathlib import Path
from typing import Any

EVAL_SETS = ("temporal", "cold_start")
MAX_EPOCHS, PATIENCE = 10_000, 6


def score(ckpt: Path, eval_sets: tuple[str, ...] = EVAL_SETS) -> dict[str, dict[str, Any]]:
    """eval set -> metric -> value, from the frozen harness. All sets go through
    build_report; a subset (tests) runs the same harness evaluate() on fewer sets."""
    from augur.oracle.predictor import Oracle, OraclePredictor

    predictor = OraclePredictor(Oracle.load(ckpt))
    if tuple(eval_sets) == EVAL_SETS:
        from augur.scorecard import build_report

        report = build_report(predictor, None, None, progress=False)
        sets = report["eval_sets"]
    else:
        from augur.harness.evalsets import synthetic_eval_sets
        from augur.harness.evaluate import evaluate
        from augur.harness.manifest import verify_code

        manifest = verify_code()
        sets = {es.name: evaluate(predictor, es, baseline=None)
                for es in synthetic_eval_sets(manifest["data"]) if es.name in eval_sets}
    return {name: {m: v["value"] for m, v in s["metrics"].items()} for name, s in sets.items()}


def run_spec(spec: dict[str, Any]) -> dict[str, Any]:
    from augur.oracle.train import train
    from augur.research.experiment import Experiment

    exp = Experiment.from_dict(spec["experiment"])
    mc, tc = exp.to_configs()
    # The budget ends a trial, not an epoch count: epochs are unbounded, the learning
    # rate decays over the budget, and early stopping waits PATIENCE stale epochs.
    tc = replace(tc, seed=spec["seed"], time_budget_s=spec["budget_s"], tracking_uri=None,
                 epochs=MAX_EPOCHS, patience=PATIENCE)
    start = time.monotonic()
    summary = train(Path(spec["data"]), Path(spec["ckpt"]), tc, mc, progress=False)
    train_s = time.monotonic() - start
    metrics = score(Path(spec["ckpt"]), tuple(spec.get("eval_sets", EVAL_SETS)))
    return {"metrics": metrics, "train_seconds": round(train_s, 1),
            "epochs_run": summary.get("epochs_run"), "backbone": summary.get("backbone")}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    spec_path = Path(argv[0])
    spec = json.loads(spec_path.read_text())
    out = Path(spec["result"])
    start = time.monotonic()
    try:
        result = {"ok": True, **run_spec(spec)}
        code = 0
    except Exception as e:  # recorded as a crash by the loop, which goes on
        traceback.print_exc()
        result = {"ok": False, "error": f"{type(e).__name__}: {e}"}
        code = 1
    result["seconds"] = round(time.monotonic() - start, 1)
    result["peak_mem_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    out.write_text(json.dumps(result))
    return code


if __name__ == "__main__":
    sys.exit(main())
