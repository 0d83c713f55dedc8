"""Background training jobs behind POST /train: one at a time, each in a child process
(trainjob.py) whose status file this module reads back for GET /train/{id}."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path

from augur.errors import AugurError
from augur.service.schemas import TrainJob, TrainRequest


class JobConflict(AugurError):
    """A second job while one runs, or a model name already taken."""


class BadTrainRequest(AugurError):
    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(message)


class UnknownJob(AugurError):
    pass


class Jobs:
    def __init__(self, models_dir: Path, jobs_dir: Path) -> None:
        self.models_dir, self.jobs_dir = Path(models_dir), Path(jobs_dir)
        self._jobs: dict[str, dict] = {}
        self._procs: dict[str, subprocess.Popen] = {}
        self._lock = threading.Lock()

    def start(self, req: TrainRequest) -> TrainJob:
        from augur.harness.constants import COLD_START_SEEDS

        if req.data is not None and not Path(req.data).is_file():
            raise BadTrainRequest("data", f"field 'data' expected: a JSON Lines file on the "
                                          f"server; got {req.data!r}, which does not exist")
        seeds = set(range(req.synthetic.seed, req.synthetic.seed + req.synthetic.personas))
        if req.data is None and seeds & set(COLD_START_SEEDS):
            raise BadTrainRequest("synthetic.seed", "field 'synthetic.seed' expected: persona "
                                  f"seeds outside the harness's cold-start people "
                                  f"{list(COLD_START_SEEDS)}; got seeds "
                                  f"{min(seeds)}-{max(seeds)}")
        with self._lock:
            running = [j for j in self._jobs if self._state(j)["state"] in ("queued", "running")]
            if running:
                raise JobConflict(f"training job {running[0]} is still running; one job runs "
                                  f"at a time: poll GET /train/{running[0]} and retry after it")
            out = self.models_dir / req.name
            if out.exists() or any(j["name"] == req.name for j in self._jobs.values()):
                raise JobConflict(f"model name {req.name!r} is taken; pick another name")
            job_id = uuid.uuid4().hex[:12]
            folder = self.jobs_dir / job_id
            folder.mkdir(parents=True)
            spec = {"name": req.name, "out": str(out), "data": req.data,
                    "synthetic": req.synthetic.model_dump(), "seed": req.seed,
                    "epochs": req.epochs, "time_budget_s": req.time_budget_s,
                    "layers": req.layers, "width": req.width,
                    "data_dir": str(self.jobs_dir / "data")}
            (self.jobs_dir / "data").mkdir(parents=True, exist_ok=True)
            (folder / "spec.json").write_text(json.dumps(spec, indent=2))
            log = (folder / "log.txt").open("wb")
            self._procs[job_id] = subprocess.Popen(
                [sys.executable, "-m", "augur.service.trainjob", str(folder / "spec.json"),
                 str(folder / "status.json")], stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL)
            log.close()
            self._jobs[job_id] = {"name": req.name, "folder": folder,
                                  "created": datetime.now(UTC).isoformat(
                                      timespec="seconds")}
            return self.get(job_id)

    def get(self, job_id: str) -> TrainJob:
        if job_id not in self._jobs:
            raise UnknownJob(f"unknown training job {job_id!r}; known: "
                             f"{', '.join(self._jobs) or 'none'}")
        job = self._jobs[job_id]
        return TrainJob(id=job_id, name=job["name"], created=job["created"],
                        **self._state(job_id))

    def _state(self, job_id: str) -> dict:
        folder = self._jobs[job_id]["folder"]
        try:
            status = json.loads((folder / "status.json").read_text())
        except (OSError, ValueError):
            status = {"state": "queued", "progress": 0.0, "message": "starting"}
        proc = self._procs.get(job_id)
        code = proc.poll() if proc else None
        if code is not None and status["state"] in ("queued", "running"):
            tail = (folder / "log.txt").read_text(errors="replace")[-2000:]
            status = {"state": "failed", "progress": status.get("progress", 0.0),
                      "message": f"the training process exited with code {code}",
                      "result": {"log_tail": tail}}
        return {k: status.get(k) for k in ("state", "progress", "message", "result")}

    def stop_all(self) -> None:
        for proc in self._procs.values():
            if proc.poll() is None:
                proc.terminate()
