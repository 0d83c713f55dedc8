"""Runs a task-1 model over a frozen split and scores it: the one path every model's
numbers come from (`augur memory eval`, `augur memory compare`, `augur bench
rem-query`).

The memory the queries execute on is the world of constants.py in a SQLite store,
built once into the cache (atomically: a half-built file is never used) and opened
without an embedder, so execution is deterministic.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from augur.memory.tasks.harness import constants as C
from augur.memory.tasks.harness.data import cache_dir, query_examples
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

    examples = query_examples(split)
    if limit is not None:
        if limit <= 0:
            raise ValueError(f"limit: expected a positive number of examples, got {limit}")
        examples = examples[:limit]
    preds = [model.predict(ex.text) for ex in tqdm(
        examples, desc=f"{model.name} on {split}", unit="request", file=sys.stderr,
        disable=not progress)]
    texts = [answer_text(p.output) if p.valid else None for p in preds]
    report = score_queries(examples, [p.valid for p in preds], texts,
                           [p.latency_ms for p in preds], executor or world_executor())
    return {"task": "query", "model": model.name, "split": split,
            "rem_tasks_version": C.REM_TASKS_VERSION, **report}, preds
