"""Phase C of the tip lab: the leaderboard of (model, prompt) over judged cells.

The unit of the confidence interval is the cell, not the tip: the N tips of one
cell share one context, so they are not independent draws. A (model, prompt) row's
mean composite is the mean of its cells' means and its 95 % interval is Student's t
over those cell means (none with a single cell).
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from augur.lab.rubric import RUBRIC, SCALES, VERSION
from augur.lab.store import JUDGED, LabStore

# Two-sided 95 % critical values of Student's t (the 0.975 quantile) by degrees of freedom.
T975 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306,
        9: 2.262, 10: 2.228, 11: 2.201, 12: 2.179, 13: 2.160, 14: 2.145, 15: 2.131, 16: 2.120,
        17: 2.110, 18: 2.101, 19: 2.093, 20: 2.086, 21: 2.080, 22: 2.074, 23: 2.069,
        24: 2.064, 25: 2.060, 26: 2.056, 27: 2.052, 28: 2.048, 29: 2.045, 30: 2.042,
        40: 2.021, 60: 2.000, 120: 1.980}
Z975 = 1.960


def t_critical(df: int) -> float:
    """t_{0.975, df}; between tabled values the next smaller df (a slightly wider interval)."""
    if df < 1:
        raise ValueError(f"degrees of freedom must be at least 1, got {df}")
    if df > max(T975):
        return Z975
    return T975[max(d for d in T975 if d <= df)]


@dataclass(frozen=True)
class Row:
    model: str
    prompt: str
    mean: float  # mean composite over cells
    half_width: float | None  # 95 % CI is mean ± half_width; None with one cell
    cells: int
    candidates: int
    scales: dict[str, float]  # mean relevance, actionability, tone

    @property
    def ci(self) -> tuple[float, float] | None:
        if self.half_width is None:
            return None
        return self.mean - self.half_width, self.mean + self.half_width


def mean_ci(values: list[float]) -> tuple[float, float | None]:
    """Mean and the half width of its 95 % t interval (None for fewer than two values)."""
    mean = statistics.fmean(values)
    if len(values) < 2:
        return mean, None
    return mean, t_critical(len(values) - 1) * statistics.stdev(values) / math.sqrt(len(values))


def leaderboard(store: LabStore) -> list[Row]:
    """One row per (model, prompt) of the judged cells, best mean composite first."""
    groups: dict[tuple[str, str], list] = defaultdict(list)
    for run in store.search(JUDGED):
        tags, metrics = run.data.tags, run.data.metrics
        if tags.get("rubric_version") == VERSION and "composite" in metrics:
            groups[tags.get("model", "?"), tags.get("prompt_version", "?")].append(metrics)
    rows = []
    for (model, prompt), cells in groups.items():
        mean, half = mean_ci([m["composite"] for m in cells])
        rows.append(Row(model, prompt, mean, half, len(cells),
                        int(sum(m.get("candidates_judged", 0) for m in cells)),
                        {s: statistics.fmean(m[s] for m in cells) for s in SCALES}))
    return sorted(rows, key=lambda r: (-r.mean, r.model, r.prompt))


def format_table(rows: list[Row]) -> str:
    head = ("#", "model", "prompt", "composite", "95% CI", "cells", "tips", "rel", "act", "tone")
    body = []
    for i, r in enumerate(rows, 1):
        ci = "n/a (1 cell)" if r.ci is None else f"[{r.ci[0]:.2f}, {r.ci[1]:.2f}]"
        body.append((str(i), r.model, r.prompt, f"{r.mean:.2f}", ci, str(r.cells),
                     str(r.candidates), *(f"{r.scales[s]:.2f}" for s in SCALES)))
    widths = [max(len(x) for x in col) for col in zip(head, *body, strict=True)]
    lines = ["  ".join(x.ljust(w) for x, w in zip(line, widths, strict=True)).rstrip()
             for line in (head, *body)]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def plot(rows: list[Row], out: Path) -> Path:
    """Bars of mean composite with 95 % CI error bars, best on top; written as PNG."""
    import matplotlib

    matplotlib.use("Agg")  # files only: no display needed, none opened
    import matplotlib.pyplot as plt

    shown = list(reversed(rows))  # barh draws bottom-up; the best row goes on top
    labels = [f"{r.model} | {r.prompt}" for r in shown]
    errors = [r.half_width or 0.0 for r in shown]
    fig, ax = plt.subplots(figsize=(9, 1.2 + 0.45 * len(shown)))
    ax.barh(labels, [r.mean for r in shown], xerr=errors, capsize=4, color="#4c78a8")
    for y, r in enumerate(shown):
        ax.text(0.2, y, f"{r.mean:.2f}  ({r.cells} cells)", va="center", color="white",
                fontsize=8)
    lo, hi = RUBRIC["composite_range"]
    ax.set_xlim(0, hi)
    ax.set_xlabel(f"mean composite ({lo}-{hi}), 95 % CI over cells")
    ax.set_title(f"Tip lab leaderboard, rubric {VERSION}")
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return out


def default_out(tracking_uri: str) -> Path:
    """Beside the store's folder for sqlite (mlruns/mlflow.db -> lab-leaderboard.png), else here."""
    if tracking_uri.startswith("sqlite:///"):
        db = Path(tracking_uri.removeprefix("sqlite:///"))
        return db.parent.parent / "lab-leaderboard.png"
    return Path("lab-leaderboard.png")
