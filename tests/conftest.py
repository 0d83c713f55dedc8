"""Shared fixtures: small simulated streams and a tiny trained checkpoint (seconds, not
minutes), made once per test session."""

from __future__ import annotations

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
