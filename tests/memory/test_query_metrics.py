"""Task 1's metrics on answers whose scores are worked out by hand."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from augur.memory.executor import Executor
from augur.memory.model import MemoryBatch, Resource
from augur.memory.store.sqlite import SQLiteStore
from augur.memory.tasks.harness.examples import QueryExample
from augur.memory.tasks.harness.query_metrics import score_queries


def resource(rid: str, name: str, **kw) -> Resource:
    return Resource(id=rid, name=name, kind="note", content="",
                    created_at=datetime(2025, 3, 3, tzinfo=UTC), **kw)


def ex(i: int, query: str | None, op: str) -> QueryExample:
    return QueryExample(id=f"e{i}", text=f"request {i}", query=query, op=op, split="test")


GOLD = [ex(0, "LOOKUP pr-1", "LOOKUP"),
        ex(1, 'SEARCH "budget" IN resources PROJECT \'atlas\'', "SEARCH"),
        ex(2, None, "REFUSE"),
        ex(3, "SELECT count(*) FROM resources", "SQL")]


@pytest.fixture
def executor(tmp_path):
    store = SQLiteStore(tmp_path / "m.db")
    store.add(MemoryBatch(resources=[resource("pr-1", "budget plan", project="atlas"),
                                     resource("pr-2", "budget review", project="ember")]))
    yield Executor(store)
    store.close()


def test_hand_worked_scores(executor):
    answers = [
        "LOOKUP pr-1",  # exact
        'SEARCH "budget" IN resources',  # right op, lost the project: 2 of 3 fields
        None,  # a refusal, rightly
        "SELECT COUNT(*) AS n FROM resources",  # other text, same value
    ]
    r = score_queries(GOLD, [True] * 4, answers, [1.0, 2.0, 3.0, 4.0], executor)
    assert r["intent_accuracy"] == 1.0 and r["validity"] == 1.0
    # Fields: LOOKUP key+table_name... every gold field counted; SEARCH misses project.
    assert r["exact_match"] == 0.5
    assert 0.5 < r["parameter_accuracy"] < 1.0
    assert r["refusal_precision"] == 1.0 and r["refusal_recall"] == 1.0
    assert r["execution_success"] == 1.0
    # SEARCH without the project filter also returns pr-2: wrong rows. The rest agree.
    assert r["execution_accuracy"] == 0.75
    assert r["latency_ms"] == {"p50": 3.0, "p99": 4.0}


def test_invalid_and_wrong_answers(executor):
    answers = [None, "LOOKUP budget", "LOOKUP pr-1", "SELECT nope FROM resources"]
    valid = [False, True, True, True]
    r = score_queries(GOLD, valid, answers, [0.0] * 4, executor)
    assert r["validity"] == 0.75
    assert r["intent_accuracy"] == 0.25  # only the SQL's operation is right
    assert r["refusal_precision"] is None and r["refusal_recall"] == 0.0
    # The SELECT of a missing column fails to execute; 'LOOKUP budget' runs (no rows).
    assert r["execution_success"] == pytest.approx(1 / 3, abs=1e-4)
    assert r["execution_accuracy"] == 0.0


def test_lengths_must_agree():
    with pytest.raises(ValueError, match="4 examples but 3"):
        score_queries(GOLD, [True] * 3, [None] * 3, [0.0] * 3)
