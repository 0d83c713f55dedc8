"""The LoRA training loop: deterministic, resumable, and atomic in what it leaves.

    result = finetune(FinetuneConfig(data=Path("rows.jsonl"), out=Path("runs/q")))

The run's folder holds:
    checkpoint/   the adapter, optimizer and step every `save_every` steps (and on
                  Ctrl-C); the same command resumes from it, batch for batch
    adapter/      the finished adapter (peft's adapter_config.json and
                  adapter_model.safetensors): written once, at the end, by renaming a
                  complete folder into place, so it is never half written
    log.jsonl     loss, learning rate and speed per step; run.json the summary;
                  loss.png the loss curve

Batches are drawn from a per-epoch permutation seeded by (seed, epoch), so a resumed
run takes exactly the batches the uninterrupted one would have.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from augur.frozen import file_sha256
from augur.llm.finetune.config import FinetuneConfig
from augur.llm.finetune.data import IGNORE, collate, encode, read_rows

CHECKPOINT, ADAPTER = "checkpoint", "adapter"


@dataclass
class FinetuneResult:
    adapter: Path
    steps: int
    resumed_from: int  # 0 for a fresh run
    final_loss: float  # mean loss of the last 10 steps
    val_loss: float | None
    steps_per_s: float
    tokens_per_s: float
    cut_rows: int  # rows longer than max_len, cut


def finetune(cfg: FinetuneConfig, val: Path | None = None, log=print,
             on_step=None) -> FinetuneResult:
    """Train (or resume) the run `cfg` describes. on_step(step, loss) is called after
    every step (a progress hook; raising KeyboardInterrupt there stops the run as
    Ctrl-C does)."""
    cfg.check()
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # see the brief: 3-10x under load
    import torch

    rows = read_rows(cfg.data, cfg.limit)
    fingerprint = cfg.fingerprint(file_sha256(cfg.data))
    cfg.out.mkdir(parents=True, exist_ok=True)
    device = _device(cfg.device)
    if device == "cpu":
        from augur.llm.llamacpp import default_threads

        torch.set_num_threads(cfg.threads or default_threads())
    model, tokenizer = _peft_model(cfg, device)
    encoded = [encode(tokenizer, m, cfg.max_len) for m in rows]
    cut = sum(e.cut for e in encoded)
    if cut:
        log(f"{cut} of {len(encoded)} rows are longer than --max-len {cfg.max_len} and "
            "were cut; raise --max-len if answers are being cut off")
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None \
        else tokenizer.eos_token_id

    per_epoch = math.ceil(len(encoded) / cfg.batch_size)
    total = max(1, math.ceil(cfg.epochs * per_epoch))
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=0.0)
    warm = int(cfg.warmup * total)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: _lr_scale(s, warm, total))
    start = _resume(cfg.out / CHECKPOINT, fingerprint, model, opt, sched, log)
    _trim_log(cfg.out / "log.jsonl", start)

    model.train()
    t0, done_tokens, completed = time.perf_counter(), 0, start
    bar = _Progress(total, start)
    try:
        with (cfg.out / "log.jsonl").open("a", encoding="utf-8") as logf:
            for step in range(start, total):
                # Dropout's masks come from a seed per step, so a resumed run draws
                # the same ones as an uninterrupted run.
                torch.manual_seed(cfg.seed * 1_000_003 + step)
                batch = _batch(encoded, cfg, step, per_epoch)
                ids, mask, labels = (t.to(device) for t in collate(batch, pad))
                loss, _ = answer_loss(model, ids, mask, labels)
                if not torch.isfinite(loss):
                    raise FloatingPointError(
                        f"step {step + 1}: the loss is {loss.item()}; lower --lr (now "
                        f"{cfg.lr}) and run again (the last checkpoint is kept)")
                loss.backward()
                torch.nn.utils.clip_grad_norm_(params, 1.0)
                lr = sched.get_last_lr()[0]  # the rate this step used
                opt.step()
                sched.step()
                opt.zero_grad(set_to_none=True)
                completed = step + 1
                done_tokens += int(mask.sum())
                elapsed = time.perf_counter() - t0
                entry = {"step": step + 1, "loss": round(loss.item(), 5),
                         "lr": lr, "elapsed_s": round(elapsed, 2)}
                logf.write(json.dumps(entry) + "\n")
                logf.flush()
                bar.update(entry)
                if (step + 1) % cfg.save_every == 0 and step + 1 < total:
                    _save_checkpoint(cfg.out / CHECKPOINT, fingerprint, step + 1, model, opt,
                                     sched)
                if on_step is not None:
                    on_step(step + 1, entry["loss"])
    except KeyboardInterrupt:
        # `completed` counts the steps whose update is in the weights: save them so
        # the same command resumes at the next one.
        _save_checkpoint(cfg.out / CHECKPOINT, fingerprint, completed, model, opt, sched)
        log(f"\ninterrupted at step {completed} of {total}; the checkpoint is saved in "
            f"{cfg.out / CHECKPOINT}: run the same command again to resume")
        raise
    finally:
        bar.close()
    elapsed = max(time.perf_counter() - t0, 1e-9)
    adapter = _save_adapter(model, cfg)
    losses = [e["loss"] for e in _read_log(cfg.out / "log.jsonl")]
    val_loss = _val_loss(model, tokenizer, val, cfg, pad, device) if val else None
    result = FinetuneResult(adapter=adapter, steps=total, resumed_from=start,
                            final_loss=float(np.mean(losses[-10:])) if losses else math.nan,
                            val_loss=val_loss, steps_per_s=(total - start) / elapsed,
                            tokens_per_s=done_tokens / elapsed, cut_rows=cut)
    summary = {"config": {k: str(v) for k, v in asdict(cfg).items()},
               "fingerprint": fingerprint, "rows": len(rows), "device": device,
               **{k: str(v) if isinstance(v, Path) else v for k, v in asdict(result).items()}}
    (cfg.out / "run.json").write_text(json.dumps(summary, indent=2) + "\n")
    _plot(losses, cfg.out / "loss.png")
    shutil.rmtree(cfg.out / CHECKPOINT, ignore_errors=True)  # the adapter supersedes it
    return result


def answer_loss(model, ids, mask, labels) -> tuple[Any, int]:
    """Mean cross-entropy over the answer tokens, and their count.

    The output layer runs on the answer positions only: SmolLM2's 49,152-word output
    layer over every position cost more than the rest of the step (a 4 x 230-token
    batch: 15 s a step on one core), and prompt positions carry no loss anyway."""
    import torch.nn.functional as F

    base = model.get_base_model()
    hidden = base.get_decoder()(input_ids=ids, attention_mask=mask).last_hidden_state
    target = labels[:, 1:]  # position t predicts token t + 1
    keep = target != IGNORE
    logits = base.get_output_embeddings()(hidden[:, :-1][keep])
    return F.cross_entropy(logits.float(), target[keep]), int(keep.sum())


def _device(choice: str) -> str:
    import torch

    if choice == "cuda" and not torch.cuda.is_available():
        raise ValueError("--device cuda: torch sees no CUDA device; use --device cpu")
    return "cuda" if choice == "cuda" or (choice == "auto" and torch.cuda.is_available()) \
        else "cpu"


def _peft_model(cfg: FinetuneConfig, device: str) -> tuple[Any, Any]:
    from peft import LoraConfig, get_peft_model

    from augur.llm.hf import TransformersBackend

    base, tokenizer = TransformersBackend(cfg.base).modules()
    lora = LoraConfig(r=cfg.rank, lora_alpha=cfg.alpha, lora_dropout=cfg.dropout,
                      target_modules=list(cfg.target_modules), task_type="CAUSAL_LM")
    import torch

    torch.manual_seed(cfg.seed)  # the adapter's A matrices start from this seed
    model = get_peft_model(base, lora)
    return model.to(device), tokenizer


def _lr_scale(step: int, warm: int, total: int) -> float:
    """Linear warm-up, then cosine decay to a tenth of the peak."""
    if step < warm:
        return (step + 1) / warm
    frac = (step - warm) / max(1, total - warm)
    return 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, frac)))


def _batch(encoded: list, cfg: FinetuneConfig, step: int, per_epoch: int) -> list:
    epoch, b = divmod(step, per_epoch)
    order = np.random.default_rng([cfg.seed, epoch]).permutation(len(encoded))
    return [encoded[i] for i in order[b * cfg.batch_size:(b + 1) * cfg.batch_size]]


def _save_checkpoint(folder: Path, fingerprint: str, step: int, model, opt, sched) -> None:
    """Write the checkpoint beside the old one, then swap: a crash mid-write leaves
    the previous checkpoint whole."""
    import torch
    from peft import get_peft_model_state_dict
    from safetensors.torch import save_file

    tmp = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    state = {k: v.detach().cpu().contiguous() for k, v in get_peft_model_state_dict(model).items()}
    save_file(state, tmp / "adapter.safetensors")
    torch.save({"optimizer": opt.state_dict(), "scheduler": sched.state_dict()},
               tmp / "optimizer.pt")
    (tmp / "state.json").write_text(json.dumps({"step": step, "fingerprint": fingerprint}))
    old = folder.with_name(folder.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if folder.exists():
        folder.rename(old)
    tmp.rename(folder)
    shutil.rmtree(old, ignore_errors=True)


def _resume(folder: Path, fingerprint: str, model, opt, sched, log) -> int:
    """The step to start from: a matching checkpoint's, else 0."""
    old = folder.with_name(folder.name + ".old")
    if not folder.exists() and old.exists():
        old.rename(folder)  # a crash between the two renames of _save_checkpoint
    state_file = folder / "state.json"
    if not state_file.exists():
        return 0
    state = json.loads(state_file.read_text())
    if state.get("fingerprint") != fingerprint:
        raise ValueError(f"{folder}: a checkpoint of a different run (other data or "
                         "settings) is here; pass another --out, or delete the folder "
                         "to start over")
    import torch
    from peft import set_peft_model_state_dict
    from safetensors.torch import load_file

    set_peft_model_state_dict(model, load_file(folder / "adapter.safetensors"))
    opt_state = torch.load(folder / "optimizer.pt", weights_only=True)
    opt.load_state_dict(opt_state["optimizer"])
    sched.load_state_dict(opt_state["scheduler"])
    log(f"resuming from step {state['step']} ({folder})")
    return int(state["step"])


def _save_adapter(model, cfg: FinetuneConfig) -> Path:
    final = cfg.out / ADAPTER
    tmp = cfg.out / (ADAPTER + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp, safe_serialization=True)
    config = json.loads((tmp / "adapter_config.json").read_text())
    from augur.llm.models import smollm2_gguf

    config["base_model_name_or_path"] = str(cfg.base or smollm2_gguf())
    (tmp / "adapter_config.json").write_text(json.dumps(config, indent=2))
    if final.exists():
        shutil.rmtree(final)
    tmp.rename(final)
    return final


def _trim_log(path: Path, step: int) -> None:
    """Drop log lines past the checkpoint being resumed (they will be redone)."""
    if path.exists():
        keep = [e for e in _read_log(path) if e["step"] <= step]
        path.write_text("".join(json.dumps(e) + "\n" for e in keep))


def _read_log(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _val_loss(model, tokenizer, val: Path, cfg: FinetuneConfig, pad: int,
              device: str) -> float:
    import torch

    encoded = [encode(tokenizer, m, cfg.max_len) for m in read_rows(val)]
    model.eval()
    total, n = 0.0, 0
    with torch.inference_mode():
        for i in range(0, len(encoded), cfg.batch_size):
            ids, mask, labels = (t.to(device) for t in collate(encoded[i:i + cfg.batch_size],
                                                              pad))
            loss, k = answer_loss(model, ids, mask, labels)
            total += loss.item() * k
            n += k
    return total / max(n, 1)


class _Progress:
    """tqdm on a terminal; a plain line every 10 steps otherwise (a log file or CI
    would otherwise see nothing for minutes)."""

    def __init__(self, total: int, start: int) -> None:
        from tqdm import tqdm

        self.tty = sys.stderr.isatty()
        self.total = total
        self.bar = tqdm(total=total, initial=start, desc="finetune", unit="step",
                        disable=not self.tty)

    def update(self, entry: dict) -> None:
        self.bar.update(1)
        self.bar.set_postfix(loss=f"{entry['loss']:.4f}", refresh=False)
        if not self.tty and (entry["step"] % 10 == 0 or entry["step"] == self.total):
            print(f"finetune: step {entry['step']}/{self.total} loss {entry['loss']:.4f} "
                  f"lr {entry['lr']:.2e} {entry['elapsed_s']:.0f} s", file=sys.stderr,
                  flush=True)

    def close(self) -> None:
        self.bar.close()


def _plot(losses: list[float], path: Path) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot(range(1, len(losses) + 1), losses, lw=0.8, label="step")
    if len(losses) >= 10:
        smooth = np.convolve(losses, np.ones(10) / 10, mode="valid")
        ax.plot(range(10, len(losses) + 1), smooth, lw=1.6, label="mean of 10")
    ax.set_xlabel("step")
    ax.set_ylabel("loss (answer tokens)")
    ax.set_title("LoRA fine-tuning")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
