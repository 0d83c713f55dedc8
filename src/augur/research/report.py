"""`augur research report`: docs/RESEARCH_LOG.md regenerated from results.tsv: a
leaderboard, composite over trials (a PNG next to the md) and, for each experiment field
that varied, the mean composite by value and which values were kept."""

from __future__ import annotations

import json
import math
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

from augur.errors import AugurError
from augur.research.experiment import Experiment, field_docs
from augur.research.loop import read_results

LEADERBOARD_METRICS = ("temporal_next_action_top1", "temporal_routing_accuracy",
                       "temporal_relevance_precision_at_1", "temporal_proactive_f1",
                       "temporal_calibration_ece", "temporal_delay_mae_log",
                       "cold_start_composite")


def write_report(results_tsv: str | Path, out_md: str | Path, top: int = 20,
                 notes: str | Path | None = None) -> Path:
    """Write the markdown log (and `<stem>-composite.png` beside it); returns the md path.
    `notes`, a markdown file a person wrote about the runs, is included under Notes."""
    rows = read_results(Path(results_tsv))
    if not rows:
        raise AugurError(f"no results at {results_tsv}: run `augur research run` first")
    if notes is not None and not Path(notes).is_file():
        raise AugurError(f"notes: expected a markdown file, got {notes} (not found)")
    out_md = Path(out_md)
    out_md.parent.mkdir(parents=True, exist_ok=True)
    png = out_md.with_name(f"{out_md.stem}-composite.png")
    _plot(rows, png)
    scored = [r for r in rows if _num(r["composite"]) is not None and r["status"] != "noise"]
    scored.sort(key=lambda r: -_num(r["composite"]))
    counts = defaultdict(int)
    for r in rows:
        counts[r["status"]] += 1
    floors = [r["noise_floor"] for r in rows if r["noise_floor"]]
    lines = ["# Research log", "",
             f"Generated from `{results_tsv}` by `augur research report`; do not edit by hand.",
             "", f"{len(rows)} trials: " + ", ".join(f"{n} {s}" for s, n in sorted(
                 counts.items())) + (f". Noise floor (composite): {floors[-1]}." if floors
                                     else "."), "",
             "## Leaderboard", "", f"Temporal composite, best first (top {top}; noise-seed "
             "re-trainings and crashes left out).", "",
             "| # | trial | status | composite | " + " | ".join(
                 m.removeprefix("temporal_") for m in LEADERBOARD_METRICS)
             + " | seconds | peak MB | description |",
             "|---" * (6 + len(LEADERBOARD_METRICS)) + "|---|"]
    for i, r in enumerate(scored[:top], 1):
        lines.append(f"| {i} | {r['trial']} | {r['status']} | {_f(r['composite'])} | "
                     + " | ".join(_f(r[m]) for m in LEADERBOARD_METRICS)
                     + f" | {r['seconds']} | {r['peak_mem_mb']} | {_md(r['description'])} |")
    if notes is not None:
        lines += ["", f"## Notes (from `{notes}`, written by a person)", "",
                  Path(notes).read_text().strip()]
    lines += ["", "## Composite over trials", "", f"![composite over trials]({png.name})", ""]
    lines += _findings(rows)
    lines += _per_axis(rows)
    crashes = [r for r in rows if r["status"] == "crash"]
    if crashes:
        lines += ["## Crashes", ""]
        lines += [f"- trial {r['trial']}: {_md(r['description'])}" for r in crashes]
        lines.append("")
    out_md.write_text("\n".join(lines))
    return out_md


def _findings(rows: list[dict[str, str]]) -> list[str]:
    """Each trial against the baseline (the default oracle's first run): the change, the
    composite difference and a verdict against the noise floor."""
    base_exp = Experiment().to_json()
    ok = [r for r in rows if _num(r["composite"]) is not None]
    base = next((r for r in ok if r["status"] != "noise" and _changes(r, base_exp) == {}),
                None)
    if base is None:
        return []
    floors = [_num(r["noise_floor"]) for r in rows if _num(r["noise_floor"]) is not None]
    floor = floors[-1] if floors else 0.0
    b = _num(base["composite"])
    lines = ["## Each change against the baseline", "",
             f"Baseline (trial {base['trial']}, the default oracle): composite {b:.4f} "
             f"(cold start {_f(base['cold_start_composite'])}{_trained(base, ', ')}); "
             f"noise floor {floor:.4f} (spread over seeds of the baseline). A change "
             "*helped* or *hurt* when it moved the composite by more than the floor.", "",
             "| trial | change | composite | vs baseline | verdict | top-1 | ECE | "
             "cold start | seconds | how it trained |", "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        if r is base or r["status"] == "noise":
            continue
        ch = _changes(r, base_exp)
        what = " ".join(f"{k}={v}" for k, v in ch.items()) or "baseline again"
        c = _num(r["composite"])
        if c is None:
            lines.append(f"| {r['trial']} | {_md(what)} | - | - | crash | - | - | - | "
                         f"{r['seconds']} | |")
            continue
        d = c - b
        verdict = "helped" if d > floor else "hurt" if d < -floor else "within noise"
        lines.append(f"| {r['trial']} | {_md(what)} | {c:.4f} | {d:+.4f} | {verdict} | "
                     f"{_f(r['temporal_next_action_top1'])} | "
                     f"{_f(r['temporal_calibration_ece'])} | "
                     f"{_f(r['cold_start_composite'])} | {r['seconds']} | {_trained(r)} |")
    return lines + [""]


def _trained(r: dict[str, str], prefix: str = "") -> str:
    """The loop's `[21 epochs in 77.7 s; ...]` note from the description, if any."""
    m = re.search(r"\[([^\]]*epochs in[^\]]*)\]", r.get("description", ""))
    return f"{prefix}{_md(m.group(1))}" if m else ""


def _changes(r: dict[str, str], base: dict[str, Any]) -> dict[str, Any]:
    params = _params(r)
    return {k: json.dumps(v) if isinstance(v, list) else v for k, v in params.items()
            if k in base and v != base[k]}


def _per_axis(rows: list[dict[str, str]]) -> list[str]:
    docs = field_docs()
    base = Experiment().to_json()
    by_field: dict[str, dict[str, list[tuple[float, bool]]]] = defaultdict(
        lambda: defaultdict(list))
    for r in rows:
        c = _num(r["composite"])
        if c is None or r["status"] == "noise":
            continue
        params = _params(r)
        for name in docs:
            value = params.get(name, base[name])
            by_field[name][json.dumps(value)].append((c, r["status"] == "keep"))
    lines = ["## What helped, per axis", "",
             "For each field that varied: mean temporal composite by value (trials), "
             "and whether a trial with that value was kept. Values are confounded when "
             "a trial changed several fields at once.", ""]
    varied = [n for n in docs if len(by_field.get(n, {})) > 1]
    if not varied:
        return lines + ["No field has varied yet.", ""]
    for axis in ("architecture", "data", "optimisation"):
        names = [n for n in varied if docs[n][0] == axis]
        if not names:
            continue
        lines += [f"### {axis}", ""]
        for n in names:
            vals = by_field[n]
            means = {v: sum(c for c, _ in xs) / len(xs) for v, xs in vals.items()}
            best = max(means, key=means.get)
            lines += [f"**{n}** ({docs[n][1]}); best mean: `{best}`", "",
                      "| value | mean composite | trials | kept |", "|---|---|---|---|"]
            for v in sorted(vals, key=lambda v: -means[v]):
                kept = sum(k for _, k in vals[v])
                lines.append(f"| `{v}` | {means[v]:.4f} | {len(vals[v])} | "
                             f"{'yes (' + str(kept) + ')' if kept else 'no'} |")
            lines.append("")
    return lines


def _plot(rows: list[dict[str, str]], png: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4))
    style = {"keep": ("tab:green", "o"), "discard": ("tab:gray", "o"),
             "noise": ("tab:blue", "x"), "crash": ("tab:red", "v")}
    ok = [(int(r["trial"]), _num(r["composite"])) for r in rows if _num(r["composite"])
          is not None]
    low = min((c for _, c in ok), default=0.0)
    for status, (color, marker) in style.items():
        pts = [(int(r["trial"]), _num(r["composite"])) for r in rows if r["status"] == status]
        pts = [(t, low if c is None else c) for t, c in pts]
        if pts:
            ax.scatter(*zip(*pts, strict=True), c=color, marker=marker, label=status)
    best, line = -math.inf, []
    for t, c in ok:
        row = next(r for r in rows if int(r["trial"]) == t)
        if row["status"] == "keep":
            best = max(best, c)
        if best > -math.inf:
            line.append((t, best))
    if line:
        ax.step(*zip(*line, strict=True), where="post", c="tab:green", alpha=0.5,
                label="incumbent")
        floors = [_num(r["noise_floor"]) for r in rows if _num(r["noise_floor"]) is not None]
        if floors:  # what a trial must clear to be kept
            xs, ys = zip(*line, strict=True)
            ax.fill_between(xs, ys, [y + floors[-1] for y in ys], step="post",
                            color="tab:green", alpha=0.15, label="noise floor to beat")
    ax.set_xlabel("trial")
    ax.set_ylabel("temporal composite")
    ax.set_title("Composite over trials (crashes drawn at the lowest score)")
    ax.legend(loc="best", fontsize=8)
    fig.tight_layout()
    fig.savefig(png, dpi=100)
    plt.close(fig)


def _params(r: dict[str, str]) -> dict[str, Any]:
    try:
        p = json.loads(r.get("params") or "{}")
    except json.JSONDecodeError:
        return {}
    return p if isinstance(p, dict) else {}


def _num(s: str | None) -> float | None:
    try:
        v = float(s)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def _f(s: str | None) -> str:
    v = _num(s)
    return "-" if v is None else f"{v:.4f}"


def _md(s: str) -> str:
    return s.replace("|", "\\|")
