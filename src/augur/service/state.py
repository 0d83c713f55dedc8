"""What the running service holds: config, registry, the torch thread, jobs, eval
cache, and the glue that turns a loaded checkpoint into a batched predictor."""

from __future__ import annotations

import logging
import queue
import threading
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from augur.oracle.features import Featurizer
from augur.oracle.predictor import Oracle, Prediction
from augur.service.batcher import MicroBatcher
from augur.service.config import ServiceConfig
from augur.service.evals import EVALS, EvalCache
from augur.service.jobs import Jobs
from augur.service.registry import Registry

log = logging.getLogger(__name__)


@dataclass
class Served:
    """A loaded model and the micro-batcher in front of it."""

    name: str
    oracle: Oracle
    batcher: MicroBatcher


class DaemonWorker(Executor):
    """One daemon thread running jobs in order. The process may exit while it still runs
    one, where a ThreadPoolExecutor's worker is joined first: a task model building at
    startup (seconds; it only reads) must not hold up Ctrl-C."""

    def __init__(self, name: str) -> None:
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._lock = threading.Lock()
        self._state = "new"  # new, running, shut

    def submit(self, fn, /, *args, **kwargs) -> Future:
        with self._lock:
            if self._state == "shut":
                raise RuntimeError("cannot schedule new futures after shutdown")
            if self._state == "new":
                self._thread.start()
                self._state = "running"
            future: Future = Future()
            self._jobs.put((future, fn, args, kwargs))
            return future

    def _run(self) -> None:
        while (job := self._jobs.get()) is not None:
            future, fn, args, kwargs = job
            if future.set_running_or_notify_cancel():
                try:
                    future.set_result(fn(*args, **kwargs))
                except BaseException as e:  # noqa: BLE001 - handed to whoever waits
                    future.set_exception(e)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._lock:
            started, self._state = self._state == "running", "shut"
        self._jobs.put(None)  # after the jobs already queued
        if wait and started:
            self._thread.join()


class MemoryState:
    """The REM memory behind /memory: opened on first use, on its own thread (SQLite
    connections and the embedder are not shared across threads).

    The REM task models (/memory/ask, /generate) live on a second thread with a
    connection of their own: building one takes seconds (an LLM's answers too), and
    queries must not wait behind that. Their answers to /memory/ask run on the memory's
    thread, beside the query they make."""

    def __init__(self, cfg: ServiceConfig) -> None:
        self.cfg = cfg
        self.thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="augur-memory")
        self.tasks_thread = DaemonWorker("augur-tasks")
        self._executor = None
        self._embedder = None
        self._tasks = None
        self._lock = threading.Lock()

    def embedder(self):
        """The one MiniLM both threads use (it loads on first use; its tokenizer is locked)."""
        with self._lock:
            if self._embedder is None:
                from augur.memory.embed import Embedder

                self._embedder = Embedder()
            return self._embedder

    def executor(self):
        """Blocking: call on self.thread."""
        if self._executor is None:
            from augur.memory.executor import Executor
            from augur.memory.store import open_store

            self._executor = Executor(open_store(self.cfg.memory_store, create=False),
                                      self.embedder() if self.cfg.memory_embed else None)
        return self._executor

    def tasks(self):
        """Blocking: call on self.tasks_thread. The REM task models over this memory,
        built on first use (augur.memory.tasks.serve)."""
        if self._tasks is None:
            from augur.memory.store import open_store
            from augur.memory.tasks.serve import TaskServer

            self._tasks = TaskServer(open_store(self.cfg.memory_store, create=False),
                                     self.embedder())
        return self._tasks

    def changed(self) -> None:
        """The memory was written through the service: the task models re-read the names
        they know before their next answer."""
        if self._tasks is not None:
            self._tasks.memory_changed()

    def warm_tasks(self) -> None:
        """Blocking: call on self.tasks_thread. Builds /memory/ask's model; a failure is
        logged here and raised again by the request that needs the model."""
        try:
            self.tasks().model("query")
        except Exception as e:  # noqa: BLE001 - a warm-up must never stop the service
            log.warning("augur: /memory/ask's model was not built at startup (%s: %s); the "
                        "first /memory/ask will try again and answer with the error",
                        type(e).__name__, e)

    @property
    def opened(self) -> bool:
        return self._executor is not None

    def close(self) -> None:
        # Each thread closes what it owns, after what it is running. The memory's thread
        # is waited for (it may be writing); the task models' is not (a model building
        # at startup takes seconds, and it only reads): its store closes when it is done,
        # or with the process.
        def shut_tasks() -> None:
            tasks, self._tasks = self._tasks, None
            if tasks is not None:
                tasks.close()
                tasks.store.close()

        def shut_memory() -> None:
            ex, self._executor = self._executor, None
            if ex is not None:
                ex.store.close()

        self.tasks_thread.submit(shut_tasks)
        self.tasks_thread.shutdown(wait=False)
        self.thread.submit(shut_memory).result()
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
