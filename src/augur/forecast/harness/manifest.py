"""The forecast harness's seal, through augur.frozen (the same mechanism as the oracle's
harness and the REM task harness): MANIFEST.json beside this file records
FORECAST_HARNESS_VERSION and the SHA-256 of every file of this folder. An amendment:
bump FORECAST_HARNESS_VERSION in constants.py, add a CHANGELOG.md entry
"forecast-harness vN", then `augur forecast seal`.

Not sealed yet: the frozen test sets (persona world, world events) do not exist. When
they land, `data=` gets a callable returning name -> freshly generated dataset file (as
the REM harness's `_data` does), `verify()` checks those files too, and the first seal
writes MANIFEST.json.
"""

from __future__ import annotations

from pathlib import Path

from augur import frozen
from augur.forecast.harness import constants as C
from augur.frozen import Frozen

FORECAST_DIR = Path(__file__).resolve().parent

FORECAST_HARNESS = Frozen("forecast-harness", FORECAST_DIR, lambda: C.FORECAST_HARNESS_VERSION,
                          "FORECAST_HARNESS_VERSION in src/augur/forecast/harness/constants.py",
                          "augur forecast seal", data=None)  # data: added with the datasets


def verify() -> dict:
    """The manifest, after checking this folder's code (and, later, every dataset file)."""
    return frozen.verify_code(FORECAST_HARNESS)


def seal(changelog: Path, progress: bool = True) -> dict:
    return frozen.seal(FORECAST_HARNESS, changelog, progress)
