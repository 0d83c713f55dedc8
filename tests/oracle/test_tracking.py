"""The tracking seam: a real MLflow sqlite store in tmp_path, and the null tracker's checks."""

from __future__ import annotations

import contextlib
import importlib.util
import math
import sys
from pathlib import Path

import pytest

from augur.errors import AugurError
from augur.oracle.tracking import (
    MAX_PARAM_LENGTH,
    MLflowTracker,
    NullTracker,
    default_tracking_uri,
    flatten_params,
    make_tracker,
    run,
)

# find_spec, not importorskip: importing mlflow at collection time, outside any test, would
# set up its usage telemetry (an id file in the home folder) before anything can disable it.
pytestmark = [
    pytest.mark.skipif(
        importlib.util.find_spec("mlflow") is None,
        reason='the tracking extra is not installed: pip install -e ".[tracking]"',
    ),
    # mlflow's sqlite store still uses a loader strategy that SQLAlchemy 2.1 deprecates.
    pytest.mark.filterwarnings("ignore:The ``noload`` loader strategy:DeprecationWarning"),
]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory):
    """One sqlite store for the module (creating its tables takes a second or two); each test
    logs to its own experiment. The working folder and home are empty folders, checked after."""
    root = tmp_path_factory.mktemp("tracking")
    for name in ("cwd", "home"):
        (root / name).mkdir()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
        mp.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
        mp.setenv("HOME", str(root / "home"))
        mp.delenv("XDG_CONFIG_HOME", raising=False)
        mp.chdir(root / "cwd")
        yield root / "store"
    # Nothing may land relative to where the process runs (no ./mlruns) or in the home folder.
    assert not any((root / "cwd").iterdir())
    assert not any((root / "home").iterdir())


@pytest.fixture
def mlflow_tracker(store: Path, request: pytest.FixtureRequest) -> MLflowTracker:
    return MLflowTracker(default_tracking_uri(store), experiment=request.node.name)


def _only_run(tracker: MLflowTracker):
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=tracker.tracking_uri)
    experiment = client.get_experiment_by_name(tracker.experiment)
    (found,) = client.search_runs([experiment.experiment_id])
    return client, found


def test_mlflow_round_trip(mlflow_tracker: MLflowTracker, store: Path, tmp_path: Path):
    artifact = tmp_path / "notes.txt"
    artifact.write_text("hello")
    params = {"model": {"dim": 64, "heads": ["next", "when"]}, "lr": 1e-3, "prompt": "x" * 7000}

    tracker = mlflow_tracker
    tracker.start_run("smoke", params, tags={"kind": "test"})
    for step in range(3):
        tracker.log_metrics({"loss": 1.0 / (step + 1), "acc": 0.5}, step=step)
    tracker.log_artifact(artifact)
    tracker.end_run()

    client, found = _only_run(tracker)
    assert found.info.status == "FINISHED"
    assert found.info.run_name == "smoke"
    assert found.data.tags["kind"] == "test"
    logged = found.data.params
    assert logged["model.dim"] == "64"
    assert logged["model.heads"] == '["next", "when"]'
    assert logged["lr"] == "0.001"
    # A param over MLflow's limit is cut with a note instead of failing the run.
    assert len(logged["prompt"]) == MAX_PARAM_LENGTH
    assert logged["prompt"].endswith("[truncated from 7000 chars]")
    history = client.get_metric_history(found.info.run_id, "loss")
    assert sorted((m.step, m.value) for m in history) == [(0, 1.0), (1, 0.5), (2, 1.0 / 3)]
    assert [f.path for f in client.list_artifacts(found.info.run_id)] == ["notes.txt"]
    # Database and artifacts sit side by side in the store folder, nowhere else.
    assert sorted(p.name for p in store.iterdir()) == ["mlartifacts", "mlflow.db"]
    assert len(list((store / "mlartifacts").rglob("notes.txt"))) == 1


@pytest.mark.parametrize("fail", [False, True])
def test_run_context_ends_the_run(mlflow_tracker: MLflowTracker, fail: bool):
    expect = pytest.raises(KeyError) if fail else contextlib.nullcontext()
    with expect, run(mlflow_tracker, "ctx", {"seed": 1}) as tracker:
        tracker.log_metrics({"loss": 0.1}, step=0)
        if fail:
            raise KeyError("boom")
    _, found = _only_run(mlflow_tracker)
    assert found.info.status == ("FAILED" if fail else "FINISHED")


@pytest.fixture(params=["null", "mlflow"])
def tracker(request: pytest.FixtureRequest):
    """Each tracker with an open run: the contract below must hold for both alike."""
    null = request.param == "null"
    made = NullTracker() if null else request.getfixturevalue("mlflow_tracker")
    made.start_run("contract", {"a": {"b": 1}})
    return made


@pytest.mark.parametrize("bad", [math.nan, math.inf, "0.3", None, True])
def test_trackers_reject_a_bad_metric_by_name(tracker, bad):
    with pytest.raises(ValueError, match="metric 'val_loss' must be a finite number"):
        tracker.log_metrics({"train_loss": 0.2, "val_loss": bad}, step=1)


def test_trackers_check_the_rest_alike(tracker, tmp_path: Path):
    artifact = tmp_path / "a.json"
    artifact.write_text("{}")
    tracker.log_metrics({"loss": 0.5})
    tracker.log_artifact(artifact)
    with pytest.raises(ValueError, match="step must be"):
        tracker.log_metrics({"loss": 0.5}, step=-1)
    with pytest.raises(ValueError, match="metric name 'loss@1'"):
        tracker.log_metrics({"loss@1": 0.5})
    with pytest.raises(ValueError, match="is not a file"):
        tracker.log_artifact(tmp_path / "missing.bin")
    with pytest.raises(RuntimeError, match="call end_run first"):
        tracker.start_run("again", {})
    with pytest.raises(ValueError, match="run status must be one of"):
        tracker.end_run("DONE")
    tracker.end_run("KILLED")
    with pytest.raises(RuntimeError, match="log_metrics called outside a run"):
        tracker.log_metrics({"loss": 0.5})
    with pytest.raises(ValueError, match="param 'cfg.path' must be a JSON value"):
        tracker.start_run("bad", {"cfg": {"path": Path("x")}})


def test_flatten_params():
    nested = {"model": {"dim": 64, "head": {"k": 3}}, "lr": 0.1, "tags": ["a"], "note": None}
    assert flatten_params(nested) == {
        "model.dim": 64,
        "model.head.k": 3,
        "lr": 0.1,
        "tags": ["a"],
        "note": None,
    }
    with pytest.raises(ValueError, match=r"\['model.dim'\] are given twice"):
        flatten_params({"model": {"dim": 64}, "model.dim": 32})


def test_make_tracker(store: Path, monkeypatch: pytest.MonkeyPatch):
    assert isinstance(make_tracker(None), NullTracker)
    assert isinstance(make_tracker(default_tracking_uri(store)), MLflowTracker)
    monkeypatch.setitem(sys.modules, "mlflow", None)  # makes `import mlflow` fail
    with pytest.raises(AugurError, match=r'pip install -e "\.\[tracking\]"'):
        make_tracker(default_tracking_uri(store))
