"""Simulator soft targets: the next-action loss against the distribution a label was
drawn from, where the data records it, and against the label everywhere else."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from augur.events.importers import ImportConfig, import_csv
from augur.events.persona import KnowledgeWorkerPersona
from augur.events.vocab import ACTIONS
from augur.oracle.config import TrainConfig
from augur.oracle.data import chunks, collate, stream_arrays
from augur.oracle.features import Featurizer, Vocab
from augur.oracle.model import _next_action_loss


def _case():
    torch.manual_seed(0)
    logits = torch.randn(2, 5, 6)
    labels = torch.tensor([[0, 1, 2, -100, 4], [5, -100, 3, 3, 1]])
    sim = torch.softmax(torch.randn(2, 5, 6), -1)
    sim[1, 2:] = 0  # steps with no recorded distribution (an imported log's rows)
    return logits, labels, sim


def test_weight_zero_is_plain_cross_entropy():
    logits, labels, sim = _case()
    plain = F.cross_entropy(logits.flatten(0, 1), labels.flatten(), ignore_index=-100)
    assert torch.allclose(_next_action_loss(logits, labels, sim, 0.0), plain)
    assert torch.allclose(_next_action_loss(logits, labels, None, 1.0), plain)


def test_soft_rows_use_the_distribution_and_the_rest_their_label():
    logits, labels, sim = _case()
    logp = F.log_softmax(logits, -1)
    w = 0.7
    rows = []
    for b in range(2):
        for t in range(5):
            if labels[b, t] == -100:
                continue
            hard = -logp[b, t, labels[b, t]]
            if sim[b, t].sum() > 0:
                rows.append((1 - w) * hard - w * (sim[b, t] * logp[b, t]).sum())
            else:
                rows.append(hard)
    assert torch.allclose(_next_action_loss(logits, labels, sim, w), torch.stack(rows).mean())


def test_the_soft_loss_is_lowest_at_the_recorded_distribution():
    sim = torch.tensor([[[0.6, 0.3, 0.1]]])
    labels = torch.tensor([[1]])  # the sampled label was not the likeliest action
    at_sim = _next_action_loss(sim.log(), labels, sim, 1.0)
    for other in ([0.9, 0.05, 0.05], [0.1, 0.8, 0.1], [1 / 3, 1 / 3, 1 / 3]):
        assert at_sim < _next_action_loss(torch.tensor([[other]]).log(), labels, sim, 1.0)


def test_synthetic_streams_carry_the_distribution_and_imported_logs_do_not(receipt_csv):
    events = KnowledgeWorkerPersona(3).generate(3)
    assert stream_arrays(events, Featurizer(Vocab(ACTIONS)), 128).sim_next.shape == (
        len(events), 0)  # not asked for: labels-only training carries none
    a = stream_arrays(events, Featurizer(Vocab(ACTIONS)), 128, sim=True)
    labelled = a.next_action >= 0
    assert np.allclose(a.sim_next[labelled].sum(1), 1.0, atol=1e-3)
    assert (a.sim_next[~labelled] == 0).all()
    i = int(np.flatnonzero(labelled)[0])
    assert a.sim_next[i, a.sim_next[i].argmax()] == pytest.approx(
        max(events[i].sim.action_probs.values()), abs=1e-6)
    b, y = collate([a], chunks([a], 16, None)[:2])
    assert y["sim_next"].shape == (*b["valid"].shape, len(ACTIONS))

    imported = import_csv(receipt_csv, ImportConfig(
        case_col="case:concept:name", activity_col="concept:name", time_col="time:timestamp"))
    imported = imported[:300]
    names = sorted({e.action for e in imported if e.action}
                   | {e.labels.next_action for e in imported if e.labels})
    r = stream_arrays(imported, Featurizer(Vocab(tuple(names))), 128, sim=True)
    assert r.sim_next.shape == (300, len(names)) and not r.sim_next.any()


def test_the_weight_must_lie_in_zero_to_one():
    with pytest.raises(ValueError, match=r"sim_targets: expected a weight in \[0, 1\], got 1.5"):
        TrainConfig(sim_targets=1.5)


def test_training_with_soft_targets_is_recorded_and_changes_the_model(tmp_path, tiny, tiny_data,
                                                                     tiny_checkpoint):
    from augur.oracle.checkpoint import load_checkpoint
    from augur.oracle.config import OracleConfig
    from augur.oracle.train import train

    out = tmp_path / "soft"
    train(tiny_data, out, tiny[1](sim_targets=1.0), OracleConfig(**tiny[0]), progress=False)
    soft, _, meta = load_checkpoint(out)
    hard = load_checkpoint(tiny_checkpoint)[0]
    assert meta["train_config"]["sim_targets"] == 1.0
    w = "heads.next_action.weight"
    assert not torch.equal(soft.state_dict()[w], hard.state_dict()[w])
