"""REM stores behind one interface (base.Store): SQLite (one file, the default) and
PostgreSQL with pgvector and pg_trgm."""

from __future__ import annotations

from pathlib import Path

from augur.memory.store.base import Store, StoreError


def open_store(where: str | Path, dim: int = 384, create: bool = True) -> Store:
    """A PostgreSQL URL (postgresql://...) opens a PostgresStore, anything else is the
    path of a SQLite file (created if missing, unless `create` is False)."""
    text = str(where)
    if not create and "://" not in text and not Path(text).is_file():
        raise StoreError(f"no memory at {text}: build one first with `augur memory ingest "
                         "--persona 42` (or a folder / .jsonl), or name it with --store")
    if text.startswith(("postgresql://", "postgres://")):
        from augur.memory.store.postgres import PostgresStore

        return PostgresStore(text, dim=dim)
    from augur.memory.store.sqlite import SQLiteStore

    return SQLiteStore(Path(text), dim=dim)


__all__ = ["Store", "StoreError", "open_store"]
