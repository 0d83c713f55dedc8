"""ServiceConfig: how `augur serve` runs. Free of FastAPI and torch, so the command
line can check it (and refuse to start) before importing either."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

from augur.errors import AugurError

TOKEN_ENV = "AUGUR_API_TOKEN"


class ServiceConfigError(AugurError):
    """A service setting that cannot work; the message says how to fix it."""


@dataclass
class ServiceConfig:
    host: str = "127.0.0.1"
    port: int = 8787
    models_dir: Path = Path("checkpoints")  # one checkpoint folder per model
    token: str | None = None  # bearer token for /train and /evaluate; from AUGUR_API_TOKEN
    default_model: str | None = None  # used when a request names none; newest if unset
    max_body_bytes: int = 1 << 20  # 1 MiB
    batch_max: int = 64  # windows per forward pass
    batch_wait_ms: float = 2.0  # under load, how long a batch waits for companions
    torch_threads: int = 1  # a second thread spin-waits against the event loop on 2 cores
    gc_freeze: bool = False  # `augur serve` sets it: loaded models leave the collector's view
    jobs_dir: Path | None = None  # training job logs and status; <models_dir>/.jobs if unset
    eval_cache_dir: Path | None = None  # harness reports by checkpoint hash
    memory_store: str = "data/memory.db"  # REM memory: a SQLite file or postgresql:// URL
    memory_embed: bool = True  # SEARCH with its semantic part (loads all-MiniLM-L6-v2)
    # `augur serve` sets it: when the memory exists, /memory/ask's model is built in the
    # background at startup (seconds), so the first question is not the slow one.
    warm_tasks: bool = False

    @classmethod
    def from_env(cls, **kwargs) -> ServiceConfig:
        cfg = cls(**kwargs)
        if cfg.token is None:
            cfg.token = os.environ.get(TOKEN_ENV) or None
        return cfg

    @property
    def memory_exists(self) -> bool:
        """A PostgreSQL URL, or a SQLite file that is there (none is created on serve)."""
        return "://" in self.memory_store or Path(self.memory_store).is_file()

    @property
    def loopback(self) -> bool:
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:  # a host name: treat as exposed
            return False

    def check(self) -> None:
        """Refuse settings that would expose state-changing routes without a token."""
        if not self.loopback and not self.token:
            raise ServiceConfigError(
                f"refusing to bind {self.host}: beyond loopback, /train and /evaluate need a "
                f"bearer token; set {TOKEN_ENV} to a long random string (or bind 127.0.0.1)")
        if self.max_body_bytes < 1024 or self.batch_max < 1 or self.torch_threads < 1:
            raise ServiceConfigError("batch_max and torch_threads must be positive and "
                                     "max_body_bytes at least 1024")
        if self.batch_wait_ms < 0:
            raise ServiceConfigError(f"batch_wait_ms must be >= 0, got {self.batch_wait_ms}")
