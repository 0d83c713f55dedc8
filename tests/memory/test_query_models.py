"""Task 1's models: the fast path's parts, the grammar an LLM is held to, and each
model's answers on requests whose gold is known."""

from __future__ import annotations

import json

import numpy as np
import pytest

from augur.memory.tasks.harness.data import query_examples
from augur.memory.tasks.harness.evaluate import evaluate_query_model, world_executor
from augur.memory.tasks.query import QueryTask, answer_json
from augur.memory.tasks.query_fast import SoftmaxIntent, _kind_words, _name_span
from augur.memory.tasks.query_models import make_query_model


@pytest.fixture(scope="module")
def embedder():
    from augur.memory.embed import Embedder

    return Embedder()


@pytest.fixture(scope="module")
def fast(embedder):
    return make_query_model("fast", embedder=embedder)


def test_softmax_intent_separates_classes():
    rng = np.random.default_rng(0)
    x = np.vstack([rng.normal(loc=c, size=(30, 4)) for c in (-3, 0, 3)])
    y = ["a"] * 30 + ["b"] * 30 + ["c"] * 30
    clf = SoftmaxIntent(x / 3, y)
    assert clf.predict(np.full(4, -1.0)) == "a" and clf.predict(np.full(4, 1.0)) == "c"


def test_kind_words_come_from_train_only():
    words = _kind_words(query_examples("train"))
    assert words.get("prs") == "pr" or words.get("pr") == "pr"
    assert "the" not in words


def test_name_span():
    assert _name_span("look for someone called Faah Silva, not sure") == "Faah Silva"
    assert _name_span("nothing capitalised here") is None


@pytest.mark.parametrize(("text", "want"), [
    ("Open PR number 870", "LOOKUP pr-870"),
    ("Show the CI builds of pr-101", "TRAVERSE pr-101 VIA CONTINUATION"),
    ("Count the pull requests from January",
     "SELECT COUNT(*) AS n FROM resources WHERE kind = 'pr' AND created_at >= '2025-01-01' "
     "AND created_at < '2025-02-01'"),
    ("Send Dara the notes from pr-12", None),
])
def test_fast_path_fills_slots_from_the_request(fast, text, want):
    from augur.memory.tasks.query import answer_text

    p = fast.predict(text)
    assert p.valid, p.error
    assert answer_text(p.output) == want


def test_fast_beats_both_baselines_on_the_frozen_test_split(fast, embedder):
    ex = world_executor()
    reports = {m.name: evaluate_query_model(m, "test", progress=False, executor=ex)[0]
               for m in (make_query_model("search-all"),
                         make_query_model("retrieval", embedder=embedder), fast)}
    for metric in ("intent_accuracy", "exact_match", "execution_accuracy"):
        assert reports["fast"][metric] > reports["retrieval"][metric] \
            > reports["search-all"][metric], metric
    assert reports["fast"]["validity"] == 1.0
    assert reports["fast"]["latency_ms"]["p50"] < 100


def test_the_grammar_schema_names_the_operation_first_and_has_no_length_unrolling():
    schema = QueryTask().grammar_schema()
    text = json.dumps(schema)
    assert "maxLength" not in text
    for name in ("LookupQuery", "SearchQuery", "FuzzyQuery", "TraverseQuery", "SqlQuery",
                 "Refusal"):
        node = schema["$defs"][name]
        assert next(iter(node["properties"])) == "query_type"
        assert node["required"][0] == "query_type"


def test_worked_examples_parse_back_through_the_task(embedder):
    task = QueryTask()
    for ex in query_examples("train")[:50]:
        out = task.parse(answer_json(ex))
        assert out.root.query_type == ex.op


@pytest.mark.slow
def test_smollm2_answers_with_the_grammar(embedder):
    """The seed's baseline: SmolLM2-135M through llama.cpp, four retrieved shots. Every
    answer the grammar lets through validates; the operation is right on most."""
    model = make_query_model("llamacpp", embedder=embedder, shots=4)
    try:
        report, preds = evaluate_query_model(model, "val", limit=6, progress=False)
    finally:
        model.backend.close()
    assert report["validity"] >= 0.8
    assert report["intent_accuracy"] >= 0.5
    assert all(p.latency_ms > 0 for p in preds)
