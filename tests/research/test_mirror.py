"""Every trial is mirrored to MLflow: one run per trial with its metrics and status."""

import importlib.util

import pytest

from augur.research.loop import COLUMNS, MLFLOW_EXPERIMENT, _mirror

pytestmark = [
    pytest.mark.skipif(importlib.util.find_spec("mlflow") is None,
                       reason='the tracking extra is not installed: pip install -e ".[tracking]"'),
    pytest.mark.filterwarnings("ignore:The ``noload`` loader strategy:DeprecationWarning"),
]


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    """MLflow writes nothing to the home folder or where the tests run."""
    for name in ("cwd", "home"):
        (tmp_path / name).mkdir()
    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.chdir(tmp_path / "cwd")
    yield
    assert not any((tmp_path / "cwd").iterdir())


def test_trial_rows_are_mirrored(tmp_path):
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    row = dict.fromkeys(COLUMNS)
    row.update(trial=7, commit="abc1234", status="keep", composite=0.4,
               temporal_routing_accuracy=0.5, seconds=3.0, description="d_model=32")
    crash = dict(row, trial=8, status="crash", composite=None, description="boom")
    logs = []
    for r in (row, crash):
        _mirror(uri, r, {"d_model": 32, "windows": [16, 32], "seed": 0}, logs.append)
    assert logs == []

    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=uri)
    exp = client.get_experiment_by_name(MLFLOW_EXPERIMENT)
    runs = {r.info.run_name: r for r in client.search_runs([exp.experiment_id])}
    assert set(runs) == {"research-0007", "research-0008"}
    kept = runs["research-0007"]
    assert kept.data.metrics["composite"] == pytest.approx(0.4)
    assert kept.data.tags["status"] == "keep" and kept.data.params["d_model"] == "32"
    assert runs["research-0008"].info.status == "FAILED"


def test_a_broken_store_only_warns(tmp_path):
    row = dict.fromkeys(COLUMNS)
    row.update(trial=1, commit="x", status="keep", composite=0.4, description="")
    logs = []
    _mirror("notascheme://nowhere", row, {}, logs.append)
    assert logs and "not mirrored" in logs[0]
