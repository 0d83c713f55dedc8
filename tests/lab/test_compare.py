import math

import pytest

from augur.lab.collect import CollectConfig, collect
from augur.lab.compare import (
    default_out,
    format_table,
    leaderboard,
    mean_ci,
    plot,
    t_critical,
)
from augur.lab.generators import GenSettings
from augur.lab.judge import apply, pending_document


def test_t_critical_values():
    assert t_critical(1) == 12.706 and t_critical(7) == 2.365 and t_critical(30) == 2.042
    assert t_critical(45) == 2.021  # between 40 and 60: the wider one
    assert t_critical(1000) == 1.96
    with pytest.raises(ValueError):
        t_critical(0)


def test_mean_ci():
    mean, half = mean_ci([10.0, 12.0, 14.0])
    assert mean == 12.0 and half == pytest.approx(4.303 * 2.0 / math.sqrt(3))
    assert mean_ci([5.0]) == (5.0, None)


def test_leaderboard_table_and_chart(store, make_fake, tmp_path):
    scen = ("p42-morning", "p43-morning", "p44-morning")
    collect(store, CollectConfig(models=("template", "fake"), prompts=("v1", "v2-mentor"),
                                 scenarios=scen, settings=GenSettings(n=2)),
            make=make_fake, progress=False)
    doc = pending_document(store)
    for cell in doc["cells"]:
        good = 5 if cell["model"] == "template" else 2
        for cand in cell["candidates"]:
            cand["scores"] = {"relevance": good, "actionability": good, "tone": good}
    doc["cells"] = doc["cells"][:-1]  # one cell still pending: not ranked
    apply(store, doc)
    rows = leaderboard(store)
    assert [(r.model, r.prompt) for r in rows][:2] == [("template", "v1"),
                                                       ("template", "v2-mentor")]
    assert rows[0].mean == 17.0 and rows[0].cells == 3 and rows[0].candidates == 6
    assert rows[0].half_width == 0.0
    assert sum(r.cells for r in rows) == 11
    fake = [r for r in rows if r.model == "fake"]
    assert all(r.mean == pytest.approx(7.0) for r in fake)  # (2+2+2)+(2+0)/2 per cell
    table = format_table(rows)
    assert table.splitlines()[0].split()[:4] == ["#", "model", "prompt", "composite"]
    assert "template" in table.splitlines()[2] and "[17.00, 17.00]" in table
    out = plot(rows, tmp_path / "chart" / "board.png")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_default_chart_path_is_beside_the_store_folder():
    assert str(default_out("sqlite:////x/mlruns/mlflow.db")) == "/x/lab-leaderboard.png"
    assert str(default_out("http://mlflow:5000")) == "lab-leaderboard.png"
