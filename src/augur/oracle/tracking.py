"""Experiment tracking behind one seam: MLflow when a URI is given, a null tracker otherwise.

Training holds a `Tracker` and never asks whether tracking is on. Both trackers share
one set of checks, so a NaN loss or an unloggable param fails in a plain test run too,
not only on the machine that has MLflow installed.
"""

from __future__ import annotations

import contextlib
import json
import math
import numbers
import os
import re
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Protocol

from augur.errors import AugurError

STATUSES = ("FINISHED", "FAILED", "KILLED")
# MLflow's own limits (mlflow.utils.validation), copied so the checks need no import.
MAX_PARAM_LENGTH = 6000
MAX_PARAMS_PER_BATCH = 100
NAME = re.compile(r"[\w./\- ]+")  # MLflow may store names as file paths: no other characters


class Tracker(Protocol):
    def start_run(
        self, name: str, params: dict[str, Any], tags: dict[str, str] | None = None
    ) -> None: ...
    def log_metrics(self, metrics: dict[str, float], step: int | None = None) -> None: ...
    def log_artifact(self, path: str | Path) -> None: ...
    def end_run(self, status: str = "FINISHED") -> None: ...


@contextlib.contextmanager
def run(
    tracker: Tracker, name: str, params: dict[str, Any], tags: dict[str, str] | None = None
) -> Iterator[Tracker]:
    """A run that ends FAILED (KILLED on Ctrl-C) when the body raises, so none is left open."""
    tracker.start_run(name, params, tags)
    try:
        yield tracker
    except BaseException as e:
        tracker.end_run("KILLED" if isinstance(e, KeyboardInterrupt) else "FAILED")
        raise
    tracker.end_run("FINISHED")


def flatten_params(params: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """`{"model": {"dim": 64}}` -> `{"model.dim": 64}`; every leaf must be a JSON value."""
    flat: dict[str, Any] = {}
    for key, value in params.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            items = flatten_params(value, f"{name}.")
        else:
            try:
                json.dumps(value)
            except (TypeError, ValueError) as e:
                raise ValueError(
                    f"param {name!r} must be a JSON value (number, string, bool, None or a "
                    f"list of them), got {type(value).__name__}; convert it, e.g. str(path)"
                ) from e
            _check_name("param", name)
            items = {name: value}
        if clash := flat.keys() & items.keys():
            raise ValueError(f"params {sorted(clash)} are given twice, nested and dotted")
        flat.update(items)
    return flat


def _check_name(kind: str, name: str) -> None:
    if not (isinstance(name, str) and NAME.fullmatch(name)):
        raise ValueError(f"{kind} name {name!r} may use only letters, digits, _ . / - and spaces")


class _CheckedTracker:
    """The checks both trackers share; a subclass stores things in the `_on_*` hooks."""

    _active = False

    def start_run(
        self, name: str, params: dict[str, Any], tags: dict[str, str] | None = None
    ) -> None:
        if self._active:
            raise RuntimeError("start_run called while a run is open; call end_run first")
        self._on_start(name, flatten_params(params), tags or {})
        self._active = True

    def log_metrics(self, metrics: dict[str, float], step: int | None = None) -> None:
        self._check_active("log_metrics")
        for name, value in metrics.items():
            _check_name("metric", name)
            number = isinstance(value, numbers.Real) and not isinstance(value, bool)
            if not (number and math.isfinite(value)):
                raise ValueError(f"metric {name!r} must be a finite number, got {value!r}")
        if step is not None and (not isinstance(step, int) or step < 0):
            raise ValueError(f"step must be a non-negative integer or None, got {step!r}")
        self._on_metrics(metrics, step or 0)

    def log_artifact(self, path: str | Path) -> None:
        self._check_active("log_artifact")
        if not Path(path).is_file():
            raise ValueError(f"artifact {path} is not a file; write it before logging it")
        self._on_artifact(Path(path))

    def end_run(self, status: str = "FINISHED") -> None:
        self._check_active("end_run")
        if status not in STATUSES:
            raise ValueError(f"run status must be one of {STATUSES}, got {status!r}")
        self._on_end(status)
        self._active = False

    def _check_active(self, method: str) -> None:
        if not self._active:
            raise RuntimeError(f"{method} called outside a run; call start_run first")

    def _on_start(self, name: str, params: dict[str, Any], tags: dict[str, str]) -> None: ...
    def _on_metrics(self, metrics: dict[str, float], step: int) -> None: ...
    def _on_artifact(self, path: Path) -> None: ...
    def _on_end(self, status: str) -> None: ...


class NullTracker(_CheckedTracker):
    """Stores nothing, but rejects exactly what MLflowTracker would reject."""


def default_tracking_uri(root: Path) -> str:
    return f"sqlite:///{root.resolve()}/mlflow.db"


def _param_text(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value)
    if len(text) <= MAX_PARAM_LENGTH:
        return text
    note = f"...[truncated from {len(text)} chars]"  # MLflow rejects the whole run otherwise
    return text[: MAX_PARAM_LENGTH - len(note)] + note


class MLflowTracker(_CheckedTracker):
    """MLflow through MlflowClient, so two trackers in one process never share a global run."""

    def __init__(self, tracking_uri: str, experiment: str = "augur") -> None:
        self.tracking_uri = tracking_uri
        self.experiment = experiment
        self._client: Any = None
        self._run_id = ""

    def _on_start(self, name: str, params: dict[str, Any], tags: dict[str, str]) -> None:
        _, experiment_id = self.connect()
        from mlflow.entities import Param

        rows = [Param(k, _param_text(v)) for k, v in params.items()]
        self._run_id = self._client.create_run(experiment_id, run_name=name, tags=tags).info.run_id
        for i in range(0, len(rows), MAX_PARAMS_PER_BATCH):
            self._client.log_batch(self._run_id, params=rows[i : i + MAX_PARAMS_PER_BATCH])

    def _on_metrics(self, metrics: dict[str, float], step: int) -> None:
        from mlflow.entities import Metric

        now = int(time.time() * 1000)
        rows = [Metric(k, float(v), now, step) for k, v in metrics.items()]
        self._client.log_batch(self._run_id, metrics=rows)

    def _on_artifact(self, path: Path) -> None:
        self._client.log_artifact(self._run_id, str(path))

    def _on_end(self, status: str) -> None:
        self._client.set_terminated(self._run_id, status)

    def connect(self) -> tuple[Any, str]:
        """(MlflowClient, experiment id): opens the store on first use (not in the
        constructor) and creates the experiment if missing. Also for code that reads
        and writes runs directly, such as the tip lab's store."""
        _require_mlflow(self.tracking_uri)
        from mlflow.exceptions import MlflowException
        from mlflow.tracking import MlflowClient

        location = None
        if self.tracking_uri.startswith("sqlite:///"):
            db = Path(self.tracking_uri.removeprefix("sqlite:///")).resolve()
            db.parent.mkdir(parents=True, exist_ok=True)
            # Without a location, artifacts land in ./mlruns of whatever folder the process
            # runs in; keep them beside the database instead.
            location = (db.parent / "mlartifacts").as_uri()
        client = self._client = self._client or MlflowClient(tracking_uri=self.tracking_uri)
        if found := client.get_experiment_by_name(self.experiment):
            return client, found.experiment_id
        try:
            return client, client.create_experiment(self.experiment, artifact_location=location)
        except MlflowException:  # another process created it between our get and create
            return client, client.get_experiment_by_name(self.experiment).experiment_id


def _require_mlflow(uri: str) -> None:
    # Tracking is offline by design: no usage telemetry sent out and no id file written in
    # the home folder. setdefault keeps a choice the user made explicitly.
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    try:
        import mlflow  # noqa: F401
    except ImportError as e:
        raise AugurError(
            f"tracking to {uri!r} needs MLflow, which is not installed; "
            'install the tracking extra: pip install -e ".[tracking]"'
        ) from e


def make_tracker(uri: str | None) -> Tracker:
    if uri is None:
        return NullTracker()
    _require_mlflow(uri)  # fail now, before training starts, not at the first log call
    return MLflowTracker(uri)
