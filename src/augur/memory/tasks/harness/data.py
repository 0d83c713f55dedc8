"""The task datasets as files: generated once from code and constants, cached as JSON
lines, checked against the manifest before use.

    query_examples("test")          task 1's frozen test split
    query_examples("handwritten")   the hand-written requests (committed, not generated)
    edge_examples("val")            task 2's frozen val split (source -> candidate pairs)
    moment_examples("test")         task 3's frozen test split (transcripts and moments)
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from augur.memory.tasks.harness import constants as C
from augur.memory.tasks.harness.edge_schema import EdgeExample
from augur.memory.tasks.harness.examples import QueryExample
from augur.memory.tasks.harness.moment_schema import MomentExample

HERE = Path(__file__).resolve().parent
HANDWRITTEN = HERE / "data" / "query_handwritten.jsonl"
QUERY_SPLITS = ("train", "val", "test", "handwritten")
EDGE_SPLITS = ("train", "val", "test")
MOMENT_SPLITS = ("train", "val", "test")


def cache_dir() -> Path:
    base = os.environ.get("AUGUR_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "augur")
    return Path(base) / f"rem-tasks-v{C.REM_TASKS_VERSION}" / _world_fingerprint()


def _world_fingerprint() -> str:
    """Changes with the code the datasets come from (the simulator, the memory world,
    this harness), so an edit regenerates them and the checksum check catches it."""
    import augur.events
    import augur.memory

    h = hashlib.sha256()
    files = [*Path(augur.events.__file__).parent.glob("*.py"),
             *Path(augur.memory.__file__).parent.glob("world*.py"),
             *Path(augur.memory.__file__).parent.glob("query.py"),
             *Path(augur.memory.__file__).parent.glob("dialect.*"), *HERE.glob("*.py")]
    for p in sorted(files):
        h.update(p.name.encode() + b"\0" + p.read_bytes())
    return h.hexdigest()[:16]


def dataset_files(fresh: bool = False) -> dict[str, Path]:
    """name -> file of every dataset the manifest seals (generated when missing)."""
    from augur.memory.tasks.harness.query_data import build_query_examples, write_jsonl

    root = cache_dir()
    paths = {f"query_{s}": root / f"query_{s}.jsonl" for s in ("train", "val", "test")}
    if fresh or not all(p.is_file() for p in paths.values()):
        examples = build_query_examples()
        root.mkdir(parents=True, exist_ok=True)
        for split in ("train", "val", "test"):
            write_jsonl([e for e in examples if e.split == split], paths[f"query_{split}"])
    edges = {f"edge_{s}": root / f"edge_{s}.jsonl" for s in EDGE_SPLITS}
    if fresh or not all(p.is_file() for p in edges.values()):
        from augur.memory.tasks.harness.edge_data import build_edge_examples

        pairs = build_edge_examples()
        root.mkdir(parents=True, exist_ok=True)
        for split in EDGE_SPLITS:
            write_jsonl([e for e in pairs if e.split == split], edges[f"edge_{split}"])
    moments = {f"moment_{s}": root / f"moment_{s}.jsonl" for s in MOMENT_SPLITS}
    if fresh or not all(p.is_file() for p in moments.values()):
        from augur.memory.tasks.harness.moment_data import build_moment_examples

        transcripts = build_moment_examples()
        root.mkdir(parents=True, exist_ok=True)
        for split in MOMENT_SPLITS:
            write_jsonl([e for e in transcripts if e.split == split], moments[f"moment_{split}"])
    return {**paths, "query_handwritten": HANDWRITTEN, **edges, **moments}


def query_examples(split: str, verify: bool = True) -> list[QueryExample]:
    """One split of task 1, after the manifest check (FrozenChangedError if changed)."""
    from augur.memory.tasks.harness.query_data import read_jsonl

    if split not in QUERY_SPLITS:
        raise ValueError(f"split: expected one of {', '.join(QUERY_SPLITS)}, got {split!r}")
    if verify:
        from augur.memory.tasks.harness.manifest import verify as verify_manifest

        verify_manifest()
    return read_jsonl(dataset_files()[f"query_{split}"])


def edge_examples(split: str, verify: bool = True) -> list[EdgeExample]:
    """One split of task 2, after the manifest check (FrozenChangedError if changed)."""
    from augur.memory.tasks.harness.edge_data import read_edge_jsonl

    if split not in EDGE_SPLITS:
        raise ValueError(f"split: expected one of {', '.join(EDGE_SPLITS)}, got {split!r}")
    if verify:
        from augur.memory.tasks.harness.manifest import verify as verify_manifest

        verify_manifest()
    return read_edge_jsonl(dataset_files()[f"edge_{split}"])


def moment_examples(split: str, verify: bool = True) -> list[MomentExample]:
    """One split of task 3, after the manifest check (FrozenChangedError if changed)."""
    from augur.memory.tasks.harness.moment_data import read_moment_jsonl

    if split not in MOMENT_SPLITS:
        raise ValueError(f"split: expected one of {', '.join(MOMENT_SPLITS)}, got {split!r}")
    if verify:
        from augur.memory.tasks.harness.manifest import verify as verify_manifest

        verify_manifest()
    return read_moment_jsonl(dataset_files()[f"moment_{split}"])
