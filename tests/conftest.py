"""Shared fixtures: small simulated streams, made once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

from augur.events.persona import KnowledgeWorkerPersona

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
