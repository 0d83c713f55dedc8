"""Readable tables of harness reports (the JSON form is the report itself)."""

from __future__ import annotations

from typing import Any

from augur.harness import constants as C


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
