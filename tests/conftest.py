"""Shared fixtures: small simulated streams and a tiny trained checkpoint (seconds, not
minutes), made once per test session."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from augur.events.io import write_jsonl
from augur.events.persona import KnowledgeWorkerPersona
from augur.oracle.config import OracleConfig, TrainConfig

RECEIPT = Path(__file__).resolve().parents[2] / "shared" / "data" / "receipt.csv"


@pytest.fixture(scope="session")
def persona_stream():
    """Forty days of persona 5: enough weeks for rhythm and cause-and-effect checks."""
    return KnowledgeWorkerPersona(5).generate(40)


@pytest.fixture(scope="session")
def receipt_csv() -> Path:
    if not RECEIPT.is_file():
        pytest.skip(f"the real log is not at {RECEIPT} (it lives in ../shared/data)")
    return RECEIPT


TINY = dict(d_model=32, n_layers=1, n_heads=2, d_ff=64, d_candidate=16)


@pytest.fixture(scope="session")
def tiny():
    """(model config kwargs, train config factory) small enough to train in seconds."""
    def train_config(**kw) -> TrainConfig:
        return TrainConfig(**{"epochs": 2, "batch_tokens": 256, "warmup_steps": 5,
                              "curriculum": (16, 32), **kw})
    return TINY, train_config


@pytest.fixture(scope="session")
def tiny_data(tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "persona6.jsonl"
    write_jsonl(path, KnowledgeWorkerPersona(6).generate(8))
    return path


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory, tiny_data, tiny):
    from augur.oracle.train import train

    out = tmp_path_factory.mktemp("ckpt") / "tiny"
    train(tiny_data, out, tiny[1](), OracleConfig(**TINY), progress=False)
    return out


@pytest.fixture(scope="session")
def tiny_log_checkpoint(tmp_path_factory, tiny_data, tiny):
    """A tiny model trained as on an imported log: its events' labels keep only the next
    action and the delay (no lane, no interruption, no candidates)."""
    from augur.events.io import read_jsonl
    from augur.oracle.train import train

    folder = tmp_path_factory.mktemp("log")
    events = [e if e.labels is None else e.model_copy(update={"labels": e.labels.model_copy(
        update={"lane": None, "proactive": None, "candidates": None, "target": None})})
        for e in read_jsonl(tiny_data)]
    write_jsonl(folder / "log.jsonl", events)
    train(folder / "log.jsonl", folder / "log", tiny[1](), OracleConfig(**TINY), progress=False)
    return folder / "log"


def free_port() -> int:
    """A port nothing listens on right now (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def _server_process(args: list[str], ready_path: str, log: Path, timeout_s: float = 60,
                    env: dict | None = None):
    """`python -m ARGS` on a free 127.0.0.1 port ("{port}" in ARGS is replaced): yields
    its base URL once GET ready_path answers; fails with the log if it exits or never
    answers; always stopped."""
    port = free_port()
    cmd = [sys.executable, "-m", *(a.replace("{port}", str(port)) for a in args)]
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            if proc.poll() is not None:
                pytest.fail(f"{' '.join(args[:2])} exited with {proc.returncode}; its log:\n"
                            f"{log.read_text(errors='replace')[-3000:]}")
            try:
                with urllib.request.urlopen(url + ready_path, timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"{' '.join(args[:2])} did not answer GET {ready_path} in "
                                f"{timeout_s} s; its log:\n"
                                f"{log.read_text(errors='replace')[-3000:]}")
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def unused_port() -> int:
    return free_port()


@pytest.fixture(scope="session")
def server_process():
    """Start a server process for a test: `with server_process(args, ready, log) as url:`."""
    return _server_process
