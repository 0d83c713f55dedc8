"""`augur serve`: run the service with uvicorn (argument parsing kept light: FastAPI and
torch are imported only once the settings have been checked)."""

from __future__ import annotations

import argparse
from pathlib import Path

from augur.service.config import TOKEN_ENV, ServiceConfig


def add_serve_arguments(p: argparse.ArgumentParser) -> None:
    d = ServiceConfig()
    p.add_argument("--host", default=d.host,
                   help=f"address to bind (default {d.host}; any other address needs "
                        f"{TOKEN_ENV})")
    p.add_argument("--port", type=int, default=d.port, help=f"port (default {d.port})")
    p.add_argument("--models", type=Path, default=d.models_dir,
                   help=f"folder of checkpoints, one per model (default {d.models_dir})")
    p.add_argument("--default-model", default=None,
                   help="model used when a request names none (default: the newest)")
    p.add_argument("--batch-wait-ms", type=float, default=d.batch_wait_ms,
                   help=f"under load, how long a batch waits for more requests "
                        f"(default {d.batch_wait_ms}; a lone request never waits)")
    p.add_argument("--torch-threads", type=int, default=d.torch_threads,
                   help=f"threads for the forward pass (default {d.torch_threads}: batching, "
                        "not threads, is what scales on a small CPU)")
    p.add_argument("--memory", default=d.memory_store,
                   help=f"REM memory for /memory: a SQLite file or postgresql:// URL "
                        f"(default {d.memory_store}; build it with `augur memory ingest`)")


def serve(args: argparse.Namespace) -> int:
    cfg = ServiceConfig.from_env(host=args.host, port=args.port, models_dir=args.models,
                                 default_model=args.default_model,
                                 batch_wait_ms=args.batch_wait_ms,
                                 torch_threads=args.torch_threads, gc_freeze=True,
                                 memory_store=args.memory, warm_tasks=True)
    cfg.check()  # refuse before importing anything heavy
    import torch
    import uvicorn

    torch.set_num_threads(cfg.torch_threads)
    from augur.service.app import create_app

    app = create_app(cfg)
    shown = f"[{cfg.host}]" if ":" in cfg.host else cfg.host
    print(f"augur: serving {cfg.models_dir} on http://{shown}:{cfg.port}\n"
          f"  playground: http://{shown}:{cfg.port}/playground\n"
          f"  API docs:   http://{shown}:{cfg.port}/docs", flush=True)
    uvicorn.run(app, host=cfg.host, port=cfg.port, log_level="warning", access_log=False)
    return 0
