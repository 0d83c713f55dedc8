"""Runs a task model over a frozen split and scores it: the one path every model's
numbers come from (`augur memory eval`, `augur memory compare`, `augur bench
rem-query`). Task 1: `evaluate_query_model`; task 2: `evaluate_edge_model`; task 3:
`evaluate_moment_model`. The words a writer adds (moment names and summaries, edge
reasons and topics): `evaluate_moment_writer`, `evaluate_edge_writer`.

The memory the queries execute on is the world of constants.py in a SQLite store,
built once into the cache (atomically: a half-built file is never used) and opened
without an embedder, so execution is deterministic.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

from augur.memory.tasks.harness import constants as C
from augur.memory.tasks.harness.data import (
    cache_dir,
    edge_examples,
    moment_examples,
    query_examples,
)
from augur.memory.tasks.harness.edge_metrics import score_edges
from augur.memory.tasks.harness.moment_metrics import score_moments
from augur.memory.tasks.harness.query_metrics import score_queries
from augur.memory.tasks.harness.query_schema import answer_text


def world_store_path() -> Path:
    """The world's memory as a SQLite file, built on first use."""
    from augur.memory.store.sqlite import SQLiteStore
    from augur.memory.world import WorldConfig, world_memory

    path = cache_dir() / "world.db"
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".tmp{os.getpid()}")
        for extra in ("", "-wal", "-shm"):
            Path(f"{tmp}{extra}").unlink(missing_ok=True)
        store = SQLiteStore(tmp)
        store.add(world_memory(WorldConfig(seed=C.WORLD_SEED, days=C.WORLD_DAYS)))
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        store.close()
        os.replace(tmp, path)
    return path


def world_executor():
    from augur.memory.executor import Executor
    from augur.memory.store.sqlite import SQLiteStore

    return Executor(SQLiteStore(world_store_path()))


def evaluate_query_model(model, split: str = "test", limit: int | None = None,
                         progress: bool = True, executor=None) -> tuple[dict[str, Any], list]:
    """(report, predictions) of `model` on a split of task 1 (the first `limit`)."""
    from tqdm import tqdm

    examples = _limited(query_examples(split), limit)
    preds = [model.predict(ex.text) for ex in tqdm(
        examples, desc=f"{model.name} on {split}", unit="request", file=sys.stderr,
        disable=not progress)]
    texts = [answer_text(p.output) if p.valid else None for p in preds]
    report = score_queries(examples, [p.valid for p in preds], texts,
                           [p.latency_ms for p in preds], executor or world_executor())
    return {"task": "query", "model": model.name, "split": split,
            "rem_tasks_version": C.REM_TASKS_VERSION, **report}, preds


def _timed(items: list, predict, desc: str, unit: str, progress: bool) -> list:
    """predict(item) for each item, each Prediction's latency_ms set to its call's time."""
    from tqdm import tqdm

    preds = []
    for item in tqdm(items, desc=desc, unit=unit, file=sys.stderr, disable=not progress):
        t0 = time.perf_counter()
        p = predict(item)
        p.latency_ms = (time.perf_counter() - t0) * 1000
        preds.append(p)
    return preds


def _limited(examples: list, limit: int | None) -> list:
    if limit is None:
        return examples
    if limit <= 0:
        raise ValueError(f"limit: expected a positive number of examples, got {limit}")
    return examples[:limit]


def evaluate_edge_model(model, split: str = "test", limit: int | None = None,
                        progress: bool = True, examples: list | None = None
                        ) -> tuple[dict[str, Any], list]:
    """(report, predictions) of `model` on a split of task 2 (the first `limit` pairs),
    or on `examples` given (the split named `split`: people's labels are "human").
    Each source's candidates go to `model.predict_batch(source, candidates)` in one
    call, timed here; each pair is charged that call's time over its candidates."""
    from tqdm import tqdm

    examples = _limited(edge_examples(split) if examples is None else examples, limit)
    groups: list[list] = []
    for ex in examples:  # a source's pairs are consecutive in the file
        if groups and groups[-1][0].source.id == ex.source.id:
            groups[-1].append(ex)
        else:
            groups.append([ex])
    preds, latencies = [], []
    for group in tqdm(groups, desc=f"{model.name} on edges {split}", unit="source",
                      file=sys.stderr, disable=not progress):
        t0 = time.perf_counter()
        batch = model.predict_batch(group[0].source, [ex.candidate for ex in group])
        per_pair = (time.perf_counter() - t0) * 1000 / len(group)
        if len(batch) != len(group):
            raise ValueError(f"{model.name}.predict_batch answered {len(batch)} predictions "
                             f"for {len(group)} candidates")
        for p in batch:
            p.latency_ms = per_pair
        preds += batch
        latencies += [per_pair] * len(group)
    scores = [p.output.score if p.valid else None for p in preds]
    types = [p.output.type if p.valid else None for p in preds]
    report = score_edges(examples, scores, types, latencies)
    return {"task": "edges", "model": model.name, "split": split,
            "rem_tasks_version": C.REM_TASKS_VERSION, **report}, preds


def evaluate_moment_model(model, split: str = "test", limit: int | None = None,
                          progress: bool = True) -> tuple[dict[str, Any], list]:
    """(report, predictions) of `model` on a split of task 3 (the first `limit`
    transcripts). `model.predict_lines(lines)` answers one transcript; it is timed here."""

    examples = _limited(moment_examples(split), limit)
    preds = _timed(examples, lambda ex: model.predict_lines(ex.lines),
                   f"{model.name} on moments {split}", "transcript", progress)
    report = score_moments(examples, [p.output if p.valid else None for p in preds],
                           [p.latency_ms for p in preds])
    return {"task": "moments", "model": model.name, "split": split,
            "rem_tasks_version": C.REM_TASKS_VERSION, **report}, preds


def moment_word_items(split: str) -> list[tuple[Any, Any]]:
    """(transcript, gold segment) for every segment of a split of task 3: what a moment
    writer names and summarises, given the segment and its gold labels."""
    return [(ex, seg) for ex in moment_examples(split) for seg in ex.segments]


def edge_word_items(split: str) -> list[Any]:
    """The pairs of a split of task 2 that are edges (gold type not none): what an edge
    writer gives a reason and topic overlap for."""
    return [ex for ex in edge_examples(split) if ex.type != "none"]


def evaluate_moment_writer(writer, split: str = "test", limit: int | None = None,
                           progress: bool = True) -> tuple[dict[str, Any], list]:
    """(report, predictions) of `writer.predict((transcript, segment))` -> a Prediction
    whose output has `name` and `summary`, over the first `limit` segments of a split."""

    from augur.memory.tasks.harness.words_metrics import score_moment_words

    items = _limited(moment_word_items(split), limit)
    preds = _timed(items, writer.predict, f"{writer.name} writing moments ({split})",
                   "moment", progress)
    report = score_moment_words([seg for _, seg in items],
                                [(p.output.name, p.output.summary) if p.valid else None
                                 for p in preds], [p.latency_ms for p in preds])
    return {"task": "moment-words", "model": writer.name, "split": split,
            "rem_tasks_version": C.REM_TASKS_VERSION, **report}, preds


def evaluate_edge_writer(writer, split: str = "test", limit: int | None = None,
                         progress: bool = True) -> tuple[dict[str, Any], list]:
    """(report, predictions) of `writer.predict(example)` -> a Prediction whose output has
    `reason` and `topic_overlap`, over the first `limit` edges of a split."""

    from augur.memory.tasks.harness.words_metrics import score_edge_words

    items = _limited(edge_word_items(split), limit)
    preds = _timed(items, writer.predict, f"{writer.name} writing edges ({split})", "edge",
                   progress)
    report = score_edge_words(items, [(p.output.reason, p.output.topic_overlap) if p.valid
                                      else None for p in preds], [p.latency_ms for p in preds])
    return {"task": "edge-words", "model": writer.name, "split": split,
            "rem_tasks_version": C.REM_TASKS_VERSION, **report}, preds
