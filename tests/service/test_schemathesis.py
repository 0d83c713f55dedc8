"""Schemathesis over the service's own OpenAPI: no generated request, valid or not, may
get a 5xx. A 500 means an input slipped past validation into code that did not
expect it; the answer for bad input must be a 4xx that names the field.

Every operation is fuzzed (examples, coverage and fuzzing phases, positive and
negative cases) through the ASGI app in process, with its lifespan running, over a
private copy of the two tiny checkpoints and a small REM memory (task 1's model for
/memory/ask and /generate is built before their first request). Three routes are made
cheap, not skipped:

- POST /train would start a real training child per accepted job (minutes of CPU
  each). Its child process is replaced by a stub that exits at once, so the fuzz
  covers what can 5xx in the service (validation, name checks, job folders and
  bookkeeping) and no process outlives the test.
- POST /evaluate runs the full frozen harness on a registered model (tens of
  seconds per model). Fuzzed names almost never hit `alpha` or `beta`, but in case
  they do, both have a stub report in the eval cache, so the cached path answers.
- POST /forecast's default forecaster (embedding) fits for minutes on the first valid
  case; uniform stands in under its name.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest
import schemathesis
from hypothesis import HealthCheck, settings


def _openapi() -> dict:
    """The OpenAPI document, from an app that is never started: it depends on the code,
    not on the models, so the tests can be generated at collection time."""
    from augur.service.app import create_app
    from augur.service.config import ServiceConfig

    return create_app(ServiceConfig(models_dir=Path("unused"))).openapi()


# Built eagerly (one test per operation). A fixture-based schema
# (schemathesis.pytest.from_fixture) fails under pytest 9.2 with schemathesis 4.32:
# it sets the private Function._nodeid, which pytest no longer has.
schema = schemathesis.openapi.from_dict(_openapi())
# Fuzzed events name types and sources the vocabulary has never seen; the featurizer
# warns once per unknown token, which is right for real traffic and noise here.
pytestmark = pytest.mark.filterwarnings("ignore:unknown event:UserWarning")


class _StubTraining:
    """Stands in for subprocess.Popen in jobs.py: a child that has already exited."""

    def __init__(self, *args, **kwargs) -> None:
        self.args, self.returncode = args, 0

    def poll(self) -> int:
        return 0

    def terminate(self) -> None:
        pass


@pytest.fixture(scope="module")
def fuzz_models(tmp_path_factory, two_models):
    """A private copy of the two models, with a stub harness report for each, and the
    training child stubbed out in jobs.py for the module's tests."""
    from augur.service import jobs
    from augur.service.evals import EVALS, EvalCache
    from augur.service.registry import Registry

    models = tmp_path_factory.mktemp("fuzz") / "models"
    shutil.copytree(two_models, models)
    cache = EvalCache(models / EVALS)  # where the app looks when no eval_cache_dir is set
    for entry in Registry(models).scan():
        cache.store(entry.sha256, {"stub": "fuzz: the harness is not run here"})
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(jobs, "subprocess", SimpleNamespace(
            Popen=_StubTraining, STDOUT=subprocess.STDOUT, DEVNULL=subprocess.DEVNULL))
        yield models


@pytest.fixture(scope="module", autouse=True)
def fuzz_memory(fuzz_models):
    """A small REM memory beside the models, so /memory/* is fuzzed against a real store
    (without embeddings: SEARCH runs its BM25 and entity parts)."""
    from augur.memory.ingest import ingest
    from augur.memory.model import MemoryBatch, Resource
    from augur.memory.store.sqlite import SQLiteStore

    with SQLiteStore(fuzz_models.parent / "memory.db") as store:
        ingest(store, MemoryBatch(resources=[Resource(
            id="doc-1", name="Release checklist", kind="document", content="Tag and ship.",
            created_at="2025-01-06T09:00:00+00:00")]))


@pytest.fixture
def app(fuzz_models, request):
    """A fresh app per operation: schemathesis starts its lifespan on the first request
    and ends it after each test; a fresh app keeps the operations independent."""
    from schemathesis.python.asgi import shutdown_lifespans

    from augur.service.app import create_app
    from augur.service.config import ServiceConfig

    app = create_app(ServiceConfig(models_dir=fuzz_models,
                                   memory_store=str(fuzz_models.parent / "memory.db"),
                                   memory_embed=False))
    if request.node.name.endswith(("/memory/ask]", "/generate]")):
        # Task 1's fast model builds in seconds, longer than one fuzzed request may wait:
        # build it before the first, as `augur serve` does at startup.
        memory = app.state.augur.memory
        memory.tasks_thread.submit(memory.warm_tasks).result()
    if request.node.name.endswith("/memory/annotate/next]"):
        # Its answers come from the served edge scorer, fitted in seconds: fit it first.
        memory = app.state.augur.memory
        memory.tasks_thread.submit(lambda: memory.tasks().model("edges")).result()
    if request.node.name.endswith("/forecast]"):
        # The default forecaster, embedding, fits for minutes on its first request; a
        # fuzzed valid case gets uniform under its name instead.
        from augur.forecast.registry import UniformForecaster
        from augur.service import routes_forecast

        with pytest.MonkeyPatch.context() as mp:
            mp.setitem(routes_forecast._fitted, "embedding", UniformForecaster())
            yield app
        shutdown_lifespans()
        return
    yield app
    shutdown_lifespans()  # schemathesis does it too; again in case its hook did not run


@schema.parametrize()
@settings(max_examples=100, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_no_server_errors(case, app):
    response = case.call(app=app, base_url="http://testserver")
    # A server error in a route usually raises out of the ASGI call above with its
    # traceback; a 5xx the app answers on its own is caught here.
    assert response.status_code < 500, (
        f"{case.method} {case.formatted_path} -> {response.status_code}\n"
        f"request body: {str(case.body)[:2000]}\nresponse: {response.text[:2000]}")
