"""The research loop: run experiments, each in a child process under a fixed wall-clock
budget, score it with the frozen harness, append one row to results.tsv, keep a new best
only when it beats the incumbent by more than the noise floor.

The Ledger does the bookkeeping (ids, rows, keep decisions, noise floor); a Runner only
executes prepared trials: run_local here, ray_runner on Ray Tune. An explicit list of
experiments (run_trials) and an Optuna search (search.run_search) share both."""

from __future__ import annotations

import csv
import json
import math
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from augur.errors import AugurError
from augur.research.experiment import Experiment
from augur.research.trial import EVAL_SETS

FORBIDDEN_SEEDS = (1001, 1002, 1003)  # the harness's cold-start personas: never train on them
# The temporal hold-out is persona 42's days after its first 730: the loop trains on that
# persona (as `make run` does), never past those days.
TEMPORAL_SEED, TEMPORAL_TRAIN_DAYS = 42, 730
TEMPORAL_METRICS = ("composite", "next_action_top1", "next_action_top3", "routing_accuracy",
                    "routing_macro_f1", "relevance_precision_at_1", "proactive_precision",
                    "proactive_recall", "proactive_f1", "calibration_ece", "calibration_nll",
                    "calibration_brier", "delay_mae_log", "timing_accuracy")
COLUMNS = ("trial", "commit", "status", "composite",
           *(f"temporal_{m}" for m in TEMPORAL_METRICS[1:]), "cold_start_composite",
           "noise_floor", "seconds", "peak_mem_mb", "params", "description")
STATUSES = ("keep", "discard", "crash", "noise")
MLFLOW_EXPERIMENT = "augur-research"


@dataclass
class LoopConfig:
    data: Path | None = None  # a JSON Lines file to train on; None: synthetic persona data
    days: int = 730  # synthetic days when data is None (an experiment's `days` overrides)
    data_seed: int = TEMPORAL_SEED  # synthetic persona; 1001-1003 are the harness's, refused
    budget_s: float = 300.0  # training wall-clock per trial (scoring comes on top)
    results: Path = Path("results.tsv")
    models_dir: Path = Path("checkpoints")  # the service's registry: kept models appear there
    noise_seeds: int = 2  # re-trainings of the baseline with other seeds
    tracking_uri: str | None = None  # MLflow store; None: no mirror
    workdir: Path = Path(".augur/research")
    eval_sets: tuple[str, ...] = EVAL_SETS  # the real harness; tests may score fewer sets
    timeout_s: float | None = None  # hard kill of a trial; default budget_s * 2 + 600
    keep_checkpoints: bool = False  # keep discarded trials' checkpoints in workdir
    concurrency: int = 1  # trials side by side once there is a baseline
    cpus_per_trial: int | None = None  # torch threads (and Ray CPUs); None: cores / concurrency

    def __post_init__(self) -> None:
        self.results, self.models_dir = Path(self.results), Path(self.models_dir)
        self.workdir = Path(self.workdir)
        self.data = Path(self.data) if self.data is not None else None
        if self.data_seed in FORBIDDEN_SEEDS:
            raise AugurError(f"data_seed: expected a persona other than {FORBIDDEN_SEEDS} "
                             f"(the harness's cold-start personas), got {self.data_seed}")
        if isinstance(self.days, bool) or not isinstance(self.days, int) or self.days <= 0:
            raise AugurError(f"days: expected a positive integer, got {self.days!r}")
        _check_days("days", self.days, self.data_seed)
        if self.budget_s <= 0:
            raise AugurError(f"budget_s: expected a positive number, got {self.budget_s}")
        if self.noise_seeds < 0:
            raise AugurError(f"noise_seeds: expected 0 or more, got {self.noise_seeds}")
        for name in ("concurrency", "cpus_per_trial"):
            v = getattr(self, name)
            if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 1):
                raise AugurError(f"{name}: expected a positive integer, got {v!r}")
        self.eval_sets = tuple(self.eval_sets)
        if not self.eval_sets or not set(self.eval_sets) <= set(EVAL_SETS):
            raise AugurError(f"eval_sets: expected some of {EVAL_SETS}, got {self.eval_sets}")
        if "temporal" not in self.eval_sets:
            raise AugurError("eval_sets: expected 'temporal' among them (it gives the "
                             f"composite that decides keep), got {self.eval_sets}")

    @property
    def trial_timeout_s(self) -> float:
        return self.timeout_s or self.budget_s * 2 + 600

    @property
    def threads_per_trial(self) -> int:
        return self.cpus_per_trial or max(1, (os.cpu_count() or 1) // self.concurrency)


def git_commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True, timeout=10, cwd=Path(__file__).parent)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.stdout.strip() if out.returncode == 0 and out.stdout.strip() else "unknown"


def read_results(path: Path) -> list[dict[str, str]]:
    if not Path(path).is_file():
        return []
    with open(path, newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def run_trials(experiments: list[Experiment], cfg: LoopConfig,
               log: Callable[[str], None] | None = None,
               runner: Runner | None = None) -> list[dict[str, Any]]:
    """Run each experiment as a trial; returns the rows appended to cfg.results. The first
    successful trial (of an empty results file) is the baseline and incumbent; it is then
    re-trained with `noise_seeds` other seeds and the composite spread is the noise floor.
    `runner` executes the trials (default: child processes here; see ray_runner)."""
    ledger = Ledger(cfg, log, runner)
    rows, todo = [], list(experiments)
    while todo:
        n = ledger.batch_size()
        rows += ledger.run([ledger.plan(e) for e in todo[:n]])
        todo = todo[n:]
    return rows


@dataclass
class Plan:
    """One trial, prepared: its id, folder and spec.json are fixed before anything runs, so
    trials may finish in any order and still be recorded in id order."""
    tid: int
    exp: Experiment
    seed: int
    noise: bool
    note: str  # appended to the description, e.g. "(optuna trial 3)"
    tdir: Path
    error: str | None = None  # it failed before it could run (no data): a crash

    @property
    def spec(self) -> Path:
        return self.tdir / "spec.json"


# Executes prepared trials (none with an error) and returns one result dict per plan, in
# plan order: {"ok", "metrics" or "error", "seconds", "peak_mem_mb"}. run_local runs them
# in child processes here; ray_runner runs the same children as Ray Tune trials.
Runner = Callable[[list[Plan], LoopConfig], list[dict[str, Any]]]


def run_local(plans: list[Plan], cfg: LoopConfig) -> list[dict[str, Any]]:
    """Each plan in its own child process, at most cfg.concurrency at a time."""
    with ThreadPoolExecutor(max_workers=max(1, min(cfg.concurrency, len(plans)))) as pool:
        return list(pool.map(lambda p: run_child(p.spec, cfg.trial_timeout_s,
                                                 cfg.threads_per_trial), plans))


class Ledger:
    """results.tsv and the keep decisions: ids are handed out in order, results are recorded
    in id order, so keep and discard do not depend on which trial finished first."""

    def __init__(self, cfg: LoopConfig, log: Callable[[str], None] | None = None,
                 runner: Runner | None = None) -> None:
        self.cfg, self.log, self.runner = cfg, log or (lambda s: None), runner or run_local
        cfg.workdir.mkdir(parents=True, exist_ok=True)
        old = read_results(cfg.results)
        if old and tuple(old[0].keys()) != COLUMNS:
            raise AugurError(f"{cfg.results} has other columns than this loop writes; "
                             f"move it away or pass another --results")
        self.state = _State.resume(old)
        self.commit = git_commit()

    def batch_size(self) -> int:
        """Trials to run side by side next: one until there is a baseline (the trial after
        it must be judged against it and its noise floor), then cfg.concurrency."""
        return 1 if self.state.incumbent is None else self.cfg.concurrency

    def plan(self, exp: Experiment, seed: int = 0, noise: bool = False,
             note: str = "") -> Plan:
        tid = self.state.next_id
        self.state.next_id += 1
        p = Plan(tid, exp, seed, noise, note, self.cfg.workdir / f"trial-{tid:04d}")
        shutil.rmtree(p.tdir, ignore_errors=True)
        p.tdir.mkdir(parents=True)
        try:
            data = _data(exp, self.cfg)
        except (AugurError, OSError) as e:
            p.error = f"{type(e).__name__}: {e}"
            return p
        spec = {"experiment": exp.to_json(), "data": str(data.resolve()),
                "ckpt": str((p.tdir / "ckpt").resolve()),
                "result": str((p.tdir / "result.json").resolve()), "seed": seed,
                "budget_s": self.cfg.budget_s, "eval_sets": list(self.cfg.eval_sets)}
        p.spec.write_text(json.dumps(spec, indent=1))
        return p

    def run(self, plans: list[Plan]) -> list[dict[str, Any]]:
        """Execute the plans, record them in id order; a new baseline gets its noise floor
        measured right after it. Returns the rows appended."""
        ready = [p for p in plans if p.error is None]
        done = dict(zip([p.tid for p in ready], self.runner(ready, self.cfg), strict=True))
        rows = []
        for p in sorted(plans, key=lambda p: p.tid):
            result = done.get(p.tid) or {"ok": False, "error": p.error, "seconds": 0.0,
                                         "peak_mem_mb": None}
            rows.append(self._record(p, result))
            if rows[-1]["status"] == "keep" and self.state.floor is None:
                rows += self._noise_floor(p.exp, rows[-1])
        return rows

    def _noise_floor(self, exp: Experiment, base: dict[str, Any]) -> list[dict[str, Any]]:
        seeds = range(1, self.cfg.noise_seeds + 1)
        rows = self.run([self.plan(exp, seed=s, noise=True) for s in seeds])
        values = [base["composite"], *(r["composite"] for r in rows
                                       if r["composite"] is not None)]
        self.state.floor = round(max(values) - min(values), 6)
        self.log(f"noise floor {self.state.floor:.4f} from {len(values)} seeds of the "
                 "baseline")
        for r in [base, *rows]:  # rewritten below with the floor now known
            r["noise_floor"] = self.state.floor
        _rewrite_floor(self.cfg.results, [r["trial"] for r in [base, *rows]],
                       self.state.floor)
        return rows

    def _record(self, p: Plan, result: dict[str, Any]) -> dict[str, Any]:
        cfg, state = self.cfg, self.state
        desc = p.exp.describe() + (f" (noise: seed {p.seed})" if p.noise else "") + p.note
        params = {**p.exp.to_json(), "seed": p.seed, "budget_s": cfg.budget_s}
        metrics = result.get("metrics", {})
        temporal, cold = metrics.get("temporal", {}), metrics.get("cold_start", {})
        composite = temporal.get("composite")
        if not result["ok"] or composite is None or not math.isfinite(composite):
            status = "crash"
            desc += f" | crash: {result.get('error') or 'no composite'}"
            composite = None
        else:
            desc += _how_it_trained(result)
            if p.noise:
                status = "noise"
            elif state.incumbent is None or (  # the baseline, or a new best
                    composite > state.incumbent + (state.floor or 0.0)):
                status = "keep"
            else:
                status = "discard"
        if status == "keep":
            state.incumbent = composite
            dest = cfg.models_dir / f"research-{p.tid:04d}"
            shutil.rmtree(dest, ignore_errors=True)
            shutil.copytree(p.tdir / "ckpt", dest)
            desc += f" -> {dest}"
        elif not cfg.keep_checkpoints:
            shutil.rmtree(p.tdir / "ckpt", ignore_errors=True)
        row = {"trial": p.tid, "commit": self.commit, "status": status,
               "composite": composite,
               **{f"temporal_{m}": temporal.get(m) for m in TEMPORAL_METRICS[1:]},
               "cold_start_composite": cold.get("composite"), "noise_floor": state.floor,
               "seconds": result.get("seconds"), "peak_mem_mb": result.get("peak_mem_mb"),
               "params": json.dumps(params, separators=(",", ":")), "description": desc}
        _append(cfg.results, row)
        _mirror(cfg.tracking_uri, row, params, self.log)
        self.log(f"trial {p.tid}: {status} composite={_fmt(composite)} {desc}")
        return row


@dataclass
class _State:
    next_id: int = 1
    incumbent: float | None = None
    floor: float | None = None

    @classmethod
    def resume(cls, rows: list[dict[str, str]]) -> _State:
        s = cls(next_id=max((int(r["trial"]) for r in rows), default=0) + 1)
        kept = [float(r["composite"]) for r in rows if r["status"] == "keep"]
        s.incumbent = kept[-1] if kept else None
        floors = [r["noise_floor"] for r in rows if r["noise_floor"] not in ("", None)]
        s.floor = float(floors[-1]) if floors and kept else None
        return s


def _data(exp: Experiment, cfg: LoopConfig) -> Path:
    if cfg.data is not None and exp.days is None:
        if not cfg.data.is_file():
            raise AugurError(f"no data file at {cfg.data}")
        return cfg.data
    days = exp.days or cfg.days
    _check_days("experiment days", days, cfg.data_seed)
    path = cfg.workdir / "data" / f"persona{cfg.data_seed}-{days}d.jsonl"
    if not path.is_file():
        from augur.events.io import write_jsonl
        from augur.events.persona import KnowledgeWorkerPersona

        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        write_jsonl(tmp, KnowledgeWorkerPersona(cfg.data_seed).generate(days))
        tmp.replace(path)
    return path


def _how_it_trained(result: dict[str, Any]) -> str:
    """` [21 epochs in 118.7 s; 2637 texts embedded in 96.8 s]`: how far the budget went."""
    parts = []
    if result.get("epochs_run") is not None:
        parts.append(f"{result['epochs_run']} epochs in {result.get('train_seconds')} s")
    if bb := result.get("backbone"):
        parts.append(f"{bb['texts']} texts embedded in {bb['embed_seconds']} s")
    return f" [{'; '.join(parts)}]" if parts else ""


def _check_days(name: str, days: int, seed: int) -> None:
    if seed == TEMPORAL_SEED and days > TEMPORAL_TRAIN_DAYS:
        raise AugurError(f"{name}: expected at most {TEMPORAL_TRAIN_DAYS} days of persona "
                         f"{seed} (later days are the harness's temporal hold-out), got {days}")


def run_child(spec: Path, timeout_s: float, threads: int) -> dict[str, Any]:
    """Run `python -m augur.research.trial SPEC` and return its result; the child's own
    peak memory comes from wait4. OMP_NUM_THREADS gives torch the trial's share of the
    cores, the same whether the child runs here or in a Ray worker."""
    tdir = spec.parent
    result_path = Path(json.loads(spec.read_text())["result"])
    env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
    start = time.monotonic()
    with open(tdir / "log.txt", "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "augur.research.trial", str(spec)],
                                stdout=out, stderr=subprocess.STDOUT, env=env)
        timer = threading.Timer(timeout_s, proc.kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
    seconds = round(time.monotonic() - start, 1)
    peak = round(usage.ru_maxrss / 1024, 1)  # Linux: kilobytes
    if result_path.is_file():
        result = json.loads(result_path.read_text())
    else:
        tail = (tdir / "log.txt").read_text(errors="replace").strip().splitlines()[-1:]
        why = "timed out" if seconds >= timeout_s else f"exit {proc.returncode}"
        result = {"ok": False, "error": f"child died ({why}): {' '.join(tail)}"}
    result["seconds"], result["peak_mem_mb"] = seconds, peak
    return result


def _append(path: Path, row: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    new = not path.is_file()
    with open(path, "a", newline="") as f:
        w = csv.DictWriter(f, COLUMNS, delimiter="\t", lineterminator="\n")
        if new:
            w.writeheader()
        w.writerow({k: _cell(row[k]) for k in COLUMNS})


def _rewrite_floor(path: Path, trials: list[int], floor: float) -> None:
    rows = read_results(path)
    for r in rows:
        if int(r["trial"]) in trials:
            r["noise_floor"] = _cell(floor)
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", newline="") as f:
        w = csv.DictWriter(f, COLUMNS, delimiter="\t", lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    tmp.replace(path)


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:.6g}"
    return str(v).replace("\t", " ").replace("\n", " ")


def _fmt(v: float | None) -> str:
    return "-" if v is None else f"{v:.4f}"


def _mirror(uri: str | None, row: dict[str, Any], params: dict[str, Any],
            log: Callable[[str], None]) -> None:
    """One MLflow run per trial (experiment `augur-research`): its params, metrics and
    status tag. The row is already in results.tsv, so a failing store only warns."""
    if uri is None:
        return
    from augur.oracle.tracking import MLflowTracker

    metrics = {k: float(v) for k, v in row.items()
               if k in COLUMNS[3:-2] and isinstance(v, int | float) and math.isfinite(v)}
    flat = {k: json.dumps(v) if isinstance(v, list) else v for k, v in params.items()}
    try:
        tracker = MLflowTracker(uri, experiment=MLFLOW_EXPERIMENT)
        tracker.start_run(f"research-{row['trial']:04d}", flat,
                          {"status": row["status"], "commit": row["commit"],
                           "description": row["description"][:250]})
        try:
            if metrics:
                tracker.log_metrics(metrics)
        finally:
            tracker.end_run("FAILED" if row["status"] == "crash" else "FINISHED")
    except Exception as e:  # noqa: BLE001 - tracking must not stop the loop
        log(f"warning: trial {row['trial']} not mirrored to MLflow: {type(e).__name__}: {e}")
