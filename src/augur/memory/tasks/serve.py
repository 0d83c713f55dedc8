"""Serving the REM tasks: each task's models, built once for a memory and kept.

    text = check_input("query", raw)         # the request's input as the task takes it
    tasks = TaskServer(store, embedder)      # stores parameters; builds nothing
    model = tasks.model("query")             # the task's default model, built on first use
    model = tasks.model("query", "retrieval")
    model.predict(text)                      # -> Prediction (tasks/base.py)

A task is one entry of TASKS (a TaskSpec): its default model, the model names it
accepts, how to build one, and how to check an input. Task 1 ("query": a request in
words -> a REM query), task 2 ("edges": a new resource and candidates -> one scored
edge per candidate) and task 3 ("moments": a timestamped transcript -> its moments) are
registered here; later tasks (the tip task of /generate) add a spec with `register`.

Building is serialised by one lock and each model is built once per name. The store is
read only by builders and refreshes, under that lock, so `model` may be called from
any thread (the service gives the task models a thread and a store connection of
their own; a model's predict reads nothing from the store). After the memory is
written, `memory_changed()` makes the models re-read what they know of it (the fast
model's names and titles) before the next is handed out. A model that holds an LLM
(it has a `backend`) is kept one at a time, as augur.llm's factory requires: building
another closes the previous one.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from augur.errors import AugurError

MAX_INPUT_CHARS = 2000


class TaskRequestError(AugurError, ValueError):
    """A task request that cannot be served as asked; `field` names what to fix
    ("task", "model" or "input")."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class TaskSpec:
    name: str
    default_model: str
    models: tuple[str, ...]  # the accepted model names, as error messages list them
    resolve: Callable[[str], str]  # a requested model name -> its canonical name, or ValueError
    build: Callable[[TaskServer, str], Any]  # (server, canonical name) -> a model
    check_input: Callable[[Any], Any]  # the raw input -> what predict takes, or ValueError
    # (server, model): re-read what the model knows of the memory after it was written
    refresh: Callable[[TaskServer, Any], None] | None = None


TASKS: dict[str, TaskSpec] = {}


def register(spec: TaskSpec) -> TaskSpec:
    TASKS[spec.name] = spec
    return spec


def task_spec(task: str) -> TaskSpec:
    if task not in TASKS:
        raise TaskRequestError("task", f"unknown task {task!r}; expected one of "
                                       f"{', '.join(sorted(TASKS))}")
    return TASKS[task]


def check_input(task: str, raw: Any) -> Any:
    """`raw` as the task's models take it; TaskRequestError naming `input` if it is not one."""
    spec = task_spec(task)
    try:
        return spec.check_input(raw)
    except ValueError as e:
        raise TaskRequestError("input", str(e)) from None


def model_name(task: str, name: str | None = None) -> str:
    """The canonical name of model `name` of `task` (its default when None)."""
    spec = task_spec(task)
    if name is None:
        return spec.default_model
    try:
        return spec.resolve(name)
    except ValueError as e:
        raise TaskRequestError("model", f"task {task!r}: {e}; expected one of "
                                        f"{', '.join(spec.models)}") from None


class TaskServer:
    """Each task's models for one memory, built on first use and kept."""

    def __init__(self, store=None, embedder=None, cache_root=None) -> None:
        self.store = store  # the memory the models read (names, ids); None for tasks that need none
        self._embedder = embedder  # None: an Embedder of its own, made on first use
        self.cache_root = cache_root  # where shot embeddings are cached; None: the harness's
        self._lock = threading.RLock()  # builders build shared parts through `shared`
        self._models: dict[tuple[str, str], Any] = {}
        self._shared: dict[str, Any] = {}
        self._stale = False  # the memory changed since the models read it

    @property
    def embedder(self):
        with self._lock:
            if self._embedder is None:
                from augur.memory.embed import Embedder

                self._embedder = Embedder()
            return self._embedder

    def model(self, task: str, name: str | None = None):
        """The model `name` (default: the task's default) of `task`, built once."""
        spec = task_spec(task)
        key = (task, model_name(task, name))
        with self._lock:
            if self._stale:
                self._stale = False
                for (t, _), m in self._models.items():
                    if TASKS[t].refresh is not None:
                        TASKS[t].refresh(self, m)
            if key not in self._models:
                built = spec.build(self, key[1])
                if getattr(built, "backend", None) is not None:
                    self._drop_llms()
                self._models[key] = built
            return self._models[key]

    def memory_changed(self) -> None:
        """The store was written: models refresh what they know of it (names, ids)
        before the next one is handed out. Safe from any thread."""
        self._stale = True

    def built(self) -> list[tuple[str, str]]:
        """(task, model name) of every model built so far."""
        with self._lock:
            return list(self._models)

    def shared(self, key: str, make: Callable[[], Any]):
        """A part several models share (e.g. the training requests' embeddings), made once."""
        with self._lock:
            if key not in self._shared:
                self._shared[key] = make()
            return self._shared[key]

    def _drop_llms(self) -> None:
        for key, m in list(self._models.items()):
            if getattr(m, "backend", None) is not None:
                del self._models[key]
                with contextlib.suppress(Exception):  # closing frees memory; nothing to report
                    m.backend.close()

    def close(self) -> None:
        with self._lock:
            self._drop_llms()
            self._models.clear()
            self._shared.clear()


# ---- task 1: a request in words -> a REM query ------------------------------------
QUERY_MODELS = ("fast", "retrieval", "search-all", "llamacpp", "llamacpp:FILE.gguf",
                "FILE.gguf")


def _query_input(raw: Any) -> str:
    if not isinstance(raw, str):
        raise ValueError(f"task 'query' takes the request in words as a string, got "
                         f"{type(raw).__name__ if raw is not None else 'null'}")
    text = raw.strip()
    if not 1 <= len(text) <= MAX_INPUT_CHARS:
        raise ValueError(f"task 'query' takes a request of 1 to {MAX_INPUT_CHARS} characters "
                         f"(spaces at the ends not counted), got {len(text)}")
    return text


def _query_resolve(name: str) -> str:
    name = name.strip()
    if name in ("fast", "retrieval", "search-all", "llamacpp"):
        return name
    if name.startswith("llamacpp:") and name.endswith(".gguf"):
        return name
    if name.endswith(".gguf"):
        return f"llamacpp:{name}"
    raise ValueError(f"unknown model {name!r}")


def _train_index(server: TaskServer):
    """The train split's requests with their embeddings, from the cache when it has them."""
    def make():
        from augur.memory.tasks.harness.data import query_examples
        from augur.memory.tasks.shots_cache import cached_shot_index

        return cached_shot_index(query_examples("train"), server.embedder, server.cache_root)

    return server.shared("query:train-index", make)


def _query_build(server: TaskServer, name: str):
    from augur.memory.tasks import query_models as M

    if name == "search-all":
        return M.SearchAllModel()
    if name == "retrieval":
        return M.RetrievalModel(_train_index(server))
    if name == "fast":
        from augur.memory.tasks.query_fast import FastModel

        if server.store is None:
            raise TaskRequestError("model", "the fast model reads the memory (names, ids), "
                                            "and this server has no memory store")
        index = _train_index(server)
        # The build runs beside live requests (warmed in the background at start-up):
        # one BLAS thread leaves the other core to them. Idle, it costs a second
        # (the intent classifier trains in 3.2 s on one thread, 2.2 s on two).
        with _one_blas_thread():
            return FastModel(index, server.store)
    from augur.llm.backend import BackendError
    from augur.llm.factory import make_backend

    try:
        backend = make_backend(name)
        backend.load()  # fail here, by name, rather than inside the first answer
    except (BackendError, ValueError) as e:
        raise TaskRequestError("model", f"model {name!r} cannot be loaded: {e}") from None
    from augur.llm.finetune.export import tuned_adapter

    _, _, path = name.partition(":")
    if path and tuned_adapter(path):
        # A model `augur llm export` wrote: fine-tuned on the brief zero-shot prompt.
        return M.LLMModel(backend, None, k=0, name=name, task=M.QueryTask())
    return M.LLMModel(backend, _train_index(server), k=4, name=name, task=M.QueryTask())


def _query_refresh(server: TaskServer, model) -> None:
    """The fast model's names, ids, titles and date range, read again (milliseconds):
    a title added since it was built is a LOOKUP, not a FUZZY."""
    from augur.memory.tasks.query_fast import FastModel, Vocab

    if isinstance(model, FastModel) and server.store is not None:
        model.vocab = Vocab(server.store)


def _one_blas_thread():
    from threadpoolctl import threadpool_limits

    return threadpool_limits(1, user_api="blas")


register(TaskSpec(name="query", default_model="fast", models=QUERY_MODELS,
                  resolve=_query_resolve, build=_query_build, check_input=_query_input,
                  refresh=_query_refresh))


# ---- task 2: a new resource and candidates -> scored, typed edges -------------------
EDGE_MODELS = ("none", "time", "cosine", "scorer")


def _edges_input(raw: Any):
    """{source, candidates: [...]}, each an EdgeResource (id, kind, name, content,
    created_at); a ValueError names the first fields that are wrong."""
    from pydantic import ValidationError

    from augur.memory.tasks.edges import EdgeRequest

    if not isinstance(raw, dict):
        raise ValueError(f"task 'edges' takes an object {{source, candidates}}, got "
                         f"{type(raw).__name__ if raw is not None else 'null'}")
    try:
        return EdgeRequest.model_validate(raw)
    except ValidationError as e:
        parts = [f"input.{'.'.join(map(str, x['loc']))}: {x['msg']}" for x in e.errors()[:3]]
        raise ValueError(f"task 'edges': {'; '.join(parts)} (each of source and candidates "
                         "is {id, kind, name, content, created_at})") from None


def _edges_resolve(name: str) -> str:
    if name.strip() in EDGE_MODELS:
        return name.strip()
    raise ValueError(f"unknown model {name!r}")


class EdgesServed:
    """A task-2 model answering one EdgeRequest as one Prediction, whose output is the
    list of the candidates' answers (EdgeAnswers) and whose latency is the batch's."""

    def __init__(self, model) -> None:
        self.model = model
        self.name = model.name

    def predict(self, request):
        import time

        from augur.memory.tasks.base import Prediction
        from augur.memory.tasks.edges import EdgeAnswers

        t0 = time.perf_counter()
        preds = self.model.predict_batch(request.source, request.candidates)
        ms = (time.perf_counter() - t0) * 1000
        bad = next((p for p in preds if not p.valid), None)
        if bad is not None:
            return Prediction(None, text=bad.text, error=bad.error, latency_ms=ms)
        return Prediction(EdgeAnswers([p.output for p in preds]), latency_ms=ms,
                          text="; ".join(p.text for p in preds)[:2000],
                          extra={"ms_per_pair": ms / len(preds)})


def _edges_build(server: TaskServer, name: str):
    from augur.memory.tasks.edge_models import harness_vectors, make_edge_model

    vectors = None
    if name in ("cosine", "scorer"):  # both read the train split's vectors (cached on disk)
        vectors = server.shared("edges:vectors", lambda: harness_vectors(server.embedder))
    with _one_blas_thread():  # beside live requests, as the fast model's (see above)
        return EdgesServed(make_edge_model(name, vectors))


register(TaskSpec(name="edges", default_model="scorer", models=EDGE_MODELS,
                  resolve=_edges_resolve, build=_edges_build, check_input=_edges_input))


# ---- task 3: a timestamped transcript -> its moments ---------------------------------
MOMENT_MODELS = ("one", "fixed", "tiling", "trained")
# A day's transcript or log is thousands of characters, not a query's 2,000; these caps
# keep one request to seconds of the task models' thread.
MAX_TRANSCRIPT_CHARS = 200_000
MAX_TRANSCRIPT_LINES = 5_000


def _moments_input(raw: Any):
    """A transcript as text (`YYYY-MM-DD HH:MM speaker: text` lines) or {lines: [{ts,
    speaker, text}, ...]} -> MomentLines in time order; a ValueError names the field."""
    from pydantic import ValidationError

    from augur.memory.tasks.moment_ingest import MomentRequest, check_lines
    from augur.memory.tasks.moments import parse_transcript

    if isinstance(raw, str):
        if len(raw) > MAX_TRANSCRIPT_CHARS:
            raise ValueError(f"task 'moments' takes a transcript of at most "
                             f"{MAX_TRANSCRIPT_CHARS:,} characters, got {len(raw):,}; send "
                             "a day or less at a time")
        lines, where = parse_transcript(raw), "transcript"
    elif isinstance(raw, dict):
        try:
            lines, where = MomentRequest.model_validate(raw).lines, "input.lines:"
        except ValidationError as e:
            parts = [f"input.{'.'.join(map(str, x['loc']))}: {x['msg']}" for x in e.errors()[:3]]
            raise ValueError(f"task 'moments': {'; '.join(parts)} (lines is a list of "
                             "{ts, speaker, text})") from None
    else:
        raise ValueError("task 'moments' takes a transcript string or an object {lines: "
                         "[{ts, speaker, text}, ...]}, got "
                         f"{type(raw).__name__ if raw is not None else 'null'}")
    if len(lines) > MAX_TRANSCRIPT_LINES:
        raise ValueError(f"task 'moments' takes at most {MAX_TRANSCRIPT_LINES:,} lines, got "
                         f"{len(lines):,}; send a day or less at a time")
    return check_lines(lines, where)


def _moments_resolve(name: str) -> str:
    if name.strip() in MOMENT_MODELS:
        return name.strip()
    raise ValueError(f"unknown model {name!r}")


class MomentsServed:
    """A task-3 model answering checked lines as one Prediction of a MomentAnswer; an
    answer the schema refuses (more than 64 moments) is an invalid Prediction, not an
    error of the server."""

    def __init__(self, model) -> None:
        self.model = model
        self.name = model.name

    def predict(self, lines):
        import time

        from pydantic import ValidationError

        from augur.memory.tasks.base import Prediction

        t0 = time.perf_counter()
        try:
            pred = self.model.predict_lines(lines)
        except ValidationError as e:
            x = e.errors()[0]
            return Prediction(None, error=f"{'.'.join(map(str, x['loc']))}: {x['msg']}",
                              latency_ms=(time.perf_counter() - t0) * 1000)
        pred.latency_ms = (time.perf_counter() - t0) * 1000
        return pred


def _moments_build(server: TaskServer, name: str):
    from augur.memory.tasks.moment_ingest import EMBEDDING, fitted_moment_model

    embedder = server.embedder if name in EMBEDDING else None
    with _one_blas_thread():  # beside live requests, as the fast model's (see above)
        return MomentsServed(fitted_moment_model(name, embedder, server.cache_root))


register(TaskSpec(name="moments", default_model="trained", models=MOMENT_MODELS,
                  resolve=_moments_resolve, build=_moments_build,
                  check_input=_moments_input))

__all__ = ["TASKS", "TaskRequestError", "TaskServer", "TaskSpec", "check_input", "model_name",
           "register", "task_spec"]
