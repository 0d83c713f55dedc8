"""The REM task harness is frozen by the same mechanism as the oracle's, and its
baselines score what they should on the frozen test split."""

from __future__ import annotations

import dataclasses
import shutil

import pytest

from augur import frozen
from augur.harness.manifest import HARNESS
from augur.memory.tasks.harness import constants as C
from augur.memory.tasks.harness.data import query_examples
from augur.memory.tasks.harness.manifest import REM_TASKS, verify
from augur.memory.tasks.query_models import SearchAllModel, substitute


def test_one_mechanism_seals_both_harnesses():
    assert type(REM_TASKS) is type(HARNESS) is frozen.Frozen
    manifest = verify()
    assert manifest["version"] == C.REM_TASKS_VERSION
    assert {"query_train", "query_val", "query_test", "query_handwritten", "edge_train",
            "edge_val", "edge_test", "moment_train", "moment_val",
            "moment_test"} == set(manifest["data"])
    assert "query_metrics.py" in manifest["code"] and "query_data.py" in manifest["code"]


def test_a_changed_metric_is_named_with_the_way_to_amend(tmp_path):
    root = tmp_path / "harness"
    shutil.copytree(REM_TASKS.root, root, ignore=shutil.ignore_patterns("__pycache__"))
    spec = dataclasses.replace(REM_TASKS, root=root)
    assert frozen.verify_code(spec)["version"] == C.REM_TASKS_VERSION
    path = root / "query_metrics.py"
    path.write_text(path.read_text().replace("round(intent, 4)", "1.0"))
    with pytest.raises(frozen.FrozenChangedError) as err:
        frozen.verify_code(spec)
    msg = str(err.value)
    assert "query_metrics.py was modified" in msg and "REM_TASKS_VERSION" in msg
    assert "rem-tasks vN" in msg


def test_changed_task_data_is_refused():
    sealed = verify()["data"]
    with pytest.raises(frozen.FrozenChangedError, match=r"rem-tasks eval data changed "
                                                        r"\(query_test: sha256 000000000000"):
        frozen.verify_data(REM_TASKS, dict(sealed, query_test="0" * 64), sealed)


def test_seal_refuses_a_silent_amendment(tmp_path):
    with pytest.raises(frozen.FrozenChangedError, match="an amendment needs a new version"):
        frozen.seal(REM_TASKS, tmp_path / "CHANGELOG.md", progress=False)


def test_splits_are_the_sizes_the_constants_fix():
    assert len(query_examples("train")) == C.QUERY_TRAIN
    assert len(query_examples("val")) == C.QUERY_VAL
    assert len(query_examples("test")) == C.QUERY_TEST
    assert len(query_examples("handwritten")) >= 100
    with pytest.raises(ValueError, match="split: expected one of"):
        query_examples("dev")


@pytest.mark.parametrize(("neighbour", "text", "value", "want"), [
    ("show me pr-33 please", "show me ticket-9 please", "pr-33", "ticket-9"),
    ("emails about the budget review from Dara", "emails about onboarding from Dara",
     "the budget review", "onboarding"),
    ("what did Quinn say", "what did Farah Silva say", "Quinn", "Farah Silva"),
    ("nothing in common", "totally different words", "absent", "absent"),
])
def test_slot_substitution_aligns_words(neighbour, text, value, want):
    assert substitute(neighbour, text, value) == want


def test_search_all_is_the_floor():
    from augur.memory.tasks.harness.evaluate import evaluate_query_model

    report, preds = evaluate_query_model(SearchAllModel(), "test", limit=60, progress=False)
    assert report["validity"] == 1.0 and len(preds) == 60
    share = sum(e.op == "SEARCH" for e in query_examples("test")[:60]) / 60
    assert report["intent_accuracy"] == pytest.approx(share, abs=1e-4)
    assert report["refusal_recall"] == 0.0
