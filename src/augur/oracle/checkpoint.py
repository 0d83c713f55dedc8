"""Checkpoints: a folder with `model.safetensors` and `config.json`.

Written atomically (a temporary folder, then a rename), so an interrupted run
never leaves a half-written checkpoint where a good one was. Loaded strictly:
a missing or unexpected tensor fails by name.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from augur.errors import AugurError
from augur.oracle.features import CANDIDATE_FIELDS, EVENT_FIELDS, Vocab
from augur.oracle.model import OracleConfig, OracleModel

WEIGHTS, CONFIG = "model.safetensors", "config.json"


class CheckpointError(AugurError):
    """A checkpoint that cannot be loaded; the message says which file and why."""


FORMAT = "augur-oracle/1"


def check_out(out: Path) -> None:
    """Refuse a checkpoint path that holds anything but an earlier checkpoint: saving
    replaces what is there, and `--out data` once would have deleted the data folder."""
    out = Path(out)
    if not out.exists() and not out.is_symlink():
        return
    fix = "--out names the checkpoint folder to write: give a new or empty folder"
    if out.is_symlink() or not out.is_dir():
        raise CheckpointError(f"{out}: exists and is not a folder; refusing to replace it. {fix}")
    names = sorted(p.name for p in out.iterdir())
    if not names:
        return
    if set(names) <= {CONFIG, WEIGHTS} and CONFIG in names:
        try:
            ours = json.loads((out / CONFIG).read_text()).get("format") == FORMAT
        except (OSError, ValueError, AttributeError):
            ours = False
        if ours:
            return
    shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
    raise CheckpointError(f"{out}: a folder that is not an augur checkpoint (it holds "
                          f"{shown}); refusing to replace it. {fix}, or an earlier checkpoint "
                          "to overwrite")


def save_checkpoint(out: Path, model: OracleModel, vocab: Vocab, meta: dict[str, Any]) -> Path:
    from safetensors.torch import save_file

    out = Path(out)
    check_out(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        state = {k: v.detach().contiguous() for k, v in model.state_dict().items()}
        save_file(state, str(tmp / WEIGHTS))
        doc = {"format": FORMAT, "config": model.cfg.to_json(),
               "vocab": vocab.to_json(), "event_fields": event_fields(model.cfg),
               "candidate_fields": list(CANDIDATE_FIELDS), **meta}
        (tmp / CONFIG).write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n")
        os.chmod(tmp, 0o755)
        os.chmod(tmp / WEIGHTS, 0o644)  # safetensors writes 0600; config.json is 0644
        if out.exists():  # swap in the new one, then drop the old
            old = out.with_name(f".{out.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            os.replace(out, old)
            os.replace(tmp, out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def event_fields(cfg: OracleConfig) -> list[str]:
    """The feature columns a model reads: a backbone model reads a text id last."""
    return list(EVENT_FIELDS) + (["text"] if cfg.backbone is not None else [])


def _field_change(theirs: object, ours: list[str]) -> str:
    """What this augur's feature fields change from a checkpoint's, in a few words (the
    full lists are 30 names long)."""
    if not isinstance(theirs, list):
        return f"the checkpoint lists none (got {theirs!r})"
    added = [f for f in ours if f not in theirs]
    dropped = [f for f in theirs if f not in ours]
    parts = ([f"this augur adds {', '.join(added)}"] if added else []) + (
        [f"and no longer reads {', '.join(dropped)}" if added else
         f"this augur no longer reads {', '.join(dropped)}"] if dropped else [])
    return " ".join(parts) or "the same fields in another order"


def load_checkpoint(path: Path) -> tuple[OracleModel, Vocab, dict[str, Any]]:
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    path = Path(path)
    if not (path / CONFIG).is_file() or not (path / WEIGHTS).is_file():
        raise CheckpointError(f"{path}: not a checkpoint (expected {CONFIG} and {WEIGHTS} in "
                              "a folder written by `augur train`)")
    try:
        doc = json.loads((path / CONFIG).read_text())
        # Checkpoints from before the order-2 prior have an order-1 table.
        cfg = OracleConfig(**{"transition_order": 1, **doc["config"]})
        vocab = Vocab.from_json(doc["vocab"])
    except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise CheckpointError(f"{path / CONFIG}: unreadable config ({exc})") from None
    fields = (doc.get("event_fields"), doc.get("candidate_fields"))
    if fields != (event_fields(cfg), list(CANDIDATE_FIELDS)):
        diff = "; ".join(f"{what} fields: {_field_change(theirs, ours)}" for what, theirs, ours in
                         (("event", fields[0], event_fields(cfg)),
                          ("candidate", fields[1], list(CANDIDATE_FIELDS))) if theirs != ours)
        raise CheckpointError(f"{path}: made for other features than this augur reads ({diff});"
                              " retrain it with `augur train`")
    if cfg.backbone is not None and len(doc.get("texts") or []) != cfg.n_texts:
        raise CheckpointError(f"{path / CONFIG}: a backbone model needs its {cfg.n_texts} "
                              f"event texts under \"texts\"; retrain it with `augur train`")
    if cfg.sizes != vocab.sizes():
        changed = sorted(k for k in vocab.sizes() if cfg.sizes.get(k) != vocab.sizes()[k])
        raise CheckpointError(f"{path}: made with other feature sizes ({', '.join(changed)}) "
                              "than this augur uses; retrain it with `augur train`")
    model = OracleModel(cfg)
    try:
        state = load_file(str(path / WEIGHTS))
    except (SafetensorError, OSError) as exc:
        raise CheckpointError(f"{path / WEIGHTS}: unreadable weights ({exc})") from None
    if "temperature" in state:
        # Older checkpoints lack these: stranger temperatures equal to the others (they had
        # no Vocab.selves to use them) and identity top-label maps, which change nothing.
        state.setdefault("stranger_temperature", state["temperature"].clone())
        state.setdefault("top_label", model.state_dict()["top_label"].clone())
    expected, got = set(model.state_dict()), set(state)
    if expected != got:
        raise CheckpointError(f"{path / WEIGHTS}: missing tensors {sorted(expected - got)}, "
                              f"unexpected tensors {sorted(got - expected)}")
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        raise CheckpointError(f"{path / WEIGHTS}: does not fit its config ({exc})") from None
    model.eval()
    return model, vocab, doc
