"""Chat rows for supervised fine-tuning, and their token ids.

One JSON object a line:

    {"messages": [{"role": "system", "content": "..."},
                  {"role": "user", "content": "..."},
                  {"role": "assistant", "content": "the answer to learn"}]}

The last message is the answer; the loss is on its tokens (and the end-of-turn token
after it) only, so the model learns to answer, not to repeat prompts. Every task
writes its own rows (`augur memory tasks sft`, the forecasters), so this file knows
no task.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

IGNORE = -100  # label of a token the loss skips (torch's cross_entropy default)
ROLES = ("system", "user", "assistant")


class RowError(ValueError):
    """A chat row that cannot be trained on; names the line and the field."""


def read_rows(path: Path, limit: int | None = None) -> list[list[dict[str, str]]]:
    """The messages of every row, checked; a RowError names the first bad one."""
    rows = []
    with Path(path).open(encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            where = f"{path}:{n}"
            try:
                row = json.loads(line)
            except json.JSONDecodeError as e:
                raise RowError(f"{where}: not JSON ({e.msg} at column {e.colno})") from None
            rows.append(check_row(row, where))
            if limit is not None and len(rows) >= limit:
                break
    if not rows:
        raise RowError(f"{path}: no rows; expected JSON Lines of {{\"messages\": [...]}}")
    return rows


def check_row(row: Any, where: str) -> list[dict[str, str]]:
    if not isinstance(row, dict) or not isinstance(row.get("messages"), list):
        got = row.get("messages") if isinstance(row, dict) else row
        raise RowError(f"{where}: messages: expected a list of {{role, content}} objects, "
                       f"got {type(got).__name__}")
    messages = row["messages"]
    if len(messages) < 2:
        raise RowError(f"{where}: messages: expected at least a user turn and the "
                       f"assistant's answer, got {len(messages)} message(s)")
    for i, m in enumerate(messages):
        if not isinstance(m, dict) or m.get("role") not in ROLES \
                or not isinstance(m.get("content"), str):
            raise RowError(f"{where}: messages[{i}]: expected {{\"role\": one of "
                           f"{'/'.join(ROLES)}, \"content\": text}}, got {str(m)[:80]}")
    if messages[-1]["role"] != "assistant" or not messages[-1]["content"].strip():
        raise RowError(f"{where}: messages[-1]: expected the assistant's answer (role "
                       f"assistant, non-empty), got role {messages[-1]['role']!r}")
    return [{"role": m["role"], "content": m["content"]} for m in messages]


@dataclass
class Encoded:
    ids: list[int]
    labels: list[int]  # IGNORE on the prompt, the token id on the answer
    cut: bool  # longer than max_len and cut


def encode(tokenizer, messages: list[dict[str, str]], max_len: int) -> Encoded:
    """Token ids of the whole conversation, with labels on the answer only.

    The prompt's ids come from the chat template with the generation prompt added,
    which is exactly what the model sees when it is asked at inference time; the
    answer's ids are what the template adds after that (the answer and its end of
    turn), so training and serving tokenise the same text."""
    prompt = _ids(tokenizer.apply_chat_template(messages[:-1], add_generation_prompt=True,
                                                tokenize=True))
    full = _ids(tokenizer.apply_chat_template(messages, tokenize=True))
    if full[:len(prompt)] != prompt:
        raise RowError("the chat template does not extend the prompt with the answer "
                       "(its assistant turn renders differently with and without "
                       "add_generation_prompt); pick an instruct model with a plain "
                       "template")
    labels = [IGNORE] * len(prompt) + full[len(prompt):]
    cut = len(full) > max_len
    return Encoded(full[:max_len], labels[:max_len], cut)


def _ids(out: Any) -> list[int]:
    # transformers 5 returns a BatchEncoding from apply_chat_template(tokenize=True);
    # older versions a plain list.
    if hasattr(out, "keys") and "input_ids" in out:
        out = out["input_ids"]
    return list(out)


def collate(batch: list[Encoded], pad_id: int):
    """Right-padded tensors (input_ids, attention_mask, labels) of one batch."""
    import torch

    width = max(len(e.ids) for e in batch)
    ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(batch), width), dtype=torch.long)
    labels = torch.full((len(batch), width), IGNORE, dtype=torch.long)
    for i, e in enumerate(batch):
        n = len(e.ids)
        ids[i, :n] = torch.tensor(e.ids)
        mask[i, :n] = 1
        labels[i, :n] = torch.tensor(e.labels)
    return ids, mask, labels
