"""The task serving layer: the registry, model names and inputs, build-once under
concurrent callers, one LLM at a time. Task 1's own models are exercised through the
service (tests/service/test_memory_ask.py); here a small task registered the way
later tasks will be stands beside it."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import pytest

from augur.memory.tasks.serve import (
    TASKS,
    TaskRequestError,
    TaskServer,
    TaskSpec,
    check_input,
    model_name,
    register,
)


@dataclass
class Closable:
    closed: bool = False

    def close(self) -> None:
        self.closed = True


class Upper:
    def __init__(self, name: str, backend: Closable | None) -> None:
        self.name, self.backend = name, backend

    def predict(self, text: str) -> str:
        return text.upper()


@pytest.fixture
def upper_task():
    """A task 'upper' whose 'llm-*' models hold a backend, registered for one test."""
    builds: list[str] = []

    def build(server: TaskServer, name: str) -> Upper:
        time.sleep(0.05)  # long enough for concurrent callers to meet here
        builds.append(name)
        return Upper(name, Closable() if name.startswith("llm-") else None)

    def resolve(name: str) -> str:
        if name in ("plain", "llm-a", "llm-b"):
            return name
        raise ValueError(f"unknown model {name!r}")

    def text_only(raw):
        if not isinstance(raw, str):
            raise ValueError(f"expected a string, got {type(raw).__name__}")
        return raw

    register(TaskSpec(name="upper", default_model="plain", models=("plain", "llm-a", "llm-b"),
                      resolve=resolve, build=build, check_input=text_only))
    try:
        yield builds
    finally:
        del TASKS["upper"]


def test_unknown_task_names_the_known_ones():
    with pytest.raises(TaskRequestError,
                       match=r"unknown task 'tip'; expected one of edges, moments, query") as e:
        TaskServer().model("tip")
    assert e.value.field == "task"


def test_query_model_names_and_inputs():
    assert model_name("query") == "fast"
    assert model_name("query", "retrieval") == "retrieval"
    assert model_name("query", "/models/x.gguf") == "llamacpp:/models/x.gguf"
    assert model_name("query", "llamacpp") == "llamacpp"
    with pytest.raises(TaskRequestError, match=r"unknown model 'gpt-9'; expected one of fast, "
                                               r"retrieval, search-all") as e:
        model_name("query", "gpt-9")
    assert e.value.field == "model"
    assert check_input("query", "  show me pr-33 ") == "show me pr-33"
    for bad, why in (({"text": "x"}, "got dict"), ("   ", "got 0"), ("x" * 2001, "got 2001"),
                     (None, "got null")):
        with pytest.raises(TaskRequestError, match=why) as e:
            check_input("query", bad)
        assert e.value.field == "input"


def test_a_registered_task_is_built_once_for_concurrent_callers(upper_task):
    server = TaskServer()
    got, barrier = [], threading.Barrier(8)

    def call():
        barrier.wait()
        got.append(server.model("upper"))

    threads = [threading.Thread(target=call) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert upper_task == ["plain"] and all(m is got[0] for m in got)
    assert got[0].predict("hi") == "HI"
    assert server.built() == [("upper", "plain")]


def test_one_llm_at_a_time(upper_task):
    server = TaskServer()
    a = server.model("upper", "llm-a")
    plain = server.model("upper")
    b = server.model("upper", "llm-b")
    assert a.backend.closed and not b.backend.closed  # building b closed a
    assert server.model("upper") is plain  # models without a backend stay
    assert server.model("upper", "llm-a") is not a  # a is built again when named again
    assert b.backend.closed
    server.close()
    assert server.built() == []
