"""The model registry: every checkpoint folder under the models directory.

Scanned again when a lookup misses, when /models asks, and otherwise at most
once a second (a listing and a few stats per model: a millisecond that the hot
path should not pay on every request), so a checkpoint written by /train or
`augur train` appears without a restart. Files are hashed once per (size,
mtime); a model is loaded on first use and kept while its hash holds. A
checkpoint that fails to load is remembered with its error and reported, while
every other model keeps serving.
"""

from __future__ import annotations

import hashlib
import json
import struct
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from augur.errors import AugurError
from augur.oracle.checkpoint import CONFIG, WEIGHTS


class UnknownModel(AugurError):
    def __init__(self, name: str, available: list[str]) -> None:
        self.name, self.available = name, available
        listed = ", ".join(available) if available else "none yet (train one with POST /train)"
        super().__init__(f"unknown model {name!r}; available: {listed}")


class BrokenModel(AugurError):
    """A registered checkpoint that cannot be loaded; the others still serve."""


@dataclass
class Entry:
    name: str
    path: Path
    sha256: str
    size_bytes: int
    created: str | None
    params: int | None
    composite: float | None
    error: str | None = None  # config.json unreadable, or the last load failed
    stamp: tuple = field(default=(), repr=False)


class Registry:
    def __init__(self, models_dir: Path, default: str | None = None) -> None:
        self.models_dir, self.default_name = Path(models_dir), default
        self._entries: dict[str, Entry] = {}
        self._loaded: dict[str, tuple[str, Any]] = {}  # name -> (sha256, loaded model)
        self._load_errors: dict[tuple[str, str], str] = {}  # (name, sha256) -> error
        self._lock = threading.Lock()
        self._scanned_at = -1e9
        self._sorted: list[Entry] = []

    def scan(self, max_age_s: float = 0.0) -> list[Entry]:
        """All checkpoints, newest first; a listing up to `max_age_s` old is reused.
        Folders starting with '.' are skipped: they are checkpoints still being
        written (see checkpoint.save_checkpoint)."""
        if time.monotonic() - self._scanned_at <= max_age_s:
            return self._sorted
        found = {}
        if self.models_dir.is_dir():
            for path in sorted(self.models_dir.iterdir()):
                if path.name.startswith(".") or not (path / CONFIG).is_file():
                    continue
                try:
                    stamp = tuple((f.stat().st_size, f.stat().st_mtime_ns)
                                  for f in (path / CONFIG, path / WEIGHTS) if f.exists())
                except OSError:  # removed while we looked
                    continue
                old = self._entries.get(path.name)
                found[path.name] = old if old and old.stamp == stamp else _describe(path, stamp)
        with self._lock:
            self._entries = found
            for name in list(self._loaded):
                if name not in found or self._loaded[name][0] != found[name].sha256:
                    del self._loaded[name]  # removed or rewritten: load afresh next time
        for e in found.values():
            e.error = e.error or self._load_errors.get((e.name, e.sha256))
        self._sorted = sorted(found.values(), key=lambda e: (e.created or "", e.name),
                              reverse=True)
        self._scanned_at = time.monotonic()
        return self._sorted

    def default(self, max_age_s: float = 0.0) -> str | None:
        entries = self.scan(max_age_s)
        if self.default_name is not None:
            return self.default_name
        usable = [e for e in entries if e.error is None]
        return usable[0].name if usable else None

    def entry(self, name: str | None, max_age_s: float = 1.0) -> Entry:
        """The entry of `name` (the default if None), from a listing at most
        `max_age_s` old, or a fresh one if that listing does not have it."""
        for age in (max_age_s, 0.0):
            entries = {e.name: e for e in self.scan(age)}
            wanted = name or self.default(age)
            if wanted is not None and wanted in entries:
                return entries[wanted]
        raise UnknownModel(wanted or "(default)", sorted(entries))

    def get(self, name: str | None, build):
        """The loaded model `name` (default if None); `build(oracle)` wraps a freshly
        loaded Oracle (the service adds its micro-batcher)."""
        e = self.entry(name)
        with self._lock:
            hit = self._loaded.get(e.name)
            if hit and hit[0] == e.sha256:
                return hit[1]
            known = self._load_errors.get((e.name, e.sha256))
        if known:
            raise BrokenModel(known)
        from augur.oracle.predictor import Oracle

        try:
            loaded = build(Oracle.load(e.path))
        except Exception as exc:  # any failure to load is this model's, not the server's
            message = f"model {e.name!r} cannot be loaded: {exc}"
            with self._lock:
                self._load_errors[(e.name, e.sha256)] = message
            e.error = message
            raise BrokenModel(message) from None
        with self._lock:
            self._loaded[e.name] = (e.sha256, loaded)
        return loaded


def checkpoint_sha256(path: Path) -> str:
    """The hash of a checkpoint's config and weights: the key of its harness report."""
    digest = hashlib.sha256()
    for f in (path / CONFIG, path / WEIGHTS):
        if f.is_file():
            with f.open("rb") as fh:
                for block in iter(lambda fh=fh: fh.read(1 << 20), b""):
                    digest.update(block)
    return digest.hexdigest()


def _describe(path: Path, stamp: tuple) -> Entry:
    size = sum(f.stat().st_size for f in path.iterdir() if f.is_file())
    entry = Entry(name=path.name, path=path, sha256=checkpoint_sha256(path), size_bytes=size,
                  created=None, params=None, composite=None, stamp=stamp)
    try:
        doc = json.loads((path / CONFIG).read_text())
        entry.composite = doc.get("summary", {}).get("val_after_calibration", {}).get(
            "composite")
        entry.created = doc.get("created") or _mtime(path / CONFIG)
        entry.params = doc.get("params") or _params_from_header(path / WEIGHTS)
    except (OSError, ValueError, AttributeError) as exc:
        entry.error = f"model {path.name!r} cannot be loaded: {path / CONFIG}: {exc}"
    return entry


def _mtime(path: Path) -> str:
    ts = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    return ts.isoformat(timespec="seconds")


def _params_from_header(path: Path) -> int | None:
    """Trainable parameter count from the safetensors header, without loading tensors
    (buffers such as temperatures are counted too: a few numbers)."""
    try:
        with path.open("rb") as fh:
            (n,) = struct.unpack("<Q", fh.read(8))
            header = json.loads(fh.read(n))
    except (OSError, struct.error, ValueError):
        return None
    total = 0
    for key, info in header.items():
        if key != "__metadata__":
            count = 1
            for d in info["shape"]:
                count *= d
            total += count
    return total
