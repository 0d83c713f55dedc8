"""The counted next-action prior: its table, and the logits that start from it."""

import numpy as np
import pytest
import torch

from augur.events.persona import KnowledgeWorkerPersona
from augur.events.vocab import ACTIONS
from augur.oracle.checkpoint import load_checkpoint
from augur.oracle.config import OracleConfig
from augur.oracle.data import chunks, collate, stream_arrays
from augur.oracle.features import EVENT_FIELDS, NONE_ACTION, Featurizer, Vocab
from augur.oracle.model import OracleModel
from augur.oracle.transition import transition_table


def _model_and_arrays(tiny, order=1):
    vocab = Vocab(ACTIONS)
    arrays = [stream_arrays(KnowledgeWorkerPersona(3).generate(4), Featurizer(vocab), 128)]
    model = OracleModel(OracleConfig(sizes=vocab.sizes(), n_actions=50, transition_order=order,
                                     **tiny[0]))
    return model, arrays


def test_rows_are_smoothed_transition_frequencies(tiny):
    model, arrays = _model_and_arrays(tiny)
    table = transition_table(arrays, model)
    probs = table.double().exp()  # float32 log-probs: rows sum to 1 within rounding
    assert torch.allclose(probs.sum(1), torch.ones(len(table), dtype=torch.double), atol=1e-5)
    assert torch.isfinite(table).all()  # an action never seen next keeps a finite logit
    # The most common transition out of the most common key is that row's top action.
    a = arrays[0]
    has = a.next_action >= 0
    keys = model.transition_keys(torch.from_numpy(a.events[has])).numpy()
    key = np.bincount(keys).argmax()
    top = np.bincount(a.next_action[has][keys == key], minlength=50).argmax()
    assert int(probs[key].argmax()) == top
    # Events that are not the person's actions are keyed by their type instead.
    ev = torch.from_numpy(a.events)
    arrivals = ev[:, EVENT_FIELDS.index("action")] == NONE_ACTION
    assert arrivals.any()
    assert (model.transition_keys(ev)[arrivals] >= model.cfg.sizes["action"]).all()


def test_second_order_rows_back_off_to_the_first_order_row(tiny):
    from augur.oracle.transition import BACKOFF

    first_model, arrays = _model_and_arrays(tiny, order=1)
    model, _ = _model_and_arrays(tiny, order=2)
    n = model.n_keys
    assert model.transition.shape == ((n + 1) * n, 50)
    first = transition_table(arrays, first_model).double().exp()
    probs = transition_table(arrays, model).double().exp()
    assert torch.allclose(probs.sum(1), torch.ones(len(probs), dtype=torch.double), atol=1e-5)
    # Pairs counted from each event and the one before it in the stream.
    a = arrays[0]
    keys = model.transition_keys(torch.from_numpy(a.events)).numpy()
    has = a.next_action >= 0
    pair_rows = np.concatenate([[n], keys[:-1]]) * n + keys
    counts = np.zeros((len(probs), 50))
    np.add.at(counts, (pair_rows[has], a.next_action[has]), 1.0)
    seen = counts.sum(1).argmax()
    expect = (counts[seen] + BACKOFF * first[seen % n].numpy()) / (counts[seen].sum() + BACKOFF)
    assert np.allclose(probs[seen].numpy(), expect, atol=1e-5)
    # The pair adds what the key alone does not know: its row differs from the key's.
    assert not torch.allclose(probs[seen], first[seen % n], atol=1e-3)
    unseen = np.where(counts.sum(1) == 0)[0]  # a pair never seen is its key's own row
    assert len(unseen) and torch.allclose(probs[unseen], first[unseen % n], atol=1e-5)


def test_a_window_pairs_each_event_with_the_one_before_it(tiny):
    model, _ = _model_and_arrays(tiny, order=2)
    n = model.n_keys
    keys = torch.tensor([[3, 7, 5], [9, 9, 2]])
    # The first event of a window has no event before it: it reads the last block.
    assert model.prior_rows(keys).tolist() == [[n * n + 3, 3 * n + 7, 7 * n + 5],
                                               [n * n + 9, 9 * n + 9, 9 * n + 2]]
    assert torch.equal(_model_and_arrays(tiny, order=1)[0].prior_rows(keys), keys)


@pytest.mark.parametrize("order", [1, 2])
def test_logits_start_from_the_table(tiny, order):
    model, arrays = _model_and_arrays(tiny, order)
    model.transition.copy_(transition_table(arrays, model))
    head = model.heads["next_action"]
    torch.nn.init.zeros_(head.weight)
    torch.nn.init.zeros_(head.bias)
    model.eval()
    b, _ = collate(arrays, chunks(arrays, 32, None)[:3])
    with torch.no_grad():
        out, _ = model(b)
    expected = model.transition[model.prior_rows(model.transition_keys(b["events"]))]
    assert torch.equal(out["next_action"], expected)
    # The one-state-per-window path (prediction) reads the same row.
    at = b["valid"].sum(1) - 1
    with torch.no_grad():
        single, _ = model({**b, "at": at, "candidates": b["candidates"][torch.arange(3), at],
                           "candidate_valid": b["candidate_valid"][torch.arange(3), at]})
    assert torch.equal(single["next_action"], expected[torch.arange(3), at])


def test_training_fills_the_priors_and_the_checkpoint_keeps_them(tiny_checkpoint, tiny_data):
    from augur.events.io import read_jsonl
    from augur.oracle.train import split

    model, vocab, _ = load_checkpoint(tiny_checkpoint)
    assert model.cfg.transition_order == 2
    assert model.transition.abs().sum() > 0 and model.delay_prior.abs().sum() > 0
    sums = model.transition.double().exp().sum(1)
    assert torch.allclose(sums, torch.ones(len(sums), dtype=torch.double), atol=1e-5)
    # The saved counts include the validation streams (counted once early stopping and
    # calibration are done with them), not the training streams alone.
    train, val = split(read_jsonl(tiny_data), 0.1)
    feat = Featurizer(vocab)
    arrays = {part: [stream_arrays(s, feat, 128) for s in streams]
              for part, streams in (("train", train), ("val", val))}
    both = transition_table(arrays["train"] + arrays["val"], model)
    assert torch.allclose(model.transition, both)
    assert not torch.allclose(model.transition, transition_table(arrays["train"], model))


def test_a_model_without_the_prior_keeps_one_row_per_key(tmp_path, tiny_data, tiny):
    from augur.oracle.train import train

    train(tiny_data, tmp_path / "m", tiny[1](epochs=1, transition_prior=False),
          OracleConfig(**tiny[0]), progress=False)
    model = load_checkpoint(tmp_path / "m")[0]
    assert model.cfg.transition_order == 1
    assert model.transition.shape == (model.n_keys, 50) and not model.transition.any()


def test_a_checkpoint_from_before_the_pairs_loads_as_first_order(tmp_path, tiny):
    import json

    from augur.oracle.checkpoint import save_checkpoint

    model, arrays = _model_and_arrays(tiny, order=1)
    model.transition.copy_(transition_table(arrays, model))
    save_checkpoint(tmp_path / "old", model, Vocab(ACTIONS), {})
    doc = json.loads((tmp_path / "old" / "config.json").read_text())
    del doc["config"]["transition_order"]  # written before the field existed
    (tmp_path / "old" / "config.json").write_text(json.dumps(doc))
    loaded = load_checkpoint(tmp_path / "old")[0]
    assert loaded.cfg.transition_order == 1
    assert torch.equal(loaded.transition, model.transition)


def test_auto_uses_the_prior_on_small_data_only(tiny):
    from augur.oracle.transition import SMALL_DATA, use_transition_prior

    _, arrays = _model_and_arrays(tiny)
    steps = int((arrays[0].next_action >= 0).sum())
    assert 0 < steps < SMALL_DATA
    assert use_transition_prior(None, arrays) is True
    assert use_transition_prior(None, arrays * (SMALL_DATA // steps + 1)) is False
    assert use_transition_prior(False, arrays) is False
    assert use_transition_prior(True, arrays * (SMALL_DATA // steps + 1)) is True


def test_delay_prior_gives_each_key_its_median_delay(tiny):
    from augur.oracle.transition import MIN_DELAYS, delay_prior

    model, arrays = _model_and_arrays(tiny)
    prior = delay_prior(arrays, model.transition_keys, len(model.delay_prior))
    a = arrays[0]
    keys = model.transition_keys(torch.from_numpy(a.events[a.delay_mask])).numpy()
    d = a.delay[a.delay_mask]
    minutes = torch.nn.functional.softplus(prior).numpy()
    counts = np.bincount(keys, minlength=len(prior))
    common = counts.argmax()
    assert counts[common] >= MIN_DELAYS
    assert np.isclose(minutes[common], np.median(d[keys == common]), rtol=1e-4)
    rare = np.where(counts == 0)[0]  # a key never seen gets the overall median
    assert len(rare) and np.allclose(minutes[rare], np.median(d), rtol=1e-4)
    # A long median (a day, in minutes) stays finite: softplus is inverted stably.
    a.delay[a.delay_mask] = 3000.0
    assert torch.isfinite(delay_prior(arrays, model.transition_keys, len(prior))).all()
