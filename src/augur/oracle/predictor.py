"""`Oracle.load(path).predict(events)`: the trained oracle as a library call.

Windows are right-padded and each row's state is read at its last real event,
exactly as in training (positions count from the window's first event).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from pydantic import ValidationError

from augur.events.schema import Artifact, Event, EventValidationError, ObservedEvent
from augur.events.vocab import LANES
from augur.oracle.checkpoint import load_checkpoint
from augur.oracle.data import ACTOR_COLUMN, MAX_CANDIDATES
from augur.oracle.features import ANON_ACTOR, Featurizer, artifact_index


@dataclass
class Prediction:
    """None for a head the model's training data had no labels for (see Oracle.heads):
    an imported log has no lanes, interruptions or candidates, and an untrained head's
    output is its random start, not a prediction."""

    next_actions: list[tuple[str, float]]  # top-k, most likely first
    lanes: dict[str, float] | None
    proactive_prob: float | None
    proactive: bool | None  # intervene now? (probability at or above the fitted threshold)
    delay_min: float | None
    artifacts: list[tuple[str, float]] | None  # candidates ranked, best first ([]: none given)


HEADS = ("next_action", "routing", "proactive", "delay", "relevance")
# The validation metric each head leaves None when the data has no labels for it: how
# checkpoints written before "trained_heads" was recorded tell which heads trained.
_HEAD_METRIC = {"routing": "routing_accuracy", "proactive": "proactive_f1",
                "delay": "delay_mae_log", "relevance": "relevance_precision_at_1"}


def trained_heads(meta: dict[str, Any]) -> frozenset[str]:
    """The heads a checkpoint's training data had labels for."""
    if "trained_heads" in meta:
        return frozenset(meta["trained_heads"])
    val = (meta.get("summary") or {}).get("val_after_calibration")
    if not val:  # nothing recorded: take every head as trained, as before
        return frozenset(HEADS)
    return frozenset(["next_action", *(h for h, m in _HEAD_METRIC.items()
                                       if val.get(m) is not None)])


class Oracle:
    def __init__(self, model, vocab, meta: dict[str, Any], path: Path | None = None) -> None:
        self.model, self.vocab, self.meta, self.path = model, vocab, meta, path
        self.texts = None
        if model.cfg.backbone is not None:  # texts seen in training, with their vectors
            from augur.oracle.backbone import EventTexts

            self.texts = EventTexts(model.cfg.backbone, meta.get("texts"),
                                    model.embed.vectors.numpy())
        self.featurizer = Featurizer(vocab, texts=self.texts)
        self.heads = trained_heads(meta)

    @classmethod
    def load(cls, path: str | Path) -> Oracle:
        model, vocab, meta = load_checkpoint(Path(path))
        return cls(model, vocab, meta, Path(path))

    @property
    def params(self) -> int:
        return sum(p.numel() for p in self.model.parameters())

    def predict(self, events: list, candidates: list | None = None, top_k: int = 5) -> Prediction:
        """Predictions after the last of `events` (oldest first)."""
        return self.predict_batch([events], [candidates], top_k)[0]

    def predict_batch(self, windows: list[list], candidates: list[list | None] | None = None,
                      top_k: int = 5) -> list[Prediction]:
        if isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1:
            raise ValueError(f"top_k: expected an integer >= 1 (at most {len(self.vocab.actions)}"
                             f" actions are ranked), got {top_k!r}")
        raw = self.raw_batch(windows, candidates)
        out = []
        for r in range(len(windows)):
            order = np.argsort(-raw["next_action"][r], kind="stable")[:top_k]
            ranked = sorted(zip(raw["candidate_ids"][r], raw["relevance"][r].tolist(),
                                strict=True), key=lambda x: -x[1])
            p = float(raw["proactive"][r])
            threshold = float(self.model.proactive_threshold)
            has = self.heads
            out.append(Prediction(
                next_actions=[(self.vocab.actions[i], float(raw["next_action"][r, i]))
                              for i in order],
                lanes={lane: float(v) for lane, v in zip(LANES, raw["routing"][r], strict=True)}
                if "routing" in has else None,
                proactive_prob=p if "proactive" in has else None,
                proactive=p >= threshold if "proactive" in has else None,
                delay_min=float(raw["delay"][r]) if "delay" in has else None,
                artifacts=ranked if "relevance" in has else None))
        return out

    def raw_batch(self, windows: list[list], candidates: list[list | None] | None = None) -> dict:
        """Calibrated probabilities as arrays, one row per window."""
        if not windows:
            raise ValueError("windows: expected at least one window, got none")
        candidates = candidates or [None] * len(windows)
        if len(candidates) != len(windows):
            raise ValueError(f"candidates: expected one list per window ({len(windows)}), "
                             f"got {len(candidates)}")
        rows = [self._features(w, c, i) for i, (w, c) in enumerate(zip(windows, candidates,
                                                                        strict=True))]
        t = max(len(r[0]) for r in rows)
        b = len(rows)
        ev = np.zeros((b, t, rows[0][0].shape[1]), np.int64)
        ca = np.zeros((b, MAX_CANDIDATES, rows[0][1].shape[1]), np.int64)
        cv = np.zeros((b, MAX_CANDIDATES), bool)
        valid = np.zeros((b, t), bool)
        for i, (f, c, _) in enumerate(rows):
            ev[i, : len(f)], valid[i, : len(f)] = f, True
            ca[i, : len(c)], cv[i, : len(c)] = c, True
        cv[:, 0] |= ~cv.any(-1)
        if self.texts is not None and self.texts.fill():  # texts new to the model
            self.model.embed.set_vectors(self.texts.vectors)
        batch = {"events": torch.from_numpy(ev), "valid": torch.from_numpy(valid),
                 "candidates": torch.from_numpy(ca), "candidate_valid": torch.from_numpy(cv),
                 "at": torch.tensor([len(r[0]) - 1 for r in rows])}
        with torch.inference_mode():
            out, _ = self.model(batch)
            p = self.model.calibrated(out, self._strangers(ev))
        pick = {k: v.numpy() for k, v in p.items()}
        pick["relevance"] = [pick["relevance"][i, : len(rows[i][1])] for i in range(b)]
        pick["candidate_ids"] = [r[2] for r in rows]
        return pick

    def _strangers(self, ev: np.ndarray) -> torch.Tensor | None:
        """(B,) windows showing a person the model never trained on; None for a model that
        does not tell people apart (Vocab.selves is None)."""
        if self.vocab.selves is None:
            return None
        return torch.from_numpy((ev[..., ACTOR_COLUMN] == ANON_ACTOR).any(1))

    def _features(self, window: list, cands: list | None, i: int):
        if not isinstance(window, (list, tuple)):
            raise ValueError(f"windows[{i}]: expected a list of events (oldest first), got "
                             f"{type(window).__name__}")
        if not window:
            raise ValueError(f"windows[{i}]: expected at least one event, got an empty window")
        events = []
        for j, e in enumerate(window):
            try:
                events.append(e if isinstance(e, ObservedEvent) else Event.from_dict(e))
            except EventValidationError as exc:
                raise EventValidationError(f"windows[{i}][{j}]: {exc}") from None
        events = events[-self.model.cfg.max_len:]
        arts = _artifacts(cands, i)[:MAX_CANDIDATES]
        f = self.featurizer.events(events)
        c = self.featurizer.candidates(events, artifact_index(events), len(events) - 1, 0, arts)
        return f, c, [a.id for a in arts]


def _artifacts(cands: object, i: int) -> list[Artifact]:
    """Window i's candidate artifacts, each checked, with its place named on error."""
    if cands is None:
        return []
    if not isinstance(cands, (list, tuple)):
        raise ValueError(f"candidates[{i}]: expected a list of artifacts or None, got "
                         f"{type(cands).__name__}")
    out = []
    for j, c in enumerate(cands):
        try:
            out.append(c if isinstance(c, Artifact) else Artifact.model_validate(c))
        except ValidationError as exc:
            why = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'artifact'}: {e['msg']}"
                            for e in exc.errors())
            raise ValueError(f"candidates[{i}][{j}]: {why}; got {c!r:.80}") from None
    return out


class OraclePredictor:
    """The oracle as a harness predictor; maps its action vocabulary onto the eval set's."""

    def __init__(self, oracle: Oracle, name: str | None = None, batch_size: int = 64) -> None:
        self.oracle, self.batch_size = oracle, batch_size
        self.name = name or (oracle.path.name if oracle.path else "oracle")

    def predict(self, queries, actions: tuple[str, ...]):
        from augur.harness.predictor import Predictions

        parts = [self.oracle.raw_batch([q.window for q in queries[i:i + self.batch_size]],
                                       [q.candidates for q in queries[i:i + self.batch_size]])
                 for i in range(0, len(queries), self.batch_size)]
        own = {a: j for j, a in enumerate(self.oracle.vocab.actions)}
        probs = np.zeros((len(queries), len(actions)))
        cat = np.concatenate([p["next_action"] for p in parts])
        for j, a in enumerate(actions):
            if a in own:
                probs[:, j] = cat[:, own[a]]
        probs /= probs.sum(axis=1, keepdims=True)
        return Predictions(
            action_probs=probs,
            lane_probs=np.concatenate([p["routing"] for p in parts]).astype(float),
            proactive_prob=np.concatenate([p["proactive"] for p in parts]).astype(float),
            proactive_decision=np.concatenate([p["proactive"] for p in parts])
            >= float(self.oracle.model.proactive_threshold),
            delay_min=np.concatenate([p["delay"] for p in parts]).astype(float),
            candidate_scores=[s.astype(float) for p in parts for s in p["relevance"]])
