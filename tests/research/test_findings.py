"""The report's verdicts: each trial against the baseline, judged by the noise floor."""

import json

from augur.research.experiment import Experiment
from augur.research.loop import COLUMNS
from augur.research.report import write_report


def _row(trial, status, composite, floor, **changes):
    params = {**Experiment().to_json(), **changes, "seed": 0, "budget_s": 60}
    r = dict.fromkeys(COLUMNS, "")
    r.update(trial=str(trial), commit="abc1234", status=status, composite=composite,
             noise_floor=floor, seconds="70", peak_mem_mb="500", params=json.dumps(params),
             description="x", temporal_next_action_top1="0.3", temporal_calibration_ece="0.02",
             cold_start_composite="0.4" if composite else "")
    return r


def test_findings_judge_each_change_by_the_noise_floor(tmp_path):
    rows = [_row(1, "keep", "0.500", "0.010"),
            _row(2, "noise", "0.505", "0.010"),
            _row(3, "discard", "0.480", "0.010", pooling="mean"),
            _row(4, "keep", "0.530", "0.010", n_layers=3),
            _row(5, "discard", "0.495", "0.010", lr=0.001),
            _row(6, "crash", "", "0.010", use_backbone=True)]
    tsv = tmp_path / "results.tsv"
    tsv.write_text("\t".join(COLUMNS) + "\n" + "".join(
        "\t".join(r[c] for c in COLUMNS) + "\n" for r in rows))
    text = write_report(tsv, tmp_path / "RESEARCH_LOG.md").read_text()
    part = text.split("## Each change against the baseline")[1].split("\n## ")[0]
    assert "composite 0.5000 (cold start 0.4000); noise floor 0.0100" in part
    table = {ln.split(" | ")[1]: ln for ln in part.splitlines() if ln.startswith("| ")
             and ln[2].isdigit()}
    assert set(table) == {"pooling=mean", "n_layers=3", "lr=0.001", "use_backbone=True"}
    assert "| -0.0200 | hurt |" in table["pooling=mean"]
    assert "| +0.0300 | helped |" in table["n_layers=3"]
    assert "| -0.0050 | within noise |" in table["lr=0.001"]
    assert "| crash |" in table["use_backbone=True"]


def test_notes_written_by_a_person_are_included_and_a_missing_file_refused(tmp_path):
    import pytest

    from augur.errors import AugurError

    tsv = tmp_path / "results.tsv"
    rows = [_row(1, "keep", "0.500", "0.010")]
    tsv.write_text("\t".join(COLUMNS) + "\n" + "".join(
        "\t".join(r[c] for c in COLUMNS) + "\n" for r in rows))
    notes = tmp_path / "notes.md"
    notes.write_text("Mean pooling hurts: the last event matters most.\n")
    text = write_report(tsv, tmp_path / "log.md", notes=notes).read_text()
    assert "## Notes" in text and "Mean pooling hurts" in text
    with pytest.raises(AugurError, match="notes"):
        write_report(tsv, tmp_path / "log.md", notes=tmp_path / "missing.md")
