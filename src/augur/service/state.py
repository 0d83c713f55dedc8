"""What the running service holds: config, registry, the torch thread, jobs, eval
cache, and the glue that turns a loaded checkpoint into a batched predictor."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from augur.oracle.features import Featurizer
from augur.oracle.predictor import Oracle, Prediction
from augur.service.batcher import MicroBatcher
from augur.service.config import ServiceConfig
from augur.service.evals import EVALS, EvalCache
from augur.service.jobs import Jobs
from augur.service.registry import Registry


@dataclass
class Served:
    """A loaded model and the micro-batcher in front of it."""

    name: str
    oracle: Oracle
    batcher: MicroBatcher


class MemoryState:
    """The REM memory behind /memory: opened on first use, on its own thread (SQLite
    connections and the embedder are not shared across threads)."""

    def __init__(self, cfg: ServiceConfig) -> None:
        self.cfg = cfg
        self.thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="augur-memory")
        self._executor = None
        self._embedder = None

    def executor(self):
        """Blocking: call on self.thread."""
        if self._executor is None:
            from augur.memory.embed import Embedder
            from augur.memory.executor import Executor
            from augur.memory.store import open_store

            self._embedder = Embedder() if self.cfg.memory_embed else None
            self._executor = Executor(open_store(self.cfg.memory_store, create=False),
                                      self._embedder)
        return self._executor

    @property
    def opened(self) -> bool:
        return self._executor is not None

    @property
    def embedder(self):
        return self._embedder

    def close(self) -> None:
        if self._executor is not None:
            ex, self._executor = self._executor, None
            self.thread.submit(ex.store.close).result()
        self.thread.shutdown(wait=False, cancel_futures=True)


@dataclass
class Window:
    events: list
    candidates: list | None
    top_k: int


def _run(oracle: Oracle, items: list[Window]) -> list[Prediction]:
    k = max(w.top_k for w in items)
    preds = oracle.predict_batch([w.events for w in items], [w.candidates for w in items], k)
    for w, p in zip(items, preds, strict=True):
        p.next_actions = p.next_actions[: w.top_k]
    return preds


class State:
    def __init__(self, cfg: ServiceConfig) -> None:
        self.cfg = cfg
        self.jobs = Jobs(cfg.models_dir, cfg.jobs_dir or cfg.models_dir / ".jobs")
        self.evals = EvalCache(cfg.eval_cache_dir or cfg.models_dir / EVALS)
        self.open()

    def open(self) -> None:
        """Fresh per-run resources; the lifespan calls this again when an app restarts."""
        self.registry = Registry(self.cfg.models_dir, self.cfg.default_model)
        # One thread runs all torch work: batches queue behind each other instead of
        # fighting over the cores; the event loop only parses and answers.
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="augur-torch")
        self._served: list[Served] = []
        self.memory = MemoryState(self.cfg)
        self.closed = False

    def served(self, name: str | None) -> Served:
        """Blocking (loads on first use): call from the torch thread."""
        def build(oracle: Oracle) -> Served:
            oracle.featurizer = Featurizer(oracle.vocab, cache=False, texts=oracle.texts)
            s = Served(oracle.path.name, oracle, MicroBatcher(
                lambda items: _run(oracle, items), self.executor, self.cfg.batch_max,
                self.cfg.batch_wait_ms / 1000))
            self._served.append(s)
            return s

        return self.registry.get(name, build)

    def all_served(self) -> list[Served]:
        return list(self._served)

    def harness_composite(self, sha256: str) -> float | None:
        report: Any = self.evals.peek(sha256)
        try:
            return report["eval_sets"]["temporal"]["metrics"]["composite"]["value"]
        except (TypeError, KeyError):
            return None

    async def close(self) -> None:
        for s in self._served:
            await s.batcher.close()
        self.jobs.stop_all()
        self.executor.shutdown(wait=False, cancel_futures=True)
        self.memory.close()
        self.closed = True
