"""The lab's view of an MLflow experiment: one run per cell, found again by its tags.

Connecting goes through augur.oracle.tracking's MLflowTracker, so the lab gets the
same offline settings (no telemetry) and, for a sqlite store, the same artifact
folder beside the database as training runs. Reading and re-opening finished runs
(judging writes into them later) needs MLflow's client directly.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

# A cell's lifecycle in tags: status running -> collected | failed; judge_pending true ->
# false once scored. Only collected cells are ever judged or ranked.
PENDING = "tags.status = 'collected' and tags.judge_pending = 'true'"
JUDGED = "tags.status = 'collected' and tags.judge_pending = 'false'"
COLLECTED = "tags.status = 'collected'"
MAX_TAG = 5000  # MLflow keeps tag values up to 8000 characters; an error text is cut here


class LabStore:
    """One experiment of one tracking store; connects on first use, not when made."""

    def __init__(self, tracking_uri: str, experiment: str = "tip-lab") -> None:
        self.tracking_uri = tracking_uri
        self.experiment = experiment
        self._client: Any = None
        self._experiment_id = ""

    @property
    def client(self) -> Any:
        if self._client is None:
            from augur.oracle.tracking import MLflowTracker

            # Judging reads a few small files per cell; MLflow's per-download progress bar
            # would print one line each. setdefault keeps a choice the user made.
            os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
            tracker = MLflowTracker(self.tracking_uri, self.experiment)
            self._client, self._experiment_id = tracker.connect()
        return self._client

    @property
    def experiment_id(self) -> str:
        _ = self.client
        return self._experiment_id

    def create_run(self, name: str, params: dict[str, Any], tags: dict[str, str]) -> str:
        from mlflow.entities import Param

        run_id = self.client.create_run(self.experiment_id, run_name=name, tags=tags).info.run_id
        rows = [Param(k, v if isinstance(v, str) else json.dumps(v)) for k, v in params.items()]
        self.client.log_batch(run_id, params=rows)
        return run_id

    def set_tags(self, run_id: str, tags: dict[str, str]) -> None:
        from mlflow.entities import RunTag

        rows = [RunTag(k, str(v)[:MAX_TAG]) for k, v in tags.items()]
        self.client.log_batch(run_id, tags=rows)

    def log_metrics(self, run_id: str, metrics: dict[str, float]) -> None:
        from mlflow.entities import Metric

        now = int(time.time() * 1000)
        self.client.log_batch(run_id, metrics=[Metric(k, float(v), now, 0)
                                               for k, v in metrics.items()])

    def log_json(self, run_id: str, name: str, data: Any) -> None:
        self.client.log_text(run_id, json.dumps(data, indent=2, ensure_ascii=False), name)

    def log_text(self, run_id: str, name: str, text: str) -> None:
        self.client.log_text(run_id, text, name)

    def finish(self, run_id: str, status: str = "FINISHED") -> None:
        self.client.set_terminated(run_id, status)

    def search(self, filter_string: str) -> list[Any]:
        """Every run of the experiment that matches, oldest first (all pages)."""
        runs, token = [], None
        while True:
            page = self.client.search_runs([self.experiment_id], filter_string,
                                           max_results=1000, page_token=token,
                                           order_by=["attributes.start_time ASC"])
            runs.extend(page)
            token = page.token
            if not token:
                return runs

    def get_run(self, run_id: str) -> Any | None:
        """The run, or None when there is no such run in this experiment."""
        from mlflow.exceptions import MlflowException

        try:
            run = self.client.get_run(run_id)
        except MlflowException:
            return None
        return run if run.info.experiment_id == self.experiment_id else None

    def load_json(self, run_id: str, name: str) -> Any:
        with tempfile.TemporaryDirectory() as tmp:
            path = self.client.download_artifacts(run_id, name, tmp)
            return json.loads(Path(path).read_text("utf-8"))
