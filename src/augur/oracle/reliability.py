"""Reliability diagrams: how often the oracle's top pick is right against how sure it was.

The harness scores calibration as one number, the 15-bin ECE of the top-1 confidence.
On an eval set of a few thousand steps much of that number is the sampling of the
labels, not the model (docs/ORACLE.md, "How much of the calibration targets is the
sample"). On simulated data each step also records the simulator's probability of every
action, so each bin gets a second reading without that noise: the mean probability
that the picks are right. The figure shows both, with the band the labels alone would
scatter in, so a reader can see which gaps are the model's and which are the draw.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from augur.harness.constants import ECE_BINS


@dataclass(frozen=True)
class Reliability:
    """One eval set's top-1 confidence in the harness's ECE_BINS equal-width bins."""

    name: str
    count: np.ndarray  # (ECE_BINS,) steps whose confidence falls in the bin
    confidence: np.ndarray  # mean top-1 confidence per bin; NaN where the bin is empty
    accuracy: np.ndarray  # share of the bin's picks the recorded label matched
    spread: np.ndarray  # standard deviation of that share from sampling the labels alone
    expected: np.ndarray | None  # mean simulator probability that the pick is right
    ece: float  # on the labels: the harness's figure
    expected_ece: float | None  # with each pick scored by the simulator's probability

    @property
    def steps(self) -> int:
        return int(self.count.sum())


def confidence_bins(confidence: np.ndarray) -> np.ndarray:
    """The harness's bins: bin j holds (j / n, (j + 1) / n], and 0 goes to bin 0."""
    edges = np.linspace(0.0, 1.0, ECE_BINS + 1)
    return np.clip(np.searchsorted(edges, confidence, side="left") - 1, 0, ECE_BINS - 1)


def expected_ece(truth: np.ndarray, probs: np.ndarray) -> float:
    """The harness's ECE with each pick's correctness replaced by the simulator's
    probability that it is right (0 for a model calibrated in truth, on any sample)."""
    conf = probs.max(1)
    right = truth[np.arange(len(truth)), probs.argmax(1)]
    gap = np.bincount(confidence_bins(conf), right - conf, ECE_BINS)
    return float(np.abs(gap).sum() / len(truth))


def reliability(name: str, probs: np.ndarray, labels: np.ndarray,
                truth: np.ndarray | None = None) -> Reliability:
    """Bins of `probs`' top-1 confidence (N, C) scored on `labels` (N,) and, when given,
    on `truth`, the simulator's (N, C) probabilities."""
    probs, labels = np.asarray(probs, float), np.asarray(labels)
    if probs.ndim != 2 or labels.shape != (len(probs),) or not len(probs):
        raise ValueError(f"reliability: expected probs (N, C) and labels (N,) with N >= 1, "
                         f"got {probs.shape} and {labels.shape}")
    if truth is not None and np.shape(truth) != probs.shape:
        raise ValueError(f"reliability: expected truth of the probs' shape {probs.shape}, "
                         f"got {np.shape(truth)}")
    conf, pick = probs.max(1), probs.argmax(1)
    bins = confidence_bins(conf)
    count = np.bincount(bins, minlength=ECE_BINS)
    shown = np.maximum(count, 1)
    with np.errstate(invalid="ignore"):
        mean_conf = np.where(count > 0, np.bincount(bins, conf, ECE_BINS) / shown, np.nan)
        acc = np.where(count > 0, np.bincount(bins, pick == labels, ECE_BINS) / shown, np.nan)
    # A label drawn with probability p is right with variance p (1 - p); the bin's share
    # varies by the sum of those over its steps, over its count squared. Without the
    # simulator, a calibrated model's own confidence stands in for p.
    p = conf if truth is None else np.asarray(truth)[np.arange(len(probs)), pick]
    spread = np.where(count > 0, np.sqrt(np.bincount(bins, p * (1 - p), ECE_BINS)) / shown,
                      np.nan)
    expected = None if truth is None else np.where(
        count > 0, np.bincount(bins, p, ECE_BINS) / shown, np.nan)
    ece = float(np.abs(np.bincount(bins, (pick == labels) - conf, ECE_BINS)).sum() / len(probs))
    return Reliability(name, count, mean_conf, acc, spread, expected, ece,
                       None if truth is None else expected_ece(np.asarray(truth), probs))


def eval_set_reliability(predictor=None, baseline: str | None = None,
                         data: Path | None = None) -> list[Reliability]:
    """A predictor's (or a harness baseline's, fitted per eval set as the harness fits it)
    reliability on the harness's eval sets, or on an imported log's."""
    from augur.harness.baselines import make_baseline
    from augur.harness.evalsets import imported_eval_set, synthetic_eval_sets
    from augur.harness.evaluate import ceiling_predictions, queries_for
    from augur.harness.manifest import load_manifest

    sets = ([imported_eval_set(data)] if data is not None
            else synthetic_eval_sets(load_manifest()["data"]))
    out = []
    for es in sets:
        queries, steps = queries_for(es)
        index = {a: i for i, a in enumerate(es.actions)}
        keep = [i for i, s in enumerate(steps) if s.labels.next_action in index]
        who = predictor or make_baseline(baseline).fit(es.train, es.actions)
        probs = who.predict(queries, es.actions).action_probs[keep]
        labels = np.array([index[steps[i].labels.next_action] for i in keep])
        truth = (ceiling_predictions([steps[i] for i in keep], es.actions).action_probs
                 if es.synthetic else None)
        out.append(reliability(es.name, probs, labels, truth))
    return out


PLOT_SUFFIXES = (".png", ".svg", ".pdf")


def check_plot_path(path: Path, name: str = "plot") -> Path:
    """Refuse a file name matplotlib would not write as a figure, before any work."""
    path = Path(path)
    if path.suffix.lower() not in PLOT_SUFFIXES:
        raise ValueError(f"{name}: expected a .png, .svg or .pdf file name, got {str(path)!r}")
    return path


def plot_reliability(items: list[Reliability], path: Path, title: str = "") -> Path:
    """One column per eval set: accuracy against confidence per bin, with +-2 sampling
    spreads, the simulator's reading where there is one, and the steps per bin below."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = check_plot_path(path)
    fig, axes = plt.subplots(2, len(items), figsize=(4.6 * len(items), 5.6), squeeze=False,
                             gridspec_kw={"height_ratios": [3, 1]}, sharex=True)
    width = 1.0 / ECE_BINS
    centres = (np.arange(ECE_BINS) + 0.5) * width
    for col, r in enumerate(items):
        ax, hist = axes[0, col], axes[1, col]
        ax.plot([0, 1], [0, 1], color="0.6", lw=1, ls="--", label="calibrated")
        ok = r.count > 0
        x = r.confidence[ok]
        # Where the dots would scatter from the labels' draw alone: around what the picks
        # are worth, or, without a simulator, around what a calibrated model would score.
        centre = r.confidence[ok] if r.expected is None else r.expected[ok]
        ax.fill_between(x, np.clip(centre - 2 * r.spread[ok], 0, 1),
                        np.clip(centre + 2 * r.spread[ok], 0, 1), color="tab:blue",
                        alpha=0.15, lw=0, label="labels' sampling, ±2 sd")
        if r.expected is not None:
            ax.plot(x, r.expected[ok], color="tab:green", marker="s", ms=4, lw=1.5,
                    label=f"simulator's probability (ECE {r.expected_ece:.4f})")
        ax.plot(x, r.accuracy[ok], color="tab:blue", marker="o", ms=4, lw=0,
                label=f"recorded labels (ECE {r.ece:.4f})")
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.set_title(f"{r.name}: {r.steps:,} steps", fontsize=10)
        ax.legend(fontsize=7, loc="upper left")
        if col == 0:
            ax.set_ylabel("top pick right")
            hist.set_ylabel("steps")
        hist.bar(centres, r.count, width=width * 0.9, color="0.55")
        hist.set_xlabel("top-1 confidence")
    if title:
        fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
