"""Task 1's generated dataset: its sizes and op mix, determinism, a test split held out
in templates and phrasings, and gold queries that run on the world memory."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from collections import Counter

import pytest

from augur.memory.executor import Executor
from augur.memory.store.sqlite import SQLiteStore
from augur.memory.tasks.harness import query_templates as QT
from augur.memory.tasks.harness.constants import (
    QUERY_TEST,
    QUERY_TRAIN,
    QUERY_VAL,
    WORLD_DAYS,
    WORLD_SEED,
)
from augur.memory.tasks.harness.query_data import (
    SHARES,
    build_query_examples,
    read_jsonl,
    write_jsonl,
)
from augur.memory.world import WorldConfig, world_memory

SIZES = {"train": QUERY_TRAIN, "val": QUERY_VAL, "test": QUERY_TEST}


@pytest.fixture(scope="module")
def batch():
    return world_memory(WorldConfig(seed=WORLD_SEED, days=WORLD_DAYS))


@pytest.fixture(scope="module")
def examples(batch):
    return build_query_examples(batch)


def _split(examples, *names):
    return [e for e in examples if e.split in names]


def _digest(examples) -> str:
    return hashlib.sha256("\n".join(json.dumps(e.model_dump(mode="json"), sort_keys=True)
                                    for e in examples).encode()).hexdigest()


def test_split_sizes_and_unique_ids(examples):
    assert Counter(e.split for e in examples) == SIZES
    assert len({e.id for e in examples}) == len(examples)


def test_every_op_in_every_split_with_its_share(examples):
    for split, n in SIZES.items():
        ops = Counter(e.op for e in _split(examples, split))
        assert set(ops) == set(SHARES), (split, ops)
        for op, share in SHARES.items():
            # Quotas are exact up to rounding one example.
            assert abs(ops[op] - share * n) <= 1, (split, op, ops[op], share * n)


def test_same_examples_every_build(batch, examples):
    assert build_query_examples(batch) == examples


def test_same_examples_under_another_hash_seed(examples):
    """No dependence on set or dict order: a fresh interpreter with another string hash
    seed, building the world itself (batch=None), writes the same examples."""
    code = ("import hashlib, json; from augur.memory.tasks.harness.query_data import "
            "build_query_examples as b; print(hashlib.sha256('\\n'.join(json.dumps("
            "e.model_dump(mode='json'), sort_keys=True) for e in b()).encode()).hexdigest())")
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, timeout=300, check=True)
    assert out.stdout.strip() == _digest(examples)


def test_test_templates_are_held_out(examples):
    seen = {e.template for e in _split(examples, "train", "val")}
    held = {e.template for e in _split(examples, "test")}
    assert not seen & held
    assert held <= {t.id for t in QT.TEST} and seen <= {t.id for t in QT.TRAIN}
    assert not {t.id for t in QT.TRAIN} & {t.id for t in QT.TEST}


def test_no_test_request_occurs_in_train_or_val(examples):
    train = {e.text.lower() for e in _split(examples, "train", "val")}
    assert not {e.text.lower() for e in _split(examples, "test")} & train
    assert len({e.text.lower() for e in examples}) == len(examples)  # no repeats at all


def _entries(table) -> set[str]:
    """Every phrase of one pool's table (nested dicts and tuples), blanks left out."""
    if isinstance(table, dict):
        return set().union(*map(_entries, table.values()))
    if isinstance(table, tuple | list):
        return set().union(*map(_entries, table)) if table else set()
    return {table.strip()} if table.strip() else set()


@pytest.mark.parametrize("name", ["PHRASES", "PREFIX", "SUFFIX", "KIND_WORDS", "MOMENT_WORDS",
                                  "PERIODS", "DATE_FORMATS", "MONTH_FORMATS", "NUMBERS"])
def test_phrase_lists_of_the_pools_are_disjoint(name):
    table = getattr(QT, name)
    assert not _entries(table["train"]) & _entries(table["test"])


def _opening(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9'#-]+", text.lower())[:2])


def test_test_phrasings_do_not_open_like_training_ones(examples):
    """How a request opens (its first two words: opener, politeness, question word) is
    where templates differ most; a held-out request should rarely open like a training
    one. Entity values are shared, so a few coincidences are allowed."""
    train = {_opening(e.text) for e in _split(examples, "train", "val")}
    test = [_opening(e.text) for e in _split(examples, "test")]
    shared = [o for o in test if o in train]
    assert len(shared) <= 0.03 * len(test), Counter(shared).most_common(10)


def test_gold_queries_run_on_the_world_memory(batch, examples, tmp_path):
    store = SQLiteStore(tmp_path / "m.db")
    store.add(batch)
    ex = Executor(store)  # no embedder: SEARCH runs on BM25 and entity matches
    empty, searches = [], 0
    for e in examples:
        if e.query is None:
            continue
        rows = ex.run(e.query).rows  # raises on any query that does not run
        searches += e.op == "SEARCH"
        if not rows:
            empty.append((e.op, e.text, e.query))
    store.close()
    assert not [x for x in empty if x[0] != "SEARCH"], empty[:10]
    # SEARCH's filters always hold for the record its topic came from; BM25 still has
    # to find a word of the paraphrase, which it nearly always does.
    assert len(empty) <= 0.02 * searches, empty[:10]


def test_refusals_have_no_query(examples):
    for e in examples:
        assert (e.query is None) == (e.op == "REFUSE"), e


@pytest.mark.parametrize("split", ["train", "test"])
def test_tagged_requests_in_each_pool(examples, split):
    tags = Counter(t for e in _split(examples, split) for t in e.tags)
    for tag in ("relative-time", "absolute-time", "misspelt", "ambiguous", "multi-step"):
        assert tags[tag] > 0, (split, tag, tags)


def test_jsonl_round_trip(examples, tmp_path):
    path = tmp_path / "sub" / "q.jsonl"
    write_jsonl(examples, path)
    assert len(path.read_text().splitlines()) == len(examples)
    assert read_jsonl(path) == examples


def test_read_jsonl_names_file_and_line(examples, tmp_path):
    path = tmp_path / "bad.jsonl"
    good = json.dumps(examples[0].model_dump(mode="json"))
    bad = json.dumps({**examples[1].model_dump(mode="json"), "query": "LOOKUP"})
    path.write_text(f"{good}\n{bad}\n")
    with pytest.raises(ValueError, match=re.escape(f"{path}:2")):
        read_jsonl(path)
