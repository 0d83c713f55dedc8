"""The counted next-action prior: its table, and the logits that start from it."""

import numpy as np
import torch

from augur.events.persona import KnowledgeWorkerPersona
from augur.events.vocab import ACTIONS
from augur.oracle.checkpoint import load_checkpoint
from augur.oracle.config import OracleConfig
from augur.oracle.data import chunks, collate, stream_arrays
from augur.oracle.features import EVENT_FIELDS, NONE_ACTION, Featurizer, Vocab
from augur.oracle.model import OracleModel
from augur.oracle.transition import transition_table


def _model_and_arrays(tiny):
    vocab = Vocab(ACTIONS)
    arrays = [stream_arrays(KnowledgeWorkerPersona(3).generate(4), Featurizer(vocab), 128)]
    model = OracleModel(OracleConfig(sizes=vocab.sizes(), n_actions=50, **tiny[0]))
    return model, arrays


def test_rows_are_smoothed_transition_frequencies(tiny):
    model, arrays = _model_and_arrays(tiny)
    table = transition_table(arrays, model.transition_keys, *model.transition.shape)
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


def test_logits_start_from_the_table(tiny):
    model, arrays = _model_and_arrays(tiny)
    model.transition.copy_(transition_table(arrays, model.transition_keys,
                                            *model.transition.shape))
    head = model.heads["next_action"]
    torch.nn.init.zeros_(head.weight)
    torch.nn.init.zeros_(head.bias)
    model.eval()
    b, _ = collate(arrays, chunks(arrays, 32, None)[:3])
    with torch.no_grad():
        out, _ = model(b)
    expected = model.transition[model.transition_keys(b["events"])]
    assert torch.equal(out["next_action"], expected)
    # The one-state-per-window path (prediction) reads the same row.
    at = b["valid"].sum(1) - 1
    with torch.no_grad():
        single, _ = model({**b, "at": at, "candidates": b["candidates"][torch.arange(3), at],
                           "candidate_valid": b["candidate_valid"][torch.arange(3), at]})
    assert torch.equal(single["next_action"], expected[torch.arange(3), at])


def test_training_fills_the_priors_and_the_checkpoint_keeps_them(tiny_checkpoint):
    model = load_checkpoint(tiny_checkpoint)[0]
    assert model.transition.abs().sum() > 0 and model.delay_prior.abs().sum() > 0
    sums = model.transition.double().exp().sum(1)
    assert torch.allclose(sums, torch.ones(len(sums), dtype=torch.double), atol=1e-5)


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
