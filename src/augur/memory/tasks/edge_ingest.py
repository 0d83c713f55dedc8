"""Ingest proposes edges: REM task 2's wiring into the memory.

    edges = propose_edges(store, batch, vectors)        # before the batch is written
    store.add(MemoryBatch(..., edges=[*batch.edges, *edges]), vectors)

For every new or changed resource of a batch (those embedded this time), its
`ProposeConfig.neighbours` nearest resources by MiniLM cosine are its candidates:
records already in the store (the store's vector search) and the batch's own older
resources (a pair of two new resources is proposed once, from the newer, as if they
had arrived one by one). The task-2 model (`scorer` by default, fitted on the frozen
train split once per process) scores them, with the cosine the search found, and
each edge that passes the operating threshold is kept with its type, score, reason,
`metadata.topic_overlap`, provenance "edges:<model>" and valid_at the newer
resource's created_at. A pair some other source already links (the world, a person,
an API call: any other provenance, in the store or in the batch) is left alone, so
a proposal never overwrites or duplicates their edge. Re-ingesting a resource that
has not changed embeds nothing and so proposes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from augur.memory.model import Edge, MemoryBatch, Resource
from augur.memory.store.base import Filters, Store
from augur.memory.tasks.harness import constants as C
from augur.memory.tasks.harness.edge_schema import EdgeResource

PROVENANCE = "edges:"  # + the model's name
_MODELS: dict[str, Any] = {}  # fitted task-2 models by name, built once per process


@dataclass
class ProposeConfig:
    model: str = "scorer"  # a task-2 model (edge_models.MODELS)
    neighbours: int = 12  # nearest resources scored per new resource (more amortise the
    # new resource's own costs; the scorer was trained with 8 candidates a source)
    writer: Any = None  # writer_models: reasons and topics of the edges kept, written by it


def edge_model(name: str = "scorer", embedder=None):
    """The task-2 model `name`, fitted on the frozen train split the first time it is
    asked for in this process (about 10 s, most of it loading the split's vectors
    from the on-disk cache), then kept."""
    if name not in _MODELS:
        from augur.memory.tasks.edge_models import harness_vectors, make_edge_model

        vectors = harness_vectors(embedder) if name in ("cosine", "scorer") else None
        _MODELS[name] = make_edge_model(name, vectors)
    return _MODELS[name]


def edge_resource(rec: Resource | dict[str, Any]) -> EdgeResource:
    """What a task-2 model sees of a stored or incoming resource."""
    get = rec.get if isinstance(rec, dict) else lambda k: getattr(rec, k)
    return EdgeResource(id=get("id"), kind=get("kind") or "document", name=get("name"),
                        content=(get("content") or "")[:C.EDGE_CONTENT_CHARS],
                        created_at=get("created_at"))


def _order(r: Resource) -> tuple:
    return (r.created_at, r.id)


def _linked_elsewhere(store: Store, ids: list[str], batch: MemoryBatch,
                      provenance: str) -> set[frozenset]:
    """Pairs touching `ids` that an edge of another provenance links, in the store (open
    or closed) or in the batch."""
    out = {frozenset((e.from_id, e.to_id)) for e in batch.edges}
    for start in range(0, len(ids), 250):
        quoted = ", ".join("'" + i.replace("'", "''") + "'" for i in ids[start:start + 250])
        _, rows = store.select(
            f"SELECT from_id, to_id, provenance FROM edges WHERE from_id IN ({quoted}) "
            f"UNION SELECT from_id, to_id, provenance FROM edges WHERE to_id IN ({quoted})",
            1_000_000, 60.0)
        out |= {frozenset((a, b)) for a, b, p in rows if p != provenance}
    return out


def _batch_neighbours(new: list[Resource], matrix: np.ndarray, k: int
                      ) -> list[list[tuple[int, float]]]:
    """For each new resource, its k nearest older resources of the batch: (index, cosine)."""
    order = np.empty(len(new), dtype=np.int64)  # each one's rank in time
    order[sorted(range(len(new)), key=lambda i: _order(new[i]))] = np.arange(len(new))
    out = []
    for start in range(0, len(new), 512):  # (512, N) cosines at a time
        sims = matrix[start:start + 512] @ matrix.T
        for row, i in zip(sims, range(start, start + len(sims)), strict=True):
            row = np.where(order < order[i], row, -np.inf)
            top = np.argpartition(-row, k - 1)[:k] if len(row) > k else np.arange(len(row))
            top = top[np.argsort(-row[top], kind="stable")]
            out.append([(int(j), float(row[j])) for j in top if np.isfinite(row[j])])
    return out


def propose_edges(store: Store, batch: MemoryBatch, vectors: dict[str, np.ndarray],
                  cfg: ProposeConfig | None = None, model=None, embedder=None) -> list[Edge]:
    """The edges the task-2 model proposes for the batch's resources that have a vector
    in `vectors` (see the module's docstring). Call it before the batch is written."""
    cfg = cfg or ProposeConfig()
    if cfg.neighbours < 1:
        raise ValueError(f"neighbours: expected a positive number, got {cfg.neighbours}")
    new = [r for r in batch.resources if r.id in vectors]
    if not new:
        return []
    model = model or edge_model(cfg.model, embedder)
    provenance = PROVENANCE + model.name
    new_ids = {r.id for r in new}
    matrix = np.stack([np.asarray(vectors[r.id], dtype=np.float32) for r in new])
    matrix /= np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)
    in_batch = _batch_neighbours(new, matrix, cfg.neighbours)
    taken = _linked_elsewhere(store, sorted(new_ids), batch, provenance)
    views = {r.id: edge_resource(r) for r in new}
    # The batch's records already stored (changed ones: their stored versions are
    # stale) are left out of the store's hits, so ask for that many more.
    limit = cfg.neighbours + min(len(store.digests("resources", sorted(new_ids))), 200)
    stored: dict[str, EdgeResource] = {}
    edges: list[Edge] = []
    for i, r in enumerate(new):
        hits = [(h, s) for h, s in store.vector(matrix[i], "resources", Filters(), limit)
                if h not in new_ids]
        hits += [(new[j].id, s) for j, s in in_batch[i]]
        hits = sorted(hits, key=lambda x: -x[1])[:cfg.neighbours]
        hits = [(h, s) for h, s in hits if frozenset((r.id, h)) not in taken]
        cands, cos = [], []
        for h, s in hits:
            if h in views:
                cands.append(views[h])
            else:
                if h not in stored:
                    row = store.get("resources", h)
                    if row is None:
                        continue
                    stored[h] = edge_resource(row)
                cands.append(stored[h])
            cos.append(s)
        if cands:
            preds = model.predict_batch(views[r.id], cands, cos=np.array(cos))
            if cfg.writer is not None:  # words only for what passed, so per edge kept
                from augur.memory.tasks.writer_models import rewrite_edge

                for c, p in zip(cands, preds, strict=True):
                    if p.valid:
                        p.output = rewrite_edge(cfg.writer, views[r.id], c, p.output)
            edges += _edges(views[r.id], cands, preds, provenance)
    return edges


def _edges(source: EdgeResource, cands: list[EdgeResource], preds, provenance: str
           ) -> list[Edge]:
    out = []
    for c, p in zip(cands, preds, strict=True):
        if not p.valid or p.output.type == "none":
            continue
        valid = max(source.created_at, c.created_at)  # when both existed
        out.append(Edge(from_id=source.id, to_id=c.id, type=p.output.type,
                        score=p.output.score, reason=p.output.reason,
                        metadata={"topic_overlap": p.output.metadata.topic_overlap},
                        provenance=provenance, created_at=valid, valid_at=valid))
    return out
