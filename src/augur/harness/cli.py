"""`augur evaluate` and `augur harness ...`: the command-line face of the harness."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from augur.harness import constants as C


def build_report(baseline: str | None, data: Path | None, progress: bool) -> dict[str, Any]:
    from augur.harness.evalsets import imported_eval_set, synthetic_eval_sets
    from augur.harness.evaluate import evaluate
    from augur.harness.manifest import verify_code

    manifest = verify_code()
    if data is not None:
        eval_sets = [imported_eval_set(data)]
    else:
        eval_sets = synthetic_eval_sets(manifest["data"], progress=progress)
    return {"harness_version": C.HARNESS_VERSION, "predictor": baseline,
            "eval_sets": {es.name: evaluate(None, es, baseline=baseline) for es in eval_sets}}


def run_evaluate(args: argparse.Namespace) -> int:
    from augur.harness.report import format_report

    if args.baseline is None:
        raise ValueError("augur evaluate needs --baseline uniform|most_frequent|markov "
                         "(trained checkpoints arrive with the behavior oracle)")
    report = build_report(args.baseline, args.data, progress=not args.json)
    print(json.dumps(report, indent=2) if args.json else format_report(report))
    return 0


def run_harness(args: argparse.Namespace) -> int:
    from augur.harness.manifest import seal, verify_code

    if args.harness_command == "verify":
        from augur.harness.evalsets import synthetic_eval_sets

        manifest = verify_code()
        synthetic_eval_sets(manifest["data"], progress=True)
        print(f"harness v{C.HARNESS_VERSION}: code and eval data match the manifest")
        return 0
    manifest = seal(Path("CHANGELOG.md"))
    print(f"sealed harness v{manifest['harness_version']}: {len(manifest['code'])} code files, "
          f"{len(manifest['data'])} data files")
    return 0
