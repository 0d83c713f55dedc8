"""REM task 2 (edges): the frozen dataset, its metrics, the task and its models."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from augur.memory.tasks.edge_models import (
    CosineModel,
    NoneModel,
    ScorerModel,
    TimeModel,
    isotonic,
)
from augur.memory.tasks.edges import EdgesTask, pair_text
from augur.memory.tasks.harness import constants as C
from augur.memory.tasks.harness.data import dataset_files, edge_examples
from augur.memory.tasks.harness.edge_metrics import score_edges
from augur.memory.tasks.harness.edge_schema import EdgeExample, EdgeResource
from augur.memory.tasks.harness.manifest import verify

SPLITS = {"train": C.EDGE_TRAIN_SOURCES, "val": C.EDGE_VAL_SOURCES, "test": C.EDGE_TEST_SOURCES}
# Task 1's data as sealed in rem-tasks v1: the amendment that added task 2 kept them.
QUERY_V1 = {
    "query_handwritten": "e2f15c1fbb8325d898a8531ba072d0f7e7facd44b56f1b6024b8d516d12e5f56",
    "query_test": "48ef7c1f3cbee03835499f9b1d53f85ed6cd04454ef0355928530bd9244ccc82",
    "query_train": "505b1f55b99463659bbcd8f225fff9bb3e8d6289827ffad5198ba77023a70d24",
    "query_val": "173d935483ee2efa16c97a3aca6f72148e477244c4f382a2d0d0696d7eb71ddd",
}


@pytest.fixture(scope="module")
def splits() -> dict[str, list[EdgeExample]]:
    return {s: edge_examples(s) for s in SPLITS}


# ---- the dataset ------------------------------------------------------------------------
def test_task_one_data_unchanged_by_the_amendment():
    manifest = verify()
    assert manifest["version"] == C.REM_TASKS_VERSION
    assert {k: manifest["data"][k] for k in QUERY_V1} == QUERY_V1
    assert {"edge_train", "edge_val", "edge_test"} <= set(dataset_files())


def test_sizes_and_mix(splits):
    total = sum(len(v) for v in splits.values())
    assert total >= 1200
    for split, n in SPLITS.items():
        exs = splits[split]
        assert len(exs) == n * C.EDGE_CANDIDATES
        gold = sum(ex.affinity >= C.EDGE_GOLD for ex in exs) / len(exs)
        assert 0.25 <= gold <= 0.5, (split, gold)  # related and unrelated pairs
    every = [ex for v in splits.values() for ex in v]
    assert {ex.type for ex in every} == {"SEE_ALSO", "PREREQUISITE", "CONTINUATION", "none"}
    assert {ex.affinity for ex in every} == {1.0, 0.75, 0.4, 0.2, 0.0}
    assert len({ex.source.kind for ex in every}) >= 6
    assert len({ex.candidate.kind for ex in every}) >= 7
    tags = {ex.tags[0] for ex in every}
    assert {"edge", "project-topic-far", "same-day-other-project",
            "same-kind-other-project"} <= tags
    far = [ex for ex in every if abs(ex.source.created_at - ex.candidate.created_at).days > 14]
    assert len(far) >= 200  # pairs far apart in time


def test_grades_follow_the_types(splits):
    for ex in (e for v in splits.values() for e in v):
        assert (ex.type in ("PREREQUISITE", "CONTINUATION")) == (ex.affinity == 1.0)
        assert (ex.type == "SEE_ALSO") == (ex.affinity == 0.75)
        assert (ex.type == "none") == (ex.affinity < C.EDGE_GOLD)


def test_model_input_is_only_what_a_new_resource_brings(splits):
    assert set(EdgeResource.model_fields) == {"id", "kind", "name", "content", "created_at"}
    line = json.loads(dataset_files()["edge_val"].read_text().splitlines()[0])
    for side in ("source", "candidate"):
        assert set(line[side]) == {"id", "kind", "name", "content", "created_at"}
        assert len(line[side]["content"]) <= C.EDGE_CONTENT_CHARS
    ex = splits["val"][0]
    shown = json.loads(pair_text(ex.source, ex.candidate))
    assert not {"project", "topics", "affinity", "type"} & (set(shown["source"]) |
                                                             set(shown["candidate"]))


def test_splits_disjoint_by_source_and_ordered_in_time(splits):
    ids = {s: {ex.source.id for ex in exs} for s, exs in splits.items()}
    assert [len(ids[s]) for s in SPLITS] == list(SPLITS.values())
    assert not (ids["train"] & ids["val"] or ids["val"] & ids["test"] or
                ids["train"] & ids["test"])
    when = {s: [ex.source.created_at for ex in exs] for s, exs in splits.items()}
    assert max(when["train"]) < min(when["val"]) and max(when["val"]) < min(when["test"])


def test_generation_is_deterministic(splits):
    from augur.memory.tasks.harness.edge_data import build_edge_examples
    from augur.memory.world import WorldConfig, world_memory

    again = build_edge_examples(world_memory(WorldConfig(C.WORLD_SEED, C.WORLD_DAYS)))
    assert [e for e in again if e.split == "val"] == splits["val"]


# ---- metrics ----------------------------------------------------------------------------
def _ex(affinity: float, kind: str, gap_days: float = 0.0) -> EdgeExample:
    t = datetime(2025, 3, 1, tzinfo=UTC)
    r = EdgeResource(id="a-1", kind="pr", name="a", content="", created_at=t)
    c = r.model_copy(update={"id": "b-2", "created_at": t - timedelta(days=gap_days)})
    return EdgeExample(id="x", source=r, candidate=c, affinity=affinity, type=kind,
                       split="test")


GOLD = [_ex(1.0, "PREREQUISITE"), _ex(0.75, "SEE_ALSO"), _ex(0.4, "none"), _ex(0.0, "none"),
        _ex(1.0, "CONTINUATION")]


def test_a_perfect_predictor_scores_one():
    r = score_edges(GOLD, [e.affinity for e in GOLD], [e.type for e in GOLD], [1.0] * 5)
    assert r["precision"] == r["recall"] == r["f1"] == r["pearson"] == 1.0
    assert r["type_accuracy"] == r["type_accuracy_edges"] == 1.0
    assert r["gold_edges"] == r["predicted_edges"] == 3


def test_constant_scores_have_no_correlation_and_no_precision():
    r = score_edges(GOLD, [0.0] * 5, ["none"] * 5, [0.0] * 5)
    assert r["pearson"] is None and r["precision"] is None and r["f1"] is None
    assert r["recall"] == 0.0 and r["type_accuracy"] == 0.4 and r["type_accuracy_edges"] == 0.0


def test_precision_recall_arithmetic_and_invalid_answers():
    # predicted edges: 0 (tp), 2 (fp), 3 (fp); gold edges 0, 1, 4 -> tp 1
    r = score_edges(GOLD, [0.9, 0.1, 0.6, 0.5, None], ["PREREQUISITE", "none", "SEE_ALSO",
                                                       "SEE_ALSO", None], [1, 2, 3, 4, 100])
    assert r["precision"] == round(1 / 3, 4) and r["recall"] == round(1 / 3, 4)
    assert r["f1"] == round(1 / 3, 4)
    assert r["type_accuracy"] == 0.2 and r["type_accuracy_edges"] == round(1 / 3, 4)
    assert r["latency_ms_per_pair"] == {"p50": 3, "p99": 100}
    with pytest.raises(ValueError, match="5 examples but 4 scores"):
        score_edges(GOLD, [0.0] * 4, ["none"] * 5, [0.0] * 5)


# ---- the task and the models ------------------------------------------------------------
def test_target_parses_as_the_output_model(splits):
    task = EdgesTask()
    for ex in splits["train"][:16]:
        ans = task.parse(task.target(ex))
        assert ans.type == ex.type and ans.score == ex.affinity
    msgs = task.prompt(pair_text(ex.source, ex.candidate), splits["train"][:2])
    assert [m["role"] for m in msgs] == ["system", "user", "assistant", "user", "assistant",
                                         "user"]
    assert task.grammar_schema()["properties"]["type"]


def test_floors():
    src, cands = GOLD[0].source, [GOLD[0].candidate, _ex(0, "none", 2.0).candidate]
    assert [p.output.score for p in NoneModel().predict_batch(src, cands)] == [0.0, 0.0]
    got = TimeModel().predict_batch(src, cands)
    assert got[0].output.score == 1.0 and got[0].output.type == "SEE_ALSO"
    assert got[1].output.score == round(math.exp(-2), 4) and got[1].output.type == "none"


def test_isotonic_is_monotone_least_squares():
    x, fit = isotonic(np.array([0.3, 0.1, 0.2, 0.4]), np.array([1.0, 0.0, 0.5, 0.25]))
    assert list(x) == [0.1, 0.2, 0.3, 0.4]
    assert list(fit) == [0.0, 0.5, 0.625, 0.625]


def test_fitted_models_refuse_to_predict_unfitted():
    for model in (CosineModel(), ScorerModel()):
        with pytest.raises(RuntimeError, match="not fitted"):
            model.predict(GOLD[0].source, GOLD[0].candidate)


def test_cli_runs_end_to_end(capsys):
    from augur.cli import main

    assert main(["memory", "eval", "--task", "edges", "--model", "time", "--split", "val",
                 "--limit", "24", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["task"] == "edges" and report["examples"] == 24 and report["model"] == "time"
    assert report["rem_tasks_version"] == C.REM_TASKS_VERSION
    assert main(["memory", "eval", "--task", "edges", "--split", "handwritten"]) == 2
    assert "task edges has train, val, test" in capsys.readouterr().err


@pytest.mark.slow
def test_scorer_beats_cosine_and_time_on_val(tmp_path, capsys):
    """Cold, this embeds every resource of the three splits once (about a minute on two
    cores); the matrix is cached beside the task data after that."""
    from augur.cli import main

    out = tmp_path / "cmp"
    assert main(["memory", "compare", "--task", "edges", "--split", "val", "--models", "time",
                 "cosine", "scorer", "--out", str(out)]) == 0
    r = {x["model"]: x for x in json.loads((out / "compare.json").read_text())}
    # measured on val: scorer P 0.91 R 0.83 F1 0.87 r 0.88; cosine F1 0.65 r 0.75;
    # time F1 0.42 r 0.27
    assert r["scorer"]["f1"] >= 0.8 and r["scorer"]["pearson"] >= 0.83
    for base in ("cosine", "time"):
        assert r["scorer"]["f1"] >= r[base]["f1"] + 0.1
        assert r["scorer"]["pearson"] >= r[base]["pearson"] + 0.05
        assert r["scorer"]["type_accuracy"] > r[base]["type_accuracy"]
    assert r["scorer"]["latency_ms_per_pair"]["p50"] <= 5.0
