import json

import pytest

from augur.lab.collect import CollectConfig, collect
from augur.lab.generators import GenSettings
from augur.lab.judge import FORMAT, JudgementError, apply, apply_file, export, pending_document
from augur.lab.store import JUDGED, PENDING


@pytest.fixture
def collected(store, make_fake):
    config = CollectConfig(models=("template", "fake"), prompts=("v1",),
                           scenarios=("p42-morning", "p44-afternoon"),
                           settings=GenSettings(n=2))
    collect(store, config, make=make_fake, progress=False)
    return store


def _fill(doc, score=4):
    for cell in doc["cells"]:
        for cand in cell["candidates"]:
            cand["scores"] = {"relevance": score, "actionability": score - 1, "tone": score}
    doc["judge"] = "tester"
    return doc


def test_export_writes_every_pending_cell_with_rubric_context_and_flags(collected, tmp_path):
    path = tmp_path / "j.json"
    assert export(collected, path) == 4
    doc = json.loads(path.read_text())
    assert doc["format"] == FORMAT and doc["rubric"]["version"] == "tip-v1"
    cell = doc["cells"][0]
    assert {"run_id", "model", "prompt_version", "scenario", "context", "candidates"} <= set(cell)
    assert cell["context"]["person"] in ("persona-42", "persona-44")
    cand = cell["candidates"][0]
    assert set(cand) == {"index", "text", "format_ok", "overlong", "scores"}
    assert cand["scores"] == {"relevance": None, "actionability": None, "tone": None}


def test_apply_writes_metrics_artifact_and_clears_pending(collected, tmp_path):
    path = tmp_path / "j.json"
    export(collected, path)
    path.write_text(json.dumps(_fill(json.loads(path.read_text()))))
    written = apply_file(collected, path)
    assert len(written) == 4 and collected.search(PENDING) == []
    runs = collected.search(JUDGED)
    assert len(runs) == 4
    fake = next(r for r in runs if r.data.tags["model"] == "fake")
    m = fake.data.metrics
    assert (m["relevance"], m["actionability"], m["tone"]) == (4, 3, 4)
    # the fake's tips: 0 well formed (4+3+4+2=13), 1 a markdown list (4+3+4=11)
    assert m["composite"] == pytest.approx(12.0) and m["candidates_judged"] == 2
    assert fake.data.tags["judged_by"] == "tester"
    judgement = collected.load_json(fake.info.run_id, "judgement.json")
    assert [c["composite"] for c in judgement["candidates"]] == [13, 11]


def _problems(store, doc):
    with pytest.raises(JudgementError) as err:
        apply(store, doc)
    assert "nothing applied" in str(err.value)
    assert store.search(JUDGED) == []  # not one cell written
    return str(err.value)


def test_every_problem_is_reported_and_nothing_is_half_applied(collected):
    doc = _fill(pending_document(collected))
    c0, c1, c2, c3 = doc["cells"]
    c0["candidates"][0]["scores"]["relevance"] = 6
    c0["candidates"][1]["scores"]["tone"] = 4.0
    c1["candidates"][0]["scores"] = {"relevance": 3, "actionability": 3}
    c1["candidates"][1]["scores"]["relevence"] = 3
    c2["candidates"].pop()
    c3["run_id"] = "0123456789abcdef"
    text = _problems(collected, doc)
    assert "candidate 0: field 'scores.relevance' expected an integer 1-5, got 6" in text
    assert "candidate 1: field 'scores.tone' expected an integer 1-5, got 4.0" in text
    assert "field 'scores.tone' expected an integer 1-5, got nothing" in text
    assert "unknown field 'scores.relevence'" in text
    assert "field 'candidates' expected 2 candidates, got 1" in text
    assert "run 0123456789abcdef): unknown cell" in text
    assert "5 problems" not in text and "6 problems" in text


def test_bool_scores_edited_text_and_wrong_rubric_are_rejected(collected):
    doc = _fill(pending_document(collected))
    doc["cells"][0]["candidates"][0]["scores"]["tone"] = True
    doc["cells"][1]["candidates"][0]["text"] = "something else"
    doc["rubric"] = {"version": "tip-v0"}
    text = _problems(collected, doc)
    assert "got True" in text and "differs from the stored tip" in text
    assert "field 'rubric.version': expected 'tip-v1', got 'tip-v0'" in text


def test_a_judged_cell_is_not_pending_any_more(collected):
    doc = _fill(pending_document(collected))
    apply(collected, doc)
    with pytest.raises(JudgementError, match="nothing applied") as err:
        apply(collected, doc)
    assert "expected a pending cell (judge_pending=true)" in str(err.value)
    assert "judged by tester" in str(err.value)


def test_a_write_that_breaks_midway_names_the_cells_written(collected, monkeypatch):
    doc = _fill(pending_document(collected))
    calls = {"n": 0}
    real = collected.log_metrics

    def flaky(run_id, metrics):
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError("disk full")
        real(run_id, metrics)

    monkeypatch.setattr(collected, "log_metrics", flaky)
    with pytest.raises(JudgementError, match="disk full") as err:
        apply(collected, doc)
    ids = [c["run_id"] for c in doc["cells"]]
    text = str(err.value)
    assert f"Written and judged: {ids[:2]}" in text
    assert f"still pending: {ids[2:]}" in text
    assert len(collected.search(JUDGED)) == 2 and len(collected.search(PENDING)) == 2


def test_an_llm_judge_scores_through_the_same_checks(collected, fake_backend):
    from augur.lab.judge import judge_with

    backend = fake_backend("fake-judge")
    written, skipped = judge_with(collected, backend, progress=False)
    assert len(written) == 4 and not skipped
    assert all(c["json_schema"] is not None and c["temperature"] == 0.0 for c in backend.calls)
    run = collected.search(JUDGED)[0]
    assert run.data.tags["judged_by"] == "llm:fake-judge"
    assert run.data.metrics["relevance"] == 4


def test_a_tip_the_llm_cannot_score_keeps_only_its_cell_pending(collected, fake_backend):
    from augur.lab.judge import judge_with

    written, skipped = judge_with(collected, fake_backend("j", garble_on="persona-44"),
                                  progress=False)
    assert len(written) == 2 and len(skipped) == 2
    assert all("p44-afternoon" in cell for cell in skipped)
    assert all("expected JSON matching Verdict" in why for why in skipped.values())
    assert len(collected.search(PENDING)) == 2
