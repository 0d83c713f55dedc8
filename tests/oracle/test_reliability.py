"""Reliability diagrams: the bins are the harness's, so the diagram's ECE is the report's;
the simulator's reading scores a model that is calibrated in truth at 0 whatever the
labels; and `augur evaluate --plot` draws one panel per eval set."""

from __future__ import annotations

import json

import numpy as np
import pytest

from augur.cli import main
from augur.harness.constants import ECE_BINS
from augur.harness.metrics import expected_calibration_error
from augur.oracle.reliability import (
    eval_set_reliability,
    expected_ece,
    plot_reliability,
    reliability,
)


def _draws(n: int, c: int, seed: int):
    rng = np.random.default_rng(seed)
    truth = rng.dirichlet(np.full(c, 0.3), n)
    labels = np.array([rng.choice(c, p=p) for p in truth])
    return truth, labels


def test_the_label_ece_is_the_harness_ece_and_truth_reads_zero_against_itself():
    truth, labels = _draws(3000, 8, 0)
    model = 0.7 * truth + 0.3 / 8  # under-confident: a real gap
    for probs in (truth, model):
        r = reliability("x", probs, labels, truth)
        assert r.ece == pytest.approx(expected_calibration_error(probs, labels, ECE_BINS),
                                      abs=1e-12)
        assert r.steps == 3000 and r.count.shape == (ECE_BINS,)
    assert reliability("x", truth, labels, truth).expected_ece == pytest.approx(0, abs=1e-12)
    assert expected_ece(truth, model) > 0.05  # the shrunk model's gap, without label noise
    # The label ECE of the truth itself is not 0: that is the sampling the figure shows.
    assert reliability("x", truth, labels, truth).ece > 0.005


def test_a_bin_reads_its_mean_confidence_accuracy_and_binomial_spread():
    probs = np.array([[0.5, 0.3, 0.2]] * 4 + [[0.95, 0.05, 0.0]])
    labels = np.array([0, 0, 1, 2, 0])
    truth = np.array([[0.5, 0.25, 0.25]] * 4 + [[1.0, 0.0, 0.0]])
    r = reliability("hand", probs, labels, truth)
    b = 7  # 0.5 lies in (7/15, 8/15]
    assert r.count[b] == 4 and r.confidence[b] == pytest.approx(0.5)
    assert r.accuracy[b] == pytest.approx(0.5) and r.expected[b] == pytest.approx(0.5)
    assert r.spread[b] == pytest.approx(np.sqrt(4 * 0.25) / 4)  # 0.25
    assert r.spread[14] == pytest.approx(0.0) and r.expected[14] == pytest.approx(1.0)
    assert np.isnan(r.confidence[0]) and r.count[0] == 0
    # Without the simulator a calibrated model's confidence stands in for it.
    assert reliability("hand", probs, labels).spread[b] == pytest.approx(0.25)
    assert reliability("hand", probs, labels).expected is None


@pytest.mark.parametrize(("args", "says"), [
    ((np.ones((3, 2)) / 2, np.zeros(2)), "expected probs (N, C) and labels (N,) with N >= 1"),
    ((np.ones((0, 2)), np.zeros(0)), "got (0, 2) and (0,)"),
    ((np.ones((3, 2)) / 2, np.zeros(3), np.ones((3, 3))), "expected truth of the probs' shape"),
])
def test_bad_shapes_fail_by_name(args, says):
    with pytest.raises(ValueError, match=says.replace("(", r"\(").replace(")", r"\)")):
        reliability("bad", *args)


def test_evaluate_plot_draws_each_eval_set_and_matches_the_report(tmp_path, capsys):
    png = tmp_path / "figs" / "markov.png"
    assert main(["evaluate", "--baseline", "markov", "--json", "--plot", str(png)]) == 0
    out, err = capsys.readouterr()
    report = json.loads(out)  # stdout stays one JSON document
    assert f"wrote {png}" in err
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    items = {r.name: r for r in eval_set_reliability(baseline="markov")}
    assert set(items) == set(report["eval_sets"]) == {"temporal", "cold_start"}
    for name, es in report["eval_sets"].items():
        assert items[name].steps == es["steps"]
        assert items[name].ece == pytest.approx(es["metrics"]["calibration_ece"]["value"],
                                                abs=1e-9)
        assert items[name].expected_ece is not None


def test_plot_refuses_a_file_it_cannot_write_before_running_the_harness(tmp_path, capsys):
    assert main(["evaluate", "--baseline", "markov", "--plot", str(tmp_path / "x.txt")]) == 2
    assert "--plot: expected a .png, .svg or .pdf file name, got" in capsys.readouterr().err
    r = reliability("x", np.array([[0.6, 0.4]]), np.array([0]))
    with pytest.raises(ValueError, match="plot: expected a .png"):
        plot_reliability([r], tmp_path / "y.jpg")
    svg = plot_reliability([r], tmp_path / "one.svg", title="one step")
    assert "<svg" in svg.read_text()
