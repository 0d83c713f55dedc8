"""Event streams as training arrays, chunked for the curriculum and batched.

A stream becomes one set of arrays (features and labels per step). Training
cuts it into chunks of the curriculum length at a random offset each epoch; a
causal encoder trains on every position of a chunk. Missing labels are -100 or
masked, never zero, so imported logs (no lanes, no proactive, no candidates)
train the heads they have and leave the others alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from augur.events.schema import Event
from augur.events.vocab import LANES
from augur.oracle.features import (
    ANON_ACTOR,
    BASE_FIELDS,
    CANDIDATE_FIELDS,
    Featurizer,
    artifact_index,
    is_self,
)

MAX_CANDIDATES = 8
ACTOR_COLUMN = BASE_FIELDS.index("actor")


@dataclass
class StreamArrays:
    events: np.ndarray  # (N, F) int64
    candidates: np.ndarray  # (N, K, C) int64
    candidate_valid: np.ndarray  # (N, K) bool
    next_action: np.ndarray  # (N,) int64, -100 when absent
    routing: np.ndarray  # (N,) int64, -100 when absent
    proactive: np.ndarray  # (N,) float32
    proactive_mask: np.ndarray  # (N,) bool
    delay: np.ndarray  # (N,) float32 minutes
    delay_mask: np.ndarray  # (N,) bool
    relevance: np.ndarray  # (N,) int64 target's index among candidates, -100 when absent
    # The simulator's distribution over the next action where the data records it
    # (synthetic streams): (N, A) float32, zero rows elsewhere; (N, 0) unless asked for
    # (soft targets, TrainConfig.sim_targets), so labels-only training carries nothing.
    sim_next: np.ndarray
    own: np.ndarray  # (N,) bool: the person's own events (features.is_self)

    def __len__(self) -> int:
        return len(self.events)

    def slice(self, a: int, b: int) -> StreamArrays:
        return StreamArrays(*(getattr(self, f)[a:b] for f in self.__dataclass_fields__))


def stream_arrays(events: list[Event], feat: Featurizer, context: int,
                  sim: bool = False) -> StreamArrays:
    """Features and labels for every step of one stream; with `sim`, also the
    simulator's next-action distributions."""
    n = len(events)
    index = artifact_index(events)
    action_ix = {a: i for i, a in enumerate(feat.vocab.actions)}
    cands = np.zeros((n, MAX_CANDIDATES, len(CANDIDATE_FIELDS)), dtype=np.int64)
    cvalid = np.zeros((n, MAX_CANDIDATES), dtype=bool)
    cols = {k: np.full(n, -100, dtype=np.int64) for k in ("next_action", "routing", "relevance")}
    pro, pro_m = np.zeros(n, np.float32), np.zeros(n, bool)
    delay, delay_m = np.zeros(n, np.float32), np.zeros(n, bool)
    sim_next = np.zeros((n, len(feat.vocab.actions) if sim else 0), np.float32)
    for i, e in enumerate(events):
        lab = e.labels
        if lab is None:
            continue
        if sim and e.sim is not None:
            for a, p in e.sim.action_probs.items():
                if a in action_ix:
                    sim_next[i, action_ix[a]] = p
        cols["next_action"][i] = action_ix.get(lab.next_action, -100)
        if lab.lane is not None:
            cols["routing"][i] = LANES.index(lab.lane)
        if lab.proactive is not None:
            pro[i], pro_m[i] = float(lab.proactive), True
        if lab.delay_min is not None:
            delay[i], delay_m[i] = lab.delay_min, True
        if lab.candidates:
            cs = lab.candidates[:MAX_CANDIDATES]
            cands[i, : len(cs)] = feat.candidates(events, index, i, max(0, i + 1 - context), cs)
            cvalid[i, : len(cs)] = True
            ids = [c.id for c in cs]
            if lab.target in ids:
                cols["relevance"][i] = ids.index(lab.target)
    return StreamArrays(feat.events(events), cands, cvalid, cols["next_action"],
                        cols["routing"], pro, pro_m, delay, delay_m, cols["relevance"], sim_next,
                        np.array([is_self(e) for e in events], dtype=bool))


def chunks(arrays: list[StreamArrays], length: int, rng: np.random.Generator | None,
           overlap: int = 0) -> list[tuple[int, int, int]]:
    """(stream, start, end) chunks covering every stream; the offset varies with `rng`."""
    out = []
    for s, a in enumerate(arrays):
        step = length - overlap
        start = -int(rng.integers(0, length)) if rng is not None else 0
        while start < len(a):
            lo = max(0, start)
            hi = min(len(a), start + length)
            if hi > lo:
                out.append((s, lo, hi))
            start += step
    return out


def collate(arrays: list[StreamArrays], pieces: list[tuple[int, int, int]],
            last_only: bool = False, score_from: list[int] | None = None,
            anon: np.ndarray | None = None) -> tuple[dict, dict]:
    """Right-padded batch tensors and targets for the given chunks. Where `anon[r]` is
    set, chunk r's own events show ANON_ACTOR, as a person the model never met would
    (identity dropout)."""
    t = max(hi - lo for _, lo, hi in pieces)
    b = len(pieces)
    first = arrays[pieces[0][0]]
    ev = np.zeros((b, t, first.events.shape[1]), np.int64)
    ca = np.zeros((b, t) + first.candidates.shape[1:], np.int64)
    cv = np.zeros((b, t, MAX_CANDIDATES), bool)
    valid = np.zeros((b, t), bool)
    ys = {k: np.full((b, t), -100, np.int64) for k in ("next_action", "routing", "relevance")}
    fl = {k: np.zeros((b, t), np.float32) for k in ("proactive", "delay")}
    ms = {k: np.zeros((b, t), bool) for k in ("proactive_mask", "delay_mask")}
    loss_mask = np.zeros((b, t), bool)
    sim = np.zeros((b, t, first.sim_next.shape[1]), np.float32)  # (b, t, 0) if not asked for
    for r, (s, lo, hi) in enumerate(pieces):
        a, n = arrays[s], hi - lo
        ev[r, :n], ca[r, :n], cv[r, :n] = a.events[lo:hi], a.candidates[lo:hi], \
            a.candidate_valid[lo:hi]
        if anon is not None and anon[r]:
            ev[r, :n, ACTOR_COLUMN][a.own[lo:hi]] = ANON_ACTOR
        valid[r, :n] = True
        sim[r, :n] = a.sim_next[lo:hi]
        for k in ys:
            ys[k][r, :n] = getattr(a, k)[lo:hi]
        for k in fl:
            fl[k][r, :n] = getattr(a, k)[lo:hi]
        for k in ms:
            ms[k][r, :n] = getattr(a, k)[lo:hi]
        if last_only:
            loss_mask[r, n - 1] = True
        else:
            loss_mask[r, (score_from[r] if score_from else 0):n] = True
    cv[~valid] = False
    cv[..., 0] |= ~cv.any(-1)  # a step with no candidates keeps one slot so softmax is defined
    batch = {"events": torch.from_numpy(ev), "valid": torch.from_numpy(valid),
             "candidates": torch.from_numpy(ca), "candidate_valid": torch.from_numpy(cv)}
    targets = {k: torch.from_numpy(v) for k, v in {**ys, **fl, **ms}.items()}
    targets["loss_mask"] = torch.from_numpy(loss_mask)
    if sim.shape[-1]:
        targets["sim_next"] = torch.from_numpy(sim)
    return batch, targets
