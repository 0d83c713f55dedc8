"""A models folder with two tiny checkpoints (alpha, beta) and a TestClient over it."""

from __future__ import annotations

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
