"""The writer tasks: the words of moments (name, summary) and edges (reason, topics)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from augur.cli import main
from augur.memory.tasks.base import Prediction
from augur.memory.tasks.harness.data import moment_examples
from augur.memory.tasks.harness.evaluate import (
    edge_word_items,
    evaluate_edge_writer,
    evaluate_moment_writer,
    moment_word_items,
)
from augur.memory.tasks.harness.moment_schema import MomentLine
from augur.memory.tasks.harness.words_metrics import (
    mentioned,
    rouge_l,
    score_edge_words,
    score_moment_words,
    token_f1,
)
from augur.memory.tasks.moment_models import make_moment_model
from augur.memory.tasks.words import (
    EdgeWords,
    EdgeWordsTask,
    MomentDraft,
    MomentWords,
    MomentWordsTask,
    kind_of,
)
from augur.memory.tasks.writer_models import (
    KindShots,
    TemplateEdgeWriter,
    TemplateMomentWriter,
    make_writer,
    rewrite,
)


# ---- metrics ----------------------------------------------------------------------------
def test_token_f1_and_rouge_l_on_known_cases():
    assert token_f1("Inbox triage", "inbox triage") == 1.0
    # 1 shared word of 2 and of 4: P 0.5, R 0.25 -> F1 1/3
    assert token_f1("Inbox zero", "Inbox triage of mail") == pytest.approx(1 / 3)
    assert token_f1("", "") == 1.0 and token_f1("a", "") == 0.0
    # LCS "you went email" = 3 of 4 predicted and of 5 gold words
    assert rouge_l("you went through email", "you went over your email") == pytest.approx(
        2 * (3 / 4) * (3 / 5) / (3 / 4 + 3 / 5))
    assert rouge_l("b a", "a b") == 0.5  # order matters, unlike token F1
    assert token_f1("b a", "a b") == 1.0
    assert mentioned("Fixed the incremental indexing bug", "incremental indexing")
    assert not mentioned("indexing", "incremental indexing")


def test_score_moment_words_counts_invalid_answers_as_zero():
    items = moment_word_items("val")[:3]
    gold = [seg for _, seg in items]
    perfect = score_moment_words(gold, [(s.name, s.summary) for s in gold], [1.0, 2.0, 3.0])
    assert perfect["name_f1"] == 1.0 and perfect["summary_rouge_l"] == 1.0
    assert perfect["valid"] == 1.0 and perfect["latency_ms"]["p50"] == 2.0
    half = score_moment_words(gold, [(s.name, s.summary) for s in gold[:2]] + [None],
                              [1.0] * 3)
    assert half["name_f1"] == pytest.approx(2 / 3, abs=1e-4)
    assert half["valid"] == pytest.approx(2 / 3, abs=1e-4)
    with pytest.raises(ValueError, match="one of each per segment"):
        score_moment_words(gold, [None], [1.0])


def test_score_edge_words_scores_real_edges_only():
    items = edge_word_items("val")
    assert items and all(ex.type != "none" for ex in items)
    perfect = score_edge_words(items, [("x", ex.topics) for ex in items], [0.1] * len(items))
    assert perfect["topic_precision"] == perfect["topic_recall"] == perfect["topic_f1"] == 1.0
    wrong = score_edge_words(items, [("x", ["nothing-shared"]) for _ in items],
                             [0.1] * len(items))
    assert wrong["topic_precision"] == 0.0 and wrong["topic_f1"] == 0.0
    assert wrong["reasons_naming_a_topic"] == 0.0
    from augur.memory.tasks.harness.data import edge_examples

    none = next(ex for ex in edge_examples("val") if ex.type == "none")
    with pytest.raises(ValueError, match="gold type is none"):
        score_edge_words([none], [("x", [])], [0.1])


# ---- tasks ------------------------------------------------------------------------------
def test_targets_parse_and_score_perfectly():
    for task, model in ((MomentWordsTask(), MomentWords), (EdgeWordsTask(), EdgeWords)):
        items = task.examples("val")[:5]
        preds = [Prediction(task.parse(task.target(it)), latency_ms=1.0) for it in items]
        assert all(isinstance(p.output, model) for p in preds)
        report = task.score(preds, items)
        if task.name == "moment-words":
            assert report["name_f1"] == 1.0 and report["summary_rouge_l"] == 1.0
        else:
            assert report["topic_recall"] == 1.0
    # the grammar writes the topics first, and both fields are required
    schema = EdgeWordsTask().grammar_schema()
    assert list(schema["properties"]) == ["topic_overlap", "reason"]
    assert set(schema["required"]) == {"topic_overlap", "reason"}


def test_writer_input_is_short_and_names_its_type():
    task = MomentWordsTask()
    long = max(task.examples("train"), key=lambda it: it[1].last - it[1].first)
    text = task.input_text(long)
    assert kind_of(text) == long[1].moment_type
    assert text.count("\n") <= 4 + 6 + 1 and "more lines" in text
    edge = EdgeWordsTask().input_text(EdgeWordsTask().examples("train")[0])
    assert kind_of(edge) in ("SEE_ALSO", "PREREQUISITE", "CONTINUATION")
    assert len(edge) < 1200  # contents clipped to 120 characters each


def test_kind_shots_pick_the_same_type():
    task = MomentWordsTask()
    shots = KindShots(task, task.examples("train"))
    val = task.examples("val")[0]
    near, _ = shots.nearest(task.input_text(val), 2)
    assert len(near) == 2 and all(s[1].moment_type == val[1].moment_type for s in near)
    near, _ = shots.nearest("type: unheard-of\nx", 2)
    assert len(near) == 2  # an unknown type falls back to any train item


def test_sft_rows_for_the_writers(tmp_path):
    out = tmp_path / "rows.jsonl"
    assert main(["memory", "tasks", "sft", "--task", "edge-words", "--split", "val",
                 "--out", str(out)]) == 0
    rows = [json.loads(x) for x in out.read_text().splitlines()]
    assert len(rows) == len(edge_word_items("val"))
    assert rows[0]["messages"][0]["content"] == EdgeWordsTask.system_brief
    EdgeWords.model_validate_json(rows[0]["messages"][-1]["content"])


# ---- writers ----------------------------------------------------------------------------
def test_template_writers_measured_on_val():
    """The floor (rem-tasks v4, val): names F1 0.31, summaries ROUGE-L 0.12; edge topics
    F1 0.04 (shared name words are rarely the world's topic tags)."""
    report, preds = evaluate_moment_writer(TemplateMomentWriter(), "val", progress=False)
    assert report["valid"] == 1.0 and report["examples"] == len(moment_word_items("val"))
    assert 0.2 < report["name_f1"] < 0.5 and 0.05 < report["summary_rouge_l"] < 0.3
    report, _ = evaluate_edge_writer(TemplateEdgeWriter(), "val", progress=False)
    assert report["valid"] == 1.0 and report["topic_f1"] < 0.2


def test_rewrite_changes_words_not_structure():
    t0 = datetime.fromisoformat("2025-03-03T09:00:00+00:00")
    lines = [MomentLine(ts=t0 + timedelta(minutes=5 * i), speaker="Leo Murphy",
                        text=f"coding on the ember indexer, step {i}") for i in range(6)]
    model = make_moment_model("one").fit(moment_examples("train")[:20])
    answer = model.predict_lines(lines).output

    class Upper:
        name = "upper"

        def predict(self, draft: MomentDraft) -> Prediction:
            assert draft.lines == lines and draft.moment_type == answer.moments[0].moment_type
            return Prediction(MomentWords(name="NAMED", summary="SUMMARISED"))

    out = rewrite(Upper(), answer.moments, lines)
    assert [m.name for m in out] == ["NAMED"]
    assert out[0].summary == "SUMMARISED"
    assert out[0].model_dump(exclude={"name", "summary"}) == \
        answer.moments[0].model_dump(exclude={"name", "summary"})


def test_cli_eval_and_compare_writers(tmp_path, capsys):
    pred = tmp_path / "p.jsonl"
    assert main(["memory", "eval", "--task", "moment-words", "--model", "template", "--split",
                 "val", "--limit", "7", "--json", "--predictions", str(pred)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["task"] == "moment-words" and report["examples"] == 7
    assert len(pred.read_text().splitlines()) == 7
    assert main(["memory", "compare", "--task", "edge-words", "--models", "template",
                 "--split", "val", "--limit", "9", "--out", str(tmp_path / "c")]) == 0
    assert "topic f1" in capsys.readouterr().out
    assert (tmp_path / "c" / "compare.png").is_file()
    with pytest.raises(ValueError, match="--model: expected one of template"):
        make_writer("edge-words", "nonsense:x")


@pytest.mark.slow
def test_smollm2_writes_under_the_grammar():
    """SmolLM2-135M, 2 same-type worked examples: answers validate and name moments
    closer to the world's names than the template does."""
    writer = make_writer("moment-words", "llamacpp")
    try:
        report, preds = evaluate_moment_writer(writer, "val", limit=4, progress=False)
    finally:
        writer.backend.close()
    assert report["valid"] >= 0.75 and report["name_f1"] > 0.3
    assert all(p.latency_ms > 0 for p in preds)
