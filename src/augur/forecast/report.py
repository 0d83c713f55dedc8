"""The forecast harness's report (augur.forecast.harness.evaluate) as a text table and
as a chart: every forecaster beside the base rate, the market, uniform and the ceiling,
overall and per depth."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from augur.forecast.harness.evaluate import BASE_RATE, MARKET, OWN_ROWS
from augur.forecast.harness.metrics import CEILING, UNIFORM

COLUMNS = (("loss", "loss", "{:7.3f}"), ("perplexity", "ppl", "{:7.2f}"),
           ("brier", "brier", "{:7.3f}"), ("brier_per_candidate", "brier/K", "{:7.3f}"),
           ("brier_binary", "brier2", "{:7.3f}"), ("ece", "ece", "{:7.3f}"),
           ("accuracy", "acc", "{:7.3f}"), ("headroom_brier", "hr.brier", "{:8.1%}"),
           ("headroom_loss", "hr.loss", "{:8.1%}"))


def row_order(report: dict[str, Any]) -> list[str]:
    """The forecasters asked for, then the baselines and the ceiling, as the report has them."""
    have = report["overall"]["forecasters"]
    asked = [n for n in report["forecasters"] if n not in OWN_ROWS]
    return [n for n in (*asked, BASE_RATE, MARKET, UNIFORM, CEILING) if n in have]


def _cell(value: Any, fmt: str) -> str:
    width = int(fmt[2:].split(".")[0])
    return f"{'-':>{width}s}" if value is None else fmt.format(value)


def _group(title: str, group: dict[str, Any], names: list[str]) -> list[str]:
    binary = f", {group['n_binary']} with K = 2" if group["n_binary"] else ""
    lines = [f"{title}: {group['n']} levels, mean K {group['mean_k']:.2f}{binary} (uniform: "
             f"ppl = K, brier = 1 - 1/K = {group['brier_uniform_ref']:.3f})",
             f"  {'':14s} " + " ".join(f"{h:>{8 if h.startswith('hr.') else 7}s}"
                                       for _, h, _ in COLUMNS)]
    for name in names:
        row = group["forecasters"][name]
        lines.append(f"  {name[:14]:14s} " + " ".join(_cell(row[m], f) for m, _, f in COLUMNS))
    best = group["best_baseline"]
    lines.append(f"  best baseline: brier {best['brier']}, loss {best['loss']}; hr. = "
                 "headroom captured between it and the ceiling")
    return lines


def format_report(report: dict[str, Any], by_depth: bool = False) -> str:
    """The overall table, then (by_depth) one table per depth, then predict latency."""
    names = row_order(report)
    head = (f"{report.get('data', 'cases')} {report.get('split', '')}: {report['n_cases']} "
            f"cases, {report['n_levels']} levels; forecast-harness "
            f"v{report['forecast_harness_version']}")
    if report["base_rate_train_cases"]:
        head += f"; base rate fitted on {report['base_rate_train_cases']} training cases"
    if report["market_levels"]:
        head += f"; market values on {report['market_levels']} levels"
    elif MARKET in report["forecasters"]:
        head += "; no level has a market value (market is uniform here)"
    if BASE_RATE in report["forecasters"] and not report["base_rate_train_cases"]:
        head += "; no training cases, so no base rate"
    if not report["ceiling"]:
        head += "; no ceiling (not every level has p_true)"
    lines = [head, "", *_group("all depths", report["overall"], names)]
    if by_depth:
        for depth, group in report["by_depth"].items():
            lines += ["", *_group(f"depth {depth}", group, names)]
    lines.append("")
    for name, t in report["latency_ms_per_case"].items():
        lines.append(f"predict {name}: p50 {t['p50']:.3f} ms, p99 {t['p99']:.3f} ms per case")
    return "\n".join(lines)


def plot_brier(report: dict[str, Any], path: Path, title: str = "") -> Path:
    """Multiclass Brier per depth (and over all depths), one bar per forecaster beside
    the base rate, uniform and the ceiling."""
    import matplotlib

    matplotlib.use("Agg")  # files only: no display needed, none opened
    import matplotlib.pyplot as plt

    names = row_order(report)
    groups = [("all", report["overall"]), *((f"depth {d}", g)
                                            for d, g in report["by_depth"].items())]
    colours = {UNIFORM: "0.65", CEILING: "0.15"}
    width = 0.8 / len(names)
    fig, ax = plt.subplots(figsize=(1.6 + 1.3 * len(groups) * max(1, len(names) / 3), 4))
    top = 0.0
    for i, name in enumerate(names):
        xs = [g + (i - (len(names) - 1) / 2) * width for g in range(len(groups))]
        ys = [grp["forecasters"][name]["brier"] for _, grp in groups]
        ax.bar(xs, ys, width, label=name, color=colours.get(name))
        top = max(top, *ys)
    ax.set_xticks(range(len(groups)), [f"{label}\n{g['n']} levels, K {g['mean_k']:.1f}"
                                       for label, g in groups], fontsize=8)
    ax.set_ylim(0, top * 1.25)  # room for the legend above the bars
    ax.set_ylabel("multiclass Brier (lower is better)")
    ax.set_title(title or f"{report.get('data', '')} {report.get('split', '')}: multiclass "
                 "Brier per depth")
    ax.legend(fontsize=8, ncol=min(len(names), 5), loc="upper center")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
