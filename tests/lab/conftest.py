"""Lab fixtures: a migrated sqlite MLflow store copied per test (creating one costs seconds,
copying it milliseconds) and a deterministic test-only Backend for the lab's bookkeeping."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from augur.lab.generators import TEMPLATE, TemplateGenerator, TipGenerator
from augur.lab.store import LabStore
from augur.llm.backend import Generation

TIPS = (
    "Reply to the most important email now, before your next meeting.",
    "Sure! Here is a tip:\n- check your inbox",
    "Take a short break, then review the open pull request while it is fresh.",
)


class FakeBackend:
    """Implements the Backend protocol deterministically: tip `seed % 3`, or a fixed verdict
    when asked for JSON. Only for testing the lab's own bookkeeping, never its quality."""

    def __init__(self, name: str = "fake", fail_on: str | None = None,
                 garble_on: str | None = None) -> None:
        self.name = name
        self.fail_on = fail_on  # raise when the last message contains this text
        self.garble_on = garble_on  # answer JSON requests with broken JSON for this text
        self.calls: list[dict] = []
        self.closed = False

    def generate(self, messages, max_tokens=256, temperature=0.7, json_schema=None, seed=None):
        self.calls.append({"messages": messages, "max_tokens": max_tokens,
                           "temperature": temperature, "json_schema": json_schema, "seed": seed})
        if self.fail_on and self.fail_on in messages[-1]["content"]:
            raise RuntimeError("backend exploded")
        if json_schema is not None and self.garble_on and self.garble_on in messages[-1]["content"]:
            text = '{"relevance": 4, "actionability": '
        elif json_schema is not None:
            text = json.dumps({"relevance": 4, "actionability": 3, "tone": 5})
        else:
            text = TIPS[(seed or 0) % len(TIPS)]
        return Generation(text=text, prompt_tokens=100, completion_tokens=len(text.split()),
                          latency_s=0.01, model=self.name, constrained=json_schema is not None)

    def close(self) -> None:
        self.closed = True


@pytest.fixture(scope="session")
def blank_db(tmp_path_factory) -> Path:
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    from mlflow.tracking import MlflowClient

    db = tmp_path_factory.mktemp("blank") / "mlflow.db"
    MlflowClient(tracking_uri=f"sqlite:///{db}").search_experiments()  # runs the migrations
    return db


@pytest.fixture
def store(tmp_path, blank_db) -> LabStore:
    shutil.copy(blank_db, tmp_path / "mlflow.db")
    return LabStore(f"sqlite:///{tmp_path}/mlflow.db", "tip-lab")


@pytest.fixture
def make_fake():
    """make(spec) for collect(): "template" is the real floor, anything else a FakeBackend.
    `.log` records load and close order."""
    log: list[str] = []

    def make(spec: str):
        log.append(f"load {spec}")
        gen = TemplateGenerator() if spec == TEMPLATE else TipGenerator(FakeBackend(spec))
        close = gen.close

        def closing() -> None:
            log.append(f"close {spec}")
            close()

        gen.close = closing
        return gen

    make.log = log
    return make


@pytest.fixture
def fake_backend():
    """The FakeBackend class, to make one with a name or a failure of your choice."""
    return FakeBackend
