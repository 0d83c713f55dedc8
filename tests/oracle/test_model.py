"""One contract test runs every head through the same checks."""

import pytest
import torch

from augur.events.persona import KnowledgeWorkerPersona
from augur.events.vocab import ACTIONS
from augur.oracle.config import OracleConfig
from augur.oracle.data import chunks, collate, stream_arrays
from augur.oracle.features import Featurizer, Vocab
from augur.oracle.model import HEADS, OracleModel


@pytest.fixture(scope="module")
def batch(tiny):
    vocab = Vocab(ACTIONS)
    arrays = [stream_arrays(KnowledgeWorkerPersona(2).generate(3), Featurizer(vocab), 128)]
    cfg = OracleConfig(sizes=vocab.sizes(), n_actions=50, **tiny[0])
    return OracleModel(cfg), *collate(arrays, chunks(arrays, 32, None)[:4])


@pytest.mark.parametrize("head", HEADS)
def test_every_head_has_one_output_per_position_and_a_finite_gradient(batch, head):
    model, b, y = batch
    out, loss = model(b, y)
    bsz, t = b["valid"].shape
    assert out[head].shape[:2] == (bsz, t)
    assert torch.isfinite(loss)
    model.zero_grad()
    loss.backward()
    grads = [p.grad for n, p in model.heads[head].named_parameters()]
    assert all(g is not None and torch.isfinite(g).all() for g in grads)
    assert any(g.abs().sum() > 0 for g in grads), f"{head} gets no training signal"


@pytest.mark.parametrize("pooling,attention", [("mean", "causal"), ("last", "bidirectional")])
def test_pooling_and_attention_options_run(batch, tiny, pooling, attention):
    _, b, y = batch
    cfg = OracleConfig(sizes=Vocab(ACTIONS).sizes(), n_actions=50, pooling=pooling,
                       attention=attention, **tiny[0])
    _, loss = OracleModel(cfg)(b, y)
    assert torch.isfinite(loss)


def test_causal_state_ignores_the_future(batch):
    model, b, _ = batch
    model.eval()
    full = model.encode(b["events"], b["valid"])
    cut = model.encode(b["events"][:, :10], b["valid"][:, :10])
    assert torch.allclose(full[:, :10], cut, atol=1e-5)


@pytest.mark.parametrize("pooling,attention", [("last", "causal"), ("mean", "causal"),
                                               ("last", "bidirectional")])
def test_full_windows_read_at_their_last_event_skip_the_mask_to_the_same_state(
        batch, tiny, pooling, attention):
    """Prediction on full windows builds no attention mask (model.encode): the state must
    be the one the masked path gives, which training and padded batches use."""
    _, b, _ = batch
    cfg = OracleConfig(sizes=Vocab(ACTIONS).sizes(), n_actions=50, pooling=pooling,
                       attention=attention, **{**tiny[0], "n_layers": 2})  # a full block too
    model = OracleModel(cfg).eval()
    events, valid = b["events"], b["valid"]
    assert valid.all()  # full chunks: the unmasked path applies
    last = torch.full((len(events),), events.shape[1] - 1)
    with torch.inference_mode():
        masked = model.encode(events, valid)[:, -1]  # no `at`: the masked path
        fast = model.encode(events, valid, last)
        early = model.encode(events, valid, last - 3)  # not the last event: masked again
    assert torch.allclose(fast, masked, atol=1e-6)
    assert torch.allclose(early, model.encode(events, valid)[:, -4], atol=1e-6)


def test_missing_labels_are_masked_not_zero_filled(batch):
    model, b, y = batch
    no_lanes = {**y, "routing": torch.full_like(y["routing"], -100)}
    _, with_all = model(b, y)
    _, without = model(b, no_lanes)
    assert torch.isfinite(without) and without < with_all


def test_bad_config_is_named():
    with pytest.raises(ValueError, match="pooling must be 'last' or 'mean', got 'max'"):
        OracleConfig(pooling="max")
