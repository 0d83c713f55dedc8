"""The harness's immutability check: a manifest of checksums over its code and data.

MANIFEST.json (beside this file) records HARNESS_VERSION, the SHA-256 of every
harness source file, and of each eval data file the simulator produces. Every
evaluation verifies both first. An amendment is deliberate and visible: bump
HARNESS_VERSION in constants.py, say why in CHANGELOG.md under
"harness vN", then `augur harness seal`.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

from augur.errors import AugurError
from augur.harness import constants as C

HARNESS_DIR = Path(__file__).resolve().parent
MANIFEST_NAME = "MANIFEST.json"


class HarnessChangedError(AugurError):
    """The harness code or its eval data differ from the sealed manifest."""


def code_checksums(root: Path = HARNESS_DIR) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.glob("*.py"))}


def load_manifest(root: Path = HARNESS_DIR) -> dict:
    path = root / MANIFEST_NAME
    if not path.is_file():
        raise HarnessChangedError(f"{path} is missing: the harness is unsealed. Restore it "
                                  "from git, or seal an amendment with `augur harness seal`")
    return json.loads(path.read_text())


def verify_code(root: Path = HARNESS_DIR) -> dict:
    """Raise HarnessChangedError naming what changed; return the manifest when intact."""
    manifest = load_manifest(root)
    problems = []
    if manifest.get("harness_version") != C.HARNESS_VERSION:
        problems.append(f"HARNESS_VERSION is {C.HARNESS_VERSION!r} but the manifest was sealed "
                        f"for {manifest.get('harness_version')!r}")
    sealed, actual = manifest.get("code", {}), code_checksums(root)
    problems += [f"{n} was modified" for n in sorted(sealed) if n in actual
                 and actual[n] != sealed[n]]
    problems += [f"{n} was removed" for n in sorted(set(sealed) - set(actual))]
    problems += [f"{n} was added" for n in sorted(set(actual) - set(sealed))]
    if problems:
        raise HarnessChangedError(
            "the frozen harness changed: " + "; ".join(problems) + ". Evaluation refuses to "
            "run on a changed harness. If the change is deliberate it is an amendment: bump "
            "HARNESS_VERSION in src/augur/harness/constants.py, add a CHANGELOG.md entry "
            "'harness vN' saying why, then run `augur harness seal`. Otherwise revert it "
            "(git checkout src/augur/harness).")
    return manifest


def seal(changelog: Path, progress: bool = True) -> dict:
    """Write a new manifest after an amendment; refuses a silent one."""
    from augur.harness.evalsets import cache_dir, file_sha256, synthetic_files

    path = HARNESS_DIR / MANIFEST_NAME
    if path.is_file():
        old = json.loads(path.read_text()).get("harness_version")
        if old == C.HARNESS_VERSION:
            raise HarnessChangedError(
                f"HARNESS_VERSION is still {old!r}, as sealed: an amendment needs a new "
                "version. Bump it in src/augur/harness/constants.py first.")
    text = changelog.read_text() if changelog.is_file() else ""
    if not re.search(rf"harness v{re.escape(C.HARNESS_VERSION)}\b", text, re.IGNORECASE):
        raise HarnessChangedError(
            f"{changelog} has no entry for 'harness v{C.HARNESS_VERSION}': say what changed "
            "and why before sealing")
    shutil.rmtree(cache_dir(), ignore_errors=True)  # seal from freshly generated data
    data = {name: file_sha256(p) for name, p in synthetic_files(progress).items()}
    manifest = {"harness_version": C.HARNESS_VERSION, "code": code_checksums(), "data": data}
    path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return manifest
