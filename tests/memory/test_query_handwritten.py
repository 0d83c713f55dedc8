"""The hand-written natural-language -> REM query set (task 1's second test): every line
is a valid QueryExample, the set covers every operation, and every gold query runs on
the world it is asked of (persona 42's first 90 days) in a real SQLite store."""

from __future__ import annotations

import re
from pathlib import Path
from typing import get_args

import pytest
from pydantic import ValidationError

from augur.memory.executor import Executor
from augur.memory.store.sqlite import SQLiteStore
from augur.memory.tasks.harness.constants import WORLD_DAYS, WORLD_SEED
from augur.memory.tasks.harness.data import HANDWRITTEN
from augur.memory.tasks.harness.examples import Op, QueryExample
from augur.memory.world import WorldConfig, world_memory

DATA = HANDWRITTEN
TAGS = {"relative-time", "misspelt", "ambiguous", "multi-step", "filter", "refusal"}
# Operations whose answer on this world is known to be non-empty; SEARCH may rank nothing.
MUST_ANSWER = {"LOOKUP", "TRAVERSE", "FUZZY", "SQL"}


def load_examples(path: Path) -> list[QueryExample]:
    """One QueryExample per non-blank line; a bad line fails naming its line number."""
    out = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            out.append(QueryExample.model_validate_json(line))
        except ValidationError as e:
            raise AssertionError(f"{path.name}:{lineno}: not a valid QueryExample: {e}") from None
    return out


@pytest.fixture(scope="module")
def examples() -> list[QueryExample]:
    return load_examples(DATA)


@pytest.fixture(scope="module")
def executor(tmp_path_factory):
    batch = world_memory(WorldConfig(seed=WORLD_SEED, days=WORLD_DAYS))
    store = SQLiteStore(tmp_path_factory.mktemp("handwritten") / "m.db")
    store.add(batch)
    try:
        yield Executor(store)
    finally:
        store.close()


def test_a_bad_line_is_named_by_its_number(tmp_path):
    good = DATA.read_text(encoding="utf-8").splitlines()[0]
    bad = tmp_path / "bad.jsonl"
    bad.write_text(good + "\n\n" + '{"id": "hw-x", "text": "hi", "query": null, "op": "SEARCH", '
                   '"split": "handwritten"}\n', encoding="utf-8")
    with pytest.raises(AssertionError, match=r"bad\.jsonl:3: not a valid QueryExample"):
        load_examples(bad)


def test_the_set_is_large_unique_and_hand_written(examples):
    assert len(examples) >= 100
    ids = [e.id for e in examples]
    texts = [e.text for e in examples]
    assert len(set(ids)) == len(ids), "duplicate ids"
    assert len(set(texts)) == len(texts), "duplicate texts"
    for e in examples:
        assert re.fullmatch(r"hw-\d{3}", e.id), e.id
        assert e.split == "handwritten", e.id
        assert e.template == "", e.id
        assert set(e.tags) <= TAGS, (e.id, e.tags)
        assert ("refusal" in e.tags) == (e.op == "REFUSE"), (e.id, e.tags)


def test_every_operation_is_covered(examples):
    ops = {e.op for e in examples}
    assert ops == set(get_args(Op)), f"missing: {set(get_args(Op)) - ops}"
    assert sum(e.op == "REFUSE" for e in examples) >= 10


def test_every_gold_query_runs_on_the_world(examples, executor):
    failures = []
    for e in examples:
        if e.op == "REFUSE":
            continue
        try:
            result = executor.run(e.query)
        except Exception as err:  # report every failing gold at once
            failures.append(f"{e.id} {e.query!r}: {type(err).__name__}: {err}")
            continue
        if e.op in MUST_ANSWER and not result.rows:
            failures.append(f"{e.id} {e.query!r}: no rows")
    assert not failures, "\n".join(failures)
