"""The forecast harness's seal, through augur.frozen (the same mechanism as the oracle's
harness and the REM task harness): MANIFEST.json beside this file records
FORECAST_HARNESS_VERSION, the SHA-256 of every file of this folder, and of each dataset
file (data.py). An amendment: bump FORECAST_HARNESS_VERSION in constants.py, add a
CHANGELOG.md entry "forecast-harness vN", then `augur forecast seal`.
"""

from __future__ import annotations

from pathlib import Path

from augur import frozen
from augur.forecast.harness import constants as C
from augur.frozen import Frozen

FORECAST_DIR = Path(__file__).resolve().parent


def _data(progress: bool) -> dict[str, Path]:
    from augur.forecast.harness.data import dataset_files

    return dataset_files(fresh=True, progress=progress)


FORECAST_HARNESS = Frozen("forecast-harness", FORECAST_DIR, lambda: C.FORECAST_HARNESS_VERSION,
                          "FORECAST_HARNESS_VERSION in src/augur/forecast/harness/constants.py",
                          "augur forecast seal", data=_data)


def verify() -> dict:
    """The manifest, after checking this folder's code and every dataset file."""
    from augur.forecast.harness.data import cache_dir, dataset_files

    manifest = frozen.verify_code(FORECAST_HARNESS)
    actual = {name: frozen.file_sha256(p) for name, p in dataset_files().items()}
    frozen.verify_data(FORECAST_HARNESS, actual, manifest["data"], f"cache: {cache_dir()}")
    return manifest


def seal(changelog: Path, progress: bool = True) -> dict:
    return frozen.seal(FORECAST_HARNESS, changelog, progress)
