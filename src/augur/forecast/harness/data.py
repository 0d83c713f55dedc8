"""The forecast harness's datasets as files: generated once from code and constants,
cached as JSON Lines in a folder keyed by the harness version and by the code they come
from, checked against the manifest before use.

    forecast_cases("world", "test")      the world-events simulator's frozen test split
    forecast_cases("persona", "train")   the persona world's training split
    dataset_files()                      name -> file ("world_test", ...), for the seal

Each source's cases are generated in one run (WORLD_* and PERSONA_* in constants.py)
and split by the cases' own `split` field, so the splits never depend on each other's
sizes.
"""

from __future__ import annotations

from pathlib import Path

import augur
from augur import frozen
from augur.forecast.case import Case, read_cases, write_cases
from augur.forecast.harness import constants as C

HERE = Path(__file__).resolve().parent


def _sources() -> list[Path]:
    """The code the datasets come from: the case format, both generators, the persona
    simulator (augur.events), the oracle harness's seeds that persona_cases keeps out,
    and this harness."""
    pkg = Path(augur.__file__).resolve().parent
    return [*(pkg / "events").glob("*.py"), pkg / "harness" / "constants.py",
            *(pkg / "forecast" / n for n in ("case.py", "world_events.py", "persona_cases.py")),
            *HERE.glob("*.py")]


def cache_dir() -> Path:
    from augur.forecast.harness.manifest import FORECAST_HARNESS

    return frozen.cache_dir(FORECAST_HARNESS, _sources())


def _generate(source: str, progress: bool) -> list[Case]:
    if source == "world":
        from augur.forecast.world_events import world_cases

        return world_cases(C.WORLD_CASES, C.WORLD_SEED, C.WORLD_DEPTH, progress)
    from augur.forecast.persona_cases import persona_cases

    return persona_cases(C.PERSONA_CASES, C.PERSONA_SEED, C.PERSONA_DEPTH, progress)


def dataset_files(fresh: bool = False, progress: bool = False) -> dict[str, Path]:
    """name -> file of every dataset the manifest seals, "<source>_<split>" (generated
    when missing, or always when `fresh`)."""
    root = cache_dir()
    paths = {f"{s}_{split}": root / f"{s}_{split}.jsonl" for s in C.SOURCES for split in C.SPLITS}
    for source in C.SOURCES:
        mine = {split: paths[f"{source}_{split}"] for split in C.SPLITS}
        if fresh or not all(p.is_file() for p in mine.values()):
            cases = _generate(source, progress)
            for split, path in mine.items():  # each file written atomically
                write_cases(path, [c for c in cases if c.split == split])
    return paths


def forecast_cases(source: str, split: str, verify: bool = True) -> list[Case]:
    """One split of one source, after the manifest check (FrozenChangedError if the
    harness's code or any dataset file changed)."""
    if source not in C.SOURCES:
        raise ValueError(f"source: expected one of {', '.join(C.SOURCES)}, got {source!r}")
    if split not in C.SPLITS:
        raise ValueError(f"split: expected one of {', '.join(C.SPLITS)}, got {split!r}")
    if verify:
        from augur.forecast.harness.manifest import verify as verify_manifest

        verify_manifest()
    return read_cases(dataset_files()[f"{source}_{split}"])
