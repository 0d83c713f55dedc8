"""One real cell: SmolLM2 through llama.cpp writes tips into a real store (slow: loads a model)."""

import importlib.util

import pytest

from augur.lab.collect import CollectConfig, collect
from augur.lab.generators import GenSettings
from augur.lab.store import COLLECTED

pytestmark = pytest.mark.slow


def test_a_smollm2_cell_through_llama_cpp(store):
    if importlib.util.find_spec("augur.llm.factory") is None:
        pytest.skip("augur.llm.factory (make_backend) is not written yet; this test runs "
                    "the real SmolLM2 cell once it exists")
    config = CollectConfig(models=("llamacpp",), prompts=("v1",), scenarios=("p42-morning",),
                           settings=GenSettings(n=2, max_tokens=48, temperature=0.7, seed=1))
    report = collect(store, config, progress=False)
    assert not report.failed, report.summary()
    (run,) = store.search(COLLECTED)
    assert run.data.tags["generator"].startswith("llamacpp")
    raw = store.load_json(run.info.run_id, "raw.json")
    assert len(raw) == 2 and all(r["completion_tokens"] > 0 for r in raw)
    assert all(r["prompt_tokens"] > 100 for r in raw)  # the whole context reached the model
    cands = store.load_json(run.info.run_id, "candidates.json")
    assert all(c["text"] for c in cands)
    assert run.data.metrics["tokens_per_s"] > 0
