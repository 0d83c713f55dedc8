"""Harness reports for people and scripts: the report builder, the table, and the glue
behind `augur evaluate` and `augur harness`. Presentation only: kept outside the frozen
harness folder so a change of layout needs no new HARNESS_VERSION."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from augur.harness import constants as C
from augur.harness.predictor import Predictor


def build_report(predictor: Predictor | None, baseline: str | None, data: Path | None,
                 progress: bool) -> dict[str, Any]:
    """The harness report for a predictor (or a named baseline) on every eval set."""
    from augur.harness.evalsets import imported_eval_set, synthetic_eval_sets
    from augur.harness.evaluate import evaluate
    from augur.harness.manifest import verify_code

    manifest = verify_code()
    if data is not None:
        eval_sets = [imported_eval_set(data)]
    else:
        eval_sets = synthetic_eval_sets(manifest["data"], progress=progress)
    name = predictor.name if predictor is not None else baseline
    return {"harness_version": C.HARNESS_VERSION, "predictor": name,
            "eval_sets": {es.name: evaluate(predictor, es, baseline=baseline)
                          for es in eval_sets}}


def print_report(report: dict[str, Any], as_json: bool) -> None:
    print(json.dumps(report, indent=2) if as_json else format_report(report))


def run_harness(args: argparse.Namespace) -> int:
    from augur.harness.manifest import seal, verify_code

    if args.harness_command == "verify":
        from augur.harness.evalsets import synthetic_eval_sets

        manifest = verify_code()
        synthetic_eval_sets(manifest["data"], progress=True)
        print(f"harness v{C.HARNESS_VERSION}: code and eval data match the manifest")
        return 0
    manifest = seal(Path("CHANGELOG.md"))
    print(f"sealed harness v{manifest['version']}: {len(manifest['code'])} code files, "
          f"{len(manifest['data'])} data files")
    return 0


def _fmt(v: float | None) -> str:
    return "absent" if v is None else f"{v:.4f}"


def format_report(report: dict[str, Any]) -> str:
    lines = [f"augur harness v{report['harness_version']}: predictor {report['predictor']}"]
    for es in report["eval_sets"].values():
        lines += ["", f"{es['eval_set']}: {es['description']} ({es['steps']} scored steps)"]
        head = (f"  {'metric':<26}{'value':>9}" + "".join(f"{b:>15}" for b in C.BASELINES)
                + f"{'ceiling':>10}{'headroom':>10}")
        lines += [head, "  " + "-" * (len(head) - 2)]
        for name, m in es["metrics"].items():
            arrow = "" if m["higher_is_better"] else " (lower)"
            h = m["headroom_captured"]
            lines.append(
                f"  {name + arrow:<26}{_fmt(m['value']):>9}"
                + "".join(f"{_fmt(m['baselines'][b]):>15}" for b in C.BASELINES)
                + f"{_fmt(m['ceiling']) if m['ceiling'] is not None else '-':>10}"
                + f"{'-' if h is None else f'{100 * h + 0.0:.1f}%':>10}")
    lines += ["", "headroom = (value - best baseline) / (ceiling - best baseline); "
              "'absent' = the data has no labels for that head"]
    return "\n".join(lines)
