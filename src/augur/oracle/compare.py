"""`augur compare A B`: two checkpoints side by side on the named scenarios."""

from __future__ import annotations

import argparse

from augur.oracle.predictor import Oracle, Prediction
from augur.oracle.scenarios import NAMES, scenario

COL = 38


def _column(p: Prediction) -> list[str]:
    lines = ["next actions:"]
    lines += [f"  {a:<22}{v:6.1%} {'#' * round(v * 10)}" for a, v in p.next_actions]
    untrained = "not trained (no labels in its data)"
    lane = None if p.lanes is None else max(p.lanes, key=p.lanes.get)
    lines += [f"lane: {untrained}" if lane is None else f"lane: {lane} ({p.lanes[lane]:.0%})",
              f"proactive: {untrained}" if p.proactive_prob is None else
              f"proactive: {p.proactive_prob:.0%} -> {'intervene' if p.proactive else 'wait'}",
              f"delay: {untrained}" if p.delay_min is None else f"delay: {p.delay_min:.1f} min",
              f"artifact: {untrained}" if p.artifacts is None else
              f"artifact: {p.artifacts[0][0]}" if p.artifacts else "artifact: -"]
    return lines


def composite_of(o: Oracle) -> float | None:
    return o.meta.get("summary", {}).get("val_after_calibration", {}).get("composite")


def compare_text(a: Oracle, b: Oracle, names: list[str]) -> str:
    ca, cb = composite_of(a), composite_of(b)
    out = [f"{'A: ' + a.path.name:<{COL}}  {'B: ' + b.path.name}",
           f"{'validation composite ' + _fmt(ca):<{COL}}  validation composite {_fmt(cb)}"]
    for name in names:
        events, cands, description = scenario(name)
        pa, pb = a.predict(events, cands), b.predict(events, cands)
        out += ["", f"== {name} ({events[-1].ts:%H:%M}): {description}"]
        la, lb = _column(pa), _column(pb)
        out += [f"{x:<{COL}}  {y}" for x, y in zip(la, lb, strict=True)]
    return "\n".join(out)


def _fmt(v: float | None) -> str:
    return "n/a" if v is None else f"{v:.4f}"


def run_compare(args: argparse.Namespace) -> int:
    if not args.all_scenarios and args.scenario is None:
        raise ValueError(f"give --scenario NAME ({', '.join(NAMES)}) or --all-scenarios")
    names = list(NAMES) if args.all_scenarios else [args.scenario]
    print(compare_text(Oracle.load(args.a), Oracle.load(args.b), names))
    return 0
