"""The harness's immutability check, through augur.frozen (one mechanism for every
frozen evaluation): MANIFEST.json beside this file records HARNESS_VERSION, the
SHA-256 of every harness source file, and of each eval data file the simulator
produces. Every evaluation verifies both first. An amendment is deliberate and
visible: bump HARNESS_VERSION in constants.py, say why in CHANGELOG.md under
"harness vN", then `augur harness seal`.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from augur import frozen
from augur.frozen import MANIFEST_NAME, Frozen, FrozenChangedError
from augur.harness import constants as C

HARNESS_DIR = Path(__file__).resolve().parent
HarnessChangedError = FrozenChangedError  # one error for every frozen evaluation

__all__ = ["HARNESS", "HARNESS_DIR", "MANIFEST_NAME", "HarnessChangedError", "load_manifest",
           "seal", "verify_code"]


def _data(progress: bool) -> dict[str, Path]:
    from augur.harness.evalsets import synthetic_files

    return synthetic_files(progress)


def _clear_cache() -> None:
    from augur.harness.evalsets import cache_dir

    shutil.rmtree(cache_dir(), ignore_errors=True)


HARNESS = Frozen("harness", HARNESS_DIR, lambda: C.HARNESS_VERSION,
                 "HARNESS_VERSION in src/augur/harness/constants.py", "augur harness seal",
                 data=_data, clear_cache=_clear_cache)


def load_manifest(root: Path = HARNESS_DIR) -> dict:
    return frozen.load_manifest(HARNESS, root)


def verify_code(root: Path = HARNESS_DIR) -> dict:
    """Raise HarnessChangedError naming what changed; return the manifest when intact."""
    return frozen.verify_code(HARNESS, root)


def seal(changelog: Path, progress: bool = True) -> dict:
    """Write a new manifest after an amendment; refuses a silent one."""
    return frozen.seal(HARNESS, changelog, progress)
