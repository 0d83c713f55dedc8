"""Harness reports for registered models, cached by checkpoint hash: in memory and as
JSON files, so a report survives restarts and is recomputed only when the weights
change (or the harness version does: it is part of the key). The folder is
`<models>/.evals`; `augur evaluate CHECKPOINT` stores its report there too."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

from augur.harness.constants import HARNESS_VERSION

EVALS = ".evals"  # beside the checkpoints: skipped by the registry (a dot folder)


class EvalCache:
    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self._memory: dict[str, dict[str, Any]] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def _key(self, sha256: str) -> str:
        return f"harness-v{HARNESS_VERSION}-{sha256}"

    def peek(self, sha256: str) -> dict[str, Any] | None:
        key = self._key(sha256)
        if key not in self._memory:
            path = self.folder / f"{key}.json"
            try:
                self._memory[key] = json.loads(path.read_text())
            except (OSError, ValueError):
                return None
        return self._memory[key]

    def get_or_run(self, sha256: str, run) -> tuple[dict[str, Any], bool]:
        """(report, cached); concurrent calls for one hash run the harness once."""
        with self._guard:
            lock = self._locks.setdefault(sha256, threading.Lock())
        with lock:
            hit = self.peek(sha256)
            if hit is not None:
                return hit, True
            report = run()
            self.store(sha256, report)
            return report, False

    def store(self, sha256: str, report: dict[str, Any]) -> None:
        """Keep a report (written atomically: a reader never sees half a file)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{self._key(sha256)}.json"
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(report))
        os.replace(tmp, path)
        self._memory[self._key(sha256)] = report
