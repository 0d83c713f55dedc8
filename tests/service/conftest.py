"""A models folder with two tiny checkpoints (alpha, beta) and a TestClient over it; a
small REM memory for the memory routes."""

from __future__ import annotations

import contextlib
import shutil

import pytest
from fastapi.testclient import TestClient

from augur.oracle.config import OracleConfig


@pytest.fixture(scope="session")
def two_models(tmp_path_factory, tiny_data, tiny, tiny_checkpoint):
    """A read-only folder with alpha (the shared tiny checkpoint) and beta (another seed).
    Tests that add or break models copy it first (see `models_dir`)."""
    from augur.oracle.train import train

    folder = tmp_path_factory.mktemp("models")
    shutil.copytree(tiny_checkpoint, folder / "alpha")
    train(tiny_data, folder / "beta", tiny[1](seed=1), OracleConfig(**tiny[0]), progress=False)
    return folder


@pytest.fixture
def models_dir(tmp_path, two_models):
    """A private, writable copy of the two-model folder."""
    out = tmp_path / "models"
    shutil.copytree(two_models, out)
    return out


@pytest.fixture
def make_client(models_dir):
    """TestClient factory: make_client(**ServiceConfig overrides)."""
    from augur.service.app import create_app
    from augur.service.config import ServiceConfig

    clients = []

    def make(**kw) -> TestClient:
        kw.setdefault("models_dir", models_dir)
        client = TestClient(create_app(ServiceConfig(**kw)))
        client.__enter__()  # run the lifespan
        clients.append(client)
        return client

    yield make
    for c in clients:
        c.__exit__(None, None, None)


@pytest.fixture
def client(make_client):
    return make_client()


# A small REM memory for /memory/ask, /generate and the client: three resources of
# project cobalt and the two people they name, embedded with the real MiniLM.
SMALL_RESOURCES = [
    {"id": "pr-33", "name": "Fix payment retries", "kind": "pr",
     "content": "Retry the payment call with backoff.", "project": "cobalt",
     "persons": ["ana-ruiz"], "created_at": "2025-02-03T10:00:00+00:00"},
    {"id": "email-12", "name": "Payments outage follow-up", "kind": "email_thread",
     "content": "The payments API timed out after the cache change; rollback fixed it.",
     "project": "cobalt", "persons": ["ana-ruiz"], "created_at": "2025-02-04T10:00:00+00:00"},
    {"id": "doc-7", "name": "Release checklist", "kind": "document",
     "content": "Tag the build, ship, announce.", "project": "cobalt",
     "persons": ["ben-okafor"], "created_at": "2025-02-05T10:00:00+00:00"},
]
SMALL_ENTITIES = [
    {"id": "ana-ruiz", "name": "Ana Ruiz", "kind": "person", "aliases": ["Ana"]},
    {"id": "ben-okafor", "name": "Ben Okafor", "kind": "person", "aliases": ["Ben"]},
    {"id": "cobalt", "name": "cobalt", "kind": "project"},
]


def _build_small_memory(path) -> None:
    from augur.memory.embed import Embedder
    from augur.memory.ingest import ingest
    from augur.memory.model import MemoryBatch
    from augur.memory.store.sqlite import SQLiteStore

    with SQLiteStore(path) as store:
        ingest(store, MemoryBatch.model_validate(
            {"resources": SMALL_RESOURCES, "entities": SMALL_ENTITIES}), Embedder())


@pytest.fixture(scope="session")
def build_small_memory():
    """build(path): writes the small memory (SMALL_RESOURCES, SMALL_ENTITIES) at path."""
    return _build_small_memory


@contextlib.contextmanager
def small_memory_client(tmp_path_factory, build_small_memory, name: str,
                        token: str = "s3cret-token"):
    """A TestClient (lifespan entered) over a fresh small memory and a token."""
    from fastapi.testclient import TestClient

    from augur.service.app import create_app
    from augur.service.config import ServiceConfig

    tmp = tmp_path_factory.mktemp(name)
    build_small_memory(tmp / "memory.db")
    with TestClient(create_app(ServiceConfig(models_dir=tmp / "models", token=token,
                                             memory_store=str(tmp / "memory.db")))) as c:
        yield c


@pytest.fixture(scope="session")
def memory_client_factory(tmp_path_factory, build_small_memory):
    """memory_client_factory(name): small_memory_client as a context manager."""
    return lambda name: small_memory_client(tmp_path_factory, build_small_memory, name)
