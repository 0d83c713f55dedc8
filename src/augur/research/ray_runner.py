"""Trials on Ray Tune: `augur research run --ray local|ADDRESS`.

The Ledger (ids, rows, keep decisions, noise floor) stays in this process; Ray only
executes each batch of prepared trials, as one Ray Tune experiment whose trials each run
the same child process as a local run (`python -m augur.research.trial SPEC`), so a crash
and the peak memory stay per trial. `local` starts a private Ray instance bound to
127.0.0.1 and stops it at the end. Any other ADDRESS ("auto", "ray://host:10001") joins
that cluster; its nodes need augur installed and must see --workdir, --data and
--models-dir at the same paths (a shared filesystem), as Ray Tune expects of its storage."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from augur.errors import AugurError
from augur.research.loop import LoopConfig, Plan, Runner, run_child
from augur.research.search import EXTRA_HINT

LOCAL = "local"


@contextlib.contextmanager
def ray_runner(address: str, cfg: LoopConfig,
               log: Callable[[str], None] | None = None) -> Iterator[Runner]:
    """A Runner on Ray Tune for the duration of the block; Ray is shut down after it
    (a local instance stops, a cluster is only disconnected from)."""
    log = log or (lambda s: None)
    ray = _import_ray(local=address == LOCAL)
    if ray.is_initialized():
        raise AugurError("Ray is already initialised in this process; call ray.shutdown() "
                         "first so that --ray decides where the trials run")
    try:
        where = _connect(ray, address, cfg)
        log(f"ray: {where}, {cfg.concurrency} trial(s) at a time, "
            f"{cfg.threads_per_trial} CPU(s) each")
        yield _run_on_tune
    finally:
        ray.shutdown()


def augur_trial(config: dict[str, Any]) -> None:
    """The Ray Tune trainable: one prepared trial in its own child process."""
    from ray import tune

    job = config["job"]
    try:
        result = run_child(Path(job["spec"]), job["timeout_s"], job["threads"])
    except OSError as e:  # a cluster node that cannot see the trial's folder
        result = {"ok": False, "error": f"{type(e).__name__} on {socket.gethostname()}: {e} "
                  "(every Ray node must see the workdir at the same path)",
                  "seconds": 0.0, "peak_mem_mb": None}
    tune.report({"result": json.dumps(result)})


def _run_on_tune(plans: list[Plan], cfg: LoopConfig) -> list[dict[str, Any]]:
    if not plans:
        return []
    from ray import tune

    jobs = [{"tid": p.tid, "spec": str(p.spec.resolve()), "timeout_s": cfg.trial_timeout_s,
             "threads": cfg.threads_per_trial} for p in plans]
    tuner = tune.Tuner(
        tune.with_resources(augur_trial, {"cpu": cfg.threads_per_trial}),
        param_space={"job": tune.grid_search(jobs)},
        tune_config=tune.TuneConfig(max_concurrent_trials=cfg.concurrency,
                                    trial_name_creator=_name, trial_dirname_creator=_name),
        run_config=tune.RunConfig(
            name=f"trials-{plans[0].tid:04d}-{time.strftime('%Y%m%d-%H%M%S')}",
            storage_path=str((cfg.workdir / "ray").resolve()), verbose=0))
    results = {}
    for r in tuner.fit():
        metrics = r.metrics or {}
        results[r.config["job"]["tid"]] = (
            json.loads(metrics["result"]) if r.error is None and "result" in metrics else
            {"ok": False, "error": f"Ray Tune trial failed: {r.error or 'no result'}",
             "seconds": None, "peak_mem_mb": None})
    return [results[p.tid] for p in plans]


def _connect(ray: Any, address: str, cfg: LoopConfig) -> str:
    if address != LOCAL:
        ray.init(address=address, logging_level=logging.WARNING)
        return f"cluster at {address}"
    ctx = ray.init(address="local", num_cpus=cfg.threads_per_trial * cfg.concurrency,
                   include_dashboard=False, log_to_driver=False,
                   logging_level=logging.WARNING, _node_ip_address="127.0.0.1")
    info = ctx.address_info
    if info["node_ip_address"] != "127.0.0.1":  # ray_runner's finally shuts it down
        raise AugurError(f"the local Ray instance bound to {info['node_ip_address']}, expected "
                         "127.0.0.1: ray was imported before ray_runner could keep it to the "
                         "loopback; set RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0 before ray is "
                         "imported")
    return f"local instance at {info['gcs_address']}"


def _import_ray(local: bool) -> Any:
    if local:
        # On Linux Ray binds its servers to the machine's outward IP even when told
        # 127.0.0.1; with this switch off (read when ray is imported) it keeps to the
        # loopback. Not for a cluster: there the driver must register with its node's IP.
        os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
    os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")  # verbose=0 then means no tables
    try:
        import ray
        import ray.tune  # noqa: F401 - the tune extra, not only ray core
    except ImportError:
        raise AugurError(f"--ray needs Ray Tune: {EXTRA_HINT}") from None
    return ray


def _name(trial: Any) -> str:
    return f"trial-{trial.config['job']['tid']:04d}"
