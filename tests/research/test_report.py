import json

import pytest

from augur.errors import AugurError
from augur.research.loop import COLUMNS
from augur.research.report import write_report


def _row(trial, status, composite, floor="", **params):
    r = dict.fromkeys(COLUMNS, "")
    r.update(trial=str(trial), commit="abc1234", status=status, composite=composite,
             noise_floor=floor, seconds="12.5", peak_mem_mb="400",
             params=json.dumps(params), description=" ".join(f"{k}={v}" for k, v in
                                                             params.items()) or "baseline")
    if composite:
        r["temporal_routing_accuracy"] = "0.5"
        r["cold_start_composite"] = "0.3"
    return r


def test_report_has_leaderboard_plot_and_axes(tmp_path):
    rows = [_row(1, "keep", "0.30", "0.01"), _row(2, "noise", "0.31", "0.01", seed=1),
            _row(3, "discard", "0.29", "0.01", pooling="mean"),
            _row(4, "keep", "0.35", "0.01", n_layers=3),
            _row(5, "crash", "", "0.01", use_backbone=True),
            _row(6, "discard", "0.28", "0.01", lr=0.01)]
    tsv = tmp_path / "results.tsv"
    tsv.write_text("\t".join(COLUMNS) + "\n" + "".join(
        "\t".join(r[c] for c in COLUMNS) + "\n" for r in rows))
    md = write_report(tsv, tmp_path / "docs" / "RESEARCH_LOG.md")
    text = md.read_text()
    assert "## Leaderboard" in text
    board = text.split("## Leaderboard")[1].split("##")[0]
    lines = [ln for ln in board.splitlines() if ln.startswith("| 1 ")]
    assert lines and "| 4 | keep | 0.3500 |" in lines[0]
    assert "| 2 | noise" not in board  # noise re-trainings are not contenders
    png = tmp_path / "docs" / "RESEARCH_LOG-composite.png"
    assert png.is_file() and png.read_bytes()[:4] == b"\x89PNG"
    assert "(RESEARCH_LOG-composite.png)" in text
    assert "**n_layers**" in text and "**pooling**" in text and "**lr**" in text
    assert "| `3` | 0.3500 | 1 | yes (1) |" in text
    assert "**d_model**" not in text  # did not vary
    assert "## Crashes" in text and "trial 5" in text


def test_report_without_results_says_what_to_do(tmp_path):
    with pytest.raises(AugurError, match="augur research run"):
        write_report(tmp_path / "none.tsv", tmp_path / "x.md")
