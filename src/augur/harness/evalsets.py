"""The harness's data: eval sets and the training range its baselines are fit on.

Synthetic eval sets are regenerated from the simulator by constants of the
harness and cached as JSON Lines; their SHA-256 must match the manifest, so a
change to the simulator that moves the eval data is caught, not absorbed.
Imported logs are split by whole stream with a seeded hash.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from augur.events.io import group_streams, read_jsonl, write_jsonl
from augur.events.schema import Event
from augur.events.vocab import ACTIONS
from augur.frozen import file_sha256
from augur.harness import constants as C


@dataclass
class EvalStream:
    """One stream: events[:score_from] are history only, the rest are scored."""

    events: list[Event]
    score_from: int = 0


@dataclass
class EvalSet:
    name: str
    description: str
    streams: list[EvalStream]
    actions: tuple[str, ...]  # the action vocabulary the predictor must score over
    synthetic: bool  # whether the simulator's probabilities (the ceiling) exist
    checksum: str = ""
    train: list[list[Event]] = field(default_factory=list)  # what baselines are fit on


def cache_dir() -> Path:
    """Where generated eval data is kept: per harness version and per simulator source, so
    editing the simulator regenerates the data (and the checksum check then catches it)."""
    base = os.environ.get("AUGUR_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "augur")
    return Path(base) / f"harness-v{C.HARNESS_VERSION}" / _simulator_fingerprint()


def _simulator_fingerprint() -> str:
    import augur.events

    h = hashlib.sha256()
    for p in sorted(Path(augur.events.__file__).parent.glob("*.py")):
        h.update(p.name.encode() + b"\0" + p.read_bytes())
    return h.hexdigest()[:16]


def synthetic_files(progress: bool = False) -> dict[str, Path]:
    """Make (or reuse) the cached synthetic data files; returns name -> path."""
    from augur.events.persona import KnowledgeWorkerPersona

    root = cache_dir()
    paths = {name: root / f"{name}.jsonl" for name in ("baseline_train", "temporal", "cold_start")}
    if all(p.is_file() for p in paths.values()):
        return paths
    events = KnowledgeWorkerPersona(C.TRAIN_SEED).generate(
        C.TRAIN_DAYS + C.HOLDOUT_DAYS, progress=progress)
    cut = _holdout_start(events)
    write_jsonl(paths["baseline_train"], events[:cut])
    write_jsonl(paths["temporal"], events[max(0, cut - C.CONTEXT_EVENTS):])
    cold: list[Event] = []
    for seed in C.COLD_START_SEEDS:
        cold += KnowledgeWorkerPersona(seed).generate(C.COLD_START_DAYS, progress=progress)
    write_jsonl(paths["cold_start"], cold)
    return paths


def _holdout_start(events: list[Event]) -> int:
    """Index of the first event on day TRAIN_DAYS (the persona's local calendar)."""
    first = events[0].ts
    day0 = first.replace(hour=0, minute=0, second=0, microsecond=0)
    cut_ts = day0 + timedelta(days=C.TRAIN_DAYS)
    return next(i for i, e in enumerate(events) if e.ts >= cut_ts)


def synthetic_eval_sets(checksums: dict[str, str], progress: bool = False) -> list[EvalSet]:
    """The two synthetic eval sets, checked against `checksums` (name -> sha256)."""
    paths = synthetic_files(progress)
    actual = {name: file_sha256(p) for name, p in paths.items()}
    verify_data(actual, checksums)
    train = [read_jsonl(paths["baseline_train"])]
    temporal = read_jsonl(paths["temporal"])
    cold = group_streams(read_jsonl(paths["cold_start"]))
    score_from = min(C.CONTEXT_EVENTS, len(temporal))
    return [
        EvalSet("temporal", f"persona {C.TRAIN_SEED}, the {C.HOLDOUT_DAYS} days after its "
                f"{C.TRAIN_DAYS}-day training range", [EvalStream(temporal, score_from)],
                ACTIONS, True, actual["temporal"], train),
        EvalSet("cold_start", f"{C.COLD_START_DAYS} days each of held-out personas "
                f"{', '.join(map(str, C.COLD_START_SEEDS))}",
                [EvalStream(evs) for evs in cold.values()], ACTIONS, True,
                actual["cold_start"], train),
    ]


def verify_data(actual: dict[str, str], expected: dict[str, str]) -> None:
    from augur.frozen import verify_data as verify
    from augur.harness.manifest import HARNESS

    verify(HARNESS, actual, expected, f"cache: {cache_dir()}")


def imported_eval_set(path: Path) -> EvalSet:
    """An imported log split by whole stream; baselines fit on the rest."""
    events = read_jsonl(path)
    streams = group_streams(events)
    actions = tuple(sorted({e.action for e in events if e.action}
                           | {e.labels.next_action for e in events
                              if e.labels and e.labels.next_action}))
    train, test = [], []
    for name, evs in streams.items():
        (test if is_eval_stream(name) else train).append(evs)
    if not test or not train:
        raise ValueError(f"{path}: {len(streams)} stream(s) is too few to split into train and "
                         "eval by stream; import with more cases or people")
    return EvalSet(path.stem, f"imported log {path.name}: {len(test)} of {len(streams)} streams "
                   f"held out by seeded hash", [EvalStream(evs) for evs in test], actions,
                   False, file_sha256(path), train)


def is_eval_stream(name: str) -> bool:
    digest = hashlib.sha256(f"{C.IMPORT_SPLIT_SEED}:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < C.IMPORT_EVAL_FRACTION
