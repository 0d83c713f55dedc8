"""One training job, run as a child process of the service:

    python -m augur.service.trainjob SPEC.json STATUS.json

Kept out of the server process so training neither holds the GIL nor can crash
the server; it runs at a lower CPU priority so /predict keeps its latency. The
status file is rewritten atomically (at most twice a second) with the phase,
progress and, at the end, the summary or the error.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
import traceback
from pathlib import Path


def write_status(path: Path, **status) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(status))
    os.replace(tmp, path)


def main(spec_path: str, status_path: str) -> int:
    status = Path(status_path)
    spec = json.loads(Path(spec_path).read_text())
    with contextlib.suppress(OSError):
        os.nice(10)
    try:
        data = Path(spec["data"]) if spec.get("data") else _synthesize(spec, status)
        from augur.oracle.config import OracleConfig, TrainConfig
        from augur.oracle.train import train

        last = [0.0]

        def on_step(s: dict) -> None:
            now = time.monotonic()
            if now - last[0] >= 0.5 or s["step"] == s["total"]:
                last[0] = now
                write_status(status, state="running", progress=s["step"] / max(1, s["total"]),
                             message=f"epoch {s['epoch'] + 1}: step {s['step']}/{s['total']}, "
                                     f"loss {s['loss']:.3f}, best validation composite "
                                     f"{max(0.0, s['best_val']):.3f}")

        write_status(status, state="running", progress=0.0, message=f"reading {data}")
        tc = TrainConfig(seed=spec["seed"], epochs=spec["epochs"],
                         time_budget_s=spec.get("time_budget_s"))
        mc = OracleConfig(n_layers=spec["layers"], d_model=spec["width"],
                          d_ff=3 * spec["width"], n_heads=4 if spec["width"] >= 64 else 2)
        summary = train(data, Path(spec["out"]), tc, mc, progress=False, on_step=on_step)
        final = summary["val_after_calibration"]
        write_status(status, state="succeeded", progress=1.0,
                     message=f"wrote model {spec['name']!r}: validation composite "
                             f"{final['composite']:.4f}",
                     result={"model": spec["name"], "epochs_run": summary["epochs_run"],
                             "seconds": summary["seconds"], "validation": final})
        return 0
    except Exception as exc:  # noqa: BLE001 - reported through the status file
        write_status(status, state="failed", progress=0.0, message=f"{type(exc).__name__}: "
                     f"{exc}", result={"traceback": traceback.format_exc()[-4000:]})
        return 1


def _synthesize(spec: dict, status: Path) -> Path:
    from augur.events.io import write_jsonl
    from augur.events.persona import KnowledgeWorkerPersona

    syn = spec["synthetic"]
    out = Path(spec["data_dir"]) / (f"synth-d{syn['days']}-s{syn['seed']}-"
                                    f"p{syn['personas']}.jsonl")
    if not out.is_file():
        write_status(status, state="running", progress=0.0,
                     message=f"synthesizing {syn['days']} days of {syn['personas']} persona(s)")
        events = [e for s in range(syn["seed"], syn["seed"] + syn["personas"])
                  for e in KnowledgeWorkerPersona(seed=s).generate(days=syn["days"],
                                                                   progress=False)]
        write_jsonl(out, events)
    return out


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
