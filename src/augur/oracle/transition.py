"""The priors the oracle's next-action and delay heads start from, counted on the
training streams per event key (the event's action, or its type): a smoothed
transition table per key, or per pair of the key and the previous event's key (the
default), and each key's median delay to the next action.

On a small log the network has few examples to learn transitions from; starting from
the counts, it only has to learn what the rest of the window adds. Measured: on the
receipt log (about 7,000 training steps) next-activity top-1 per case rose from 0.836
to 0.850 (four seeds, each gained). On twelve simulated people (440,000 steps) the
temporal hold-out did not move (0.445 against 0.437-0.446) and cold start fell
(0.362 against 0.379): there the network learns transitions well itself, and the
population's counts pulled new people towards other people's habits. So by default
the prior is used on small data only. Pairs: on the receipt log per person, where
people differ, pairs carry to new people and the rest of the window does not (top-1
0.7256 over eight seeds against first order's 0.714; docs/ORACLE.md).
"""

from __future__ import annotations

import numpy as np
import torch

from augur.oracle.data import StreamArrays
from augur.oracle.model import OracleModel

SMOOTHING = 1.0  # pseudo-counts of the marginal mixed into each row (as the harness's Markov)
# Pseudo-counts of the first-order row mixed into each second-order row. Chosen by 5-fold
# cross-validation over the receipt log's training streams (top-1 per person: 0.714,
# 0.716, 0.716 for 1, 3, 10; per case 0.815, 0.817, 0.816).
BACKOFF = 3.0
FLOOR = 0.5  # pseudo-count per action in the marginal: an unseen action keeps a finite logit
MIN_DELAYS = 5  # delays a key needs for its own median
SMALL_DATA = 50_000  # labelled training steps below which "auto" uses the prior


def use_transition_prior(setting: bool | None, arrays: list[StreamArrays]) -> bool:
    """The TrainConfig setting, or for None (auto) whether the data is small."""
    if setting is not None:
        return setting
    return sum(int((a.next_action >= 0).sum()) for a in arrays) < SMALL_DATA


def transition_table(arrays: list[StreamArrays], model: OracleModel) -> torch.Tensor:
    """log-probabilities of the next action for every row of `model.transition`.

    Order 1: per key, the counts smoothed towards the marginal, as the harness's Markov
    baseline. Order 2: per (previous key, key), the counts smoothed towards that key's
    order-1 row with BACKOFF pseudo-counts, so a pair seen rarely or never falls back on
    the first-order estimate."""
    n_keys, n_actions = model.n_keys, model.transition.shape[1]
    keys, rows, labels = [], [], []
    for a in arrays:  # whole streams: every event's previous event is its real one
        k = model.transition_keys(torch.from_numpy(a.events))
        has = a.next_action >= 0
        keys.append(k.numpy()[has])
        rows.append(model.prior_rows(k[None])[0].numpy()[has])
        labels.append(a.next_action[has])
    keys, rows, labels = (np.concatenate(x or [np.zeros(0, np.int64)])
                          for x in (keys, rows, labels))
    counts = np.zeros((n_keys, n_actions))
    np.add.at(counts, (keys, labels), 1.0)
    total = counts.sum(0) + FLOOR
    marginal = total / total.sum()
    probs = (counts + SMOOTHING * marginal) / (counts.sum(1, keepdims=True) + SMOOTHING)
    if model.cfg.transition_order == 2:
        pairs = np.zeros((len(model.transition), n_actions))
        np.add.at(pairs, (rows, labels), 1.0)
        first = probs[np.arange(len(pairs)) % n_keys]  # each pair row's own key
        probs = (pairs + BACKOFF * first) / (pairs.sum(1, keepdims=True) + BACKOFF)
    return torch.from_numpy(np.log(probs)).float()


def delay_prior(arrays: list[StreamArrays], keys, n_keys: int) -> torch.Tensor:
    """(n_keys,) softplus inputs whose softplus is each key's median delay in minutes (the
    optimum of the L1 loss on log minutes); keys seen fewer than MIN_DELAYS times get
    the overall median."""
    ks = [keys(torch.from_numpy(a.events[a.delay_mask])).numpy() for a in arrays]
    ds = [a.delay[a.delay_mask] for a in arrays]
    k, d = np.concatenate(ks or [np.zeros(0, np.int64)]), np.concatenate(ds or [np.zeros(0)])
    if not len(d):
        return torch.zeros(n_keys)
    medians = np.full(n_keys, float(np.median(d)))
    found, counts = np.unique(k, return_counts=True)
    for key in found[counts >= MIN_DELAYS]:
        medians[key] = np.median(d[k == key])
    m = np.maximum(medians, 1e-3)
    return torch.from_numpy(m + np.log(-np.expm1(-m))).float()  # softplus^-1, stable
