"""Freezing an evaluation: one mechanism for every frozen harness in augur.

A frozen evaluation is a folder of Python files (its metrics, splits, constants)
plus the data files it generates, sealed in a MANIFEST.json beside the code: its
version and the SHA-256 of every source file and data file. Every evaluation
verifies the manifest first, so a changed metric or a regenerated eval set fails
loudly instead of quietly moving every number. An amendment is deliberate and
visible: bump the version constant, say why in CHANGELOG.md under "<name> vN",
then seal.

    HARNESS = Frozen("harness", HARNESS_DIR, lambda: C.HARNESS_VERSION,
                     "HARNESS_VERSION in src/augur/harness/constants.py",
                     "augur harness seal", data=synthetic_files)
    manifest = verify_code(HARNESS)      # FrozenChangedError naming what changed
    verify_data(HARNESS, actual, manifest["data"])
    seal(HARNESS, Path("CHANGELOG.md"))  # refuses a silent amendment
    cache_dir(HARNESS, sources)          # where its generated data is kept

The oracle's harness (augur.harness), the REM task harness (augur.memory.tasks) and
the forecast harness (augur.forecast.harness) use it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from augur.errors import AugurError

MANIFEST_NAME = "MANIFEST.json"


class FrozenChangedError(AugurError):
    """A frozen evaluation's code or data differ from its sealed manifest."""


@dataclass(frozen=True)
class Frozen:
    name: str  # its CHANGELOG version line reads "<name> vN"
    root: Path  # the folder whose *.py files are sealed (MANIFEST.json lives there)
    version: Callable[[], str]  # reads the version constant now (not at import)
    version_where: str  # "HARNESS_VERSION in src/augur/harness/constants.py"
    seal_command: str  # "augur harness seal"
    # name -> freshly generated data file, for sealing and verifying (progress: bool).
    data: Callable[[bool], dict[str, Path]] | None = None
    clear_cache: Callable[[], None] | None = None  # so sealing regenerates the data

    def tag(self) -> str:
        return f"{self.name} v{self.version()}"


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def code_checksums(root: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.glob("*.py"))}


def cache_dir(spec: Frozen, sources: Iterable[Path]) -> Path:
    """Where a frozen evaluation's generated data is kept: $AUGUR_CACHE (else
    $XDG_CACHE_HOME/augur, else ~/.cache/augur) / "<name>-v<version>" / a fingerprint of
    the source files the data comes from, so an edit to them regenerates the data (and
    the checksum check then catches a change) instead of reading a stale copy."""
    base = os.environ.get("AUGUR_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "augur")
    h = hashlib.sha256()
    for p in sorted(sources):
        h.update(p.name.encode() + b"\0" + p.read_bytes())
    return Path(base) / f"{spec.name}-v{spec.version()}" / h.hexdigest()[:16]


def load_manifest(spec: Frozen, root: Path | None = None) -> dict:
    path = (root or spec.root) / MANIFEST_NAME
    if not path.is_file():
        raise FrozenChangedError(f"{path} is missing: the {spec.name} is unsealed. Restore it "
                                 f"from git, or seal an amendment with `{spec.seal_command}`")
    return json.loads(path.read_text())


def _amend(spec: Frozen) -> str:
    return (f"If the change is deliberate it is an amendment: bump {spec.version_where}, add "
            f"a CHANGELOG.md entry '{spec.name} vN' saying why, then run "
            f"`{spec.seal_command}`.")


def verify_code(spec: Frozen, root: Path | None = None) -> dict:
    """Raise FrozenChangedError naming what changed; return the manifest when intact."""
    root = root or spec.root
    manifest = load_manifest(spec, root)
    problems = []
    version = spec.version()
    if manifest.get("version") != version:
        problems.append(f"{spec.version_where.split()[0]} is {version!r} but the manifest was "
                        f"sealed for {manifest.get('version')!r}")
    sealed, actual = manifest.get("code", {}), code_checksums(root)
    problems += [f"{n} was modified" for n in sorted(sealed) if n in actual
                 and actual[n] != sealed[n]]
    problems += [f"{n} was removed" for n in sorted(set(sealed) - set(actual))]
    problems += [f"{n} was added" for n in sorted(set(actual) - set(sealed))]
    if problems:
        raise FrozenChangedError(
            f"the frozen {spec.name} changed: " + "; ".join(problems) + ". Evaluation refuses "
            f"to run on a changed {spec.name}. " + _amend(spec) +
            f" Otherwise revert it (git checkout {_relative(spec.root)}).")
    return manifest


def verify_data(spec: Frozen, actual: dict[str, str], expected: dict[str, str],
                where: str = "") -> None:
    """Every sealed data file's checksum, as generated now, must match."""
    changed = [n for n in expected if actual.get(n) != expected[n]]
    if changed:
        detail = "; ".join(f"{n}: sha256 {actual.get(n, 'missing')[:12]} but the manifest "
                           f"says {expected[n][:12]}" for n in changed)
        raise FrozenChangedError(
            f"the {spec.name} eval data changed ({detail}). The code that generates it no "
            f"longer produces the frozen sets. {_amend(spec)} If not, revert the change."
            + (f" ({where})" if where else ""))


def seal(spec: Frozen, changelog: Path, progress: bool = True) -> dict:
    """Write a new manifest after an amendment; refuses a silent one."""
    path = spec.root / MANIFEST_NAME
    version = spec.version()
    if path.is_file():
        old = json.loads(path.read_text())
        if old.get("version") == version:
            raise FrozenChangedError(
                f"{spec.version_where.split()[0]} is still {version!r}, as sealed: an "
                f"amendment needs a new version. Bump {spec.version_where} first.")
    text = changelog.read_text() if changelog.is_file() else ""
    if not re.search(rf"{re.escape(spec.name)} v{re.escape(version)}\b", text, re.IGNORECASE):
        raise FrozenChangedError(f"{changelog} has no entry for '{spec.tag()}': say what "
                                 "changed and why before sealing")
    if spec.clear_cache is not None:
        spec.clear_cache()  # seal from freshly generated data
    data = ({name: file_sha256(p) for name, p in spec.data(progress).items()}
            if spec.data is not None else {})
    manifest = {"version": version, "code": code_checksums(spec.root), "data": data}
    path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return manifest


def _relative(path: Path) -> str:
    parts = path.parts
    return "/".join(parts[parts.index("src"):]) if "src" in parts else str(path)
