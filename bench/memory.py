"""Benchmark of REM memory; prints one JSON object.

    augur bench memory [--sizes 10000 100000] [--stores sqlite postgres] [--runs 200]
                       [--queries 300] [--ingest-sample 1000]

ingest: the same --ingest-sample world resources embedded raw (all-MiniLM-L6-v2,
texts/s) and ingested into a fresh store (embedding + the store's transaction,
resources/s), in the same run; `ratio` is ingest over raw (target >= 0.7).

latency: for each store and size, p50/p99 in ms over --runs calls of LOOKUP (ids and
names), FUZZY (names with two letters changed), SEARCH (the labelled requests;
the query's embedding included) and TRAVERSE depth 2, through the executor as a user
calls it, and SEARCH_store_only (the same requests, embedded beforehand); for SQLite
also `vector_index`: the share of the exact top 50 its vector index finds, and the
query embedding's own latency. The corpus is the memory of --people simulated
people (42, 43, ...; 90 days each); past their resources, the same texts again
under fresh ids (said in `corpus`): latency depends on the count, and
all-MiniLM-L6-v2 embeds 10 to 25 texts/s on these two cores, so 100k distinct
texts would take hours. Vectors are
embedded once and cached under $AUGUR_CACHE (default ~/.cache/augur).

recall: recall@10 on --queries labelled requests (augur.memory.world.world_queries:
the right resource is known, the wording is not its title) over person 42's
memory, for hybrid search and for each retriever alone.
Targets: p50 <= 20 ms and p99 <= 100 ms per operation on SQLite at 100k; hybrid
recall@10 >= 3 points above the better single retriever.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

TARGETS = {"p50_ms": 20.0, "p99_ms": 100.0, "ingest_ratio": 0.7, "recall_gain": 0.03}
OPS = ("LOOKUP", "FUZZY", "SEARCH", "TRAVERSE")


def _cache() -> Path:
    root = Path(os.environ.get("AUGUR_CACHE", Path.home() / ".cache" / "augur"))
    (root / "bench-memory").mkdir(parents=True, exist_ok=True)
    return root / "bench-memory"


def _worlds(people: int, days: int):
    """The memories of simulated people 42, 43, ..."""
    from augur.memory.ingest import world_batch

    return [world_batch(42 + i, days) for i in range(people)]


def _vectors(embedder, texts: list[str]) -> np.ndarray:
    """Embeddings of `texts`, cached by text hash across runs."""
    path = _cache() / "vectors.npz"
    known: dict[str, np.ndarray] = {}
    if path.is_file():
        with np.load(path) as z:
            known = dict(zip(z["keys"].tolist(), z["vecs"], strict=True))
    keys = [hashlib.sha1(t.encode()).hexdigest() for t in texts]
    todo = sorted({k: t for k, t in zip(keys, texts, strict=True) if k not in known}.items())
    if todo:
        print(f"embedding {len(todo)} new texts (cached afterwards)", file=sys.stderr)
        for start in range(0, len(todo), 2048):
            chunk = todo[start:start + 2048]
            vecs = embedder.embed([t for _, t in chunk])
            known.update({k: v for (k, _), v in zip(chunk, vecs, strict=True)})
        np.savez(path, keys=np.array(list(known)), vecs=np.stack(list(known.values())))
    return np.stack([known[k] for k in keys])


def _corpus(size: int, batches):
    """`size` resources (+ the people's entities, moments and edges once), copies with
    fresh ids past the distinct ones."""
    from augur.memory.model import MemoryBatch

    # Each simulated world numbers its own records (both have a pr-33): keep the first
    # of an id, or the store would fold them into one row and hold fewer than `size`.
    distinct = list({r.id: r for b in batches for r in b.resources}.values())
    resources = list(distinct[:size])
    copy = 0
    while len(resources) < size:
        copy += 1
        for r in distinct[: size - len(resources)]:
            resources.append(r.model_copy(update={"id": f"{r.id}-c{copy}"}))
    merged = MemoryBatch(resources=resources,
                         entities=list({e.id: e for b in batches for e in b.entities}.values()),
                         moments=[m for b in batches for m in b.moments],
                         edges=[e for b in batches for e in b.edges])
    return merged, len(set(r.id for r in distinct[:size]))


def _open(kind: str, tmp: Path, pg_url: str | None, name: str):
    from augur.memory.store.sqlite import SQLiteStore

    if kind == "sqlite":
        return SQLiteStore(tmp / f"{name}.db")
    from augur.memory.store.postgres import PostgresStore

    return PostgresStore(pg_url, schema=f"bench_{name}")


def _pct(xs: list[float]) -> dict:
    xs = sorted(xs)
    return {"p50_ms": round(statistics.median(xs), 3),
            "p99_ms": round(xs[min(len(xs) - 1, int(0.99 * len(xs)))], 3)}


def _misspell(name: str, rng: random.Random) -> str:
    chars = list(name)
    for _ in range(2):
        i = rng.randrange(len(chars))
        chars[i] = rng.choice("abcdefghijklmnopqrstuvwxyz")
    return "".join(chars)


class Precomputed:
    """An embedder that answers from vectors made beforehand."""

    def __init__(self, embedder, texts: list[str]) -> None:
        texts = list(dict.fromkeys(texts))
        self.known = dict(zip(texts, embedder.embed(texts), strict=True))

    def embed_one(self, text: str) -> np.ndarray:
        return self.known[text]


def _latency(ex, batch, queries, runs: int, seed: int) -> dict:
    from augur.memory.executor import Executor
    from augur.memory.query import FuzzyQuery, LookupQuery, SearchQuery, TraverseQuery

    rng = random.Random(seed)
    res = batch.resources
    linked = sorted({e.from_id for e in batch.edges if e.from_id.split("-")[0] in
                     ("pr", "thread", "ticket", "doc", "incident")}) or [r.id for r in res]
    make = {
        "LOOKUP": lambda: LookupQuery(key=rng.choice(res).id if rng.random() < 0.5
                                      else rng.choice(res).name),
        "FUZZY": lambda: FuzzyQuery(query_text=_misspell(rng.choice(res).name[:60], rng)),
        "SEARCH": lambda: SearchQuery(query_text=rng.choice(queries).text),
        "TRAVERSE": lambda: TraverseQuery(key=rng.choice(linked), depth=2),
    }
    # SEARCH again with each request's embedding made beforehand: the store's share of
    # SEARCH, beside the whole (the query embedding alone is ~11-18 ms on two cores).
    known = Precomputed(ex.embedder, [q.text for q in queries])
    store_only = Executor(ex.store, known, ex.cfg)
    make["SEARCH_store_only"] = make["SEARCH"]
    out = {}
    for op in (*OPS, "SEARCH_store_only"):
        run = store_only.run if op == "SEARCH_store_only" else ex.run
        for _ in range(5):
            run(make[op]())  # warm caches (the vector matrix, prepared statements)
        times = []
        for _ in range(runs):
            q = make[op]()
            t0 = time.perf_counter()
            run(q)
            times.append((time.perf_counter() - t0) * 1000)
        out[op] = _pct(times)
    return out


def _vector_recall(ids, vecs, batch, embedder, queries, k: int = 50) -> dict:
    """How much of the exact top `k` (by cosine) the SQLite store's vector index finds,
    over the labelled requests; and the query embedding's own latency, the part of
    SEARCH no store can remove."""
    from augur.memory.store.vector_index import VectorIndex

    n = len(batch.resources)
    index = VectorIndex(ids[:n], vecs[:n])
    qv = embedder.embed([q.text for q in queries[:100]])
    found = []
    for q in qv:
        exact_kth = np.sort(vecs[:n] @ q)[-k]
        got = index.search(q, k)
        # By score, not id: the corpus repeats texts, so tied rows are interchangeable.
        found.append(np.mean([s >= exact_kth - 1e-6 for _, s in got]))
    times = []
    for q in queries[:100]:
        t0 = time.perf_counter()
        embedder.embed_one(q.text)
        times.append((time.perf_counter() - t0) * 1000)
    return {"mode": "projected" if index.projected is not None else "exact",
            f"recall_at_{k}_vs_exact": round(float(np.mean(found)), 4),
            "query_embed": _pct(times)}


def _recall(store, embedder, queries, k: int = 10) -> dict:
    from augur.memory.search import hybrid_search
    from augur.memory.store.base import Filters

    modes = {"hybrid": ("semantic", "bm25", "entity"), "semantic": ("semantic",),
             "bm25": ("bm25",)}
    vecs = embedder.embed([q.text for q in queries])
    hits = {m: 0 for m in modes}
    for q, v in zip(queries, vecs, strict=True):
        for m, retrievers in modes.items():
            found = hybrid_search(store, q.text, "resources", Filters(), k, v,
                                  retrievers=retrievers)
            hits[m] += any(h.id == q.target_id for h in found)
    rec = {m: round(h / len(queries), 4) for m, h in hits.items()}
    best_single = max(rec["semantic"], rec["bm25"])
    return {**rec, "queries": len(queries), "k": k,
            "gain_over_best_single": round(rec["hybrid"] - best_single, 4)}


def main() -> None:
    ap = argparse.ArgumentParser(prog="augur bench memory", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--stores", nargs="+", choices=("sqlite", "postgres"),
                    default=["sqlite", "postgres"])
    ap.add_argument("--runs", type=int, default=200, help="timed calls per operation")
    ap.add_argument("--queries", type=int, default=300, help="labelled requests for recall")
    ap.add_argument("--ingest-sample", type=int, default=300,
                    help="resources embedded raw and ingested (default 300)")
    ap.add_argument("--days", type=int, default=90, help="days per simulated person")
    ap.add_argument("--people", type=int, default=2,
                    help="simulated people whose distinct texts make the corpus (default 2: "
                         "all-MiniLM-L6-v2 embeds about 10-25 texts/s on two cores)")
    args = ap.parse_args()

    import torch

    from augur.memory.embed import Embedder
    from augur.memory.executor import Executor
    from augur.memory.ingest import ingest
    from augur.memory.model import MemoryBatch
    from augur.memory.world import world_queries

    torch.set_num_threads(2)
    embedder = Embedder()
    batches = _worlds(args.people, args.days)
    person = batches[0]
    queries = world_queries(person, seed=7, n=args.queries)
    report: dict = {"targets": TARGETS, "torch_threads": torch.get_num_threads()}

    server = None
    tmp = Path(tempfile.mkdtemp(prefix="augur-bench-memory-"))
    pg_url = None
    if "postgres" in args.stores:
        from augur.memory.pgserver import PgServer, PgServerConfig

        server = PgServer(PgServerConfig(data_dir=tmp / "pg"))
        pg_url = server.start()
    try:
        # ---- ingest against raw embedding, same texts, same run ----
        sample = person.resources[: args.ingest_sample]
        embedder.embed([r.text() for r in sample[:32]])  # load the model before timing
        t0 = time.perf_counter()
        embedder.embed([r.text() for r in sample])
        raw = len(sample) / (time.perf_counter() - t0)
        report["ingest"] = {"texts": len(sample), "raw_embed_per_s": round(raw, 1)}
        for kind in args.stores:
            store = _open(kind, tmp, pg_url, "ingest")
            t0 = time.perf_counter()
            ingest(store, MemoryBatch(resources=sample), embedder)
            rate = len(sample) / (time.perf_counter() - t0)
            store.close()
            report["ingest"][kind] = {"resources_per_s": round(rate, 1),
                                      "ratio": round(rate / raw, 3)}

        # ---- recall on one person's memory ----
        store = _open("sqlite", tmp, pg_url, "recall")
        texts = [r.text() for r in person.resources] + [m.text() for m in person.moments]
        ids = [r.id for r in person.resources] + [m.id for m in person.moments]
        store.add(person, dict(zip(ids, _vectors(embedder, texts), strict=True)))
        report["recall"] = _recall(store, embedder, queries)
        store.close()

        # ---- latency at each size ----
        report["latency"] = {}
        for size in args.sizes:
            batch, distinct = _corpus(size, batches)
            texts = [r.text() for r in batch.resources] + [m.text() for m in batch.moments]
            vecs = _vectors(embedder, texts)
            ids = [r.id for r in batch.resources] + [m.id for m in batch.moments]
            vectors = dict(zip(ids, vecs, strict=True))
            report.setdefault("corpus", {})[str(size)] = {
                "resources": len(batch.resources), "distinct_texts": distinct,
                "moments": len(batch.moments), "edges": len(batch.edges),
                "people": len(batches)}
            for kind in args.stores:
                store = _open(kind, tmp, pg_url, f"s{size}")
                t0 = time.perf_counter()
                store.add(batch, vectors)
                build = time.perf_counter() - t0
                ex = Executor(store, embedder)
                lat = _latency(ex, batch, queries, args.runs, seed=size)
                lat["build_s"] = round(build, 1)
                if kind == "sqlite":
                    lat["vector_index"] = _vector_recall(ids, vecs, batch, embedder, queries)
                report["latency"].setdefault(kind, {})[str(size)] = lat
                store.close()
    finally:
        if server is not None:
            server.stop()
    sq = report["latency"].get("sqlite", {}).get(str(max(args.sizes)), {})
    report["meets"] = {
        "sqlite_latency": all(sq.get(op, {}).get("p50_ms", 1e9) <= TARGETS["p50_ms"]
                              and sq.get(op, {}).get("p99_ms", 1e9) <= TARGETS["p99_ms"]
                              for op in OPS),
        "ingest_ratio": report["ingest"].get("sqlite", {}).get("ratio", 0)
        >= TARGETS["ingest_ratio"],
        "recall_gain": report["recall"]["gain_over_best_single"] >= TARGETS["recall_gain"]}
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
