"""The REM task harness's seal, through augur.frozen (the same mechanism as the
oracle's harness): MANIFEST.json beside this file records REM_TASKS_VERSION, the
SHA-256 of every file of this folder, and of each dataset file. An amendment:
bump REM_TASKS_VERSION in constants.py, add a CHANGELOG.md entry "rem-tasks vN",
then `augur memory tasks seal`.
"""

from __future__ import annotations

from pathlib import Path

from augur import frozen
from augur.frozen import Frozen
from augur.memory.tasks.harness import constants as C

TASKS_DIR = Path(__file__).resolve().parent


def _data(progress: bool) -> dict[str, Path]:
    from augur.memory.tasks.harness.data import dataset_files

    return dataset_files(fresh=True)


REM_TASKS = Frozen("rem-tasks", TASKS_DIR, lambda: C.REM_TASKS_VERSION,
                   "REM_TASKS_VERSION in src/augur/memory/tasks/harness/constants.py",
                   "augur memory tasks seal", data=_data)


def verify() -> dict:
    """The manifest, after checking this folder's code and every dataset file."""
    from augur.memory.tasks.harness.data import dataset_files

    manifest = frozen.verify_code(REM_TASKS)
    actual = {name: frozen.file_sha256(p) for name, p in dataset_files().items()}
    frozen.verify_data(REM_TASKS, actual, manifest["data"])
    return manifest


def seal(changelog: Path, progress: bool = True) -> dict:
    return frozen.seal(REM_TASKS, changelog, progress)
