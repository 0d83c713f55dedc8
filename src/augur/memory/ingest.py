"""Building a memory: from the persona world, a folder of text and markdown files, or
JSON lines of records.

Every source becomes one `MemoryBatch`, embedded, then written by `store.add` in a
single transaction: an error or a kill -9 part-way leaves the store as it was.
Records keep stable ids (world ids, file paths, the JSON's own ids), so ingesting
the same source again adds nothing, and records whose content has not changed are
not embedded again. With `propose_edges`, REM task 2's model links each new or
changed resource to its nearest neighbours in the same transaction
(augur.memory.tasks.edge_ingest).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from pydantic import ValidationError

from augur.errors import AugurError
from augur.memory.model import Edge, Entity, Fact, MemoryBatch, Moment, Resource, slug
from augur.memory.store.base import AddResult, Store
from augur.memory.store.rows import digest

TEXT_SUFFIXES = (".md", ".markdown", ".txt")
_TABLE_MODELS = {"resources": Resource, "entities": Entity, "moments": Moment,
                 "edges": Edge, "facts": Fact}


class IngestError(AugurError):
    """A source that cannot be read as memory; names the file, line and field."""


@dataclass
class IngestReport:
    source: str
    records: int  # in the source
    embedded: int  # texts embedded this time (unchanged records are not)
    result: AddResult
    seconds: float
    proposed_edges: int = 0  # edges task 2's model proposed (0 unless asked to)

    def to_json(self) -> dict:
        return {"source": self.source, "records": self.records, "embedded": self.embedded,
                "added": self.result.added, "updated": self.result.updated,
                "invalidated_facts": self.result.invalidated_facts,
                "proposed_edges": self.proposed_edges,
                "seconds": round(self.seconds, 3)}


def ingest(store: Store, batch: MemoryBatch, embedder=None, source: str = "batch",
           progress: bool = False, propose_edges=None) -> IngestReport:
    """Embed what is new or changed in `batch`, then add it all in one transaction.
    `propose_edges` (an edge_ingest.ProposeConfig, or True for the default one): also
    add the edges task 2's model proposes between each new or changed resource and
    its nearest neighbours; it needs the embedder."""
    import time

    t0 = time.perf_counter()
    vectors: dict[str, np.ndarray] = {}
    if embedder is not None:
        todo = []
        for table in ("resources", "moments"):
            recs = getattr(batch, table)
            known = store.digests(table, [r.id for r in recs])
            todo += [r for r in recs if known.get(r.id) != digest(r)]
        vectors = _embed(embedder, todo, progress)
    proposed: list[Edge] = []
    if propose_edges:
        if embedder is None:
            raise IngestError("proposing edges needs embeddings (a new resource's candidates "
                              "are its nearest neighbours by vector); drop --no-embed or "
                              "--propose-edges")
        from augur.memory.tasks.edge_ingest import ProposeConfig
        from augur.memory.tasks.edge_ingest import propose_edges as propose

        cfg = propose_edges if isinstance(propose_edges, ProposeConfig) else None
        proposed = propose(store, batch, vectors, cfg, embedder=embedder)
        batch = batch.model_copy(update={"edges": [*batch.edges, *proposed]})
    result = store.add(batch, vectors)
    return IngestReport(source, len(batch) - len(proposed), len(vectors), result,
                        time.perf_counter() - t0, len(proposed))


def _embed(embedder, records: list, progress: bool) -> dict[str, np.ndarray]:
    from tqdm import tqdm

    out: dict[str, np.ndarray] = {}
    step = 256
    with tqdm(total=len(records), unit="text", desc="embedding", leave=False,
              disable=True if not progress else None) as bar:
        for start in range(0, len(records), step):
            chunk = records[start:start + step]
            vecs = embedder.embed([r.text() for r in chunk])
            out.update({r.id: v for r, v in zip(chunk, vecs, strict=True)})
            bar.update(len(chunk))
    return out


def world_batch(seed: int, days: int) -> MemoryBatch:
    from augur.memory.world import WorldConfig, world_memory

    return world_memory(WorldConfig(seed=seed, days=days))


def folder_batch(folder: Path) -> MemoryBatch:
    """Each .md / .txt file under `folder` becomes a document resource; its id comes from
    its path, its name from its first heading (else the file name), its time from its
    modification time."""
    folder = Path(folder)
    files = sorted(p for p in folder.rglob("*") if p.is_file()
                   and p.suffix.lower() in TEXT_SUFFIXES)
    if not files:
        raise IngestError(f"{folder}: no {', '.join(TEXT_SUFFIXES)} files found under it")
    resources = []
    for p in files:
        try:
            text = p.read_text(encoding="utf-8")
        except UnicodeDecodeError as e:
            raise IngestError(f"{p}: not UTF-8 text ({e.reason} at byte {e.start}); "
                              "convert it or move it out of the folder") from None
        rel = p.relative_to(folder).as_posix()
        digest = hashlib.sha1(rel.encode()).hexdigest()[:8]
        resources.append(Resource(
            id=f"file-{slug(rel)[:80]}-{digest}", name=_title(text, p), content=text,
            kind="document" if p.suffix.lower() != ".txt" else "note",
            created_at=datetime.fromtimestamp(p.stat().st_mtime, UTC), source=f"file:{rel}"))
    return MemoryBatch(resources=resources)


def _title(text: str, path: Path) -> str:
    for line in text.splitlines():
        if line.strip():
            return line.strip().lstrip("#").strip()[:200] or path.stem
    return path.stem


def jsonl_batch(path: Path) -> MemoryBatch:
    """JSON lines of resources, or of any records tagged {"table": ...} (what `augur
    memory export` writes)."""
    tables: dict[str, list] = {t: [] for t in _TABLE_MODELS}
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except json.JSONDecodeError as e:
                raise IngestError(f"{path}:{n}: not JSON ({e.msg} at column {e.colno})") from None
            if not isinstance(data, dict):
                raise IngestError(f"{path}:{n}: expected a JSON object, got "
                                  f"{type(data).__name__}")
            table = data.pop("table", "resources")
            if table not in _TABLE_MODELS:
                raise IngestError(f"{path}:{n}: field 'table' expected one of "
                                  f"{', '.join(_TABLE_MODELS)}, got {table!r}")
            if table == "moments" and "starts_at" in data:
                data["start"], data["end"] = data.pop("starts_at"), data.pop("ends_at")
            try:
                tables[table].append(_TABLE_MODELS[table].model_validate(data))
            except ValidationError as e:
                raise IngestError(f"{path}:{n}: " + "; ".join(
                    f"field '{'.'.join(map(str, x['loc']))}' {x['msg'].lower()} (got "
                    f"{x.get('input', 'nothing')!r:.60})" for x in e.errors())) from None
    if not any(tables.values()):
        raise IngestError(f"{path}: no records in it")
    return MemoryBatch(**tables)


def source_batch(source: Path) -> MemoryBatch:
    source = Path(source)
    if source.is_dir():
        return folder_batch(source)
    if not source.is_file():
        raise IngestError(f"{source}: no such file or folder; give a folder of text files, a "
                          ".jsonl file, or --persona N for the simulated world")
    if source.suffix.lower() in (".jsonl", ".ndjson"):
        return jsonl_batch(source)
    raise IngestError(f"{source}: expected a folder or a .jsonl file, got a "
                      f"{source.suffix or 'suffix-less'} file")
