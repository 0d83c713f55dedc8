"""The research loop: run experiments one by one, each in a child process under a fixed
wall-clock budget, score it with the frozen harness, append one row to results.tsv,
keep a new best only when it beats the incumbent by more than the noise floor."""

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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from augur.errors import AugurError
from augur.research.experiment import Experiment
from augur.research.trial import EVAL_SETS

FORBIDDEN_SEEDS = (1001, 1002, 1003)  # the harness's cold-start personas: never train on them
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
    days: int = 60  # synthetic days when data is None (an experiment's `days` overrides)
    data_seed: int = 7  # synthetic persona; 1001-1003 are the harness's and refused
    budget_s: float = 300.0  # training wall-clock per trial (scoring comes on top)
    results: Path = Path("results.tsv")
    models_dir: Path = Path("checkpoints")  # the service's registry: kept models appear there
    noise_seeds: int = 2  # re-trainings of the baseline with other seeds
    tracking_uri: str | None = None  # MLflow store; None: no mirror
    workdir: Path = Path(".augur/research")
    eval_sets: tuple[str, ...] = EVAL_SETS  # the real harness; tests may score fewer sets
    timeout_s: float | None = None  # hard kill of a trial; default budget_s * 2 + 600
    keep_checkpoints: bool = False  # keep discarded trials' checkpoints in workdir

    def __post_init__(self) -> None:
        self.results, self.models_dir = Path(self.results), Path(self.models_dir)
        self.workdir = Path(self.workdir)
        self.data = Path(self.data) if self.data is not None else None
        if self.data_seed in FORBIDDEN_SEEDS:
            raise AugurError(f"data_seed: expected a persona other than {FORBIDDEN_SEEDS} "
                             f"(the harness's cold-start personas), got {self.data_seed}")
        if isinstance(self.days, bool) or not isinstance(self.days, int) or self.days <= 0:
            raise AugurError(f"days: expected a positive integer, got {self.days!r}")
        if self.budget_s <= 0:
            raise AugurError(f"budget_s: expected a positive number, got {self.budget_s}")
        if self.noise_seeds < 0:
            raise AugurError(f"noise_seeds: expected 0 or more, got {self.noise_seeds}")
        self.eval_sets = tuple(self.eval_sets)
        if not self.eval_sets or not set(self.eval_sets) <= set(EVAL_SETS):
            raise AugurError(f"eval_sets: expected some of {EVAL_SETS}, got {self.eval_sets}")
        if "temporal" not in self.eval_sets:
            raise AugurError("eval_sets: expected 'temporal' among them (it gives the "
                             f"composite that decides keep), got {self.eval_sets}")


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
               log: Callable[[str], None] | None = None) -> list[dict[str, Any]]:
    """Run each experiment as a trial; returns the rows appended to cfg.results. The first
    successful trial (of an empty results file) is the baseline and incumbent; it is then
    re-trained with `noise_seeds` other seeds and the composite spread is the noise floor."""
    log = log or (lambda s: None)
    cfg.workdir.mkdir(parents=True, exist_ok=True)
    old = read_results(cfg.results)
    if old and tuple(old[0].keys()) != COLUMNS:
        raise AugurError(f"{cfg.results} has other columns than this loop writes; "
                         f"move it away or pass another --results")
    state = _State.resume(old)
    commit = git_commit()
    rows = []
    for exp in experiments:
        row = _trial(state, exp, cfg, commit, seed=0, log=log)
        rows.append(row)
        if row["status"] == "keep" and state.floor is None:
            rows += _noise_floor(state, exp, row, cfg, commit, log)
    return rows


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


def _noise_floor(state: _State, exp: Experiment, base: dict[str, Any], cfg: LoopConfig,
                 commit: str, log: Callable[[str], None]) -> list[dict[str, Any]]:
    values, rows = [base["composite"]], []
    for seed in range(1, cfg.noise_seeds + 1):
        row = _trial(state, exp, cfg, commit, seed=seed, log=log, noise=True)
        rows.append(row)
        if row["composite"] is not None:
            values.append(row["composite"])
    state.floor = round(max(values) - min(values), 6)
    log(f"noise floor {state.floor:.4f} from {len(values)} seeds of the baseline")
    for r in [base, *rows]:  # rewritten below with the floor now known
        r["noise_floor"] = state.floor
    _rewrite_floor(cfg.results, [r["trial"] for r in [base, *rows]], state.floor)
    return rows


def _trial(state: _State, exp: Experiment, cfg: LoopConfig, commit: str, seed: int,
           log: Callable[[str], None], noise: bool = False) -> dict[str, Any]:
    tid = state.next_id
    state.next_id += 1
    tdir = cfg.workdir / f"trial-{tid:04d}"
    shutil.rmtree(tdir, ignore_errors=True)
    tdir.mkdir(parents=True)
    desc = exp.describe() + (f" (noise: seed {seed})" if noise else "")
    params = {**exp.to_json(), "seed": seed, "budget_s": cfg.budget_s}
    try:
        data = _data(exp, cfg)
        result = _child(tid, exp, cfg, tdir, data, seed)
    except (AugurError, OSError) as e:
        result = {"ok": False, "error": f"{type(e).__name__}: {e}", "seconds": 0.0,
                  "peak_mem_mb": None}
    metrics = result.get("metrics", {})
    temporal, cold = metrics.get("temporal", {}), metrics.get("cold_start", {})
    composite = temporal.get("composite")
    if not result["ok"] or composite is None or not math.isfinite(composite):
        status = "crash"
        desc += f" | crash: {result.get('error') or 'no composite'}"
        composite = None
    elif noise:
        status = "noise"
    elif state.incumbent is None:
        status = "keep"  # the baseline
    elif composite > state.incumbent + (state.floor or 0.0):
        status = "keep"
    else:
        status = "discard"
    if status == "keep":
        state.incumbent = composite
        dest = cfg.models_dir / f"research-{tid:04d}"
        shutil.rmtree(dest, ignore_errors=True)
        shutil.copytree(tdir / "ckpt", dest)
        desc += f" -> {dest}"
    elif not cfg.keep_checkpoints:
        shutil.rmtree(tdir / "ckpt", ignore_errors=True)
    row = {"trial": tid, "commit": commit, "status": status, "composite": composite,
           **{f"temporal_{m}": temporal.get(m) for m in TEMPORAL_METRICS[1:]},
           "cold_start_composite": cold.get("composite"), "noise_floor": state.floor,
           "seconds": result.get("seconds"), "peak_mem_mb": result.get("peak_mem_mb"),
           "params": json.dumps(params, separators=(",", ":")), "description": desc}
    _append(cfg.results, row)
    _mirror(cfg.tracking_uri, row, params, log)
    log(f"trial {tid}: {status} composite={_fmt(composite)} {desc}")
    return row


def _data(exp: Experiment, cfg: LoopConfig) -> Path:
    if cfg.data is not None and exp.days is None:
        if not cfg.data.is_file():
            raise AugurError(f"no data file at {cfg.data}")
        return cfg.data
    days = exp.days or cfg.days
    path = cfg.workdir / "data" / f"persona{cfg.data_seed}-{days}d.jsonl"
    if not path.is_file():
        from augur.events.io import write_jsonl
        from augur.events.persona import KnowledgeWorkerPersona

        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        write_jsonl(tmp, KnowledgeWorkerPersona(cfg.data_seed).generate(days))
        tmp.replace(path)
    return path


def _child(tid: int, exp: Experiment, cfg: LoopConfig, tdir: Path, data: Path,
           seed: int) -> dict[str, Any]:
    """Run the trial in `python -m augur.research.trial`; its own rusage via wait4."""
    spec = {"experiment": exp.to_json(), "data": str(data.resolve()),
            "ckpt": str((tdir / "ckpt").resolve()), "result": str((tdir / "result.json")
                                                                   .resolve()),
            "seed": seed, "budget_s": cfg.budget_s, "eval_sets": list(cfg.eval_sets)}
    (tdir / "spec.json").write_text(json.dumps(spec, indent=1))
    timeout = cfg.timeout_s or cfg.budget_s * 2 + 600
    start = time.monotonic()
    with open(tdir / "log.txt", "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "augur.research.trial",
                                 str(tdir / "spec.json")], stdout=out, stderr=subprocess.STDOUT)
        timer = threading.Timer(timeout, proc.kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
    seconds = round(time.monotonic() - start, 1)
    peak = round(usage.ru_maxrss / 1024, 1)  # Linux: kilobytes
    result_path = tdir / "result.json"
    if result_path.is_file():
        result = json.loads(result_path.read_text())
    else:
        tail = (tdir / "log.txt").read_text(errors="replace").strip().splitlines()[-1:]
        why = "timed out" if seconds >= timeout else f"exit {proc.returncode}"
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
