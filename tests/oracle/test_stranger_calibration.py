"""Calibration for people the model never met: stranger temperatures and the top-label
map, fitted on people kept out of training."""

import numpy as np
import pytest
import torch

from augur.events.io import write_jsonl
from augur.events.persona import KnowledgeWorkerPersona
from augur.harness.metrics import expected_calibration_error
from augur.oracle.calibrate import (
    apply_top_label_map,
    choose_top_label_map,
    fit_top_label_map,
    identity_top_label_map,
)


def _overconfident(n=6000, seed=0, calibrated=False):
    """Rows whose top pick is right with probability 0.3 + 0.4 * (conf - 0.2) instead of
    conf: calibrated near 0.2, overconfident above (or right with probability conf)."""
    rng = np.random.default_rng(seed)
    logits = torch.tensor(rng.normal(size=(n, 10)) * rng.uniform(0.3, 3.0, (n, 1)))
    probs = torch.softmax(logits, -1).float()
    conf, pick = probs.max(-1)
    truth = (conf if calibrated else (0.2 + 0.4 * (conf - 0.2)).clamp(0, 1)).numpy()
    right = rng.random(n) < truth
    other = (pick + torch.tensor(rng.integers(1, 10, n))) % 10
    labels = torch.where(torch.tensor(right), pick, other)
    return probs, labels


def test_the_map_fixes_overconfidence_and_keeps_every_pick():
    probs, labels = _overconfident()
    fit_p, fit_y, test_p, test_y = probs[:4000], labels[:4000], probs[4000:], labels[4000:]
    knots = fit_top_label_map(fit_p, fit_y)
    assert knots.shape == identity_top_label_map().shape
    assert (knots[0].diff() >= 0).all() and (knots[1].diff() >= 0).all()  # monotone
    mapped = apply_top_label_map(test_p, knots)
    before = expected_calibration_error(test_p.numpy(), test_y.numpy())
    after = expected_calibration_error(mapped.numpy(), test_y.numpy())
    assert before > 0.1 and after < before / 3
    assert torch.equal(mapped.argmax(-1), test_p.argmax(-1))
    assert torch.allclose(mapped.sum(-1), torch.ones(len(mapped)), atol=1e-5)
    assert (mapped >= 0).all()


def test_the_map_is_kept_only_where_it_predicts_held_out_steps_better():
    probs, labels = _overconfident()
    knots, check = choose_top_label_map(probs, labels)
    assert check["kept"] and check["steps"] == 6000
    assert check["heldout_brier_map"] < check["heldout_brier_temperature_only"]
    assert torch.equal(knots, fit_top_label_map(probs, labels))  # fitted on every step
    # Already calibrated, few steps (an imported log's validation): the map would only
    # learn the labels' noise, so nothing is mapped. Eight draws, none kept.
    for seed in range(8):
        probs, labels = _overconfident(400, seed, calibrated=True)
        knots, check = choose_top_label_map(probs, labels)
        assert not check["kept"], (seed, check)
        assert check["heldout_brier_map"] >= check["heldout_brier_temperature_only"]
        assert torch.equal(knots, identity_top_label_map())
    few, check = choose_top_label_map(*_overconfident(9))  # under two steps a fold
    assert torch.equal(few, identity_top_label_map()) and check == {"steps": 9, "kept": False}


def test_the_identity_map_changes_nothing_and_a_lowered_top_stays_on_top():
    probs = torch.softmax(torch.randn(50, 7), -1)
    assert torch.allclose(apply_top_label_map(probs, identity_top_label_map()), probs, atol=1e-6)
    flat = torch.tensor([[0.5, 0.45, 0.05]])
    low = torch.stack([torch.linspace(0, 1, 21), torch.full((21,), 0.1)])  # "never right"
    out = apply_top_label_map(flat, low)
    assert out.argmax(-1).item() == 0 and out[0, 0] > out[0, 1]  # lowered, not overtaken
    assert out[0, 0] < 0.5 and out.sum().item() == pytest.approx(1.0)


@pytest.fixture(scope="module")
def strangers(tmp_path_factory):
    path = tmp_path_factory.mktemp("strangers") / "persona7.jsonl"
    write_jsonl(path, KnowledgeWorkerPersona(7).generate(4))
    return path


def test_training_fits_temperatures_and_a_map_for_strangers(tmp_path, tiny, tiny_data, strangers):
    from augur.oracle.checkpoint import load_checkpoint
    from augur.oracle.config import OracleConfig
    from augur.oracle.predictor import Oracle
    from augur.oracle.train import train

    out = tmp_path / "st"
    summary = train(tiny_data, out, tiny[1](), OracleConfig(**tiny[0]), progress=False,
                    strangers=strangers)
    st = summary["strangers"]
    assert st["streams"] == 1 and st["steps"] > 100
    model, vocab, _ = load_checkpoint(out)
    assert vocab.selves == ("persona-6",)
    assert st["temperature"] == pytest.approx(model.stranger_temperature.tolist(), abs=1e-4)
    # Each map is the identity exactly where its held-out check did not keep it (on this
    # tiny model, 42 and 304 steps, both are dropped).
    for i, check in enumerate((summary["top_label_map"], st["top_label_map"])):
        assert "heldout_brier_map" in check  # enough steps for the check to run
        assert torch.equal(model.top_label[i], identity_top_label_map()) != check["kept"]
    # The strangers' calibration is what prediction uses: a stranger's window against a
    # known one's, with a map that lowers every top pick for strangers.
    oracle = Oracle.load(out)
    oracle.model.top_label[1] = torch.stack([torch.linspace(0, 1, 21), torch.full((21,), 0.05)])
    window = KnowledgeWorkerPersona(7).generate(1)[-30:]
    with torch.no_grad():
        raw = oracle.model(oracle_batch(oracle, window))[0]
        as_stranger = oracle.model.calibrated(raw, torch.tensor([True]))["next_action"]
        as_known = oracle.model.calibrated(raw, torch.tensor([False]))["next_action"]
    probs = oracle.raw_batch([window])["next_action"]
    assert np.allclose(probs, as_stranger.numpy(), atol=1e-6)
    assert not np.allclose(probs, as_known.numpy(), atol=1e-4)


def oracle_batch(oracle, window):
    f = oracle.featurizer.events(window)
    return {"events": torch.from_numpy(f[None]), "valid": torch.ones(1, len(f), dtype=torch.bool),
            "candidates": torch.zeros(1, 8, 5, dtype=torch.long),
            "candidate_valid": torch.tensor([[True] + [False] * 7]),
            "at": torch.tensor([len(f) - 1])}


def test_strangers_must_be_strangers_and_need_identity_dropout(tmp_path, tiny, tiny_data):
    from augur.oracle.config import OracleConfig
    from augur.oracle.train import train

    with pytest.raises(ValueError, match="persona-6"):  # the training person again
        train(tiny_data, tmp_path / "a", tiny[1](), OracleConfig(**tiny[0]), progress=False,
              strangers=tiny_data)
    with pytest.raises(ValueError, match="identity_dropout > 0"):
        train(tiny_data, tmp_path / "b", tiny[1](identity_dropout=0.0),
              OracleConfig(**tiny[0]), progress=False, strangers=tiny_data)
    unlabelled = tmp_path / "unlabelled.jsonl"
    write_jsonl(unlabelled, [e.model_copy(update={"labels": None})
                             for e in KnowledgeWorkerPersona(7).generate(1)])
    with pytest.raises(ValueError, match="has no step labelled"):
        train(tiny_data, tmp_path / "c", tiny[1](), OracleConfig(**tiny[0]), progress=False,
              strangers=unlabelled)
    assert not any((tmp_path / d).exists() for d in "abc")


def test_a_checkpoint_from_before_loads_with_nothing_changed(tmp_path, tiny_checkpoint):
    import shutil

    from safetensors.torch import load_file, save_file

    from augur.oracle.checkpoint import load_checkpoint

    old = tmp_path / "old"
    shutil.copytree(tiny_checkpoint, old)
    state = load_file(str(old / "model.safetensors"))
    for k in ("stranger_temperature", "top_label"):
        state.pop(k)
    save_file(state, str(old / "model.safetensors"))
    model, _, _ = load_checkpoint(old)
    assert torch.equal(model.stranger_temperature, model.temperature)
    assert torch.equal(model.top_label[0], identity_top_label_map())
